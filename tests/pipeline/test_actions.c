/* Facial actions in the pipeline: with the 478-point landmarker every face
 * of every frame carries the 52 blendshapes that the blendshape model gives
 * on that face's landmarks (the same input code the model tests use) and the
 * action units mapped from them; face.actions = N runs them every N frames
 * and keeps the last values between; 0 or the face mesh turns them off. An
 * event gets the action units that rose and fell inside it. Real clip, real
 * models. */
#include "clip_pipeline.h"
#include "lsan_fontconfig.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>

#include <emoscope/actions.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "pipeline/pipeline_internal.h"

#define FRAMES 12

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };

/* Runs the first FRAMES frames of d0 with the settings given; calls check on each face. */
static void run_clip(const char *const *settings, void (*check)(const EmoPipelineFace *, int64_t, void *), void *user)
{
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    for (int i = 0; settings[i]; i++)
        assert_int_equal(emo_config_set(&cfg, settings[i], &quiet), 0);
    emo_test_model("face_landmarker.task");
    EmoVideoSource *src;
    EmoPipeline *p;
    open_d0_pipeline(&cfg, 0, &quiet, &src, &p);
    int faces = 0;
    for (int64_t k = 0; k < FRAMES; k++) {
        EmoFrame *f = NULL;
        assert_int_equal(emo_video_read(src, &f, -1), 0);
        const EmoPipelineResult *res = NULL;
        assert_int_equal(emo_pipeline_process(p, f, 25, &res), 0);
        emo_frame_unref(&f);
        for (int i = 0; i < res->n_faces; i++, faces++)
            check(&res->faces[i], k, user);
    }
    assert_true(faces >= FRAMES - 1);
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
}

typedef struct Every {
    EmoBlendshapes *b;
    int with;
} Every;

static void check_every(const EmoPipelineFace *pf, int64_t k, void *user)
{
    (void)k;
    Every *ev = user;
    assert_int_equal(pf->face.n_landmarks, EMO_BLENDSHAPE_POINTS);
    assert_true(pf->has_actions);
    ev->with++;
    float bs[EMO_BLENDSHAPES], au[EMO_ACTION_UNITS];
    assert_int_equal(emo_blendshapes_run(ev->b, &pf->face.landmarks[0][0], pf->face.n_landmarks, 3, bs), 0);
    /* The same model on the same input: the same numbers. */
    assert_memory_equal(bs, pf->blendshapes, sizeof(bs));
    emo_action_units(bs, au);
    assert_memory_equal(au, pf->au, sizeof(au));
    for (int i = 0; i < EMO_BLENDSHAPES; i++)
        assert_true(bs[i] >= 0 && bs[i] <= 1);
}

static void test_every_frame(void **state)
{
    (void)state;
    EmoBlendshapesSettings s;
    emo_blendshapes_default_settings(&s);
    char bundle[4200];
    snprintf(bundle, sizeof(bundle), "%s/face_landmarker.task", EMO_TEST_MODELS_DIR);
    s.bundle = bundle;
    Every ev = { NULL, 0 };
    assert_int_equal(emo_blendshapes_open(&ev.b, &s), 0);
    const char *settings[] = { "face.mesh_model=landmarker", "general.workers=2", NULL };
    run_clip(settings, check_every, &ev);
    assert_true(ev.with >= FRAMES - 1);
    emo_blendshapes_close(&ev.b);
}

typedef struct Interval {
    float last[EMO_BLENDSHAPES];
    int changes, frames;
} Interval;

static void check_interval(const EmoPipelineFace *pf, int64_t k, void *user)
{
    Interval *iv = user;
    assert_true(pf->has_actions);
    if (iv->frames++ && memcmp(iv->last, pf->blendshapes, sizeof(iv->last))) {
        /* New values only on the frames the actions ran: 0, 4, 8 of the track. */
        assert_int_equal(k % 4, 0);
        iv->changes++;
    }
    memcpy(iv->last, pf->blendshapes, sizeof(iv->last));
}

static void test_interval(void **state)
{
    (void)state;
    Interval iv = { { 0 }, 0, 0 };
    const char *settings[] = { "face.mesh_model=landmarker", "face.actions=4", NULL };
    run_clip(settings, check_interval, &iv);
    assert_int_equal(iv.changes, 2);
}

static void check_none(const EmoPipelineFace *pf, int64_t k, void *user)
{
    (void)k, (void)user;
    assert_false(pf->has_actions);
}

static void test_off(void **state)
{
    (void)state;
    const char *off[] = { "face.mesh_model=landmarker", "face.actions=0", NULL };
    run_clip(off, check_none, NULL);
    const char *mesh[] = { "face.mesh_model=facemesh", NULL };
    run_clip(mesh, check_none, NULL);
}

/* The ring and the rule on hand-made values: AU12 rises and falls inside
 * the event, AU6 less, AU4 only rises (a step), AU1 rises 0.04 (under the
 * bar), the rest stay still. */
static void test_event_actions(void **state)
{
    (void)state;
    static Slot sl;
    memset(&sl, 0, sizeof(sl));
    int u12 = emo_action_unit_index(12), u6 = emo_action_unit_index(6), u4 = emo_action_unit_index(4),
        u1 = emo_action_unit_index(1);
    assert_true(u12 >= 0 && u6 >= 0 && u4 >= 0 && u1 >= 0);
    for (int64_t f = 0; f < 200; f++) {
        memset(sl.au, 0, sizeof(sl.au));
        double bump = f >= 150 && f <= 160 ? 1.0 - fabs((double)f - 155) / 5.0 : 0; /* peak at 155 */
        sl.au[u12] = (float)(0.1 + 0.6 * bump);
        sl.au[u6] = (float)(0.2 + 0.2 * bump);
        sl.au[u4] = f >= 155 ? 0.5f : 0.1f;
        sl.au[u1] = (float)(0.04 * bump);
        emo__pipe_keep_actions(&sl, f);
    }
    EmoPipelineEvent pe = { .face_id = 1 };
    pe.event.onset = 148;
    pe.event.apex = 155;
    pe.event.offset = 162;
    emo__pipe_event_actions(&sl, &pe);
    assert_int_equal(pe.n_actions, 2);
    assert_int_equal(pe.actions[0], u12);
    assert_int_equal(pe.actions[1], u6);
    assert_true(fabsf(pe.action_rise[0] - 0.6f) < 1e-5f && fabsf(pe.action_rise[1] - 0.2f) < 1e-5f);

    /* An event older than the ring (128 frames kept: 72..199) sees nothing of its own. */
    EmoPipelineEvent old = { .face_id = 1 };
    old.event.onset = 10;
    old.event.apex = 20;
    old.event.offset = 30;
    emo__pipe_event_actions(&sl, &old);
    assert_int_equal(old.n_actions, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_actions),
        cmocka_unit_test(test_every_frame),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_off),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
