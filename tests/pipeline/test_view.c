/* The overlay shows what the configuration asks at open and then what
 * emo_pipeline_set_view() and emo_pipeline_set_gaze_view() say (the
 * viewer's keys m, b, g, a and e): the flags
 * reach the overlay input of the next frame drawn. Real clip, real models. */
#include "clip_pipeline.h"
#include "lsan_fontconfig.h"
#include "testutil.h"

#include <string.h>

#include <cairo.h>

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "pipeline/pipeline_internal.h"

/* One frame of d0 through the plain pipeline; the overlay input it drew. */
static EmoOverlayInput draw_one(EmoPipeline *p, EmoVideoSource *src)
{
    EmoFrame *f = NULL;
    assert_int_equal(emo_video_read(src, &f, -1), 0);
    const EmoPipelineResult *res = NULL;
    assert_int_equal(emo_pipeline_process(p, f, 25, &res), 0);
    emo_frame_unref(&f);
    return p->jobs[0].in;
}

static void test_view_flags(void **state)
{
    (void)state;
    EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_set(&cfg, "render.actions_panel=false", &quiet), 0);
    assert_int_equal(emo_config_set(&cfg, "render.model_bars=true", &quiet), 0);
    emo_test_model("face_landmark.tflite");
    EmoVideoSource *src;
    EmoPipeline *p;
    open_d0_pipeline(&cfg, 1, NULL, &src, &p);

    EmoOverlayInput in = draw_one(p, src);
    assert_true(in.show_mesh && in.show_model_bars && in.show_graph && !in.show_actions && !in.status);
    assert_true(in.show_gaze); /* render.gaze's default */
    static const int views[3][4] = { { 0, 0, 0, 1 }, { 1, 0, 1, 0 }, { 0, 1, 0, 1 } };
    for (int k = 0; k < 3; k++) {
        const int *v = views[k];
        emo_pipeline_set_view(p, v[0], v[1], v[2], v[3], k == 1 ? "PAUSED" : NULL);
        in = draw_one(p, src);
        assert_true(in.show_mesh == v[0] && in.show_model_bars == v[1] && in.show_graph == v[2] &&
                    in.show_actions == v[3]);
        assert_true(k == 1 ? in.status && !strcmp(in.status, "PAUSED") : !in.status);
        for (int i = 0; i < in.n_faces; i++)
            assert_true(in.faces[i].n_actions >= 0 && in.faces[i].n_actions <= EMO_RENDER_MAX_ACTIONS);
    }
    /* The gaze arrows' toggle (key e) apart from the others. */
    for (int on = 0; on < 2; on++) {
        emo_pipeline_set_gaze_view(p, on);
        in = draw_one(p, src);
        assert_int_equal(in.show_gaze, on);
        assert_true(in.show_mesh == 0 && in.show_model_bars == 1 && in.show_graph == 0 && in.show_actions == 1);
    }
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
}

/* The gaze of every face of the first 12 frames of d0 (the landmarker):
 * the pipeline's is emo_face_gaze() of the face it reports, and the
 * overlay gets one arrow from each iris the combined gaze uses, pointing
 * the way of its yaw and pitch. */
static void test_gaze_arrows(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    emo_test_model("face_landmarker.task");
    EmoVideoSource *src;
    EmoPipeline *p;
    open_d0_pipeline(&cfg, 1, NULL, &src, &p);
    int faces = 0, valid = 0;
    for (int k = 0; k < 12; k++) {
        EmoFrame *f = NULL;
        assert_int_equal(emo_video_read(src, &f, -1), 0);
        const EmoPipelineResult *res = NULL;
        assert_int_equal(emo_pipeline_process(p, f, 25, &res), 0);
        emo_frame_unref(&f);
        const EmoOverlayInput *in = &p->jobs[0].in;
        assert_int_equal(in->n_faces, res->n_faces);
        for (int i = 0; i < res->n_faces; i++, faces++) {
            const EmoPipelineFace *pf = &res->faces[i];
            EmoGaze g;
            assert_int_equal(emo_face_gaze(&pf->face, &g), 0);
            assert_memory_equal(&g, &pf->gaze, sizeof(g));
            const EmoOverlayFace *of = &in->faces[i];
            valid += g.valid;
            assert_int_equal(of->n_gaze, g.valid ? (int)(g.eyes & 1u) + (int)(g.eyes >> 1) : 0);
            for (int a = 0, e = 0; a < of->n_gaze; a++, e++) {
                while (!(g.eyes & (1u << e)))
                    e++;
                const float *iris = pf->face.landmarks[e ? EMO_FACE_IRIS_LEFT : EMO_FACE_IRIS_RIGHT];
                assert_true(of->gaze[a].x == iris[0] && of->gaze[a].y == iris[1]);
                /* yaw > 0 looks right (+x), pitch > 0 up (-y in the image) */
                assert_true(of->gaze[a].dx * g.yaw >= 0 && of->gaze[a].dy * g.pitch <= 0);
            }
        }
    }
    print_message("%d faces, %d with a gaze\n", faces, valid);
    assert_true(faces >= 11 && valid >= faces - 1);
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_view_flags), cmocka_unit_test(test_gaze_arrows) };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
