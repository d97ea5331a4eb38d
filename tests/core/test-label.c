/* test-label.c: printed labels say what they must and scan back exactly.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PDF checks go through poppler's command-line tools, as a print shop
 * would: pdftoppm rasterises at the printer's resolution, pdfinfo reads the
 * page size, pdftotext the words. Without poppler-utils those tests skip.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "wt-code.h"
#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-label.h"
#include "wt-label-private.h"

static const guint sizes[] = { 100, 150, 200 };
static const WtEcc eccs[] = { WT_ECC_M, WT_ECC_Q, WT_ECC_H };
static const double dpis[] = { 203, 300 };

#define WASTE_NAME "废矿物油与含矿物油废物"

/* ---- fixtures ------------------------------------------------------------ */

static WtLabelContent *
make_content (gboolean long_values)
{
  WtLabelContent *c = wt_label_content_new ();
  g_autoptr(GString) lng = g_string_new (NULL);

  for (guint i = 0; i < 12; i++)
    g_string_append (lng, "矿物油、水、金属碎屑、铁锈、乳化液、");

  wt_label_content_set (c, &c->waste_name, WASTE_NAME);
  wt_label_content_set (c, &c->common_name, "废机油");
  wt_label_content_set (c, &c->category, "HW08");
  wt_label_content_set (c, &c->waste_code, "900-249-08");
  wt_label_content_set (c, &c->form, "液态");
  wt_label_content_set (c, &c->main_components, long_values ? lng->str : "矿物油、水、金属碎屑");
  wt_label_content_set (c, &c->harmful_components, long_values ? lng->str : "石油烃、多环芳烃");
  c->hazards = WT_HAZARD_T | WT_HAZARD_I;
  wt_label_content_set (c, &c->precautions, long_values ? lng->str : "远离火源，防止泄漏");
  wt_label_content_set (c, &c->producer, long_values ? lng->str : "福州某某机械制造有限公司");
  wt_label_content_set (c, &c->contact, "张三 13800000000");
  wt_label_content_set (c, &c->date, "2026-11-30");
  wt_label_content_set (c, &c->weight, "180 kg");
  wt_label_content_set (c, &c->notes, long_values ? lng->str : "");

  return c;
}

/* A batch of labels with distinct codes and real payloads. */
typedef struct
{
  guint        n;
  WtLabelItem *items;
  GPtrArray   *strings;
} Batch;

static void
batch_free (Batch *batch)
{
  g_free (batch->items);
  g_ptr_array_unref (batch->strings);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

static Batch *
make_batch (guint n)
{
  Batch *batch = g_new0 (Batch, 1);
  WtCodeSplit split;

  wt_code_split_init_default (&split);
  batch->n = n;
  batch->items = g_new0 (WtLabelItem, n);
  batch->strings = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      WtPayload payload = { 0 };
      char *code = wt_code_build (&split, "91350100M000100Y43", "900-249-08",
                                  "2026-11-30", 'A', i + 1);
      char *text;

      g_assert_nonnull (code);
      payload.version = WT_PAYLOAD_VERSION;
      payload.container_code = code;
      payload.waste_code = (char *) "900-249-08";
      payload.hazards = WT_HAZARD_T | WT_HAZARD_I;
      payload.date = (char *) "2026-11-30";
      text = wt_payload_encode (&payload);
      g_assert_nonnull (text);

      g_ptr_array_add (batch->strings, code);
      g_ptr_array_add (batch->strings, text);
      batch->items[i].container_code = code;
      batch->items[i].payload = text;
      batch->items[i].copy = 1;
      batch->items[i].n_copies = 1;
    }

  return batch;
}

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("wt-label-XXXXXX", &error);

  g_assert_no_error (error);

  return dir;
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;

  return n;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

/* Runs a poppler tool; returns its stdout, or NULL after g_test_skip. */
static char *
run_tool (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  if (program == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s is not installed (poppler-utils)", argv[0]);

      g_test_skip (msg);
      return NULL;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  if (error != NULL)
    g_printerr ("%s: %s\n", argv[0], err);
  g_assert_no_error (error);

  return out;
}

static char *
write_labels (const WtLabelContent *content,
              const WtLabelOptions *options,
              const Batch          *batch,
              WtLabelFormat         format,
              const char           *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;

  output = wt_label_output_write (content, options, batch->items, batch->n,
                                  format, path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (output);
  wt_label_output_commit (output, &error);
  g_assert_no_error (error);

  return g_strdup (wt_label_output_get_paths (output)[0]);
}

/* Rasterises page 1 of @pdf like a @dpi printer and returns the grey PNG. */
static char *
rasterise (const char *pdf,
           double      dpi)
{
  g_autofree char *res = g_strdup_printf ("%g", dpi);
  g_autofree char *prefix = g_strdup_printf ("%s-r%g", pdf, dpi);
  g_autofree char *out = NULL;
  const char *argv[] = { "pdftoppm", "-r", res, "-gray", "-png", "-singlefile",
                         "-f", "1", "-l", "1", pdf, prefix, NULL };

  out = run_tool (argv);
  if (out == NULL)
    return NULL;

  return g_strdup_printf ("%s.png", prefix);
}

static GPtrArray *
decode_file (const char *png)
{
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *found = wt_decoder_decode_file (decoder, png, &error);

  g_assert_no_error (error);

  return found;
}

/* @text without white space and hyphens: pdftotext wraps and groups the
 * code as the label prints it, the comparison must not care. */
static char *
squeeze (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p) && *p != '-')
      g_string_append_c (s, *p);

  return g_string_free (s, FALSE);
}

/* ---- tests --------------------------------------------------------------- */

typedef struct
{
  guint size_mm;
  WtEcc ecc;
} PdfCase;

static void
test_label_pdf (gconstpointer data)
{
  const PdfCase *tc = data;
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (1);
  g_autofree char *dir = make_tmp_dir ();

  for (guint d = 0; d < G_N_ELEMENTS (dpis); d++)
    {
      g_autofree char *name = g_strdup_printf ("label-%u.pdf", (guint) dpis[d]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *written = NULL;
      g_autofree char *png = NULL;
      g_autofree char *info = NULL;
      g_autofree char *text = NULL;
      g_autofree char *squeezed = NULL;
      g_autoptr(GPtrArray) found = NULL;
      const char *info_argv[] = { "pdfinfo", path, NULL };
      const char *text_argv[] = { "pdftotext", "-enc", "UTF-8", path, "-", NULL };
      const char *page_size;
      double w_pt, h_pt, want_pt;
      WtDecoded *decoded;
      WtLabelOptions options;

      wt_label_options_init (&options);
      options.size_mm = tc->size_mm;
      options.ecc = tc->ecc;
      options.dpi = dpis[d];

      written = write_labels (content, &options, batch, WT_LABEL_FORMAT_PDF, path);
      g_assert_cmpstr (written, ==, path);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

      /* The page is the label, to 0.1 mm. */
      info = run_tool (info_argv);
      if (info == NULL)
        break;
      page_size = strstr (info, "Page size:");
      g_assert_nonnull (page_size);
      g_assert_cmpint (sscanf (page_size, "Page size: %lf x %lf pts", &w_pt, &h_pt), ==, 2);
      want_pt = WT_MM_TO_PT (tc->size_mm);
      g_assert_cmpfloat_with_epsilon (w_pt, want_pt, WT_MM_TO_PT (0.1));
      g_assert_cmpfloat_with_epsilon (h_pt, want_pt, WT_MM_TO_PT (0.1));

      /* The words a person reads. */
      text = run_tool (text_argv);
      g_assert_nonnull (strstr (text, "危险废物"));
      g_assert_nonnull (strstr (text, "废物名称"));
      g_assert_nonnull (strstr (text, "数字识别码"));
      g_assert_nonnull (strstr (text, WASTE_NAME));
      squeezed = squeeze (text);
      g_assert_nonnull (strstr (squeezed, batch->items[0].container_code));

      /* The code a scanner reads, printed at the printer's resolution. */
      png = rasterise (path, dpis[d]);
      found = decode_file (png);
      g_assert_cmpuint (found->len, ==, 1);
      decoded = g_ptr_array_index (found, 0);
      g_assert_cmpstr (decoded->text, ==, batch->items[0].payload);
      g_assert_true (decoded->is_utf8);
    }

  remove_dir (dir);
}

static void
test_label_qr_snaps_to_dots (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (1);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint d = 0; d < G_N_ELEMENTS (dpis); d++)
      {
        g_autoptr(WtLabelRenderer) renderer = NULL;
        g_autoptr(GError) error = NULL;
        WtLabelOptions options;
        double x, y, side, dot;
        guint dots;

        wt_label_options_init (&options);
        options.size_mm = sizes[s];
        options.dpi = dpis[d];
        dot = 72.0 / dpis[d];
        renderer = wt_label_renderer_new (content, &options);

        g_assert_true (wt_label_renderer_get_qr_geometry (renderer, batch->items[0].payload,
                                                          &dots, &x, &y, &side, &error));
        g_assert_no_error (error);
        /* Whole dots per module, at least 4, and on the printer's grid. */
        g_assert_cmpuint (dots, >=, 4);
        g_assert_cmpfloat (fabs (x / dot - round (x / dot)), <, 1e-6);
        g_assert_cmpfloat (fabs (y / dot - round (y / dot)), <, 1e-6);
        /* Inside the border, in the bottom-right quarter. */
        g_assert_cmpfloat (x + side, <=, WT_MM_TO_PT (sizes[s] - 3.0 - 1.0));
        g_assert_cmpfloat (y + side, <=, WT_MM_TO_PT (sizes[s] - 3.0 - 1.0));
        g_assert_cmpfloat (x, >, WT_MM_TO_PT (sizes[s]) / 2);
        g_assert_cmpfloat (y, >, WT_MM_TO_PT (sizes[s]) / 2);
      }
}

static void
test_label_png (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (3);
  g_autoptr(Batch) one = make_batch (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "out.png", NULL);
  g_autofree char *single = NULL;
  const char * const *paths;
  WtLabelOptions options;

  wt_label_options_init (&options);
  options.size_mm = 100;
  options.dpi = 203;

  output = wt_label_output_write (content, &options, batch->items, batch->n,
                                  WT_LABEL_FORMAT_PNG, path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Nothing under the final names before commit. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (wt_label_output_commit (output, &error));
  g_assert_no_error (error);

  paths = wt_label_output_get_paths (output);
  g_assert_cmpuint (g_strv_length ((char **) paths), ==, 3);
  g_assert_cmpuint (count_files (dir), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("out-%04u.png", i + 1);
      g_autofree char *want = g_build_filename (dir, name, NULL);
      g_autoptr(GPtrArray) found = NULL;
      int w = 0, h = 0;

      g_assert_cmpstr (paths[i], ==, want);
      g_assert_nonnull (gdk_pixbuf_get_file_info (want, &w, &h));
      /* round (100 / 25.4 * 203) */
      g_assert_cmpint (w, ==, 799);
      g_assert_cmpint (h, ==, 799);

      found = decode_file (want);
      g_assert_cmpuint (found->len, ==, 1);
      g_assert_cmpstr (((WtDecoded *) g_ptr_array_index (found, 0))->text, ==,
                       batch->items[i].payload);
      g_unlink (want);
    }

  /* One label keeps the name it was given. */
  single = write_labels (content, &options, one, WT_LABEL_FORMAT_PNG, path);
  g_assert_cmpstr (single, ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_files (dir), ==, 1);

  remove_dir (dir);
}

static void
test_label_svg (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (2);
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "label.svg", NULL);
  g_autofree char *first = NULL;
  g_autofree char *data = NULL;
  WtLabelOptions options;

  wt_label_options_init (&options);
  first = write_labels (content, &options, batch, WT_LABEL_FORMAT_SVG, path);
  g_assert_cmpuint (count_files (dir), ==, 2);
  g_assert_true (g_str_has_suffix (first, "label-0001.svg"));
  g_assert_true (g_file_get_contents (first, &data, NULL, NULL));
  g_assert_true (g_str_has_prefix (data, "<?xml"));
  g_assert_nonnull (strstr (data, "<svg"));
  g_assert_nonnull (strstr (data, "</svg>"));

  remove_dir (dir);
}

static void
test_label_bad_folder (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;
  WtLabelOptions options;

  wt_label_options_init (&options);
  output = wt_label_output_write (content, &options, batch->items, batch->n,
                                  WT_LABEL_FORMAT_PDF, "/nonexistent/x.pdf",
                                  NULL, NULL, NULL, &error);
  g_assert_null (output);
  g_assert_error (error, WT_ERROR, WT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent"));
  g_assert_false (g_file_test ("/nonexistent/x.pdf", G_FILE_TEST_EXISTS));
}

static void
cancel_after_two_cb (guint    done,
                     guint    total,
                     gpointer user_data)
{
  if (done == 2)
    g_cancellable_cancel (user_data);
}

static void
test_label_cancel (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (6);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *pdf = g_build_filename (dir, "labels.pdf", NULL);
  g_autofree char *png = g_build_filename (dir, "labels.png", NULL);
  WtLabelOptions options;

  wt_label_options_init (&options);

  for (guint f = 0; f < 2; f++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WtLabelOutput) output = NULL;

      g_cancellable_reset (cancellable);
      output = wt_label_output_write (content, &options, batch->items, batch->n,
                                      f == 0 ? WT_LABEL_FORMAT_PDF : WT_LABEL_FORMAT_PNG,
                                      f == 0 ? pdf : png, cancellable,
                                      cancel_after_two_cb, cancellable, &error);
      g_assert_null (output);
      g_assert_error (error, WT_ERROR, WT_ERROR_CANCELLED);
      g_assert_cmpuint (count_files (dir), ==, 0);
    }

  remove_dir (dir);
}

static void
test_label_uncommitted (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels.pdf", NULL);
  WtLabelOptions options;

  wt_label_options_init (&options);
  output = wt_label_output_write (content, &options, batch->items, batch->n,
                                  WT_LABEL_FORMAT_PDF, path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (dir), ==, 1);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* The caller changed its mind (the ledger refused): nothing stays. */
  g_clear_pointer (&output, wt_label_output_free);
  g_assert_cmpuint (count_files (dir), ==, 0);

  remove_dir (dir);
}

/* The child cannot get an argument: it finds the folder from our pid. */
static char *
efbig_dir (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("wt-label-efbig-%d", (int) parent);

  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

/* A file-size limit makes write() fail with EFBIG, as a full disk fails
 * with ENOSPC: the user gets an I/O error and no half-written file. */
static void
test_label_write_error (void)
{
  g_autofree char *dir = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(WtLabelContent) content = make_content (FALSE);
      g_autoptr(Batch) batch = make_batch (40);
      g_autoptr(GError) error = NULL;
      g_autoptr(WtLabelOutput) output = NULL;
      g_autofree char *path = NULL;
      struct rlimit limit = { 64 * 1024, 64 * 1024 };
      WtLabelOptions options;

      dir = efbig_dir (getppid ());
      path = g_build_filename (dir, "labels.pdf", NULL);
      wt_label_options_init (&options);
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

      output = wt_label_output_write (content, &options, batch->items, batch->n,
                                      WT_LABEL_FORMAT_PDF, path, NULL, NULL, NULL, &error);
      g_assert_null (output);
      g_assert_error (error, WT_ERROR, WT_ERROR_IO);
      g_assert_nonnull (strstr (error->message, "labels.pdf"));
      g_assert_nonnull (strstr (error->message, g_strerror (EFBIG)));
      return;
    }

  dir = efbig_dir (getpid ());
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_assert_cmpuint (count_files (dir), ==, 0);
  remove_dir (dir);
}

static void
test_label_qr_too_big (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "big.pdf", NULL);
  g_autofree char *payload = g_strnfill (600, 'x');
  WtLabelItem item = { "91350100M000100Y439002490820261130A01", payload, 1, 1, 0 };
  WtLabelOptions options;

  wt_label_options_init (&options);
  options.size_mm = 100;
  options.ecc = WT_ECC_H;

  output = wt_label_output_write (content, &options, &item, 1, WT_LABEL_FORMAT_PDF,
                                  path, NULL, NULL, NULL, &error);
  g_assert_null (output);
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "100 mm"));
  g_assert_cmpuint (count_files (dir), ==, 0);

  /* The same code fits a 200 mm label. */
  g_clear_error (&error);
  options.size_mm = 200;
  output = wt_label_output_write (content, &options, &item, 1, WT_LABEL_FORMAT_PDF,
                                  path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (output);

  g_clear_pointer (&output, wt_label_output_free);
  remove_dir (dir);
}

/* Long values wrap and get ellipsized; the type never shrinks below the
 * minimum height of HJ 1276, and nothing crosses the border. */
static void
test_label_min_text (void)
{
  g_autoptr(WtLabelContent) content = make_content (TRUE);
  g_autoptr(Batch) batch = make_batch (1);
  g_autofree char *dir = make_tmp_dir ();

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(WtLabelRenderer) renderer = NULL;
      g_autofree char *path = g_strdup_printf ("%s/long-%u.pdf", dir, sizes[s]);
      g_autofree char *written = NULL;
      g_autofree char *text = NULL;
      g_autofree char *png = NULL;
      g_autoptr(GdkPixbuf) pixbuf = NULL;
      g_autoptr(GPtrArray) found = NULL;
      const char *text_argv[] = { "pdftotext", "-enc", "UTF-8", path, "-", NULL };
      WtLabelOptions options;
      const guint8 *pixels;
      int stride, n_channels, width, margin_px;
      guint8 orange;

      wt_label_options_init (&options);
      options.size_mm = sizes[s];
      renderer = wt_label_renderer_new (content, &options);
      g_assert_cmpfloat (wt_label_renderer_get_min_font_mm (renderer), >=,
                         wt_label_min_text_mm (sizes[s]) - 1e-9);

      written = write_labels (content, &options, batch, WT_LABEL_FORMAT_PDF, path);
      text = run_tool (text_argv);
      if (text == NULL)
        break;
      /* (Ellipsized text stays in the PDF's text layer, so pdftotext
       * cannot tell; the margin check below sees overflow.) */
      g_assert_nonnull (strstr (text, "备注"));
      g_assert_nonnull (strstr (text, "废物形态"));

      png = rasterise (path, 100);
      found = decode_file (png);
      g_assert_cmpuint (found->len, ==, 1);

      /* The 3 mm margin outside the border is plain background. */
      pixbuf = gdk_pixbuf_new_from_file (png, NULL);
      g_assert_nonnull (pixbuf);
      pixels = gdk_pixbuf_read_pixels (pixbuf);
      stride = gdk_pixbuf_get_rowstride (pixbuf);
      n_channels = gdk_pixbuf_get_n_channels (pixbuf);
      width = gdk_pixbuf_get_width (pixbuf);
      margin_px = (int) (2.5 / 25.4 * 100);
      orange = pixels[0];
      /* (The last row and column are partly off the page: 393.7 px.) */
      for (int y = 0; y < width - 1; y++)
        for (int x = 0; x < width - 1; x++)
          {
            if (x >= margin_px && x < width - margin_px &&
                y >= margin_px && y < width - margin_px)
              continue;
            g_assert_cmpint (abs (pixels[y * stride + x * n_channels] - orange), <=, 2);
          }
    }

  remove_dir (dir);
}

static void
test_label_sheet (void)
{
  WtLabelOptions options;
  guint page;
  double x, y, x0, y0, size_pt = WT_MM_TO_PT (100);

  g_assert_cmpuint (wt_label_sheet_capacity (100), ==, 4);
  g_assert_cmpuint (wt_label_sheet_capacity (150), ==, 1);
  g_assert_cmpuint (wt_label_sheet_capacity (200), ==, 1);

  wt_label_options_init (&options);
  options.layout = WT_LABEL_LAYOUT_A4_SHEET;

  wt_label_place (&options, 0, &page, &x0, &y0);
  g_assert_cmpuint (page, ==, 0);
  /* A centred 2 × 2 grid. */
  g_assert_cmpfloat_with_epsilon (x0, WT_MM_TO_PT (5), WT_MM_TO_PT (0.2));
  g_assert_cmpfloat_with_epsilon (y0, WT_MM_TO_PT (48.5), WT_MM_TO_PT (0.2));
  wt_label_place (&options, 3, &page, &x, &y);
  g_assert_cmpuint (page, ==, 0);
  g_assert_cmpfloat_with_epsilon (x, x0 + size_pt, WT_MM_TO_PT (0.2));
  g_assert_cmpfloat_with_epsilon (y, y0 + size_pt, WT_MM_TO_PT (0.2));
  wt_label_place (&options, 4, &page, &x, &y);
  g_assert_cmpuint (page, ==, 1);
  g_assert_cmpuint (wt_label_n_pages (&options, 4), ==, 1);
  g_assert_cmpuint (wt_label_n_pages (&options, 5), ==, 2);

  /* A part-used sheet: the first label goes to the third slot. */
  options.start_position = 3;
  wt_label_place (&options, 0, &page, &x, &y);
  g_assert_cmpuint (page, ==, 0);
  g_assert_cmpfloat_with_epsilon (x, x0, WT_MM_TO_PT (0.2));
  g_assert_cmpfloat_with_epsilon (y, y0 + size_pt, WT_MM_TO_PT (0.2));
  wt_label_place (&options, 2, &page, &x, &y);
  g_assert_cmpuint (page, ==, 1);
  g_assert_cmpfloat_with_epsilon (x, x0, WT_MM_TO_PT (0.2));
  g_assert_cmpfloat_with_epsilon (y, y0, WT_MM_TO_PT (0.2));
  g_assert_cmpuint (wt_label_n_pages (&options, 2), ==, 1);
  g_assert_cmpuint (wt_label_n_pages (&options, 3), ==, 2);

  wt_label_page_size (&options, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, WT_MM_TO_PT (210), 0.01);
  g_assert_cmpfloat_with_epsilon (y, WT_MM_TO_PT (297), 0.01);
  options.layout = WT_LABEL_LAYOUT_SINGLE;
  wt_label_page_size (&options, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, size_pt, 0.01);
  g_assert_cmpuint (wt_label_n_pages (&options, 3), ==, 3);
}

static void
test_label_sheet_pdf (void)
{
  g_autoptr(WtLabelContent) content = make_content (FALSE);
  g_autoptr(Batch) batch = make_batch (4);
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "sheet.pdf", NULL);
  g_autofree char *written = NULL;
  g_autofree char *png = NULL;
  g_autofree char *info = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const char *info_argv[] = { "pdfinfo", path, NULL };
  WtLabelOptions options;

  wt_label_options_init (&options);
  options.layout = WT_LABEL_LAYOUT_A4_SHEET;
  written = write_labels (content, &options, batch, WT_LABEL_FORMAT_PDF, path);

  info = run_tool (info_argv);
  if (info == NULL)
    return;
  g_assert_nonnull (strstr (info, "Pages:           1\n"));
  g_assert_nonnull (strstr (info, "(A4)"));

  /* All four labels of the sheet scan. */
  png = rasterise (path, 300);
  found = decode_file (png);
  g_assert_cmpuint (found->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      gboolean seen = FALSE;

      for (guint j = 0; j < found->len; j++)
        if (g_strcmp0 (((WtDecoded *) g_ptr_array_index (found, j))->text,
                       batch->items[i].payload) == 0)
          seen = TRUE;
      g_assert_true (seen);
    }

  remove_dir (dir);
}

static void
test_label_sizes (void)
{
  g_assert_cmpuint (wt_label_size_for_volume (0), ==, 100);
  g_assert_cmpuint (wt_label_size_for_volume (-5), ==, 100);
  g_assert_cmpuint (wt_label_size_for_volume (50), ==, 100);
  g_assert_cmpuint (wt_label_size_for_volume (50.5), ==, 150);
  g_assert_cmpuint (wt_label_size_for_volume (200), ==, 150);
  g_assert_cmpuint (wt_label_size_for_volume (450), ==, 150);
  g_assert_cmpuint (wt_label_size_for_volume (1000), ==, 200);
  g_assert_cmpuint (wt_label_copies_for_volume (450), ==, 1);
  g_assert_cmpuint (wt_label_copies_for_volume (1000), ==, 2);
  g_assert_cmpfloat (wt_label_min_text_mm (100), ==, 3);
  g_assert_cmpfloat (wt_label_min_text_mm (150), ==, 5);
  g_assert_cmpfloat (wt_label_min_text_mm (200), ==, 6);
  g_assert_true (wt_label_size_is_valid (150));
  g_assert_false (wt_label_size_is_valid (120));
}

static void
test_label_formats (void)
{
  WtLabelFormat format = WT_LABEL_FORMAT_PDF;

  g_assert_true (wt_label_format_from_path ("/tmp/Labels.PNG", &format));
  g_assert_cmpint (format, ==, WT_LABEL_FORMAT_PNG);
  g_assert_true (wt_label_format_from_path ("a.b/x.svg", &format));
  g_assert_cmpint (format, ==, WT_LABEL_FORMAT_SVG);
  g_assert_true (wt_label_format_from_path ("x.pdf", &format));
  g_assert_cmpint (format, ==, WT_LABEL_FORMAT_PDF);
  g_assert_false (wt_label_format_from_path ("x.jpeg", &format));
  g_assert_false (wt_label_format_from_path ("a.pdf/x", &format));
  g_assert_true (wt_label_format_parse ("SVG", &format));
  g_assert_cmpint (format, ==, WT_LABEL_FORMAT_SVG);
  g_assert_false (wt_label_format_parse ("eps", &format));
}

static void
test_label_content (void)
{
  g_autoptr(WtLabelContent) content = wt_label_content_new ();
  g_autoptr(WtLabelContent) copy = NULL;

  g_assert_cmpstr (content->waste_name, ==, "");
  g_assert_cmpstr (content->notes, ==, "");
  wt_label_content_set (content, &content->notes, "易碎");
  wt_label_content_set (content, &content->notes, content->notes);
  g_assert_cmpstr (content->notes, ==, "易碎");
  wt_label_content_set (content, &content->weight, NULL);
  g_assert_cmpstr (content->weight, ==, "");
  content->hazards = WT_HAZARD_C;

  copy = wt_label_content_copy (content);
  g_assert_cmpstr (copy->notes, ==, "易碎");
  g_assert_true (copy->notes != content->notes);
  g_assert_cmpuint (copy->hazards, ==, WT_HAZARD_C);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint e = 0; e < G_N_ELEMENTS (eccs); e++)
      {
        PdfCase *tc = g_new0 (PdfCase, 1);
        g_autofree char *name = g_strdup_printf ("/label/pdf/%u/%s", sizes[s],
                                                 wt_ecc_to_string (eccs[e]));

        tc->size_mm = sizes[s];
        tc->ecc = eccs[e];
        g_test_add_data_func_full (name, tc, test_label_pdf, g_free);
      }
  g_test_add_func ("/label/qr-snaps-to-dots", test_label_qr_snaps_to_dots);
  g_test_add_func ("/label/png", test_label_png);
  g_test_add_func ("/label/svg", test_label_svg);
  g_test_add_func ("/label/bad-folder", test_label_bad_folder);
  g_test_add_func ("/label/cancel", test_label_cancel);
  g_test_add_func ("/label/uncommitted", test_label_uncommitted);
  g_test_add_func ("/label/write-error", test_label_write_error);
  g_test_add_func ("/label/qr-too-big", test_label_qr_too_big);
  g_test_add_func ("/label/min-text", test_label_min_text);
  g_test_add_func ("/label/sheet", test_label_sheet);
  g_test_add_func ("/label/sheet-pdf", test_label_sheet_pdf);
  g_test_add_func ("/label/sizes", test_label_sizes);
  g_test_add_func ("/label/formats", test_label_formats);
  g_test_add_func ("/label/content", test_label_content);

  return g_test_run ();
}
