/* wt-preferences-window.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-preferences-window.h"

struct _WtPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template Widgets */
  AdwComboRow          *dpi_row;
  AdwComboRow          *size_row;
  AdwComboRow          *ecc_row;
  AdwComboRow          *layout_row;

  /* Owned References */
  GSettings            *settings;
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

static void
wt_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), WT_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (wt_preferences_window_parent_class)->dispose (object);
}

static void
wt_preferences_window_finalize (GObject *object)
{
  WtPreferencesWindow *self = WT_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

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
}

static void
wt_preferences_window_init (WtPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  bind_uint (self, "printer-dpi", self->dpi_row, dpi_choices);
  bind_uint (self, "default-label-size", self->size_row, size_choices);
  bind_enum (self, "default-ecc", self->ecc_row, ecc_nicks);
  bind_enum (self, "default-sheet-layout", self->layout_row, layout_nicks);
}

GtkWindow *
wt_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (WT_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
