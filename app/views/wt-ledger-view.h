/* wt-ledger-view.h: the 台账 Ledger view — in storage, records, reports, overdue,
 * anomalies.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_LEDGER_VIEW (wt_ledger_view_get_type ())
G_DECLARE_FINAL_TYPE (WtLedgerView, wt_ledger_view, WT, LEDGER_VIEW, GtkWidget)

/* Signals:
 *   "add-toast" (AdwToast *)
 *   "verified" (gboolean intact, const char *summary): after ledger.verify,
 *     with the sentence shown to the person.
 * Properties: "n-overdue", "n-due-soon" (guint, from the Overdue sub-view;
 *   for a header-bar indicator and the start-up dialog); "n-anomalies"
 *   (guint, open anomalies as the Anomalies page last loaded them).
 * Actions:
 *   ledger.back                 back from a container's page (Alt+Left)
 *   ledger.show-page (s)        "storage", "records", "reports", "overdue"
 *                               or "anomalies"
 *   ledger.show-overdue         the Overdue sub-view
 *   ledger.verify               verify the chains and the projection (Ctrl+Shift+V)
 *   ledger.clear-filters
 *   ledger.focus-search         (Ctrl+F)
 *   ledger.toggle-filters       (Ctrl+Shift+F)
 *
 * With WASTETAG_BENCH_STARTUP set in the environment, the view asks the window
 * to show it and prints "wastetag-bench: ledger-interactive REAL_US" to stderr
 * (g_get_real_time ()) after the first frame that shows the first page. */
void        wt_ledger_view_set_ledger     (WtLedgerView *self,
                                           WtLedger     *ledger);
/* Reloads the list, the totals and the sub-views on worker threads. */
void        wt_ledger_view_reload         (WtLedgerView *self);
/* Returns: (transfer none): the lazily loaded list model of WtContainerItem
 * (a WtContainerModel) that the In storage list shows. */
GListModel *wt_ledger_view_get_model      (WtLedgerView *self);
/* Opens the page of the container with canonical @code. */
void        wt_ledger_view_show_container (WtLedgerView *self,
                                           const char   *code);
/* The central office's mode: nothing that writes is offered (the
 * Anomalies page has no Resolve…). */
void        wt_ledger_view_set_read_only  (WtLedgerView *self,
                                           gboolean      read_only);
guint       wt_ledger_view_get_n_overdue  (WtLedgerView *self);
guint       wt_ledger_view_get_n_due_soon (WtLedgerView *self);

G_END_DECLS
