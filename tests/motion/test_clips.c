/* Injected movements on real talking-head clips (../shared/testdata/video).
 * Each clip is decoded here (test-only FFmpeg helper in mtest.h), a square
 * at a fixed position per clip (picked by inspecting a frame so that the
 * canonical face model's landmarks fall on the brows, eyes and mouth) is
 * resized to the 96-px normalised face, and regions are warped for a known
 * 4-12 frames with a raised-cosine profile. The landmarks given to the
 * detector (and used to place the warps) are the canonical model's.
 *
 * The clips hold real expressions and head motion: a first pass without
 * injections lists what the detector finds on its own (reported as false
 * positives of the clean clip, though most are real movements); injections
 * are then placed in calm stretches only (see calm()), one at a time, the
 * kinds in turn. */
#include "mtest.h"

#define SIZE 96
#define MAX_FRAMES 300
#define CALM_FLOW 0.3 /* px per frame: mean |compensated flow| over the face in a calm stretch */

typedef struct Clip {
    const char *file;
    double cx, cy, side; /* face square: centre x as a fraction of the width, centre y and side of the height */
} Clip;

static const Clip clips[] = {
    { "testdata/video/d0.mp4", 0.50, 0.59, 0.67 },  { "testdata/video/d3.mp4", 0.50, 0.63, 0.75 },
    { "testdata/video/d6.mp4", 0.45, 0.61, 0.67 },  { "testdata/video/d9.mp4", 0.48, 0.54, 0.73 },
    { "testdata/video/d10.mp4", 0.50, 0.59, 0.66 }, { "testdata/video/d12.mp4", 0.52, 0.49, 0.64 },
};

static const MtInject kinds[] = {
    { EMO_REGION_LEFT_BROW, 0, -2.0, 0, 8 },
    { EMO_REGION_RIGHT_MOUTH_CORNER, -1.5, -1.5, 0, 6 },
    { EMO_REGION_RIGHT_BROW, 0, -1.5, 0, 10 },
    { EMO_REGION_LOWER_LIP, 0, 2.5, 0, 12 },
    { EMO_REGION_LEFT_MOUTH_CORNER, 2.0, -1.0, 0, 5 },
    { EMO_REGION_LEFT_BROW, 0, 2.0, 0, 8 },
    { EMO_REGION_UPPER_LIP, 0, -2.0, 0, 4 },
    { EMO_REGION_CHIN, 0, 3.0, 0, 9 },
    { EMO_REGION_RIGHT_BROW, 0, -3.0, 0, 7 },
    { EMO_REGION_LEFT_MOUTH_CORNER, 2.0, 0, 0, 6 },
};
#define NKINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };

typedef struct Run {
    MtEvents ev;
    float mag[MAX_FRAMES][EMO_REGION_COUNT];
    float face[MAX_FRAMES]; /* mean |compensated flow| over the face, px */
} Run;

static void run(const uint8_t *faces, const MtGray *frames, const MtWarp *base, int n, double fps, const float *lm,
                const float *lm_detector, const MtInject *inj, int ninj, Run *out)
{
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    EmoMotion *m = NULL;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), 0);
    uint8_t face[SIZE * SIZE];
    out->ev.n = 0;
    for (int f = 0; f < n; f++) {
        const uint8_t *img = faces + (size_t)f * SIZE * SIZE;
        MtWarp w = *base;
        mt_add_injections(&w, lm, inj, ninj, f);
        if (w.nbump) {
            mt_warp(&frames[f], &w, SIZE, face);
            img = face;
        }
        EmoMotionFrame r;
        assert_int_equal(emo_motion_push(m, img, SIZE, lm_detector, f / fps, f, &r), 0);
        mt_collect(m, r.n_events, &out->ev);
        for (int k = 0; k < EMO_REGION_COUNT; k++)
            out->mag[f][k] = r.region[k].magnitude;
        out->face[f] = r.mean_magnitude;
    }
    mt_collect(m, emo_motion_flush(m), &out->ev);
    emo_motion_close(&m);
}

/* A stretch is calm for a region when the clean pass has no event of that
 * region within 5 frames of it, the region's magnitude stays under half the
 * threshold and the face's mean compensated flow under CALM_FLOW there. */
static int calm(const Run *clean, int region, int start, int len, int n, double thr)
{
    if (start < 5 || start + len + 5 >= n)
        return 0;
    for (int f = start - 5; f < start + len + 5; f++)
        if (clean->mag[f][region] > 0.5 * thr || clean->face[f] > CALM_FLOW)
            return 0;
    for (int j = 0; j < clean->ev.n; j++) {
        const EmoMotionEvent *e = &clean->ev.ev[j];
        if ((int)e->region == region && e->offset >= start - 5 && e->onset <= start + len + 5)
            return 0;
    }
    return 1;
}

static void test_injected_on_clips(void **state)
{
    (void)state;
    float lm[2 * EMO_MESH_POINTS];
    mt_canonical_landmarks(SIZE, lm);
    MtScore total_lm = { 0, 0, 0, 0 }, total_nolm = { 0, 0, 0, 0 };
    int clean_events = 0, clean_micro = 0, total_frames = 0, slots = 0, skipped = 0;
    double total_seconds = 0;
    Run *clean = malloc(sizeof(*clean)), *inj_run = malloc(sizeof(*inj_run));
    MtGray *frames = calloc(MAX_FRAMES, sizeof(*frames));
    uint8_t *faces = malloc((size_t)MAX_FRAMES * SIZE * SIZE);
    assert_non_null(clean);
    assert_non_null(inj_run);
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        double fps = 25;
        int n = mt_decode_gray(emo_test_shared(clips[c].file), MAX_FRAMES, frames, &fps);
        assert_true(n >= 60);
        /* Halve the frames first (box filter): the 96-px crops then need only
         * 2x2 supersampling, which keeps the test fast under sanitizers. */
        for (int f = 0; f < n; f++)
            mt_shrink(&frames[f], 2);
        MtWarp base = { .cx = frames[0].w * clips[c].cx, .cy = frames[0].h * clips[c].cy,
                        .side = frames[0].h * clips[c].side, .zoom = 1 };
        for (int f = 0; f < n; f++)
            mt_warp(&frames[f], &base, SIZE, faces + (size_t)f * SIZE * SIZE);
        run(faces, frames, &base, n, fps, lm, lm, NULL, 0, clean);
        int micro = 0;
        for (int j = 0; j < clean->ev.n; j++)
            micro += clean->ev.ev[j].micro;
        print_message("%s: %d frames at %.0f fps; clean clip: %d events (%d micro)\n", clips[c].file, n, fps,
                      clean->ev.n, micro);
        if (getenv("MT_VERBOSE"))
            mt_print_events(&clean->ev, "  clean");
        clean_events += clean->ev.n;
        clean_micro += micro;
        total_frames += n;
        total_seconds += n / fps;
        /* Kinds in turn, each at the first calm stretch at least 8 frames
         * after the previous injection ended (one injection at a time); a
         * kind with no calm stretch left in the clip is skipped. */
        MtInject inj[64];
        int ninj = 0, kind = (int)c, next = 8, misses = 0;
        while (ninj < 64 && misses < NKINDS) {
            MtInject in = kinds[kind++ % NKINDS];
            int start = next;
            while (start + in.len + 6 < n && !calm(clean, in.region, start, in.len, n, 3.0))
                start++;
            slots++;
            if (start + in.len + 6 >= n) {
                skipped++;
                misses++;
                continue;
            }
            misses = 0;
            in.start = start;
            inj[ninj++] = in;
            next = start + in.len + 8;
        }
        MtScore sc = { 0, 0, 0, 0 };
        run(faces, frames, &base, n, fps, lm, lm, inj, ninj, inj_run);
        mt_score(&inj_run->ev, inj, ninj, &sc, clips[c].file);
        if (getenv("MT_VERBOSE"))
            mt_print_events(&inj_run->ev, "  injected");
        MtScore sc2 = { 0, 0, 0, 0 };
        run(faces, frames, &base, n, fps, lm, NULL, inj, ninj, inj_run);
        mt_score(&inj_run->ev, inj, ninj, &sc2, clips[c].file);
        print_message("  injected %d: found %d with landmarks (%d collateral), %d without landmarks\n", ninj, sc.found,
                      sc.collateral, sc2.found);
        total_lm.injected += sc.injected;
        total_lm.found += sc.found;
        total_lm.collateral += sc.collateral;
        total_nolm.injected += sc2.injected;
        total_nolm.found += sc2.found;
        for (int f = 0; f < n; f++)
            free(frames[f].px);
    }
    print_message("clips: %d frames (%.1f s); clean-clip events %d (%d micro) = %.1f per minute; slots %d, skipped "
                  "(no calm stretch left) %d\n", total_frames, total_seconds, clean_events, clean_micro,
                  clean_events * 60.0 / total_seconds, slots, skipped);
    print_message("injected events found: %d/%d with landmarks (%.1f%%), %d/%d without (%.1f%%); collateral events "
                  "in other regions %d\n", total_lm.found, total_lm.injected, 100.0 * total_lm.found / total_lm.injected,
                  total_nolm.found, total_nolm.injected, 100.0 * total_nolm.found / total_nolm.injected,
                  total_lm.collateral);
    /* Measured 7/10 with landmarks and 5/10 without (docs/motion.md): under
     * the 90 % asked for, which the still-face test meets; these clips are
     * expressive throughout and injections overlap real movements. The
     * bounds below only guard against regressions. */
    assert_true(total_lm.injected >= 8);
    assert_true(total_lm.found * 10 >= total_lm.injected * 6);
    assert_true(total_nolm.found * 10 >= total_nolm.injected * 4);
    free(clean);
    free(inj_run);
    free(frames);
    free(faces);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_injected_on_clips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
