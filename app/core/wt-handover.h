/* wt-handover.h: custody at every handover point — store, ship under a
 * transfer manifest, receive, treat — and the container state machine.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Same thread rules as WtLedger: any one thread at a time, never the main
 * loop. Every action is one transaction over all its containers: if one
 * container is refused, nothing is recorded and the error names it.
 */
#pragma once

#include "wt-ledger.h"

G_BEGIN_DECLS

/* ---- Transfer manifests (转移联单) ---------------------------------------- */

typedef enum
{
  WT_MANIFEST_OUTGOING, /* this site hands containers to a carrier */
  WT_MANIFEST_INCOMING, /* loaded from a handover receipt at the receiver */
} WtManifestDirection;

typedef struct
{
  char                *id;            /* UUIDv7, the key everywhere */
  char                *number;        /* 14 digits, or "" while a draft */
  char                *draft_number;  /* local number, "A-20261130-01" */
  WtManifestDirection  direction;
  char                *producer;      /* 移出人 name */
  char                *producer_uscc;
  char                *carrier;       /* 承运人 */
  char                *vehicle;       /* plate */
  char                *receiver;      /* 接受人 */
  char                *receiver_licence; /* 危险废物经营许可证编号, "" when not given */
  gint64               created_ms;
  gboolean             confirmed;
  gint64               confirmed_ms;
} WtManifest;

void         wt_manifest_free                (WtManifest *manifest);
/* The number people use: the official one, else the draft. */
const char  *wt_manifest_get_display_number  (const WtManifest *manifest);

/* Checks a 14-digit number (部令第23号 §15): year, then a province and a
 * prefecture code that exist in GB/T 2260 (municipalities and province-run
 * counties use 01, 02 or 90), then a 6-digit serial. */
gboolean     wt_manifest_number_validate     (const char  *number,
                                              GError     **error);

/* Opens an outgoing manifest; @number may be NULL or "" for a draft. */
WtManifest  *wt_ledger_manifest_new          (WtLedger    *self,
                                              const char  *number,
                                              const char  *carrier,
                                              const char  *vehicle,
                                              const char  *receiver,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, with the receiver's hazardous-waste operating licence number
 * (危险废物经营许可证编号) that HJ 1259's reports and tables B.3/B.5 list
 * what was sent out by; NULL or "" when not known. It is recorded in the
 * manifest's `manifest_opened` event. */
WtManifest  *wt_ledger_manifest_new_full     (WtLedger    *self,
                                              const char  *number,
                                              const char  *carrier,
                                              const char  *vehicle,
                                              const char  *receiver,
                                              const char  *receiver_licence,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;

#define WT_RECEIVER_LICENCE_MAX 64
/* A licence number is free text (provinces number them differently): one
 * line, at most WT_RECEIVER_LICENCE_MAX characters; "" and NULL pass. */
gboolean     wt_receiver_licence_validate    (const char  *licence,
                                              GError     **error);
/* By id, official number or draft number. */
WtManifest  *wt_ledger_get_manifest          (WtLedger    *self,
                                              const char  *key,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (element-type WtManifest): newest first. */
GPtrArray   *wt_ledger_list_manifests        (WtLedger    *self,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Sets the official number of a draft once it is known. */
gboolean     wt_ledger_manifest_set_number   (WtLedger    *self,
                                              const char  *manifest_id,
                                              const char  *number,
                                              GError     **error);
/* Plans which containers are to leave on an outgoing manifest. */
gboolean     wt_ledger_manifest_expect       (WtLedger           *self,
                                              const char         *manifest_id,
                                              const char * const *codes,
                                              GError            **error);

/* ---- Scanning ------------------------------------------------------------- */

typedef enum
{
  WT_SCAN_LOOKUP,   /* 查看: show, record nothing */
  WT_SCAN_STORE,    /* 入库 */
  WT_SCAN_SHIP,     /* 出库 under a manifest */
  WT_SCAN_RECEIVE,  /* 接收 under a loaded manifest */
  WT_SCAN_TREAT,    /* 利用/处置 */
} WtScanMode;

typedef enum
{
  WT_VERDICT_OK,
  WT_VERDICT_WARNING,
  WT_VERDICT_REFUSED,
} WtVerdictClass;

typedef enum
{
  WT_SCAN_RESULT_OK,
  WT_SCAN_RESULT_ALREADY_SCANNED,     /* warning: counted once */
  WT_SCAN_RESULT_PREDECESSOR_UNKNOWN, /* warning: received, history to come with sync */
  WT_SCAN_RESULT_WEIGHT_OFF,          /* warning */
  WT_SCAN_RESULT_NOT_EXPECTED,        /* refused: not on this manifest */
  WT_SCAN_RESULT_WRONG_STATE,         /* refused */
  WT_SCAN_RESULT_VOIDED,              /* refused */
  WT_SCAN_RESULT_UNKNOWN,             /* refused: no such container here */
  WT_SCAN_RESULT_FOREIGN,             /* refused: not a Wastetag label */
  WT_SCAN_RESULT_DAMAGED,             /* refused: misread, typo, newer format */
  WT_SCAN_RESULT_WRONG_WASTE,         /* refused: waste code differs from the plan */
} WtScanResultKind;

/**
 * WtScanResult:
 * What one scan means in a mode: a verdict, one sentence for the banner, and
 * the container when known. Owned by the caller.
 */
typedef struct
{
  WtScanResultKind  kind;
  WtVerdictClass    verdict;
  char             *message;
  char             *code;        /* canonical code, or NULL */
  WtContainer      *container;   /* or NULL */
  gboolean          counted;     /* a new scan for the session's list */
} WtScanResult;

void         wt_scan_result_free             (WtScanResult *result);
WtVerdictClass wt_scan_result_kind_verdict   (WtScanResultKind kind);

/* Judges one scan (the decoded QR text or what a person typed) in @mode.
 * In SHIP and RECEIVE mode @context is the manifest id and the scan is
 * remembered in the manifest's scan list (bookkeeping, not an event: nothing
 * is recorded until the handover is confirmed). In STORE and TREAT mode
 * @context is unused; the caller keeps the list and calls the action.
 * Never fails for bad scans: those are verdicts. Returns %NULL only with
 * @error set when the ledger itself fails. */
WtScanResult *wt_ledger_scan                 (WtLedger    *self,
                                              WtScanMode   mode,
                                              const char  *context,
                                              const char  *text,
                                              gssize       length,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Reconciliation --------------------------------------------------------- */

typedef struct
{
  char   *waste_code;
  guint   expected;
  guint   scanned;
  double  expected_kg;
  double  scanned_kg;
} WtWasteTally;

typedef struct
{
  guint       n_expected;
  guint       n_scanned;
  GStrv       missing;          /* expected, not scanned */
  GStrv       unexpected;       /* scanned, not expected (refused scans are not kept) */
  GStrv       duplicates;       /* scanned more than once */
  GStrv       already_shipped;  /* scanned but already gone under another manifest */
  GStrv       wrong_waste;      /* scanned, waste code not in the plan */
  GPtrArray  *tallies;          /* (element-type WtWasteTally) per waste code */
} WtReconciliation;

void              wt_reconciliation_free      (WtReconciliation *rec);
WtReconciliation *wt_ledger_reconcile         (WtLedger    *self,
                                               const char  *manifest_id,
                                               GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Conditions and people ------------------------------------------------ */

typedef struct
{
  gboolean seal_intact;
  gboolean leaking;
  gboolean bulging;
  gboolean corroded;
  gboolean label_legible;
  char    *reason;          /* required when any check failed */
} WtCondition;

void         wt_condition_init               (WtCondition *condition); /* all good */
gboolean     wt_condition_failed             (const WtCondition *condition);

typedef struct
{
  const char *name;
  const char *pin;  /* 4–8 digits; set on first use on this device */
} WtParty;

/* ---- Actions ----------------------------------------------------------------- */

typedef struct
{
  const char *code;
  gboolean    reject;
  const char *reason;     /* required when rejecting */
  double      weight_kg;  /* < 0: not weighed */
} WtReceiveItem;

gboolean     wt_ledger_store                 (WtLedger           *self,
                                              const char         *facility,
                                              const char * const *codes,
                                              GError            **error);
/* Records `shipped` for every container and confirms the manifest. @parties
 * may be NULL (the CLI); the GUI passes the handing-over person and the
 * carrier, whose PINs are checked. */
gboolean     wt_ledger_ship                  (WtLedger           *self,
                                              const char         *manifest_id,
                                              const char * const *codes,
                                              const WtParty      *parties,
                                              guint               n_parties,
                                              GError            **error);
gboolean     wt_ledger_receive               (WtLedger           *self,
                                              const char         *manifest_id,
                                              const WtReceiveItem *items,
                                              guint               n_items,
                                              const WtParty      *parties,
                                              guint               n_parties,
                                              GError            **error);
/* Confirms the manifest's scan list as one handover: ships (outgoing) or
 * receives (incoming, accepting everything scanned that is not rejected). */
gboolean     wt_ledger_confirm_handover      (WtLedger           *self,
                                              const char         *manifest_id,
                                              const WtParty      *parties,
                                              guint               n_parties,
                                              GError            **error);
gboolean     wt_ledger_treat                 (WtLedger           *self,
                                              const char         *method_code,
                                              const char * const *codes,
                                              GError            **error);
gboolean     wt_ledger_weigh                 (WtLedger           *self,
                                              const char         *code,
                                              double              weight_kg,
                                              GError            **error);
gboolean     wt_ledger_inspect               (WtLedger           *self,
                                              const char         *code,
                                              const WtCondition  *condition,
                                              GError            **error);
/* Marks one scanned item of an incoming manifest rejected (with a reason)
 * or sets its weight before confirming. */
gboolean     wt_ledger_manifest_set_item     (WtLedger           *self,
                                              const char         *manifest_id,
                                              const char         *code,
                                              gboolean            reject,
                                              const char         *reason,
                                              double              weight_kg,
                                              GError            **error);

/* Finds a container from what a person typed or a scanner sent: the
 * canonical code, the printed form with its check character, or a QR
 * payload. Returns the canonical code or %NULL with a sentence. */
char        *wt_ledger_resolve_code          (WtLedger    *self,
                                              const char  *text,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Treatment methods (editable; the HJ 1033 Annex F table was not
 * available, see resources/data/README.md) ------------------------------------ */

typedef struct
{
  char *code;
  char *name;
} WtMethod;

void         wt_method_free                  (WtMethod   *method);
GPtrArray   *wt_ledger_list_methods          (WtLedger   *self,
                                              GError    **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean     wt_ledger_set_method            (WtLedger   *self,
                                              const char *code,
                                              const char *name,
                                              GError    **error);

/* ---- Handover receipt (交接记录单) ------------------------------------------- */

/* The QR texts of a confirmed outgoing manifest's receipt: the manifest, the
 * parties and every container shipped under it, signed by this device. Long
 * lists are split into parts ("PT:1/3"), each a QR of its own.
 * Returns: (transfer full): a %NULL-terminated array. */
GStrv        wt_ledger_receipt_payloads      (WtLedger    *self,
                                              const char  *manifest_id,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Writes the receipt as an A4 PDF: parties, a table of the containers with
 * waste codes and weights, signature lines, and the QR code(s). */
gboolean     wt_ledger_write_receipt         (WtLedger    *self,
                                              const char  *manifest_id,
                                              const char  *path,
                                              GError     **error);
/* Loads a receipt scanned at the receiving site: creates (or finds) the
 * incoming manifest with its expected list. Every part must be given.
 * Errors: WT_ERROR_FOREIGN_CODE, WT_ERROR_CORRUPT_CODE (digest or signature
 * does not match, a part missing). */
WtManifest  *wt_ledger_load_receipt          (WtLedger           *self,
                                              const char * const *payloads,
                                              GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtManifest, wt_manifest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtScanResult, wt_scan_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtReconciliation, wt_reconciliation_free)

G_END_DECLS
