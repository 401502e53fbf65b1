/* The overlay's state and drawing context, shared by overlay.c and the
 * parts drawn in their own files (actions.c, gaze.c). */
#ifndef EMOSCOPE_RENDER_OVERLAY_INTERNAL_H
#define EMOSCOPE_RENDER_OVERLAY_INTERNAL_H

#include <math.h>

#include "render/layout.h"
#include "render/render_internal.h"

/* Cairo surfaces wrapping recently drawn frames. Frames come from a pool, so
 * the same few buffers return again and again: keeping their wrappers keeps
 * the per-frame path free of allocations. */
#define SURFACE_CACHE 6

typedef struct SurfaceSlot {
    uint8_t *data;
    int w, h, stride;
    cairo_surface_t *surface;
    cairo_t *cr;
    uint64_t last_use;
} SurfaceSlot;

struct EmoOverlay {
    EmoOverlaySettings s;
    char family[128];
    cairo_font_face_t *font;
    cairo_font_face_t *font_bold;
    cairo_pattern_t *panel_bg;
    SurfaceSlot slots[SURFACE_CACHE];
    uint64_t uses;
    EmoOverlayLayout layout;
};

/* Per-call drawing state. */
typedef struct Ctx {
    EmoOverlay *ov;
    cairo_t *cr;
    int W, H;
    double s;    /* scale: min(W, H) / 480 */
    double m;    /* margin */
    double lw;   /* base line width */
    const EmoOverlayFace *faces;
    int nf;
    EmoLayoutSet ls;                           /* the parts placed so far */
    int models_shown[EMO_RENDER_MAX_FACES];    /* per-model bars shown in face i's panel */
    /* Bounds of each face's micro-movement highlight and arrow (w == 0:
     * none): parts placed after the movements are drawn keep off them. */
    EmoRect movement[EMO_RENDER_MAX_FACES];
} Ctx;

/* ---------------------------------------------------------------- text */

static inline void font(Ctx *c, int bold, double px)
{
    cairo_set_font_face(c->cr, bold ? c->ov->font_bold : c->ov->font);
    cairo_set_font_size(c->cr, px);
}

static inline double text_width(Ctx *c, const char *t)
{
    cairo_text_extents_t e;
    cairo_text_extents(c->cr, t, &e);
    return e.x_advance;
}

/* Text with its baseline at y, on a panel (no shadow needed). */
static inline void text_at(Ctx *c, double x, double y, const char *t, double r, double g, double b, double a)
{
    cairo_set_source_rgba(c->cr, r, g, b, a);
    cairo_move_to(c->cr, x, y);
    cairo_show_text(c->cr, t);
}

/* Offset of the shadow under text on the video. */
static inline double shadow_of(const Ctx *c)
{
    return fmax(1.0, 0.9 * c->s);
}

/* Text straight on the video: a soft shadow keeps it legible. */
static inline void text_on_video(Ctx *c, double x, double y, const char *t, double r, double g, double b, double a)
{
    double d = shadow_of(c);
    cairo_set_source_rgba(c->cr, 0, 0, 0, 0.6 * a);
    cairo_move_to(c->cr, x + d, y + d);
    cairo_show_text(c->cr, t);
    text_at(c, x, y, t, r, g, b, a);
}

static inline void panel(Ctx *c, double x, double y, double w, double h)
{
    emo__rounded_rect(c->cr, x, y, w, h, 5 * c->s);
    cairo_set_source(c->cr, c->ov->panel_bg);
    cairo_fill(c->cr);
}

/* A line from (x0, y0) to (x1, y1), direction (ca, sa) (its unit vector),
 * with a filled head of size hd at (x1, y1), in the current source. */
static inline void arrow(Ctx *c, double x0, double y0, double x1, double y1, double ca, double sa, double hd,
                         double width)
{
    cairo_t *cr = c->cr;
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_set_line_width(cr, width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_stroke(cr);
    cairo_move_to(cr, x1 + ca * hd * 0.4, y1 + sa * hd * 0.4);
    cairo_line_to(cr, x1 - ca * hd + sa * hd * 0.6, y1 - sa * hd - ca * hd * 0.6);
    cairo_line_to(cr, x1 - ca * hd - sa * hd * 0.6, y1 - sa * hd + ca * hd * 0.6);
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* ---------------------------------------------------------------- parts */

/* The action panel (actions.c): places it (last in the order of priority,
 * off the movements too) and draws it, for face in->graph_face. */
void emo__overlay_actions(Ctx *c, const EmoOverlayInput *in);

/* The gaze arrows of face f (gaze.c), on the video with the mesh. */
void emo__overlay_gaze(Ctx *c, const EmoOverlayFace *f);

#endif
