/* The overlay drawn on a real frame of d6.mp4 (640x480 and 1920x1080),
 * written to PNG and checked pixel by pixel for its elements. The mesh is
 * the face-mesh model's real output on a real face (golden einstein_crop),
 * placed on the d6 face by a similarity transform through the eye centres. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <emoscope/render.h>

#include "render_testutil.h"

#define NE EMO_RENDER_EMOTIONS
#define NHIST 300

static const float probs[NE] = { 0.04f, 0.02f, 0.21f, 0.08f, 0.05f, 0.52f, 0.08f };
static const float probs_raw[NE] = { 0.06f, 0.01f, 0.30f, 0.05f, 0.04f, 0.46f, 0.08f };

static char outdir[2048];

typedef struct Scene {
    EmoFrame *frame, *orig;
    float lm[2 * EMO_RENDER_MESH_POINTS];
    EmoOverlayModel models[3];
    double ht[NHIST];
    float hp[NHIST * NE];
    EmoOverlayFace face;
    EmoOverlayInput in;
} Scene;

/* The d6 face at frame 90 in the 480x480 source: eye centres and box
 * (read off the decoded frame). */
static const double src_eye_r[2] = { 190, 224 }, src_eye_l[2] = { 296, 228 }, src_mouth[2] = { 226, 354 };
static const double src_box[4] = { 122, 128, 236, 300 };

static void build_scene(Scene *sc, int W, int H)
{
    memset(sc, 0, sizeof(*sc));
    sc->frame = rt_decode_frame(emo_test_data("video/d6.mp4"), 90, W, H);
    assert_int_equal(emo_frame_alloc(&sc->orig, EMO_PIX_BGRA, W, H), 0);
    assert_int_equal(emo_frame_copy(sc->orig, sc->frame), 0);
    /* the letterbox transform of rt_decode_frame */
    double k = fmin(W / 480.0, H / 480.0);
    double ox = (W - (int)(480 * k + 0.5)) / 2, oy = (H - (int)(480 * k + 0.5)) / 2;

    float *g = emo_test_read_f32(emo_test_shared("testdata/golden/face_landmark/einstein_crop/conv2d_21.f32"),
                                 3 * EMO_RENDER_MESH_POINTS);
    /* affine map through the eye centres and the mouth centre */
    double P[3][2] = { { (g[3 * 33] + g[3 * 133]) / 2, (g[3 * 33 + 1] + g[3 * 133 + 1]) / 2 },
                       { (g[3 * 263] + g[3 * 362]) / 2, (g[3 * 263 + 1] + g[3 * 362 + 1]) / 2 },
                       { (g[3 * 13] + g[3 * 14]) / 2, (g[3 * 13 + 1] + g[3 * 14 + 1]) / 2 } };
    const double *Q0[3] = { src_eye_r, src_eye_l, src_mouth };
    double Q[3][2];
    for (int i = 0; i < 3; i++) {
        Q[i][0] = ox + k * Q0[i][0];
        Q[i][1] = oy + k * Q0[i][1];
    }
    double a11 = P[1][0] - P[0][0], a12 = P[2][0] - P[0][0], a21 = P[1][1] - P[0][1], a22 = P[2][1] - P[0][1];
    double det = a11 * a22 - a12 * a21;
    assert_true(fabs(det) > 1.0);
    /* M = [Q1-Q0, Q2-Q0] * inverse([P1-P0, P2-P0]) */
    double i11 = a22 / det, i12 = -a12 / det, i21 = -a21 / det, i22 = a11 / det;
    double b11 = Q[1][0] - Q[0][0], b12 = Q[2][0] - Q[0][0], b21 = Q[1][1] - Q[0][1], b22 = Q[2][1] - Q[0][1];
    double m11 = b11 * i11 + b12 * i21, m12 = b11 * i12 + b12 * i22;
    double m21 = b21 * i11 + b22 * i21, m22 = b21 * i12 + b22 * i22;
    for (int i = 0; i < EMO_RENDER_MESH_POINTS; i++) {
        double x = g[3 * i] - P[0][0], y = g[3 * i + 1] - P[0][1];
        sc->lm[2 * i] = (float)(Q[0][0] + m11 * x + m12 * y);
        sc->lm[2 * i + 1] = (float)(Q[0][1] + m21 * x + m22 * y);
    }
    free(g);

    static const char *names[3] = { "mini_xception", "big_xception", "deepface" };
    for (int m = 0; m < 3; m++) {
        sc->models[m].name = names[m];
        for (int e = 0; e < NE; e++)
            sc->models[m].probs[e] = probs[e] * (float)(0.7 + 0.3 * m) + (e == m ? 0.2f : 0.0f);
    }
    /* 10 s of smooth curves ending at the frame's time */
    double t_end = 30.0;
    for (int i = 0; i < NHIST; i++) {
        sc->ht[i] = t_end - (NHIST - 1 - i) / 30.0;
        double u = i / (double)(NHIST - 1), sum = 0;
        float *p = &sc->hp[i * NE];
        for (int e = 0; e < NE; e++) {
            double v = 0.08 + 0.05 * sin(6.0 * u + e);
            if (e == 5)
                v += 0.5 * u * u;
            if (e == 2)
                v += 0.25 * sin(3.14159 * u);
            if (e == 6)
                v += 0.5 * (1 - u);
            p[e] = (float)v;
            sum += v;
        }
        for (int e = 0; e < NE; e++)
            p[e] = (float)(p[e] / sum);
    }
    EmoOverlayFace *f = &sc->face;
    f->id = 3;
    f->x = (float)(ox + k * src_box[0]);
    f->y = (float)(oy + k * src_box[1]);
    f->w = (float)(k * src_box[2]);
    f->h = (float)(k * src_box[3]);
    f->landmarks = sc->lm;
    f->n_landmarks = EMO_RENDER_MESH_POINTS;
    memcpy(f->probs, probs, sizeof(probs));
    memcpy(f->probs_raw, probs_raw, sizeof(probs_raw));
    f->dominant = -1;
    f->has_probs = 1;
    f->models = sc->models;
    f->n_models = 3;
    f->history_t = sc->ht;
    f->history_probs = sc->hp;
    f->n_history = NHIST;
    f->micro.active = 1;
    f->micro.has_region = 1;
    f->micro.region = EMO_REGION_LEFT_BROW;
    f->micro.cx = (float)(ox + k * 300);
    f->micro.cy = (float)(oy + k * 190);
    f->micro.angle = (float)(-3.14159 / 2);
    f->micro.has_direction = 1;
    f->micro.direction = EMO_DIR_UP;
    f->micro.magnitude = 0.62f;
    f->micro.threshold = 0.35f;
    f->micro.event = EMO_OVERLAY_EVENT_MICRO;
    sc->in.faces = f;
    sc->in.n_faces = 1;
    sc->in.capture_fps = 30.0;
    sc->in.analysis_fps = 14.8;
    sc->in.pts = 30.0;
    sc->in.wallclock = 1795000000.0;
    sc->in.show_mesh = 1;
    sc->in.show_model_bars = 1;
    sc->in.show_graph = 1;
}

static void free_scene(Scene *sc)
{
    emo_frame_unref(&sc->frame);
    emo_frame_unref(&sc->orig);
}

static void write_png(const EmoFrame *f, const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_for_data(f->data[0], CAIRO_FORMAT_ARGB32, f->width, f->height,
                                                             f->stride[0]);
    assert_int_equal(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static int inside(const EmoRect *r, double x, double y, double pad)
{
    return r->w > 0 && x >= r->x - pad && x < r->x + r->w + pad && y >= r->y - pad && y < r->y + r->h + pad;
}

/* Length of the run of emotion e's colour from the bar's left end along its middle row. */
static int bar_run(const EmoFrame *f, const EmoRect *b, int e)
{
    uint8_t rgb[3];
    emo_render_emotion_rgb(e, rgb);
    int y = (int)(b->y + b->h / 2), n = 0;
    for (int x = (int)b->x; x < (int)(b->x + b->w) + 3 && x < f->width; x++) {
        if (!rt_near(rt_px(f, x, y), rgb, 3))
            break;
        n++;
    }
    return n;
}

static void check_scene(Scene *sc, EmoOverlay *ov, const char *tag)
{
    EmoFrame *f = sc->frame;
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_int_equal(L.n_faces, 1);
    assert_true(fabs(L.scale - fmin(f->width, f->height) / 480.0) < 1e-9);

    /* 1. fused bars: fill length = smoothed probability x track width, +-2 px */
    for (int e = 0; e < NE; e++) {
        const EmoRect *b = &L.bar[0][e];
        assert_true(b->w > 40 * L.scale && b->h >= 4);
        assert_true(b->x >= 0 && b->x + b->w <= f->width && b->y >= 0 && b->y + b->h <= f->height);
        int run = bar_run(f, b, e);
        double want = probs[e] * b->w;
        print_message("%s bar %-8s run %3d px, expected %6.1f (track %3.0f px)\n", tag,
                      emo_render_emotion_label(e), run, want, b->w);
        assert_true(fabs(run - want) <= 2.0);
        /* past the fill: the track colour, not the emotion colour */
        int xe = (int)(b->x + want) + 2, y = (int)(b->y + b->h / 2);
        const uint8_t *p = rt_px(f, xe, y);
        uint8_t track[3] = { 56, 59, 66 };
        assert_true(rt_near(p, track, 3));
    }
    /* bars stacked top to bottom in label order */
    for (int e = 1; e < NE; e++)
        assert_true(L.bar[0][e].y > L.bar[0][e - 1].y);

    /* 2. graph: inside the panel, every emotion's curve and legend swatch */
    assert_true(L.graph.w > 0 && L.graph.x >= 0 && L.graph.y >= 0 && L.graph.x + L.graph.w <= f->width &&
                L.graph.y + L.graph.h <= f->height);
    assert_true(inside(&L.graph, L.graph_plot.x, L.graph_plot.y, 0) &&
                inside(&L.graph, L.legend.x + L.legend.w - 1, L.legend.y + L.legend.h - 1, 0));
    /* the graph sits bottom-left */
    assert_true(L.graph.x < f->width * 0.1 && L.graph.y + L.graph.h > f->height * 0.9);
    for (int e = 0; e < NE; e++) {
        uint8_t rgb[3];
        emo_render_emotion_rgb(e, rgb);
        int in_plot = rt_count_color(f, L.graph_plot.x, L.graph_plot.y - 2, L.graph_plot.w, L.graph_plot.h + 4,
                                     rgb, 40);
        int in_legend = rt_count_color(f, L.legend.x, L.legend.y, L.legend.w, L.legend.h, rgb, 2);
        double sw = fmax(4.0, round(9 * L.scale));
        print_message("%s graph %-8s curve px %5d, legend swatch px %4d\n", tag, emo_render_emotion_label(e), in_plot,
                      in_legend);
        assert_true(in_plot >= (int)(0.4 * L.graph_plot.w)); /* one curve spans the plot */
        assert_true(in_legend >= (int)(0.9 * sw * sw));
    }
    /* the smoothed surprise curve ends high (about 52%): its colour near the right end, upper half */
    {
        uint8_t rgb[3];
        emo_render_emotion_rgb(5, rgb);
        double h = L.graph_plot.h;
        int top = rt_count_color(f, L.graph_plot.x + L.graph_plot.w - 6 * L.scale, L.graph_plot.y,
                                 6 * L.scale, h * 0.55, rgb, 24);
        assert_true(top > 0);
    }

    /* 3. branding: light text pixels in its box, over the darker frame corner */
    assert_true(L.branding.w > 20 * L.scale && L.branding.h > 6 * L.scale);
    assert_true(L.branding.x + L.branding.w <= f->width && L.branding.y + L.branding.h <= f->height);
    assert_true(L.branding.x > f->width * 0.6 && L.branding.y > f->height * 0.85);
    uint8_t white[3] = { 255, 255, 255 };
    int light = rt_count_color(f, L.branding.x, L.branding.y, L.branding.w, L.branding.h, white, 60);
    int light0 = rt_count_color(sc->orig, L.branding.x, L.branding.y, L.branding.w, L.branding.h, white, 60);
    print_message("%s branding box %.0fx%.0f: %d light px (frame had %d)\n", tag, L.branding.w, L.branding.h, light,
                  light0);
    assert_true(light > light0 + (int)(0.08 * L.branding.w * L.branding.h));

    /* 4. HUD top-left with text */
    assert_true(L.hud.x < 20 * L.scale && L.hud.y < 20 * L.scale && L.hud.w > 100 * L.scale);
    int hud_light = rt_count_color(f, L.hud.x, L.hud.y, L.hud.w, L.hud.h, white, 40);
    print_message("%s hud %.0fx%.0f: %d light px\n", tag, L.hud.w, L.hud.h, hud_light);
    assert_true(hud_light > (int)(0.03 * L.hud.w * L.hud.h));
}

/* Mesh as points: the dot colour at the landmarks not covered by panels. */
static void check_mesh(Scene *sc, EmoOverlay *ov, const char *tag)
{
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    EmoFrame *f = sc->frame;
    uint8_t dot[3] = { 0, 230, 255 };
    int n = 0, hit = 0;
    for (int i = 0; i < EMO_RENDER_MESH_POINTS; i++) {
        double x = sc->lm[2 * i], y = sc->lm[2 * i + 1];
        if (x < 0 || y < 0 || x >= f->width || y >= f->height || inside(&L.bars_panel[0], x, y, 3) ||
            inside(&L.graph, x, y, 3) || inside(&L.hud, x, y, 3))
            continue;
        /* the micro-expression highlight and the box lines are drawn over the mesh */
        if (hypot(x - sc->face.micro.cx, y - sc->face.micro.cy) < 0.12 * sc->face.w * 3.2)
            continue;
        n++;
        hit += rt_near(rt_px(f, (int)x, (int)y), dot, 40);
    }
    print_message("%s mesh: %d of %d visible landmarks show the dot colour\n", tag, hit, n);
    assert_true(n > 200);
    assert_true(hit >= (int)(0.95 * n));
}

static void run_size(int W, int H, EmoMeshStyle style, const char *name)
{
    Scene *sc = calloc(1, sizeof(*sc));
    build_scene(sc, W, H);
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    s.mesh_style = style;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, &s), 0);
    assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.png", outdir, name);
    write_png(sc->frame, path);
    print_message("wrote %s\n", path);
    /* the PNG holds what was drawn */
    cairo_surface_t *png = rt_read_png(path);
    assert_int_equal(cairo_image_surface_get_width(png), W);
    assert_int_equal(cairo_image_surface_get_height(png), H);
    cairo_surface_destroy(png);
    check_scene(sc, ov, name);
    if (style != EMO_MESH_STYLE_CONTOURS)
        check_mesh(sc, ov, name);
    emo_overlay_close(&ov);
    assert_null(ov);
    free_scene(sc);
    free(sc);
}

static void test_overlay_640(void **state)
{
    (void)state;
    run_size(640, 480, EMO_MESH_STYLE_POINTS, "overlay-640x480-points");
    run_size(640, 480, EMO_MESH_STYLE_CONTOURS, "overlay-640x480");
}

static void test_overlay_1080(void **state)
{
    (void)state;
    run_size(1920, 1080, EMO_MESH_STYLE_BOTH, "overlay-1920x1080-both");
    run_size(1920, 1080, EMO_MESH_STYLE_CONTOURS, "overlay-1920x1080");
}

/* Sizes scale with the frame: the 1080p layout is 2.25 times the 480p one. */
static void test_overlay_scales(void **state)
{
    (void)state;
    EmoOverlayLayout a, b;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    Scene *sc = calloc(1, sizeof(*sc));
    build_scene(sc, 640, 480);
    assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
    emo_overlay_last_layout(ov, &a);
    free_scene(sc);
    build_scene(sc, 1920, 1080);
    assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
    emo_overlay_last_layout(ov, &b);
    free_scene(sc);
    free(sc);
    assert_true(fabs(b.scale / a.scale - 2.25) < 1e-9);
    assert_true(fabs(b.bar[0][0].w / a.bar[0][0].w - 2.25) < 0.05);
    assert_true(fabs(b.graph.h / a.graph.h - 2.25) < 0.05);
    assert_true(fabs(b.branding.h / a.branding.h - 2.25) < 0.25);
    emo_overlay_close(&ov);
}

/* Bad input is an error code, never a crash; the frame stays untouched. */
/* ------------------------------------------------- no part covers another */

typedef struct Part {
    const char *name;
    int face;
    EmoRect r;
} Part;

/* Every part the layout reports as drawn (w > 0); returns their number. */
static int drawn_parts(const EmoOverlayLayout *L, Part *p)
{
    int n = 0;
    const EmoRect *one[4] = { &L->hud, &L->graph, &L->branding, &L->actions_panel };
    static const char *one_name[4] = { "hud", "graph", "branding", "actions" };
    for (int k = 0; k < 4; k++)
        if (one[k]->w > 0)
            p[n++] = (Part){ one_name[k], -1, *one[k] };
    for (int i = 0; i < L->n_faces; i++) {
        const EmoRect *per[4] = { &L->bars_panel[i], &L->tag[i], &L->badge[i], &L->caption[i] };
        static const char *per_name[4] = { "panel", "tag", "badge", "caption" };
        for (int k = 0; k < 4; k++)
            if (per[k]->w > 0)
                p[n++] = (Part){ per_name[k], i, *per[k] };
    }
    return n;
}

/* Counts (and prints) the parts outside the frame and the pairs that overlap. */
static int layout_faults(const EmoOverlayLayout *L, int W, int H, const char *what)
{
    Part p[4 + 4 * EMO_RENDER_MAX_FACES];
    int n = drawn_parts(L, p), bad = 0;
    for (int a = 0; a < n; a++) {
        const EmoRect *r = &p[a].r;
        /* half a pixel of slack: panels are placed at whole pixels */
        if (!(r->x >= 0 && r->y >= 0 && r->x + r->w <= W + 0.5 && r->y + r->h <= H + 0.5)) {
            print_message("%s: %s %d (%.1f,%.1f %.1fx%.1f) leaves the %dx%d frame\n", what, p[a].name, p[a].face,
                          r->x, r->y, r->w, r->h, W, H);
            bad++;
        }
        for (int b = a + 1; b < n; b++) {
            const EmoRect *q = &p[b].r;
            double ox = fmin(r->x + r->w, q->x + q->w) - fmax(r->x, q->x);
            double oy = fmin(r->y + r->h, q->y + q->h) - fmax(r->y, q->y);
            if (ox > 0 && oy > 0) {
                print_message("%s: %s %d and %s %d overlap by %.1fx%.1f px\n", what, p[a].name, p[a].face, p[b].name,
                              p[b].face, ox, oy);
                bad++;
            }
        }
    }
    /* the legend and the plot are parts of the graph */
    if (L->graph.w > 0 && (!inside(&L->graph, L->legend.x, L->legend.y, 0) ||
                           !inside(&L->graph, L->legend.x + L->legend.w - 1, L->legend.y + L->legend.h - 1, 0) ||
                           !inside(&L->graph, L->graph_plot.x, L->graph_plot.y, 0))) {
        print_message("%s: the legend or the plot leaves the graph\n", what);
        bad++;
    }
    return bad;
}

/* Moves the scene's face (a box of w x h at x, y) and its micro-movement to
 * the mouth; without the mesh, which belongs to the original place. */
static void move_face(EmoOverlayFace *f, double x, double y, double w, double h)
{
    f->x = (float)x;
    f->y = (float)y;
    f->w = (float)w;
    f->h = (float)h;
    f->n_landmarks = 0;
    f->micro.cx = (float)(x + 0.5 * w);
    f->micro.cy = (float)(y + 0.8 * h);
}

/* At every frame size from 320x240 up (portrait too), with the face in each
 * corner, at the edges, in the middle, with its mouth's caption where the
 * graph's legend is, and with two faces: the HUD, graph, panels, tags,
 * badges, captions, branding and action panel never overlap and stay
 * inside the frame; the HUD, the graph and the first face's panel are
 * always drawn there. The action panel (the graphed face's 20 actions, 6
 * bars) keeps off the movement it is drawn after as well. */
static void test_overlay_no_overlap(void **state)
{
    (void)state;
    static const int sizes[][2] = { { 320, 240 },  { 480, 480 },   { 640, 360 }, { 640, 480 },
                                    { 1280, 720 }, { 1920, 1080 }, { 360, 640 } };
    static const double spots[][2] = { { 0, 0 },   { 1, 0 },   { 0, 1 },   { 1, 1 },     { 0.5, 0.5 },
                                       { 0.5, 1 }, { 1, 0.5 }, { 0, 0.5 }, { 0.5, 0 } };
    enum { NSPOTS = sizeof(spots) / sizeof(spots[0]) };
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    int faults = 0, cases = 0, left_out = 0, no_actions = 0;
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
        int W = sizes[z][0], H = sizes[z][1];
        Scene *sc = calloc(1, sizeof(*sc));
        build_scene(sc, W, H);
        double s = fmin(W, H) / 480.0, fw = 150 * s, fh = 190 * s;
        for (int a = 0; a < 20; a++)
            sc->face.actions[a] = (EmoOverlayAction){ a % 2 ? "AU12 lip corner puller" : NULL, (float)(a % 7) / 7 };
        sc->face.n_actions = 20;
        sc->in.show_actions = 1;
        EmoOverlayFace faces[2] = { sc->face, sc->face };
        faces[1].id = 4;
        sc->in.faces = faces;
        /* case NSPOTS: the scene's own face; +1: the mouth caption on the legend; +2: two faces */
        for (int k = 0; k <= NSPOTS + 2; k++) {
            faces[0] = sc->face;
            sc->in.n_faces = 1;
            if (k < NSPOTS) {
                move_face(&faces[0], spots[k][0] * (W - fw), spots[k][1] * (H - fh), fw, fh);
            } else if (k == NSPOTS + 1) {
                /* the caption starts right of the highlight, on the legend (graph_rect's sizes) */
                double gy = round(H - round(8 * s) - 124 * s), legend_x = round(8 * s) + 290 * s - 70 * s;
                double r = 0.12 * fw, cx = legend_x - r - 6 * s + 5 * s, cy = gy + 30 * s;
                move_face(&faces[0], cx - 0.5 * fw, cy - 0.8 * fh, fw, fh);
            } else if (k == NSPOTS + 2) {
                move_face(&faces[0], 0.15 * (W - fw), 0.5 * (H - fh), fw, fh);
                move_face(&faces[1], 0.85 * (W - fw), 0.35 * (H - fh), fw, fh);
                sc->in.n_faces = 2;
            }
            assert_int_equal(emo_frame_copy(sc->frame, sc->orig), 0);
            assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
            EmoOverlayLayout L;
            emo_overlay_last_layout(ov, &L);
            char what[64];
            snprintf(what, sizeof(what), "%dx%d case %d", W, H, k);
            faults += layout_faults(&L, W, H, what);
            cases++;
            assert_true(L.hud.w > 0 && L.graph.w > 0);
            for (int i = 0; i < sc->in.n_faces; i++) {
                /* two panels may not both find room in the smaller frames */
                if (L.bars_panel[i].w <= 0)
                    print_message("%s: no room for the panel of face %d\n", what, i);
                assert_true(L.bars_panel[i].w > 0 || i > 0);
                left_out += L.bars_panel[i].w <= 0;
                left_out += (L.tag[i].w <= 0) + (L.badge[i].w <= 0) + (L.caption[i].w <= 0);
            }
            left_out += L.branding.w <= 0;
            no_actions += L.actions_panel.w <= 0;
            if (L.actions_panel.w <= 0)
                print_message("%s: no room for the action panel\n", what);
            /* drawn after the movements: off their highlights and arrows too */
            for (int i = 0; i < sc->in.n_faces; i++) {
                const EmoOverlayMicro *mi = &faces[i].micro;
                double reach = 2.2 * 0.12 * fmin(fw, fh) + 7 * s;
                EmoRect mv = { mi->cx - reach, mi->cy - reach, 2 * reach, 2 * reach };
                const EmoRect *ap = &L.actions_panel;
                if (ap->w > 0 && fmin(ap->x + ap->w, mv.x + mv.w) > fmax(ap->x, mv.x) &&
                    fmin(ap->y + ap->h, mv.y + mv.h) > fmax(ap->y, mv.y)) {
                    print_message("%s: the action panel covers the movement of face %d\n", what, i);
                    faults++;
                }
            }
        }
        free_scene(sc);
        free(sc);
    }
    print_message("layouts: %d, overlapping or outside: %d, parts left out for want of room: %d, action panels "
                  "left out: %d\n", cases, faults, left_out, no_actions);
    assert_int_equal(faults, 0);
    /* room is tight only in the smallest frames: nearly everything is drawn */
    assert_true(left_out <= cases / 4);
    assert_true(no_actions <= cases / 10);
    emo_overlay_close(&ov);
}

static void test_overlay_bad_input(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    EmoFrame *rgb = NULL, *bgra = NULL;
    assert_int_equal(emo_frame_alloc(&rgb, EMO_PIX_RGB24, 64, 64), 0);
    assert_int_equal(emo_frame_alloc(&bgra, EMO_PIX_BGRA, 64, 64), 0);
    EmoOverlayInput in;
    memset(&in, 0, sizeof(in));
    assert_int_equal(emo_overlay_draw(ov, rgb, &in), EMO_EINVAL);
    assert_int_equal(emo_overlay_draw(NULL, bgra, &in), EMO_EINVAL);
    assert_int_equal(emo_overlay_draw(ov, bgra, NULL), EMO_EINVAL);
    EmoOverlayFace f;
    memset(&f, 0, sizeof(f));
    f.w = f.h = 10;
    in.faces = &f;
    in.n_faces = 1;
    f.n_landmarks = 5; /* not 468 */
    f.landmarks = (const float *)&f;
    assert_int_equal(emo_overlay_draw(ov, bgra, &in), EMO_EINVAL);
    f.n_landmarks = 0;
    f.n_history = 4; /* arrays missing */
    assert_int_equal(emo_overlay_draw(ov, bgra, &in), EMO_EINVAL);
    f.n_history = 0;
    f.x = NAN;
    assert_int_equal(emo_overlay_draw(ov, bgra, &in), EMO_EINVAL);
    f.x = 0;
    in.n_faces = -1;
    assert_int_equal(emo_overlay_draw(ov, bgra, &in), EMO_EINVAL);
    /* a face far outside the frame and odd values are fine */
    in.n_faces = 1;
    f.x = 5000;
    f.has_probs = 1;
    f.probs[2] = 7.0f;
    f.probs[3] = -1.0f;
    in.show_graph = in.show_mesh = in.show_model_bars = 1;
    assert_int_equal(emo_overlay_draw(ov, bgra, &in), 0);
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    s.graph_seconds = 0;
    EmoOverlay *bad = (EmoOverlay *)&s;
    assert_int_equal(emo_overlay_open(&bad, &s), EMO_EINVAL);
    assert_null(bad);
    emo_frame_unref(&rgb);
    emo_frame_unref(&bgra);
    emo_overlay_close(&ov);
    emo_overlay_close(&ov);
    emo_overlay_close(NULL);
}

/* Two faces: each gets its box, tag and bars; the bars of each match its own probabilities. */
static void test_overlay_two_faces(void **state)
{
    (void)state;
    Scene *sc = calloc(1, sizeof(*sc));
    build_scene(sc, 1920, 1080);
    EmoOverlayFace faces[2];
    faces[0] = sc->face;
    faces[0].x = 300;
    faces[0].w = 300;
    faces[0].micro.active = 0;
    faces[0].n_landmarks = 0;
    faces[1] = sc->face;
    faces[1].id = 8;
    faces[1].x = 1200;
    faces[1].y = 500;
    faces[1].w = 260;
    faces[1].h = 320;
    faces[1].n_landmarks = 0;
    faces[1].micro.active = 0;
    static const float p2[NE] = { 0.71f, 0.01f, 0.02f, 0.03f, 0.13f, 0.05f, 0.05f };
    memcpy(faces[1].probs, p2, sizeof(p2));
    sc->in.faces = faces;
    sc->in.n_faces = 2;
    sc->in.graph_face = 1;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/overlay-1920x1080-two-faces.png", outdir);
    write_png(sc->frame, path);
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_int_equal(L.n_faces, 2);
    /* the two panels do not cover each other */
    EmoRect a = L.bars_panel[0], b = L.bars_panel[1];
    assert_true(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y);
    for (int i = 0; i < 2; i++) {
        const EmoRect *pn = &L.bars_panel[i];
        assert_true(pn->x >= 0 && pn->y >= 0 && pn->x + pn->w <= 1920 && pn->y + pn->h <= 1080);
        for (int e = 0; e < NE; e++) {
            double want = (i ? p2[e] : probs[e]) * L.bar[i][e].w;
            int run = bar_run(sc->frame, &L.bar[i][e], e);
            assert_true(fabs(run - want) <= 2.0);
        }
    }
    /* the angry tag of face #8 above its box, in the angry colour */
    uint8_t red[3];
    emo_render_emotion_rgb(0, red);
    assert_true(rt_count_color(sc->frame, faces[1].x, faces[1].y - 45, faces[1].w, 45, red, 30) > 500);
    emo_overlay_close(&ov);
    free_scene(sc);
    free(sc);
}

/* Random values, special floats included: an error code or a clean draw,
 * never a crash or a Cairo context left in error (EMO_EINTERNAL). */
static float rnd_float(unsigned *seed)
{
    static const float special[] = { 0.0f, -0.0f, 1.0f, -1.0f, 1e30f, -1e30f, 1e-30f, 5000.0f, -5000.0f,
                                     INFINITY, -INFINITY, NAN };
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = (*seed >> 8) & 0xffff;
    if (r % 4 == 0)
        return special[r % (sizeof(special) / sizeof(special[0]))];
    return (float)((int)(r % 2000) - 500);
}

static void test_overlay_random_input(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 320, 240), 0);
    static float lm[2 * EMO_RENDER_MESH_POINTS];
    static double ht[64];
    static float hp[64 * NE];
    EmoOverlayModel models[2];
    unsigned seed = 12345;
    int ok = 0, einval = 0;
    for (int it = 0; it < 400; it++) {
        EmoOverlayFace fc[2];
        memset(fc, 0, sizeof(fc));
        for (int i = 0; i < 2 * EMO_RENDER_MESH_POINTS; i++)
            lm[i] = it % 4 == 0 ? (float)(rnd_float(&seed) * 0.3f) : 100.0f + (float)(i % 50);
        for (int i = 0; i < 64; i++) {
            ht[i] = it % 2 ? rnd_float(&seed) : i * 0.1;
            for (int e = 0; e < NE; e++)
                hp[i * NE + e] = rnd_float(&seed) / 1000.0f;
        }
        for (int m = 0; m < 2; m++)
            for (int e = 0; e < NE; e++)
                models[m].probs[e] = rnd_float(&seed) / 1000.0f;
        models[0].name = "a very long model name that does not fit the label column";
        models[1].name = NULL;
        for (int k = 0; k < 2; k++) {
            EmoOverlayFace *x = &fc[k];
            x->id = (int)rnd_float(&seed);
            x->x = rnd_float(&seed) * 0.3f;
            x->y = rnd_float(&seed) * 0.3f;
            x->w = fabsf(rnd_float(&seed)) * 0.2f;
            x->h = fabsf(rnd_float(&seed)) * 0.2f;
            x->landmarks = lm;
            x->n_landmarks = EMO_RENDER_MESH_POINTS;
            for (int e = 0; e < NE; e++) {
                x->probs[e] = rnd_float(&seed) / 1000.0f;
                x->probs_raw[e] = rnd_float(&seed) / 1000.0f;
            }
            x->dominant = (int)rnd_float(&seed) % 9;
            x->has_probs = 1;
            x->models = models;
            x->n_models = 2;
            x->history_t = ht;
            x->history_probs = hp;
            x->n_history = 64;
            x->micro.active = 1;
            x->micro.cx = rnd_float(&seed);
            x->micro.cy = rnd_float(&seed);
            x->micro.radius = rnd_float(&seed);
            x->micro.angle = rnd_float(&seed);
            x->micro.magnitude = rnd_float(&seed);
            x->micro.threshold = rnd_float(&seed);
            x->micro.has_region = 1;
            x->micro.region = EMO_REGION_UPPER_LIP;
            x->micro.has_direction = it % 2;
            x->micro.direction = EMO_DIR_LEFT;
            x->micro.event = it % 3 == 0 ? EMO_OVERLAY_EVENT_MACRO : it % 3 == 1 ? EMO_OVERLAY_EVENT_MICRO
                                                                  : EMO_OVERLAY_EVENT_NONE;
        }
        EmoOverlayInput in;
        memset(&in, 0, sizeof(in));
        in.faces = fc;
        in.n_faces = 2;
        in.graph_face = (int)rnd_float(&seed);
        in.capture_fps = rnd_float(&seed);
        in.analysis_fps = rnd_float(&seed);
        in.pts = rnd_float(&seed);
        in.wallclock = rnd_float(&seed) * 1e6;
        in.show_mesh = in.show_graph = in.show_model_bars = 1;
        in.status = it % 2 ? "PAUSED" : NULL;
        int r = emo_overlay_draw(ov, f, &in);
        assert_true(r == 0 || r == EMO_EINVAL);
        ok += r == 0;
        einval += r == EMO_EINVAL;
    }
    print_message("random inputs: %d drawn, %d refused\n", ok, einval);
    assert_true(ok > 50 && einval > 50);
    emo_frame_unref(&f);
    emo_overlay_close(&ov);
}

/* Not a timed test: prints the cost of one overlay at 1080p for the report. */
static void test_overlay_cost_1080(void **state)
{
    (void)state;
    Scene *sc = calloc(1, sizeof(*sc));
    build_scene(sc, 1920, 1080);
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    int n = 20;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        assert_int_equal(emo_overlay_draw(ov, sc->frame, &sc->in), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n;
    print_message("overlay 1920x1080 (mesh, bars, 3 models, graph of %d points): %.2f ms per frame\n", NHIST, ms);
    emo_overlay_close(&ov);
    free_scene(sc);
    free(sc);
}

/* Fontconfig keeps its configuration for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig\n";
}

int main(void)
{
    snprintf(outdir, sizeof(outdir), "%s", emo_test_tmpdir("render-overlay"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_640),     cmocka_unit_test(test_overlay_1080),
        cmocka_unit_test(test_overlay_scales),  cmocka_unit_test(test_overlay_bad_input),
        cmocka_unit_test(test_overlay_two_faces), cmocka_unit_test(test_overlay_random_input),
        cmocka_unit_test(test_overlay_cost_1080), cmocka_unit_test(test_overlay_no_overlap),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data(); /* Cairo's font caches, for the leak checker */
    return rc;
}
