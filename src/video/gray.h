/* Video-range luma to full-range gray: the GRAY8 output path. */
#ifndef EMOSCOPE_VIDEO_GRAY_H
#define EMOSCOPE_VIDEO_GRAY_H

#include <stdint.h>

#include "core/cpu.h"

/*
 * out[i] = round((clamp(in[i], 16, 235) - 16) * 255 / 219), as swscale
 * stretches video-range Y to full-range gray: (x * 19077 + 8136) >> 14 is
 * exact for every x in 0..219 (checked exhaustively by the tests).
 */
void emo__gray_stretch_c(uint8_t *out, const uint8_t *in, int n);

typedef struct EmoGrayDsp {
    void (*stretch)(uint8_t *out, const uint8_t *in, int n);
} EmoGrayDsp;

/* The C kernel, then the SSE2 one where flags has EMO__CPU_SSE2 (core/cpu.h). */
void emo__gray_dsp_init(EmoGrayDsp *d, unsigned flags);
#if EMO_ARCH_X86
void emo__gray_dsp_init_sse2(EmoGrayDsp *d);
#endif

#endif
