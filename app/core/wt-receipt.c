/* wt-receipt.c: the handover receipt (交接记录单) as an A4 PDF.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>
#include <string.h>
#include <unistd.h>

#include "wt-error.h"
#include "wt-qr.h"
#include "wt-receipt.h"

#define A4_W WT_MM_TO_PT (210.0)
#define A4_H WT_MM_TO_PT (297.0)
#define MARGIN WT_MM_TO_PT (15.0)
#define ROW_H WT_MM_TO_PT (6.5)
#define QR_MM 62.0

void
wt_receipt_row_free (WtReceiptRow *row)
{
  if (row == NULL)
    return;
  g_free (row->code);
  g_free (row->waste_code);
  g_free (row->waste_name);
  g_free (row);
}

/* Draws one line (ellipsized to @width when > 0) or, with @wrap, a
 * paragraph wrapped to @width. Returns its height. */
static double
text_full (cairo_t     *cr,
           PangoLayout *layout,
           const char  *markup,
           double       x,
           double       y,
           double       width,
           double       size_pt,
           gboolean     bold,
           gboolean     wrap,
           const char  *family)
{
  PangoFontDescription *font = pango_font_description_from_string (family);
  int w, h;

  pango_font_description_set_size (font, (int) (size_pt * PANGO_SCALE));
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, width > 0 ? (int) (width * PANGO_SCALE) : -1);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize (layout, width > 0 && !wrap ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
  pango_layout_set_text (layout, markup, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_size (layout, &w, &h);

  return (double) h / PANGO_SCALE;
}

static double
text (cairo_t     *cr,
      PangoLayout *layout,
      const char  *markup,
      double       x,
      double       y,
      double       width,
      double       size_pt,
      gboolean     bold)
{
  return text_full (cr, layout, markup, x, y, width, size_pt, bold, FALSE, "Noto Sans CJK SC");
}

static double
para (cairo_t     *cr,
      PangoLayout *layout,
      const char  *markup,
      double       y,
      double       size_pt,
      gboolean     bold)
{
  return text_full (cr, layout, markup, MARGIN, y, A4_W - 2 * MARGIN, size_pt, bold, TRUE, "Noto Sans CJK SC");
}

static gboolean
draw_qr (cairo_t     *cr,
         const char  *payload,
         double       x,
         double       y,
         double       size,
         GError     **error)
{
  g_autoptr(WtQr) qr = wt_qr_encode (payload, WT_ECC_M, error);
  double module;

  if (qr == NULL)
    return FALSE;

  module = size / (qr->width + 8);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int j = 0; j < qr->width; j++)
    for (int i = 0; i < qr->width; i++)
      if (wt_qr_is_dark (qr, i, j))
        cairo_rectangle (cr, x + (i + 4) * module, y + (j + 4) * module, module, module);
  cairo_fill (cr);

  return TRUE;
}

static cairo_status_t
write_cb (void                *closure,
          const unsigned char *data,
          unsigned int         length)
{
  FILE *f = closure;

  return fwrite (data, 1, length, f) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void
page_footer (cairo_t     *cr,
             PangoLayout *layout,
             guint        page,
             guint        n_pages)
{
  /* The receipt is a Chinese regulatory document; its wording follows the
   * forms in use, like the label's captions. */
  g_autofree char *t = g_strdup_printf ("第 %u 页 / 共 %u 页", page, n_pages);

  text (cr, layout, t, A4_W / 2 - 40, A4_H - MARGIN + 4, -1, 8, FALSE);
}

gboolean
wt_receipt_write_pdf (const WtManifest   *m,
                      const char         *parties,
                      GPtrArray          *rows,
                      const char * const *payloads,
                      const char         *path,
                      GError            **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  cairo_surface_t *surface = NULL;
  cairo_t *cr = NULL;
  PangoLayout *layout = NULL;
  FILE *f = NULL;
  int fd;
  guint n_qr = g_strv_length ((char **) payloads);
  guint n_pages = 0;
  double y;
  gboolean ok = FALSE;
  GHashTable *per_waste = NULL;
  double total_kg = 0;

  fd = g_mkstemp (tmp);
  if (fd < 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("Cannot write to the folder “%s”: %s."),
                   dir, g_strerror (errno));
      return FALSE;
    }
  f = fdopen (fd, "wb");

  surface = cairo_pdf_surface_create_for_stream (write_cb, f, A4_W, A4_H);
  cr = cairo_create (surface);
  layout = pango_cairo_create_layout (cr);
  per_waste = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < rows->len; i++)
    {
      WtReceiptRow *r = g_ptr_array_index (rows, i);
      double *sum = g_hash_table_lookup (per_waste, r->waste_code);

      if (sum == NULL)
        {
          sum = g_new0 (double, 2);
          g_hash_table_insert (per_waste, g_strdup (r->waste_code), sum);
        }
      sum[0] += 1;
      if (r->weight_kg > 0)
        {
          sum[1] += r->weight_kg;
          total_kg += r->weight_kg;
        }
    }

  /* Pages are counted by laying everything out twice: a dry run that only
   * measures, then the real one with "page n of N" in the footer. */
  for (guint pass = 0; pass < 2; pass++)
    {
      guint page = 1;
      double bottom = A4_H - MARGIN - 16;
      g_autofree char *line = NULL;

      if (pass == 1)
        {
          cairo_surface_finish (surface);
          cairo_surface_destroy (surface);
          g_object_unref (layout);
          cairo_destroy (cr);
          if (fseek (f, 0, SEEK_SET) != 0 || ftruncate (fileno (f), 0) != 0)
            {
              g_set_error (error, WT_ERROR, WT_ERROR_IO, _("Could not write the receipt to “%s”: %s."),
                           path, g_strerror (errno));
              surface = NULL;
              cr = NULL;
              layout = NULL;
              goto out;
            }
          surface = cairo_pdf_surface_create_for_stream (write_cb, f, A4_W, A4_H);
          cr = cairo_create (surface);
          layout = pango_cairo_create_layout (cr);
        }

      cairo_set_source_rgb (cr, 0, 0, 0);
      y = MARGIN;
      y += text (cr, layout, "危险废物交接记录单", MARGIN, y, -1, 18, TRUE) + 8;
      line = g_strdup_printf ("转移联单编号：%s", wt_manifest_get_display_number (m));
      y += text (cr, layout, line, MARGIN, y, -1, 11, TRUE) + 4;
      g_free (line);
      line = g_strdup_printf ("移出人：%s（统一社会信用代码 %s）", m->producer, m->producer_uscc);
      y += para (cr, layout, line, y, 10, FALSE) + 2;
      g_free (line);
      line = g_strdup_printf ("承运人：%s　　运输车辆：%s", m->carrier, m->vehicle);
      y += para (cr, layout, line, y, 10, FALSE) + 2;
      g_free (line);
      line = g_strdup_printf ("接受人：%s", m->receiver);
      y += para (cr, layout, line, y, 10, FALSE) + 2;
      g_free (line);
      {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (m->confirmed_ms / 1000);
        g_autofree char *when = dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("");

        line = g_strdup_printf ("交接时间：%s　　经办人：%s　　容器数量：%u",
                                when, parties && *parties ? parties : "—", rows->len);
      }
      y += para (cr, layout, line, y, 10, FALSE) + 10;

      {
        double cols[] = { MARGIN, MARGIN + 28, MARGIN + 212, MARGIN + 276, A4_W - MARGIN - 48, A4_W - MARGIN };
        const char *heads[] = { "序号", "数字识别码", "废物代码", "废物名称", "重量 kg" };
        gboolean head = TRUE;

        cairo_set_line_width (cr, 0.6);
        for (guint i = 0; i <= rows->len; i++)
          {
            if (head)
              {
                cairo_rectangle (cr, MARGIN, y, A4_W - 2 * MARGIN, ROW_H);
                cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
                cairo_fill (cr);
                cairo_set_source_rgb (cr, 0, 0, 0);
                for (guint c = 0; c < 5; c++)
                  text (cr, layout, heads[c], cols[c] + 2, y + 3, cols[c + 1] - cols[c] - 4, 8, TRUE);
                y += ROW_H;
                head = FALSE;
              }
            if (i == rows->len)
              break;

            {
              WtReceiptRow *r = g_ptr_array_index (rows, i);
              g_autofree char *num = g_strdup_printf ("%u", i + 1);
              char kg[G_ASCII_DTOSTR_BUF_SIZE] = "";

              if (r->weight_kg >= 0)
                g_ascii_formatd (kg, sizeof kg, "%.1f", r->weight_kg);
              text (cr, layout, num, cols[0] + 2, y + 3, cols[1] - cols[0] - 4, 8, FALSE);
              text_full (cr, layout, r->code, cols[1] + 2, y + 3, cols[2] - cols[1] - 4, 7.5, FALSE, FALSE,
                         "Noto Sans Mono CJK SC");
              text (cr, layout, r->waste_code, cols[2] + 2, y + 3, cols[3] - cols[2] - 4, 8, FALSE);
              text (cr, layout, r->waste_name, cols[3] + 2, y + 3, cols[4] - cols[3] - 4, 8, FALSE);
              text (cr, layout, kg, cols[4] + 2, y + 3, cols[5] - cols[4] - 4, 8, FALSE);
              cairo_move_to (cr, MARGIN, y + ROW_H);
              cairo_line_to (cr, A4_W - MARGIN, y + ROW_H);
              cairo_stroke (cr);
              y += ROW_H;
            }

            if (y + ROW_H > bottom && i + 1 < rows->len)
              {
                page_footer (cr, layout, page, n_pages);
                cairo_show_page (cr);
                page++;
                y = MARGIN;
                head = TRUE;
              }
          }
      }

      /* The summary, the signatures and the QR codes stay together. */
      {
        g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (per_waste), (GCompareFunc) g_strcmp0);
        double qr_size = WT_MM_TO_PT (QR_MM);
        guint per_row = (guint) ((A4_W - 2 * MARGIN + WT_MM_TO_PT (6)) / (qr_size + WT_MM_TO_PT (6)));
        guint qr_rows = (n_qr + per_row - 1) / per_row;
        double needed = 12 + 16 * (g_list_length (keys) + 1) + 30 + 40 + MIN (qr_rows, 3) * (qr_size + 24);
        double qx = MARGIN, qy;
        g_autofree char *total = NULL;

        if (y + needed > bottom)
          {
            page_footer (cr, layout, page, n_pages);
            cairo_show_page (cr);
            page++;
            y = MARGIN;
          }

        y += 12;
        y += text (cr, layout, "按废物代码汇总", MARGIN, y, -1, 11, TRUE) + 4;
        for (GList *l = keys; l; l = l->next)
          {
            double *sum = g_hash_table_lookup (per_waste, l->data);
            g_autofree char *sline = g_strdup_printf ("%s：%u 个容器，%.1f kg", (const char *) l->data, (guint) sum[0], sum[1]);

            y += text (cr, layout, sline, MARGIN, y, -1, 10, FALSE) + 2;
          }
        total = g_strdup_printf ("合计：%u 个容器，%.1f kg", rows->len, total_kg);
        y += text (cr, layout, total, MARGIN, y, -1, 10, TRUE) + 14;

        y += para (cr, layout, "移出人经办人签字：__________　　承运人签字：__________　　接受人签字：__________",
                   y, 10, FALSE) + 14;
        y += para (cr, layout, "接收时请用 Wastetag 扫描下方二维码载入清单（无需网络）。二维码含联单编号、容器清单及其摘要，并由移出人设备签名。",
                   y, 9, FALSE) + 8;

        qy = y;
        for (guint q = 0; q < n_qr; q++)
          {
            if (qx + qr_size > A4_W - MARGIN + 0.5)
              {
                qx = MARGIN;
                qy += qr_size + 24;
              }
            if (qy + qr_size + 16 > bottom)
              {
                page_footer (cr, layout, page, n_pages);
                cairo_show_page (cr);
                page++;
                qy = MARGIN;
                qx = MARGIN;
              }
            if (!draw_qr (cr, payloads[q], qx, qy, qr_size, error))
              goto out;
            cairo_set_source_rgb (cr, 0, 0, 0);
            if (n_qr > 1)
              {
                g_autofree char *label = g_strdup_printf ("二维码 %u / %u", q + 1, n_qr);

                text (cr, layout, label, qx, qy + qr_size + 4, -1, 9, FALSE);
              }
            qx += qr_size + WT_MM_TO_PT (6);
          }
      }

      page_footer (cr, layout, page, n_pages);
      cairo_show_page (cr);
      n_pages = page;
    }

  cairo_surface_finish (surface);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS || fflush (f) != 0 || fsync (fileno (f)) != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("Could not write the receipt to “%s”: %s."),
                   path, g_strerror (errno ? errno : EIO));
      goto out;
    }
  if (fclose (f) != 0)
    {
      f = NULL;
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("Could not write the receipt to “%s”: %s."),
                   path, g_strerror (errno));
      goto out;
    }
  f = NULL;
  if (g_rename (tmp, path) != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("Could not write the receipt to “%s”: %s."),
                   path, g_strerror (errno));
      goto out;
    }
  ok = TRUE;

out:
  g_clear_pointer (&per_waste, g_hash_table_unref);
  g_clear_object (&layout);
  g_clear_pointer (&cr, cairo_destroy);
  g_clear_pointer (&surface, cairo_surface_destroy);
  if (f)
    fclose (f);
  if (!ok)
    g_unlink (tmp);
  return ok;
}
