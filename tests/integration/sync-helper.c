/* sync-helper.c: what the sync integration test needs beyond the CLI.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   sync-helper LEDGER gen N [RECEIVER [EVERY]]   append N generated events
 *   sync-helper CACHE mirror-cancel CONNFILE MS     mirror, cancelled after MS ms;
 *                                                   prints "cancelled N" or "done N"
 *
 * WASTETAG_CLOCK_MS pins the device's clock, to make a device whose clock
 * is off by days.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "wt-ledger.h"
#include "wt-sync-gen.h"
#include "wt-sync.h"

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* The mirror in this thread, the cancellation from a timer in another. */
static gpointer
timer_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  GSource *source = g_timeout_source_new (GPOINTER_TO_UINT (g_object_get_data (data, "ms")));

  g_source_set_callback (source, cancel_cb, data, NULL);
  g_source_attach (source, context);
  while (!g_cancellable_is_cancelled (data))
    g_main_context_iteration (context, TRUE);
  g_source_destroy (source);
  g_source_unref (source);
  g_main_context_unref (context);
  return NULL;
}

static int
mirror_cancel (WtLedger   *cache,
               const char *connfile,
               guint       ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *conninfo = wt_sync_conninfo_from_file (connfile, &error);
  GThread *timer;
  gint64 pulled = 0;
  gboolean ok;

  if (conninfo == NULL)
    {
      g_printerr ("sync-helper: %s\n", error->message);
      return 1;
    }
  g_object_set_data (G_OBJECT (cancellable), "ms", GUINT_TO_POINTER (ms));
  timer = g_thread_new ("cancel", timer_thread, cancellable);
  ok = wt_central_mirror (cache, conninfo, cancellable, &pulled, &error);
  g_cancellable_cancel (cancellable);
  g_thread_join (timer);
  if (ok)
    g_print ("done %" G_GINT64_FORMAT "\n", pulled);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_print ("cancelled %" G_GINT64_FORMAT "\n", pulled);
  else
    {
      g_printerr ("sync-helper: %s\n", error->message);
      return 1;
    }
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  const char *clock = g_getenv ("WASTETAG_CLOCK_MS");

  if (argc < 4 || (strcmp (argv[2], "gen") != 0 && (strcmp (argv[2], "mirror-cancel") != 0 || argc < 5)))
    {
      g_printerr ("usage: sync-helper LEDGER gen N [RECEIVER [EVERY]]\n"
                  "       sync-helper CACHE mirror-cancel CONNFILE MS\n");
      return 2;
    }
  ledger = wt_ledger_open (argv[1], &error);
  if (ledger == NULL)
    {
      g_printerr ("sync-helper: %s\n", error->message);
      return 1;
    }
  if (clock && *clock)
    wt_ledger_set_clock_override (ledger, g_ascii_strtoll (clock, NULL, 10));
  if (strcmp (argv[2], "mirror-cancel") == 0)
    return mirror_cancel (ledger, argv[3], (guint) atoi (argv[4]));
  if (!wt_sync_generate (ledger, g_ascii_strtoll (argv[3], NULL, 10), argc > 4 ? argv[4] : NULL,
                         argc > 5 ? (guint) atoi (argv[5]) : 1, &error))
    {
      g_printerr ("sync-helper: %s\n", error->message);
      return 1;
    }
  return 0;
}
