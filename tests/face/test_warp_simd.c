/* Every level of the warps' row-kernel table (the C row kernels, and
 * src/face/x86/warp_avx2.c's where the CPU has AVX2), chosen by masking the
 * CPU flags, against the plain-C reference warps: identical values, bit for
 * bit, on a real 1080p BGRA frame and on a small odd-sized one, for crops
 * wholly inside the frame, across its edges and outside it, rotated, scaled
 * up and down, of widths that are and are not multiples of the 8-pixel block
 * and longer than one chunk of a row; and non-finite matrices. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/video.h>

#include "face/face_priv.h"
#include "face/warp_dsp.h"

static EmoFrame *real_frame(void)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = emo_test_shared("testdata/video/d6.mp4");
    vs.pix_fmt = EMO_PIX_BGRA;
    vs.max_frames = 12;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &vs), 0);
    EmoFrame *f = NULL, *last = NULL;
    while (emo_video_read(src, &f, -1) == 0) {
        emo_frame_unref(&last);
        last = f;
        f = NULL;
    }
    emo_video_close(&src);
    assert_non_null(last);
    return last;
}

/* A 37 x 23 BGRA frame with padded rows and varied bytes. */
static EmoFrame *small_frame(uint8_t *buf, int stride)
{
    static EmoFrame f;
    memset(&f, 0, sizeof(f));
    f.fmt = EMO_PIX_BGRA;
    f.width = 37;
    f.height = 23;
    f.stride[0] = stride;
    f.data[0] = buf;
    for (int i = 0; i < stride * 23; i++)
        buf[i] = (uint8_t)((i * 37 + (i >> 5) * 11) ^ (i >> 3));
    return &f;
}

static uint32_t rng = 12345;
static float frand(float a, float b)
{
    rng = rng * 1664525u + 1013904223u;
    return a + (b - a) * (float)(rng >> 8) / 16777216.0f;
}

/* The table of every level this CPU has: level 0 is the C row kernels. */
enum { MAX_LEVELS = 2 };
static const unsigned level_flags[MAX_LEVELS] = { 0, EMO__CPU_AVX2 };

static int table_levels(EmoWarpDsp d[MAX_LEVELS])
{
    int n = 0;
    for (int k = 0; k < MAX_LEVELS; k++)
        if ((emo__cpu_flags() & level_flags[k]) == level_flags[k])
            emo__warp_dsp_init(&d[n++], level_flags[k]);
    return n;
}

static int compare(const EmoWarpDsp *d, const EmoFrame *f, const float m[6], int w, int h, int zb, float *a,
                   float *b, uint8_t *ga, uint8_t *gb)
{
    size_t n = (size_t)w * h * 3;
    memset(a, 0x55, n * sizeof(float));
    memset(b, 0xaa, n * sizeof(float));
    emo__warp_rgbf_dsp(d, f, m, w, h, 1, zb, 1.0f / 255.0f, zb ? -1.0f : 0.0f, a);
    emo__warp_rgbf_c(f, m, w, h, 1, zb, 1.0f / 255.0f, zb ? -1.0f : 0.0f, b);
    int bad = memcmp(a, b, n * sizeof(float)) != 0;
    if (bad) {
        for (size_t i = 0; i < n; i++)
            if (memcmp(&a[i], &b[i], sizeof(float))) {
                print_error("rgbf %dx%d zb %d: first difference at value %zu: %.9g vs %.9g\n", w, h, zb, i, a[i],
                            b[i]);
                break;
            }
    }
    int stride = w + 5; /* padded rows: the padding is not written */
    memset(ga, 0x11, (size_t)stride * h);
    memset(gb, 0x11, (size_t)stride * h);
    emo__warp_u8_dsp(d, f, m, w, h, 1, ga, stride);
    emo__warp_u8_c(f, m, w, h, 1, gb, stride);
    if (memcmp(ga, gb, (size_t)stride * h) != 0) {
        print_error("gray %dx%d: bytes differ\n", w, h);
        bad = 1;
    }
    return bad;
}

static void random_crops(const EmoFrame *f, int trials)
{
    const int widths[] = { 192, 64, 13, 8, 7, 300, 1 };
    float *a = malloc(sizeof(float) * 300 * 300 * 3), *b = malloc(sizeof(float) * 300 * 300 * 3);
    uint8_t *ga = malloc(305 * 300), *gb = malloc(305 * 300);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(ga);
    assert_non_null(gb);
    EmoWarpDsp d[MAX_LEVELS];
    const int levels = table_levels(d);
    int failures = 0;
    for (int t = 0; t < trials; t++) {
        int w = widths[t % 7], h = t % 3 == 0 ? w : 1 + t % 17;
        /* Centre anywhere from well outside to inside, side from a tenth of the crop to 4x the frame. */
        float cx = frand(-0.3f, 1.3f) * (float)f->width, cy = frand(-0.3f, 1.3f) * (float)f->height;
        float side = frand(0.1f, 4.0f) * (float)(t % 4 == 0 ? f->height : w);
        float rot = t % 5 == 0 ? 0.0f : frand(-3.2f, 3.2f);
        float m[6];
        emo__roi_affine(cx, cy, side, rot, w, m);
        for (int k = 0; k < levels; k++)
            failures += compare(&d[k], f, m, w, h, t & 1, a, b, ga, gb);
    }
    /* Non-finite and huge maps: the same (edge or black) values, no crash. */
    const float odd[][6] = { { NAN, 0, 0, 0, 1, 0 }, { 1, 0, INFINITY, 0, 1, 0 }, { 1e30f, 0, 0, 0, 1e30f, 0 },
                             { 1, 0, -1e9f, 0, 1, 5 } };
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < levels; l++)
            failures += compare(&d[l], f, odd[k], 64, 3, k & 1, a, b, ga, gb);
    free(a);
    free(b);
    free(ga);
    free(gb);
    assert_int_equal(failures, 0);
}

static void test_real_frame(void **state)
{
    (void)state;
    EmoFrame *f = real_frame();
    assert_true(f->width >= 320 && f->height >= 240);
    random_crops(f, 400);
    emo_frame_unref(&f);
}

static void test_small_frame(void **state)
{
    (void)state;
    uint8_t *buf = malloc(40 * 4 * 23);
    assert_non_null(buf);
    const EmoFrame *f = small_frame(buf, 40 * 4);
    random_crops(f, 400);
    free(buf);
}

/* Each level's kernel does run (this machine has AVX2): an interior row is
 * all its own, and its values are the reference's. */
static void check_kernel_used(const EmoWarpDsp *dsp, const EmoFrame *f)
{
    EmoWarpDsp d = *dsp;
    float xs[24], ys[24], out[72], ref[72];
    uint8_t todo[3] = { 9, 9, 9 };
    for (int i = 0; i < 24; i++) {
        xs[i] = 100.25f + 3.7f * (float)i;
        ys[i] = 200.5f - 1.3f * (float)i;
    }
    d.rgbf_row_bgra(f->data[0], f->stride[0], f->width, f->height, xs, ys, 24, 0, 2.0f, -1.0f, out, todo);
    assert_int_equal(todo[0] + todo[1] + todo[2], 0);
    for (int i = 0; i < 24; i++) {
        /* The reference's interior formula on the same points. */
        int x0 = (int)xs[i], y0 = (int)ys[i];
        float ax = xs[i] - (float)x0, ay = ys[i] - (float)y0;
        const uint8_t *p = f->data[0] + (size_t)y0 * f->stride[0] + (size_t)x0 * 4, *q = p + f->stride[0];
        for (int c = 0; c < 3; c++) {
            int k = 2 - c;
            float t0 = p[k] + ax * (p[4 + k] - p[k]), t1 = q[k] + ax * (q[4 + k] - q[k]);
            float v = t0 + ay * (t1 - t0);
            ref[3 * i + c] = v * 2.0f + -1.0f;
        }
    }
    assert_memory_equal(out, ref, sizeof(out));
    /* A block with points outside is the kernel's too (edge or black as the
     * reference's border path: the crops across the edges above check the values). */
    xs[9] = -0.5f;
    ys[10] = NAN;
    d.rgbf_row_bgra(f->data[0], f->stride[0], f->width, f->height, xs, ys, 24, 1, 2.0f, -1.0f, out, todo);
    assert_int_equal(todo[0] + todo[1] + todo[2], 0);
    assert_memory_equal(out, ref, 9 * 3 * sizeof(float));        /* points 0-8 unchanged */
    assert_true(out[3 * 10] == -1.0f && out[3 * 10 + 1] == -1.0f); /* NaN: black, 0 * 2 - 1 */
}

static void test_kernel_used(void **state)
{
    (void)state;
    EmoWarpDsp d[MAX_LEVELS];
    const int levels = table_levels(d);
    if (levels < MAX_LEVELS)
        print_message("no AVX2 on this CPU: only the C row kernels run\n");
    EmoFrame *f = real_frame();
    for (int k = 0; k < levels; k++)
        check_kernel_used(&d[k], f);
    emo_frame_unref(&f);
}

/* The process's table is the top level of this CPU: a masked CPU gives the
 * C row kernels, and the unmasked one the same kernels as the last level. */
static void test_process_table_top_level(void **state)
{
    (void)state;
    EmoWarpDsp d[MAX_LEVELS], c;
    const int levels = table_levels(d);
    emo__cpu_set_mask(0);
    assert_int_equal(emo__cpu_flags(), 0);
    emo__warp_dsp_init(&c, emo__cpu_flags());
    emo__cpu_set_mask(EMO__CPU_ALL);
    assert_ptr_equal(c.rgbf_row_bgra, d[0].rgbf_row_bgra);
    assert_ptr_equal(c.gray_row_bgra, d[0].gray_row_bgra);
    EmoWarpDsp top;
    emo__warp_dsp_init(&top, emo__cpu_flags());
    assert_ptr_equal(top.rgbf_row_bgra, d[levels - 1].rgbf_row_bgra);
    assert_ptr_equal(top.gray_row_bgra, d[levels - 1].gray_row_bgra);
    /* and the warps without a table use it: the same bytes. */
    uint8_t buf[40 * 4 * 23];
    const EmoFrame *f = small_frame(buf, 40 * 4);
    float m[6], a[24 * 5 * 3], b[24 * 5 * 3];
    emo__roi_affine(18.0f, 11.0f, 20.0f, 0.3f, 24, m);
    emo__warp_rgbf(f, m, 24, 5, 1, 0, 1.0f, 0.0f, a);
    emo__warp_rgbf_dsp(&top, f, m, 24, 5, 1, 0, 1.0f, 0.0f, b);
    assert_memory_equal(a, b, sizeof(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_frame),
        cmocka_unit_test(test_small_frame),
        cmocka_unit_test(test_kernel_used),
        cmocka_unit_test(test_process_table_top_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
