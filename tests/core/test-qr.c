/* test-qr.c: QR symbols decode back to exactly the text that went in.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <qrencode.h>

#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-qr.h"

#define PX_PER_MODULE 4
#define QUIET 4

static const WtEcc all_eccs[] = { WT_ECC_M, WT_ECC_Q, WT_ECC_H };

/* Draws @qr like a printer would: 4 px per module, a 4-module white quiet
 * zone, into an 8-bit grey buffer. */
static guint8 *
rasterise (const WtQr *qr,
           int        *out_size)
{
  int size = (qr->width + 2 * QUIET) * PX_PER_MODULE;
  guint8 *pixels = g_malloc ((gsize) size * (gsize) size);

  memset (pixels, 0xff, (gsize) size * (gsize) size);
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      if (wt_qr_is_dark (qr, x / PX_PER_MODULE - QUIET, y / PX_PER_MODULE - QUIET))
        pixels[(gsize) y * (gsize) size + (gsize) x] = 0;

  *out_size = size;

  return pixels;
}

static void
assert_round_trip (const char *text,
                   WtEcc       ecc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WtQr) qr = NULL;
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autofree guint8 *pixels = NULL;
  WtDecoded *decoded;
  int size;

  qr = wt_qr_encode (text, ecc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (qr);
  g_assert_cmpint (qr->width, ==, 17 + 4 * qr->version);

  pixels = rasterise (qr, &size);
  found = wt_decoder_decode_gray (decoder, pixels, size, size, size);
  g_assert_cmpuint (found->len, ==, 1);

  decoded = g_ptr_array_index (found, 0);
  g_assert_cmpuint (decoded->length, ==, strlen (text));
  g_assert_cmpmem (decoded->text, decoded->length, text, strlen (text));
  g_assert_true (decoded->is_utf8);

  /* Corners clockwise from the top-left, inside the quiet zone. */
  g_assert_cmpfloat (decoded->corners[0], <, decoded->corners[2]);
  g_assert_cmpfloat (decoded->corners[3], <, decoded->corners[5]);
  g_assert_cmpfloat (decoded->corners[0], >=, QUIET * PX_PER_MODULE - 2);
}

static void
test_qr_round_trip_ascii (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_eccs); i++)
    assert_round_trip ("WT1 ID:91350100M000100Y4390024908", all_eccs[i]);
}

static void
test_qr_round_trip_chinese (void)
{
  /* Without ECI 26 and zbar's binary mode this comes back as Big5 mojibake. */
  for (guint i = 0; i < G_N_ELEMENTS (all_eccs); i++)
    assert_round_trip ("危险废物 废矿物油 900-249-08", all_eccs[i]);
}

static void
test_qr_round_trip_payload (void)
{
  const char *payload =
    "WT1 危险废物\n"
    "ID:91350100M000100Y4390024908 20261130A01-K\n"
    "WC:900-249-08\n"
    "HZ:T,I\n"
    "DT:2026-11-30\n"
    "CK:1A2B3C4D";

  for (guint i = 0; i < G_N_ELEMENTS (all_eccs); i++)
    assert_round_trip (payload, all_eccs[i]);
}

static void
test_qr_higher_ecc_grows (void)
{
  const char *text = "危险废物 废矿物油 900-249-08 WT1 ID:91350100M000100Y4390024908";
  g_autoptr(WtQr) m = wt_qr_encode (text, WT_ECC_M, NULL);
  g_autoptr(WtQr) h = wt_qr_encode (text, WT_ECC_H, NULL);

  g_assert_nonnull (m);
  g_assert_nonnull (h);
  g_assert_cmpint (h->version, >, m->version);
}

static void
test_qr_too_long (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (4000, 'x');
  g_autoptr(WtQr) qr = wt_qr_encode (text, WT_ECC_H, &error);

  g_assert_null (qr);
  g_assert_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT);
}

static void
test_qr_is_dark_outside (void)
{
  g_autoptr(WtQr) qr = wt_qr_encode ("x", WT_ECC_M, NULL);

  g_assert_nonnull (qr);
  /* The finder pattern's corner is dark; outside the symbol is quiet zone. */
  g_assert_true (wt_qr_is_dark (qr, 0, 0));
  g_assert_false (wt_qr_is_dark (qr, -1, 0));
  g_assert_false (wt_qr_is_dark (qr, qr->width, 0));
}

static void
test_ecc_parse (void)
{
  WtEcc ecc = WT_ECC_M;

  g_assert_true (wt_ecc_parse ("q", &ecc));
  g_assert_cmpint (ecc, ==, WT_ECC_Q);
  g_assert_true (wt_ecc_parse ("H", &ecc));
  g_assert_cmpint (ecc, ==, WT_ECC_H);
  g_assert_true (wt_ecc_parse ("M", &ecc));
  g_assert_cmpint (ecc, ==, WT_ECC_M);
  g_assert_false (wt_ecc_parse ("L", &ecc));
  g_assert_false (wt_ecc_parse ("", &ecc));
  g_assert_cmpstr (wt_ecc_to_string (WT_ECC_Q), ==, "Q");
  g_assert_cmpstr (wt_ecc_to_string (WT_ECC_H), ==, "H");
}

static void
test_decoder_foreign_bytes (void)
{
  /* Another vendor's code with Latin-1 bytes and no ECI: the decoder hands
   * back the exact bytes and says they are not UTF-8 instead of guessing. */
  const char text[] = "caf\xe9 cr\xe8me";
  QRcode *code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  g_autoptr(WtQr) qr = g_new0 (WtQr, 1);
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autofree guint8 *pixels = NULL;
  WtDecoded *decoded;
  int size;

  g_assert_nonnull (code);
  qr->width = code->width;
  qr->version = code->version;
  qr->modules = g_malloc ((gsize) code->width * (gsize) code->width);
  for (int i = 0; i < code->width * code->width; i++)
    qr->modules[i] = code->data[i] & 1;
  QRcode_free (code);

  pixels = rasterise (qr, &size);
  found = wt_decoder_decode_gray (decoder, pixels, size, size, size);
  g_assert_cmpuint (found->len, ==, 1);
  decoded = g_ptr_array_index (found, 0);
  g_assert_cmpmem (decoded->text, decoded->length, text, strlen (text));
  g_assert_false (decoded->is_utf8);
}

static void
test_decoder_blank (void)
{
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GPtrArray) found = NULL;
  guint8 blank[64 * 64];

  memset (blank, 0xff, sizeof blank);
  found = wt_decoder_decode_gray (decoder, blank, 64, 64, 64);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 0);
}

static void
test_decoder_file_not_image (void)
{
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *dir = g_dir_make_tmp ("wt-qr-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "notes.png", NULL);

  g_assert_true (g_file_set_contents (path, "not a picture", -1, NULL));
  found = wt_decoder_decode_file (decoder, path, &error);
  g_assert_null (found);
  g_assert_error (error, WT_ERROR, WT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "notes.png"));

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_hazard_parse (void)
{
  guint hazards = 0;
  g_autofree char *all = NULL;
  g_autofree char *ti = NULL;
  g_autofree char *none = NULL;

  g_assert_true (wt_hazard_parse ("T,I", &hazards));
  g_assert_cmpuint (hazards, ==, WT_HAZARD_T | WT_HAZARD_I);
  g_assert_true (wt_hazard_parse ("T/C/I/R", &hazards));
  g_assert_cmpuint (hazards, ==, WT_HAZARD_T | WT_HAZARD_C | WT_HAZARD_I | WT_HAZARD_R);
  g_assert_true (wt_hazard_parse ("In", &hazards));
  g_assert_cmpuint (hazards, ==, WT_HAZARD_IN);
  g_assert_true (wt_hazard_parse ("t/in", &hazards));
  g_assert_cmpuint (hazards, ==, WT_HAZARD_T | WT_HAZARD_IN);
  g_assert_true (wt_hazard_parse ("", &hazards));
  g_assert_cmpuint (hazards, ==, WT_HAZARD_NONE);
  g_assert_false (wt_hazard_parse ("T,X", &hazards));
  g_assert_false (wt_hazard_parse ("TI", &hazards));

  all = wt_hazard_to_string (WT_HAZARD_ALL);
  g_assert_cmpstr (all, ==, "T,C,I,R,In");
  ti = wt_hazard_to_string (WT_HAZARD_I | WT_HAZARD_T);
  g_assert_cmpstr (ti, ==, "T,I");
  none = wt_hazard_to_string (WT_HAZARD_NONE);
  g_assert_cmpstr (none, ==, "");

  g_assert_cmpstr (wt_hazard_letter (4), ==, "In");
  g_assert_cmpstr (wt_hazard_name_zh (0), ==, "毒性");
  g_assert_cmpstr (wt_hazard_name_zh (1), ==, "腐蚀性");
  g_assert_cmpstr (wt_hazard_name_zh (2), ==, "易燃性");
  g_assert_cmpstr (wt_hazard_name_zh (3), ==, "反应性");
  g_assert_cmpstr (wt_hazard_name_zh (4), ==, "感染性");
  g_assert_cmpuint (wt_hazard_nth (3), ==, WT_HAZARD_R);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qr/round-trip/ascii", test_qr_round_trip_ascii);
  g_test_add_func ("/qr/round-trip/chinese", test_qr_round_trip_chinese);
  g_test_add_func ("/qr/round-trip/payload", test_qr_round_trip_payload);
  g_test_add_func ("/qr/higher-ecc-grows", test_qr_higher_ecc_grows);
  g_test_add_func ("/qr/too-long", test_qr_too_long);
  g_test_add_func ("/qr/is-dark-outside", test_qr_is_dark_outside);
  g_test_add_func ("/qr/ecc-parse", test_ecc_parse);
  g_test_add_func ("/decoder/foreign-bytes", test_decoder_foreign_bytes);
  g_test_add_func ("/decoder/blank", test_decoder_blank);
  g_test_add_func ("/decoder/file-not-image", test_decoder_file_not_image);
  g_test_add_func ("/hazard/parse", test_hazard_parse);

  return g_test_run ();
}
