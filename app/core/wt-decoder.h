/* wt-decoder.h: reads QR codes from grey images and image files.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WtDecoded:
 * One code found in an image: its exact bytes (NUL-terminated for
 * convenience, @length excludes the NUL) and the corners of the symbol in
 * image pixels (clockwise from top-left; zeros when unknown).
 */
typedef struct
{
  char   *text;
  gsize   length;
  gboolean is_utf8;
  double  corners[8];
} WtDecoded;

void        wt_decoded_free            (WtDecoded    *decoded);

typedef struct _WtDecoder WtDecoder;

/**
 * WtDecoderEngines:
 * Which decoders a #WtDecoder runs. The default, %WT_DECODER_ALL, reads
 * every code that either zbar or zxing-cpp reads alone; the single engines
 * exist for benchmarks and tests.
 */
typedef enum
{
  WT_DECODER_ZBAR        = 1 << 0, /* zbar 0.23, binary mode */
  WT_DECODER_ZXING       = 1 << 1, /* zxing-cpp 1.4, default (local average) binarizer */
  WT_DECODER_ZXING_RETRY = 1 << 2, /* zxing-cpp again with the global-histogram
                                    * binarizer after a miss (low contrast) */
  WT_DECODER_ALL         = WT_DECODER_ZBAR | WT_DECODER_ZXING | WT_DECODER_ZXING_RETRY,
} WtDecoderEngines;

/* A decoder owns its scanners; use one per thread. */
WtDecoder  *wt_decoder_new             (void) G_GNUC_WARN_UNUSED_RESULT;
void        wt_decoder_free            (WtDecoder    *self);
/* Decodes an 8-bit grey image. Returns: (transfer full) (element-type WtDecoded):
 * every QR code found, possibly none. Never fails. */
GPtrArray  *wt_decoder_decode_gray     (WtDecoder    *self,
                                        const guint8 *pixels,
                                        int           width,
                                        int           height,
                                        int           stride) G_GNUC_WARN_UNUSED_RESULT;
/* Like wt_decoder_decode_gray() for one frame of a video stream, within a
 * time budget (median ≤ 8 ms for 1280×720 on one core): the slow engine
 * (zbar) runs only where zxing-cpp located a symbol it could not decode, or
 * on every few frames without a read, so a code only zbar reads is found
 * within a few frames rather than on each. Keeps a frame counter: use one
 * decoder per stream. Never fails. */
GPtrArray  *wt_decoder_decode_frame    (WtDecoder    *self,
                                        const guint8 *pixels,
                                        int           width,
                                        int           height,
                                        int           stride) G_GNUC_WARN_UNUSED_RESULT;
/* Chooses the engines; %WT_DECODER_ALL by default. At least one is set. */
void        wt_decoder_set_engines     (WtDecoder        *self,
                                        WtDecoderEngines  engines);
WtDecoderEngines wt_decoder_get_engines (WtDecoder       *self);
/* Loads an image file (PNG, JPEG, anything gdk-pixbuf reads) and decodes it.
 * Returns %NULL with WT_ERROR_IO when the file is not a readable image. */
GPtrArray  *wt_decoder_decode_file     (WtDecoder    *self,
                                        const char   *path,
                                        GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtDecoder, wt_decoder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtDecoded, wt_decoded_free)

G_END_DECLS
