/* Emotion labels and colours, face-mesh contours, small drawing helpers. */
#include <math.h>

#include "render/render_internal.h"

#include <emoscope/emotion.h>

_Static_assert(EMO_RENDER_EMOTIONS == EMO_EMOTION_COUNT, "render and emotion share the canonical labels");

/* Chosen to stay apart from each other (hue and lightness) on video and on
 * a white chart background. */
static const uint8_t colors[EMO_RENDER_EMOTIONS][3] = {
    { 230, 57, 70 },   /* angry: red */
    { 106, 168, 79 },  /* disgust: green */
    { 155, 89, 182 },  /* fear: purple */
    { 255, 193, 7 },   /* happy: amber */
    { 52, 120, 219 },  /* sad: blue */
    { 0, 200, 210 },   /* surprise: cyan */
    { 160, 160, 160 }, /* neutral: grey */
};

const char *emo_render_emotion_label(int e)
{
    return emo_emotion_name(e); /* one list of names, in the emotion module */
}

void emo_render_emotion_rgb(int e, uint8_t rgb[3])
{
    static const uint8_t grey[3] = { 128, 128, 128 };
    const uint8_t *c = e >= 0 && e < EMO_RENDER_EMOTIONS ? colors[e] : grey;
    rgb[0] = c[0];
    rgb[1] = c[1];
    rgb[2] = c[2];
}

void emo__set_emotion_source(cairo_t *cr, int e, double a)
{
    uint8_t c[3];
    emo_render_emotion_rgb(e, c);
    cairo_set_source_rgba(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0, a);
}

void emo__rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    if (r > w / 2)
        r = w / 2;
    if (r > h / 2)
        r = h / 2;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -EMO__PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, EMO__PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, EMO__PI / 2, EMO__PI);
    cairo_arc(cr, x + r, y + r, r, EMO__PI, 3 * EMO__PI / 2);
    cairo_close_path(cr);
}

/* MediaPipe face-mesh landmark indices along the face oval, the eyes, the
 * eyebrows and the lips (the contour sets of MediaPipe's face_mesh
 * connections, written here as polylines). */
const short emo__mesh_contour_idx[] = {
    /* face oval (closed) */
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    /* lips, outer (closed): lower from 61 to 291, upper back */
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
    /* lips, inner (closed) */
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
    /* right eye (closed): lower from 33 to 133, upper back */
    33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
    /* left eye (closed) */
    263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
    /* right eyebrow, lower and upper edges (open) */
    46, 53, 52, 65, 55,
    70, 63, 105, 66, 107,
    /* left eyebrow (open) */
    276, 283, 282, 295, 285,
    300, 293, 334, 296, 336,
};

const EmoMeshContour emo__mesh_contours[] = {
    { 0, 36, 1 },   { 36, 20, 1 },  { 56, 20, 1 },  { 76, 16, 1 }, { 92, 16, 1 },
    { 108, 5, 0 },  { 113, 5, 0 },  { 118, 5, 0 },  { 123, 5, 0 },
};

const int emo__mesh_n_contours = (int)(sizeof(emo__mesh_contours) / sizeof(emo__mesh_contours[0]));

_Static_assert(sizeof(emo__mesh_contour_idx) / sizeof(emo__mesh_contour_idx[0]) == 128,
               "contour index table and contour list disagree");
