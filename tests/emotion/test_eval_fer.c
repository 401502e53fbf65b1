/* `emoscope eval` through the CLI on the full FER2013 PublicTest set (3,435
 * images) with 2 threads: the accuracy floors of issue 5. And on CK+48:
 * class-name mapping, contempt skipped and counted. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *run_eval(const char *set, const char *tag, const char *extra)
{
    char json[1024], cmd[4096];
    snprintf(json, sizeof(json), "%s/eval.json", emo_test_tmpdir(tag));
    snprintf(cmd, sizeof(cmd), "'%s' --log-level warn eval '%s' --jobs 2 --quiet --json '%s' %s > '%s.txt'",
             EMO_TEST_CLI, emo_test_shared(set), json, extra, json);
    int rc = emo_test_system(cmd);
    snprintf(cmd, sizeof(cmd), "cat '%s.txt'", json);
    emo_test_system(cmd);
    assert_int_equal(rc, 0);
    size_t n;
    char *text = emo_test_read_file(json, &n);
    cJSON *root = cJSON_ParseWithLength(text, n);
    free(text);
    assert_non_null(root);
    return root;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("JSON: no number '%s'", key);
    return v->valuedouble;
}

static const cJSON *model(const cJSON *root, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "models"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "name");
        if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name))
            return m;
    }
    fail_msg("no model %s in the eval JSON", name);
    return NULL;
}

static void test_fer2013_floors(void **state)
{
    (void)state;
    /* The default ensemble: mini-Xception + fer_vgg (trained here), 0.3/0.7. */
    cJSON *root = run_eval("testdata/fer2013-public", "emotion_eval_fer", "");
    assert_int_equal((int)num(root, "images"), 3435);
    assert_int_equal((int)num(root, "failed"), 0);
    double mini = 100 * num(model(root, "mini_xception"), "accuracy");
    double vgg = 100 * num(model(root, "fer_vgg"), "accuracy");
    const cJSON *ens = cJSON_GetObjectItemCaseSensitive(root, "ensemble");
    double ensemble = 100 * num(ens, "accuracy");
    print_message("FER2013 PublicTest: mini %.2f%%, fer_vgg %.2f%%, default ensemble %.2f%%\n", mini, vgg, ensemble);
    /* An independent reference scores 64.54%: a gap over 0.5 points means
     * our preprocessing or inference differs. fer_vgg as its card says
     * (68.21%, torch on the same pixels); the default 68.88% measured. */
    assert_true(fabs(mini - 64.54) <= 0.5);
    assert_true(fabs(vgg - 68.21) <= 0.3);
    assert_true(ensemble >= 68.6);
    assert_true(ensemble >= fmax(mini, vgg) + 0.4);
    /* The two Xceptions (the default before fer_vgg, 0.6/0.4): 67.45%, and
     * the three with the weights chosen for them (0.15/0.25/0.6): 70.19%. */
    cJSON *two = run_eval("testdata/fer2013-public", "emotion_eval_fer2",
                          "--models mini_xception,big_xception --emotion.weight_mini_xception=0.6 "
                          "--emotion.weight_big_xception=0.4");
    double big = 100 * num(model(two, "big_xception"), "accuracy");
    double ens2 = 100 * num(cJSON_GetObjectItemCaseSensitive(two, "ensemble"), "accuracy");
    cJSON *three = run_eval("testdata/fer2013-public", "emotion_eval_fer3",
                            "--models mini_xception,big_xception,fer_vgg --emotion.weight_mini_xception=0.15 "
                            "--emotion.weight_big_xception=0.25 --emotion.weight_fer_vgg=0.6");
    double ens3 = 100 * num(cJSON_GetObjectItemCaseSensitive(three, "ensemble"), "accuracy");
    print_message("FER2013 PublicTest: big %.2f%%, mini + big 0.6/0.4 %.2f%%, mini + big + fer_vgg 0.15/0.25/0.6 "
                  "%.2f%%\n", big, ens2, ens3);
    assert_true(fabs(big - 64.75) <= 0.5);
    assert_true(ens2 >= 67.0);
    assert_true(ensemble >= ens2 + 1.0);
    assert_true(ens3 >= 69.9);
    cJSON_Delete(two);
    cJSON_Delete(three);
    /* The confusion matrix adds up to the image count per class. */
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(ens, "confusion");
    const int happy = 3;
    double row = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetArrayItem(cm, happy)) row += v->valuedouble;
    assert_int_equal((int)row, 895);
    cJSON_Delete(root);
}

static void test_ckplus_mapping(void **state)
{
    (void)state;
    cJSON *root = run_eval("testdata/ckplus48", "emotion_eval_ck", "");
    /* 981 images, contempt (54) has no canonical label. */
    assert_int_equal((int)num(root, "images"), 927);
    assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(root, "skipped"), "contempt"), 54);
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(root, "class_images");
    assert_int_equal((int)num(cc, "angry"), 135);   /* anger */
    assert_int_equal((int)num(cc, "sad"), 84);      /* sadness */
    assert_int_equal((int)num(cc, "neutral"), 0);
    const cJSON *m = model(root, "mini_xception");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "recall"),
                                                              "neutral")));
    double acc = 100 * num(m, "accuracy");
    print_message("CK+48 mini-Xception: %.2f%%\n", acc);
    assert_true(acc > 60 && acc < 80); /* 68.6% measured; chance is about 20% */
    /* The default mini + fer_vgg (635 of 927 images measured, 68.50%) is at
     * least as good as the two Xceptions' former default 0.6/0.4 (604 of
     * 927, 65.16%), on a set the weights were not chosen on. */
    double ens = 100 * num(cJSON_GetObjectItemCaseSensitive(root, "ensemble"), "accuracy");
    print_message("CK+48 default mini + fer_vgg 0.3/0.7: %.2f%%\n", ens);
    assert_true(ens * 927 / 100 >= 604 - 0.01);
    cJSON_Delete(root);
}

/* --detect on 7 real photos (500x282, one face each, not cropped), folder
 * names as the files name them (disgusted, fearful, surprised: synonyms).
 * Measured: 6 of 7 with the face pipeline, 3 of 7 on the uncropped photos. */
static void test_detect(void **state)
{
    (void)state;
    const char *tmp = emo_test_tmpdir("emotion_eval_detect");
    char set[1024], cmd[4096];
    snprintf(set, sizeof(set), "%s/set", tmp);
    snprintf(cmd, sizeof(cmd),
             "for f in '%s'/*.jpg; do n=$(basename \"$f\" .jpg); mkdir -p '%s'/$n && ln -s \"$f\" '%s'/$n/; done",
             emo_test_shared("testdata/faces/expressions"), set, set);
    assert_int_equal(emo_test_system(cmd), 0);
    double acc[2];
    for (int d = 0; d < 2; d++) {
        char json[1024];
        snprintf(json, sizeof(json), "%s/eval%d.json", tmp, d);
        snprintf(cmd, sizeof(cmd), "'%s' --log-level warn eval '%s' --quiet --json '%s' %s > /dev/null", EMO_TEST_CLI,
                 set, json, d ? "--detect" : "");
        assert_int_equal(emo_test_system(cmd), 0);
        size_t n;
        char *text = emo_test_read_file(json, &n);
        cJSON *root = cJSON_ParseWithLength(text, n);
        free(text);
        assert_non_null(root);
        assert_int_equal((int)num(root, "images"), 7);
        if (d)
            assert_int_equal((int)num(root, "no_face"), 0);
        acc[d] = num(cJSON_GetObjectItemCaseSensitive(root, "ensemble"), "accuracy");
        cJSON_Delete(root);
    }
    print_message("expressions: ensemble %.0f/7 on the photos, %.0f/7 with --detect\n", acc[0] * 7, acc[1] * 7);
    assert_true(acc[1] * 7 >= 5 - 1e-9);
    assert_true(acc[1] > acc[0]);
}

static void test_cli_errors(void **state)
{
    (void)state;
    char cmd[2048];
    const char *tmp = emo_test_tmpdir("emotion_eval_err");
    snprintf(cmd, sizeof(cmd), "'%s' eval '%s' 2>/dev/null", EMO_TEST_CLI, tmp); /* no class folders */
    assert_int_equal(emo_test_system(cmd), 2);
    snprintf(cmd, sizeof(cmd), "'%s' eval /nonexistent/dir 2>/dev/null", EMO_TEST_CLI);
    assert_int_equal(emo_test_system(cmd), 2);
    snprintf(cmd, sizeof(cmd), "'%s' eval '%s' --models nosuch 2>/dev/null", EMO_TEST_CLI, tmp);
    assert_int_equal(emo_test_system(cmd), 5);
    /* An undecodable image is counted, the rest evaluated: exit 3 (partial). */
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/happy' && cp '%s' '%s/happy/' && echo junk > '%s/happy/bad.png' && "
             "'%s' eval '%s' --models mini_xception --quiet >/dev/null 2>&1",
             tmp, emo_test_shared("testdata/fer2013-public/angry/PublicTest_10116449.jpg"), tmp, tmp, EMO_TEST_CLI,
             tmp);
    assert_int_equal(emo_test_system(cmd), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fer2013_floors),
        cmocka_unit_test(test_ckplus_mapping),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_cli_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
