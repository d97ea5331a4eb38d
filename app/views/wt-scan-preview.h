/* wt-scan-preview.h: the camera picture with the outline of the code just read.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "wt-handover.h"

G_BEGIN_DECLS

#define WT_TYPE_SCAN_PREVIEW (wt_scan_preview_get_type ())
G_DECLARE_FINAL_TYPE (WtScanPreview, wt_scan_preview, WT, SCAN_PREVIEW, GtkWidget)

GtkWidget    *wt_scan_preview_new          (void) G_GNUC_WARN_UNUSED_RESULT;
/* Shows @texture (may be %NULL: an empty dark frame), letterboxed. */
void          wt_scan_preview_set_texture  (WtScanPreview     *self,
                                            GdkTexture        *texture);
/* Returns: (transfer none) (nullable): the frame shown. */
GdkTexture   *wt_scan_preview_get_texture  (WtScanPreview     *self);
/* Outlines a code for about a second: @corners are four x, y pairs
 * clockwise from top-left in a @frame_width × @frame_height frame, scaled
 * to wherever that frame is drawn. */
void          wt_scan_preview_show_code    (WtScanPreview     *self,
                                            const double      *corners,
                                            int                frame_width,
                                            int                frame_height);
/* Colours the outline shown (if any) by the verdict once it is known. */
void          wt_scan_preview_set_verdict  (WtScanPreview     *self,
                                            WtVerdictClass     verdict);
/* TRUE while an outline is drawn. */
gboolean      wt_scan_preview_has_outline  (WtScanPreview     *self);

G_END_DECLS
