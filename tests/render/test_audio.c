/* Sound cues: the cue rule on a scripted probability stream (threshold and
 * cooldown), playback through SDL's disk driver (the samples reach the
 * "device"), WAV loading and conversion, and the no-device path. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "viewer.h"

#include "render_testutil.h"

enum { ANGRY, DISGUST, FEAR, HAPPY, SAD, SURPRISE, NEUTRAL };

/* The script: from tick (1/10 s) on, this dominant emotion at this probability. */
typedef struct Seg {
    int tick, dominant;
    double prob;
} Seg;

static const Seg script[] = {
    { 0, NEUTRAL, 0.70 },   /* fires: neutral, first cue */
    { 10, HAPPY, 0.55 },    /* below the threshold */
    { 20, HAPPY, 0.80 },    /* fires: happy */
    { 25, NEUTRAL, 0.65 },  /* neutral again 2.5 s after its cue: cooldown, dropped */
    { 35, HAPPY, 0.90 },    /* happy 1.5 s after its cue: dropped */
    { 40, NEUTRAL, 0.40 },  /* nothing above the threshold */
    { 55, HAPPY, 0.70 },    /* 3.5 s after the last happy cue: fires */
    { 60, HAPPY, 0.95 },    /* still happy: no new cue */
    { 80, SURPRISE, 0.61 }, /* fires: surprise */
    { 85, SURPRISE, 0.59 }, /* drops under the threshold */
    { 86, SURPRISE, 0.62 }, /* back over it 0.6 s later: cooldown, dropped */
    { 90, -1, 0.0 },        /* face lost */
    { 95, NEUTRAL, 0.90 },  /* 9.5 s after the neutral cue: fires */
    { 120, -1, 0.0 },
};

typedef struct Fired {
    double t;
    int e;
} Fired;

static const Fired expected[] = { { 0.0, NEUTRAL }, { 2.0, HAPPY }, { 5.5, HAPPY }, { 8.0, SURPRISE }, { 9.5, NEUTRAL } };
#define N_EXPECTED ((int)(sizeof(expected) / sizeof(expected[0])))

/* Runs the script through fn (the pure rule or the audio handle). */
static int run_script(int (*fn)(void *, double, int, double), void *h, Fired *out, int max)
{
    int n = 0, seg = 0, nseg = (int)(sizeof(script) / sizeof(script[0]));
    for (int tick = 0; tick < script[nseg - 1].tick; tick++) {
        while (seg + 1 < nseg && script[seg + 1].tick <= tick)
            seg++;
        double t = tick / 10.0;
        int e = fn(h, t, script[seg].dominant, script[seg].prob);
        if (e >= 0 && n < max)
            out[n++] = (Fired){ t, e };
    }
    return n;
}

static int rule_fn(void *h, double t, int d, double p)
{
    return emo_cue_decider_update(h, t, d, p);
}

static int audio_fn(void *h, double t, int d, double p)
{
    return emo_audio_update(h, t, d, p);
}

static void check_sequence(const Fired *got, int n)
{
    for (int i = 0; i < n; i++)
        print_message("cue %d: %.1f s %s\n", i, got[i].t,
                      got[i].e == NEUTRAL ? "neutral" : got[i].e == HAPPY ? "happy" : got[i].e == SURPRISE ? "surprise" : "?");
    assert_int_equal(n, N_EXPECTED);
    for (int i = 0; i < n; i++) {
        assert_int_equal(got[i].e, expected[i].e);
        assert_true(fabs(got[i].t - expected[i].t) < 1e-9);
    }
}

static void test_rule_sequence(void **state)
{
    (void)state;
    EmoCueDecider d;
    emo_cue_decider_init(&d, 0.6, 3.0);
    Fired got[32];
    int n = run_script(rule_fn, &d, got, 32);
    check_sequence(got, n);
    /* cooldown 0: every transition fires (the 2.5 s neutral, the 3.5 s happy, the 8.6 s surprise too) */
    emo_cue_decider_init(&d, 0.6, 0.0);
    assert_int_equal(run_script(rule_fn, &d, got, 32), 8);
    /* a threshold nothing reaches: silence */
    emo_cue_decider_init(&d, 0.96, 3.0);
    assert_int_equal(run_script(rule_fn, &d, got, 32), 0);
    /* time going backwards (a looping file) forgets the cooldowns */
    emo_cue_decider_init(&d, 0.6, 3.0);
    assert_int_equal(emo_cue_decider_update(&d, 10.0, HAPPY, 0.9), HAPPY);
    assert_int_equal(emo_cue_decider_update(&d, 10.5, -1, 0), -1);
    assert_int_equal(emo_cue_decider_update(&d, 0.0, HAPPY, 0.9), HAPPY);
    /* garbage in: no cue, no crash */
    assert_int_equal(emo_cue_decider_update(&d, NAN, HAPPY, 0.9), -1);
    assert_int_equal(emo_cue_decider_update(&d, 20.0, 99, 0.9), -1);
    assert_int_equal(emo_cue_decider_update(&d, 21.0, SAD, NAN), -1);
    assert_int_equal(emo_cue_decider_update(NULL, 21.0, SAD, 1), -1);
}

typedef struct Warnings {
    int warn, error;
} Warnings;

static void count_log(void *ud, EmoLogLevel level, const char *msg)
{
    Warnings *w = ud;
    if (level == EMO_LOG_WARN)
        w->warn++;
    if (level == EMO_LOG_ERROR)
        w->error++;
    print_message("log(%d): %s\n", (int)level, msg);
}

/* The same script through the player, on SDL's dummy driver. */
static void test_player_sequence_dummy(void **state)
{
    (void)state;
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    Warnings w = { 0, 0 };
    EmoLogger lg = { count_log, &w, EMO_LOG_INFO };
    EmoAudioCueSettings s;
    emo_audio_default_settings(&s);
    s.logger = &lg;
    s.threshold = 0.6;
    s.cooldown = 3.0;
    EmoAudio *a = NULL;
    assert_int_equal(emo_audio_open(&a, &s), 0);
    assert_true(emo_audio_has_device(a));
    assert_int_equal(emo_audio_sample_rate(a), 48000);
    /* a built-in cue per emotion, each short and all different in length or shape */
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++) {
        int builtin = 0;
        double sec = emo_audio_cue_seconds(a, e, &builtin);
        assert_true(builtin);
        assert_true(sec > 0.2 && sec < 0.6);
    }
    Fired got[32];
    int n = run_script(audio_fn, a, got, 32);
    check_sequence(got, n);
    assert_int_equal(w.warn + w.error, 0);
    emo_audio_close(&a);
    assert_null(a);
    emo_audio_close(&a);
}

/* The cue's samples reach the device: SDL's disk driver writes what it plays. */
static void test_disk_playback(void **state)
{
    (void)state;
    char raw[4096];
    snprintf(raw, sizeof(raw), "%s/cue.raw", emo_test_tmpdir("render-audio-disk"));
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILE", raw, 1);
    EmoAudioCueSettings s;
    emo_audio_default_settings(&s);
    s.volume = 0.5;
    EmoAudio *a = NULL;
    assert_int_equal(emo_audio_open(&a, &s), 0);
    assert_true(emo_audio_has_device(a));
    double sec = emo_audio_cue_seconds(a, HAPPY, NULL);
    assert_int_equal(emo_audio_update(a, 1.0, HAPPY, 0.9), HAPPY);
    SDL_Delay((Uint32)(sec * 1000) + 600);
    emo_audio_close(&a);
    unsetenv("SDL_DISKAUDIOFILE");

    size_t size;
    float *x = emo_test_read_file(raw, &size);
    size_t n = size / sizeof(float);
    size_t loud = 0, first = n, last = 0;
    double peak = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            fail_msg("non-finite sample at %zu", i);
        if (fabsf(x[i]) > 1e-3f) {
            loud++;
            if (first == n)
                first = i;
            last = i;
        }
        peak = fmax(peak, fabs(x[i]));
    }
    double span = first < n ? (last - first + 1) / 48000.0 : 0;
    print_message("disk device: %zu samples written, cue span %.3f s (prepared %.3f s), peak %.3f, %zu loud\n", n, span,
                  sec, peak, loud);
    /* one cue: its length, its level (0.8 x volume at most), mostly non-silent */
    assert_true(fabs(span - sec) < 0.02);
    assert_true(peak > 0.2 && peak <= 0.41);
    assert_true(loud > 0.8 * sec * 48000);
    free(x);
}

static void put_le(FILE *f, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* 16-bit stereo PCM at 22050 Hz, 0.5 s of 440 Hz. */
static void write_wav(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    int rate = 22050, n = rate / 2, ch = 2;
    uint32_t data = (uint32_t)(n * ch * 2);
    fwrite("RIFF", 1, 4, f);
    put_le(f, 36 + data, 4);
    fwrite("WAVEfmt ", 1, 8, f);
    put_le(f, 16, 4);
    put_le(f, 1, 2);
    put_le(f, (uint32_t)ch, 2);
    put_le(f, (uint32_t)rate, 4);
    put_le(f, (uint32_t)(rate * ch * 2), 4);
    put_le(f, (uint32_t)(ch * 2), 2);
    put_le(f, 16, 2);
    fwrite("data", 1, 4, f);
    put_le(f, data, 4);
    for (int i = 0; i < n; i++) {
        int16_t v = (int16_t)(12000 * sin(2 * 3.14159265 * 440 * i / rate));
        put_le(f, (uint16_t)v, 2);
        put_le(f, (uint16_t)v, 2);
    }
    fclose(f);
}

static void test_wav_files(void **state)
{
    (void)state;
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    const char *dir = emo_test_tmpdir("render-audio-wav");
    char good[4096], bad[4096];
    snprintf(good, sizeof(good), "%s/happy.wav", dir);
    snprintf(bad, sizeof(bad), "%s/garbage.wav", dir);
    write_wav(good);
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("RIFF\x10\0\0\0WAVEjunkjunkjunk", f);
    fclose(f);
    Warnings w = { 0, 0 };
    EmoLogger lg = { count_log, &w, EMO_LOG_INFO };
    EmoAudioCueSettings s;
    emo_audio_default_settings(&s);
    s.logger = &lg;
    s.sound[HAPPY] = good;
    s.sound[SAD] = bad;
    s.sound[ANGRY] = "/nonexistent/angry.wav";
    EmoAudio *a = NULL;
    assert_int_equal(emo_audio_open(&a, &s), 0);
    int builtin = -1;
    double sec = emo_audio_cue_seconds(a, HAPPY, &builtin);
    print_message("happy.wav converted: %.4f s\n", sec);
    assert_int_equal(builtin, 0);
    assert_true(fabs(sec - 0.5) < 0.005);
    emo_audio_cue_seconds(a, SAD, &builtin);
    assert_int_equal(builtin, 1);
    emo_audio_cue_seconds(a, ANGRY, &builtin);
    assert_int_equal(builtin, 1);
    assert_int_equal(w.warn, 2); /* one per unreadable file */
    assert_int_equal(emo_audio_play(a, HAPPY), 0);
    assert_int_equal(emo_audio_play(a, 7), EMO_EINVAL);
    emo_audio_close(&a);
}

/* No audio device: one warning, decisions go on, nothing else complains. */
static void test_no_device(void **state)
{
    (void)state;
    setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
    Warnings w = { 0, 0 };
    EmoLogger lg = { count_log, &w, EMO_LOG_DEBUG };
    EmoAudioCueSettings s;
    emo_audio_default_settings(&s);
    s.logger = &lg;
    EmoAudio *a = NULL;
    assert_int_equal(emo_audio_open(&a, &s), 0);
    assert_non_null(a);
    assert_false(emo_audio_has_device(a));
    assert_int_equal(w.warn, 1);
    Fired got[32];
    check_sequence(got, run_script(audio_fn, a, got, 32));
    assert_int_equal(emo_audio_play(a, HAPPY), EMO_ENODEV);
    assert_true(emo_audio_cue_seconds(a, HAPPY, NULL) == 0);
    assert_int_equal(w.warn, 1);
    assert_int_equal(w.error, 0);
    emo_audio_close(&a);
    /* disabled: no device asked for, no warning */
    w.warn = 0;
    s.enabled = 0;
    assert_int_equal(emo_audio_open(&a, &s), 0);
    assert_int_equal(w.warn, 0);
    check_sequence(got, run_script(audio_fn, a, got, 32));
    emo_audio_close(&a);
    /* bad settings */
    s.enabled = 1;
    s.threshold = 1.5;
    assert_int_equal(emo_audio_open(&a, &s), EMO_EINVAL);
    assert_null(a);
    unsetenv("SDL_AUDIODRIVER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_sequence), cmocka_unit_test(test_player_sequence_dummy),
        cmocka_unit_test(test_disk_playback), cmocka_unit_test(test_wav_files),
        cmocka_unit_test(test_no_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
