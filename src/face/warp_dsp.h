/* Row kernels of the bilinear warps: the plain-C ones (warp.c) and their
 * SIMD versions (x86/warp_avx2.c), checked against the plain-C reference
 * warps by tests/face/test_warp_simd.c. */
#ifndef EMOSCOPE_FACE_WARP_DSP_H
#define EMOSCOPE_FACE_WARP_DSP_H

#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/frame.h>

#include "core/cpu.h"

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

/* The C row kernels (the reference's sampler on every whole block), then
 * the AVX2 ones over them where flags has EMO__CPU_AVX2 (core/cpu.h). */
void emo__warp_dsp_init(EmoWarpDsp *d, unsigned flags);
#if EMO_ARCH_X86
/* Fills d with the AVX2 kernels; called only where the CPU has AVX2. */
void emo__warp_dsp_init_avx2(EmoWarpDsp *d);
#endif

/* emo__warp_rgbf and emo__warp_u8 (face_priv.h) with the row kernels of d
 * instead of the process's table (which is made at the first warp from
 * emo__cpu_flags()): tests run every level through these. */
void emo__warp_rgbf_dsp(const EmoWarpDsp *d, const EmoFrame *frame, const float m[6], int w, int h, int ss,
                        int zero_border, float scale, float bias, float *dst);
void emo__warp_u8_dsp(const EmoWarpDsp *d, const EmoFrame *frame, const float m[6], int w, int h, int channels,
                      uint8_t *dst, int stride);

#endif
