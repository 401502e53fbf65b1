/* `emoscope model run|info` on Keras files: the CLI writes predictions.f32
 * (mini-Xception) and dense_3.f32 (DeepFace layout) matching the golden
 * probabilities within 1e-4, and a corrupt HDF5 file fails with a message. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_case(const char *model_path, const char *golden, const char *out_name)
{
    char model[4096], input[4096], want[4096], got[8400], cmd[16384], rel[512];
    snprintf(model, sizeof(model), "%s", model_path);
    snprintf(rel, sizeof(rel), "testdata/golden/%s/input.f32", golden);
    snprintf(input, sizeof(input), "%s", emo_test_shared(rel));
    snprintf(rel, sizeof(rel), "testdata/golden/%s/probs.f32", golden);
    snprintf(want, sizeof(want), "%s", emo_test_shared(rel));
    const char *dir = emo_test_tmpdir("keras_cli");
    snprintf(cmd, sizeof(cmd), "'%s' model run '%s' --input '%s' --output '%s/out' > '%s/log.txt' 2>&1", EMO_TEST_CLI,
             model, input, dir, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    snprintf(got, sizeof(got), "%s/out/%s.f32", dir, out_name);
    float *y = emo_test_read_f32(got, 7), *w = emo_test_read_f32(want, 7);
    double err = 0;
    for (int i = 0; i < 7; i++)
        err = fmax(err, fabs((double)y[i] - w[i]));
    printf("[ cli ] %s: max abs error %.3g (tolerance 1e-4)\n", golden, err);
    assert_true(err <= 1e-4);
    free(y);
    free(w);
}

static void test_run_mini_xception(void **state)
{
    (void)state;
    run_case(emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"), "fer2013_mini_XCEPTION/fer_angry_PublicTest_10116449",
             "predictions");
}

static void test_run_deepface(void **state)
{
    (void)state;
    run_case(emo_test_shared("testdata/golden/deepface_emotion/facial_expression_model_weights.synthetic.h5"),
             "deepface_emotion/noise1", "dense_3");
}

static void test_info_and_corrupt(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("keras_cli_info");
    char model[4096], cmd[16384], log[4200];
    snprintf(model, sizeof(model), "%s", emo_test_model("fer2013_big_XCEPTION.54-0.66.hdf5"));
    snprintf(log, sizeof(log), "%s/info.txt", dir);
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s' > '%s' 2>&1", EMO_TEST_CLI, model, log);
    assert_int_equal(emo_test_system(cmd), 0);
    size_t n;
    char *text = emo_test_read_file(log, &n);
    char *z = realloc(text, n + 1);
    assert_non_null(z);
    z[n] = 0;
    assert_non_null(strstr(z, "[1,64,64,1]"));
    assert_non_null(strstr(z, "predictions [1,7]"));
    free(z);

    /* The first 4 KiB of a real file: an HDF5 signature, then nothing. */
    char bad[4200];
    snprintf(bad, sizeof(bad), "%s/cut.hdf5", dir);
    size_t sz;
    unsigned char *b = emo_test_read_file(model, &sz);
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    assert_true(fwrite(b, 1, 4096, f) == 4096);
    fclose(f);
    free(b);
    snprintf(cmd, sizeof(cmd), "'%s' model info '%s' > '%s' 2>&1", EMO_TEST_CLI, bad, log);
    assert_true(emo_test_system(cmd) != 0);
    text = emo_test_read_file(log, &n);
    z = realloc(text, n + 1);
    assert_non_null(z);
    z[n] = 0;
    if (!strstr(z, "truncated or corrupt"))
        fail_msg("unexpected output: %s", z);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_mini_xception),
        cmocka_unit_test(test_run_deepface),
        cmocka_unit_test(test_info_and_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
