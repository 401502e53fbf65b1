/* Robust affine fit of the head's motion from flow samples (headfit.h). */
#include <math.h>
#include <string.h>

#include <emoscope/core.h>

#include "headfit.h"

#define IRLS_ITERS 6      /* reweighting passes: a fixed number, a fixed cost per frame */
#define TUKEY_C 4.685     /* Tukey biweight constant, in robust standard deviations (95 % efficiency) */
#define MAD_SIGMA 1.4826  /* median absolute deviation to standard deviation (Gaussian) */
#define MIN_SIGMA 0.05    /* px: floor of the residual scale (sub-noise fits) */
#define SINGULAR 1e-9     /* |det| under this x (total weight)^3: the samples lie on a line */
#define TINY 1e-30        /* keeps a zero determinant singular when the weights underflow */
/* Fewest of the weight left once a part is taken out, for a fit of the rest. */
#define MIN_REST 0.1

float emo__select_k(float *a, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return a[k];
}

static double det3(const double t[3][3])
{
    return t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
           t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0]);
}

int emo__headfit_solve3(const double s[3][3], const double r[3], double a[3])
{
    if (!(s[0][0] > 0))
        return -1;
    double det = det3(s);
    if (!(fabs(det) > SINGULAR * s[0][0] * s[0][0] * s[0][0] + TINY)) {
        a[0] = r[0] / s[0][0];
        a[1] = a[2] = 0;
        return 0;
    }
    for (int j = 0; j < 3; j++) {
        double t[3][3];
        memcpy(t, s, sizeof(t));
        for (int k = 0; k < 3; k++)
            t[k][j] = r[k];
        a[j] = det3(t) / det;
    }
    return 0;
}

/* Weighted least squares of q = a0 + a1 (x - c) + a2 (y - c) over the samples. */
static int wls3(const float *x, const float *y, const float *q, const float *w, int n, double c, double a[3])
{
    double s[3][3] = { { 0 } }, r[3] = { 0 };
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        double b[3] = { 1, x[i] - c, y[i] - c };
        for (int j = 0; j < 3; j++) {
            r[j] += w[i] * b[j] * q[i];
            for (int k = 0; k < 3; k++)
                s[j][k] += w[i] * b[j] * b[k];
        }
    }
    return emo__headfit_solve3(s, r, a);
}

int emo__headfit_robust(const EmoHeadSamples *s, double c, float *w, float *r, EmoHeadFit *fit)
{
    const int n = s->n;
    if (n < EMO_HEADFIT_MIN_SAMPLES)
        return EMO_EINVAL;
    double au[3] = { 0, 0, 0 }, av[3] = { 0, 0, 0 };
    /* Start from the median translation: robust to any minority of outliers. */
    memcpy(r, s->u, (size_t)n * sizeof(float));
    au[0] = emo__select_k(r, n, n / 2);
    memcpy(r, s->v, (size_t)n * sizeof(float));
    av[0] = emo__select_k(r, n, n / 2);
    int kept = n;
    for (int it = 0; it < IRLS_ITERS; it++) {
        for (int i = 0; i < n; i++) {
            double x = s->x[i] - c, y = s->y[i] - c;
            /* sqrt, not hypot: flows of a few pixels cannot overflow, and
             * glibc's hypot was 3% of a 4-face pipeline's CPU. */
            double ru = s->u[i] - (au[0] + au[1] * x + au[2] * y), rv = s->v[i] - (av[0] + av[1] * x + av[2] * y);
            r[i] = (float)sqrt(ru * ru + rv * rv);
        }
        memcpy(w, r, (size_t)n * sizeof(float));
        double sigma = MAD_SIGMA * emo__select_k(w, n, n / 2);
        if (sigma < MIN_SIGMA)
            sigma = MIN_SIGMA;
        double cut = TUKEY_C * sigma;
        kept = 0;
        for (int i = 0; i < n; i++) {
            double t = r[i] / cut;
            w[i] = t < 1 ? (float)((1 - t * t) * (1 - t * t)) : 0.0f;
            kept += t < 1;
        }
        double nu[3], nv[3];
        if (wls3(s->x, s->y, s->u, w, n, c, nu) || wls3(s->x, s->y, s->v, w, n, c, nv))
            break;
        memcpy(au, nu, sizeof(au));
        memcpy(av, nv, sizeof(av));
    }
    memcpy(fit->au, au, sizeof(au));
    memcpy(fit->av, av, sizeof(av));
    fit->c = c;
    fit->kept = kept;
    fit->inliers = (float)kept / (float)n;
    return 0;
}

void emo__headfit_normal_add(EmoHeadNormal *ne, const double b[3], double w, double u, double v)
{
    const double su = w * u, sv = w * v;
    for (int j = 0; j < 3; j++) {
        ne->gu[j] += b[j] * su;
        ne->gv[j] += b[j] * sv;
        for (int k = 0; k < 3; k++)
            ne->g[j][k] += w * b[j] * b[k];
    }
}

int emo__headfit_normal_solve_without(const EmoHeadNormal *all, const EmoHeadNormal *part, double au[3],
                                      double av[3])
{
    double a[3][3], bu[3], bv[3];
    for (int j = 0; j < 3; j++) {
        bu[j] = all->gu[j] - part->gu[j];
        bv[j] = all->gv[j] - part->gv[j];
        for (int k = 0; k < 3; k++)
            a[j][k] = all->g[j][k] - part->g[j][k];
    }
    if (!(a[0][0] > MIN_REST * all->g[0][0]) || emo__headfit_solve3(a, bu, au) || emo__headfit_solve3(a, bv, av))
        return -1;
    return 0;
}

void emo__headfit_absolute(const double au[3], const double av[3], double c, float h[6])
{
    h[0] = (float)(au[0] - au[1] * c - au[2] * c);
    h[1] = (float)au[1];
    h[2] = (float)au[2];
    h[3] = (float)(av[0] - av[1] * c - av[2] * c);
    h[4] = (float)av[1];
    h[5] = (float)av[2];
}

void emo__headfit_apply(float *u, float *v, int w, int h, ptrdiff_t stride, const float head[6])
{
    for (int y = 0; y < h; y++) {
        float *ur = u + (size_t)y * (size_t)stride, *vr = v + (size_t)y * (size_t)stride;
        for (int x = 0; x < w; x++) {
            ur[x] -= head[0] + head[1] * (float)x + head[2] * (float)y;
            vr[x] -= head[3] + head[4] * (float)x + head[5] * (float)y;
        }
    }
}
