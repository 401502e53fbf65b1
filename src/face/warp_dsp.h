/* Row kernels of the bilinear warps (warp.c) and their SIMD versions
 * (x86/warp_avx2.c), checked against the plain-C reference by
 * tests/face/test_warp_simd.c. */
#ifndef EMOSCOPE_FACE_WARP_DSP_H
#define EMOSCOPE_FACE_WARP_DSP_H

#include <stdint.h>

#include <emoscope/core.h>

/* One row of n sample points (sx[i], sy[i]: pixel-index coordinates) from a
 * BGRA frame (fw x fh, stride bytes per row, fh * stride < 2^31): for every
 * whole block of 8 points it writes the block's outputs and todo[block] = 0
 * (todo[block] = 1: a block it left to the caller); the last n % 8 points
 * are the caller's. Points outside the frame as the reference's border path
 * (rgbf: edge or black per zero_border; gray: black). rgbf: 3 floats per
 * point, value * scale + bias, R G B; gray: one byte per point,
 * 0.299 R + 0.587 G + 0.114 B rounded. */
typedef struct EmoWarpDsp {
    void (*rgbf_row_bgra)(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy, int n,
                          int zero_border, float scale, float bias, float *dst, uint8_t *todo);
    void (*gray_row_bgra)(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy, int n,
                          uint8_t *dst, uint8_t *todo);
} EmoWarpDsp;

/* Fills d with the AVX2 kernels; EMO_EUNSUPPORTED (d untouched) without AVX2. */
int emo__warp_dsp_init_avx2(EmoWarpDsp *d);

#endif
