/* Head-motion fitting (src/motion/headfit.c) as pure maths: known affine
 * motions (translation, rotation, zoom, shear) sampled on a face-sized
 * grid, with and without outliers (a region moving on its own, random
 * gross errors), recovered within stated tolerances; a line of samples
 * gives the translation only; too few samples are refused; a fit without
 * a part of the samples equals a fit on the rest; the field is subtracted
 * where it was fitted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include <emoscope/core.h>

#include "motion/headfit.h"

#define SIDE 96     /* px: a face of the default aligned size */
#define MAXN 4096
/* px: exact data are fitted to rounding (double sums of float samples). */
#define TOL_EXACT 1e-4
/* px: with outliers rejected, the inliers are fitted as exactly as without. */
#define TOL_OUTLIERS 2e-3

typedef struct Field {
    double h[6]; /* u = h0 + h1 x + h2 y, v = h3 + h4 x + h5 y (absolute) */
} Field;

typedef struct Samples {
    float x[MAXN], y[MAXN], u[MAXN], v[MAXN], w[MAXN], r[MAXN];
    int n;
} Samples;

static Samples g_s;

/* Every step-th pixel of the face, flow from f. */
static void grid(Samples *s, const Field *f, int step)
{
    s->n = 0;
    for (int y = 8; y < SIDE - 8; y += step)
        for (int x = 8; x < SIDE - 8; x += step) {
            s->x[s->n] = (float)x;
            s->y[s->n] = (float)y;
            s->u[s->n] = (float)(f->h[0] + f->h[1] * x + f->h[2] * y);
            s->v[s->n] = (float)(f->h[3] + f->h[4] * x + f->h[5] * y);
            s->n++;
        }
}

static EmoHeadSamples view(const Samples *s)
{
    return (EmoHeadSamples){ s->x, s->y, s->u, s->v, s->n };
}

/* Largest difference between the fitted field and f over the face, px. */
static double field_error(const EmoHeadFit *fit, const Field *f)
{
    float h[6];
    emo__headfit_absolute(fit->au, fit->av, fit->c, h);
    double worst = 0;
    for (int y = 0; y < SIDE; y += 5)
        for (int x = 0; x < SIDE; x += 5) {
            double du = (h[0] + h[1] * x + h[2] * y) - (f->h[0] + f->h[1] * x + f->h[2] * y);
            double dv = (h[3] + h[4] * x + h[5] * y) - (f->h[3] + f->h[4] * x + f->h[5] * y);
            worst = fmax(worst, hypot(du, dv));
        }
    return worst;
}

/* Rotation by a (radians) and zoom by z about (cx, cy), then a shift: the
 * flow of a point is its new position minus the old. */
static Field similarity(double a, double z, double cx, double cy, double tx, double ty)
{
    double c = z * cos(a), s = z * sin(a);
    Field f = { { 0 } };
    /* x' = cx + c (x - cx) - s (y - cy) + tx; u = x' - x */
    f.h[1] = c - 1;
    f.h[2] = -s;
    f.h[0] = cx - c * cx + s * cy + tx;
    f.h[4] = s;
    f.h[5] = c - 1;
    f.h[3] = cy - s * cx - c * cy + ty;
    return f;
}

static const Field known[] = {
    { { 0, 0, 0, 0, 0, 0 } },                 /* still */
    { { 1.25, 0, 0, -0.75, 0, 0 } },          /* translation */
    { { 0.3, 0.01, -0.004, -0.2, 0.006, 0.012 } }, /* general affine (zoom, shear) */
};

static void test_known_motions(void **state)
{
    (void)state;
    Samples *s = &g_s;
    Field fields[5];
    memcpy(fields, known, sizeof(known));
    fields[3] = similarity(0.02, 1.0, 48, 48, 0.5, 0.25);   /* 1.1 degree roll */
    fields[4] = similarity(-0.01, 1.015, 40, 55, -1, 0.4); /* roll and zoom about another point */
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        grid(s, &fields[i], 2);
        EmoHeadSamples hs = view(s);
        EmoHeadFit fit;
        assert_int_equal(emo__headfit_robust(&hs, SIDE / 2.0, s->w, s->r, &fit), 0);
        double err = field_error(&fit, &fields[i]);
        print_message("field %zu: max error %.2e px, inliers %.3f\n", i, err, (double)fit.inliers);
        assert_true(err < TOL_EXACT);
        assert_true(fit.inliers == 1.0f);
        assert_int_equal(fit.kept, s->n);
        /* head_dx, head_dy: the motion at the face centre. */
        double cx = SIDE / 2.0;
        assert_true(fabs(fit.au[0] - (fields[i].h[0] + fields[i].h[1] * cx + fields[i].h[2] * cx)) < TOL_EXACT);
        assert_true(fabs(fit.av[0] - (fields[i].h[3] + fields[i].h[4] * cx + fields[i].h[5] * cx)) < TOL_EXACT);
    }
}

/* A quarter of the samples moving on their own (an expression: a block of
 * the lower face 4 px down, far outside the residual scale; a movement of
 * a few residual scales is partly taken up by the fit, as docs/motion.md
 * says of fit_exclude) and 5 % gross errors: the head motion is recovered,
 * and exactly the outliers get zero weight. */
static void test_outliers(void **state)
{
    (void)state;
    Samples *s = &g_s;
    const Field f = similarity(0.015, 1.01, 48, 48, 0.8, -0.3);
    grid(s, &f, 2);
    srand(15);
    int nout = 0;
    unsigned char *bad = calloc((size_t)s->n, 1);
    assert_non_null(bad);
    for (int i = 0; i < s->n; i++) {
        if (s->y[i] >= 60 && s->x[i] >= 24 && s->x[i] < 72) {
            s->v[i] += 4.0f; /* the mouth opening */
            bad[i] = 1;
        } else if (rand() % 20 == 0) {
            s->u[i] += (float)(rand() % 2 ? 6 : -6);
            s->v[i] += (float)(rand() % 2 ? 4 : -4);
            bad[i] = 1;
        }
        nout += bad[i];
    }
    assert_true(nout > s->n / 5 && nout < s->n / 3);
    EmoHeadSamples hs = view(s);
    EmoHeadFit fit;
    assert_int_equal(emo__headfit_robust(&hs, SIDE / 2.0, s->w, s->r, &fit), 0);
    double err = field_error(&fit, &f);
    print_message("%d of %d samples outliers: max error %.2e px, inliers %.3f\n", nout, s->n, err,
                  (double)fit.inliers);
    assert_true(err < TOL_OUTLIERS);
    for (int i = 0; i < s->n; i++)
        assert_true(bad[i] ? s->w[i] == 0.0f : s->w[i] > 0.9f);
    assert_int_equal(fit.kept, s->n - nout);
    assert_true(fabs(fit.inliers - (double)(s->n - nout) / s->n) < 1e-6);
    free(bad);
}

/* Samples on one line cannot give a slope across it: the fit falls back to
 * the translation; fewer than EMO_HEADFIT_MIN_SAMPLES are refused. */
static void test_degenerate(void **state)
{
    (void)state;
    Samples *s = &g_s;
    s->n = 0;
    for (int x = 10; x < 90; x += 2) {
        s->x[s->n] = (float)x;
        s->y[s->n] = 40;
        s->u[s->n] = 0.5f;
        s->v[s->n] = -0.25f;
        s->n++;
    }
    EmoHeadSamples hs = view(s);
    EmoHeadFit fit;
    assert_int_equal(emo__headfit_robust(&hs, SIDE / 2.0, s->w, s->r, &fit), 0);
    assert_true(fabs(fit.au[0] - 0.5) < 1e-9 && fabs(fit.av[0] + 0.25) < 1e-9);
    assert_true(fit.au[1] == 0 && fit.au[2] == 0 && fit.av[1] == 0 && fit.av[2] == 0);
    /* Too few samples: refused, fit untouched. */
    hs.n = EMO_HEADFIT_MIN_SAMPLES - 1;
    memset(&fit, 0x5a, sizeof(fit));
    EmoHeadFit before = fit;
    assert_int_equal(emo__headfit_robust(&hs, SIDE / 2.0, s->w, s->r, &fit), EMO_EINVAL);
    assert_memory_equal(&fit, &before, sizeof(fit));
    hs.n = 0;
    assert_int_equal(emo__headfit_robust(&hs, SIDE / 2.0, s->w, s->r, &fit), EMO_EINVAL);
    /* No weight at all: no solution. */
    const double zero[3][3] = { { 0 } }, r[3] = { 1, 2, 3 };
    double a[3];
    assert_int_equal(emo__headfit_solve3(zero, r, a), -1);
}

/* The fit without a part equals a direct fit on the rest; taking nearly
 * all of the weight away is refused. */
static void test_without_part(void **state)
{
    (void)state;
    Samples *s = &g_s;
    const Field f = similarity(0.01, 1.0, 48, 48, 0.2, 0.1);
    grid(s, &f, 3);
    const double c = SIDE / 2.0;
    EmoHeadNormal all, part, rest;
    memset(&all, 0, sizeof(all));
    memset(&part, 0, sizeof(part));
    memset(&rest, 0, sizeof(rest));
    for (int i = 0; i < s->n; i++) {
        const double b[3] = { 1, s->x[i] - c, s->y[i] - c };
        int in_part = s->x[i] < 40;
        /* The part moves differently: the rest alone gives f. */
        double u = s->u[i] + (in_part ? 1.5 : 0), v = s->v[i];
        emo__headfit_normal_add(&all, b, 1.0, u, v);
        emo__headfit_normal_add(in_part ? &part : &rest, b, 1.0, u, v);
    }
    double au[3], av[3], ru[3], rv[3];
    assert_int_equal(emo__headfit_normal_solve_without(&all, &part, au, av), 0);
    assert_int_equal(emo__headfit_solve3(rest.g, rest.gu, ru), 0);
    assert_int_equal(emo__headfit_solve3(rest.g, rest.gv, rv), 0);
    for (int j = 0; j < 3; j++)
        assert_true(fabs(au[j] - ru[j]) < 1e-9 && fabs(av[j] - rv[j]) < 1e-9);
    EmoHeadFit fit = { .c = c };
    memcpy(fit.au, au, sizeof(au));
    memcpy(fit.av, av, sizeof(av));
    assert_true(field_error(&fit, &f) < TOL_EXACT);
    /* Leaving under a tenth of the weight: refused. */
    assert_int_equal(emo__headfit_normal_solve_without(&all, &all, au, av), -1);
}

/* Subtracting the fitted field leaves a still face still, and the flow of
 * a region moving on its own as its own. */
static void test_apply(void **state)
{
    (void)state;
    static float u[SIDE * SIDE], v[SIDE * SIDE];
    const Field f = similarity(-0.02, 0.99, 48, 48, -0.6, 0.9);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            u[y * SIDE + x] = (float)(f.h[0] + f.h[1] * x + f.h[2] * y);
            v[y * SIDE + x] = (float)(f.h[3] + f.h[4] * x + f.h[5] * y) + (y > 70 ? 1.0f : 0.0f);
        }
    float h[6];
    for (int i = 0; i < 6; i++)
        h[i] = (float)f.h[i];
    emo__headfit_apply(u, v, SIDE, SIDE, SIDE, h);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            assert_true(fabsf(u[y * SIDE + x]) < 1e-4f);
            assert_true(fabsf(v[y * SIDE + x] - (y > 70 ? 1.0f : 0.0f)) < 1e-4f);
        }
}

static void test_select_k(void **state)
{
    (void)state;
    float a[101];
    for (int i = 0; i < 101; i++)
        a[i] = (float)((i * 37) % 101); /* a permutation of 0..100 */
    for (int k = 0; k < 101; k += 10) {
        float b[101];
        memcpy(b, a, sizeof(a));
        assert_true(emo__select_k(b, 101, k) == (float)k);
    }
    float same[9] = { 2, 2, 2, 2, 2, 2, 2, 2, 2 };
    assert_true(emo__select_k(same, 9, 4) == 2.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_motions), cmocka_unit_test(test_outliers), cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_without_part),  cmocka_unit_test(test_apply),    cmocka_unit_test(test_select_k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
