/* The viewer under Xvfb: frames of d6.mp4 with the overlay presented for a
 * few seconds, keys injected as SDL key events (s for a screenshot, the
 * toggles, pause, threshold, record, quit), the screenshot checked against
 * the frame shown, and the letterbox checked on the window contents after a
 * resize. The test re-runs itself under `xvfb-run -a` (its own X server on a
 * free display number), so it never needs nor touches a real display. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include <emoscope/render.h>

#include "viewer.h"
#include "render_testutil.h"

/* X11, fontconfig and Mesa keep caches for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libX11\nleak:libxcb\nleak:libdbus\nleak:libGLX\nleak:libGL\nleak:libEGL\nleak:swrast\n"
           "leak:libLLVM\nleak:libgallium\nleak:libfontconfig\nleak:dri\n"
           "leak:swrast_dri\nleak:libGLX_mesa\nleak:libglapi\nleak:libGLdispatch\nleak:libEGL_mesa\nleak:libXi\nleak:libXcursor\nleak:libXrandr\nleak:libXext\nleak:libxkbcommon\nleak:libXss\n";
}

#define NFRAMES 8
#define W 640
#define H 480

static EmoFrame *clip[NFRAMES];  /* decoded frames */
static EmoFrame *shown[NFRAMES]; /* annotated copies handed to the viewer */
static char outdir[900];

static void push_key(SDL_Keycode k)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = k;
    ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
    assert_true(SDL_PushEvent(&ev) == 1);
}

/* Polls until at least one action arrives (or 2 s pass). */
static int wait_actions(EmoViewer *v, EmoViewerAction *a, int max)
{
    for (int i = 0; i < 200; i++) {
        int n = emo_viewer_poll(v, a, max);
        assert_true(n >= 0);
        if (n > 0)
            return n;
        SDL_Delay(10);
    }
    return 0;
}

static void annotate(EmoOverlay *ov, int k, double t)
{
    assert_int_equal(emo_frame_refcount(shown[k]), 1); /* never write a frame the viewer holds */
    assert_int_equal(emo_frame_copy(shown[k], clip[k]), 0);
    EmoOverlayFace f;
    memset(&f, 0, sizeof(f));
    f.id = 1;
    f.x = 80 + 122;
    f.y = 128;
    f.w = 236;
    f.h = 300;
    f.has_probs = 1;
    f.dominant = -1;
    for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
        f.probs[e] = f.probs_raw[e] = (float)(0.1 + 0.05 * sin(t + e));
    f.probs[5] = 0.5f;
    EmoOverlayInput in;
    memset(&in, 0, sizeof(in));
    in.faces = &f;
    in.n_faces = 1;
    in.capture_fps = 30;
    in.analysis_fps = 15;
    in.pts = t;
    in.wallclock = 0;
    assert_int_equal(emo_overlay_draw(ov, shown[k], &in), 0);
}

static void test_letterbox(void **state)
{
    (void)state;
    int x, y, w, h;
    emo_viewer_letterbox(1280, 720, 640, 480, &x, &y, &w, &h); /* pillarbox */
    assert_true(x == 160 && y == 0 && w == 960 && h == 720);
    emo_viewer_letterbox(1000, 1000, 1920, 1080, &x, &y, &w, &h); /* letterbox */
    assert_true(x == 0 && w == 1000 && h == 563 && y == 218);
    emo_viewer_letterbox(640, 480, 640, 480, &x, &y, &w, &h);
    assert_true(x == 0 && y == 0 && w == 640 && h == 480);
    emo_viewer_letterbox(0, 480, 640, 480, &x, &y, &w, &h);
    assert_true(w == 0 && h == 0);
    emo_viewer_letterbox(5, 5000, 640, 480, &x, &y, &w, &h);
    assert_true(w == 5 && h == 4 && x == 0);
}

static void test_viewer_session(void **state)
{
    (void)state;
    for (int k = 0; k < NFRAMES; k++) {
        clip[k] = rt_decode_frame(emo_test_data("video/d6.mp4"), 10 * k, W, H);
        assert_int_equal(emo_frame_alloc(&shown[k], EMO_PIX_BGRA, W, H), 0);
    }
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);

    EmoViewerSettings s;
    emo_viewer_default_settings(&s);
    s.width = 960;
    s.height = 720;
    snprintf(s.output_dir, sizeof(s.output_dir), "%s/shots", outdir);
    EmoViewer *v = NULL;
    assert_int_equal(emo_viewer_open(&v, &s), 0);
    EmoViewerState st;
    emo_viewer_get_state(v, &st);
    assert_true(st.show_mesh && st.show_graph && st.show_actions && st.show_gaze && !st.show_model_bars && !st.paused);

    /* about two seconds of the clip at 30 fps, polling without waiting */
    EmoViewerAction act[8];
    int k = 0;
    double t0 = emo_clock_now();
    int presented = 0;
    double present_s = 0;
    while (emo_clock_now() - t0 < 2.0) {
        annotate(ov, k, presented / 30.0);
        double ta = emo_clock_now();
        assert_int_equal(emo_viewer_present(v, shown[k]), 0);
        present_s += emo_clock_now() - ta;
        presented++;
        int n = emo_viewer_poll(v, act, 8);
        assert_true(n >= 0);
        k = (k + 1) % NFRAMES;
        SDL_Delay(33);
    }
    emo_viewer_get_state(v, &st);
    print_message("presented %d frames in 2 s (%lld counted by the viewer), %.2f ms per present (640x480 into 960x720)\n",
                  presented, (long long)st.frames_presented, present_s * 1e3 / presented);
    assert_int_equal(st.frames_presented, presented);
    int last = (k + NFRAMES - 1) % NFRAMES;

    /* s: a screenshot of the frame shown */
    push_key(SDLK_s);
    int n = wait_actions(v, act, 8);
    assert_int_equal(n, 1);
    assert_int_equal(act[0].type, EMO_VIEWER_SCREENSHOT);
    assert_int_equal(act[0].value, 0);
    print_message("screenshot: %s\n", act[0].path);
    assert_non_null(strstr(act[0].path, "/shots/emoscope-"));
    cairo_surface_t *png = rt_read_png(act[0].path);
    assert_int_equal(cairo_image_surface_get_width(png), W);
    assert_int_equal(cairo_image_surface_get_height(png), H);
    double sd = rt_surface_stddev(png);
    print_message("screenshot gray-level std dev %.1f\n", sd);
    assert_true(sd > 20);
    /* pixel for pixel the annotated frame last presented (alpha aside) */
    {
        cairo_surface_flush(png);
        const uint8_t *d = cairo_image_surface_get_data(png);
        int pst = cairo_image_surface_get_stride(png), diff = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                diff += memcmp(d + (size_t)y * pst + x * 4, rt_px(shown[last], x, y), 3) != 0;
        assert_int_equal(diff, 0);
    }
    cairo_surface_destroy(png);

    /* the toggles and actions, in order */
    const SDL_Keycode keys[] = { SDLK_m, SDLK_b, SDLK_g, SDLK_PLUS, SDLK_KP_MINUS, SDLK_r,
                                 SDLK_r, SDLK_a, SDLK_a, SDLK_e, SDLK_e };
    const int types[] = { EMO_VIEWER_MESH,    EMO_VIEWER_MODEL_BARS, EMO_VIEWER_GRAPH,
                          EMO_VIEWER_THRESHOLD_UP, EMO_VIEWER_THRESHOLD_DOWN, EMO_VIEWER_RECORD,
                          EMO_VIEWER_RECORD,  EMO_VIEWER_ACTIONS,    EMO_VIEWER_ACTIONS,
                          EMO_VIEWER_GAZE,    EMO_VIEWER_GAZE };
    const int values[] = { 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1 };
    enum { NKEYS = sizeof(keys) / sizeof(keys[0]) };
    for (int i = 0; i < NKEYS; i++)
        push_key(keys[i]);
    int got = 0;
    while (got < NKEYS) {
        n = wait_actions(v, act + 0, 1); /* one at a time: the rest stays queued */
        assert_int_equal(n, 1);
        assert_int_equal(act[0].type, types[got]);
        assert_int_equal(act[0].value, values[got]);
        got++;
    }

    /* space: paused, presents are ignored; space again: running */
    push_key(SDLK_SPACE);
    assert_int_equal(wait_actions(v, act, 8), 1);
    assert_true(act[0].type == EMO_VIEWER_PAUSE && act[0].value == 1);
    emo_viewer_get_state(v, &st);
    int64_t before = st.frames_presented;
    annotate(ov, k, 99.0);
    assert_int_equal(emo_viewer_present(v, shown[k]), 0);
    emo_viewer_get_state(v, &st);
    assert_int_equal(st.frames_presented, before);
    assert_int_equal(emo_frame_refcount(shown[k]), 1); /* not kept while paused */
    push_key(SDLK_SPACE);
    assert_int_equal(wait_actions(v, act, 8), 1);
    assert_true(act[0].type == EMO_VIEWER_PAUSE && act[0].value == 0);

    /* resize to a wide window: the frame is pillarboxed, aspect kept */
    assert_int_equal(emo_viewer_set_window_size(v, 1000, 400), 0);
    for (int i = 0; i < 100; i++) {
        emo_viewer_poll(v, act, 8);
        assert_int_equal(emo_viewer_present(v, shown[k]), 0);
        emo_viewer_get_state(v, &st);
        if (st.window_w == 1000 && st.window_h == 400)
            break;
        SDL_Delay(10);
    }
    print_message("window now %dx%d\n", st.window_w, st.window_h);
    assert_true(st.window_w == 1000 && st.window_h == 400);
    EmoFrame *win = NULL;
    assert_int_equal(emo_frame_alloc(&win, EMO_PIX_BGRA, st.window_w, st.window_h), 0);
    assert_int_equal(emo_viewer_read_window(v, win), 0);
    int bx, by, bw, bh;
    emo_viewer_letterbox(1000, 400, W, H, &bx, &by, &bw, &bh);
    assert_true(bx == 233 && bw == 533 && by == 0 && bh == 400);
    uint8_t black[3] = { 0, 0, 0 };
    /* bars black; the picture inside (the clip's own black side bars aside) */
    assert_int_equal(rt_count_color(win, 0, 0, bx - 1, 400, black, 0), (bx - 1) * 400);
    assert_int_equal(rt_count_color(win, bx + bw + 1, 0, 1000 - bx - bw - 1, 400, black, 0),
                     (1000 - bx - bw - 1) * 400);
    /* the image centre: the same colour as the frame's centre (scaled) */
    double dsum = 0;
    int cnt = 0;
    for (int y = -20; y <= 20; y += 4)
        for (int x = -20; x <= 20; x += 4) {
            const uint8_t *a = rt_px(win, 500 + x * bw / W, 200 + y * bh / H);
            const uint8_t *b = rt_px(shown[k], W / 2 + x, H / 2 + y);
            for (int c = 0; c < 3; c++)
                dsum += abs(a[c] - b[c]);
            cnt += 3;
        }
    print_message("window centre vs frame centre: mean |diff| %.1f\n", dsum / cnt);
    assert_true(dsum / cnt < 20);
    emo_frame_unref(&win);

    /* q: quit */
    push_key(SDLK_q);
    assert_int_equal(wait_actions(v, act, 8), 1);
    assert_int_equal(act[0].type, EMO_VIEWER_QUIT);

    assert_int_equal(emo_viewer_present(v, clip[0]), 0);
    EmoFrame *gray = NULL;
    assert_int_equal(emo_frame_alloc(&gray, EMO_PIX_GRAY8, 16, 16), 0);
    assert_int_equal(emo_viewer_present(v, gray), EMO_EINVAL);
    emo_frame_unref(&gray);
    emo_viewer_close(&v);
    assert_null(v);
    emo_viewer_close(&v);
    /* the viewer let go of every frame */
    for (int i = 0; i < NFRAMES; i++) {
        assert_int_equal(emo_frame_refcount(clip[i]), 1);
        assert_int_equal(emo_frame_refcount(shown[i]), 1);
        emo_frame_unref(&clip[i]);
        emo_frame_unref(&shown[i]);
    }
    emo_overlay_close(&ov);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("EMO_TEST_UNDER_XVFB")) {
        /* Our own X server: xvfb-run -a picks a free display number. */
        setenv("EMO_TEST_UNDER_XVFB", "1", 1);
        execlp("xvfb-run", "xvfb-run", "-a", "-s", "-screen 0 1280x720x24 -nolisten tcp", argv[0], (char *)NULL);
        fprintf(stderr, "test_viewer: cannot run xvfb-run (install xvfb): this test needs it\n");
        return 1;
    }
    setenv("SDL_VIDEODRIVER", "x11", 1);
#ifdef __SANITIZE_ADDRESS__
    /* Mesa's GL drivers are unloaded at exit: their allocations would show
     * up as leaks of an unknown module. Sanitised runs use SDL's software
     * renderer; the normal build tests the default (accelerated) one. */
    setenv("SDL_RENDER_DRIVER", "software", 1);
    /* SDL loads the X11 extension libraries itself and unloads them at
     * exit; pinned, their caches stay attributable to them. */
    static const char *const pin[] = { "libX11.so.6", "libXext.so.6", "libXcursor.so.1", "libXinerama.so.1",
                                       "libXi.so.6", "libXfixes.so.3", "libXrandr.so.2", "libXss.so.1",
                                       "libxkbcommon.so.0", "libXrender.so.1", "libGL.so.1", "libGLX.so.0",
                                       "libGLX_mesa.so.0", "libEGL.so.1", "libEGL_mesa.so.0", "libglapi.so.0",
                                       "libGLdispatch.so.0", "/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so" };
    for (size_t i = 0; i < sizeof(pin) / sizeof(pin[0]); i++)
        dlopen(pin[i], RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
#endif
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    snprintf(outdir, sizeof(outdir), "%s", emo_test_tmpdir("render-viewer"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letterbox),
        cmocka_unit_test(test_viewer_session),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
