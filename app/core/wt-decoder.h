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
/* Loads an image file (PNG, JPEG, anything gdk-pixbuf reads) and decodes it.
 * Returns %NULL with WT_ERROR_IO when the file is not a readable image. */
GPtrArray  *wt_decoder_decode_file     (WtDecoder    *self,
                                        const char   *path,
                                        GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtDecoder, wt_decoder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtDecoded, wt_decoded_free)

G_END_DECLS
