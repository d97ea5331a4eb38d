/* test-handover.c: custody at every handover point, the state machine,
 * reconciliation, and the pickup → receipt flow between two ledgers that
 * share nothing but the receipt's QR text.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "wt-catalogue.h"
#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-handover.h"
#include "wt-ledger-sync.h"
#include "wt-ledger.h"

#define PRODUCER_USCC "91350100M000100Y43"

typedef struct
{
  char     *dir;
  WtLedger *a;  /* producer */
  WtLedger *b;  /* disposal site */
} Fixture;

static WtLedger *
make_ledger (const char *dir,
             const char *name,
             const char *unit,
             const char *uscc,
             char        slot)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(WtSite) site = wt_site_new ();
  g_autoptr(GError) error = NULL;
  WtLedger *ledger = wt_ledger_open (path, &error);

  g_assert_no_error (error);
  g_free (site->name);
  site->name = g_strdup (unit);
  g_free (site->uscc);
  site->uscc = g_strdup (uscc);
  g_free (site->facility);
  site->facility = g_strdup ("TS001");
  site->device_slot = slot;
  g_assert_true (wt_ledger_init_site (ledger, site, &error));
  g_assert_no_error (error);
  return ledger;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("wt-handover-XXXXXX", NULL);
  f->a = make_ledger (f->dir, "a.wtl", "示例化工", PRODUCER_USCC, 'A');
  f->b = make_ledger (f->dir, "b.wtl", "示例处置中心", "91110000600037341L", 'A');
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_object (&f->a);
  g_clear_object (&f->b);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

/* Prints @n containers of @waste at the producer; returns their payloads. */
static WtPrintJob *
label (WtLedger   *ledger,
       const char *waste,
       guint       n,
       double      kg)
{
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), waste);
  g_autoptr(WtLabelContent) c = wt_label_content_new ();
  g_autoptr(GError) error = NULL;
  WtLabelOptions options;
  WtPrintJob *job;

  wt_label_content_set (c, &c->waste_name, w->description);
  wt_label_content_set (c, &c->category, w->category);
  wt_label_content_set (c, &c->waste_code, w->code);
  wt_label_content_set (c, &c->date, "2026-11-30");
  c->hazards = w->hazards;
  wt_label_options_init (&options);
  job = wt_ledger_reserve (ledger, c, n, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_commit_job (ledger, job, c, &options, kg, &error));
  g_assert_no_error (error);
  return job;
}

static WtScanResultKind
scan (WtLedger   *ledger,
      WtScanMode  mode,
      const char *context,
      const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtScanResult) r = wt_ledger_scan (ledger, mode, context, text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_nonnull (r->message);
  g_assert_cmpuint (strlen (r->message), >, 0);
  return r->kind;
}

static WtContainerState
state_of (WtLedger   *ledger,
          const char *code)
{
  g_autoptr(WtContainer) c = wt_ledger_get_container (ledger, code, NULL);

  g_assert_nonnull (c);
  return c->state;
}

static void
test_manifest_numbers (void)
{
  const char *good[] = {
    "20263501000123",  /* 福建 福州 */
    "20265001000001",  /* 重庆 districts */
    "20265002000001",  /* 重庆 counties */
    "20261101000001",  /* 北京 */
    "20264290000001",  /* 湖北 province-run counties */
    "20266590000001",  /* 新疆 */
    "20224401000001",
  };
  const char *bad[] = {
    "2026350100012",   /* 13 digits */
    "202635010001234", /* 15 */
    "2026350A000123",  /* a letter */
    "20213501000123",  /* before 2022 */
    "20993501000123",  /* the far future */
    "20269901000123",  /* no province 99 */
    "20263599000123",  /* no city 99 in Fujian */
    "20261102000001",  /* 北京 has no 02 */
    "20263590000001",  /* Fujian has no province-run counties */
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!wt_manifest_number_validate (good[i], &error))
        g_error ("%s: %s", good[i], error->message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (wt_manifest_number_validate (bad[i], &error));
      g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
    }
}

static void
test_state_machine (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = label (f->a, "900-249-08", 4, 180);
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(GError) error = NULL;
  const char *one[] = { job->codes[0], NULL };
  const char *two[] = { job->codes[1], NULL };
  const char *three[] = { job->codes[2], NULL };
  const char *mixed[] = { job->codes[3], job->codes[0], NULL };
  gint64 events;

  g_assert_true (wt_ledger_store (f->a, "TS001", one, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f->a, job->codes[0]), ==, WT_CONTAINER_STORED);

  /* Storing twice in the same place is refused by name. */
  g_assert_false (wt_ledger_store (f->a, "TS001", one, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_clear_error (&error);

  m = wt_ledger_manifest_new (f->a, NULL, "顺达危运", "闽A12345", "示例处置中心", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (m->draft_number, "A-"));
  g_assert_cmpstr (m->number, ==, "");

  g_assert_true (wt_ledger_ship (f->a, m->id, one, NULL, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f->a, job->codes[0]), ==, WT_CONTAINER_SHIPPED);

  /* Ship twice: refused with a sentence that names the manifest. */
  events = wt_ledger_count_events (f->a);
  {
    g_autoptr(WtManifest) m2 = wt_ledger_manifest_new (f->a, NULL, "x", "y", "z", NULL);

    g_assert_false (wt_ledger_ship (f->a, m2->id, mixed, NULL, 0, &error));
    g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
    g_assert_nonnull (strstr (error->message, m->draft_number));
    g_clear_error (&error);
    /* All or nothing: the other container was not shipped either. */
    g_assert_cmpint (state_of (f->a, job->codes[3]), ==, WT_CONTAINER_LABELLED);
    g_assert_cmpint (wt_ledger_count_events (f->a), ==, events + 1 /* the second manifest */);
  }

  /* Treat before receipt: refused. A stored container can be self-treated. */
  g_assert_false (wt_ledger_treat (f->a, "D10", one, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "receive it"));
  g_clear_error (&error);
  g_assert_true (wt_ledger_treat (f->a, "D10", three, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f->a, job->codes[2]), ==, WT_CONTAINER_TREATED);
  g_assert_false (wt_ledger_treat (f->a, "NOPE", two, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* Receive at the producer what never left: refused. */
  {
    g_autoptr(WtManifest) in = NULL;

    g_assert_false (wt_ledger_receive (f->a, m->id, &(WtReceiveItem) { job->codes[1], FALSE, NULL, -1 }, 1,
                                       NULL, 0, &error));
    g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
    g_clear_error (&error);
    (void) in;
  }

  /* Acting on a voided label. */
  g_assert_true (wt_ledger_void (f->a, job->codes[1], "misprint", NULL));
  g_assert_false (wt_ledger_store (f->a, "TS001", two, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "voided"));
  g_clear_error (&error);
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, job->payloads[1]), ==, WT_SCAN_RESULT_VOIDED);

  /* Weighing and a failed inspection without a reason... */
  g_assert_true (wt_ledger_weigh (f->a, job->codes[3], 175.5, &error));
  {
    g_autoptr(WtContainer) c = wt_ledger_get_container (f->a, job->codes[3], NULL);

    g_assert_cmpfloat (c->weight_kg, ==, 175.5);
  }
  g_assert_false (wt_ledger_weigh (f->a, job->codes[3], -1, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_true (wt_ledger_verify (f->a, NULL, NULL));
}

static void
test_scan_verdicts (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = label (f->a, "900-249-08", 3, 180);
  g_autoptr(WtPrintJob) other = label (f->a, "900-041-49", 1, 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *typed = NULL;
  g_autoptr(WtManifest) m = wt_ledger_manifest_new (f->a, NULL, "c", "v", "r", NULL);
  const char *plan[] = { job->codes[0], job->codes[1], NULL };
  WtSite *site = wt_ledger_dup_site (f->a, NULL);

  /* Foreign codes, typos, newer formats. */
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, "https://example.com/x"), ==, WT_SCAN_RESULT_FOREIGN);
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, "WIFI:S:net;T:WPA;P:pw;;"), ==, WT_SCAN_RESULT_FOREIGN);
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, "WT9 危险废物\nID:X\nCK:00000000"), ==, WT_SCAN_RESULT_DAMAGED);
  {
    g_autofree char *cut = g_strndup (job->payloads[0], strlen (job->payloads[0]) - 5);

    g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, cut), ==, WT_SCAN_RESULT_DAMAGED);
  }

  /* A keyboard-wedge scanner drops the Chinese of the first line: the rest
   * of the payload still checks out; a changed ID does not. */
  {
    const char *nl = strchr (job->payloads[2], '\n');
    g_autofree char *wedge = g_strconcat ("WT1 ????", nl, NULL);
    g_autofree char *bad = g_strdup (wedge);
    char *id = strstr (bad, "ID:") + 3;

    g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, wedge), ==, WT_SCAN_RESULT_OK);
    id[5] = id[5] == '1' ? '2' : '1';
    g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, bad), ==, WT_SCAN_RESULT_DAMAGED);
  }

  /* The printed form, typed by a person, with and without a typo. */
  typed = wt_code_to_display (&site->split, job->codes[2]);
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, typed), ==, WT_SCAN_RESULT_OK);
  typed[3] = typed[3] == '1' ? '2' : '1';
  g_assert_cmpint (scan (f->a, WT_SCAN_LOOKUP, NULL, typed), ==, WT_SCAN_RESULT_DAMAGED);
  wt_site_free (site);

  /* Reconciliation: one missing, one unexpected, one duplicate. */
  g_assert_true (wt_ledger_manifest_expect (f->a, m->id, plan, &error));
  g_assert_no_error (error);
  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, job->payloads[0]), ==, WT_SCAN_RESULT_OK);
  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, job->payloads[0]), ==, WT_SCAN_RESULT_ALREADY_SCANNED);
  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, job->payloads[2]), ==, WT_SCAN_RESULT_NOT_EXPECTED);
  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, other->payloads[0]), ==, WT_SCAN_RESULT_WRONG_WASTE);
  {
    g_autoptr(WtReconciliation) rec = wt_ledger_reconcile (f->a, m->id, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (rec->n_expected, ==, 2);
    g_assert_cmpuint (rec->n_scanned, ==, 1);
    g_assert_cmpstrv (rec->missing, ((const char *[]) { job->codes[1], NULL }));
    g_assert_cmpstrv (rec->unexpected, ((const char *[]) { job->codes[2], NULL }));
    g_assert_cmpstrv (rec->duplicates, ((const char *[]) { job->codes[0], NULL }));
    g_assert_cmpstrv (rec->wrong_waste, ((const char *[]) { other->codes[0], NULL }));
    g_assert_cmpuint (rec->tallies->len, ==, 2);
  }

  /* Nothing is recorded by scanning; confirming needs both parties. */
  g_assert_cmpint (state_of (f->a, job->codes[0]), ==, WT_CONTAINER_LABELLED);
  g_assert_false (wt_ledger_confirm_handover (f->a, m->id, (WtParty[]) { { "王芳", "1234" } }, 1, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wt_ledger_confirm_handover (f->a, m->id,
                                              (WtParty[]) { { "王芳", "1234" }, { "王芳", "1234" } }, 2, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wt_ledger_confirm_handover (f->a, m->id,
                                              (WtParty[]) { { "王芳", "12" }, { "李司机", "5678" } }, 2, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_true (wt_ledger_confirm_handover (f->a, m->id,
                                             (WtParty[]) { { "王芳", "1234" }, { "李司机", "5678" } }, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f->a, job->codes[0]), ==, WT_CONTAINER_SHIPPED);
  g_assert_cmpint (state_of (f->a, job->codes[2]), ==, WT_CONTAINER_LABELLED);

  /* Double confirmation is refused; a wrong PIN later is refused. */
  g_assert_false (wt_ledger_confirm_handover (f->a, m->id,
                                              (WtParty[]) { { "王芳", "1234" }, { "李司机", "5678" } }, 2, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_clear_error (&error);
  {
    g_autoptr(WtManifest) m2 = wt_ledger_manifest_new (f->a, NULL, "c", "v", "r", NULL);

    g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m2->id, job->payloads[1]), ==, WT_SCAN_RESULT_OK);
    g_assert_false (wt_ledger_confirm_handover (f->a, m2->id,
                                                (WtParty[]) { { "王芳", "9999" }, { "李司机", "5678" } }, 2, &error));
    g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
    g_assert_cmpint (state_of (f->a, job->codes[1]), ==, WT_CONTAINER_LABELLED);
  }
}

static void
test_killed_before_confirm (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = label (f->a, "900-249-08", 2, 100);
  g_autoptr(WtManifest) m = wt_ledger_manifest_new (f->a, NULL, "c", "v", "r", NULL);
  g_autofree char *path = g_strdup (wt_ledger_get_path (f->a));
  gint64 events;

  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, job->payloads[0]), ==, WT_SCAN_RESULT_OK);
  events = wt_ledger_count_events (f->a);

  /* The process goes away between scanning and confirming. */
  g_clear_object (&f->a);
  f->a = wt_ledger_open (path, NULL);

  /* Nothing half-recorded, and the scan list survived. */
  g_assert_cmpint (wt_ledger_count_events (f->a), ==, events);
  g_assert_cmpint (state_of (f->a, job->codes[0]), ==, WT_CONTAINER_LABELLED);
  {
    g_autoptr(WtReconciliation) rec = wt_ledger_reconcile (f->a, m->id, NULL);

    g_assert_cmpuint (rec->n_scanned, ==, 1);
  }
}

static void
test_pickup_to_receipt (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = label (f->a, "900-249-08", 4, 180);
  g_autoptr(WtPrintJob) extra = label (f->a, "900-249-08", 1, 180);
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(WtManifest) in = NULL;
  g_autoptr(WtManifest) again = NULL;
  g_auto(GStrv) payloads = NULL;
  g_autoptr(GError) error = NULL;
  const char *ship[] = { job->codes[0], job->codes[1], job->codes[2], NULL };
  g_autofree char *receipt = g_build_filename (f->dir, "receipt.pdf", NULL);

  m = wt_ledger_manifest_new (f->a, "20263501000123", "顺达危运", "闽A12345", "示例处置中心", &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_ship (f->a, m->id, ship, (WtParty[]) { { "王芳", "1234" }, { "李司机", "5678" } }, 2, &error));
  g_assert_no_error (error);

  /* The receipt: PDF for people, QR text for the receiving device. */
  g_assert_true (wt_ledger_write_receipt (f->a, m->id, receipt, &error));
  g_assert_no_error (error);
  {
    g_autofree char *out = NULL;
    g_autofree char *cmd = g_strdup_printf ("pdftotext '%s' -", receipt);

    g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL));
    g_assert_nonnull (strstr (out, "危险废物交接记录单"));
    g_assert_nonnull (strstr (out, "20263501000123"));
    g_assert_nonnull (strstr (out, job->codes[2]));
    g_assert_nonnull (strstr (out, "王芳"));
  }

  payloads = wt_ledger_receipt_payloads (f->a, m->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (payloads), ==, 1);

  /* The receipt's QR code, as printed, decodes to the same text. */
  {
    g_autofree char *png = g_build_filename (f->dir, "receipt.png", NULL);
    g_autofree char *cmd = g_strdup_printf ("pdftoppm -r 150 -png -singlefile -f 1 -l 1 '%s' '%s/receipt'", receipt, f->dir);
    g_autoptr(WtDecoder) decoder = wt_decoder_new ();
    g_autoptr(GPtrArray) found = NULL;

    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
    found = wt_decoder_decode_file (decoder, png, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (((WtDecoded *) found->pdata[0])->text, ==, payloads[0]);
  }

  /* A tampered receipt is refused whole. */
  {
    g_autofree char *bad = g_strdup (payloads[0]);
    char *at = strstr (bad, "|180.000");
    const char *list[] = { bad, NULL };
    g_autoptr(WtManifest) none = NULL;

    g_assert_nonnull (at);
    at[1] = '1';
    at[2] = '0';
    none = wt_ledger_load_receipt (f->b, list, &error);
    g_assert_null (none);
    g_assert_error (error, WT_ERROR, WT_ERROR_CORRUPT_CODE);
    g_clear_error (&error);
  }
  {
    const char *label_qr[] = { job->payloads[0], NULL };
    g_autoptr(WtManifest) none = wt_ledger_load_receipt (f->b, label_qr, &error);

    g_assert_null (none);
    g_assert_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE);
    g_clear_error (&error);
  }

  /* Offline at the disposal site: only the receipt's text crosses. */
  in = wt_ledger_load_receipt (f->b, (const char * const *) payloads, &error);
  g_assert_no_error (error);
  g_assert_cmpint (in->direction, ==, WT_MANIFEST_INCOMING);
  g_assert_cmpstr (in->number, ==, "20263501000123");
  again = wt_ledger_load_receipt (f->b, (const char * const *) payloads, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->id, ==, in->id);

  /* The receiver scans the drums: the listed ones are OK though this
   * ledger never saw them; a container of another producer is refused; an
   * unlisted one of the same producer is accepted with a warning. */
  g_assert_cmpint (scan (f->b, WT_SCAN_RECEIVE, in->id, job->payloads[0]), ==, WT_SCAN_RESULT_OK);
  g_assert_cmpint (scan (f->b, WT_SCAN_RECEIVE, in->id, job->payloads[1]), ==, WT_SCAN_RESULT_OK);
  g_assert_cmpint (scan (f->b, WT_SCAN_RECEIVE, in->id, job->payloads[1]), ==, WT_SCAN_RESULT_ALREADY_SCANNED);
  g_assert_cmpint (scan (f->b, WT_SCAN_RECEIVE, in->id, extra->payloads[0]), ==, WT_SCAN_RESULT_PREDECESSOR_UNKNOWN);
  {
    g_autoptr(WtLedger) c3 = make_ledger (f->dir, "c.wtl", "别的工厂", "91110000600037341L", 'A');
    g_autoptr(WtPrintJob) foreign = label (c3, "900-249-08", 1, 50);

    g_assert_cmpint (scan (f->b, WT_SCAN_RECEIVE, in->id, foreign->payloads[0]), ==, WT_SCAN_RESULT_NOT_EXPECTED);
  }

  /* Reject one with a reason, weigh one beyond the tolerance, confirm. */
  g_assert_true (wt_ledger_manifest_set_item (f->b, in->id, job->codes[1], TRUE, "桶体泄漏", -1, &error));
  g_assert_no_error (error);
  g_assert_true (wt_ledger_manifest_set_item (f->b, in->id, job->codes[0], FALSE, NULL, 150, &error));
  g_assert_no_error (error);
  {
    g_autoptr(WtReconciliation) rec = wt_ledger_reconcile (f->b, in->id, NULL);

    g_assert_cmpuint (rec->n_expected, ==, 3);
    g_assert_cmpstrv (rec->missing, ((const char *[]) { job->codes[2], NULL }));
  }
  g_assert_true (wt_ledger_confirm_handover (f->b, in->id,
                                             (WtParty[]) { { "李司机", "5678" }, { "赵收货", "4321" } }, 2, &error));
  g_assert_no_error (error);

  g_assert_cmpint (state_of (f->b, job->codes[0]), ==, WT_CONTAINER_RECEIVED);
  g_assert_cmpint (state_of (f->b, job->codes[1]), ==, WT_CONTAINER_REJECTED);
  {
    g_autoptr(WtContainer) c = wt_ledger_get_container (f->b, extra->codes[0], NULL);
    g_autoptr(GPtrArray) events = wt_ledger_container_events (f->b, job->codes[0], NULL);

    g_assert_cmpint (c->state, ==, WT_CONTAINER_RECEIVED);
    g_assert_true (c->predecessor_unknown);
    g_assert_cmpuint (events->len, ==, 1);
    g_assert_nonnull (strstr (((WtEvent *) events->pdata[0])->payload, "\"weight_discrepancy\":true"));
  }
  /* The missing one was not received. */
  g_assert_null (wt_ledger_get_container (f->b, job->codes[2], NULL));

  /* Treatment after receipt, at the disposal site. */
  {
    const char *done[] = { job->codes[0], NULL };
    const char *rejected[] = { job->codes[1], NULL };

    g_assert_true (wt_ledger_treat (f->b, "D10", done, &error));
    g_assert_no_error (error);
    g_assert_false (wt_ledger_treat (f->b, "D10", rejected, &error));
    g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  }

  g_assert_true (wt_ledger_verify (f->a, NULL, NULL));
  g_assert_true (wt_ledger_verify (f->b, NULL, NULL));
}

static void
test_failed_check_needs_reason (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = label (f->a, "900-249-08", 1, 100);
  g_autoptr(WtManifest) m = wt_ledger_manifest_new (f->a, NULL, "c", "v", "r", NULL);
  g_autoptr(GError) error = NULL;
  WtCondition k;

  wt_condition_init (&k);
  k.leaking = TRUE;
  g_assert_true (wt_ledger_inspect (f->a, job->codes[0], &k, &error));
  g_assert_no_error (error);
  g_assert_cmpint (scan (f->a, WT_SCAN_SHIP, m->id, job->payloads[0]), ==, WT_SCAN_RESULT_OK);
  g_assert_false (wt_ledger_confirm_handover (f->a, m->id,
                                              (WtParty[]) { { "王芳", "1234" }, { "李司机", "5678" } }, 2, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_clear_error (&error);

  /* The latest check, with its reason, is what counts. */
  k.reason = (char *) "重新封盖并套桶";
  g_assert_true (wt_ledger_inspect (f->a, job->codes[0], &k, &error));
  g_assert_true (wt_ledger_confirm_handover (f->a, m->id,
                                             (WtParty[]) { { "王芳", "1234" }, { "李司机", "5678" } }, 2, &error));
  g_assert_no_error (error);
}

static void
test_methods (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) methods = wt_ledger_list_methods (f->a, NULL);
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;

  g_assert_cmpuint (methods->len, >=, 10);
  g_assert_true (wt_ledger_set_method (f->a, "X1", "本厂回转窑焚烧", &error));
  after = wt_ledger_list_methods (f->a, NULL);
  for (guint i = 0; i < after->len; i++)
    found |= g_strcmp0 (((WtMethod *) after->pdata[i])->code, "X1") == 0;
  g_assert_true (found);
}

/* The receiver's licence number: kept with the manifest, signed into its
 * opening event, and refused when it cannot be one. */
static void
test_receiver_licence (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(WtManifest) again = NULL;
  g_autoptr(WtManifest) none = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *long_licence = g_strnfill (WT_RECEIVER_LICENCE_MAX + 1, '9');
  gint64 n = wt_ledger_count_events (f->a);

  m = wt_ledger_manifest_new_full (f->a, NULL, "顺达危运", "闽A12345", "示例处置中心", "闽环危废证第3501000123号", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->receiver_licence, ==, "闽环危废证第3501000123号");
  again = wt_ledger_get_manifest (f->a, m->draft_number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->receiver_licence, ==, "闽环危废证第3501000123号");

  events = wt_ledger_container_events (f->a, m->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_nonnull (strstr (((WtEvent *) events->pdata[0])->payload,
                            "\"receiver_licence\":\"闽环危废证第3501000123号\""));
  g_assert_true (wt_ledger_verify (f->a, NULL, &error));
  g_assert_no_error (error);

  /* Without one, the manifest says "" and its event is as before. */
  none = wt_ledger_manifest_new (f->a, NULL, "顺达危运", "闽A12345", "别处", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (none->receiver_licence, ==, "");

  g_assert_null (wt_ledger_manifest_new_full (f->a, NULL, "c", "v", "r", "闽环\n3501", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_null (wt_ledger_manifest_new_full (f->a, NULL, "c", "v", "r", long_licence, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpint (wt_ledger_count_events (f->a), ==, n + 2);
}

/* A supervisor settles an anomaly with their name and PIN, as a handover
 * party confirms: the first use sets the PIN, a wrong one later is refused
 * and leaves the anomaly open and the ledger unchanged. */
static void
test_resolve_with_pin (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) open = NULL;
  WtParty boss = { "张主管", "2468" };
  WtParty wrong = { "张主管", "1357" };
  WtParty short_pin = { "张主管", "12" };
  WtParty nobody = { "  ", "2468" };
  gint64 first, second;
  gint64 n;

  g_assert_true (wt_ledger_sync_add_anomaly (f->a, "clock_skew", NULL, NULL, NULL, "{}", 1, "local", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (wt_ledger_sync_add_anomaly (f->a, "double_custody", NULL, NULL, NULL, "{}", 2, "local", NULL, &error));
  g_assert_no_error (error);
  open = wt_ledger_list_anomalies (f->a, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 2);
  first = ((WtAnomaly *) g_ptr_array_index (open, 0))->id;
  second = ((WtAnomaly *) g_ptr_array_index (open, 1))->id;
  n = wt_ledger_count_events (f->a);

  g_assert_false (wt_ledger_resolve_anomaly_by (f->a, first, &nobody, "以出库重量为准", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wt_ledger_resolve_anomaly_by (f->a, first, &short_pin, "以出库重量为准", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpint (wt_ledger_count_events (f->a), ==, n);

  g_assert_true (wt_ledger_resolve_anomaly_by (f->a, first, &boss, "以出库重量为准", &error));
  g_assert_no_error (error);
  g_assert_cmpint (wt_ledger_count_events (f->a), ==, n + 1);

  g_assert_false (wt_ledger_resolve_anomaly_by (f->a, second, &wrong, "时钟已校准", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "张主管"));
  g_clear_error (&error);
  g_assert_cmpint (wt_ledger_count_open_anomalies (f->a), ==, 1);
  g_assert_cmpint (wt_ledger_count_events (f->a), ==, n + 1);

  g_assert_true (wt_ledger_resolve_anomaly_by (f->a, second, &boss, "时钟已校准", &error));
  g_assert_no_error (error);
  g_assert_cmpint (wt_ledger_count_open_anomalies (f->a), ==, 0);
  g_assert_true (wt_ledger_verify (f->a, &n, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/handover/manifest-numbers", test_manifest_numbers);
  ADD ("/handover/state-machine", test_state_machine);
  ADD ("/handover/scan-verdicts", test_scan_verdicts);
  ADD ("/handover/killed-before-confirm", test_killed_before_confirm);
  ADD ("/handover/pickup-to-receipt", test_pickup_to_receipt);
  ADD ("/handover/failed-check-needs-reason", test_failed_check_needs_reason);
  ADD ("/handover/methods", test_methods);
  ADD ("/handover/receiver-licence", test_receiver_licence);
  ADD ("/handover/resolve-with-pin", test_resolve_with_pin);
#undef ADD

  return g_test_run ();
}
