/* main.c: the wastetag GUI entry point.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wastetag"

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "wt-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(WtApplication) app = NULL;

  setlocale (LC_ALL, "");
  /* Uninstalled runs (meson devenv, tests) read the catalogs from the build. */
  if (g_getenv ("WASTETAG_UNINSTALLED") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  else
    bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = wt_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
