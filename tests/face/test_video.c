/* Tracking on every sample clip with the default detector (face.detector
 * auto): a face in every frame, one id through the clip, the detector on
 * <= 10% of frames (issue 17's floor); with the 478-point landmarker and
 * with the 468-point face mesh. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face_media.h"

static void run_clips(const char *mesh_model)
{
    static const char *clips[] = { "d0.mp4", "d3.mp4", "d6.mp4", "d9.mp4", "d10.mp4", "d12.mp4" };
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "%s", mesh_model);
    assert_string_equal(s.face.detector, "auto");
    emo_test_model("face_detection_full_range.tflite");
    emo_test_model(strcmp(mesh_model, "landmarker") ? "face_landmark.tflite" : "face_landmarker.task");
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        EmoFaceTracker *t = NULL;
        assert_int_equal(emo_face_tracker_open(&t, &s), 0);
        char rel[64];
        snprintf(rel, sizeof(rel), "testdata/video/%s", clips[c]);
        TmReader r;
        assert_int_equal(tm_open(&r, emo_test_shared(rel)), 0);
        int frames = 0, with_face = 0, first_id = -1, other_ids = 0, max_faces = 0;
        float min_det = 1, min_presence = 1, yaw[2] = { 1e9f, -1e9f }, pitch[2] = { 1e9f, -1e9f },
              roll[2] = { 1e9f, -1e9f };
        EmoFrame *f;
        while ((f = tm_next(&r))) {
            assert_int_equal(emo_face_tracker_process(t, f, list), 0);
            assert_int_equal(list->cut, 0); /* no shot cuts in these clips */
            frames++;
            max_faces = list->count > max_faces ? list->count : max_faces;
            if (list->count == 0)
                continue;
            with_face++;
            const EmoFace *face = &list->faces[0];
            if (first_id < 0)
                first_id = face->id;
            for (int i = 0; i < list->count; i++)
                other_ids += list->faces[i].id != first_id;
            if (face->flags & EMO_FACE_DETECTED)
                min_det = fminf(min_det, face->detection_score);
            min_presence = fminf(min_presence, face->presence);
            yaw[0] = fminf(yaw[0], face->yaw);
            yaw[1] = fmaxf(yaw[1], face->yaw);
            pitch[0] = fminf(pitch[0], face->pitch);
            pitch[1] = fmaxf(pitch[1], face->pitch);
            roll[0] = fminf(roll[0], face->roll);
            roll[1] = fmaxf(roll[1], face->roll);
        }
        int64_t n, runs, tracks;
        emo_face_tracker_stats(t, &n, &runs, &tracks);
        EmoFaceDetectorStats ds;
        emo_face_tracker_detector_stats(t, &ds);
        printf("%s %s: %d frames, face in %d (%.2f%%), tracks %lld, detector on %lld frames (%.2f%%: short-range "
               "%lld, full-range %lld), tile-scan passes %lld, min detection score %.3f, min presence %.3f, yaw %.0f..%.0f pitch %.0f..%.0f "
               "roll %.0f..%.0f\n",
               mesh_model, clips[c], frames, with_face, 100.0 * with_face / frames, (long long)tracks, (long long)runs,
               100.0 * (double)runs / frames, (long long)ds.runs[EMO_FACE_DETECTOR_SHORT],
               (long long)ds.runs[EMO_FACE_DETECTOR_FULL], (long long)ds.scan_passes, min_det, min_presence, yaw[0], yaw[1], pitch[0], pitch[1],
               roll[0], roll[1]);
        assert_true(frames > 50);
        assert_int_equal(n, frames);
        assert_int_equal(with_face, frames);
        /* Every detector run used the full-range model (no face tracked,
         * or the search for new ones) or re-found a lost face. */
        assert_true(ds.runs[EMO_FACE_DETECTOR_FULL] >= 1 && ds.runs[EMO_FACE_DETECTOR_FULL] <= runs);
        assert_int_equal(tracks, 1);
        assert_int_equal(other_ids, 0);
        assert_int_equal(max_faces, 1);
        assert_true(runs <= 0.10 * frames);
        /* The tile scan ran beside the face (3 tiles per 30 frames) and started no track. */
        assert_true(ds.scan_passes >= frames / 15);
        /* Talking heads: plausible poses, never beyond what a face mesh tracks. */
        assert_true(yaw[0] > -70 && yaw[1] < 70 && pitch[0] > -60 && pitch[1] < 60 && roll[0] > -60 && roll[1] < 60);
        tm_close(&r);
        emo_face_tracker_close(&t);
    }
    free(list);
}

static void test_clips_landmarker(void **state)
{
    (void)state;
    run_clips("landmarker");
}

static void test_clips_facemesh(void **state)
{
    (void)state;
    run_clips("facemesh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clips_landmarker),
        cmocka_unit_test(test_clips_facemesh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
