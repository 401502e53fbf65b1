/* SSE2 kernels of the Farneback flow, for x86 CPUs without AVX2: four
 * pixels at a time, the same operations in the same order as the C
 * reference (see flow_avx2.c; SSE2 has no gather, so the bilinear samples
 * are loaded lane by lane). Widths are at least 8 here, and a row's last
 * partial block is redone as the block ending at the row's end. */
#include "motion/flow.h"

#if EMO_ARCH_X86
#include <emmintrin.h>

#define SSE2 __attribute__((target("sse2")))

SSE2 static void poly_row_sse2(const float *src, int w, const EmoFlowPoly *k, float *h0, float *h1, float *h2)
{
    const int n = k->n;
    for (int x = 0;; x += 4) {
        if (x > w - 4)
            x = w - 4;
        __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps(), s2 = _mm_setzero_ps();
        for (int i = -n; i <= n; i++) {
            __m128 f = _mm_loadu_ps(src + x + i);
            s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_set1_ps(k->g[i + n]), f));
            s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_set1_ps(k->gx[i + n]), f));
            s2 = _mm_add_ps(s2, _mm_mul_ps(_mm_set1_ps(k->gxx[i + n]), f));
        }
        _mm_storeu_ps(h0 + x, s0);
        _mm_storeu_ps(h1 + x, s1);
        _mm_storeu_ps(h2 + x, s2);
        if (x + 4 >= w)
            break;
    }
}

SSE2 static void poly_col_sse2(const float *const *h0, const float *const *h1, const float *const *h2, int w,
                               const EmoFlowPoly *k, float *const *out)
{
    const int n = k->n;
    const __m128 ix = _mm_set1_ps(k->ix), iy = _mm_set1_ps(k->iy), ixy = _mm_set1_ps(k->ixy);
    const __m128 i1 = _mm_set1_ps(k->i_xx_1), ixx = _mm_set1_ps(k->i_xx_xx), iyy = _mm_set1_ps(k->i_xx_yy);
    for (int x = 0;; x += 4) {
        if (x > w - 4)
            x = w - 4;
        __m128 r1 = _mm_setzero_ps(), rx = r1, ry = r1, rxx = r1, ryy = r1, rxy = r1;
        for (int j = 0; j <= 2 * n; j++) {
            __m128 a = _mm_loadu_ps(h0[j] + x), b = _mm_loadu_ps(h1[j] + x);
            __m128 g = _mm_set1_ps(k->g[j]), gx = _mm_set1_ps(k->gx[j]), gxx = _mm_set1_ps(k->gxx[j]);
            r1 = _mm_add_ps(r1, _mm_mul_ps(g, a));
            ry = _mm_add_ps(ry, _mm_mul_ps(gx, a));
            ryy = _mm_add_ps(ryy, _mm_mul_ps(gxx, a));
            rx = _mm_add_ps(rx, _mm_mul_ps(g, b));
            rxy = _mm_add_ps(rxy, _mm_mul_ps(gx, b));
            rxx = _mm_add_ps(rxx, _mm_mul_ps(g, _mm_loadu_ps(h2[j] + x)));
        }
        _mm_storeu_ps(out[EMO__PX] + x, _mm_mul_ps(ix, rx));
        _mm_storeu_ps(out[EMO__PY] + x, _mm_mul_ps(iy, ry));
        __m128 c1 = _mm_mul_ps(i1, r1);
        _mm_storeu_ps(out[EMO__PXX] + x, _mm_add_ps(_mm_add_ps(c1, _mm_mul_ps(ixx, rxx)), _mm_mul_ps(iyy, ryy)));
        _mm_storeu_ps(out[EMO__PYY] + x, _mm_add_ps(_mm_add_ps(c1, _mm_mul_ps(iyy, rxx)), _mm_mul_ps(ixx, ryy)));
        _mm_storeu_ps(out[EMO__PXY] + x, _mm_mul_ps(ixy, rxy));
        if (x + 4 >= w)
            break;
    }
}

SSE2 static void update_row_sse2(const float *const *r0, const float *const *r1, const float *u, const float *v,
                                 int w, int h, int y, float *const *out)
{
    const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f), half = _mm_set1_ps(0.5f),
                 quarter = _mm_set1_ps(0.25f);
    const __m128 xmax = _mm_set1_ps((float)(w - 1)), ymax = _mm_set1_ps((float)(h - 1));
    const __m128 yf = _mm_set1_ps((float)y);
    for (int x = 0;; x += 4) {
        if (x > w - 4)
            x = w - 4;
        __m128 dx = _mm_loadu_ps(u + x), dy = _mm_loadu_ps(v + x);
        __m128 xf = _mm_setr_ps((float)x, (float)(x + 1), (float)(x + 2), (float)(x + 3));
        __m128 fx = _mm_add_ps(xf, dx), fy = _mm_add_ps(yf, dy);
        __m128 ok = _mm_and_ps(_mm_and_ps(_mm_cmpge_ps(fx, zero), _mm_cmpge_ps(fy, zero)),
                               _mm_and_ps(_mm_cmple_ps(fx, xmax), _mm_cmple_ps(fy, ymax)));
        /* Clamp (NaN -> 0) so that lanes masked off still load in bounds. */
        fx = _mm_min_ps(_mm_max_ps(fx, zero), xmax);
        fy = _mm_min_ps(_mm_max_ps(fy, zero), ymax);
        __m128i x0 = _mm_cvttps_epi32(fx), y0 = _mm_cvttps_epi32(fy);
        __m128 ax = _mm_sub_ps(fx, _mm_cvtepi32_ps(x0)), ay = _mm_sub_ps(fy, _mm_cvtepi32_ps(y0));
        __m128 bx = _mm_sub_ps(one, ax), by = _mm_sub_ps(one, ay);
        __m128 w00 = _mm_mul_ps(bx, by), w01 = _mm_mul_ps(ax, by);
        __m128 w10 = _mm_mul_ps(bx, ay), w11 = _mm_mul_ps(ax, ay);
        int xs[4], ys[4];
        _mm_storeu_si128((__m128i *)(void *)xs, x0);
        _mm_storeu_si128((__m128i *)(void *)ys, y0);
        size_t i00[4], i01[4], i10[4], i11[4];
        for (int l = 0; l < 4; l++) {
            size_t xa = (size_t)xs[l], xb = (size_t)(xs[l] + 1 < w ? xs[l] + 1 : xs[l]);
            size_t ya = (size_t)ys[l] * (size_t)w, yb = (size_t)(ys[l] + 1 < h ? ys[l] + 1 : ys[l]) * (size_t)w;
            i00[l] = ya + xa;
            i01[l] = ya + xb;
            i10[l] = yb + xa;
            i11[l] = yb + xb;
        }
        __m128 s[EMO__NPOLY];
        for (int c = 0; c < EMO__NPOLY; c++) {
            const float *p = r1[c];
            __m128 acc = _mm_mul_ps(w00, _mm_setr_ps(p[i00[0]], p[i00[1]], p[i00[2]], p[i00[3]]));
            acc = _mm_add_ps(acc, _mm_mul_ps(w01, _mm_setr_ps(p[i01[0]], p[i01[1]], p[i01[2]], p[i01[3]])));
            acc = _mm_add_ps(acc, _mm_mul_ps(w10, _mm_setr_ps(p[i10[0]], p[i10[1]], p[i10[2]], p[i10[3]])));
            s[c] = _mm_add_ps(acc, _mm_mul_ps(w11, _mm_setr_ps(p[i11[0]], p[i11[1]], p[i11[2]], p[i11[3]])));
        }
        __m128 a11 = _mm_mul_ps(_mm_add_ps(_mm_loadu_ps(r0[EMO__PXX] + x), s[EMO__PXX]), half);
        __m128 a22 = _mm_mul_ps(_mm_add_ps(_mm_loadu_ps(r0[EMO__PYY] + x), s[EMO__PYY]), half);
        __m128 a12 = _mm_mul_ps(_mm_add_ps(_mm_loadu_ps(r0[EMO__PXY] + x), s[EMO__PXY]), quarter);
        __m128 db1 = _mm_add_ps(_mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(r0[EMO__PX] + x), s[EMO__PX]), half),
                                _mm_add_ps(_mm_mul_ps(a11, dx), _mm_mul_ps(a12, dy)));
        __m128 db2 = _mm_add_ps(_mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(r0[EMO__PY] + x), s[EMO__PY]), half),
                                _mm_add_ps(_mm_mul_ps(a12, dx), _mm_mul_ps(a22, dy)));
        __m128 a12s = _mm_mul_ps(a12, a12);
        _mm_storeu_ps(out[EMO__G11] + x, _mm_and_ps(ok, _mm_add_ps(_mm_mul_ps(a11, a11), a12s)));
        _mm_storeu_ps(out[EMO__G12] + x, _mm_and_ps(ok, _mm_mul_ps(a12, _mm_add_ps(a11, a22))));
        _mm_storeu_ps(out[EMO__G22] + x, _mm_and_ps(ok, _mm_add_ps(a12s, _mm_mul_ps(a22, a22))));
        _mm_storeu_ps(out[EMO__H1] + x, _mm_and_ps(ok, _mm_add_ps(_mm_mul_ps(a11, db1), _mm_mul_ps(a12, db2))));
        _mm_storeu_ps(out[EMO__H2] + x, _mm_and_ps(ok, _mm_add_ps(_mm_mul_ps(a12, db1), _mm_mul_ps(a22, db2))));
        if (x + 4 >= w)
            break;
    }
}

SSE2 static void box_col_sse2(const float *src, float *dst, int w, int h, int r)
{
    for (int x = 0;; x += 4) {
        if (x > w - 4)
            x = w - 4;
        __m128 acc = _mm_setzero_ps();
        for (int j = 0; j <= r && j < h; j++)
            acc = _mm_add_ps(acc, _mm_loadu_ps(src + (size_t)j * (size_t)w + (size_t)x));
        for (int y = 0; y < h; y++) {
            _mm_storeu_ps(dst + (size_t)y * (size_t)w + (size_t)x, acc);
            if (y + r + 1 < h)
                acc = _mm_add_ps(acc, _mm_loadu_ps(src + (size_t)(y + r + 1) * (size_t)w + (size_t)x));
            if (y - r >= 0)
                acc = _mm_sub_ps(acc, _mm_loadu_ps(src + (size_t)(y - r) * (size_t)w + (size_t)x));
        }
        if (x + 4 >= w)
            break;
    }
}

SSE2 static void solve_sse2(const float *const *m, float *u, float *v, int n, float lambda)
{
    const __m128 lam = _mm_set1_ps(lambda), one = _mm_set1_ps(1.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 g11 = _mm_add_ps(_mm_loadu_ps(m[EMO__G11] + i), lam);
        __m128 g22 = _mm_add_ps(_mm_loadu_ps(m[EMO__G22] + i), lam);
        __m128 g12 = _mm_loadu_ps(m[EMO__G12] + i);
        __m128 pu = _mm_loadu_ps(u + i), pv = _mm_loadu_ps(v + i);
        __m128 r1 = _mm_add_ps(_mm_loadu_ps(m[EMO__H1] + i), _mm_mul_ps(lam, pu));
        __m128 r2 = _mm_add_ps(_mm_loadu_ps(m[EMO__H2] + i), _mm_mul_ps(lam, pv));
        __m128 det = _mm_sub_ps(_mm_mul_ps(g11, g22), _mm_mul_ps(g12, g12));
        __m128 idet = _mm_div_ps(one, det);
        _mm_storeu_ps(u + i, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(g22, r1), _mm_mul_ps(g12, r2)), idet));
        _mm_storeu_ps(v + i, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(g11, r2), _mm_mul_ps(g12, r1)), idet));
    }
    emo__flow_solve_from(m, u, v, i, n, lambda); /* the pixels left over, as the reference does them */
}

void emo__flow_dsp_init_sse2(EmoFlowDsp *dsp)
{
    dsp->name = "sse2";
    dsp->poly_row = poly_row_sse2;
    dsp->poly_col = poly_col_sse2;
    dsp->update_row = update_row_sse2;
    dsp->box_col = box_col_sse2;
    dsp->solve = solve_sse2;
}

#endif
