#include "video/gray.h"

void emo__gray_stretch_c(uint8_t *out, const uint8_t *in, int n)
{
    for (int i = 0; i < n; i++) {
        int x = in[i] < 16 ? 0 : in[i] > 235 ? 219 : in[i] - 16;
        out[i] = (uint8_t)((x * 19077 + 8136) >> 14);
    }
}

void emo__gray_stretch(uint8_t *out, const uint8_t *in, int n)
{
#if defined(__SSE2__)
    emo__gray_stretch_sse2(out, in, n);
#else
    emo__gray_stretch_c(out, in, n);
#endif
}
