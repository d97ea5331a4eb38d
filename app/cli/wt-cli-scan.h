/* wt-cli-scan.h: `wastetag-cli scan`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* wastetag-cli scan --source PIPELINE [--max N] [--timeout SECONDS]
 * @argv[0] is "scan". Returns the exit status: 0 when it stopped after N
 * codes, at the timeout or at the end of the stream; 1 when the camera
 * failed; 2 for bad options. */
int wt_cli_scan (int    argc,
                 char **argv);

G_END_DECLS
