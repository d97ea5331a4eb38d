/* wt-catalogue.h: the 国家危险废物名录 (2021) and the EU/UK List of Waste.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WT_CATALOGUE_HW_2021, /* 国家危险废物名录（2021年版）, 467 codes */
  WT_CATALOGUE_EWC,     /* EU/UK List of Waste, 842 codes */
} WtCatalogueKind;

/**
 * WtWaste:
 * One catalogue entry. All strings are static for the process lifetime.
 */
typedef struct
{
  const char *code;          /* "900-249-08" or "13 02 05*" */
  const char *category;      /* "HW08" or the EWC chapter "13" */
  const char *category_name; /* "废矿物油与含矿物油废物" */
  const char *industry;      /* 行业来源 ("" for EWC) */
  const char *description;   /* 危险废物 */
  const char *hazard;        /* as printed: "T,I"; EWC: "" */
  guint       hazards;       /* WtHazard bits */
  gboolean    hazardous;     /* always TRUE for the 名录 */
} WtWaste;

typedef struct _WtCatalogue WtCatalogue;

/* The catalogue, loaded from the compiled-in resources on first use.
 * Thread-safe; never freed. */
WtCatalogue   *wt_catalogue_get            (WtCatalogueKind  kind);
guint          wt_catalogue_get_n_items    (WtCatalogue     *self);
const WtWaste *wt_catalogue_get_item       (WtCatalogue     *self,
                                            guint            position);
guint          wt_catalogue_get_n_categories (WtCatalogue   *self);
/* Exact lookup; accepts "900-249-08", "90024908", " 900 249 08 ". */
const WtWaste *wt_catalogue_lookup         (WtCatalogue     *self,
                                            const char      *code);
/* Results as you type: code or code prefix (with or without hyphens),
 * category ("HW08", "hw8"), hazard letter ("T", "In"), or words of the
 * description or category name ("废矿物油"). Best matches first.
 * Returns: (transfer container) (element-type WtWaste): at most @max_results. */
GPtrArray     *wt_catalogue_search         (WtCatalogue     *self,
                                            const char      *query,
                                            guint            max_results);

G_END_DECLS
