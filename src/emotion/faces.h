/* Per-face state of the ensemble: scheduling by stream time, last
 * probabilities, EMA. Private to src/emotion (and its tests). */
#ifndef EMOSCOPE_EMOTION_FACES_H
#define EMOSCOPE_EMOTION_FACES_H

#include <stdint.h>

#include <emoscope/emotion.h>

typedef struct EmoFaceState {
    int used;
    int id;
    uint64_t seen;               /* tick of the last call, for eviction */
    int has_run;
    double last_run;             /* stream time of the last model run, seconds */
    float probs[EMO_EMOTION_MAX_MODELS][EMO_EMOTION_COUNT];
    int avail[EMO_EMOTION_MAX_MODELS];
    EmoEma ema;
    int hist_start, hist_n;      /* ring of fused samples in the ensemble's history array */
} EmoFaceState;

/* Whether the models must run for a face at stream time t: always when
 * interval <= 0 or the face never ran; when time went backwards (seek, loop);
 * else once interval seconds have passed since the last run. */
static inline int emo__emotion_due(int has_run, double last_run, double t, double interval)
{
    if (!has_run || !(interval > 0) || t < last_run)
        return 1;
    return t - last_run >= interval - 1e-9;
}

/* The slot of face id among n: its own, else a free one, else the least
 * recently seen (reset). Never NULL for n >= 1. */
EmoFaceState *emo__face_slot(EmoFaceState *faces, int n, int id, uint64_t tick, double ema_alpha);

#endif
