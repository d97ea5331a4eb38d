/* wt-scan-condition-dialog.h: a condition check of one container.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-handover.h"

G_BEGIN_DECLS

#define WT_TYPE_SCAN_CONDITION_DIALOG (wt_scan_condition_dialog_get_type ())
G_DECLARE_FINAL_TYPE (WtScanConditionDialog, wt_scan_condition_dialog, WT, SCAN_CONDITION_DIALOG, AdwMessageDialog)

/* Responses: "cancel" and "record"; "record" is enabled when every check
 * passed or a reason is given. */
WtScanConditionDialog *wt_scan_condition_dialog_new           (GtkWindow             *parent,
                                                               const char            *display_code) G_GNUC_WARN_UNUSED_RESULT;
/* Fills @condition; its reason is newly allocated (free it with g_free). */
void                   wt_scan_condition_dialog_get_condition (WtScanConditionDialog *self,
                                                               WtCondition           *condition);

G_END_DECLS
