/* bench-label-batch.c: time, memory and size of a batch of labels in one PDF,
 * and whether every label in it scans back.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-label-batch [N] [--size 100|150|200] [--ecc M|Q|H] [--dpi D]
 *                          [--vector] [--keep DIR] [--no-decode]
 *
 * Renders N labels (default 1000) with distinct container codes and real
 * payloads through wt_label_output_write() + commit, exactly as the app does,
 * then rasterises the PDF with pdftoppm at 300 dpi in chunks and decodes
 * every page with WtDecoder. Prints one "key: value" line per figure so
 * run.sh can pick them up.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "wt-code.h"
#include "wt-decoder.h"
#include "wt-hazard.h"
#include "wt-label.h"

#define DECODE_DPI 300
#define CHUNK 50

static WtLabelContent *
make_content (void)
{
  WtLabelContent *c = wt_label_content_new ();

  wt_label_content_set (c, &c->waste_name, "废矿物油与含矿物油废物");
  wt_label_content_set (c, &c->common_name, "废机油");
  wt_label_content_set (c, &c->category, "HW08");
  wt_label_content_set (c, &c->waste_code, "900-249-08");
  wt_label_content_set (c, &c->form, "液态");
  wt_label_content_set (c, &c->main_components, "矿物油、水、金属碎屑");
  wt_label_content_set (c, &c->harmful_components, "石油烃、多环芳烃");
  c->hazards = WT_HAZARD_T | WT_HAZARD_I;
  wt_label_content_set (c, &c->precautions, "远离火源，防止泄漏，佩戴防护手套");
  wt_label_content_set (c, &c->producer, "福州某某机械制造有限公司");
  wt_label_content_set (c, &c->contact, "张三 13800000000");
  wt_label_content_set (c, &c->date, "2026-11-30");
  wt_label_content_set (c, &c->weight, "180 kg");

  return c;
}

/* Reads a binary PGM (P5, 8 bit) as pdftoppm -gray writes it. */
static guint8 *
read_pgm (const char *path,
          int        *out_w,
          int        *out_h)
{
  g_autofree char *data = NULL;
  gsize len;
  int w, h, maxval, consumed = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  if (sscanf (data, "P5 %d %d %d%n", &w, &h, &maxval, &consumed) != 3 ||
      maxval != 255 || (gsize) consumed + 1 + (gsize) w * h > len)
    return NULL;

  *out_w = w;
  *out_h = h;

  return g_memdup2 (data + consumed + 1, (gsize) w * h);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Rasterises pages [first, last] of @pdf into @dir and decodes each one;
 * returns how many carry exactly the expected payload. */
static guint
decode_chunk (WtDecoder          *decoder,
              const char         *pdf,
              const char         *dir,
              guint               first,
              guint               last,
              const WtLabelItem  *items)
{
  g_autofree char *f = g_strdup_printf ("%u", first);
  g_autofree char *l = g_strdup_printf ("%u", last);
  g_autofree char *r = g_strdup_printf ("%d", DECODE_DPI);
  g_autofree char *prefix = g_build_filename (dir, "page", NULL);
  const char *argv[] = { "pdftoppm", "-r", r, "-gray", "-f", f, "-l", l, pdf, prefix, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  int status;
  guint ok = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("pdftoppm: %s\n", error->message);
      return 0;
    }

  /* pdftoppm pads page numbers to the document's page count. */
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "page-") && g_str_has_suffix (name, ".pgm"))
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *path = g_ptr_array_index (names, i);
      g_autofree guint8 *pixels = NULL;
      g_autoptr(GPtrArray) found = NULL;
      const char *dash = strrchr (path, '-');
      guint page = (guint) strtoul (dash + 1, NULL, 10);
      int w, h;

      pixels = read_pgm (path, &w, &h);
      g_unlink (path);
      if (pixels == NULL || page < 1)
        continue;

      found = wt_decoder_decode_gray (decoder, pixels, w, h, w);
      if (found->len == 1 &&
          strcmp (((WtDecoded *) g_ptr_array_index (found, 0))->text,
                  items[page - 1].payload) == 0)
        ok++;
      else
        g_printerr ("page %u: %u codes, not the expected payload\n", page, found->len);
    }

  return ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(WtLabelContent) content = make_content ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WtLabelOutput) output = NULL;
  g_autoptr(WtDecoder) decoder = NULL;
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autofree WtLabelItem *items = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pdf = NULL;
  const char *keep = NULL;
  WtLabelOptions options;
  WtCodeSplit split;
  GStatBuf st;
  struct rusage usage;
  gint64 t0, t1, t2;
  guint n = 1000, decoded = 0;
  gboolean vector = FALSE;
  gboolean decode = TRUE;

  setlocale (LC_ALL, "");
  wt_label_options_init (&options);

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--size") && i + 1 < argc)
        options.size_mm = (guint) atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--ecc") && i + 1 < argc)
        {
          if (!wt_ecc_parse (argv[++i], &options.ecc))
            return 2;
        }
      else if (g_str_equal (argv[i], "--dpi") && i + 1 < argc)
        options.dpi = g_ascii_strtod (argv[++i], NULL);
      else if (g_str_equal (argv[i], "--vector"))
        vector = TRUE;
      else if (g_str_equal (argv[i], "--no-decode"))
        decode = FALSE;
      else if (g_str_equal (argv[i], "--keep") && i + 1 < argc)
        keep = argv[++i];
      else if (g_ascii_isdigit (argv[i][0]))
        n = (guint) atoi (argv[i]);
      else
        {
          g_printerr ("Usage: %s [N] [--size MM] [--ecc M|Q|H] [--dpi D] [--vector] [--keep DIR] [--no-decode]\n",
                      argv[0]);
          return 2;
        }
    }
  options.vector_qr = vector;
  if (n == 0 || !wt_label_size_is_valid (options.size_mm))
    return 2;

  /* Payloads exactly as the app builds them, one code per container. */
  wt_code_split_init_default (&split);
  items = g_new0 (WtLabelItem, n);
  for (guint i = 0; i < n; i++)
    {
      WtPayload payload = { 0 };
      char *code = wt_code_build (&split, "91350100M000100Y43", "900-249-08",
                                  "2026-11-30", 'A' + (i / 1000) % 20, i % 1000);
      char *text;

      payload.version = WT_PAYLOAD_VERSION;
      payload.container_code = code;
      payload.waste_code = (char *) "900-249-08";
      payload.hazards = WT_HAZARD_T | WT_HAZARD_I;
      payload.date = (char *) "2026-11-30";
      text = wt_payload_encode (&payload);
      g_ptr_array_add (strings, code);
      g_ptr_array_add (strings, text);
      items[i].container_code = code;
      items[i].payload = text;
      items[i].copy = 1;
      items[i].n_copies = 1;
    }

  dir = keep != NULL ? g_strdup (keep) : g_dir_make_tmp ("wt-bench-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  pdf = g_build_filename (dir, "labels.pdf", NULL);

  t0 = g_get_monotonic_time ();
  output = wt_label_output_write (content, &options, items, n, WT_LABEL_FORMAT_PDF,
                                  pdf, NULL, NULL, NULL, &error);
  if (output == NULL || !wt_label_output_commit (output, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  t1 = g_get_monotonic_time ();
  getrusage (RUSAGE_SELF, &usage);
  if (g_stat (pdf, &st) != 0)
    return 1;

  g_print ("labels: %u\n", n);
  g_print ("options: size %u mm, ECC %s, %g dpi, %s QR\n", options.size_mm,
           wt_ecc_to_string (options.ecc), options.dpi, vector ? "vector" : "image");
  g_print ("render_seconds: %.3f\n", (t1 - t0) / 1e6);
  g_print ("labels_per_second: %.1f\n", n / ((t1 - t0) / 1e6));
  g_print ("peak_rss_mb: %.1f\n", usage.ru_maxrss / 1024.0);
  g_print ("pdf_bytes: %" G_GINT64_FORMAT "\n", (gint64) st.st_size);
  g_print ("bytes_per_label: %.0f\n", (double) st.st_size / n);
  g_print ("pdf: %s\n", pdf);

  /* Every label must scan: rasterise like a 300 dpi printer, then decode. */
  decoder = wt_decoder_new ();
  for (guint first = 1; decode && first <= n; first += CHUNK)
    decoded += decode_chunk (decoder, pdf, dir, first, MIN (first + CHUNK - 1, n), items);
  t2 = g_get_monotonic_time ();

  g_print ("decoded: %u/%u\n", decoded, n);
  g_print ("decode_seconds: %.1f\n", (t2 - t1) / 1e6);

  if (keep == NULL)
    {
      g_unlink (pdf);
      g_rmdir (dir);
    }

  return decoded == n || !decode ? 0 : 1;
}
