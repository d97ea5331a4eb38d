/* wt-label-view.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The form on the left builds a WtLabelContent and WtLabelOptions; the
 * preview on the right draws the first label with the core renderer, 150 ms
 * after the last change. Printing and export follow the ledger's contract:
 * reserve codes, write or print, then commit the job — or abandon it, so a
 * cancelled or failed batch registers nothing. Every ledger call and every
 * file write runs on a worker thread.
 */
#define G_LOG_DOMAIN "wt-label-view"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "wt-catalogue.h"
#include "wt-code.h"
#include "wt-error.h"
#include "wt-hazard.h"
#include "wt-label-preview.h"
#include "wt-label-print.h"
#include "wt-label-view.h"
#include "wt-waste-row.h"
#include "wt-worker.h"

#define PREVIEW_DELAY_MS 150
#define MAX_RESULTS 50
#define RESULT_ROW_HEIGHT 66
#define MAX_CONTAINERS 10000

/* What the label says is Chinese whatever the interface language: HJ 1276
 * prescribes it. The combo rows show translatable words for these. */
static const char * const form_values[] = { "固态", "液态", "半固态", "气态" };
static const char * const container_values[] = { "钢桶", "塑料桶", "吨桶", "编织袋", "纸箱", "其他" };
static const guint size_values[] = { 0, 100, 150, 200 };

struct _WtLabelView
{
  GtkWidget          parent_instance;

  /* Template Widgets */
  AdwLeaflet        *leaflet;
  GtkWidget         *form_scroller;
  GtkWidget         *preview_pane;
  GtkDropDown       *catalogue_dropdown;
  GtkSearchEntry    *search_entry;
  GtkWidget         *results_scroller;
  GtkListBox        *results_list;
  AdwEntryRow       *code_row;
  AdwActionRow      *category_row;
  GtkLabel          *code_error_label;
  AdwEntryRow       *name_row;
  AdwEntryRow       *common_name_row;
  AdwComboRow       *form_row;
  AdwEntryRow       *main_components_row;
  AdwEntryRow       *harmful_components_row;
  GtkToggleButton   *hazard_t;
  GtkToggleButton   *hazard_c;
  GtkToggleButton   *hazard_i;
  GtkToggleButton   *hazard_r;
  GtkToggleButton   *hazard_in;
  AdwEntryRow       *precautions_row;
  AdwEntryRow       *producer_row;
  AdwEntryRow       *contact_row;
  AdwEntryRow       *date_row;
  AdwEntryRow       *notes_row;
  AdwComboRow       *container_row;
  AdwActionRow      *volume_row;
  GtkSpinButton     *volume_spin;
  AdwEntryRow       *weight_row;
  GtkSpinButton     *count_spin;
  AdwComboRow       *size_row;
  AdwComboRow       *ecc_row;
  AdwComboRow       *layout_row;
  AdwActionRow      *start_row;
  GtkSpinButton     *start_spin;
  WtLabelPreview    *preview;
  GtkLabel          *preview_code_label;
  GtkLabel          *size_hint_label;
  GtkLabel          *problem_label;
  GtkWidget         *progress_box;
  GtkLabel          *progress_label;
  GtkProgressBar    *progress_bar;
  GtkWidget         *print_button;
  GtkWidget         *export_button;

  /* Borrowed References */
  const WtWaste     *waste;

  /* Owned References */
  WtLedger          *ledger;
  WtSite            *site;
  GSettings         *settings;
  GCancellable      *cancellable;
  GCancellable      *job_cancellable;
  GtkNativeDialog   *export_chooser;
  char              *problem;
  guint              preview_source;

  gboolean           filling;
  gboolean           busy;
  gboolean           can_print;
};

G_DEFINE_FINAL_TYPE (WtLabelView, wt_label_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LEDGER,
  PROP_BUSY,
  PROP_CAN_PRINT,
  N_PROPS
};

enum {
  ADD_TOAST,
  LEDGER_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void validate (WtLabelView *self);

/* ---- Reading the form ----------------------------------------------------- */

static WtCatalogue *
current_catalogue (WtLabelView *self)
{
  if (gtk_drop_down_get_selected (self->catalogue_dropdown) == 1)
    return wt_catalogue_get (WT_CATALOGUE_EWC);
  return wt_catalogue_get (WT_CATALOGUE_HW_2021);
}

static GtkToggleButton *
hazard_button (WtLabelView *self,
               guint        n)
{
  GtkToggleButton *buttons[WT_N_HAZARDS] = {
    self->hazard_t, self->hazard_c, self->hazard_i, self->hazard_r, self->hazard_in,
  };

  g_assert (n < WT_N_HAZARDS);
  return buttons[n];
}

static guint
get_hazards (WtLabelView *self)
{
  guint hazards = 0;
  guint n;

  for (n = 0; n < WT_N_HAZARDS; n++)
    if (gtk_toggle_button_get_active (hazard_button (self, n)))
      hazards |= wt_hazard_nth (n);
  return hazards;
}

static void
set_hazards (WtLabelView *self,
             guint        hazards)
{
  guint n;

  for (n = 0; n < WT_N_HAZARDS; n++)
    gtk_toggle_button_set_active (hazard_button (self, n), (hazards & wt_hazard_nth (n)) != 0);
}

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static guint
get_count (WtLabelView *self)
{
  gtk_spin_button_update (self->count_spin);
  return (guint) gtk_spin_button_get_value_as_int (self->count_spin);
}

static double
get_volume (WtLabelView *self)
{
  return gtk_spin_button_get_value (self->volume_spin);
}

static guint
get_size (WtLabelView *self)
{
  guint selected = adw_combo_row_get_selected (self->size_row);

  if (selected == 0 || selected >= G_N_ELEMENTS (size_values))
    return wt_label_size_for_volume (get_volume (self));
  return size_values[selected];
}

/* Parses the weight field. Empty means unknown (-1). Accepts a decimal comma. */
static gboolean
parse_weight (const char *text,
              double     *out_kg)
{
  g_autofree char *copy = g_strstrip (g_strdelimit (g_strdup (text), ",", '.'));
  char *end = NULL;
  double kg;

  if (copy[0] == '\0')
    {
      *out_kg = -1;
      return TRUE;
    }

  kg = g_ascii_strtod (copy, &end);
  if (end == copy || *end != '\0' || !isfinite (kg) || kg < 0)
    return FALSE;

  *out_kg = kg;
  return TRUE;
}

static gboolean
date_is_valid (const char *text)
{
  int year, month, day;
  char tail;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  if (sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3)
    return FALSE;
  return g_date_valid_dmy (day, month, year);
}

static void
build_options (WtLabelView    *self,
               WtLabelOptions *options)
{
  guint capacity;

  wt_label_options_init (options);
  options->size_mm = get_size (self);
  options->ecc = (WtEcc) MIN (adw_combo_row_get_selected (self->ecc_row), WT_ECC_H);
  options->dpi = g_settings_get_uint (self->settings, "printer-dpi");
  options->layout = adw_combo_row_get_selected (self->layout_row) == 1
                      ? WT_LABEL_LAYOUT_A4_SHEET
                      : WT_LABEL_LAYOUT_SINGLE;
  capacity = wt_label_sheet_capacity (options->size_mm);
  options->start_position = 1;
  if (options->layout == WT_LABEL_LAYOUT_A4_SHEET && capacity > 0)
    options->start_position = CLAMP ((guint) gtk_spin_button_get_value_as_int (self->start_spin), 1, capacity);
}

static WtLabelContent *
build_content (WtLabelView *self)
{
  WtLabelContent *content = wt_label_content_new ();
  guint form = adw_combo_row_get_selected (self->form_row);
  guint container = adw_combo_row_get_selected (self->container_row);
  double kg = -1;

  wt_label_content_set (content, &content->waste_name, row_text (self->name_row));
  wt_label_content_set (content, &content->common_name, row_text (self->common_name_row));
  if (self->waste != NULL)
    {
      wt_label_content_set (content, &content->category, self->waste->category);
      wt_label_content_set (content, &content->waste_code, self->waste->code);
    }
  else
    wt_label_content_set (content, &content->waste_code, row_text (self->code_row));
  wt_label_content_set (content, &content->form, form_values[MIN (form, G_N_ELEMENTS (form_values) - 1)]);
  wt_label_content_set (content, &content->main_components, row_text (self->main_components_row));
  wt_label_content_set (content, &content->harmful_components, row_text (self->harmful_components_row));
  content->hazards = get_hazards (self);
  wt_label_content_set (content, &content->precautions, row_text (self->precautions_row));
  wt_label_content_set (content, &content->producer, row_text (self->producer_row));
  wt_label_content_set (content, &content->contact, row_text (self->contact_row));
  wt_label_content_set (content, &content->date, row_text (self->date_row));
  if (parse_weight (row_text (self->weight_row), &kg) && kg >= 0)
    {
      g_autofree char *weight = g_strdup_printf ("%g kg", kg);

      wt_label_content_set (content, &content->weight, weight);
    }
  wt_label_content_set (content, &content->notes, row_text (self->notes_row));
  wt_label_content_set (content, &content->container_type,
                        container_values[MIN (container, G_N_ELEMENTS (container_values) - 1)]);
  content->volume_l = get_volume (self);

  return content;
}

/* ---- State ---------------------------------------------------------------- */

static void
update_actions (WtLabelView *self)
{
  gboolean enabled = self->can_print && !self->busy;

  /* A job may finish after dispose cleared the template widgets. */
  if (self->print_button == NULL)
    return;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.print", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.export", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.print-to-pdf", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.export-to", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.cancel",
                                 self->busy && self->job_cancellable != NULL);

  gtk_widget_set_tooltip_text (self->print_button, self->can_print ? _("Print the labels and register the containers") : self->problem);
  gtk_widget_set_tooltip_text (self->export_button, self->can_print ? _("Save the labels as PDF, PNG or SVG and register the containers") : self->problem);
}

static void
set_busy (WtLabelView *self,
          gboolean     busy,
          const char  *message)
{
  if (self->progress_box == NULL)
    return;

  gtk_widget_set_visible (self->progress_box, busy);
  gtk_label_set_text (self->progress_label, message != NULL ? message : "");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);

  if (self->busy != busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
  update_actions (self);
}

static void
set_row_error (gpointer row,
               gboolean error)
{
  if (error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_add_css_class (GTK_WIDGET (row), "wt-row-error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (row), "wt-row-error");
    }
}

static void
show_error_dialog (WtLabelView *self,
                   const char  *heading,
                   const char  *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Takes ownership of @toast; a handler keeps its own reference. */
static void
add_toast (WtLabelView *self,
           AdwToast    *toast)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
}

/* ---- Preview -------------------------------------------------------------- */

static void
update_preview (WtLabelView *self)
{
  g_autoptr(WtLabelContent) content = build_content (self);
  g_autofree char *code = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *display = NULL;
  WtLabelOptions options;
  WtLabelItem item = { 0 };

  build_options (self, &options);
  options.layout = WT_LABEL_LAYOUT_SINGLE;

  if (self->site != NULL && self->waste != NULL && date_is_valid (content->date))
    code = wt_code_build (&self->site->split, self->site->uscc, self->waste->code,
                          content->date, self->site->device_slot, 0);

  if (code != NULL)
    {
      WtPayload p = { 0 };

      p.version = WT_PAYLOAD_VERSION;
      p.container_code = code;
      p.waste_code = content->waste_code;
      p.hazards = content->hazards;
      p.date = content->date;
      payload = wt_payload_encode (&p);
      display = wt_code_to_display (&self->site->split, code);
    }

  item.container_code = code != NULL ? code : "";
  item.payload = payload != NULL ? payload : "WT1";
  item.copy = 1;
  item.n_copies = wt_label_copies_for_volume (content->volume_l);
  wt_label_preview_set (self->preview, content, &options, &item);

  gtk_label_set_text (self->preview_code_label, display != NULL ? display : "");
  gtk_widget_set_visible (GTK_WIDGET (self->preview_code_label), display != NULL);
}

static gboolean
preview_timeout_cb (gpointer user_data)
{
  WtLabelView *self = user_data;

  self->preview_source = 0;
  update_preview (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_preview (WtLabelView *self)
{
  g_clear_handle_id (&self->preview_source, g_source_remove);
  self->preview_source = g_timeout_add (PREVIEW_DELAY_MS, preview_timeout_cb, self);
}

/* ---- Validation ------------------------------------------------------------ */

static void
update_size_hints (WtLabelView *self)
{
  double volume = get_volume (self);
  guint suggested = wt_label_size_for_volume (volume);
  guint copies = wt_label_copies_for_volume (volume);
  guint count = get_count (self);
  guint size = get_size (self);
  g_autofree char *hint = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *labels = NULL;
  const char *rule;

  if (volume <= 0)
    rule = _("enter the volume to get the size HJ 1276 asks for");
  else if (suggested <= 100)
    rule = _("HJ 1276 for up to 50 L");
  else if (suggested <= 150)
    rule = _("HJ 1276 for 51–450 L");
  else
    rule = _("HJ 1276 above 450 L");

  if (copies > 1)
    /* Translators: %u is the label edge in mm, %s the HJ 1276 rule. */
    hint = g_strdup_printf (_("Suggested label: %u mm (%s), two labels per container"), suggested, rule);
  else
    hint = g_strdup_printf (_("Suggested label: %u mm (%s)"), suggested, rule);
  adw_action_row_set_subtitle (self->volume_row, hint);

  labels = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u label", "%u labels", count * copies),
                            count * copies);
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u container · %s of %u mm",
                                          "%u containers · %s of %u mm",
                                          count),
                             count, labels, size);
  gtk_label_set_text (self->size_hint_label, summary);
}

static void
set_problem (WtLabelView *self,
             const char  *problem)
{
  gboolean can_print = problem == NULL;

  g_free (self->problem);
  self->problem = g_strdup (problem);

  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);

  if (self->can_print != can_print)
    {
      self->can_print = can_print;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_PRINT]);
    }
  update_actions (self);
}

static void
validate (WtLabelView *self)
{
  const char *code_text = row_text (self->code_row);
  g_autofree char *problem = NULL;
  g_autofree char *code_problem = NULL;
  gboolean weight_ok, date_ok;
  double kg = -1;
  guint count = get_count (self);
  guint size = get_size (self);
  gboolean a4 = adw_combo_row_get_selected (self->layout_row) == 1;
  guint capacity = wt_label_sheet_capacity (size);

  if (code_text[0] != '\0' && self->waste == NULL)
    code_problem = g_strdup_printf (_("“%s” is not a waste code of this catalogue."), code_text);
  gtk_label_set_text (self->code_error_label, code_problem != NULL ? code_problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->code_error_label), code_problem != NULL);
  set_row_error (self->code_row, code_problem != NULL);

  weight_ok = parse_weight (row_text (self->weight_row), &kg);
  set_row_error (self->weight_row, !weight_ok);
  date_ok = date_is_valid (row_text (self->date_row));
  set_row_error (self->date_row, !date_ok);

  gtk_widget_set_visible (GTK_WIDGET (self->start_row), a4);
  if (capacity > 0)
    gtk_spin_button_set_range (self->start_spin, 1, capacity);

  update_size_hints (self);

  if (self->ledger == NULL || self->site == NULL)
    problem = g_strdup (_("Set up the site first."));
  else if (code_problem != NULL)
    problem = g_steal_pointer (&code_problem);
  else if (self->waste == NULL)
    problem = g_strdup (_("Choose the waste from the catalogue first."));
  else if (row_text (self->name_row)[0] == '\0')
    problem = g_strdup (_("The label needs the waste name."));
  else if (!weight_ok)
    problem = g_strdup (_("The weight must be a number of kilograms, 0 or more."));
  else if (!date_ok)
    problem = g_strdup (_("Write the date as YYYY-MM-DD, for example 2026-11-30."));
  else if (count < 1 || count > MAX_CONTAINERS)
    problem = g_strdup_printf (_("A batch has 1 to %u containers."), MAX_CONTAINERS);
  else if (a4 && capacity == 0)
    problem = g_strdup_printf (_("A %u mm label does not fit on an A4 sheet; print one label per page."), size);

  set_problem (self, problem);
}

static void
form_changed_cb (WtLabelView *self)
{
  if (self->filling)
    return;
  validate (self);
  schedule_preview (self);
}

/* ---- Catalogue search -------------------------------------------------- */

static void
fill_waste (WtLabelView   *self,
            const WtWaste *waste)
{
  g_autofree char *category = NULL;

  self->waste = waste;
  self->filling = TRUE;

  if (waste != NULL)
    {
      if (waste->category_name != NULL && waste->category_name[0] != '\0')
        category = g_strdup_printf ("%s %s", waste->category, waste->category_name);
      else
        category = g_strdup (waste->category);

      if (g_strcmp0 (row_text (self->code_row), waste->code) != 0)
        gtk_editable_set_text (GTK_EDITABLE (self->code_row), waste->code);
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), waste->description);
      adw_action_row_set_subtitle (self->category_row, category);
      set_hazards (self, waste->hazards);
    }
  else
    adw_action_row_set_subtitle (self->category_row, _("Choose a waste to see its category"));

  self->filling = FALSE;
  validate (self);
  schedule_preview (self);
}

static void
clear_results (WtLabelView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
}

static void
search_changed_cb (WtLabelView *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(GPtrArray) results = NULL;
  guint i;

  clear_results (self);

  if (query[0] == '\0')
    {
      gtk_widget_set_visible (self->results_scroller, FALSE);
      return;
    }

  results = wt_catalogue_search (current_catalogue (self), query, MAX_RESULTS);
  for (i = 0; results != NULL && i < results->len; i++)
    gtk_list_box_append (self->results_list, wt_waste_row_new (g_ptr_array_index (results, i)));

  /* The form's viewport gives its child the minimum height, not the natural
   * one, so the list asks for room for up to five results itself. */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (self->results_scroller),
                                              RESULT_ROW_HEIGHT * CLAMP (results != NULL ? results->len : 0, 1, 5));
  gtk_widget_set_visible (self->results_scroller, TRUE);
}

static void
result_activated_cb (WtLabelView   *self,
                     GtkListBoxRow *row)
{
  if (WT_IS_WASTE_ROW (row))
    fill_waste (self, wt_waste_row_get_waste (WT_WASTE_ROW (row)));
}

static void
search_activate_cb (WtLabelView *self)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->results_list, 0);

  if (row != NULL)
    {
      gtk_list_box_select_row (self->results_list, row);
      result_activated_cb (self, row);
    }
}

static void
code_changed_cb (WtLabelView *self)
{
  const char *text = row_text (self->code_row);
  const WtWaste *waste;

  if (self->filling)
    return;

  waste = text[0] != '\0' ? wt_catalogue_lookup (current_catalogue (self), text) : NULL;
  if (waste != self->waste)
    fill_waste (self, waste);
  else
    form_changed_cb (self);
}

static void
catalogue_changed_cb (WtLabelView *self)
{
  search_changed_cb (self);
  code_changed_cb (self);
}

gboolean
wt_label_view_select_waste (WtLabelView *self,
                            const char  *code)
{
  const WtWaste *waste;

  g_return_val_if_fail (WT_IS_LABEL_VIEW (self), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  waste = wt_catalogue_lookup (current_catalogue (self), code);
  if (waste == NULL)
    return FALSE;
  fill_waste (self, waste);
  return TRUE;
}

/* ---- Site ------------------------------------------------------------------ */

static gpointer
dup_site_thread (gpointer      data,
                 GCancellable *cancellable,
                 GError      **error)
{
  return wt_ledger_dup_site (WT_LEDGER (data), error);
}

static void
apply_site (WtLabelView *self)
{
  g_autofree char *contact = NULL;

  if (self->site == NULL)
    return;

  contact = g_strjoin (" ", self->site->contact != NULL ? self->site->contact : "",
                       self->site->phone != NULL ? self->site->phone : "", NULL);
  g_strstrip (contact);

  self->filling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->producer_row), self->site->name != NULL ? self->site->name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->contact_row), contact);
  self->filling = FALSE;
}

static void
site_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  WtLabelView *self = WT_LABEL_VIEW (object);
  g_autoptr(GError) error = NULL;
  WtSite *site;

  site = wt_worker_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_pointer (&self->site, wt_site_free);
  self->site = site;
  if (site == NULL && !g_error_matches (error, WT_ERROR, WT_ERROR_NO_SITE))
    g_message ("Could not read the site: %s", error->message);

  apply_site (self);
  validate (self);
  schedule_preview (self);
}

static void
reload_site (WtLabelView *self)
{
  g_clear_pointer (&self->site, wt_site_free);
  validate (self);

  if (self->ledger == NULL)
    return;

  wt_worker_run_async (self, dup_site_thread, g_object_ref (self->ledger), g_object_unref,
                       (GDestroyNotify) wt_site_free, self->cancellable, site_loaded_cb, NULL);
}

/* ---- Jobs: reserve, print or write, commit or abandon --------------------- */

typedef struct
{
  WtLabelView     *self;
  WtLedger        *ledger;
  WtLabelContent  *content;
  WtLabelOptions   options;
  guint            n_containers;
  double           weight_kg;
  WtPrintJob      *job;
  char            *path;
  WtLabelFormat    format;
  gboolean         to_pdf;
  GCancellable    *cancellable;
  GError          *error;
  char            *folder;
  guint            n_items;
  guint            last_percent;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->self);
  g_clear_object (&job->ledger);
  g_clear_pointer (&job->content, wt_label_content_free);
  g_clear_pointer (&job->job, wt_print_job_free);
  g_clear_pointer (&job->path, g_free);
  g_clear_pointer (&job->folder, g_free);
  g_clear_object (&job->cancellable);
  g_clear_error (&job->error);
  g_free (job);
}

static Job *
job_new (WtLabelView *self)
{
  Job *job = g_new0 (Job, 1);
  double kg = -1;

  job->self = g_object_ref (self);
  job->ledger = g_object_ref (self->ledger);
  job->content = build_content (self);
  build_options (self, &job->options);
  job->n_containers = get_count (self);
  parse_weight (row_text (self->weight_row), &kg);
  job->weight_kg = kg;
  return job;
}

/* Every container of the job gets one label, or two above 450 L. The items
 * borrow the job's strings. */
static WtLabelItem *
job_build_items (Job   *job,
                 guint *out_n_items)
{
  guint copies = wt_label_copies_for_volume (job->content->volume_l);
  guint n = job->job->n_containers * copies;
  WtLabelItem *items = g_new0 (WtLabelItem, MAX (n, 1));
  guint i, c;

  for (i = 0; i < job->job->n_containers; i++)
    for (c = 0; c < copies; c++)
      {
        WtLabelItem *item = &items[i * copies + c];

        item->container_code = job->job->codes[i];
        item->payload = job->job->payloads[i];
        item->copy = c + 1;
        item->n_copies = copies;
        item->reprint = 0;
      }

  *out_n_items = n;
  return items;
}

static void
job_done (Job *job)
{
  WtLabelView *self = job->self;

  g_clear_object (&self->job_cancellable);
  set_busy (self, FALSE, NULL);
  job_free (job);
}

static gpointer
abandon_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  Job *job = data;
  const char *reason = job->error != NULL ? job->error->message : "cancelled";

  if (!wt_ledger_abandon_job (job->ledger, job->job, reason, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
report_abandoned (Job *job)
{
  WtLabelView *self = job->self;

  /* The view is going away: nobody is left to read the message. */
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      job_done (job);
      return;
    }

  if (g_error_matches (job->error, WT_ERROR, WT_ERROR_CANCELLED) ||
      g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    add_toast (self, adw_toast_new (_("Cancelled. No containers were registered.")));
  else
    show_error_dialog (self,
                       job->path == NULL || job->to_pdf ? _("Printing Failed") : _("Export Failed"),
                       job->error != NULL ? job->error->message : _("Something went wrong. No containers were registered."));
  job_done (job);
}

static void
abandoned_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(GError) error = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    g_warning ("Could not mark the print job as abandoned: %s", error->message);

  report_abandoned (job);
}

/* Gives up on a reserved job: its codes stay burned, nothing is registered. */
static void
job_abandon (Job    *job,
             GError *error)
{
  g_clear_error (&job->error);
  job->error = error;

  if (job->job == NULL)
    {
      report_abandoned (job);
      return;
    }

  set_busy (job->self, TRUE, _("Cancelling…"));
  /* Not cancellable: the ledger must learn the job is dead even on dispose. */
  wt_worker_run_async (NULL, abandon_thread, job, NULL, NULL, NULL, abandoned_cb, job);
}

static gpointer
commit_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  Job *job = data;

  if (!wt_ledger_commit_job (job->ledger, job->job, job->content, &job->options, job->weight_kg, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
committed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Job *job = user_data;
  WtLabelView *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      job_abandon (job, g_steal_pointer (&error));
      return;
    }

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Printed %u label", "Printed %u labels", job->n_items),
                           job->n_items);
  add_toast (self, adw_toast_new (title));
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
  job_done (job);
}

static void
printed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!wt_label_print_finish (result, &error))
    {
      job_abandon (job, g_steal_pointer (&error));
      return;
    }

  set_busy (job->self, TRUE, _("Registering the containers…"));
  wt_worker_run_async (NULL, commit_thread, job, NULL, NULL, NULL, committed_cb, job);
}

static gpointer
reserve_thread (gpointer      data,
                GCancellable *cancellable,
                GError      **error)
{
  Job *job = data;

  return wt_ledger_reserve (job->ledger, job->content, job->n_containers, error);
}

static void
reserved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  WtLabelView *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autofree WtLabelItem *items = NULL;
  GtkRoot *root;

  job->job = wt_worker_run_finish (result, &error);
  if (job->job == NULL)
    {
      job_abandon (job, g_steal_pointer (&error));
      return;
    }

  items = job_build_items (job, &job->n_items);
  root = gtk_widget_get_root (GTK_WIDGET (self));
  set_busy (self, TRUE, _("Printing…"));
  wt_label_print_async (NULL,
                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                        job->content, &job->options, items, job->n_items,
                        job->to_pdf ? job->path : NULL,
                        self->cancellable, printed_cb, job);
}

static void
start_print (WtLabelView *self,
             const char  *pdf_path)
{
  Job *job;

  validate (self);
  if (!self->can_print || self->busy)
    return;

  job = job_new (self);
  job->to_pdf = pdf_path != NULL;
  job->path = g_strdup (pdf_path);

  set_busy (self, TRUE, _("Reserving codes…"));
  wt_worker_run_async (NULL, reserve_thread, job, NULL, NULL, NULL, reserved_cb, job);
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  start_print (WT_LABEL_VIEW (widget), NULL);
}

static void
print_to_pdf_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  start_print (WT_LABEL_VIEW (widget), g_variant_get_string (parameter, NULL));
}

/* ---- Export ----------------------------------------------------------------- */

typedef struct
{
  WtLabelView *self;
  guint        done;
  guint        total;
} Progress;

static void
progress_free (gpointer pointer)
{
  Progress *progress = pointer;

  g_object_unref (progress->self);
  g_free (progress);
}

static gboolean
progress_idle_cb (gpointer user_data)
{
  Progress *progress = user_data;
  WtLabelView *self = progress->self;
  g_autofree char *text = NULL;

  if (!self->busy || progress->total == 0)
    return G_SOURCE_REMOVE;

  text = g_strdup_printf (_("Writing label %u of %u…"), progress->done, progress->total);
  gtk_label_set_text (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, (double) progress->done / progress->total);
  return G_SOURCE_REMOVE;
}

/* Called on the worker thread; only the idle touches widgets. */
static void
export_progress (guint    done,
                 guint    total,
                 gpointer user_data)
{
  Job *job = user_data;
  guint percent = total > 0 ? done * 100 / total : 100;
  Progress *progress;

  if (percent == job->last_percent && done != total)
    return;
  job->last_percent = percent;

  progress = g_new0 (Progress, 1);
  progress->self = g_object_ref (job->self);
  progress->done = done;
  progress->total = total;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, progress_idle_cb, progress, progress_free);
}

/* Reserve, write, register, then give the files their final names. */
static gpointer
export_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  Job *job = data;
  g_autoptr(WtLabelOutput) output = NULL;
  g_autofree WtLabelItem *items = NULL;
  const char * const *paths;

  job->job = wt_ledger_reserve (job->ledger, job->content, job->n_containers, error);
  if (job->job == NULL)
    return NULL;

  items = job_build_items (job, &job->n_items);
  output = wt_label_output_write (job->content, &job->options, items, job->n_items,
                                  job->format, job->path, job->cancellable,
                                  export_progress, job, error);
  if (output == NULL)
    return NULL;

  if (!wt_ledger_commit_job (job->ledger, job->job, job->content, &job->options, job->weight_kg, error))
    return NULL;
  /* From here on the containers exist, so the job is not to be abandoned. */
  g_clear_pointer (&job->job, wt_print_job_free);

  if (!wt_label_output_commit (output, error))
    return NULL;

  paths = wt_label_output_get_paths (output);
  if (paths != NULL && paths[0] != NULL)
    job->folder = g_path_get_dirname (paths[0]);
  else
    job->folder = g_path_get_dirname (job->path);

  return GINT_TO_POINTER (TRUE);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  WtLabelView *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (job->job == NULL && job->folder == NULL && job->n_items > 0)
        {
          /* Registered, but the files could not be renamed into place. */
          g_signal_emit (self, signals[LEDGER_CHANGED], 0);
          show_error_dialog (self, _("Export Failed"), error->message);
          job_done (job);
          return;
        }
      job_abandon (job, g_steal_pointer (&error));
      return;
    }

  folder = g_file_new_for_path (job->folder);
  uri = g_file_get_uri (folder);
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u label", "Exported %u labels", job->n_items),
                           job->n_items);
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("Open Folder"));
  adw_toast_set_action_name (toast, "win.show-folder");
  adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
  add_toast (self, toast);
  g_signal_emit (self, signals[LEDGER_CHANGED], 0);
  job_done (job);
}

static void
start_export (WtLabelView   *self,
              const char    *path,
              WtLabelFormat  format)
{
  Job *job;

  validate (self);
  if (!self->can_print || self->busy)
    return;

  job = job_new (self);
  job->path = g_strdup (path);
  job->format = format;
  job->last_percent = G_MAXUINT;
  job->cancellable = g_cancellable_new ();
  g_set_object (&self->job_cancellable, job->cancellable);

  set_busy (self, TRUE, _("Writing labels…"));
  wt_worker_run_async (NULL, export_thread, job, NULL, NULL, NULL, exported_cb, job);
}

static void
export_response_cb (WtLabelView          *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  WtLabelFormat format = WT_LABEL_FORMAT_PDF;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->export_chooser);

  if (file == NULL)
    return;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      show_error_dialog (self, _("Export Failed"), _("Choose a folder on this computer."));
      return;
    }

  if (!wt_label_format_from_path (path, &format))
    {
      char *with_extension = g_strconcat (path, ".pdf", NULL);

      g_free (path);
      path = with_extension;
      format = WT_LABEL_FORMAT_PDF;
    }

  start_export (self, path, format);
}

static void
add_filter (GtkFileChooser *chooser,
            const char     *name,
            const char     *mime_type,
            const char     *pattern)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_mime_type (filter, mime_type);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtLabelView *self = WT_LABEL_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  if (!self->can_print || self->busy || self->export_chooser != NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export Labels"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  add_filter (GTK_FILE_CHOOSER (chooser), _("PDF document"), "application/pdf", "*.pdf");
  add_filter (GTK_FILE_CHOOSER (chooser), _("PNG images, one per label"), "image/png", "*.png");
  add_filter (GTK_FILE_CHOOSER (chooser), _("SVG images, one per label"), "image/svg+xml", "*.svg");

  name = g_strdup_printf ("labels-%s-%s.pdf", self->waste != NULL ? self->waste->code : "waste",
                          row_text (self->date_row));
  g_strdelimit (name, " */\\", '_');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_signal_connect_object (chooser, "response", G_CALLBACK (export_response_cb), self, G_CONNECT_SWAPPED);
  self->export_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->export_chooser);
}

/* The export without the file chooser, for tests and scripts. */
static void
export_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtLabelView *self = WT_LABEL_VIEW (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  WtLabelFormat format = WT_LABEL_FORMAT_PDF;

  if (!wt_label_format_from_path (path, &format))
    {
      show_error_dialog (self, _("Export Failed"), _("Name the file .pdf, .png or .svg."));
      return;
    }
  start_export (self, path, format);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WtLabelView *self = WT_LABEL_VIEW (widget);

  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
}

/* Narrow windows fold the view: the form and the preview take turns. */
static void
show_preview_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WtLabelView *self = WT_LABEL_VIEW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->preview_pane);
}

static void
show_form_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WtLabelView *self = WT_LABEL_VIEW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->form_scroller);
}

/* ---- GObject ------------------------------------------------------------- */

static void
today_into (AdwEntryRow *row)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  gtk_editable_set_text (GTK_EDITABLE (row), today);
}

static void
load_defaults (WtLabelView *self)
{
  guint size = g_settings_get_uint (self->settings, "default-label-size");
  g_autofree char *ecc_name = g_settings_get_string (self->settings, "default-ecc");
  WtEcc ecc = WT_ECC_Q;
  guint i;

  wt_ecc_parse (ecc_name, &ecc);
  self->filling = TRUE;
  adw_combo_row_set_selected (self->ecc_row, (guint) ecc);
  adw_combo_row_set_selected (self->layout_row, (guint) g_settings_get_enum (self->settings, "default-sheet-layout"));
  adw_combo_row_set_selected (self->size_row, 0);
  for (i = 0; i < G_N_ELEMENTS (size_values); i++)
    if (size_values[i] == size)
      adw_combo_row_set_selected (self->size_row, i);
  today_into (self->date_row);
  self->filling = FALSE;
}

static void
wt_label_view_dispose (GObject *object)
{
  WtLabelView *self = WT_LABEL_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  g_clear_handle_id (&self->preview_source, g_source_remove);
  if (self->export_chooser != NULL)
    gtk_native_dialog_destroy (self->export_chooser);
  g_clear_object (&self->export_chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), WT_TYPE_LABEL_VIEW);
  /* dispose_template() only unparents bound children; the root box is not. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (wt_label_view_parent_class)->dispose (object);
}

static void
wt_label_view_finalize (GObject *object)
{
  WtLabelView *self = WT_LABEL_VIEW (object);

  g_clear_object (&self->ledger);
  g_clear_pointer (&self->site, wt_site_free);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->job_cancellable);
  g_clear_pointer (&self->problem, g_free);

  G_OBJECT_CLASS (wt_label_view_parent_class)->finalize (object);
}

static void
wt_label_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WtLabelView *self = WT_LABEL_VIEW (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      g_value_set_object (value, self->ledger);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    case PROP_CAN_PRINT:
      g_value_set_boolean (value, self->can_print);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_label_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  WtLabelView *self = WT_LABEL_VIEW (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      wt_label_view_set_ledger (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_label_view_class_init (WtLabelViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wt_label_view_dispose;
  object_class->finalize = wt_label_view_finalize;
  object_class->get_property = wt_label_view_get_property;
  object_class->set_property = wt_label_view_set_property;

  properties[PROP_LEDGER] =
    g_param_spec_object ("ledger", NULL, NULL, WT_TYPE_LEDGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_PRINT] =
    g_param_spec_boolean ("can-print", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  signals[LEDGER_CHANGED] =
    g_signal_new ("ledger-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (WT_TYPE_LABEL_PREVIEW);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wastetag/Wastetag/ui/wt-label-view.ui");

  gtk_widget_class_bind_template_child (widget_class, WtLabelView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, form_scroller);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, preview_pane);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, catalogue_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, results_scroller);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, results_list);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, code_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, category_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, code_error_label);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, name_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, common_name_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, form_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, main_components_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, harmful_components_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, hazard_t);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, hazard_c);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, hazard_i);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, hazard_r);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, hazard_in);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, precautions_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, producer_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, contact_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, date_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, notes_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, container_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, volume_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, volume_spin);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, weight_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, count_spin);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, size_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, ecc_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, layout_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, start_row);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, start_spin);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, preview);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, preview_code_label);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, size_hint_label);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, problem_label);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, progress_box);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, progress_label);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, print_button);
  gtk_widget_class_bind_template_child (widget_class, WtLabelView, export_button);

  gtk_widget_class_bind_template_callback (widget_class, catalogue_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, result_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, code_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);

  gtk_widget_class_install_action (widget_class, "label.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "label.print-to-pdf", "s", print_to_pdf_action);
  gtk_widget_class_install_action (widget_class, "label.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "label.export-to", "s", export_to_action);
  gtk_widget_class_install_action (widget_class, "label.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "label.show-preview", NULL, show_preview_action);
  gtk_widget_class_install_action (widget_class, "label.show-form", NULL, show_form_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "label.print", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "label.export", NULL);
}

static void
wt_label_view_init (WtLabelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  gtk_list_box_set_placeholder (self->results_list,
                                g_object_new (GTK_TYPE_LABEL,
                                              "label", _("No waste in this catalogue matches the search."),
                                              "wrap", TRUE,
                                              "margin-top", 18,
                                              "margin-bottom", 18,
                                              "margin-start", 12,
                                              "margin-end", 12,
                                              "css-classes", (const char * const[]) { "dim-label", NULL },
                                              NULL));

  load_defaults (self);
  validate (self);
  schedule_preview (self);
}

WtLedger *
wt_label_view_get_ledger (WtLabelView *self)
{
  g_return_val_if_fail (WT_IS_LABEL_VIEW (self), NULL);

  return self->ledger;
}

void
wt_label_view_set_ledger (WtLabelView *self,
                          WtLedger    *ledger)
{
  g_return_if_fail (WT_IS_LABEL_VIEW (self));
  g_return_if_fail (ledger == NULL || WT_IS_LEDGER (ledger));

  if (g_set_object (&self->ledger, ledger))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEDGER]);
  reload_site (self);
}

gboolean
wt_label_view_get_busy (WtLabelView *self)
{
  g_return_val_if_fail (WT_IS_LABEL_VIEW (self), FALSE);

  return self->busy;
}

gboolean
wt_label_view_get_can_print (WtLabelView *self)
{
  g_return_val_if_fail (WT_IS_LABEL_VIEW (self), FALSE);

  return self->can_print;
}
