/* wt-label-private.h: renderer internals exposed to the tests and benches.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not part of the application's API: nothing outside app/core, tests/ and
 * bench/ includes this header.
 */
#pragma once

#include "wt-label.h"

G_BEGIN_DECLS

/* The smallest font size (em height, in mm) of any text the renderer lays
 * out, fixed part and per-label parts alike. HJ 1276 requires it to be at
 * least wt_label_min_text_mm (size): long values wrap and get ellipsized,
 * they never shrink the type. */
double   wt_label_renderer_get_min_font_mm (WtLabelRenderer *self);

/* Where the QR code of @payload goes on the label, without drawing it:
 * printer dots per module (≥ 4) and the top-left corner of the light quiet
 * zone, in points from the label's origin. FALSE with @error set when the
 * code does not fit, exactly as wt_label_renderer_draw() would fail. */
gboolean wt_label_renderer_get_qr_geometry (WtLabelRenderer *self,
                                            const char      *payload,
                                            guint           *out_dots_per_module,
                                            double          *out_x_pt,
                                            double          *out_y_pt,
                                            double          *out_side_pt,
                                            GError         **error);

G_END_DECLS
