/* wt-ledger-sync.h: the ledger's side of synchronisation (issue #5).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What wt-sync (the central PostgreSQL store) and wt-bundle (USB bundles)
 * need from a WtLedger: this device's chain after a sequence, events of other
 * devices stored idempotently and folded into the container projection,
 * anomalies, the per-peer acknowledgement and the hybrid logical clock.
 *
 * Same thread rules as WtLedger: any one thread at a time, never the main
 * loop; every call takes the ledger's lock and every write is one SQLite
 * transaction.
 */
#pragma once

#include "wt-handover.h"
#include "wt-ledger.h"

G_BEGIN_DECLS

/* The peer name of the central store in sync_peer. */
#define WT_SYNC_PEER_CENTRAL "central"

/**
 * WtSyncEvent:
 * One event row as it travels: every field the hash covers, plus the custody
 * predecessor, the link and the device's signature. In a WtSyncRowFunc the
 * strings are borrowed for the duration of the call; events made with
 * wt_sync_event_copy() own them.
 */
typedef struct
{
  guint8       event_id[16];
  const char  *device_id;
  gint64       device_seq;
  const char  *site_id;
  const char  *container_code;
  const char  *kind;
  gboolean     has_prev_custody;
  guint8       prev_custody[16];
  const char  *actor;
  gint64       wall_ms;
  gint64       hlc;
  const char  *payload;
  guint8       prev_hash[32];
  guint8       hash[32];
  guint8       sig[64];
} WtSyncEvent;

WtSyncEvent *wt_sync_event_copy   (const WtSyncEvent *event) G_GNUC_WARN_UNUSED_RESULT;
void         wt_sync_event_free   (WtSyncEvent       *event);
/* Recomputes the hash from the fields; TRUE when it matches event->hash. */
gboolean     wt_sync_event_check_hash (const WtSyncEvent *event);

/* A device key vouched for by whoever delivers events (the central store's
 * device table, a trusted receipt). */
typedef struct
{
  char   *device_id;
  char   *site_id;
  guint8  public_key[32];
} WtSyncKey;

void         wt_sync_key_free     (WtSyncKey *key);

typedef gboolean (*WtSyncRowFunc) (const WtSyncEvent  *event,
                                   gpointer            user_data,
                                   GError            **error);

/* This device: its id, site and public key. */
gboolean     wt_ledger_sync_identity     (WtLedger     *self,
                                          char        **out_device_id,
                                          char        **out_site_id,
                                          guint8       *out_public_key,
                                          GError      **error);
/* This device's chain head (0 and zeros when it has no events). */
gboolean     wt_ledger_sync_head         (WtLedger     *self,
                                          gint64       *out_seq,
                                          guint8       *out_hash,
                                          GError      **error);
/* The hash of @device_id's event @seq; @out_found FALSE when not held. */
gboolean     wt_ledger_sync_hash_at      (WtLedger     *self,
                                          const char   *device_id,
                                          gint64        seq,
                                          guint8       *out_hash,
                                          gboolean     *out_found,
                                          GError      **error);
/* Calls @func for this device's events with sequence > @after_seq in order,
 * at most @limit (0 = all). Each row's hash and its link to the row before
 * are checked on the way: a mismatch stops with WT_ERROR_TAMPERED, so an
 * edited ledger is never sent. */
gboolean     wt_ledger_sync_read_local   (WtLedger      *self,
                                          gint64         after_seq,
                                          gint64         limit,
                                          WtSyncRowFunc  func,
                                          gpointer       user_data,
                                          GError       **error);
/* The first sequence of this device whose wall clock is at or after @ms;
 * head + 1 when none. */
gboolean     wt_ledger_sync_first_seq_since (WtLedger  *self,
                                             gint64     ms,
                                             gint64    *out_seq,
                                             GError   **error);

/* ---- Peers: acknowledgement, pull cursor, clock ------------------------------ */

typedef struct
{
  gint64   acked_seq;
  guint8   acked_hash[32];
  char    *pull_cursor;     /* opaque to the ledger; NULL before the first pull */
  gint64   clock_offset_ms;
  gint64   last_sync_ms;    /* 0 = never */
  char    *last_error;
} WtSyncPeer;

void         wt_sync_peer_clear          (WtSyncPeer   *peer);
gboolean     wt_ledger_sync_get_peer     (WtLedger     *self,
                                          const char   *peer,
                                          WtSyncPeer   *out,
                                          GError      **error);
/* Records that @peer holds this device's chain up to @seq. Never moves the
 * acknowledgement backwards. */
gboolean     wt_ledger_sync_set_acked    (WtLedger     *self,
                                          const char   *peer,
                                          gint64        seq,
                                          const guint8 *hash,
                                          GError      **error);
/* Ends a sync with @peer: the measured offset (G_MININT64: not measured,
 * as with a receipt that came on a stick), the peer's clock (the
 * hybrid logical clock moves up to it, so later events sort after what
 * was seen) and the error, or NULL for success. */
gboolean     wt_ledger_sync_finish       (WtLedger     *self,
                                          const char   *peer,
                                          gint64        clock_offset_ms,
                                          gint64        peer_ms,
                                          const char   *last_error,
                                          GError      **error);
/* Events of this device that @peer has not acknowledged. */
gint64       wt_ledger_sync_pending      (WtLedger     *self,
                                          const char   *peer);

/* ---- Storing events of other devices --------------------------------------------- */

typedef struct
{
  const char   *peer;          /* sync_peer row whose pull cursor moves, or NULL */
  const char   *pull_cursor;   /* new cursor, stored in the same transaction */
  const guint8 *bundle_id;     /* 16 bytes: logged in bundle_log, or NULL */
  const char   *bundle_device;
  gint64        bundle_seq_from;
  gint64        bundle_seq_to;
  const guint8 *bundle_sha256; /* 32 bytes or NULL */
  const char   *bundle_direction; /* "in" or "out" */
  const char   *source;        /* names the origin in anomalies: "central", "bundle" */
} WtSyncImportOptions;

typedef struct
{
  guint64 inserted;
  guint64 duplicates;
  guint64 conflicts;     /* rows kept out: same id other content, or a fork */
  guint64 anomalies;     /* anomalies recorded by this import */
  guint64 containers;    /* containers whose projection moved */
} WtSyncImportResult;

/* Verifies every event first (hash recomputed; signature by its device's
 * key, known here or given in @keys), refusing the whole set with
 * WT_ERROR_TAMPERED naming the first bad one; then, in one transaction,
 * inserts the new ones (same id and hash: a duplicate; same id other
 * content, or another event at the same device sequence: an anomaly with
 * both versions, the stored one kept), folds them into the container
 * projection, records custody anomalies, advances the hybrid logical
 * clock and stores the options' cursor and bundle log row.
 * @events: (element-type WtSyncEvent); @keys: (element-type WtSyncKey) (nullable). */
gboolean     wt_ledger_sync_import       (WtLedger                   *self,
                                          GPtrArray                  *events,
                                          GPtrArray                  *keys,
                                          const WtSyncImportOptions  *options,
                                          WtSyncImportResult         *out_result,
                                          GError                    **error);
/* Whether a bundle id is in bundle_log already. */
gboolean     wt_ledger_sync_has_bundle   (WtLedger     *self,
                                          const guint8 *bundle_id);
gboolean     wt_ledger_sync_log_bundle   (WtLedger     *self,
                                          const guint8 *bundle_id,
                                          const char   *direction,
                                          const char   *device_id,
                                          gint64        seq_from,
                                          gint64        seq_to,
                                          gint64        n_events,
                                          const guint8 *file_sha256,
                                          GError      **error);
/* The public key of a device this ledger knows (TRUE), or FALSE. */
gboolean     wt_ledger_sync_device_key   (WtLedger     *self,
                                          const char   *device_id,
                                          guint8       *out_public_key,
                                          gboolean     *out_blocked);
/* Trusts a device key given by a person (bundle import --trust): adds the
 * device (not local) or checks that the key matches the one known. */
gboolean     wt_ledger_sync_trust_key    (WtLedger     *self,
                                          const WtSyncKey *key,
                                          GError      **error);
/* Signs @data with this device's key. */
gboolean     wt_ledger_sync_sign         (WtLedger     *self,
                                          const guint8 *data,
                                          gsize         len,
                                          guint8       *out_sig,
                                          GError      **error);
/* Calls @func for events held here of devices other than @exclude_device
 * on containers that @site_id has events on (what a receipt carries back). */
gboolean     wt_ledger_sync_read_for_site (WtLedger      *self,
                                           const char    *site_id,
                                           const char    *exclude_device,
                                           WtSyncRowFunc  func,
                                           gpointer       user_data,
                                           GError       **error);

/* ---- Anomalies ----------------------------------------------------------------- */

typedef struct
{
  gint64  id;
  char   *kind;            /* device_fork, conflicting_duplicate, double_custody, ... */
  char   *container_code;  /* or NULL */
  char   *event_id;        /* text UUIDs, or NULL */
  char   *other_event_id;
  char   *detail;          /* JSON: both versions where there are two */
  gint64  detected_ms;
  char   *source;          /* "local", "central:<id>", "bundle" */
  char   *resolved_by;     /* the resolution event, or NULL while open */
} WtAnomaly;

void         wt_anomaly_free             (WtAnomaly    *anomaly);
/* Returns: (element-type WtAnomaly): oldest first. */
GPtrArray   *wt_ledger_list_anomalies    (WtLedger     *self,
                                          gboolean      open_only,
                                          GError      **error) G_GNUC_WARN_UNUSED_RESULT;
gint64       wt_ledger_count_open_anomalies (WtLedger  *self);
/* Records an anomaly unless one of the same kind for the same events is
 * there. @out_added tells which. */
gboolean     wt_ledger_sync_add_anomaly  (WtLedger     *self,
                                          const char   *kind,
                                          const char   *container_code,
                                          const guint8 *event_id,
                                          const guint8 *other_event_id,
                                          const char   *detail,
                                          gint64        detected_ms,
                                          const char   *source,
                                          gboolean     *out_added,
                                          GError      **error);
/* Marks an anomaly settled by an event that arrived (a pending pickup). */
gboolean     wt_ledger_sync_close_anomaly (WtLedger    *self,
                                           const char  *source,
                                           const guint8 *by_event,
                                           GError     **error);
/* A supervisor settles an anomaly: a `resolution` event naming it (and,
 * for one found by the central store, its central id) is appended to this
 * device's chain and the anomaly points to it. @note is required. */
gboolean     wt_ledger_resolve_anomaly   (WtLedger     *self,
                                          gint64        id,
                                          const char   *note,
                                          GError      **error);
/* The same, settled by a named supervisor whose PIN is checked as a
 * handover party's is (the first use of a name on this device sets it);
 * the name is recorded in the resolution event. */
gboolean     wt_ledger_resolve_anomaly_by (WtLedger      *self,
                                           gint64         id,
                                           const WtParty *supervisor,
                                           const char    *note,
                                           GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtSyncEvent, wt_sync_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtSyncKey, wt_sync_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtAnomaly, wt_anomaly_free)

G_END_DECLS
