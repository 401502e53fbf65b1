/* Plain-C reference kernels of the Farneback flow. The vectorised kernels in
 * x86/ perform the same operations in the same order per pixel, so they are
 * expected to agree to rounding (see tests/motion/test_flow.c). */
#include "flow.h"

static void poly_row_c(const float *src, int w, const EmoFlowPoly *k, float *h0, float *h1, float *h2)
{
    const int n = k->n;
    for (int x = 0; x < w; x++) {
        float s0 = 0, s1 = 0, s2 = 0;
        for (int i = -n; i <= n; i++) {
            float f = src[x + i];
            s0 += k->g[i + n] * f;
            s1 += k->gx[i + n] * f;
            s2 += k->gxx[i + n] * f;
        }
        h0[x] = s0;
        h1[x] = s1;
        h2[x] = s2;
    }
}

static void poly_col_c(const float *const *h0, const float *const *h1, const float *const *h2, int w,
                       const EmoFlowPoly *k, float *const *out)
{
    const int n = k->n;
    for (int x = 0; x < w; x++) {
        float r1 = 0, rx = 0, ry = 0, rxx = 0, ryy = 0, rxy = 0;
        for (int j = 0; j <= 2 * n; j++) {
            float a = h0[j][x], b = h1[j][x];
            r1 += k->g[j] * a;
            ry += k->gx[j] * a;
            ryy += k->gxx[j] * a;
            rx += k->g[j] * b;
            rxy += k->gx[j] * b;
            rxx += k->g[j] * h2[j][x];
        }
        out[EMO__PX][x] = k->ix * rx;
        out[EMO__PY][x] = k->iy * ry;
        out[EMO__PXX][x] = k->i_xx_1 * r1 + k->i_xx_xx * rxx + k->i_xx_yy * ryy;
        out[EMO__PYY][x] = k->i_xx_1 * r1 + k->i_xx_yy * rxx + k->i_xx_xx * ryy;
        out[EMO__PXY][x] = k->ixy * rxy;
    }
}

static void update_row_c(const float *const *r0, const float *const *r1, const float *u, const float *v, int w,
                         int h, int y, float *const *out)
{
    const float xmax = (float)(w - 1), ymax = (float)(h - 1);
    for (int x = 0; x < w; x++) {
        float dx = u[x], dy = v[x];
        float fx = (float)x + dx, fy = (float)y + dy;
        if (!(fx >= 0.0f && fy >= 0.0f && fx <= xmax && fy <= ymax)) {
            /* The match left the image: no evidence from this pixel. */
            for (int c = 0; c < EMO__NMAT; c++)
                out[c][x] = 0.0f;
            continue;
        }
        int x0 = (int)fx, y0 = (int)fy;
        float ax = fx - (float)x0, ay = fy - (float)y0;
        int x1 = x0 + 1 < w ? x0 + 1 : x0;
        int y1 = y0 + 1 < h ? y0 + 1 : y0;
        float w00 = (1.0f - ax) * (1.0f - ay), w01 = ax * (1.0f - ay);
        float w10 = (1.0f - ax) * ay, w11 = ax * ay;
        size_t i00 = (size_t)y0 * (size_t)w + (size_t)x0, i01 = (size_t)y0 * (size_t)w + (size_t)x1;
        size_t i10 = (size_t)y1 * (size_t)w + (size_t)x0, i11 = (size_t)y1 * (size_t)w + (size_t)x1;
        float s[EMO__NPOLY];
        for (int c = 0; c < EMO__NPOLY; c++) {
            const float *p = r1[c];
            s[c] = w00 * p[i00] + w01 * p[i01] + w10 * p[i10] + w11 * p[i11];
        }
        float a11 = (r0[EMO__PXX][x] + s[EMO__PXX]) * 0.5f;
        float a22 = (r0[EMO__PYY][x] + s[EMO__PYY]) * 0.5f;
        float a12 = (r0[EMO__PXY][x] + s[EMO__PXY]) * 0.25f;
        float db1 = (r0[EMO__PX][x] - s[EMO__PX]) * 0.5f + (a11 * dx + a12 * dy);
        float db2 = (r0[EMO__PY][x] - s[EMO__PY]) * 0.5f + (a12 * dx + a22 * dy);
        out[EMO__G11][x] = a11 * a11 + a12 * a12;
        out[EMO__G12][x] = a12 * (a11 + a22);
        out[EMO__G22][x] = a12 * a12 + a22 * a22;
        out[EMO__H1][x] = a11 * db1 + a12 * db2;
        out[EMO__H2][x] = a12 * db1 + a22 * db2;
    }
}

static void box_col_c(const float *src, float *dst, int w, int h, int r)
{
    for (int x = 0; x < w; x++) {
        float acc = 0.0f;
        for (int j = 0; j <= r && j < h; j++)
            acc += src[(size_t)j * (size_t)w + (size_t)x];
        for (int y = 0; y < h; y++) {
            dst[(size_t)y * (size_t)w + (size_t)x] = acc;
            if (y + r + 1 < h)
                acc += src[(size_t)(y + r + 1) * (size_t)w + (size_t)x];
            if (y - r >= 0)
                acc -= src[(size_t)(y - r) * (size_t)w + (size_t)x];
        }
    }
}

void emo__box_row(const float *src, float *dst, int w, int r)
{
    float acc = 0.0f;
    for (int j = 0; j <= r && j < w; j++)
        acc += src[j];
    for (int x = 0; x < w; x++) {
        dst[x] = acc;
        if (x + r + 1 < w)
            acc += src[x + r + 1];
        if (x - r >= 0)
            acc -= src[x - r];
    }
}

void emo__flow_solve_from(const float *const *m, float *u, float *v, int i, int n, float lambda)
{
    for (; i < n; i++) {
        float g11 = m[EMO__G11][i] + lambda, g22 = m[EMO__G22][i] + lambda, g12 = m[EMO__G12][i];
        float r1 = m[EMO__H1][i] + lambda * u[i], r2 = m[EMO__H2][i] + lambda * v[i];
        float det = g11 * g22 - g12 * g12;
        float idet = 1.0f / det;
        u[i] = (g22 * r1 - g12 * r2) * idet;
        v[i] = (g11 * r2 - g12 * r1) * idet;
    }
}

static void solve_c(const float *const *m, float *u, float *v, int n, float lambda)
{
    emo__flow_solve_from(m, u, v, 0, n, lambda);
}

void emo__flow_dsp_init(EmoFlowDsp *dsp, unsigned flags)
{
    dsp->name = "c";
    dsp->poly_row = poly_row_c;
    dsp->poly_col = poly_col_c;
    dsp->update_row = update_row_c;
    dsp->box_col = box_col_c;
    dsp->solve = solve_c;
#if EMO_ARCH_X86
    if (flags & EMO__CPU_SSE2)
        emo__flow_dsp_init_sse2(dsp);
    if (flags & EMO__CPU_AVX2)
        emo__flow_dsp_init_avx2(dsp);
#endif
}
