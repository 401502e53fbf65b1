/* Real photos: every face found, no false positives, landmarks inside the
 * boxes; landmark accuracy (NME) against hand-labelled iBUG 68 points.
 * Every test runs twice: with the 478-point landmarker (face_landmarker.task)
 * and with the 468-point face mesh, the fallback. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face_media.h"

/* The landmark network of this run of the tests: "landmarker" or "facemesh". */
static const char *mesh_model = "landmarker";

static int landmarker(void)
{
    return !strcmp(mesh_model, "landmarker");
}

/* face.detector of the trackers opened here: the default (auto), or short
 * where a figure was measured with the short-range model alone. */
static const char *detector = "auto";

static EmoFaceTracker *open_tracker_mirror(double min_conf, double mirror_yaw)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    assert_string_equal(s.face.detector, "auto");
    snprintf(s.face.detector, sizeof(s.face.detector), "%s", detector);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    emo_test_model("face_detection_short_range.tflite");
    emo_test_model(landmarker() ? "face_landmarker.task" : "face_landmark.tflite");
    emo_test_model("canonical_face_model.obj");
    s.face.min_detection_confidence = min_conf;
    s.face.mirror_yaw = mirror_yaw;
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "%s", mesh_model);
    s.face.landmarker_faces = 0; /* every face on this run's network (test_landmarker.c: the shared policy) */
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    assert_int_equal(emo_face_tracker_landmark_count(t), landmarker() ? EMO_FACE_LANDMARKS_MAX : EMO_FACE_LANDMARKS);
    return t;
}

static EmoFaceTracker *open_tracker(double min_conf)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    assert_float_equal(s.face.mirror_yaw, 30.0, 0);
    return open_tracker_mirror(min_conf, s.face.mirror_yaw);
}

static int inside(const EmoDetection *d, float x, float y)
{
    return x >= d->x && x <= d->x + d->w && y >= d->y && y <= d->y + d->h;
}

/* The faces of one photo at one detection threshold: count, then the two
 * models cross-checked. Returns the tracked faces in list. */
static void check_photo_n(EmoFaceTracker *t, EmoFaceList *list, const char *file, int expect, int expect_faces)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "testdata/faces/%s", file);
    EmoFrame *img = tm_load_image(emo_test_shared(rel));
    assert_non_null(img);
    EmoDetection det[16];
    int n = emo_face_detect(t, img, det, 16);
    printf("%s (%dx%d): %d detection(s):", file, img->width, img->height, n);
    for (int i = 0; i < n; i++)
        printf(" [%.3f at %.0f,%.0f %.0fx%.0f]", det[i].score, det[i].x, det[i].y, det[i].w, det[i].h);
    printf("\n");
    assert_int_equal(n, expect);
    emo_face_tracker_reset(t);
    assert_int_equal(emo_face_tracker_process(t, img, list), 0);
    assert_int_equal(list->count, expect_faces);
    assert_true(list->detector_ran);
    for (int i = 0; i < list->count; i++) {
        const EmoFace *f = &list->faces[i];
        printf("  face %d: box %.0f,%.0f %.0fx%.0f presence %.3f pose yaw %.1f pitch %.1f roll %.1f\n", f->id,
               f->box[0], f->box[1], f->box[2], f->box[3], f->presence, f->yaw, f->pitch, f->roll);
        assert_true(f->presence > 0.9f);
        assert_true(f->flags & EMO_FACE_DETECTED);
        assert_int_equal(f->n_landmarks, emo_face_tracker_landmark_count(t));
        /* The detector's box holds the mesh's eyes, nose and mouth, and the
         * mesh's box holds the detector's eye, nose and mouth keypoints: two
         * models agree on where the face is. */
        int match = -1;
        for (int d = 0; d < n; d++)
            if (inside(&det[d], f->landmarks[1][0], f->landmarks[1][1]))
                match = d;
        assert_true(match >= 0);
        static const int inner[] = { 33, 133, 263, 362, 1, 13, 61, 291 };
        for (size_t k = 0; k < sizeof(inner) / sizeof(inner[0]); k++)
            assert_true(inside(&det[match], f->landmarks[inner[k]][0], f->landmarks[inner[k]][1]));
        /* On a turned face the detector puts the far eye on the outline
         * itself (the girl in obama_and_biden, 38 degrees: 0.4 px outside a
         * 144 px box): 2% of the box of slack. */
        float mx = 0.02f * f->box[2], my = 0.02f * f->box[3];
        for (int k = 0; k < 4; k++) {
            assert_true(det[match].kp[k][0] >= f->box[0] - mx && det[match].kp[k][0] <= f->box[0] + f->box[2] + mx);
            assert_true(det[match].kp[k][1] >= f->box[1] - my && det[match].kp[k][1] <= f->box[1] + f->box[3] + my);
        }
        for (int k = 0; k < f->n_landmarks; k++) {
            assert_true(f->landmarks[k][0] >= f->box[0] - 1e-3f && f->landmarks[k][0] <= f->box[0] + f->box[2] + 1e-3f);
            assert_true(f->landmarks[k][1] >= f->box[1] - 1e-3f && f->landmarks[k][1] <= f->box[1] + f->box[3] + 1e-3f);
        }
    }
    emo_frame_unref(&img);
}

static void check_photo(EmoFaceTracker *t, EmoFaceList *list, const char *file, int expect)
{
    check_photo_n(t, list, file, expect, expect);
}

static void test_photos(void **state)
{
    (void)state;
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    /* At 0.75 exactly the people the photos are about. */
    EmoFaceTracker *t = open_tracker(0.75);
    check_photo(t, list, "obama.jpg", 1);
    check_photo(t, list, "biden.jpg", 1);
    check_photo(t, list, "two_people.jpg", 2);
    check_photo(t, list, "obama_and_biden.jpg", 2);
    for (int i = 0; i < 7; i++) {
        static const char *expr[] = { "angry", "disgusted", "fearful", "happy", "neutral", "sad", "surprised" };
        char name[64];
        snprintf(name, sizeof(name), "expressions/%s.jpg", expr[i]);
        check_photo(t, list, name, 1);
    }
    emo_face_tracker_close(&t);
    assert_null(t);
    /* At the default 0.5 the short-range detector also finds the girl at the
     * lower right of obama_and_biden (half hidden, in shadow, score 0.57) in
     * the tiles of 1/2 of the photo (its whole frame shows no face: the men
     * are 10% of its width): a real face, which the face mesh confirms
     * (presence 1.0). The landmarker does not (presence 0.002 on the same
     * crop): it tracks the two men only. With face.detector auto the
     * full-range model finds the men on the whole photo (0.85, 0.78) before
     * any tile, and scores the girl 0.38 (detector.c, docs/face.md). */
    t = open_tracker(0.5);
    check_photo(t, list, "obama_and_biden.jpg", 2);
    emo_face_tracker_close(&t);
    detector = "short";
    t = open_tracker(0.5);
    detector = "auto";
    check_photo(t, list, "obama.jpg", 1);
    check_photo(t, list, "biden.jpg", 1);
    check_photo(t, list, "two_people.jpg", 2);
    check_photo_n(t, list, "obama_and_biden.jpg", 3, 3 - landmarker());
    int girl = 0;
    for (int i = 0; i < list->count; i++) {
        const float *b = list->faces[i].box;
        float cx = b[0] + b[2] / 2, cy = b[1] + b[3] / 2;
        girl += cx > 1600 && cx < 1820 && cy > 1000 && cy < 1250; /* located by eye in the photo */
    }
    assert_int_equal(girl, !landmarker());
    emo_face_tracker_close(&t);
    free(list);
}

/* NME (percent of the distance between the outer eye corners, iBUG 37 and
 * 46) of one face over all 68 points, over the 51 inner points, and the
 * worst point. */
static double nme68(const float pr[68][2], const float gt[68][2], double *nme51, double *worst)
{
    double iod = hypot(gt[36][0] - gt[45][0], gt[36][1] - gt[45][1]), sum = 0, inner = 0;
    *worst = 0;
    for (int i = 0; i < 68; i++) {
        double e = hypot(pr[i][0] - gt[i][0], pr[i][1] - gt[i][1]) / iod;
        sum += e;
        inner += i >= 17 ? e : 0;
        if (getenv("EMO_FACE_VERBOSE"))
            printf("    point %2d: error %.1f%% dx %.1f dy %.1f\n", i, 100 * e, 100 * (pr[i][0] - gt[i][0]) / iod,
                   100 * (pr[i][1] - gt[i][1]) / iod);
        *worst = fmax(*worst, 100 * e);
    }
    *nme51 = 100.0 * inner / 51;
    return 100.0 * sum / 68;
}

#define NME_FRAMES 12
#define NME_SETTLE 3 /* frames before the crop comes from the mesh's own landmarks and settles */

typedef struct NmeResult {
    double first;   /* 68-point NME of frame NME_SETTLE (the figure of earlier versions) */
    double mean68;  /* mean over frames NME_SETTLE+1 .. NME_FRAMES: the settled tracker */
    double mean51;
    double max68;   /* worst of those frames */
    double worst;   /* worst single point over those frames */
} NmeResult;

/* Runs the tracker on a still as on a video of NME_FRAMES identical frames:
 * the crop of each frame comes from the previous frame's landmarks. A still
 * does not give one fixed landmark set (the mesh moves its crop, which moves
 * the mesh), so the figure is the mean over the settled frames. */
static void nme_of(EmoFaceTracker *t, EmoFaceList *list, const char *img_rel, const char *pts_rel, NmeResult *r)
{
    EmoFrame *img = tm_load_image(emo_test_shared(img_rel));
    assert_non_null(img);
    float gt[68][2], pr[68][2];
    assert_int_equal(tm_read_pts(emo_test_shared(pts_rel), gt), 0);
    /* .pts holds 1-based pixel indices: the pixel centre is at value - 0.5 here. */
    float gx = 0, gy = 0;
    for (int i = 0; i < 68; i++) {
        gt[i][0] -= 0.5f;
        gt[i][1] -= 0.5f;
        gx += gt[i][0] / 68;
        gy += gt[i][1] / 68;
    }
    memset(r, 0, sizeof(*r));
    emo_face_tracker_reset(t);
    int n = 0;
    for (int k = 1; k <= NME_FRAMES; k++) {
        assert_int_equal(emo_face_tracker_process(t, img, list), 0);
        /* Some images show more people than the one labelled: take the face
         * whose box holds the labelled points' centroid. */
        int which = -1;
        for (int i = 0; i < list->count; i++) {
            const float *b = list->faces[i].box;
            if (gx > b[0] && gx < b[0] + b[2] && gy > b[1] && gy < b[1] + b[3])
                which = i;
        }
        assert_true(which >= 0);
        emo_face_to_ibug68(&list->faces[which], pr);
        double n51, worst, n68 = nme68((const float(*)[2])pr, (const float(*)[2])gt, &n51, &worst);
        const EmoFace *f = &list->faces[which];
        printf("  %s frame %2d: NME %.2f%% (68 points), %.2f%% (51 inner); yaw %.1f pitch %.1f roll %.1f\n", img_rel,
               k, n68, n51, f->yaw, f->pitch, f->roll);
        if (k == NME_SETTLE)
            r->first = n68;
        if (k > NME_SETTLE) {
            r->mean68 += n68;
            r->mean51 += n51;
            r->max68 = fmax(r->max68, n68);
            r->worst = fmax(r->worst, worst);
            n++;
        }
    }
    r->mean68 /= n;
    r->mean51 /= n;
    emo_frame_unref(&img);
}

static void test_landmarks68(void **state)
{
    (void)state;
    /* The bounds below were measured with the tracks seeded by the
     * short-range detector: einstein's face is found only in its 1/3 tiles
     * (82 px box). face.detector auto seeds it from the full-range model's
     * whole-frame box (112 px), from which the face mesh settles a frame
     * later: mean 7.98%, but 9.08% at frame 4 (docs/face.md); the
     * landmarker is unaffected (6.85%). */
    detector = "short";
    EmoFaceTracker *t = open_tracker(0.5), *plain = open_tracker_mirror(0.5, 90.0); /* mirror averaging off */
    detector = "auto";
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    /* The floor: 8% over 68 points on each image, on the settled
     * mean; reached by takeo (4.5%) and einstein (7.8%). breakingbad (head
     * turned 39 degrees) is at 9.6% with mirror averaging (10.7% without):
     * its 51 inner points alone are at 7.8% and iBUG's jaw on the near side
     * runs along the ear and the angle of the jaw, behind the mesh's last
     * vertices (docs/face.md). Its bounds, and the others' max and 51-point
     * bounds, are what is reached plus about half a point, so that a
     * regression fails. */
    typedef struct Bounds {
        const char *img, *pts;
        double mean68, max68, mean51;
    } Bounds;
    static const Bounds facemesh[] = {
        { "einstein.jpg", "einstein.pts", 8.0, 8.8, 7.8 },
        { "breakingbad.jpg", "breakingbad.pts", 10.1, 10.5, 8.3 },
        { "takeo.ppm", "takeo.pts", 5.0, 5.0, 4.5 },
    };
    /* The 478-point landmarker, measured the same way: einstein 7.05%
     * (51 inner: 5.55%), breakingbad 7.19% with mirror averaging (7.67%
     * without), takeo 3.92% (3.50%); bounds about half a point above. */
    static const Bounds lmk[] = {
        { "einstein.jpg", "einstein.pts", 7.6, 7.9, 6.1 },
        { "breakingbad.jpg", "breakingbad.pts", 7.7, 7.8, 6.3 },
        { "takeo.ppm", "takeo.pts", 4.4, 4.5, 4.0 },
    };
    const Bounds *cases = landmarker() ? lmk : facemesh;
    for (int i = 0; i < 3; i++) {
        char a[128], b[128];
        snprintf(a, sizeof(a), "testdata/faces/landmarks68/%s", cases[i].img);
        snprintf(b, sizeof(b), "testdata/faces/landmarks68/%s", cases[i].pts);
        NmeResult r, r0;
        nme_of(t, list, a, b, &r);
        nme_of(plain, list, a, b, &r0);
        printf("%s: NME over frames %d-%d: mean %.2f%% (max %.2f%%) over 68 points, %.2f%% over the 51 inner "
               "points; frame %d: %.2f%%; worst point %.1f%%\n",
               cases[i].img, NME_SETTLE + 1, NME_FRAMES, r.mean68, r.max68, r.mean51, NME_SETTLE, r.first, r.worst);
        printf("%s: without mirror averaging: mean %.2f%% (max %.2f%%) over 68 points, %.2f%% over 51\n",
               cases[i].img, r0.mean68, r0.max68, r0.mean51);
        assert_true(r.mean68 <= cases[i].mean68);
        assert_true(r.max68 <= cases[i].max68);
        assert_true(r.mean51 <= cases[i].mean51);
        if (i == 1) {
            /* Turned beyond mirror_yaw: the mirror average gains a point
             * with the face mesh, half of one with the landmarker. */
            assert_true(r0.mean68 - r.mean68 >= (landmarker() ? 0.3 : 0.7));
            assert_true(r0.mean51 - r.mean51 >= 0.5);
        } else {
            /* Below it nothing changes: one pass, the same landmarks. */
            assert_float_equal(r.mean68, r0.mean68, 1e-9);
            assert_float_equal(r.max68, r0.max68, 1e-9);
        }
    }
    free(list);
    emo_face_tracker_close(&plain);
    emo_face_tracker_close(&t);
}

/* RGB24 frames give the faces of the same BGRA frame; bad frames and
 * settings are errors with the handle left NULL, never a crash. */
static void test_formats_and_errors(void **state)
{
    (void)state;
    EmoFaceTracker *t = open_tracker(0.5);
    EmoFaceList *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    EmoFrame *bgra = tm_load_image(emo_test_shared("testdata/faces/two_people.jpg")), *rgb = NULL;
    assert_non_null(bgra);
    assert_int_equal(emo_frame_alloc(&rgb, EMO_PIX_RGB24, bgra->width, bgra->height), 0);
    for (int y = 0; y < bgra->height; y++)
        for (int x = 0; x < bgra->width; x++) {
            const uint8_t *p = bgra->data[0] + (size_t)y * bgra->stride[0] + 4 * (size_t)x;
            uint8_t *q = rgb->data[0] + (size_t)y * rgb->stride[0] + 3 * (size_t)x;
            q[0] = p[2];
            q[1] = p[1];
            q[2] = p[0];
        }
    assert_int_equal(emo_face_tracker_process(t, bgra, a), 0);
    emo_face_tracker_reset(t);
    assert_int_equal(emo_face_tracker_process(t, rgb, b), 0);
    assert_int_equal(a->count, 2);
    assert_int_equal(b->count, 2);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < EMO_FACE_LANDMARKS; k++) {
            assert_float_equal(a->faces[i].landmarks[k][0], b->faces[i].landmarks[k][0], 1e-3);
            assert_float_equal(a->faces[i].landmarks[k][1], b->faces[i].landmarks[k][1], 1e-3);
        }
    /* Ids are never reused: after a reset the same faces get new ids. */
    assert_true(b->faces[0].id > a->faces[1].id);
    EmoFrame *gray = NULL;
    assert_int_equal(emo_frame_alloc(&gray, EMO_PIX_GRAY8, 64, 64), 0);
    assert_int_equal(emo_face_tracker_process(t, gray, a), EMO_EINVAL);
    assert_int_equal(emo_face_tracker_process(t, NULL, a), EMO_EINVAL);
    assert_int_equal(emo_face_tracker_process(t, bgra, NULL), EMO_EINVAL);
    assert_int_equal(emo_face_tracker_process(NULL, bgra, a), EMO_EINVAL);
    EmoDetection d[2];
    assert_int_equal(emo_face_detect(t, gray, d, 2), EMO_EINVAL);
    /* A uniform frame: no face, and nothing breaks on a blank input. */
    memset(bgra->data[0], 0, (size_t)bgra->stride[0] * bgra->height);
    assert_int_equal(emo_face_tracker_process(t, bgra, a), 0);
    assert_int_equal(a->count, 0);
    emo_face_tracker_close(&t);
    emo_face_tracker_close(&t); /* NULL is a no-op */

    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    s.face.max_faces = 0;
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EINVAL);
    assert_null(t);
    emo_face_tracker_default_settings(&s);
    s.face.crop_scale = 0.5;
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EINVAL);
    emo_face_tracker_default_settings(&s);
    s.face.mirror_yaw = -1;
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EINVAL);
    s.face.mirror_yaw = NAN;
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EINVAL);
    assert_null(t);
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "/nonexistent/models");
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_ENOENT);
    assert_null(t);
    /* The detector given as the mesh (and vice versa) is refused, not run. */
    const char *dir = emo_test_tmpdir("face_models");
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "ln -sf %s/face_detection_short_range.tflite %s/face_landmark.tflite && "
             "ln -sf %s/face_detection_short_range.tflite %s/face_detection_short_range.tflite && "
             "ln -sf %s/canonical_face_model.obj %s/canonical_face_model.obj",
             EMO_TEST_MODELS_DIR, dir, EMO_TEST_MODELS_DIR, dir, EMO_TEST_MODELS_DIR, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", dir);
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EFORMAT);
    assert_null(t);
    emo_frame_unref(&gray);
    emo_frame_unref(&rgb);
    emo_frame_unref(&bgra);
    free(a);
    free(b);
}

/* Pastes img into canvas at (x, y) on a gray background. */
static void paste(EmoFrame *canvas, const EmoFrame *img, int x, int y)
{
    for (int r = 0; r < canvas->height; r++)
        memset(canvas->data[0] + (size_t)r * canvas->stride[0], 90, (size_t)canvas->width * 4);
    for (int r = 0; r < img->height; r++)
        memcpy(canvas->data[0] + (size_t)(r + y) * canvas->stride[0] + 4 * (size_t)x,
               img->data[0] + (size_t)r * img->stride[0], (size_t)img->width * 4);
}

/* A face that jumps out of its crop between two frames (a fast move, a
 * dropped frame) is found again by the detector in the same frame: near
 * where it was, it keeps its id; across the frame it is a new track, but
 * present in that frame all the same. */
static void test_reacquire(void **state)
{
    (void)state;
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    EmoFrame *img = tm_load_image(emo_test_shared("testdata/faces/obama.jpg")), *canvas = NULL;
    assert_non_null(img);
    assert_int_equal(emo_frame_alloc(&canvas, EMO_PIX_BGRA, 2400, 1500), 0);
    /* Obama's face is about 240 px wide: jumps of 1.3 and 5 face widths. */
    static const int jump[2] = { 300, 1250 };
    for (int j = 0; j < 2; j++) {
        EmoFaceTracker *t = open_tracker(0.5);
        const int at[6][2] = { { 50, 100 }, { 50, 100 }, { 55, 105 }, { 50 + jump[j], 100 },
                               { 50 + jump[j], 100 }, { 55 + jump[j], 95 } };
        int id = -1;
        for (int f = 0; f < 6; f++) {
            paste(canvas, img, at[f][0], at[f][1]);
            assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
            printf("jump %d px, frame %d: %d face(s), id %d, flags %u, detector %d, box x %.0f\n", jump[j], f,
                   list->count, list->count ? list->faces[0].id : -1, list->count ? list->faces[0].flags : 0,
                   list->detector_ran, list->count ? list->faces[0].box[0] : 0);
            assert_int_equal(list->count, 1);
            if (f == 3) {
                /* The mesh lost the face, the detector found it in this frame. */
                assert_true(list->detector_ran && (list->faces[0].flags & EMO_FACE_DETECTED));
                assert_true(list->faces[0].box[0] > at[f][0] + 300 && list->faces[0].box[0] < at[f][0] + 450);
            }
            if (id < 0)
                id = list->faces[0].id;
            if (j == 0 || f < 3) {
                assert_int_equal(list->faces[0].id, id);
                assert_int_equal(list->faces[0].frames_tracked, f + 1);
            } else {
                assert_int_equal(list->faces[0].id, id + 1);
            }
        }
        int64_t tracks;
        emo_face_tracker_stats(t, NULL, NULL, &tracks);
        assert_int_equal(tracks, j == 0 ? 1 : 2);
        emo_face_tracker_close(&t);
    }
    emo_frame_unref(&canvas);
    emo_frame_unref(&img);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photos),
        cmocka_unit_test(test_reacquire),
        cmocka_unit_test(test_formats_and_errors),
        cmocka_unit_test(test_landmarks68),
    };
    mesh_model = "landmarker";
    int failed = cmocka_run_group_tests_name("landmarker (478 points)", tests, NULL, NULL);
    mesh_model = "facemesh";
    return failed + cmocka_run_group_tests_name("face mesh (468 points, the fallback)", tests, NULL, NULL);
}
