/* wt-ledger-view.h: the 台账 Ledger view — the containers, newest first.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_LEDGER_VIEW (wt_ledger_view_get_type ())
G_DECLARE_FINAL_TYPE (WtLedgerView, wt_ledger_view, WT, LEDGER_VIEW, GtkWidget)

/* Signals: "add-toast" (AdwToast *). Actions: ledger.back. */
void        wt_ledger_view_set_ledger (WtLedgerView *self,
                                       WtLedger     *ledger);
/* Reloads the list on a worker thread. */
void        wt_ledger_view_reload     (WtLedgerView *self);
/* Returns: (transfer none): the list model of WtContainerItem. */
GListModel *wt_ledger_view_get_model  (WtLedgerView *self);
/* Opens the page of the container with canonical @code. */
void        wt_ledger_view_show_container (WtLedgerView *self,
                                           const char   *code);

G_END_DECLS
