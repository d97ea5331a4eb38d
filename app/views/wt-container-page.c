/* wt-container-page.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-container-page"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "wt-container-page.h"
#include "wt-hazard.h"
#include "wt-label-print.h"
#include "wt-worker.h"

struct _WtContainerPage
{
  GtkWidget      parent_instance;

  /* Template Widgets */
  GtkLabel      *title_label;
  GtkLabel      *problem_label;
  AdwActionRow  *waste_row;
  AdwActionRow  *common_name_row;
  AdwActionRow  *hazard_row;
  AdwActionRow  *weight_row;
  AdwActionRow  *state_row;
  AdwActionRow  *date_row;
  AdwActionRow  *label_row;
  AdwActionRow  *reprints_row;
  AdwActionRow  *void_row;
  GtkListBox    *events_list;

  /* Owned References */
  WtLedger      *ledger;
  char          *code;
  WtContainer   *container;
  GSettings     *settings;
  GCancellable  *cancellable;
  GCancellable  *load_cancellable;

  gboolean       working;
};

G_DEFINE_FINAL_TYPE (WtContainerPage, wt_container_page, GTK_TYPE_WIDGET)

enum {
  ADD_TOAST,
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Takes ownership of @toast. */
static void
add_toast (WtContainerPage *self,
           AdwToast        *toast)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
}

static void
update_actions (WtContainerPage *self)
{
  gboolean labelled = self->container != NULL && self->container->state == WT_CONTAINER_LABELLED;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "container.reprint", labelled && !self->working);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "container.void", labelled && !self->working);
}

static void
show_problem (WtContainerPage *self,
              const char      *message)
{
  gtk_label_set_text (self->problem_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), message != NULL);
}

/* ---- Loading ---------------------------------------------------------------- */

typedef struct
{
  WtLedger    *ledger;
  char        *code;
  WtContainer *container;
  GPtrArray   *events;
  char        *display;
} Load;

static void
load_free (gpointer pointer)
{
  Load *load = pointer;

  g_clear_object (&load->ledger);
  g_clear_pointer (&load->code, g_free);
  g_clear_pointer (&load->container, wt_container_free);
  g_clear_pointer (&load->events, g_ptr_array_unref);
  g_clear_pointer (&load->display, g_free);
  g_free (load);
}

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Load *load = data;
  g_autoptr(WtSite) site = NULL;

  load->container = wt_ledger_get_container (load->ledger, load->code, error);
  if (load->container == NULL)
    return NULL;
  load->events = wt_ledger_container_events (load->ledger, load->code, error);
  if (load->events == NULL)
    return NULL;
  site = wt_ledger_dup_site (load->ledger, NULL);
  if (site != NULL)
    load->display = wt_code_to_display (&site->split, load->code);
  return GINT_TO_POINTER (TRUE);
}

static const char *
event_title (const char *kind)
{
  if (g_strcmp0 (kind, "labelled") == 0)
    return _("Label printed");
  if (g_strcmp0 (kind, "relabelled") == 0)
    return _("Label reprinted");
  if (g_strcmp0 (kind, "voided") == 0)
    return _("Label voided");
  if (g_strcmp0 (kind, "stored") == 0)
    return _("Stored");
  if (g_strcmp0 (kind, "shipped") == 0)
    return _("Shipped");
  if (g_strcmp0 (kind, "received") == 0)
    return _("Received");
  if (g_strcmp0 (kind, "rejected") == 0)
    return _("Rejected at receipt");
  if (g_strcmp0 (kind, "treated") == 0)
    return _("Treated");
  if (g_strcmp0 (kind, "weighed") == 0)
    return _("Weighed");
  if (g_strcmp0 (kind, "inspected") == 0)
    return _("Inspected");
  if (g_strcmp0 (kind, "correction") == 0)
    return _("Correction");
  return kind;
}

static char *
payload_reason (const char *payload)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;

  if (payload == NULL || !json_parser_load_from_data (parser, payload, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  if (!json_object_has_member (object, "reason"))
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (object, "reason", ""));
}

static GtkWidget *
event_row_new (const WtEvent *event)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (event->wall_ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autofree char *when = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
  g_autofree char *reason = payload_reason (event->payload);
  g_autoptr(GString) subtitle = g_string_new (when);
  GtkWidget *row;

  if (event->actor != NULL && event->actor[0] != '\0')
    g_string_append_printf (subtitle, " · %s", event->actor);
  g_string_append_printf (subtitle, " · #%" G_GINT64_FORMAT, event->device_seq);
  if (reason != NULL && reason[0] != '\0')
    /* Translators: the reason a person gave for a reprint or a void. */
    g_string_append_printf (subtitle, "\n%s %s", _("Reason:"), reason);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), event_title (event->kind));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_widget_set_tooltip_text (row, event->event_id);
  return row;
}

static void
set_value (AdwActionRow *row,
           const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && value[0] != '\0' ? value : "—");
}

/* "T Toxic, I Ignitable": the letters with their names, in the user's
 * language. */
static char *
hazard_names (guint hazards)
{
  static const char *names[WT_N_HAZARDS] = {
    N_("T Toxic"), N_("C Corrosive"), N_("I Ignitable"), N_("R Reactive"), N_("In Infectious"),
  };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < WT_N_HAZARDS; i++)
    {
      if (!(hazards & wt_hazard_nth (i)))
        continue;
      if (s->len > 0)
        /* Translators: separates hazard names in a list, e.g. "T Toxic, I Ignitable". */
        g_string_append (s, _(", "));
      g_string_append (s, _(names[i]));
    }

  return g_string_free (s, FALSE);
}

static void
show_container (WtContainerPage   *self,
                const WtContainer *c,
                GPtrArray         *events,
                const char        *display)
{
  g_autofree char *waste = g_strdup_printf ("%s %s", c->waste_code, c->waste_name != NULL ? c->waste_name : "");
  g_autofree char *hazards = hazard_names (c->hazards);
  g_autofree char *weight = c->weight_kg >= 0 ? g_strdup_printf (_("%g kg"), c->weight_kg) : NULL;
  g_autofree char *label = g_strdup_printf (_("%u mm, error correction %s"), c->size_mm, wt_ecc_to_string (c->ecc));
  g_autofree char *reprints = g_strdup_printf ("%u", c->reprints);
  GtkWidget *child;
  guint i;

  gtk_label_set_text (self->title_label, display != NULL ? display : c->code);
  set_value (self->waste_row, waste);
  set_value (self->common_name_row, c->common_name);
  set_value (self->hazard_row, hazards);
  set_value (self->weight_row, weight);
  set_value (self->state_row, wt_container_state_to_string (c->state));
  set_value (self->date_row, c->date);
  set_value (self->label_row, label);
  set_value (self->reprints_row, reprints);
  set_value (self->void_row, c->void_reason);
  gtk_widget_set_visible (GTK_WIDGET (self->void_row), c->state == WT_CONTAINER_VOIDED);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->events_list))) != NULL)
    gtk_list_box_remove (self->events_list, child);
  for (i = 0; i < events->len; i++)
    gtk_list_box_append (self->events_list, event_row_new (g_ptr_array_index (events, i)));
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);
  Load *load = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_problem (self, error->message);
      return;
    }

  g_clear_pointer (&self->container, wt_container_free);
  self->container = g_steal_pointer (&load->container);
  show_container (self, self->container, load->events, load->display);
  show_problem (self, NULL);
  update_actions (self);
}

static void
reload (WtContainerPage *self)
{
  Load *load;

  if (self->ledger == NULL || self->code == NULL)
    return;

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  load = g_new0 (Load, 1);
  load->ledger = g_object_ref (self->ledger);
  load->code = g_strdup (self->code);
  wt_worker_run_async (self, load_thread, load, load_free, NULL, self->load_cancellable, loaded_cb, NULL);
}

void
wt_container_page_load (WtContainerPage *self,
                        WtLedger        *ledger,
                        const char      *code)
{
  g_return_if_fail (WT_IS_CONTAINER_PAGE (self));
  g_return_if_fail (WT_IS_LEDGER (ledger));
  g_return_if_fail (code != NULL);

  g_set_object (&self->ledger, ledger);
  g_free (self->code);
  self->code = g_strdup (code);
  g_clear_pointer (&self->container, wt_container_free);
  gtk_label_set_text (self->title_label, code);
  update_actions (self);
  reload (self);
}

/* ---- Asking for a reason ------------------------------------------------------ */

typedef void (*ReasonFunc) (WtContainerPage *self,
                            const char      *reason);

static void
reason_changed_cb (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  const char *response = g_object_get_data (G_OBJECT (dialog), "wt-response");

  adw_message_dialog_set_response_enabled (dialog, response, text[0] != '\0');
}

static void
reason_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    WtContainerPage  *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  ReasonFunc func = g_object_get_data (G_OBJECT (dialog), "wt-func");
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, g_object_get_data (G_OBJECT (dialog), "wt-response")) == 0 && reason[0] != '\0')
    func (self, reason);
}

/* A reason is required: the response stays disabled until one is typed. */
static void
ask_reason (WtContainerPage        *self,
            const char             *heading,
            const char             *body,
            const char             *response_label,
            AdwResponseAppearance   appearance,
            ReasonFunc              func)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;
  GtkWidget *entry;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "confirm", response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm", appearance);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "confirm", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (required)"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);

  g_object_set_data (G_OBJECT (dialog), "wt-response", (gpointer) "confirm");
  g_object_set_data (G_OBJECT (dialog), "wt-func", func);
  g_signal_connect (entry, "changed", G_CALLBACK (reason_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reason_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* ---- Reprint -------------------------------------------------------------------- */

typedef struct
{
  WtLedger *ledger;
  char     *code;
  char     *reason;
  char     *payload;
  guint     reprint;
} Relabel;

static void
relabel_free (gpointer pointer)
{
  Relabel *relabel = pointer;

  g_clear_object (&relabel->ledger);
  g_free (relabel->code);
  g_free (relabel->reason);
  g_free (relabel->payload);
  g_free (relabel);
}

static gpointer
relabel_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  Relabel *relabel = data;

  relabel->payload = wt_ledger_relabel (relabel->ledger, relabel->code, relabel->reason,
                                        &relabel->reprint, error);
  if (relabel->payload == NULL)
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
reprinted_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);
  g_autoptr(GError) error = NULL;

  self->working = FALSE;
  update_actions (self);

  if (wt_label_print_finish (result, &error))
    add_toast (self, adw_toast_new (_("Label reprinted")));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  else
    /* The relabelled event is already in the ledger; only the paper is missing. */
    add_toast (self, adw_toast_new (_("The reprint is recorded but was not printed. Reprint again when the printer is ready.")));
}

static void
relabelled_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);
  Relabel *relabel = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  const WtContainer *c = self->container;
  g_autoptr(WtLabelContent) content = NULL;
  WtLabelOptions options;
  WtLabelItem items[2];
  GtkRoot *root;
  guint copies, i;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->working = FALSE;
      update_actions (self);
      show_problem (self, error->message);
      return;
    }

  g_signal_emit (self, signals[CHANGED], 0);
  reload (self);

  if (c == NULL || g_strcmp0 (c->code, relabel->code) != 0)
    {
      self->working = FALSE;
      update_actions (self);
      return;
    }

  if (c->content != NULL)
    content = wt_label_content_copy (c->content);
  else
    {
      content = wt_label_content_new ();
      wt_label_content_set (content, &content->waste_code, c->waste_code);
      wt_label_content_set (content, &content->waste_name, c->waste_name);
      wt_label_content_set (content, &content->date, c->date);
      content->hazards = c->hazards;
    }

  wt_label_options_init (&options);
  if (wt_label_size_is_valid (c->size_mm))
    options.size_mm = c->size_mm;
  else
    options.size_mm = wt_label_size_for_volume (content->volume_l);
  options.ecc = c->ecc;
  options.dpi = g_settings_get_uint (self->settings, "printer-dpi");
  options.layout = WT_LABEL_LAYOUT_SINGLE;

  copies = MIN (wt_label_copies_for_volume (content->volume_l), G_N_ELEMENTS (items));
  for (i = 0; i < copies; i++)
    {
      items[i].container_code = c->code;
      items[i].payload = relabel->payload;
      items[i].copy = i + 1;
      items[i].n_copies = copies;
      items[i].reprint = relabel->reprint;
    }

  root = gtk_widget_get_root (GTK_WIDGET (self));
  wt_label_print_async (self, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                        content, &options, items, copies, NULL,
                        self->cancellable, reprinted_cb, NULL);
}

static void
reprint_with_reason (WtContainerPage *self,
                     const char      *reason)
{
  Relabel *relabel;

  if (self->container == NULL || self->working)
    return;

  self->working = TRUE;
  update_actions (self);

  relabel = g_new0 (Relabel, 1);
  relabel->ledger = g_object_ref (self->ledger);
  relabel->code = g_strdup (self->container->code);
  relabel->reason = g_strdup (reason);
  wt_worker_run_async (self, relabel_thread, relabel, relabel_free, NULL, self->cancellable, relabelled_cb, NULL);
}

static void
reprint_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ask_reason (WT_CONTAINER_PAGE (widget),
              _("Reprint This Label?"),
              _("The new label carries a reprint number, and the ledger records why it was printed."),
              _("_Reprint"),
              ADW_RESPONSE_SUGGESTED,
              reprint_with_reason);
}

/* ---- Void ------------------------------------------------------------------------ */

static gpointer
void_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Relabel *relabel = data;

  if (!wt_ledger_void (relabel->ledger, relabel->code, relabel->reason, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
voided_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);
  g_autoptr(GError) error = NULL;

  self->working = FALSE;
  update_actions (self);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_problem (self, error->message);
      return;
    }

  add_toast (self, adw_toast_new (_("Label voided")));
  g_signal_emit (self, signals[CHANGED], 0);
  reload (self);
}

static void
void_with_reason (WtContainerPage *self,
                  const char      *reason)
{
  Relabel *data;

  if (self->container == NULL || self->working)
    return;

  self->working = TRUE;
  update_actions (self);

  data = g_new0 (Relabel, 1);
  data->ledger = g_object_ref (self->ledger);
  data->code = g_strdup (self->container->code);
  data->reason = g_strdup (reason);
  wt_worker_run_async (self, void_thread, data, relabel_free, NULL, self->cancellable, voided_cb, NULL);
}

static void
void_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ask_reason (WT_CONTAINER_PAGE (widget),
              _("Void This Label?"),
              _("A voided label is refused wherever it is scanned. This cannot be undone."),
              _("_Void Label"),
              ADW_RESPONSE_DESTRUCTIVE,
              void_with_reason);
}

/* ---- GObject -------------------------------------------------------------------- */

static void
wt_container_page_dispose (GObject *object)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_CONTAINER_PAGE);
  /* dispose_template() only unparents bound children; the root box is not. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_container_page_parent_class)->dispose (object);
}

static void
wt_container_page_finalize (GObject *object)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (object);

  g_clear_object (&self->ledger);
  g_clear_pointer (&self->code, g_free);
  g_clear_pointer (&self->container, wt_container_free);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);

  G_OBJECT_CLASS (wt_container_page_parent_class)->finalize (object);
}

static void
wt_container_page_class_init (WtContainerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_container_page_dispose;
  object_class->finalize = wt_container_page_finalize;

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-container-page.ui");
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, problem_label);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, waste_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, common_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, hazard_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, weight_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, state_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, date_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, label_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, reprints_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, void_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, events_list);

  gtk_widget_class_install_action (widget_class, "container.reprint", NULL, reprint_action);
  gtk_widget_class_install_action (widget_class, "container.void", NULL, void_action);
}

static void
wt_container_page_init (WtContainerPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  update_actions (self);
}
