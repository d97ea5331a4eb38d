/* wt-scan-handover-dialog.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialog only collects and checks the shape of what is typed; the
 * ledger checks the PINs (wt_ledger_confirm_handover on a worker thread)
 * and the Scan view reopens the dialog with its sentence when it refuses.
 */
#define G_LOG_DOMAIN "wt-scan-handover-dialog"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wt-scan-handover-dialog.h"

struct _WtScanHandoverDialog
{
  AdwMessageDialog      parent_instance;

  /* Template Widgets */
  AdwPreferencesGroup  *first_group;
  AdwEntryRow          *first_name_row;
  AdwEntryRow          *first_pin_row;
  AdwPreferencesGroup  *second_group;
  AdwEntryRow          *second_name_row;
  AdwEntryRow          *second_pin_row;
  GtkLabel             *hint_label;
  GtkLabel             *error_label;
};

G_DEFINE_FINAL_TYPE (WtScanHandoverDialog, wt_scan_handover_dialog, ADW_TYPE_MESSAGE_DIALOG)

static gboolean
pin_is_valid (const char *pin)
{
  gsize len = strlen (pin);

  return len >= 4 && len <= 8 && strspn (pin, "0123456789") == len;
}

static gboolean
name_is_given (AdwEntryRow *row)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  return name[0] != '\0';
}

static void
changed_cb (WtScanHandoverDialog *self)
{
  const char *first_pin = gtk_editable_get_text (GTK_EDITABLE (self->first_pin_row));
  const char *second_pin = gtk_editable_get_text (GTK_EDITABLE (self->second_pin_row));
  gboolean pins_ok = pin_is_valid (first_pin) && pin_is_valid (second_pin);
  gboolean pin_typed_wrong = (first_pin[0] != '\0' && strspn (first_pin, "0123456789") != strlen (first_pin))
                             || (second_pin[0] != '\0' && strspn (second_pin, "0123456789") != strlen (second_pin))
                             || strlen (first_pin) > 8 || strlen (second_pin) > 8;

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "confirm",
                                           pins_ok && name_is_given (self->first_name_row)
                                           && name_is_given (self->second_name_row));
  if (pin_typed_wrong)
    gtk_widget_add_css_class (GTK_WIDGET (self->hint_label), "wt-field-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->hint_label), "wt-field-error");
}

static void
wt_scan_handover_dialog_class_init (WtScanHandoverDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-scan-handover-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, first_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, first_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, first_pin_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, second_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, second_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, second_pin_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanHandoverDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
}

static void
wt_scan_handover_dialog_init (WtScanHandoverDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  changed_cb (self);
}

WtScanHandoverDialog *
wt_scan_handover_dialog_new (GtkWindow           *parent,
                             WtManifestDirection  direction,
                             const char          *number,
                             guint                n_containers)
{
  WtScanHandoverDialog *self;

  self = g_object_new (WT_TYPE_SCAN_HANDOVER_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);

  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (self), _("Confirm Handover of %s"), number);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self),
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "%u container changes hands. Each person types their name and PIN on this device; the first use of a name sets its PIN.",
                                               "%u containers change hands. Each person types their name and PIN on this device; the first use of a name sets its PIN.",
                                               n_containers),
                                  n_containers);

  if (direction == WT_MANIFEST_OUTGOING)
    {
      adw_preferences_group_set_title (self->first_group, _("Handed Over By (移出人)"));
      adw_preferences_group_set_title (self->second_group, _("Taken Over By the Carrier (承运人)"));
    }
  else
    {
      adw_preferences_group_set_title (self->first_group, _("Delivered By the Carrier (承运人)"));
      adw_preferences_group_set_title (self->second_group, _("Received By (接受人)"));
    }

  return self;
}

void
wt_scan_handover_dialog_get_parties (WtScanHandoverDialog *self,
                                     WtParty              *parties)
{
  g_return_if_fail (WT_IS_SCAN_HANDOVER_DIALOG (self));

  parties[0].name = gtk_editable_get_text (GTK_EDITABLE (self->first_name_row));
  parties[0].pin = gtk_editable_get_text (GTK_EDITABLE (self->first_pin_row));
  parties[1].name = gtk_editable_get_text (GTK_EDITABLE (self->second_name_row));
  parties[1].pin = gtk_editable_get_text (GTK_EDITABLE (self->second_pin_row));
}

void
wt_scan_handover_dialog_set_names (WtScanHandoverDialog *self,
                                   const char           *first,
                                   const char           *second)
{
  g_return_if_fail (WT_IS_SCAN_HANDOVER_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->first_name_row), first != NULL ? first : "");
  gtk_editable_set_text (GTK_EDITABLE (self->second_name_row), second != NULL ? second : "");
}

void
wt_scan_handover_dialog_set_error (WtScanHandoverDialog *self,
                                   const char           *message)
{
  g_return_if_fail (WT_IS_SCAN_HANDOVER_DIALOG (self));

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL && message[0] != '\0');
}
