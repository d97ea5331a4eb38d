/* wt-label.c: the HJ 1276-2022 container label, its layout and its renderer.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A label is drawn in two parts. Everything that is the same for every
 * container of a batch (background, border, title, captions, values, hazard
 * marks) is laid out once per renderer and recorded in a cairo recording
 * surface; each label replays it and adds only the per-container parts: the
 * QR code, the 数字识别码 under its caption and the copy/reprint marks. This
 * keeps a 1,000-label PDF at about a tenth of gLabels' time (bench/label-batch)
 * and lets cairo's PDF backend emit the fixed part once as a form XObject.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>

#include "wt-code.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-label-private.h"

#define A4_WIDTH_MM  210.0
#define A4_HEIGHT_MM 297.0

/* HJ 1276: ≥ 3 mm blank margin outside a border of ≥ 1 mm. */
#define MARGIN_MM 3.0

/* Part of the inner width reserved for the QR code and the hazard marks. */
#define RIGHT_COLUMN_SHARE 0.38

/* Baseline distance as a share of the font's line box. Noto Sans CJK's box
 * is 1.45 em, roomier than a form needs; 0.85 of it still leaves a quarter
 * em between the ink of two lines and never changes the glyph height. */
#define LINE_PITCH 0.85

#define QUIET_ZONE_MODULES 4
#define MIN_DOTS_PER_MODULE 4

#define FONT_FAMILY      "Noto Sans CJK SC"
#define FONT_FAMILY_MONO "Noto Sans Mono CJK SC"

/* 醒目的橘黄色 as used by HJ 1276 label implementations. */
#define ORANGE_R (255.0 / 255.0)
#define ORANGE_G (150.0 / 255.0)
#define ORANGE_B (0.0 / 255.0)

/* ---- content ------------------------------------------------------------- */

static void
content_fill_empty (WtLabelContent *c)
{
  char **fields[] = {
    &c->waste_name, &c->common_name, &c->category, &c->waste_code, &c->form,
    &c->main_components, &c->harmful_components, &c->precautions,
    &c->producer, &c->contact, &c->date, &c->weight, &c->notes,
    &c->container_type,
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (*fields[i] == NULL)
      *fields[i] = g_strdup ("");
}

WtLabelContent *
wt_label_content_new (void)
{
  WtLabelContent *c = g_new0 (WtLabelContent, 1);

  content_fill_empty (c);

  return c;
}

WtLabelContent *
wt_label_content_copy (const WtLabelContent *content)
{
  WtLabelContent *c;

  g_return_val_if_fail (content != NULL, NULL);

  c = g_new0 (WtLabelContent, 1);
  c->waste_name = g_strdup (content->waste_name);
  c->common_name = g_strdup (content->common_name);
  c->category = g_strdup (content->category);
  c->waste_code = g_strdup (content->waste_code);
  c->form = g_strdup (content->form);
  c->main_components = g_strdup (content->main_components);
  c->harmful_components = g_strdup (content->harmful_components);
  c->hazards = content->hazards;
  c->precautions = g_strdup (content->precautions);
  c->producer = g_strdup (content->producer);
  c->contact = g_strdup (content->contact);
  c->date = g_strdup (content->date);
  c->weight = g_strdup (content->weight);
  c->notes = g_strdup (content->notes);
  c->container_type = g_strdup (content->container_type);
  c->volume_l = content->volume_l;
  /* A caller may have built the struct by hand with NULL strings. */
  content_fill_empty (c);

  return c;
}

void
wt_label_content_free (WtLabelContent *content)
{
  if (content == NULL)
    return;

  g_free (content->waste_name);
  g_free (content->common_name);
  g_free (content->category);
  g_free (content->waste_code);
  g_free (content->form);
  g_free (content->main_components);
  g_free (content->harmful_components);
  g_free (content->precautions);
  g_free (content->producer);
  g_free (content->contact);
  g_free (content->date);
  g_free (content->weight);
  g_free (content->notes);
  g_free (content->container_type);
  g_free (content);
}

void
wt_label_content_set (WtLabelContent  *content,
                      char           **field,
                      const char      *value)
{
  char *copy;

  g_return_if_fail (content != NULL);
  g_return_if_fail (field != NULL);
  g_return_if_fail ((gpointer) field >= (gpointer) content &&
                    (gpointer) field < (gpointer) (content + 1));

  /* Copy first: @value may be the field's own string. */
  copy = g_strdup (value != NULL ? value : "");
  g_free (*field);
  *field = copy;
}

/* ---- sizes and options --------------------------------------------------- */

void
wt_label_options_init (WtLabelOptions *options)
{
  g_return_if_fail (options != NULL);

  options->size_mm = 100;
  options->ecc = WT_ECC_Q;
  options->dpi = 300.0;
  options->layout = WT_LABEL_LAYOUT_SINGLE;
  options->start_position = 1;
  options->vector_qr = FALSE;
}

guint
wt_label_size_for_volume (double litres)
{
  if (!(litres > 50.0))
    return 100;
  if (litres <= 450.0)
    return 150;
  return 200;
}

guint
wt_label_copies_for_volume (double litres)
{
  return litres > 450.0 ? 2 : 1;
}

double
wt_label_min_text_mm (guint size_mm)
{
  if (size_mm >= 200)
    return 6.0;
  if (size_mm >= 150)
    return 5.0;
  return 3.0;
}

gboolean
wt_label_size_is_valid (guint size_mm)
{
  return size_mm == 100 || size_mm == 150 || size_mm == 200;
}

static double
border_mm (guint size_mm)
{
  if (size_mm >= 200)
    return 2.0;
  if (size_mm >= 150)
    return 1.5;
  return 1.0;
}

/* One printer dot in points; the QR's modules and origins are whole dots. */
static double
dot_pt (const WtLabelOptions *options)
{
  double dpi = options->dpi > 0 ? options->dpi : 300.0;

  return 72.0 / dpi;
}

/* ---- A4 sheets ----------------------------------------------------------- */

/* Labels sit edge to edge in a grid centred on the sheet: each carries its
 * own 3 mm margin, so neighbours are 6 mm apart border to border. 100 mm
 * gives 2 × 2; 150 and 200 mm fit once, which works but saves nothing over
 * single pages. */
static void
sheet_grid (guint  size_mm,
            guint *out_cols,
            guint *out_rows)
{
  guint cols = size_mm > 0 ? (guint) floor (A4_WIDTH_MM / size_mm) : 0;
  guint rows = size_mm > 0 ? (guint) floor (A4_HEIGHT_MM / size_mm) : 0;

  *out_cols = cols;
  *out_rows = rows;
}

guint
wt_label_sheet_capacity (guint size_mm)
{
  guint cols, rows;

  sheet_grid (size_mm, &cols, &rows);

  return cols * rows;
}

/* 0-based slot of the first label on the first sheet. */
static guint
first_slot (const WtLabelOptions *options)
{
  guint capacity = wt_label_sheet_capacity (options->size_mm);

  if (options->start_position < 1 || options->start_position > capacity)
    return 0;

  return options->start_position - 1;
}

guint
wt_label_n_pages (const WtLabelOptions *options,
                  guint                 n_items)
{
  guint capacity;

  g_return_val_if_fail (options != NULL, 0);

  if (n_items == 0)
    return 0;
  if (options->layout == WT_LABEL_LAYOUT_SINGLE)
    return n_items;

  capacity = wt_label_sheet_capacity (options->size_mm);
  if (capacity == 0)
    return 0;

  return (first_slot (options) + n_items + capacity - 1) / capacity;
}

void
wt_label_place (const WtLabelOptions *options,
                guint                 index,
                guint                *out_page,
                double               *out_x_pt,
                double               *out_y_pt)
{
  guint page = index;
  double x = 0, y = 0;

  g_return_if_fail (options != NULL);

  if (options->layout == WT_LABEL_LAYOUT_A4_SHEET)
    {
      guint cols, rows, capacity, slot;

      sheet_grid (options->size_mm, &cols, &rows);
      capacity = cols * rows;
      if (capacity > 0)
        {
          double dot = dot_pt (options);
          double x0 = WT_MM_TO_PT ((A4_WIDTH_MM - cols * (double) options->size_mm) / 2.0);
          double y0 = WT_MM_TO_PT ((A4_HEIGHT_MM - rows * (double) options->size_mm) / 2.0);

          slot = first_slot (options) + index;
          page = slot / capacity;
          slot %= capacity;
          x = x0 + (slot % cols) * WT_MM_TO_PT (options->size_mm);
          y = y0 + (slot / cols) * WT_MM_TO_PT (options->size_mm);
          /* Labels start on the printer's dot grid, so the QR code, which
           * snaps to whole dots inside the label, snaps on the sheet too. */
          x = floor (x / dot + 1e-6) * dot;
          y = floor (y / dot + 1e-6) * dot;
        }
    }

  if (out_page != NULL)
    *out_page = page;
  if (out_x_pt != NULL)
    *out_x_pt = x;
  if (out_y_pt != NULL)
    *out_y_pt = y;
}

void
wt_label_page_size (const WtLabelOptions *options,
                    double               *out_width_pt,
                    double               *out_height_pt)
{
  double w, h;

  g_return_if_fail (options != NULL);

  if (options->layout == WT_LABEL_LAYOUT_A4_SHEET)
    {
      w = WT_MM_TO_PT (A4_WIDTH_MM);
      h = WT_MM_TO_PT (A4_HEIGHT_MM);
    }
  else
    {
      w = h = WT_MM_TO_PT (options->size_mm);
    }

  if (out_width_pt != NULL)
    *out_width_pt = w;
  if (out_height_pt != NULL)
    *out_height_pt = h;
}

/* ---- renderer ------------------------------------------------------------ */

/* Invariants: @fixed is a recording surface of size_pt × size_pt holding the
 * label without its per-container parts; the layouts belong to @pango and
 * are only touched on the thread that created the renderer. All geometry is
 * in points from the label's top-left corner. */
struct _WtLabelRenderer
{
  WtLabelOptions   options;
  double           size_pt;
  double           dot_pt;
  double           min_font_mm;

  cairo_surface_t *fixed;
  PangoContext    *pango;

  /* The 数字识别码 value, drawn after its caption in the field list. */
  PangoLayout     *code_layout;
  double           code_x;
  double           code_y;

  /* "1/2" top left and "重印 n" top right, inside the title band. */
  PangoLayout     *mark_layout;
  double           mark_left_x;
  double           mark_right_x;
  double           mark_y;

  /* The QR code and its quiet zone go in a square of qr_space points whose
   * bottom-right corner is (qr_right, qr_bottom). */
  double           qr_right;
  double           qr_bottom;
  double           qr_space;
};

static PangoLayout *
new_layout (WtLabelRenderer *self,
            const char      *family,
            double           em_pt,
            gboolean         bold,
            double           width_pt,
            int              max_lines)
{
  PangoLayout *layout = pango_layout_new (self->pango);
  PangoFontDescription *desc = pango_font_description_new ();
  double em_mm = em_pt * 25.4 / 72.0;

  pango_font_description_set_family (desc, family);
  pango_font_description_set_weight (desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  /* Absolute size: one em is em_pt user units (points), whatever the
   * resolution the context would otherwise assume. */
  pango_font_description_set_absolute_size (desc, em_pt * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  if (width_pt > 0)
    {
      pango_layout_set_width (layout, (int) floor (width_pt * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
  pango_layout_set_line_spacing (layout, LINE_PITCH);
  if (max_lines > 0)
    {
      /* A negative height caps the number of lines; the last one gets an
       * ellipsis, so a long value never runs past the border. */
      pango_layout_set_height (layout, -max_lines);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }

  if (self->min_font_mm == 0 || em_mm < self->min_font_mm)
    self->min_font_mm = em_mm;

  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);

  return (double) logical.height / PANGO_SCALE;
}

static double
layout_width (PangoLayout *layout)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);

  return (double) logical.width / PANGO_SCALE;
}

/* Values are single paragraphs: a newline typed into a field would otherwise
 * start a paragraph with its own line budget. */
static char *
escape_value (const char *value)
{
  g_autofree char *flat = g_strdup (value != NULL ? value : "");

  g_strdelimit (flat, "\r\n\t", ' ');

  return g_markup_escape_text (flat, -1);
}

/* Joins every character of @text with U+2060 WORD JOINER, so a short
 * caption-and-value pair moves to the next line whole instead of breaking
 * between two CJK characters ("液 / 态"). */
static char *
glue (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (p != text)
        g_string_append (s, "\u2060");
      g_string_append_unichar (s, g_utf8_get_char (p));
    }

  return g_string_free (s, FALSE);
}

typedef struct
{
  char        *markup;
  int          max_lines;
  int          min_lines;  /* keeps this many while other rows can give */
  PangoLayout *layout;
  gboolean     is_code;
} Row;

static void
row_clear (Row *row)
{
  g_free (row->markup);
  g_clear_object (&row->layout);
}

static void
add_row (GArray     *rows,
         const char *caption,
         const char *value,
         int         max_lines,
         int         min_lines)
{
  Row row = { 0 };
  g_autofree char *escaped = escape_value (value);

  row.markup = g_strdup_printf ("<b>%s</b>%s", caption, escaped);
  row.max_lines = max_lines;
  row.min_lines = min_lines;
  g_array_append_val (rows, row);
}

static void
show_layout_at (cairo_t     *cr,
                PangoLayout *layout,
                double       x,
                double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
record_fixed_part (WtLabelRenderer      *self,
                   const WtLabelContent *content)
{
  /* Captions are the regulatory wording of HJ 1276 and must read the same
   * in every locale, so they are not marked for translation. */
  const double size = self->size_pt;
  const double border = WT_MM_TO_PT (border_mm (self->options.size_mm));
  const double margin = WT_MM_TO_PT (MARGIN_MM);
  const double em = WT_MM_TO_PT (wt_label_min_text_mm (self->options.size_mm));
  const double pad = MAX (WT_MM_TO_PT (1.5), 0.5 * em);
  const double inner_left = margin + border;
  const double inner_right = size - margin - border;
  const double inner_w = inner_right - inner_left;
  const double left = inner_left + pad;
  const double right = inner_right - pad;
  const double top = inner_left + pad * 0.5;
  const double bottom = inner_right - pad;
  const double gap = 0.5 * em;
  double right_w, right_x, left_w, line_h, y, title_em, rows_top, avail;
  double total, row_gap, hazard_bottom, pitch;
  cairo_rectangle_t extents = { 0, 0, size, size };
  cairo_t *cr;
  PangoLayout *layout;
  g_autoptr(GArray) rows = NULL;
  g_autofree char *name = NULL;
  g_autofree char *code_form = NULL;
  g_autofree char *code_escaped = NULL;
  g_autofree char *form_escaped = NULL;
  g_autofree char *form_caption = NULL;
  g_autofree char *sample_code = NULL;
  g_autofree char *sample_display = NULL;
  WtCodeSplit split;
  int code_lines;
  guint code_row = 0;

  self->fixed = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, &extents);
  cr = cairo_create (self->fixed);

  /* Background over the whole page, margin included, then the border. */
  cairo_set_source_rgb (cr, ORANGE_R, ORANGE_G, ORANGE_B);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, border);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_rectangle (cr, margin + border / 2, margin + border / 2,
                   size - 2 * margin - border, size - 2 * margin - border);
  cairo_stroke (cr);

  /* Nothing is drawn outside the border, whatever the text. */
  cairo_rectangle (cr, inner_left, inner_left, inner_w, inner_w);
  cairo_clip (cr);

  /* Title band: 危险废物 centred, with room for the copy and reprint marks. */
  title_em = MAX (WT_MM_TO_PT (self->options.size_mm * 0.075), 2 * em);
  layout = new_layout (self, FONT_FAMILY, title_em, TRUE, right - left, 1);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_text (layout, "危险废物", -1);
  show_layout_at (cr, layout, left, top);
  y = top + layout_height (layout);
  g_object_unref (layout);

  self->mark_layout = new_layout (self, FONT_FAMILY, em, TRUE, -1, 0);
  pango_layout_set_text (self->mark_layout, "重印", -1);
  line_h = layout_height (self->mark_layout);
  pitch = LINE_PITCH * line_h;
  self->mark_left_x = left;
  self->mark_right_x = right;
  self->mark_y = top + (y - top - line_h) / 2;

  rows_top = y + gap * 0.5;

  /* Right column: 危险特性 marks at the top, the QR code at the bottom. */
  right_w = floor (RIGHT_COLUMN_SHARE * inner_w);
  right_x = right - right_w;
  left_w = right_x - gap - left;

  layout = new_layout (self, FONT_FAMILY, em, TRUE, right_w, 1);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_text (layout, "危险特性", -1);
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_layout_at (cr, layout, right_x, rows_top);
  y = rows_top + layout_height (layout) + gap * 0.25;
  g_object_unref (layout);

  for (guint n = 0; n < WT_N_HAZARDS; n++)
    {
      const double box_h = line_h + 0.5 * em;
      const double lw = MAX (WT_MM_TO_PT (0.3), border / 3);
      gboolean set = (content->hazards & wt_hazard_nth (n)) != 0;
      g_autofree char *markup = g_strdup_printf ("<b>%s</b>  %s",
                                                 wt_hazard_letter (n),
                                                 wt_hazard_name_zh (n));

      cairo_set_source_rgb (cr, 0, 0, 0);
      if (set)
        {
          cairo_rectangle (cr, right_x, y, right_w, box_h);
          cairo_fill (cr);
        }
      else
        {
          cairo_set_line_width (cr, lw);
          cairo_rectangle (cr, right_x + lw / 2, y + lw / 2, right_w - lw, box_h - lw);
          cairo_stroke (cr);
        }

      layout = new_layout (self, FONT_FAMILY, em, FALSE, right_w, 1);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_set_markup (layout, markup, -1);
      if (set)
        cairo_set_source_rgb (cr, 1, 1, 1);
      show_layout_at (cr, layout, right_x, y + (box_h - layout_height (layout)) / 2);
      g_object_unref (layout);

      y += box_h + gap * 0.4;
    }
  hazard_bottom = y;

  self->qr_right = right;
  self->qr_bottom = bottom;
  self->qr_space = MIN (right_w, bottom - hazard_bottom - gap);

  /* Left column: the fields in the order of HJ 1276 Annex A. */
  rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (rows, (GDestroyNotify) row_clear);

  if (content->common_name[0] != '\0')
    name = g_strdup_printf ("%s（俗称：%s）", content->waste_name, content->common_name);
  else
    name = g_strdup (content->waste_name);
  add_row (rows, "废物名称：", name, 2, 2);
  add_row (rows, "废物类别：", content->category, 1, 1);
  code_escaped = escape_value (content->waste_code);
  form_caption = glue ("废物形态：");
  {
    g_autofree char *form_glued = glue (content->form);

    form_escaped = escape_value (form_glued);
  }
  code_form = g_strdup_printf ("<b>废物代码：</b>%s  <b>%s</b>\u2060%s",
                               code_escaped, form_caption, form_escaped);
  g_array_append_vals (rows, &(Row) { g_steal_pointer (&code_form), 2, 2, NULL, FALSE }, 1);
  add_row (rows, "主要成分：", content->main_components, 2, 1);
  add_row (rows, "有害成分：", content->harmful_components, 2, 1);
  add_row (rows, "注意事项：", content->precautions, 3, 1);
  code_row = rows->len;
  g_array_append_vals (rows, &(Row) { g_strdup ("<b>数字识别码：</b>"), 1, 1, NULL, TRUE }, 1);
  add_row (rows, "产生/收集单位：", content->producer, 2, 1);
  add_row (rows, "联系人和联系方式：", content->contact, 2, 1);
  add_row (rows, "产生日期：", content->date, 1, 1);
  add_row (rows, "废物重量：", content->weight, 1, 1);
  add_row (rows, "备注：", content->notes, 2, 1);

  /* The code goes after its caption, wrapping under it. Its line budget
   * comes from a code of the default length, so every label of the batch
   * gets the same room whatever its digits (the font is monospaced). */
  self->code_layout = new_layout (self, FONT_FAMILY_MONO, em, FALSE, left_w, 0);
  {
    Row *row = &g_array_index (rows, Row, code_row);
    PangoLayout *caption = new_layout (self, FONT_FAMILY, em, FALSE, left_w, 1);

    pango_layout_set_markup (caption, row->markup, -1);
    pango_layout_set_indent (self->code_layout,
                             (int) ceil (layout_width (caption) * PANGO_SCALE));
    g_object_unref (caption);
  }
  wt_code_split_init_default (&split);
  sample_code = g_strnfill (wt_code_split_length (&split), 'W');
  sample_display = wt_code_to_display (&split, sample_code);
  pango_layout_set_text (self->code_layout, sample_display, -1);
  code_lines = MAX (1, pango_layout_get_line_count (self->code_layout));
  pango_layout_set_height (self->code_layout, -code_lines);
  pango_layout_set_ellipsize (self->code_layout, PANGO_ELLIPSIZE_END);
  g_array_index (rows, Row, code_row).max_lines = code_lines;

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      row->layout = new_layout (self, FONT_FAMILY, em, FALSE, left_w, row->max_lines);
      pango_layout_set_markup (row->layout, row->markup, -1);
      row->is_code = i == code_row;
    }

  /* Fit the column: while it is too tall, take a line from the row that
   * uses the most, free text (components, precautions, notes) before the
   * name and the codes. Minimum sizes cannot drop, so text gives way,
   * never type. */
  avail = bottom - rows_top - (line_h - pitch);
  for (;;)
    {
      Row *longest = NULL;
      int longest_lines = 0;

      total = 0;
      for (guint i = 0; i < rows->len; i++)
        {
          Row *row = &g_array_index (rows, Row, i);

          if (row->is_code)
            total += code_lines * pitch;
          else
            total += pango_layout_get_line_count (row->layout) * pitch;
        }
      if (total <= avail)
        break;

      for (guint pass = 0; pass < 2 && longest == NULL; pass++)
        for (guint i = 0; i < rows->len; i++)
          {
            Row *row = &g_array_index (rows, Row, i);
            int lines = pango_layout_get_line_count (row->layout);
            int floor_lines = pass == 0 ? row->min_lines : 1;

            if (row->is_code || lines <= floor_lines)
              continue;
            if (lines > longest_lines)
              {
                longest = row;
                longest_lines = lines;
              }
          }

      if (longest == NULL)
        break;

      pango_layout_set_height (longest->layout, -(longest_lines - 1));
    }

  /* Spread what is left between the rows, like the ruled lines of a form,
   * but not so far that the label looks empty at the bottom. */
  row_gap = rows->len > 1 ? MAX (0, (avail - total) / (rows->len - 1)) : 0;
  row_gap = MIN (row_gap, 0.6 * line_h);

  cairo_set_source_rgb (cr, 0, 0, 0);
  y = rows_top;
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      show_layout_at (cr, row->layout, left, y);
      if (row->is_code)
        {
          self->code_x = left;
          self->code_y = y;
          y += code_lines * pitch;
        }
      else
        {
          y += pango_layout_get_line_count (row->layout) * pitch;
        }
      y += row_gap;
    }

  cairo_destroy (cr);
}

WtLabelRenderer *
wt_label_renderer_new (const WtLabelContent *content,
                       const WtLabelOptions *options)
{
  WtLabelRenderer *self;
  PangoFontMap *font_map;
  cairo_font_options_t *font_options;

  g_return_val_if_fail (content != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (wt_label_size_is_valid (options->size_mm), NULL);

  self = g_new0 (WtLabelRenderer, 1);
  self->options = *options;
  self->size_pt = WT_MM_TO_PT (options->size_mm);
  self->dot_pt = dot_pt (options);

  /* One context for every layout of the renderer. Unhinted metrics and
   * unrounded positions keep the layout identical at every scale: the
   * recorded part is replayed onto PDF, 203 and 300 dpi alike. */
  font_map = pango_cairo_font_map_get_default ();
  self->pango = pango_font_map_create_context (font_map);
  font_options = cairo_font_options_create ();
  cairo_font_options_set_hint_metrics (font_options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (font_options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (self->pango, font_options);
  cairo_font_options_destroy (font_options);
  pango_cairo_context_set_resolution (self->pango, 72.0);
  pango_context_set_round_glyph_positions (self->pango, FALSE);
  pango_context_set_language (self->pango, pango_language_from_string ("zh-cn"));

  record_fixed_part (self, content);

  return self;
}

void
wt_label_renderer_free (WtLabelRenderer *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->code_layout);
  g_clear_object (&self->mark_layout);
  g_clear_object (&self->pango);
  g_clear_pointer (&self->fixed, cairo_surface_destroy);
  g_free (self);
}

double
wt_label_renderer_get_size (WtLabelRenderer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size_pt;
}

double
wt_label_renderer_get_min_font_mm (WtLabelRenderer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->min_font_mm;
}

/* Whole dots per module and the quiet zone's top-left corner, both on the
 * dot grid of the label. */
static gboolean
qr_geometry (WtLabelRenderer *self,
             const WtQr      *qr,
             guint           *out_dots,
             double          *out_x,
             double          *out_y,
             GError         **error)
{
  int n = qr->width + 2 * QUIET_ZONE_MODULES;
  double dots = floor (self->qr_space / (n * self->dot_pt) + 1e-9);
  double side;

  if (dots < MIN_DOTS_PER_MODULE)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The QR code does not fit on a %u mm label; choose a larger "
                     "label or a lower error correction level."),
                   self->options.size_mm);
      return FALSE;
    }

  side = n * dots * self->dot_pt;
  *out_dots = (guint) dots;
  *out_x = floor ((self->qr_right - side) / self->dot_pt + 1e-9) * self->dot_pt;
  *out_y = floor ((self->qr_bottom - side) / self->dot_pt + 1e-9) * self->dot_pt;

  return TRUE;
}

gboolean
wt_label_renderer_get_qr_geometry (WtLabelRenderer *self,
                                   const char      *payload,
                                   guint           *out_dots_per_module,
                                   double          *out_x_pt,
                                   double          *out_y_pt,
                                   double          *out_side_pt,
                                   GError         **error)
{
  g_autoptr(WtQr) qr = NULL;
  guint dots;
  double x, y;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);

  qr = wt_qr_encode (payload, self->options.ecc, error);
  if (qr == NULL || !qr_geometry (self, qr, &dots, &x, &y, error))
    return FALSE;

  if (out_dots_per_module != NULL)
    *out_dots_per_module = dots;
  if (out_x_pt != NULL)
    *out_x_pt = x;
  if (out_y_pt != NULL)
    *out_y_pt = y;
  if (out_side_pt != NULL)
    *out_side_pt = (qr->width + 2 * QUIET_ZONE_MODULES) * dots * self->dot_pt;

  return TRUE;
}

/* A 1-bit image, one pixel per module, drawn through a nearest-neighbour
 * pattern: a few hundred bytes in a PDF and one blit on raster surfaces,
 * where thousands of rectangles cost tessellation. */
static void
draw_qr_image (cairo_t    *cr,
               const WtQr *qr,
               double      x,
               double      y,
               double      module)
{
  cairo_surface_t *image;
  cairo_pattern_t *pattern;
  guint8 *data;
  int stride;

  image = cairo_image_surface_create (CAIRO_FORMAT_A1, qr->width, qr->width);
  cairo_surface_flush (image);
  data = cairo_image_surface_get_data (image);
  stride = cairo_image_surface_get_stride (image);
  memset (data, 0, (gsize) stride * (gsize) qr->width);

  for (int row = 0; row < qr->width; row++)
    {
      /* A1 packs pixels into 32-bit words in the platform's bit order. */
      guint32 *words = (guint32 *) (gpointer) (data + (gsize) row * (gsize) stride);
      const guint8 *modules = qr->modules + (gsize) row * (gsize) qr->width;

      for (int col = 0; col < qr->width; col++)
        {
          if (!modules[col])
            continue;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          words[col / 32] |= (guint32) 1 << (col % 32);
#else
          words[col / 32] |= (guint32) 1 << (31 - col % 32);
#endif
        }
    }
  cairo_surface_mark_dirty (image);

  pattern = cairo_pattern_create_for_surface (image);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);

  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, module, module);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_mask (cr, pattern);
  cairo_restore (cr);

  cairo_pattern_destroy (pattern);
  cairo_surface_destroy (image);
}

/* One rectangle per horizontal run of dark modules: vector output for SVG
 * and for printers that scale images badly. */
static void
draw_qr_vector (cairo_t    *cr,
                const WtQr *qr,
                double      x,
                double      y,
                double      module)
{
  cairo_save (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_new_path (cr);
  for (int row = 0; row < qr->width; row++)
    {
      const guint8 *modules = qr->modules + (gsize) row * (gsize) qr->width;
      int col = 0;

      while (col < qr->width)
        {
          int start;

          if (!modules[col])
            {
              col++;
              continue;
            }
          start = col;
          while (col < qr->width && modules[col])
            col++;
          cairo_rectangle (cr, x + start * module, y + row * module,
                           (col - start) * module, module);
        }
    }
  cairo_fill (cr);
  cairo_restore (cr);
}

/* Draws one label with an already encoded @qr (see QrPrefetch). */
static gboolean
draw_with_qr (WtLabelRenderer    *self,
              cairo_t            *cr,
              const WtLabelItem  *item,
              const WtQr         *qr,
              GError            **error)
{
  g_autofree char *display = NULL;
  WtCodeSplit split;
  guint dots;
  double qr_x, qr_y, module, side;

  if (!qr_geometry (self, qr, &dots, &qr_x, &qr_y, error))
    return FALSE;

  cairo_save (cr);

  cairo_set_source_surface (cr, self->fixed, 0, 0);
  cairo_paint (cr);

  /* The quiet zone must be light for scanners: white, not orange. */
  module = dots * self->dot_pt;
  side = (qr->width + 2 * QUIET_ZONE_MODULES) * module;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, qr_x, qr_y, side, side);
  cairo_fill (cr);

  if (self->options.vector_qr)
    draw_qr_vector (cr, qr, qr_x + QUIET_ZONE_MODULES * module,
                    qr_y + QUIET_ZONE_MODULES * module, module);
  else
    draw_qr_image (cr, qr, qr_x + QUIET_ZONE_MODULES * module,
                   qr_y + QUIET_ZONE_MODULES * module, module);

  cairo_set_source_rgb (cr, 0, 0, 0);
  if (item->container_code != NULL && item->container_code[0] != '\0')
    {
      wt_code_split_init_default (&split);
      display = wt_code_to_display (&split, item->container_code);
      pango_layout_set_text (self->code_layout, display, -1);
      pango_cairo_update_layout (cr, self->code_layout);
      show_layout_at (cr, self->code_layout, self->code_x, self->code_y);
    }

  if (item->n_copies > 1)
    {
      g_autofree char *text = g_strdup_printf ("%u/%u", item->copy, item->n_copies);

      pango_layout_set_text (self->mark_layout, text, -1);
      pango_cairo_update_layout (cr, self->mark_layout);
      show_layout_at (cr, self->mark_layout, self->mark_left_x, self->mark_y);
    }

  if (item->reprint > 0)
    {
      g_autofree char *text = g_strdup_printf ("重印 %u", item->reprint);

      pango_layout_set_text (self->mark_layout, text, -1);
      pango_cairo_update_layout (cr, self->mark_layout);
      show_layout_at (cr, self->mark_layout,
                      self->mark_right_x - layout_width (self->mark_layout),
                      self->mark_y);
    }

  cairo_restore (cr);

  return TRUE;
}

gboolean
wt_label_renderer_draw (WtLabelRenderer    *self,
                        cairo_t            *cr,
                        const WtLabelItem  *item,
                        GError            **error)
{
  g_autoptr(WtQr) qr = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (cr != NULL, FALSE);
  g_return_val_if_fail (item != NULL && item->payload != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  qr = wt_qr_encode (item->payload, self->options.ecc, error);
  if (qr == NULL)
    return FALSE;

  return draw_with_qr (self, cr, item, qr, error);
}

/* ---- QR prefetch --------------------------------------------------------- */

/* libqrencode spends most of a label's time choosing the mask, so a batch
 * encodes its codes on worker threads, at most WINDOW ahead of the label
 * being drawn, while the calling thread lays out and writes. wt_qr_encode()
 * is thread-safe; cairo and pango stay on the calling thread.
 *
 * Invariants (under @lock): slots [consumed, next) are being encoded or
 * done; a done slot has qrs[i] or errors[i] set; workers never run more
 * than WINDOW past @consumed. */
#define PREFETCH_WINDOW 64
#define PREFETCH_MAX_THREADS 4

typedef struct
{
  const WtLabelItem *items;
  guint              n_items;
  WtEcc              ecc;
  WtQr             **qrs;
  GError           **errors;
  GMutex             lock;
  GCond              cond;
  guint              next;
  guint              consumed;
  gboolean           stop;
  guint              n_threads;
  GThread           *threads[PREFETCH_MAX_THREADS];
} QrPrefetch;

static gpointer
prefetch_worker (gpointer data)
{
  QrPrefetch *pf = data;

  for (;;)
    {
      WtQr *qr;
      GError *error = NULL;
      guint i;

      g_mutex_lock (&pf->lock);
      while (!pf->stop && pf->next < pf->n_items &&
             pf->next >= pf->consumed + PREFETCH_WINDOW)
        g_cond_wait (&pf->cond, &pf->lock);
      if (pf->stop || pf->next >= pf->n_items)
        {
          g_mutex_unlock (&pf->lock);
          return NULL;
        }
      i = pf->next++;
      g_mutex_unlock (&pf->lock);

      qr = wt_qr_encode (pf->items[i].payload, pf->ecc, &error);

      g_mutex_lock (&pf->lock);
      pf->qrs[i] = qr;
      pf->errors[i] = error;
      g_cond_broadcast (&pf->cond);
      g_mutex_unlock (&pf->lock);
    }
}

static QrPrefetch *
prefetch_new (const WtLabelItem *items,
              guint              n_items,
              WtEcc              ecc)
{
  QrPrefetch *pf = g_new0 (QrPrefetch, 1);
  guint n_cpus = g_get_num_processors ();

  pf->items = items;
  pf->n_items = n_items;
  pf->ecc = ecc;
  pf->qrs = g_new0 (WtQr *, n_items);
  pf->errors = g_new0 (GError *, n_items);
  g_mutex_init (&pf->lock);
  g_cond_init (&pf->cond);

  /* Leave one CPU to the drawing thread; with one CPU, encode in place. */
  pf->n_threads = n_items > 1 ? CLAMP (n_cpus, 2, PREFETCH_MAX_THREADS + 1) - 1 : 0;
  if (n_cpus < 2)
    pf->n_threads = 0;
  for (guint t = 0; t < pf->n_threads; t++)
    pf->threads[t] = g_thread_new ("wt-qr-encode", prefetch_worker, pf);

  return pf;
}

/* Returns (transfer full) the code of item @i, or NULL with @error set. */
static WtQr *
prefetch_take (QrPrefetch  *pf,
               guint        i,
               GError     **error)
{
  WtQr *qr;
  GError *local_error;

  if (pf->n_threads == 0)
    return wt_qr_encode (pf->items[i].payload, pf->ecc, error);

  g_mutex_lock (&pf->lock);
  while (pf->qrs[i] == NULL && pf->errors[i] == NULL)
    g_cond_wait (&pf->cond, &pf->lock);
  qr = g_steal_pointer (&pf->qrs[i]);
  local_error = g_steal_pointer (&pf->errors[i]);
  pf->consumed = i + 1;
  g_cond_broadcast (&pf->cond);
  g_mutex_unlock (&pf->lock);

  if (local_error != NULL)
    g_propagate_error (error, local_error);

  return qr;
}

static void
prefetch_free (QrPrefetch *pf)
{
  g_mutex_lock (&pf->lock);
  pf->stop = TRUE;
  g_cond_broadcast (&pf->cond);
  g_mutex_unlock (&pf->lock);

  for (guint t = 0; t < pf->n_threads; t++)
    g_thread_join (pf->threads[t]);

  for (guint i = 0; i < pf->n_items; i++)
    {
      wt_qr_free (pf->qrs[i]);
      g_clear_error (&pf->errors[i]);
    }
  g_free (pf->qrs);
  g_free (pf->errors);
  g_mutex_clear (&pf->lock);
  g_cond_clear (&pf->cond);
  g_free (pf);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QrPrefetch, prefetch_free)

/* Draws item @i of a batch with its prefetched code. */
static gboolean
draw_batch_item (WtLabelRenderer  *self,
                 QrPrefetch       *pf,
                 cairo_t          *cr,
                 guint             i,
                 GError          **error)
{
  g_autoptr(WtQr) qr = prefetch_take (pf, i, error);

  if (qr == NULL)
    return FALSE;

  return draw_with_qr (self, cr, &pf->items[i], qr, error);
}

/* ---- formats ------------------------------------------------------------- */

gboolean
wt_label_format_parse (const char    *text,
                       WtLabelFormat *out_format)
{
  WtLabelFormat format;

  g_return_val_if_fail (text != NULL, FALSE);

  if (g_ascii_strcasecmp (text, "pdf") == 0)
    format = WT_LABEL_FORMAT_PDF;
  else if (g_ascii_strcasecmp (text, "png") == 0)
    format = WT_LABEL_FORMAT_PNG;
  else if (g_ascii_strcasecmp (text, "svg") == 0)
    format = WT_LABEL_FORMAT_SVG;
  else
    return FALSE;

  if (out_format != NULL)
    *out_format = format;

  return TRUE;
}

gboolean
wt_label_format_from_path (const char    *path,
                           WtLabelFormat *out_format)
{
  g_autofree char *base = NULL;
  const char *dot;

  g_return_val_if_fail (path != NULL, FALSE);

  base = g_path_get_basename (path);
  dot = strrchr (base, '.');
  if (dot == NULL || dot == base)
    return FALSE;

  return wt_label_format_parse (dot + 1, out_format);
}

/* ---- output -------------------------------------------------------------- */

/* Invariants: @temp_paths[i] becomes @final_paths[i] on commit; until then
 * every existing temporary file is listed in @temp_paths and removed by
 * free. @final_paths is NULL-terminated. */
struct _WtLabelOutput
{
  GPtrArray *temp_paths;
  GPtrArray *final_paths;
  gboolean   committed;
};

/* One file being written: cairo's stream callbacks go through stdio with a
 * large buffer; the first failing write's errno is kept for the message. */
typedef struct
{
  FILE       *fp;
  const char *final_path;
  int         saved_errno;
} Sink;

static cairo_status_t
sink_write_cb (void                *closure,
               const unsigned char *data,
               unsigned int         length)
{
  Sink *sink = closure;

  if (sink->saved_errno != 0)
    return CAIRO_STATUS_WRITE_ERROR;

  if (length > 0 && fwrite (data, 1, length, sink->fp) != length)
    {
      sink->saved_errno = errno != 0 ? errno : EIO;
      return CAIRO_STATUS_WRITE_ERROR;
    }

  return CAIRO_STATUS_SUCCESS;
}

static void
set_write_error (GError     **error,
                 const char  *final_path,
                 int          errsv)
{
  g_autofree char *display_name = g_filename_display_name (final_path);

  g_set_error (error, WT_ERROR, WT_ERROR_IO,
               _("Could not write the labels to “%s”: %s."),
               display_name, g_strerror (errsv));
}

/* Creates the temporary file for @final_path next to it, so the final
 * rename stays within one file system, and registers it with @self. */
static gboolean
sink_open (WtLabelOutput  *self,
           Sink           *sink,
           const char     *final_path,
           GError        **error)
{
  g_autofree char *dir = g_path_get_dirname (final_path);
  g_autofree char *base = g_path_get_basename (final_path);
  g_autofree char *tmpl_name = g_strdup_printf (".%s.XXXXXX", base);
  char *tmpl = g_build_filename (dir, tmpl_name, NULL);
  int fd;

  memset (sink, 0, sizeof *sink);

  /* Mode 0666 minus the umask, as the final file would get from open(). */
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int errsv = errno;
      g_autofree char *display_dir = g_filename_display_name (dir);

      g_free (tmpl);
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("Cannot write to the folder “%s”: %s."),
                   display_dir, g_strerror (errsv));
      return FALSE;
    }

  g_ptr_array_add (self->temp_paths, tmpl);
  g_ptr_array_insert (self->final_paths, (int) self->final_paths->len - 1,
                      g_strdup (final_path));

  sink->fp = fdopen (fd, "wb");
  if (sink->fp == NULL)
    {
      int errsv = errno;

      close (fd);
      set_write_error (error, final_path, errsv);
      return FALSE;
    }
  setvbuf (sink->fp, NULL, _IOFBF, 256 * 1024);
  sink->final_path = final_path;

  return TRUE;
}

/* Flushes, syncs and closes; the data are on disk when this returns TRUE. */
static gboolean
sink_close (Sink    *sink,
            GError **error)
{
  int errsv = sink->saved_errno;

  if (sink->fp == NULL)
    return errsv == 0;

  if (fflush (sink->fp) != 0 && errsv == 0)
    errsv = errno;
  if (errsv == 0 && fsync (fileno (sink->fp)) != 0)
    errsv = errno;
  if (fclose (sink->fp) != 0 && errsv == 0)
    errsv = errno;
  sink->fp = NULL;

  if (errsv != 0)
    {
      set_write_error (error, sink->final_path, errsv);
      return FALSE;
    }

  return TRUE;
}

/* After a failure: the sink's errno names the cause if the stream failed,
 * otherwise cairo's own status does. */
static void
set_cairo_error (GError         **error,
                 const Sink      *sink,
                 cairo_status_t   status)
{
  if (sink->saved_errno != 0)
    set_write_error (error, sink->final_path, sink->saved_errno);
  else if (status == CAIRO_STATUS_NO_MEMORY)
    set_write_error (error, sink->final_path, ENOMEM);
  else
    {
      g_autofree char *display_name = g_filename_display_name (sink->final_path);

      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("Could not write the labels to “%s”: %s."),
                   display_name, cairo_status_to_string (status));
    }
}

static gboolean
check_cancelled (GCancellable  *cancellable,
                 GError       **error)
{
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_CANCELLED,
                   _("The labels were not written because the job was cancelled."));
      return TRUE;
    }

  return FALSE;
}

/* "dir/out.png" → "dir/out-0001.png"; a single label keeps the name. */
static char *
numbered_path (const char *path,
               guint       index,
               guint       n_items)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;
  const char *dot;

  if (n_items == 1)
    return g_strdup (path);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  dot = strrchr (base, '.');
  if (dot == NULL || dot == base)
    name = g_strdup_printf ("%s-%04u", base, index + 1);
  else
    name = g_strdup_printf ("%.*s-%04u%s", (int) (dot - base), base, index + 1, dot);

  return g_build_filename (dir, name, NULL);
}

static gboolean
write_pdf (WtLabelOutput        *self,
           const WtLabelContent *content,
           const WtLabelOptions *options,
           const WtLabelItem    *items,
           guint                 n_items,
           const char           *path,
           GCancellable         *cancellable,
           WtProgressFunc        progress,
           gpointer              progress_data,
           GError              **error)
{
  g_autoptr(WtLabelRenderer) renderer = NULL;
  g_autoptr(QrPrefetch) prefetch = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  double page_w, page_h;
  guint current_page = 0;
  gboolean ok = TRUE;
  Sink sink;

  if (!sink_open (self, &sink, path, error))
    return FALSE;

  prefetch = prefetch_new (items, n_items, options->ecc);
  renderer = wt_label_renderer_new (content, options);
  wt_label_page_size (options, &page_w, &page_h);
  surface = cairo_pdf_surface_create_for_stream (sink_write_cb, &sink, page_w, page_h);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, "危险废物标签");
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Wastetag");
  cr = cairo_create (surface);

  for (guint i = 0; i < n_items && ok; i++)
    {
      guint page;
      double x, y;

      if (check_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }

      wt_label_place (options, i, &page, &x, &y);
      if (i > 0 && page != current_page)
        cairo_show_page (cr);
      current_page = page;

      cairo_save (cr);
      cairo_translate (cr, x, y);
      ok = draw_batch_item (renderer, prefetch, cr, i, error);
      cairo_restore (cr);

      if (ok && (status = cairo_status (cr)) != CAIRO_STATUS_SUCCESS)
        {
          set_cairo_error (error, &sink, status);
          ok = FALSE;
        }

      if (ok && progress != NULL)
        progress (i + 1, n_items, progress_data);
    }

  if (ok)
    cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (ok && status != CAIRO_STATUS_SUCCESS)
    {
      set_cairo_error (error, &sink, status);
      ok = FALSE;
    }

  if (!ok)
    {
      sink_close (&sink, NULL);
      return FALSE;
    }

  return sink_close (&sink, error);
}

static gboolean
write_one_image (WtLabelOutput        *self,
                 WtLabelRenderer      *renderer,
                 QrPrefetch           *prefetch,
                 guint                 index,
                 WtLabelFormat         format,
                 cairo_surface_t      *image,
                 double                scale,
                 const char           *final_path,
                 GError              **error)
{
  cairo_surface_t *surface = NULL;
  cairo_t *cr;
  cairo_status_t status;
  gboolean ok;
  Sink sink;

  if (!sink_open (self, &sink, final_path, error))
    return FALSE;

  if (format == WT_LABEL_FORMAT_SVG)
    {
      double size = wt_label_renderer_get_size (renderer);

      surface = cairo_svg_surface_create_for_stream (sink_write_cb, &sink, size, size);
      cr = cairo_create (surface);
    }
  else
    {
      cr = cairo_create (image);
      cairo_scale (cr, scale, scale);
    }

  ok = draw_batch_item (renderer, prefetch, cr, index, error);
  if (ok && (status = cairo_status (cr)) != CAIRO_STATUS_SUCCESS)
    {
      set_cairo_error (error, &sink, status);
      ok = FALSE;
    }
  cairo_destroy (cr);

  if (surface != NULL)
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
      cairo_surface_destroy (surface);
    }
  else if (ok)
    {
      cairo_surface_flush (image);
      status = cairo_surface_write_to_png_stream (image, sink_write_cb, &sink);
    }
  else
    {
      status = CAIRO_STATUS_SUCCESS;
    }

  if (ok && status != CAIRO_STATUS_SUCCESS)
    {
      set_cairo_error (error, &sink, status);
      ok = FALSE;
    }

  if (!ok)
    {
      sink_close (&sink, NULL);
      return FALSE;
    }

  return sink_close (&sink, error);
}

static gboolean
write_images (WtLabelOutput        *self,
              const WtLabelContent *content,
              const WtLabelOptions *options,
              const WtLabelItem    *items,
              guint                 n_items,
              WtLabelFormat         format,
              const char           *path,
              GCancellable         *cancellable,
              WtProgressFunc        progress,
              gpointer              progress_data,
              GError              **error)
{
  g_autoptr(WtLabelRenderer) renderer = NULL;
  g_autoptr(QrPrefetch) prefetch = NULL;
  WtLabelOptions image_options = *options;
  cairo_surface_t *image = NULL;
  double scale = 1.0;
  gboolean ok = TRUE;

  /* Images are one label each; a sheet layout means nothing here. SVG is
   * vector, so its QR code is too. */
  image_options.layout = WT_LABEL_LAYOUT_SINGLE;
  if (format == WT_LABEL_FORMAT_SVG)
    image_options.vector_qr = TRUE;
  prefetch = prefetch_new (items, n_items, options->ecc);
  renderer = wt_label_renderer_new (content, &image_options);

  if (format == WT_LABEL_FORMAT_PNG)
    {
      double dpi = options->dpi > 0 ? options->dpi : 300.0;
      int px = (int) round (options->size_mm / 25.4 * dpi);

      /* Exactly dpi/72 pixels per point, so the QR's dots are pixels. */
      scale = dpi / 72.0;
      image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, px, px);
      if (cairo_surface_status (image) != CAIRO_STATUS_SUCCESS)
        {
          cairo_surface_destroy (image);
          set_write_error (error, path, ENOMEM);
          return FALSE;
        }
    }

  for (guint i = 0; i < n_items && ok; i++)
    {
      g_autofree char *final_path = NULL;

      if (check_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }

      final_path = numbered_path (path, i, n_items);
      ok = write_one_image (self, renderer, prefetch, i, format, image, scale,
                            final_path, error);

      if (ok && progress != NULL)
        progress (i + 1, n_items, progress_data);
    }

  g_clear_pointer (&image, cairo_surface_destroy);

  return ok;
}

WtLabelOutput *
wt_label_output_write (const WtLabelContent *content,
                       const WtLabelOptions *options,
                       const WtLabelItem    *items,
                       guint                 n_items,
                       WtLabelFormat         format,
                       const char           *path,
                       GCancellable         *cancellable,
                       WtProgressFunc        progress,
                       gpointer              progress_data,
                       GError              **error)
{
  g_autoptr(WtLabelOutput) self = NULL;
  gboolean ok;

  g_return_val_if_fail (content != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!wt_label_size_is_valid (options->size_mm))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Labels come in 100, 150 and 200 mm; %u mm is not one of them."),
                   options->size_mm);
      return NULL;
    }
  if (n_items == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("There are no labels to write."));
      return NULL;
    }

  self = g_new0 (WtLabelOutput, 1);
  self->temp_paths = g_ptr_array_new_with_free_func (g_free);
  self->final_paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->final_paths, NULL);

  if (format == WT_LABEL_FORMAT_PDF)
    ok = write_pdf (self, content, options, items, n_items, path,
                    cancellable, progress, progress_data, error);
  else
    ok = write_images (self, content, options, items, n_items, format, path,
                       cancellable, progress, progress_data, error);

  /* Freeing removes the temporary files written so far. */
  if (!ok)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
wt_label_output_commit (WtLabelOutput  *self,
                        GError        **error)
{
  g_autofree char *dir = NULL;
  int dir_fd;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->committed, FALSE);

  /* Files renamed before a failing rename stay: each is a complete label.
   * The rest stay temporary and go when the output is freed. */
  while (self->temp_paths->len > 0)
    {
      guint i = (self->final_paths->len - 1) - self->temp_paths->len;
      const char *temp = g_ptr_array_index (self->temp_paths, 0);
      const char *final = g_ptr_array_index (self->final_paths, i);

      if (g_rename (temp, final) != 0)
        {
          int errsv = errno;

          set_write_error (error, final, errsv);
          return FALSE;
        }
      g_ptr_array_remove_index (self->temp_paths, 0);
    }

  /* Make the renames themselves durable. */
  if (self->final_paths->len > 1)
    {
      dir = g_path_get_dirname (g_ptr_array_index (self->final_paths, 0));
      dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd >= 0)
        {
          fsync (dir_fd);
          close (dir_fd);
        }
    }

  self->committed = TRUE;

  return TRUE;
}

const char * const *
wt_label_output_get_paths (WtLabelOutput *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->final_paths->pdata;
}

void
wt_label_output_free (WtLabelOutput *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->temp_paths->len; i++)
    g_unlink (g_ptr_array_index (self->temp_paths, i));

  g_ptr_array_unref (self->temp_paths);
  g_ptr_array_unref (self->final_paths);
  g_free (self);
}
