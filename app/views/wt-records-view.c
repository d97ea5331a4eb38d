/* wt-records-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One HJ 1259 record table at a time (产生, 入库, 出库, 自行利用/处置,
 * 委外利用/处置), for a period or all time, read on a worker thread and
 * shown as the core formats it; exports read the table again on the worker
 * so the rows on screen and the file come from the same query.
 */
#define G_LOG_DOMAIN "wt-records-view"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-records-view.h"
#include "wt-report-view.h"
#include "wt-export-ui.h"
#include "wt-worker.h"

struct _WtRecordsView
{
  GtkWidget        parent_instance;

  /* Template Widgets */
  GtkDropDown     *table_dropdown;
  GtkDropDown     *kind_dropdown;
  GtkSpinButton   *year_spin;
  GtkDropDown     *index_dropdown;
  GtkLabel        *count_label;
  GtkStack        *stack;
  AdwStatusPage   *error_page;
  GtkColumnView   *column_view;

  /* Owned References */
  WtLedger        *ledger;
  char            *unit;
  GCancellable    *cancellable;
  GCancellable    *load_cancellable;
  GtkNativeDialog *chooser;

  gboolean         loaded;     /* a table is on screen */
  gboolean         loading;
  gboolean         dirty;
  gboolean         picking;
  gboolean         exporting;
};

G_DEFINE_FINAL_TYPE (WtRecordsView, wt_records_view, GTK_TYPE_WIDGET)

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

static const char *kind_ids[] = { "produced", "stored", "shipped", "self-treated", "outsourced" };

static WtTableKind
selected_kind (WtRecordsView *self)
{
  guint selected = gtk_drop_down_get_selected (self->table_dropdown);

  return selected == GTK_INVALID_LIST_POSITION || selected > WT_TABLE_OUTSOURCED ? WT_TABLE_PRODUCED : selected;
}

/* ---- Loading ------------------------------------------------------------------- */

typedef struct
{
  WtLedger    *ledger;
  WtTableKind  kind;
  WtPeriod     period;
  gboolean     all_time;
  char        *path;          /* exports only */
  WtExportFormat format;

  /* Results */
  WtTable     *table;
  GPtrArray   *items;         /* the table's rows, for the screen */
  char        *unit;
} Load;

static void
load_free (gpointer pointer)
{
  Load *load = pointer;

  g_clear_object (&load->ledger);
  g_clear_pointer (&load->table, wt_table_free);
  g_clear_pointer (&load->items, g_ptr_array_unref);
  g_free (load->unit);
  g_free (load->path);
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
  load->table = wt_ledger_table (load->ledger, load->kind, load->all_time ? NULL : &load->period, error);
  if (load->table == NULL)
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

/* Reads the table and makes its row items here, off the main loop. */
static gpointer
show_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Load *load = data;

  if (load_thread (load, cancellable, error) == NULL)
    return NULL;
  load->items = wt_table_items_new (load->table->rows);
  return GINT_TO_POINTER (TRUE);
}

static void
set_loading (WtRecordsView *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtRecordsView *self = WT_RECORDS_VIEW (object);
  Load *load = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  guint n;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_loading (self, FALSE);
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  g_free (self->unit);
  self->unit = g_steal_pointer (&load->unit);
  n = load->items->len;
  wt_table_view_set (self->column_view, (const char * const *) load->table->headers, load->items);
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u row", "%'u rows", n), n);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "table" : "empty");
  self->loaded = TRUE;
  set_loading (self, FALSE);
}

static Load *
load_new (WtRecordsView *self)
{
  Load *load = g_new0 (Load, 1);

  load->ledger = g_object_ref (self->ledger);
  load->kind = selected_kind (self);
  load->all_time = !wt_period_picker_get (self->kind_dropdown, self->year_spin, self->index_dropdown,
                                          &load->period);
  return load;
}

static void
load (WtRecordsView *self)
{
  if (self->ledger == NULL)
    return;

  self->dirty = FALSE;
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  set_loading (self, TRUE);
  if (!self->loaded)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  wt_worker_run_async (self, show_thread, load_new (self), load_free, NULL, self->load_cancellable,
                       loaded_cb, NULL);
}

void
wt_records_view_reload (WtRecordsView *self)
{
  g_return_if_fail (WT_IS_RECORDS_VIEW (self));

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self);
  else
    self->dirty = TRUE;
}

static void
changed_cb (WtRecordsView *self)
{
  if (!self->picking)
    load (self);
}

static void
kind_changed_cb (WtRecordsView *self)
{
  gboolean picking = self->picking;

  self->picking = TRUE;
  wt_period_picker_sync (self->kind_dropdown, self->year_spin, self->index_dropdown);
  self->picking = picking;
  changed_cb (self);
}

void
wt_records_view_set_period (WtRecordsView  *self,
                            const WtPeriod *period)
{
  g_return_if_fail (WT_IS_RECORDS_VIEW (self));

  self->picking = TRUE;
  wt_period_picker_select (self->kind_dropdown, self->year_spin, self->index_dropdown, period);
  self->picking = FALSE;
  wt_records_view_reload (self);
}

static void
show_table_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WtRecordsView *self = WT_RECORDS_VIEW (widget);
  WtTableKind kind;

  if (wt_table_kind_parse (g_variant_get_string (parameter, NULL), &kind))
    gtk_drop_down_set_selected (self->table_dropdown, kind);
}

/* ---- Export ------------------------------------------------------------------------ */

static gpointer
export_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  Load *load = data;
  g_autofree char *subtitle = NULL;

  if (load_thread (load, cancellable, error) == NULL)
    return NULL;
  subtitle = load->all_time ? g_strdup (_("All records")) : g_strdup (load->period.label);
  if (!wt_table_export (load->table, load->format, load->unit, subtitle, load->path, cancellable, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtRecordsView *self = WT_RECORDS_VIEW (object);
  Load *load = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  AdwToast *toast;

  self->exporting = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "records.export", TRUE);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        wt_export_show_error (GTK_WIDGET (self), _("Export Failed"), error->message);
      return;
    }

  toast = wt_export_saved_toast (_("Table saved as %s"), load->path);
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
  g_signal_emit (self, signals[EXPORTED], 0, load->path);
}

static void
start_export (WtRecordsView  *self,
              const char     *path,
              WtExportFormat  format)
{
  Load *load;

  if (self->ledger == NULL || self->exporting)
    return;

  self->exporting = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "records.export", FALSE);
  load = load_new (self);
  load->path = g_strdup (path);
  load->format = format;
  wt_worker_run_async (self, export_thread, load, load_free, NULL, self->cancellable, exported_cb, NULL);
}

static void
export_chosen_cb (GtkWidget      *owner,
                  const char     *path,
                  WtExportFormat  format)
{
  WtRecordsView *self = (WtRecordsView *) owner;

  g_clear_object (&self->chooser);
  if (path != NULL)
    start_export (self, path, format);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtRecordsView *self = WT_RECORDS_VIEW (widget);
  g_autofree char *name = NULL;
  WtPeriod period;

  if (self->ledger == NULL || self->exporting || self->chooser != NULL)
    return;

  if (wt_period_picker_get (self->kind_dropdown, self->year_spin, self->index_dropdown, &period))
    name = g_strdup_printf ("%s-%s.xlsx", kind_ids[selected_kind (self)], period.label);
  else
    name = g_strdup_printf ("%s.xlsx", kind_ids[selected_kind (self)]);
  self->chooser = wt_export_chooser_show (widget, _("Export Table"), name, WT_EXPORT_XLSX, export_chosen_cb);
}

/* The export without the file chooser, for tests and scripts. */
static void
export_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtRecordsView *self = WT_RECORDS_VIEW (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  WtExportFormat format;

  if (!wt_export_format_from_path (path, &format))
    {
      wt_export_show_error (widget, _("Export Failed"), _("Name the file .csv, .xlsx or .pdf."));
      return;
    }
  start_export (self, path, format);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
wt_records_view_map (GtkWidget *widget)
{
  WtRecordsView *self = WT_RECORDS_VIEW (widget);

  GTK_WIDGET_CLASS (wt_records_view_parent_class)->map (widget);

  if (self->dirty)
    load (self);
}

static void
wt_records_view_dispose (GObject *object)
{
  WtRecordsView *self = WT_RECORDS_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_RECORDS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_records_view_parent_class)->dispose (object);
}

static void
wt_records_view_finalize (GObject *object)
{
  WtRecordsView *self = WT_RECORDS_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_pointer (&self->unit, g_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);

  G_OBJECT_CLASS (wt_records_view_parent_class)->finalize (object);
}

static void
wt_records_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WtRecordsView *self = WT_RECORDS_VIEW (object);

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
wt_records_view_class_init (WtRecordsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_records_view_dispose;
  object_class->finalize = wt_records_view_finalize;
  object_class->get_property = wt_records_view_get_property;
  widget_class->map = wt_records_view_map;

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
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-records-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, table_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, year_spin);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, index_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, stack);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtRecordsView, column_view);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, kind_changed_cb);

  gtk_widget_class_install_action (widget_class, "records.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "records.export-to", "s", export_to_action);
  gtk_widget_class_install_action (widget_class, "records.show-table", "s", show_table_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "records.export", NULL);
}

static void
wt_records_view_init (WtRecordsView *self)
{
  g_autoptr(GtkStringList) tables = gtk_string_list_new (NULL);
  WtPeriod period;

  self->picking = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  for (guint k = WT_TABLE_PRODUCED; k <= WT_TABLE_OUTSOURCED; k++)
    gtk_string_list_append (tables, wt_table_kind_title (k));
  gtk_drop_down_set_model (self->table_dropdown, G_LIST_MODEL (tables));

  /* This month by default: "all time" can be a very long table. */
  wt_period_picker_setup (self->kind_dropdown, self->year_spin, self->index_dropdown, TRUE);
  wt_period_for_time (WT_PERIOD_MONTH, g_get_real_time () / 1000, &period);
  wt_period_picker_select (self->kind_dropdown, self->year_spin, self->index_dropdown, &period);
  self->picking = FALSE;
}

void
wt_records_view_set_ledger (WtRecordsView *self,
                            WtLedger      *ledger)
{
  g_return_if_fail (WT_IS_RECORDS_VIEW (self));

  g_set_object (&self->ledger, ledger);
  self->loaded = FALSE;
  wt_records_view_reload (self);
}

gboolean
wt_records_view_get_loading (WtRecordsView *self)
{
  g_return_val_if_fail (WT_IS_RECORDS_VIEW (self), FALSE);

  return self->loading;
}
