/* wt-scan-manifest-panel.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows a WtReconciliation as people read a loading list: the counts first,
 * per waste code, then what is wrong (missing, not expected, scanned twice,
 * already shipped, wrong waste), each list hidden while empty, then the
 * containers scanned in this session.
 */
#define G_LOG_DOMAIN "wt-scan-manifest-panel"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-scan-manifest-panel.h"

struct _WtScanManifestPanel
{
  GtkWidget             parent_instance;

  /* Template Widgets */
  GtkLabel             *number_label;
  GtkLabel             *details_label;
  GtkLabel             *confirmed_label;
  GtkLabel             *counts_label;
  GtkListBox           *tallies_list;
  AdwPreferencesGroup  *missing_group;
  GtkListBox           *missing_list;
  AdwPreferencesGroup  *unexpected_group;
  GtkListBox           *unexpected_list;
  AdwPreferencesGroup  *duplicates_group;
  GtkListBox           *duplicates_list;
  AdwPreferencesGroup  *already_shipped_group;
  GtkListBox           *already_shipped_list;
  AdwPreferencesGroup  *wrong_waste_group;
  GtkListBox           *wrong_waste_list;
  AdwPreferencesGroup  *scanned_group;
  GtkListBox           *scanned_list;
  GtkWidget            *confirm_button;
  GtkWidget            *receipt_button;

  WtCodeSplit           split;
  WtManifestDirection   direction;
  gboolean              confirmed;
};

G_DEFINE_FINAL_TYPE (WtScanManifestPanel, wt_scan_manifest_panel, GTK_TYPE_WIDGET)

WtScanItem *
wt_scan_item_new (const char *code)
{
  WtScanItem *item = g_new0 (WtScanItem, 1);

  item->code = g_strdup (code);
  item->weight_kg = -1;
  return item;
}

void
wt_scan_item_free (WtScanItem *item)
{
  if (item == NULL)
    return;
  g_free (item->code);
  g_free (item->reason);
  g_free (item);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static char *
display_code (WtScanManifestPanel *self,
              const char          *code)
{
  char *display = wt_code_to_display (&self->split, code);

  return display != NULL ? display : g_strdup (code);
}

static void
fill_codes (WtScanManifestPanel *self,
            AdwPreferencesGroup *group,
            GtkListBox          *list,
            GStrv                codes)
{
  guint n = codes != NULL ? g_strv_length (codes) : 0;

  clear_list (list);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *display = display_code (self, codes[i]);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display);
      gtk_widget_add_css_class (row, "wt-code-row");
      gtk_list_box_append (list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (group), n > 0);
}

static void
update_buttons (WtScanManifestPanel *self)
{
  gtk_widget_set_visible (self->confirm_button, !self->confirmed);
  gtk_widget_set_visible (self->receipt_button, self->confirmed && self->direction == WT_MANIFEST_OUTGOING);
  gtk_widget_set_visible (GTK_WIDGET (self->confirmed_label), self->confirmed);
}

static void
wt_scan_manifest_panel_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), WT_TYPE_SCAN_MANIFEST_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_scan_manifest_panel_parent_class)->dispose (object);
}

static void
wt_scan_manifest_panel_class_init (WtScanManifestPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_scan_manifest_panel_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-scan-manifest-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, number_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, details_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, confirmed_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, counts_label);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, tallies_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, missing_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, missing_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, unexpected_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, unexpected_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, duplicates_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, duplicates_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, already_shipped_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, already_shipped_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, wrong_waste_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, wrong_waste_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, scanned_group);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, scanned_list);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, WtScanManifestPanel, receipt_button);
}

static void
wt_scan_manifest_panel_init (WtScanManifestPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wt_code_split_init_default (&self->split);
  update_buttons (self);
}

void
wt_scan_manifest_panel_set_split (WtScanManifestPanel *self,
                                  const WtCodeSplit   *split)
{
  g_return_if_fail (WT_IS_SCAN_MANIFEST_PANEL (self));

  self->split = *split;
}

void
wt_scan_manifest_panel_set_manifest (WtScanManifestPanel *self,
                                     const WtManifest    *manifest)
{
  g_autofree char *details = NULL;

  g_return_if_fail (WT_IS_SCAN_MANIFEST_PANEL (self));

  if (manifest == NULL)
    {
      gtk_label_set_text (self->number_label, "");
      gtk_label_set_text (self->details_label, "");
      self->confirmed = FALSE;
      update_buttons (self);
      return;
    }

  self->direction = manifest->direction;
  self->confirmed = manifest->confirmed;
  gtk_label_set_text (self->number_label, wt_manifest_get_display_number (manifest));
  if (manifest->direction == WT_MANIFEST_OUTGOING)
    /* Translators: carrier · vehicle plate · receiver of a manifest. */
    details = g_strdup_printf (_("%s · %s → %s"), manifest->carrier, manifest->vehicle, manifest->receiver);
  else
    /* Translators: producer · carrier · vehicle plate of a loaded receipt. */
    details = g_strdup_printf (_("From %s · %s · %s"), manifest->producer, manifest->carrier, manifest->vehicle);
  gtk_label_set_text (self->details_label, details);
  update_buttons (self);
}

void
wt_scan_manifest_panel_set_reconciliation (WtScanManifestPanel    *self,
                                           const WtReconciliation *rec)
{
  g_autofree char *counts = NULL;

  g_return_if_fail (WT_IS_SCAN_MANIFEST_PANEL (self));
  g_return_if_fail (rec != NULL);

  if (rec->n_expected > 0)
    counts = g_strdup_printf (_("%u of %u scanned"), rec->n_scanned, rec->n_expected);
  else
    counts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u scanned, no plan", "%u scanned, no plan", rec->n_scanned),
                              rec->n_scanned);
  gtk_label_set_text (self->counts_label, counts);

  clear_list (self->tallies_list);
  for (guint i = 0; i < rec->tallies->len; i++)
    {
      const WtWasteTally *t = g_ptr_array_index (rec->tallies, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *value = NULL;
      g_autofree char *kg = NULL;
      GtkWidget *label;

      if (t->expected > 0)
        value = g_strdup_printf (_("%u / %u"), t->scanned, t->expected);
      else
        value = g_strdup_printf ("%u", t->scanned);
      if (t->expected_kg > 0 || t->scanned_kg > 0)
        kg = t->expected_kg > 0
               ? g_strdup_printf (_("%.1f of %.1f kg"), t->scanned_kg, t->expected_kg)
               : g_strdup_printf (_("%.1f kg"), t->scanned_kg);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t->waste_code);
      if (kg != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), kg);
      label = gtk_label_new (value);
      gtk_widget_add_css_class (label, "wt-tally");
      if (t->expected > 0 && t->scanned != t->expected)
        gtk_widget_add_css_class (label, "wt-tally-off");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      gtk_list_box_append (self->tallies_list, row);
    }

  fill_codes (self, self->missing_group, self->missing_list, rec->missing);
  fill_codes (self, self->unexpected_group, self->unexpected_list, rec->unexpected);
  fill_codes (self, self->duplicates_group, self->duplicates_list, rec->duplicates);
  fill_codes (self, self->already_shipped_group, self->already_shipped_list, rec->already_shipped);
  fill_codes (self, self->wrong_waste_group, self->wrong_waste_list, rec->wrong_waste);
}

static GtkWidget *
item_button (const char *label,
             const char *tooltip,
             const char *action,
             const char *code)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", code);
  gtk_widget_add_css_class (button, "wt-item-button");
  return button;
}

void
wt_scan_manifest_panel_set_items (WtScanManifestPanel *self,
                                  GPtrArray           *items)
{
  g_return_if_fail (WT_IS_SCAN_MANIFEST_PANEL (self));

  clear_list (self->scanned_list);
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const WtScanItem *item = g_ptr_array_index (items, i);
      g_autofree char *display = display_code (self, item->code);
      g_autoptr(GString) subtitle = g_string_new (NULL);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display);
      gtk_widget_add_css_class (row, "wt-code-row");
      if (item->reject)
        g_string_append_printf (subtitle, _("Rejected: %s"), item->reason);
      if (item->weight_kg >= 0)
        {
          if (subtitle->len > 0)
            g_string_append (subtitle, " · ");
          g_string_append_printf (subtitle, _("%g kg weighed"), item->weight_kg);
        }
      if (subtitle->len > 0)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);

      if (self->direction == WT_MANIFEST_INCOMING && !self->confirmed)
        {
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     item_button (_("_Weight…"), _("Record the weight found at receipt"),
                                                  "scan.weigh-item", item->code));
          if (item->reject)
            adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                       item_button (_("_Accept"), _("Accept this container after all"),
                                                    "scan.accept-item", item->code));
          else
            adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                       item_button (_("_Reject…"), _("Refuse this container, with a reason"),
                                                    "scan.reject-item", item->code));
        }
      gtk_list_box_append (self->scanned_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->scanned_group), items != NULL && items->len > 0);
}
