/* wt-receipt.h: the handover receipt (交接记录单) as a printable PDF.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to app/core: wt_ledger_write_receipt() gathers the data.
 */
#pragma once

#include "wt-handover.h"

G_BEGIN_DECLS

typedef struct
{
  char   *code;
  char   *waste_code;
  char   *waste_name;
  double  weight_kg;   /* < 0 when unknown */
} WtReceiptRow;

void      wt_receipt_row_free   (WtReceiptRow      *row);

/* Writes an A4 PDF atomically (temporary file, then rename). @rows holds
 * WtReceiptRow; @payloads are the QR texts, one symbol each. */
gboolean  wt_receipt_write_pdf  (const WtManifest  *manifest,
                                 const char        *parties,
                                 GPtrArray         *rows,
                                 const char * const *payloads,
                                 const char        *path,
                                 GError           **error);

G_END_DECLS
