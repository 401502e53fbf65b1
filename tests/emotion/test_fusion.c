/* Labels, fusion, confusion matrices and the model registry (config sections). */
#include "testutil.h"

#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Swallows expected error messages. */
static void drop_log(void *ud, EmoLogLevel level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(emo_emotion_name(0), "angry");
    assert_string_equal(emo_emotion_name(6), "neutral");
    assert_string_equal(emo_emotion_name(7), "?");
    assert_int_equal(emo_emotion_from_label("Happiness"), EMO_EMOTION_HAPPY);
    assert_int_equal(emo_emotion_from_label("SURPRISED"), EMO_EMOTION_SURPRISE);
    assert_int_equal(emo_emotion_from_label("anger"), EMO_EMOTION_ANGRY);
    assert_int_equal(emo_emotion_from_label(" sadness "), EMO_EMOTION_SAD);
    assert_int_equal(emo_emotion_from_label("fearful"), EMO_EMOTION_FEAR);
    assert_int_equal(emo_emotion_from_label("disgusted"), EMO_EMOTION_DISGUST);
    assert_int_equal(emo_emotion_from_label("neutral"), EMO_EMOTION_NEUTRAL);
    assert_int_equal(emo_emotion_from_label("contempt"), -1);
    assert_int_equal(emo_emotion_from_label("happy!"), -1);
    assert_int_equal(emo_emotion_from_label(""), -1);
    assert_int_equal(emo_emotion_from_label(NULL), -1);
    /* CK+48 folder names. */
    const char *ck[] = { "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise" };
    const int want[] = { 0, -1, 1, 2, 3, 4, 5 };
    for (int i = 0; i < 7; i++)
        assert_int_equal(emo_emotion_from_label(ck[i]), want[i]);
}

static void test_fuse(void **state)
{
    (void)state;
    const float p[3][EMO_EMOTION_COUNT] = {
        { 0.4f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f },
        { 0.1f, 0.4f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f },
        { 0, 0, 0, 1, 0, 0, 0 },
    };
    float out[EMO_EMOTION_COUNT];
    /* Weighted mean, weights 1 and 3: (p0 + 3 p1) / 4. */
    const double w13[3] = { 1, 3, 5 };
    const int av01[3] = { 1, 1, 0 };
    assert_int_equal(emo_emotion_fuse(p, w13, av01, 3, EMO_FUSION_MEAN, out), 0);
    assert_float_equal(out[0], 0.175f, 1e-6);
    assert_float_equal(out[1], 0.325f, 1e-6);
    assert_float_equal(out[2], 0.1f, 1e-6);
    /* Geometric, equal weights: sqrt(.4 * .1) = .2 twice, .1 five times,
     * renormalised by 0.9. */
    const double w11[3] = { 1, 1, 1 };
    assert_int_equal(emo_emotion_fuse(p, w11, av01, 3, EMO_FUSION_GEOMETRIC, out), 0);
    assert_float_equal(out[0], 0.2f / 0.9f, 1e-6);
    assert_float_equal(out[1], 0.2f / 0.9f, 1e-6);
    assert_float_equal(out[4], 0.1f / 0.9f, 1e-6);
    /* Geometric with weights 1 and 3: .4^.25 .1^.75 and .1^.25 .4^.75. */
    assert_int_equal(emo_emotion_fuse(p, w13, av01, 3, EMO_FUSION_GEOMETRIC, out), 0);
    double a = pow(0.4, 0.25) * pow(0.1, 0.75), b = pow(0.1, 0.25) * pow(0.4, 0.75), s = a + b + 0.5;
    assert_float_equal(out[0], a / s, 1e-6);
    assert_float_equal(out[1], b / s, 1e-6);
    /* A model that did not answer leaves the fusion; the rest renormalise. */
    const int av1[3] = { 0, 1, 0 };
    assert_int_equal(emo_emotion_fuse(p, w13, av1, 3, EMO_FUSION_MEAN, out), 0);
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        assert_float_equal(out[k], p[1][k], 1e-6);
    /* Zero weight = left out; a one-hot model under geometric fusion is
     * clamped (1e-7), not -inf. */
    const double w0[3] = { 0, 1, 1 };
    assert_int_equal(emo_emotion_fuse(p, w0, NULL, 3, EMO_FUSION_GEOMETRIC, out), 0);
    float sum = 0;
    for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
        assert_true(isfinite(out[k]));
        sum += out[k];
    }
    assert_float_equal(sum, 1.0f, 1e-5);
    assert_int_equal(emo_emotion_argmax(out), EMO_EMOTION_HAPPY);
    /* Nothing available: uniform and EAGAIN. */
    const int none[3] = { 0, 0, 0 };
    assert_int_equal(emo_emotion_fuse(p, w11, none, 3, EMO_FUSION_MEAN, out), EMO_EAGAIN);
    assert_float_equal(out[3], 1.0f / 7, 1e-6);

    EmoEmotionFusion f;
    assert_int_equal(emo_emotion_fusion_parse("geometric", &f), 0);
    assert_int_equal(f, EMO_FUSION_GEOMETRIC);
    assert_int_equal(emo_emotion_fusion_parse("Mean", &f), 0);
    assert_int_equal(f, EMO_FUSION_MEAN);
    assert_int_equal(emo_emotion_fusion_parse("median", &f), EMO_EINVAL);
}

static void test_confusion(void **state)
{
    (void)state;
    EmoConfusion c, d;
    memset(&c, 0, sizeof(c));
    memset(&d, 0, sizeof(d));
    emo_confusion_add(&c, 3, 3);
    emo_confusion_add(&c, 3, 6);
    emo_confusion_add(&c, 0, 0);
    emo_confusion_add(&d, 3, 3);
    emo_confusion_add(&d, 7, 0); /* out of range: ignored */
    emo_confusion_merge(&c, &d);
    assert_int_equal(c.total, 4);
    assert_int_equal(c.correct, 3);
    assert_float_equal(emo_confusion_accuracy(&c), 0.75, 1e-12);
    assert_float_equal(emo_confusion_recall(&c, 3), 2.0 / 3, 1e-12);
    assert_float_equal(emo_confusion_recall(&c, 0), 1.0, 1e-12);
    assert_float_equal(emo_confusion_recall(&c, 1), -1, 0);
    assert_int_equal(c.m[3][6], 1);
}

static const char *write_ini(const char *text)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/models.ini", emo_test_tmpdir("emotion_registry"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_registry(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    const EmoLogger quiet = { drop_log, NULL, EMO_LOG_DEBUG };
    assert_int_equal(emo_config_load(&cfg,
                                     write_ini("[emotion]\nweight_big_xception = 2.5\n"
                                               "[model.mine]\nfile = /abs/my.h5\nsize = 48x40\ngray = false\n"
                                               "scale = 01\nlabels = Happiness, contempt, Surprised, anger\n"
                                               "weight = 0.5\nenabled = true\n"
                                               "[model.bad]\nfile = x.h5\nsize = 7\nlabels = happy\n"
                                               "[model.kdef_xception]\nenabled = false\n"),
                                     &quiet),
                     0);
    EmoEmotionModelSpec s;
    assert_int_equal(emo_emotion_model_spec(&cfg, "big_xception", &s, &quiet), 0);
    assert_int_equal(s.width, 64);
    assert_int_equal(s.gray, 1);
    assert_int_equal(s.scale, EMO_EMOTION_SCALE_PM1);
    assert_float_equal(s.weight, 2.5, 0);
    assert_int_equal(emo_emotion_model_spec(&cfg, "deepface", &s, &quiet), 0);
    assert_int_equal(s.width, 48);
    assert_int_equal(s.scale, EMO_EMOTION_SCALE_01);
    assert_int_equal(s.optional, 1);
    assert_int_equal(emo_emotion_model_spec(&cfg, "mine", &s, &quiet), 0);
    assert_string_equal(s.file, "/abs/my.h5");
    assert_int_equal(s.width, 48);
    assert_int_equal(s.height, 40);
    assert_int_equal(s.gray, 0);
    assert_int_equal(s.scale, EMO_EMOTION_SCALE_01);
    assert_int_equal(s.n_labels, 4);
    assert_int_equal(s.label_map[0], EMO_EMOTION_HAPPY);
    assert_int_equal(s.label_map[1], -1);
    assert_int_equal(s.label_map[2], EMO_EMOTION_SURPRISE);
    assert_int_equal(s.label_map[3], EMO_EMOTION_ANGRY);
    assert_float_equal(s.weight, 0.5, 0);
    assert_int_equal(emo_emotion_model_spec(&cfg, "bad", &s, &quiet), EMO_EINVAL);
    assert_int_equal(emo_emotion_model_spec(&cfg, "nosuch", &s, &quiet), EMO_ENOENT);

    /* Resolution: the list, plus enabled sections; files are checked. The
     * models folder is the installed one; "mine" points at a file that does
     * not exist, so it fails loudly. */
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"));
    *strrchr(dir, '/') = 0;
    EmoEmotionModelSpec specs[8];
    int n = -1;
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception, big_xception,kdef_xception,deepface", dir,
                                                specs, 8, &n, &quiet),
                     EMO_ENOENT); /* "mine" is enabled and its file is missing */
    emo_config_clear(&cfg);

    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_load(&cfg, write_ini("[model.kdef_xception]\nenabled = false\n"), &quiet), 0);
    n = -1;
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception, big_xception,kdef_xception,deepface", dir,
                                                specs, 8, &n, &quiet),
                     0);
    /* kdef disabled by its section; deepface absent here: skipped with a notice. */
    assert_int_equal(n, 2);
    assert_string_equal(specs[0].name, "mini_xception");
    assert_string_equal(specs[1].name, "big_xception");
    n = -1;
    assert_int_equal(emo_emotion_models_resolve(&cfg, NULL, dir, specs, 8, &n, &quiet), 0);
    assert_int_equal(n, 2); /* the default list */
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception,unknown", dir, specs, 8, &n, &quiet),
                     EMO_ENOENT);
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception,big_xception", dir, specs, 1, &n, &quiet),
                     EMO_EINVAL);
    char path[2048];
    emo_emotion_model_path(&specs[0], "/m", path, sizeof(path));
    assert_string_equal(path, "/m/fer2013_mini_XCEPTION.102-0.66.hdf5");
    assert_int_equal(specs[0].flip, 0); /* built-ins: no flip unless a section asks */
    emo_config_clear(&cfg);

    /* flip in a built-in's section: only that model; a bad value is an error. */
    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_load(&cfg, write_ini("[model.big_xception]\nflip = true\n"), &quiet), 0);
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception,big_xception", dir, specs, 8, &n, &quiet), 0);
    assert_int_equal(n, 2);
    assert_int_equal(specs[0].flip, 0);
    assert_int_equal(specs[1].flip, 1);
    emo_config_clear(&cfg);
    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_load(&cfg, write_ini("[model.big_xception]\nflip = maybe\n"), &quiet), 0);
    assert_int_equal(emo_emotion_models_resolve(&cfg, "mini_xception,big_xception", dir, specs, 8, &n, &quiet),
                     EMO_EINVAL);
    emo_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_fuse),
        cmocka_unit_test(test_confusion),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
