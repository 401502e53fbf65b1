/* Sanitizer builds only: LeakSanitizer's built-in suppressions for the CLI.
 * fontconfig keeps the element arrays of the font patterns that cairo
 * caches as offsets from the pattern rather than pointers, so LSan (and
 * valgrind) report them as lost; with cairo_debug_reset_static_data() and
 * FcFini() at exit nothing is lost, so it is a cache, not a leak (see
 * docs/robustness.md). Only allocations made inside libfontconfig are
 * suppressed. */
#if defined(__SANITIZE_ADDRESS__)
#define EMO_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMO_LSAN 1
#endif
#endif

#ifdef EMO_LSAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
#else
typedef int emo_lsan_suppressions_unused; /* ISO C wants something in a file */
#endif
