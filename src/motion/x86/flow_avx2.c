/* AVX2 kernels of the Farneback flow: eight pixels of a row at a time, the
 * same operations in the same order as the C reference (no FMA contraction,
 * exact division), so results agree with it to rounding. Every width here
 * is at least 8 (images are >= 8 px and pyramid levels >= 32 px): a row's
 * last partial block is redone as the block ending at the row's end, which
 * is harmless for kernels whose outputs do not alias their inputs. */
#include "motion/flow.h"

#if EMO_ARCH_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

AVX2 static void poly_row_avx2(const float *src, int w, const EmoFlowPoly *k, float *h0, float *h1, float *h2)
{
    const int n = k->n;
    for (int x = 0;; x += 8) {
        if (x > w - 8)
            x = w - 8;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps();
        for (int i = -n; i <= n; i++) {
            __m256 f = _mm256_loadu_ps(src + x + i);
            s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_set1_ps(k->g[i + n]), f));
            s1 = _mm256_add_ps(s1, _mm256_mul_ps(_mm256_set1_ps(k->gx[i + n]), f));
            s2 = _mm256_add_ps(s2, _mm256_mul_ps(_mm256_set1_ps(k->gxx[i + n]), f));
        }
        _mm256_storeu_ps(h0 + x, s0);
        _mm256_storeu_ps(h1 + x, s1);
        _mm256_storeu_ps(h2 + x, s2);
        if (x + 8 >= w)
            break;
    }
}

AVX2 static void poly_col_avx2(const float *const *h0, const float *const *h1, const float *const *h2, int w,
                               const EmoFlowPoly *k, float *const *out)
{
    const int n = k->n;
    const __m256 ix = _mm256_set1_ps(k->ix), iy = _mm256_set1_ps(k->iy), ixy = _mm256_set1_ps(k->ixy);
    const __m256 i1 = _mm256_set1_ps(k->i_xx_1), ixx = _mm256_set1_ps(k->i_xx_xx), iyy = _mm256_set1_ps(k->i_xx_yy);
    for (int x = 0;; x += 8) {
        if (x > w - 8)
            x = w - 8;
        __m256 r1 = _mm256_setzero_ps(), rx = r1, ry = r1, rxx = r1, ryy = r1, rxy = r1;
        for (int j = 0; j <= 2 * n; j++) {
            __m256 a = _mm256_loadu_ps(h0[j] + x), b = _mm256_loadu_ps(h1[j] + x);
            __m256 g = _mm256_set1_ps(k->g[j]), gx = _mm256_set1_ps(k->gx[j]), gxx = _mm256_set1_ps(k->gxx[j]);
            r1 = _mm256_add_ps(r1, _mm256_mul_ps(g, a));
            ry = _mm256_add_ps(ry, _mm256_mul_ps(gx, a));
            ryy = _mm256_add_ps(ryy, _mm256_mul_ps(gxx, a));
            rx = _mm256_add_ps(rx, _mm256_mul_ps(g, b));
            rxy = _mm256_add_ps(rxy, _mm256_mul_ps(gx, b));
            rxx = _mm256_add_ps(rxx, _mm256_mul_ps(g, _mm256_loadu_ps(h2[j] + x)));
        }
        _mm256_storeu_ps(out[EMO__PX] + x, _mm256_mul_ps(ix, rx));
        _mm256_storeu_ps(out[EMO__PY] + x, _mm256_mul_ps(iy, ry));
        __m256 c1 = _mm256_mul_ps(i1, r1);
        _mm256_storeu_ps(out[EMO__PXX] + x,
                         _mm256_add_ps(_mm256_add_ps(c1, _mm256_mul_ps(ixx, rxx)), _mm256_mul_ps(iyy, ryy)));
        _mm256_storeu_ps(out[EMO__PYY] + x,
                         _mm256_add_ps(_mm256_add_ps(c1, _mm256_mul_ps(iyy, rxx)), _mm256_mul_ps(ixx, ryy)));
        _mm256_storeu_ps(out[EMO__PXY] + x, _mm256_mul_ps(ixy, rxy));
        if (x + 8 >= w)
            break;
    }
}

AVX2 static void update_row_avx2(const float *const *r0, const float *const *r1, const float *u, const float *v,
                                 int w, int h, int y, float *const *out)
{
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f),
                 quarter = _mm256_set1_ps(0.25f);
    const __m256 xmax = _mm256_set1_ps((float)(w - 1)), ymax = _mm256_set1_ps((float)(h - 1));
    const __m256 yf = _mm256_set1_ps((float)y);
    const __m256i wm1 = _mm256_set1_epi32(w - 1), hm1 = _mm256_set1_epi32(h - 1), wv = _mm256_set1_epi32(w);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), onei = _mm256_set1_epi32(1);
    for (int x = 0;; x += 8) {
        if (x > w - 8)
            x = w - 8;
        __m256 dx = _mm256_loadu_ps(u + x), dy = _mm256_loadu_ps(v + x);
        __m256 xf = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(x), lane));
        __m256 fx = _mm256_add_ps(xf, dx), fy = _mm256_add_ps(yf, dy);
        __m256 ok = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(fx, zero, _CMP_GE_OQ), _mm256_cmp_ps(fy, zero, _CMP_GE_OQ)),
                                  _mm256_and_ps(_mm256_cmp_ps(fx, xmax, _CMP_LE_OQ), _mm256_cmp_ps(fy, ymax, _CMP_LE_OQ)));
        /* Clamp (NaN -> 0) so that lanes masked off still gather in bounds. */
        fx = _mm256_min_ps(_mm256_max_ps(fx, zero), xmax);
        fy = _mm256_min_ps(_mm256_max_ps(fy, zero), ymax);
        __m256i x0 = _mm256_cvttps_epi32(fx), y0 = _mm256_cvttps_epi32(fy);
        __m256 ax = _mm256_sub_ps(fx, _mm256_cvtepi32_ps(x0)), ay = _mm256_sub_ps(fy, _mm256_cvtepi32_ps(y0));
        __m256i x1 = _mm256_min_epi32(_mm256_add_epi32(x0, onei), wm1);
        __m256i y1 = _mm256_min_epi32(_mm256_add_epi32(y0, onei), hm1);
        __m256 bx = _mm256_sub_ps(one, ax), by = _mm256_sub_ps(one, ay);
        __m256 w00 = _mm256_mul_ps(bx, by), w01 = _mm256_mul_ps(ax, by);
        __m256 w10 = _mm256_mul_ps(bx, ay), w11 = _mm256_mul_ps(ax, ay);
        __m256i row0 = _mm256_mullo_epi32(y0, wv), row1 = _mm256_mullo_epi32(y1, wv);
        __m256i i00 = _mm256_add_epi32(row0, x0), i01 = _mm256_add_epi32(row0, x1);
        __m256i i10 = _mm256_add_epi32(row1, x0), i11 = _mm256_add_epi32(row1, x1);
        __m256 s[EMO__NPOLY];
        for (int c = 0; c < EMO__NPOLY; c++) {
            const float *p = r1[c];
            __m256 acc = _mm256_mul_ps(w00, _mm256_i32gather_ps(p, i00, 4));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(w01, _mm256_i32gather_ps(p, i01, 4)));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(w10, _mm256_i32gather_ps(p, i10, 4)));
            s[c] = _mm256_add_ps(acc, _mm256_mul_ps(w11, _mm256_i32gather_ps(p, i11, 4)));
        }
        __m256 a11 = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(r0[EMO__PXX] + x), s[EMO__PXX]), half);
        __m256 a22 = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(r0[EMO__PYY] + x), s[EMO__PYY]), half);
        __m256 a12 = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(r0[EMO__PXY] + x), s[EMO__PXY]), quarter);
        __m256 db1 = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(r0[EMO__PX] + x), s[EMO__PX]), half),
                                   _mm256_add_ps(_mm256_mul_ps(a11, dx), _mm256_mul_ps(a12, dy)));
        __m256 db2 = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(r0[EMO__PY] + x), s[EMO__PY]), half),
                                   _mm256_add_ps(_mm256_mul_ps(a12, dx), _mm256_mul_ps(a22, dy)));
        __m256 a12s = _mm256_mul_ps(a12, a12);
        _mm256_storeu_ps(out[EMO__G11] + x, _mm256_and_ps(ok, _mm256_add_ps(_mm256_mul_ps(a11, a11), a12s)));
        _mm256_storeu_ps(out[EMO__G12] + x, _mm256_and_ps(ok, _mm256_mul_ps(a12, _mm256_add_ps(a11, a22))));
        _mm256_storeu_ps(out[EMO__G22] + x, _mm256_and_ps(ok, _mm256_add_ps(a12s, _mm256_mul_ps(a22, a22))));
        _mm256_storeu_ps(out[EMO__H1] + x,
                         _mm256_and_ps(ok, _mm256_add_ps(_mm256_mul_ps(a11, db1), _mm256_mul_ps(a12, db2))));
        _mm256_storeu_ps(out[EMO__H2] + x,
                         _mm256_and_ps(ok, _mm256_add_ps(_mm256_mul_ps(a12, db1), _mm256_mul_ps(a22, db2))));
        if (x + 8 >= w)
            break;
    }
}

AVX2 static void box_col_avx2(const float *src, float *dst, int w, int h, int r)
{
    for (int x = 0;; x += 8) {
        if (x > w - 8)
            x = w - 8;
        __m256 acc = _mm256_setzero_ps();
        for (int j = 0; j <= r && j < h; j++)
            acc = _mm256_add_ps(acc, _mm256_loadu_ps(src + (size_t)j * (size_t)w + (size_t)x));
        for (int y = 0; y < h; y++) {
            _mm256_storeu_ps(dst + (size_t)y * (size_t)w + (size_t)x, acc);
            if (y + r + 1 < h)
                acc = _mm256_add_ps(acc, _mm256_loadu_ps(src + (size_t)(y + r + 1) * (size_t)w + (size_t)x));
            if (y - r >= 0)
                acc = _mm256_sub_ps(acc, _mm256_loadu_ps(src + (size_t)(y - r) * (size_t)w + (size_t)x));
        }
        if (x + 8 >= w)
            break;
    }
}

AVX2 static void solve_avx2(const float *const *m, float *u, float *v, int n, float lambda)
{
    const __m256 lam = _mm256_set1_ps(lambda), one = _mm256_set1_ps(1.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g11 = _mm256_add_ps(_mm256_loadu_ps(m[EMO__G11] + i), lam);
        __m256 g22 = _mm256_add_ps(_mm256_loadu_ps(m[EMO__G22] + i), lam);
        __m256 g12 = _mm256_loadu_ps(m[EMO__G12] + i);
        __m256 pu = _mm256_loadu_ps(u + i), pv = _mm256_loadu_ps(v + i);
        __m256 r1 = _mm256_add_ps(_mm256_loadu_ps(m[EMO__H1] + i), _mm256_mul_ps(lam, pu));
        __m256 r2 = _mm256_add_ps(_mm256_loadu_ps(m[EMO__H2] + i), _mm256_mul_ps(lam, pv));
        __m256 det = _mm256_sub_ps(_mm256_mul_ps(g11, g22), _mm256_mul_ps(g12, g12));
        __m256 idet = _mm256_div_ps(one, det);
        _mm256_storeu_ps(u + i, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(g22, r1), _mm256_mul_ps(g12, r2)), idet));
        _mm256_storeu_ps(v + i, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(g11, r2), _mm256_mul_ps(g12, r1)), idet));
    }
    emo__flow_solve_from(m, u, v, i, n, lambda); /* the pixels left over, as the reference does them */
}

void emo__flow_dsp_init_avx2(EmoFlowDsp *dsp)
{
    dsp->name = "avx2";
    dsp->poly_row = poly_row_avx2;
    dsp->poly_col = poly_col_avx2;
    dsp->update_row = update_row_avx2;
    dsp->box_col = box_col_avx2;
    dsp->solve = solve_avx2;
}

#endif
