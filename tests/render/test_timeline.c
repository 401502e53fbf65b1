/* The timeline chart: PNG and SVG written at the requested size, panels per
 * face with the emotion colours and the event marks where expected. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <emoscope/render.h>

#include "render_testutil.h"

#define NE EMO_RENDER_EMOTIONS
#define N 1800 /* 60 s at 30 Hz */

static double T[N];
static float P[2][N * NE];

static void make_data(void)
{
    for (int i = 0; i < N; i++) {
        T[i] = i / 30.0;
        for (int f = 0; f < 2; f++) {
            double sum = 0, v[NE];
            for (int e = 0; e < NE; e++) {
                v[e] = 0.05 + 0.04 * sin(0.1 * T[i] + e + f);
                if (e == 3)
                    v[e] += 0.6 * exp(-pow((T[i] - 20 - 10 * f) / 6, 2));
                if (e == 6)
                    v[e] += 0.4;
                sum += v[e];
            }
            for (int e = 0; e < NE; e++)
                P[f][i * NE + e] = (float)(v[e] / sum);
        }
    }
}

/* width="W" and height="H" (document unit px) from the SVG root element. */
static void svg_size(const char *path, double *w, double *h)
{
    size_t n;
    char *s = emo_test_read_file(path, &n);
    char *z = realloc(s, n + 1);
    assert_non_null(z);
    z[n] = 0;
    char *root = strstr(z, "<svg");
    assert_non_null(root);
    char *pw = strstr(root, " width=\""), *ph = strstr(root, " height=\"");
    assert_non_null(pw);
    assert_non_null(ph);
    *w = strtod(pw + 8, NULL);
    *h = strtod(ph + 9, NULL);
    /* the unit, if any, is px */
    char *end = NULL;
    strtod(pw + 8, &end);
    assert_true(*end == '"' || !strncmp(end, "px", 2));
    free(z);
}

static int column_has(cairo_surface_t *s, int x, int y0, int y1, int r, int g, int b, int tol)
{
    int st = cairo_image_surface_get_stride(s);
    const uint8_t *d = cairo_image_surface_get_data(s);
    int n = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = d + (size_t)y * st + (size_t)x * 4;
        n += abs(p[2] - r) <= tol && abs(p[1] - g) <= tol && abs(p[0] - b) <= tol;
    }
    return n;
}

static void test_timeline_files(void **state)
{
    (void)state;
    make_data();
    EmoTimelineEvent ev0[] = {
        { 12.0, 12.4, "micro-expression", "left brow, Up", 0 },
        { 31.0, 33.5, "macro-expression", "mouth, Down", 1 },
        { 45.2, 45.5, "micro-expression", NULL, 0 },
    };
    /* face 2: one micro and ten overlapping macro-expressions (20-26.5 s) */
    EmoTimelineEvent ev1[11] = { { 8.0, 8.3, "micro-expression", "right eye, Left", 0 } };
    for (int k = 1; k < 11; k++)
        ev1[k] = (EmoTimelineEvent){ 20.0 + 0.5 * (k - 1), 22.0 + 0.5 * (k - 1), "macro-expression", NULL, 1 };
    EmoTimelineFace faces[2] = {
        { 1, T, P[0], N, ev0, 3 },
        { 2, T, P[1], N, ev1, 11 },
    };
    EmoTimelineData d;
    memset(&d, 0, sizeof(d));
    d.title = "emoscope timeline";
    d.subtitle = "d6.mp4 (synthetic curves)";
    d.faces = faces;
    d.n_faces = 2;
    const char *dir = emo_test_tmpdir("render-timeline");
    char png[4096], svg[4096];
    snprintf(png, sizeof(png), "%s/timeline.png", dir);
    snprintf(svg, sizeof(svg), "%s/timeline.svg", dir);
    assert_int_equal(emo_render_timeline(&d, png, svg, 1200, 700), 0);
    print_message("wrote %s and %s\n", png, svg);

    cairo_surface_t *s = rt_read_png(png);
    assert_int_equal(cairo_image_surface_get_width(s), 1200);
    assert_int_equal(cairo_image_surface_get_height(s), 700);
    assert_true(rt_surface_stddev(s) > 10);
    double w, h;
    svg_size(svg, &w, &h);
    assert_true(w == 1200 && h == 700);

    /* every emotion's colour appears (curves and legend) */
    int W = 1200, H = 700, total[NE] = { 0 };
    for (int e = 0; e < NE; e++) {
        uint8_t c[3];
        emo_render_emotion_rgb(e, c);
        for (int x = 0; x < W; x += 1)
            total[e] += column_has(s, x, 0, H, c[0], c[1], c[2], 30);
        print_message("emotion %-8s %d px\n", emo_render_emotion_label(e), total[e]);
        assert_true(total[e] > 300);
    }
    /* the micro-expression span of face 1 at 12 s: magenta tint in its column,
     * none at 5 s (no event there) */
    /* x of time t: the plot spans [left, W - margin] with u = min(1.2, 1.25) */
    double u = fmin(1200 / 1000.0, 700 / 560.0), m = 14 * u;
    double left = m + 36 * u, right = W - m;
    int x12 = (int)(left + 12.2 / 60.0 * (right - left)), x5 = (int)(left + 5.0 / 60.0 * (right - left));
    /* micro tint: 0.18 of (230, 38, 191) over the panel colour (251, 251, 252) */
    int tint12 = column_has(s, x12, 0, H / 2 + 30, 247, 213, 241, 8);
    int tint5 = column_has(s, x5, 0, H, 247, 213, 241, 8);
    print_message("event tint: %d px at 12.2 s, %d px at 5 s\n", tint12, tint5);
    assert_true(tint12 > 50);
    assert_true(tint5 == 0);
    /* overlapping macro spans tint once: at 23 s (four spans) the single
     * 0.10 tint of (255, 153, 25), never the darker two-layer one */
    int x23 = (int)(left + 23.0 / 60.0 * (right - left));
    int one = column_has(s, x23, H / 2, H, 251, 241, 229, 4);
    int two = column_has(s, x23, H / 2, H, 252, 232, 209, 4);
    print_message("macro tint at 23 s: %d px single layer, %d px double\n", one, two);
    assert_true(one > 100);
    assert_true(two < 10); /* a few curve edge pixels may match; stacked tints would fill the column */
    cairo_surface_destroy(s);

    /* PNG only, SVG only */
    snprintf(png, sizeof(png), "%s/timeline-small.png", dir);
    assert_int_equal(emo_render_timeline(&d, png, NULL, 640, 400), 0);
    s = rt_read_png(png);
    assert_int_equal(cairo_image_surface_get_width(s), 640);
    cairo_surface_destroy(s);
    assert_int_equal(emo_render_timeline(&d, NULL, svg, 800, 300), 0);
    svg_size(svg, &w, &h);
    assert_true(w == 800 && h == 300);
}

static void test_timeline_errors(void **state)
{
    (void)state;
    EmoTimelineData d;
    memset(&d, 0, sizeof(d));
    const char *dir = emo_test_tmpdir("render-timeline-err");
    char png[4096];
    snprintf(png, sizeof(png), "%s/empty.png", dir);
    /* no faces: one "no faces" panel */
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), 0);
    cairo_surface_t *s = rt_read_png(png);
    assert_int_equal(cairo_image_surface_get_height(s), 300);
    cairo_surface_destroy(s);
    assert_int_equal(emo_render_timeline(NULL, png, NULL, 400, 300), EMO_EINVAL);
    assert_int_equal(emo_render_timeline(&d, NULL, NULL, 400, 300), EMO_EINVAL);
    assert_int_equal(emo_render_timeline(&d, png, NULL, 10, 300), EMO_EINVAL);
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 100000), EMO_EINVAL);
    assert_int_equal(emo_render_timeline(&d, "/nonexistent-dir/x.png", NULL, 400, 300), EMO_EIO);
    assert_int_equal(emo_render_timeline(&d, NULL, "/nonexistent-dir/x.svg", 400, 300), EMO_EIO);
    double t[3] = { 0, NAN, 2 };
    float p[3 * NE] = { 0 };
    EmoTimelineFace f = { 1, t, p, 3, NULL, 0 };
    d.faces = &f;
    d.n_faces = 1;
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
    t[1] = -1; /* not increasing */
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
    t[1] = 1;
    t[2] = 1e300; /* beyond +-1e9 s */
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
    t[2] = 2;
    /* an explicit axis, all data outside it, and a degenerate one */
    d.t_begin = 100;
    d.t_end = 200;
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), 0);
    d.t_begin = d.t_end = 5;
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), 0);
    f.n_events = 1; /* events missing */
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
    EmoTimelineEvent ev = { 2, 1, NULL, NULL, 0 }; /* ends before it starts */
    f.events = &ev;
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
    ev.t_end = 2.5;
    p[4] = NAN; /* a gap in a curve is fine */
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), 0);
    d.n_faces = -1;
    assert_int_equal(emo_render_timeline(&d, png, NULL, 400, 300), EMO_EINVAL);
}

/* Fontconfig keeps its configuration for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeline_files),
        cmocka_unit_test(test_timeline_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data(); /* Cairo's font caches, for the leak checker */
    return rc;
}
