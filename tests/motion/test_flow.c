/* Farneback flow: Middlebury RubberWhale against ground truth and against
 * OpenCV's recorded figure, synthetic sub-pixel shifts and rotations of a
 * real face, vectorised kernels against the C reference, bad input. */
#include "mtest.h"

#include "core/cpu.h"

/* Measured once with Debian 12's python3-opencv 4.6.0:
 *   cv2.calcOpticalFlowFarneback(frame10, frame11, None, 0.5, 3, 15, 3, 5, 1.1, 0)
 * on the IMREAD_GRAYSCALE images; average end-point error over the 222970
 * pixels whose ground truth is known. */
#define OPENCV_EPE 0.3396
#define CV_PYR_SCALE 0.5
#define CV_LEVELS 3
#define CV_WINSIZE 15
#define CV_ITERATIONS 3
#define CV_POLY_N 5
#define CV_POLY_SIGMA 1.1

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };

static void settings(EmoFlowSettings *s, int w, int h, EmoFlowImpl impl)
{
    emo_flow_default_settings(s);
    s->width = w;
    s->height = h;
    s->pyr_scale = CV_PYR_SCALE;
    s->levels = CV_LEVELS;
    s->winsize = CV_WINSIZE;
    s->iterations = CV_ITERATIONS;
    s->poly_n = CV_POLY_N;
    s->poly_sigma = CV_POLY_SIGMA;
    s->impl = impl;
    s->log = &quiet;
}

static int have_impl(EmoFlowImpl impl)
{
    EmoFlowSettings s;
    settings(&s, 64, 64, impl);
    EmoFlow *f = NULL;
    int r = emo_flow_open(&f, &s);
    emo_flow_close(&f);
    return r == 0;
}

static double middlebury_epe(EmoFlowImpl impl, float **uo, float **vo)
{
    MtGray a = mt_load_png_gray(emo_test_shared("testdata/flow/frame10.png"));
    MtGray b = mt_load_png_gray(emo_test_shared("testdata/flow/frame11.png"));
    int gw, gh;
    float *gt = mt_load_flo(emo_test_shared("testdata/flow/flow10.flo"), &gw, &gh);
    assert_int_equal(a.w, gw);
    assert_int_equal(a.h, gh);
    EmoFlowSettings s;
    settings(&s, a.w, a.h, impl);
    EmoFlow *f = NULL;
    assert_int_equal(emo_flow_open(&f, &s), 0);
    size_t n = (size_t)a.w * (size_t)a.h;
    float *u = malloc(n * sizeof(float)), *v = malloc(n * sizeof(float));
    assert_int_equal(emo_flow_compute(f, a.px, a.w, b.px, b.w, u, v, a.w), 0);
    double sum = 0;
    long cnt = 0;
    for (size_t i = 0; i < n; i++) {
        float gu = gt[2 * i], gv = gt[2 * i + 1];
        if (!(fabsf(gu) < 1e9f && fabsf(gv) < 1e9f))
            continue;
        sum += hypot(u[i] - gu, v[i] - gv);
        cnt++;
    }
    assert_int_equal(cnt, 222970);
    emo_flow_close(&f);
    free(gt);
    free(a.px);
    free(b.px);
    if (uo) {
        *uo = u;
        *vo = v;
    } else {
        free(u);
        free(v);
    }
    return sum / (double)cnt;
}

static void test_middlebury(void **state)
{
    (void)state;
    double epe = middlebury_epe(EMO_FLOW_IMPL_C, NULL, NULL);
    print_message("RubberWhale EPE (C reference): %.4f px; OpenCV 4.6 %.4f; ratio %.3f (limit 1.1)\n", epe,
                  OPENCV_EPE, epe / OPENCV_EPE);
    assert_true(epe <= 1.1 * OPENCV_EPE);
}

/* Every level of the kernel table, chosen by masking the CPU flags (AUTO
 * then takes the top of what is left), against the reference on real data;
 * and the forced implementations of the setting give the same tables. */
static void test_simd_matches_c(void **state)
{
    (void)state;
    static const unsigned masks[] = { EMO__CPU_SSE2, EMO__CPU_SSE2 | EMO__CPU_AVX2 };
    static const EmoFlowImpl forced[] = { EMO_FLOW_IMPL_SSE2, EMO_FLOW_IMPL_AVX2 };
    float *uc, *vc;
    emo__cpu_set_mask(0);
    double ec = middlebury_epe(EMO_FLOW_IMPL_AUTO, &uc, &vc);
    assert_false(have_impl(EMO_FLOW_IMPL_SSE2)); /* masked away: unsupported */
    int ran = 0;
    for (int k = 0; k < 2; k++) {
        emo__cpu_set_mask(EMO__CPU_ALL);
        unsigned top = masks[k] & ~(k ? masks[k - 1] : 0u);
        if (!(emo__cpu_flags() & top)) {
            print_message("%s not available on this CPU: not compared\n", emo__cpu_flag_name(top));
            assert_false(have_impl(forced[k]));
            continue;
        }
        assert_true(have_impl(forced[k]));
        emo__cpu_set_mask(masks[k]);
        EmoFlowSettings s;
        settings(&s, 64, 64, EMO_FLOW_IMPL_AUTO);
        EmoFlow *f = NULL;
        assert_int_equal(emo_flow_open(&f, &s), 0);
        assert_string_equal(emo_flow_impl_name(f), emo__cpu_flag_name(top));
        emo_flow_close(&f);
        float *ua, *va;
        double ea = middlebury_epe(EMO_FLOW_IMPL_AUTO, &ua, &va);
        double maxd = 0;
        for (size_t i = 0; i < 584 * 388; i++) {
            maxd = fmax(maxd, fabs(uc[i] - ua[i]));
            maxd = fmax(maxd, fabs(vc[i] - va[i]));
        }
        print_message("%s vs C: max |diff| %.3g px, EPE %.5f vs %.5f\n", emo__cpu_flag_name(top), maxd, ea, ec);
        /* Same operations in the same order per pixel: agreement to float rounding. */
        assert_true(maxd <= 1e-3);
        assert_true(fabs(ea - ec) <= 1e-4);
        free(ua);
        free(va);
        ran++;
    }
    emo__cpu_set_mask(EMO__CPU_ALL);
#if defined(__x86_64__)
    assert_true(ran >= 1); /* every x86-64 CPU has SSE2 */
#endif
    free(uc);
    free(vc);
}

/* A real face, resampled bilinearly, moved by a known global transform. */
static void check_synthetic(EmoFlowImpl impl, double angle_deg, double dx, double dy, double tol_mean,
                            double tol_max)
{
    MtGray img[1] = { { 0, 0, NULL } };
    assert_int_equal(mt_decode_gray(emo_test_shared("testdata/faces/obama.jpg"), 1, img, NULL), 1);
    mt_shrink(img, 2);
    const int size = 96;
    uint8_t *a = malloc(size * size), *b = malloc(size * size);
    /* A box around the face of obama.jpg (found by inspection). */
    MtWarp w0 = { .cx = img->w * 0.5, .cy = img->h * 0.244, .side = img->h * 0.248, .zoom = 1 };
    MtWarp w1 = w0;
    mt_warp(img, &w0, size, a);
    w1.angle = angle_deg * 3.14159265358979323846 / 180;
    w1.tx = dx;
    w1.ty = dy;
    mt_warp(img, &w1, size, b);
    EmoFlowSettings s;
    settings(&s, size, size, impl);
    EmoFlow *f = NULL;
    assert_int_equal(emo_flow_open(&f, &s), 0);
    float u[96 * 96], v[96 * 96];
    assert_int_equal(emo_flow_compute(f, a, size, b, size, u, v, size), 0);
    /* Expected: content at output p moves to R (p - c) + c + t. */
    double ca = cos(w1.angle), sa = sin(w1.angle), sum = 0, mx = 0;
    int cnt = 0;
    for (int y = 16; y < size - 16; y++)
        for (int x = 16; x < size - 16; x++) {
            double qx = x + 0.5 - size / 2.0, qy = y + 0.5 - size / 2.0;
            /* Output q samples source at R(angle) q: content moves by R(-angle). */
            double ex = ca * qx + sa * qy - qx + dx, ey = -sa * qx + ca * qy - qy + dy;
            double e = hypot(u[y * size + x] - ex, v[y * size + x] - ey);
            sum += e;
            mx = fmax(mx, e);
            cnt++;
        }
    print_message("%s: rotation %.1f deg, shift (%.2f, %.2f): interior EPE mean %.3f max %.3f px\n",
                  emo_flow_impl_name(f), angle_deg, dx, dy, sum / cnt, mx);
    assert_true(sum / cnt <= tol_mean);
    assert_true(mx <= tol_max);
    emo_flow_close(&f);
    free(a);
    free(b);
    free(img->px);
}

static void test_synthetic_shifts(void **state)
{
    (void)state;
    static const double shifts[][2] = { { 0.5, 0 }, { 0, 0.5 }, { 1.25, -0.75 }, { 2.7, 1.3 }, { -2.7, 0 } };
    for (int i = 0; i < 5; i++)
        check_synthetic(EMO_FLOW_IMPL_C, 0, shifts[i][0], shifts[i][1], 0.05, 0.25);
    if (have_impl(EMO_FLOW_IMPL_AVX2))
        check_synthetic(EMO_FLOW_IMPL_AVX2, 0, 1.25, -0.75, 0.05, 0.25);
    if (have_impl(EMO_FLOW_IMPL_SSE2))
        check_synthetic(EMO_FLOW_IMPL_SSE2, 0, 1.25, -0.75, 0.05, 0.25);
}

/* Rotations are recovered less exactly than shifts: the window model is a
 * constant displacement. OpenCV 4.6's Farneback with the same settings on
 * the same 2-degree pair: interior mean 0.166 px, max 0.554 px. */
static void test_synthetic_rotations(void **state)
{
    (void)state;
    check_synthetic(EMO_FLOW_IMPL_C, 1.0, 0, 0, 0.1, 0.4);
    check_synthetic(EMO_FLOW_IMPL_C, 2.0, 0, 0, 0.18, 0.6);
    check_synthetic(EMO_FLOW_IMPL_C, -2.0, 0.5, -0.5, 0.18, 0.6);
}

static void test_bad_settings(void **state)
{
    (void)state;
    EmoFlowSettings s;
    EmoFlow *f = NULL;
    settings(&s, 4, 96, EMO_FLOW_IMPL_C);
    assert_int_equal(emo_flow_open(&f, &s), EMO_EINVAL);
    assert_null(f);
    settings(&s, 96, 96, EMO_FLOW_IMPL_C);
    s.poly_n = 6;
    assert_int_equal(emo_flow_open(&f, &s), EMO_EINVAL);
    settings(&s, 96, 96, EMO_FLOW_IMPL_C);
    s.pyr_scale = 1.0;
    assert_int_equal(emo_flow_open(&f, &s), EMO_EINVAL);
    settings(&s, 96, 96, EMO_FLOW_IMPL_C);
    assert_int_equal(emo_flow_open(&f, &s), 0);
    uint8_t img[96 * 96] = { 0 };
    float u[96 * 96], v[96 * 96];
    assert_int_equal(emo_flow_compute(f, img, 50, img, 96, u, v, 96), EMO_EINVAL);
    assert_int_equal(emo_flow_compute(f, NULL, 96, img, 96, u, v, 96), EMO_EINVAL);
    /* A flat image: no texture, no motion, no NaN. */
    assert_int_equal(emo_flow_compute(f, img, 96, img, 96, u, v, 96), 0);
    for (int i = 0; i < 96 * 96; i++)
        assert_true(u[i] == 0 && v[i] == 0);
    emo_flow_close(&f);
    emo_flow_close(&f);
    emo_flow_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_middlebury),
        cmocka_unit_test(test_simd_matches_c),
        cmocka_unit_test(test_synthetic_shifts),
        cmocka_unit_test(test_synthetic_rotations),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
