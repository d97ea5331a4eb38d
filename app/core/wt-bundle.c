/* wt-bundle.c: signed USB bundles.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The bundle is checked in this order before anything is written: magic,
 * header, signer known (or a key a person typed), header signature, body
 * length (a cut-off file), body SHA-256 (a changed byte), every row's hash
 * and signature and the chain from prev_hash to last_hash. The rows then go
 * through wt_ledger_sync_import() (site) or apply_stage() (central), both
 * idempotent.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "wt-bundle.h"
#include "wt-error.h"
#include "wt-ledger-private.h"
#include "wt-ledger-sync.h"
#include "wt-sync.h"

#define MAGIC "WTBNDL1\n"
#define FORMAT "wastetag-bundle-1"
#define MAX_HEADER (16 * 1024 * 1024)
#define MAX_BODY ((gsize) 4 * 1024 * 1024 * 1024)

void
wt_bundle_info_clear (WtBundleInfo *info)
{
  g_clear_pointer (&info->bundle_id, g_free);
  g_clear_pointer (&info->kind, g_free);
  g_clear_pointer (&info->device_id, g_free);
  g_clear_pointer (&info->site_id, g_free);
}

void
wt_bundle_result_clear (WtBundleResult *result)
{
  wt_bundle_info_clear (&result->info);
  g_clear_pointer (&result->receipt_path, g_free);
}

static char *
hex (const guint8 *bin,
     gsize         len)
{
  char *out = g_malloc (len * 2 + 1);

  return sodium_bin2hex (out, len * 2 + 1, bin, len);
}

static gboolean
unhex (const char *text,
       guint8     *out,
       gsize       len)
{
  size_t n = 0;

  return text && sodium_hex2bin (out, len, text, strlen (text), NULL, &n, NULL) == 0 && n == len;
}

/* ---- Rows as JSON lines ------------------------------------------------------------- */

static void
row_to_json (JsonBuilder       *b,
             const WtSyncEvent *e)
{
  g_autofree char *id = wt_uuid_text (e->event_id);
  g_autofree char *prev = hex (e->prev_hash, 32);
  g_autofree char *hash = hex (e->hash, 32);
  g_autofree char *sig = hex (e->sig, 64);

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
  json_builder_add_string_value (b, hash);
  json_builder_set_member_name (b, "hlc");
  json_builder_add_int_value (b, e->hlc);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, e->kind);
  json_builder_set_member_name (b, "payload");
  json_builder_add_string_value (b, e->payload);
  json_builder_set_member_name (b, "prev_custody");
  if (e->has_prev_custody)
    {
      g_autofree char *pc = wt_uuid_text (e->prev_custody);

      json_builder_add_string_value (b, pc);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "prev_hash");
  json_builder_add_string_value (b, prev);
  json_builder_set_member_name (b, "sig");
  json_builder_add_string_value (b, sig);
  json_builder_set_member_name (b, "site_id");
  json_builder_add_string_value (b, e->site_id);
  json_builder_set_member_name (b, "wall_ms");
  json_builder_add_int_value (b, e->wall_ms);
  json_builder_end_object (b);
}

static WtSyncEvent *
row_from_json (JsonObject *o)
{
  WtSyncEvent e = { 0 };
  const char *pc;

  if (!wt_uuid_to_bytes (json_object_get_string_member_with_default (o, "event_id", ""), e.event_id) ||
      !unhex (json_object_get_string_member_with_default (o, "prev_hash", NULL), e.prev_hash, 32) ||
      !unhex (json_object_get_string_member_with_default (o, "hash", NULL), e.hash, 32) ||
      !unhex (json_object_get_string_member_with_default (o, "sig", NULL), e.sig, 64))
    return NULL;
  e.device_id = json_object_get_string_member_with_default (o, "device_id", NULL);
  e.site_id = json_object_get_string_member_with_default (o, "site_id", NULL);
  e.container_code = json_object_get_string_member_with_default (o, "container_code", NULL);
  e.kind = json_object_get_string_member_with_default (o, "kind", NULL);
  e.actor = json_object_get_string_member_with_default (o, "actor", NULL);
  e.payload = json_object_get_string_member_with_default (o, "payload", NULL);
  e.device_seq = json_object_get_int_member_with_default (o, "device_seq", 0);
  e.wall_ms = json_object_get_int_member_with_default (o, "wall_ms", 0);
  e.hlc = json_object_get_int_member_with_default (o, "hlc", 0);
  pc = json_object_get_string_member_with_default (o, "prev_custody", NULL);
  e.has_prev_custody = pc != NULL && wt_uuid_to_bytes (pc, e.prev_custody);
  if (!e.device_id || !e.site_id || !e.container_code || !e.kind || !e.actor || !e.payload || e.device_seq <= 0)
    return NULL;
  return wt_sync_event_copy (&e);
}

typedef struct
{
  GString  *body;
  GPtrArray *events;    /* when collecting, or NULL */
  gint64    count;
  gint64    seq_from;
  gint64    seq_to;
  guint8    prev_hash[32];
  guint8    last_hash[32];
} BodyState;

static gboolean
add_row (const WtSyncEvent  *e,
         gpointer            data,
         GError            **error)
{
  BodyState *bs = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *line = NULL;

  row_to_json (b, e);
  node = json_builder_get_root (b);
  line = wt_json_text (node);
  g_string_append (bs->body, line);
  g_string_append_c (bs->body, '\n');
  if (bs->count == 0)
    {
      bs->seq_from = e->device_seq;
      memcpy (bs->prev_hash, e->prev_hash, 32);
    }
  bs->seq_to = e->device_seq;
  memcpy (bs->last_hash, e->hash, 32);
  bs->count++;
  if (bs->events)
    g_ptr_array_add (bs->events, wt_sync_event_copy (e));
  return TRUE;
}

/* ---- Writing ------------------------------------------------------------------------- */

static gboolean
write_all (int            fd,
           const guint8  *data,
           gsize          len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/* tmp → fsync → rename → fsync (dir): a complete file or none. */
static gboolean
write_atomic (const char   *path,
              GBytes       *header,
              const guint8 *sig,
              const guint8 *body,
              gsize         body_len,
              GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  gsize header_len = g_bytes_get_size (header);
  guint8 len_be[4] = { header_len >> 24, header_len >> 16, header_len >> 8, header_len };
  int fd;
  int saved;

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  if (!write_all (fd, (const guint8 *) MAGIC, 8) || !write_all (fd, len_be, 4) ||
      !write_all (fd, g_bytes_get_data (header, NULL), header_len) ||
      !write_all (fd, sig, crypto_sign_BYTES) || !write_all (fd, body, body_len) ||
      fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_unlink (tmp);
      errno = saved;
      goto fail;
    }
  if (close (fd) != 0 || g_rename (tmp, path) != 0)
    {
      saved = errno;
      g_unlink (tmp);
      errno = saved;
      goto fail;
    }
  fd = g_open (dir, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
  return TRUE;

fail:
  g_set_error (error, WT_ERROR, WT_ERROR_IO,
               _("The bundle “%s” could not be written: %s. No bundle was left behind."),
               path, g_strerror (errno));
  return FALSE;
}

typedef struct
{
  const char *kind;
  const char *device_id;
  const char *site_id;
  const guint8 *signer_key;
  BodyState  *body;
  gint64      created_hlc;
  gint64      created_ms;
  /* Receipts only. */
  const char *peer;
  const char *in_reply_to;
  gint64      server_ms;
  const char *ack_device;
  gint64      ack_seq;
  const guint8 *ack_hash;
  GPtrArray  *keys;       /* (element-type WtSyncKey) */
} HeaderSpec;

/* Compresses the body, builds and signs the header, writes the file. */
static gboolean
write_bundle (WtLedger          *ledger,
              const char        *path,
              const HeaderSpec  *spec,
              WtBundleInfo      *out_info,
              GError           **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *header = NULL;
  g_autofree char *bundle_id = wt_uuid_v7 (spec->created_ms);
  g_autofree guint8 *zbody = NULL;
  g_autoptr(GBytes) header_bytes = NULL;
  guint8 body_sha[32];
  guint8 sig[crypto_sign_BYTES];
  gsize zlen;
  BodyState *bs = spec->body;

  zlen = ZSTD_compressBound (bs->body->len);
  zbody = g_malloc (MAX (zlen, 1));
  zlen = ZSTD_compress (zbody, zlen, bs->body->str, bs->body->len, 3);
  if (ZSTD_isError (zlen))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("The bundle could not be compressed: %s."), ZSTD_getErrorName (zlen));
      return FALSE;
    }
  crypto_hash_sha256 (body_sha, zbody, zlen);

#define STR(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_string_value (b, v); } G_STMT_END
#define INT(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define HEX(k, v, n) G_STMT_START { g_autofree char *h_ = hex (v, n); STR (k, h_); } G_STMT_END
  /* Keys in byte order: the header is canonical. */
  json_builder_begin_object (b);
  if (spec->ack_device)
    {
      json_builder_set_member_name (b, "acks");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      STR ("device_id", spec->ack_device);
      HEX ("last_hash", spec->ack_hash, 32);
      INT ("last_seq", spec->ack_seq);
      json_builder_end_object (b);
      json_builder_end_array (b);
    }
  HEX ("body_sha256", body_sha, 32);
  INT ("body_size", zlen);
  STR ("bundle_id", bundle_id);
  STR ("compression", "zstd");
  INT ("count", bs->count);
  INT ("created_hlc", spec->created_hlc);
  INT ("created_ms", spec->created_ms);
  STR ("device_id", spec->device_id);
  STR ("format", FORMAT);
  if (spec->in_reply_to)
    STR ("in_reply_to", spec->in_reply_to);
  if (spec->keys)
    {
      json_builder_set_member_name (b, "keys");
      json_builder_begin_array (b);
      for (guint i = 0; i < spec->keys->len; i++)
        {
          const WtSyncKey *k = spec->keys->pdata[i];

          json_builder_begin_object (b);
          STR ("device_id", k->device_id);
          HEX ("public_key", k->public_key, 32);
          STR ("site_id", k->site_id ? k->site_id : "");
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  STR ("kind", spec->kind);
  HEX ("last_hash", bs->last_hash, 32);
  if (spec->peer)
    STR ("peer", spec->peer);
  HEX ("prev_hash", bs->prev_hash, 32);
  INT ("seq_from", bs->seq_from);
  INT ("seq_to", bs->seq_to);
  if (spec->server_ms)
    INT ("server_ms", spec->server_ms);
  HEX ("signer_key", spec->signer_key, 32);
  STR ("site_id", spec->site_id);
  json_builder_end_object (b);
#undef STR
#undef INT
#undef HEX
  root = json_builder_get_root (b);
  header = wt_json_text (root);
  header_bytes = g_bytes_new (header, strlen (header));

  if (!wt_ledger_sync_sign (ledger, (const guint8 *) header, strlen (header), sig, error))
    return FALSE;
  if (!write_atomic (path, header_bytes, sig, zbody, zlen, error))
    return FALSE;

  if (out_info)
    {
      out_info->bundle_id = g_strdup (bundle_id);
      out_info->kind = g_strdup (spec->kind);
      out_info->device_id = g_strdup (spec->device_id);
      out_info->site_id = g_strdup (spec->site_id);
      out_info->seq_from = bs->seq_from;
      out_info->seq_to = bs->seq_to;
      out_info->count = bs->count;
      out_info->file_size = 8 + 4 + strlen (header) + crypto_sign_BYTES + zlen;
    }
  return TRUE;
}

gboolean
wt_bundle_export (WtLedger      *ledger,
                  const char    *path,
                  gint64         since_ms,
                  WtBundleInfo  *out_info,
                  GError       **error)
{
  g_autofree char *device_id = NULL;
  g_autofree char *site_id = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  BodyState bs = { body, NULL, 0, 0, 0, { 0 }, { 0 } };
  HeaderSpec spec = { 0 };
  WtSyncPeer peer = { 0 };
  guint8 pk[32];
  gint64 after;
  gint64 head_seq;
  guint8 head_hash[32];
  guint8 bundle_id[16];

  g_return_val_if_fail (WT_IS_LEDGER (ledger), FALSE);

  if (!wt_ledger_sync_identity (ledger, &device_id, &site_id, pk, error) ||
      !wt_ledger_sync_head (ledger, &head_seq, head_hash, error))
    return FALSE;

  if (since_ms >= 0)
    {
      if (!wt_ledger_sync_first_seq_since (ledger, since_ms, &after, error))
        return FALSE;
      after--;
    }
  else
    {
      if (!wt_ledger_sync_get_peer (ledger, WT_SYNC_PEER_CENTRAL, &peer, error))
        return FALSE;
      after = peer.acked_seq;
      wt_sync_peer_clear (&peer);
    }

  /* An empty bundle still carries the chain head, so the other side can
   * tell it is current. */
  bs.seq_from = after + 1;
  bs.seq_to = after;
  if (after > 0)
    {
      gboolean found = FALSE;

      if (!wt_ledger_sync_hash_at (ledger, device_id, after, bs.prev_hash, &found, error))
        return FALSE;
      memcpy (bs.last_hash, bs.prev_hash, 32);
    }
  if (!wt_ledger_sync_read_local (ledger, after, 0, add_row, &bs, error))
    return FALSE;

  spec.kind = "events";
  spec.device_id = device_id;
  spec.site_id = site_id;
  spec.signer_key = pk;
  spec.body = &bs;
  spec.created_ms = wt_ledger_now_ms (ledger);
  spec.created_hlc = spec.created_ms << 16;

  if (!write_bundle (ledger, path, &spec, out_info, error))
    return FALSE;

  if (out_info && wt_uuid_to_bytes (out_info->bundle_id, bundle_id))
    wt_ledger_sync_log_bundle (ledger, bundle_id, "out", device_id, bs.seq_from, bs.seq_to, bs.count, NULL, NULL);
  return TRUE;
}

/* ---- Reading --------------------------------------------------------------------------- */

typedef struct
{
  JsonParser *parser;     /* owns the header objects */
  JsonObject *header;
  char       *header_text;
  guint8      bundle_id[16];
  guint8      signer_key[32];
  guint8      file_sha[32];
  GPtrArray  *events;     /* (element-type WtSyncEvent) */
  GPtrArray  *keys;       /* (element-type WtSyncKey) from a receipt */
} Bundle;

static void
bundle_clear (Bundle *b)
{
  g_clear_object (&b->parser);
  g_clear_pointer (&b->header_text, g_free);
  g_clear_pointer (&b->events, g_ptr_array_unref);
  g_clear_pointer (&b->keys, g_ptr_array_unref);
}

static gboolean
refuse (GError     **error,
        const char  *path,
        const char  *why)
{
  g_set_error (error, WT_ERROR, WT_ERROR_TAMPERED,
               _("The bundle “%s” was refused: %s Nothing was imported."), path, why);
  return FALSE;
}

/* Reads and checks the whole bundle. @known_key: the signer's key as this
 * side knows it, looked up by the caller from the header's device id
 * (through @lookup), or a key a person gave. */
typedef gboolean (*KeyLookup) (const char *device_id, guint8 *out_key, gpointer data);

static gboolean
bundle_read (const char   *path,
             KeyLookup     lookup,
             gpointer      lookup_data,
             const char   *trust_key,
             Bundle       *out,
             gboolean     *out_trusted_new,
             GError      **error)
{
  g_autofree char *data = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonParser) lines = json_parser_new ();
  const guint8 *p;
  gsize len = 0;
  guint32 header_len;
  const char *device_id;
  const char *expected_sha;
  guint8 known[32];
  guint8 body_sha[32];
  guint8 prev[32];
  guint8 last[32];
  gint64 body_size, count, seq_from, seq_to;
  unsigned long long content;
  gsize body_len;
  char *line;
  char *next;

  *out_trusted_new = FALSE;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("The bundle “%s” cannot be read: %s"), path, local->message);
      return FALSE;
    }
  crypto_hash_sha256 (out->file_sha, (const guint8 *) data, len);
  p = (const guint8 *) data;

  if (len < 12 || memcmp (p, MAGIC, 8) != 0)
    return refuse (error, path, _("it is not a Wastetag bundle."));
  header_len = (guint32) p[8] << 24 | (guint32) p[9] << 16 | (guint32) p[10] << 8 | p[11];
  if (header_len > MAX_HEADER || 12 + (gsize) header_len + crypto_sign_BYTES > len)
    return refuse (error, path, _("the file is cut off (truncated) before the end of its header."));

  out->header_text = g_strndup ((const char *) p + 12, header_len);
  out->parser = json_parser_new ();
  if (!json_parser_load_from_data (out->parser, out->header_text, header_len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (out->parser)))
    return refuse (error, path, _("its header is damaged."));
  out->header = json_node_get_object (json_parser_get_root (out->parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (out->header, "format", ""), FORMAT) != 0)
    return refuse (error, path, _("it was written by another version of Wastetag."));

  device_id = json_object_get_string_member_with_default (out->header, "device_id", "");
  if (!unhex (json_object_get_string_member_with_default (out->header, "signer_key", NULL), out->signer_key, 32) ||
      !wt_uuid_to_bytes (json_object_get_string_member_with_default (out->header, "bundle_id", ""), out->bundle_id))
    return refuse (error, path, _("its header is damaged."));

  if (!lookup (device_id, known, lookup_data))
    {
      guint8 given[32];

      if (trust_key == NULL)
        {
          g_autofree char *why = g_strdup_printf (_("it is signed by device %s, which is not known here. If the key of that device was checked with its owner, import again with --trust KEY."),
                                                  device_id);
          return refuse (error, path, why);
        }
      if (!unhex (trust_key, given, 32) || sodium_memcmp (given, out->signer_key, 32) != 0)
        {
          g_autofree char *why = g_strdup_printf (_("it is signed by device %s with a key other than the trusted one."), device_id);
          return refuse (error, path, why);
        }
      memcpy (known, given, 32);
      *out_trusted_new = TRUE;
    }
  if (crypto_sign_verify_detached (p + 12 + header_len, (const guint8 *) out->header_text, header_len, known) != 0)
    {
      g_autofree char *why = g_strdup_printf (_("its header is not signed by device %s (altered, or signed by someone else)."), device_id);
      return refuse (error, path, why);
    }
  memcpy (out->signer_key, known, 32);

  body_size = json_object_get_int_member_with_default (out->header, "body_size", -1);
  body_len = len - 12 - header_len - crypto_sign_BYTES;
  if (body_size < 0 || (gsize) body_size > body_len || (gsize) body_size < body_len)
    {
      g_autofree char *why = NULL;

      if (body_size >= 0 && (gsize) body_size > body_len)
        why = g_strdup_printf (_("the file is cut off (truncated): its body should be %lld bytes but only %llu are there."),
                               (long long) body_size, (unsigned long long) body_len);
      else
        why = g_strdup (_("it has bytes after its end."));
      return refuse (error, path, why);
    }
  p += 12 + header_len + crypto_sign_BYTES;
  crypto_hash_sha256 (body_sha, p, body_len);
  expected_sha = json_object_get_string_member_with_default (out->header, "body_sha256", "");
  {
    g_autofree char *got = hex (body_sha, 32);

    if (g_ascii_strcasecmp (got, expected_sha) != 0)
      return refuse (error, path, _("its content was altered after it was signed (the checksum does not match)."));
  }

  content = ZSTD_getFrameContentSize (p, body_len);
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN || content > MAX_BODY)
    return refuse (error, path, _("its content cannot be unpacked."));
  body = g_malloc (content + 1);
  if (ZSTD_isError (ZSTD_decompress (body, content, p, body_len)))
    return refuse (error, path, _("its content cannot be unpacked."));
  body[content] = '\0';

  /* The rows: a chain from prev_hash to last_hash when it is the signer's. */
  count = json_object_get_int_member_with_default (out->header, "count", -1);
  seq_from = json_object_get_int_member_with_default (out->header, "seq_from", 0);
  seq_to = json_object_get_int_member_with_default (out->header, "seq_to", 0);
  if (!unhex (json_object_get_string_member_with_default (out->header, "prev_hash", NULL), prev, 32) ||
      !unhex (json_object_get_string_member_with_default (out->header, "last_hash", NULL), last, 32))
    return refuse (error, path, _("its header is damaged."));

  out->events = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_event_free);
  for (line = body; line && *line; line = next)
    {
      WtSyncEvent *e;

      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (!json_parser_load_from_data (lines, line, -1, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (lines)) ||
          (e = row_from_json (json_node_get_object (json_parser_get_root (lines)))) == NULL)
        return refuse (error, path, _("one of its events is damaged."));
      g_ptr_array_add (out->events, e);
    }
  if ((gint64) out->events->len != count)
    return refuse (error, path, _("it holds another number of events than its header says."));

  if (g_str_equal (json_object_get_string_member_with_default (out->header, "kind", ""), "events"))
    {
      guint8 link[32];

      memcpy (link, prev, 32);
      for (guint i = 0; i < out->events->len; i++)
        {
          const WtSyncEvent *e = out->events->pdata[i];

          if (g_strcmp0 (e->device_id, device_id) != 0 || e->device_seq != seq_from + (gint64) i ||
              memcmp (e->prev_hash, link, 32) != 0)
            return refuse (error, path, _("its events do not form the signer’s chain."));
          memcpy (link, e->hash, 32);
        }
      if (seq_to != seq_from + count - 1 || memcmp (link, last, 32) != 0)
        return refuse (error, path, _("its events do not end where its header says."));
    }

  /* Keys a receipt vouches for. */
  out->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_key_free);
  if (json_object_has_member (out->header, "keys"))
    {
      JsonArray *keys = json_object_get_array_member (out->header, "keys");

      for (guint i = 0; keys && i < json_array_get_length (keys); i++)
        {
          JsonObject *k = json_array_get_object_element (keys, i);
          WtSyncKey *key = g_new0 (WtSyncKey, 1);

          key->device_id = g_strdup (json_object_get_string_member_with_default (k, "device_id", ""));
          key->site_id = g_strdup (json_object_get_string_member_with_default (k, "site_id", ""));
          if (!unhex (json_object_get_string_member_with_default (k, "public_key", NULL), key->public_key, 32))
            {
              wt_sync_key_free (key);
              return refuse (error, path, _("its header is damaged."));
            }
          g_ptr_array_add (out->keys, key);
        }
    }
  return TRUE;
}

static void
fill_info (const Bundle  *b,
           WtBundleInfo  *info,
           const char    *path)
{
  GStatBuf st;

  info->bundle_id = g_strdup (json_object_get_string_member_with_default (b->header, "bundle_id", ""));
  info->kind = g_strdup (json_object_get_string_member_with_default (b->header, "kind", ""));
  info->device_id = g_strdup (json_object_get_string_member_with_default (b->header, "device_id", ""));
  info->site_id = g_strdup (json_object_get_string_member_with_default (b->header, "site_id", ""));
  info->seq_from = json_object_get_int_member_with_default (b->header, "seq_from", 0);
  info->seq_to = json_object_get_int_member_with_default (b->header, "seq_to", 0);
  info->count = b->events ? b->events->len : 0;
  info->file_size = g_stat (path, &st) == 0 ? st.st_size : 0;
}

static gboolean
ledger_lookup (const char *device_id,
               guint8     *out_key,
               gpointer    data)
{
  gboolean blocked = FALSE;

  return wt_ledger_sync_device_key (data, device_id, out_key, &blocked) && !blocked;
}

static gboolean
collect_for_receipt (const WtSyncEvent  *e,
                     gpointer            data,
                     GError            **error)
{
  BodyState *bs = data;

  return add_row (e, bs, error);
}

/* Keys of the devices whose events a receipt carries, from @ledger. */
static GPtrArray *
keys_for (WtLedger  *ledger,
          GPtrArray *events)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_key_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < events->len; i++)
    {
      const WtSyncEvent *e = events->pdata[i];
      WtSyncKey *k;

      if (!g_hash_table_add (seen, (gpointer) e->device_id))
        continue;
      k = g_new0 (WtSyncKey, 1);
      k->device_id = g_strdup (e->device_id);
      k->site_id = g_strdup (e->site_id);
      if (!wt_ledger_sync_device_key (ledger, e->device_id, k->public_key, NULL))
        {
          wt_sync_key_free (k);
          continue;
        }
      g_ptr_array_add (keys, k);
    }
  return keys;
}

static gboolean
write_receipt (WtLedger      *ledger,
               const char    *receipt_path,
               const char    *peer,
               const char    *in_reply_to,
               const char    *ack_device,
               gint64         ack_seq,
               const guint8  *ack_hash,
               GPtrArray     *events,
               GPtrArray     *keys,
               gint64         server_ms,
               GError       **error)
{
  g_autofree char *device_id = NULL;
  g_autofree char *site_id = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  BodyState bs = { body, NULL, 0, 0, 0, { 0 }, { 0 } };
  HeaderSpec spec = { 0 };
  WtBundleInfo info = { 0 };
  guint8 pk[32];
  guint8 bundle_id[16];

  if (!wt_ledger_sync_identity (ledger, &device_id, &site_id, pk, error))
    return FALSE;
  for (guint i = 0; i < events->len; i++)
    add_row (events->pdata[i], &bs, NULL);

  spec.kind = "receipt";
  spec.device_id = device_id;
  spec.site_id = site_id;
  spec.signer_key = pk;
  spec.body = &bs;
  spec.created_ms = wt_ledger_now_ms (ledger);
  spec.created_hlc = spec.created_ms << 16;
  spec.peer = peer;
  spec.in_reply_to = in_reply_to;
  spec.server_ms = server_ms;
  spec.ack_device = ack_device;
  spec.ack_seq = ack_seq;
  spec.ack_hash = ack_hash;
  spec.keys = keys;
  if (!write_bundle (ledger, receipt_path, &spec, &info, error))
    return FALSE;
  if (wt_uuid_to_bytes (info.bundle_id, bundle_id))
    wt_ledger_sync_log_bundle (ledger, bundle_id, "out", device_id, 0, 0, bs.count, NULL, NULL);
  wt_bundle_info_clear (&info);
  return TRUE;
}

gboolean
wt_bundle_import (WtLedger        *ledger,
                  const char      *path,
                  const char      *trust_key,
                  const char      *receipt_path,
                  WtBundleResult  *out_result,
                  GError         **error)
{
  Bundle b = { 0 };
  WtBundleResult result = { 0 };
  WtSyncImportOptions opts = { 0 };
  WtSyncImportResult imported = { 0 };
  g_autofree char *my_device = NULL;
  g_autofree char *my_site = NULL;
  gboolean trusted_new = FALSE;
  gboolean ok = FALSE;
  const char *kind;
  const char *signer;

  g_return_val_if_fail (WT_IS_LEDGER (ledger), FALSE);

  if (!wt_ledger_sync_identity (ledger, &my_device, &my_site, NULL, error))
    return FALSE;
  if (!bundle_read (path, ledger_lookup, ledger, trust_key, &b, &trusted_new, error))
    goto out;
  fill_info (&b, &result.info, path);
  kind = json_object_get_string_member_with_default (b.header, "kind", "");
  signer = json_object_get_string_member_with_default (b.header, "device_id", "");

  if (g_strcmp0 (signer, my_device) == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The bundle “%s” was written by this device; it is meant for the central office or another site."),
                   path);
      goto out;
    }

  if (trusted_new)
    {
      WtSyncKey key = { (char *) signer, (char *) json_object_get_string_member_with_default (b.header, "site_id", ""), { 0 } };

      memcpy (key.public_key, b.signer_key, 32);
      if (!wt_ledger_sync_trust_key (ledger, &key, error))
        goto out;
    }

  if (wt_ledger_sync_has_bundle (ledger, b.bundle_id))
    result.already = TRUE;

  if (g_str_equal (kind, "receipt"))
    {
      JsonArray *acks = json_object_has_member (b.header, "acks") ? json_object_get_array_member (b.header, "acks") : NULL;
      const char *peer = json_object_get_string_member_with_default (b.header, "peer", signer);
      gint64 server_ms = json_object_get_int_member_with_default (b.header, "server_ms", 0);

      for (guint i = 0; acks && i < json_array_get_length (acks); i++)
        {
          JsonObject *a = json_array_get_object_element (acks, i);
          gint64 seq = json_object_get_int_member_with_default (a, "last_seq", 0);
          guint8 hash[32], mine[32];
          gboolean found = FALSE;

          if (g_strcmp0 (json_object_get_string_member_with_default (a, "device_id", ""), my_device) != 0 ||
              !unhex (json_object_get_string_member_with_default (a, "last_hash", NULL), hash, 32))
            continue;
          /* Only what matches our own chain is acknowledged. */
          if (seq > 0 && wt_ledger_sync_hash_at (ledger, my_device, seq, mine, &found, NULL) && found &&
              memcmp (mine, hash, 32) == 0)
            {
              if (!wt_ledger_sync_set_acked (ledger, peer, seq, hash, error))
                goto out;
              result.acked_seq = seq;
            }
        }
      opts.source = "bundle";
      opts.bundle_id = b.bundle_id;
      opts.bundle_device = signer;
      opts.bundle_sha256 = b.file_sha;
      opts.bundle_direction = "in";
      if (!wt_ledger_sync_import (ledger, b.events, b.keys, &opts, &imported, error))
        goto out;
      if (!wt_ledger_sync_finish (ledger, peer, G_MININT64, server_ms, NULL, error))
        goto out;
    }
  else if (g_str_equal (kind, "events"))
    {
      opts.source = "bundle";
      opts.bundle_id = b.bundle_id;
      opts.bundle_device = signer;
      opts.bundle_seq_from = result.info.seq_from;
      opts.bundle_seq_to = result.info.seq_to;
      opts.bundle_sha256 = b.file_sha;
      opts.bundle_direction = "in";
      if (!wt_ledger_sync_import (ledger, b.events, NULL, &opts, &imported, error))
        goto out;

      if (receipt_path)
        {
          g_autoptr(GPtrArray) back = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_sync_event_free);
          g_autoptr(GString) unused = g_string_new (NULL);
          g_autoptr(GPtrArray) keys = NULL;
          BodyState bs = { unused, back, 0, 0, 0, { 0 }, { 0 } };
          gint64 seq = result.info.seq_to;
          guint8 hash[32] = { 0 };
          gboolean found = FALSE;

          /* What we hold of the sender's chain, contiguous from 1. */
          while (seq > 0 && !(wt_ledger_sync_hash_at (ledger, signer, seq, hash, &found, NULL) && found))
            seq--;
          if (!wt_ledger_sync_read_for_site (ledger, result.info.site_id, signer, collect_for_receipt, &bs, error))
            goto out;
          keys = keys_for (ledger, back);
          if (!write_receipt (ledger, receipt_path, my_site, result.info.bundle_id, signer, seq, hash,
                              back, keys, wt_ledger_now_ms (ledger), error))
            goto out;
          result.receipt_path = g_strdup (receipt_path);
        }
    }
  else
    {
      refuse (error, path, _("it is of a kind this version does not know."));
      goto out;
    }

  result.inserted = imported.inserted;
  result.duplicates = imported.duplicates;
  result.anomalies = imported.anomalies;
  ok = TRUE;

out:
  bundle_clear (&b);
  if (ok && out_result)
    *out_result = result;
  else
    wt_bundle_result_clear (&result);
  return ok;
}

/* ---- Central ------------------------------------------------------------------------- */

typedef struct
{
  const guint8 *header_key;
  const char   *trust_key;
} CentralLookup;

/* At the central store the signer's key is checked against ingest.device
 * by wt_central_import_events(); here the bundle need only be consistent
 * with the key it names, which a person confirms with --trust for a device
 * the store does not know. */
static gboolean
central_lookup (const char *device_id,
                guint8     *out_key,
                gpointer    data)
{
  CentralLookup *cl = data;

  if (cl->header_key == NULL)
    return FALSE;
  memcpy (out_key, cl->header_key, 32);
  return TRUE;
}

static gboolean
peek_signer_key (const char *path,
                 guint8     *out_key)
{
  g_autofree char *data = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  guint32 header_len;
  const guint8 *p;

  if (!g_file_get_contents (path, &data, &len, NULL) || len < 12)
    return FALSE;
  p = (const guint8 *) data;
  header_len = (guint32) p[8] << 24 | (guint32) p[9] << 16 | (guint32) p[10] << 8 | p[11];
  if (header_len > len - 12 || !json_parser_load_from_data (parser, data + 12, header_len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  return unhex (json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (parser)),
                                                             "signer_key", NULL), out_key, 32);
}

gboolean
wt_bundle_import_central (const char      *conninfo,
                          WtLedger        *ledger,
                          const char      *path,
                          const char      *trust_key,
                          const char      *receipt_path,
                          WtBundleResult  *out_result,
                          GError         **error)
{
  Bundle b = { 0 };
  WtBundleResult result = { 0 };
  CentralLookup cl = { NULL, trust_key };
  guint8 header_key[32];
  guint8 trusted[32];
  guint8 last_hash[32] = { 0 };
  gboolean trusted_new = FALSE;
  gboolean ok = FALSE;
  gboolean trust = FALSE;
  gint64 inserted = 0, duplicates = 0, last_seq = 0;
  const char *signer;

  if (trust_key != NULL)
    {
      if (!unhex (trust_key, trusted, 32))
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("“%s” is not a device key: a key is 64 hexadecimal digits."), trust_key);
          return FALSE;
        }
      cl.header_key = trusted;
      trust = TRUE;
    }
  else if (peek_signer_key (path, header_key))
    cl.header_key = header_key;

  if (!bundle_read (path, central_lookup, &cl, trust_key, &b, &trusted_new, error))
    goto out;
  fill_info (&b, &result.info, path);
  signer = result.info.device_id;
  if (!g_str_equal (result.info.kind, "events"))
    {
      refuse (error, path, _("the central store imports only events bundles."));
      goto out;
    }

  if (!wt_central_import_events (conninfo, b.events, signer, result.info.site_id, b.signer_key, trust,
                                 &inserted, &duplicates, &last_seq, last_hash, error))
    goto out;
  result.inserted = inserted;
  result.duplicates = duplicates;
  result.already = inserted == 0 && result.info.count > 0;
  result.acked_seq = last_seq;

  if (receipt_path)
    {
      g_autoptr(GPtrArray) events = NULL;
      g_autoptr(GPtrArray) keys = NULL;
      gint64 server_ms = 0;

      if (ledger == NULL)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_NO_SITE,
                       _("A receipt is signed by this computer’s own ledger, and there is none. Set up the central office’s ledger first (wastetag-cli site init)."));
          goto out;
        }
      if (!wt_central_site_feed (conninfo, signer, &events, &keys, &server_ms, error))
        goto out;
      if (!write_receipt (ledger, receipt_path, WT_SYNC_PEER_CENTRAL, result.info.bundle_id, signer,
                          last_seq, last_hash, events, keys, server_ms, error))
        goto out;
      result.receipt_path = g_strdup (receipt_path);
    }
  ok = TRUE;

out:
  bundle_clear (&b);
  if (ok && out_result)
    *out_result = result;
  else
    wt_bundle_result_clear (&result);
  return ok;
}
