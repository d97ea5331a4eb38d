/* test-report.c: the HJ 1259 report, record tables, overdue storage,
 * corrections, projection checks and exports, on a scripted history whose
 * sums were worked out by hand.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "wt-catalogue.h"
#include "wt-error.h"
#include "wt-handover.h"
#include "wt-report.h"

typedef struct
{
  char       *dir;
  WtLedger   *ledger;
  WtPrintJob *w1;   /* 3 × 900-249-08, 100 kg, generated 2026-10-15 */
  WtPrintJob *w2;   /* 2 × 900-041-49, 12.5 kg, generated 2026-11-05 */
  char       *corrected_event;
} Fixture;

static void
at (WtLedger   *ledger,
    const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (dt);
  wt_ledger_set_clock_override (ledger, g_date_time_to_unix (dt) * 1000);
}

static WtPrintJob *
label (WtLedger   *ledger,
       const char *waste,
       const char *date,
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
  wt_label_content_set (c, &c->date, date);
  wt_label_content_set (c, &c->container_type, "钢桶");
  c->hazards = w->hazards;
  wt_label_options_init (&options);
  job = wt_ledger_reserve (ledger, c, n, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_commit_job (ledger, job, c, &options, kg, &error));
  g_assert_no_error (error);
  return job;
}

/* The scripted history, in Asia/Shanghai:
 *   10-15  label W1a W1b W1c, 100 kg each
 *   10-20  store W1a W1b in TS001
 *   11-01 01:30 (10-31 17:30 UTC)  ship W1a under manifest M1 (receiver's licence given)
 *   11-05  label W2a W2b, 12.5 kg each
 *   11-10  treat W2a on site (D10)
 *   11-20  correct W1c's printed weight to 90 kg
 *   12-02  ship W1b under manifest M2 */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr(WtSite) site = wt_site_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WtManifest) m1 = NULL;
  g_autoptr(WtManifest) m2 = NULL;
  g_autoptr(GPtrArray) events = NULL;

  f->dir = g_dir_make_tmp ("wt-report-XXXXXX", NULL);
  path = g_build_filename (f->dir, "ledger.wtl", NULL);
  f->ledger = wt_ledger_open (path, &error);
  g_assert_no_error (error);
  g_free (site->name);
  site->name = g_strdup ("示例化工");
  g_free (site->uscc);
  site->uscc = g_strdup ("91350100M000100Y43");
  g_assert_true (wt_ledger_init_site (f->ledger, site, &error));

  at (f->ledger, "2026-10-15T10:00:00+08:00");
  f->w1 = label (f->ledger, "900-249-08", "2026-10-15", 3, 100);

  at (f->ledger, "2026-10-20T09:00:00+08:00");
  g_assert_true (wt_ledger_store (f->ledger, "TS001", (const char *[]) { f->w1->codes[0], f->w1->codes[1], NULL }, &error));
  g_assert_no_error (error);

  at (f->ledger, "2026-10-31T17:30:00Z");
  m1 = wt_ledger_manifest_new_full (f->ledger, NULL, "顺达危运", "闽A12345", "示例处置中心", "闽环危废证第3501000123号", &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_ship (f->ledger, m1->id, (const char *[]) { f->w1->codes[0], NULL }, NULL, 0, &error));
  g_assert_no_error (error);

  at (f->ledger, "2026-11-05T08:00:00+08:00");
  f->w2 = label (f->ledger, "900-041-49", "2026-11-05", 2, 12.5);

  at (f->ledger, "2026-11-10T15:00:00+08:00");
  g_assert_true (wt_ledger_treat (f->ledger, "D10", (const char *[]) { f->w2->codes[0], NULL }, &error));
  g_assert_no_error (error);

  at (f->ledger, "2026-11-20T11:00:00+08:00");
  events = wt_ledger_container_events (f->ledger, f->w1->codes[2], &error);
  g_assert_no_error (error);
  f->corrected_event = g_strdup (((WtEvent *) events->pdata[0])->event_id);
  g_assert_true (wt_ledger_correct (f->ledger, f->corrected_event, 90, NULL, "复核称重", &error));
  g_assert_no_error (error);

  at (f->ledger, "2026-12-02T10:00:00+08:00");
  m2 = wt_ledger_manifest_new (f->ledger, NULL, "顺达危运", "闽A12345", "别的处置中心", &error);
  g_assert_true (wt_ledger_ship (f->ledger, m2->id, (const char *[]) { f->w1->codes[1], NULL }, NULL, 0, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_object (&f->ledger);
  g_clear_pointer (&f->w1, wt_print_job_free);
  g_clear_pointer (&f->w2, wt_print_job_free);
  g_free (f->corrected_event);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

static const WtReportRow *
row_for (GPtrArray  *rows,
         const char *code)
{
  for (guint i = 0; i < rows->len; i++)
    if (strcmp (((WtReportRow *) rows->pdata[i])->waste_code, code) == 0)
      return rows->pdata[i];
  return NULL;
}

static void
expect (WtLedger   *ledger,
        const char *period_text,
        const char *code,
        gint64      opening,
        gint64      generated,
        gint64      self_treated,
        gint64      sent_out,
        gint64      closing)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  const WtReportRow *r;
  WtPeriod period;

  g_assert_true (wt_period_parse (period_text, &period, &error));
  rows = wt_ledger_report (ledger, &period, &error);
  g_assert_no_error (error);
  r = row_for (rows, code);
  if (r == NULL)
    g_error ("%s: no row for %s", period_text, code);
  g_assert_cmpint (r->opening_g, ==, opening);
  g_assert_cmpint (r->generated_g, ==, generated);
  g_assert_cmpint (r->self_treated_g, ==, self_treated);
  g_assert_cmpint (r->sent_out_g, ==, sent_out);
  g_assert_cmpint (r->closing_g, ==, closing);
  /* The balance holds exactly, in grams. */
  g_assert_cmpint (r->opening_g + r->generated_g - r->self_treated_g - r->sent_out_g, ==, r->closing_g);
}

/* What the screens and pages show: tonnes to the kilogram, and the grams
 * after them only when there are any. */
static void
test_format_tonnes (void)
{
  const struct { gint64 grams; const char *text; } cases[] = {
    { 96000000, "96.000" }, { 12500, "0.0125" }, { 1, "0.000001" },
    { 0, "0.000" }, { -1500, "-0.0015" }, { 190000, "0.190" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = wt_format_tonnes (cases[i].grams);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_periods (void)
{
  WtPeriod p;
  const char *bad[] = { "2026-13", "2026-Q5", "26-11", "2026/11", "november", "", "2026-Q0", "2026-00" };
  char due[11];

  g_assert_true (wt_period_parse ("2026-11", &p, NULL));
  g_assert_cmpstr (p.start, ==, "2026-11-01");
  g_assert_cmpstr (p.end, ==, "2026-12-01");
  g_assert_true (wt_period_parse ("2026-12", &p, NULL));
  g_assert_cmpstr (p.end, ==, "2027-01-01");
  g_assert_true (wt_period_parse ("2026-q4", &p, NULL));
  g_assert_cmpstr (p.start, ==, "2026-10-01");
  g_assert_cmpstr (p.end, ==, "2027-01-01");
  g_assert_cmpstr (p.label, ==, "2026-Q4");
  g_assert_true (wt_period_parse ("2026", &p, NULL));
  g_assert_cmpstr (p.end, ==, "2027-01-01");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (wt_period_parse (bad[i], &p, &error));
      g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
    }

  /* Due dates by unit class, seen on 2026-11-30. */
  wt_report_next_due (WT_UNIT_CLASS_KEY, 1796000000000, &p, due);
  g_assert_cmpstr (p.label, ==, "2026-10");
  g_assert_cmpstr (due, ==, "2026-11-15");
  wt_report_next_due (WT_UNIT_CLASS_SIMPLIFIED, 1796000000000, &p, due);
  g_assert_cmpstr (p.label, ==, "2026-Q3");
  g_assert_cmpstr (due, ==, "2026-10-15");
  wt_report_next_due (WT_UNIT_CLASS_REGISTERED, 1796000000000, &p, due);
  g_assert_cmpstr (p.label, ==, "2025");
  g_assert_cmpstr (due, ==, "2026-03-31");
}

static void
test_report_sums (Fixture       *f,
                  gconstpointer  data)
{
  /* Worked by hand (grams). W1c's 100 kg was corrected to 90 kg, and the
   * corrected value is used in every period. */
  expect (f->ledger, "2026-10", "900-249-08", 0, 290000, 0, 0, 290000);
  expect (f->ledger, "2026-11", "900-249-08", 290000, 0, 0, 100000, 190000);
  expect (f->ledger, "2026-11", "900-041-49", 0, 25000, 12500, 0, 12500);
  expect (f->ledger, "2026-12", "900-249-08", 190000, 0, 0, 100000, 90000);
  expect (f->ledger, "2026-Q4", "900-249-08", 0, 290000, 0, 200000, 90000);
  expect (f->ledger, "2026-Q4", "900-041-49", 0, 25000, 12500, 0, 12500);
  expect (f->ledger, "2026", "900-249-08", 0, 290000, 0, 200000, 90000);
  expect (f->ledger, "2027-01", "900-249-08", 90000, 0, 0, 0, 90000);

  /* Sent out, by receiver, and the correction shows. */
  {
    g_autoptr(GPtrArray) rows = NULL;
    WtPeriod q4;
    const WtReportRow *r;

    wt_period_parse ("2026-Q4", &q4, NULL);
    rows = wt_ledger_report (f->ledger, &q4, NULL);
    r = row_for (rows, "900-249-08");
    g_assert_cmpuint (r->receivers->len, ==, 2);
    g_assert_cmpuint (r->corrections, ==, 1);
    /* By receiver and licence number; M2 named none. */
    for (guint i = 0; i < r->receivers->len; i++)
      {
        const WtReceiverTotal *t = g_ptr_array_index (r->receivers, i);

        g_assert_cmpint (t->grams, ==, 100000);
        g_assert_cmpuint (t->containers, ==, 1);
        if (g_strcmp0 (t->receiver, "示例处置中心") == 0)
          g_assert_cmpstr (t->licence, ==, "闽环危废证第3501000123号");
        else
          {
            g_assert_cmpstr (t->receiver, ==, "别的处置中心");
            g_assert_cmpstr (t->licence, ==, "");
          }
      }
  }

  /* A period with no data is zeros: no rows, no error. */
  {
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GError) error = NULL;
    WtPeriod p;

    wt_period_parse ("2025-03", &p, NULL);
    rows = wt_ledger_report (f->ledger, &p, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, ==, 0);
  }
}

static void
test_time_zones (void)
{
  /* The pickup at 2026-10-31 17:30 UTC is November in Shanghai and October
   * in London: the same ledger gives each office its own month. */
  const char *argv[] = { NULL };

  (void) argv;
  if (g_test_subprocess ())
    {
      Fixture f = { 0 };

      fixture_setup (&f, NULL);
      expect (f.ledger, "2026-10", "900-249-08", 0, 290000, 0, 100000, 190000);
      expect (f.ledger, "2026-11", "900-249-08", 190000, 0, 0, 0, 190000);
      fixture_teardown (&f, NULL);
      return;
    }

  g_setenv ("TZ", "Europe/London", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_setenv ("TZ", "Asia/Shanghai", TRUE);
  g_test_trap_assert_passed ();
}

static gboolean
table_has (WtTable    *t,
           guint       col,
           const char *value)
{
  for (guint i = 0; i < t->rows->len; i++)
    if (g_strcmp0 (((char **) t->rows->pdata[i])[col], value) == 0)
      return TRUE;
  return FALSE;
}

static void
test_tables (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtTable) produced = wt_ledger_table (f->ledger, WT_TABLE_PRODUCED, NULL, &error);
  g_autoptr(WtTable) stored = wt_ledger_table (f->ledger, WT_TABLE_STORED, NULL, &error);
  g_autoptr(WtTable) shipped = wt_ledger_table (f->ledger, WT_TABLE_SHIPPED, NULL, &error);
  g_autoptr(WtTable) self = wt_ledger_table (f->ledger, WT_TABLE_SELF_TREATED, NULL, &error);
  g_autoptr(WtTable) out = wt_ledger_table (f->ledger, WT_TABLE_OUTSOURCED, NULL, &error);
  g_autoptr(WtTable) nov = NULL;
  WtPeriod p;

  g_assert_no_error (error);
  g_assert_cmpuint (produced->rows->len, ==, 5);
  g_assert_true (table_has (produced, 0, "HWCS20261015001"));
  g_assert_true (table_has (produced, 0, "HWCS20261105001"));
  g_assert_true (table_has (produced, 2, "") && table_has (produced, 6, "90.000"));

  /* Each stage names the batch of the stage before it. */
  g_assert_cmpuint (stored->rows->len, ==, 2);
  g_assert_cmpstr (((char **) stored->rows->pdata[0])[0], ==, "HWRK20261020001");
  g_assert_cmpstr (((char **) stored->rows->pdata[1])[0], ==, "HWRK20261020001");
  g_assert_cmpstr (((char **) stored->rows->pdata[0])[13], ==, "HWCS20261015001");

  g_assert_cmpuint (shipped->rows->len, ==, 2);
  g_assert_cmpstr (((char **) shipped->rows->pdata[0])[0], ==, "HWCK20261101001");
  g_assert_cmpstr (((char **) shipped->rows->pdata[1])[0], ==, "HWCK20261202001");
  g_assert_cmpstr (((char **) shipped->rows->pdata[0])[13], ==, "HWRK20261020001");

  g_assert_cmpuint (self->rows->len, ==, 1);
  g_assert_cmpstr (((char **) self->rows->pdata[0])[0], ==, "HWZXCZ20261110001");
  g_assert_cmpstr (((char **) self->rows->pdata[0])[13], ==, "HWCS20261105001");

  g_assert_cmpuint (out->rows->len, ==, 2);
  g_assert_true (g_str_has_prefix (((char **) out->rows->pdata[0])[0], "HWWWCZ2026110100"));
  g_assert_cmpstr (((char **) out->rows->pdata[0])[15], ==, "HWCK20261101001");

  /* The receiver's licence number, where the manifest gave one. */
  g_assert_cmpstr (shipped->headers[15], ==, "许可证编码");
  g_assert_cmpstr (((char **) shipped->rows->pdata[0])[14], ==, "示例处置中心");
  g_assert_cmpstr (((char **) shipped->rows->pdata[0])[15], ==, "闽环危废证第3501000123号");
  g_assert_cmpstr (((char **) shipped->rows->pdata[1])[15], ==, "");
  g_assert_cmpstr (out->headers[14], ==, "许可证编码");
  g_assert_cmpstr (((char **) out->rows->pdata[0])[14], ==, "闽环危废证第3501000123号");
  g_assert_cmpstr (((char **) out->rows->pdata[1])[14], ==, "");

  wt_period_parse ("2026-11", &p, NULL);
  nov = wt_ledger_table (f->ledger, WT_TABLE_SHIPPED, &p, &error);
  g_assert_cmpuint (nov->rows->len, ==, 1);
}

static void
test_overdue (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GDateTime) later = g_date_time_new_from_iso8601 ("2027-10-20T12:00:00+08:00", NULL);
  g_autoptr(GDateTime) earlier = g_date_time_new_from_iso8601 ("2027-09-01T12:00:00+08:00", NULL);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) error = NULL;
  WtOverdue *o;

  g_assert_cmpuint (wt_ledger_get_overdue_limit (f->ledger), ==, 365);
  g_assert_cmpuint (wt_ledger_get_overdue_warn (f->ledger), ==, 30);

  list = wt_ledger_overdue (f->ledger, 365, 30, g_date_time_to_unix (later) * 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  o = list->pdata[0];
  g_assert_cmpstr (o->container->code, ==, f->w1->codes[2]);
  g_assert_cmpuint (o->age_days, ==, 370);
  g_assert_true (o->overdue);
  o = list->pdata[1];
  g_assert_cmpstr (o->container->code, ==, f->w2->codes[1]);
  g_assert_cmpuint (o->age_days, ==, 349);
  g_assert_false (o->overdue);

  none = wt_ledger_overdue (f->ledger, 365, 30, g_date_time_to_unix (earlier) * 1000, &error);
  g_assert_cmpuint (none->len, ==, 0);

  g_assert_true (wt_ledger_set_setting (f->ledger, "overdue-limit-days", "180", &error));
  g_assert_cmpuint (wt_ledger_get_overdue_limit (f->ledger), ==, 180);
  g_assert_false (wt_ledger_set_setting (f->ledger, "overdue-limit-days", "-3", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
}

static void
test_corrections (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = wt_ledger_container_events (f->ledger, f->w1->codes[2], NULL);
  g_autoptr(WtContainer) c = wt_ledger_get_container (f->ledger, f->w1->codes[2], NULL);

  /* The old event stays; a correction event names it. */
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((WtEvent *) events->pdata[1])->kind, ==, "correction");
  g_assert_nonnull (strstr (((WtEvent *) events->pdata[1])->payload, f->corrected_event));
  g_assert_cmpfloat (c->weight_kg, ==, 90);

  g_assert_false (wt_ledger_correct (f->ledger, f->corrected_event, 80, NULL, "", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wt_ledger_correct (f->ledger, "not-an-id", 80, NULL, "x", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wt_ledger_correct (f->ledger, "01a22a70-1821-74e8-9cbb-954c89dbfaa4", 80, NULL, "x", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (wt_ledger_verify (f->ledger, NULL, NULL));
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, FALSE, NULL, NULL), ==, 0);
}

static void
test_projection_repair (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = g_strdup (wt_ledger_get_path (f->ledger));
  g_auto(GStrv) codes = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  /* Someone edits the projection table behind the ledger's back. */
  g_clear_object (&f->ledger);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE container SET weight_kg = 1 WHERE weight_kg = 90", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  f->ledger = wt_ledger_open (path, NULL);

  g_assert_cmpint (wt_ledger_check_projections (f->ledger, TRUE, &codes, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (codes[0], ==, f->w1->codes[2]);
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, FALSE, NULL, NULL), ==, 0);
  expect (f->ledger, "2026-10", "900-249-08", 0, 290000, 0, 0, 290000);
}

/* The left-the-site projection (schema v4) edited behind the ledger's back:
 * the report would count W1a as still in stock; verify's check finds it,
 * rebuilds it from the events, and the hand-computed figures are back. */
static void
test_projection_out_repair (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = g_strdup (wt_ledger_get_path (f->ledger));
  g_autofree char *sql = NULL;
  g_auto(GStrv) codes = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  g_clear_object (&f->ledger);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("UPDATE container SET out_ms = NULL, out_kind = NULL WHERE code = '%s';"
                         "UPDATE container SET out_kind = 'out' WHERE code = '%s'",
                         f->w1->codes[0], f->w2->codes[0]);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  f->ledger = wt_ledger_open (path, &error);
  g_assert_no_error (error);

  /* The damage shows in the figures... */
  expect (f->ledger, "2026-11", "900-249-08", 290000, 0, 0, 0, 290000);
  expect (f->ledger, "2026-11", "900-041-49", 0, 25000, 0, 12500, 12500);

  /* ...and is found, named and rebuilt. */
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, TRUE, &codes, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) codes, f->w1->codes[0]));
  g_assert_true (g_strv_contains ((const char * const *) codes, f->w2->codes[0]));
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, FALSE, NULL, NULL), ==, 0);
  expect (f->ledger, "2026-11", "900-249-08", 290000, 0, 0, 100000, 190000);
  expect (f->ledger, "2026-11", "900-041-49", 0, 25000, 12500, 0, 12500);
}

/* A ledger written by format 3 (before the report projection and the
 * signed chain head) opens, is upgraded in place, verifies, and gives every
 * figure it gave before. The v3 file is made by taking the v4, v5 and v6
 * changes back out of the fixture's file. */
static void
test_upgrade_v3 (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_strdup (wt_ledger_get_path (f->ledger));
  g_autoptr(GError) error = NULL;
  gint64 n_events = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt;

  g_clear_object (&f->ledger);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "DROP TRIGGER event_takes_out;"
                                 "DROP TRIGGER container_takes_out;"
                                 /* Format 6 split the event table in three behind a view. */
                                 "CREATE TABLE event_v1("
                                 "  id INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE,"
                                 "  device_id TEXT NOT NULL, device_seq INTEGER NOT NULL, site_id TEXT NOT NULL,"
                                 "  container_code TEXT NOT NULL, kind TEXT NOT NULL, prev_custody BLOB,"
                                 "  actor TEXT NOT NULL, wall_ms INTEGER NOT NULL, hlc INTEGER NOT NULL,"
                                 "  payload TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL,"
                                 "  sig BLOB NOT NULL, UNIQUE (device_id, device_seq)) STRICT;"
                                 "INSERT INTO event_v1 SELECT id, event_id, device_id, device_seq, site_id,"
                                 "  container_code, kind, prev_custody, actor, wall_ms, hlc, payload,"
                                 "  prev_hash, hash, sig FROM event;"
                                 "DROP VIEW event;"
                                 "DROP TABLE event_row;"  /* and event_corrections with it */
                                 "DROP TABLE device_ref;"
                                 "DROP TABLE container_ref;"
                                 "ALTER TABLE event_v1 RENAME TO event;"
                                 "CREATE INDEX event_by_container ON event (container_code, hlc);"
                                 "CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
                                 "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
                                 "CREATE TRIGGER event_no_delete BEFORE DELETE ON event"
                                 "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
                                 "CREATE TABLE manifest_item_v2("
                                 "  manifest_id TEXT NOT NULL, code TEXT NOT NULL,"
                                 "  expected INTEGER NOT NULL DEFAULT 0, scans INTEGER NOT NULL DEFAULT 0,"
                                 "  status TEXT NOT NULL DEFAULT 'ok', waste_code TEXT NOT NULL DEFAULT '',"
                                 "  expected_kg REAL, weight_kg REAL, reject INTEGER NOT NULL DEFAULT 0,"
                                 "  reason TEXT, payload TEXT, PRIMARY KEY (manifest_id, code)) STRICT;"
                                 "INSERT INTO manifest_item_v2 SELECT * FROM manifest_item;"
                                 "DROP TABLE manifest_item;"
                                 "ALTER TABLE manifest_item_v2 RENAME TO manifest_item;"
                                 "DROP INDEX container_by_out;"
                                 "DROP INDEX container_by_day;"
                                 "ALTER TABLE container DROP COLUMN out_ms;"
                                 "ALTER TABLE container DROP COLUMN out_kind;"
                                 "ALTER TABLE manifest DROP COLUMN receiver_licence;"
                                 "ALTER TABLE chain_head DROP COLUMN sig_digest;"
                                 "ALTER TABLE chain_head DROP COLUMN head_sig;"
                                 /* Format 3 kept a copy of the label in each row. */
                                 "UPDATE container SET label = (SELECT payload FROM event e"
                                 "  WHERE e.container_code = container.code AND e.kind = 'labelled') WHERE label = '';"
                                 "CREATE INDEX event_by_device ON event (device_id, device_seq);"
                                 "PRAGMA user_version = 3;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  f->ledger = wt_ledger_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_verify (f->ledger, &n_events, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n_events, ==, wt_ledger_count_events (f->ledger));
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, FALSE, NULL, NULL), ==, 0);

  expect (f->ledger, "2026-10", "900-249-08", 0, 290000, 0, 0, 290000);
  expect (f->ledger, "2026-11", "900-249-08", 290000, 0, 0, 100000, 190000);
  expect (f->ledger, "2026-11", "900-041-49", 0, 25000, 12500, 0, 12500);
  expect (f->ledger, "2026-12", "900-249-08", 190000, 0, 0, 100000, 90000);
  expect (f->ledger, "2026-Q4", "900-249-08", 0, 290000, 0, 200000, 90000);
  expect (f->ledger, "2027-01", "900-249-08", 90000, 0, 0, 0, 90000);

  /* The file says the current format now; the verify that checked every
   * signature one by one signed the chain's head, so the next verify can
   * take the head's word; new shipments keep the projection. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, WT_LEDGER_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM chain_head WHERE length (sig_digest) = 32"
                                           " AND length (head_sig) = 64", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  /* The events moved behind the view, each one once. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM event_row", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, n_events);
  sqlite3_finalize (stmt);
  /* And the label copies were dropped: each label is stored once. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM container WHERE label <> ''", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* The label, now read from the labelled event instead of a copy, says
   * what it said, and the tables still show it. */
  {
    g_autoptr(WtContainer) c = wt_ledger_get_container (f->ledger, f->w1->codes[1], &error);
    g_autoptr(WtTable) produced = wt_ledger_table (f->ledger, WT_TABLE_PRODUCED, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (c->content->container_type, ==, "钢桶");
    g_assert_cmpstr (c->content->waste_code, ==, "900-249-08");
    g_assert_cmpstr (((char **) produced->rows->pdata[0])[9], ==, "钢桶");
  }

  at (f->ledger, "2027-01-10T10:00:00+08:00");
  g_assert_true (wt_ledger_treat (f->ledger, "D10", (const char *[]) { f->w1->codes[2], NULL }, &error));
  g_assert_no_error (error);
  expect (f->ledger, "2027-01", "900-249-08", 90000, 0, 90000, 0, 0);
  g_assert_cmpint (wt_ledger_check_projections (f->ledger, FALSE, NULL, NULL), ==, 0);
  g_assert_true (wt_ledger_verify (f->ledger, NULL, &error));
  g_assert_no_error (error);
}

static char *
run (const char *cmd)
{
  g_autofree char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
  return g_steal_pointer (&out);
}

static void
check_pdf_layout (const WtTable *table)
{
  guint n = g_strv_length (table->headers);
  g_autofree double *widths = g_new0 (double, n);
  g_autofree double *natural = g_new0 (double, n);
  double font = 0, total = 0;
  gboolean landscape = FALSE;

  wt_table_pdf_layout (table, &font, &landscape, widths, natural);
  g_assert_cmpfloat (font, >=, 5.5);
  for (guint i = 0; i < n; i++)
    {
      gboolean words = FALSE;

      for (guint r = 0; r < table->rows->len; r++)
        {
          const char *cell = ((char **) g_ptr_array_index (table->rows, r))[i];

          for (const char *p = cell; *p && !words; p = g_utf8_next_char (p))
            words = g_unichar_iswide (g_utf8_get_char (p));
        }
      if (!words)
        g_assert_cmpfloat (widths[i], >=, natural[i] - 0.01);
      total += widths[i];
    }
  /* The columns fill the page between its 36 pt margins. */
  g_assert_cmpfloat (fabs (total - ((landscape ? 841.89 : 595.28) - 72)), <, 0.5);
}

static void
test_exports (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(WtTable) table = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = g_build_filename (f->dir, "r.csv", NULL);
  g_autofree char *xlsx = g_build_filename (f->dir, "r.xlsx", NULL);
  g_autofree char *pdf = g_build_filename (f->dir, "r.pdf", NULL);
  g_autofree char *contents = NULL;
  WtPeriod p;

  wt_period_parse ("2026-11", &p, NULL);
  rows = wt_ledger_report (f->ledger, &p, NULL);
  table = wt_report_to_table (rows, &p);

  /* CSV: a BOM, the exact header, and the rows read back equal the report. */
  g_assert_true (wt_table_export (table, WT_EXPORT_CSV, "示例化工", "2026-11", csv, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "\xEF\xBB\xBF" "waste_code,waste_name,opening_t,generated_t,self_treated_t,sent_out_t,closing_t\r\n"));
  g_assert_nonnull (strstr (contents, "900-249-08,"));
  g_assert_nonnull (strstr (contents, ",0.290000,0.000000,0.000000,0.100000,0.190000\r\n"));
  g_assert_nonnull (strstr (contents, ",0.000000,0.025000,0.012500,0.000000,0.012500\r\n"));

  /* XLSX, read back with openpyxl (Debian's python3-openpyxl). */
  g_assert_true (wt_table_export (table, WT_EXPORT_XLSX, "示例化工", "2026-11", xlsx, NULL, &error));
  g_assert_no_error (error);
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) &&
      system ("/usr/bin/python3 -c 'import openpyxl' 2>/dev/null") == 0)
    {
      g_autofree char *cmd = g_strdup_printf ("/usr/bin/python3 -c \"import openpyxl,sys; ws=openpyxl.load_workbook(sys.argv[1]).active;"
                                              " print('|'.join(str(c) for r in ws.iter_rows(values_only=True) for c in r if c is not None))\" '%s'",
                                              xlsx);
      g_autofree char *out = run (cmd);

      g_assert_nonnull (strstr (out, "900-249-08|"));
      g_assert_nonnull (strstr (out, "|0.29|0|0|0.1|0.19|"));
      g_assert_nonnull (strstr (out, "示例化工"));
      g_assert_nonnull (strstr (out, "闽环危废证第3501000123号"));
    }
  else
    g_test_message ("python3-openpyxl is missing; the XLSX file was only written");

  /* PDF: the text is there. */
  g_assert_true (wt_table_export (table, WT_EXPORT_PDF, "示例化工", "2026-11", pdf, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *cmd = g_strdup_printf ("pdftotext '%s' -", pdf);
    g_autofree char *out = run (cmd);

    g_assert_nonnull (strstr (out, "示例化工"));
    g_assert_nonnull (strstr (out, "900-249-08"));
    /* Kilograms on the page; every gram in the CSV above. */
    g_assert_nonnull (strstr (out, "0.190\n"));
    g_assert_null (strstr (out, "0.190000"));
    g_assert_nonnull (strstr (out, "0.0125\n"));
    g_assert_nonnull (strstr (out, "3501000123"));
  }

  /* Printed whole: the waste codes and the tonnes (pdftotext reads a cut
   * cell's whole text, so the layout itself is checked). Names, in Chinese,
   * are what gives way, and only on a page too narrow for them. */
  check_pdf_layout (table);
  {
    g_autoptr(WtTable) b1 = wt_ledger_table (f->ledger, WT_TABLE_PRODUCED, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (b1->rows->len, >, 0);
    check_pdf_layout (b1);
  }

  /* An unwritable path: an error, and nothing left. */
  g_assert_false (wt_table_export (table, WT_EXPORT_CSV, "x", "y", "/nonexistent/folder/r.csv", NULL, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (wt_table_export (table, WT_EXPORT_XLSX, "x", "y", "/nonexistent/folder/r.xlsx", NULL, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_IO);
}

static void
test_browse (Fixture       *f,
             gconstpointer  data)
{
  WtContainerFilter filter;
  g_autoptr(GPtrArray) page = NULL;

  wt_container_filter_init (&filter);
  g_assert_cmpint (wt_ledger_count_matching (f->ledger, &filter, NULL), ==, 5);
  filter.waste_code = "900-041-49";
  g_assert_cmpint (wt_ledger_count_matching (f->ledger, &filter, NULL), ==, 2);
  filter.state = WT_CONTAINER_TREATED;
  g_assert_cmpint (wt_ledger_count_matching (f->ledger, &filter, NULL), ==, 1);
  wt_container_filter_init (&filter);
  filter.facility = "TS001";
  g_assert_cmpint (wt_ledger_count_matching (f->ledger, &filter, NULL), ==, 0); /* both left storage */
  wt_container_filter_init (&filter);
  filter.text = f->w1->codes[1];
  page = wt_ledger_query_containers (f->ledger, &filter, 0, 10, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  wt_container_filter_init (&filter);
  filter.from_date = "2026-11-01";
  g_assert_cmpint (wt_ledger_count_matching (f->ledger, &filter, NULL), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  /* Reports follow the local time zone; the scripted history is in China. */
  if (g_getenv ("TZ") == NULL)
    g_setenv ("TZ", "Asia/Shanghai", TRUE);
  tzset ();

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/report/periods", test_periods);
  g_test_add_func ("/report/format-tonnes", test_format_tonnes);
  ADD ("/report/sums", test_report_sums);
  g_test_add_func ("/report/time-zones", test_time_zones);
  ADD ("/report/tables", test_tables);
  ADD ("/report/overdue", test_overdue);
  ADD ("/report/corrections", test_corrections);
  ADD ("/report/projection-repair", test_projection_repair);
  ADD ("/report/projection-out-repair", test_projection_out_repair);
  ADD ("/report/upgrade-v3", test_upgrade_v3);
  ADD ("/report/exports", test_exports);
  ADD ("/report/browse", test_browse);
#undef ADD

  return g_test_run ();
}
