#include "video/gray.h"

void emo__gray_stretch_c(uint8_t *out, const uint8_t *in, int n)
{
    for (int i = 0; i < n; i++) {
        int x = in[i] < 16 ? 0 : in[i] > 235 ? 219 : in[i] - 16;
        out[i] = (uint8_t)((x * 19077 + 8136) >> 14);
    }
}

void emo__gray_dsp_init(EmoGrayDsp *d, unsigned flags)
{
    d->stretch = emo__gray_stretch_c;
#if EMO_ARCH_X86
    if (flags & EMO__CPU_SSE2)
        emo__gray_dsp_init_sse2(d);
#endif
}
