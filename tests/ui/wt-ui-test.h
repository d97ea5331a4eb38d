/* wt-ui-test.h: what the window, scan and i18n UI tests share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger test keeps its own loop helpers: it measures main-loop stalls,
 * and the wake-up timer these add would hide them.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until @condition holds or @timeout_ms pass. */
gboolean  wait_until  (Condition   condition,
                       gpointer    data,
                       guint       timeout_ms);
/* Runs the main loop for @ms. */
void      spin        (guint       ms);
/* A template child that must exist. */
gpointer  child       (gpointer    widget,
                       GType       type,
                       const char *name);
/* Saves a PNG of @widget into $WASTETAG_SCREENSHOT_DIR, when set. */
void      screenshot  (gpointer    widget,
                       const char *name);

G_END_DECLS
