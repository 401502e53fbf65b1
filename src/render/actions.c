/* The overlay's action panel: the strongest facial actions (blendshapes or
 * FACS action units) of the graphed face, as labelled bars. */
#include <stdio.h>
#include <string.h>

#include "render/overlay_internal.h"

/* Sizes in units of the scale, shared by the placement and the drawing.
 * Wider than the probability panel: action names ("AU12 lip corner
 * puller", "mouthSmileLeft") are longer than emotion names. */
#define PANEL_W 256.0
#define PAD 7.0
#define HEAD 22.0
#define ROW 16.0
#define VALUE_W 30.0
#define BAR_W 60.0
#define LABEL_GAP 6.0
/* Fewest rows the panel shrinks to before it is left out. */
#define MIN_ROWS 3

/* The bars' fill: light and cool, apart from the seven emotion colours
 * (none of the emotions is meant) and from the movement highlights. */
static const double fill_rgb[3] = { 170 / 255.0, 180 / 255.0, 1.0 };

static double panel_height(double s, int rows)
{
    return (PAD + HEAD + rows * ROW + 0.6 * PAD) * s;
}

/* Indices of the n strongest actions of f, strongest first; equal values
 * (after clamping to [0,1], NaN as 0) keep their input order.
 * @return how many there are (at most n). */
static int strongest(const EmoOverlayFace *f, int n, int idx[])
{
    unsigned char taken[EMO_RENDER_MAX_ACTIONS] = { 0 };
    int have = f->n_actions, k = 0;
    for (; k < n && k < have; k++) {
        int best = -1;
        double bv = -1;
        for (int i = 0; i < have; i++) {
            double v = emo__clamp01(f->actions[i].value);
            if (!taken[i] && v > bv) {
                best = i;
                bv = v;
            }
        }
        taken[best] = 1;
        idx[k] = best;
    }
    return k;
}

/* Length of the valid UTF-8 sequence at t (1 to 4), or 0 when it is not
 * one: Cairo puts its context in error for invalid text. */
static int utf8_len(const unsigned char *t)
{
    unsigned c = t[0];
    int n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    for (int k = 1; k < n; k++)
        if ((t[k] & 0xc0) != 0x80)
            return 0;
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((c == 0xe0 && t[1] < 0xa0) || (c == 0xed && t[1] >= 0xa0) || (c == 0xf0 && t[1] < 0x90) ||
        (c == 0xf4 && t[1] >= 0x90))
        return 0;
    return n;
}

/* The label of an action: its name with every byte that is not valid
 * UTF-8 as '?', cut at a whole character to fit buf. */
static void copy_label(char *buf, size_t size, const char *name)
{
    const unsigned char *t = (const unsigned char *)name;
    size_t o = 0;
    while (*t) {
        int n = utf8_len(t);
        if (o + (n ? n : 1) >= size)
            break;
        if (n) {
            memcpy(buf + o, t, (size_t)n);
            o += (size_t)n;
            t += n;
        } else {
            buf[o++] = '?';
            t++;
        }
    }
    buf[o] = 0;
}

/* Cuts the label in buf (valid UTF-8, as copy_label makes it) at a whole
 * character and ends it with an ellipsis, so that it is at most max_w
 * wide: the longest such prefix, found by bisection over the character
 * starts. Nothing is left when not even the ellipsis fits. */
static void fit_label(Ctx *c, char *buf, size_t size, double max_w)
{
    static const char ell[] = "\xe2\x80\xa6"; /* U+2026 */
    if (text_width(c, buf) <= max_w)
        return;
    char tmp[256];
    size_t len = strlen(buf), cut[sizeof(tmp)];
    if (len + sizeof(ell) > sizeof(tmp)) /* longer than any label buffer here */
        len = 0;
    int n = 0; /* cut[i]: the byte length of the first i characters */
    for (size_t o = 0; o <= len; n++) {
        cut[n] = o;
        int k = o < len ? utf8_len((const unsigned char *)buf + o) : 1;
        o += k > 0 ? (size_t)k : 1;
    }
    int lo = -1, hi = n - 1; /* lo: the longest known to fit (-1: none) */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        memcpy(tmp, buf, cut[mid]);
        memcpy(tmp + cut[mid], ell, sizeof(ell));
        if (text_width(c, tmp) <= max_w)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo < 0 || cut[lo] + sizeof(ell) > size)
        buf[0] = 0;
    else
        memcpy(buf + cut[lo], ell, sizeof(ell));
}

static void draw_panel(Ctx *c, const EmoOverlayFace *f, const int *idx, int rows)
{
    cairo_t *cr = c->cr;
    EmoOverlayLayout *L = &c->ov->layout;
    double s = c->s, pad = PAD * s, row = ROW * s;
    const EmoRect *p = &L->actions_panel;
    panel(c, p->x, p->y, p->w, p->h);

    char buf[96];
    font(c, 1, 13.5 * s);
    text_at(c, p->x + pad, p->y + pad + 13 * s, "Facial actions", 1, 1, 1, 1);
    snprintf(buf, sizeof(buf), "#%d", f->id);
    font(c, 0, 11.5 * s);
    text_at(c, p->x + p->w - pad - text_width(c, buf), p->y + pad + 13 * s, buf, 0.85, 0.85, 0.85, 0.9);

    /* value column on the right, the bar before it, the label takes the rest */
    double value_w = VALUE_W * s;
    double bar_w = round(fmin(BAR_W * s, 0.4 * (p->w - 2 * pad)));
    double bar_x = round(p->x + p->w - pad - value_w - bar_w);
    double label_max = bar_x - LABEL_GAP * s - (p->x + pad);
    double bar_h = round(fmax(4.0, 0.6 * row));
    font(c, 0, 10.5 * s);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    for (int k = 0; k < rows; k++) {
        const EmoOverlayAction *a = &f->actions[idx[k]];
        double ry = p->y + pad + HEAD * s + k * row;
        double by = round(ry + (row - bar_h) * 0.35), base = by + bar_h - 1.5 * s;
        if (a->name)
            copy_label(buf, sizeof(buf), a->name);
        else
            snprintf(buf, sizeof(buf), "action %d", idx[k] + 1);
        fit_label(c, buf, sizeof(buf), label_max);
        text_at(c, p->x + pad, base, buf, 1, 1, 1, 0.9);
        L->action_label[k] = (EmoRect){ p->x + pad, base - fe.ascent, text_width(c, buf), fe.ascent + fe.descent };
        /* track, then the fill */
        double v = emo__clamp01(a->value);
        cairo_rectangle(cr, bar_x, by, bar_w, bar_h);
        cairo_set_source_rgba(cr, 0.22, 0.23, 0.26, 1.0);
        cairo_fill(cr);
        if (v > 0) {
            cairo_rectangle(cr, bar_x, by, v * bar_w, bar_h);
            cairo_set_source_rgba(cr, fill_rgb[0], fill_rgb[1], fill_rgb[2], 1.0);
            cairo_fill(cr);
        }
        L->action_bar[k] = (EmoRect){ bar_x, by, bar_w, bar_h };
        L->action_index[k] = idx[k];
        snprintf(buf, sizeof(buf), "%.2f", v);
        text_at(c, p->x + p->w - pad - text_width(c, buf), base, buf, 1, 1, 1, 0.9);
    }
    L->n_action_bars = rows;
}

void emo__overlay_actions(Ctx *c, const EmoOverlayInput *in)
{
    int fi = in->graph_face >= 0 && in->graph_face < c->nf ? in->graph_face : 0;
    const EmoOverlayFace *f = &c->faces[fi];
    int idx[EMO_RENDER_MAX_ACTIONS_SHOWN];
    int want = c->ov->s.actions < EMO_RENDER_MAX_ACTIONS_SHOWN ? c->ov->s.actions : EMO_RENDER_MAX_ACTIONS_SHOWN;
    int n = strongest(f, want, idx);
    if (n <= 0)
        return;
    /* Off the movements as well as the parts (a copy: they are no parts). */
    EmoLayoutSet ls = c->ls;
    for (int i = 0; i < c->nf; i++)
        emo__layout_add(&ls, &c->movement[i]);
    EmoOverlayLayout *L = &c->ov->layout;
    double pw = fmin(PANEL_W * c->s, c->W - 2 * c->m);
    if (pw <= 0)
        return;
    for (int rows = n; rows >= (n < MIN_ROWS ? n : MIN_ROWS); rows--) {
        EmoRect r;
        if (emo__layout_actions(&ls, c->faces, c->nf, fi, &L->bars_panel[fi], &L->graph, 0.5 * c->m, c->m, pw,
                                panel_height(c->s, rows), &r) == 0) {
            L->actions_panel = r;
            L->actions_face = fi;
            emo__layout_add(&c->ls, &r);
            draw_panel(c, f, idx, rows);
            return;
        }
    }
}
