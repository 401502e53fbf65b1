/* CPU feature detection, once per process: the only mutable global state
 * of the library besides what the user's handles hold (STYLE.md). */
#define _POSIX_C_SOURCE 200809L
#include "core/cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static unsigned detected;
static atomic_uint mask = EMO__CPU_ALL;

static void detect(void)
{
    unsigned f = 0;
#if EMO_ARCH_X86
    /* libgcc's CPUID reading, which also checks that the OS saves the
     * AVX registers; explicit in case this runs before its constructor. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse2"))
        f |= EMO__CPU_SSE2;
    if (__builtin_cpu_supports("avx2"))
        f |= EMO__CPU_AVX2;
#endif
    detected = f;
    const char *env = getenv("EMO_CPU_MASK");
    if (env && *env) {
        char *end;
        unsigned long m = strtoul(env, &end, 0);
        if (!*end)
            atomic_store(&mask, (unsigned)m & EMO__CPU_ALL);
    }
}

unsigned emo__cpu_flags(void)
{
    pthread_once(&detect_once, detect);
    return detected & atomic_load(&mask);
}

void emo__cpu_set_mask(unsigned m)
{
    /* Detect first, so that a later first call does not apply the
     * environment's mask over this one. */
    pthread_once(&detect_once, detect);
    atomic_store(&mask, m & EMO__CPU_ALL);
}

const char *emo__cpu_flag_name(unsigned flag)
{
    switch (flag) {
    case 0: return "c";
    case EMO__CPU_SSE2: return "sse2";
    case EMO__CPU_AVX2: return "avx2";
    default: return "?";
    }
}
