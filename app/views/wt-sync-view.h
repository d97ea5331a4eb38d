/* wt-sync-view.h: the 同步 Sync view — the central store and USB bundles.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

typedef enum
{
  WT_SYNC_STATE_NOT_SET_UP, /* no connection file imported */
  WT_SYNC_STATE_ONLINE,     /* the last sync worked */
  WT_SYNC_STATE_OFFLINE,    /* no network, or the server cannot be reached */
  WT_SYNC_STATE_ERROR,      /* the server refused; "error" says why */
  WT_SYNC_STATE_SYNCING,
} WtSyncState;

#define WT_TYPE_SYNC_VIEW (wt_sync_view_get_type ())
G_DECLARE_FINAL_TYPE (WtSyncView, wt_sync_view, WT, SYNC_VIEW, GtkWidget)

/* The view owns synchronisation: it syncs on "Sync now", when a network
 * appears and every "sync-interval-minutes" (GSettings) while one is there,
 * only with a connection set up ("sync-connection-file") and never two at
 * once. Every sync, bundle and ledger call runs on a worker thread.
 *
 * Signals:
 *   "add-toast" (AdwToast *)
 *   "ledger-changed": a sync or a bundle stored events here (or anomalies
 *     changed); the Ledger view reloads.
 *   "show-anomalies": the person asked for the Ledger's Anomalies page.
 * Properties (read-only, for the header-bar indicator and tests):
 *   "state" (WtSyncState as int), "n-waiting" (events not acknowledged),
 *   "n-anomalies" (open), "last-sync-ms" (0 = never), "message" (the
 *   sentence that says how the connection is, or the last result).
 * Actions: sync.now, sync.connect, sync.export, sync.import,
 *   sync.show-anomalies. */
void         wt_sync_view_set_ledger       (WtSyncView  *self,
                                            WtLedger    *ledger);
/* Reads the counts again (after another view wrote events). */
void         wt_sync_view_refresh          (WtSyncView  *self);
/* Starts a sync unless one runs or no connection is set up. Returns
 * whether one started. */
gboolean     wt_sync_view_sync_now         (WtSyncView  *self);

/* What the file choosers call; tests call them too. Each runs on a worker
 * thread and shows its result as a sentence in the view. */
void         wt_sync_view_connect_file     (WtSyncView  *self,
                                            const char  *path);
/* @since_ms < 0: everything the central store has not acknowledged. */
void         wt_sync_view_export_bundle    (WtSyncView  *self,
                                            const char  *path,
                                            gint64       since_ms);
/* With the key typed in the view's "Sender's key" row, for a signer not
 * known here (as the CLI's --trust). */
void         wt_sync_view_import_bundle    (WtSyncView  *self,
                                            const char  *path);

WtSyncState  wt_sync_view_get_state        (WtSyncView  *self);
gint64       wt_sync_view_get_n_waiting    (WtSyncView  *self);
gint64       wt_sync_view_get_n_anomalies  (WtSyncView  *self);
gint64       wt_sync_view_get_last_sync_ms (WtSyncView  *self);
const char  *wt_sync_view_get_message      (WtSyncView  *self);
/* Whether a sync, bundle or connection job is running. */
gboolean     wt_sync_view_get_busy         (WtSyncView  *self);
/* The result sentence of the last bundle export or import. */
const char  *wt_sync_view_get_bundle_result (WtSyncView *self);

G_END_DECLS
