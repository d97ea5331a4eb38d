/* wt-cli-handover.c: store, manifests, ship, receive, treat, weigh, inspect.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each command is one transaction in the ledger: a refused container
 * refuses the whole command and nothing is recorded.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "wt-cli.h"
#include "wt-decoder.h"
#include "wt-error.h"
#include "wt-handover.h"

/* Resolves every argument to a canonical code; NULL on the first bad one. */
static GStrv
resolve_all (WtLedger  *ledger,
             int        argc,
             char     **argv,
             GError   **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (int i = 0; i < argc; i++)
    {
      g_autofree char *code = wt_ledger_resolve_code (ledger, argv[i], error);

      if (code == NULL)
        return NULL;
      g_strv_builder_add (b, code);
    }

  return g_strv_builder_end (b);
}

static gboolean
parse_party (const char  *text,
             WtParty     *out,
             GError     **error)
{
  const char *colon = text ? strrchr (text, ':') : NULL;

  if (colon == NULL || colon == text)
    {
      g_set_error (error, WT_ERROR, WT_ERROR_INVALID_INPUT,
                   _("Give a person as NAME:PIN, for example 王芳:1234."));
      return FALSE;
    }
  out->name = g_strndup (text, colon - text);
  out->pin = g_strdup (colon + 1);
  return TRUE;
}

static void
party_clear (WtParty *p)
{
  g_free ((char *) p->name);
  g_free ((char *) p->pin);
}

int
wt_cli_store (int    argc,
              char **argv)
{
  g_autofree char *facility = NULL;
  GOptionEntry entries[] = {
    { "facility", 0, 0, G_OPTION_ARG_STRING, &facility, N_("Storage facility code (贮存设施)"), N_("CODE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER… — store containers in a facility (入库)"));
  g_autoptr(WtLedger) ledger = NULL;
  g_auto(GStrv) codes = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc < 2)
    return fail_msg (_("Name the containers to store."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  if (facility == NULL)
    {
      g_autoptr(WtSite) site = wt_ledger_dup_site (ledger, NULL);

      if (site != NULL && site->facility[0] != '\0')
        facility = g_strdup (site->facility);
    }
  codes = resolve_all (ledger, argc - 1, argv + 1, &error);
  if (codes == NULL)
    return fail (error);
  if (!wt_ledger_store (ledger, facility, (const char * const *) codes, &error))
    return fail (error);

  return 0;
}

static void
print_list (const char *title,
            GStrv       list)
{
  for (guint i = 0; list && list[i]; i++)
    g_print ("%s\t%s\n", title, list[i]);
}

static int
manifest_show (WtLedger   *ledger,
               const char *key)
{
  g_autoptr(WtManifest) m = NULL;
  g_autoptr(WtReconciliation) rec = NULL;
  GError *error = NULL;

  m = wt_ledger_get_manifest (ledger, key, &error);
  if (m == NULL)
    return fail (error);
  rec = wt_ledger_reconcile (ledger, m->id, &error);
  if (rec == NULL)
    return fail (error);

  g_print ("id\t%s\nnumber\t%s\ndraft_number\t%s\ndirection\t%s\nproducer\t%s\ncarrier\t%s\nvehicle\t%s\nreceiver\t%s\n"
           "receiver_licence\t%s\nstatus\t%s\n",
           m->id, m->number, m->draft_number,
           m->direction == WT_MANIFEST_INCOMING ? "in" : "out",
           m->producer, m->carrier, m->vehicle, m->receiver, m->receiver_licence,
           m->confirmed ? "confirmed" : "open");
  g_print ("expected\t%u\nscanned\t%u\n", rec->n_expected, rec->n_scanned);
  for (guint i = 0; i < rec->tallies->len; i++)
    {
      WtWasteTally *t = g_ptr_array_index (rec->tallies, i);

      g_print ("waste\t%s\t%u\t%u\t%.3f\t%.3f\n", t->waste_code, t->expected, t->scanned,
               t->expected_kg, t->scanned_kg);
    }
  print_list ("missing", rec->missing);
  print_list ("unexpected", rec->unexpected);
  print_list ("duplicate", rec->duplicates);
  print_list ("already_shipped", rec->already_shipped);
  print_list ("wrong_waste", rec->wrong_waste);
  return 0;
}

static int
manifest_load (WtLedger  *ledger,
               int        argc,
               char     **argv)
{
  g_autoptr(WtDecoder) decoder = wt_decoder_new ();
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) payloads = NULL;
  g_autoptr(WtManifest) m = NULL;
  GError *error = NULL;
  guint n = 0;

  for (int i = 0; i < argc; i++)
    {
      g_autoptr(GPtrArray) found = wt_decoder_decode_file (decoder, argv[i], &error);

      if (found == NULL)
        return fail (error);
      for (guint k = 0; k < found->len; k++)
        {
          WtDecoded *d = g_ptr_array_index (found, k);

          g_strv_builder_add (b, d->text);
          n++;
        }
    }
  if (n == 0)
    return fail_msg (_("No QR code was found in the image; photograph the receipt’s QR code again, closer and sharper."));

  payloads = g_strv_builder_end (b);
  m = wt_ledger_load_receipt (ledger, (const char * const *) payloads, &error);
  if (m == NULL)
    return fail (error);

  g_print ("%s\n", m->id);
  return 0;
}

int
wt_cli_manifest (int    argc,
                 char **argv)
{
  g_autofree char *number = NULL, *carrier = NULL, *vehicle = NULL, *receiver = NULL, *output = NULL;
  g_autofree char *licence = NULL;
  gboolean raw = FALSE;
  GOptionEntry entries[] = {
    { "number", 0, 0, G_OPTION_ARG_STRING, &number, N_("Official 14-digit manifest number, if known"), N_("DIGITS") },
    { "carrier", 0, 0, G_OPTION_ARG_STRING, &carrier, N_("Carrier (承运人)"), N_("NAME") },
    { "vehicle", 0, 0, G_OPTION_ARG_STRING, &vehicle, N_("Vehicle plate"), N_("PLATE") },
    { "receiver", 0, 0, G_OPTION_ARG_STRING, &receiver, N_("Receiver (接受人)"), N_("NAME") },
    { "receiver-licence", 0, 0, G_OPTION_ARG_STRING, &licence,
      N_("The receiver’s hazardous-waste operating licence number (危险废物经营许可证编号)"), N_("TEXT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Where to write the handover receipt"), N_("FILE") },
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, N_("Print the receipt’s QR texts instead of a PDF"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("new|show|list|number|expect|receipt|load — transfer manifests (转移联单)"));
  g_autoptr(WtLedger) ledger = NULL;
  GError *error = NULL;
  const char *sub;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc < 2)
    return fail_msg (_("Say what to do with manifests: new, show, list, number, expect, receipt or load."));
  sub = argv[1];

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  if (strcmp (sub, "new") == 0)
    {
      g_autoptr(WtManifest) m = wt_ledger_manifest_new_full (ledger, number, carrier, vehicle, receiver, licence, &error);

      if (m == NULL)
        return fail (error);
      g_print ("%s\n", m->id);
      return 0;
    }
  if (strcmp (sub, "show") == 0 && argc == 3)
    return manifest_show (ledger, argv[2]);
  if (strcmp (sub, "list") == 0)
    {
      g_autoptr(GPtrArray) list = wt_ledger_list_manifests (ledger, &error);

      if (list == NULL)
        return fail (error);
      g_print ("id\tnumber\tdirection\tstatus\tcarrier\treceiver\n");
      for (guint i = 0; i < list->len; i++)
        {
          WtManifest *m = g_ptr_array_index (list, i);

          g_print ("%s\t%s\t%s\t%s\t%s\t%s\n", m->id, wt_manifest_get_display_number (m),
                   m->direction == WT_MANIFEST_INCOMING ? "in" : "out",
                   m->confirmed ? "confirmed" : "open", m->carrier, m->receiver);
        }
      return 0;
    }
  if (strcmp (sub, "number") == 0 && argc == 4)
    {
      if (!wt_ledger_manifest_set_number (ledger, argv[2], argv[3], &error))
        return fail (error);
      return 0;
    }
  if (strcmp (sub, "expect") == 0 && argc >= 4)
    {
      g_auto(GStrv) codes = resolve_all (ledger, argc - 3, argv + 3, &error);

      if (codes == NULL || !wt_ledger_manifest_expect (ledger, argv[2], (const char * const *) codes, &error))
        return fail (error);
      return 0;
    }
  if (strcmp (sub, "receipt") == 0 && argc == 3)
    {
      if (raw)
        {
          g_auto(GStrv) payloads = wt_ledger_receipt_payloads (ledger, argv[2], &error);

          if (payloads == NULL)
            return fail (error);
          for (guint i = 0; payloads[i]; i++)
            g_print ("%s\n\n", payloads[i]);
          return 0;
        }
      if (output == NULL)
        return fail_msg (_("Say where to write the receipt with -o FILE."));
      if (!wt_ledger_write_receipt (ledger, argv[2], output, &error))
        return fail (error);
      return 0;
    }
  if (strcmp (sub, "load") == 0 && argc >= 3)
    return manifest_load (ledger, argc - 2, argv + 2);

  return fail_msg (_("Say what to do with manifests: new, show, list, number, expect, receipt or load."));
}

int
wt_cli_ship (int    argc,
             char **argv)
{
  g_autofree char *manifest = NULL, *by = NULL, *taker = NULL;
  GOptionEntry entries[] = {
    { "manifest", 0, 0, G_OPTION_ARG_STRING, &manifest, N_("Manifest id or number"), N_("ID") },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by, N_("Person handing over, as NAME:PIN"), N_("NAME:PIN") },
    { "carrier-person", 0, 0, G_OPTION_ARG_STRING, &taker, N_("Carrier’s person taking over, as NAME:PIN"), N_("NAME:PIN") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER… — hand containers to the carrier (出库)"));
  g_autoptr(WtLedger) ledger = NULL;
  g_auto(GStrv) codes = NULL;
  WtParty parties[2] = { { 0 } };
  guint n_parties = 0;
  GError *error = NULL;
  int status = 0;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (manifest == NULL)
    return fail_msg (_("Say which manifest with --manifest ID."));
  if (argc < 2)
    return fail_msg (_("Name the containers to ship."));
  if ((by == NULL) != (taker == NULL))
    return fail_msg (_("Both parties confirm: give --by and --carrier-person together."));
  if (by != NULL)
    {
      if (!parse_party (by, &parties[0], &error) || !parse_party (taker, &parties[1], &error))
        {
          status = fail (error);
          goto out;
        }
      n_parties = 2;
    }

  ledger = open_ledger (&error);
  if (ledger == NULL)
    {
      status = fail (error);
      goto out;
    }
  codes = resolve_all (ledger, argc - 1, argv + 1, &error);
  if (codes == NULL ||
      !wt_ledger_ship (ledger, manifest, (const char * const *) codes, parties, n_parties, &error))
    status = fail (error);

out:
  party_clear (&parties[0]);
  party_clear (&parties[1]);
  return status;
}

int
wt_cli_receive (int    argc,
                char **argv)
{
  g_autofree char *manifest = NULL;
  g_auto(GStrv) rejects = NULL;
  g_auto(GStrv) weights = NULL;
  GOptionEntry entries[] = {
    { "manifest", 0, 0, G_OPTION_ARG_STRING, &manifest, N_("Manifest id or number (load its receipt first)"), N_("ID") },
    { "reject", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rejects, N_("Reject a container, with the reason"), N_("CONTAINER=REASON") },
    { "weight", 0, 0, G_OPTION_ARG_STRING_ARRAY, &weights, N_("Weight found at receipt"), N_("CONTAINER=KG") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER… — receive containers (接收)"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (WtReceiveItem));
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (manifest == NULL)
    return fail_msg (_("Say which manifest with --manifest ID."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  for (int i = 1; i < argc; i++)
    {
      WtReceiveItem it = { 0 };
      char *code = wt_ledger_resolve_code (ledger, argv[i], &error);

      if (code == NULL)
        return fail (error);
      g_ptr_array_add (keep, code);
      it.code = code;
      it.weight_kg = -1;
      g_hash_table_add (listed, code);
      g_array_append_val (items, it);
    }

  /* --reject C=REASON and --weight C=KG refine the items; a rejected
   * container need not be listed twice. */
  for (guint pass = 0; pass < 2; pass++)
    {
      GStrv list = pass == 0 ? rejects : weights;

      for (guint i = 0; list && list[i]; i++)
        {
          const char *eq = strchr (list[i], '=');
          g_autofree char *key = NULL;
          char *code;
          gboolean found = FALSE;

          if (eq == NULL)
            return fail_msg (pass == 0 ? _("Write --reject CONTAINER=REASON.") : _("Write --weight CONTAINER=KG."));
          key = g_strndup (list[i], eq - list[i]);
          code = wt_ledger_resolve_code (ledger, key, &error);
          if (code == NULL)
            return fail (error);
          g_ptr_array_add (keep, code);

          if (!g_hash_table_contains (listed, code))
            {
              WtReceiveItem it = { 0 };

              it.code = code;
              it.weight_kg = -1;
              g_hash_table_add (listed, code);
              g_array_append_val (items, it);
            }

          for (guint k = 0; k < items->len; k++)
            {
              WtReceiveItem *it = &g_array_index (items, WtReceiveItem, k);

              if (strcmp (it->code, code) != 0)
                continue;
              found = TRUE;
              if (pass == 0)
                {
                  it->reject = TRUE;
                  it->reason = eq + 1;
                }
              else if (!parse_weight (eq + 1, &it->weight_kg, &error))
                return fail (error);
            }
          g_assert (found);
        }
    }

  if (items->len == 0)
    return fail_msg (_("Name the containers to receive."));

  if (!wt_ledger_receive (ledger, manifest, (WtReceiveItem *) items->data, items->len, NULL, 0, &error))
    return fail (error);

  return 0;
}

int
wt_cli_treat (int    argc,
              char **argv)
{
  g_autofree char *method = NULL;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, N_("Treatment method code (see “methods”)"), N_("CODE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER… — record treatment (利用/处置)"));
  g_autoptr(WtLedger) ledger = NULL;
  g_auto(GStrv) codes = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (method == NULL)
    return fail_msg (_("Say which treatment method with --method CODE; “wastetag-cli methods” lists them."));
  if (argc < 2)
    return fail_msg (_("Name the containers that were treated."));

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  codes = resolve_all (ledger, argc - 1, argv + 1, &error);
  if (codes == NULL || !wt_ledger_treat (ledger, method, (const char * const *) codes, &error))
    return fail (error);

  return 0;
}

int
wt_cli_weigh (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER KG — record a weighing"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autofree char *code = NULL;
  GError *error = NULL;
  double kg;

  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return fail_msg (_("Say which container and its weight: “weigh CONTAINER KG”."));
  if (!parse_weight (argv[2], &kg, &error))
    return fail (error);

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  code = wt_ledger_resolve_code (ledger, argv[1], &error);
  if (code == NULL || !wt_ledger_weigh (ledger, code, kg, &error))
    return fail (error);

  return 0;
}

int
wt_cli_inspect (int    argc,
                char **argv)
{
  gboolean seal_broken = FALSE, leaking = FALSE, bulging = FALSE, corroded = FALSE, illegible = FALSE;
  g_autofree char *reason = NULL;
  GOptionEntry entries[] = {
    { "seal-broken", 0, 0, G_OPTION_ARG_NONE, &seal_broken, N_("The seal is not intact"), NULL },
    { "leaking", 0, 0, G_OPTION_ARG_NONE, &leaking, N_("The container leaks"), NULL },
    { "bulging", 0, 0, G_OPTION_ARG_NONE, &bulging, N_("The container bulges"), NULL },
    { "corroded", 0, 0, G_OPTION_ARG_NONE, &corroded, N_("The container is corroded"), NULL },
    { "label-illegible", 0, 0, G_OPTION_ARG_NONE, &illegible, N_("The label cannot be read"), NULL },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("What was done about a failed check"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("CONTAINER — record a condition check"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autofree char *code = NULL;
  WtCondition condition;
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return fail_msg (_("Say which container: “inspect CONTAINER”."));

  wt_condition_init (&condition);
  condition.seal_intact = !seal_broken;
  condition.leaking = leaking;
  condition.bulging = bulging;
  condition.corroded = corroded;
  condition.label_legible = !illegible;
  condition.reason = reason;

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);
  code = wt_ledger_resolve_code (ledger, argv[1], &error);
  if (code == NULL || !wt_ledger_inspect (ledger, code, &condition, &error))
    return fail (error);

  return 0;
}

int
wt_cli_methods (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("[set CODE NAME] — the site’s treatment methods"));
  g_autoptr(WtLedger) ledger = NULL;
  g_autoptr(GPtrArray) methods = NULL;
  GError *error = NULL;

  if (!parse_options (context, &argc, &argv))
    return 2;

  ledger = open_ledger (&error);
  if (ledger == NULL)
    return fail (error);

  if (argc == 4 && strcmp (argv[1], "set") == 0)
    {
      if (!wt_ledger_set_method (ledger, argv[2], argv[3], &error))
        return fail (error);
      return 0;
    }
  if (argc > 1 && strcmp (argv[1], "list") != 0)
    return fail_msg (_("Say “methods” to list them or “methods set CODE NAME” to add or rename one."));

  methods = wt_ledger_list_methods (ledger, &error);
  if (methods == NULL)
    return fail (error);
  for (guint i = 0; i < methods->len; i++)
    {
      WtMethod *m = g_ptr_array_index (methods, i);

      g_print ("%s\t%s\n", m->code, m->name);
    }
  return 0;
}
