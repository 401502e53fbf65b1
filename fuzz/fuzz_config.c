/* libFuzzer target: the INI settings parser. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/emo-fuzz-ini-XXXXXX";
    if (emo_fuzz_write_temp(path, data, size))
        return 0;
    static const EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    emo_config_load(&cfg, path, &quiet);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        emo_config_dump(&cfg, null);
        fclose(null);
    }
    emo_config_clear(&cfg);
    unlink(path);
    return 0;
}
