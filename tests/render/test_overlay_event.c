/* The micro-expression part of the overlay is given as values (region,
 * direction, event kind) and written by the overlay itself: the badge's
 * colour follows the event kind, and the caption names the region and the
 * direction only when the caller says they are set. */
#define _POSIX_C_SOURCE 200809L
#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/render.h>

#include "testutil.h"

#define W 640
#define H 480

/* Pixels within 12 levels of (r, g, b) after one draw of face on black. */
static int count_rgb(EmoOverlay *ov, const EmoOverlayFace *face, int r, int g, int b)
{
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, W, H), 0);
    for (int y = 0; y < H; y++)
        memset(f->data[0] + (size_t)y * (size_t)f->stride[0], 0, (size_t)W * 4);
    EmoOverlayInput in;
    memset(&in, 0, sizeof(in));
    in.faces = face;
    in.n_faces = 1;
    in.capture_fps = in.analysis_fps = -1;
    assert_int_equal(emo_overlay_draw(ov, f, &in), 0);
    int n = 0;
    for (int y = 0; y < H; y++) {
        const uint8_t *row = f->data[0] + (size_t)y * (size_t)f->stride[0];
        for (int x = 0; x < W; x++) {
            const uint8_t *p = row + 4 * x; /* B, G, R, A */
            n += abs(p[2] - r) <= 12 && abs(p[1] - g) <= 12 && abs(p[0] - b) <= 12;
        }
    }
    emo_frame_unref(&f);
    return n;
}

static EmoOverlayFace make_face(void)
{
    EmoOverlayFace fc;
    memset(&fc, 0, sizeof(fc));
    fc.id = 1;
    fc.x = 220;
    fc.y = 120;
    fc.w = fc.h = 200;
    fc.dominant = -1;
    fc.micro.active = 1;
    fc.micro.cx = 320;
    fc.micro.cy = 200;
    fc.micro.angle = -1.5708f;
    fc.micro.magnitude = 0.6f;
    fc.micro.threshold = 0.35f;
    return fc;
}

static void test_badge_follows_event_kind(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    EmoOverlayFace fc = make_face();
    /* The badge and highlight colours at 95% over black: macro orange, micro magenta. */
    const int macro_rgb[3] = { 242, 145, 24 }, micro_rgb[3] = { 242, 61, 202 };
    fc.micro.event = EMO_OVERLAY_EVENT_NONE;
    int none_macro = count_rgb(ov, &fc, macro_rgb[0], macro_rgb[1], macro_rgb[2]);
    int none_micro = count_rgb(ov, &fc, micro_rgb[0], micro_rgb[1], micro_rgb[2]);
    fc.micro.event = EMO_OVERLAY_EVENT_MACRO;
    int macro_macro = count_rgb(ov, &fc, macro_rgb[0], macro_rgb[1], macro_rgb[2]);
    int macro_micro = count_rgb(ov, &fc, micro_rgb[0], micro_rgb[1], micro_rgb[2]);
    fc.micro.event = EMO_OVERLAY_EVENT_MICRO;
    int micro_macro = count_rgb(ov, &fc, macro_rgb[0], macro_rgb[1], macro_rgb[2]);
    int micro_micro = count_rgb(ov, &fc, micro_rgb[0], micro_rgb[1], micro_rgb[2]);
    print_message("orange/magenta pixels: no event %d/%d, macro %d/%d, micro %d/%d\n", none_macro, none_micro,
                  macro_macro, macro_micro, micro_macro, micro_micro);
    assert_true(macro_macro > none_macro + 300); /* a badge is at least ~100 x 15 px */
    assert_true(micro_micro > none_micro + 300);
    assert_true(macro_micro <= none_micro + 20);
    assert_true(micro_macro <= none_macro + 20);
    emo_overlay_close(&ov);
}

static void test_caption_names_what_is_set(void **state)
{
    (void)state;
    EmoOverlay *ov = NULL;
    assert_int_equal(emo_overlay_open(&ov, NULL), 0);
    EmoOverlayFace fc = make_face();
    /* The caption's text colour (1, 0.92, 0.6). */
    int bare = count_rgb(ov, &fc, 255, 235, 153);
    fc.micro.region = EMO_REGION_LEFT_MOUTH_CORNER; /* not named: has_region is 0 */
    fc.micro.direction = EMO_DIR_DOWN_RIGHT;
    assert_int_equal(count_rgb(ov, &fc, 255, 235, 153), bare);
    fc.micro.has_region = 1;
    int with_region = count_rgb(ov, &fc, 255, 235, 153);
    fc.micro.has_direction = 1;
    int with_both = count_rgb(ov, &fc, 255, 235, 153);
    fc.micro.direction = EMO_DIR_NONE; /* named as nothing */
    int dir_none = count_rgb(ov, &fc, 255, 235, 153);
    fc.micro.region = (EmoRegion)EMO_REGION_COUNT; /* out of range: not named, not a crash */
    int bad_region = count_rgb(ov, &fc, 255, 235, 153);
    print_message("caption pixels: bare %d, region %d, region+direction %d, direction none %d, bad region %d\n",
                  bare, with_region, with_both, dir_none, bad_region);
    assert_true(with_region > bare + 50);
    assert_true(with_both > with_region + 50);
    assert_int_equal(dir_none, with_region);
    assert_int_equal(bad_region, bare);
    emo_overlay_close(&ov);
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
        cmocka_unit_test(test_badge_follows_event_kind),
        cmocka_unit_test(test_caption_names_what_is_set),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data(); /* Cairo's font caches, for the leak checker */
    return rc;
}
