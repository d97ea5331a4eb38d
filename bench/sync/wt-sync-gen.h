/* wt-sync-gen.h: a fast, realistic event generator for the sync benchmark
 * and the integration tests (not part of the app).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "wt-ledger.h"

G_BEGIN_DECLS

/* Appends @n_events signed events to @ledger's own chain through the
 * ledger's Appender, 10,000 per transaction: containers that are labelled,
 * stored and shipped (three events each, with a label-sized payload). Every
 * @every-th container is shipped to @receiver (a site's name at the central
 * store, so its events concern that site); the rest to a receiver that is
 * no site. Uses the ledger's clock (wt_ledger_set_clock_override). */
gboolean     wt_sync_generate   (WtLedger    *ledger,
                                 gint64       n_events,
                                 const char  *receiver,
                                 guint        every,
                                 GError     **error);

G_END_DECLS
