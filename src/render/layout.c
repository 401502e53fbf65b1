/* Placement of the overlay's parts without overlaps (see layout.h for the
 * order of priority). */
#include <math.h>
#include <string.h>

#include "render/layout.h"

void emo__layout_init(EmoLayoutSet *ls, int W, int H)
{
    memset(ls, 0, sizeof(*ls));
    ls->W = W;
    ls->H = H;
}

double emo__rect_overlap(const EmoRect *a, const EmoRect *b)
{
    double ox = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
    double oy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
    return ox > 0 && oy > 0 ? ox * oy : 0;
}

int emo__layout_free(const EmoLayoutSet *ls, const EmoRect *r)
{
    /* Written so that NaN coordinates count as outside. */
    if (!(r->w > 0 && r->h > 0 && r->x >= 0 && r->y >= 0 && r->x + r->w <= ls->W + 0.5 &&
          r->y + r->h <= ls->H + 0.5))
        return 0;
    for (int i = 0; i < ls->n; i++)
        if (emo__rect_overlap(&ls->part[i], r) > 0)
            return 0;
    return 1;
}

void emo__layout_add(EmoLayoutSet *ls, const EmoRect *r)
{
    if (r->w > 0 && ls->n < EMO__LAYOUT_MAX)
        ls->part[ls->n++] = *r;
}

int emo__layout_place(EmoLayoutSet *ls, const EmoRect *cand, int n, EmoRect *out)
{
    for (int k = 0; k < n; k++)
        if (emo__layout_free(ls, &cand[k])) {
            *out = cand[k];
            emo__layout_add(ls, out);
            return k;
        }
    memset(out, 0, sizeof(*out));
    return -1;
}

EmoRect emo__layout_graph(int W, int H, double s, double m)
{
    double gw = fmin(290 * s, W - 2 * m), gh = fmin(124 * s, 0.4 * H);
    return (EmoRect){ round(m), round(H - m - gh), gw, gh };
}

/* Area of the faces' boxes that r covers. */
static double face_cover(const EmoOverlayFace *faces, int nf, const EmoRect *r)
{
    double sum = 0;
    for (int j = 0; j < nf; j++) {
        EmoRect b = { faces[j].x, faces[j].y, faces[j].w, faces[j].h };
        sum += emo__rect_overlap(&b, r);
    }
    return sum;
}

int emo__layout_panel(const EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, const EmoOverlayFace *f,
                      double m, double pw, double ph, EmoRect *out)
{
    int W = ls->W, H = ls->H;
    double y = fmin(fmax(f->y, m), H - m - ph);
    if (y < 0)
        y = 0;
    /* The first six spots; when none of them is free, the frame's edges
     * and the sides of the box at every sixteenth of the height. */
    enum { FIRST = 6, STEPS = 16, N = FIRST + 4 * (STEPS + 1) };
    double cand[N][2] = {
        { f->x + f->w + m, y }, { f->x - m - pw, y }, { W - m - pw, y }, { m, y },
        { W - m - pw, m }, { W - m - pw, H - m - ph },
    };
    double xs[4] = { W - m - pw, m, f->x + f->w + m, f->x - m - pw };
    for (int k = FIRST; k < N; k++) {
        int step = (k - FIRST) % (STEPS + 1);
        cand[k][0] = xs[(k - FIRST) / (STEPS + 1)];
        cand[k][1] = m + (H - 2 * m - ph) * step / STEPS;
    }
    double best = INFINITY;
    for (int k = 0; k < N && !(k == FIRST && best < INFINITY); k++) {
        EmoRect u = { cand[k][0], cand[k][1], pw, ph };
        if (u.x < 0 || u.x + pw > W || u.y < 0 || u.y + ph > H + 0.5)
            continue;
        /* Checked where it is drawn: at whole pixels. */
        EmoRect r = { round(u.x), round(u.y), pw, ph };
        if (!emo__layout_free(ls, &r))
            continue;
        double score = face_cover(faces, nf, &u);
        if (score < best) {
            best = score;
            *out = r;
        }
    }
    return best < INFINITY ? 0 : -1;
}

int emo__layout_actions(const EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, int fi, const EmoRect *bars,
                        const EmoRect *graph, double gap, double m, double pw, double ph, EmoRect *out)
{
    /* Beside what shows the same face: under or over its probabilities
     * (from their left edge, else ending at their right edge), right of
     * or over its history. */
    const EmoRect *b = bars, *g = graph;
    double cand[6][2] = { { b->x, b->y + b->h + gap },           { b->x + b->w - pw, b->y + b->h + gap },
                          { b->x, b->y - gap - ph },             { b->x + b->w - pw, b->y - gap - ph },
                          { g->x + g->w + gap, g->y + g->h - ph }, { g->x, g->y - gap - ph } };
    for (int k = 0; k < 6; k++) {
        if ((k < 4 ? b : g)->w <= 0)
            continue;
        EmoRect r = { round(cand[k][0]), round(cand[k][1]), pw, ph };
        if (emo__layout_free(ls, &r) && face_cover(faces, nf, &r) <= 0) {
            *out = r;
            return 0;
        }
    }
    return emo__layout_panel(ls, faces, nf, &faces[fi], m, pw, ph, out);
}

static double clamp_to(double v, double hi)
{
    if (v > hi)
        v = hi;
    return v < 0 ? 0 : v;
}

EmoRect emo__layout_tag(EmoLayoutSet *ls, const EmoRect *box, double lw, double tw, double th, EmoRect *out)
{
    double x = box->x, y = box->y;
    double rows[3] = { y - th - lw / 2 < 0 ? y + lw : y - th - lw / 2, y + lw, y + box->h + lw / 2 };
    double cols[2] = { x - lw / 2, x + box->w + lw / 2 - tw };
    EmoRect cand[6];
    for (int k = 0; k < 6; k++)
        cand[k] = (EmoRect){ clamp_to(cols[k % 2], ls->W - tw), rows[k / 2], tw, th };
    return emo__layout_place(ls, cand, 6, out) < 0 ? cand[0] : *out;
}

int emo__layout_badge(EmoLayoutSet *ls, const EmoRect *tag, double s, double bw, double bh, EmoRect *out)
{
    double gap = 3 * s, under = fmax(0, fmin(tag->x, ls->W - bw));
    EmoRect cand[5] = { { tag->x + tag->w + 4 * s, tag->y, bw, bh },
                        { under, tag->y + tag->h + gap, bw, bh },
                        { tag->x - 4 * s - bw, tag->y, bw, bh },
                        { under, tag->y - gap - bh, bw, bh },
                        { under, tag->y + 2 * (tag->h + gap), bw, bh } };
    if (cand[0].x + bw > ls->W)
        cand[0].w = 0; /* the row is full: not even the half pixel of slack */
    return emo__layout_place(ls, cand, 5, out) < 0 ? -1 : 0;
}

int emo__layout_caption(EmoLayoutSet *ls, double cx, double cy, double r, const EmoLayoutText *t, double s,
                        double m, EmoRect *out, double at[2])
{
    double tw = t->w, gap = 6 * s;
    double right = cx + r + gap, left = cx - r - gap - tw;
    double x0 = right + tw > ls->W - m ? left : right, x1 = x0 == right ? left : right;
    double y0 = cy + 4 * s, xc = cx - tw / 2;
    /* then rows 2 to 11 lines down and up, each at x0, x1 and centred */
    enum { ROWS = 10, N = 4 + 2 * 3 * ROWS };
    double pos[N][2] = { { x0, y0 }, { x1, y0 }, { xc, cy + r + gap + t->ascent },
                         { xc, cy - r - gap - t->descent - t->shadow } };
    double xs[3] = { x0, x1, xc };
    for (int k = 0; k < N - 4; k++) {
        pos[4 + k][0] = xs[k % 3];
        pos[4 + k][1] = y0 + (k / 3 % 2 ? -1 : 1) * (2 + k / 6) * t->height;
    }
    EmoRect cand[N];
    for (int k = 0; k < N; k++) {
        pos[k][0] = fmin(fmax(pos[k][0], m), ls->W - m - tw);
        pos[k][1] = fmin(fmax(pos[k][1], m + 10 * s), ls->H - m);
        cand[k] = (EmoRect){ pos[k][0], pos[k][1] - t->ascent, tw + t->shadow, t->ascent + t->descent + t->shadow };
    }
    int k = emo__layout_place(ls, cand, N, out);
    if (k < 0)
        return -1;
    at[0] = pos[k][0];
    at[1] = pos[k][1];
    return 0;
}

int emo__layout_bars(EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, int fi, int show_models, double s,
                     double m, EmoRect *out)
{
    const EmoOverlayFace *f = &faces[fi];
    /* The sizes of draw_bars() in overlay.c. */
    double pad = 7 * s, row = 17 * s, head = 22 * s, model_row = 15 * s;
    double pw = 206 * s;
    if (pw > ls->W - 2 * m)
        pw = ls->W - 2 * m;
    int all = f->n_models < EMO_RENDER_MAX_MODELS ? f->n_models : EMO_RENDER_MAX_MODELS;
    for (int models = show_models ? 1 : 0; models >= 0; models--) {
        int nm = models ? all : 0;
        double ph = pad + head + EMO_RENDER_EMOTIONS * row + (nm > 0 ? 8 * s + nm * model_row : 0) + pad * 0.6;
        if (!emo__layout_panel(ls, faces, nf, f, m, pw, ph, out)) {
            emo__layout_add(ls, out);
            return nm;
        }
    }
    memset(out, 0, sizeof(*out));
    return 0;
}
