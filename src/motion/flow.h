/* Private: pyramidal Farneback optical flow (polynomial expansion), its
 * per-size workspace and the kernels that have a plain-C reference and
 * vectorised versions. */
#ifndef EMOSCOPE_MOTION_FLOW_H
#define EMOSCOPE_MOTION_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/motion.h>

#include "core/cpu.h"

#define EMO__FLOW_MAX_LEVELS 9
#define EMO__FLOW_MAX_POLY_N 3   /* half-width n of the (2n+1)^2 expansion neighbourhood */

/* Polynomial expansion of one image, f(p) ~ p'Ap + b'p + c around each pixel:
 * five planes, bx, by, axx, ayy and axy (coefficient of the x*y term, so
 * A = [axx axy/2; axy/2 ayy]). */
enum { EMO__PX = 0, EMO__PY, EMO__PXX, EMO__PYY, EMO__PXY, EMO__NPOLY };
/* Per-pixel normal equations of the displacement: G = [g11 g12; g12 g22], h. */
enum { EMO__G11 = 0, EMO__G12, EMO__G22, EMO__H1, EMO__H2, EMO__NMAT };

typedef struct EmoFlowPoly {
    float g[2 * EMO__FLOW_MAX_POLY_N + 1];   /* Gaussian applicability, 1D, index i + n */
    float gx[2 * EMO__FLOW_MAX_POLY_N + 1];  /* g * i */
    float gxx[2 * EMO__FLOW_MAX_POLY_N + 1]; /* g * i^2 */
    int n;                                 /* half-width */
    /* Entries of the inverse Gram matrix that are not zero by symmetry. */
    float ix, iy, ixy;                     /* for bx, by, axy */
    float i_xx_1, i_xx_xx, i_xx_yy;        /* axx from r1, rxx, ryy (ayy mirrors it) */
} EmoFlowPoly;

/* Kernels. Rows are float, contiguous; widths are pixels. */
typedef struct EmoFlowDsp {
    const char *name;
    /* Horizontal pass of the expansion: src points at x = 0 of a row padded
     * by n replicated pixels each side. h0 = sum g f, h1 = sum g x f,
     * h2 = sum g x^2 f. */
    void (*poly_row)(const float *src, int w, const EmoFlowPoly *k, float *h0, float *h1, float *h2);
    /* Vertical pass and the inverse Gram matrix: rows[j] for j = 0..2n are
     * the rows y-n..y+n of h0/h1/h2; out[5] are the rows of the result. */
    void (*poly_col)(const float *const *h0, const float *const *h1, const float *const *h2, int w,
                     const EmoFlowPoly *k, float *const *out);
    /* Normal equations for row y: r0 are rows y of the expansion of the first
     * image, r1 full planes of the second (sampled bilinearly at x + d),
     * u, v the current flow of row y; out[5] rows of G and h. */
    void (*update_row)(const float *const *r0, const float *const *r1, const float *u, const float *v,
                       int w, int h, int y, float *const *out);
    /* Vertical running box sum of radius r over a w x h plane (zero outside). */
    void (*box_col)(const float *src, float *dst, int w, int h, int r);
    /* Solves (G + lambda I) d = h + lambda d_prior for n pixels; u, v hold the
     * prior on entry and the result on exit. */
    void (*solve)(const float *const *m, float *u, float *v, int n, float lambda);
} EmoFlowDsp;

/* The plain-C kernels, then those of each CPU feature in flags over them
 * (core/cpu.h's pattern). */
void emo__flow_dsp_init(EmoFlowDsp *dsp, unsigned flags);
#if EMO_ARCH_X86
/* Fill every entry with the x86/ kernels; called only for present flags. */
void emo__flow_dsp_init_sse2(EmoFlowDsp *dsp);
void emo__flow_dsp_init_avx2(EmoFlowDsp *dsp);
#endif
/* The reference solve of pixels i..n-1 (the C kernel, and the SIMD kernels' tails). */
void emo__flow_solve_from(const float *const *m, float *u, float *v, int i, int n, float lambda);
/* Shared scalar horizontal running box sum (one row). */
void emo__box_row(const float *src, float *dst, int w, int r);

/* One image's pyramid and expansions, kept between frames so that a stream
 * expands each frame once. */
typedef struct EmoFlowFrame {
    float *img[EMO__FLOW_MAX_LEVELS];
    float *poly[EMO__FLOW_MAX_LEVELS][EMO__NPOLY];
    int valid;
} EmoFlowFrame;

typedef struct EmoFlowCore EmoFlowCore;

/* Opens the workspace for images of w x h; impl masks the CPU flags the
 * kernels are chosen by (once, here). */
int emo__flow_core_open(EmoFlowCore **out, const EmoFlowSettings *s);
void emo__flow_core_close(EmoFlowCore **c);
int emo__flow_frame_alloc(const EmoFlowCore *c, EmoFlowFrame *f);
void emo__flow_frame_free(EmoFlowFrame *f);
/* Builds the pyramid and expansions of an 8-bit image. */
void emo__flow_frame_set(EmoFlowCore *c, EmoFlowFrame *f, const uint8_t *img, ptrdiff_t stride);
/* Dense flow from a to b: b(p + d(p)) ~ a(p); u, v are w*h planes. */
void emo__flow_core_run(EmoFlowCore *c, const EmoFlowFrame *a, const EmoFlowFrame *b, float *u, float *v);
const char *emo__flow_core_impl(const EmoFlowCore *c);
/* Switches the kernels (benchmarks, tests); EMO_EUNSUPPORTED if unavailable. */
int emo__flow_core_set_impl(EmoFlowCore *c, EmoFlowImpl impl);
int emo__flow_core_levels(const EmoFlowCore *c);

#endif
