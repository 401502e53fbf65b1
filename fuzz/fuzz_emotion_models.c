/* libFuzzer target: [model.NAME] sections of the settings file as the
 * emotion registry reads them (sizes, labels, scale, weights). */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drop(void *ud, EmoLogLevel level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/emo-fuzz-models-XXXXXX";
    if (emo_fuzz_write_temp(path, data, size))
        return 0;
    const EmoLogger quiet = { drop, NULL, EMO_LOG_DEBUG };
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    if (emo_config_load(&cfg, path, &quiet) == 0) {
        for (int i = 0; i < emo_config_extra_count(&cfg); i++) {
            const char *name = emo_config_extra_name(&cfg, i);
            EmoEmotionModelSpec s;
            if (strlen(name) > 6 && emo_emotion_model_spec(&cfg, name + 6, &s, &quiet) == 0) {
                if (s.n_labels < 1 || s.n_labels > EMO_EMOTION_MAX_LABELS || s.width < 1 || s.height < 1)
                    abort();
            }
        }
        EmoEmotionModelSpec specs[EMO_EMOTION_MAX_MODELS];
        int n;
        emo_emotion_models_resolve(&cfg, NULL, "/nonexistent", specs, EMO_EMOTION_MAX_MODELS, &n, &quiet);
    }
    emo_config_clear(&cfg);
    unlink(path);
    return 0;
}
