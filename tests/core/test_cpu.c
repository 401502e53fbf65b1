/* CPU feature flags: detected once, masked by emo__cpu_set_mask() and,
 * before the first call, by the environment's EMO_CPU_MASK. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"

static void test_mask(void **state)
{
    (void)state;
    /* The environment's mask is read at the first call only. */
    setenv("EMO_CPU_MASK", "0", 1);
    assert_int_equal(emo__cpu_flags(), 0);
    unsetenv("EMO_CPU_MASK");
    assert_int_equal(emo__cpu_flags(), 0);
    emo__cpu_set_mask(EMO__CPU_ALL);
    unsigned all = emo__cpu_flags();
#if defined(__x86_64__)
    assert_true(all & EMO__CPU_SSE2); /* part of x86-64 */
#endif
    assert_int_equal(all & ~(unsigned)EMO__CPU_ALL, 0);
    emo__cpu_set_mask(EMO__CPU_SSE2);
    assert_int_equal(emo__cpu_flags(), all & EMO__CPU_SSE2);
    emo__cpu_set_mask(~0u);
    assert_int_equal(emo__cpu_flags(), all);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(emo__cpu_flag_name(0), "c");
    assert_string_equal(emo__cpu_flag_name(EMO__CPU_SSE2), "sse2");
    assert_string_equal(emo__cpu_flag_name(EMO__CPU_AVX2), "avx2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
