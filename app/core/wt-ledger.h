/* wt-ledger.h: the local ledger (台账), an append-only hash-chained event log.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Thread rules: a WtLedger may be used from any one thread at a time; calls
 * are serialised by an internal mutex, so the GUI runs them in GTask worker
 * threads and never on the main loop. Every write is one SQLite transaction:
 * either all of it is in the file or none of it.
 */
#pragma once

#include <gio/gio.h>

#include "wt-code.h"
#include "wt-label.h"

G_BEGIN_DECLS

#define WT_TYPE_LEDGER (wt_ledger_get_type ())
G_DECLARE_FINAL_TYPE (WtLedger, wt_ledger, WT, LEDGER, GObject)

#define WT_LEDGER_SCHEMA_VERSION 6

/**
 * WtSite:
 * The unit (产生单位) this ledger belongs to and this device's identity.
 */
typedef struct
{
  char        *name;          /* 单位名称 */
  char        *uscc;          /* 统一社会信用代码, 18 characters */
  char        *contact;       /* 联系人 */
  char        *phone;
  char        *address;
  char        *facility;      /* 贮存设施编码 */
  char        *device_name;
  char         device_slot;   /* WT_CODE_ALPHABET letter unique within the site */
  char        *site_id;       /* read-only: stable id (the USCC) */
  char        *device_id;     /* read-only: UUID of this device */
  char        *public_key;    /* read-only: hex Ed25519 public key */
  WtCodeSplit  split;
} WtSite;

WtSite      *wt_site_new                (void) G_GNUC_WARN_UNUSED_RESULT;
void         wt_site_free               (WtSite      *site);
/* Validates the fields a person types: name and USCC required, USCC check
 * character, phone digits, slot in the alphabet. */
gboolean     wt_site_validate           (const WtSite *site,
                                         GError     **error);
/* Fills @site with the demo unit used by "Try with demo data". */
void         wt_site_fill_demo          (WtSite      *site);

/* The default ledger: $XDG_DATA_HOME/wastetag/ledger.wtl, or
 * $WASTETAG_LEDGER when set. */
char        *wt_ledger_default_path     (void) G_GNUC_WARN_UNUSED_RESULT;

/* Opens (creating when missing) and migrates a ledger.
 * Errors: WT_ERROR_NOT_A_LEDGER, WT_ERROR_NEWER_LEDGER, WT_ERROR_DB. */
WtLedger    *wt_ledger_open             (const char  *path,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
const char  *wt_ledger_get_path         (WtLedger    *self);
gboolean     wt_ledger_has_site         (WtLedger    *self);
/* Returns: (transfer full): the site, or %NULL with WT_ERROR_NO_SITE. */
WtSite      *wt_ledger_dup_site         (WtLedger    *self,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Sets up the site once and makes this device's Ed25519 key. */
gboolean     wt_ledger_init_site        (WtLedger    *self,
                                         const WtSite *site,
                                         GError     **error);
/* Fills a fresh ledger with a demo site and a few labelled containers. */
gboolean     wt_ledger_init_demo        (WtLedger    *self,
                                         GError     **error);

/* ---- Print jobs: reserve, then register ------------------------------- */

/**
 * WtPrintJob:
 * Codes reserved for one batch. Reserving advances the device's counter in
 * its own transaction, so a code handed out is never handed out again, even
 * if the job is then cancelled or the process dies.
 */
typedef struct
{
  gint64   id;
  char    *waste_code;
  guint    n_containers;
  char   **codes;         /* n_containers canonical codes */
  char   **payloads;      /* n_containers QR texts */
} WtPrintJob;

void         wt_print_job_free          (WtPrintJob  *job);

/* Reserves @n_containers (1..10000) codes for @content's waste code and date.
 * Errors: WT_ERROR_INVALID_INPUT, WT_ERROR_UNKNOWN_WASTE, WT_ERROR_CAPACITY,
 * WT_ERROR_NO_SITE, WT_ERROR_DB. */
WtPrintJob  *wt_ledger_reserve          (WtLedger              *self,
                                         const WtLabelContent  *content,
                                         guint                  n_containers,
                                         GError               **error) G_GNUC_WARN_UNUSED_RESULT;
/* Registers every container of the job with one `labelled` event each, in a
 * single transaction, together with @weight_kg (< 0: unknown) and the label
 * options used. After this the containers exist. */
gboolean     wt_ledger_commit_job       (WtLedger              *self,
                                         WtPrintJob            *job,
                                         const WtLabelContent  *content,
                                         const WtLabelOptions  *options,
                                         double                 weight_kg,
                                         GError               **error);
/* Marks a reserved job as cancelled or failed; its codes stay burned. */
gboolean     wt_ledger_abandon_job      (WtLedger              *self,
                                         WtPrintJob            *job,
                                         const char            *reason,
                                         GError               **error);

/* ---- Containers ------------------------------------------------------- */

typedef enum
{
  WT_CONTAINER_LABELLED,  /* registered, label printed */
  WT_CONTAINER_VOIDED,    /* label voided; the code is dead */
  WT_CONTAINER_STORED,    /* 入库: in a storage facility */
  WT_CONTAINER_SHIPPED,   /* 出库: handed to a carrier under a manifest */
  WT_CONTAINER_RECEIVED,  /* 接收: accepted at the receiver */
  WT_CONTAINER_REJECTED,  /* 拒收: refused at the receiver */
  WT_CONTAINER_TREATED,   /* 利用/处置 recorded */
} WtContainerState;

/* "labelled", "stored"... as stored in the ledger; and back. */
const char  *wt_container_state_to_id     (WtContainerState  state);
WtContainerState wt_container_state_from_id (const char     *id);

const char  *wt_container_state_to_string (WtContainerState state); /* translated */

typedef struct
{
  char             *code;
  char             *waste_code;
  char             *waste_name;
  char             *common_name;
  guint             hazards;
  double            weight_kg;      /* < 0 when unknown */
  WtContainerState  state;
  guint             reprints;
  gint64            labelled_ms;    /* wall clock of the labelled event */
  char             *date;           /* 产生日期 */
  char             *void_reason;
  WtLabelContent   *content;        /* the label as printed */
  guint             size_mm;
  WtEcc             ecc;
  char             *facility;       /* where it is stored, or NULL */
  char             *manifest_id;    /* the manifest it last moved under, or NULL */
  gboolean          predecessor_unknown; /* received before its history arrived */
  gint64            updated_ms;     /* wall clock of its last event */
} WtContainer;

void         wt_container_free          (WtContainer *container);

/* Returns: (transfer full): the container, or %NULL with WT_ERROR_NOT_FOUND. */
WtContainer *wt_ledger_get_container    (WtLedger    *self,
                                         const char  *code,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full) (element-type WtContainer): newest first, at most
 * @limit (0 = all) from @offset. */
GPtrArray   *wt_ledger_list_containers  (WtLedger    *self,
                                         guint        offset,
                                         guint        limit,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gint64       wt_ledger_count_containers (WtLedger    *self);
gint64       wt_ledger_count_events     (WtLedger    *self);

/* Reprint: a `relabelled` event, the older print superseded. Returns the new
 * print's payload (with its reprint counter) for rendering, or %NULL. */
char        *wt_ledger_relabel          (WtLedger    *self,
                                         const char  *code,
                                         const char  *reason,
                                         guint       *out_reprint,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Void a label printed by mistake. A reason is required. */
gboolean     wt_ledger_void             (WtLedger    *self,
                                         const char  *code,
                                         const char  *reason,
                                         GError     **error);

/* ---- Events ------------------------------------------------------------- */

typedef struct
{
  char    *event_id;      /* UUIDv7, text form */
  char    *device_id;
  gint64   device_seq;
  char    *site_id;
  char    *container_code;
  char    *kind;          /* "labelled", "relabelled", "voided", ... */
  char    *actor;
  gint64   wall_ms;
  gint64   hlc;
  char    *payload;       /* canonical JSON */
} WtEvent;

void         wt_event_free              (WtEvent     *event);
/* Returns: (transfer full) (element-type WtEvent): the container's events,
 * oldest first. */
GPtrArray   *wt_ledger_container_events (WtLedger    *self,
                                         const char  *code,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks every device chain: hashes, links, gapless sequences and
 * signatures. Returns FALSE with WT_ERROR_TAMPERED naming the first bad
 * event (the first in device and sequence order, as a walk in order would
 * find it). @out_n_events gets the number of events checked.
 *
 * It reads through a read-only connection of its own, in one snapshot, and
 * does not take the ledger's lock: other calls on @self (scanning,
 * recording) go on meanwhile and are not seen by the run. Signatures and
 * hashes are checked on one worker thread per core. This device's own
 * chain is checked against its signed head (one Ed25519 check for the whole
 * chain, every hash, link and the signature digest recomputed); other
 * devices' events one signature each; on any disagreement everything is
 * walked again event by event. A verify that checked this device's chain
 * event by event and found it good signs its head (a ledger upgraded from
 * before format 5), taking the lock for one short write. Call it from a
 * worker thread; it blocks until done. Safe on any WtLedger of the file. */
gboolean     wt_ledger_verify           (WtLedger    *self,
                                         gint64      *out_n_events,
                                         GError     **error);

/* Called on the verifying thread with the number of events read so far,
 * about every 65,536 events and once at the end of a pass (a verify that
 * falls back to the event-by-event walk counts again from 0). */
typedef void (*WtVerifyProgress)         (gint64       n_checked,
                                          gpointer     user_data);

/* wt_ledger_verify() that can be cancelled (G_IO_ERROR_CANCELLED, checked
 * every 2,048 events) and reports progress. @cancellable, @progress may be
 * NULL. */
gboolean     wt_ledger_verify_full      (WtLedger          *self,
                                         GCancellable      *cancellable,
                                         WtVerifyProgress   progress,
                                         gpointer           user_data,
                                         gint64            *out_n_events,
                                         GError           **error);

/* For tests: pin the wall clock in ms since the epoch (0 = real time). */
void         wt_ledger_set_clock_override (WtLedger  *self,
                                           gint64     wall_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtSite, wt_site_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtPrintJob, wt_print_job_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtContainer, wt_container_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtEvent, wt_event_free)

G_END_DECLS
