/* wt-site-window.h: set up the site once, or look at it afterwards.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_SITE_WINDOW (wt_site_window_get_type ())
G_DECLARE_FINAL_TYPE (WtSiteWindow, wt_site_window, WT, SITE_WINDOW, AdwWindow)

/* A modal window over @parent. When @ledger has no site, it is a form whose
 * Save (action site.save) runs wt_ledger_init_site() on a worker thread and
 * emits "site-saved" before closing. Otherwise it shows the site read-only:
 * a site is set up once, because every code printed depends on it. */
WtSiteWindow *wt_site_window_new (GtkWindow *parent,
                                  WtLedger  *ledger) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
