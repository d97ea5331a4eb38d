/* bench-decode.c: decode time per frame size, reads on the degraded set,
 * and preview frame rate while decoding.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run it through bench/decode/run.sh, which pins it to one core and adds
 * zbarimg and ZXingReader over the same files. Modes:
 *
 *   bench-decode timing [N]        N textured frames per row (default 20)
 *   bench-decode degraded DIR [N]  writes N frames per category to DIR
 *                                  (<kind>_<nn>.png + .txt with the exact
 *                                  payload) and prints one line per file:
 *                                  "file<TAB>project<TAB>zbar<TAB>zxing" (1 = exact read)
 *   bench-decode fps PNG [SECONDS] preview frames per second through WtCamera
 *                                  while the scan branch decodes
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "wt-camera.h"
#include "wt-code.h"
#include "wt-decoder.h"
#include "wt-degrade.h"
#include "wt-hazard.h"
#include "wt-qr.h"
#include "wt-zxing.h"

/* A real WT1 payload for container number @i. */
static char *
make_payload (guint i)
{
  WtCodeSplit split;
  WtPayload p = { 0 };
  g_autofree char *code = NULL;

  wt_code_split_init_default (&split);
  code = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30",
                        'A', i % wt_code_capacity (&split));
  p.version = WT_PAYLOAD_VERSION;
  p.container_code = code;
  p.waste_code = (char *) "900-249-08";
  p.hazards = WT_HAZARD_T | WT_HAZARD_I;
  p.date = (char *) "2026-11-30";

  return wt_payload_encode (&p);
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* ---- timing ------------------------------------------------------------- */

typedef enum { RUN_PROJECT_FRAME, RUN_PROJECT_STILL, RUN_ZBAR, RUN_ZXING, N_RUNS } Run;

static const char *const run_names[N_RUNS] = {
  "project (video frame)", "project (still)", "zbar alone", "zxing-cpp alone",
};

static int
do_timing (guint n)
{
  static const int sizes[][2] = { { 640, 480 }, { 1280, 720 }, { 1920, 1080 } };

  g_print ("| frame | code | decoder | median ms | p95 ms | read |\n");
  g_print ("|---|---|---|---|---|---|\n");

  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int with_code = 0; with_code < 2; with_code++)
      {
        int w = sizes[si][0], h = sizes[si][1];
        guint8 **frames = g_new0 (guint8 *, n);
        char **payloads = g_new0 (char *, n);

        for (guint i = 0; i < n; i++)
          {
            g_autoptr(WtQr) qr = NULL;
            /* 4, 6 and 9 px per module, as a code held at different
             * distances (research/scanning.md §2.3). */
            static const double ppm[3] = { 4, 6, 9 };
            /* A version-7 code at 9 px/module is taller than 480 px. */
            double scale = h < 720 ? 0.75 : 1.0;

            payloads[i] = make_payload (i);
            qr = with_code ? wt_qr_encode (payloads[i], WT_ECC_Q, NULL) : NULL;
            frames[i] = wt_degrade_textured (qr, w, h, ppm[i % 3] * scale, 7000 + 31 * si + i);
          }

        for (Run run = 0; run < N_RUNS; run++)
          {
            g_autoptr(WtDecoder) decoder = wt_decoder_new ();
            double *ms = g_new (double, n);
            guint read = 0;

            if (run == RUN_ZBAR)
              wt_decoder_set_engines (decoder, WT_DECODER_ZBAR);
            else if (run == RUN_ZXING)
              wt_decoder_set_engines (decoder, WT_DECODER_ZXING);

            for (guint i = 0; i < n; i++)
              {
                g_autoptr(GPtrArray) found = NULL;
                gint64 t0 = g_get_monotonic_time ();

                /* Single engines and the still path decode each frame in
                 * full; the video path is the camera's. */
                if (run == RUN_PROJECT_FRAME)
                  found = wt_decoder_decode_frame (decoder, frames[i], w, h, w);
                else
                  found = wt_decoder_decode_gray (decoder, frames[i], w, h, w);
                ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
                for (guint k = 0; k < found->len; k++)
                  {
                    WtDecoded *d = g_ptr_array_index (found, k);

                    if (strcmp (d->text, payloads[i]) == 0)
                      read++;
                    else if (!with_code)
                      g_printerr ("false read on an empty frame: %s\n", d->text);
                  }
              }

            qsort (ms, n, sizeof (double), cmp_double);
            g_print ("| %dx%d | %s | %s | %.1f | %.1f | %u/%u |\n", w, h,
                     with_code ? "yes" : "no", run_names[run],
                     ms[n / 2], ms[MIN (n - 1, (guint) (0.95 * n + 0.5) - 1)],
                     read, with_code ? n : 0);
            g_free (ms);
          }

        for (guint i = 0; i < n; i++)
          {
            g_free (frames[i]);
            g_free (payloads[i]);
          }
        g_free (frames);
        g_free (payloads);
      }

  return 0;
}

/* ---- engine components ------------------------------------------------- */

/* What each building block of the combined decoder costs on empty textured
 * frames, the case that dominates a live camera: the numbers behind the
 * choices in wt-decoder.c. */
static int
do_components (guint n)
{
  static const int sizes[][2] = { { 640, 480 }, { 1280, 720 }, { 1920, 1080 } };
  static const struct { const char *name; WtZxingFlags flags; } variants[] = {
    { "zxing tryHarder+tryDownscale", WT_ZXING_TRY_HARDER | WT_ZXING_TRY_DOWNSCALE },
    { "zxing tryDownscale", WT_ZXING_TRY_DOWNSCALE },
    { "zxing tryHarder", WT_ZXING_TRY_HARDER },
    { "zxing plain", WT_ZXING_NONE },
    { "zxing global histogram", WT_ZXING_GLOBAL_HISTOGRAM },
    { "zxing global histogram+tryDownscale", WT_ZXING_GLOBAL_HISTOGRAM | WT_ZXING_TRY_DOWNSCALE },
  };

  g_print ("| frame | component (empty frame) | median ms | p95 ms |\n|---|---|---|---|\n");
  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    {
      int w = sizes[si][0], h = sizes[si][1];
      guint8 **frames = g_new0 (guint8 *, n);

      for (guint i = 0; i < n; i++)
        frames[i] = wt_degrade_textured (NULL, w, h, 0, 7000 + 31 * si + i);

      for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
        {
          double *ms = g_new (double, n);

          for (guint i = 0; i < n; i++)
            {
              g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_decoded_free);
              gint64 t0 = g_get_monotonic_time ();

              wt_zxing_read (frames[i], w, h, w, variants[v].flags, found, NULL, NULL);
              ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
            }
          qsort (ms, n, sizeof (double), cmp_double);
          g_print ("| %dx%d | %s | %.1f | %.1f |\n", w, h, variants[v].name,
                   ms[n / 2], ms[MIN (n - 1, (guint) (0.95 * n + 0.5) - 1)]);
          g_free (ms);
        }

      for (guint i = 0; i < n; i++)
        g_free (frames[i]);
      g_free (frames);
    }

  return 0;
}

/* ---- degraded set ------------------------------------------------------- */

static gboolean
reads (WtDecoder    *decoder,
       const guint8 *frame,
       const char   *expected)
{
  g_autoptr(GPtrArray) found = wt_decoder_decode_gray (decoder, frame, WT_DEGRADE_WIDTH,
                                                       WT_DEGRADE_HEIGHT, WT_DEGRADE_WIDTH);

  for (guint k = 0; k < found->len; k++)
    {
      WtDecoded *d = g_ptr_array_index (found, k);

      if (d->length == strlen (expected) && memcmp (d->text, expected, d->length) == 0)
        return TRUE;
    }

  return FALSE;
}

static int
do_degraded (const char *dir,
             guint       n)
{
  g_autoptr(WtDecoder) project = wt_decoder_new ();
  g_autoptr(WtDecoder) zbar = wt_decoder_new ();
  g_autoptr(WtDecoder) zxing = wt_decoder_new ();

  wt_decoder_set_engines (zbar, WT_DECODER_ZBAR);
  wt_decoder_set_engines (zxing, WT_DECODER_ZXING);
  g_mkdir_with_parents (dir, 0755);

  for (WtDegradeKind kind = 0; kind < WT_DEGRADE_N_KINDS; kind++)
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *payload = make_payload (100 * kind + i);
        g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_Q, NULL);
        g_autofree guint8 *frame = wt_degrade_frame (qr, kind, i);
        g_autofree char *base = g_strdup_printf ("%s/%s_%02u", dir, wt_degrade_kind_name (kind), i);
        g_autofree char *png = g_strconcat (base, ".png", NULL);
        g_autofree char *txt = g_strconcat (base, ".txt", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) from_file = NULL;
        gboolean file_ok = FALSE;

        if (!wt_degrade_save_png (frame, WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, png, &error)
            || !g_file_set_contents (txt, payload, -1, &error))
          {
            g_printerr ("%s\n", error->message);
            return 1;
          }

        /* The project reads the PNG back the way `wastetag-cli decode`
         * does, so all three read the very same file. */
        from_file = wt_decoder_decode_file (project, png, &error);
        for (guint k = 0; from_file != NULL && k < from_file->len; k++)
          {
            WtDecoded *d = g_ptr_array_index (from_file, k);

            file_ok |= strcmp (d->text, payload) == 0;
          }

        g_print ("%s\t%d\t%d\t%d\n", png, file_ok,
                 reads (zbar, frame, payload), reads (zxing, frame, payload));
      }

  return 0;
}

/* ---- preview frame rate --------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  guint      frames;
  gint64     first_us;
  gint64     last_us;
  guint      codes;
  char      *error;
} FpsState;

static void
fps_frame_cb (WtCamera *camera,
              GBytes   *rgb,
              int       width,
              int       height,
              int       stride,
              FpsState *st)
{
  gint64 now = g_get_monotonic_time ();

  if (st->frames++ == 0)
    st->first_us = now;
  st->last_us = now;
}

static void
fps_code_cb (WtCamera   *camera,
             const char *text,
             guint64     length,
             GVariant   *corners,
             int         width,
             int         height,
             FpsState   *st)
{
  st->codes++;
}

static void
fps_error_cb (WtCamera *camera,
              GError   *error,
              FpsState *st)
{
  st->error = g_strdup (error->message);
  g_main_loop_quit (st->loop);
}

static void
fps_eos_cb (WtCamera *camera,
            FpsState *st)
{
  g_main_loop_quit (st->loop);
}

static int
do_fps (const char *png,
        guint       n_frames)
{
  g_autofree char *quoted = g_strescape (png, NULL);
  g_autofree char *source = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! imagefreeze num-buffers=%u"
                                             " ! video/x-raw,framerate=30/1", quoted, n_frames);
  g_autoptr(WtCamera) camera = wt_camera_new (source);
  FpsState st = { g_main_loop_new (NULL, FALSE), 0, 0, 0, 0, NULL };
  guint64 decoded = 0, dropped = 0;
  double seconds;

  g_signal_connect (camera, "frame", G_CALLBACK (fps_frame_cb), &st);
  g_signal_connect (camera, "code", G_CALLBACK (fps_code_cb), &st);
  g_signal_connect (camera, "error", G_CALLBACK (fps_error_cb), &st);
  g_signal_connect (camera, "eos", G_CALLBACK (fps_eos_cb), &st);
  wt_camera_start_async (camera, NULL, NULL, NULL);
  g_main_loop_run (st.loop);
  wt_camera_get_counters (camera, &decoded, &dropped, NULL);
  wt_camera_stop (camera);
  g_main_loop_unref (st.loop);

  if (st.error != NULL)
    {
      g_printerr ("bench-decode: %s\n", st.error);
      return 1;
    }

  seconds = (st.last_us - st.first_us) / 1e6;
  g_print ("source: %s\n", source);
  g_print ("preview frames: %u in %.2f s = %.1f fps\n", st.frames, seconds,
           seconds > 0 ? (st.frames - 1) / seconds : 0.0);
  g_print ("scan frames decoded: %" G_GUINT64_FORMAT ", dropped while busy: %" G_GUINT64_FORMAT
           ", codes reported: %u\n", decoded, dropped, st.codes);

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc >= 2 && strcmp (argv[1], "timing") == 0)
    return do_timing (argc >= 3 ? (guint) atoi (argv[2]) : 20);
  if (argc >= 2 && strcmp (argv[1], "components") == 0)
    return do_components (argc >= 3 ? (guint) atoi (argv[2]) : 20);
  if (argc >= 3 && strcmp (argv[1], "degraded") == 0)
    return do_degraded (argv[2], argc >= 4 ? (guint) atoi (argv[3]) : 20);
  if (argc >= 3 && strcmp (argv[1], "fps") == 0)
    return do_fps (argv[2], argc >= 4 ? (guint) atoi (argv[3]) * 30 : 300);
  if (argc >= 4 && strcmp (argv[1], "frame") == 0)
    {
      /* bench-decode frame W H OUT.png: one textured frame with a code at
       * 6 px/module, the fps mode's input. */
      g_autofree char *payload = make_payload (1);
      g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_Q, NULL);
      int w = atoi (argv[2]), h = atoi (argv[3]);
      g_autofree guint8 *frame = wt_degrade_textured (qr, w, h, 6, 42);
      g_autoptr(GError) error = NULL;

      if (argc < 5 || !wt_degrade_save_png (frame, w, h, argv[4], &error))
        {
          g_printerr ("bench-decode: %s\n", error ? error->message : "frame W H OUT.png");
          return 1;
        }
      return 0;
    }

  g_printerr ("Usage: bench-decode timing [N] | degraded DIR [N] | fps PNG [SECONDS] | frame W H OUT.png\n");
  return 2;
}
