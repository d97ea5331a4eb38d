/* wt-application.h
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WT_TYPE_APPLICATION (wt_application_get_type ())
G_DECLARE_FINAL_TYPE (WtApplication, wt_application, WT, APPLICATION, AdwApplication)

WtApplication *wt_application_new (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
