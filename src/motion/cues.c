/* Eye and mouth openings, blinks and the speaking flag (cues.h). */
#include "cues.h"

#include <math.h>
#include <string.h>

#define HIST EMO_CUE_HIST
#define RING(i) ((int)(((i) % HIST + HIST) % HIST))
#define DEFAULT_DT 0.04    /* s: frame interval assumed until a push gives one (25 fps) */
/* Without landmarks the mouth opening is the lips' flow over the distance
 * between the outer eye corners, which the canonical face's eye boxes put
 * at 0.454 of the side (regions.c: 0.727 - 0.273). */
#define EYE_SPAN 0.454f

/* Landmarks (MediaPipe 468-point mesh): lids at the middle of each eye and
 * the eye's corners; the inner lip points; the outer eye corners. */
enum { R_UP = 159, R_LO = 145, R_OUT = 33, R_IN = 133, L_UP = 386, L_LO = 374, L_IN = 362, L_OUT = 263,
       LIP_UP = 13, LIP_LO = 14 };

static float dist(const float *lm, int a, int b)
{
    return hypotf(lm[2 * a] - lm[2 * b], lm[2 * a + 1] - lm[2 * b + 1]);
}

void emo__cues_reset(EmoCues *c)
{
    memset(c, 0, sizeof(*c));
    c->last_blink_end = INT64_MIN;
}

int emo__cues_speaking(const EmoCues *c)
{
    return c->n > 0 && c->speaking[RING(c->n - 1)];
}

float emo__cues_eye(const EmoCues *c)
{
    return c->n > 0 ? c->eye[RING(c->n - 1)] : -1;
}

float emo__cues_mouth(const EmoCues *c)
{
    return c->n > 0 && c->eye[RING(c->n - 1)] >= 0 ? c->mouth[RING(c->n - 1)] : -1;
}

int64_t emo__cues_frame(const EmoCues *c, int64_t s)
{
    return c->frame[RING(s)];
}

double emo__cues_pts(const EmoCues *c, int64_t s)
{
    return c->pts[RING(s)];
}

float emo__cues_min_rel(const EmoCues *c, int64_t s0, int64_t s1)
{
    float m = 1;
    if (s0 < c->n - HIST + 1)
        s0 = c->n - HIST + 1;
    if (s1 > c->n - 1)
        s1 = c->n - 1;
    for (int64_t s = s0 < 0 ? 0 : s0; s <= s1; s++)
        m = fminf(m, c->rel[RING(s)]);
    return m;
}

/* The eye opening at sample s relative to its level around: the smaller of
 * the largest openings within k samples before and within k after (a blink
 * closes and reopens within them; a slow lowering of the lids does not
 * dip under the level around it). 1 when unknown. */
static float relative_opening(const EmoCues *c, int64_t s, int k)
{
    float before = -1, after = -1, e = c->eye[RING(s)];
    for (int j = 1; j <= k; j++) {
        float b = c->eye[RING(s - j)], a = c->eye[RING(s + j)];
        if (b < 0 || a < 0)
            return 1;
        before = fmaxf(before, b);
        after = fmaxf(after, a);
    }
    float level = fminf(before, after);
    return level > 0 && e >= 0 && e < level ? e / level : 1;
}

/* Follows the blink state at sample s: a blink starts where the relative
 * opening falls under blink_ratio and ends where it is back over the middle
 * between blink_ratio and 1. */
static int follow_blink(EmoCues *c, const EmoMotionSettings *st, int64_t s, EmoBlink *b)
{
    const float rel = c->rel[RING(s)], ratio = (float)st->blink_ratio;
    if (!c->in_blink) {
        if (rel >= ratio)
            return 0;
        c->in_blink = 1;
        c->b_apex = c->b_onset = s;
        c->b_min = rel;
        /* Onset: back along the closing lid (opening still falling). */
        for (int64_t j = s; j - 1 > s - c->k && j - 1 > c->last_blink_end && j - 1 >= 0; j--) {
            float prev = c->eye[RING(j - 1)];
            if (prev < 0 || prev <= c->eye[RING(j)])
                break;
            c->b_onset = j - 1;
        }
        return 0;
    }
    if (rel < c->b_min) {
        c->b_min = rel;
        c->b_apex = s;
    }
    if (rel < 0.5f * (1 + ratio))
        return 0;
    c->in_blink = 0;
    c->last_blink_end = s - 1;
    /* Named by the eye that closed more (from where it was at the onset);
     * the lid travel is the opening lost at the apex times the eye width. */
    const int a = RING(c->b_apex), o = RING(c->b_onset);
    const float dr = c->eye_r[o] > 0 ? c->eye_r[a] / c->eye_r[o] : 1, dl = c->eye_l[o] > 0 ? c->eye_l[a] / c->eye_l[o] : 1;
    const float level = c->b_min > 0 ? c->eye[a] / c->b_min : c->eye[a];
    *b = (EmoBlink){ c->b_onset, c->b_apex, s - 1, dr <= dl ? EMO_REGION_RIGHT_EYE : EMO_REGION_LEFT_EYE,
                     (level - c->eye[a]) * c->eye_w[a] };
    return 1;
}

int emo__cues_push(EmoCues *c, const EmoMotionSettings *s, const EmoCueInput *in, int k, EmoBlink *b)
{
    const int64_t n = c->n, i = RING(n);
    const double dt = in->frame_dt > 0 ? in->frame_dt : DEFAULT_DT;
    if (in->lm) {
        const float wr = dist(in->lm, R_OUT, R_IN), wl = dist(in->lm, L_OUT, L_IN), span = dist(in->lm, R_OUT, L_OUT);
        const float orr = wr > 0 ? dist(in->lm, R_UP, R_LO) / wr : 0, ol = wl > 0 ? dist(in->lm, L_UP, L_LO) / wl : 0;
        c->eye[i] = 0.5f * (orr + ol);
        c->eye_r[i] = orr;
        c->eye_l[i] = ol;
        c->eye_w[i] = 0.5f * (wr + wl);
        c->mouth[i] = span > 0 ? dist(in->lm, LIP_UP, LIP_LO) / span : 0;
    } else {
        c->eye[i] = c->eye_r[i] = c->eye_l[i] = -1;
        c->eye_w[i] = 0;
        c->mouth[i] = (n ? c->mouth[RING(n - 1)] : 0) + in->lip_flow / (EYE_SPAN * (float)in->size);
    }
    c->rel[i] = 1;
    c->frame[i] = in->frame;
    c->pts[i] = in->pts;
    /* Speaking: the mouth opening's travel over the last speech_window. */
    int w = (int)lround(s->speech_window / dt);
    w = w < 1 ? 1 : w > HIST - 2 ? HIST - 2 : w;
    float travel = 0;
    for (int j = 0; j < w && n - j - 1 >= 0; j++)
        travel += fabsf(c->mouth[RING(n - j)] - c->mouth[RING(n - j - 1)]);
    c->speaking[i] = travel >= (float)s->speech_level;
    c->n++;
    if (!c->k)
        c->k = k < 1 ? 1 : k;
    /* The blink level needs k samples after: evaluate sample n - k. */
    const int64_t e = n - c->k;
    if (!in->lm || e < c->k)
        return 0;
    c->rel[RING(e)] = relative_opening(c, e, c->k);
    return follow_blink(c, s, e, b);
}

int emo__cues_flush(EmoCues *c, EmoBlink *b)
{
    if (!c->in_blink)
        return 0;
    /* The eyes were still closing or closed when the track ended: the blink
     * ends at the last sample evaluated. */
    EmoMotionSettings s = { .blink_ratio = 0 };
    int64_t e = c->n - 1 - c->k;
    c->rel[RING(e + 1)] = 1;
    return follow_blink(c, &s, e + 1, b);
}
