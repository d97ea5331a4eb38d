/* wt-cli-sync.h: the central store, sync, USB bundles and anomalies.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int        wt_cli_central    (int argc, char **argv);
int        wt_cli_sync       (int argc, char **argv);
int        wt_cli_bundle     (int argc, char **argv);
int        wt_cli_anomalies  (int argc, char **argv);

G_END_DECLS
