/* test-i18n.c: the main window in Chinese, as the clerks see it.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Chinese is the product's first language. The test runs the real window
 * under the zh_CN.UTF-8 locale with the catalogue the build just compiled
 * (BUILD_LOCALEDIR/zh_CN/LC_MESSAGES/wastetag.mo) and checks that the
 * welcome page, its buttons and the view switcher are in Chinese. It skips
 * only when the zh_CN.UTF-8 locale is not installed (locale-gen).
 *
 * With WASTETAG_SCREENSHOT_DIR set, it saves PNGs of the welcome page and
 * of the views with demo data, to check by eye that nothing is clipped.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "wt-application.h"
#include "wt-container-page.h"
#include "wt-ledger-view.h"
#include "wt-preferences-window.h"
#include "wt-site-window.h"
#include "wt-window.h"
#include "wt-ui-test.h"

#define TIMEOUT_MS 60000
#define LOCALE "zh_CN.UTF-8"

typedef struct
{
  char          *dir;
  char          *ledger_path;
  WtApplication *app;
  WtWindow      *window;
} Fixture;

static WtApplication *the_app;
static gboolean have_locale;

/* ---- Helpers (as in test-window.c) ----------------------------------------- */






static gboolean
page_is_not_loading (gpointer data)
{
  return g_strcmp0 (wt_window_get_page (data), "loading") != 0;
}

static gboolean
page_is_views (gpointer data)
{
  return g_strcmp0 (wt_window_get_page (data), "views") == 0;
}

static gboolean
model_has_items (gpointer data)
{
  return g_list_model_get_n_items (data) > 0;
}

/* Whether a visible GtkLabel under @widget shows exactly @text. */
static gboolean
shows_label (GtkWidget  *widget,
             const char *text)
{
  GtkWidget *c;

  if (!gtk_widget_get_visible (widget))
    return FALSE;
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (shows_label (c, text))
      return TRUE;
  return FALSE;
}

/* The text of every GtkLabel under @widget whose text is cut with an
 * ellipsis (wider than it was given), collected into @out. */
static void
collect_ellipsized (GtkWidget *widget,
                    GString   *out)
{
  GtkWidget *c;

  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget))
    {
      PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (widget));

      if (pango_layout_is_ellipsized (layout))
        g_string_append_printf (out, "  “%s”\n", gtk_label_get_text (GTK_LABEL (widget)));
    }
  for (c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_ellipsized (c, out);
}

static void
report_ellipsized (gpointer    widget,
                   const char *where)
{
  g_autoptr(GString) out = g_string_new (NULL);

  collect_ellipsized (GTK_WIDGET (widget), out);
  if (out->len > 0)
    g_test_message ("%s: text cut short with an ellipsis:\n%s", where, out->str);
}

/* ---- Fixture ---------------------------------------------------------------- */

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
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  if (!have_locale)
    return;

  fixture->dir = g_dir_make_tmp ("wastetag-i18n-XXXXXX", &error);
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
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GList *toplevels;
  GList *l;

  if (!have_locale)
    return;

  toplevels = gtk_window_list_toplevels ();
  for (l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (toplevels);
  spin (100);

  g_clear_object (&fixture->app);
  remove_tree (fixture->dir);
  g_free (fixture->ledger_path);
  g_free (fixture->dir);
}

/* ---- Tests ------------------------------------------------------------------ */

/* The build's catalogue is found and read. */
static void
test_catalogue (void)
{
  g_autofree char *mo = g_build_filename (BUILD_LOCALEDIR, "zh_CN", "LC_MESSAGES",
                                          GETTEXT_PACKAGE ".mo", NULL);

  if (!have_locale)
    {
      g_test_skip ("the " LOCALE " locale is not installed (run locale-gen)");
      return;
    }

  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (_("Welcome to Wastetag"), ==, "欢迎使用 Wastetag");
  g_assert_cmpstr (_("Ledger"), ==, "台账");
  /* Plural forms: Chinese has one. */
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u container", "%u containers", 1), ==, "%u 个容器");
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u container", "%u containers", 7), ==, "%u 个容器");
}

static void
test_welcome_and_views (Fixture       *fixture,
                        gconstpointer  user_data)
{
  AdwStatusPage *welcome;
  GtkButton *setup_button;
  GtkButton *demo_button;
  AdwViewStack *view_stack;
  WtLedgerView *ledger_view;
  GtkWidget *switcher_title;

  if (!have_locale)
    {
      g_test_skip ("the " LOCALE " locale is not installed (run locale-gen)");
      return;
    }

  /* The welcome page greets in Chinese, with both ways in. */
  g_assert_cmpstr (wt_window_get_page (fixture->window), ==, "welcome");
  welcome = child (fixture->window, WT_TYPE_WINDOW, "welcome_page");
  g_assert_cmpstr (adw_status_page_get_title (welcome), ==, "欢迎使用 Wastetag");
  g_assert_nonnull (strstr (adw_status_page_get_description (welcome), "台账"));

  setup_button = child (fixture->window, WT_TYPE_WINDOW, "setup_button");
  demo_button = child (fixture->window, WT_TYPE_WINDOW, "demo_button");
  g_assert_cmpstr (gtk_button_get_label (setup_button), ==, "设置本单位(_S)");
  g_assert_cmpstr (gtk_button_get_label (demo_button), ==, "使用演示数据试用(_T)");
  /* The mnemonic is shown as an underline, not as "(_S)" text. */
  g_assert_true (shows_label (GTK_WIDGET (setup_button), "设置本单位(S)"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->window)), ==, "Wastetag");
  report_ellipsized (fixture->window, "welcome page");
  screenshot (fixture->window, "zh_CN-welcome");

  /* Demo data: the views, and the switcher names them in Chinese. */
  g_signal_emit_by_name (demo_button, "clicked");
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  view_stack = child (fixture->window, WT_TYPE_WINDOW, "view_stack");
  g_assert_cmpstr (adw_view_stack_page_get_title (adw_view_stack_get_page (view_stack,
                   adw_view_stack_get_child_by_name (view_stack, "label"))), ==, "标签");
  g_assert_cmpstr (adw_view_stack_page_get_title (adw_view_stack_get_page (view_stack,
                   adw_view_stack_get_child_by_name (view_stack, "ledger"))), ==, "台账");

  /* What is drawn, not just what is set: the wide switcher shows both. */
  switcher_title = child (fixture->window, WT_TYPE_WINDOW, "switcher_title");
  spin (200);
  g_assert_true (shows_label (switcher_title, "标签"));
  g_assert_true (shows_label (switcher_title, "台账"));

  report_ellipsized (fixture->window, "label view");
  screenshot (fixture->window, "zh_CN-label-view");

  ledger_view = child (fixture->window, WT_TYPE_WINDOW, "ledger_view");
  g_assert_true (wait_until (model_has_items, wt_ledger_view_get_model (ledger_view), TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");
  spin (200);
  g_assert_true (shows_label (GTK_WIDGET (ledger_view), "数字识别码"));
  g_assert_true (shows_label (GTK_WIDGET (ledger_view), "废物代码"));
  report_ellipsized (fixture->window, "ledger view");
  screenshot (fixture->window, "zh_CN-ledger-view");

  /* A narrow window: the switcher moves to the bottom bar. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 400, 760);
  spin (500);
  report_ellipsized (fixture->window, "narrow ledger view");
  screenshot (fixture->window, "zh_CN-narrow-ledger");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "label");
  spin (300);
  report_ellipsized (fixture->window, "narrow label view");
  screenshot (fixture->window, "zh_CN-narrow-label");
}

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
is_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
list_has_rows (gpointer data)
{
  return gtk_widget_get_first_child (GTK_WIDGET (data)) != NULL;
}

/* The other windows a clerk meets: the set-up form, the site, the
 * preferences, a container's page and the void dialog. */
static void
test_dialogs (Fixture       *fixture,
              gconstpointer  user_data)
{
  WtLedgerView *ledger_view;
  GListModel *model;
  GtkWidget *container_page;
  WtSiteWindow *site_window;
  GtkWindow *preferences;
  AdwMessageDialog *dialog;

  if (!have_locale)
    {
      g_test_skip ("the " LOCALE " locale is not installed (run locale-gen)");
      return;
    }

  /* The set-up form, empty. */
  g_signal_emit_by_name (child (fixture->window, WT_TYPE_WINDOW, "setup_button"), "clicked");
  site_window = find_toplevel (WT_TYPE_SITE_WINDOW);
  g_assert_nonnull (site_window);
  g_assert_true (wait_until (is_sensitive, site_window, TIMEOUT_MS));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (site_window)), ==, "设置本单位");
  g_assert_true (shows_label (GTK_WIDGET (site_window), "统一社会信用代码"));
  report_ellipsized (site_window, "site set-up");
  screenshot (site_window, "zh_CN-site-setup");
  gtk_window_destroy (GTK_WINDOW (site_window));

  g_signal_emit_by_name (child (fixture->window, WT_TYPE_WINDOW, "demo_button"), "clicked");
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  /* The site, once set up. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.site", NULL);
  site_window = find_toplevel (WT_TYPE_SITE_WINDOW);
  g_assert_nonnull (site_window);
  g_assert_true (wait_until (is_sensitive, site_window, TIMEOUT_MS));
  report_ellipsized (site_window, "site");
  screenshot (site_window, "zh_CN-site-view");
  gtk_window_destroy (GTK_WINDOW (site_window));

  /* Preferences. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  preferences = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  g_assert_true (shows_label (GTK_WIDGET (preferences), "纠错等级"));
  report_ellipsized (preferences, "preferences");
  screenshot (preferences, "zh_CN-preferences");
  gtk_window_destroy (preferences);

  /* A container's page and its void dialog. */
  ledger_view = child (fixture->window, WT_TYPE_WINDOW, "ledger_view");
  model = wt_ledger_view_get_model (ledger_view);
  g_assert_true (wait_until (model_has_items, model, TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");
  g_signal_emit_by_name (child (ledger_view, WT_TYPE_LEDGER_VIEW, "column_view"), "activate", 0);
  container_page = child (ledger_view, WT_TYPE_LEDGER_VIEW, "container_page");
  g_assert_true (wait_until (list_has_rows,
                             child (container_page, WT_TYPE_CONTAINER_PAGE, "events_list"),
                             TIMEOUT_MS));
  g_assert_true (shows_label (container_page, "操作记录"));
  report_ellipsized (fixture->window, "container page");
  screenshot (fixture->window, "zh_CN-container-page");

  gtk_widget_activate_action (container_page, "container.void", NULL);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "作废此标签？");
  report_ellipsized (dialog, "void dialog");
  screenshot (dialog, "zh_CN-void-dialog");
  adw_message_dialog_response (dialog, "cancel");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *set;
  int status;

  /* Chinese, before anything reads the locale. */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_setenv ("LANG", LOCALE, TRUE);
  g_setenv ("LC_ALL", LOCALE, TRUE);

  g_test_init (&argc, &argv, NULL);

  set = setlocale (LC_ALL, "");
  have_locale = set != NULL && g_str_has_prefix (set, "zh_CN");
  if (!have_locale)
    {
      /* Still run, in C, so that the skips are reported. */
      g_unsetenv ("LC_ALL");
      g_unsetenv ("LANG");
      g_unsetenv ("LANGUAGE");
      setlocale (LC_ALL, "C.UTF-8");
    }

  bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* gtk_init () calls setlocale (LC_ALL, "") again: the same locale. */
  gtk_init ();
  adw_init ();

  if (have_locale)
    {
      the_app = g_object_new (WT_TYPE_APPLICATION,
                              "application-id", APP_ID,
                              "flags", G_APPLICATION_NON_UNIQUE,
                              NULL);
      g_application_register (G_APPLICATION (the_app), NULL, &error);
      g_assert_no_error (error);
    }

  g_test_add_func ("/ui/i18n/catalogue", test_catalogue);
  g_test_add ("/ui/i18n/welcome-and-views", Fixture, NULL,
              fixture_set_up, test_welcome_and_views, fixture_tear_down);
  g_test_add ("/ui/i18n/dialogs", Fixture, NULL,
              fixture_set_up, test_dialogs, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);
  return status;
}
