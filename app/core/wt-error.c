/* wt-error.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "wt-error.h"

G_DEFINE_QUARK (wt-error-quark, wt_error)
