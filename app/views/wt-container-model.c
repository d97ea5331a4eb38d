/* wt-container-model.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Invariants: every cached page is in both `pages` (by index) and `lru`
 * (most recently used first), and `lru` never holds more than
 * WT_CONTAINER_MODEL_MAX_PAGES pages. A page index is in `pending` from the
 * moment it is queued until its result arrives or the generation changes.
 * Only results whose generation equals `generation` are used.
 */
#define G_LOG_DOMAIN "wt-container-model"

#include "config.h"

#include "wt-container-item.h"
#include "wt-container-model.h"
#include "wt-worker.h"

/* Pages read at once: the ledger serialises its calls anyway, and the newest
 * request (what the person looks at now) is served first. */
#define MAX_IN_FLIGHT 2

typedef struct
{
  guint      index;
  GPtrArray *items;     /* (element-type WtContainerItem) */
  GList     *link;      /* in lru */
} Page;

/* An owned copy of a WtContainerFilter. */
typedef struct
{
  char *text;
  char *waste_code;
  int   state;
  char *facility;
  char *manifest;
  char *from_date;
  char *to_date;
} Filter;

struct _WtContainerModel
{
  GObject       parent_instance;

  WtLedger     *ledger;
  Filter        filter;
  WtCodeSplit   split;
  gboolean      has_split;

  guint         n_items;
  guint         generation;
  GHashTable   *pages;        /* index → Page */
  GQueue        lru;          /* of Page *, most recent first */
  GHashTable   *pending;      /* page indices queued or in flight */
  GQueue        queue;        /* page indices to fetch, newest first */
  guint         in_flight;

  guint         pending_n;    /* rows to add once the old ones are gone */
  guint         add_source;

  gboolean      loading;
  GError       *error;
  guint         pages_fetched;
  GCancellable *cancellable;  /* of the current generation */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WtContainerModel, wt_container_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GQuark placeholder_quark;

/* ---- Filters ---------------------------------------------------------------- */

static void
filter_clear (Filter *f)
{
  g_clear_pointer (&f->text, g_free);
  g_clear_pointer (&f->waste_code, g_free);
  g_clear_pointer (&f->facility, g_free);
  g_clear_pointer (&f->manifest, g_free);
  g_clear_pointer (&f->from_date, g_free);
  g_clear_pointer (&f->to_date, g_free);
  f->state = -1;
}

static char *
dup_nonempty (const char *s)
{
  return s != NULL && s[0] != '\0' ? g_strdup (s) : NULL;
}

static void
filter_copy_from (Filter                  *f,
                  const WtContainerFilter *from)
{
  filter_clear (f);
  if (from == NULL)
    return;
  f->text = dup_nonempty (from->text);
  f->waste_code = dup_nonempty (from->waste_code);
  f->state = from->state;
  f->facility = dup_nonempty (from->facility);
  f->manifest = dup_nonempty (from->manifest);
  f->from_date = dup_nonempty (from->from_date);
  f->to_date = dup_nonempty (from->to_date);
}

static void
filter_copy (Filter       *to,
             const Filter *from)
{
  WtContainerFilter view = {
    from->text, from->waste_code, from->state, from->facility,
    from->manifest, from->from_date, from->to_date,
  };

  to->text = NULL;
  to->waste_code = NULL;
  to->facility = NULL;
  to->manifest = NULL;
  to->from_date = NULL;
  to->to_date = NULL;
  filter_copy_from (to, &view);
}

static void
filter_to_api (const Filter      *f,
               WtContainerFilter *out)
{
  wt_container_filter_init (out);
  out->text = f->text;
  out->waste_code = f->waste_code;
  out->state = f->state;
  out->facility = f->facility;
  out->manifest = f->manifest;
  out->from_date = f->from_date;
  out->to_date = f->to_date;
}

/* ---- Worker data -------------------------------------------------------------- */

typedef struct
{
  WtLedger    *ledger;
  Filter       filter;
  guint        generation;
  guint        index;        /* page */
  WtCodeSplit  split;
  gboolean     has_split;

  /* Results */
  gint64       total;
  GPtrArray   *items;
} Fetch;

static void
fetch_free (gpointer pointer)
{
  Fetch *fetch = pointer;

  g_clear_object (&fetch->ledger);
  filter_clear (&fetch->filter);
  g_clear_pointer (&fetch->items, g_ptr_array_unref);
  g_free (fetch);
}

static Fetch *
fetch_new (WtContainerModel *self,
           guint             index)
{
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->ledger = g_object_ref (self->ledger);
  filter_copy (&fetch->filter, &self->filter);
  fetch->generation = self->generation;
  fetch->index = index;
  fetch->split = self->split;
  fetch->has_split = self->has_split;
  return fetch;
}

static gboolean
read_page (Fetch   *fetch,
           GError **error)
{
  g_autoptr(GPtrArray) containers = NULL;
  WtContainerFilter filter;

  filter_to_api (&fetch->filter, &filter);
  containers = wt_ledger_query_containers (fetch->ledger, &filter,
                                           fetch->index * WT_CONTAINER_MODEL_PAGE_SIZE,
                                           WT_CONTAINER_MODEL_PAGE_SIZE, error);
  if (containers == NULL)
    return FALSE;

  fetch->items = g_ptr_array_new_full (containers->len, g_object_unref);
  for (guint i = 0; i < containers->len; i++)
    g_ptr_array_add (fetch->items,
                     wt_container_item_new (g_ptr_array_index (containers, i),
                                            fetch->has_split ? &fetch->split : NULL));
  return TRUE;
}

static gpointer
page_thread (gpointer      data,
             GCancellable *cancellable,
             GError      **error)
{
  Fetch *fetch = data;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!read_page (fetch, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static gpointer
reload_thread (gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  Fetch *fetch = data;
  g_autoptr(WtSite) site = wt_ledger_dup_site (fetch->ledger, NULL);
  WtContainerFilter filter;

  if (site != NULL)
    {
      fetch->split = site->split;
      fetch->has_split = TRUE;
    }

  filter_to_api (&fetch->filter, &filter);
  fetch->total = wt_ledger_count_matching (fetch->ledger, &filter, error);
  if (fetch->total < 0)
    return NULL;
  if (fetch->total > 0 && !read_page (fetch, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

/* ---- The page cache ------------------------------------------------------------- */

static void
page_free (gpointer pointer)
{
  Page *page = pointer;

  g_ptr_array_unref (page->items);
  g_free (page);
}

static void
drop_pages (WtContainerModel *self)
{
  g_queue_clear (&self->lru);
  g_hash_table_remove_all (self->pages);
}

static void
touch_page (WtContainerModel *self,
            Page             *page)
{
  g_queue_unlink (&self->lru, page->link);
  g_queue_push_head_link (&self->lru, page->link);
}

static void
insert_page (WtContainerModel *self,
             guint             index,
             GPtrArray        *items)
{
  Page *page = g_new0 (Page, 1);

  page->index = index;
  page->items = g_ptr_array_ref (items);
  g_hash_table_replace (self->pages, GUINT_TO_POINTER (index), page);
  g_queue_push_head (&self->lru, page);
  page->link = self->lru.head;

  while (self->lru.length > WT_CONTAINER_MODEL_MAX_PAGES)
    {
      Page *oldest = g_queue_pop_tail (&self->lru);

      /* The rows a view still shows keep their own references. */
      g_hash_table_remove (self->pages, GUINT_TO_POINTER (oldest->index));
    }
}

static void fetch_next (WtContainerModel *self);

static void
page_fetched_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (object);
  Fetch *fetch = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  guint start, n;

  if (fetch->generation != self->generation)
    {
      /* A reload happened meanwhile; its own bookkeeping was reset. */
      wt_worker_run_finish (result, NULL);
      return;
    }

  self->in_flight--;
  g_hash_table_remove (self->pending, GUINT_TO_POINTER (fetch->index));

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read containers %u–%u: %s",
                   fetch->index * WT_CONTAINER_MODEL_PAGE_SIZE,
                   (fetch->index + 1) * WT_CONTAINER_MODEL_PAGE_SIZE - 1, error->message);
      fetch_next (self);
      return;
    }

  self->pages_fetched++;
  insert_page (self, fetch->index, fetch->items);

  start = fetch->index * WT_CONTAINER_MODEL_PAGE_SIZE;
  n = start < self->n_items ? MIN (WT_CONTAINER_MODEL_PAGE_SIZE, self->n_items - start) : 0;
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), start, n, n);

  /* Fewer rows than counted: containers were added or changed state since
   * the count. Start over rather than show holes. */
  if (fetch->items->len < n)
    wt_container_model_reload (self);
  else
    fetch_next (self);
}

static void
fetch_next (WtContainerModel *self)
{
  while (self->in_flight < MAX_IN_FLIGHT && !g_queue_is_empty (&self->queue))
    {
      guint index = GPOINTER_TO_UINT (g_queue_pop_head (&self->queue));

      self->in_flight++;
      wt_worker_run_async (self, page_thread, fetch_new (self, index), fetch_free, NULL,
                           self->cancellable, page_fetched_cb, NULL);
    }
}

static void
request_page (WtContainerModel *self,
              guint             index)
{
  if (self->ledger == NULL || g_hash_table_contains (self->pending, GUINT_TO_POINTER (index)))
    return;

  g_hash_table_add (self->pending, GUINT_TO_POINTER (index));
  g_queue_push_head (&self->queue, GUINT_TO_POINTER (index));
  fetch_next (self);
}

/* ---- Reloading ------------------------------------------------------------------- */

static void
set_loading (WtContainerModel *self,
             gboolean          loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static gboolean
add_rows_cb (gpointer data)
{
  WtContainerModel *self = data;

  self->add_source = 0;
  self->n_items = self->pending_n;
  if (self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->n_items);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  set_loading (self, FALSE);
  fetch_next (self);
  return G_SOURCE_REMOVE;
}

static void
reloaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (object);
  Fetch *fetch = wt_worker_get_data (result);
  g_autoptr(GError) error = NULL;
  guint old_n, new_n;

  if (wt_worker_run_finish (result, &error) == NULL)
    {
      if (fetch->generation != self->generation ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      old_n = self->n_items;
      self->n_items = 0;
      drop_pages (self);
      if (old_n > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      set_loading (self, FALSE);
      return;
    }

  if (fetch->generation != self->generation)
    return;

  g_clear_error (&self->error);
  self->split = fetch->split;
  self->has_split = fetch->has_split;
  self->pages_fetched += fetch->items != NULL ? 1 : 0;

  old_n = self->n_items;
  new_n = (guint) MIN (fetch->total, (gint64) G_MAXUINT);
  drop_pages (self);
  if (fetch->items != NULL)
    insert_page (self, 0, fetch->items);

  /* Two emissions, not items-changed (0, old_n, new_n): when one signal
   * removes rows a GTK 4.8 list view shows and adds others,
   * gtk_list_item_manager_model_items_changed_cb looks for the shown rows'
   * items among *every* added item (get_item() for each of a million rows).
   * The rows are added from a high-priority idle, before the next frame is
   * drawn, so that tearing down the old rows and building the new ones are
   * two shorter stalls instead of one. */
  self->n_items = 0;
  if (old_n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
  self->pending_n = new_n;
  g_clear_handle_id (&self->add_source, g_source_remove);
  self->add_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, add_rows_cb, self, NULL);
}

void
wt_container_model_reload (WtContainerModel *self)
{
  g_return_if_fail (WT_IS_CONTAINER_MODEL (self));

  /* Everything queued or running belongs to the old generation. */
  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_queue_clear (&self->queue);
  g_hash_table_remove_all (self->pending);
  self->in_flight = 0;
  g_clear_handle_id (&self->add_source, g_source_remove);

  if (self->ledger == NULL)
    {
      guint old_n = self->n_items;

      self->n_items = 0;
      drop_pages (self);
      if (old_n > 0)
        {
          g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
        }
      return;
    }

  set_loading (self, TRUE);
  wt_worker_run_async (self, reload_thread, fetch_new (self, 0), fetch_free, NULL,
                       self->cancellable, reloaded_cb, NULL);
}

/* ---- GListModel -------------------------------------------------------------------- */

static GType
list_model_get_item_type (GListModel *model)
{
  return WT_TYPE_CONTAINER_ITEM;
}

static guint
list_model_get_n_items (GListModel *model)
{
  return WT_CONTAINER_MODEL (model)->n_items;
}

static gpointer
new_placeholder (void)
{
  WtContainer blank = { 0 };
  WtContainerItem *item;

  /* A distinct object per position: list widgets match rows by item. */
  blank.code = (char *) "";
  blank.waste_code = (char *) "";
  blank.weight_kg = -1;
  blank.state = (WtContainerState) -1;
  item = wt_container_item_new (&blank, NULL);
  g_object_set_qdata (G_OBJECT (item), placeholder_quark, GINT_TO_POINTER (TRUE));
  return item;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (model);
  guint index = position / WT_CONTAINER_MODEL_PAGE_SIZE;
  guint offset = position % WT_CONTAINER_MODEL_PAGE_SIZE;
  Page *page;

  if (position >= self->n_items)
    return NULL;

  page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (index));
  if (page != NULL)
    {
      touch_page (self, page);
      if (offset < page->items->len)
        return g_object_ref (g_ptr_array_index (page->items, offset));
      return new_placeholder ();
    }

  request_page (self, index);
  return new_placeholder ();
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
wt_container_model_dispose (GObject *object)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->add_source, g_source_remove);

  G_OBJECT_CLASS (wt_container_model_parent_class)->dispose (object);
}

static void
wt_container_model_finalize (GObject *object)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (object);

  g_clear_object (&self->ledger);
  filter_clear (&self->filter);
  g_queue_clear (&self->lru);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_queue_clear (&self->queue);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wt_container_model_parent_class)->finalize (object);
}

static void
wt_container_model_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  WtContainerModel *self = WT_CONTAINER_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_container_model_class_init (WtContainerModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wt_container_model_dispose;
  object_class->finalize = wt_container_model_finalize;
  object_class->get_property = wt_container_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  placeholder_quark = g_quark_from_static_string ("wt-container-model-placeholder");
}

static void
wt_container_model_init (WtContainerModel *self)
{
  self->filter.state = -1;
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, page_free);
  self->pending = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->lru);
  g_queue_init (&self->queue);
  self->cancellable = g_cancellable_new ();
}

WtContainerModel *
wt_container_model_new (void)
{
  return g_object_new (WT_TYPE_CONTAINER_MODEL, NULL);
}

void
wt_container_model_set_ledger (WtContainerModel *self,
                               WtLedger         *ledger)
{
  g_return_if_fail (WT_IS_CONTAINER_MODEL (self));
  g_return_if_fail (ledger == NULL || WT_IS_LEDGER (ledger));

  g_set_object (&self->ledger, ledger);
  self->has_split = FALSE;
  wt_container_model_reload (self);
}

void
wt_container_model_set_filter (WtContainerModel        *self,
                               const WtContainerFilter *filter)
{
  g_return_if_fail (WT_IS_CONTAINER_MODEL (self));

  filter_copy_from (&self->filter, filter);
  wt_container_model_reload (self);
}

gboolean
wt_container_model_get_loading (WtContainerModel *self)
{
  g_return_val_if_fail (WT_IS_CONTAINER_MODEL (self), FALSE);

  return self->loading;
}

const GError *
wt_container_model_get_error (WtContainerModel *self)
{
  g_return_val_if_fail (WT_IS_CONTAINER_MODEL (self), NULL);

  return self->error;
}

guint
wt_container_model_get_pages_fetched (WtContainerModel *self)
{
  g_return_val_if_fail (WT_IS_CONTAINER_MODEL (self), 0);

  return self->pages_fetched;
}

guint
wt_container_model_get_pages_cached (WtContainerModel *self)
{
  g_return_val_if_fail (WT_IS_CONTAINER_MODEL (self), 0);

  return self->lru.length;
}

gboolean
wt_container_model_is_placeholder (WtContainerModel *self,
                                   gpointer          item)
{
  g_return_val_if_fail (WT_IS_CONTAINER_MODEL (self), FALSE);

  return item == NULL || g_object_get_qdata (G_OBJECT (item), placeholder_quark) != NULL;
}
