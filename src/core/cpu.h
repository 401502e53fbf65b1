/* Private: the CPU features the kernels may use, detected once per process,
 * and the one dispatch pattern of every kernel family (as dav1d's):
 *
 *     void emo__thing_dsp_init(EmoThingDsp *d, unsigned flags)
 *     {
 *         ... the plain-C reference into every entry ...
 *     #if EMO_ARCH_X86
 *         if (flags & EMO__CPU_SSE2) ... SSE2 entries over them ...
 *         if (flags & EMO__CPU_AVX2) ... AVX2 entries over those ...
 *     #endif
 *     }
 *
 * called with emo__cpu_flags() once, when the handle that holds the table
 * is opened or (for tables without a handle) at the first use in the
 * process; never per call. Tests pass masked flags to run every level. */
#ifndef EMOSCOPE_CORE_CPU_H
#define EMOSCOPE_CORE_CPU_H

#if defined(__x86_64__) || defined(__i386__)
#define EMO_ARCH_X86 1
#else
#define EMO_ARCH_X86 0
#endif

/* Each flag is a table level; a level's kernels need only its own flag. */
enum {
    EMO__CPU_SSE2 = 1u << 0,
    EMO__CPU_AVX2 = 1u << 1,
    EMO__CPU_ALL = EMO__CPU_SSE2 | EMO__CPU_AVX2,
};

/* The features of this CPU (and OS) that this build can use, ANDed with
 * the mask. Detected at the first call; thread-safe. The environment
 * variable EMO_CPU_MASK (a number, e.g. 0 for the C references only), read
 * at that first call, is the initial mask. */
unsigned emo__cpu_flags(void);

/* Sets the mask ANDed into emo__cpu_flags() (EMO__CPU_ALL: everything the
 * CPU has). Only tables initialised afterwards follow it: handles opened
 * later, not the per-process tables already made. For tests and benchmarks. */
void emo__cpu_set_mask(unsigned mask);

/* The lowercase name of one flag ("sse2", "avx2"); "c" for 0. */
const char *emo__cpu_flag_name(unsigned flag);

#endif
