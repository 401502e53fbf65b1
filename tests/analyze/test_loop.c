/* The frame loop (src/analyze/loop.c): every frame reaches every sink, in
 * order, lent; a sink's stop, a quit or a pause does what analyze.h says;
 * results come once per analysed frame and every submitted frame comes back
 * drawn; on_end comes once; pacing holds frames back; the first open of a
 * live source is retried until it appears. Real clip, real models. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include <emoscope/analyze.h>

#define FRAMES 12

typedef struct Counter {
    int id;
    int *order;                /* shared call log: sink ids in call order */
    int *n_order;
    int frames, results, ends, polls, reads;
    int64_t last_index, last_result;
    int stop_at_frame;         /* on_frame returns 1 on this frame (1-based); 0: never */
    int stop_at_result;
    int quit_at_poll, pause_polls;
    int lent;                  /* every frame had one reference: the loop's */
    int end_res;               /* on_end had a result */
    int64_t end_events, events;
    double pace_start, pace_step;
} Counter;

static int c_poll(void *opaque)
{
    Counter *c = opaque;
    c->polls++;
    if (c->quit_at_poll && c->polls == c->quit_at_poll)
        return EMO_LOOP_QUIT;
    return c->polls <= c->pause_polls ? EMO_LOOP_PAUSE : EMO_LOOP_GO;
}

static double c_read(void *opaque, const EmoFrame *f)
{
    Counter *c = opaque;
    (void)f;
    c->reads++;
    if (!(c->pace_step > 0))
        return 0;
    if (c->reads == 1)
        c->pace_start = emo_clock_now();
    return c->pace_start + (c->reads - 1) * c->pace_step;
}

static int c_result(void *opaque, const EmoPipelineResult *res)
{
    Counter *c = opaque;
    assert_true(res->index > c->last_result);
    c->last_result = res->index;
    c->results++;
    c->events += res->n_events;
    return c->stop_at_result && c->results == c->stop_at_result;
}

static int c_frame(void *opaque, EmoFrame *f, double t_render, double cpu_render)
{
    Counter *c = opaque;
    (void)cpu_render;
    assert_true(t_render >= 0);
    assert_true(f->index > c->last_index);
    c->last_index = f->index;
    if (emo_frame_refcount(f) != 1)
        c->lent = 0;
    c->frames++;
    c->order[(*c->n_order)++] = c->id;
    return c->stop_at_frame && c->frames == c->stop_at_frame;
}

static void c_end(void *opaque, const EmoPipelineResult *res)
{
    Counter *c = opaque;
    c->ends++;
    c->end_res = res != NULL;
    c->end_events = res ? res->n_events : 0;
}

static void counter_init(Counter *c, int id, int *order, int *n_order)
{
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->order = order;
    c->n_order = n_order;
    c->last_index = c->last_result = -1;
    c->lent = 1;
}

static EmoLoopSink counter_sink(Counter *c)
{
    return (EmoLoopSink){ .opaque = c, .on_poll = c_poll, .on_read = c_read, .on_result = c_result,
                          .on_frame = c_frame, .on_end = c_end };
}

/* BGRA frames of path, as run and analyze ask for them. */
static void clip_settings(EmoVideoSourceSettings *vs, const char *path)
{
    emo_video_default_settings(vs);
    vs->pix_fmt = EMO_PIX_BGRA;
    vs->source = path;
}

static EmoVideoSource *open_clip(int max_frames)
{
    EmoVideoSourceSettings vs;
    clip_settings(&vs, emo_test_shared("testdata/video/d0.mp4"));
    vs.max_frames = max_frames;
    EmoVideoSource *src = NULL;
    int err = emo_video_open(&src, &vs);
    assert_int_equal(err, 0);
    return src;
}

/* Two counting sinks sharing one call log, and the report of their run. */
typedef struct Two {
    int order[4 * FRAMES], n;
    Counter a, b;
    EmoLoopReport rep;
} Two;

static void two_init(Two *t)
{
    t->n = 0;
    counter_init(&t->a, 1, t->order, &t->n);
    counter_init(&t->b, 2, t->order, &t->n);
}

/* Runs FRAMES frames of the clip, pass-through or analysed, through both. */
static void two_run(Two *t, EmoPipeline *pipe)
{
    EmoVideoSource *src = open_clip(FRAMES);
    EmoLoopSink sinks[2] = { counter_sink(&t->a), counter_sink(&t->b) };
    EmoLoopSettings ls = { .src = src, .pipe = pipe, .sinks = sinks, .n_sinks = 2 };
    assert_int_equal(emo_loop_run(&ls, &t->rep), 0);
    emo_video_close(&src);
}

static void test_pass_through(void **state)
{
    (void)state;
    Two t;
    two_init(&t);
    two_run(&t, NULL);
    assert_int_equal(t.rep.frames, FRAMES);
    assert_int_equal(t.rep.source_status, EMO_EOF);
    assert_int_equal(t.rep.stopped, 0);
    assert_int_equal(t.rep.frame_status, 0);
    assert_int_equal(t.a.frames, FRAMES);
    assert_int_equal(t.b.frames, FRAMES);
    assert_int_equal(t.a.results, 0);
    assert_true(t.a.lent && t.b.lent);
    for (int i = 0; i < t.n; i++) /* each frame to the first sink, then the second */
        assert_int_equal(t.order[i], 1 + i % 2);
    assert_int_equal(t.a.ends, 1);
    assert_int_equal(t.b.ends, 1);
    assert_int_equal(t.a.end_res, 0);
    assert_true(t.rep.last_pts > t.rep.first_pts);
}

/* A sink ended the run: frames read, and frames each sink saw. */
static void expect_stopped(const Two *t, int64_t read, int a_frames, int b_frames)
{
    assert_int_equal(t->rep.stopped, 1);
    assert_int_equal(t->rep.source_status, 0);
    assert_int_equal(t->rep.frames, read);
    assert_int_equal(t->a.frames, a_frames);
    assert_int_equal(t->b.frames, b_frames);
    assert_int_equal(t->a.ends, 1);
    assert_int_equal(t->b.ends, 1);
}

static void test_frame_stop(void **state)
{
    (void)state;
    Two t;
    two_init(&t);
    t.a.stop_at_frame = 3;
    two_run(&t, NULL);
    expect_stopped(&t, 3, 3, 2); /* the frame the first sink refused goes no further */
}

static void test_quit_and_pause(void **state)
{
    (void)state;
    Two t;
    two_init(&t);
    t.b.quit_at_poll = 1;
    two_run(&t, NULL);
    expect_stopped(&t, 0, 0, 0);

    two_init(&t);
    t.a.pause_polls = 5; /* paused turns read nothing; then every frame comes */
    two_run(&t, NULL);
    assert_int_equal(t.a.reads, FRAMES);
    assert_true(t.a.polls >= FRAMES + 5);
    assert_int_equal(t.b.frames, FRAMES);
    assert_int_equal(t.rep.stopped, 0);
}

static void test_paced(void **state)
{
    (void)state;
    Two t;
    two_init(&t);
    t.a.pace_step = 0.02;
    double t0 = emo_clock_now();
    two_run(&t, NULL);
    double dt = emo_clock_now() - t0;
    assert_int_equal(t.b.frames, FRAMES);
    assert_true(dt >= (FRAMES - 1) * 0.02 - 0.005);
}

/* The pipeline with the default settings, drawing. */
static EmoPipeline *pipeline(const EmoConfig *cfg)
{
    emo_test_model("face_landmark.tflite"); /* a clear failure where the models are missing */
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.draw = 1;
    ps.cfg = cfg;
    ps.models_dir = EMO_TEST_MODELS_DIR;
    EmoPipeline *p = NULL;
    int err = emo_pipeline_open(&p, &ps);
    assert_int_equal(err, 0);
    return p;
}

static void test_analysed(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoPipeline *p = pipeline(&cfg);
    Two t;
    two_init(&t);
    two_run(&t, p);
    assert_int_equal(t.rep.frames, FRAMES);
    assert_int_equal(t.rep.source_status, EMO_EOF);
    assert_int_equal(t.a.results, FRAMES);
    assert_int_equal(t.b.results, FRAMES);
    assert_int_equal(t.a.frames, FRAMES); /* every frame back, drawn, in order */
    assert_int_equal(t.b.frames, FRAMES);
    assert_true(t.a.lent);
    assert_int_equal(t.a.ends, 1);
    assert_int_equal(t.a.end_res, 1);
    assert_int_equal(t.rep.events, t.a.events + t.a.end_events);
    assert_int_equal(emo_pipeline_pending(p), 0);
    emo_pipeline_close(&p);

    /* A sink that stops on a result: the frames already submitted still come back drawn. */
    p = pipeline(&cfg);
    two_init(&t);
    t.a.stop_at_result = 5;
    two_run(&t, p);
    assert_int_equal(t.rep.stopped, 1);
    assert_int_equal(t.a.results, 5);
    assert_int_equal(t.b.results, 4); /* the result the first sink stopped on goes no further */
    assert_int_equal(t.a.frames, 5);
    assert_int_equal(t.b.frames, 5);
    assert_int_equal(emo_pipeline_pending(p), 0);
    emo_pipeline_close(&p);
}

static void test_bad_settings(void **state)
{
    (void)state;
    EmoLoopReport rep;
    EmoLoopSettings ls = { 0 };
    assert_int_equal(emo_loop_run(&ls, &rep), EMO_EINVAL);
    ls.src = open_clip(1);
    ls.n_sinks = 1; /* and no sinks */
    assert_int_equal(emo_loop_run(&ls, &rep), EMO_EINVAL);
    emo_video_close(&ls.src);
}

typedef struct LateCopy {
    const char *from, *to;
} LateCopy;

/* The "camera" appears 0.3 s after the start. */
static void *copy_late(void *opaque)
{
    const LateCopy *lc = opaque;
    nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000 * 1000 }, NULL);
    char part[512], cmd[1200];
    snprintf(part, sizeof(part), "%s.part", lc->to);
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && mv '%s' '%s'", lc->from, part, part, lc->to);
    if (system(cmd) != 0)
        fprintf(stderr, "copy failed\n");
    return NULL;
}

static void test_open_retried(void **state)
{
    (void)state;
    char dir[] = "/tmp/emo_test_loop_XXXXXX", path[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/late.mp4", dir);
    EmoVideoSourceSettings vs;
    clip_settings(&vs, path);
    vs.live = EMO_VIDEO_LIVE_YES;
    EmoVideoSettings vcfg = { 0 };
    vcfg.reconnect = 0;
    EmoVideoSource *src = NULL;
    /* Reconnect off: the missing source is an error at once. */
    assert_int_not_equal(emo_loop_open_source(&src, &vs, &vcfg, NULL, NULL), 0);
    assert_null(src);
    /* Reconnect on: retried until it appears. */
    vcfg.reconnect = 1;
    vcfg.reconnect_delay = 0.05;
    LateCopy lc = { emo_test_shared("testdata/video/d0.mp4"), path };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, copy_late, &lc), 0);
    double t0 = emo_clock_now();
    assert_int_equal(emo_loop_open_source(&src, &vs, &vcfg, NULL, NULL), 0);
    assert_true(emo_clock_now() - t0 >= 0.25);
    assert_non_null(src);
    pthread_join(th, NULL);
    emo_video_close(&src);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_through), cmocka_unit_test(test_frame_stop),
        cmocka_unit_test(test_quit_and_pause), cmocka_unit_test(test_paced),
        cmocka_unit_test(test_analysed),     cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_open_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
