/* SSE2 version of emo__gray_stretch_c. */
#include "video/gray.h"

#if EMO_ARCH_X86
#include <emmintrin.h>

#define SSE2 __attribute__((target("sse2")))

/* x (0..219, u16 lanes) -> (x * 19077 + 8136) >> 14, via one multiply-add per pair (x, 1) . (K, R). */
SSE2 static inline __m128i stretch8(__m128i x16, __m128i one, __m128i kr)
{
    __m128i a = _mm_madd_epi16(_mm_unpacklo_epi16(x16, one), kr);
    __m128i b = _mm_madd_epi16(_mm_unpackhi_epi16(x16, one), kr);
    return _mm_packs_epi32(_mm_srli_epi32(a, 14), _mm_srli_epi32(b, 14));
}

SSE2 static void stretch_sse2(uint8_t *out, const uint8_t *in, int n)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i one = _mm_set1_epi16(1);
    const __m128i kr = _mm_set1_epi32((8136 << 16) | 19077); /* lanes (K, R) as int16 pairs */
    const __m128i lo = _mm_set1_epi8(16), span = _mm_set1_epi8((char)219);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
        v = _mm_min_epu8(_mm_subs_epu8(v, lo), span);
        __m128i a = stretch8(_mm_unpacklo_epi8(v, zero), one, kr);
        __m128i b = stretch8(_mm_unpackhi_epi8(v, zero), one, kr);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packus_epi16(a, b));
    }
    emo__gray_stretch_c(out + i, in + i, n - i);
}

void emo__gray_dsp_init_sse2(EmoGrayDsp *d)
{
    d->stretch = stretch_sse2;
}
#endif
