/* Head pose on synthetic rotations of the canonical face, the OBJ parser,
 * warps, alignment and the CSV/JSON writers. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_priv.h"

static EmoCanonicalFace *load_canon(void)
{
    static EmoCanonicalFace c;
    char err[256];
    assert_int_equal(emo__obj_load(emo_test_shared("models/canonical_face_model.obj"), &c, err, sizeof(err)), 0);
    return &c;
}

/* Projects the canonical face rotated by (yaw, pitch, roll) the way the face
 * mesh reports landmarks: x right, y down, z away from the camera, pixels. */
static void project(const EmoCanonicalFace *c, float yaw, float pitch, float roll, float scale, float (*lm)[3],
                    unsigned *seed, float noise)
{
    float R[9];
    emo__pose_matrix(yaw, pitch, roll, R);
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        const float *p = c->v[i];
        float q[3];
        for (int a = 0; a < 3; a++)
            q[a] = R[3 * a] * p[0] + R[3 * a + 1] * p[1] + R[3 * a + 2] * p[2];
        float n[3] = { 0, 0, 0 };
        for (int a = 0; a < 3 && noise > 0; a++) {
            *seed = *seed * 1103515245u + 12345u;
            n[a] = noise * (((float)((*seed >> 8) & 0xffff) / 65535.0f) * 2.0f - 1.0f);
        }
        lm[i][0] = 640.0f + scale * q[0] + n[0];
        lm[i][1] = 360.0f - scale * q[1] + n[1];
        lm[i][2] = -scale * q[2] + n[2];
    }
}

static void test_pose_synthetic(void **state)
{
    (void)state;
    const EmoCanonicalFace *c = load_canon();
    static float lm[EMO_FACE_LANDMARKS][3];
    unsigned seed = 1;
    double worst = 0;
    /* A grid of known poses within the face mesh's working range, with
     * landmark noise of +-1.5 px on a face about 150 px wide. */
    for (float yaw = -50; yaw <= 50; yaw += 25)
        for (float pitch = -30; pitch <= 30; pitch += 15)
            for (float roll = -40; roll <= 40; roll += 20) {
                project(c, yaw, pitch, roll, 10.0f, lm, &seed, 1.5f);
                float R[9], s, y, p, r;
                float rms = emo__pose_fit(c, (const float(*)[3])lm, EMO_FACE_LANDMARKS, R, &s, &y, &p, &r);
                assert_true(rms < 2.0f);
                assert_float_equal(s, 10.0f, 0.1f);
                double e = fmax(fabs(y - yaw), fmax(fabs(p - pitch), fabs(r - roll)));
                worst = fmax(worst, e);
                if (e > 2.0)
                    printf("pose %.0f %.0f %.0f -> %.2f %.2f %.2f\n", yaw, pitch, roll, y, p, r);
                assert_true(e <= 2.0);
            }
    printf("head pose: worst angle error %.3f degrees over 125 synthetic poses (noise +-1.5 px)\n", worst);
    /* Sign conventions (docs/face.md): yaw > 0 turns the nose to the image's
     * right, pitch > 0 lifts it, roll > 0 turns the face counter-clockwise. */
    project(c, 30, 0, 0, 10, lm, &seed, 0);
    assert_true(lm[1][0] > 640.0f + 10.0f);
    project(c, 0, 20, 0, 10, lm, &seed, 0);
    float chin_to_nose_up = lm[152][1] - lm[1][1];
    project(c, 0, 0, 0, 10, lm, &seed, 0);
    assert_true(lm[152][1] - lm[1][1] < chin_to_nose_up + 100); /* sanity */
    project(c, 0, 20, 0, 10, lm, &seed, 0);
    float nose_y_up = lm[1][1];
    project(c, 0, 0, 0, 10, lm, &seed, 0);
    assert_true(nose_y_up < lm[1][1]); /* looking up moves the nose tip up in the image */
    project(c, 0, 0, 20, 10, lm, &seed, 0);
    assert_true(lm[263][1] < lm[33][1]); /* counter-clockwise: the subject's left eye (image right) rises */
}

static void test_obj_parser(void **state)
{
    (void)state;
    static EmoCanonicalFace c;
    char err[256] = "";
    /* Built in memory: 468 vertices, comments, texture lines, CRLF. */
    size_t cap = 468 * 40 + 100, n = 0;
    char *txt = malloc(cap);
    assert_non_null(txt);
    n += (size_t)snprintf(txt + n, cap - n, "# comment\r\nvt 0.1 0.2\r\n");
    for (int i = 0; i < 468; i++)
        n += (size_t)snprintf(txt + n, cap - n, "v %d.5 -%d 1e-1\r\n", i, i);
    assert_int_equal(emo__obj_parse(txt, n, &c, err, sizeof(err)), 0);
    assert_float_equal(c.v[467][0], 467.5f, 1e-4);
    assert_float_equal(c.v[467][1], -467.0f, 1e-4);
    assert_float_equal(c.v[3][2], 0.1f, 1e-6);
    /* Truncated: fewer vertices, and a cut in the middle of a line. */
    assert_int_equal(emo__obj_parse(txt, n / 2, &c, err, sizeof(err)), EMO_EFORMAT);
    assert_true(strlen(err) > 0);
    /* A bad number. */
    char *bad = strstr(txt, "v 7.5");
    bad[2] = 'x';
    assert_int_equal(emo__obj_parse(txt, n, &c, err, sizeof(err)), EMO_EFORMAT);
    assert_non_null(strstr(err, "line"));
    bad[2] = '7';
    /* Too many vertices. */
    char *more = malloc(n * 2);
    assert_non_null(more);
    memcpy(more, txt, n);
    memcpy(more + n, txt, n);
    assert_int_equal(emo__obj_parse(more, 2 * n, &c, err, sizeof(err)), EMO_EFORMAT);
    /* Not NUL-terminated: the parser never reads past n. */
    assert_int_equal(emo__obj_parse(txt, 0, &c, err, sizeof(err)), EMO_EFORMAT);
    assert_int_equal(emo__obj_parse("v 1 2", 5, &c, err, sizeof(err)), EMO_EFORMAT);
    assert_int_equal(emo__obj_parse("v 1 2 inf\n", 10, &c, err, sizeof(err)), EMO_EFORMAT);
    assert_int_equal(emo__obj_load("/nonexistent/face.obj", &c, err, sizeof(err)), EMO_ENOENT);
    free(more);
    free(txt);
}

static EmoFrame *gradient_frame(EmoPixFmt fmt, int w, int h)
{
    EmoFrame *f;
    assert_int_equal(emo_frame_alloc(&f, fmt, w, h), 0);
    int bpp = emo_pixfmt_bpp(fmt);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = f->data[0] + (size_t)y * f->stride[0] + (size_t)x * bpp;
            uint8_t r = (uint8_t)(x & 255), g = (uint8_t)(y & 255), b = 77;
            if (fmt == EMO_PIX_BGRA) {
                p[0] = b;
                p[1] = g;
                p[2] = r;
                p[3] = 255;
            } else {
                p[0] = r;
                p[1] = g;
                p[2] = b;
            }
        }
    return f;
}

static void test_warps(void **state)
{
    (void)state;
    const EmoPixFmt fmts[2] = { EMO_PIX_BGRA, EMO_PIX_RGB24 };
    for (int k = 0; k < 2; k++) {
        EmoFrame *f = gradient_frame(fmts[k], 200, 100);
        float out[16 * 16 * 3];
        /* Identity with an offset: output pixel (u,v) is frame pixel (u+10, v+20). */
        const float id[6] = { 1, 0, 10, 0, 1, 20 };
        emo__warp_rgbf(f, id, 16, 16, 1, 1, 1.0f, 0.0f, out);
        assert_float_equal(out[(3 * 16 + 5) * 3 + 0], 15.0f, 1e-4); /* R = x */
        assert_float_equal(out[(3 * 16 + 5) * 3 + 1], 23.0f, 1e-4); /* G = y */
        assert_float_equal(out[(3 * 16 + 5) * 3 + 2], 77.0f, 1e-4);
        /* Half-pixel shift: bilinear gives the mean of two neighbours. */
        const float half[6] = { 1, 0, 10.5f, 0, 1, 20 };
        emo__warp_rgbf(f, half, 16, 16, 1, 1, 1.0f, 0.0f, out);
        assert_float_equal(out[0], 10.5f, 1e-4);
        /* Scale and bias as the detector uses them; supersampling of a linear ramp keeps its mean. */
        const float down[6] = { 4, 0, 0, 0, 4, 0 };
        emo__warp_rgbf(f, down, 16, 16, 4, 1, 2.0f / 255, -1.0f, out);
        /* Output pixel 3 covers frame x in [12, 16): pixels 12..15, mean 13.5. */
        assert_float_equal(out[(2 * 16 + 3) * 3], (13.5f * 2 / 255) - 1, 1e-4);
        /* Outside the frame: black with zero_border, the edge pixel otherwise. */
        const float far[6] = { 1, 0, -100, 0, 1, 10 };
        emo__warp_rgbf(f, far, 4, 4, 1, 1, 1.0f, 0.0f, out);
        assert_float_equal(out[2], 0.0f, 1e-6);
        emo__warp_rgbf(f, far, 4, 4, 1, 0, 1.0f, 0.0f, out);
        assert_float_equal(out[0], 0.0f, 1e-6);  /* R of column 0 */
        assert_float_equal(out[2], 77.0f, 1e-4); /* B replicated */
        /* Non-finite transforms never crash. */
        const float nan6[6] = { NAN, 0, 0, 0, INFINITY, 0 };
        emo__warp_rgbf(f, nan6, 4, 4, 1, 0, 1.0f, 0.0f, out);
        emo__warp_rgbf(f, nan6, 4, 4, 1, 1, 1.0f, 0.0f, out);
        emo_frame_unref(&f);
    }
}

/* The left/right vertex pairs of the canonical face (mirror averaging of the
 * mesh on turned faces), and the flipped crop the tracker samples for it. */
static void test_mirror(void **state)
{
    (void)state;
    const EmoCanonicalFace *c = load_canon();
    int map[EMO_FACE_LANDMARKS], self = 0;
    assert_int_equal(emo__mirror_map(c, map), 0);
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        assert_int_equal(map[map[i]], i);
        self += map[i] == i;
        /* The pair is the mirror image: same height and depth, x negated. */
        assert_float_equal(c->v[map[i]][0], -c->v[i][0], 1e-3);
        assert_float_equal(c->v[map[i]][1], c->v[i][1], 1e-3);
        assert_float_equal(c->v[map[i]][2], c->v[i][2], 1e-3);
    }
    /* Eye corners, mouth corners, oval at the ears; nose tip, chin and
     * forehead on the midline (28 midline vertices). */
    assert_int_equal(map[33], 263);
    assert_int_equal(map[133], 362);
    assert_int_equal(map[61], 291);
    assert_int_equal(map[234], 454);
    assert_int_equal(map[1], 1);
    assert_int_equal(map[152], 152);
    assert_int_equal(map[10], 10);
    assert_int_equal(self, 28);
    /* A face that is not symmetric is refused. */
    EmoCanonicalFace *bent = malloc(sizeof(*bent));
    assert_non_null(bent);
    *bent = *c;
    bent->v[33][0] -= 1.0f; /* 1 cm off: the outer eye corner loses its pair */
    assert_int_equal(emo__mirror_map(bent, map), EMO_EFORMAT);
    free(bent);

    /* The flipped crop is the crop read right to left, pixel for pixel. */
    EmoFrame *f = gradient_frame(EMO_PIX_BGRA, 200, 100);
    float m[6], mm[6], a[24 * 24 * 3], b[24 * 24 * 3];
    emo__roi_affine(90.3f, 47.1f, 61.0f, 0.35f, 24, m);
    emo__affine_mirror_x(m, 24, mm);
    emo__warp_rgbf(f, m, 24, 24, 1, 0, 1.0f, 0.0f, a);
    emo__warp_rgbf(f, mm, 24, 24, 1, 0, 1.0f, 0.0f, b);
    for (int v = 0; v < 24; v++)
        for (int u = 0; u < 24; u++)
            for (int k = 0; k < 3; k++)
                assert_float_equal(b[(v * 24 + u) * 3 + k], a[(v * 24 + 23 - u) * 3 + k], 1e-3);
    emo_frame_unref(&f);
}

static void test_roi_and_inverse(void **state)
{
    (void)state;
    float m[6], inv[6];
    /* A crop rotated by 30 degrees: its centre maps to (cx, cy) and its x axis along the rotation. */
    float rot = 30.0f * 3.14159265f / 180;
    emo__roi_affine(300, 200, 192 * 2, rot, 192, m);
    assert_float_equal(m[0] * 96 + m[1] * 96 + m[2], 300, 1e-3);
    assert_float_equal(m[3] * 96 + m[4] * 96 + m[5], 200, 1e-3);
    assert_float_equal(atan2f(m[3], m[0]), rot, 1e-5);
    assert_int_equal(emo__affine_invert(m, inv), 0);
    float x = m[0] * 10 + m[1] * 20 + m[2], y = m[3] * 10 + m[4] * 20 + m[5];
    assert_float_equal(inv[0] * x + inv[1] * y + inv[2], 10, 1e-3);
    assert_float_equal(inv[3] * x + inv[4] * y + inv[5], 20, 1e-3);
    const float sing[6] = { 1, 2, 0, 2, 4, 0 };
    assert_int_equal(emo__affine_invert(sing, inv), EMO_EINVAL);
    /* MediaPipe's rotation: level eyes -> 0; left eye lower -> positive (clockwise crop). */
    assert_float_equal(emo__roi_rotation(0, 0, 10, 0), 0.0f, 1e-6);
    assert_true(emo__roi_rotation(0, 0, 10, 3) > 0.0f);
    assert_float_equal(emo__roi_rotation(0, 0, 10, 10), 3.14159265f / 4, 1e-5);
}

/* A synthetic face: the canonical face at a known roll, for alignment. */
static void synthetic_face(EmoFace *f, float roll, float scale)
{
    const EmoCanonicalFace *c = load_canon();
    unsigned seed = 0;
    memset(f, 0, sizeof(*f));
    project(c, 0, 0, roll, scale, f->landmarks, &seed, 0);
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        x0 = fminf(x0, f->landmarks[i][0]);
        x1 = fmaxf(x1, f->landmarks[i][0]);
        y0 = fminf(y0, f->landmarks[i][1]);
        y1 = fmaxf(y1, f->landmarks[i][1]);
    }
    f->box[0] = x0;
    f->box[1] = y0;
    f->box[2] = x1 - x0;
    f->box[3] = y1 - y0;
}

static void test_alignment(void **state)
{
    (void)state;
    static EmoFace f;
    static float al[EMO_FACE_LANDMARKS][2];
    for (float roll = -40; roll <= 40; roll += 20) {
        synthetic_face(&f, roll, 12.0f);
        emo_face_compute_alignment(&f);
        emo_face_aligned_landmarks(&f, 96, al);
        /* Eyes level, framed as documented (FER2013: eye centres 0.376 apart
         * on y = 0.391, least squares with the mouth corners), chin near the
         * bottom edge, forehead near the top. */
        float rx = 0.5f * (al[33][0] + al[133][0]), ry = 0.5f * (al[33][1] + al[133][1]);
        float lx = 0.5f * (al[263][0] + al[362][0]), ly = 0.5f * (al[263][1] + al[362][1]);
        assert_float_equal(ry, ly, 0.05);
        assert_float_equal(ry, 0.391f * 96, 0.03 * 96);
        assert_float_equal(lx - rx, 0.376f * 96, 0.03 * 96);
        assert_float_equal(0.5f * (lx + rx), 48.0f, 0.5);
        float my = 0.5f * (al[61][1] + al[291][1]);
        assert_float_equal(my, 0.774f * 96, 0.03 * 96);
        assert_true(al[152][1] > 0.9f * 96 && al[152][1] < 1.1f * 96);
        assert_true(al[10][1] > 0 && al[10][1] < 0.15f * 96);
    }
    /* The warp: a frame whose colour encodes position reads back where the
     * transform says; gray is BT.601 luma. */
    EmoFrame *fr = gradient_frame(EMO_PIX_BGRA, 1280, 720);
    synthetic_face(&f, 20, 12.0f);
    emo_face_compute_alignment(&f);
    uint8_t rgb[48 * 48 * 3], gray[64 * 64], bgra[32 * 32 * 4];
    assert_int_equal(emo_face_align(fr, &f, 48, EMO_ALIGN_RGB24, rgb, 48 * 3), 0);
    float inv[6], m[6];
    for (int i = 0; i < 6; i++)
        m[i] = f.align[i] * 48;
    assert_int_equal(emo__affine_invert(m, inv), 0);
    float fx = inv[0] * 10.5f + inv[1] * 20.5f + inv[2], fy = inv[3] * 10.5f + inv[4] * 20.5f + inv[5];
    assert_int_equal(rgb[(20 * 48 + 10) * 3 + 0], (int)lroundf(fx - 0.5f) & 255);
    assert_int_equal(rgb[(20 * 48 + 10) * 3 + 1], (int)lroundf(fy - 0.5f) & 255);
    assert_int_equal(emo_face_align(fr, &f, 64, EMO_ALIGN_GRAY8, gray, 64), 0);
    assert_int_equal(emo_face_align(fr, &f, 32, EMO_ALIGN_BGRA, bgra, 32 * 4), 0);
    assert_int_equal(bgra[3], 255);
    /* Bad arguments are errors, not crashes. */
    assert_int_equal(emo_face_align(fr, &f, 64, EMO_ALIGN_GRAY8, gray, 63), EMO_EINVAL);
    assert_int_equal(emo_face_align(NULL, &f, 64, EMO_ALIGN_GRAY8, gray, 64), EMO_EINVAL);
    assert_int_equal(emo_face_align(fr, &f, 0, EMO_ALIGN_GRAY8, gray, 64), EMO_EINVAL);
    assert_int_equal(emo_face_align(fr, &f, 64, (EmoAlignFormat)2, gray, 64), EMO_EINVAL);
    EmoFace degenerate;
    memset(&degenerate, 0, sizeof(degenerate));
    emo_face_compute_alignment(&degenerate); /* all landmarks equal: no NaN, falls back to the box */
    for (int i = 0; i < 6; i++)
        assert_true(isfinite(degenerate.align[i]));
    emo_frame_unref(&fr);
}

static void test_ibug_map(void **state)
{
    (void)state;
    const int *map = emo_face_ibug68_map();
    for (int i = 0; i < EMO_FACE_IBUG68; i++)
        assert_true(map[i] >= 0 && map[i] < EMO_FACE_LANDMARKS);
    /* On the frontal canonical face (10 px per cm) the inner points are their
     * vertices, the jaw runs from 127 to 152 to 356 with every point within
     * 1 cm (half a step) of its table vertex (the nearest oval vertex), evenly spaced,
     * and the scheme's geometry holds: eye corners 36/45 outermost, chin lowest. */
    static EmoFace f;
    synthetic_face(&f, 0, 10.0f);
    float p[68][2];
    emo_face_to_ibug68(&f, p);
    for (int i = 0; i < 68; i++) {
        double d = hypot(p[i][0] - f.landmarks[map[i]][0], p[i][1] - f.landmarks[map[i]][1]);
        if (i >= 17 || i == 0 || i == 8 || i == 16)
            assert_true(d < 1e-3);
        else
            assert_true(d < 10.0);
    }
    double step0 = hypot(p[1][0] - p[0][0], p[1][1] - p[0][1]);
    for (int i = 1; i < 8; i++) { /* chords of equal arcs on a smooth outline: within 10% */
        double step = hypot(p[i + 1][0] - p[i][0], p[i + 1][1] - p[i][1]);
        assert_true(fabs(step - step0) < 0.1 * step0);
    }
    assert_true(p[36][0] < p[39][0] && p[39][0] < p[42][0] && p[42][0] < p[45][0]);
    for (int i = 0; i < 68; i++)
        assert_true(p[8][1] >= p[i][1]);
    for (int i = 0; i < 8; i++) /* left jaw mirrors the right */
        assert_float_equal(p[i][0] - 640, 640 - p[16 - i][0], 0.2);
}

static void test_outputs(void **state)
{
    (void)state;
    static EmoFace f;
    synthetic_face(&f, 0, 10.0f);
    f.id = 7;
    f.flags = EMO_FACE_TRACKED;
    f.presence = 0.99f;
    f.detection_score = 0.9f;
    f.yaw = 1.5f;
    char head[64 * 1024], *row = malloc(64 * 1024);
    assert_non_null(row);
    emo_face_csv_header(head, sizeof(head), 0);
    assert_string_equal(head, "face_id,face_flags,box_x,box_y,box_w,box_h,detection_score,landmark_score,yaw,pitch,roll");
    int n = emo_face_csv_row(&f, row, 64 * 1024, 0);
    assert_true(n > 0 && strncmp(row, "7,2,", 4) == 0);
    int commas = 0;
    for (const char *c = row; *c; c++)
        commas += *c == ',';
    assert_int_equal(commas, 10);
    emo_face_csv_header(head, sizeof(head), 1);
    n = emo_face_csv_row(&f, row, 64 * 1024, 1);
    commas = 0;
    for (const char *c = row; *c; c++)
        commas += *c == ',';
    /* One set of columns for both models: 478 triples in the header, the
     * face mesh's face leaves the 10 iris triples empty. */
    assert_int_equal(commas, 10 + 3 * 478);
    int head_commas = 0;
    for (const char *c = head; *c; c++)
        head_commas += *c == ',';
    assert_int_equal(head_commas, commas);
    assert_non_null(strstr(head, ",lm467_z,lm468_x,"));
    assert_non_null(strstr(head, ",lm477_z"));
    assert_non_null(strstr(row, ",,,,,,"));
    size_t len = strlen(row);
    assert_true(len > 30 && !strcmp(row + len - 30, ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"));
    /* A landmarker face fills them. */
    f.n_landmarks = EMO_FACE_LANDMARKS_MAX;
    for (int i = EMO_FACE_LANDMARKS; i < EMO_FACE_LANDMARKS_MAX; i++) {
        f.landmarks[i][0] = 100.0f + (float)i;
        f.landmarks[i][1] = 50.25f;
        f.landmarks[i][2] = -1.5f;
    }
    n = emo_face_csv_row(&f, row, 64 * 1024, 1);
    assert_true(n > 0);
    assert_null(strstr(row, ",,"));
    assert_non_null(strstr(row, ",577.00,50.25,-1.50"));
    assert_int_equal(emo_face_csv_row(&f, row, 20, 1), EMO_EINVAL); /* does not fit: error, empty */
    assert_string_equal(row, "");
    free(row);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pose_synthetic), cmocka_unit_test(test_obj_parser), cmocka_unit_test(test_warps),
        cmocka_unit_test(test_roi_and_inverse), cmocka_unit_test(test_alignment), cmocka_unit_test(test_ibug_map),
        cmocka_unit_test(test_outputs), cmocka_unit_test(test_mirror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
