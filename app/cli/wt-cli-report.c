/* wt-cli-report.c: the ledger (台账) from the command line: reports, record
 * tables, overdue storage, corrections, verification and site settings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "wt-cli.h"
#include "wt-error.h"
#include "wt-report.h"

static gboolean
parse_format (const char     *text,
              const char     *output,
              WtExportFormat *format)
{
  if (text != NULL)
    return wt_export_format_parse (text, format);
  if (output != NULL && g_str_has_suffix (output, ".xlsx"))
    *format = WT_EXPORT_XLSX;
  else if (output != NULL && g_str_has_suffix (output, ".pdf"))
    *format = WT_EXPORT_PDF;
  else
    *format = WT_EXPORT_CSV;
  return TRUE;
}

static char *
unit_name (WtLedger *ledger)
{
  g_autoptr(WtSite) site = wt_ledger_dup_site (ledger, NULL);

  return site ? g_strdup_printf ("%s（%s）", site->name, site->uscc) : g_strdup ("");
}

int
wt_cli_report (int    argc,
               char **argv)
{
  g_autofree char *period_text = NULL, *format_text = NULL, *output = NULL;
  GOptionEntry entries[] = {
    { "period", 0, 0, G_OPTION_ARG_STRING, &period_text, N_("A month (2026-11), quarter (2026-Q4) or year (2026)"), N_("PERIOD") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("csv, xlsx or pdf"), N_("FORMAT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Output file (CSV goes to the terminal without one)"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— the period report of HJ 1259 Annex C, in tonnes"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(WtTable) table = NULL;
  g_autofree char *unit = NULL;
  g_autofree char *subtitle = NULL;
  WtExportFormat format;
  WtPeriod period;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (period_text == NULL)
    return fail_msg (_("Say which period with --period, e.g. --period 2026-11."));
  if (!wt_period_parse (period_text, &period, &error))
    return fail (error);
  if (!parse_format (format_text, output, &format))
    return fail_msg (_("The format must be csv, xlsx or pdf; “%s” was given."), format_text);
  if (format != WT_EXPORT_CSV && output == NULL)
    return fail_msg (_("Say where to write the report with -o FILE."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  rows = wt_ledger_report (ledger, &period, &error);
  if (rows == NULL)
    return fail (error);

  table = wt_report_to_table (rows, &period);
  unit = unit_name (ledger);
  subtitle = g_strdup_printf (_("Period %s (%s to %s)"), period.label, period.start, period.end);
  if (!wt_table_export (table, format, unit, subtitle, output, NULL, &error))
    return fail (error);

  return 0;
}

static int
ledger_table (WtLedger   *ledger,
              const char *kind_text,
              const char *period_text,
              const char *format_text,
              const char *output)
{
  g_autoptr(WtTable) table = NULL;
  g_autofree char *unit = NULL;
  WtExportFormat format;
  WtTableKind kind;
  WtPeriod period;
  GError *error = NULL;

  if (!wt_table_kind_parse (kind_text, &kind))
    return fail_msg (_("The table must be produced, stored, shipped, self-treated or outsourced; “%s” was given."), kind_text);
  if (period_text != NULL && !wt_period_parse (period_text, &period, &error))
    return fail (error);
  if (!parse_format (format_text, output, &format))
    return fail_msg (_("The format must be csv, xlsx or pdf; “%s” was given."), format_text);
  if (format != WT_EXPORT_CSV && output == NULL)
    return fail_msg (_("Say where to write the table with -o FILE."));

  table = wt_ledger_table (ledger, kind, period_text ? &period : NULL, &error);
  if (table == NULL)
    return fail (error);
  unit = unit_name (ledger);
  if (!wt_table_export (table, format, unit, period_text ? period.label : NULL, output, NULL, &error))
    return fail (error);
  return 0;
}

static int
ledger_verify (WtLedger *ledger)
{
  g_auto(GStrv) repaired = NULL;
  GError *error = NULL;
  gint64 n = 0;
  gint64 differ;

  if (!wt_ledger_verify (ledger, &n, &error))
    return fail (error);

  differ = wt_ledger_check_projections (ledger, TRUE, &repaired, &error);
  if (differ < 0)
    return fail (error);
  if (differ > 0)
    {
      g_autofree char *list = g_strjoinv (", ", repaired);

      g_printerr (g_dngettext (GETTEXT_PACKAGE,
                               "wastetag-cli: The stored state of %u container disagreed with its events and was rebuilt from them: %s.\n",
                               "wastetag-cli: The stored state of %u containers disagreed with their events and was rebuilt from them: %s.\n",
                               (gulong) differ),
                  (guint) differ, list);
    }

  g_print ("%" G_GINT64_FORMAT "\n", n);
  return 0;
}

int
wt_cli_ledger (int    argc,
               char **argv)
{
  g_autofree char *period_text = NULL, *format_text = NULL, *output = NULL;
  GOptionEntry entries[] = {
    { "period", 0, 0, G_OPTION_ARG_STRING, &period_text, N_("Only this month, quarter or year"), N_("PERIOD") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("csv, xlsx or pdf"), N_("FORMAT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Output file"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("verify | table produced|stored|shipped|self-treated|outsourced"));
  g_autoptr(WtLedger) ledger = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (argc >= 2 && strcmp (argv[1], "verify") == 0 && argc == 2)
    {
      ledger = open_ledger (&error);
      if (ledger == NULL)
        return fail (error);
      return ledger_verify (ledger);
    }
  if (argc == 3 && strcmp (argv[1], "table") == 0)
    {
      ledger = open_ledger (&error);
      if (ledger == NULL)
        return fail (error);
      return ledger_table (ledger, argv[2], period_text, format_text, output);
    }

  return fail_msg (_("Say “ledger verify” or “ledger table produced|stored|shipped|self-treated|outsourced”."));
}

int
wt_cli_overdue (int    argc,
                char **argv)
{
  int days = -1;
  gboolean warnings = FALSE;
  GOptionEntry entries[] = {
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Storage limit in days (default: the site’s, 365)"), N_("N") },
    { "with-warnings", 0, 0, G_OPTION_ARG_NONE, &warnings, N_("Also list containers close to the limit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— containers stored longer than the limit, oldest first"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GError *error = NULL;
  guint limit, warn;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (days == 0 || days < -1 || days > 3650)
    return fail_msg (_("The number of days must be a whole number from 1 to 3650."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  limit = days > 0 ? (guint) days : wt_ledger_get_overdue_limit (ledger);
  warn = warnings ? wt_ledger_get_overdue_warn (ledger) : 0;
  {
    const char *clock = g_getenv ("WASTETAG_CLOCK_MS");
    gint64 now = clock ? g_ascii_strtoll (clock, NULL, 10) : g_get_real_time () / 1000;

    list = wt_ledger_overdue (ledger, limit, MIN (warn, limit), now, &error);
  }
  if (list == NULL)
    return fail (error);

  g_print ("code\twaste_code\tgenerated\tage_days\tstate\tfacility\tstatus\n");
  for (guint i = 0; i < list->len; i++)
    {
      WtOverdue *o = g_ptr_array_index (list, i);

      g_print ("%s\t%s\t%s\t%u\t%s\t%s\t%s\n", o->container->code, o->container->waste_code,
               o->container->date, o->age_days, wt_container_state_to_id (o->container->state),
               o->container->facility ? o->container->facility : "",
               o->overdue ? "overdue" : "warning");
    }
  return 0;
}

int
wt_cli_correct (int    argc,
                char **argv)
{
  g_autofree char *weight_text = NULL, *date = NULL, *reason = NULL;
  GOptionEntry entries[] = {
    { "weight", 0, 0, G_OPTION_ARG_STRING, &weight_text, N_("The correct weight in kg"), N_("KG") },
    { "date", 0, 0, G_OPTION_ARG_STRING, &date, N_("The correct date of generation"), N_("YYYY-MM-DD") },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("Why the record was wrong"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("EVENT-ID — correct a recorded value with a new event"));
  g_autoptr(WtLedger) ledger = NULL;
  GError *error = NULL;
  double kg = -1;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return fail_msg (_("Say which event to correct: “correct EVENT-ID --weight KG --reason TEXT”."));
  if (!parse_weight (weight_text, &kg, &error))
    return fail (error);

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  if (!wt_ledger_correct (ledger, argv[1], kg, date, reason, &error))
    return fail (error);
  return 0;
}

int
wt_cli_settings (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("[set KEY VALUE] — overdue-limit-days, overdue-warn-days, unit-class"));
  g_autoptr(WtLedger) ledger = NULL;
  GError *error = NULL;

  if (!parse_options (context, &argc, &argv))
    return 2;

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  if (argc == 4 && strcmp (argv[1], "set") == 0)
    {
      if (strcmp (argv[2], "overdue-limit-days") != 0 && strcmp (argv[2], "overdue-warn-days") != 0 &&
          strcmp (argv[2], "unit-class") != 0)
        return fail_msg (_("“%s” is not a setting: use overdue-limit-days, overdue-warn-days or unit-class."), argv[2]);
      if (!wt_ledger_set_setting (ledger, argv[2], argv[3], &error))
        return fail (error);
      return 0;
    }
  if (argc != 1)
    return fail_msg (_("Say “settings” to list them or “settings set KEY VALUE”."));

  {
    static const char *classes[] = { "key", "simplified", "registered" };

    g_print ("overdue-limit-days\t%u\noverdue-warn-days\t%u\nunit-class\t%s\n",
             wt_ledger_get_overdue_limit (ledger), wt_ledger_get_overdue_warn (ledger),
             classes[wt_ledger_get_unit_class (ledger)]);
  }
  return 0;
}
