/* wt-container-item.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "wt-container-item"

#include "config.h"

#include <glib/gi18n.h>

#include "wt-container-item.h"

struct _WtContainerItem
{
  GObject  parent_instance;

  char    *code;
  char    *display;
  char    *waste_code;
  char    *waste_name;
  char    *weight;
  char    *state;
  char    *labelled;
  char    *reprints;
  gboolean voided;
};

G_DEFINE_FINAL_TYPE (WtContainerItem, wt_container_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CODE,
  PROP_DISPLAY,
  PROP_WASTE_CODE,
  PROP_WASTE_NAME,
  PROP_WEIGHT,
  PROP_STATE,
  PROP_LABELLED,
  PROP_REPRINTS,
  PROP_VOIDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
wt_container_item_finalize (GObject *object)
{
  WtContainerItem *self = WT_CONTAINER_ITEM (object);

  g_free (self->code);
  g_free (self->display);
  g_free (self->waste_code);
  g_free (self->waste_name);
  g_free (self->weight);
  g_free (self->state);
  g_free (self->labelled);
  g_free (self->reprints);

  G_OBJECT_CLASS (wt_container_item_parent_class)->finalize (object);
}

static void
wt_container_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  WtContainerItem *self = WT_CONTAINER_ITEM (object);

  switch (prop_id)
    {
    case PROP_CODE:
      g_value_set_string (value, self->code);
      break;
    case PROP_DISPLAY:
      g_value_set_string (value, self->display);
      break;
    case PROP_WASTE_CODE:
      g_value_set_string (value, self->waste_code);
      break;
    case PROP_WASTE_NAME:
      g_value_set_string (value, self->waste_name);
      break;
    case PROP_WEIGHT:
      g_value_set_string (value, self->weight);
      break;
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_LABELLED:
      g_value_set_string (value, self->labelled);
      break;
    case PROP_REPRINTS:
      g_value_set_string (value, self->reprints);
      break;
    case PROP_VOIDED:
      g_value_set_boolean (value, self->voided);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wt_container_item_class_init (WtContainerItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = wt_container_item_finalize;
  object_class->get_property = wt_container_item_get_property;

  properties[PROP_CODE] = g_param_spec_string ("code", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY] = g_param_spec_string ("display", NULL, NULL, NULL, flags);
  properties[PROP_WASTE_CODE] = g_param_spec_string ("waste-code", NULL, NULL, NULL, flags);
  properties[PROP_WASTE_NAME] = g_param_spec_string ("waste-name", NULL, NULL, NULL, flags);
  properties[PROP_WEIGHT] = g_param_spec_string ("weight", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties[PROP_LABELLED] = g_param_spec_string ("labelled", NULL, NULL, NULL, flags);
  properties[PROP_REPRINTS] = g_param_spec_string ("reprints", NULL, NULL, NULL, flags);
  properties[PROP_VOIDED] = g_param_spec_boolean ("voided", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wt_container_item_init (WtContainerItem *self)
{
}

static char *
format_ms (gint64 ms)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (ms <= 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (ms / 1000);
  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

WtContainerItem *
wt_container_item_new (const WtContainer *container,
                       const WtCodeSplit *split)
{
  WtContainerItem *self;

  g_return_val_if_fail (container != NULL, NULL);

  self = g_object_new (WT_TYPE_CONTAINER_ITEM, NULL);
  self->code = g_strdup (container->code);
  self->display = split != NULL ? wt_code_to_display (split, container->code) : NULL;
  if (self->display == NULL)
    self->display = g_strdup (container->code);
  self->waste_code = g_strdup (container->waste_code);
  if (container->common_name != NULL && container->common_name[0] != '\0')
    /* Translators: the plant's name for the waste, then the catalogue's
     * name in brackets; use the brackets of your language. */
    self->waste_name = g_strdup_printf (_("%s (%s)"), container->common_name,
                                        container->waste_name != NULL ? container->waste_name : "");
  else
    self->waste_name = g_strdup (container->waste_name);
  self->weight = container->weight_kg >= 0 ? g_strdup_printf (_("%g kg"), container->weight_kg) : g_strdup ("—");
  self->state = g_strdup (wt_container_state_to_string (container->state));
  self->labelled = format_ms (container->labelled_ms);
  self->reprints = g_strdup_printf ("%u", container->reprints);
  self->voided = container->state == WT_CONTAINER_VOIDED;

  return self;
}

const char *
wt_container_item_get_code (WtContainerItem *self)
{
  g_return_val_if_fail (WT_IS_CONTAINER_ITEM (self), NULL);

  return self->code;
}
