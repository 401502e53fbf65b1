/* The small-face and group floors of issue 17: the shared photos
 * two_people.jpg and obama_and_biden.jpg downscaled so that their faces are
 * 24 to 40 px wide, and a 2x3 montage of six face stills at 1280x720: every
 * face is found and meshed, none twice, with distinct ids, with the default
 * settings (face.detector = auto) but max_faces 8 (the montage has six).
 * The true faces are those the tracker finds on the photos at full size,
 * mapped into the scene. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "small_faces.h"

/* Frames of a still scene: past face.detect_interval (30), so that the
 * periodic search for new faces has run too. */
#define FRAMES 40
#define MAX_TRUTH 8

/* A face of the scene: its box in scene pixels; required: it must be
 * tracked (the half-hidden girl of obama_and_biden need not). */
typedef struct Truth {
    float box[4];
    int required;
} Truth;

static EmoFaceTracker *open_tracker(void)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    emo_test_model("face_detection_short_range.tflite");
    emo_test_model("face_landmarker.task");
    emo_test_model("canonical_face_model.obj");
    s.face.max_faces = 8;
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    return t;
}

/* Index of the true face whose box holds the centre of box b, or -1. */
static int truth_of(const Truth *truth, int n, const float b[4])
{
    float cx = b[0] + 0.5f * b[2], cy = b[1] + 0.5f * b[3];
    for (int j = 0; j < n; j++) {
        const float *t = truth[j].box;
        if (cx >= t[0] && cx <= t[0] + t[2] && cy >= t[1] && cy <= t[1] + t[3])
            return j;
    }
    return -1;
}

/* Tracks the still scene img for FRAMES frames. Every frame: each face is on
 * one true face (no false face), no true face carries two, ids distinct, and
 * a true face keeps the id it was first found with (a still scene).
 * Returns the required faces not tracked on the last frame (each named). */
static int check_scene(EmoFaceTracker *t, EmoFaceList *list, const EmoFrame *img, const Truth *truth, int n_truth,
                       const char *name)
{
    emo_face_tracker_reset(t);
    int64_t runs0;
    emo_face_tracker_stats(t, NULL, &runs0, NULL);
    int id_of[MAX_TRUTH] = { 0 };
    for (int k = 0; k < FRAMES; k++) {
        assert_int_equal(emo_face_tracker_process(t, img, list), 0);
        int on[MAX_TRUTH] = { 0 };
        for (int i = 0; i < list->count; i++) {
            const EmoFace *f = &list->faces[i];
            int j = truth_of(truth, n_truth, f->box);
            if (j < 0)
                fail_msg("%s, frame %d: face %d at %.0f,%.0f %.0fx%.0f is on no true face", name, k, f->id, f->box[0],
                         f->box[1], f->box[2], f->box[3]);
            if (on[j]++)
                fail_msg("%s, frame %d: two faces on true face %d", name, k, j);
            if (id_of[j] && id_of[j] != f->id)
                fail_msg("%s, frame %d: true face %d went from id %d to %d", name, k, j, id_of[j], f->id);
            id_of[j] = f->id;
            assert_true(f->n_landmarks >= EMO_FACE_LANDMARKS);
            for (int q = 0; q < i; q++)
                assert_int_not_equal(list->faces[q].id, f->id);
        }
    }
    int64_t runs;
    emo_face_tracker_stats(t, NULL, &runs, NULL);
    printf("%s (%dx%d): %d face(s) after %d frames, detector on %d:", name, img->width, img->height, list->count,
           FRAMES, (int)(runs - runs0));
    for (int i = 0; i < list->count; i++)
        printf(" [id %d %.0fx%.0f size %.1f]", list->faces[i].id, list->faces[i].box[2], list->faces[i].box[3],
               list->faces[i].size_px);
    printf("\n");
    int missing = 0;
    for (int j = 0; j < n_truth; j++) {
        int found = 0;
        for (int i = 0; i < list->count; i++)
            found += truth_of(truth, n_truth, list->faces[i].box) == j;
        if (truth[j].required && !found) {
            printf("  MISSING: true face %d (%.0fx%.0f at %.0f,%.0f)\n", j, truth[j].box[2], truth[j].box[3],
                   truth[j].box[0], truth[j].box[1]);
            missing++;
        }
    }
    return missing;
}

/* A photo of the shared faces folder (NULL when it cannot be read). */
static EmoFrame *load(const char *rel_in_faces)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "testdata/faces/%s", rel_in_faces);
    return tm_load_image(emo_test_shared(rel));
}

/* The faces of img at full size, boxes mapped by scale k and offset (ox, oy). */
static int truths_of(EmoFaceTracker *t, EmoFaceList *list, const EmoFrame *img, float k, float ox, float oy,
                     Truth *truth, int max)
{
    assert_int_equal(emo_face_tracker_process(t, img, list), 0);
    emo_face_tracker_reset(t);
    int n = list->count < max ? list->count : max;
    for (int i = 0; i < n; i++) {
        const float *b = list->faces[i].box;
        truth[i].box[0] = ox + k * b[0];
        truth[i].box[1] = oy + k * b[1];
        truth[i].box[2] = k * b[2];
        truth[i].box[3] = k * b[3];
        truth[i].required = 1;
    }
    return n;
}

/* (a) The photos downscaled: the people's faces (the two largest) 24, 32
 * and 40 px wide; the half-hidden girl of obama_and_biden, tracked at full
 * size by the face mesh, need not be found (at 24 px for the men she is
 * about 19 px wide) but must not be found twice. */
static void test_photos_downscaled(void **state)
{
    (void)state;
    static const char *const photos[] = { "two_people.jpg", "obama_and_biden.jpg" };
    static const int widths[] = { 24, 32, 40 };
    EmoFaceTracker *t = open_tracker();
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    int missing = 0;
    for (int p = 0; p < 2; p++) {
        EmoFrame *img = load(photos[p]);
        assert_non_null(img);
        Truth full[MAX_TRUTH];
        int n = truths_of(t, list, img, 1, 0, 0, full, MAX_TRUTH);
        assert_true(n >= 2);
        /* The people: the two widest faces. */
        float people = 0;
        for (int j = 0; j < n; j++) {
            int wider = 0;
            for (int q = 0; q < n; q++)
                wider += list->faces[q].size_px > list->faces[j].size_px;
            full[j].required = wider < 2;
            people += full[j].required ? 0.5f * list->faces[j].size_px : 0;
        }
        for (int w = 0; w < 3; w++) {
            float k = (float)widths[w] / people;
            int sw = (int)lrintf(k * img->width), sh = (int)lrintf(k * img->height);
            EmoFrame *small = tm_resample(img, 0, 0, img->width, img->height, sw, sh);
            assert_non_null(small);
            Truth truth[MAX_TRUTH];
            for (int j = 0; j < n; j++) {
                truth[j] = full[j];
                for (int c = 0; c < 4; c++)
                    truth[j].box[c] *= (float)sw / (float)img->width;
            }
            char name[96];
            snprintf(name, sizeof(name), "%s, faces %d px", photos[p], widths[w]);
            missing += check_scene(t, list, small, truth, n, name);
            emo_frame_unref(&small);
        }
        emo_frame_unref(&img);
    }
    free(list);
    emo_face_tracker_close(&t);
    assert_int_equal(missing, 0);
}

/* (b) A 2x3 montage at 1280x720 of six expression stills, each scaled to
 * fill its cell (faces 100-170 px): six faces, none twice, ids distinct. */
static void test_montage(void **state)
{
    (void)state;
    static const char *const stills[] = { "angry", "disgusted", "fearful", "happy", "sad", "surprised" };
    EmoFaceTracker *t = open_tracker();
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    EmoFrame *scene = sf_canvas(1280, 720);
    assert_non_null(scene);
    Truth truth[6];
    const float cw = 1280.0f / 3, ch = 720.0f / 2;
    for (int i = 0; i < 6; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "expressions/%s.jpg", stills[i]);
        EmoFrame *img = load(rel);
        assert_non_null(img);
        float k = fminf(cw / (float)img->width, ch / (float)img->height);
        float cx = cw * ((float)(i % 3) + 0.5f), cy = ch * ((float)(i / 3) + 0.5f);
        float ox = cx - 0.5f * k * (float)img->width, oy = cy - 0.5f * k * (float)img->height;
        assert_int_equal(truths_of(t, list, img, k, ox, oy, &truth[i], 1), 1);
        assert_int_equal(sf_paste(scene, img, 0.5f * (float)img->width, 0.5f * (float)img->height,
                                  (float)img->width, (float)img->height, k, cx, cy),
                         0);
        emo_frame_unref(&img);
    }
    assert_int_equal(check_scene(t, list, scene, truth, 6, "montage"), 0);
    assert_int_equal(list->count, 6);
    emo_frame_unref(&scene);
    free(list);
    emo_face_tracker_close(&t);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photos_downscaled),
        cmocka_unit_test(test_montage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
