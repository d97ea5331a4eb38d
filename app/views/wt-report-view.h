/* wt-report-view.h: the Ledger's 报表 Reports — HJ 1259 Annex C period reports.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-report.h"

G_BEGIN_DECLS

#define WT_TYPE_REPORT_VIEW (wt_report_view_get_type ())
G_DECLARE_FINAL_TYPE (WtReportView, wt_report_view, WT, REPORT_VIEW, GtkWidget)

/* Signals: "add-toast" (AdwToast *); "exported" (const char *path) after an
 * export was written. Property: "loading" (a report is being computed).
 * Actions: report.export (a file chooser: CSV, XLSX or PDF, Ctrl+E),
 * report.export-to (s: a path whose extension names the format; for tests
 * and scripts), report.show-due (the period whose report falls due next). */
void      wt_report_view_set_ledger  (WtReportView   *self,
                                      WtLedger       *ledger);
/* Recomputes the report now when shown, else the next time it is shown. */
void      wt_report_view_reload      (WtReportView   *self);
void      wt_report_view_set_period  (WtReportView   *self,
                                      const WtPeriod *period);
gboolean  wt_report_view_get_loading (WtReportView   *self);

/* ---- Shared with the Records and Overdue views ---------------------------- */

/* Row items for wt_table_view_set(), one per element of @rows (GStrv),
 * taking the rows out of @rows. A row may carry two hidden fields after the
 * visible ones: a key (see wt_table_view_row_key()) and a style class for
 * its first cell. Safe on a worker thread.
 * Returns: (element-type GObject): the items. */
GPtrArray   *wt_table_items_new   (GPtrArray          *rows) G_GNUC_WARN_UNUSED_RESULT;
/* Shows @items (from wt_table_items_new()) in @view, with one column per
 * header; columns whose values are all numbers are right-aligned. The view
 * keeps one model for its lifetime. */
void         wt_table_view_set    (GtkColumnView      *view,
                                   const char * const *headers,
                                   GPtrArray          *items);
/* Returns: (nullable): the hidden key of a row item of wt_table_view_set(). */
const char  *wt_table_view_row_key (gpointer         item);

/* A period picker made of a kind drop-down, a year spin button and a
 * month/quarter drop-down. With @all_time the kind list starts with "All
 * time". */
void         wt_period_picker_setup  (GtkDropDown    *kind,
                                      GtkSpinButton  *year,
                                      GtkDropDown    *index,
                                      gboolean        all_time);
/* Shows the month or quarter list that fits the kind chosen. */
void         wt_period_picker_sync   (GtkDropDown    *kind,
                                      GtkSpinButton  *year,
                                      GtkDropDown    *index);
void         wt_period_picker_select (GtkDropDown    *kind,
                                      GtkSpinButton  *year,
                                      GtkDropDown    *index,
                                      const WtPeriod *period);
/* FALSE for "All time". */
gboolean     wt_period_picker_get    (GtkDropDown    *kind,
                                      GtkSpinButton  *year,
                                      GtkDropDown    *index,
                                      WtPeriod       *out_period);

G_END_DECLS
