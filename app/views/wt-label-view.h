/* wt-label-view.h: the 标签 Label view — form, live preview, print, export.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_LABEL_VIEW (wt_label_view_get_type ())
G_DECLARE_FINAL_TYPE (WtLabelView, wt_label_view, WT, LABEL_VIEW, GtkWidget)

/* Signals: "add-toast" (AdwToast *) asks the window to show a toast;
 * "ledger-changed" says containers were registered.
 * Actions: label.print, label.export, label.print-to-pdf (s: a file name;
 * prints through GtkPrintOperation's own PDF export, without a dialog),
 * label.export-to (s: a .pdf, .png or .svg file name; no file chooser),
 * label.cancel. Properties: "ledger", "busy", "can-print". */

WtLedger *wt_label_view_get_ledger    (WtLabelView *self);
/* Sets the ledger and reloads the site from it on a worker thread. */
void      wt_label_view_set_ledger    (WtLabelView *self,
                                       WtLedger    *ledger);
gboolean  wt_label_view_get_busy      (WtLabelView *self);
gboolean  wt_label_view_get_can_print (WtLabelView *self);
/* Fills the waste fields from the catalogue entry with @code. Returns FALSE
 * if the code is not in the selected catalogue. */
gboolean  wt_label_view_select_waste  (WtLabelView *self,
                                       const char  *code);

G_END_DECLS
