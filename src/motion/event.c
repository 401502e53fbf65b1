/* The event emitter and the spotter registry (spot.h). */
#include <math.h>
#include <string.h>

#include "spot.h"

/* s: durations are differences of time stamps; equal ones must compare
 * equal despite rounding. */
#define DURATION_EPS 1e-9

static const EmoSpotterOps *const spotters[] = { &emo__spot_transient, &emo__spot_rest };

const EmoSpotterOps *emo__spotter_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(spotters) / sizeof(spotters[0]); i++)
        if (!strcmp(name, spotters[i]->name))
            return spotters[i];
    return NULL;
}

const EmoMotionEvent *emo__event_emit(EmoEventList *out, const EmoSpotCtx *c, int r, const EmoEventSpan *span,
                                      float peak_dx, float peak_dy)
{
    double dur = span->offset_pts - span->onset_pts + c->dt;
    if (dur + DURATION_EPS < c->s->min_duration || out->n >= EMO_REGION_COUNT)
        return NULL;
    EmoMotionEvent *e = &out->ev[out->n++];
    *e = (EmoMotionEvent){
        .onset = span->onset, .apex = span->apex, .offset = span->offset,
        .onset_pts = span->onset_pts, .apex_pts = span->apex_pts, .offset_pts = span->offset_pts,
        .duration = dur,
        .region = (EmoRegion)r,
        .direction = emo_direction_classify(peak_dx, peak_dy),
        .peak_magnitude = (float)(hypot(peak_dx, peak_dy) * c->unit),
        .peak_dx = peak_dx, .peak_dy = peak_dy,
        .micro = dur <= c->s->max_duration + DURATION_EPS,
    };
    return e;
}
