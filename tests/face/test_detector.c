/* The face detector (src/face/detector.c, detect.c): BlazeFace full-range's
 * anchors and decoding on its golden outputs, face.detector's three modes
 * (networks opened, fallback and errors, which network runs when), and the
 * face sizes each mode finds in frames of 640x360, 1280x720 and 1920x1080
 * (the figures of docs/face.md; EMO_DETECTOR_TABLE=1 prints every size). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face/face_priv.h"
#include "face_media.h"

static void test_full_anchors(void **state)
{
    (void)state;
    const EmoDetSpec *s = emo__det_spec(EMO_DET_FULL);
    assert_int_equal(s->size, 192);
    assert_int_equal(s->anchors, 2304);
    static float a[2304][2];
    emo__det_anchors(s, a);
    /* One anchor per cell of the 48x48 grid, row by row. */
    assert_float_equal(a[0][0], 0.5f / 48, 1e-7);
    assert_float_equal(a[0][1], 0.5f / 48, 1e-7);
    assert_float_equal(a[1][0], 1.5f / 48, 1e-7);
    assert_float_equal(a[48][0], 0.5f / 48, 1e-7);
    assert_float_equal(a[48][1], 1.5f / 48, 1e-7);
    assert_float_equal(a[2303][0], 47.5f / 48, 1e-7);
    assert_float_equal(a[2303][1], 47.5f / 48, 1e-7);
    /* The short-range description still gives its 896. */
    assert_int_equal(emo__det_spec(EMO_DET_SHORT)->anchors, 896);
    assert_int_equal(emo__det_spec(EMO_DET_SHORT)->size, 128);
}

static float *golden(const char *cas, const char *file, size_t n)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "testdata/golden/face_detection_full_range/%s/%s.f32", cas, file);
    return emo_test_read_f32(emo_test_shared(rel), n);
}

/* The golden raw outputs decoded: obama_and_biden letterboxed into 192x192
 * (2000x1428: the photo fills rows 28..164) shows the two men, about 19 px
 * wide, side by side at mid height; uniform noise shows nothing. */
static void test_full_golden_decode(void **state)
{
    (void)state;
    const EmoDetSpec *s = emo__det_spec(EMO_DET_FULL);
    static float anchors[2304][2];
    static EmoDetection cand[2304];
    emo__det_anchors(s, anchors);
    float *reg = golden("obama_and_biden_letterbox", "reshaped_regressor_face_4", 2304 * 16);
    float *cls = golden("obama_and_biden_letterbox", "reshaped_classifier_face_4", 2304);
    EmoDetection d[8];
    int n = emo__det_decode(s, reg, cls, (const float(*)[2])anchors, 0.5f, cand, 2304);
    n = emo__weighted_nms(cand, n, 0.3f, d, 8);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++) {
        float w = d[i].w * 192, cx = (d[i].x + d[i].w / 2) * 192, cy = (d[i].y + d[i].h / 2) * 192;
        printf("full-range golden: face %d score %.3f, %.1f px wide at %.1f,%.1f of the input\n", i, d[i].score, w,
               cx, cy);
        assert_true(d[i].score > 0.7f);
        assert_true(w > 14 && w < 26);
        assert_true(cy > 60 && cy < 90);
        /* The photo's faces at x 740..940 and 1129..1324 of 2000. */
        assert_true((cx > 70 && cx < 92) || (cx > 108 && cx < 130));
        assert_true(d[i].kp[EMO_KP_RIGHT_EYE][0] < d[i].kp[EMO_KP_LEFT_EYE][0]);
        assert_true(d[i].kp[EMO_KP_RIGHT_EYE][1] < d[i].kp[EMO_KP_MOUTH][1]);
    }
    assert_true(fabsf(d[0].x - d[1].x) * 192 > 25);
    free(reg);
    free(cls);
    reg = golden("noise0", "reshaped_regressor_face_4", 2304 * 16);
    cls = golden("noise0", "reshaped_classifier_face_4", 2304);
    assert_int_equal(emo__det_decode(s, reg, cls, (const float(*)[2])anchors, 0.5f, cand, 2304), 0);
    free(reg);
    free(cls);
}

static EmoFaceTracker *open_mode(const char *mode, const char *dir, int *rc)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", dir ? dir : EMO_TEST_MODELS_DIR);
    snprintf(s.face.detector, sizeof(s.face.detector), "%s", mode);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
    /* These tests move whole scenes between frames (faces jumping 400 px in
     * one frame) to exercise the detector on lost faces; the shot-cut
     * detector (test_groups) would take such a jump as a cut and end the
     * tracks before they are lost. */
    s.face.cut_threshold = 0;
    emo_test_model("face_detection_short_range.tflite");
    emo_test_model("face_detection_full_range.tflite");
    EmoFaceTracker *t = NULL;
    *rc = emo_face_tracker_open(&t, &s);
    return t;
}

static EmoFaceTracker *open_ok(const char *mode)
{
    int rc;
    EmoFaceTracker *t = open_mode(mode, NULL, &rc);
    assert_int_equal(rc, 0);
    return t;
}

/* Passes of each network since the last call (and runs when given). */
static void passes_since(const EmoFaceTracker *t, EmoFaceDetectorStats *last, int64_t passes[2], int64_t runs[2])
{
    EmoFaceDetectorStats s;
    emo_face_tracker_detector_stats(t, &s);
    for (int k = 0; k < 2; k++) {
        passes[k] = s.passes[k] - last->passes[k];
        if (runs)
            runs[k] = s.runs[k] - last->runs[k];
        assert_true(s.passes[k] == 0 || s.cpu[k] > 0);
    }
    *last = s;
}

static EmoFrame *photo(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "testdata/faces/%s", name);
    EmoFrame *f = tm_load_image(emo_test_shared(rel));
    assert_non_null(f);
    return f;
}

/* The photo scaled by k (area averaging, as a camera's optics would) and
 * pasted on a cw x ch frame of grey level fill with the point (px, py) of
 * the photo at the frame's centre; what falls outside is cut. */
static EmoFrame *paste_on(const EmoFrame *src, double k, float px, float py, int cw, int ch, int fill)
{
    int w = (int)lround(src->width * k), h = (int)lround(src->height * k);
    EmoFrame *scaled = NULL, *out = NULL;
    assert_int_equal(emo_frame_alloc(&scaled, EMO_PIX_BGRA, w, h), 0);
    assert_int_equal(emo_frame_alloc(&out, EMO_PIX_BGRA, cw, ch), 0);
    struct SwsContext *sws = sws_getContext(src->width, src->height, AV_PIX_FMT_BGRA, w, h, AV_PIX_FMT_BGRA,
                                            k < 1 ? SWS_AREA : SWS_BICUBIC, NULL, NULL, NULL);
    assert_non_null(sws);
    const uint8_t *sp[4] = { src->data[0], NULL, NULL, NULL };
    int ss[4] = { src->stride[0], 0, 0, 0 }, ds[4] = { scaled->stride[0], 0, 0, 0 };
    uint8_t *dp[4] = { scaled->data[0], NULL, NULL, NULL };
    sws_scale(sws, sp, ss, 0, src->height, dp, ds);
    sws_freeContext(sws);
    int ox = (int)lround(cw / 2.0 - px * k), oy = (int)lround(ch / 2.0 - py * k);
    for (int y = 0; y < ch; y++) {
        uint8_t *row = out->data[0] + (size_t)y * out->stride[0];
        memset(row, fill, (size_t)cw * 4);
        int sy = y - oy, x0 = ox > 0 ? ox : 0, x1 = ox + w < cw ? ox + w : cw;
        if (sy >= 0 && sy < h && x1 > x0)
            memcpy(row + 4 * (size_t)x0, scaled->data[0] + (size_t)sy * scaled->stride[0] + 4 * (size_t)(x0 - ox),
                   4 * (size_t)(x1 - x0));
    }
    emo_frame_unref(&scaled);
    return out;
}

/* paste_on() on mid-grey. */
static EmoFrame *paste(const EmoFrame *src, double k, float px, float py, int cw, int ch)
{
    return paste_on(src, k, px, py, cw, ch, 128);
}

/* Which network runs when: the policy of detector.c. */
static void test_policy(void **state)
{
    (void)state;
    EmoFrame *two = photo("two_people.jpg"), *ob = photo("obama_and_biden.jpg"), *blank = NULL;
    assert_int_equal(emo_frame_alloc(&blank, EMO_PIX_BGRA, 1280, 720), 0);
    memset(blank->data[0], 0, (size_t)blank->stride[0] * blank->height);
    EmoDetection d[8];
    int64_t p[2], r[2];
    EmoFaceDetectorStats last;
    memset(&last, 0, sizeof(last));

    EmoFaceTracker *t = open_ok("auto");
    /* No face tracked: full-range on the whole frame, alone when it finds faces. */
    assert_int_equal(emo_face_detect(t, two, d, 8), 2);
    passes_since(t, &last, p, r);
    assert_true(p[0] == 0 && p[1] == 1 && r[0] == 0 && r[1] == 1);
    /* Faces of 10% of the frame (short-range would need its tiles). */
    assert_int_equal(emo_face_detect(t, ob, d, 8), 2);
    passes_since(t, &last, p, r);
    assert_true(p[0] == 0 && p[1] == 1);
    /* two_people at 1.0 with its left edge at x = 163 of a black 1280x720
     * frame (faces of 165 px): reported as a full-range miss that
     * short-range finds, measured otherwise: full-range alone finds both
     * (and so does short-range, at every position of the photo tried, on
     * black and grey), so auto needs no short-range pass here. */
    {
        EmoFrame *mid = paste_on(two, 1.0, 477, 330, 1280, 720, 0);
        assert_int_equal(emo_face_detect(t, mid, d, 8), 2);
        passes_since(t, &last, p, r);
        printf("two_people at 1.0 in black 1280x720: auto (full-range alone) finds faces of %.0f and %.0f px\n",
               (double)d[0].w, (double)d[1].w);
        assert_true(p[0] == 0 && p[1] == 1);
        assert_true(fabsf((d[0].x + d[0].w / 2) - (d[1].x + d[1].w / 2)) > 2 * d[0].w);
        emo_frame_unref(&mid);
    }
    /* Nothing: short-range on the whole frame, then full-range's tiles
     * (1280 px: 1/2 tiles of 640 and 1/3 of 427, >= its 192 input). */
    assert_int_equal(emo_face_detect(t, blank, d, 8), 0);
    passes_since(t, &last, p, r);
    printf("auto on a blank 1280x720 frame: %lld short-range, %lld full-range passes\n", (long long)p[0],
           (long long)p[1]);
    assert_true(p[0] == 1 && p[1] == 1 + 6 + 15);
    /* An empty scene: the tiles on its first frame, then on every 10th. */
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(emo_face_tracker_process(t, blank, list), 0);
        passes_since(t, &last, p, r);
        assert_true(list->count == 0 && list->detector_ran && p[0] == 1);
        assert_int_equal(p[1], i % 10 == 0 ? 22 : 1);
    }
    /* Tracking: the periodic search for new faces (detect_interval 30)
     * runs full-range alone on the whole frame; between searches, the tile
     * scan one full-range tile every tile_scan frames (8), not a detector run. */
    emo_face_tracker_reset(t);
    EmoFaceDetectorStats st0, st1;
    emo_face_tracker_detector_stats(t, &st0);
    for (int i = 0; i < 31; i++) {
        assert_int_equal(emo_face_tracker_process(t, two, list), 0);
        assert_int_equal(list->count, 2);
        passes_since(t, &last, p, r);
        if (i == 0 || i == 30)
            assert_true(p[0] == 0 && p[1] == 1 && r[1] == 1 && list->detector_ran && list->n_detections == 2);
        else
            assert_true(p[0] == 0 && p[1] == (i % 8 == 0) && r[1] == 0 && !list->detector_ran);
    }
    emo_face_tracker_detector_stats(t, &st1);
    assert_int_equal(st1.scan_passes - st0.scan_passes, 3);
    assert_true(st1.scan_cpu > st0.scan_cpu && st1.scan_cpu - st0.scan_cpu <= st1.cpu[1] - st0.cpu[1]);
    /* Both faces jump 400 px (a cut, a fast pan): lost from their crops, found
     * again on the same frame by short-range alone (faces of 170 px in 1280). */
    EmoFrame *at[2] = { paste(two, 1.0, 563, 330, 1280, 720), paste(two, 1.0, 163, 330, 1280, 720) };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(emo_face_tracker_process(t, at[i == 2], list), 0);
        passes_since(t, &last, p, r);
        printf("frame %d: %d faces, %lld short-range and %lld full-range passes\n", i, list->count,
               (long long)p[0], (long long)p[1]);
        assert_int_equal(list->count, 2);
        if (i == 2)
            assert_true(p[0] == 1 && p[1] == 0 && list->detector_ran);
    }
    emo_frame_unref(&at[0]);
    emo_frame_unref(&at[1]);
    emo_face_tracker_close(&t);

    t = open_ok("short");
    assert_int_equal(emo_face_detect(t, ob, d, 8), 3); /* in the 1/2 tiles, the half-hidden girl too */
    memset(&last, 0, sizeof(last));
    passes_since(t, &last, p, NULL);
    assert_true(p[0] == 1 + 6 && p[1] == 0);
    emo_face_tracker_close(&t);

    /* A strict threshold: full-range scores the close faces of the clips
     * 0.58-0.78, short-range 0.88-0.94; short-range finds them. */
    {
        EmoFaceTrackerSettings s;
        emo_face_tracker_default_settings(&s);
        snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
        snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
        s.face.min_detection_confidence = 0.9;
        assert_int_equal(emo_face_tracker_open(&t, &s), 0);
        assert_int_equal(emo_face_detect(t, two, d, 8), 2);
        memset(&last, 0, sizeof(last));
        passes_since(t, &last, p, NULL);
        printf("auto at 0.9 on two_people: %.3f %.3f\n", (double)d[0].score, (double)d[1].score);
        assert_true(p[0] == 1 && p[1] == 1);
        emo_face_tracker_close(&t);
    }

    t = open_ok("full");
    assert_int_equal(emo_face_detect(t, two, d, 8), 2);
    assert_int_equal(emo_face_detect(t, blank, d, 8), 0);
    memset(&last, 0, sizeof(last));
    passes_since(t, &last, p, NULL);
    assert_true(p[0] == 0 && p[1] == 1 + 1 + 6 + 15);
    emo_face_tracker_close(&t);
    free(list);
    emo_frame_unref(&two);
    emo_frame_unref(&ob);
    emo_frame_unref(&blank);
}

/* Every message of any level since the last clear (the fallback is an info line). */
typedef struct Messages {
    char all[4096];
} Messages;

static void capture_all(void *user, EmoLogLevel level, const char *msg)
{
    (void)level;
    Messages *m = user;
    size_t n = strlen(m->all);
    snprintf(m->all + n, sizeof(m->all) - n, "%s\n", msg);
}

static void expect_open(EmoFaceTrackerSettings *s, Messages *m, const char *detector, int want, const char *message)
{
    EmoFaceTracker *t = NULL;
    m->all[0] = 0;
    snprintf(s->face.detector, sizeof(s->face.detector), "%s", detector);
    assert_int_equal(emo_face_tracker_open(&t, s), want);
    if (!strstr(m->all, message))
        fail_msg("detector %s: the log\n%slacks \"%s\"", detector, m->all, message);
    printf("detector %s: %s", detector, strstr(m->all, message));
    if (want)
        assert_null(t);
    emo_face_tracker_close(&t);
}

/* Bad values, a missing or wrong full-range file: clear errors (auto falls
 * back to short-range with a message). */
static void test_modes(void **state)
{
    (void)state;
    Messages m = { "" };
    EmoLogger log = { capture_all, &m, EMO_LOG_INFO };
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    assert_string_equal(s.face.detector, "auto");
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
    s.log = &log;
    expect_open(&s, &m, "near", EMO_EINVAL, "detector \"near\": use auto, short or full");

    /* A models folder without the full-range file. */
    static const char *const files[] = { "face_detection_short_range.tflite", "face_landmark.tflite",
                                         "canonical_face_model.obj", NULL };
    const char *dir = emo_test_models_subset("detector_models", files);
    char cmd[4096];
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", dir);
    expect_open(&s, &m, "full", EMO_ENOENT, "cannot open the BlazeFace full-range detector");
    expect_open(&s, &m, "auto", 0, "face_detection_full_range.tflite not found: detecting with the short-range");
    int rc;
    EmoFaceTracker *t = open_mode("auto", dir, &rc);
    assert_int_equal(rc, 0);
    EmoFrame *ob = photo("obama_and_biden.jpg");
    EmoDetection d[8];
    assert_int_equal(emo_face_detect(t, ob, d, 8), 3); /* short-range tiles (test_faces.c: the girl too) */
    EmoFaceDetectorStats st;
    emo_face_tracker_detector_stats(t, &st);
    assert_true(st.passes[0] == 7 && st.passes[1] == 0);
    emo_face_tracker_close(&t);
    /* The short-range file under the full-range name is refused by both modes that open it. */
    snprintf(cmd, sizeof(cmd), "ln -sf %s/face_detection_short_range.tflite %s/face_detection_full_range.tflite",
             EMO_TEST_MODELS_DIR, dir);
    assert_int_equal(emo_test_system(cmd), 0);
    expect_open(&s, &m, "auto", EMO_EFORMAT, "is not BlazeFace full-range (192x192 RGB in, 2304 anchors out)");
    expect_open(&s, &m, "full", EMO_EFORMAT, "is not BlazeFace full-range (192x192 RGB in, 2304 anchors out)");
    expect_open(&s, &m, "short", 0, "landmarks from the face mesh");
    emo_face_tracker_detector_stats(NULL, &st);
    assert_true(st.runs[0] == 0 && st.passes[1] == 0 && st.cpu[0] == 0);
    emo_frame_unref(&ob);
}

/* ------------------------------------------------------------ face sizes */

typedef struct SizePhoto {
    EmoFrame *img;
    EmoDetection faces[4];  /* the people of the photo at full size */
    int n;
    float width;            /* their mean box width, pixels */
    float cx, cy;           /* their centroid */
} SizePhoto;

/* Frames of each size, face widths tried (pixels of the frame). */
static const int canvases[3][2] = { { 640, 360 }, { 1280, 720 }, { 1920, 1080 } };
static const int widths[] = { 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 160, 200, 256, 320, 400 };
#define N_WIDTHS (int)(sizeof(widths) / sizeof(widths[0]))

/* Faces of the photos found by tracker t at face width w on a cw x ch
 * frame: found[g] of expected[g] (faces wholly inside the frame), g = 0
 * for the photos of one face, 1 for those of two. */
static void found_at(EmoFaceTracker *t, SizePhoto *ph, int n_ph, int w, int cw, int ch, int found[2],
                     int expected[2])
{
    found[0] = found[1] = expected[0] = expected[1] = 0;
    for (int p = 0; p < n_ph; p++) {
        double k = w / ph[p].width;
        EmoFrame *f = paste(ph[p].img, k, ph[p].cx, ph[p].cy, cw, ch);
        EmoDetection d[16];
        int n = emo_face_detect(t, f, d, 16), g = ph[p].n > 1;
        assert_true(n >= 0);
        for (int i = 0; i < ph[p].n; i++) {
            const EmoDetection *e = &ph[p].faces[i];
            float x0 = (float)(cw / 2.0 + (e->x - ph[p].cx) * k), y0 = (float)(ch / 2.0 + (e->y - ph[p].cy) * k);
            float bw = (float)(e->w * k), bh = (float)(e->h * k);
            if (x0 < 0 || y0 < 0 || x0 + bw > cw || y0 + bh > ch)
                continue;
            expected[g]++;
            for (int j = 0; j < n; j++) {
                float cx = d[j].x + d[j].w / 2, cy = d[j].y + d[j].h / 2;
                if (cx > x0 && cx < x0 + bw && cy > y0 && cy < y0 + bh && d[j].w > 0.5f * bw && d[j].w < 2 * bw) {
                    found[g]++;
                    break;
                }
            }
        }
        emo_frame_unref(&f);
    }
}

/* For one detector setting on one frame size: smallest[g], the smallest
 * face width from which every face of the photos of group g is found (at
 * every larger width tried too; -1: not even at the largest); the CPU
 * milliseconds of the detector per frame. */
static double smallest_found(SizePhoto *ph, int n_ph, const char *mode, int tiles, int c, int smallest[2])
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.detector, sizeof(s.face.detector), "%s", mode);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
    s.face.detect_tiles = tiles;
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    int cw = canvases[c][0], ch = canvases[c][1], frames = 0, missed[2] = { 0, 0 };
    smallest[0] = smallest[1] = -1;
    for (int i = N_WIDTHS - 1; i >= 0 && !(missed[0] && missed[1]); i--) {
        if (widths[i] > ch * 0.75)
            continue;
        int found[2], expected[2];
        found_at(t, ph, n_ph, widths[i], cw, ch, found, expected);
        frames += n_ph;
        if (getenv("EMO_DETECTOR_TABLE"))
            printf("  %-5s tiles %d %4dx%-4d face %3d px: one-face photos %d of %d, two-face photos %d of %d\n",
                   mode, tiles, cw, ch, widths[i], found[0], expected[0], found[1], expected[1]);
        for (int g = 0; g < 2; g++) {
            missed[g] |= found[g] != expected[g];
            if (!missed[g])
                smallest[g] = widths[i];
        }
    }
    EmoFaceDetectorStats st;
    emo_face_tracker_detector_stats(t, &st);
    emo_face_tracker_close(&t);
    return 1e3 * (st.cpu[0] + st.cpu[1]) / frames;
}

/* The face sizes each setting finds (docs/face.md's table; every frame
 * size with EMO_DETECTOR_TABLE=1, else 1280x720); the floors are the sizes
 * measured, so that a regression fails. */
static void test_sizes(void **state)
{
    (void)state;
    static const char *const files[] = { "two_people.jpg", "obama_and_biden.jpg", "obama.jpg", "biden.jpg",
                                         "expressions/happy.jpg", "expressions/surprised.jpg" };
    enum { N_PH = sizeof(files) / sizeof(files[0]) };
    SizePhoto ph[N_PH];
    EmoFaceTracker *ref = NULL;
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.detector, sizeof(s.face.detector), "short");
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
    s.face.min_detection_confidence = 0.75; /* the people of the photos (test_faces.c) */
    assert_int_equal(emo_face_tracker_open(&ref, &s), 0);
    for (int p = 0; p < N_PH; p++) {
        ph[p].img = photo(files[p]);
        ph[p].n = emo_face_detect(ref, ph[p].img, ph[p].faces, 4);
        assert_int_equal(ph[p].n, p < 2 ? 2 : 1);
        ph[p].width = ph[p].cx = ph[p].cy = 0;
        for (int i = 0; i < ph[p].n; i++) {
            ph[p].width += ph[p].faces[i].w / ph[p].n;
            ph[p].cx += (ph[p].faces[i].x + ph[p].faces[i].w / 2) / ph[p].n;
            ph[p].cy += (ph[p].faces[i].y + ph[p].faces[i].h / 2) / ph[p].n;
        }
    }
    emo_face_tracker_close(&ref);
    /* Floors at 1280x720, [mode][tiles 0/2][one-face, two-face photos]. */
    static const char *const modes[] = { "short", "full", "auto" };
    static const int floor720[3][2][2] = {
        { { 160, 160 }, { 48, 80 } },
        { { 80, 80 }, { 24, 80 } },
        { { 80, 80 }, { 24, 80 } },
    };
    int all = getenv("EMO_DETECTOR_TABLE") != NULL;
    for (int c = all ? 0 : 1; c < (all ? 3 : 2); c++)
        for (int m = 0; m < 3; m++)
            for (int tiles = 0; tiles <= 2; tiles += 2) {
                int smallest[2];
                double ms = smallest_found(ph, N_PH, modes[m], tiles, c, smallest);
                printf("[ sizes ] %4dx%-4d %-5s tiles %d: every face from %3d px (one-face photos), %3d px (two-face "
                       "photos); detector %.1f ms CPU per frame\n",
                       canvases[c][0], canvases[c][1], modes[m], tiles, smallest[0], smallest[1], ms);
                if (c == 1)
                    for (int g = 0; g < 2; g++)
                        assert_true(smallest[g] > 0 && smallest[g] <= floor720[m][tiles / 2][g]);
            }
    for (int p = 0; p < N_PH; p++)
        emo_frame_unref(&ph[p].img);
}

/* ------------------------------------------------------------ tile scan */

/* Copies src into dst with its centre at (cx, cy), clipped to dst. */
static void blit(EmoFrame *dst, const EmoFrame *src, int cx, int cy)
{
    int x0 = cx - src->width / 2, y0 = cy - src->height / 2;
    for (int y = 0; y < src->height; y++) {
        int dy = y0 + y, a = x0 < 0 ? -x0 : 0, b = x0 + src->width > dst->width ? dst->width - x0 : src->width;
        if (dy >= 0 && dy < dst->height && b > a)
            memcpy(dst->data[0] + (size_t)dy * dst->stride[0] + 4 * (size_t)(x0 + a),
                   src->data[0] + (size_t)y * src->stride[0] + 4 * (size_t)a, 4 * (size_t)(b - a));
    }
}

/* The face of a photo (the short-range detector's box at full size) scaled
 * to width w and pasted with its surroundings (a square of 2w) centred at
 * (cx, cy) of frame; its box in the frame in box. */
static void put_face(EmoFaceTracker *ref, EmoFrame *frame, const char *name, float w, int cx, int cy, float box[4])
{
    EmoFrame *img = photo(name);
    EmoDetection d[4];
    assert_true(emo_face_detect(ref, img, d, 4) >= 1);
    double k = w / d[0].w;
    int side = (int)(2 * w);
    EmoFrame *patch = paste(img, k, d[0].x + d[0].w / 2, d[0].y + d[0].h / 2, side, side);
    blit(frame, patch, cx, cy);
    box[0] = cx - w / 2;
    box[1] = cy - (float)(d[0].h * k) / 2;
    box[2] = w;
    box[3] = (float)(d[0].h * k);
    emo_frame_unref(&patch);
    emo_frame_unref(&img);
}

#define SCAN_SMALL 6

/* A close face and SCAN_SMALL small ones beside it on a cw x ch frame:
 * the close face is found on the first frame (the whole frame), the small
 * ones only by the tile scan. Tracked for one scan cycle (21 tiles at
 * these sizes, one every tile_scan frames) plus a step, with tile_scan
 * frames between passes (0: off); the small faces tracked at the end. */
static int scan_scene(int cw, int ch, float big_w, float small_w, int tile_scan)
{
    static const char *const small[SCAN_SMALL] = { "expressions/angry.jpg",   "expressions/disgusted.jpg",
                                                   "expressions/fearful.jpg", "expressions/happy.jpg",
                                                   "expressions/sad.jpg",     "expressions/surprised.jpg" };
    EmoFaceTracker *ref = open_ok("short"), *t = NULL;
    EmoFrame *frame = NULL;
    assert_int_equal(emo_frame_alloc(&frame, EMO_PIX_BGRA, cw, ch), 0);
    memset(frame->data[0], 128, (size_t)frame->stride[0] * ch);
    float big[4], box[SCAN_SMALL][4];
    put_face(ref, frame, "obama.jpg", big_w, cw * 3 / 10, ch / 2, big);
    for (int i = 0; i < SCAN_SMALL; i++)
        put_face(ref, frame, small[i], small_w, cw * (68 + 16 * (i % 2)) / 100, ch * (1 + 2 * (i / 2)) / 6, box[i]);
    emo_face_tracker_close(&ref);

    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    assert_int_equal(s.face.tile_scan, 8);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "facemesh");
    s.face.tile_scan = tile_scan;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    /* One cycle and a step: 22 tile passes (3 per detect_interval of 30
     * frames at tile_scan 8, the scan waiting tile_scan frames after each
     * detector run), within 8 s at 30 fps; without the scan as long. */
    int frames = 0, big_id = -1, marked = 0, found = 0;
    EmoFaceDetectorStats st;
    for (st.scan_passes = 0; tile_scan > 0 ? st.scan_passes < 22 : frames < 240; frames++) {
        assert_true(frames < 240);
        assert_int_equal(emo_face_tracker_process(t, frame, list), 0);
        assert_true(list->count >= 1);
        /* The close face keeps its id; a tile showing part of it marks it, never a second track. */
        int on_big = 0;
        for (int i = 0; i < list->count; i++) {
            const float *b = list->faces[i].box;
            if (emo__iou(b, big) > 0.3f) {
                on_big++;
                if (big_id < 0)
                    big_id = list->faces[i].id;
                assert_int_equal(list->faces[i].id, big_id);
                marked += !list->detector_ran && (list->faces[i].flags & EMO_FACE_DETECTED);
            }
        }
        assert_int_equal(on_big, 1);
        emo_face_tracker_detector_stats(t, &st);
    }
    /* Each small face tracked once. */
    for (int k = 0; k < SCAN_SMALL; k++) {
        int n = 0;
        for (int i = 0; i < list->count; i++) {
            const float *b = list->faces[i].box;
            float cx = b[0] + b[2] / 2, cy = b[1] + b[3] / 2;
            n += fabsf(cx - (box[k][0] + box[k][2] / 2)) < box[k][2] / 2 &&
                 fabsf(cy - (box[k][1] + box[k][3] / 2)) < box[k][3] / 2;
        }
        assert_true(n <= 1);
        found += n;
    }
    int64_t nf, runs, tracks;
    emo_face_tracker_stats(t, &nf, &runs, &tracks);
    printf("[ scan ] %dx%d, %d frames, close face %.0f px, %d of %d faces of %.0f px, tile_scan %d: %d faces tracked, %lld ids, "
           "close face marked by a tile on %d frames; per frame %.3f full-range passes (%.3f tile scan, %.2f ms "
           "CPU), %.3f short-range\n",
           cw, ch, frames, (double)big_w, found, SCAN_SMALL, (double)small_w, tile_scan, list->count, (long long)tracks,
           marked, (double)st.passes[1] / frames, (double)st.scan_passes / frames, 1e3 * st.scan_cpu / frames,
           (double)st.passes[0] / frames);
    /* No face was ever tracked twice or renamed: one id per face. */
    assert_int_equal(tracks, list->count);
    assert_int_equal(list->count, 1 + found);
    if (tile_scan > 0) {
        assert_true(marked > 0); /* the tiles over the close face were seen, and only marked it */
    } else {
        assert_int_equal(st.scan_passes, 0);
    }
    free(list);
    emo_face_tracker_close(&t);
    emo_frame_unref(&frame);
    return found;
}

/* Small faces beside a tracked close one: found by the tile scan within
 * one cycle, each once, the close face keeping its id; without the scan
 * (tile_scan 0) none is found. */
static void test_tile_scan(void **state)
{
    (void)state;
    assert_int_equal(scan_scene(1280, 720, 300, 40, 8), SCAN_SMALL);
    assert_int_equal(scan_scene(1280, 720, 300, 40, 0), 0);
    assert_int_equal(scan_scene(640, 360, 150, 30, 8), SCAN_SMALL);
    assert_int_equal(scan_scene(640, 360, 150, 30, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_anchors),
        cmocka_unit_test(test_full_golden_decode),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_tile_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
