/* wt-hazard.h
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WtHazard:
 * The hazard characteristics of the 国家危险废物名录, as a bit set.
 */
typedef enum
{
  WT_HAZARD_NONE = 0,
  WT_HAZARD_T    = 1 << 0, /* 毒性 toxicity */
  WT_HAZARD_C    = 1 << 1, /* 腐蚀性 corrosivity */
  WT_HAZARD_I    = 1 << 2, /* 易燃性 ignitability */
  WT_HAZARD_R    = 1 << 3, /* 反应性 reactivity */
  WT_HAZARD_IN   = 1 << 4, /* 感染性 infectivity */
} WtHazard;

#define WT_HAZARD_ALL (WT_HAZARD_T | WT_HAZARD_C | WT_HAZARD_I | WT_HAZARD_R | WT_HAZARD_IN)
#define WT_N_HAZARDS 5

/* Parses "T,I", "T/C/I/R", "In" (any of , / space as separators, case-insensitive
 * letters). Returns FALSE if a token is not one of T C I R In. */
gboolean     wt_hazard_parse         (const char *text,
                                      guint      *out_hazards);
/* Returns a newly allocated "T,C,I,R,In" style string in the standard order;
 * "" for none. */
char        *wt_hazard_to_string     (guint       hazards) G_GNUC_WARN_UNUSED_RESULT;
/* The letter ("T", "C", "I", "R", "In") and the Chinese name ("毒性"...) of
 * the n-th hazard, n in 0..4, in the label's order. Static strings. */
const char  *wt_hazard_letter        (guint       n);
const char  *wt_hazard_name_zh       (guint       n);
WtHazard     wt_hazard_nth           (guint       n);

G_END_DECLS
