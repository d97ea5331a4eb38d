/* wt-degrade.c: see wt-degrade.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "wt-degrade.h"

#define QUIET 4
#define BACKGROUND 150.0

/* A float canvas: degradations work in float and round once at the end. */
typedef struct
{
  int     width;
  int     height;
  double *v;
} Canvas;

static const char *const kind_names[WT_DEGRADE_N_KINDS] = {
  "clean", "blur", "noise", "rotation", "perspective",
  "lowcontrast", "lowlight", "glare", "dirt", "jpeg",
};

const char *
wt_degrade_kind_name (WtDegradeKind kind)
{
  g_return_val_if_fail (kind < WT_DEGRADE_N_KINDS, NULL);

  return kind_names[kind];
}

static double
gauss (GRand *rand)
{
  /* Box-Muller; GRand keeps it deterministic per seed. */
  double u = g_rand_double_range (rand, 1e-12, 1.0);
  double w = g_rand_double (rand);

  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * w);
}

/* Is the point (@u, @v) in symbol-with-quiet-zone units dark? */
static gboolean
module_dark (const WtQr *qr,
             double      u,
             double      v)
{
  int x = (int) floor (u) - QUIET;
  int y = (int) floor (v) - QUIET;

  return wt_qr_is_dark (qr, x, y);
}

/* Solves the projective map from the unit square to the quad @q (x0,y0 ..
 * x3,y3: top-left, top-right, bottom-right, bottom-left), Heckbert 1989. */
static void
square_to_quad (const double q[8],
                double       m[9])
{
  double x0 = q[0], y0 = q[1], x1 = q[2], y1 = q[3];
  double x2 = q[4], y2 = q[5], x3 = q[6], y3 = q[7];
  double sx = x0 - x1 + x2 - x3, sy = y0 - y1 + y2 - y3;
  double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
  double det = dx1 * dy2 - dx2 * dy1;
  double g = (sx * dy2 - dx2 * sy) / det;
  double h = (dx1 * sy - sx * dy1) / det;

  m[0] = x1 - x0 + g * x1;  m[1] = x3 - x0 + h * x3;  m[2] = x0;
  m[3] = y1 - y0 + g * y1;  m[4] = y3 - y0 + h * y3;  m[5] = y0;
  m[6] = g;                 m[7] = h;                 m[8] = 1.0;
}

static void
invert3 (const double a[9],
         double       r[9])
{
  double det = a[0] * (a[4] * a[8] - a[5] * a[7])
               - a[1] * (a[3] * a[8] - a[5] * a[6])
               + a[2] * (a[3] * a[7] - a[4] * a[6]);

  r[0] = (a[4] * a[8] - a[5] * a[7]) / det;
  r[1] = (a[2] * a[7] - a[1] * a[8]) / det;
  r[2] = (a[1] * a[5] - a[2] * a[4]) / det;
  r[3] = (a[5] * a[6] - a[3] * a[8]) / det;
  r[4] = (a[0] * a[8] - a[2] * a[6]) / det;
  r[5] = (a[2] * a[3] - a[0] * a[5]) / det;
  r[6] = (a[3] * a[7] - a[4] * a[6]) / det;
  r[7] = (a[1] * a[6] - a[0] * a[7]) / det;
  r[8] = (a[0] * a[4] - a[1] * a[3]) / det;
}

/* Paints @qr (with its white quiet zone) into the quad @q of @c, 4×4
 * supersampled so edges are grey like a camera's. */
static void
paint_code (Canvas     *c,
            const WtQr *qr,
            const double q[8])
{
  double m[9], inv[9];
  double side = qr->width + 2 * QUIET;
  double minx = q[0], maxx = q[0], miny = q[1], maxy = q[1];

  square_to_quad (q, m);
  invert3 (m, inv);
  for (int i = 1; i < 4; i++)
    {
      minx = MIN (minx, q[2 * i]);
      maxx = MAX (maxx, q[2 * i]);
      miny = MIN (miny, q[2 * i + 1]);
      maxy = MAX (maxy, q[2 * i + 1]);
    }

  for (int y = MAX (0, (int) floor (miny)); y < MIN (c->height, (int) ceil (maxy) + 1); y++)
    for (int x = MAX (0, (int) floor (minx)); x < MIN (c->width, (int) ceil (maxx) + 1); x++)
      {
        int inside = 0;
        double sum = 0;

        for (int sy = 0; sy < 4; sy++)
          for (int sx = 0; sx < 4; sx++)
            {
              double px = x + (sx + 0.5) / 4.0, py = y + (sy + 0.5) / 4.0;
              double w = inv[6] * px + inv[7] * py + inv[8];
              double u = (inv[0] * px + inv[1] * py + inv[2]) / w;
              double v = (inv[3] * px + inv[4] * py + inv[5]) / w;

              if (u < 0 || u >= 1 || v < 0 || v >= 1)
                {
                  sum += c->v[(gsize) y * c->width + x];
                  continue;
                }
              inside++;
              sum += module_dark (qr, u * side, v * side) ? 0.0 : 255.0;
            }
        if (inside > 0)
          c->v[(gsize) y * c->width + x] = sum / 16.0;
      }
}

static void
gaussian_blur (Canvas *c,
               double  sigma)
{
  int r = (int) ceil (3 * sigma);
  double *k = g_new (double, 2 * r + 1);
  double *tmp = g_new (double, (gsize) c->width * c->height);
  double ksum = 0;

  for (int i = -r; i <= r; i++)
    ksum += k[i + r] = exp (-(i * i) / (2 * sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= ksum;

  for (int y = 0; y < c->height; y++)
    for (int x = 0; x < c->width; x++)
      {
        double s = 0;

        for (int i = -r; i <= r; i++)
          s += k[i + r] * c->v[(gsize) y * c->width + CLAMP (x + i, 0, c->width - 1)];
        tmp[(gsize) y * c->width + x] = s;
      }
  for (int y = 0; y < c->height; y++)
    for (int x = 0; x < c->width; x++)
      {
        double s = 0;

        for (int i = -r; i <= r; i++)
          s += k[i + r] * tmp[(gsize) CLAMP (y + i, 0, c->height - 1) * c->width + x];
        c->v[(gsize) y * c->width + x] = s;
      }

  g_free (tmp);
  g_free (k);
}

static void
add_noise (Canvas *c,
           GRand  *rand,
           double  sigma)
{
  for (gsize i = 0; i < (gsize) c->width * c->height; i++)
    c->v[i] += sigma * gauss (rand);
}

static guint8 *
to_bytes (const Canvas *c)
{
  guint8 *out = g_malloc ((gsize) c->width * c->height);

  for (gsize i = 0; i < (gsize) c->width * c->height; i++)
    out[i] = (guint8) CLAMP (lround (c->v[i]), 0, 255);

  return out;
}

static GdkPixbuf *
grey_to_pixbuf (const guint8 *grey,
                int           width,
                int           height)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *p = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      memset (p + (gsize) y * stride + 3 * x, grey[(gsize) y * width + x], 3);

  return pixbuf;
}

/* A JPEG round trip at @quality through gdk-pixbuf's encoder and decoder. */
static void
jpeg (Canvas *c,
      int     quality)
{
  g_autofree guint8 *grey = to_bytes (c);
  g_autoptr(GdkPixbuf) pixbuf = grey_to_pixbuf (grey, c->width, c->height);
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_type ("jpeg", NULL);
  g_autofree char *buffer = NULL;
  g_autofree char *q = g_strdup_printf ("%d", quality);
  gsize size = 0;
  GdkPixbuf *back;

  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg", NULL, "quality", q, NULL)
      || loader == NULL
      || !gdk_pixbuf_loader_write (loader, (const guchar *) buffer, size, NULL)
      || !gdk_pixbuf_loader_close (loader, NULL))
    g_error ("gdk-pixbuf cannot round-trip JPEG");

  back = gdk_pixbuf_loader_get_pixbuf (loader);
  for (int y = 0; y < c->height; y++)
    {
      const guint8 *p = gdk_pixbuf_read_pixels (back) + (gsize) y * gdk_pixbuf_get_rowstride (back);

      for (int x = 0; x < c->width; x++)
        c->v[(gsize) y * c->width + x] = p[3 * x + 1];
    }
}

/* An axis-aligned square of @size px at a seeded spot that fits @c. */
static void
place_square (const Canvas *c,
              GRand        *rand,
              double        size,
              double        q[8])
{
  double x = g_rand_int_range (rand, 0, MAX (1, (int) (c->width - size - 2)));
  double y = g_rand_int_range (rand, 0, MAX (1, (int) (c->height - size - 2)));

  q[0] = x;         q[1] = y;
  q[2] = x + size;  q[3] = y;
  q[4] = x + size;  q[5] = y + size;
  q[6] = x;         q[7] = y + size;
}

guint8 *
wt_degrade_frame (const WtQr   *qr,
                  WtDegradeKind kind,
                  guint         index)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1000 * (kind + 1) + index);
  Canvas c = { WT_DEGRADE_WIDTH, WT_DEGRADE_HEIGHT, NULL };
  double side = (qr->width + 2 * QUIET) * 4.0;
  double q[8];
  guint8 *out;

  g_return_val_if_fail (kind < WT_DEGRADE_N_KINDS, NULL);

  c.v = g_new (double, (gsize) c.width * c.height);
  for (gsize i = 0; i < (gsize) c.width * c.height; i++)
    c.v[i] = BACKGROUND;

  if (kind == WT_DEGRADE_ROTATION)
    {
      /* 5-85°, about the centre of a spot with room for the diagonal. */
      double a = g_rand_double_range (rand, 5, 85) * G_PI / 180.0;
      double half = side / 2, diag = side * G_SQRT2 / 2;
      double cx = g_rand_double_range (rand, diag + 1, c.width - diag - 1);
      double cy = g_rand_double_range (rand, diag + 1, c.height - diag - 1);
      const double corner[8] = { -half, -half, half, -half, half, half, -half, half };

      for (int i = 0; i < 4; i++)
        {
          q[2 * i] = cx + corner[2 * i] * cos (a) - corner[2 * i + 1] * sin (a);
          q[2 * i + 1] = cy + corner[2 * i] * sin (a) + corner[2 * i + 1] * cos (a);
        }
    }
  else if (kind == WT_DEGRADE_PERSPECTIVE)
    {
      /* One edge 10-25 % shorter than the opposite one, the code tilted
       * away from the camera, 5 px/module at the near edge. */
      double s = g_rand_double_range (rand, 0.10, 0.25);
      double big = side * 5.0 / 4.0;
      int edge = g_rand_int_range (rand, 0, 4);
      double inset = big * s / 2;

      place_square (&c, rand, big, q);
      switch (edge)
        {
        case 0: q[0] += inset; q[2] -= inset; break;   /* top */
        case 1: q[3] += inset; q[5] -= inset; break;   /* right */
        case 2: q[4] -= inset; q[6] += inset; break;   /* bottom */
        default: q[7] -= inset; q[1] += inset; break;  /* left */
        }
    }
  else
    place_square (&c, rand, side, q);

  paint_code (&c, qr, q);

  switch (kind)
    {
    case WT_DEGRADE_CLEAN:
    case WT_DEGRADE_ROTATION:
    case WT_DEGRADE_PERSPECTIVE:
      /* A camera never gives perfect edges. */
      gaussian_blur (&c, 0.6);
      break;

    case WT_DEGRADE_BLUR:
      /* σ 1.2-1.9 px = 0.30-0.48 module: up to where zbar gives up. */
      gaussian_blur (&c, 1.2 + 0.7 * index / 19.0);
      break;

    case WT_DEGRADE_NOISE:
      gaussian_blur (&c, 0.6);
      add_noise (&c, rand, 20 + 25 * (index % 5) / 4.0);
      break;

    case WT_DEGRADE_LOW_CONTRAST:
      {
        /* The code squeezed into 40-60 % grey (even frames) or 44-56 %
         * (odd): zxing 1.4's default binarizer loses both. */
        double lo = index % 2 == 0 ? 0.40 : 0.44, hi = 1.0 - lo;

        gaussian_blur (&c, 0.6);
        for (gsize i = 0; i < (gsize) c.width * c.height; i++)
          c.v[i] = 255 * lo + (hi - lo) * c.v[i];
      }
      break;

    case WT_DEGRADE_LOW_LIGHT:
      gaussian_blur (&c, 0.6);
      for (gsize i = 0; i < (gsize) c.width * c.height; i++)
        c.v[i] *= 0.25;
      add_noise (&c, rand, 6);
      jpeg (&c, 60);
      break;

    case WT_DEGRADE_GLARE:
      {
        /* A blurred white disc (radius 1/8 of the code) screened over a
         * spot in the middle half of the code. */
        Canvas g = { c.width, c.height, g_new0 (double, (gsize) c.width * c.height) };
        double cx = q[0] + side / 4 + g_rand_double (rand) * side / 2;
        double cy = q[1] + side / 4 + g_rand_double (rand) * side / 2;
        double r = side / 8;

        gaussian_blur (&c, 0.6);
        for (int y = 0; y < g.height; y++)
          for (int x = 0; x < g.width; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
              g.v[(gsize) y * g.width + x] = 255;
        gaussian_blur (&g, 12);
        for (gsize i = 0; i < (gsize) c.width * c.height; i++)
          c.v[i] = 255 - (255 - c.v[i]) * (255 - g.v[i]) / 255;
        g_free (g.v);
      }
      break;

    case WT_DEGRADE_DIRT:
      /* Four dark elliptic blobs (r 5-12 px) anywhere on the symbol. */
      for (int k = 0; k < 4; k++)
        {
          double cx = q[0] + 16 + g_rand_double (rand) * (side - 32);
          double cy = q[1] + 16 + g_rand_double (rand) * (side - 32);
          double rx = g_rand_int_range (rand, 5, 13), ry = rx * 2 / 3;

          for (int y = (int) (cy - ry); y <= (int) (cy + ry) + 1; y++)
            for (int x = (int) (cx - rx); x <= (int) (cx + rx) + 1; x++)
              if (x >= 0 && y >= 0 && x < c.width && y < c.height
                  && (x - cx) * (x - cx) / (rx * rx) + (y - cy) * (y - cy) / (ry * ry) <= 1)
                c.v[(gsize) y * c.width + x] = 35;
        }
      gaussian_blur (&c, 0.7);
      break;

    case WT_DEGRADE_JPEG:
      gaussian_blur (&c, 0.6);
      jpeg (&c, 15);
      break;

    case WT_DEGRADE_N_KINDS:
    default:
      g_assert_not_reached ();
    }

  out = to_bytes (&c);
  g_free (c.v);

  return out;
}

guint8 *
wt_degrade_textured (const WtQr *qr,
                     int         width,
                     int         height,
                     double      px_per_module,
                     guint       seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  Canvas c = { width, height, g_new (double, (gsize) width * height) };
  double f[6];
  guint8 *out;

  /* A few random low-frequency waves: a cheap, seedable plasma. */
  for (int i = 0; i < 6; i++)
    f[i] = g_rand_double_range (rand, 0.004, 0.04);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      c.v[(gsize) y * width + x] = 128 + 35 * sin (f[0] * x + f[1] * y)
                                   + 25 * sin (f[2] * x - f[3] * y + 1.3)
                                   + 20 * cos (f[4] * (x + y) + f[5] * x);

  if (qr != NULL)
    {
      double q[8];

      place_square (&c, rand, (qr->width + 2 * QUIET) * px_per_module, q);
      paint_code (&c, qr, q);
    }
  gaussian_blur (&c, 0.6);
  add_noise (&c, rand, 8);

  out = to_bytes (&c);
  g_free (c.v);

  return out;
}

gboolean
wt_degrade_save_png (const guint8 *grey,
                     int           width,
                     int           height,
                     const char   *path,
                     GError      **error)
{
  g_autoptr(GdkPixbuf) pixbuf = grey_to_pixbuf (grey, width, height);

  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}
