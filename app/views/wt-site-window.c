/* wt-site-window.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-site-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wt-code.h"
#include "wt-site-window.h"
#include "wt-uscc.h"
#include "wt-worker.h"

struct _WtSiteWindow
{
  AdwWindow      parent_instance;

  /* Template Widgets */
  AdwHeaderBar  *header_bar;
  GtkWidget     *cancel_button;
  GtkWidget     *save_button;
  GtkSpinner    *spinner;
  GtkLabel      *intro_label;
  AdwEntryRow   *name_row;
  AdwEntryRow   *uscc_row;
  GtkLabel      *uscc_error_label;
  AdwEntryRow   *contact_row;
  AdwEntryRow   *phone_row;
  AdwEntryRow   *address_row;
  AdwEntryRow   *facility_row;
  AdwEntryRow   *device_name_row;
  AdwEntryRow   *slot_row;
  GtkLabel      *slot_error_label;
  GtkWidget     *identity_group;
  AdwActionRow  *device_id_row;
  AdwActionRow  *key_row;
  GtkLabel      *problem_label;

  /* Owned References */
  WtLedger      *ledger;
  GCancellable  *cancellable;

  gboolean       read_only;
  gboolean       saving;
};

G_DEFINE_FINAL_TYPE (WtSiteWindow, wt_site_window, ADW_TYPE_WINDOW)

enum {
  SITE_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_field_error (gpointer    row,
                 GtkLabel   *label,
                 const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_add_css_class (GTK_WIDGET (row), "wt-row-error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (row), "wt-row-error");
    }
}

static char *
stripped (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (row_text (row)));
}

static gboolean
slot_is_valid (const char *text)
{
  return strlen (text) == 1 && strchr (WT_CODE_ALPHABET, g_ascii_toupper (text[0])) != NULL;
}

/* Live checks of what a person types; Save stays off until they pass. */
static gboolean
validate (WtSiteWindow *self)
{
  const char *uscc = row_text (self->uscc_row);
  const char *slot = row_text (self->slot_row);
  g_autofree char *name = stripped (self->name_row);
  g_autoptr(GError) error = NULL;
  gboolean uscc_ok, slot_ok, name_ok;

  if (self->read_only)
    return FALSE;

  uscc_ok = wt_uscc_validate (uscc, &error);
  /* Say nothing while the field is still empty. */
  set_field_error (self->uscc_row, self->uscc_error_label,
                   uscc_ok || uscc[0] == '\0' ? NULL : error->message);

  slot_ok = slot_is_valid (slot);
  set_field_error (self->slot_row, self->slot_error_label,
                   slot_ok ? NULL : _("One letter or digit; I and O are not used."));

  name_ok = name[0] != '\0';

  return uscc_ok && slot_ok && name_ok;
}

static void
update_save (WtSiteWindow *self)
{
  gboolean valid = validate (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "site.save", valid && !self->saving && !self->read_only);
}

static void
changed_cb (WtSiteWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), FALSE);
  update_save (self);
}

static WtSite *
build_site (WtSiteWindow *self)
{
  WtSite *site = wt_site_new ();
  char *uscc;

  g_free (site->name);
  site->name = stripped (self->name_row);
  uscc = g_ascii_strup (row_text (self->uscc_row), -1);
  g_free (site->uscc);
  site->uscc = g_strstrip (uscc);
  g_free (site->contact);
  site->contact = stripped (self->contact_row);
  g_free (site->phone);
  site->phone = stripped (self->phone_row);
  g_free (site->address);
  site->address = stripped (self->address_row);
  g_free (site->facility);
  site->facility = stripped (self->facility_row);
  g_free (site->device_name);
  site->device_name = stripped (self->device_name_row);
  site->device_slot = g_ascii_toupper (row_text (self->slot_row)[0]);
  if (site->split.unit_len == 0)
    wt_code_split_init_default (&site->split);

  return site;
}

typedef struct
{
  WtLedger *ledger;
  WtSite   *site;
} SaveData;

static void
save_data_free (gpointer pointer)
{
  SaveData *data = pointer;

  g_clear_object (&data->ledger);
  g_clear_pointer (&data->site, wt_site_free);
  g_free (data);
}

/* Makes the device key too, which may take a moment. */
static gpointer
save_thread (gpointer      pointer,
             GCancellable *cancellable,
             GError      **error)
{
  SaveData *data = pointer;

  if (!wt_ledger_init_site (data->ledger, data->site, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
set_saving (WtSiteWindow *self,
            gboolean      saving)
{
  self->saving = saving;
  gtk_spinner_set_spinning (self->spinner, saving);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), saving);
  gtk_widget_set_sensitive (self->cancel_button, !saving);
  update_save (self);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  WtSiteWindow *self = WT_SITE_WINDOW (object);
  g_autoptr(GError) error = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_saving (self, FALSE);
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  self->saving = FALSE;
  g_signal_emit (self, signals[SITE_SAVED], 0);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WtSiteWindow *self = WT_SITE_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  SaveData *data;

  if (self->saving || self->read_only || !validate (self))
    return;

  data = g_new0 (SaveData, 1);
  data->ledger = g_object_ref (self->ledger);
  data->site = build_site (self);

  if (!wt_site_validate (data->site, &error))
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      save_data_free (data);
      return;
    }

  set_saving (self, TRUE);
  wt_worker_run_async (self, save_thread, data, save_data_free, NULL, self->cancellable, saved_cb, NULL);
}

/* ---- Showing an existing site -------------------------------------------- */

static gpointer
load_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  WtLedger *ledger = data;

  if (!wt_ledger_has_site (ledger))
    {
      /* Not an error: the form stays empty and editable. */
      return wt_site_new ();
    }
  return wt_ledger_dup_site (ledger, error);
}

static void
set_row (AdwEntryRow *row,
         const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
  gtk_editable_set_editable (GTK_EDITABLE (row), FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (row), "wt-read-only");
}

static void
show_site (WtSiteWindow *self,
           const WtSite *site)
{
  char slot[2] = { site->device_slot, '\0' };

  self->read_only = TRUE;
  gtk_window_set_title (GTK_WINDOW (self), _("Site"));
  gtk_label_set_text (self->intro_label,
                      _("This is the unit this ledger belongs to. A site is set up once, because every container code printed depends on it."));

  set_row (self->name_row, site->name);
  set_row (self->uscc_row, site->uscc);
  set_row (self->contact_row, site->contact);
  set_row (self->phone_row, site->phone);
  set_row (self->address_row, site->address);
  set_row (self->facility_row, site->facility);
  set_row (self->device_name_row, site->device_name);
  set_row (self->slot_row, slot);

  adw_action_row_set_subtitle (self->device_id_row, site->device_id != NULL ? site->device_id : "");
  adw_action_row_set_subtitle (self->key_row, site->public_key != NULL ? site->public_key : "");
  gtk_widget_set_visible (self->identity_group, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);

  gtk_widget_set_visible (self->save_button, FALSE);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  adw_header_bar_set_show_end_title_buttons (self->header_bar, TRUE);
  set_field_error (self->uscc_row, self->uscc_error_label, NULL);
  set_field_error (self->slot_row, self->slot_error_label, NULL);
  update_save (self);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  WtSiteWindow *self = WT_SITE_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtSite) site = NULL;

  site = wt_worker_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
  if (site == NULL)
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->problem_label), TRUE);
      return;
    }

  if (site->uscc != NULL && site->uscc[0] != '\0')
    show_site (self, site);
}

/* ---- GObject ------------------------------------------------------------- */

static void
wt_site_window_dispose (GObject *object)
{
  WtSiteWindow *self = WT_SITE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_SITE_WINDOW);

  G_OBJECT_CLASS (wt_site_window_parent_class)->dispose (object);
}

static void
wt_site_window_finalize (GObject *object)
{
  WtSiteWindow *self = WT_SITE_WINDOW (object);

  g_clear_object (&self->ledger);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wt_site_window_parent_class)->finalize (object);
}

static void
wt_site_window_class_init (WtSiteWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_site_window_dispose;
  object_class->finalize = wt_site_window_finalize;

  signals[SITE_SAVED] =
    g_signal_new ("site-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-site-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, save_button);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, intro_label);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, uscc_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, uscc_error_label);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, contact_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, phone_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, address_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, facility_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, device_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, slot_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, slot_error_label);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, identity_group);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, device_id_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, key_row);
  gtk_widget_class_bind_template_child (widget_class, WtSiteWindow, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "site.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wt_site_window_init (WtSiteWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  update_save (self);
}

WtSiteWindow *
wt_site_window_new (GtkWindow *parent,
                    WtLedger  *ledger)
{
  WtSiteWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (WT_IS_LEDGER (ledger), NULL);

  self = g_object_new (WT_TYPE_SITE_WINDOW, "transient-for", parent, NULL);
  self->ledger = g_object_ref (ledger);

  /* Editing waits until we know whether a site exists. */
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
  wt_worker_run_async (self, load_thread, g_object_ref (ledger), g_object_unref,
                       (GDestroyNotify) wt_site_free, self->cancellable, loaded_cb, NULL);
  return self;
}
