/*
 * Gaze (src/face/gaze.c): synthetic eyes built on the canonical face, with
 * the iris placed on a modelled eyeball turned by known angles, recovered
 * within 2 degrees (eye in head) and, under 20 known head rotations whose
 * pose comes from the real fit (emo__pose_fit), within 3 degrees in camera
 * space; closed eyes and faces without irises give no gaze; on real photos
 * through the landmarker the gaze is valid, plausible, and the image
 * mirrored left/right mirrors it (yaw negated, pitch kept).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/gaze.h>

#include "face/face_priv.h"
#include "face/gaze_priv.h"
#include "face_media.h"

static const double D2R = 0.017453292519943295;

static EmoCanonicalFace canon;

static int setup(void **state)
{
    (void)state;
    char err[256];
    return emo__obj_load(emo_test_model("canonical_face_model.obj"), &canon, err, sizeof(err));
}

/* Direction of angles (yaw, pitch) in degrees: x right, y up, z forward. */
static void direction(double yaw, double pitch, double d[3])
{
    d[0] = sin(yaw * D2R) * cos(pitch * D2R);
    d[1] = sin(pitch * D2R);
    d[2] = cos(yaw * D2R) * cos(pitch * D2R);
}

static void rotate(const float R[9], const double p[3], double q[3])
{
    for (int a = 0; a < 3; a++)
        q[a] = R[3 * a] * p[0] + R[3 * a + 1] * p[1] + R[3 * a + 2] * p[2];
}

/* Deterministic noise in [-a, a]. */
static double noise(unsigned *seed, double a)
{
    *seed = *seed * 1103515245u + 12345u;
    return a * (((*seed >> 8) & 0xffff) / 32767.5 - 1.0);
}

/*
 * A face of 478 landmarks: the canonical face (cm) with, per eye, an
 * eyeball of 12 mm radius centred behind the eye's centre (mean of its
 * corners and lid midpoints) so that the iris (11.7 mm across) lies at that
 * centre when the eye looks ahead; the eye turned by (eye_yaw, eye_pitch) in
 * the head moves the iris over the sphere. The head is rotated by
 * emo__pose_matrix(yaw, pitch, roll), scaled to px_per_cm, placed at
 * (320, 240) of the image (y down, z away from the camera) with landmark
 * noise of +-jitter px. The iris outline points are on the iris's circle.
 */
static void synth_face(float yaw, float pitch, float roll, double eye_yaw, double eye_pitch, double px_per_cm,
                       double jitter, unsigned seed, EmoFace *f)
{
    static const int eye[2][4] = { { 33, 133, 159, 145 }, { 263, 362, 386, 374 } };
    double head[EMO_FACE_LANDMARKS_MAX][3];
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++)
        for (int k = 0; k < 3; k++)
            head[i][k] = canon.v[i][k];
    const double ball = 1.2, iris_r = 0.585, r = sqrt(ball * ball - iris_r * iris_r);
    double d[3];
    direction(eye_yaw, eye_pitch, d);
    /* Two unit vectors across the gaze: the iris's circle. */
    double u[3] = { d[2], 0, -d[0] }, un = hypot(u[0], u[2]);
    u[0] /= un;
    u[2] /= un;
    const double v[3] = { d[1] * u[2] - d[2] * u[1], d[2] * u[0] - d[0] * u[2], d[0] * u[1] - d[1] * u[0] };
    for (int e = 0; e < 2; e++) {
        double c[3] = { 0, 0, 0 };
        for (int k = 0; k < 4; k++)
            for (int a = 0; a < 3; a++)
                c[a] += 0.25 * canon.v[eye[e][k]][a];
        for (int a = 0; a < 3; a++) /* the pupil 0.534 of the way from the inner corner */
            c[a] += 0.034 * (canon.v[eye[e][0]][a] - canon.v[eye[e][1]][a]);
        c[2] -= r; /* the eyeball's centre */
        const int base = e ? EMO_FACE_IRIS_LEFT : EMO_FACE_IRIS_RIGHT;
        static const double ang[5][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { -1, 0 }, { 0, -1 } };
        for (int k = 0; k < 5; k++)
            for (int a = 0; a < 3; a++)
                head[base + k][a] = c[a] + r * d[a] + iris_r * (ang[k][0] * u[a] + ang[k][1] * v[a]);
    }
    float R[9];
    emo__pose_matrix(yaw, pitch, roll, R);
    memset(f, 0, sizeof(*f));
    f->n_landmarks = EMO_FACE_LANDMARKS_MAX;
    for (int i = 0; i < EMO_FACE_LANDMARKS_MAX; i++) {
        double q[3];
        rotate(R, head[i], q);
        f->landmarks[i][0] = (float)(320 + px_per_cm * q[0] + noise(&seed, jitter));
        f->landmarks[i][1] = (float)(240 - px_per_cm * q[1] + noise(&seed, jitter));
        f->landmarks[i][2] = (float)(-px_per_cm * q[2] + noise(&seed, jitter));
    }
}

/* The head pose from the landmarks by the tracker's fit, then the gaze. */
static void fit_and_gaze(EmoFace *f, EmoGaze *g)
{
    float R[9], scale;
    emo__pose_fit(&canon, (const float(*)[3])f->landmarks, EMO_FACE_LANDMARKS, R, &scale, &f->yaw, &f->pitch,
                  &f->roll);
    assert_int_equal(emo_face_gaze(f, g), 0);
}

static double angle_diff(double a, double b)
{
    return fabs(fmod(a - b + 540.0, 360.0) - 180.0);
}

/* The constants of the model against the canonical face: the mesh points of
 * the eyes are where MediaPipe's topology says (outer corners further out
 * than inner ones, upper lid above the lower, right eye at x < 0), and the
 * corner distances behind the face's scale are the file's. */
static void test_eye_points_on_canonical(void **state)
{
    (void)state;
    for (int e = 0; e < 2; e++) {
        const int *p = emo__gaze_eye_points[e];
        const float side = e ? 1.0f : -1.0f;
        assert_true(side * canon.v[p[0]][0] > side * canon.v[p[1]][0] + 2.0f); /* eye about 2.7 cm wide */
        assert_true(side * canon.v[p[1]][0] > 1.0f);
        assert_true(canon.v[p[2]][1] > canon.v[p[3]][1] + 0.5f);
        double mid = 0.5 * (canon.v[p[0]][0] + canon.v[p[1]][0]);
        assert_true(fabs(canon.v[p[2]][0] - mid) < 0.1 && fabs(canon.v[p[3]][0] - mid) < 0.1);
    }
    /* The canonical face at 1 px per cm measures 1 px per cm. */
    EmoFace f;
    synth_face(0, 0, 0, 0, 0, 1.0, 0, 1, &f);
    assert_float_equal(emo__gaze_px_per_cm((const float(*)[3])f.landmarks), 1.0f, 1e-5f);
    synth_face(20, -10, 5, 0, 0, 37.5, 0, 1, &f);
    assert_float_equal(emo__gaze_px_per_cm((const float(*)[3])f.landmarks), 37.5f, 1e-3f);
    assert_float_equal(emo__gaze_iris_radius_cm(), 1.048, 1e-3);
}

/* (a) A frontal face, the eyes turned -30..30 degrees both ways: every
 * eye's angles in the head come back within 2 degrees, and so do the
 * camera-space ones (the head faces the camera). Small faces too (4 px per
 * cm: a face about 60 px wide), with landmark noise. */
static void test_synthetic_eyes(void **state)
{
    (void)state;
    static const double scales[2] = { 25.0, 4.0 };
    double worst = 0;
    EmoFace *f = malloc(sizeof(*f));
    assert_non_null(f);
    for (int s = 0; s < 2; s++)
        for (int y = -30; y <= 30; y += 10)
            for (int p = -30; p <= 30; p += 10) {
                EmoGaze g;
                synth_face(0, 0, 0, y, p, scales[s], s ? 0.02 : 0.1, 7u + (unsigned)(y * 61 + p), f);
                fit_and_gaze(f, &g);
                assert_int_equal(g.valid, 1);
                assert_int_equal(g.eyes, 3u);
                for (int e = 0; e < 2; e++) {
                    const EmoGazeEye *ey = &g.eye[e];
                    assert_int_equal(ey->valid, 1);
                    double err = fmax(fmax(angle_diff(ey->head_yaw, y), angle_diff(ey->head_pitch, p)),
                                      fmax(angle_diff(ey->yaw, y), angle_diff(ey->pitch, p)));
                    worst = fmax(worst, err);
                    if (err > 2.0)
                        fail_msg("eye %d at %d,%d (%.0f px/cm): in head %.2f,%.2f, camera %.2f,%.2f", e, y, p,
                                 scales[s], (double)ey->head_yaw, (double)ey->head_pitch, (double)ey->yaw,
                                 (double)ey->pitch);
                }
                assert_true(angle_diff(g.yaw, y) <= 2.0 && angle_diff(g.pitch, p) <= 2.0);
            }
    printf("synthetic eyes, -30..30 degrees: worst error %.2f degrees\n", worst);
    free(f);
}

/* (b) The same eyes under 20 head rotations up to 30 degrees each way: the
 * head pose comes from the fit of the landmarks, the gaze in camera space
 * (head and eye together) within 3 degrees of the truth, and the eye in
 * the head within 3 degrees of its known angles. */
static void test_head_and_eyes(void **state)
{
    (void)state;
    static const float heads[20][3] = {
        { 0, 0, 0 },     { 30, 0, 0 },    { -30, 0, 0 },   { 0, 25, 0 },     { 0, -25, 0 },
        { 0, 0, 30 },    { 0, 0, -30 },   { 20, 15, 10 },  { -20, -15, -10 }, { 25, -20, 15 },
        { -25, 20, -15 }, { 15, 30, 0 },   { -15, -30, 5 }, { 28, 10, -20 },  { -28, -10, 20 },
        { 10, -10, 25 }, { -10, 10, -25 }, { 30, 25, 30 },  { -30, -25, -30 }, { 5, 5, 5 },
    };
    static const double eyes[5][2] = { { 0, 0 }, { 20, 0 }, { -15, 10 }, { 10, -20 }, { -25, -15 } };
    double worst = 0;
    EmoFace *f = malloc(sizeof(*f));
    assert_non_null(f);
    for (int h = 0; h < 20; h++)
        for (int k = 0; k < 5; k++) {
            const float *hp = heads[h];
            EmoGaze g;
            synth_face(hp[0], hp[1], hp[2], eyes[k][0], eyes[k][1], 25.0, 0.1, 11u + (unsigned)(h * 5 + k), f);
            fit_and_gaze(f, &g);
            float R[9];
            double d[3], t[3];
            emo__pose_matrix(hp[0], hp[1], hp[2], R);
            direction(eyes[k][0], eyes[k][1], d);
            rotate(R, d, t);
            double ty = atan2(t[0], t[2]) / D2R, tp = asin(t[1]) / D2R;
            assert_int_equal(g.valid, 1);
            /* The nearer eye alone when the head is turned far. */
            assert_int_equal(g.eyes, fabsf(f->yaw) >= EMO_GAZE_ONE_EYE_YAW ? (f->yaw > 0 ? 1u : 2u) : 3u);
            double err = fmax(angle_diff(g.yaw, ty), angle_diff(g.pitch, tp));
            for (int e = 0; e < 2; e++) {
                assert_int_equal(g.eye[e].valid, 1);
                err = fmax(err, fmax(angle_diff(g.eye[e].head_yaw, eyes[k][0]),
                                     angle_diff(g.eye[e].head_pitch, eyes[k][1])));
            }
            worst = fmax(worst, err);
            if (err > 3.0)
                fail_msg("head %.0f,%.0f,%.0f eyes %.0f,%.0f: gaze %.2f,%.2f, truth %.2f,%.2f", (double)hp[0],
                         (double)hp[1], (double)hp[2], eyes[k][0], eyes[k][1], (double)g.yaw, (double)g.pitch, ty,
                         tp);
        }
    printf("20 head rotations x 5 eye angles: worst error %.2f degrees\n", worst);
    free(f);
}

/* Closed eyes, irises off the eyeball and faces without irises give no
 * gaze; one closed eye leaves the other's. */
static void test_invalid(void **state)
{
    (void)state;
    EmoFace *f = malloc(sizeof(*f));
    assert_non_null(f);
    EmoGaze g;
    assert_int_equal(emo_face_gaze(NULL, &g), EMO_EINVAL);
    assert_int_equal(emo_face_gaze(f, NULL), EMO_EINVAL);
    synth_face(0, 0, 0, 10, 5, 25.0, 0, 3, f);
    f->n_landmarks = EMO_FACE_LANDMARKS; /* the face mesh: no irises */
    fit_and_gaze(f, &g);
    assert_int_equal(g.valid, 0);
    assert_int_equal(g.eye[0].valid | g.eye[1].valid, 0);

    /* The left eye closed: its lids meet at their middle. */
    synth_face(0, 0, 0, 10, 5, 25.0, 0, 3, f);
    for (int k = 0; k < 3; k++) {
        float m = 0.5f * (f->landmarks[386][k] + f->landmarks[374][k]);
        f->landmarks[386][k] = f->landmarks[374][k] = m;
    }
    fit_and_gaze(f, &g);
    assert_int_equal(g.valid, 1);
    assert_int_equal(g.eyes, 1u);
    assert_int_equal(g.eye[1].valid, 0);
    assert_true(g.eye[1].openness < EMO_GAZE_MIN_OPENNESS);
    assert_true(g.eye[0].openness > 0.2f);
    assert_true(angle_diff(g.yaw, 10) < 1.0 && angle_diff(g.pitch, 5) < 1.0);

    /* The right iris moved past its eyeball's rim (1.05 cm = 26 px). */
    synth_face(0, 0, 0, 0, 0, 25.0, 0, 3, f);
    for (int k = 0; k < 5; k++)
        f->landmarks[EMO_FACE_IRIS_RIGHT + k][0] += 30.0f;
    fit_and_gaze(f, &g);
    assert_int_equal(g.eye[0].valid, 0);
    assert_int_equal(g.eyes, 2u);
    free(f);
}

/* The frame mirrored left/right (BGRA). */
static void mirror_frame(const EmoFrame *in, EmoFrame *out)
{
    for (int y = 0; y < in->height; y++) {
        const uint32_t *s = (const uint32_t *)(in->data[0] + (size_t)y * in->stride[0]);
        uint32_t *d = (uint32_t *)(out->data[0] + (size_t)y * out->stride[0]);
        for (int x = 0; x < in->width; x++)
            d[x] = s[in->width - 1 - x];
    }
}

/* The gaze of the largest face the landmarker finds on frame. */
static const EmoFace *gaze_of(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *list, EmoGaze *g)
{
    /* The still as three frames of a video: the mesh's crop then comes from
     * its own landmarks, not from the detector's box (which differs between
     * the short- and full-range detectors). */
    emo_face_tracker_reset(t);
    for (int k = 0; k < 3; k++)
        assert_int_equal(emo_face_tracker_process(t, frame, list), 0);
    assert_true(list->count >= 1);
    const EmoFace *f = &list->faces[0];
    for (int i = 1; i < list->count; i++)
        if (list->faces[i].box[2] > f->box[2])
            f = &list->faces[i];
    assert_int_equal(f->n_landmarks, EMO_FACE_LANDMARKS_MAX);
    assert_int_equal(emo_face_gaze(f, g), 0);
    return f;
}

/* (c) Real photos through the landmarker: both eyes valid, the gaze within
 * 40 degrees of the camera's axis (people photographed looking at or near
 * the camera), the two eyes within 15 degrees of each other; the photo
 * mirrored gives the mirrored gaze: yaw negated and pitch kept within 5
 * degrees (the mesh differs a little on the mirrored image). On
 * einstein.jpg, whose face is 5.6 px per cm, only validity: its eyeball
 * radius is 6 px, where one pixel of iris error is 10 degrees (its gaze
 * read 13 degrees from short-range seeds and 42 from full-range ones, the
 * mirrored image 50 degrees apart). */
static void test_real_photos_mirror(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int mirror;
    } photos[] = {
        { "testdata/faces/landmarks68/einstein.jpg", 0 },
        { "testdata/faces/obama.jpg", 1 },
        { "testdata/faces/biden.jpg", 1 },
        { "testdata/faces/expressions/neutral.jpg", 1 },
        { "testdata/faces/expressions/happy.jpg", 1 },
    };
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    emo_test_model("face_landmarker.task");
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "landmarker");
    s.face.landmarker_faces = 0;
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) {
        EmoFrame *img = tm_load_image(emo_test_shared(photos[i].path)), *flip = NULL;
        assert_non_null(img);
        assert_int_equal(emo_frame_alloc(&flip, EMO_PIX_BGRA, img->width, img->height), 0);
        mirror_frame(img, flip);
        EmoGaze a, b;
        const EmoFace *f = gaze_of(t, img, list, &a);
        float head_yaw = f->yaw, px = emo__gaze_px_per_cm((const float(*)[3])f->landmarks);
        gaze_of(t, flip, list, &b);
        printf("%s: head yaw %.1f, %.1f px/cm; gaze %.1f,%.1f (right eye %.1f,%.1f open %.2f, left %.1f,%.1f open "
               "%.2f); mirrored %.1f,%.1f\n",
               photos[i].path, (double)head_yaw, (double)px, (double)a.yaw, (double)a.pitch, (double)a.eye[0].yaw,
               (double)a.eye[0].pitch, (double)a.eye[0].openness, (double)a.eye[1].yaw, (double)a.eye[1].pitch,
               (double)a.eye[1].openness, (double)b.yaw, (double)b.pitch);
        assert_int_equal(a.valid & b.valid, 1);
        assert_int_equal(a.eye[0].valid & a.eye[1].valid, 1);
        if (!photos[i].mirror)
            goto next; /* too few pixels per cm for the angles: validity only */
        assert_true(hypot(a.yaw, a.pitch) < 40.0);
        assert_true(angle_diff(a.eye[0].yaw, a.eye[1].yaw) < 15.0);
        assert_true(angle_diff(a.eye[0].pitch, a.eye[1].pitch) < 15.0);
        {
            assert_true(fabsf(a.yaw + b.yaw) < 5.0f);
            assert_true(fabsf(a.pitch - b.pitch) < 5.0f);
        }
    next:
        emo_frame_unref(&flip);
        emo_frame_unref(&img);
    }
    free(list);
    emo_face_tracker_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eye_points_on_canonical),
        cmocka_unit_test(test_synthetic_eyes),
        cmocka_unit_test(test_head_and_eyes),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_real_photos_mirror),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
