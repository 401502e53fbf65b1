/* Affine helpers and bilinear warps that sample only the pixels they need. */
#include <math.h>

#include "face_priv.h"

void emo__roi_affine(float cx, float cy, float side, float rot, int size, float m[6])
{
    float k = side / (float)size, c = cosf(rot), s = sinf(rot), half = 0.5f * (float)size;
    m[0] = k * c;
    m[1] = -k * s;
    m[3] = k * s;
    m[4] = k * c;
    m[2] = cx - m[0] * half - m[1] * half;
    m[5] = cy - m[3] * half - m[4] * half;
}

float emo__roi_rotation(float x0, float y0, float x1, float y1)
{
    /* MediaPipe: target_angle - atan2(-(y1 - y0), x1 - x0), normalised. */
    float r = -atan2f(-(y1 - y0), x1 - x0);
    const float pi = 3.14159265358979f;
    while (r > pi)
        r -= 2.0f * pi;
    while (r <= -pi)
        r += 2.0f * pi;
    return r;
}

int emo__affine_invert(const float m[6], float inv[6])
{
    double det = (double)m[0] * m[4] - (double)m[1] * m[3];
    if (!(fabs(det) > 1e-12))
        return EMO_EINVAL;
    double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
    inv[0] = (float)a;
    inv[1] = (float)b;
    inv[3] = (float)d;
    inv[4] = (float)e;
    inv[2] = (float)(-(a * m[2] + b * m[5]));
    inv[5] = (float)(-(d * m[2] + e * m[5]));
    return 0;
}

void emo__landmarks_to_frame(const float *raw, const float m[6], float (*lm)[3])
{
    float k = sqrtf(m[0] * m[0] + m[3] * m[3]); /* frame pixels per crop pixel */
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        float x = raw[3 * i], y = raw[3 * i + 1];
        lm[i][0] = m[0] * x + m[1] * y + m[2];
        lm[i][1] = m[3] * x + m[4] * y + m[5];
        lm[i][2] = raw[3 * i + 2] * k;
    }
}

/* Bilinear sample at pixel-index coordinates (sx, sy) into rgb[3] (0..255). */
static inline void sample(const EmoFrame *f, float sx, float sy, int zero_border, float rgb[3])
{
    const int bpp = f->fmt == EMO_PIX_BGRA ? 4 : 3;
    const int ri = f->fmt == EMO_PIX_BGRA ? 2 : 0, bi = 2 - ri;
    const int w = f->width, h = f->height;
    float fx0 = floorf(sx), fy0 = floorf(sy);
    float ax = sx - fx0, ay = sy - fy0;
    if (fx0 >= 0.0f && fy0 >= 0.0f && fx0 < (float)(w - 1) && fy0 < (float)(h - 1)) {
        int x0 = (int)fx0, y0 = (int)fy0;
        const uint8_t *p = f->data[0] + (size_t)y0 * f->stride[0] + (size_t)x0 * bpp;
        const uint8_t *q = p + f->stride[0];
        float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
        rgb[0] = w00 * p[ri] + w01 * p[bpp + ri] + w10 * q[ri] + w11 * q[bpp + ri];
        rgb[1] = w00 * p[1] + w01 * p[bpp + 1] + w10 * q[1] + w11 * q[bpp + 1];
        rgb[2] = w00 * p[bi] + w01 * p[bpp + bi] + w10 * q[bi] + w11 * q[bpp + bi];
        return;
    }
    /* Border: each of the 4 taps is either clamped to the edge or black. Also
     * guards huge or non-finite coordinates before any conversion to int. */
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    if (!(sx > -2.0f && sx < (float)w + 1.0f && sy > -2.0f && sy < (float)h + 1.0f)) {
        if (zero_border || !isfinite(sx) || !isfinite(sy))
            return;
        sx = fminf(fmaxf(sx, 0.0f), (float)(w - 1));
        sy = fminf(fmaxf(sy, 0.0f), (float)(h - 1));
        fx0 = floorf(sx);
        fy0 = floorf(sy);
        ax = sx - fx0;
        ay = sy - fy0;
    }
    int x0 = (int)fx0, y0 = (int)fy0;
    for (int t = 0; t < 4; t++) {
        int x = x0 + (t & 1), y = y0 + (t >> 1);
        float wt = ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
        if (x < 0 || y < 0 || x >= w || y >= h) {
            if (zero_border)
                continue;
            x = x < 0 ? 0 : (x >= w ? w - 1 : x);
            y = y < 0 ? 0 : (y >= h ? h - 1 : y);
        }
        const uint8_t *p = f->data[0] + (size_t)y * f->stride[0] + (size_t)x * bpp;
        rgb[0] += wt * p[ri];
        rgb[1] += wt * p[1];
        rgb[2] += wt * p[bi];
    }
}

void emo__warp_rgbf(const EmoFrame *frame, const float m[6], int w, int h, int ss, int zero_border, float scale,
                    float bias, float *dst)
{
    if (ss < 1)
        ss = 1;
    const float inv_n = 1.0f / (float)(ss * ss);
    for (int v = 0; v < h; v++) {
        for (int u = 0; u < w; u++) {
            float acc[3] = { 0, 0, 0 };
            for (int b = 0; b < ss; b++) {
                float py = (float)v + ((float)b + 0.5f) / (float)ss;
                for (int a = 0; a < ss; a++) {
                    float px = (float)u + ((float)a + 0.5f) / (float)ss;
                    float rgb[3];
                    sample(frame, m[0] * px + m[1] * py + m[2] - 0.5f, m[3] * px + m[4] * py + m[5] - 0.5f,
                           zero_border, rgb);
                    acc[0] += rgb[0];
                    acc[1] += rgb[1];
                    acc[2] += rgb[2];
                }
            }
            float *o = dst + ((size_t)v * w + u) * 3;
            o[0] = acc[0] * inv_n * scale + bias;
            o[1] = acc[1] * inv_n * scale + bias;
            o[2] = acc[2] * inv_n * scale + bias;
        }
    }
}

void emo__warp_u8(const EmoFrame *frame, const float m[6], int w, int h, int channels, uint8_t *dst, int stride)
{
    for (int v = 0; v < h; v++) {
        uint8_t *row = dst + (size_t)v * stride;
        float py = (float)v + 0.5f;
        for (int u = 0; u < w; u++) {
            float px = (float)u + 0.5f, rgb[3];
            sample(frame, m[0] * px + m[1] * py + m[2] - 0.5f, m[3] * px + m[4] * py + m[5] - 0.5f, 1, rgb);
            if (channels == 1) {
                row[u] = (uint8_t)(0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2] + 0.5f);
            } else if (channels == 3) {
                for (int c = 0; c < 3; c++)
                    row[3 * u + c] = (uint8_t)(rgb[c] + 0.5f);
            } else {
                row[4 * u + 0] = (uint8_t)(rgb[2] + 0.5f);
                row[4 * u + 1] = (uint8_t)(rgb[1] + 0.5f);
                row[4 * u + 2] = (uint8_t)(rgb[0] + 0.5f);
                row[4 * u + 3] = 255;
            }
        }
    }
}
