/* bench-sync.c: push, re-push, kill-and-resume, pull and USB bundles against
 * a real PostgreSQL. Not a test: run it through bench/sync/run.sh, which
 * starts the server and enrols the sites.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-sync ADMIN_DSN A.conn B.conn NAME_OF_B [N]
 */
#include "config.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wt-bundle.h"
#include "wt-ledger.h"
#include "wt-ledger-sync.h"
#include "wt-sync-gen.h"
#include "wt-sync.h"

#define USCC_A "91350100M000100Y43"
#define USCC_B "91110000600037341L"

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static void
die (const char *what,
     GError     *error)
{
  g_printerr ("bench-sync: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static WtLedger *
new_ledger (const char *dir,
            const char *name,
            const char *uscc,
            char        slot)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(WtSite) site = wt_site_new ();
  GError *error = NULL;
  WtLedger *ledger = wt_ledger_open (path, &error);

  if (ledger == NULL)
    die ("open", error);
  g_free (site->name);
  site->name = g_strdup (name);
  g_free (site->uscc);
  site->uscc = g_strdup (uscc);
  site->device_slot = slot;
  if (!wt_ledger_init_site (ledger, site, &error))
    die ("site", error);
  return ledger;
}

typedef struct
{
  WtLedger    *ledger;
  const char  *conninfo;
  WtSyncStats  stats;
  GError      *error;
  gboolean     ok;
  gint         done;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;
  WtSyncOptions options = { 0 };

  options.no_pull = TRUE;
  options.batch_size = g_getenv ("WT_BENCH_BATCH") ? atoi (g_getenv ("WT_BENCH_BATCH")) : 0;
  job->ok = wt_sync_run (job->ledger, job->conninfo, &options, &job->stats, &job->error);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

/* The central verifier following a push: it authenticates each batch's
 * segment by its signed head and sweeps every event's own signature behind
 * it, until the push is over and nothing is left. */
typedef struct
{
  const char *admin_dsn;
  gint        push_done;
  gint64      checked;
  gint64      bad;
  gint64      heads;
  gint64      bad_heads;
  gint64      authenticated;
  double      finished;
  GError     *error;
} Follower;

static double now_s (void);

static gpointer
follow_thread (gpointer data)
{
  Follower *f = data;

  for (;;)
    {
      gboolean was_done = g_atomic_int_get (&f->push_done);
      WtCentralVerifyStats st = { 0 };

      if (!wt_central_verify_full (f->admin_dsn, WT_CENTRAL_VERIFY_DEFAULT, &st, &f->error))
        break;
      f->checked += st.checked;
      f->bad += st.bad;
      f->heads += st.heads;
      f->bad_heads += st.bad_heads;
      f->authenticated += st.authenticated;
      if (was_done && st.checked == 0 && st.heads == 0)
        break;
      if (st.checked == 0)
        g_usleep (20000);
    }
  f->finished = now_s ();
  return NULL;
}

static gint64
scalar (PGconn     *conn,
        const char *sql)
{
  PGresult *res = PQexec (conn, sql);
  gint64 v = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) ? g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10) : -1;

  PQclear (res);
  return v;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *conn_a = NULL;
  g_autofree char *conn_b = NULL;
  g_autoptr(WtLedger) a = NULL;
  g_autoptr(WtLedger) a2 = NULL;
  g_autoptr(WtLedger) b = NULL;
  g_autoptr(WtLedger) e = NULL;
  g_autoptr(WtLedger) f = NULL;
  g_autofree char *device_a2 = NULL;
  g_autofree char *bundle = NULL;
  PGconn *admin;
  GError *error = NULL;
  WtSyncOptions push_only = { 0 };
  WtSyncOptions pull_only = { 0 };
  WtSyncStats s = { 0 };
  WtBundleInfo info = { 0 };
  WtBundleResult result = { 0 };
  PushJob job = { 0 };
  Follower follower = { 0 };
  GThread *thread;
  GThread *follower_thread;
  double t_full, t_heads = 0;
  gint64 n, half, at_kill, total_a2;
  double t, t_gen, t_push, t_repush, t_resume, t_pull, t_export, t_import, t_verify;
  gint64 pushed1, pushed2, sent_resume, pulled, checked = 0, bad = 0;
  guint8 key[32];
  char key_hex[65];

  if (argc < 5)
    {
      g_printerr ("usage: bench-sync ADMIN_DSN A.conn B.conn NAME_OF_B [N]\n");
      return 2;
    }
  n = argc > 5 ? g_ascii_strtoll (argv[5], NULL, 10) : 1000000;
  half = n / 2;
  g_setenv ("WASTETAG_NO_KEYRING", "1", TRUE);
  conn_a = wt_sync_conninfo_from_file (argv[2], &error);
  conn_b = conn_a ? wt_sync_conninfo_from_file (argv[3], &error) : NULL;
  if (conn_b == NULL)
    die ("connection file", error);
  admin = PQconnectdb (argv[1]);
  if (PQstatus (admin) != CONNECTION_OK)
    die ("admin connection", NULL);
  dir = g_dir_make_tmp ("wt-bench-sync-XXXXXX", NULL);

  /* 1. One site's ledger; every 10th container goes to B (≈ n/10 events). */
  a = new_ledger (dir, "a.wtl", USCC_A, 'A');
  t = now_s ();
  if (!wt_sync_generate (a, n, argv[4], 10, &error))
    die ("generate", error);
  t_gen = now_s () - t;
  g_printerr ("generated %" G_GINT64_FORMAT " in %.1f s\n", n, t_gen);

  push_only.no_pull = TRUE;
  push_only.batch_size = g_getenv ("WT_BENCH_BATCH") ? atoi (g_getenv ("WT_BENCH_BATCH")) : 0;
  follower.admin_dsn = argv[1];
  t = now_s ();
  /* WT_BENCH_NO_FOLLOW: the push alone, to see where its time goes. */
  follower_thread = g_getenv ("WT_BENCH_NO_FOLLOW") ? NULL : g_thread_new ("verify", follow_thread, &follower);
  if (!wt_sync_run (a, conn_a, &push_only, &s, &error))
    die ("push", error);
  t_push = now_s () - t;
  g_atomic_int_set (&follower.push_done, 1);
  /* Until the store says every stored row of every device is authenticated
   * by a verified signed head (read from verify_state, not from the
   * verifier's counters). */
  while (follower_thread &&
         scalar (admin, "SELECT count (*) FROM ingest.verification WHERE unverified > 0 OR blocked") != 0 &&
         !g_atomic_pointer_get (&follower.error) && follower.finished == 0)
    g_usleep (5000);
  t_heads = now_s () - t;
  if (follower_thread)
    g_thread_join (follower_thread);
  else
    follower.finished = now_s ();
  if (follower.error)
    die ("verify", follower.error);
  t_full = follower.finished - t;
  pushed1 = s.pushed;
  g_printerr ("pushed %" G_GINT64_FORMAT " in %.1f s, every segment's signed head verified after %.1f s,"
              " every signature swept after %.1f s (%" G_GINT64_FORMAT " heads, %" G_GINT64_FORMAT " signatures, %" G_GINT64_FORMAT " bad)\n",
              pushed1, t_push, t_heads, t_full, follower.heads, follower.checked, follower.bad + follower.bad_heads);
  if (follower_thread && scalar (admin, "SELECT count (*) FROM ingest.verification WHERE unverified > 0 OR authenticated_not_swept > 0 OR blocked") != 0)
    die ("verify: rows left unauthenticated or unswept", NULL);

  if (g_getenv ("WT_BENCH_ONLY_PUSH"))
    return 0;

  /* 2. Again: the cursor says everything is there. */
  t = now_s ();
  if (!wt_sync_run (a, conn_a, &push_only, &s, &error))
    die ("push again", error);
  t_repush = now_s () - t;
  pushed2 = s.pushed;

  /* 3. A second device of site A: kill its connection at 50 %, resume. */
  a2 = new_ledger (dir, "a2.wtl", USCC_A, 'B');
  if (!wt_sync_generate (a2, half, NULL, 1, &error))
    die ("generate", error);
  total_a2 = wt_ledger_count_events (a2);
  wt_ledger_sync_identity (a2, &device_a2, NULL, NULL, NULL);
  job.ledger = a2;
  job.conninfo = conn_a;
  thread = g_thread_new ("push", push_thread, &job);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT coalesce ((SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '%s'), 0)", device_a2);
    g_autofree char *kill = g_strdup_printf ("SELECT count (pg_terminate_backend (pid)) FROM pg_stat_activity WHERE usename = 'site_%s'",
                                             "91350100m000100y43");

    while (scalar (admin, sql) < total_a2 / 2 && !g_atomic_int_get (&job.done))
      g_usleep (20000);
    scalar (admin, kill);
    g_thread_join (thread);
    at_kill = scalar (admin, sql);
  }
  if (job.ok || job.error == NULL)
    g_printerr ("bench-sync: the push ended before the kill\n");
  else
    g_printerr ("bench-sync: killed push: %s\n", job.error->message);
  g_clear_error (&job.error);
  t = now_s ();
  if (!wt_sync_run (a2, conn_a, &push_only, &s, &error))
    die ("resume", error);
  t_resume = now_s () - t;
  sent_resume = s.sent;

  /* 4. Site B pulls what concerns it. */
  b = new_ledger (dir, "b.wtl", USCC_B, 'A');
  pull_only.no_push = TRUE;
  t = now_s ();
  if (!wt_sync_run (b, conn_b, &pull_only, &s, &error))
    die ("pull", error);
  t_pull = now_s () - t;
  pulled = s.pulled;

  /* 5. A USB bundle of 100,000 events, site to site. */
  e = new_ledger (dir, "e.wtl", "91440300MA5DC0XX1L", 'A');
  if (!wt_sync_generate (e, 100000, NULL, 1, &error))
    die ("generate", error);
  bundle = g_build_filename (dir, "e.bundle", NULL);
  t = now_s ();
  if (!wt_bundle_export (e, bundle, -1, &info, &error))
    die ("export", error);
  t_export = now_s () - t;
  f = new_ledger (dir, "f.wtl", "91310000MA1FL0XX2F", 'A');
  {
    g_autofree char *device = NULL;

    wt_ledger_sync_identity (e, &device, NULL, key, NULL);
  }
  sodium_bin2hex (key_hex, sizeof key_hex, key, 32);
  t = now_s ();
  if (!wt_bundle_import (f, bundle, key_hex, NULL, &result, &error))
    die ("import", error);
  t_import = now_s () - t;

  /* 6. Signatures at the central office (WT_BENCH_NO_VERIFY skips it). */
  t = now_s ();
  if (!g_getenv ("WT_BENCH_NO_VERIFY"))
    {
      WtCentralVerifyStats st = { 0 };

      if (!wt_central_verify_full (argv[1], WT_CENTRAL_VERIFY_DEFAULT, &st, &error))
        die ("verify", error);
      checked = st.checked;
      bad = st.bad + st.bad_heads;
    }
  t_verify = MAX (now_s () - t, 1e-3);

  g_print ("\n| step | events | time | rate |\n|---|---:|---:|---:|\n");
  g_print ("| generate site A's ledger (Appender, signed) | %" G_GINT64_FORMAT " | %.1f s | %.0f ev/s |\n", n, t_gen, n / t_gen);
  g_print ("| push: all stored (COPY + apply_stage: hash, chain; batches of %u; verifier alongside) | %" G_GINT64_FORMAT " inserted | %.1f s | %.0f ev/s |\n",
           push_only.batch_size ? push_only.batch_size : 10000, pushed1, t_push, pushed1 / t_push);
  g_print ("| push, every hash and link checked and each segment's signed head verified (verifier alongside, %u threads) | %" G_GINT64_FORMAT " inserted, %" G_GINT64_FORMAT " authenticated by %" G_GINT64_FORMAT " heads (%" G_GINT64_FORMAT " bad) | %.1f s | **%.0f ev/s** |\n",
           g_get_num_processors (), pushed1, follower.authenticated, follower.heads, follower.bad_heads, t_heads, pushed1 / t_heads);
  g_print ("| per-event signature sweep (Ed25519 of every event, lower priority, same pool), finished after | %" G_GINT64_FORMAT " signatures (%" G_GINT64_FORMAT " bad) | %.1f s | %.0f ev/s |\n",
           follower.checked, follower.bad, t_full, follower.checked / t_full);
  g_print ("| push again | %" G_GINT64_FORMAT " inserted | %.2f s | |\n", pushed2, t_repush);
  g_print ("| kill at 50 %% of %" G_GINT64_FORMAT ", resume | cursor %" G_GINT64_FORMAT " at kill, %" G_GINT64_FORMAT " sent after | %.1f s | |\n",
           total_a2, at_kill, sent_resume, t_resume);
  g_print ("| pull into site B (verify hash + signature, fold) | %" G_GINT64_FORMAT " | %.1f s | %.0f ev/s |\n", pulled, t_pull, pulled / t_pull);
  g_print ("| bundle export | %" G_GINT64_FORMAT " (%.1f MB) | %.1f s | %.0f ev/s |\n", info.count, info.file_size / 1e6, t_export, info.count / t_export);
  g_print ("| bundle import at another site | %" G_GINT64_FORMAT " | %.1f s | %.0f ev/s |\n", result.inserted, t_import, result.inserted / t_import);
  g_print ("| central verify of the rest (Ed25519, libsodium, every core) | %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " bad) | %.1f s | %.0f ev/s |\n", checked, bad, t_verify, checked / t_verify);
  g_print ("\nserver size: %s\n", PQgetvalue (PQexec (admin, "SELECT pg_size_pretty (pg_database_size (current_database ()))"), 0, 0));
  g_print ("resume check: sent after resume %s what was missing (%" G_GINT64_FORMAT ")\n",
           sent_resume == total_a2 - at_kill ? "equals" : "DIFFERS FROM", total_a2 - at_kill);

  wt_bundle_info_clear (&info);
  wt_bundle_result_clear (&result);
  PQfinish (admin);
  g_clear_object (&a);
  g_clear_object (&a2);
  g_clear_object (&b);
  g_clear_object (&e);
  g_clear_object (&f);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    if (system (cmd) != 0)
      g_printerr ("bench-sync: %s was not removed\n", dir);
  }
  return 0;
}
