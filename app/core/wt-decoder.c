/* wt-decoder.c: QR codes from grey images and image files, through
 * zxing-cpp and zbar combined.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <zbar.h>

#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-zxing.h"

/* How the engines are combined, and why (figures: bench/decode, one core
 * of a 2-vCPU EPYC VM; research/scanning.md §2):
 *
 * - zxing-cpp goes first: it is 4-5x faster than zbar and reads more real
 *   photos and more defocus.
 * - After a zxing miss, zxing again with the global-histogram binarizer:
 *   zxing 1.4's local-average binarizer loses codes squeezed into 40-60 %
 *   grey, which the global histogram reads. It is not the default because
 *   it loses noisy frames.
 * - zbar last: it reads low contrast down to 45-55 % grey and dirt blobs
 *   that zxing 1.4 misses, but it takes 11 ms on an empty 640×480 frame and
 *   34 ms on 1280×720.
 *
 * Stills (wt_decoder_decode_gray) run zbar whenever zxing read nothing or
 * located a symbol it could not decode, so the combination reads every code
 * either engine reads alone. Video frames (wt_decoder_decode_frame) cannot
 * afford zbar on every frame, so zbar runs (a) on just the region where
 * zxing located an undecodable symbol, which is cheap and catches dirt, and
 * (b) on the whole frame every ZBAR_FRAME_INTERVAL-th frame without a read,
 * which catches low contrast where zxing does not even see finder patterns.
 * A code held in front of the camera is in many consecutive frames, so (b)
 * costs at most ZBAR_FRAME_INTERVAL frames of latency, and the median frame
 * stays a zxing-only frame. For the same reason the global-histogram retry
 * runs on every other frame without a read (odd frames; zbar's are even).
 *
 * Measured on 1280×720 empty textured frames, one core (bench/decode):
 * zxing tryHarder+tryDownscale 7-8 ms, plain 4.4-4.9 ms, global histogram
 * 2.0-2.2 ms, zbar 54-58 ms. Video frames therefore use plain zxing (on the
 * degraded set tryHarder and tryDownscale changed no read; the camera
 * already scales to ≤1280×720, and the global-histogram retry, which does
 * not depend on a window size, reads codes too large for the local-average
 * window), so the median frame costs plain zxing, and one frame in eight
 * also pays for zbar: about 12 ms on average, a third of a core at 30 fps. */
#define ZBAR_FRAME_INTERVAL 8

/* zxing flags for stills: the thorough paths; for video frames: none (see
 * above). */
#define ZXING_STILL_FLAGS (WT_ZXING_TRY_HARDER | WT_ZXING_TRY_DOWNSCALE)
#define ZXING_FRAME_FLAGS (WT_ZXING_NONE)

/* Invariant: @scanner reads QR codes only, with ZBAR_CFG_BINARY on, so the
 * symbol data are the exact bytes of the code. zbar's own text conversion
 * guesses Big5 or Shift-JIS and garbles UTF-8 Chinese (mchehab/zbar#244);
 * we check UTF-8 ourselves instead. @engines is never 0. @n_frames counts
 * the frames given to wt_decoder_decode_frame(). */
struct _WtDecoder
{
  zbar_image_scanner_t *scanner;
  WtDecoderEngines      engines;
  guint64               n_frames;
};

void
wt_decoded_free (WtDecoded *decoded)
{
  if (decoded == NULL)
    return;

  g_free (decoded->text);
  g_free (decoded);
}

WtDecoder *
wt_decoder_new (void)
{
  WtDecoder *self = g_new0 (WtDecoder, 1);

  self->scanner = zbar_image_scanner_create ();
  zbar_image_scanner_set_config (self->scanner, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (self->scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_scanner_set_config (self->scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
  self->engines = WT_DECODER_ALL;

  return self;
}

void
wt_decoder_free (WtDecoder *self)
{
  if (self == NULL)
    return;

  zbar_image_scanner_destroy (self->scanner);
  g_free (self);
}

void
wt_decoder_set_engines (WtDecoder        *self,
                        WtDecoderEngines  engines)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail ((engines & WT_DECODER_ALL) != 0);

  self->engines = engines & WT_DECODER_ALL;
}

WtDecoderEngines
wt_decoder_get_engines (WtDecoder *self)
{
  g_return_val_if_fail (self != NULL, WT_DECODER_ALL);

  return self->engines;
}

/* Appends @decoded to @results unless the same bytes are there already
 * (both engines may read the same code). Takes ownership of @decoded. */
static void
add_unique (GPtrArray *results,
            WtDecoded *decoded)
{
  for (guint i = 0; i < results->len; i++)
    {
      WtDecoded *other = g_ptr_array_index (results, i);

      if (other->length == decoded->length
          && memcmp (other->text, decoded->text, decoded->length) == 0)
        {
          wt_decoded_free (decoded);
          return;
        }
    }

  g_ptr_array_add (results, decoded);
}

/* Runs zbar on the rectangle @x0,@y0 @width×@height of @pixels and adds
 * what it reads to @results, corners in full-image coordinates. */
static void
scan_zbar (WtDecoder    *self,
           const guint8 *pixels,
           int           stride,
           int           x0,
           int           y0,
           int           width,
           int           height,
           GPtrArray    *results)
{
  zbar_image_t *image;
  guint8 *packed;
  const zbar_symbol_t *symbol;

  /* zbar wants Y800 without row padding; it owns the copy and frees it
   * with zbar_image_free_data. */
  packed = g_malloc ((gsize) width * (gsize) height);
  for (int y = 0; y < height; y++)
    memcpy (packed + (gsize) y * (gsize) width,
            pixels + (gsize) (y0 + y) * (gsize) stride + (gsize) x0,
            (gsize) width);

  image = zbar_image_create ();
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, (unsigned) width, (unsigned) height);
  zbar_image_set_data (image, packed, (unsigned long) width * (unsigned long) height,
                       zbar_image_free_data);

  if (zbar_scan_image (self->scanner, image) > 0)
    {
      for (symbol = zbar_image_first_symbol (image);
           symbol != NULL;
           symbol = zbar_symbol_next (symbol))
        {
          WtDecoded *decoded;
          const char *data;
          unsigned int length;
          unsigned int n_points;

          if (zbar_symbol_get_type (symbol) != ZBAR_QRCODE)
            continue;

          data = zbar_symbol_get_data (symbol);
          length = zbar_symbol_get_data_length (symbol);

          decoded = g_new0 (WtDecoded, 1);
          decoded->text = g_malloc (length + 1);
          memcpy (decoded->text, data, length);
          decoded->text[length] = '\0';
          decoded->length = length;
          decoded->is_utf8 = g_utf8_validate (decoded->text, length, NULL);

          /* zbar gives the QR's four corners in the order of the symbol:
           * top-left, bottom-left, bottom-right, top-right. Reorder them
           * clockwise from top-left as the header promises. */
          n_points = zbar_symbol_get_loc_size (symbol);
          if (n_points == 4)
            {
              static const unsigned order[4] = { 0, 3, 2, 1 };

              for (guint i = 0; i < 4; i++)
                {
                  decoded->corners[2 * i] = x0 + zbar_symbol_get_loc_x (symbol, order[i]);
                  decoded->corners[2 * i + 1] = y0 + zbar_symbol_get_loc_y (symbol, order[i]);
                }
            }

          add_unique (results, decoded);
        }
    }

  zbar_image_destroy (image);
}

/* Runs zxing (and its retry) and says whether zbar is still worth a try:
 * nothing read, or a symbol located but not decoded (@hint_box then holds
 * its bounding box, else x0 > x1). */
static gboolean
scan_zxing (WtDecoder    *self,
            const guint8 *pixels,
            int           width,
            int           height,
            int           stride,
            WtZxingFlags  flags,
            gboolean      allow_retry,
            GPtrArray    *results,
            int           hint_box[4])
{
  GPtrArray *found = g_ptr_array_new ();
  guint n_hints = 0;
  guint n_read;

  hint_box[0] = 1;
  hint_box[2] = 0;

  n_read = wt_zxing_read (pixels, width, height, stride, flags, found, &n_hints, hint_box);
  if (n_read == 0 && allow_retry && (self->engines & WT_DECODER_ZXING_RETRY) != 0)
    {
      guint n_retry_hints = 0;

      n_read = wt_zxing_read (pixels, width, height, stride,
                              flags | WT_ZXING_GLOBAL_HISTOGRAM,
                              found, &n_retry_hints, n_hints > 0 ? NULL : hint_box);
      n_hints = MAX (n_hints, n_retry_hints);
    }

  for (guint i = 0; i < found->len; i++)
    add_unique (results, g_ptr_array_index (found, i));
  g_ptr_array_unref (found);

  if (n_hints == 0)
    {
      hint_box[0] = 1;
      hint_box[2] = 0;
    }

  return n_read == 0 || n_hints > 0;
}

static gboolean
check_args (WtDecoder    *self,
            const guint8 *pixels,
            int           width,
            int           height,
            int           stride)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (pixels != NULL || width == 0 || height == 0, FALSE);
  g_return_val_if_fail (width >= 0 && height >= 0 && stride >= width, FALSE);

  return TRUE;
}

GPtrArray *
wt_decoder_decode_gray (WtDecoder    *self,
                        const guint8 *pixels,
                        int           width,
                        int           height,
                        int           stride)
{
  GPtrArray *result;
  gboolean want_zbar = TRUE;
  int hint_box[4];

  if (!check_args (self, pixels, width, height, stride))
    return NULL;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_decoded_free);
  if (width == 0 || height == 0)
    return result;

  if ((self->engines & (WT_DECODER_ZXING | WT_DECODER_ZXING_RETRY)) == WT_DECODER_ZXING_RETRY)
    wt_zxing_read (pixels, width, height, stride,
                   ZXING_STILL_FLAGS | WT_ZXING_GLOBAL_HISTOGRAM, result, NULL, NULL);
  else if ((self->engines & WT_DECODER_ZXING) != 0)
    want_zbar = scan_zxing (self, pixels, width, height, stride,
                            ZXING_STILL_FLAGS, TRUE, result, hint_box);

  if (want_zbar && (self->engines & WT_DECODER_ZBAR) != 0)
    scan_zbar (self, pixels, stride, 0, 0, width, height, result);

  return result;
}

GPtrArray *
wt_decoder_decode_frame (WtDecoder    *self,
                         const guint8 *pixels,
                         int           width,
                         int           height,
                         int           stride)
{
  GPtrArray *result;
  gboolean want_zbar = TRUE;
  int box[4] = { 1, 0, 0, 0 };

  if (!check_args (self, pixels, width, height, stride))
    return NULL;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_decoded_free);
  if (width == 0 || height == 0)
    return result;

  self->n_frames++;

  if ((self->engines & WT_DECODER_ZXING) != 0)
    want_zbar = scan_zxing (self, pixels, width, height, stride,
                            ZXING_FRAME_FLAGS, self->n_frames % 2 == 1, result, box);

  if (!want_zbar || (self->engines & WT_DECODER_ZBAR) == 0)
    return result;

  if ((self->engines & WT_DECODER_ZXING) == 0)
    {
      scan_zbar (self, pixels, stride, 0, 0, width, height, result);
    }
  else if (box[0] <= box[2])
    {
      /* zxing located a symbol it could not decode: zbar on that region,
       * grown by half its size on each side for the quiet zone and for
       * zbar's own finder search. */
      int margin = MAX (box[2] - box[0], box[3] - box[1]) / 2 + 8;
      int x0 = CLAMP (box[0] - margin, 0, width - 1);
      int y0 = CLAMP (box[1] - margin, 0, height - 1);
      int x1 = CLAMP (box[2] + margin, x0 + 1, width);
      int y1 = CLAMP (box[3] + margin, y0 + 1, height);

      scan_zbar (self, pixels, stride, x0, y0, x1 - x0, y1 - y0, result);
    }
  else if (result->len == 0 && self->n_frames % ZBAR_FRAME_INTERVAL == 0)
    {
      scan_zbar (self, pixels, stride, 0, 0, width, height, result);
    }

  return result;
}

GPtrArray *
wt_decoder_decode_file (WtDecoder   *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *grey = NULL;
  g_autofree char *display_name = NULL;
  const guint8 *src;
  int width, height, stride, n_channels;
  gboolean has_alpha;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixbuf = gdk_pixbuf_new_from_file (path, &local_error);
  if (pixbuf == NULL)
    {
      display_name = g_filename_display_name (path);
      g_debug ("Loading %s: %s", display_name, local_error->message);
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("“%s” is not an image Wastetag can read."), display_name);
      return NULL;
    }

  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  src = gdk_pixbuf_read_pixels (pixbuf);

  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 || n_channels < 3)
    {
      display_name = g_filename_display_name (path);
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("“%s” is not an image Wastetag can read."), display_name);
      return NULL;
    }

  /* Rec. 601 luma in fixed point; transparent pixels are flattened over
   * white, as a label on screen or paper would show them. */
  grey = g_malloc ((gsize) width * (gsize) height);
  for (int y = 0; y < height; y++)
    {
      const guint8 *p = src + (gsize) y * (gsize) stride;
      guint8 *q = grey + (gsize) y * (gsize) width;

      for (int x = 0; x < width; x++, p += n_channels)
        {
          guint luma = (299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000;

          if (has_alpha)
            luma = (luma * p[3] + 255 * (255 - p[3]) + 127) / 255;
          q[x] = (guint8) luma;
        }
    }

  return wt_decoder_decode_gray (self, grey, width, height, width);
}
