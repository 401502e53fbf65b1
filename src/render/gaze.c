/* The overlay's gaze arrows: one from each eye shown, in the direction the
 * face looks (the caller projects and scales it). */
#include "render/overlay_internal.h"

void emo__overlay_gaze(Ctx *c, const EmoOverlayFace *f)
{
    cairo_t *cr = c->cr;
    /* Green, apart from the mesh's pale cyan, the emotion colours and the
     * movement highlights (amber, magenta, orange). */
    const double r = 0.35, g = 1.0, b = 0.45;
    double hd = 6 * c->s, dot = fmax(1.5, 2.2 * c->s);
    for (int k = 0; k < f->n_gaze; k++) {
        const EmoOverlayGaze *a = &f->gaze[k];
        double len = hypot(a->dx, a->dy);
        /* The eye's dot: all there is of a gaze straight into the camera. */
        cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
        cairo_new_sub_path(cr);
        cairo_arc(cr, a->x, a->y, dot + fmax(1.0, 0.8 * c->s), 0, 2 * EMO__PI);
        cairo_fill(cr);
        cairo_set_source_rgba(cr, r, g, b, 0.95);
        cairo_new_sub_path(cr);
        cairo_arc(cr, a->x, a->y, dot, 0, 2 * EMO__PI);
        cairo_fill(cr);
        if (!(len > hd))
            continue;
        double ca = a->dx / len, sa = a->dy / len, w = fmax(1.5, 2.0 * c->s), sh = fmax(1.0, 0.8 * c->s);
        /* A dark rim first: the arrow stays visible on a green screen or a bright face. */
        cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
        arrow(c, a->x, a->y, a->x + a->dx, a->y + a->dy, ca, sa, hd + 2 * sh, w + 2 * sh);
        cairo_set_source_rgba(cr, r, g, b, 0.95);
        arrow(c, a->x, a->y, a->x + a->dx, a->y + a->dy, ca, sa, hd, w);
    }
}
