/* The pipeline's per-face history (track.h). */
#include "track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/core.h>

void emo__track_init(Track *t, int id)
{
    memset(t, 0, sizeof(*t));
    t->id = id;
    t->prev_t = NAN;
    t->last_dominant = -1;
    t->stride = 1;
}

void emo__track_free(Track *t)
{
    if (!t)
        return;
    free(t->t);
    free(t->p);
    free(t->events);
    t->t = NULL;
    t->p = NULL;
    t->events = NULL;
    t->n = t->cap = t->n_events = t->cap_events = 0;
}

/* Amortised growth: the history of a run grows by doubling. The chart's
 * history of one face is bounded: past EMO_TRACK_MAX_SAMPLES it
 * keeps every other sample and halves its rate, so a run of any length
 * (live soak, days) needs at most ~2 MB per face; the chart only needs a
 * few thousand points anyway. */
int emo__track_add_sample(Track *t, double pts, const float *probs)
{
    if (t->stride < 1)
        t->stride = 1;
    if (t->offered++ % t->stride != 0)
        return 0;
    if (t->n == EMO_TRACK_MAX_SAMPLES) {
        for (int i = 0; i < t->n / 2; i++) {
            t->t[i] = t->t[2 * i];
            memcpy(t->p + (size_t)i * EMO_EMOTION_COUNT, t->p + (size_t)(2 * i) * EMO_EMOTION_COUNT,
                   sizeof(float) * EMO_EMOTION_COUNT);
        }
        t->n /= 2;
        t->stride *= 2;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 1024;
        double *nt = realloc(t->t, sizeof(double) * (size_t)cap);
        if (!nt)
            return EMO_ENOMEM;
        t->t = nt;
        float *np = realloc(t->p, sizeof(float) * EMO_EMOTION_COUNT * (size_t)cap);
        if (!np)
            return EMO_ENOMEM;
        t->p = np;
        t->cap = cap;
    }
    t->t[t->n] = pts;
    memcpy(t->p + (size_t)t->n * EMO_EMOTION_COUNT, probs, sizeof(float) * EMO_EMOTION_COUNT);
    t->n++;
    return 0;
}

int emo__track_add_event(Track *t, const EmoPipelineEvent *e)
{
    if (t->n_events == t->cap_events) {
        int cap = t->cap_events ? t->cap_events * 2 : 16;
        EmoPipelineEvent *ne = realloc(t->events, sizeof(*ne) * (size_t)cap);
        if (!ne)
            return EMO_ENOMEM;
        t->events = ne;
        t->cap_events = cap;
    }
    t->events[t->n_events++] = *e;
    return 0;
}
