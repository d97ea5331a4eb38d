/* wt-ledger-sync.c: the ledger's side of synchronisation.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Events of other devices go into `event` like our own (their keys into
 * `device` with is_local = 0), after their hash and signature are checked.
 * Nothing here merges: a second version of an event is kept out of `event`
 * and put beside the first in an anomaly. The container projection of a
 * container that got new events is replayed from all its events, so the
 * order in which they arrive does not matter.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-ledger-private.h"
#include "wt-ledger-sync.h"

/* The receiving scan's tolerance (wt-handover.c). */
#define WEIGHT_TOLERANCE_FRACTION 0.05
#define WEIGHT_TOLERANCE_MIN_KG 1.0

/* ---- Rows ------------------------------------------------------------------------ */

WtSyncEvent *
wt_sync_event_copy (const WtSyncEvent *event)
{
  WtSyncEvent *copy = g_new (WtSyncEvent, 1);

  *copy = *event;
  copy->device_id = g_strdup (event->device_id);
  copy->site_id = g_strdup (event->site_id);
  copy->container_code = g_strdup (event->container_code);
  copy->kind = g_strdup (event->kind);
  copy->actor = g_strdup (event->actor);
  copy->payload = g_strdup (event->payload);
  return copy;
}

void
wt_sync_event_free (WtSyncEvent *event)
{
  if (event == NULL)
    return;
  g_free ((char *) event->device_id);
  g_free ((char *) event->site_id);
  g_free ((char *) event->container_code);
  g_free ((char *) event->kind);
  g_free ((char *) event->actor);
  g_free ((char *) event->payload);
  g_free (event);
}

gboolean
wt_sync_event_check_hash (const WtSyncEvent *e)
{
  g_autofree char *event_id = wt_uuid_text (e->event_id);
  guint8 hash[32];

  event_hash (e->prev_hash, event_id, e->device_id, e->device_seq, e->site_id, e->container_code,
              e->kind, e->actor, e->wall_ms, e->hlc, e->payload, hash);
  return sodium_memcmp (hash, e->hash, 32) == 0;
}

void
wt_sync_key_free (WtSyncKey *key)
{
  if (key == NULL)
    return;
  g_free (key->device_id);
  g_free (key->site_id);
  g_free (key);
}

void
wt_sync_peer_clear (WtSyncPeer *peer)
{
  g_clear_pointer (&peer->pull_cursor, g_free);
  g_clear_pointer (&peer->last_error, g_free);
}

void
wt_anomaly_free (WtAnomaly *a)
{
  if (a == NULL)
    return;
  g_free (a->kind);
  g_free (a->container_code);
  g_free (a->event_id);
  g_free (a->other_event_id);
  g_free (a->detail);
  g_free (a->source);
  g_free (a->resolved_by);
  g_free (a);
}

static void
copy_blob (sqlite3_stmt *stmt,
           int           col,
           guint8       *out,
           gsize         len)
{
  if ((gsize) sqlite3_column_bytes (stmt, col) == len)
    memcpy (out, sqlite3_column_blob (stmt, col), len);
  else
    memset (out, 0, len);
}

#define EVENT_COLUMNS \
  "event_id, device_id, device_seq, site_id, container_code, kind, prev_custody, actor," \
  " wall_ms, hlc, payload, prev_hash, hash, sig"

/* Reads a row selected with EVENT_COLUMNS from column @c0; borrows. */
static void
event_from_row (sqlite3_stmt *stmt,
                int           c0,
                WtSyncEvent  *e)
{
  copy_blob (stmt, c0 + 0, e->event_id, 16);
  e->device_id = (const char *) sqlite3_column_text (stmt, c0 + 1);
  e->device_seq = sqlite3_column_int64 (stmt, c0 + 2);
  e->site_id = (const char *) sqlite3_column_text (stmt, c0 + 3);
  e->container_code = (const char *) sqlite3_column_text (stmt, c0 + 4);
  e->kind = (const char *) sqlite3_column_text (stmt, c0 + 5);
  e->has_prev_custody = sqlite3_column_bytes (stmt, c0 + 6) == 16;
  copy_blob (stmt, c0 + 6, e->prev_custody, 16);
  e->actor = (const char *) sqlite3_column_text (stmt, c0 + 7);
  e->wall_ms = sqlite3_column_int64 (stmt, c0 + 8);
  e->hlc = sqlite3_column_int64 (stmt, c0 + 9);
  e->payload = (const char *) sqlite3_column_text (stmt, c0 + 10);
  copy_blob (stmt, c0 + 11, e->prev_hash, 32);
  copy_blob (stmt, c0 + 12, e->hash, 32);
  copy_blob (stmt, c0 + 13, e->sig, 64);
}

/* The event as a JSON object, for anomaly details (both versions). */
static JsonNode *
event_to_json (const WtSyncEvent *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = wt_uuid_text (e->event_id);
  char hex[129];

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "actor");
  json_builder_add_string_value (b, e->actor);
  json_builder_set_member_name (b, "container_code");
  json_builder_add_string_value (b, e->container_code);
  json_builder_set_member_name (b, "device_id");
  json_builder_add_string_value (b, e->device_id);
  json_builder_set_member_name (b, "device_seq");
  json_builder_add_int_value (b, e->device_seq);
  json_builder_set_member_name (b, "event_id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "hash");
  json_builder_add_string_value (b, sodium_bin2hex (hex, sizeof hex, e->hash, 32));
  json_builder_set_member_name (b, "hlc");
  json_builder_add_int_value (b, e->hlc);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, e->kind);
  json_builder_set_member_name (b, "payload");
  json_builder_add_string_value (b, e->payload);
  json_builder_set_member_name (b, "site_id");
  json_builder_add_string_value (b, e->site_id);
  json_builder_set_member_name (b, "wall_ms");
  json_builder_add_int_value (b, e->wall_ms);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
versions_detail (const char        *first_name,
                 JsonNode          *first,
                 const char        *second_name,
                 JsonNode          *second)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, first_name);
  json_builder_add_value (b, first ? first : json_node_new (JSON_NODE_NULL));
  json_builder_set_member_name (b, second_name);
  json_builder_add_value (b, second ? second : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return wt_json_text (root);
}

/* Lock held. The stored event with @event_id as JSON, or NULL. */
static JsonNode *
stored_event_json (WtLedger     *self,
                   const char   *where,
                   const guint8 *blob,
                   const char   *device_id,
                   gint64        seq)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT " EVENT_COLUMNS " FROM event WHERE %s", where);
  WtSyncEvent e;

  stmt = wt_db_prepare (self, sql, NULL);
  if (stmt == NULL)
    return NULL;
  if (blob)
    sqlite3_bind_blob (stmt, 1, blob, 16, SQLITE_STATIC);
  else
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, seq);
    }
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  event_from_row (stmt, 0, &e);
  return event_to_json (&e);
}

/* ---- This device --------------------------------------------------------------- */

gboolean
wt_ledger_sync_identity (WtLedger  *self,
                         char     **out_device_id,
                         char     **out_site_id,
                         guint8    *out_public_key,
                         GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    goto out;
  stmt = wt_db_prepare (self, "SELECT public_key FROM device WHERE device_id = ?1", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      wt_db_error (self, error, "reading this device");
      goto out;
    }
  if (out_public_key)
    copy_blob (stmt, 0, out_public_key, 32);
  if (out_device_id)
    *out_device_id = g_strdup (self->device_id);
  if (out_site_id)
    *out_site_id = g_strdup (self->site_id);
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_head (WtLedger  *self,
                     gint64    *out_seq,
                     guint8    *out_hash,
                     GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  g_mutex_lock (&self->lock);
  *out_seq = 0;
  memset (out_hash, 0, 32);
  if (!wt_ledger_require_site (self, error))
    goto out;
  stmt = wt_db_prepare (self, "SELECT last_seq, last_hash FROM chain_head WHERE device_id = ?1", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out_seq = sqlite3_column_int64 (stmt, 0);
      copy_blob (stmt, 1, out_hash, 32);
    }
  else if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading the chain head");
      goto out;
    }
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_hash_at (WtLedger    *self,
                        const char  *device_id,
                        gint64       seq,
                        guint8      *out_hash,
                        gboolean    *out_found,
                        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  g_mutex_lock (&self->lock);
  *out_found = FALSE;
  stmt = wt_db_prepare (self, "SELECT hash FROM event WHERE device_id = ?1 AND device_seq = ?2", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, seq);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      copy_blob (stmt, 0, out_hash, 32);
      *out_found = TRUE;
    }
  else if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading an event");
      goto out;
    }
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_read_local (WtLedger      *self,
                           gint64         after_seq,
                           gint64         limit,
                           WtSyncRowFunc  func,
                           gpointer       user_data,
                           GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint8 prev[32] = { 0 };
  gboolean have_prev = FALSE;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    goto out;

  /* One read transaction: a consistent snapshot of the chain. */
  if (!wt_db_exec (self, "BEGIN", error))
    goto out;
  stmt = wt_db_prepare (self,
                        "SELECT " EVENT_COLUMNS " FROM event"
                        " WHERE device_id = ?1 AND device_seq > ?2 ORDER BY device_seq LIMIT ?3",
                        error);
  if (stmt == NULL)
    goto done;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, after_seq);
  sqlite3_bind_int64 (stmt, 3, limit > 0 ? limit : G_MAXINT64);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtSyncEvent e;

      event_from_row (stmt, 0, &e);
      if ((have_prev && memcmp (prev, e.prev_hash, 32) != 0) ||
          (!have_prev && e.device_seq != after_seq + 1) ||
          !wt_sync_event_check_hash (&e))
        {
          g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                       _("Event %lld of this device does not match its hash or does not link to the event before it, so nothing after it was sent. Run “wastetag-cli ledger verify”."),
                       (long long) e.device_seq);
          goto done;
        }
      memcpy (prev, e.hash, 32);
      have_prev = TRUE;
      if (!func (&e, user_data, error))
        goto done;
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading events");
      goto done;
    }
  ok = TRUE;

done:
  g_clear_pointer (&stmt, sqlite3_finalize);
  wt_db_exec (self, "COMMIT", NULL);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_first_seq_since (WtLedger  *self,
                                gint64     ms,
                                gint64    *out_seq,
                                GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    goto out;
  stmt = wt_db_prepare (self,
                        "SELECT coalesce ((SELECT min (device_seq) FROM event WHERE device_id = ?1 AND wall_ms >= ?2),"
                        "                 (SELECT coalesce (max (device_seq), 0) + 1 FROM event WHERE device_id = ?1))",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, ms);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      wt_db_error (self, error, "finding events by date");
      goto out;
    }
  *out_seq = sqlite3_column_int64 (stmt, 0);
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Peers ----------------------------------------------------------------------- */

gboolean
wt_ledger_sync_get_peer (WtLedger    *self,
                         const char  *peer,
                         WtSyncPeer  *out,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  memset (out, 0, sizeof *out);
  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "SELECT acked_seq, acked_hash, pull_cursor, clock_offset_ms, last_sync_ms, last_error"
                        "  FROM sync_peer WHERE peer = ?1",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, peer, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      out->acked_seq = sqlite3_column_int64 (stmt, 0);
      copy_blob (stmt, 1, out->acked_hash, 32);
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        out->pull_cursor = wt_db_column_dup (stmt, 2);
      out->clock_offset_ms = sqlite3_column_int64 (stmt, 3);
      out->last_sync_ms = sqlite3_column_int64 (stmt, 4);
      if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
        out->last_error = wt_db_column_dup (stmt, 5);
    }
  else if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading the sync state");
      goto out;
    }
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Lock held. */
static gboolean
ensure_peer (WtLedger    *self,
             const char  *peer,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = wt_db_prepare (self, "INSERT OR IGNORE INTO sync_peer (peer) VALUES (?1)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, peer, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "saving the sync state");
  return TRUE;
}

gboolean
wt_ledger_sync_set_acked (WtLedger      *self,
                          const char    *peer,
                          gint64         seq,
                          const guint8  *hash,
                          GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  if (!ensure_peer (self, peer, error))
    goto fail;
  stmt = wt_db_prepare (self,
                        "UPDATE sync_peer SET acked_seq = ?2, acked_hash = ?3 WHERE peer = ?1 AND acked_seq < ?2",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, peer, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_blob (stmt, 3, hash, 32, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "saving the acknowledgement");
      goto fail;
    }
  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;
  ok = TRUE;
  goto out;

fail:
  wt_db_rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Lock held. */
static gboolean
advance_clock (WtLedger  *self,
               gint64     hlc,
               GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = wt_db_prepare (self, "UPDATE clock SET max_hlc = max (max_hlc, ?1) WHERE id = 1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, hlc);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating the clock");
  return TRUE;
}

gboolean
wt_ledger_sync_finish (WtLedger    *self,
                       const char  *peer,
                       gint64       clock_offset_ms,
                       gint64       peer_ms,
                       const char  *last_error,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  if (!ensure_peer (self, peer, error))
    goto fail;
  stmt = wt_db_prepare (self,
                        "UPDATE sync_peer SET clock_offset_ms = coalesce (?2, clock_offset_ms), last_error = ?3,"
                        "  last_sync_ms = CASE WHEN ?3 IS NULL THEN ?4 ELSE last_sync_ms END"
                        " WHERE peer = ?1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, peer, -1, SQLITE_STATIC);
  if (clock_offset_ms != G_MININT64)
    sqlite3_bind_int64 (stmt, 2, clock_offset_ms);
  if (last_error)
    sqlite3_bind_text (stmt, 3, last_error, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "saving the sync state");
      goto fail;
    }
  if (peer_ms > 0 && !advance_clock (self, peer_ms << 16, error))
    goto fail;
  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;
  ok = TRUE;
  goto out;

fail:
  wt_db_rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gint64
wt_ledger_sync_pending (WtLedger   *self,
                        const char *peer)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = 0;

  g_mutex_lock (&self->lock);
  if (self->device_id == NULL)
    goto out;
  stmt = wt_db_prepare (self,
                        "SELECT coalesce ((SELECT last_seq FROM chain_head WHERE device_id = ?1), 0)"
                        "     - coalesce ((SELECT acked_seq FROM sync_peer WHERE peer = ?2), 0)",
                        NULL);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, self->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, peer, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = MAX (0, sqlite3_column_int64 (stmt, 0));

out:
  g_mutex_unlock (&self->lock);
  return n;
}

/* ---- Devices and keys ------------------------------------------------------------- */

/* Lock held. */
static gboolean
device_key_locked (WtLedger    *self,
                   const char  *device_id,
                   guint8      *out_key,
                   gboolean    *out_blocked)
{
  g_autoptr(sqlite3_stmt) stmt = wt_db_prepare (self, "SELECT public_key, blocked FROM device WHERE device_id = ?1", NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_bytes (stmt, 0) != 32)
    return FALSE;
  memcpy (out_key, sqlite3_column_blob (stmt, 0), 32);
  if (out_blocked)
    *out_blocked = sqlite3_column_int (stmt, 1) != 0;
  return TRUE;
}

gboolean
wt_ledger_sync_device_key (WtLedger    *self,
                           const char  *device_id,
                           guint8      *out_public_key,
                           gboolean    *out_blocked)
{
  gboolean ret;

  g_mutex_lock (&self->lock);
  ret = device_key_locked (self, device_id, out_public_key, out_blocked);
  g_mutex_unlock (&self->lock);
  return ret;
}

/* Lock held, inside a transaction. */
static gboolean
add_device_locked (WtLedger         *self,
                   const WtSyncKey  *key,
                   GError          **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint8 known[32];

  if (device_key_locked (self, key->device_id, known, NULL))
    {
      if (sodium_memcmp (known, key->public_key, 32) != 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                       _("Device %s is known here with another key; its events were not accepted."),
                       key->device_id);
          return FALSE;
        }
      return TRUE;
    }

  stmt = wt_db_prepare (self,
                        "INSERT INTO device (device_id, site_id, name, slot, public_key, is_local, created_ms)"
                        " VALUES (?1, ?2, '', '', ?3, 0, ?4)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key->site_id ? key->site_id : "", -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 3, key->public_key, 32, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "adding a device");
  return TRUE;
}

gboolean
wt_ledger_sync_trust_key (WtLedger         *self,
                          const WtSyncKey  *key,
                          GError          **error)
{
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  if (!add_device_locked (self, key, error) || !wt_db_exec (self, "COMMIT", error))
    {
      wt_db_rollback (self);
      goto out;
    }
  ok = TRUE;
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_sign (WtLedger      *self,
                     const guint8  *data,
                     gsize          len,
                     guint8        *out_sig,
                     GError       **error)
{
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    goto out;
  if (!self->have_key)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO,
                   _("This device’s signing key “%s” cannot be read, so nothing can be signed."), self->key_path);
      goto out;
    }
  crypto_sign_detached (out_sig, NULL, data, len, self->secret_key);
  ok = TRUE;
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- Anomalies ------------------------------------------------------------------- */

/* Lock held, inside a transaction. */
static gboolean
add_anomaly_locked (WtLedger      *self,
                    const char    *kind,
                    const char    *container,
                    const guint8  *event_id,
                    const guint8  *other_event_id,
                    const char    *detail,
                    gint64         detected_ms,
                    const char    *source,
                    gboolean      *out_added,
                    GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  *out_added = FALSE;
  stmt = wt_db_prepare (self,
                        "SELECT 1 FROM anomaly WHERE kind = ?1 AND event_id IS ?2 AND other_event_id IS ?3"
                        "   AND container_code IS ?4 AND (?2 IS NOT NULL OR source = ?5)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
  if (event_id)
    sqlite3_bind_blob (stmt, 2, event_id, 16, SQLITE_STATIC);
  if (other_event_id)
    sqlite3_bind_blob (stmt, 3, other_event_id, 16, SQLITE_STATIC);
  if (container)
    sqlite3_bind_text (stmt, 4, container, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, source, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return TRUE;
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self,
                        "INSERT INTO anomaly (kind, container_code, event_id, other_event_id, detail, detected_ms, source)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
  if (container)
    sqlite3_bind_text (stmt, 2, container, -1, SQLITE_STATIC);
  if (event_id)
    sqlite3_bind_blob (stmt, 3, event_id, 16, SQLITE_STATIC);
  if (other_event_id)
    sqlite3_bind_blob (stmt, 4, other_event_id, 16, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, detail ? detail : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, detected_ms > 0 ? detected_ms : wt_ledger_now_ms (self));
  sqlite3_bind_text (stmt, 7, source, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "recording an anomaly");
  *out_added = TRUE;
  return TRUE;
}

gboolean
wt_ledger_sync_add_anomaly (WtLedger      *self,
                            const char    *kind,
                            const char    *container_code,
                            const guint8  *event_id,
                            const guint8  *other_event_id,
                            const char    *detail,
                            gint64         detected_ms,
                            const char    *source,
                            gboolean      *out_added,
                            GError       **error)
{
  gboolean added = FALSE;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  if (!add_anomaly_locked (self, kind, container_code, event_id, other_event_id, detail,
                           detected_ms, source, &added, error) ||
      !wt_db_exec (self, "COMMIT", error))
    {
      wt_db_rollback (self);
      goto out;
    }
  ok = TRUE;
out:
  g_mutex_unlock (&self->lock);
  if (out_added)
    *out_added = ok && added;
  return ok;
}

gboolean
wt_ledger_sync_close_anomaly (WtLedger      *self,
                              const char    *source,
                              const guint8  *by_event,
                              GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "UPDATE anomaly SET resolved_by = ?2 WHERE source = ?1 AND resolved_by IS NULL", error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, by_event, 16, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "closing an anomaly");
      goto out;
    }
  ok = TRUE;
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

static char *
blob_uuid (sqlite3_stmt *stmt,
           int           col)
{
  if (sqlite3_column_bytes (stmt, col) != 16)
    return NULL;
  return wt_uuid_text (sqlite3_column_blob (stmt, col));
}

GPtrArray *
wt_ledger_list_anomalies (WtLedger  *self,
                          gboolean   open_only,
                          GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_anomaly_free);
  GPtrArray *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "SELECT id, kind, container_code, event_id, other_event_id, detail, detected_ms,"
                        "       source, resolved_by"
                        "  FROM anomaly WHERE ?1 = 0 OR resolved_by IS NULL ORDER BY id",
                        error);
  if (stmt == NULL)
    goto out;
  sqlite3_bind_int (stmt, 1, open_only);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtAnomaly *a = g_new0 (WtAnomaly, 1);

      a->id = sqlite3_column_int64 (stmt, 0);
      a->kind = wt_db_column_dup (stmt, 1);
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        a->container_code = wt_db_column_dup (stmt, 2);
      a->event_id = blob_uuid (stmt, 3);
      a->other_event_id = blob_uuid (stmt, 4);
      a->detail = wt_db_column_dup (stmt, 5);
      a->detected_ms = sqlite3_column_int64 (stmt, 6);
      a->source = wt_db_column_dup (stmt, 7);
      a->resolved_by = blob_uuid (stmt, 8);
      g_ptr_array_add (list, a);
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading anomalies");
      goto out;
    }
  ret = g_steal_pointer (&list);
out:
  g_mutex_unlock (&self->lock);
  return ret;
}

gint64
wt_ledger_count_open_anomalies (WtLedger *self)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = 0;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "SELECT count (*) FROM anomaly WHERE resolved_by IS NULL", NULL);
  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
wt_ledger_resolve_anomaly (WtLedger    *self,
                           gint64       id,
                           const char  *note,
                           GError     **error)
{
  return wt_ledger_resolve_anomaly_by (self, id, NULL, note, error);
}

gboolean
wt_ledger_resolve_anomaly_by (WtLedger       *self,
                              gint64          id,
                              const WtParty  *supervisor,
                              const char     *note,
                              GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *container = NULL;
  g_autofree char *source = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *trimmed_name = NULL;
  Appender app = { 0 };
  guint8 event_id[16];
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  trimmed = g_strstrip (g_strdup (note ? note : ""));
  if (trimmed[0] == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Say how the anomaly was settled: a note is required."));
      return FALSE;
    }

  if (supervisor != NULL)
    trimmed_name = g_strstrip (g_strdup (supervisor->name ? supervisor->name : ""));
  if (supervisor != NULL && trimmed_name[0] == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The supervisor who settles an anomaly gives their name."));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    goto out;
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  /* The PIN shows the supervisor was there; a first use sets it, in this
   * same transaction. */
  if (supervisor != NULL && !wt_ledger_check_party (self, supervisor, error))
    goto fail;

  stmt = wt_db_prepare (self, "SELECT kind, container_code, source, resolved_by FROM anomaly WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND, _("There is no anomaly number %lld."), (long long) id);
      else
        wt_db_error (self, error, "reading an anomaly");
      goto fail;
    }
  if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE, _("Anomaly %lld is already settled."), (long long) id);
      goto fail;
    }
  kind = wt_db_column_dup (stmt, 0);
  if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
    container = wt_db_column_dup (stmt, 1);
  source = wt_db_column_dup (stmt, 2);
  g_clear_pointer (&stmt, sqlite3_finalize);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "anomaly");
  json_builder_add_int_value (b, id);
  if (g_str_has_prefix (source, "central:"))
    {
      json_builder_set_member_name (b, "central_id");
      json_builder_add_int_value (b, g_ascii_strtoll (source + 8, NULL, 10));
    }
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind);
  json_builder_set_member_name (b, "note");
  json_builder_add_string_value (b, trimmed);
  if (supervisor != NULL)
    {
      json_builder_set_member_name (b, "supervisor");
      json_builder_add_string_value (b, trimmed_name);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  payload = wt_json_text (node);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, container ? container : "", "resolution", NULL, payload, event_id, error) ||
      !wt_appender_finish (self, &app, error))
    goto fail;

  stmt = wt_db_prepare (self, "UPDATE anomaly SET resolved_by = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_blob (stmt, 2, event_id, 16, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "settling an anomaly");
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

/* ---- Folding into the container projection --------------------------------------- */

typedef struct
{
  guint8   event_id[16];
  char    *kind;
  char    *payload;
  gint64   hlc;
  gint64   wall_ms;
  gboolean remote;
  gboolean applied;
} FoldEvent;

static void
fold_event_free (gpointer data)
{
  FoldEvent *f = data;

  g_free (f->kind);
  g_free (f->payload);
  g_free (f);
}

typedef enum
{
  ST_NONE,
  ST_LABELLED,
  ST_VOIDED,
  ST_STORED,
  ST_SHIPPED,
  ST_RECEIVED,
  ST_REJECTED,
  ST_TREATED,
} FoldState;

/* The custody state machine of wt-handover.c, as transitions. Kinds that
 * do not move the state (weighed, inspected, relabelled) need only that the
 * container exists. */
static gboolean
fold_allowed (FoldState   from,
              const char *kind)
{
  if (g_str_equal (kind, "labelled"))
    return from == ST_NONE;
  if (from == ST_NONE)
    return FALSE;
  if (g_str_equal (kind, "stored"))
    return from == ST_LABELLED || from == ST_STORED || from == ST_RECEIVED;
  if (g_str_equal (kind, "shipped"))
    return from == ST_LABELLED || from == ST_STORED || from == ST_RECEIVED || from == ST_REJECTED;
  if (g_str_equal (kind, "received") || g_str_equal (kind, "rejected"))
    return from == ST_SHIPPED;
  if (g_str_equal (kind, "treated"))
    return from == ST_LABELLED || from == ST_STORED || from == ST_RECEIVED;
  if (g_str_equal (kind, "voided"))
    return from == ST_LABELLED || from == ST_STORED;
  return TRUE;
}

static FoldState
fold_state_of (const char *kind,
               FoldState   from)
{
  static const struct { const char *kind; FoldState state; } map[] = {
    { "labelled", ST_LABELLED }, { "voided", ST_VOIDED }, { "stored", ST_STORED },
    { "shipped", ST_SHIPPED }, { "received", ST_RECEIVED }, { "rejected", ST_REJECTED },
    { "treated", ST_TREATED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (kind, map[i].kind))
      return map[i].state;
  return from;
}

static const char *
fold_state_id (FoldState s)
{
  static const char *ids[] = { "", "labelled", "voided", "stored", "shipped", "received", "rejected", "treated" };

  return ids[s];
}

static gboolean
is_container_kind (const char *kind)
{
  static const char *kinds[] = { "labelled", "relabelled", "voided", "stored", "shipped", "received",
                                 "rejected", "treated", "weighed", "inspected", "correction" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kind, kinds[i]))
      return TRUE;
  return FALSE;
}

static JsonObject *
payload_object (const char *payload,
                JsonParser *parser)
{
  JsonNode *root;

  if (!json_parser_load_from_data (parser, payload, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

static double
payload_kg (const char *payload)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = payload_object (payload, parser);
  JsonNode *n;

  if (o == NULL || (n = json_object_get_member (o, "weight_kg")) == NULL ||
      !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) == G_TYPE_STRING)
    return -1;
  return json_node_get_double (n);
}

static char *
payload_string (const char *payload,
                const char *member)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = payload_object (payload, parser);

  if (o == NULL)
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (o, member, NULL));
}

/* Lock held, inside the import transaction. */
static gboolean
fold_anomalies (WtLedger    *self,
                const char  *code,
                GPtrArray   *events,
                const char  *source,
                guint64     *n_added,
                GError     **error)
{
  FoldEvent *last_ship = NULL;
  gboolean any_ship = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      FoldEvent *f = events->pdata[i];

      if (g_str_equal (f->kind, "shipped"))
        any_ship = TRUE;
    }

  for (guint i = 0; i < events->len; i++)
    {
      FoldEvent *f = events->pdata[i];
      gboolean added = FALSE;

      if (g_str_equal (f->kind, "shipped"))
        {
          /* A5: a second pickup with no receipt since the first. */
          if (last_ship && (f->remote || last_ship->remote))
            {
              g_autoptr(JsonNode) a = stored_event_json (self, "event_id = ?1", last_ship->event_id, NULL, 0);
              g_autoptr(JsonNode) b = stored_event_json (self, "event_id = ?1", f->event_id, NULL, 0);
              g_autofree char *detail = versions_detail ("first", g_steal_pointer (&a), "second", g_steal_pointer (&b));

              if (!add_anomaly_locked (self, "double_custody", code, f->event_id, last_ship->event_id,
                                       detail, 0, source, &added, error))
                return FALSE;
              *n_added += added;
            }
          last_ship = f;
        }
      else if (g_str_equal (f->kind, "received") || g_str_equal (f->kind, "rejected"))
        {
          double got = payload_kg (f->payload);

          if (!any_ship && f->remote)
            {
              g_autoptr(JsonNode) a = stored_event_json (self, "event_id = ?1", f->event_id, NULL, 0);
              g_autofree char *detail = versions_detail ("receipt", g_steal_pointer (&a), "pickup", NULL);

              /* A6: the pickup has not arrived here yet. */
              if (!add_anomaly_locked (self, "pending_predecessor", code, f->event_id, NULL,
                                       detail, 0, source, &added, error))
                return FALSE;
              *n_added += added;
            }
          if (last_ship && got >= 0 && (f->remote || last_ship->remote))
            {
              double sent = payload_kg (last_ship->payload);

              /* A7: pickup and receipt weights disagree. */
              if (sent >= 0 && fabs (got - sent) > MAX (WEIGHT_TOLERANCE_MIN_KG, sent * WEIGHT_TOLERANCE_FRACTION))
                {
                  g_autoptr(JsonNode) a = stored_event_json (self, "event_id = ?1", last_ship->event_id, NULL, 0);
                  g_autoptr(JsonNode) b = stored_event_json (self, "event_id = ?1", f->event_id, NULL, 0);
                  g_autofree char *detail = versions_detail ("shipped", g_steal_pointer (&a), "received", g_steal_pointer (&b));

                  if (!add_anomaly_locked (self, "weight_mismatch", code, f->event_id, last_ship->event_id,
                                           detail, 0, source, &added, error))
                    return FALSE;
                  *n_added += added;
                }
            }
          last_ship = NULL;
        }
    }

  /* A6 clears when the pickup arrives. */
  if (any_ship)
    {
      sqlite3_stmt *stmt;
      FoldEvent *ship = NULL;

      for (guint i = 0; i < events->len; i++)
        if (g_str_equal (((FoldEvent *) events->pdata[i])->kind, "shipped"))
          ship = events->pdata[i];
      stmt = wt_db_cached (self,
                           "UPDATE anomaly SET resolved_by = ?2 WHERE kind = 'pending_predecessor'"
                           "   AND container_code = ?1 AND resolved_by IS NULL",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 2, ship->event_id, 16, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return wt_db_error (self, error, "clearing an anomaly");
    }

  return TRUE;
}

/* Replays every event of @code (ours and others') through the state
 * machine in clock order; an event that cannot apply yet (a receipt whose
 * pickup sorts later because the two clocks disagree) waits until one that
 * makes it possible has applied. Then writes the projection. Lock held,
 * inside the import transaction. */
static gboolean
fold_container (WtLedger    *self,
                const char  *code,
                GHashTable  *remote_ids,
                const char  *source,
                guint64     *n_anomalies,
                GError     **error)
{
  /* Cached: this runs for every container of an import. */
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (fold_event_free);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autofree char *label = NULL;
  g_autofree char *facility = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *void_reason = NULL;
  FoldState state = ST_NONE;
  FoldEvent *last = NULL;
  FoldEvent *labelled = NULL;
  gboolean any_container_kind = FALSE;
  gboolean have_ship = FALSE;
  gboolean progress = TRUE;
  double weight = -1;
  gint reprints = 0;
  gboolean exists;
  int rc;

  stmt = wt_db_cached (self,
                       "SELECT event_id, kind, payload, hlc, wall_ms FROM event"
                       " WHERE container_code = ?1 ORDER BY hlc, id",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FoldEvent *f = g_new0 (FoldEvent, 1);

      copy_blob (stmt, 0, f->event_id, 16);
      f->kind = wt_db_column_dup (stmt, 1);
      f->payload = wt_db_column_dup (stmt, 2);
      f->hlc = sqlite3_column_int64 (stmt, 3);
      f->wall_ms = sqlite3_column_int64 (stmt, 4);
      f->remote = g_hash_table_contains (remote_ids, f->event_id);
      any_container_kind |= is_container_kind (f->kind);
      g_ptr_array_add (events, f);
    }
  if (rc != SQLITE_DONE)
    return wt_db_error (self, error, "reading a container's events");

  /* Manifests and resolutions share the column but are not containers. */
  if (!any_container_kind)
    return TRUE;

  while (progress)
    {
      progress = FALSE;
      for (guint i = 0; i < events->len; i++)
        {
          FoldEvent *f = events->pdata[i];

          if (f->applied || !is_container_kind (f->kind) || !fold_allowed (state, f->kind))
            continue;

          f->applied = TRUE;
          progress = TRUE;
          g_ptr_array_add (order, f);
          state = fold_state_of (f->kind, state);
          last = f;

          if (g_str_equal (f->kind, "labelled"))
            {
              labelled = f;
              weight = payload_kg (f->payload);
            }
          else if (g_str_equal (f->kind, "relabelled"))
            reprints++;
          else if (g_str_equal (f->kind, "voided"))
            {
              g_free (void_reason);
              void_reason = payload_string (f->payload, "reason");
            }
          else if (g_str_equal (f->kind, "weighed") || g_str_equal (f->kind, "received") ||
                   g_str_equal (f->kind, "rejected") || g_str_equal (f->kind, "correction"))
            {
              double kg = payload_kg (f->payload);

              if (kg >= 0)
                weight = kg;
            }
          if (g_str_equal (f->kind, "shipped"))
            have_ship = TRUE;
          if (g_str_equal (f->kind, "shipped") || g_str_equal (f->kind, "received") ||
              g_str_equal (f->kind, "rejected"))
            {
              g_free (manifest);
              manifest = payload_string (f->payload, "manifest");
            }
          g_clear_pointer (&facility, g_free);
          if (state == ST_STORED)
            facility = payload_string (f->payload, "facility");
          /* Restart from the oldest waiting event: it may apply now. */
          break;
        }
    }

  /* Nothing applies without a `labelled` event (its history did not come
   * here): follow the events as they are, like a receipt does. */
  if (state == ST_NONE)
    for (guint i = 0; i < events->len; i++)
      {
        FoldEvent *f = events->pdata[i];

        if (!is_container_kind (f->kind))
          continue;
        state = fold_state_of (f->kind, state);
        last = f;
        f->applied = TRUE;
        g_ptr_array_add (order, f);
        if (g_str_equal (f->kind, "shipped"))
          have_ship = TRUE;
      }
  if (last == NULL)
    return TRUE;

  if (!fold_anomalies (self, code, order, source, n_anomalies, error))
    return FALSE;

  stmt = wt_db_cached (self, "SELECT 1 FROM container WHERE code = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  exists = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);

  if (!exists)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = labelled ? payload_object (labelled->payload, parser) : NULL;
      JsonObject *content = o && json_object_has_member (o, "content") ? json_object_get_object_member (o, "content") : NULL;
      const char *waste = content ? json_object_get_string_member_with_default (content, "waste_code", "") : "";
      const char *name = content ? json_object_get_string_member_with_default (content, "waste_name", "") : "";
      const char *common = content ? json_object_get_string_member_with_default (content, "common_name", "") : "";
      const char *date = content ? json_object_get_string_member_with_default (content, "date", "") : "";
      guint hazards = 0;

      if (content)
        wt_hazard_parse (json_object_get_string_member_with_default (content, "hazards", ""), &hazards);

      stmt = wt_db_cached (self,
                           "INSERT INTO container (code, waste_code, waste_name, common_name, hazards, weight_kg,"
                           "  state, reprints, labelled_ms, day, label, last_event, predecessor_unknown, updated_ms)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'labelled', 0, ?7, ?8, ?9, ?10, ?11, ?7)",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, waste, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, common, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 5, hazards);
      sqlite3_bind_int64 (stmt, 7, labelled ? labelled->wall_ms : last->wall_ms);
      sqlite3_bind_text (stmt, 8, date, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 9, labelled ? labelled->payload : "{}", -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 10, last->event_id, 16, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 11, !labelled);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return wt_db_error (self, error, "adding a container from another site");
    }
  else if (labelled)
    {
      /* A container adopted at receipt gets the label its producer printed. */
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = payload_object (labelled->payload, parser);
      JsonObject *content = o && json_object_has_member (o, "content") ? json_object_get_object_member (o, "content") : NULL;

      stmt = wt_db_cached (self,
                           "UPDATE container SET label = ?2, common_name = ?3, labelled_ms = ?4,"
                           "  day = CASE WHEN day = '' THEN ?5 ELSE day END"
                           " WHERE code = ?1 AND label = '{}'",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, labelled->payload, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, content ? json_object_get_string_member_with_default (content, "common_name", "") : "",
                         -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 4, labelled->wall_ms);
      sqlite3_bind_text (stmt, 5, content ? json_object_get_string_member_with_default (content, "date", "") : "",
                         -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return wt_db_error (self, error, "updating a container");
    }

  stmt = wt_db_cached (self,
                       "UPDATE container SET state = ?2, facility = ?3, manifest_id = coalesce (?4, manifest_id),"
                       "  weight_kg = coalesce (?5, weight_kg), reprints = max (reprints, ?6),"
                       "  void_reason = coalesce (?7, void_reason), last_event = ?8, updated_ms = ?9,"
                       "  predecessor_unknown = CASE WHEN ?10 THEN 0 ELSE predecessor_unknown END"
                       " WHERE code = ?1",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, fold_state_id (state), -1, SQLITE_STATIC);
  if (facility)
    sqlite3_bind_text (stmt, 3, facility, -1, SQLITE_STATIC);
  if (manifest)
    sqlite3_bind_text (stmt, 4, manifest, -1, SQLITE_STATIC);
  if (weight >= 0)
    sqlite3_bind_double (stmt, 5, weight);
  sqlite3_bind_int (stmt, 6, reprints);
  if (void_reason)
    sqlite3_bind_text (stmt, 7, void_reason, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 8, last->event_id, 16, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 9, last->wall_ms);
  sqlite3_bind_int (stmt, 10, have_ship);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating a container");

  return TRUE;
}

/* ---- Import ---------------------------------------------------------------------- */

static guint
id_hash (gconstpointer key)
{
  guint h;

  memcpy (&h, (const guint8 *) key + 12, sizeof h);
  return h;
}

static gboolean
id_equal (gconstpointer a,
          gconstpointer b)
{
  return memcmp (a, b, 16) == 0;
}

/* Lock held, inside a transaction. */
static gboolean
log_bundle_locked (WtLedger      *self,
                   const guint8  *bundle_id,
                   const char    *direction,
                   const char    *device_id,
                   gint64         seq_from,
                   gint64         seq_to,
                   gint64         n_events,
                   const guint8  *file_sha256,
                   GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = wt_db_prepare (self,
                        "INSERT OR IGNORE INTO bundle_log (bundle_id, direction, device_id, seq_from, seq_to,"
                        "  n_events, file_sha256, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, bundle_id, 16, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, direction, -1, SQLITE_STATIC);
  if (device_id)
    sqlite3_bind_text (stmt, 3, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, seq_from);
  sqlite3_bind_int64 (stmt, 5, seq_to);
  sqlite3_bind_int64 (stmt, 6, n_events);
  if (file_sha256)
    sqlite3_bind_blob (stmt, 7, file_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 8, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "logging a bundle");
  return TRUE;
}

gboolean
wt_ledger_sync_has_bundle (WtLedger     *self,
                           const guint8 *bundle_id)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ret = FALSE;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "SELECT 1 FROM bundle_log WHERE bundle_id = ?1 AND direction = 'in'", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_blob (stmt, 1, bundle_id, 16, SQLITE_STATIC);
      ret = sqlite3_step (stmt) == SQLITE_ROW;
    }
  g_mutex_unlock (&self->lock);
  return ret;
}

gboolean
wt_ledger_sync_log_bundle (WtLedger      *self,
                           const guint8  *bundle_id,
                           const char    *direction,
                           const char    *device_id,
                           gint64         seq_from,
                           gint64         seq_to,
                           gint64         n_events,
                           const guint8  *file_sha256,
                           GError       **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = log_bundle_locked (self, bundle_id, direction, device_id, seq_from, seq_to, n_events, file_sha256, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

typedef struct
{
  GPtrArray  *events;
  GHashTable *keys;
  guint       from;
  guint       to;
  guint       bad;     /* index of the first bad event, or G_MAXUINT */
  int         why;     /* 0 hash, 1 unknown device, 2 signature */
} VerifySlice;

static gpointer
verify_slice (gpointer data)
{
  VerifySlice *v = data;

  v->bad = G_MAXUINT;
  for (guint i = v->from; i < v->to; i++)
    {
      const WtSyncEvent *e = v->events->pdata[i];
      const guint8 *pk = g_hash_table_lookup (v->keys, e->device_id);

      v->why = !wt_sync_event_check_hash (e) ? 0 : pk == NULL ? 1
             : crypto_sign_verify_detached (e->sig, e->hash, 32, pk) != 0 ? 2 : -1;
      if (v->why >= 0)
        {
          v->bad = i;
          break;
        }
    }
  return NULL;
}

/* Checks hash and signature of every event before anything is written,
 * on every core (Ed25519 verification is most of an import's cost). */
static gboolean
verify_all (GPtrArray   *events,
            GHashTable  *keys,
            GError     **error)
{
  guint n_threads = events->len >= 2000 ? CLAMP (g_get_num_processors (), 1, 8) : 1;
  VerifySlice slices[8];
  GThread *threads[8] = { NULL };
  const WtSyncEvent *e;
  VerifySlice *first = NULL;

  for (guint t = 0; t < n_threads; t++)
    {
      slices[t] = (VerifySlice) { events, keys, events->len * t / n_threads, events->len * (t + 1) / n_threads, G_MAXUINT, -1 };
      if (t > 0)
        threads[t] = g_thread_new ("wt-verify", verify_slice, &slices[t]);
    }
  verify_slice (&slices[0]);
  for (guint t = 1; t < n_threads; t++)
    g_thread_join (threads[t]);
  for (guint t = 0; t < n_threads && first == NULL; t++)
    if (slices[t].bad != G_MAXUINT)
      first = &slices[t];
  if (first == NULL)
    return TRUE;

  e = events->pdata[first->bad];
  if (first->why == 0)
    g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                 _("Event %lld of device %s was altered on the way: its content does not match its hash. Nothing was imported."),
                 (long long) e->device_seq, e->device_id);
  else if (first->why == 1)
    g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                 _("Event %lld comes from device %s, which this ledger does not know. Nothing was imported."),
                 (long long) e->device_seq, e->device_id);
  else
    g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                 _("Event %lld of device %s is not signed by that device’s key. Nothing was imported."),
                 (long long) e->device_seq, e->device_id);
  return FALSE;
}

gboolean
wt_ledger_sync_import (WtLedger                   *self,
                       GPtrArray                  *events,
                       GPtrArray                  *keys,
                       const WtSyncImportOptions  *options,
                       WtSyncImportResult         *out_result,
                       GError                    **error)
{
  g_autoptr(GHashTable) pubkeys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) remote_ids = g_hash_table_new (id_hash, id_equal);
  g_autoptr(GHashTable) touched = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(sqlite3_stmt) by_id = NULL;
  g_autoptr(sqlite3_stmt) by_seq = NULL;
  g_autoptr(sqlite3_stmt) insert = NULL;
  WtSyncImportResult result = { 0 };
  const char *source = options && options->source ? options->source : "local";
  gint64 max_hlc = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  g_mutex_lock (&self->lock);

  /* Keys: the ones known here win; a given key for a known device must match. */
  for (guint i = 0; i < events->len; i++)
    {
      const WtSyncEvent *e = events->pdata[i];
      guint8 pk[32];

      if (!g_hash_table_contains (pubkeys, e->device_id) && device_key_locked (self, e->device_id, pk, NULL))
        g_hash_table_insert (pubkeys, g_strdup (e->device_id), g_memdup2 (pk, 32));
    }
  for (guint i = 0; keys && i < keys->len; i++)
    {
      const WtSyncKey *k = keys->pdata[i];
      const guint8 *known = g_hash_table_lookup (pubkeys, k->device_id);

      if (known && sodium_memcmp (known, k->public_key, 32) != 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
                       _("Device %s is known here with another key; its events were not accepted."),
                       k->device_id);
          goto out;
        }
      if (!known)
        g_hash_table_insert (pubkeys, g_strdup (k->device_id), g_memdup2 (k->public_key, 32));
    }

  if (!verify_all (events, pubkeys, error))
    goto out;

  /* A big import in one transaction must not spill SQLite's page cache
   * into the WAL over and over: that makes every lookup slower. */
  wt_db_exec (self, "PRAGMA cache_size = -65536", NULL);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  for (guint i = 0; keys && i < keys->len; i++)
    {
      const WtSyncKey *k = keys->pdata[i];
      guint8 pk[32];

      if (!device_key_locked (self, k->device_id, pk, NULL) && !add_device_locked (self, k, error))
        goto fail;
    }

  by_id = wt_db_prepare (self, "SELECT hash FROM event WHERE event_id = ?1", error);
  by_seq = wt_db_prepare (self, "SELECT event_id, hash FROM event WHERE device_id = ?1 AND device_seq = ?2", error);
  insert = wt_db_prepare (self,
                          "INSERT INTO event (" EVENT_COLUMNS ")"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                          error);
  if (by_id == NULL || by_seq == NULL || insert == NULL)
    goto fail;

  for (guint i = 0; i < events->len; i++)
    {
      const WtSyncEvent *e = events->pdata[i];
      int rc;

      sqlite3_reset (by_id);
      sqlite3_bind_blob (by_id, 1, e->event_id, 16, SQLITE_STATIC);
      rc = sqlite3_step (by_id);
      if (rc == SQLITE_ROW)
        {
          if (sqlite3_column_bytes (by_id, 0) == 32 && memcmp (sqlite3_column_blob (by_id, 0), e->hash, 32) == 0)
            result.duplicates++;
          else
            {
              g_autoptr(JsonNode) stored = stored_event_json (self, "event_id = ?1", e->event_id, NULL, 0);
              g_autofree char *detail = versions_detail ("stored", g_steal_pointer (&stored), "received", event_to_json (e));
              gboolean added = FALSE;

              /* A2: keep the first, show both. */
              if (!add_anomaly_locked (self, "conflicting_duplicate", e->container_code, e->event_id, NULL,
                                       detail, 0, source, &added, error))
                goto fail;
              result.anomalies += added;
              result.conflicts++;
            }
          continue;
        }
      if (rc != SQLITE_DONE)
        {
          wt_db_error (self, error, "looking up an event");
          goto fail;
        }

      sqlite3_reset (by_seq);
      sqlite3_bind_text (by_seq, 1, e->device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (by_seq, 2, e->device_seq);
      if (sqlite3_step (by_seq) == SQLITE_ROW)
        {
          g_autoptr(JsonNode) stored = stored_event_json (self, "device_id = ?1 AND device_seq = ?2", NULL,
                                                          e->device_id, e->device_seq);
          g_autofree char *detail = versions_detail ("stored", g_steal_pointer (&stored), "received", event_to_json (e));
          g_autoptr(sqlite3_stmt) block = NULL;
          gboolean added = FALSE;

          /* A4: two events at one place of a device's chain. */
          if (!add_anomaly_locked (self, "device_fork", e->container_code, e->event_id,
                                   sqlite3_column_blob (by_seq, 0), detail, 0, source, &added, error))
            goto fail;
          result.anomalies += added;
          result.conflicts++;
          block = wt_db_prepare (self, "UPDATE device SET blocked = 1 WHERE device_id = ?1 AND is_local = 0", error);
          if (block == NULL)
            goto fail;
          sqlite3_bind_text (block, 1, e->device_id, -1, SQLITE_STATIC);
          if (sqlite3_step (block) != SQLITE_DONE)
            {
              wt_db_error (self, error, "blocking a device");
              goto fail;
            }
          continue;
        }

      sqlite3_reset (insert);
      sqlite3_bind_blob (insert, 1, e->event_id, 16, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, e->device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 3, e->device_seq);
      sqlite3_bind_text (insert, 4, e->site_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 5, e->container_code, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 6, e->kind, -1, SQLITE_STATIC);
      if (e->has_prev_custody)
        sqlite3_bind_blob (insert, 7, e->prev_custody, 16, SQLITE_STATIC);
      else
        sqlite3_bind_null (insert, 7);
      sqlite3_bind_text (insert, 8, e->actor, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 9, e->wall_ms);
      sqlite3_bind_int64 (insert, 10, e->hlc);
      sqlite3_bind_text (insert, 11, e->payload, -1, SQLITE_STATIC);
      sqlite3_bind_blob (insert, 12, e->prev_hash, 32, SQLITE_STATIC);
      sqlite3_bind_blob (insert, 13, e->hash, 32, SQLITE_STATIC);
      sqlite3_bind_blob (insert, 14, e->sig, 64, SQLITE_STATIC);
      if (sqlite3_step (insert) != SQLITE_DONE)
        {
          wt_db_error (self, error, "storing an event from another device");
          goto fail;
        }
      result.inserted++;
      g_hash_table_add (remote_ids, (gpointer) e->event_id);
      g_hash_table_add (touched, (gpointer) e->container_code);
      max_hlc = MAX (max_hlc, e->hlc);
    }

  {
    GHashTableIter iter;
    gpointer code;

    g_hash_table_iter_init (&iter, touched);
    while (g_hash_table_iter_next (&iter, &code, NULL))
      {
        if (((const char *) code)[0] == '\0')
          continue;
        if (!fold_container (self, code, remote_ids, source, &result.anomalies, error))
          goto fail;
        result.containers++;
      }
  }

  /* Later events of ours sort after everything we have now seen. */
  if (max_hlc > 0 && !advance_clock (self, max_hlc, error))
    goto fail;

  if (options && options->peer && options->pull_cursor)
    {
      g_autoptr(sqlite3_stmt) stmt = NULL;

      if (!ensure_peer (self, options->peer, error))
        goto fail;
      stmt = wt_db_prepare (self, "UPDATE sync_peer SET pull_cursor = ?2 WHERE peer = ?1", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, options->peer, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, options->pull_cursor, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          wt_db_error (self, error, "saving the pull cursor");
          goto fail;
        }
    }

  if (options && options->bundle_id &&
      !log_bundle_locked (self, options->bundle_id, options->bundle_direction ? options->bundle_direction : "in",
                          options->bundle_device, options->bundle_seq_from, options->bundle_seq_to,
                          events->len, options->bundle_sha256, error))
    goto fail;

  g_clear_pointer (&by_id, sqlite3_finalize);
  g_clear_pointer (&by_seq, sqlite3_finalize);
  g_clear_pointer (&insert, sqlite3_finalize);
  if (!wt_db_exec (self, "COMMIT", error))
    goto fail;

  ok = TRUE;
  if (out_result)
    *out_result = result;
  goto out;

fail:
  g_clear_pointer (&by_id, sqlite3_finalize);
  g_clear_pointer (&by_seq, sqlite3_finalize);
  g_clear_pointer (&insert, sqlite3_finalize);
  wt_db_rollback (self);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_sync_read_for_site (WtLedger      *self,
                              const char    *site_id,
                              const char    *exclude_device,
                              WtSyncRowFunc  func,
                              gpointer       user_data,
                              GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN", error))
    goto out;
  stmt = wt_db_prepare (self,
                        "SELECT " EVENT_COLUMNS " FROM event"
                        " WHERE device_id <> ?2 AND container_code <> ''"
                        "   AND container_code IN (SELECT container_code FROM event WHERE site_id = ?1)"
                        " ORDER BY device_id, device_seq",
                        error);
  if (stmt == NULL)
    goto done;
  sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, exclude_device, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtSyncEvent e;

      event_from_row (stmt, 0, &e);
      if (!func (&e, user_data, error))
        goto done;
    }
  if (rc != SQLITE_DONE)
    {
      wt_db_error (self, error, "reading events");
      goto done;
    }
  ok = TRUE;

done:
  g_clear_pointer (&stmt, sqlite3_finalize);
  wt_db_exec (self, "COMMIT", NULL);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}
