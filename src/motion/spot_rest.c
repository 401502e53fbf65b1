/* The rest spotter (the original rule, docs/motion.md "rest"): an event
 * while a region's displacement from its rest position is over the
 * threshold, with hysteresis. */

#include "motion_internal.h"
#include "spot.h"

#define HIST EMO_SPOT_HIST
/* Settled: under this fraction of the apex magnitude ... */
#define SETTLED_APEX 0.5f
/* ... and no longer falling by more than this fraction of the apex per push. */
#define SETTLED_SLACK 0.02f

typedef struct RestTrack {
    int64_t hframe[HIST];
    float hmag[HIST], hdx[HIST], hdy[HIST];
    double hpts[HIST];
    int hn, hpos;
    int active, below;
    int64_t onset, last, apex, last_offset;
    double onset_pts, last_pts, apex_pts;
    float apex_mag, apex_dx, apex_dy;
    float base_dx, base_dy;       /* displacement just before the event's onset */
    float prev_mag;
} RestTrack;

typedef struct RestSpotter {
    RestTrack tr[EMO_REGION_COUNT];
} RestSpotter;

static void rest_reset(void *st)
{
    RestSpotter *sp = st;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        sp->tr[r].last_offset = INT64_MIN;
}

static int rest_holding(const void *st, int r, double pts, double hold)
{
    const RestTrack *t = &((const RestSpotter *)st)->tr[r];
    return t->active && pts - t->onset_pts <= hold;
}

static void end_event(RestTrack *t, const EmoSpotCtx *c, int r, EmoEventList *out)
{
    t->active = 0;
    t->last_offset = t->last;
    const EmoEventSpan span = { t->onset, t->apex, t->last, t->onset_pts, t->apex_pts, t->last_pts };
    /* The original rule has no sharing tests: a mouth, lip or chin event
     * while the face talks is speech, every other one an expression. */
    const EmoEventType type =
        emo__region_info(r)->speech && emo__cues_speaking(c->cues) ? EMO_EVENT_SPEECH : EMO_EVENT_EXPRESSION;
    emo__event_emit(out, c, r, &span, t->apex_dx - t->base_dx, t->apex_dy - t->base_dy, type, 1);
}

static void spot(RestTrack *t, const EmoSpotCtx *c, int r, float mag, float dx, float dy, double pts, int64_t frame,
                 EmoEventList *out)
{
    const float hi = (float)c->s->threshold, lo = (float)(c->s->threshold * c->s->hysteresis);
    if (!t->active) {
        if (mag > hi) {
            t->active = 1;
            t->below = 0;
            t->onset = frame;
            t->onset_pts = pts;
            /* The movement began at the foot of the rise that crossed the
             * threshold: walk back while the magnitude keeps falling and
             * stays over the lower threshold (and after this region's
             * previous event). */
            float after = mag;
            int i = 0;
            for (; i < t->hn; i++) {
                int j = ((t->hpos - 1 - i) % HIST + HIST) % HIST;
                if (t->hmag[j] < lo || t->hmag[j] >= after || t->hframe[j] <= t->last_offset)
                    break;
                after = t->hmag[j];
                t->onset = t->hframe[j];
                t->onset_pts = t->hpts[j];
            }
            /* Direction and peak are measured from where the region was
             * just before the onset, which need not be its rest position. */
            t->base_dx = t->base_dy = 0;
            if (i < t->hn) {
                int j = ((t->hpos - 1 - i) % HIST + HIST) % HIST;
                t->base_dx = t->hdx[j];
                t->base_dy = t->hdy[j];
            }
            t->apex = t->last = frame;
            t->apex_pts = t->last_pts = pts;
            t->apex_mag = mag;
            t->apex_dx = dx;
            t->apex_dy = dy;
        }
    } else {
        if (mag > t->apex_mag) {
            t->apex = frame;
            t->apex_pts = pts;
            t->apex_mag = mag;
            t->apex_dx = dx;
            t->apex_dy = dy;
        }
        /* Settled: back under half the apex and no longer returning. The
         * integrated track need not come back exactly to rest, so waiting
         * for the lower threshold alone could stretch an event until the
         * rest position catches up. */
        int settled = frame != t->apex && mag < SETTLED_APEX * t->apex_mag &&
                      mag > t->prev_mag - SETTLED_SLACK * t->apex_mag;
        if (mag >= lo && !settled) {
            t->last = frame;
            t->last_pts = pts;
            t->below = 0;
        } else if (++t->below >= c->s->release_frames) {
            end_event(t, c, r, out);
        }
    }
    t->prev_mag = mag;
    t->hframe[t->hpos] = frame;
    t->hpts[t->hpos] = pts;
    t->hmag[t->hpos] = mag;
    t->hdx[t->hpos] = dx;
    t->hdy[t->hpos] = dy;
    t->hpos = (t->hpos + 1) % HIST;
    if (t->hn < HIST)
        t->hn++;
}

static void rest_push(void *st, const EmoSpotCtx *c, const EmoSpotInput *in, EmoEventList *out)
{
    RestSpotter *sp = st;
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        const EmoRegionMotion *rm = &in->region[r];
        spot(&sp->tr[r], c, r, rm->magnitude, rm->dx, rm->dy, in->pts, in->frame, out);
    }
}

static void rest_flush(void *st, const EmoSpotCtx *c, EmoEventList *out)
{
    RestSpotter *sp = st;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        if (sp->tr[r].active)
            end_event(&sp->tr[r], c, r, out);
}

const EmoSpotterOps emo__spot_rest = {
    .name = "rest",
    .state_size = sizeof(RestSpotter),
    .own_skin = 0,
    .reset = rest_reset,
    .holding = rest_holding,
    .push = rest_push,
    .flush = rest_flush,
};
