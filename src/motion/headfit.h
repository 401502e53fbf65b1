/* Head-motion fitting: pure maths on flow samples, no motion handle.
 * The head's motion over a frame pair is an affine field
 *   u = a0 + a1 (x - c) + a2 (y - c),  v = b0 + b1 (x - c) + b2 (y - c)
 * about a centre c (the face centre keeps the normal equations well
 * conditioned), fitted robustly (IRLS with Tukey's biweight) to samples of
 * the optical flow, so that what moves on its own (an expression) is
 * discounted. See docs/motion.md, "Head-motion compensation". */
#ifndef EMOSCOPE_MOTION_HEADFIT_H
#define EMOSCOPE_MOTION_HEADFIT_H

#include <stddef.h>

/* Fewest samples a fit is tried on: 3 parameters per component, with
 * enough over them that the median and MAD mean something. */
#define EMO_HEADFIT_MIN_SAMPLES 8

/* Flow samples: n positions (x, y) and the flow (u, v) there, px. */
typedef struct EmoHeadSamples {
    const float *x, *y, *u, *v;
    int n;
} EmoHeadSamples;

/* A fit, centred on c: u = au[0] + au[1] (x - c) + au[2] (y - c), v likewise with av. */
typedef struct EmoHeadFit {
    double au[3], av[3];
    double c;
    int kept;        /* samples inside the final Tukey cut */
    float inliers;   /* kept / n */
} EmoHeadFit;

/* Weighted normal equations of one affine fit (both components share the
 * matrix): g = sum w b b^T, gu = sum b (w u), gv = sum b (w v), with
 * b = (1, x - c, y - c). Sums of parts of the samples can be subtracted. */
typedef struct EmoHeadNormal {
    double g[3][3], gu[3], gv[3];
} EmoHeadNormal;

/* Robust fit to s about centre c. w and r are scratch of s->n floats; on
 * return w holds each sample's final weight (0 for outliers). EMO_EINVAL
 * (fit untouched) with fewer than EMO_HEADFIT_MIN_SAMPLES samples. A
 * degenerate spread (samples on a line) fits the translation only. */
int emo__headfit_robust(const EmoHeadSamples *s, double c, float *w, float *r, EmoHeadFit *fit);
/* Solves s a = r for a 3-parameter fit (s[0][0] the total weight) by
 * Cramer's rule; translation only when s is singular; -1 without weight. */
int emo__headfit_solve3(const double s[3][3], const double r[3], double a[3]);
/* Adds one sample (b = (1, x - c, y - c), weight w, flow u, v) to ne. */
void emo__headfit_normal_add(EmoHeadNormal *ne, const double b[3], double w, double u, double v);
/* Solves the fit of the samples of all that are not in part (all - part).
 * -1 where under a tenth of all's weight is left (too little of the face
 * to fit the head on) or the rest has none. */
int emo__headfit_normal_solve_without(const EmoHeadNormal *all, const EmoHeadNormal *part, double au[3],
                                      double av[3]);
/* Centred coefficients (au, av about c) as absolute ones: u = h0 + h1 x + h2 y, v = h3 + h4 x + h5 y. */
void emo__headfit_absolute(const double au[3], const double av[3], double c, float h[6]);
/* Subtracts the affine field h (absolute) from u and v: w x h pixels, row stride in floats. */
void emo__headfit_apply(float *u, float *v, int w, int h, ptrdiff_t stride, const float head[6]);
/* k-th smallest of a[0..n-1] (reorders a). */
float emo__select_k(float *a, int n, int k);

#endif
