/* wt-records-view.h: the Ledger's 记录 Records — the five HJ 1259 tables.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-report.h"

G_BEGIN_DECLS

#define WT_TYPE_RECORDS_VIEW (wt_records_view_get_type ())
G_DECLARE_FINAL_TYPE (WtRecordsView, wt_records_view, WT, RECORDS_VIEW, GtkWidget)

/* Signals: "add-toast" (AdwToast *); "exported" (const char *path).
 * Property: "loading".
 * Actions: records.export (a file chooser, Ctrl+E), records.export-to (s: a
 * path whose extension names the format), records.show-table (s: "produced",
 * "stored", "shipped", "self-treated" or "outsourced"). */
void      wt_records_view_set_ledger  (WtRecordsView  *self,
                                       WtLedger       *ledger);
/* Reads the table again now when shown, else the next time it is shown. */
void      wt_records_view_reload      (WtRecordsView  *self);
/* @period NULL: all time. */
void      wt_records_view_set_period  (WtRecordsView  *self,
                                       const WtPeriod *period);
gboolean  wt_records_view_get_loading (WtRecordsView  *self);

G_END_DECLS
