/* wt-uscc.c: 统一社会信用代码 check character (GB 32100-2015, 5.3).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "wt-error.h"
#include "wt-uscc.h"

/* The code uses 0-9 and 21 capital letters: I, O, S, V and Z are left out. */
static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };

static int
char_value (char c)
{
  const char *p;

  if (c == '\0')
    return -1;
  p = strchr (alphabet, c);
  return p ? (int) (p - alphabet) : -1;
}

char
wt_uscc_check_char (const char *first17)
{
  int sum = 0;
  int check;

  g_return_val_if_fail (first17 != NULL, '\0');

  for (guint i = 0; i < 17; i++)
    {
      int v = char_value (first17[i]);

      if (v < 0)
        return '\0';
      sum += v * weights[i];
    }

  check = 31 - sum % 31;
  if (check == 31)
    check = 0;

  return alphabet[check];
}

gboolean
wt_uscc_validate (const char  *code,
                  GError     **error)
{
  g_autofree char *upper = NULL;
  char expected;

  g_return_val_if_fail (code != NULL, FALSE);

  upper = g_ascii_strup (code, -1);
  g_strstrip (upper);

  if (strlen (upper) != 18)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("A unified social credit code has 18 characters; “%s” has %u."),
                   code, (guint) g_utf8_strlen (upper, -1));
      return FALSE;
    }

  for (guint i = 0; i < 18; i++)
    {
      if (char_value (upper[i]) < 0)
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("Character %u of the unified social credit code, “%c”, is not allowed (I, O, S, V and Z are never used)."),
                       i + 1, upper[i]);
          return FALSE;
        }
    }

  expected = wt_uscc_check_char (upper);
  if (upper[17] != expected)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The unified social credit code “%s” is mistyped: its last character should be “%c”, not “%c”."),
                   code, expected, upper[17]);
      return FALSE;
    }

  return TRUE;
}
