/* test-payload.c: the QR payload round trip and the codes it must refuse.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "wt-code.h"
#include "wt-error.h"
#include "wt-hazard.h"

#define CODE "91350100M000100Y43" "90024908" "20261130" "A07"

static char *
sample (guint reprint)
{
  WtPayload p = { 0 };

  p.version = WT_PAYLOAD_VERSION;
  p.container_code = (char *) CODE;
  p.waste_code = (char *) "900-249-08";
  p.hazards = WT_HAZARD_T | WT_HAZARD_I;
  p.date = (char *) "2026-11-30";
  p.reprint = reprint;
  return wt_payload_encode (&p);
}

static void
test_round_trip (void)
{
  g_autofree char *text = sample (0);
  g_autofree char *text2 = sample (3);
  g_autoptr(WtPayload) p = NULL;
  g_autoptr(WtPayload) p2 = NULL;
  g_autoptr(GError) error = NULL;

  /* Readable on a phone: the essentials are plain text. */
  g_assert_true (g_str_has_prefix (text, "WT1 危险废物\n"));
  g_assert_nonnull (strstr (text, "WC:900-249-08\n"));
  g_assert_nonnull (strstr (text, "HZ:T,I\n"));
  g_assert_nonnull (strstr (text, "DT:2026-11-30\n"));
  g_assert_nonnull (strstr (text, "ID:" CODE "-"));

  p = wt_payload_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->container_code, ==, CODE);
  g_assert_cmpstr (p->waste_code, ==, "900-249-08");
  g_assert_cmpstr (p->date, ==, "2026-11-30");
  g_assert_cmpuint (p->hazards, ==, WT_HAZARD_T | WT_HAZARD_I);
  g_assert_cmpuint (p->reprint, ==, 0);

  p2 = wt_payload_parse (text2, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p2->reprint, ==, 3);
}

static void
test_foreign (void)
{
  const char *foreign[] = {
    "https://example.com/drum/42",
    "WIFI:S:warehouse;T:WPA;P:secret;;",
    "BSDA-20261130-ABCDEFGHJ",
    "WTX hello",
    "",
    "W",
  };

  for (guint i = 0; i < G_N_ELEMENTS (foreign); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WtPayload) p = wt_payload_parse (foreign[i], -1, &error);

      g_assert_null (p);
      g_assert_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE);
    }
}

static void
test_newer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtPayload) p = wt_payload_parse ("WT2 危险废物\nID:X\nCK:00000000", -1, &error);

  g_assert_null (p);
  g_assert_error (error, WT_ERROR, WT_ERROR_NEWER_CODE);
}

static void
test_corrupt (void)
{
  g_autofree char *text = sample (0);
  gsize len = strlen (text);

  /* Every truncation is refused. */
  for (gsize cut = 4; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WtPayload) p = wt_payload_parse (text, cut, &error);

      g_assert_null (p);
      g_assert_true (g_error_matches (error, WT_ERROR, WT_ERROR_CORRUPT_CODE) ||
                     g_error_matches (error, WT_ERROR, WT_ERROR_FOREIGN_CODE));
    }

  /* Every changed ASCII byte after the magic is refused. */
  for (gsize i = 4; i < len; i++)
    {
      g_autofree char *bad = g_strdup (text);
      g_autoptr(GError) error = NULL;
      g_autoptr(WtPayload) p = NULL;

      if ((guchar) bad[i] >= 0x80 || bad[i] == '\n')
        continue;
      bad[i] = bad[i] == 'Z' ? 'Y' : 'Z';
      p = wt_payload_parse (bad, len, &error);
      g_assert_null (p);
      g_assert_error (error, WT_ERROR, WT_ERROR_CORRUPT_CODE);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/payload/round-trip", test_round_trip);
  g_test_add_func ("/payload/foreign", test_foreign);
  g_test_add_func ("/payload/newer", test_newer);
  g_test_add_func ("/payload/corrupt", test_corrupt);

  return g_test_run ();
}
