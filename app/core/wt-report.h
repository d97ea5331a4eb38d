/* wt-report.h: the ledger (台账) as HJ 1259 wants it — record tables B.1–B.5,
 * period reports (Annex C), overdue storage, corrections and exports.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is derived from events and never typed twice. Quantities
 * are kept in whole grams, so opening + generated − self-treated − sent out
 * = closing holds exactly; tonnes are grams / 10⁶. Periods and dates are in
 * the local time zone of the process (TZ).
 *
 * Thread rules: like WtLedger — any one thread at a time, never the main loop.
 */
#pragma once

#include "wt-ledger.h"

G_BEGIN_DECLS

/* ---- Periods ---------------------------------------------------------------- */

typedef enum
{
  WT_PERIOD_MONTH,
  WT_PERIOD_QUARTER,
  WT_PERIOD_YEAR,
} WtPeriodKind;

typedef struct
{
  WtPeriodKind kind;
  int          year;
  int          index;       /* month 1–12, quarter 1–4, 0 for a year */
  char         start[11];   /* first day, "2026-10-01" */
  char         end[11];     /* first day after, "2027-01-01" */
  char         label[16];   /* "2026-11", "2026-Q4", "2026" */
} WtPeriod;

/* Parses "2026-11", "2026-Q4" (or "2026-q4") and "2026".
 * Errors: WT_ERROR_INVALID_INPUT with a sentence showing the three forms. */
gboolean     wt_period_parse          (const char   *text,
                                       WtPeriod     *out_period,
                                       GError      **error);
/* The period of @kind that contains the local date of @ms. */
void         wt_period_for_time       (WtPeriodKind  kind,
                                       gint64        ms,
                                       WtPeriod     *out_period);

/* ---- Period report (HJ 1259 Annex C) ------------------------------------------ */

typedef struct
{
  char   *receiver;
  char   *licence;       /* "" when not recorded */
  gint64  grams;
  guint   containers;
} WtReceiverTotal;

typedef struct
{
  char      *waste_code;
  char      *waste_name;
  gint64     opening_g;
  gint64     generated_g;
  gint64     self_treated_g;
  gint64     sent_out_g;
  gint64     closing_g;
  guint      corrections;  /* correction events behind these figures */
  GPtrArray *receivers;    /* (element-type WtReceiverTotal) of sent_out_g */
} WtReportRow;

void         wt_report_row_free       (WtReportRow  *row);

/* One row per waste code with stock or movement in the period, ordered by
 * code; an empty period gives no rows (callers print zeros as they like).
 * A container counts as generated on its label's date, as sent out when it
 * is shipped and as self-treated when treated at this site; voided labels
 * count nowhere. Returns: (element-type WtReportRow). */
GPtrArray   *wt_ledger_report         (WtLedger        *self,
                                       const WtPeriod  *period,
                                       GError         **error) G_GNUC_WARN_UNUSED_RESULT;

/* When the unit's next report is due, by its class (HJ 1259 §7.2): 重点监管
 * monthly by the 15th, 简化 quarterly by the 15th of the next quarter's
 * first month, 登记 yearly by 31 March. @out_period gets the period due. */
typedef enum
{
  WT_UNIT_CLASS_KEY,         /* 重点监管单位 */
  WT_UNIT_CLASS_SIMPLIFIED,  /* 简化管理单位 */
  WT_UNIT_CLASS_REGISTERED,  /* 登记管理单位 */
} WtUnitClass;

void         wt_report_next_due       (WtUnitClass    unit_class,
                                       gint64         now_ms,
                                       WtPeriod      *out_period,
                                       char           out_due[11]);

/* ---- Record tables (HJ 1259 Annex B) -------------------------------------------- */

typedef enum
{
  WT_TABLE_PRODUCED,      /* B.1 产生 */
  WT_TABLE_STORED,        /* B.2 入库 */
  WT_TABLE_SHIPPED,       /* B.3 出库 */
  WT_TABLE_SELF_TREATED,  /* B.4 自行利用/处置 */
  WT_TABLE_OUTSOURCED,    /* B.5 委外利用/处置 */
} WtTableKind;

/* "produced", "stored", "shipped", "self-treated", "outsourced". */
gboolean     wt_table_kind_parse      (const char   *text,
                                       WtTableKind  *out_kind);
const char  *wt_table_kind_title      (WtTableKind   kind); /* the standard's title, translated */

/**
 * WtTable:
 * A table ready to show or export: column headers and rows of strings.
 */
typedef struct
{
  char       *title;
  GStrv       headers;          /* machine names for CSV, or the standard's wording */
  GStrv       display_headers;  /* for people (XLSX, PDF, screen), or %NULL = headers */
  GPtrArray  *rows;             /* (element-type GStrv) */
  char       *note;             /* printed under the table, or %NULL */
} WtTable;

void         wt_table_free            (WtTable      *table);

/* Rows in time order; @period may be %NULL for all time. Batch codes
 * (HWCS…, HWRK…, HWCK…, HWZXLY/HWZXCZ…, HWWWLY/HWWWCZ…) are numbered per day
 * and each row names the batch of the stage before it. */
WtTable     *wt_ledger_table          (WtLedger        *self,
                                       WtTableKind      kind,
                                       const WtPeriod  *period,
                                       GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* Tonnes from grams, exact, to the kilogram and beyond only when needed:
 * "96.000", "0.0125". What the screens and printed pages show; the
 * exports keep every gram ("0.012500"). */
char        *wt_format_tonnes         (gint64          grams) G_GNUC_WARN_UNUSED_RESULT;

/* The period report as a table (CSV header of `wastetag-cli report`). */
WtTable     *wt_report_to_table       (GPtrArray       *rows,
                                       const WtPeriod  *period);

/* ---- Exports: written under a temporary name, renamed when complete --------------- */

typedef enum
{
  WT_EXPORT_CSV,
  WT_EXPORT_XLSX,
  WT_EXPORT_PDF,
} WtExportFormat;

gboolean     wt_export_format_parse   (const char      *text,
                                       WtExportFormat  *out_format);
/* CSV files start with a UTF-8 BOM so spreadsheet programs read Chinese
 * right; @path NULL writes to stdout without a BOM. PDF: A4, the table
 * paginated with its header on every page, @unit and @subtitle (the period)
 * at the top, page numbers at the bottom. Errors: WT_ERROR_IO (full disk,
 * unwritable folder); nothing is left under @path on failure. */
gboolean     wt_table_export          (const WtTable   *table,
                                       WtExportFormat   format,
                                       const char      *unit,
                                       const char      *subtitle,
                                       const char      *path,
                                       GCancellable    *cancellable,
                                       GError         **error);
/* How the PDF export lays out @table (also for tests): the font size in
 * points, whether the page turns to landscape, and each column's width in
 * points (@widths) beside the width its widest cell needs (@natural, may be
 * NULL); both arrays have one element per column. Columns without Chinese
 * text (codes, dates, quantities) get what they need whenever the page
 * allows; names give way first. */
void         wt_table_pdf_layout      (const WtTable   *table,
                                       double          *out_font,
                                       gboolean        *out_landscape,
                                       double          *widths,
                                       double          *natural);

/* ---- Overdue storage --------------------------------------------------------------- */

typedef struct
{
  WtContainer *container;
  guint        age_days;
  gboolean     overdue;    /* over the limit; else within the warning window */
} WtOverdue;

void         wt_overdue_free          (WtOverdue    *item);

/* Containers still at this site (labelled or stored) generated at least
 * @limit_days − @warn_days days before @now_ms, oldest first.
 * Returns: (element-type WtOverdue). */
GPtrArray   *wt_ledger_overdue        (WtLedger     *self,
                                       guint         limit_days,
                                       guint         warn_days,
                                       gint64        now_ms,
                                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Site settings with defaults: overdue limit 365 days, warning 30 days,
 * unit class 重点监管. */
guint        wt_ledger_get_overdue_limit (WtLedger  *self);
guint        wt_ledger_get_overdue_warn  (WtLedger  *self);
WtUnitClass  wt_ledger_get_unit_class    (WtLedger  *self);
gboolean     wt_ledger_set_setting       (WtLedger   *self,
                                          const char *key,
                                          const char *value,
                                          GError    **error);

/* ---- Storage now ---------------------------------------------------------------------- */

typedef struct
{
  char   *facility;
  guint   containers;
  gint64  grams;
  guint   oldest_days;
} WtFacilityTotal;

void         wt_facility_total_free   (WtFacilityTotal *total);
/* Per storage facility: containers in it now and their weight.
 * Returns: (element-type WtFacilityTotal). */
GPtrArray   *wt_ledger_storage_now    (WtLedger     *self,
                                       gint64        now_ms,
                                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Browsing a million containers --------------------------------------------------- */

/**
 * WtContainerFilter:
 * What the Ledger view filters by; %NULL / -1 / "" fields match everything.
 */
typedef struct
{
  const char *text;         /* part of the code (typed or printed form) or of a name */
  const char *waste_code;   /* "900-249-08" */
  int         state;        /* a WtContainerState, or -1 */
  const char *facility;
  const char *manifest;     /* manifest id or number */
  const char *from_date;    /* generation date ≥ "YYYY-MM-DD" */
  const char *to_date;      /* generation date ≤ "YYYY-MM-DD" */
} WtContainerFilter;

void         wt_container_filter_init (WtContainerFilter *filter);
/* Counts, and reads one page (newest first, stable order) of, the
 * containers that match. Pages are cheap at any offset thanks to the
 * (labelled_ms, code) index; a GListModel can fetch them on demand. */
gint64       wt_ledger_count_matching (WtLedger                *self,
                                       const WtContainerFilter *filter,
                                       GError                 **error);
GPtrArray   *wt_ledger_query_containers (WtLedger                *self,
                                         const WtContainerFilter *filter,
                                         guint                    offset,
                                         guint                    limit,
                                         GError                 **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Corrections ---------------------------------------------------------------------- */

/* Records a `correction` event naming @event_id (its text UUID) with the
 * corrected weight (< 0: unchanged) and/or generation date (NULL: unchanged)
 * and a required reason; the projection takes the new values, the old event
 * stays as it was. */
gboolean     wt_ledger_correct        (WtLedger     *self,
                                       const char   *event_id,
                                       double        weight_kg,
                                       const char   *date,
                                       const char   *reason,
                                       GError      **error);

/* Replays every event into a fresh projection and compares it with the
 * stored one. Returns the number of containers that differ (0 when all
 * agree) or -1 with @error set; with @repair, the stored projection is
 * replaced by the replayed one in one transaction. @out_codes (may be
 * %NULL) gets the differing codes. */
gint64       wt_ledger_check_projections (WtLedger  *self,
                                          gboolean   repair,
                                          GStrv     *out_codes,
                                          GError   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtReportRow, wt_report_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtTable, wt_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtOverdue, wt_overdue_free)

G_END_DECLS
