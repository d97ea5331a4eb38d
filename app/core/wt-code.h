/* wt-code.h: the 数字识别码 (container code) and the label's QR payload.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A container code has four segments: unit code (the 统一社会信用代码), waste
 * code without hyphens, date YYYYMMDD and a sequence. The default split is
 * 18+8+8+3 = 37 characters. The sequence is the device's slot letter followed
 * by a counter, so two devices of one site never draw the same code offline.
 * For typing, a check character (ISO/IEC 7064 MOD 37,36) follows the code.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint unit_len;   /* 18 */
  guint waste_len;  /* 8 */
  guint date_len;   /* 8 */
  guint seq_len;    /* 3: slot + counter digits */
} WtCodeSplit;

#define WT_CODE_ALPHABET "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" /* no I, no O */
#define WT_CODE_ALPHABET_LEN 34

void         wt_code_split_init_default (WtCodeSplit       *split);
guint        wt_code_split_length       (const WtCodeSplit *split);
/* Parses "18+8+8+3"; each part ≥ 1, seq ≥ 2, date 6 (YYMMDD) or 8. */
gboolean     wt_code_split_parse        (const char        *text,
                                         WtCodeSplit       *out_split,
                                         GError           **error);
char        *wt_code_split_to_string    (const WtCodeSplit *split) G_GNUC_WARN_UNUSED_RESULT;

/* How many codes one device slot can draw per waste code and day. */
guint        wt_code_capacity           (const WtCodeSplit *split);

/* Builds a code. @waste_code is "900-249-08" or "90024908"; @date is
 * "YYYY-MM-DD"; @slot is a WT_CODE_ALPHABET character; @counter < capacity. */
char        *wt_code_build              (const WtCodeSplit *split,
                                         const char        *unit,
                                         const char        *waste_code,
                                         const char        *date,
                                         char               slot,
                                         guint              counter) G_GNUC_WARN_UNUSED_RESULT;

/* ISO/IEC 7064 MOD 37,36 check character over 0-9A-Z. */
char         wt_code_check_char         (const char        *code);

/* "913501 00M000 100Y43 · 90024908 · 20261130 · A01 K": segments in short
 * groups and the check character, as printed under the QR code. */
char        *wt_code_to_display         (const WtCodeSplit *split,
                                         const char        *code) G_GNUC_WARN_UNUSED_RESULT;

/* Normalises what a person typed or pasted (spaces, hyphens, dots, lower case,
 * O for 0, I for 1) and verifies the check character.
 * Returns: the canonical code, or %NULL with WT_ERROR_INVALID_INPUT and a
 * sentence saying whether the length or the check is wrong. */
char        *wt_code_parse_typed        (const WtCodeSplit *split,
                                         const char        *text,
                                         GError           **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct
{
  char *unit;
  char *waste_code;   /* "900-249-08" */
  char *date;         /* "2026-11-30" */
  char  slot;
  guint counter;
} WtCodeParts;

gboolean     wt_code_split_parts        (const WtCodeSplit *split,
                                         const char        *code,
                                         WtCodeParts       *out_parts,
                                         GError           **error);
void         wt_code_parts_clear        (WtCodeParts       *parts);

/* ---- QR payload ---------------------------------------------------------- */

#define WT_PAYLOAD_VERSION 1

/**
 * WtPayload:
 * What a Wastetag QR code carries, readable as plain text on any phone:
 *
 *   WT1 危险废物
 *   ID:<code>-<check>
 *   WC:900-249-08
 *   HZ:T,I
 *   DT:2026-11-30
 *   RP:2            (only on reprints)
 *   CK:<CRC-32 of all bytes before this line, 8 hex digits>
 */
typedef struct
{
  guint  version;
  char  *container_code;
  char  *waste_code;
  guint  hazards;
  char  *date;
  guint  reprint;
} WtPayload;

char        *wt_payload_encode          (const WtPayload   *payload) G_GNUC_WARN_UNUSED_RESULT;
/* Parses the exact decoded bytes. Errors: WT_ERROR_FOREIGN_CODE (not ours:
 * a URL, Wi-Fi, another vendor), WT_ERROR_NEWER_CODE (a newer Wastetag),
 * WT_ERROR_CORRUPT_CODE (truncated, misread, check fails). */
WtPayload   *wt_payload_parse           (const char        *text,
                                         gssize             length,
                                         GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void         wt_payload_free            (WtPayload         *payload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WtPayload, wt_payload_free)

G_END_DECLS
