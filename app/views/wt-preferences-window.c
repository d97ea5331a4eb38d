/* wt-preferences-window.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-preferences-window.h"
#include "wt-report.h"
#include "wt-window.h"
#include "wt-worker.h"

struct _WtPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template Widgets */
  AdwComboRow          *dpi_row;
  AdwComboRow          *size_row;
  AdwComboRow          *ecc_row;
  AdwComboRow          *layout_row;
  AdwPreferencesGroup  *storage_group;
  AdwPreferencesGroup  *report_group;
  GtkSpinButton        *limit_spin;
  GtkSpinButton        *warn_spin;
  AdwComboRow          *class_row;

  /* Owned References */
  GSettings            *settings;
  WtLedger             *ledger;        /* the site's, while the window has one open */
  GCancellable         *cancellable;

  /* State */
  guint                 save_source;   /* saves the day counts shortly after the last change */
  gboolean              loading;       /* the rows are being set from the ledger */
};

G_DEFINE_FINAL_TYPE (WtPreferencesWindow, wt_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo rows list the choices of a uint key in the order of this table,
 * terminated by G_MAXUINT; the row's "selected" is the index. */
static const guint dpi_choices[] = { 203, 300, 600, G_MAXUINT };
static const guint size_choices[] = { 0, 100, 150, 200, G_MAXUINT };

static gboolean
uint_to_index (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  const guint *choices = user_data;
  guint wanted = g_variant_get_uint32 (variant);
  guint i;

  for (i = 0; choices[i] != G_MAXUINT; i++)
    if (choices[i] == wanted)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_uint (const GValue       *value,
               const GVariantType *expected_type,
               gpointer            user_data)
{
  const guint *choices = user_data;
  guint index = g_value_get_uint (value);
  guint i;

  for (i = 0; choices[i] != G_MAXUINT; i++)
    if (i == index)
      return g_variant_new_uint32 (choices[i]);
  return NULL;
}

/* Enum keys are strings (their nicks) in GSettings' GVariant mapping. */
static const char * const ecc_nicks[] = { "M", "Q", "H", NULL };
static const char * const layout_nicks[] = { "single", "a4-sheet", NULL };

static gboolean
nick_to_index (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  const char * const *nicks = user_data;
  const char *wanted = g_variant_get_string (variant, NULL);
  guint i;

  for (i = 0; nicks[i] != NULL; i++)
    if (g_str_equal (nicks[i], wanted))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_nick (const GValue       *value,
               const GVariantType *expected_type,
               gpointer            user_data)
{
  const char * const *nicks = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[index]);
}

static void
bind_uint (WtPreferencesWindow *self,
           const char          *key,
           AdwComboRow         *row,
           const guint         *choices)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                uint_to_index, index_to_uint, (gpointer) choices, NULL);
}

static void
bind_enum (WtPreferencesWindow *self,
           const char          *key,
           AdwComboRow         *row,
           const char * const  *nicks)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                nick_to_index, index_to_nick, (gpointer) nicks, NULL);
}

/* ---- The site's own settings, kept in its ledger ------------------------------------- */

/* They belong to the site, not to this desktop, so they live in the ledger's
 * setting table (as `wastetag-cli settings set` writes them) and are read and
 * written on a worker thread. */

static const char * const unit_class_values[] = { "key", "simplified", "registered", NULL };

typedef struct
{
  gboolean     has_site;
  guint        limit_days;
  guint        warn_days;
  WtUnitClass  unit_class;
} SiteSettings;

static gpointer
load_site_settings_worker (gpointer      data,
                           GCancellable *cancellable,
                           GError      **error)
{
  WtLedger *ledger = data;
  SiteSettings *s = g_new0 (SiteSettings, 1);

  /* has_site takes the ledger's lock, which a report may hold for a while. */
  s->has_site = wt_ledger_has_site (ledger);
  if (!s->has_site)
    return s;
  s->limit_days = wt_ledger_get_overdue_limit (ledger);
  s->warn_days = wt_ledger_get_overdue_warn (ledger);
  s->unit_class = wt_ledger_get_unit_class (ledger);
  return s;
}

static void
set_site_rows_sensitive (WtPreferencesWindow *self,
                         gboolean             sensitive)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->storage_group), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->report_group), sensitive);
}

static void
update_warn_range (WtPreferencesWindow *self)
{
  /* A warning is only a warning if it comes before the limit. */
  double limit = gtk_spin_button_get_value (self->limit_spin);

  gtk_spin_button_set_range (self->warn_spin, 1, MAX (1, limit - 1));
}

static void
show_no_site (WtPreferencesWindow *self)
{
  adw_preferences_group_set_description (self->storage_group,
                                         _("Set up this site first: these settings belong to its ledger."));
}

static void
load_site_settings_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree SiteSettings *s = wt_worker_run_finish (result, &error);
  WtPreferencesWindow *self;

  if (s == NULL)
    return;                      /* only cancelled: the window went away */
  self = WT_PREFERENCES_WINDOW (user_data);

  if (!s->has_site)
    {
      g_clear_object (&self->ledger);
      show_no_site (self);
      return;
    }

  self->loading = TRUE;
  gtk_spin_button_set_value (self->limit_spin, s->limit_days);
  update_warn_range (self);
  gtk_spin_button_set_value (self->warn_spin, s->warn_days);
  adw_combo_row_set_selected (self->class_row, (guint) s->unit_class);
  self->loading = FALSE;
  set_site_rows_sensitive (self, TRUE);
}

typedef struct
{
  WtLedger  *ledger;
  GPtrArray *pairs;              /* key, value, key, value… */
  GWeakRef   preferences;        /* for the error toast, while it is open */
} SaveData;

static void
save_data_free (gpointer data)
{
  SaveData *d = data;

  g_clear_object (&d->ledger);
  g_clear_pointer (&d->pairs, g_ptr_array_unref);
  g_weak_ref_clear (&d->preferences);
  g_free (d);
}

static gpointer
save_site_settings_worker (gpointer      data,
                           GCancellable *cancellable,
                           GError      **error)
{
  SaveData *d = data;

  for (guint i = 0; i + 1 < d->pairs->len; i += 2)
    if (!wt_ledger_set_setting (d->ledger, g_ptr_array_index (d->pairs, i),
                                g_ptr_array_index (d->pairs, i + 1), error))
      return NULL;
  return GINT_TO_POINTER (TRUE);
}

/* Runs with the main window as the source: a save started as Preferences
 * closes still lands, and the window's lists follow it. */
static void
save_site_settings_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SaveData *d = wt_worker_get_data (result);
  g_autoptr(GObject) preferences = g_weak_ref_get (&d->preferences);

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      g_autofree char *title = g_strdup_printf (_("Could not save: %s"), error->message);

      if (preferences != NULL)
        adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (preferences), adw_toast_new (title));
      else if (WT_IS_WINDOW (object))
        wt_window_add_toast (WT_WINDOW (object), adw_toast_new (title));
      return;
    }

  /* The overdue list and the report reminder follow the new values now. */
  if (GTK_IS_WIDGET (object))
    gtk_widget_activate_action (GTK_WIDGET (object), "win.reload-ledger", NULL);
}

static void
save_site_settings (WtPreferencesWindow *self,
                    gboolean             days,
                    gboolean             unit_class)
{
  SaveData *d;
  guint selected;

  if (self->ledger == NULL || self->loading)
    return;

  d = g_new0 (SaveData, 1);
  d->ledger = g_object_ref (self->ledger);
  d->pairs = g_ptr_array_new_with_free_func (g_free);
  g_weak_ref_init (&d->preferences, self);
  if (days)
    {
      g_ptr_array_add (d->pairs, g_strdup ("overdue-limit-days"));
      g_ptr_array_add (d->pairs, g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (self->limit_spin)));
      g_ptr_array_add (d->pairs, g_strdup ("overdue-warn-days"));
      g_ptr_array_add (d->pairs, g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (self->warn_spin)));
    }
  selected = adw_combo_row_get_selected (self->class_row);
  if (unit_class && selected < G_N_ELEMENTS (unit_class_values) - 1)
    {
      g_ptr_array_add (d->pairs, g_strdup ("unit-class"));
      g_ptr_array_add (d->pairs, g_strdup (unit_class_values[selected]));
    }

  wt_worker_run_async (gtk_window_get_transient_for (GTK_WINDOW (self)), save_site_settings_worker, d,
                       save_data_free, NULL, NULL, save_site_settings_cb, NULL);
}

/* Closing right after a change still saves it. */
static void
flush_pending_save (WtPreferencesWindow *self)
{
  if (self->save_source != 0)
    {
      g_clear_handle_id (&self->save_source, g_source_remove);
      save_site_settings (self, TRUE, FALSE);
    }
}

static gboolean
save_days_timeout_cb (gpointer user_data)
{
  WtPreferencesWindow *self = user_data;

  self->save_source = 0;
  save_site_settings (self, TRUE, FALSE);
  return G_SOURCE_REMOVE;
}

static void
days_changed_cb (WtPreferencesWindow *self)
{
  update_warn_range (self);
  if (self->ledger == NULL || self->loading)
    return;
  /* Spinning through 300 values is not 300 writes. */
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (500, save_days_timeout_cb, self);
}

static void
unit_class_changed_cb (WtPreferencesWindow *self)
{
  /* HJ 1259 §7.2: the class sets the cadence, and the reminder follows it. */
  static const char * const cadences[] = {
    N_("Reports are due monthly, by the 15th of the next month"),
    N_("Reports are due quarterly, by the 15th of the next quarter’s first month"),
    N_("Reports are due yearly, by 31 March of the next year"),
  };
  guint selected = adw_combo_row_get_selected (self->class_row);

  if (selected < G_N_ELEMENTS (cadences))
    adw_preferences_group_set_description (self->report_group, _(cadences[selected]));
  save_site_settings (self, FALSE, TRUE);
}

static void
load_site_settings (WtPreferencesWindow *self,
                    GtkWindow           *parent)
{
  WtLedger *ledger = NULL;

  if (WT_IS_WINDOW (parent))
    ledger = wt_window_get_ledger (WT_WINDOW (parent));
  if (ledger == NULL)
    {
      show_no_site (self);
      return;
    }

  self->ledger = g_object_ref (ledger);
  wt_worker_run_async (NULL, load_site_settings_worker, g_object_ref (ledger), g_object_unref, g_free,
                       self->cancellable, load_site_settings_cb, self);
}

static void
wt_preferences_window_dispose (GObject *object)
{
  WtPreferencesWindow *self = WT_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  flush_pending_save (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), WT_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (wt_preferences_window_parent_class)->dispose (object);
}

static void
wt_preferences_window_finalize (GObject *object)
{
  WtPreferencesWindow *self = WT_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->ledger);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wt_preferences_window_parent_class)->finalize (object);
}

static void
wt_preferences_window_class_init (WtPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_preferences_window_dispose;
  object_class->finalize = wt_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, dpi_row);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, size_row);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, ecc_row);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, layout_row);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, storage_group);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, report_group);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, limit_spin);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, warn_spin);
  gtk_widget_class_bind_template_child (widget_class, WtPreferencesWindow, class_row);
  gtk_widget_class_bind_template_callback (widget_class, days_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, unit_class_changed_cb);
}

static void
wt_preferences_window_init (WtPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  set_site_rows_sensitive (self, FALSE);
  unit_class_changed_cb (self);

  self->settings = g_settings_new (APP_ID);
  bind_uint (self, "printer-dpi", self->dpi_row, dpi_choices);
  bind_uint (self, "default-label-size", self->size_row, size_choices);
  bind_enum (self, "default-ecc", self->ecc_row, ecc_nicks);
  bind_enum (self, "default-sheet-layout", self->layout_row, layout_nicks);
}

GtkWindow *
wt_preferences_window_new (GtkWindow *parent)
{
  WtPreferencesWindow *self = g_object_new (WT_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);

  load_site_settings (self, parent);
  return GTK_WINDOW (self);
}
