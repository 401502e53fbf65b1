/* Face alignment (similarity to a FER2013-like framing) and the iBUG 68-point map. */
#include <math.h>
#include <string.h>

#include "face_priv.h"

/*
 * Framing of the aligned face, in units of its side: the eye centres are
 * EYE_DIST apart on the line y = EYE_Y, centred horizontally. With the
 * proportions of MediaPipe's canonical face this puts the mouth corners at
 * y = 0.714, the chin (landmark 152) at 0.97 and the forehead landmark 10 at
 * 0.07: forehead to chin, as in FER2013's 48x48 crops.
 */
#define EYE_DIST 0.32
#define EYE_Y 0.36
/* Canonical face (cm, y up): eye centres (mean of the corners 33/133 and
 * 263/362) at x = -+3.151, y = 2.6246; mouth corners 61/291 at x = -+2.4562,
 * y = -4.3426. */
#define C_EYE_X 3.151146
#define C_EYE_Y 2.624618
#define C_MOUTH_X 2.456206
#define C_MOUTH_Y (-4.342621)
#define T_X(X) (0.5 + (X) / (2.0 * C_EYE_X) * EYE_DIST)
#define T_Y(Y) (EYE_Y - ((Y)-C_EYE_Y) / (2.0 * C_EYE_X) * EYE_DIST)

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
        { T_X(-C_EYE_X), T_Y(C_EYE_Y) },
        { T_X(C_EYE_X), T_Y(C_EYE_Y) },
        { T_X(-C_MOUTH_X), T_Y(C_MOUTH_Y) },
        { T_X(C_MOUTH_X), T_Y(C_MOUTH_Y) },
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
    /* jaw 0-16, image left (subject's right) to image right */
    127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356,
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
 * Jaw contour "marching": iBUG annotates the jaw on the visible outline of
 * the face, while a mesh index is a fixed point of the 3D face that slides
 * behind the cheek when the head turns. For each jaw point the row below
 * lists the mesh vertices at the same height (canonical face: same side,
 * |y - y_base| < 0.5 cm, between 0.3 and 1 times the base's |x|, not behind
 * it; generated from canonical_face_model.obj), and the one furthest out on
 * that side of the face (along the eye-corner line 263 -> 33 or 33 -> 263)
 * is taken. For a frontal face that is the base vertex itself.
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

void emo_face_to_ibug68(const EmoFace *face, float (*out)[2])
{
    const float (*L)[3] = (const float(*)[3])face->landmarks;
    float ex = L[33][0] - L[263][0], ey = L[33][1] - L[263][1]; /* towards the subject's right */
    for (int i = 0; i < EMO_FACE_IBUG68; i++) {
        int best = ibug68[i];
        if (i < 17 && i != 8) {
            float sx = i < 8 ? ex : -ex, sy = i < 8 ? ey : -ey;
            for (size_t r = 0; r < sizeof(jaw_rows) / sizeof(jaw_rows[0]); r++) {
                if (jaw_rows[r].base != best)
                    continue;
                float top = sx * L[best][0] + sy * L[best][1];
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
        }
        out[i][0] = L[best][0];
        out[i][1] = L[best][1];
    }
}
