/* wt-cli-sync.c: central init/add-site/verify, sync, bundle, anomalies.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WASTETAG_CLOCK_MS (not documented for users) pins this device's wall
 * clock for these commands, so tests can make a device whose clock is off by
 * days.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "wt-bundle.h"
#include "wt-cli.h"
#include "wt-cli-sync.h"
#include "wt-error.h"
#include "wt-ledger-sync.h"
#include "wt-sync.h"

static WtLedger *
open_sync_ledger (GError **error)
{
  WtLedger *ledger = open_ledger (error);
  const char *clock = g_getenv ("WASTETAG_CLOCK_MS");

  if (ledger && clock && *clock)
    wt_ledger_set_clock_override (ledger, g_ascii_strtoll (clock, NULL, 10));
  return ledger;
}

static char *
conninfo_for (const char  *dsn,
              const char  *connection,
              GError     **error)
{
  if (dsn && connection)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("Give either --dsn or --connection, not both."));
      return NULL;
    }
  if (connection)
    return wt_sync_conninfo_from_file (connection, error);
  if (dsn)
    return g_strdup (dsn);
  g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
               _("Say where the central store is: --dsn DSN or --connection FILE."));
  return NULL;
}

/* ---- central ------------------------------------------------------------------ */

int
wt_cli_central (int    argc,
                char **argv)
{
  g_autofree char *dsn = NULL, *site = NULL, *name = NULL, *out = NULL, *cert = NULL, *key = NULL;
  g_autofree char *connection = NULL;
  gboolean heads_only = FALSE;
  GOptionEntry entries[] = {
    { "dsn", 0, 0, G_OPTION_ARG_STRING, &dsn, N_("Administrator’s connection to the central database"), N_("DSN") },
    { "connection", 0, 0, G_OPTION_ARG_FILENAME, &connection, N_("A central office’s connection file (for mirror)"), N_("FILE") },
    { "site", 0, 0, G_OPTION_ARG_STRING, &site, N_("Site id: its unified social credit code"), N_("ID") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Site name"), N_("NAME") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Where to write the site’s connection file"), N_("FILE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, N_("The site’s client certificate, for its connection file"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, N_("The key of that certificate"), N_("FILE") },
    { "heads-only", 0, 0, G_OPTION_ARG_NONE, &heads_only, N_("verify: check only each device’s newest signature, not every event’s"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("init|add-site|add-office|verify|mirror — set up and read the central store"));
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (argc < 2)
    return fail_msg (_("Say “central init”, “central add-site”, “central add-office”, “central verify” or “central mirror”."));

  if (strcmp (argv[1], "mirror") == 0)
    {
      g_autoptr(WtLedger) cache = NULL;
      g_autofree char *conninfo = conninfo_for (dsn, connection, &error);
      gint64 pulled = 0;

      if (conninfo == NULL)
        return fail (error);
      cache = open_sync_ledger (&error);
      if (cache == NULL)
        return fail (error);
      if (!wt_central_mirror (cache, conninfo, NULL, &pulled, &error))
        return fail (error);
      /* The exact shape scripts read, like sync's line: not translated. */
      g_print ("pulled %lld\n", (long long) pulled);
      return 0;
    }

  if (dsn == NULL)
    return fail_msg (_("Give the administrator’s connection to the central database with --dsn."));

  if (strcmp (argv[1], "init") == 0)
    {
      guint applied = 0, version = 0;

      if (!wt_central_init (dsn, &applied, &version, &error))
        return fail (error);
      if (applied == 0)
        g_print (_("The central store is already at schema version %u; nothing to do.\n"), version);
      else
        g_print (_("The central store is at schema version %u (%u migrations applied).\n"), version, applied);
      return 0;
    }

  if (strcmp (argv[1], "add-site") == 0)
    {
      g_autofree char *role = NULL;

      if (site == NULL || name == NULL)
        return fail_msg (_("Give the site’s id with --site and its name with --name."));
      role = wt_central_site_role (site);
      if (out == NULL)
        out = g_strconcat (role, ".conn", NULL);
      if (!wt_central_add_site (dsn, site, name, out, cert, key, &error))
        return fail (error);
      g_print ("%s\t%s\n", role, out);
      return 0;
    }

  if (strcmp (argv[1], "add-office") == 0)
    {
      g_autofree char *role = NULL;

      if (name == NULL)
        return fail_msg (_("Give the office’s name with --name."));
      role = wt_central_office_role (name);
      if (out == NULL)
        out = g_strconcat (role, ".conn", NULL);
      if (!wt_central_add_office (dsn, name, out, cert, key, &error))
        return fail (error);
      g_print ("%s\t%s\n", role, out);
      return 0;
    }

  if (strcmp (argv[1], "verify") == 0)
    {
      WtCentralVerifyStats st = { 0 };

      if (!wt_central_verify_full (dsn, heads_only ? WT_CENTRAL_VERIFY_HEADS_ONLY : WT_CENTRAL_VERIFY_DEFAULT,
                                   &st, &error))
        return fail (error);
      g_print (_("authenticated %lld events by %lld signed heads, %lld bad\n"),
               (long long) st.authenticated, (long long) st.heads, (long long) st.bad_heads);
      g_print (_("checked %lld signatures, %lld bad\n"), (long long) st.checked, (long long) st.bad);
      return st.bad > 0 || st.bad_heads > 0 ? 3 : 0;
    }

  return fail_msg (_("Say “central init”, “central add-site”, “central add-office”, “central verify” or “central mirror”."));
}

/* ---- sync ---------------------------------------------------------------------- */

int
wt_cli_sync (int    argc,
             char **argv)
{
  g_autofree char *dsn = NULL, *connection = NULL, *conninfo = NULL;
  int batch = 0;
  gboolean no_pull = FALSE, no_push = FALSE;
  GOptionEntry entries[] = {
    { "dsn", 0, 0, G_OPTION_ARG_STRING, &dsn, N_("Connection to the central store"), N_("DSN") },
    { "connection", 0, 0, G_OPTION_ARG_FILENAME, &connection, N_("The site’s connection file"), N_("FILE") },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Events per push transaction (default 10000)"), N_("N") },
    { "no-pull", 0, 0, G_OPTION_ARG_NONE, &no_pull, N_("Only send this device’s events"), NULL },
    { "no-push", 0, 0, G_OPTION_ARG_NONE, &no_push, N_("Only fetch other sites’ events"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— send this device’s events to the central store and fetch what concerns this site"));
  g_autoptr(WtLedger) ledger = NULL;
  WtSyncOptions options = { 0 };
  WtSyncStats stats = { 0 };
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  conninfo = conninfo_for (dsn, connection, &error);
  if (conninfo == NULL)
    return fail (error);
  ledger = open_sync_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  options.batch_size = batch > 0 ? batch : 0;
  options.no_pull = no_pull;
  options.no_push = no_push;
  if (!wt_sync_run (ledger, conninfo, &options, &stats, &error))
    return fail (error);

  /* The one line scripts read; the clock offset goes to stderr. */
  g_print ("pushed %lld pulled %lld anomalies %lld\n",
           (long long) stats.pushed, (long long) stats.pulled, (long long) stats.open_anomalies);
  if (stats.clock_offset_ms > 120000 || stats.clock_offset_ms < -120000)
    g_printerr (_("wastetag-cli: this device’s clock is off by %lld seconds from the central store’s; set the clock right.\n"),
                (long long) (stats.clock_offset_ms / 1000));
  return 0;
}

/* ---- bundle --------------------------------------------------------------------- */

static gboolean
parse_date_ms (const char  *date,
               gint64      *out_ms,
               GError     **error)
{
  g_autoptr(GDateTime) dt = NULL;
  int y, m, d;

  if (date == NULL || sscanf (date, "%4d-%2d-%2d", &y, &m, &d) != 3 || strlen (date) != 10 ||
      !g_date_valid_dmy (d, m, y))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The date “%s” is not a valid date; write it as YYYY-MM-DD."), date ? date : "");
      return FALSE;
    }
  dt = g_date_time_new_local (y, m, d, 0, 0, 0);
  *out_ms = g_date_time_to_unix (dt) * 1000;
  return TRUE;
}

int
wt_cli_bundle (int    argc,
               char **argv)
{
  g_autofree char *out = NULL, *since = NULL, *trust = NULL, *receipt = NULL, *dsn = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("The bundle to write"), N_("FILE") },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since, N_("Export every event from this date on, acknowledged or not"), N_("DATE") },
    { "trust", 0, 0, G_OPTION_ARG_STRING, &trust, N_("Public key of a signer not known yet, checked with its owner"), N_("KEY") },
    { "receipt", 0, 0, G_OPTION_ARG_FILENAME, &receipt, N_("Write a receipt bundle for the sender there"), N_("FILE") },
    { "dsn", 0, 0, G_OPTION_ARG_STRING, &dsn, N_("Import into the central store (administrator’s connection)"), N_("DSN") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("export|import — carry events on a USB stick"));
  g_autoptr(WtLedger) ledger = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (argc >= 2 && strcmp (argv[1], "export") == 0)
    {
      WtBundleInfo info = { 0 };
      gint64 since_ms = -1;

      if (out == NULL)
        return fail_msg (_("Say where to write the bundle with -o FILE."));
      if (since && !parse_date_ms (since, &since_ms, &error))
        return fail (error);
      ledger = open_sync_ledger (&error);
      if (ledger == NULL)
        return fail (error);
      if (!wt_bundle_export (ledger, out, since_ms, &info, &error))
        return fail (error);
      g_print ("%s\t%lld\t%lld\t%lld\n", info.bundle_id, (long long) info.count,
               (long long) info.seq_from, (long long) info.seq_to);
      wt_bundle_info_clear (&info);
      return 0;
    }

  if (argc >= 3 && strcmp (argv[1], "import") == 0)
    {
      WtBundleResult result = { 0 };
      gboolean ok;

      if (dsn == NULL || receipt != NULL)
        {
          ledger = open_sync_ledger (&error);
          if (ledger == NULL && dsn == NULL)
            return fail (error);
          g_clear_error (&error);
        }
      if (dsn)
        ok = wt_bundle_import_central (dsn, ledger, argv[2], trust, receipt, &result, &error);
      else
        ok = wt_bundle_import (ledger, argv[2], trust, receipt, &result, &error);
      if (!ok)
        return fail (error);
      g_print ("imported %lld duplicates %lld anomalies %lld%s\n",
               (long long) result.inserted, (long long) result.duplicates, (long long) result.anomalies,
               result.already ? " (already imported)" : "");
      wt_bundle_result_clear (&result);
      return 0;
    }

  return fail_msg (_("Say “bundle export -o FILE” or “bundle import FILE”."));
}

/* ---- anomalies ------------------------------------------------------------------ */

int
wt_cli_anomalies (int    argc,
                  char **argv)
{
  g_autofree char *note = NULL;
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("List settled anomalies too"), NULL },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_("How the anomaly was settled"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("[list|resolve ID --note TEXT] — anomalies found by sync"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  ledger = open_sync_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  if (argc >= 2 && strcmp (argv[1], "resolve") == 0)
    {
      char *end = NULL;
      gint64 id;

      if (argc < 3 || (id = g_ascii_strtoll (argv[2], &end, 10)) <= 0 || *end != '\0')
        return fail_msg (_("Say which anomaly to resolve by its number: “anomalies resolve ID --note TEXT”."));
      if (!wt_ledger_resolve_anomaly (ledger, id, note, &error))
        return fail (error);
      return 0;
    }
  if (argc >= 2 && strcmp (argv[1], "list") != 0)
    return fail_msg (_("Say “anomalies”, “anomalies list” or “anomalies resolve ID --note TEXT”."));

  list = wt_ledger_list_anomalies (ledger, !all, &error);
  if (list == NULL)
    return fail (error);
  for (guint i = 0; i < list->len; i++)
    {
      WtAnomaly *a = list->pdata[i];
      g_autofree char *when = format_ms (a->detected_ms);

      g_print ("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long) a->id, a->kind,
               a->container_code ? a->container_code : "", when, a->source,
               a->event_id ? a->event_id : "", a->other_event_id ? a->other_event_id : "",
               a->resolved_by ? a->resolved_by : "open", a->detail);
    }
  return 0;
}
