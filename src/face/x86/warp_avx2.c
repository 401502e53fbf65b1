/* AVX2 kernels of the bilinear warps (src/face/warp.c): eight output pixels
 * at a time, four taps gathered per pixel from a BGRA frame. The same
 * operations in the same order as the C reference (integer differences of
 * the taps, mul then add, no FMA contraction), so the results are
 * identical to it bit for bit. Blocks whose eight sample points all lie in
 * the reference's interior take its interior formula; other blocks take
 * both formulas, the edge one as the reference's border path computes it
 * (taps clamped to the edge or black, weights summed tap by tap), and keep
 * each lane's own. */
#include "face/warp_dsp.h"

#if EMO_ARCH_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

/* Taps of 8 sample points: channel values of the 4 neighbours and the
 * fractional parts; 0 when some point is outside the interior. */
typedef struct Taps {
    __m256i p00, p01, p10, p11;
    __m256 ax, ay;
} Taps;

/* The interior taps of 8 points; returns the mask of the points that are in
 * the interior (0 <= x < fw - 1, 0 <= y < fh - 1). Points outside it are
 * moved to (0, 0) first, so every gather stays in the frame (their values
 * are not used). */
AVX2 static inline int gather_taps(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy,
                                   Taps *t, __m256 *inside)
{
    __m256 x = _mm256_loadu_ps(sx), y = _mm256_loadu_ps(sy);
    const __m256 zero = _mm256_setzero_ps();
    __m256 in = _mm256_and_ps(_mm256_cmp_ps(x, zero, _CMP_GE_OQ), _mm256_cmp_ps(y, zero, _CMP_GE_OQ));
    in = _mm256_and_ps(in, _mm256_cmp_ps(x, _mm256_set1_ps((float)(fw - 1)), _CMP_LT_OQ));
    in = _mm256_and_ps(in, _mm256_cmp_ps(y, _mm256_set1_ps((float)(fh - 1)), _CMP_LT_OQ));
    *inside = in;
    int mask = _mm256_movemask_ps(in);
    if (mask != 0xff) {
        x = _mm256_and_ps(x, in);
        y = _mm256_and_ps(y, in);
    }
    __m256i xi = _mm256_cvttps_epi32(x), yi = _mm256_cvttps_epi32(y); /* non-negative: truncation is floor */
    t->ax = _mm256_sub_ps(x, _mm256_cvtepi32_ps(xi));
    t->ay = _mm256_sub_ps(y, _mm256_cvtepi32_ps(yi));
    __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(yi, _mm256_set1_epi32(stride)), _mm256_slli_epi32(xi, 2));
    const int *b0 = (const int *)(const void *)data, *b1 = (const int *)(const void *)(data + stride);
    t->p00 = _mm256_i32gather_epi32(b0, off, 1);
    t->p01 = _mm256_i32gather_epi32(b0 + 1, off, 1);
    t->p10 = _mm256_i32gather_epi32(b1, off, 1);
    t->p11 = _mm256_i32gather_epi32(b1 + 1, off, 1);
    return mask;
}

/* The reference's border path for 8 points (sample_fmt past its interior
 * test): far points (outside (-2, w + 1) x (-2, h + 1)) are black with
 * zero_border or when not finite, else clamped onto the frame; then floor,
 * weights, and the 4 taps summed in order, each clamped to the edge (or
 * black with zero_border). rgb[0..2] = R, G, B. */
AVX2 static void border_block(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy,
                              int zero_border, __m256 rgb[3])
{
    __m256 x = _mm256_loadu_ps(sx), y = _mm256_loadu_ps(sy);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 wm1 = _mm256_set1_ps((float)(fw - 1)), hm1 = _mm256_set1_ps((float)(fh - 1));
    __m256 near = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-2.0f), _CMP_GT_OQ),
                                _mm256_cmp_ps(x, _mm256_set1_ps((float)fw + 1.0f), _CMP_LT_OQ));
    near = _mm256_and_ps(near, _mm256_and_ps(_mm256_cmp_ps(y, _mm256_set1_ps(-2.0f), _CMP_GT_OQ),
                                             _mm256_cmp_ps(y, _mm256_set1_ps((float)fh + 1.0f), _CMP_LT_OQ)));
    /* |v| < inf and not NaN */
    const __m256 inf = _mm256_set1_ps(__builtin_inff());
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 finite = _mm256_and_ps(_mm256_cmp_ps(_mm256_and_ps(x, absmask), inf, _CMP_LT_OQ),
                                  _mm256_cmp_ps(_mm256_and_ps(y, absmask), inf, _CMP_LT_OQ));
    /* Lanes that come out black: far and (zero_border or not finite). */
    __m256 black = _mm256_andnot_ps(near, zero_border ? _mm256_castsi256_ps(_mm256_set1_epi32(-1))
                                                      : _mm256_xor_ps(finite, _mm256_castsi256_ps(
                                                                                  _mm256_set1_epi32(-1))));
    /* Far lanes kept: clamped as fminf(fmaxf(v, 0), size - 1); black lanes: (0, 0), unused. */
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, zero), wm1), yc = _mm256_min_ps(_mm256_max_ps(y, zero), hm1);
    x = _mm256_blendv_ps(xc, x, near);
    y = _mm256_blendv_ps(yc, y, near);
    x = _mm256_andnot_ps(black, x);
    y = _mm256_andnot_ps(black, y);
    __m256 fx0 = _mm256_floor_ps(x), fy0 = _mm256_floor_ps(y);
    __m256 ax = _mm256_sub_ps(x, fx0), ay = _mm256_sub_ps(y, fy0);
    __m256i x0 = _mm256_cvttps_epi32(fx0), y0 = _mm256_cvttps_epi32(fy0);
    const __m256i izero = _mm256_setzero_si256();
    const __m256i iw1 = _mm256_set1_epi32(fw - 1), ih1 = _mm256_set1_epi32(fh - 1), mask = _mm256_set1_epi32(0xff);
    rgb[0] = rgb[1] = rgb[2] = zero;
    for (int t = 0; t < 4; t++) {
        __m256i xt = _mm256_add_epi32(x0, _mm256_set1_epi32(t & 1)), yt = _mm256_add_epi32(y0, _mm256_set1_epi32(t >> 1));
        __m256 wt = _mm256_mul_ps((t & 1) ? ax : _mm256_sub_ps(one, ax), (t >> 1) ? ay : _mm256_sub_ps(one, ay));
        /* outside: x < 0 || y < 0 || x >= w || y >= h */
        __m256i out = _mm256_or_si256(_mm256_or_si256(_mm256_cmpgt_epi32(izero, xt), _mm256_cmpgt_epi32(izero, yt)),
                                      _mm256_or_si256(_mm256_cmpgt_epi32(xt, iw1), _mm256_cmpgt_epi32(yt, ih1)));
        xt = _mm256_min_epi32(_mm256_max_epi32(xt, izero), iw1);
        yt = _mm256_min_epi32(_mm256_max_epi32(yt, izero), ih1);
        __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(yt, _mm256_set1_epi32(stride)), _mm256_slli_epi32(xt, 2));
        __m256i p = _mm256_i32gather_epi32((const int *)(const void *)data, off, 1);
        /* Taps the reference skips: black (zero_border); and black lanes. */
        __m256i skip = _mm256_or_si256(zero_border ? out : izero, _mm256_castps_si256(black));
        p = _mm256_andnot_si256(skip, p);
        for (int c = 0; c < 3; c++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(p, 16 - 8 * c), mask));
            rgb[c] = _mm256_add_ps(rgb[c], _mm256_mul_ps(wt, v));
        }
    }
}

/* A large frame that is not in the cache makes every gather wait on memory:
 * ask for the two rows of the points `AHEAD` samples on (clamped into the
 * frame; prefetches never fault, but the addresses stay in the frame). */
#define AHEAD 16
AVX2 static inline void prefetch_block(const uint8_t *data, int stride, int fw, int fh, const float *sx,
                                       const float *sy)
{
    __m256 x = _mm256_max_ps(_mm256_loadu_ps(sx), _mm256_setzero_ps()); /* NaN -> 0 */
    __m256 y = _mm256_max_ps(_mm256_loadu_ps(sy), _mm256_setzero_ps());
    x = _mm256_min_ps(x, _mm256_set1_ps((float)(fw - 1)));
    y = _mm256_min_ps(y, _mm256_set1_ps((float)(fh - 2)));
    __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_cvttps_epi32(y), _mm256_set1_epi32(stride)),
                                   _mm256_slli_epi32(_mm256_cvttps_epi32(x), 2));
    int o[8];
    _mm256_storeu_si256((__m256i *)(void *)o, off);
    for (int k = 0; k < 8; k++) {
        _mm_prefetch((const char *)data + o[k], _MM_HINT_T0);
        _mm_prefetch((const char *)data + o[k] + stride, _MM_HINT_T0);
    }
}

/* Bilinear value of byte `shift` / 8 of the BGRA taps, as the reference:
 * t0 = a + ax * (b - a) with b - a an exact integer, then t0 + ay * (t1 - t0). */
AVX2 static inline __m256 lerp_channel(const Taps *t, int shift)
{
    const __m256i mask = _mm256_set1_epi32(0xff);
    __m256 a = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(t->p00, shift), mask));
    __m256 b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(t->p01, shift), mask));
    __m256 c = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(t->p10, shift), mask));
    __m256 d = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(t->p11, shift), mask));
    __m256 t0 = _mm256_add_ps(a, _mm256_mul_ps(t->ax, _mm256_sub_ps(b, a)));
    __m256 t1 = _mm256_add_ps(c, _mm256_mul_ps(t->ax, _mm256_sub_ps(d, c)));
    return _mm256_add_ps(t0, _mm256_mul_ps(t->ay, _mm256_sub_ps(t1, t0)));
}

/* The bilinear R, G, B of the 8 points b .. b + 7 of a chunk of n (the
 * points AHEAD on prefetched), edge lanes as the reference's border rule. */
AVX2 static inline void sample_block(const uint8_t *data, int stride, int fw, int fh, const float *sx,
                                     const float *sy, int n, int b, int zero_border, __m256 *r, __m256 *g,
                                     __m256 *bl)
{
    Taps t;
    if (b + AHEAD + 8 <= n && fh > 1)
        prefetch_block(data, stride, fw, fh, sx + b + AHEAD, sy + b + AHEAD);
    __m256 in;
    int all_in = gather_taps(data, stride, fw, fh, sx + b, sy + b, &t, &in) == 0xff;
    *r = lerp_channel(&t, 16);
    *g = lerp_channel(&t, 8);
    *bl = lerp_channel(&t, 0);
    if (!all_in) {
        __m256 e[3];
        border_block(data, stride, fw, fh, sx + b, sy + b, zero_border, e);
        *r = _mm256_blendv_ps(e[0], *r, in);
        *g = _mm256_blendv_ps(e[1], *g, in);
        *bl = _mm256_blendv_ps(e[2], *bl, in);
    }
}

AVX2 static void rgbf_row_bgra_avx2(const uint8_t *data, int stride, int fw, int fh, const float *sx,
                                    const float *sy, int n, int zero_border, float scale, float bias, float *dst,
                                    uint8_t *todo)
{
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(bias);
    const __m256i p0 = _mm256_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2), p1 = _mm256_setr_epi32(2, 3, 3, 3, 4, 4, 4, 5),
                  p2 = _mm256_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7);
    for (int b = 0; b + 8 <= n; b += 8) {
        __m256 r, g, bl;
        sample_block(data, stride, fw, fh, sx, sy, n, b, zero_border, &r, &g, &bl);
        todo[b / 8] = 0;
        r = _mm256_add_ps(_mm256_mul_ps(r, vs), vb);
        g = _mm256_add_ps(_mm256_mul_ps(g, vs), vb);
        bl = _mm256_add_ps(_mm256_mul_ps(bl, vs), vb);
        /* r0 g0 b0 r1 g1 b1 r2 g2 | b2 r3 g3 b3 r4 g4 b4 r5 | g5 b5 r6 g6 b6 r7 g7 b7 */
        __m256 r0 = _mm256_permutevar8x32_ps(r, p0), g0 = _mm256_permutevar8x32_ps(g, p0),
               b0 = _mm256_permutevar8x32_ps(bl, p0);
        __m256 r1 = _mm256_permutevar8x32_ps(r, p1), g1 = _mm256_permutevar8x32_ps(g, p1),
               b1 = _mm256_permutevar8x32_ps(bl, p1);
        __m256 r2 = _mm256_permutevar8x32_ps(r, p2), g2 = _mm256_permutevar8x32_ps(g, p2),
               b2 = _mm256_permutevar8x32_ps(bl, p2);
        float *o = dst + 3 * b;
        _mm256_storeu_ps(o, _mm256_blend_ps(_mm256_blend_ps(r0, g0, 0x92), b0, 0x24));
        _mm256_storeu_ps(o + 8, _mm256_blend_ps(_mm256_blend_ps(b1, r1, 0x92), g1, 0x24));
        _mm256_storeu_ps(o + 16, _mm256_blend_ps(_mm256_blend_ps(g2, b2, 0x92), r2, 0x24));
    }
}

AVX2 static void gray_row_bgra_avx2(const uint8_t *data, int stride, int fw, int fh, const float *sx,
                                    const float *sy, int n, uint8_t *dst, uint8_t *todo)
{
    const __m256 kr = _mm256_set1_ps(0.299f), kg = _mm256_set1_ps(0.587f), kb = _mm256_set1_ps(0.114f),
                 half = _mm256_set1_ps(0.5f);
    for (int b = 0; b + 8 <= n; b += 8) {
        __m256 r, g, bl;
        sample_block(data, stride, fw, fh, sx, sy, n, b, 1, &r, &g, &bl);
        todo[b / 8] = 0;
        __m256 v = _mm256_add_ps(_mm256_mul_ps(kr, r), _mm256_mul_ps(kg, g));
        v = _mm256_add_ps(_mm256_add_ps(v, _mm256_mul_ps(kb, bl)), half);
        __m256i q = _mm256_cvttps_epi32(v); /* 0 .. 255: truncation as the reference's cast */
        __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64((__m128i *)(void *)(dst + b), _mm_packus_epi16(w, w));
    }
}

void emo__warp_dsp_init_avx2(EmoWarpDsp *d)
{
    d->rgbf_row_bgra = rgbf_row_bgra_avx2;
    d->gray_row_bgra = gray_row_bgra_avx2;
}
#endif
