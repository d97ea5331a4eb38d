/* wt-waste-row.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-waste-row"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-waste-row.h"

struct _WtWasteRow
{
  GtkListBoxRow  parent_instance;

  /* Template Widgets */
  GtkLabel      *code_label;
  GtkLabel      *category_label;
  GtkLabel      *name_label;
  GtkLabel      *hazard_label;

  /* Borrowed References */
  const WtWaste *waste;
};

G_DEFINE_FINAL_TYPE (WtWasteRow, wt_waste_row, GTK_TYPE_LIST_BOX_ROW)

static void
wt_waste_row_class_init (WtWasteRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-waste-row.ui");
  gtk_widget_class_bind_template_child (widget_class, WtWasteRow, code_label);
  gtk_widget_class_bind_template_child (widget_class, WtWasteRow, category_label);
  gtk_widget_class_bind_template_child (widget_class, WtWasteRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, WtWasteRow, hazard_label);
}

static void
wt_waste_row_init (WtWasteRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
wt_waste_row_new (const WtWaste *waste)
{
  WtWasteRow *self;
  g_autofree char *category = NULL;

  g_return_val_if_fail (waste != NULL, NULL);

  self = g_object_new (WT_TYPE_WASTE_ROW, NULL);
  self->waste = waste;

  if (waste->category_name != NULL && waste->category_name[0] != '\0')
    category = g_strdup_printf ("%s %s", waste->category, waste->category_name);
  else
    category = g_strdup (waste->category);

  gtk_label_set_text (self->code_label, waste->code);
  gtk_label_set_text (self->category_label, category);
  gtk_label_set_text (self->name_label, waste->description);
  gtk_label_set_text (self->hazard_label, waste->hazard != NULL ? waste->hazard : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hazard_label),
                          waste->hazard != NULL && waste->hazard[0] != '\0');
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), waste->description);

  return GTK_WIDGET (self);
}

const WtWaste *
wt_waste_row_get_waste (WtWasteRow *self)
{
  g_return_val_if_fail (WT_IS_WASTE_ROW (self), NULL);

  return self->waste;
}
