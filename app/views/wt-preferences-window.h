/* wt-preferences-window.h
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WT_TYPE_PREFERENCES_WINDOW (wt_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (WtPreferencesWindow, wt_preferences_window, WT, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* The printing defaults, bound to the org.wastetag.Wastetag settings. */
GtkWindow *wt_preferences_window_new (GtkWindow *parent) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
