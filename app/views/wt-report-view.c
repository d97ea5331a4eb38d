/* wt-report-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The period report on screen (one row per waste code, in tonnes, with a
 * total), the reminder of the next report due by the unit's class, and the
 * exports. Also the few helpers the Records and Overdue views share: the
 * table shown in a GtkColumnView and the period picker.
 */
#define G_LOG_DOMAIN "wt-report-view"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib/gi18n.h>

#include "wt-report-view.h"
#include "wt-export-ui.h"
#include "wt-worker.h"

struct _WtReportView
{
  GtkWidget       parent_instance;

  /* Template Widgets */
  GtkWidget      *due_box;
  GtkImage       *due_icon;
  GtkLabel       *due_label;
  GtkDropDown    *kind_dropdown;
  GtkSpinButton  *year_spin;
  GtkDropDown    *index_dropdown;
  GtkLabel       *range_label;
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkColumnView  *column_view;
  GtkLabel       *note_label;

  /* Owned References */
  WtLedger       *ledger;
  GPtrArray      *rows;        /* (element-type WtReportRow) of `period` */
  char           *unit;
  GCancellable   *cancellable;
  GCancellable   *load_cancellable;
  GtkNativeDialog *chooser;

  WtPeriod        period;
  WtPeriod        due_period;
  gboolean        has_due;
  gboolean        loading;
  gboolean        dirty;       /* reload when next shown */
  gboolean        picking;     /* widgets set from code, not by a person */
  gboolean        exporting;
};

G_DEFINE_FINAL_TYPE (WtReportView, wt_report_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

enum {
  ADD_TOAST,
  EXPORTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Shared helpers ------------------------------------------------------------ */

static GQuark row_quark;

static GQuark
get_row_quark (void)
{
  if (row_quark == 0)
    row_quark = g_quark_from_static_string ("wt-table-row");
  return row_quark;
}

static gboolean
is_number (const char *text)
{
  char *end = NULL;

  if (text == NULL || text[0] == '\0')
    return TRUE;  /* blanks do not decide */
  g_ascii_strtod (text, &end);
  return end != NULL && end != text && *end == '\0';
}

/* Width in Latin characters: CJK characters take two. */
static guint
text_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  gboolean numeric = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "wt-numeric"));
  guint chars = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "wt-chars"));
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  gtk_widget_set_margin_top (label, 8);
  gtk_widget_set_margin_bottom (label, 8);
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  /* As wide as the values seen, up to a long catalogue name; the table
   * scrolls sideways rather than cutting codes and dates short. */
  gtk_label_set_width_chars (GTK_LABEL (label), (int) chars);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), (int) chars);
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "wt-column"));
  guint n_visible = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "wt-n-visible"));
  GObject *item = gtk_list_item_get_item (list_item);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  char **row = item != NULL ? g_object_get_qdata (item, get_row_quark ()) : NULL;
  guint len = row != NULL ? g_strv_length (row) : 0;
  const char *text = column < len ? row[column] : "";
  const char *style = column == 0 && n_visible + 1 < len ? row[n_visible + 1] : NULL;

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_widget_set_tooltip_text (label, g_utf8_strlen (text, -1) > 40 ? text : NULL);
  if (style != NULL && style[0] != '\0')
    {
      gtk_widget_add_css_class (label, style);
      g_object_set_data_full (G_OBJECT (label), "wt-style", g_strdup (style), g_free);
    }
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  GtkWidget *label = gtk_list_item_get_child (list_item);
  const char *style = g_object_get_data (G_OBJECT (label), "wt-style");

  if (style != NULL)
    {
      gtk_widget_remove_css_class (label, style);
      g_object_set_data (G_OBJECT (label), "wt-style", NULL);
    }
}

GPtrArray *
wt_table_items_new (GPtrArray *rows)
{
  GPtrArray *items;
  gpointer *stolen;
  gsize n_rows = 0;

  g_ptr_array_set_free_func (rows, NULL);
  stolen = g_ptr_array_steal (rows, &n_rows);
  g_ptr_array_set_free_func (rows, (GDestroyNotify) g_strfreev);

  items = g_ptr_array_new_full (n_rows, g_object_unref);
  for (gsize r = 0; r < n_rows; r++)
    {
      GObject *item = g_object_new (G_TYPE_OBJECT, NULL);

      g_object_set_qdata_full (item, get_row_quark (), stolen[r], (GDestroyNotify) g_strfreev);
      g_ptr_array_add (items, item);
    }
  g_free (stolen);
  return items;
}

/* Long tables go into the view a chunk per main-loop turn, oldest rows
 * first, so that no single turn pays for all of them. */
#define FILL_CHUNK 1000

typedef struct
{
  GListStore *store;
  GPtrArray  *items;
  guint       next;
  guint       source;
} Filler;

static void
filler_free (gpointer pointer)
{
  Filler *filler = pointer;

  g_clear_handle_id (&filler->source, g_source_remove);
  g_ptr_array_unref (filler->items);
  g_free (filler);
}

static gboolean
fill_cb (gpointer data)
{
  Filler *filler = data;
  guint n = MIN (FILL_CHUNK, filler->items->len - filler->next);

  g_list_store_splice (filler->store, filler->next, 0, filler->items->pdata + filler->next, n);
  filler->next += n;
  if (filler->next < filler->items->len)
    return G_SOURCE_CONTINUE;
  filler->source = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
same_headers (GtkColumnView      *view,
              const char * const *headers)
{
  const char * const *shown = g_object_get_data (G_OBJECT (view), "wt-headers");

  return shown != NULL && headers != NULL && g_strv_equal (shown, headers);
}

void
wt_table_view_set (GtkColumnView      *view,
                   const char * const *headers,
                   GPtrArray          *items)
{
  GListModel *columns = gtk_column_view_get_columns (view);
  GListStore *store = g_object_get_data (G_OBJECT (view), "wt-store");
  guint n_headers = headers != NULL ? g_strv_length ((char **) headers) : 0;
  guint n_rows = items->len;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  /* One store for the view's lifetime, emptied and then refilled: a GTK 4.8
   * list view pays for every row on gtk_column_view_set_model(), and for
   * every added row when one change both removes shown rows and adds new
   * ones (it looks for the old rows' items among the new). */
  if (store == NULL)
    {
      store = g_list_store_new (G_TYPE_OBJECT);
      g_object_set_data_full (G_OBJECT (view), "wt-store", store, g_object_unref);
      gtk_column_view_set_model (view, GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (store)))));
    }
  g_object_set_data (G_OBJECT (view), "wt-filler", NULL);
  g_list_store_remove_all (store);

  if (!same_headers (view, headers))
    {
      while (g_list_model_get_n_items (columns) > 0)
        {
          g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);

          gtk_column_view_remove_column (view, column);
        }

      for (guint c = 0; c < n_headers; c++)
        {
          g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
          g_autoptr(GtkColumnViewColumn) column = NULL;
          gboolean numeric = n_rows > 0;
          guint chars = MAX (4, text_width (headers[c]) * 4 / 5);

          /* The first rows decide: the total row at the end may hold words. */
          for (guint r = 0; r < n_rows && r < 50; r++)
            {
              char **row = g_object_get_qdata (g_ptr_array_index (items, r), get_row_quark ());
              gboolean has = row != NULL && c < g_strv_length (row);

              numeric = numeric && has && is_number (row[c]);
              if (has)
                chars = MAX (chars, text_width (row[c]));
            }
          chars = MIN (chars + 2, 42);

          g_object_set_data (G_OBJECT (factory), "wt-column", GUINT_TO_POINTER (c));
          g_object_set_data (G_OBJECT (factory), "wt-n-visible", GUINT_TO_POINTER (n_headers));
          g_object_set_data (G_OBJECT (factory), "wt-numeric", GINT_TO_POINTER (numeric));
          g_object_set_data (G_OBJECT (factory), "wt-chars", GUINT_TO_POINTER (chars));
          g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), NULL);
          g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), NULL);
          g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), NULL);

          column = gtk_column_view_column_new (headers[c], g_object_ref (factory));
          gtk_column_view_column_set_resizable (column, TRUE);
          gtk_column_view_column_set_expand (column, !numeric && chars >= 20);
          gtk_column_view_append_column (view, column);
        }
      /* Widths follow the first table shown under these headers. */
      if (n_rows > 0)
        g_object_set_data_full (G_OBJECT (view), "wt-headers", g_strdupv ((char **) headers),
                                (GDestroyNotify) g_strfreev);
    }

  g_list_store_splice (store, 0, 0, items->pdata, MIN (items->len, FILL_CHUNK));
  if (items->len > FILL_CHUNK)
    {
      Filler *filler = g_new0 (Filler, 1);

      filler->store = store;
      filler->items = g_ptr_array_ref (items);
      filler->next = FILL_CHUNK;
      filler->source = g_idle_add (fill_cb, filler);
      g_object_set_data_full (G_OBJECT (view), "wt-filler", filler, filler_free);
    }
}

const char *
wt_table_view_row_key (gpointer item)
{
  char **row;
  guint len;

  if (item == NULL)
    return NULL;
  row = g_object_get_qdata (G_OBJECT (item), get_row_quark ());
  if (row == NULL)
    return NULL;
  len = g_strv_length (row);
  /* The key is the field after the visible ones; the last-but-one when a
   * style follows it. Rows always carry both hidden fields when keyed. */
  return len >= 2 ? row[len - 2] : NULL;
}

/* ---- The period picker ------------------------------------------------------------ */

static gboolean
picker_has_all_time (GtkDropDown *kind)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (kind), "wt-all-time"));
}

/* -1 all time, else a WtPeriodKind. */
static int
picker_kind (GtkDropDown *kind)
{
  guint selected = gtk_drop_down_get_selected (kind);

  if (selected == GTK_INVALID_LIST_POSITION)
    selected = 0;
  if (picker_has_all_time (kind))
    return (int) selected - 1;
  return (int) selected;
}

void
wt_period_picker_setup (GtkDropDown   *kind,
                        GtkSpinButton *year,
                        GtkDropDown   *index,
                        gboolean       all_time)
{
  g_autoptr(GtkStringList) kinds = gtk_string_list_new (NULL);
  GtkStringList *months = gtk_string_list_new (NULL);
  GtkStringList *quarters = gtk_string_list_new (NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (all_time)
    gtk_string_list_append (kinds, _("All time"));
  gtk_string_list_append (kinds, _("Month"));
  gtk_string_list_append (kinds, _("Quarter"));
  gtk_string_list_append (kinds, _("Year"));
  g_object_set_data (G_OBJECT (kind), "wt-all-time", GINT_TO_POINTER (all_time));
  gtk_drop_down_set_model (kind, G_LIST_MODEL (kinds));

  for (int m = 1; m <= 12; m++)
    {
      /* The locale's own month names: "November", "十一月". */
      g_autoptr(GDateTime) dt = g_date_time_new_local (2001, m, 1, 0, 0, 0);
      g_autofree char *name = g_date_time_format (dt, "%B");

      gtk_string_list_append (months, name);
    }
  for (int q = 1; q <= 4; q++)
    {
      /* Translators: a quarter of the year, Q1 to Q4 (第1季度…). */
      g_autofree char *name = g_strdup_printf (_("Q%d"), q);

      gtk_string_list_append (quarters, name);
    }
  g_object_set_data_full (G_OBJECT (index), "wt-months", months, g_object_unref);
  g_object_set_data_full (G_OBJECT (index), "wt-quarters", quarters, g_object_unref);
  gtk_drop_down_set_model (index, G_LIST_MODEL (months));

  gtk_spin_button_set_adjustment (year, gtk_adjustment_new (g_date_time_get_year (now), 2000, 2099, 1, 1, 0));
  gtk_spin_button_set_digits (year, 0);
  gtk_widget_set_tooltip_text (GTK_WIDGET (index), _("Month or quarter"));
}


void
wt_period_picker_sync (GtkDropDown   *kind,
                       GtkSpinButton *year,
                       GtkDropDown   *index)
{
  GListModel *months = g_object_get_data (G_OBJECT (index), "wt-months");
  GListModel *quarters = g_object_get_data (G_OBJECT (index), "wt-quarters");
  GListModel *model = gtk_drop_down_get_model (index);
  guint selected = gtk_drop_down_get_selected (index);
  int k = picker_kind (kind);

  if (selected == GTK_INVALID_LIST_POSITION)
    selected = 0;

  /* Keep the same stretch of the year: March ↔ Q1, Q4 ↔ October. */
  if (k == WT_PERIOD_MONTH && model != months)
    {
      gtk_drop_down_set_model (index, months);
      gtk_drop_down_set_selected (index, model == quarters ? selected * 3 : 0);
    }
  else if (k == WT_PERIOD_QUARTER && model != quarters)
    {
      gtk_drop_down_set_model (index, quarters);
      gtk_drop_down_set_selected (index, model == months ? selected / 3 : 0);
    }

  gtk_widget_set_visible (GTK_WIDGET (index), k == WT_PERIOD_MONTH || k == WT_PERIOD_QUARTER);
  gtk_widget_set_visible (GTK_WIDGET (year), k >= 0);
}

void
wt_period_picker_select (GtkDropDown    *kind,
                         GtkSpinButton  *year,
                         GtkDropDown    *index,
                         const WtPeriod *period)
{
  guint offset = picker_has_all_time (kind) ? 1 : 0;

  if (period == NULL)
    {
      gtk_drop_down_set_selected (kind, 0);
      wt_period_picker_sync (kind, year, index);
      return;
    }

  gtk_drop_down_set_selected (kind, offset + (guint) period->kind);
  gtk_spin_button_set_value (year, period->year);
  wt_period_picker_sync (kind, year, index);
  if (period->kind != WT_PERIOD_YEAR && period->index > 0)
    gtk_drop_down_set_selected (index, (guint) period->index - 1);
}

gboolean
wt_period_picker_get (GtkDropDown   *kind,
                      GtkSpinButton *year,
                      GtkDropDown   *index,
                      WtPeriod      *out_period)
{
  int k = picker_kind (kind);
  int y = gtk_spin_button_get_value_as_int (year);
  guint i = gtk_drop_down_get_selected (index);
  g_autofree char *text = NULL;

  if (k < 0)
    return FALSE;
  if (i == GTK_INVALID_LIST_POSITION)
    i = 0;

  if (k == WT_PERIOD_MONTH)
    text = g_strdup_printf ("%04d-%02u", y, MIN (i + 1, 12));
  else if (k == WT_PERIOD_QUARTER)
    text = g_strdup_printf ("%04d-Q%u", y, MIN (i + 1, 4));
  else
    text = g_strdup_printf ("%04d", y);

  return wt_period_parse (text, out_period, NULL);
}

/* "2026-11-01 – 2026-11-30": the period's first and last day. */
static char *
period_range (const WtPeriod *period)
{
  GDate last;
  char end[11];
  int y, m, d;

  if (sscanf (period->end, "%4d-%2d-%2d", &y, &m, &d) != 3 || !g_date_valid_dmy (d, m, y))
    return g_strdup (period->start);
  g_date_clear (&last, 1);
  g_date_set_dmy (&last, d, m, y);
  g_date_subtract_days (&last, 1);
  g_date_strftime (end, sizeof end, "%Y-%m-%d", &last);
  /* Translators: the first and last day of a report's period. */
  return g_strdup_printf (_("%s to %s"), period->start, end);
}

/* ---- Loading the report -------------------------------------------------------------- */

typedef struct
{
  WtLedger    *ledger;
  WtPeriod     period;

  /* Results */
  GPtrArray   *rows;
  char        *unit;
  WtUnitClass  unit_class;
  WtPeriod     due_period;
  char         due[11];
} Load;

static void
load_free (gpointer pointer)
{
  Load *load = pointer;

  g_clear_object (&load->ledger);
  g_clear_pointer (&load->rows, g_ptr_array_unref);
  g_free (load->unit);
  g_free (load);
}

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Load *load = data;
  g_autoptr(WtSite) site = wt_ledger_dup_site (load->ledger, NULL);

  load->unit = g_strdup (site != NULL ? site->name : "");
  load->unit_class = wt_ledger_get_unit_class (load->ledger);
  wt_report_next_due (load->unit_class, g_get_real_time () / 1000, &load->due_period, load->due);
  load->rows = wt_ledger_report (load->ledger, &load->period, error);
  if (load->rows == NULL)
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static const char *
unit_class_sentence (WtUnitClass unit_class)
{
  switch (unit_class)
    {
    case WT_UNIT_CLASS_SIMPLIFIED:
      return _("As a simplified-management unit (简化管理单位), this site reports every quarter, by the 15th of the following month.");
    case WT_UNIT_CLASS_REGISTERED:
      return _("As a registration-management unit (登记管理单位), this site reports every year, by 31 March of the following year.");
    case WT_UNIT_CLASS_KEY:
    default:
      return _("As a key-supervision unit (重点监管单位), this site reports every month, by the 15th of the following month.");
    }
}

static void
show_due (WtReportView *self,
          Load         *load)
{
  g_autofree char *sentence = NULL;
  g_autofree char *text = NULL;
  GDate today, due;
  int y, m, d, days = 0;

  self->due_period = load->due_period;
  self->has_due = TRUE;

  g_date_clear (&today, 1);
  g_date_set_time_t (&today, time (NULL));
  if (sscanf (load->due, "%4d-%2d-%2d", &y, &m, &d) == 3 && g_date_valid_dmy (d, m, y))
    {
      g_date_clear (&due, 1);
      g_date_set_dmy (&due, d, m, y);
      days = g_date_days_between (&today, &due);
    }

  if (days <= 0)
    sentence = g_strdup_printf (_("The report for %s is due today, %s."), load->due_period.label, load->due);
  else
    sentence = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The report for %s is due by %s, in %d day.",
                                             "The report for %s is due by %s, in %d days.", days),
                                load->due_period.label, load->due, days);
  text = g_strdup_printf ("%s %s", sentence, unit_class_sentence (load->unit_class));
  gtk_label_set_text (self->due_label, text);

  if (days <= 7)
    gtk_widget_add_css_class (GTK_WIDGET (self->due_icon), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->due_icon), "warning");
}

static char *
receivers_text (const WtReportRow *row)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; row->receivers != NULL && i < row->receivers->len; i++)
    {
      WtReceiverTotal *r = g_ptr_array_index (row->receivers, i);
      g_autofree char *tonnes = wt_format_tonnes (r->grams);

      if (s->len > 0)
        g_string_append (s, "; ");
      if (r->licence != NULL && r->licence[0] != '\0')
        /* Translators: a receiver, its licence number and the tonnes sent to it. */
        g_string_append_printf (s, _("%s (licence %s): %s t"), r->receiver, r->licence, tonnes);
      else
        /* Translators: a receiver and the tonnes sent to it. */
        g_string_append_printf (s, _("%s: %s t"), r->receiver, tonnes);
    }
  return g_string_free (s, FALSE);
}

static void
show_report (WtReportView *self)
{
  const char *headers[] = {
    _("Waste code"), _("Waste name"), _("Opening (t)"), _("Produced (t)"),
    _("Self-treated (t)"), _("Sent out (t)"), _("Closing (t)"), _("Sent to"), _("Corrections"), NULL,
  };
  g_autoptr(GPtrArray) table = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gint64 sums[5] = { 0 };
  guint corrections = 0;
  gboolean balanced = TRUE;

  for (guint i = 0; i < self->rows->len; i++)
    {
      WtReportRow *r = g_ptr_array_index (self->rows, i);
      char **row = g_new0 (char *, 10);

      row[0] = g_strdup (r->waste_code);
      row[1] = g_strdup (r->waste_name != NULL ? r->waste_name : "");
      row[2] = wt_format_tonnes (r->opening_g);
      row[3] = wt_format_tonnes (r->generated_g);
      row[4] = wt_format_tonnes (r->self_treated_g);
      row[5] = wt_format_tonnes (r->sent_out_g);
      row[6] = wt_format_tonnes (r->closing_g);
      row[7] = receivers_text (r);
      row[8] = r->corrections > 0 ? g_strdup_printf ("%u", r->corrections) : g_strdup ("");
      g_ptr_array_add (table, row);

      sums[0] += r->opening_g;
      sums[1] += r->generated_g;
      sums[2] += r->self_treated_g;
      sums[3] += r->sent_out_g;
      sums[4] += r->closing_g;
      corrections += r->corrections;
      balanced &= r->opening_g + r->generated_g - r->self_treated_g - r->sent_out_g == r->closing_g;
    }

  if (self->rows->len > 1)
    {
      char **row = g_new0 (char *, 10);

      row[0] = g_strdup (_("Total"));
      row[1] = g_strdup ("");
      for (guint c = 0; c < 5; c++)
        row[2 + c] = wt_format_tonnes (sums[c]);
      row[7] = g_strdup ("");
      row[8] = corrections > 0 ? g_strdup_printf ("%u", corrections) : g_strdup ("");
      g_ptr_array_add (table, row);
    }

  {
    g_autoptr(GPtrArray) items = wt_table_items_new (table);

    wt_table_view_set (self->column_view, headers, items);
  }
  gtk_stack_set_visible_child_name (self->stack, self->rows->len > 0 ? "table" : "empty");

  if (!balanced)
    {
      gtk_label_set_text (self->note_label, _("Opening + produced − self-treated − sent out does not equal closing for every waste code. Verify the ledger."));
      gtk_widget_add_css_class (GTK_WIDGET (self->note_label), "error");
    }
  else
    {
      g_autofree char *note = NULL;

      gtk_widget_remove_css_class (GTK_WIDGET (self->note_label), "error");
      if (corrections > 0)
        note = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Opening + produced − self-treated − sent out = closing for every waste code. %u correction is included; the corrected events are kept as they were.",
                                             "Opening + produced − self-treated − sent out = closing for every waste code. %u corrections are included; the corrected events are kept as they were.",
                                             corrections), corrections);
      else
        note = g_strdup (_("Opening + produced − self-treated − sent out = closing for every waste code. A container counts as produced on its label's date and as sent out when it is shipped."));
      gtk_label_set_text (self->note_label, note);
    }
}

static void set_loading (WtReportView *self, gboolean loading);
static void start_export (WtReportView *self, const char *path, WtExportFormat format);
static void start_pending_export (WtReportView *self);

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtReportView *self = WT_REPORT_VIEW (object);
  Load *load = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_loading (self, FALSE);
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  self->rows = g_steal_pointer (&load->rows);
  self->period = load->period;
  g_free (self->unit);
  self->unit = g_steal_pointer (&load->unit);
  show_due (self, load);
  show_report (self);
  set_loading (self, FALSE);

  if (!self->exporting)
    start_pending_export (self);
}

static void
set_loading (WtReportView *self,
             gboolean      loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.export", !loading && !self->exporting);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
load (WtReportView *self)
{
  g_autofree char *range = NULL;
  Load *data;
  WtPeriod period;

  if (self->ledger == NULL)
    return;
  if (!wt_period_picker_get (self->kind_dropdown, self->year_spin, self->index_dropdown, &period))
    return;

  self->dirty = FALSE;
  range = period_range (&period);
  gtk_label_set_text (self->range_label, range);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  set_loading (self, TRUE);
  if (self->rows == NULL)
    gtk_stack_set_visible_child_name (self->stack, "loading");

  data = g_new0 (Load, 1);
  data->ledger = g_object_ref (self->ledger);
  data->period = period;
  wt_worker_run_async (self, load_thread, data, load_free, NULL, self->load_cancellable, loaded_cb, NULL);
}

void
wt_report_view_reload (WtReportView *self)
{
  g_return_if_fail (WT_IS_REPORT_VIEW (self));

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self);
  else
    self->dirty = TRUE;
}

static void
period_changed_cb (WtReportView *self)
{
  if (self->picking)
    return;
  load (self);
}

static void
kind_changed_cb (WtReportView *self)
{
  gboolean picking = self->picking;

  self->picking = TRUE;
  wt_period_picker_sync (self->kind_dropdown, self->year_spin, self->index_dropdown);
  self->picking = picking;
  period_changed_cb (self);
}

void
wt_report_view_set_period (WtReportView   *self,
                           const WtPeriod *period)
{
  g_return_if_fail (WT_IS_REPORT_VIEW (self));
  g_return_if_fail (period != NULL);

  self->picking = TRUE;
  wt_period_picker_select (self->kind_dropdown, self->year_spin, self->index_dropdown, period);
  self->picking = FALSE;
  load (self);
}

static void
show_due_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  WtReportView *self = WT_REPORT_VIEW (widget);

  if (self->has_due)
    wt_report_view_set_period (self, &self->due_period);
}

/* ---- Export ------------------------------------------------------------------------ */

typedef struct
{
  GPtrArray      *rows;
  WtPeriod        period;
  char           *unit;
  char           *subtitle;
  char           *path;
  WtExportFormat  format;
} Export;

static void
export_free (gpointer pointer)
{
  Export *export = pointer;

  g_clear_pointer (&export->rows, g_ptr_array_unref);
  g_free (export->unit);
  g_free (export->subtitle);
  g_free (export->path);
  g_free (export);
}

static gpointer
export_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  Export *export = data;
  g_autoptr(WtTable) table = wt_report_to_table (export->rows, &export->period);

  if (!wt_table_export (table, export->format, export->unit, export->subtitle, export->path,
                        cancellable, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
start_pending_export (WtReportView *self)
{
  g_autofree char *pending = NULL;
  WtExportFormat format = WT_EXPORT_PDF;

  if (self->loading || self->dirty)
    return;
  pending = g_object_steal_data (G_OBJECT (self), "wt-pending-export");
  if (pending == NULL)
    return;
  wt_export_format_from_path (pending, &format);
  start_export (self, pending, format);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtReportView *self = WT_REPORT_VIEW (object);
  Export *export = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  AdwToast *toast;

  self->exporting = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.export", !self->loading);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        wt_export_show_error (GTK_WIDGET (self), _("Export Failed"), error->message);
      start_pending_export (self);
      return;
    }

  toast = wt_export_saved_toast (_("Report saved as %s"), export->path);
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
  g_signal_emit (self, signals[EXPORTED], 0, export->path);
  start_pending_export (self);
}

static void
start_export (WtReportView   *self,
              const char     *path,
              WtExportFormat  format)
{
  g_autofree char *range = NULL;
  Export *export;

  if (self->rows == NULL)
    return;
  if (self->exporting)
    {
      /* One file at a time; this one follows. */
      g_object_set_data_full (G_OBJECT (self), "wt-pending-export", g_strdup (path), g_free);
      return;
    }

  self->exporting = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.export", FALSE);

  range = period_range (&self->period);
  export = g_new0 (Export, 1);
  export->rows = g_ptr_array_ref (self->rows);
  export->period = self->period;
  export->unit = g_strdup (self->unit != NULL ? self->unit : "");
  /* The title already names the period; the subtitle gives its days. */
  export->subtitle = g_steal_pointer (&range);
  export->path = g_strdup (path);
  export->format = format;
  wt_worker_run_async (self, export_thread, export, export_free, NULL, self->cancellable, exported_cb, NULL);
}

static void
export_chosen_cb (GtkWidget      *owner,
                  const char     *path,
                  WtExportFormat  format)
{
  WtReportView *self = (WtReportView *) owner;

  g_clear_object (&self->chooser);
  if (path != NULL)
    start_export (self, path, format);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtReportView *self = WT_REPORT_VIEW (widget);
  g_autofree char *name = NULL;

  if (self->rows == NULL || self->loading || self->exporting || self->chooser != NULL)
    return;

  /* Translators: the suggested file name of an exported report; keep the %s. */
  name = g_strdup_printf (_("report-%s.pdf"), self->period.label);
  self->chooser = wt_export_chooser_show (widget, _("Export Report"), name, WT_EXPORT_PDF, export_chosen_cb);
}

/* The export without the file chooser, for tests and scripts. A report still
 * being computed is exported as soon as it is ready. */
static void
export_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtReportView *self = WT_REPORT_VIEW (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  WtExportFormat format;

  if (!wt_export_format_from_path (path, &format))
    {
      wt_export_show_error (widget, _("Export Failed"), _("Name the file .csv, .xlsx or .pdf."));
      return;
    }

  if (self->loading || self->rows == NULL || self->dirty)
    {
      g_object_set_data_full (G_OBJECT (self), "wt-pending-export", g_strdup (path), g_free);
      if (!self->loading)
        load (self);
      return;
    }
  start_export (self, path, format);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
wt_report_view_map (GtkWidget *widget)
{
  WtReportView *self = WT_REPORT_VIEW (widget);

  GTK_WIDGET_CLASS (wt_report_view_parent_class)->map (widget);

  if (self->dirty)
    load (self);
}

static void
wt_report_view_dispose (GObject *object)
{
  WtReportView *self = WT_REPORT_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_REPORT_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_report_view_parent_class)->dispose (object);
}

static void
wt_report_view_finalize (GObject *object)
{
  WtReportView *self = WT_REPORT_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->unit, g_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);

  G_OBJECT_CLASS (wt_report_view_parent_class)->finalize (object);
}

static void
wt_report_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  WtReportView *self = WT_REPORT_VIEW (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_report_view_class_init (WtReportViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_report_view_dispose;
  object_class->finalize = wt_report_view_finalize;
  object_class->get_property = wt_report_view_get_property;
  widget_class->map = wt_report_view_map;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[EXPORTED] =
    g_signal_new ("exported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-report-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtReportView, due_box);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, due_icon);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, due_label);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, year_spin);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, index_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, range_label);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, stack);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, column_view);
  gtk_widget_class_bind_template_child (widget_class, WtReportView, note_label);
  gtk_widget_class_bind_template_callback (widget_class, period_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, kind_changed_cb);

  gtk_widget_class_install_action (widget_class, "report.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "report.export-to", "s", export_to_action);
  gtk_widget_class_install_action (widget_class, "report.show-due", NULL, show_due_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "report.export", NULL);
}

static void
wt_report_view_init (WtReportView *self)
{
  WtPeriod period;

  self->picking = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  wt_period_picker_setup (self->kind_dropdown, self->year_spin, self->index_dropdown, FALSE);

  /* Until the ledger says which report is due: last month. */
  wt_period_for_time (WT_PERIOD_MONTH, g_get_real_time () / 1000 - (gint64) 28 * 24 * 3600 * 1000, &period);
  wt_period_picker_select (self->kind_dropdown, self->year_spin, self->index_dropdown, &period);
  self->period = period;
  self->picking = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.export", FALSE);
}

void
wt_report_view_set_ledger (WtReportView *self,
                           WtLedger     *ledger)
{
  g_return_if_fail (WT_IS_REPORT_VIEW (self));

  g_set_object (&self->ledger, ledger);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  wt_report_view_reload (self);
}

gboolean
wt_report_view_get_loading (WtReportView *self)
{
  g_return_val_if_fail (WT_IS_REPORT_VIEW (self), FALSE);

  return self->loading;
}
