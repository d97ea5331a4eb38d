/* wt-label-print.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-label-print"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-error.h"
#include "wt-label-print.h"

/* Below this the print context is not a real printer (PDF export reports
 * 72 dpi); the preference's printer resolution is used instead. */
#define MIN_PRINTER_DPI 150.0

typedef struct
{
  GtkPrintOperation *operation;
  WtLabelContent    *content;
  WtLabelOptions     options;
  WtLabelRenderer   *renderer;
  GPtrArray         *strings;     /* owns the items' strings */
  WtLabelItem       *items;
  guint              n_items;
  guint             *first_item;  /* first item index of each page */
  guint              n_pages;
  GError            *draw_error;
  gulong             cancelled_id;
  gboolean           finished;
} PrintData;

static void
print_data_free (gpointer pointer)
{
  PrintData *data = pointer;

  g_clear_pointer (&data->renderer, wt_label_renderer_free);
  g_clear_pointer (&data->content, wt_label_content_free);
  g_clear_pointer (&data->strings, g_ptr_array_unref);
  g_clear_pointer (&data->items, g_free);
  g_clear_pointer (&data->first_item, g_free);
  g_clear_error (&data->draw_error);
  g_clear_object (&data->operation);
  g_free (data);
}

static void
finish (GTask                   *task,
        GtkPrintOperationResult  result,
        const GError            *print_error)
{
  PrintData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (data->finished)
    return;
  data->finished = TRUE;

  if (data->cancelled_id != 0)
    {
      g_cancellable_disconnect (cancellable, data->cancelled_id);
      data->cancelled_id = 0;
    }

  if (data->draw_error != NULL)
    g_task_return_error (task, g_steal_pointer (&data->draw_error));
  else if (result == GTK_PRINT_OPERATION_RESULT_APPLY)
    g_task_return_boolean (task, TRUE);
  else if (result == GTK_PRINT_OPERATION_RESULT_ERROR && print_error != NULL)
    g_task_return_new_error (task, WT_ERROR, WT_ERROR_IO,
                             _("The labels could not be printed: %s"), print_error->message);
  else if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    g_task_return_new_error (task, WT_ERROR, WT_ERROR_IO,
                             "%s", _("The labels could not be printed."));
  else
    g_task_return_new_error (task, WT_ERROR, WT_ERROR_CANCELLED,
                             "%s", _("Printing was cancelled."));
}

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                GTask             *task)
{
  PrintData *data = g_task_get_task_data (task);
  double dpi = gtk_print_context_get_dpi_x (context);

  /* Modules snap to whole printer dots, so a real printer's resolution wins. */
  if (dpi >= MIN_PRINTER_DPI)
    data->options.dpi = dpi;

  g_clear_pointer (&data->renderer, wt_label_renderer_free);
  data->renderer = wt_label_renderer_new (data->content, &data->options);
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              GTask             *task)
{
  PrintData *data = g_task_get_task_data (task);
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  guint i;

  if (data->draw_error != NULL || page_nr < 0 || (guint) page_nr >= data->n_pages)
    return;

  for (i = data->first_item[page_nr]; i < data->n_items; i++)
    {
      guint page = 0;
      double x = 0, y = 0;

      wt_label_place (&data->options, i, &page, &x, &y);
      if (page != (guint) page_nr)
        break;

      cairo_save (cr);
      cairo_translate (cr, x, y);
      if (!wt_label_renderer_draw (data->renderer, cr, &data->items[i], &data->draw_error))
        {
          cairo_restore (cr);
          gtk_print_operation_cancel (operation);
          return;
        }
      cairo_restore (cr);
    }
}

static void
done_cb (GtkPrintOperation       *operation,
         GtkPrintOperationResult  result,
         GTask                   *task)
{
  g_autoptr(GError) error = NULL;

  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    gtk_print_operation_get_error (operation, &error);
  finish (task, result, error);
}

static void
cancelled_cb (GCancellable *cancellable,
              PrintData    *data)
{
  gtk_print_operation_cancel (data->operation);
}

static GtkPageSetup *
page_setup_new (const WtLabelOptions *options)
{
  GtkPageSetup *setup = gtk_page_setup_new ();
  GtkPaperSize *paper;
  double width = 0, height = 0;

  wt_label_page_size (options, &width, &height);
  if (options->layout == WT_LABEL_LAYOUT_A4_SHEET)
    paper = gtk_paper_size_new (GTK_PAPER_NAME_A4);
  else
    {
      g_autofree char *name = g_strdup_printf ("wastetag_%umm", options->size_mm);
      g_autofree char *display = g_strdup_printf (_("Label %u mm"), options->size_mm);

      paper = gtk_paper_size_new_custom (name, display, width, height, GTK_UNIT_POINTS);
    }

  gtk_page_setup_set_paper_size (setup, paper);
  gtk_page_setup_set_orientation (setup, GTK_PAGE_ORIENTATION_PORTRAIT);
  gtk_page_setup_set_top_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_bottom_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_left_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_right_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_paper_size_free (paper);

  return setup;
}

void
wt_label_print_async (gpointer               source_object,
                      GtkWindow             *parent,
                      const WtLabelContent  *content,
                      const WtLabelOptions  *options,
                      const WtLabelItem     *items,
                      guint                  n_items,
                      const char            *export_filename,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkPageSetup) setup = NULL;
  g_autoptr(GError) error = NULL;
  GtkPrintOperationResult result;
  PrintData *data;
  guint i;

  g_return_if_fail (content != NULL);
  g_return_if_fail (options != NULL);
  g_return_if_fail (items != NULL && n_items > 0);

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, wt_label_print_async);

  data = g_new0 (PrintData, 1);
  data->content = wt_label_content_copy (content);
  data->options = *options;
  data->n_items = n_items;
  data->strings = g_ptr_array_new_with_free_func (g_free);
  data->items = g_new0 (WtLabelItem, n_items);
  for (i = 0; i < n_items; i++)
    {
      char *code = g_strdup (items[i].container_code);
      char *payload = g_strdup (items[i].payload);

      g_ptr_array_add (data->strings, code);
      g_ptr_array_add (data->strings, payload);
      data->items[i] = items[i];
      data->items[i].container_code = code;
      data->items[i].payload = payload;
    }

  data->n_pages = wt_label_n_pages (&data->options, n_items);
  if (data->n_pages == 0)
    data->n_pages = 1;
  data->first_item = g_new0 (guint, data->n_pages);
  for (i = n_items; i > 0; i--)
    {
      guint page = 0;
      double x, y;

      wt_label_place (&data->options, i - 1, &page, &x, &y);
      if (page < data->n_pages)
        data->first_item[page] = i - 1;
    }

  data->operation = gtk_print_operation_new ();
  g_task_set_task_data (task, data, print_data_free);

  setup = page_setup_new (&data->options);
  gtk_print_operation_set_default_page_setup (data->operation, setup);
  gtk_print_operation_set_n_pages (data->operation, (int) data->n_pages);
  gtk_print_operation_set_use_full_page (data->operation, TRUE);
  gtk_print_operation_set_unit (data->operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_allow_async (data->operation, TRUE);
  gtk_print_operation_set_job_name (data->operation, _("Wastetag labels"));

  g_signal_connect (data->operation, "begin-print", G_CALLBACK (begin_print_cb), task);
  g_signal_connect (data->operation, "draw-page", G_CALLBACK (draw_page_cb), task);
  g_signal_connect (data->operation, "done", G_CALLBACK (done_cb), task);

  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), data, NULL);

  if (export_filename != NULL)
    gtk_print_operation_set_export_filename (data->operation, export_filename);

  /* The signal handlers borrow the task; it lives until finish() runs. */
  g_object_ref (task);
  result = gtk_print_operation_run (data->operation,
                                    export_filename != NULL
                                      ? GTK_PRINT_OPERATION_ACTION_EXPORT
                                      : GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    parent,
                                    &error);

  /* "done" is not emitted when run() fails before printing starts. */
  if (result != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS && !data->finished)
    finish (task, result, error);

  if (data->finished)
    g_object_unref (task);
  else
    g_signal_connect_swapped (data->operation, "done", G_CALLBACK (g_object_unref), task);
}

gboolean
wt_label_print_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
