/* The ensemble on the real models: golden probabilities through the
 * registry's preprocessing, fusion, flip TTA, per-face scheduling by stream
 * time, EMA, face eviction, config-defined models, DeepFace layout. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <emoscope/adapt.h>
#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emotion/faces.h"

/* Swallows expected error messages. */
static void drop_log(void *ud, EmoLogLevel level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

static const EmoLogger quiet = { NULL, NULL, EMO_LOG_WARN };

static const char *models_dir(void)
{
    static char dir[1024];
    snprintf(dir, sizeof(dir), "%s", emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"));
    *strrchr(dir, '/') = 0;
    return dir;
}

/* A golden input tensor back to the 8-bit image it was made from. */
static uint8_t *golden_image(const char *rel, int n, int pm1)
{
    float *x = emo_test_read_f32(emo_test_shared(rel), (size_t)n);
    uint8_t *px = malloc((size_t)n);
    assert_non_null(px);
    for (int i = 0; i < n; i++) {
        double v = pm1 ? (x[i] + 1) / 2 * 255 : x[i] * 255;
        assert_true(fabs(v - lrint(v)) < 1e-3); /* the golden inputs are 8-bit images */
        px[i] = (uint8_t)lrint(v);
    }
    free(x);
    return px;
}

static EmoEnsemble *open_default(const char *list, int flip, double interval, int max_faces)
{
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, models_dir(), list, &quiet), 0);
    s->flip_tta = flip;
    s->interval = interval;
    s->max_faces = max_faces;
    EmoEnsemble *e;
    assert_int_equal(emo_ensemble_open(&e, s), 0);
    free(s);
    emo_config_clear(&cfg);
    return e;
}

static void test_golden(void **state)
{
    (void)state;
    EmoEnsemble *e = open_default("mini_xception,big_xception", 0, 0, 4);
    int w, h;
    emo_ensemble_input_size(e, &w, &h);
    assert_int_equal(w, 64);
    assert_int_equal(h, 64);
    const char *cases[] = { "fer_angry_PublicTest_10116449", "fer_angry_PublicTest_10813312",
                            "fer_angry_PublicTest_11521746" };
    const char *dirs[] = { "fer2013_mini_XCEPTION", "fer2013_big_XCEPTION" };
    for (int c = 0; c < 3; c++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/input.f32", dirs[0], cases[c]);
        uint8_t *px = golden_image(rel, 64 * 64, 1);
        EmoImage img = { px, 64, 64, 64, EMO_PIX_GRAY8 };
        EmoEmotionResult r;
        assert_int_equal(emo_ensemble_run(e, &img, &r), 0);
        assert_int_equal(r.n_models, 2);
        assert_string_equal(r.model_names[0], "mini_xception");
        for (int m = 0; m < 2; m++) {
            snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/probs.f32", dirs[m], cases[c]);
            float *want = emo_test_read_f32(emo_test_shared(rel), 7);
            assert_true(r.available[m]);
            for (int k = 0; k < 7; k++)
                assert_float_equal(r.model_probs[m][k], want[k], 1e-4);
            free(want);
        }
        /* Default fusion: weighted mean with the default weights of the two
         * (mini 0.3, big 0.4), normalised over the models present. */
        for (int k = 0; k < 7; k++)
            assert_float_equal(r.fused[k], (0.3f * r.model_probs[0][k] + 0.4f * r.model_probs[1][k]) / 0.7f, 1e-6);
        assert_int_equal(r.dominant, emo_emotion_argmax(r.fused));
        free(px);
    }
    emo_ensemble_close(&e);
    assert_null(e);
    emo_ensemble_close(&e);
}

/* A 64x64 golden face (returned, to be freed) and its mirror image into mir. */
static uint8_t *golden_face_and_mirror(uint8_t mir[64 * 64])
{
    uint8_t *px = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_10813312/input.f32",
                               64 * 64, 1);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            mir[y * 64 + x] = px[y * 64 + 63 - x];
    return px;
}

static void test_flip_tta(void **state)
{
    (void)state;
    uint8_t mir[64 * 64];
    uint8_t *px = golden_face_and_mirror(mir);
    EmoEnsemble *plain = open_default("mini_xception", 0, 0, 4);
    EmoEnsemble *tta = open_default("mini_xception", 1, 0, 4);
    EmoImage a = { px, 64, 64, 64, EMO_PIX_GRAY8 }, b = { mir, 64, 64, 64, EMO_PIX_GRAY8 };
    EmoEmotionResult ra, rb, rt;
    assert_int_equal(emo_ensemble_run(plain, &a, &ra), 0);
    assert_int_equal(emo_ensemble_run(plain, &b, &rb), 0);
    assert_int_equal(emo_ensemble_run(tta, &a, &rt), 0);
    double diff = 0;
    for (int k = 0; k < 7; k++) {
        assert_float_equal(rt.model_probs[0][k], 0.5f * (ra.model_probs[0][k] + rb.model_probs[0][k]), 1e-6);
        diff += fabs(ra.model_probs[0][k] - rb.model_probs[0][k]);
    }
    assert_true(diff > 1e-4); /* the mirror really is a different input */
    emo_ensemble_close(&plain);
    emo_ensemble_close(&tta);
    free(px);
}

/* flip on one model ([model.NAME] flip = true): that model averages the
 * face and its mirror image, the others see the face alone, even where they
 * share its preprocessing (mini and big Xception share one input tensor). */
static void test_flip_per_model(void **state)
{
    (void)state;
    uint8_t mir[64 * 64];
    uint8_t *px = golden_face_and_mirror(mir);
    EmoEnsemble *plain = open_default("mini_xception,big_xception", 0, 0, 4);
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, models_dir(), "mini_xception,big_xception", &quiet),
                     0);
    s->models[1].flip = 1;
    s->max_faces = 4;
    EmoEnsemble *one;
    assert_int_equal(emo_ensemble_open(&one, s), 0);
    free(s);
    emo_config_clear(&cfg);
    EmoImage a = { px, 64, 64, 64, EMO_PIX_GRAY8 }, b = { mir, 64, 64, 64, EMO_PIX_GRAY8 };
    EmoEmotionResult ra, rb, r1;
    assert_int_equal(emo_ensemble_run(plain, &a, &ra), 0);
    assert_int_equal(emo_ensemble_run(plain, &b, &rb), 0);
    assert_int_equal(emo_ensemble_run(one, &a, &r1), 0);
    double diff = 0;
    for (int k = 0; k < 7; k++) {
        assert_float_equal(r1.model_probs[0][k], ra.model_probs[0][k], 1e-7);
        assert_float_equal(r1.model_probs[1][k], 0.5f * (ra.model_probs[1][k] + rb.model_probs[1][k]), 1e-6);
        diff += fabs(ra.model_probs[1][k] - rb.model_probs[1][k]);
    }
    assert_true(diff > 1e-4);
    emo_ensemble_close(&plain);
    emo_ensemble_close(&one);
    free(px);
}

static void test_schedule_pure(void **state)
{
    (void)state;
    assert_true(emo__emotion_due(0, 0, 5.0, 0.3));   /* never ran */
    assert_true(emo__emotion_due(1, 1.0, 1.0, 0));   /* interval 0: every frame */
    assert_false(emo__emotion_due(1, 1.0, 1.2, 0.3));
    assert_true(emo__emotion_due(1, 1.0, 1.3, 0.3)); /* exactly elapsed (1.3 - 1.0 rounds below 0.3) */
    assert_true(emo__emotion_due(1, 1.0, 2.0, 0.3));
    assert_true(emo__emotion_due(1, 1.0, 0.5, 0.3)); /* time went back: seek or loop */

    EmoFaceState f[2];
    memset(f, 0, sizeof(f));
    EmoFaceState *a = emo__face_slot(f, 2, 10, 1, 0.5);
    EmoFaceState *b = emo__face_slot(f, 2, 20, 2, 0.5);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(emo__face_slot(f, 2, 10, 3, 0.5), a); /* 10 seen at tick 3, 20 at 2 */
    a->has_run = 1;
    EmoFaceState *c = emo__face_slot(f, 2, 30, 4, 0.5);   /* evicts 20, the least recently seen */
    assert_ptr_equal(c, b);
    assert_int_equal(c->id, 30);
    assert_int_equal(c->has_run, 0);
    assert_int_equal(a->id, 10);
}

static void test_analyze_schedule(void **state)
{
    (void)state;
    uint8_t *pa = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_10116449/input.f32",
                               64 * 64, 1);
    uint8_t *pb = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_11521746/input.f32",
                               64 * 64, 1);
    EmoImage A = { pa, 64, 64, 64, EMO_PIX_GRAY8 }, B = { pb, 64, 64, 64, EMO_PIX_GRAY8 };
    EmoEnsemble *e = open_default("mini_xception", 0, 0.3, 2);
    EmoEmotionResult r0, r1, r2, ra, rb;
    assert_int_equal(emo_ensemble_run(e, &A, &ra), 0);
    assert_int_equal(emo_ensemble_run(e, &B, &rb), 0);

    assert_int_equal(emo_ensemble_analyze(e, 1, 0.0, &A, &r0), 0);
    assert_true(r0.fresh);
    assert_memory_equal(r0.model_probs[0], ra.model_probs[0], sizeof(float) * 7);
    assert_memory_equal(r0.smoothed, r0.fused, sizeof(float) * 7); /* first EMA value = input */
    /* 0.1 s later, another image: the interval has not passed, probabilities reused. */
    assert_int_equal(emo_ensemble_analyze(e, 1, 0.1, &B, &r1), 0);
    assert_false(r1.fresh);
    assert_memory_equal(r1.model_probs[0], ra.model_probs[0], sizeof(float) * 7);
    /* Another face has its own schedule. */
    assert_int_equal(emo_ensemble_analyze(e, 2, 0.1, &B, &r2), 0);
    assert_true(r2.fresh);
    assert_memory_equal(r2.model_probs[0], rb.model_probs[0], sizeof(float) * 7);
    /* 0.3 s after face 1's run: the models run again; EMA by hand (alpha 0.3). */
    assert_int_equal(emo_ensemble_analyze(e, 1, 0.3, &B, &r1), 0);
    assert_true(r1.fresh);
    assert_memory_equal(r1.model_probs[0], rb.model_probs[0], sizeof(float) * 7);
    /* EMA over the three calls of face 1: fused values a, a, b. */
    for (int k = 0; k < 7; k++) {
        double s = ra.fused[k];
        s = 0.3 * ra.fused[k] + 0.7 * s;
        s = 0.3 * rb.fused[k] + 0.7 * s;
        assert_float_equal(r1.smoothed[k], s, 1e-6);
    }
    /* Time going backwards (seek) runs the models. */
    assert_int_equal(emo_ensemble_analyze(e, 1, 0.05, &A, &r1), 0);
    assert_true(r1.fresh);
    /* A third face evicts the least recently seen (face 2): its state is gone. */
    assert_int_equal(emo_ensemble_analyze(e, 3, 0.06, &A, &r1), 0);
    assert_int_equal(emo_ensemble_analyze(e, 2, 0.15, &A, &r2), 0);
    assert_true(r2.fresh);
    emo_ensemble_forget(e, 2);
    assert_int_equal(emo_ensemble_analyze(e, 2, 0.16, &A, &r2), 0);
    assert_true(r2.fresh);
    emo_ensemble_close(&e);

    /* Interval 0: every call runs. */
    e = open_default("mini_xception", 0, 0, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(emo_ensemble_analyze(e, 1, 0.001 * i, &A, &r1), 0);
        assert_true(r1.fresh);
    }
    assert_int_equal(emo_ensemble_analyze(e, 1, NAN, &A, &r1), EMO_EINVAL);
    emo_ensemble_close(&e);
    free(pa);
    free(pb);
}

static void test_history(void **state)
{
    (void)state;
    uint8_t *pa = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_10116449/input.f32",
                               64 * 64, 1);
    uint8_t *pb = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_11521746/input.f32",
                               64 * 64, 1);
    EmoImage img[2] = { { pa, 64, 64, 64, EMO_PIX_GRAY8 }, { pb, 64, 64, 64, EMO_PIX_GRAY8 } };
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, models_dir(), "mini_xception", &quiet), 0);
    s->history_seconds = 0.35;
    s->history_capacity = 8;
    s->sg_window = 3;
    s->sg_order = 1;
    EmoEnsemble *e;
    assert_int_equal(emo_ensemble_open(&e, s), 0);
    EmoEmotionResult r[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(emo_ensemble_analyze(e, 9, 0.1 * i, &img[i & 1], &r[i]), 0);
    double t[8];
    float p[8][EMO_EMOTION_COUNT];
    /* t = 0.5: samples at 0.2, 0.3, 0.4, 0.5 are within 0.35 s. */
    assert_int_equal(emo_ensemble_history(e, 9, 0, t, p, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_float_equal(t[i], 0.1 * (i + 2), 1e-9);
        assert_memory_equal(p[i], r[i + 2].fused, sizeof(p[i]));
    }
    assert_int_equal(emo_ensemble_history(e, 9, 0, t, p, 2), 2); /* the newest two */
    assert_float_equal(t[0], 0.4, 1e-9);
    /* Smoothed (window 3, order 1): interior samples are 3-point means,
     * the ends the fitted line's end values. */
    assert_int_equal(emo_ensemble_history(e, 9, 1, t, p, 8), 4);
    for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
        double mean = (r[2].fused[k] + r[3].fused[k] + r[4].fused[k]) / 3;
        assert_float_equal(p[1][k], mean, 1e-5);
        double end = (5 * r[2].fused[k] + 2 * r[3].fused[k] - r[4].fused[k]) / 6;
        assert_float_equal(p[0][k], end < 0 ? 0 : end > 1 ? 1 : end, 1e-5);
    }
    assert_int_equal(emo_ensemble_history(e, 12345, 0, t, p, 8), 0); /* unknown face */
    /* Time going backwards starts the history again. */
    assert_int_equal(emo_ensemble_analyze(e, 9, 0.05, &img[0], &r[0]), 0);
    assert_int_equal(emo_ensemble_history(e, 9, 0, t, p, 8), 1);
    /* More samples than the capacity within the window: the oldest go. */
    for (int i = 0; i < 20; i++)
        assert_int_equal(emo_ensemble_analyze(e, 9, 1 + 0.001 * i, &img[0], &r[0]), 0);
    assert_int_equal(emo_ensemble_history(e, 9, 0, t, p, 8), 8);
    assert_float_equal(t[7], 1.019, 1e-9);
    assert_float_equal(t[0], 1.012, 1e-9);
    emo_ensemble_close(&e);
    free(s);
    emo_config_clear(&cfg);
    free(pa);
    free(pb);
}

static void test_config_model_and_deepface(void **state)
{
    (void)state;
    /* A model declared in config only: the mini-Xception file with its
     * labels listed in reverse order, so the outputs must come back
     * reversed; and DeepFace's layout through a symlink to the synthetic
     * weights file. */
    const char *tmp = emo_test_tmpdir("emotion_ensemble");
    char path[1024], link[1024], ini[1024];
    snprintf(link, sizeof(link), "%s/facial_expression_model_weights.h5", tmp);
    assert_int_equal(symlink(emo_test_shared("testdata/golden/deepface_emotion/"
                                             "facial_expression_model_weights.synthetic.h5"),
                             link),
                     0);
    snprintf(path, sizeof(path), "%s/mini.hdf5", tmp);
    assert_int_equal(symlink(emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"), path), 0);
    snprintf(ini, sizeof(ini), "%s/e.ini", tmp);
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fprintf(f, "[model.reversed]\nfile = mini.hdf5\nsize = 64\ngray = true\nscale = pm1\n"
               "labels = neutral, surprise, sad, happy, fear, disgust, angry\nweight = 2\nenabled = true\n"
               "[model.wrongsize]\nfile = mini.hdf5\nsize = 48\nlabels = angry,disgust,fear,happy,sad,surprise,neutral\n");
    fclose(f);
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_load(&cfg, ini, &quiet), 0);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, tmp, "deepface", &quiet), 0);
    assert_int_equal(s->n_models, 2);
    assert_string_equal(s->models[0].name, "deepface");
    assert_string_equal(s->models[1].name, "reversed");
    EmoEnsemble *e;
    assert_int_equal(emo_ensemble_open(&e, s), 0);

    uint8_t *dp = golden_image("testdata/golden/deepface_emotion/checker/input.f32", 48 * 48, 0);
    EmoImage img48 = { dp, 48, 48, 48, EMO_PIX_GRAY8 };
    EmoEmotionResult r;
    assert_int_equal(emo_ensemble_run(e, &img48, &r), 0);
    float *want = emo_test_read_f32(emo_test_shared("testdata/golden/deepface_emotion/checker/probs.f32"), 7);
    for (int k = 0; k < 7; k++)
        assert_float_equal(r.model_probs[0][k], want[k], 1e-4);
    free(want);
    free(dp);

    uint8_t *px = golden_image("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_10116449/input.f32",
                               64 * 64, 1);
    EmoImage img64 = { px, 64, 64, 64, EMO_PIX_GRAY8 };
    assert_int_equal(emo_ensemble_run(e, &img64, &r), 0);
    want = emo_test_read_f32(
        emo_test_shared("testdata/golden/fer2013_mini_XCEPTION/fer_angry_PublicTest_10116449/probs.f32"), 7);
    for (int k = 0; k < 7; k++)
        assert_float_equal(r.model_probs[1][k], want[6 - k], 1e-4);
    free(want);
    free(px);
    emo_ensemble_close(&e);

    /* The registry's size must match the file: refused with a message. */
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, tmp, "wrongsize", &quiet), 0);
    const EmoLogger silent = { drop_log, NULL, EMO_LOG_DEBUG };
    s->log = &silent;
    assert_int_equal(emo_ensemble_open(&e, s), EMO_EINVAL);
    assert_null(e);
    /* A missing required file: EMO_ENOENT before anything is loaded. */
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, "/nonexistent", "mini_xception", &silent),
                     EMO_ENOENT);
    free(s);
    emo_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_flip_tta),
        cmocka_unit_test(test_flip_per_model),
        cmocka_unit_test(test_schedule_pure),
        cmocka_unit_test(test_analyze_schedule),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_config_model_and_deepface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
