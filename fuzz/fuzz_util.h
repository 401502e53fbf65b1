/* Shared by the libFuzzer targets: a logger that drops messages (the
 * targets' inputs are garbage by design) and a temporary-file writer for the
 * parsers that read a file. */
#ifndef EMOSCOPE_FUZZ_UTIL_H
#define EMOSCOPE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <emoscope/core.h>

static inline void emo_fuzz_discard(void *ud, EmoLogLevel level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

/* Errors only, and those dropped in the callback (a level below ERROR
 * cannot silence: EmoLogLevel is unsigned). */
static const EmoLogger emo_fuzz_quiet = { emo_fuzz_discard, NULL, EMO_LOG_ERROR };

/* Writes the input into a new temporary file made from the mkstemp
 * template path (rewritten in place). 0 on success; on failure nothing is
 * left behind and the input is skipped. The caller unlinks path. */
static inline int emo_fuzz_write_temp(char *path, const uint8_t *data, size_t size)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

#endif
