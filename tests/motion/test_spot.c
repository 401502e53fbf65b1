/* The spotter interface (src/motion/spot.h) on synthetic region tracks,
 * without optical flow: the registry, the one event emitter, the rest and
 * transient spotters behind their ops, and the region table's anatomy
 * columns as the transient spotter's sharing rules use them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include <emoscope/motion.h>

#include "motion/motion_internal.h"
#include "motion/spot.h"

#define DT 0.04 /* s: 25 fps */

static EmoMotionSettings g_s;
static EmoCues g_cues; /* never pushed: no landmarks, not speaking */

static EmoSpotCtx ctx(double unit)
{
    emo_motion_default_settings(&g_s);
    emo__cues_reset(&g_cues);
    return (EmoSpotCtx){ &g_s, unit, DT, &g_cues };
}

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(emo__spotter_find("rest"), &emo__spot_rest);
    assert_ptr_equal(emo__spotter_find("transient"), &emo__spot_transient);
    assert_null(emo__spotter_find("Rest"));
    assert_null(emo__spotter_find(""));
    assert_null(emo__spotter_find(NULL));
    /* Only the transient spotter follows the regions' own skin. */
    assert_int_equal(emo__spot_transient.own_skin, 1);
    assert_int_equal(emo__spot_rest.own_skin, 0);
    /* Only the rest spotter holds the rest position during its events. */
    assert_null(emo__spot_transient.holding);
    assert_non_null(emo__spot_rest.holding);
}

static void test_emitter(void **state)
{
    (void)state;
    EmoSpotCtx c = ctx(2.0);
    EmoEventList out = { .n = 0 };
    /* 0.2 s: a micro-expression, peak up and to the right. */
    const EmoEventSpan span = { 10, 12, 14, 0.40, 0.48, 0.56 };
    const EmoMotionEvent *e = emo__event_emit(&out, &c, EMO_REGION_UPPER_LIP, &span, 3.0f, -4.0f, EMO_EVENT_EXPRESSION, 1);
    assert_non_null(e);
    assert_int_equal(out.n, 1);
    assert_int_equal(e->onset, 10);
    assert_int_equal(e->apex, 12);
    assert_int_equal(e->offset, 14);
    assert_true(e->onset_pts == 0.40 && e->apex_pts == 0.48 && e->offset_pts == 0.56);
    assert_true(fabs(e->duration - 0.20) < 1e-12);
    assert_int_equal(e->region, EMO_REGION_UPPER_LIP);
    assert_int_equal(e->direction, EMO_DIR_UP_RIGHT);
    assert_true(fabsf(e->peak_magnitude - 10.0f) < 1e-5f); /* |(3, -4)| x unit 2 */
    assert_int_equal(e->type, EMO_EVENT_EXPRESSION);
    assert_int_equal(e->cls, EMO_EVENT_CLASS_MICRO); /* exactly micro_min (0.2 s) */
    assert_int_equal(e->micro, 1);
    /* Exactly max_duration is still micro; longer is macro. */
    const EmoEventSpan at_max = { 0, 5, 12, 0.0, 0.2, 0.5 - DT };
    e = emo__event_emit(&out, &c, EMO_REGION_CHIN, &at_max, 0.0f, 1.0f, EMO_EVENT_EXPRESSION, 1);
    assert_non_null(e);
    assert_int_equal(e->micro, 1);
    assert_int_equal(e->direction, EMO_DIR_DOWN);
    const EmoEventSpan longer = { 0, 5, 13, 0.0, 0.2, 0.52 };
    e = emo__event_emit(&out, &c, EMO_REGION_CHIN, &longer, -1.0f, 0.0f, EMO_EVENT_EXPRESSION, 1);
    assert_non_null(e);
    assert_int_equal(e->micro, 0);
    assert_int_equal(e->cls, EMO_EVENT_CLASS_MACRO);
    assert_int_equal(e->direction, EMO_DIR_LEFT);
    assert_int_equal(out.n, 3);
    /* One frame lasts dt = 0.04 s = min_duration: kept, as a twitch (under
     * micro_min); shorter: dropped. */
    const EmoEventSpan one = { 7, 7, 7, 0.28, 0.28, 0.28 };
    e = emo__event_emit(&out, &c, EMO_REGION_NOSE, &one, 1.0f, 0.0f, EMO_EVENT_EXPRESSION, 1);
    assert_non_null(e);
    assert_int_equal(e->cls, EMO_EVENT_CLASS_TWITCH);
    assert_int_equal(e->micro, 0);
    c.dt = 0.03;
    assert_null(emo__event_emit(&out, &c, EMO_REGION_NOSE, &one, 1.0f, 0.0f, EMO_EVENT_EXPRESSION, 1));
    assert_int_equal(out.n, 4);
    /* Not calm before: a twitch however long; other types have no class. */
    c.dt = DT;
    e = emo__event_emit(&out, &c, EMO_REGION_UPPER_LIP, &span, 3.0f, -4.0f, EMO_EVENT_EXPRESSION, 0);
    assert_int_equal(e->cls, EMO_EVENT_CLASS_TWITCH);
    e = emo__event_emit(&out, &c, EMO_REGION_UPPER_LIP, &span, 3.0f, -4.0f, EMO_EVENT_SPEECH, 1);
    assert_int_equal(e->type, EMO_EVENT_SPEECH);
    assert_int_equal(e->cls, EMO_EVENT_CLASS_NONE);
    assert_int_equal(e->micro, 0);
    assert_int_equal(out.n, 6);
    /* A list holds one event per region and a blink. */
    for (int i = out.n; i < EMO_EVENT_LIST_MAX; i++)
        assert_non_null(emo__event_emit(&out, &c, EMO_REGION_NOSE, &span, 1.0f, 0.0f, EMO_EVENT_HEAD, 1));
    assert_null(emo__event_emit(&out, &c, EMO_REGION_NOSE, &span, 1.0f, 0.0f, EMO_EVENT_HEAD, 1));
}

/* Runs a spotter over per-push magnitudes (rest) or flows (transient) of
 * the regions; returns the events of the pushes and the flush. */
typedef struct Track {
    float dy[EMO_REGION_COUNT]; /* per region: rest displacement (rest) or flow (transient), px */
} Track;

static int run(const EmoSpotterOps *ops, const EmoSpotCtx *c, const Track *tr, int n, EmoMotionEvent *ev, int max)
{
    void *st = calloc(1, ops->state_size);
    assert_non_null(st);
    ops->reset(st);
    int nev = 0;
    for (int f = 0; f <= n; f++) {
        EmoEventList out = { .n = 0 };
        if (f < n) {
            EmoRegionMotion rm[EMO_REGION_COUNT];
            float qx[EMO_REGION_COUNT], qy[EMO_REGION_COUNT];
            memset(rm, 0, sizeof(rm));
            for (int r = 0; r < EMO_REGION_COUNT; r++) {
                rm[r].dy = tr[f].dy[r];
                rm[r].magnitude = (float)(fabsf(tr[f].dy[r]) * c->unit);
                qx[r] = 0;
                qy[r] = tr[f].dy[r];
            }
            const EmoSpotInput in = { f, f * DT, f ? DT : 0, rm, qx, qy };
            ops->push(st, c, &in, &out);
        } else {
            ops->flush(st, c, &out);
        }
        for (int i = 0; i < out.n && nev < max; i++)
            ev[nev++] = out.ev[i];
    }
    free(st);
    return nev;
}

/* The rest rule: onset at the foot of the rise, apex at the largest
 * displacement, offset where it falls under the lower threshold; peak
 * measured from just before the onset; the rest position is held during a
 * young event only. */
static void test_rest_spotter(void **state)
{
    (void)state;
    const EmoSpotCtx c = ctx(1.0);
    static const float mag[] = { 0, 0, 0, 0.5f, 2, 5, 8, 5, 2, 0.5f, 0.2f, 0, 0, 0 };
    Track tr[14];
    memset(tr, 0, sizeof(tr));
    for (int f = 0; f < 14; f++)
        tr[f].dy[EMO_REGION_UPPER_LIP] = -mag[f]; /* up */
    EmoMotionEvent ev[4];
    int n = run(&emo__spot_rest, &c, tr, 14, ev, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].region, EMO_REGION_UPPER_LIP);
    assert_int_equal(ev[0].onset, 4);
    assert_int_equal(ev[0].apex, 6);
    assert_int_equal(ev[0].offset, 8);
    assert_true(fabsf(ev[0].peak_dy + 7.5f) < 1e-6f); /* -8 from -0.5 before the onset */
    assert_int_equal(ev[0].direction, EMO_DIR_UP);
    assert_int_equal(ev[0].micro, 1);
    /* holding: only inside a young event. */
    void *st = calloc(1, emo__spot_rest.state_size);
    emo__spot_rest.reset(st);
    assert_int_equal(emo__spot_rest.holding(st, EMO_REGION_UPPER_LIP, 0.0, 1.0), 0);
    EmoRegionMotion rm[EMO_REGION_COUNT];
    float q[EMO_REGION_COUNT] = { 0 };
    memset(rm, 0, sizeof(rm));
    rm[EMO_REGION_UPPER_LIP].magnitude = 5;
    EmoEventList out = { .n = 0 };
    const EmoSpotInput in = { 0, 0.0, 0, rm, q, q };
    emo__spot_rest.push(st, &c, &in, &out);
    assert_int_equal(emo__spot_rest.holding(st, EMO_REGION_UPPER_LIP, 0.5, 1.0), 1);
    assert_int_equal(emo__spot_rest.holding(st, EMO_REGION_UPPER_LIP, 1.5, 1.0), 0);
    assert_int_equal(emo__spot_rest.holding(st, EMO_REGION_LOWER_LIP, 0.5, 1.0), 0);
    free(st);
}

/* A rise and return of the given regions' positions (4 px over 4 pushes
 * and back), in a track long enough for the transient window. */
static int transient_bump(const int *regions, int nreg, EmoMotionEvent *ev, int max)
{
    const EmoSpotCtx c = ctx(1.0);
    Track tr[60];
    memset(tr, 0, sizeof(tr));
    for (int i = 0; i < nreg; i++)
        for (int f = 20; f < 28; f++)
            tr[f].dy[regions[i]] = f < 24 ? -1.0f : 1.0f;
    return run(&emo__spot_transient, &c, tr, 60, ev, max);
}

/* The transient spotter finds a region's own movement; the partner and
 * head-vote columns of the region table type shared movements: both eyes
 * moving vertically without landmarks (a blink), lower lip and chin (the
 * jaw: speech), and many regions together (the head); a movement several
 * regions share is one event (a brow and the eye under it: the brow's). */
static void test_transient_sharing(void **state)
{
    (void)state;
    EmoMotionEvent ev[EMO_REGION_COUNT * 2];
    const int lip[] = { EMO_REGION_UPPER_LIP };
    int n = transient_bump(lip, 1, ev, 24);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].region, EMO_REGION_UPPER_LIP);
    assert_int_equal(ev[0].direction, EMO_DIR_UP);
    assert_int_equal(ev[0].apex, 23); /* the position is furthest after the 4th rising flow */
    assert_int_equal(ev[0].type, EMO_EVENT_EXPRESSION);
    assert_int_equal(ev[0].micro, 1);
    const int blink[] = { EMO_REGION_LEFT_EYE, EMO_REGION_RIGHT_EYE };
    assert_int_equal(transient_bump(blink, 2, ev, 24), 1);
    assert_int_equal(ev[0].type, EMO_EVENT_BLINK);
    assert_int_equal(ev[0].micro, 0);
    const int jaw[] = { EMO_REGION_LOWER_LIP, EMO_REGION_CHIN };
    assert_int_equal(transient_bump(jaw, 2, ev, 24), 1);
    assert_int_equal(ev[0].type, EMO_EVENT_SPEECH);
    /* A brow and the eye under it as large: one event, the brow's (the
     * eye's own flow without a blink is gaze, which joins any as large). */
    const int brow[] = { EMO_REGION_LEFT_BROW, EMO_REGION_LEFT_EYE };
    assert_int_equal(transient_bump(brow, 2, ev, 24), 1);
    assert_int_equal(ev[0].region, EMO_REGION_LEFT_BROW);
    assert_int_equal(ev[0].type, EMO_EVENT_EXPRESSION);
    const int head[] = { EMO_REGION_LEFT_BROW, EMO_REGION_RIGHT_BROW, EMO_REGION_NOSE, EMO_REGION_LEFT_CHEEK,
                         EMO_REGION_RIGHT_CHEEK };
    assert_int_equal(transient_bump(head, 5, ev, 24), 1);
    assert_int_equal(ev[0].type, EMO_EVENT_HEAD);
    /* The nose with the lower face only (cheeks, chin, lip: the lower face
     * moves together when talking): four votes for the others, but the
     * nose's movement stays its own, shared by no other upper-face region. */
    const int lower[] = { EMO_REGION_NOSE, EMO_REGION_LEFT_CHEEK, EMO_REGION_RIGHT_CHEEK, EMO_REGION_CHIN,
                          EMO_REGION_UPPER_LIP };
    n = transient_bump(lower, 5, ev, 24);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].region, EMO_REGION_NOSE);
    assert_int_equal(ev[0].type, EMO_EVENT_EXPRESSION);
    /* The lips and corners are one vote for a lip: a mouth movement alone
     * is not the head's. The upper lip leading (the corners and lower lip it
     * drags by 0.76 of it): one expression event for the mouth, the upper
     * lip's, and the nose's own (another part of the face). */
    {
        const EmoSpotCtx cm = ctx(1.0);
        Track tm[60];
        memset(tm, 0, sizeof(tm));
        const int dragged_by_lip[] = { EMO_REGION_LEFT_MOUTH_CORNER, EMO_REGION_RIGHT_MOUTH_CORNER,
                                       EMO_REGION_LOWER_LIP, EMO_REGION_NOSE };
        for (int f = 20; f < 28; f++) {
            tm[f].dy[EMO_REGION_UPPER_LIP] = f < 24 ? -1.0f : 1.0f;
            for (int i = 0; i < 4; i++)
                tm[f].dy[dragged_by_lip[i]] = f < 24 ? -0.76f : 0.76f; /* 3.04 px: over the threshold */
        }
        n = run(&emo__spot_transient, &cm, tm, 60, ev, 24);
        assert_int_equal(n, 2);
        for (int i = 0; i < n; i++) {
            assert_int_equal(ev[i].type, EMO_EVENT_EXPRESSION);
            assert_true(ev[i].region == EMO_REGION_UPPER_LIP || ev[i].region == EMO_REGION_NOSE);
        }
    }
    /* A larger region takes a smaller one's shared movement whatever ends first. */
    const EmoSpotCtx c = ctx(1.0);
    Track tr[60];
    memset(tr, 0, sizeof(tr));
    for (int f = 20; f < 28; f++) {
        tr[f].dy[EMO_REGION_LEFT_EYE] = f < 24 ? -0.8f : 0.8f; /* 3.2 px: over the threshold */
        tr[f].dy[EMO_REGION_LEFT_BROW] = f < 24 ? -1.0f : 1.0f;
    }
    assert_int_equal(run(&emo__spot_transient, &c, tr, 60, ev, 24), 1);
    assert_int_equal(ev[0].region, EMO_REGION_LEFT_BROW);
    /* With local off, every region's movement is its own expression event. */
    g_s.local = 0;
    for (int f = 20; f < 28; f++)
        tr[f].dy[EMO_REGION_RIGHT_EYE] = tr[f].dy[EMO_REGION_LEFT_EYE];
    assert_int_equal(run(&emo__spot_transient, &c, tr, 60, ev, 24), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ev[i].type, EMO_EVENT_EXPRESSION);
}

/* The anatomy columns say what the docs say, whatever the enum order. */
static void test_region_table(void **state)
{
    (void)state;
    assert_null(emo__region_info(-1));
    assert_null(emo__region_info(EMO_REGION_COUNT));
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        const EmoRegionInfo *ri = emo__region_info(r);
        assert_non_null(ri);
        assert_string_equal(ri->name, emo_region_name(r));
        const char *nm = ri->name;
        int brow = strstr(nm, "brow") != NULL, eye = strstr(nm, "eye") != NULL, nose = !strcmp(nm, "nose");
        int lips = strstr(nm, "lip") != NULL || strstr(nm, "mouth") != NULL;
        int cheek = strstr(nm, "cheek") != NULL;
        assert_int_equal(ri->upper_face, brow || eye || nose);
        assert_int_equal(ri->mouth, lips);
        assert_int_equal(ri->fit_exclude, brow || lips);
        assert_int_equal(ri->own_fit, !(nose || cheek));
        /* Partners are mutual. */
        if (ri->partner >= 0)
            assert_int_equal(emo__region_info(ri->partner)->partner, r);
        assert_true(ri->partner_ratio == (ri->partner < 0 ? 0.0f : r == EMO_REGION_LOWER_LIP ? 0.8f : 0.5f));
        assert_int_equal(ri->drags, r == EMO_REGION_LEFT_BROW    ? EMO_REGION_LEFT_EYE
                                    : r == EMO_REGION_RIGHT_BROW ? EMO_REGION_RIGHT_EYE
                                                                 : -1);
        assert_int_equal(ri->vote, r == EMO_REGION_RIGHT_EYE ? EMO_REGION_LEFT_EYE : r);
        assert_int_equal(ri->speech, lips || !strcmp(nm, "chin"));
        assert_int_equal(ri->lid, brow || eye);
        assert_int_equal(ri->part, brow || eye ? EMO_PART_UPPER : nose || cheek ? EMO_PART_MIDDLE : EMO_PART_MOUTH);
    }
    assert_int_equal(emo__region_info(EMO_REGION_LEFT_EYE)->partner, EMO_REGION_RIGHT_EYE);
    assert_int_equal(emo__region_info(EMO_REGION_LOWER_LIP)->partner, EMO_REGION_CHIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_emitter),
        cmocka_unit_test(test_rest_spotter),  cmocka_unit_test(test_transient_sharing),
        cmocka_unit_test(test_region_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
