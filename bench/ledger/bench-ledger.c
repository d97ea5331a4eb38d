/* bench-ledger.c: the ledger at a million events.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a ledger through the core API (about 200,000 containers across 40
 * waste codes over three years: labelled, stored, moved between two
 * facilities and back, then mostly shipped under manifests, some treated on
 * site, a few still in storage), then measures what a person waits for:
 * recording one scan event durably, a lookup, a timeline, the monthly
 * report, the overdue list and a full verify; and, for comparison, the same
 * monthly report written naively in plain SQL over `event` on the same file.
 * Prints "name: value" lines that run.sh turns into a table.
 *
 * Usage: bench-ledger [--containers N] [--keep PATH] [--reuse PATH]
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "wt-catalogue.h"
#include "wt-handover.h"
#include "wt-ledger.h"
#include "wt-report.h"

static const char *waste_codes[] = {
  "193-002-21", "251-002-08", "251-016-50", "252-010-11", "261-012-11", "261-023-11", "261-034-11",
  "261-051-29", "261-063-37", "261-079-45", "261-102-11", "261-114-11", "261-125-11", "261-136-11",
  "261-157-50", "261-168-50", "261-179-50", "263-007-04", "264-006-12", "265-003-29", "267-001-15",
  "272-003-02", "276-002-02", "309-001-49", "321-007-48", "321-019-48", "321-030-29", "336-004-07",
  "336-058-17", "336-100-17", "384-003-29", "398-007-34", "772-005-18", "900-003-04", "900-015-13",
  "900-027-33", "900-044-49", "900-203-08", "900-219-08", "900-249-08",
};
#define N_CODES G_N_ELEMENTS (waste_codes)
#define DAYS    1095   /* three years */
#define STEP    5      /* a label day every five days */

typedef struct
{
  int     day;         /* days before today */
  char  **codes;
} Batch;

static gint64
local_ms (int days_before,
          int hour)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) day = g_date_time_add_days (now, -days_before);
  g_autoptr(GDateTime) at = g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day),
                                                   g_date_time_get_day_of_month (day), hour, 0, 0);

  return g_date_time_to_unix (at) * 1000;
}

static void
die_on (GError *error,
        const char *what)
{
  if (error != NULL)
    {
      g_printerr ("bench-ledger: %s: %s\n", what, error->message);
      exit (1);
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Percentile of µs samples, in ms. */
static double
percentile (GArray *samples,
            double  p)
{
  guint i;

  g_array_sort (samples, compare_gint64);
  i = (guint) MIN (samples->len - 1, floor (p * (samples->len - 1) + 0.5));
  return g_array_index (samples, gint64, i) / 1000.0;
}

static void
fill_content (WtLabelContent *c,
              const WtSite   *site,
              const char     *waste_code,
              const char     *date)
{
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), waste_code);

  if (w == NULL)
    {
      g_printerr ("bench-ledger: %s is not in the catalogue\n", waste_code);
      exit (1);
    }
  wt_label_content_set (c, &c->waste_name, w->description);
  wt_label_content_set (c, &c->category, w->category);
  wt_label_content_set (c, &c->waste_code, w->code);
  wt_label_content_set (c, &c->form, "固态");
  wt_label_content_set (c, &c->main_components, "见说明");
  wt_label_content_set (c, &c->harmful_components, "见说明");
  c->hazards = w->hazards;
  wt_label_content_set (c, &c->precautions, "远离火源");
  wt_label_content_set (c, &c->producer, site->name);
  wt_label_content_set (c, &c->contact, site->contact);
  wt_label_content_set (c, &c->date, date);
  wt_label_content_set (c, &c->container_type, "钢桶");
  c->volume_l = 200;
}

/* Every code of the batches labelled @days_before, NULL-terminated and
 * borrowed, keeping those whose index modulo 20 is in [@from, @to). */
static const char **
codes_of_day (GHashTable *by_day,
              int         days_before,
              guint       from,
              guint       to)
{
  GPtrArray *batches = g_hash_table_lookup (by_day, GINT_TO_POINTER (days_before));
  GPtrArray *codes = g_ptr_array_new ();

  for (guint b = 0; batches != NULL && b < batches->len; b++)
    {
      Batch *batch = g_ptr_array_index (batches, b);

      for (guint i = 0; batch->codes[i] != NULL; i++)
        if (i % 20 >= from && i % 20 < to)
          g_ptr_array_add (codes, batch->codes[i]);
    }
  if (codes->len == 0)
    {
      g_ptr_array_free (codes, TRUE);
      return NULL;
    }
  g_ptr_array_add (codes, NULL);
  return (const char **) g_ptr_array_free (codes, FALSE);
}

static void
build (const char *path,
       guint       n_containers,
       GPtrArray  *all_codes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLedger) ledger = wt_ledger_open (path, &error);
  g_autoptr(WtSite) site = wt_site_new ();
  g_autoptr(GHashTable) by_day = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) methods = NULL;
  const char *method;
  guint n_days = DAYS / STEP;
  guint per_batch = MAX (1, (n_containers + n_days * N_CODES - 1) / (n_days * N_CODES));
  gint64 start = g_get_monotonic_time ();
  gint64 n_events;
  double seconds;

  die_on (error, "open");
  wt_site_fill_demo (site);
  wt_ledger_init_site (ledger, site, &error);
  die_on (error, "site");
  g_clear_pointer (&site, wt_site_free);
  site = wt_ledger_dup_site (ledger, &error);
  die_on (error, "site");
  methods = wt_ledger_list_methods (ledger, &error);
  die_on (error, "methods");
  method = ((WtMethod *) g_ptr_array_index (methods, 0))->code;

  for (int day = DAYS; day >= 0; day--)
    {
      g_autofree const char **moved = NULL;
      g_autofree const char **back = NULL;
      g_autofree const char **shipped = NULL;
      g_autofree const char **treated = NULL;

      if (day % STEP == 0)
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (local_ms (day, 9) / 1000);
          g_autofree char *date = g_date_time_format (dt, "%Y-%m-%d");
          GPtrArray *batches = g_ptr_array_new ();
          GPtrArray *today = g_ptr_array_new ();

          wt_ledger_set_clock_override (ledger, local_ms (day, 9));
          for (guint c = 0; c < N_CODES; c++)
            {
              g_autoptr(WtLabelContent) content = wt_label_content_new ();
              g_autoptr(WtPrintJob) job = NULL;
              WtLabelOptions options;
              Batch *batch;

              fill_content (content, site, waste_codes[c], date);
              wt_label_options_init (&options);
              job = wt_ledger_reserve (ledger, content, per_batch, &error);
              die_on (error, "reserve");
              wt_ledger_commit_job (ledger, job, content, &options, 20.0 + (c * 7 + day) % 180 + 0.5, &error);
              die_on (error, "commit");

              batch = g_new0 (Batch, 1);
              batch->day = day;
              batch->codes = g_strdupv (job->codes);
              g_ptr_array_add (batches, batch);
              for (guint i = 0; batch->codes[i] != NULL; i++)
                {
                  g_ptr_array_add (all_codes, batch->codes[i]);
                  g_ptr_array_add (today, batch->codes[i]);
                }
            }
          g_hash_table_insert (by_day, GINT_TO_POINTER (day), batches);

          /* Into the storage point the same day. */
          g_ptr_array_add (today, NULL);
          wt_ledger_set_clock_override (ledger, local_ms (day, 11));
          wt_ledger_store (ledger, "FZ-01", (const char * const *) today->pdata, &error);
          die_on (error, "store");
          g_ptr_array_free (today, TRUE);
        }

      wt_ledger_set_clock_override (ledger, local_ms (day, 14));
      /* A week later to the warehouse, a week after that back. */
      if ((moved = codes_of_day (by_day, day + 7, 0, 20)) != NULL)
        {
          wt_ledger_store (ledger, "WH-02", moved, &error);
          die_on (error, "move");
        }
      if ((back = codes_of_day (by_day, day + 14, 0, 20)) != NULL)
        {
          wt_ledger_store (ledger, "FZ-01", back, &error);
          die_on (error, "move back");
        }
      /* A month after labelling: 17 in 20 shipped, 2 treated on site, 1 kept. */
      if ((shipped = codes_of_day (by_day, day + 30, 0, 17)) != NULL)
        {
          g_autoptr(WtManifest) manifest = wt_ledger_manifest_new (ledger, NULL, "福建危运物流", "闽A12345",
                                                                   day % 2 ? "福建绿色处置有限公司" : "厦门环境科技有限公司",
                                                                   &error);

          die_on (error, "manifest");
          wt_ledger_ship (ledger, manifest->id, shipped, NULL, 0, &error);
          die_on (error, "ship");
        }
      if ((treated = codes_of_day (by_day, day + 30, 17, 19)) != NULL)
        {
          wt_ledger_treat (ledger, method, treated, &error);
          die_on (error, "treat");
        }
    }
  wt_ledger_set_clock_override (ledger, 0);

  seconds = (g_get_monotonic_time () - start) / 1e6;
  n_events = wt_ledger_count_events (ledger);
  printf ("containers: %u\n", all_codes->len);
  printf ("events: %" G_GINT64_FORMAT "\n", n_events);
  printf ("build_s: %.1f\n", seconds);
  printf ("build_events_per_s: %.0f\n", n_events / seconds);
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* The monthly report as someone would write it without the projection:
 * straight from the events, one correlated subquery per container and
 * fact. Returns the number of rows; @out_generated_g the sum produced. */
static int
naive_report (const char     *path,
              const WtPeriod *period,
              gint64         *out_generated_g)
{
  static const char sql[] =
    "SELECT json_extract (l.payload, '$.content.waste_code') AS wc,"
    "  sum (CASE WHEN l.wall_ms < ?1 AND NOT EXISTS (SELECT 1 FROM event x WHERE x.container_code = l.container_code"
    "         AND x.kind IN ('shipped', 'treated', 'voided') AND x.wall_ms < ?1)"
    "       THEN json_extract (l.payload, '$.weight_kg') ELSE 0 END) AS opening,"
    "  sum (CASE WHEN l.wall_ms >= ?1 AND l.wall_ms < ?2 THEN json_extract (l.payload, '$.weight_kg') ELSE 0 END) AS generated,"
    "  sum (CASE WHEN EXISTS (SELECT 1 FROM event x WHERE x.container_code = l.container_code"
    "         AND x.kind = 'treated' AND x.wall_ms >= ?1 AND x.wall_ms < ?2)"
    "       THEN json_extract (l.payload, '$.weight_kg') ELSE 0 END) AS self_treated,"
    "  sum (CASE WHEN EXISTS (SELECT 1 FROM event x WHERE x.container_code = l.container_code"
    "         AND x.kind = 'shipped' AND x.wall_ms >= ?1 AND x.wall_ms < ?2)"
    "       THEN json_extract (l.payload, '$.weight_kg') ELSE 0 END) AS sent_out"
    " FROM event l WHERE l.kind = 'labelled' AND l.wall_ms < ?2"
    " GROUP BY wc ORDER BY wc";
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int y, m, d, rows = 0;
  double generated = 0;

  sscanf (period->start, "%d-%d-%d", &y, &m, &d);
  start = g_date_time_new_local (y, m, d, 0, 0, 0);
  sscanf (period->end, "%d-%d-%d", &y, &m, &d);
  end = g_date_time_new_local (y, m, d, 0, 0, 0);

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_printerr ("bench-ledger: naive SQL: %s\n", sqlite3_errmsg (db));
      exit (1);
    }
  sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (start) * 1000);
  sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (end) * 1000);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      generated += sqlite3_column_double (stmt, 2);
      rows++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  *out_generated_g = (gint64) llround (generated * 1000);
  return rows;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("— the ledger at a million events");
  g_autoptr(GPtrArray) all_codes = g_ptr_array_new ();
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *keep = NULL;
  g_autofree char *reuse = NULL;
  g_autofree char *wal = NULL;
  int containers = 200000;
  GRand *rand = g_rand_new_with_seed (1259);
  WtPeriod period;
  gint64 n_events = 0;
  gint64 t0;
  GOptionEntry entries[] = {
    { "containers", 0, 0, G_OPTION_ARG_INT, &containers, "Containers to label (default 200000)", "N" },
    { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep, "Write the ledger here and leave it", "PATH" },
    { "reuse", 0, 0, G_OPTION_ARG_FILENAME, &reuse, "Measure an existing ledger instead of building one", "PATH" },
    { NULL },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die_on (error, "options");

  if (reuse != NULL)
    path = g_strdup (reuse);
  else if (keep != NULL)
    path = g_strdup (keep);
  else
    {
      dir = g_dir_make_tmp ("wt-bench-ledger-XXXXXX", &error);
      die_on (error, "temporary folder");
      path = g_build_filename (dir, "ledger.wtl", NULL);
    }

  if (reuse == NULL)
    build (path, (guint) containers, all_codes);

  ledger = wt_ledger_open (path, &error);
  die_on (error, "open");
  n_events = wt_ledger_count_events (ledger);
  if (all_codes->len == 0)
    {
      g_autoptr(GPtrArray) some = wt_ledger_list_containers (ledger, 0, 20000, &error);

      die_on (error, "list");
      for (guint i = 0; i < some->len; i++)
        g_ptr_array_add (all_codes, g_strdup (((WtContainer *) g_ptr_array_index (some, i))->code));
      printf ("containers: %" G_GINT64_FORMAT "\n", wt_ledger_count_containers (ledger));
      printf ("events: %" G_GINT64_FORMAT "\n", n_events);
    }

  /* Size: the main file after a checkpoint (wt_ledger_open leaves WAL). */
  wal = g_strconcat (path, "-wal", NULL);
  printf ("file_bytes: %" G_GINT64_FORMAT "\n", file_size (path) + file_size (wal));
  printf ("bytes_per_event: %.0f\n", (double) (file_size (path) + file_size (wal)) / MAX (n_events, 1));

  /* Lookup by code. */
  samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (int i = 0; i < 10000; i++)
    {
      const char *code = g_ptr_array_index (all_codes, g_rand_int_range (rand, 0, all_codes->len));
      g_autoptr(WtContainer) c = NULL;

      t0 = g_get_monotonic_time ();
      c = wt_ledger_get_container (ledger, code, &error);
      g_array_append_val (samples, (gint64) { g_get_monotonic_time () - t0 });
      die_on (error, "lookup");
    }
  printf ("lookup_p50_ms: %.3f\nlookup_p99_ms: %.3f\n", percentile (samples, 0.5), percentile (samples, 0.99));

  /* A timeline. */
  g_array_set_size (samples, 0);
  for (int i = 0; i < 2000; i++)
    {
      const char *code = g_ptr_array_index (all_codes, g_rand_int_range (rand, 0, all_codes->len));
      g_autoptr(GPtrArray) events = NULL;

      t0 = g_get_monotonic_time ();
      events = wt_ledger_container_events (ledger, code, &error);
      g_array_append_val (samples, (gint64) { g_get_monotonic_time () - t0 });
      die_on (error, "timeline");
    }
  printf ("timeline_p50_ms: %.3f\ntimeline_p99_ms: %.3f\n", percentile (samples, 0.5), percentile (samples, 0.99));

  /* The monthly report, for the month a year ago (stock, production and
   * shipments all non-zero). */
  wt_period_for_time (WT_PERIOD_MONTH, g_get_real_time () / 1000 - (gint64) 365 * 86400 * 1000, &period);
  g_array_set_size (samples, 0);
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(GPtrArray) rows = NULL;

      t0 = g_get_monotonic_time ();
      rows = wt_ledger_report (ledger, &period, &error);
      g_array_append_val (samples, (gint64) { g_get_monotonic_time () - t0 });
      die_on (error, "report");
      if (i == 0)
        {
          gint64 generated = 0;

          for (guint r = 0; r < rows->len; r++)
            generated += ((WtReportRow *) g_ptr_array_index (rows, r))->generated_g;
          printf ("report_period: %s\nreport_rows: %u\nreport_generated_g: %" G_GINT64_FORMAT "\n",
                  period.label, rows->len, generated);
        }
    }
  printf ("report_ms: %.1f\n", percentile (samples, 0.5));

  /* The same report in plain SQL over the events. */
  {
    gint64 generated = 0;
    int rows;

    t0 = g_get_monotonic_time ();
    rows = naive_report (path, &period, &generated);
    printf ("naive_report_ms: %.1f\nnaive_report_rows: %d\nnaive_report_generated_g: %" G_GINT64_FORMAT "\n",
            (g_get_monotonic_time () - t0) / 1000.0, rows, generated);
  }

  /* The overdue list. */
  g_array_set_size (samples, 0);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(GPtrArray) overdue = NULL;

      t0 = g_get_monotonic_time ();
      overdue = wt_ledger_overdue (ledger, 365, 30, g_get_real_time () / 1000, &error);
      g_array_append_val (samples, (gint64) { g_get_monotonic_time () - t0 });
      die_on (error, "overdue");
      if (i == 0)
        printf ("overdue_containers: %u\n", overdue->len);
    }
  printf ("overdue_ms: %.1f\n", percentile (samples, 0.5));

  /* One scan event, recorded durably: a weighing, or a move of one
   * container, each signed and committed with synchronous=FULL. */
  {
    g_autoptr(GArray) weigh = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr(GArray) store = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr(GArray) both = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr(GPtrArray) here = NULL;
    WtContainerFilter filter;

    wt_container_filter_init (&filter);
    filter.state = WT_CONTAINER_STORED;
    here = wt_ledger_query_containers (ledger, &filter, 0, 1000, &error);
    die_on (error, "stored containers");
    for (guint i = 0; i < here->len && i < 1000; i++)
      {
        const WtContainer *c = g_ptr_array_index (here, i);
        const char *code = c->code;
        const char *one[] = { code, NULL };
        gint64 us;

        t0 = g_get_monotonic_time ();
        if (i % 2 == 0)
          wt_ledger_weigh (ledger, code, 50.0 + i % 100, &error);
        else
          wt_ledger_store (ledger, g_strcmp0 (c->facility, "FZ-01") == 0 ? "WH-02" : "FZ-01", one, &error);
        us = g_get_monotonic_time () - t0;
        die_on (error, "record");
        g_array_append_val (i % 2 == 0 ? weigh : store, us);
        g_array_append_val (both, us);
      }
    printf ("record_samples: %u\n", both->len);
    printf ("record_p50_ms: %.2f\nrecord_p99_ms: %.2f\n", percentile (both, 0.5), percentile (both, 0.99));
    printf ("weigh_p50_ms: %.2f\nweigh_p99_ms: %.2f\n", percentile (weigh, 0.5), percentile (weigh, 0.99));
    printf ("store_p50_ms: %.2f\nstore_p99_ms: %.2f\n", percentile (store, 0.5), percentile (store, 0.99));
  }

  /* A full verify. */
  {
    gint64 checked = 0;
    double seconds;

    t0 = g_get_monotonic_time ();
    if (!wt_ledger_verify (ledger, &checked, &error))
      die_on (error, "verify");
    seconds = (g_get_monotonic_time () - t0) / 1e6;
    printf ("verify_s: %.2f\nverify_events_per_s: %.0f\n", seconds, checked / seconds);
  }

  printf ("ledger: %s\n", path);
  g_clear_object (&ledger);
  if (dir != NULL)
    {
      g_autofree char *key = g_strconcat (path, ".key", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_unlink (path);
      g_unlink (wal);
      g_unlink (shm);
      g_unlink (key);
      g_rmdir (dir);
    }
  g_rand_free (rand);
  return 0;
}
