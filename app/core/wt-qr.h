/* wt-qr.h
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WT_ECC_M,
  WT_ECC_Q,
  WT_ECC_H,
} WtEcc;

/* Parses "M", "Q" or "H" (case-insensitive). */
gboolean     wt_ecc_parse       (const char *text,
                                 WtEcc      *out_ecc);
const char  *wt_ecc_to_string   (WtEcc       ecc);

/**
 * WtQr:
 * An immutable QR symbol: @width × @width modules, row-major, 1 = dark.
 * The quiet zone is not included; renderers add 4 modules on each side.
 */
typedef struct
{
  int     width;
  int     version;
  guint8 *modules;
} WtQr;

/* Encodes @utf8 as one 8-bit segment behind an ECI 26 (UTF-8) header, so
 * every decoder reads the Chinese text right. Thread-safe.
 * Returns: (transfer full): the symbol, or %NULL with @error set when the
 * text does not fit in a version-40 symbol. */
WtQr        *wt_qr_encode       (const char *utf8,
                                 WtEcc       ecc,
                                 GError    **error) G_GNUC_WARN_UNUSED_RESULT;
void         wt_qr_free         (WtQr       *qr);
gboolean     wt_qr_is_dark      (const WtQr *qr,
                                 int         x,
                                 int         y);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtQr, wt_qr_free)

G_END_DECLS
