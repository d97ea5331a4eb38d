/* wt-uscc.h: the 统一社会信用代码 (GB 32100-2015).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Computes the check character for the first 17 characters, or '\0' if one
 * of them is not in the code's alphabet (0-9 and A-Z without I O S V Z). */
char      wt_uscc_check_char  (const char  *first17);
/* Validates a whole 18-character code (upper-cases it first).
 * Errors: WT_ERROR_INVALID_INPUT with a sentence on what is wrong. */
gboolean  wt_uscc_validate    (const char  *code,
                               GError     **error);

G_END_DECLS
