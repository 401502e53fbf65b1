/* Sound cues: the pure cue rule and SDL2 playback (float32 mono, 48 kHz,
 * queued). Every cue is prepared at open: no allocation when one plays. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "viewer.h"

#define CUE_RATE 48000
#define CUE_MAX_SECONDS 10.0
#define CUE_MAX_FILE (16 << 20) /* bytes: 10 s of 96 kHz stereo float32 is 7.7 MB */
#define PI_ 3.14159265358979323846

/* ------------------------------------------------------------ the rule */

void emo_cue_decider_init(EmoCueDecider *d, double threshold, double cooldown)
{
    memset(d, 0, sizeof(*d));
    d->threshold = threshold;
    d->cooldown = cooldown;
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++)
        d->last_cue[e] = -INFINITY;
    d->last_t = -INFINITY;
    d->state = -1;
}

int emo_cue_decider_update(EmoCueDecider *d, double t, int dominant, double prob)
{
    if (!d || !isfinite(t))
        return -1;
    if (t < d->last_t) /* the stream restarted: forget */
        for (int e = 0; e < EMO_CUE_EMOTIONS; e++)
            d->last_cue[e] = -INFINITY;
    d->last_t = t;
    int state = dominant >= 0 && dominant < EMO_CUE_EMOTIONS && isfinite(prob) && prob >= d->threshold ? dominant : -1;
    int fire = -1;
    if (state >= 0 && state != d->state && t - d->last_cue[state] >= d->cooldown) {
        fire = state;
        d->last_cue[state] = t;
    }
    d->state = state;
    return fire;
}

/* ------------------------------------------------------------ playback */

typedef struct Cue {
    float *samples;
    int n;
    int builtin;
} Cue;

struct EmoAudio {
    EmoAudioCueSettings s;
    EmoCueDecider rule;
    SDL_AudioDeviceID dev;
    int audio_inited;
    Cue cues[EMO_CUE_EMOTIONS];
};

void emo_audio_default_settings(EmoAudioCueSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->enabled = 1;
    s->threshold = 0.6;
    s->cooldown = 3.0;
    s->volume = 0.5;
}

/* One tone segment: frequency glides f0 -> f1, optional tremolo, a few
 * harmonics, short attack and release so that nothing clicks. */
typedef struct Tone {
    double start, dur, f0, f1, harm2, harm3, trem_hz;
} Tone;

/* Distinct little patterns: rising arpeggio for happy, falling minor
 * third for sad, buzzy low pair for angry, and so on. */
static const Tone patterns[EMO_CUE_EMOTIONS][4] = {
    { { 0.00, 0.11, 196, 196, 0.5, 0.35, 0 }, { 0.15, 0.13, 185, 185, 0.5, 0.35, 0 } },         /* angry */
    { { 0.00, 0.32, 392, 247, 0.3, 0.2, 0 } },                                                     /* disgust */
    { { 0.00, 0.36, 880, 932, 0.1, 0.0, 14 } },                                                    /* fear */
    { { 0.00, 0.09, 523, 523, 0.15, 0, 0 }, { 0.09, 0.09, 659, 659, 0.15, 0, 0 },
      { 0.18, 0.16, 784, 784, 0.15, 0, 0 } },                                                      /* happy */
    { { 0.00, 0.22, 440, 440, 0.2, 0, 0 }, { 0.22, 0.30, 370, 360, 0.2, 0, 0 } },                  /* sad */
    { { 0.00, 0.16, 500, 1250, 0.1, 0, 0 }, { 0.18, 0.06, 1250, 1250, 0.1, 0, 0 } },              /* surprise */
    { { 0.00, 0.25, 660, 660, 0.05, 0, 0 } },                                                      /* neutral */
};

static int synth(Cue *c, int e, double volume)
{
    double len = 0;
    for (int k = 0; k < 4; k++)
        if (patterns[e][k].dur > 0)
            len = fmax(len, patterns[e][k].start + patterns[e][k].dur);
    c->n = (int)(len * CUE_RATE) + 1;
    c->samples = calloc((size_t)c->n, sizeof(float));
    if (!c->samples)
        return EMO_ENOMEM;
    c->builtin = 1;
    for (int k = 0; k < 4; k++) {
        const Tone *t = &patterns[e][k];
        if (t->dur <= 0)
            continue;
        int i0 = (int)(t->start * CUE_RATE), m = (int)(t->dur * CUE_RATE);
        double phase = 0, norm = 1.0 / (1.0 + t->harm2 + t->harm3);
        for (int i = 0; i < m && i0 + i < c->n; i++) {
            double u = (double)i / m, tt = (double)i / CUE_RATE;
            double f = t->f0 + (t->f1 - t->f0) * u;
            phase += 2 * PI_ * f / CUE_RATE;
            double env = fmin(1.0, fmin(tt / 0.008, (t->dur - tt) / 0.03)); /* 8 ms attack, 30 ms release */
            if (env < 0)
                env = 0;
            double trem = t->trem_hz > 0 ? 0.6 + 0.4 * sin(2 * PI_ * t->trem_hz * tt) : 1.0;
            double v = sin(phase) + t->harm2 * sin(2 * phase) + t->harm3 * sin(3 * phase);
            c->samples[i0 + i] += (float)(0.8 * volume * norm * env * trem * v);
        }
    }
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads a WAV file whole (at most CUE_MAX_FILE bytes) and clamps the RIFF
 * and data chunk lengths to the bytes present: SDL_LoadWAV allocates what
 * the header declares, so a file of a few hundred bytes could ask for 4 GiB
 * (found by fuzz/fuzz_audio_wav). NULL with a warning on failure. */
static uint8_t *read_wav(const char *path, size_t *n, const EmoLogger *lg)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        emo_log(lg, EMO_LOG_WARN, "audio: cannot open %s: using the built-in cue", path);
        return NULL;
    }
    uint8_t *buf = malloc(CUE_MAX_FILE + 1);
    size_t got = buf ? fread(buf, 1, CUE_MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!buf || got > CUE_MAX_FILE) {
        emo_log(lg, EMO_LOG_WARN, "audio: %s is larger than %d MiB: using the built-in cue", path, CUE_MAX_FILE >> 20);
        free(buf);
        return NULL;
    }
    if (got >= 12 && !memcmp(buf, "RIFF", 4) && !memcmp(buf + 8, "WAVE", 4)) {
        if (le32(buf + 4) > got - 8)
            put_le32(buf + 4, (uint32_t)(got - 8));
        for (size_t pos = 12; pos + 8 <= got;) {
            uint64_t len = le32(buf + pos + 4);
            if (!memcmp(buf + pos, "data", 4)) {
                if (len > got - pos - 8)
                    put_le32(buf + pos + 4, (uint32_t)(got - pos - 8));
                break;
            }
            pos += 8 + (size_t)len + (size_t)(len & 1);
        }
    }
    *n = got;
    return buf;
}

/* A WAV file converted to float32 mono at CUE_RATE. */
static int load_wav(Cue *c, const char *path, double volume, const EmoLogger *lg)
{
    SDL_AudioSpec spec;
    Uint8 *buf = NULL;
    Uint32 len = 0;
    size_t file_len = 0;
    uint8_t *file = read_wav(path, &file_len, lg);
    if (!file)
        return EMO_EFORMAT;
    SDL_RWops *rw = SDL_RWFromConstMem(file, (int)file_len);
    if (!rw || !SDL_LoadWAV_RW(rw, 1, &spec, &buf, &len)) {
        emo_log(lg, EMO_LOG_WARN, "audio: cannot read %s (%s): using the built-in cue", path, SDL_GetError());
        free(file);
        return EMO_EFORMAT;
    }
    free(file);
    int frame_bytes = (int)(SDL_AUDIO_BITSIZE(spec.format) / 8) * spec.channels;
    double secs = frame_bytes > 0 && spec.freq > 0 ? (double)len / frame_bytes / spec.freq : 0;
    if (secs <= 0 || secs > CUE_MAX_SECONDS || len > (64u << 20)) {
        emo_log(lg, EMO_LOG_WARN, "audio: %s lasts %.1f s (allowed: up to %.0f s): using the built-in cue", path,
                secs, CUE_MAX_SECONDS);
        SDL_FreeWAV(buf);
        return EMO_EFORMAT;
    }
    SDL_AudioCVT cvt;
    if (SDL_BuildAudioCVT(&cvt, spec.format, spec.channels, spec.freq, AUDIO_F32SYS, 1, CUE_RATE) < 0) {
        emo_log(lg, EMO_LOG_WARN, "audio: %s: unsupported format (%s): using the built-in cue", path,
                SDL_GetError());
        SDL_FreeWAV(buf);
        return EMO_EFORMAT;
    }
    cvt.len = (int)len;
    cvt.buf = malloc((size_t)len * (size_t)(cvt.len_mult > 0 ? cvt.len_mult : 1) + 64);
    if (!cvt.buf) {
        SDL_FreeWAV(buf);
        return EMO_ENOMEM;
    }
    memcpy(cvt.buf, buf, len);
    SDL_FreeWAV(buf);
    if (cvt.needed && SDL_ConvertAudio(&cvt) != 0) {
        emo_log(lg, EMO_LOG_WARN, "audio: %s: conversion failed (%s): using the built-in cue", path, SDL_GetError());
        free(cvt.buf);
        return EMO_EFORMAT;
    }
    int out_len = cvt.needed ? cvt.len_cvt : cvt.len;
    c->n = out_len / (int)sizeof(float);
    c->samples = (float *)cvt.buf;
    c->builtin = 0;
    for (int i = 0; i < c->n; i++)
        c->samples[i] *= (float)volume;
    return 0;
}

void emo_audio_close(EmoAudio **pa)
{
    if (!pa || !*pa)
        return;
    EmoAudio *a = *pa;
    if (a->dev)
        SDL_CloseAudioDevice(a->dev);
    if (a->audio_inited)
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++)
        free(a->cues[e].samples);
    free(a);
    *pa = NULL;
}

int emo_audio_open(EmoAudio **out, const EmoAudioCueSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    EmoAudioCueSettings def;
    if (!s) {
        emo_audio_default_settings(&def);
        s = &def;
    }
    if (!(s->threshold >= 0 && s->threshold <= 1) || !(s->cooldown >= 0 && s->cooldown <= 86400) ||
        !(s->volume >= 0 && s->volume <= 1)) {
        emo_log(s->logger, EMO_LOG_ERROR, "audio: threshold and volume must be in [0,1], cooldown in [0,86400] s");
        return EMO_EINVAL;
    }
    int err = EMO_ENOMEM;
    EmoAudio *a = calloc(1, sizeof(*a));
    if (!a)
        return EMO_ENOMEM;
    a->s = *s;
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++)
        a->s.sound[e] = NULL; /* not kept: the caller's strings may go */
    emo_cue_decider_init(&a->rule, s->threshold, s->cooldown);
    if (!s->enabled) {
        *out = a;
        return 0;
    }
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        emo_log(s->logger, EMO_LOG_WARN, "audio: no sound (%s): going on without cues", SDL_GetError());
        *out = a;
        return 0;
    }
    a->audio_inited = 1;
    SDL_AudioSpec want, have;
    memset(&want, 0, sizeof(want));
    want.freq = CUE_RATE;
    want.format = AUDIO_F32SYS;
    want.channels = 1;
    want.samples = 1024;
    /* No allowed changes: SDL converts to the hardware format itself. */
    a->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (!a->dev) {
        emo_log(s->logger, EMO_LOG_WARN, "audio: no sound device (%s): going on without cues", SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        a->audio_inited = 0;
        *out = a;
        return 0;
    }
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++) {
        int r = EMO_ENOENT;
        if (s->sound[e] && s->sound[e][0])
            r = load_wav(&a->cues[e], s->sound[e], s->volume, s->logger);
        if (r == EMO_ENOMEM)
            goto fail;
        if (r != 0 && synth(&a->cues[e], e, s->volume) != 0)
            goto fail;
    }
    SDL_PauseAudioDevice(a->dev, 0);
    *out = a;
    return 0;
fail:
    emo_audio_close(&a);
    return err;
}

int emo_audio_play(EmoAudio *a, int e)
{
    if (!a || e < 0 || e >= EMO_CUE_EMOTIONS)
        return EMO_EINVAL;
    if (!a->dev)
        return EMO_ENODEV;
    const Cue *c = &a->cues[e];
    SDL_ClearQueuedAudio(a->dev);
    if (SDL_QueueAudio(a->dev, c->samples, (Uint32)c->n * (Uint32)sizeof(float)) != 0)
        return EMO_EIO;
    return 0;
}

int emo_audio_update(EmoAudio *a, double t, int dominant, double prob)
{
    if (!a)
        return -1;
    int e = emo_cue_decider_update(&a->rule, t, dominant, prob);
    if (e >= 0 && a->dev)
        emo_audio_play(a, e);
    return e;
}

int emo_audio_has_device(const EmoAudio *a)
{
    return a && a->dev != 0;
}

double emo_audio_cue_seconds(const EmoAudio *a, int e, int *builtin)
{
    if (builtin)
        *builtin = 0;
    if (!a || !a->dev || e < 0 || e >= EMO_CUE_EMOTIONS)
        return 0;
    if (builtin)
        *builtin = a->cues[e].builtin;
    return (double)a->cues[e].n / CUE_RATE;
}

int emo_audio_sample_rate(const EmoAudio *a)
{
    return a && a->dev ? CUE_RATE : 0;
}
