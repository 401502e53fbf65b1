/* The overlay's action panel: the strongest facial actions of the graphed
 * face as bars, strongest first, each filled over its value; nothing
 * without actions; long or broken names cut short inside the panel; values
 * outside [0,1] clamped; never over another part, at any frame size. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <emoscope/render.h>

#include "lsan_fontconfig.h"
#include "render_testutil.h"

static char outdir[2048];

/* The bars' fill (actions.c) and track (as the probability panel's). */
static const uint8_t fill[3] = { 170, 180, 255 };
static const uint8_t track[3] = { 56, 59, 66 };

/* FACS action units (names as in the FACS manual), with test values. */
static const char *const au_names[] = {
    "AU1 inner brow raiser", "AU2 outer brow raiser", "AU4 brow lowerer",     "AU5 upper lid raiser",
    "AU6 cheek raiser",      "AU7 lid tightener",     "AU9 nose wrinkler",    "AU10 upper lip raiser",
    "AU12 lip corner puller", "AU14 dimpler",         "AU15 lip corner depressor", "AU17 chin raiser",
    "AU20 lip stretcher",    "AU23 lip tightener",    "AU24 lip pressor",     "AU25 lips part",
    "AU26 jaw drop",         "AU28 lip suck",         "AU43 eyes closed",     "AU45 blink",
};
enum { NAU = sizeof(au_names) / sizeof(au_names[0]) };
static const float au_values[NAU] = { 0.12f, 0.08f, 0.02f, 0.31f, 0.66f, 0.27f, 0.05f, 0.09f, 0.83f, 0.41f,
                                      0.01f, 0.18f, 0.07f, 0.11f, 0.03f, 0.57f, 0.22f, 0.00f, 0.04f, 0.15f };

/* The flat history all faces here share (10 s at 30 Hz). */
#define NHIST 300
static double ht[NHIST];
static float hp[NHIST * EMO_RENDER_EMOTIONS];

/* A face box with probabilities, nh points of history (at most NHIST) and the 20 actions. */
static void make_face(EmoOverlayFace *f, double x, double y, double w, double h, int nh)
{
    memset(f, 0, sizeof(*f));
    f->id = 5;
    f->x = (float)x;
    f->y = (float)y;
    f->w = (float)w;
    f->h = (float)h;
    f->dominant = -1;
    f->has_probs = 1;
    for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
        f->probs[e] = f->probs_raw[e] = e == 3 ? 0.64f : 0.06f;
    for (int i = 0; i < nh; i++) {
        ht[i] = i / 30.0;
        for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
            hp[i * EMO_RENDER_EMOTIONS + e] = f->probs[e];
    }
    f->history_t = ht;
    f->history_probs = hp;
    f->n_history = nh;
    for (int k = 0; k < NAU; k++)
        f->actions[k] = (EmoOverlayAction){ au_names[k], au_values[k] };
    f->n_actions = NAU;
}

static EmoFrame *gray_frame(int w, int h)
{
    return rt_solid_frame(w, h, 0xff707070u);
}

static EmoOverlay *open_overlay(int actions)
{
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    assert_int_equal(s.actions, 6);
    s.actions = actions;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, &s), 0);
    return ov;
}

/* Length of the run of the fill colour from the track's left end, along its middle row. */
static int fill_run(const EmoFrame *f, const EmoRect *b)
{
    int y = (int)(b->y + b->h / 2), n = 0;
    for (int x = (int)b->x; x < f->width && rt_near(rt_px(f, x, y), fill, 3); x++)
        n++;
    return n;
}

static void write_png(const EmoFrame *f, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    cairo_surface_t *s = cairo_image_surface_create_for_data(f->data[0], CAIRO_FORMAT_RGB24, f->width, f->height,
                                                             f->stride[0]);
    assert_int_equal(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
    print_message("wrote %s\n", path);
}

/* On a real 1280x720 frame: the six strongest of 20 actions, in order,
 * each bar filled over its value; the panel lies by the face's own. */
static void test_actions_strongest(void **state)
{
    (void)state;
    EmoFrame *fr = rt_decode_frame(emo_test_data("video/d6.mp4"), 90, 1280, 720);
    EmoFrame *orig = NULL;
    assert_int_equal(emo_frame_alloc(&orig, EMO_PIX_BGRA, 1280, 720), 0);
    assert_int_equal(emo_frame_copy(orig, fr), 0);
    EmoOverlayFace face[2];
    /* the d6 face at frame 90, letterboxed (the 480x480 source at 1.5x, 280 px right) */
    make_face(&face[0], 280 + 1.5 * 122, 1.5 * 128, 1.5 * 236, 1.5 * 300, 300);
    EmoOverlayInput in = { .faces = face, .n_faces = 1, .graph_face = 0, .capture_fps = 30, .analysis_fps = 30,
                           .pts = 3.0, .show_graph = 1, .show_actions = 1 };
    EmoOverlay *ov = open_overlay(6);
    assert_int_equal(emo_overlay_draw(ov, fr, &in), 0);
    write_png(fr, "actions-1280x720.png");
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_int_equal(L.actions_face, 0);
    assert_int_equal(L.n_action_bars, 6);
    /* AU12 0.83, AU6 0.66, AU25 0.57, AU14 0.41, AU5 0.31, AU7 0.27 */
    static const int want[6] = { 8, 4, 15, 9, 3, 5 };
    const EmoRect *p = &L.actions_panel;
    for (int k = 0; k < 6; k++) {
        const EmoRect *b = &L.action_bar[k];
        assert_int_equal(L.action_index[k], want[k]);
        assert_true(b->x >= p->x && b->x + b->w <= p->x + p->w && b->y >= p->y && b->y + b->h <= p->y + p->h);
        assert_true(k == 0 || b->y > L.action_bar[k - 1].y);
        int run = fill_run(fr, b);
        double v = au_values[want[k]] * b->w;
        print_message("bar %d %-24s run %3d px, expected %6.1f (track %3.0f px)\n", k, au_names[want[k]], run, v,
                      b->w);
        assert_true(fabs(run - v) <= 2.0);
        /* past the fill: the track */
        assert_true(rt_near(rt_px(fr, (int)(b->x + v) + 2, (int)(b->y + b->h / 2)), track, 3));
        /* the label ends before its bar; these names fit whole */
        assert_true(L.action_label[k].w > 20 && L.action_label[k].x + L.action_label[k].w < b->x);
    }
    /* the title: light text in the panel's top rows */
    uint8_t white[3] = { 255, 255, 255 };
    int title = rt_count_color(fr, p->x, p->y, p->w, L.action_bar[0].y - p->y, white, 40);
    int title0 = rt_count_color(orig, p->x, p->y, p->w, L.action_bar[0].y - p->y, white, 40);
    assert_true(title > title0 + 100);
    /* the panel goes with face 0's probabilities: right under or over them, an edge in line */
    const EmoRect *bp = &L.bars_panel[0];
    print_message("actions panel %.0f,%.0f %.0fx%.0f; probability panel %.0f,%.0f %.0fx%.0f\n", p->x, p->y, p->w, p->h,
                  bp->x, bp->y, bp->w, bp->h);
    assert_true(p->x == bp->x || p->x + p->w == bp->x + bp->w);
    assert_true(fabs(p->y - (bp->y + bp->h)) < 10 || fabs(p->y + p->h - bp->y) < 10);

    /* 16 bars asked of 20 actions: 16 drawn, still in order */
    EmoOverlay *ov16 = open_overlay(16);
    assert_int_equal(emo_overlay_draw(ov16, fr, &in), 0);
    emo_overlay_last_layout(ov16, &L);
    assert_int_equal(L.n_action_bars, 16);
    for (int k = 1; k < 16; k++)
        assert_true(au_values[L.action_index[k]] <= au_values[L.action_index[k - 1]]);
    emo_overlay_close(&ov16);

    /* two faces: the panel shows the graphed face's actions, not the other's */
    face[1] = face[0];
    face[0].x = 100;
    face[0].w = face[0].h = 200;
    face[1].x = 900;
    face[1].w = face[1].h = 250;
    face[1].n_actions = 2;
    face[1].actions[0].value = 0.1f;
    face[1].actions[1].value = 0.9f;
    in.n_faces = 2;
    for (int g = 0; g < 2; g++) {
        in.graph_face = g;
        assert_int_equal(emo_overlay_draw(ov, fr, &in), 0);
        emo_overlay_last_layout(ov, &L);
        assert_int_equal(L.actions_face, g);
        assert_int_equal(L.n_action_bars, g ? 2 : 6);
        assert_int_equal(L.action_index[0], g ? 1 : 8);
    }
    emo_overlay_close(&ov);
    emo_frame_unref(&orig);
    emo_frame_unref(&fr);
}

/* Without actions, or with the panel off, nothing is drawn: the pixels
 * are those of a draw with no panel at all. */
static void test_actions_none(void **state)
{
    (void)state;
    EmoOverlayFace face;
    make_face(&face, 100, 100, 180, 220, 10);
    EmoOverlayInput in = { .faces = &face, .n_faces = 1, .capture_fps = -1, .analysis_fps = -1, .show_graph = 1 };
    EmoOverlay *ov = open_overlay(6);
    EmoFrame *ref = gray_frame(640, 480), *f = gray_frame(640, 480);
    assert_int_equal(emo_overlay_draw(ov, ref, &in), 0); /* panel off */
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_true(L.actions_panel.w == 0 && L.n_action_bars == 0 && L.actions_face == -1);
    face.n_actions = 0;
    in.show_actions = 1;
    assert_int_equal(emo_overlay_draw(ov, f, &in), 0);
    emo_overlay_last_layout(ov, &L);
    assert_true(L.actions_panel.w == 0 && L.n_action_bars == 0 && L.actions_face == -1);
    for (int y = 0; y < 480; y++)
        assert_memory_equal(f->data[0] + (size_t)y * f->stride[0], ref->data[0] + (size_t)y * ref->stride[0],
                            640 * 4);
    /* with them, the same frame differs */
    face.n_actions = 3;
    EmoFrame *g = gray_frame(640, 480);
    assert_int_equal(emo_overlay_draw(ov, g, &in), 0);
    emo_overlay_last_layout(ov, &L);
    assert_true(L.actions_panel.w > 0 && L.n_action_bars == 3);
    assert_true(rt_count_color(g, L.actions_panel.x, L.actions_panel.y, L.actions_panel.w, L.actions_panel.h,
                               fill, 3) > 0);
    emo_frame_unref(&g);
    emo_frame_unref(&f);
    emo_frame_unref(&ref);
    emo_overlay_close(&ov);
}

/* Long names, broken UTF-8, NULL names and values outside [0,1]: the
 * labels end before their bars with an ellipsis, nothing leaves the
 * panel, the fills stay within their tracks, and the order is that of the
 * clamped values. */
static void test_actions_names_and_values(void **state)
{
    (void)state;
    char longest[300];
    memset(longest, 'W', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = 0;
    EmoOverlayFace face;
    memset(&face, 0, sizeof(face));
    face.id = 2;
    face.x = 20;
    face.y = 150;
    face.w = 160;
    face.h = 200;
    face.dominant = -1;
    const EmoOverlayAction acts[] = {
        { "AU12 lip corner puller, with a name far too long for any panel at all", 1.7f },
        { NULL, 0.5f },
        { "\xff\xfe broken \xc3 UTF-8 \xe2\x82 and an \xc3\xa9l\xc3\xa9gant tail \xe2\x80\x94 long long long", -0.3f },
        { "mouthSmileLeft", INFINITY },
        { "nan", NAN },
        { "", 0.25f },
        { longest, 1.0f },
    };
    enum { NA = sizeof(acts) / sizeof(acts[0]) };
    memcpy(face.actions, acts, sizeof(acts));
    face.n_actions = NA;
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    s.actions = NA;
    s.branding[0] = 0;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, &s), 0);
    EmoOverlayInput in = { .faces = &face, .n_faces = 1, .capture_fps = -1, .analysis_fps = -1, .show_actions = 1 };
    EmoFrame *f = gray_frame(640, 480), *orig = gray_frame(640, 480);
    assert_int_equal(emo_overlay_draw(ov, f, &in), 0); /* no Cairo error from the broken text */
    write_png(f, "actions-names-640x480.png");
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_int_equal(L.n_action_bars, NA);
    /* clamped: 1.7, inf and the 300 W's (1.0) tie at 1 in input order; NaN and -0.3 count as 0 */
    static const int want[NA] = { 0, 3, 6, 1, 5, 2, 4 };
    static const double val[NA] = { 1, 1, 1, 0.5, 0.25, 0, 0 };
    const EmoRect *p = &L.actions_panel;
    for (int k = 0; k < NA; k++) {
        const EmoRect *b = &L.action_bar[k], *lb = &L.action_label[k];
        assert_int_equal(L.action_index[k], want[k]);
        int run = fill_run(f, b);
        print_message("bar %d: action %d, label %.0f px wide (bar at %.0f), fill %d of %.0f px\n", k, want[k], lb->w,
                      b->x, run, b->w);
        assert_true(fabs(run - val[k] * b->w) <= 1.0);
        assert_true(lb->x >= p->x && lb->x + lb->w <= b->x);
        /* no ink between the label's end and the bar: the panel's colour all along */
        const uint8_t *bg = rt_px(f, (int)(b->x - 2), (int)(b->y + b->h / 2));
        for (int x = (int)ceil(lb->x + lb->w) + 1; x < (int)b->x - 1; x++)
            for (int y = (int)lb->y; y < (int)(lb->y + lb->h); y++)
                assert_memory_equal(rt_px(f, x, y), bg, 3);
    }
    /* the long labels were cut (ellipsis), the short one kept */
    assert_true(L.action_label[0].w > 0.6 * (L.action_bar[0].x - p->x) && L.action_label[4].w == 0);
    /* nothing drawn right of the panel: the rows' band is the frame's own grey there */
    int changed = 0;
    for (int y = (int)p->y; y < (int)(p->y + p->h); y++)
        for (int x = (int)(p->x + p->w) + 1; x < 640; x++)
            changed += memcmp(rt_px(f, x, y), rt_px(orig, x, y), 3) != 0;
    assert_int_equal(changed, 0);
    emo_frame_unref(&f);
    emo_frame_unref(&orig);
    emo_overlay_close(&ov);
}

/* Counts actions, settings and the graphed face checked at the door. */
static void test_actions_bad_input(void **state)
{
    (void)state;
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    EmoOverlay *ov = NULL;
    s.actions = 0;
    assert_int_equal(emo_overlay_open(&ov, &s), EMO_EINVAL);
    s.actions = EMO_RENDER_MAX_ACTIONS_SHOWN + 1;
    assert_int_equal(emo_overlay_open(&ov, &s), EMO_EINVAL);
    assert_null(ov);
    ov = open_overlay(EMO_RENDER_MAX_ACTIONS_SHOWN);
    EmoFrame *f = gray_frame(320, 240);
    EmoOverlayFace face;
    memset(&face, 0, sizeof(face));
    face.w = face.h = 60;
    EmoOverlayInput in = { .faces = &face, .n_faces = 1, .show_actions = 1, .graph_face = 7 };
    face.n_actions = EMO_RENDER_MAX_ACTIONS + 1;
    assert_int_equal(emo_overlay_draw(ov, f, &in), EMO_EINVAL);
    face.n_actions = -1;
    assert_int_equal(emo_overlay_draw(ov, f, &in), EMO_EINVAL);
    /* all 64, unnamed; a graph_face out of range means face 0 (as for the graph) */
    face.n_actions = EMO_RENDER_MAX_ACTIONS;
    for (int k = 0; k < EMO_RENDER_MAX_ACTIONS; k++)
        face.actions[k].value = (float)k / EMO_RENDER_MAX_ACTIONS;
    assert_int_equal(emo_overlay_draw(ov, f, &in), 0);
    EmoOverlayLayout L;
    emo_overlay_last_layout(ov, &L);
    assert_int_equal(L.actions_face, 0);
    assert_int_equal(L.action_index[0], EMO_RENDER_MAX_ACTIONS - 1);
    print_message("320x240, one small face: %d bars\n", L.n_action_bars);
    emo_frame_unref(&f);
    /* A frame with little room beside a large face, its probabilities and
     * its graph: fewer rows (at least three), still the strongest. */
    make_face(&face, 0, 0, 0, 0, 4);
    face.n_actions = EMO_RENDER_MAX_ACTIONS;
    for (int k = 0; k < EMO_RENDER_MAX_ACTIONS; k++)
        face.actions[k] = (EmoOverlayAction){ NULL, (float)k / EMO_RENDER_MAX_ACTIONS };
    static const int sizes[][2] = { { 640, 360 }, { 480, 480 }, { 320, 240 }, { 360, 640 } };
    int shrunk = 0;
    for (int z = 0; z < 4; z++) {
        int w = sizes[z][0], h = sizes[z][1];
        f = gray_frame(w, h);
        face.w = (float)(0.4 * w);
        face.h = (float)(0.6 * h);
        face.x = (float)(0.3 * w);
        face.y = (float)(0.2 * h);
        in.show_graph = 1;
        assert_int_equal(emo_overlay_draw(ov, f, &in), 0);
        emo_overlay_last_layout(ov, &L);
        print_message("%dx%d, large face: %d bars, panel %.0fx%.0f\n", w, h, L.n_action_bars, L.actions_panel.w,
                      L.actions_panel.h);
        assert_true(L.n_action_bars == 0 || L.n_action_bars >= 3);
        assert_true((L.n_action_bars == 0) == (L.actions_panel.w == 0));
        shrunk += L.n_action_bars > 0 && L.n_action_bars < EMO_RENDER_MAX_ACTIONS_SHOWN;
        for (int k = 0; k < L.n_action_bars; k++)
            assert_int_equal(L.action_index[k], EMO_RENDER_MAX_ACTIONS - 1 - k);
        emo_frame_unref(&f);
    }
    assert_true(shrunk > 0);
    emo_overlay_close(&ov);
}

/* Not a timed test: prints what the panel adds to a 1080p overlay (best
 * of 5 batches each way, alternated: the machine is shared). */
static void test_actions_cost_1080(void **state)
{
    (void)state;
    EmoOverlayFace face;
    make_face(&face, 800, 300, 400, 500, 300);
    EmoOverlayInput in = { .faces = &face, .n_faces = 1, .capture_fps = 30, .analysis_fps = 30, .show_graph = 1 };
    EmoOverlay *ov = open_overlay(6);
    EmoFrame *f = gray_frame(1920, 1080);
    double best[2] = { INFINITY, INFINITY };
    for (int b = 0; b < 10; b++) {
        in.show_actions = b % 2;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < 20; i++)
            assert_int_equal(emo_overlay_draw(ov, f, &in), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / 20;
        best[b % 2] = fmin(best[b % 2], ms);
    }
    print_message("overlay 1920x1080 (bars, graph, HUD): %.2f ms per frame without the action panel, %.2f ms with it "
                  "(20 actions, 6 bars)\n", best[0], best[1]);
    emo_frame_unref(&f);
    emo_overlay_close(&ov);
}

int main(void)
{
    snprintf(outdir, sizeof(outdir), "%s", emo_test_tmpdir("render-actions"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions_strongest),
        cmocka_unit_test(test_actions_none),
        cmocka_unit_test(test_actions_names_and_values),
        cmocka_unit_test(test_actions_bad_input),
        cmocka_unit_test(test_actions_cost_1080),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
