/* test-window.c: the main window, driven as a person would.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test gets a fresh ledger in a temporary folder (WASTETAG_LEDGER),
 * creates the application and a window, and works through the window's own
 * widgets and actions: type into the set-up form, search the catalogue,
 * print to PDF through GtkPrintOperation's export path. The checks are the
 * ones a person would make: the PDF has the pages and the text, the ledger
 * has the containers.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "wt-application.h"
#include "wt-container-page.h"
#include "wt-label-view.h"
#include "wt-ledger-view.h"
#include "wt-preferences-window.h"
#include "wt-report.h"
#include "wt-site-window.h"
#include "wt-uscc.h"
#include "wt-waste-row.h"
#include "wt-window.h"
#include "wt-ui-test.h"

/* The example unit of the README; its check character is right. */
#define TEST_USCC "91350100M000100Y43"
#define TIMEOUT_MS 60000

typedef struct
{
  char          *dir;
  char          *ledger_path;
  WtApplication *app;
  WtWindow      *window;
} Fixture;

/* One application for the whole run: it exports itself on the session bus
 * when registered, and a second one with the same id could not. */
static WtApplication *the_app;

static gboolean
page_is_not_loading (gpointer data)
{
  const char *page = wt_window_get_page (data);

  return g_strcmp0 (page, "loading") != 0;
}

static gboolean
page_is_views (gpointer data)
{
  return g_strcmp0 (wt_window_get_page (data), "views") == 0;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("wastetag-ui-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->ledger_path = g_build_filename (fixture->dir, "ledger.wtl", NULL);
  g_setenv ("WASTETAG_LEDGER", fixture->ledger_path, TRUE);

  fixture->app = g_object_ref (the_app);
  fixture->window = wt_window_new (fixture->app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1180, 860);
  gtk_window_present (GTK_WINDOW (fixture->window));

  g_assert_true (wait_until (page_is_not_loading, fixture->window, TIMEOUT_MS));
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_path = g_build_filename (path, name, NULL);

      if (g_file_test (child_path, G_FILE_TEST_IS_DIR))
        remove_tree (child_path);
      else
        g_unlink (child_path);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GList *l;

  for (l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (toplevels);
  spin (100);

  g_clear_object (&fixture->app);
  remove_tree (fixture->dir);
  g_free (fixture->ledger_path);
  g_free (fixture->dir);
}

/* ---- First start ---------------------------------------------------------- */

static gboolean
model_has_items (gpointer data)
{
  return g_list_model_get_n_items (data) > 0;
}

static void
test_welcome_then_demo (Fixture       *fixture,
                        gconstpointer  user_data)
{
  WtLedgerView *ledger_view;
  GtkWidget *demo_button;
  AdwStatusPage *welcome;

  /* No site yet: the welcome page, with both ways in. */
  g_assert_cmpstr (wt_window_get_page (fixture->window), ==, "welcome");
  welcome = child (fixture->window, WT_TYPE_WINDOW, "welcome_page");
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (welcome)));
  g_assert_true (gtk_widget_is_visible (child (fixture->window, WT_TYPE_WINDOW, "setup_button")));
  screenshot (fixture->window, "welcome");

  /* A person clicks "Try with demo data". */
  demo_button = child (fixture->window, WT_TYPE_WINDOW, "demo_button");
  g_signal_emit_by_name (demo_button, "clicked");
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  /* The demo ledger has containers, and the Ledger view lists them. */
  ledger_view = child (fixture->window, WT_TYPE_WINDOW, "ledger_view");
  g_assert_true (wait_until (model_has_items, wt_ledger_view_get_model (ledger_view), TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");
  screenshot (fixture->window, "ledger-demo");
}

/* ---- Set up, search, print ------------------------------------------------ */

static WtSiteWindow *
find_site_window (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  WtSiteWindow *found = NULL;
  GList *l;

  for (l = toplevels; l != NULL; l = l->next)
    if (WT_IS_SITE_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
is_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static void
type_into (gpointer    widget,
           GType       type,
           const char *name,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (child (widget, type, name)), text);
}

typedef struct
{
  GtkListBox *list;
  const char *code;
  GtkWidget  *row;
} FindRow;

static gboolean
result_row_found (gpointer data)
{
  FindRow *find = data;
  GtkWidget *row;

  for (row = gtk_widget_get_first_child (GTK_WIDGET (find->list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (WT_IS_WASTE_ROW (row) &&
        g_strcmp0 (wt_waste_row_get_waste (WT_WASTE_ROW (row))->code, find->code) == 0)
      {
        find->row = row;
        return TRUE;
      }
  return FALSE;
}

static gboolean
can_print (gpointer data)
{
  return wt_label_view_get_can_print (data);
}

static void
ledger_changed_cb (WtLabelView *view,
                   gboolean    *changed)
{
  *changed = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
not_busy (gpointer data)
{
  return !wt_label_view_get_busy (data);
}

static char *
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

static guint
count_files (const char *path,
             const char *suffix)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, suffix))
      n++;
  return n;
}

static void
test_setup_search_print (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLedger) ledger = NULL;
  g_autofree char *pdf = g_build_filename (fixture->dir, "labels.pdf", NULL);
  g_autofree char *info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *png = NULL;
  WtSiteWindow *site_window;
  WtLabelView *label_view;
  GtkListBox *results;
  gboolean changed = FALSE;
  FindRow find = { 0 };

  g_assert_true (wt_uscc_validate (TEST_USCC, NULL));
  g_assert_cmpstr (wt_window_get_page (fixture->window), ==, "welcome");

  /* "Set up this site" opens the form. */
  g_signal_emit_by_name (child (fixture->window, WT_TYPE_WINDOW, "setup_button"), "clicked");
  site_window = find_site_window ();
  g_assert_nonnull (site_window);
  g_assert_true (wait_until (is_sensitive, site_window, TIMEOUT_MS));

  /* A wrong check character is caught as it is typed. */
  type_into (site_window, WT_TYPE_SITE_WINDOW, "name_row", "示例化工有限公司");
  type_into (site_window, WT_TYPE_SITE_WINDOW, "uscc_row", "91350100M000100Y44");
  g_assert_true (gtk_widget_get_visible (child (site_window, WT_TYPE_SITE_WINDOW, "uscc_error_label")));

  type_into (site_window, WT_TYPE_SITE_WINDOW, "uscc_row", TEST_USCC);
  g_assert_false (gtk_widget_get_visible (child (site_window, WT_TYPE_SITE_WINDOW, "uscc_error_label")));
  type_into (site_window, WT_TYPE_SITE_WINDOW, "contact_row", "王芳");
  type_into (site_window, WT_TYPE_SITE_WINDOW, "phone_row", "059188880000");
  type_into (site_window, WT_TYPE_SITE_WINDOW, "address_row", "福州市鼓楼区示例路1号");
  type_into (site_window, WT_TYPE_SITE_WINDOW, "facility_row", "FZ-01");
  type_into (site_window, WT_TYPE_SITE_WINDOW, "device_name_row", "仓库电脑");
  screenshot (site_window, "site-setup");

  gtk_widget_activate_action (GTK_WIDGET (site_window), "site.save", NULL);
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  /* Search the catalogue as a person types, and pick 900-249-08. */
  label_view = child (fixture->window, WT_TYPE_WINDOW, "label_view");
  gtk_editable_set_text (GTK_EDITABLE (child (label_view, WT_TYPE_LABEL_VIEW, "search_entry")), "废矿物油");
  results = child (label_view, WT_TYPE_LABEL_VIEW, "results_list");
  find.list = results;
  find.code = "900-249-08";
  g_assert_true (wait_until (result_row_found, &find, TIMEOUT_MS));
  g_signal_emit_by_name (results, "row-activated", find.row);

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (child (label_view, WT_TYPE_LABEL_VIEW, "code_row"))),
                   ==, "900-249-08");

  /* A negative weight is refused, then the real one accepted. */
  type_into (label_view, WT_TYPE_LABEL_VIEW, "weight_row", "-5");
  g_assert_false (wt_label_view_get_can_print (label_view));
  type_into (label_view, WT_TYPE_LABEL_VIEW, "weight_row", "180");
  gtk_spin_button_set_value (child (label_view, WT_TYPE_LABEL_VIEW, "count_spin"), 3);
  g_assert_true (wait_until (can_print, label_view, TIMEOUT_MS));
  screenshot (fixture->window, "label-view");

  /* Print three labels through GtkPrintOperation's own PDF export. */
  g_signal_connect (label_view, "ledger-changed", G_CALLBACK (ledger_changed_cb), &changed);
  gtk_widget_activate_action (GTK_WIDGET (label_view), "label.print-to-pdf", "s", pdf);
  g_assert_true (wait_until (flag_set, &changed, TIMEOUT_MS));
  g_assert_true (wait_until (not_busy, label_view, TIMEOUT_MS));
  screenshot (fixture->window, "label-printed");

  /* The PDF: three pages, the label's words and the waste code. */
  g_assert_true (g_file_test (pdf, G_FILE_TEST_EXISTS));
  info = run ((const char * const[]) { "pdfinfo", pdf, NULL });
  g_assert_nonnull (strstr (info, "Pages:"));
  g_assert_true (g_regex_match_simple ("^Pages:\\s+3$", info, G_REGEX_MULTILINE, 0));
  text = run ((const char * const[]) { "pdftotext", "-enc", "UTF-8", pdf, "-", NULL });
  g_assert_nonnull (strstr (text, "危险废物"));
  g_assert_nonnull (strstr (text, "900-249-08"));

  /* The ledger: exactly the three containers. */
  ledger = wt_ledger_open (fixture->ledger_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wt_ledger_count_containers (ledger), ==, 3);

  /* Export two more as PNG through the worker thread: one file per label,
   * and the ledger grows by two. */
  changed = FALSE;
  gtk_spin_button_set_value (child (label_view, WT_TYPE_LABEL_VIEW, "count_spin"), 2);
  g_assert_true (wait_until (can_print, label_view, TIMEOUT_MS));
  png = g_build_filename (fixture->dir, "drum.png", NULL);
  gtk_widget_activate_action (GTK_WIDGET (label_view), "label.export-to", "s", png);
  g_assert_true (wait_until (flag_set, &changed, TIMEOUT_MS));
  g_assert_true (wait_until (not_busy, label_view, TIMEOUT_MS));
  g_assert_cmpint (count_files (fixture->dir, ".png"), ==, 2);
  g_assert_cmpint (wt_ledger_count_containers (ledger), ==, 5);

  /* An unknown waste code stops printing and says why. */
  type_into (label_view, WT_TYPE_LABEL_VIEW, "code_row", "123-456-78");
  g_assert_false (wt_label_view_get_can_print (label_view));
  g_assert_true (gtk_widget_get_visible (child (label_view, WT_TYPE_LABEL_VIEW, "code_error_label")));
  g_assert_nonnull (gtk_widget_get_tooltip_text (child (label_view, WT_TYPE_LABEL_VIEW, "print_button")));
  screenshot (fixture->window, "label-unknown-code");

  /* The Ledger view shows them too. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");
  g_assert_true (wait_until (model_has_items,
                             wt_ledger_view_get_model (child (fixture->window, WT_TYPE_WINDOW, "ledger_view")),
                             TIMEOUT_MS));
  screenshot (fixture->window, "ledger-view");
}

/* ---- A container's page: void with a reason ----------------------------- */

static AdwMessageDialog *
find_message_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  AdwMessageDialog *found = NULL;
  GList *l;

  for (l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
list_has_rows (gpointer data)
{
  return gtk_widget_get_first_child (GTK_WIDGET (data)) != NULL;
}

typedef struct
{
  char *path;
  char *code;
} VoidCheck;

static gboolean
container_is_voided (gpointer data)
{
  VoidCheck *check = data;
  g_autoptr(WtLedger) ledger = wt_ledger_open (check->path, NULL);
  g_autoptr(WtContainer) container = NULL;

  if (ledger == NULL)
    return FALSE;
  container = wt_ledger_get_container (ledger, check->code, NULL);
  return container != NULL && container->state == WT_CONTAINER_VOIDED;
}

static void
test_void_from_container_page (Fixture       *fixture,
                               gconstpointer  user_data)
{
  WtLedgerView *ledger_view = child (fixture->window, WT_TYPE_WINDOW, "ledger_view");
  GListModel *model = wt_ledger_view_get_model (ledger_view);
  g_autoptr(GObject) first = NULL;
  GtkWidget *container_page;
  AdwMessageDialog *dialog;
  VoidCheck check = { 0 };

  g_signal_emit_by_name (child (fixture->window, WT_TYPE_WINDOW, "demo_button"), "clicked");
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));
  g_assert_true (wait_until (model_has_items, model, TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");

  /* Activating the newest row opens its page with its events. */
  first = g_list_model_get_item (model, 0);
  g_object_get (first, "code", &check.code, NULL);
  g_signal_emit_by_name (child (ledger_view, WT_TYPE_LEDGER_VIEW, "column_view"), "activate", 0);
  container_page = child (ledger_view, WT_TYPE_LEDGER_VIEW, "container_page");
  g_assert_true (wait_until (list_has_rows,
                             child (container_page, WT_TYPE_CONTAINER_PAGE, "events_list"),
                             TIMEOUT_MS));
  screenshot (fixture->window, "container-page");

  /* Void asks for a reason; without one the button stays off. */
  gtk_widget_activate_action (container_page, "container.void", NULL);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "confirm"));
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "打印错误");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "confirm"));
  screenshot (dialog, "void-dialog");
  adw_message_dialog_response (dialog, "confirm");

  check.path = fixture->ledger_path;
  g_assert_true (wait_until (container_is_voided, &check, TIMEOUT_MS));
  g_free (check.code);

  /* A narrow window shows the switcher at the bottom. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 400, 760);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "label");
  spin (500);
  screenshot (fixture->window, "narrow-label");
}

/* ---- The primary menu's windows ---------------------------------------- */

static gpointer
find_toplevel (GType type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gpointer found = NULL;
  GList *l;

  for (l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
ledger_limits_are_20_19 (gpointer data)
{
  return wt_ledger_get_overdue_limit (data) == 20 && wt_ledger_get_overdue_warn (data) == 19;
}

static gboolean
ledger_is_simplified (gpointer data)
{
  return wt_ledger_get_unit_class (data) == WT_UNIT_CLASS_SIMPLIFIED;
}

static void
test_menu_windows (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *ecc = NULL;
  WtSiteWindow *site_window;
  GtkWindow *preferences;
  GtkWindow *about;

  /* GtkApplication found the shortcuts window in the resources. */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fixture->window)));

  g_signal_emit_by_name (child (fixture->window, WT_TYPE_WINDOW, "demo_button"), "clicked");
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  /* Site…: once set up, the site is shown, not edited. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.site", NULL);
  site_window = find_site_window ();
  g_assert_nonnull (site_window);
  g_assert_true (wait_until (is_sensitive, site_window, TIMEOUT_MS));
  g_assert_false (gtk_widget_get_visible (child (site_window, WT_TYPE_SITE_WINDOW, "save_button")));
  g_assert_false (gtk_editable_get_editable (GTK_EDITABLE (child (site_window, WT_TYPE_SITE_WINDOW, "uscc_row"))));
  screenshot (site_window, "site-view");
  gtk_window_destroy (GTK_WINDOW (site_window));

  /* Preferences are bound to GSettings. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  preferences = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  adw_combo_row_set_selected (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "ecc_row"), 2);
  ecc = g_settings_get_string (settings, "default-ecc");
  g_assert_cmpstr (ecc, ==, "H");
  adw_combo_row_set_selected (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "dpi_row"), 0);
  g_assert_cmpuint (g_settings_get_uint (settings, "printer-dpi"), ==, 203);
  screenshot (preferences, "preferences");
  g_settings_reset (settings, "default-ecc");
  g_settings_reset (settings, "printer-dpi");

  /* The site's storage limits and unit class are the ledger's, read and
   * written off the main loop; the rows wait for them. */
  g_assert_true (wait_until (is_sensitive, child (preferences, WT_TYPE_PREFERENCES_WINDOW, "storage_group"),
                             TIMEOUT_MS));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "limit_spin")),
                   ==, 365);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "warn_spin")),
                   ==, 30);
  gtk_spin_button_set_value (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "limit_spin"), 20);
  /* A warning must come before the limit: it is brought under it. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "warn_spin")),
                   ==, 19);
  g_assert_true (wait_until (ledger_limits_are_20_19, wt_window_get_ledger (fixture->window), TIMEOUT_MS));
  adw_combo_row_set_selected (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "class_row"), 1);
  g_assert_true (wait_until (ledger_is_simplified, wt_window_get_ledger (fixture->window), TIMEOUT_MS));
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), "ledger");
  spin (200);
  screenshot (preferences, "preferences-ledger");
  gtk_window_destroy (preferences);

  /* Opened again, it shows what the ledger holds. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  preferences = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_true (wait_until (is_sensitive, child (preferences, WT_TYPE_PREFERENCES_WINDOW, "storage_group"),
                             TIMEOUT_MS));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "limit_spin")),
                   ==, 20);
  g_assert_cmpuint (adw_combo_row_get_selected (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "class_row")), ==, 1);
  gtk_window_destroy (preferences);

  /* About names the version and the licence. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)), ==, GTK_LICENSE_GPL_3_0);
  screenshot (about, "about");
  gtk_window_destroy (about);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  the_app = g_object_new (WT_TYPE_APPLICATION,
                          "application-id", APP_ID,
                          "flags", G_APPLICATION_NON_UNIQUE,
                          NULL);
  g_application_register (G_APPLICATION (the_app), NULL, &error);
  g_assert_no_error (error);

  g_test_add ("/ui/window/welcome-then-demo", Fixture, NULL,
              fixture_set_up, test_welcome_then_demo, fixture_tear_down);
  g_test_add ("/ui/window/menu-windows", Fixture, NULL,
              fixture_set_up, test_menu_windows, fixture_tear_down);
  g_test_add ("/ui/window/void-from-container-page", Fixture, NULL,
              fixture_set_up, test_void_from_container_page, fixture_tear_down);
  g_test_add ("/ui/window/setup-search-print", Fixture, NULL,
              fixture_set_up, test_setup_search_print, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);
  return status;
}
