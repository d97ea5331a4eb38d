/* test-decoder.c: the combined decoder reads what the project prints, reads
 * every degraded frame either engine reads alone, and refuses nothing it
 * should merely report (foreign codes decode; the payload parser refuses).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <cairo.h>
#include <glib/gstdio.h>
#include <qrencode.h>

#include "wt-code.h"
#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-label.h"
#include "wt-qr.h"

/* The degraded-frame generator is shared with bench/decode; the core test
 * build links only the core library, so it is compiled in here. */
#include "../../bench/decode/wt-degrade.c"

#define N_DEGRADED 20

/* ---- fixtures ------------------------------------------------------------ */

static char *
make_payload (guint counter)
{
  WtCodeSplit split;
  WtPayload p = { 0 };
  g_autofree char *code = NULL;

  wt_code_split_init_default (&split);
  code = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'B', counter);
  g_assert_nonnull (code);
  p.version = WT_PAYLOAD_VERSION;
  p.container_code = code;
  p.waste_code = (char *) "900-249-08";
  p.hazards = WT_HAZARD_T | WT_HAZARD_I;
  p.date = (char *) "2026-11-30";

  return wt_payload_encode (&p);
}

static WtLabelContent *
make_content (void)
{
  WtLabelContent *c = wt_label_content_new ();

  wt_label_content_set (c, &c->waste_name, "废矿物油与含矿物油废物");
  wt_label_content_set (c, &c->category, "HW08");
  wt_label_content_set (c, &c->waste_code, "900-249-08");
  wt_label_content_set (c, &c->form, "液态");
  wt_label_content_set (c, &c->main_components, "矿物油、水、金属碎屑");
  wt_label_content_set (c, &c->harmful_components, "石油烃、多环芳烃");
  c->hazards = WT_HAZARD_T | WT_HAZARD_I;
  wt_label_content_set (c, &c->precautions, "远离火源，防止泄漏");
  wt_label_content_set (c, &c->producer, "福州某某机械制造有限公司");
  wt_label_content_set (c, &c->contact, "张三 13800000000");
  wt_label_content_set (c, &c->date, "2026-11-30");

  return c;
}

/* 4 px per module, 4-module white quiet zone, 8-bit grey. */
static guint8 *
rasterise_qr (const WtQr *qr,
              int        *out_size)
{
  int size = (qr->width + 8) * 4;
  guint8 *pixels = g_malloc ((gsize) size * (gsize) size);

  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      pixels[(gsize) y * size + x] = wt_qr_is_dark (qr, x / 4 - 4, y / 4 - 4) ? 0 : 255;
  *out_size = size;

  return pixels;
}

/* Encodes @text like another vendor would: 8-bit mode, no ECI header. */
static WtQr *
encode_plain (const char *text)
{
  QRcode *code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  WtQr *qr = g_new0 (WtQr, 1);

  g_assert_nonnull (code);
  qr->width = code->width;
  qr->version = code->version;
  qr->modules = g_malloc ((gsize) code->width * (gsize) code->width);
  for (int i = 0; i < code->width * code->width; i++)
    qr->modules[i] = code->data[i] & 1;
  QRcode_free (code);

  return qr;
}

static gboolean
found_exact (GPtrArray  *found,
             const char *text)
{
  for (guint i = 0; i < found->len; i++)
    {
      WtDecoded *d = g_ptr_array_index (found, i);

      if (d->length == strlen (text) && memcmp (d->text, text, d->length) == 0)
        return TRUE;
    }

  return FALSE;
}

/* ---- printed labels ------------------------------------------------------- */

typedef struct
{
  guint  size_mm;
  double dpi;
  WtEcc  ecc;
} LabelCase;

/* The label exactly as a @dpi printer gets it, drawn by the project's one
 * renderer, then decoded as a still by the combined decoder. */
static void
test_label_round_trip (gconstpointer data)
{
  const LabelCase *lc = data;
  g_autoptr(WtLabelContent) content = make_content ();
  g_autoptr(WtLabelRenderer) renderer = NULL;
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *payload = make_payload (7);
  g_autofree guint8 *grey = NULL;
  WtLabelOptions options;
  WtLabelItem item = { 0 };
  WtCodeSplit split;
  cairo_surface_t *surface;
  cairo_t *cr;
  WtDecoded *d;
  int px, stride;
  const guint8 *data_px;

  wt_code_split_init_default (&split);
  code = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'B', 7);
  wt_label_options_init (&options);
  options.size_mm = lc->size_mm;
  options.dpi = lc->dpi;
  options.ecc = lc->ecc;
  renderer = wt_label_renderer_new (content, &options);

  px = (int) (lc->size_mm / 25.4 * lc->dpi + 0.5);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, px, px);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, lc->dpi / 72.0, lc->dpi / 72.0);
  item.container_code = code;
  item.payload = payload;
  item.copy = 1;
  item.n_copies = 1;
  g_assert_true (wt_label_renderer_draw (renderer, cr, &item, &error));
  g_assert_no_error (error);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  stride = cairo_image_surface_get_stride (surface);
  data_px = cairo_image_surface_get_data (surface);
  grey = g_malloc ((gsize) px * px);
  for (int y = 0; y < px; y++)
    for (int x = 0; x < px; x++)
      {
        guint32 p = *(const guint32 *) (const void *) (data_px + (gsize) y * stride + 4 * x);

        grey[(gsize) y * px + x] = (guint8) ((299 * ((p >> 16) & 0xff) + 587 * ((p >> 8) & 0xff)
                                              + 114 * (p & 0xff) + 500) / 1000);
      }
  cairo_surface_destroy (surface);

  found = wt_decoder_decode_gray (decoder, grey, px, px, px);
  g_assert_cmpuint (found->len, ==, 1);
  d = g_ptr_array_index (found, 0);
  g_assert_cmpmem (d->text, d->length, payload, strlen (payload));
  g_assert_true (d->is_utf8);
  /* Corners from zxing's position(): a square clockwise from top-left. */
  g_assert_cmpfloat (d->corners[0], <, d->corners[2]);
  g_assert_cmpfloat (d->corners[3], <, d->corners[5]);
}

/* ---- UTF-8 through each engine ------------------------------------------- */

static void
test_utf8_each_engine (void)
{
  static const char *const texts[] = {
    "WT1 危险废物\nID:91350100M000100Y4390024908\n备注:核废料桶,高放,A区-废物桶",
    "你好",
    "废物 / 桶号12",
    "Größe é",
  };
  static const WtDecoderEngines engines[] = { WT_DECODER_ZBAR, WT_DECODER_ZXING, WT_DECODER_ALL };

  for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
    {
      g_autoptr(WtQr) qr = wt_qr_encode (texts[t], WT_ECC_Q, NULL);
      g_autofree guint8 *pixels = NULL;
      int size;

      g_assert_nonnull (qr);
      pixels = rasterise_qr (qr, &size);
      for (guint e = 0; e < G_N_ELEMENTS (engines); e++)
        {
          g_autoptr(WtDecoder) decoder = wt_decoder_new ();
          g_autoptr(GPtrArray) found = NULL;
          WtDecoded *d;

          wt_decoder_set_engines (decoder, engines[e]);
          g_assert_cmpint (wt_decoder_get_engines (decoder), ==, engines[e]);
          found = wt_decoder_decode_gray (decoder, pixels, size, size, size);
          g_assert_cmpuint (found->len, ==, 1);
          d = g_ptr_array_index (found, 0);
          g_assert_cmpmem (d->text, d->length, texts[t], strlen (texts[t]));
          g_assert_true (d->is_utf8);
        }
    }
}

/* ---- foreign codes --------------------------------------------------------- */

static void
test_foreign_codes (void)
{
  static const char *const texts[] = {
    "https://example.com/drum/42",
    "WIFI:S:x;T:WPA;P:y;;",
    "ACME-LABEL|DRUM 0042|WASTE OIL|180KG",
  };

  for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
    {
      g_autoptr(WtQr) qr = encode_plain (texts[t]);
      g_autoptr(WtDecoder) decoder = wt_decoder_new ();
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(WtPayload) payload = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *pixels = NULL;
      WtDecoded *d;
      int size;

      pixels = rasterise_qr (qr, &size);
      found = wt_decoder_decode_gray (decoder, pixels, size, size, size);
      g_assert_cmpuint (found->len, ==, 1);
      d = g_ptr_array_index (found, 0);
      g_assert_cmpmem (d->text, d->length, texts[t], strlen (texts[t]));

      payload = wt_payload_parse (d->text, (gssize) d->length, &error);
      g_assert_null (payload);
      g_assert_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE);
    }
}

/* ---- degraded frames ------------------------------------------------------- */

/* Minimum exact reads out of N_DEGRADED for the combined decoder, a little
 * below what it read when they were set (bench/decode prints the current
 * figures; zbar / zxing-cpp alone in brackets): clean 20 (20/20), blur 18
 * (18/17), noise 20 (17/19), rotation 20 (20/20), perspective 20 (12/20),
 * low contrast 20 (20/0), low light 20 (20/20), glare 20 (20/20), dirt 18
 * (18/16), JPEG 20 (20/20). */
static const guint degraded_minimum[WT_DEGRADE_N_KINDS] = {
  [WT_DEGRADE_CLEAN] = 20,
  [WT_DEGRADE_BLUR] = 16,
  [WT_DEGRADE_NOISE] = 19,
  [WT_DEGRADE_ROTATION] = 19,
  [WT_DEGRADE_PERSPECTIVE] = 19,
  [WT_DEGRADE_LOW_CONTRAST] = 19,
  [WT_DEGRADE_LOW_LIGHT] = 19,
  [WT_DEGRADE_GLARE] = 19,
  [WT_DEGRADE_DIRT] = 16,
  [WT_DEGRADE_JPEG] = 19,
};

static void
test_degraded (gconstpointer data)
{
  WtDegradeKind kind = GPOINTER_TO_UINT (data);
  g_autoptr(WtDecoder) combined = wt_decoder_new ();
  g_autoptr(WtDecoder) zbar = wt_decoder_new ();
  g_autoptr(WtDecoder) zxing = wt_decoder_new ();
  guint n_combined = 0, n_zbar = 0, n_zxing = 0;

  wt_decoder_set_engines (zbar, WT_DECODER_ZBAR);
  wt_decoder_set_engines (zxing, WT_DECODER_ZXING);

  for (guint i = 0; i < N_DEGRADED; i++)
    {
      g_autofree char *payload = make_payload (100 * kind + i + 1);
      g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_Q, NULL);
      g_autofree guint8 *frame = wt_degrade_frame (qr, kind, i);
      g_autoptr(GPtrArray) by_combined = NULL;
      g_autoptr(GPtrArray) by_zbar = NULL;
      g_autoptr(GPtrArray) by_zxing = NULL;
      gboolean c, b, x;

      by_combined = wt_decoder_decode_gray (combined, frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);
      by_zbar = wt_decoder_decode_gray (zbar, frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);
      by_zxing = wt_decoder_decode_gray (zxing, frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);
      c = found_exact (by_combined, payload);
      b = found_exact (by_zbar, payload);
      x = found_exact (by_zxing, payload);
      n_combined += c;
      n_zbar += b;
      n_zxing += x;

      /* The point of combining: nothing either engine reads alone is lost,
       * and no frame ever yields a wrong text. */
      if ((b || x) && !c)
        g_error ("%s frame %u: read by %s alone but not combined",
                 wt_degrade_kind_name (kind), i, b ? "zbar" : "zxing");
      for (guint k = 0; k < by_combined->len; k++)
        {
          WtDecoded *d = g_ptr_array_index (by_combined, k);

          g_assert_cmpmem (d->text, d->length, payload, strlen (payload));
        }
    }

  g_test_message ("%s: combined %u, zbar %u, zxing %u of %u",
                  wt_degrade_kind_name (kind), n_combined, n_zbar, n_zxing, N_DEGRADED);
  g_assert_cmpuint (n_combined, >=, degraded_minimum[kind]);
}

/* The video path skips zbar on most frames to stay fast; a low-contrast
 * code only zbar reads must still be found within ZBAR_FRAME_INTERVAL (8)
 * consecutive frames, and a dirty code zxing locates but cannot decode on
 * the very frame. */
static void
test_video_frames (void)
{
  static const WtDegradeKind kinds[] = { WT_DEGRADE_LOW_CONTRAST, WT_DEGRADE_DIRT, WT_DEGRADE_CLEAN };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint i = 0; i < 6; i++)
      {
        g_autofree char *payload = make_payload (100 * kinds[k] + i + 1);
        g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_Q, NULL);
        g_autofree guint8 *frame = wt_degrade_frame (qr, kinds[k], i);
        g_autoptr(WtDecoder) still = wt_decoder_new ();
        g_autoptr(WtDecoder) video = wt_decoder_new ();
        g_autoptr(GPtrArray) by_still = NULL;
        gboolean read = FALSE;

        by_still = wt_decoder_decode_gray (still, frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);
        if (!found_exact (by_still, payload))
          continue;

        for (guint n = 0; n < 8 && !read; n++)
          {
            g_autoptr(GPtrArray) found = wt_decoder_decode_frame (video, frame, WT_DEGRADE_WIDTH,
                                                                  WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);

            read = found_exact (found, payload);
          }
        g_assert_true (read);
      }
}

/* ---- bad files ------------------------------------------------------------- */

static void
test_not_an_image (void)
{
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *dir = g_dir_make_tmp ("wt-decoder-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "drum.png", NULL);

  g_assert_true (g_file_set_contents (path, "%PDF-1.7 this is no picture", -1, NULL));
  found = wt_decoder_decode_file (decoder, path, &error);
  g_assert_null (found);
  g_assert_error (error, WT_ERROR, WT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "drum.png"));

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_corrupt_png (void)
{
  g_autofree char *payload = make_payload (3);
  g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_Q, NULL);
  g_autofree guint8 *frame = wt_degrade_frame (qr, WT_DEGRADE_CLEAN, 0);
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autofree char *dir = g_dir_make_tmp ("wt-decoder-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "frame.png", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.png", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (wt_degrade_save_png (frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, path, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) found = wt_decoder_decode_file (decoder, path, &error);

    g_assert_no_error (error);
    g_assert_true (found_exact (found, payload));
  }
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  /* Cut in the middle of the image data. */
  g_assert_true (g_file_set_contents (bad, contents, (gssize) (length / 2), NULL));
  {
    g_autoptr(GPtrArray) found = wt_decoder_decode_file (decoder, bad, &error);

    g_assert_null (found);
    g_assert_error (error, WT_ERROR, WT_ERROR_IO);
    g_clear_error (&error);
  }

  /* Garbage over the compressed data: the chunk CRCs no longer match. */
  for (gsize i = length / 3; i < length / 3 + 64; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (bad, contents, (gssize) length, NULL));
  {
    g_autoptr(GPtrArray) found = wt_decoder_decode_file (decoder, bad, &error);

    g_assert_null (found);
    g_assert_error (error, WT_ERROR, WT_ERROR_IO);
  }

  g_unlink (bad);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const guint sizes[] = { 100, 150, 200 };
  static const double dpis[] = { 203, 300 };
  static const WtEcc eccs[] = { WT_ECC_M, WT_ECC_Q, WT_ECC_H };
  static LabelCase cases[G_N_ELEMENTS (sizes) * G_N_ELEMENTS (dpis) * G_N_ELEMENTS (eccs)];
  guint n = 0;

  g_test_init (&argc, &argv, NULL);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint d = 0; d < G_N_ELEMENTS (dpis); d++)
      for (guint e = 0; e < G_N_ELEMENTS (eccs); e++)
        {
          g_autofree char *name = g_strdup_printf ("/decoder/label/%u-mm/%g-dpi/%s",
                                                   sizes[s], dpis[d], wt_ecc_to_string (eccs[e]));

          cases[n] = (LabelCase) { sizes[s], dpis[d], eccs[e] };
          g_test_add_data_func (name, &cases[n], test_label_round_trip);
          n++;
        }

  g_test_add_func ("/decoder/utf8-each-engine", test_utf8_each_engine);
  g_test_add_func ("/decoder/foreign-codes", test_foreign_codes);
  for (WtDegradeKind k = 0; k < WT_DEGRADE_N_KINDS; k++)
    {
      g_autofree char *name = g_strdup_printf ("/decoder/degraded/%s", wt_degrade_kind_name (k));

      g_test_add_data_func (name, GUINT_TO_POINTER (k), test_degraded);
    }
  g_test_add_func ("/decoder/video-frames", test_video_frames);
  g_test_add_func ("/decoder/not-an-image", test_not_an_image);
  g_test_add_func ("/decoder/corrupt-png", test_corrupt_png);

  return g_test_run ();
}
