/* A WAV cue file whose data chunk declares 4 GiB but holds 600 bytes (found
 * by fuzz/fuzz_audio_wav: SDL_LoadWAV allocated the declared size) loads as
 * the 600 bytes it holds, within a 1 GiB address-space limit. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "viewer.h"

#if defined(__SANITIZE_ADDRESS__)
#define EMO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMO_ASAN 1
#endif
#endif

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };

static void put32(unsigned char *p, unsigned v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* 8-bit stereo PCM at 8 kHz: 600 bytes = 300 frames = 37.5 ms. */
static void write_hostile_wav(const char *path)
{
    unsigned char h[44] = "RIFF....WAVEfmt ";
    put32(h + 4, 0xFF000000u);
    put32(h + 16, 16);
    h[20] = 1;          /* PCM */
    h[22] = 2;          /* channels */
    put32(h + 24, 8000);
    put32(h + 28, 16000);
    h[32] = 2;          /* block align */
    h[34] = 8;          /* bits */
    memcpy(h + 36, "data", 4);
    put32(h + 40, 0xFF000640u);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(h, 1, 44, f), 44);
    for (int i = 0; i < 600; i++)
        fputc(128 + (i % 20) - 10, f);
    fclose(f);
}

static void test_hostile_length(void **state)
{
    (void)state;
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    const char *dir = emo_test_tmpdir("robust-wav");
    char path[4200];
    snprintf(path, sizeof(path), "%s/hostile.wav", dir);
    write_hostile_wav(path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
#ifndef EMO_ASAN
        struct rlimit lim = { 1u << 30, 1u << 30 };
        setrlimit(RLIMIT_AS, &lim);
#endif
        EmoAudioCueSettings s;
        emo_audio_default_settings(&s);
        s.logger = &quiet;
        s.sound[0] = path;
        EmoAudio *a = NULL;
        if (emo_audio_open(&a, &s) != 0)
            _exit(2);
        if (!emo_audio_has_device(a))
            _exit(3);
        int builtin = 1;
        double secs = emo_audio_cue_seconds(a, 0, &builtin);
        fprintf(stderr, "cue 0: %.4f s, builtin %d\n", secs, builtin);
        emo_audio_close(&a);
        _exit(!builtin && secs > 0.03 && secs < 0.045 ? 0 : 4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
