/* wt-label-preview.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A leaf widget without children, so it has no template: it only snapshots.
 * It draws with the same WtLabelRenderer as the printer and the PDF export,
 * at the label's true proportions, scaled to fit the allocation.
 */
#define G_LOG_DOMAIN "wt-label-preview"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "wt-label-preview.h"

#define MARGIN 12.0

struct _WtLabelPreview
{
  GtkWidget        parent_instance;

  /* Owned References */
  WtLabelRenderer *renderer;
  char            *code;
  char            *payload;
  WtLabelItem      item;
  char            *error;
};

G_DEFINE_FINAL_TYPE (WtLabelPreview, wt_label_preview, GTK_TYPE_WIDGET)

static void
wt_label_preview_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  WtLabelPreview *self = WT_LABEL_PREVIEW (widget);
  g_autoptr(GError) error = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double size_pt, scale, side, x0, y0;
  cairo_t *cr;

  if (self->renderer == NULL || width <= 2 * MARGIN || height <= 2 * MARGIN)
    return;

  size_pt = wt_label_renderer_get_size (self->renderer);
  if (size_pt <= 0)
    return;

  scale = MIN ((width - 2 * MARGIN) / size_pt, (height - 2 * MARGIN) / size_pt);
  side = size_pt * scale;
  x0 = floor ((width - side) / 2);
  y0 = floor ((height - side) / 2);

  cr = gtk_snapshot_append_cairo (snapshot,
                                  &GRAPHENE_RECT_INIT (x0 - 4, y0 - 4, side + 8, side + 8));

  /* A soft shadow so the orange label reads as a sheet on any background. */
  cairo_set_source_rgba (cr, 0, 0, 0, 0.18);
  cairo_rectangle (cr, x0 + 2, y0 + 3, side, side);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x0, y0, side, side);
  cairo_fill (cr);

  cairo_translate (cr, x0, y0);
  cairo_scale (cr, scale, scale);
  if (!wt_label_renderer_draw (self->renderer, cr, &self->item, &error))
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
    }
  cairo_destroy (cr);
}

static GtkSizeRequestMode
wt_label_preview_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_CONSTANT_SIZE;
}

static void
wt_label_preview_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = 160;
  *natural = 420;
}

static void
wt_label_preview_finalize (GObject *object)
{
  WtLabelPreview *self = WT_LABEL_PREVIEW (object);

  g_clear_pointer (&self->renderer, wt_label_renderer_free);
  g_clear_pointer (&self->code, g_free);
  g_clear_pointer (&self->payload, g_free);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (wt_label_preview_parent_class)->finalize (object);
}

static void
wt_label_preview_class_init (WtLabelPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = wt_label_preview_finalize;
  widget_class->snapshot = wt_label_preview_snapshot;
  widget_class->measure = wt_label_preview_measure;
  widget_class->get_request_mode = wt_label_preview_get_request_mode;

  gtk_widget_class_set_css_name (widget_class, "labelpreview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
wt_label_preview_init (WtLabelPreview *self)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "wt-preview");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Label preview"),
                                  -1);
}

GtkWidget *
wt_label_preview_new (void)
{
  return g_object_new (WT_TYPE_LABEL_PREVIEW, NULL);
}

void
wt_label_preview_set (WtLabelPreview       *self,
                      const WtLabelContent *content,
                      const WtLabelOptions *options,
                      const WtLabelItem    *item)
{
  g_return_if_fail (WT_IS_LABEL_PREVIEW (self));

  g_clear_pointer (&self->renderer, wt_label_renderer_free);
  g_clear_pointer (&self->error, g_free);

  if (content != NULL && options != NULL && item != NULL)
    {
      g_free (self->code);
      g_free (self->payload);
      self->code = g_strdup (item->container_code != NULL ? item->container_code : "");
      self->payload = g_strdup (item->payload != NULL ? item->payload : "");
      self->item = *item;
      self->item.container_code = self->code;
      self->item.payload = self->payload;
      self->renderer = wt_label_renderer_new (content, options);
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
wt_label_preview_get_error (WtLabelPreview *self)
{
  g_return_val_if_fail (WT_IS_LABEL_PREVIEW (self), NULL);

  return self->error;
}
