/* sync-helper.c: what the sync integration test needs beyond the CLI.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   sync-helper LEDGER gen N [RECEIVER [EVERY]]   append N generated events
 *
 * WASTETAG_CLOCK_MS pins the device's clock, to make a device whose clock
 * is off by days.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "wt-ledger.h"
#include "wt-sync-gen.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  const char *clock = g_getenv ("WASTETAG_CLOCK_MS");

  if (argc < 4 || strcmp (argv[2], "gen") != 0)
    {
      g_printerr ("usage: sync-helper LEDGER gen N [RECEIVER [EVERY]]\n");
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
  if (!wt_sync_generate (ledger, g_ascii_strtoll (argv[3], NULL, 10), argc > 4 ? argv[4] : NULL,
                         argc > 5 ? (guint) atoi (argv[5]) : 1, &error))
    {
      g_printerr ("sync-helper: %s\n", error->message);
      return 1;
    }
  return 0;
}
