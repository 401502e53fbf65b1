/* For tests that draw text with Cairo: Fontconfig keeps its configuration
 * for the life of the process, which LeakSanitizer would report. Include
 * once, from the test's own source (the suppressions are looked up by
 * name at start-up); reset Cairo's caches at exit with
 * cairo_debug_reset_static_data(). */
#ifndef EMOSCOPE_TEST_LSAN_FONTCONFIG_H
#define EMOSCOPE_TEST_LSAN_FONTCONFIG_H

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig\n";
}

#endif
