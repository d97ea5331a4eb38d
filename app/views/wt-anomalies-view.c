/* wt-anomalies-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Anomalies are few and each one matters, so they are rows in a boxed list
 * (not a lazy column view) with a sentence that says what happened. The
 * detail window shows the anomaly's JSON detail as two columns, one per
 * version, field by field, so a supervisor can see what each side recorded
 * before settling it.
 */
#define G_LOG_DOMAIN "wt-anomalies-view"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "wt-anomalies-view.h"
#include "wt-ledger-sync.h"
#include "wt-worker.h"

struct _WtAnomaliesView
{
  GtkWidget     parent_instance;

  /* Template widgets */
  GtkStack     *stack;
  GtkListBox   *list_box;
  GtkLabel     *count_label;

  /* Owned */
  WtLedger     *ledger;
  GPtrArray    *anomalies;   /* WtAnomaly, open ones, oldest first */
  GCancellable *cancellable;

  gboolean      loading;
  gboolean      read_only;
};

G_DEFINE_FINAL_TYPE (WtAnomaliesView, wt_anomalies_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_OPEN,
  PROP_LOADING,
  N_PROPS
};

enum {
  ADD_TOAST,
  LEDGER_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
toast (WtAnomaliesView *self,
       const char      *text)
{
  AdwToast *t = adw_toast_new (text);

  g_signal_emit (self, signals[ADD_TOAST], 0, t);
  g_object_unref (t);
}

/* ---- Words ------------------------------------------------------------------------ */

static const char *
kind_title (const char *kind)
{
  if (g_strcmp0 (kind, "device_fork") == 0)
    return _("A device's chain forked");
  if (g_strcmp0 (kind, "conflicting_duplicate") == 0)
    return _("One event, two contents");
  if (g_strcmp0 (kind, "double_custody") == 0)
    return _("Picked up twice");
  if (g_strcmp0 (kind, "pending_predecessor") == 0)
    return _("Received before its pickup arrived");
  if (g_strcmp0 (kind, "weight_mismatch") == 0)
    return _("Weights disagree");
  if (g_strcmp0 (kind, "clock_offset") == 0)
    return _("A device's clock is off");
  if (g_strcmp0 (kind, "bad_signature") == 0)
    return _("A signature does not match");
  return kind;
}

static const char *
kind_explanation (const char *kind)
{
  if (g_strcmp0 (kind, "device_fork") == 0)
    return _("The same device wrote two different events at one place in its chain, as when an old backup is restored. The device is blocked until this is settled.");
  if (g_strcmp0 (kind, "conflicting_duplicate") == 0)
    return _("Two copies of one event arrived with different contents. The one stored first is kept; both are shown here.");
  if (g_strcmp0 (kind, "double_custody") == 0)
    return _("The container was picked up a second time with no receipt between the two pickups.");
  if (g_strcmp0 (kind, "pending_predecessor") == 0)
    return _("A receipt arrived for a container whose pickup this ledger has not seen yet. It closes by itself when the pickup arrives.");
  if (g_strcmp0 (kind, "weight_mismatch") == 0)
    return _("The weight received differs from the weight shipped by more than 5 % (at least 1 kg).");
  return _("Sync found two records that do not agree. Nothing was merged.");
}

/* Names of the two versions in an anomaly's detail. */
static const char *
side_title (const char *name)
{
  static const struct { const char *key; const char *title; } sides[] = {
    { "stored", N_("Kept in this ledger") },
    { "received", N_("Arrived by sync") },
    { "first", N_("First pickup") },
    { "second", N_("Second pickup") },
    { "shipped", N_("Shipped") },
    { "receipt", N_("Receipt") },
    { "pickup", N_("Pickup") },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sides); i++)
    if (g_str_equal (name, sides[i].key))
      return _(sides[i].title);
  return name;
}

static const char *
field_title (const char *name)
{
  static const struct { const char *key; const char *title; } fields[] = {
    { "kind", N_("Event") },
    { "container_code", N_("Container code") },
    { "site_id", N_("Site") },
    { "device_id", N_("Device") },
    { "device_seq", N_("Sequence on the device") },
    { "actor", N_("Recorded by") },
    { "wall_ms", N_("Time") },
    { "payload", N_("Details") },
    { "hash", N_("Hash") },
    { "event_id", N_("Event ID") },
    { "hlc", N_("Clock") },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (name, fields[i].key))
      return _(fields[i].title);
  return name;
}

/* The same words as a container's timeline. */
static const char *
event_title (const char *kind)
{
  static const struct { const char *key; const char *title; } kinds[] = {
    { "labelled", N_("Label printed") },
    { "relabelled", N_("Label reprinted") },
    { "voided", N_("Label voided") },
    { "stored", N_("Stored") },
    { "shipped", N_("Shipped") },
    { "received", N_("Received") },
    { "rejected", N_("Rejected at receipt") },
    { "treated", N_("Treated") },
    { "weighed", N_("Weighed") },
    { "inspected", N_("Inspected") },
    { "correction", N_("Correction") },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kind, kinds[i].key))
      return _(kinds[i].title);
  return kind;
}

/* A payload as "key: value" lines, or the text as it is. */
static char *
payload_text (const char *payload)
{
  g_autoptr(JsonNode) node = json_from_string (payload, NULL);
  g_autoptr(GString) text = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup (payload);

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  text = g_string_new (NULL);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *member = json_object_get_member (object, l->data);
      g_autofree char *value = JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING
                               ? g_strdup (json_node_get_string (member))
                               : json_to_string (member, FALSE);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (g_str_equal (l->data, "weight_kg"))
        /* Translators: a weight in an anomaly's detail: "Weight: 180 kg" */
        g_string_append_printf (text, _("Weight: %s kg"), value);
      else
        g_string_append_printf (text, "%s: %s", (const char *) l->data, value);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_time (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (ms / 1000);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
}

static char *
node_text (const char *name,
           JsonNode   *node)
{
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (g_str_equal (name, "wall_ms") && type == G_TYPE_INT64)
        return format_time (json_node_get_int (node));
      if (g_str_equal (name, "kind") && type == G_TYPE_STRING)
        return g_strdup (event_title (json_node_get_string (node)));
      if (g_str_equal (name, "payload") && type == G_TYPE_STRING)
        return payload_text (json_node_get_string (node));
      if (type == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (type == G_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      if (type == G_TYPE_DOUBLE)
        return g_strdup_printf ("%g", json_node_get_double (node));
      if (type == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
    }
  if (JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  return json_to_string (node, TRUE);
}

/* One field: its name, and its value where the eye goes, marked when the
 * other version says something else. */
static GtkWidget *
field_row (const char *name,
           const char *text,
           gboolean    differs)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *value = gtk_label_new (text);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), field_title (name));
  gtk_label_set_wrap (GTK_LABEL (value), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (value), 28);
  /* Wide enough for a date and time on one line before it wraps. */
  gtk_label_set_width_chars (GTK_LABEL (value), MIN ((int) g_utf8_strlen (text, -1), 20));
  gtk_widget_set_hexpand (value, TRUE);
  gtk_label_set_xalign (GTK_LABEL (value), 1);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_widget_set_can_focus (value, FALSE);
  gtk_widget_add_css_class (value, "wt-anomaly-value");
  if (differs)
    {
      gtk_widget_add_css_class (value, "wt-anomaly-differs");
      gtk_widget_add_css_class (value, "warning");
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
  return row;
}

/* One version: a heading and its fields, or a line that says it is missing.
 * @other is the other version, for marking what differs. */
static GtkWidget *
version_column (const char *kind,
                const char *name,
                JsonNode   *node,
                JsonNode   *other)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading;
  GtkWidget *list = gtk_list_box_new ();
  JsonObject *other_object = other != NULL && JSON_NODE_HOLDS_OBJECT (other) ? json_node_get_object (other) : NULL;
  /* "received" is the receipt in a weight mismatch, the copy that came in
   * when one event has two contents. */
  const char *title = g_str_equal (name, "received") && g_strcmp0 (kind, "weight_mismatch") == 0
                      ? _("Received") : side_title (name);

  heading = gtk_label_new (title);
  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "title-4");
  gtk_box_append (GTK_BOX (box), heading);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_box_append (GTK_BOX (box), list);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Not in this ledger yet"));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      return box;
    }

  {
    JsonObject *object = json_node_get_object (node);
    g_autoptr(GList) members = json_object_get_members (object);
    g_autoptr(GPtrArray) names = g_ptr_array_new ();
    /* The fields a person compares first, in this order; the rest after. */
    static const char *order[] = { "kind", "container_code", "wall_ms", "actor", "payload", "site_id",
                                   "device_id", "device_seq", "event_id", "hash", "hlc" };

    for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
      if (json_object_has_member (object, order[i]))
        g_ptr_array_add (names, (gpointer) order[i]);
    for (GList *l = members; l != NULL; l = l->next)
      {
        gboolean listed = FALSE;

        for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
          listed |= g_str_equal (l->data, order[i]);
        if (!listed && !g_str_equal (l->data, "prev_hash") && !g_str_equal (l->data, "sig"))
          g_ptr_array_add (names, l->data);
      }

    for (guint i = 0; i < names->len; i++)
      {
        const char *field = g_ptr_array_index (names, i);
        g_autofree char *text = node_text (field, json_object_get_member (object, field));
        g_autofree char *other_text = NULL;
        /* Kinds differ by nature (a pickup and a receipt); the rest is compared. */
        gboolean compare = other_object != NULL && !g_str_equal (field, "kind") &&
                           !g_str_equal (field, "event_id") && !g_str_equal (field, "hash");

        if (compare && json_object_has_member (other_object, field))
          other_text = node_text (field, json_object_get_member (other_object, field));
        gtk_list_box_append (GTK_LIST_BOX (list),
                             field_row (field, text, compare && g_strcmp0 (text, other_text) != 0));
      }
  }

  return box;
}

/* ---- Loading ------------------------------------------------------------------------ */

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  return wt_ledger_list_anomalies (WT_LEDGER (data), TRUE, error);
}

static GtkWidget *
anomaly_row (WtAnomaly *anomaly)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *when = format_time (anomaly->detected_ms);
  g_autofree char *subtitle = NULL;
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

  const char *where = g_str_has_prefix (anomaly->source, "central") ? _("by the central store")
                      : g_str_equal (anomaly->source, "bundle") ? _("in a USB bundle")
                      : _("on this device");

  if (anomaly->container_code != NULL)
    /* Translators: an anomaly's row: the container code, when it was found, where */
    subtitle = g_strdup_printf (_("%s · found %s · %s"), anomaly->container_code, when, where);
  else
    /* Translators: an anomaly's row without a container: when it was found, where */
    subtitle = g_strdup_printf (_("found %s · %s"), when, where);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kind_title (anomaly->kind));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_add_css_class (icon, "warning");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_add_css_class (row, "wt-anomaly-row");
  return row;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtAnomaliesView *self = WT_ANOMALIES_VIEW (object);
  g_autoptr(GError) error = NULL;
  GPtrArray *anomalies = wt_worker_run_finish (result, &error);
  GtkWidget *child;
  g_autofree char *count = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  g_clear_pointer (&self->anomalies, g_ptr_array_unref);
  self->anomalies = anomalies != NULL ? anomalies : g_ptr_array_new_with_free_func ((GDestroyNotify) wt_anomaly_free);
  if (error != NULL)
    toast (self, error->message);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  for (guint i = 0; i < self->anomalies->len; i++)
    gtk_list_box_append (self->list_box, anomaly_row (g_ptr_array_index (self->anomalies, i)));

  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "%u open anomaly. Open one to see both versions and settle it.",
                                        "%u open anomalies. Open one to see both versions and settle it.",
                                        self->anomalies->len),
                           self->anomalies->len);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->stack, self->anomalies->len > 0 ? "list" : "empty");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OPEN]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

void
wt_anomalies_view_reload (WtAnomaliesView *self)
{
  g_return_if_fail (WT_IS_ANOMALIES_VIEW (self));

  if (self->ledger == NULL)
    return;

  self->loading = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  wt_worker_run_async (self, load_thread, g_object_ref (self->ledger), g_object_unref,
                       (GDestroyNotify) g_ptr_array_unref, self->cancellable, loaded_cb, NULL);
}

/* ---- Resolving ------------------------------------------------------------------------ */

typedef struct
{
  WtLedger *ledger;
  gint64    id;
  char     *supervisor;
  char     *pin;
  char     *note;
} Resolve;

static void
resolve_free (gpointer pointer)
{
  Resolve *resolve = pointer;

  g_clear_object (&resolve->ledger);
  g_free (resolve->supervisor);
  if (resolve->pin != NULL)
    explicit_bzero (resolve->pin, strlen (resolve->pin));
  g_free (resolve->pin);
  g_free (resolve->note);
  g_free (resolve);
}

static gpointer
resolve_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  Resolve *resolve = data;

  WtParty supervisor = { resolve->supervisor, resolve->pin };

  if (!wt_ledger_resolve_anomaly_by (resolve->ledger, resolve->id, &supervisor, resolve->note, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
resolved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtAnomaliesView *self = WT_ANOMALIES_VIEW (object);
  g_autoptr(GError) error = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  toast (self, _("The anomaly is settled; a resolution event is in the ledger."));
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
  wt_anomalies_view_reload (self);
}

void
wt_anomalies_view_resolve (WtAnomaliesView *self,
                           gint64           id,
                           const char      *supervisor,
                           const char      *pin,
                           const char      *reason)
{
  g_autofree char *name = NULL;
  g_autofree char *why = NULL;
  Resolve *resolve;

  g_return_if_fail (WT_IS_ANOMALIES_VIEW (self));

  if (self->ledger == NULL)
    return;

  name = g_strstrip (g_strdup (supervisor ? supervisor : ""));
  why = g_strstrip (g_strdup (reason ? reason : ""));
  if (*name == '\0' || *why == '\0')
    {
      toast (self, _("The supervisor's name and the reason are both needed."));
      return;
    }

  resolve = g_new0 (Resolve, 1);
  resolve->ledger = g_object_ref (self->ledger);
  resolve->id = id;
  resolve->supervisor = g_steal_pointer (&name);
  resolve->pin = g_strdup (pin != NULL ? pin : "");
  resolve->note = g_steal_pointer (&why);
  wt_worker_run_async (self, resolve_thread, resolve, resolve_free, NULL, self->cancellable, resolved_cb, NULL);
}

typedef struct
{
  WtAnomaliesView *view;
  GtkWindow       *detail;
  GtkEditable     *name;
  GtkEditable     *pin;
  GtkEditable     *reason;
  gint64           id;
} ResolveDialog;

static void
resolve_dialog_free (gpointer pointer)
{
  ResolveDialog *d = pointer;

  g_clear_object (&d->view);
  g_free (d);
}

static gboolean
close_detail_cb (gpointer data)
{
  gtk_window_destroy (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static void
resolve_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     ResolveDialog    *d)
{
  if (g_strcmp0 (response, "resolve") != 0)
    return;

  wt_anomalies_view_resolve (d->view, d->id,
                             gtk_editable_get_text (d->name),
                             gtk_editable_get_text (d->pin),
                             gtk_editable_get_text (d->reason));
  /* The dialog is transient for the detail window and still emitting:
   * close the detail once the dialog has gone. */
  if (d->detail != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, close_detail_cb, g_object_ref (d->detail), g_object_unref);
}

static void
resolve_fields_changed_cb (GtkEditable   *editable,
                           ResolveDialog *d)
{
  GtkWidget *dialog = gtk_widget_get_ancestor (GTK_WIDGET (editable), ADW_TYPE_MESSAGE_DIALOG);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (d->name)));
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (d->reason)));
  const char *pin = gtk_editable_get_text (d->pin);
  gsize pin_len = strlen (pin);
  gboolean pin_ok = pin_len >= 4 && pin_len <= 8 && strspn (pin, "0123456789") == pin_len;

  if (dialog != NULL)
    adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "resolve",
                                             *name != '\0' && pin_ok && *reason != '\0');
}

static void
resolve_clicked_cb (GtkButton *button,
                    gpointer   user_data)
{
  GtkWindow *detail = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (button)));
  WtAnomaliesView *view = g_object_get_data (G_OBJECT (detail), "wt-view");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (detail), "wt-id"));
  ResolveDialog *d = g_new0 (ResolveDialog, 1);
  GtkWidget *dialog;
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *name = adw_entry_row_new ();
  GtkWidget *pin = adw_password_entry_row_new ();
  GtkWidget *reason = adw_entry_row_new ();

  d->view = g_object_ref (view);
  d->detail = detail;
  d->id = id;
  d->name = GTK_EDITABLE (name);
  d->pin = GTK_EDITABLE (pin);
  d->reason = GTK_EDITABLE (reason);

  dialog = adw_message_dialog_new (detail, _("Settle This Anomaly?"),
                                   _("A supervisor decides which version is right and says why. The ledger keeps both versions and records the decision as a new event; nothing is changed or merged."));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _("Supervisor's name"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (pin), _("Supervisor's PIN (4–8 digits)"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (reason), _("Reason"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), name);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), pin);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), reason);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), group);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "resolve", _("_Settle"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "resolve", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "resolve", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "resolve");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (name, "changed", G_CALLBACK (resolve_fields_changed_cb), d);
  g_signal_connect (pin, "changed", G_CALLBACK (resolve_fields_changed_cb), d);
  g_signal_connect (reason, "changed", G_CALLBACK (resolve_fields_changed_cb), d);
  g_signal_connect_data (dialog, "response", G_CALLBACK (resolve_response_cb), d,
                         (GClosureNotify) (void (*) (void)) resolve_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (name);
}

GtkWindow *
wt_anomalies_view_show_detail (WtAnomaliesView *self,
                               guint            index)
{
  WtAnomaly *anomaly;
  GtkRoot *root;
  GtkWidget *window, *toolbar, *header, *scrolled, *clamp, *box, *explanation, *columns, *resolve;
  g_autoptr(JsonNode) detail = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (WT_IS_ANOMALIES_VIEW (self), NULL);

  if (self->anomalies == NULL || index >= self->anomalies->len)
    return NULL;
  anomaly = g_ptr_array_index (self->anomalies, index);
  root = gtk_widget_get_root (GTK_WIDGET (self));

  window = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), kind_title (anomaly->kind));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_set_default_size (GTK_WINDOW (window), 920, 640);
  g_object_set_data_full (G_OBJECT (window), "wt-view", g_object_ref (self), g_object_unref);
  g_object_set_data (G_OBJECT (window), "wt-id", GSIZE_TO_POINTER ((gsize) anomaly->id));

  toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  resolve = gtk_button_new_with_mnemonic (_("_Resolve…"));
  gtk_widget_add_css_class (resolve, "suggested-action");
  gtk_widget_set_tooltip_text (resolve, _("A supervisor settles the anomaly with a reason"));
  gtk_widget_set_name (resolve, "resolve-button");
  g_signal_connect (resolve, "clicked", G_CALLBACK (resolve_clicked_cb), NULL);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), resolve);
  gtk_widget_set_visible (resolve, !self->read_only);
  gtk_box_append (GTK_BOX (toolbar), header);

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1100);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);

  title = anomaly->container_code != NULL
            ? g_strdup_printf ("%s — %s", kind_title (anomaly->kind), anomaly->container_code)
            : g_strdup (kind_title (anomaly->kind));
  {
    GtkWidget *heading = gtk_label_new (title);

    gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
    gtk_label_set_wrap_mode (GTK_LABEL (heading), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign (GTK_LABEL (heading), 0);
    gtk_label_set_selectable (GTK_LABEL (heading), TRUE);
    gtk_widget_add_css_class (heading, "title-2");
    gtk_box_append (GTK_BOX (box), heading);
  }
  explanation = gtk_label_new (kind_explanation (anomaly->kind));
  gtk_label_set_wrap (GTK_LABEL (explanation), TRUE);
  gtk_label_set_xalign (GTK_LABEL (explanation), 0);
  gtk_box_append (GTK_BOX (box), explanation);

  columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  gtk_box_set_homogeneous (GTK_BOX (columns), TRUE);
  gtk_widget_set_name (columns, "versions");
  detail = anomaly->detail ? json_from_string (anomaly->detail, NULL) : NULL;
  if (detail != NULL && JSON_NODE_HOLDS_OBJECT (detail))
    {
      JsonObject *object = json_node_get_object (detail);
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        {
          /* With two versions, each is compared with the other. */
          JsonNode *other = g_list_length (members) == 2
                            ? json_object_get_member (object, (l->next ? l->next : members)->data)
                            : NULL;

          gtk_box_append (GTK_BOX (columns),
                          version_column (anomaly->kind, l->data, json_object_get_member (object, l->data), other));
        }
    }
  else
    {
      GtkWidget *text = gtk_label_new (anomaly->detail ? anomaly->detail : "");

      gtk_label_set_wrap (GTK_LABEL (text), TRUE);
      gtk_label_set_selectable (GTK_LABEL (text), TRUE);
      gtk_box_append (GTK_BOX (columns), text);
    }
  gtk_box_append (GTK_BOX (box), columns);

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_box_append (GTK_BOX (toolbar), scrolled);
  adw_window_set_content (ADW_WINDOW (window), toolbar);
  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static void
row_activated_cb (WtAnomaliesView *self,
                  GtkListBoxRow   *row)
{
  wt_anomalies_view_show_detail (self, gtk_list_box_row_get_index (row));
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
wt_anomalies_view_dispose (GObject *object)
{
  WtAnomaliesView *self = WT_ANOMALIES_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_ANOMALIES_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_anomalies_view_parent_class)->dispose (object);
}

static void
wt_anomalies_view_finalize (GObject *object)
{
  WtAnomaliesView *self = WT_ANOMALIES_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->anomalies, g_ptr_array_unref);

  G_OBJECT_CLASS (wt_anomalies_view_parent_class)->finalize (object);
}

static void
wt_anomalies_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  WtAnomaliesView *self = WT_ANOMALIES_VIEW (object);

  switch (prop_id)
    {
    case PROP_N_OPEN:
      g_value_set_uint (value, wt_anomalies_view_get_n_open (self));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_anomalies_view_class_init (WtAnomaliesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_anomalies_view_dispose;
  object_class->finalize = wt_anomalies_view_finalize;
  object_class->get_property = wt_anomalies_view_get_property;

  properties[PROP_N_OPEN] =
    g_param_spec_uint ("n-open", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[LEDGER_CHANGED] =
    g_signal_new ("ledger-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-anomalies-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtAnomaliesView, stack);
  gtk_widget_class_bind_template_child (widget_class, WtAnomaliesView, list_box);
  gtk_widget_class_bind_template_child (widget_class, WtAnomaliesView, count_label);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
wt_anomalies_view_init (WtAnomaliesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

void
wt_anomalies_view_set_ledger (WtAnomaliesView *self,
                              WtLedger        *ledger)
{
  g_return_if_fail (WT_IS_ANOMALIES_VIEW (self));

  g_set_object (&self->ledger, ledger);
  wt_anomalies_view_reload (self);
}

void
wt_anomalies_view_set_read_only (WtAnomaliesView *self,
                                 gboolean         read_only)
{
  g_return_if_fail (WT_IS_ANOMALIES_VIEW (self));

  self->read_only = read_only;
}

guint
wt_anomalies_view_get_n_open (WtAnomaliesView *self)
{
  g_return_val_if_fail (WT_IS_ANOMALIES_VIEW (self), 0);

  return self->anomalies != NULL ? self->anomalies->len : 0;
}

gboolean
wt_anomalies_view_get_loading (WtAnomaliesView *self)
{
  g_return_val_if_fail (WT_IS_ANOMALIES_VIEW (self), FALSE);

  return self->loading;
}
