/* test-camera.c: WtCamera on real GStreamer pipelines fed from files: the
 * codes of a sequence of printed labels come out once each, in order, and
 * failures come out as one clear "error".
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <cairo.h>
#include <glib/gstdio.h>

#include "wt-camera.h"
#include "wt-code.h"
#include "wt-hazard.h"
#include "wt-label.h"

/* A 1280×720 camera looking at a 100 mm label printed at 203 dpi, one
 * camera pixel per printer dot: the label (799 px) is cut off at the top,
 * the QR code in its lower part is whole. */
#define FRAME_W 1280
#define FRAME_H 720
#define LABEL_DPI 203.0

/* ---- fixtures ------------------------------------------------------------ */

typedef struct
{
  char      *dir;
  GPtrArray *files;    /* paths written, for cleanup */
  guint      n;        /* next frame index */
} Frames;

static Frames *
frames_new (void)
{
  Frames *f = g_new0 (Frames, 1);

  f->dir = g_dir_make_tmp ("wt-camera-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->files = g_ptr_array_new_with_free_func (g_free);

  return f;
}

static void
frames_free (Frames *f)
{
  for (guint i = 0; i < f->files->len; i++)
    g_unlink (g_ptr_array_index (f->files, i));
  g_rmdir (f->dir);
  g_ptr_array_unref (f->files);
  g_free (f->dir);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Frames, frames_free)

static char *
frames_next_path (Frames *f)
{
  char *path = g_strdup_printf ("%s/f%03u.png", f->dir, f->n++);

  g_ptr_array_add (f->files, g_strdup (path));

  return path;
}

/* The gst-launch source fragment that plays the frames at 10 fps. */
static char *
frames_source (Frames *f)
{
  return g_strdup_printf ("multifilesrc location=\"%s/f%%03d.png\" index=0 stop-index=%u"
                          " caps=image/png,framerate=10/1 ! pngdec", f->dir, f->n - 1);
}

static char *
container_code (guint counter)
{
  WtCodeSplit split;

  wt_code_split_init_default (&split);

  return wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'C', counter);
}

/* Writes @count frames: a 100 mm label of container @counter drawn by the
 * project's renderer on a grey desk, or an empty desk when
 * @counter is 0. */
static void
frames_add (Frames *f,
            guint   counter,
            guint   count)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, FRAME_W, FRAME_H);
  cairo_t *cr = cairo_create (surface);

  cairo_set_source_rgb (cr, 0.55, 0.55, 0.5);
  cairo_paint (cr);

  if (counter > 0)
    {
      g_autoptr(WtLabelContent) content = wt_label_content_new ();
      g_autoptr(WtLabelRenderer) renderer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *code = container_code (counter);
      g_autofree char *payload = NULL;
      WtPayload p = { 0 };
      WtLabelOptions options;
      WtLabelItem item = { 0 };

      wt_label_content_set (content, &content->waste_name, "废矿物油与含矿物油废物");
      wt_label_content_set (content, &content->category, "HW08");
      wt_label_content_set (content, &content->waste_code, "900-249-08");
      wt_label_content_set (content, &content->date, "2026-11-30");
      content->hazards = WT_HAZARD_T | WT_HAZARD_I;

      p.version = WT_PAYLOAD_VERSION;
      p.container_code = code;
      p.waste_code = (char *) "900-249-08";
      p.hazards = WT_HAZARD_T | WT_HAZARD_I;
      p.date = (char *) "2026-11-30";
      payload = wt_payload_encode (&p);

      wt_label_options_init (&options);
      options.dpi = LABEL_DPI;
      renderer = wt_label_renderer_new (content, &options);
      item.container_code = code;
      item.payload = payload;
      item.copy = 1;
      item.n_copies = 1;

      cairo_save (cr);
      cairo_translate (cr, (FRAME_W - 100 / 25.4 * LABEL_DPI) / 2, FRAME_H - 100 / 25.4 * LABEL_DPI - 4);
      cairo_scale (cr, LABEL_DPI / 72.0, LABEL_DPI / 72.0);
      g_assert_true (wt_label_renderer_draw (renderer, cr, &item, &error));
      g_assert_no_error (error);
      cairo_restore (cr);
    }
  cairo_destroy (cr);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *path = frames_next_path (f);

      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
    }
  cairo_surface_destroy (surface);
}

/* A PNG whose image data are garbage but whose chunks still delimit it. */
static void
frames_add_corrupt (Frames *f)
{
  g_autofree char *path = frames_next_path (f);
  g_autofree char *contents = NULL;
  gsize length;

  frames_add (f, 99, 1);
  g_assert_true (g_file_get_contents (g_ptr_array_index (f->files, f->files->len - 1),
                                      &contents, &length, NULL));
  f->n--;
  g_ptr_array_remove_index (f->files, f->files->len - 1);
  for (gsize i = length / 3; i < length / 3 + 64; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));
}

/* What a camera run produced, recorded on the main context. */
typedef struct
{
  GMainLoop *loop;
  GPtrArray *codes;     /* container codes, in order */
  GError    *error;
  guint      n_errors;
  guint      n_eos;
  guint      n_frames;
  int        frame_w;
  int        frame_h;
  gboolean   quit_on_frame;
} Run;

static void
run_clear (Run *run)
{
  g_main_loop_unref (run->loop);
  g_ptr_array_unref (run->codes);
  g_clear_error (&run->error);
}

static void
frame_cb (WtCamera *camera,
          GBytes   *rgb,
          int       width,
          int       height,
          int       stride,
          Run      *run)
{
  g_assert_cmpint (stride, >=, 3 * width);
  g_assert_cmpuint (g_bytes_get_size (rgb), >=, (gsize) stride * (height - 1) + 3 * width);
  run->n_frames++;
  run->frame_w = width;
  run->frame_h = height;
  if (run->quit_on_frame)
    g_main_loop_quit (run->loop);
}

static void
code_cb (WtCamera   *camera,
         const char *text,
         guint64     length,
         GVariant   *corners,
         int         width,
         int         height,
         Run        *run)
{
  g_autoptr(WtPayload) payload = NULL;
  g_autoptr(GError) error = NULL;
  gsize n_corners;
  const double *c = g_variant_get_fixed_array (corners, &n_corners, sizeof (double));

  g_assert_cmpuint (length, ==, strlen (text));
  g_assert_cmpuint (n_corners, ==, 8);
  /* The symbol lies inside the frame the code was read in. */
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (c[2 * i], >=, 0);
      g_assert_cmpfloat (c[2 * i], <=, width);
      g_assert_cmpfloat (c[2 * i + 1], >=, 0);
      g_assert_cmpfloat (c[2 * i + 1], <=, height);
    }

  payload = wt_payload_parse (text, (gssize) length, &error);
  g_assert_no_error (error);
  g_ptr_array_add (run->codes, g_strdup (payload->container_code));
}

static void
error_cb (WtCamera *camera,
          GError   *error,
          Run      *run)
{
  run->n_errors++;
  if (run->error == NULL)
    run->error = g_error_copy (error);
  g_main_loop_quit (run->loop);
}

static void
eos_cb (WtCamera *camera,
        Run      *run)
{
  run->n_eos++;
  g_main_loop_quit (run->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("The camera run did not finish in time");

  return G_SOURCE_REMOVE;
}

/* Runs @source until "eos" or "error", then a little longer to catch any
 * signal that must not come. */
static void
run_camera (const char *source,
            Run        *run)
{
  g_autoptr(WtCamera) camera = wt_camera_new (source);
  guint timeout_id;

  run->loop = g_main_loop_new (NULL, FALSE);
  run->codes = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (camera, "frame", G_CALLBACK (frame_cb), run);
  g_signal_connect (camera, "code", G_CALLBACK (code_cb), run);
  g_signal_connect (camera, "error", G_CALLBACK (error_cb), run);
  g_signal_connect (camera, "eos", G_CALLBACK (eos_cb), run);

  timeout_id = g_timeout_add_seconds (60, timeout_cb, NULL);
  wt_camera_start_async (camera, NULL, NULL, NULL);
  g_main_loop_run (run->loop);

  /* Anything late (a second "error", a "code" after "eos") shows up here. */
  g_timeout_add (300, (GSourceFunc) G_CALLBACK (g_main_loop_quit), run->loop);
  g_main_loop_run (run->loop);
  g_source_remove (timeout_id);

  wt_camera_stop (camera);
  g_assert_false (wt_camera_is_running (camera));
}

/* ---- tests --------------------------------------------------------------- */

static void
test_sequence (void)
{
  g_autoptr(Frames) f = frames_new ();
  g_autofree char *source = NULL;
  g_autofree char *a = container_code (1);
  g_autofree char *b = container_code (2);
  g_autofree char *c = container_code (3);
  Run run = { 0 };

  /* A is held up, taken away for 0.2 s (less than the 3 s hold time) and
   * held up again: still one report. */
  frames_add (f, 0, 2);
  frames_add (f, 1, 4);
  frames_add (f, 0, 2);
  frames_add (f, 1, 3);
  frames_add (f, 0, 3);
  frames_add (f, 2, 4);
  frames_add (f, 0, 3);
  frames_add (f, 3, 4);
  frames_add (f, 0, 2);
  source = frames_source (f);

  run_camera (source, &run);

  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n_eos, ==, 1);
  g_assert_cmpuint (run.codes->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (run.codes, 0), ==, a);
  g_assert_cmpstr (g_ptr_array_index (run.codes, 1), ==, b);
  g_assert_cmpstr (g_ptr_array_index (run.codes, 2), ==, c);
  g_assert_cmpuint (run.n_frames, >, 0);
  g_assert_cmpint (run.frame_w, ==, FRAME_W);
  g_assert_cmpint (run.frame_h, ==, FRAME_H);
  run_clear (&run);
}

static void
test_hold_time (void)
{
  g_autoptr(Frames) f = frames_new ();
  g_autofree char *source = NULL;
  g_autoptr(WtCamera) camera = wt_camera_new (NULL);
  Run run = { 0 };

  g_assert_cmpstr (wt_camera_get_source (camera), ==, "v4l2src");
  g_assert_cmpuint (wt_camera_get_hold_time (camera), ==, 3000);

  /* With a hold time of 0 every frame that reads the code reports it;
   * checked through the property on a short run. */
  frames_add (f, 5, 3);
  frames_add (f, 0, 4);
  frames_add (f, 5, 3);
  source = frames_source (f);
  {
    g_autoptr(WtCamera) cam = wt_camera_new (source);
    guint timeout_id = g_timeout_add_seconds (60, timeout_cb, NULL);

    g_object_set (cam, "hold-time", 100, NULL);
    run.loop = g_main_loop_new (NULL, FALSE);
    run.codes = g_ptr_array_new_with_free_func (g_free);
    g_signal_connect (cam, "code", G_CALLBACK (code_cb), &run);
    g_signal_connect (cam, "error", G_CALLBACK (error_cb), &run);
    g_signal_connect (cam, "eos", G_CALLBACK (eos_cb), &run);
    wt_camera_start_async (cam, NULL, NULL, NULL);
    g_main_loop_run (run.loop);
    g_source_remove (timeout_id);
  }

  /* Absent for 0.4 s > 0.1 s hold time: reported twice. */
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.codes->len, >=, 2);
  run_clear (&run);
}

static void
test_corrupt_frame (void)
{
  g_autoptr(Frames) f = frames_new ();
  g_autofree char *source = NULL;
  g_autofree char *a = container_code (1);
  Run run = { 0 };

  /* pngdec fails a frame with broken image data and the stream stops
   * (checked on GStreamer 1.22): the user gets one clear sentence. */
  frames_add (f, 1, 4);
  frames_add_corrupt (f);
  frames_add (f, 2, 4);
  source = frames_source (f);

  run_camera (source, &run);

  g_assert_error (run.error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_FAILED);
  g_assert_cmpstr (run.error->message, ==, "A video frame could not be read, so scanning stopped.");
  g_assert_cmpuint (run.n_errors, ==, 1);
  g_assert_cmpuint (run.n_eos, ==, 0);
  g_assert_cmpuint (run.codes->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run.codes, 0), ==, a);
  run_clear (&run);
}

static void
test_no_camera (void)
{
  Run run = { 0 };

  run_camera ("v4l2src device=/dev/nonexistent", &run);

  g_assert_error (run.error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_NO_CAMERA);
  g_assert_cmpstr (run.error->message, ==,
                   "No camera was found. Check that it is plugged in and that Wastetag may use it.");
  g_assert_cmpuint (run.n_errors, ==, 1);
  g_assert_cmpuint (run.n_eos, ==, 0);
  run_clear (&run);
}

static void
test_bad_pipeline (void)
{
  Run run = { 0 };

  run_camera ("no-such-element ! pngdec", &run);

  g_assert_error (run.error, WT_CAMERA_ERROR, WT_CAMERA_ERROR_PIPELINE);
  g_assert_nonnull (strstr (run.error->message, "no-such-element"));
  g_assert_cmpuint (run.n_errors, ==, 1);
  run_clear (&run);
}

static void
test_stop_while_running (void)
{
  g_autoptr(Frames) f = frames_new ();
  g_autofree char *still = NULL;
  g_autofree char *source = NULL;
  WtCamera *camera;
  Run run = { 0 };

  frames_add (f, 4, 1);
  still = g_ptr_array_index (f->files, 0);
  source = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! imagefreeze num-buffers=600"
                            " ! video/x-raw,framerate=30/1", still);
  still = NULL;   /* borrowed from f->files */

  run.loop = g_main_loop_new (NULL, FALSE);
  run.codes = g_ptr_array_new_with_free_func (g_free);
  run.quit_on_frame = TRUE;
  camera = wt_camera_new (source);
  g_signal_connect (camera, "frame", G_CALLBACK (frame_cb), &run);
  g_signal_connect (camera, "code", G_CALLBACK (code_cb), &run);
  g_signal_connect (camera, "error", G_CALLBACK (error_cb), &run);
  wt_camera_start_async (camera, NULL, NULL, NULL);
  g_main_loop_run (run.loop);
  g_assert_true (wt_camera_is_running (camera));

  /* Dropping the last reference mid-stream stops it; nothing may be
   * emitted afterwards, and the object must really go. */
  run.quit_on_frame = FALSE;
  g_assert_finalize_object (camera);
  g_timeout_add (300, (GSourceFunc) G_CALLBACK (g_main_loop_quit), run.loop);
  g_main_loop_run (run.loop);
  g_assert_no_error (run.error);
  run_clear (&run);
}

static void
test_devices (void)
{
  g_autoptr(GPtrArray) devices = wt_camera_list_devices ();
  g_autofree char *pw = wt_camera_pipewire_source (7, 42);
  g_autofree char *pw_default = wt_camera_pipewire_source (7, 0);

  /* Whatever this machine has (often nothing in CI): each entry opens
   * with v4l2src. */
  g_assert_nonnull (devices);
  for (guint i = 0; i < devices->len; i++)
    {
      WtCameraDevice *d = g_ptr_array_index (devices, i);

      g_assert_nonnull (d->display_name);
      g_assert_true (g_str_has_prefix (d->source, "v4l2src device="));
    }

  g_assert_cmpstr (pw, ==, "pipewiresrc fd=7 path=42");
  g_assert_cmpstr (pw_default, ==, "pipewiresrc fd=7");
}

static void
test_cli_scan (void)
{
  const char *cli = g_getenv ("WASTETAG_CLI");
  g_autoptr(Frames) f = frames_new ();
  g_autofree char *source = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *a = container_code (1);
  g_autofree char *b = container_code (2);
  g_autofree char *c = container_code (3);
  g_autoptr(GError) error = NULL;
  int status;

  if (cli == NULL)
    {
      g_test_skip ("WASTETAG_CLI is not set (run through meson test)");
      return;
    }

  frames_add (f, 1, 3);
  frames_add (f, 0, 2);
  frames_add (f, 2, 3);
  frames_add (f, 0, 2);
  frames_add (f, 3, 3);
  /* A fourth label after the third must not be waited for. */
  frames_add (f, 0, 2);
  frames_add (f, 4, 30);
  source = frames_source (f);

  {
    const char *argv[] = { cli, "scan", "--source", source, "--max", "3", "--timeout", "60", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                  &out, &err, &status, &error);
  }
  g_assert_no_error (error);

  if (strstr (err, "is not a command") != NULL)
    {
      g_test_skip ("wastetag-cli has no scan command yet (wt_cli_scan is not in its table)");
      return;
    }

  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s\n%s\n%s\n", a, b, c);
  g_assert_cmpstr (out, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/camera/sequence", test_sequence);
  g_test_add_func ("/camera/hold-time", test_hold_time);
  g_test_add_func ("/camera/corrupt-frame", test_corrupt_frame);
  g_test_add_func ("/camera/no-camera", test_no_camera);
  g_test_add_func ("/camera/bad-pipeline", test_bad_pipeline);
  g_test_add_func ("/camera/stop-while-running", test_stop_while_running);
  g_test_add_func ("/camera/devices", test_devices);
  g_test_add_func ("/camera/cli-scan", test_cli_scan);

  return g_test_run ();
}
