/* Face alignment (similarity to a FER2013-like framing) and the iBUG 68-point map. */
#include <math.h>
#include <string.h>

#include "face_priv.h"

/*
 * Framing of the aligned face, in units of its side, measured on FER2013:
 * the face mesh run on 443 near-frontal FER2013 PublicTest faces (|yaw| <=
 * 15, |roll| <= 10 degrees; neutral, happy, sad, surprise, angry; each 48x48
 * image scaled 3x and padded) puts, as medians, the eye centres (means of
 * corners 33/133 and 263/362) 0.376 apart on the line y = 0.391, centred,
 * and the mouth corners 61/291 0.299 apart on y = 0.774; the chin (152)
 * falls at 1.015 and the forehead point 10 at 0.097. Aligning to the same
 * template reproduces FER2013's framing (forehead to chin).
 */
#define EYE_DIST 0.376
#define EYE_Y 0.391
#define MOUTH_W 0.299
#define MOUTH_Y 0.774

void emo_face_compute_alignment(EmoFace *f)
{
    const float (*L)[3] = (const float(*)[3])f->landmarks;
    const double pts[4][2] = {
        { 0.5 * (L[33][0] + L[133][0]), 0.5 * (L[33][1] + L[133][1]) },   /* subject's right eye */
        { 0.5 * (L[263][0] + L[362][0]), 0.5 * (L[263][1] + L[362][1]) }, /* left eye */
        { L[61][0], L[61][1] },
        { L[291][0], L[291][1] },
    };
    static const double tpl[4][2] = {
        { 0.5 - 0.5 * EYE_DIST, EYE_Y },
        { 0.5 + 0.5 * EYE_DIST, EYE_Y },
        { 0.5 - 0.5 * MOUTH_W, MOUTH_Y },
        { 0.5 + 0.5 * MOUTH_W, MOUTH_Y },
    };
    /* Rotation from the eye line (levels the eyes exactly); scale and
     * translation by least squares over the eyes and mouth corners, which
     * keeps the scale steady when the head turns (the eye distance alone
     * shrinks with yaw). */
    double th = atan2(pts[1][1] - pts[0][1], pts[1][0] - pts[0][0]);
    double c = cos(th), s = sin(th);
    double r[4][2], rm[2] = { 0, 0 }, tm[2] = { 0, 0 };
    for (int i = 0; i < 4; i++) {
        r[i][0] = c * pts[i][0] + s * pts[i][1];
        r[i][1] = -s * pts[i][0] + c * pts[i][1];
        rm[0] += r[i][0] / 4;
        rm[1] += r[i][1] / 4;
        tm[0] += tpl[i][0] / 4;
        tm[1] += tpl[i][1] / 4;
    }
    double num = 0, den = 0;
    for (int i = 0; i < 4; i++) {
        double px = r[i][0] - rm[0], py = r[i][1] - rm[1];
        num += px * (tpl[i][0] - tm[0]) + py * (tpl[i][1] - tm[1]);
        den += px * px + py * py;
    }
    double k = den > 0 ? num / den : 0;
    if (!(k > 0) || !isfinite(k)) {
        /* Degenerate landmarks: fall back to the box, unrotated. */
        double side = fmax(f->box[2], f->box[3]);
        k = side > 0 ? 1.0 / side : 1.0;
        c = 1;
        s = 0;
        rm[0] = f->box[0] + 0.5 * f->box[2];
        rm[1] = f->box[1] + 0.5 * f->box[3];
        tm[0] = tm[1] = 0.5;
    }
    f->align[0] = (float)(k * c);
    f->align[1] = (float)(k * s);
    f->align[2] = (float)(tm[0] - k * rm[0]);
    f->align[3] = (float)(-k * s);
    f->align[4] = (float)(k * c);
    f->align[5] = (float)(tm[1] - k * rm[1]);
}

float emo__face_width(const float (*lm)[3])
{
    /* Along the eye line rather than the frame's x axis: a rolled face's
     * axis-aligned box is up to 1.4x wider than the face. */
    double dx = lm[263][0] - lm[33][0], dy = lm[263][1] - lm[33][1], n = hypot(dx, dy);
    double ux = n > 0 ? dx / n : 1, uy = n > 0 ? dy / n : 0, lo = 0, hi = 0;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        double u = ux * lm[i][0] + uy * lm[i][1];
        lo = i == 0 || u < lo ? u : lo;
        hi = i == 0 || u > hi ? u : hi;
    }
    return (float)(hi - lo);
}

int emo_face_align(const EmoFrame *frame, const EmoFace *face, int size, EmoAlignFormat fmt, uint8_t *out,
                   int stride)
{
    if (!frame || !face || !out || size < 1 || size > 4096)
        return EMO_EINVAL;
    if (frame->fmt != EMO_PIX_BGRA && frame->fmt != EMO_PIX_RGB24)
        return EMO_EINVAL;
    if (fmt != EMO_ALIGN_GRAY8 && fmt != EMO_ALIGN_RGB24 && fmt != EMO_ALIGN_BGRA)
        return EMO_EINVAL;
    if (stride < size * (int)fmt)
        return EMO_EINVAL;
    float m[6], inv[6];
    for (int i = 0; i < 6; i++)
        m[i] = face->align[i] * (float)size;
    if (emo__affine_invert(m, inv) < 0)
        return EMO_EINVAL;
    emo__warp_u8(frame, inv, size, size, (int)fmt, out, stride);
    return 0;
}

void emo_face_aligned_landmarks(const EmoFace *f, int size, float (*out)[2])
{
    const float *a = f->align;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        float x = f->landmarks[i][0], y = f->landmarks[i][1];
        out[i][0] = (a[0] * x + a[1] * y + a[2]) * (float)size;
        out[i][1] = (a[3] * x + a[4] * y + a[5]) * (float)size;
    }
}

/* iBUG 68 (0-based) -> face-mesh index; the reasoning is in docs/face.md. */
static const int ibug68[EMO_FACE_IBUG68] = {
    /* jaw 0-16, image left (subject's right) to image right: the face-oval
     * vertex nearest to each point on the frontal canonical face; the points
     * themselves are placed along the outline (emo_face_to_ibug68) */
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    /* brows 17-21 (subject's right, outer to inner), 22-26 (left, inner to outer): upper edge */
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    /* nose bridge 27-30, lower nose 31-35 */
    168, 197, 5, 4, 98, 97, 2, 326, 327,
    /* right eye 36-41: outer corner, upper lid, inner corner, lower lid */
    33, 160, 158, 133, 153, 144,
    /* left eye 42-47: inner corner, upper lid, outer corner, lower lid */
    362, 385, 387, 263, 373, 380,
    /* outer lips 48-59 */
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    /* inner lips 60-67 */
    78, 82, 13, 312, 308, 317, 14, 87,
};

const int *emo_face_ibug68_map(void)
{
    return ibug68;
}

/*
 * The jaw. iBUG's points 0-16 run along the visible outline of the lower
 * face, from the ear at the eyes' height (0, 16) to the chin (8), evenly
 * spaced. Here: the lower half of MediaPipe's face oval on each side,
 * 127 234 93 132 58 172 136 150 149 176 148 152 (subject's right) and its
 * mirror 356 ... 377 152, with each vertex first moved onto the visible
 * outline ("marching", below), resampled at 8 equal arc-length steps from
 * the top to the chin. On the frontal canonical face the points land next
 * to the vertices of the table above.
 *
 * Marching: a mesh index is a fixed point of the 3D face that slides behind
 * the cheek when the head turns away, while iBUG marks the outline. For
 * each oval vertex the row below lists the vertices at the same height
 * (canonical face: same side, |y - y_base| < 0.5 cm, between 0.3 and 1
 * times the base's |x|, not behind it; generated from
 * canonical_face_model.obj), and the one furthest out on that side of the
 * face (along the eye-corner line 263 -> 33 or 33 -> 263) is taken. For a
 * frontal face that is the base vertex itself.
 */
typedef struct JawRow {
    int base, n;
    int idx[20];
} JawRow;

static const JawRow jaw_rows[] = {
    { 127, 20, { 127, 34, 143, 35, 226, 31, 130, 25, 33, 7, 246, 110, 161, 163, 24, 144, 23, 145, 153, 22 } },
    { 234, 8, { 234, 227, 116, 117, 118, 119, 120, 100 } },
    { 93, 5, { 93, 137, 50, 205, 36 } },
    { 132, 6, { 132, 177, 213, 207, 216, 92 } },
    { 58, 11, { 58, 138, 214, 212, 57, 43, 61, 76, 62, 146, 77 } },
    { 172, 5, { 172, 135, 210, 204, 194 } },
    { 136, 5, { 136, 169, 170, 211, 32 } },
    { 150, 3, { 150, 170, 140 } },
    { 149, 4, { 149, 140, 176, 171 } },
    { 176, 3, { 176, 171, 148 } },
    { 148, 1, { 148 } },
    { 356, 20, { 356, 264, 372, 265, 446, 261, 359, 255, 263, 249, 466, 339, 388, 390, 254, 373, 253, 374, 380, 252 } },
    { 454, 8, { 454, 447, 345, 346, 347, 348, 349, 329 } },
    { 323, 5, { 323, 366, 280, 425, 266 } },
    { 361, 6, { 361, 401, 433, 427, 436, 322 } },
    { 288, 11, { 288, 367, 434, 432, 287, 273, 291, 306, 292, 375, 307 } },
    { 397, 5, { 397, 364, 430, 424, 418 } },
    { 365, 5, { 365, 394, 395, 431, 262 } },
    { 379, 3, { 379, 395, 369 } },
    { 378, 4, { 378, 369, 400, 396 } },
    { 400, 3, { 400, 396, 377 } },
    { 377, 1, { 377 } },
};

#define OVAL_HALF 12
static const int oval_right[OVAL_HALF] = { 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152 };
static const int oval_left[OVAL_HALF] = { 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152 };

/* The vertex of base's row furthest along (sx, sy). */
static int march(const float (*L)[3], int base, float sx, float sy)
{
    int best = base;
    for (size_t r = 0; r < sizeof(jaw_rows) / sizeof(jaw_rows[0]); r++) {
        if (jaw_rows[r].base != base)
            continue;
        float top = sx * L[base][0] + sy * L[base][1];
        for (int k = 0; k < jaw_rows[r].n; k++) {
            int v = jaw_rows[r].idx[k];
            float d = sx * L[v][0] + sy * L[v][1];
            if (d > top) {
                top = d;
                best = v;
            }
        }
        break;
    }
    return best;
}

/* One side of the jaw: the marched half-oval resampled at 9 points, equal
 * arc-length steps from the top (out[0]) to the chin (out[8]). */
static void jaw_side(const float (*L)[3], const int *chain, float sx, float sy, float out[9][2])
{
    float p[OVAL_HALF][2], len[OVAL_HALF - 1], total = 0;
    for (int i = 0; i < OVAL_HALF; i++) {
        int v = i == OVAL_HALF - 1 ? chain[i] : march(L, chain[i], sx, sy); /* the chin stays */
        p[i][0] = L[v][0];
        p[i][1] = L[v][1];
    }
    for (int i = 0; i + 1 < OVAL_HALF; i++) {
        len[i] = hypotf(p[i + 1][0] - p[i][0], p[i + 1][1] - p[i][1]);
        total += len[i];
    }
    int seg = 0;
    float before = 0; /* arc length up to the start of seg */
    for (int k = 0; k < 9; k++) {
        float target = total * (float)k / 8.0f;
        while (seg < OVAL_HALF - 2 && before + len[seg] < target) {
            before += len[seg];
            seg++;
        }
        float a = len[seg] > 0 ? (target - before) / len[seg] : 0;
        a = a < 0 ? 0 : (a > 1 ? 1 : a);
        out[k][0] = p[seg][0] + a * (p[seg + 1][0] - p[seg][0]);
        out[k][1] = p[seg][1] + a * (p[seg + 1][1] - p[seg][1]);
    }
}

void emo_face_to_ibug68(const EmoFace *face, float (*out)[2])
{
    const float (*L)[3] = (const float(*)[3])face->landmarks;
    float ex = L[33][0] - L[263][0], ey = L[33][1] - L[263][1]; /* towards the subject's right */
    float right[9][2], left[9][2];
    jaw_side(L, oval_right, ex, ey, right);
    jaw_side(L, oval_left, -ex, -ey, left);
    for (int k = 0; k < 8; k++) {
        out[k][0] = right[k][0];
        out[k][1] = right[k][1];
        out[16 - k][0] = left[k][0];
        out[16 - k][1] = left[k][1];
    }
    out[8][0] = L[152][0];
    out[8][1] = L[152][1];
    for (int i = 17; i < EMO_FACE_IBUG68; i++) {
        out[i][0] = L[ibug68[i]][0];
        out[i][1] = L[ibug68[i]][1];
    }
}
