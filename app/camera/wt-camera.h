/* wt-camera.h: camera capture for scanning, without GTK.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GStreamer pipeline: the caller's source fragment (gst-launch syntax,
 * "v4l2src" by default), scaled to at most 1280×720, then a tee into an RGB
 * branch for the preview and a leaky grey branch that one worker thread
 * decodes, dropping frames while it is busy:
 *
 *   SOURCE ! identity ! videoconvert ! videoscale ! video/x-raw,≤1280×720
 *     ! tee ┬ queue(1, leaky) ! videoconvert ! RGB   ! appsink preview
 *           └ queue(1, leaky) ! videoconvert ! GRAY8 ! appsink scan
 *
 * Thread rules: create, start, stop and unref the camera on one thread; its
 * signals are emitted on the GMainContext that was thread-default when it
 * was created, never on a streaming or worker thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WT_CAMERA_ERROR (wt_camera_error_quark ())

/**
 * WtCameraError:
 * Why the camera stopped. Every message is a whole translated sentence a
 * user can act on.
 */
typedef enum
{
  WT_CAMERA_ERROR_NO_CAMERA,    /* the device does not exist */
  WT_CAMERA_ERROR_BUSY,         /* another program holds the device */
  WT_CAMERA_ERROR_DISCONNECTED, /* the device went away mid-stream */
  WT_CAMERA_ERROR_PIPELINE,     /* the source fragment does not parse or link */
  WT_CAMERA_ERROR_FAILED,       /* the stream broke otherwise (e.g. undecodable frames) */
} WtCameraError;

GQuark wt_camera_error_quark (void);

#define WT_TYPE_CAMERA (wt_camera_get_type ())
G_DECLARE_FINAL_TYPE (WtCamera, wt_camera, WT, CAMERA, GObject)

/*
 * Signals (all on the creating thread's main context):
 *
 * "frame" (GBytes *rgb, int width, int height, int stride)
 *   A preview frame, packed R8G8B8 rows of @stride bytes (rows are padded to
 *   4 bytes): gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, rgb,
 *   stride). Borrowed: g_bytes_ref() to keep it. Frames the main loop is too
 *   slow for are dropped, never queued.
 * "code" (const char *text, guint64 length, GVariant *corners, int width, int height)
 *   A code read in the scan branch: its exact bytes (NUL-terminated, @length
 *   without the NUL; not necessarily UTF-8), its corners as "ad" (x0, y0 …
 *   x3, y3 clockwise from top-left) in a @width × @height frame. The same
 *   bytes are reported again only after they were not read for
 *   #WtCamera:hold-time milliseconds.
 * "error" (GError *error)
 *   The camera stopped (WT_CAMERA_ERROR_*). No "eos" follows.
 * "eos" ()
 *   The source ended (files, imagefreeze), after the last "code".
 */

WtCamera    *wt_camera_new                (const char          *source) G_GNUC_WARN_UNUSED_RESULT;
const char  *wt_camera_get_source         (WtCamera            *self);
guint        wt_camera_get_hold_time      (WtCamera            *self);
void         wt_camera_set_hold_time      (WtCamera            *self,
                                           guint                hold_ms);

/* Builds the pipeline and sets it playing on a worker thread. Fails (and
 * also emits "error") when the fragment does not parse or the device cannot
 * be opened. Starting a started camera is a programming error. */
void         wt_camera_start_async        (WtCamera            *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean     wt_camera_start_finish       (WtCamera            *self,
                                           GAsyncResult        *result,
                                           GError             **error);
/* Stops at once: no signal is emitted after it returns. Tearing down the
 * pipeline (which can block on a driver) happens on a worker thread.
 * Idempotent; safe from dispose. */
void         wt_camera_stop               (WtCamera            *self);
/* The same, completing when the device is released (e.g. before another
 * program or another WtCamera opens it). */
void         wt_camera_stop_async         (WtCamera            *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean     wt_camera_stop_finish        (WtCamera            *self,
                                           GAsyncResult        *result,
                                           GError             **error);
gboolean     wt_camera_is_running         (WtCamera            *self);

/* Frames the scan branch decoded, and frames it dropped because the worker
 * was busy, since the last start. Any thread. */
void         wt_camera_get_counters       (WtCamera            *self,
                                           guint64             *out_decoded,
                                           guint64             *out_dropped,
                                           guint64             *out_previewed);

/**
 * WtCameraDevice:
 * A camera found by wt_camera_list_devices(): a name for people and the
 * source fragment that opens it.
 */
typedef struct
{
  char *display_name;
  char *source;
} WtCameraDevice;

void         wt_camera_device_free        (WtCameraDevice      *device);

/* Video sources GStreamer's device monitor knows ("Video/Source").
 * Probes the devices, so it may block for a moment: call it off the main
 * thread. Returns: (transfer full) (element-type WtCameraDevice): possibly
 * empty, never %NULL. */
GPtrArray   *wt_camera_list_devices       (void) G_GNUC_WARN_UNUSED_RESULT;

/* The source fragment for a camera reached through the camera portal under
 * Flatpak: @fd from xdp_portal_open_pipewire_remote_for_camera() (the
 * pipeline dups it; the caller keeps its own), @node_id the PipeWire node of
 * the camera, 0 for the portal's default. */
char        *wt_camera_pipewire_source    (int                  fd,
                                           guint32              node_id) G_GNUC_WARN_UNUSED_RESULT;
/* TRUE when running inside a Flatpak sandbox, where v4l2 devices are not
 * visible and the portal must be used. */
gboolean     wt_camera_is_sandboxed       (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtCameraDevice, wt_camera_device_free)

G_END_DECLS
