/* wt-cli.c: wastetag-cli, the headless face of the same core.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Output is for scripts: tab-separated, one record per line. Errors are one
 * sentence on stderr and a non-zero exit status; nothing half-done is left.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt-catalogue.h"
#include "wt-code.h"
#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-handover.h"
#include "wt-hazard.h"
#include "wt-label.h"
#include "wt-ledger.h"
#include "wt-cli.h"
#include "wt-cli-sync.h"
#include "wt-cli-scan.h"

typedef int (*CommandFunc) (int argc, char **argv);

static char *ledger_path;

int
fail (GError *error)
{
  g_printerr ("wastetag-cli: %s\n", error->message);
  g_error_free (error);
  return 1;
}

int
fail_msg (const char *format,
          ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("wastetag-cli: %s\n", msg);
  return 1;
}

WtLedger *
open_ledger (GError **error)
{
  g_autofree char *path = ledger_path ? g_strdup (ledger_path) : wt_ledger_default_path ();

  return wt_ledger_open (path, error);
}

gboolean
parse_options (GOptionContext *context,
               int            *argc,
               char         ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("wastetag-cli: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- site ------------------------------------------------------------------ */

static int
cmd_site (int    argc,
          char **argv)
{
  g_autofree char *name = NULL, *uscc = NULL, *contact = NULL, *phone = NULL;
  g_autofree char *address = NULL, *device = NULL, *slot = NULL, *facility = NULL;
  g_autofree char *split = NULL;
  gboolean demo = FALSE;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Unit name"), N_("NAME") },
    { "uscc", 0, 0, G_OPTION_ARG_STRING, &uscc, N_("Unified social credit code"), N_("CODE") },
    { "contact", 0, 0, G_OPTION_ARG_STRING, &contact, N_("Contact person"), N_("NAME") },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &phone, N_("Contact phone"), N_("PHONE") },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, N_("Address"), N_("TEXT") },
    { "facility", 0, 0, G_OPTION_ARG_STRING, &facility, N_("Storage facility code"), N_("CODE") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("This device’s name"), N_("NAME") },
    { "device-slot", 0, 0, G_OPTION_ARG_STRING, &slot, N_("This device’s letter, unique within the site"), N_("LETTER") },
    { "code-split", 0, 0, G_OPTION_ARG_STRING, &split, N_("Container code segments, default 18+8+8+3"), N_("SPLIT") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, N_("Fill a demo site with a few containers"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("init|show — set up or show the site"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(WtSite) site = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (argc < 2 || (strcmp (argv[1], "init") != 0 && strcmp (argv[1], "show") != 0))
    return fail_msg (_("Say “site init” to set up the site or “site show” to see it."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  if (strcmp (argv[1], "show") == 0)
    {
      g_autofree char *split_text = NULL;

      site = wt_ledger_dup_site (ledger, &error);
      if (site == NULL)
        return fail (error);
      split_text = wt_code_split_to_string (&site->split);
      g_print ("name\t%s\nuscc\t%s\ncontact\t%s\nphone\t%s\naddress\t%s\nfacility\t%s\n"
               "device\t%s\ndevice_slot\t%c\ndevice_id\t%s\npublic_key\t%s\ncode_split\t%s\n",
               site->name, site->uscc, site->contact, site->phone, site->address,
               site->facility, site->device_name, site->device_slot, site->device_id,
               site->public_key, split_text);
      return 0;
    }

  if (demo)
    {
      if (!wt_ledger_init_demo (ledger, &error))
        return fail (error);
      return 0;
    }

  if (name == NULL || uscc == NULL)
    return fail_msg (_("“site init” needs --name and --uscc."));

  site = wt_site_new ();
  g_free (site->name);
  site->name = g_steal_pointer (&name);
  g_free (site->uscc);
  site->uscc = g_steal_pointer (&uscc);
#define SET(field, value) G_STMT_START { if (value) { g_free (site->field); site->field = g_steal_pointer (&value); } } G_STMT_END
  SET (contact, contact);
  SET (phone, phone);
  SET (address, address);
  SET (facility, facility);
  SET (device_name, device);
#undef SET
  if (slot != NULL)
    {
      if (strlen (slot) != 1)
        return fail_msg (_("The device letter must be one character, like A."));
      site->device_slot = g_ascii_toupper (slot[0]);
    }
  if (split != NULL && !wt_code_split_parse (split, &site->split, &error))
    return fail (error);

  if (!wt_ledger_init_site (ledger, site, &error))
    return fail (error);

  return 0;
}

/* ---- catalogue --------------------------------------------------------------- */

static int
cmd_catalogue (int    argc,
               char **argv)
{
  gboolean ewc = FALSE;
  GOptionEntry entries[] = {
    { "ewc", 0, 0, G_OPTION_ARG_NONE, &ewc, N_("Search the EU/UK List of Waste instead"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("search TEXT — find waste codes"));
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *query = NULL;
  WtCatalogue *catalogue;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (argc < 3 || strcmp (argv[1], "search") != 0)
    return fail_msg (_("Say “catalogue search TEXT”, for example “catalogue search 废矿物油”."));

  query = g_strjoinv (" ", argv + 2);
  catalogue = wt_catalogue_get (ewc ? WT_CATALOGUE_EWC : WT_CATALOGUE_HW_2021);
  results = wt_catalogue_search (catalogue, query, 0);

  for (guint i = 0; i < results->len; i++)
    {
      const WtWaste *w = g_ptr_array_index (results, i);

      g_print ("%s\t%s\t%s\t%s\n", w->code, w->category, w->hazard, w->description);
    }

  return 0;
}

/* ---- label --------------------------------------------------------------------- */

gboolean
parse_weight (const char  *text,
              double      *out,
              GError     **error)
{
  char *end = NULL;
  double v;

  if (text == NULL)
    {
      *out = -1;
      return TRUE;
    }

  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || errno != 0 || isnan (v) || isinf (v))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The weight “%s” is not a number of kilograms."), text);
      return FALSE;
    }
  if (v < 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The weight cannot be negative (%s kg was given)."), text);
      return FALSE;
    }

  *out = v;
  return TRUE;
}

static gboolean
parse_count (const char  *text,
             guint       *out,
             GError     **error)
{
  guint64 v;

  if (text == NULL ||
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &v, NULL) ||
      v < 1 || v > 10000)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The count must be a whole number from 1 to 10,000; “%s” was given."),
                   text ? text : "");
      return FALSE;
    }

  *out = v;
  return TRUE;
}

/* Writes @items, registers the job, then shows the files under their final
 * names: a file a person can see is always a registered one. */
static gboolean
write_and_register (WtLedger              *ledger,
                    WtPrintJob            *job,
                    const WtLabelContent  *content,
                    const WtLabelOptions  *options,
                    const WtLabelItem     *items,
                    guint                  n_items,
                    WtLabelFormat          format,
                    const char            *output,
                    double                 weight,
                    GError               **error)
{
  g_autoptr(WtLabelOutput) out = NULL;
  GError *local_error = NULL;

  out = wt_label_output_write (content, options, items, n_items, format, output,
                               NULL, NULL, NULL, &local_error);
  if (out == NULL)
    {
      wt_ledger_abandon_job (ledger, job, local_error->message, NULL);
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (!wt_ledger_commit_job (ledger, job, content, options, weight, &local_error))
    {
      wt_ledger_abandon_job (ledger, job, local_error->message, NULL);
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (!wt_label_output_commit (out, &local_error))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("The containers were registered, but their labels could not be saved (%s); reprint them."),
                   local_error->message);
      g_error_free (local_error);
      return FALSE;
    }

  return TRUE;
}

static int
cmd_label (int    argc,
           char **argv)
{
  g_autofree char *waste = NULL, *count_text = NULL, *weight_text = NULL, *size_text = NULL;
  g_autofree char *ecc_text = NULL, *format_text = NULL, *output = NULL, *layout_text = NULL;
  g_autofree char *name = NULL, *common = NULL, *form = NULL, *main_c = NULL, *harmful = NULL;
  g_autofree char *precautions = NULL, *notes = NULL, *container_type = NULL, *date = NULL;
  g_autofree char *hazards_text = NULL;
  double volume = 0, dpi = 300;
  int start = 1;
  GOptionEntry entries[] = {
    { "waste", 0, 0, G_OPTION_ARG_STRING, &waste, N_("Waste code from the catalogue, e.g. 900-249-08"), N_("CODE") },
    { "count", 0, 0, G_OPTION_ARG_STRING, &count_text, N_("Number of containers, 1 to 10,000"), N_("N") },
    { "weight", 0, 0, G_OPTION_ARG_STRING, &weight_text, N_("Weight of each container in kg"), N_("KG") },
    { "volume", 0, 0, G_OPTION_ARG_DOUBLE, &volume, N_("Container volume in litres"), N_("LITRES") },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size_text, N_("Label size: auto, 100, 150 or 200 (mm)"), N_("SIZE") },
    { "ecc", 0, 0, G_OPTION_ARG_STRING, &ecc_text, N_("QR error correction: M, Q or H"), N_("LEVEL") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("pdf, png or svg (default: from the file name)"), N_("FORMAT") },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout_text, N_("single (one label per page) or a4 (sheets)"), N_("LAYOUT") },
    { "start", 0, 0, G_OPTION_ARG_INT, &start, N_("First free position on a part-used A4 sheet"), N_("N") },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("Printer resolution the QR modules snap to"), N_("DPI") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Waste name (default: the catalogue’s)"), N_("TEXT") },
    { "common-name", 0, 0, G_OPTION_ARG_STRING, &common, N_("The name used in the plant (行业俗称)"), N_("TEXT") },
    { "form", 0, 0, G_OPTION_ARG_STRING, &form, N_("Physical form: 固态, 液态, 半固态 or 气态"), N_("FORM") },
    { "main", 0, 0, G_OPTION_ARG_STRING, &main_c, N_("Main components"), N_("TEXT") },
    { "harmful", 0, 0, G_OPTION_ARG_STRING, &harmful, N_("Harmful components"), N_("TEXT") },
    { "hazards", 0, 0, G_OPTION_ARG_STRING, &hazards_text, N_("Hazard letters (default: the catalogue’s), e.g. T,I"), N_("LETTERS") },
    { "precautions", 0, 0, G_OPTION_ARG_STRING, &precautions, N_("Precautions"), N_("TEXT") },
    { "notes", 0, 0, G_OPTION_ARG_STRING, &notes, N_("Notes"), N_("TEXT") },
    { "container-type", 0, 0, G_OPTION_ARG_STRING, &container_type, N_("Container type, e.g. 钢桶"), N_("TEXT") },
    { "date", 0, 0, G_OPTION_ARG_STRING, &date, N_("Date of generation, YYYY-MM-DD (default: today)"), N_("DATE") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Output file"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— register containers and write their labels"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(WtSite) site = NULL;
  g_autoptr(WtLabelContent) content = NULL;
  g_autoptr(WtPrintJob) job = NULL;
  g_autoptr(GArray) items = NULL;
  g_autofree char *weight_label = NULL;
  g_autofree char *contact = NULL;
  const WtWaste *w;
  WtLabelOptions options;
  WtLabelFormat format;
  GError *error = NULL;
  double weight;
  guint count;
  guint copies;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;

  if (waste == NULL)
    return fail_msg (_("Say which waste with --waste CODE, for example --waste 900-249-08."));
  if (output == NULL)
    return fail_msg (_("Say where to write the labels with -o FILE."));
  if (!parse_count (count_text, &count, &error) || !parse_weight (weight_text, &weight, &error))
    return fail (error);
  if (volume < 0)
    return fail_msg (_("The volume cannot be negative."));

  wt_label_options_init (&options);
  options.dpi = dpi;
  if (dpi < 72 || dpi > 2400)
    return fail_msg (_("The printer resolution must be between 72 and 2400 dpi."));
  if (size_text == NULL || g_strcmp0 (size_text, "auto") == 0)
    options.size_mm = wt_label_size_for_volume (volume);
  else
    {
      guint64 s;

      if (!g_ascii_string_to_unsigned (size_text, 10, 0, 1000, &s, NULL) || !wt_label_size_is_valid (s))
        return fail_msg (_("The label size must be auto, 100, 150 or 200; “%s” was given."), size_text);
      options.size_mm = s;
    }
  if (ecc_text != NULL && !wt_ecc_parse (ecc_text, &options.ecc))
    return fail_msg (_("The error correction level must be M, Q or H; “%s” was given."), ecc_text);
  if (layout_text == NULL || g_strcmp0 (layout_text, "single") == 0)
    options.layout = WT_LABEL_LAYOUT_SINGLE;
  else if (g_ascii_strcasecmp (layout_text, "a4") == 0)
    options.layout = WT_LABEL_LAYOUT_A4_SHEET;
  else
    return fail_msg (_("The layout must be single or a4; “%s” was given."), layout_text);
  if (start < 1 || (options.layout == WT_LABEL_LAYOUT_A4_SHEET &&
                    (guint) start > wt_label_sheet_capacity (options.size_mm)))
    return fail_msg (_("The start position must be between 1 and the number of labels on a sheet."));
  options.start_position = start;

  if (format_text != NULL)
    {
      if (!wt_label_format_parse (format_text, &format))
        return fail_msg (_("The format must be pdf, png or svg; “%s” was given."), format_text);
    }
  else if (!wt_label_format_from_path (output, &format))
    format = WT_LABEL_FORMAT_PDF;

  w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), waste);
  if (w == NULL)
    w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_EWC), waste);
  if (w == NULL)
    return fail_msg (_("“%s” is not a waste code of the National Catalogue of Hazardous Wastes (2021). Find the right one with “wastetag-cli catalogue search”."),
                     waste);

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  site = wt_ledger_dup_site (ledger, &error);
  if (site == NULL)
    return fail (error);

  content = wt_label_content_new ();
  wt_label_content_set (content, &content->waste_name, name ? name : w->description);
  wt_label_content_set (content, &content->common_name, common);
  wt_label_content_set (content, &content->category, w->category);
  wt_label_content_set (content, &content->waste_code, w->code);
  wt_label_content_set (content, &content->form, form);
  wt_label_content_set (content, &content->main_components, main_c);
  wt_label_content_set (content, &content->harmful_components, harmful);
  content->hazards = w->hazards;
  if (hazards_text != NULL && !wt_hazard_parse (hazards_text, &content->hazards))
    return fail_msg (_("The hazard letters must be among T, C, I, R and In; “%s” was given."), hazards_text);
  wt_label_content_set (content, &content->precautions, precautions);
  wt_label_content_set (content, &content->producer, site->name);
  contact = g_strjoin (" ", site->contact, site->phone, NULL);
  wt_label_content_set (content, &content->contact, g_strstrip (contact));
  wt_label_content_set (content, &content->notes, notes);
  wt_label_content_set (content, &content->container_type, container_type);
  content->volume_l = volume;
  if (weight >= 0)
    {
      weight_label = g_strdup_printf ("%g kg", weight);
      wt_label_content_set (content, &content->weight, weight_label);
    }
  if (date != NULL)
    wt_label_content_set (content, &content->date, date);
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

      wt_label_content_set (content, &content->date, today);
    }

  job = wt_ledger_reserve (ledger, content, count, &error);
  if (job == NULL)
    return fail (error);

  copies = wt_label_copies_for_volume (volume);
  items = g_array_new (FALSE, TRUE, sizeof (WtLabelItem));
  for (guint i = 0; i < job->n_containers; i++)
    for (guint c = 1; c <= copies; c++)
      {
        WtLabelItem item = { job->codes[i], job->payloads[i], c, copies, 0 };

        g_array_append_val (items, item);
      }

  if (!write_and_register (ledger, job, content, &options,
                           (WtLabelItem *) items->data, items->len,
                           format, output, weight, &error))
    return fail (error);

  for (guint i = 0; i < job->n_containers; i++)
    g_print ("%s\n", job->codes[i]);

  return 0;
}

/* ---- reprint / void --------------------------------------------------------------- */

static char *
resolve_code (WtLedger    *ledger,
              const char  *text,
              GError     **error)
{
  return wt_ledger_resolve_code (ledger, text, error);
}

static int
cmd_reprint (int    argc,
             char **argv)
{
  g_autofree char *reason = NULL, *output = NULL, *format_text = NULL;
  double dpi = 300;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("Why the label is reprinted"), N_("TEXT") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, N_("pdf, png or svg"), N_("FORMAT") },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("Printer resolution"), N_("DPI") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Output file"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CODE — reprint a damaged label"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(WtContainer) container = NULL;
  g_autoptr(WtLabelOutput) out = NULL;
  g_autoptr(GArray) items = NULL;
  g_autofree char *code = NULL;
  g_autofree char *payload = NULL;
  WtLabelOptions options;
  WtLabelFormat format;
  GError *error = NULL;
  guint reprint = 0;
  guint copies;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return fail_msg (_("Say which container to reprint: “reprint CODE --reason TEXT -o FILE”."));
  if (output == NULL)
    return fail_msg (_("Say where to write the label with -o FILE."));

  if (format_text != NULL)
    {
      if (!wt_label_format_parse (format_text, &format))
        return fail_msg (_("The format must be pdf, png or svg; “%s” was given."), format_text);
    }
  else if (!wt_label_format_from_path (output, &format))
    format = WT_LABEL_FORMAT_PDF;

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  code = resolve_code (ledger, argv[1], &error);
  if (code == NULL)
    return fail (error);
  container = wt_ledger_get_container (ledger, code, &error);
  if (container == NULL)
    return fail (error);

  payload = wt_ledger_relabel (ledger, code, reason, &reprint, &error);
  if (payload == NULL)
    return fail (error);

  wt_label_options_init (&options);
  options.size_mm = container->size_mm;
  options.ecc = container->ecc;
  options.dpi = dpi;

  copies = wt_label_copies_for_volume (container->content->volume_l);
  items = g_array_new (FALSE, TRUE, sizeof (WtLabelItem));
  for (guint c = 1; c <= copies; c++)
    {
      WtLabelItem item = { code, payload, c, copies, reprint };

      g_array_append_val (items, item);
    }

  out = wt_label_output_write (container->content, &options, (WtLabelItem *) items->data,
                               items->len, format, output, NULL, NULL, NULL, &error);
  if (out == NULL || !wt_label_output_commit (out, &error))
    {
      g_autoptr(GError) why = error;

      return fail_msg (_("The reprint was recorded, but the label could not be written (%s)."), why->message);
    }

  g_print ("%s\t%u\n", code, reprint);
  return 0;
}

static int
cmd_void (int    argc,
          char **argv)
{
  g_autofree char *reason = NULL;
  GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("Why the label is voided"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CODE — void a label printed by mistake"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autofree char *code = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return fail_msg (_("Say which label to void: “void CODE --reason TEXT”."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  code = resolve_code (ledger, argv[1], &error);
  if (code == NULL)
    return fail (error);
  if (!wt_ledger_void (ledger, code, reason, &error))
    return fail (error);

  return 0;
}

/* ---- decode --------------------------------------------------------------------- */

static char *
escape_raw (const char *text,
            gsize       len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\n')
        g_string_append (s, "\\n");
      else if (text[i] == '\t')
        g_string_append (s, "\\t");
      else if (text[i] == '\r')
        g_string_append (s, "\\r");
      else if (text[i] == '\\')
        g_string_append (s, "\\\\");
      else
        g_string_append_c (s, text[i]);
    }

  return g_string_free (s, FALSE);
}

static int
cmd_decode (int    argc,
            char **argv)
{
  gboolean raw = FALSE;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, N_("Print the exact decoded text"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("IMAGE… — read labels from image files"));
  g_autoptr(WtDecoder) decoder = NULL;
  int status = 0;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc < 2)
    return fail_msg (_("Give one or more image files to read."));

  decoder = wt_decoder_new ();

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *result = NULL;

      found = wt_decoder_decode_file (decoder, argv[i], &error);
      if (found == NULL)
        {
          g_printerr ("wastetag-cli: %s\n", error->message);
          g_print ("%s\t-\n", argv[i]);
          status = 1;
          continue;
        }

      for (guint k = 0; k < found->len && result == NULL; k++)
        {
          WtDecoded *d = g_ptr_array_index (found, k);

          if (raw)
            result = escape_raw (d->text, d->length);
          else
            {
              g_autoptr(WtPayload) p = NULL;
              g_autoptr(GError) perror = NULL;

              p = wt_payload_parse (d->text, d->length, &perror);
              if (p != NULL)
                result = g_strdup (p->container_code);
              else
                g_printerr ("wastetag-cli: %s: %s\n", argv[i], perror->message);
            }
        }

      g_print ("%s\t%s\n", argv[i], result ? result : "-");
    }

  return status;
}

/* ---- containers, history, ledger ------------------------------------------------------- */

char *
format_ms (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);

  return dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S%z") : g_strdup ("");
}

static int
cmd_containers (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("— list the registered containers"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GError *error = NULL;

  if (!parse_options (context, &argc, &argv))
    return 2;

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  list = wt_ledger_list_containers (ledger, 0, 0, &error);
  if (list == NULL)
    return fail (error);

  g_print ("code\twaste_code\twaste_name\tstate\tweight_kg\treprints\tdate\tlabelled_at\n");
  for (guint i = 0; i < list->len; i++)
    {
      WtContainer *c = g_ptr_array_index (list, i);
      g_autofree char *when = format_ms (c->labelled_ms);
      char weight[G_ASCII_DTOSTR_BUF_SIZE] = "";

      if (c->weight_kg >= 0)
        g_ascii_formatd (weight, sizeof weight, "%g", c->weight_kg);

      g_print ("%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\n", c->code, c->waste_code, c->waste_name,
               wt_container_state_to_id (c->state),
               weight, c->reprints, c->date, when);
    }

  return 0;
}

static int
cmd_history (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("CODE — the events of one container, oldest first"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *code = NULL;
  GError *error = NULL;

  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return fail_msg (_("Say which container: “history CODE”."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  code = resolve_code (ledger, argv[1], &error);
  if (code == NULL)
    return fail (error);
  events = wt_ledger_container_events (ledger, code, &error);
  if (events == NULL)
    return fail (error);
  if (events->len == 0)
    return fail_msg (_("No container with the code %s is registered in this ledger."), code);

  g_print ("time\tkind\tactor\tdevice\tseq\tevent_id\tpayload\n");
  for (guint i = 0; i < events->len; i++)
    {
      WtEvent *e = g_ptr_array_index (events, i);
      g_autofree char *when = format_ms (e->wall_ms);

      g_print ("%s\t%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\n", when, e->kind, e->actor,
               e->device_id, e->device_seq, e->event_id, e->payload);
    }

  return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static const struct
{
  const char  *name;
  CommandFunc  func;
  const char  *help;
} commands[] = {
  { "site", cmd_site, N_("Set up (init) or show the site") },
  { "catalogue", cmd_catalogue, N_("Search the waste catalogue") },
  { "label", cmd_label, N_("Register containers and write their labels") },
  { "reprint", cmd_reprint, N_("Reprint a damaged label") },
  { "void", cmd_void, N_("Void a label printed by mistake") },
  { "decode", cmd_decode, N_("Read labels from image files") },
  { "scan", wt_cli_scan, N_("Print the labels a camera reads") },
  { "containers", cmd_containers, N_("List the registered containers") },
  { "history", cmd_history, N_("Show a container’s events") },
  { "store", wt_cli_store, N_("Store containers in a facility (入库)") },
  { "manifest", wt_cli_manifest, N_("Open, show, print or load transfer manifests") },
  { "ship", wt_cli_ship, N_("Hand containers to the carrier (出库)") },
  { "receive", wt_cli_receive, N_("Receive or reject containers (接收)") },
  { "treat", wt_cli_treat, N_("Record treatment (利用/处置)") },
  { "weigh", wt_cli_weigh, N_("Record a weighing") },
  { "inspect", wt_cli_inspect, N_("Record a condition check") },
  { "methods", wt_cli_methods, N_("List or edit the treatment methods") },
  { "ledger", wt_cli_ledger, N_("Verify the ledger, or print an HJ 1259 record table") },
  { "report", wt_cli_report, N_("The period report (HJ 1259 Annex C)") },
  { "overdue", wt_cli_overdue, N_("Containers stored longer than the limit") },
  { "correct", wt_cli_correct, N_("Correct a recorded weight or date") },
  { "settings", wt_cli_settings, N_("Show or change the site’s ledger settings") },
  { "central", wt_cli_central, N_("Set up the central store (init, add-site, verify)") },
  { "sync", wt_cli_sync, N_("Sync with the central store") },
  { "bundle", wt_cli_bundle, N_("Export or import a USB bundle") },
  { "anomalies", wt_cli_anomalies, N_("List or resolve anomalies found by sync") },
};

static void
usage (void)
{
  g_printerr (_("Usage: wastetag-cli [--ledger PATH] COMMAND [OPTIONS]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_printerr ("  %-12s %s\n", commands[i].name, _(commands[i].help));
  g_printerr (_("\nThe ledger is $WASTETAG_LEDGER or, by default, in your data folder.\n"));
}

int
main (int    argc,
      char **argv)
{
  int i = 1;

  /* A file-size limit must fail the write with EFBIG, so the batch is
   * cleaned up and reported, rather than kill the process. */
  signal (SIGXFSZ, SIG_IGN);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("WASTETAG_UNINSTALLED") ? BUILD_LOCALEDIR : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Global options come before the command. */
  while (i < argc && argv[i][0] == '-')
    {
      if (strcmp (argv[i], "--ledger") == 0 && i + 1 < argc)
        {
          ledger_path = argv[i + 1];
          i += 2;
        }
      else if (g_str_has_prefix (argv[i], "--ledger="))
        {
          ledger_path = argv[i] + strlen ("--ledger=");
          i++;
        }
      else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          usage ();
          return 0;
        }
      else if (strcmp (argv[i], "--version") == 0)
        {
          g_print ("wastetag-cli %s\n", PACKAGE_VERSION);
          return 0;
        }
      else
        {
          usage ();
          return 2;
        }
    }

  if (i >= argc)
    {
      usage ();
      return 2;
    }

  /* A --ledger after the command is accepted too. */
  for (int k = i + 1; k < argc; k++)
    {
      if (strcmp (argv[k], "--ledger") == 0 && k + 1 < argc)
        {
          ledger_path = argv[k + 1];
          memmove (argv + k, argv + k + 2, (argc - k - 2) * sizeof (char *));
          argc -= 2;
          argv[argc] = NULL;
          k--;
        }
    }

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (strcmp (argv[i], commands[c].name) == 0)
      return commands[c].func (argc - i, argv + i);

  g_printerr (_("wastetag-cli: “%s” is not a command.\n"), argv[i]);
  usage ();
  return 2;
}
