/* wt-degrade.h: synthetic camera frames of a QR code, degraded the ways a
 * warehouse camera degrades them, deterministically from a seed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by bench/decode and tests/core/test-decoder.c (which includes the
 * .c file, because the test build links only the core). No ImageMagick:
 * everything is plain C on 8-bit grey buffers, JPEG through gdk-pixbuf.
 * The categories follow research/scanning.md §2.1.
 */
#pragma once

#include "wt-qr.h"

G_BEGIN_DECLS

typedef enum
{
  WT_DEGRADE_CLEAN,
  WT_DEGRADE_BLUR,
  WT_DEGRADE_NOISE,
  WT_DEGRADE_ROTATION,
  WT_DEGRADE_PERSPECTIVE,
  WT_DEGRADE_LOW_CONTRAST,
  WT_DEGRADE_LOW_LIGHT,
  WT_DEGRADE_GLARE,
  WT_DEGRADE_DIRT,
  WT_DEGRADE_JPEG,
  WT_DEGRADE_N_KINDS,
} WtDegradeKind;

#define WT_DEGRADE_WIDTH  640
#define WT_DEGRADE_HEIGHT 480

const char *wt_degrade_kind_name  (WtDegradeKind kind);

/* Frame @index of @kind: a WT_DEGRADE_WIDTH × WT_DEGRADE_HEIGHT grey frame
 * (stride = width) with @qr at about 4 px per module at a seeded spot on a
 * grey-150 background, then degraded. Same arguments, same pixels.
 * Returns: (transfer full): g_free() it. */
guint8     *wt_degrade_frame      (const WtQr   *qr,
                                   WtDegradeKind kind,
                                   guint         index);

/* A @width × @height textured grey frame (plasma-like waves plus noise), with
 * @qr (may be %NULL) pasted at @px_per_module at a seeded spot.
 * Returns: (transfer full). */
guint8     *wt_degrade_textured   (const WtQr   *qr,
                                   int           width,
                                   int           height,
                                   double        px_per_module,
                                   guint         seed);

/* Writes a grey buffer as an 8-bit PNG (RGB, through gdk-pixbuf). */
gboolean    wt_degrade_save_png   (const guint8 *grey,
                                   int           width,
                                   int           height,
                                   const char   *path,
                                   GError      **error);

G_END_DECLS
