/* test-scan.c: the Scan view, driven as a person at a handover point would.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test gets a fresh ledger with a site and four labelled containers of
 * 900-249-08, and a camera fed from files: the first container's label,
 * drawn by the project's renderer on a grey desk, played by multifilesrc
 * through the camera-source setting (GSETTINGS_BACKEND=memory). The window
 * opens on the Scan view. Key presses go through wt_scan_view_feed_key(),
 * the view's own key handler (GTK 4 cannot synthesise key events); a key
 * the handler lets through is typed into the focused entry as GTK would.
 * The checks are what a person would see and what the ledger holds.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "wt-application.h"
#include "wt-handover.h"
#include "wt-hazard.h"
#include "wt-scan-handover-dialog.h"
#include "wt-scan-manifest-dialog.h"
#include "wt-scan-manifest-panel.h"
#include "wt-scan-preview.h"
#include "wt-scan-view.h"
#include "wt-window.h"
#include "wt-ui-test.h"

#define TIMEOUT_MS 60000
#define FRAME_W 1280
#define FRAME_H 720
#define LABEL_DPI 203.0
#define N_CONTAINERS 4

typedef struct
{
  char          *dir;
  char          *ledger_path;
  WtLedger      *ledger;
  WtSite        *site;
  char          *codes[N_CONTAINERS];
  char          *payloads[N_CONTAINERS];
  WtWindow      *window;
  WtScanView    *view;
} Fixture;

static WtApplication *the_app;

/* ---- Helpers (as in test-window.c) ------------------------------------------ */






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

static char *
display (Fixture *fixture,
         guint    n)
{
  return wt_code_to_display (&fixture->site->split, fixture->codes[n]);
}

static const char *
label_text (gpointer widget,
            GType    type,
            const char *name)
{
  return gtk_label_get_text (child (widget, type, name));
}

/* The titles of a list's rows, joined with "|". */
static char *
list_titles (GtkListBox *list)
{
  GString *s = g_string_new (NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_PREFERENCES_ROW (row))
      {
        if (s->len > 0)
          g_string_append_c (s, '|');
        g_string_append (s, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
      }
  return g_string_free (s, FALSE);
}

/* ---- The ledger and the camera's frames ------------------------------------ */

static void
make_ledger (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelContent) content = wt_label_content_new ();
  g_autoptr(WtPrintJob) job = NULL;
  WtLabelOptions options;

  fixture->ledger = wt_ledger_open (fixture->ledger_path, &error);
  g_assert_no_error (error);
  fixture->site = wt_site_new ();
  wt_site_fill_demo (fixture->site);
  g_assert_true (wt_ledger_init_site (fixture->ledger, fixture->site, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fixture->site, wt_site_free);
  fixture->site = wt_ledger_dup_site (fixture->ledger, &error);
  g_assert_no_error (error);

  wt_label_content_set (content, &content->waste_name, "废矿物油与含矿物油废物");
  wt_label_content_set (content, &content->category, "HW08");
  wt_label_content_set (content, &content->waste_code, "900-249-08");
  wt_label_content_set (content, &content->date, "2026-11-30");
  wt_label_content_set (content, &content->producer, fixture->site->name);
  content->hazards = WT_HAZARD_T | WT_HAZARD_I;
  wt_label_options_init (&options);
  options.dpi = LABEL_DPI;

  job = wt_ledger_reserve (fixture->ledger, content, N_CONTAINERS, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_commit_job (fixture->ledger, job, content, &options, 180, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_CONTAINERS; i++)
    {
      fixture->codes[i] = g_strdup (job->codes[i]);
      fixture->payloads[i] = g_strdup (job->payloads[i]);
    }

  /* Frames: an empty desk, then container 0's label held up. */
  for (guint f = 0; f < 40; f++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, FRAME_W, FRAME_H);
      cairo_t *cr = cairo_create (surface);
      g_autofree char *name = g_strdup_printf ("f%03u.png", f);
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      cairo_set_source_rgb (cr, 0.55, 0.55, 0.5);
      cairo_paint (cr);
      if (f >= 3)
        {
          g_autoptr(WtLabelRenderer) renderer = wt_label_renderer_new (content, &options);
          WtLabelItem item = { fixture->codes[0], fixture->payloads[0], 1, 1, 0 };

          cairo_translate (cr, (FRAME_W - 100 / 25.4 * LABEL_DPI) / 2, (FRAME_H - 100 / 25.4 * LABEL_DPI) / 2);
          cairo_scale (cr, LABEL_DPI / 72.0, LABEL_DPI / 72.0);
          g_assert_true (wt_label_renderer_draw (renderer, cr, &item, &error));
          g_assert_no_error (error);
        }
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
    }
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
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  const char *camera = user_data;
  g_autofree char *source = NULL;

  fixture->dir = g_dir_make_tmp ("wastetag-scan-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->ledger_path = g_build_filename (fixture->dir, "ledger.wtl", NULL);
  g_setenv ("WASTETAG_LEDGER", fixture->ledger_path, TRUE);
  make_ledger (fixture);

  if (g_strcmp0 (camera, "label") == 0)
    source = g_strdup_printf ("multifilesrc location=\"%s/f%%03d.png\" index=0 caps=image/png,framerate=5/1 ! pngdec",
                              fixture->dir);
  else
    /* A camera that sees no code, so only the keys and the entry scan. */
    source = g_strdup ("videotestsrc pattern=ball is-live=true");
  g_settings_set_string (settings, "camera-source", source);
  g_settings_set_boolean (settings, "scan-sound", FALSE);
  g_settings_reset (settings, "duplicate-hold-seconds");
  g_settings_reset (settings, "scanner-burst-ms");

  fixture->window = wt_window_new (the_app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1280, 900);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (wait_until (page_is_views, fixture->window, TIMEOUT_MS));

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-view", "s", "scan");
  fixture->view = child (fixture->window, WT_TYPE_WINDOW, "scan_view");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (fixture->view)));
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

  g_clear_object (&fixture->ledger);
  g_clear_pointer (&fixture->site, wt_site_free);
  for (guint i = 0; i < N_CONTAINERS; i++)
    {
      g_free (fixture->codes[i]);
      g_free (fixture->payloads[i]);
    }
  remove_tree (fixture->dir);
  g_free (fixture->ledger_path);
  g_free (fixture->dir);
}

static gboolean
has_frame (gpointer data)
{
  return wt_scan_preview_get_texture (data) != NULL;
}

typedef struct
{
  WtScanView *view;
  guint       n;
} Count;

static gboolean
scanned_at_least (gpointer data)
{
  Count *count = data;

  return wt_scan_view_get_n_scans (count->view) >= count->n && !wt_scan_view_get_busy (count->view);
}

static gboolean
not_busy (gpointer data)
{
  return !wt_scan_view_get_busy (data);
}

/* ---- 1. The file-fed camera ------------------------------------------------- */

static void
test_camera (Fixture       *fixture,
             gconstpointer  user_data)
{
  WtScanView *view = fixture->view;
  WtScanPreview *preview = child (view, WT_TYPE_SCAN_VIEW, "preview");
  GtkWidget *banner = child (view, WT_TYPE_SCAN_VIEW, "verdict_label");
  g_autofree char *shown = display (fixture, 0);
  Count count = { view, 1 };

  /* Frames arrive as a texture on the preview. */
  g_assert_true (wait_until (has_frame, preview, TIMEOUT_MS));

  /* The label is read: outlined, judged OK, the card filled. */
  g_assert_true (wait_until (scanned_at_least, &count, TIMEOUT_MS));
  g_assert_true (wt_scan_preview_has_outline (preview));
  g_assert_true (gtk_widget_has_css_class (banner, "wt-verdict-ok"));
  g_assert_cmpstr (label_text (view, WT_TYPE_SCAN_VIEW, "card_code_label"), ==, shown);
  g_assert_nonnull (strstr (label_text (view, WT_TYPE_SCAN_VIEW, "card_waste_label"), "900-249-08"));
  g_assert_true (gtk_widget_has_css_class (child (view, WT_TYPE_SCAN_VIEW, "hazard_t_label"), "wt-hazard-set"));
  g_assert_false (gtk_widget_has_css_class (child (view, WT_TYPE_SCAN_VIEW, "hazard_c_label"), "wt-hazard-set"));
  g_assert_cmpstr (adw_action_row_get_subtitle (child (view, WT_TYPE_SCAN_VIEW, "card_state_row")), ==,
                   wt_container_state_to_string (WT_CONTAINER_LABELLED));
  screenshot (fixture->window, "scan-camera");

  /* The label stays in front of the camera for seconds: counted once. */
  spin (1500);
  g_assert_cmpuint (wt_scan_view_get_n_scans (view), ==, 1);
}

/* ---- 2. Handheld scanner key bursts ----------------------------------------- */

/* One key press, as GTK would deliver it: the view's capture-phase handler
 * first; a key it lets through is typed into @entry when @entry has focus. */
static void
press (WtScanView *view,
       GtkEditable *entry,
       gunichar     c,
       guint32      time_ms)
{
  guint keyval = c == '\n' ? GDK_KEY_Return : gdk_unicode_to_keyval (c);
  GtkRoot *root = entry != NULL ? gtk_widget_get_root (GTK_WIDGET (entry)) : NULL;
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  gboolean consumed = wt_scan_view_feed_key (view, keyval, time_ms);

  /* A GtkEntry's focus is on its GtkText child. */
  if (consumed || focus == NULL
      || (focus != GTK_WIDGET (entry) && !gtk_widget_is_ancestor (focus, GTK_WIDGET (entry))))
    return;
  if (c == '\n')
    gtk_widget_activate (GTK_WIDGET (entry));
  else
    {
      char utf8[8];
      int position = gtk_editable_get_position (entry);
      int len = g_unichar_to_utf8 (c, utf8);

      gtk_editable_insert_text (entry, utf8, len, &position);
      gtk_editable_set_position (entry, position);
    }
}

/* Types @text with @gap_ms between keys from *@time; a scanner ends with Enter. */
static void
type_keys (WtScanView  *view,
           GtkEditable *entry,
           const char  *text,
           guint        gap_ms,
           guint32     *time)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      press (view, entry, g_utf8_get_char (p), *time);
      *time += gap_ms;
    }
}

static void
test_scanner (Fixture       *fixture,
              gconstpointer  user_data)
{
  WtScanView *view = fixture->view;
  GtkEditable *entry = child (view, WT_TYPE_SCAN_VIEW, "code_entry");
  GtkWidget *button = child (view, WT_TYPE_SCAN_VIEW, "scan_button");
  g_autofree char *typed1 = NULL;
  g_autofree char *shown1 = display (fixture, 1);
  g_autofree char *shown2 = display (fixture, 2);
  g_autofree char *burst = NULL;
  guint32 t = 100000;
  guint n;

  g_assert_true (wait_until (not_busy, view, TIMEOUT_MS));
  g_assert_cmpuint (wt_scan_view_get_n_scans (view), ==, 0);

  /* A person types a code slowly on a focused button, then Enter: no scan. */
  gtk_widget_grab_focus (button);
  typed1 = g_strconcat (fixture->codes[1], "\n", NULL);
  type_keys (view, NULL, typed1, 180, &t);
  spin (300);
  g_assert_true (wait_until (not_busy, view, TIMEOUT_MS));
  g_assert_cmpuint (wt_scan_view_get_n_scans (view), ==, 0);

  /* The same keys from a scanner, 8 ms apart: one scan, the card shows it,
   * and the button did not take the keys. */
  t += 1000;
  type_keys (view, NULL, typed1, 8, &t);
  {
    Count count = { view, 1 };

    g_assert_true (wait_until (scanned_at_least, &count, TIMEOUT_MS));
  }
  g_assert_cmpstr (label_text (view, WT_TYPE_SCAN_VIEW, "card_code_label"), ==, shown1);
  g_assert_cmpstr (wt_scan_view_get_mode (view), ==, "lookup");

  /* A person types into the code field; a scanner sends a whole QR payload
   * (each line followed by Enter) in the middle of it; the person goes on.
   * Exactly one scan, and the field holds only what the person typed. */
  gtk_widget_grab_focus (GTK_WIDGET (entry));
  t += 1000;
  type_keys (view, entry, "91", 250, &t);
  burst = g_strconcat (fixture->payloads[2], "\n", NULL);
  t += 300;
  type_keys (view, entry, burst, 10, &t);
  t += 300;
  type_keys (view, entry, "35", 250, &t);
  {
    Count count = { view, 2 };

    g_assert_true (wait_until (scanned_at_least, &count, TIMEOUT_MS));
  }
  spin (200);
  g_assert_true (wait_until (not_busy, view, TIMEOUT_MS));
  g_assert_cmpuint (wt_scan_view_get_n_scans (view), ==, 2);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "9135");
  g_assert_cmpstr (label_text (view, WT_TYPE_SCAN_VIEW, "card_code_label"), ==, shown2);
  g_assert_true (gtk_widget_has_css_class (child (view, WT_TYPE_SCAN_VIEW, "verdict_label"), "wt-verdict-ok"));
  screenshot (fixture->window, "scan-scanner");

  /* The same payload again at once is not counted twice. */
  n = wt_scan_view_get_n_scans (view);
  t += 500;
  type_keys (view, entry, burst, 10, &t);
  spin (300);
  g_assert_true (wait_until (not_busy, view, TIMEOUT_MS));
  g_assert_cmpuint (wt_scan_view_get_n_scans (view), ==, n);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "9135");

  /* A typo in the typed form is caught with a sentence. */
  gtk_editable_set_text (entry, "913501 00M000 100Y43-90024908-20261130-A01-0");
  gtk_widget_activate_action (GTK_WIDGET (view), "scan.scan-entry", NULL);
  {
    Count count = { view, n + 1 };

    g_assert_true (wait_until (scanned_at_least, &count, TIMEOUT_MS));
  }
  g_assert_true (gtk_widget_has_css_class (child (view, WT_TYPE_SCAN_VIEW, "verdict_label"), "wt-verdict-refused"));
}

/* ---- 3. Reconciliation: missing, unexpected, duplicate ---------------------------- */

typedef struct
{
  WtScanView *view;
  const char *id;
} ManifestWait;

static gboolean
manifest_is_open (gpointer data)
{
  ManifestWait *wait = data;

  return g_strcmp0 (wt_scan_view_get_manifest_id (wait->view), wait->id) == 0 && !wt_scan_view_get_busy (wait->view);
}

static void
scan_typed (Fixture *fixture,
            guint    n)
{
  GtkEditable *entry = child (fixture->view, WT_TYPE_SCAN_VIEW, "code_entry");
  g_autofree char *shown = display (fixture, n);
  Count count = { fixture->view, wt_scan_view_get_n_scans (fixture->view) + 1 };

  gtk_editable_set_text (entry, shown);
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.scan-entry", NULL);
  g_assert_true (wait_until (scanned_at_least, &count, TIMEOUT_MS));
}

static WtManifest *
open_ship_manifest (Fixture            *fixture,
                    const char * const *plan)
{
  g_autoptr(GError) error = NULL;
  WtManifest *m;
  ManifestWait wait = { fixture->view, NULL };

  m = wt_ledger_manifest_new (fixture->ledger, NULL, "福州危废运输有限公司", "闽A·D1234", "福建环保处置中心", &error);
  g_assert_no_error (error);
  if (plan != NULL)
    {
      g_assert_true (wt_ledger_manifest_expect (fixture->ledger, m->id, plan, &error));
      g_assert_no_error (error);
    }

  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.mode", "s", "ship");
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.open-manifest", "s", m->id);
  wait.id = m->id;
  g_assert_true (wait_until (manifest_is_open, &wait, TIMEOUT_MS));
  return m;
}

static void
test_reconciliation (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *plan[] = { fixture->codes[0], fixture->codes[1], fixture->codes[2], NULL };
  g_autoptr(WtManifest) m = NULL;
  WtScanManifestPanel *panel = child (fixture->view, WT_TYPE_SCAN_VIEW, "manifest_panel");
  g_autofree char *missing = NULL;
  g_autofree char *unexpected = NULL;
  g_autofree char *duplicates = NULL;
  g_autofree char *shown0 = display (fixture, 0);
  g_autofree char *shown2 = display (fixture, 2);
  g_autofree char *shown3 = display (fixture, 3);

  /* Scanning a drum twice on purpose: no hold. */
  g_settings_set_uint (settings, "duplicate-hold-seconds", 0);

  /* Planned: 0, 1, 2. Scanned: 0 twice, 1, and 3, which is not planned. */
  m = open_ship_manifest (fixture, plan);
  scan_typed (fixture, 0);
  scan_typed (fixture, 0);
  g_assert_true (gtk_widget_has_css_class (child (fixture->view, WT_TYPE_SCAN_VIEW, "verdict_label"), "wt-verdict-warning"));
  scan_typed (fixture, 1);
  scan_typed (fixture, 3);
  g_assert_true (gtk_widget_has_css_class (child (fixture->view, WT_TYPE_SCAN_VIEW, "verdict_label"), "wt-verdict-refused"));
  g_assert_true (wait_until (not_busy, fixture->view, TIMEOUT_MS));

  missing = list_titles (child (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "missing_list"));
  unexpected = list_titles (child (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "unexpected_list"));
  duplicates = list_titles (child (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "duplicates_list"));
  g_assert_cmpstr (missing, ==, shown2);
  g_assert_cmpstr (unexpected, ==, shown3);
  g_assert_cmpstr (duplicates, ==, shown0);
  g_assert_true (gtk_widget_get_visible (child (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "missing_group")));
  g_assert_false (gtk_widget_get_visible (child (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "already_shipped_group")));
  g_assert_cmpstr (label_text (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "counts_label"), ==, "2 of 3 scanned");
  g_assert_cmpstr (label_text (panel, WT_TYPE_SCAN_MANIFEST_PANEL, "number_label"), ==,
                   wt_manifest_get_display_number (m));
  screenshot (fixture->window, "scan-reconciliation");
}

/* ---- 4. Confirm handover through the dialog ------------------------------------ */

typedef struct
{
  Fixture *fixture;
  guint    n;
} ShippedWait;

static gboolean
shipped (gpointer data)
{
  ShippedWait *wait = data;

  for (guint i = 0; i < wait->n; i++)
    {
      g_autoptr(WtContainer) c = wt_ledger_get_container (wait->fixture->ledger, wait->fixture->codes[i], NULL);

      if (c == NULL || c->state != WT_CONTAINER_SHIPPED)
        return FALSE;
    }
  return TRUE;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static void
fill_party (WtScanHandoverDialog *dialog,
            const char           *prefix,
            const char           *name,
            const char           *pin)
{
  g_autofree char *name_row = g_strconcat (prefix, "_name_row", NULL);
  g_autofree char *pin_row = g_strconcat (prefix, "_pin_row", NULL);

  gtk_editable_set_text (child (dialog, WT_TYPE_SCAN_HANDOVER_DIALOG, name_row), name);
  gtk_editable_set_text (child (dialog, WT_TYPE_SCAN_HANDOVER_DIALOG, pin_row), pin);
}

static void
test_handover (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(WtContainer) left = NULL;
  g_autofree char *pdf = g_build_filename (fixture->dir, "receipt.pdf", NULL);
  WtScanHandoverDialog *dialog;
  ShippedWait wait = { fixture, 2 };

  m = open_ship_manifest (fixture, NULL);
  scan_typed (fixture, 0);
  scan_typed (fixture, 1);
  g_assert_true (wait_until (not_busy, fixture->view, TIMEOUT_MS));

  /* The button opens the dialog; it needs both names and 4–8 digit PINs. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.confirm-handover", NULL);
  dialog = find_toplevel (WT_TYPE_SCAN_HANDOVER_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "confirm"));
  fill_party (dialog, "first", "王芳", "2468");
  fill_party (dialog, "second", "李师傅", "12");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "confirm"));
  fill_party (dialog, "second", "李师傅", "1357");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "confirm"));
  spin (300);
  screenshot (dialog, "scan-handover-dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");

  /* Both containers left under the manifest; the third stayed. */
  g_assert_true (wait_until (shipped, &wait, TIMEOUT_MS));
  left = wt_ledger_get_container (fixture->ledger, fixture->codes[2], NULL);
  g_assert_cmpint (left->state, ==, WT_CONTAINER_LABELLED);
  g_assert_true (wait_until (not_busy, fixture->view, TIMEOUT_MS));
  g_assert_false (gtk_widget_is_sensitive (child (child (fixture->view, WT_TYPE_SCAN_VIEW, "manifest_panel"),
                                                 WT_TYPE_SCAN_MANIFEST_PANEL, "confirm_button"))
                  && gtk_widget_get_visible (child (child (fixture->view, WT_TYPE_SCAN_VIEW, "manifest_panel"),
                                                    WT_TYPE_SCAN_MANIFEST_PANEL, "confirm_button")));

  /* A second confirmation is refused by the ledger with a sentence. */
  {
    g_autoptr(GError) error = NULL;
    WtParty parties[2] = { { "王芳", "2468" }, { "李师傅", "1357" } };

    g_assert_false (wt_ledger_confirm_handover (fixture->ledger, m->id, parties, 2, &error));
    g_assert_nonnull (error);
  }

  /* The receipt as a PDF. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.write-receipt-to", "s", pdf);
  g_assert_true (wait_until (file_exists, pdf, TIMEOUT_MS));
  screenshot (fixture->window, "scan-handed-over");
}

/* A manifest opened through its dialog, as a clerk does: the receiver's
 * licence number is checked as it is typed and recorded with the manifest
 * (HJ 1259 lists what was sent out by receiver and licence). */
static gboolean
some_manifest_open (gpointer data)
{
  return wt_scan_view_get_manifest_id (data) != NULL && !wt_scan_view_get_busy (data);
}

static void
set_row (WtScanManifestDialog *dialog,
         const char           *name,
         const char           *text)
{
  gtk_editable_set_text (child (dialog, WT_TYPE_SCAN_MANIFEST_DIALOG, name), text);
}

static void
test_manifest_dialog (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtManifest) m = NULL;
  WtScanManifestDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "scan.new-manifest", NULL);
  dialog = find_toplevel (WT_TYPE_SCAN_MANIFEST_DIALOG);
  g_assert_nonnull (dialog);
  set_row (dialog, "carrier_row", "福州危废运输有限公司");
  set_row (dialog, "vehicle_row", "闽A·D1234");
  set_row (dialog, "receiver_row", "福建环保处置中心");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));

  /* A licence pasted with a line break in it is not a licence number. */
  set_row (dialog, "licence_row", "闽危\n0021");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));
  g_assert_true (gtk_widget_get_visible (child (dialog, WT_TYPE_SCAN_MANIFEST_DIALOG, "licence_label")));
  set_row (dialog, "licence_row", "闽危废经营第0021号");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));
  screenshot (dialog, "scan-manifest-dialog");

  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "create");
  g_assert_true (wait_until (some_manifest_open, fixture->view, TIMEOUT_MS));

  m = wt_ledger_get_manifest (fixture->ledger, wt_scan_view_get_manifest_id (fixture->view), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->receiver, ==, "福建环保处置中心");
  g_assert_cmpstr (m->receiver_licence, ==, "闽危废经营第0021号");
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

  g_test_add ("/ui/scan/camera", Fixture, "label", fixture_set_up, test_camera, fixture_tear_down);
  g_test_add ("/ui/scan/scanner", Fixture, "none", fixture_set_up, test_scanner, fixture_tear_down);
  g_test_add ("/ui/scan/reconciliation", Fixture, "none", fixture_set_up, test_reconciliation, fixture_tear_down);
  g_test_add ("/ui/scan/handover", Fixture, "none", fixture_set_up, test_handover, fixture_tear_down);
  g_test_add ("/ui/scan/manifest-dialog", Fixture, "none", fixture_set_up, test_manifest_dialog, fixture_tear_down);

  status = g_test_run ();
  g_clear_object (&the_app);
  return status;
}
