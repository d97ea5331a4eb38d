/* wt-scan-manifest-panel.h: expected vs scanned for one transfer manifest.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-handover.h"

G_BEGIN_DECLS

/**
 * WtScanItem:
 * A container counted for the manifest in this session, with what the
 * receiver decided about it (reject, weight) before confirming.
 */
typedef struct
{
  char     *code;
  gboolean  reject;
  char     *reason;
  double    weight_kg;  /* < 0: not weighed */
} WtScanItem;

WtScanItem *wt_scan_item_new  (const char *code) G_GNUC_WARN_UNUSED_RESULT;
void        wt_scan_item_free (WtScanItem *item);

#define WT_TYPE_SCAN_MANIFEST_PANEL (wt_scan_manifest_panel_get_type ())
G_DECLARE_FINAL_TYPE (WtScanManifestPanel, wt_scan_manifest_panel, WT, SCAN_MANIFEST_PANEL, GtkWidget)

/* Buttons activate the Scan view's actions: scan.confirm-handover,
 * scan.print-receipt, scan.reject-item (s), scan.weigh-item (s). Display
 * only: the panel never calls the ledger. */
void  wt_scan_manifest_panel_set_split          (WtScanManifestPanel    *self,
                                                 const WtCodeSplit      *split);
/* @manifest may be %NULL: nothing to show. */
void  wt_scan_manifest_panel_set_manifest       (WtScanManifestPanel    *self,
                                                 const WtManifest       *manifest);
void  wt_scan_manifest_panel_set_reconciliation (WtScanManifestPanel    *self,
                                                 const WtReconciliation *rec);
/* @items: (element-type WtScanItem), borrowed for the call. */
void  wt_scan_manifest_panel_set_items          (WtScanManifestPanel    *self,
                                                 GPtrArray              *items);

G_END_DECLS
