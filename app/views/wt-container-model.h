/* wt-container-model.h: a lazily loaded list of the ledger's containers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "wt-report.h"

G_BEGIN_DECLS

#define WT_TYPE_CONTAINER_MODEL (wt_container_model_get_type ())
G_DECLARE_FINAL_TYPE (WtContainerModel, wt_container_model, WT, CONTAINER_MODEL, GObject)

/* Rows per page, and how many pages the cache keeps at most. */
#define WT_CONTAINER_MODEL_PAGE_SIZE 200
#define WT_CONTAINER_MODEL_MAX_PAGES 24

/**
 * WtContainerModel:
 * A #GListModel of WtContainerItem over wt_ledger_query_containers(), newest
 * first. n_items comes from wt_ledger_count_matching(); rows are read in pages
 * of %WT_CONTAINER_MODEL_PAGE_SIZE on a worker thread when the view asks for
 * them, and at most %WT_CONTAINER_MODEL_MAX_PAGES pages are kept (least
 * recently used pages are dropped), so a million containers never sit in
 * memory. Until its page arrives an item is a blank placeholder; then
 * "items-changed" replaces that page's range in place.
 *
 * A reload (new ledger, new filter, wt_container_model_reload()) counts and
 * reads the first page in one worker call and only then changes n_items, so
 * the first rows a view shows are real ones. Results of an older reload are
 * dropped. Everything but the worker thread runs on the main thread.
 *
 * Properties: "loading" (TRUE until the first reload is done), "n-items".
 */
WtContainerModel *wt_container_model_new          (void) G_GNUC_WARN_UNUSED_RESULT;
void              wt_container_model_set_ledger   (WtContainerModel        *self,
                                                   WtLedger                *ledger);
/* Copies @filter (NULL: everything) and reloads. */
void              wt_container_model_set_filter   (WtContainerModel        *self,
                                                   const WtContainerFilter *filter);
void              wt_container_model_reload       (WtContainerModel        *self);
gboolean          wt_container_model_get_loading  (WtContainerModel        *self);
/* Returns: (nullable): why the last reload failed, or %NULL. */
const GError     *wt_container_model_get_error    (WtContainerModel        *self);
/* For tests and the benchmark: pages read from the ledger since creation,
 * and pages held now. */
guint             wt_container_model_get_pages_fetched (WtContainerModel  *self);
guint             wt_container_model_get_pages_cached  (WtContainerModel  *self);
/* TRUE when @item is a placeholder for a row not read yet. */
gboolean          wt_container_model_is_placeholder (WtContainerModel     *self,
                                                     gpointer              item);

G_END_DECLS
