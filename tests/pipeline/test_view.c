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

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_view_flags) };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
