/* The per-frame path allocates nothing: malloc, calloc and realloc are
 * counted (glibc's __libc_* underneath) while the tracker processes frames,
 * runs the detector and aligns faces. Not under AddressSanitizer, which
 * owns malloc itself. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face_media.h"

#if defined(__SANITIZE_ADDRESS__)
#define EMO_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMO_COUNT_ALLOCS 0
#endif
#endif
#ifndef EMO_COUNT_ALLOCS
#define EMO_COUNT_ALLOCS 1
#endif

#if EMO_COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t k);
extern void *__libc_realloc(void *p, size_t n);
static volatile long allocs; /* test-only instrumentation */
void *malloc(size_t n);
void *calloc(size_t n, size_t k);
void *realloc(void *p, size_t n);
void *malloc(size_t n)
{
    allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t k)
{
    allocs++;
    return __libc_calloc(n, k);
}
void *realloc(void *p, size_t n)
{
    allocs++;
    return __libc_realloc(p, n);
}
#endif

/* With each landmark network: "landmarker" (478 points) or "facemesh". */
static void no_allocation_per_frame(const char *mesh_model)
{
#if !EMO_COUNT_ALLOCS
    (void)mesh_model;
    printf("allocation counting is off under AddressSanitizer\n");
#else
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "%s", mesh_model);
    emo_test_model(strcmp(mesh_model, "landmarker") ? "face_landmark.tflite" : "face_landmarker.task");
    s.face.detect_interval = 10;
    s.face.mirror_yaw = 0; /* every frame also takes the mirrored second mesh pass */
    EmoFaceTracker *t = NULL;
    long at_open = allocs;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    assert_true(allocs > at_open); /* the counter sees the library's allocations */
    /* Three decoded frames, copied, then played over and over. */
    EmoFrame *frames[3] = { NULL, NULL, NULL };
    TmReader r;
    assert_int_equal(tm_open(&r, emo_test_shared("testdata/video/d3.mp4")), 0);
    for (int i = 0; i < 3; i++) {
        EmoFrame *f = NULL;
        for (int k = 0; k < 10; k++)
            f = tm_next(&r);
        assert_non_null(f);
        assert_int_equal(emo_frame_alloc(&frames[i], EMO_PIX_BGRA, f->width, f->height), 0);
        assert_int_equal(emo_frame_copy(frames[i], f), 0);
    }
    tm_close(&r);
    EmoFaceList *list = calloc(1, sizeof(*list));
    uint8_t *buf = malloc(96 * 96 * 4);
    float (*al)[2] = malloc(sizeof(float[EMO_FACE_LANDMARKS][2])), ib[68][2];
    assert_non_null(list);
    assert_non_null(buf);
    assert_non_null(al);
    for (int i = 0; i < 5; i++) /* warm-up: first runs may set up lazily */
        assert_int_equal(emo_face_tracker_process(t, frames[i % 3], list), 0);
    int64_t runs0, runs1;
    emo_face_tracker_stats(t, NULL, &runs0, NULL);
    long before = allocs;
    for (int i = 0; i < 60; i++) {
        assert_int_equal(emo_face_tracker_process(t, frames[i % 3], list), 0);
        for (int k = 0; k < list->count; k++) {
            assert_int_equal(emo_face_align(frames[i % 3], &list->faces[k], 64, EMO_ALIGN_GRAY8, buf, 64), 0);
            assert_int_equal(emo_face_align(frames[i % 3], &list->faces[k], 96, EMO_ALIGN_BGRA, buf, 96 * 4), 0);
            emo_face_aligned_landmarks(&list->faces[k], 96, al);
            emo_face_to_ibug68(&list->faces[k], ib);
        }
    }
    long during = allocs - before;
    emo_face_tracker_stats(t, NULL, &runs1, NULL);
    printf("%s: 60 frames (%lld with the detector): %ld allocations\n", mesh_model, (long long)(runs1 - runs0),
           during);
    assert_int_equal(list->faces[0].n_landmarks, emo_face_tracker_landmark_count(t));
    assert_true(runs1 - runs0 >= 5); /* the detector path was exercised too */
    assert_true(list->count == 1);
    assert_int_equal(during, 0);
    free(al);
    free(buf);
    free(list);
    for (int i = 0; i < 3; i++)
        emo_frame_unref(&frames[i]);
    emo_face_tracker_close(&t);
#endif
}

static void test_no_allocation_per_frame(void **state)
{
    (void)state;
    no_allocation_per_frame("landmarker");
    no_allocation_per_frame("facemesh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_allocation_per_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
