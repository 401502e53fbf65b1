/* Face motion: flow between aligned faces, head-motion removal by a robust
 * affine fit on stable skin, region statistics, direction classes and event
 * spotting with hysteresis. See docs/motion.md for the method and units. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/config.h>
#include "flow.h"
#include "motion_internal.h"

#define HIST 256          /* frames of magnitude history kept per region */
#define MASK_NOFIT 0x8000u /* bit of EmoMotion.mask above the region zones */
#define IRLS_ITERS 6
#define TUKEY_C 4.685     /* Tukey biweight constant, in robust standard deviations */
#define MIN_SIGMA 0.05    /* px: floor of the residual scale (sub-noise fits) */
#define PATCH_R 2         /* stable samples: (2r+1)^2 pixels around each stable landmark */

typedef struct RegionTrack {
    float px, py;                 /* integrated compensated flow (position), px */
    float rx, ry;                 /* rest position, px */
    float dx, dy;                 /* displacement from rest, px */
    int64_t hframe[HIST];
    float hmag[HIST], hdx[HIST], hdy[HIST];
    float base_dx, base_dy;       /* displacement just before the event's onset */
    double hpts[HIST];
    int hn, hpos;
    int active, below;
    int64_t onset, last, apex, last_offset;
    double onset_pts, last_pts, apex_pts;
    float apex_mag, apex_dx, apex_dy;
    float prev_mag;
    /* transient spotter (samples are counted from the track's first flow) */
    float qpx[HIST], qpy[HIST];   /* integrated position per sample */
    float ex[HIST], ey[HIST];     /* e at each evaluated sample */
    float noise;                  /* recent mean |e|, threshold units */
    float noise_hist[HIST];       /* noise after each evaluated sample (for noise_delay) */
    int tactive, tbelow;
    int64_t t_onset, t_last, t_apex, t_last_offset; /* samples */
    float t_lo, t_amag, t_aex, t_aey;
} RegionTrack;

struct EmoMotion {
    EmoMotionSettings s;
    const EmoLogger *lg;
    int size;
    double unit;                  /* threshold units per px of this face */
    EmoFlowCore *core;
    EmoFlowFrame *ring;
    int64_t *rframe;
    int nring;
    int64_t pushes;
    float *u, *v;
    int has_field;
    float *sx, *sy, *su, *sv, *sw, *sr;
    uint16_t *mask;               /* S x S, per frame: bit r within region_fit x side of region r's
                                     landmarks (its zone); MASK_NOFIT where the head-motion fit takes
                                     no sample */
    float own_fit[EMO_REGION_COUNT][6]; /* per region: head motion of the global fit minus that of the fit
                                           without the region's zone (added back to its landmark samples) */
    int cap;
    RegionTrack tr[EMO_REGION_COUNT];
    EmoMotionEvent ev[EMO_REGION_COUNT];
    int nev;
    int64_t last_frame;
    double last_pts, dt;
    int transient;                /* spotter: 1 transient, 0 rest (original) */
    int k;                        /* transient half window, samples (0 until known) */
    int64_t nq;                   /* samples with a position */
    int64_t qframe[HIST];
    double qpts[HIST];
};

void emo_motion_default_settings(EmoMotionSettings *s)
{
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    *s = cfg.motion;
    emo_config_clear(&cfg);
}

void emo_motion_close(EmoMotion **pm)
{
    if (!pm || !*pm)
        return;
    EmoMotion *m = *pm;
    emo__flow_core_close(&m->core);
    if (m->ring)
        for (int i = 0; i < m->nring; i++)
            emo__flow_frame_free(&m->ring[i]);
    free(m->ring);
    free(m->rframe);
    free(m->u);
    free(m->v);
    free(m->sx);
    free(m->sy);
    free(m->su);
    free(m->sv);
    free(m->sw);
    free(m->sr);
    free(m->mask);
    free(m);
    *pm = NULL;
}

static int check(const EmoMotionSettings *s, int size, const EmoLogger *lg)
{
    if (size < 16 || size > 1024) {
        emo_log(lg, EMO_LOG_ERROR, "motion: aligned face size %d outside 16..1024", size);
        return EMO_EINVAL;
    }
    if (!(s->threshold >= 0 && s->threshold < 1e6) || s->frame_gap < 1 || s->frame_gap > 100) {
        emo_log(lg, EMO_LOG_ERROR, "motion: threshold %g or frame_gap %d out of range", s->threshold, s->frame_gap);
        return EMO_EINVAL;
    }
    if (!(s->min_duration >= 0 && s->max_duration >= s->min_duration && s->max_duration < 1e6)) {
        emo_log(lg, EMO_LOG_ERROR, "motion: durations min %g max %g: need 0 <= min <= max", s->min_duration,
                s->max_duration);
        return EMO_EINVAL;
    }
    if (!(s->reference_size >= 1 && s->reference_size <= 1e5) || !(s->rest_time > 0 && s->rest_time < 1e6) ||
        !(s->hysteresis > 0 && s->hysteresis <= 1) || s->release_frames < 1 || s->release_frames > 1000) {
        emo_log(lg, EMO_LOG_ERROR, "motion: reference_size %g, rest_time %g, hysteresis %g or release_frames %d "
                "out of range", s->reference_size, s->rest_time, s->hysteresis, s->release_frames);
        return EMO_EINVAL;
    }
    if (strcmp(s->spotter, "transient") && strcmp(s->spotter, "rest")) {
        emo_log(lg, EMO_LOG_ERROR, "motion: spotter \"%s\": use transient or rest", s->spotter);
        return EMO_EINVAL;
    }
    if (!(s->fit_exclude >= 0 && s->fit_exclude <= 0.5) || !(s->region_fit >= 0 && s->region_fit <= 0.5) ||
        !(s->noise_delay >= 0 && s->noise_delay <= 10)) {
        emo_log(lg, EMO_LOG_ERROR, "motion: fit_exclude %g or region_fit %g outside 0..0.5, or noise_delay %g outside 0..10",
                s->fit_exclude, s->region_fit, s->noise_delay);
        return EMO_EINVAL;
    }
    if (!(s->window >= 0.02 && s->window <= 2) || !(s->return_ratio >= 0 && s->return_ratio <= 1) ||
        !(s->noise_gain >= 0 && s->noise_gain <= 100) || !(s->noise_time >= 0.1 && s->noise_time <= 600)) {
        emo_log(lg, EMO_LOG_ERROR, "motion: window %g, return_ratio %g, noise_gain %g or noise_time %g out of range",
                s->window, s->return_ratio, s->noise_gain, s->noise_time);
        return EMO_EINVAL;
    }
    return 0;
}

int emo_motion_open(EmoMotion **out, const EmoMotionSettings *s, int aligned_size, const EmoLogger *lg)
{
    if (!out || !s)
        return EMO_EINVAL;
    *out = NULL;
    int err = check(s, aligned_size, lg);
    if (err)
        return err;
    EmoMotion *m = calloc(1, sizeof(*m));
    if (!m)
        return EMO_ENOMEM;
    m->s = *s;
    m->lg = lg;
    m->size = aligned_size;
    m->unit = s->reference_size / aligned_size;
    m->transient = !strcmp(s->spotter, "transient");
    EmoFlowSettings fs;
    emo_flow_default_settings(&fs);
    fs.width = fs.height = aligned_size;
    fs.levels = s->levels;
    fs.pyr_scale = s->pyr_scale;
    fs.winsize = s->winsize;
    fs.iterations = s->iterations;
    fs.poly_n = s->poly_n;
    fs.poly_sigma = s->poly_sigma;
    fs.log = lg;
    if ((err = emo__flow_core_open(&m->core, &fs)))
        goto fail;
    err = EMO_ENOMEM;
    m->nring = s->frame_gap + 1;
    if (!(m->ring = calloc((size_t)m->nring, sizeof(*m->ring))) ||
        !(m->rframe = calloc((size_t)m->nring, sizeof(*m->rframe))))
        goto fail;
    for (int i = 0; i < m->nring; i++)
        if (emo__flow_frame_alloc(m->core, &m->ring[i]))
            goto fail;
    size_t n = (size_t)aligned_size * (size_t)aligned_size;
    m->cap = (int)n;
    if (!(m->u = calloc(n, sizeof(float))) || !(m->v = calloc(n, sizeof(float))) ||
        !(m->sx = calloc(n, sizeof(float))) || !(m->sy = calloc(n, sizeof(float))) ||
        !(m->su = calloc(n, sizeof(float))) || !(m->sv = calloc(n, sizeof(float))) ||
        !(m->sw = calloc(n, sizeof(float))) || !(m->sr = calloc(n, sizeof(float))) || !(m->mask = calloc(n, sizeof(uint16_t))))
        goto fail;
    emo_motion_reset(m);
    *out = m;
    return 0;
fail:
    emo_motion_close(&m);
    return err;
}

void emo_motion_reset(EmoMotion *m)
{
    if (!m)
        return;
    m->pushes = 0;
    m->has_field = 0;
    m->nev = 0;
    m->dt = 0;
    m->k = 0;
    m->nq = 0;
    memset(m->tr, 0, sizeof(m->tr));
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        m->tr[r].last_offset = m->tr[r].t_last_offset = INT64_MIN;
}

double emo_motion_threshold_px(const EmoMotion *m)
{
    return m ? m->s.threshold / m->unit : 0;
}

int emo_motion_flow(const EmoMotion *m, const float **u, const float **v)
{
    if (!m || !u || !v)
        return EMO_EINVAL;
    if (!m->has_field)
        return EMO_EAGAIN;
    *u = m->u;
    *v = m->v;
    return 0;
}

const EmoMotionEvent *emo_motion_event(const EmoMotion *m, int i)
{
    return m && i >= 0 && i < m->nev ? &m->ev[i] : NULL;
}

/* k-th smallest of a[0..n-1] (reorders a). */
static float select_k(float *a, int n, int k)
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

/* Even-odd point-in-polygon test. */
static int inside_poly(const float *px, const float *py, int n, float x, float y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        if ((py[i] > y) != (py[j] > y) && x < (px[j] - px[i]) * (y - py[i]) / (py[j] - py[i]) + px[i])
            in = !in;
    return in;
}

/* Samples for the head-motion fit, all inside the face (background and
 * hair do not move with it): patches around the stable landmarks (nose
 * bridge, forehead, temples, outline) and every other pixel inside the
 * face oval shrunk by 20 % towards its centre; without landmarks, every
 * other pixel inside an ellipse that the canonical face fills (shrunk the
 * same). Expressive regions are not cut out: they are a minority of the
 * face, the Tukey weights discount what moves on its own, and keeping the
 * central face in the fit follows the nose and mouth during head turns,
 * where a fit on the outline alone leaves the parallax of the nose as
 * residual motion. */
static const int fit_excluded[] = { EMO_REGION_LEFT_BROW,         EMO_REGION_RIGHT_BROW, EMO_REGION_LEFT_MOUTH_CORNER,
                                   EMO_REGION_RIGHT_MOUTH_CORNER, EMO_REGION_UPPER_LIP,  EMO_REGION_LOWER_LIP };

/* Sets bits in m->mask within rad px of each of region r's landmarks. */
static void mark_discs(EmoMotion *m, const float *lm, int r, double rad, unsigned bits)
{
    const int S = m->size, ri = (int)ceil(rad);
    int nl;
    const int *idx = emo_region_landmarks(r, &nl);
    for (int i = 0; i < nl; i++) {
        double cx = lm[2 * idx[i]], cy = lm[2 * idx[i] + 1];
        int x0 = (int)floor(cx) - ri, y0 = (int)floor(cy) - ri;
        for (int y = y0 < 0 ? 0 : y0; y <= y0 + 2 * ri + 1 && y < S; y++)
            for (int x = x0 < 0 ? 0 : x0; x <= x0 + 2 * ri + 1 && x < S; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad)
                    m->mask[(size_t)y * (size_t)S + (size_t)x] |= (uint16_t)bits;
    }
}

/* Clears m->mask (the first marking of each frame) and sets MASK_NOFIT on
 * the skin within fit_exclude x the side of the brows,
 * lips and mouth corners. A small movement of theirs is a few tenths of a
 * pixel per frame pair, within the residual noise that the robust weights
 * keep, so the affine fit takes up part of it and subtracts it from the
 * region itself (docs/motion.md: with them fully in the fit the clips keep
 * 69 % of an injected movement, 80 % with 0.1 of the side left out; but a
 * large exclusion also lets their real movements through and raises the
 * noise-adaptive threshold, hence the small default). */
static void mark_excluded(EmoMotion *m, const float *lm)
{
    const int S = m->size;
    memset(m->mask, 0, (size_t)S * (size_t)S * sizeof(uint16_t));
    const double rad = m->s.fit_exclude * S;
    if (!(rad > 0))
        return;
    const int ri = (int)ceil(rad);
    for (size_t q = 0; q < sizeof(fit_excluded) / sizeof(fit_excluded[0]); q++) {
        int r = fit_excluded[q];
        if (lm) {
            mark_discs(m, lm, r, rad, MASK_NOFIT);
            continue;
        }
        int box[4];
        emo__region_fixed_box(r, S, ri, box);
        for (int y = box[1] < 0 ? 0 : box[1]; y <= box[3] && y < S; y++)
            for (int x = box[0] < 0 ? 0 : box[0]; x <= box[2] && x < S; x++)
                m->mask[(size_t)y * (size_t)S + (size_t)x] |= MASK_NOFIT;
    }
}

static int collect_samples(EmoMotion *m, const float *lm)
{
    const int S = m->size;
    const int b = S / 12; /* the flow is least reliable near the border */
    int n = 0;
    mark_excluded(m, lm);
    float ox[64], oy[64];
    int nov = 0;
    if (lm) {
        int ns;
        const int *idx = emo_motion_stable_landmarks(&ns);
        for (int i = 0; i < ns; i++) {
            int cx = (int)lroundf(lm[2 * idx[i]]), cy = (int)lroundf(lm[2 * idx[i] + 1]);
            for (int y = cy - PATCH_R; y <= cy + PATCH_R; y++)
                for (int x = cx - PATCH_R; x <= cx + PATCH_R; x++) {
                    if (x < b || y < b || x >= S - b || y >= S - b || n >= m->cap ||
                        (m->mask[(size_t)y * (size_t)S + (size_t)x] & MASK_NOFIT))
                        continue;
                    m->sx[n] = (float)x;
                    m->sy[n] = (float)y;
                    n++;
                }
        }
        int no;
        const int *oi = emo_motion_face_oval(&no);
        float cx = 0, cy = 0;
        for (int i = 0; i < no; i++) {
            cx += lm[2 * oi[i]] / (float)no;
            cy += lm[2 * oi[i] + 1] / (float)no;
        }
        for (int i = 0; i < no; i++) {
            ox[i] = cx + 0.8f * (lm[2 * oi[i]] - cx);
            oy[i] = cy + 0.8f * (lm[2 * oi[i] + 1] - cy);
        }
        nov = no;
    }
    const float ex = 0.39f * 0.8f * (float)S, ey = 0.45f * 0.8f * (float)S, c = 0.5f * (float)S;
    for (int y = b; y < S - b; y += 2)
        for (int x = b; x < S - b; x += 2) {
            int skip = 0;
            if (lm) {
                skip = !inside_poly(ox, oy, nov, (float)x, (float)y);
            } else {
                float qx = ((float)x - c) / ex, qy = ((float)y - c) / ey;
                skip = qx * qx + qy * qy > 1.0f;
            }
            if (skip || n >= m->cap || (m->mask[(size_t)y * (size_t)S + (size_t)x] & MASK_NOFIT))
                continue;
            m->sx[n] = (float)x;
            m->sy[n] = (float)y;
            n++;
        }
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)m->sy[i] * (size_t)S + (size_t)m->sx[i];
        m->su[i] = m->u[o];
        m->sv[i] = m->v[o];
    }
    return n;
}

static double det3(const double t[3][3])
{
    return t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
           t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0]);
}

/* Solves the normal equations s a = r of a fit q = a0 + a1 x + a2 y (s
 * symmetric, s[0][0] the total weight) by Cramer's rule; a degenerate
 * spread (a line of samples) gives translation only. -1 without weight. */
static int solve3(const double s[3][3], const double r[3], double a[3])
{
    if (!(s[0][0] > 0))
        return -1;
    double det = det3(s);
    if (!(fabs(det) > 1e-9 * s[0][0] * s[0][0] * s[0][0] + 1e-30)) {
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

/* Weighted least squares of q = a0 + a1 x + a2 y over the samples. */
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
    return solve3(s, r, a);
}

/* Whether region r gets its own head-motion fit (region_fit). The nose and
 * cheeks keep the global fit: they are the face's most rigid skin and carry
 * the head-motion fit; fitted without them, the parallax of a head turn
 * looks like their own movement (on the clips: 122 clean nose and cheek
 * events instead of 56, no more injections found). */
static int own_fit_region(int r)
{
    return r != EMO_REGION_NOSE && r != EMO_REGION_LEFT_CHEEK && r != EMO_REGION_RIGHT_CHEEK;
}

/* Per region, the head motion fitted with the final robust weights but
 * without the samples in the region's zone: the global fit's normal
 * equations minus the zone's share, so that one pass over the samples
 * serves all regions. m->own_fit[r] receives the global fit minus that
 * fit (absolute coefficients, as res->head); zero where the rest of the
 * face is degenerate. */
static void region_fits(EmoMotion *m, const float *lm, int n, double c, const double au[3], const double av[3])
{
    const int S = m->size;
    memset(m->own_fit, 0, sizeof(m->own_fit));
    /* The zones (bit r: within region_fit x the side of region r's
     * landmarks) join the fit exclusion marked for this frame. */
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        if (own_fit_region(r))
            mark_discs(m, lm, r, m->s.region_fit * S, 1u << r);
    double g[3][3] = { { 0 } }, gu[3] = { 0 }, gv[3] = { 0 };
    double zg[EMO_REGION_COUNT][3][3], zu[EMO_REGION_COUNT][3], zv[EMO_REGION_COUNT][3];
    memset(zg, 0, sizeof(zg));
    memset(zu, 0, sizeof(zu));
    memset(zv, 0, sizeof(zv));
    for (int i = 0; i < n; i++) {
        double w = m->sw[i];
        if (w <= 0)
            continue;
        const double b[3] = { 1, m->sx[i] - c, m->sy[i] - c };
        double su = w * m->su[i], sv = w * m->sv[i];
        for (int j = 0; j < 3; j++) {
            gu[j] += b[j] * su;
            gv[j] += b[j] * sv;
            for (int k = 0; k < 3; k++)
                g[j][k] += w * b[j] * b[k];
        }
        unsigned z = m->mask[(size_t)m->sy[i] * (size_t)S + (size_t)m->sx[i]] & ((1u << EMO_REGION_COUNT) - 1);
        for (int r = 0; z; r++, z >>= 1) {
            if (!(z & 1u))
                continue;
            for (int j = 0; j < 3; j++) {
                zu[r][j] += b[j] * su;
                zv[r][j] += b[j] * sv;
                for (int k = 0; k < 3; k++)
                    zg[r][j][k] += w * b[j] * b[k];
            }
        }
    }
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        if (!own_fit_region(r))
            continue;
        double a[3][3], bu[3], bv[3], xu[3], xv[3];
        for (int j = 0; j < 3; j++) {
            bu[j] = gu[j] - zu[r][j];
            bv[j] = gv[j] - zv[r][j];
            for (int k = 0; k < 3; k++)
                a[j][k] = g[j][k] - zg[r][j][k];
        }
        /* Too little of the face left (under a tenth of the weight): keep the global fit. */
        if (!(a[0][0] > 0.1 * g[0][0]) || solve3(a, bu, xu) || solve3(a, bv, xv))
            continue;
        double d[6] = { au[0] - xu[0], au[1] - xu[1], au[2] - xu[2], av[0] - xv[0], av[1] - xv[1], av[2] - xv[2] };
        m->own_fit[r][0] = (float)(d[0] - d[1] * c - d[2] * c);
        m->own_fit[r][1] = (float)d[1];
        m->own_fit[r][2] = (float)d[2];
        m->own_fit[r][3] = (float)(d[3] - d[4] * c - d[5] * c);
        m->own_fit[r][4] = (float)d[4];
        m->own_fit[r][5] = (float)d[5];
    }
}

/* Robust affine head motion (IRLS, Tukey biweight) subtracted from the flow. */
static void compensate(EmoMotion *m, const float *lm, EmoMotionFrame *res)
{
    const int S = m->size;
    const double c = S / 2.0;
    memset(m->own_fit, 0, sizeof(m->own_fit));
    int n = collect_samples(m, lm);
    if (n < 8) {
        res->head_inliers = 0;
        return;
    }
    double au[3] = { 0, 0, 0 }, av[3] = { 0, 0, 0 };
    memcpy(m->sr, m->su, (size_t)n * sizeof(float));
    au[0] = select_k(m->sr, n, n / 2);
    memcpy(m->sr, m->sv, (size_t)n * sizeof(float));
    av[0] = select_k(m->sr, n, n / 2);
    int kept = n;
    for (int it = 0; it < IRLS_ITERS; it++) {
        for (int i = 0; i < n; i++) {
            double x = m->sx[i] - c, y = m->sy[i] - c;
            /* sqrt, not hypot: flows of a few pixels cannot overflow, and
             * glibc's hypot was 3% of a 4-face pipeline's CPU. */
            double ru = m->su[i] - (au[0] + au[1] * x + au[2] * y), rv = m->sv[i] - (av[0] + av[1] * x + av[2] * y);
            m->sr[i] = (float)sqrt(ru * ru + rv * rv);
        }
        memcpy(m->sw, m->sr, (size_t)n * sizeof(float));
        double sigma = 1.4826 * select_k(m->sw, n, n / 2);
        if (sigma < MIN_SIGMA)
            sigma = MIN_SIGMA;
        double cut = TUKEY_C * sigma;
        kept = 0;
        for (int i = 0; i < n; i++) {
            double t = m->sr[i] / cut;
            m->sw[i] = t < 1 ? (float)((1 - t * t) * (1 - t * t)) : 0.0f;
            kept += t < 1;
        }
        double nu[3], nv[3];
        if (wls3(m->sx, m->sy, m->su, m->sw, n, c, nu) || wls3(m->sx, m->sy, m->sv, m->sw, n, c, nv))
            break;
        memcpy(au, nu, sizeof(au));
        memcpy(av, nv, sizeof(av));
    }
    if (lm && m->s.region_fit > 0)
        region_fits(m, lm, n, c, au, av);
    res->head_inliers = n ? (float)kept / (float)n : 0;
    res->head[0] = (float)(au[0] - au[1] * c - au[2] * c);
    res->head[1] = (float)au[1];
    res->head[2] = (float)au[2];
    res->head[3] = (float)(av[0] - av[1] * c - av[2] * c);
    res->head[4] = (float)av[1];
    res->head[5] = (float)av[2];
    res->head_dx = (float)au[0];
    res->head_dy = (float)av[0];
    for (int y = 0; y < S; y++) {
        float *u = m->u + (size_t)y * (size_t)S, *v = m->v + (size_t)y * (size_t)S;
        for (int x = 0; x < S; x++) {
            u[x] -= res->head[0] + res->head[1] * (float)x + res->head[2] * (float)y;
            v[x] -= res->head[3] + res->head[4] * (float)x + res->head[5] * (float)y;
        }
    }
}

static void region_box(const EmoMotion *m, int r, const float *lm, int box[4])
{
    const int S = m->size;
    int pad = (int)lround(0.03 * S);
    if (lm) {
        int n;
        const int *idx = emo_region_landmarks(r, &n);
        float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
        for (int i = 0; i < n; i++) {
            float x = lm[2 * idx[i]], y = lm[2 * idx[i] + 1];
            x0 = fminf(x0, x);
            x1 = fmaxf(x1, x);
            y0 = fminf(y0, y);
            y1 = fmaxf(y1, y);
        }
        box[0] = (int)lroundf(x0) - pad;
        box[1] = (int)lroundf(y0) - pad;
        box[2] = (int)lroundf(x1) + pad;
        box[3] = (int)lroundf(y1) + pad;
    } else {
        emo__region_fixed_box(r, S, pad, box);
    }
    box[0] = box[0] < 0 ? 0 : box[0];
    box[1] = box[1] < 0 ? 0 : box[1];
    box[2] = box[2] > S - 1 ? S - 1 : box[2];
    box[3] = box[3] > S - 1 ? S - 1 : box[3];
}

static void end_event(EmoMotion *m, int r)
{
    RegionTrack *t = &m->tr[r];
    t->active = 0;
    t->last_offset = t->last;
    double dur = t->last_pts - t->onset_pts + m->dt;
    if (dur + 1e-9 < m->s.min_duration)
        return;
    EmoMotionEvent *e = &m->ev[m->nev++];
    e->onset = t->onset;
    e->apex = t->apex;
    e->offset = t->last;
    e->onset_pts = t->onset_pts;
    e->apex_pts = t->apex_pts;
    e->offset_pts = t->last_pts;
    e->duration = dur;
    e->region = (EmoRegion)r;
    e->peak_dx = t->apex_dx - t->base_dx;
    e->peak_dy = t->apex_dy - t->base_dy;
    e->direction = emo_direction_classify(e->peak_dx, e->peak_dy);
    e->peak_magnitude = (float)(hypot(e->peak_dx, e->peak_dy) * m->unit);
    e->micro = dur <= m->s.max_duration + 1e-9;
}

static void spot(EmoMotion *m, int r, float mag, float dx, float dy, double pts, int64_t frame)
{
    RegionTrack *t = &m->tr[r];
    const float hi = (float)m->s.threshold, lo = (float)(m->s.threshold * m->s.hysteresis);
    if (!t->active) {
        if (mag > hi) {
            t->active = 1;
            t->below = 0;
            t->onset = frame;
            t->onset_pts = pts;
            /* The movement began at the foot of the rise that crossed the
             * threshold: walk back while the magnitude keeps falling and
             * stays over the lower threshold (and after this region's
             * previous event). */
            float after = mag;
            int i = 0;
            for (; i < t->hn; i++) {
                int j = ((t->hpos - 1 - i) % HIST + HIST) % HIST;
                if (t->hmag[j] < lo || t->hmag[j] >= after || t->hframe[j] <= t->last_offset)
                    break;
                after = t->hmag[j];
                t->onset = t->hframe[j];
                t->onset_pts = t->hpts[j];
            }
            /* Direction and peak are measured from where the region was
             * just before the onset, which need not be its rest position. */
            t->base_dx = t->base_dy = 0;
            if (i < t->hn) {
                int j = ((t->hpos - 1 - i) % HIST + HIST) % HIST;
                t->base_dx = t->hdx[j];
                t->base_dy = t->hdy[j];
            }
            t->apex = t->last = frame;
            t->apex_pts = t->last_pts = pts;
            t->apex_mag = mag;
            t->apex_dx = dx;
            t->apex_dy = dy;
        }
    } else {
        if (mag > t->apex_mag) {
            t->apex = frame;
            t->apex_pts = pts;
            t->apex_mag = mag;
            t->apex_dx = dx;
            t->apex_dy = dy;
        }
        /* Settled: back under half the apex and no longer returning. The
         * integrated track need not come back exactly to rest, so waiting
         * for the lower threshold alone could stretch an event until the
         * rest position catches up. */
        int settled = frame != t->apex && mag < 0.5f * t->apex_mag && mag > t->prev_mag - 0.02f * t->apex_mag;
        if (mag >= lo && !settled) {
            t->last = frame;
            t->last_pts = pts;
            t->below = 0;
        } else if (++t->below >= m->s.release_frames) {
            end_event(m, r);
        }
    }
    t->prev_mag = mag;
    t->hframe[t->hpos] = frame;
    t->hpts[t->hpos] = pts;
    t->hmag[t->hpos] = mag;
    t->hdx[t->hpos] = dx;
    t->hdy[t->hpos] = dy;
    t->hpos = (t->hpos + 1) % HIST;
    if (t->hn < HIST)
        t->hn++;
}


/* ---- transient spotter (docs/motion.md, "Spotting") ---------------------
 * Per region, the integrated compensated flow p(s) (its position, one
 * sample per push) gives e(c) = p(c) - (p(c-k) + p(c+k)) / 2 at c = s - k:
 * how far the region stands out from the straight line between where it
 * was k samples before and where it is k samples after. A rise and return
 * within 2k samples gives its full amplitude, linear drifts give nothing
 * and a step (a held expression starting) gives half of it, with
 * |p(c+k) - p(c-k)| showing that the region did not return. */

#define GLOBAL_REGIONS 4 /* votes of other regions sharing a movement that make it a head movement */
#define JAW_RATIO 0.8f   /* chin / lower-lip movement from which a lower-lip event is the jaw's */
#define RING(i) ((int)(((i) % HIST + HIST) % HIST))

static float proj(const RegionTrack *t, int64_t c)
{
    float n = hypotf(t->t_aex, t->t_aey);
    return n > 0 ? (t->ex[RING(c)] * t->t_aex + t->ey[RING(c)] * t->t_aey) / n : 0;
}

/* The upper face (brows, eyes, nose), which the jaw and the lips do not move. */
static int upper_face(int r)
{
    return r <= EMO_REGION_NOSE;
}

/* A brow and the eye under it, which a brow movement drags along (the
 * upper lid). */
static int brow_and_eye(int r, int o)
{
    return (r == EMO_REGION_LEFT_BROW && o == EMO_REGION_LEFT_EYE) ||
           (r == EMO_REGION_LEFT_EYE && o == EMO_REGION_LEFT_BROW) ||
           (r == EMO_REGION_RIGHT_BROW && o == EMO_REGION_RIGHT_EYE) ||
           (r == EMO_REGION_RIGHT_EYE && o == EMO_REGION_RIGHT_BROW);
}

/* The lips and mouth corners, which drag one another along. */
static int mouth(int r)
{
    return r >= EMO_REGION_LEFT_MOUTH_CORNER && r <= EMO_REGION_LOWER_LIP;
}

/* The vote region o casts when it shares region r's movement (regions with
 * the same vote count once). Both eyes are one vote: a blink or a gaze
 * shift moves them together, and counting it twice made an upper-lip
 * movement during a blink look like the head (lip, corners, both eyes).
 * For a lip or corner, the other lips and corners are one vote too: its
 * own movement drags them along. */
static int head_vote(int r, int o)
{
    if (o == EMO_REGION_RIGHT_EYE)
        return EMO_REGION_LEFT_EYE;
    if (mouth(r) && mouth(o))
        return EMO_REGION_LEFT_MOUTH_CORNER;
    return o;
}

/* Whether region r's movement at sample c is shared with a partner region
 * (same direction, at least half as large): both eyes (blink, gaze shift),
 * lower lip and chin (the jaw: talking, mouth opening); or with so many
 * other regions that it is the head's. */
static int shared_motion(const EmoMotion *m, int r, int64_t c)
{
    int partner = r == EMO_REGION_LEFT_EYE    ? EMO_REGION_RIGHT_EYE
                  : r == EMO_REGION_RIGHT_EYE ? EMO_REGION_LEFT_EYE
                  : r == EMO_REGION_LOWER_LIP ? EMO_REGION_CHIN
                  : r == EMO_REGION_CHIN      ? EMO_REGION_LOWER_LIP
                                              : -1;
    const RegionTrack *a = &m->tr[r];
    int i = RING(c), upper = 0;
    unsigned votes = 0;
    float na = hypotf(a->ex[i], a->ey[i]);
    for (int o = 0; o < EMO_REGION_COUNT; o++) {
        if (o == r)
            continue;
        const RegionTrack *b = &m->tr[o];
        float nb = hypotf(b->ex[i], b->ey[i]);
        float dot = a->ex[i] * b->ex[i] + a->ey[i] * b->ey[i];
        int same = nb >= 0.5f * na && dot > 0.5f * na * nb;
        /* The jaw moves the chin at least as far as the lower lip (the
         * chin is further from the joint): a lower-lip movement is the
         * jaw's only where the chin follows it by JAW_RATIO; a lip
         * depressor drags the chin skin along by less. */
        if (o == partner && (r == EMO_REGION_LOWER_LIP ? nb >= JAW_RATIO * na && dot > 0.5f * na * nb : same))
            return 1;
        upper += same && upper_face(o) && !brow_and_eye(r, o);
        if (same)
            votes |= 1u << head_vote(r, o);
    }
    /* A brow, eye or nose movement is the head's only where another
     * upper-face region shares it (not the eye under the brow, which the
     * brow drags along): the lips and the jaw (talking) move the whole
     * lower face together, and a brow movement during speech is the
     * brow's. */
    if (upper_face(r) && upper == 0)
        return 0;
    /* Many regions moving the same way at once: the head (what the affine
     * compensation left, e.g. the parallax of a turn), not a local movement. */
    return __builtin_popcount(votes) >= GLOBAL_REGIONS;
}

static void end_transient(EmoMotion *m, int r)
{
    RegionTrack *t = &m->tr[r];
    t->tactive = 0;
    /* The event spans the frames around the apex, within +-k, where the
     * region stands out from the straight line between p(apex-k) and
     * p(apex+k) by at least hysteresis x its apex (in the apex direction). */
    const int k = m->k;
    const int64_t a = t->t_apex;
    const float n = hypotf(t->t_aex, t->t_aey);
    const float ux = n > 0 ? t->t_aex / n : 0, uy = n > 0 ? t->t_aey / n : 0;
    const int ib = RING(a - k), ia = RING(a + k);
#define STANDOUT(j)                                                                                              \
    (((t->qpx[RING(j)] - (t->qpx[ib] + (t->qpx[ia] - t->qpx[ib]) * (float)((j) - (a - k)) / (float)(2 * k))) * ux + \
      (t->qpy[RING(j)] - (t->qpy[ib] + (t->qpy[ia] - t->qpy[ib]) * (float)((j) - (a - k)) / (float)(2 * k))) * uy))
    const float lo = (float)m->s.hysteresis * STANDOUT(a);
    int64_t on = a, off = a;
    while (on - 1 > a - k && on - 1 > t->t_last_offset && STANDOUT(on - 1) >= lo)
        on--;
    while (off + 1 < a + k && STANDOUT(off + 1) >= lo)
        off++;
#undef STANDOUT
    t->t_onset = on;
    t->t_last = off;
    t->t_last_offset = t->t_last;
    double dur = m->qpts[RING(t->t_last)] - m->qpts[RING(t->t_onset)] + m->dt;
    if (dur + 1e-9 < m->s.min_duration)
        return;
    if (m->s.local && shared_motion(m, r, t->t_apex))
        return;
    EmoMotionEvent *e = &m->ev[m->nev++];
    e->onset = m->qframe[RING(t->t_onset)];
    e->apex = m->qframe[RING(t->t_apex)];
    e->offset = m->qframe[RING(t->t_last)];
    e->onset_pts = m->qpts[RING(t->t_onset)];
    e->apex_pts = m->qpts[RING(t->t_apex)];
    e->offset_pts = m->qpts[RING(t->t_last)];
    e->duration = dur;
    e->region = (EmoRegion)r;
    e->peak_dx = t->t_aex;
    e->peak_dy = t->t_aey;
    e->direction = emo_direction_classify(e->peak_dx, e->peak_dy);
    e->peak_magnitude = (float)(hypot(e->peak_dx, e->peak_dy) * m->unit);
    e->micro = dur <= m->s.max_duration + 1e-9;
}

/* Evaluates e at sample c = (newest sample) - k for region r and runs the
 * event state machine on it. */
static void spot_transient(EmoMotion *m, int r, int64_t c, float keep_noise)
{
    RegionTrack *t = &m->tr[r];
    const int k = m->k;
    int ic = RING(c), ib = RING(c - k), ia = RING(c + k);
    float ex = t->qpx[ic] - 0.5f * (t->qpx[ib] + t->qpx[ia]);
    float ey = t->qpy[ic] - 0.5f * (t->qpy[ib] + t->qpy[ia]);
    t->ex[ic] = ex;
    t->ey[ic] = ey;
    float mag = (float)(hypot(ex, ey) * m->unit);
    /* Both sides: how far p(c) stands out from p(c-k) and from p(c+k) in
     * the direction of e (the smaller of the two, px). On the flank of a
     * movement (c+-k on its apex) or on a step, one side is ~0. */
    float en = hypotf(ex, ey), side = 0;
    if (en > 0) {
        float sb = ((t->qpx[ic] - t->qpx[ib]) * ex + (t->qpy[ic] - t->qpy[ib]) * ey) / en;
        float sa = ((t->qpx[ic] - t->qpx[ia]) * ex + (t->qpy[ic] - t->qpy[ia]) * ey) / en;
        side = fminf(sa, sb);
    }
    const float thr = (float)m->s.threshold;
    if (!t->tactive) {
        /* The noise as it was noise_delay windows ago: a movement's own
         * leading lobe (e = -A/2 at its apex - k) and rise would otherwise
         * raise the bar just before its apex. */
        float noise = t->noise;
        int64_t back = c - (int64_t)lround(m->s.noise_delay * k);
        if (back < c && back >= k && back > c - HIST / 2)
            noise = t->noise_hist[RING(back)];
        float hi = fmaxf(thr, (float)m->s.noise_gain * noise);
        /* Only a movement that stands out on both sides starts an event. */
        if (mag > hi && side >= (float)m->s.return_ratio * en) {
            t->tactive = 1;
            t->tbelow = 0;
            t->t_lo = hi * (float)m->s.hysteresis;
            t->t_amag = mag;
            t->t_aex = ex;
            t->t_aey = ey;
            t->t_apex = t->t_last = t->t_onset = c;
            /* Onset: walk back along the rise (projection on the apex
             * direction falling and above the lower threshold). */
            float after = proj(t, c);
            for (int64_t j = c - 1; j >= k && j > t->t_last_offset && j > c - HIST / 2; j--) {
                float pj = proj(t, j);
                if (pj < t->t_lo || pj >= after)
                    break;
                after = pj;
                t->t_onset = j;
            }
        } else {
            t->noise = keep_noise * t->noise + (1 - keep_noise) * mag;
        }
        t->noise_hist[ic] = t->noise;
        return;
    }
    t->noise_hist[ic] = t->noise;
    float pc = proj(t, c);
    if (mag > t->t_amag && pc > 0) {
        t->t_amag = mag;
        t->t_aex = ex;
        t->t_aey = ey;
        t->t_apex = c;
    }
    if (proj(t, c) >= t->t_lo) {
        t->t_last = c;
        t->tbelow = 0;
    } else if (++t->tbelow >= m->s.release_frames) {
        end_transient(m, r);
    }
}

int emo_motion_push(EmoMotion *m, const uint8_t *gray, ptrdiff_t stride, const float *lm, double pts,
                    int64_t frame, EmoMotionFrame *res)
{
    if (!m || !gray || !res)
        return EMO_EINVAL;
    const int S = m->size;
    if (stride < S) {
        emo_log(m->lg, EMO_LOG_ERROR, "motion: stride %td smaller than the face size %d", stride, S);
        return EMO_EINVAL;
    }
    if (!isfinite(pts) || (m->pushes > 0 && (frame <= m->last_frame || pts <= m->last_pts))) {
        emo_log(m->lg, EMO_LOG_ERROR, "motion: frame %lld at %g s does not follow frame %lld at %g s",
                (long long)frame, pts, (long long)m->last_frame, m->last_pts);
        return EMO_EINVAL;
    }
    if (lm)
        for (int i = 0; i < 2 * EMO_MESH_POINTS; i++)
            if (!(lm[i] >= -S && lm[i] <= 2.0f * (float)S)) {
                emo_log(m->lg, EMO_LOG_ERROR, "motion: landmark %d (%g) is not finite or far outside the face",
                        i / 2, (double)lm[i]);
                return EMO_EINVAL;
            }
    memset(res, 0, sizeof(*res));
    res->frame = frame;
    res->pts = pts;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        res->region[r].direction = EMO_DIR_NONE;
    m->nev = 0;
    double t0 = emo_clock_now();
    int cur = (int)(m->pushes % m->nring);
    emo__flow_frame_set(m->core, &m->ring[cur], gray, stride);
    m->rframe[cur] = frame;
    const int k = m->s.frame_gap;
    double frame_dt = m->pushes > 0 ? pts - m->last_pts : 0;
    if (m->pushes > 0)
        m->dt = frame_dt;
    m->pushes++;
    m->last_frame = frame;
    m->last_pts = pts;
    if (m->pushes <= k)
        return 0;
    int prev = (int)((m->pushes - 1 - k) % m->nring);
    emo__flow_core_run(m->core, &m->ring[prev], &m->ring[cur], m->u, m->v);
    m->has_field = 1;
    res->has_flow = 1;
    res->frame_gap = (int)(frame - m->rframe[prev]);
    double t1 = emo_clock_now();
    if (m->s.compensate)
        compensate(m, lm, res);
    double t2 = emo_clock_now();
    double msum = 0;
    for (size_t i = 0; i < (size_t)S * (size_t)S; i++)
        msum += sqrtf(m->u[i] * m->u[i] + m->v[i] * m->v[i]);
    res->mean_magnitude = (float)(msum / ((double)S * S));
    const float keep = (float)exp(-frame_dt / m->s.rest_time);
    const float keep_event = (float)exp(-frame_dt / (4 * m->s.rest_time));
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        int box[4];
        region_box(m, r, lm, box);
        double su = 0, sv = 0, lu = 0, lv = 0;
        int cnt = 0, lcnt = 0;
        for (int y = box[1]; y <= box[3]; y++)
            for (int x = box[0]; x <= box[2]; x++) {
                su += m->u[(size_t)y * (size_t)S + (size_t)x];
                sv += m->v[(size_t)y * (size_t)S + (size_t)x];
                cnt++;
            }
        if (lm && m->transient) {
            /* The transient spotter follows the region's own skin: 3x3
             * pixels at each of its landmarks (the box also averages in
             * the still skin around it). */
            int nl;
            const int *idx = emo_region_landmarks(r, &nl);
            double lx = 0, ly = 0;
            for (int i = 0; i < nl; i++) {
                int cx = (int)floorf(lm[2 * idx[i]]), cy = (int)floorf(lm[2 * idx[i] + 1]);
                for (int y = cy - 1; y <= cy + 1; y++)
                    for (int x = cx - 1; x <= cx + 1; x++) {
                        if (x < 0 || y < 0 || x >= S || y >= S)
                            continue;
                        lu += m->u[(size_t)y * (size_t)S + (size_t)x];
                        lv += m->v[(size_t)y * (size_t)S + (size_t)x];
                        lx += x;
                        ly += y;
                        lcnt++;
                    }
            }
            /* The head motion of the fit without this region's own skin
             * (region_fit) instead of the global one: the difference is
             * affine, so its mean over the samples is its value at their
             * mean position. */
            const float *of = m->own_fit[r];
            lu += of[0] * lcnt + of[1] * lx + of[2] * ly;
            lv += of[3] * lcnt + of[4] * lx + of[5] * ly;
        }
        EmoRegionMotion *rm = &res->region[r];
        RegionTrack *t = &m->tr[r];
        if (cnt > 0) {
            rm->flow_dx = (float)(su / cnt);
            rm->flow_dy = (float)(sv / cnt);
        }
        t->px += rm->flow_dx / (float)k;
        t->py += rm->flow_dy / (float)k;
        /* The rest position follows the region (a first-order high-pass of
         * its track), four times slower during a young event so that the
         * return movement ends it rather than overshooting; a held (macro)
         * expression fades once the event is older than max_duration +
         * rest_time. */
        float kr = t->active && pts - t->onset_pts <= m->s.max_duration + m->s.rest_time ? keep_event : keep;
        t->rx = kr * t->rx + (1 - kr) * t->px;
        t->ry = kr * t->ry + (1 - kr) * t->py;
        t->dx = t->px - t->rx;
        t->dy = t->py - t->ry;
        rm->dx = t->dx;
        rm->dy = t->dy;
        rm->magnitude = (float)(hypot(t->dx, t->dy) * m->unit);
        rm->direction_deg = (float)(atan2(-t->dy, t->dx) * (180.0 / 3.14159265358979323846));
        rm->direction = emo_direction_classify(t->dx, t->dy);
        rm->active = rm->magnitude > m->s.threshold;
        res->n_active += rm->active;
        if (!m->transient)
            spot(m, r, rm->magnitude, t->dx, t->dy, pts, frame);
        /* Transient positions: landmark-point flow where there are landmarks, else the box's. */
        float qx = lcnt ? (float)(lu / lcnt) : rm->flow_dx, qy = lcnt ? (float)(lv / lcnt) : rm->flow_dy;
        int64_t prevq = m->nq - 1;
        t->qpx[RING(m->nq)] = (m->nq ? t->qpx[RING(prevq)] : 0) + qx / (float)k;
        t->qpy[RING(m->nq)] = (m->nq ? t->qpy[RING(prevq)] : 0) + qy / (float)k;
    }
    m->qframe[RING(m->nq)] = frame;
    m->qpts[RING(m->nq)] = pts;
    if (m->transient) {
        if (!m->k) {
            int kk = (int)lround(m->s.window / (frame_dt > 0 ? frame_dt : 0.04));
            m->k = kk < 1 ? 1 : kk > HIST / 4 ? HIST / 4 : kk;
        }
        const float keep_noise = (float)exp(-frame_dt / m->s.noise_time);
        int64_t c = m->nq - m->k;
        if (c >= m->k)
            for (int r = 0; r < EMO_REGION_COUNT; r++)
                spot_transient(m, r, c, keep_noise);
    }
    m->nq++;
    res->n_events = m->nev;
    double t3 = emo_clock_now();
    res->t_flow = t1 - t0;
    res->t_comp = t2 - t1;
    res->t_regions = t3 - t2;
    return 0;
}

int emo_motion_flush(EmoMotion *m)
{
    if (!m)
        return EMO_EINVAL;
    m->nev = 0;
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        if (m->tr[r].active)
            end_event(m, r);
        if (m->tr[r].tactive)
            end_transient(m, r);
    }
    return m->nev;
}

int emo_motion_set_flow_impl(EmoMotion *m, EmoFlowImpl impl)
{
    if (!m)
        return EMO_EINVAL;
    int err = emo__flow_core_set_impl(m->core, impl);
    if (err)
        emo_log(m->lg, EMO_LOG_ERROR, "motion: flow kernels %d not available on this CPU or build", (int)impl);
    return err;
}

const char *emo_motion_flow_impl(const EmoMotion *m)
{
    return m ? emo__flow_core_impl(m->core) : "none";
}

void emo_motion_set_threshold(EmoMotion *m, double threshold)
{
    if (m && threshold >= 0 && threshold < 1e6)
        m->s.threshold = threshold;
}
