/* Groups of faces (docs/face.md, "Groups"): several faces keep their ids;
 * a face that leaves and comes back soon near its place takes its id back,
 * later or elsewhere it is a new id; a shot cut carries no id over, and the
 * shared clips (no cuts) show none. Sequences are built here from the
 * shared stills; the rules themselves are also tested without networks. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>

#include "face/face_priv.h"
#include "face/reid.h"
#include "face_media.h"

#define FPS 30.0

/* ------------------------------------------------------------ the rules alone */

static void test_comeback_rule(void **state)
{
    (void)state;
    EmoReid r;
    emo__reid_init(&r, 3.0, 0);
    EmoFrame fr = { .fmt = EMO_PIX_BGRA, .width = 64, .height = 64 };
    fr.pts = 10.0;
    assert_int_equal(emo__reid_frame(&r, &fr), 0);
    const float box_a[4] = { 100, 100, 80, 100 }, box_b[4] = { 300, 100, 80, 100 };
    emo__reid_depart(&r, 3, 1, box_a, r.now, 40);
    emo__reid_depart(&r, 5, 0, box_b, r.now, 7);
    EmoReidFace back;
    /* Size: sqrt(80 x 100) = 89.4; a detection 20 px (0.22 of the size) off, a bit smaller. */
    const float near_a[4] = { 160 - 35, 150 - 35, 70, 70 };
    const int live_none[1] = { 0 };
    fr.pts = 11.0;
    emo__reid_frame(&r, &fr);
    assert_true(fabs(r.now - 1.0) < 1e-9);
    /* A live id is never handed out. */
    const int live3[1] = { 3 };
    assert_int_equal(emo__reid_claim(&r, near_a, live3, 1, &back), 0);
    assert_int_equal(emo__reid_claim(&r, near_a, live_none, 0, &back), 1);
    assert_int_equal(back.id, 3);
    assert_int_equal(back.kind, 1);
    assert_int_equal(back.frames_tracked, 40);
    /* Used once. */
    assert_int_equal(emo__reid_claim(&r, near_a, live_none, 0, &back), 0);
    /* Too far (1.2 x the size from b's centre), too small, too big: not b. */
    const float far_b[4] = { 340 + 107 - 40, 150 - 40, 80, 80 }, small_b[4] = { 340 - 25, 150 - 25, 50, 50 },
                big_b[4] = { 340 - 75, 150 - 75, 150, 150 };
    assert_int_equal(emo__reid_claim(&r, far_b, live_none, 0, &back), 0);
    assert_int_equal(emo__reid_claim(&r, small_b, live_none, 0, &back), 0);
    assert_int_equal(emo__reid_claim(&r, big_b, live_none, 0, &back), 0);
    /* The nearest of two candidates. */
    const float box_c[4] = { 340, 100, 80, 100 };
    emo__reid_depart(&r, 8, 0, box_c, r.now, 1);
    const float between[4] = { 335 - 40, 150 - 40, 80, 80 };
    assert_int_equal(emo__reid_claim(&r, between, live_none, 0, &back), 1);
    assert_int_equal(back.id, 5);
    /* Kept reid_seconds, then forgotten: 8 left at t = 1 s. */
    fr.pts = 14.0;
    emo__reid_frame(&r, &fr);
    assert_int_equal(r.n_gone, 1);
    fr.pts = 14.1;
    emo__reid_frame(&r, &fr);
    assert_int_equal(r.n_gone, 0);
    /* An id handed back keeps its original departure time (a start the mesh
     * rejected): kept in time order, it expires 3 s after it first left. */
    emo__reid_depart(&r, 11, 0, box_a, r.now, 1);
    emo__reid_depart(&r, 12, 0, box_b, r.now - 2.5, 1);
    assert_int_equal(r.n_gone, 2);
    assert_int_equal(r.gone[0].id, 12);
    fr.pts = 14.7;
    emo__reid_frame(&r, &fr);
    assert_int_equal(r.n_gone, 1);
    assert_int_equal(r.gone[0].id, 11);
    /* Full: the oldest makes room. */
    for (int k = 0; k < EMO_FACE_MAX; k++)
        emo__reid_depart(&r, 100 + k, 0, box_a, r.now, 1);
    assert_int_equal(r.n_gone, EMO_FACE_MAX);
    assert_int_equal(r.gone[0].id, 100);
    assert_int_equal(r.gone[EMO_FACE_MAX - 1].id, 100 + EMO_FACE_MAX - 1);
    /* reid_seconds = 0: nothing is kept. */
    emo__reid_init(&r, 0, 0);
    emo__reid_depart(&r, 3, 1, box_a, r.now, 40);
    assert_int_equal(r.n_gone, 0);
}

/* Time from the timestamps, else one frame step: the last real one, 1/30 s at first. */
static void test_clock(void **state)
{
    (void)state;
    EmoReid r;
    emo__reid_init(&r, 3.0, 0);
    EmoFrame fr = { .fmt = EMO_PIX_BGRA, .width = 64, .height = 64 };
    for (int i = 0; i < 30; i++)
        emo__reid_frame(&r, &fr); /* pts 0 throughout */
    assert_true(fabs(r.now - 29.0 / 30.0) < 1e-9);
    emo__reid_init(&r, 3.0, 0);
    for (int i = 0; i < 10; i++) {
        fr.pts = 5.0 + 0.04 * i; /* 25 fps */
        emo__reid_frame(&r, &fr);
    }
    assert_true(fabs(r.now - 0.36) < 1e-9);
    fr.pts = 0; /* a looped file: back to the start */
    emo__reid_frame(&r, &fr);
    assert_true(fabs(r.now - 0.40) < 1e-9);
    fr.pts = 10.0; /* a gap of 10 s is time passing */
    emo__reid_frame(&r, &fr);
    assert_true(fabs(r.now - 10.40) < 1e-9);
    fr.pts = 10.04;
    emo__reid_frame(&r, &fr);
    assert_true(fabs(r.now - 10.44) < 1e-9);
}

/* Fills a BGRA frame: value v, or a horizontal ramp when ramp. */
static void fill(EmoFrame *f, int v, int ramp)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            uint8_t *p = f->data[0] + (size_t)y * f->stride[0] + 4 * (size_t)x;
            int g = ramp ? x * 255 / (f->width - 1) : v;
            p[0] = p[1] = p[2] = (uint8_t)g;
            p[3] = 255;
        }
}

static void test_cut_score(void **state)
{
    (void)state;
    EmoFrame *a = NULL, *b = NULL;
    assert_int_equal(emo_frame_alloc(&a, EMO_PIX_BGRA, 320, 240), 0);
    assert_int_equal(emo_frame_alloc(&b, EMO_PIX_BGRA, 320, 240), 0);
    uint8_t ca[EMO_CUT_CELLS], cb[EMO_CUT_CELLS];
    fill(a, 0, 1);
    emo__cut_cells(a, ca);
    assert_true(ca[0] < 10 && ca[EMO_CUT_GX - 1] > 245);
    assert_true(emo__cut_score(ca, ca) == 0.0f);
    /* Mirrored ramp: every cell but the middle ones changed, same histogram: no cut. */
    for (int y = 0; y < b->height; y++)
        for (int x = 0; x < b->width; x++)
            memcpy(b->data[0] + (size_t)y * b->stride[0] + 4 * (size_t)x,
                   a->data[0] + (size_t)y * a->stride[0] + 4 * (size_t)(a->width - 1 - x), 4);
    emo__cut_cells(b, cb);
    printf("ramp -> mirrored ramp: cut score %.3f\n", emo__cut_score(ca, cb));
    assert_true(emo__cut_score(ca, cb) < 0.1f);
    /* Flat mid gray against the ramp: both measures high. */
    fill(b, 128, 0);
    emo__cut_cells(b, cb);
    float s = emo__cut_score(ca, cb);
    printf("ramp -> flat gray: cut score %.3f\n", s);
    assert_true(s > 0.8f);
    /* Through emo__reid_frame: the second frame is the cut, once; departed faces are forgotten. */
    EmoReid r;
    emo__reid_init(&r, 3.0, 0.3);
    assert_int_equal(emo__reid_frame(&r, a), 0);
    assert_int_equal(emo__reid_frame(&r, a), 0);
    const float box[4] = { 10, 10, 50, 50 };
    emo__reid_depart(&r, 2, 0, box, r.now, 3);
    assert_int_equal(emo__reid_frame(&r, b), 1);
    assert_int_equal(r.n_gone, 0);
    assert_int_equal(emo__reid_frame(&r, b), 0);
    assert_int_equal(r.cuts, 1);
    /* RGB24 frames give the same cells. */
    EmoFrame *rgb = NULL;
    assert_int_equal(emo_frame_alloc(&rgb, EMO_PIX_RGB24, 320, 240), 0);
    const float identity[6] = { 1, 0, 0, 0, 1, 0 }; /* pixel centres: the exact values */
    emo__warp_u8(a, identity, a->width, a->height, 3, rgb->data[0], rgb->stride[0]);
    emo__cut_cells(rgb, cb);
    assert_memory_equal(ca, cb, EMO_CUT_CELLS);
    emo_frame_unref(&rgb);
    emo_frame_unref(&a);
    emo_frame_unref(&b);
}

/* The shared clips have no cuts: none detected, and the score's margin printed. */
static void test_clips_no_cut(void **state)
{
    (void)state;
    static const char *clips[] = { "d0.mp4", "d3.mp4", "d6.mp4", "d9.mp4", "d10.mp4", "d12.mp4" };
    EmoFaceSettings def;
    EmoFaceTrackerSettings ts;
    emo_face_tracker_default_settings(&ts);
    def = ts.face;
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "testdata/video/%s", clips[c]);
        TmReader rd;
        assert_int_equal(tm_open(&rd, emo_test_shared(rel)), 0);
        EmoReid r;
        emo__reid_init(&r, def.reid_seconds, def.cut_threshold);
        EmoFrame *f;
        int frames = 0;
        float worst = 0;
        while ((f = tm_next(&rd))) {
            assert_int_equal(emo__reid_frame(&r, f), 0);
            worst = fmaxf(worst, r.last_score);
            frames++;
        }
        printf("%s: %d frames, highest cut score %.3f (threshold %.2f)\n", clips[c], frames, worst,
               def.cut_threshold);
        assert_true(frames > 50);
        assert_int_equal(r.cuts, 0);
        tm_close(&rd);
    }
}

/* A cut between any two of the shared stills (each stretched to one frame
 * size): every pair scores at or above the default threshold; the lowest
 * printed (docs/face.md). */
static void test_stills_cut(void **state)
{
    (void)state;
    static const char *stills[] = { "expressions/angry", "expressions/disgusted", "expressions/fearful",
                                    "expressions/happy", "expressions/neutral",   "expressions/sad",
                                    "expressions/surprised", "obama", "biden" };
    enum { N = sizeof(stills) / sizeof(stills[0]) };
    static uint8_t cells[N][EMO_CUT_CELLS];
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 640, 480), 0);
    for (int i = 0; i < N; i++) {
        char rel[96];
        snprintf(rel, sizeof(rel), "testdata/faces/%s.jpg", stills[i]);
        EmoFrame *img = tm_load_image(emo_test_shared(rel));
        assert_non_null(img);
        const float m[6] = { (float)img->width / 640, 0, 0, 0, (float)img->height / 480, 0 };
        emo__warp_u8(img, m, 640, 480, 4, f->data[0], f->stride[0]);
        emo__cut_cells(f, cells[i]);
        emo_frame_unref(&img);
    }
    EmoFaceTrackerSettings ts;
    emo_face_tracker_default_settings(&ts);
    float low = 1;
    int lo_i = 0, lo_j = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            float s = emo__cut_score(cells[i], cells[j]);
            if (s < low) {
                low = s;
                lo_i = i;
                lo_j = j;
            }
        }
    printf("cuts between %d stills: lowest score %.3f (%s -> %s), threshold %.2f\n", N, low, stills[lo_i],
           stills[lo_j], ts.face.cut_threshold);
    assert_true(low >= ts.face.cut_threshold);
    emo_frame_unref(&f);
}

/* ------------------------------------------------------------ sequences */

typedef struct Still {
    EmoFrame *img;
    float cx, cy, size; /* its face: detection box centre and side */
} Still;

static EmoFaceTracker *open_tracker(int max_faces, double reid_seconds, double cut_threshold)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    emo_test_model("face_detection_short_range.tflite");
    emo_test_model("face_landmark.tflite");
    emo_test_model("face_landmarker.task");
    emo_test_model("canonical_face_model.obj");
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "landmarker");
    s.face.landmarker_faces = 1;
    s.face.max_faces = max_faces;
    s.face.reid_seconds = reid_seconds;
    s.face.cut_threshold = cut_threshold;
    EmoFaceTracker *t = NULL;
    assert_int_equal(emo_face_tracker_open(&t, &s), 0);
    return t;
}

/* Loads a shared still and finds its face (one, clearly). */
static void load_still(EmoFaceTracker *t, const char *rel, Still *st)
{
    st->img = tm_load_image(emo_test_shared(rel));
    assert_non_null(st->img);
    EmoDetection d[4];
    int n = emo_face_detect(t, st->img, d, 4);
    assert_true(n >= 1);
    st->cx = d[0].x + 0.5f * d[0].w;
    st->cy = d[0].y + 0.5f * d[0].h;
    st->size = fmaxf(d[0].w, d[0].h);
}

static void fill_rgb(EmoFrame *f, uint8_t b, uint8_t g, uint8_t r)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            uint8_t *p = f->data[0] + (size_t)y * f->stride[0] + 4 * (size_t)x;
            p[0] = b;
            p[1] = g;
            p[2] = r;
            p[3] = 255;
        }
}

/* Draws the still's face into f: a square of side `side` around the face,
 * the face `face` pixels wide, centred at (x, y). */
static void draw_face(EmoFrame *f, const Still *st, float x, float y, float face, int side)
{
    float k = st->size / face;
    int x0 = (int)lroundf(x - 0.5f * side), y0 = (int)lroundf(y - 0.5f * side);
    assert_true(x0 >= 0 && y0 >= 0 && x0 + side <= f->width && y0 + side <= f->height);
    const float m[6] = { k, 0, st->cx - 0.5f * side * k, 0, k, st->cy - 0.5f * side * k };
    emo__warp_u8(st->img, m, side, side, 4, f->data[0] + (size_t)y0 * f->stride[0] + 4 * (size_t)x0,
                 f->stride[0]);
}

static const char *expr[6] = { "angry", "disgusted", "fearful", "happy", "sad", "surprised" };

/* Montage cell centres of a 2x3 grid at 1280x720, face k drawn with a
 * small wobble at frame i unless hidden[k]; shifted[k] moves it by (dx, dy). */
static void draw_montage(EmoFrame *f, const Still *st, int i, const int *hidden, const float (*shift)[2])
{
    fill_rgb(f, 96, 96, 96);
    for (int k = 0; k < 6; k++) {
        if (hidden && hidden[k])
            continue;
        float x = 213.0f + 427.0f * (float)(k % 3) + 6.0f * sinf(0.3f * (float)i + (float)k),
              y = 180.0f + 360.0f * (float)(k / 3) + 4.0f * cosf(0.25f * (float)i + 2.0f * (float)k);
        if (shift) {
            x += shift[k][0];
            y += shift[k][1];
        }
        draw_face(f, st + k, x, y, 240.0f, 330);
    }
}

/* Which entry of list holds a face whose box centre lies within the cell of
 * montage face k; -1 when none. */
static int face_in_cell(const EmoFaceList *list, int k)
{
    float cx = 213.0f + 427.0f * (float)(k % 3), cy = 180.0f + 360.0f * (float)(k / 3);
    for (int i = 0; i < list->count; i++) {
        const float *b = list->faces[i].box;
        if (fabsf(b[0] + 0.5f * b[2] - cx) < 200 && fabsf(b[1] + 0.5f * b[3] - cy) < 170)
            return i;
    }
    return -1;
}

/* (a) Six faces wobbling a little keep six distinct ids; (b) one of them
 * leaves for 1.5 s and comes back 30 px from its place: same id; two
 * neighbours leave and come back: each its own id; one gone for longer
 * than reid_seconds: a new id. */
static void test_montage(void **state)
{
    (void)state;
    EmoFaceTracker *t = open_tracker(6, 3.0, 0.3);
    Still st[6];
    for (int k = 0; k < 6; k++) {
        char rel[96];
        snprintf(rel, sizeof(rel), "testdata/faces/expressions/%s.jpg", expr[k]);
        load_still(t, rel, &st[k]);
    }
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 1280, 720), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    int ids[6] = { 0 }, points[6] = { 0 }, i = 0;
    int hidden[6] = { 0 };
    float shift[6][2] = { { 0 } };
    /* Phase 1: 40 frames, every face found and its id held. */
    for (; i < 40; i++) {
        draw_montage(f, st, i, NULL, NULL);
        f->pts = i / FPS;
        assert_int_equal(emo_face_tracker_process(t, f, list), 0);
        assert_int_equal(list->cut, 0);
        if (i < 5)
            continue; /* the first frames find them */
        assert_int_equal(list->count, 6);
        for (int k = 0; k < 6; k++) {
            int at = face_in_cell(list, k);
            assert_true(at >= 0);
            if (i == 5) {
                ids[k] = list->faces[at].id;
                points[k] = list->faces[at].n_landmarks;
            }
            assert_int_equal(list->faces[at].id, ids[k]);
        }
    }
    for (int k = 0; k < 6; k++)
        for (int j = k + 1; j < 6; j++)
            assert_int_not_equal(ids[k], ids[j]);
    printf("montage: ids %d %d %d %d %d %d, points %d %d %d %d %d %d\n", ids[0], ids[1], ids[2], ids[3], ids[4],
           ids[5], points[0], points[1], points[2], points[3], points[4], points[5]);
    /* Phase 2: face 4 (sad) gone 1.5 s; back 30 px right, 5 px down. Faces 0
     * and 1 (neighbours) gone 1 s from 5 frames later, back in place. Half
     * the people leaving in one frame would be a new shot (3 of these 330 px
     * squares are 35% of the frame; the cut score counts changed cells). */
    const int gone_at = i;
    int back[6] = { 1, 1, 1, 1, 1, 1 };
    for (; i < gone_at + 120; i++) {
        int dt = i - gone_at;
        hidden[4] = dt < 45;
        hidden[0] = hidden[1] = dt >= 5 && dt < 35;
        shift[4][0] = 30;
        shift[4][1] = 5;
        draw_montage(f, st, i, hidden, (const float(*)[2])shift);
        f->pts = i / FPS;
        assert_int_equal(emo_face_tracker_process(t, f, list), 0);
        assert_int_equal(list->cut, 0);
        for (int k = 0; k < 6; k++) {
            int at = face_in_cell(list, k);
            if (hidden[k]) {
                assert_int_equal(at, -1);
                back[k] = 0;
                continue;
            }
            if (at < 0)
                continue; /* back, not found yet (the detector runs every detect_interval frames) */
            if (!back[k])
                printf("face %d (%s) at frame %d: id %d\n", k, expr[k], dt, list->faces[at].id);
            back[k] = 1;
            assert_int_equal(list->faces[at].id, ids[k]);
            /* Its landmark network too (face.landmarker_faces = 1: one face has the 478-point landmarker). */
            assert_int_equal(list->faces[at].n_landmarks, points[k]);
        }
    }
    for (int k = 0; k < 6; k++)
        assert_true(back[k]);
    int64_t comebacks, cuts, tracks;
    emo_face_tracker_group_stats(t, &comebacks, &cuts);
    emo_face_tracker_stats(t, NULL, NULL, &tracks);
    assert_int_equal(comebacks, 3);
    assert_int_equal(cuts, 0);
    assert_int_equal(tracks, 6);
    /* Phase 3: face 2 gone 4 s (> reid_seconds): a new id. */
    const int gone2 = i;
    int new_id = 0;
    for (; i < gone2 + 160; i++) {
        hidden[2] = i - gone2 < 120;
        draw_montage(f, st, i, hidden, (const float(*)[2])shift);
        f->pts = i / FPS;
        assert_int_equal(emo_face_tracker_process(t, f, list), 0);
        int at = face_in_cell(list, 2);
        if (at >= 0 && !hidden[2])
            new_id = list->faces[at].id;
    }
    printf("face 2 back after 4 s: id %d (was %d)\n", new_id, ids[2]);
    assert_true(new_id > ids[5] && new_id > ids[2]);
    emo_face_tracker_group_stats(t, &comebacks, NULL);
    assert_int_equal(comebacks, 3);
    for (int k = 0; k < 6; k++)
        emo_frame_unref(&st[k].img);
    emo_frame_unref(&f);
    free(list);
    emo_face_tracker_close(&t);
}

/* One face on a plain background: gone for `gone` frames, then back dx
 * pixels from where it was. Returns its id after it came back relative to
 * before: 0 same id, 1 a new one. Timestamps at 30 fps, or none (pts 0:
 * the frame-step fallback). */
static int single(const Still *st, int gone, float dx, int with_pts)
{
    EmoFaceTracker *t = open_tracker(4, 3.0, 0.3);
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 960, 540), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    int id = -1, after = -1;
    for (int i = 0; i < 10 + gone + 40 && after < 0; i++) {
        fill_rgb(f, 90, 110, 100);
        int away = i >= 10 && i < 10 + gone;
        if (!away)
            draw_face(f, st, 200.0f + (i >= 10 ? dx : 0) + 3.0f * sinf((float)i), 270, 160, 240);
        f->pts = with_pts ? 100.0 + i / FPS : 0;
        assert_int_equal(emo_face_tracker_process(t, f, list), 0);
        if (i < 10) {
            assert_int_equal(list->count, 1);
            id = i == 0 ? list->faces[0].id : id;
            assert_int_equal(list->faces[0].id, id);
        } else if (away) {
            assert_int_equal(list->count, 0);
        } else if (list->count == 1) {
            after = list->faces[0].id;
        }
    }
    printf("gone %d frames (%s), back %.0f px away: id %d -> %d\n", gone, with_pts ? "30 fps" : "no timestamps",
           dx, id, after);
    assert_true(after > 0);
    emo_frame_unref(&f);
    free(list);
    emo_face_tracker_close(&t);
    return after != id;
}

static void test_single_comeback(void **state)
{
    (void)state;
    EmoFaceTracker *t = open_tracker(4, 3.0, 0.3);
    Still st;
    load_still(t, "testdata/faces/obama.jpg", &st);
    emo_face_tracker_close(&t);
    /* The face is 160 px wide: 100 px is near, 400 px is elsewhere. */
    assert_int_equal(single(&st, 45, 100, 1), 0);
    assert_int_equal(single(&st, 45, 400, 1), 1);
    assert_int_equal(single(&st, 120, 0, 1), 1);
    assert_int_equal(single(&st, 45, 0, 0), 0);
    assert_int_equal(single(&st, 120, 0, 0), 1);
    emo_frame_unref(&st.img);
}

/* (c) Shot cuts: one face, then at once another face at the same place on
 * another background: a cut, a new id. Then a face, a cut to an empty
 * scene, and another face where the first was: without the cut it would
 * come back under the first one's id; with it, a new id. */
static void cut_sequence(EmoFaceTracker *t, const Still *a, const Still *b, int with_gap, int *id_a, int *id_b,
                         int *cut_at)
{
    EmoFrame *f = NULL;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 1280, 720), 0);
    EmoFaceList *list = calloc(1, sizeof(*list));
    assert_non_null(list);
    *id_a = *id_b = -1;
    *cut_at = -1;
    const int b_from = with_gap ? 20 : 10;
    for (int i = 0; i < b_from + 10; i++) {
        if (i < 10) {
            fill_rgb(f, 200, 180, 150);
            draw_face(f, a, 640, 360, 260, 400);
        } else {
            fill_rgb(f, 40, 50, 45);
            if (i >= b_from)
                draw_face(f, b, 640, 360, 260, 400);
        }
        f->pts = i / FPS;
        assert_int_equal(emo_face_tracker_process(t, f, list), 0);
        if (list->cut) {
            assert_int_equal(*cut_at, -1);
            *cut_at = i;
        }
        if (i == 9) {
            assert_int_equal(list->count, 1);
            *id_a = list->faces[0].id;
        }
        if (i == b_from + 9) {
            assert_int_equal(list->count, 1);
            *id_b = list->faces[0].id;
        }
    }
    emo_frame_unref(&f);
    free(list);
}

static void test_cuts(void **state)
{
    (void)state;
    EmoFaceTracker *t = open_tracker(4, 3.0, 0.3);
    Still a, b;
    load_still(t, "testdata/faces/obama.jpg", &a);
    load_still(t, "testdata/faces/biden.jpg", &b);
    int id_a, id_b, cut_at;
    int64_t cuts, comebacks;
    for (int gap = 0; gap < 2; gap++) {
        emo_face_tracker_reset(t);
        cut_sequence(t, &a, &b, gap, &id_a, &id_b, &cut_at);
        printf("cut%s: ids %d -> %d, cut at frame %d\n", gap ? " to an empty shot" : "", id_a, id_b, cut_at);
        assert_int_equal(cut_at, 10);
        assert_true(id_b > id_a);
    }
    emo_face_tracker_group_stats(t, &comebacks, &cuts);
    assert_int_equal(cuts, 2);
    assert_int_equal(comebacks, 0);
    emo_face_tracker_close(&t);
    /* The same with cut detection off: the second face takes the first one's
     * id back (it is where the first left, 0.3 s later). */
    t = open_tracker(4, 3.0, 0);
    cut_sequence(t, &a, &b, 1, &id_a, &id_b, &cut_at);
    printf("cut detection off: ids %d -> %d\n", id_a, id_b);
    assert_int_equal(cut_at, -1);
    assert_int_equal(id_b, id_a);
    emo_face_tracker_close(&t);
    emo_frame_unref(&a.img);
    emo_frame_unref(&b.img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comeback_rule), cmocka_unit_test(test_clock),
        cmocka_unit_test(test_cut_score),     cmocka_unit_test(test_clips_no_cut),
        cmocka_unit_test(test_stills_cut),
        cmocka_unit_test(test_single_comeback), cmocka_unit_test(test_montage),
        cmocka_unit_test(test_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
