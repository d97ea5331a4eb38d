/* wt-sync.c: the central PostgreSQL store over TLS.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol is a handful of SQL functions (resources/sql/); this file
 * only moves rows. Nothing is trusted from the client's memory of what it
 * sent: the server's cursor says where to resume, so a killed connection, a
 * restarted server or the same batch sent twice at once all end with every
 * event stored exactly once.
 */
#define _GNU_SOURCE 1   /* SCHED_IDLE */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <libsecret/secret.h>
#include <sodium.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wt-error.h"
#include "wt-ledger-private.h"
#include "wt-sync.h"

#define DEFAULT_BATCH 10000
#define DEFAULT_PAGE 10000
#define SQL_RESOURCE_DIR "/org/wastetag/Wastetag/core/sql"

G_DEFINE_QUARK (wt-sync-error-quark, wt_sync_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* ---- Errors --------------------------------------------------------------------- */

/* libpq's messages run over several lines; a user gets one sentence. */
static char *
one_line (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text && *text ? text : "?", " \t\n\r", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; words[i]; i++)
    if (words[i][0])
      g_string_append_printf (out, out->len ? " %s" : "%s", words[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
server_words (PGconn   *conn,
              PGresult *res)
{
  const char *msg = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

  if (msg == NULL)
    msg = PQerrorMessage (conn);
  return one_line (msg);
}

/* One sentence for a failed statement; the connection's state tells a
 * broken connection from a refusal. */
static gboolean
set_pg_error (GError     **error,
              PGconn      *conn,
              PGresult    *res,
              const char  *doing)
{
  g_autofree char *words = server_words (conn, res);
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;

  if (PQstatus (conn) != CONNECTION_OK || (state && (g_str_has_prefix (state, "57P") || g_str_has_prefix (state, "08"))))
    g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_LOST,
                 _("The connection to the central store broke while %s (%s). Nothing of the unfinished step was kept; sync again to resume where the store stopped."),
                 doing, words);
  else if (g_strcmp0 (state, "WTB01") == 0)
    g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_BLOCKED,
                 _("The central store has blocked this device (%s). Ask the central office to look at its anomalies."),
                 words);
  else if (g_strcmp0 (state, "42501") == 0 || g_strcmp0 (state, "WTD01") == 0 || g_strcmp0 (state, "42P01") == 0)
    g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_REFUSED,
                 _("The central store refused %s: %s."), doing, words);
  else if (g_strcmp0 (state, "3F000") == 0 || g_strcmp0 (state, "42883") == 0)
    g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SCHEMA,
                 _("The central store is not set up for Wastetag (%s). Run “wastetag-cli central init” on it first."),
                 words);
  else
    g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SERVER,
                 _("The central store refused %s: %s."), doing, words);
  return FALSE;
}

static gboolean
exec_ok (PGconn      *conn,
         const char  *sql,
         const char  *doing,
         GError     **error)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return set_pg_error (error, conn, res, doing);
  return TRUE;
}

static PGresult *
query (PGconn      *conn,
       const char  *sql,
       int          n_params,
       const char * const *values,
       const char  *doing,
       GError     **error)
{
  PGresult *res = PQexecParams (conn, sql, n_params, NULL, values, NULL, NULL, 0);

  if (PQresultStatus (res) != PGRES_TUPLES_OK && PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      set_pg_error (error, conn, res, doing);
      PQclear (res);
      return NULL;
    }
  return res;
}

static void
quiet_notice (void       *data,
              const char *message)
{
  g_debug ("server: %s", message);
}

static PGconn *
connect_to (const char  *conninfo,
            GError     **error)
{
  g_autofree char *full = g_strdup_printf ("%s client_encoding=UTF8 application_name=wastetag connect_timeout=15",
                                           conninfo);
  PGconn *conn = PQconnectdb (full);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *words = one_line (PQerrorMessage (conn));

      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONNECT,
                   _("The central store cannot be reached or refused this login: %s"), words);
      PQfinish (conn);
      return NULL;
    }
  /* Server notices (a shutdown warning) are not for the user. */
  PQsetNoticeProcessor (conn, quiet_notice, NULL);
  return conn;
}

static void
rollback (PGconn *conn)
{
  if (PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) != PQTRANS_IDLE)
    PQclear (PQexec (conn, "ROLLBACK"));
}

/* ---- Text helpers ------------------------------------------------------------------ */

static char *
hex_of (const guint8 *bin,
        gsize         len)
{
  char *hex = g_malloc (len * 2 + 1);

  sodium_bin2hex (hex, len * 2 + 1, bin, len);
  return hex;
}

/* A bytea in text form ("\x0a1b…") into @out. */
static gboolean
bytea_in (const char *text,
          guint8     *out,
          gsize       len)
{
  size_t bin_len = 0;

  if (text == NULL || text[0] != '\\' || text[1] != 'x')
    return FALSE;
  return sodium_hex2bin (out, len, text + 2, strlen (text + 2), NULL, &bin_len, NULL) == 0 && bin_len == len;
}

/* The stage is filled with COPY … (FORMAT binary): no escaping here, and
 * the server neither parses UUIDs and numbers from text nor decodes hex
 * (a tenth of a push's server time when it was text). */
static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static void
copy_field (GString     *out,
            const void  *data,
            gsize        len)
{
  guint32 be = GUINT32_TO_BE ((guint32) len);

  g_string_append_len (out, (const char *) &be, 4);
  g_string_append_len (out, data, len);
}

static void
copy_null (GString *out)
{
  g_string_append_len (out, "\377\377\377\377", 4);
}

static void
copy_int8 (GString *out,
           gint64   v)
{
  guint64 be = GUINT64_TO_BE ((guint64) v);

  copy_field (out, &be, 8);
}

static void
copy_str (GString    *out,
          const char *s)
{
  copy_field (out, s, strlen (s));
}

/* One stage row, in the column order of ingest.stage_template. */
static void
copy_row (GString           *out,
          const WtSyncEvent *e)
{
  guint16 n_fields = GUINT16_TO_BE (14);
  guint8 device[16] = { 0 };

  /* A device id that is no UUID stays zero: apply_stage() then refuses
   * the batch as another device's. */
  wt_uuid_to_bytes (e->device_id, device);
  g_string_append_len (out, (const char *) &n_fields, 2);
  copy_field (out, e->event_id, 16);
  copy_field (out, device, 16);
  copy_int8 (out, e->device_seq);
  copy_str (out, e->site_id);
  copy_str (out, e->container_code);
  copy_str (out, e->kind);
  if (e->has_prev_custody)
    copy_field (out, e->prev_custody, 16);
  else
    copy_null (out);
  copy_str (out, e->actor);
  copy_int8 (out, e->wall_ms);
  copy_int8 (out, e->hlc);
  copy_str (out, e->payload);
  copy_field (out, e->prev_hash, 32);
  copy_field (out, e->hash, 32);
  copy_field (out, e->sig, 64);
}

/* ---- Clock ----------------------------------------------------------------------------- */

/* NTP's offset with t1 = t2 (the server answers at once): server minus us. */
static gboolean
measure_offset (PGconn     *conn,
                WtLedger   *ledger,
                gint64     *out_offset,
                gint64     *out_server_ms,
                GError    **error)
{
  gint64 best_rtt = G_MAXINT64;

  for (int i = 0; i < 3; i++)
    {
      gint64 t0 = wt_ledger_now_ms (ledger);
      gint64 mono0 = g_get_monotonic_time ();
      g_autoptr(PGresult) res = query (conn, "SELECT (extract (epoch FROM clock_timestamp ()) * 1000)::bigint",
                                       0, NULL, "reading its clock", error);
      gint64 rtt = (g_get_monotonic_time () - mono0) / 1000;
      gint64 t1;

      if (res == NULL)
        return FALSE;
      t1 = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
      if (rtt < best_rtt)
        {
          best_rtt = rtt;
          *out_offset = t1 - (t0 + rtt / 2);
          *out_server_ms = t1;
        }
    }
  return TRUE;
}

/* ---- Push ----------------------------------------------------------------------------- */

typedef struct
{
  PGconn   *conn;
  GString  *buf;
  gint64    n;
  gint64    last_seq;
  guint8    last_hash[32];
} CopyState;

static gboolean
flush_copy (CopyState  *cs,
            GError    **error)
{
  if (cs->buf->len == 0)
    return TRUE;
  if (PQputCopyData (cs->conn, cs->buf->str, cs->buf->len) != 1)
    return set_pg_error (error, cs->conn, NULL, "receiving events");
  g_string_truncate (cs->buf, 0);
  return TRUE;
}

static gboolean
copy_one (const WtSyncEvent  *e,
          gpointer            data,
          GError            **error)
{
  CopyState *cs = data;

  copy_row (cs->buf, e);
  cs->n++;
  cs->last_seq = e->device_seq;
  memcpy (cs->last_hash, e->hash, 32);
  if (cs->conn != NULL && cs->buf->len > 256 * 1024)
    return flush_copy (cs, error);
  return TRUE;
}

typedef gboolean (*FeedFunc) (CopyState *cs, gint64 after_seq, guint limit, gpointer data, GError **error);

/* The next batch, read from the ledger while the server applies this one:
 * client and server then work at the same time. */
typedef struct
{
  CopyState cs;       /* conn NULL: nothing is sent while preparing */
  gint64    after;
  gboolean  valid;
} Prefetch;

/* One push transaction: claim, copy, apply, commit. Returns the cursor
 * after it in @out_last_seq. */
static gboolean
push_batch (PGconn       *conn,
            const char   *device_id,
            gint64        head_seq,
            const guint8 *head_hash,
            gint64        offset_ms,
            gboolean      behind_ok,
            guint         batch,
            FeedFunc      feed,
            gpointer      feed_data,
            Prefetch     *pre,
            WtSyncStats  *stats,
            gint64       *out_last_seq,
            guint8       *out_last_hash,
            gboolean     *out_done,
            GError      **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GString) buf = g_string_sized_new (512 * 1024);
  g_autofree char *head_text = g_strdup_printf ("%" G_GINT64_FORMAT, head_seq);
  g_autofree char *hash_hex = hex_of (head_hash, 32);
  g_autofree char *hash_param = g_strconcat ("\\x", hash_hex, NULL);
  g_autofree char *offset_text = offset_ms == G_MININT64 ? NULL : g_strdup_printf ("%" G_GINT64_FORMAT, offset_ms);
  const char *claim_params[4] = { device_id, head_text, hash_param, offset_text };
  const char *apply_params[1] = { device_id };
  CopyState cs = { conn, buf, 0, 0, { 0 } };
  gint64 last_seq;
  const char *status;

  *out_done = FALSE;
  if (!exec_ok (conn, "BEGIN", "starting a push", error))
    return FALSE;

  res = query (conn, "SELECT last_seq, last_hash, status FROM ingest.claim_cursor ($1, $2, $3, $4)",
               4, claim_params, "the device’s cursor", error);
  if (res == NULL)
    goto fail;
  last_seq = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  status = PQgetvalue (res, 0, 2);
  *out_last_seq = last_seq;
  if (!PQgetisnull (res, 0, 1))
    bytea_in (PQgetvalue (res, 0, 1), out_last_hash, 32);

  if (g_str_equal (status, "blocked"))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_BLOCKED,
                   _("The central store has blocked this device, so nothing was sent. Ask the central office to look at its anomalies."));
      goto fail;
    }
  if (g_str_equal (status, "fork"))
    {
      exec_ok (conn, "COMMIT", "recording the fork", NULL);
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_FORK,
                   _("This device’s ledger no longer matches what the central store holds for it (sequence %lld): it was probably restored from an old backup. The device is now blocked; nothing was sent. Ask the central office to resolve the anomaly."),
                   (long long) MIN (head_seq, last_seq));
      return FALSE;
    }
  if (g_str_equal (status, "behind") && behind_ok)
    {
      *out_done = TRUE;
      return exec_ok (conn, "COMMIT", "ending the push", error);
    }
  if (g_str_equal (status, "behind"))
    {
      exec_ok (conn, "COMMIT", "ending the push", NULL);
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_FORK,
                   _("The central store holds %lld events of this device, but this ledger only %lld: it was probably restored from an old backup. Nothing was sent; do not record anything on this device before the central office has looked at it."),
                   (long long) last_seq, (long long) head_seq);
      return FALSE;
    }
  g_clear_pointer (&res, PQclear);

  if (last_seq >= head_seq)
    {
      *out_done = TRUE;
      return exec_ok (conn, "COMMIT", "ending the push", error);
    }

  if (!exec_ok (conn,
                "CREATE TEMP TABLE stage (LIKE ingest.stage_template) ON COMMIT DROP;"
                "GRANT SELECT ON pg_temp.stage TO wastetag_owner",
                "preparing a batch", error))
    goto fail;

  res = PQexec (conn, "COPY pg_temp.stage FROM STDIN (FORMAT binary)");
  if (PQresultStatus (res) != PGRES_COPY_IN)
    {
      set_pg_error (error, conn, res, "receiving events");
      goto fail;
    }
  g_clear_pointer (&res, PQclear);
  g_string_append_len (cs.buf, copy_header, sizeof copy_header);

  if (pre && pre->valid && pre->after == last_seq)
    {
      /* Prepared while the previous batch was applied. */
      g_string_append_len (cs.buf, pre->cs.buf->str, pre->cs.buf->len);
      cs.n = pre->cs.n;
      cs.last_seq = pre->cs.last_seq;
      memcpy (cs.last_hash, pre->cs.last_hash, 32);
    }
  else if (!feed (&cs, last_seq, batch, feed_data, error))
    {
      PQputCopyEnd (conn, "the client stopped");
      PQclear (PQgetResult (conn));
      goto fail;
    }
  if (pre)
    pre->valid = FALSE;
  g_string_append_len (cs.buf, "\377\377", 2);
  if (!flush_copy (&cs, error))
    {
      PQputCopyEnd (conn, "the client stopped");
      PQclear (PQgetResult (conn));
      goto fail;
    }
  if (PQputCopyEnd (conn, NULL) != 1)
    {
      set_pg_error (error, conn, NULL, "receiving events");
      goto fail;
    }
  res = PQgetResult (conn);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      set_pg_error (error, conn, res, "receiving events");
      goto fail;
    }
  g_clear_pointer (&res, PQclear);
  {
    PGresult *extra;

    while ((extra = PQgetResult (conn)) != NULL)
      PQclear (extra);
  }

  if (!PQsendQueryParams (conn, "SELECT inserted, duplicates, last_seq, status FROM ingest.apply_stage ($1)",
                          1, NULL, apply_params, NULL, NULL, 0))
    {
      set_pg_error (error, conn, NULL, "the batch");
      goto fail;
    }
  if (pre && cs.last_seq < head_seq)
    {
      g_string_truncate (pre->cs.buf, 0);
      pre->cs.n = 0;
      pre->after = cs.last_seq;
      pre->valid = feed (&pre->cs, cs.last_seq, batch, feed_data, NULL);
    }
  res = PQgetResult (conn);
  {
    PGresult *extra;

    while ((extra = PQgetResult (conn)) != NULL)
      PQclear (extra);
  }
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (error, conn, res, "the batch");
      goto fail;
    }
  status = PQgetvalue (res, 0, 3);
  if (g_str_equal (status, "fork"))
    {
      exec_ok (conn, "COMMIT", "recording the fork", NULL);
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_FORK,
                   _("This device’s new events do not continue the chain the central store holds for it (after sequence %lld): the ledger was probably restored from an old backup. The device is now blocked. Ask the central office to resolve the anomaly."),
                   (long long) last_seq);
      return FALSE;
    }
  stats->pushed += g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  stats->duplicates += g_ascii_strtoll (PQgetvalue (res, 0, 1), NULL, 10);
  stats->sent += cs.n;
  *out_last_seq = g_ascii_strtoll (PQgetvalue (res, 0, 2), NULL, 10);
  if (*out_last_seq == cs.last_seq)
    memcpy (out_last_hash, cs.last_hash, 32);
  if (!exec_ok (conn, "COMMIT", "storing the batch", error))
    return FALSE;
  stats->batches++;
  if (g_str_equal (status, "gap") || cs.n == 0)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SERVER,
                   _("The central store could not continue this device’s chain after sequence %lld."),
                   (long long) *out_last_seq);
      return FALSE;
    }
  return TRUE;

fail:
  rollback (conn);
  return FALSE;
}

typedef struct
{
  WtLedger *ledger;
} LocalFeed;

static gboolean
feed_local (CopyState  *cs,
            gint64      after_seq,
            guint       limit,
            gpointer    data,
            GError    **error)
{
  LocalFeed *lf = data;

  return wt_ledger_sync_read_local (lf->ledger, after_seq, limit, copy_one, cs, error);
}

static gboolean
register_device (PGconn        *conn,
                 const char    *device_id,
                 const guint8  *public_key,
                 const char    *site_id,
                 GError       **error)
{
  g_autofree char *hex = hex_of (public_key, 32);
  g_autofree char *param = g_strconcat ("\\x", hex, NULL);
  const char *params[3] = { device_id, param, site_id };
  g_autoptr(PGresult) res = query (conn, "SELECT ingest.register_device ($1, $2, $3)",
                                   3, params, "registering this device", error);

  return res != NULL;
}

static gboolean
push_all (PGconn       *conn,
          WtLedger     *ledger,
          const char   *device_id,
          gint64        offset_ms,
          guint         batch,
          WtSyncStats  *stats,
          GError      **error)
{
  LocalFeed lf = { ledger };
  g_autoptr(GString) prebuf = g_string_sized_new (512 * 1024);
  Prefetch pre = { { NULL, prebuf, 0, 0, { 0 } }, 0, FALSE };
  gint64 head_seq;
  guint8 head_hash[32];

  if (!wt_ledger_sync_head (ledger, &head_seq, head_hash, error))
    return FALSE;

  for (;;)
    {
      gint64 last_seq = 0;
      guint8 last_hash[32] = { 0 };
      gboolean done = FALSE;
      gboolean ok;

      ok = push_batch (conn, device_id, head_seq, head_hash, offset_ms, FALSE, batch, feed_local, &lf,
                       &pre, stats, &last_seq, last_hash, &done, error);
      if (last_seq > 0 && last_seq <= head_seq)
        {
          guint8 local[32];
          gboolean found = FALSE;

          /* Acknowledge only what matches our own chain. */
          if (wt_ledger_sync_hash_at (ledger, device_id, last_seq, local, &found, NULL) && found &&
              memcmp (local, last_hash, 32) == 0)
            wt_ledger_sync_set_acked (ledger, WT_SYNC_PEER_CENTRAL, last_seq, last_hash, NULL);
        }
      if (!ok)
        return FALSE;
      if (done || last_seq >= head_seq)
        return TRUE;
    }
}

/* ---- Pull ------------------------------------------------------------------------------- */

static gboolean
parse_cursor (const char *text,
              char      **out_xid,
              char      **out_seq,
              gint64     *out_anomaly)
{
  g_auto(GStrv) parts = text ? g_strsplit (text, ":", 3) : NULL;

  *out_anomaly = 0;
  if (parts == NULL || g_strv_length (parts) < 2)
    {
      *out_xid = g_strdup ("0");
      *out_seq = g_strdup ("0");
      return TRUE;
    }
  *out_xid = g_strdup (parts[0]);
  *out_seq = g_strdup (parts[1]);
  if (parts[2])
    *out_anomaly = g_ascii_strtoll (parts[2], NULL, 10);
  return TRUE;
}

/* Rows of ingest.feed_for_site() into events; the first 14 columns are the
 * event in stage order. */
static GPtrArray *
events_from_result (PGresult *res)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_event_free);

  for (int r = 0; r < PQntuples (res); r++)
    {
      WtSyncEvent e = { 0 };

      wt_uuid_to_bytes (PQgetvalue (res, r, 0), e.event_id);
      e.device_id = PQgetvalue (res, r, 1);
      e.device_seq = g_ascii_strtoll (PQgetvalue (res, r, 2), NULL, 10);
      e.site_id = PQgetvalue (res, r, 3);
      e.container_code = PQgetvalue (res, r, 4);
      e.kind = PQgetvalue (res, r, 5);
      e.has_prev_custody = !PQgetisnull (res, r, 6);
      if (e.has_prev_custody)
        wt_uuid_to_bytes (PQgetvalue (res, r, 6), e.prev_custody);
      e.actor = PQgetvalue (res, r, 7);
      e.wall_ms = g_ascii_strtoll (PQgetvalue (res, r, 8), NULL, 10);
      e.hlc = g_ascii_strtoll (PQgetvalue (res, r, 9), NULL, 10);
      e.payload = PQgetvalue (res, r, 10);
      bytea_in (PQgetvalue (res, r, 11), e.prev_hash, 32);
      bytea_in (PQgetvalue (res, r, 12), e.hash, 32);
      bytea_in (PQgetvalue (res, r, 13), e.sig, 64);
      g_ptr_array_add (events, wt_sync_event_copy (&e));
    }
  return events;
}

/* The keys of devices in @events that @ledger does not know (NULL: all). */
static GPtrArray *
fetch_keys (PGconn     *conn,
            WtLedger   *ledger,
            GPtrArray  *events,
            GError    **error)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) array = g_string_new ("{");
  g_autoptr(PGresult) res = NULL;
  GPtrArray *keys = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_key_free);
  const char *params[1];

  for (guint i = 0; i < events->len; i++)
    {
      const WtSyncEvent *e = events->pdata[i];
      guint8 pk[32];

      if (g_hash_table_contains (wanted, e->device_id) ||
          (ledger && wt_ledger_sync_device_key (ledger, e->device_id, pk, NULL)))
        continue;
      g_hash_table_add (wanted, (gpointer) e->device_id);
      if (array->len > 1)
        g_string_append_c (array, ',');
      g_string_append (array, e->device_id);
    }
  if (g_hash_table_size (wanted) == 0)
    return keys;
  g_string_append_c (array, '}');
  params[0] = array->str;
  res = query (conn, "SELECT device_id, site_id, pubkey FROM ingest.device_keys ($1::uuid[])",
               1, params, "the device keys", error);
  if (res == NULL)
    {
      g_ptr_array_unref (keys);
      return NULL;
    }
  for (int r = 0; r < PQntuples (res); r++)
    {
      WtSyncKey *k = g_new0 (WtSyncKey, 1);

      k->device_id = g_strdup (PQgetvalue (res, r, 0));
      k->site_id = g_strdup (PQgetvalue (res, r, 1));
      bytea_in (PQgetvalue (res, r, 2), k->public_key, 32);
      g_ptr_array_add (keys, k);
    }
  return keys;
}

static gboolean
pull_all (PGconn       *conn,
          WtLedger     *ledger,
          const char   *device_id,
          guint         page,
          WtSyncStats  *stats,
          GError      **error)
{
  WtSyncPeer peer = { 0 };
  g_autofree char *xid = NULL;
  g_autofree char *seq = NULL;
  g_autofree char *horizon = NULL;
  g_autofree char *limit = g_strdup_printf ("%u", page);
  g_autoptr(PGresult) res = NULL;
  gint64 anomaly_after = 0;
  gboolean ok = FALSE;

  if (!wt_ledger_sync_get_peer (ledger, WT_SYNC_PEER_CENTRAL, &peer, error))
    return FALSE;
  parse_cursor (peer.pull_cursor, &xid, &seq, &anomaly_after);
  wt_sync_peer_clear (&peer);

  /* One snapshot for the whole pull: the watermark and every page agree. */
  if (!exec_ok (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a pull", error))
    return FALSE;
  res = query (conn, "SELECT ingest.feed_horizon ()", 0, NULL, "the feed", error);
  if (res == NULL)
    goto out;
  horizon = g_strdup (PQgetvalue (res, 0, 0));
  g_clear_pointer (&res, PQclear);

  for (;;)
    {
      const char *params[4] = { device_id, xid, seq, limit };
      g_autoptr(GPtrArray) events = NULL;
      g_autoptr(GPtrArray) keys = NULL;
      g_autofree char *cursor = NULL;
      WtSyncImportOptions opts = { 0 };
      WtSyncImportResult result = { 0 };
      int n;

      res = query (conn,
                   "SELECT event_id, device_id, device_seq, site_id, container_code, kind, prev_custody, actor,"
                   "       wall_ms, hlc, payload, prev_hash, hash, sig, cursor_xid, server_seq"
                   "  FROM ingest.feed_for_site ($1, $2::xid8, $3, $4)",
                   4, params, "the feed", error);
      if (res == NULL)
        goto out;
      n = PQntuples (res);
      events = events_from_result (res);
      if (n == (int) page)
        {
          g_free (xid);
          xid = g_strdup (PQgetvalue (res, n - 1, 14));
          g_free (seq);
          seq = g_strdup (PQgetvalue (res, n - 1, 15));
        }
      else
        {
          g_free (xid);
          xid = g_strdup (horizon);
          g_free (seq);
          seq = g_strdup ("0");
        }
      g_clear_pointer (&res, PQclear);

      keys = fetch_keys (conn, ledger, events, error);
      if (keys == NULL)
        goto out;

      cursor = g_strdup_printf ("%s:%s:%" G_GINT64_FORMAT, xid, seq, anomaly_after);
      opts.peer = WT_SYNC_PEER_CENTRAL;
      opts.pull_cursor = cursor;
      opts.source = "central";
      if (!wt_ledger_sync_import (ledger, events, keys, &opts, &result, error))
        goto out;
      stats->pulled += result.inserted;
      stats->new_anomalies += result.anomalies;
      if (n < (int) page)
        break;
    }

  /* Anomalies the central store found that name this site. */
  {
    g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, anomaly_after);
    const char *params[1] = { after };
    g_autoptr(GPtrArray) none = g_ptr_array_new ();
    g_autofree char *cursor = NULL;
    WtSyncImportOptions opts = { 0 };

    res = query (conn,
                 "SELECT id, kind, container_code, event_id, other_event_id, detail, detected_ms,"
                 "       coalesce (resolved_by_event, cleared_by)"
                 "  FROM ingest.anomalies_for_site ($1)",
                 1, params, "the anomalies", error);
    if (res == NULL)
      goto out;
    for (int r = 0; r < PQntuples (res); r++)
      {
        g_autofree char *source = g_strdup_printf ("central:%s", PQgetvalue (res, r, 0));
        guint8 ev[16], other[16], by[16];
        gboolean has_ev = !PQgetisnull (res, r, 3) && wt_uuid_to_bytes (PQgetvalue (res, r, 3), ev);
        gboolean has_other = !PQgetisnull (res, r, 4) && wt_uuid_to_bytes (PQgetvalue (res, r, 4), other);
        gboolean added = FALSE;

        if (!wt_ledger_sync_add_anomaly (ledger, PQgetvalue (res, r, 1),
                                         PQgetisnull (res, r, 2) ? NULL : PQgetvalue (res, r, 2),
                                         has_ev ? ev : NULL, has_other ? other : NULL,
                                         PQgetvalue (res, r, 5), g_ascii_strtoll (PQgetvalue (res, r, 6), NULL, 10),
                                         source, &added, error))
          goto out;
        stats->new_anomalies += added;
        if (!PQgetisnull (res, r, 7) && wt_uuid_to_bytes (PQgetvalue (res, r, 7), by) &&
            !wt_ledger_sync_close_anomaly (ledger, source, by, error))
          goto out;
        anomaly_after = MAX (anomaly_after, g_ascii_strtoll (PQgetvalue (res, r, 0), NULL, 10));
      }
    g_clear_pointer (&res, PQclear);

    cursor = g_strdup_printf ("%s:%s:%" G_GINT64_FORMAT, xid, seq, anomaly_after);
    opts.peer = WT_SYNC_PEER_CENTRAL;
    opts.pull_cursor = cursor;
    if (!wt_ledger_sync_import (ledger, none, NULL, &opts, NULL, error))
      goto out;
  }

  ok = exec_ok (conn, "COMMIT", "ending the pull", error);

out:
  if (!ok)
    rollback (conn);
  return ok;
}

/* ---- The central office's mirror ---------------------------------------------------------- */

/* The sync_peer row of one store as one role: a cache that mirrored a store
 * as a site and then as an office must not reuse the narrower cursor. */
static char *
mirror_peer (PGconn *conn)
{
  return g_strdup_printf ("mirror:%s@%s:%s/%s", PQuser (conn), PQhost (conn), PQport (conn), PQdb (conn));
}

static gboolean
mirror_anomalies (PGconn        *conn,
                  WtLedger      *cache,
                  gint64        *inout_after,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, *inout_after);
  const char *params[1] = { after };
  g_autoptr(PGresult) res = NULL;

  /* Row-level security decides which anomalies the role sees. */
  res = query (conn,
               "SELECT id, kind, container_code, event_id, other_event_id, detail,"
               "       (extract (epoch FROM detected_at) * 1000)::bigint, coalesce (resolved_by_event, cleared_by)"
               "  FROM ingest.anomaly WHERE id > $1 ORDER BY id",
               1, params, "the anomalies", error);
  if (res == NULL)
    return FALSE;
  for (int r = 0; r < PQntuples (res); r++)
    {
      g_autofree char *source = g_strdup_printf ("central:%s", PQgetvalue (res, r, 0));
      guint8 ev[16], other[16], by[16];
      gboolean has_ev = !PQgetisnull (res, r, 3) && wt_uuid_to_bytes (PQgetvalue (res, r, 3), ev);
      gboolean has_other = !PQgetisnull (res, r, 4) && wt_uuid_to_bytes (PQgetvalue (res, r, 4), other);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!wt_ledger_sync_add_anomaly (cache, PQgetvalue (res, r, 1),
                                       PQgetisnull (res, r, 2) ? NULL : PQgetvalue (res, r, 2),
                                       has_ev ? ev : NULL, has_other ? other : NULL,
                                       PQgetvalue (res, r, 5), g_ascii_strtoll (PQgetvalue (res, r, 6), NULL, 10),
                                       source, NULL, error))
        return FALSE;
      if (!PQgetisnull (res, r, 7) && wt_uuid_to_bytes (PQgetvalue (res, r, 7), by) &&
          !wt_ledger_sync_close_anomaly (cache, source, by, error))
        return FALSE;
      *inout_after = MAX (*inout_after, g_ascii_strtoll (PQgetvalue (res, r, 0), NULL, 10));
    }
  return TRUE;
}

/* The keys of the devices in @events, as the store's device table has them. */
static GPtrArray *
mirror_keys (PGconn     *conn,
             WtLedger   *cache,
             GPtrArray  *events,
             GError    **error)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) array = g_string_new ("{");
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_key_free);
  const char *params[1];

  for (guint i = 0; i < events->len; i++)
    {
      const WtSyncEvent *e = events->pdata[i];
      guint8 pk[32];

      if (g_hash_table_contains (wanted, e->device_id) || wt_ledger_sync_device_key (cache, e->device_id, pk, NULL))
        continue;
      g_hash_table_add (wanted, (gpointer) e->device_id);
      g_string_append_printf (array, "%s%s", array->len > 1 ? "," : "", e->device_id);
    }
  if (g_hash_table_size (wanted) == 0)
    return g_steal_pointer (&keys);
  g_string_append_c (array, '}');
  params[0] = array->str;
  res = query (conn, "SELECT device_id, site_id, pubkey FROM ingest.device WHERE device_id = ANY ($1::uuid[])",
               1, params, "the device keys", error);
  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    {
      WtSyncKey *k = g_new0 (WtSyncKey, 1);

      k->device_id = g_strdup (PQgetvalue (res, r, 0));
      k->site_id = g_strdup (PQgetvalue (res, r, 1));
      bytea_in (PQgetvalue (res, r, 2), k->public_key, 32);
      g_ptr_array_add (keys, k);
    }
  return g_steal_pointer (&keys);
}

/* Runs in whichever thread cancels: PQcancel() is made for that. */
static void
mirror_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  char errbuf[256];

  PQcancel (data, errbuf, sizeof errbuf);
}

gboolean
wt_central_mirror (WtLedger      *cache,
                   const char    *conninfo,
                   GCancellable  *cancellable,
                   gint64        *out_pulled,
                   GError       **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *peer_name = NULL;
  g_autofree char *xid = NULL;
  g_autofree char *seq = NULL;
  g_autofree char *horizon = NULL;
  g_autofree char *limit = g_strdup_printf ("%u", DEFAULT_PAGE);
  g_autofree char *cursor = NULL;
  g_autoptr(GError) local_error = NULL;
  WtSyncPeer peer = { 0 };
  PGcancel *canceller = NULL;
  gulong cancel_id = 0;
  gint64 anomaly_after = 0;
  gint64 pulled = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (cache), FALSE);
  g_return_val_if_fail (conninfo != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  if (out_pulled)
    *out_pulled = 0;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;
  peer_name = mirror_peer (conn);
  if (!wt_ledger_sync_get_peer (cache, peer_name, &peer, error))
    return FALSE;
  /* Cancelling interrupts a statement that is running, not only between pages. */
  if (cancellable != NULL)
    {
      canceller = PQgetCancel (conn);
      if (canceller != NULL)
        cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (mirror_cancelled_cb), canceller, NULL);
    }
  parse_cursor (peer.pull_cursor, &xid, &seq, &anomaly_after);
  wt_sync_peer_clear (&peer);

  /* One snapshot: the watermark and every page agree. Each page is stored
   * with its cursor in one local transaction, so a connection lost half way
   * keeps what came and the next run resumes right after it. */
  if (!exec_ok (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the mirror", &local_error))
    goto out;
  res = query (conn, "SELECT ingest.feed_watermark ()", 0, NULL, "the feed", &local_error);
  if (res == NULL)
    goto out;
  horizon = g_strdup (PQgetvalue (res, 0, 0));
  g_clear_pointer (&res, PQclear);

  for (;;)
    {
      const char *params[3] = { xid, seq, limit };
      g_autoptr(GPtrArray) events = NULL;
      g_autoptr(GPtrArray) keys = NULL;
      WtSyncImportOptions opts = { 0 };
      WtSyncImportResult result = { 0 };
      gboolean last_page;
      int n;

      if (g_cancellable_set_error_if_cancelled (cancellable, &local_error))
        goto out;
      res = query (conn,
                   "SELECT event_id, device_id, device_seq, site_id, container_code, kind, prev_custody, actor,"
                   "       wall_ms, hlc, payload, prev_hash, hash, sig, cursor_xid, server_seq"
                   "  FROM ingest.central_feed ($1::xid8, $2, $3)",
                   3, params, "the central feed", &local_error);
      if (res == NULL)
        goto out;
      n = PQntuples (res);
      last_page = n < DEFAULT_PAGE;
      events = events_from_result (res);
      g_free (xid);
      g_free (seq);
      xid = g_strdup (last_page ? horizon : PQgetvalue (res, n - 1, 14));
      seq = g_strdup (last_page ? "0" : PQgetvalue (res, n - 1, 15));
      g_clear_pointer (&res, PQclear);

      keys = mirror_keys (conn, cache, events, &local_error);
      if (keys == NULL)
        goto out;
      g_free (cursor);
      cursor = g_strdup_printf ("%s:%s:%" G_GINT64_FORMAT, xid, seq, anomaly_after);
      opts.peer = peer_name;
      opts.pull_cursor = cursor;
      opts.source = "central";
      if (!wt_ledger_sync_import (cache, events, keys, &opts, &result, &local_error))
        goto out;
      pulled += result.inserted;
      if (last_page)
        break;
    }

  if (!mirror_anomalies (conn, cache, &anomaly_after, cancellable, &local_error))
    goto out;
  {
    g_autoptr(GPtrArray) none = g_ptr_array_new ();
    WtSyncImportOptions opts = { 0 };

    g_free (cursor);
    cursor = g_strdup_printf ("%s:%s:%" G_GINT64_FORMAT, xid, seq, anomaly_after);
    opts.peer = peer_name;
    opts.pull_cursor = cursor;
    if (!wt_ledger_sync_import (cache, none, NULL, &opts, NULL, &local_error))
      goto out;
  }
  ok = exec_ok (conn, "COMMIT", "ending the mirror", &local_error);

out:
  g_cancellable_disconnect (cancellable, cancel_id);
  g_clear_pointer (&canceller, PQfreeCancel);
  if (!ok)
    {
      rollback (conn);
      /* A statement cancelled on our request is a cancellation, not a refusal. */
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_clear_error (&local_error);
          g_cancellable_set_error_if_cancelled (cancellable, &local_error);
        }
      else if (local_error == NULL)
        g_set_error_literal (&local_error, WT_SYNC_ERROR, WT_SYNC_ERROR_SERVER, _("The mirror stopped."));
    }
  if (out_pulled)
    *out_pulled = pulled;
  wt_ledger_sync_finish (cache, peer_name, G_MININT64, 0, ok ? NULL : local_error->message, NULL);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

/* ---- Sync ------------------------------------------------------------------------------- */

gboolean
wt_sync_run (WtLedger             *ledger,
             const char           *conninfo,
             const WtSyncOptions  *options,
             WtSyncStats          *out_stats,
             GError              **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autofree char *device_id = NULL;
  g_autofree char *site_id = NULL;
  g_autoptr(GError) local_error = NULL;
  WtSyncStats stats = { 0 };
  WtSyncOptions defaults = { 0 };
  guint8 public_key[32];
  gint64 offset = 0;
  gint64 server_ms = 0;
  gint64 before_open;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (conninfo != NULL, FALSE);

  if (options == NULL)
    options = &defaults;

  if (!wt_ledger_sync_identity (ledger, &device_id, &site_id, public_key, error))
    return FALSE;
  before_open = wt_ledger_count_open_anomalies (ledger);

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;

  if (!measure_offset (conn, ledger, &offset, &server_ms, &local_error))
    goto out;
  stats.clock_offset_ms = offset;

  if (!register_device (conn, device_id, public_key, NULL, &local_error))
    goto out;

  if (!options->no_push &&
      !push_all (conn, ledger, device_id, offset, options->batch_size ? options->batch_size : DEFAULT_BATCH,
                 &stats, &local_error))
    goto out;

  if (!options->no_pull &&
      !pull_all (conn, ledger, device_id, options->page_size ? options->page_size : DEFAULT_PAGE,
                 &stats, &local_error))
    goto out;

  {
    const char *params[1] = { device_id };
    g_autoptr(PGresult) res = query (conn, "SELECT ingest.sync_done ($1)", 1, params, "ending the sync", &local_error);

    if (res == NULL)
      goto out;
    server_ms = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  }
  ok = TRUE;

out:
  wt_ledger_sync_finish (ledger, WT_SYNC_PEER_CENTRAL, offset, server_ms,
                         ok ? NULL : local_error->message, NULL);
  stats.open_anomalies = wt_ledger_count_open_anomalies (ledger);
  /* Central anomalies about us arrive with the pull; count the new ones
   * once, however they came. */
  stats.new_anomalies = MAX (stats.new_anomalies, stats.open_anomalies - before_open);
  if (out_stats)
    *out_stats = stats;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

/* ---- Connection files and the keyring -------------------------------------------------- */

static const SecretSchema *
password_schema (void)
{
  static const SecretSchema schema = {
    "org.wastetag.Wastetag.Central", SECRET_SCHEMA_NONE,
    {
      { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "port", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "dbname", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, 0, 0, 0, 0, 0, 0, 0
  };

  return &schema;
}

gboolean
wt_sync_keyring_available (void)
{
  const char *bus = g_getenv ("DBUS_SESSION_BUS_ADDRESS");

  /* Without a session bus libsecret would try to start one; a headless
   * site falls back to the private connection file instead. */
  return bus != NULL && *bus != '\0' && g_getenv ("WASTETAG_NO_KEYRING") == NULL;
}

static void
conninfo_add (GString    *out,
              const char *key,
              const char *value)
{
  if (out->len)
    g_string_append_c (out, ' ');
  g_string_append_printf (out, "%s='", key);
  for (const char *p = value; *p; p++)
    {
      if (*p == '\'' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

static const char *conn_keys[] = {
  "host", "hostaddr", "port", "dbname", "user", "sslmode", "sslrootcert", "sslcert", "sslkey", "password",
};

char *
wt_sync_conninfo_from_file (const char  *path,
                            GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) lines = NULL;
  const char *password;
  GStatBuf st;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("The connection file “%s” cannot be read: %s"), path, local->message);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *eq = strchr (line, '=');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      gboolean known = FALSE;

      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (eq == NULL)
        {
          g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                       _("Line %u of the connection file “%s” is not “key = value”."), i + 1, path);
          return NULL;
        }
      key = g_strstrip (g_strndup (line, eq - line));
      value = g_strstrip (g_strdup (eq + 1));
      for (guint k = 0; k < G_N_ELEMENTS (conn_keys); k++)
        known |= g_str_equal (key, conn_keys[k]);
      if (!known)
        {
          g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                       _("The connection file “%s” has an unknown setting “%s”."), path, key);
          return NULL;
        }
      if ((g_str_equal (key, "sslrootcert") || g_str_equal (key, "sslcert") || g_str_equal (key, "sslkey")) &&
          !g_path_is_absolute (value))
        {
          char *abs = g_build_filename (dir, value, NULL);

          g_free (value);
          value = abs;
        }
      g_hash_table_insert (values, g_steal_pointer (&key), g_steal_pointer (&value));
    }

  if (!g_hash_table_contains (values, "host") || !g_hash_table_contains (values, "user"))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("The connection file “%s” must name at least the host and the user."), path);
      return NULL;
    }

  password = g_hash_table_lookup (values, "password");
  if (wt_sync_keyring_available ())
    {
      const char *host = g_hash_table_lookup (values, "host");
      const char *port = g_hash_table_lookup (values, "port");
      const char *dbname = g_hash_table_lookup (values, "dbname");
      const char *user = g_hash_table_lookup (values, "user");

      if (port == NULL)
        port = "5432";
      if (dbname == NULL)
        dbname = user;

      if (password != NULL)
        {
          /* Move the secret into the keyring; the file keeps the rest. */
          if (secret_password_store_sync (password_schema (), SECRET_COLLECTION_DEFAULT,
                                          "Wastetag central store", password, NULL, NULL,
                                          "host", host, "port", port, "dbname", dbname, "user", user, NULL))
            {
              GString *rest = g_string_new (NULL);

              for (guint i = 0; lines[i]; i++)
                if (!g_str_has_prefix (lines[i], "password"))
                  g_string_append_printf (rest, "%s\n", lines[i]);
              g_file_set_contents_full (path, rest->str, rest->len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
              g_string_free (rest, TRUE);
            }
        }
      else
        {
          char *secret = secret_password_lookup_sync (password_schema (), NULL, NULL,
                                                      "host", host, "port", port, "dbname", dbname,
                                                      "user", user, NULL);

          if (secret)
            {
              g_hash_table_insert (values, g_strdup ("password"), g_strdup (secret));
              secret_password_free (secret);
            }
        }
    }
  else if (password != NULL && g_stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("The connection file “%s” holds a password but others can read it; make it private (chmod 600) and try again."),
                   path);
      return NULL;
    }

  for (guint k = 0; k < G_N_ELEMENTS (conn_keys); k++)
    {
      const char *v = g_hash_table_lookup (values, conn_keys[k]);

      if (v)
        conninfo_add (out, conn_keys[k], v);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- Central: init -------------------------------------------------------------------- */

gboolean
wt_central_init (const char  *conninfo,
                 guint       *out_applied,
                 guint       *out_version,
                 GError     **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  g_auto(GStrv) names = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  guint current = 0;
  guint applied = 0;
  guint latest = 0;

  names = g_resources_enumerate_children (SQL_RESOURCE_DIR, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (names == NULL)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SCHEMA,
                   _("This build of Wastetag carries no central schema."));
      return FALSE;
    }
  for (guint i = 0; names[i]; i++)
    if (g_str_has_suffix (names[i], ".sql") && g_ascii_isdigit (names[i][0]))
      g_ptr_array_add (files, names[i]);
  for (guint i = 0; i + 1 < files->len; i++)
    for (guint k = i + 1; k < files->len; k++)
      if (strcmp (files->pdata[i], files->pdata[k]) > 0)
        {
          gpointer t = files->pdata[i];

          files->pdata[i] = files->pdata[k];
          files->pdata[k] = t;
        }

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;

  res = PQexec (conn, "SHOW server_encoding");
  if (PQresultStatus (res) == PGRES_TUPLES_OK && g_ascii_strcasecmp (PQgetvalue (res, 0, 0), "UTF8") != 0)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SCHEMA,
                   _("The central database must use the UTF8 encoding (it uses %s): event hashes are computed over UTF-8 text."),
                   PQgetvalue (res, 0, 0));
      return FALSE;
    }
  g_clear_pointer (&res, PQclear);

  if (!exec_ok (conn, "BEGIN", "starting the installation", error))
    return FALSE;
  /* Two administrators running init at once: the second waits, then sees
   * the first one's work. */
  if (!exec_ok (conn, "SELECT pg_advisory_xact_lock (7772351)", "starting the installation", error))
    goto fail;

  res = PQexec (conn, "SELECT to_regclass ('ingest.schema_version') IS NOT NULL");
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (error, conn, res, "the installation");
      goto fail;
    }
  if (g_str_equal (PQgetvalue (res, 0, 0), "t"))
    {
      g_clear_pointer (&res, PQclear);
      res = PQexec (conn, "SELECT coalesce (max (version), 0) FROM ingest.schema_version");
      if (PQresultStatus (res) != PGRES_TUPLES_OK)
        {
          set_pg_error (error, conn, res, "reading the schema version");
          goto fail;
        }
      current = atoi (PQgetvalue (res, 0, 0));
    }
  g_clear_pointer (&res, PQclear);

  for (guint i = 0; i < files->len; i++)
    {
      const char *name = files->pdata[i];
      guint version = atoi (name);
      g_autofree char *rpath = g_strconcat (SQL_RESOURCE_DIR "/", name, NULL);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sql = NULL;
      g_autofree char *version_text = g_strdup_printf ("%u", version);
      const char *params[2] = { version_text, name };

      latest = MAX (latest, version);
      if (version <= current)
        continue;
      bytes = g_resources_lookup_data (rpath, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      if (bytes == NULL)
        continue;
      sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (!exec_ok (conn, sql, "the central schema", error))
        goto fail;
      res = PQexecParams (conn, "INSERT INTO ingest.schema_version (version, name) VALUES ($1, $2)",
                          2, NULL, params, NULL, NULL, 0);
      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        {
          set_pg_error (error, conn, res, "recording the schema version");
          goto fail;
        }
      g_clear_pointer (&res, PQclear);
      applied++;
    }

  if (current > latest)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_SCHEMA,
                   _("The central store was set up by a newer version of Wastetag (schema %u; this version knows up to %u). Update Wastetag."),
                   current, latest);
      goto fail;
    }

  if (!exec_ok (conn, "COMMIT", "finishing the installation", error))
    return FALSE;
  if (out_applied)
    *out_applied = applied;
  if (out_version)
    *out_version = MAX (current, latest);
  return TRUE;

fail:
  rollback (conn);
  return FALSE;
}

/* ---- Central: sites --------------------------------------------------------------------- */

char *
wt_central_site_role (const char *site_id)
{
  g_autofree char *lower = g_ascii_strdown (site_id, -1);

  for (char *p = lower; *p; p++)
    if (!g_ascii_isalnum (*p))
      *p = '_';
  return g_strconcat ("site_", lower, NULL);
}

static gboolean
write_private (const char  *path,
               const char  *text,
               GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("The connection file could not be written: %s"), local->message);
      return FALSE;
    }
  return TRUE;
}

/* A random password that survives a connection file and a conninfo string. */
static char *
random_password (void)
{
  guint8 raw[18];
  char *password;

  randombytes_buf (raw, sizeof raw);
  password = g_base64_encode (raw, sizeof raw);
  for (char *p = password; *p; p++)
    if (*p == '/' || *p == '+')
      *p = 'x';
  sodium_memzero (raw, sizeof raw);
  return password;
}

/* Inside the caller's transaction: creates LOGIN role @role in @group with
 * @password, or gives an existing one that password (adding a site or an
 * office again hands out a new file and retires the old password). */
static gboolean
ensure_login_role (PGconn      *conn,
                   const char  *role,
                   const char  *password,
                   const char  *group,
                   GError     **error)
{
  g_autofree char *sql = NULL;
  char *quoted_role = PQescapeIdentifier (conn, role, strlen (role));
  char *quoted_pw = PQescapeLiteral (conn, password, strlen (password));
  char *role_literal = PQescapeLiteral (conn, role, strlen (role));
  char *quoted_group = PQescapeIdentifier (conn, group, strlen (group));

  /* PG 15 hashes it with SCRAM (password_encryption's default); the
   * plain text never reaches the server log because it is not an error. */
  sql = g_strdup_printf ("DO $$ BEGIN"
                         " IF EXISTS (SELECT FROM pg_roles WHERE rolname = %s) THEN"
                         "  ALTER ROLE %s LOGIN PASSWORD %s;"
                         "  GRANT %s TO %s;"
                         " ELSE"
                         "  CREATE ROLE %s LOGIN PASSWORD %s IN ROLE %s;"
                         " END IF; END $$",
                         role_literal, quoted_role, quoted_pw, quoted_group, quoted_role,
                         quoted_role, quoted_pw, quoted_group);
  PQfreemem (role_literal);
  PQfreemem (quoted_role);
  PQfreemem (quoted_pw);
  PQfreemem (quoted_group);
  return exec_ok (conn, "SET LOCAL password_encryption = 'scram-sha-256'", "adding the role", error) &&
         exec_ok (conn, sql, "creating the role", error);
}

/* The connection file for @role: where the administrator connected. */
static char *
connection_file_text (PGconn      *conn,
                      const char  *title,
                      const char  *role,
                      const char  *password,
                      const char  *cert,
                      const char  *key)
{
  GString *file = g_string_new (NULL);
  PQconninfoOption *opts = PQconninfo (conn);

  g_string_append_printf (file, "# Wastetag central store: %s\n", title);
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (o->val && *o->val &&
        (g_str_equal (o->keyword, "host") || g_str_equal (o->keyword, "port") ||
         g_str_equal (o->keyword, "dbname") || g_str_equal (o->keyword, "sslrootcert")))
      g_string_append_printf (file, "%s = %s\n", o->keyword, o->val);
  PQconninfoFree (opts);
  g_string_append_printf (file, "user = %s\nsslmode = verify-full\n", role);
  if (cert)
    g_string_append_printf (file, "sslcert = %s\nsslkey = %s\n", cert, key);
  g_string_append_printf (file, "password = %s\n", password);
  return g_string_free (file, FALSE);
}

/* The end of add-site and add-office, inside their transaction: writes the
 * connection file (0600), commits, and wipes the password from memory. The
 * file is removed again when the commit fails; on any failure the
 * transaction is rolled back. */
static gboolean
finish_enrolment (PGconn      *conn,
                  const char  *title,
                  const char  *role,
                  char        *password,
                  const char  *cert,
                  const char  *key,
                  const char  *out_path,
                  const char  *what,
                  GError     **error)
{
  g_autofree char *file = connection_file_text (conn, title, role, password, cert, key);
  gboolean ok = FALSE;

  if (!write_private (out_path, file, error))
    rollback (conn);
  else if (!exec_ok (conn, "COMMIT", what, error))
    g_unlink (out_path);
  else
    ok = TRUE;
  sodium_memzero (password, strlen (password));
  sodium_memzero (file, strlen (file));
  return ok;
}

gboolean
wt_central_add_site (const char  *conninfo,
                     const char  *site_id,
                     const char  *name,
                     const char  *out_path,
                     const char  *cert,
                     const char  *key,
                     GError     **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *role = NULL;
  g_autofree char *password = NULL;
  g_autofree char *title = NULL;
  const char *params[3];

  if (site_id == NULL || *site_id == '\0' || name == NULL || *name == '\0')
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("A site needs an id (its unified social credit code) and a name."));
      return FALSE;
    }
  if ((cert == NULL) != (key == NULL))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("Give both the client certificate and its key, or neither."));
      return FALSE;
    }

  role = wt_central_site_role (site_id);
  password = random_password ();

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;

  if (!exec_ok (conn, "BEGIN", "adding the site", error))
    return FALSE;
  if (!ensure_login_role (conn, role, password, "wastetag_site", error))
    goto fail;

  params[0] = site_id;
  params[1] = name;
  params[2] = role;
  res = PQexecParams (conn,
                      "INSERT INTO ingest.site (site_id, name, role_name) VALUES ($1, $2, $3)"
                      " ON CONFLICT (site_id) DO UPDATE SET name = EXCLUDED.name",
                      3, NULL, params, NULL, NULL, 0);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      set_pg_error (error, conn, res, "adding the site");
      goto fail;
    }
  g_clear_pointer (&res, PQclear);

  title = g_strdup_printf ("site %s (%s)", site_id, name);
  return finish_enrolment (conn, title, role, password, cert, key, out_path, "adding the site", error);

fail:
  rollback (conn);
  return FALSE;
}

char *
wt_central_office_role (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  gboolean plain = *lower != '\0' && strlen (lower) <= 40;

  for (const char *p = lower; *p && plain; p++)
    plain = g_ascii_isalnum (*p) || *p == '_' || *p == '-';
  if (plain)
    {
      for (char *p = lower; *p; p++)
        if (*p == '-')
          *p = '_';
      return g_strconcat ("office_", lower, NULL);
    }
  /* A name in Chinese (or too long) gives a stable, unique role name. */
  {
    g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);

    sum[12] = '\0';
    return g_strconcat ("office_", sum, NULL);
  }
}

gboolean
wt_central_add_office (const char  *conninfo,
                       const char  *name,
                       const char  *out_path,
                       const char  *cert,
                       const char  *key,
                       GError     **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autofree char *role = NULL;
  g_autofree char *password = NULL;
  g_autofree char *title = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *comment = NULL;
  char *quoted_role;
  char *quoted_comment;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG, _("A central office needs a name."));
      return FALSE;
    }
  if ((cert == NULL) != (key == NULL))
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG,
                   _("Give both the client certificate and its key, or neither."));
      return FALSE;
    }

  role = wt_central_office_role (name);
  password = random_password ();

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;
  if (!exec_ok (conn, "BEGIN", "adding the office", error))
    return FALSE;
  if (!exec_ok (conn, "SELECT 'ingest.central_feed(xid8,bigint,integer)'::regprocedure", "adding the office", error))
    goto fail;
  if (!ensure_login_role (conn, role, password, "wastetag_central", error))
    goto fail;

  /* Read-only twice over: no grant that writes, and every transaction of
   * the role starts read-only. */
  quoted_role = PQescapeIdentifier (conn, role, strlen (role));
  comment = g_strdup_printf ("Wastetag central office: %s", name);
  quoted_comment = PQescapeLiteral (conn, comment, strlen (comment));
  sql = g_strdup_printf ("ALTER ROLE %s SET default_transaction_read_only = on; COMMENT ON ROLE %s IS %s",
                         quoted_role, quoted_role, quoted_comment);
  PQfreemem (quoted_role);
  PQfreemem (quoted_comment);
  if (!exec_ok (conn, sql, "adding the office", error))
    goto fail;

  title = g_strdup_printf ("central office %s (read-only)", name);
  return finish_enrolment (conn, title, role, password, cert, key, out_path, "adding the office", error);

fail:
  rollback (conn);
  return FALSE;
}

/* ---- Central: signatures --------------------------------------------------------------- */

/* Two kinds of work share one pool of worker threads (one per core).
 *
 * Heads first. apply_stage() is the only way into ingest.event: it
 * recomputes every row's hash in SQL (the hash covers prev_hash, the device
 * and the sequence), checks every link in the batch and onto the cursor, and
 * the append-only trigger keeps rows as they were checked. A device's stored
 * rows are therefore one hash chain, and one valid Ed25519 signature on its
 * newest row authenticates every row before it (like a signed tree head).
 * So for every device with rows above verify_state.authenticated_seq the
 * verifier checks the newest row's signature and, when it is good, moves
 * authenticated_seq there. A bad head blocks the device at once (anomaly
 * 'bad_signature' with head_seq) and its segment is swept event by event
 * first, to name the first bad row.
 *
 * Then the sweep, at lower priority: every row's own signature, in pages of
 * VERIFY_PAGE rows read in binary, cut into chunks for the pool while the
 * connection already brings the next page. It finds what the heads cannot:
 * a row whose signature bytes were corrupted while its hash is intact. A bad
 * one is an anomaly and blocks the device; verified_seq keeps the place.
 * While a page is checked, the heads are looked at again every
 * HEADS_INTERVAL on a second connection, and head tasks jump the pool's
 * queue, so authentication follows a push batch by batch even when the
 * sweep is far behind. */
#define VERIFY_PAGE 20000
#define VERIFY_CHUNK 1000
#define HEADS_INTERVAL (100 * G_TIME_SPAN_MILLISECOND)
/* The pool's own threads run under SCHED_IDLE (else at nice 19): on a
 * store that also ingests, the sweep takes only the CPU that the pushes and
 * their PostgreSQL backends leave; a waking backend preempts it at once,
 * whatever its process group. A head is one signature per device and jumps
 * the pool's queue. */
#define VERIFY_NICE 19

typedef enum
{
  TASK_HEAD = 0,   /* sorts first */
  TASK_CHUNK = 1,
} TaskKind;

typedef struct
{
  gint64  seq;
  guint8  prev_hash[32];
  guint8  hash[32];
  guint8  sig[64];
} VerifyRow;

typedef struct
{
  const guint8 *public_key;
  VerifyRow    *rows;
  guint         n;
  guint8        before[32];   /* the hash the first row must link to */
  gboolean      has_before;
  gint          pending;      /* chunks not done yet */
  guint         first_bad;    /* G_MAXUINT: none */
  GMutex        lock;
  GCond         done;
} VerifyPage;

typedef struct
{
  TaskKind    kind;
  VerifyPage *page;
  guint       from;
  guint       to;
} VerifyChunk;

typedef struct
{
  char    device[40];
  guint8  public_key[32];
  gint64  authenticated;      /* authenticated_seq before */
  gint64  seq;                /* the head */
  guint8  hash[32];
  guint8  sig[64];
  gboolean usable;            /* fields decoded */
  gboolean good;
} Head;

typedef struct
{
  Head   *heads;
  gint    pending;
  GMutex  lock;
  GCond   done;
} HeadBatch;

typedef struct
{
  TaskKind   kind;
  HeadBatch *batch;
  guint      index;
} HeadTask;

typedef struct
{
  const char           *conninfo;
  GThreadPool          *pool;
  PGconn               *hconn;         /* the heads' connection */
  gint64                next_heads;    /* monotonic time of the next look */
  WtCentralVerifyStats *stats;
} Verifier;

static gint
task_order (gconstpointer a,
            gconstpointer b,
            gpointer      user_data)
{
  return (gint) *(const TaskKind *) a - (gint) *(const TaskKind *) b;
}

static void
verify_head (HeadTask *task)
{
  HeadBatch *batch = task->batch;
  Head *h = &batch->heads[task->index];

  h->good = h->usable && crypto_sign_verify_detached (h->sig, h->hash, 32, h->public_key) == 0;
  g_mutex_lock (&batch->lock);
  if (--batch->pending == 0)
    g_cond_signal (&batch->done);
  g_mutex_unlock (&batch->lock);
}

static void
verify_chunk (VerifyChunk *chunk)
{
  VerifyPage *page = chunk->page;
  guint bad = G_MAXUINT;

  for (guint i = chunk->from; i < chunk->to && bad == G_MAXUINT; i++)
    {
      const VerifyRow *r = &page->rows[i];
      const guint8 *link = i > 0 ? page->rows[i - 1].hash : page->has_before ? page->before : NULL;

      /* The link again (apply_stage checked it at ingest) and the
       * signature over the hash, which SQL cannot check. */
      if ((i > 0 && r->seq != page->rows[i - 1].seq + 1) ||
          (link != NULL && memcmp (r->prev_hash, link, 32) != 0) ||
          crypto_sign_verify_detached (r->sig, r->hash, 32, page->public_key) != 0)
        bad = i;
    }
  g_mutex_lock (&page->lock);
  page->first_bad = MIN (page->first_bad, bad);
  if (--page->pending == 0)
    g_cond_signal (&page->done);
  g_mutex_unlock (&page->lock);
}

static void
verify_task_cb (gpointer data,
                gpointer user_data)
{
  static GPrivate lowered;

  /* The pool is exclusive: these threads serve only the verifier. */
  if (g_private_get (&lowered) == NULL)
    {
      struct sched_param param = { 0 };

      if (pthread_setschedparam (pthread_self (), SCHED_IDLE, &param) != 0 &&
          setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), VERIFY_NICE) != 0)
        g_debug ("verifier: no lower priority: %s", g_strerror (errno));
      g_private_set (&lowered, GINT_TO_POINTER (1));
    }
  if (*(TaskKind *) data == TASK_HEAD)
    verify_head (data);
  else
    verify_chunk (data);
  g_free (data);
}

static gboolean
binary_field (PGresult *res,
              int       row,
              int       col,
              guint8   *out,
              int       len)
{
  if (PQgetisnull (res, row, col) || PQgetlength (res, row, col) != len)
    return FALSE;
  memcpy (out, PQgetvalue (res, row, col), len);
  return TRUE;
}

/* Looks at every unblocked device's newest row above authenticated_seq and
 * checks its signature on the pool, ahead of any sweep chunk. */
static gboolean
check_heads (Verifier  *v,
             GError   **error)
{
  g_autoptr(PGresult) res = NULL;
  HeadBatch batch = { 0 };
  int n;
  gboolean ok = TRUE;

  v->next_heads = g_get_monotonic_time () + HEADS_INTERVAL;
  res = query (v->hconn,
               "SELECT d.device_id, d.pubkey, coalesce (s.authenticated_seq, 0), h.device_seq, h.hash, h.sig"
               "  FROM ingest.device d LEFT JOIN ingest.verify_state s USING (device_id)"
               "  CROSS JOIN LATERAL (SELECT e.device_seq, e.hash, e.sig FROM ingest.event e"
               "                       WHERE e.device_id = d.device_id ORDER BY e.device_seq DESC LIMIT 1) h"
               " WHERE NOT d.blocked AND h.device_seq > coalesce (s.authenticated_seq, 0)",
               0, NULL, "reading the newest events", error);
  if (res == NULL)
    return FALSE;
  n = PQntuples (res);
  if (n == 0)
    return TRUE;

  batch.heads = g_new0 (Head, n);
  batch.pending = n;
  g_mutex_init (&batch.lock);
  g_cond_init (&batch.done);
  for (int i = 0; i < n; i++)
    {
      Head *h = &batch.heads[i];
      HeadTask *task = g_new (HeadTask, 1);

      g_strlcpy (h->device, PQgetvalue (res, i, 0), sizeof h->device);
      h->authenticated = g_ascii_strtoll (PQgetvalue (res, i, 2), NULL, 10);
      h->seq = g_ascii_strtoll (PQgetvalue (res, i, 3), NULL, 10);
      h->usable = bytea_in (PQgetvalue (res, i, 1), h->public_key, 32) &&
                  bytea_in (PQgetvalue (res, i, 4), h->hash, 32) &&
                  bytea_in (PQgetvalue (res, i, 5), h->sig, 64);
      *task = (HeadTask) { TASK_HEAD, &batch, i };
      g_thread_pool_push (v->pool, task, NULL);
    }
  g_mutex_lock (&batch.lock);
  while (batch.pending > 0)
    g_cond_wait (&batch.done, &batch.lock);
  g_mutex_unlock (&batch.lock);

  for (int i = 0; i < n && ok; i++)
    {
      const Head *h = &batch.heads[i];
      g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, h->seq);
      const char *p[2] = { h->device, seq_text };
      g_autoptr(PGresult) up = NULL;

      v->stats->heads++;
      if (h->good)
        {
          up = query (v->hconn,
                      "INSERT INTO ingest.verify_state (device_id, authenticated_seq, authenticated_at) VALUES ($1, $2, now ())"
                      " ON CONFLICT (device_id) DO UPDATE SET"
                      "   authenticated_seq = greatest (verify_state.authenticated_seq, EXCLUDED.authenticated_seq),"
                      "   authenticated_at = now ()",
                      2, p, "recording an authenticated segment", error);
          v->stats->authenticated += h->seq - h->authenticated;
        }
      else
        {
          /* Blocked now; the sweep names the first bad row of the segment. */
          up = query (v->hconn,
                      "WITH a AS (INSERT INTO ingest.anomaly (kind, site_id, device_id, event_id, detail)"
                      "  SELECT 'bad_signature', d.site_id, d.device_id,"
                      "         (SELECT e.event_id FROM ingest.event e WHERE e.device_id = $1 AND e.device_seq = $2::bigint),"
                      "         jsonb_build_object ('seq', $2::bigint, 'head_seq', $2::bigint)"
                      "    FROM ingest.device d WHERE d.device_id = $1)"
                      " UPDATE ingest.device SET blocked = true,"
                      "   blocked_reason = format ('event %s, the newest, is not signed by this device', $2::text)"
                      " WHERE device_id = $1",
                      2, p, "recording a bad signature", error);
          v->stats->bad_heads++;
        }
      ok = up != NULL;
    }
  g_free (batch.heads);
  g_mutex_clear (&batch.lock);
  g_cond_clear (&batch.done);
  return ok;
}

static gboolean
send_verify_page (PGconn      *conn,
                  const char  *device,
                  gint64       from_seq,
                  GError     **error)
{
  g_autofree char *from_text = g_strdup_printf ("%" G_GINT64_FORMAT, from_seq);
  g_autofree char *limit_text = g_strdup_printf ("%d", VERIFY_PAGE);
  const char *params[3] = { device, from_text, limit_text };

  if (!PQsendQueryParams (conn,
                          "SELECT device_seq, prev_hash, hash, sig FROM ingest.event"
                          " WHERE device_id = $1 AND device_seq >= $2 ORDER BY device_seq LIMIT $3",
                          3, NULL, params, NULL, NULL, 1))
    return set_pg_error (error, conn, NULL, "reading events");
  return TRUE;
}

static PGresult *
get_verify_page (PGconn  *conn,
                 GError **error)
{
  PGresult *res = PQgetResult (conn);
  PGresult *extra;

  while ((extra = PQgetResult (conn)) != NULL)
    PQclear (extra);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (error, conn, res, "reading events");
      PQclear (res);
      return NULL;
    }
  return res;
}

/* Rows checked one by one are authenticated too. */
static gboolean
record_verified (PGconn      *conn,
                 const char  *device,
                 gint64       seq,
                 GError     **error)
{
  g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
  const char *p[2] = { device, seq_text };
  g_autoptr(PGresult) up =
    query (conn,
           "INSERT INTO ingest.verify_state (device_id, verified_seq, verified_at, authenticated_seq, authenticated_at)"
           " VALUES ($1, $2, now (), $2, now ())"
           " ON CONFLICT (device_id) DO UPDATE SET verified_seq = EXCLUDED.verified_seq, verified_at = now (),"
           "   authenticated_seq = greatest (verify_state.authenticated_seq, EXCLUDED.verified_seq)",
           2, p, "recording the check", error);

  return up != NULL;
}

/* The first bad row of a device: completes the anomaly a bad head opened,
 * or opens one; blocks the device and names the row. */
static gboolean
record_first_bad (PGconn      *conn,
                  const char  *device,
                  gint64       seq,
                  GError     **error)
{
  g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
  const char *p[2] = { device, seq_text };
  g_autoptr(PGresult) res =
    query (conn,
           "WITH bad AS (SELECT e.event_id FROM ingest.event e WHERE e.device_id = $1 AND e.device_seq = $2::bigint),"
           " head AS (UPDATE ingest.anomaly a SET event_id = (SELECT event_id FROM bad),"
           "            detail = a.detail || jsonb_build_object ('seq', $2::bigint, 'first_bad_seq', $2::bigint)"
           "          WHERE a.device_id = $1 AND a.kind = 'bad_signature' AND a.detail ? 'head_seq'"
           "            AND NOT a.detail ? 'first_bad_seq' RETURNING a.id),"
           " a AS (INSERT INTO ingest.anomaly (kind, site_id, device_id, event_id, detail)"
           "  SELECT 'bad_signature', d.site_id, d.device_id, (SELECT event_id FROM bad),"
           "         jsonb_build_object ('seq', $2::bigint, 'first_bad_seq', $2::bigint)"
           "    FROM ingest.device d WHERE d.device_id = $1 AND NOT EXISTS (SELECT 1 FROM head))"
           " UPDATE ingest.device SET blocked = true,"
           "   blocked_reason = format ('event %s is not signed by this device', $2::text)"
           " WHERE device_id = $1",
           2, p, "recording a bad signature", error);

  return res != NULL;
}

/* Waits for a page's chunks, looking at the heads meanwhile. */
static gboolean
wait_page (Verifier    *v,
           VerifyPage  *page,
           GError     **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&page->lock);
  while (page->pending > 0)
    {
      if (ok && g_get_monotonic_time () >= v->next_heads)
        {
          g_mutex_unlock (&page->lock);
          ok = check_heads (v, error);
          g_mutex_lock (&page->lock);
          continue;
        }
      g_cond_wait_until (&page->done, &page->lock, ok ? v->next_heads : G_MAXINT64);
    }
  g_mutex_unlock (&page->lock);
  return ok;
}

/* Checks every row of @device after @after, page by page, until the first
 * bad one (recorded) or the end. */
static gboolean
sweep_device (Verifier    *v,
              PGconn      *conn,
              VerifyPage  *page,
              const char  *device,
              gint64       after,
              GError     **error)
{
  g_autoptr(PGresult) res = NULL;

  page->has_before = FALSE;
  /* From the last row checked (its hash is the next row's link). */
  if (!send_verify_page (conn, device, MAX (after, 1), error) || (res = get_verify_page (conn, error)) == NULL)
    return FALSE;

  while (PQntuples (res) > 0)
    {
      int n = PQntuples (res);
      gboolean more = n == VERIFY_PAGE;
      gboolean send_failed = FALSE;
      guint from_bad = G_MAXUINT;

      page->n = 0;
      for (int r = 0; r < n; r++)
        {
          VerifyRow *row = &page->rows[page->n];
          guint32 hi, lo;

          memcpy (&hi, PQgetvalue (res, r, 0), 4);
          memcpy (&lo, PQgetvalue (res, r, 0) + 4, 4);
          row->seq = (gint64) (((guint64) GUINT32_FROM_BE (hi) << 32) | GUINT32_FROM_BE (lo));
          if (!binary_field (res, r, 1, row->prev_hash, 32) || !binary_field (res, r, 2, row->hash, 32) ||
              !binary_field (res, r, 3, row->sig, 64))
            {
              from_bad = MIN (from_bad, page->n);
              memset (row->sig, 0, 64);
            }
          /* The row already checked only gives its hash as the link. */
          if (row->seq <= after)
            {
              memcpy (page->before, row->hash, 32);
              page->has_before = TRUE;
              continue;
            }
          page->n++;
        }
      g_clear_pointer (&res, PQclear);
      if (page->n == 0 && !more)
        break;

      page->first_bad = from_bad;
      page->pending = (page->n + VERIFY_CHUNK - 1) / VERIFY_CHUNK;
      for (guint i = 0; i < page->n; i += VERIFY_CHUNK)
        {
          VerifyChunk *chunk = g_new (VerifyChunk, 1);

          *chunk = (VerifyChunk) { TASK_CHUNK, page, i, MIN (i + VERIFY_CHUNK, page->n) };
          g_thread_pool_push (v->pool, chunk, NULL);
        }
      /* The next page travels while this one is checked. */
      if (more && page->n > 0 && !send_verify_page (conn, device, page->rows[page->n - 1].seq, error))
        send_failed = TRUE;
      if (!wait_page (v, page, send_failed ? NULL : error) || send_failed)
        return FALSE;
      if (more && page->n > 0 && (res = get_verify_page (conn, error)) == NULL)
        return FALSE;

      if (page->first_bad != G_MAXUINT)
        {
          const VerifyRow *r = &page->rows[page->first_bad];

          g_clear_pointer (&res, PQclear);
          v->stats->checked += page->first_bad;
          if (!record_first_bad (conn, device, r->seq, error) ||
              (page->first_bad > 0 && !record_verified (conn, device, r->seq - 1, error)))
            return FALSE;
          v->stats->bad++;
          return TRUE;
        }
      v->stats->checked += page->n;
      if (page->n > 0)
        {
          after = page->rows[page->n - 1].seq;
          memcpy (page->before, page->rows[page->n - 1].hash, 32);
          page->has_before = TRUE;
          if (!record_verified (conn, device, after, error))
            return FALSE;
        }
      if (res == NULL)
        break;
    }
  return TRUE;
}

/* Devices to sweep: those a bad head blocked and whose first bad row is not
 * named yet come first, then every unblocked one. */
static PGresult *
sweep_devices (PGconn   *conn,
               gboolean  only_named_pending,
               GError  **error)
{
  g_autofree char *sql =
    g_strdup_printf ("SELECT device_id, pubkey, after FROM ("
                     " SELECT d.device_id, d.pubkey, coalesce (v.verified_seq, 0) AS after,"
                     "        EXISTS (SELECT 1 FROM ingest.anomaly a WHERE a.device_id = d.device_id"
                     "                  AND a.kind = 'bad_signature' AND a.detail ? 'head_seq'"
                     "                  AND NOT a.detail ? 'first_bad_seq') AS unnamed,"
                     "        d.blocked"
                     "   FROM ingest.device d LEFT JOIN ingest.verify_state v USING (device_id)) x"
                     " WHERE unnamed%s ORDER BY unnamed DESC, device_id",
                     only_named_pending ? "" : " OR NOT blocked");

  return query (conn, sql, 0, NULL, "the device list", error);
}

gboolean
wt_central_verify_full (const char            *conninfo,
                        WtCentralVerifyFlags   flags,
                        WtCentralVerifyStats  *out_stats,
                        GError               **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGconn) hconn = NULL;
  WtCentralVerifyStats stats = { 0 };
  Verifier v = { 0 };
  VerifyPage page = { 0 };
  gboolean ok = FALSE;

  if (out_stats)
    *out_stats = stats;
  if (sodium_init () < 0)
    {
      g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_CONFIG, _("The cryptography library could not start."));
      return FALSE;
    }
  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;
  hconn = connect_to (conninfo, error);
  if (hconn == NULL)
    return FALSE;

  v.conninfo = conninfo;
  v.hconn = hconn;
  v.stats = &stats;
  v.pool = g_thread_pool_new (verify_task_cb, NULL, CLAMP (g_get_num_processors (), 1, 16), TRUE, NULL);
  g_thread_pool_set_sort_function (v.pool, task_order, NULL);
  g_mutex_init (&page.lock);
  g_cond_init (&page.done);
  page.rows = g_new (VerifyRow, VERIFY_PAGE);

  /* Heads first, then the sweep (which looks at the heads again while it
   * works), then the segments a bad head blocked in the meantime. */
  if (!check_heads (&v, error))
    goto out;
  for (int pass = 0; pass < 2 && !(flags & WT_CENTRAL_VERIFY_HEADS_ONLY); pass++)
    {
      g_autoptr(PGresult) devices = sweep_devices (conn, pass == 1, error);

      if (devices == NULL)
        goto out;
      for (int d = 0; d < PQntuples (devices); d++)
        {
          guint8 pk[32];

          if (!bytea_in (PQgetvalue (devices, d, 1), pk, 32))
            continue;
          page.public_key = pk;
          if (!sweep_device (&v, conn, &page, PQgetvalue (devices, d, 0),
                             g_ascii_strtoll (PQgetvalue (devices, d, 2), NULL, 10), error))
            goto out;
        }
    }
  ok = (flags & WT_CENTRAL_VERIFY_HEADS_ONLY) || check_heads (&v, error);

out:
  g_thread_pool_free (v.pool, FALSE, TRUE);
  g_free (page.rows);
  g_mutex_clear (&page.lock);
  g_cond_clear (&page.done);
  if (out_stats)
    *out_stats = stats;
  return ok;
}

gboolean
wt_central_verify (const char  *conninfo,
                   gint64      *out_checked,
                   gint64      *out_bad,
                   GError     **error)
{
  WtCentralVerifyStats stats = { 0 };
  gboolean ok = wt_central_verify_full (conninfo, WT_CENTRAL_VERIFY_DEFAULT, &stats, error);

  if (out_checked)
    *out_checked = stats.checked;
  if (out_bad)
    *out_bad = stats.bad;
  return ok;
}

/* ---- Central: bundles ------------------------------------------------------------------- */

typedef struct
{
  GPtrArray *events;
  guint      next;
} ArrayFeed;

static gboolean
feed_array (CopyState  *cs,
            gint64      after_seq,
            guint       limit,
            gpointer    data,
            GError    **error)
{
  ArrayFeed *af = data;
  guint n = 0;

  for (guint i = 0; i < af->events->len && n < limit; i++)
    {
      const WtSyncEvent *e = af->events->pdata[i];

      if (e->device_seq <= after_seq)
        continue;
      if (!copy_one (e, cs, error))
        return FALSE;
      n++;
    }
  return TRUE;
}

gboolean
wt_central_import_events (const char    *conninfo,
                          GPtrArray     *events,
                          const char    *device_id,
                          const char    *site_id,
                          const guint8  *public_key,
                          gboolean       trust,
                          gint64        *out_inserted,
                          gint64        *out_duplicates,
                          gint64        *out_last_seq,
                          guint8        *out_last_hash,
                          GError       **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  const char *params[1] = { device_id };
  WtSyncStats stats = { 0 };
  ArrayFeed af = { events, 0 };
  const WtSyncEvent *last;
  gint64 last_seq = 0;
  guint8 last_hash[32] = { 0 };

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;

  res = query (conn, "SELECT pubkey FROM ingest.device WHERE device_id = $1", 1, params, "the device", error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      if (!trust)
        {
          g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_REFUSED,
                       _("The bundle is signed by device %s, which the central store does not know. Nothing was imported; check the device’s key and import again with --trust KEY."),
                       device_id);
          return FALSE;
        }
      if (!register_device (conn, device_id, public_key, site_id, error))
        return FALSE;
    }
  else
    {
      guint8 pk[32];

      if (!bytea_in (PQgetvalue (res, 0, 0), pk, 32) || sodium_memcmp (pk, public_key, 32) != 0)
        {
          g_set_error (error, WT_SYNC_ERROR, WT_SYNC_ERROR_REFUSED,
                       _("The bundle is signed with another key than the one the central store holds for device %s. Nothing was imported."),
                       device_id);
          return FALSE;
        }
    }
  g_clear_pointer (&res, PQclear);

  if (events->len == 0)
    goto done;
  last = events->pdata[events->len - 1];

  for (;;)
    {
      gboolean finished = FALSE;

      if (!push_batch (conn, device_id, last->device_seq, last->hash, G_MININT64, TRUE, DEFAULT_BATCH, feed_array, &af,
                       NULL, &stats, &last_seq, last_hash, &finished, error))
        {
          /* The stick's chain starts after what the store holds: a gap. */
          return FALSE;
        }
      if (finished || last_seq >= last->device_seq)
        break;
    }

done:
  res = query (conn, "SELECT last_seq, last_hash FROM ingest.sync_cursor WHERE device_id = $1", 1, params,
               "the device’s cursor", error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      last_seq = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
      bytea_in (PQgetvalue (res, 0, 1), last_hash, 32);
    }
  if (out_inserted)
    *out_inserted = stats.pushed;
  if (out_duplicates)
    *out_duplicates = stats.duplicates;
  if (out_last_seq)
    *out_last_seq = last_seq;
  if (out_last_hash)
    memcpy (out_last_hash, last_hash, 32);
  return TRUE;
}

gboolean
wt_central_site_feed (const char   *conninfo,
                      const char   *device_id,
                      GPtrArray   **out_events,
                      GPtrArray   **out_keys,
                      gint64       *out_server_ms,
                      GError      **error)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  const char *params[1] = { device_id };
  g_autoptr(GPtrArray) keys = NULL;

  conn = connect_to (conninfo, error);
  if (conn == NULL)
    return FALSE;
  if (!exec_ok (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the feed", error))
    return FALSE;
  res = query (conn,
               "SELECT event_id, device_id, device_seq, site_id, container_code, kind, prev_custody, actor,"
               "       wall_ms, hlc, payload, prev_hash, hash, sig"
               "  FROM ingest.feed_for_site ($1, '0'::xid8, 0, 1000000000)",
               1, params, "the site’s feed", error);
  if (res == NULL)
    {
      rollback (conn);
      return FALSE;
    }
  *out_events = events_from_result (res);
  g_clear_pointer (&res, PQclear);
  keys = fetch_keys (conn, NULL, *out_events, error);
  if (keys == NULL)
    {
      g_clear_pointer (out_events, g_ptr_array_unref);
      rollback (conn);
      return FALSE;
    }
  res = query (conn, "SELECT ingest.now_ms ()", 0, NULL, "reading its clock", error);
  if (res == NULL)
    {
      g_clear_pointer (out_events, g_ptr_array_unref);
      rollback (conn);
      return FALSE;
    }
  *out_server_ms = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  rollback (conn);
  *out_keys = g_steal_pointer (&keys);
  return TRUE;
}
