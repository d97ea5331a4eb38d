/* wt-bundle.h: signed USB bundles for sites with no network (issue #5).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bundle is one file:
 *
 *   "WTBNDL1\n"  magic, 8 bytes
 *   u32 BE       length of the header
 *   header       canonical JSON (keys in byte order): format, kind, bundle_id,
 *                device_id, site_id, signer_key, seq_from, seq_to, prev_hash,
 *                last_hash, count, created_hlc, created_ms, body_size,
 *                body_sha256; a receipt adds peer, in_reply_to, server_ms,
 *                acks and keys
 *   64 bytes     Ed25519 signature of the header by the device it names
 *   body         zstd frame of JSON lines, one event row each (every field
 *                the hash covers, with prev_hash, hash and sig)
 *
 * It is written to a hidden temporary name, fsync'ed and renamed, so a
 * stick pulled out early holds the old file or the whole new one. Import
 * checks everything before it writes anything: a changed byte, a cut-off
 * file or an unknown signer refuses the whole bundle with one sentence.
 * Importing the same bundle again changes nothing (bundle_log, and the
 * events' ids). Bodies are signed, not encrypted.
 *
 * Same thread rules as WtLedger.
 */
#pragma once

#include "wt-ledger.h"

G_BEGIN_DECLS

typedef struct
{
  char    *bundle_id;
  char    *kind;          /* "events" or "receipt" */
  char    *device_id;     /* the signer */
  char    *site_id;
  gint64   seq_from;
  gint64   seq_to;
  gint64   count;         /* events in the body */
  gint64   file_size;
} WtBundleInfo;

void         wt_bundle_info_clear     (WtBundleInfo *info);

typedef struct
{
  WtBundleInfo info;
  gboolean     already;      /* this bundle was imported before */
  gint64       inserted;     /* new events stored */
  gint64       duplicates;
  gint64       anomalies;
  gint64       acked_seq;    /* a receipt: what the peer now holds of us */
  char        *receipt_path; /* a receipt was written there, or NULL */
} WtBundleResult;

void         wt_bundle_result_clear   (WtBundleResult *result);

/* Writes this device's events that the central store has not acknowledged
 * (@since_ms < 0), or all from the first one at or after @since_ms. */
gboolean     wt_bundle_export         (WtLedger        *ledger,
                                       const char      *path,
                                       gint64           since_ms,
                                       WtBundleInfo    *out_info,
                                       GError         **error);

/* Imports a bundle into a site's ledger. An events bundle from another
 * device: its events are stored and folded, and when @receipt_path is set a
 * receipt bundle signed by this device is written there (what this ledger
 * now holds of the sender's chain, the events of containers that concern
 * the sender's site, this clock). A receipt: this device's acknowledgement
 * by that peer moves, its events are stored, the clock moves up to it.
 * @trust_key: hex public key a person checked, for a signer not known yet. */
gboolean     wt_bundle_import         (WtLedger        *ledger,
                                       const char      *path,
                                       const char      *trust_key,
                                       const char      *receipt_path,
                                       WtBundleResult  *out_result,
                                       GError         **error);

/* Imports an events bundle into the central store (an administrator's
 * connection) through the same apply_stage() path as a push; with
 * @receipt_path, writes the receipt signed by @ledger's device (the central
 * office's own ledger). */
gboolean     wt_bundle_import_central (const char      *conninfo,
                                       WtLedger        *ledger,
                                       const char      *path,
                                       const char      *trust_key,
                                       const char      *receipt_path,
                                       WtBundleResult  *out_result,
                                       GError         **error);

G_END_DECLS
