/* test-sync.c: the Sync view, the header-bar indicator, bundles, the
 * Anomalies page and the start-up integrity check, driven as a person would.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run by test-sync.sh, which starts a real PostgreSQL with TLS, installs the
 * central store, writes the site's connection file and makes the ledgers
 * with the CLI ($WT_TEST_DIR). The checks are what a person sees: the
 * waiting count, the last sync, the indicator's word, the sentences of a
 * bundle or a refusal, the anomaly list, the warning at start-up. The
 * central store's own count is read back with psql.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "wt-anomalies-view.h"
#include "wt-application.h"
#include "wt-ledger-sync.h"
#include "wt-ledger-view.h"
#include "wt-sync-view.h"
#include "wt-window.h"
#include "wt-ui-test.h"

#define TIMEOUT_MS 60000

static WtApplication *the_app;

static char *
test_path (const char *name)
{
  return g_build_filename (g_getenv ("WT_TEST_DIR"), name, NULL);
}

static gboolean
page_is_views (gpointer data)
{
  return g_strcmp0 (wt_window_get_page (data), "views") == 0;
}

static WtWindow *
open_window (const char *ledger_name)
{
  g_autofree char *path = test_path (ledger_name);
  WtWindow *window;

  g_setenv ("WASTETAG_LEDGER", path, TRUE);
  window = wt_window_new (the_app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (page_is_views, window, TIMEOUT_MS));
  return window;
}

static void
close_all (void)
{
  GList *toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (toplevels);
  spin (200);
}

static void
reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  g_settings_reset (settings, "sync-connection-file");
  g_settings_set_uint (settings, "sync-interval-minutes", 0);
}

static gboolean
view_idle (gpointer data)
{
  return !wt_sync_view_get_busy (data);
}

static gboolean
view_has_waiting (gpointer data)
{
  return wt_sync_view_get_n_waiting (data) > 0;
}

static gboolean
view_configured (gpointer data)
{
  return wt_sync_view_get_state (data) != WT_SYNC_STATE_NOT_SET_UP;
}

static gboolean
view_has_bundle_result (gpointer data)
{
  return wt_sync_view_get_bundle_result (data) != NULL && !wt_sync_view_get_busy (data);
}

static const char *
label_text (gpointer window,
            const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (window, WT_TYPE_WINDOW, name)));
}

static GListModel *the_model;

static gboolean
model_has_n (gpointer data)
{
  return g_list_model_get_n_items (the_model) == GPOINTER_TO_UINT (data);
}

static gint64
central_count (void)
{
  g_autofree char *out = NULL;
  const char *argv[] = { "psql", "-X", "-At", "-c", "SELECT count(*) FROM ingest.event", NULL, NULL };
  int status = 0;

  argv[5] = g_getenv ("WT_TEST_PSQL");
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_ascii_strtoll (out, NULL, 10);
}

/* ---- Sync with the central store ------------------------------------------------------ */

static void
test_sync_now (void)
{
  WtWindow *window;
  WtSyncView *view;
  g_autofree char *conn = test_path ("a.conn");
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *remembered = NULL;
  gint64 waiting;
  gint64 shipper_events = central_count ();

  reset_settings ();
  window = open_window ("site.wtl");
  view = child (window, WT_TYPE_WINDOW, "sync_view");
  the_model = wt_ledger_view_get_model (child (window, WT_TYPE_WINDOW, "ledger_view"));

  /* Alt+4's action shows the view. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "sync");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (child (window, WT_TYPE_WINDOW, "view_stack")), ==, "sync");

  /* Before: not set up, and the events are counted as waiting. */
  g_assert_true (wait_until (view_has_waiting, view, TIMEOUT_MS));
  waiting = wt_sync_view_get_n_waiting (view);
  g_assert_cmpint (wt_sync_view_get_state (view), ==, WT_SYNC_STATE_NOT_SET_UP);
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Not synced"));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (child (view, WT_TYPE_SYNC_VIEW, "sync_button"))));
  screenshot (window, "sync-view-not-set-up");

  /* The connection file the administrator gave. */
  wt_sync_view_connect_file (view, conn);
  g_assert_true (wait_until (view_configured, view, TIMEOUT_MS));
  remembered = g_settings_get_string (settings, "sync-connection-file");
  g_assert_cmpstr (remembered, ==, conn);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (child (view, WT_TYPE_SYNC_VIEW, "sync_button"))));

  /* The Ledger lists this site's three containers. */
  g_assert_true (wait_until (model_has_n, GUINT_TO_POINTER (3), TIMEOUT_MS));

  /* Sync now: the big button. */
  g_signal_emit_by_name (child (view, WT_TYPE_SYNC_VIEW, "sync_button"), "clicked");
  g_assert_true (wt_sync_view_get_busy (view));
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Syncing…"));
  g_assert_true (wait_until (view_idle, view, TIMEOUT_MS));
  spin (300);

  g_test_message ("sync message: %s", wt_sync_view_get_message (view));
  g_assert_cmpint (wt_sync_view_get_state (view), ==, WT_SYNC_STATE_ONLINE);
  g_assert_cmpint (wt_sync_view_get_n_waiting (view), ==, 0);
  g_assert_cmpint (central_count (), ==, waiting + shipper_events);
  g_assert_cmpint (wt_sync_view_get_last_sync_ms (view), >, 0);
  g_assert_cmpstr (gtk_label_get_text (child (view, WT_TYPE_SYNC_VIEW, "waiting_label")), ==, "0");
  g_assert_cmpstr (gtk_label_get_text (child (view, WT_TYPE_SYNC_VIEW, "last_sync_label")), !=, _("Never"));
  g_assert_nonnull (strstr (gtk_label_get_text (child (view, WT_TYPE_SYNC_VIEW, "last_sync_label")), _("just now")));
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Synced"));
  /* Site B's three containers on their way here came down and the Ledger
   * shows them without being asked. */
  g_assert_true (wait_until (model_has_n, GUINT_TO_POINTER (6), TIMEOUT_MS));
  screenshot (window, "sync-view-synced");
  screenshot (child (window, WT_TYPE_WINDOW, "sync_indicator"), "sync-indicator-synced");

  /* The network goes: offline, and no attempt. It comes back: a sync
   * starts by itself. */
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", FALSE);
  g_assert_cmpint (wt_sync_view_get_state (view), ==, WT_SYNC_STATE_OFFLINE);
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Offline"));
  g_assert_false (wt_sync_view_get_busy (view));
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", TRUE);
  g_assert_true (wt_sync_view_get_busy (view));
  g_assert_true (wait_until (view_idle, view, TIMEOUT_MS));
  g_assert_cmpint (wt_sync_view_get_state (view), ==, WT_SYNC_STATE_ONLINE);
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Synced"));

  /* The indicator opens the Sync view. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "ledger");
  g_signal_emit_by_name (child (window, WT_TYPE_WINDOW, "sync_indicator"), "clicked");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (child (window, WT_TYPE_WINDOW, "view_stack")), ==, "sync");

  close_all ();
  reset_settings ();
}

/* Connection refused: a sentence, and every event still waits here. */
static void
test_offline (void)
{
  WtWindow *window;
  WtSyncView *view;
  g_autofree char *conn = test_path ("refused.conn");
  g_autofree char *tail = NULL;
  gint64 waiting;

  reset_settings ();
  window = open_window ("offline.wtl");
  view = child (window, WT_TYPE_WINDOW, "sync_view");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "sync");
  g_assert_true (wait_until (view_has_waiting, view, TIMEOUT_MS));
  waiting = wt_sync_view_get_n_waiting (view);

  wt_sync_view_connect_file (view, conn);
  g_assert_true (wait_until (view_configured, view, TIMEOUT_MS));
  g_assert_true (wt_sync_view_sync_now (view));
  g_assert_false (wt_sync_view_sync_now (view)); /* never two at once */
  g_assert_true (wait_until (view_idle, view, TIMEOUT_MS));
  spin (300);

  g_test_message ("offline message: %s", wt_sync_view_get_message (view));
  g_assert_cmpint (wt_sync_view_get_state (view), ==, WT_SYNC_STATE_OFFLINE);
  tail = g_strdup_printf (_("%s Nothing is lost; the events wait on this device."), "");
  g_assert_nonnull (strstr (wt_sync_view_get_message (view), g_strstrip (tail)));
  g_assert_cmpint (wt_sync_view_get_n_waiting (view), ==, waiting);
  g_assert_cmpint (wt_sync_view_get_last_sync_ms (view), ==, 0);
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, _("Offline"));
  screenshot (window, "sync-view-offline");

  close_all ();
  reset_settings ();
}

/* ---- USB bundles ------------------------------------------------------------------------ */

static WtSyncView *
view_on (const char *ledger_name,
         WtLedger  **out_ledger)
{
  g_autofree char *path = test_path (ledger_name);
  g_autoptr(GError) error = NULL;
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (the_app));
  WtSyncView *view = g_object_new (WT_TYPE_SYNC_VIEW, NULL);

  *out_ledger = wt_ledger_open (path, &error);
  g_assert_no_error (error);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 800);
  gtk_window_present (GTK_WINDOW (window));
  wt_sync_view_set_ledger (view, *out_ledger);
  return view;
}

static gint64
events_of (WtLedger   *ledger,
           const char *device)
{
  gint64 n = 0;

  for (;;)
    {
      guint8 hash[32];
      gboolean found = FALSE;

      g_assert_true (wt_ledger_sync_hash_at (ledger, device, n + 1, hash, &found, NULL));
      if (!found)
        return n;
      n++;
    }
}

static void
import_and_wait (WtSyncView *view,
                 const char *path)
{
  wt_sync_view_import_bundle (view, path);
  g_assert_true (wait_until (view_idle, view, TIMEOUT_MS));
  g_test_message ("import %s: %s", path, wt_sync_view_get_bundle_result (view));
}

static void
test_bundle (void)
{
  g_autoptr(WtLedger) sender = NULL;
  g_autoptr(WtLedger) receiver = NULL;
  g_autoptr(WtLedger) stranger = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bundle = test_path ("usb.wtb");
  g_autofree char *altered = test_path ("altered.wtb");
  g_autofree char *cut = test_path ("cut.wtb");
  g_autofree char *device = NULL;
  g_autofree char *site = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *expected_in = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *contents = NULL;
  WtSyncView *export_view, *import_view, *stranger_view;
  guint8 public_key[32];
  const char *shown_key;
  gsize length;
  gint64 n;

  reset_settings ();
  export_view = view_on ("usb.wtl", &sender);
  g_assert_true (wait_until (view_has_waiting, export_view, TIMEOUT_MS));
  n = wt_sync_view_get_n_waiting (export_view);

  /* Everything not acknowledged. */
  wt_sync_view_export_bundle (export_view, bundle, -1);
  g_assert_true (wait_until (view_has_bundle_result, export_view, TIMEOUT_MS));
  expected = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%lld event written to %s.", "%lld events written to %s.", n),
                              (long long) n, bundle);
  g_assert_cmpstr (wt_sync_view_get_bundle_result (export_view), ==, expected);
  g_assert_true (g_file_test (bundle, G_FILE_TEST_IS_REGULAR));
  screenshot (gtk_widget_get_root (GTK_WIDGET (export_view)), "sync-view-exported");

  g_assert_true (wt_ledger_sync_identity (sender, &device, &site, public_key, &error));
  g_assert_no_error (error);
  import_view = view_on ("receiver.wtl", &receiver);

  /* A signer not known here is refused until a person types its key, as
   * the sender's Sync view shows it (groups of eight). */
  import_and_wait (import_view, bundle);
  unknown = g_strdup_printf (_("Nothing was imported: this bundle is signed by device %s, which this ledger does not know yet. Ask the sender to read you the key shown in their Sync view, type it in Sender's key, and import again."),
                             device);
  g_assert_cmpstr (wt_sync_view_get_bundle_result (import_view), ==, unknown);
  g_assert_cmpint (events_of (receiver, device), ==, 0);
  shown_key = gtk_label_get_text (child (export_view, WT_TYPE_SYNC_VIEW, "device_key_label"));
  g_assert_cmpuint (strlen (shown_key), ==, 64 + 7);
  gtk_editable_set_text (GTK_EDITABLE (child (import_view, WT_TYPE_SYNC_VIEW, "trust_row")), shown_key);

  /* An altered copy and a cut-off copy are refused whole. */
  g_assert_true (g_file_get_contents (bundle, &contents, &length, NULL));
  contents[length - 10] ^= 0x20;
  g_assert_true (g_file_set_contents (altered, contents, length, NULL));
  contents[length - 10] ^= 0x20;
  g_assert_true (g_file_set_contents (cut, contents, length / 2, NULL));
  import_and_wait (import_view, altered);
  g_assert_nonnull (strstr (wt_sync_view_get_bundle_result (import_view), altered));
  import_and_wait (import_view, cut);
  g_assert_nonnull (strstr (wt_sync_view_get_bundle_result (import_view), cut));
  g_assert_cmpint (events_of (receiver, device), ==, 0);

  /* The whole bundle: every event arrives, once. */
  import_and_wait (import_view, bundle);
  expected_in = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%lld event imported, %lld already here.",
                                              "%lld events imported, %lld already here.", n),
                                 (long long) n, (long long) 0);
  g_assert_true (g_str_has_prefix (wt_sync_view_get_bundle_result (import_view), expected_in));
  g_assert_cmpint (events_of (receiver, device), ==, n);
  screenshot (gtk_widget_get_root (GTK_WIDGET (import_view)), "sync-view-imported");
  import_and_wait (import_view, bundle);
  g_assert_cmpstr (wt_sync_view_get_bundle_result (import_view), ==,
                   _("This bundle was imported before; nothing changed."));
  g_assert_cmpint (events_of (receiver, device), ==, n);

  /* A ledger that never saw the sender's key refuses it. */
  stranger_view = view_on ("stranger.wtl", &stranger);
  import_and_wait (stranger_view, bundle);
  g_assert_cmpstr (wt_sync_view_get_bundle_result (stranger_view), ==, unknown);
  g_assert_cmpint (events_of (stranger, device), ==, 0);

  close_all ();
}

/* ---- Anomalies -------------------------------------------------------------------------- */

static gboolean
anomalies_loaded (gpointer data)
{
  return !wt_anomalies_view_get_loading (data) && wt_anomalies_view_get_n_open (data) > 0;
}

static gboolean
anomalies_gone (gpointer data)
{
  return !wt_anomalies_view_get_loading (data) && wt_anomalies_view_get_n_open (data) == 0;
}

static gboolean
sync_view_has_anomaly (gpointer data)
{
  return wt_sync_view_get_n_anomalies (data) > 0;
}

static gboolean
sync_view_no_anomaly (gpointer data)
{
  return wt_sync_view_get_n_anomalies (data) == 0;
}

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_named (GtkWidget  *widget,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named (c, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static guint
count_class (GtkWidget  *widget,
             const char *css_class)
{
  guint n = gtk_widget_has_css_class (widget, css_class) ? 1 : 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    n += count_class (c, css_class);
  return n;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  AdwMessageDialog *dialog = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      dialog = l->data;
  g_list_free (toplevels);
  return dialog;
}

static gboolean
has_message_dialog (gpointer data)
{
  return find_message_dialog () != NULL;
}

static void
test_anomalies (void)
{
  WtWindow *window;
  WtLedger *ledger;
  WtSyncView *sync_view;
  WtLedgerView *ledger_view;
  WtAnomaliesView *anomalies;
  GtkWindow *detail;
  AdwMessageDialog *dialog;
  GtkWidget *group, *versions;
  GtkWidget *pin_row;
  GtkWidget *name_row, *reason_row;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail_json = NULL;
  g_autofree char *one_anomaly = NULL;
  gboolean added = FALSE;

  reset_settings ();
  window = open_window ("site.wtl");
  ledger = wt_window_get_ledger (window);
  sync_view = child (window, WT_TYPE_WINDOW, "sync_view");
  ledger_view = child (window, WT_TYPE_WINDOW, "ledger_view");
  anomalies = child (ledger_view, WT_TYPE_LEDGER_VIEW, "anomalies_view");

  /* Two versions of one pickup, as the central store reports a weight that
   * disagrees with what this site shipped. */
  detail_json = g_strdup ("{\"shipped\":{\"kind\":\"shipped\",\"actor\":\"王芳\",\"wall_ms\":1796000000000,"
                          "\"payload\":\"{\\\"weight_kg\\\":180}\",\"device_seq\":7},"
                          "\"received\":{\"kind\":\"received\",\"actor\":\"李明\",\"wall_ms\":1796003600000,"
                          "\"payload\":\"{\\\"weight_kg\\\":150}\",\"device_seq\":3}}");
  g_assert_true (wt_ledger_sync_add_anomaly (ledger, "weight_mismatch", NULL, NULL, NULL, detail_json,
                                             g_get_real_time () / 1000, "local", &added, &error));
  g_assert_no_error (error);
  g_assert_true (added);

  /* The anomalies count links to the Ledger's Anomalies page. */
  wt_sync_view_refresh (sync_view);
  g_assert_true (wait_until (sync_view_has_anomaly, sync_view, TIMEOUT_MS));
  one_anomaly = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d anomaly", "%d anomalies", 1), 1);
  g_assert_cmpstr (label_text (window, "sync_indicator_label"), ==, one_anomaly);
  screenshot (child (window, WT_TYPE_WINDOW, "sync_indicator"), "sync-indicator-anomaly");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "sync");
  gtk_widget_activate_action (GTK_WIDGET (sync_view), "sync.show-anomalies", NULL);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (child (window, WT_TYPE_WINDOW, "view_stack")), ==, "ledger");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (child (ledger_view, WT_TYPE_LEDGER_VIEW, "sub_stack")), ==,
                   "anomalies");
  wt_ledger_view_reload (ledger_view);
  g_assert_true (wait_until (anomalies_loaded, anomalies, TIMEOUT_MS));
  g_assert_cmpuint (wt_anomalies_view_get_n_open (anomalies), ==, 1);
  screenshot (window, "anomalies-page");

  /* The detail: both versions side by side. */
  detail = wt_anomalies_view_show_detail (anomalies, 0);
  g_assert_nonnull (detail);
  spin (300);
  versions = find_named (GTK_WIDGET (detail), "versions");
  g_assert_nonnull (versions);
  g_assert_nonnull (gtk_widget_get_first_child (versions));
  g_assert_nonnull (gtk_widget_get_next_sibling (gtk_widget_get_first_child (versions)));
  /* What differs is marked on both sides: time, person, sequence, weight. */
  g_assert_cmpuint (count_class (versions, "wt-anomaly-differs"), ==, 8);
  screenshot (detail, "anomaly-detail");

  /* Resolve…: the supervisor's name and a reason, then Settle. */
  g_signal_emit_by_name (find_named (GTK_WIDGET (detail), "resolve-button"), "clicked");
  g_assert_true (wait_until (has_message_dialog, NULL, TIMEOUT_MS));
  dialog = find_message_dialog ();
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  group = adw_message_dialog_get_extra_child (dialog);
  name_row = find_type (group, ADW_TYPE_ENTRY_ROW);
  g_assert_nonnull (name_row);
  pin_row = gtk_widget_get_next_sibling (name_row);
  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (pin_row));
  reason_row = gtk_widget_get_next_sibling (pin_row);
  g_assert_true (ADW_IS_ENTRY_ROW (reason_row));
  gtk_editable_set_text (GTK_EDITABLE (name_row), "张主管");
  gtk_editable_set_text (GTK_EDITABLE (reason_row), "司机称重有误，以出库重量为准");
  /* No PIN, or not 4–8 digits: Settle stays off. */
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  gtk_editable_set_text (GTK_EDITABLE (pin_row), "12a4");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  gtk_editable_set_text (GTK_EDITABLE (pin_row), "2468");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "resolve"));
  screenshot (dialog, "anomaly-resolve");
  adw_message_dialog_response (dialog, "resolve");

  g_assert_true (wait_until (anomalies_gone, anomalies, TIMEOUT_MS));
  g_assert_true (wait_until (sync_view_no_anomaly, sync_view, TIMEOUT_MS));
  all = wt_ledger_list_anomalies (ledger, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_nonnull (((WtAnomaly *) g_ptr_array_index (all, 0))->resolved_by);
  /* The resolution is an event of this device, waiting to be sent. */
  g_assert_cmpint (wt_ledger_sync_pending (ledger, WT_SYNC_PEER_CENTRAL), >, 0);
  screenshot (window, "anomalies-page-settled");

  close_all ();
}

/* ---- Start-up integrity ------------------------------------------------------------------- */

static void
test_tampered (void)
{
  WtWindow *window;
  AdwMessageDialog *dialog;
  const char *body;

  reset_settings ();
  window = open_window ("tampered.wtl");

  /* The window works while the check runs, and the warning comes. */
  g_assert_true (wait_until (has_message_dialog, NULL, TIMEOUT_MS));
  dialog = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, _("The Ledger Has Been Altered"));
  body = adw_message_dialog_get_body (dialog);
  g_test_message ("integrity: %s", body);
  g_assert_nonnull (strstr (body, "2")); /* names the event: device sequence 2 */
  screenshot (dialog, "integrity-warning");

  adw_message_dialog_response (dialog, "show");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (child (window, WT_TYPE_WINDOW, "view_stack")), ==, "ledger");

  close_all ();
}

/* ---- The central office --------------------------------------------------------------------- */

static gboolean
model_has_nine (gpointer data)
{
  return g_list_model_get_n_items (data) == 9;
}

static gboolean
widget_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
page_visible (WtWindow   *window,
              const char *name)
{
  AdwViewStack *stack = child (window, WT_TYPE_WINDOW, "view_stack");

  return adw_view_stack_page_get_visible (adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, name)));
}

static void
test_central_office (void)
{
  g_autofree char *office = test_path ("office.conn");
  g_autofree char *usb = test_path ("usb.wtl");
  g_autofree char *b_conn = test_path ("b.conn");
  const char *argv[] = { g_getenv ("WASTETAG_CLI"), "--ledger", usb, "sync", "--connection", b_conn, NULL };
  g_autofree char *cache_dir = NULL;
  g_autoptr(GDir) dir = NULL;
  AdwViewStack *stack;
  WtWindow *window;
  WtLedgerView *ledger_view;
  GListModel *model;
  int status = 0;

  /* The second site sends its events too. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  reset_settings ();
  window = wt_window_new_central (the_app, office);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (page_is_views, window, TIMEOUT_MS));
  g_assert_true (wt_window_is_central (window));

  /* Read-only: no Label, Scan or Sync view, and nothing reaches them. */
  stack = child (window, WT_TYPE_WINDOW, "view_stack");
  g_assert_false (page_visible (window, "label"));
  g_assert_false (page_visible (window, "scan"));
  g_assert_false (page_visible (window, "sync"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "ledger");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "label");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "ledger");
  g_assert_false (gtk_widget_get_visible (child (window, WT_TYPE_WINDOW, "sync_indicator")));
  g_assert_true (gtk_widget_get_visible (child (window, WT_TYPE_WINDOW, "central_button")));
  g_assert_true (gtk_widget_get_sensitive (child (window, WT_TYPE_WINDOW, "central_button")));

  g_assert_false (gtk_widget_get_visible (child (child (window, WT_TYPE_WINDOW, "ledger_view"), WT_TYPE_LEDGER_VIEW,
                                                 "print_labels_button")));

  /* Every site's containers: three of site A, three that site B shipped
   * to A, three more of site B. */
  ledger_view = child (window, WT_TYPE_WINDOW, "ledger_view");
  model = wt_ledger_view_get_model (ledger_view);
  g_assert_true (wait_until (model_has_nine, model, TIMEOUT_MS));
  screenshot (window, "central-office");

  /* Refresh: the copy is brought up to date on a worker thread. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.central-refresh", NULL);
  g_assert_false (gtk_widget_get_sensitive (child (window, WT_TYPE_WINDOW, "central_button")));
  g_assert_true (wait_until (widget_sensitive, child (window, WT_TYPE_WINDOW, "central_button"), TIMEOUT_MS));
  g_assert_true (wait_until (model_has_nine, model, TIMEOUT_MS));

  /* The cache lives under $XDG_CACHE_HOME/wastetag. */
  cache_dir = g_build_filename (g_get_user_cache_dir (), "wastetag", NULL);
  dir = g_dir_open (cache_dir, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_true (g_str_has_prefix (g_dir_read_name (dir), "central-"));

  close_all ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  if (g_getenv ("WT_TEST_DIR") == NULL)
    {
      g_print ("1..0 # SKIP run by test-sync.sh, which starts PostgreSQL\n");
      return 0;
    }

  the_app = g_object_new (WT_TYPE_APPLICATION,
                          "application-id", APP_ID,
                          "flags", G_APPLICATION_NON_UNIQUE,
                          NULL);
  g_application_register (G_APPLICATION (the_app), NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/ui/sync/sync-now", test_sync_now);
  g_test_add_func ("/ui/sync/offline", test_offline);
  g_test_add_func ("/ui/sync/bundle", test_bundle);
  g_test_add_func ("/ui/sync/anomalies", test_anomalies);
  g_test_add_func ("/ui/sync/tampered", test_tampered);
  g_test_add_func ("/ui/sync/central-office", test_central_office);

  status = g_test_run ();
  g_clear_object (&the_app);
  return status;
}
