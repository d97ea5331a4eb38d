/* wt-window.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window owns the ledger. It opens it on a worker thread, then shows the
 * welcome page until a site exists, and the views after. The views get the
 * ledger and signal back (toasts, "ledger-changed"); they never call into
 * the window.
 */
#define G_LOG_DOMAIN "wt-window"
#define _GNU_SOURCE 1   /* SCHED_IDLE */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include <glib/gi18n.h>

#include "wt-label-view.h"
#include "wt-ledger-view.h"
#include "wt-scan-view.h"
#include "wt-site-window.h"
#include "wt-sync-view.h"
#include "wt-sync.h"
#include "wt-window.h"
#include "wt-worker.h"

struct _WtWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template Widgets */
  AdwToastOverlay      *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkStack             *main_stack;
  AdwStatusPage        *welcome_page;
  GtkWidget            *setup_button;
  GtkWidget            *demo_button;
  AdwStatusPage        *error_page;
  AdwStatusPage        *loading_page;
  AdwViewStack         *view_stack;
  WtLabelView          *label_view;
  WtScanView           *scan_view;
  WtLedgerView         *ledger_view;
  WtSyncView           *sync_view;
  GtkWidget            *overdue_button;
  AdwButtonContent     *overdue_content;
  GtkWidget            *sync_indicator;
  GtkWidget            *central_button;
  GtkStack             *sync_indicator_stack;
  GtkImage             *sync_indicator_icon;
  GtkLabel             *sync_indicator_label;

  /* Owned References */
  WtLedger             *ledger;
  GSettings            *settings;
  GCancellable         *cancellable;

  gboolean              has_site;
  gboolean              working;
  gboolean              told_overdue;
  gboolean              checked_integrity;
  guint                 integrity_source; /* the start-up check waits for the views to settle */
  guint                 loading_source;   /* explains a long "loading" page */

  /* The central office's read-only mode: a cache ledger mirrored from the
   * central store (wt_central_mirror), never written by a person. */
  char                 *central_file;
  gboolean              mirroring;
  guint                 mirror_timer;
};

G_DEFINE_FINAL_TYPE (WtWindow, wt_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CENTRAL_FILE,
  N_PROPS
};

/* Opening takes a moment; when it takes longer, the one reason it can
 * (a ledger from an older version is upgraded once, about half a minute
 * per million events) is said, so nobody switches the computer off. */
#define LOADING_EXPLAIN_S 2

static gboolean
explain_loading_cb (gpointer data)
{
  WtWindow *self = data;

  self->loading_source = 0;
  adw_status_page_set_title (self->loading_page, _("Opening the Ledger…"));
  adw_status_page_set_description (self->loading_page,
                                   _("A ledger written by an older version of Wastetag is brought up to date the first time it is opened; on a large ledger this takes a minute. Nothing is lost if it is interrupted."));
  return G_SOURCE_REMOVE;
}

static void
show_page (WtWindow   *self,
           const char *name)
{
  g_clear_handle_id (&self->loading_source, g_source_remove);
  if (g_str_equal (name, "loading"))
    self->loading_source = g_timeout_add_seconds (LOADING_EXPLAIN_S, explain_loading_cb, self);
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

static void
update_switcher_bar_cb (WtWindow *self)
{
  gboolean on_views = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "views") == 0;

  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, on_views);
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    on_views && adw_view_switcher_title_get_title_visible (self->switcher_title));
}

static void
add_toast_cb (WtWindow *self,
              AdwToast *toast)
{
  wt_window_add_toast (self, g_object_ref (toast));
}

static void
ledger_changed_cb (WtWindow *self)
{
  wt_ledger_view_reload (self->ledger_view);
  wt_sync_view_refresh (self->sync_view);
}

/* A sync or a bundle stored events: the Ledger's lists and counts follow. */
static void
synced_cb (WtWindow *self)
{
  wt_ledger_view_reload (self->ledger_view);
}

/* The site's settings changed (Preferences): the overdue list and the report
 * reminder follow them. */
static void
reload_ledger_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  wt_ledger_view_reload (WT_WINDOW (widget)->ledger_view);
}

static void
anomalies_changed_cb (WtWindow *self)
{
  wt_sync_view_refresh (self->sync_view);
}

static void
show_anomalies (WtWindow *self)
{
  adw_view_stack_set_visible_child_name (self->view_stack, "ledger");
  gtk_widget_activate_action (GTK_WIDGET (self->ledger_view), "ledger.show-page", "s", "anomalies");
}

static void
show_anomalies_cb (WtWindow *self)
{
  show_anomalies (self);
}

/* The header bar's sync indicator: one word and an icon, the whole
 * sentence in the tooltip and the accessible label. */
static void
sync_state_cb (WtWindow *self)
{
  WtSyncState state = wt_sync_view_get_state (self->sync_view);
  gint64 waiting = wt_sync_view_get_n_waiting (self->sync_view);
  gint64 anomalies = wt_sync_view_get_n_anomalies (self->sync_view);
  g_autofree char *label = NULL;
  g_autofree char *tooltip = NULL;
  const char *icon = "emblem-ok-symbolic";
  const char *css = NULL;

  if (state == WT_SYNC_STATE_SYNCING)
    {
      label = g_strdup (_("Syncing…"));
      tooltip = g_strdup (_("Syncing with the central store"));
    }
  else if (anomalies > 0)
    {
      icon = "dialog-warning-symbolic";
      css = "warning";
      label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d anomaly", "%d anomalies", anomalies), (int) anomalies);
      tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d anomaly waits for a supervisor. Open the Sync view.",
                                              "%d anomalies wait for a supervisor. Open the Sync view.",
                                              anomalies),
                                 (int) anomalies);
    }
  else if (state == WT_SYNC_STATE_NOT_SET_UP)
    {
      icon = "network-offline-symbolic";
      label = g_strdup (_("Not synced"));
      tooltip = g_strdup (_("Not connected to a central store. Open the Sync view to set it up."));
    }
  else if (state == WT_SYNC_STATE_OFFLINE)
    {
      icon = "network-offline-symbolic";
      css = "warning";
      label = g_strdup (_("Offline"));
      tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "Offline: %d event waits on this device. Open the Sync view.",
                                              "Offline: %d events wait on this device. Open the Sync view.",
                                              waiting),
                                 (int) waiting);
    }
  else if (state == WT_SYNC_STATE_ERROR)
    {
      icon = "dialog-error-symbolic";
      css = "error";
      label = g_strdup (_("Sync failed"));
      tooltip = g_strdup_printf (_("The last sync failed: %s"), wt_sync_view_get_message (self->sync_view));
    }
  else if (waiting > 0)
    {
      icon = "emblem-synchronizing-symbolic";
      label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d waiting", "%d waiting", waiting), (int) waiting);
      tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%d event waits to be acknowledged by the central store.",
                                              "%d events wait to be acknowledged by the central store.",
                                              waiting),
                                 (int) waiting);
    }
  else
    {
      css = "success";
      label = g_strdup (_("Synced"));
      tooltip = g_strdup (_("Synced: the central store has every event of this device."));
    }

  gtk_stack_set_visible_child_name (self->sync_indicator_stack,
                                    state == WT_SYNC_STATE_SYNCING ? "spinner" : "icon");
  gtk_image_set_from_icon_name (self->sync_indicator_icon, icon);
  gtk_label_set_text (self->sync_indicator_label, label);
  gtk_widget_set_tooltip_text (self->sync_indicator, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sync_indicator),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_remove_css_class (self->sync_indicator, "warning");
  gtk_widget_remove_css_class (self->sync_indicator, "error");
  gtk_widget_remove_css_class (self->sync_indicator, "success");
  if (css != NULL)
    gtk_widget_add_css_class (self->sync_indicator, css);
  gtk_widget_set_visible (self->sync_indicator, self->has_site && self->central_file == NULL);
}

static void
show_error (WtWindow   *self,
            const char *heading,
            const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Opening the ledger ----------------------------------------------------- */

typedef struct
{
  WtLedger *ledger;
  gboolean  has_site;
  char     *mirror_error;  /* central mode: the cache opened, the mirror failed */
} Opened;

static void
opened_free (gpointer pointer)
{
  Opened *opened = pointer;

  g_clear_object (&opened->ledger);
  g_free (opened->mirror_error);
  g_free (opened);
}

/* $XDG_CACHE_HOME/wastetag/central-<hash>.ledger: one cache per connection
 * file, named by a digest of its path (the file may hold a password). */
static char *
central_cache_path (const char *connection_file)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, connection_file, -1);
  g_autofree char *name = g_strdup_printf ("central-%.16s.ledger", digest);

  return g_build_filename (g_get_user_cache_dir (), "wastetag", name, NULL);
}

typedef struct
{
  char     *connection_file;
  WtLedger *cache;           /* NULL: open it first */
} MirrorJob;

static void
mirror_job_free (gpointer pointer)
{
  MirrorJob *job = pointer;

  g_free (job->connection_file);
  g_clear_object (&job->cache);
  g_free (job);
}

/* Opens the cache (when not open yet) and brings it up to date. A failed
 * mirror still gives the cache: the office reads what it has, and is told. */
static gpointer
central_open_thread (gpointer      data,
                     GCancellable *cancellable,
                     GError      **error)
{
  MirrorJob *job = data;
  g_autofree char *path = central_cache_path (job->connection_file);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *conninfo = NULL;
  g_autoptr(GError) mirror_error = NULL;
  Opened *opened;

  if (job->cache == NULL)
    {
      if (g_mkdir_with_parents (folder, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("The folder %s cannot be created: %s"), folder, g_strerror (saved_errno));
          return NULL;
        }
      job->cache = wt_ledger_open (path, error);
      if (job->cache == NULL)
        return NULL;
    }

  conninfo = wt_sync_conninfo_from_file (job->connection_file, &mirror_error);
  if (conninfo != NULL)
    wt_central_mirror (job->cache, conninfo, cancellable, NULL, &mirror_error);

  opened = g_new0 (Opened, 1);
  opened->ledger = g_object_ref (job->cache);
  opened->has_site = TRUE;
  if (mirror_error != NULL)
    opened->mirror_error = g_strdup (mirror_error->message);
  return opened;
}

static gpointer
open_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  g_autofree char *path = wt_ledger_default_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  Opened *opened;
  WtLedger *ledger;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("The folder %s cannot be created: %s"), folder, g_strerror (saved_errno));
      return NULL;
    }

  ledger = wt_ledger_open (path, error);
  if (ledger == NULL)
    return NULL;

  opened = g_new0 (Opened, 1);
  opened->ledger = ledger;
  opened->has_site = wt_ledger_has_site (ledger);
  return opened;
}

/* ---- Integrity at start-up ---------------------------------------------------------- */

/* A second handle on the same file: verifying a large ledger takes a while,
 * and the window's own WtLedger (and its lock) stays free for the views.
 * The check runs under SCHED_IDLE (its verify threads inherit it), so it
 * takes only the CPU that scanning, printing and the lists leave; the pool
 * thread gets its policy back afterwards. Closing the window cancels it. */
#define INTEGRITY_DELAY_S 3

static gpointer
verify_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  g_autoptr(WtLedger) ledger = wt_ledger_open (data, error);
  struct sched_param idle = { 0 };
  struct sched_param old_param;
  int old_policy;
  gboolean lowered;
  gboolean ok;
  gint64 n = 0;

  if (ledger == NULL)
    return NULL;

  lowered = pthread_getschedparam (pthread_self (), &old_policy, &old_param) == 0 &&
            pthread_setschedparam (pthread_self (), SCHED_IDLE, &idle) == 0;
  ok = wt_ledger_verify_full (ledger, cancellable, NULL, NULL, &n, error);
  if (lowered)
    pthread_setschedparam (pthread_self (), old_policy, &old_param);

  return ok ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
integrity_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       WtWindow         *self)
{
  if (g_strcmp0 (response, "show") == 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "ledger");
}

static void
verified_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtWindow *self = WT_WINDOW (object);
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  if (wt_worker_run_finish (result, &error) != NULL ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("The Ledger Has Been Altered"), NULL));
  /* Translators: %s is the core's sentence naming the first bad event. */
  adw_message_dialog_format_body (dialog,
                                  _("The check at start-up found a problem: %s Nothing that was written can be trusted after this event until it is explained. Keep this device's ledger file as it is and tell your supervisor."),
                                  error->message);
  adw_message_dialog_add_responses (dialog, "close", _("_Later"), "show", _("_Open Ledger"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "show", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "show");
  gtk_widget_add_css_class (GTK_WIDGET (dialog), "wt-integrity-dialog");
  g_signal_connect_object (dialog, "response", G_CALLBACK (integrity_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
integrity_timeout_cb (gpointer user_data)
{
  WtWindow *self = user_data;

  self->integrity_source = 0;
  if (self->ledger != NULL)
    wt_worker_run_async (self, verify_thread, g_strdup (wt_ledger_get_path (self->ledger)), g_free, NULL,
                         self->cancellable, verified_cb, NULL);
  return G_SOURCE_REMOVE;
}

/* Once per window, a few seconds after the views are up: the first page of
 * the Ledger and the overdue list come first. */
static void
check_integrity (WtWindow *self)
{
  if (self->checked_integrity || self->ledger == NULL)
    return;
  self->checked_integrity = TRUE;
  self->integrity_source = g_timeout_add_seconds (INTEGRITY_DELAY_S, integrity_timeout_cb, self);
}

static void
apply_central (WtWindow *self)
{
  static const char *hidden[] = { "label", "scan", "sync" };

  for (gsize i = 0; i < G_N_ELEMENTS (hidden); i++)
    adw_view_stack_page_set_visible (adw_view_stack_get_page (self->view_stack,
                                                              adw_view_stack_get_child_by_name (self->view_stack,
                                                                                                hidden[i])),
                                     FALSE);
  adw_view_stack_set_visible_child_name (self->view_stack, "ledger");
  wt_ledger_view_set_read_only (self->ledger_view, TRUE);
  wt_ledger_view_set_ledger (self->ledger_view, self->ledger);
  adw_view_switcher_title_set_subtitle (self->switcher_title, _("Central office · read-only"));
  gtk_window_set_title (GTK_WINDOW (self), _("Wastetag — Central Office"));
  gtk_widget_set_visible (self->central_button, TRUE);
  /* The first mirror ran with the opening. */
  self->mirroring = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.central-refresh", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.site", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.try-demo", FALSE);
  show_page (self, "views");
  check_integrity (self);
}

static void
apply_ledger (WtWindow *self)
{
  if (self->central_file != NULL)
    {
      apply_central (self);
      return;
    }
  if (self->has_site)
    {
      wt_label_view_set_ledger (self->label_view, self->ledger);
      wt_scan_view_set_ledger (self->scan_view, self->ledger);
      wt_ledger_view_set_ledger (self->ledger_view, self->ledger);
      wt_sync_view_set_ledger (self->sync_view, self->ledger);
      show_page (self, "views");
      sync_state_cb (self);
      check_integrity (self);
    }
  else
    show_page (self, "welcome");
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtWindow *self = WT_WINDOW (object);
  g_autoptr(GError) error = NULL;
  Opened *opened;

  opened = wt_worker_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (opened == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      show_page (self, "error");
      return;
    }

  g_set_object (&self->ledger, opened->ledger);
  self->has_site = opened->has_site;
  if (opened->mirror_error != NULL)
    {
      /* Translators: %s says why the central store could not be read. */
      g_autofree char *text = g_strdup_printf (_("Showing the copy from the last refresh: %s"), opened->mirror_error);
      AdwToast *toast = adw_toast_new (text);

      adw_toast_set_timeout (toast, 0);
      wt_window_add_toast (self, toast);
    }
  opened_free (opened);
  apply_ledger (self);
}

/* ---- The central office: refresh ----------------------------------------------------- */

static void
mirrored_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtWindow *self = WT_WINDOW (object);
  g_autoptr(GError) error = NULL;
  Opened *opened = wt_worker_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->mirroring = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.central-refresh", TRUE);
  if (opened == NULL || opened->mirror_error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Showing the copy from the last refresh: %s"),
                                               opened ? opened->mirror_error : error->message);

      wt_window_add_toast (self, adw_toast_new (text));
    }
  else
    wt_window_add_toast (self, adw_toast_new (_("Refreshed from the central store")));
  if (opened != NULL)
    opened_free (opened);
  wt_ledger_view_reload (self->ledger_view);
}

static void
central_refresh_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  WtWindow *self = WT_WINDOW (widget);
  MirrorJob *job;

  if (self->central_file == NULL || self->ledger == NULL || self->mirroring)
    return;

  self->mirroring = TRUE;
  gtk_widget_action_set_enabled (widget, "win.central-refresh", FALSE);
  job = g_new0 (MirrorJob, 1);
  job->connection_file = g_strdup (self->central_file);
  job->cache = g_object_ref (self->ledger);
  wt_worker_run_async (self, central_open_thread, job, mirror_job_free, opened_free,
                       self->cancellable, mirrored_cb, NULL);
}

static void
central_chosen_cb (GtkNativeDialog *dialog,
                   int              response,
                   WtWindow        *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    {
      GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
      WtWindow *central = wt_window_new_central (WT_APPLICATION (app), path);

      gtk_window_present (GTK_WINDOW (central));
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* A central office's connection file (wastetag-cli central add-office)
 * opens a read-only window of its own beside this one. */
static void
open_central_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Central Office Connection File"), GTK_WINDOW (widget),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (central_chosen_cb), widget, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
mirror_timer_cb (gpointer data)
{
  gtk_widget_activate_action (GTK_WIDGET (data), "win.central-refresh", NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- Site and demo ----------------------------------------------------------- */

static void
site_saved_cb (WtWindow     *self,
               WtSiteWindow *site_window)
{
  self->has_site = TRUE;
  apply_ledger (self);
  show_page (self, "views");
  adw_view_stack_set_visible_child_name (self->view_stack, "label");
  wt_window_add_toast (self, adw_toast_new (_("The site is set up. Print the first labels.")));
}

static void
site_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WtWindow *self = WT_WINDOW (widget);
  WtSiteWindow *site_window;

  if (self->ledger == NULL || self->working)
    return;

  site_window = wt_site_window_new (GTK_WINDOW (self), self->ledger);
  g_signal_connect_object (site_window, "site-saved", G_CALLBACK (site_saved_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (site_window));
}

static gpointer
demo_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  if (!wt_ledger_init_demo (WT_LEDGER (data), error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
demo_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  WtWindow *self = WT_WINDOW (object);
  g_autoptr(GError) error = NULL;

  self->working = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.try-demo", TRUE);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("The Demo Data Could Not Be Loaded"), error->message);
      return;
    }

  self->has_site = TRUE;
  apply_ledger (self);
  wt_window_add_toast (self, adw_toast_new (_("Demo data loaded.")));
}

static void
try_demo_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  WtWindow *self = WT_WINDOW (widget);

  if (self->ledger == NULL || self->has_site || self->working)
    return;

  self->working = TRUE;
  gtk_widget_action_set_enabled (widget, "win.try-demo", FALSE);
  wt_worker_run_async (self, demo_thread, g_object_ref (self->ledger), g_object_unref, NULL,
                       self->cancellable, demo_cb, NULL);
}

/* ---- Other actions ------------------------------------------------------------ */

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtWindow *self = WT_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  GtkWidget *child;

  if (!self->has_site)
    return;
  child = adw_view_stack_get_child_by_name (self->view_stack, name);
  /* The central office has no Label, Scan or Sync view. */
  if (child != NULL && adw_view_stack_page_get_visible (adw_view_stack_get_page (self->view_stack, child)))
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
show_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  /* gtk_show_uri() is the GTK 4.8 way; GtkFileLauncher came in 4.10. */
  gtk_show_uri (GTK_WINDOW (widget), g_variant_get_string (parameter, NULL), GDK_CURRENT_TIME);
}

/* ---- Overdue storage at start-up ------------------------------------------------------ */

static void
show_overdue (WtWindow *self)
{
  adw_view_stack_set_visible_child_name (self->view_stack, "ledger");
  gtk_widget_activate_action (GTK_WIDGET (self->ledger_view), "ledger.show-overdue", NULL);
}

static void
show_overdue_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  show_overdue (WT_WINDOW (widget));
}

static void
overdue_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     WtWindow         *self)
{
  if (g_strcmp0 (response, "show") == 0)
    show_overdue (self);
}

/* The overdue count is one click away in the header bar; the first time
 * it is known after start-up and not zero, a dialog says so. */
static void
n_overdue_changed_cb (WtWindow   *self,
                      GParamSpec *pspec,
                      GObject    *view)
{
  guint n = wt_ledger_view_get_n_overdue (self->ledger_view);
  g_autofree char *label = g_strdup_printf ("%u", n);

  adw_button_content_set_label (self->overdue_content, label);
  gtk_widget_set_visible (self->overdue_button, n > 0);

  if (n > 0 && !self->told_overdue)
    {
      AdwMessageDialog *dialog;

      self->told_overdue = TRUE;
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Overdue Storage"), NULL));
      adw_message_dialog_format_body (dialog,
                                      g_dngettext (GETTEXT_PACKAGE,
                                                   "%u container has been stored longer than this site allows. Arrange its transfer or treatment.",
                                                   "%u containers have been stored longer than this site allows. Arrange their transfer or treatment.",
                                                   n),
                                      n);
      adw_message_dialog_add_responses (dialog, "close", _("_Later"), "show", _("_Show Them"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "show", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "show");
      g_signal_connect_object (dialog, "response", G_CALLBACK (overdue_response_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

/* ---- GObject ------------------------------------------------------------------ */

static gboolean
wt_window_close_request (GtkWindow *window)
{
  WtWindow *self = WT_WINDOW (window);
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (wt_window_parent_class)->close_request (window);
}

static void
wt_window_dispose (GObject *object)
{
  WtWindow *self = WT_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->mirror_timer, g_source_remove);
  g_clear_handle_id (&self->integrity_source, g_source_remove);
  g_clear_handle_id (&self->loading_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_WINDOW);

  G_OBJECT_CLASS (wt_window_parent_class)->dispose (object);
}

static void
wt_window_finalize (GObject *object)
{
  WtWindow *self = WT_WINDOW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_free (self->central_file);

  G_OBJECT_CLASS (wt_window_parent_class)->finalize (object);
}

static void wt_window_constructed (GObject *object);
static void wt_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec);

static void
wt_window_class_init (WtWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = wt_window_dispose;
  object_class->finalize = wt_window_finalize;
  object_class->constructed = wt_window_constructed;
  object_class->set_property = wt_window_set_property;

  g_object_class_install_property (object_class, PROP_CENTRAL_FILE,
                                   g_param_spec_string ("central-file", NULL, NULL, NULL,
                                                        G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
                                                        G_PARAM_STATIC_STRINGS));
  window_class->close_request = wt_window_close_request;

  g_type_ensure (WT_TYPE_LABEL_VIEW);
  g_type_ensure (WT_TYPE_LEDGER_VIEW);
  g_type_ensure (WT_TYPE_SCAN_VIEW);
  g_type_ensure (WT_TYPE_SYNC_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WtWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, setup_button);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, label_view);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, scan_view);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, ledger_view);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, overdue_button);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, overdue_content);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, sync_view);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, central_button);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, sync_indicator);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, sync_indicator_stack);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, sync_indicator_icon);
  gtk_widget_class_bind_template_child (widget_class, WtWindow, sync_indicator_label);
  gtk_widget_class_bind_template_callback (widget_class, synced_cb);
  gtk_widget_class_bind_template_callback (widget_class, anomalies_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, show_anomalies_cb);
  gtk_widget_class_bind_template_callback (widget_class, sync_state_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_switcher_bar_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_toast_cb);
  gtk_widget_class_bind_template_callback (widget_class, ledger_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.site", NULL, site_action);
  gtk_widget_class_install_action (widget_class, "win.try-demo", NULL, try_demo_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-folder", "s", show_folder_action);
  gtk_widget_class_install_action (widget_class, "win.show-overdue", NULL, show_overdue_action);
  gtk_widget_class_install_action (widget_class, "win.reload-ledger", NULL, reload_ledger_action);
  gtk_widget_class_install_action (widget_class, "win.central-refresh", NULL, central_refresh_action);
  gtk_widget_class_install_action (widget_class, "win.open-central", NULL, open_central_action);
}

static void
wt_window_init (WtWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  show_page (self, "loading");
  update_switcher_bar_cb (self);
  g_signal_connect_object (self->ledger_view, "notify::n-overdue", G_CALLBACK (n_overdue_changed_cb), self, G_CONNECT_SWAPPED);
}

/* After the construct properties: the central file decides what opens. */
static void
wt_window_constructed (GObject *object)
{
  WtWindow *self = WT_WINDOW (object);

  G_OBJECT_CLASS (wt_window_parent_class)->constructed (object);

  if (self->central_file != NULL)
    {
      MirrorJob *job = g_new0 (MirrorJob, 1);
      guint minutes = g_settings_get_uint (self->settings, "sync-interval-minutes");

      job->connection_file = g_strdup (self->central_file);
      self->mirroring = TRUE;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.central-refresh", FALSE);
      wt_worker_run_async (self, central_open_thread, job, mirror_job_free, opened_free,
                           self->cancellable, opened_cb, NULL);
      if (minutes > 0)
        self->mirror_timer = g_timeout_add_seconds (minutes * 60, mirror_timer_cb, self);
    }
  else
    wt_worker_run_async (self, open_thread, NULL, NULL, opened_free, self->cancellable, opened_cb, NULL);
}

static void
wt_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  WtWindow *self = WT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CENTRAL_FILE:
      g_free (self->central_file);
      self->central_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

WtWindow *
wt_window_new (WtApplication *application)
{
  return g_object_new (WT_TYPE_WINDOW, "application", application, NULL);
}

WtWindow *
wt_window_new_central (WtApplication *application,
                       const char    *connection_file)
{
  g_return_val_if_fail (connection_file != NULL, NULL);

  return g_object_new (WT_TYPE_WINDOW, "application", application, "central-file", connection_file, NULL);
}

gboolean
wt_window_is_central (WtWindow *self)
{
  g_return_val_if_fail (WT_IS_WINDOW (self), FALSE);

  return self->central_file != NULL;
}

WtLedger *
wt_window_get_ledger (WtWindow *self)
{
  g_return_val_if_fail (WT_IS_WINDOW (self), NULL);

  return self->ledger;
}

const char *
wt_window_get_page (WtWindow *self)
{
  g_return_val_if_fail (WT_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* Takes ownership of @toast. */
void
wt_window_add_toast (WtWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (WT_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
