/* wt-sync-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The view keeps the state a person needs to trust the sync: when the last
 * one worked, what is still only on this device, and why the last attempt
 * failed, in a sentence. Nothing here blocks the main loop: the counts, the
 * connection file (it may talk to the keyring), the sync and the bundles run
 * on worker threads, and one job at a time touches the network or a stick.
 */
#define G_LOG_DOMAIN "wt-sync-view"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "wt-bundle.h"
#include "wt-error.h"
#include "wt-ledger-sync.h"
#include "wt-sync-view.h"
#include "wt-sync.h"
#include "wt-worker.h"

struct _WtSyncView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkImage       *status_icon;
  GtkLabel       *status_title;
  GtkLabel       *status_message;
  GtkButton      *sync_button;
  GtkStack       *sync_button_stack;
  AdwActionRow   *last_sync_row;
  GtkLabel       *last_sync_label;
  GtkLabel       *waiting_label;
  AdwActionRow   *anomalies_row;
  GtkLabel       *anomalies_label;
  AdwActionRow   *connection_row;
  AdwEntryRow    *since_row;
  AdwEntryRow    *trust_row;
  GtkLabel       *device_key_label;
  GtkLabel       *bundle_label;

  /* Owned */
  WtLedger       *ledger;
  GSettings      *settings;
  GCancellable   *cancellable;
  char           *message;
  char           *bundle_result;

  /* Borrowed */
  GNetworkMonitor *monitor;

  guint           timer_id;
  guint           clock_id;
  WtSyncState     outcome;      /* what the last attempt found */
  gint64          n_waiting;
  gint64          n_anomalies;
  gint64          last_sync_ms;
  gboolean        syncing;
  gboolean        bundle_busy;
  gboolean        network_available;
};

G_DEFINE_FINAL_TYPE (WtSyncView, wt_sync_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATE,
  PROP_N_WAITING,
  PROP_N_ANOMALIES,
  PROP_LAST_SYNC_MS,
  PROP_MESSAGE,
  PROP_BUSY,
  N_PROPS
};

enum {
  ADD_TOAST,
  LEDGER_CHANGED,
  SHOW_ANOMALIES,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void refresh_counts (WtSyncView *self);

static char *
dup_connection_file (WtSyncView *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "sync-connection-file");

  return path[0] != '\0' ? g_steal_pointer (&path) : NULL;
}

static gboolean
is_configured (WtSyncView *self)
{
  g_autofree char *path = dup_connection_file (self);

  return path != NULL;
}

static void
toast (WtSyncView *self,
       const char *text)
{
  AdwToast *t = adw_toast_new (text);

  g_signal_emit (self, signals[ADD_TOAST], 0, t);
  g_object_unref (t);
}

/* ---- What the person sees ------------------------------------------------------- */

/* "5 minutes ago", and the exact local time beside it. */
static char *
format_last_sync (gint64 ms)
{
  g_autoptr(GDateTime) then = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *relative = NULL;
  gint64 minutes;

  if (ms <= 0)
    return g_strdup (_("Never"));

  then = g_date_time_new_from_unix_local (ms / 1000);
  exact = g_date_time_format (then, "%Y-%m-%d %H:%M");
  minutes = (g_get_real_time () / 1000 - ms) / 60000;
  if (minutes < 1)
    relative = g_strdup (_("just now"));
  else if (minutes < 60)
    relative = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", minutes),
                                (int) minutes);
  else if (minutes < 48 * 60)
    relative = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", minutes / 60),
                                (int) (minutes / 60));
  else
    relative = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", minutes / 1440),
                                (int) (minutes / 1440));

  /* Translators: a relative time, then the exact one: "5 minutes ago · 2026-11-30 14:05" */
  return g_strdup_printf (_("%s · %s"), relative, exact);
}

static void
set_message (WtSyncView *self,
             const char *message)
{
  if (g_strcmp0 (self->message, message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

static void
update_ui (WtSyncView *self)
{
  WtSyncState state = wt_sync_view_get_state (self);
  g_autofree char *path = dup_connection_file (self);
  g_autofree char *last = format_last_sync (self->last_sync_ms);
  g_autofree char *waiting = g_strdup_printf ("%" G_GINT64_FORMAT, self->n_waiting);
  g_autofree char *anomalies = g_strdup_printf ("%" G_GINT64_FORMAT, self->n_anomalies);
  const char *icon = NULL;
  const char *title = NULL;
  const char *sentence = self->message;

  switch (state)
    {
    case WT_SYNC_STATE_NOT_SET_UP:
      icon = "network-offline-symbolic";
      title = _("Not Set Up");
      sentence = _("This device keeps its ledger on its own. Connect it to the central store with the connection file your administrator gives you, or carry bundles on a USB stick.");
      break;
    case WT_SYNC_STATE_ONLINE:
      if (self->n_waiting == 0)
        {
          icon = "emblem-ok-symbolic";
          title = _("Synced");
        }
      else
        {
          icon = "emblem-synchronizing-symbolic";
          title = _("Events Waiting");
        }
      break;
    case WT_SYNC_STATE_OFFLINE:
      icon = "network-offline-symbolic";
      title = _("Offline");
      break;
    case WT_SYNC_STATE_ERROR:
      icon = "dialog-warning-symbolic";
      title = _("Sync Failed");
      break;
    case WT_SYNC_STATE_SYNCING:
      icon = "emblem-synchronizing-symbolic";
      title = _("Syncing…");
      sentence = _("Sending this device's events and fetching what concerns this site.");
      break;
    default:
      g_assert_not_reached ();
    }

  if (sentence == NULL || *sentence == '\0')
    {
      if (state == WT_SYNC_STATE_OFFLINE)
        sentence = _("No network. Everything is kept on this device and is sent at the next sync.");
      else if (self->n_waiting > 0)
        sentence = _("Some events are only on this device. Sync to send them.");
      else
        sentence = _("The central store has every event of this device.");
    }

  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_label_set_text (self->status_title, title);
  gtk_label_set_text (self->status_message, sentence);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "error");
  if (state == WT_SYNC_STATE_ONLINE && self->n_waiting == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "success");
  else if (state == WT_SYNC_STATE_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "error");
  else if (state == WT_SYNC_STATE_OFFLINE)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "warning");

  gtk_label_set_text (self->last_sync_label, last);
  gtk_label_set_text (self->waiting_label, waiting);
  gtk_label_set_text (self->anomalies_label, anomalies);
  if (self->n_anomalies > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->anomalies_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->anomalies_label), "warning");
  adw_action_row_set_subtitle (self->connection_row,
                               path != NULL ? path : _("No connection file yet"));
  gtk_stack_set_visible_child_name (self->sync_button_stack, self->syncing ? "busy" : "idle");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.now",
                                 self->ledger != NULL && path != NULL && !self->syncing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.connect", !self->syncing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.export", self->ledger != NULL && !self->bundle_busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.import", self->ledger != NULL && !self->bundle_busy);
  gtk_label_set_text (self->bundle_label, self->bundle_result ? self->bundle_result : "");
  gtk_widget_set_visible (GTK_WIDGET (self->bundle_label), self->bundle_result != NULL);
}

static void
notify_all (WtSyncView *self)
{
  update_ui (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WAITING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ANOMALIES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SYNC_MS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static gboolean
clock_cb (gpointer data)
{
  WtSyncView *self = data;
  g_autofree char *last = format_last_sync (self->last_sync_ms);

  gtk_label_set_text (self->last_sync_label, last);
  return G_SOURCE_CONTINUE;
}

/* ---- Counts ---------------------------------------------------------------------- */

typedef struct
{
  gint64  pending;
  gint64  anomalies;
  gint64  last_sync_ms;
  char   *last_error;
  char   *device_key;    /* hex, in groups of eight for reading aloud */
} Counts;

static void
counts_free (gpointer pointer)
{
  Counts *counts = pointer;

  g_free (counts->last_error);
  g_free (counts->device_key);
  g_free (counts);
}

static gpointer
counts_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  WtLedger *ledger = data;
  Counts *counts = g_new0 (Counts, 1);
  WtSyncPeer peer = { 0 };

  counts->pending = wt_ledger_sync_pending (ledger, WT_SYNC_PEER_CENTRAL);
  counts->anomalies = wt_ledger_count_open_anomalies (ledger);
  if (wt_ledger_sync_get_peer (ledger, WT_SYNC_PEER_CENTRAL, &peer, NULL))
    {
      counts->last_sync_ms = peer.last_sync_ms;
      counts->last_error = g_strdup (peer.last_error);
    }
  wt_sync_peer_clear (&peer);
  {
    g_autofree char *device = NULL;
    g_autofree char *site = NULL;
    guint8 key[32];

    if (wt_ledger_sync_identity (ledger, &device, &site, key, NULL))
      {
        GString *hex = g_string_new (NULL);

        for (guint i = 0; i < 32; i++)
          {
            if (i > 0 && i % 4 == 0)
              g_string_append_c (hex, ' ');
            g_string_append_printf (hex, "%02x", key[i]);
          }
        counts->device_key = g_string_free (hex, FALSE);
      }
  }
  return counts;
}

static void
counts_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  g_autoptr(GError) error = NULL;
  Counts *counts = wt_worker_run_finish (result, &error);

  if (counts == NULL)
    return;

  self->n_waiting = MAX (counts->pending, 0);
  self->n_anomalies = MAX (counts->anomalies, 0);
  /* The peer row's time is that of the last sync, worked or not; an error
   * there means it did not. */
  if (counts->last_error == NULL && counts->last_sync_ms > 0)
    self->last_sync_ms = counts->last_sync_ms;
  gtk_label_set_text (self->device_key_label, counts->device_key ? counts->device_key : "");
  counts_free (counts);
  notify_all (self);
}

static void
refresh_counts (WtSyncView *self)
{
  if (self->ledger == NULL)
    return;
  wt_worker_run_async (self, counts_thread, g_object_ref (self->ledger), g_object_unref, counts_free,
                       self->cancellable, counts_cb, NULL);
}

void
wt_sync_view_refresh (WtSyncView *self)
{
  g_return_if_fail (WT_IS_SYNC_VIEW (self));

  refresh_counts (self);
}

/* ---- Sync ------------------------------------------------------------------------- */

typedef struct
{
  WtLedger *ledger;
  char     *path;
} SyncJob;

static void
sync_job_free (gpointer pointer)
{
  SyncJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->path);
  g_free (job);
}

static gpointer
sync_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  SyncJob *job = data;
  g_autofree char *conninfo = NULL;
  WtSyncStats *stats;

  conninfo = wt_sync_conninfo_from_file (job->path, error);
  if (conninfo == NULL)
    return NULL;

  stats = g_new0 (WtSyncStats, 1);
  if (!wt_sync_run (job->ledger, conninfo, NULL, stats, error))
    {
      g_free (stats);
      return NULL;
    }
  return stats;
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  g_autoptr(GError) error = NULL;
  g_autofree WtSyncStats *stats = wt_worker_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->syncing = FALSE;
  if (stats == NULL)
    {
      if (g_error_matches (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONNECT) ||
          g_error_matches (error, WT_SYNC_ERROR, WT_SYNC_ERROR_LOST))
        {
          g_autofree char *sentence = NULL;

          self->outcome = WT_SYNC_STATE_OFFLINE;
          /* Translators: %s is the reason from the connection, a sentence. */
          sentence = g_strdup_printf (_("%s Nothing is lost; the events wait on this device."),
                                      error->message);
          set_message (self, sentence);
        }
      else
        {
          self->outcome = WT_SYNC_STATE_ERROR;
          set_message (self, error->message);
        }
    }
  else
    {
      g_autofree char *sentence = NULL;

      self->outcome = WT_SYNC_STATE_ONLINE;
      self->last_sync_ms = g_get_real_time () / 1000;
      sentence = g_strdup_printf (_("Last sync: %lld sent, %lld received, %lld open anomalies."),
                                  (long long) stats->sent, (long long) stats->pulled,
                                  (long long) stats->open_anomalies);
      set_message (self, sentence);
      if (stats->pulled > 0 || stats->new_anomalies > 0)
        g_signal_emit (self, signals[LEDGER_CHANGED], 0);
      if (stats->new_anomalies > 0)
        toast (self, _("The sync found anomalies. Look at them in the Ledger."));
    }

  notify_all (self);
  refresh_counts (self);
}

gboolean
wt_sync_view_sync_now (WtSyncView *self)
{
  g_autofree char *path = NULL;
  SyncJob *job;

  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), FALSE);

  path = dup_connection_file (self);
  if (self->ledger == NULL || path == NULL || self->syncing)
    return FALSE;

  self->syncing = TRUE;
  job = g_new0 (SyncJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->path = g_steal_pointer (&path);
  wt_worker_run_async (self, sync_thread, job, sync_job_free, g_free, self->cancellable, sync_cb, NULL);
  notify_all (self);
  return TRUE;
}

static void
sync_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  wt_sync_view_sync_now (WT_SYNC_VIEW (widget));
}

/* ---- Automatic sync ---------------------------------------------------------------- */

static gboolean
timer_cb (gpointer data)
{
  WtSyncView *self = data;

  if (self->network_available)
    wt_sync_view_sync_now (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (WtSyncView *self)
{
  guint minutes = g_settings_get_uint (self->settings, "sync-interval-minutes");

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (minutes > 0)
    self->timer_id = g_timeout_add_seconds (minutes * 60, timer_cb, self);
}

static void
network_changed_cb (WtSyncView      *self,
                    gboolean         available,
                    GNetworkMonitor *monitor)
{
  gboolean appeared = available && !self->network_available;

  self->network_available = available;
  if (!available && !self->syncing)
    {
      self->outcome = WT_SYNC_STATE_OFFLINE;
      set_message (self, NULL);
      notify_all (self);
    }
  else if (appeared && is_configured (self))
    wt_sync_view_sync_now (self);
}

/* ---- The connection file ----------------------------------------------------------- */

static gpointer
connect_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  g_autofree char *conninfo = wt_sync_conninfo_from_file (data, error);

  if (conninfo == NULL)
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  g_autoptr(GError) error = NULL;
  const char *path = wt_worker_get_data (result);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      g_autofree char *sentence = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      sentence = g_strdup_printf (_("The connection file cannot be used: %s"), error->message);
      toast (self, sentence);
      set_message (self, sentence);
      notify_all (self);
      return;
    }

  /* Only the file's path is remembered; a password went to the keyring. */
  g_settings_set_string (self->settings, "sync-connection-file", path);
  self->outcome = self->network_available ? WT_SYNC_STATE_ONLINE : WT_SYNC_STATE_OFFLINE;
  set_message (self, _("Connection set up. Press Sync Now to send this device's events."));
  toast (self, _("Connected to the central store"));
  notify_all (self);
}

void
wt_sync_view_connect_file (WtSyncView *self,
                           const char *path)
{
  g_return_if_fail (WT_IS_SYNC_VIEW (self));
  g_return_if_fail (path != NULL);

  wt_worker_run_async (self, connect_thread, g_strdup (path), g_free, NULL,
                       self->cancellable, connect_cb, NULL);
}

static GtkWindow *
parent_window (WtSyncView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     WtSyncView      *self)
{
  const char *what = g_object_get_data (G_OBJECT (dialog), "wt-what");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    path = g_file_get_path (file);

  if (path != NULL)
    {
      if (g_str_equal (what, "connect"))
        wt_sync_view_connect_file (self, path);
      else if (g_str_equal (what, "import"))
        wt_sync_view_import_bundle (self, path);
      else
        {
          const char *since_text = gtk_editable_get_text (GTK_EDITABLE (self->since_row));
          gint64 since_ms = -1;

          if (since_text[0] != '\0')
            {
              g_autofree char *iso = g_strdup_printf ("%sT00:00:00", since_text);
              g_autoptr(GTimeZone) local = g_time_zone_new_local ();
              g_autoptr(GDateTime) since = g_date_time_new_from_iso8601 (iso, local);

              if (since != NULL)
                since_ms = g_date_time_to_unix (since) * 1000;
            }
          wt_sync_view_export_bundle (self, path, since_ms);
        }
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_chooser (WtSyncView          *self,
              const char          *what,
              const char          *title,
              GtkFileChooserAction action,
              const char          *accept)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (title, parent_window (self), action, accept, NULL);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data (G_OBJECT (chooser), "wt-what", (gpointer) what);
  if (action == GTK_FILE_CHOOSER_ACTION_SAVE)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *name = g_date_time_format (now, "wastetag-%Y%m%d-%H%M.wtb");

      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    }
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  open_chooser (WT_SYNC_VIEW (widget), "connect", _("Connection File"),
                GTK_FILE_CHOOSER_ACTION_OPEN, _("_Connect"));
}

/* ---- Bundles ------------------------------------------------------------------------- */

typedef struct
{
  WtLedger *ledger;
  char     *path;
  gint64    since_ms;
  char     *trust_key;   /* hex, spaces removed, or NULL */
} BundleJob;

static void
bundle_job_free (gpointer pointer)
{
  BundleJob *job = pointer;

  g_clear_object (&job->ledger);
  g_free (job->path);
  g_free (job->trust_key);
  g_free (job);
}

static void
set_bundle_result (WtSyncView *self,
                   const char *sentence)
{
  g_free (self->bundle_result);
  self->bundle_result = g_strdup (sentence);
  self->bundle_busy = FALSE;
  notify_all (self);
}

static gpointer
export_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  BundleJob *job = data;
  WtBundleInfo info = { 0 };
  char *sentence;

  if (!wt_bundle_export (job->ledger, job->path, job->since_ms, &info, error))
    return NULL;

  sentence = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%lld event written to %s.",
                                           "%lld events written to %s.",
                                           info.count),
                              (long long) info.count, job->path);
  wt_bundle_info_clear (&info);
  return sentence;
}

static void
export_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *sentence = wt_worker_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (sentence == NULL)
    sentence = g_strdup_printf (_("No bundle was written: %s"), error->message);
  set_bundle_result (self, sentence);
}

void
wt_sync_view_export_bundle (WtSyncView *self,
                            const char *path,
                            gint64      since_ms)
{
  BundleJob *job;

  g_return_if_fail (WT_IS_SYNC_VIEW (self));
  g_return_if_fail (path != NULL);

  if (self->ledger == NULL || self->bundle_busy)
    return;

  self->bundle_busy = TRUE;
  job = g_new0 (BundleJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->path = g_strdup (path);
  job->since_ms = since_ms;
  wt_worker_run_async (self, export_thread, job, bundle_job_free, g_free, self->cancellable, export_cb, NULL);
  notify_all (self);
}

typedef struct
{
  char    *sentence;
  gboolean changed;
} Imported;

static void
imported_free (gpointer pointer)
{
  Imported *imported = pointer;

  g_free (imported->sentence);
  g_free (imported);
}

/* The signer a bundle's header names (see wt-bundle.h for the layout), or
 * NULL when the header cannot be read; the core says why on import. */
static char *
bundle_signer (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, NULL);
  g_autoptr(JsonNode) header = NULL;
  g_autofree char *text = NULL;
  guint8 head[12];
  gsize got = 0;
  guint32 len;

  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), head, sizeof head, &got, NULL, NULL) ||
      got != sizeof head || memcmp (head, "WTBNDL1\n", 8) != 0)
    return NULL;
  len = (guint32) head[8] << 24 | (guint32) head[9] << 16 | (guint32) head[10] << 8 | head[11];
  if (len == 0 || len > 1024 * 1024)
    return NULL;
  text = g_malloc0 (len + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (stream), text, len, &got, NULL, NULL) || got != len)
    return NULL;
  header = json_from_string (text, NULL);
  if (header == NULL || !JSON_NODE_HOLDS_OBJECT (header))
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (json_node_get_object (header), "device_id", NULL));
}

static gpointer
import_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  BundleJob *job = data;
  WtBundleResult result = { 0 };
  g_autofree char *base = NULL;
  g_autofree char *receipt = NULL;
  g_autoptr(GString) sentence = g_string_new (NULL);
  Imported *imported;

  /* An events bundle is answered with a receipt beside it on the stick. */
  base = g_str_has_suffix (job->path, ".wtb") ? g_strndup (job->path, strlen (job->path) - 4) : g_strdup (job->path);
  receipt = g_strdup_printf ("%s-receipt.wtb", base);
  if (g_str_has_suffix (job->path, "-receipt.wtb"))
    g_clear_pointer (&receipt, g_free);

  /* The core's sentence for an unknown signer speaks to the CLI (--trust);
   * here the person types the key into the view. */
  if (job->trust_key == NULL)
    {
      g_autofree char *signer = bundle_signer (job->path);
      guint8 key[32];
      gboolean blocked = FALSE;

      if (signer != NULL && !wt_ledger_sync_device_key (job->ledger, signer, key, &blocked))
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("Nothing was imported: this bundle is signed by device %s, which this ledger does not know yet. Ask the sender to read you the key shown in their Sync view, type it in Sender's key, and import again."),
                       signer);
          return NULL;
        }
    }

  if (!wt_bundle_import (job->ledger, job->path, job->trust_key, receipt, &result, error))
    return NULL;

  imported = g_new0 (Imported, 1);
  if (result.already)
    g_string_append (sentence, _("This bundle was imported before; nothing changed."));
  else
    {
      g_string_append_printf (sentence,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "%lld event imported, %lld already here.",
                                           "%lld events imported, %lld already here.",
                                           result.inserted),
                              (long long) result.inserted, (long long) result.duplicates);
      if (result.anomalies > 0)
        {
          g_string_append_c (sentence, ' ');
          g_string_append_printf (sentence,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "%lld anomaly found: see the Ledger's Anomalies.",
                                               "%lld anomalies found: see the Ledger's Anomalies.",
                                               result.anomalies),
                                  (long long) result.anomalies);
        }
      if (result.receipt_path != NULL)
        {
          g_string_append_c (sentence, ' ');
          g_string_append_printf (sentence, _("Take the receipt %s back to the sender."), result.receipt_path);
        }
      imported->changed = result.inserted > 0 || result.anomalies > 0 || result.acked_seq > 0;
    }
  imported->sentence = g_string_free (g_steal_pointer (&sentence), FALSE);
  wt_bundle_result_clear (&result);
  return imported;
}

static void
import_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  g_autoptr(GError) error = NULL;
  Imported *imported = wt_worker_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (imported == NULL)
    {
      /* The core's sentence says why (altered, cut off, an unknown
       * signer) and that nothing was imported. */
      set_bundle_result (self, error->message);
      return;
    }

  set_bundle_result (self, imported->sentence);
  /* A key is trusted once; the next bundle needs no typing. */
  gtk_editable_set_text (GTK_EDITABLE (self->trust_row), "");
  if (imported->changed)
    g_signal_emit (self, signals[LEDGER_CHANGED], 0);
  imported_free (imported);
  refresh_counts (self);
}

void
wt_sync_view_import_bundle (WtSyncView *self,
                            const char *path)
{
  BundleJob *job;

  g_return_if_fail (WT_IS_SYNC_VIEW (self));
  g_return_if_fail (path != NULL);

  if (self->ledger == NULL || self->bundle_busy)
    return;

  self->bundle_busy = TRUE;
  job = g_new0 (BundleJob, 1);
  job->ledger = g_object_ref (self->ledger);
  job->path = g_strdup (path);
  {
    GString *key = g_string_new (NULL);

    /* The key as a person reads it: groups, spaces, any case. */
    for (const char *c = gtk_editable_get_text (GTK_EDITABLE (self->trust_row)); *c != '\0'; c++)
      if (g_ascii_isxdigit (*c))
        g_string_append_c (key, g_ascii_tolower (*c));
    job->trust_key = key->len > 0 ? g_string_free (key, FALSE) : (g_string_free (key, TRUE), NULL);
  }
  wt_worker_run_async (self, import_thread, job, bundle_job_free, imported_free,
                       self->cancellable, import_cb, NULL);
  notify_all (self);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtSyncView *self = WT_SYNC_VIEW (widget);
  const char *since = gtk_editable_get_text (GTK_EDITABLE (self->since_row));

  if (since[0] != '\0')
    {
      g_autofree char *iso = g_strdup_printf ("%sT00:00:00Z", since);
      g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601 (iso, NULL);

      if (parsed == NULL)
        {
          set_bundle_result (self, _("Type the date as YYYY-MM-DD, or leave it empty for everything not acknowledged."));
          return;
        }
    }
  open_chooser (self, "export", _("Export Bundle"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  open_chooser (WT_SYNC_VIEW (widget), "import", _("Import Bundle"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"));
}

static void
show_anomalies_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  g_signal_emit (widget, signals[SHOW_ANOMALIES], 0);
}

/* ---- GObject --------------------------------------------------------------------------- */

static void
wt_sync_view_dispose (GObject *object)
{
  WtSyncView *self = WT_SYNC_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->clock_id, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  self->monitor = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_SYNC_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_sync_view_parent_class)->dispose (object);
}

static void
wt_sync_view_finalize (GObject *object)
{
  WtSyncView *self = WT_SYNC_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_free (self->message);
  g_free (self->bundle_result);

  G_OBJECT_CLASS (wt_sync_view_parent_class)->finalize (object);
}

static void
wt_sync_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  WtSyncView *self = WT_SYNC_VIEW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, wt_sync_view_get_state (self));
      break;
    case PROP_N_WAITING:
      g_value_set_int64 (value, self->n_waiting);
      break;
    case PROP_N_ANOMALIES:
      g_value_set_int64 (value, self->n_anomalies);
      break;
    case PROP_LAST_SYNC_MS:
      g_value_set_int64 (value, self->last_sync_ms);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, wt_sync_view_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_sync_view_class_init (WtSyncViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_sync_view_dispose;
  object_class->finalize = wt_sync_view_finalize;
  object_class->get_property = wt_sync_view_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, WT_SYNC_STATE_NOT_SET_UP, WT_SYNC_STATE_SYNCING,
                      WT_SYNC_STATE_NOT_SET_UP, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_WAITING] =
    g_param_spec_int64 ("n-waiting", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ANOMALIES] =
    g_param_spec_int64 ("n-anomalies", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SYNC_MS] =
    g_param_spec_int64 ("last-sync-ms", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[LEDGER_CHANGED] =
    g_signal_new ("ledger-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SHOW_ANOMALIES] =
    g_signal_new ("show-anomalies", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-sync-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, status_icon);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, status_title);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, status_message);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, sync_button);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, sync_button_stack);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, last_sync_row);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, last_sync_label);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, waiting_label);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, anomalies_row);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, anomalies_label);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, connection_row);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, since_row);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, trust_row);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, device_key_label);
  gtk_widget_class_bind_template_child (widget_class, WtSyncView, bundle_label);

  gtk_widget_class_install_action (widget_class, "sync.now", NULL, sync_now_action);
  gtk_widget_class_install_action (widget_class, "sync.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "sync.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "sync.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "sync.show-anomalies", NULL, show_anomalies_action);
}

static void
wt_sync_view_init (WtSyncView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  self->monitor = g_network_monitor_get_default ();
  self->network_available = g_network_monitor_get_network_available (self->monitor);
  self->outcome = self->network_available ? WT_SYNC_STATE_ONLINE : WT_SYNC_STATE_OFFLINE;

  g_signal_connect_object (self->monitor, "network-changed", G_CALLBACK (network_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::sync-interval-minutes", G_CALLBACK (restart_timer), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::sync-connection-file", G_CALLBACK (notify_all), self,
                           G_CONNECT_SWAPPED);
  restart_timer (self);
  self->clock_id = g_timeout_add_seconds (30, clock_cb, self);
  update_ui (self);
}

void
wt_sync_view_set_ledger (WtSyncView *self,
                         WtLedger   *ledger)
{
  g_return_if_fail (WT_IS_SYNC_VIEW (self));
  g_return_if_fail (ledger == NULL || WT_IS_LEDGER (ledger));

  if (!g_set_object (&self->ledger, ledger))
    return;

  refresh_counts (self);
  notify_all (self);
  /* Start-up with a connection and a network: catch up at once. */
  if (ledger != NULL && self->network_available && is_configured (self))
    wt_sync_view_sync_now (self);
}

WtSyncState
wt_sync_view_get_state (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), WT_SYNC_STATE_NOT_SET_UP);

  if (self->syncing)
    return WT_SYNC_STATE_SYNCING;
  if (!is_configured (self))
    return WT_SYNC_STATE_NOT_SET_UP;
  /* What the last attempt found; losing the network sets it to offline.
   * The monitor alone does not decide: a store on this machine or the
   * local network is reachable without a default route. */
  return self->outcome;
}

gint64
wt_sync_view_get_n_waiting (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), 0);

  return self->n_waiting;
}

gint64
wt_sync_view_get_n_anomalies (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), 0);

  return self->n_anomalies;
}

gint64
wt_sync_view_get_last_sync_ms (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), 0);

  return self->last_sync_ms;
}

const char *
wt_sync_view_get_message (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), NULL);

  return gtk_label_get_text (self->status_message);
}

gboolean
wt_sync_view_get_busy (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), FALSE);

  return self->syncing || self->bundle_busy;
}

const char *
wt_sync_view_get_bundle_result (WtSyncView *self)
{
  g_return_val_if_fail (WT_IS_SYNC_VIEW (self), NULL);

  return self->bundle_result;
}
