/* wt-scan-condition-dialog.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Five switches in the words of the issue, all "good" to start with, and a
 * reason that becomes required as soon as one check fails: the ledger
 * refuses a handover while a failed check has no reason.
 */
#define G_LOG_DOMAIN "wt-scan-condition-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-scan-condition-dialog.h"

struct _WtScanConditionDialog
{
  AdwMessageDialog  parent_instance;

  /* Template Widgets */
  GtkSwitch        *seal_switch;
  GtkSwitch        *leaking_switch;
  GtkSwitch        *bulging_switch;
  GtkSwitch        *corroded_switch;
  GtkSwitch        *legible_switch;
  AdwEntryRow      *reason_row;
  GtkLabel         *reason_label;
};

G_DEFINE_FINAL_TYPE (WtScanConditionDialog, wt_scan_condition_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
read_condition (WtScanConditionDialog *self,
                WtCondition           *condition)
{
  wt_condition_init (condition);
  condition->seal_intact = gtk_switch_get_active (self->seal_switch);
  condition->leaking = gtk_switch_get_active (self->leaking_switch);
  condition->bulging = gtk_switch_get_active (self->bulging_switch);
  condition->corroded = gtk_switch_get_active (self->corroded_switch);
  condition->label_legible = gtk_switch_get_active (self->legible_switch);
}

static void
changed_cb (WtScanConditionDialog *self)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_row))));
  WtCondition condition;
  gboolean failed;

  read_condition (self, &condition);
  failed = wt_condition_failed (&condition);
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), failed && reason[0] == '\0');
  if (failed && reason[0] == '\0')
    gtk_widget_add_css_class (GTK_WIDGET (self->reason_row), "wt-row-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->reason_row), "wt-row-error");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "record", !failed || reason[0] != '\0');
}

static void
wt_scan_condition_dialog_class_init (WtScanConditionDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-scan-condition-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, seal_switch);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, leaking_switch);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, bulging_switch);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, corroded_switch);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, legible_switch);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, WtScanConditionDialog, reason_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
}

static void
wt_scan_condition_dialog_init (WtScanConditionDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  changed_cb (self);
}

WtScanConditionDialog *
wt_scan_condition_dialog_new (GtkWindow  *parent,
                              const char *display_code)
{
  WtScanConditionDialog *self = g_object_new (WT_TYPE_SCAN_CONDITION_DIALOG,
                                              "transient-for", parent,
                                              "modal", TRUE,
                                              NULL);

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), display_code);
  return self;
}

void
wt_scan_condition_dialog_get_condition (WtScanConditionDialog *self,
                                        WtCondition           *condition)
{
  g_autofree char *reason = NULL;

  g_return_if_fail (WT_IS_SCAN_CONDITION_DIALOG (self));

  read_condition (self, condition);
  reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->reason_row))));
  condition->reason = reason[0] != '\0' ? g_steal_pointer (&reason) : NULL;
}
