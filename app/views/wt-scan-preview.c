/* wt-scan-preview.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain drawing widget: the latest camera frame scaled to fit (never
 * cropped, so the outline lands where the code is), and for OUTLINE_MS
 * after a read the quadrilateral of the code's corners. Frames replace each
 * other; nothing is queued.
 */
#define G_LOG_DOMAIN "wt-scan-preview"

#include "config.h"

#include <string.h>

#include "wt-scan-preview.h"

#define OUTLINE_MS 1000
#define OUTLINE_WIDTH 5.0

struct _WtScanPreview
{
  GtkWidget       parent_instance;

  /* Owned References */
  GdkTexture     *texture;

  double          corners[8];
  int             frame_width;
  int             frame_height;
  gboolean        has_outline;
  gboolean        has_verdict;
  WtVerdictClass  verdict;
  guint           outline_source;
};

G_DEFINE_FINAL_TYPE (WtScanPreview, wt_scan_preview, GTK_TYPE_WIDGET)

/* Where a frame of @fw × @fh goes in the widget: scale and offset. */
static void
fit (WtScanPreview *self,
     int            fw,
     int            fh,
     double        *out_scale,
     double        *out_x,
     double        *out_y)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double scale = MIN (w / MAX (fw, 1), h / MAX (fh, 1));

  *out_scale = scale;
  *out_x = (w - fw * scale) / 2;
  *out_y = (h - fh * scale) / 2;
}

static void
outline_colour (WtScanPreview *self,
                GdkRGBA       *rgba)
{
  /* Bright and saturated: the outline sits on a live picture, not on the
   * window's background, so it does not follow the colour scheme. */
  if (!self->has_verdict || self->verdict == WT_VERDICT_OK)
    gdk_rgba_parse (rgba, "#33d17a");
  else if (self->verdict == WT_VERDICT_WARNING)
    gdk_rgba_parse (rgba, "#f6d32d");
  else
    gdk_rgba_parse (rgba, "#ff3b3b");
}

static void
wt_scan_preview_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  WtScanPreview *self = WT_SCAN_PREVIEW (widget);
  int w = gtk_widget_get_width (widget);
  int h = gtk_widget_get_height (widget);
  double scale, x, y;
  GdkRGBA black = { 0.08, 0.08, 0.08, 1 };

  gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (self->texture == NULL)
    return;

  fit (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture), &scale, &x, &y);
  gtk_snapshot_append_texture (snapshot, self->texture,
                               &GRAPHENE_RECT_INIT (x, y,
                                                    gdk_texture_get_width (self->texture) * scale,
                                                    gdk_texture_get_height (self->texture) * scale));

  if (self->has_outline && self->frame_width > 0 && self->frame_height > 0)
    {
      cairo_t *cr;
      GdkRGBA colour;

      fit (self, self->frame_width, self->frame_height, &scale, &x, &y);
      outline_colour (self, &colour);
      cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
      cairo_set_line_width (cr, OUTLINE_WIDTH);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      for (guint i = 0; i < 4; i++)
        {
          double px = x + self->corners[2 * i] * scale;
          double py = y + self->corners[2 * i + 1] * scale;

          if (i == 0)
            cairo_move_to (cr, px, py);
          else
            cairo_line_to (cr, px, py);
        }
      cairo_close_path (cr);
      /* A dark halo keeps the line visible on a light label. */
      cairo_set_source_rgba (cr, 0, 0, 0, 0.55);
      cairo_set_line_width (cr, OUTLINE_WIDTH + 4);
      cairo_stroke_preserve (cr);
      gdk_cairo_set_source_rgba (cr, &colour);
      cairo_set_line_width (cr, OUTLINE_WIDTH);
      cairo_stroke (cr);
      cairo_destroy (cr);
    }
}

static void
wt_scan_preview_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  /* 4:3 at 640 px wide is what a person at arm's length needs; it shrinks
   * with the window. */
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 180;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 480;
}

static void
wt_scan_preview_dispose (GObject *object)
{
  WtScanPreview *self = WT_SCAN_PREVIEW (object);

  g_clear_handle_id (&self->outline_source, g_source_remove);
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (wt_scan_preview_parent_class)->dispose (object);
}

static void
wt_scan_preview_class_init (WtScanPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_scan_preview_dispose;
  widget_class->snapshot = wt_scan_preview_snapshot;
  widget_class->measure = wt_scan_preview_measure;

  gtk_widget_class_set_css_name (widget_class, "wt-scan-preview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
wt_scan_preview_init (WtScanPreview *self)
{
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
wt_scan_preview_new (void)
{
  return g_object_new (WT_TYPE_SCAN_PREVIEW, NULL);
}

void
wt_scan_preview_set_texture (WtScanPreview *self,
                             GdkTexture    *texture)
{
  g_return_if_fail (WT_IS_SCAN_PREVIEW (self));

  if (g_set_object (&self->texture, texture))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

GdkTexture *
wt_scan_preview_get_texture (WtScanPreview *self)
{
  g_return_val_if_fail (WT_IS_SCAN_PREVIEW (self), NULL);

  return self->texture;
}

static gboolean
outline_timeout_cb (gpointer user_data)
{
  WtScanPreview *self = user_data;

  self->outline_source = 0;
  self->has_outline = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

void
wt_scan_preview_show_code (WtScanPreview *self,
                           const double  *corners,
                           int            frame_width,
                           int            frame_height)
{
  gboolean any = FALSE;

  g_return_if_fail (WT_IS_SCAN_PREVIEW (self));
  g_return_if_fail (corners != NULL);

  for (guint i = 0; i < 8; i++)
    any |= corners[i] != 0;
  if (!any)
    return;

  memcpy (self->corners, corners, sizeof self->corners);
  self->frame_width = frame_width;
  self->frame_height = frame_height;
  self->has_outline = TRUE;
  self->has_verdict = FALSE;
  g_clear_handle_id (&self->outline_source, g_source_remove);
  self->outline_source = g_timeout_add (OUTLINE_MS, outline_timeout_cb, self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
wt_scan_preview_set_verdict (WtScanPreview  *self,
                             WtVerdictClass  verdict)
{
  g_return_if_fail (WT_IS_SCAN_PREVIEW (self));

  self->has_verdict = TRUE;
  self->verdict = verdict;
  if (self->has_outline)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
wt_scan_preview_has_outline (WtScanPreview *self)
{
  g_return_val_if_fail (WT_IS_SCAN_PREVIEW (self), FALSE);

  return self->has_outline;
}
