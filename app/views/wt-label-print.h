/* wt-label-print.h: labels through GtkPrintOperation (printer or PDF export).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "wt-label.h"

G_BEGIN_DECLS

/* Prints @n_items labels with the core renderer, at wt_label_place()
 * positions on pages of wt_label_page_size(). With @export_filename set,
 * no dialog is shown and GTK writes the PDF itself
 * (GTK_PRINT_OPERATION_ACTION_EXPORT); otherwise the print dialog asks.
 * @items and @content are copied. Must be called on the main thread.
 * The result is an error WT_ERROR_CANCELLED when the person cancelled. */
void      wt_label_print_async  (gpointer               source_object,
                                 GtkWindow             *parent,
                                 const WtLabelContent  *content,
                                 const WtLabelOptions  *options,
                                 const WtLabelItem     *items,
                                 guint                  n_items,
                                 const char            *export_filename,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data);
gboolean  wt_label_print_finish (GAsyncResult          *result,
                                 GError               **error);

G_END_DECLS
