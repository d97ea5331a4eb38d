/* wt-catalogue.c: the shipped waste catalogues, loaded from resources.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "wt-catalogue.h"
#include "wt-core-resources.h"
#include "wt-hazard.h"

/* Invariant: @items holds every row of the TSV in file order; every string
 * points into @text (or is a static ""), which is never freed, so entries
 * may be handed out as borrowed pointers forever. */
struct _WtCatalogue
{
  WtCatalogueKind  kind;
  char            *text;
  GArray          *items;       /* of WtWaste */
  char           **digits;      /* code without separators, per item */
  char           **haystack;    /* lower-cased words to search, per item */
  guint            n_categories;
};

static char *
strip_to_digits (const char *code)
{
  GString *s = g_string_new (NULL);

  for (const char *p = code; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (s, *p);

  return g_string_free (s, FALSE);
}

static WtCatalogue *
load (WtCatalogueKind kind)
{
  const char *path = kind == WT_CATALOGUE_HW_2021
    ? "/org/wastetag/Wastetag/core/data/hw-catalogue-2021.tsv"
    : "/org/wastetag/Wastetag/core/data/ewc-codes.tsv";
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) categories = NULL;
  WtCatalogue *self;
  char *line;
  char *next;
  GPtrArray *digits, *hay;

  /* Referencing the resource pulls its object file (and its constructor,
   * which registers it) out of the static library. */
  (void) wt_core_get_resource ();

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    g_error ("The waste catalogue is missing from the program's resources: %s", error->message);

  self = g_new0 (WtCatalogue, 1);
  self->kind = kind;
  self->text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  self->items = g_array_new (FALSE, TRUE, sizeof (WtWaste));
  categories = g_hash_table_new (g_str_hash, g_str_equal);
  digits = g_ptr_array_new ();
  hay = g_ptr_array_new ();

  /* Skip the header line. */
  line = strchr (self->text, '\n');
  line = line ? line + 1 : self->text + strlen (self->text);

  for (; *line; line = next)
    {
      char *f[6] = { 0 };
      guint n = 0;
      char *p;
      WtWaste w = { 0 };

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      else
        next = line + strlen (line);

      if (*line == '\0')
        continue;

      for (p = line, f[n++] = p; *p && n < 6; p++)
        if (*p == '\t')
          {
            *p = '\0';
            f[n++] = p + 1;
          }

      if (kind == WT_CATALOGUE_HW_2021)
        {
          /* category, category_name, industry, code, description, hazard */
          if (n != 6)
            continue;
          w.category = f[0];
          w.category_name = f[1];
          w.industry = f[2];
          w.code = f[3];
          w.description = f[4];
          w.hazard = f[5];
          w.hazardous = TRUE;
          wt_hazard_parse (w.hazard, &w.hazards);
        }
      else
        {
          /* code, hazardous, entry_type, chapter, description */
          static char chapter_codes[20][3];
          int ch;

          if (n != 5)
            continue;
          w.code = f[0];
          w.hazardous = f[1][0] == '1';
          w.category_name = f[3];
          w.industry = "";
          w.description = f[4];
          w.hazard = "";
          ch = atoi (f[0]);
          if (ch >= 1 && ch <= 20)
            {
              g_snprintf (chapter_codes[ch - 1], 3, "%02d", ch);
              w.category = chapter_codes[ch - 1];
            }
          else
            w.category = "";
        }

      g_hash_table_add (categories, (gpointer) w.category);
      g_array_append_val (self->items, w);
      g_ptr_array_add (digits, strip_to_digits (w.code));
      {
        g_autofree char *joined = g_strjoin (" ", w.description, w.category_name, w.industry, NULL);

        g_ptr_array_add (hay, g_utf8_strdown (joined, -1));
      }
    }

  self->n_categories = g_hash_table_size (categories);
  g_ptr_array_add (digits, NULL);
  g_ptr_array_add (hay, NULL);
  self->digits = (char **) g_ptr_array_free (digits, FALSE);
  self->haystack = (char **) g_ptr_array_free (hay, FALSE);

  return self;
}

WtCatalogue *
wt_catalogue_get (WtCatalogueKind kind)
{
  static WtCatalogue *catalogues[2];
  static GMutex lock;
  WtCatalogue *ret;

  g_return_val_if_fail (kind == WT_CATALOGUE_HW_2021 || kind == WT_CATALOGUE_EWC, NULL);

  g_mutex_lock (&lock);
  if (catalogues[kind] == NULL)
    catalogues[kind] = load (kind);
  ret = catalogues[kind];
  g_mutex_unlock (&lock);

  return ret;
}

guint
wt_catalogue_get_n_items (WtCatalogue *self)
{
  return self->items->len;
}

const WtWaste *
wt_catalogue_get_item (WtCatalogue *self,
                       guint        position)
{
  g_return_val_if_fail (position < self->items->len, NULL);

  return &g_array_index (self->items, WtWaste, position);
}

guint
wt_catalogue_get_n_categories (WtCatalogue *self)
{
  return self->n_categories;
}

const WtWaste *
wt_catalogue_lookup (WtCatalogue *self,
                     const char  *code)
{
  g_autofree char *digits = NULL;

  g_return_val_if_fail (code != NULL, NULL);

  digits = strip_to_digits (code);
  if (*digits == '\0')
    return NULL;

  for (guint i = 0; i < self->items->len; i++)
    if (strcmp (self->digits[i], digits) == 0)
      return &g_array_index (self->items, WtWaste, i);

  return NULL;
}

typedef struct
{
  guint score;
  guint index;
} Hit;

static int
hit_compare (gconstpointer a,
             gconstpointer b)
{
  const Hit *ha = a, *hb = b;

  if (ha->score != hb->score)
    return ha->score < hb->score ? -1 : 1;
  return ha->index < hb->index ? -1 : (ha->index > hb->index);
}

static gboolean
is_code_query (const char *q)
{
  gboolean digit = FALSE;

  for (const char *p = q; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digit = TRUE;
      else if (*p != '-' && *p != ' ' && *p != '*')
        return FALSE;
    }

  return digit;
}

/* "HW08", "hw8", "HW 08" → "HW08"; NULL when not a category query. */
static char *
category_query (const char *q)
{
  guint64 n;
  const char *p;

  if (g_ascii_strncasecmp (q, "hw", 2) != 0)
    return NULL;
  p = q + 2;
  while (*p == ' ')
    p++;
  if (!g_ascii_string_to_unsigned (p, 10, 1, 99, &n, NULL))
    return NULL;

  return g_strdup_printf ("HW%02u", (guint) n);
}

GPtrArray *
wt_catalogue_search (WtCatalogue *self,
                     const char  *query,
                     guint        max_results)
{
  g_autofree char *q = NULL;
  g_autofree char *category = NULL;
  g_autoptr(GArray) hits = NULL;
  GPtrArray *results;
  guint hazard = 0;

  g_return_val_if_fail (query != NULL, NULL);

  results = g_ptr_array_new ();
  q = g_strstrip (g_strdup (query));
  if (*q == '\0')
    return results;

  hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  category = category_query (q);

  /* A lone hazard letter searches by hazard; "I" or "In" typed as a word
   * of a description is unlikely in a Chinese catalogue. */
  if (strlen (q) <= 2 && wt_hazard_parse (q, &hazard) && hazard != 0 &&
      (hazard & (hazard - 1)) == 0)
    {
      for (guint i = 0; i < self->items->len; i++)
        {
          const WtWaste *w = &g_array_index (self->items, WtWaste, i);

          if (w->hazards & hazard)
            g_array_append_val (hits, ((Hit) { (w->hazards == hazard) ? 0 : 1, i }));
        }
    }
  else if (category != NULL)
    {
      for (guint i = 0; i < self->items->len; i++)
        if (strcmp (g_array_index (self->items, WtWaste, i).category, category) == 0)
          g_array_append_val (hits, ((Hit) { 0, i }));
    }
  else if (is_code_query (q))
    {
      g_autofree char *digits = strip_to_digits (q);

      for (guint i = 0; i < self->items->len; i++)
        {
          const char *d = self->digits[i];
          const char *at;

          if (strcmp (d, digits) == 0)
            g_array_append_val (hits, ((Hit) { 0, i }));
          else if (g_str_has_prefix (d, digits))
            g_array_append_val (hits, ((Hit) { 1, i }));
          else if ((at = strstr (d, digits)) != NULL)
            g_array_append_val (hits, ((Hit) { 2 + (guint) (at - d), i }));
        }
    }
  else
    {
      g_autofree char *lower = g_utf8_strdown (q, -1);
      g_auto(GStrv) terms = g_strsplit_set (lower, " \t", -1);

      for (guint i = 0; i < self->items->len; i++)
        {
          const char *hay = self->haystack[i];
          const WtWaste *w = &g_array_index (self->items, WtWaste, i);
          guint score = 0;
          gboolean all = TRUE;

          for (guint t = 0; terms[t] != NULL; t++)
            {
              const char *at;

              if (*terms[t] == '\0')
                continue;
              at = strstr (hay, terms[t]);
              if (at == NULL)
                {
                  all = FALSE;
                  break;
                }
              score += (guint) (at - hay);
            }

          if (!all)
            continue;

          /* Matches in the description beat matches in the category name. */
          if ((gsize) score >= strlen (w->description))
            score += 1000;
          g_array_append_val (hits, ((Hit) { score, i }));
        }
    }

  g_array_sort (hits, hit_compare);

  for (guint i = 0; i < hits->len && (max_results == 0 || i < max_results); i++)
    g_ptr_array_add (results, &g_array_index (self->items, WtWaste,
                                              g_array_index (hits, Hit, i).index));

  return results;
}
