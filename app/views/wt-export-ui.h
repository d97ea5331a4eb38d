/* wt-export-ui.h: what the Records and Reports views share to export a table:
 * the save dialog, the toast that says where the file went, the error dialog.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-report.h"

G_BEGIN_DECLS

/* The file name's extension picks the format; FALSE when it names none. */
gboolean         wt_export_format_from_path (const char          *path,
                                             WtExportFormat      *out_format);

/* Called once when the save dialog closes: @path (with the format's
 * extension added when the name had none) and its @format, or %NULL when
 * nothing was chosen. */
typedef void (*WtExportChosenFunc) (GtkWidget      *owner,
                                    const char     *path,
                                    WtExportFormat  format);

/* Shows a modal save dialog with the three formats, @first_format first and
 * selected. Returns: (transfer full): the dialog; the owner keeps it to refuse
 * a second one and destroys it on dispose. */
GtkNativeDialog *wt_export_chooser_show     (GtkWidget           *owner,
                                             const char          *title,
                                             const char          *current_name,
                                             WtExportFormat       first_format,
                                             WtExportChosenFunc   chosen);
/* A dialog with one Close button, over @widget's window. */
void             wt_export_show_error       (GtkWidget           *widget,
                                             const char          *heading,
                                             const char          *body);
/* Returns: (transfer full): "@title_format with the file's name" and an Open
 * Folder button (win.show-folder). @title_format has one %s. */
AdwToast        *wt_export_saved_toast      (const char          *title_format,
                                             const char          *path);

G_END_DECLS
