/* wt-application.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-application"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-application.h"
#include "wt-preferences-window.h"
#include "wt-window.h"

struct _WtApplication
{
  AdwApplication parent_instance;

  /* --central FILE: the central office's read-only window */
  char          *central_file;
};

G_DEFINE_FINAL_TYPE (WtApplication, wt_application, ADW_TYPE_APPLICATION)

static GtkWindow *
get_active_window (WtApplication *self)
{
  return gtk_application_get_active_window (GTK_APPLICATION (self));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  WtApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing the windows lets each of them save its state and cancel work. */
  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_close (GTK_WINDOW (windows->data));
      windows = next;
    }
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  WtApplication *self = user_data;
  GtkWindow *window = wt_preferences_window_new (get_active_window (self));

  gtk_window_present (window);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  WtApplication *self = user_data;
  static const char *developers[] = { "The Wastetag developers", NULL };
  AdwAboutWindow *about;

  /* adw_about_window_new_from_appdata() came in libadwaita 1.4. */
  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", get_active_window (self),
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Wastetag"),
                        "developer-name", _("The Wastetag developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Print one-item-one-code labels for hazardous waste containers and keep the ledger."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: Replace "translator-credits" with your names, one name per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);

  adw_about_window_add_credit_section (about, _("Data Sources"), (const char *[]) {
    _("国家危险废物名录（2021年版）, 部令第15号, Ministry of Ecology and Environment"),
    _("EU/UK List of Waste, DEFRA"),
    _("Administrative division codes, Ministry of Civil Affairs, via yescallop/areacodes https://github.com/yescallop/areacodes"),
    NULL,
  });
  adw_about_window_add_legal_section (about,
                                      _("National Catalogue of Hazardous Wastes"),
                                      NULL,
                                      GTK_LICENSE_CUSTOM,
                                      _("《国家危险废物名录（2021年版）》(部令第15号) is an official normative document of the People’s Republic of China; "
                                        "under Article 5 of the PRC Copyright Law it is not protected by copyright."));
  adw_about_window_add_legal_section (about,
                                      _("EU/UK List of Waste"),
                                      _("© Crown copyright, Department for Environment, Food and Rural Affairs (DEFRA)"),
                                      GTK_LICENSE_CUSTOM,
                                      _("Contains public sector information licensed under the "
                                        "<a href=\"https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/\">Open Government Licence v3.0</a>."));
  adw_about_window_add_legal_section (about,
                                      _("Administrative Division Codes"),
                                      _("Ministry of Civil Affairs of the People’s Republic of China (民政部), compiled by yescallop/areacodes"),
                                      GTK_LICENSE_CUSTOM,
                                      _("Dedicated to the public domain under "
                                        "<a href=\"https://creativecommons.org/publicdomain/zero/1.0/\">CC0 1.0</a>."));

  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
};

static void
wt_application_startup (GApplication *application)
{
  WtApplication *self = WT_APPLICATION (application);

  G_APPLICATION_CLASS (wt_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close",
                                         (const char *[]) { "<Control>w", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-view::label",
                                         (const char *[]) { "<Alt>1", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-view::scan",
                                         (const char *[]) { "<Alt>2", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-view::ledger",
                                         (const char *[]) { "<Alt>3", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-view::sync",
                                         (const char *[]) { "<Alt>4", NULL });
}

static void
wt_application_activate (GApplication *application)
{
  WtApplication *self = WT_APPLICATION (application);
  GtkWindow *window = get_active_window (self);

  if (window == NULL)
    window = self->central_file != NULL ? GTK_WINDOW (wt_window_new_central (self, self->central_file))
                                        : GTK_WINDOW (wt_window_new (self));

  gtk_window_present (window);
}

/* The central office runs in a process of its own: a site's window and
 * the office's never share a ledger or a single-instance application. */
static int
wt_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  WtApplication *self = WT_APPLICATION (application);
  g_autofree char *central = NULL;

  if (g_variant_dict_lookup (options, "central", "^ay", &central))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (central);

      g_free (self->central_file);
      self->central_file = g_file_get_path (file);
      g_application_set_flags (application, g_application_get_flags (application) | G_APPLICATION_NON_UNIQUE);
    }

  return G_APPLICATION_CLASS (wt_application_parent_class)->handle_local_options (application, options);
}

static void
wt_application_finalize (GObject *object)
{
  WtApplication *self = WT_APPLICATION (object);

  g_free (self->central_file);

  G_OBJECT_CLASS (wt_application_parent_class)->finalize (object);
}

static void
wt_application_class_init (WtApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = wt_application_finalize;
  app_class->startup = wt_application_startup;
  app_class->activate = wt_application_activate;
  app_class->handle_local_options = wt_application_handle_local_options;
}

static void
wt_application_init (WtApplication *self)
{
  g_application_add_main_option (G_APPLICATION (self), "central", 0, 0, G_OPTION_ARG_FILENAME,
                                 _("Open the central store read-only, as a central office, with this connection file"),
                                 _("CONNECTION-FILE"));
}

WtApplication *
wt_application_new (void)
{
  return g_object_new (WT_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/wastetag/Wastetag",
                       NULL);
}
