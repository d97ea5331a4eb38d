/* wt-decoder.c: QR codes from grey images and image files, through zbar.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <zbar.h>

#include "wt-decoder.h"
#include "wt-error.h"

/* Invariant: @scanner reads QR codes only, with ZBAR_CFG_BINARY on, so the
 * symbol data are the exact bytes of the code. zbar's own text conversion
 * guesses Big5 or Shift-JIS and garbles UTF-8 Chinese (mchehab/zbar#244);
 * we check UTF-8 ourselves instead. */
struct _WtDecoder
{
  zbar_image_scanner_t *scanner;
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

GPtrArray *
wt_decoder_decode_gray (WtDecoder    *self,
                        const guint8 *pixels,
                        int           width,
                        int           height,
                        int           stride)
{
  GPtrArray *result;
  zbar_image_t *image;
  guint8 *packed;
  const zbar_symbol_t *symbol;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (pixels != NULL || width == 0 || height == 0, NULL);
  g_return_val_if_fail (width >= 0 && height >= 0 && stride >= width, NULL);

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_decoded_free);
  if (width == 0 || height == 0)
    return result;

  /* zbar wants Y800 without row padding; it owns the copy and frees it
   * with zbar_image_free_data. */
  packed = g_malloc ((gsize) width * (gsize) height);
  for (int y = 0; y < height; y++)
    memcpy (packed + (gsize) y * (gsize) width,
            pixels + (gsize) y * (gsize) stride,
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
                  decoded->corners[2 * i] = zbar_symbol_get_loc_x (symbol, order[i]);
                  decoded->corners[2 * i + 1] = zbar_symbol_get_loc_y (symbol, order[i]);
                }
            }

          g_ptr_array_add (result, decoded);
        }
    }

  zbar_image_destroy (image);

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
