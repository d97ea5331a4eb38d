/* wt-ledger.c: the local ledger, an append-only hash-chained event log.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The `event` table is the truth. Every other table is either a projection
 * of the events (container) updated in the same transaction as the event,
 * or bookkeeping that is not a fact about waste (code counters, print jobs,
 * chain heads). Triggers refuse UPDATE and DELETE on `event`; the hash chain
 * and the device signature make an edit made around the triggers visible to
 * wt_ledger_verify().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "wt-catalogue.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-ledger.h"
#include "wt-ledger-private.h"
#include "wt-uscc.h"

/* 'WTAG' in PRAGMA application_id tells our files from other SQLite files. */
#define WT_APPLICATION_ID 0x57544147
#define MAX_BATCH 10000

G_DEFINE_FINAL_TYPE (WtLedger, wt_ledger, G_TYPE_OBJECT)

static const char *schema_v1 =
  "CREATE TABLE meta("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL) STRICT;"
  "CREATE TABLE site("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  site_id TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  uscc TEXT NOT NULL,"
  "  contact TEXT NOT NULL,"
  "  phone TEXT NOT NULL,"
  "  address TEXT NOT NULL,"
  "  facility TEXT NOT NULL,"
  "  code_split TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL) STRICT;"
  "CREATE TABLE device("
  "  device_id TEXT PRIMARY KEY,"
  "  site_id TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  slot TEXT NOT NULL,"
  "  public_key BLOB NOT NULL,"
  "  is_local INTEGER NOT NULL DEFAULT 0,"
  "  created_ms INTEGER NOT NULL) STRICT;"
  "CREATE TABLE event("
  "  id INTEGER PRIMARY KEY,"
  "  event_id BLOB NOT NULL UNIQUE,"
  "  device_id TEXT NOT NULL,"
  "  device_seq INTEGER NOT NULL,"
  "  site_id TEXT NOT NULL,"
  "  container_code TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  prev_custody BLOB,"
  "  actor TEXT NOT NULL,"
  "  wall_ms INTEGER NOT NULL,"
  "  hlc INTEGER NOT NULL,"
  "  payload TEXT NOT NULL,"
  "  prev_hash BLOB NOT NULL,"
  "  hash BLOB NOT NULL,"
  "  sig BLOB NOT NULL,"
  "  UNIQUE (device_id, device_seq)) STRICT;"
  "CREATE INDEX event_by_container ON event (container_code, hlc);"
  "CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER event_no_delete BEFORE DELETE ON event"
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
  "CREATE TABLE chain_head("
  "  device_id TEXT PRIMARY KEY,"
  "  last_seq INTEGER NOT NULL,"
  "  last_hash BLOB NOT NULL) STRICT;"
  "CREATE TABLE clock("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  max_hlc INTEGER NOT NULL) STRICT;"
  "INSERT INTO clock VALUES (1, 0);"
  "CREATE TABLE code_counter("
  "  slot TEXT NOT NULL,"
  "  waste TEXT NOT NULL,"
  "  day TEXT NOT NULL,"
  "  next INTEGER NOT NULL,"
  "  PRIMARY KEY (slot, waste, day)) STRICT;"
  "CREATE TABLE print_job("
  "  id INTEGER PRIMARY KEY,"
  "  created_ms INTEGER NOT NULL,"
  "  waste_code TEXT NOT NULL,"
  "  day TEXT NOT NULL,"
  "  slot TEXT NOT NULL,"
  "  first_counter INTEGER NOT NULL,"
  "  n INTEGER NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('reserved', 'registered', 'abandoned')),"
  "  reason TEXT) STRICT;"
  "CREATE TABLE container("
  "  code TEXT PRIMARY KEY,"
  "  waste_code TEXT NOT NULL,"
  "  waste_name TEXT NOT NULL,"
  "  common_name TEXT NOT NULL,"
  "  hazards INTEGER NOT NULL,"
  "  weight_kg REAL,"
  "  state TEXT NOT NULL,"
  "  reprints INTEGER NOT NULL DEFAULT 0,"
  "  labelled_ms INTEGER NOT NULL,"
  "  day TEXT NOT NULL,"
  "  void_reason TEXT,"
  "  job_id INTEGER,"
  "  label TEXT NOT NULL,"
  "  last_event BLOB NOT NULL) STRICT;"
  "CREATE INDEX container_by_time ON container (labelled_ms);";

/* Version 2: custody at handover points (issue #3). */
static const char *schema_v2 =
  "ALTER TABLE container ADD COLUMN facility TEXT;"
  "ALTER TABLE container ADD COLUMN manifest_id TEXT;"
  "ALTER TABLE container ADD COLUMN predecessor_unknown INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE container ADD COLUMN updated_ms INTEGER;"
  "CREATE INDEX container_by_state ON container (state);"
  "CREATE TABLE manifest("
  "  id TEXT PRIMARY KEY,"
  "  number TEXT,"
  "  draft_number TEXT NOT NULL,"
  "  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),"
  "  producer TEXT NOT NULL,"
  "  producer_uscc TEXT NOT NULL,"
  "  code_split TEXT NOT NULL,"
  "  carrier TEXT NOT NULL,"
  "  vehicle TEXT NOT NULL,"
  "  receiver TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('open', 'confirmed')),"
  "  confirmed_ms INTEGER,"
  "  handover_ms INTEGER,"
  "  source_key BLOB) STRICT;"
  "CREATE UNIQUE INDEX manifest_by_number ON manifest (number) WHERE number IS NOT NULL;"
  /* The scan list of a manifest: bookkeeping until the handover is
   * confirmed, so a crash between scanning and confirming records nothing
   * and loses no scans. */
  "CREATE TABLE manifest_item("
  "  manifest_id TEXT NOT NULL,"
  "  code TEXT NOT NULL,"
  "  expected INTEGER NOT NULL DEFAULT 0,"
  "  scans INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL DEFAULT 'ok',"
  "  waste_code TEXT NOT NULL DEFAULT '',"
  "  expected_kg REAL,"
  "  weight_kg REAL,"
  "  reject INTEGER NOT NULL DEFAULT 0,"
  "  reason TEXT,"
  "  payload TEXT,"
  "  PRIMARY KEY (manifest_id, code)) STRICT;"
  "CREATE TABLE person("
  "  name TEXT PRIMARY KEY,"
  "  pin_hash TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL) STRICT;"
  "CREATE TABLE treatment_method("
  "  code TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL) STRICT;"
  "CREATE TABLE setting("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL) STRICT;";

/* Version 3: synchronisation (issue #5). Events of other devices go into
 * `event` like our own, their keys into `device` (is_local = 0). */
static const char *schema_v3 =
  "ALTER TABLE device ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE sync_peer("
  "  peer TEXT PRIMARY KEY,"
  "  acked_seq INTEGER NOT NULL DEFAULT 0,"
  "  acked_hash BLOB,"
  "  pull_cursor TEXT,"
  "  clock_offset_ms INTEGER,"
  "  last_sync_ms INTEGER,"
  "  last_error TEXT) STRICT;"
  "CREATE TABLE bundle_log("
  "  bundle_id BLOB PRIMARY KEY,"
  "  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),"
  "  device_id TEXT,"
  "  seq_from INTEGER,"
  "  seq_to INTEGER,"
  "  n_events INTEGER NOT NULL DEFAULT 0,"
  "  file_sha256 BLOB,"
  "  at_ms INTEGER NOT NULL) STRICT;"
  "CREATE TABLE anomaly("
  "  id INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  container_code TEXT,"
  "  event_id BLOB,"
  "  other_event_id BLOB,"
  "  detail TEXT NOT NULL,"
  "  detected_ms INTEGER NOT NULL,"
  "  source TEXT NOT NULL,"
  "  resolved_by BLOB) STRICT;"
  "CREATE INDEX anomaly_open ON anomaly (resolved_by) WHERE resolved_by IS NULL;"
  "CREATE INDEX event_by_device ON event (device_id, device_seq);";

/* Version 4: fast reports and the receiver's licence (issue #4).
 *
 * `out_ms`/`out_kind` say when and how a container left this site's books:
 * the earliest `shipped` or `treated` event this site recorded for it, `out`
 * when that is a shipment (a shipment and a treatment at the same ms count
 * as a shipment), `self` when it was treated here. NULL while it is in stock.
 * Triggers keep them in step with `event` on every path that appends one
 * (handover, corrections, folding of other devices' events, bundle import),
 * so no writer has to remember them; `ledger verify` replays the events and
 * rebuilds them when they disagree.
 *
 * `event_by_device` duplicated the index behind UNIQUE (device_id,
 * device_seq) and cost about 60 bytes per event. */
/* When and how a container left, from its `shipped`/`treated` events of
 * this site: @rows is "FROM … WHERE …" naming them `e`. */
#define OUT_OF(rows) \
  "(SELECT min (e.wall_ms)," \
  "        CASE WHEN min (e.wall_ms) IS NULL THEN NULL" \
  "             WHEN min (CASE WHEN e.kind = 'shipped' THEN e.wall_ms END) IS NULL THEN 'self'" \
  "             WHEN min (CASE WHEN e.kind = 'treated' THEN e.wall_ms END) IS NULL THEN 'out'" \
  "             WHEN min (CASE WHEN e.kind = 'shipped' THEN e.wall_ms END)" \
  "                  <= min (CASE WHEN e.kind = 'treated' THEN e.wall_ms END) THEN 'out'" \
  "             ELSE 'self' END" \
  "   FROM " rows ")"
#define OUT_OF_EVENTS(code) \
  OUT_OF ("event e WHERE e.container_code = " code \
          "    AND e.kind IN ('shipped', 'treated') AND e.site_id = (SELECT site_id FROM site WHERE id = 1)")

static const char *schema_v4 =
  "ALTER TABLE container ADD COLUMN out_ms INTEGER;"
  "ALTER TABLE container ADD COLUMN out_kind TEXT CHECK (out_kind IN ('out', 'self'));"
  "ALTER TABLE manifest ADD COLUMN receiver_licence TEXT NOT NULL DEFAULT '';"
  "UPDATE container SET (out_ms, out_kind) = " OUT_OF_EVENTS ("container.code") ";"
  /* Each with the other column, so the report's ranges are filtered in the
   * index before any row is read. */
  "CREATE INDEX container_by_out ON container (out_ms, day);"
  "CREATE INDEX container_by_day ON container (day, out_ms);"
  /* The report says how many corrections are behind its figures; without
   * this it read the whole event table to count them. Corrections are
   * rare, so the index is small. */
  "CREATE INDEX event_corrections ON event (container_code) WHERE kind = 'correction';"
  "DROP INDEX IF EXISTS event_by_device;"
  "CREATE TRIGGER event_takes_out AFTER INSERT ON event"
  "  WHEN NEW.kind IN ('shipped', 'treated')"
  "  BEGIN"
  "    UPDATE container SET out_ms = NEW.wall_ms,"
  "                         out_kind = CASE NEW.kind WHEN 'shipped' THEN 'out' ELSE 'self' END"
  "     WHERE code = NEW.container_code"
  "       AND NEW.site_id = (SELECT site_id FROM site WHERE id = 1)"
  "       AND (out_ms IS NULL OR NEW.wall_ms < out_ms"
  "            OR (NEW.wall_ms = out_ms AND NEW.kind = 'shipped'));"
  "  END;"
  /* A container row written after its events (folding replays them). */
  "CREATE TRIGGER container_takes_out AFTER INSERT ON container"
  "  BEGIN"
  "    UPDATE container SET (out_ms, out_kind) = " OUT_OF_EVENTS ("NEW.code")
  "     WHERE code = NEW.code AND EXISTS (SELECT 1 FROM event e WHERE e.container_code = NEW.code"
  "                                         AND e.kind IN ('shipped', 'treated'));"
  "  END;";

/* Version 5: the signed chain head. After each append this device stores,
 * beside its chain head, a running SHA-256 over every signature of its
 * chain and an Ed25519 signature over (device, last sequence, last hash,
 * that digest). A chain whose head verifies and whose hashes, links and
 * signature digest all recompute is exactly the chain the key holder
 * wrote, so verify checks one signature for it instead of one per event.
 * Chains from before format 5 have no digest (NULL) and are checked event
 * by event. */
static const char *schema_v5 =
  "ALTER TABLE chain_head ADD COLUMN sig_digest BLOB;"
  "ALTER TABLE chain_head ADD COLUMN head_sig BLOB;"
  /* A label that is its labelled event's payload is read from there. */
  "UPDATE container SET label = ''"
  " WHERE job_id IS NOT NULL AND label = (SELECT l.payload FROM event l WHERE l.container_code = container.code"
  "                                         AND l.kind = 'labelled' ORDER BY l.hlc, l.id LIMIT 1);";

/* Version 6: a smaller event table (issue #4 asks for at most 600 bytes per
 * event on disk; format 5 took about 810).
 *
 * The rows move to `event_row`, which stores each fact once:
 *  - the device and the container as small numbers (`device_ref`,
 *    `container_ref`) instead of a 36-character UUID and a 37-character
 *    code, in the row and again in its indexes;
 *  - the site only when it is not the device's own (`site` NULL);
 *  - the previous hash only when it is not the stored hash of the
 *    device's previous event (zeros before the first), which it is except
 *    where a chain arrived with gaps;
 *  - a payload only when it differs from the one stored last: the labels of
 *    one print job and the scans of one batch carry the same payload, and
 *    all but the first point at it (`same_as`).
 * The view `event` puts the rows back together with the same columns as
 * before, so readers, the hashes, the signatures and the sync format are
 * unchanged; writers insert into the view and its trigger does the rest.
 * Every omitted value is recomputed from rows that are themselves hashed,
 * so a changed byte anywhere still breaks a hash.
 *
 * `manifest_item` becomes a WITHOUT ROWID table: its key was stored twice. */
#define EVENT_ROW_TABLE \
  "CREATE TABLE device_ref(" \
  "  no INTEGER PRIMARY KEY," \
  "  device_id TEXT NOT NULL UNIQUE," \
  "  site_id TEXT NOT NULL) STRICT;" \
  "CREATE TABLE container_ref(" \
  "  no INTEGER PRIMARY KEY," \
  "  code TEXT NOT NULL UNIQUE) STRICT;" \
  "CREATE TABLE event_row(" \
  "  id INTEGER PRIMARY KEY," \
  "  event_id BLOB NOT NULL UNIQUE," \
  "  dev INTEGER NOT NULL," \
  "  seq INTEGER NOT NULL," \
  "  site TEXT," \
  "  cno INTEGER NOT NULL," \
  "  kind TEXT NOT NULL," \
  "  prev_custody BLOB," \
  "  actor TEXT NOT NULL," \
  "  wall_ms INTEGER NOT NULL," \
  "  hlc INTEGER NOT NULL," \
  "  payload TEXT," \
  "  same_as INTEGER," \
  "  prev_hash BLOB," \
  "  hash BLOB NOT NULL," \
  "  sig BLOB NOT NULL," \
  "  UNIQUE (dev, seq)) STRICT;"

/* The hash a row links to when its prev_hash is not stored. */
#define DERIVED_PREV_HASH(dev, seq) \
  "CASE WHEN " seq " = 1 THEN zeroblob (32)" \
  " ELSE (SELECT p.hash FROM event_row p WHERE p.dev = " dev " AND p.seq = " seq " - 1) END"

#define EVENT_VIEW \
  "CREATE VIEW event (id, event_id, device_id, device_seq, site_id, container_code, kind," \
  "                   prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig) AS" \
  "  SELECT r.id, r.event_id, d.device_id, r.seq, coalesce (r.site, d.site_id), c.code, r.kind," \
  "         r.prev_custody, r.actor, r.wall_ms, r.hlc," \
  "         " EVENT_ROW_PAYLOAD ("r") "," \
  "         coalesce (r.prev_hash, " DERIVED_PREV_HASH ("r.dev", "r.seq") ")," \
  "         r.hash, r.sig" \
  "    FROM event_row r" \
  "    JOIN device_ref d ON d.no = r.dev" \
  "    JOIN container_ref c ON c.no = r.cno;" \
  "CREATE TRIGGER event_insert INSTEAD OF INSERT ON event" \
  "  BEGIN" \
  "    SELECT RAISE (ABORT, 'an event needs a device, site, container, payload and previous hash')" \
  "     WHERE NEW.device_id IS NULL OR NEW.site_id IS NULL OR NEW.container_code IS NULL" \
  "        OR NEW.payload IS NULL OR NEW.prev_hash IS NULL;" \
  /* Not INSERT OR IGNORE: an outer INSERT OR REPLACE would turn that into a \
   * replace, and renumber every earlier event of the device or container. */ \
  "    INSERT INTO device_ref (device_id, site_id) SELECT NEW.device_id, NEW.site_id" \
  "     WHERE NOT EXISTS (SELECT 1 FROM device_ref WHERE device_id = NEW.device_id);" \
  "    INSERT INTO container_ref (code) SELECT NEW.container_code" \
  "     WHERE NOT EXISTS (SELECT 1 FROM container_ref WHERE code = NEW.container_code);" \
  "    INSERT INTO event_row (id, event_id, dev, seq, site, cno, kind, prev_custody, actor," \
  "                           wall_ms, hlc, payload, same_as, prev_hash, hash, sig)" \
  "      SELECT NEW.id, NEW.event_id, d.no, NEW.device_seq, nullif (NEW.site_id, d.site_id)," \
  "             (SELECT c.no FROM container_ref c WHERE c.code = NEW.container_code)," \
  "             NEW.kind, NEW.prev_custody, NEW.actor, NEW.wall_ms, NEW.hlc," \
  "             CASE WHEN s.id IS NULL THEN NEW.payload END, s.id," \
  "             CASE WHEN NEW.prev_hash IS " DERIVED_PREV_HASH ("d.no", "NEW.device_seq") \
  "                  THEN NULL ELSE NEW.prev_hash END," \
  "             NEW.hash, NEW.sig" \
  "        FROM device_ref d" \
  "        LEFT JOIN event_row s" \
  "          ON length (NEW.payload) > 8" \
  "         AND s.id = (SELECT coalesce (l.same_as, l.id) FROM event_row l ORDER BY l.id DESC LIMIT 1)" \
  "         AND s.payload = NEW.payload" \
  "       WHERE d.device_id = NEW.device_id;" \
  "  END;" \
  "CREATE TRIGGER event_view_no_update INSTEAD OF UPDATE ON event" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;" \
  "CREATE TRIGGER event_view_no_delete INSTEAD OF DELETE ON event" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;" \
  /* The numbers are part of every event that uses them. */ \
  "CREATE TRIGGER device_ref_no_update BEFORE UPDATE ON device_ref" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;" \
  "CREATE TRIGGER device_ref_no_delete BEFORE DELETE ON device_ref" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;" \
  "CREATE TRIGGER container_ref_no_update BEFORE UPDATE ON container_ref" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;" \
  "CREATE TRIGGER container_ref_no_delete BEFORE DELETE ON container_ref" \
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"

static const char *schema_v6 =
  /* Renaming `event` would rewrite this trigger to the old table. */
  "DROP TRIGGER container_takes_out;"
  "ALTER TABLE event RENAME TO event_v5;"
  EVENT_ROW_TABLE
  EVENT_VIEW
  "INSERT INTO event (id, event_id, device_id, device_seq, site_id, container_code, kind,"
  "                   prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig)"
  "  SELECT id, event_id, device_id, device_seq, site_id, container_code, kind,"
  "         prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig"
  "    FROM event_v5 ORDER BY id;"
  "DROP TABLE event_v5;"
  "CREATE INDEX event_by_container ON event_row (cno, hlc);"
  "CREATE INDEX event_corrections ON event_row (cno) WHERE kind = 'correction';"
  "CREATE TRIGGER event_no_update BEFORE UPDATE ON event_row"
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER event_no_delete BEFORE DELETE ON event_row"
  "  BEGIN SELECT RAISE (ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER event_takes_out AFTER INSERT ON event_row"
  "  WHEN NEW.kind IN ('shipped', 'treated')"
  "  BEGIN"
  "    UPDATE container SET out_ms = NEW.wall_ms,"
  "                         out_kind = CASE NEW.kind WHEN 'shipped' THEN 'out' ELSE 'self' END"
  "     WHERE code = (SELECT c.code FROM container_ref c WHERE c.no = NEW.cno)"
  "       AND coalesce (NEW.site, (SELECT d.site_id FROM device_ref d WHERE d.no = NEW.dev))"
  "           = (SELECT site_id FROM site WHERE id = 1)"
  "       AND (out_ms IS NULL OR NEW.wall_ms < out_ms"
  "            OR (NEW.wall_ms = out_ms AND NEW.kind = 'shipped'));"
  "  END;"
  /* The same as format 4's, on event_row: every statement that inserts a
   * container includes this trigger, and through the view it made that
   * statement seven times as dear to prepare. */
  "CREATE TRIGGER container_takes_out AFTER INSERT ON container"
  "  BEGIN"
  "    UPDATE container SET (out_ms, out_kind) = "
  OUT_OF ("event_row e WHERE e.cno = (SELECT n.no FROM container_ref n WHERE n.code = NEW.code)"
          "    AND e.kind IN ('shipped', 'treated')"
          "    AND coalesce (e.site, (SELECT d.site_id FROM device_ref d WHERE d.no = e.dev))"
          "        = (SELECT site_id FROM site WHERE id = 1)")
  "     WHERE code = NEW.code"
  "       AND EXISTS (SELECT 1 FROM event_row e"
  "                    WHERE e.cno = (SELECT n.no FROM container_ref n WHERE n.code = NEW.code)"
  "                      AND e.kind IN ('shipped', 'treated'));"
  "  END;"
  "CREATE TABLE manifest_item_v6("
  "  manifest_id TEXT NOT NULL,"
  "  code TEXT NOT NULL,"
  "  expected INTEGER NOT NULL DEFAULT 0,"
  "  scans INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL DEFAULT 'ok',"
  "  waste_code TEXT NOT NULL DEFAULT '',"
  "  expected_kg REAL,"
  "  weight_kg REAL,"
  "  reject INTEGER NOT NULL DEFAULT 0,"
  "  reason TEXT,"
  "  payload TEXT,"
  "  PRIMARY KEY (manifest_id, code)) STRICT, WITHOUT ROWID;"
  "INSERT INTO manifest_item_v6 SELECT manifest_id, code, expected, scans, status, waste_code,"
  "                                    expected_kg, weight_kg, reject, reason, payload FROM manifest_item;"
  "DROP TABLE manifest_item;"
  "ALTER TABLE manifest_item_v6 RENAME TO manifest_item;";

/* ---- Small helpers -------------------------------------------------------- */

gboolean
wt_db_error (WtLedger  *self,
          GError   **error,
          const char *what)
{
  int code = sqlite3_extended_errcode (self->db);
  int primary = code & 0xff;

  if (primary == SQLITE_FULL || primary == SQLITE_IOERR)
    g_set_error (error, WT_ERROR, WT_ERROR_DB,
                 _("The ledger could not be written (%s): the disk is full or failing. Nothing was recorded; free some space and try again."),
                 sqlite3_errmsg (self->db));
  else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    g_set_error (error, WT_ERROR, WT_ERROR_DB,
                 _("The ledger is busy in another program. Nothing was recorded; try again in a moment."));
  else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    g_set_error (error, WT_ERROR, WT_ERROR_NOT_A_LEDGER,
                 _("“%s” is not a Wastetag ledger, or it is damaged."), self->path);
  else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM)
    g_set_error (error, WT_ERROR, WT_ERROR_DB,
                 _("The ledger “%s” cannot be written: %s."), self->path, sqlite3_errmsg (self->db));
  else
    {
      /* @what is for the log, in English; the user gets SQLite's words. */
      g_debug ("SQLite failed while %s: %s", what, sqlite3_errmsg (self->db));
      g_set_error (error, WT_ERROR, WT_ERROR_DB,
                   _("The ledger could not be read or written: %s."), sqlite3_errmsg (self->db));
    }

  return FALSE;
}

gboolean
wt_db_exec (WtLedger    *self,
      const char  *sql,
      GError     **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return wt_db_error (self, error, sql);
  return TRUE;
}

sqlite3_stmt *
wt_db_prepare (WtLedger    *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v3 (self->db, sql, -1, 0, &stmt, NULL) != SQLITE_OK)
    {
      wt_db_error (self, error, "preparing a query");
      return NULL;
    }

  return stmt;
}

sqlite3_stmt *
wt_db_cached (WtLedger    *self,
              const char  *sql,
              GError     **error)
{
  sqlite3_stmt *stmt;

  if (self->stmts == NULL)
    self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) sqlite3_finalize);

  stmt = g_hash_table_lookup (self->stmts, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      wt_db_error (self, error, "preparing a query");
      return NULL;
    }
  /* The key is the statement's own copy of its SQL, freed with it. */
  g_hash_table_insert (self->stmts, (gpointer) sqlite3_sql (stmt), stmt);
  return stmt;
}


void
wt_db_rollback (WtLedger *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

char *
wt_db_column_dup (sqlite3_stmt *stmt,
            int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return g_strdup (text ? (const char *) text : "");
}

gint64
wt_ledger_now_ms (WtLedger *self)
{
  if (self->clock_override_ms > 0)
    return self->clock_override_ms;
  return g_get_real_time () / 1000;
}

char *
wt_ledger_today (WtLedger *self)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (wt_ledger_now_ms (self) / 1000);

  return g_date_time_format (dt, "%Y-%m-%d");
}

gboolean
wt_valid_date (const char *date)
{
  int y, m, d;

  if (date == NULL || strlen (date) != 10 || date[4] != '-' || date[7] != '-')
    return FALSE;
  if (sscanf (date, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return FALSE;
  return g_date_valid_dmy (d, m, y);
}

char *
wt_uuid_v7 (gint64 ms)
{
  guint8 b[16];

  randombytes_buf (b, sizeof b);
  for (int i = 0; i < 6; i++)
    b[i] = (guint8) ((guint64) ms >> (40 - 8 * i));
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- Device key ----------------------------------------------------------- */

/* The secret key lives beside the ledger in a 0600 file, not in the SQLite
 * file, so a copy of the ledger alone cannot sign new events. */
static gboolean
load_key (WtLedger  *self,
          GError   **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;

  if (!g_file_get_contents (self->key_path, &contents, &len, &local_error))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("This device’s signing key “%s” cannot be read, so the ledger can be read but not written: %s"),
                   self->key_path, local_error->message);
      return FALSE;
    }

  if (len != sizeof self->secret_key)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("This device’s signing key “%s” is damaged."), self->key_path);
      return FALSE;
    }

  memcpy (self->secret_key, contents, len);
  sodium_memzero (contents, len);
  self->have_key = TRUE;
  return TRUE;
}

static gboolean
write_key (WtLedger      *self,
           const guint8  *sk,
           GError       **error)
{
  int fd;
  gsize done = 0;

  fd = g_open (self->key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;

  while (done < crypto_sign_SECRETKEYBYTES)
    {
      ssize_t n = write (fd, sk + done, crypto_sign_SECRETKEYBYTES - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          close (fd);
          errno = saved;
          goto fail;
        }
      done += n;
    }

  if (fsync (fd) != 0)
    {
      close (fd);
      goto fail;
    }
  close (fd);
  return TRUE;

fail:
  g_set_error (error, WT_ERROR, WT_ERROR_IO,
               _("This device’s signing key could not be saved to “%s”: %s."),
               self->key_path, g_strerror (errno));
  g_unlink (self->key_path);
  return FALSE;
}

/* ---- GObject ---------------------------------------------------------------- */

static void
wt_ledger_finalize (GObject *object)
{
  WtLedger *self = (WtLedger *) object;

  g_clear_pointer (&self->stmts, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  sodium_memzero (self->secret_key, sizeof self->secret_key);
  g_free (self->path);
  g_free (self->key_path);
  g_free (self->site_id);
  g_free (self->device_id);
  g_free (self->device_name);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (wt_ledger_parent_class)->finalize (object);
}

static void
wt_ledger_class_init (WtLedgerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = wt_ledger_finalize;
}

static void
wt_ledger_init (WtLedger *self)
{
  g_mutex_init (&self->lock);
  wt_code_split_init_default (&self->split);
}

/* ---- Opening and migrations ----------------------------------------------- */

static gboolean
load_site (WtLedger  *self,
           GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = wt_db_prepare (self,
                  "SELECT s.site_id, s.code_split, d.device_id, d.name, d.slot"
                  "  FROM site s JOIN device d ON d.is_local = 1 WHERE s.id = 1",
                  error);
  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return wt_db_error (self, error, "reading the site");

  g_free (self->site_id);
  self->site_id = wt_db_column_dup (stmt, 0);
  if (!wt_code_split_parse ((const char *) sqlite3_column_text (stmt, 1), &self->split, error))
    return FALSE;
  g_free (self->device_id);
  self->device_id = wt_db_column_dup (stmt, 2);
  g_free (self->device_name);
  self->device_name = wt_db_column_dup (stmt, 3);
  self->slot = ((const char *) sqlite3_column_text (stmt, 4))[0];

  /* A missing key is reported when something is written, not here: the
   * ledger can still be read. */
  load_key (self, NULL);

  return TRUE;
}

/* Fills the editable list of treatment methods from the shipped data. */
static gboolean
seed_methods (WtLedger  *self,
              GError   **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_auto(GStrv) lines = NULL;

  bytes = g_resources_lookup_data ("/org/wastetag/Wastetag/core/data/treatment-methods.tsv",
                                   G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    return TRUE;

  stmt = wt_db_prepare (self, "INSERT OR IGNORE INTO treatment_method VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;

  {
    g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

    lines = g_strsplit (text, "\n", -1);
  }

  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], "\t", 3);

      if (g_strv_length (f) < 2 || f[0][0] == '\0' || f[0][0] == '#')
        continue;
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, f[0], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, f[1], -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return wt_db_error (self, error, "adding treatment methods");
    }

  return TRUE;
}

/* Runs one format step in its own transaction; nothing of it stays if it
 * fails. */
static gboolean
migrate_step (WtLedger    *self,
              const char  *schema,
              int          to_version,
              GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("BEGIN IMMEDIATE;%sPRAGMA user_version = %d;COMMIT;",
                                          schema, to_version);

  if (!wt_db_exec (self, sql, error))
    {
      wt_db_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate (WtLedger  *self,
         GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int app_id, version, n_tables;

  stmt = wt_db_prepare (self, "PRAGMA application_id", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return wt_db_error (self, error, "reading the file header");
  app_id = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "PRAGMA user_version", error);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return wt_db_error (self, error, "reading the file header");
  version = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "SELECT count(*) FROM sqlite_schema", error);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return wt_db_error (self, error, "reading the file header");
  n_tables = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (app_id != WT_APPLICATION_ID && !(app_id == 0 && n_tables == 0))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NOT_A_LEDGER,
                   _("“%s” is not a Wastetag ledger."), self->path);
      return FALSE;
    }

  if (version > WT_LEDGER_SCHEMA_VERSION)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NEWER_LEDGER,
                   _("The ledger “%s” was written by a newer version of Wastetag (format %d; this version reads up to %d). Update Wastetag to open it."),
                   self->path, version, WT_LEDGER_SCHEMA_VERSION);
      return FALSE;
    }

  if (version < 1)
    {
      g_autofree char *sql = NULL;

      sql = g_strdup_printf ("BEGIN IMMEDIATE;"
                             "%s"
                             "INSERT INTO meta VALUES ('created_by', 'Wastetag %s');"
                             "PRAGMA application_id = %d;"
                             "PRAGMA user_version = 1;"
                             "COMMIT;",
                             schema_v1, PACKAGE_VERSION, WT_APPLICATION_ID);
      if (!wt_db_exec (self, sql, error))
        {
          wt_db_rollback (self);
          return FALSE;
        }
    }

  if (version < 2)
    {
      g_autofree char *sql = g_strdup_printf ("BEGIN IMMEDIATE;%sPRAGMA user_version = 2;", schema_v2);

      if (!wt_db_exec (self, sql, error) || !seed_methods (self, error) ||
          !wt_db_exec (self, "COMMIT", error))
        {
          wt_db_rollback (self);
          return FALSE;
        }
    }

  if (version < 3 && !migrate_step (self, schema_v3, 3, error))
    return FALSE;

  if (version < 4)
    {
      if (!migrate_step (self, schema_v4, 4, error))
        return FALSE;
      /* The backfill rewrote every container row; fold it into the file
       * now rather than in somebody's first scan. */
      if (version > 0)
        sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }

  if (version < 5 && !migrate_step (self, schema_v5, 5, error))
    return FALSE;

  if (version < 6)
    {
      if (!migrate_step (self, schema_v6, 6, error))
        return FALSE;
      /* Every event was rewritten, and the old table's pages are free:
       * give them back, so the upgrade makes the file smaller, not bigger.
       * VACUUM needs room for a copy; without it the file keeps its free
       * pages, which later writes reuse, and nothing is lost. */
      if (version > 0)
        {
          if (sqlite3_exec (self->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
            g_debug ("VACUUM after the format 6 upgrade: %s", sqlite3_errmsg (self->db));
          sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        }
    }

  /* Later versions add steps here: `if (version < 7) { ... user_version = 7 }`. */

  return TRUE;
}

char *
wt_ledger_default_path (void)
{
  const char *env = g_getenv ("WASTETAG_LEDGER");

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  return g_build_filename (g_get_user_data_dir (), "wastetag", "ledger.wtl", NULL);
}

WtLedger *
wt_ledger_open (const char  *path,
                GError     **error)
{
  g_autoptr(WtLedger) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("The cryptography library could not start."));
      return NULL;
    }

  self = g_object_new (WT_TYPE_LEDGER, NULL);
  self->path = g_strdup (path);
  self->key_path = g_strconcat (path, ".key", NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("The folder “%s” for the ledger cannot be created: %s."), dir, g_strerror (errno));
      return NULL;
    }

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_DB,
                   _("The ledger “%s” cannot be opened: %s."), path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 5000);

  /* journal_mode is the first statement that reads the file, so it is the
   * one that finds out when the file is not SQLite at all. */
  if (sqlite3_exec (self->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK)
    {
      int primary = sqlite3_errcode (self->db);

      if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        g_set_error (error, WT_ERROR, WT_ERROR_NOT_A_LEDGER,
                     _("“%s” is not a Wastetag ledger."), path);
      else
        wt_db_error (self, error, "opening");
      return NULL;
    }

  if (!wt_db_exec (self,
             "PRAGMA synchronous = FULL;"
             "PRAGMA foreign_keys = ON;"
             "PRAGMA trusted_schema = OFF;",
             error))
    return NULL;

  if (!migrate (self, error))
    return NULL;


  if (!load_site (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
wt_ledger_get_path (WtLedger *self)
{
  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  return self->path;
}

gboolean
wt_ledger_has_site (WtLedger *self)
{
  gboolean ret;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  g_mutex_lock (&self->lock);
  ret = self->site_id != NULL;
  g_mutex_unlock (&self->lock);

  return ret;
}

void
wt_ledger_set_clock_override (WtLedger *self,
                              gint64    wall_ms)
{
  g_return_if_fail (WT_IS_LEDGER (self));

  self->clock_override_ms = wall_ms;
}

/* ---- Site ------------------------------------------------------------------- */

WtSite *
wt_site_new (void)
{
  WtSite *site = g_new0 (WtSite, 1);

  site->name = g_strdup ("");
  site->uscc = g_strdup ("");
  site->contact = g_strdup ("");
  site->phone = g_strdup ("");
  site->address = g_strdup ("");
  site->facility = g_strdup ("");
  site->device_name = g_strdup (g_get_host_name ());
  site->device_slot = 'A';
  wt_code_split_init_default (&site->split);

  return site;
}

void
wt_site_free (WtSite *site)
{
  if (site == NULL)
    return;

  g_free (site->name);
  g_free (site->uscc);
  g_free (site->contact);
  g_free (site->phone);
  g_free (site->address);
  g_free (site->facility);
  g_free (site->device_name);
  g_free (site->site_id);
  g_free (site->device_id);
  g_free (site->public_key);
  g_free (site);
}

void
wt_site_fill_demo (WtSite *site)
{
  g_return_if_fail (site != NULL);

  g_free (site->name);
  site->name = g_strdup ("示例化工有限公司");
  g_free (site->uscc);
  site->uscc = g_strdup ("91350100M000100Y43");
  g_free (site->contact);
  site->contact = g_strdup ("王芳");
  g_free (site->phone);
  site->phone = g_strdup ("0591-88880000");
  g_free (site->address);
  site->address = g_strdup ("福建省福州市示范工业园区 8 号");
  g_free (site->facility);
  site->facility = g_strdup ("TS001");
  g_free (site->device_name);
  site->device_name = g_strdup ("演示设备");
  site->device_slot = 'A';
  wt_code_split_init_default (&site->split);
}

gboolean
wt_site_validate (const WtSite  *site,
                  GError       **error)
{
  g_return_val_if_fail (site != NULL, FALSE);

  if (site->name == NULL || *g_strstrip (g_strdup (site->name)) == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("The unit name is required."));
      return FALSE;
    }

  if (!wt_uscc_validate (site->uscc ? site->uscc : "", error))
    return FALSE;

  if (site->phone != NULL)
    {
      for (const char *p = site->phone; *p; p++)
        if (!g_ascii_isdigit (*p) && !strchr (" +-()", *p))
          {
            g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                         _("The phone number “%s” may only contain digits, spaces and + - ( )."),
                         site->phone);
            return FALSE;
          }
    }

  if (site->device_slot == '\0' || strchr (WT_CODE_ALPHABET, site->device_slot) == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The device letter must be one of 0–9 or A–Z without I and O."));
      return FALSE;
    }

  if (site->device_name == NULL || site->device_name[0] == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("The device name is required."));
      return FALSE;
    }

  return TRUE;
}

WtSite *
wt_ledger_dup_site (WtLedger  *self,
                    GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(WtSite) site = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);

  stmt = wt_db_prepare (self,
                  "SELECT s.site_id, s.name, s.uscc, s.contact, s.phone, s.address, s.facility,"
                  "       s.code_split, d.device_id, d.name, d.slot, hex (d.public_key)"
                  "  FROM site s JOIN device d ON d.is_local = 1 WHERE s.id = 1",
                  error);
  if (stmt == NULL)
    goto out;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NO_SITE,
                   _("This ledger has no site yet. Set up the site first."));
      goto out;
    }
  if (rc != SQLITE_ROW)
    {
      wt_db_error (self, error, "reading the site");
      goto out;
    }

  site = wt_site_new ();
#define TAKE(field, col) G_STMT_START { g_free (site->field); site->field = wt_db_column_dup (stmt, col); } G_STMT_END
  TAKE (site_id, 0);
  TAKE (name, 1);
  TAKE (uscc, 2);
  TAKE (contact, 3);
  TAKE (phone, 4);
  TAKE (address, 5);
  TAKE (facility, 6);
  TAKE (device_id, 8);
  TAKE (device_name, 9);
  TAKE (public_key, 11);
#undef TAKE
  wt_code_split_parse ((const char *) sqlite3_column_text (stmt, 7), &site->split, NULL);
  site->device_slot = ((const char *) sqlite3_column_text (stmt, 10))[0];

out:
  g_mutex_unlock (&self->lock);
  return g_steal_pointer (&site);
}

gboolean
wt_ledger_init_site (WtLedger      *self,
                     const WtSite  *site,
                     GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *uscc = NULL;
  g_autofree char *split = NULL;
  g_autofree char *device_id = NULL;
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
  char slot[2] = { 0 };
  gint64 now;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (site != NULL, FALSE);

  if (!wt_site_validate (site, error))
    return FALSE;

  g_mutex_lock (&self->lock);

  if (self->site_id != NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_SITE_EXISTS,
                   _("This ledger already belongs to a site; a ledger is set up only once."));
      goto out;
    }

  uscc = g_ascii_strup (site->uscc, -1);
  g_strstrip (uscc);
  split = wt_code_split_to_string (&site->split);
  now = wt_ledger_now_ms (self);
  device_id = wt_uuid_v7 (now);
  slot[0] = site->device_slot;

  /* The key file is written before the transaction commits: a crash in
   * between leaves a stray key and no site, and set-up simply runs again. */
  crypto_sign_keypair (pk, sk);
  if (!write_key (self, sk, error))
    goto out;

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  stmt = wt_db_prepare (self,
                  "INSERT INTO site VALUES (1, ?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8)",
                  error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, uscc, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, g_strstrip (g_strdup (site->name)), -1, g_free);
  sqlite3_bind_text (stmt, 3, site->contact ? site->contact : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, site->phone ? site->phone : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, site->address ? site->address : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, site->facility ? site->facility : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, split, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, now);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "saving the site");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "INSERT INTO device (device_id, site_id, name, slot, public_key, is_local, created_ms)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, uscc, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, site->device_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, slot, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 5, pk, sizeof pk, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, now);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "saving the device");
      goto fail;
    }

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  self->site_id = g_steal_pointer (&uscc);
  self->device_id = g_steal_pointer (&device_id);
  self->device_name = g_strdup (site->device_name);
  self->slot = site->device_slot;
  self->split = site->split;
  memcpy (self->secret_key, sk, sizeof sk);
  self->have_key = TRUE;
  ok = TRUE;
  goto out;

fail:
  wt_db_rollback (self);
  g_unlink (self->key_path);

out:
  sodium_memzero (sk, sizeof sk);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Appending events ------------------------------------------------------- */

/* Hashes an event: SHA-256 over the previous hash and every field, each
 * field length-prefixed so no two different events share an encoding. */
void
event_hash (const guint8 *prev_hash,
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
            guint8       *out_hash)
{
  crypto_hash_sha256_state st;
  const char *fields[7] = { event_id, device_id, site_id, container, kind, actor, payload };
  char num[64];

  crypto_hash_sha256_init (&st);
  crypto_hash_sha256_update (&st, (const guint8 *) "wastetag-event-v1", 17);
  crypto_hash_sha256_update (&st, prev_hash, 32);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      gsize len = strlen (fields[i]);
      int n = g_snprintf (num, sizeof num, "%" G_GSIZE_FORMAT ":", len);

      crypto_hash_sha256_update (&st, (const guint8 *) num, n);
      crypto_hash_sha256_update (&st, (const guint8 *) fields[i], len);
    }

  {
    int n = g_snprintf (num, sizeof num, "%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                        device_seq, wall_ms, hlc);
    crypto_hash_sha256_update (&st, (const guint8 *) num, n);
  }

  crypto_hash_sha256_final (&st, out_hash);
}


void
wt_sig_digest_step (guint8       *digest,
                    const guint8 *sig)
{
  crypto_hash_sha256_state st;

  crypto_hash_sha256_init (&st);
  crypto_hash_sha256_update (&st, (const guint8 *) "wastetag-sigs-v1", 16);
  crypto_hash_sha256_update (&st, digest, 32);
  crypto_hash_sha256_update (&st, sig, crypto_sign_BYTES);
  crypto_hash_sha256_final (&st, digest);
}

void
wt_head_message (const char   *device_id,
                 gint64        last_seq,
                 const guint8 *last_hash,
                 const guint8 *sig_digest,
                 guint8       *out)
{
  crypto_hash_sha256_state st;
  char num[64];
  int n;

  crypto_hash_sha256_init (&st);
  crypto_hash_sha256_update (&st, (const guint8 *) "wastetag-head-v1", 16);
  n = g_snprintf (num, sizeof num, "%" G_GSIZE_FORMAT ":", strlen (device_id));
  crypto_hash_sha256_update (&st, (const guint8 *) num, n);
  crypto_hash_sha256_update (&st, (const guint8 *) device_id, strlen (device_id));
  n = g_snprintf (num, sizeof num, "%" G_GINT64_FORMAT ":", last_seq);
  crypto_hash_sha256_update (&st, (const guint8 *) num, n);
  crypto_hash_sha256_update (&st, last_hash, 32);
  crypto_hash_sha256_update (&st, sig_digest, 32);
  crypto_hash_sha256_final (&st, out);
}

/* Must be called inside a write transaction with the lock held. */
gboolean
wt_appender_begin (WtLedger  *self,
                Appender  *app,
                GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  {
    const char *actor = app->actor;

    memset (app, 0, sizeof *app);
    app->actor = actor;
  }

  if (!self->have_key && !load_key (self, error))
    return FALSE;

  stmt = wt_db_prepare (self, "SELECT last_seq, last_hash, sig_digest FROM chain_head WHERE device_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      app->seq = sqlite3_column_int64 (stmt, 0);
      if (sqlite3_column_bytes (stmt, 1) == 32)
        memcpy (app->hash, sqlite3_column_blob (stmt, 1), 32);
      if (sqlite3_column_bytes (stmt, 2) == 32)
        {
          memcpy (app->sig_digest, sqlite3_column_blob (stmt, 2), 32);
          app->have_digest = TRUE;
        }
    }
  else if (rc == SQLITE_DONE)
    app->have_digest = TRUE;  /* a new chain starts with the zero digest */
  else
    return wt_db_error (self, error, "reading the chain");
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "SELECT max_hlc FROM clock WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    app->hlc = sqlite3_column_int64 (stmt, 0);

  app->first_seq = app->seq + 1;
  app->insert = wt_db_cached (self,
                              "INSERT INTO event (event_id, device_id, device_seq, site_id, container_code,"
                              "  kind, prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                              error);
  return app->insert != NULL;
}

gboolean
wt_uuid_to_bytes (const char *text,
               guint8     *out)
{
  size_t bin_len = 0;

  return sodium_hex2bin (out, 16, text, strlen (text), "-", &bin_len, NULL) == 0 && bin_len == 16;
}

/* Appends one event. @out_event_id receives the new id's 16 bytes. */
gboolean
wt_appender_add (WtLedger     *self,
              Appender     *app,
              const char   *container,
              const char   *kind,
              const guint8 *prev_custody,
              const char   *payload,
              guint8       *out_event_id,
              GError      **error)
{
  g_autofree char *event_id = NULL;
  const char *actor = app->actor ? app->actor : g_get_user_name ();
  guint8 hash[32];
  guint8 sig[crypto_sign_BYTES];
  guint8 id_bytes[16];
  gint64 wall = wt_ledger_now_ms (self);
  gint64 hlc;

  /* Hybrid logical clock: never goes backwards, stays near wall time. */
  hlc = MAX (app->hlc + 1, wall << 16);
  event_id = wt_uuid_v7 (wall);
  wt_uuid_to_bytes (event_id, id_bytes);

  event_hash (app->hash, event_id, self->device_id, app->seq + 1, self->site_id,
              container, kind, actor, wall, hlc, payload, hash);
  crypto_sign_detached (sig, NULL, hash, sizeof hash, self->secret_key);

  sqlite3_reset (app->insert);
  sqlite3_bind_blob (app->insert, 1, id_bytes, 16, SQLITE_TRANSIENT);
  sqlite3_bind_text (app->insert, 2, self->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (app->insert, 3, app->seq + 1);
  sqlite3_bind_text (app->insert, 4, self->site_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (app->insert, 5, container, -1, SQLITE_STATIC);
  sqlite3_bind_text (app->insert, 6, kind, -1, SQLITE_STATIC);
  if (prev_custody)
    sqlite3_bind_blob (app->insert, 7, prev_custody, 16, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (app->insert, 7);
  sqlite3_bind_text (app->insert, 8, actor, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (app->insert, 9, wall);
  sqlite3_bind_int64 (app->insert, 10, hlc);
  sqlite3_bind_text (app->insert, 11, payload, -1, SQLITE_STATIC);
  sqlite3_bind_blob (app->insert, 12, app->hash, 32, SQLITE_TRANSIENT);
  sqlite3_bind_blob (app->insert, 13, hash, 32, SQLITE_TRANSIENT);
  sqlite3_bind_blob (app->insert, 14, sig, sizeof sig, SQLITE_TRANSIENT);

  if (sqlite3_step (app->insert) != SQLITE_DONE)
    return wt_db_error (self, error, "appending an event");

  app->seq++;
  app->hlc = hlc;
  memcpy (app->hash, hash, 32);
  if (app->have_digest)
    wt_sig_digest_step (app->sig_digest, sig);
  if (out_event_id)
    memcpy (out_event_id, id_bytes, 16);

  return TRUE;
}

gboolean
wt_appender_finish (WtLedger  *self,
                 Appender  *app,
                 GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  wt_appender_clear (app);

  stmt = wt_db_prepare (self,
                  "INSERT INTO chain_head (device_id, last_seq, last_hash, sig_digest, head_sig)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)"
                  " ON CONFLICT (device_id) DO UPDATE SET last_seq = ?2, last_hash = ?3,"
                  "   sig_digest = ?4, head_sig = ?5",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, app->seq);
  sqlite3_bind_blob (stmt, 3, app->hash, 32, SQLITE_STATIC);
  if (app->have_digest)
    {
      guint8 message[32];
      guint8 head_sig[crypto_sign_BYTES];

      wt_head_message (self->device_id, app->seq, app->hash, app->sig_digest, message);
      crypto_sign_detached (head_sig, NULL, message, sizeof message, self->secret_key);
      sqlite3_bind_blob (stmt, 4, app->sig_digest, 32, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 5, head_sig, sizeof head_sig, SQLITE_TRANSIENT);
    }
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating the chain");
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self, "UPDATE clock SET max_hlc = max (max_hlc, ?1) WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, app->hlc);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating the clock");

  return TRUE;
}

void
wt_appender_clear (Appender *app)
{
  if (app->insert != NULL)
    {
      sqlite3_reset (app->insert);
      sqlite3_clear_bindings (app->insert);
      app->insert = NULL;
    }
}

gboolean
wt_ledger_require_site (WtLedger  *self,
              GError   **error)
{
  if (self->site_id == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NO_SITE,
                   _("This ledger has no site yet. Set up the site first."));
      return FALSE;
    }
  return TRUE;
}

/* ---- Canonical JSON -------------------------------------------------------- */

static JsonNode *
content_to_json (const WtLabelContent *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *hz = wt_hazard_to_string (c->hazards);

  /* Keys in byte order, so the text is canonical. */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "category");
  json_builder_add_string_value (b, c->category);
  json_builder_set_member_name (b, "common_name");
  json_builder_add_string_value (b, c->common_name);
  json_builder_set_member_name (b, "contact");
  json_builder_add_string_value (b, c->contact);
  json_builder_set_member_name (b, "container_type");
  json_builder_add_string_value (b, c->container_type);
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, c->date);
  json_builder_set_member_name (b, "form");
  json_builder_add_string_value (b, c->form);
  json_builder_set_member_name (b, "harmful_components");
  json_builder_add_string_value (b, c->harmful_components);
  json_builder_set_member_name (b, "hazards");
  json_builder_add_string_value (b, hz);
  json_builder_set_member_name (b, "main_components");
  json_builder_add_string_value (b, c->main_components);
  json_builder_set_member_name (b, "notes");
  json_builder_add_string_value (b, c->notes);
  json_builder_set_member_name (b, "precautions");
  json_builder_add_string_value (b, c->precautions);
  json_builder_set_member_name (b, "producer");
  json_builder_add_string_value (b, c->producer);
  json_builder_set_member_name (b, "volume_l");
  json_builder_add_double_value (b, c->volume_l);
  json_builder_set_member_name (b, "waste_code");
  json_builder_add_string_value (b, c->waste_code);
  json_builder_set_member_name (b, "waste_name");
  json_builder_add_string_value (b, c->waste_name);
  json_builder_set_member_name (b, "weight");
  json_builder_add_string_value (b, c->weight);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static WtLabelContent *
content_from_json (JsonObject *o)
{
  WtLabelContent *c = wt_label_content_new ();
  struct { const char *key; char **field; } map[] = {
    { "category", &c->category },
    { "common_name", &c->common_name },
    { "contact", &c->contact },
    { "container_type", &c->container_type },
    { "date", &c->date },
    { "form", &c->form },
    { "harmful_components", &c->harmful_components },
    { "main_components", &c->main_components },
    { "notes", &c->notes },
    { "precautions", &c->precautions },
    { "producer", &c->producer },
    { "waste_code", &c->waste_code },
    { "waste_name", &c->waste_name },
    { "weight", &c->weight },
  };

  if (o == NULL)
    return c;

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    wt_label_content_set (c, map[i].field, json_object_get_string_member_with_default (o, map[i].key, ""));
  wt_hazard_parse (json_object_get_string_member_with_default (o, "hazards", ""), &c->hazards);
  c->volume_l = json_object_get_double_member_with_default (o, "volume_l", 0);

  return c;
}

char *
wt_json_text (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static char *
reason_payload (const char *reason,
                gint64      reprint)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  if (reprint > 0)
    {
      json_builder_set_member_name (b, "reprint");
      json_builder_add_int_value (b, reprint);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  return wt_json_text (node);
}

/* ---- Print jobs ------------------------------------------------------------- */

void
wt_print_job_free (WtPrintJob *job)
{
  if (job == NULL)
    return;
  g_free (job->waste_code);
  g_strfreev (job->codes);
  g_strfreev (job->payloads);
  g_free (job);
}

const WtWaste *
wt_lookup_waste (const char  *code,
              GError     **error)
{
  const WtWaste *w;

  w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), code);
  if (w == NULL && strchr (code, ' ') != NULL)
    w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_EWC), code);

  if (w == NULL)
    g_set_error (error, WT_ERROR, WT_ERROR_UNKNOWN_WASTE,
                 _("“%s” is not a waste code of the National Catalogue of Hazardous Wastes (2021) or of the List of Waste. Search the catalogue for the right code."),
                 code);
  return w;
}

WtPrintJob *
wt_ledger_reserve (WtLedger              *self,
                   const WtLabelContent  *content,
                   guint                  n_containers,
                   GError               **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(WtPrintJob) job = NULL;
  g_autofree char *day = NULL;
  g_autofree char *digits = NULL;
  const WtWaste *waste;
  char slot[2] = { 0 };
  gint64 first = 0;
  guint capacity;
  WtPrintJob *ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (content != NULL, NULL);

  if (n_containers < 1 || n_containers > MAX_BATCH)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The number of containers must be between 1 and 10,000; %u was asked for."),
                   n_containers);
      return NULL;
    }

  waste = wt_lookup_waste (content->waste_code, error);
  if (waste == NULL)
    return NULL;

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  day = content->date[0] ? g_strdup (content->date) : wt_ledger_today (self);
  if (!wt_valid_date (day))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The date “%s” is not a valid date; write it as YYYY-MM-DD."), day);
      goto out;
    }

  slot[0] = self->slot;
  capacity = wt_code_capacity (&self->split);

  {
    GString *s = g_string_new (NULL);

    for (const char *p = waste->code; *p; p++)
      if (g_ascii_isdigit (*p))
        g_string_append_c (s, *p);
    digits = g_string_free (s, FALSE);
  }

  /* The counter moves forward in a transaction of its own: once these
   * codes are handed out, no later job gets them, whatever happens next. */
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  stmt = wt_db_prepare (self, "SELECT next FROM code_counter WHERE slot = ?1 AND waste = ?2 AND day = ?3", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, slot, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, digits, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, day, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    first = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (first + n_containers > capacity)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_CAPACITY,
                   _("This device can number %u containers of waste %s dated %s, and %u of them are left; %u were asked for. Print the rest on another day or another device, or use a longer sequence in the site’s code settings."),
                   capacity, waste->code, day, (guint) (capacity - MIN (first, capacity)), n_containers);
      goto fail;
    }

  stmt = wt_db_prepare (self,
                  "INSERT INTO code_counter VALUES (?1, ?2, ?3, ?4)"
                  " ON CONFLICT (slot, waste, day) DO UPDATE SET next = ?4",
                  error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, slot, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, digits, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, day, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, first + n_containers);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "reserving codes");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self,
                  "INSERT INTO print_job (created_ms, waste_code, day, slot, first_counter, n, status)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'reserved')",
                  error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, wt_ledger_now_ms (self));
  sqlite3_bind_text (stmt, 2, waste->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, slot, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, first);
  sqlite3_bind_int (stmt, 6, n_containers);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "reserving codes");
      goto fail;
    }

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  job = g_new0 (WtPrintJob, 1);
  job->id = sqlite3_last_insert_rowid (self->db);
  job->waste_code = g_strdup (waste->code);
  job->n_containers = n_containers;
  job->codes = g_new0 (char *, n_containers + 1);
  job->payloads = g_new0 (char *, n_containers + 1);

  for (guint i = 0; i < n_containers; i++)
    {
      WtPayload p = { 0 };

      job->codes[i] = wt_code_build (&self->split, self->site_id, waste->code, day,
                                     self->slot, first + i);
      p.version = WT_PAYLOAD_VERSION;
      p.container_code = job->codes[i];
      p.waste_code = (char *) waste->code;
      p.hazards = content->hazards;
      p.date = day;
      job->payloads[i] = wt_payload_encode (&p);
    }

  ret = g_steal_pointer (&job);
  goto out;

fail:
  wt_db_rollback (self);

out:
  g_mutex_unlock (&self->lock);
  return ret;
}

static gboolean
set_job_status (WtLedger    *self,
                gint64       job_id,
                const char  *status,
                const char  *reason,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = wt_db_prepare (self, "UPDATE print_job SET status = ?2, reason = ?3 WHERE id = ?1 AND status = 'reserved'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
  if (reason)
    sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating the print job");
  if (sqlite3_changes (self->db) != 1)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("This print job was already registered or cancelled."));
      return FALSE;
    }
  return TRUE;
}

gboolean
wt_ledger_commit_job (WtLedger              *self,
                      WtPrintJob            *job,
                      const WtLabelContent  *content,
                      const WtLabelOptions  *options,
                      double                 weight_kg,
                      GError               **error)
{
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_autoptr(JsonNode) content_node = NULL;
  g_autofree char *event_json = NULL;
  Appender app = { 0 };
  const WtWaste *waste;
  gint64 wall;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (job != NULL && content != NULL && options != NULL, FALSE);

  if (isnan (weight_kg) || isinf (weight_kg))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("The weight is not a number."));
      return FALSE;
    }

  waste = wt_lookup_waste (job->waste_code, error);
  if (waste == NULL)
    return FALSE;

  content_node = content_to_json (content);

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;

    /* What the container's label says and how it was printed, so a reprint
     * comes out the same. Keys in byte order. */
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "content");
    json_builder_add_value (b, json_node_copy (content_node));
    json_builder_set_member_name (b, "copies");
    json_builder_add_int_value (b, wt_label_copies_for_volume (content->volume_l));
    json_builder_set_member_name (b, "ecc");
    json_builder_add_string_value (b, wt_ecc_to_string (options->ecc));
    json_builder_set_member_name (b, "job");
    json_builder_add_int_value (b, job->id);
    json_builder_set_member_name (b, "size_mm");
    json_builder_add_int_value (b, options->size_mm);
    json_builder_set_member_name (b, "weight_kg");
    if (weight_kg >= 0)
      json_builder_add_double_value (b, weight_kg);
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
    node = json_builder_get_root (b);
    event_json = wt_json_text (node);
  }

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  if (!set_job_status (self, job->id, "registered", NULL, error))
    goto fail;

  if (!wt_appender_begin (self, &app, error))
    goto fail;

  insert = wt_db_prepare (self,
                    "INSERT INTO container (code, waste_code, waste_name, common_name, hazards,"
                    "  weight_kg, state, reprints, labelled_ms, day, job_id, label, last_event)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'labelled', 0, ?7, ?8, ?9, ?10, ?11)",
                    error);
  if (insert == NULL)
    goto fail;

  wall = wt_ledger_now_ms (self);
  for (guint i = 0; i < job->n_containers; i++)
    {
      guint8 event_id[16];

      if (!wt_appender_add (self, &app, job->codes[i], "labelled", NULL, event_json, event_id, error))
        goto fail;

      sqlite3_reset (insert);
      sqlite3_bind_text (insert, 1, job->codes[i], -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, waste->code, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 3, content->waste_name[0] ? content->waste_name : waste->description, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 4, content->common_name, -1, SQLITE_STATIC);
      sqlite3_bind_int (insert, 5, content->hazards);
      if (weight_kg >= 0)
        sqlite3_bind_double (insert, 6, weight_kg);
      else
        sqlite3_bind_null (insert, 6);
      sqlite3_bind_int64 (insert, 7, wall);
      sqlite3_bind_text (insert, 8, content->date, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 9, job->id);
      /* The label is the labelled event's payload: stored once, there
       * (CONTAINER_LABEL). */
      sqlite3_bind_text (insert, 10, "", -1, SQLITE_STATIC);
      sqlite3_bind_blob (insert, 11, event_id, 16, SQLITE_TRANSIENT);
      if (sqlite3_step (insert) != SQLITE_DONE)
        {
          if ((sqlite3_extended_errcode (self->db) & 0xff) == SQLITE_CONSTRAINT)
            g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                         _("The container code %s is already registered; nothing was recorded."),
                         job->codes[i]);
          else
            wt_db_error (self, error, "registering a container");
          goto fail;
        }
    }

  if (!wt_appender_finish (self, &app, error))
    goto fail;

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  ok = TRUE;
  goto out;

fail:
  wt_appender_clear (&app);
  g_clear_pointer (&insert, sqlite3_finalize);
  wt_db_rollback (self);

out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_abandon_job (WtLedger    *self,
                       WtPrintJob  *job,
                       const char  *reason,
                       GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (job != NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = set_job_status (self, job->id, "abandoned", reason ? reason : "", error);
  g_mutex_unlock (&self->lock);

  return ok;
}

/* ---- Containers ------------------------------------------------------------- */

static const char * const state_ids[] = {
  [WT_CONTAINER_LABELLED] = "labelled",
  [WT_CONTAINER_VOIDED] = "voided",
  [WT_CONTAINER_STORED] = "stored",
  [WT_CONTAINER_SHIPPED] = "shipped",
  [WT_CONTAINER_RECEIVED] = "received",
  [WT_CONTAINER_REJECTED] = "rejected",
  [WT_CONTAINER_TREATED] = "treated",
};

const char *
wt_container_state_to_id (WtContainerState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_ids), "");

  return state_ids[state];
}

WtContainerState
wt_container_state_from_id (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_ids); i++)
    if (g_strcmp0 (id, state_ids[i]) == 0)
      return i;

  return WT_CONTAINER_LABELLED;
}

const char *
wt_container_state_to_string (WtContainerState state)
{
  switch (state)
    {
    case WT_CONTAINER_LABELLED:
      return _("Labelled");
    case WT_CONTAINER_VOIDED:
      return _("Voided");
    case WT_CONTAINER_STORED:
      return _("In storage");
    case WT_CONTAINER_SHIPPED:
      return _("Shipped");
    case WT_CONTAINER_RECEIVED:
      return _("Received");
    case WT_CONTAINER_REJECTED:
      return _("Rejected");
    case WT_CONTAINER_TREATED:
      return _("Treated");
    default:
      return "";
    }
}

void
wt_container_free (WtContainer *container)
{
  if (container == NULL)
    return;
  g_free (container->code);
  g_free (container->waste_code);
  g_free (container->waste_name);
  g_free (container->common_name);
  g_free (container->date);
  g_free (container->void_reason);
  g_free (container->facility);
  g_free (container->manifest_id);
  g_clear_pointer (&container->content, wt_label_content_free);
  g_free (container);
}

WtContainer *
wt_container_from_row (sqlite3_stmt *stmt)
{
  WtContainer *c = g_new0 (WtContainer, 1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *label = (const char *) sqlite3_column_text (stmt, 11);

  c->code = wt_db_column_dup (stmt, 0);
  c->waste_code = wt_db_column_dup (stmt, 1);
  c->waste_name = wt_db_column_dup (stmt, 2);
  c->common_name = wt_db_column_dup (stmt, 3);
  c->hazards = sqlite3_column_int (stmt, 4);
  c->weight_kg = sqlite3_column_type (stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 5);
  c->state = wt_container_state_from_id ((const char *) sqlite3_column_text (stmt, 6));
  c->reprints = sqlite3_column_int (stmt, 7);
  c->labelled_ms = sqlite3_column_int64 (stmt, 8);
  c->date = wt_db_column_dup (stmt, 9);
  c->void_reason = sqlite3_column_type (stmt, 10) == SQLITE_NULL ? NULL : wt_db_column_dup (stmt, 10);
  c->size_mm = 100;
  c->ecc = WT_ECC_Q;
  c->facility = sqlite3_column_type (stmt, 12) == SQLITE_NULL ? NULL : wt_db_column_dup (stmt, 12);
  c->manifest_id = sqlite3_column_type (stmt, 13) == SQLITE_NULL ? NULL : wt_db_column_dup (stmt, 13);
  c->predecessor_unknown = sqlite3_column_int (stmt, 14);
  c->updated_ms = sqlite3_column_type (stmt, 15) == SQLITE_NULL ? c->labelled_ms : sqlite3_column_int64 (stmt, 15);

  if (label && json_parser_load_from_data (parser, label, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      JsonNode *content = json_object_get_member (o, "content");

      c->content = content_from_json (content && JSON_NODE_HOLDS_OBJECT (content)
                                      ? json_node_get_object (content) : NULL);
      c->size_mm = json_object_get_int_member_with_default (o, "size_mm", 100);
      wt_ecc_parse (json_object_get_string_member_with_default (o, "ecc", "Q"), &c->ecc);
    }
  else
    c->content = wt_label_content_new ();

  return c;
}

WtContainer *
wt_ledger_get_container (WtLedger    *self,
                         const char  *code,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  WtContainer *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (code != NULL, NULL);

  g_mutex_lock (&self->lock);

  stmt = wt_db_prepare (self, "SELECT " CONTAINER_COLUMNS " FROM container WHERE code = ?1", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    ret = wt_container_from_row (stmt);
  else if (rc == SQLITE_DONE)
    g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                 _("No container with the code %s is registered in this ledger."), code);
  else
    wt_db_error (self, error, "reading a container");

out:
  g_mutex_unlock (&self->lock);
  return ret;
}

GPtrArray *
wt_ledger_list_containers (WtLedger  *self,
                           guint      offset,
                           guint      limit,
                           GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) ret = NULL;
  GPtrArray *result = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);

  stmt = wt_db_prepare (self,
                  "SELECT " CONTAINER_COLUMNS " FROM container"
                  " ORDER BY labelled_ms DESC, code DESC LIMIT ?1 OFFSET ?2",
                  error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int64 (stmt, 1, limit == 0 ? -1 : (gint64) limit);
  sqlite3_bind_int64 (stmt, 2, offset);

  ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_container_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ret, wt_container_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "listing containers");
      goto out;
    }

  result = g_steal_pointer (&ret);

out:
  g_mutex_unlock (&self->lock);
  return result;
}

static gint64
count_rows (WtLedger   *self,
            const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = -1;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, sql, NULL);
  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  g_mutex_unlock (&self->lock);

  return n;
}

gint64
wt_ledger_count_containers (WtLedger *self)
{
  g_return_val_if_fail (WT_IS_LEDGER (self), -1);

  return count_rows (self, "SELECT count(*) FROM container");
}

gint64
wt_ledger_count_events (WtLedger *self)
{
  g_return_val_if_fail (WT_IS_LEDGER (self), -1);

  /* Each row of event_row is one event of the view; counting the view
   * would join every row to its device and container first. */
  return count_rows (self, "SELECT count(*) FROM event_row");
}

/* Reads a container's state and last event for an action on it. Lock held. */
static gboolean
container_for_action (WtLedger    *self,
                      const char  *code,
                      char       **out_state,
                      gint        *out_reprints,
                      guint8      *out_last_event,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = wt_db_prepare (self, "SELECT state, reprints, last_event FROM container WHERE code = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                   _("No container with the code %s is registered in this ledger."), code);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return wt_db_error (self, error, "reading a container");

  *out_state = wt_db_column_dup (stmt, 0);
  *out_reprints = sqlite3_column_int (stmt, 1);
  if (sqlite3_column_bytes (stmt, 2) == 16)
    memcpy (out_last_event, sqlite3_column_blob (stmt, 2), 16);
  return TRUE;
}

gboolean
wt_check_reason (const char  *reason,
              GError     **error)
{
  g_autofree char *r = g_strstrip (g_strdup (reason ? reason : ""));

  if (*r == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("Give a reason; it is kept in the ledger."));
      return FALSE;
    }
  return TRUE;
}

char *
wt_ledger_relabel (WtLedger    *self,
                   const char  *code,
                   const char  *reason,
                   guint       *out_reprint,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(WtContainer) container = NULL;
  g_autofree char *state = NULL;
  g_autofree char *payload = NULL;
  Appender app = { 0 };
  guint8 last[16] = { 0 };
  guint8 event_id[16];
  gint reprints = 0;
  char *ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (code != NULL, NULL);

  if (!wt_check_reason (reason, error))
    return NULL;

  container = wt_ledger_get_container (self, code, error);
  if (container == NULL)
    return NULL;

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  if (!container_for_action (self, code, &state, &reprints, last, error))
    goto fail;

  if (g_strcmp0 (state, "voided") == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("The label of %s was voided, so it cannot be reprinted. Print a new label for the container instead."),
                   code);
      goto fail;
    }

  payload = reason_payload (reason, reprints + 1);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, code, "relabelled", last, payload, event_id, error) ||
      !wt_appender_finish (self, &app, error))
    goto fail;

  stmt = wt_db_prepare (self, "UPDATE container SET reprints = reprints + 1, last_event = ?2, updated_ms = ?3 WHERE code = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, event_id, 16, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "recording the reprint");
      goto fail;
    }

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  {
    WtPayload p = { 0 };

    p.version = WT_PAYLOAD_VERSION;
    p.container_code = container->code;
    p.waste_code = container->waste_code;
    p.hazards = container->hazards;
    p.date = container->date;
    p.reprint = reprints + 1;
    ret = wt_payload_encode (&p);
  }
  if (out_reprint)
    *out_reprint = reprints + 1;
  goto out;

fail:
  wt_db_rollback (self);

out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ret;
}

gboolean
wt_ledger_void (WtLedger    *self,
                const char  *code,
                const char  *reason,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *state = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *trimmed = NULL;
  Appender app = { 0 };
  guint8 last[16] = { 0 };
  guint8 event_id[16];
  gint reprints = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  if (!wt_check_reason (reason, error))
    return FALSE;

  trimmed = g_strstrip (g_strdup (reason));

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  if (!container_for_action (self, code, &state, &reprints, last, error))
    goto fail;

  if (g_strcmp0 (state, "voided") == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("The label of %s is already voided."), code);
      goto fail;
    }

  /* Voiding is for a label printed by mistake: once the container has
   * changed hands, its history must stay whole. */
  if (g_strcmp0 (state, "labelled") != 0 && g_strcmp0 (state, "stored") != 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("%s has already been handed over (%s), so its label can no longer be voided. Record what happened to it instead."),
                   code, wt_container_state_to_string (wt_container_state_from_id (state)));
      goto fail;
    }

  payload = reason_payload (trimmed, 0);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, code, "voided", last, payload, event_id, error) ||
      !wt_appender_finish (self, &app, error))
    goto fail;

  stmt = wt_db_prepare (self, "UPDATE container SET state = 'voided', void_reason = ?2, last_event = ?3, updated_ms = ?4 WHERE code = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, trimmed, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 3, event_id, 16, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "voiding the label");
      goto fail;
    }

  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  ok = TRUE;
  goto out;

fail:
  wt_db_rollback (self);

out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Events ------------------------------------------------------------------ */

void
wt_event_free (WtEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->event_id);
  g_free (event->device_id);
  g_free (event->site_id);
  g_free (event->container_code);
  g_free (event->kind);
  g_free (event->actor);
  g_free (event->payload);
  g_free (event);
}

char *
wt_uuid_text (const guint8 *b)
{
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

GPtrArray *
wt_ledger_container_events (WtLedger    *self,
                            const char  *code,
                            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) events = NULL;
  GPtrArray *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (code != NULL, NULL);

  g_mutex_lock (&self->lock);

  stmt = wt_db_prepare (self,
                  "SELECT event_id, device_id, device_seq, site_id, container_code, kind, actor,"
                  "       wall_ms, hlc, payload"
                  "  FROM event WHERE container_code = ?1 ORDER BY hlc, id",
                  error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_event_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtEvent *e = g_new0 (WtEvent, 1);

      e->event_id = sqlite3_column_bytes (stmt, 0) == 16
        ? wt_uuid_text (sqlite3_column_blob (stmt, 0)) : g_strdup ("");
      e->device_id = wt_db_column_dup (stmt, 1);
      e->device_seq = sqlite3_column_int64 (stmt, 2);
      e->site_id = wt_db_column_dup (stmt, 3);
      e->container_code = wt_db_column_dup (stmt, 4);
      e->kind = wt_db_column_dup (stmt, 5);
      e->actor = wt_db_column_dup (stmt, 6);
      e->wall_ms = sqlite3_column_int64 (stmt, 7);
      e->hlc = sqlite3_column_int64 (stmt, 8);
      e->payload = wt_db_column_dup (stmt, 9);
      g_ptr_array_add (events, e);
    }

  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading events");
      goto out;
    }

  ret = g_steal_pointer (&events);

out:
  g_mutex_unlock (&self->lock);
  return ret;
}

typedef enum
{
  TAMPER_GAP,
  TAMPER_LINK,
  TAMPER_ID,
  TAMPER_ALTERED,
  TAMPER_SIGNATURE,
  TAMPER_UNLINKED,
} Tamper;

/* One whole sentence per kind of damage, naming the event. */
static gboolean
tampered (GError     **error,
          Tamper       kind,
          gint64       row_id,
          const char  *device,
          gint64       seq,
          gint64       missing)
{
  long long row = row_id, s = seq, m = missing;

  switch (kind)
    {
    case TAMPER_GAP:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (device %s, sequence %lld) follows a gap; event %lld of this device is missing."),
                   row, device, s, m);
      break;
    case TAMPER_LINK:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (device %s, sequence %lld) does not link to the event before it; events were removed or reordered."),
                   row, device, s);
      break;
    case TAMPER_ID:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (device %s, sequence %lld) has a damaged id."),
                   row, device, s);
      break;
    case TAMPER_ALTERED:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (device %s, sequence %lld) was altered; its content no longer matches its hash."),
                   row, device, s);
      break;
    case TAMPER_UNLINKED:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (sequence %lld) belongs to no device or no container of this ledger."),
                   row, s);
      break;
    case TAMPER_SIGNATURE:
    default:
      g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                   _("The ledger has been tampered with: event #%lld (device %s, sequence %lld) is not signed by its device’s key."),
                   row, device, s);
      break;
    }

  return FALSE;
}

/* Verifying runs on its own read-only connection, in one read transaction
 * (a snapshot: WAL lets the writer go on beside it), without the ledger's
 * lock, so scanning and recording keep working while a million events are
 * checked. The calling thread streams rows in (device, sequence) order and
 * does the cheap, sequential checks (gaps, links, ids); batches of rows go
 * to one worker per core, which recompute each hash from the row's own
 * stored predecessor hash and check its Ed25519 signature. A row whose
 * stored hash is right and whose link matches its predecessor's stored hash
 * is exactly a row whose recomputed chain is right, so the result, and the
 * first bad event named, are those of a walk in order: every failure is
 * kept with its position and the earliest one wins. */

#define VERIFY_BATCH     2048
#define VERIFY_PROGRESS  (32 * VERIFY_BATCH)

typedef struct
{
  gint64        pos;
  gint64        row_id;
  gint64        seq;
  gint64        wall_ms;
  gint64        hlc;
  const char   *dev;
  const char   *site;
  const char   *container;
  const char   *kind;
  const char   *actor;
  const char   *payload;
  const guint8 *pk;          /* borrowed from the run's key table; NULL if unknown */
  guint8        event_id[16];
  guint8        prev_hash[32];
  guint8        hash[32];
  guint8        sig[crypto_sign_BYTES];
  gboolean      hash_ok;     /* the stored hash has 32 bytes */
  gboolean      sig_ok;      /* the stored signature has 64 bytes */
  gboolean      check_sig;   /* FALSE in a chain sealed by its signed head */
} VerifyRow;

/* A chain head whose signature verified (format 5). */
typedef struct
{
  gint64 last_seq;
  guint8 last_hash[32];
  guint8 sig_digest[32];
} SealedHead;

typedef struct
{
  GMutex   lock;
  GCond    cond;
  guint    in_flight;
  /* The earliest failure so far, by (pos, kind). */
  gint64   fail_pos;
  Tamper   fail_kind;
  gint64   fail_row;
  gint64   fail_seq;
  gint64   fail_missing;
  char    *fail_dev;
  /* The caller's scheduling policy: GLib's shared pool threads do not
   * inherit it, so a verify asked for under SCHED_IDLE (the GUI's start-up
   * check) takes it into its workers batch by batch. */
  gboolean             have_policy;
  int                  policy;
  struct sched_param   param;
} VerifyRun;

typedef struct
{
  VerifyRun    *run;
  VerifyRow     rows[VERIFY_BATCH];
  guint         n;
  GStringChunk *text;
} VerifyBatch;

static void
verify_fail (VerifyRun  *run,
             gint64      pos,
             Tamper      kind,
             gint64      row_id,
             const char *dev,
             gint64      seq,
             gint64      missing)
{
  g_mutex_lock (&run->lock);
  if (pos < run->fail_pos || (pos == run->fail_pos && kind < run->fail_kind))
    {
      run->fail_pos = pos;
      run->fail_kind = kind;
      run->fail_row = row_id;
      run->fail_seq = seq;
      run->fail_missing = missing;
      g_free (run->fail_dev);
      run->fail_dev = g_strdup (dev);
    }
  g_mutex_unlock (&run->lock);
}

static gint64
verify_first_failure (VerifyRun *run)
{
  gint64 pos;

  g_mutex_lock (&run->lock);
  pos = run->fail_pos;
  g_mutex_unlock (&run->lock);
  return pos;
}

static void
verify_batch_free (VerifyBatch *batch)
{
  g_string_chunk_free (batch->text);
  g_free (batch);
}

/* Runs on a worker thread. */
static void
verify_batch_cb (gpointer data,
                 gpointer user_data)
{
  VerifyBatch *batch = data;
  VerifyRun *run = batch->run;
  gint64 stop = verify_first_failure (run);
  struct sched_param own_param;
  int own_policy;
  gboolean switched = FALSE;

  if (run->have_policy && pthread_getschedparam (pthread_self (), &own_policy, &own_param) == 0 &&
      own_policy != run->policy)
    switched = pthread_setschedparam (pthread_self (), run->policy, &run->param) == 0;

  for (guint i = 0; i < batch->n && batch->rows[i].pos < stop; i++)
    {
      const VerifyRow *r = &batch->rows[i];
      char event_id[37];
      guint8 hash[32];

      {
        g_autofree char *text = wt_uuid_text (r->event_id);

        memcpy (event_id, text, sizeof event_id);
      }
      event_hash (r->prev_hash, event_id, r->dev, r->seq, r->site, r->container, r->kind,
                  r->actor, r->wall_ms, r->hlc, r->payload, hash);
      if (!r->hash_ok || memcmp (hash, r->hash, 32) != 0)
        {
          verify_fail (run, r->pos, TAMPER_ALTERED, r->row_id, r->dev, r->seq, 0);
          break;
        }
      if (r->check_sig &&
          (r->pk == NULL || !r->sig_ok || crypto_sign_verify_detached (r->sig, hash, sizeof hash, r->pk) != 0))
        {
          verify_fail (run, r->pos, TAMPER_SIGNATURE, r->row_id, r->dev, r->seq, 0);
          break;
        }
    }

  if (switched)
    pthread_setschedparam (pthread_self (), own_policy, &own_param);

  g_mutex_lock (&run->lock);
  run->in_flight--;
  g_cond_signal (&run->cond);
  g_mutex_unlock (&run->lock);
  verify_batch_free (batch);
}

static gboolean
verify_db_error (sqlite3     *db,
                 GError     **error)
{
  g_set_error (error, WT_ERROR, WT_ERROR_DB,
               _("The ledger could not be read while verifying: %s."),
               db ? sqlite3_errmsg (db) : sqlite3_errstr (SQLITE_CANTOPEN));
  return FALSE;
}

static const char *
chunk_text (GStringChunk *chunk,
            sqlite3_stmt *stmt,
            int           col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return g_string_chunk_insert_const (chunk, text ? text : "");
}

static void
copy_blob (guint8       *out,
           gsize         len,
           sqlite3_stmt *stmt,
           int           col,
           gboolean     *ok)
{
  gboolean right = sqlite3_column_bytes (stmt, col) == (int) len;

  if (right)
    memcpy (out, sqlite3_column_blob (stmt, col), len);
  else
    memset (out, 0, len);
  if (ok)
    *ok = right;
}

/* What a pass saw of this device's own chain, to seal it afterwards. */
typedef struct
{
  const char *device_id;   /* in: this device, or NULL */
  gboolean    seen;
  gboolean    sealed;      /* it had a valid signed head */
  gint64      last_seq;
  guint8      last_hash[32];
  guint8      sig_digest[32];
} LocalChain;

static void
local_chain_end (LocalChain   *local,
                 const char   *device,
                 gboolean      sealed,
                 gint64        last_seq,
                 const guint8 *last_hash,
                 const guint8 *digest)
{
  if (local == NULL || local->device_id == NULL || device == NULL || strcmp (device, local->device_id) != 0)
    return;
  local->seen = TRUE;
  local->sealed = sealed;
  local->last_seq = last_seq;
  memcpy (local->last_hash, last_hash, 32);
  memcpy (local->sig_digest, digest, 32);
}

/* Ends the sealed chain just read: TRUE when its signature digest, length
 * and last hash are what its signed head says. */
static gboolean
sealed_chain_matches (const SealedHead *head,
                      const guint8     *digest,
                      gint64            last_seq,
                      const guint8     *last_hash)
{
  return head->last_seq == last_seq &&
         memcmp (head->sig_digest, digest, 32) == 0 &&
         memcmp (head->last_hash, last_hash, 32) == 0;
}

/* One pass. With @use_heads, chains sealed by a valid signed head have
 * their hashes, links and signature digest checked instead of every
 * signature; *@out_head_mismatch says whether one did not match its head,
 * and *@out_n_sealed how many chains were taken as sealed. */
static gboolean
verify_pass (WtLedger          *self,
             gboolean           use_heads,
             GCancellable      *cancellable,
             WtVerifyProgress   progress,
             gpointer           user_data,
             gint64            *out_n_events,
             gboolean          *out_head_mismatch,
             guint             *out_n_sealed,
             LocalChain        *out_local,
             GError           **error)
{
  g_autoptr(GHashTable) sealed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const SealedHead *device_head = NULL;
  guint8 digest[32] = { 0 };
  gint64 device_last_seq = 0;
  g_autoptr(GHashTable) pubkeys = NULL;
  g_autoptr(GHashTable) local = NULL;
  g_autofree char *device = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GThreadPool *pool = NULL;
  VerifyRun run = { 0 };
  VerifyBatch *batch = NULL;
  const guint8 *device_pk = NULL;
  guint8 prev[32] = { 0 };
  guint n_workers = MAX (1, g_get_num_processors ());
  gint64 expect_seq = 1;
  gint64 n = 0;
  gboolean ok = FALSE;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  g_mutex_init (&run.lock);
  run.have_policy = pthread_getschedparam (pthread_self (), &run.policy, &run.param) == 0;
  g_cond_init (&run.cond);
  run.fail_pos = G_MAXINT64;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      verify_db_error (db, error);
      goto out;
    }
  sqlite3_busy_timeout (db, 5000);
  /* One snapshot for the chains and their heads. */
  if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "SELECT device_id, public_key, is_local FROM device", -1, &stmt, NULL) != SQLITE_OK)
    {
      verify_db_error (db, error);
      goto out;
    }

  pubkeys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  local = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_hash_table_insert (pubkeys, wt_db_column_dup (stmt, 0),
                           g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1)));
      if (sqlite3_column_int (stmt, 2))
        g_hash_table_add (local, wt_db_column_dup (stmt, 0));
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (rc != SQLITE_DONE)
    {
      verify_db_error (db, error);
      goto out;
    }

  if (use_heads)
    {
      if (sqlite3_prepare_v2 (db, "SELECT device_id, last_seq, last_hash, sig_digest, head_sig FROM chain_head",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          verify_db_error (db, error);
          goto out;
        }
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *dev = (const char *) sqlite3_column_text (stmt, 0);
          GBytes *pk = dev ? g_hash_table_lookup (pubkeys, dev) : NULL;
          SealedHead head;
          guint8 message[32];

          if (dev == NULL || !g_hash_table_contains (local, dev) || pk == NULL ||
              g_bytes_get_size (pk) != crypto_sign_PUBLICKEYBYTES ||
              sqlite3_column_bytes (stmt, 2) != 32 || sqlite3_column_bytes (stmt, 3) != 32 ||
              sqlite3_column_bytes (stmt, 4) != crypto_sign_BYTES)
            continue;
          head.last_seq = sqlite3_column_int64 (stmt, 1);
          memcpy (head.last_hash, sqlite3_column_blob (stmt, 2), 32);
          memcpy (head.sig_digest, sqlite3_column_blob (stmt, 3), 32);
          wt_head_message (dev, head.last_seq, head.last_hash, head.sig_digest, message);
          if (crypto_sign_verify_detached (sqlite3_column_blob (stmt, 4), message, sizeof message,
                                           g_bytes_get_data (pk, NULL)) == 0)
            g_hash_table_insert (sealed, g_strdup (dev), g_memdup2 (&head, sizeof head));
          else
            *out_head_mismatch = TRUE;
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  *out_n_sealed = g_hash_table_size (sealed);

  pool = g_thread_pool_new (verify_batch_cb, NULL, n_workers, FALSE, NULL);

  /* Reading in (device, seq) order walks each chain from its first link.
   * The columns are the `event` view's, except prev_hash, read as stored:
   * NULL there means "the hash of the device's event before", which this
   * loop holds already; the view would look it up again for every row. */
  if (sqlite3_prepare_v2 (db,
                          "SELECT r.id, r.event_id, d.device_id, r.seq, coalesce (r.site, d.site_id), c.code,"
                          "       r.kind, r.actor, r.wall_ms, r.hlc,"
                          "       " EVENT_ROW_PAYLOAD ("r") ","
                          "       r.prev_hash, r.hash, r.sig"
                          "  FROM event_row r"
                          "  LEFT JOIN device_ref d ON d.no = r.dev"
                          "  LEFT JOIN container_ref c ON c.no = r.cno"
                          " ORDER BY r.dev, r.seq",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      verify_db_error (db, error);
      goto out;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 row = sqlite3_column_int64 (stmt, 0);
      const char *dev = (const char *) sqlite3_column_text (stmt, 2);
      gint64 seq = sqlite3_column_int64 (stmt, 3);
      gint64 pos = n;
      VerifyRow *r;

      /* A row the view cannot show (its device or container number
       * points nowhere) would be checked by nobody else. */
      if (dev == NULL || sqlite3_column_type (stmt, 5) == SQLITE_NULL)
        {
          verify_fail (&run, pos, TAMPER_UNLINKED, row, "", seq, 0);
          break;
        }
      if (device == NULL || strcmp (dev, device) != 0)
        {
          GBytes *pk = g_hash_table_lookup (pubkeys, dev);

          if (device_head != NULL && !sealed_chain_matches (device_head, digest, device_last_seq, prev))
            *out_head_mismatch = TRUE;
          local_chain_end (out_local, device, device_head != NULL, device_last_seq, prev, digest);
          g_free (device);
          device = g_strdup (dev);
          device_pk = pk && g_bytes_get_size (pk) == crypto_sign_PUBLICKEYBYTES ? g_bytes_get_data (pk, NULL) : NULL;
          device_head = g_hash_table_lookup (sealed, dev);
          memset (digest, 0, sizeof digest);
          memset (prev, 0, sizeof prev);
          expect_seq = 1;
        }

      if (seq != expect_seq)
        {
          /* A site holds only the events of other devices that concern its
           * containers, so their chains arrive in runs with gaps between
           * them: a run starts from its first row's own link, and every row
           * is still checked for its hash and signature. This device's own
           * chain must be whole. */
          if (!g_hash_table_contains (local, dev) && seq > expect_seq &&
              sqlite3_column_bytes (stmt, 11) == 32)
            memcpy (prev, sqlite3_column_blob (stmt, 11), 32);
          else
            {
              verify_fail (&run, pos, TAMPER_GAP, row, dev, seq, expect_seq);
              break;
            }
        }

      if (sqlite3_column_type (stmt, 11) != SQLITE_NULL &&
          (sqlite3_column_bytes (stmt, 11) != 32 || memcmp (sqlite3_column_blob (stmt, 11), prev, 32) != 0))
        {
          verify_fail (&run, pos, TAMPER_LINK, row, dev, seq, 0);
          break;
        }

      if (sqlite3_column_bytes (stmt, 1) != 16)
        {
          verify_fail (&run, pos, TAMPER_ID, row, dev, seq, 0);
          break;
        }

      if (batch == NULL)
        {
          batch = g_new (VerifyBatch, 1);
          batch->run = &run;
          batch->n = 0;
          batch->text = g_string_chunk_new (256 * 1024);
        }
      r = &batch->rows[batch->n++];
      r->pos = pos;
      r->row_id = row;
      r->seq = seq;
      r->wall_ms = sqlite3_column_int64 (stmt, 8);
      r->hlc = sqlite3_column_int64 (stmt, 9);
      r->dev = g_string_chunk_insert_const (batch->text, dev);
      r->site = chunk_text (batch->text, stmt, 4);
      r->container = chunk_text (batch->text, stmt, 5);
      r->kind = chunk_text (batch->text, stmt, 6);
      r->actor = chunk_text (batch->text, stmt, 7);
      r->payload = sqlite3_column_text (stmt, 10) != NULL
                   ? g_string_chunk_insert (batch->text, (const char *) sqlite3_column_text (stmt, 10)) : "";
      r->pk = device_pk;
      copy_blob (r->event_id, 16, stmt, 1, NULL);
      if (sqlite3_column_type (stmt, 11) == SQLITE_NULL)
        memcpy (r->prev_hash, prev, 32);
      else
        copy_blob (r->prev_hash, 32, stmt, 11, NULL);
      copy_blob (r->hash, 32, stmt, 12, &r->hash_ok);
      copy_blob (r->sig, crypto_sign_BYTES, stmt, 13, &r->sig_ok);
      r->check_sig = device_head == NULL;
      if (r->sig_ok)
        wt_sig_digest_step (digest, r->sig);
      else if (device_head != NULL)
        *out_head_mismatch = TRUE;
      device_last_seq = seq;

      /* The next row links to this row's stored hash; if that is not the
       * hash of this row, this row fails first. */
      memcpy (prev, r->hash, 32);
      expect_seq = seq + 1;
      n++;

      if (batch->n == VERIFY_BATCH)
        {
          g_mutex_lock (&run.lock);
          while (run.in_flight >= 2 * n_workers)
            g_cond_wait (&run.cond, &run.lock);
          run.in_flight++;
          g_mutex_unlock (&run.lock);
          g_thread_pool_push (pool, g_steal_pointer (&batch), NULL);
          if (verify_first_failure (&run) != G_MAXINT64)
            break;
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          if (progress && n % VERIFY_PROGRESS == 0)
            progress (n, user_data);
        }
    }

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      verify_db_error (db, error);
      goto out;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  if (device_head != NULL &&
      !sealed_chain_matches (device_head, digest, device_last_seq, prev))
    *out_head_mismatch = TRUE;
  local_chain_end (out_local, device, device_head != NULL, device_last_seq, prev, digest);

  if (batch != NULL && batch->n > 0)
    {
      g_mutex_lock (&run.lock);
      run.in_flight++;
      g_mutex_unlock (&run.lock);
      g_thread_pool_push (pool, g_steal_pointer (&batch), NULL);
    }

  g_mutex_lock (&run.lock);
  while (run.in_flight > 0)
    g_cond_wait (&run.cond, &run.lock);
  g_mutex_unlock (&run.lock);

  if (run.fail_pos != G_MAXINT64)
    {
      tampered (error, run.fail_kind, run.fail_row, run.fail_dev, run.fail_seq, run.fail_missing);
      goto out;
    }

  /* Rows cut off the end of a chain leave the chain head pointing past it. */
  if (sqlite3_prepare_v2 (db,
                          "SELECT h.device_id, h.last_seq, h.last_hash,"
                          "       (SELECT max (device_seq) FROM event e WHERE e.device_id = h.device_id),"
                          "       (SELECT hash FROM event e WHERE e.device_id = h.device_id"
                          "          AND e.device_seq = h.last_seq)"
                          "  FROM chain_head h",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      verify_db_error (db, error);
      goto out;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 last_seq = sqlite3_column_int64 (stmt, 1);
      gint64 max_seq = sqlite3_column_int64 (stmt, 3);

      if (max_seq != last_seq || sqlite3_column_bytes (stmt, 4) != 32 || sqlite3_column_bytes (stmt, 2) != 32 ||
          memcmp (sqlite3_column_blob (stmt, 2), sqlite3_column_blob (stmt, 4), 32) != 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                       _("The ledger has been tampered with: device %s recorded %lld events, but the ledger holds %lld; events were removed."),
                       (const char *) sqlite3_column_text (stmt, 0), (long long) last_seq, (long long) max_seq);
          goto out;
        }
    }

  ok = TRUE;
  if (progress)
    progress (n, user_data);
  if (out_n_events)
    *out_n_events = n;

out:
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (batch != NULL)
    verify_batch_free (batch);
  if (pool != NULL)
    {
      /* Workers still running after a cancellation finish their batch. */
      g_mutex_lock (&run.lock);
      while (run.in_flight > 0)
        g_cond_wait (&run.cond, &run.lock);
      g_mutex_unlock (&run.lock);
      g_thread_pool_free (pool, FALSE, TRUE);
    }
  if (db != NULL)
    {
      sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
      sqlite3_close (db);
    }
  g_free (run.fail_dev);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  return ok;
}

/* Best effort: writes the digest and head signature of a chain that has
 * none, if the chain has not moved since the snapshot that was verified.
 * Takes the lock for one short transaction. */
static void
seal_chain_head (WtLedger         *self,
                 const LocalChain *local)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint8 message[32];
  guint8 head_sig[crypto_sign_BYTES];

  g_mutex_lock (&self->lock);
  if ((!self->have_key && !load_key (self, NULL)) || !wt_db_exec (self, "BEGIN IMMEDIATE", NULL))
    goto out;
  wt_head_message (local->device_id, local->last_seq, local->last_hash, local->sig_digest, message);
  crypto_sign_detached (head_sig, NULL, message, sizeof message, self->secret_key);
  stmt = wt_db_prepare (self,
                        "UPDATE chain_head SET sig_digest = ?4, head_sig = ?5"
                        " WHERE device_id = ?1 AND last_seq = ?2 AND last_hash = ?3 AND sig_digest IS NULL",
                        NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, local->device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, local->last_seq);
      sqlite3_bind_blob (stmt, 3, local->last_hash, 32, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 4, local->sig_digest, 32, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 5, head_sig, sizeof head_sig, SQLITE_STATIC);
    }
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_DONE || !wt_db_exec (self, "COMMIT", NULL))
    wt_db_rollback (self);
out:
  g_mutex_unlock (&self->lock);
}

gboolean
wt_ledger_verify_full (WtLedger          *self,
                       GCancellable      *cancellable,
                       WtVerifyProgress   progress,
                       gpointer           user_data,
                       gint64            *out_n_events,
                       GError           **error)
{
  g_autoptr(GError) fast_error = NULL;
  gboolean mismatch = FALSE;
  guint n_sealed = 0;
  g_autofree char *device_id = NULL;
  LocalChain local = { 0 };

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  g_mutex_lock (&self->lock);
  device_id = g_strdup (self->device_id);
  g_mutex_unlock (&self->lock);
  local.device_id = device_id;

  if (verify_pass (self, TRUE, cancellable, progress, user_data, out_n_events, &mismatch, &n_sealed, &local,
                   &fast_error) &&
      !mismatch)
    {
      /* A chain from before format 5 whose every signature was just checked
       * one by one: sign its head now, so the next verify is fast. */
      if (local.seen && !local.sealed)
        seal_chain_head (self, &local);
      return TRUE;
    }
  if (fast_error != NULL && !g_error_matches (fast_error, WT_ERROR, WT_ERROR_TAMPERED))
    {
      g_propagate_error (error, g_steal_pointer (&fast_error));
      return FALSE;
    }
  if (fast_error != NULL && n_sealed == 0 && !mismatch)
    {
      g_propagate_error (error, g_steal_pointer (&fast_error));
      return FALSE;
    }

  /* Something does not match: walk every chain event by event, so the
   * first bad event is named exactly as it would be without heads. */
  {
    gboolean unused = FALSE;
    guint unused_n = 0;

    if (!verify_pass (self, FALSE, cancellable, progress, user_data, out_n_events, &unused, &unused_n, NULL, error))
      return FALSE;
  }

  /* Every event is right: the head itself was changed. */
  g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
               _("The ledger has been tampered with: the signed head of this device’s chain does not match its events."));
  return FALSE;
}

gboolean
wt_ledger_verify (WtLedger  *self,
                  gint64    *out_n_events,
                  GError   **error)
{
  return wt_ledger_verify_full (self, NULL, NULL, NULL, out_n_events, error);
}

/* ---- Demo data ---------------------------------------------------------------- */

gboolean
wt_ledger_init_demo (WtLedger  *self,
                     GError   **error)
{
  g_autoptr(WtSite) site = wt_site_new ();
  struct {
    const char *code;
    const char *common;
    const char *form;
    const char *main;
    const char *harmful;
    const char *container;
    double      volume;
    double      weight;
    guint       count;
  } batches[] = {
    { "900-249-08", "废机油", "液态", "矿物油", "多环芳烃", "钢桶", 200, 170, 4 },
    { "900-041-49", "废油抹布与手套", "固态", "棉纱、橡胶", "矿物油", "编织袋", 50, 12.5, 3 },
    { "336-064-17", "废酸洗液", "液态", "硫酸、水", "镍、铬", "吨桶", 1000, 950, 1 },
  };

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  wt_site_fill_demo (site);
  if (!wt_ledger_init_site (self, site, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (batches); i++)
    {
      g_autoptr(WtLabelContent) c = wt_label_content_new ();
      g_autoptr(WtPrintJob) job = NULL;
      g_autofree char *contact = g_strdup_printf ("%s %s", site->contact, site->phone);
      g_autofree char *weight = g_strdup_printf ("%g kg", batches[i].weight);
      g_autofree char *date = wt_ledger_today (self);
      const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), batches[i].code);
      WtLabelOptions options;

      g_assert (w != NULL);
      wt_label_content_set (c, &c->waste_name, w->description);
      wt_label_content_set (c, &c->common_name, batches[i].common);
      wt_label_content_set (c, &c->category, w->category);
      wt_label_content_set (c, &c->waste_code, w->code);
      wt_label_content_set (c, &c->form, batches[i].form);
      wt_label_content_set (c, &c->main_components, batches[i].main);
      wt_label_content_set (c, &c->harmful_components, batches[i].harmful);
      c->hazards = w->hazards;
      wt_label_content_set (c, &c->precautions, "远离火源，防止泄漏；佩戴防护手套。");
      wt_label_content_set (c, &c->producer, site->name);
      wt_label_content_set (c, &c->contact, contact);
      wt_label_content_set (c, &c->date, date);
      wt_label_content_set (c, &c->weight, weight);
      wt_label_content_set (c, &c->container_type, batches[i].container);
      c->volume_l = batches[i].volume;

      wt_label_options_init (&options);
      options.size_mm = wt_label_size_for_volume (c->volume_l);

      job = wt_ledger_reserve (self, c, batches[i].count, error);
      if (job == NULL)
        return FALSE;
      if (!wt_ledger_commit_job (self, job, c, &options, batches[i].weight, error))
        return FALSE;
    }

  return TRUE;
}
