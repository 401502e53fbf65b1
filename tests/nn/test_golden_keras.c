/* Golden outputs of the Keras models (three face_classification files and the
 * DeepFace weights-only layout): every case listed in
 * ../shared/testdata/golden/index.json for these models (DeepFace's three
 * cases are named in the golden README, not in index.json) is reproduced within
 * 1e-4 absolute on the probabilities, both by the plain-C reference executor
 * on the loaded graph and through the public emo_nn_open/emo_nn_run path
 * (XNNPACK, 1 and 2 threads). The largest error per case is printed. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include "nn/graph.h"
#include "nn/ref.h"

#include <cjson/cJSON.h>
#include <emoscope/nn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-4

typedef struct Model {
    const char *dir;          /* folder under testdata/golden */
    const char *file;         /* model file */
    int shared;               /* file is under ../shared (else the models folder) */
    int side;                 /* input side */
    const char *output;       /* output tensor name: the Keras output layer's */
    int nodes;                /* graph nodes: every BN folded, every ReLU fused */
    const char *cases[4];     /* when index.json does not list the model's cases */
} Model;

static const Model models[] = {
    { "fer2013_mini_XCEPTION", "fer2013_mini_XCEPTION.102-0.66.hdf5", 0, 64, "predictions", 34, { NULL } },
    { "fer2013_big_XCEPTION", "fer2013_big_XCEPTION.54-0.66.hdf5", 0, 64, "predictions", 21, { NULL } },
    { "mini_XCEPTION_KDEF", "mini_XCEPTION_KDEF.hdf5", 0, 64, "predictions", 34, { NULL } },
    { "deepface_emotion", "testdata/golden/deepface_emotion/facial_expression_model_weights.synthetic.h5", 1, 48, "dense_3", 13,
      { "gradient", "checker", "noise1", NULL } },
};

static EmoLogger errors_only = { NULL, NULL, EMO_LOG_ERROR };

static char *dup_path(const char *p)
{
    char *s = strdup(p);
    assert_non_null(s);
    return s;
}

static cJSON *load_index(void)
{
    size_t n;
    char *text = emo_test_read_file(emo_test_shared("testdata/golden/index.json"), &n);
    char *z = realloc(text, n + 1);
    assert_non_null(z);
    z[n] = 0;
    cJSON *j = cJSON_Parse(z);
    free(z);
    assert_non_null(j);
    return j;
}

static void run_model(const Model *m)
{
    char *path = dup_path(m->shared ? emo_test_shared(m->file) : emo_test_model(m->file));
    EmoNnGraph g;
    emo__nn_graph_init(&g, &errors_only);
    assert_int_equal(emo__nn_load_keras(&g, path), 0);
    assert_int_equal(g.n_inputs, 1);
    assert_int_equal(g.n_outputs, 1);
    const EmoNnTensor *in = &g.tensors[g.inputs[0]], *out = &g.tensors[g.outputs[0]];
    /* The input shape comes from the file. */
    assert_int_equal(in->rank, 4);
    assert_int_equal(in->shape[0], 1);
    assert_int_equal(in->shape[1], m->side);
    assert_int_equal(in->shape[2], m->side);
    assert_int_equal(in->shape[3], 1);
    assert_int_equal(emo__nn_tensor_count(out), 7);
    assert_string_equal(out->name, m->output);
    assert_int_equal(g.n_nodes, m->nodes);
    printf("%s: %d nodes, %.1f M multiply-adds\n", m->dir, g.n_nodes, (double)emo__nn_graph_macs(&g) / 1e6);

    /* The public path: format detection, the same loader, XNNPACK. */
    EmoNnModel *pub[2] = { NULL, NULL };
    for (int t = 0; t < 2; t++) {
        EmoNnSettings st;
        emo_nn_default_settings(&st);
        st.threads = t + 1;
        st.log = &errors_only;
        assert_int_equal(emo_nn_open(&pub[t], path, &st), 0);
        EmoNnTensorInfo ii, oi;
        assert_int_equal(emo_nn_num_inputs(pub[t]), 1);
        assert_int_equal(emo_nn_num_outputs(pub[t]), 1);
        assert_int_equal(emo_nn_input_info(pub[t], 0, &ii), 0);
        assert_int_equal(emo_nn_output_info(pub[t], 0, &oi), 0);
        assert_int_equal(ii.count, emo__nn_tensor_count(in));
        assert_int_equal(oi.count, 7);
        assert_int_equal(oi.rank, 2);
        assert_true(emo_nn_macs(pub[t]) == emo__nn_graph_macs(&g));
    }

    /* Case names: index.json entries "<dir>/<case>", else the fixed list. */
    const char *names[64];
    int n_names = 0;
    cJSON *index = load_index();
    size_t plen = strlen(m->dir);
    const cJSON *e;
    cJSON_ArrayForEach(e, index)
    {
        if (!strncmp(e->string, m->dir, plen) && e->string[plen] == '/' && n_names < 64)
            names[n_names++] = e->string + plen + 1;
    }
    if (n_names == 0)
        while (n_names < 4 && m->cases[n_names]) {
            names[n_names] = m->cases[n_names];
            n_names++;
        }
    int cases = 0;
    for (int k = 0; k < n_names; k++) {
        char rel[512];
        snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/input.f32", m->dir, names[k]);
        float *x = emo_test_read_f32(emo_test_shared(rel), emo__nn_tensor_count(in));
        snprintf(rel, sizeof(rel), "testdata/golden/%s/%s/probs.f32", m->dir, names[k]);
        float *want = emo_test_read_f32(emo_test_shared(rel), 7);
        float y[7];
        const float *ins[1] = { x };
        float *outs[1] = { y };
        assert_int_equal(emo__nn_ref_run(&g, ins, outs), 0);
        double err = 0, sum = 0;
        for (int i = 0; i < 7; i++) {
            err = fmax(err, fabs((double)y[i] - want[i]));
            sum += y[i];
        }
        assert_true(fabs(sum - 1.0) < 1e-5);
        double perr[2] = { 0, 0 };
        for (int t = 0; t < 2; t++) {
            memcpy(emo_nn_input(pub[t], 0), x, emo__nn_tensor_count(in) * sizeof(float));
            assert_int_equal(emo_nn_run(pub[t]), 0);
            const float *py = emo_nn_output(pub[t], 0);
            for (int i = 0; i < 7; i++)
                perr[t] = fmax(perr[t], fabs((double)py[i] - want[i]));
        }
        printf("  %s/%-36s max |error|: ref %.3g, xnnpack 1 thread %.3g, 2 threads %.3g\n", m->dir, names[k], err,
               perr[0], perr[1]);
        assert_true(err <= TOL);
        assert_true(perr[0] <= TOL);
        assert_true(perr[1] <= TOL);
        free(x);
        free(want);
        cases++;
    }
    assert_true(cases >= 3);
    cJSON_Delete(index);
    emo_nn_close(&pub[0]);
    emo_nn_close(&pub[1]);
    assert_null(pub[0]);
    emo__nn_graph_free(&g);
    free(path);
}

static void test_mini_xception(void **s) { (void)s; run_model(&models[0]); }
static void test_big_xception(void **s) { (void)s; run_model(&models[1]); }
static void test_kdef(void **s) { (void)s; run_model(&models[2]); }
static void test_deepface(void **s) { (void)s; run_model(&models[3]); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mini_xception),
        cmocka_unit_test(test_big_xception),
        cmocka_unit_test(test_kdef),
        cmocka_unit_test(test_deepface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
