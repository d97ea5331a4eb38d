/* wt-report.c: HJ 1259 record tables, period reports, overdue storage,
 * corrections, projection checks and exports.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "wt-error.h"
#include "wt-handover.h"
#include "wt-ledger-private.h"
#include "wt-report.h"

/* ---- Periods ------------------------------------------------------------------- */

static void
fill_period (WtPeriod     *p,
             WtPeriodKind  kind,
             int           year,
             int           index)
{
  int sm, em, ey = year;

  p->kind = kind;
  p->year = year;
  p->index = index;

  switch (kind)
    {
    case WT_PERIOD_MONTH:
      sm = index;
      em = index + 1;
      g_snprintf (p->label, sizeof p->label, "%04d-%02d", year, index);
      break;
    case WT_PERIOD_QUARTER:
      sm = (index - 1) * 3 + 1;
      em = sm + 3;
      g_snprintf (p->label, sizeof p->label, "%04d-Q%d", year, index);
      break;
    case WT_PERIOD_YEAR:
    default:
      sm = 1;
      em = 13;
      g_snprintf (p->label, sizeof p->label, "%04d", year);
      break;
    }

  if (em > 12)
    {
      em -= 12;
      ey++;
    }
  g_snprintf (p->start, sizeof p->start, "%04d-%02d-01", year, sm);
  g_snprintf (p->end, sizeof p->end, "%04d-%02d-01", ey, em);
}

gboolean
wt_period_parse (const char  *text,
                 WtPeriod    *out,
                 GError     **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text ? text : ""));
  guint64 year, n;

  if (strlen (t) == 4 && g_ascii_string_to_unsigned (t, 10, 1990, 2999, &year, NULL))
    {
      fill_period (out, WT_PERIOD_YEAR, year, 0);
      return TRUE;
    }

  if (strlen (t) == 7 && t[4] == '-')
    {
      t[4] = '\0';
      if (g_ascii_string_to_unsigned (t, 10, 1990, 2999, &year, NULL))
        {
          if ((t[5] == 'Q' || t[5] == 'q') && g_ascii_string_to_unsigned (t + 6, 10, 1, 4, &n, NULL))
            {
              fill_period (out, WT_PERIOD_QUARTER, year, n);
              return TRUE;
            }
          if (g_ascii_string_to_unsigned (t + 5, 10, 1, 12, &n, NULL))
            {
              fill_period (out, WT_PERIOD_MONTH, year, n);
              return TRUE;
            }
        }
    }

  g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
               _("“%s” is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)."),
               text ? text : "");
  return FALSE;
}

void
wt_period_for_time (WtPeriodKind  kind,
                    gint64        ms,
                    WtPeriod     *out)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);
  int y = g_date_time_get_year (dt);
  int m = g_date_time_get_month (dt);

  fill_period (out, kind, y, kind == WT_PERIOD_MONTH ? m : kind == WT_PERIOD_QUARTER ? (m - 1) / 3 + 1 : 0);
}

void
wt_report_next_due (WtUnitClass  unit_class,
                    gint64       now_ms,
                    WtPeriod    *out_period,
                    char         out_due[11])
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
  int y = g_date_time_get_year (now);
  int m = g_date_time_get_month (now);

  /* The report due next is the one for the period that ended last. */
  switch (unit_class)
    {
    case WT_UNIT_CLASS_KEY:
      if (m == 1)
        fill_period (out_period, WT_PERIOD_MONTH, y - 1, 12);
      else
        fill_period (out_period, WT_PERIOD_MONTH, y, m - 1);
      g_snprintf (out_due, 11, "%04d-%02d-15", y, m);
      break;
    case WT_UNIT_CLASS_SIMPLIFIED:
      {
        int q = (m - 1) / 3 + 1;

        if (q == 1)
          fill_period (out_period, WT_PERIOD_QUARTER, y - 1, 4);
        else
          fill_period (out_period, WT_PERIOD_QUARTER, y, q - 1);
        g_snprintf (out_due, 11, "%04d-%02d-15", y, (q - 1) * 3 + 1);
      }
      break;
    case WT_UNIT_CLASS_REGISTERED:
    default:
      fill_period (out_period, WT_PERIOD_YEAR, y - 1, 0);
      g_snprintf (out_due, 11, "%04d-03-31", y);
      break;
    }
}

/* ---- Settings ------------------------------------------------------------------------ */

static char *
get_setting (WtLedger   *self,
             const char *key)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char *ret = NULL;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "SELECT value FROM setting WHERE key = ?1", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        ret = wt_db_column_dup (stmt, 0);
    }
  g_mutex_unlock (&self->lock);

  return ret;
}

static guint
get_uint_setting (WtLedger   *self,
                  const char *key,
                  guint       fallback)
{
  g_autofree char *v = get_setting (self, key);
  guint64 n;

  if (v != NULL && g_ascii_string_to_unsigned (v, 10, 0, 100000, &n, NULL))
    return n;
  return fallback;
}

guint
wt_ledger_get_overdue_limit (WtLedger *self)
{
  return get_uint_setting (self, "overdue-limit-days", 365);
}

guint
wt_ledger_get_overdue_warn (WtLedger *self)
{
  return get_uint_setting (self, "overdue-warn-days", 30);
}

WtUnitClass
wt_ledger_get_unit_class (WtLedger *self)
{
  g_autofree char *v = get_setting (self, "unit-class");

  if (g_strcmp0 (v, "simplified") == 0)
    return WT_UNIT_CLASS_SIMPLIFIED;
  if (g_strcmp0 (v, "registered") == 0)
    return WT_UNIT_CLASS_REGISTERED;
  return WT_UNIT_CLASS_KEY;
}

gboolean
wt_ledger_set_setting (WtLedger    *self,
                       const char  *key,
                       const char  *value,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;
  guint64 n;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if ((g_strcmp0 (key, "overdue-limit-days") == 0 || g_strcmp0 (key, "overdue-warn-days") == 0) &&
      !g_ascii_string_to_unsigned (value, 10, 1, 3650, &n, NULL))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The number of days must be a whole number from 1 to 3650."));
      return FALSE;
    }
  if (g_strcmp0 (key, "unit-class") == 0 && g_strcmp0 (value, "key") != 0 &&
      g_strcmp0 (value, "simplified") != 0 && g_strcmp0 (value, "registered") != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The unit class must be key (重点监管), simplified (简化管理) or registered (登记管理)."));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "INSERT INTO setting VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2", error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
      if (!ok)
        wt_db_error (self, error, "saving a setting");
    }
  g_mutex_unlock (&self->lock);

  return ok;
}

/* ---- The per-container facts every report starts from ------------------------------- */

/* One row per container generated at this site and not voided: its waste,
 * weight in grams, generation day, and the day and kind of the first event
 * that took it off the site's books (shipped, or treated here), which the
 * container's out_ms/out_kind projection holds (schema v4). The out day is
 * never before the generation day, so the balance identity holds even when a
 * clock was wrong. Local dates come from SQLite's 'localtime', which follows
 * TZ like the rest of the process.
 *
 * Only containers that can count in the period [?2, ?3) are read: in stock
 * (out_ms NULL), left on or after the period's first local midnight ?4
 * (minus two days, so a time zone rule SQLite and GLib read differently
 * cannot lose a row), or generated in the period. The three branches are
 * disjoint and each is a range of an index that also holds the other
 * column, so rows are filtered before they are read (`+day`: the range on
 * out_ms is the narrow one); the conditions the sums apply afterwards are
 * exact. */
#define FACTS_COLUMNS \
  "code, waste_code, waste_name, manifest_id, weight_kg, day, labelled_ms, out_ms, out_kind, state, job_id"
#define FACTS_SQL \
  "WITH cand AS (" \
  "  SELECT " FACTS_COLUMNS " FROM container WHERE out_ms IS NULL AND day < ?3" \
  "  UNION ALL" \
  "  SELECT " FACTS_COLUMNS " FROM container WHERE out_ms >= ?4 AND +day < ?3" \
  "  UNION ALL" \
  "  SELECT " FACTS_COLUMNS " FROM container WHERE day >= ?2 AND day < ?3 AND out_ms < ?4)," \
  " facts AS (" \
  "  SELECT c.code, c.waste_code, c.waste_name, c.manifest_id," \
  "         CAST (round (coalesce (c.weight_kg, 0) * 1000) AS INTEGER) AS g," \
  "         CASE WHEN length (c.day) = 10 THEN c.day" \
  "              ELSE date (c.labelled_ms / 1000, 'unixepoch', 'localtime') END AS gen_day," \
  "         c.out_kind," \
  "         CASE WHEN c.out_ms IS NULL THEN NULL ELSE" \
  "           max (CASE WHEN length (c.day) = 10 THEN c.day" \
  "                     ELSE date (c.labelled_ms / 1000, 'unixepoch', 'localtime') END," \
  "                date (c.out_ms / 1000, 'unixepoch', 'localtime')) END AS out_day" \
  "    FROM cand c" \
  "   WHERE c.state <> 'voided' AND c.job_id IS NOT NULL)"

/* The first local midnight of @day (YYYY-MM-DD) in ms, two days early. */
static gint64
facts_out_bound (const char *day)
{
  int y = 0, m = 0, d = 0;
  g_autoptr(GDateTime) dt = NULL;

  if (sscanf (day, "%d-%d-%d", &y, &m, &d) != 3 ||
      (dt = g_date_time_new_local (CLAMP (y, 1, 9999), CLAMP (m, 1, 12), CLAMP (d, 1, 28), 0, 0, 0)) == NULL)
    return G_MININT64;
  return (g_date_time_to_unix (dt) - 2 * 86400) * 1000;
}

void
wt_report_row_free (WtReportRow *row)
{
  if (row == NULL)
    return;
  g_free (row->waste_code);
  g_free (row->waste_name);
  g_clear_pointer (&row->receivers, g_ptr_array_unref);
  g_free (row);
}

static void
receiver_total_free (gpointer data)
{
  WtReceiverTotal *t = data;

  g_free (t->receiver);
  g_free (t->licence);
  g_free (t);
}

GPtrArray *
wt_ledger_report (WtLedger        *self,
                  const WtPeriod  *period,
                  GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GHashTable) by_code = NULL;
  GPtrArray *rows = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (period != NULL, NULL);

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  stmt = wt_db_prepare (self,
                        FACTS_SQL
                        "SELECT waste_code, min (waste_name),"
                        "  sum (CASE WHEN gen_day < ?2 AND (out_day IS NULL OR out_day >= ?2) THEN g ELSE 0 END),"
                        "  sum (CASE WHEN gen_day >= ?2 AND gen_day < ?3 THEN g ELSE 0 END),"
                        "  sum (CASE WHEN out_kind = 'self' AND out_day >= ?2 AND out_day < ?3 THEN g ELSE 0 END),"
                        "  sum (CASE WHEN out_kind = 'out' AND out_day >= ?2 AND out_day < ?3 THEN g ELSE 0 END),"
                        "  sum (CASE WHEN gen_day < ?3 AND (out_day IS NULL OR out_day >= ?3) THEN g ELSE 0 END)"
                        "  FROM facts WHERE gen_day < ?3 AND (out_day IS NULL OR out_day >= ?2)"
                        " GROUP BY waste_code ORDER BY waste_code",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 2, period->start, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, period->end, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, facts_out_bound (period->start));

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_report_row_free);
  by_code = g_hash_table_new (g_str_hash, g_str_equal);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtReportRow *r = g_new0 (WtReportRow, 1);

      r->waste_code = wt_db_column_dup (stmt, 0);
      r->waste_name = wt_db_column_dup (stmt, 1);
      r->opening_g = sqlite3_column_int64 (stmt, 2);
      r->generated_g = sqlite3_column_int64 (stmt, 3);
      r->self_treated_g = sqlite3_column_int64 (stmt, 4);
      r->sent_out_g = sqlite3_column_int64 (stmt, 5);
      r->closing_g = sqlite3_column_int64 (stmt, 6);
      r->receivers = g_ptr_array_new_with_free_func (receiver_total_free);
      g_assert (r->opening_g + r->generated_g - r->self_treated_g - r->sent_out_g == r->closing_g);
      g_ptr_array_add (rows, r);
      g_hash_table_insert (by_code, r->waste_code, r);
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "computing the report");
      g_clear_pointer (&rows, g_ptr_array_unref);
      goto out;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  /* Sent out, by receiver. */
  stmt = wt_db_prepare (self,
                        FACTS_SQL
                        "SELECT f.waste_code, coalesce (m.receiver, ''), coalesce (m.receiver_licence, ''),"
                        "       count (*), sum (f.g)"
                        "  FROM facts f LEFT JOIN manifest m ON m.id = f.manifest_id"
                        " WHERE f.out_kind = 'out' AND f.out_day >= ?2 AND f.out_day < ?3"
                        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                        error);
  if (stmt == NULL)
    {
      g_clear_pointer (&rows, g_ptr_array_unref);
      goto out;
    }
  sqlite3_bind_text (stmt, 2, period->start, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, period->end, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, facts_out_bound (period->start));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      WtReportRow *r = g_hash_table_lookup (by_code, sqlite3_column_text (stmt, 0));
      WtReceiverTotal *t;

      if (r == NULL)
        continue;
      t = g_new0 (WtReceiverTotal, 1);
      t->receiver = wt_db_column_dup (stmt, 1);
      t->licence = wt_db_column_dup (stmt, 2);
      t->containers = sqlite3_column_int (stmt, 3);
      t->grams = sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (r->receivers, t);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  /* Corrections behind the figures. */
  stmt = wt_db_prepare (self,
                        "SELECT c.waste_code, count (*) FROM event e JOIN container c ON c.code = e.container_code"
                        " WHERE e.kind = 'correction' GROUP BY c.waste_code",
                        error);
  if (stmt != NULL)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        WtReportRow *r = g_hash_table_lookup (by_code, sqlite3_column_text (stmt, 0));

        if (r != NULL)
          r->corrections = sqlite3_column_int (stmt, 1);
      }

out:
  g_mutex_unlock (&self->lock);
  return rows;
}

/* ---- Tables ----------------------------------------------------------------------------- */

void
wt_table_free (WtTable *table)
{
  if (table == NULL)
    return;
  g_free (table->title);
  g_strfreev (table->headers);
  g_strfreev (table->display_headers);
  g_free (table->note);
  g_clear_pointer (&table->rows, g_ptr_array_unref);
  g_free (table);
}

static WtTable *
table_new (const char         *title,
           const char * const *headers)
{
  WtTable *t = g_new0 (WtTable, 1);

  t->title = g_strdup (title);
  t->headers = g_strdupv ((char **) headers);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return t;
}

static char *
tonnes (gint64 grams)
{
  return g_strdup_printf ("%s%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT,
                          grams < 0 ? "-" : "", ABS (grams) / 1000000, ABS (grams) % 1000000);
}

/* The decimal point of a quantity ("-12.500000"), or NULL for anything
 * else: codes, names, dates, whole numbers. */
static const char *
quantity_dot (const char *cell)
{
  const char *p = cell ? cell : "";
  const char *dot;

  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p))
    return NULL;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p != '.')
    return NULL;
  dot = p++;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == '\0' ? dot : NULL;
}

/* Drops the zeros after the kilograms of a quantity, in place. */
static void
trim_to_kilograms (char *text)
{
  const char *dot = quantity_dot (text);
  gsize len;

  if (dot == NULL)
    return;
  len = strlen (text);
  while (len > (gsize) (dot - text) + 4 && text[len - 1] == '0')
    text[--len] = '\0';
}

char *
wt_format_tonnes (gint64 grams)
{
  char *text = tonnes (grams);

  trim_to_kilograms (text);
  return text;
}

WtTable *
wt_report_to_table (GPtrArray      *rows,
                    const WtPeriod *period)
{
  const char *headers[] = { "waste_code", "waste_name", "opening_t", "generated_t",
                            "self_treated_t", "sent_out_t", "closing_t", NULL };
  g_autofree char *title = g_strdup_printf (_("Hazardous waste report %s"), period->label);
  WtTable *t = table_new (title, headers);
  guint corrections = 0;
  const char *display[] = {
    _("Waste code"), _("Waste name"), _("Opening stock (t)"), _("Generated (t)"),
    _("Treated on site (t)"), _("Sent out (t)"), _("Closing stock (t)"), NULL
  };

  t->display_headers = g_strdupv ((char **) display);

  for (guint i = 0; i < rows->len; i++)
    {
      WtReportRow *r = g_ptr_array_index (rows, i);
      char **row = g_new0 (char *, 8);

      row[0] = g_strdup (r->waste_code);
      row[1] = g_strdup (r->waste_name);
      row[2] = tonnes (r->opening_g);
      row[3] = tonnes (r->generated_g);
      row[4] = tonnes (r->self_treated_g);
      row[5] = tonnes (r->sent_out_g);
      row[6] = tonnes (r->closing_g);
      g_ptr_array_add (t->rows, row);
      corrections += r->corrections;

      for (guint k = 0; r->receivers && k < r->receivers->len; k++)
        {
          WtReceiverTotal *rt = g_ptr_array_index (r->receivers, k);
          g_autofree char *q = tonnes (rt->grams);
          const char *who = rt->receiver[0] ? rt->receiver : _("an unnamed receiver");
          g_autofree char *line = NULL;
          char *joined;

          if (rt->licence != NULL && rt->licence[0] != '\0')
            line = g_strdup_printf (_("%s sent to %s (licence %s): %s t in %u containers."),
                                    r->waste_code, who, rt->licence, q, rt->containers);
          else
            line = g_strdup_printf (_("%s sent to %s: %s t in %u containers."),
                                    r->waste_code, who, q, rt->containers);

          joined = t->note ? g_strconcat (t->note, "\n", line, NULL) : g_strdup (line);
          g_free (t->note);
          t->note = joined;
        }
    }

  if (corrections > 0)
    {
      g_autofree char *line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "These figures include %u correction; the corrected records stay in each container’s history.",
                                                            "These figures include %u corrections; the corrected records stay in each container’s history.",
                                                            corrections),
                                               corrections);
      char *joined = t->note ? g_strconcat (t->note, "\n", line, NULL) : g_strdup (line);

      g_free (t->note);
      t->note = joined;
    }

  return t;
}

gboolean
wt_table_kind_parse (const char  *text,
                     WtTableKind *out)
{
  static const char *names[] = { "produced", "stored", "shipped", "self-treated", "outsourced" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

const char *
wt_table_kind_title (WtTableKind kind)
{
  switch (kind)
    {
    case WT_TABLE_PRODUCED:
      return _("Generation records (B.1 产生环节)");
    case WT_TABLE_STORED:
      return _("Storage records (B.2 入库环节)");
    case WT_TABLE_SHIPPED:
      return _("Dispatch records (B.3 出库环节)");
    case WT_TABLE_SELF_TREATED:
      return _("On-site recovery and disposal records (B.4 自行利用/处置)");
    case WT_TABLE_OUTSOURCED:
    default:
      return _("Off-site recovery and disposal records (B.5 委外利用/处置)");
    }
}

static char *
local_time (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("");
}

static char *
kg_text (double kg)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (kg < 0)
    return g_strdup ("");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3f", kg));
}

/* Batch codes: PREFIX + YYYYMMDD + three digits, numbered per day in the
 * order the batches happened. @seen maps a batch key to its code. */
static const char *
batch_code (GHashTable *seen,
            GHashTable *per_day,
            const char *prefix,
            const char *key,
            gint64      ms,
            const char *day_text)
{
  const char *code = g_hash_table_lookup (seen, key);

  if (code == NULL)
    {
      g_autofree char *day = NULL;
      g_autofree char *day_key = NULL;
      guint n;

      if (day_text && strlen (day_text) == 10)
        day = g_strdup_printf ("%.4s%.2s%.2s", day_text, day_text + 5, day_text + 8);
      else
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);

          day = g_date_time_format (dt, "%Y%m%d");
        }
      day_key = g_strconcat (prefix, day, NULL);
      n = GPOINTER_TO_UINT (g_hash_table_lookup (per_day, day_key)) + 1;
      g_hash_table_insert (per_day, g_strdup (day_key), GUINT_TO_POINTER (n));
      code = g_strdup_printf ("%s%s%03u", prefix, day, n);
      g_hash_table_insert (seen, g_strdup (key), (gpointer) code);
    }

  return code;
}

/* Copies one row; @cells has as many entries as the table has headers. */
static void
add_row (WtTable            *table,
         const char * const *cells)
{
  guint n = g_strv_length (table->headers);
  char **row = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    row[i] = g_strdup (cells[i] ? cells[i] : "");
  g_ptr_array_add (table->rows, row);
}

WtTable *
wt_ledger_table (WtLedger        *self,
                 WtTableKind      kind,
                 const WtPeriod  *period,
                 GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) per_day = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* container → batch code of its last stage, to chain the tables */
  g_autoptr(GHashTable) gen_batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) store_batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) ship_batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  WtTable *table = NULL;
  const char *from = period ? period->start : "0000-00-00";
  const char *to = period ? period->end : "9999-99-99";
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  switch (kind)
    {
    case WT_TABLE_PRODUCED:
      table = table_new (wt_table_kind_title (kind), (const char *[]) {
        "产生批次编码", "产生时间", "行业俗称/单位内部名称", "国家危险废物名录名称", "危险废物类别",
        "危险废物代码", "产生量", "计量单位", "容器/包装编码", "容器/包装类型", "容器/包装数量",
        "产生部门经办人", "去向", NULL });
      break;
    case WT_TABLE_STORED:
      table = table_new (wt_table_kind_title (kind), (const char *[]) {
        "入库批次编码", "入库时间", "容器/包装编码", "容器/包装类型", "容器/包装数量",
        "行业俗称/单位内部名称", "国家危险废物名录名称", "危险废物类别", "危险废物代码", "入库量",
        "计量单位", "贮存设施编码", "贮存部门经办人", "产生批次编码", NULL });
      break;
    case WT_TABLE_SHIPPED:
      table = table_new (wt_table_kind_title (kind), (const char *[]) {
        "出库批次编码", "出库时间", "容器/包装编码", "容器/包装类型", "容器/包装数量",
        "行业俗称/单位内部名称", "国家危险废物名录名称", "危险废物类别", "危险废物代码", "出库量",
        "计量单位", "贮存设施编码", "出库部门经办人", "入库批次编码", "去向", "许可证编码", "转移联单编号", NULL });
      break;
    case WT_TABLE_SELF_TREATED:
      table = table_new (wt_table_kind_title (kind), (const char *[]) {
        "自行利用/处置批次编码", "自行利用/处置时间", "容器/包装编码", "容器/包装类型", "容器/包装数量",
        "行业俗称/单位内部名称", "国家危险废物名录名称", "危险废物类别", "危险废物代码",
        "自行利用/处置量", "计量单位", "自行利用/处置方式", "经办人", "产生批次编码/出库批次编码", NULL });
      break;
    case WT_TABLE_OUTSOURCED:
    default:
      table = table_new (wt_table_kind_title (kind), (const char *[]) {
        "委外利用/处置批次编码", "出厂时间", "容器/包装编码", "容器/包装类型", "容器/包装数量",
        "行业俗称/单位内部名称", "国家危险废物名录名称", "危险废物类别", "危险废物代码",
        "委外利用/处置量", "计量单位", "利用/处置方式", "接收单位类型", "单位名称", "许可证编码",
        "产生批次编码/出库批次编码", NULL });
      break;
    }

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto fail;

  /* One pass over this site's custody events in time order: batch codes
   * are numbered as they happen and each stage remembers its batch for the
   * next. Rows outside the period are numbered but not kept. */
  stmt = wt_db_prepare (self,
                        "SELECT e.kind, e.container_code, e.wall_ms, e.actor, e.payload,"
                        "  c.waste_code, c.waste_name, c.common_name, c.day, " CONTAINER_LABEL ("c") ","
                        "  coalesce (json_extract (e.payload, '$.batch'),"
                        "            json_extract (e.payload, '$.job'), e.device_id || ':' || e.wall_ms),"
                        "  m.receiver, m.number, m.draft_number, c.weight_kg, m.receiver_licence"
                        "  FROM event e JOIN container c ON c.code = e.container_code"
                        "  LEFT JOIN manifest m ON m.id = json_extract (e.payload, '$.manifest')"
                        " WHERE e.site_id = ?1 AND e.kind IN ('labelled', 'stored', 'shipped', 'treated')"
                        "   AND c.job_id IS NOT NULL"
                        " ORDER BY e.hlc, e.id",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, self->site_id, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *ev = (const char *) sqlite3_column_text (stmt, 0);
      const char *code = (const char *) sqlite3_column_text (stmt, 1);
      gint64 ms = sqlite3_column_int64 (stmt, 2);
      const char *actor = (const char *) sqlite3_column_text (stmt, 3);
      const char *payload = (const char *) sqlite3_column_text (stmt, 4);
      const char *waste = (const char *) sqlite3_column_text (stmt, 5);
      const char *name = (const char *) sqlite3_column_text (stmt, 6);
      const char *common = (const char *) sqlite3_column_text (stmt, 7);
      const char *gen_day = (const char *) sqlite3_column_text (stmt, 8);
      const char *label = (const char *) sqlite3_column_text (stmt, 9);
      const char *batch_key = (const char *) sqlite3_column_text (stmt, 10);
      const char *receiver = (const char *) sqlite3_column_text (stmt, 11);
      const char *number = (const char *) sqlite3_column_text (stmt, 12);
      const char *draft = (const char *) sqlite3_column_text (stmt, 13);
      const char *licence = (const char *) sqlite3_column_text (stmt, 15);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonParser) lparser = json_parser_new ();
      JsonObject *p = NULL, *lo = NULL, *content = NULL;
      g_autofree char *when = local_time (ms);
      g_autofree char *day = NULL;
      g_autofree char *key = g_strconcat (ev, "|", batch_key, NULL);
      g_autofree char *hw = NULL;
      /* Weights shown are the container's current, corrected weight. */
      g_autofree char *kg = kg_text (sqlite3_column_type (stmt, 14) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 14));
      const char *container_type = "";
      gboolean in_period;

      if (json_parser_load_from_data (parser, payload, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        p = json_node_get_object (json_parser_get_root (parser));
      if (label && json_parser_load_from_data (lparser, label, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (lparser)))
        {
          JsonNode *cn;

          lo = json_node_get_object (json_parser_get_root (lparser));
          cn = json_object_get_member (lo, "content");
          if (cn && JSON_NODE_HOLDS_OBJECT (cn))
            content = json_node_get_object (cn);
        }
      if (content)
        container_type = json_object_get_string_member_with_default (content, "container_type", "");
      hw = g_strdup_printf ("HW%s", waste && strlen (waste) == 10 ? waste + 8 : "");

      {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);

        day = g_date_time_format (dt, "%Y-%m-%d");
      }
      in_period = g_strcmp0 (day, from) >= 0 && g_strcmp0 (day, to) < 0;

      if (g_strcmp0 (ev, "labelled") == 0)
        {
          const char *bc = batch_code (seen, per_day, "HWCS", key, ms, gen_day);
          const char *gday = gen_day && *gen_day ? gen_day : day;

          g_hash_table_insert (gen_batch, g_strdup (code), g_strdup (bc));
          if (kind == WT_TABLE_PRODUCED && g_strcmp0 (gday, from) >= 0 && g_strcmp0 (gday, to) < 0)
            add_row (table, (const char *[]) { bc, gday, common, name, hw, waste, kg, "kg", code,
                                               container_type, "1", actor, "贮存" });
        }
      else if (g_strcmp0 (ev, "stored") == 0)
        {
          const char *bc = batch_code (seen, per_day, "HWRK", key, ms, NULL);
          const char *facility = p ? json_object_get_string_member_with_default (p, "facility", "") : "";
          const char *link = g_hash_table_lookup (gen_batch, code);

          if (kind == WT_TABLE_STORED && in_period)
            add_row (table, (const char *[]) { bc, when, code, container_type, "1", common, name, hw, waste,
                                               kg, "kg", facility, actor, link ? link : "" });
          g_hash_table_insert (store_batch, g_strdup (code), g_strdup (bc));
        }
      else if (g_strcmp0 (ev, "shipped") == 0)
        {
          const char *bc = batch_code (seen, per_day, "HWCK", key, ms, NULL);
          g_autofree char *ww_key = g_strconcat ("out|", key, NULL);
          const char *ww = batch_code (seen, per_day, "HWWWCZ", ww_key, ms, NULL);
          const char *mnum = number && *number ? number : (draft ? draft : "");
          const char *link = g_hash_table_lookup (store_batch, code);

          if (kind == WT_TABLE_SHIPPED && in_period)
            add_row (table, (const char *[]) { bc, when, code, container_type, "1", common, name, hw, waste,
                                               kg, "kg", "", actor, link ? link : "",
                                               receiver ? receiver : "", licence ? licence : "", mnum });
          else if (kind == WT_TABLE_OUTSOURCED && in_period)
            add_row (table, (const char *[]) { ww, when, code, container_type, "1", common, name, hw, waste,
                                               kg, "kg", "", "经营许可证持有单位", receiver ? receiver : "",
                                               licence ? licence : "", bc });
          g_hash_table_insert (ship_batch, g_strdup (code), g_strdup (bc));
        }
      else if (g_strcmp0 (ev, "treated") == 0 && p && json_object_get_boolean_member_with_default (p, "self", FALSE))
        {
          const char *method = json_object_get_string_member_with_default (p, "method", "");
          const char *mname = json_object_get_string_member_with_default (p, "method_name", "");
          /* Utilisation codes start with R (and C2/C3 in our list); the
           * rest is disposal. */
          gboolean utilise = method[0] == 'R' || g_strcmp0 (method, "C2") == 0 || g_strcmp0 (method, "C3") == 0;
          const char *bc = batch_code (seen, per_day, utilise ? "HWZXLY" : "HWZXCZ", key, ms, NULL);
          const char *link = g_hash_table_lookup (ship_batch, code);
          g_autofree char *how = g_strdup_printf ("%s %s", method, mname);

          if (link == NULL)
            link = g_hash_table_lookup (gen_batch, code);
          if (kind == WT_TABLE_SELF_TREATED && in_period)
            add_row (table, (const char *[]) { bc, when, code, container_type, "1", common, name, hw, waste,
                                               kg, "kg", how, actor, link ? link : "" });
        }
    }

  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading the records");
      goto fail;
    }

  g_mutex_unlock (&self->lock);
  return table;

fail:
  g_mutex_unlock (&self->lock);
  wt_table_free (table);
  return NULL;
}

/* ---- Overdue and storage now -------------------------------------------------------------- */

void
wt_overdue_free (WtOverdue *item)
{
  if (item == NULL)
    return;
  g_clear_pointer (&item->container, wt_container_free);
  g_free (item);
}

static int
days_between (const char *from_day,
              gint64      now_ms)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
  g_autoptr(GDateTime) then = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  int y, m, d;

  if (from_day == NULL || sscanf (from_day, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return 0;
  then = g_date_time_new (tz, y, m, d, 0, 0, 0);
  if (then == NULL)
    return 0;
  {
    g_autoptr(GDateTime) today = g_date_time_new (tz, g_date_time_get_year (now), g_date_time_get_month (now),
                                                  g_date_time_get_day_of_month (now), 0, 0, 0);

    return (int) (g_date_time_difference (today, then) / G_TIME_SPAN_DAY);
  }
}

GPtrArray *
wt_ledger_overdue (WtLedger  *self,
                   guint      limit_days,
                   guint      warn_days,
                   gint64     now_ms,
                   GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
  g_autoptr(GDateTime) cut = NULL;
  g_autofree char *cut_day = NULL;
  GPtrArray *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  cut = g_date_time_add_days (now, -(gint) (limit_days > warn_days ? limit_days - warn_days : 0));
  cut_day = g_date_time_format (cut, "%Y-%m-%d");

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "SELECT " CONTAINER_COLUMNS " FROM container"
                        " WHERE state IN ('labelled', 'stored') AND job_id IS NOT NULL"
                        "   AND (CASE WHEN length (day) = 10 THEN day"
                        "        ELSE date (labelled_ms / 1000, 'unixepoch', 'localtime') END) <= ?1"
                        " ORDER BY (CASE WHEN length (day) = 10 THEN day"
                        "           ELSE date (labelled_ms / 1000, 'unixepoch', 'localtime') END), labelled_ms, code",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, cut_day, -1, SQLITE_STATIC);

  ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_overdue_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtOverdue *o = g_new0 (WtOverdue, 1);

      o->container = wt_container_from_row (stmt);
      if (o->container->date == NULL || strlen (o->container->date) != 10)
        {
          g_autoptr(GDateTime) l = g_date_time_new_from_unix_local (o->container->labelled_ms / 1000);

          g_free (o->container->date);
          o->container->date = g_date_time_format (l, "%Y-%m-%d");
        }
      o->age_days = MAX (0, days_between (o->container->date, now_ms));
      o->overdue = o->age_days >= limit_days;
      g_ptr_array_add (ret, o);
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "listing overdue containers");
      g_clear_pointer (&ret, g_ptr_array_unref);
    }

out:
  g_mutex_unlock (&self->lock);
  return ret;
}

void
wt_facility_total_free (WtFacilityTotal *t)
{
  if (t == NULL)
    return;
  g_free (t->facility);
  g_free (t);
}

GPtrArray *
wt_ledger_storage_now (WtLedger  *self,
                       gint64     now_ms,
                       GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "SELECT facility, count (*), sum (CAST (round (coalesce (weight_kg, 0) * 1000) AS INTEGER)),"
                        "  min (CASE WHEN length (day) = 10 THEN day"
                        "       ELSE date (labelled_ms / 1000, 'unixepoch', 'localtime') END)"
                        "  FROM container WHERE state = 'stored' GROUP BY facility ORDER BY facility",
                        error);
  if (stmt != NULL)
    {
      ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_facility_total_free);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          WtFacilityTotal *t = g_new0 (WtFacilityTotal, 1);

          t->facility = wt_db_column_dup (stmt, 0);
          t->containers = sqlite3_column_int (stmt, 1);
          t->grams = sqlite3_column_int64 (stmt, 2);
          t->oldest_days = MAX (0, days_between ((const char *) sqlite3_column_text (stmt, 3), now_ms));
          g_ptr_array_add (ret, t);
        }
    }
  g_mutex_unlock (&self->lock);

  return ret;
}

/* ---- Browsing ------------------------------------------------------------------------------------ */

void
wt_container_filter_init (WtContainerFilter *f)
{
  memset (f, 0, sizeof *f);
  f->state = -1;
}

static char *
filter_where (const WtContainerFilter *f)
{
  GString *w = g_string_new ("1");

  if (f == NULL)
    return g_string_free (w, FALSE);
  if (f->text && *f->text)
    g_string_append (w, " AND (code LIKE '%' || ?1 || '%' OR waste_name LIKE '%' || ?1 || '%'"
                        " OR common_name LIKE '%' || ?1 || '%' OR waste_code LIKE ?1 || '%')");
  if (f->waste_code && *f->waste_code)
    g_string_append (w, " AND waste_code = ?2");
  if (f->state >= 0)
    g_string_append (w, " AND state = ?3");
  if (f->facility && *f->facility)
    g_string_append (w, " AND facility = ?4");
  if (f->manifest && *f->manifest)
    g_string_append (w, " AND manifest_id IN (SELECT id FROM manifest WHERE id = ?5 OR number = ?5 OR draft_number = ?5)");
  if (f->from_date && *f->from_date)
    g_string_append (w, " AND day >= ?6");
  if (f->to_date && *f->to_date)
    g_string_append (w, " AND day <= ?7");

  return g_string_free (w, FALSE);
}

static void
filter_bind (sqlite3_stmt            *stmt,
             const WtContainerFilter *f)
{
  g_autofree char *text = NULL;

  if (f == NULL)
    return;
  if (f->text && *f->text)
    {
      /* The printed form of a code has groups and a check character. */
      GString *s = g_string_new (NULL);

      for (const char *p = f->text; *p; p++)
        if (*p != ' ' && *p != '-')
          g_string_append_c (s, g_ascii_toupper (*p));
      if (s->len == 38 && strspn (s->str, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 38)
        g_string_truncate (s, 37);
      text = (strspn (f->text, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjklmnpqrstuvwxyz -") == strlen (f->text))
        ? g_string_free (s, FALSE) : (g_string_free (s, TRUE), g_strdup (f->text));
      sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
    }
  if (f->waste_code && *f->waste_code)
    sqlite3_bind_text (stmt, 2, f->waste_code, -1, SQLITE_TRANSIENT);
  if (f->state >= 0)
    sqlite3_bind_text (stmt, 3, wt_container_state_to_id (f->state), -1, SQLITE_STATIC);
  if (f->facility && *f->facility)
    sqlite3_bind_text (stmt, 4, f->facility, -1, SQLITE_TRANSIENT);
  if (f->manifest && *f->manifest)
    sqlite3_bind_text (stmt, 5, f->manifest, -1, SQLITE_TRANSIENT);
  if (f->from_date && *f->from_date)
    sqlite3_bind_text (stmt, 6, f->from_date, -1, SQLITE_TRANSIENT);
  if (f->to_date && *f->to_date)
    sqlite3_bind_text (stmt, 7, f->to_date, -1, SQLITE_TRANSIENT);
}

gint64
wt_ledger_count_matching (WtLedger                *self,
                          const WtContainerFilter *filter,
                          GError                 **error)
{
  g_autofree char *where = filter_where (filter);
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM container WHERE %s", where);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = -1;

  g_return_val_if_fail (WT_IS_LEDGER (self), -1);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, sql, error);
  if (stmt != NULL)
    {
      filter_bind (stmt, filter);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
      else
        wt_db_error (self, error, "counting containers");
    }
  g_mutex_unlock (&self->lock);

  return n;
}

GPtrArray *
wt_ledger_query_containers (WtLedger                *self,
                            const WtContainerFilter *filter,
                            guint                    offset,
                            guint                    limit,
                            GError                 **error)
{
  g_autofree char *where = filter_where (filter);
  g_autofree char *sql = g_strdup_printf ("SELECT " CONTAINER_COLUMNS " FROM container WHERE %s"
                                          " ORDER BY labelled_ms DESC, code DESC LIMIT ?8 OFFSET ?9", where);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, sql, error);
  if (stmt != NULL)
    {
      filter_bind (stmt, filter);
      sqlite3_bind_int64 (stmt, 8, limit == 0 ? -1 : (gint64) limit);
      sqlite3_bind_int64 (stmt, 9, offset);
      ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_container_free);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (ret, wt_container_from_row (stmt));
      if (rc != SQLITE_DONE)
        {
          wt_db_error (self, error, "listing containers");
          g_clear_pointer (&ret, g_ptr_array_unref);
        }
    }
  g_mutex_unlock (&self->lock);

  return ret;
}

/* ---- Corrections --------------------------------------------------------------------------------- */

gboolean
wt_ledger_correct (WtLedger    *self,
                   const char  *event_id,
                   double       weight_kg,
                   const char  *date,
                   const char  *reason,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *code = NULL;
  g_autofree char *kind = NULL;
  guint8 id[16];
  guint8 last[16];
  gboolean have_last = FALSE;
  Appender app = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (!wt_check_reason (reason, error))
    return FALSE;
  if (weight_kg < 0 && date == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Say what the correct value is: a weight or a date."));
      return FALSE;
    }
  if (date != NULL && !wt_valid_date (date))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The date “%s” is not a valid date; write it as YYYY-MM-DD."), date);
      return FALSE;
    }
  if (weight_kg >= 0 && (isnan (weight_kg) || isinf (weight_kg)))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("The weight is not a number."));
      return FALSE;
    }
  if (event_id == NULL || !wt_uuid_to_bytes (event_id, id))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("“%s” is not an event id; copy it from the container’s history."), event_id ? event_id : "");
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error) || !wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  stmt = wt_db_prepare (self,
                        "SELECT e.container_code, e.kind, c.last_event FROM event e"
                        "  JOIN container c ON c.code = e.container_code WHERE e.event_id = ?1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_blob (stmt, 1, id, 16, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                   _("There is no event %s about a container in this ledger."), event_id);
      goto fail;
    }
  code = wt_db_column_dup (stmt, 0);
  kind = wt_db_column_dup (stmt, 1);
  if (sqlite3_column_bytes (stmt, 2) == 16)
    {
      memcpy (last, sqlite3_column_blob (stmt, 2), 16);
      have_last = TRUE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (weight_kg >= 0 && g_strcmp0 (kind, "labelled") != 0 && g_strcmp0 (kind, "weighed") != 0 &&
      g_strcmp0 (kind, "received") != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Event %s records no weight; correct the event that does (printing, weighing or receipt)."),
                   event_id);
      goto fail;
    }
  if (date != NULL && g_strcmp0 (kind, "labelled") != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Only the printing event carries the date of generation; correct that one."));
      goto fail;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "corrects");
  json_builder_add_string_value (b, event_id);
  if (date)
    {
      json_builder_set_member_name (b, "date");
      json_builder_add_string_value (b, date);
    }
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  if (weight_kg >= 0)
    {
      json_builder_set_member_name (b, "weight_kg");
      json_builder_add_double_value (b, weight_kg);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  payload = wt_json_text (node);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, code, "correction", have_last ? last : NULL, payload, last, error) ||
      !wt_appender_finish (self, &app, error))
    goto fail;

  stmt = wt_db_prepare (self,
                        "UPDATE container SET weight_kg = coalesce (?2, weight_kg), day = coalesce (?3, day),"
                        "  last_event = ?4, updated_ms = ?5 WHERE code = ?1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  if (weight_kg >= 0)
    sqlite3_bind_double (stmt, 2, weight_kg);
  if (date)
    sqlite3_bind_text (stmt, 3, date, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 4, last, 16, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "applying the correction");
      goto fail;
    }

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;
  ok = TRUE;
  goto out;

fail:
  wt_appender_clear (&app);
  wt_db_rollback (self);
out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Projection check ------------------------------------------------------------------------------- */

typedef struct
{
  char   *state;
  double  weight;     /* < 0 unknown */
  char   *facility;
  char   *manifest;
  char   *day;
  int     reprints;
  char   *void_reason;
  gint64  ship_ms;    /* first shipment recorded at this site, or -1 */
  gint64  treat_ms;   /* first treatment recorded at this site, or -1 */
} Proj;

/* out_ms/out_kind as the schema v4 triggers derive them. */
static gint64
proj_out_ms (const Proj *p)
{
  if (p->ship_ms < 0)
    return p->treat_ms;
  if (p->treat_ms < 0)
    return p->ship_ms;
  return MIN (p->ship_ms, p->treat_ms);
}

static const char *
proj_out_kind (const Proj *p)
{
  if (p->ship_ms < 0 && p->treat_ms < 0)
    return NULL;
  return p->ship_ms >= 0 && (p->treat_ms < 0 || p->ship_ms <= p->treat_ms) ? "out" : "self";
}

static void
proj_free (gpointer data)
{
  Proj *p = data;

  g_free (p->state);
  g_free (p->facility);
  g_free (p->manifest);
  g_free (p->day);
  g_free (p->void_reason);
  g_free (p);
}

static double
json_weight (JsonObject *o,
             const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return -1;
  return json_node_get_double (n);
}

/* Applies one event to a container's replayed projection. The rules are
 * the ones the writers follow (wt-ledger.c, wt-handover.c). */
static void
replay (Proj       *p,
        const char *kind,
        JsonObject *o,
        gboolean    here,
        gint64      wall_ms)
{
#define SET(field, value) G_STMT_START { g_free (p->field); p->field = g_strdup (value); } G_STMT_END
  if (here && g_strcmp0 (kind, "shipped") == 0 && (p->ship_ms < 0 || wall_ms < p->ship_ms))
    p->ship_ms = wall_ms;
  if (here && g_strcmp0 (kind, "treated") == 0 && (p->treat_ms < 0 || wall_ms < p->treat_ms))
    p->treat_ms = wall_ms;
  if (g_strcmp0 (kind, "labelled") == 0)
    {
      JsonNode *c = o ? json_object_get_member (o, "content") : NULL;

      SET (state, "labelled");
      p->weight = json_weight (o, "weight_kg");
      if (c && JSON_NODE_HOLDS_OBJECT (c))
        SET (day, json_object_get_string_member_with_default (json_node_get_object (c), "date", ""));
    }
  else if (g_strcmp0 (kind, "relabelled") == 0)
    p->reprints++;
  else if (g_strcmp0 (kind, "voided") == 0)
    {
      SET (state, "voided");
      SET (void_reason, o ? json_object_get_string_member_with_default (o, "reason", "") : "");
    }
  else if (g_strcmp0 (kind, "stored") == 0)
    {
      SET (state, "stored");
      SET (facility, o ? json_object_get_string_member_with_default (o, "facility", NULL) : NULL);
    }
  else if (g_strcmp0 (kind, "shipped") == 0 || g_strcmp0 (kind, "received") == 0 ||
           g_strcmp0 (kind, "rejected") == 0 || g_strcmp0 (kind, "treated") == 0)
    {
      SET (state, kind);
      g_clear_pointer (&p->facility, g_free);
      if (o && json_object_has_member (o, "manifest"))
        SET (manifest, json_object_get_string_member (o, "manifest"));
      if (g_strcmp0 (kind, "received") == 0 || g_strcmp0 (kind, "rejected") == 0)
        {
          double w = json_weight (o, "weight_kg");

          if (w >= 0)
            p->weight = w;
        }
    }
  else if (g_strcmp0 (kind, "weighed") == 0)
    p->weight = json_weight (o, "weight_kg");
  else if (g_strcmp0 (kind, "correction") == 0)
    {
      double w = json_weight (o, "weight_kg");

      if (w >= 0)
        p->weight = w;
      if (o && json_object_has_member (o, "date"))
        SET (day, json_object_get_string_member (o, "date"));
    }
#undef SET
}

static gboolean
same_weight (double a,
             double b)
{
  if (a < 0 || b < 0)
    return (a < 0) == (b < 0);
  return fabs (a - b) < 0.0005;
}

gint64
wt_ledger_check_projections (WtLedger  *self,
                             gboolean   repair,
                             GStrv     *out_codes,
                             GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GHashTable) projs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, proj_free);
  g_autoptr(GStrvBuilder) differ = g_strv_builder_new ();
  g_autoptr(GPtrArray) bad = g_ptr_array_new ();
  gint64 n = -1;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), -1);

  g_mutex_lock (&self->lock);

  stmt = wt_db_prepare (self,
                        "SELECT e.container_code, e.kind, e.payload, e.site_id = ?1, e.wall_ms FROM event e"
                        " WHERE EXISTS (SELECT 1 FROM container c WHERE c.code = e.container_code)"
                        " ORDER BY e.hlc, e.id",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, self->site_id ? self->site_id : "", -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *code = (const char *) sqlite3_column_text (stmt, 0);
      Proj *p = g_hash_table_lookup (projs, code);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = NULL;

      if (p == NULL)
        {
          p = g_new0 (Proj, 1);
          p->weight = -1;
          p->ship_ms = p->treat_ms = -1;
          g_hash_table_insert (projs, g_strdup (code), p);
        }
      if (json_parser_load_from_data (parser, (const char *) sqlite3_column_text (stmt, 2), -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        o = json_node_get_object (json_parser_get_root (parser));
      replay (p, (const char *) sqlite3_column_text (stmt, 1), o,
              sqlite3_column_int (stmt, 3), sqlite3_column_int64 (stmt, 4));
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "replaying the events");
      goto out;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "SELECT code, state, weight_kg, facility, reprints, day, out_ms, out_kind FROM container", error);
  if (stmt == NULL)
    goto out;
  n = 0;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *code = (const char *) sqlite3_column_text (stmt, 0);
      Proj *p = g_hash_table_lookup (projs, code);
      double w = sqlite3_column_type (stmt, 2) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 2);

      /* Containers adopted at receipt have no history of ours to replay. */
      if (p == NULL || p->state == NULL)
        continue;
      if (g_strcmp0 (p->state, (const char *) sqlite3_column_text (stmt, 1)) != 0 ||
          !same_weight (p->weight, w) ||
          g_strcmp0 (p->facility, (const char *) sqlite3_column_text (stmt, 3)) != 0 ||
          p->reprints != sqlite3_column_int (stmt, 4) ||
          (p->day && *p->day && g_strcmp0 (p->day, (const char *) sqlite3_column_text (stmt, 5)) != 0) ||
          proj_out_ms (p) != (sqlite3_column_type (stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 6)) ||
          g_strcmp0 (proj_out_kind (p), (const char *) sqlite3_column_text (stmt, 7)) != 0)
        {
          g_strv_builder_add (differ, code);
          g_ptr_array_add (bad, g_hash_table_lookup (projs, code));
          n++;
        }
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (repair && n > 0)
    {
      g_auto(GStrv) codes = g_strv_builder_end (differ);

      differ = g_strv_builder_new ();
      if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
        {
          n = -1;
          goto out;
        }
      stmt = wt_db_prepare (self,
                            "UPDATE container SET state = ?2, weight_kg = ?3, facility = ?4, reprints = ?5,"
                            "  day = coalesce (nullif (?6, ''), day), void_reason = coalesce (?7, void_reason),"
                            "  out_ms = ?8, out_kind = ?9"
                            " WHERE code = ?1",
                            error);
      if (stmt == NULL)
        {
          wt_db_rollback (self);
          n = -1;
          goto out;
        }
      for (guint i = 0; codes[i]; i++)
        {
          Proj *p = g_hash_table_lookup (projs, codes[i]);

          sqlite3_reset (stmt);
          sqlite3_clear_bindings (stmt);
          sqlite3_bind_text (stmt, 1, codes[i], -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, p->state, -1, SQLITE_STATIC);
          if (p->weight >= 0)
            sqlite3_bind_double (stmt, 3, p->weight);
          if (p->facility)
            sqlite3_bind_text (stmt, 4, p->facility, -1, SQLITE_STATIC);
          sqlite3_bind_int (stmt, 5, p->reprints);
          sqlite3_bind_text (stmt, 6, p->day ? p->day : "", -1, SQLITE_STATIC);
          if (p->void_reason)
            sqlite3_bind_text (stmt, 7, p->void_reason, -1, SQLITE_STATIC);
          if (proj_out_ms (p) >= 0)
            sqlite3_bind_int64 (stmt, 8, proj_out_ms (p));
          if (proj_out_kind (p))
            sqlite3_bind_text (stmt, 9, proj_out_kind (p), -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) != SQLITE_DONE)
            {
              wt_db_error (self, error, "repairing the projection");
              wt_db_rollback (self);
              n = -1;
              goto out;
            }
          g_strv_builder_add (differ, codes[i]);
        }
      if (!wt_db_exec (self, "COMMIT", error))
        {
          wt_db_rollback (self);
          n = -1;
          goto out;
        }
    }

  if (out_codes)
    *out_codes = g_strv_builder_end (differ);

out:
  g_mutex_unlock (&self->lock);
  return n;
}

/* ---- Exports ---------------------------------------------------------------------------------------- */

gboolean
wt_export_format_parse (const char     *text,
                        WtExportFormat *out)
{
  if (g_ascii_strcasecmp (text ? text : "", "csv") == 0)
    *out = WT_EXPORT_CSV;
  else if (g_ascii_strcasecmp (text ? text : "", "xlsx") == 0)
    *out = WT_EXPORT_XLSX;
  else if (g_ascii_strcasecmp (text ? text : "", "pdf") == 0)
    *out = WT_EXPORT_PDF;
  else
    return FALSE;
  return TRUE;
}

static void
csv_field (GString    *s,
           const char *v)
{
  if (v == NULL)
    return;
  if (strpbrk (v, ",\"\r\n") == NULL)
    {
      g_string_append (s, v);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = v; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

/* Files get CRLF line ends (RFC 4180, what spreadsheet programs expect);
 * a terminal or a pipe gets plain LF. */
static GString *
table_csv (const WtTable *t,
           const char    *eol)
{
  GString *s = g_string_new (NULL);
  guint n = g_strv_length (t->headers);

  for (guint i = 0; i < n; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      csv_field (s, t->headers[i]);
    }
  g_string_append (s, eol);
  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = g_ptr_array_index (t->rows, r);

      for (guint i = 0; i < n; i++)
        {
          if (i)
            g_string_append_c (s, ',');
          csv_field (s, row[i]);
        }
      g_string_append (s, eol);
    }
  return s;
}

static gboolean
io_error (GError     **error,
          const char  *path,
          int          err)
{
  g_set_error (error, WT_ERROR, WT_ERROR_IO,
               _("Could not write “%s”: %s. Nothing was saved under that name."),
               path, g_strerror (err ? err : EIO));
  return FALSE;
}

/* Writes @data to a temporary file beside @path, fsyncs it and renames it:
 * a killed process or a full disk leaves nothing under @path. */
static gboolean
write_atomically (const char  *path,
                  const char  *data,
                  gsize        len,
                  GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp (tmp);
  gsize done = 0;

  if (fd < 0)
    return io_error (error, path, errno);

  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int err = errno;

          close (fd);
          g_unlink (tmp);
          return io_error (error, path, err);
        }
      done += n;
    }

  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      return io_error (error, path, err);
    }
  if (g_rename (tmp, path) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      return io_error (error, path, err);
    }
  return TRUE;
}

static gboolean
export_xlsx (const WtTable *t,
             const char    *unit,
             const char    *subtitle,
             const char    *path,
             GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  lxw_workbook_options options = { .constant_memory = LXW_TRUE, .tmpdir = NULL };
  lxw_workbook *wb;
  lxw_worksheet *ws;
  int fd;
  lxw_format *bold;
  guint n = g_strv_length (t->headers);
  lxw_error err;
  int row = 0;

  /* Claim the temporary name ourselves: an unwritable folder is then our
   * error, in our words, before libxlsxwriter starts. */
  fd = g_mkstemp (tmp);
  if (fd < 0)
    return io_error (error, path, errno);
  close (fd);

  wb = workbook_new_opt (tmp, &options);
  if (wb == NULL)
    {
      int e = errno;

      g_unlink (tmp);
      return io_error (error, path, e);
    }

  ws = workbook_add_worksheet (wb, NULL);
  bold = workbook_add_format (wb);
  format_set_bold (bold);

  worksheet_write_string (ws, row++, 0, t->title, bold);
  if (unit && *unit)
    worksheet_write_string (ws, row++, 0, unit, NULL);
  if (subtitle && *subtitle)
    worksheet_write_string (ws, row++, 0, subtitle, NULL);
  row++;

  for (guint i = 0; i < n; i++)
    {
      worksheet_write_string (ws, row, i, (t->display_headers ? t->display_headers : t->headers)[i], bold);
      worksheet_set_column (ws, i, i, 16, NULL);
    }
  row++;

  for (guint r = 0; r < t->rows->len; r++, row++)
    {
      char **cells = g_ptr_array_index (t->rows, r);

      for (guint i = 0; i < n; i++)
        {
          char *end = NULL;
          double v = g_ascii_strtod (cells[i], &end);

          /* Quantities go in as numbers so a spreadsheet can sum them;
           * codes (which may look numeric) stay text. */
          if (*cells[i] && end && *end == '\0' && strchr (cells[i], '.') != NULL && strlen (cells[i]) < 16)
            worksheet_write_number (ws, row, i, v, NULL);
          else
            worksheet_write_string (ws, row, i, cells[i], NULL);
        }
    }

  if (t->note != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (t->note, "\n", -1);

      row++;
      for (guint i = 0; lines[i]; i++)
        worksheet_write_string (ws, row++, 0, lines[i], NULL);
    }

  err = workbook_close (wb);
  if (err != LXW_NO_ERROR)
    {
      g_unlink (tmp);
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("Could not write “%s”: %s. Nothing was saved under that name."),
                   path, lxw_strerror (err));
      return FALSE;
    }

  fd = g_open (tmp, O_RDONLY, 0);
  if (fd < 0 || fsync (fd) != 0)
    {
      int e = errno;

      if (fd >= 0)
        close (fd);
      g_unlink (tmp);
      return io_error (error, path, e);
    }
  close (fd);

  if (g_rename (tmp, path) != 0)
    {
      int e = errno;

      g_unlink (tmp);
      return io_error (error, path, e);
    }
  return TRUE;
}

static cairo_status_t
pdf_write_cb (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  GByteArray *buf = closure;

  g_byte_array_append (buf, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static double
cell_text (cairo_t     *cr,
           PangoLayout *layout,
           const char  *text,
           double       x,
           double       y,
           double       width,
           double       size,
           gboolean     bold,
           gboolean     wrap)
{
  PangoFontDescription *font = pango_font_description_from_string ("Noto Sans CJK SC");
  int w, h;

  pango_font_description_set_size (font, (int) (size * PANGO_SCALE));
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, width > 0 ? (int) (width * PANGO_SCALE) : -1);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize (layout, wrap || width <= 0 ? PANGO_ELLIPSIZE_NONE : PANGO_ELLIPSIZE_END);
  pango_layout_set_height (layout, wrap ? (int) (-3) : -1);
  pango_layout_set_text (layout, text ? text : "", -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_size (layout, &w, &h);
  return (double) h / PANGO_SCALE;
}

/* A quantity as a page shows it (see wt_format_tonnes()); anything else
 * as given. */
static char *
page_text (const char *cell)
{
  char *text = g_strdup (cell ? cell : "");

  trim_to_kilograms (text);
  return text;
}

/* A column of quantities (blanks allowed) is set flush right, header and
 * all, so the kilograms line up down the page. */
static gboolean
is_quantity_column (const WtTable *t,
                    guint          column)
{
  gboolean any = FALSE;

  for (guint r = 0; r < t->rows->len; r++)
    {
      const char *cell = ((char **) g_ptr_array_index (t->rows, r))[column];

      if (cell == NULL || cell[0] == '\0')
        continue;
      if (quantity_dot (cell) == NULL)
        return FALSE;
      any = TRUE;
    }
  return any;
}

/* The width @text takes when drawn by cell_text() at @size, in points. */
static double
measure_text (PangoLayout *layout,
              const char  *text,
              double       size,
              gboolean     bold)
{
  PangoFontDescription *font = pango_font_description_from_string ("Noto Sans CJK SC");
  int w, h;

  pango_font_description_set_size (font, (int) (size * PANGO_SCALE));
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, -1);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
  pango_layout_set_height (layout, -1);
  pango_layout_set_text (layout, text ? text : "", -1);
  pango_layout_get_size (layout, &w, &h);
  return (double) w / PANGO_SCALE;
}

static gboolean
has_wide (const char *text)
{
  for (const char *p = text ? text : ""; *p; p = g_utf8_next_char (p))
    if (g_unichar_iswide (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* Column widths for a table: every column gets the width of its widest cell
 * (headers may wrap onto two lines). When they do not all fit, the columns
 * of words (names, places: Chinese text, which may be shortened) give up
 * width down to one common cap, so codes, dates and quantities are printed
 * whole; only if those alone are too wide does every column give. */
static gboolean
fit_columns (const WtTable *t,
             double         font,
             double         available,
             double        *widths,
             double        *natural,
             double        *out_natural_total)
{
  /* A column of words keeps at least six characters. */
  double floor_w = 6 * font * 1.05 + 8;
  gboolean fits = TRUE;
  cairo_surface_t *surface = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cairo_t *cr = cairo_create (surface);
  PangoLayout *layout = pango_cairo_create_layout (cr);
  guint n = g_strv_length (t->headers);
  g_autofree gboolean *words = g_new0 (gboolean, n);
  double total = 0, fixed = 0;

  for (guint i = 0; i < n; i++)
    {
      const char *header = (t->display_headers ? t->display_headers : t->headers)[i];
      double w = measure_text (layout, header, font, TRUE) / 2 + font * 1.2;
      g_auto(GStrv) parts = g_strsplit (header, " ", -1);

      /* A header may wrap onto two lines, between words: its longest word
       * stays whole (Chinese has no spaces and breaks anywhere). */
      for (guint k = 0; parts[k] != NULL; k++)
        if (!g_unichar_iswide (g_utf8_get_char (parts[k])))
          w = MAX (w, measure_text (layout, parts[k], font, TRUE));

      for (guint r = 0; r < t->rows->len && r < 2000; r++)
        {
          g_autofree char *cell = page_text (((char **) g_ptr_array_index (t->rows, r))[i]);

          w = MAX (w, measure_text (layout, cell, font, FALSE));
          words[i] = words[i] || has_wide (cell);
        }
      widths[i] = MAX (w + 8, 24);
      if (natural != NULL)
        natural[i] = widths[i];
      total += widths[i];
      if (!words[i])
        fixed += widths[i];
    }
  *out_natural_total = total;

  if (total > available)
    {
      double at_floor = fixed;
      gboolean all;
      double lo = 0, hi = 0;

      for (guint i = 0; i < n; i++)
        if (words[i])
          at_floor += MIN (widths[i], floor_w);
      fits = at_floor <= available;
      all = fixed >= available;

      for (guint i = 0; i < n; i++)
        if (all || words[i])
          hi = MAX (hi, widths[i]);
      /* The cap c with Σ min (natural, c) over the columns that give, plus
       * the others, = available, by bisection. */
      for (int k = 0; k < 40; k++)
        {
          double c = (lo + hi) / 2, sum = 0;

          for (guint i = 0; i < n; i++)
            sum += (all || words[i]) ? MIN (widths[i], c) : widths[i];
          if (sum > available)
            hi = c;
          else
            lo = c;
        }
      total = 0;
      for (guint i = 0; i < n; i++)
        {
          if (all || words[i])
            widths[i] = MIN (widths[i], lo);
          total += widths[i];
        }
    }
  /* What is left over is shared in proportion. */
  for (guint i = 0; i < n; i++)
    widths[i] = widths[i] / total * available;

  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return fits;
}

void
wt_table_pdf_layout (const WtTable *t,
                     double        *out_font,
                     gboolean      *out_landscape,
                     double        *widths,
                     double        *natural)
{
  guint n = g_strv_length (t->headers);
  gboolean landscape = n > 8;
  double font = n > 12 ? 6.5 : 8;
  double margin = 36, total = 0;

  /* Measured again at each size: text widths do not scale with the type
   * size, whose metrics are rounded. */
  for (;;)
    {
      gboolean fits = fit_columns (t, font, (landscape ? 841.89 : 595.28) - 2 * margin, widths, natural, &total);

      /* A portrait page that would shorten the table by more than a fifth turns. */
      if (!landscape && total > 1.2 * (595.28 - 2 * margin))
        {
          landscape = TRUE;
          continue;
        }
      /* Smaller type before a name is cut to a stub (not below 5.5 pt). */
      if (fits || font <= 5.5)
        break;
      font -= 0.5;
    }

  *out_font = font;
  *out_landscape = landscape;
}

static gboolean
export_pdf (const WtTable *t,
            const char    *unit,
            const char    *subtitle,
            const char    *path,
            GCancellable  *cancellable,
            GError       **error)
{
  guint n = g_strv_length (t->headers);
  gboolean landscape = n > 8;
  double pw = landscape ? 841.89 : 595.28, ph = landscape ? 595.28 : 841.89;
  double margin = 36, row_h = 16, head_h = 30;
  double *widths = g_new0 (double, n);
  g_autofree gboolean *right = g_new0 (gboolean, n);
  double x;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoLayout *layout;
  guint rows_per_page, n_pages;
  double font = n > 12 ? 6.5 : 8;
  gboolean ok;

  wt_table_pdf_layout (t, &font, &landscape, widths, NULL);
  for (guint i = 0; i < n; i++)
    right[i] = is_quantity_column (t, i);
  if (landscape)
    {
      pw = 841.89;
      ph = 595.28;
    }

  rows_per_page = (guint) ((ph - 2 * margin - 40 - head_h - 20 - (t->note ? 60 : 0)) / row_h);
  n_pages = MAX (1, (t->rows->len + rows_per_page - 1) / rows_per_page);

  surface = cairo_pdf_surface_create_for_stream (pdf_write_cb, buf, pw, ph);
  cr = cairo_create (surface);
  layout = pango_cairo_create_layout (cr);
  cairo_set_line_width (cr, 0.5);

  for (guint page = 0; page < n_pages; page++)
    {
      double y = margin;
      g_autofree char *footer = g_strdup_printf (_("Page %u of %u"), page + 1, n_pages);
      g_autofree char *head = g_strdup_printf ("%s%s%s", unit ? unit : "", unit && *unit && subtitle && *subtitle ? " · " : "",
                                               subtitle ? subtitle : "");

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;

      cairo_set_source_rgb (cr, 0, 0, 0);
      y += cell_text (cr, layout, t->title, margin, y, pw - 2 * margin, 13, TRUE, FALSE) + 2;
      y += cell_text (cr, layout, head, margin, y, pw - 2 * margin, 9, FALSE, FALSE) + 8;

      /* The header row on every page. */
      cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
      cairo_rectangle (cr, margin, y, pw - 2 * margin, head_h);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0, 0, 0);
      x = margin;
      for (guint i = 0; i < n; i++)
        {
          pango_layout_set_alignment (layout, right[i] ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
          cell_text (cr, layout, (t->display_headers ? t->display_headers : t->headers)[i],
                     x + 2, y + 2, widths[i] - 4, font, TRUE, TRUE);
          x += widths[i];
        }
      y += head_h;

      for (guint r = page * rows_per_page; r < MIN (t->rows->len, (page + 1) * rows_per_page); r++)
        {
          char **cells = g_ptr_array_index (t->rows, r);

          x = margin;
          for (guint i = 0; i < n; i++)
            {
              g_autofree char *cell = page_text (cells[i]);

              pango_layout_set_alignment (layout, right[i] ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
              cell_text (cr, layout, cell, x + 2, y + 3, widths[i] - 4, font, FALSE, FALSE);
              x += widths[i];
            }
          pango_layout_set_alignment (layout, PANGO_ALIGN_LEFT);
          cairo_move_to (cr, margin, y + row_h);
          cairo_line_to (cr, pw - margin, y + row_h);
          cairo_stroke (cr);
          y += row_h;
        }
      if (t->rows->len == 0)
        y += cell_text (cr, layout, _("No records in this period."), margin, y + 6, -1, 9, FALSE, FALSE) + 6;
      if (page + 1 == n_pages && t->note != NULL)
        cell_text (cr, layout, t->note, margin, y + 10, pw - 2 * margin, 8, FALSE, TRUE);

      cell_text (cr, layout, footer, pw / 2 - 30, ph - margin + 8, -1, 8, FALSE, FALSE);
      cairo_show_page (cr);
    }

  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  ok = cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy (surface);
  g_free (widths);

  if (error && *error)
    return FALSE;
  if (!ok)
    return io_error (error, path, EIO);

  return write_atomically (path, (const char *) buf->data, buf->len, error);
}

gboolean
wt_table_export (const WtTable   *table,
                 WtExportFormat   format,
                 const char      *unit,
                 const char      *subtitle,
                 const char      *path,
                 GCancellable    *cancellable,
                 GError         **error)
{
  g_return_val_if_fail (table != NULL, FALSE);

  switch (format)
    {
    case WT_EXPORT_CSV:
      {
        g_autoptr(GString) s = table_csv (table, path ? "\r\n" : "\n");

        if (path == NULL)
          {
            fwrite (s->str, 1, s->len, stdout);
            return fflush (stdout) == 0 || io_error (error, "stdout", errno);
          }
        /* A BOM, so spreadsheet programs read the Chinese as UTF-8. */
        g_string_prepend (s, "\xEF\xBB\xBF");
        return write_atomically (path, s->str, s->len, error);
      }
    case WT_EXPORT_XLSX:
      if (path == NULL)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("An XLSX file needs a file name."));
          return FALSE;
        }
      return export_xlsx (table, unit, subtitle, path, error);
    case WT_EXPORT_PDF:
    default:
      if (path == NULL)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("A PDF file needs a file name."));
          return FALSE;
        }
      return export_pdf (table, unit, subtitle, path, cancellable, error);
    }
}
