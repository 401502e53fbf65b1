/*
 * `emoscope model info|run` end to end: the CLI runs BlazeFace, FaceMesh and
 * the blendshape model inside the landmarker bundle on golden inputs and what it writes matches the golden outputs (same
 * tolerances as test_golden_tflite.c); bad command lines fail cleanly.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double max_error(const char *got_path, const char *want_path, size_t n, int relative)
{
    char want_copy[4096];
    snprintf(want_copy, sizeof(want_copy), "%s", want_path);
    float *got = emo_test_read_f32(got_path, n);
    float *want = emo_test_read_f32(want_copy, n);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (relative)
            d /= fmax(1.0, fabs((double)want[i]));
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    free(got);
    free(want);
    return worst;
}

static void check_case(const char *model, const char *golden, const char *out0, size_t n0, int rel0, double tol0,
                       const char *out1, size_t n1, int rel1, double tol1)
{
    char model_path[4096], input[4096], cmd[16384], got[8192], want[8192];
    const char *dir = emo_test_tmpdir(golden);
    char out_dir[4096];
    snprintf(out_dir, sizeof(out_dir), "%s/out", dir);
    snprintf(model_path, sizeof(model_path), "%s", emo_test_model(model));
    snprintf(want, sizeof(want), "testdata/golden/%s/input.f32", golden);
    snprintf(input, sizeof(input), "%s", emo_test_shared(want));
    snprintf(cmd, sizeof(cmd), "'%s' model run '%s' --input '%s' --output '%s' > '%s/log.txt' 2>&1", EMO_TEST_CLI,
             model_path, input, out_dir, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    const char *outs[2] = { out0, out1 };
    size_t ns[2] = { n0, n1 };
    int rels[2] = { rel0, rel1 };
    double tols[2] = { tol0, tol1 };
    for (int k = 0; k < 2; k++) {
        snprintf(got, sizeof(got), "%s/%s.f32", out_dir, outs[k]);
        snprintf(want, sizeof(want), "testdata/golden/%s/%s.f32", golden, outs[k]);
        double e = max_error(got, emo_test_shared(want), ns[k], rels[k]);
        printf("[ cli ] %s %s: max %s error %.3g (tolerance %g)\n", golden, outs[k], rels[k] ? "rel" : "abs", e,
               tols[k]);
        assert_true(e <= tols[k]);
    }
}

static void test_run_blazeface(void **state)
{
    (void)state;
    check_case("face_detection_short_range.tflite", "face_detection_short_range/einstein_crop", "regressors",
               896 * 16, 1, 1e-3, "classificators", 896, 0, 1e-4);
}

static void test_run_facemesh(void **state)
{
    (void)state;
    check_case("face_landmark.tflite", "face_landmark/breakingbad_crop", "conv2d_21", 1404, 1, 1e-3, "conv2d_31", 1,
               0, 1e-4);
}

static void test_info(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("model-info");
    char cmd[16384], log[4096];
    snprintf(log, sizeof(log), "%s/info.txt", dir);
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s' > '%s' 2>&1", EMO_TEST_CLI,
             emo_test_model("face_landmark.tflite"), log);
    assert_int_equal(emo_test_system(cmd), 0);
    size_t size;
    char *text = emo_test_read_file(log, &size);
    text = realloc(text, size + 1);
    text[size] = 0;
    printf("%s", text);
    assert_non_null(strstr(text, "input 0: input_1 [1,192,192,3]"));
    assert_non_null(strstr(text, "output 0: conv2d_21 [1,1,1,1404]"));
    assert_non_null(strstr(text, "PRELU"));
    assert_non_null(strstr(text, "multiply-adds:"));
    free(text);
}

/* A model inside the landmarker bundle, named BUNDLE:MEMBER: MediaPipe's
 * blendshape model on the graph test's input. */
static void test_run_bundle_member(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("model-member");
    char model[4096], input[4096], cmd[16384], got[4096];
    snprintf(model, sizeof(model), "%s:face_blendshapes.tflite", emo_test_model("face_landmarker.task"));
    snprintf(input, sizeof(input), "%s", emo_test_shared("testdata/golden/face_blendshapes/mp_graph_test/input.f32"));
    snprintf(cmd, sizeof(cmd), "'%s' model run '%s' --input '%s' --output '%s/out' > '%s/log.txt' 2>&1",
             EMO_TEST_CLI, model, input, dir, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    snprintf(got, sizeof(got), "%s/out/StatefulPartitionedCall_0.f32", dir);
    double e = max_error(got,
                         emo_test_shared("testdata/golden/face_blendshapes/mp_graph_test/StatefulPartitionedCall_0.f32"),
                         52, 0);
    printf("[ cli ] face_blendshapes/mp_graph_test from the bundle: max abs error %.3g (tolerance 1e-4)\n", e);
    assert_true(e <= 1e-4);
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s' > '%s/info.txt' 2>&1", EMO_TEST_CLI, model, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    snprintf(got, sizeof(got), "%s/info.txt", dir);
    size_t size;
    char *text = emo_test_read_file(got, &size);
    assert_non_null(strstr(text, "TRANSPOSE"));
    assert_non_null(strstr(text, "SQUARED_DIFFERENCE"));
    assert_non_null(strstr(text, "(31.8 M)"));
    free(text);
    /* A member the bundle does not hold. */
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s:nothing.tflite' > /dev/null 2>&1", EMO_TEST_CLI,
             emo_test_model("face_landmarker.task"));
    assert_int_equal(emo_test_system(cmd), 5);
}

static void test_bad_usage(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("model-bad");
    char cmd[16384], model[4096];
    snprintf(model, sizeof(model), "%s", emo_test_model("face_detection_short_range.tflite"));
    /* No --output: usage error. */
    snprintf(cmd, sizeof(cmd), "'%s' model run '%s' --input /dev/null > /dev/null 2>&1", EMO_TEST_CLI, model);
    assert_int_equal(emo_test_system(cmd), 2);
    /* Input of the wrong size: the job fails, nothing written. */
    snprintf(cmd, sizeof(cmd), "'%s' model run '%s' --input '%s' --output '%s/o' > /dev/null 2>&1", EMO_TEST_CLI,
             model, emo_test_shared("testdata/golden/face_landmark/noise0/input.f32"), dir);
    assert_int_equal(emo_test_system(cmd), 1);
    /* Missing model file. */
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s/none.tflite' > /dev/null 2>&1", EMO_TEST_CLI, dir);
    assert_int_equal(emo_test_system(cmd), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_blazeface),
        cmocka_unit_test(test_run_bundle_member),
        cmocka_unit_test(test_run_facemesh),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_bad_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
