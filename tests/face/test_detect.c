/* BlazeFace decoding on the golden raw outputs: anchors, decoding, weighted NMS, letterbox. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_priv.h"

static void test_anchors(void **state)
{
    (void)state;
    static float a[EMO_BF_ANCHORS][2];
    emo__bf_anchors(a);
    /* 16x16 grid, 2 per cell: anchors 0 and 1 share the first cell's centre. */
    assert_float_equal(a[0][0], 0.5f / 16, 1e-7);
    assert_float_equal(a[1][1], 0.5f / 16, 1e-7);
    assert_float_equal(a[2][0], 1.5f / 16, 1e-7);
    assert_float_equal(a[511][0], 15.5f / 16, 1e-7);
    assert_float_equal(a[511][1], 15.5f / 16, 1e-7);
    /* 8x8 grid, 6 per cell from anchor 512 on. */
    for (int k = 512; k < 518; k++) {
        assert_float_equal(a[k][0], 0.5f / 8, 1e-7);
        assert_float_equal(a[k][1], 0.5f / 8, 1e-7);
    }
    assert_float_equal(a[518][0], 1.5f / 8, 1e-7);
    assert_float_equal(a[512 + 6 * 8][1], 1.5f / 8, 1e-7);
    assert_float_equal(a[895][0], 7.5f / 8, 1e-7);
    assert_float_equal(a[895][1], 7.5f / 8, 1e-7);
}

static const char *golden(const char *model, const char *cas, const char *file)
{
    static char rel[256];
    snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/%s.f32", model, cas, file);
    return emo_test_shared(rel);
}

/* Decodes a golden case; returns the number of detections after NMS. */
static int decode_case(const char *cas, float min_score, EmoDetection *out, int max)
{
    static float anchors[EMO_BF_ANCHORS][2];
    static EmoDetection cand[EMO_BF_ANCHORS];
    emo__bf_anchors(anchors);
    float *reg = emo_test_read_f32(golden("face_detection_short_range", cas, "regressors"), EMO_BF_ANCHORS * 16);
    float *cls = emo_test_read_f32(golden("face_detection_short_range", cas, "classificators"), EMO_BF_ANCHORS);
    int n = emo__bf_decode(reg, cls, (const float(*)[2])anchors, min_score, cand, EMO_BF_ANCHORS);
    n = emo__weighted_nms(cand, n, 0.3f, out, max);
    free(reg);
    free(cls);
    return n;
}

static void check_face_geometry(const EmoDetection *d)
{
    /* Golden cases are face crops about 1.5x the face: one face, central. */
    assert_true(d->w > 0.3f && d->w < 0.9f);
    assert_true(d->h > 0.3f && d->h < 0.9f);
    float cx = d->x + d->w / 2, cy = d->y + d->h / 2;
    assert_true(fabsf(cx - 0.5f) < 0.15f && fabsf(cy - 0.5f) < 0.2f);
    /* Subject's right eye on the image's left, eyes above the nose above the mouth. */
    assert_true(d->kp[EMO_KP_RIGHT_EYE][0] < d->kp[EMO_KP_NOSE][0]);
    assert_true(d->kp[EMO_KP_NOSE][0] < d->kp[EMO_KP_LEFT_EYE][0]);
    float eye_y = 0.5f * (d->kp[EMO_KP_RIGHT_EYE][1] + d->kp[EMO_KP_LEFT_EYE][1]);
    assert_true(eye_y < d->kp[EMO_KP_NOSE][1]);
    assert_true(d->kp[EMO_KP_NOSE][1] < d->kp[EMO_KP_MOUTH][1]);
    /* Ears: only their order (in a three-quarter view one ear is behind the face). */
    assert_true(d->kp[EMO_KP_RIGHT_EAR][0] < d->kp[EMO_KP_LEFT_EAR][0]);
    for (int k = 0; k < 4; k++) { /* eyes, nose, mouth inside the box */
        assert_true(d->kp[k][0] > d->x && d->kp[k][0] < d->x + d->w);
        assert_true(d->kp[k][1] > d->y && d->kp[k][1] < d->y + d->h);
    }
}

static void test_golden_crops(void **state)
{
    (void)state;
    const char *cases[] = { "einstein_crop", "breakingbad_crop" };
    for (int c = 0; c < 2; c++) {
        EmoDetection d[8];
        int n = decode_case(cases[c], 0.5f, d, 8);
        printf("%s: %d detection(s)", cases[c], n);
        for (int i = 0; i < n; i++)
            printf(" [score %.4f box %.4f %.4f %.4f %.4f reye %.3f %.3f leye %.3f %.3f]", d[i].score, d[i].x, d[i].y,
                   d[i].w, d[i].h, d[i].kp[0][0], d[i].kp[0][1], d[i].kp[1][0], d[i].kp[1][1]);
        printf("\n");
        assert_int_equal(n, 1);
        assert_true(d[0].score > 0.7f);
        check_face_geometry(&d[0]);
    }
    EmoDetection d[8];
    assert_int_equal(decode_case("noise0", 0.5f, d, 8), 0);
}

static void test_sigmoid_clip(void **state)
{
    (void)state;
    static float anchors[EMO_BF_ANCHORS][2];
    static float reg[EMO_BF_ANCHORS * 16], cls[EMO_BF_ANCHORS];
    static EmoDetection out[EMO_BF_ANCHORS];
    emo__bf_anchors(anchors);
    for (int i = 0; i < EMO_BF_ANCHORS; i++) {
        cls[i] = -1e30f;
        reg[i * 16 + 2] = reg[i * 16 + 3] = 10.0f;
    }
    cls[3] = 1e30f;              /* clipped to 100: score 1, not NaN or inf */
    cls[7] = NAN;                /* never a detection */
    cls[9] = 0.0f;               /* exactly 0.5 */
    reg[3 * 16 + 0] = 12.8f;     /* +0.1 of the input from its anchor */
    reg[3 * 16 + 5] = -6.4f;     /* keypoint 0 y: -0.05 */
    int n = emo__bf_decode(reg, cls, (const float(*)[2])anchors, 0.5f, out, EMO_BF_ANCHORS);
    assert_int_equal(n, 2);
    assert_float_equal(out[0].score, 1.0f, 1e-6);
    assert_float_equal(out[0].x + out[0].w / 2, anchors[3][0] + 0.1f, 1e-6);
    assert_float_equal(out[0].w, 10.0f / 128, 1e-6);
    assert_float_equal(out[0].kp[0][1], anchors[3][1] - 0.05f, 1e-6);
    assert_float_equal(out[1].score, 0.5f, 1e-6);
}

static EmoDetection box(float x, float y, float w, float h, float s)
{
    EmoDetection d;
    memset(&d, 0, sizeof(d));
    d.x = x;
    d.y = y;
    d.w = w;
    d.h = h;
    d.score = s;
    for (int k = 0; k < EMO_FACE_KEYPOINTS; k++) {
        d.kp[k][0] = x + k;
        d.kp[k][1] = y;
    }
    return d;
}

static void test_weighted_nms(void **state)
{
    (void)state;
    EmoDetection in[4] = { box(0.1f, 0, 1, 1, 0.6f), box(5, 5, 1, 1, 0.7f), box(0, 0, 1, 1, 0.9f),
                           box(0.2f, 0.1f, 1, 1, 0.3f) };
    EmoDetection out[4];
    int n = emo__weighted_nms(in, 4, 0.3f, out, 4);
    assert_int_equal(n, 2);
    /* The first cluster: score of the best, box the score-weighted mean. */
    assert_float_equal(out[0].score, 0.9f, 1e-6);
    float wx = (0.9f * 0 + 0.6f * 0.1f + 0.3f * 0.2f) / 1.8f;
    float wy = (0.3f * 0.1f) / 1.8f;
    assert_float_equal(out[0].x, wx, 1e-6);
    assert_float_equal(out[0].y, wy, 1e-6);
    assert_float_equal(out[0].w, 1.0f, 1e-5);
    assert_float_equal(out[0].kp[2][0], wx + 2, 1e-5);
    assert_float_equal(out[1].score, 0.7f, 1e-6);
    assert_float_equal(out[1].x, 5.0f, 1e-6);
    /* max limits the output; IoU 1 merges nothing distinct. */
    EmoDetection in2[2] = { box(0, 0, 1, 1, 0.5f), box(3, 3, 1, 1, 0.8f) };
    assert_int_equal(emo__weighted_nms(in2, 2, 0.3f, out, 1), 1);
    assert_float_equal(out[0].score, 0.8f, 1e-6);
    assert_int_equal(emo__weighted_nms(in2, 0, 0.3f, out, 4), 0);
}

static void test_letterbox(void **state)
{
    (void)state;
    float m[6];
    emo__letterbox(200, 100, m);
    /* Side 200 centred: input (0,0) -> (0,-50), (128,128) -> (200,150). */
    assert_float_equal(m[0], 200.0f / 128, 1e-6);
    assert_float_equal(m[2], 0.0f, 1e-6);
    assert_float_equal(m[5], -50.0f, 1e-6);
    EmoDetection d = box(0.25f, 0.5f, 0.5f, 0.25f, 1);
    d.kp[1][0] = 0.5f;
    d.kp[1][1] = 0.5f;
    emo__detection_map(&d, m, 128);
    assert_float_equal(d.x, 50.0f, 1e-4);
    assert_float_equal(d.y, 50.0f, 1e-4);
    assert_float_equal(d.w, 100.0f, 1e-4);
    assert_float_equal(d.h, 50.0f, 1e-4);
    assert_float_equal(d.kp[1][0], 100.0f, 1e-4);
    assert_float_equal(d.kp[1][1], 50.0f, 1e-4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchors),       cmocka_unit_test(test_golden_crops), cmocka_unit_test(test_sigmoid_clip),
        cmocka_unit_test(test_weighted_nms),  cmocka_unit_test(test_letterbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
