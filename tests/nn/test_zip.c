/*
 * Zip members (src/nn/zip.c) and emo_nn_open_member(): the members of
 * MediaPipe's face_landmarker.task are found with their sizes; a model
 * loaded from the bundle gives what the same model loaded from its own file
 * gives; a missing member, a compressed member and damaged archives end in
 * the right error with a message, never a crash.
 */
#include "testutil.h"

#include <emoscope/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/zip.h"

#define BUNDLE "models/face_landmarker.task"

static void test_bundle_members(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = emo_test_read_file(emo_test_shared(BUNDLE), &size);
    static const struct { const char *name; size_t len; } members[] = {
        { "face_detector.tflite", 229746 },
        { "face_landmarks_detector.tflite", 2553590 },
        { "face_blendshapes.tflite", 955312 },
        { "geometry_pipeline_metadata_landmarks.binarypb", 19376 },
    };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        const uint8_t *data;
        size_t len;
        assert_int_equal(emo__zip_member(buf, size, "bundle", members[i].name, NULL, &data, &len), 0);
        assert_int_equal(len, members[i].len);
        assert_true(data > buf && data + len <= buf + size);
        if (strstr(members[i].name, ".tflite"))
            assert_memory_equal(data + 4, "TFL3", 4);
    }
    EmoTestErrors cap = { 0 };
    EmoLogger log = { emo_test_capture_errors, &cap, EMO_LOG_ERROR };
    const uint8_t *data;
    size_t len;
    assert_int_equal(emo__zip_member(buf, size, "bundle", "face_detector", &log, &data, &len), EMO_ENOENT);
    assert_null(data);
    assert_non_null(strstr(cap.last, "no member face_detector"));
    free(buf);
}

/* A one-member archive built by hand: local header, data, central entry, end record. */
static size_t build_zip(uint8_t *out, const char *name, const char *payload, int method)
{
    size_t n = strlen(name), len = strlen(payload), at = 0;
#define PUT16(v) (out[at++] = (uint8_t)(v), out[at++] = (uint8_t)((v) >> 8))
#define PUT32(v) (PUT16((v) & 0xffff), PUT16((uint32_t)(v) >> 16))
    PUT32(0x04034b50u); PUT16(20); PUT16(0); PUT16(method); PUT32(0); PUT32(0);
    PUT32(len); PUT32(len); PUT16(n); PUT16(0);
    memcpy(out + at, name, n), at += n;
    memcpy(out + at, payload, len), at += len;
    size_t cd = at;
    PUT32(0x02014b50u); PUT16(20); PUT16(20); PUT16(0); PUT16(method); PUT32(0); PUT32(0);
    PUT32(len); PUT32(len); PUT16(n); PUT16(0); PUT16(0); PUT16(0); PUT16(0); PUT32(0); PUT32(0);
    memcpy(out + at, name, n), at += n;
    size_t cd_size = at - cd;
    PUT32(0x06054b50u); PUT16(0); PUT16(0); PUT16(1); PUT16(1); PUT32(cd_size); PUT32(cd); PUT16(0);
#undef PUT16
#undef PUT32
    return at;
}

static void test_hand_built(void **state)
{
    (void)state;
    uint8_t zip[256];
    size_t size = build_zip(zip, "a.bin", "hello", 0);
    const uint8_t *data;
    size_t len;
    assert_int_equal(emo__zip_member(zip, size, "t", "a.bin", NULL, &data, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);

    EmoTestErrors cap = { 0 };
    EmoLogger log = { emo_test_capture_errors, &cap, EMO_LOG_ERROR };
    size = build_zip(zip, "a.bin", "hello", 8);
    assert_int_equal(emo__zip_member(zip, size, "t", "a.bin", &log, &data, &len), EMO_EUNSUPPORTED);
    assert_non_null(strstr(cap.last, "compressed"));

    /* Every truncation and every single-byte change: an answer, never a read outside. */
    size = build_zip(zip, "a.bin", "hello", 0);
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, zip, cut);
        assert_int_not_equal(emo__zip_member(copy, cut, "t", "a.bin", NULL, &data, &len), 0);
        free(copy);
    }
    for (size_t i = 0; i < size; i++) {
        uint8_t copy[256];
        memcpy(copy, zip, size);
        copy[i] ^= 0xa5;
        int err = emo__zip_member(copy, size, "t", "a.bin", NULL, &data, &len);
        if (!err)
            assert_true(data >= copy && data + len <= copy + size);
    }
}

static void test_open_member(void **state)
{
    (void)state;
    const char *bundle = emo_test_shared(BUNDLE);
    char path[1024];
    snprintf(path, sizeof(path), "%s", bundle);
    EmoNnModel *a = NULL, *b = NULL;
    assert_int_equal(emo_nn_open_member(&a, path, "face_detector.tflite", NULL), 0);
    assert_int_equal(emo_nn_open(&b, emo_test_shared("models/face_detection_short_range.tflite"), NULL), 0);
    EmoNnTensorInfo ia, ib;
    assert_int_equal(emo_nn_input_info(a, 0, &ia), 0);
    assert_int_equal(emo_nn_input_info(b, 0, &ib), 0);
    assert_int_equal(ia.count, ib.count);
    float *xa = emo_nn_input(a, 0), *xb = emo_nn_input(b, 0);
    for (size_t i = 0; i < ia.count; i++)
        xa[i] = xb[i] = (float)((i * 7919u) % 255u) / 127.5f - 1.0f;
    assert_int_equal(emo_nn_run(a), 0);
    assert_int_equal(emo_nn_run(b), 0);
    assert_int_equal(emo_nn_num_outputs(a), emo_nn_num_outputs(b));
    for (int o = 0; o < emo_nn_num_outputs(a); o++) {
        EmoNnTensorInfo oa;
        assert_int_equal(emo_nn_output_info(a, o, &oa), 0);
        assert_memory_equal(emo_nn_output(a, o), emo_nn_output(b, o), oa.count * sizeof(float));
    }
    emo_nn_close(&a);
    emo_nn_close(&b);

    EmoTestErrors cap = { 0 };
    EmoLogger log = { emo_test_capture_errors, &cap, EMO_LOG_ERROR };
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.log = &log;
    assert_int_equal(emo_nn_open_member(&a, path, "nothing.tflite", &s), EMO_ENOENT);
    assert_null(a);
    assert_int_equal(emo_nn_open_member(&a, path, "geometry_pipeline_metadata_landmarks.binarypb", &s), EMO_EFORMAT);
    assert_non_null(strstr(cap.last, "not a TFLite model"));
    assert_int_equal(emo_nn_open_member(&a, emo_test_shared("models/face_landmark.tflite"), "x", &s), EMO_EFORMAT);
    assert_non_null(strstr(cap.last, "not a zip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_members),
        cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_open_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
