/*
 * The 478-point landmarker as the tracker's mesh: which network
 * face.mesh_model picks (and the log saying so), the fallback to the
 * 468-point face mesh when face_landmarker.task is absent, and the iris
 * points on real photos: each iris centre and its left and right outline
 * points inside that eye's contour (mesh points), its radius a plausible
 * share of the eye's width, the two irises not swapped.
 * (Landmark accuracy against hand-labelled points, with both networks: test_faces.c.)
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face_media.h"
#include "face/tracker_phases.h"

typedef struct Capture {
    char text[4096];
    int errors;
} Capture;

static void capture(void *user, EmoLogLevel level, const char *msg)
{
    Capture *c = user;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof(c->text) - n, "%s\n", msg);
    c->errors += level == EMO_LOG_ERROR;
}

/* The installed models folder, after checking that it holds file (a test
 * that needs the bundle fails loudly without it). */
static const char *emo_test_model_dir_with(const char *file)
{
    emo_test_model(file);
    return EMO_TEST_MODELS_DIR;
}

static int open_in(EmoFaceTracker **t, const char *dir, const char *mesh_model, Capture *cap, EmoLogger *log)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", dir);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "%s", mesh_model);
    s.face.landmarker_faces = 0; /* every face of a group photo on the chosen network */
    memset(cap, 0, sizeof(*cap));
    log->fn = capture;
    log->userdata = cap;
    log->level = EMO_LOG_DEBUG;
    s.log = log;
    return emo_face_tracker_open(t, &s);
}

/* Eye contours of the face mesh, in order around each eye (MediaPipe's
 * FACEMESH_RIGHT_EYE / FACEMESH_LEFT_EYE edges): the subject's right eye
 * (image left) first. */
static const int eye_contour[2][16] = {
    { 33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7 },
    { 263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249 },
};

/* Is (x, y) inside the polygon of the 16 points idx of f (even-odd rule)? */
static int inside_contour(const EmoFace *f, const int *idx, float x, float y)
{
    int in = 0;
    for (int i = 0, j = 15; i < 16; j = i++) {
        const float *a = f->landmarks[idx[i]], *b = f->landmarks[idx[j]];
        if ((a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0])
            in = !in;
    }
    return in;
}

static double dist(const float *a, const float *b)
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

/* Every face of the photo: iris centre and horizontal outline points inside
 * the eye, radius 0.15-0.35 of the eye's corner-to-corner width. */
static int check_irises(EmoFaceTracker *t, EmoFaceList *list, const char *rel)
{
    EmoFrame *img = tm_load_image(emo_test_shared(rel));
    assert_non_null(img);
    emo_face_tracker_reset(t);
    assert_int_equal(emo_face_tracker_process(t, img, list), 0);
    assert_true(list->count >= 1);
    for (int i = 0; i < list->count; i++) {
        const EmoFace *f = &list->faces[i];
        assert_int_equal(f->n_landmarks, EMO_FACE_LANDMARKS_MAX);
        for (int e = 0; e < 2; e++) {
            const int base = e ? EMO_FACE_IRIS_LEFT : EMO_FACE_IRIS_RIGHT;
            const float *c = f->landmarks[base];
            double width = dist(f->landmarks[eye_contour[e][0]], f->landmarks[eye_contour[e][8]]);
            double radius = 0;
            for (int k = 1; k <= 4; k++)
                radius += dist(f->landmarks[base + k], c) / 4;
            printf("%s face %d (yaw %.0f) %s eye: iris centre %.1f,%.1f, radius %.1f px = %.2f of the eye's width %.1f "
                   "px\n",
                   rel, f->id, (double)f->yaw, e ? "left" : "right", (double)c[0], (double)c[1], radius, radius / width,
                   width);
            assert_true(inside_contour(f, eye_contour[e], c[0], c[1]));
            /* On a face turned less than 25 degrees the outline's image-left
             * and image-right points (+x, -x) lie on the visible iris too
             * (breakingbad, 36 degrees: the foreshortened eye is narrower
             * than its iris's outline); top and bottom are often under the lids. */
            if (fabsf(f->yaw) < 25.0f) {
                assert_true(inside_contour(f, eye_contour[e], f->landmarks[base + 1][0], f->landmarks[base + 1][1]));
                assert_true(inside_contour(f, eye_contour[e], f->landmarks[base + 3][0], f->landmarks[base + 3][1]));
            }
            assert_true(f->landmarks[base + 1][0] > c[0] && f->landmarks[base + 3][0] < c[0]);
            assert_true(f->landmarks[base + 2][1] < c[1] && f->landmarks[base + 4][1] > c[1]);
            assert_true(radius > 0.15 * width && radius < 0.35 * width);
        }
        /* The subject's right iris is on the image's left on these upright faces. */
        assert_true(f->landmarks[EMO_FACE_IRIS_RIGHT][0] < f->landmarks[EMO_FACE_IRIS_LEFT][0]);
    }
    int n = list->count;
    emo_frame_unref(&img);
    return n;
}

static void test_irises_on_photos(void **state)
{
    (void)state;
    Capture cap;
    EmoLogger log;
    EmoFaceTracker *t = NULL;
    assert_int_equal(open_in(&t, emo_test_model_dir_with("face_landmarker.task"), "landmarker", &cap, &log), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    static const char *const photos[] = {
        "testdata/faces/obama.jpg",
        "testdata/faces/biden.jpg",
        "testdata/faces/two_people.jpg",
        "testdata/faces/obama_and_biden.jpg",
        "testdata/faces/expressions/angry.jpg",
        "testdata/faces/expressions/disgusted.jpg",
        "testdata/faces/expressions/fearful.jpg",
        "testdata/faces/expressions/happy.jpg",
        "testdata/faces/expressions/neutral.jpg",
        "testdata/faces/expressions/sad.jpg",
        "testdata/faces/expressions/surprised.jpg",
        "testdata/faces/landmarks68/einstein.jpg",
        "testdata/faces/landmarks68/breakingbad.jpg",
        "testdata/faces/landmarks68/takeo.ppm",
    };
    int faces = 0;
    for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++)
        faces += check_irises(t, list, photos[i]);
    printf("%d faces, both irises inside their eyes\n", faces);
    assert_true(faces >= 16);
    free(list);
    emo_face_tracker_close(&t);
}

/* auto: the landmarker when the bundle is there, else the face mesh, and
 * the log says which; the explicit choices and a bad value. */
static void test_choice_and_fallback(void **state)
{
    (void)state;
    Capture cap;
    EmoLogger log;
    EmoFaceTracker *t = NULL;
    assert_int_equal(open_in(&t, emo_test_model_dir_with("face_landmarker.task"), "auto", &cap, &log), 0);
    assert_int_equal(emo_face_tracker_landmark_count(t), EMO_FACE_LANDMARKS_MAX);
    assert_non_null(strstr(cap.text, "landmarks from the face landmarker (478 points"));
    emo_face_tracker_close(&t);
    assert_int_equal(open_in(&t, EMO_TEST_MODELS_DIR, "facemesh", &cap, &log), 0);
    assert_int_equal(emo_face_tracker_landmark_count(t), EMO_FACE_LANDMARKS);
    assert_non_null(strstr(cap.text, "landmarks from the face mesh (468 points"));
    emo_face_tracker_close(&t);
    assert_int_equal(open_in(&t, EMO_TEST_MODELS_DIR, "iris", &cap, &log), EMO_EINVAL);
    assert_null(t);
    assert_non_null(strstr(cap.text, "mesh_model \"iris\": use auto, landmarker or facemesh"));

    /* A models folder without the bundle. */
    const char *dir = emo_test_tmpdir("no_bundle");
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "for f in face_detection_short_range.tflite face_landmark.tflite canonical_face_model.obj; do "
             "ln -sf %s/$f %s/$f || exit 1; done",
             EMO_TEST_MODELS_DIR, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    assert_int_equal(open_in(&t, dir, "auto", &cap, &log), 0);
    printf("log of auto without the bundle:\n%s", cap.text);
    assert_int_equal(emo_face_tracker_landmark_count(t), EMO_FACE_LANDMARKS);
    assert_non_null(strstr(cap.text, "face_landmarker.task not found: falling back to the 468-point face mesh"));
    assert_non_null(strstr(cap.text, "landmarks from the face mesh (468 points"));
    assert_int_equal(cap.errors, 0);
    EmoFrame *img = tm_load_image(emo_test_shared("testdata/faces/obama.jpg"));
    assert_non_null(img);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    assert_int_equal(emo_face_tracker_process(t, img, list), 0);
    assert_int_equal(list->count, 1);
    assert_int_equal(list->faces[0].n_landmarks, EMO_FACE_LANDMARKS);
    emo_face_tracker_close(&t);
    /* Asked for by name, its absence is an error. */
    assert_int_equal(open_in(&t, dir, "landmarker", &cap, &log), EMO_ENOENT);
    assert_null(t);
    assert_true(cap.errors > 0);
    /* A bundle that is not one: an error, not a silent fallback. */
    snprintf(cmd, sizeof(cmd), "ln -sf %s/face_landmark.tflite %s/face_landmarker.task", EMO_TEST_MODELS_DIR, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    assert_int_equal(open_in(&t, dir, "auto", &cap, &log), EMO_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(cap.text, "not a zip"));
    free(list);
    emo_frame_unref(&img);
}

/* The same photo through both networks: the 468 shared points agree (the
 * same face, the same indices), the landmarker adds its irises. */
static void test_same_indices(void **state)
{
    (void)state;
    Capture cap;
    EmoLogger log;
    EmoFaceTracker *a = NULL, *b = NULL;
    assert_int_equal(open_in(&a, EMO_TEST_MODELS_DIR, "landmarker", &cap, &log), 0);
    assert_int_equal(open_in(&b, EMO_TEST_MODELS_DIR, "facemesh", &cap, &log), 0);
    EmoFrame *img = tm_load_image(emo_test_shared("testdata/faces/obama.jpg"));
    assert_non_null(img);
    EmoFaceList *la = calloc(1, sizeof(*la)), *lb = calloc(1, sizeof(*lb));
    assert_non_null(la);
    assert_non_null(lb);
    for (int k = 0; k < 4; k++) { /* a few frames: each crop from its own landmarks */
        assert_int_equal(emo_face_tracker_process(a, img, la), 0);
        assert_int_equal(emo_face_tracker_process(b, img, lb), 0);
    }
    assert_int_equal(la->count, 1);
    assert_int_equal(lb->count, 1);
    const EmoFace *fa = &la->faces[0], *fb = &lb->faces[0];
    double iod = dist(fb->landmarks[33], fb->landmarks[263]), sum = 0, worst = 0;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        double d = dist(fa->landmarks[i], fb->landmarks[i]) / iod;
        sum += d;
        worst = fmax(worst, d);
    }
    printf("obama: landmarker vs face mesh over the 468 points: mean %.2f%%, worst %.2f%% of the eye-corner "
           "distance %.0f px\n",
           100 * sum / EMO_FACE_LANDMARKS, 100 * worst, iod);
    assert_true(sum / EMO_FACE_LANDMARKS < 0.03);
    assert_true(worst < 0.12);
    free(la);
    free(lb);
    emo_frame_unref(&img);
    emo_face_tracker_close(&a);
    emo_face_tracker_close(&b);
}

/* Fills canvas gray and pastes each of the n images at its (x, y); NULL
 * images are left out (the face has left the picture). */
static void compose(EmoFrame *canvas, EmoFrame *const *img, const int (*at)[2], int n)
{
    for (int r = 0; r < canvas->height; r++)
        memset(canvas->data[0] + (size_t)r * canvas->stride[0], 90, (size_t)canvas->width * 4);
    for (int k = 0; k < n; k++)
        for (int r = 0; img[k] && r < img[k]->height; r++)
            memcpy(canvas->data[0] + (size_t)(r + at[k][1]) * canvas->stride[0] + 4 * (size_t)at[k][0],
                   img[k]->data[0] + (size_t)r * img[k]->stride[0], (size_t)img[k]->width * 4);
}

/* The points of face id in list, or 0 when it is not there. */
static int points_of(const EmoFaceList *list, int id)
{
    for (int i = 0; i < list->count; i++)
        if (list->faces[i].id == id)
            return list->faces[i].n_landmarks;
    return 0;
}

/* face.landmarker_faces = 1 with two faces: one face gets the landmarker
 * (478 points), the other the face mesh (468); each keeps its network
 * while it is tracked (even after the landmarker place is free), and the
 * place goes to the next new face once the landmarker face has left. */
static void test_landmarker_faces(void **state)
{
    (void)state;
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", emo_test_model_dir_with("face_landmarker.task"));
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "landmarker");
    s.face.landmarker_faces = 1;
    s.face.detect_interval = 1; /* a face coming back is seen in its first frame */
    /* Ids as before issue 17's groups (test_groups.c tests those): the face
     * coming back below is a new face, and the jumps below (a third of
     * this flat canvas changing at once) are no shot cuts. */
    s.face.reid_seconds = 0;
    s.face.cut_threshold = 0;
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    EmoFrame *canvas = NULL, *img[2] = { tm_load_image(emo_test_shared("testdata/faces/obama.jpg")),
                                         tm_load_image(emo_test_shared("testdata/faces/biden.jpg")) };
    assert_non_null(list);
    assert_non_null(img[0]);
    assert_non_null(img[1]);
    assert_int_equal(emo_frame_alloc(&canvas, EMO_PIX_BGRA, 2200, 3000), 0);
    const int at[2][2] = { { 40, 200 }, { 1150, 40 } };
    int id[2] = { 0, 0 }, lmk = -1;
    for (int f = 0; f < 4; f++) {
        compose(canvas, img, at, 2);
        assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
        assert_int_equal(list->count, 2);
        int n478 = 0;
        for (int i = 0; i < 2; i++) {
            const EmoFace *face = &list->faces[i];
            int k = face->box[0] < 1000 ? 0 : 1;
            if (f == 0)
                id[k] = face->id;
            assert_int_equal(face->id, id[k]);
            assert_true(face->n_landmarks == EMO_FACE_LANDMARKS_MAX || face->n_landmarks == EMO_FACE_LANDMARKS);
            /* The pipeline's mesh batch orders tracks by this (tracks are in id order, as the list). */
            assert_int_equal(emo__face_tracker_track_points(t, i), face->n_landmarks);
            if (face->n_landmarks == EMO_FACE_LANDMARKS_MAX) {
                n478++;
                if (f == 0)
                    lmk = k;
                assert_int_equal(k, lmk); /* the same face keeps it */
            }
        }
        assert_int_equal(n478, 1);
    }
    /* The landmarker face leaves: the other face keeps its 468 points. */
    EmoFrame *rest[2] = { img[0], img[1] };
    rest[lmk] = NULL;
    for (int f = 0; f < 3; f++) {
        compose(canvas, rest, at, 2);
        assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
        assert_int_equal(list->count, 1);
        assert_int_equal(list->faces[0].id, id[1 - lmk]);
        assert_int_equal(list->faces[0].n_landmarks, EMO_FACE_LANDMARKS);
    }
    /* It comes back: a new track, which takes the free landmarker place. */
    compose(canvas, img, at, 2);
    assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
    assert_int_equal(list->count, 2);
    assert_int_equal(points_of(list, id[1 - lmk]), EMO_FACE_LANDMARKS);
    int back = list->faces[0].id == id[1 - lmk] ? list->faces[1].id : list->faces[0].id;
    assert_true(back > id[0] && back > id[1]);
    assert_int_equal(points_of(list, back), EMO_FACE_LANDMARKS_MAX);
    /* Re-acquisition keeps a face's network: with the detector only run
     * when a face is lost, the landmarker face leaves while the face-mesh
     * face jumps out of its crop; found again in the same frame under its
     * id, it stays on the face mesh though the landmarker place is free. */
    emo_face_tracker_close(&t);
    s.face.detect_interval = 0;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    float h = 0;
    for (int f = 0; f < 3; f++) {
        compose(canvas, img, at, 2);
        assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
        assert_int_equal(list->count, 2);
    }
    int mesh_id = -1;
    for (int i = 0; i < 2; i++)
        if (list->faces[i].n_landmarks == EMO_FACE_LANDMARKS) {
            mesh_id = list->faces[i].id;
            h = list->faces[i].box[3];
            lmk = list->faces[i].box[0] < 1000 ? 1 : 0;
        }
    assert_true(mesh_id > 0);
    int moved[2][2] = { { at[0][0], at[0][1] }, { at[1][0], at[1][1] } };
    moved[1 - lmk][1] += (int)(1.25f * h); /* past its crop, within the re-acquisition reach */
    rest[0] = img[0];
    rest[1] = img[1];
    rest[lmk] = NULL;
    compose(canvas, rest, (const int(*)[2])moved, 2);
    assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
    assert_int_equal(list->count, 1);
    assert_true(list->detector_ran);
    assert_int_equal(list->faces[0].id, mesh_id);
    assert_int_equal(list->faces[0].n_landmarks, EMO_FACE_LANDMARKS);
    /* 0 = no limit: both faces on the landmarker. */
    emo_face_tracker_close(&t);
    s.face.landmarker_faces = 0;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    compose(canvas, img, at, 2);
    assert_int_equal(emo_face_tracker_process(t, canvas, list), 0);
    assert_int_equal(list->count, 2);
    assert_int_equal(list->faces[0].n_landmarks, EMO_FACE_LANDMARKS_MAX);
    assert_int_equal(list->faces[1].n_landmarks, EMO_FACE_LANDMARKS_MAX);
    /* Out of range. */
    emo_face_tracker_close(&t);
    s.face.landmarker_faces = -1;
    assert_int_equal(emo_face_tracker_open(&t, &s), EMO_EINVAL);
    emo_frame_unref(&canvas);
    emo_frame_unref(&img[0]);
    emo_frame_unref(&img[1]);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_irises_on_photos),
        cmocka_unit_test(test_choice_and_fallback),
        cmocka_unit_test(test_same_indices),
        cmocka_unit_test(test_landmarker_faces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
