/* The format-independent graph rewrites (src/nn/rewrite.c) on tiny hand-built
 * graphs: a per-channel scale and shift folded into a convolution (with and
 * without a bias), a depthwise convolution and a dense layer must give what
 * the unfolded graph followed by the scale and shift gives, through the
 * reference executor; a ReLU folded into a clamp must give max(0, y); and
 * the rewrites refuse the nodes they must not touch. */
#include "testutil.h"

#include "nn/graph.h"
#include "nn/ref.h"
#include "nn/rewrite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUT 256

static void drop(void *user, EmoLogLevel level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

static const EmoLogger quiet = { drop, NULL, EMO_LOG_ERROR };

/* Deterministic values in [-1, 1) that differ from element to element. */
static float *values(size_t n, unsigned seed)
{
    float *v = malloc(n * sizeof(float));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((i * 37u + seed * 11u) % 29u) / 14.5f - 1.0f;
    return v;
}

static int constant(EmoNnGraph *g, const char *name, int rank, const int *shape, unsigned seed)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)shape[i];
    int id = emo__nn_graph_add_const_owned(g, name, rank, shape, values(n, seed));
    assert_true(id >= 0);
    return id;
}

typedef struct Net {
    EmoNnGraph g;
    int node;            /* the node under test */
    float x[64];         /* the input */
    size_t n_out;
    int channels;
} Net;

/* One node of op on input `in_shape`, output `out_shape`, weights `wshape`,
 * an optional bias: the graph is input -> node -> output. */
static void net_make(Net *t, EmoNnOp op, int in_rank, const int *in_shape, int out_rank, const int *out_shape,
                     const int *wshape, int with_bias)
{
    EmoNnNode n;
    emo__nn_graph_init(&t->g, &quiet);
    emo__nn_node_init(&n, op);
    int in = emo__nn_graph_add_tensor(&t->g, "x", in_rank, in_shape, NULL);
    assert_true(in >= 0);
    assert_int_equal(emo__nn_graph_mark_input(&t->g, in), 0);
    t->channels = out_shape[out_rank - 1];
    n.weights = constant(&t->g, "w", op == EMO_NN_DENSE ? 2 : 4, wshape, 1);
    if (with_bias)
        n.bias = constant(&t->g, "b", 1, &t->channels, 2);
    if (op != EMO_NN_DENSE) {
        n.kernel_h = wshape[1];
        n.kernel_w = wshape[2];
    }
    if (op == EMO_NN_DEPTHWISE_CONV2D)
        n.depth_multiplier = t->channels / in_shape[3];
    n.inputs[0] = in;
    n.n_inputs = 1;
    n.output = emo__nn_graph_add_tensor(&t->g, "y", out_rank, out_shape, NULL);
    assert_true(n.output >= 0);
    t->node = emo__nn_graph_add_node(&t->g, &n);
    assert_true(t->node >= 0);
    assert_int_equal(emo__nn_graph_mark_output(&t->g, n.output), 0);
    size_t nx = emo__nn_tensor_count(&t->g.tensors[in]);
    assert_true(nx <= 64);
    float *x = values(nx, 3);
    memcpy(t->x, x, nx * sizeof(float));
    free(x);
    t->n_out = emo__nn_tensor_count(&t->g.tensors[n.output]);
    assert_true(t->n_out <= MAX_OUT);
}

static void net_run(const Net *t, float *y)
{
    const float *ins[1] = { t->x };
    float *outs[1] = { y };
    assert_int_equal(emo__nn_ref_run(&t->g, ins, outs), 0);
}

/* Folds y * scale + shift into the node and compares with the unfolded run
 * followed by the same scale and shift (NHWC: channel is the last index).
 * Negative scales too: a fold must not assume a sign. */
static void check_fold(Net *t)
{
    float before[MAX_OUT], after[MAX_OUT], scale[16], shift[16];
    assert_true(t->channels <= 16);
    for (int c = 0; c < t->channels; c++) {
        scale[c] = c % 2 ? -0.5f - 0.25f * (float)c : 0.5f + 0.25f * (float)c;
        shift[c] = 0.1f * (float)c - 0.3f;
    }
    net_run(t, before);
    assert_true(emo__nn_bn_foldable(&t->g, t->node, t->g.nodes[t->node].output));
    assert_int_equal(emo__nn_fold_bn(&t->g, t->node, scale, shift), 0);
    net_run(t, after);
    for (size_t i = 0; i < t->n_out; i++) {
        int c = (int)(i % (size_t)t->channels);
        assert_float_equal(after[i], before[i] * scale[c] + shift[c], 1e-5);
    }
}

static void test_fold_conv_with_bias(void **state)
{
    (void)state;
    Net t;
    int in[4] = { 1, 4, 4, 2 }, out[4] = { 1, 3, 3, 3 }, w[4] = { 3, 2, 2, 2 };
    net_make(&t, EMO_NN_CONV2D, 4, in, 4, out, w, 1);
    check_fold(&t);
    emo__nn_graph_free(&t.g);
}

/* Without a bias the fold adds one, named after the output. The tensor
 * table is filled to its capacity first, so that adding the bias moves it:
 * the name must still come out right (and ASan sees no stale read). */
static void test_fold_conv_adds_bias(void **state)
{
    (void)state;
    Net t;
    int in[4] = { 1, 4, 4, 2 }, out[4] = { 1, 3, 3, 3 }, w[4] = { 3, 2, 2, 2 };
    net_make(&t, EMO_NN_CONV2D, 4, in, 4, out, w, 0);
    int one = 1;
    while (t.g.n_tensors < t.g.cap_tensors)
        assert_true(emo__nn_graph_add_tensor(&t.g, "pad", 1, &one, NULL) >= 0);
    int before = t.g.n_tensors;
    check_fold(&t);
    assert_int_equal(t.g.n_tensors, before + 1);
    const EmoNnNode *n = &t.g.nodes[t.node];
    assert_int_equal(n->bias, before);
    assert_string_equal(t.g.tensors[n->bias].name, "y/bias");
    emo__nn_graph_free(&t.g);
}

static void test_fold_depthwise(void **state)
{
    (void)state;
    Net t;
    /* Two input channels, multiplier 2: four output channels, weights
     * [1][kh][kw][Cin*mult] scaled by their output channel. */
    int in[4] = { 1, 3, 3, 2 }, out[4] = { 1, 2, 2, 4 }, w[4] = { 1, 2, 2, 4 };
    net_make(&t, EMO_NN_DEPTHWISE_CONV2D, 4, in, 4, out, w, 1);
    check_fold(&t);
    emo__nn_graph_free(&t.g);
}

static void test_fold_dense(void **state)
{
    (void)state;
    Net t;
    int in[2] = { 1, 5 }, out[2] = { 1, 3 }, w[2] = { 3, 5 };
    net_make(&t, EMO_NN_DENSE, 2, in, 2, out, w, 0);
    check_fold(&t);
    emo__nn_graph_free(&t.g);
}

static void test_fuse_relu(void **state)
{
    (void)state;
    Net t;
    int in[4] = { 1, 4, 4, 2 }, out[4] = { 1, 3, 3, 3 }, w[4] = { 3, 2, 2, 2 };
    net_make(&t, EMO_NN_CONV2D, 4, in, 4, out, w, 1);
    float lin[MAX_OUT], got[MAX_OUT];
    net_run(&t, lin);
    int negatives = 0;
    for (size_t i = 0; i < t.n_out; i++)
        negatives += lin[i] < 0.0f;
    assert_true(negatives > 0); /* otherwise the test proves nothing */
    assert_int_equal(emo__nn_fuse_relu(&t.g, t.node), 1);
    net_run(&t, got);
    for (size_t i = 0; i < t.n_out; i++)
        assert_float_equal(got[i], lin[i] > 0.0f ? lin[i] : 0.0f, 1e-6);
    /* A clamp already tighter than ReLU keeps its bounds: relu(clamp(x, a, b))
     * is clamp(x, max(a, 0), max(b, 0)). */
    EmoNnNode *n = &t.g.nodes[t.node];
    n->act_min = 0.5f;
    n->act_max = -2.0f;
    assert_int_equal(emo__nn_fuse_relu(&t.g, t.node), 1);
    assert_true(n->act_min == 0.5f && n->act_max == 0.0f);
    /* Once clamped, the node no longer takes a scale and shift. */
    assert_false(emo__nn_bn_foldable(&t.g, t.node, n->output));
    emo__nn_graph_free(&t.g);
}

static void test_refusals(void **state)
{
    (void)state;
    Net t;
    int in[2] = { 1, 5 }, out[2] = { 1, 3 }, w[2] = { 3, 5 };
    net_make(&t, EMO_NN_DENSE, 2, in, 2, out, w, 1);
    int y = t.g.nodes[t.node].output;
    assert_false(emo__nn_bn_foldable(&t.g, -1, y));          /* shared producer */
    assert_false(emo__nn_bn_foldable(&t.g, t.node, y - 1));  /* not its output */
    assert_int_equal(emo__nn_fuse_relu(&t.g, -1), 0);
    /* A softmax carries no fused clamp. */
    EmoNnNode sm;
    emo__nn_node_init(&sm, EMO_NN_SOFTMAX);
    sm.inputs[0] = y;
    sm.n_inputs = 1;
    sm.output = emo__nn_graph_add_tensor(&t.g, "p", 2, out, NULL);
    int id = emo__nn_graph_add_node(&t.g, &sm);
    assert_true(id >= 0);
    assert_int_equal(emo__nn_fuse_relu(&t.g, id), 0);
    assert_true(t.g.nodes[id].act_min == -INFINITY);
    assert_false(emo__nn_bn_foldable(&t.g, id, sm.output));
    emo__nn_graph_free(&t.g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_conv_with_bias),
        cmocka_unit_test(test_fold_conv_adds_bias),
        cmocka_unit_test(test_fold_depthwise),
        cmocka_unit_test(test_fold_dense),
        cmocka_unit_test(test_fuse_relu),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
