/* wt-sync.h: the central PostgreSQL store over TLS (issue #5).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Direct libpq, one connection per call, every step idempotent: a push is a
 * loop of transactions (claim the device's cursor, COPY a batch into a
 * temporary stage, ingest.apply_stage()), and the server's cursor is the
 * acknowledgement, so a run killed anywhere resumes by sending only what is
 * missing. A pull reads ingest.feed_for_site() under an xid8 watermark and
 * stores each page with its cursor in one local transaction.
 *
 * Thread rules: blocking calls; run them in a worker thread (GTask), never
 * on the main loop. A WtLedger passed in is used under its own lock.
 */
#pragma once

#include "wt-ledger.h"
#include "wt-ledger-sync.h"

G_BEGIN_DECLS

#define WT_SYNC_ERROR (wt_sync_error_quark ())

typedef enum
{
  WT_SYNC_ERROR_CONFIG,    /* a connection file or DSN that cannot be used */
  WT_SYNC_ERROR_CONNECT,   /* the server cannot be reached or refused the login */
  WT_SYNC_ERROR_LOST,      /* the connection broke in the middle; run again to resume */
  WT_SYNC_ERROR_SERVER,    /* the server refused a statement */
  WT_SYNC_ERROR_REFUSED,   /* not allowed: another site's device, no such site */
  WT_SYNC_ERROR_FORK,      /* this device's chain forked (old backup restored); blocked */
  WT_SYNC_ERROR_BLOCKED,   /* this device is blocked at the central store */
  WT_SYNC_ERROR_SCHEMA,    /* the central store is not installed or is newer */
} WtSyncError;

GQuark       wt_sync_error_quark          (void);

typedef struct
{
  guint      batch_size;   /* events per push transaction; 0 = 10,000 */
  guint      page_size;    /* events per pull page; 0 = 10,000 */
  gboolean   no_push;
  gboolean   no_pull;
} WtSyncOptions;

typedef struct
{
  gint64  pushed;          /* rows the server inserted */
  gint64  sent;            /* rows sent (inserted + duplicates) */
  gint64  duplicates;      /* rows the server already had */
  gint64  pulled;          /* new events stored here */
  gint64  new_anomalies;   /* recorded here by this sync (local and central) */
  gint64  open_anomalies;  /* open in this ledger after the sync */
  gint64  clock_offset_ms; /* server clock minus ours (NTP formula) */
  gint64  batches;
} WtSyncStats;

/* Reads a connection file (key = value lines: host, port, dbname, user,
 * sslmode, sslrootcert, sslcert, sslkey, password) into a libpq conninfo.
 * When the desktop keyring is there, a password found in the file moves
 * into it and the file is rewritten without it; without a keyring the file
 * must be private (0600). Relative paths are relative to the file. */
char        *wt_sync_conninfo_from_file   (const char     *path,
                                           GError        **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether the desktop keyring (Secret Service on the session bus) is used. */
gboolean     wt_sync_keyring_available    (void);

/* Push, pull and fold, then anomalies. */
gboolean     wt_sync_run                  (WtLedger       *ledger,
                                           const char     *conninfo,
                                           const WtSyncOptions *options,
                                           WtSyncStats    *out_stats,
                                           GError        **error);

/* ---- The central office's read-only mode ----------------------------------------- */

/* Copies every event the connected role may read into @cache, a local
 * ledger used only to browse: row-level security decides what that is (a
 * member of wastetag_central reads all sites; a site role only its own
 * site's events, never another site's). Incremental:
 * the xid8 watermark is kept in @cache's sync_peer row for this store, so
 * no committed row is ever skipped and running it again pulls only new rows.
 * Events are checked in full (hash, signature by their device's key) and
 * stored through wt_ledger_sync_import(), so the projections are folded.
 * Each page is stored with its cursor in one local transaction: a
 * connection lost in the middle keeps what was stored and resumes after it.
 * Blocking; run it in a worker thread. @out_pulled gets the number of new
 * events stored (nullable). Never writes to the central store. */
gboolean     wt_central_mirror            (WtLedger       *cache,
                                           const char     *conninfo,
                                           GCancellable   *cancellable,
                                           gint64         *out_pulled,
                                           GError        **error);

/* ---- The central office (an administrator's connection) --------------------------- */

/* Applies the migrations in resources/sql/ that the database lacks, all in
 * one transaction. @out_applied gets how many ran (0: already current). */
gboolean     wt_central_init              (const char     *conninfo,
                                           guint          *out_applied,
                                           guint          *out_version,
                                           GError        **error);
/* Creates a site's LOGIN role (member of wastetag_site) with a random SCRAM
 * password and writes its connection file (0600) to @out_path. @cert and
 * @key (both or neither) go into the file as the client certificate. */
gboolean     wt_central_add_site          (const char     *conninfo,
                                           const char     *site_id,
                                           const char     *name,
                                           const char     *out_path,
                                           const char     *cert,
                                           const char     *key,
                                           GError        **error);
/* Creates a central office's LOGIN role (member of wastetag_central:
 * reads every site through row-level security, writes nothing; its
 * transactions start read-only) with a random SCRAM password and writes its
 * connection file (0600) to @out_path. Needs schema version 2. */
gboolean     wt_central_add_office        (const char     *conninfo,
                                           const char     *name,
                                           const char     *out_path,
                                           const char     *cert,
                                           const char     *key,
                                           GError        **error);
/* The role an office logs in as: office_<name> for a plain ASCII name,
 * else office_<12 hex digits of the name's SHA-256>. */
char        *wt_central_office_role       (const char     *name) G_GNUC_WARN_UNUSED_RESULT;
/* The role a site logs in as. */
char        *wt_central_site_role         (const char     *site_id) G_GNUC_WARN_UNUSED_RESULT;
typedef struct
{
  gint64 heads;           /* newest events whose signature was checked */
  gint64 bad_heads;       /* of them bad: device blocked at once */
  gint64 authenticated;   /* events newly authenticated by a good head */
  gint64 checked;         /* events whose own signature the sweep checked */
  gint64 bad;             /* events the sweep named as the first bad one */
} WtCentralVerifyStats;

/* Central verification with libsodium (SQL cannot check Ed25519), in two
 * steps on one pool of worker threads. First each device's newest event
 * above verify_state.authenticated_seq: apply_stage() proved every hash and
 * link at ingest, so its good signature authenticates the segment before it;
 * a bad one is an anomaly and blocks the device at once. Then, at lower
 * priority, the sweep checks every event's own signature not checked before
 * (verify_state.verified_seq); the first bad one is an anomaly (completing
 * a bad head's) and blocks its device. Heads are looked at again while the
 * sweep works. */
typedef enum
{
  WT_CENTRAL_VERIFY_DEFAULT    = 0,
  WT_CENTRAL_VERIFY_HEADS_ONLY = 1 << 0,   /* authenticate segments, no sweep */
} WtCentralVerifyFlags;

gboolean     wt_central_verify_full       (const char     *conninfo,
                                           WtCentralVerifyFlags flags,
                                           WtCentralVerifyStats *out_stats,
                                           GError        **error);
/* wt_central_verify_full(), giving only the sweep's counts. */
gboolean     wt_central_verify            (const char     *conninfo,
                                           gint64         *out_checked,
                                           gint64         *out_bad,
                                           GError        **error);
/* Stores one device's chain segment (from a bundle) through the same
 * COPY + apply_stage() path as a push, as an administrator. The device is
 * registered with @public_key for @site_id when the store does not know
 * it and @trust is set. @out_last_seq/@out_last_hash get the cursor after. */
gboolean     wt_central_import_events     (const char     *conninfo,
                                           GPtrArray      *events,
                                           const char     *device_id,
                                           const char     *site_id,
                                           const guint8   *public_key,
                                           gboolean        trust,
                                           gint64         *out_inserted,
                                           gint64         *out_duplicates,
                                           gint64         *out_last_seq,
                                           guint8         *out_last_hash,
                                           GError        **error);
/* What a receipt carries back: the site's feed (events of containers that
 * concern it, from other devices) with their keys, and the server's clock. */
gboolean     wt_central_site_feed         (const char     *conninfo,
                                           const char     *device_id,
                                           GPtrArray     **out_events,
                                           GPtrArray     **out_keys,
                                           gint64         *out_server_ms,
                                           GError        **error);

G_END_DECLS
