/* wt-anomalies-view.h: the Ledger's 异常 Anomalies — what sync could not merge.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_ANOMALIES_VIEW (wt_anomalies_view_get_type ())
G_DECLARE_FINAL_TYPE (WtAnomaliesView, wt_anomalies_view, WT, ANOMALIES_VIEW, GtkWidget)

/* The open anomalies, oldest first. A row opens a window with both versions
 * side by side (what each side recorded) and a Resolve… button that asks
 * for the supervisor's name and the reason, then appends a `resolution`
 * event. Nothing is merged here: each anomaly stays open until a person
 * settles it.
 *
 * Signals: "add-toast" (AdwToast *); "ledger-changed" after a resolution.
 * Properties: "n-open" (guint), "loading" (gboolean). */
void        wt_anomalies_view_set_ledger  (WtAnomaliesView *self,
                                           WtLedger        *ledger);
void        wt_anomalies_view_reload      (WtAnomaliesView *self);
/* Read-only (the central office): the detail has no Resolve… button. */
void        wt_anomalies_view_set_read_only (WtAnomaliesView *self,
                                             gboolean         read_only);
guint       wt_anomalies_view_get_n_open  (WtAnomaliesView *self);
gboolean    wt_anomalies_view_get_loading (WtAnomaliesView *self);
/* Opens the detail window of the @index-th open anomaly.
 * Returns: (transfer none) (nullable): the window. */
GtkWindow  *wt_anomalies_view_show_detail (WtAnomaliesView *self,
                                           guint            index);
/* What the Resolve… dialog does once it has the supervisor, their PIN and
 * the reason: checks the PIN and records the resolution on a worker thread,
 * then reloads (a wrong PIN is said in a toast). */
void        wt_anomalies_view_resolve     (WtAnomaliesView *self,
                                           gint64           id,
                                           const char      *supervisor,
                                           const char      *pin,
                                           const char      *reason);

G_END_DECLS
