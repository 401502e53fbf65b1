/* Face ids across departures and shot cuts: the tracker's clock, the
 * faces that left recently, the shot-cut detector (reid.h, docs/face.md). */
#include "reid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void emo__reid_init(EmoReid *r, double seconds, double cut_threshold)
{
    memset(r, 0, sizeof(*r));
    r->seconds = seconds;
    r->cut_threshold = cut_threshold;
    r->step = EMO_REID_DEFAULT_STEP;
}

void emo__reid_forget(EmoReid *r)
{
    r->n_gone = 0;
    r->have_prev = 0;
}

/* Timestamps can be missing (0 on every frame), repeat, or go back (a
 * looped file): time then advances by the last real step, so that
 * reid_seconds still means about that many seconds of video. A jump forward
 * (frames skipped, a gap in a stream) is time that passed. */
static void advance_clock(EmoReid *r, double pts)
{
    if (r->frames > 0) {
        double d = pts - r->last_pts;
        if (isfinite(d) && d > 0) {
            r->now += d;
            if (d <= 1.0)
                r->step = d;
        } else {
            r->now += r->step;
        }
    }
    if (isfinite(pts))
        r->last_pts = pts;
    r->frames++;
}

static void expire(EmoReid *r)
{
    int k = 0;
    for (int i = 0; i < r->n_gone; i++)
        if (r->now - r->gone[i].left <= r->seconds)
            r->gone[k++] = r->gone[i];
    r->n_gone = k;
}

void emo__cut_cells(const EmoFrame *f, uint8_t cells[EMO_CUT_CELLS])
{
    const int bpp = f->fmt == EMO_PIX_BGRA ? 4 : 3;
    /* Channel offsets of blue and red (green is 1 in both layouts). */
    const int ob = f->fmt == EMO_PIX_BGRA ? 0 : 2, orr = 2 - ob;
    for (int j = 0; j < EMO_CUT_GY; j++) {
        int y0 = (int)(((double)j + 0.5) * f->height / EMO_CUT_GY);
        int y1 = y0 + 1 < f->height ? y0 + 1 : y0;
        for (int i = 0; i < EMO_CUT_GX; i++) {
            int x0 = (int)(((double)i + 0.5) * f->width / EMO_CUT_GX);
            int x1 = x0 + 1 < f->width ? x0 + 1 : x0;
            const int xs[2] = { x0, x1 }, ys[2] = { y0, y1 };
            unsigned sum = 0;
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) {
                    const uint8_t *p = f->data[0] + (size_t)ys[a] * f->stride[0] + (size_t)xs[b] * bpp;
                    sum += 29u * p[ob] + 150u * p[1] + 77u * p[orr]; /* BT.601 luma x 256 */
                }
            cells[j * EMO_CUT_GX + i] = (uint8_t)((sum + 512) >> 10);
        }
    }
}

/* Both measures are needed: a face moving fast near the camera changes many
 * cells but not the scene's histogram (d12.mp4: 26% of the cells, histogram
 * distance 0.08 at most), and two scenes can share a histogram while
 * differing cell by cell. Each cell's weight is shared between its two
 * nearest bins (in 16ths), so that a value on a bin edge does not make the
 * histogram jump when it moves by one level. */
float emo__cut_score(const uint8_t a[EMO_CUT_CELLS], const uint8_t b[EMO_CUT_CELLS])
{
    int ha[EMO_CUT_BINS] = { 0 }, hb[EMO_CUT_BINS] = { 0 }, changed = 0;
    const int width = 256 / EMO_CUT_BINS;
    for (int k = 0; k < EMO_CUT_CELLS; k++) {
        changed += abs((int)a[k] - (int)b[k]) > EMO_CUT_LEVEL;
        for (int side = 0; side < 2; side++) {
            int *h = side ? hb : ha;
            /* Position from the first bin's centre, in 16ths of a bin. */
            int p = ((side ? b[k] : a[k]) - width / 2) * 16 / width;
            p = p < 0 ? 0 : p > 16 * (EMO_CUT_BINS - 1) ? 16 * (EMO_CUT_BINS - 1) : p;
            int bin = p / 16, frac = p % 16;
            h[bin] += 16 - frac;
            if (frac)
                h[bin + 1] += frac;
        }
    }
    int l1 = 0;
    for (int i = 0; i < EMO_CUT_BINS; i++)
        l1 += abs(ha[i] - hb[i]);
    float cells = (float)changed / EMO_CUT_CELLS;
    float hist = EMO_CUT_HIST_WEIGHT * (float)l1 / (2.0f * 16.0f * EMO_CUT_CELLS);
    return fminf(fminf(cells, hist), 1.0f);
}

int emo__reid_frame(EmoReid *r, const EmoFrame *frame)
{
    advance_clock(r, frame->pts);
    expire(r);
    r->last_score = 0;
    if (!(r->cut_threshold > 0))
        return 0;
    uint8_t *cur = r->cells[r->cur], *prev = r->cells[r->cur ^ 1];
    emo__cut_cells(frame, cur);
    int cut = 0;
    if (r->have_prev) {
        r->last_score = emo__cut_score(prev, cur);
        cut = r->last_score >= r->cut_threshold;
    }
    r->cur ^= 1;
    r->have_prev = 1;
    if (cut) {
        r->n_gone = 0;
        r->cuts++;
    }
    return cut;
}

void emo__reid_depart(EmoReid *r, int id, int kind, const float box[4], double left, int64_t frames_tracked)
{
    if (id <= 0 || !(r->seconds > 0))
        return;
    if (r->n_gone == EMO_FACE_MAX) {
        memmove(&r->gone[0], &r->gone[1], (EMO_FACE_MAX - 1) * sizeof(r->gone[0]));
        r->n_gone--;
    }
    /* Kept oldest first: a face handed back and returned keeps its place. */
    int at = r->n_gone;
    while (at > 0 && r->gone[at - 1].left > left)
        at--;
    memmove(&r->gone[at + 1], &r->gone[at], (size_t)(r->n_gone - at) * sizeof(r->gone[0]));
    EmoReidFace *g = &r->gone[at];
    g->id = id;
    g->kind = kind;
    memcpy(g->box, box, sizeof(g->box));
    g->left = left;
    g->frames_tracked = frames_tracked;
    r->n_gone++;
}

int emo__reid_claim(EmoReid *r, const float det[4], const int *live, int n_live, EmoReidFace *out)
{
    const float dsize = sqrtf(fmaxf(det[2], 0) * fmaxf(det[3], 0));
    const float cx = det[0] + 0.5f * det[2], cy = det[1] + 0.5f * det[3];
    int best = -1;
    float best_d = 0;
    for (int k = 0; k < r->n_gone; k++) {
        const EmoReidFace *g = &r->gone[k];
        float size = sqrtf(g->box[2] * g->box[3]);
        if (!(size > 0) || !(dsize > 0) || fmaxf(size, dsize) > EMO_REID_SIZE * fminf(size, dsize))
            continue;
        float dx = cx - (g->box[0] + 0.5f * g->box[2]), dy = cy - (g->box[1] + 0.5f * g->box[3]);
        float d = sqrtf(dx * dx + dy * dy) / size;
        if (!(d <= EMO_REID_DISTANCE) || (best >= 0 && d >= best_d))
            continue;
        int is_live = 0;
        for (int i = 0; i < n_live && !is_live; i++)
            is_live = live[i] == g->id;
        if (!is_live) {
            best = k;
            best_d = d;
        }
    }
    if (best < 0)
        return 0;
    *out = r->gone[best];
    memmove(&r->gone[best], &r->gone[best + 1], (size_t)(r->n_gone - best - 1) * sizeof(r->gone[0]));
    r->n_gone--;
    return 1;
}
