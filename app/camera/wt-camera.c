/* wt-camera.c: see wt-camera.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "wt-camera.h"
#include "wt-decoder.h"

#define DEFAULT_SOURCE "v4l2src"
#define DEFAULT_HOLD_MS 3000

/* The part after the caller's source. "pace" syncs a non-live source (files)
 * to its timestamps so it plays at its frame rate, as a camera would; both
 * branches are leaky, so without it a file source would run flat out and
 * almost every frame would be dropped. Live sources keep pace=false: they
 * are paced by the device and syncing would only add latency. The sinks
 * are async=false: a syncing identity holds buffers until PLAYING, so sinks
 * waiting for a preroll buffer in PAUSED would never get one. */
#define PIPELINE_TAIL \
  " ! identity name=pace sync=false silent=true" \
  " ! videoconvert ! videoscale" \
  " ! video/x-raw,width=[1,1280],height=[1,720],pixel-aspect-ratio=1/1" \
  " ! tee name=t" \
  "  t. ! queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream" \
  "     ! videoconvert ! video/x-raw,format=RGB" \
  "     ! appsink name=preview drop=true max-buffers=1 sync=false async=false emit-signals=false" \
  "  t. ! queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream" \
  "     ! videoconvert ! video/x-raw,format=GRAY8" \
  "     ! appsink name=scan drop=true max-buffers=1 sync=false async=false emit-signals=false"

/* One run of the pipeline, from start to stop, shared by the main thread,
 * GStreamer's streaming threads and the decoding thread (atomic refcount).
 *
 * Invariants: @stopped only goes from 0 to 1; once it is 1 nothing is
 * emitted. @camera is a weak reference, so a pending emission never keeps a
 * disposed camera alive. Fields under "worker" are touched only by the
 * decoding thread; @preview_* only under @lock. */
typedef struct
{
  GMainContext *context;
  GWeakRef      camera;
  GstElement   *pipeline;
  int           stopped;
  int           busy;          /* 1 while a grey frame is queued or decoding */
  guint64       n_decoded;     /* atomic */
  guint64       n_dropped;     /* atomic */
  guint64       n_previewed;   /* atomic */
  int           had_frame;     /* atomic: a frame reached the tee */
  int           hold_ms;       /* atomic */

  GAsyncQueue  *queue;         /* GstSample, or one of the markers below */
  GThread      *worker;

  /* worker */
  WtDecoder    *decoder;
  GHashTable   *last_seen;     /* GBytes → gint64 µs (monotonic) */

  GMutex        lock;
  GstSample    *preview_sample;
  gboolean      preview_scheduled;
} Session;

/* Markers in the worker queue: distinct static addresses. */
static char eos_marker;
static char quit_marker;

static void
queue_item_free (gpointer item)
{
  if (item != &eos_marker && item != &quit_marker)
    gst_sample_unref (item);
}

struct _WtCamera
{
  GObject   parent_instance;

  char     *source;
  guint     hold_ms;
  GMainContext *context;
  Session  *session;   /* owned; NULL when stopped */
  GSource  *bus_source;
};

G_DEFINE_FINAL_TYPE (WtCamera, wt_camera, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_HOLD_TIME,
  N_PROPS
};

enum {
  SIGNAL_FRAME,
  SIGNAL_CODE,
  SIGNAL_ERROR,
  SIGNAL_EOS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (wt-camera-error-quark, wt_camera_error)

/* ---- session ------------------------------------------------------------ */

static void
session_free (gpointer data)
{
  Session *s = data;

  g_weak_ref_clear (&s->camera);
  if (s->pipeline != NULL)
    gst_object_unref (s->pipeline);
  g_clear_pointer (&s->queue, g_async_queue_unref);
  g_clear_pointer (&s->decoder, wt_decoder_free);
  g_clear_pointer (&s->last_seen, g_hash_table_unref);
  g_clear_pointer (&s->preview_sample, gst_sample_unref);
  g_mutex_clear (&s->lock);
  g_main_context_unref (s->context);
}

static Session *
session_ref (Session *s)
{
  return g_atomic_rc_box_acquire (s);
}

static void
session_unref (Session *s)
{
  g_atomic_rc_box_release_full (s, session_free);
}

/* The camera, if the session is still the live one; (transfer full). */
static WtCamera *
session_get_camera (Session *s)
{
  if (g_atomic_int_get (&s->stopped))
    return NULL;

  return g_weak_ref_get (&s->camera);
}

/* ---- errors ------------------------------------------------------------- */

/* Turns a GStreamer error into one a person can act on. The element's own
 * text goes to the debug log; it is English and names elements. */
static GError *
camera_error_from_gst (const GError *gerror,
                       const char   *debug,
                       gboolean      had_frame)
{
  gboolean busy = gerror->domain == GST_RESOURCE_ERROR
                  && (gerror->code == GST_RESOURCE_ERROR_BUSY
                      || (debug != NULL && strstr (debug, "busy") != NULL));

  g_debug ("Pipeline error: %s (%s)", gerror->message, debug ? debug : "");

  if (busy)
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_BUSY,
                                _("The camera is in use by another program."));

  if (gerror->domain == GST_RESOURCE_ERROR && had_frame)
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_DISCONNECTED,
                                _("The camera was disconnected."));

  if (gerror->domain == GST_RESOURCE_ERROR)
    {
      switch (gerror->code)
        {
        case GST_RESOURCE_ERROR_NOT_FOUND:
        case GST_RESOURCE_ERROR_OPEN_READ:
        case GST_RESOURCE_ERROR_OPEN_READ_WRITE:
        case GST_RESOURCE_ERROR_OPEN_WRITE:
        case GST_RESOURCE_ERROR_NOT_AUTHORIZED:
          return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_NO_CAMERA,
                                      _("No camera was found. Check that it is plugged in and that Wastetag may use it."));
        default:
          break;
        }
    }

  if (gerror->domain == GST_CORE_ERROR
      && (gerror->code == GST_CORE_ERROR_NEGOTIATION || gerror->code == GST_CORE_ERROR_MISSING_PLUGIN))
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_PIPELINE,
                                _("The video source gives no picture Wastetag can use."));

  if (gerror->domain == GST_STREAM_ERROR
      && (gerror->code == GST_STREAM_ERROR_DECODE || gerror->code == GST_STREAM_ERROR_FORMAT
          || gerror->code == GST_STREAM_ERROR_WRONG_TYPE || gerror->code == GST_STREAM_ERROR_TYPE_NOT_FOUND))
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_FAILED,
                                _("The video could not be decoded, so scanning stopped."));

  if (debug != NULL && strstr (debug, "not-negotiated") != NULL)
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_PIPELINE,
                                _("The video source gives no picture Wastetag can use."));

  /* A decoder that fails on a frame returns a flow error, which the
   * source reports as a generic stream error: a corrupt frame. */
  if (gerror->domain == GST_STREAM_ERROR && gerror->code == GST_STREAM_ERROR_FAILED)
    return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_FAILED,
                                _("A video frame could not be read, so scanning stopped."));

  return g_error_new_literal (WT_CAMERA_ERROR, WT_CAMERA_ERROR_FAILED,
                              _("The camera stopped with an error, so scanning stopped."));
}

/* ---- main-context emissions ----------------------------------------------- */

typedef struct
{
  Session   *session;
  GBytes    *text;
  GVariant  *corners;
  int        width;
  int        height;
} CodeReport;

static void
code_report_free (gpointer data)
{
  CodeReport *r = data;

  session_unref (r->session);
  g_bytes_unref (r->text);
  g_variant_unref (r->corners);
  g_free (r);
}

static gboolean
emit_code_cb (gpointer data)
{
  CodeReport *r = data;
  g_autoptr(WtCamera) self = session_get_camera (r->session);
  gsize length;
  const char *text;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  text = g_bytes_get_data (r->text, &length);
  /* The GBytes holds length + 1 bytes: the NUL is part of it. */
  g_signal_emit (self, signals[SIGNAL_CODE], 0, text, (guint64) (length - 1),
                 r->corners, r->width, r->height);

  return G_SOURCE_REMOVE;
}

static gboolean
emit_eos_cb (gpointer data)
{
  Session *s = data;
  g_autoptr(WtCamera) self = session_get_camera (s);

  if (self != NULL)
    g_signal_emit (self, signals[SIGNAL_EOS], 0);

  return G_SOURCE_REMOVE;
}

typedef struct
{
  GstSample  *sample;
  GstMapInfo  map;
} MappedSample;

static void
mapped_sample_free (gpointer data)
{
  MappedSample *m = data;

  gst_buffer_unmap (gst_sample_get_buffer (m->sample), &m->map);
  gst_sample_unref (m->sample);
  g_free (m);
}

static gboolean
emit_frame_cb (gpointer data)
{
  Session *s = data;
  g_autoptr(WtCamera) self = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GstSample *sample;
  MappedSample *m;
  GstVideoInfo info;

  g_mutex_lock (&s->lock);
  sample = g_steal_pointer (&s->preview_sample);
  s->preview_scheduled = FALSE;
  g_mutex_unlock (&s->lock);

  self = session_get_camera (s);
  if (sample == NULL || self == NULL
      || !gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    {
      g_clear_pointer (&sample, gst_sample_unref);
      return G_SOURCE_REMOVE;
    }

  m = g_new0 (MappedSample, 1);
  m->sample = sample;
  if (!gst_buffer_map (gst_sample_get_buffer (sample), &m->map, GST_MAP_READ))
    {
      gst_sample_unref (sample);
      g_free (m);
      return G_SOURCE_REMOVE;
    }

  /* The GBytes keeps the buffer mapped until the last texture using it is
   * gone; no copy of the pixels is made. */
  bytes = g_bytes_new_with_free_func (m->map.data, m->map.size, mapped_sample_free, m);
  g_atomic_pointer_add (&s->n_previewed, 1);
  g_signal_emit (self, signals[SIGNAL_FRAME], 0, bytes,
                 GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                 GST_VIDEO_INFO_PLANE_STRIDE (&info, 0));

  return G_SOURCE_REMOVE;
}

/* ---- decoding thread ------------------------------------------------------ */

/* Reports @decoded unless the same bytes were read less than the hold time
 * ago. Runs on the decoding thread. */
static void
worker_report (Session         *s,
               const WtDecoded *decoded,
               int              width,
               int              height,
               gint64           now)
{
  g_autoptr(GBytes) key = g_bytes_new (decoded->text, decoded->length + 1);
  gpointer last = NULL;
  gint64 hold_us = (gint64) g_atomic_int_get (&s->hold_ms) * 1000;
  gboolean report;
  CodeReport *r;

  report = !g_hash_table_lookup_extended (s->last_seen, key, NULL, &last)
           || now - *(gint64 *) last >= hold_us;
  g_hash_table_replace (s->last_seen, g_bytes_ref (key), g_memdup2 (&now, sizeof now));
  if (!report)
    return;

  r = g_new0 (CodeReport, 1);
  r->session = session_ref (s);
  r->text = g_steal_pointer (&key);
  r->corners = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE,
                                                              decoded->corners, 8,
                                                              sizeof (double)));
  r->width = width;
  r->height = height;
  g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT, emit_code_cb, r, code_report_free);
}

static gboolean
expired_cb (gpointer key,
            gpointer value,
            gpointer user_data)
{
  gint64 cutoff = *(gint64 *) user_data;

  return *(gint64 *) value < cutoff;
}

static void
worker_decode (Session   *s,
               GstSample *sample)
{
  GstVideoInfo info;
  GstMapInfo map;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  g_autoptr(GPtrArray) found = NULL;
  gint64 now;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;

  if (map.size >= (gsize) GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) * (gsize) GST_VIDEO_INFO_HEIGHT (&info))
    found = wt_decoder_decode_frame (s->decoder, map.data,
                                     GST_VIDEO_INFO_WIDTH (&info),
                                     GST_VIDEO_INFO_HEIGHT (&info),
                                     GST_VIDEO_INFO_PLANE_STRIDE (&info, 0));
  else
    g_debug ("Skipping a short frame (%" G_GSIZE_FORMAT " bytes)", map.size);
  gst_buffer_unmap (buffer, &map);
  g_atomic_pointer_add (&s->n_decoded, 1);

  now = g_get_monotonic_time ();
  for (guint i = 0; found != NULL && i < found->len; i++)
    worker_report (s, g_ptr_array_index (found, i),
                   GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info), now);

  /* Forget codes that have been gone longer than the hold time, so the
   * table stays as small as what is in front of the camera. */
  if (g_hash_table_size (s->last_seen) > 64)
    {
      gint64 cutoff = now - (gint64) g_atomic_int_get (&s->hold_ms) * 1000;

      g_hash_table_foreach_remove (s->last_seen, expired_cb, &cutoff);
    }
}

static gpointer
worker_thread (gpointer data)
{
  Session *s = data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (s->queue);

      if (item == &quit_marker)
        break;
      if (item == &eos_marker)
        {
          /* After every frame queued before it, so "eos" follows the last
           * "code". */
          g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT, emit_eos_cb,
                                      session_ref (s), (GDestroyNotify) session_unref);
          continue;
        }

      if (!g_atomic_int_get (&s->stopped))
        worker_decode (s, item);
      gst_sample_unref (item);
      g_atomic_int_set (&s->busy, 0);
    }

  session_unref (s);

  return NULL;
}

/* ---- streaming threads ---------------------------------------------------- */

static GstFlowReturn
scan_sample_cb (GstAppSink *sink,
                gpointer    data)
{
  Session *s = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);

  if (sample == NULL)
    return GST_FLOW_EOS;

  g_atomic_int_set (&s->had_frame, 1);
  if (!g_atomic_int_get (&s->stopped) && g_atomic_int_compare_and_exchange (&s->busy, 0, 1))
    {
      g_async_queue_push (s->queue, sample);
    }
  else
    {
      /* The worker is still on an older frame: drop this one rather than
       * fall behind the camera. */
      g_atomic_pointer_add (&s->n_dropped, 1);
      gst_sample_unref (sample);
    }

  return GST_FLOW_OK;
}

static GstFlowReturn
preview_sample_cb (GstAppSink *sink,
                   gpointer    data)
{
  Session *s = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  gboolean schedule;

  if (sample == NULL)
    return GST_FLOW_EOS;

  /* Only the newest frame waits for the main loop; a slow main loop skips
   * frames instead of piling them up. */
  g_mutex_lock (&s->lock);
  g_clear_pointer (&s->preview_sample, gst_sample_unref);
  s->preview_sample = sample;
  schedule = !s->preview_scheduled;
  s->preview_scheduled = TRUE;
  g_mutex_unlock (&s->lock);

  if (schedule)
    g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT, emit_frame_cb,
                                session_ref (s), (GDestroyNotify) session_unref);

  return GST_FLOW_OK;
}

/* ---- bus (main context) --------------------------------------------------- */

static void stop_session (WtCamera *self);

static void
report_error (WtCamera *self,
              GError   *error)
{
  g_autoptr(WtCamera) hold = g_object_ref (self);

  stop_session (self);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    data)
{
  Session *s = data;
  g_autoptr(WtCamera) self = session_get_camera (s);

  if (self == NULL)
    return G_SOURCE_CONTINUE;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) gerror = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &gerror, &debug);
        error = camera_error_from_gst (gerror, debug, g_atomic_int_get (&s->had_frame));
        report_error (self, error);
      }
      break;

    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) gerror = NULL;
        g_autofree char *debug = NULL;

        /* A corrupt frame: the decoder skipped it and goes on. */
        gst_message_parse_warning (message, &gerror, &debug);
        g_debug ("Pipeline warning: %s (%s)", gerror->message, debug ? debug : "");
      }
      break;

    case GST_MESSAGE_EOS:
      g_async_queue_push (s->queue, &eos_marker);
      break;

    default:
      break;
    }

  return G_SOURCE_CONTINUE;
}

/* ---- start / stop --------------------------------------------------------- */

static void
set_state_null_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  gst_element_set_state (GST_ELEMENT (task_data), GST_STATE_NULL);
  g_task_return_boolean (task, TRUE);
}

/* Detaches the session: nothing is emitted after this, the worker ends
 * after its current frame, and the pipeline goes to NULL on a thread.
 * Returns: (transfer full) (nullable): the pipeline, for the caller to
 * wait on. */
static GstElement *
detach_session (WtCamera *self)
{
  Session *s = g_steal_pointer (&self->session);
  GstElement *pipeline;

  if (s == NULL)
    return NULL;

  g_atomic_int_set (&s->stopped, 1);
  if (self->bus_source != NULL)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }
  if (s->worker != NULL)
    {
      g_async_queue_push (s->queue, &quit_marker);
      g_clear_pointer (&s->worker, g_thread_unref);
    }

  /* The pipeline's appsinks hold session references: handing the pipeline
   * to the caller, who unrefs it once it is in NULL, breaks that cycle. */
  pipeline = g_steal_pointer (&s->pipeline);
  session_unref (s);

  return pipeline;
}

static void
stop_session (WtCamera *self)
{
  g_autoptr(GstElement) pipeline = detach_session (self);
  g_autoptr(GTask) task = NULL;

  if (pipeline == NULL)
    return;

  /* Fire and forget: the task holds the pipeline, not the camera. */
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, stop_session);
  g_task_set_task_data (task, g_steal_pointer (&pipeline), gst_object_unref);
  g_task_run_in_thread (task, set_state_null_thread);
}

void
wt_camera_stop (WtCamera *self)
{
  g_return_if_fail (WT_IS_CAMERA (self));

  stop_session (self);
}

void
wt_camera_stop_async (WtCamera            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GstElement *pipeline;

  g_return_if_fail (WT_IS_CAMERA (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wt_camera_stop_async);
  pipeline = detach_session (self);
  if (pipeline == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_set_task_data (task, pipeline, gst_object_unref);
  g_task_run_in_thread (task, set_state_null_thread);
}

gboolean
wt_camera_stop_finish (WtCamera      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Start's task data: the pipeline is referenced on its own, because a stop
 * meanwhile takes it from the session. @session is only compared. */
typedef struct
{
  Session    *session;
  GstElement *pipeline;
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *d = data;

  session_unref (d->session);
  gst_object_unref (d->pipeline);
  g_free (d);
}

/* Runs on a worker thread: READY → PAUSED → PLAYING, pacing non-live
 * sources. On failure, takes the error off the bus so it is reported once,
 * by start's completion. */
static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StartData *d = task_data;
  GstElement *pipeline = d->pipeline;
  GstStateChangeReturn ret;
  g_autoptr(GstElement) pace = NULL;

  ret = gst_element_set_state (pipeline, GST_STATE_PAUSED);
  if (ret == GST_STATE_CHANGE_SUCCESS || ret == GST_STATE_CHANGE_ASYNC)
    {
      /* Not live: play at the stream's own frame rate. */
      pace = gst_bin_get_by_name (GST_BIN (pipeline), "pace");
      g_object_set (pace, "sync", TRUE, NULL);
    }
  if (ret != GST_STATE_CHANGE_FAILURE)
    ret = gst_element_set_state (pipeline, GST_STATE_PLAYING);

  if (ret == GST_STATE_CHANGE_FAILURE)
    {
      g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
      g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr(GError) gerror = NULL;
      g_autofree char *debug = NULL;

      gst_element_set_state (pipeline, GST_STATE_NULL);
      if (message == NULL)
        {
          g_task_return_new_error (task, WT_CAMERA_ERROR, WT_CAMERA_ERROR_FAILED,
                                   "%s", _("The camera could not be started."));
          return;
        }
      gst_message_parse_error (message, &gerror, &debug);
      g_task_return_error (task, camera_error_from_gst (gerror, debug, FALSE));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
start_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  WtCamera *self = WT_CAMERA (object);
  GTask *outer = data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Stopped meanwhile: the session was detached and stays quiet. */
      StartData *d = g_task_get_task_data (G_TASK (result));

      if (self->session == d->session)
        report_error (self, error);
      g_task_return_error (outer, g_steal_pointer (&error));
    }
  else
    g_task_return_boolean (outer, TRUE);

  g_object_unref (outer);
}

static void
parse_failed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  WtCamera *self = WT_CAMERA (object);
  GTask *outer = data;
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  if (self->session == NULL)
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  g_task_return_error (outer, g_steal_pointer (&error));
  g_object_unref (outer);
}

static GstAppSinkCallbacks scan_callbacks = { .new_sample = scan_sample_cb };
static GstAppSinkCallbacks preview_callbacks = { .new_sample = preview_sample_cb };

void
wt_camera_start_async (WtCamera            *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstElement) scan = NULL;
  g_autoptr(GstElement) preview = NULL;
  g_autofree char *description = NULL;
  GstElement *pipeline;
  Session *s;

  g_return_if_fail (WT_IS_CAMERA (self));
  g_return_if_fail (self->session == NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, wt_camera_start_async);

  /* Parsing is quick and touches no device: done here so a bad fragment
   * fails at once. */
  description = g_strconcat (self->source, PIPELINE_TAIL, NULL);
  pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (pipeline == NULL)
    {
      g_autoptr(GError) camera_error = NULL;

      g_debug ("Cannot parse “%s”: %s", description, error->message);
      camera_error = g_error_new (WT_CAMERA_ERROR, WT_CAMERA_ERROR_PIPELINE,
                                  _("The video source “%s” is not valid."), self->source);
      /* Reported from an idle, like every other outcome, never from
       * inside this call. */
      inner = g_task_new (self, cancellable, parse_failed_cb, g_steal_pointer (&outer));
      g_task_set_source_tag (inner, parse_failed_cb);
      g_task_return_error (inner, g_steal_pointer (&camera_error));
      return;
    }

  s = g_atomic_rc_box_new0 (Session);
  s->context = g_main_context_ref (self->context);
  g_weak_ref_init (&s->camera, self);
  s->pipeline = gst_object_ref_sink (pipeline);
  s->hold_ms = (int) self->hold_ms;
  s->queue = g_async_queue_new_full (queue_item_free);
  s->decoder = wt_decoder_new ();
  s->last_seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                        (GDestroyNotify) g_bytes_unref, g_free);
  g_mutex_init (&s->lock);
  self->session = s;

  scan = gst_bin_get_by_name (GST_BIN (pipeline), "scan");
  preview = gst_bin_get_by_name (GST_BIN (pipeline), "preview");
  gst_app_sink_set_callbacks (GST_APP_SINK (scan), &scan_callbacks,
                              session_ref (s), (GDestroyNotify) session_unref);
  gst_app_sink_set_callbacks (GST_APP_SINK (preview), &preview_callbacks,
                              session_ref (s), (GDestroyNotify) session_unref);

  bus = gst_element_get_bus (pipeline);
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, (GSourceFunc) G_CALLBACK (bus_cb),
                         session_ref (s), (GDestroyNotify) session_unref);
  g_source_attach (self->bus_source, self->context);

  s->worker = g_thread_new ("wt-camera-decode", worker_thread, session_ref (s));

  inner = g_task_new (self, cancellable, start_done_cb, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, start_thread);
  {
    StartData *d = g_new0 (StartData, 1);

    d->session = session_ref (s);
    d->pipeline = gst_object_ref (s->pipeline);
    g_task_set_task_data (inner, d, start_data_free);
  }
  g_task_run_in_thread (inner, start_thread);
}

gboolean
wt_camera_start_finish (WtCamera      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
wt_camera_is_running (WtCamera *self)
{
  g_return_val_if_fail (WT_IS_CAMERA (self), FALSE);

  return self->session != NULL;
}

void
wt_camera_get_counters (WtCamera *self,
                        guint64  *out_decoded,
                        guint64  *out_dropped,
                        guint64  *out_previewed)
{
  Session *s;

  g_return_if_fail (WT_IS_CAMERA (self));

  s = self->session;
  if (out_decoded != NULL)
    *out_decoded = s ? (guint64) g_atomic_pointer_get (&s->n_decoded) : 0;
  if (out_dropped != NULL)
    *out_dropped = s ? (guint64) g_atomic_pointer_get (&s->n_dropped) : 0;
  if (out_previewed != NULL)
    *out_previewed = s ? (guint64) g_atomic_pointer_get (&s->n_previewed) : 0;
}

/* ---- GObject -------------------------------------------------------------- */

WtCamera *
wt_camera_new (const char *source)
{
  return g_object_new (WT_TYPE_CAMERA, "source", source, NULL);
}

const char *
wt_camera_get_source (WtCamera *self)
{
  g_return_val_if_fail (WT_IS_CAMERA (self), NULL);

  return self->source;
}

guint
wt_camera_get_hold_time (WtCamera *self)
{
  g_return_val_if_fail (WT_IS_CAMERA (self), 0);

  return self->hold_ms;
}

void
wt_camera_set_hold_time (WtCamera *self,
                         guint     hold_ms)
{
  g_return_if_fail (WT_IS_CAMERA (self));

  if (self->hold_ms == hold_ms)
    return;

  self->hold_ms = hold_ms;
  if (self->session != NULL)
    g_atomic_int_set (&self->session->hold_ms, (int) MIN (hold_ms, G_MAXINT));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLD_TIME]);
}

static void
wt_camera_dispose (GObject *object)
{
  WtCamera *self = WT_CAMERA (object);

  stop_session (self);

  G_OBJECT_CLASS (wt_camera_parent_class)->dispose (object);
}

static void
wt_camera_finalize (GObject *object)
{
  WtCamera *self = WT_CAMERA (object);

  g_free (self->source);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (wt_camera_parent_class)->finalize (object);
}

static void
wt_camera_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WtCamera *self = WT_CAMERA (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_HOLD_TIME:
      g_value_set_uint (value, self->hold_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_camera_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  WtCamera *self = WT_CAMERA (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      {
        const char *source = g_value_get_string (value);

        self->source = g_strdup (source != NULL && *source != '\0' ? source : DEFAULT_SOURCE);
      }
      break;
    case PROP_HOLD_TIME:
      wt_camera_set_hold_time (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_camera_class_init (WtCameraClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wt_camera_dispose;
  object_class->finalize = wt_camera_finalize;
  object_class->get_property = wt_camera_get_property;
  object_class->set_property = wt_camera_set_property;

  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL, DEFAULT_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOLD_TIME] =
    g_param_spec_uint ("hold-time", NULL, NULL, 0, G_MAXINT, DEFAULT_HOLD_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_FRAME] =
    g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_BYTES, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_CODE] =
    g_signal_new ("code", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT64,
                  G_TYPE_VARIANT, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_EOS] =
    g_signal_new ("eos", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_init (NULL, NULL);
}

static void
wt_camera_init (WtCamera *self)
{
  self->hold_ms = DEFAULT_HOLD_MS;
  self->context = g_main_context_ref_thread_default ();
}

/* ---- devices -------------------------------------------------------------- */

void
wt_camera_device_free (WtCameraDevice *device)
{
  if (device == NULL)
    return;

  g_free (device->display_name);
  g_free (device->source);
  g_free (device);
}

/* @value as a double-quoted gst-launch property value. */
static char *
quote_value (const char *value)
{
  GString *s = g_string_new ("\"");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');

  return g_string_free (s, FALSE);
}

GPtrArray *
wt_camera_list_devices (void)
{
  g_autoptr(GstDeviceMonitor) monitor = NULL;
  GPtrArray *devices = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_camera_device_free);
  GList *list;

  gst_init (NULL, NULL);
  monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  if (!gst_device_monitor_start (monitor))
    return devices;

  list = gst_device_monitor_get_devices (monitor);
  for (GList *l = list; l != NULL; l = l->next)
    {
      GstDevice *device = l->data;
      g_autoptr(GstStructure) props = gst_device_get_properties (device);
      const char *path = props ? gst_structure_get_string (props, "device.path") : NULL;
      const char *api = props ? gst_structure_get_string (props, "device.api") : NULL;
      WtCameraDevice *d;

      if (path == NULL && props != NULL)
        path = gst_structure_get_string (props, "api.v4l2.path");
      /* v4l2 devices only: a PipeWire node is reached through the portal
       * (wt_camera_pipewire_source), libcamera is not in bookworm's
       * GStreamer. */
      if (path == NULL || (api != NULL && g_strcmp0 (api, "v4l2") != 0))
        continue;

      d = g_new0 (WtCameraDevice, 1);
      d->display_name = gst_device_get_display_name (device);
      {
        g_autofree char *quoted = quote_value (path);

        d->source = g_strdup_printf ("v4l2src device=%s", quoted);
      }
      g_ptr_array_add (devices, d);
    }
  g_list_free_full (list, gst_object_unref);
  gst_device_monitor_stop (monitor);

  return devices;
}

char *
wt_camera_pipewire_source (int     fd,
                           guint32 node_id)
{
  g_return_val_if_fail (fd >= 0, NULL);

  if (node_id == 0)
    return g_strdup_printf ("pipewiresrc fd=%d", fd);

  return g_strdup_printf ("pipewiresrc fd=%d path=%u", fd, node_id);
}

gboolean
wt_camera_is_sandboxed (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}
