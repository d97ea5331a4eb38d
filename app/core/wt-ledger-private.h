/* wt-ledger-private.h: what the ledger's own files share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * wt-ledger.c owns the file, the site and the chain; wt-handover.c adds the
 * custody workflows on top. Nothing outside app/core includes this.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <sqlite3.h>

#include "wt-catalogue.h"
#include "wt-handover.h"
#include "wt-ledger.h"

G_BEGIN_DECLS

struct _WtLedger
{
  GObject      parent_instance;

  /* Owned */
  sqlite3     *db;
  char        *path;
  char        *key_path;
  GMutex       lock;

  /* Loaded with the site; NULL until then. */
  char        *site_id;
  char        *device_id;
  char        *device_name;
  char         slot;
  WtCodeSplit  split;
  guint8       secret_key[crypto_sign_SECRETKEYBYTES];
  gboolean     have_key;

  gint64       clock_override_ms;

  /* Statements kept prepared (wt_db_cached()), by their SQL. */
  GHashTable  *stmts;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* The payload of a row of event_row: format 6 stores a payload that
 * repeats the one stored before it once, and points at it (`same_as`).
 * The `event` view reads payloads through this. A pointer to nowhere (the
 * file was edited) gives '', which no hash matches. */
#define EVENT_ROW_PAYLOAD(r) \
  "coalesce (" r ".payload, (SELECT s.payload FROM event_row s WHERE s.id = " r ".same_as), '')"

/* container.label is '' when it is the payload of the container's own
 * `labelled` event (format 5): the label's JSON, about 400 bytes, is then
 * stored once, in the event, instead of twice. Read it through this; the
 * order is event_by_container's, so the first row is the one read. It reads
 * event_row rather than the `event` view: every container query includes
 * it, and a query on the view takes three times as long to prepare. Only
 * rows the view shows (and verify checks) count. */
#define CONTAINER_LABEL(table) \
  "CASE WHEN " table ".label <> '' THEN " table ".label" \
  " ELSE (SELECT " EVENT_ROW_PAYLOAD ("l") " FROM event_row l" \
  "        WHERE l.cno = (SELECT n.no FROM container_ref n WHERE n.code = " table ".code)" \
  "          AND l.kind = 'labelled' AND l.dev IN (SELECT d.no FROM device_ref d)" \
  "        ORDER BY l.hlc, l.id LIMIT 1) END"

#define CONTAINER_COLUMNS \
  "code, waste_code, waste_name, common_name, hazards, weight_kg, state, reprints," \
  " labelled_ms, day, void_reason, " CONTAINER_LABEL ("container") "," \
  " facility, manifest_id, predecessor_unknown, updated_ms"

/* Reads a row selected with CONTAINER_COLUMNS. */
WtContainer   *wt_container_from_row    (sqlite3_stmt *stmt);

/* All of these expect self->lock held. */
gboolean       wt_db_error              (WtLedger     *self,
                                         GError      **error,
                                         const char   *what);
gboolean       wt_db_exec               (WtLedger     *self,
                                         const char   *sql,
                                         GError      **error);
sqlite3_stmt  *wt_db_prepare            (WtLedger     *self,
                                         const char   *sql,
                                         GError      **error);
/* A statement prepared once and kept for the ledger's life, reset and
 * unbound, for those run once per container or event of a long operation
 * (a statement on the `event` view takes ≈ 50 µs to prepare, more than it
 * takes to run). Borrowed: never finalize it; reset it when stopping
 * before SQLITE_DONE. Lock held. */
sqlite3_stmt  *wt_db_cached             (WtLedger     *self,
                                         const char   *sql,
                                         GError      **error);
void           wt_db_rollback           (WtLedger     *self);
char          *wt_db_column_dup         (sqlite3_stmt *stmt,
                                         int           col);
gint64         wt_ledger_now_ms         (WtLedger     *self);
char          *wt_ledger_today          (WtLedger     *self);
gboolean       wt_ledger_require_site   (WtLedger     *self,
                                         GError      **error);

/* SHA-256 of one event over @prev_hash and its length-prefixed fields;
 * resources/sql/001_init.sql recomputes it in SQL, keep the two in step. */
void           event_hash               (const guint8 *prev_hash,
                                         const char   *event_id,
                                         const char   *device_id,
                                         gint64        device_seq,
                                         const char   *site_id,
                                         const char   *container,
                                         const char   *kind,
                                         const char   *actor,
                                         gint64        wall_ms,
                                         gint64        hlc,
                                         const char   *payload,
                                         guint8       *out_hash);

gboolean       wt_valid_date            (const char   *date);
char          *wt_uuid_v7               (gint64        ms);
char          *wt_uuid_text             (const guint8 *bytes);
gboolean       wt_uuid_to_bytes         (const char   *text,
                                         guint8       *out);
char          *wt_json_text             (JsonNode     *node);
const WtWaste *wt_lookup_waste          (const char   *code,
                                         GError      **error);
gboolean       wt_check_reason          (const char   *reason,
                                         GError      **error);

/**
 * Appender:
 * Appends events to this device's chain inside one write transaction:
 * begin (reads the chain head), add (any number), finish (writes the head
 * back), clear (always). @actor is who did it; NULL means the OS user.
 */
typedef struct
{
  gint64        seq;
  guint8        hash[32];
  gint64        hlc;
  sqlite3_stmt *insert;     /* borrowed: wt_db_cached() */
  const char   *actor;
  gint64        first_seq;  /* sequence of the first event of this batch */
  /* The running digest of the chain's signatures (chain_head.sig_digest);
   * FALSE when the chain has none (a ledger from before format 5). */
  gboolean      have_digest;
  guint8        sig_digest[32];
} Appender;

/* Checks a person's name and PIN (wt-handover.c); the first use of a name
 * on this device sets its PIN. Lock held, inside the caller's transaction. */
gboolean     wt_ledger_check_party      (WtLedger       *self,
                                         const WtParty  *party,
                                         GError        **error);

/* The signed chain head (format 5): SHA-256 over every signature of a
 * device's chain in order, and the message the device signs over its head.
 * Verify uses them to check a sealed chain without one Ed25519 check per
 * event; see wt_ledger_verify_full(). */
void           wt_sig_digest_step       (guint8       *digest,
                                         const guint8 *sig);
void           wt_head_message          (const char   *device_id,
                                         gint64        last_seq,
                                         const guint8 *last_hash,
                                         const guint8 *sig_digest,
                                         guint8       *out);

gboolean       wt_appender_begin        (WtLedger     *self,
                                         Appender     *app,
                                         GError      **error);
gboolean       wt_appender_add          (WtLedger     *self,
                                         Appender     *app,
                                         const char   *container,
                                         const char   *kind,
                                         const guint8 *prev_custody,
                                         const char   *payload,
                                         guint8       *out_event_id,
                                         GError      **error);
gboolean       wt_appender_finish       (WtLedger     *self,
                                         Appender     *app,
                                         GError      **error);
void           wt_appender_clear        (Appender     *app);

G_END_DECLS
