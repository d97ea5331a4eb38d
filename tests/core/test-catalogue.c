/* test-catalogue.c: the shipped catalogues are complete and searchable.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "wt-catalogue.h"
#include "wt-hazard.h"

static gboolean
contains_code (GPtrArray  *results,
               const char *code)
{
  for (guint i = 0; i < results->len; i++)
    if (strcmp (((const WtWaste *) g_ptr_array_index (results, i))->code, code) == 0)
      return TRUE;
  return FALSE;
}

static void
test_hw_integrity (void)
{
  WtCatalogue *c = wt_catalogue_get (WT_CATALOGUE_HW_2021);
  g_autoptr(GHashTable) codes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) per_cat = g_hash_table_new (g_str_hash, g_str_equal);
  GRegex *re = g_regex_new ("^[0-9]{3}-[0-9]{3}-[0-9]{2}$", 0, 0, NULL);

  g_assert_cmpuint (wt_catalogue_get_n_items (c), ==, 467);
  g_assert_cmpuint (wt_catalogue_get_n_categories (c), ==, 46);

  for (guint i = 0; i < wt_catalogue_get_n_items (c); i++)
    {
      const WtWaste *w = wt_catalogue_get_item (c, i);

      g_assert_true (g_regex_match (re, w->code, 0, NULL));
      /* The last two digits are the category number. */
      g_assert_cmpstr (w->code + 8, ==, w->category + 2);
      g_assert_false (g_hash_table_contains (codes, w->code));
      g_hash_table_add (codes, (gpointer) w->code);
      g_assert_cmpuint (w->hazards, !=, 0);
      g_assert_cmpuint (strlen (w->description), >, 0);
      g_hash_table_insert (per_cat, (gpointer) w->category,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per_cat, w->category)) + 1));
    }

  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (per_cat, "HW08")), ==, 32);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (per_cat, "HW11")), ==, 85);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (per_cat, "HW50")), ==, 44);
  g_regex_unref (re);
}

static void
test_lookup (void)
{
  WtCatalogue *c = wt_catalogue_get (WT_CATALOGUE_HW_2021);
  const WtWaste *w = wt_catalogue_lookup (c, "900-249-08");

  g_assert_nonnull (w);
  g_assert_cmpstr (w->category, ==, "HW08");
  g_assert_cmpstr (w->hazard, ==, "T,I");
  g_assert_cmpuint (w->hazards, ==, WT_HAZARD_T | WT_HAZARD_I);
  g_assert_true (wt_catalogue_lookup (c, "90024908") == w);
  g_assert_true (wt_catalogue_lookup (c, " 900 249 08 ") == w);
  g_assert_null (wt_catalogue_lookup (c, "900-249-09"));
  g_assert_null (wt_catalogue_lookup (c, "999-999-99"));
  g_assert_null (wt_catalogue_lookup (c, ""));
}

static void
test_search (void)
{
  WtCatalogue *c = wt_catalogue_get (WT_CATALOGUE_HW_2021);
  g_autoptr(GPtrArray) by_code = wt_catalogue_search (c, "900-249", 0);
  g_autoptr(GPtrArray) by_digits = wt_catalogue_search (c, "90024908", 0);
  g_autoptr(GPtrArray) by_cat = wt_catalogue_search (c, "HW08", 0);
  g_autoptr(GPtrArray) by_cat_lower = wt_catalogue_search (c, "hw8", 0);
  g_autoptr(GPtrArray) by_words = wt_catalogue_search (c, "废矿物油", 0);
  g_autoptr(GPtrArray) by_hazard = wt_catalogue_search (c, "In", 0);
  g_autoptr(GPtrArray) by_two_words = wt_catalogue_search (c, "废矿物油 包装物", 0);
  g_autoptr(GPtrArray) nothing = wt_catalogue_search (c, "不存在的东西", 0);
  g_autoptr(GPtrArray) limited = wt_catalogue_search (c, "HW11", 5);

  g_assert_cmpuint (by_code->len, >=, 1);
  g_assert_cmpstr (((const WtWaste *) by_code->pdata[0])->code, ==, "900-249-08");
  g_assert_cmpuint (by_digits->len, ==, 1);
  g_assert_cmpuint (by_cat->len, ==, 32);
  g_assert_cmpuint (by_cat_lower->len, ==, 32);
  g_assert_true (contains_code (by_words, "900-249-08"));
  g_assert_cmpuint (by_words->len, >=, 32);
  /* Infectious: the HW01 medical wastes and the two T/In codes. */
  g_assert_cmpuint (by_hazard->len, ==, 3 + 2 + 1);
  g_assert_true (contains_code (by_hazard, "841-001-01"));
  g_assert_true (contains_code (by_two_words, "900-249-08"));
  g_assert_cmpuint (nothing->len, ==, 0);
  g_assert_cmpuint (limited->len, ==, 5);
}

static void
test_ewc (void)
{
  WtCatalogue *c = wt_catalogue_get (WT_CATALOGUE_EWC);
  g_autoptr(GPtrArray) oil = wt_catalogue_search (c, "engine oil", 0);
  guint hazardous = 0;

  g_assert_cmpuint (wt_catalogue_get_n_items (c), ==, 842);
  g_assert_cmpuint (wt_catalogue_get_n_categories (c), ==, 20);
  for (guint i = 0; i < wt_catalogue_get_n_items (c); i++)
    hazardous += wt_catalogue_get_item (c, i)->hazardous;
  g_assert_cmpuint (hazardous, ==, 408);
  g_assert_nonnull (wt_catalogue_lookup (c, "13 02 05*"));
  g_assert_cmpuint (oil->len, >=, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/catalogue/hw/integrity", test_hw_integrity);
  g_test_add_func ("/catalogue/hw/lookup", test_lookup);
  g_test_add_func ("/catalogue/hw/search", test_search);
  g_test_add_func ("/catalogue/ewc", test_ewc);

  return g_test_run ();
}
