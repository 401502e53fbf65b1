/*
 * The XNNPACK backend against the plain-C reference executor (ref.c) on
 * small hand-built graphs covering every op and the paths the real models
 * do not take: asymmetric (SAME) and symmetric padding, average pooling
 * with padding (TensorFlow excludes the padding from the average), dilation,
 * depth multiplier, clamps on ops without a fused range, rank changes
 * around global pooling and dense layers, concatenation of outputs with
 * contiguous and non-contiguous slices. Tolerance: 1e-5 absolute + 1e-5
 * relative (float32 sums in a different order).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/graph.h"
#include "nn/ref.h"
#include "nn/xnn_backend.h"

static uint32_t seed = 7;

static float rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int act(EmoNnGraph *g, const char *name, int rank, int a, int b, int c, int d)
{
    int shape[4] = { a, b, c, d };
    int id = emo__nn_graph_add_tensor(g, name, rank, shape, NULL);
    assert_true(id >= 0);
    return id;
}

static int cst(EmoNnGraph *g, const char *name, int rank, int a, int b, int c, int d)
{
    int shape[4] = { a, b, c, d };
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)shape[i];
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        v[i] = rnd() * 0.5f;
    int id = emo__nn_graph_add_const_owned(g, name, rank, shape, v);
    assert_true(id >= 0);
    return id;
}

static void node(EmoNnGraph *g, const EmoNnNode *n)
{
    assert_true(emo__nn_graph_add_node(g, n) >= 0);
}

static float *buffer(size_t count)
{
    float *p = aligned_alloc(64, (count * sizeof(float) + EMO_NN_BUFFER_SLACK + 63) / 64 * 64);
    memset(p, 0, (count * sizeof(float) + EMO_NN_BUFFER_SLACK + 63) / 64 * 64);
    return p;
}

/* Validates g, runs it on both executors with 1 and 2 threads, compares. */
static void compare(EmoNnGraph *g, const char *what)
{
    assert_int_equal(emo__nn_graph_validate(g), 0);
    float *in[8] = { 0 }, *out[8] = { 0 }, *ref[8] = { 0 };
    for (int i = 0; i < g->n_inputs; i++) {
        size_t n = emo__nn_tensor_count(&g->tensors[g->inputs[i]]);
        in[i] = buffer(n);
        for (size_t k = 0; k < n; k++)
            in[i][k] = rnd() * 2.0f;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        size_t n = emo__nn_tensor_count(&g->tensors[g->outputs[i]]);
        out[i] = buffer(n);
        ref[i] = buffer(n);
    }
    assert_int_equal(emo__nn_ref_run(g, (const float *const *)in, ref), 0);
    for (int threads = 1; threads <= 2; threads++) {
        EmoNnXnn *x = NULL;
        assert_int_equal(emo__nn_xnn_create(&x, g, in, out, threads, what), 0);
        assert_int_equal(emo__nn_xnn_run(x), 0);
        double worst = 0;
        for (int i = 0; i < g->n_outputs; i++) {
            size_t n = emo__nn_tensor_count(&g->tensors[g->outputs[i]]);
            for (size_t k = 0; k < n; k++) {
                double d = fabs((double)out[i][k] - ref[i][k]) / (1.0 + fabs((double)ref[i][k]));
                if (!(d <= worst))
                    worst = isnan(d) ? INFINITY : d;
            }
        }
        printf("[ xnn/ref ] %-40s threads %d: max error %.3g\n", what, threads, worst);
        assert_true(worst <= 1e-5);
        emo__nn_xnn_destroy(&x);
        assert_null(x);
    }
    for (int i = 0; i < 8; i++) {
        free(in[i]);
        free(out[i]);
        free(ref[i]);
    }
    emo__nn_graph_free(g);
}

static void test_conv(void **state)
{
    (void)state;
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    /* 3x3 stride 2 SAME on 9x10: TF pads 1 top/left... computed below. */
    int x = act(&g, "x", 4, 1, 9, 10, 3);
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_CONV2D);
    n.inputs[0] = x;
    n.n_inputs = 1;
    n.kernel_h = n.kernel_w = 3;
    n.stride_h = n.stride_w = 2;
    int oh, ow;
    emo__nn_same_padding(9, 3, 2, 1, &n.pad_top, &n.pad_bottom, &oh);
    emo__nn_same_padding(10, 3, 2, 1, &n.pad_left, &n.pad_right, &ow);
    n.weights = cst(&g, "w", 4, 5, 3, 3, 3);
    n.bias = cst(&g, "b", 1, 5, 0, 0, 0);
    n.act_min = 0.0f;
    n.act_max = 0.5f;
    n.output = act(&g, "y", 4, 1, oh, ow, 5);
    node(&g, &n);
    /* Dilated 3x3, no bias, VALID. */
    EmoNnNode m;
    emo__nn_node_init(&m, EMO_NN_CONV2D);
    m.inputs[0] = n.output;
    m.n_inputs = 1;
    m.kernel_h = m.kernel_w = 2;
    m.dilation_h = m.dilation_w = 2;
    m.weights = cst(&g, "w2", 4, 4, 2, 2, 5);
    m.output = act(&g, "z", 4, 1, oh - 2, ow - 2, 4);
    node(&g, &m);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_output(&g, m.output);
    compare(&g, "conv SAME stride 2 + dilated VALID");
}

static void test_depthwise(void **state)
{
    (void)state;
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int x = act(&g, "x", 4, 1, 8, 7, 3);
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_DEPTHWISE_CONV2D);
    n.inputs[0] = x;
    n.n_inputs = 1;
    n.kernel_h = 5;
    n.kernel_w = 3;
    n.depth_multiplier = 2;
    n.pad_top = 2;
    n.pad_bottom = 2;
    n.pad_left = 1;
    n.pad_right = 1;
    n.weights = cst(&g, "w", 4, 1, 5, 3, 6);
    n.bias = cst(&g, "b", 1, 6, 0, 0, 0);
    n.output = act(&g, "y", 4, 1, 8, 7, 6);
    node(&g, &n);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_output(&g, n.output);
    compare(&g, "depthwise 5x3 multiplier 2");
}

static void pool_case(EmoNnOp op, int k, int s, int pt, int pb, int pl, int pr, const char *what)
{
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int h = 9, w = 8, c = 4;
    int x = act(&g, "x", 4, 1, h, w, c);
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    n.inputs[0] = x;
    n.n_inputs = 1;
    n.kernel_h = n.kernel_w = k;
    n.stride_h = n.stride_w = s;
    n.pad_top = pt;
    n.pad_bottom = pb;
    n.pad_left = pl;
    n.pad_right = pr;
    n.output = act(&g, "y", 4, 1, (h + pt + pb - k) / s + 1, (w + pl + pr - k) / s + 1, c);
    node(&g, &n);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_output(&g, n.output);
    compare(&g, what);
}

static void test_pooling(void **state)
{
    (void)state;
    pool_case(EMO_NN_AVG_POOL, 3, 2, 1, 1, 1, 1, "avg pool 3x3/2 padding 1 (excluded)");
    pool_case(EMO_NN_AVG_POOL, 2, 2, 0, 1, 0, 0, "avg pool 2x2/2 SAME-like bottom pad");
    pool_case(EMO_NN_AVG_POOL, 3, 2, 0, 0, 0, 0, "avg pool 3x3/2 VALID");
    pool_case(EMO_NN_MAX_POOL, 3, 2, 1, 1, 1, 1, "max pool 3x3/2 padding 1");
    pool_case(EMO_NN_MAX_POOL, 2, 2, 0, 0, 0, 0, "max pool 2x2/2 VALID");
}

static void test_head(void **state)
{
    (void)state;
    /* prelu (+ separate clamp) -> pad channels -> add -> global pool to
     * [1,C] -> dense to [1,1,1,K] -> reshape -> softmax; sigmoid output. */
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int x = act(&g, "x", 4, 1, 5, 6, 3);
    int y = act(&g, "y", 4, 1, 5, 6, 5);
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_PRELU);
    n.inputs[0] = x;
    n.n_inputs = 1;
    n.weights = cst(&g, "slope", 1, 3, 0, 0, 0);
    n.act_min = -0.2f;
    n.act_max = 0.7f;
    int p = n.output = act(&g, "p", 4, 1, 5, 6, 3);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_PAD_CHANNELS);
    n.inputs[0] = p;
    n.n_inputs = 1;
    n.pad_before = 0;
    n.pad_after = 2;
    int q = n.output = act(&g, "q", 4, 1, 5, 6, 5);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_ADD);
    n.inputs[0] = q;
    n.inputs[1] = y;
    n.n_inputs = 2;
    n.act_min = 0.0f;
    int a = n.output = act(&g, "a", 4, 1, 5, 6, 5);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_GLOBAL_AVG_POOL);
    n.inputs[0] = a;
    n.n_inputs = 1;
    int gp = n.output = act(&g, "gp", 2, 1, 5, 0, 0);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_DENSE);
    n.inputs[0] = gp;
    n.n_inputs = 1;
    n.weights = cst(&g, "fc", 2, 7, 5, 0, 0);
    n.bias = cst(&g, "fcb", 1, 7, 0, 0, 0);
    int d = n.output = act(&g, "d", 4, 1, 1, 1, 7);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_RESHAPE);
    n.inputs[0] = d;
    n.n_inputs = 1;
    int r = n.output = act(&g, "r", 2, 1, 7, 0, 0);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_SOFTMAX);
    n.inputs[0] = r;
    n.n_inputs = 1;
    int sm = n.output = act(&g, "probs", 2, 1, 7, 0, 0);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_SIGMOID);
    n.inputs[0] = a;
    n.n_inputs = 1;
    int sg = n.output = act(&g, "sig", 4, 1, 5, 6, 5);
    node(&g, &n);
    emo__nn_node_init(&n, EMO_NN_CLAMP);
    n.inputs[0] = a;
    n.n_inputs = 1;
    n.act_min = 0.0f;
    n.act_max = 6.0f;
    int cl = n.output = act(&g, "relu6", 4, 1, 5, 6, 5);
    node(&g, &n);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_input(&g, y);
    emo__nn_graph_mark_output(&g, sm);
    emo__nn_graph_mark_output(&g, sg);
    emo__nn_graph_mark_output(&g, cl);
    compare(&g, "prelu/pad/add/gap/dense/softmax/sigmoid");
}

/* Two 1x1 conv heads on a 4x4 image (2 and 3 channels), each reshaped to
 * [outer, n_k, 2] (or kept 4D for a channel concatenation), concatenated
 * on `axis` as a model output. */
static void concat_case(int outer, int channels, const char *what)
{
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int x = act(&g, "x", 4, 1, 4, 4, 3);
    int piece[2], total = 0;
    for (int k = 0; k < 2; k++) {
        EmoNnNode n;
        emo__nn_node_init(&n, EMO_NN_CONV2D);
        n.inputs[0] = x;
        n.n_inputs = 1;
        n.weights = cst(&g, "w", 4, 2 + k, 1, 1, 3);
        n.output = act(&g, "head", 4, 1, 4, 4, 2 + k);
        node(&g, &n);
        piece[k] = n.output;
        if (!channels) {
            int len = 16 * (2 + k) / (2 * outer);
            total += len;
            emo__nn_node_init(&n, EMO_NN_RESHAPE);
            n.inputs[0] = piece[k];
            n.n_inputs = 1;
            n.output = act(&g, "r", 3, outer, len, 2, 0);
            node(&g, &n);
            piece[k] = n.output;
        }
    }
    EmoNnNode c;
    emo__nn_node_init(&c, EMO_NN_CONCAT);
    c.inputs[0] = piece[0];
    c.inputs[1] = piece[1];
    c.n_inputs = 2;
    c.axis = channels ? 3 : 1;
    c.output = channels ? act(&g, "cat", 4, 1, 4, 4, 5) : act(&g, "cat", 3, outer, total, 2, 0);
    node(&g, &c);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_output(&g, c.output);
    compare(&g, what);
}

static void test_concat(void **state)
{
    (void)state;
    concat_case(1, 0, "output concat, contiguous slices");
    concat_case(1, 1, "output concat on channels (copied)");
    concat_case(2, 0, "output concat, outer size 2 (copied)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_depthwise),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_concat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
