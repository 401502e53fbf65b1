/* Private helpers shared by the overlay and the timeline chart. */
#ifndef EMOSCOPE_RENDER_INTERNAL_H
#define EMOSCOPE_RENDER_INTERNAL_H

#include <cairo.h>

#include <emoscope/render.h>

#define EMO__PI 3.14159265358979323846

/* Contours of the MediaPipe 468-point face mesh, as index polylines:
 * emo__mesh_contours holds all indices back to back; each contour is
 * described by its start, its length and whether it closes. */
typedef struct EmoMeshContour {
    int start, len, closed;
} EmoMeshContour;

extern const short emo__mesh_contour_idx[];
extern const EmoMeshContour emo__mesh_contours[];
extern const int emo__mesh_n_contours;

/* Sets the source to emotion e's colour with alpha a. */
void emo__set_emotion_source(cairo_t *cr, int e, double a);

/* Rounded rectangle path. */
void emo__rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r);

/* Clamps to [0,1]; NaN becomes 0. */
static inline double emo__clamp01(double v)
{
    return v > 0.0 ? (v < 1.0 ? v : 1.0) : 0.0;
}

#endif
