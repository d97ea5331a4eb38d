/* wt-ledger-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four sub-views under one switcher: In storage (this file: a lazily loaded
 * GtkColumnView of every container with search and filters, and what each
 * facility holds now), Records, Reports and Overdue (their own widgets). A
 * row, or an overdue container, opens the container's page in the leaflet.
 * Every ledger call runs on a worker thread.
 */
#define G_LOG_DOMAIN "wt-ledger-view"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "wt-container-item.h"
#include "wt-container-model.h"
#include "wt-container-page.h"
#include "wt-anomalies-view.h"
#include "wt-ledger-view.h"
#include "wt-overdue-view.h"
#include "wt-records-view.h"
#include "wt-report-view.h"
#include "wt-report.h"
#include "wt-worker.h"

/* Typing pauses this long before the list is filtered again. */
#define FILTER_DELAY_MS 250

struct _WtLedgerView
{
  GtkWidget          parent_instance;

  /* Template Widgets */
  AdwLeaflet        *leaflet;
  GtkWidget         *main_box;
  AdwViewStack      *sub_stack;
  GtkSearchEntry    *search_entry;
  GtkToggleButton   *filters_button;
  GtkEntry          *waste_entry;
  GtkDropDown       *state_dropdown;
  GtkDropDown       *facility_dropdown;
  GtkEntry          *from_entry;
  GtkEntry          *to_entry;
  GtkEntry          *manifest_entry;
  GtkLabel          *count_label;
  GtkLabel          *storage_label;
  GtkStack          *list_stack;
  AdwStatusPage     *error_page;
  GtkColumnView     *column_view;
  GtkColumnViewColumn *code_column;
  GtkColumnViewColumn *waste_column;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *weight_column;
  GtkColumnViewColumn *state_column;
  GtkColumnViewColumn *labelled_column;
  WtRecordsView     *records_view;
  WtReportView      *report_view;
  WtOverdueView     *overdue_view;
  AdwViewStackPage  *overdue_page;
  WtAnomaliesView   *anomalies_view;
  AdwStatusPage     *empty_page;
  GtkWidget         *print_labels_button;
  AdwViewStackPage  *anomalies_page;
  WtContainerPage   *container_page;

  /* Owned References */
  WtLedger          *ledger;
  WtContainerModel  *model;
  GtkStringList     *facilities;   /* "Any facility", then the names */
  GCancellable      *cancellable;
  GCancellable      *storage_cancellable;

  guint              filter_source;
  gboolean           filtering;    /* a search or filter is set */
  gboolean           updating_facilities;
  gboolean           verifying;
  gboolean           bench_startup;
  gboolean           side_loads_due;  /* totals and overdue wait for the list's first page */
};

G_DEFINE_FINAL_TYPE (WtLedgerView, wt_ledger_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_OVERDUE,
  PROP_N_DUE_SOON,
  PROP_N_ANOMALIES,
  N_PROPS
};

enum {
  ADD_TOAST,
  VERIFIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Takes ownership of @toast. */
static void
add_toast (WtLedgerView *self,
           AdwToast     *toast)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
}

/* ---- The list's cells ----------------------------------------------------------- */

/* Signal factories rather than GtkBuilderListItemFactory: a reload replaces
 * every visible row, and parsing a template per cell stalls the main loop. */
static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  const char *style = g_object_get_data (G_OBJECT (factory), "wt-style");
  int chars = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "wt-chars"));
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_top (label, 8);
  gtk_widget_set_margin_bottom (label, 8);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (chars > 0)
    gtk_label_set_width_chars (GTK_LABEL (label), chars);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  const char *property = g_object_get_data (G_OBJECT (factory), "wt-property");
  GObject *item = gtk_list_item_get_item (list_item);
  g_autofree char *text = NULL;

  if (item != NULL)
    g_object_get (item, property, &text, NULL);
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)), text != NULL ? text : "");
}

static void
set_cell_factory (GtkColumnViewColumn *column,
                  const char          *property,
                  const char          *style,
                  int                  chars)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_object_set_data (G_OBJECT (factory), "wt-property", (gpointer) property);
  g_object_set_data (G_OBJECT (factory), "wt-style", (gpointer) style);
  g_object_set_data (G_OBJECT (factory), "wt-chars", GINT_TO_POINTER (chars));
  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), NULL);
  gtk_column_view_column_set_factory (column, factory);
}

/* ---- The list's state --------------------------------------------------------- */

static void
update_list_state (WtLedgerView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const GError *error = wt_container_model_get_error (self->model);
  g_autofree char *count = NULL;

  if (self->ledger == NULL)
    return;

  if (error != NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->list_stack, "error");
      gtk_label_set_text (self->count_label, "");
      return;
    }

  /* A reload empties the list for a moment: keep the old rows' page up
   * rather than flash a spinner. */
  if (wt_container_model_get_loading (self->model) && n == 0)
    {
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->list_stack), "list") != 0)
        gtk_stack_set_visible_child_name (self->list_stack, "loading");
      return;
    }

  if (n == 0)
    gtk_stack_set_visible_child_name (self->list_stack, self->filtering ? "no-match" : "empty");
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");

  if (self->filtering)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u container matches", "%'u containers match", n), n);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u container", "%'u containers", n), n);
  gtk_label_set_text (self->count_label, count);
}

/* ---- Start-up time, for bench/ledger -------------------------------------------- */

static void
bench_after_paint_cb (GdkFrameClock *clock,
                      WtLedgerView  *self)
{
  g_printerr ("wastetag-bench: ledger-interactive %" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_signal_handlers_disconnect_by_func (clock, bench_after_paint_cb, self);
}

static gboolean
bench_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  WtLedgerView *self = WT_LEDGER_VIEW (user_data);

  if (!gtk_widget_get_mapped (GTK_WIDGET (self->column_view)))
    return G_SOURCE_CONTINUE;

  /* This frame lays out and paints the first page: report when it is done. */
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (bench_after_paint_cb), self, 0);
  return G_SOURCE_REMOVE;
}

static void
bench_startup_check (WtLedgerView *self)
{
  if (!self->bench_startup || wt_container_model_get_loading (self->model) ||
      g_list_model_get_n_items (G_LIST_MODEL (self->model)) == 0)
    return;

  self->bench_startup = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-view", "s", "ledger");
  gtk_widget_add_tick_callback (GTK_WIDGET (self), bench_tick_cb, self, NULL);
}

static void reload_storage (WtLedgerView *self);

static void
model_changed_cb (WtLedgerView *self)
{
  update_list_state (self);
  bench_startup_check (self);

  /* The ledger serialises its calls: the first rows come before the
   * storage totals and the overdue list, which take longer to compute. */
  if (self->side_loads_due && !wt_container_model_get_loading (self->model))
    {
      self->side_loads_due = FALSE;
      reload_storage (self);
      wt_overdue_view_set_ledger (self->overdue_view, self->ledger);
    }
}

/* ---- Filters ------------------------------------------------------------------ */

static char *
entry_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

/* An empty date is no filter; a date that does not parse is marked and
 * ignored rather than matching nothing. */
static char *
date_filter (GtkEntry *entry)
{
  g_autofree char *text = entry_text (GTK_EDITABLE (entry));
  int y, m, d;
  gboolean ok;

  if (text[0] == '\0')
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      return NULL;
    }

  ok = strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
       g_date_valid_dmy (d, m, y);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  return ok ? g_steal_pointer (&text) : NULL;
}

static void
apply_filter (WtLedgerView *self)
{
  g_autofree char *text = entry_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *waste = entry_text (GTK_EDITABLE (self->waste_entry));
  g_autofree char *manifest = entry_text (GTK_EDITABLE (self->manifest_entry));
  g_autofree char *from = date_filter (self->from_entry);
  g_autofree char *to = date_filter (self->to_entry);
  guint state = gtk_drop_down_get_selected (self->state_dropdown);
  guint facility = gtk_drop_down_get_selected (self->facility_dropdown);
  WtContainerFilter filter;

  g_clear_handle_id (&self->filter_source, g_source_remove);

  wt_container_filter_init (&filter);
  filter.text = text[0] != '\0' ? text : NULL;
  filter.waste_code = waste[0] != '\0' ? waste : NULL;
  filter.manifest = manifest[0] != '\0' ? manifest : NULL;
  filter.from_date = from;
  filter.to_date = to;
  filter.state = state != GTK_INVALID_LIST_POSITION && state > 0 ? (int) state - 1 : -1;
  if (facility != GTK_INVALID_LIST_POSITION && facility > 0)
    filter.facility = gtk_string_list_get_string (self->facilities, facility);

  self->filtering = filter.text != NULL || filter.waste_code != NULL || filter.manifest != NULL ||
                    filter.from_date != NULL || filter.to_date != NULL || filter.state >= 0 ||
                    filter.facility != NULL;
  wt_container_model_set_filter (self->model, &filter);
  update_list_state (self);
}

static gboolean
filter_timeout_cb (gpointer data)
{
  WtLedgerView *self = data;

  self->filter_source = 0;
  apply_filter (self);
  return G_SOURCE_REMOVE;
}

static void
filter_changed_cb (WtLedgerView *self)
{
  if (self->updating_facilities || self->ledger == NULL)
    return;

  g_clear_handle_id (&self->filter_source, g_source_remove);
  self->filter_source = g_timeout_add (FILTER_DELAY_MS, filter_timeout_cb, self);
}

static void
clear_filters_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);

  self->updating_facilities = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->waste_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->manifest_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), "");
  gtk_drop_down_set_selected (self->state_dropdown, 0);
  gtk_drop_down_set_selected (self->facility_dropdown, 0);
  self->updating_facilities = FALSE;
  apply_filter (self);
}

/* ---- Storage now ----------------------------------------------------------------- */

static gpointer
storage_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  return wt_ledger_storage_now (WT_LEDGER (data), g_get_real_time () / 1000, error);
}

static void
storage_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *selected = NULL;
  guint selected_index = 0;
  guint facility;
  guint n_containers = 0;
  gint64 grams = 0;

  totals = wt_worker_run_finish (result, &error);
  if (totals == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->storage_label, error->message);
      return;
    }

  facility = gtk_drop_down_get_selected (self->facility_dropdown);
  if (facility != GTK_INVALID_LIST_POSITION && facility > 0)
    selected = g_strdup (gtk_string_list_get_string (self->facilities, facility));

  /* Keep the person's choice while the names are replaced. */
  self->updating_facilities = TRUE;
  gtk_string_list_splice (self->facilities, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->facilities)) - 1, NULL);
  for (guint i = 0; i < totals->len; i++)
    {
      WtFacilityTotal *t = g_ptr_array_index (totals, i);
      g_autofree char *tonnes = wt_format_tonnes (t->grams);

      n_containers += t->containers;
      grams += t->grams;
      if (t->facility != NULL && t->facility[0] != '\0')
        {
          gtk_string_list_append (self->facilities, t->facility);
          if (g_strcmp0 (t->facility, selected) == 0)
            selected_index = g_list_model_get_n_items (G_LIST_MODEL (self->facilities)) - 1;
        }

      if (text->len > 0)
        g_string_append (text, "  ·  ");
      /* Translators: one storage facility's holdings, e.g. "FZ-01: 12 containers, 0.95 t". */
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%s: %u container, %s t", "%s: %u containers, %s t",
                                                 t->containers),
                              t->facility != NULL && t->facility[0] != '\0' ? t->facility : _("Not stored yet"),
                              t->containers, tonnes);
    }
  if (selected != NULL && selected_index == 0)
    {
      /* The facility chosen holds nothing now; keep filtering by it. */
      gtk_string_list_append (self->facilities, selected);
      selected_index = g_list_model_get_n_items (G_LIST_MODEL (self->facilities)) - 1;
    }
  gtk_drop_down_set_selected (self->facility_dropdown, selected_index);
  self->updating_facilities = FALSE;

  if (text->len > 0)
    {
      g_autofree char *tonnes = wt_format_tonnes (grams);
      g_autofree char *summary = g_strdup_printf (_("Here now: %s"), text->str);

      gtk_label_set_text (self->storage_label, summary);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->storage_label), tonnes);
    }
  else
    gtk_label_set_text (self->storage_label, _("Nothing is in storage now."));
}

static void
reload_storage (WtLedgerView *self)
{
  if (self->storage_cancellable != NULL)
    g_cancellable_cancel (self->storage_cancellable);
  g_clear_object (&self->storage_cancellable);
  self->storage_cancellable = g_cancellable_new ();

  wt_worker_run_async (self, storage_thread, g_object_ref (self->ledger), g_object_unref,
                       (GDestroyNotify) g_ptr_array_unref, self->storage_cancellable,
                       storage_loaded_cb, NULL);
}

/* ---- Reloading --------------------------------------------------------------------- */

void
wt_ledger_view_reload (WtLedgerView *self)
{
  g_return_if_fail (WT_IS_LEDGER_VIEW (self));

  if (self->ledger == NULL)
    return;

  wt_container_model_reload (self->model);
  update_list_state (self);
  reload_storage (self);
  wt_overdue_view_reload (self->overdue_view);
  wt_records_view_reload (self->records_view);
  wt_report_view_reload (self->report_view);
  wt_anomalies_view_reload (self->anomalies_view);
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
  g_autoptr(WtContainerItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);

  /* A row whose page has not arrived yet has nothing to open. */
  if (item != NULL && !wt_container_model_is_placeholder (self->model, item))
    wt_ledger_view_show_container (self, wt_container_item_get_code (item));
}

static void
show_container_cb (WtLedgerView *self,
                   const char   *code)
{
  wt_ledger_view_show_container (self, code);
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
anomaly_count_cb (WtLedgerView *self)
{
  guint n = wt_anomalies_view_get_n_open (self->anomalies_view);

  adw_view_stack_page_set_badge_number (self->anomalies_page, n);
  adw_view_stack_page_set_needs_attention (self->anomalies_page, n > 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ANOMALIES]);
}

static void
overdue_counts_cb (WtLedgerView *self)
{
  guint overdue = wt_overdue_view_get_n_overdue (self->overdue_view);
  guint soon = wt_overdue_view_get_n_due_soon (self->overdue_view);

  adw_view_stack_page_set_badge_number (self->overdue_page, overdue + soon);
  adw_view_stack_page_set_needs_attention (self->overdue_page, overdue > 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OVERDUE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DUE_SOON]);
}

/* ---- Verify ------------------------------------------------------------------------ */

typedef struct
{
  gboolean  intact;
  char     *heading;
  char     *body;
} Verdict;

static void
verdict_free (gpointer pointer)
{
  Verdict *verdict = pointer;

  g_free (verdict->heading);
  g_free (verdict->body);
  g_free (verdict);
}

/* Verifies the chains first: a projection is only rebuilt from events that
 * are known to be intact. */
static gpointer
verify_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  WtLedger *ledger = data;
  g_autoptr(GError) tampered = NULL;
  g_auto(GStrv) codes = NULL;
  Verdict *verdict;
  gint64 n_events = 0;
  gint64 differing;

  verdict = g_new0 (Verdict, 1);
  if (!wt_ledger_verify (ledger, &n_events, &tampered))
    {
      verdict->heading = g_strdup (_("The Ledger Was Altered"));
      verdict->body = g_strdup_printf (_("%s\n\nNothing was repaired. Keep this file as it is and compare it with a backup or with the other devices."),
                                       tampered->message);
      return verdict;
    }

  differing = wt_ledger_check_projections (ledger, TRUE, &codes, error);
  if (differing < 0)
    {
      verdict_free (verdict);
      return NULL;
    }

  verdict->intact = TRUE;
  if (differing == 0)
    {
      verdict->heading = g_strdup (_("The Ledger Is Intact"));
      verdict->body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                    "%'lld event intact: every hash, link and signature checks out, and the container list agrees with the events.",
                                                    "%'lld events intact: every hash, link and signature checks out, and the container list agrees with the events.",
                                                    (gulong) MIN (n_events, G_MAXLONG)),
                                       (long long) n_events);
    }
  else
    {
      g_autoptr(GString) list = g_string_new (NULL);
      guint i;

      for (i = 0; codes != NULL && codes[i] != NULL && i < 10; i++)
        g_string_append_printf (list, "\n%s", codes[i]);
      if (codes != NULL && codes[i] != NULL)
        g_string_append (list, "\n…");

      verdict->heading = g_strdup (_("The Container List Was Repaired"));
      verdict->body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                    "%'lld events intact. The stored state of %'lld container disagreed with its events and was rebuilt from them:%s",
                                                    "%'lld events intact. The stored state of %'lld containers disagreed with their events and was rebuilt from them:%s",
                                                    (gulong) MIN (differing, G_MAXLONG)),
                                       (long long) n_events, (long long) differing, list->str);
    }
  return verdict;
}

static void
verified_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  Verdict *verdict;
  GtkWidget *dialog;

  self->verifying = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ledger.verify", TRUE);

  verdict = wt_worker_run_finish (result, &error);
  if (verdict == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      verdict = g_new0 (Verdict, 1);
      verdict->heading = g_strdup (_("The Ledger Could Not Be Verified"));
      verdict->body = g_strdup (error->message);
    }

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   verdict->heading, verdict->body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));

  g_signal_emit (self, signals[VERIFIED], 0, verdict->intact, verdict->body);
  if (verdict->intact)
    wt_ledger_view_reload (self);
  verdict_free (verdict);
}

static void
verify_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);

  if (self->ledger == NULL || self->verifying)
    return;

  self->verifying = TRUE;
  gtk_widget_action_set_enabled (widget, "ledger.verify", FALSE);
  add_toast (self, adw_toast_new (_("Verifying the ledger…")));
  wt_worker_run_async (self, verify_thread, g_object_ref (self->ledger), g_object_unref, verdict_free,
                       self->cancellable, verified_cb, NULL);
}

/* ---- Navigation ------------------------------------------------------------------- */

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->main_box);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->sub_stack, name) == NULL)
    return;
  adw_leaflet_set_visible_child (self->leaflet, self->main_box);
  adw_view_stack_set_visible_child_name (self->sub_stack, name);
}

static void
show_overdue_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  gtk_widget_activate_action (widget, "ledger.show-page", "s", "overdue");
}

static void
focus_search_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);

  gtk_widget_activate_action (widget, "ledger.show-page", "s", "storage");
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
toggle_filters_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  WtLedgerView *self = WT_LEDGER_VIEW (widget);
  gboolean active = !gtk_toggle_button_get_active (self->filters_button);

  gtk_widget_activate_action (widget, "ledger.show-page", "s", "storage");
  gtk_toggle_button_set_active (self->filters_button, active);
  if (active)
    gtk_widget_grab_focus (GTK_WIDGET (self->waste_entry));
}

/* ---- GObject ------------------------------------------------------------------------ */

static void
wt_ledger_view_dispose (GObject *object)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->storage_cancellable != NULL)
    g_cancellable_cancel (self->storage_cancellable);
  g_clear_handle_id (&self->filter_source, g_source_remove);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_LEDGER_VIEW);
  /* dispose_template() only unparents bound children; the root is not. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_ledger_view_parent_class)->dispose (object);
}

static void
wt_ledger_view_finalize (GObject *object)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->model);
  g_clear_object (&self->facilities);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->storage_cancellable);

  G_OBJECT_CLASS (wt_ledger_view_parent_class)->finalize (object);
}

static void
wt_ledger_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  WtLedgerView *self = WT_LEDGER_VIEW (object);

  switch (prop_id)
    {
    case PROP_N_ANOMALIES:
      g_value_set_uint (value, wt_anomalies_view_get_n_open (self->anomalies_view));
      break;
    case PROP_N_OVERDUE:
      g_value_set_uint (value, wt_ledger_view_get_n_overdue (self));
      break;
    case PROP_N_DUE_SOON:
      g_value_set_uint (value, wt_ledger_view_get_n_due_soon (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_ledger_view_class_init (WtLedgerViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_ledger_view_dispose;
  object_class->finalize = wt_ledger_view_finalize;
  object_class->get_property = wt_ledger_view_get_property;

  properties[PROP_N_OVERDUE] =
    g_param_spec_uint ("n-overdue", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_DUE_SOON] =
    g_param_spec_uint ("n-due-soon", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ANOMALIES] =
    g_param_spec_uint ("n-anomalies", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[VERIFIED] =
    g_signal_new ("verified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);

  g_type_ensure (WT_TYPE_CONTAINER_ITEM);
  g_type_ensure (WT_TYPE_CONTAINER_PAGE);
  g_type_ensure (WT_TYPE_RECORDS_VIEW);
  g_type_ensure (WT_TYPE_REPORT_VIEW);
  g_type_ensure (WT_TYPE_OVERDUE_VIEW);
  g_type_ensure (WT_TYPE_ANOMALIES_VIEW);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-ledger-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, main_box);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, sub_stack);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, filters_button);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, waste_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, facility_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, from_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, to_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, manifest_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, storage_label);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, column_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, code_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, waste_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, name_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, weight_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, state_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, labelled_column);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, records_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, report_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, overdue_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, overdue_page);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, container_page);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, anomalies_view);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, print_labels_button);
  gtk_widget_class_bind_template_child (widget_class, WtLedgerView, anomalies_page);
  gtk_widget_class_bind_template_callback (widget_class, anomaly_count_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, show_container_cb);
  gtk_widget_class_bind_template_callback (widget_class, forward_toast_cb);
  gtk_widget_class_bind_template_callback (widget_class, container_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, overdue_counts_cb);

  gtk_widget_class_install_action (widget_class, "ledger.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "ledger.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "ledger.show-overdue", NULL, show_overdue_action);
  gtk_widget_class_install_action (widget_class, "ledger.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "ledger.clear-filters", NULL, clear_filters_action);
  gtk_widget_class_install_action (widget_class, "ledger.focus-search", NULL, focus_search_action);
  gtk_widget_class_install_action (widget_class, "ledger.toggle-filters", NULL, toggle_filters_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "ledger.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "ledger.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "ledger.toggle-filters", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_V, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "ledger.verify", NULL);
}

static void
wt_ledger_view_init (WtLedgerView *self)
{
  g_autoptr(GtkStringList) states = NULL;
  g_autoptr(GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->bench_startup = g_getenv ("WASTETAG_BENCH_STARTUP") != NULL;

  states = gtk_string_list_new ((const char * const[]) { _("Any state"), NULL });
  for (int s = WT_CONTAINER_LABELLED; s <= WT_CONTAINER_TREATED; s++)
    gtk_string_list_append (states, wt_container_state_to_string (s));
  gtk_drop_down_set_model (self->state_dropdown, G_LIST_MODEL (states));

  self->facilities = gtk_string_list_new ((const char * const[]) { _("Any facility"), NULL });
  gtk_drop_down_set_model (self->facility_dropdown, G_LIST_MODEL (self->facilities));

  set_cell_factory (self->code_column, "display", "monospace", 42);
  set_cell_factory (self->waste_column, "waste-code", "monospace", 10);
  set_cell_factory (self->name_column, "waste-name", NULL, 0);
  set_cell_factory (self->weight_column, "weight", "numeric", 8);
  set_cell_factory (self->state_column, "state", NULL, 0);
  set_cell_factory (self->labelled_column, "labelled", "numeric", 16);

  self->model = wt_container_model_new ();
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (model_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (model_changed_cb), self, G_CONNECT_SWAPPED);

  /* No selection model: rows are opened, not selected, and a GTK 4.8
   * GtkSingleSelection makes every reload of the rows dearer. */
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
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
  adw_leaflet_set_visible_child (self->leaflet, self->main_box);
  gtk_stack_set_visible_child_name (self->list_stack, "loading");
  wt_records_view_set_ledger (self->records_view, ledger);
  wt_report_view_set_ledger (self->report_view, ledger);
  wt_overdue_view_set_ledger (self->overdue_view, NULL);
  wt_anomalies_view_set_ledger (self->anomalies_view, ledger);
  self->side_loads_due = ledger != NULL;
  wt_container_model_set_ledger (self->model, ledger);
}

GListModel *
wt_ledger_view_get_model (WtLedgerView *self)
{
  g_return_val_if_fail (WT_IS_LEDGER_VIEW (self), NULL);

  return G_LIST_MODEL (self->model);
}

void
wt_ledger_view_set_read_only (WtLedgerView *self,
                              gboolean      read_only)
{
  g_return_if_fail (WT_IS_LEDGER_VIEW (self));

  wt_anomalies_view_set_read_only (self->anomalies_view, read_only);
  wt_container_page_set_read_only (self->container_page, read_only);
  /* The central office prints nothing: no way to the Label view. */
  gtk_widget_set_visible (self->print_labels_button, !read_only);
  adw_status_page_set_description (self->empty_page,
                                   read_only ? _("No site has sent containers to the central store yet.")
                                             : _("Print the first labels: every container labelled shows up here."));
}

guint
wt_ledger_view_get_n_overdue (WtLedgerView *self)
{
  g_return_val_if_fail (WT_IS_LEDGER_VIEW (self), 0);

  return wt_overdue_view_get_n_overdue (self->overdue_view);
}

guint
wt_ledger_view_get_n_due_soon (WtLedgerView *self)
{
  g_return_val_if_fail (WT_IS_LEDGER_VIEW (self), 0);

  return wt_overdue_view_get_n_due_soon (self->overdue_view);
}
