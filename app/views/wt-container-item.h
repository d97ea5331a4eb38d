/* wt-container-item.h: one ledger container as a GObject for list models.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_CONTAINER_ITEM (wt_container_item_get_type ())
G_DECLARE_FINAL_TYPE (WtContainerItem, wt_container_item, WT, CONTAINER_ITEM, GObject)

/* Immutable; its string properties are the column texts, already formatted
 * (display code, "180 kg", translated state, local date). Safe to create on
 * a worker thread. */
WtContainerItem *wt_container_item_new      (const WtContainer *container,
                                             const WtCodeSplit *split) G_GNUC_WARN_UNUSED_RESULT;
const char      *wt_container_item_get_code (WtContainerItem   *self);

G_END_DECLS
