/* Savitzky-Golay coefficients and filtering, EMA: against hand-computed values. */
#include "testutil.h"

#include <emoscope/emotion.h>
#include <math.h>

static void expect_coeffs(int window, int order, int pos, const double *num, double den)
{
    double c[32];
    assert_int_equal(emo_savgol_coeffs(window, order, pos, c), 0);
    for (int i = 0; i < window; i++) {
        if (fabs(c[i] - num[i] / den) > 1e-12)
            fail_msg("window %d order %d pos %d: c[%d] = %.15f, want %g/%g", window, order, pos, i, c[i], num[i],
                     den);
    }
}

static void test_classic_coefficients(void **state)
{
    (void)state;
    /* The tables of Savitzky and Golay (1964), which our least-squares
     * computation must reproduce. */
    expect_coeffs(5, 2, 2, (const double[]){ -3, 12, 17, 12, -3 }, 35);
    expect_coeffs(5, 3, 2, (const double[]){ -3, 12, 17, 12, -3 }, 35); /* cubic = quadratic at the centre */
    expect_coeffs(7, 2, 3, (const double[]){ -2, 3, 6, 7, 6, 3, -2 }, 21);
    expect_coeffs(9, 2, 4, (const double[]){ -21, 14, 39, 54, 59, 54, 39, 14, -21 }, 231);
    expect_coeffs(7, 4, 3, (const double[]){ 5, -30, 75, 131, 75, -30, 5 }, 231);
    expect_coeffs(5, 1, 2, (const double[]){ 1, 1, 1, 1, 1 }, 5); /* a line: the moving average */
    /* End point of the 5-point quadratic fit: (31, 9, -3, -5, 3) / 35. */
    expect_coeffs(5, 2, 0, (const double[]){ 31, 9, -3, -5, 3 }, 35);
    expect_coeffs(5, 2, 1, (const double[]){ 9, 13, 12, 6, -5 }, 35);
    expect_coeffs(5, 2, 4, (const double[]){ 3, -5, -3, 9, 31 }, 35);
    double c[8];
    assert_int_equal(emo_savgol_coeffs(4, 2, 1, c), EMO_EINVAL);  /* even window */
    assert_int_equal(emo_savgol_coeffs(5, 5, 2, c), EMO_EINVAL);  /* order >= window */
    assert_int_equal(emo_savgol_coeffs(5, 2, 5, c), EMO_EINVAL);  /* position outside */
    assert_int_equal(emo_savgol_coeffs(5, -1, 2, c), EMO_EINVAL);
}

static void test_filter(void **state)
{
    (void)state;
    /* A polynomial of degree <= order passes unchanged, edges included. */
    float in[40], out[40];
    for (int i = 0; i < 40; i++) {
        double x = i * 0.1;
        in[i] = (float)(0.5 - 0.3 * x + 0.2 * x * x);
    }
    assert_int_equal(emo_savgol_filter(in, out, 40, 15, 2), 0);
    for (int i = 0; i < 40; i++)
        assert_float_equal(out[i], in[i], 1e-5);

    /* A spike: interior output = coefficients, by hand. */
    float sp[9] = { 0, 0, 0, 0, 35, 0, 0, 0, 0 }, o[9];
    assert_int_equal(emo_savgol_filter(sp, o, 9, 5, 2), 0);
    /* Samples 0, 1 (and 7, 8) see the spike through the off-centre fits:
     * 3/35 at the end point and -5/35 one sample in. */
    const float want[9] = { 3, -5, -3, 12, 17, 12, -3, -5, 3 };
    for (int i = 0; i < 9; i++)
        assert_float_equal(o[i], want[i], 1e-5);
    /* Fewer samples than the window: the window shrinks (3 samples, order
     * capped at 2: the fit is exact). */
    float s3[3] = { 1, 5, 2 }, o3[3];
    assert_int_equal(emo_savgol_filter(s3, o3, 3, 15, 2), 0);
    for (int i = 0; i < 3; i++)
        assert_float_equal(o3[i], s3[i], 1e-5);
    /* Even count 4 -> window 3; order 1: centre samples are 3-point means. */
    float s4[4] = { 0, 3, 0, 3 }, o4[4];
    assert_int_equal(emo_savgol_filter(s4, o4, 4, 15, 1), 0);
    assert_float_equal(o4[1], 1.0f, 1e-5);
    assert_float_equal(o4[2], 2.0f, 1e-5);
    assert_int_equal(emo_savgol_filter(s4, o4, 0, 5, 2), 0);
    assert_int_equal(emo_savgol_filter(s4, o4, 4, 6, 2), EMO_EINVAL);
}

static void test_ema(void **state)
{
    (void)state;
    EmoEma e;
    emo_ema_init(&e, 0.3);
    float x[EMO_EMOTION_COUNT] = { 1, 0, 0, 0, 0, 0, 0 };
    float z[EMO_EMOTION_COUNT] = { 0, 1, 0, 0, 0, 0, 0 };
    emo_ema_update(&e, x); /* first value taken as is */
    assert_float_equal(e.value[0], 1.0f, 1e-7);
    emo_ema_update(&e, z); /* 0.3*0 + 0.7*1 */
    assert_float_equal(e.value[0], 0.7f, 1e-6);
    assert_float_equal(e.value[1], 0.3f, 1e-6);
    emo_ema_update(&e, z); /* 0.7*0.7 = 0.49; 0.3 + 0.7*0.3 = 0.51 */
    assert_float_equal(e.value[0], 0.49f, 1e-6);
    assert_float_equal(e.value[1], 0.51f, 1e-6);
    emo_ema_update(&e, x); /* 0.3 + 0.7*0.49 = 0.643 */
    assert_float_equal(e.value[0], 0.643f, 1e-6);
    emo_ema_init(&e, 1.0); /* alpha 1: no smoothing */
    emo_ema_update(&e, x);
    emo_ema_update(&e, z);
    assert_float_equal(e.value[1], 1.0f, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic_coefficients),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_ema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
