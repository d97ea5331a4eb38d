/* wt-container-page.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-container-page"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "wt-container-page.h"
#include "wt-hazard.h"
#include "wt-label-print.h"
#include "wt-report.h"
#include "wt-worker.h"

struct _WtContainerPage
{
  GtkWidget      parent_instance;

  /* Template Widgets */
  GtkLabel      *title_label;
  GtkLabel      *problem_label;
  GtkWidget     *button_box;
  AdwActionRow  *waste_row;
  AdwActionRow  *common_name_row;
  AdwActionRow  *hazard_row;
  AdwActionRow  *weight_row;
  AdwActionRow  *state_row;
  AdwActionRow  *facility_row;
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

  GHashTable    *correctable;  /* event id → Correctable, for container.correct */
  gboolean       read_only;    /* the central office's copy: nothing is offered that writes */

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

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "container.reprint", labelled && !self->working && !self->read_only);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "container.void", labelled && !self->working && !self->read_only);
  gtk_widget_set_visible (GTK_WIDGET (self->button_box), !self->read_only);
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
  char        *site_id;
  char        *site_name;
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
  g_clear_pointer (&load->site_id, g_free);
  g_clear_pointer (&load->site_name, g_free);
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
    {
      load->display = wt_code_to_display (&site->split, load->code);
      load->site_id = g_strdup (site->site_id);
      load->site_name = g_strdup (site->name);
    }
  return GINT_TO_POINTER (TRUE);
}

/* ---- The timeline ------------------------------------------------------------- */

/* What a "Correct…" button needs to know about the event it corrects. */
typedef struct
{
  char   *kind;
  double  weight_kg;   /* < 0 when the event carried none */
  char   *date;        /* the production date, labelled events only */
} Correctable;

static void
correctable_free (gpointer pointer)
{
  Correctable *c = pointer;

  g_free (c->kind);
  g_free (c->date);
  g_free (c);
}

static gboolean
member_double (JsonObject *o,
               const char *name,
               double     *out)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  value = json_node_get_string (node);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static gboolean
member_true (JsonObject *o,
             const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gboolean
member_false (JsonObject *o,
              const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && !json_node_get_boolean (node);
}

/* The event a correction names. */
static const char *
correction_target (JsonObject *o)
{
  static const char *names[] = { "corrects", "event_id", "event", "target", "corrected_event" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *id = member_string (o, names[i]);

      if (id != NULL)
        return id;
    }
  return NULL;
}

static char *
format_wall (gint64 ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
}

static char *
format_kg (double kg)
{
  return g_strdup_printf (_("%g kg"), kg);
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

/* The weights, places, parties and conditions an event carries, one fact a
 * line, in words. */
static void
append_details (GString    *s,
                const char *kind,
                JsonObject *o,
                GHashTable *by_id)
{
  const char *text;
  double kg, other;

#define LINE(...) G_STMT_START { if (s->len > 0) g_string_append_c (s, '\n'); g_string_append_printf (s, __VA_ARGS__); } G_STMT_END

  if (g_strcmp0 (kind, "correction") == 0)
    {
      const char *target = correction_target (o);
      const WtEvent *corrected = target != NULL ? g_hash_table_lookup (by_id, target) : NULL;

      if (corrected != NULL)
        {
          g_autofree char *when = format_wall (corrected->wall_ms);

          LINE (_("Corrects “%s” of %s"), event_title (corrected->kind), when);
        }
      else if (target != NULL)
        LINE (_("Corrects event %s"), target);
      if (member_double (o, "weight_kg", &kg) && kg >= 0)
        {
          g_autofree char *w = format_kg (kg);

          LINE (_("Weight corrected to %s"), w);
        }
      if ((text = member_string (o, "date")) != NULL)
        LINE (_("Date produced corrected to %s"), text);
    }
  else if (member_double (o, "weight_kg", &kg))
    {
      g_autofree char *w = format_kg (kg);

      if (member_double (o, "previous_kg", &other))
        {
          g_autofree char *was = format_kg (other);

          LINE (_("Weight %s (was %s)"), w, was);
        }
      else if (member_double (o, "expected_kg", &other))
        {
          g_autofree char *expected = format_kg (other);

          if (member_true (o, "weight_discrepancy"))
            LINE (_("Weight %s, shipped as %s: more than 5 %% off"), w, expected);
          else
            LINE (_("Weight %s (shipped as %s)"), w, expected);
        }
      else
        LINE (_("Weight %s"), w);
    }

  if (g_strcmp0 (kind, "labelled") == 0)
    {
      JsonNode *content = json_object_get_member (o, "content");

      if (content != NULL && JSON_NODE_HOLDS_OBJECT (content) &&
          (text = member_string (json_node_get_object (content), "date")) != NULL)
        LINE (_("Produced on %s"), text);
    }

  if ((text = member_string (o, "from_facility")) != NULL && member_string (o, "facility") != NULL)
    LINE (_("Moved from %s to %s"), text, member_string (o, "facility"));
  else if ((text = member_string (o, "facility")) != NULL)
    LINE (_("Storage facility %s"), text);

  if ((text = member_string (o, "number")) != NULL)
    LINE (_("Manifest %s"), text);
  if ((text = member_string (o, "carrier")) != NULL)
    {
      const char *vehicle = member_string (o, "vehicle");

      if (vehicle != NULL)
        LINE (_("Carrier %s, vehicle %s"), text, vehicle);
      else
        LINE (_("Carrier %s"), text);
    }
  if ((text = member_string (o, "receiver")) != NULL)
    LINE (_("Receiver %s"), text);
  if ((text = member_string (o, "method")) != NULL)
    {
      const char *name = member_string (o, "method_name");

      LINE (_("Method %s %s"), text, name != NULL ? name : "");
    }
  if (member_true (o, "predecessor_unknown"))
    LINE ("%s", _("Received before its history reached this device"));

  if (g_strcmp0 (kind, "inspected") == 0)
    {
      g_autoptr(GPtrArray) problems = g_ptr_array_new ();

      if (member_false (o, "seal_intact"))
        g_ptr_array_add (problems, (gpointer) _("seal broken"));
      if (member_true (o, "leaking"))
        g_ptr_array_add (problems, (gpointer) _("leaking"));
      if (member_true (o, "bulging"))
        g_ptr_array_add (problems, (gpointer) _("bulging"));
      if (member_true (o, "corroded"))
        g_ptr_array_add (problems, (gpointer) _("corroded"));
      if (member_false (o, "label_legible"))
        g_ptr_array_add (problems, (gpointer) _("label illegible"));
      g_ptr_array_add (problems, NULL);

      if (problems->len > 1)
        {
          /* Translators: separates condition problems, e.g. "leaking, bulging". */
          g_autofree char *list = g_strjoinv (_(", "), (char **) problems->pdata);

          LINE (_("Condition: %s"), list);
        }
      else
        LINE ("%s", _("Condition: sealed, dry, sound, label legible"));
    }

  if ((text = member_string (o, "reason")) != NULL)
    /* Translators: the reason a person gave for a reprint, a void, a correction or a failed check. */
    LINE (_("Reason: %s"), text);

#undef LINE
}

static GtkWidget *
event_row_new (const WtEvent *event,
               JsonObject    *o,
               GHashTable    *by_id,
               GPtrArray     *corrections,
               const char    *site_id,
               const char    *site_name,
               gboolean       correctable)
{
  g_autofree char *when = format_wall (event->wall_ms);
  g_autoptr(GString) subtitle = g_string_new (NULL);
  g_autoptr(GString) details = g_string_new (NULL);
  g_autofree char *device = g_strndup (event->device_id != NULL ? event->device_id : "", 8);
  const char *where;
  GtkWidget *row;

  /* Who, where and when: wall clock, then the logical order (the hybrid
   * logical clock that orders events across devices). */
  where = g_strcmp0 (event->site_id, site_id) == 0 && site_name != NULL ? site_name : event->site_id;
  g_string_append (subtitle, when);
  if (event->actor != NULL && event->actor[0] != '\0')
    g_string_append_printf (subtitle, " · %s", event->actor);
  g_string_append_printf (subtitle, " · %s", where != NULL ? where : "");
  g_string_append_c (subtitle, '\n');
  {
    /* The hybrid logical clock: milliseconds in the high bits, a counter
     * for events within the same millisecond in the low 16. */
    gint64 hlc_ms = event->hlc >> 16;
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (hlc_ms / 1000);
    g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
    g_autofree char *logical = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("");

    /* Translators: the logical clock that orders events across devices
     * (time.milliseconds + counter), then the device and its own event number. */
    g_string_append_printf (subtitle, _("Logical order %s.%03d + %d · device %s #%lld"),
                            logical, (int) (hlc_ms % 1000), (int) (event->hlc & 0xffff),
                            device, (long long) event->device_seq);
  }

  append_details (details, event->kind, o, by_id);
  for (guint i = 0; corrections != NULL && i < corrections->len; i++)
    {
      const WtEvent *correction = g_ptr_array_index (corrections, i);
      g_autofree char *corrected_when = format_wall (correction->wall_ms);

      if (details->len > 0)
        g_string_append_c (details, '\n');
      g_string_append_printf (details, _("Corrected on %s: see below"), corrected_when);
    }
  if (details->len > 0)
    g_string_append_printf (subtitle, "\n%s", details->str);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), event_title (event->kind));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_widget_set_tooltip_text (row, event->event_id);
  if (corrections != NULL && corrections->len > 0)
    gtk_widget_add_css_class (row, "wt-corrected");

  if (correctable)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Correct…"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (button, -1, 40);
      gtk_widget_set_tooltip_text (button, _("Record a correction of this event's weight, with a reason"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "container.correct");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (event->event_id));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }

  return row;
}

static void
fill_timeline (WtContainerPage   *self,
               const WtContainer *c,
               GPtrArray         *events,
               const char        *site_id,
               const char        *site_name)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) corrections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  GtkWidget *child;

  g_hash_table_remove_all (self->correctable);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->events_list))) != NULL)
    gtk_list_box_remove (self->events_list, child);

  for (guint i = 0; i < events->len; i++)
    {
      const WtEvent *event = g_ptr_array_index (events, i);
      JsonNode *node = event->payload != NULL ? json_from_string (event->payload, NULL) : NULL;
      JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *target;

      g_ptr_array_add (nodes, node != NULL ? node : json_node_new (JSON_NODE_NULL));
      g_hash_table_insert (by_id, event->event_id, (gpointer) event);
      if (g_strcmp0 (event->kind, "correction") == 0 && (target = correction_target (o)) != NULL)
        {
          GPtrArray *list = g_hash_table_lookup (corrections, target);

          if (list == NULL)
            {
              list = g_ptr_array_new ();
              g_hash_table_insert (corrections, (gpointer) target, list);
            }
          g_ptr_array_add (list, (gpointer) event);
        }
    }

  for (guint i = 0; i < events->len; i++)
    {
      const WtEvent *event = g_ptr_array_index (events, i);
      JsonNode *node = g_ptr_array_index (nodes, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      gboolean correctable = FALSE;
      double kg = -1;

      /* Events that carry a weight (a label's weight may be unknown, null). */
      if (o != NULL && !self->read_only && c->state != WT_CONTAINER_VOIDED &&
          g_strcmp0 (event->kind, "correction") != 0 &&
          json_object_has_member (o, "weight_kg"))
        {
          Correctable *info = g_new0 (Correctable, 1);
          JsonNode *content = json_object_get_member (o, "content");

          correctable = TRUE;
          info->kind = g_strdup (event->kind);
          info->weight_kg = member_double (o, "weight_kg", &kg) ? kg : -1;
          if (g_strcmp0 (event->kind, "labelled") == 0)
            info->date = g_strdup (content != NULL && JSON_NODE_HOLDS_OBJECT (content)
                                   ? member_string (json_node_get_object (content), "date") : c->date);
          g_hash_table_insert (self->correctable, g_strdup (event->event_id), info);
        }

      gtk_list_box_append (self->events_list,
                           event_row_new (event, o, by_id, g_hash_table_lookup (corrections, event->event_id),
                                          site_id, site_name, correctable));
    }
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
                const char        *display,
                const char        *site_id,
                const char        *site_name)
{
  g_autofree char *waste = g_strdup_printf ("%s %s", c->waste_code, c->waste_name != NULL ? c->waste_name : "");
  g_autofree char *hazards = hazard_names (c->hazards);
  g_autofree char *weight = c->weight_kg >= 0 ? g_strdup_printf (_("%g kg"), c->weight_kg) : NULL;
  g_autofree char *label = g_strdup_printf (_("%u mm, error correction %s"), c->size_mm, wt_ecc_to_string (c->ecc));
  g_autofree char *reprints = g_strdup_printf ("%u", c->reprints);

  gtk_label_set_text (self->title_label, display != NULL ? display : c->code);
  set_value (self->waste_row, waste);
  set_value (self->common_name_row, c->common_name);
  set_value (self->hazard_row, hazards);
  set_value (self->weight_row, weight);
  set_value (self->state_row, wt_container_state_to_string (c->state));
  set_value (self->facility_row, c->facility);
  gtk_widget_set_visible (GTK_WIDGET (self->facility_row), c->facility != NULL && c->facility[0] != '\0');
  set_value (self->date_row, c->date);
  set_value (self->label_row, label);
  set_value (self->reprints_row, reprints);
  set_value (self->void_row, c->void_reason);
  gtk_widget_set_visible (GTK_WIDGET (self->void_row), c->state == WT_CONTAINER_VOIDED);

  fill_timeline (self, c, events, site_id, site_name);
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
  show_container (self, self->container, load->events, load->display, load->site_id, load->site_name);
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

/* ---- Corrections -------------------------------------------------------------- */

typedef struct
{
  WtLedger *ledger;
  char     *event_id;
  double    weight_kg;
  char     *date;
  char     *reason;
} Correction;

static void
correction_free (gpointer pointer)
{
  Correction *correction = pointer;

  g_clear_object (&correction->ledger);
  g_free (correction->event_id);
  g_free (correction->date);
  g_free (correction->reason);
  g_free (correction);
}

static gpointer
correct_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  Correction *correction = data;

  if (!wt_ledger_correct (correction->ledger, correction->event_id, correction->weight_kg,
                          correction->date, correction->reason, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
corrected_cb (GObject      *object,
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

  add_toast (self, adw_toast_new (_("Correction recorded")));
  g_signal_emit (self, signals[CHANGED], 0);
  reload (self);
}

/* A weight in kilograms as a person types it: "172", "172.5", "172,5". */
static gboolean
parse_kg (const char *text,
          double     *out)
{
  g_autofree char *copy = g_strstrip (g_strdelimit (g_strdup (text), ",", '.'));
  char *end = NULL;
  double value;

  if (copy[0] == '\0')
    return FALSE;
  value = g_ascii_strtod (copy, &end);
  if (end == NULL || *end != '\0' || !(value >= 0) || value > 1e6)
    return FALSE;
  *out = value;
  return TRUE;
}

static gboolean
parse_date (const char *text)
{
  int y, m, d;

  return text != NULL && strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
         g_date_valid_dmy (d, m, y);
}

typedef struct
{
  GtkEditable *weight;
  GtkEditable *date;     /* or NULL */
  GtkEditable *reason;
  double       old_kg;
  char        *old_date;
  char        *event_id;
} CorrectForm;

static void
correct_form_free (gpointer pointer)
{
  CorrectForm *form = pointer;

  g_free (form->old_date);
  g_free (form->event_id);
  g_free (form);
}

/* The new values, or FALSE while the form is incomplete: a reason, and a
 * weight or date that parses and differs from the recorded one. */
static gboolean
correct_form_read (CorrectForm  *form,
                   double       *out_kg,
                   char        **out_date,
                   char        **out_reason)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (form->reason)));
  g_autofree char *date = form->date != NULL ? g_strstrip (g_strdup (gtk_editable_get_text (form->date))) : NULL;
  const char *weight = gtk_editable_get_text (form->weight);
  gboolean weight_changed = FALSE, date_changed = FALSE;
  double kg = -1;

  if (weight[0] != '\0')
    {
      if (!parse_kg (weight, &kg))
        return FALSE;
      weight_changed = form->old_kg < 0 || ABS (kg - form->old_kg) > 1e-9;
    }
  if (date != NULL && date[0] != '\0')
    {
      if (!parse_date (date))
        return FALSE;
      date_changed = g_strcmp0 (date, form->old_date) != 0;
    }
  if (reason[0] == '\0' || (!weight_changed && !date_changed))
    return FALSE;

  if (out_kg != NULL)
    *out_kg = weight_changed ? kg : -1;
  if (out_date != NULL)
    *out_date = date_changed ? g_steal_pointer (&date) : NULL;
  if (out_reason != NULL)
    *out_reason = g_steal_pointer (&reason);
  return TRUE;
}

static void
correct_changed_cb (AdwMessageDialog *dialog)
{
  CorrectForm *form = g_object_get_data (G_OBJECT (dialog), "wt-form");

  adw_message_dialog_set_response_enabled (dialog, "correct", correct_form_read (form, NULL, NULL, NULL));
}

static void
correct_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     WtContainerPage  *self)
{
  CorrectForm *form = g_object_get_data (G_OBJECT (dialog), "wt-form");
  Correction *correction;
  double kg = -1;
  char *date = NULL;
  char *reason = NULL;

  if (g_strcmp0 (response, "correct") != 0 || self->working || self->ledger == NULL ||
      !correct_form_read (form, &kg, &date, &reason))
    return;

  self->working = TRUE;
  update_actions (self);

  correction = g_new0 (Correction, 1);
  correction->ledger = g_object_ref (self->ledger);
  correction->event_id = g_strdup (form->event_id);
  correction->weight_kg = kg;
  correction->date = date;
  correction->reason = reason;
  wt_worker_run_async (self, correct_thread, correction, correction_free, NULL, self->cancellable,
                       corrected_cb, NULL);
}

static GtkWidget *
form_entry (GtkWidget  *box,
            const char *label_text,
            const char *text,
            const char *placeholder)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);
  GtkWidget *entry = gtk_entry_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text != NULL ? text : "");
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_widget_set_size_request (entry, -1, 40);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), entry);
  return entry;
}

static void
correct_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  WtContainerPage *self = WT_CONTAINER_PAGE (widget);
  const char *event_id = g_variant_get_string (parameter, NULL);
  Correctable *info = g_hash_table_lookup (self->correctable, event_id);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *weight = NULL;
  CorrectForm *form;
  GtkWidget *dialog;
  GtkWidget *box;

  if (info == NULL || self->working)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Correct This Event?"),
                                   _("The event stays as it was recorded. A correction names it, with the new value and your reason, and reports use the new value."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "correct", _("_Record Correction"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "correct", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "correct", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "correct");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  form = g_new0 (CorrectForm, 1);
  form->old_kg = info->weight_kg;
  form->old_date = g_strdup (info->date);
  form->event_id = g_strdup (event_id);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  weight = info->weight_kg >= 0 ? g_strdup_printf ("%g", info->weight_kg) : g_strdup ("");
  form->weight = GTK_EDITABLE (form_entry (box, _("_Weight in kg"), weight, _("e.g. 172.5")));
  gtk_entry_set_input_purpose (GTK_ENTRY (form->weight), GTK_INPUT_PURPOSE_NUMBER);
  if (g_strcmp0 (info->kind, "labelled") == 0)
    form->date = GTK_EDITABLE (form_entry (box, _("_Date produced"), info->date, "YYYY-MM-DD"));
  form->reason = GTK_EDITABLE (form_entry (box, _("R_eason (required)"), NULL, _("e.g. scale not zeroed")));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  g_object_set_data_full (G_OBJECT (dialog), "wt-form", form, correct_form_free);
  g_signal_connect_swapped (form->weight, "changed", G_CALLBACK (correct_changed_cb), dialog);
  g_signal_connect_swapped (form->reason, "changed", G_CALLBACK (correct_changed_cb), dialog);
  if (form->date != NULL)
    g_signal_connect_swapped (form->date, "changed", G_CALLBACK (correct_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (correct_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (form->weight));
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
  g_clear_pointer (&self->correctable, g_hash_table_unref);

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
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, button_box);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, waste_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, common_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, hazard_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, weight_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, state_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, facility_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, date_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, label_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, reprints_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, void_row);
  gtk_widget_class_bind_template_child (widget_class, WtContainerPage, events_list);

  gtk_widget_class_install_action (widget_class, "container.reprint", NULL, reprint_action);
  gtk_widget_class_install_action (widget_class, "container.void", NULL, void_action);
  gtk_widget_class_install_action (widget_class, "container.correct", "s", correct_action);
}

static void
wt_container_page_init (WtContainerPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  self->correctable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, correctable_free);
  update_actions (self);
}

void
wt_container_page_set_read_only (WtContainerPage *self,
                                 gboolean         read_only)
{
  g_return_if_fail (WT_IS_CONTAINER_PAGE (self));

  self->read_only = !!read_only;
  update_actions (self);
}
