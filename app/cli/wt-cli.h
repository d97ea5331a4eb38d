/* wt-cli.h: what the commands of wastetag-cli share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "wt-ledger.h"

G_BEGIN_DECLS

/* Print "wastetag-cli: <sentence>" on stderr and return 1. fail() frees. */
int        fail           (GError          *error);
int        fail_msg       (const char      *format,
                           ...) G_GNUC_PRINTF (1, 2);
WtLedger  *open_ledger    (GError         **error);
gboolean   parse_options  (GOptionContext  *context,
                           int             *argc,
                           char          ***argv);
/* NULL text → *out = -1 (not given). */
gboolean   parse_weight   (const char      *text,
                           double          *out,
                           GError         **error);
char      *format_ms      (gint64           ms);

int        wt_cli_store     (int argc, char **argv);
int        wt_cli_manifest  (int argc, char **argv);
int        wt_cli_ship      (int argc, char **argv);
int        wt_cli_receive   (int argc, char **argv);
int        wt_cli_treat     (int argc, char **argv);
int        wt_cli_weigh     (int argc, char **argv);
int        wt_cli_inspect   (int argc, char **argv);
int        wt_cli_methods   (int argc, char **argv);
int        wt_cli_report    (int argc, char **argv);
int        wt_cli_ledger    (int argc, char **argv);
int        wt_cli_overdue   (int argc, char **argv);
int        wt_cli_correct   (int argc, char **argv);
int        wt_cli_settings  (int argc, char **argv);

G_END_DECLS
