/* wt-qr.c: QR symbols through libqrencode, UTF-8 behind an ECI 26 header.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <qrencode.h>

#include "wt-error.h"
#include "wt-qr.h"

gboolean
wt_ecc_parse (const char *text,
              WtEcc      *out_ecc)
{
  WtEcc ecc;

  g_return_val_if_fail (text != NULL, FALSE);

  if (g_ascii_strcasecmp (text, "M") == 0)
    ecc = WT_ECC_M;
  else if (g_ascii_strcasecmp (text, "Q") == 0)
    ecc = WT_ECC_Q;
  else if (g_ascii_strcasecmp (text, "H") == 0)
    ecc = WT_ECC_H;
  else
    return FALSE;

  if (out_ecc != NULL)
    *out_ecc = ecc;

  return TRUE;
}

const char *
wt_ecc_to_string (WtEcc ecc)
{
  switch (ecc)
    {
    case WT_ECC_M:
      return "M";
    case WT_ECC_Q:
      return "Q";
    case WT_ECC_H:
      return "H";
    default:
      g_return_val_if_reached (NULL);
    }
}

static QRecLevel
ecc_to_qr_level (WtEcc ecc)
{
  switch (ecc)
    {
    case WT_ECC_M:
      return QR_ECLEVEL_M;
    case WT_ECC_H:
      return QR_ECLEVEL_H;
    case WT_ECC_Q:
    default:
      return QR_ECLEVEL_Q;
    }
}

WtQr *
wt_qr_encode (const char *utf8,
              WtEcc       ecc,
              GError    **error)
{
  QRinput *input;
  QRcode *code;
  WtQr *qr;
  gsize len;
  gsize n_modules;

  g_return_val_if_fail (utf8 != NULL, NULL);
  /* ECI 26 promises UTF-8; zbar drops a symbol whose bytes break it. */
  g_return_val_if_fail (g_utf8_validate (utf8, -1, NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (utf8);

  /* Version 0 lets libqrencode pick the smallest version that holds the
   * data. ECI 26 tells every decoder the bytes are UTF-8; without it zbar
   * guesses (Big5, Shift-JIS) and garbles Chinese text. */
  input = QRinput_new2 (0, ecc_to_qr_level (ecc));
  if (input == NULL)
    g_error ("QRinput_new2: %s", g_strerror (errno));

  if (QRinput_appendECIheader (input, 26) != 0 ||
      (len > 0 && QRinput_append (input, QR_MODE_8, (int) len,
                                  (const unsigned char *) utf8) != 0))
    {
      QRinput_free (input);
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The text is too long for a QR code."));
      return NULL;
    }

  code = QRcode_encodeInput (input);
  QRinput_free (input);
  if (code == NULL)
    {
      /* ERANGE is "does not fit in version 40"; ENOMEM aborts like g_malloc. */
      if (errno == ENOMEM)
        g_error ("QRcode_encodeInput: %s", g_strerror (errno));
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("The text is too long for a QR code."));
      return NULL;
    }

  qr = g_new0 (WtQr, 1);
  qr->width = code->width;
  qr->version = code->version;
  n_modules = (gsize) code->width * (gsize) code->width;
  qr->modules = g_malloc (n_modules);
  /* libqrencode packs flags in the upper bits; bit 0 is the module colour. */
  for (gsize i = 0; i < n_modules; i++)
    qr->modules[i] = code->data[i] & 1;
  QRcode_free (code);

  return qr;
}

void
wt_qr_free (WtQr *qr)
{
  if (qr == NULL)
    return;

  g_free (qr->modules);
  g_free (qr);
}

gboolean
wt_qr_is_dark (const WtQr *qr,
               int         x,
               int         y)
{
  g_return_val_if_fail (qr != NULL, FALSE);

  /* Outside the symbol is the quiet zone, which is light. */
  if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
    return FALSE;

  return qr->modules[(gsize) y * (gsize) qr->width + (gsize) x] != 0;
}
