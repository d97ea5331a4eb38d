/* wt-zxing.h: a small C face for zxing-cpp 1.4 (Debian's libzxing-dev).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * zxing-cpp 1.4 has no C API (ZXingC.h arrived in 2.3), so wt-zxing.cpp wraps
 * the one call we need. zbar.h and the ZXing headers are kept in separate
 * translation units: ZXing's Error.h macros break zbar's C++ wrapper.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WT_ZXING_NONE             = 0,
  /* Look at every row and run the harder detector paths. */
  WT_ZXING_TRY_HARDER       = 1 << 0,
  /* Also look at downscaled copies (zxing's own pyramid, above 500 px). */
  WT_ZXING_TRY_DOWNSCALE    = 1 << 1,
  /* Threshold at the valley of the global histogram instead of zxing's
   * default local average: reads low-contrast codes the default misses,
   * loses noisy ones (research/scanning.md §2.1), so it is a retry only. */
  WT_ZXING_GLOBAL_HISTOGRAM = 1 << 2,
} WtZxingFlags;

/**
 * wt_zxing_read:
 * @pixels: 8-bit grey, @stride bytes per row
 * @results: (element-type WtDecoded): every QR code read is appended, with
 *   its exact bytes (no charset conversion, as zbar's binary mode) and its
 *   corners clockwise from the top-left
 * @out_n_hints: (out) (optional): how many QR symbols were located but not
 *   decoded (finder patterns found, error correction failed): a hint that
 *   another decoder may succeed there
 * @out_hint_box: (out) (optional): x0, y0, x1, y1 of the first such symbol
 *
 * Thread-safe and stateless. Never throws into C: a zxing exception counts
 * as nothing read.
 *
 * Returns: how many codes were appended.
 */
guint wt_zxing_read (const guint8 *pixels,
                     int           width,
                     int           height,
                     int           stride,
                     WtZxingFlags  flags,
                     GPtrArray    *results,
                     guint        *out_n_hints,
                     int           out_hint_box[4]);

G_END_DECLS
