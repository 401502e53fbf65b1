/* The pipeline's per-face history (src/pipeline/track.c): bounded and
 * evenly decimated over runs longer than its capacity (a live soak of days),
 * every kept sample the one offered at its time, and events appended. */
#include "testutil.h"
#include <math.h>
#include <string.h>

#include <emoscope/core.h>
#include "pipeline/track.h"

#define FPS 60.0

static void probs_of(int64_t i, float *p)
{
    /* Exact in float for i < 2^24: the kept sample can be identified. */
    p[0] = (float)i;
    for (int k = 1; k < EMO_EMOTION_COUNT; k++)
        p[k] = (float)((i * 7 + k) % 1000) / 1000.0f;
}

/* The history after `offered` frames: size, stride, even spacing, values. */
static void check_history(const Track *t, int64_t offered)
{
    assert_int_equal(t->offered, offered);
    assert_true(t->n >= 1 && t->n <= EMO_TRACK_MAX_SAMPLES);
    assert_true(t->cap <= EMO_TRACK_MAX_SAMPLES);
    /* The stride is the smallest power of two that fits the run. */
    int64_t need = (offered + EMO_TRACK_MAX_SAMPLES - 1) / EMO_TRACK_MAX_SAMPLES;
    assert_true(t->stride >= need && t->stride < 2 * need + 1);
    assert_int_equal(t->stride & (t->stride - 1), 0);
    /* Kept: frames 0, s, 2s, ... in order, each with its own values. */
    int64_t expect_n = (offered + t->stride - 1) / t->stride;
    assert_int_equal(t->n, expect_n);
    for (int i = 0; i < t->n; i++) {
        int64_t frame = (int64_t)i * t->stride;
        assert_true(t->t[i] == frame / FPS); /* the same computation: exact */
        float p[EMO_EMOTION_COUNT];
        probs_of(frame, p);
        assert_memory_equal(t->p + (size_t)i * EMO_EMOTION_COUNT, p, sizeof(p));
    }
}

static void test_decimation(void **state)
{
    (void)state;
    Track t;
    emo__track_init(&t, 3);
    assert_int_equal(t.id, 3);
    assert_int_equal(t.n, 0);
    /* 5.2 halvings' worth: past 65,536, 131,072, 262,144 and 524,288 frames. */
    const int64_t total = 1100000;
    const int64_t checks[] = { 1, 1000, 65536, 65537, 65538, 131072, 131073, 200001, 524289, total };
    int c = 0;
    for (int64_t i = 0; i < total; i++) {
        float p[EMO_EMOTION_COUNT];
        probs_of(i, p);
        assert_int_equal(emo__track_add_sample(&t, i / FPS, p), 0);
        if (i + 1 == checks[c]) {
            check_history(&t, i + 1);
            c++;
        }
    }
    assert_int_equal(c, (int)(sizeof(checks) / sizeof(checks[0])));
    assert_int_equal(t.stride, 32); /* 1,100,000 frames: 34,375 samples of every 32nd */
    print_message("history after %lld frames: %d samples, one in %d frames, capacity %d (%.1f MB)\n", (long long)total,
                  t.n, t.stride, t.cap, t.cap * (8.0 + 4.0 * EMO_EMOTION_COUNT) / 1048576.0);
    emo__track_free(&t);
    assert_null(t.t);
    emo__track_free(&t); /* twice is harmless */
}

static void test_events(void **state)
{
    (void)state;
    Track t;
    emo__track_init(&t, 0);
    for (int i = 0; i < 1000; i++) {
        EmoPipelineEvent e;
        memset(&e, 0, sizeof(e));
        e.face_id = i;
        assert_int_equal(emo__track_add_event(&t, &e), 0);
    }
    assert_int_equal(t.n_events, 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(t.events[i].face_id, i);
    emo__track_free(&t);
    emo__track_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimation),
        cmocka_unit_test(test_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
