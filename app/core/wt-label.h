/* wt-label.h: the HJ 1276-2022 container label, its layout and its renderer.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Geometry is in points (1/72 in) end to end. One renderer draws the label on
 * any cairo_t: the GUI preview, PDF, PNG, SVG and the printer.
 */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "wt-qr.h"

G_BEGIN_DECLS

#define WT_MM_TO_PT(mm) ((mm) * 72.0 / 25.4)

/**
 * WtLabelContent:
 * What a label says. Strings are UTF-8, owned by the struct, never %NULL
 * after wt_label_content_new() (empty string when unset).
 */
typedef struct
{
  char   *waste_name;         /* 废物名称: the catalogue's name */
  char   *common_name;        /* 行业俗称/单位内部名称, may be "" */
  char   *category;           /* 废物类别, "HW08" */
  char   *waste_code;         /* 废物代码, "900-249-08" */
  char   *form;               /* 废物形态: 固态/液态/半固态/气态 */
  char   *main_components;    /* 主要成分 */
  char   *harmful_components; /* 有害成分 */
  guint   hazards;            /* WtHazard bits: 危险特性 */
  char   *precautions;        /* 注意事项 */
  char   *producer;           /* 产生/收集单位 */
  char   *contact;            /* 联系人和联系方式, "张三 13800000000" */
  char   *date;               /* 产生日期, "2026-11-30" */
  char   *weight;             /* 废物重量 as printed, "180 kg", may be "" */
  char   *notes;              /* 备注 */
  char   *container_type;     /* 容器类型, "钢桶" */
  double  volume_l;           /* container volume in litres, 0 if unknown */
} WtLabelContent;

WtLabelContent *wt_label_content_new   (void) G_GNUC_WARN_UNUSED_RESULT;
WtLabelContent *wt_label_content_copy  (const WtLabelContent *content) G_GNUC_WARN_UNUSED_RESULT;
void            wt_label_content_free  (WtLabelContent       *content);
/* Replaces a string field, e.g. wt_label_content_set (c, &c->notes, "x"). */
void            wt_label_content_set   (WtLabelContent       *content,
                                        char                **field,
                                        const char           *value);

typedef enum
{
  WT_LABEL_LAYOUT_SINGLE,   /* one label per page, the page is the label */
  WT_LABEL_LAYOUT_A4_SHEET, /* several labels per A4 sheet */
} WtLabelLayout;

typedef enum
{
  WT_LABEL_FORMAT_PDF,
  WT_LABEL_FORMAT_PNG,
  WT_LABEL_FORMAT_SVG,
} WtLabelFormat;

typedef struct
{
  guint          size_mm;        /* 100, 150 or 200 */
  WtEcc          ecc;
  double         dpi;            /* target printer resolution; modules snap to whole dots */
  WtLabelLayout  layout;
  guint          start_position; /* 1-based first free position on a part-used sheet */
  gboolean       vector_qr;      /* draw modules as rectangles rather than a 1-bit image */
} WtLabelOptions;

/* size 100, ECC Q, 300 dpi, single, position 1, image QR. */
void            wt_label_options_init          (WtLabelOptions *options);

/* HJ 1276: ≤50 L → 100 mm, ≤450 L → 150 mm, larger → 200 mm (0 → 100). */
guint           wt_label_size_for_volume       (double          litres);
/* Containers above 450 L carry two labels, on opposite faces. */
guint           wt_label_copies_for_volume     (double          litres);
/* Minimum text height in mm for a size: 3, 5 or 6. */
double          wt_label_min_text_mm           (guint           size_mm);
gboolean        wt_label_size_is_valid         (guint           size_mm);

/**
 * WtLabelItem:
 * One physical label of a batch: which container, what its QR says, and
 * which of the container's labels it is (copy 1 of 2...).
 */
typedef struct
{
  const char *container_code; /* canonical code, printed in groups under the QR */
  const char *payload;        /* exact QR text */
  guint       copy;           /* 1-based */
  guint       n_copies;       /* 1 or 2 */
  guint       reprint;        /* 0 for the first print, n for the n-th reprint */
} WtLabelItem;

/* A4 sheet geometry: labels per sheet for a size (0 if none fits), and where
 * the label with 0-based batch @index goes, honouring start_position. */
guint           wt_label_sheet_capacity        (guint                  size_mm);
guint           wt_label_n_pages               (const WtLabelOptions  *options,
                                                guint                  n_items);
void            wt_label_place                 (const WtLabelOptions  *options,
                                                guint                  index,
                                                guint                 *out_page,
                                                double                *out_x_pt,
                                                double                *out_y_pt);
/* Page size in points for the layout: the label itself or A4. */
void            wt_label_page_size             (const WtLabelOptions  *options,
                                                double                *out_width_pt,
                                                double                *out_height_pt);

typedef struct _WtLabelRenderer WtLabelRenderer;

/* Lays out @content once; draw() then only adds the per-container parts.
 * Not thread-safe: use one renderer per thread. */
WtLabelRenderer *wt_label_renderer_new         (const WtLabelContent  *content,
                                                const WtLabelOptions  *options) G_GNUC_WARN_UNUSED_RESULT;
void             wt_label_renderer_free        (WtLabelRenderer       *self);
/* Label edge length in points (size_mm converted). */
double           wt_label_renderer_get_size    (WtLabelRenderer       *self);
/* Draws one label with its top-left corner at the current origin of @cr.
 * Returns FALSE with @error set if the payload does not fit the label. */
gboolean         wt_label_renderer_draw        (WtLabelRenderer       *self,
                                                cairo_t               *cr,
                                                const WtLabelItem     *item,
                                                GError               **error);

typedef void (*WtProgressFunc) (guint done, guint total, gpointer user_data);

/**
 * WtLabelOutput:
 * Labels written to disk under temporary names in the output's folder.
 * Nothing shows up under the final names until wt_label_output_commit();
 * freeing an uncommitted output removes the temporary files. This lets the
 * caller register the containers in the ledger between writing and commit.
 */
typedef struct _WtLabelOutput WtLabelOutput;

/* Writes @n_items labels. PDF: one file, one page per label (or per sheet).
 * PNG/SVG: one file per label, "name-0001.png"... built from @path.
 * Honours @cancellable (WT_ERROR_CANCELLED). Safe on a worker thread.
 * Disk full or an unwritable folder gives WT_ERROR_IO and leaves nothing. */
WtLabelOutput   *wt_label_output_write         (const WtLabelContent  *content,
                                                const WtLabelOptions  *options,
                                                const WtLabelItem     *items,
                                                guint                  n_items,
                                                WtLabelFormat          format,
                                                const char            *path,
                                                GCancellable          *cancellable,
                                                WtProgressFunc         progress,
                                                gpointer               progress_data,
                                                GError               **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         wt_label_output_commit        (WtLabelOutput         *self,
                                                GError               **error);
/* Final file names, in order; valid for the output's lifetime. */
const char * const *wt_label_output_get_paths  (WtLabelOutput         *self);
void             wt_label_output_free          (WtLabelOutput         *self);

/* Guesses the format from a file name's extension; FALSE if unknown. */
gboolean         wt_label_format_from_path     (const char            *path,
                                                WtLabelFormat         *out_format);
gboolean         wt_label_format_parse         (const char            *text,
                                                WtLabelFormat         *out_format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtLabelContent, wt_label_content_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtLabelRenderer, wt_label_renderer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtLabelOutput, wt_label_output_free)

G_END_DECLS
