/* The transient spotter (the default, docs/motion.md "transient").
 * Per region, the integrated flow p(s) (its position, one sample per push)
 * gives e(c) = p(c) - (p(c-k) + p(c+k)) / 2 at c = s - k: how far the
 * region stands out from the straight line between where it was k samples
 * before and where it is k samples after. A rise and return within 2k
 * samples gives its full amplitude, linear drifts give nothing and a step
 * (a held expression starting) gives half of it, with |p(c+k) - p(c-k)|
 * showing that the region did not return. Samples are counted from the
 * track's first flow. */
#include <math.h>

#include "motion_internal.h"
#include "spot.h"

#define HIST EMO_SPOT_HIST
#define RING(i) ((int)(((i) % HIST + HIST) % HIST))
#define DEFAULT_DT 0.04   /* s: frame interval assumed for k until a second push gives one (25 fps) */
#define LOOKBACK (HIST / 2) /* farthest back an onset walk or the delayed noise reaches, samples */
#define GLOBAL_REGIONS 4  /* votes of other regions sharing a movement that make it a head movement */
#define SHARE_RATIO 0.5f  /* another region shares a movement when at least this large in proportion ... */
#define SHARE_COS 0.5f    /* ... and within 60 degrees of its direction (cosine) */
#define MERGE_RATIO 1.3f  /* a region's event joins a neighbour's clearly larger one (the injected or moving region
                             drags its neighbours by less; similar movements stay each region's own) */
#define CALM_SPAN 0.5     /* s before an expression event's onset over which the region must have been calm */

typedef struct TransientTrack {
    float qpx[HIST], qpy[HIST];   /* integrated position per sample */
    float ex[HIST], ey[HIST];     /* e at each evaluated sample */
    float noise;                  /* recent mean |e|, threshold units */
    float noise_hist[HIST];       /* noise after each evaluated sample (for noise_delay) */
    int active, below;
    int64_t onset, last, apex, last_offset; /* samples */
    float lo, amag, aex, aey;
    /* The region's last reported event (for merging). */
    int64_t ex_onset, ex_offset;
    float ex_mag;
    int ex_head;                  /* it was the head's */
} TransientTrack;

typedef struct TransientSpotter {
    TransientTrack tr[EMO_REGION_COUNT];
    int k;                        /* half window, samples (0 until known) */
    int64_t nq;                   /* samples with a position */
    int64_t qframe[HIST];
    double qpts[HIST];
} TransientSpotter;

static void transient_reset(void *st)
{
    TransientSpotter *sp = st;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        sp->tr[r].last_offset = sp->tr[r].ex_offset = INT64_MIN;
}

static float proj(const TransientTrack *t, int64_t c)
{
    float n = hypotf(t->aex, t->aey);
    return n > 0 ? (t->ex[RING(c)] * t->aex + t->ey[RING(c)] * t->aey) / n : 0;
}

/* A brow and the eye under it, which a brow movement drags along (the upper lid). */
static int dragged(int r, int o)
{
    return emo__region_info(r)->drags == o || emo__region_info(o)->drags == r;
}

/* The vote region o casts when it shares region r's movement (regions with
 * the same vote count once). Both eyes are one vote (a blink or a gaze
 * shift moves them together: counting it twice made an upper-lip movement
 * during a blink look like the head); for a lip or corner, the other lips
 * and corners are one vote too: its own movement drags them along. */
static int head_vote(int r, int o)
{
    if (emo__region_info(r)->mouth && emo__region_info(o)->mouth)
        return EMO_REGION_COUNT;
    return emo__region_info(o)->vote;
}

/* Whether region r's movement at sample c is shared with so many other
 * regions that it is the head's (the return value); *partner: whether its
 * partner region shares it (same direction, at least partner_ratio as
 * large): both eyes (blink, gaze shift), lower lip and chin (the jaw). */
static int shared_motion(const TransientSpotter *sp, int r, int64_t c, int *partner)
{
    *partner = 0;
    const EmoRegionInfo *ri = emo__region_info(r);
    const TransientTrack *a = &sp->tr[r];
    int i = RING(c), upper = 0;
    unsigned votes = 0;
    float na = hypotf(a->ex[i], a->ey[i]);
    for (int o = 0; o < EMO_REGION_COUNT; o++) {
        if (o == r)
            continue;
        const TransientTrack *b = &sp->tr[o];
        float nb = hypotf(b->ex[i], b->ey[i]);
        float dot = a->ex[i] * b->ex[i] + a->ey[i] * b->ey[i];
        int same = nb >= SHARE_RATIO * na && dot > SHARE_COS * na * nb;
        /* The jaw moves the chin at least as far as the lower lip (the
         * chin is further from the joint): a lower-lip movement is the
         * jaw's only where the chin follows it by its partner_ratio; a lip
         * depressor drags the chin skin along by less. */
        if (o == ri->partner && nb >= ri->partner_ratio * na && dot > SHARE_COS * na * nb)
            *partner = 1;
        upper += same && emo__region_info(o)->upper_face && !dragged(r, o);
        if (same)
            votes |= 1u << head_vote(r, o);
    }
    /* A brow, eye or nose movement is the head's only where another
     * upper-face region shares it (not the eye under the brow, which the
     * brow drags along): the lips and the jaw (talking) move the whole
     * lower face together, and a brow movement during speech is the
     * brow's. */
    if (ri->upper_face && upper == 0)
        return 0;
    /* Many regions moving the same way at once: the head (what the affine
     * compensation left, e.g. the parallax of a turn), not a local movement. */
    return __builtin_popcount(votes) >= GLOBAL_REGIONS;
}

/* Whether another region makes the same movement as region r's event
 * (apex sample c), larger: one still in its event with a larger apex so far,
 * or one whose reported event overlaps r's and was at least as large. A
 * movement seen by several regions of a part of the face (a brow and the
 * lid it drags, a lip and the corners it pulls, the jaw) is then one
 * event, that of the region clearly larger (MERGE_RATIO) than the others;
 * the head's (head: r's is) is one event over the whole face, the largest
 * region's (of equal ones, the first to end). */
static int merged(const TransientSpotter *sp, int r, int64_t c, int head)
{
    const TransientTrack *a = &sp->tr[r];
    const int i = RING(c);
    const float na = hypotf(a->ex[i], a->ey[i]);
    for (int o = 0; o < EMO_REGION_COUNT; o++) {
        const TransientTrack *b = &sp->tr[o];
        const int overlaps = b->ex_offset >= a->onset && b->ex_onset <= a->last;
        const int whole = head || (overlaps && b->ex_head);
        if (o == r || !(whole || emo__region_info(o)->part == emo__region_info(r)->part))
            continue;
        const float nb = hypotf(b->ex[i], b->ey[i]);
        if (!(nb >= SHARE_RATIO * na && a->ex[i] * b->ex[i] + a->ey[i] * b->ey[i] > SHARE_COS * na * nb))
            continue;
        /* The head moves every region alike, the jaw the lower lip and the
         * chin: any as large takes it. */
        const float ratio = whole || o == emo__region_info(r)->partner ? 1.0f : MERGE_RATIO;
        if ((b->active && b->amag > ratio * a->amag) || (overlaps && b->ex_mag >= ratio * a->amag))
            return 1;
    }
    return 0;
}

/* The type of region r's ended event (docs/motion.md, "Event types"), or
 * EMO_EVENT_TYPE_COUNT when it is part of another event (a blink, or a
 * larger region's expression). */
static EmoEventType event_type(const TransientSpotter *sp, const EmoSpotCtx *cx, int r)
{
    const EmoRegionInfo *ri = emo__region_info(r);
    const TransientTrack *t = &sp->tr[r];
    const int is_eye = ri->partner >= 0 && emo__region_info(ri->partner)->lid;
    /* With landmarks the blink is one event of its own (cues.c): the eyes'
     * flow during it, and a brow's downward flow (the closing lids drag
     * the brows down), belong to it; a brow rising during a blink is the
     * brow's own movement. */
    if (ri->lid && (is_eye || (t->aey > 0 && t->aey >= fabsf(t->aex))) &&
        emo__cues_min_rel(cx->cues, t->onset - 1, t->last + 1) < (float)cx->s->blink_ratio)
        return EMO_EVENT_TYPE_COUNT;
    int partner;
    const int head = shared_motion(sp, r, t->apex, &partner);
    if (is_eye) {
        /* An eye. Both eyes moving vertically without landmarks: the lids
         * (a blink, reported once: by the eye whose event ends first).
         * Otherwise, with the lids not closing, the flow of an eye is the
         * eyeball's: gaze, which goes with the head (squinting shows at
         * the cheeks and brows). */
        const TransientTrack *p = &sp->tr[ri->partner];
        if (!partner || emo__cues_eye(cx->cues) >= 0 || fabsf(t->aey) < fabsf(t->aex))
            return merged(sp, r, t->apex, 1) ? EMO_EVENT_TYPE_COUNT : EMO_EVENT_HEAD;
        return p->last_offset >= t->onset && p->onset <= t->last && !p->active ? EMO_EVENT_TYPE_COUNT
                                                                                : EMO_EVENT_BLINK;
    }
    if (merged(sp, r, t->apex, head))
        return EMO_EVENT_TYPE_COUNT;
    if (head)
        return EMO_EVENT_HEAD;
    /* The jaw (lower lip and chin together) articulates; the lips, corners
     * and chin move with every syllable while the face talks. */
    if (ri->speech && (emo__cues_speaking(cx->cues) || partner))
        return EMO_EVENT_SPEECH;
    return EMO_EVENT_EXPRESSION;
}

/* Whether region r's event rose from a calm face, which a micro-expression
 * does (docs/motion.md, "Event types", class): the face was not talking
 * (brief brow and face movements while speaking are conversational
 * signals), and the region's largest |e| over the half second before the
 * onset (the samples whose window ends before it) was under micro_calm x
 * the event's apex. Not calm when that half second is not all known (the
 * track's start). */
static int calm_before(const TransientSpotter *sp, const EmoSpotCtx *cx, int r)
{
    const TransientTrack *t = &sp->tr[r];
    if (!(cx->s->micro_calm > 0))
        return 1;
    if (emo__cues_speaking(cx->cues))
        return 0;
    const int k = sp->k;
    const int span = (int)lround(CALM_SPAN / (cx->dt > 0 ? cx->dt : DEFAULT_DT));
    const int64_t first = t->onset - k - span;
    if (first < k || first <= t->onset - LOOKBACK)
        return 0;
    float m = 0;
    for (int64_t j = t->onset - k - 1; j >= first; j--)
        m = fmaxf(m, hypotf(t->ex[RING(j)], t->ey[RING(j)]));
    return m * cx->unit < cx->s->micro_calm * t->amag;
}

static void end_transient(TransientSpotter *sp, const EmoSpotCtx *cx, int r, EmoEventList *out)
{
    TransientTrack *t = &sp->tr[r];
    t->active = 0;
    /* The event spans the frames around the apex, within +-k, where the
     * region stands out from the straight line between p(apex-k) and
     * p(apex+k) by at least hysteresis x its apex (in the apex direction). */
    const int k = sp->k;
    const int64_t a = t->apex;
    const float n = hypotf(t->aex, t->aey);
    const float ux = n > 0 ? t->aex / n : 0, uy = n > 0 ? t->aey / n : 0;
    const int ib = RING(a - k), ia = RING(a + k);
#define STANDOUT(j)                                                                                              \
    (((t->qpx[RING(j)] - (t->qpx[ib] + (t->qpx[ia] - t->qpx[ib]) * (float)((j) - (a - k)) / (float)(2 * k))) * ux + \
      (t->qpy[RING(j)] - (t->qpy[ib] + (t->qpy[ia] - t->qpy[ib]) * (float)((j) - (a - k)) / (float)(2 * k))) * uy))
    const float lo = (float)cx->s->hysteresis * STANDOUT(a);
    int64_t on = a, off = a;
    while (on - 1 > a - k && on - 1 > t->last_offset && STANDOUT(on - 1) >= lo)
        on--;
    while (off + 1 < a + k && STANDOUT(off + 1) >= lo)
        off++;
#undef STANDOUT
    t->onset = on;
    t->last = off;
    t->last_offset = t->last;
    EmoEventType type = EMO_EVENT_EXPRESSION;
    if (cx->s->local)
        type = event_type(sp, cx, r);
    if (type == EMO_EVENT_TYPE_COUNT)
        return; /* part of another event */
    const EmoEventSpan span = { sp->qframe[RING(t->onset)], sp->qframe[RING(t->apex)], sp->qframe[RING(t->last)],
                                sp->qpts[RING(t->onset)],   sp->qpts[RING(t->apex)],   sp->qpts[RING(t->last)] };
    const EmoMotionEvent *e = emo__event_emit(out, cx, r, &span, t->aex, t->aey, type, calm_before(sp, cx, r));
    if (e) {
        t->ex_onset = t->onset;
        t->ex_offset = t->last;
        t->ex_mag = t->amag;
        t->ex_head = type == EMO_EVENT_HEAD;
    }
}

/* Evaluates e at sample c = (newest sample) - k for region r and runs the
 * event state machine on it. */
static void spot(TransientSpotter *sp, const EmoSpotCtx *cx, int r, int64_t c, float keep_noise, EmoEventList *out)
{
    TransientTrack *t = &sp->tr[r];
    const int k = sp->k;
    int ic = RING(c), ib = RING(c - k), ia = RING(c + k);
    float ex = t->qpx[ic] - 0.5f * (t->qpx[ib] + t->qpx[ia]);
    float ey = t->qpy[ic] - 0.5f * (t->qpy[ib] + t->qpy[ia]);
    t->ex[ic] = ex;
    t->ey[ic] = ey;
    float mag = (float)(hypot(ex, ey) * cx->unit);
    /* Both sides: how far p(c) stands out from p(c-k) and from p(c+k) in
     * the direction of e (the smaller of the two, px). On the flank of a
     * movement (c+-k on its apex) or on a step, one side is ~0. */
    float en = hypotf(ex, ey), side = 0;
    if (en > 0) {
        float sb = ((t->qpx[ic] - t->qpx[ib]) * ex + (t->qpy[ic] - t->qpy[ib]) * ey) / en;
        float sa = ((t->qpx[ic] - t->qpx[ia]) * ex + (t->qpy[ic] - t->qpy[ia]) * ey) / en;
        side = fminf(sa, sb);
    }
    const float thr = (float)cx->s->threshold;
    if (!t->active) {
        /* The noise as it was noise_delay windows ago: a movement's own
         * leading lobe (e = -A/2 at its apex - k) and rise would otherwise
         * raise the bar just before its apex. */
        float noise = t->noise;
        int64_t back = c - (int64_t)lround(cx->s->noise_delay * k);
        if (back < c && back >= k && back > c - LOOKBACK)
            noise = t->noise_hist[RING(back)];
        float hi = fmaxf(thr, (float)cx->s->noise_gain * noise);
        /* Only a movement that stands out on both sides starts an event. */
        if (mag > hi && side >= (float)cx->s->return_ratio * en) {
            t->active = 1;
            t->below = 0;
            t->lo = hi * (float)cx->s->hysteresis;
            t->amag = mag;
            t->aex = ex;
            t->aey = ey;
            t->apex = t->last = t->onset = c;
            /* Onset: walk back along the rise (projection on the apex
             * direction falling and above the lower threshold). */
            float after = proj(t, c);
            for (int64_t j = c - 1; j >= k && j > t->last_offset && j > c - LOOKBACK; j--) {
                float pj = proj(t, j);
                if (pj < t->lo || pj >= after)
                    break;
                after = pj;
                t->onset = j;
            }
        } else {
            t->noise = keep_noise * t->noise + (1 - keep_noise) * mag;
        }
        t->noise_hist[ic] = t->noise;
        return;
    }
    t->noise_hist[ic] = t->noise;
    float pc = proj(t, c);
    if (mag > t->amag && pc > 0) {
        t->amag = mag;
        t->aex = ex;
        t->aey = ey;
        t->apex = c;
    }
    if (proj(t, c) >= t->lo) {
        t->last = c;
        t->below = 0;
    } else if (++t->below >= cx->s->release_frames) {
        end_transient(sp, cx, r, out);
    }
}

static void transient_push(void *st, const EmoSpotCtx *cx, const EmoSpotInput *in, EmoEventList *out)
{
    TransientSpotter *sp = st;
    const int gap = cx->s->frame_gap;
    const int64_t prev = sp->nq - 1;
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        TransientTrack *t = &sp->tr[r];
        /* A flow over frame_gap frames moves the position by 1/frame_gap of it per push. */
        t->qpx[RING(sp->nq)] = (sp->nq ? t->qpx[RING(prev)] : 0) + in->qx[r] / (float)gap;
        t->qpy[RING(sp->nq)] = (sp->nq ? t->qpy[RING(prev)] : 0) + in->qy[r] / (float)gap;
    }
    sp->qframe[RING(sp->nq)] = in->frame;
    sp->qpts[RING(sp->nq)] = in->pts;
    if (!sp->k)
        sp->k = emo__spot_half_window(cx->s, in->frame_dt);
    const float keep_noise = (float)exp(-in->frame_dt / cx->s->noise_time);
    int64_t c = sp->nq - sp->k;
    if (c >= sp->k)
        for (int r = 0; r < EMO_REGION_COUNT; r++)
            spot(sp, cx, r, c, keep_noise, out);
    sp->nq++;
}

static void transient_flush(void *st, const EmoSpotCtx *c, EmoEventList *out)
{
    TransientSpotter *sp = st;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        if (sp->tr[r].active)
            end_transient(sp, c, r, out);
}

const EmoSpotterOps emo__spot_transient = {
    .name = "transient",
    .state_size = sizeof(TransientSpotter),
    .own_skin = 1,
    .reset = transient_reset,
    .holding = NULL, /* the rest position never waits for a transient event */
    .push = transient_push,
    .flush = transient_flush,
};
