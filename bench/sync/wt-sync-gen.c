/* wt-sync-gen.c: see wt-sync-gen.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "wt-ledger-private.h"
#include "wt-sync-gen.h"

#define TXN 10000

static const char *label_payload =
  "{\"content\":{\"category\":\"HW08\",\"common_name\":\"废机油\",\"contact\":\"王芳 0591-88880000\","
  "\"container_type\":\"钢桶\",\"date\":\"2026-11-30\",\"form\":\"液态\",\"harmful_components\":\"多环芳烃\","
  "\"hazards\":\"T,I\",\"main_components\":\"矿物油\",\"notes\":\"\",\"precautions\":\"远离火源，防止泄漏。\","
  "\"producer\":\"示例化工有限公司\",\"volume_l\":200,\"waste_code\":\"900-249-08\","
  "\"waste_name\":\"其他生产、销售、使用过程中产生的废矿物油\",\"weight\":\"170 kg\"},"
  "\"copies\":2,\"ecc\":\"Q\",\"job\":1,\"size_mm\":150,\"weight_kg\":170.0}";

gboolean
wt_sync_generate (WtLedger    *self,
                  gint64       n_events,
                  const char  *receiver,
                  guint        every,
                  GError     **error)
{
  gint64 done = 0;
  gint64 base = wt_ledger_count_events (self);
  gint64 container = 0;

  if (every == 0)
    every = 1;

  while (done < n_events)
    {
      Appender app = { 0 };
      gint64 in_txn = 0;
      gboolean ok = FALSE;

      g_mutex_lock (&self->lock);
      if (!wt_ledger_require_site (self, error) || !wt_db_exec (self, "BEGIN IMMEDIATE", error))
        goto out;
      if (!wt_appender_begin (self, &app, error))
        goto fail;

      while (in_txn < TXN && done < n_events)
        {
          g_autofree char *code = g_strdup_printf ("%s%cG%010" G_GINT64_FORMAT, self->site_id, self->slot, base + container);
          g_autofree char *ship = NULL;
          const char *to = (container % every == 0 && receiver) ? receiver : "某处置中心（非本系统）";
          guint8 last[16];
          int step;

          ship = g_strdup_printf ("{\"carrier\":\"顺达危运\",\"manifest\":\"gen-%" G_GINT64_FORMAT "\","
                                  "\"number\":\"20263501%06" G_GINT64_FORMAT "\",\"receiver\":\"%s\","
                                  "\"vehicle\":\"闽A12345\",\"weight_kg\":170.0}",
                                  base + container, (base + container) % 1000000, to);
          for (step = 0; step < 3 && done < n_events; step++)
            {
              static const char *kinds[] = { "labelled", "stored", "shipped" };
              const char *payload = step == 0 ? label_payload : step == 1 ? "{\"facility\":\"TS001\"}" : ship;

              if (!wt_appender_add (self, &app, code, kinds[step], step ? last : NULL, payload, last, error))
                goto fail;
              done++;
              in_txn++;
            }
          container++;
        }

      if (!wt_appender_finish (self, &app, error) || !wt_db_exec (self, "COMMIT", error))
        goto fail;
      ok = TRUE;
      goto out;
fail:
      wt_db_rollback (self);
out:
      wt_appender_clear (&app);
      g_mutex_unlock (&self->lock);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}
