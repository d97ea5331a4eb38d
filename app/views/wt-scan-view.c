/* wt-scan-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four inputs feed one path: the camera's "code" signal, a handheld
 * scanner's key burst, the typed code and the codes found in an image all
 * end in submit_scan(), which holds back a repeat of the same text within
 * duplicate-hold-seconds and queues the rest. Queued scans go to
 * wt_ledger_scan() one at a time on a worker thread, in the order they were
 * read, so a manifest's scan list sees them in that order; the same worker
 * call fetches the container's last events and, in Ship and Receive modes,
 * the reconciliation, so the banner, the card and the panel change together.
 *
 * A handheld scanner is a keyboard that types fast. The capture-phase key
 * controller watches every key pressed anywhere in the view and leaves
 * them alone until they look like a scanner: printable keys with gaps of
 * at most scanner-burst-ms, then Enter. Keys a scanner sends into a text
 * field are taken out of it again once the burst is recognised (so a
 * person's own typing in that field stays as it was); keys that would go
 * to a button are swallowed from the second fast key on, so the space in
 * "WT1 危险废物" cannot press a button. Scanners that send each line of a
 * multi-line QR code followed by Enter are joined with "\n".
 */
#define G_LOG_DOMAIN "wt-scan-view"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gtk/gtkunixprint.h>
#include <json-glib/json-glib.h>
#include <libportal-gtk4/portal-gtk4.h>
#include <unistd.h>

#include "wt-camera.h"
#include "wt-decoder.h"
#include "wt-handover.h"
#include "wt-hazard.h"
#include "wt-scan-condition-dialog.h"
#include "wt-scan-handover-dialog.h"
#include "wt-scan-manifest-dialog.h"
#include "wt-scan-manifest-panel.h"
#include "wt-scan-preview.h"
#include "wt-scan-view.h"
#include "wt-worker.h"

#define N_EVENTS 5
/* A burst shorter than this before its Enter is a person (or a key held
 * down), not a scanner: the shortest code a person could scan is longer. */
#define MIN_BURST_KEYS 4

typedef enum
{
  SOURCE_CAMERA,
  SOURCE_SCANNER,
  SOURCE_TYPED,
  SOURCE_IMAGE,
} ScanSource;

static const char * const mode_names[] = { "lookup", "store", "ship", "receive", "treat" };

struct _WtScanView
{
  GtkWidget            parent_instance;

  /* Template Widgets */
  GtkEventController  *key_controller;
  GtkDropTarget       *drop_target;
  GtkLabel            *verdict_label;
  GtkStack            *camera_stack;
  WtScanPreview       *preview;
  AdwStatusPage       *camera_status;
  GtkMenuButton       *camera_button;
  GtkPopover          *camera_popover;
  GtkListBox          *camera_list;
  GtkLabel            *camera_note_label;
  GtkEntry            *code_entry;
  GtkButton           *scan_button;
  GtkStack            *card_stack;
  GtkLabel            *card_code_label;
  GtkLabel            *card_waste_label;
  GtkLabel            *hazard_t_label;
  GtkLabel            *hazard_c_label;
  GtkLabel            *hazard_i_label;
  GtkLabel            *hazard_r_label;
  GtkLabel            *hazard_in_label;
  AdwActionRow        *card_state_row;
  AdwActionRow        *card_where_row;
  AdwActionRow        *card_weight_row;
  GtkListBox          *events_list;
  GtkStack            *mode_stack;
  AdwEntryRow         *facility_row;
  GtkListBox          *store_list;
  GtkButton           *store_button;
  AdwComboRow         *method_row;
  GtkStringList       *method_model;
  GtkListBox          *treat_list;
  GtkButton           *treat_button;
  GtkDropDown         *manifest_dropdown;
  GtkStringList       *manifest_model;
  GtkWidget           *new_manifest_button;
  GtkWidget           *load_receipt_button;
  GtkLabel            *manifest_hint_label;
  WtScanManifestPanel *manifest_panel;

  /* Owned References */
  WtLedger            *ledger;
  WtSite              *site;
  GSettings           *settings;
  GCancellable        *cancellable;
  WtCamera            *camera;
  GPtrArray           *methods;          /* WtMethod */
  GPtrArray           *manifests;        /* WtManifest, parallel to manifest_model */
  WtManifest          *ship_manifest;
  WtManifest          *receive_manifest;
  GHashTable          *manifest_items;   /* manifest id → GPtrArray of WtScanItem */
  GPtrArray           *store_codes;      /* char * */
  GPtrArray           *treat_codes;      /* char * */
  WtContainer         *container;        /* the card's */
  GHashTable          *recent;           /* scanned text → monotonic µs */
  GQueue              *queue;            /* Request */
  GHashTable          *receipt_parts;    /* part number → text */
  GtkMediaStream      *sounds[3];
  GtkNativeDialog     *chooser;
  XdpPortal           *portal;
  GString             *burst;
  GtkEditable         *burst_editable;   /* weak */

  WtScanMode           mode;
  guint                receipt_n_parts;
  guint                n_scans;
  guint                n_running;        /* worker calls in flight */
  gboolean             scanning;
  gboolean             filling_manifests;
  gboolean             camera_wanted;

  /* Scanner burst (see the comment at the top) */
  guint32              burst_last_ms;
  guint                burst_keys;       /* printable keys in the burst */
  guint                burst_line_keys;  /* ... since the last Enter */
  guint                burst_inserted;   /* chars that reached burst_editable */
  int                  burst_position;   /* where they went */
  guint                burst_timeout;
};

G_DEFINE_FINAL_TYPE (WtScanView, wt_scan_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LEDGER,
  PROP_MODE,
  N_PROPS
};

enum {
  ADD_TOAST,
  LEDGER_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void run_next_scan (WtScanView *self);
static void reconcile (WtScanView *self);
static void load_manifests (WtScanView *self);
static void submit_scan (WtScanView *self,
                         const char *text,
                         gsize       length,
                         ScanSource  source);

/* ---- Small things ------------------------------------------------------------ */

/* Takes ownership of @toast. */
static void
add_toast (WtScanView *self,
           AdwToast   *toast)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
}

static GtkWindow *
get_window (WtScanView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static char *
display_code (WtScanView *self,
              const char *code)
{
  char *display = NULL;

  if (self->site != NULL)
    display = wt_code_to_display (&self->site->split, code);
  return display != NULL ? display : g_strdup (code);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static WtManifest *
current_manifest (WtScanView *self)
{
  if (self->mode == WT_SCAN_SHIP)
    return self->ship_manifest;
  if (self->mode == WT_SCAN_RECEIVE)
    return self->receive_manifest;
  return NULL;
}

static GPtrArray *
items_for (WtScanView *self,
           const char *manifest_id)
{
  GPtrArray *items = g_hash_table_lookup (self->manifest_items, manifest_id);

  if (items == NULL)
    {
      items = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_scan_item_free);
      g_hash_table_insert (self->manifest_items, g_strdup (manifest_id), items);
    }
  return items;
}

static WtScanItem *
find_item (GPtrArray  *items,
           const char *code)
{
  for (guint i = 0; i < items->len; i++)
    {
      WtScanItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (item->code, code) == 0)
        return item;
    }
  return NULL;
}

static void
work_started (WtScanView *self)
{
  self->n_running++;
}

static void
work_done (WtScanView *self)
{
  g_assert (self->n_running > 0);
  self->n_running--;
}

/* ---- Verdict banner and sound ------------------------------------------------------ */

static const char * const verdict_classes[] = {
  "wt-verdict-ok", "wt-verdict-warning", "wt-verdict-refused", "wt-verdict-idle", "wt-verdict-info",
};

typedef enum
{
  BANNER_OK = WT_VERDICT_OK,
  BANNER_WARNING = WT_VERDICT_WARNING,
  BANNER_REFUSED = WT_VERDICT_REFUSED,
  BANNER_IDLE,
  BANNER_INFO,
} BannerStyle;

static void
play_sound (WtScanView     *self,
            WtVerdictClass  verdict)
{
  static const char * const files[] = { "scan-ok.wav", "scan-warning.wav", "scan-refused.wav" };
  GtkMediaStream *stream;

  if (!g_settings_get_boolean (self->settings, "scan-sound"))
    return;

  g_assert ((guint) verdict < G_N_ELEMENTS (files));
  if (self->sounds[verdict] == NULL)
    {
      g_autofree char *path = g_strdup_printf ("/org/wastetag/Wastetag/sounds/%s", files[verdict]);

      self->sounds[verdict] = gtk_media_file_new_for_resource (path);
    }
  stream = self->sounds[verdict];
  /* Without a GTK media backend the stream only reports an error; the
   * banner still says everything. */
  if (gtk_media_stream_get_error (stream) != NULL)
    return;
  gtk_media_stream_seek (stream, 0);
  gtk_media_stream_play (stream);
}

static void
set_banner (WtScanView  *self,
            BannerStyle  style,
            const char  *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (verdict_classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), verdict_classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), verdict_classes[style]);
  gtk_label_set_text (self->verdict_label, text);
}

static void
show_verdict (WtScanView     *self,
              WtVerdictClass  verdict,
              const char     *text)
{
  set_banner (self, (BannerStyle) verdict, text);
  wt_scan_preview_set_verdict (self->preview, verdict);
  play_sound (self, verdict);
}

static void
show_idle_banner (WtScanView *self)
{
  const char *text;

  switch (self->mode)
    {
    case WT_SCAN_STORE:
      text = _("Store: scan the containers going into the facility.");
      break;
    case WT_SCAN_SHIP:
      text = self->ship_manifest != NULL
               ? _("Ship: scan every container as it is loaded.")
               : _("Ship: create or open a transfer manifest first.");
      break;
    case WT_SCAN_RECEIVE:
      text = self->receive_manifest != NULL
               ? _("Receive: scan every container as it is unloaded.")
               : _("Receive: scan the QR code of the handover receipt first.");
      break;
    case WT_SCAN_TREAT:
      text = _("Treat: scan the containers being treated.");
      break;
    case WT_SCAN_LOOKUP:
    default:
      text = _("Ready: hold a label up to the camera or use the scanner.");
      break;
    }
  set_banner (self, BANNER_IDLE, text);
}

/* ---- Container card ---------------------------------------------------------------- */

static const char *
event_title (const char *kind)
{
  if (g_strcmp0 (kind, "labelled") == 0)
    return _("Labelled");
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
    return _("Rejected");
  if (g_strcmp0 (kind, "treated") == 0)
    return _("Treated");
  if (g_strcmp0 (kind, "weighed") == 0)
    return _("Weighed");
  if (g_strcmp0 (kind, "inspected") == 0)
    return _("Condition checked");
  return kind;
}

static GtkWidget *
event_row_new (const WtEvent *event)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (event->wall_ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autofree char *when = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup ("");
  g_autoptr(GString) subtitle = g_string_new (when);
  GtkWidget *row = adw_action_row_new ();

  if (event->actor != NULL && event->actor[0] != '\0')
    g_string_append_printf (subtitle, " · %s", event->actor);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), event_title (event->kind));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  return row;
}

static void
set_row_value (AdwActionRow *row,
               const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && value[0] != '\0' ? value : "—");
}

static void
show_card (WtScanView        *self,
           const WtContainer *c,
           GPtrArray         *events,
           const char        *manifest_number)
{
  GtkLabel *marks[WT_N_HAZARDS] = {
    self->hazard_t_label, self->hazard_c_label, self->hazard_i_label, self->hazard_r_label, self->hazard_in_label,
  };
  g_autofree char *display = display_code (self, c->code);
  g_autofree char *waste = NULL;
  g_autofree char *weight = c->weight_kg >= 0 ? g_strdup_printf (_("%g kg"), c->weight_kg) : NULL;
  g_autoptr(GString) where = g_string_new (NULL);

  if (c->common_name != NULL && c->common_name[0] != '\0')
    waste = g_strdup_printf ("%s  %s (%s)", c->waste_code, c->waste_name != NULL ? c->waste_name : "", c->common_name);
  else
    waste = g_strdup_printf ("%s  %s", c->waste_code, c->waste_name != NULL ? c->waste_name : "");

  gtk_label_set_text (self->card_code_label, display);
  gtk_label_set_text (self->card_waste_label, waste);
  for (guint n = 0; n < WT_N_HAZARDS; n++)
    {
      if (c->hazards & wt_hazard_nth (n))
        gtk_widget_add_css_class (GTK_WIDGET (marks[n]), "wt-hazard-set");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (marks[n]), "wt-hazard-set");
    }

  set_row_value (self->card_state_row, wt_container_state_to_string (c->state));
  if (c->facility != NULL && c->facility[0] != '\0'
      && (c->state == WT_CONTAINER_STORED || c->state == WT_CONTAINER_LABELLED))
    g_string_append_printf (where, _("Facility %s"), c->facility);
  if (manifest_number != NULL)
    {
      if (where->len > 0)
        g_string_append (where, " · ");
      g_string_append_printf (where, _("Manifest %s"), manifest_number);
    }
  if (c->predecessor_unknown)
    {
      if (where->len > 0)
        g_string_append (where, " · ");
      g_string_append (where, _("history to come with sync"));
    }
  set_row_value (self->card_where_row, where->str);
  set_row_value (self->card_weight_row, weight);

  clear_list (self->events_list);
  if (events != NULL)
    for (guint i = events->len; i > 0 && events->len - i < N_EVENTS; i--)
      gtk_list_box_append (self->events_list, event_row_new (g_ptr_array_index (events, i - 1)));

  gtk_stack_set_visible_child_name (self->card_stack, "card");
}

/* ---- Mode lists (Store, Treat) ------------------------------------------------------- */

static void
update_buttons_cb (WtScanView *self)
{
  g_autofree char *store = NULL;
  g_autofree char *treat = NULL;
  g_autofree char *facility = NULL;
  WtManifest *m = current_manifest (self);
  gboolean have_card = self->container != NULL && self->ledger != NULL;

  if (self->store_button == NULL)
    return;

  store = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Store %u Container", "_Store %u Containers",
                                        self->store_codes->len),
                           self->store_codes->len);
  treat = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Record _Treatment of %u Container",
                                        "Record _Treatment of %u Containers", self->treat_codes->len),
                           self->treat_codes->len);
  gtk_button_set_label (self->store_button, store);
  gtk_button_set_label (self->treat_button, treat);

  facility = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->facility_row))));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.store",
                                 self->ledger != NULL && self->store_codes->len > 0 && facility[0] != '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.treat",
                                 self->ledger != NULL && self->treat_codes->len > 0
                                 && self->methods != NULL && self->methods->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.confirm-handover",
                                 self->ledger != NULL && m != NULL && !m->confirmed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.print-receipt",
                                 self->ledger != NULL && m != NULL && m->confirmed
                                 && m->direction == WT_MANIFEST_OUTGOING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.send-receipt-to-printer",
                                 self->ledger != NULL && m != NULL && m->confirmed
                                 && m->direction == WT_MANIFEST_OUTGOING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.check-condition", have_card);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "scan.weigh", have_card);
}

static void
fill_code_list (WtScanView *self,
                GtkListBox *list,
                GPtrArray  *codes)
{
  clear_list (list);
  for (guint i = 0; i < codes->len; i++)
    {
      const char *code = g_ptr_array_index (codes, i);
      g_autofree char *display = display_code (self, code);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_from_icon_name ("edit-delete-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display);
      gtk_widget_add_css_class (row, "wt-code-row");
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Take off the list"));
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "wt-item-button");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "scan.remove-item");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", code);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      gtk_list_box_append (list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (list), codes->len > 0);
}

static void
refresh_lists (WtScanView *self)
{
  WtManifest *m = current_manifest (self);

  fill_code_list (self, self->store_list, self->store_codes);
  fill_code_list (self, self->treat_list, self->treat_codes);
  if (m != NULL)
    wt_scan_manifest_panel_set_items (self->manifest_panel, items_for (self, m->id));
  update_buttons_cb (self);
}

static gboolean
codes_contain (GPtrArray  *codes,
               const char *code)
{
  for (guint i = 0; i < codes->len; i++)
    if (g_strcmp0 (g_ptr_array_index (codes, i), code) == 0)
      return TRUE;
  return FALSE;
}

/* ---- Scanning ------------------------------------------------------------------------ */

typedef struct
{
  char       *text;
  gsize       length;
  ScanSource  source;
} Request;

static void
request_free (gpointer pointer)
{
  Request *request = pointer;

  g_free (request->text);
  g_free (request);
}

typedef struct
{
  WtLedger         *ledger;
  WtScanMode        mode;
  char             *context;
  char             *text;
  gsize             length;
  ScanSource        source;
  WtScanResult     *result;
  GPtrArray        *events;
  char             *manifest_number;
  WtReconciliation *rec;
} ScanJob;

static void
scan_job_free (gpointer pointer)
{
  ScanJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->context);
  g_free (job->text);
  g_clear_pointer (&job->result, wt_scan_result_free);
  g_clear_pointer (&job->events, g_ptr_array_unref);
  g_free (job->manifest_number);
  g_clear_pointer (&job->rec, wt_reconciliation_free);
  g_free (job);
}

/* The container's last events and the number of the manifest it moved
 * under, for the card. Worker thread. */
static void
load_card_data (WtLedger           *ledger,
                const WtContainer  *c,
                GPtrArray         **out_events,
                char              **out_manifest_number)
{
  *out_events = wt_ledger_container_events (ledger, c->code, NULL);
  if (c->manifest_id != NULL)
    {
      g_autoptr(WtManifest) m = wt_ledger_get_manifest (ledger, c->manifest_id, NULL);

      if (m != NULL)
        *out_manifest_number = g_strdup (wt_manifest_get_display_number (m));
    }
}

static gpointer
scan_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  ScanJob *job = data;

  job->result = wt_ledger_scan (job->ledger, job->mode, job->context, job->text, (gssize) job->length, error);
  if (job->result == NULL)
    return NULL;
  if (job->result->container != NULL)
    load_card_data (job->ledger, job->result->container, &job->events, &job->manifest_number);
  if (job->context != NULL)
    job->rec = wt_ledger_reconcile (job->ledger, job->context, NULL);
  return GINT_TO_POINTER (TRUE);
}

static void
collect (WtScanView         *self,
         ScanJob            *job)
{
  const WtScanResult *r = job->result;

  switch (job->mode)
    {
    case WT_SCAN_STORE:
      if (r->verdict == WT_VERDICT_OK && r->code != NULL && !codes_contain (self->store_codes, r->code))
        g_ptr_array_add (self->store_codes, g_strdup (r->code));
      break;

    case WT_SCAN_TREAT:
      if (r->verdict == WT_VERDICT_OK && r->code != NULL && !codes_contain (self->treat_codes, r->code))
        g_ptr_array_add (self->treat_codes, g_strdup (r->code));
      break;

    case WT_SCAN_SHIP:
    case WT_SCAN_RECEIVE:
      if (r->counted && r->code != NULL && job->context != NULL)
        {
          GPtrArray *items = items_for (self, job->context);

          if (find_item (items, r->code) == NULL)
            g_ptr_array_add (items, wt_scan_item_new (r->code));
        }
      break;

    case WT_SCAN_LOOKUP:
    default:
      break;
    }
}

static void
scanned_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ScanJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  work_done (self);
  self->scanning = FALSE;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_verdict (self, WT_VERDICT_REFUSED, error->message);
      run_next_scan (self);
      return;
    }

  /* A keyboard-wedge scanner cannot type the Chinese on the payload's
   * first line, so the payload's check fails. Its ID line carries the
   * code with its own check character: judge that instead. */
  if (job->source == SOURCE_SCANNER && job->result->kind == WT_SCAN_RESULT_DAMAGED)
    {
      const char *id = strstr (job->text, "\nID:");

      if (id != NULL)
        {
          Request *retry = g_new0 (Request, 1);

          retry->text = g_strndup (id + 4, strcspn (id + 4, "\n"));
          retry->length = strlen (retry->text);
          retry->source = SOURCE_TYPED;
          g_queue_push_head (self->queue, retry);
          run_next_scan (self);
          return;
        }
    }

  self->n_scans++;
  show_verdict (self, job->result->verdict, job->result->message);

  if (job->result->container != NULL)
    {
      g_clear_pointer (&self->container, wt_container_free);
      self->container = g_steal_pointer (&job->result->container);
      show_card (self, self->container, job->events, job->manifest_number);
    }

  collect (self, job);
  if (job->rec != NULL && job->context != NULL)
    {
      WtManifest *m = current_manifest (self);

      if (m != NULL && g_strcmp0 (m->id, job->context) == 0)
        wt_scan_manifest_panel_set_reconciliation (self->manifest_panel, job->rec);
    }
  refresh_lists (self);
  run_next_scan (self);
}

static void
run_next_scan (WtScanView *self)
{
  Request *request;
  ScanJob *job;
  WtManifest *m;

  if (self->scanning || self->ledger == NULL)
    return;
  request = g_queue_pop_head (self->queue);
  if (request == NULL)
    return;

  m = current_manifest (self);
  if ((self->mode == WT_SCAN_SHIP || self->mode == WT_SCAN_RECEIVE) && m == NULL)
    {
      show_verdict (self, WT_VERDICT_REFUSED,
                    self->mode == WT_SCAN_SHIP
                      ? _("No manifest is open: create or open one, then scan the containers.")
                      : _("No receipt is loaded: scan the QR code of the handover receipt first."));
      request_free (request);
      run_next_scan (self);
      return;
    }

  job = g_new0 (ScanJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->mode = self->mode;
  job->context = m != NULL ? g_strdup (m->id) : NULL;
  job->text = g_steal_pointer (&request->text);
  job->length = request->length;
  job->source = request->source;
  request_free (request);

  self->scanning = TRUE;
  work_started (self);
  wt_worker_run_async (self, scan_thread, job, scan_job_free, NULL, self->cancellable, scanned_cb, NULL);
}

/* ---- Handover receipt parts ---------------------------------------------------------- */

typedef struct
{
  WtLedger   *ledger;
  GStrv       parts;
  WtManifest *manifest;
} ReceiptJob;

static void
receipt_job_free (gpointer pointer)
{
  ReceiptJob *job = pointer;

  g_clear_object (&job->ledger);
  g_strfreev (job->parts);
  g_clear_pointer (&job->manifest, wt_manifest_free);
  g_free (job);
}

static gpointer
load_receipt_thread (gpointer      data,
                     GCancellable *cancellable,
                     GError      **error)
{
  ReceiptJob *job = data;

  job->manifest = wt_ledger_load_receipt (job->ledger, (const char * const *) job->parts, error);
  return job->manifest != NULL ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
receipt_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ReceiptJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_verdict (self, WT_VERDICT_REFUSED, error->message);
      return;
    }

  g_clear_pointer (&self->receive_manifest, wt_manifest_free);
  self->receive_manifest = g_steal_pointer (&job->manifest);
  wt_scan_view_set_mode (self, "receive");
  show_verdict (self, WT_VERDICT_OK, _("Receipt loaded: scan every container as it is unloaded."));
  add_toast (self, adw_toast_new_format (_("Handover receipt of manifest %s loaded."),
                                         wt_manifest_get_display_number (self->receive_manifest)));
  load_manifests (self);
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
}

/* Collects the parts of a receipt ("PT:k/n"); loads it once all are read. */
static void
receipt_part (WtScanView *self,
              const char *text)
{
  const char *pt = strstr (text, "\nPT:");
  guint64 k = 0, n = 0;
  char *end = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  ReceiptJob *job;

  if (pt != NULL)
    {
      k = g_ascii_strtoull (pt + 4, &end, 10);
      if (end != NULL && *end == '/')
        n = g_ascii_strtoull (end + 1, NULL, 10);
    }
  if (k == 0 || n == 0 || k > n || n > 1000)
    {
      /* Let the ledger say what is wrong with it. */
      k = n = 1;
    }

  if (self->receipt_n_parts != n)
    {
      g_hash_table_remove_all (self->receipt_parts);
      self->receipt_n_parts = (guint) n;
    }
  g_hash_table_replace (self->receipt_parts, GUINT_TO_POINTER ((guint) k), g_strdup (text));

  if (g_hash_table_size (self->receipt_parts) < n)
    {
      g_autofree char *message = g_strdup_printf (_("Receipt part %u of %u read: scan the next part."),
                                                  g_hash_table_size (self->receipt_parts), (guint) n);

      set_banner (self, BANNER_INFO, message);
      play_sound (self, WT_VERDICT_OK);
      return;
    }

  builder = g_strv_builder_new ();
  for (guint i = 1; i <= n; i++)
    g_strv_builder_add (builder, g_hash_table_lookup (self->receipt_parts, GUINT_TO_POINTER (i)));
  g_hash_table_remove_all (self->receipt_parts);
  self->receipt_n_parts = 0;

  if (self->ledger == NULL)
    return;
  job = g_new0 (ReceiptJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->parts = g_strv_builder_end (builder);
  work_started (self);
  wt_worker_run_async (self, load_receipt_thread, job, receipt_job_free, NULL, self->cancellable,
                       receipt_loaded_cb, NULL);
}

/* Every input ends here. */
static void
submit_scan (WtScanView *self,
             const char *text,
             gsize       length,
             ScanSource  source)
{
  g_autofree char *key = g_strndup (text, length);
  gint64 now = g_get_monotonic_time ();
  gint64 hold_us = (gint64) g_settings_get_uint (self->settings, "duplicate-hold-seconds") * G_USEC_PER_SEC;
  gpointer last;
  Request *request;

  if (length == 0)
    return;

  /* Not counted twice: the camera holds repeats itself, the other inputs
   * are held here, and a camera read followed by the scanner too. A code in
   * an image someone opened on purpose is always judged. */
  if (source != SOURCE_IMAGE && hold_us > 0
      && g_hash_table_lookup_extended (self->recent, key, NULL, &last)
      && now - *(gint64 *) last < hold_us)
    {
      g_debug ("held back a repeat within %" G_GINT64_FORMAT " s", hold_us / G_USEC_PER_SEC);
      return;
    }
  g_hash_table_replace (self->recent, g_strdup (key), g_memdup2 (&now, sizeof now));

  if (g_str_has_prefix (key, "WTR"))
    {
      receipt_part (self, key);
      return;
    }

  request = g_new0 (Request, 1);
  request->text = g_steal_pointer (&key);
  request->length = length;
  request->source = source;
  g_queue_push_tail (self->queue, request);
  run_next_scan (self);
}

static void
scan_entry_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->code_entry))));

  if (text[0] == '\0')
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
      return;
    }
  submit_scan (self, text, strlen (text), SOURCE_TYPED);
  gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
}

static void
code_activate_cb (WtScanView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "scan.scan-entry", NULL);
}

static void
focus_entry_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (WT_SCAN_VIEW (widget)->code_entry));
}

/* ---- Handheld scanner ---------------------------------------------------------------- */

static void
burst_reset (WtScanView *self)
{
  g_clear_handle_id (&self->burst_timeout, g_source_remove);
  g_string_truncate (self->burst, 0);
  self->burst_keys = 0;
  self->burst_line_keys = 0;
  self->burst_inserted = 0;
  self->burst_position = 0;
  g_clear_weak_pointer (&self->burst_editable);
}

/* Takes the burst's characters back out of the text field they went into. */
static void
burst_unwind_editable (WtScanView *self)
{
  GtkEditable *editable = self->burst_editable;
  g_autofree char *inserted = NULL;
  g_autoptr(GString) typed = NULL;
  const char *text;
  int start = self->burst_position;
  int end = start + (int) self->burst_inserted;

  if (editable == NULL || self->burst_inserted == 0)
    return;

  /* What reached the field: the burst without its Enters. */
  typed = g_string_new (NULL);
  for (const char *p = self->burst->str; *p != '\0'; p++)
    if (*p != '\n')
      g_string_append_c (typed, *p);

  text = gtk_editable_get_text (editable);
  if ((int) g_utf8_strlen (text, -1) < end)
    return;
  inserted = gtk_editable_get_chars (editable, start, end);
  if (g_strcmp0 (inserted, typed->str) == 0)
    gtk_editable_delete_text (editable, start, end);
}

static void
burst_finish (WtScanView *self)
{
  g_autofree char *text = NULL;
  char *last_newline;

  g_clear_handle_id (&self->burst_timeout, g_source_remove);

  /* Keys after the last Enter were not part of the scan. */
  last_newline = strrchr (self->burst->str, '\n');
  if (last_newline == NULL)
    {
      burst_reset (self);
      return;
    }
  text = g_strndup (self->burst->str, last_newline - self->burst->str);
  if (last_newline[1] != '\0')
    {
      g_string_truncate (self->burst, last_newline - self->burst->str + 1);
      self->burst_inserted -= g_utf8_strlen (last_newline + 1, -1);
    }
  burst_unwind_editable (self);
  burst_reset (self);

  g_debug ("scanner burst of %zu bytes", strlen (text));
  submit_scan (self, text, strlen (text), SOURCE_SCANNER);
}

static gboolean
burst_timeout_cb (gpointer user_data)
{
  WtScanView *self = user_data;

  self->burst_timeout = 0;
  burst_finish (self);
  return G_SOURCE_REMOVE;
}

static gboolean
is_modifier (guint keyval)
{
  switch (keyval)
    {
    case GDK_KEY_Shift_L:
    case GDK_KEY_Shift_R:
    case GDK_KEY_Control_L:
    case GDK_KEY_Control_R:
    case GDK_KEY_Alt_L:
    case GDK_KEY_Alt_R:
    case GDK_KEY_Caps_Lock:
    case GDK_KEY_Shift_Lock:
    case GDK_KEY_ISO_Level3_Shift:
    case GDK_KEY_ISO_Level5_Shift:
    case GDK_KEY_Num_Lock:
    case GDK_KEY_Meta_L:
    case GDK_KEY_Meta_R:
    case GDK_KEY_Super_L:
    case GDK_KEY_Super_R:
      return TRUE;
    default:
      return FALSE;
    }
}

static GtkEditable *
focused_editable (WtScanView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus != NULL && GTK_IS_EDITABLE (focus) && gtk_editable_get_editable (GTK_EDITABLE (focus)))
    return GTK_EDITABLE (focus);
  return NULL;
}

static gboolean
handle_key (WtScanView *self,
            guint       keyval,
            guint32     time_ms)
{
  gunichar uc = gdk_keyval_to_unicode (keyval);
  gboolean enter = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;
  guint32 max_gap = g_settings_get_uint (self->settings, "scanner-burst-ms");
  gboolean continuing;
  char utf8[8];
  int len;

  if (is_modifier (keyval))
    return FALSE;

  if (!enter && (uc == 0 || !g_unichar_isprint (uc)))
    {
      /* Arrows, Backspace, Tab…: a person. */
      if (self->burst_timeout != 0)
        burst_finish (self);
      burst_reset (self);
      return FALSE;
    }

  continuing = self->burst->len > 0 && time_ms >= self->burst_last_ms
               && time_ms - self->burst_last_ms <= max_gap;

  if (!continuing)
    {
      /* A burst that already ended in Enter is complete; its timer may not
       * have fired yet (a busy main loop, or a test's synthetic times). */
      if (strchr (self->burst->str, '\n') != NULL)
        burst_finish (self);
      burst_reset (self);
    }
  self->burst_last_ms = time_ms;

  if (enter)
    {
      if (continuing && self->burst_line_keys >= MIN_BURST_KEYS)
        {
          g_string_append_c (self->burst, '\n');
          self->burst_line_keys = 0;
          g_clear_handle_id (&self->burst_timeout, g_source_remove);
          self->burst_timeout = g_timeout_add (2 * max_gap + 20, burst_timeout_cb, self);
          return TRUE;
        }
      /* An Enter of a person (or one that follows an empty line of a
       * multi-line burst, which continues it). */
      if (continuing && self->burst_line_keys == 0 && self->burst->len > 0)
        {
          g_string_append_c (self->burst, '\n');
          g_clear_handle_id (&self->burst_timeout, g_source_remove);
          self->burst_timeout = g_timeout_add (2 * max_gap + 20, burst_timeout_cb, self);
          return TRUE;
        }
      burst_reset (self);
      return FALSE;
    }

  if (self->burst->len == 0)
    {
      GtkEditable *editable = focused_editable (self);

      if (editable != NULL)
        {
          g_set_weak_pointer (&self->burst_editable, editable);
          self->burst_position = gtk_editable_get_position (editable);
        }
    }

  len = g_unichar_to_utf8 (uc, utf8);
  g_string_append_len (self->burst, utf8, len);
  self->burst_keys++;
  self->burst_line_keys++;
  if (self->burst_timeout != 0)
    {
      g_source_remove (self->burst_timeout);
      self->burst_timeout = g_timeout_add (2 * max_gap + 20, burst_timeout_cb, self);
    }

  /* The first key of any burst goes where it was meant to: nobody knows
   * yet whether a person or a scanner sent it. */
  if (self->burst_editable != NULL && GTK_EDITABLE (self->burst_editable) == focused_editable (self))
    {
      self->burst_inserted++;
      return FALSE;
    }
  return self->burst_keys > 1;
}

static gboolean
key_pressed_cb (WtScanView            *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK))
    return FALSE;
  return handle_key (self, keyval, gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller)));
}

/* ---- Images ---------------------------------------------------------------------------- */

typedef struct
{
  GFile     *file;
  GPtrArray *decoded;
} ImageJob;

static void
image_job_free (gpointer pointer)
{
  ImageJob *job = pointer;

  g_clear_object (&job->file);
  g_clear_pointer (&job->decoded, g_ptr_array_unref);
  g_free (job);
}

static gpointer
decode_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  ImageJob *job = data;
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autofree char *path = g_file_get_path (job->file);

  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Only files on this computer can be opened."));
      return NULL;
    }
  job->decoded = wt_decoder_decode_file (decoder, path, error);
  return job->decoded != NULL ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
decoded_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ImageJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, adw_toast_new (error->message));
      return;
    }

  if (job->decoded->len == 0)
    {
      g_autofree char *name = g_file_get_basename (job->file);

      add_toast (self, adw_toast_new_format (_("No QR code was found in %s."), name));
      return;
    }

  for (guint i = 0; i < job->decoded->len; i++)
    {
      const WtDecoded *decoded = g_ptr_array_index (job->decoded, i);

      submit_scan (self, decoded->text, decoded->length, SOURCE_IMAGE);
    }
}

static void
decode_file (WtScanView *self,
             GFile      *file)
{
  ImageJob *job = g_new0 (ImageJob, 1);

  job->file = g_object_ref (file);
  work_started (self);
  wt_worker_run_async (self, decode_thread, job, image_job_free, NULL, self->cancellable, decoded_cb, NULL);
}

static void
image_response_cb (WtScanView           *self,
                   int                   response,
                   GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_clear_object (&self->chooser);

  if (file != NULL)
    decode_file (self, file);
}

static void
choose_image (WtScanView *self,
              const char *title)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;

  chooser = gtk_file_chooser_native_new (title, get_window (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (images, _("Images"));
  gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);

  g_signal_connect_object (chooser, "response", G_CALLBACK (image_response_cb), self, G_CONNECT_SWAPPED);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

static void
open_image_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  choose_image (WT_SCAN_VIEW (widget), _("Open Image of a Label"));
}

static void
open_image_file_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  decode_file (WT_SCAN_VIEW (widget), file);
}

static gboolean
drop_cb (WtScanView    *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  GFile *file;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  file = g_value_get_object (value);
  if (file == NULL)
    return FALSE;
  decode_file (self, file);
  return TRUE;
}

/* ---- Camera -------------------------------------------------------------------------- */

static void start_camera (WtScanView *self);

static void
stop_camera (WtScanView *self)
{
  if (self->camera == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->camera, self);
  wt_camera_stop (self->camera);
  g_clear_object (&self->camera);
}

static void
frame_cb (WtScanView *self,
          GBytes     *rgb,
          int         width,
          int         height,
          int         stride,
          WtCamera   *camera)
{
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, rgb, stride);

  wt_scan_preview_set_texture (self->preview, texture);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->camera_stack), "preview") != 0)
    gtk_stack_set_visible_child_name (self->camera_stack, "preview");
}

static void
code_cb (WtScanView *self,
         const char *text,
         guint64     length,
         GVariant   *corners,
         int         width,
         int         height,
         WtCamera   *camera)
{
  gsize n = 0;
  const double *points = corners != NULL ? g_variant_get_fixed_array (corners, &n, sizeof (double)) : NULL;

  if (points != NULL && n == 8)
    wt_scan_preview_show_code (self->preview, points, width, height);
  submit_scan (self, text, (gsize) length, SOURCE_CAMERA);
}

static gboolean
stop_camera_cb (gpointer user_data)
{
  stop_camera (user_data);
  return G_SOURCE_REMOVE;
}

static void
camera_error_cb (WtScanView   *self,
                 const GError *error,
                 WtCamera     *camera)
{
  const char *title;
  g_autofree char *description = NULL;

  if (g_error_matches (error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_NO_CAMERA))
    title = _("No Camera");
  else if (g_error_matches (error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_BUSY))
    title = _("The Camera Is Busy");
  else if (g_error_matches (error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_DISCONNECTED))
    title = _("The Camera Was Unplugged");
  else
    title = _("The Camera Stopped");

  description = g_strdup_printf ("%s\n%s", error->message,
                                 _("The handheld scanner, the code field below and “Open Image…” still work."));
  adw_status_page_set_title (self->camera_status, title);
  adw_status_page_set_description (self->camera_status, description);
  gtk_stack_set_visible_child_name (self->camera_stack, "status");
  wt_scan_preview_set_texture (self->preview, NULL);

  /* The camera has stopped itself; let go of it so "Try Again" starts a
   * fresh one. Not from inside its own signal emission. */
  g_idle_add_full (G_PRIORITY_DEFAULT, stop_camera_cb, g_object_ref (self), g_object_unref);
}

static void
camera_started_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(WtScanView) self = user_data;

  /* Failures arrive as "error" too, where they are shown. */
  wt_camera_start_finish (WT_CAMERA (object), result, NULL);
}

static char *
dup_camera_source (WtScanView *self)
{
  g_autofree char *source = g_settings_get_string (self->settings, "camera-source");

  if (source[0] == '\0')
    {
      g_free (source);
      source = g_settings_get_string (self->settings, "camera-device");
    }
  return g_steal_pointer (&source);
}

static void start_camera_with (WtScanView *self,
                               const char *source);

/* Inside a Flatpak sandbox the v4l2 devices are not visible: ask the camera
 * portal for access, then read the camera through PipeWire. */
static void
portal_access_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(WtScanView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  int fd;

  if (!xdp_portal_access_camera_finish (XDP_PORTAL (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr(GError) denied = g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_NO_CAMERA,
                                                          _("Wastetag may not use the camera. Allow it in the system settings, or use the handheld scanner or Open Image."));

          camera_error_cb (self, denied, NULL);
        }
      return;
    }

  fd = xdp_portal_open_pipewire_remote_for_camera (XDP_PORTAL (object));
  if (fd < 0)
    {
      g_autoptr(GError) none = g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_NO_CAMERA,
                                                    _("No camera was found. Check that it is plugged in and that Wastetag may use it."));

      camera_error_cb (self, none, NULL);
      return;
    }

  /* The pipeline dups the descriptor; this one is ours to close. */
  source = wt_camera_pipewire_source (fd, 0);
  close (fd);
  start_camera_with (self, source);
}

static void
start_camera (WtScanView *self)
{
  g_autofree char *source = NULL;

  if (self->camera != NULL || !self->camera_wanted)
    return;

  source = dup_camera_source (self);
  if (source[0] == '\0' && wt_camera_is_sandboxed ())
    {
      GtkWindow *window = get_window (self);
      XdpParent *parent = window != NULL ? xdp_parent_new_gtk (window) : NULL;

      if (self->portal == NULL)
        self->portal = xdp_portal_new ();
      xdp_portal_access_camera (self->portal, parent, XDP_CAMERA_FLAG_NONE, self->cancellable,
                                portal_access_cb, g_object_ref (self));
      g_clear_pointer (&parent, xdp_parent_free);
      return;
    }

  start_camera_with (self, source);
}

static void
start_camera_with (WtScanView *self,
                   const char *source)
{
  if (self->camera != NULL || !self->camera_wanted)
    return;

  self->camera = wt_camera_new (source[0] != '\0' ? source : NULL);
  wt_camera_set_hold_time (self->camera, g_settings_get_uint (self->settings, "duplicate-hold-seconds") * 1000);
  g_signal_connect_object (self->camera, "frame", G_CALLBACK (frame_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->camera, "code", G_CALLBACK (code_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->camera, "error", G_CALLBACK (camera_error_cb), self, G_CONNECT_SWAPPED);
  wt_camera_start_async (self->camera, self->cancellable, camera_started_cb, g_object_ref (self));
}

static void
restart_camera (WtScanView *self)
{
  stop_camera (self);
  gtk_stack_set_visible_child_name (self->camera_stack, "preview");
  start_camera (self);
}

static void
retry_camera_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  restart_camera (WT_SCAN_VIEW (widget));
}

static void
camera_settings_changed_cb (WtScanView *self,
                            const char *key)
{
  if (g_strcmp0 (key, "duplicate-hold-seconds") == 0)
    {
      if (self->camera != NULL)
        wt_camera_set_hold_time (self->camera, g_settings_get_uint (self->settings, key) * 1000);
      return;
    }
  if (self->camera_wanted)
    restart_camera (self);
}

static void
choose_camera_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);

  /* Restarts through camera_settings_changed_cb. */
  g_settings_set_string (self->settings, "camera-device", g_variant_get_string (parameter, NULL));
  gtk_popover_popdown (self->camera_popover);
}

static GtkWidget *
camera_row_new (const char *name,
                const char *source,
                gboolean    current)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_opacity (check, current ? 1 : 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
  g_object_set_data_full (G_OBJECT (row), "wt-source", g_strdup (source), g_free);
  return row;
}

static void
camera_row_activated_cb (WtScanView    *self,
                         GtkListBoxRow *row)
{
  const char *source = g_object_get_data (G_OBJECT (row), "wt-source");

  if (source != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "scan.choose-camera", "s", source);
}

static gpointer
list_devices_thread (gpointer      data,
                     GCancellable *cancellable,
                     GError      **error)
{
  return wt_camera_list_devices ();
}

static void
devices_listed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  g_autoptr(GPtrArray) devices = NULL;
  g_autofree char *chosen = NULL;
  g_autofree char *pipeline = NULL;

  work_done (self);
  devices = wt_worker_run_finish (result, NULL);
  if (devices == NULL || self->camera_list == NULL)
    return;

  chosen = g_settings_get_string (self->settings, "camera-device");
  pipeline = g_settings_get_string (self->settings, "camera-source");
  clear_list (self->camera_list);
  gtk_list_box_append (self->camera_list, camera_row_new (_("First camera found"), "", chosen[0] == '\0'));
  for (guint i = 0; i < devices->len; i++)
    {
      const WtCameraDevice *device = g_ptr_array_index (devices, i);

      gtk_list_box_append (self->camera_list,
                           camera_row_new (device->display_name, device->source,
                                           g_strcmp0 (chosen, device->source) == 0));
    }

  if (pipeline[0] != '\0')
    {
      g_autofree char *note = g_strdup_printf (_("The camera-source setting overrides this choice: %s"), pipeline);

      gtk_label_set_text (self->camera_note_label, note);
    }
  else if (devices->len == 0)
    gtk_label_set_text (self->camera_note_label, _("No camera was found. Plug one in and open this menu again."));
  gtk_widget_set_visible (GTK_WIDGET (self->camera_note_label), pipeline[0] != '\0' || devices->len == 0);
}

static void
camera_popover_show_cb (WtScanView *self)
{
  work_started (self);
  wt_worker_run_async (self, list_devices_thread, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                       self->cancellable, devices_listed_cb, NULL);
}

static gboolean
focus_into_view_cb (gpointer user_data)
{
  WtScanView *self = user_data;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && self->code_entry != NULL
      && (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self))))
    gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
  return G_SOURCE_REMOVE;
}

static void
wt_scan_view_map (GtkWidget *widget)
{
  WtScanView *self = WT_SCAN_VIEW (widget);

  GTK_WIDGET_CLASS (wt_scan_view_parent_class)->map (widget);

  self->camera_wanted = TRUE;
  start_camera (self);
  /* The scanner works anywhere in the view: bring the keyboard focus in
   * (it is often still on the view switcher that brought us here). */
  g_idle_add_full (G_PRIORITY_DEFAULT, focus_into_view_cb, g_object_ref (self), g_object_unref);
  if (self->ledger != NULL)
    load_manifests (self);
}

static void
wt_scan_view_unmap (GtkWidget *widget)
{
  WtScanView *self = WT_SCAN_VIEW (widget);

  self->camera_wanted = FALSE;
  stop_camera (self);

  GTK_WIDGET_CLASS (wt_scan_view_parent_class)->unmap (widget);
}

/* ---- Modes ---------------------------------------------------------------------------- */

static void
apply_mode (WtScanView *self)
{
  WtManifest *m;

  switch (self->mode)
    {
    case WT_SCAN_STORE:
      gtk_stack_set_visible_child_name (self->mode_stack, "store");
      break;
    case WT_SCAN_TREAT:
      gtk_stack_set_visible_child_name (self->mode_stack, "treat");
      break;
    case WT_SCAN_SHIP:
    case WT_SCAN_RECEIVE:
      gtk_stack_set_visible_child_name (self->mode_stack, "manifest");
      break;
    case WT_SCAN_LOOKUP:
    default:
      gtk_stack_set_visible_child_name (self->mode_stack, "lookup");
      break;
    }

  gtk_button_set_label (self->scan_button, self->mode == WT_SCAN_LOOKUP ? _("_Look Up") : _("_Scan"));
  gtk_widget_set_visible (self->new_manifest_button, self->mode == WT_SCAN_SHIP);
  gtk_widget_set_visible (self->load_receipt_button, self->mode == WT_SCAN_RECEIVE);

  m = current_manifest (self);
  gtk_widget_set_visible (GTK_WIDGET (self->manifest_panel), m != NULL);
  wt_scan_manifest_panel_set_manifest (self->manifest_panel, m);
  if (self->mode == WT_SCAN_SHIP)
    gtk_label_set_text (self->manifest_hint_label,
                        m == NULL ? _("Create a transfer manifest, or choose an open one, then scan the containers onto it.")
                        : m->confirmed ? _("This manifest was handed over. Create a new one for more containers.")
                                       : _("Scans go to this manifest. Nothing is recorded until both parties confirm the handover."));
  else
    gtk_label_set_text (self->manifest_hint_label,
                        m != NULL ? _("Scans are checked against this receipt. Reject or weigh a container in the list below before confirming.")
                                  : _("Scan the QR code of the handover receipt (交接记录单) with the camera or the scanner, or open a photo of it."));

  load_manifests (self);
  if (m != NULL)
    reconcile (self);
  refresh_lists (self);
}

const char *
wt_scan_view_get_mode (WtScanView *self)
{
  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), NULL);

  return mode_names[self->mode];
}

void
wt_scan_view_set_mode (WtScanView *self,
                       const char *mode)
{
  g_return_if_fail (WT_IS_SCAN_VIEW (self));

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (mode, mode_names[i]) == 0)
      {
        if (self->mode == (WtScanMode) i)
          return;
        self->mode = (WtScanMode) i;
        apply_mode (self);
        show_idle_banner (self);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
        return;
      }
  g_warning ("unknown scan mode %s", mode);
}

/* ---- Manifests ---------------------------------------------------------------------- */

static gpointer
list_manifests_thread (gpointer      data,
                       GCancellable *cancellable,
                       GError      **error)
{
  return wt_ledger_list_manifests (WT_LEDGER (data), error);
}

static void
fill_manifests (WtScanView *self,
                GPtrArray  *all)
{
  WtManifest *current = current_manifest (self);
  WtManifestDirection direction = self->mode == WT_SCAN_RECEIVE ? WT_MANIFEST_INCOMING : WT_MANIFEST_OUTGOING;
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  guint selected = GTK_INVALID_LIST_POSITION;

  g_clear_pointer (&self->manifests, g_ptr_array_unref);
  self->manifests = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_manifest_free);

  for (guint i = 0; i < all->len; i++)
    {
      WtManifest *m = g_ptr_array_index (all, i);
      gboolean is_current = current != NULL && g_strcmp0 (current->id, m->id) == 0;

      if (m->direction != direction || (m->confirmed && !is_current))
        continue;
      if (is_current)
        selected = self->manifests->len;
      g_ptr_array_add (strings, g_strdup_printf ("%s · %s", wt_manifest_get_display_number (m),
                                                 direction == WT_MANIFEST_OUTGOING ? m->receiver : m->producer));
      g_ptr_array_add (self->manifests, g_ptr_array_steal_index (all, i));
      i--;
    }
  g_ptr_array_add (strings, NULL);

  self->filling_manifests = TRUE;
  gtk_string_list_splice (self->manifest_model, 0, g_list_model_get_n_items (G_LIST_MODEL (self->manifest_model)),
                          (const char * const *) strings->pdata);
  gtk_drop_down_set_selected (self->manifest_dropdown, selected);
  gtk_widget_set_sensitive (GTK_WIDGET (self->manifest_dropdown), self->manifests->len > 0);
  self->filling_manifests = FALSE;
}

static void
manifests_listed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  work_done (self);
  all = wt_worker_run_finish (result, &error);
  if (all == NULL || self->manifest_model == NULL)
    return;
  fill_manifests (self, all);
}

static void
load_manifests (WtScanView *self)
{
  if (self->ledger == NULL || (self->mode != WT_SCAN_SHIP && self->mode != WT_SCAN_RECEIVE))
    return;

  work_started (self);
  wt_worker_run_async (self, list_manifests_thread, g_object_ref (self->ledger), g_object_unref,
                       (GDestroyNotify) g_ptr_array_unref, self->cancellable, manifests_listed_cb, NULL);
}

static void
set_current_manifest (WtScanView *self,
                      WtManifest *manifest)
{
  if (self->mode == WT_SCAN_RECEIVE)
    {
      g_clear_pointer (&self->receive_manifest, wt_manifest_free);
      self->receive_manifest = manifest;
    }
  else
    {
      g_clear_pointer (&self->ship_manifest, wt_manifest_free);
      self->ship_manifest = manifest;
    }
  apply_mode (self);
  show_idle_banner (self);
}

static WtManifest *
manifest_copy (const WtManifest *m)
{
  WtManifest *copy = g_new0 (WtManifest, 1);

  *copy = *m;
  copy->id = g_strdup (m->id);
  copy->number = g_strdup (m->number);
  copy->draft_number = g_strdup (m->draft_number);
  copy->producer = g_strdup (m->producer);
  copy->producer_uscc = g_strdup (m->producer_uscc);
  copy->carrier = g_strdup (m->carrier);
  copy->vehicle = g_strdup (m->vehicle);
  copy->receiver = g_strdup (m->receiver);
  return copy;
}

static void
manifest_selected_cb (WtScanView *self)
{
  guint selected = gtk_drop_down_get_selected (self->manifest_dropdown);
  WtManifest *current = current_manifest (self);
  const WtManifest *chosen;

  if (self->filling_manifests || self->manifests == NULL || selected >= self->manifests->len)
    return;
  chosen = g_ptr_array_index (self->manifests, selected);
  if (current != NULL && g_strcmp0 (current->id, chosen->id) == 0)
    return;
  set_current_manifest (self, manifest_copy (chosen));
}

typedef struct
{
  WtLedger   *ledger;
  char       *id;
  WtManifest *manifest;
} OpenJob;

static void
open_job_free (gpointer pointer)
{
  OpenJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->id);
  g_clear_pointer (&job->manifest, wt_manifest_free);
  g_free (job);
}

static gpointer
open_manifest_thread (gpointer      data,
                      GCancellable *cancellable,
                      GError      **error)
{
  OpenJob *job = data;

  job->manifest = wt_ledger_get_manifest (job->ledger, job->id, error);
  return job->manifest != NULL ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
manifest_opened_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  OpenJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, adw_toast_new (error->message));
      return;
    }

  if (self->mode != WT_SCAN_SHIP && self->mode != WT_SCAN_RECEIVE)
    wt_scan_view_set_mode (self, job->manifest->direction == WT_MANIFEST_INCOMING ? "receive" : "ship");
  else if ((self->mode == WT_SCAN_RECEIVE) != (job->manifest->direction == WT_MANIFEST_INCOMING))
    wt_scan_view_set_mode (self, job->manifest->direction == WT_MANIFEST_INCOMING ? "receive" : "ship");
  set_current_manifest (self, g_steal_pointer (&job->manifest));
}

static void
open_manifest (WtScanView *self,
               const char *id)
{
  OpenJob *job;

  if (self->ledger == NULL)
    return;
  job = g_new0 (OpenJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->id = g_strdup (id);
  work_started (self);
  wt_worker_run_async (self, open_manifest_thread, job, open_job_free, NULL, self->cancellable,
                       manifest_opened_cb, NULL);
}

static void
open_manifest_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  open_manifest (WT_SCAN_VIEW (widget), g_variant_get_string (parameter, NULL));
}

typedef struct
{
  WtLedger         *ledger;
  char             *id;
  WtReconciliation *rec;
  WtManifest       *manifest;
} ReconcileJob;

static void
reconcile_job_free (gpointer pointer)
{
  ReconcileJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->id);
  g_clear_pointer (&job->rec, wt_reconciliation_free);
  g_clear_pointer (&job->manifest, wt_manifest_free);
  g_free (job);
}

static gpointer
reconcile_thread (gpointer      data,
                  GCancellable *cancellable,
                  GError      **error)
{
  ReconcileJob *job = data;

  job->manifest = wt_ledger_get_manifest (job->ledger, job->id, error);
  if (job->manifest == NULL)
    return NULL;
  job->rec = wt_ledger_reconcile (job->ledger, job->id, error);
  return job->rec != NULL ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
reconciled_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ReconcileJob *job = wt_worker_get_data (result);
  WtManifest *current;
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    return;

  current = current_manifest (self);
  if (current == NULL || g_strcmp0 (current->id, job->id) != 0)
    return;
  /* Confirmed since: keep the fresh copy. */
  current->confirmed = job->manifest->confirmed;
  current->confirmed_ms = job->manifest->confirmed_ms;
  wt_scan_manifest_panel_set_manifest (self->manifest_panel, current);
  wt_scan_manifest_panel_set_reconciliation (self->manifest_panel, job->rec);
  update_buttons_cb (self);
}

static void
reconcile (WtScanView *self)
{
  WtManifest *m = current_manifest (self);
  ReconcileJob *job;

  if (self->ledger == NULL || m == NULL)
    return;
  job = g_new0 (ReconcileJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->id = g_strdup (m->id);
  work_started (self);
  wt_worker_run_async (self, reconcile_thread, job, reconcile_job_free, NULL, self->cancellable, reconciled_cb, NULL);
}

/* New manifest */

typedef struct
{
  WtLedger   *ledger;
  char       *number;
  char       *carrier;
  char       *vehicle;
  char       *receiver;
  char       *receiver_licence;
  WtManifest *manifest;
} NewManifestJob;

static void
new_manifest_job_free (gpointer pointer)
{
  NewManifestJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->number);
  g_free (job->carrier);
  g_free (job->vehicle);
  g_free (job->receiver);
  g_free (job->receiver_licence);
  g_clear_pointer (&job->manifest, wt_manifest_free);
  g_free (job);
}

static gpointer
new_manifest_thread (gpointer      data,
                     GCancellable *cancellable,
                     GError      **error)
{
  NewManifestJob *job = data;

  job->manifest = wt_ledger_manifest_new_full (job->ledger, job->number, job->carrier, job->vehicle,
                                              job->receiver, job->receiver_licence, error);
  return job->manifest != NULL ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
manifest_created_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  NewManifestJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_verdict (self, WT_VERDICT_REFUSED, error->message);
      return;
    }

  add_toast (self, adw_toast_new_format (_("Manifest %s opened."), wt_manifest_get_display_number (job->manifest)));
  wt_scan_view_set_mode (self, "ship");
  set_current_manifest (self, g_steal_pointer (&job->manifest));
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
}

static char *
stripped (const char *text)
{
  return g_strstrip (g_strdup (text != NULL ? text : ""));
}

static void
manifest_dialog_response_cb (WtScanView           *self,
                             const char           *response,
                             WtScanManifestDialog *dialog)
{
  NewManifestJob *job;

  if (g_strcmp0 (response, "create") != 0 || self->ledger == NULL)
    return;

  job = g_new0 (NewManifestJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->number = stripped (wt_scan_manifest_dialog_get_number (dialog));
  job->carrier = stripped (wt_scan_manifest_dialog_get_carrier (dialog));
  job->vehicle = stripped (wt_scan_manifest_dialog_get_vehicle (dialog));
  job->receiver = stripped (wt_scan_manifest_dialog_get_receiver (dialog));
  job->receiver_licence = stripped (wt_scan_manifest_dialog_get_receiver_licence (dialog));
  gtk_widget_set_visible (GTK_WIDGET (dialog), FALSE);

  work_started (self);
  wt_worker_run_async (self, new_manifest_thread, job, new_manifest_job_free, NULL, self->cancellable,
                       manifest_created_cb, NULL);
}

static void
new_manifest_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  WtScanManifestDialog *dialog = wt_scan_manifest_dialog_new (get_window (self));

  g_signal_connect_object (dialog, "response", G_CALLBACK (manifest_dialog_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
receipt_dialog_response_cb (WtScanView       *self,
                            const char       *response,
                            AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "open") == 0)
    choose_image (self, _("Open Image of a Handover Receipt"));
}

static void
load_receipt_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  GtkWidget *dialog;

  wt_scan_view_set_mode (self, "receive");
  dialog = adw_message_dialog_new (get_window (self), _("Load a Handover Receipt"),
                                   _("Scan the QR code of the handover receipt (交接记录单) with the camera or the handheld scanner now; a receipt with several QR codes needs each of them. Or open a photo or scan of it."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "scan", _("_Scan It"),
                                    "open", _("_Open Image…"),
                                    NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "scan");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "scan");
  g_signal_connect_object (dialog, "response", G_CALLBACK (receipt_dialog_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Handover ------------------------------------------------------------------------ */

typedef struct
{
  WtLedger  *ledger;
  char      *manifest_id;
  char      *number;
  WtManifestDirection direction;
  guint      n_items;
  char      *names[2];
  char      *pins[2];
  GStrv      weight_off;   /* codes the receipt flagged */
} HandoverJob;

static void
handover_job_free (gpointer pointer)
{
  HandoverJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->manifest_id);
  g_free (job->number);
  for (guint i = 0; i < 2; i++)
    {
      g_free (job->names[i]);
      if (job->pins[i] != NULL)
        memset (job->pins[i], 0, strlen (job->pins[i]));
      g_free (job->pins[i]);
    }
  g_strfreev (job->weight_off);
  g_free (job);
}

/* The receiving site records a weight discrepancy in each received event;
 * the core reports nothing else about it, so look there. Worker thread. */
static GStrv
find_weight_discrepancies (WtLedger   *ledger,
                           const char *manifest_id)
{
  g_autoptr(WtReconciliation) rec = wt_ledger_reconcile (ledger, manifest_id, NULL);
  g_autoptr(GStrvBuilder) off = g_strv_builder_new ();
  g_autoptr(GPtrArray) containers = NULL;

  containers = wt_ledger_list_containers (ledger, 0, 0, NULL);
  for (guint i = 0; containers != NULL && i < containers->len; i++)
    {
      const WtContainer *c = g_ptr_array_index (containers, i);
      g_autoptr(GPtrArray) events = NULL;
      const WtEvent *last;
      g_autoptr(JsonParser) parser = NULL;
      JsonNode *root;

      if (g_strcmp0 (c->manifest_id, manifest_id) != 0)
        continue;
      events = wt_ledger_container_events (ledger, c->code, NULL);
      if (events == NULL || events->len == 0)
        continue;
      last = g_ptr_array_index (events, events->len - 1);
      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, last->payload, -1, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)
          && json_object_get_boolean_member_with_default (json_node_get_object (root), "weight_discrepancy", FALSE))
        g_strv_builder_add (off, c->code);
    }
  (void) rec;
  return g_strv_builder_end (off);
}

static gpointer
handover_thread (gpointer      data,
                 GCancellable *cancellable,
                 GError      **error)
{
  HandoverJob *job = data;
  WtParty parties[2];

  for (guint i = 0; i < 2; i++)
    {
      parties[i].name = job->names[i];
      parties[i].pin = job->pins[i];
    }
  if (!wt_ledger_confirm_handover (job->ledger, job->manifest_id, parties, 2, error))
    return NULL;
  if (job->direction == WT_MANIFEST_INCOMING)
    job->weight_off = find_weight_discrepancies (job->ledger, job->manifest_id);
  return GINT_TO_POINTER (TRUE);
}

static void reload_card (WtScanView *self);
static void open_handover_dialog (WtScanView *self,
                                  const char *first,
                                  const char *second,
                                  const char *error_message);

static void
handover_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  HandoverJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  WtManifest *m;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          show_verdict (self, WT_VERDICT_REFUSED, error->message);
          open_handover_dialog (self, job->names[0], job->names[1], error->message);
        }
      return;
    }

  m = current_manifest (self);
  if (m != NULL && g_strcmp0 (m->id, job->manifest_id) == 0)
    m->confirmed = TRUE;

  if (job->weight_off != NULL && job->weight_off[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", job->weight_off);
      g_autofree char *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "Handed over, but the weight of %s is off from the shipped weight.",
                                                               "Handed over, but the weights of %s are off from the shipped weights.",
                                                               g_strv_length (job->weight_off)),
                                                  list);

      show_verdict (self, WT_VERDICT_WARNING, message);
    }
  else
    show_verdict (self, WT_VERDICT_OK,
                  job->direction == WT_MANIFEST_OUTGOING
                    ? _("Handed over: the containers are on their way.")
                    : _("Received: the handover is recorded."));

  add_toast (self, adw_toast_new_format (_("Handover of manifest %s confirmed."), job->number));
  apply_mode (self);
  reload_card (self);
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
}

static void
handover_response_cb (WtScanView           *self,
                      const char           *response,
                      WtScanHandoverDialog *dialog)
{
  WtManifest *m = current_manifest (self);
  WtParty parties[2];
  HandoverJob *job;

  if (g_strcmp0 (response, "confirm") != 0 || m == NULL || self->ledger == NULL)
    return;

  wt_scan_handover_dialog_get_parties (dialog, parties);
  job = g_new0 (HandoverJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->manifest_id = g_strdup (m->id);
  job->number = g_strdup (wt_manifest_get_display_number (m));
  job->direction = m->direction;
  for (guint i = 0; i < 2; i++)
    {
      job->names[i] = stripped (parties[i].name);
      job->pins[i] = g_strdup (parties[i].pin);
    }
  gtk_widget_set_visible (GTK_WIDGET (dialog), FALSE);

  work_started (self);
  wt_worker_run_async (self, handover_thread, job, handover_job_free, NULL, self->cancellable, handover_done_cb, NULL);
}

static void
open_handover_dialog (WtScanView *self,
                      const char *first,
                      const char *second,
                      const char *error_message)
{
  WtManifest *m = current_manifest (self);
  GPtrArray *items;
  WtScanHandoverDialog *dialog;

  if (m == NULL)
    return;
  items = items_for (self, m->id);
  dialog = wt_scan_handover_dialog_new (get_window (self), m->direction, wt_manifest_get_display_number (m),
                                        items->len);
  if (first != NULL || second != NULL)
    wt_scan_handover_dialog_set_names (dialog, first, second);
  wt_scan_handover_dialog_set_error (dialog, error_message);
  g_signal_connect_object (dialog, "response", G_CALLBACK (handover_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
confirm_handover_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  open_handover_dialog (WT_SCAN_VIEW (widget), NULL, NULL, NULL);
}

/* Receipt PDF */

typedef struct
{
  WtLedger *ledger;
  char     *manifest_id;
  GFile    *file;
} ReceiptPdfJob;

static void
receipt_pdf_job_free (gpointer pointer)
{
  ReceiptPdfJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->manifest_id);
  g_clear_object (&job->file);
  g_free (job);
}

static gpointer
write_receipt_thread (gpointer      data,
                      GCancellable *cancellable,
                      GError      **error)
{
  ReceiptPdfJob *job = data;
  g_autofree char *path = g_file_get_path (job->file);

  if (!wt_ledger_write_receipt (job->ledger, job->manifest_id, path, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
receipt_written_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ReceiptPdfJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *name = NULL;
  AdwToast *toast;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, adw_toast_new (error->message));
      return;
    }

  folder = g_file_get_parent (job->file);
  uri = folder != NULL ? g_file_get_uri (folder) : NULL;
  name = g_file_get_basename (job->file);
  toast = adw_toast_new_format (_("Handover receipt saved as %s."), name);
  if (uri != NULL)
    {
      adw_toast_set_button_label (toast, _("Show _Folder"));
      adw_toast_set_action_name (toast, "win.show-folder");
      adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
    }
  add_toast (self, toast);
}

static void
write_receipt (WtScanView *self,
               GFile      *file)
{
  WtManifest *m = current_manifest (self);
  ReceiptPdfJob *job;

  if (self->ledger == NULL || m == NULL)
    return;
  job = g_new0 (ReceiptPdfJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->manifest_id = g_strdup (m->id);
  job->file = g_object_ref (file);
  work_started (self);
  wt_worker_run_async (self, write_receipt_thread, job, receipt_pdf_job_free, NULL, self->cancellable,
                       receipt_written_cb, NULL);
}

static void
receipt_chooser_response_cb (WtScanView           *self,
                             int                   response,
                             GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    write_receipt (self, file);
}

static void
print_receipt_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  WtManifest *m = current_manifest (self);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) pdf = gtk_file_filter_new ();
  g_autofree char *name = NULL;

  if (m == NULL || self->chooser != NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Save Handover Receipt"), get_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (pdf, _("PDF document"));
  gtk_file_filter_add_mime_type (pdf, "application/pdf");
  gtk_file_filter_add_pattern (pdf, "*.pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), pdf);
  /* Translators: the default file name of a handover receipt; keep .pdf. */
  name = g_strdup_printf (_("receipt-%s.pdf"), wt_manifest_get_display_number (m));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_signal_connect_object (chooser, "response", G_CALLBACK (receipt_chooser_response_cb), self, G_CONNECT_SWAPPED);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

/* ---- Printing the receipt on paper --------------------------------------------------------- */

/* The receipt is already a PDF; CUPS prints PDF directly, so a print job
 * with the PDF as its source file reaches any printer, with the same
 * layout as the saved file. */
static void
receipt_print_done_cb (GtkPrintJob  *job,
                       gpointer      user_data,
                       const GError *error)
{
  g_autoptr(WtScanView) self = user_data;
  const char *path = g_object_get_data (G_OBJECT (job), "wt-receipt-path");

  if (error != NULL)
    add_toast (self, adw_toast_new_format (_("The receipt could not be printed: %s"), error->message));
  else
    add_toast (self, adw_toast_new (_("Handover receipt sent to the printer.")));
  if (path != NULL)
    g_unlink (path);
}

static void
print_dialog_response_cb (GtkDialog *dialog,
                          int        response,
                          gpointer   user_data)
{
  WtScanView *self = WT_SCAN_VIEW (user_data);
  const char *path = g_object_get_data (G_OBJECT (dialog), "wt-receipt-path");

  if (response == GTK_RESPONSE_OK && path != NULL)
    {
      GtkPrinter *printer = gtk_print_unix_dialog_get_selected_printer (GTK_PRINT_UNIX_DIALOG (dialog));
      GtkPrintSettings *settings = gtk_print_unix_dialog_get_settings (GTK_PRINT_UNIX_DIALOG (dialog));
      GtkPageSetup *setup = gtk_print_unix_dialog_get_page_setup (GTK_PRINT_UNIX_DIALOG (dialog));
      g_autoptr(GError) error = NULL;
      GtkPrintJob *job = gtk_print_job_new (_("Handover receipt"), printer, settings, setup);

      g_object_set_data_full (G_OBJECT (job), "wt-receipt-path", g_strdup (path), g_free);
      if (gtk_print_job_set_source_file (job, path, &error))
        gtk_print_job_send (job, receipt_print_done_cb, g_object_ref (self), NULL);
      else
        {
          add_toast (self, adw_toast_new_format (_("The receipt could not be printed: %s"), error->message));
          g_unlink (path);
        }
      g_object_unref (job);
      g_object_unref (settings);
    }
  else if (path != NULL)
    g_unlink (path);

  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
receipt_for_printer_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ReceiptPdfJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GtkWidget *dialog;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, adw_toast_new (error->message));
      return;
    }

  path = g_file_get_path (job->file);
  dialog = gtk_print_unix_dialog_new (_("Print Handover Receipt"), get_window (self));
  gtk_print_unix_dialog_set_manual_capabilities (GTK_PRINT_UNIX_DIALOG (dialog),
                                                 GTK_PRINT_CAPABILITY_COPIES | GTK_PRINT_CAPABILITY_GENERATE_PDF);
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "wt-receipt-path", g_steal_pointer (&path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (print_dialog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
send_receipt_to_printer_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  WtManifest *m = current_manifest (self);
  g_autofree char *tmpl = g_build_filename (g_get_tmp_dir (), "wastetag-receipt-XXXXXX.pdf", NULL);
  ReceiptPdfJob *job;
  int fd;

  if (self->ledger == NULL || m == NULL)
    return;

  fd = g_mkstemp_full (tmpl, O_RDWR, 0600);
  if (fd < 0)
    {
      add_toast (self, adw_toast_new (_("No temporary file could be made for printing.")));
      return;
    }
  close (fd);

  job = g_new0 (ReceiptPdfJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->manifest_id = g_strdup (m->id);
  job->file = g_file_new_for_path (tmpl);
  work_started (self);
  wt_worker_run_async (self, write_receipt_thread, job, receipt_pdf_job_free, NULL, self->cancellable,
                       receipt_for_printer_cb, NULL);
}

static void
write_receipt_to_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  write_receipt (WT_SCAN_VIEW (widget), file);
}

/* ---- Store, treat ---------------------------------------------------------------------- */

typedef struct
{
  WtLedger  *ledger;
  WtScanMode mode;
  char      *what;    /* facility or method code */
  GStrv      codes;
} ActionJob;

static void
action_job_free (gpointer pointer)
{
  ActionJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->what);
  g_strfreev (job->codes);
  g_free (job);
}

static gpointer
action_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  ActionJob *job = data;
  gboolean ok;

  if (job->mode == WT_SCAN_STORE)
    ok = wt_ledger_store (job->ledger, job->what, (const char * const *) job->codes, error);
  else
    ok = wt_ledger_treat (job->ledger, job->what, (const char * const *) job->codes, error);
  return ok ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  ActionJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  GPtrArray *codes = job->mode == WT_SCAN_STORE ? self->store_codes : self->treat_codes;
  guint n = g_strv_length (job->codes);

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_verdict (self, WT_VERDICT_REFUSED, error->message);
      return;
    }

  /* Only what was recorded leaves the list; scans made meanwhile stay. */
  for (guint i = 0; job->codes[i] != NULL; i++)
    for (guint j = 0; j < codes->len; j++)
      if (g_strcmp0 (g_ptr_array_index (codes, j), job->codes[i]) == 0)
        {
          g_ptr_array_remove_index (codes, j);
          break;
        }
  refresh_lists (self);

  if (job->mode == WT_SCAN_STORE)
    add_toast (self, adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE, "%u container stored in %s.",
                                                        "%u containers stored in %s.", n),
                                           n, job->what));
  else
    add_toast (self, adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE, "Treatment of %u container recorded.",
                                                        "Treatment of %u containers recorded.", n),
                                           n));
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
}

static void
run_action (WtScanView *self,
            WtScanMode  mode,
            const char *what,
            GPtrArray  *codes)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  ActionJob *job;

  if (self->ledger == NULL || codes->len == 0)
    return;
  for (guint i = 0; i < codes->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (codes, i));

  job = g_new0 (ActionJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->mode = mode;
  job->what = g_strdup (what);
  job->codes = g_strv_builder_end (builder);
  work_started (self);
  wt_worker_run_async (self, action_thread, job, action_job_free, NULL, self->cancellable, action_done_cb, NULL);
}

static void
store_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  g_autofree char *facility = stripped (gtk_editable_get_text (GTK_EDITABLE (self->facility_row)));

  if (facility[0] == '\0')
    return;
  run_action (self, WT_SCAN_STORE, facility, self->store_codes);
}

static void
treat_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  guint selected = adw_combo_row_get_selected (self->method_row);
  const WtMethod *method;

  if (self->methods == NULL || selected >= self->methods->len)
    return;
  method = g_ptr_array_index (self->methods, selected);
  run_action (self, WT_SCAN_TREAT, method->code, self->treat_codes);
}

static void
remove_item_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  const char *code = g_variant_get_string (parameter, NULL);
  GPtrArray *lists[] = { self->store_codes, self->treat_codes };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      if (g_strcmp0 (g_ptr_array_index (lists[l], i), code) == 0)
        {
          g_ptr_array_remove_index (lists[l], i);
          break;
        }
  refresh_lists (self);
}

/* ---- Condition, weight, receipt items -------------------------------------------------- */

typedef enum
{
  CARD_INSPECT,
  CARD_WEIGH,
  CARD_SET_ITEM,
  CARD_RELOAD,
} CardOp;

typedef struct
{
  WtLedger    *ledger;
  CardOp       op;
  char        *code;
  char        *manifest_id;
  WtCondition  condition;
  double       weight_kg;
  gboolean     reject;
  char        *reason;
  WtContainer *container;
  GPtrArray   *events;
  char        *manifest_number;
} CardJob;

static void
card_job_free (gpointer pointer)
{
  CardJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->code);
  g_free (job->manifest_id);
  g_free (job->condition.reason);
  g_free (job->reason);
  g_clear_pointer (&job->container, wt_container_free);
  g_clear_pointer (&job->events, g_ptr_array_unref);
  g_free (job->manifest_number);
  g_free (job);
}

static gpointer
card_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  CardJob *job = data;
  gboolean ok = TRUE;

  switch (job->op)
    {
    case CARD_INSPECT:
      ok = wt_ledger_inspect (job->ledger, job->code, &job->condition, error);
      break;
    case CARD_WEIGH:
      ok = wt_ledger_weigh (job->ledger, job->code, job->weight_kg, error);
      break;
    case CARD_SET_ITEM:
      ok = wt_ledger_manifest_set_item (job->ledger, job->manifest_id, job->code, job->reject, job->reason,
                                        job->weight_kg, error);
      break;
    case CARD_RELOAD:
    default:
      break;
    }
  if (!ok)
    return NULL;

  job->container = wt_ledger_get_container (job->ledger, job->code, NULL);
  if (job->container != NULL)
    load_card_data (job->ledger, job->container, &job->events, &job->manifest_number);
  return GINT_TO_POINTER (TRUE);
}

static void
card_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  CardJob *job = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  g_autofree char *display = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_verdict (self, WT_VERDICT_REFUSED, error->message);
      return;
    }

  display = display_code (self, job->code);
  switch (job->op)
    {
    case CARD_INSPECT:
      add_toast (self, adw_toast_new_format (wt_condition_failed (&job->condition)
                                               ? _("Failed condition check of %s recorded.")
                                               : _("Condition check of %s recorded."),
                                             display));
      g_signal_emit (self, signals[LEDGER_CHANGED], 0);
      break;
    case CARD_WEIGH:
      add_toast (self, adw_toast_new_format (_("%s weighs %g kg."), display, job->weight_kg));
      g_signal_emit (self, signals[LEDGER_CHANGED], 0);
      break;
    case CARD_SET_ITEM:
      {
        WtScanItem *item = find_item (items_for (self, job->manifest_id), job->code);

        if (item != NULL)
          {
            item->reject = job->reject;
            g_free (item->reason);
            item->reason = g_strdup (job->reason);
            item->weight_kg = job->weight_kg;
          }
        refresh_lists (self);
        reconcile (self);
      }
      break;
    case CARD_RELOAD:
    default:
      break;
    }

  if (job->container != NULL && self->container != NULL && g_strcmp0 (self->container->code, job->code) == 0)
    {
      g_clear_pointer (&self->container, wt_container_free);
      self->container = g_steal_pointer (&job->container);
      show_card (self, self->container, job->events, job->manifest_number);
    }
}

static void
run_card_job (WtScanView *self,
              CardJob    *job)
{
  job->ledger = g_object_ref (self->ledger);
  work_started (self);
  wt_worker_run_async (self, card_thread, job, card_job_free, NULL, self->cancellable, card_done_cb, NULL);
}

/* The card's container changed state (a handover): show it as it is now. */
static void
reload_card (WtScanView *self)
{
  CardJob *job;

  if (self->container == NULL || self->ledger == NULL)
    return;
  job = g_new0 (CardJob, 1);
  job->op = CARD_RELOAD;
  job->code = g_strdup (self->container->code);
  run_card_job (self, job);
}

static void
condition_response_cb (WtScanView            *self,
                       const char            *response,
                       WtScanConditionDialog *dialog)
{
  CardJob *job;

  if (g_strcmp0 (response, "record") != 0 || self->container == NULL || self->ledger == NULL)
    return;

  job = g_new0 (CardJob, 1);
  job->op = CARD_INSPECT;
  job->code = g_strdup (self->container->code);
  wt_scan_condition_dialog_get_condition (dialog, &job->condition);
  gtk_widget_set_visible (GTK_WIDGET (dialog), FALSE);
  run_card_job (self, job);
}

static void
check_condition_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  g_autofree char *display = NULL;
  WtScanConditionDialog *dialog;

  if (self->container == NULL)
    return;
  display = display_code (self, self->container->code);
  dialog = wt_scan_condition_dialog_new (get_window (self), display);
  g_signal_connect_object (dialog, "response", G_CALLBACK (condition_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Parses a weight a person typed; a decimal comma is fine. */
static gboolean
parse_kg (const char *text,
          double     *out_kg)
{
  g_autofree char *copy = g_strstrip (g_strdelimit (g_strdup (text), ",", '.'));
  char *end = NULL;
  double kg;

  if (g_str_has_suffix (copy, "kg"))
    {
      copy[strlen (copy) - 2] = '\0';
      g_strstrip (copy);
    }
  kg = g_ascii_strtod (copy, &end);
  if (copy[0] == '\0' || end == copy || *end != '\0' || !isfinite (kg) || kg < 0)
    return FALSE;
  *out_kg = kg;
  return TRUE;
}

/* A message dialog with one entry; @response is enabled while @valid holds. */
typedef gboolean (*EntryCheck) (const char *text);

static gboolean
weight_is_valid (const char *text)
{
  double kg;

  return parse_kg (text, &kg);
}

static gboolean
reason_is_given (const char *text)
{
  g_autofree char *copy = stripped (text);

  return copy[0] != '\0';
}

static void
entry_dialog_changed_cb (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  EntryCheck check = g_object_get_data (G_OBJECT (dialog), "wt-check");

  adw_message_dialog_set_response_enabled (dialog, "confirm", check (gtk_editable_get_text (entry)));
}

static AdwMessageDialog *
entry_dialog_new (WtScanView *self,
                  const char *heading,
                  const char *body,
                  const char *placeholder,
                  const char *response_label,
                  EntryCheck  check)
{
  GtkWidget *dialog = adw_message_dialog_new (get_window (self), heading, body);
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "confirm", response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "confirm", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "wt-check", (gpointer) check);
  g_signal_connect (entry, "changed", G_CALLBACK (entry_dialog_changed_cb), dialog);
  return ADW_MESSAGE_DIALOG (dialog);
}

static const char *
entry_dialog_text (AdwMessageDialog *dialog)
{
  return gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)));
}

static void
weigh_response_cb (WtScanView       *self,
                   const char       *response,
                   AdwMessageDialog *dialog)
{
  const char *code = g_object_get_data (G_OBJECT (dialog), "wt-code");
  const char *manifest_id = g_object_get_data (G_OBJECT (dialog), "wt-manifest");
  CardJob *job;
  double kg;

  if (g_strcmp0 (response, "confirm") != 0 || self->ledger == NULL || !parse_kg (entry_dialog_text (dialog), &kg))
    return;

  job = g_new0 (CardJob, 1);
  job->code = g_strdup (code);
  job->weight_kg = kg;
  if (manifest_id != NULL)
    {
      WtScanItem *item = find_item (items_for (self, manifest_id), code);

      job->op = CARD_SET_ITEM;
      job->manifest_id = g_strdup (manifest_id);
      /* set_item replaces the whole decision: keep a rejection. */
      job->reject = item != NULL && item->reject;
      job->reason = item != NULL ? g_strdup (item->reason) : NULL;
    }
  else
    job->op = CARD_WEIGH;
  run_card_job (self, job);
}

static void
weigh_dialog (WtScanView *self,
              const char *code,
              const char *manifest_id)
{
  g_autofree char *display = display_code (self, code);
  AdwMessageDialog *dialog;

  dialog = entry_dialog_new (self, manifest_id != NULL ? _("Weight at Receipt") : _("Weigh Container"),
                             display, _("Weight in kg, e.g. 182.5"), _("_Record Weight"), weight_is_valid);
  gtk_entry_set_input_purpose (GTK_ENTRY (adw_message_dialog_get_extra_child (dialog)), GTK_INPUT_PURPOSE_NUMBER);
  g_object_set_data_full (G_OBJECT (dialog), "wt-code", g_strdup (code), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "wt-manifest", g_strdup (manifest_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (weigh_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
weigh_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);

  if (self->container != NULL)
    weigh_dialog (self, self->container->code, NULL);
}

static void
weigh_item_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  WtManifest *m = current_manifest (self);

  if (m != NULL)
    weigh_dialog (self, g_variant_get_string (parameter, NULL), m->id);
}

static void
set_item (WtScanView *self,
          const char *code,
          gboolean    reject,
          const char *reason)
{
  WtManifest *m = current_manifest (self);
  WtScanItem *item;
  CardJob *job;

  if (m == NULL || self->ledger == NULL)
    return;
  item = find_item (items_for (self, m->id), code);

  job = g_new0 (CardJob, 1);
  job->op = CARD_SET_ITEM;
  job->code = g_strdup (code);
  job->manifest_id = g_strdup (m->id);
  job->reject = reject;
  job->reason = g_strdup (reason);
  /* set_item replaces the whole decision: keep a weight. */
  job->weight_kg = item != NULL ? item->weight_kg : -1;
  run_card_job (self, job);
}

static void
reject_response_cb (WtScanView       *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  g_autofree char *reason = NULL;

  if (g_strcmp0 (response, "confirm") != 0)
    return;
  reason = stripped (entry_dialog_text (dialog));
  set_item (self, g_object_get_data (G_OBJECT (dialog), "wt-code"), TRUE, reason);
}

static void
reject_item_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WtScanView *self = WT_SCAN_VIEW (widget);
  const char *code = g_variant_get_string (parameter, NULL);
  g_autofree char *display = display_code (self, code);
  AdwMessageDialog *dialog;

  dialog = entry_dialog_new (self, _("Reject Container"), display,
                             _("Why it is refused, e.g. leaking drum"), _("_Reject"), reason_is_given);
  adw_message_dialog_set_response_appearance (dialog, "confirm", ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "wt-code", g_strdup (code), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reject_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
accept_item_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  set_item (WT_SCAN_VIEW (widget), g_variant_get_string (parameter, NULL), FALSE, NULL);
}

/* ---- Loading the ledger's site and methods ------------------------------------------- */

typedef struct
{
  WtLedger  *ledger;
  WtSite    *site;
  GPtrArray *methods;
} SiteJob;

static void
site_job_free (gpointer pointer)
{
  SiteJob *job = pointer;

  g_clear_object (&job->ledger);
  g_clear_pointer (&job->site, wt_site_free);
  g_clear_pointer (&job->methods, g_ptr_array_unref);
  g_free (job);
}

static gpointer
site_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  SiteJob *job = data;

  job->site = wt_ledger_dup_site (job->ledger, error);
  if (job->site == NULL)
    return NULL;
  job->methods = wt_ledger_list_methods (job->ledger, NULL);
  return GINT_TO_POINTER (TRUE);
}

static void
site_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  SiteJob *job = wt_worker_get_data (result);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  work_done (self);
  if (wt_worker_run_finish (result, &error) == NULL)
    return;

  g_clear_pointer (&self->site, wt_site_free);
  self->site = g_steal_pointer (&job->site);
  wt_scan_manifest_panel_set_split (self->manifest_panel, &self->site->split);
  if (gtk_editable_get_text (GTK_EDITABLE (self->facility_row))[0] == '\0' && self->site->facility != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->facility_row), self->site->facility);

  g_clear_pointer (&self->methods, g_ptr_array_unref);
  self->methods = job->methods != NULL ? g_steal_pointer (&job->methods)
                                       : g_ptr_array_new_with_free_func ((GDestroyNotify) wt_method_free);
  for (guint i = 0; i < self->methods->len; i++)
    {
      const WtMethod *method = g_ptr_array_index (self->methods, i);

      g_ptr_array_add (strings, g_strdup_printf ("%s %s", method->code, method->name));
    }
  g_ptr_array_add (strings, NULL);
  gtk_string_list_splice (self->method_model, 0, g_list_model_get_n_items (G_LIST_MODEL (self->method_model)),
                          (const char * const *) strings->pdata);
  refresh_lists (self);
  run_next_scan (self);
}

/* ---- GObject ----------------------------------------------------------------------------- */

static void
wt_scan_view_dispose (GObject *object)
{
  WtScanView *self = WT_SCAN_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  stop_camera (self);
  burst_reset (self);
  g_clear_object (&self->portal);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  for (guint i = 0; i < G_N_ELEMENTS (self->sounds); i++)
    g_clear_object (&self->sounds[i]);

  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_SCAN_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_scan_view_parent_class)->dispose (object);
}

static void
wt_scan_view_finalize (GObject *object)
{
  WtScanView *self = WT_SCAN_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_pointer (&self->site, wt_site_free);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->methods, g_ptr_array_unref);
  g_clear_pointer (&self->manifests, g_ptr_array_unref);
  g_clear_pointer (&self->ship_manifest, wt_manifest_free);
  g_clear_pointer (&self->receive_manifest, wt_manifest_free);
  g_clear_pointer (&self->manifest_items, g_hash_table_unref);
  g_clear_pointer (&self->store_codes, g_ptr_array_unref);
  g_clear_pointer (&self->treat_codes, g_ptr_array_unref);
  g_clear_pointer (&self->container, wt_container_free);
  g_clear_pointer (&self->recent, g_hash_table_unref);
  g_queue_free_full (self->queue, request_free);
  g_clear_pointer (&self->receipt_parts, g_hash_table_unref);
  g_string_free (self->burst, TRUE);

  G_OBJECT_CLASS (wt_scan_view_parent_class)->finalize (object);
}

static void
wt_scan_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  WtScanView *self = WT_SCAN_VIEW (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      g_value_set_object (value, self->ledger);
      break;

    case PROP_MODE:
      g_value_set_string (value, mode_names[self->mode]);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_scan_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  WtScanView *self = WT_SCAN_VIEW (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      wt_scan_view_set_ledger (self, g_value_get_object (value));
      break;

    case PROP_MODE:
      wt_scan_view_set_mode (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_scan_view_class_init (WtScanViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_scan_view_dispose;
  object_class->finalize = wt_scan_view_finalize;
  object_class->get_property = wt_scan_view_get_property;
  object_class->set_property = wt_scan_view_set_property;
  widget_class->map = wt_scan_view_map;
  widget_class->unmap = wt_scan_view_unmap;

  properties[PROP_LEDGER] =
    g_param_spec_object ("ledger", NULL, NULL, WT_TYPE_LEDGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODE] =
    g_param_spec_string ("mode", NULL, NULL, "lookup",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[LEDGER_CHANGED] =
    g_signal_new ("ledger-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (WT_TYPE_SCAN_PREVIEW);
  g_type_ensure (WT_TYPE_SCAN_MANIFEST_PANEL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-scan-view.ui");

  gtk_widget_class_bind_template_child (widget_class, WtScanView, key_controller);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, drop_target);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_stack);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, preview);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_status);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_popover);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, camera_note_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, code_entry);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, scan_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_stack);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_code_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_waste_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, hazard_t_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, hazard_c_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, hazard_i_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, hazard_r_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, hazard_in_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_state_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_where_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, card_weight_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, events_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, facility_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, store_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, store_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, method_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, method_model);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, treat_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, treat_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, manifest_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, manifest_model);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, new_manifest_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, load_receipt_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, manifest_hint_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanView, manifest_panel);

  gtk_widget_class_bind_template_callback (widget_class, key_pressed_cb);
  gtk_widget_class_bind_template_callback (widget_class, drop_cb);
  gtk_widget_class_bind_template_callback (widget_class, code_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, camera_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, camera_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_buttons_cb);
  gtk_widget_class_bind_template_callback (widget_class, manifest_selected_cb);

  gtk_widget_class_install_property_action (widget_class, "scan.mode", "mode");
  gtk_widget_class_install_action (widget_class, "scan.scan-entry", NULL, scan_entry_action);
  gtk_widget_class_install_action (widget_class, "scan.focus-entry", NULL, focus_entry_action);
  gtk_widget_class_install_action (widget_class, "scan.open-image", NULL, open_image_action);
  gtk_widget_class_install_action (widget_class, "scan.open-image-file", "s", open_image_file_action);
  gtk_widget_class_install_action (widget_class, "scan.load-receipt", NULL, load_receipt_action);
  gtk_widget_class_install_action (widget_class, "scan.new-manifest", NULL, new_manifest_action);
  gtk_widget_class_install_action (widget_class, "scan.open-manifest", "s", open_manifest_action);
  gtk_widget_class_install_action (widget_class, "scan.confirm-handover", NULL, confirm_handover_action);
  gtk_widget_class_install_action (widget_class, "scan.print-receipt", NULL, print_receipt_action);
  gtk_widget_class_install_action (widget_class, "scan.send-receipt-to-printer", NULL, send_receipt_to_printer_action);
  gtk_widget_class_install_action (widget_class, "scan.write-receipt-to", "s", write_receipt_to_action);
  gtk_widget_class_install_action (widget_class, "scan.store", NULL, store_action);
  gtk_widget_class_install_action (widget_class, "scan.treat", NULL, treat_action);
  gtk_widget_class_install_action (widget_class, "scan.check-condition", NULL, check_condition_action);
  gtk_widget_class_install_action (widget_class, "scan.weigh", NULL, weigh_action);
  gtk_widget_class_install_action (widget_class, "scan.reject-item", "s", reject_item_action);
  gtk_widget_class_install_action (widget_class, "scan.accept-item", "s", accept_item_action);
  gtk_widget_class_install_action (widget_class, "scan.weigh-item", "s", weigh_item_action);
  gtk_widget_class_install_action (widget_class, "scan.remove-item", "s", remove_item_action);
  gtk_widget_class_install_action (widget_class, "scan.choose-camera", "s", choose_camera_action);
  gtk_widget_class_install_action (widget_class, "scan.retry-camera", NULL, retry_camera_action);

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_CONTROL_MASK, "scan.mode", "s", mode_names[i]);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "scan.open-image", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "scan.focus-entry", NULL);
}

static void
ellipsized_setup_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
ellipsized_bind_cb (GtkSignalListItemFactory *factory,
                    GtkListItem              *item)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), gtk_string_object_get_string (string));
}

static void
wt_scan_view_init (WtScanView *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  self->manifest_items = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->store_codes = g_ptr_array_new_with_free_func (g_free);
  self->treat_codes = g_ptr_array_new_with_free_func (g_free);
  self->recent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->queue = g_queue_new ();
  self->receipt_parts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->burst = g_string_new (NULL);
  self->mode = WT_SCAN_LOOKUP;

  gtk_drop_target_set_gtypes (self->drop_target, (GType[]) { G_TYPE_FILE }, 1);

  /* Long manifest names must not widen the side bar. */
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (ellipsized_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (ellipsized_bind_cb), NULL);
  gtk_drop_down_set_factory (self->manifest_dropdown, factory);

  g_signal_connect_object (self->settings, "changed::camera-source", G_CALLBACK (camera_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::camera-device", G_CALLBACK (camera_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::duplicate-hold-seconds", G_CALLBACK (camera_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);

  apply_mode (self);
  show_idle_banner (self);
}

WtLedger *
wt_scan_view_get_ledger (WtScanView *self)
{
  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), NULL);

  return self->ledger;
}

void
wt_scan_view_set_ledger (WtScanView *self,
                         WtLedger   *ledger)
{
  SiteJob *job;

  g_return_if_fail (WT_IS_SCAN_VIEW (self));
  g_return_if_fail (ledger == NULL || WT_IS_LEDGER (ledger));

  if (!g_set_object (&self->ledger, ledger))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEDGER]);
  if (ledger == NULL)
    return;

  job = g_new0 (SiteJob, 1);
  job->ledger = g_object_ref (ledger);
  work_started (self);
  wt_worker_run_async (self, site_thread, job, site_job_free, NULL, self->cancellable, site_loaded_cb, NULL);
  load_manifests (self);
}

const char *
wt_scan_view_get_manifest_id (WtScanView *self)
{
  WtManifest *m;

  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), NULL);

  m = current_manifest (self);
  return m != NULL ? m->id : NULL;
}

guint
wt_scan_view_get_n_scans (WtScanView *self)
{
  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), 0);

  return self->n_scans;
}

gboolean
wt_scan_view_get_busy (WtScanView *self)
{
  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), FALSE);

  return self->n_running > 0 || self->scanning || !g_queue_is_empty (self->queue) || self->burst_timeout != 0;
}

gboolean
wt_scan_view_feed_key (WtScanView *self,
                       guint       keyval,
                       guint32     time_ms)
{
  g_return_val_if_fail (WT_IS_SCAN_VIEW (self), FALSE);

  return handle_key (self, keyval, time_ms);
}
