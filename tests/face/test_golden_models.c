/* End to end on the golden tensors: our networks on the golden inputs,
 * decoded by the face module, agree with the decoded golden outputs. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/nn.h>

#include "face/face_priv.h"

static const char *golden(const char *model, const char *cas, const char *file)
{
    static char rel[256];
    snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/%s.f32", model, cas, file);
    return emo_test_shared(rel);
}

static EmoNnModel *open_model(const char *file)
{
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.threads = 1;
    EmoNnModel *m = NULL;
    assert_int_equal(emo_nn_open(&m, emo_test_model(file), &s), 0);
    return m;
}

static int output_with(const EmoNnModel *m, size_t count)
{
    for (int i = 0; i < emo_nn_num_outputs(m); i++) {
        EmoNnTensorInfo info;
        if (emo_nn_output_info(m, i, &info) == 0 && info.count == count)
            return i;
    }
    fail_msg("no output of %zu values", count);
    return -1;
}

static int decode(const float *reg, const float *cls, EmoDetection *out)
{
    static float anchors[EMO_BF_ANCHORS][2];
    static EmoDetection cand[EMO_BF_ANCHORS];
    emo__bf_anchors(anchors);
    int n = emo__bf_decode(reg, cls, (const float(*)[2])anchors, 0.5f, cand, EMO_BF_ANCHORS);
    return emo__weighted_nms(cand, n, 0.3f, out, 8);
}

static void test_detector(void **state)
{
    (void)state;
    EmoNnModel *m = open_model("face_detection_short_range.tflite");
    int ri = output_with(m, EMO_BF_ANCHORS * 16), ci = output_with(m, EMO_BF_ANCHORS);
    const char *cases[] = { "einstein_crop", "breakingbad_crop", "noise0" };
    for (int c = 0; c < 3; c++) {
        float *in = emo_test_read_f32(golden("face_detection_short_range", cases[c], "input"), 128 * 128 * 3);
        float *reg = emo_test_read_f32(golden("face_detection_short_range", cases[c], "regressors"), 896 * 16);
        float *cls = emo_test_read_f32(golden("face_detection_short_range", cases[c], "classificators"), 896);
        memcpy(emo_nn_input(m, 0), in, sizeof(float) * 128 * 128 * 3);
        assert_int_equal(emo_nn_run(m), 0);
        EmoDetection want[8], got[8];
        int nw = decode(reg, cls, want), ng = decode(emo_nn_output(m, ri), emo_nn_output(m, ci), got);
        assert_int_equal(ng, nw);
        double worst = 0;
        for (int i = 0; i < nw; i++) {
            /* Tolerance: 1e-4 of the input (0.013 px of 128), 1e-3 on the score. */
            assert_float_equal(got[i].score, want[i].score, 1e-3);
            const float gb[4] = { got[i].x, got[i].y, got[i].w, got[i].h }, wb[4] = { want[i].x, want[i].y, want[i].w, want[i].h };
            for (int k = 0; k < 4; k++)
                worst = fmax(worst, fabs(gb[k] - wb[k]));
            for (int k = 0; k < EMO_FACE_KEYPOINTS; k++)
                worst = fmax(worst, fmax(fabs(got[i].kp[k][0] - want[i].kp[k][0]), fabs(got[i].kp[k][1] - want[i].kp[k][1])));
        }
        printf("detector %s: %d detection(s), max box/keypoint difference %.2e of the input\n", cases[c], nw, worst);
        assert_true(worst < 1e-4);
        free(in);
        free(reg);
        free(cls);
    }
    emo_nn_close(&m);
}

/* A landmark network as the tracker opens it (emo__mesh_open), on its
 * golden inputs: the decoded landmarks and presence against the golden ones. */
static void check_mesh(EmoMeshKind kind, const char *dir, const char *lm_name, const char *pr_name,
                       const char *const *cases, int n_cases)
{
    const EmoMeshSpec *spec = emo__mesh_spec(kind);
    EmoNnModel *m = NULL;
    int li, pi;
    emo_test_model(kind == EMO_MESH_LANDMARKER ? "face_landmarker.task" : "face_landmark.tflite");
    assert_int_equal(emo__mesh_open(&m, kind, EMO_TEST_MODELS_DIR, 1, NULL, &li, &pi), 0);
    const int n = spec->points, side = spec->size;
    static float lg[EMO_FACE_LANDMARKS_MAX][3], lw[EMO_FACE_LANDMARKS_MAX][3];
    /* The crop placed in a frame: 2x scale, 30 degrees, offset (the tracker's mapping). */
    float aff[6];
    emo__roi_affine(500, 300, 2.0f * (float)side, 0.5236f, side, aff);
    for (int c = 0; c < n_cases; c++) {
        float *in = emo_test_read_f32(golden(dir, cases[c], "input"), (size_t)side * side * 3);
        float *lm = emo_test_read_f32(golden(dir, cases[c], lm_name), (size_t)n * 3);
        float *pr = emo_test_read_f32(golden(dir, cases[c], pr_name), 1);
        memcpy(emo_nn_input(m, 0), in, sizeof(float) * side * side * 3);
        assert_int_equal(emo_nn_run(m), 0);
        emo__landmarks_to_frame(emo_nn_output(m, li), aff, n, lg);
        emo__landmarks_to_frame(lm, aff, n, lw);
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                worst = fmax(worst, fabs(lg[i][k] - lw[i][k]));
        float pg = 1 / (1 + expf(-emo_nn_output(m, pi)[0])), pw = 1 / (1 + expf(-pr[0]));
        printf("%s %s: presence %.4f (golden %.4f), max landmark difference %.4f frame px (crop scale 2)\n",
               spec->name, cases[c], pg, pw, worst);
        /* 0.05 frame px = 0.025 crop px: about 1e-4 relative on coordinates up to 256 px. */
        assert_true(worst < 0.05);
        assert_float_equal(pg, pw, 1e-3);
        if (strcmp(cases[c], "noise0"))
            assert_true(pw > 0.99f);
        else
            assert_true(pw < 0.5f);
        free(in);
        free(lm);
        free(pr);
    }
    emo_nn_close(&m);
}

static void test_mesh(void **state)
{
    (void)state;
    static const char *const cases[] = { "einstein_crop", "breakingbad_crop", "noise0" };
    check_mesh(EMO_MESH_FACEMESH, "face_landmark", "conv2d_21", "conv2d_31", cases, 3);
}

/* The 478-point landmarker from face_landmarker.task: Identity is the
 * landmarks, Identity_1 the presence logit (Identity_2, the tongue score,
 * is another single value: the outputs must be told apart by name). */
static void test_landmarker(void **state)
{
    (void)state;
    static const char *const cases[] = { "einstein_crop", "noise0" };
    check_mesh(EMO_MESH_LANDMARKER, "face_landmarks_detector", "Identity", "Identity_1", cases, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detector),
        cmocka_unit_test(test_mesh),
        cmocka_unit_test(test_landmarker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
