/* The face-motion handle: input checks, flow between aligned faces, the
 * samples and masks of the head-motion fit (its maths: headfit.c), region
 * statistics and rest tracking; events come from the spotter chosen at
 * open (spot.h). See docs/motion.md for the method and units. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/config.h>
#include "flow.h"
#include "headfit.h"
#include "motion_internal.h"
#include "spot.h"

#define MASK_NOFIT 0x8000u /* bit of EmoMotion.mask above the region zones */
#define PATCH_R 2         /* stable samples: (2r+1)^2 pixels around each stable landmark */
#define BORDER_DIV 12     /* no fit samples within side / 12 of the border: the flow is least reliable there */
#define FIT_STEP 2        /* the fit samples every other pixel of the face in x and y: a quarter of the cost */
#define OVAL_SHRINK 0.8f  /* the fit samples the face oval shrunk by 20 % towards its centre: no hair or background */
#define FACE_RX 0.39f     /* without landmarks: half axes of the ellipse the canonical face fills, */
#define FACE_RY 0.45f     /* as fractions of the side (before OVAL_SHRINK) */
#define BOX_PAD 0.03      /* region boxes grow by this fraction of the side around their landmarks */
#define SKIN_R 1          /* own skin of a region: (2r+1)^2 pixels at each of its landmarks */
#define EVENT_REST_SLOW 4 /* the rest position follows this many times slower during a young event */
#define MAX_OVAL 64       /* room for the face-oval contour (36 points) */

typedef struct RegionTrack {
    float px, py;                 /* integrated compensated flow (position), px */
    float rx, ry;                 /* rest position, px */
    float dx, dy;                 /* displacement from rest, px */
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
    EmoEventList events;
    int64_t last_frame;
    double last_pts, dt;
    const EmoSpotterOps *spot;    /* chosen at open by motion.spotter */
    void *spot_state;
    EmoCues cues;                 /* eye and mouth openings, blinks, speaking */
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
    free(m->spot_state);
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
    if (!emo__spotter_find(s->spotter)) {
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
    m->spot = emo__spotter_find(s->spotter);
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
        !(m->sw = calloc(n, sizeof(float))) || !(m->sr = calloc(n, sizeof(float))) || !(m->mask = calloc(n, sizeof(uint16_t))) ||
        !(m->spot_state = calloc(1, m->spot->state_size)))
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
    m->events.n = 0;
    m->dt = 0;
    memset(m->tr, 0, sizeof(m->tr));
    memset(m->spot_state, 0, m->spot->state_size);
    m->spot->reset(m->spot_state);
    emo__cues_reset(&m->cues);
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
    return m && i >= 0 && i < m->events.n ? &m->events.ev[i] : NULL;
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
 * the skin within fit_exclude x the side of the regions whose fit_exclude
 * column is set (brows, lips and mouth corners). A small movement of theirs is a few tenths of a
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
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        if (!emo__region_info(r)->fit_exclude)
            continue;
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
static int collect_samples(EmoMotion *m, const float *lm)
{
    const int S = m->size;
    const int b = S / BORDER_DIV;
    int n = 0;
    mark_excluded(m, lm);
    float ox[MAX_OVAL], oy[MAX_OVAL];
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
            ox[i] = cx + OVAL_SHRINK * (lm[2 * oi[i]] - cx);
            oy[i] = cy + OVAL_SHRINK * (lm[2 * oi[i] + 1] - cy);
        }
        nov = no;
    }
    const float ex = FACE_RX * OVAL_SHRINK * (float)S, ey = FACE_RY * OVAL_SHRINK * (float)S, c = 0.5f * (float)S;
    for (int y = b; y < S - b; y += FIT_STEP)
        for (int x = b; x < S - b; x += FIT_STEP) {
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

/* Per region whose own_fit column is set, the head motion fitted with the
 * final robust weights but without the samples in the region's zone: the
 * global fit's normal equations minus the zone's share, so that one pass
 * over the samples serves all regions. m->own_fit[r] receives the global
 * fit minus that fit (absolute coefficients, as res->head); zero where the
 * rest of the face is degenerate. The nose and cheeks keep the global fit
 * (own_fit 0): they are the face's most rigid skin and carry the
 * head-motion fit; fitted without them, the parallax of a head turn looks
 * like their own movement (on the clips: 122 clean nose and cheek events
 * instead of 56, no more injections found). */
static void region_fits(EmoMotion *m, const float *lm, const EmoHeadSamples *hs, const EmoHeadFit *fit)
{
    const int S = m->size;
    const double c = fit->c;
    memset(m->own_fit, 0, sizeof(m->own_fit));
    /* The zones (bit r: within region_fit x the side of region r's
     * landmarks) join the fit exclusion marked for this frame. */
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        if (emo__region_info(r)->own_fit)
            mark_discs(m, lm, r, m->s.region_fit * S, 1u << r);
    EmoHeadNormal all, zone[EMO_REGION_COUNT];
    memset(&all, 0, sizeof(all));
    memset(zone, 0, sizeof(zone));
    for (int i = 0; i < hs->n; i++) {
        double w = m->sw[i];
        if (w <= 0)
            continue;
        const double b[3] = { 1, hs->x[i] - c, hs->y[i] - c };
        emo__headfit_normal_add(&all, b, w, hs->u[i], hs->v[i]);
        unsigned z = m->mask[(size_t)hs->y[i] * (size_t)S + (size_t)hs->x[i]] & ((1u << EMO_REGION_COUNT) - 1);
        for (int r = 0; z; r++, z >>= 1)
            if (z & 1u)
                emo__headfit_normal_add(&zone[r], b, w, hs->u[i], hs->v[i]);
    }
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        double xu[3], xv[3];
        /* Too little of the face left: keep the global fit. */
        if (!emo__region_info(r)->own_fit || emo__headfit_normal_solve_without(&all, &zone[r], xu, xv))
            continue;
        const double du[3] = { fit->au[0] - xu[0], fit->au[1] - xu[1], fit->au[2] - xu[2] };
        const double dv[3] = { fit->av[0] - xv[0], fit->av[1] - xv[1], fit->av[2] - xv[2] };
        emo__headfit_absolute(du, dv, c, m->own_fit[r]);
    }
}

/* Robust affine head motion (headfit.c) subtracted from the flow. */
static void compensate(EmoMotion *m, const float *lm, EmoMotionFrame *res)
{
    const int S = m->size;
    memset(m->own_fit, 0, sizeof(m->own_fit));
    const EmoHeadSamples hs = { m->sx, m->sy, m->su, m->sv, collect_samples(m, lm) };
    EmoHeadFit fit;
    if (emo__headfit_robust(&hs, S / 2.0, m->sw, m->sr, &fit)) {
        res->head_inliers = 0;
        return;
    }
    if (lm && m->s.region_fit > 0)
        region_fits(m, lm, &hs, &fit);
    res->head_inliers = fit.inliers;
    emo__headfit_absolute(fit.au, fit.av, fit.c, res->head);
    res->head_dx = (float)fit.au[0];
    res->head_dy = (float)fit.av[0];
    emo__headfit_apply(m->u, m->v, S, S, S, res->head);
}

static void region_box(const EmoMotion *m, int r, const float *lm, int box[4])
{
    const int S = m->size;
    int pad = (int)lround(BOX_PAD * S);
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

static int check_push(const EmoMotion *m, ptrdiff_t stride, const float *lm, double pts,
                      int64_t frame)
{
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
    return 0;
}

/* Mean compensated flow of region r's box into rm; and into *qx, *qy the
 * flow a spotter follows: the box's, or where the spotter asks for it
 * (own_skin) and there are landmarks, the region's own skin: (2 SKIN_R +
 * 1)^2 pixels at each of its landmarks (the box also averages in the still
 * skin around it), with the head motion of the fit without the region's
 * zone (region_fit) instead of the global one. */
static void region_flow(const EmoMotion *m, int r, const float *lm, EmoRegionMotion *rm, float *qx, float *qy)
{
    const int S = m->size;
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
    if (lm && m->spot->own_skin) {
        int nl;
        const int *idx = emo_region_landmarks(r, &nl);
        double lx = 0, ly = 0;
        for (int i = 0; i < nl; i++) {
            int cx = (int)floorf(lm[2 * idx[i]]), cy = (int)floorf(lm[2 * idx[i] + 1]);
            for (int y = cy - SKIN_R; y <= cy + SKIN_R; y++)
                for (int x = cx - SKIN_R; x <= cx + SKIN_R; x++) {
                    if (x < 0 || y < 0 || x >= S || y >= S)
                        continue;
                    lu += m->u[(size_t)y * (size_t)S + (size_t)x];
                    lv += m->v[(size_t)y * (size_t)S + (size_t)x];
                    lx += x;
                    ly += y;
                    lcnt++;
                }
        }
        /* The difference of the two head motions is affine, so its mean
         * over the samples is its value at their mean position. */
        const float *of = m->own_fit[r];
        lu += of[0] * lcnt + of[1] * lx + of[2] * ly;
        lv += of[3] * lcnt + of[4] * lx + of[5] * ly;
    }
    if (cnt > 0) {
        rm->flow_dx = (float)(su / cnt);
        rm->flow_dy = (float)(sv / cnt);
    }
    *qx = lcnt ? (float)(lu / lcnt) : rm->flow_dx;
    *qy = lcnt ? (float)(lv / lcnt) : rm->flow_dy;
}

/* Integrates region r's flow into its position and moves its rest position
 * towards it (a first-order high-pass of its track): rm gets the
 * displacement from rest. The rest position follows EVENT_REST_SLOW times
 * slower while the spotter holds a young event of the region, so that the
 * return movement ends it rather than overshooting; a held (macro)
 * expression fades once the event is older than max_duration + rest_time. */
static void rest_track(EmoMotion *m, int r, double pts, float keep, float keep_event, EmoRegionMotion *rm)
{
    RegionTrack *t = &m->tr[r];
    const int k = m->s.frame_gap;
    t->px += rm->flow_dx / (float)k;
    t->py += rm->flow_dy / (float)k;
    const EmoSpotterOps *sp = m->spot;
    float kr = sp->holding && sp->holding(m->spot_state, r, pts, m->s.max_duration + m->s.rest_time) ? keep_event : keep;
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
}

static EmoSpotCtx spot_ctx(const EmoMotion *m)
{
    return (EmoSpotCtx){ &m->s, m->unit, m->dt, &m->cues };
}

/* A blink found by the cues becomes one event of the eye that closed more:
 * its lid moved down by the opening lost. */
static void emit_blink(EmoMotion *m, const EmoBlink *b)
{
    const EmoSpotCtx c = spot_ctx(m);
    const EmoEventSpan span = { emo__cues_frame(&m->cues, b->onset), emo__cues_frame(&m->cues, b->apex),
                                emo__cues_frame(&m->cues, b->offset), emo__cues_pts(&m->cues, b->onset),
                                emo__cues_pts(&m->cues, b->apex),     emo__cues_pts(&m->cues, b->offset) };
    emo__event_emit(&m->events, &c, b->region, &span, 0, b->gap_px, EMO_EVENT_BLINK, 0);
}

int emo_motion_push(EmoMotion *m, const uint8_t *gray, ptrdiff_t stride, const float *lm, double pts,
                    int64_t frame, EmoMotionFrame *res)
{
    if (!m || !gray || !res)
        return EMO_EINVAL;
    int err = check_push(m, stride, lm, pts, frame);
    if (err)
        return err;
    const int S = m->size;
    memset(res, 0, sizeof(*res));
    res->frame = frame;
    res->pts = pts;
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        res->region[r].direction = EMO_DIR_NONE;
    m->events.n = 0;
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
    const float keep_event = (float)exp(-frame_dt / (EVENT_REST_SLOW * m->s.rest_time));
    float qx[EMO_REGION_COUNT], qy[EMO_REGION_COUNT];
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        EmoRegionMotion *rm = &res->region[r];
        region_flow(m, r, lm, rm, &qx[r], &qy[r]);
        rest_track(m, r, pts, keep, keep_event, rm);
        res->n_active += rm->active;
    }
    /* The cues first: the spotter reads the blinks and the speaking flag. */
    const EmoCueInput ci = { lm, S, qy[EMO_REGION_LOWER_LIP] - qy[EMO_REGION_UPPER_LIP], frame_dt, frame, pts };
    EmoBlink blink;
    int blinked = emo__cues_push(&m->cues, &m->s, &ci, emo__spot_half_window(&m->s, frame_dt), &blink);
    res->speaking = emo__cues_speaking(&m->cues);
    res->eye_open = emo__cues_eye(&m->cues);
    res->mouth_open = emo__cues_mouth(&m->cues);
    const EmoSpotCtx c = spot_ctx(m);
    const EmoSpotInput in = { frame, pts, frame_dt, res->region, qx, qy };
    m->spot->push(m->spot_state, &c, &in, &m->events);
    if (blinked)
        emit_blink(m, &blink);
    res->n_events = m->events.n;
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
    m->events.n = 0;
    const EmoSpotCtx c = spot_ctx(m);
    m->spot->flush(m->spot_state, &c, &m->events);
    EmoBlink blink;
    if (emo__cues_flush(&m->cues, &blink))
        emit_blink(m, &blink);
    return m->events.n;
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
