/* wt-scan-manifest-dialog.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The number is checked as it is typed with wt_manifest_number_validate(),
 * which needs no ledger (the division codes are compiled in), so it is
 * cheap enough for the main thread.
 */
#define G_LOG_DOMAIN "wt-scan-manifest-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-handover.h"
#include "wt-scan-manifest-dialog.h"

struct _WtScanManifestDialog
{
  AdwMessageDialog  parent_instance;

  /* Template Widgets */
  AdwEntryRow      *number_row;
  GtkLabel         *number_label;
  AdwEntryRow      *carrier_row;
  AdwEntryRow      *vehicle_row;
  AdwEntryRow      *receiver_row;
  AdwEntryRow      *licence_row;
  GtkLabel         *licence_label;
};

G_DEFINE_FINAL_TYPE (WtScanManifestDialog, wt_scan_manifest_dialog, ADW_TYPE_MESSAGE_DIALOG)

static gboolean
is_given (AdwEntryRow *row)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  return text[0] != '\0';
}

static void
changed_cb (WtScanManifestDialog *self)
{
  g_autofree char *number = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->number_row))));
  g_autoptr(GError) error = NULL;
  gboolean number_ok = TRUE;

  if (number[0] == '\0')
    {
      gtk_label_set_text (self->number_label,
                          _("Leave the number empty to start with a local draft number; add the official one when it is known."));
      gtk_widget_remove_css_class (GTK_WIDGET (self->number_label), "wt-field-error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->number_row), "wt-row-error");
    }
  else if (!wt_manifest_number_validate (number, &error))
    {
      number_ok = FALSE;
      gtk_label_set_text (self->number_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->number_label), "wt-field-error");
      gtk_widget_add_css_class (GTK_WIDGET (self->number_row), "wt-row-error");
    }
  else
    {
      gtk_label_set_text (self->number_label, _("The number is valid."));
      gtk_widget_remove_css_class (GTK_WIDGET (self->number_label), "wt-field-error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->number_row), "wt-row-error");
    }

  /* The licence is optional, but what is typed must be a licence number. */
  {
    g_autofree char *licence = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->licence_row))));
    g_autoptr(GError) licence_error = NULL;

    if (wt_receiver_licence_validate (licence, &licence_error))
      {
        gtk_label_set_text (self->licence_label,
                            _("The reports list what was sent out by receiver and licence number; leave it empty if it is not known yet."));
        gtk_widget_remove_css_class (GTK_WIDGET (self->licence_label), "wt-field-error");
        gtk_widget_remove_css_class (GTK_WIDGET (self->licence_row), "wt-row-error");
      }
    else
      {
        number_ok = FALSE;
        gtk_label_set_text (self->licence_label, licence_error->message);
        gtk_widget_add_css_class (GTK_WIDGET (self->licence_label), "wt-field-error");
        gtk_widget_add_css_class (GTK_WIDGET (self->licence_row), "wt-row-error");
      }
  }

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "create",
                                           number_ok && is_given (self->carrier_row)
                                           && is_given (self->vehicle_row) && is_given (self->receiver_row));
}

static void
wt_scan_manifest_dialog_class_init (WtScanManifestDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-scan-manifest-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, number_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, number_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, carrier_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, vehicle_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, receiver_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, licence_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestDialog, licence_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
}

static void
wt_scan_manifest_dialog_init (WtScanManifestDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  changed_cb (self);
}

WtScanManifestDialog *
wt_scan_manifest_dialog_new (GtkWindow *parent)
{
  return g_object_new (WT_TYPE_SCAN_MANIFEST_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
}

const char *
wt_scan_manifest_dialog_get_number (WtScanManifestDialog *self)
{
  g_return_val_if_fail (WT_IS_SCAN_MANIFEST_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->number_row));
}

const char *
wt_scan_manifest_dialog_get_carrier (WtScanManifestDialog *self)
{
  g_return_val_if_fail (WT_IS_SCAN_MANIFEST_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->carrier_row));
}

const char *
wt_scan_manifest_dialog_get_vehicle (WtScanManifestDialog *self)
{
  g_return_val_if_fail (WT_IS_SCAN_MANIFEST_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->vehicle_row));
}

const char *
wt_scan_manifest_dialog_get_receiver (WtScanManifestDialog *self)
{
  g_return_val_if_fail (WT_IS_SCAN_MANIFEST_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->receiver_row));
}

const char *
wt_scan_manifest_dialog_get_receiver_licence (WtScanManifestDialog *self)
{
  g_return_val_if_fail (WT_IS_SCAN_MANIFEST_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->licence_row));
}
