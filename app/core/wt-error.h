/* wt-error.h
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WT_ERROR (wt_error_quark ())

/**
 * WtError:
 * Runtime failures of the Wastetag core. Every message set with one of these
 * codes is a whole, translated sentence that can be shown to a user as is.
 */
typedef enum
{
  WT_ERROR_INVALID_INPUT,   /* a value the user typed does not parse or is out of range */
  WT_ERROR_UNKNOWN_WASTE,   /* a waste code that is not in the catalogue */
  WT_ERROR_NOT_A_LEDGER,    /* the file is not a Wastetag ledger */
  WT_ERROR_NEWER_LEDGER,    /* the ledger was written by a newer Wastetag */
  WT_ERROR_NO_SITE,         /* the ledger has no site set up yet */
  WT_ERROR_SITE_EXISTS,     /* the ledger already has a site */
  WT_ERROR_IO,              /* a file could not be read or written */
  WT_ERROR_DB,              /* SQLite failed (disk full, locked, corrupt) */
  WT_ERROR_CAPACITY,        /* no more container codes are free for that day */
  WT_ERROR_NOT_FOUND,       /* no such container or event */
  WT_ERROR_STATE,           /* the container's state forbids the action */
  WT_ERROR_FOREIGN_CODE,    /* a QR code that is not a Wastetag label */
  WT_ERROR_NEWER_CODE,      /* a Wastetag label from a newer version */
  WT_ERROR_CORRUPT_CODE,    /* a Wastetag payload whose integrity check fails */
  WT_ERROR_TAMPERED,        /* a ledger event whose hash, chain or signature is wrong */
  WT_ERROR_CANCELLED,       /* the user cancelled the job */
} WtError;

GQuark wt_error_quark (void);

G_END_DECLS
