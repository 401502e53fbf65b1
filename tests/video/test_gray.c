/* The video-range to full-range gray kernel: exact against swscale's
 * rounding for every input value, and every level of its table (chosen by
 * masking the CPU flags) against the C one. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "video/gray.h"

static void test_reference_exact(void **state)
{
    (void)state;
    uint8_t in[256], out[256];
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    emo__gray_stretch_c(out, in, 256);
    for (int i = 0; i < 256; i++) {
        int x = i < 16 ? 0 : i > 235 ? 219 : i - 16;
        int want = (int)floor(x * 255.0 / 219.0 + 0.5); /* never a tie: 219 does not divide 2 * 255 * x unless exact */
        assert_int_equal(out[i], want);
    }
    assert_int_equal(out[16], 0);
    assert_int_equal(out[235], 255);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[255], 255);
}

static void check_matches_c(const EmoGrayDsp *d, const uint8_t *in, uint8_t *a, uint8_t *b, int N)
{
    /* Every length up to 40 (tails) and odd offsets (unaligned), then a long row. */
    for (int off = 0; off < 3; off++)
        for (int n = 0; n <= 40; n++) {
            memset(a, 0xAB, (size_t)N + 1);
            memset(b, 0xAB, (size_t)N + 1);
            emo__gray_stretch_c(a, in + off, n);
            d->stretch(b, in + off, n);
            assert_memory_equal(a, b, (size_t)N + 1);
        }
    emo__gray_stretch_c(a, in + 1, N);
    d->stretch(b, in + 1, N);
    assert_memory_equal(a, b, (size_t)N);
}

static void test_simd_matches_c(void **state)
{
    (void)state;
    enum { N = 4099 };
    uint8_t *in = malloc(N + 1), *a = malloc(N + 1), *b = malloc(N + 1);
    uint32_t x = 7;
    for (int i = 0; i < N + 1; i++) {
        x = x * 1664525u + 1013904223u;
        in[i] = (uint8_t)(x >> 24);
    }
    static const unsigned levels[] = { 0, EMO__CPU_SSE2 };
    int ran = 0;
    for (int k = 0; k < 2; k++) {
        if ((emo__cpu_flags() & levels[k]) != levels[k]) {
            print_message("%s not available on this CPU: not compared\n", emo__cpu_flag_name(levels[k]));
            continue;
        }
        EmoGrayDsp d;
        emo__gray_dsp_init(&d, levels[k]);
        assert_true(k == 0 ? d.stretch == emo__gray_stretch_c : d.stretch != emo__gray_stretch_c);
        check_matches_c(&d, in, a, b, N);
        ran++;
    }
#if defined(__x86_64__)
    assert_int_equal(ran, 2); /* every x86-64 CPU has SSE2 */
#endif
    free(in);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_exact),
        cmocka_unit_test(test_simd_matches_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
