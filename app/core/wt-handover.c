/* wt-handover.c: custody at every handover point and the state machine.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Facts (stored, shipped, received, rejected, treated, weighed, inspected,
 * manifest_opened, handover) are events on the device chain, written with
 * the container projection in one transaction. Scan lists of manifests are
 * bookkeeping (manifest_item) until a handover is confirmed.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "wt-catalogue.h"
#include "wt-error.h"
#include "wt-handover.h"
#include "wt-hazard.h"
#include "wt-ledger-private.h"
#include "wt-receipt.h"

/* A received weight further than this from the shipped one is flagged. */
#define WEIGHT_TOLERANCE_FRACTION 0.05
#define WEIGHT_TOLERANCE_MIN_KG 1.0
/* Containers per receipt QR part; keeps each symbol at a printable size. */
#define RECEIPT_PART_SIZE 20

/* ---- Small things ------------------------------------------------------------- */

void
wt_manifest_free (WtManifest *m)
{
  if (m == NULL)
    return;
  g_free (m->id);
  g_free (m->number);
  g_free (m->draft_number);
  g_free (m->producer);
  g_free (m->producer_uscc);
  g_free (m->carrier);
  g_free (m->vehicle);
  g_free (m->receiver);
  g_free (m->receiver_licence);
  g_free (m);
}

const char *
wt_manifest_get_display_number (const WtManifest *m)
{
  return m->number && m->number[0] ? m->number : m->draft_number;
}

void
wt_scan_result_free (WtScanResult *r)
{
  if (r == NULL)
    return;
  g_free (r->message);
  g_free (r->code);
  g_clear_pointer (&r->container, wt_container_free);
  g_free (r);
}

WtVerdictClass
wt_scan_result_kind_verdict (WtScanResultKind kind)
{
  switch (kind)
    {
    case WT_SCAN_RESULT_OK:
      return WT_VERDICT_OK;
    case WT_SCAN_RESULT_ALREADY_SCANNED:
    case WT_SCAN_RESULT_PREDECESSOR_UNKNOWN:
    case WT_SCAN_RESULT_WEIGHT_OFF:
      return WT_VERDICT_WARNING;
    case WT_SCAN_RESULT_NOT_EXPECTED:
    case WT_SCAN_RESULT_WRONG_STATE:
    case WT_SCAN_RESULT_VOIDED:
    case WT_SCAN_RESULT_UNKNOWN:
    case WT_SCAN_RESULT_FOREIGN:
    case WT_SCAN_RESULT_DAMAGED:
    case WT_SCAN_RESULT_WRONG_WASTE:
    default:
      return WT_VERDICT_REFUSED;
    }
}

void
wt_reconciliation_free (WtReconciliation *rec)
{
  if (rec == NULL)
    return;
  g_strfreev (rec->missing);
  g_strfreev (rec->unexpected);
  g_strfreev (rec->duplicates);
  g_strfreev (rec->already_shipped);
  g_strfreev (rec->wrong_waste);
  g_clear_pointer (&rec->tallies, g_ptr_array_unref);
  g_free (rec);
}

void
wt_condition_init (WtCondition *c)
{
  memset (c, 0, sizeof *c);
  c->seal_intact = TRUE;
  c->label_legible = TRUE;
}

gboolean
wt_condition_failed (const WtCondition *c)
{
  return !c->seal_intact || c->leaking || c->bulging || c->corroded || !c->label_legible;
}

void
wt_method_free (WtMethod *m)
{
  if (m == NULL)
    return;
  g_free (m->code);
  g_free (m->name);
  g_free (m);
}

static char *
waste_code_of (const char *code,
               const WtCodeSplit *split)
{
  const char *w;

  if (strlen (code) < split->unit_len + split->waste_len)
    return g_strdup ("");
  w = code + split->unit_len;
  return g_strdup_printf ("%.3s-%.3s-%.2s", w, w + 3, w + 6);
}

/* ---- Manifest numbers ----------------------------------------------------------- */

typedef struct
{
  GHashTable *provinces;   /* "50" */
  GHashTable *prefectures; /* "5001" style prefixes that may follow a province */
} Divisions;

static Divisions *
divisions_get (void)
{
  static Divisions *d;
  static GMutex lock;
  Divisions *ret;

  g_mutex_lock (&lock);
  if (d == NULL)
    {
      g_autoptr(GBytes) bytes = g_resources_lookup_data ("/org/wastetag/Wastetag/core/data/admin-divisions.tsv",
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      d = g_new0 (Divisions, 1);
      d->provinces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      d->prefectures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      if (bytes != NULL)
        {
          text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
          lines = g_strsplit (text, "\n", -1);
          for (guint i = 1; lines[i] != NULL; i++)
            {
              const char *line = lines[i];

              if (strlen (line) < 7 || !g_ascii_isdigit (line[0]))
                continue;
              if (g_str_has_prefix (line + 6, "\tprovince"))
                g_hash_table_add (d->provinces, g_strndup (line, 2));
              else if (g_str_has_prefix (line + 6, "\tprefecture"))
                g_hash_table_add (d->prefectures, g_strndup (line, 4));
              else if (g_str_has_prefix (line + 6, "\tcounty"))
                {
                  /* Districts of municipalities (01, 02) and counties run by
                   * a province (90) have no prefecture row; their digits 3–4
                   * are what a manifest number carries there. */
                  if ((line[2] == '0' && (line[3] == '1' || line[3] == '2')) ||
                      (line[2] == '9' && line[3] == '0'))
                    g_hash_table_add (d->prefectures, g_strndup (line, 4));
                }
            }
        }
    }
  ret = d;
  g_mutex_unlock (&lock);

  return ret;
}

gboolean
wt_manifest_number_validate (const char  *number,
                             GError     **error)
{
  Divisions *d;
  char province[3] = { 0 };
  char prefecture[5] = { 0 };
  int year;
  int this_year;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  g_return_val_if_fail (number != NULL, FALSE);

  if (strlen (number) != 14 || strspn (number, "0123456789") != 14)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("A transfer manifest number has 14 digits (year, province, city, serial); “%s” does not."),
                   number);
      return FALSE;
    }

  year = (number[0] - '0') * 1000 + (number[1] - '0') * 100 + (number[2] - '0') * 10 + (number[3] - '0');
  this_year = g_date_time_get_year (now);
  if (year < 2022 || year > this_year + 1)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The manifest number %s starts with the year %d, which cannot be right: electronic manifests under 部令第23号 began in 2022."),
                   number, year);
      return FALSE;
    }

  d = divisions_get ();
  memcpy (province, number + 4, 2);
  memcpy (prefecture, number + 4, 4);

  if (!g_hash_table_contains (d->provinces, province))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The manifest number %s names province code %s, which does not exist."),
                   number, province);
      return FALSE;
    }

  if (!g_hash_table_contains (d->prefectures, prefecture))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The manifest number %s names city code %s, which does not exist in province %s."),
                   number, prefecture + 2, province);
      return FALSE;
    }

  return TRUE;
}

/* ---- Reading rows ------------------------------------------------------------------ */

static WtManifest *
manifest_from_row (sqlite3_stmt *stmt)
{
  WtManifest *m = g_new0 (WtManifest, 1);

  m->id = wt_db_column_dup (stmt, 0);
  m->number = wt_db_column_dup (stmt, 1);
  m->draft_number = wt_db_column_dup (stmt, 2);
  m->direction = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 3), "in") == 0
    ? WT_MANIFEST_INCOMING : WT_MANIFEST_OUTGOING;
  m->producer = wt_db_column_dup (stmt, 4);
  m->producer_uscc = wt_db_column_dup (stmt, 5);
  m->carrier = wt_db_column_dup (stmt, 6);
  m->vehicle = wt_db_column_dup (stmt, 7);
  m->receiver = wt_db_column_dup (stmt, 8);
  m->created_ms = sqlite3_column_int64 (stmt, 9);
  m->confirmed = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 10), "confirmed") == 0;
  m->confirmed_ms = sqlite3_column_int64 (stmt, 11);
  m->receiver_licence = wt_db_column_dup (stmt, 12);
  if (m->receiver_licence == NULL)
    m->receiver_licence = g_strdup ("");

  return m;
}

#define MANIFEST_COLUMNS \
  "id, number, draft_number, direction, producer, producer_uscc, carrier, vehicle," \
  " receiver, created_ms, status, confirmed_ms, receiver_licence"

/* Lock held. */
static WtManifest *
find_manifest (WtLedger    *self,
               const char  *key,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = wt_db_prepare (self,
                        "SELECT " MANIFEST_COLUMNS " FROM manifest"
                        " WHERE id = ?1 OR number = ?1 OR draft_number = ?1 LIMIT 1",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return manifest_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                 _("There is no transfer manifest “%s” in this ledger."), key);
  else
    wt_db_error (self, error, "reading a manifest");
  return NULL;
}

/* Lock held. */
static WtContainer *
find_container (WtLedger   *self,
                const char *code,
                GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = wt_db_prepare (self, "SELECT " CONTAINER_COLUMNS " FROM container WHERE code = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return wt_container_from_row (stmt);
  if (rc != SQLITE_DONE)
    wt_db_error (self, error, "reading a container");
  return NULL;
}

static gboolean
last_event_of (WtLedger   *self,
               const char *code,
               guint8     *out)
{
  g_autoptr(sqlite3_stmt) stmt = wt_db_prepare (self, "SELECT last_event FROM container WHERE code = ?1", NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == 16)
    {
      memcpy (out, sqlite3_column_blob (stmt, 0), 16);
      return TRUE;
    }
  return FALSE;
}

static const char *
manifest_label (WtLedger   *self,
                const char *manifest_id,
                char      **to_free)
{
  g_autoptr(WtManifest) m = NULL;

  if (manifest_id == NULL)
    return "?";
  m = find_manifest (self, manifest_id, NULL);
  *to_free = g_strdup (m ? wt_manifest_get_display_number (m) : manifest_id);
  return *to_free;
}

/* ---- The state machine ----------------------------------------------------------------- */

typedef enum
{
  ACTION_STORE,
  ACTION_SHIP,
  ACTION_RECEIVE,
  ACTION_TREAT,
  ACTION_WEIGH,
} Action;

/* Whether @action may happen to @c, on this device's own knowledge. On
 * refusal, @error gets one sentence that says what to do instead. Lock held. */
static gboolean
allowed (WtLedger          *self,
         Action             action,
         const WtContainer *c,
         const char        *manifest_id,
         GError           **error)
{
  g_autofree char *mf = NULL;
  const char *code = c->code;

  if (c->state == WT_CONTAINER_VOIDED)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("The label of %s was voided: set the container aside and print a new label for it."),
                   code);
      return FALSE;
    }

  switch (action)
    {
    case ACTION_STORE:
      if (c->state == WT_CONTAINER_SHIPPED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s left with a carrier under manifest %s; it cannot be stored before it is received."),
                     code, manifest_label (self, c->manifest_id, &mf));
      else if (c->state == WT_CONTAINER_TREATED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was already treated; there is nothing left to store."), code);
      else
        return TRUE;
      return FALSE;

    case ACTION_SHIP:
      if (c->state == WT_CONTAINER_SHIPPED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was already shipped under manifest %s; a container leaves only once. Take it off this pickup."),
                     code, manifest_label (self, c->manifest_id, &mf));
      else if (c->state == WT_CONTAINER_TREATED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was already treated and cannot be shipped."), code);
      else
        return TRUE;
      return FALSE;

    case ACTION_RECEIVE:
      if (c->state == WT_CONTAINER_SHIPPED)
        return TRUE;
      if (c->state == WT_CONTAINER_RECEIVED || c->state == WT_CONTAINER_REJECTED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was already received under manifest %s."),
                     code, manifest_label (self, c->manifest_id, &mf));
      else if (c->state == WT_CONTAINER_TREATED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was already treated and cannot be received again."), code);
      else
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s has not been shipped: it is still at its producer. Ship it under a manifest before it is received."),
                     code);
      return FALSE;

    case ACTION_TREAT:
      if (c->state == WT_CONTAINER_SHIPPED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s is on its way under manifest %s: receive it before recording its treatment."),
                     code, manifest_label (self, c->manifest_id, &mf));
      else if (c->state == WT_CONTAINER_REJECTED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("%s was rejected at receipt and cannot be treated here."), code);
      else if (c->state == WT_CONTAINER_TREATED)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE, _("%s was already treated."), code);
      else
        return TRUE;
      return FALSE;

    case ACTION_WEIGH:
      if (c->state == WT_CONTAINER_TREATED)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                       _("%s was already treated; there is nothing left to weigh or inspect."), code);
          return FALSE;
        }
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

/* ---- Appending custody events --------------------------------------------------------------- */

/* Appends one custody event for @code and moves its projection. Lock held,
 * inside a write transaction, after wt_appender_begin(). */
static gboolean
record (WtLedger    *self,
        Appender    *app,
        const char  *code,
        const char  *kind,
        JsonBuilder *payload_builder,
        const char  *new_state,
        const char  *facility,
        const char  *manifest_id,
        double       weight_kg,
        GError     **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *batch = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint8 last[16];
  guint8 event_id[16];
  gboolean have_last;

  /* Every event written by one action shares a batch: HJ 1259's 入库、出库
   * and 利用/处置 batch codes are numbered from these. */
  batch = g_strdup_printf ("%s:%" G_GINT64_FORMAT, self->device_id, app->first_seq);
  json_builder_set_member_name (payload_builder, "batch");
  json_builder_add_string_value (payload_builder, batch);
  json_builder_end_object (payload_builder);
  node = json_builder_get_root (payload_builder);
  payload = wt_json_text (node);

  have_last = last_event_of (self, code, last);

  if (!wt_appender_add (self, app, code, kind, have_last ? last : NULL, payload, event_id, error))
    return FALSE;

  stmt = wt_db_prepare (self,
                        "UPDATE container SET last_event = ?2, updated_ms = ?3,"
                        "  state = coalesce (?4, state),"
                        "  facility = CASE WHEN ?4 = 'stored' THEN ?5 WHEN ?4 IS NULL THEN facility ELSE NULL END,"
                        "  manifest_id = coalesce (?6, manifest_id),"
                        "  weight_kg = coalesce (?7, weight_kg)"
                        " WHERE code = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, event_id, 16, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, wt_ledger_now_ms (self));
  if (new_state)
    sqlite3_bind_text (stmt, 4, new_state, -1, SQLITE_STATIC);
  if (facility)
    sqlite3_bind_text (stmt, 5, facility, -1, SQLITE_STATIC);
  if (manifest_id)
    sqlite3_bind_text (stmt, 6, manifest_id, -1, SQLITE_STATIC);
  if (weight_kg >= 0)
    sqlite3_bind_double (stmt, 7, weight_kg);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "updating a container");

  return TRUE;
}

/* Runs @body inside BEGIN IMMEDIATE … COMMIT with the lock held; rolls back
 * on failure so nothing of a refused action is recorded. */
typedef gboolean (*TxnFunc) (WtLedger *self, Appender *app, gpointer data, GError **error);

static gboolean
in_transaction (WtLedger    *self,
                const char  *actor,
                TxnFunc      body,
                gpointer     data,
                GError     **error)
{
  Appender app = { 0 };
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  app.actor = actor;
  if (!wt_appender_begin (self, &app, error) ||
      !body (self, &app, data, error) ||
      !wt_appender_finish (self, &app, error) ||
      !wt_db_exec (self, "COMMIT", error))
    {
      wt_appender_clear (&app);
      wt_db_rollback (self);
      goto out;
    }
  ok = TRUE;

out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
check_codes (const char * const *codes,
             GError            **error)
{
  if (codes == NULL || codes[0] == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("Name at least one container."));
      return FALSE;
    }
  return TRUE;
}

static WtContainer *
require_container (WtLedger   *self,
                   const char *code,
                   GError    **error)
{
  GError *local = NULL;
  WtContainer *c = find_container (self, code, &local);

  if (c == NULL && local == NULL)
    g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                 _("No container with the code %s is registered in this ledger."), code);
  else if (local)
    g_propagate_error (error, local);
  return c;
}

/* ---- Store --------------------------------------------------------------------------- */

typedef struct
{
  const char         *facility;
  const char * const *codes;
} StoreData;

static gboolean
store_body (WtLedger  *self,
            Appender  *app,
            gpointer   data,
            GError   **error)
{
  StoreData *d = data;

  for (guint i = 0; d->codes[i]; i++)
    {
      g_autoptr(WtContainer) c = require_container (self, d->codes[i], error);
      g_autoptr(JsonBuilder) b = json_builder_new ();

      if (c == NULL || !allowed (self, ACTION_STORE, c, NULL, error))
        return FALSE;

      if (c->state == WT_CONTAINER_STORED && g_strcmp0 (c->facility, d->facility) == 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                       _("%s is already stored in %s."), c->code, d->facility);
          return FALSE;
        }

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "facility");
      json_builder_add_string_value (b, d->facility);
      if (c->facility)
        {
          json_builder_set_member_name (b, "from_facility");
          json_builder_add_string_value (b, c->facility);
        }
      /* record() adds the batch and closes the object. */

      if (!record (self, app, c->code, "stored", b, "stored", d->facility, NULL, -1, error))
        return FALSE;
    }

  return TRUE;
}

gboolean
wt_ledger_store (WtLedger           *self,
                 const char         *facility,
                 const char * const *codes,
                 GError            **error)
{
  StoreData d = { facility, codes };
  g_autofree char *f = g_strstrip (g_strdup (facility ? facility : ""));

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (*f == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Say which storage facility (贮存设施) the containers go into."));
      return FALSE;
    }
  if (!check_codes (codes, error))
    return FALSE;
  d.facility = f;

  return in_transaction (self, NULL, store_body, &d, error);
}

/* ---- Manifests ------------------------------------------------------------------------------ */

WtManifest *
wt_ledger_manifest_new (WtLedger    *self,
                        const char  *number,
                        const char  *carrier,
                        const char  *vehicle,
                        const char  *receiver,
                        GError     **error)
{
  return wt_ledger_manifest_new_full (self, number, carrier, vehicle, receiver, NULL, error);
}

gboolean
wt_receiver_licence_validate (const char  *licence,
                              GError     **error)
{
  if (licence == NULL || *licence == '\0')
    return TRUE;
  if (!g_utf8_validate (licence, -1, NULL) || g_utf8_strlen (licence, -1) > WT_RECEIVER_LICENCE_MAX)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("A receiver’s licence number is at most %d characters; check what was typed."),
                   WT_RECEIVER_LICENCE_MAX);
      return FALSE;
    }
  for (const char *c = licence; *c; c = g_utf8_next_char (c))
    if (g_unichar_iscntrl (g_utf8_get_char (c)))
      {
        g_set_error_literal (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                             _("A receiver’s licence number is one line of text, without tabs or line breaks."));
        return FALSE;
      }
  return TRUE;
}

WtManifest *
wt_ledger_manifest_new_full (WtLedger    *self,
                             const char  *number,
                             const char  *carrier,
                             const char  *vehicle,
                             const char  *receiver,
                             const char  *receiver_licence,
                             GError     **error)
{
  g_autoptr(WtSite) site = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *id = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *day = NULL;
  g_autofree char *split = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;
  Appender app = { 0 };
  WtManifest *ret = NULL;
  gint64 now;
  gint64 n_today = 0;
  const char *fields[3] = { carrier, vehicle, receiver };
  const char *missing[3] = {
    N_("A transfer manifest needs its carrier (承运人)."),
    N_("A transfer manifest needs the vehicle’s plate."),
    N_("A transfer manifest needs its receiver (接受人)."),
  };

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  for (guint i = 0; i < 3; i++)
    if (fields[i] == NULL || *fields[i] == '\0')
      {
        g_set_error_literal (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _(missing[i]));
        return NULL;
      }

  if (number != NULL && *number != '\0' && !wt_manifest_number_validate (number, error))
    return NULL;
  if (receiver_licence == NULL)
    receiver_licence = "";
  if (!wt_receiver_licence_validate (receiver_licence, error))
    return NULL;

  site = wt_ledger_dup_site (self, error);
  if (site == NULL)
    return NULL;

  g_mutex_lock (&self->lock);

  now = wt_ledger_now_ms (self);
  id = wt_uuid_v7 (now);
  day = wt_ledger_today (self);
  split = wt_code_split_to_string (&self->split);

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  if (number != NULL && *number != '\0')
    {
      g_autoptr(WtManifest) existing = find_manifest (self, number, NULL);

      if (existing != NULL)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                       _("Manifest %s is already in this ledger; open it instead of creating it again."), number);
          goto fail;
        }
    }

  stmt = wt_db_prepare (self, "SELECT count(*) FROM manifest WHERE direction = 'out' AND draft_number LIKE ?1", error);
  if (stmt == NULL)
    goto fail;
  {
    g_autofree char *like = g_strdup_printf ("%c-%.4s%.2s%.2s-%%", self->slot, day, day + 5, day + 8);

    sqlite3_bind_text (stmt, 1, like, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (stmt) == SQLITE_ROW)
      n_today = sqlite3_column_int64 (stmt, 0);
  }
  g_clear_pointer (&stmt, sqlite3_finalize);
  /* The slot letter keeps drafts of two devices apart, like container codes. */
  draft = g_strdup_printf ("%c-%.4s%.2s%.2s-%02" G_GINT64_FORMAT, self->slot, day, day + 5, day + 8, n_today + 1);

  stmt = wt_db_prepare (self,
                        "INSERT INTO manifest (id, number, draft_number, direction, producer, producer_uscc,"
                        "  code_split, carrier, vehicle, receiver, created_ms, status, receiver_licence)"
                        " VALUES (?1, ?2, ?3, 'out', ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (number && *number)
    sqlite3_bind_text (stmt, 2, number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, draft, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, site->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, site->uscc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, split, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, carrier, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, vehicle, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, receiver, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 10, now);
  sqlite3_bind_text (stmt, 11, receiver_licence, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      wt_db_error (self, error, "creating the manifest");
      goto fail;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "carrier");
  json_builder_add_string_value (b, carrier);
  json_builder_set_member_name (b, "draft_number");
  json_builder_add_string_value (b, draft);
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, number ? number : "");
  json_builder_set_member_name (b, "receiver");
  json_builder_add_string_value (b, receiver);
  /* Only when given, so a manifest without one is recorded as before. */
  if (*receiver_licence != '\0')
    {
      json_builder_set_member_name (b, "receiver_licence");
      json_builder_add_string_value (b, receiver_licence);
    }
  json_builder_set_member_name (b, "vehicle");
  json_builder_add_string_value (b, vehicle);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  payload = wt_json_text (node);

  /* The manifest is a fact of its own: its event's subject is its id. */
  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, id, "manifest_opened", NULL, payload, NULL, error) ||
      !wt_appender_finish (self, &app, error) ||
      !wt_db_exec (self, "COMMIT", error))
    goto fail;

  ret = find_manifest (self, id, error);
  goto out;

fail:
  wt_appender_clear (&app);
  wt_db_rollback (self);

out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ret;
}

WtManifest *
wt_ledger_get_manifest (WtLedger    *self,
                        const char  *key,
                        GError     **error)
{
  WtManifest *m;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  g_mutex_lock (&self->lock);
  m = find_manifest (self, key, error);
  g_mutex_unlock (&self->lock);

  return m;
}

GPtrArray *
wt_ledger_list_manifests (WtLedger  *self,
                          GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *ret = NULL;
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "SELECT " MANIFEST_COLUMNS " FROM manifest ORDER BY created_ms DESC", error);
  if (stmt != NULL)
    {
      ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_manifest_free);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (ret, manifest_from_row (stmt));
      if (rc != SQLITE_DONE)
        {
          wt_db_error (self, error, "listing manifests");
          g_clear_pointer (&ret, g_ptr_array_unref);
        }
    }
  g_mutex_unlock (&self->lock);

  return ret;
}

gboolean
wt_ledger_manifest_set_number (WtLedger    *self,
                               const char  *manifest_id,
                               const char  *number,
                               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;
  Appender app = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (!wt_manifest_number_validate (number, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  m = find_manifest (self, manifest_id, error);
  if (m == NULL)
    goto fail;
  if (m->number[0] != '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s already has its official number."), m->number);
      goto fail;
    }

  stmt = wt_db_prepare (self, "UPDATE manifest SET number = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_UNIQUE)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("Another manifest in this ledger already has the number %s."), number);
      else
        wt_db_error (self, error, "numbering the manifest");
      goto fail;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, number);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  payload = wt_json_text (node);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, m->id, "manifest_numbered", NULL, payload, NULL, error) ||
      !wt_appender_finish (self, &app, error) ||
      !wt_db_exec (self, "COMMIT", error))
    goto fail;
  ok = TRUE;
  goto out;

fail:
  wt_appender_clear (&app);
  wt_db_rollback (self);
out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
wt_ledger_manifest_expect (WtLedger           *self,
                           const char         *manifest_id,
                           const char * const *codes,
                           GError            **error)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (!check_codes (codes, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;
  m = find_manifest (self, manifest_id, error);
  if (m == NULL)
    goto fail;
  if (m->confirmed)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s was already handed over; its list cannot change."),
                   wt_manifest_get_display_number (m));
      goto fail;
    }

  stmt = wt_db_prepare (self,
                        "INSERT INTO manifest_item (manifest_id, code, expected, waste_code, expected_kg)"
                        " VALUES (?1, ?2, 1, ?3, ?4)"
                        " ON CONFLICT (manifest_id, code) DO UPDATE SET expected = 1",
                        error);
  if (stmt == NULL)
    goto fail;

  for (guint i = 0; codes[i]; i++)
    {
      g_autoptr(WtContainer) c = require_container (self, codes[i], error);

      if (c == NULL || !allowed (self, ACTION_SHIP, c, m->id, error))
        goto fail;
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, c->code, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, c->waste_code, -1, SQLITE_TRANSIENT);
      if (c->weight_kg >= 0)
        sqlite3_bind_double (stmt, 4, c->weight_kg);
      else
        sqlite3_bind_null (stmt, 4);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          wt_db_error (self, error, "planning the manifest");
          goto fail;
        }
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

/* ---- Resolving what was scanned or typed ---------------------------------------------------- */

static gboolean
code_exists (WtLedger   *self,
             const char *code)
{
  g_autoptr(sqlite3_stmt) stmt =
    wt_db_prepare (self,
                   "SELECT 1 FROM container WHERE code = ?1"
                   " UNION ALL SELECT 1 FROM manifest_item WHERE code = ?1 LIMIT 1",
                   NULL);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* Lock held. On success returns the canonical code and, for a QR payload,
 * the parsed payload. */
static char *
resolve_locked (WtLedger    *self,
                const char  *text,
                gssize       length,
                WtPayload  **out_payload,
                GError     **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *norm = NULL;
  gsize len = length < 0 ? strlen (text) : (gsize) length;

  if (out_payload)
    *out_payload = NULL;

  if (len >= 3 && text[0] == 'W' && text[1] == 'T' && g_ascii_isdigit (text[2]))
    {
      g_autoptr(GError) local = NULL;
      WtPayload *p = wt_payload_parse (text, len, &local);
      char *code;

      if (p == NULL && g_error_matches (local, WT_ERROR, WT_ERROR_CORRUPT_CODE))
        {
          /* A keyboard-wedge scanner cannot type the Chinese of the first
           * line. If putting the first line back as we print it makes the
           * whole payload check out, only that line was lost; anything else
           * (a truncation, a misread) is still refused. */
          g_autofree char *whole = g_strndup (text, len);
          const char *nl = strchr (whole, '\n');

          if (nl != NULL)
            {
              g_autofree char *fixed = g_strdup_printf ("WT%u 危险废物%s", (guint) WT_PAYLOAD_VERSION, nl);

              p = wt_payload_parse (fixed, -1, NULL);
            }
        }

      if (p == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      code = g_strdup (p->container_code);
      if (out_payload)
        *out_payload = p;
      else
        wt_payload_free (p);
      return code;
    }

  copy = g_strstrip (g_strndup (text, len));

  /* A code is letters, digits and grouping; anything else (a URL, a Wi-Fi
   * code, free text) is someone else's code. */
  for (const char *p = copy; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr (" -.·", *p) && !((guchar) *p == 0xC2 || (guchar) *p == 0xB7))
      {
        g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                     _("This code is not a Wastetag label."));
        return NULL;
      }

  norm = g_ascii_strup (copy, -1);
  {
    GString *s = g_string_new (NULL);

    for (const char *p = norm; *p; p++)
      if (g_ascii_isalnum (*p))
        g_string_append_c (s, *p);
    g_free (norm);
    norm = g_string_free (s, FALSE);
  }

  if (*norm == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE, _("This code is not a Wastetag label."));
      return NULL;
    }

  /* The canonical code as stored, or the printed form with its check
   * character. A code this ledger already knows wins. */
  if (code_exists (self, norm))
    return g_steal_pointer (&norm);

  {
    gsize n = strlen (norm);
    char given = norm[n - 1];
    g_autofree char *body = g_strndup (norm, n - 1);

    for (char *p = body; *p; p++)
      {
        if (*p == 'O')
          *p = '0';
        else if (*p == 'I')
          *p = '1';
      }

    if (n >= 2 && (given == wt_code_check_char (body) ||
                   (given == '0' && wt_code_check_char (body) == 'O') ||
                   (given == '1' && wt_code_check_char (body) == 'I')))
      return g_steal_pointer (&body);

    if (n == wt_code_split_length (&self->split))
      return g_steal_pointer (&norm);
  }

  return wt_code_parse_typed (&self->split, copy, error);
}

char *
wt_ledger_resolve_code (WtLedger    *self,
                        const char  *text,
                        GError     **error)
{
  char *code;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  g_mutex_lock (&self->lock);
  code = resolve_locked (self, text, -1, NULL, error);
  g_mutex_unlock (&self->lock);

  return code;
}

/* ---- Scanning ------------------------------------------------------------------------------- */

static WtScanResult *
result_new (WtScanResultKind  kind,
            const char       *code,
            WtContainer      *container,
            char             *message)
{
  WtScanResult *r = g_new0 (WtScanResult, 1);

  r->kind = kind;
  r->verdict = wt_scan_result_kind_verdict (kind);
  r->code = g_strdup (code);
  r->container = container;
  r->message = message;
  return r;
}

typedef struct
{
  gboolean exists;
  gboolean expected;
  gint     scans;
  char    *status;
  char    *waste_code;
} ItemRow;

static void
item_row_clear (ItemRow *row)
{
  g_clear_pointer (&row->status, g_free);
  g_clear_pointer (&row->waste_code, g_free);
}

static gboolean
read_item (WtLedger   *self,
           const char *manifest_id,
           const char *code,
           ItemRow    *row,
           GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  memset (row, 0, sizeof *row);
  stmt = wt_db_prepare (self,
                        "SELECT expected, scans, status, waste_code FROM manifest_item"
                        " WHERE manifest_id = ?1 AND code = ?2",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      row->exists = TRUE;
      row->expected = sqlite3_column_int (stmt, 0);
      row->scans = sqlite3_column_int (stmt, 1);
      row->status = wt_db_column_dup (stmt, 2);
      row->waste_code = wt_db_column_dup (stmt, 3);
    }
  else if (rc != SQLITE_DONE)
    return wt_db_error (self, error, "reading the scan list");
  return TRUE;
}

static gboolean
note_scan (WtLedger    *self,
           const char  *manifest_id,
           const char  *code,
           const char  *status,
           const char  *waste_code,
           const char  *payload,
           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = wt_db_prepare (self,
                        "INSERT INTO manifest_item (manifest_id, code, scans, status, waste_code, payload)"
                        " VALUES (?1, ?2, 1, ?3, ?4, ?5)"
                        " ON CONFLICT (manifest_id, code) DO UPDATE SET scans = scans + 1, status = ?3,"
                        "   payload = coalesce (?5, payload)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, status, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, waste_code ? waste_code : "", -1, SQLITE_STATIC);
  if (payload)
    sqlite3_bind_text (stmt, 5, payload, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "remembering the scan");
  return TRUE;
}

static gboolean
manifest_has_plan (WtLedger   *self,
                   const char *manifest_id,
                   const char *waste_code,
                   gboolean   *out_any,
                   gboolean   *out_waste_planned)
{
  g_autoptr(sqlite3_stmt) stmt =
    wt_db_prepare (self,
                   "SELECT count(*), sum (waste_code = ?2) FROM manifest_item"
                   " WHERE manifest_id = ?1 AND expected = 1",
                   NULL);

  *out_any = FALSE;
  *out_waste_planned = FALSE;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, waste_code ? waste_code : "", -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *out_any = sqlite3_column_int (stmt, 0) > 0;
      *out_waste_planned = sqlite3_column_int (stmt, 1) > 0;
    }
  return TRUE;
}

static WtScanResult *
scan_locked (WtLedger    *self,
             WtScanMode   mode,
             const char  *context,
             const char  *text,
             gssize       length,
             GError     **error)
{
  g_autoptr(WtPayload) payload = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(WtContainer) c = NULL;
  g_autoptr(WtManifest) m = NULL;
  g_autofree char *code = NULL;
  g_autofree char *payload_text = NULL;
  ItemRow item = { 0 };
  WtScanResult *r = NULL;

  code = resolve_locked (self, text, length, &payload, &local);
  if (code == NULL)
    {
      if (g_error_matches (local, WT_ERROR, WT_ERROR_FOREIGN_CODE))
        return result_new (WT_SCAN_RESULT_FOREIGN, NULL, NULL,
                           g_strdup (_("Not a Wastetag label: this QR code belongs to something else.")));
      return result_new (WT_SCAN_RESULT_DAMAGED, NULL, NULL, g_strdup (local->message));
    }

  if (payload != NULL)
    payload_text = g_strndup (text, length < 0 ? strlen (text) : (gsize) length);

  c = find_container (self, code, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  if ((mode == WT_SCAN_SHIP || mode == WT_SCAN_RECEIVE))
    {
      m = find_manifest (self, context ? context : "", error);
      if (m == NULL)
        return NULL;
      if (m->confirmed)
        return result_new (WT_SCAN_RESULT_WRONG_STATE, code, g_steal_pointer (&c),
                           g_strdup_printf (_("Manifest %s was already handed over; open a new one for more containers."),
                                            wt_manifest_get_display_number (m)));
      if (!read_item (self, m->id, code, &item, error))
        return NULL;
    }

  if (c != NULL && c->state == WT_CONTAINER_VOIDED)
    {
      r = result_new (WT_SCAN_RESULT_VOIDED, code, g_steal_pointer (&c),
                      g_strdup_printf (_("Voided label: %s must not be used. Set the container aside and print a new label."), code));
      goto out;
    }

  switch (mode)
    {
    case WT_SCAN_LOOKUP:
      if (c == NULL)
        r = result_new (WT_SCAN_RESULT_UNKNOWN, code, NULL,
                        g_strdup_printf (_("%s is not registered in this ledger."), code));
      else
        {
          char *msg = g_strdup (wt_container_state_to_string (c->state));

          r = result_new (WT_SCAN_RESULT_OK, code, g_steal_pointer (&c), msg);
        }
      break;

    case WT_SCAN_STORE:
    case WT_SCAN_TREAT:
      if (c == NULL)
        r = result_new (WT_SCAN_RESULT_UNKNOWN, code, NULL,
                        g_strdup_printf (_("%s is not registered in this ledger."), code));
      else if (!allowed (self, mode == WT_SCAN_STORE ? ACTION_STORE : ACTION_TREAT, c, NULL, &local))
        r = result_new (WT_SCAN_RESULT_WRONG_STATE, code, g_steal_pointer (&c), g_strdup (local->message));
      else
        r = result_new (WT_SCAN_RESULT_OK, code, g_steal_pointer (&c),
                        g_strdup (mode == WT_SCAN_STORE ? _("OK to store") : _("OK to treat")));
      break;

    case WT_SCAN_SHIP:
      {
        gboolean any_plan, waste_planned;

        if (c == NULL)
          {
            r = result_new (WT_SCAN_RESULT_UNKNOWN, code, NULL,
                            g_strdup_printf (_("%s is not registered in this ledger; it cannot leave under this manifest."), code));
            break;
          }
        if (item.exists && item.scans > 0 && g_strcmp0 (item.status, "ok") == 0)
          {
            if (!note_scan (self, m->id, code, "ok", c->waste_code, NULL, error))
              goto fail;
            r = result_new (WT_SCAN_RESULT_ALREADY_SCANNED, code, g_steal_pointer (&c),
                            g_strdup (_("Already scanned: counted once.")));
            break;
          }
        if (!allowed (self, ACTION_SHIP, c, m->id, &local))
          {
            if (!note_scan (self, m->id, code, c->state == WT_CONTAINER_SHIPPED ? "already_shipped" : "refused",
                            c->waste_code, NULL, error))
              goto fail;
            r = result_new (WT_SCAN_RESULT_WRONG_STATE, code, g_steal_pointer (&c), g_strdup (local->message));
            break;
          }
        manifest_has_plan (self, m->id, c->waste_code, &any_plan, &waste_planned);
        if (any_plan && !item.expected)
          {
            gboolean wrong = !waste_planned;

            if (!note_scan (self, m->id, code, wrong ? "wrong_waste" : "unexpected", c->waste_code, NULL, error))
              goto fail;
            r = result_new (wrong ? WT_SCAN_RESULT_WRONG_WASTE : WT_SCAN_RESULT_NOT_EXPECTED,
                            code, g_steal_pointer (&c),
                            wrong
                              ? g_strdup_printf (_("Wrong waste: %s is not planned on manifest %s."),
                                                 code, wt_manifest_get_display_number (m))
                              : g_strdup_printf (_("Not on manifest %s: leave %s behind."),
                                                 wt_manifest_get_display_number (m), code));
            break;
          }
        if (!note_scan (self, m->id, code, "ok", c->waste_code, NULL, error))
          goto fail;
        r = result_new (WT_SCAN_RESULT_OK, code, g_steal_pointer (&c), g_strdup (_("OK to load")));
        r->counted = TRUE;
      }
      break;

    case WT_SCAN_RECEIVE:
      {
        g_autofree char *waste = NULL;

        if (item.exists && item.scans > 0 && g_strcmp0 (item.status, "ok") == 0)
          {
            if (!note_scan (self, m->id, code, "ok", item.waste_code, NULL, error))
              goto fail;
            r = result_new (WT_SCAN_RESULT_ALREADY_SCANNED, code, g_steal_pointer (&c),
                            g_strdup (_("Already scanned: counted once.")));
            break;
          }

        if (c != NULL && c->state != WT_CONTAINER_SHIPPED && !item.expected)
          {
            char *msg;

            allowed (self, ACTION_RECEIVE, c, m->id, &local);
            msg = g_strdup (local ? local->message : "");
            r = result_new (WT_SCAN_RESULT_WRONG_STATE, code, g_steal_pointer (&c), msg);
            break;
          }

        if (c != NULL && c->state == WT_CONTAINER_SHIPPED && c->manifest_id &&
            g_strcmp0 (c->manifest_id, m->id) != 0 && !item.expected)
          {
            g_autofree char *other = NULL;
            char *msg = g_strdup_printf (_("%s travels under another manifest (%s), not %s."),
                                         code, manifest_label (self, c->manifest_id, &other),
                                         wt_manifest_get_display_number (m));

            r = result_new (WT_SCAN_RESULT_NOT_EXPECTED, code, g_steal_pointer (&c), msg);
            break;
          }

        if (item.expected)
          {
            if (!note_scan (self, m->id, code, "ok", item.waste_code, payload_text, error))
              goto fail;
            r = result_new (WT_SCAN_RESULT_OK, code, g_steal_pointer (&c), g_strdup (_("On the manifest: OK to accept")));
            r->counted = TRUE;
            break;
          }

        /* Not on the receipt. A container of another producer is someone
         * else's manifest; one of this producer that we know nothing about
         * is accepted, flagged until sync brings its history. */
        if (strlen (code) >= 18 && strncmp (code, m->producer_uscc, strlen (m->producer_uscc)) != 0)
          {
            r = result_new (WT_SCAN_RESULT_NOT_EXPECTED, code, g_steal_pointer (&c),
                            g_strdup_printf (_("%s comes from another producer, not from %s: it does not belong to manifest %s."),
                                             code, m->producer, wt_manifest_get_display_number (m)));
            break;
          }

        waste = payload ? g_strdup (payload->waste_code) : waste_code_of (code, &self->split);
        if (!note_scan (self, m->id, code, "unknown_predecessor", waste, payload_text, error))
          goto fail;
        r = result_new (WT_SCAN_RESULT_PREDECESSOR_UNKNOWN, code, g_steal_pointer (&c),
                        g_strdup (_("Not on the receipt and unknown here: accepted with its history to come.")));
        r->counted = TRUE;
      }
      break;

    default:
      g_assert_not_reached ();
    }

  goto out;

fail:
  g_clear_pointer (&r, wt_scan_result_free);

out:
  item_row_clear (&item);
  return r;
}

WtScanResult *
wt_ledger_scan (WtLedger    *self,
                WtScanMode   mode,
                const char  *context,
                const char  *text,
                gssize       length,
                GError     **error)
{
  WtScanResult *r;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (!wt_ledger_require_site (self, error))
    r = NULL;
  else
    r = scan_locked (self, mode, context, text, length, error);
  g_mutex_unlock (&self->lock);

  return r;
}

/* ---- Reconciliation -------------------------------------------------------------------------- */

static GStrv
collect (WtLedger   *self,
         const char *manifest_id,
         const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT code FROM manifest_item WHERE manifest_id = ?1 AND (%s) ORDER BY code", where);
  g_autoptr(sqlite3_stmt) stmt = wt_db_prepare (self, sql, NULL);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_strv_builder_add (b, (const char *) sqlite3_column_text (stmt, 0));
    }

  return g_strv_builder_end (b);
}

/* Scan-list statuses that count as "scanned": good scans and the
 * containers they became once the handover was confirmed. */
#define COUNTED "('ok', 'unknown_predecessor', 'shipped', 'received', 'rejected')"

static void
tally_free (gpointer data)
{
  WtWasteTally *t = data;

  g_free (t->waste_code);
  g_free (t);
}

WtReconciliation *
wt_ledger_reconcile (WtLedger    *self,
                     const char  *manifest_id,
                     GError     **error)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  WtReconciliation *rec = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  m = find_manifest (self, manifest_id, error);
  if (m == NULL)
    goto out;

  rec = g_new0 (WtReconciliation, 1);
  rec->missing = collect (self, m->id, "expected = 1 AND (scans = 0 OR status NOT IN " COUNTED ")");
  rec->unexpected = collect (self, m->id, "expected = 0 AND status IN ('unexpected', 'unknown_predecessor')");
  rec->duplicates = collect (self, m->id, "scans > 1");
  rec->already_shipped = collect (self, m->id, "status = 'already_shipped'");
  rec->wrong_waste = collect (self, m->id, "status = 'wrong_waste'");
  rec->tallies = g_ptr_array_new_with_free_func (tally_free);

  stmt = wt_db_prepare (self,
                        "SELECT i.waste_code,"
                        "  sum (i.expected), sum (i.scans > 0 AND i.status IN " COUNTED "),"
                        "  sum (CASE WHEN i.expected THEN coalesce (i.expected_kg, 0) END),"
                        "  sum (CASE WHEN i.scans > 0 AND i.status IN " COUNTED
                        "       THEN coalesce (i.weight_kg, c.weight_kg, i.expected_kg, 0) END)"
                        "  FROM manifest_item i LEFT JOIN container c ON c.code = i.code"
                        " WHERE i.manifest_id = ?1 GROUP BY i.waste_code ORDER BY i.waste_code",
                        error);
  if (stmt == NULL)
    {
      g_clear_pointer (&rec, wt_reconciliation_free);
      goto out;
    }
  sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      WtWasteTally *t = g_new0 (WtWasteTally, 1);

      t->waste_code = wt_db_column_dup (stmt, 0);
      t->expected = sqlite3_column_int (stmt, 1);
      t->scanned = sqlite3_column_int (stmt, 2);
      t->expected_kg = sqlite3_column_double (stmt, 3);
      t->scanned_kg = sqlite3_column_double (stmt, 4);
      rec->n_expected += t->expected;
      rec->n_scanned += t->scanned;
      g_ptr_array_add (rec->tallies, t);
    }

out:
  g_mutex_unlock (&self->lock);
  return rec;
}

/* ---- People and their PINs ---------------------------------------------------------------- */

/* A person confirms a handover with a short PIN on this device. The first
 * use of a name sets the PIN; later uses must match. The PIN shows that the
 * named person was present, nothing more: it is short by design. Lock held. */
gboolean
wt_ledger_check_party (WtLedger       *self,
                       const WtParty  *party,
                       GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *name = g_strstrip (g_strdup (party->name ? party->name : ""));
  const char *pin = party->pin ? party->pin : "";
  gsize pin_len = strlen (pin);
  int rc;

  if (*name == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Each party to the handover gives their name."));
      return FALSE;
    }

  if (pin_len < 4 || pin_len > 8 || strspn (pin, "0123456789") != pin_len)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("%s’s PIN must be 4 to 8 digits."), name);
      return FALSE;
    }

  stmt = wt_db_prepare (self, "SELECT pin_hash FROM person WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (crypto_pwhash_str_verify ((const char *) sqlite3_column_text (stmt, 0), pin, pin_len) != 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("The PIN of %s is not right."), name);
          return FALSE;
        }
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return wt_db_error (self, error, "checking a PIN");
  g_clear_pointer (&stmt, sqlite3_finalize);

  {
    char hash[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str (hash, pin, pin_len, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) != 0)
      {
        g_set_error (error, WT_ERROR, WT_ERROR_IO, _("The PIN could not be stored."));
        return FALSE;
      }
    stmt = wt_db_prepare (self, "INSERT INTO person VALUES (?1, ?2, ?3)", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 3, wt_ledger_now_ms (self));
    if (sqlite3_step (stmt) != SQLITE_DONE)
      return wt_db_error (self, error, "saving a PIN");
  }

  return TRUE;
}

static void
add_parties (JsonBuilder   *b,
             const WtParty *parties,
             guint          n_parties)
{
  json_builder_set_member_name (b, "parties");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_parties; i++)
    json_builder_add_string_value (b, parties[i].name);
  json_builder_end_array (b);
}

/* ---- Ship ------------------------------------------------------------------------------------ */

typedef struct
{
  WtManifest         *manifest;
  const char * const *codes;
  const WtParty      *parties;
  guint               n_parties;
} ShipData;

static gboolean
mark_manifest (WtLedger      *self,
               Appender      *app,
               WtManifest    *m,
               const char    *kind,
               const WtParty *parties,
               guint          n_parties,
               guint          n_containers,
               GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *payload = NULL;

  stmt = wt_db_prepare (self,
                        "UPDATE manifest SET status = 'confirmed', confirmed_ms = ?2 WHERE id = ?1 AND status = 'open'",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, wt_ledger_now_ms (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "confirming the manifest");
  if (sqlite3_changes (self->db) != 1)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s was already handed over; it is confirmed only once."),
                   wt_manifest_get_display_number (m));
      return FALSE;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "containers");
  json_builder_add_int_value (b, n_containers);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, m->direction == WT_MANIFEST_INCOMING ? "in" : "out");
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, wt_manifest_get_display_number (m));
  add_parties (b, parties, n_parties);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  payload = wt_json_text (node);

  return wt_appender_add (self, app, m->id, kind, NULL, payload, NULL, error);
}

static gboolean
ship_body (WtLedger  *self,
           Appender  *app,
           gpointer   data,
           GError   **error)
{
  ShipData *d = data;
  WtManifest *m = d->manifest;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = 0;

  for (guint i = 0; i < d->n_parties; i++)
    if (!wt_ledger_check_party (self, &d->parties[i], error))
      return FALSE;

  for (guint i = 0; d->codes[i]; i++)
    {
      g_autoptr(WtContainer) c = NULL;
      g_autoptr(JsonBuilder) b = json_builder_new ();

      if (!g_hash_table_add (seen, (gpointer) d->codes[i]))
        continue;

      c = require_container (self, d->codes[i], error);
      if (c == NULL || !allowed (self, ACTION_SHIP, c, m->id, error))
        return FALSE;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "carrier");
      json_builder_add_string_value (b, m->carrier);
      json_builder_set_member_name (b, "manifest");
      json_builder_add_string_value (b, m->id);
      json_builder_set_member_name (b, "number");
      json_builder_add_string_value (b, wt_manifest_get_display_number (m));
      json_builder_set_member_name (b, "receiver");
      json_builder_add_string_value (b, m->receiver);
      json_builder_set_member_name (b, "vehicle");
      json_builder_add_string_value (b, m->vehicle);
      json_builder_set_member_name (b, "weight_kg");
      if (c->weight_kg >= 0)
        json_builder_add_double_value (b, c->weight_kg);
      else
        json_builder_add_null_value (b);
      /* record() adds the batch and closes the object. */

      if (!record (self, app, c->code, "shipped", b, "shipped", NULL, m->id, -1, error))
        return FALSE;

      {
        g_autoptr(sqlite3_stmt) stmt =
          wt_db_prepare (self,
                         "INSERT INTO manifest_item (manifest_id, code, scans, status, waste_code, weight_kg)"
                         " VALUES (?1, ?2, 1, 'shipped', ?3, ?4)"
                         " ON CONFLICT (manifest_id, code) DO UPDATE SET status = 'shipped', scans = max (scans, 1)",
                         error);

        if (stmt == NULL)
          return FALSE;
        sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, c->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, c->waste_code, -1, SQLITE_STATIC);
        if (c->weight_kg >= 0)
          sqlite3_bind_double (stmt, 4, c->weight_kg);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          return wt_db_error (self, error, "updating the scan list");
      }
      n++;
    }

  return mark_manifest (self, app, m, "handover", d->parties, d->n_parties, n, error);
}

static gboolean
check_parties (const WtParty  *parties,
               guint           n_parties,
               GError        **error)
{
  for (guint i = 0; i < n_parties; i++)
    for (guint k = i + 1; k < n_parties; k++)
      if (g_strcmp0 (parties[i].name, parties[k].name) == 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("Both parties must confirm: the one handing over and the one taking over are different people."));
          return FALSE;
        }
  return TRUE;
}

gboolean
wt_ledger_ship (WtLedger           *self,
                const char         *manifest_id,
                const char * const *codes,
                const WtParty      *parties,
                guint               n_parties,
                GError            **error)
{
  g_autoptr(WtManifest) m = NULL;
  ShipData d;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (!check_codes (codes, error) || !check_parties (parties, n_parties, error))
    return FALSE;

  m = wt_ledger_get_manifest (self, manifest_id, error);
  if (m == NULL)
    return FALSE;
  if (m->direction != WT_MANIFEST_OUTGOING)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s was loaded from a receipt: containers are received under it, not shipped."),
                   wt_manifest_get_display_number (m));
      return FALSE;
    }

  d.manifest = m;
  d.codes = codes;
  d.parties = parties;
  d.n_parties = n_parties;

  return in_transaction (self, n_parties > 0 ? parties[0].name : NULL, ship_body, &d, error);
}

/* ---- Receive --------------------------------------------------------------------------------- */

typedef struct
{
  WtManifest          *manifest;
  const WtReceiveItem *items;
  guint                n_items;
  const WtParty       *parties;
  guint                n_parties;
} ReceiveData;

/* Creates the local container row for a container received before its
 * history arrived here: what the receipt or its label says. Lock held. */
static gboolean
adopt_container (WtLedger    *self,
                 const char  *code,
                 const char  *waste_code,
                 guint        hazards,
                 const char  *date,
                 double       weight_kg,
                 gboolean     predecessor_unknown,
                 GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const WtWaste *w = wt_catalogue_lookup (wt_catalogue_get (WT_CATALOGUE_HW_2021), waste_code);

  stmt = wt_db_prepare (self,
                        "INSERT INTO container (code, waste_code, waste_name, common_name, hazards, weight_kg,"
                        "  state, reprints, labelled_ms, day, label, last_event, predecessor_unknown, updated_ms)"
                        " VALUES (?1, ?2, ?3, '', ?4, ?5, 'shipped', 0, ?6, ?7, '{}', zeroblob (0), ?8, ?6)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, waste_code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, w ? w->description : "", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, hazards ? hazards : (w ? w->hazards : 0));
  if (weight_kg >= 0)
    sqlite3_bind_double (stmt, 5, weight_kg);
  sqlite3_bind_int64 (stmt, 6, wt_ledger_now_ms (self));
  sqlite3_bind_text (stmt, 7, date ? date : "", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 8, predecessor_unknown);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return wt_db_error (self, error, "adding a received container");
  return TRUE;
}

static gboolean
receive_body (WtLedger  *self,
              Appender  *app,
              gpointer   data,
              GError   **error)
{
  ReceiveData *d = data;
  WtManifest *m = d->manifest;
  guint n = 0;

  for (guint i = 0; i < d->n_parties; i++)
    if (!wt_ledger_check_party (self, &d->parties[i], error))
      return FALSE;

  for (guint i = 0; i < d->n_items; i++)
    {
      const WtReceiveItem *it = &d->items[i];
      g_autoptr(WtContainer) c = NULL;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      ItemRow item = { 0 };
      gboolean unknown = FALSE;
      double expected_kg = -1;
      GError *local = NULL;

      if (it->reject && !wt_check_reason (it->reason, NULL))
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("Say why %s is rejected."), it->code);
          return FALSE;
        }
      if (it->weight_kg >= 0 && (isnan (it->weight_kg) || isinf (it->weight_kg)))
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("The weight is not a number."));
          return FALSE;
        }

      if (!read_item (self, m->id, it->code, &item, error))
        return FALSE;

      {
        g_autoptr(sqlite3_stmt) stmt =
          wt_db_prepare (self, "SELECT expected_kg FROM manifest_item WHERE manifest_id = ?1 AND code = ?2", NULL);

        if (stmt != NULL)
          {
            sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 2, it->code, -1, SQLITE_STATIC);
            if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
              expected_kg = sqlite3_column_double (stmt, 0);
          }
      }

      c = find_container (self, it->code, &local);
      if (local)
        {
          g_propagate_error (error, local);
          item_row_clear (&item);
          return FALSE;
        }

      if (c == NULL)
        {
          g_autofree char *waste = NULL;

          if (!item.expected && strncmp (it->code, m->producer_uscc, strlen (m->producer_uscc)) != 0)
            {
              g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                           _("%s comes from another producer, not from %s: it does not belong to manifest %s."),
                           it->code, m->producer, wt_manifest_get_display_number (m));
              item_row_clear (&item);
              return FALSE;
            }
          unknown = !item.expected;
          waste = item.waste_code && item.waste_code[0] ? g_strdup (item.waste_code)
                                                        : waste_code_of (it->code, &self->split);
          if (!adopt_container (self, it->code, waste, 0, NULL, expected_kg, unknown, error))
            {
              item_row_clear (&item);
              return FALSE;
            }
          c = find_container (self, it->code, error);
          if (c == NULL)
            {
              item_row_clear (&item);
              return FALSE;
            }
        }
      else
        {
          if (!allowed (self, ACTION_RECEIVE, c, m->id, error))
            {
              item_row_clear (&item);
              return FALSE;
            }
          if (c->manifest_id && g_strcmp0 (c->manifest_id, m->id) != 0 && !item.expected)
            {
              g_autofree char *other = NULL;

              g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                           _("%s travels under another manifest (%s), not %s."),
                           c->code, manifest_label (self, c->manifest_id, &other),
                           wt_manifest_get_display_number (m));
              item_row_clear (&item);
              return FALSE;
            }
          if (expected_kg < 0)
            expected_kg = c->weight_kg;
        }
      item_row_clear (&item);

      json_builder_begin_object (b);
      if (it->weight_kg >= 0 && expected_kg >= 0)
        {
          double diff = fabs (it->weight_kg - expected_kg);
          gboolean off = diff > MAX (WEIGHT_TOLERANCE_MIN_KG, expected_kg * WEIGHT_TOLERANCE_FRACTION);

          json_builder_set_member_name (b, "expected_kg");
          json_builder_add_double_value (b, expected_kg);
          json_builder_set_member_name (b, "weight_discrepancy");
          json_builder_add_boolean_value (b, off);
        }
      json_builder_set_member_name (b, "manifest");
      json_builder_add_string_value (b, m->id);
      json_builder_set_member_name (b, "number");
      json_builder_add_string_value (b, wt_manifest_get_display_number (m));
      json_builder_set_member_name (b, "predecessor_unknown");
      json_builder_add_boolean_value (b, unknown);
      if (it->reject)
        {
          json_builder_set_member_name (b, "reason");
          json_builder_add_string_value (b, it->reason);
        }
      json_builder_set_member_name (b, "weight_kg");
      if (it->weight_kg >= 0)
        json_builder_add_double_value (b, it->weight_kg);
      else
        json_builder_add_null_value (b);
      /* record() adds the batch and closes the object. */

      if (!record (self, app, c->code, it->reject ? "rejected" : "received", b,
                   it->reject ? "rejected" : "received", NULL, m->id, it->weight_kg, error))
        return FALSE;

      {
        g_autoptr(sqlite3_stmt) stmt =
          wt_db_prepare (self,
                         "INSERT INTO manifest_item (manifest_id, code, scans, status, waste_code, weight_kg, reject, reason)"
                         " VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7)"
                         " ON CONFLICT (manifest_id, code) DO UPDATE SET status = ?3, scans = max (scans, 1),"
                         "   weight_kg = coalesce (?5, weight_kg), reject = ?6, reason = ?7",
                         error);

        if (stmt == NULL)
          return FALSE;
        sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, c->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, it->reject ? "rejected" : "received", -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 4, c->waste_code, -1, SQLITE_STATIC);
        if (it->weight_kg >= 0)
          sqlite3_bind_double (stmt, 5, it->weight_kg);
        sqlite3_bind_int (stmt, 6, it->reject);
        if (it->reject)
          sqlite3_bind_text (stmt, 7, it->reason, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          return wt_db_error (self, error, "updating the scan list");
      }
      n++;
    }

  return mark_manifest (self, app, m, "handover", d->parties, d->n_parties, n, error);
}

gboolean
wt_ledger_receive (WtLedger            *self,
                   const char          *manifest_id,
                   const WtReceiveItem *items,
                   guint                n_items,
                   const WtParty       *parties,
                   guint                n_parties,
                   GError             **error)
{
  g_autoptr(WtManifest) m = NULL;
  ReceiveData d;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (n_items == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("Name at least one container."));
      return FALSE;
    }
  if (!check_parties (parties, n_parties, error))
    return FALSE;

  m = wt_ledger_get_manifest (self, manifest_id, error);
  if (m == NULL)
    return FALSE;
  if (m->direction != WT_MANIFEST_INCOMING)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s was opened here for containers leaving this site; load the receipt of an incoming manifest to receive containers."),
                   wt_manifest_get_display_number (m));
      return FALSE;
    }

  d.manifest = m;
  d.items = items;
  d.n_items = n_items;
  d.parties = parties;
  d.n_parties = n_parties;

  return in_transaction (self, n_parties > 0 ? parties[0].name : NULL, receive_body, &d, error);
}

gboolean
wt_ledger_manifest_set_item (WtLedger    *self,
                             const char  *manifest_id,
                             const char  *code,
                             gboolean     reject,
                             const char  *reason,
                             double       weight_kg,
                             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (reject && !wt_check_reason (reason, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "UPDATE manifest_item SET reject = ?3, reason = ?4, weight_kg = ?5"
                        " WHERE manifest_id = ?1 AND code = ?2",
                        error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, code, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, reject);
      if (reject)
        sqlite3_bind_text (stmt, 4, reason, -1, SQLITE_STATIC);
      if (weight_kg >= 0)
        sqlite3_bind_double (stmt, 5, weight_kg);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        wt_db_error (self, error, "updating the scan list");
      else if (sqlite3_changes (self->db) != 1)
        g_set_error (error, WT_ERROR, WT_ERROR_NOT_FOUND,
                     _("%s has not been scanned for this manifest."), code);
      else
        ok = TRUE;
    }
  g_mutex_unlock (&self->lock);

  return ok;
}

gboolean
wt_ledger_confirm_handover (WtLedger       *self,
                            const char     *manifest_id,
                            const WtParty  *parties,
                            guint           n_parties,
                            GError        **error)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (WtReceiveItem));
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (n_parties < 2)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Both parties confirm a handover, each with their name and PIN."));
      return FALSE;
    }

  m = wt_ledger_get_manifest (self, manifest_id, error);
  if (m == NULL)
    return FALSE;
  if (m->confirmed)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("Manifest %s was already handed over; it is confirmed only once."),
                   wt_manifest_get_display_number (m));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "SELECT code, reject, reason, weight_kg FROM manifest_item"
                        " WHERE manifest_id = ?1 AND scans > 0 AND status IN ('ok', 'unknown_predecessor')"
                        " ORDER BY code",
                        error);
  if (stmt == NULL)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WtReceiveItem it = { 0 };
      char *code = wt_db_column_dup (stmt, 0);

      g_ptr_array_add (codes, code);
      it.code = code;
      it.reject = sqlite3_column_int (stmt, 1);
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        {
          char *reason = wt_db_column_dup (stmt, 2);

          g_ptr_array_add (reasons, reason);
          it.reason = reason;
        }
      it.weight_kg = sqlite3_column_type (stmt, 3) == SQLITE_NULL ? -1 : sqlite3_column_double (stmt, 3);
      g_array_append_val (items, it);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  /* A container whose condition check failed must carry a reason before
   * the handover is signed. */
  stmt = wt_db_prepare (self,
                        "SELECT i.code FROM manifest_item i JOIN event e ON e.id ="
                        "   (SELECT max (id) FROM event WHERE container_code = i.code AND kind = 'inspected')"
                        " WHERE i.manifest_id = ?1 AND i.scans > 0"
                        "   AND i.status IN ('ok', 'unknown_predecessor')"
                        "   AND json_extract (e.payload, '$.failed') = 1"
                        "   AND coalesce (json_extract (e.payload, '$.reason'), '') = '' LIMIT 1",
                        NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, m->id, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                       _("The condition check of %s failed and has no reason yet; record the reason before confirming."),
                       (const char *) sqlite3_column_text (stmt, 0));
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
    }
  g_mutex_unlock (&self->lock);

  if (codes->len == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("No container has been scanned for manifest %s yet."),
                   wt_manifest_get_display_number (m));
      return FALSE;
    }

  if (m->direction == WT_MANIFEST_OUTGOING)
    {
      g_ptr_array_add (codes, NULL);
      return wt_ledger_ship (self, m->id, (const char * const *) codes->pdata, parties, n_parties, error);
    }

  return wt_ledger_receive (self, m->id, (WtReceiveItem *) items->data, items->len,
                            parties, n_parties, error);
}

/* ---- Treat, weigh, inspect ------------------------------------------------------------------------- */

typedef struct
{
  const char         *method_code;
  const char         *method_name;
  const char * const *codes;
} TreatData;

static gboolean
treat_body (WtLedger  *self,
            Appender  *app,
            gpointer   data,
            GError   **error)
{
  TreatData *d = data;

  for (guint i = 0; d->codes[i]; i++)
    {
      g_autoptr(WtContainer) c = require_container (self, d->codes[i], error);
      g_autoptr(JsonBuilder) b = json_builder_new ();

      if (c == NULL || !allowed (self, ACTION_TREAT, c, NULL, error))
        return FALSE;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, d->method_code);
      json_builder_set_member_name (b, "method_name");
      json_builder_add_string_value (b, d->method_name);
      /* At the producer, treatment is 自行利用/处置; after receipt it is the
       * receiver's. Reports tell them apart by this flag. */
      json_builder_set_member_name (b, "self");
      json_builder_add_boolean_value (b, c->state != WT_CONTAINER_RECEIVED);
      /* record() adds the batch and closes the object. */

      if (!record (self, app, c->code, "treated", b, "treated", NULL, NULL, -1, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
wt_ledger_treat (WtLedger           *self,
                 const char         *method_code,
                 const char * const *codes,
                 GError            **error)
{
  g_autoptr(GPtrArray) methods = NULL;
  TreatData d = { method_code, NULL, codes };

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (!check_codes (codes, error))
    return FALSE;

  methods = wt_ledger_list_methods (self, error);
  if (methods == NULL)
    return FALSE;
  for (guint i = 0; i < methods->len; i++)
    {
      WtMethod *m = g_ptr_array_index (methods, i);

      if (g_strcmp0 (m->code, method_code) == 0)
        d.method_name = m->name;
    }
  if (d.method_name == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("“%s” is not in this site’s list of treatment methods. Choose one from the list, or add it first."),
                   method_code ? method_code : "");
      return FALSE;
    }

  return in_transaction (self, NULL, treat_body, &d, error);
}

typedef struct
{
  const char        *code;
  double             weight_kg;
  const WtCondition *condition;
} OneData;

static gboolean
weigh_body (WtLedger  *self,
            Appender  *app,
            gpointer   data,
            GError   **error)
{
  OneData *d = data;
  g_autoptr(WtContainer) c = require_container (self, d->code, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (c == NULL || !allowed (self, ACTION_WEIGH, c, NULL, error))
    return FALSE;

  json_builder_begin_object (b);
  if (d->condition)
    {
      const WtCondition *k = d->condition;

      json_builder_set_member_name (b, "bulging");
      json_builder_add_boolean_value (b, k->bulging);
      json_builder_set_member_name (b, "corroded");
      json_builder_add_boolean_value (b, k->corroded);
      json_builder_set_member_name (b, "failed");
      json_builder_add_boolean_value (b, wt_condition_failed (k));
      json_builder_set_member_name (b, "label_legible");
      json_builder_add_boolean_value (b, k->label_legible);
      json_builder_set_member_name (b, "leaking");
      json_builder_add_boolean_value (b, k->leaking);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, k->reason ? k->reason : "");
      json_builder_set_member_name (b, "seal_intact");
      json_builder_add_boolean_value (b, k->seal_intact);
    }
  else
    {
      json_builder_set_member_name (b, "previous_kg");
      if (c->weight_kg >= 0)
        json_builder_add_double_value (b, c->weight_kg);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "weight_kg");
      json_builder_add_double_value (b, d->weight_kg);
    }
  /* record() adds the batch and closes the object. */

  return record (self, app, c->code, d->condition ? "inspected" : "weighed", b, NULL, NULL, NULL,
                 d->condition ? -1 : d->weight_kg, error);
}

gboolean
wt_ledger_weigh (WtLedger    *self,
                 const char  *code,
                 double       weight_kg,
                 GError     **error)
{
  OneData d = { code, weight_kg, NULL };

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (isnan (weight_kg) || isinf (weight_kg) || weight_kg < 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The weight must be a number of kilograms, zero or more."));
      return FALSE;
    }

  return in_transaction (self, NULL, weigh_body, &d, error);
}

gboolean
wt_ledger_inspect (WtLedger           *self,
                   const char         *code,
                   const WtCondition  *condition,
                   GError            **error)
{
  OneData d = { code, -1, condition };

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (condition != NULL, FALSE);

  return in_transaction (self, NULL, weigh_body, &d, error);
}

/* ---- Treatment methods ------------------------------------------------------------------------------ */

GPtrArray *
wt_ledger_list_methods (WtLedger  *self,
                        GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self, "SELECT code, name FROM treatment_method ORDER BY substr (code, 1, 1) DESC, length (code), code", error);
  if (stmt != NULL)
    {
      ret = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_method_free);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          WtMethod *m = g_new0 (WtMethod, 1);

          m->code = wt_db_column_dup (stmt, 0);
          m->name = wt_db_column_dup (stmt, 1);
          g_ptr_array_add (ret, m);
        }
    }
  g_mutex_unlock (&self->lock);

  return ret;
}

gboolean
wt_ledger_set_method (WtLedger    *self,
                      const char  *code,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  if (code == NULL || *code == '\0' || name == NULL || *name == '\0')
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("A treatment method needs a code and a name."));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  stmt = wt_db_prepare (self,
                        "INSERT INTO treatment_method VALUES (?1, ?2)"
                        " ON CONFLICT (code) DO UPDATE SET name = ?2",
                        error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        wt_db_error (self, error, "saving the method");
      else
        ok = TRUE;
    }
  g_mutex_unlock (&self->lock);

  return ok;
}

/* ---- Handover receipts ------------------------------------------------------------------------------ */

static char *
clean_field (const char *text)
{
  char *s = g_strdup (text ? text : "");

  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
    else if (*p == '|')
      *p = '/';
  return s;
}

static char *
format_kg (double kg)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (kg < 0)
    return g_strdup ("");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3f", kg));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
shipped_rows (WtLedger    *self,
              const char  *manifest_id,
              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *rows;

  stmt = wt_db_prepare (self,
                        "SELECT i.code, i.waste_code, coalesce (c.waste_name, ''),"
                        "  coalesce (i.weight_kg, c.weight_kg, -1)"
                        "  FROM manifest_item i LEFT JOIN container c ON c.code = i.code"
                        " WHERE i.manifest_id = ?1 AND i.status = 'shipped' ORDER BY i.code",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) wt_receipt_row_free);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      WtReceiptRow *r = g_new0 (WtReceiptRow, 1);

      r->code = wt_db_column_dup (stmt, 0);
      r->waste_code = wt_db_column_dup (stmt, 1);
      r->waste_name = wt_db_column_dup (stmt, 2);
      r->weight_kg = sqlite3_column_double (stmt, 3);
      g_ptr_array_add (rows, r);
    }
  return rows;
}

static char *
handover_parties (WtLedger   *self,
                  const char *manifest_id)
{
  g_autoptr(sqlite3_stmt) stmt =
    wt_db_prepare (self,
                   "SELECT (SELECT group_concat (value, '、') FROM json_each (json_extract (payload, '$.parties')))"
                   "  FROM event WHERE container_code = ?1 AND kind = 'handover' ORDER BY id DESC LIMIT 1",
                   NULL);

  if (stmt == NULL)
    return g_strdup ("");
  sqlite3_bind_text (stmt, 1, manifest_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    return wt_db_column_dup (stmt, 0);
  return g_strdup ("");
}

/* Lock held. */
static GStrv
receipt_payloads_locked (WtLedger    *self,
                         WtManifest  *m,
                         GPtrArray   *rows,
                         GError     **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  g_autofree char *digest = NULL;
  g_autofree char *producer = clean_field (m->producer);
  g_autofree char *carrier = clean_field (m->carrier);
  g_autofree char *vehicle = clean_field (m->vehicle);
  g_autofree char *receiver = clean_field (m->receiver);
  g_autofree char *split = wt_code_split_to_string (&self->split);
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
  guint n_parts;

  if (!self->have_key)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_IO, _("This device’s signing key is missing, so it cannot sign a receipt."));
      return NULL;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      WtReceiptRow *r = g_ptr_array_index (rows, i);
      g_autofree char *kg = format_kg (r->weight_kg);

      g_ptr_array_add (lines, g_strdup_printf ("%s|%s", r->code, kg));
    }
  g_ptr_array_sort (lines, compare_strings);

  {
    crypto_hash_sha256_state st;
    guint8 hash[32];
    char hex[33];

    crypto_hash_sha256_init (&st);
    for (guint i = 0; i < lines->len; i++)
      {
        const char *l = g_ptr_array_index (lines, i);

        crypto_hash_sha256_update (&st, (const guint8 *) l, strlen (l));
        crypto_hash_sha256_update (&st, (const guint8 *) "\n", 1);
      }
    crypto_hash_sha256_final (&st, hash);
    sodium_bin2hex (hex, sizeof hex, hash, 16);
    digest = g_strdup (hex);
  }

  crypto_sign_ed25519_sk_to_pk (pk, self->secret_key);
  sodium_bin2hex (pk_hex, sizeof pk_hex, pk, sizeof pk);

  n_parts = MAX (1, (lines->len + RECEIPT_PART_SIZE - 1) / RECEIPT_PART_SIZE);
  for (guint part = 0; part < n_parts; part++)
    {
      GString *s = g_string_new (NULL);
      guint8 sig[crypto_sign_BYTES];
      char sig_hex[2 * crypto_sign_BYTES + 1];

      g_string_append_printf (s, "WTR1 交接记录单\nPT:%u/%u\nMF:%s\nNO:%s\nFR:%s|%s\nSP:%s\nCA:%s|%s\nTO:%s\nAT:%" G_GINT64_FORMAT "\n",
                              part + 1, n_parts, m->id, wt_manifest_get_display_number (m),
                              m->producer_uscc, producer, split, carrier, vehicle, receiver,
                              m->confirmed_ms);
      for (guint i = part * RECEIPT_PART_SIZE; i < MIN (lines->len, (part + 1) * RECEIPT_PART_SIZE); i++)
        g_string_append_printf (s, "C:%s\n", (const char *) g_ptr_array_index (lines, i));
      g_string_append_printf (s, "N:%u\nDG:%s\nPK:%s\n", lines->len, digest, pk_hex);

      crypto_sign_detached (sig, NULL, (const guint8 *) s->str, s->len, self->secret_key);
      sodium_bin2hex (sig_hex, sizeof sig_hex, sig, sizeof sig);
      g_string_append_printf (s, "SG:%s", sig_hex);

      g_strv_builder_add (out, s->str);
      g_string_free (s, TRUE);
    }

  return g_strv_builder_end (out);
}

GStrv
wt_ledger_receipt_payloads (WtLedger    *self,
                            const char  *manifest_id,
                            GError     **error)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GStrv ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  g_mutex_lock (&self->lock);
  m = find_manifest (self, manifest_id, error);
  if (m == NULL)
    goto out;
  if (m->direction != WT_MANIFEST_OUTGOING || !m->confirmed)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                   _("A handover receipt is printed once the containers of manifest %s have been handed over here."),
                   wt_manifest_get_display_number (m));
      goto out;
    }
  rows = shipped_rows (self, m->id, error);
  if (rows != NULL)
    ret = receipt_payloads_locked (self, m, rows, error);

out:
  g_mutex_unlock (&self->lock);
  return ret;
}

gboolean
wt_ledger_write_receipt (WtLedger    *self,
                         const char  *manifest_id,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_auto(GStrv) payloads = NULL;
  g_autofree char *parties = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), FALSE);

  payloads = wt_ledger_receipt_payloads (self, manifest_id, error);
  if (payloads == NULL)
    return FALSE;

  g_mutex_lock (&self->lock);
  m = find_manifest (self, manifest_id, error);
  if (m != NULL)
    {
      rows = shipped_rows (self, m->id, error);
      parties = handover_parties (self, m->id);
    }
  g_mutex_unlock (&self->lock);

  if (rows == NULL)
    return FALSE;

  return wt_receipt_write_pdf (m, parties, rows, (const char * const *) payloads, path, error);
}

typedef struct
{
  char  *id;
  char  *number;
  char  *producer_uscc;
  char  *producer;
  char  *split;
  char  *carrier;
  char  *vehicle;
  char  *receiver;
  gint64 at;
  guint  n;
  char  *digest;
  char  *pk;
} ReceiptHead;

static void
receipt_head_clear (ReceiptHead *h)
{
  g_free (h->id);
  g_free (h->number);
  g_free (h->producer_uscc);
  g_free (h->producer);
  g_free (h->split);
  g_free (h->carrier);
  g_free (h->vehicle);
  g_free (h->receiver);
  g_free (h->digest);
  g_free (h->pk);
}

static gboolean
receipt_corrupt (GError    **error,
                 const char *why)
{
  g_set_error (error, WT_ERROR, WT_ERROR_CORRUPT_CODE,
               _("This handover receipt cannot be trusted (%s). Scan it again, or ask the sender for a new one."),
               why);
  return FALSE;
}

/* Parses and verifies one part; fills @head (checking it agrees with what
 * earlier parts said) and adds its container lines to @lines. */
static gboolean
parse_receipt_part (const char  *text,
                    ReceiptHead *head,
                    guint       *out_part,
                    guint       *out_n_parts,
                    GPtrArray   *lines,
                    GError     **error)
{
  g_auto(GStrv) l = NULL;
  const char *sg;
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sig[crypto_sign_BYTES];
  size_t bin_len;
  ReceiptHead h = { 0 };
  gboolean ok = FALSE;
  guint part = 0, n_parts = 0;

  if (!g_str_has_prefix (text, "WTR"))
    {
      if (g_str_has_prefix (text, "WT1"))
        g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                     _("This is a container label, not a handover receipt. Scan the QR code on the 交接记录单."));
      else
        g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                     _("This QR code is not a Wastetag handover receipt."));
      return FALSE;
    }
  if (!g_str_has_prefix (text, "WTR1 ") && !g_str_has_prefix (text, "WTR1\n"))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NEWER_CODE,
                   _("This receipt was made by a newer version of Wastetag. Update Wastetag to load it."));
      return FALSE;
    }
  if (!g_utf8_validate (text, -1, NULL))
    return receipt_corrupt (error, _("it is not valid text"));

  sg = g_strrstr (text, "\nSG:");
  if (sg == NULL)
    return receipt_corrupt (error, _("its signature is missing"));

  l = g_strsplit (text, "\n", -1);
  for (guint i = 1; l[i]; i++)
    {
      const char *v = l[i] + 3;

      if (strlen (l[i]) < 3 || l[i][2] != ':')
        {
          if (g_str_has_prefix (l[i], "C:"))
            g_ptr_array_add (lines, g_strdup (l[i] + 2));
          continue;
        }
      if (g_str_has_prefix (l[i], "PT:"))
        {
          if (sscanf (v, "%u/%u", &part, &n_parts) != 2 || part < 1 || part > n_parts)
            goto bad;
        }
      else if (g_str_has_prefix (l[i], "MF:"))
        h.id = g_strdup (v);
      else if (g_str_has_prefix (l[i], "NO:"))
        h.number = g_strdup (v);
      else if (g_str_has_prefix (l[i], "FR:"))
        {
          g_auto(GStrv) f = g_strsplit (v, "|", 2);

          h.producer_uscc = g_strdup (f[0]);
          h.producer = g_strdup (f[0] && f[1] ? f[1] : "");
        }
      else if (g_str_has_prefix (l[i], "SP:"))
        h.split = g_strdup (v);
      else if (g_str_has_prefix (l[i], "CA:"))
        {
          g_auto(GStrv) f = g_strsplit (v, "|", 2);

          h.carrier = g_strdup (f[0]);
          h.vehicle = g_strdup (f[0] && f[1] ? f[1] : "");
        }
      else if (g_str_has_prefix (l[i], "TO:"))
        h.receiver = g_strdup (v);
      else if (g_str_has_prefix (l[i], "AT:"))
        h.at = g_ascii_strtoll (v, NULL, 10);
      else if (g_str_has_prefix (l[i], "DG:"))
        h.digest = g_strdup (v);
      else if (g_str_has_prefix (l[i], "PK:"))
        h.pk = g_strdup (v);
      else if (g_str_has_prefix (l[i], "N:"))
        h.n = (guint) g_ascii_strtoull (l[i] + 2, NULL, 10);
    }
  /* "N:" has a one-letter key. */
  for (guint i = 1; l[i]; i++)
    if (g_str_has_prefix (l[i], "N:"))
      h.n = (guint) g_ascii_strtoull (l[i] + 2, NULL, 10);

  if (h.id == NULL || h.pk == NULL || h.digest == NULL || h.producer_uscc == NULL || n_parts == 0)
    goto bad;

  if (sodium_hex2bin (pk, sizeof pk, h.pk, strlen (h.pk), NULL, &bin_len, NULL) != 0 || bin_len != sizeof pk ||
      sodium_hex2bin (sig, sizeof sig, sg + 4, strlen (sg + 4), NULL, &bin_len, NULL) != 0 || bin_len != sizeof sig ||
      crypto_sign_verify_detached (sig, (const guint8 *) text, (gsize) (sg - text) + 1, pk) != 0)
    {
      receipt_corrupt (error, _("its signature does not match its content"));
      goto out;
    }

  if (head->id != NULL &&
      (g_strcmp0 (head->id, h.id) != 0 || g_strcmp0 (head->pk, h.pk) != 0 ||
       g_strcmp0 (head->digest, h.digest) != 0 || head->n != h.n))
    {
      receipt_corrupt (error, _("its parts come from different receipts"));
      goto out;
    }

  if (head->id == NULL)
    {
      *head = h;
      memset (&h, 0, sizeof h);
    }
  *out_part = part;
  *out_n_parts = n_parts;
  ok = TRUE;
  goto out;

bad:
  receipt_corrupt (error, _("a required line is missing or damaged"));
out:
  receipt_head_clear (&h);
  return ok;
}

WtManifest *
wt_ledger_load_receipt (WtLedger           *self,
                        const char * const *payloads,
                        GError            **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) parts_seen = g_hash_table_new (NULL, NULL);
  g_autoptr(WtManifest) existing = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *event_payload = NULL;
  g_autofree char *digest = NULL;
  ReceiptHead head = { 0 };
  WtCodeSplit split;
  Appender app = { 0 };
  guint n_parts = 0;
  WtManifest *ret = NULL;

  g_return_val_if_fail (WT_IS_LEDGER (self), NULL);

  if (payloads == NULL || payloads[0] == NULL)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT, _("Scan the QR code of the handover receipt."));
      return NULL;
    }

  for (guint i = 0; payloads[i]; i++)
    {
      guint part = 0, n = 0;

      if (!parse_receipt_part (payloads[i], &head, &part, &n, lines, error))
        goto out_unlocked;
      if (n_parts != 0 && n != n_parts)
        {
          receipt_corrupt (error, _("its parts come from different receipts"));
          goto out_unlocked;
        }
      n_parts = n;
      g_hash_table_add (parts_seen, GUINT_TO_POINTER (part));
    }

  if (g_hash_table_size (parts_seen) != n_parts)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_CORRUPT_CODE,
                   _("This receipt has %u QR codes and %u were scanned; scan every one of them."),
                   n_parts, g_hash_table_size (parts_seen));
      goto out_unlocked;
    }

  /* The parts together must be exactly the signed list. */
  {
    g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
    crypto_hash_sha256_state st;
    guint8 hash[32];
    char hex[33];

    for (guint i = 0; i < lines->len; i++)
      g_ptr_array_add (sorted, g_ptr_array_index (lines, i));
    g_ptr_array_sort (sorted, compare_strings);
    crypto_hash_sha256_init (&st);
    for (guint i = 0; i < sorted->len; i++)
      {
        const char *l = g_ptr_array_index (sorted, i);

        crypto_hash_sha256_update (&st, (const guint8 *) l, strlen (l));
        crypto_hash_sha256_update (&st, (const guint8 *) "\n", 1);
      }
    crypto_hash_sha256_final (&st, hash);
    sodium_bin2hex (hex, sizeof hex, hash, 16);
    digest = g_strdup (hex);
  }
  if (lines->len != head.n || g_strcmp0 (digest, head.digest) != 0)
    {
      receipt_corrupt (error, _("its container list does not match its digest"));
      goto out_unlocked;
    }

  if (!wt_code_split_parse (head.split ? head.split : "18+8+8+3", &split, NULL))
    wt_code_split_init_default (&split);

  g_mutex_lock (&self->lock);

  if (!wt_ledger_require_site (self, error))
    goto out;

  /* Loading the same receipt twice is harmless: the manifest is found. */
  existing = find_manifest (self, head.id, NULL);
  if (existing != NULL)
    {
      ret = g_steal_pointer (&existing);
      goto out;
    }

  if (!wt_db_exec (self, "BEGIN IMMEDIATE", error))
    goto out;

  stmt = wt_db_prepare (self,
                        "INSERT INTO manifest (id, number, draft_number, direction, producer, producer_uscc,"
                        "  code_split, carrier, vehicle, receiver, created_ms, status, handover_ms, source_key)"
                        " VALUES (?1, ?2, ?3, 'in', ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11, ?12)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, head.id, -1, SQLITE_STATIC);
  if (head.number && strlen (head.number) == 14 && strspn (head.number, "0123456789") == 14)
    sqlite3_bind_text (stmt, 2, head.number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, head.number ? head.number : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, head.producer, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, head.producer_uscc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, head.split ? head.split : "18+8+8+3", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, head.carrier ? head.carrier : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, head.vehicle ? head.vehicle : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, head.receiver ? head.receiver : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 10, wt_ledger_now_ms (self));
  sqlite3_bind_int64 (stmt, 11, head.at);
  {
    guint8 pk[crypto_sign_PUBLICKEYBYTES];
    size_t pk_len = 0;

    /* Verified in parse_receipt_part(), so this decodes. */
    sodium_hex2bin (pk, sizeof pk, head.pk, strlen (head.pk), NULL, &pk_len, NULL);
    sqlite3_bind_blob (stmt, 12, pk, pk_len, SQLITE_TRANSIENT);
  }
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_UNIQUE)
        g_set_error (error, WT_ERROR, WT_ERROR_STATE,
                     _("Another manifest in this ledger already has the number %s."), head.number);
      else
        wt_db_error (self, error, "loading the receipt");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = wt_db_prepare (self,
                        "INSERT INTO manifest_item (manifest_id, code, expected, waste_code, expected_kg)"
                        " VALUES (?1, ?2, 1, ?3, ?4)",
                        error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < lines->len; i++)
    {
      g_auto(GStrv) f = g_strsplit (g_ptr_array_index (lines, i), "|", 2);
      g_autofree char *waste = waste_code_of (f[0], &split);

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, head.id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, f[0], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, waste, -1, SQLITE_TRANSIENT);
      if (f[1] && *f[1])
        sqlite3_bind_double (stmt, 4, g_ascii_strtod (f[1], NULL));
      else
        sqlite3_bind_null (stmt, 4);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          wt_db_error (self, error, "loading the receipt");
          goto fail;
        }
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "containers");
  json_builder_add_int_value (b, lines->len);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, "in");
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, head.number ? head.number : "");
  json_builder_set_member_name (b, "producer");
  json_builder_add_string_value (b, head.producer_uscc);
  json_builder_set_member_name (b, "signed_by");
  json_builder_add_string_value (b, head.pk);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  event_payload = wt_json_text (node);

  if (!wt_appender_begin (self, &app, error) ||
      !wt_appender_add (self, &app, head.id, "manifest_opened", NULL, event_payload, NULL, error) ||
      !wt_appender_finish (self, &app, error) ||
      !wt_db_exec (self, "COMMIT", error))
    goto fail;

  ret = find_manifest (self, head.id, error);
  goto out;

fail:
  wt_appender_clear (&app);
  wt_db_rollback (self);
out:
  wt_appender_clear (&app);
  g_mutex_unlock (&self->lock);
out_unlocked:
  receipt_head_clear (&head);
  return ret;
}
