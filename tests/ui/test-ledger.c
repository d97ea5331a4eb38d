/* test-ledger.c: the Ledger view on a 100,000-event ledger, driven as a person would.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger is generated through the core API before the window opens:
 * 70,000 containers labelled over ten days (seven waste codes, 1,000 each a
 * day), 20,000 of them stored and 10,000 shipped under a manifest, which is
 * 100,000 signed events. The test keeps its own book of every container's
 * state and weight, and checks the view against that book, not against the
 * query the view itself runs: the list's count without reading every row,
 * filters by waste code and state, a timeline with a correction, the overdue
 * counts, a report exported to CSV through the view's own action, and
 * verify. A 10 ms timeout source measures how long the main loop is blocked
 * while all of that loads.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "wt-application.h"
#include "wt-catalogue.h"
#include "wt-container-item.h"
#include "wt-container-model.h"
#include "wt-container-page.h"
#include "wt-handover.h"
#include "wt-ledger-view.h"
#include "wt-overdue-view.h"
#include "wt-preferences-window.h"
#include "wt-report-view.h"
#include "wt-report.h"
#include "wt-window.h"

#define TIMEOUT_MS 120000
#define PER_BATCH  1000
/* Speed belongs in bench/, so the stall is reported, not held to a target;
 * the bound only catches the main loop doing the loading itself (several
 * seconds at this size), which would be a bug, not a slow machine. */
#define MAX_STALL_MS 5000

static const char *waste_codes[] = {
  "900-249-08", "900-041-49", "336-064-17", "900-203-08", "261-012-11", "772-005-18", "900-044-49",
};
#define N_CODES G_N_ELEMENTS (waste_codes)

/* Days before today on which containers were labelled, oldest first. */
static const int days_ago[] = { 400, 380, 340, 100, 60, 45, 30, 20, 10, 1 };
#define N_DAYS G_N_ELEMENTS (days_ago)

typedef struct
{
  char    **codes[N_CODES][N_DAYS];       /* PER_BATCH canonical codes each */
  int       state[N_CODES][N_DAYS];       /* WtContainerState of the whole batch */
  char      date[N_DAYS][11];
  gint64    noon_ms[N_DAYS];
  gint64    n_events;
} Book;

typedef struct
{
  char          *dir;
  char          *ledger_path;
  Book           book;
  WtApplication *app;
  WtWindow      *window;
} Fixture;

static WtApplication *the_app;

/* ---- The main loop's longest stall -------------------------------------------------- */

static gint64 last_tick;
static gint64 max_gap;

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick > 0)
    max_gap = MAX (max_gap, now - last_tick);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
reset_gap (void)
{
  last_tick = g_get_monotonic_time ();
  max_gap = 0;
}

/* ---- Helpers ------------------------------------------------------------------------ */

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_until (Condition condition,
            gpointer  data,
            guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok;

  while (!(ok = condition (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  return ok;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static gpointer
child (gpointer    widget,
       GType       type,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return object;
}

static void
screenshot (gpointer    widget,
            const char *name)
{
  const char *dir = g_getenv ("WASTETAG_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    return;

  spin (800);
  width = gtk_widget_get_width (GTK_WIDGET (widget));
  height = gtk_widget_get_height (GTK_WIDGET (widget));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (widget));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  renderer = gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (widget)));
  if (node == NULL || renderer == NULL)
    {
      g_test_message ("no screenshot of %s: nothing drawn yet", name);
      return;
    }

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  file = g_strdup_printf ("%s.png", name);
  path = g_build_filename (dir, file, NULL);
  g_mkdir_with_parents (dir, 0755);
  if (gdk_texture_save_to_png (texture, path))
    g_test_message ("screenshot: %s", path);
  /* Rendering the picture is the test's own stall, not the view's. */
  last_tick = g_get_monotonic_time ();
}

static gint64
grams_of (guint c,
          guint k)
{
  /* 10.5 kg, 13.5 kg, …: distinct per code and day, whole grams. */
  return (gint64) (10500 + 3000 * c + 1000 * k);
}

/* ---- Generating the ledger ------------------------------------------------------------- */

static gint64
local_noon_ms (int days_before)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) day = g_date_time_add_days (now, -days_before);
  g_autoptr(GDateTime) noon = g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day),
                                                     g_date_time_get_day_of_month (day), 12, 0, 0);

  return g_date_time_to_unix (noon) * 1000;
}

static void
fill_content (WtLabelContent *c,
              const WtSite   *site,
              const char     *waste_code,
              const char     *date,
              gint64          grams)
{
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), waste_code);
  g_autofree char *weight = g_strdup_printf ("%g kg", grams / 1000.0);

  g_assert_nonnull (w);
  wt_label_content_set (c, &c->waste_name, w->description);
  wt_label_content_set (c, &c->category, w->category);
  wt_label_content_set (c, &c->waste_code, w->code);
  wt_label_content_set (c, &c->form, "固态");
  wt_label_content_set (c, &c->main_components, "测试");
  wt_label_content_set (c, &c->harmful_components, "测试");
  c->hazards = w->hazards;
  wt_label_content_set (c, &c->precautions, "远离火源");
  wt_label_content_set (c, &c->producer, site->name);
  wt_label_content_set (c, &c->contact, site->contact);
  wt_label_content_set (c, &c->date, date);
  wt_label_content_set (c, &c->weight, weight);
  wt_label_content_set (c, &c->container_type, "钢桶");
  c->volume_l = 200;
}

/* Codes of several batches, NULL-terminated, borrowed from the book. */
static const char **
batch_codes (Book        *book,
             const guint *cs,
             guint        n_cs,
             guint        k)
{
  const char **codes = g_new0 (const char *, n_cs * PER_BATCH + 1);
  guint n = 0;

  for (guint i = 0; i < n_cs; i++)
    for (guint j = 0; j < PER_BATCH; j++)
      codes[n++] = book->codes[cs[i]][k][j];
  return codes;
}

static void
generate (const char *path,
          Book       *book)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLedger) ledger = wt_ledger_open (path, &error);
  g_autoptr(WtSite) site = wt_site_new ();
  g_autoptr(WtManifest) manifest = NULL;
  const guint all[] = { 0, 1, 2, 3, 4, 5, 6 };
  gint64 start = g_get_monotonic_time ();
  guint k;

  g_assert_no_error (error);
  wt_site_fill_demo (site);
  g_assert_true (wt_ledger_init_site (ledger, site, &error));
  g_assert_no_error (error);
  g_clear_pointer (&site, wt_site_free);
  site = wt_ledger_dup_site (ledger, &error);
  g_assert_no_error (error);

  for (k = 0; k < N_DAYS; k++)
    {
      g_autoptr(GDateTime) noon = NULL;
      g_autofree char *date = NULL;

      book->noon_ms[k] = local_noon_ms (days_ago[k]);
      noon = g_date_time_new_from_unix_local (book->noon_ms[k] / 1000);
      date = g_date_time_format (noon, "%Y-%m-%d");
      g_strlcpy (book->date[k], date, sizeof book->date[k]);
      wt_ledger_set_clock_override (ledger, book->noon_ms[k]);

      for (guint c = 0; c < N_CODES; c++)
        {
          g_autoptr(WtLabelContent) content = wt_label_content_new ();
          g_autoptr(WtPrintJob) job = NULL;
          WtLabelOptions options;

          fill_content (content, site, waste_codes[c], book->date[k], grams_of (c, k));
          wt_label_options_init (&options);
          job = wt_ledger_reserve (ledger, content, PER_BATCH, &error);
          g_assert_no_error (error);
          g_assert_true (wt_ledger_commit_job (ledger, job, content, &options, grams_of (c, k) / 1000.0, &error));
          g_assert_no_error (error);
          book->codes[c][k] = g_strdupv (job->codes);
          book->state[c][k] = WT_CONTAINER_LABELLED;
        }
    }

  /* Yesterday, the storekeeper stored and shipped. */
  wt_ledger_set_clock_override (ledger, book->noon_ms[N_DAYS - 1] + 3600 * 1000);
  {
    const guint first_six[] = { 0, 1, 2, 3, 4, 5 };
    g_autofree const char **a = batch_codes (book, all, N_CODES, 6);     /* 30 days ago */
    g_autofree const char **b = batch_codes (book, all, N_CODES, 3);     /* 100 days ago */
    g_autofree const char **c = batch_codes (book, first_six, 6, 2);     /* 340 days ago */

    g_assert_true (wt_ledger_store (ledger, "FZ-01", a, &error));
    g_assert_no_error (error);
    g_assert_true (wt_ledger_store (ledger, "WH-02", b, &error));
    g_assert_no_error (error);
    g_assert_true (wt_ledger_store (ledger, "WH-02", c, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < N_CODES; i++)
      book->state[i][6] = book->state[i][3] = WT_CONTAINER_STORED;
    for (guint i = 0; i < 6; i++)
      book->state[i][2] = WT_CONTAINER_STORED;
  }
  {
    const guint first_three[] = { 0, 1, 2 };
    g_autofree const char **a = batch_codes (book, all, N_CODES, 7);     /* 20 days ago */
    g_autofree const char **b = batch_codes (book, first_three, 3, 8);   /* 10 days ago */
    g_autoptr(GPtrArray) both = g_ptr_array_new ();

    /* One pickup: a manifest is confirmed once. */
    for (guint i = 0; a[i] != NULL; i++)
      g_ptr_array_add (both, (gpointer) a[i]);
    for (guint i = 0; b[i] != NULL; i++)
      g_ptr_array_add (both, (gpointer) b[i]);
    g_ptr_array_add (both, NULL);
    manifest = wt_ledger_manifest_new (ledger, NULL, "福建危运物流", "闽A12345", "福建绿色处置有限公司", &error);
    g_assert_no_error (error);
    g_assert_true (wt_ledger_ship (ledger, manifest->id, (const char * const *) both->pdata, NULL, 0, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < N_CODES; i++)
      book->state[i][7] = WT_CONTAINER_SHIPPED;
    for (guint i = 0; i < 3; i++)
      book->state[i][8] = WT_CONTAINER_SHIPPED;
  }
  wt_ledger_set_clock_override (ledger, 0);

  book->n_events = wt_ledger_count_events (ledger);
  g_test_message ("generated %" G_GINT64_FORMAT " events in %.1f s", book->n_events,
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (book->n_events, >=, 100000);
}

static guint
book_count (const Book *book,
            int         code,    /* -1: any */
            int         state)   /* -1: any */
{
  guint n = 0;

  for (guint c = 0; c < N_CODES; c++)
    for (guint k = 0; k < N_DAYS; k++)
      if ((code < 0 || (guint) code == c) && (state < 0 || book->state[c][k] == state))
        n += PER_BATCH;
  return n;
}

/* ---- Fixture ---------------------------------------------------------------------------- */

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

  fixture->dir = g_dir_make_tmp ("wastetag-ledger-ui-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->ledger_path = g_build_filename (fixture->dir, "ledger.wtl", NULL);
  generate (fixture->ledger_path, &fixture->book);
  g_setenv ("WASTETAG_LEDGER", fixture->ledger_path, TRUE);

  fixture->app = g_object_ref (the_app);
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

  for (GList *l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (toplevels);
  spin (200);

  for (guint c = 0; c < N_CODES; c++)
    for (guint k = 0; k < N_DAYS; k++)
      g_strfreev (fixture->book.codes[c][k]);
  g_clear_object (&fixture->app);
  remove_tree (fixture->dir);
  g_free (fixture->ledger_path);
  g_free (fixture->dir);
}

/* ---- Conditions ------------------------------------------------------------------------- */

typedef struct
{
  WtContainerModel *model;
  guint             n;
} CountCheck;

static gboolean
model_settled_at (gpointer data)
{
  CountCheck *check = data;

  return !wt_container_model_get_loading (check->model) &&
         g_list_model_get_n_items (G_LIST_MODEL (check->model)) == check->n;
}

typedef struct
{
  WtContainerModel *model;
  guint             position;
} RowCheck;

static gboolean
row_is_real (gpointer data)
{
  RowCheck *check = data;
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (check->model), check->position);

  return item != NULL && !wt_container_model_is_placeholder (check->model, item);
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

typedef struct
{
  GtkWidget *list;
  guint      n;
} RowsCheck;

static gboolean
list_has_n_rows (gpointer data)
{
  RowsCheck *check = data;

  return count_children (check->list) == check->n;
}

static gboolean
not_loading (gpointer data)
{
  gboolean loading = TRUE;

  g_object_get (data, "loading", &loading, NULL);
  return !loading;
}

typedef struct
{
  WtLedgerView *view;
  guint         overdue;
  guint         due_soon;
} OverdueCounts;

static gboolean
overdue_counts_are (gpointer data)
{
  OverdueCounts *counts = data;

  return wt_ledger_view_get_n_overdue (counts->view) == counts->overdue &&
         wt_ledger_view_get_n_due_soon (counts->view) == counts->due_soon;
}

static gboolean
is_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* The visible message dialog the test is after. The window also tells
 * about overdue storage once at start-up (this ledger has some): that
 * dialog is answered "Later", as a clerk who came for something else would. */
static AdwMessageDialog *
find_message_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  AdwMessageDialog *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      if (!ADW_IS_MESSAGE_DIALOG (l->data) || !gtk_widget_get_visible (l->data))
        continue;
      if (adw_message_dialog_has_response (l->data, "show") &&
          adw_message_dialog_has_response (l->data, "close") &&
          !adw_message_dialog_get_extra_child (l->data) &&
          g_strcmp0 (adw_message_dialog_get_default_response (l->data), "show") == 0)
        {
          adw_message_dialog_response (l->data, "close");
          gtk_window_destroy (l->data);
          continue;
        }
      found = l->data;
    }
  g_list_free (toplevels);
  return found;
}

/* The i-th GtkEntry in the dialog's extra child. */
static GtkEditable *
dialog_entry (AdwMessageDialog *dialog,
              guint             i)
{
  GtkWidget *box = adw_message_dialog_get_extra_child (dialog);

  for (GtkWidget *c = gtk_widget_get_first_child (box); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_ENTRY (c) && i-- == 0)
      return GTK_EDITABLE (c);
  g_assert_not_reached ();
  return NULL;
}

static void
verified_cb (WtLedgerView *view,
             gboolean      intact,
             const char   *summary,
             char        **out)
{
  *out = g_strdup_printf ("%s %s", intact ? "intact" : "broken", summary);
}

/* ---- CSV ------------------------------------------------------------------------------ */

static double
tonnes_field (const char *text)
{
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);

  g_assert_true (end != NULL && end != text && *end == '\0');
  return value;
}

/* ---- The test ---------------------------------------------------------------------------- */

static void
test_ledger_view (Fixture       *fixture,
                  gconstpointer  user_data)
{
  Book *book = &fixture->book;
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) report = NULL;
  g_autofree char *csv_path = g_build_filename (fixture->dir, "report.csv", NULL);
  g_autofree char *csv = NULL;
  g_autofree char *verdict = NULL;
  g_autofree char *month = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) events = NULL;
  WtLedgerView *view;
  WtContainerModel *model;
  GtkWidget *page;
  GtkAdjustment *vadjustment;
  AdwMessageDialog *dialog;
  CountCheck count;
  RowCheck row;
  RowsCheck rows;
  WtPeriod period;
  gsize length = 0;
  guint total = book_count (book, -1, -1);
  guint tick;
  guint fetched;
  guint month_k;
  gint64 generated[N_CODES] = { 0 };
  gint64 gap_load, gap_filters;

  tick = g_timeout_add (10, tick_cb, NULL);

  fixture->window = wt_window_new (fixture->app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1280, 900);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));
  view = child (fixture->window, WT_TYPE_WINDOW, "ledger_view");
  model = WT_CONTAINER_MODEL (wt_ledger_view_get_model (view));
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "ledger");
  spin (300);

  /* Loading the list again: the count comes first, then only the rows on
   * screen; the main loop keeps ticking meanwhile. */
  reset_gap ();
  wt_container_model_reload (model);
  count.model = model;
  count.n = total;
  g_assert_true (wait_until (model_settled_at, &count, TIMEOUT_MS));
  spin (500);
  gap_load = max_gap;
  fetched = wt_container_model_get_pages_fetched (model);
  g_test_message ("%u containers listed, %u pages of %u read; longest main-loop stall %.1f ms",
                  total, fetched, WT_CONTAINER_MODEL_PAGE_SIZE, gap_load / 1000.0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 70000);
  g_assert_cmpuint (fetched * WT_CONTAINER_MODEL_PAGE_SIZE, <, total / 20);
  screenshot (fixture->window, "ledger-in-storage");

  /* Scrolling to the middle reads the pages there, and only those. */
  vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (child (view, WT_TYPE_LEDGER_VIEW, "column_view")));
  reset_gap ();
  gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_upper (vadjustment) / 2);
  row.model = model;
  row.position = total / 2;
  spin (300);
  g_assert_true (wait_until (row_is_real, &row, TIMEOUT_MS));
  g_assert_cmpuint (wt_container_model_get_pages_fetched (model), <=, fetched + 6);
  g_assert_cmpuint (wt_container_model_get_pages_cached (model), <=, WT_CONTAINER_MODEL_MAX_PAGES);
  gap_load = MAX (gap_load, max_gap);
  gtk_adjustment_set_value (vadjustment, 0);

  /* Filter by waste code, by state, and both. */
  reset_gap ();
  gtk_editable_set_text (child (view, WT_TYPE_LEDGER_VIEW, "waste_entry"), waste_codes[0]);
  count.n = book_count (book, 0, -1);
  g_assert_true (wait_until (model_settled_at, &count, TIMEOUT_MS));
  g_assert_cmpuint (count.n, ==, 10000);

  gtk_drop_down_set_selected (child (view, WT_TYPE_LEDGER_VIEW, "state_dropdown"), WT_CONTAINER_STORED + 1);
  count.n = book_count (book, 0, WT_CONTAINER_STORED);
  g_assert_true (wait_until (model_settled_at, &count, TIMEOUT_MS));
  g_assert_cmpuint (count.n, ==, 3000);

  gtk_editable_set_text (child (view, WT_TYPE_LEDGER_VIEW, "waste_entry"), "");
  gtk_drop_down_set_selected (child (view, WT_TYPE_LEDGER_VIEW, "state_dropdown"), WT_CONTAINER_SHIPPED + 1);
  count.n = book_count (book, -1, WT_CONTAINER_SHIPPED);
  g_assert_true (wait_until (model_settled_at, &count, TIMEOUT_MS));
  g_assert_cmpuint (count.n, ==, 10000);
  gtk_toggle_button_set_active (child (view, WT_TYPE_LEDGER_VIEW, "filters_button"), TRUE);
  screenshot (fixture->window, "ledger-filtered");
  gap_filters = max_gap;
  g_test_message ("longest main-loop stall while filtering: %.1f ms", gap_filters / 1000.0);

  /* The newest shipped container's timeline: labelled, then shipped. */
  row.position = 0;
  g_assert_true (wait_until (row_is_real, &row, TIMEOUT_MS));
  g_signal_emit_by_name (child (view, WT_TYPE_LEDGER_VIEW, "column_view"), "activate", 0);
  page = child (view, WT_TYPE_LEDGER_VIEW, "container_page");
  rows.list = child (page, WT_TYPE_CONTAINER_PAGE, "events_list");
  rows.n = 2;
  g_assert_true (wait_until (list_has_n_rows, &rows, TIMEOUT_MS));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (gtk_widget_get_first_child (rows.list))),
                   ==, "Label printed");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (gtk_widget_get_last_child (rows.list))),
                   ==, "Shipped");
  screenshot (fixture->window, "ledger-timeline");

  /* Correct the label's weight: the dialog wants a reason, and the
   * correction joins the timeline without changing the first event. */
  {
    g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autoptr(WtContainer) after = NULL;
    const char *code = wt_container_item_get_code (WT_CONTAINER_ITEM (item));

    ledger = wt_ledger_open (fixture->ledger_path, &error);
    g_assert_no_error (error);
    events = wt_ledger_container_events (ledger, code, &error);
    g_assert_no_error (error);
    gtk_widget_activate_action (page, "container.correct", "s",
                                ((WtEvent *) g_ptr_array_index (events, 0))->event_id);
    dialog = find_message_dialog ();
    g_assert_nonnull (dialog);
    gtk_editable_set_text (dialog_entry (dialog, 0), "99.5");
    g_assert_false (adw_message_dialog_get_response_enabled (dialog, "correct"));
    gtk_editable_set_text (dialog_entry (dialog, 2), "秤未归零");
    g_assert_true (adw_message_dialog_get_response_enabled (dialog, "correct"));
    screenshot (dialog, "ledger-correct-dialog");
    adw_message_dialog_response (dialog, "correct");
    rows.n = 3;
    g_assert_true (wait_until (list_has_n_rows, &rows, TIMEOUT_MS));
    after = wt_ledger_get_container (ledger, code, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (fabs (after->weight_kg - 99.5), <, 1e-9);
    screenshot (fixture->window, "ledger-timeline-corrected");
  }
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.back", NULL);
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.clear-filters", NULL);

  /* Overdue: 400 and 380 days old are over the 365-day limit, 340 days old
   * within the 30-day warning; none of those was shipped. */
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.show-overdue", NULL);
  g_assert_true (wait_until (not_loading, child (view, WT_TYPE_LEDGER_VIEW, "overdue_view"), TIMEOUT_MS));
  g_assert_cmpuint (wt_ledger_view_get_n_overdue (view), ==, 2 * N_CODES * PER_BATCH);
  g_assert_cmpuint (wt_ledger_view_get_n_due_soon (view), ==, N_CODES * PER_BATCH);
  screenshot (fixture->window, "ledger-overdue");

  /* The site's limit is set in Preferences: at 390 days only the 400-day-old
   * containers are over it, and the 380-day-old ones are within the warning. */
  {
    GtkWindow *preferences = wt_preferences_window_new (GTK_WINDOW (fixture->window));
    OverdueCounts counts = { view, N_CODES * PER_BATCH, N_CODES * PER_BATCH };

    gtk_window_present (preferences);
    g_assert_true (wait_until (is_sensitive, child (preferences, WT_TYPE_PREFERENCES_WINDOW, "storage_group"),
                               TIMEOUT_MS));
    gtk_spin_button_set_value (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "limit_spin"), 390);
    g_assert_true (wait_until (overdue_counts_are, &counts, TIMEOUT_MS));
    gtk_spin_button_set_value (child (preferences, WT_TYPE_PREFERENCES_WINDOW, "limit_spin"), 365);
    gtk_window_destroy (preferences);
    counts.overdue = 2 * N_CODES * PER_BATCH;
    g_assert_true (wait_until (overdue_counts_are, &counts, TIMEOUT_MS));
    g_assert_cmpuint (wt_ledger_get_overdue_limit (ledger), ==, 365);
  }

  /* The report for the month 60 days ago, exported to CSV by the view. */
  month_k = 4;
  month = g_strndup (book->date[month_k], 7);
  g_assert_true (wt_period_parse (month, &period, NULL));
  for (guint c = 0; c < N_CODES; c++)
    for (guint k = 0; k < N_DAYS; k++)
      if (strncmp (book->date[k], period.label, 7) == 0)
        generated[c] += grams_of (c, k) * PER_BATCH;
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.show-page", "s", "reports");
  wt_report_view_set_period (child (view, WT_TYPE_LEDGER_VIEW, "report_view"), &period);
  g_assert_true (wait_until (not_loading, child (view, WT_TYPE_LEDGER_VIEW, "report_view"), TIMEOUT_MS));
  screenshot (fixture->window, "ledger-report");
  gtk_widget_activate_action (child (view, WT_TYPE_LEDGER_VIEW, "report_view"), "report.export-to", "s", csv_path);
  g_assert_true (wait_until (file_exists, csv_path, TIMEOUT_MS));

  g_assert_true (g_file_get_contents (csv_path, &csv, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 3);
  g_assert_cmpmem (csv, 3, "\xEF\xBB\xBF", 3);
  lines = g_strsplit (csv + 3, "\n", -1);
  g_assert_cmpstr (g_strchomp (lines[0]), ==,
                   "waste_code,waste_name,opening_t,generated_t,self_treated_t,sent_out_t,closing_t");

  report = wt_ledger_report (ledger, &period, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->len, ==, N_CODES);
  for (guint i = 0; i < report->len; i++)
    {
      WtReportRow *r = g_ptr_array_index (report, i);
      g_auto(GStrv) fields = g_strsplit (g_strchomp (lines[i + 1]), ",", -1);
      int c = -1;

      for (guint j = 0; j < N_CODES; j++)
        if (g_strcmp0 (waste_codes[j], r->waste_code) == 0)
          c = j;
      g_assert_cmpint (c, >=, 0);
      g_assert_cmpuint (g_strv_length (fields), ==, 7);
      g_assert_cmpstr (fields[0], ==, r->waste_code);
      /* The file, the core's report and the book agree. */
      g_assert_cmpfloat (fabs (tonnes_field (fields[2]) - r->opening_g / 1e6), <, 1e-6);
      g_assert_cmpfloat (fabs (tonnes_field (fields[3]) - r->generated_g / 1e6), <, 1e-6);
      g_assert_cmpfloat (fabs (tonnes_field (fields[5]) - r->sent_out_g / 1e6), <, 1e-6);
      g_assert_cmpfloat (fabs (tonnes_field (fields[6]) - r->closing_g / 1e6), <, 1e-6);
      g_assert_cmpint (r->generated_g, ==, generated[c]);
      g_assert_cmpint (r->sent_out_g, ==, 0);
      g_assert_cmpint (r->opening_g + r->generated_g - r->self_treated_g - r->sent_out_g, ==, r->closing_g);
    }

  /* The same report as a PDF, kept for a person to look at. */
  if (g_getenv ("WASTETAG_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *pdf = g_build_filename (g_getenv ("WASTETAG_SCREENSHOT_DIR"), "ledger-report.pdf", NULL);

      g_unlink (pdf);
      gtk_widget_activate_action (child (view, WT_TYPE_LEDGER_VIEW, "report_view"), "report.export-to", "s", pdf);
      g_assert_true (wait_until (file_exists, pdf, TIMEOUT_MS));
      g_test_message ("report PDF: %s", pdf);
    }

  /* The record tables and the Verify action. */
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.show-page", "s", "records");
  g_assert_true (wait_until (not_loading, child (view, WT_TYPE_LEDGER_VIEW, "records_view"), TIMEOUT_MS));
  spin (300);
  screenshot (fixture->window, "ledger-records");

  g_signal_connect (view, "verified", G_CALLBACK (verified_cb), &verdict);
  gtk_widget_activate_action (GTK_WIDGET (view), "ledger.verify", NULL);
  g_assert_true (wait_until (flag_set, &verdict, TIMEOUT_MS));
  g_test_message ("verify: %s", verdict);
  g_assert_true (g_str_has_prefix (verdict, "intact "));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  screenshot (dialog, "ledger-verified");
  adw_message_dialog_response (dialog, "close");

  /* What remains of a stall is GTK 4.8 building the ~200 rows a list view
   * keeps, which does not grow with the ledger; walking every row (a
   * million get_item() calls, see wt-container-model.c) or reading them all
   * would. The bound leaves room for a loaded CI machine. */
  g_source_remove (tick);
  g_test_message ("longest main-loop stall while loading: %.1f ms", gap_load / 1000.0);
  g_test_message ("longest main-loop stall: %" G_GINT64_FORMAT " ms while loading, %" G_GINT64_FORMAT " ms while filtering",
                  (gint64) (gap_load / 1000), (gint64) (gap_filters / 1000));
  g_assert_cmpint (gap_load, <, MAX_STALL_MS * 1000);
  g_assert_cmpint (gap_filters, <, MAX_STALL_MS * 1000);
}

static gboolean
ignore_scroll_warning (const char     *domain,
                       GLogLevelFlags  level,
                       const char     *message,
                       gpointer        data)
{
  return !(g_strcmp0 (domain, "Gtk") == 0 && (level & G_LOG_LEVEL_WARNING) &&
           message != NULL && strstr (message, "failed to scroll to given position") != NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  /* GTK 4.8 warns when a list is asked to scroll to a row whose page has
   * not arrived yet (the lazy model fills it a moment later); that warning
   * says nothing about the ledger. GTK logs it structured, which the test
   * fatal handler does not see, so warnings are not fatal in this test;
   * criticals still are. */
  g_test_log_set_fatal_handler (ignore_scroll_warning, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  adw_init ();

  the_app = g_object_new (WT_TYPE_APPLICATION,
                          "application-id", APP_ID,
                          "flags", G_APPLICATION_NON_UNIQUE,
                          NULL);
  g_application_register (G_APPLICATION (the_app), NULL, &error);
  g_assert_no_error (error);

  g_test_add ("/ui/ledger/100k-events", Fixture, NULL,
              fixture_set_up, test_ledger_view, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);
  return status;
}
