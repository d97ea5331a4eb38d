/* wt-scan-manifest-dialog.h: a new transfer manifest (转移联单).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WT_TYPE_SCAN_MANIFEST_DIALOG (wt_scan_manifest_dialog_get_type ())
G_DECLARE_FINAL_TYPE (WtScanManifestDialog, wt_scan_manifest_dialog, WT, SCAN_MANIFEST_DIALOG, AdwMessageDialog)

/* Responses: "cancel" and "create"; "create" is enabled when the number is
 * empty (a local draft number) or a valid 14-digit number, and the carrier,
 * the vehicle and the receiver are given. */
WtScanManifestDialog *wt_scan_manifest_dialog_new          (GtkWindow            *parent) G_GNUC_WARN_UNUSED_RESULT;
/* Borrowed strings, stripped copies are the caller's business. */
const char           *wt_scan_manifest_dialog_get_number   (WtScanManifestDialog *self);
const char           *wt_scan_manifest_dialog_get_carrier  (WtScanManifestDialog *self);
const char           *wt_scan_manifest_dialog_get_vehicle  (WtScanManifestDialog *self);
const char           *wt_scan_manifest_dialog_get_receiver (WtScanManifestDialog *self);
/* Optional: "" when not given; "create" stays disabled while it is not a
 * valid licence number (wt_receiver_licence_validate()). */
const char           *wt_scan_manifest_dialog_get_receiver_licence (WtScanManifestDialog *self);

G_END_DECLS
