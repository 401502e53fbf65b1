/* fer_vgg, the emotion model trained in this project (train/, issue 18):
 * - golden: PublicTest images loaded by emoscope's decoder and turned into
 *   the registry's input tensor give the tensor sums the training code
 *   recorded, and our runtime gives torch's probabilities within 1e-4;
 * - card: models/fer_vgg.md names the SHA256 of models/fer_vgg.hdf5 (also
 *   the model list's), and the registry's input size, gray input, scale and
 *   label order.
 * Neither needs torch: the golden file is committed
 * (tests/emotion/data/fer_vgg_golden.txt, written by python3 -m train.train). */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <emoscope/adapt.h>
#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <emoscope/io.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emotion/image.h"

#define GOLDEN EMO_TEST_SOURCE_DIR "/emotion/data/fer_vgg_golden.txt"
#define MAX_SIDE 64

static const EmoLogger quiet = { NULL, NULL, EMO_LOG_WARN };

static const char *models_dir(void)
{
    static char dir[1024];
    snprintf(dir, sizeof(dir), "%s", emo_test_model("fer_vgg.hdf5"));
    *strrchr(dir, '/') = 0;
    return dir;
}

static void registry_spec(EmoEmotionModelSpec *s)
{
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    assert_int_equal(emo_emotion_model_spec(&cfg, "fer_vgg", s, &quiet), 0);
}

/* The sums the training code records (train/report.py tensor_sums): plain,
 * and weighted by (i % 251) + 1 so that a flip or a shift shows. */
static void tensor_sums(const float *x, int n, double *sum, double *wsum)
{
    *sum = *wsum = 0;
    for (int i = 0; i < n; i++) {
        *sum += x[i];
        *wsum += x[i] * (double)(i % 251 + 1);
    }
}

static void test_golden(void **state)
{
    (void)state;
    EmoEmotionModelSpec spec;
    registry_spec(&spec);
    assert_true(spec.width <= MAX_SIDE && spec.height <= MAX_SIDE);
    size_t size;
    char *text = emo_test_read_file(GOLDEN, &size);
    char hex[65];
    assert_int_equal(emo_sha256_file(emo_test_model("fer_vgg.hdf5"), hex), 0);

    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, models_dir(), "fer_vgg", &quiet), 0);
    assert_int_equal(s->n_models, 1);
    EmoEnsemble *e = NULL;
    assert_int_equal(emo_ensemble_open(&e, s), 0);

    int images = 0, model_lines = 0, per_class[EMO_EMOTION_COUNT] = { 0 };
    double worst = 0;
    float x[MAX_SIDE * MAX_SIDE];
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char rel[256], file[256], sha[65];
        double sum, wsum;
        float p[EMO_EMOTION_COUNT];
        if (line[0] == '#')
            continue;
        if (sscanf(line, "model %255s %64s", file, sha) == 2) {
            /* The golden outputs belong to the committed weights. */
            assert_string_equal(file, "fer_vgg.hdf5");
            assert_string_equal(sha, hex);
            model_lines++;
            continue;
        }
        int n = sscanf(line, "image %255s %lf %lf %f %f %f %f %f %f %f", rel, &sum, &wsum, &p[0], &p[1], &p[2],
                       &p[3], &p[4], &p[5], &p[6]);
        if (n != 10)
            fail_msg("golden: bad line '%s'", line);
        char setrel[512];
        snprintf(setrel, sizeof(setrel), "testdata/fer2013-public/%s", rel);
        uint8_t *px = NULL;
        int w, h;
        assert_int_equal(emo_emotion_image_load_gray(emo_test_shared(setrel), &px, &w, &h, &quiet), 0);
        EmoImage img = { px, w, h, w, EMO_PIX_GRAY8 };
        /* The tensor the registry's preprocessing makes is the training's. */
        emo__face_to_tensor(&img, spec.width, spec.height, spec.gray, spec.scale, 0, x);
        double s1, s2;
        tensor_sums(x, spec.width * spec.height * (spec.gray ? 1 : 3), &s1, &s2);
        if (fabs(s1 - sum) > 1e-3 || fabs(s2 - wsum) > 1e-1)
            fail_msg("%s: tensor sums %.6f %.6f, training had %.6f %.6f", rel, s1, s2, sum, wsum);
        /* And our runtime gives torch's probabilities. */
        EmoEmotionResult r;
        assert_int_equal(emo_ensemble_run(e, &img, &r), 0);
        for (int c = 0; c < EMO_EMOTION_COUNT; c++)
            worst = fmax(worst, fabs(r.model_probs[0][c] - p[c]));
        per_class[emo_emotion_argmax(p)]++;
        images++;
        free(px);
    }
    print_message("fer_vgg golden: %d images, max |runtime - torch| %.2e\n", images, worst);
    assert_int_equal(model_lines, 1);
    assert_true(images >= 14);
    assert_true(worst <= 1e-4);
    emo_ensemble_close(&e);
    free(s);
    free(text);
}

/* The value of "- key: value" in the card, without backquotes. */
static void card_field(const char *card, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\n- %s: ", key);
    const char *p = strstr(card, pat);
    if (!p)
        fail_msg("models/fer_vgg.md: no '- %s:' line", key);
    p += strlen(pat);
    size_t len = strcspn(p, "\n");
    while (len && (p[0] == '`' || p[0] == ' ')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == '`' || p[len - 1] == ' '))
        len--;
    assert_true(len < n);
    memcpy(out, p, len);
    out[len] = 0;
}

static void test_card(void **state)
{
    (void)state;
    char card_path[1100], value[512], hex[65], want[512];
    snprintf(card_path, sizeof(card_path), "%s/fer_vgg.md", models_dir());
    size_t size;
    char *card = emo_test_read_file(card_path, &size);
    EmoEmotionModelSpec spec;
    registry_spec(&spec);
    assert_string_equal(spec.file, "fer_vgg.hdf5");

    /* SHA256: the file's, the card's and the model list's agree. */
    assert_int_equal(emo_sha256_file(emo_test_model("fer_vgg.hdf5"), hex), 0);
    card_field(card, "sha256", value, sizeof(value));
    assert_string_equal(value, hex);
    const EmoModelFile *m = emo_model_file_find("fer_vgg");
    assert_non_null(m);
    assert_string_equal(m->sha256, hex);
    char path[1100];
    assert_int_equal(emo_model_check(m, models_dir(), path, sizeof(path)), EMO_MODEL_OK);

    /* Input size and kind, scale. */
    card_field(card, "input", value, sizeof(value));
    snprintf(want, sizeof(want), "%dx%d %s", spec.width, spec.height, spec.gray ? "gray" : "rgb");
    assert_string_equal(value, want);
    card_field(card, "scale", value, sizeof(value));
    assert_int_equal(spec.scale, EMO_EMOTION_SCALE_01);
    assert_true(!strncmp(value, "x/255 ", 6));

    /* Label order: the card's list is the registry's outputs, in order. */
    card_field(card, "labels", value, sizeof(value));
    want[0] = 0;
    for (int i = 0; i < spec.n_labels; i++) {
        size_t l = strlen(want);
        snprintf(want + l, sizeof(want) - l, "%s%s", i ? "," : "", emo_emotion_name(spec.label_map[i]));
    }
    assert_string_equal(value, want);
    free(card);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
