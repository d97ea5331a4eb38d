/* wt-export-ui.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-export-ui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wt-export-ui.h"

static const char * const extensions[] = { "csv", "xlsx", "pdf" };

typedef struct
{
  GtkWidget          *owner;   /* weak: the owner destroys the dialog on dispose */
  WtExportChosenFunc  chosen;
} Chooser;

gboolean
wt_export_format_from_path (const char     *path,
                            WtExportFormat *out_format)
{
  const char *dot = path != NULL ? strrchr (path, '.') : NULL;
  const char *slash = path != NULL ? strrchr (path, G_DIR_SEPARATOR) : NULL;
  g_autofree char *extension = NULL;

  if (dot == NULL || (slash != NULL && dot < slash))
    return FALSE;
  extension = g_ascii_strdown (dot + 1, -1);
  return wt_export_format_parse (extension, out_format);
}

void
wt_export_show_error (GtkWidget  *widget,
                      const char *heading,
                      const char *body)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

AdwToast *
wt_export_saved_toast (const char *title_format,
                       const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) folder = g_file_get_parent (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *title = NULL;
  AdwToast *toast;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  title = g_strdup_printf (title_format, name);
#pragma GCC diagnostic pop
  toast = adw_toast_new (title);

  if (folder != NULL)
    {
      g_autofree char *uri = g_file_get_uri (folder);

      adw_toast_set_button_label (toast, _("Open Folder"));
      adw_toast_set_action_name (toast, "win.show-folder");
      adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
    }
  return toast;
}

static void
response_cb (GtkNativeDialog *dialog,
             int              response,
             gpointer         user_data)
{
  Chooser *chooser = user_data;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  WtExportFormat format = WT_EXPORT_CSV;
  GtkFileFilter *filter;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
  if (filter != NULL)
    format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (filter), "wt-format"));
  if (file != NULL)
    {
      path = g_file_get_path (file);
      if (path == NULL)
        wt_export_show_error (chooser->owner, _("Export Failed"), _("Choose a folder on this computer."));
    }

  /* A name without an extension gets the one of the chosen format; a name
   * with one says the format itself. */
  if (path != NULL && !wt_export_format_from_path (path, &format))
    {
      char *with_extension = g_strconcat (path, ".", extensions[format], NULL);

      g_free (path);
      path = with_extension;
    }
  chooser->chosen (chooser->owner, path, format);
}

static void
add_filter (GtkFileChooser *chooser,
            WtExportFormat  format)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  switch (format)
    {
    case WT_EXPORT_XLSX:
      gtk_file_filter_set_name (filter, _("Excel workbook (XLSX)"));
      gtk_file_filter_add_mime_type (filter, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      gtk_file_filter_add_pattern (filter, "*.xlsx");
      break;
    case WT_EXPORT_CSV:
      gtk_file_filter_set_name (filter, _("CSV, for any spreadsheet"));
      gtk_file_filter_add_mime_type (filter, "text/csv");
      gtk_file_filter_add_pattern (filter, "*.csv");
      break;
    case WT_EXPORT_PDF:
    default:
      gtk_file_filter_set_name (filter, _("PDF document, to print"));
      gtk_file_filter_add_mime_type (filter, "application/pdf");
      gtk_file_filter_add_pattern (filter, "*.pdf");
      break;
    }
  g_object_set_data (G_OBJECT (filter), "wt-format", GINT_TO_POINTER (format));
  gtk_file_chooser_add_filter (chooser, filter);
}

GtkNativeDialog *
wt_export_chooser_show (GtkWidget          *owner,
                        const char         *title,
                        const char         *current_name,
                        WtExportFormat      first_format,
                        WtExportChosenFunc  chosen)
{
  static const WtExportFormat order[] = { WT_EXPORT_XLSX, WT_EXPORT_CSV, WT_EXPORT_PDF };
  GtkRoot *root = gtk_widget_get_root (owner);
  GtkFileChooserNative *dialog;
  Chooser *chooser;

  g_return_val_if_fail (GTK_IS_WIDGET (owner), NULL);
  g_return_val_if_fail (chosen != NULL, NULL);

  dialog = gtk_file_chooser_native_new (title,
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  add_filter (GTK_FILE_CHOOSER (dialog), first_format);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    if (order[i] != first_format)
      add_filter (GTK_FILE_CHOOSER (dialog), order[i]);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), current_name);

  chooser = g_new0 (Chooser, 1);
  chooser->owner = owner;
  chooser->chosen = chosen;
  g_object_set_data_full (G_OBJECT (dialog), "wt-chooser", chooser, g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), chooser);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));

  return GTK_NATIVE_DIALOG (dialog);
}
