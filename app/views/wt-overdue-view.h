/* wt-overdue-view.h: the Ledger's 超期 Overdue — storage limits and what is here now.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-report.h"

G_BEGIN_DECLS

#define WT_TYPE_OVERDUE_VIEW (wt_overdue_view_get_type ())
G_DECLARE_FINAL_TYPE (WtOverdueView, wt_overdue_view, WT, OVERDUE_VIEW, GtkWidget)

/* A 贮存点 (storage point) holds at most 3 t (GB 18597); warn from 2.7 t. */
#define WT_STORAGE_POINT_LIMIT_G   3000000
#define WT_STORAGE_POINT_WARN_G    2700000

/* Signals: "add-toast" (AdwToast *); "show-container" (const char *code)
 * when a row is activated. Properties: "n-overdue" (over the limit) and
 * "n-due-soon" (within the warning window), "loading".
 * Actions: overdue.reload. Unlike the Records and Reports views, this one
 * loads as soon as it has a ledger: the window shows its counts. */
void   wt_overdue_view_set_ledger    (WtOverdueView *self,
                                      WtLedger      *ledger);
void   wt_overdue_view_reload        (WtOverdueView *self);
guint  wt_overdue_view_get_n_overdue (WtOverdueView *self);
guint  wt_overdue_view_get_n_due_soon (WtOverdueView *self);

G_END_DECLS
