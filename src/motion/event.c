/* The event emitter and the spotter registry (spot.h). */
#include <math.h>
#include <string.h>

#include "spot.h"

/* s: durations are differences of time stamps; equal ones must compare
 * equal despite rounding. */
#define DURATION_EPS 1e-9

#define DEFAULT_DT 0.04 /* s: frame interval assumed until a second push gives one (25 fps) */

int emo__spot_half_window(const EmoMotionSettings *s, double frame_dt)
{
    int k = (int)lround(s->window / (frame_dt > 0 ? frame_dt : DEFAULT_DT));
    return k < 1 ? 1 : k > EMO_SPOT_HIST / 4 ? EMO_SPOT_HIST / 4 : k;
}

static const EmoSpotterOps *const spotters[] = { &emo__spot_transient, &emo__spot_rest };

const EmoSpotterOps *emo__spotter_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(spotters) / sizeof(spotters[0]); i++)
        if (!strcmp(name, spotters[i]->name))
            return spotters[i];
    return NULL;
}

static const char *const type_names[EMO_EVENT_TYPE_COUNT] = { "expression", "blink", "speech", "head" };
static const char *const class_names[EMO_EVENT_CLASS_COUNT] = { NULL, "micro", "macro", "twitch" };

const char *emo_event_type_name(int type)
{
    return type >= 0 && type < EMO_EVENT_TYPE_COUNT ? type_names[type] : "?";
}

const char *emo_event_class_name(int cls)
{
    return cls >= 0 && cls < EMO_EVENT_CLASS_COUNT ? class_names[cls] : NULL;
}

const EmoMotionEvent *emo__event_emit(EmoEventList *out, const EmoSpotCtx *c, int r, const EmoEventSpan *span,
                                      float peak_dx, float peak_dy, EmoEventType type, int calm)
{
    double dur = span->offset_pts - span->onset_pts + c->dt;
    if (dur + DURATION_EPS < c->s->min_duration || out->n >= EMO_EVENT_LIST_MAX)
        return NULL;
    EmoEventClass cls = EMO_EVENT_CLASS_NONE;
    if (type == EMO_EVENT_EXPRESSION)
        cls = dur > c->s->max_duration + DURATION_EPS                      ? EMO_EVENT_CLASS_MACRO
              : calm && dur + DURATION_EPS >= c->s->micro_min ? EMO_EVENT_CLASS_MICRO
                                                                           : EMO_EVENT_CLASS_TWITCH;
    EmoMotionEvent *e = &out->ev[out->n++];
    *e = (EmoMotionEvent){
        .onset = span->onset, .apex = span->apex, .offset = span->offset,
        .onset_pts = span->onset_pts, .apex_pts = span->apex_pts, .offset_pts = span->offset_pts,
        .duration = dur,
        .region = (EmoRegion)r,
        .direction = emo_direction_classify(peak_dx, peak_dy),
        .peak_magnitude = (float)(hypot(peak_dx, peak_dy) * c->unit),
        .peak_dx = peak_dx, .peak_dy = peak_dy,
        .type = type,
        .cls = cls,
        .micro = cls == EMO_EVENT_CLASS_MICRO,
    };
    return e;
}
