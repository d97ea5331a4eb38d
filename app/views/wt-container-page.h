/* wt-container-page.h: one container — its fields, its events, reprint, void.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "wt-ledger.h"

G_BEGIN_DECLS

#define WT_TYPE_CONTAINER_PAGE (wt_container_page_get_type ())
G_DECLARE_FINAL_TYPE (WtContainerPage, wt_container_page, WT, CONTAINER_PAGE, GtkWidget)

/* Signals: "add-toast" (AdwToast *); "changed" after a reprint or a void.
 * Actions: container.reprint, container.void. The back button activates
 * ledger.back, which the enclosing view provides. */
void wt_container_page_load (WtContainerPage *self,
                             WtLedger        *ledger,
                             const char      *code);
/* The central office's copy: no reprint, void or correction is offered. */
void wt_container_page_set_read_only (WtContainerPage *self,
                                      gboolean         read_only);

G_END_DECLS
