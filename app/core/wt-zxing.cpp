/* wt-zxing.cpp: the extern "C" shim over zxing-cpp 1.4.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No zbar header may be included here (see wt-zxing.h).
 */
#include "config.h"

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cstring>

#include "wt-decoder.h"
#include "wt-zxing.h"

guint
wt_zxing_read (const guint8 *pixels,
               int           width,
               int           height,
               int           stride,
               WtZxingFlags  flags,
               GPtrArray    *results,
               guint        *out_n_hints,
               int           out_hint_box[4])
{
  guint n_read = 0;
  guint n_hints = 0;

  if (out_n_hints != nullptr)
    *out_n_hints = 0;
  if (width <= 0 || height <= 0)
    return 0;

  try
    {
      ZXing::DecodeHints hints;
      ZXing::ImageView image (pixels, width, height, ZXing::ImageFormat::Lum, stride);

      hints.setFormats (ZXing::BarcodeFormat::QRCode);
      hints.setTryHarder ((flags & WT_ZXING_TRY_HARDER) != 0);
      hints.setTryRotate (false);   /* QR finders are rotation invariant */
      hints.setTryDownscale ((flags & WT_ZXING_TRY_DOWNSCALE) != 0);
      hints.setBinarizer ((flags & WT_ZXING_GLOBAL_HISTOGRAM) != 0
                          ? ZXing::Binarizer::GlobalHistogram
                          : ZXing::Binarizer::LocalAverage);
      /* Located but undecodable symbols come back too: they are the hint
       * that lets the caller try zbar on just that part of the frame. */
      hints.setReturnErrors (true);

      for (const ZXing::Result &r : ZXing::ReadBarcodes (image, hints))
        {
          const ZXing::Position &pos = r.position ();

          if (!r.isValid ())
            {
              if (r.format () == ZXing::BarcodeFormat::QRCode && n_hints++ == 0 && out_hint_box != nullptr)
                {
                  int x0 = width, y0 = height, x1 = 0, y1 = 0;

                  for (const auto &p : pos)
                    {
                      x0 = std::min (x0, p.x);
                      y0 = std::min (y0, p.y);
                      x1 = std::max (x1, p.x);
                      y1 = std::max (y1, p.y);
                    }
                  out_hint_box[0] = x0;
                  out_hint_box[1] = y0;
                  out_hint_box[2] = x1;
                  out_hint_box[3] = y1;
                }
              continue;
            }

          /* bytes () is the content without charset conversion; for our
           * ECI 26 labels that is exactly the UTF-8 text. */
          const ZXing::ByteArray &bytes = r.bytes ();
          WtDecoded *decoded = g_new0 (WtDecoded, 1);

          decoded->length = bytes.size ();
          decoded->text = static_cast<char *> (g_malloc (decoded->length + 1));
          if (decoded->length > 0)
            memcpy (decoded->text, bytes.data (), decoded->length);
          decoded->text[decoded->length] = '\0';
          decoded->is_utf8 = g_utf8_validate (decoded->text, (gssize) decoded->length, nullptr);
          for (int i = 0; i < 4; i++)
            {
              decoded->corners[2 * i] = pos[i].x;
              decoded->corners[2 * i + 1] = pos[i].y;
            }
          g_ptr_array_add (results, decoded);
          n_read++;
        }
    }
  catch (...)
    {
      g_debug ("zxing-cpp threw; counting the frame as unread");
    }

  if (out_n_hints != nullptr)
    *out_n_hints = n_hints;

  return n_read;
}
