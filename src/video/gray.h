/* Video-range luma to full-range gray: the GRAY8 output path. */
#ifndef EMOSCOPE_VIDEO_GRAY_H
#define EMOSCOPE_VIDEO_GRAY_H

#include <stdint.h>

/*
 * out[i] = round((clamp(in[i], 16, 235) - 16) * 255 / 219), as swscale
 * stretches video-range Y to full-range gray: (x * 19077 + 8136) >> 14 is
 * exact for every x in 0..219 (checked exhaustively by the tests).
 */
void emo__gray_stretch_c(uint8_t *out, const uint8_t *in, int n);
#if defined(__SSE2__)
void emo__gray_stretch_sse2(uint8_t *out, const uint8_t *in, int n);
#endif

/* The fastest of the above for this build. */
void emo__gray_stretch(uint8_t *out, const uint8_t *in, int n);

#endif
