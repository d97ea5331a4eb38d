/* wt-label-preview.h: the live label preview, drawn by the core renderer.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "wt-label.h"

G_BEGIN_DECLS

#define WT_TYPE_LABEL_PREVIEW (wt_label_preview_get_type ())
G_DECLARE_FINAL_TYPE (WtLabelPreview, wt_label_preview, WT, LABEL_PREVIEW, GtkWidget)

GtkWidget  *wt_label_preview_new      (void) G_GNUC_WARN_UNUSED_RESULT;
/* Lays out @content with @options and shows @item (all copied). Passing
 * %NULL @content clears the preview. */
void        wt_label_preview_set      (WtLabelPreview       *self,
                                       const WtLabelContent *content,
                                       const WtLabelOptions *options,
                                       const WtLabelItem    *item);
/* The error of the last draw, or %NULL: e.g. the payload does not fit. */
const char *wt_label_preview_get_error (WtLabelPreview      *self);

G_END_DECLS
