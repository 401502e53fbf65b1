/* The timeline report chart: smoothed probabilities over the whole run, one
 * panel per face, micro-expression events marked; PNG and SVG. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo-svg.h>

#include "render/render_internal.h"

typedef struct Chart {
    cairo_t *cr;
    double W, H, u;        /* size; u = text/line unit */
    double t0, t1;
    const EmoTimelineData *d;
} Chart;

static double nice_step(double span, double max_ticks)
{
    double raw = span / (max_ticks > 1 ? max_ticks : 1);
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
    return n * p;
}

static void fmt_time(double t, double step, char *buf, size_t n)
{
    if (step >= 60 && fmod(t, 60) == 0) {
        snprintf(buf, n, "%.0f:%02.0f", floor(t / 60), fmod(t, 60));
        return;
    }
    int dec = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    snprintf(buf, n, "%.*f s", dec, t);
}

static void text(Chart *c, double x, double y, const char *s, int bold, double size, double align)
{
    cairo_select_font_face(c->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(c->cr, s, &e);
    cairo_move_to(c->cr, x - align * e.x_advance, y);
    cairo_show_text(c->cr, s);
}

static double text_w(Chart *c, const char *s, int bold, double size)
{
    cairo_select_font_face(c->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(c->cr, s, &e);
    return e.x_advance;
}

static void panel(Chart *c, const EmoTimelineFace *f, double x, double y, double w, double h, int last)
{
    cairo_t *cr = c->cr;
    double u = c->u;
    double span = c->t1 - c->t0;
    char buf[64];
    /* frame */
    cairo_set_source_rgb(cr, 0.985, 0.985, 0.99);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    /* Events under the curves. Each kind's spans are one path filled once
     * (rectangles all wind the same way), so overlapping or back-to-back
     * events never darken into a solid block; macro-expressions are the
     * lighter tint. A lane along the top shows every span solid, and a
     * micro-expression also gets a start line. */
    double lane = 6 * u;
    for (int kind = 0; kind < 2; kind++) { /* 0 macro (below), 1 micro */
        int any = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < (f ? f->n_events : 0); k++) {
                const EmoTimelineEvent *ev = &f->events[k];
                if ((ev->macro != 0) != (kind == 0))
                    continue;
                double a = x + (ev->t_start - c->t0) / span * w;
                double b = x + (ev->t_end - c->t0) / span * w;
                if (b < x || a > x + w)
                    continue;
                a = fmax(a, x);
                b = fmin(b, x + w);
                if (pass == 0)
                    cairo_rectangle(cr, a, y, fmax(b - a, 1.5 * u), h);
                else
                    cairo_rectangle(cr, a, y, fmax(b - a, 2 * u), lane);
                if (pass == 1 && kind == 1) {
                    cairo_move_to(cr, a + 0.6 * u, y);
                    cairo_line_to(cr, a + 0.6 * u, y + h);
                }
                any = 1;
            }
            if (!any)
                break;
            cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
            if (pass == 0) {
                if (kind == 0)
                    cairo_set_source_rgba(cr, 1.0, 0.6, 0.1, 0.10);
                else
                    cairo_set_source_rgba(cr, 0.9, 0.15, 0.75, 0.18);
                cairo_fill(cr);
            } else {
                if (kind == 0)
                    cairo_set_source_rgba(cr, 0.9, 0.5, 0.0, 0.9);
                else
                    cairo_set_source_rgba(cr, 0.8, 0.1, 0.65, 0.9);
                cairo_fill_preserve(cr); /* the lane bars (the start lines add no area) */
                cairo_set_line_width(cr, 1.2 * u);
                cairo_stroke(cr);
            }
        }
    }
    /* event labels where there is room (left to right, no overlap) */
    double next_free = -1e9;
    for (int k = 0; k < (f ? f->n_events : 0); k++) {
        const EmoTimelineEvent *ev = &f->events[k];
        double a = x + (ev->t_start - c->t0) / span * w;
        if (a < x || a > x + w)
            continue;
        char lab[96];
        const char *name = ev->label ? ev->label : "event";
        if (ev->detail && ev->detail[0])
            snprintf(lab, sizeof(lab), "%s (%s)", name, ev->detail);
        else
            snprintf(lab, sizeof(lab), "%s", name);
        double tw = text_w(c, lab, 0, 9.5 * u);
        double lx = a + 3 * u;
        if (lx + tw > x + w)
            lx = a - 3 * u - tw;
        if (lx < next_free || lx < x)
            continue;
        if (ev->macro)
            cairo_set_source_rgb(cr, 0.65, 0.35, 0.0);
        else
            cairo_set_source_rgb(cr, 0.6, 0.05, 0.5);
        text(c, lx, y + lane + 11 * u, lab, 0, 9.5 * u, 0);
        next_free = lx + tw + 8 * u;
    }
    /* grid: probability */
    cairo_set_line_width(cr, 1.0 * u);
    for (int k = 0; k <= 4; k++) {
        double gy = y + h * (1.0 - k * 0.25);
        cairo_set_source_rgba(cr, 0, 0, 0, k == 0 ? 0.5 : 0.1);
        cairo_move_to(cr, x, gy);
        cairo_line_to(cr, x + w, gy);
        cairo_stroke(cr);
        snprintf(buf, sizeof(buf), "%d%%", k * 25);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        text(c, x - 5 * u, gy + 3.5 * u, buf, 0, 10 * u, 1.0);
    }
    /* grid: time */
    double step = nice_step(span, w / (70 * u));
    int ticks = 0;
    for (double t = ceil(c->t0 / step) * step; t <= c->t1 + 1e-9 && step > 0 && ticks < 1000; t += step, ticks++) {
        double gx = x + (t - c->t0) / span * w;
        cairo_set_source_rgba(cr, 0, 0, 0, 0.08);
        cairo_move_to(cr, gx, y);
        cairo_line_to(cr, gx, y + h);
        cairo_stroke(cr);
        if (last) {
            fmt_time(t, step, buf, sizeof(buf));
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            text(c, gx, y + h + 13 * u, buf, 0, 10 * u, 0.5);
        }
    }
    /* curves */
    if (f && f->n > 0) {
        cairo_save(cr);
        cairo_rectangle(cr, x, y - 2 * u, w, h + 4 * u);
        cairo_clip(cr);
        /* thin long runs to about two points per horizontal pixel */
        int stride = (int)(f->n / fmax(1.0, 2 * w));
        if (stride < 1)
            stride = 1;
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        for (int e = 0; e < EMO_RENDER_EMOTIONS; e++) {
            int pen = 0;
            for (int i = 0;;) {
                double p = f->probs[(size_t)i * EMO_RENDER_EMOTIONS + e];
                if (!isfinite(p)) {
                    pen = 0;
                } else {
                    double px = x + (f->t[i] - c->t0) / span * w, py = y + (1.0 - emo__clamp01(p)) * h;
                    if (pen)
                        cairo_line_to(cr, px, py);
                    else
                        cairo_move_to(cr, px, py);
                    pen = 1;
                }
                if (i == f->n - 1)
                    break;
                i = i + stride < f->n - 1 ? i + stride : f->n - 1; /* always end on the last point */
            }
            cairo_set_line_width(cr, 1.6 * u);
            emo__set_emotion_source(cr, e, 1.0);
            cairo_stroke(cr);
        }
        cairo_restore(cr);
    }
    /* border and panel title */
    cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
    cairo_set_line_width(cr, 1.0 * u);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    if (f) {
        snprintf(buf, sizeof(buf), "face #%d", f->id);
        text(c, x, y - 6 * u, buf, 1, 11.5 * u, 0);
        int nm = 0, nM = 0;
        for (int k = 0; k < f->n_events; k++)
            nM += f->events[k].macro != 0;
        nm = f->n_events - nM;
        snprintf(buf, sizeof(buf), "%d micro, %d macro", nm, nM);
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        text(c, x + w, y - 6 * u, buf, 0, 10 * u, 1.0);
    } else {
        text(c, x + w / 2, y + h / 2, "no faces", 1, 14 * u, 0.5);
    }
}

static void draw_chart(Chart *c)
{
    cairo_t *cr = c->cr;
    const EmoTimelineData *d = c->d;
    double u = c->u, W = c->W, H = c->H;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double m = 14 * u;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text(c, m, m + 14 * u, d->title ? d->title : "emoscope timeline", 1, 17 * u, 0);
    double y = m + 20 * u;
    if (d->subtitle && d->subtitle[0]) {
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        text(c, m, y + 12 * u, d->subtitle, 0, 11 * u, 0);
        y += 16 * u;
    }
    /* legend on one row */
    double lx = m, ly = y + 10 * u;
    for (int e = 0; e < EMO_RENDER_EMOTIONS + 2; e++) {
        const char *name = e < EMO_RENDER_EMOTIONS ? emo_render_emotion_label(e)
                                                  : e == EMO_RENDER_EMOTIONS ? "micro-expression"
                                                                              : "macro-expression";
        double sw = 12 * u;
        if (e < EMO_RENDER_EMOTIONS) {
            emo__set_emotion_source(cr, e, 1.0);
            cairo_rectangle(cr, lx, ly - 4 * u, sw, 3 * u);
        } else {
            if (e == EMO_RENDER_EMOTIONS)
                cairo_set_source_rgba(cr, 0.9, 0.15, 0.75, 0.45);
            else
                cairo_set_source_rgba(cr, 1.0, 0.6, 0.1, 0.45);
            cairo_rectangle(cr, lx, ly - 9 * u, sw, 12 * u);
        }
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text(c, lx + sw + 4 * u, ly, name, 0, 10.5 * u, 0);
        lx += sw + 4 * u + text_w(c, name, 0, 10.5 * u) + 14 * u;
    }
    y = ly + 12 * u;

    int np = d->n_faces > 0 ? d->n_faces : 1;
    double left = m + 36 * u, right = W - m;
    double top = y + 16 * u, bottom = H - m - 18 * u;
    double gap = 26 * u;
    double ph = (bottom - top - (np - 1) * gap) / np;
    if (ph < 10)
        ph = 10;
    for (int i = 0; i < np; i++) {
        double py = top + i * (ph + gap);
        panel(c, d->n_faces > 0 ? &d->faces[i] : NULL, left, py, right - left, ph, i == np - 1);
    }
}

static int check_data(const EmoTimelineData *d, double *t0, double *t1)
{
    const EmoLogger *lg = d->logger;
    if (d->n_faces < 0 || (d->n_faces > 0 && !d->faces) || d->n_faces > 64) {
        emo_log(lg, EMO_LOG_ERROR, "timeline: bad face count %d (at most 64 panels)", d->n_faces);
        return EMO_EINVAL;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < d->n_faces; i++) {
        const EmoTimelineFace *f = &d->faces[i];
        if (f->n < 0 || f->n_events < 0 || (f->n > 0 && (!f->t || !f->probs)) || (f->n_events > 0 && !f->events)) {
            emo_log(lg, EMO_LOG_ERROR, "timeline: face %d: bad arrays", f->id);
            return EMO_EINVAL;
        }
        for (int k = 0; k < f->n; k++) {
            if (!isfinite(f->t[k]) || fabs(f->t[k]) > 1e9 || (k > 0 && f->t[k] < f->t[k - 1])) {
                emo_log(lg, EMO_LOG_ERROR, "timeline: face %d: time %d not finite or not increasing", f->id, k);
                return EMO_EINVAL;
            }
        }
        for (int k = 0; k < f->n_events; k++) {
            const EmoTimelineEvent *ev = &f->events[k];
            if (!isfinite(ev->t_start) || !isfinite(ev->t_end) || fabs(ev->t_start) > 1e9 || fabs(ev->t_end) > 1e9 ||
                ev->t_end < ev->t_start) {
                emo_log(lg, EMO_LOG_ERROR, "timeline: face %d: event %d has bad times", f->id, k);
                return EMO_EINVAL;
            }
            lo = fmin(lo, ev->t_start);
            hi = fmax(hi, ev->t_end);
        }
        if (f->n > 0) {
            lo = fmin(lo, f->t[0]);
            hi = fmax(hi, f->t[f->n - 1]);
        }
    }
    if (d->t_end > d->t_begin && fabs(d->t_begin) <= 1e9 && fabs(d->t_end) <= 1e9) {
        lo = d->t_begin;
        hi = d->t_end;
    }
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi - lo < 1e-3)
        hi = lo + 1;
    *t0 = lo;
    *t1 = hi;
    return 0;
}

int emo_render_timeline(const EmoTimelineData *data, const char *png_path, const char *svg_path, int width,
                        int height)
{
    if (!data)
        return EMO_EINVAL;
    const EmoLogger *lg = data->logger;
    if ((!png_path && !svg_path) || width < 200 || height < 200 || width > 16384 || height > 16384) {
        emo_log(lg, EMO_LOG_ERROR, "timeline: need an output path and a size in 200..16384 (got %dx%d)", width,
                height);
        return EMO_EINVAL;
    }
    Chart c;
    memset(&c, 0, sizeof(c));
    int err = check_data(data, &c.t0, &c.t1);
    if (err)
        return err;
    c.d = data;
    c.W = width;
    c.H = height;
    c.u = fmax(0.6, fmin(width / 1000.0, height / 560.0));

    if (png_path) {
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
        c.cr = cairo_create(s);
        draw_chart(&c);
        cairo_status_t st = cairo_status(c.cr);
        cairo_destroy(c.cr);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_write_to_png(s, png_path);
        cairo_surface_destroy(s);
        if (st == CAIRO_STATUS_NO_MEMORY)
            return EMO_ENOMEM;
        if (st != CAIRO_STATUS_SUCCESS) {
            emo_log(lg, EMO_LOG_ERROR, "timeline: cannot write %s: %s", png_path, cairo_status_to_string(st));
            return EMO_EIO;
        }
    }
    if (svg_path) {
        /* Refuse early rather than let Cairo fail at finish. */
        FILE *probe = fopen(svg_path, "wb");
        if (!probe) {
            emo_log(lg, EMO_LOG_ERROR, "timeline: cannot write %s", svg_path);
            return EMO_EIO;
        }
        fclose(probe);
        cairo_surface_t *s = cairo_svg_surface_create(svg_path, width, height);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
        c.cr = cairo_create(s);
        draw_chart(&c);
        cairo_status_t st = cairo_status(c.cr);
        cairo_destroy(c.cr);
        cairo_surface_finish(s);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(s);
        cairo_surface_destroy(s);
        if (st != CAIRO_STATUS_SUCCESS) {
            emo_log(lg, EMO_LOG_ERROR, "timeline: cannot write %s: %s", svg_path, cairo_status_to_string(st));
            return st == CAIRO_STATUS_NO_MEMORY ? EMO_ENOMEM : EMO_EIO;
        }
    }
    return 0;
}
