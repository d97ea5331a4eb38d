/* wt-ledger-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Basic for now: the newest containers in a GtkColumnView, loaded on a worker
 * thread; a row opens the container's page. Filters and the record tables
 * come with a later issue.
 */
#define G_LOG_DOMAIN "wt-ledger-view"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-container-item.h"
#include "wt-container-page.h"
#include "wt-ledger-view.h"
#include "wt-worker.h"

/* Until the lazy model of the ledger issue, the view holds this many. */
#define MAX_LISTED 5000

struct _WtLedgerView
{
  GtkWidget         parent_instance;

  /* Template Widgets */
  AdwLeaflet       *leaflet;
  GtkStack         *list_stack;
  AdwStatusPage    *error_page;
  GtkLabel         *count_label;
  GtkColumnView    *column_view;
  WtContainerPage  *container_page;

  /* Owned References */
  WtLedger         *ledger;
  GListStore       *store;
  GCancellable     *cancellable;
  GCancellable     *load_cancellable;
};

G_DEFINE_FINAL_TYPE (WtLedgerView, wt_ledger_view, GTK_TYPE_WIDGET)

enum {
  ADD_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  GPtrArray *items;
  gint64     total;
} Loaded;

static void
loaded_free (gpointer pointer)
{
  Loaded *loaded = pointer;

  g_clear_pointer (&loaded->items, g_ptr_array_unref);
  g_free (loaded);
}

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  WtLedger *ledger = data;
  g_autoptr(WtSite) site = NULL;
  g_autoptr(GPtrArray) containers = NULL;
  Loaded *loaded;
  guint i;

  site = wt_ledger_dup_site (ledger, NULL);
  containers = wt_ledger_list_containers (ledger, 0, MAX_LISTED, error);
  if (containers == NULL)
    return NULL;

  loaded = g_new0 (Loaded, 1);
  loaded->items = g_ptr_array_new_with_free_func (g_object_unref);
  for (i = 0; i < containers->len; i++)
    g_ptr_array_add (loaded->items,
                     wt_container_item_new (g_ptr_array_index (containers, i),
                                            site != NULL ? &site->split : NULL));
  loaded->total = wt_ledger_count_containers (ledger);
  return loaded;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  Loaded *loaded;

  loaded = wt_worker_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (loaded == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->list_stack, "error");
      return;
    }

  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       loaded->items->pdata, loaded->items->len);

  if ((gint64) loaded->items->len < loaded->total)
    count = g_strdup_printf (_("The newest %u of %lld containers"),
                             loaded->items->len, (long long) loaded->total);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u container", "%u containers", loaded->items->len),
                             loaded->items->len);
  gtk_label_set_text (self->count_label, count);

  gtk_stack_set_visible_child_name (self->list_stack, loaded->items->len > 0 ? "list" : "empty");
  loaded_free (loaded);
}

void
wt_ledger_view_reload (WtLedgerView *self)
{
  g_return_if_fail (WT_IS_LEDGER_VIEW (self));

  if (self->ledger == NULL)
    return;

  /* A newer load wins over one still running. */
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    gtk_stack_set_visible_child_name (self->list_stack, "loading");

  wt_worker_run_async (self, load_thread, g_object_ref (self->ledger), g_object_unref, loaded_free,
                       self->load_cancellable, loaded_cb, NULL);
}

void
wt_ledger_view_show_container (WtLedgerView *self,
                               const char   *code)
{
  g_return_if_fail (WT_IS_LEDGER_VIEW (self));
  g_return_if_fail (code != NULL);

  if (self->ledger == NULL)
    return;

  wt_container_page_load (self->container_page, self->ledger, code);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->container_page));
}

static void
activate_cb (WtLedgerView *self,
             guint         position)
{
  g_autoptr(WtContainerItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), position);

  if (item != NULL)
    wt_ledger_view_show_container (self, wt_container_item_get_code (item));
}

static void
forward_toast_cb (WtLedgerView *self,
                  AdwToast     *toast)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
}

static void
container_changed_cb (WtLedgerView *self)
{
  wt_ledger_view_reload (self);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->list_stack));
}

static void
wt_ledger_view_dispose (GObject *object)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_LEDGER_VIEW);
  /* dispose_template() only unparents bound children; the root box is not. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_ledger_view_parent_class)->dispose (object);
}

static void
wt_ledger_view_finalize (GObject *object)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);

  G_OBJECT_CLASS (wt_ledger_view_parent_class)->finalize (object);
}

static void
wt_ledger_view_class_init (WtLedgerViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_ledger_view_dispose;
  object_class->finalize = wt_ledger_view_finalize;

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);

  g_type_ensure (WT_TYPE_CONTAINER_ITEM);
  g_type_ensure (WT_TYPE_CONTAINER_PAGE);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-ledger-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, column_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, container_page);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, forward_toast_cb);
  gtk_widget_class_bind_template_callback (widget_class, container_changed_cb);

  gtk_widget_class_install_action (widget_class, "ledger.back", NULL, back_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "ledger.back", NULL);
}

static void
wt_ledger_view_init (WtLedgerView *self)
{
  g_autoptr(GtkSingleSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->store = g_list_store_new (WT_TYPE_CONTAINER_ITEM);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  gtk_column_view_set_single_click_activate (self->column_view, FALSE);
  gtk_stack_set_visible_child_name (self->list_stack, "loading");
}

void
wt_ledger_view_set_ledger (WtLedgerView *self,
                           WtLedger     *ledger)
{
  g_return_if_fail (WT_IS_LEDGER_VIEW (self));
  g_return_if_fail (ledger == NULL || WT_IS_LEDGER (ledger));

  g_set_object (&self->ledger, ledger);
  g_list_store_remove_all (self->store);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->list_stack));
  wt_ledger_view_reload (self);
}

GListModel *
wt_ledger_view_get_model (WtLedgerView *self)
{
  g_return_val_if_fail (WT_IS_LEDGER_VIEW (self), NULL);

  return G_LIST_MODEL (self->store);
}
