/* libFuzzer target: a WAV file named as a sound cue (render.sound_*),
 * read by SDL_LoadWAV and checked and converted by the audio module.
 * SDL's dummy audio driver stands in for a sound card. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "viewer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/emo-fuzz-wav-XXXXXX";
    if (emo_fuzz_write_temp(path, data, size))
        return 0;
    EmoAudioCueSettings s;
    emo_audio_default_settings(&s);
    s.enabled = 1;
    s.sound[0] = path;
    s.logger = &emo_fuzz_quiet;
    EmoAudio *a = NULL;
    if (emo_audio_open(&a, &s) == 0) {
        int builtin = 1;
        double secs = emo_audio_cue_seconds(a, 0, &builtin);
        if (secs < 0 || secs > 60)
            abort();
        emo_audio_close(&a);
    }
    unlink(path);
    return 0;
}
