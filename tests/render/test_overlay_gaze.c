/* The gaze arrows of the overlay: drawn from each eye given, the way the
 * arrow points, only when EmoOverlayInput.show_gaze asks; with the toggle
 * off or no arrow given the frame is the same, byte for byte, as one drawn
 * without gaze; bad arrows are EMO_EINVAL. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/render.h>

#include "lsan_fontconfig.h"
#include "render_testutil.h"
#include "testutil.h"

#define W 640
#define H 480

/* The arrows' green at 95% over black. */
static const int green[3] = { 85, 242, 109 };

static EmoFrame *draw(EmoOverlay *ov, const EmoOverlayFace *face, int show_gaze, int expect)
{
    EmoFrame *f = rt_solid_frame(W, H, 0xff000000u);
    EmoOverlayInput in;
    memset(&in, 0, sizeof(in));
    in.faces = face;
    in.n_faces = 1;
    in.capture_fps = in.analysis_fps = -1;
    in.show_gaze = show_gaze;
    assert_int_equal(emo_overlay_draw(ov, f, &in), expect);
    return f;
}

/* Green pixels in the rectangle [x0, x1) x [y0, y1). */
static int greens(const EmoFrame *f, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = f->data[0] + (size_t)y * (size_t)f->stride[0] + 4 * x; /* B, G, R, A */
            n += abs(p[2] - green[0]) <= 12 && abs(p[1] - green[1]) <= 12 && abs(p[0] - green[2]) <= 12;
        }
    return n;
}

static int same_pixels(const EmoFrame *a, const EmoFrame *b)
{
    for (int y = 0; y < H; y++)
        if (memcmp(a->data[0] + (size_t)y * (size_t)a->stride[0], b->data[0] + (size_t)y * (size_t)b->stride[0],
                   (size_t)W * 4))
            return 0;
    return 1;
}

/* A face without emotions (no panels): its box and tag only. */
static const EmoOverlayFace base_face = { .id = 1, .x = 220, .y = 120, .w = 200, .h = 200, .dominant = -1 };

static void test_arrows(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    EmoOverlayFace fc = base_face;
    EmoFrame *plain = draw(ov, &fc, 1, 0);
    /* Both eyes look to the image's right and a little up. */
    fc.n_gaze = 2;
    fc.gaze[0] = (EmoOverlayGaze){ 280, 200, 80, -20 };
    fc.gaze[1] = (EmoOverlayGaze){ 360, 200, 80, -20 };
    EmoFrame *on = draw(ov, &fc, 1, 0), *off = draw(ov, &fc, 0, 0);
    int along = greens(on, 300, 180, 350, 200), behind = greens(on, 230, 195, 270, 215);
    int head = greens(on, 425, 170, 445, 190), below = greens(on, 300, 205, 350, 240);
    print_message("green pixels: along the first arrow %d, behind the eyes %d, at the second's head %d, below %d\n",
                  along, behind, head, below);
    assert_true(along >= 40); /* a 2 px line over 50 px */
    assert_true(head >= 15);
    assert_int_equal(behind, 0);
    assert_int_equal(below, 0);
    /* Off: the frame of a face without gaze. */
    assert_true(same_pixels(off, plain));
    assert_int_equal(greens(plain, 0, 0, W, H), 0);
    emo_frame_unref(&on);
    emo_frame_unref(&off);

    /* Looking into the camera: a zero arrow, the eyes' dots only. */
    fc.gaze[0].dx = fc.gaze[0].dy = fc.gaze[1].dx = fc.gaze[1].dy = 0;
    on = draw(ov, &fc, 1, 0);
    int dots = greens(on, 0, 0, W, H), at_eyes = greens(on, 270, 190, 291, 211) + greens(on, 350, 190, 371, 211);
    print_message("zero arrows: %d green pixels, %d at the eyes\n", dots, at_eyes);
    assert_true(dots > 0 && dots == at_eyes && dots < 80);
    emo_frame_unref(&on);

    /* No arrow given: the plain frame. */
    fc.n_gaze = 0;
    on = draw(ov, &fc, 1, 0);
    assert_true(same_pixels(on, plain));
    emo_frame_unref(&on);
    emo_frame_unref(&plain);
    emo_overlay_close(&ov);
}

static void test_bad_arrows(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    EmoTestErrors errs = { 0 };
    EmoLogger log = { emo_test_capture_errors, &errs, EMO_LOG_ERROR };
    EmoOverlaySettings s;
    emo_overlay_default_settings(&s);
    s.logger = &log;
    assert_int_equal(emo_overlay_open(&ov, &s), 0);
    EmoOverlayFace fc = base_face;
    fc.n_gaze = 3;
    EmoFrame *f = draw(ov, &fc, 1, EMO_EINVAL);
    emo_frame_unref(&f);
    assert_non_null(strstr(errs.last, "3 gaze arrows"));
    fc.n_gaze = -1;
    f = draw(ov, &fc, 1, EMO_EINVAL);
    emo_frame_unref(&f);
    fc.n_gaze = 1;
    fc.gaze[0] = (EmoOverlayGaze){ 280, 200, NAN, 0 };
    f = draw(ov, &fc, 0, EMO_EINVAL); /* checked even when not shown */
    emo_frame_unref(&f);
    assert_non_null(strstr(errs.last, "gaze arrow 0 is not finite"));
    emo_overlay_close(&ov);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrows),
        cmocka_unit_test(test_bad_arrows),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data();
    return rc;
}
