/* wt-cli-scan.c: `wastetag-cli scan`, the capture pipeline without a window.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * stdout gets one line per distinct Wastetag label, as it is read: the
 * canonical container code (what `decode` prints). Anything else that was
 * read (a URL, Wi-Fi, another vendor's label, a damaged or newer Wastetag
 * code) is a one-sentence note on stderr, so a script reading stdout sees
 * only our containers. --max counts the lines on stdout.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "wt-camera.h"
#include "wt-cli-scan.h"
#include "wt-code.h"
#include "wt-error.h"

typedef struct
{
  GMainLoop *loop;
  int        max;
  int        printed;
  int        status;
} ScanRun;

static void
code_cb (WtCamera   *camera,
         const char *text,
         guint64     length,
         GVariant   *corners,
         int         width,
         int         height,
         ScanRun    *run)
{
  g_autoptr(WtPayload) payload = NULL;
  g_autoptr(GError) error = NULL;

  payload = wt_payload_parse (text, (gssize) length, &error);
  if (payload == NULL)
    {
      if (g_error_matches (error, WT_ERROR, WT_ERROR_FOREIGN_CODE))
        g_printerr (_("wastetag-cli: A code was read that is not a Wastetag label.\n"));
      else
        g_printerr ("wastetag-cli: %s\n", error->message);
      return;
    }

  g_print ("%s\n", payload->container_code);
  fflush (stdout);
  if (run->max > 0 && ++run->printed >= run->max)
    g_main_loop_quit (run->loop);
}

static void
error_cb (WtCamera *camera,
          GError   *error,
          ScanRun  *run)
{
  g_printerr ("wastetag-cli: %s\n", error->message);
  run->status = 1;
  g_main_loop_quit (run->loop);
}

static void
eos_cb (WtCamera *camera,
        ScanRun  *run)
{
  g_main_loop_quit (run->loop);
}

static void
stopped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  ScanRun *run = data;

  wt_camera_stop_finish (WT_CAMERA (object), result, NULL);
  g_main_loop_quit (run->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  ScanRun *run = data;

  g_main_loop_quit (run->loop);

  return G_SOURCE_REMOVE;
}

int
wt_cli_scan (int    argc,
             char **argv)
{
  g_autofree char *source = NULL;
  int max = 0;
  double timeout = 0;
  GOptionEntry entries[] = {
    { "source", 0, 0, G_OPTION_ARG_STRING, &source,
      N_("Video source in gst-launch syntax (default: v4l2src)"), N_("PIPELINE") },
    { "max", 0, 0, G_OPTION_ARG_INT, &max, N_("Stop after N labels"), N_("N") },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, N_("Stop after SECONDS"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("— print the labels a camera reads"));
  g_autoptr(GError) error = NULL;
  g_autoptr(WtCamera) camera = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  ScanRun run = { NULL, 0, 0, 0 };
  guint timeout_id = 0;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wastetag-cli: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr (_("wastetag-cli: scan takes no arguments; give the source with --source.\n"));
      return 2;
    }
  if (max < 0 || timeout < 0)
    {
      g_printerr (_("wastetag-cli: --max and --timeout cannot be negative.\n"));
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.max = max;

  camera = wt_camera_new (source);
  g_signal_connect (camera, "code", G_CALLBACK (code_cb), &run);
  g_signal_connect (camera, "error", G_CALLBACK (error_cb), &run);
  g_signal_connect (camera, "eos", G_CALLBACK (eos_cb), &run);
  if (timeout > 0)
    timeout_id = g_timeout_add ((guint) (timeout * 1000), timeout_cb, &run);

  /* Failures to start arrive through "error" as well. */
  wt_camera_start_async (camera, NULL, NULL, NULL);
  g_main_loop_run (loop);

  g_clear_handle_id (&timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (camera, &run);
  /* Wait until the device is released before the process exits. */
  wt_camera_stop_async (camera, NULL, stopped_cb, &run);
  g_main_loop_run (loop);

  return run.status;
}
