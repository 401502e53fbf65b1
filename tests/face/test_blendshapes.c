/*
 * Blendshapes and action units (actions.h, src/face/blendshapes.c).
 *
 * MediaPipe's own test vectors (../shared/testdata/mediapipe/, protobuf
 * text parsed here): the graph test's 478 landmarks of an 820x1024 portrait,
 * turned into image pixels as the tracker gives them, go through
 * emo_blendshapes_run() (hence emo_blendshapes_input(), the code the
 * pipeline uses) and must give face_blendshapes_out.prototxt within 1e-4
 * on all 52 scores; the whole-landmarker portrait pair, which is not
 * self-consistent (README there), within MediaPipe's own 0.12. The action
 * unit table is checked against its definition and docs/actions.md.
 */
#include "testutil.h"

#include <emoscope/actions.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUNDLE "models/face_landmarker.task"
#define MP "testdata/mediapipe/"
#define WIDTH 820
#define HEIGHT 1024

typedef struct Scores {
    int n;
    float score[64];
    char label[64][32];
} Scores;

/* The landmarks of a NormalizedLandmarkList in image pixels, [i][3]
 * (z left 0): x * width, y * height in float, as MediaPipe scales them. */
static int read_landmarks(const char *rel, float (*pts)[3], int max)
{
    size_t size;
    char *text = emo_test_read_file(emo_test_shared(rel), &size);
    int n = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ')
            line++;
        if (!strncmp(line, "landmark {", 10)) {
            assert_true(++n < max);
            pts[n][0] = pts[n][1] = pts[n][2] = NAN;
        } else if (n >= 0 && !strncmp(line, "x:", 2)) {
            pts[n][0] = strtof(line + 2, NULL) * (float)WIDTH;
        } else if (n >= 0 && !strncmp(line, "y:", 2)) {
            pts[n][1] = strtof(line + 2, NULL) * (float)HEIGHT;
        }
    }
    free(text);
    return n + 1;
}

static void read_scores(const char *rel, Scores *s)
{
    size_t size;
    char *text = emo_test_read_file(emo_test_shared(rel), &size);
    int index = -1;
    memset(s, 0, sizeof(*s));
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ')
            line++;
        if (!strncmp(line, "index:", 6)) {
            index = atoi(line + 6);
            assert_true(index >= 0 && index < 64);
            s->n = index + 1 > s->n ? index + 1 : s->n;
        } else if (index >= 0 && !strncmp(line, "score:", 6)) {
            s->score[index] = strtof(line + 6, NULL);
        } else if (index >= 0 && !strncmp(line, "label:", 6)) {
            const char *q = strchr(line, '"');
            assert_non_null(q);
            snprintf(s->label[index], sizeof(s->label[index]), "%s", q + 1);
            char *end = strchr(s->label[index], '"');
            if (end)
                *end = 0;
        }
    }
    free(text);
}

static EmoBlendshapes *open_model(int threads)
{
    EmoBlendshapesSettings s;
    emo_blendshapes_default_settings(&s);
    s.bundle = emo_test_shared(BUNDLE);
    s.threads = threads;
    EmoBlendshapes *b = NULL;
    assert_int_equal(emo_blendshapes_open(&b, &s), 0);
    assert_non_null(b);
    return b;
}

/* Runs the landmarks of `in` and returns the largest score error against `out`. */
static double compare(EmoBlendshapes *b, const char *in, const char *out, const char *what)
{
    static float pts[EMO_BLENDSHAPE_POINTS + 8][3];
    assert_int_equal(read_landmarks(in, pts, EMO_BLENDSHAPE_POINTS + 8), EMO_BLENDSHAPE_POINTS);
    Scores want;
    read_scores(out, &want);
    assert_int_equal(want.n, EMO_BLENDSHAPES);
    float got[EMO_BLENDSHAPES];
    assert_int_equal(emo_blendshapes_run(b, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3, got), 0);
    double worst = 0;
    int at = 0;
    for (int i = 0; i < EMO_BLENDSHAPES; i++) {
        assert_string_equal(want.label[i], emo_blendshape_name(i));
        double d = fabs((double)got[i] - (double)want.score[i]);
        if (!(d <= worst)) {
            worst = isnan(d) ? INFINITY : d;
            at = i;
        }
    }
    printf("[ mediapipe ] %s: max abs error %.3g (%s: got %.6f, MediaPipe %.6f)\n", what, worst,
           emo_blendshape_name(at), (double)got[at], (double)want.score[at]);
    return worst;
}

static void test_graph_vector(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        EmoBlendshapes *b = open_model(threads);
        assert_true(compare(b, MP "face_blendshapes_in_landmarks.prototxt", MP "face_blendshapes_out.prototxt",
                            threads == 1 ? "graph test, 1 thread" : "graph test, 2 threads") <= 1e-4);
        emo_blendshapes_close(&b);
        assert_null(b);
    }
}

static void test_portrait_pair(void **state)
{
    (void)state;
    EmoBlendshapes *b = open_model(1);
    assert_true(compare(b, MP "portrait_expected_face_landmarks.pbtxt", MP "portrait_expected_blendshapes.pbtxt",
                        "portrait pair") <= 0.12);
    emo_blendshapes_close(&b);
}

/* The input built for the graph test's landmarks is the float32 input the
 * goldens of face_blendshapes/mp_graph_test were computed from. */
static void test_input_matches_golden(void **state)
{
    (void)state;
    static float pts[EMO_BLENDSHAPE_POINTS + 8][3];
    assert_int_equal(read_landmarks(MP "face_blendshapes_in_landmarks.prototxt", pts, EMO_BLENDSHAPE_POINTS + 8),
                     EMO_BLENDSHAPE_POINTS);
    float in[2 * EMO_BLENDSHAPE_SUBSET];
    assert_int_equal(emo_blendshapes_input(in, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3), 0);
    float *want = emo_test_read_f32(emo_test_shared("testdata/golden/face_blendshapes/mp_graph_test/input.f32"),
                                    2 * EMO_BLENDSHAPE_SUBSET);
    for (int i = 0; i < 2 * EMO_BLENDSHAPE_SUBSET; i++)
        assert_true(fabsf(in[i] - want[i]) <= 1e-3f);
    free(want);
    /* Subset order: entry 2 is landmark 4, the last is iris point 477. */
    assert_true(in[4] == pts[4][0] && in[5] == pts[4][1]);
    assert_true(in[2 * 145] == pts[477][0] && in[2 * 145 + 1] == pts[477][1]);
    /* A stride of 2 (x, y rows) reads the same points. */
    static float xy[EMO_BLENDSHAPE_POINTS][2];
    for (int i = 0; i < EMO_BLENDSHAPE_POINTS; i++) {
        xy[i][0] = pts[i][0];
        xy[i][1] = pts[i][1];
    }
    float in2[2 * EMO_BLENDSHAPE_SUBSET];
    assert_int_equal(emo_blendshapes_input(in2, &xy[0][0], EMO_BLENDSHAPE_POINTS, 2), 0);
    assert_memory_equal(in, in2, sizeof(in));
}

static void test_bad_input(void **state)
{
    (void)state;
    static float pts[EMO_BLENDSHAPE_POINTS][3];
    float in[2 * EMO_BLENDSHAPE_SUBSET], scores[EMO_BLENDSHAPES];
    assert_int_equal(emo_blendshapes_input(in, &pts[0][0], 468, 3), EMO_EINVAL); /* the old 468-point mesh */
    assert_int_equal(emo_blendshapes_input(in, &pts[0][0], EMO_BLENDSHAPE_POINTS, 1), EMO_EINVAL);
    assert_int_equal(emo_blendshapes_input(in, NULL, EMO_BLENDSHAPE_POINTS, 3), EMO_EINVAL);
    pts[473][1] = NAN;
    assert_int_equal(emo_blendshapes_input(in, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3), EMO_EINVAL);
    EmoBlendshapes *b = open_model(1);
    scores[0] = -1.0f;
    assert_int_equal(emo_blendshapes_run(b, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3, scores), EMO_EINVAL);
    assert_true(scores[0] == -1.0f);
    assert_int_equal(emo_blendshapes_run(NULL, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3, scores), EMO_EINVAL);
    assert_true(emo_blendshapes_macs(b) > 31000000ull && emo_blendshapes_macs(b) < 33000000ull);
    emo_blendshapes_close(&b);
    emo_blendshapes_close(&b);
    emo_blendshapes_close(NULL);

    EmoBlendshapesSettings s;
    emo_blendshapes_default_settings(&s);
    EmoLogger quiet = { NULL, NULL, EMO_LOG_QUIET };
    s.log = &quiet;
    assert_int_equal(emo_blendshapes_open(&b, &s), EMO_EINVAL);
    assert_null(b);
    s.bundle = "/nonexistent/face_landmarker.task";
    assert_int_equal(emo_blendshapes_open(&b, &s), EMO_ENOENT);
    assert_null(b);
    /* A TFLite file that is not a bundle. */
    s.bundle = emo_test_model("face_landmark.tflite");
    assert_true(emo_blendshapes_open(&b, &s) < 0);
    assert_null(b);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(emo_blendshape_name(0), "_neutral");
    assert_string_equal(emo_blendshape_name(25), "jawOpen");
    assert_string_equal(emo_blendshape_name(51), "noseSneerRight");
    assert_null(emo_blendshape_name(52));
    assert_null(emo_blendshape_name(-1));
    for (int i = 0; i < EMO_BLENDSHAPES; i++)
        assert_int_equal(emo_blendshape_index(emo_blendshape_name(i)), i);
    assert_int_equal(emo_blendshape_index("tongueOut"), -1);
    assert_int_equal(emo_blendshape_index(NULL), -1);
}

static float au(const float *v, int number)
{
    int i = emo_action_unit_index(number);
    assert_true(i >= 0);
    return v[i];
}

static void test_action_units(void **state)
{
    (void)state;
    /* The units the issue names are all there, in increasing order. */
    static const int wanted[] = { 1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26, 28, 43 };
    for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
        assert_true(emo_action_unit_index(wanted[k]) >= 0);
    for (int i = 1; i < EMO_ACTION_UNITS; i++)
        assert_true(emo_action_unit_number(i) > emo_action_unit_number(i - 1));
    assert_int_equal(emo_action_unit_number(EMO_ACTION_UNITS), -1);
    assert_null(emo_action_unit_name(-1));
    assert_null(emo_action_unit_rule(EMO_ACTION_UNITS));
    assert_string_equal(emo_action_unit_name(emo_action_unit_index(12)), "lip corner puller");

    float s[EMO_BLENDSHAPES] = { 0 }, v[EMO_ACTION_UNITS];
    emo_action_units(s, v);
    for (int i = 0; i < EMO_ACTION_UNITS; i++)
        assert_true(v[i] == 0.0f);
    /* Bilateral: the stronger side. */
    s[emo_blendshape_index("mouthSmileLeft")] = 0.8f;
    s[emo_blendshape_index("mouthSmileRight")] = 0.2f;
    /* Lips part only as far as the jaw opens them and they are not held shut. */
    s[emo_blendshape_index("jawOpen")] = 0.6f;
    s[emo_blendshape_index("mouthClose")] = 0.25f;
    /* Eyes closed: both lids; one closed lid is a wink, not AU43. */
    s[emo_blendshape_index("eyeBlinkLeft")] = 0.9f;
    s[emo_blendshape_index("eyeBlinkRight")] = 0.1f;
    /* Gaze to the subject's left: left eye out, right eye in. */
    s[emo_blendshape_index("eyeLookOutLeft")] = 0.5f;
    s[emo_blendshape_index("eyeLookInRight")] = 0.3f;
    /* Out-of-range and NaN scores are clamped to [0,1] (NaN to 0). */
    s[emo_blendshape_index("browInnerUp")] = 1.5f;
    s[emo_blendshape_index("noseSneerLeft")] = NAN;
    s[emo_blendshape_index("mouthPressLeft")] = 0.7f;
    s[emo_blendshape_index("mouthPressRight")] = 0.6f;
    s[emo_blendshape_index("mouthPucker")] = 0.4f;
    emo_action_units(s, v);
    assert_true(fabsf(au(v, 12) - 0.8f) < 1e-6f);
    assert_true(fabsf(au(v, 25) - 0.35f) < 1e-6f);
    assert_true(fabsf(au(v, 26) - 0.6f) < 1e-6f);
    assert_true(fabsf(au(v, 43) - 0.1f) < 1e-6f);
    assert_true(fabsf(au(v, 61) - 0.4f) < 1e-6f);
    assert_true(au(v, 62) == 0.0f);
    assert_true(au(v, 1) == 1.0f);
    assert_true(au(v, 9) == 0.0f);
    assert_true(fabsf(au(v, 24) - 0.7f) < 1e-6f);
    assert_true(fabsf(au(v, 23) - 0.4f) < 1e-6f);
    assert_true(au(v, 6) == 0.0f);
    s[emo_blendshape_index("mouthClose")] = 0.9f;
    emo_action_units(s, v);
    assert_true(au(v, 25) == 0.0f);

    /* MediaPipe's graph-test face lowers its brows and smiles broadly. */
    Scores mp;
    read_scores(MP "face_blendshapes_out.prototxt", &mp);
    emo_action_units(mp.score, v);
    assert_true(au(v, 4) > 0.85f);
    assert_true(au(v, 12) > 0.9f);
    assert_true(au(v, 26) < 0.2f);
}

/* docs/actions.md documents every rule of the table, with its unit. */
static void test_documented(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s", __FILE__);
    char *slash = strstr(path, "tests/face/");
    assert_non_null(slash);
    snprintf(slash, sizeof(path) - (size_t)(slash - path), "docs/actions.md");
    size_t size;
    char *doc = emo_test_read_file(path, &size);
    for (int i = 0; i < EMO_ACTION_UNITS; i++) {
        char row[256];
        snprintf(row, sizeof(row), "| AU%d | %s | `%s` |", emo_action_unit_number(i), emo_action_unit_name(i),
                 emo_action_unit_rule(i));
        if (!strstr(doc, row))
            fail_msg("docs/actions.md lacks the row starting \"%s\"", row);
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_vector),
        cmocka_unit_test(test_portrait_pair),
        cmocka_unit_test(test_input_matches_golden),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_action_units),
        cmocka_unit_test(test_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
