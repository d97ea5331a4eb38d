/* wt-window.h: the main window.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-application.h"
#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_WINDOW (wt_window_get_type ())
G_DECLARE_FINAL_TYPE (WtWindow, wt_window, WT, WINDOW, AdwApplicationWindow)

/* Opens the ledger at wt_ledger_default_path() on a worker thread, then
 * shows the welcome page (no site yet) or the views.
 * Actions: win.site, win.try-demo, win.show-view (s: "label", "scan", "ledger" or "sync"),
 * win.show-folder (s: a folder URI), win.show-overdue, win.reload-ledger (after the
 * site's settings changed). */
WtWindow   *wt_window_new        (WtApplication *application) G_GNUC_WARN_UNUSED_RESULT;
/* The central office's read-only window (wastetag --central FILE): the
 * central store is mirrored into a cache ledger under
 * $XDG_CACHE_HOME/wastetag/ on a worker thread (wt_central_mirror), the
 * Label, Scan and Sync views are hidden and nothing can be written; the
 * Ledger shows every site's containers. Action win.central-refresh mirrors
 * again (also every "sync-interval-minutes"). */
WtWindow   *wt_window_new_central (WtApplication *application,
                                   const char    *connection_file) G_GNUC_WARN_UNUSED_RESULT;
gboolean    wt_window_is_central  (WtWindow      *self);
/* At start-up the ledger is verified on a worker thread through a second
 * handle on the same file; a failure is a dialog naming the first bad event.
 * Returns: (transfer none) (nullable): the ledger once it is open. */
WtLedger   *wt_window_get_ledger (WtWindow      *self);
/* "loading", "welcome", "error" or "views". */
const char *wt_window_get_page   (WtWindow      *self);
void        wt_window_add_toast  (WtWindow      *self,
                                  AdwToast      *toast);

G_END_DECLS
