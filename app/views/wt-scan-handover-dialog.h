/* wt-scan-handover-dialog.h: both parties' names and PINs for a handover.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-handover.h"

G_BEGIN_DECLS

#define WT_TYPE_SCAN_HANDOVER_DIALOG (wt_scan_handover_dialog_get_type ())
G_DECLARE_FINAL_TYPE (WtScanHandoverDialog, wt_scan_handover_dialog, WT, SCAN_HANDOVER_DIALOG, AdwMessageDialog)

/* Responses: "cancel" and "confirm"; "confirm" is enabled once both names
 * are given and both PINs are 4 to 8 digits. */
WtScanHandoverDialog *wt_scan_handover_dialog_new       (GtkWindow            *parent,
                                                         WtManifestDirection   direction,
                                                         const char           *number,
                                                         guint                 n_containers) G_GNUC_WARN_UNUSED_RESULT;
/* Fills both parties in @parties (2 elements) with strings borrowed from
 * the dialog's entries. */
void                  wt_scan_handover_dialog_get_parties (WtScanHandoverDialog *self,
                                                         WtParty              *parties);
/* Prefills the names (after a failed attempt). */
void                  wt_scan_handover_dialog_set_names   (WtScanHandoverDialog *self,
                                                         const char           *first,
                                                         const char           *second);
/* Shows why the last attempt failed, in the ledger's sentence. */
void                  wt_scan_handover_dialog_set_error   (WtScanHandoverDialog *self,
                                                         const char           *message);

G_END_DECLS
