/* test-bundle.c: USB bundles between two site ledgers: round trip with a
 * receipt, double import, and the refusals (a changed byte, a cut-off file,
 * an unknown or wrong signer), each of which must leave the ledger as it was.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "wt-bundle.h"
#include "wt-catalogue.h"
#include "wt-error.h"
#include "wt-ledger.h"
#include "wt-ledger-sync.h"

typedef struct
{
  char     *dir;
  WtLedger *a;
  WtLedger *b;
  char     *key_a;   /* hex */
  char     *key_b;
  char     *bundle;
  char     *codes[3];
} Fixture;

static WtLedger *
make_ledger (const char *dir,
             const char *file,
             const char *name,
             const char *uscc)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(WtSite) site = wt_site_new ();
  g_autoptr(GError) error = NULL;
  WtLedger *ledger = wt_ledger_open (path, &error);

  g_assert_no_error (error);
  g_free (site->name);
  site->name = g_strdup (name);
  g_free (site->uscc);
  site->uscc = g_strdup (uscc);
  g_assert_true (wt_ledger_init_site (ledger, site, &error));
  g_assert_no_error (error);
  return ledger;
}

static char *
key_of (WtLedger *ledger)
{
  g_autoptr(WtSite) site = wt_ledger_dup_site (ledger, NULL);

  return g_strdup (site->public_key);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), "900-249-08");
  g_autoptr(WtLabelContent) c = wt_label_content_new ();
  g_autoptr(WtPrintJob) job = NULL;
  g_autoptr(GError) error = NULL;
  WtLabelOptions options;

  f->dir = g_dir_make_tmp ("wt-bundle-XXXXXX", NULL);
  f->a = make_ledger (f->dir, "a.wtl", "示例化工", "91350100M000100Y43");
  f->b = make_ledger (f->dir, "b.wtl", "示例处置中心", "91110000600037341L");
  f->key_a = key_of (f->a);
  f->key_b = key_of (f->b);
  f->bundle = g_build_filename (f->dir, "a.bundle", NULL);

  wt_label_content_set (c, &c->waste_name, w->description);
  wt_label_content_set (c, &c->category, w->category);
  wt_label_content_set (c, &c->waste_code, w->code);
  wt_label_content_set (c, &c->common_name, "废机油");
  wt_label_content_set (c, &c->date, "2026-11-30");
  c->hazards = w->hazards;
  wt_label_options_init (&options);
  job = wt_ledger_reserve (f->a, c, 3, &error);
  g_assert_no_error (error);
  g_assert_true (wt_ledger_commit_job (f->a, job, c, &options, 170, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    f->codes[i] = g_strdup (job->codes[i]);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_object (&f->a);
  g_clear_object (&f->b);
  g_assert_cmpint (system (cmd), ==, 0);
  for (guint i = 0; i < 3; i++)
    g_free (f->codes[i]);
  g_free (f->key_a);
  g_free (f->key_b);
  g_free (f->bundle);
  g_free (f->dir);
}

static void
export_a (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  WtBundleInfo info = { 0 };

  g_assert_true (wt_bundle_export (f->a, f->bundle, -1, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.count, ==, 3);
  g_assert_cmpint (info.seq_from, ==, 1);
  g_assert_cmpint (info.seq_to, ==, 3);
  wt_bundle_info_clear (&info);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *receipt = g_build_filename (f->dir, "receipt.bundle", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WtContainer) c = NULL;
  WtBundleResult r = { 0 };
  WtSyncPeer peer = { 0 };

  export_a (f);
  g_assert_true (wt_bundle_import (f->b, f->bundle, f->key_a, receipt, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.inserted, ==, 3);
  g_assert_false (r.already);
  wt_bundle_result_clear (&r);

  /* A's containers appear at B, with A's label. */
  c = wt_ledger_get_container (f->b, f->codes[1], &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->common_name, ==, "废机油");
  g_assert_cmpint (c->state, ==, WT_CONTAINER_LABELLED);
  g_assert_cmpfloat (c->weight_kg, ==, 170);
  g_assert_cmpint (wt_ledger_count_events (f->b), ==, 3);

  /* The receipt acknowledges the three events to A. */
  g_assert_true (wt_bundle_import (f->a, receipt, f->key_b, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.acked_seq, ==, 3);
  wt_bundle_result_clear (&r);
  g_assert_true (wt_ledger_sync_get_peer (f->a, "91110000600037341L", &peer, &error));
  g_assert_cmpint (peer.acked_seq, ==, 3);
  wt_sync_peer_clear (&peer);
}

static void
test_double_import (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  WtBundleResult r = { 0 };

  export_a (f);
  g_assert_true (wt_bundle_import (f->b, f->bundle, f->key_a, NULL, &r, &error));
  wt_bundle_result_clear (&r);
  g_assert_true (wt_bundle_import (f->b, f->bundle, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_true (r.already);
  g_assert_cmpint (r.inserted, ==, 0);
  g_assert_cmpint (r.duplicates, ==, 3);
  wt_bundle_result_clear (&r);
  g_assert_cmpint (wt_ledger_count_events (f->b), ==, 3);
}

static void
assert_refused (Fixture    *f,
                const char *trust,
                const char *words)
{
  g_autoptr(GError) error = NULL;
  WtBundleResult r = { 0 };

  g_assert_false (wt_bundle_import (f->b, f->bundle, trust, NULL, &r, &error));
  g_assert_error (error, WT_ERROR, WT_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, words));
  g_assert_nonnull (strstr (error->message, "Nothing was imported"));
  g_assert_cmpint (wt_ledger_count_events (f->b), ==, 0);
  g_assert_cmpint (wt_ledger_count_containers (f->b), ==, 0);
}

static void
rewrite (const char *path,
         gssize      at,
         gsize       keep)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  if (at >= 0)
    data[at < 0 ? 0 : (gsize) at < len ? (gsize) at : len - 1] ^= 0x01;
  g_assert_true (g_file_set_contents (path, data, keep ? (gssize) keep : (gssize) len, NULL));
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

static void
test_tampered_body (Fixture       *f,
                    gconstpointer  data)
{
  export_a (f);
  rewrite (f->bundle, file_size (f->bundle) - 10, 0);
  assert_refused (f, f->key_a, "altered");
}

static void
test_tampered_header (Fixture       *f,
                      gconstpointer  data)
{
  export_a (f);
  rewrite (f->bundle, 40, 0);
  assert_refused (f, f->key_a, "refused");
}

static void
test_truncated (Fixture       *f,
                gconstpointer  data)
{
  export_a (f);
  rewrite (f->bundle, -1, file_size (f->bundle) - 25);
  assert_refused (f, f->key_a, "truncated");
}

static void
test_unknown_signer (Fixture       *f,
                     gconstpointer  data)
{
  export_a (f);
  assert_refused (f, NULL, "not known here");
}

static void
test_wrong_signer (Fixture       *f,
                   gconstpointer  data)
{
  guint8 other_pk[32], other_sk[64];
  char other[65];

  export_a (f);
  crypto_sign_keypair (other_pk, other_sk);
  sodium_bin2hex (other, sizeof other, other_pk, 32);
  assert_refused (f, other, "other than the trusted one");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/bundle/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/bundle/double-import", Fixture, NULL, fixture_setup, test_double_import, fixture_teardown);
  g_test_add ("/bundle/tampered-body", Fixture, NULL, fixture_setup, test_tampered_body, fixture_teardown);
  g_test_add ("/bundle/tampered-header", Fixture, NULL, fixture_setup, test_tampered_header, fixture_teardown);
  g_test_add ("/bundle/truncated", Fixture, NULL, fixture_setup, test_truncated, fixture_teardown);
  g_test_add ("/bundle/unknown-signer", Fixture, NULL, fixture_setup, test_unknown_signer, fixture_teardown);
  g_test_add ("/bundle/wrong-signer", Fixture, NULL, fixture_setup, test_wrong_signer, fixture_teardown);

  return g_test_run ();
}
