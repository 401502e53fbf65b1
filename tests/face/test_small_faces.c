/* Small faces (issue 17): how the landmarks and the emotion of a face drift
 * from those of the same face seen larger as it shrinks to 24 px, which is
 * what face.min_reliable_size rests on; a 24 px face is meshed, aligned and
 * analysed; the size and the low-confidence mark on EmoFace. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/adapt.h>
#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <emoscope/face.h>

#include "small_faces.h"

/* The faces measured: the shared stills, each face on its own. */
static const char *const stills[] = {
    "faces/expressions/angry.jpg",   "faces/expressions/disgusted.jpg", "faces/expressions/fearful.jpg",
    "faces/expressions/happy.jpg",   "faces/expressions/neutral.jpg",   "faces/expressions/sad.jpg",
    "faces/expressions/surprised.jpg", "faces/obama.jpg",               "faces/biden.jpg",
    "faces/two_people.jpg",          "faces/obama_and_biden.jpg",       "faces/landmarks68/einstein.jpg",
    "faces/landmarks68/breakingbad.jpg", "faces/landmarks68/takeo.ppm",
};
#define N_STILLS (int)(sizeof(stills) / sizeof(stills[0]))
#define MAX_FACES 32

/* Face widths measured (px); 0 stands for the face at its own size. */
static const int widths[] = { 0, 128, 96, 64, 48, 40, 32, 28, 24, 20, 16 };
#define N_WIDTHS (int)(sizeof(widths) / sizeof(widths[0]))

/* A face is seen on a still as on a video of SETTLE + AVG frames: the crop of
 * each frame comes from the previous one's landmarks; the figures are the
 * mean over the last AVG frames (a still does not give one fixed point). */
#define SETTLE 4
#define AVG 4
/* The crop around a face that is made small: this many face widths a side
 * (the short-range detector then sees the face at a third of its input
 * whatever its size; detecting small faces in large frames is the floor
 * tests' matter, test_small_floors.c). */
#define CONTEXT 3.0

typedef struct Ref {
    const char *still;
    float cx, cy, width;     /* face centre and size_px at full size */
    float lm[EMO_FACE_LANDMARKS][2];
    float fused[EMO_EMOTION_COUNT];
} Ref;

typedef struct Ctx {
    double min_reliable; /* face.min_reliable_size of the tracker (the default) */
    EmoFaceTracker *t;
    EmoEnsemble *ens;
    EmoFaceList *list;
} Ctx;

static void ctx_open(Ctx *c, const char *mesh_model, double min_conf)
{
    EmoFaceTrackerSettings s;
    emo_face_tracker_default_settings(&s);
    snprintf(s.models_dir, sizeof(s.models_dir), "%s", EMO_TEST_MODELS_DIR);
    emo_test_model("face_detection_short_range.tflite");
    emo_test_model(strcmp(mesh_model, "landmarker") ? "face_landmark.tflite" : "face_landmarker.task");
    emo_test_model("canonical_face_model.obj");
    snprintf(s.face.mesh_model, sizeof(s.face.mesh_model), "%s", mesh_model);
    s.face.landmarker_faces = 0;
    s.face.min_detection_confidence = min_conf;
    s.face.max_faces = 8;
    c->min_reliable = s.face.min_reliable_size;
    c->t = NULL;
    assert_int_equal(emo_face_tracker_open(&c->t, &s), 0);
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoEnsembleSettings *es = calloc(1, sizeof(*es));
    assert_non_null(es);
    emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5");
    emo_test_model("fer2013_big_XCEPTION.54-0.66.hdf5");
    assert_int_equal(emo_ensemble_settings_from_config(es, &cfg, EMO_TEST_MODELS_DIR, cfg.emotion.models, NULL), 0);
    c->ens = NULL;
    assert_int_equal(emo_ensemble_open(&c->ens, es), 0);
    free(es);
    emo_config_clear(&cfg);
    c->list = calloc(1, sizeof(*c->list));
    assert_non_null(c->list);
}

static void ctx_close(Ctx *c)
{
    emo_face_tracker_close(&c->t);
    emo_ensemble_close(&c->ens);
    free(c->list);
}

/* The fused emotion of face f of frame img: the pipeline's 64x64 gray alignment and models. */
static void emotion_of(Ctx *c, const EmoFrame *img, const EmoFace *f, float fused[EMO_EMOTION_COUNT])
{
    int w, h;
    emo_ensemble_input_size(c->ens, &w, &h);
    int size = w > h ? w : h;
    uint8_t *crop = malloc((size_t)size * (size_t)size);
    assert_non_null(crop);
    assert_int_equal(emo_face_align(img, f, size, EMO_ALIGN_GRAY8, crop, size), 0);
    EmoImage im = { crop, size, size, size, EMO_PIX_GRAY8 };
    EmoEmotionResult r;
    assert_int_equal(emo_ensemble_run(c->ens, &im, &r), 0);
    memcpy(fused, r.fused, sizeof(r.fused));
    free(crop);
}

/* The face of list nearest to (cx, cy) within half a face width of it, or NULL. */
static const EmoFace *face_at(const EmoFaceList *list, float cx, float cy, float width)
{
    const EmoFace *best = NULL;
    float best_d = 0.25f * width * width;
    for (int i = 0; i < list->count; i++) {
        const float *b = list->faces[i].box;
        float dx = b[0] + 0.5f * b[2] - cx, dy = b[1] + 0.5f * b[3] - cy;
        if (dx * dx + dy * dy < best_d) {
            best = &list->faces[i];
            best_d = dx * dx + dy * dy;
        }
    }
    return best;
}

/* Runs the tracker on img as on a still video: 1 when the face at the
 * frame's centre, width px wide, is tracked over the last AVG frames (its
 * landmarks averaged into lm, its last frame in *last), else 0. A
 * neighbour's face partly in the frame may be tracked too. */
static int track_still(Ctx *c, const EmoFrame *img, float width, float (*lm)[2], EmoFace *last)
{
    emo_face_tracker_reset(c->t);
    memset(lm, 0, sizeof(float) * 2 * EMO_FACE_LANDMARKS);
    const EmoFace *f = NULL;
    for (int k = 0; k < SETTLE + AVG; k++) {
        assert_int_equal(emo_face_tracker_process(c->t, img, c->list), 0);
        if (k < SETTLE)
            continue;
        if (!(f = face_at(c->list, 0.5f * img->width, 0.5f * img->height, width)))
            return 0;
        for (int i = 0; i < EMO_FACE_LANDMARKS; i++)
            for (int d = 0; d < 2; d++)
                lm[i][d] += f->landmarks[i][d] / AVG;
    }
    *last = *f;
    return 1;
}

/* The faces of the stills at full size (default threshold 0.5). */
static int find_refs(Ctx *c, Ref *refs)
{
    int n = 0;
    for (int s = 0; s < N_STILLS; s++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "testdata/%s", stills[s]);
        EmoFrame *img = tm_load_image(emo_test_shared(rel));
        assert_non_null(img);
        SfFace found[MAX_FACES];
        int k = sf_find_faces(c->t, c->list, img, SETTLE, found, MAX_FACES - n);
        if (k < 1)
            fail_msg("no face tracked on %s", stills[s]);
        for (int i = 0; i < k; i++, n++) {
            refs[n].still = stills[s];
            refs[n].cx = found[i].cx;
            refs[n].cy = found[i].cy;
            refs[n].width = found[i].width;
        }
        emo_frame_unref(&img);
    }
    return n;
}

typedef struct Stat {
    int faces, found, top1;
    double nme[MAX_FACES], tv[MAX_FACES];
} Stat;

static double mean_of(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m += v[i] / n;
    return m;
}

static double max_of(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m = fmax(m, v[i]);
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, int n)
{
    double t[MAX_FACES];
    memcpy(t, v, sizeof(double) * (size_t)n);
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    return n ? 0.5 * (t[(n - 1) / 2] + t[n / 2]) : 0;
}

/* Face r made `width` px wide (0: its own size) in a crop of CONTEXT face
 * widths; adds its landmark drift (NME: mean distance of the 468 points to
 * those of the face at full size in the same crop, over the distance of the
 * outer eye corners 33-263) and its emotion drift (total variation between
 * the fused probabilities, and whether the top emotion is the same) to st.
 * width 0 makes the reference instead. Checks the face's size_px and its
 * low-confidence mark against min_reliable (the tracker's setting). */
static void measure(Ctx *c, const EmoFrame *img, Ref *r, int width, double min_reliable, Stat *st)
{
    int side = (int)lrint(CONTEXT * r->width);
    int x0 = (int)lrint(r->cx - 0.5 * side), y0 = (int)lrint(r->cy - 0.5 * side);
    int out = width ? (int)lrint(CONTEXT * width) : side;
    EmoFrame *small = tm_resample(img, x0, y0, side, side, out, out);
    assert_non_null(small);
    float k = (float)side / (float)out, lm[EMO_FACE_LANDMARKS][2];
    EmoFace f;
    st->faces++;
    int ok = track_still(c, small, (float)out / (float)CONTEXT, lm, &f);
    if (getenv("EMO_FACE_VERBOSE"))
        printf("  %s face at %.0f,%.0f (%.0f px) at %d px: %s\n", r->still, r->cx, r->cy, r->width, width,
               ok ? "tracked" : "LOST");
    if (!ok && width == 0)
        fail_msg("%s: the face at (%.0f, %.0f) is not tracked in its own crop", r->still, r->cx, r->cy);
    if (ok) {
        /* The size the records carry: the face's width in this frame (it
         * moves with the landmarks: 0.83-1.09 of the width asked for at
         * 16-24 px, within 1% from 32 px up). */
        float want = width ? (float)width : r->width;
        if (!(fabsf(f.size_px - want) <= 0.2f * want))
            fail_msg("%s: size_px %.1f for a face %.1f px wide", r->still, f.size_px, want);
        assert_int_equal(!!(f.flags & EMO_FACE_LOW_CONFIDENCE), f.size_px < min_reliable);
        float fused[EMO_EMOTION_COUNT];
        emotion_of(c, small, &f, fused);
        for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
            lm[i][0] = x0 + k * lm[i][0];
            lm[i][1] = y0 + k * lm[i][1];
        }
        if (width == 0) {
            memcpy(r->lm, lm, sizeof(lm));
            memcpy(r->fused, fused, sizeof(fused));
        }
        double iod = hypot(r->lm[33][0] - r->lm[263][0], r->lm[33][1] - r->lm[263][1]), e = 0, tv = 0;
        for (int i = 0; i < EMO_FACE_LANDMARKS; i++)
            e += hypot(lm[i][0] - r->lm[i][0], lm[i][1] - r->lm[i][1]) / iod / EMO_FACE_LANDMARKS;
        for (int j = 0; j < EMO_EMOTION_COUNT; j++)
            tv += 0.5 * fabs(fused[j] - r->fused[j]);
        if (getenv("EMO_FACE_VERBOSE"))
            printf("    NME %.2f%% TV %.3f\n", 100 * e, tv);
        st->nme[st->found] = 100 * e;
        st->tv[st->found] = tv;
        st->top1 += emo_emotion_argmax(fused) == emo_emotion_argmax(r->fused);
        st->found++;
    }
    emo_frame_unref(&small);
}

/* The table of docs/face.md ("Small faces"), for one landmark network. */
static void drift_table(const char *mesh_model, Stat *stats, double *min_reliable)
{
    Ctx c;
    ctx_open(&c, mesh_model, 0.5);
    *min_reliable = c.min_reliable;
    Ref *refs = calloc(MAX_FACES, sizeof(*refs));
    assert_non_null(refs);
    int n = find_refs(&c, refs);
    memset(stats, 0, sizeof(Stat) * N_WIDTHS);
    for (int s = 0; s < N_STILLS; s++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "testdata/%s", stills[s]);
        EmoFrame *img = tm_load_image(emo_test_shared(rel));
        assert_non_null(img);
        for (int i = 0; i < n; i++)
            if (refs[i].still == stills[s])
                for (int w = 0; w < N_WIDTHS; w++)
                    measure(&c, img, &refs[i], widths[w], c.min_reliable, &stats[w]);
        emo_frame_unref(&img);
    }
    printf("%s, %d faces (full-size widths", mesh_model, n);
    for (int i = 0; i < n; i++)
        printf(" %.0f", refs[i].width);
    printf(" px):\n| face width | tracked | landmark drift (NME %%: median / mean / worst) | emotion drift "
           "(TV: median / mean / worst) | same top emotion |\n| --- | --- | --- | --- | --- |\n");
    for (int w = 1; w < N_WIDTHS; w++) {
        const Stat *st = &stats[w];
        printf("| %d px | %d/%d | %.2f / %.2f / %.2f | %.3f / %.3f / %.3f | %d/%d |\n", widths[w], st->found,
               st->faces, median_of(st->nme, st->found), mean_of(st->nme, st->found), max_of(st->nme, st->found),
               median_of(st->tv, st->found), mean_of(st->tv, st->found), max_of(st->tv, st->found), st->top1,
               st->found);
    }
    free(refs);
    ctx_close(&c);
}

/* Faces made 16 to 128 px wide, with both landmark networks: a face of 24
 * px is still tracked, meshed, aligned and analysed; at and above
 * face.min_reliable_size the landmarks and the emotion stay near those of
 * the same face seen large (the bounds hold the measured figures with some
 * room), and the records' size and mark are right at every size. */
static void test_drift(void **state)
{
    (void)state;
    static const char *const models[] = { "landmarker", "facemesh" };
    for (int m = 0; m < 2; m++) {
        Stat stats[N_WIDTHS];
        double min_reliable;
        drift_table(models[m], stats, &min_reliable);
        assert_true(min_reliable > 24);
        for (int w = 1; w < N_WIDTHS; w++) {
            const Stat *st = &stats[w];
            /* Every face down to 24 px with the landmarker; the face mesh
             * may lose the grainy 1921 photo of Einstein at some sizes (the
             * detector finds it, the mesh's presence stays under 0.5). */
            if (widths[w] >= 24)
                assert_true(st->found >= st->faces - (m == 1));
            if (widths[w] >= min_reliable) {
                assert_true(mean_of(st->nme, st->found) < 1.8);
                assert_true(mean_of(st->tv, st->found) < 0.28);
            }
        }
    }
}
int main(void)
{
    av_log_set_level(AV_LOG_ERROR); /* not swscale's notes on JPEG's full-range pixel formats */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
