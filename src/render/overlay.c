/* The live overlay, drawn with Cairo straight into BGRA frames. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render/overlay_internal.h"

void emo_overlay_default_settings(EmoOverlaySettings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->branding, sizeof(s->branding), "%s", "emoscope");
    s->graph_seconds = 10.0;
    s->mesh_style = EMO_MESH_STYLE_CONTOURS;
    s->actions = 6;
}

int emo_mesh_style_parse(const char *text, EmoMeshStyle *out)
{
    static const char *const names[] = { "contours", "points", "both" };
    for (int i = 0; text && i < 3; i++) {
        if (!strcmp(text, names[i])) {
            *out = (EmoMeshStyle)i;
            return 0;
        }
    }
    return EMO_EINVAL;
}

static void slot_clear(SurfaceSlot *sl)
{
    if (sl->cr)
        cairo_destroy(sl->cr);
    if (sl->surface)
        cairo_surface_destroy(sl->surface);
    memset(sl, 0, sizeof(*sl));
}

void emo_overlay_close(EmoOverlay **pov)
{
    if (!pov || !*pov)
        return;
    EmoOverlay *ov = *pov;
    for (int i = 0; i < SURFACE_CACHE; i++)
        slot_clear(&ov->slots[i]);
    if (ov->font)
        cairo_font_face_destroy(ov->font);
    if (ov->font_bold)
        cairo_font_face_destroy(ov->font_bold);
    if (ov->panel_bg)
        cairo_pattern_destroy(ov->panel_bg);
    free(ov);
    *pov = NULL;
}

int emo_overlay_open(EmoOverlay **out, const EmoOverlaySettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    EmoOverlaySettings def;
    if (!s) {
        emo_overlay_default_settings(&def);
        s = &def;
    }
    if (!(s->graph_seconds > 0.0 && s->graph_seconds <= 86400.0)) {
        emo_log(s->logger, EMO_LOG_ERROR, "overlay: graph_seconds must be in (0, 86400], got %g",
                s->graph_seconds);
        return EMO_EINVAL;
    }
    if ((int)s->mesh_style < 0 || s->mesh_style > EMO_MESH_STYLE_BOTH || !memchr(s->branding, 0, sizeof(s->branding))) {
        emo_log(s->logger, EMO_LOG_ERROR, "overlay: bad mesh style or branding");
        return EMO_EINVAL;
    }
    if (s->actions < 1 || s->actions > EMO_RENDER_MAX_ACTIONS_SHOWN) {
        emo_log(s->logger, EMO_LOG_ERROR, "overlay: actions must be in [1, %d], got %d", EMO_RENDER_MAX_ACTIONS_SHOWN,
                s->actions);
        return EMO_EINVAL;
    }
    EmoOverlay *ov = calloc(1, sizeof(*ov));
    if (!ov)
        return EMO_ENOMEM;
    ov->s = *s;
    snprintf(ov->family, sizeof(ov->family), "%s", s->font_family ? s->font_family : "DejaVu Sans");
    ov->s.font_family = ov->family;
    ov->font = cairo_toy_font_face_create(ov->family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    ov->font_bold = cairo_toy_font_face_create(ov->family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    ov->panel_bg = cairo_pattern_create_rgba(0.06, 0.07, 0.09, 0.66);
    if (cairo_font_face_status(ov->font) != CAIRO_STATUS_SUCCESS ||
        cairo_font_face_status(ov->font_bold) != CAIRO_STATUS_SUCCESS ||
        cairo_pattern_status(ov->panel_bg) != CAIRO_STATUS_SUCCESS) {
        emo_log(s->logger, EMO_LOG_ERROR, "overlay: cannot create fonts or patterns");
        goto fail;
    }
    *out = ov;
    return 0;
fail:
    emo_overlay_close(&ov);
    return EMO_ENOMEM;
}

void emo_overlay_last_layout(const EmoOverlay *ov, EmoOverlayLayout *out)
{
    if (!out)
        return;
    if (!ov) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = ov->layout;
}

/* The cached cairo context for this frame buffer, made on first sight. */
static cairo_t *frame_context(EmoOverlay *ov, EmoFrame *f)
{
    SurfaceSlot *hit = NULL, *victim = &ov->slots[0];
    for (int i = 0; i < SURFACE_CACHE; i++) {
        SurfaceSlot *sl = &ov->slots[i];
        if (sl->cr && sl->data == f->data[0] && sl->w == f->width && sl->h == f->height &&
            sl->stride == f->stride[0]) {
            hit = sl;
            break;
        }
        if (sl->last_use < victim->last_use)
            victim = sl;
    }
    if (!hit) {
        slot_clear(victim);
        victim->surface = cairo_image_surface_create_for_data(f->data[0], CAIRO_FORMAT_ARGB32, f->width,
                                                              f->height, f->stride[0]);
        victim->cr = cairo_create(victim->surface);
        if (cairo_status(victim->cr) != CAIRO_STATUS_SUCCESS) {
            slot_clear(victim);
            return NULL;
        }
        victim->data = f->data[0];
        victim->w = f->width;
        victim->h = f->height;
        victim->stride = f->stride[0];
        hit = victim;
    }
    hit->last_use = ++ov->uses;
    /* The pixels changed behind Cairo's back since the last use. */
    cairo_surface_mark_dirty(hit->surface);
    return hit->cr;
}

static int dominant_of(const EmoOverlayFace *f)
{
    if (f->dominant >= 0 && f->dominant < EMO_RENDER_EMOTIONS)
        return f->dominant;
    int best = 0;
    for (int e = 1; e < EMO_RENDER_EMOTIONS; e++)
        if (f->probs[e] > f->probs[best])
            best = e;
    return best;
}

/* Black or white, whichever reads better on emotion e's colour. */
static double ink_on(int e)
{
    uint8_t c[3];
    emo_render_emotion_rgb(e, c);
    double lum = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    return lum > 150 ? 0.0 : 1.0;
}

/* snprintf at *len, keeping *len within the buffer. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (k > 0)
        *len = *len + (size_t)k < size ? *len + (size_t)k : size - 1;
}

/* ---------------------------------------------------------------- parts */

static void draw_mesh(Ctx *c, const EmoOverlayFace *f)
{
    cairo_t *cr = c->cr;
    const float *p = f->landmarks;
    EmoMeshStyle st = c->ov->s.mesh_style;
    if (st == EMO_MESH_STYLE_CONTOURS || st == EMO_MESH_STYLE_BOTH) {
        for (int k = 0; k < emo__mesh_n_contours; k++) {
            const EmoMeshContour *ct = &emo__mesh_contours[k];
            for (int j = 0; j < ct->len; j++) {
                int i = emo__mesh_contour_idx[ct->start + j];
                if (j == 0)
                    cairo_move_to(cr, p[2 * i], p[2 * i + 1]);
                else
                    cairo_line_to(cr, p[2 * i], p[2 * i + 1]);
            }
            if (ct->closed)
                cairo_close_path(cr);
        }
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_width(cr, fmax(1.0, 1.1 * c->s));
        cairo_set_source_rgba(cr, 0.85, 0.95, 1.0, 0.8);
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
        cairo_stroke(cr);
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    }
    if (st == EMO_MESH_STYLE_POINTS || st == EMO_MESH_STYLE_BOTH) {
        double r = fmax(1.0, 1.25 * c->s);
        for (int i = 0; i < f->n_landmarks; i++) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, p[2 * i], p[2 * i + 1], r, 0, 2 * EMO__PI);
        }
        cairo_set_source_rgba(cr, 0.0, 0.9, 1.0, 0.95);
        cairo_fill(cr);
    }
}

/* Face fi's tag: its text, and its place (layout.tag[fi]), taken before the
 * panels are placed. *anchor: where the badge goes by (see emo__layout_tag). */
static void place_tag(Ctx *c, const EmoOverlayFace *f, int fi, char tag[96], EmoRect *anchor)
{
    int dom = f->has_probs ? dominant_of(f) : -1;
    if (dom >= 0)
        snprintf(tag, 96, "#%d  %s %.0f%%", f->id, emo_render_emotion_label(dom),
                 100.0 * emo__clamp01(f->probs[dom]));
    else
        snprintf(tag, 96, "#%d  analysing", f->id);
    font(c, 1, 13 * c->s);
    double th = 19 * c->s, tw = text_width(c, tag) + 10 * c->s;
    EmoRect box = { f->x, f->y, f->w, f->h };
    *anchor = emo__layout_tag(&c->ls, &box, fmax(1.5, 2.2 * c->s), tw, th, &c->ov->layout.tag[fi]);
}

static void draw_box(Ctx *c, const EmoOverlayFace *f, int fi, const char *tag)
{
    cairo_t *cr = c->cr;
    int dom = f->has_probs ? dominant_of(f) : -1;
    double x = f->x, y = f->y, w = f->w, h = f->h;
    double lw = fmax(1.5, 2.2 * c->s);
    /* Thin full box, then bold corner brackets. */
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_line_width(cr, fmax(1.0, 0.8 * c->s));
    if (dom >= 0)
        emo__set_emotion_source(cr, dom, 0.45);
    else
        cairo_set_source_rgba(cr, 1, 1, 1, 0.4);
    cairo_stroke(cr);
    double k = 0.2 * fmin(w, h);
    cairo_move_to(cr, x, y + k);
    cairo_line_to(cr, x, y);
    cairo_line_to(cr, x + k, y);
    cairo_move_to(cr, x + w - k, y);
    cairo_line_to(cr, x + w, y);
    cairo_line_to(cr, x + w, y + k);
    cairo_move_to(cr, x + w, y + h - k);
    cairo_line_to(cr, x + w, y + h);
    cairo_line_to(cr, x + w - k, y + h);
    cairo_move_to(cr, x + k, y + h);
    cairo_line_to(cr, x, y + h);
    cairo_line_to(cr, x, y + h - k);
    cairo_set_line_width(cr, lw);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    if (dom >= 0)
        emo__set_emotion_source(cr, dom, 1.0);
    else
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_stroke(cr);

    /* The tag, where place_tag() put it. */
    const EmoRect *placed = &c->ov->layout.tag[fi];
    if (placed->w <= 0)
        return;
    font(c, 1, 13 * c->s);
    double tx = placed->x, ty = placed->y, tw = placed->w, th = placed->h;
    emo__rounded_rect(cr, tx, ty, tw, th, 3 * c->s);
    if (dom >= 0)
        emo__set_emotion_source(cr, dom, 0.92);
    else
        cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.85);
    cairo_fill(cr);
    double ink = dom >= 0 ? ink_on(dom) : 1.0;
    cairo_set_source_rgba(cr, ink, ink, ink, 1.0);
    cairo_move_to(cr, tx + 5 * c->s, ty + th - 5.5 * c->s);
    cairo_show_text(cr, tag);
}

static void draw_micro(Ctx *c, const EmoOverlayFace *f, int fi, const EmoRect *tag)
{
    const EmoOverlayMicro *mi = &f->micro;
    cairo_t *cr = c->cr;
    double r = mi->radius > 0 ? mi->radius : 0.12 * fmin(f->w, f->h);
    /* bounded: Cairo splits an arc into segments in proportion to its size */
    if (!(r >= 6 * c->s))
        r = 6 * c->s;
    if (r > fmax(c->W, c->H))
        r = fmax(c->W, c->H);
    int is_event = mi->event == EMO_OVERLAY_EVENT_MICRO || mi->event == EMO_OVERLAY_EVENT_MACRO;
    int macro = mi->event == EMO_OVERLAY_EVENT_MACRO;
    double cr_ = macro ? 1.0 : 1.0, cg = macro ? 0.6 : 0.25, cb = macro ? 0.1 : 0.85;
    if (!is_event) { /* movement below an event: amber */
        cr_ = 1.0;
        cg = 0.8;
        cb = 0.1;
    }
    cairo_arc(cr, mi->cx, mi->cy, r, 0, 2 * EMO__PI);
    cairo_set_source_rgba(cr, cr_, cg, cb, 0.22);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, cr_, cg, cb, 0.95);
    cairo_set_line_width(cr, fmax(1.0, 1.6 * c->s));
    cairo_stroke(cr);

    /* Direction arrow from the centre; longer for a stronger movement. */
    double rel = mi->threshold > 0 ? mi->magnitude / mi->threshold : 1.0;
    if (!(rel == rel))
        rel = 1.0;
    double len = r * (1.0 + fmin(fmax(rel, 0.0), 2.0) * 0.6);
    double ca = cos(mi->angle), sa = sin(mi->angle);
    double reach = len + 7 * c->s; /* the arrow with its head, whatever its direction */
    c->movement[fi] = (EmoRect){ mi->cx - reach, mi->cy - reach, 2 * reach, 2 * reach };
    if (isfinite(ca) && isfinite(sa))
        arrow(c, mi->cx, mi->cy, mi->cx + ca * len, mi->cy + sa * len, ca, sa, 7 * c->s, fmax(1.5, 2.4 * c->s));

    /* Caption below the face box: region, direction, magnitude; event badge. */
    char line[160];
    size_t n = 0;
    int reg = mi->has_region && mi->region >= 0 && mi->region < EMO_REGION_COUNT;
    int dir = mi->has_direction && mi->direction > EMO_DIR_NONE && mi->direction < EMO_DIR_COUNT;
    appendf(line, sizeof(line), &n, "%s%s%s", reg ? emo_region_name(mi->region) : "", reg && dir ? " \xc2\xb7 " : "",
            dir ? emo_direction_name(mi->direction) : "");
    for (char *p = line; *p; p++) /* "left_brow" reads "left brow"; direction names have no '_' */
        *p = *p == '_' ? ' ' : *p;
    if (mi->threshold > 0)
        appendf(line, sizeof(line), &n, "%s%.2f / %.2f", n ? "  " : "", mi->magnitude, mi->threshold);
    else
        appendf(line, sizeof(line), &n, "%s%.2f", n ? "  " : "", mi->magnitude);
    /* Event badge beside the tag (see emo__layout_badge). */
    if (is_event) {
        const char *badge = macro ? "MACRO-EXPRESSION" : "MICRO-EXPRESSION";
        font(c, 1, 12 * c->s);
        double bw = text_width(c, badge) + 12 * c->s, bh = tag->h;
        if (!emo__layout_badge(&c->ls, tag, c->s, bw, bh, &c->ov->layout.badge[fi])) {
            double bx = c->ov->layout.badge[fi].x, by = c->ov->layout.badge[fi].y;
            emo__rounded_rect(cr, bx, by, bw, bh, 3 * c->s);
            cairo_set_source_rgba(cr, cr_, cg, cb, 0.95);
            cairo_fill(cr);
            cairo_set_source_rgba(cr, 1, 1, 1, 1);
            cairo_move_to(cr, bx + 6 * c->s, by + bh - 5.5 * c->s);
            cairo_show_text(cr, badge);
        }
    }
    /* Caption beside the region (see emo__layout_caption). */
    font(c, 1, 11.5 * c->s);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    EmoLayoutText cap = { text_width(c, line), fe.ascent, fe.descent, fe.height, shadow_of(c) };
    double at[2];
    if (!emo__layout_caption(&c->ls, mi->cx, mi->cy, r, &cap, c->s, c->m, &c->ov->layout.caption[fi], at))
        text_on_video(c, at[0], at[1], line, 1.0, 0.92, 0.6, 1.0);
}

/* The fused bars (and per-model bars) of face i in a panel beside its box. */
static void draw_bars(Ctx *c, const EmoOverlayFace *f, int fi)
{
    cairo_t *cr = c->cr;
    EmoOverlayLayout *L = &c->ov->layout;
    double s = c->s, pad = 7 * s;
    double row = 17 * s, head = 22 * s;
    double label_w = 60 * s, pct_w = 38 * s;
    int nm = c->models_shown[fi];
    double model_row = 15 * s;
    double px = L->bars_panel[fi].x, py = L->bars_panel[fi].y, pw = L->bars_panel[fi].w;
    if (pw <= 0)
        return;
    panel(c, px, py, pw, L->bars_panel[fi].h);

    int dom = dominant_of(f);
    char buf[96];
    font(c, 1, 13.5 * s);
    snprintf(buf, sizeof(buf), "#%d %s", f->id, emo_render_emotion_label(dom));
    uint8_t dc[3];
    emo_render_emotion_rgb(dom, dc);
    text_at(c, px + pad, py + pad + 13 * s, buf, dc[0] / 255.0, dc[1] / 255.0, dc[2] / 255.0, 1.0);
    snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * emo__clamp01(f->probs[dom]));
    text_at(c, px + pw - pad - text_width(c, buf), py + pad + 13 * s, buf, 1, 1, 1, 1);

    double bar_x = round(px + pad + label_w);
    double bar_w = round(pw - 2 * pad - label_w - pct_w);
    double bar_h = round(fmax(4.0, 0.6 * row));
    for (int e = 0; e < EMO_RENDER_EMOTIONS; e++) {
        double ry = py + pad + head + e * row;
        double by = round(ry + (row - bar_h) * 0.35);
        int is_dom = e == dom;
        font(c, is_dom, 11.5 * s);
        double a = is_dom ? 1.0 : 0.85;
        text_at(c, px + pad, by + bar_h - 1.5 * s, emo_render_emotion_label(e), 1, 1, 1, a);
        /* track, then the smoothed fill in the emotion's colour */
        cairo_rectangle(cr, bar_x, by, bar_w, bar_h);
        cairo_set_source_rgba(cr, 0.22, 0.23, 0.26, 1.0);
        cairo_fill(cr);
        double p = emo__clamp01(f->probs[e]);
        if (p > 0) {
            cairo_rectangle(cr, bar_x, by, p * bar_w, bar_h);
            emo__set_emotion_source(cr, e, 1.0);
            cairo_fill(cr);
        }
        L->bar[fi][e] = (EmoRect){ bar_x, by, bar_w, bar_h };
        /* the raw (unsmoothed) value: a small white notch under the bar */
        double pr = emo__clamp01(f->probs_raw[e]);
        double nx = bar_x + pr * bar_w, ny = by + bar_h + 0.5 * s, nh = fmax(2.0, 3.2 * s);
        cairo_move_to(cr, nx, ny);
        cairo_line_to(cr, nx + nh, ny + nh);
        cairo_line_to(cr, nx - nh, ny + nh);
        cairo_close_path(cr);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
        cairo_fill(cr);
        snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * p);
        font(c, is_dom, 11 * s);
        text_at(c, px + pw - pad - text_width(c, buf), by + bar_h - 1.5 * s, buf, 1, 1, 1, a);
    }

    if (nm > 0) {
        double y0 = py + pad + head + EMO_RENDER_EMOTIONS * row + 4 * s;
        cairo_move_to(cr, px + pad, y0);
        cairo_line_to(cr, px + pw - pad, y0);
        cairo_set_line_width(cr, fmax(1.0, 0.7 * s));
        cairo_set_source_rgba(cr, 1, 1, 1, 0.25);
        cairo_stroke(cr);
        double mlabel_w = 78 * s;
        double sx = round(px + pad + mlabel_w), sw = round(pw - 2 * pad - mlabel_w);
        double sh = round(fmax(3.0, 0.62 * model_row));
        for (int k = 0; k < nm; k++) {
            const EmoOverlayModel *md = &f->models[k];
            double ry = y0 + 4 * s + k * model_row;
            char name[40];
            if (md->name)
                snprintf(name, sizeof(name), "%s", md->name);
            else
                snprintf(name, sizeof(name), "model %d", k + 1);
            font(c, 0, 10 * s);
            /* shorten long names to the label column */
            size_t len = strlen(name);
            while (len > 3 && text_width(c, name) > mlabel_w - 4 * s) {
                name[--len] = 0;
                name[len - 1] = '.';
            }
            text_at(c, px + pad, ry + sh, name, 0.9, 0.9, 0.9, 0.9);
            /* one stacked bar: each emotion's share in its colour */
            double sum = 0;
            for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
                sum += emo__clamp01(md->probs[e]);
            double x = sx;
            for (int e = 0; e < EMO_RENDER_EMOTIONS && sum > 0; e++) {
                double wseg = emo__clamp01(md->probs[e]) / sum * sw;
                cairo_rectangle(cr, x, round(ry + 1 * s), wseg, sh);
                emo__set_emotion_source(cr, e, 1.0);
                cairo_fill(cr);
                x += wseg;
            }
        }
    }
}

static void draw_graph(Ctx *c, const EmoOverlayFace *f)
{
    cairo_t *cr = c->cr;
    EmoOverlayLayout *L = &c->ov->layout;
    double s = c->s, pad = 7 * s;
    double gx = L->graph.x, gy = L->graph.y, gw = L->graph.w, gh = L->graph.h;
    panel(c, gx, gy, gw, gh);

    double span = c->ov->s.graph_seconds;
    char buf[64];
    font(c, 1, 11.5 * s);
    snprintf(buf, sizeof(buf), "#%d  last %.0f s", f->id, span);
    text_at(c, gx + pad, gy + pad + 10 * s, buf, 1, 1, 1, 0.95);

    double legend_w = 70 * s;
    double axis_w = 24 * s;
    EmoRect plot = { gx + pad + axis_w, gy + pad + 17 * s, gw - 2 * pad - axis_w - legend_w, 0 };
    plot.h = gh - (plot.y - gy) - pad - 11 * s;
    L->graph_plot = plot;

    /* grid and axis labels */
    font(c, 0, 9.5 * s);
    cairo_set_line_width(cr, fmax(1.0, 0.6 * s));
    for (int k = 0; k <= 2; k++) {
        double y = round(plot.y + plot.h * (1.0 - k * 0.5)) + 0.5;
        cairo_move_to(cr, plot.x, y);
        cairo_line_to(cr, plot.x + plot.w, y);
        cairo_set_source_rgba(cr, 1, 1, 1, k == 0 ? 0.35 : 0.15);
        cairo_stroke(cr);
        snprintf(buf, sizeof(buf), "%d%%", k * 50);
        text_at(c, plot.x - 3 * s - text_width(c, buf), y + 3.5 * s, buf, 0.85, 0.85, 0.85, 0.9);
    }
    snprintf(buf, sizeof(buf), "-%.0f s", span);
    text_at(c, plot.x, plot.y + plot.h + 10.5 * s, buf, 0.85, 0.85, 0.85, 0.9);
    text_at(c, plot.x + plot.w - text_width(c, "now"), plot.y + plot.h + 10.5 * s, "now", 0.85, 0.85, 0.85, 0.9);

    /* legend: swatch and label per emotion */
    double lx = plot.x + plot.w + 8 * s, ly = plot.y - 2 * s;
    double lrow = (plot.h + 8 * s) / EMO_RENDER_EMOTIONS;
    L->legend = (EmoRect){ lx, ly, legend_w - 8 * s + pad, lrow * EMO_RENDER_EMOTIONS };
    int dom = f->has_probs ? dominant_of(f) : -1;
    for (int e = 0; e < EMO_RENDER_EMOTIONS; e++) {
        double y = ly + e * lrow;
        double sw = round(fmax(4.0, 9 * s));
        cairo_rectangle(cr, round(lx), round(y + (lrow - sw) / 2), sw, sw);
        emo__set_emotion_source(cr, e, 1.0);
        cairo_fill(cr);
        font(c, e == dom, 9.5 * s);
        text_at(c, lx + sw + 4 * s, y + lrow / 2 + 3.5 * s, emo_render_emotion_label(e), 1, 1, 1, 0.9);
    }

    /* curves */
    int n = f->n_history;
    if (n < 1 || !f->history_t || !f->history_probs)
        return;
    double t1 = f->history_t[n - 1], t0 = t1 - span;
    if (!isfinite(t1))
        return;
    int first = n - 1;
    while (first > 0 && f->history_t[first - 1] >= t0)
        first--;
    cairo_save(cr);
    cairo_rectangle(cr, plot.x, plot.y - 2 * s, plot.w, plot.h + 4 * s);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
    /* Dominant last so it lies on top. */
    for (int k = 0; k < EMO_RENDER_EMOTIONS; k++) {
        int e = k;
        if (dom >= 0) {
            if (k == EMO_RENDER_EMOTIONS - 1)
                e = dom;
            else if (k >= dom)
                e = k + 1;
        }
        int pen = 0;
        for (int i = first; i < n; i++) {
            double t = f->history_t[i], p = f->history_probs[(size_t)i * EMO_RENDER_EMOTIONS + e];
            if (!isfinite(t) || !isfinite(p)) {
                pen = 0;
                continue;
            }
            /* out-of-order or far points: kept within a plot width of the panel */
            double x = plot.x + fmin(fmax((t - t0) / span, -1.0), 2.0) * plot.w;
            double y = plot.y + (1.0 - emo__clamp01(p)) * plot.h;
            if (pen)
                cairo_line_to(cr, x, y);
            else
                cairo_move_to(cr, x, y);
            pen = 1;
        }
        if (n - first == 1 && cairo_has_current_point(cr)) /* a single point: a short dash */
            cairo_rel_line_to(cr, 1.0, 0);
        cairo_set_line_width(cr, (e == dom ? 2.6 : 1.7) * fmax(1.0, s));
        emo__set_emotion_source(cr, e, e == dom ? 1.0 : 0.9);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void format_clock(double t, char *buf, size_t n)
{
    if (!(t >= 0)) /* negative or NaN */
        t = 0;
    if (t > 1e9)
        t = 1e9;
    long ms = (long)llround(t * 1000.0);
    long h = ms / 3600000, mnt = (ms / 60000) % 60, sec = (ms / 1000) % 60;
    if (h > 0)
        snprintf(buf, n, "%ld:%02ld:%02ld.%03ld", h, mnt, sec, ms % 1000);
    else
        snprintf(buf, n, "%02ld:%02ld.%03ld", mnt, sec, ms % 1000);
}

typedef struct HudText {
    char l1[96], l2[96];
    const char *st; /* status line or NULL */
} HudText;

/* The HUD's lines, and its panel top-left (layout.hud): measured before
 * anything is placed, drawn last. */
static void hud_layout(Ctx *c, const EmoOverlayInput *in, HudText *t)
{
    double s = c->s, pad = 6 * s, lh = 15 * s;
    char *l1 = t->l1, *l2 = t->l2, tmp[40];
    l1[0] = l2[0] = 0;
    int n1 = 0;
    if (in->capture_fps >= 0)
        n1 = snprintf(l1, sizeof(t->l1), "capture %.1f fps", in->capture_fps);
    if (in->analysis_fps >= 0 && n1 >= 0 && (size_t)n1 < sizeof(t->l1))
        snprintf(l1 + n1, sizeof(t->l1) - (size_t)n1, "%sanalysis %.1f fps", n1 ? "   " : "", in->analysis_fps);
    format_clock(in->pts, tmp, sizeof(tmp));
    int n2 = snprintf(l2, sizeof(t->l2), "t %s", tmp);
    if (in->wallclock > 0 && in->wallclock < 1e11 && n2 >= 0 && (size_t)n2 < sizeof(t->l2)) {
        time_t tt = (time_t)in->wallclock;
        struct tm tmv;
        if (localtime_r(&tt, &tmv) && strftime(tmp, sizeof(tmp), "%H:%M:%S", &tmv) > 0)
            snprintf(l2 + n2, sizeof(t->l2) - (size_t)n2, "   %s", tmp);
    }
    t->st = in->status && in->status[0] ? in->status : NULL;
    font(c, 0, 11.5 * s);
    double w = fmax(text_width(c, l1), text_width(c, l2));
    font(c, 1, 11.5 * s);
    if (t->st)
        w = fmax(w, text_width(c, t->st));
    int lines = (l1[0] ? 1 : 0) + 1 + (t->st ? 1 : 0);
    c->ov->layout.hud = (EmoRect){ round(c->m), round(c->m), w + 2 * pad, lines * lh + pad };
}

static void draw_hud(Ctx *c, const HudText *t)
{
    double s = c->s, pad = 6 * s, lh = 15 * s;
    const EmoRect *r = &c->ov->layout.hud;
    double x = r->x, y = r->y;
    panel(c, x, y, r->w, r->h);
    double by = y + pad / 2 + 11 * s;
    font(c, 0, 11.5 * s);
    if (t->l1[0]) {
        text_at(c, x + pad, by, t->l1, 0.95, 0.95, 0.95, 1);
        by += lh;
    }
    text_at(c, x + pad, by, t->l2, 0.95, 0.95, 0.95, 1);
    by += lh;
    if (t->st) {
        font(c, 1, 11.5 * s);
        text_at(c, x + pad, by, t->st, 1.0, 0.35, 0.3, 1);
    }
}

/* Bottom-right, else top-right; left out when both are taken. Its box is
 * the ink of the text and its shadow. */
static void draw_branding(Ctx *c)
{
    const char *b = c->ov->s.branding;
    if (!b[0])
        return;
    font(c, 1, 13 * c->s);
    cairo_text_extents_t e;
    cairo_text_extents(c->cr, b, &e);
    double d = shadow_of(c), x = c->W - c->m - e.x_advance;
    double ys[2] = { c->H - c->m - 2 * c->s, c->m - e.y_bearing };
    EmoRect cand[2];
    for (int k = 0; k < 2; k++)
        cand[k] = (EmoRect){ x + e.x_bearing, ys[k] + e.y_bearing, e.width + d, e.height + d };
    int k = emo__layout_place(&c->ls, cand, 2, &c->ov->layout.branding);
    if (k >= 0)
        text_on_video(c, x, ys[k], b, 1, 1, 1, 0.85);
}

/* ---------------------------------------------------------------- entry */

static int check_input(EmoOverlay *ov, const EmoFrame *frame, const EmoOverlayInput *in)
{
    const EmoLogger *lg = ov->s.logger;
    if (frame->fmt != EMO_PIX_BGRA || !frame->data[0] || frame->width < 1 || frame->height < 1 ||
        frame->width > 32767 || frame->height > 32767) {
        emo_log(lg, EMO_LOG_ERROR, "overlay: needs a BGRA frame (got %s %dx%d)", emo_pixfmt_name(frame->fmt),
                frame->width, frame->height);
        return EMO_EINVAL;
    }
    if (frame->stride[0] < cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, frame->width) ||
        frame->stride[0] % 4) {
        emo_log(lg, EMO_LOG_ERROR, "overlay: frame stride %d unusable by Cairo", frame->stride[0]);
        return EMO_EINVAL;
    }
    if (in->n_faces < 0 || (in->n_faces > 0 && !in->faces)) {
        emo_log(lg, EMO_LOG_ERROR, "overlay: bad face list (%d faces)", in->n_faces);
        return EMO_EINVAL;
    }
    int nf = in->n_faces < EMO_RENDER_MAX_FACES ? in->n_faces : EMO_RENDER_MAX_FACES;
    for (int i = 0; i < nf; i++) {
        const EmoOverlayFace *f = &in->faces[i];
        if (!isfinite(f->x) || !isfinite(f->y) || !isfinite(f->w) || !isfinite(f->h) || f->w < 0 || f->h < 0 ||
            fabsf(f->x) > 1e6f || fabsf(f->y) > 1e6f || f->w > 1e6f || f->h > 1e6f) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d has a bad box", i);
            return EMO_EINVAL;
        }
        if ((f->n_landmarks != 0 && f->n_landmarks != EMO_RENDER_MESH_POINTS) ||
            (f->n_landmarks && !f->landmarks)) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: %d landmarks (need %d or 0)", i, f->n_landmarks,
                    EMO_RENDER_MESH_POINTS);
            return EMO_EINVAL;
        }
        for (int k = 0; k < 2 * f->n_landmarks; k++) {
            if (!isfinite(f->landmarks[k]) || fabsf(f->landmarks[k]) > 1e6f) {
                emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: landmark %d is not a finite coordinate", i, k / 2);
                return EMO_EINVAL;
            }
        }
        if (f->n_models < 0 || (f->n_models > 0 && !f->models) || f->n_history < 0 ||
            (f->n_history > 0 && (!f->history_t || !f->history_probs))) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: bad model or history arrays", i);
            return EMO_EINVAL;
        }
        if (f->n_actions < 0 || f->n_actions > EMO_RENDER_MAX_ACTIONS) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: %d actions (at most %d)", i, f->n_actions,
                    EMO_RENDER_MAX_ACTIONS);
            return EMO_EINVAL;
        }
        if (f->n_gaze < 0 || f->n_gaze > 2) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: %d gaze arrows (at most 2)", i, f->n_gaze);
            return EMO_EINVAL;
        }
        for (int k = 0; k < f->n_gaze; k++) {
            const EmoOverlayGaze *g = &f->gaze[k];
            if (!(fabsf(g->x) <= 1e6f && fabsf(g->y) <= 1e6f && fabsf(g->dx) <= 1e6f && fabsf(g->dy) <= 1e6f)) {
                emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: gaze arrow %d is not finite", i, k);
                return EMO_EINVAL;
            }
        }
        if (f->micro.active && (!isfinite(f->micro.cx) || !isfinite(f->micro.cy) ||
                                fabsf(f->micro.cx) > 1e6f || fabsf(f->micro.cy) > 1e6f)) {
            emo_log(lg, EMO_LOG_ERROR, "overlay: face %d: bad micro-expression centre", i);
            return EMO_EINVAL;
        }
    }
    return 0;
}

int emo_overlay_draw(EmoOverlay *ov, EmoFrame *frame, const EmoOverlayInput *in)
{
    if (!ov || !frame || !in)
        return EMO_EINVAL;
    int err = check_input(ov, frame, in);
    if (err)
        return err;
    cairo_t *cr = frame_context(ov, frame);
    if (!cr) {
        emo_log(ov->s.logger, EMO_LOG_ERROR, "overlay: cannot wrap the frame in a Cairo surface");
        return EMO_ENOMEM;
    }
    Ctx c = { .ov = ov, .cr = cr, .W = frame->width, .H = frame->height };
    c.s = fmin(c.W, c.H) / 480.0;
    c.m = round(8 * c.s);
    c.lw = fmax(1.0, 1.5 * c.s);
    memset(&ov->layout, 0, sizeof(ov->layout));
    ov->layout.scale = c.s;
    ov->layout.actions_face = -1;

    cairo_save(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    int nf = in->n_faces < EMO_RENDER_MAX_FACES ? in->n_faces : EMO_RENDER_MAX_FACES;
    ov->layout.n_faces = nf;
    c.faces = in->faces;
    c.nf = nf;
    /* The parts are placed in their order of priority (layout.h), and drawn
     * in the order that keeps the movements on top. */
    emo__layout_init(&c.ls, c.W, c.H);
    HudText hud;
    hud_layout(&c, in, &hud);
    emo__layout_add(&c.ls, &ov->layout.hud);
    int graph = 0;
    if (in->show_graph && nf > 0) {
        EmoRect g = emo__layout_graph(c.W, c.H, c.s, c.m);
        graph = emo__layout_place(&c.ls, &g, 1, &ov->layout.graph) == 0;
    }
    EmoRect tags[EMO_RENDER_MAX_FACES];
    char tag_text[EMO_RENDER_MAX_FACES][96];
    for (int i = 0; i < nf; i++)
        place_tag(&c, &in->faces[i], i, tag_text[i], &tags[i]);
    for (int i = 0; i < nf; i++)
        if (in->faces[i].has_probs)
            c.models_shown[i] = emo__layout_bars(&c.ls, in->faces, nf, i, in->show_model_bars, c.s, c.m,
                                                 &ov->layout.bars_panel[i]);
    for (int i = 0; i < nf; i++) {
        const EmoOverlayFace *f = &in->faces[i];
        if (in->show_mesh && f->n_landmarks)
            draw_mesh(&c, f);
        if (in->show_gaze && f->n_gaze)
            emo__overlay_gaze(&c, f);
        draw_box(&c, f, i, tag_text[i]);
    }
    for (int i = 0; i < nf; i++)
        if (in->faces[i].has_probs)
            draw_bars(&c, &in->faces[i], i);
    if (graph) {
        int g = in->graph_face >= 0 && in->graph_face < nf ? in->graph_face : 0;
        draw_graph(&c, &in->faces[g]);
    }
    /* last, so that no panel hides a movement */
    for (int i = 0; i < nf; i++)
        if (in->faces[i].micro.active)
            draw_micro(&c, &in->faces[i], i, &tags[i]);
    draw_hud(&c, &hud);
    draw_branding(&c);
    if (in->show_actions && nf > 0)
        emo__overlay_actions(&c, in);
    cairo_restore(cr);
    cairo_surface_flush(cairo_get_target(cr));
    cairo_status_t st = cairo_status(cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        emo_log(ov->s.logger, EMO_LOG_ERROR, "overlay: cairo: %s", cairo_status_to_string(st));
        /* A context in error stays in error: drop it. */
        for (int i = 0; i < SURFACE_CACHE; i++)
            if (ov->slots[i].cr == cr)
                slot_clear(&ov->slots[i]);
        return EMO_EINTERNAL;
    }
    return 0;
}
