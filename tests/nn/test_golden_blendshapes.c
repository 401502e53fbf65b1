/*
 * The blendshape model of MediaPipe's face landmarker bundle
 * (face_blendshapes.tflite inside models/face_landmarker.task) against the
 * float64 goldens of ../shared/testdata/golden/face_blendshapes/ (cases
 * mp_graph_test, mp_portrait, noise0): all 52 scores within 1e-4, on
 * XNNPACK (one and two threads) and on the plain-C reference executor.
 * The model normalises its landmarks with MEAN/SUM/SQRT/DIV and runs four
 * MLP-mixer blocks with layer norms (SQUARED_DIFFERENCE, RSQRT, NEG, MUL,
 * SUB), transposes, a constant extra token (CONCATENATION on axis -2) and
 * STRIDED_SLICEs, so a wrong op in either backend shows here.
 */
#include "testutil.h"

#include <emoscope/nn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/graph.h"
#include "nn/ref.h"
#include "nn/zip.h"

#define BUNDLE "models/face_landmarker.task"
#define MEMBER "face_blendshapes.tflite"
#define TOL 1e-4

static const char *const cases[] = { "mp_graph_test", "mp_portrait", "noise0" };

static float *golden(const char *c, const char *file, size_t n)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "testdata/golden/face_blendshapes/%s/%s", c, file);
    return emo_test_read_f32(emo_test_shared(rel), n);
}

static double max_error(const float *got, const float *want, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

static void check_xnn(int threads)
{
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.threads = threads;
    EmoNnModel *m = NULL;
    assert_int_equal(emo_nn_open_member(&m, emo_test_shared(BUNDLE), MEMBER, &s), 0);
    EmoNnTensorInfo in, out;
    assert_int_equal(emo_nn_input_info(m, 0, &in), 0);
    assert_int_equal(emo_nn_output_info(m, 0, &out), 0);
    assert_int_equal(in.count, 146 * 2);
    assert_int_equal(out.count, 52);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        float *x = golden(cases[c], "input.f32", in.count);
        float *want = golden(cases[c], "StatefulPartitionedCall_0.f32", out.count);
        memcpy(emo_nn_input(m, 0), x, in.count * sizeof(float));
        assert_int_equal(emo_nn_run(m), 0);
        double e = max_error(emo_nn_output(m, 0), want, out.count);
        printf("[ golden ] face_blendshapes/%-14s XNNPACK, %d thread(s): max abs error %.3g (tolerance %g)\n",
               cases[c], threads, e, TOL);
        assert_true(e <= TOL);
        free(x);
        free(want);
    }
    emo_nn_close(&m);
}

static void test_xnnpack(void **state)
{
    (void)state;
    check_xnn(1);
    check_xnn(2);
}

static void test_reference(void **state)
{
    (void)state;
    size_t size, len;
    const uint8_t *data;
    uint8_t *buf = emo_test_read_file(emo_test_shared(BUNDLE), &size);
    assert_int_equal(emo__zip_member(buf, size, BUNDLE, MEMBER, NULL, &data, &len), 0);
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    assert_int_equal(emo__nn_load_tflite(&g, data, len, MEMBER), 0);
    free(buf);
    assert_int_equal(emo__nn_graph_validate(&g), 0);
    assert_int_equal(g.n_outputs, 1);
    /* The multiply-adds the issue counts: 31.8 M. */
    uint64_t macs = emo__nn_graph_macs(&g);
    assert_true(macs > 31000000u && macs < 33000000u);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        float *x = golden(cases[c], "input.f32", 292);
        float *want = golden(cases[c], "StatefulPartitionedCall_0.f32", 52);
        float got[52];
        const float *ins[1] = { x };
        float *outs[1] = { got };
        assert_int_equal(emo__nn_ref_run(&g, ins, outs), 0);
        double e = max_error(got, want, 52);
        printf("[ golden ] face_blendshapes/%-14s reference executor: max abs error %.3g (tolerance %g)\n", cases[c],
               e, TOL);
        assert_true(e <= TOL);
        free(x);
        free(want);
    }
    emo__nn_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_xnnpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
