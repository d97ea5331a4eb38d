/* wt-hazard.c: the five hazard characteristics of the 国家危险废物名录.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "wt-hazard.h"

/* The label's order (HJ 1276 Annex A), which is also the catalogue's:
 * T C I R In. The Chinese names are regulatory text, printed as they are. */
static const struct
{
  const char *letter;
  const char *name_zh;
  WtHazard    bit;
} hazards[WT_N_HAZARDS] = {
  { "T",  "毒性",   WT_HAZARD_T },
  { "C",  "腐蚀性", WT_HAZARD_C },
  { "I",  "易燃性", WT_HAZARD_I },
  { "R",  "反应性", WT_HAZARD_R },
  { "In", "感染性", WT_HAZARD_IN },
};

gboolean
wt_hazard_parse (const char *text,
                 guint      *out_hazards)
{
  g_auto(GStrv) tokens = NULL;
  guint result = WT_HAZARD_NONE;

  g_return_val_if_fail (text != NULL, FALSE);

  /* Any mix of ',', '/', ';', '、', '，' and white space separates tokens;
   * empty tokens (doubled separators, "" itself) are ignored. */
  tokens = g_regex_split_simple ("[,/;\\s]|、|，", text, 0, 0);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      const char *token = tokens[i];
      gboolean found = FALSE;

      if (*token == '\0')
        continue;

      for (guint n = 0; n < WT_N_HAZARDS; n++)
        {
          if (g_ascii_strcasecmp (token, hazards[n].letter) == 0)
            {
              result |= hazards[n].bit;
              found = TRUE;
              break;
            }
        }

      if (!found)
        return FALSE;
    }

  if (out_hazards != NULL)
    *out_hazards = result;

  return TRUE;
}

char *
wt_hazard_to_string (guint hazards_set)
{
  GString *str = g_string_new (NULL);

  for (guint n = 0; n < WT_N_HAZARDS; n++)
    {
      if ((hazards_set & hazards[n].bit) == 0)
        continue;
      if (str->len > 0)
        g_string_append_c (str, ',');
      g_string_append (str, hazards[n].letter);
    }

  return g_string_free (str, FALSE);
}

const char *
wt_hazard_letter (guint n)
{
  g_return_val_if_fail (n < WT_N_HAZARDS, NULL);

  return hazards[n].letter;
}

const char *
wt_hazard_name_zh (guint n)
{
  g_return_val_if_fail (n < WT_N_HAZARDS, NULL);

  return hazards[n].name_zh;
}

WtHazard
wt_hazard_nth (guint n)
{
  g_return_val_if_fail (n < WT_N_HAZARDS, WT_HAZARD_NONE);

  return hazards[n].bit;
}
