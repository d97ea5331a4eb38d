/* wt-scan-view.h: the 扫描 Scan view — camera, handheld scanner, typed codes
 * and images, judged in one of five modes, with the handover workflows.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_SCAN_VIEW (wt_scan_view_get_type ())
G_DECLARE_FINAL_TYPE (WtScanView, wt_scan_view, WT, SCAN_VIEW, GtkWidget)

/* Signals: "add-toast" (AdwToast *) asks the window to show a toast;
 * "ledger-changed" says events were recorded (stored, shipped, ...).
 *
 * Actions (prefix "scan."): mode (s, stateful: "lookup", "store", "ship",
 * "receive", "treat"), scan-entry, focus-entry, open-image,
 * open-image-file (s: a path; no file chooser), load-receipt,
 * new-manifest, open-manifest (s: a manifest id), confirm-handover,
 * print-receipt, write-receipt-to (s: a .pdf path; no file chooser),
 * store, treat, check-condition, weigh, reject-item (s), accept-item (s),
 * weigh-item (s), remove-item (s), choose-camera (s: a source fragment,
 * "" for the default), retry-camera.
 *
 * The camera runs only while the view is mapped (its page is shown and the
 * window is visible). Every ledger call runs on a worker thread.
 */

WtLedger   *wt_scan_view_get_ledger     (WtScanView *self);
/* Sets the ledger and loads the site, the treatment methods and the
 * manifests from it on worker threads. */
void        wt_scan_view_set_ledger     (WtScanView *self,
                                         WtLedger   *ledger);
const char *wt_scan_view_get_mode       (WtScanView *self);
void        wt_scan_view_set_mode       (WtScanView *self,
                                         const char *mode);
/* The manifest scans go to in Ship and Receive modes, or %NULL. */
const char *wt_scan_view_get_manifest_id (WtScanView *self);
/* Scans judged by the ledger since the view was created (one per camera
 * read, scanner burst, typed code or code in an image that was not held
 * back as a repeat). */
guint       wt_scan_view_get_n_scans    (WtScanView *self);
/* TRUE while a ledger call of the view is running or queued. */
gboolean    wt_scan_view_get_busy       (WtScanView *self);

/* For tests: the handheld-scanner path of the view's capture-phase key
 * controller, with the event time in ms. Returns TRUE when the key was
 * consumed (it belongs to a scanner burst and must not reach the focused
 * widget). GTK 4 cannot synthesise key events, so tests call this with the
 * key presses a scanner or a person would make. */
gboolean    wt_scan_view_feed_key       (WtScanView *self,
                                         guint       keyval,
                                         guint32     time_ms);

G_END_DECLS
