/* test-ledger.c: the append-only ledger, its chain, and its refusals.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "wt-catalogue.h"
#include "wt-error.h"
#include "wt-handover.h"
#include "wt-hazard.h"
#include "wt-ledger.h"

typedef struct
{
  char *dir;
  char *path;
  WtLedger *ledger;
} Fixture;

static WtSite *
make_site (char slot)
{
  WtSite *site = wt_site_new ();

  g_free (site->name);
  site->name = g_strdup ("测试化工有限公司");
  g_free (site->uscc);
  site->uscc = g_strdup ("91350100M000100Y43");
  g_free (site->contact);
  site->contact = g_strdup ("张三");
  site->device_slot = slot;
  return site;
}

static WtLabelContent *
make_content (const char *code)
{
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), code);
  WtLabelContent *c = wt_label_content_new ();

  g_assert_nonnull (w);
  wt_label_content_set (c, &c->waste_name, w->description);
  wt_label_content_set (c, &c->category, w->category);
  wt_label_content_set (c, &c->waste_code, w->code);
  wt_label_content_set (c, &c->date, "2026-11-30");
  wt_label_content_set (c, &c->form, "液态");
  c->hazards = w->hazards;
  return c;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(WtSite) site = make_site ('A');
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "ledger.wtl", NULL);
  f->ledger = wt_ledger_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_init_site (f->ledger, site, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_object (&f->ledger);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->path);
  g_free (f->dir);
}

static WtPrintJob *
print_batch (WtLedger   *ledger,
             const char *code,
             guint       n,
             double      weight)
{
  g_autoptr(WtLabelContent) c = make_content (code);
  g_autoptr(GError) error = NULL;
  WtLabelOptions options;
  WtPrintJob *job;

  wt_label_options_init (&options);
  job = wt_ledger_reserve (ledger, c, n, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_commit_job (ledger, job, c, &options, weight, &error));
  g_assert_no_error (error);
  return job;
}

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  return db;
}

static void
test_site (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(WtSite) site = NULL;
  g_autoptr(WtSite) again = make_site ('A');
  g_autoptr(GError) error = NULL;

  g_assert_true (wt_ledger_has_site (f->ledger));
  site = wt_ledger_dup_site (f->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (site->name, ==, "测试化工有限公司");
  g_assert_cmpstr (site->uscc, ==, "91350100M000100Y43");
  g_assert_cmpint (site->device_slot, ==, 'A');
  g_assert_cmpuint (strlen (site->public_key), ==, 64);
  g_assert_cmpuint (strlen (site->device_id), ==, 36);

  /* The key is the device's own, in a 0600 file beside the ledger. */
  {
    g_autofree char *key = g_strconcat (f->path, ".key", NULL);
    GStatBuf st;

    g_assert_cmpint (g_stat (key, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  g_assert_false (wt_ledger_init_site (f->ledger, again, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_SITE_EXISTS);
}

static void
test_bad_site (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "l.wtl", NULL);
  g_autoptr(WtLedger) ledger = wt_ledger_open (path, NULL);
  g_autoptr(WtSite) site = make_site ('A');
  g_autoptr(GError) error = NULL;

  g_free (site->uscc);
  site->uscc = g_strdup ("91350100M000100Y44");
  g_assert_false (wt_ledger_init_site (ledger, site, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_assert_false (wt_ledger_has_site (ledger));
  g_clear_error (&error);

  site->uscc[17] = '3';
  site->device_slot = 'O';
  g_assert_false (wt_ledger_init_site (ledger, site, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_assert_false (wt_ledger_has_site (ledger));
}

static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 25, 180);
  g_autoptr(WtContainer) c = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  gint64 n = 0;

  g_assert_cmpint (wt_ledger_count_containers (f->ledger), ==, 25);
  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 25);

  c = wt_ledger_get_container (f->ledger, job->codes[3], &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->waste_code, ==, "900-249-08");
  g_assert_cmpfloat (c->weight_kg, ==, 180);
  g_assert_cmpint (c->state, ==, WT_CONTAINER_LABELLED);
  g_assert_cmpstr (c->content->form, ==, "液态");

  events = wt_ledger_container_events (f->ledger, job->codes[3], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((WtEvent *) events->pdata[0])->kind, ==, "labelled");

  g_assert_true (wt_ledger_verify (f->ledger, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 25);

  /* Every payload names its own container. */
  for (guint i = 0; i < job->n_containers; i++)
    {
      g_autoptr(WtPayload) p = wt_payload_parse (job->payloads[i], -1, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (p->container_code, ==, job->codes[i]);
    }
}

static void
test_abandon_burns_codes (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(WtLabelContent) c = make_content ("900-249-08");
  g_autoptr(WtPrintJob) job = NULL;
  g_autoptr(WtPrintJob) next = NULL;
  g_autoptr(GError) error = NULL;

  job = wt_ledger_reserve (f->ledger, c, 5, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_abandon_job (f->ledger, job, "printer jammed", &error));
  g_assert_cmpint (wt_ledger_count_containers (f->ledger), ==, 0);
  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 0);

  /* A cancelled job registers nothing and its codes are never reused. */
  next = print_batch (f->ledger, "900-249-08", 5, -1);
  for (guint i = 0; i < 5; i++)
    for (guint k = 0; k < 5; k++)
      g_assert_cmpstr (next->codes[i], !=, job->codes[k]);

  /* A job is registered once. */
  {
    WtLabelOptions options;

    wt_label_options_init (&options);
    g_assert_false (wt_ledger_commit_job (f->ledger, job, c, &options, 1, &error));
    g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  }
}

static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(WtLabelContent) c = make_content ("900-249-08");
  g_autoptr(WtLabelContent) unknown = make_content ("900-249-08");
  g_autoptr(GError) error = NULL;
  WtPrintJob *job;

  job = wt_ledger_reserve (f->ledger, c, 0, &error);
  g_assert_null (job);
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  job = wt_ledger_reserve (f->ledger, c, 10001, &error);
  g_assert_null (job);
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  wt_label_content_set (unknown, &unknown->waste_code, "999-999-99");
  job = wt_ledger_reserve (f->ledger, unknown, 1, &error);
  g_assert_null (job);
  g_assert_error (error, WT_ERROR, WT_ERROR_UNKNOWN_WASTE);
  g_clear_error (&error);

  wt_label_content_set (c, &c->date, "2026-02-30");
  job = wt_ledger_reserve (f->ledger, c, 1, &error);
  g_assert_null (job);
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);

  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 0);
}

static void
test_capacity (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "l.wtl", NULL);
  g_autoptr(WtLedger) ledger = wt_ledger_open (path, NULL);
  g_autoptr(WtSite) site = make_site ('A');
  g_autoptr(WtLabelContent) c = make_content ("900-249-08");
  g_autoptr(WtPrintJob) job = NULL;
  g_autoptr(WtPrintJob) over = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (wt_code_split_parse ("19+8+8+2", &site->split, NULL));
  g_assert_true (wt_ledger_init_site (ledger, site, &error));
  job = wt_ledger_reserve (ledger, c, 30, &error);
  g_assert_no_error (error);
  over = wt_ledger_reserve (ledger, c, 5, &error);
  g_assert_null (over);
  g_assert_error (error, WT_ERROR, WT_ERROR_CAPACITY);
}

static void
test_two_devices (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  g_autofree char *pa = g_build_filename (dir, "a.wtl", NULL);
  g_autofree char *pb = g_build_filename (dir, "b.wtl", NULL);
  g_autoptr(WtLedger) a = wt_ledger_open (pa, NULL);
  g_autoptr(WtLedger) b = wt_ledger_open (pb, NULL);
  g_autoptr(WtSite) sa = make_site ('A');
  g_autoptr(WtSite) sb = make_site ('B');
  g_autoptr(WtPrintJob) ja = NULL;
  g_autoptr(WtPrintJob) jb = NULL;

  g_assert_true (wt_ledger_init_site (a, sa, NULL));
  g_assert_true (wt_ledger_init_site (b, sb, NULL));
  ja = print_batch (a, "900-249-08", 200, -1);
  jb = print_batch (b, "900-249-08", 200, -1);

  for (guint i = 0; i < 200; i++)
    for (guint k = 0; k < 200; k++)
      g_assert_cmpstr (ja->codes[i], !=, jb->codes[k]);
}

static void
test_relabel_void (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-041-49", 2, 12);
  g_autoptr(WtContainer) c = NULL;
  g_autoptr(WtContainer) v = NULL;
  g_autoptr(WtPayload) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *again = NULL;
  guint reprint = 0;

  payload = wt_ledger_relabel (f->ledger, job->codes[0], "label torn", &reprint, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reprint, ==, 1);
  p = wt_payload_parse (payload, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p->reprint, ==, 1);
  g_assert_cmpstr (p->container_code, ==, job->codes[0]);

  c = wt_ledger_get_container (f->ledger, job->codes[0], NULL);
  g_assert_cmpuint (c->reprints, ==, 1);

  g_assert_false (wt_ledger_void (f->ledger, job->codes[1], "  ", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_true (wt_ledger_void (f->ledger, job->codes[1], "printed by mistake", &error));
  g_assert_no_error (error);
  v = wt_ledger_get_container (f->ledger, job->codes[1], NULL);
  g_assert_cmpint (v->state, ==, WT_CONTAINER_VOIDED);
  g_assert_cmpstr (v->void_reason, ==, "printed by mistake");

  g_assert_false (wt_ledger_void (f->ledger, job->codes[1], "again", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_clear_error (&error);

  again = wt_ledger_relabel (f->ledger, job->codes[1], "torn", NULL, &error);
  g_assert_null (again);
  g_assert_error (error, WT_ERROR, WT_ERROR_STATE);
  g_clear_error (&error);

  g_assert_false (wt_ledger_void (f->ledger, "NOSUCHCODE", "x", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_NOT_FOUND);

  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 4);
  g_assert_true (wt_ledger_verify (f->ledger, NULL, NULL));
}

static void
test_append_only (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 3, 100);
  sqlite3 *db = raw_open (f->path);

  g_assert_cmpint (sqlite3_exec (db, "UPDATE event SET payload = '{}'", NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_nonnull (strstr (sqlite3_errmsg (db), "append-only"));
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM event", NULL, NULL, NULL), !=, SQLITE_OK);
  /* The rows behind the view refuse as well. */
  g_assert_cmpint (sqlite3_exec (db, "UPDATE event_row SET actor = 'x'", NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_nonnull (strstr (sqlite3_errmsg (db), "append-only"));
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM event_row", NULL, NULL, NULL), !=, SQLITE_OK);
  /* And so do the numbers every event stands on. */
  g_assert_cmpint (sqlite3_exec (db, "UPDATE device_ref SET no = 9", NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM container_ref", NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE container_ref SET code = 'x'", NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);

  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 3);
}

/* Tampers with the file around the triggers, as an attacker with the file
 * would, then checks that verify names the event. The rows are in
 * `event_row`, behind the `event` view; a row whose payload repeats the one
 * before it stores none (`same_as`), so a changed payload is written as the
 * row's own, which is what an editor showing the view would do. */
#define ROW_PAYLOAD "coalesce (payload, (SELECT s.payload FROM event_row s WHERE s.id = event_row.same_as))"
static void
tamper_and_verify (Fixture    *f,
                   const char *sql,
                   const char *expect)
{
  g_autoptr(WtLedger) again = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;
  char *errmsg = NULL;

  g_clear_object (&f->ledger);
  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "DROP TRIGGER event_no_update; DROP TRIGGER event_no_delete;", NULL, NULL, NULL), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("%s: %s", sql, errmsg);
  sqlite3_close (db);

  again = wt_ledger_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_false (wt_ledger_verify (again, NULL, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_TAMPERED);
  if (strstr (error->message, expect) == NULL)
    g_error ("“%s” does not name “%s”", error->message, expect);
}

static void
test_tamper_changed (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f, "UPDATE event_row SET payload = replace (" ROW_PAYLOAD ", '100', '10') WHERE seq = 3",
                     "sequence 3) was altered");
}

static void
test_tamper_deleted (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f, "DELETE FROM event_row WHERE seq = 2", "event 2 of this device is missing");
}

static void
test_tamper_deleted_tail (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f, "DELETE FROM event_row WHERE seq = 5", "events were removed");
}

static void
test_tamper_swapped (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f,
                     "UPDATE event_row SET seq = -1 WHERE seq = 2;"
                     "UPDATE event_row SET seq = 2 WHERE seq = 3;"
                     "UPDATE event_row SET seq = 3 WHERE seq = -1;",
                     "sequence 2)");
}

static void
test_tamper_resigned (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 3, 100);

  /* A valid-looking signature from another key. */
  tamper_and_verify (f, "UPDATE event_row SET sig = randomblob (64) WHERE seq = 2",
                     "is not signed by its device");
}

/* The labels of one print job share a payload, stored once (format 6);
 * the view still gives every event its whole payload. */
static void
test_shared_payload (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);
  sqlite3 *db = raw_open (f->path);
  sqlite3_stmt *stmt;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT (SELECT count(*) FROM event_row WHERE payload IS NULL),"
                                           " (SELECT count(*) FROM event WHERE payload LIKE '%\"weight_kg\":100%'),"
                                           " (SELECT count(DISTINCT payload) FROM event)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
  g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, 5);
  g_assert_cmpint (sqlite3_column_int (stmt, 2), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_true (wt_ledger_verify (f->ledger, NULL, NULL));
}

/* The one stored copy of a shared payload changed: the first event that
 * carries it is named. */
static void
test_tamper_shared (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f, "UPDATE event_row SET payload = replace (payload, '100', '10') WHERE seq = 1",
                     "sequence 1) was altered");
}

/* A row slipped in with a device number that points nowhere: the view
 * does not show it, so verify must name it, and the container's label must
 * not be read from it. No trigger needs dropping for this. */
static void
test_tamper_orphan (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 3, 100);
  g_autoptr(WtContainer) before = wt_ledger_get_container (f->ledger, job->codes[1], NULL);
  g_autoptr(WtContainer) after = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = raw_open (f->path);
  g_autofree char *sql = g_strdup_printf ("INSERT INTO event_row (event_id, dev, seq, cno, kind, actor, wall_ms, hlc,"
                                          "  payload, hash, sig)"
                                          " VALUES (randomblob (16), 999, 1,"
                                          "  (SELECT no FROM container_ref WHERE code = '%s'),"
                                          "  'labelled', 'x', 0, 0, '{\"forged\":\"label\"}', x'', x'')",
                                          job->codes[1]);

  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  after = wt_ledger_get_container (f->ledger, job->codes[1], &error);
  g_assert_no_error (error);
  g_assert_nonnull (before->content);
  g_assert_nonnull (after->content);
  g_assert_cmpstr (after->content->waste_code, ==, "900-249-08");
  g_assert_cmpstr (after->content->waste_name, ==, before->content->waste_name);

  g_assert_false (wt_ledger_verify (f->ledger, NULL, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, "belongs to no device or no container"));
}

/* An event pointed at another job's payload. */
static void
test_tamper_pointer (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 3, 100);
  g_autoptr(WtPrintJob) job2 = print_batch (f->ledger, "900-249-08", 3, 120);

  tamper_and_verify (f, "UPDATE event_row SET same_as = (SELECT id FROM event_row WHERE seq = 1) WHERE seq = 5",
                     "sequence 5) was altered");
}

/* Damage in two places of a chain long enough to be checked in several
 * batches on several threads: the first one in chain order is named. */
static void
test_tamper_earliest (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 1000, 100);
  g_autoptr(WtPrintJob) job2 = print_batch (f->ledger, "900-041-49", 1000, 100);
  g_autoptr(WtPrintJob) job3 = print_batch (f->ledger, "900-003-04", 1000, 100);
  g_autoptr(WtPrintJob) job4 = print_batch (f->ledger, "900-015-13", 1000, 100);
  g_autoptr(WtPrintJob) job5 = print_batch (f->ledger, "251-002-08", 1000, 100);

  tamper_and_verify (f,
                     "UPDATE event_row SET payload = replace (" ROW_PAYLOAD ", '100', '10') WHERE seq = 4700;"
                     "UPDATE event_row SET sig = randomblob (64) WHERE seq = 2500;",
                     "sequence 2500) is not signed");
}

/* The signed chain head is checked too: a head changed in the file, with
 * every event intact, is named as such; a head cut back to match deleted
 * rows cannot be re-signed without the key. */
static void
test_tamper_head (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f, "UPDATE chain_head SET head_sig = randomblob (64)",
                     "signed head of this device’s chain does not match");
}

static void
test_tamper_head_cut (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 5, 100);

  tamper_and_verify (f,
                     "DELETE FROM event_row WHERE seq = 5;"
                     "UPDATE chain_head SET last_seq = 4,"
                     "  last_hash = (SELECT hash FROM event_row WHERE seq = 4)",
                     "signed head of this device’s chain does not match");
}

typedef struct
{
  WtLedger *ledger;
  char     *code;
  gint64    calls;
  gboolean  recorded;
} Beside;

static void
record_beside_cb (gint64   n_checked,
                  gpointer user_data)
{
  Beside *b = user_data;
  g_autoptr(GError) error = NULL;

  b->calls++;
  /* Recording goes on while verify runs; a verify holding the ledger's
   * lock would deadlock here. */
  b->recorded = wt_ledger_weigh (b->ledger, b->code, 42.5, &error);
  g_assert_no_error (error);
}

static void
test_verify_beside_writer (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 1000, 100);
  g_autoptr(WtPrintJob) job2 = print_batch (f->ledger, "900-041-49", 1000, 100);
  g_autoptr(WtPrintJob) job3 = print_batch (f->ledger, "900-003-04", 1000, 100);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Beside b = { f->ledger, job->codes[7], 0, FALSE };
  gint64 n = 0;

  g_assert_true (wt_ledger_verify_full (f->ledger, NULL, record_beside_cb, &b, &n, &error));
  g_assert_no_error (error);
  g_assert_true (b.recorded);
  g_assert_cmpint (b.calls, >=, 1);
  /* The run saw its snapshot, the next one sees the weighing too. */
  g_assert_cmpint (n, ==, 3000);
  g_assert_cmpint (wt_ledger_count_events (f->ledger), ==, 3000 + b.calls);
  g_assert_true (wt_ledger_verify (f->ledger, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 3000 + b.calls);

  g_cancellable_cancel (cancellable);
  g_assert_false (wt_ledger_verify_full (f->ledger, cancellable, NULL, NULL, &n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_not_a_ledger (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *other = g_build_filename (dir, "other.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLedger) l1 = NULL;
  g_autoptr(WtLedger) l2 = NULL;
  sqlite3 *db;

  g_assert_true (g_file_set_contents (text, "This is not a database, just some text that is long enough to be a header.\n", -1, NULL));
  l1 = wt_ledger_open (text, &error);
  g_assert_null (l1);
  g_assert_error (error, WT_ERROR, WT_ERROR_NOT_A_LEDGER);
  g_clear_error (&error);

  db = raw_open (other);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE songs (title TEXT)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  l2 = wt_ledger_open (other, &error);
  g_assert_null (l2);
  g_assert_error (error, WT_ERROR, WT_ERROR_NOT_A_LEDGER);

  /* Nothing was added to the foreign file. */
  db = raw_open (other);
  g_assert_cmpint (sqlite3_exec (db, "SELECT * FROM event", NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_newer_ledger (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(WtLedger) again = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  g_clear_object (&f->ledger);
  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 7", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  again = wt_ledger_open (f->path, &error);
  g_assert_null (again);
  g_assert_error (error, WT_ERROR, WT_ERROR_NEWER_LEDGER);
  g_assert_nonnull (strstr (error->message, "newer version"));
}

static void
test_demo (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wt-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "l.wtl", NULL);
  g_autoptr(WtLedger) ledger = wt_ledger_open (path, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (wt_ledger_init_demo (ledger, &error));
  g_assert_no_error (error);
  g_assert_true (wt_ledger_has_site (ledger));
  g_assert_cmpint (wt_ledger_count_containers (ledger), ==, 8);
  g_assert_true (wt_ledger_verify (ledger, NULL, NULL));
}

static void
test_reopen (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(WtPrintJob) job = print_batch (f->ledger, "900-249-08", 2, 1);
  g_autoptr(WtPrintJob) job2 = NULL;
  g_autoptr(GError) error = NULL;
  gint64 n = 0;

  /* Chains continue across sessions. */
  g_clear_object (&f->ledger);
  f->ledger = wt_ledger_open (f->path, &error);
  g_assert_no_error (error);
  job2 = print_batch (f->ledger, "900-249-08", 2, 1);
  g_assert_cmpstr (job2->codes[0], !=, job->codes[0]);
  g_assert_true (wt_ledger_verify (f->ledger, &n, &error));
  g_assert_cmpint (n, ==, 4);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/ledger/site", test_site);
  g_test_add_func ("/ledger/bad-site", test_bad_site);
  ADD ("/ledger/batch", test_batch);
  ADD ("/ledger/abandon-burns-codes", test_abandon_burns_codes);
  ADD ("/ledger/refusals", test_refusals);
  g_test_add_func ("/ledger/capacity", test_capacity);
  g_test_add_func ("/ledger/two-devices", test_two_devices);
  ADD ("/ledger/relabel-void", test_relabel_void);
  ADD ("/ledger/append-only", test_append_only);
  ADD ("/ledger/tamper/changed", test_tamper_changed);
  ADD ("/ledger/tamper/deleted", test_tamper_deleted);
  ADD ("/ledger/tamper/deleted-tail", test_tamper_deleted_tail);
  ADD ("/ledger/tamper/swapped", test_tamper_swapped);
  ADD ("/ledger/tamper/resigned", test_tamper_resigned);
  ADD ("/ledger/tamper/earliest", test_tamper_earliest);
  ADD ("/ledger/tamper/head", test_tamper_head);
  ADD ("/ledger/tamper/head-cut", test_tamper_head_cut);
  ADD ("/ledger/shared-payload", test_shared_payload);
  ADD ("/ledger/tamper/shared", test_tamper_shared);
  ADD ("/ledger/tamper/pointer", test_tamper_pointer);
  ADD ("/ledger/tamper/orphan", test_tamper_orphan);
  ADD ("/ledger/verify/beside-writer", test_verify_beside_writer);
  g_test_add_func ("/ledger/not-a-ledger", test_not_a_ledger);
  ADD ("/ledger/newer", test_newer_ledger);
  g_test_add_func ("/ledger/demo", test_demo);
  ADD ("/ledger/reopen", test_reopen);
#undef ADD

  return g_test_run ();
}
