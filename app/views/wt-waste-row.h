/* wt-waste-row.h: one catalogue search result.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "wt-catalogue.h"

G_BEGIN_DECLS

#define WT_TYPE_WASTE_ROW (wt_waste_row_get_type ())
G_DECLARE_FINAL_TYPE (WtWasteRow, wt_waste_row, WT, WASTE_ROW, GtkListBoxRow)

/* @waste is static catalogue data and is borrowed. */
GtkWidget     *wt_waste_row_new       (const WtWaste *waste) G_GNUC_WARN_UNUSED_RESULT;
const WtWaste *wt_waste_row_get_waste (WtWasteRow    *self);

G_END_DECLS
