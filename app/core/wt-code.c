/* wt-code.c: container codes (数字识别码) and QR payloads.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "wt-code.h"
#include "wt-error.h"
#include "wt-hazard.h"

/* ---- Split ---------------------------------------------------------------- */

void
wt_code_split_init_default (WtCodeSplit *split)
{
  g_return_if_fail (split != NULL);

  split->unit_len = 18;
  split->waste_len = 8;
  split->date_len = 8;
  split->seq_len = 3;
}

guint
wt_code_split_length (const WtCodeSplit *split)
{
  return split->unit_len + split->waste_len + split->date_len + split->seq_len;
}

gboolean
wt_code_split_parse (const char   *text,
                     WtCodeSplit  *out_split,
                     GError      **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 v[4];

  g_return_val_if_fail (text != NULL, FALSE);

  parts = g_strsplit (text, "+", -1);
  if (g_strv_length (parts) != 4)
    goto bad;

  for (guint i = 0; i < 4; i++)
    {
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 32, &v[i], NULL))
        goto bad;
    }

  /* The waste code has 8 digits; the date is YYYYMMDD or YYMMDD; the
   * sequence needs the slot letter and at least one counter character. */
  if (v[1] != 8 || (v[2] != 8 && v[2] != 6) || v[3] < 2 || v[3] > 6)
    goto bad;

  out_split->unit_len = v[0];
  out_split->waste_len = v[1];
  out_split->date_len = v[2];
  out_split->seq_len = v[3];
  return TRUE;

bad:
  g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
               _("The code split “%s” is not valid: write four lengths like 18+8+8+3 (waste code 8, date 8 or 6, sequence 2 to 6)."),
               text);
  return FALSE;
}

char *
wt_code_split_to_string (const WtCodeSplit *split)
{
  return g_strdup_printf ("%u+%u+%u+%u", split->unit_len, split->waste_len,
                          split->date_len, split->seq_len);
}

guint
wt_code_capacity (const WtCodeSplit *split)
{
  guint cap = 1;

  for (guint i = 1; i < split->seq_len; i++)
    cap *= WT_CODE_ALPHABET_LEN;

  return cap;
}

/* ---- Building and checking ----------------------------------------------- */

static char *
waste_digits (const char *waste_code)
{
  GString *s = g_string_new (NULL);

  for (const char *p = waste_code; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (s, *p);

  return g_string_free (s, FALSE);
}

char *
wt_code_build (const WtCodeSplit *split,
               const char        *unit,
               const char        *waste_code,
               const char        *date,
               char               slot,
               guint              counter)
{
  g_autofree char *digits = NULL;
  g_autofree char *unit_up = NULL;
  GString *s;
  char seq[8];
  guint n;

  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (unit != NULL && waste_code != NULL && date != NULL, NULL);
  g_return_val_if_fail (strchr (WT_CODE_ALPHABET, slot) != NULL && slot != '\0', NULL);
  g_return_val_if_fail (counter < wt_code_capacity (split), NULL);

  s = g_string_new (NULL);

  /* The unit code is cut or padded to its segment length, so a site with a
   * shorter code (an HJ 608 variant, say) still yields fixed-width codes. */
  unit_up = g_ascii_strup (unit, -1);
  g_string_append_len (s, unit_up, MIN (strlen (unit_up), split->unit_len));
  while (s->len < split->unit_len)
    g_string_append_c (s, '0');

  digits = waste_digits (waste_code);
  g_string_append_len (s, digits, MIN (strlen (digits), split->waste_len));
  while (s->len < split->unit_len + split->waste_len)
    g_string_append_c (s, '0');

  /* date is YYYY-MM-DD */
  if (split->date_len == 6)
    g_string_append_printf (s, "%.2s%.2s%.2s", date + 2, date + 5, date + 8);
  else
    g_string_append_printf (s, "%.4s%.2s%.2s", date, date + 5, date + 8);

  n = counter;
  seq[0] = slot;
  for (guint i = split->seq_len - 1; i >= 1; i--)
    {
      seq[i] = WT_CODE_ALPHABET[n % WT_CODE_ALPHABET_LEN];
      n /= WT_CODE_ALPHABET_LEN;
    }
  g_string_append_len (s, seq, split->seq_len);

  return g_string_free (s, FALSE);
}

static int
iso_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return -1;
}

char
wt_code_check_char (const char *code)
{
  /* ISO/IEC 7064 hybrid system MOD 37,36: catches every single substitution
   * and every transposition of neighbours. */
  static const char digits36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const int m = 36;
  int p = m;

  g_return_val_if_fail (code != NULL, '\0');

  for (const char *c = code; *c; c++)
    {
      int v = iso_value (*c);
      int s;

      if (v < 0)
        return '\0';
      s = (p + v) % m;
      if (s == 0)
        s = m;
      p = (2 * s) % (m + 1);
    }

  return digits36[(m + 1 - p) % m];
}

/* I and O never appear in codes; a person who types them meant 1 and 0. */
static char
fold_confusable (char c)
{
  if (c == 'O')
    return '0';
  if (c == 'I')
    return '1';
  return c;
}

static void
append_groups (GString    *s,
               const char *seg,
               guint       len)
{
  guint group = len > 6 && len % 6 == 0 ? 6 : len;

  for (guint i = 0; i < len; i += group)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append_len (s, seg + i, MIN (group, len - i));
    }
}

char *
wt_code_to_display (const WtCodeSplit *split,
                    const char        *code)
{
  GString *s;
  const char *p = code;
  guint lens[4];

  g_return_val_if_fail (split != NULL && code != NULL, NULL);

  if (strlen (code) != wt_code_split_length (split))
    return g_strdup (code);

  lens[0] = split->unit_len;
  lens[1] = split->waste_len;
  lens[2] = split->date_len;
  lens[3] = split->seq_len;

  s = g_string_new (NULL);
  for (guint i = 0; i < 4; i++)
    {
      if (i > 0)
        g_string_append_c (s, '-');
      append_groups (s, p, lens[i]);
      p += lens[i];
    }
  g_string_append_printf (s, "-%c", wt_code_check_char (code));

  return g_string_free (s, FALSE);
}

static char *
normalise_typed (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (s, g_ascii_toupper (*p));
      /* Spaces, hyphens, dots and the middle dot are only grouping. */
    }

  return g_string_free (s, FALSE);
}

char *
wt_code_parse_typed (const WtCodeSplit *split,
                     const char        *text,
                     GError           **error)
{
  g_autofree char *norm = NULL;
  guint len;
  char expected;
  char given;

  g_return_val_if_fail (split != NULL && text != NULL, NULL);

  norm = normalise_typed (text);
  len = wt_code_split_length (split);

  if (strlen (norm) != len + 1)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("A container code has %u characters and a check character, %u in all; “%s” has %u."),
                   len, len + 1, text, (guint) strlen (norm));
      return NULL;
    }

  for (guint i = 0; i < len; i++)
    norm[i] = fold_confusable (norm[i]);

  given = norm[len];
  norm[len] = '\0';
  expected = wt_code_check_char (norm);

  if (fold_confusable (given) != fold_confusable (expected))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The container code “%s” has a typo: its check character does not match. Read the code again from the label."),
                   text);
      return NULL;
    }

  return g_steal_pointer (&norm);
}

gboolean
wt_code_split_parts (const WtCodeSplit  *split,
                     const char         *code,
                     WtCodeParts        *out_parts,
                     GError            **error)
{
  const char *w, *d, *q;
  guint64 counter = 0;

  g_return_val_if_fail (split != NULL && code != NULL && out_parts != NULL, FALSE);

  memset (out_parts, 0, sizeof *out_parts);

  if (strlen (code) != wt_code_split_length (split))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("“%s” is not a container code of this site: it should have %u characters."),
                   code, wt_code_split_length (split));
      return FALSE;
    }

  w = code + split->unit_len;
  d = w + split->waste_len;
  q = d + split->date_len;

  for (guint i = 1; i < split->seq_len; i++)
    {
      const char *pos = strchr (WT_CODE_ALPHABET, q[i]);

      if (pos == NULL || q[i] == '\0')
        {
          g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                       _("The sequence of the container code “%s” is not valid."), code);
          return FALSE;
        }
      counter = counter * WT_CODE_ALPHABET_LEN + (guint64) (pos - WT_CODE_ALPHABET);
    }

  out_parts->unit = g_strndup (code, split->unit_len);
  out_parts->waste_code = g_strdup_printf ("%.3s-%.3s-%.2s", w, w + 3, w + 6);
  if (split->date_len == 6)
    out_parts->date = g_strdup_printf ("20%.2s-%.2s-%.2s", d, d + 2, d + 4);
  else
    out_parts->date = g_strdup_printf ("%.4s-%.2s-%.2s", d, d + 4, d + 6);
  out_parts->slot = q[0];
  out_parts->counter = counter;

  return TRUE;
}

void
wt_code_parts_clear (WtCodeParts *parts)
{
  g_clear_pointer (&parts->unit, g_free);
  g_clear_pointer (&parts->waste_code, g_free);
  g_clear_pointer (&parts->date, g_free);
}

/* ---- Payload -------------------------------------------------------------- */

static guint32
crc32_ieee (const guint8 *data,
            gsize         len)
{
  guint32 crc = 0xFFFFFFFFu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }

  return crc ^ 0xFFFFFFFFu;
}

char *
wt_payload_encode (const WtPayload *payload)
{
  g_autofree char *hz = NULL;
  GString *s;
  guint32 crc;

  g_return_val_if_fail (payload != NULL, NULL);
  g_return_val_if_fail (payload->container_code != NULL, NULL);

  hz = wt_hazard_to_string (payload->hazards);

  /* The first line names the format and says 危险废物 to whoever scans it
   * with a phone; the rest are short key:value lines. */
  s = g_string_new (NULL);
  g_string_append_printf (s, "WT%u 危险废物\n", (guint) WT_PAYLOAD_VERSION);
  g_string_append_printf (s, "ID:%s-%c\n", payload->container_code,
                          wt_code_check_char (payload->container_code));
  g_string_append_printf (s, "WC:%s\n", payload->waste_code ? payload->waste_code : "");
  g_string_append_printf (s, "HZ:%s\n", hz);
  g_string_append_printf (s, "DT:%s\n", payload->date ? payload->date : "");
  if (payload->reprint > 0)
    g_string_append_printf (s, "RP:%u\n", payload->reprint);

  crc = crc32_ieee ((const guint8 *) s->str, s->len);
  g_string_append_printf (s, "CK:%08X", crc);

  return g_string_free (s, FALSE);
}

void
wt_payload_free (WtPayload *payload)
{
  if (payload == NULL)
    return;
  g_free (payload->container_code);
  g_free (payload->waste_code);
  g_free (payload->date);
  g_free (payload);
}

static gboolean
corrupt (GError    **error,
         const char *why)
{
  g_set_error (error, WT_ERROR, WT_ERROR_CORRUPT_CODE,
               _("This Wastetag label was misread or damaged (%s). Scan it again or type the code printed under it."),
               why);
  return FALSE;
}

WtPayload *
wt_payload_parse (const char *text,
                  gssize      length,
                  GError    **error)
{
  g_autoptr(WtPayload) p = NULL;
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;
  const char *ck;
  guint64 version;
  guint64 crc_given;
  char *end = NULL;
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);

  len = length < 0 ? strlen (text) : (gsize) length;

  /* Anything that does not start with "WT<digits>" followed by a space or a
   * newline is someone else's code: a URL, a Wi-Fi code, another vendor. */
  if (len < 3 || text[0] != 'W' || text[1] != 'T' || !g_ascii_isdigit (text[2]))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                   _("This QR code is not a Wastetag label."));
      return NULL;
    }

  copy = g_strndup (text, len);
  if (strlen (copy) != len)
    {
      corrupt (error, _("it contains a NUL byte"));
      return NULL;
    }

  version = g_ascii_strtoull (copy + 2, &end, 10);
  if (end == NULL || (*end != ' ' && *end != '\n'))
    {
      g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                   _("This QR code is not a Wastetag label."));
      return NULL;
    }

  if (version > WT_PAYLOAD_VERSION)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_NEWER_CODE,
                   _("This label was printed by a newer version of Wastetag (format %u). Update Wastetag to read it."),
                   (guint) version);
      return NULL;
    }

  if (version == 0)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_FOREIGN_CODE,
                   _("This QR code is not a Wastetag label."));
      return NULL;
    }

  if (!g_utf8_validate (copy, len, NULL))
    {
      corrupt (error, _("the text is not valid UTF-8"));
      return NULL;
    }

  ck = g_strrstr (copy, "\nCK:");
  if (ck == NULL)
    {
      corrupt (error, _("the integrity check is missing"));
      return NULL;
    }

  if (strlen (ck + 4) != 8 ||
      !g_ascii_string_to_unsigned (ck + 4, 16, 0, G_MAXUINT32, &crc_given, NULL) ||
      crc_given != crc32_ieee ((const guint8 *) copy, (gsize) (ck - copy) + 1))
    {
      corrupt (error, _("the integrity check does not match"));
      return NULL;
    }

  p = g_new0 (WtPayload, 1);
  p->version = version;

  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "ID:"))
        {
          g_autofree char *norm = normalise_typed (line + 3);
          gsize n = strlen (norm);
          char given;

          if (n < 2)
            {
              corrupt (error, _("the container code is missing"));
              return NULL;
            }
          given = norm[n - 1];
          norm[n - 1] = '\0';
          if (given != wt_code_check_char (norm))
            {
              corrupt (error, _("the container code's check character does not match"));
              return NULL;
            }
          g_free (p->container_code);
          p->container_code = g_steal_pointer (&norm);
        }
      else if (g_str_has_prefix (line, "WC:"))
        {
          g_free (p->waste_code);
          p->waste_code = g_strdup (line + 3);
        }
      else if (g_str_has_prefix (line, "HZ:"))
        {
          if (!wt_hazard_parse (line + 3, &p->hazards))
            {
              corrupt (error, _("the hazard letters are not valid"));
              return NULL;
            }
        }
      else if (g_str_has_prefix (line, "DT:"))
        {
          g_free (p->date);
          p->date = g_strdup (line + 3);
        }
      else if (g_str_has_prefix (line, "RP:"))
        {
          guint64 rp;

          if (!g_ascii_string_to_unsigned (line + 3, 10, 0, G_MAXUINT, &rp, NULL))
            {
              corrupt (error, _("the reprint counter is not valid"));
              return NULL;
            }
          p->reprint = rp;
        }
      /* Unknown keys are skipped: a later version 1 writer may add fields. */
    }

  if (p->container_code == NULL || p->waste_code == NULL || p->date == NULL)
    {
      corrupt (error, _("a required field is missing"));
      return NULL;
    }

  return g_steal_pointer (&p);
}
