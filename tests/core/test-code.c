/* test-code.c: container codes, the USCC check and hazard letters.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "wt-code.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-uscc.h"

static void
test_uscc_valid (void)
{
  g_autoptr(GError) error = NULL;

  /* Published example codes with correct check characters. */
  g_assert_true (wt_uscc_validate ("91350100M000100Y43", &error));
  g_assert_no_error (error);
  g_assert_true (wt_uscc_validate ("91350100m000100y43", NULL));
  g_assert_cmpint (wt_uscc_check_char ("91350100M000100Y4"), ==, '3');
}

static void
test_uscc_invalid (void)
{
  const char *bad[] = {
    "91350100M000100Y44",   /* wrong check character */
    "91350100M000100Y4",    /* too short */
    "91350100M000100Y433",  /* too long */
    "91350100O000100Y43",   /* O is not in the alphabet */
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (wt_uscc_validate (bad[i], &error));
      g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
      g_assert_nonnull (error->message);
    }

  /* Every single-character substitution of a valid code is caught. */
  for (guint pos = 0; pos < 18; pos++)
    for (const char *c = "0123456789ABCDEFGHJKLMNPQRTUWXY"; *c; c++)
      {
        char code[] = "91350100M000100Y43";

        if (code[pos] == *c)
          continue;
        code[pos] = *c;
        g_assert_false (wt_uscc_validate (code, NULL));
      }
}

static void
test_split (void)
{
  WtCodeSplit split;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  wt_code_split_init_default (&split);
  g_assert_cmpuint (wt_code_split_length (&split), ==, 37);
  text = wt_code_split_to_string (&split);
  g_assert_cmpstr (text, ==, "18+8+8+3");
  g_assert_cmpuint (wt_code_capacity (&split), ==, 34 * 34);

  g_assert_true (wt_code_split_parse ("18+8+6+5", &split, NULL));
  g_assert_cmpuint (wt_code_split_length (&split), ==, 37);
  g_assert_false (wt_code_split_parse ("18+8+8", &split, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
  g_assert_false (wt_code_split_parse ("18+7+8+3", &split, NULL));
  g_assert_false (wt_code_split_parse ("18+8+8+1", &split, NULL));
}

static void
test_build_and_parts (void)
{
  WtCodeSplit split;
  g_autofree char *code = NULL;
  WtCodeParts parts;

  wt_code_split_init_default (&split);
  code = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'B', 35);
  g_assert_cmpstr (code, ==, "91350100M000100Y43" "90024908" "20261130" "B11");
  g_assert_cmpuint (strlen (code), ==, 37);

  g_assert_true (wt_code_split_parts (&split, code, &parts, NULL));
  g_assert_cmpstr (parts.unit, ==, "91350100M000100Y43");
  g_assert_cmpstr (parts.waste_code, ==, "900-249-08");
  g_assert_cmpstr (parts.date, ==, "2026-11-30");
  g_assert_cmpint (parts.slot, ==, 'B');
  g_assert_cmpuint (parts.counter, ==, 35);
  wt_code_parts_clear (&parts);

  /* Every counter value round-trips and no two are equal. */
  {
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint n = 0; n < wt_code_capacity (&split); n++)
      {
        char *c = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'A', n);

        g_assert_true (wt_code_split_parts (&split, c, &parts, NULL));
        g_assert_cmpuint (parts.counter, ==, n);
        wt_code_parts_clear (&parts);
        g_assert_false (g_hash_table_contains (seen, c));
        g_hash_table_add (seen, c);
      }
  }
}

static void
test_two_devices (void)
{
  /* Two devices of one site, offline, same waste, same day: their slots
   * differ, so no code of one equals a code of the other. */
  WtCodeSplit split;
  g_autoptr(GHashTable) a = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  wt_code_split_init_default (&split);
  for (guint n = 0; n < 500; n++)
    g_hash_table_add (a, wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'A', n));
  for (guint n = 0; n < 500; n++)
    {
      g_autofree char *b = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'B', n);

      g_assert_false (g_hash_table_contains (a, b));
    }
}

static void
test_check_and_typed (void)
{
  WtCodeSplit split;
  g_autofree char *code = NULL;
  g_autofree char *display = NULL;
  g_autofree char *back = NULL;
  g_autoptr(GError) error = NULL;
  guint len;

  wt_code_split_init_default (&split);
  code = wt_code_build (&split, "91350100M000100Y43", "900-249-08", "2026-11-30", 'A', 7);
  len = strlen (code);
  display = wt_code_to_display (&split, code);
  g_assert_true (g_str_has_prefix (display, "913501 00M000 100Y43-90024908-20261130-A07-"));

  /* What is printed parses back to the code, also typed sloppily. */
  back = wt_code_parse_typed (&split, display, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, code);
  {
    g_autofree char *lower = g_ascii_strdown (display, -1);
    g_autofree char *again = wt_code_parse_typed (&split, lower, NULL);

    g_assert_cmpstr (again, ==, code);
  }

  /* Every single substitution and every swap of neighbours is caught. */
  for (guint pos = 0; pos < len; pos++)
    {
      for (const char *c = WT_CODE_ALPHABET; *c; c++)
        {
          g_autofree char *typo = g_strdup_printf ("%s%c", code, wt_code_check_char (code));
          g_autofree char *parsed = NULL;

          if (typo[pos] == *c)
            continue;
          typo[pos] = *c;
          parsed = wt_code_parse_typed (&split, typo, NULL);
          g_assert_null (parsed);
        }

      if (pos + 1 < len && code[pos] != code[pos + 1])
        {
          g_autofree char *swap = g_strdup_printf ("%s%c", code, wt_code_check_char (code));
          g_autofree char *parsed = NULL;
          char t = swap[pos];

          swap[pos] = swap[pos + 1];
          swap[pos + 1] = t;
          parsed = wt_code_parse_typed (&split, swap, NULL);
          g_assert_null (parsed);
        }
    }

  /* Wrong length says so. */
  g_assert_null (wt_code_parse_typed (&split, "9135", &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
}

static void
test_hazards (void)
{
  guint h = 0;
  g_autofree char *s = NULL;

  g_assert_true (wt_hazard_parse ("T,I", &h));
  g_assert_cmpuint (h, ==, WT_HAZARD_T | WT_HAZARD_I);
  g_assert_true (wt_hazard_parse ("T/C/I/R/In", &h));
  g_assert_cmpuint (h, ==, WT_HAZARD_ALL);
  s = wt_hazard_to_string (WT_HAZARD_IN | WT_HAZARD_C);
  g_assert_cmpstr (s, ==, "C,In");
  g_assert_false (wt_hazard_parse ("T,X", &h));
  g_assert_cmpstr (wt_hazard_name_zh (0), ==, "毒性");
  g_assert_cmpstr (wt_hazard_letter (4), ==, "In");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/code/uscc/valid", test_uscc_valid);
  g_test_add_func ("/code/uscc/invalid", test_uscc_invalid);
  g_test_add_func ("/code/split", test_split);
  g_test_add_func ("/code/build-and-parts", test_build_and_parts);
  g_test_add_func ("/code/two-devices", test_two_devices);
  g_test_add_func ("/code/check-and-typed", test_check_and_typed);
  g_test_add_func ("/code/hazards", test_hazards);

  return g_test_run ();
}
