/* wt-worker.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-worker"

#include "config.h"

#include "wt-worker.h"

typedef struct
{
  WtWorkerFunc    func;
  gpointer        data;
  GDestroyNotify  data_free;
  GDestroyNotify  result_free;
} Work;

static void
work_free (gpointer pointer)
{
  Work *work = pointer;

  if (work->data_free != NULL && work->data != NULL)
    work->data_free (work->data);
  g_free (work);
}

static void
work_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Work *work = task_data;
  GError *error = NULL;
  gpointer result;

  result = work->func (work->data, cancellable, &error);
  if (result == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "worker returned no result");
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, result, work->result_free);
}

void
wt_worker_run_async (gpointer             source_object,
                     WtWorkerFunc         func,
                     gpointer             data,
                     GDestroyNotify       data_free,
                     GDestroyNotify       result_free,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Work *work;

  g_return_if_fail (func != NULL);

  work = g_new0 (Work, 1);
  work->func = func;
  work->data = data;
  work->data_free = data_free;
  work->result_free = result_free;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, wt_worker_run_async);
  g_task_set_task_data (task, work, work_free);
  g_task_run_in_thread (task, work_thread);
}

gpointer
wt_worker_run_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gpointer
wt_worker_get_data (GAsyncResult *result)
{
  Work *work;

  g_return_val_if_fail (G_IS_TASK (result), NULL);

  work = g_task_get_task_data (G_TASK (result));
  return work->data;
}
