/* wt-overdue-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Containers still at this site that are over the storage limit or within
 * its warning window (oldest first, with their age), and what each storage
 * facility holds now, with a warning as a 贮存点 nears its 3 t. Limits are
 * the site's settings (wt_ledger_get_overdue_limit/_warn).
 */
#define G_LOG_DOMAIN "wt-overdue-view"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-overdue-view.h"
#include "wt-report-view.h"
#include "wt-worker.h"

struct _WtOverdueView
{
  GtkWidget       parent_instance;

  /* Template Widgets */
  GtkLabel       *limits_label;
  GtkListBox     *storage_list;
  GtkLabel       *count_label;
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkColumnView  *column_view;

  /* Owned References */
  WtLedger       *ledger;
  GCancellable   *cancellable;

  guint           n_overdue;
  guint           n_due_soon;
  gboolean        loading;
};

G_DEFINE_FINAL_TYPE (WtOverdueView, wt_overdue_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_OVERDUE,
  PROP_N_DUE_SOON,
  PROP_LOADING,
  N_PROPS
};

enum {
  ADD_TOAST,
  SHOW_CONTAINER,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Loading ------------------------------------------------------------------ */

typedef struct
{
  WtLedger   *ledger;

  /* Results */
  guint       limit_days;
  guint       warn_days;
  GPtrArray  *overdue;     /* (element-type WtOverdue) */
  GPtrArray  *storage;     /* (element-type WtFacilityTotal) */
  GPtrArray  *items;       /* the overdue list's rows, made off the main loop */
  guint       n_overdue;
  guint       n_due_soon;
} Load;

static void
load_free (gpointer pointer)
{
  Load *load = pointer;

  g_clear_object (&load->ledger);
  g_clear_pointer (&load->overdue, g_ptr_array_unref);
  g_clear_pointer (&load->storage, g_ptr_array_unref);
  g_clear_pointer (&load->items, g_ptr_array_unref);
  g_free (load);
}

/* One row per container: status, code, waste, facility, date, age; then
 * the hidden key (the canonical code) and style. */
static GPtrArray *
overdue_items_new (GPtrArray   *overdue,
                   WtCodeSplit *split,
                   guint       *out_overdue,
                   guint       *out_due_soon)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_full (overdue->len, (GDestroyNotify) g_strfreev);

  *out_overdue = *out_due_soon = 0;
  for (guint i = 0; i < overdue->len; i++)
    {
      WtOverdue *o = g_ptr_array_index (overdue, i);
      const WtContainer *c = o->container;
      char **row = g_new0 (char *, 9);
      g_autofree char *display = split != NULL ? wt_code_to_display (split, c->code) : NULL;
      const char *name = c->common_name != NULL && c->common_name[0] != '\0'
                         ? c->common_name : (c->waste_name != NULL ? c->waste_name : "");

      if (o->overdue)
        (*out_overdue)++;
      else
        (*out_due_soon)++;
      row[0] = g_strdup (o->overdue ? _("Overdue") : _("Due soon"));
      row[1] = g_strdup (display != NULL ? display : c->code);
      row[2] = g_strdup_printf ("%s %s", c->waste_code, name);
      row[3] = g_strdup (c->facility != NULL && c->facility[0] != '\0' ? c->facility : _("Not stored"));
      row[4] = g_strdup (c->date != NULL ? c->date : "");
      row[5] = g_strdup_printf ("%u", o->age_days);
      row[6] = g_strdup (c->code);
      row[7] = g_strdup (o->overdue ? "error" : "warning");
      g_ptr_array_add (rows, row);
    }
  return wt_table_items_new (rows);
}

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Load *load = data;
  g_autoptr(WtSite) site = wt_ledger_dup_site (load->ledger, NULL);
  gint64 now = g_get_real_time () / 1000;

  load->limit_days = wt_ledger_get_overdue_limit (load->ledger);
  load->warn_days = wt_ledger_get_overdue_warn (load->ledger);
  load->overdue = wt_ledger_overdue (load->ledger, load->limit_days, load->warn_days, now, error);
  if (load->overdue == NULL)
    return NULL;
  load->storage = wt_ledger_storage_now (load->ledger, now, error);
  if (load->storage == NULL)
    return NULL;
  load->items = overdue_items_new (load->overdue, site != NULL ? &site->split : NULL,
                                   &load->n_overdue, &load->n_due_soon);
  return GINT_TO_POINTER (TRUE);
}

static GtkWidget *
facility_row_new (const WtFacilityTotal *t)
{
  g_autofree char *tonnes = wt_format_tonnes (t->grams);
  g_autofree char *weight = g_strdup_printf (_("%s t"), tonnes);
  g_autoptr(GString) subtitle = g_string_new (NULL);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (weight);
  const char *name = t->facility != NULL && t->facility[0] != '\0' ? t->facility : _("Labelled, not stored yet");

  g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "%u container", "%u containers", t->containers),
                          t->containers);
  g_string_append (subtitle, " · ");
  g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "the oldest %u day old", "the oldest %u days old",
                                                 t->oldest_days), t->oldest_days);

  if (t->facility != NULL && t->facility[0] != '\0' && t->grams >= WT_STORAGE_POINT_WARN_G)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      gboolean over = t->grams > WT_STORAGE_POINT_LIMIT_G;

      gtk_widget_add_css_class (icon, over ? "error" : "warning");
      gtk_widget_add_css_class (label, over ? "error" : "warning");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      g_string_append (subtitle, "\n");
      g_string_append (subtitle, over
                       ? _("Over the 3 t a storage point (贮存点) may hold. Ship some containers or move them to a storage warehouse.")
                       : _("Near the 3 t a storage point (贮存点) may hold. Plan a shipment."));
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_widget_add_css_class (label, "title-4");
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static void
set_loading (WtOverdueView *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_counts (WtOverdueView *self,
            guint          overdue,
            guint          due_soon)
{
  if (self->n_overdue != overdue)
    {
      self->n_overdue = overdue;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OVERDUE]);
    }
  if (self->n_due_soon != due_soon)
    {
      self->n_due_soon = due_soon;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DUE_SOON]);
    }
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtOverdueView *self = WT_OVERDUE_VIEW (object);
  Load *load = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  g_autofree char *limits = NULL;
  g_autofree char *count = NULL;
  const char *headers[] = {
    _("Status"), _("Code"), _("Waste"), _("Facility"), _("Produced"), _("Age (days)"), NULL,
  };
  guint overdue = 0, due_soon = 0;
  GtkWidget *child;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_loading (self, FALSE);
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  limits = g_strdup_printf (_("Waste may be stored for %u days from the day it was produced. Containers are listed from %u days before that limit."),
                            load->limit_days, load->warn_days);
  gtk_label_set_text (self->limits_label, limits);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->storage_list))) != NULL)
    gtk_list_box_remove (self->storage_list, child);
  for (guint i = 0; i < load->storage->len; i++)
    gtk_list_box_append (self->storage_list, facility_row_new (g_ptr_array_index (load->storage, i)));
  if (load->storage->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Nothing is in storage now."));
      gtk_list_box_append (self->storage_list, row);
    }

  overdue = load->n_overdue;
  due_soon = load->n_due_soon;
  wt_table_view_set (self->column_view, headers, load->items);

  if (overdue > 0)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u container overdue, %u due soon",
                                          "%u containers overdue, %u due soon", overdue), overdue, due_soon);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u container due soon", "%u containers due soon",
                                          due_soon), due_soon);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->stack, load->overdue->len > 0 ? "list" : "empty");

  set_counts (self, overdue, due_soon);
  set_loading (self, FALSE);
}

void
wt_overdue_view_reload (WtOverdueView *self)
{
  Load *load;

  g_return_if_fail (WT_IS_OVERDUE_VIEW (self));

  if (self->ledger == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  set_loading (self, TRUE);
  load = g_new0 (Load, 1);
  load->ledger = g_object_ref (self->ledger);
  wt_worker_run_async (self, load_thread, load, load_free, NULL, self->cancellable, loaded_cb, NULL);
}

static void
activate_cb (WtOverdueView *self,
             guint          position)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (self->column_view));
  g_autoptr(GObject) item = g_list_model_get_item (model, position);
  const char *code = wt_table_view_row_key (item);

  if (code != NULL)
    g_signal_emit (self, signals[SHOW_CONTAINER], 0, code);
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  wt_overdue_view_reload (WT_OVERDUE_VIEW (widget));
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
wt_overdue_view_dispose (GObject *object)
{
  WtOverdueView *self = WT_OVERDUE_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_OVERDUE_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_overdue_view_parent_class)->dispose (object);
}

static void
wt_overdue_view_finalize (GObject *object)
{
  WtOverdueView *self = WT_OVERDUE_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wt_overdue_view_parent_class)->finalize (object);
}

static void
wt_overdue_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WtOverdueView *self = WT_OVERDUE_VIEW (object);

  switch (prop_id)
    {
    case PROP_N_OVERDUE:
      g_value_set_uint (value, self->n_overdue);
      break;
    case PROP_N_DUE_SOON:
      g_value_set_uint (value, self->n_due_soon);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_overdue_view_class_init (WtOverdueViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_overdue_view_dispose;
  object_class->finalize = wt_overdue_view_finalize;
  object_class->get_property = wt_overdue_view_get_property;

  properties[PROP_N_OVERDUE] =
    g_param_spec_uint ("n-overdue", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_DUE_SOON] =
    g_param_spec_uint ("n-due-soon", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[SHOW_CONTAINER] =
    g_signal_new ("show-container", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-overdue-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, limits_label);
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, storage_list);
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, stack);
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtOverdueView, column_view);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);

  gtk_widget_class_install_action (widget_class, "overdue.reload", NULL, reload_action);
}

static void
wt_overdue_view_init (WtOverdueView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

void
wt_overdue_view_set_ledger (WtOverdueView *self,
                            WtLedger      *ledger)
{
  g_return_if_fail (WT_IS_OVERDUE_VIEW (self));

  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->ledger, ledger);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  set_counts (self, 0, 0);
  if (ledger != NULL)
    wt_overdue_view_reload (self);
}

guint
wt_overdue_view_get_n_overdue (WtOverdueView *self)
{
  g_return_val_if_fail (WT_IS_OVERDUE_VIEW (self), 0);

  return self->n_overdue;
}

guint
wt_overdue_view_get_n_due_soon (WtOverdueView *self)
{
  g_return_val_if_fail (WT_IS_OVERDUE_VIEW (self), 0);

  return self->n_due_soon;
}
