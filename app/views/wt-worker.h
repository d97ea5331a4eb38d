/* wt-worker.h: run one blocking call (ledger, files) on a GTask worker thread.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs on a worker thread. Returns a non-%NULL result on success, or %NULL
 * with @error set. Boolean calls return GINT_TO_POINTER (TRUE). */
typedef gpointer (*WtWorkerFunc) (gpointer      data,
                                  GCancellable *cancellable,
                                  GError      **error);

/* Runs @func (@data) on a worker thread and calls @callback on the calling
 * thread's main context. @source_object (may be %NULL) is kept alive until
 * then. @data is freed with @data_free after the callback has run; an unused
 * result is freed with @result_free. */
void      wt_worker_run_async  (gpointer             source_object,
                                WtWorkerFunc         func,
                                gpointer             data,
                                GDestroyNotify       data_free,
                                GDestroyNotify       result_free,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
/* Returns: (transfer full): the worker's result, or %NULL with @error set
 * (G_IO_ERROR_CANCELLED when @cancellable was cancelled first). */
gpointer  wt_worker_run_finish (GAsyncResult        *result,
                                GError             **error);
/* Returns: (transfer none): the @data given to wt_worker_run_async(). */
gpointer  wt_worker_get_data   (GAsyncResult        *result);

G_END_DECLS
