/* Face motion on a still face moved by synthetic head motion: no events from
 * global motion alone; injected local movements found with the right region
 * and direction. Direction classes, regions, JSON/CSV, bad input. */
#include "mtest.h"


#define SIZE 96
#define FPS 30.0
#define NFRAMES 200

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };

static void test_directions(void **state)
{
    (void)state;
    /* Image coordinates: y down, so Up is negative dy. */
    assert_int_equal(emo_direction_classify(0, -1), EMO_DIR_UP);
    assert_int_equal(emo_direction_classify(1, -1), EMO_DIR_UP_RIGHT);
    assert_int_equal(emo_direction_classify(1, 0), EMO_DIR_RIGHT);
    assert_int_equal(emo_direction_classify(1, 1), EMO_DIR_DOWN_RIGHT);
    assert_int_equal(emo_direction_classify(0, 1), EMO_DIR_DOWN);
    assert_int_equal(emo_direction_classify(-1, 1), EMO_DIR_DOWN_LEFT);
    assert_int_equal(emo_direction_classify(-1, 0), EMO_DIR_LEFT);
    assert_int_equal(emo_direction_classify(-1, -1), EMO_DIR_UP_LEFT);
    /* Sector edges at 22.5 degrees. */
    assert_int_equal(emo_direction_classify(1, -0.40), EMO_DIR_RIGHT);
    assert_int_equal(emo_direction_classify(1, -0.42), EMO_DIR_UP_RIGHT);
    assert_int_equal(emo_direction_classify(0, 0), EMO_DIR_NONE);
    assert_int_equal(emo_direction_classify(NAN, 1), EMO_DIR_NONE);
    assert_string_equal(emo_direction_name(EMO_DIR_UP), "Up Movement");
    assert_string_equal(emo_direction_name(EMO_DIR_DOWN_LEFT), "Down-Left Movement");
    assert_string_equal(emo_direction_name(EMO_DIR_NONE), "None");
    assert_string_equal(emo_direction_name(99), "None");
    assert_string_equal(emo_region_name(EMO_REGION_CHIN), "chin");
    assert_string_equal(emo_region_name(-1), "?");
}

/* The landmark sets sit where their names say on the canonical model, and
 * the fixed boxes used without landmarks match them. */
static void test_regions_on_canonical_model(void **state)
{
    (void)state;
    float lm[2 * EMO_MESH_POINTS];
    mt_canonical_landmarks(SIZE, lm);
    double cx[EMO_REGION_COUNT], cy[EMO_REGION_COUNT];
    for (int r = 0; r < EMO_REGION_COUNT; r++) {
        int n;
        const int *idx = emo_region_landmarks(r, &n);
        assert_non_null(idx);
        assert_true(n >= 5);
        cx[r] = cy[r] = 0;
        float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
        for (int i = 0; i < n; i++) {
            assert_true(idx[i] >= 0 && idx[i] < EMO_MESH_POINTS);
            cx[r] += lm[2 * idx[i]] / n;
            cy[r] += lm[2 * idx[i] + 1] / n;
            x0 = fminf(x0, lm[2 * idx[i]]);
            x1 = fmaxf(x1, lm[2 * idx[i]]);
            y0 = fminf(y0, lm[2 * idx[i] + 1]);
            y1 = fmaxf(y1, lm[2 * idx[i] + 1]);
        }
        /* Fixed boxes are the canonical boxes (docs/motion.md), to 1 px. */
        int box[4];
        emo__region_fixed_box(r, SIZE, 0, box);
        assert_true(fabsf((float)box[0] - x0) <= 1 && fabsf((float)box[2] - x1) <= 1);
        assert_true(fabsf((float)box[1] - y0) <= 1 && fabsf((float)box[3] - y1) <= 1);
    }
    /* Subject's left is the image's right. */
    assert_true(cx[EMO_REGION_LEFT_BROW] > SIZE / 2 && cx[EMO_REGION_RIGHT_BROW] < SIZE / 2);
    assert_true(cx[EMO_REGION_LEFT_EYE] > SIZE / 2 && cx[EMO_REGION_RIGHT_EYE] < SIZE / 2);
    assert_true(cx[EMO_REGION_LEFT_MOUTH_CORNER] > cx[EMO_REGION_UPPER_LIP]);
    assert_true(cx[EMO_REGION_RIGHT_MOUTH_CORNER] < cx[EMO_REGION_UPPER_LIP]);
    assert_true(cx[EMO_REGION_LEFT_CHEEK] > SIZE / 2 && cx[EMO_REGION_RIGHT_CHEEK] < SIZE / 2);
    /* Top to bottom: brows, eyes, nose, upper lip, lower lip, chin. */
    assert_true(cy[EMO_REGION_LEFT_BROW] < cy[EMO_REGION_LEFT_EYE]);
    assert_true(cy[EMO_REGION_LEFT_EYE] < cy[EMO_REGION_NOSE]);
    assert_true(cy[EMO_REGION_NOSE] < cy[EMO_REGION_UPPER_LIP]);
    assert_true(cy[EMO_REGION_UPPER_LIP] < cy[EMO_REGION_LOWER_LIP]);
    assert_true(cy[EMO_REGION_LOWER_LIP] < cy[EMO_REGION_CHIN]);
    /* Lips outer contour: corners 61 (image left) and 291 (image right). */
    assert_true(lm[2 * 61] < lm[2 * 291]);
    assert_true(fabsf(lm[2 * 61 + 1] - lm[2 * 291 + 1]) < 0.5f);
    int ns;
    const int *st = emo_motion_stable_landmarks(&ns);
    assert_true(ns >= 10);
    /* Stable points belong to no expressive region. */
    for (int i = 0; i < ns; i++)
        for (int r = 0; r < EMO_REGION_COUNT; r++) {
            int n;
            const int *idx = emo_region_landmarks(r, &n);
            for (int j = 0; j < n; j++)
                assert_int_not_equal(st[i], idx[j]);
        }
}

/* Smooth synthetic head motion: shift, nod-like vertical shift, roll, zoom. */
static void head_motion(MtWarp *w, int f, double scale)
{
    const double tau = 2 * 3.14159265358979323846;
    w->tx = scale * 2.5 * sin(tau * f / 60.0);
    w->ty = scale * 1.5 * sin(tau * f / 45.0 + 1);
    w->angle = scale * 2.0 * (3.14159265358979323846 / 180) * sin(tau * f / 75.0);
    w->zoom = 1 + scale * 0.03 * sin(tau * f / 90.0 + 2);
}

static const MtInject still_injections[] = {
    { EMO_REGION_LEFT_BROW, 0, -2.0, 12, 8 },
    { EMO_REGION_RIGHT_MOUTH_CORNER, -1.5, -1.5, 32, 6 },
    { EMO_REGION_RIGHT_BROW, 0, -1.5, 52, 10 },
    { EMO_REGION_LOWER_LIP, 0, 2.5, 74, 12 },
    { EMO_REGION_LEFT_MOUTH_CORNER, 2.0, -1.0, 98, 5 },
    { EMO_REGION_LEFT_BROW, 0, 2.0, 118, 8 },
    { EMO_REGION_UPPER_LIP, 0, -2.0, 140, 4 },
    { EMO_REGION_CHIN, 0, 3.0, 158, 9 },
    { EMO_REGION_RIGHT_BROW, 0, -3.0, 178, 7 },
};

static const char *const spotters[2] = { "transient", "rest" };

static void run_still_with(const EmoMotionSettings *s, int use_landmarks, double motion, const MtInject *inj,
                           int ninj, MtEvents *ev, double *max_head_mag);

static void run_still(const char *spotter, int use_landmarks, double motion, const MtInject *inj, int ninj,
                      MtEvents *ev, double *max_head_mag)
{
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    snprintf(s.spotter, sizeof(s.spotter), "%s", spotter);
    run_still_with(&s, use_landmarks, motion, inj, ninj, ev, max_head_mag);
}

/* End of a run on the still face: the open events, then the handle and the image go. */
static void finish_run(EmoMotion **m, MtEvents *ev, MtGray *img)
{
    mt_collect(*m, emo_motion_flush(*m), ev);
    emo_motion_close(m);
    free(img->px);
}

static void run_still_with(const EmoMotionSettings *s, int use_landmarks, double motion, const MtInject *inj,
                           int ninj, MtEvents *ev, double *max_head_mag)
{
    MtGray img[1] = { { 0, 0, NULL } };
    assert_int_equal(mt_decode_gray(emo_test_shared("testdata/faces/obama.jpg"), 1, img, NULL), 1);
    mt_shrink(img, 2);
    float lm[2 * EMO_MESH_POINTS];
    mt_canonical_landmarks(SIZE, lm);
    EmoMotion *m = NULL;
    assert_int_equal(emo_motion_open(&m, s, SIZE, &quiet), 0);
    uint8_t face[SIZE * SIZE];
    ev->n = 0;
    *max_head_mag = 0;
    for (int f = 0; f < NFRAMES; f++) {
        MtWarp w = { .cx = img->w * 0.5, .cy = img->h * 0.244, .side = img->h * 0.248, .zoom = 1 };
        head_motion(&w, f, motion);
        mt_add_injections(&w, lm, inj, ninj, f);
        mt_warp(img, &w, SIZE, face);
        EmoMotionFrame r;
        assert_int_equal(emo_motion_push(m, face, SIZE, use_landmarks ? lm : NULL, f / FPS, f, &r), 0);
        mt_collect(m, r.n_events, ev);
        for (int k = 0; k < EMO_REGION_COUNT; k++) {
            int hit = 0;
            for (int i = 0; i < ninj; i++)
                hit |= inj[i].region == k && f >= inj[i].start - 2 && f < inj[i].start + inj[i].len + 6;
            if (!hit && r.region[k].magnitude > *max_head_mag)
                *max_head_mag = r.region[k].magnitude;
        }
    }
    finish_run(&m, ev, img);
}

static void test_still_global_motion_no_events(void **state)
{
    (void)state;
    MtEvents *ev = malloc(sizeof(*ev));
    for (int sp = 0; sp < 2; sp++)
    for (int lmk = 0; lmk < 2; lmk++) {
        double mx;
        run_still(spotters[sp], lmk, 1.0, NULL, 0, ev, &mx);
        print_message("%s spotter: still face, head motion only, %s landmarks: %d events, max region magnitude "
                      "%.3f (threshold 3.0)\n", spotters[sp], lmk ? "with" : "without", ev->n, mx);
        mt_print_events(ev, "  unexpected");
        assert_int_equal(ev->n, 0);
    }
    free(ev);
}

static void test_still_injected(void **state)
{
    (void)state;
    MtEvents *ev = malloc(sizeof(*ev));
    const int ninj = (int)(sizeof(still_injections) / sizeof(still_injections[0]));
    for (int sp = 0; sp < 2; sp++)
    for (int lmk = 0; lmk < 2; lmk++)
        for (int mo = 0; mo < 2; mo++) {
            double mx;
            run_still(spotters[sp], lmk, mo, still_injections, ninj, ev, &mx);
            MtScore sc = { 0 };
            char tag[80];
            snprintf(tag, sizeof(tag), "%s: still%s%s", spotters[sp], lmk ? "+landmarks" : "", mo ? "+head motion" : "");
            mt_score(ev, still_injections, ninj, &sc, tag);
            print_message("%s: found %d/%d injected, %d collateral, %d unexplained events; max magnitude "
                          "elsewhere %.3f\n", tag, sc.found, sc.injected, sc.collateral, sc.unexplained, mx);
            if (getenv("MT_VERBOSE"))
                mt_print_events(ev, tag);
            assert_true(sc.found * 10 >= sc.injected * 9);
            assert_int_equal(sc.unexplained, 0);
        }
    free(ev);
}

/* A synthetic blink on the still face: both upper lids warped down to
 * the lower lids and back over 0.3 s (9 frames at 30 fps, raised cosine),
 * the upper-lid landmarks moved with them (as the face mesh follows a
 * blink), with and without head motion: exactly one event, of type blink,
 * named after an eye and pointing down, and no micro-expression. Without
 * landmarks the flow rule (both eyes, vertical) gives the one blink too. */
/* Lid gap over eye width, both eyes' mean (what motion reports as eye_open). */
static float eye_opening(const float *lm)
{
    const int p[2][4] = { { 159, 145, 33, 133 }, { 386, 374, 362, 263 } };
    float o = 0;
    for (int e = 0; e < 2; e++)
        o += 0.5f * hypotf(lm[2 * p[e][0]] - lm[2 * p[e][1]], lm[2 * p[e][0] + 1] - lm[2 * p[e][1] + 1]) /
             hypotf(lm[2 * p[e][2]] - lm[2 * p[e][3]], lm[2 * p[e][2] + 1] - lm[2 * p[e][3] + 1]);
    return o;
}

static void run_blink(int use_landmarks, double motion, MtEvents *ev)
{
    MtGray img[1] = { { 0, 0, NULL } };
    assert_int_equal(mt_decode_gray(emo_test_shared("testdata/faces/obama.jpg"), 1, img, NULL), 1);
    mt_shrink(img, 2);
    float rest[2 * EMO_MESH_POINTS], lm[2 * EMO_MESH_POINTS];
    mt_canonical_landmarks(SIZE, rest);
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    EmoMotion *m = NULL;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), 0);
    const MtInject blink = { EMO_REGION_LEFT_EYE, 0, 0, 40, 9 }; /* only its profile is used */
    const int eyes[2] = { EMO_REGION_LEFT_EYE, EMO_REGION_RIGHT_EYE }, upper[2] = { 386, 159 }, lower[2] = { 374, 145 };
    uint8_t face[SIZE * SIZE];
    ev->n = 0;
    for (int f = 0; f < 90; f++) {
        const double a = mt_profile(&blink, f);
        MtWarp w = { .cx = img->w * 0.5, .cy = img->h * 0.244, .side = img->h * 0.248, .zoom = 1 };
        head_motion(&w, f, motion);
        memcpy(lm, rest, sizeof(lm));
        for (int e = 0; e < 2; e++) {
            int n;
            const int *idx = emo_region_landmarks(eyes[e], &n);
            double x0 = 1e9, x1 = -1e9, cy = 0;
            for (int i = 0; i < n; i++) {
                x0 = fmin(x0, rest[2 * idx[i]]);
                x1 = fmax(x1, rest[2 * idx[i]]);
                cy += rest[2 * idx[i] + 1] / n;
            }
            /* The upper lid (landmarks above the eye's centre) comes down to
             * the lower lid: the warp moves the band above the centre. */
            const double gap = rest[2 * lower[e] + 1] - rest[2 * upper[e] + 1], d = 0.9 * gap * a;
            for (int i = 0; i < n; i++)
                if (rest[2 * idx[i] + 1] < cy)
                    lm[2 * idx[i] + 1] += (float)d;
            if (a > 0 && w.nbump < MT_MAX_BUMPS) {
                int b = w.nbump++;
                w.bx[b] = (x0 + x1) / 2 + 0.5;
                w.by[b] = cy - gap / 2 + 0.5;
                w.bhw[b] = (x1 - x0) / 2;
                w.bhh[b] = gap / 2 + 1;
                w.bdx[b] = 0;
                w.bdy[b] = d;
            }
        }
        mt_warp(img, &w, SIZE, face);
        EmoMotionFrame r;
        assert_int_equal(emo_motion_push(m, face, SIZE, use_landmarks ? lm : NULL, f / FPS, f, &r), 0);
        if (use_landmarks && f == 44)
            assert_true(r.eye_open < 0.5f * eye_opening(rest)); /* the frame record's eye_open follows */
        mt_collect(m, r.n_events, ev);
    }
    finish_run(&m, ev, img);
}

static void test_blink(void **state)
{
    (void)state;
    MtEvents *ev = malloc(sizeof(*ev));
    assert_non_null(ev);
    for (int lmk = 1; lmk >= 0; lmk--)
        for (int mo = 0; mo < 2; mo++) {
            run_blink(lmk, mo, ev);
            char tag[64];
            snprintf(tag, sizeof(tag), "blink%s%s", lmk ? "+landmarks" : "", mo ? "+head motion" : "");
            print_message("%s: %d events\n", tag, ev->n);
            mt_print_events(ev, tag);
            int blinks = 0, micro = 0;
            for (int i = 0; i < ev->n; i++) {
                const EmoMotionEvent *e = &ev->ev[i];
                micro += e->micro;
                if (e->type != EMO_EVENT_BLINK)
                    continue;
                blinks++;
                assert_true(e->region == EMO_REGION_LEFT_EYE || e->region == EMO_REGION_RIGHT_EYE);
                assert_true(e->peak_dy > 0);
                /* Within the blink's frames (40-48), known a window late. */
                assert_true(e->onset >= 36 && e->offset <= 52 && e->apex >= 40 && e->apex <= 48);
            }
            assert_int_equal(blinks, 1);
            assert_int_equal(micro, 0);
            assert_int_equal(ev->n, 1);
        }
    free(ev);
}

/* Per-region head-motion fits (region_fit) keep more of a region's own
 * movement: the transient spotter's apex displacement, projected on the
 * injected direction, over the injected displacement, mean of the nine
 * injections on the still face under head motion with landmarks, with the
 * global fit only (region_fit 0) and with the default per-region fits. */
static double mean_kept(const EmoMotionSettings *s, MtEvents *ev, int *found)
{
    const int ninj = (int)(sizeof(still_injections) / sizeof(still_injections[0]));
    double mx, sum = 0;
    run_still_with(s, 1, 1.0, still_injections, ninj, ev, &mx);
    *found = 0;
    for (int i = 0; i < ninj; i++) {
        const MtInject *in = &still_injections[i];
        double d = hypot(in->dx, in->dy), best = -1, kept = 0;
        for (int j = 0; j < ev->n; j++) {
            const EmoMotionEvent *e = &ev->ev[j];
            double iou = mt_iou(e->onset, e->offset, in->start, in->start + in->len - 1);
            if ((int)e->region == in->region && iou > best) {
                best = iou;
                kept = (e->peak_dx * in->dx + e->peak_dy * in->dy) / (d * d);
            }
        }
        *found += best >= 0.5;
        sum += kept;
    }
    return sum / ninj;
}

static void test_region_fit_keeps_amplitude(void **state)
{
    (void)state;
    MtEvents *ev = malloc(sizeof(*ev));
    assert_non_null(ev);
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    assert_true(s.region_fit > 0);
    int found_own, found_global;
    double own = mean_kept(&s, ev, &found_own);
    s.region_fit = 0;
    double global = mean_kept(&s, ev, &found_global);
    print_message("injections on the still face under head motion, with landmarks: mean apex displacement kept "
                  "%.3f with per-region fits (region_fit default), %.3f with the global fit only; found %d and %d "
                  "of 9\n", own, global, found_own, found_global);
    assert_true(own > global + 0.02);
    assert_true(found_own >= found_global);
    free(ev);
}

/* The head rule (docs/motion.md, "Spotting"): a brow movement made while
 * the jaw opens the mouth (lower lip, chin and corners down) is the
 * brow's, since the lower face alone cannot be the head; the same brow
 * movement shared by the other brow, the eyes and the lower face is the
 * head's (what the affine compensation left), and no brow event comes of
 * it. Still face, no head motion, with landmarks; the brows' injections
 * scored as the other tests score theirs (mt_score). */
static void test_head_rule(void **state)
{
    (void)state;
    MtEvents *ev = malloc(sizeof(*ev));
    assert_non_null(ev);
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    double mx;
    /* Brow down while the jaw opens the mouth. */
    const MtInject jaw[] = {
        { EMO_REGION_RIGHT_BROW, 0, 1.5, 60, 10 },       { EMO_REGION_LOWER_LIP, 0, 3.0, 59, 12 },
        { EMO_REGION_CHIN, 0, 3.5, 59, 12 },             { EMO_REGION_LEFT_MOUTH_CORNER, 0, 1.5, 59, 12 },
        { EMO_REGION_RIGHT_MOUTH_CORNER, 0, 1.5, 59, 12 },
    };
    run_still_with(&s, 1, 0, jaw, 5, ev, &mx);
    if (getenv("MT_VERBOSE"))
        mt_print_events(ev, "jaw");
    MtScore jaw_sc = { 0 };
    mt_score(ev, jaw, 1, &jaw_sc, "brow during the jaw opening");
    int with_jaw = jaw_sc.found;
    /* The same brow movement in every region but the nose and cheeks. */
    const MtInject head[] = {
        { EMO_REGION_RIGHT_BROW, 0, 1.5, 60, 10 },       { EMO_REGION_LEFT_BROW, 0, 1.5, 60, 10 },
        { EMO_REGION_LEFT_EYE, 0, 1.5, 60, 10 },         { EMO_REGION_RIGHT_EYE, 0, 1.5, 60, 10 },
        { EMO_REGION_UPPER_LIP, 0, 1.5, 60, 10 },        { EMO_REGION_LOWER_LIP, 0, 1.5, 60, 10 },
        { EMO_REGION_LEFT_MOUTH_CORNER, 0, 1.5, 60, 10 }, { EMO_REGION_RIGHT_MOUTH_CORNER, 0, 1.5, 60, 10 },
    };
    run_still_with(&s, 1, 0, head, 8, ev, &mx);
    if (getenv("MT_VERBOSE"))
        mt_print_events(ev, "head");
    MtScore head_sc = { 0 };
    mt_score(ev, head, 2, &head_sc, "brows shared with the eyes and the mouth (a miss is what is expected)");
    int with_head = head_sc.found;
    print_message("right brow down 1.5 px while the jaw opens: %d brow event(s); shared with the other brow, the "
                  "eyes and the mouth: %d brow event(s)\n", with_jaw, with_head);
    assert_int_equal(with_jaw, 1);
    assert_int_equal(with_head, 0);
    free(ev);
}

static void test_bad_input(void **state)
{
    (void)state;
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    EmoMotion *m = NULL;
    assert_int_equal(emo_motion_open(&m, &s, 8, &quiet), EMO_EINVAL);
    assert_null(m);
    s.max_duration = 0.01;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.hysteresis = 0;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    snprintf(s.spotter, sizeof(s.spotter), "peaks");
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.window = 0;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.return_ratio = 2;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.region_fit = NAN;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.region_fit = 0.6;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.noise_delay = -1;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), EMO_EINVAL);
    emo_motion_default_settings(&s);
    s.frame_gap = 3;
    assert_int_equal(emo_motion_open(&m, &s, SIZE, &quiet), 0);
    uint8_t face[SIZE * SIZE];
    memset(face, 128, sizeof(face));
    EmoMotionFrame r;
    assert_int_equal(emo_motion_push(m, face, SIZE - 1, NULL, 0, 0, &r), EMO_EINVAL);
    assert_int_equal(emo_motion_push(m, NULL, SIZE, NULL, 0, 0, &r), EMO_EINVAL);
    assert_int_equal(emo_motion_push(m, face, SIZE, NULL, NAN, 0, &r), EMO_EINVAL);
    float lm[2 * EMO_MESH_POINTS];
    mt_canonical_landmarks(SIZE, lm);
    lm[100] = NAN;
    assert_int_equal(emo_motion_push(m, face, SIZE, lm, 0, 0, &r), EMO_EINVAL);
    lm[100] = 1e6f;
    assert_int_equal(emo_motion_push(m, face, SIZE, lm, 0, 0, &r), EMO_EINVAL);
    const float *u, *v;
    assert_int_equal(emo_motion_flow(m, &u, &v), EMO_EAGAIN);
    /* frame_gap 3: the first flow comes with the 4th face. */
    for (int f = 0; f < 4; f++) {
        assert_int_equal(emo_motion_push(m, face, SIZE, NULL, f / FPS, f * 2, &r), 0);
        assert_int_equal(r.has_flow, f == 3);
    }
    assert_int_equal(r.frame_gap, 6);
    assert_int_equal(emo_motion_flow(m, &u, &v), 0);
    /* Time must advance. */
    assert_int_equal(emo_motion_push(m, face, SIZE, NULL, 0.01, 7, &r), EMO_EINVAL);
    assert_int_equal(emo_motion_push(m, face, SIZE, NULL, 1.0, 6, &r), EMO_EINVAL);
    emo_motion_reset(m);
    assert_int_equal(emo_motion_push(m, face, SIZE, NULL, 0.0, 0, &r), 0);
    assert_int_equal(emo_motion_flush(m), 0);
    assert_null(emo_motion_event(m, 0));
    emo_motion_close(&m);
    emo_motion_close(&m);
    emo_motion_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_regions_on_canonical_model),
        cmocka_unit_test(test_still_global_motion_no_events),
        cmocka_unit_test(test_still_injected),
        cmocka_unit_test(test_region_fit_keeps_amplitude),
        cmocka_unit_test(test_head_rule),
        cmocka_unit_test(test_blink),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
