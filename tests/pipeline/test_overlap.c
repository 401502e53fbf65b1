/* The overlapped pipeline (analysis here, overlay on the draw thread) gives
 * exactly the results of the plain one, hands frames back drawn and in
 * order, refuses more than it can hold, and closes cleanly with frames still
 * in flight; the overlay badges an event from the result structs. Real clip,
 * real models. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#define FRAMES 40

typedef struct Rec {
    int64_t index;
    int n_faces;
    int id;
    float box[4];
    float fused[EMO_EMOTION_COUNT];
    float smoothed[EMO_EMOTION_COUNT];
    float magnitude;
} Rec;

static void record(Rec *r, const EmoPipelineResult *res)
{
    memset(r, 0, sizeof(*r));
    r->index = res->index;
    r->n_faces = res->n_faces;
    if (res->n_faces > 0) {
        const EmoPipelineFace *pf = &res->faces[0];
        r->id = pf->face.id;
        memcpy(r->box, pf->face.box, sizeof(r->box));
        memcpy(r->fused, pf->emotion.fused, sizeof(r->fused));
        memcpy(r->smoothed, pf->emotion.smoothed, sizeof(r->smoothed));
        r->magnitude = pf->motion.region[0].magnitude;
    }
}

static EmoVideoSource *open_clip(int max_frames)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = emo_test_shared("testdata/video/d0.mp4");
    vs.pix_fmt = EMO_PIX_BGRA;
    vs.max_frames = max_frames;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &vs), 0);
    return src;
}

static EmoPipeline *open_pipeline(const EmoConfig *cfg)
{
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = cfg;
    ps.models_dir = EMO_TEST_MODELS_DIR;
    ps.draw = 1;
    emo_test_model("face_landmark.tflite");
    EmoPipeline *p = NULL;
    assert_int_equal(emo_pipeline_open(&p, &ps), 0);
    return p;
}

/* Mean absolute difference of two BGRA frames' bytes. */
static double frame_diff(const EmoFrame *a, const EmoFrame *b)
{
    double sum = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *ra = a->data[0] + (size_t)y * a->stride[0], *rb = b->data[0] + (size_t)y * b->stride[0];
        for (int x = 0; x < 4 * a->width; x++)
            sum += abs((int)ra[x] - (int)rb[x]);
    }
    return sum / (4.0 * a->width * a->height);
}

static void test_same_results(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    Rec *sync = calloc(FRAMES, sizeof(*sync)), *async = calloc(FRAMES, sizeof(*async));
    assert_non_null(sync);
    assert_non_null(async);

    /* Plain: analysis and drawing in one call. */
    EmoVideoSource *src = open_clip(FRAMES);
    EmoPipeline *p = open_pipeline(&cfg);
    EmoFrame *f = NULL;
    int n = 0;
    while (emo_video_read(src, &f, -1) == 0) {
        const EmoPipelineResult *res = NULL;
        assert_int_equal(emo_pipeline_process(p, f, 25, &res), 0);
        assert_true(n < FRAMES);
        record(&sync[n++], res);
        emo_frame_unref(&f);
    }
    assert_int_equal(n, FRAMES);
    emo_pipeline_close(&p);
    emo_video_close(&src);

    /* Overlapped: the same results; frames come back drawn, in order. */
    src = open_clip(FRAMES);
    p = open_pipeline(&cfg);
    int m = 0, back = 0, drawn = 0;
    while (emo_video_read(src, &f, -1) == 0) {
        EmoFrame *copy = NULL;
        assert_int_equal(emo_frame_alloc(&copy, f->fmt, f->width, f->height), 0);
        copy->index = f->index;
        for (int y = 0; y < f->height; y++)
            memcpy(copy->data[0] + (size_t)y * copy->stride[0], f->data[0] + (size_t)y * f->stride[0],
                   (size_t)f->width * 4);
        const EmoPipelineResult *res = NULL;
        int err;
        EmoFrame *g = NULL;
        while ((err = emo_pipeline_submit(p, &f, 25, &res)) == EMO_EAGAIN) {
            assert_non_null(f); /* refused: still ours */
            assert_int_equal(emo_pipeline_receive(p, &g, -1, NULL, NULL), 0);
            assert_int_equal(g->index, back);
            back++;
            emo_frame_unref(&g);
        }
        assert_int_equal(err, 0);
        assert_null(f);
        assert_true(m < FRAMES);
        record(&async[m++], res);
        /* The plain call refuses while frames are in flight. */
        if (emo_pipeline_pending(p) > 0) {
            const EmoPipelineResult *r2 = NULL;
            assert_int_equal(emo_pipeline_process(p, copy, 25, &r2), EMO_EINVAL);
        }
        /* Wait for this one to check that it was drawn on. */
        if (m == FRAMES / 2) {
            while (emo_pipeline_pending(p) > 0) {
                assert_int_equal(emo_pipeline_receive(p, &g, -1, NULL, NULL), 0);
                assert_int_equal(g->index, back);
                if (g->index == copy->index) {
                    assert_true(frame_diff(g, copy) > 0.2); /* boxes, mesh, panels, HUD */
                    drawn = 1;
                }
                back++;
                emo_frame_unref(&g);
            }
        }
        double tr = -1;
        while (emo_pipeline_receive(p, &g, 0, &tr, NULL) == 0) {
            assert_int_equal(g->index, back);
            assert_true(tr > 0);
            back++;
            emo_frame_unref(&g);
        }
        emo_frame_unref(&copy);
    }
    assert_int_equal(m, FRAMES);
    assert_true(drawn);
    /* Close with frames in flight: no leak, no hang (ASan checks the first). */
    assert_true(emo_pipeline_pending(p) >= 0);
    emo_pipeline_close(&p);
    emo_video_close(&src);

    int faces = 0;
    for (int i = 0; i < FRAMES; i++) {
        assert_int_equal(sync[i].index, async[i].index);
        assert_int_equal(sync[i].n_faces, async[i].n_faces);
        faces += sync[i].n_faces > 0;
        assert_memory_equal(&sync[i], &async[i], sizeof(Rec)); /* bit for bit */
    }
    assert_true(faces >= FRAMES * 9 / 10);
    free(sync);
    free(async);
    emo_config_clear(&cfg);
}

/* The draw thread holds at most a few frames: submit says EMO_EAGAIN, not blocks. */
static void test_backpressure(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoVideoSource *src = open_clip(FRAMES);
    EmoPipeline *p = open_pipeline(&cfg);
    EmoFrame *f = NULL;
    int accepted = 0, refused = 0;
    for (int i = 0; i < 8 && emo_video_read(src, &f, -1) == 0; i++) {
        const EmoPipelineResult *res = NULL;
        int err = emo_pipeline_submit(p, &f, 25, &res);
        if (err == EMO_EAGAIN) {
            refused++;
            emo_frame_unref(&f);
            continue;
        }
        assert_int_equal(err, 0);
        accepted++;
    }
    assert_true(accepted >= 2 && accepted <= 4);
    assert_true(refused > 0);
    assert_int_equal(emo_pipeline_pending(p), accepted);
    EmoFrame *g = NULL;
    int got = 0;
    while (emo_pipeline_receive(p, &g, -1, NULL, NULL) == 0) {
        got++;
        emo_frame_unref(&g);
    }
    assert_int_equal(got, accepted);
    assert_int_equal(emo_pipeline_receive(p, &g, 0, NULL, NULL), EMO_EAGAIN);
    assert_null(g);
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
}

/* Pixels of a BGRA frame within 16 levels of (r, g, b). */
static int count_rgb(const EmoFrame *f, int r, int g, int b)
{
    int n = 0;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *row = f->data[0] + (size_t)y * f->stride[0];
        for (int x = 0; x < f->width; x++)
            n += abs(row[4 * x + 2] - r) <= 16 && abs(row[4 * x + 1] - g) <= 16 && abs(row[4 * x] - b) <= 16;
    }
    return n;
}

/* d0 has one expression event (upper lip, frames 67-70), a twitch with the
 * defaults (shorter than motion.micro_min): with the micro-expression
 * conditions off it is a micro-expression, and from the frame that reports
 * it the overlay badges it in the micro colour (magenta), built by draw.c
 * from the event in the results; before it, nothing is magenta. */
static void test_event_badge(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    cfg.motion.micro_min = 0;
    cfg.motion.micro_calm = 0;
    EmoVideoSource *src = open_clip(0);
    EmoPipeline *p = open_pipeline(&cfg);
    EmoFrame *f = NULL;
    int64_t reported = -1;
    int before_max = 0, after_min = 1 << 30, after_frames = 0;
    while (emo_video_read(src, &f, -1) == 0) {
        const EmoPipelineResult *res = NULL;
        assert_int_equal(emo_pipeline_process(p, f, 25, &res), 0);
        for (int i = 0; i < res->n_events && reported < 0; i++)
            if (res->events[i].event.micro)
                reported = res->index;
        int magenta = count_rgb(f, 242, 61, 202); /* (1, 0.25, 0.85) at 95% */
        if (reported < 0) {
            before_max = magenta > before_max ? magenta : before_max;
        } else if (res->index < reported + 5) {
            after_min = magenta < after_min ? magenta : after_min;
            after_frames++;
        }
        emo_frame_unref(&f);
    }
    print_message("micro event reported at frame %lld; magenta pixels: at most %d before, at least %d in the %d "
                  "frames after\n", (long long)reported, before_max, after_min, after_frames);
    assert_true(reported > 0);
    assert_true(after_frames > 0);
    assert_true(before_max < 50);
    assert_true(after_min > 300);
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
}

/* Fontconfig keeps its configuration for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_results),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_event_badge),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data(); /* Cairo's font caches, for the leak checker */
    return rc;
}
