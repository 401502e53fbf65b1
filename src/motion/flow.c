/* Pyramidal Farneback optical flow, after G. Farneback, "Two-frame motion
 * estimation based on polynomial expansion", SCIA 2003:
 *  - each image is approximated around every pixel by a quadratic polynomial
 *    f(p) ~ p'Ap + b'p + c, fitted by weighted least squares with a Gaussian
 *    applicability; with separable basis functions the fit is a handful of 1D
 *    correlations followed by the (constant) inverse Gram matrix;
 *  - a displacement d maps f1 onto f2 = f1(p - d), so A2 = A1 and
 *    b2 = b1 - 2 A1 d; with a prior d~ the equation A d = db, where
 *    A = (A1(p) + A2(p + d~)) / 2 and db = (b1(p) - b2(p + d~)) / 2 + A d~,
 *    is solved in the least-squares sense over a window around each pixel;
 *  - coarse-to-fine over a pyramid, a few iterations per level.
 * A small Tikhonov term pulls d towards the prior where the window has no
 * texture (where the normal equations are singular). */
#define _POSIX_C_SOURCE 200809L
#include "flow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_LEVEL_SIDE 32
#define MAX_SIDE 8192
/* Tikhonov weight per window pixel, in (gray level / px^2)^2: tiny next to
 * any textured window (see docs/motion.md). */
#define LAMBDA_PER_PX 1e-3f

struct EmoFlowCore {
    EmoFlowSettings s;
    EmoFlowDsp dsp;
    EmoFlowPoly poly;
    int nlev;
    int lw[EMO__FLOW_MAX_LEVELS], lh[EMO__FLOW_MAX_LEVELS];
    float *gk[EMO__FLOW_MAX_LEVELS]; /* pyramid anti-alias kernels (index 0 unused) */
    int gr[EMO__FLOW_MAX_LEVELS];
    int win_r;
    float lambda;
    float *row;       /* padded row */
    float *hb[3];     /* horizontal expansion passes */
    float *mat[EMO__NMAT];
    float *tmp;
    float *fu, *fv, *pu, *pv;
    float *blur, *blur2;
    float *img0;      /* 8-bit input as float */
};

static void *xcalloc(size_t n, size_t size)
{
    return n && size ? calloc(n, size) : NULL;
}

static int invert6(double a[6][6], double inv[6][6])
{
    double m[6][12];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 12; j++)
            m[i][j] = j < 6 ? a[i][j] : (j - 6 == i ? 1.0 : 0.0);
    for (int c = 0; c < 6; c++) {
        int p = c;
        for (int r = c + 1; r < 6; r++)
            if (fabs(m[r][c]) > fabs(m[p][c]))
                p = r;
        if (fabs(m[p][c]) < 1e-12)
            return -1;
        for (int j = 0; j < 12; j++) {
            double t = m[c][j];
            m[c][j] = m[p][j];
            m[p][j] = t;
        }
        double d = m[c][c];
        for (int j = 0; j < 12; j++)
            m[c][j] /= d;
        for (int r = 0; r < 6; r++) {
            if (r == c)
                continue;
            double f = m[r][c];
            for (int j = 0; j < 12; j++)
                m[r][j] -= f * m[c][j];
        }
    }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            inv[i][j] = m[i][j + 6];
    return 0;
}

/* Gaussian applicability and the inverse of the Gram matrix of the basis
 * {1, x, y, x^2, y^2, xy} under it. */
static int poly_setup(EmoFlowPoly *k, int poly_n, double sigma)
{
    int n = poly_n / 2;
    double g[2 * EMO__FLOW_MAX_POLY_N + 1], sum = 0;
    for (int i = -n; i <= n; i++)
        sum += g[i + n] = exp(-(double)(i * i) / (2 * sigma * sigma));
    for (int i = -n; i <= n; i++)
        g[i + n] /= sum;
    double G[6][6] = { { 0 } }, inv[6][6];
    for (int y = -n; y <= n; y++)
        for (int x = -n; x <= n; x++) {
            double b[6] = { 1, x, y, (double)x * x, (double)y * y, (double)x * y };
            double wgt = g[x + n] * g[y + n];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    G[i][j] += wgt * b[i] * b[j];
        }
    if (invert6(G, inv))
        return -1;
    k->n = n;
    for (int i = -n; i <= n; i++) {
        k->g[i + n] = (float)g[i + n];
        k->gx[i + n] = (float)(g[i + n] * i);
        k->gxx[i + n] = (float)(g[i + n] * i * i);
    }
    k->ix = (float)inv[1][1];
    k->iy = (float)inv[2][2];
    k->ixy = (float)inv[5][5];
    k->i_xx_1 = (float)inv[3][0];
    k->i_xx_xx = (float)inv[3][3];
    k->i_xx_yy = (float)inv[3][4];
    return 0;
}

/* The kernels for impl: a forced implementation is a mask over the CPU's
 * flags (the table below it is never chosen), AUTO the flags themselves. */
static int select_dsp(EmoFlowDsp *d, EmoFlowImpl impl)
{
    unsigned need = 0, flags = emo__cpu_flags();
    switch (impl) {
    case EMO_FLOW_IMPL_AUTO:
        break;
    case EMO_FLOW_IMPL_C:
        flags = 0;
        break;
    case EMO_FLOW_IMPL_SSE2:
        need = EMO__CPU_SSE2;
        flags &= need;
        break;
    case EMO_FLOW_IMPL_AVX2:
        need = EMO__CPU_AVX2;
        flags &= EMO__CPU_SSE2 | EMO__CPU_AVX2;
        break;
    default:
        return EMO_EINVAL;
    }
    if ((flags & need) != need)
        return EMO_EUNSUPPORTED;
    emo__flow_dsp_init(d, flags);
    return 0;
}

static int check_settings(const EmoFlowSettings *s)
{
    const EmoLogger *lg = s->log;
    if (s->width < 8 || s->height < 8 || s->width > MAX_SIDE || s->height > MAX_SIDE) {
        emo_log(lg, EMO_LOG_ERROR, "flow: image size %dx%d outside 8..%d", s->width, s->height, MAX_SIDE);
        return EMO_EINVAL;
    }
    if (s->levels < 0 || s->levels > EMO__FLOW_MAX_LEVELS - 1 || !(s->pyr_scale >= 0.1 && s->pyr_scale <= 0.9)) {
        emo_log(lg, EMO_LOG_ERROR, "flow: levels %d (0..%d) or pyr_scale %g (0.1..0.9) out of range", s->levels,
                EMO__FLOW_MAX_LEVELS - 1, s->pyr_scale);
        return EMO_EINVAL;
    }
    if (s->winsize < 3 || s->winsize > 101 || s->iterations < 1 || s->iterations > 50) {
        emo_log(lg, EMO_LOG_ERROR, "flow: winsize %d (3..101) or iterations %d (1..50) out of range", s->winsize,
                s->iterations);
        return EMO_EINVAL;
    }
    if ((s->poly_n != 5 && s->poly_n != 7) || !(s->poly_sigma >= 0.1 && s->poly_sigma <= 10)) {
        emo_log(lg, EMO_LOG_ERROR, "flow: poly_n %d (5 or 7) or poly_sigma %g (0.1..10) out of range", s->poly_n,
                s->poly_sigma);
        return EMO_EINVAL;
    }
    return 0;
}

void emo__flow_core_close(EmoFlowCore **pc)
{
    if (!pc || !*pc)
        return;
    EmoFlowCore *c = *pc;
    for (int k = 0; k < EMO__FLOW_MAX_LEVELS; k++)
        free(c->gk[k]);
    free(c->row);
    for (int i = 0; i < 3; i++)
        free(c->hb[i]);
    for (int i = 0; i < EMO__NMAT; i++)
        free(c->mat[i]);
    free(c->tmp);
    free(c->fu);
    free(c->fv);
    free(c->pu);
    free(c->pv);
    free(c->blur);
    free(c->blur2);
    free(c->img0);
    free(c);
    *pc = NULL;
}

int emo__flow_core_open(EmoFlowCore **out, const EmoFlowSettings *s)
{
    if (!out || !s)
        return EMO_EINVAL;
    *out = NULL;
    int err = check_settings(s);
    if (err)
        return err;
    EmoFlowCore *c = calloc(1, sizeof(*c));
    if (!c)
        return EMO_ENOMEM;
    err = EMO_ENOMEM;
    c->s = *s;
    if (poly_setup(&c->poly, s->poly_n, s->poly_sigma)) {
        err = EMO_EINVAL;
        goto fail;
    }
    if ((err = select_dsp(&c->dsp, s->impl))) {
        if (err == EMO_EUNSUPPORTED)
            emo_log(s->log, EMO_LOG_ERROR, "flow: the kernels asked for (%d) are not supported by this CPU or build",
                    (int)s->impl);
        goto fail;
    }
    const int w = s->width, h = s->height;
    c->lw[0] = w;
    c->lh[0] = h;
    c->nlev = 1;
    double scale = 1.0;
    for (int k = 1; k <= s->levels; k++) {
        scale *= s->pyr_scale;
        int lw = (int)lround(w * scale), lh = (int)lround(h * scale);
        if (lw < MIN_LEVEL_SIDE || lh < MIN_LEVEL_SIDE)
            break;
        c->lw[k] = lw;
        c->lh[k] = lh;
        /* Anti-alias blur before resampling to this scale. */
        double sigma = (1.0 / scale - 1.0) * 0.5;
        int r = (int)ceil(3 * sigma);
        if (r < 1)
            r = 1;
        c->gr[k] = r;
        if (!(c->gk[k] = xcalloc((size_t)(2 * r + 1), sizeof(float))))
            goto fail;
        double sum = 0;
        for (int i = -r; i <= r; i++)
            sum += exp(-(double)(i * i) / (2 * sigma * sigma));
        for (int i = -r; i <= r; i++)
            c->gk[k][i + r] = (float)(exp(-(double)(i * i) / (2 * sigma * sigma)) / sum);
        c->nlev++;
    }
    c->win_r = s->winsize / 2;
    c->lambda = LAMBDA_PER_PX * (float)((2 * c->win_r + 1) * (2 * c->win_r + 1));
    size_t n = (size_t)w * (size_t)h;
    int maxr = c->poly.n;
    for (int k = 1; k < c->nlev; k++)
        if (c->gr[k] > maxr)
            maxr = c->gr[k];
    int side = w > h ? w : h;
    if (!(c->row = xcalloc((size_t)(side + 2 * maxr + 16), sizeof(float))))
        goto fail;
    for (int i = 0; i < 3; i++)
        if (!(c->hb[i] = xcalloc(n, sizeof(float))))
            goto fail;
    for (int i = 0; i < EMO__NMAT; i++)
        if (!(c->mat[i] = xcalloc(n, sizeof(float))))
            goto fail;
    if (!(c->tmp = xcalloc(n, sizeof(float))) || !(c->fu = xcalloc(n, sizeof(float))) ||
        !(c->fv = xcalloc(n, sizeof(float))) || !(c->pu = xcalloc(n, sizeof(float))) ||
        !(c->pv = xcalloc(n, sizeof(float))) || !(c->blur = xcalloc(n, sizeof(float))) ||
        !(c->blur2 = xcalloc(n, sizeof(float))) || !(c->img0 = xcalloc(n, sizeof(float))))
        goto fail;
    *out = c;
    return 0;
fail:
    emo__flow_core_close(&c);
    return err;
}

int emo__flow_core_set_impl(EmoFlowCore *c, EmoFlowImpl impl)
{
    EmoFlowDsp d;
    int err = select_dsp(&d, impl);
    if (!err)
        c->dsp = d;
    return err;
}

const char *emo__flow_core_impl(const EmoFlowCore *c)
{
    return c->dsp.name;
}

int emo__flow_core_levels(const EmoFlowCore *c)
{
    return c->nlev;
}

void emo__flow_frame_free(EmoFlowFrame *f)
{
    if (!f)
        return;
    for (int k = 0; k < EMO__FLOW_MAX_LEVELS; k++) {
        free(f->img[k]);
        for (int i = 0; i < EMO__NPOLY; i++)
            free(f->poly[k][i]);
    }
    memset(f, 0, sizeof(*f));
}

int emo__flow_frame_alloc(const EmoFlowCore *c, EmoFlowFrame *f)
{
    memset(f, 0, sizeof(*f));
    for (int k = 0; k < c->nlev; k++) {
        size_t n = (size_t)c->lw[k] * (size_t)c->lh[k];
        if (!(f->img[k] = xcalloc(n, sizeof(float))))
            goto fail;
        for (int i = 0; i < EMO__NPOLY; i++)
            if (!(f->poly[k][i] = xcalloc(n, sizeof(float))))
                goto fail;
    }
    return 0;
fail:
    emo__flow_frame_free(f);
    return EMO_ENOMEM;
}

/* Separable Gaussian blur with replicated borders. */
static void gauss_blur(EmoFlowCore *c, const float *src, float *dst, int w, int h, const float *g, int r)
{
    float *row = c->row;
    float *t = c->blur2;
    for (int y = 0; y < h; y++) {
        const float *s = src + (size_t)y * (size_t)w;
        for (int x = -r; x < w + r; x++)
            row[x + r] = s[x < 0 ? 0 : x >= w ? w - 1 : x];
        float *d = t + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            float acc = 0;
            for (int i = 0; i <= 2 * r; i++)
                acc += g[i] * row[x + i];
            d[x] = acc;
        }
    }
    for (int y = 0; y < h; y++) {
        float *d = dst + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            d[x] = 0;
        for (int i = -r; i <= r; i++) {
            int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
            const float *s = t + (size_t)yy * (size_t)w;
            float gi = g[i + r];
            for (int x = 0; x < w; x++)
                d[x] += gi * s[x];
        }
    }
}

/* Bilinear resampling of a plane (pixel centres aligned). */
static void resample(const float *src, int sw, int sh, float *dst, int dw, int dh, float mul)
{
    float fx = (float)sw / (float)dw, fy = (float)sh / (float)dh;
    for (int y = 0; y < dh; y++) {
        float sy = ((float)y + 0.5f) * fy - 0.5f;
        if (sy < 0)
            sy = 0;
        if (sy > (float)(sh - 1))
            sy = (float)(sh - 1);
        int y0 = (int)sy, y1 = y0 + 1 < sh ? y0 + 1 : y0;
        float ay = sy - (float)y0;
        const float *r0 = src + (size_t)y0 * (size_t)sw, *r1 = src + (size_t)y1 * (size_t)sw;
        float *d = dst + (size_t)y * (size_t)dw;
        for (int x = 0; x < dw; x++) {
            float sx = ((float)x + 0.5f) * fx - 0.5f;
            if (sx < 0)
                sx = 0;
            if (sx > (float)(sw - 1))
                sx = (float)(sw - 1);
            int x0 = (int)sx, x1 = x0 + 1 < sw ? x0 + 1 : x0;
            float ax = sx - (float)x0;
            float top = r0[x0] + ax * (r0[x1] - r0[x0]);
            float bot = r1[x0] + ax * (r1[x1] - r1[x0]);
            d[x] = mul * (top + ay * (bot - top));
        }
    }
}

static void expand(EmoFlowCore *c, const float *img, int w, int h, float *const *out)
{
    const EmoFlowPoly *k = &c->poly;
    const int n = k->n;
    float *row = c->row;
    for (int y = 0; y < h; y++) {
        const float *s = img + (size_t)y * (size_t)w;
        for (int x = -n; x < w + n; x++)
            row[x + n] = s[x < 0 ? 0 : x >= w ? w - 1 : x];
        size_t o = (size_t)y * (size_t)w;
        c->dsp.poly_row(row + n, w, k, c->hb[0] + o, c->hb[1] + o, c->hb[2] + o);
    }
    const float *r0[2 * EMO__FLOW_MAX_POLY_N + 1], *r1[2 * EMO__FLOW_MAX_POLY_N + 1],
        *r2[2 * EMO__FLOW_MAX_POLY_N + 1];
    float *o5[EMO__NPOLY];
    for (int y = 0; y < h; y++) {
        for (int j = -n; j <= n; j++) {
            int yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
            size_t o = (size_t)yy * (size_t)w;
            r0[j + n] = c->hb[0] + o;
            r1[j + n] = c->hb[1] + o;
            r2[j + n] = c->hb[2] + o;
        }
        for (int i = 0; i < EMO__NPOLY; i++)
            o5[i] = out[i] + (size_t)y * (size_t)w;
        c->dsp.poly_col(r0, r1, r2, w, k, o5);
    }
}

void emo__flow_frame_set(EmoFlowCore *c, EmoFlowFrame *f, const uint8_t *img, ptrdiff_t stride)
{
    const int w = c->lw[0], h = c->lh[0];
    for (int y = 0; y < h; y++) {
        const uint8_t *s = img + (ptrdiff_t)y * stride;
        float *d = f->img[0] + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            d[x] = (float)s[x];
    }
    for (int k = 1; k < c->nlev; k++) {
        gauss_blur(c, f->img[0], c->blur, w, h, c->gk[k], c->gr[k]);
        resample(c->blur, w, h, f->img[k], c->lw[k], c->lh[k], 1.0f);
    }
    for (int k = 0; k < c->nlev; k++)
        expand(c, f->img[k], c->lw[k], c->lh[k], f->poly[k]);
    f->valid = 1;
}

static void blur_mats(EmoFlowCore *c, int w, int h)
{
    const int r = c->win_r;
    for (int i = 0; i < EMO__NMAT; i++) {
        for (int y = 0; y < h; y++)
            emo__box_row(c->mat[i] + (size_t)y * (size_t)w, c->tmp + (size_t)y * (size_t)w, w, r);
        c->dsp.box_col(c->tmp, c->mat[i], w, h, r);
    }
}

void emo__flow_core_run(EmoFlowCore *c, const EmoFlowFrame *a, const EmoFlowFrame *b, float *u, float *v)
{
    for (int k = c->nlev - 1; k >= 0; k--) {
        const int w = c->lw[k], h = c->lh[k];
        const size_t n = (size_t)w * (size_t)h;
        if (k == c->nlev - 1) {
            memset(c->fu, 0, n * sizeof(float));
            memset(c->fv, 0, n * sizeof(float));
        } else {
            /* Flow of the coarser level, now in pu/pv, scaled to this one. */
            resample(c->pu, c->lw[k + 1], c->lh[k + 1], c->fu, w, h, (float)w / (float)c->lw[k + 1]);
            resample(c->pv, c->lw[k + 1], c->lh[k + 1], c->fv, w, h, (float)h / (float)c->lh[k + 1]);
        }
        const float *r0[EMO__NPOLY], *r1[EMO__NPOLY];
        float *m[EMO__NMAT];
        for (int it = 0; it < c->s.iterations; it++) {
            for (int y = 0; y < h; y++) {
                size_t o = (size_t)y * (size_t)w;
                for (int i = 0; i < EMO__NPOLY; i++) {
                    r0[i] = a->poly[k][i] + o;
                    r1[i] = b->poly[k][i];
                }
                for (int i = 0; i < EMO__NMAT; i++)
                    m[i] = c->mat[i] + o;
                c->dsp.update_row(r0, r1, c->fu + o, c->fv + o, w, h, y, m);
            }
            blur_mats(c, w, h);
            c->dsp.solve((const float *const *)c->mat, c->fu, c->fv, (int)n, c->lambda);
        }
        float *t = c->pu;
        c->pu = c->fu;
        c->fu = t;
        t = c->pv;
        c->pv = c->fv;
        c->fv = t;
    }
    memcpy(u, c->pu, (size_t)c->lw[0] * (size_t)c->lh[0] * sizeof(float));
    memcpy(v, c->pv, (size_t)c->lw[0] * (size_t)c->lh[0] * sizeof(float));
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */

struct EmoFlow {
    EmoFlowCore *core;
    EmoFlowFrame a, b;
    float *u, *v;
};

void emo_flow_default_settings(EmoFlowSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->width = 96;
    s->height = 96;
    s->levels = 3;
    s->pyr_scale = 0.5;
    s->winsize = 15;
    s->iterations = 3;
    s->poly_n = 5;
    s->poly_sigma = 1.1;
    s->impl = EMO_FLOW_IMPL_AUTO;
}

void emo_flow_close(EmoFlow **pf)
{
    if (!pf || !*pf)
        return;
    EmoFlow *f = *pf;
    emo__flow_core_close(&f->core);
    emo__flow_frame_free(&f->a);
    emo__flow_frame_free(&f->b);
    free(f->u);
    free(f->v);
    free(f);
    *pf = NULL;
}

int emo_flow_open(EmoFlow **out, const EmoFlowSettings *s)
{
    if (!out || !s)
        return EMO_EINVAL;
    *out = NULL;
    EmoFlow *f = calloc(1, sizeof(*f));
    if (!f)
        return EMO_ENOMEM;
    int err = emo__flow_core_open(&f->core, s);
    if (err)
        goto fail;
    err = EMO_ENOMEM;
    size_t n = (size_t)s->width * (size_t)s->height;
    if (emo__flow_frame_alloc(f->core, &f->a) || emo__flow_frame_alloc(f->core, &f->b))
        goto fail;
    if (!(f->u = calloc(n, sizeof(float))) || !(f->v = calloc(n, sizeof(float))))
        goto fail;
    *out = f;
    return 0;
fail:
    emo_flow_close(&f);
    return err;
}

int emo_flow_compute(EmoFlow *f, const uint8_t *prev, ptrdiff_t prev_stride, const uint8_t *next,
                     ptrdiff_t next_stride, float *u, float *v, ptrdiff_t flow_stride)
{
    if (!f || !prev || !next || !u || !v)
        return EMO_EINVAL;
    const int w = f->core->lw[0], h = f->core->lh[0];
    if (prev_stride < w || next_stride < w || flow_stride < w) {
        emo_log(f->core->s.log, EMO_LOG_ERROR, "flow: stride smaller than the width %d", w);
        return EMO_EINVAL;
    }
    emo__flow_frame_set(f->core, &f->a, prev, prev_stride);
    emo__flow_frame_set(f->core, &f->b, next, next_stride);
    emo__flow_core_run(f->core, &f->a, &f->b, f->u, f->v);
    for (int y = 0; y < h; y++) {
        memcpy(u + (ptrdiff_t)y * flow_stride, f->u + (size_t)y * (size_t)w, (size_t)w * sizeof(float));
        memcpy(v + (ptrdiff_t)y * flow_stride, f->v + (size_t)y * (size_t)w, (size_t)w * sizeof(float));
    }
    return 0;
}

const char *emo_flow_impl_name(const EmoFlow *f)
{
    return f ? f->core->dsp.name : "none";
}
