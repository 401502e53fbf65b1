/*
 * The XNNPACK backend against the plain-C reference executor (ref.c) on
 * small hand-built graphs covering every op and the paths the real models
 * do not take: asymmetric (SAME) and symmetric padding, average pooling
 * with padding (TensorFlow excludes the padding from the average), dilation,
 * depth multiplier, clamps on ops without a fused range, rank changes
 * around global pooling and dense layers, concatenation of outputs with
 * contiguous and non-contiguous slices; the elementwise, reduction and
 * data-movement ops (broadcasting, constant operands, keep_dims or not,
 * transposes, slices and concatenations that xnn_compose.c composes) and
 * bilinear resizing in TensorFlow's three sampling conventions, each
 * also checked on the reference executor against values worked out here,
 * and the shapes XNNPACK cannot compose or the graph rejects. Tolerance:
 * 1e-5 absolute + 1e-5 relative (float32 sums in a different order).
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


/* A node of op reading `in` into `out`, its other fields defaulted. */
static EmoNnNode node_of(EmoNnOp op, int in, int out)
{
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    n.inputs[0] = in;
    n.n_inputs = 1;
    n.output = out;
    return n;
}

static int unary(EmoNnGraph *g, EmoNnOp op, int in, int out)
{
    EmoNnNode n = node_of(op, in, out);
    node(g, &n);
    return out;
}

static int binary(EmoNnGraph *g, EmoNnOp op, int a, int b, int out, float lo, float hi)
{
    EmoNnNode n = node_of(op, a, out);
    n.inputs[1] = b;
    n.n_inputs = 2;
    n.act_min = lo;
    n.act_max = hi;
    node(g, &n);
    return out;
}

static int concat2(EmoNnGraph *g, int a, int b, int axis, int out)
{
    EmoNnNode n = node_of(EMO_NN_CONCAT, a, out);
    n.inputs[1] = b;
    n.n_inputs = 2;
    n.axis = axis;
    node(g, &n);
    return out;
}

static int reduce(EmoNnGraph *g, EmoNnOp op, int in, unsigned axes, int out)
{
    EmoNnNode n = node_of(op, in, out);
    n.axes = axes;
    node(g, &n);
    return out;
}

static int transpose(EmoNnGraph *g, int in, int p0, int p1, int p2, int p3, int out)
{
    EmoNnNode n = node_of(EMO_NN_TRANSPOSE, in, out);
    int perm[4] = { p0, p1, p2, p3 };
    memcpy(n.perm, perm, sizeof(perm));
    node(g, &n);
    return out;
}

/* A slice of one axis (the others whole). */
static int slice(EmoNnGraph *g, int in, int axis, int begin, int step, int count, int out)
{
    EmoNnNode n = node_of(EMO_NN_SLICE, in, out);
    const EmoNnTensor *t = &g->tensors[in];
    for (int d = 0; d < t->rank; d++)
        n.count[d] = t->shape[d];
    n.begin[axis] = begin;
    n.step[axis] = step;
    n.count[axis] = count;
    node(g, &n);
    return out;
}

static int constant(EmoNnGraph *g, int rank, int a, int b, int c, int d, const float *v)
{
    int shape[4] = { a, b, c, d };
    int id = emo__nn_graph_add_tensor(g, "k", rank, shape, v);
    assert_true(id >= 0);
    return id;
}

/* Runs g on the reference executor with input i holding in[i] and
 * checks output o against want[o] (within 1e-5); then compares XNNPACK
 * with the reference (compare(), which frees g). */
static void expect(EmoNnGraph *g, const float *const *in, const float *const *want, const char *what)
{
    assert_int_equal(emo__nn_graph_validate(g), 0);
    float *out[8] = { 0 };
    for (int o = 0; o < g->n_outputs; o++)
        out[o] = buffer(emo__nn_tensor_count(&g->tensors[g->outputs[o]]));
    assert_int_equal(emo__nn_ref_run(g, in, out), 0);
    for (int o = 0; o < g->n_outputs; o++) {
        size_t n = emo__nn_tensor_count(&g->tensors[g->outputs[o]]);
        for (size_t k = 0; k < n; k++)
            if (!(fabsf(out[o][k] - want[o][k]) <= 1e-5f * (1.0f + fabsf(want[o][k]))))
                fail_msg("output %s[%zu]: %g, expected %g", g->tensors[g->outputs[o]].name, k, (double)out[o][k],
                         (double)want[o][k]);
        free(out[o]);
    }
    compare(g, what);
}

static void test_broadcast(void **state)
{
    (void)state;
    /* q = clamp((clamp(x + c - y, -1, 1) * 0.5 / z - y)^2, <= 3) with
     * x [1,3,4], y [3,1], c [4] constant, z [1,1,4]: every broadcast
     * direction, a constant first operand (0.5 * s), a fused clamp (SUB)
     * and a separate one (SQUARED_DIFF). */
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    static const float cv[4] = { 0.5f, -1.0f, 2.0f, 0.0f }, half = 0.5f;
    int x = act(&g, "x", 3, 1, 3, 4, 0), y = act(&g, "y", 2, 3, 1, 0, 0), z = act(&g, "z", 3, 1, 1, 4, 0);
    int c = constant(&g, 1, 4, 0, 0, 0, cv), h = constant(&g, 1, 1, 0, 0, 0, &half);
    int a = binary(&g, EMO_NN_ADD, x, c, act(&g, "a", 3, 1, 3, 4, 0), -INFINITY, INFINITY);
    int s = binary(&g, EMO_NN_SUB, a, y, act(&g, "s", 3, 1, 3, 4, 0), -1.0f, 1.0f);
    int m = binary(&g, EMO_NN_MUL, h, s, act(&g, "m", 3, 1, 3, 4, 0), -INFINITY, INFINITY);
    int d = binary(&g, EMO_NN_DIV, m, z, act(&g, "d", 3, 1, 3, 4, 0), -INFINITY, INFINITY);
    int q = binary(&g, EMO_NN_SQUARED_DIFF, d, y, act(&g, "q", 3, 1, 3, 4, 0), -INFINITY, 3.0f);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_input(&g, y);
    emo__nn_graph_mark_input(&g, z);
    emo__nn_graph_mark_output(&g, q);
    float xv[12], yv[3] = { 0.25f, -0.5f, 1.0f }, zv[4] = { 1.0f, 2.0f, -4.0f, 0.5f }, want[12];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            xv[i * 4 + j] = 0.3f * (float)(i - j);
            float sv = xv[i * 4 + j] + cv[j] - yv[i];
            sv = sv < -1.0f ? -1.0f : sv > 1.0f ? 1.0f : sv;
            float e = (0.5f * sv / zv[j] - yv[i]) * (0.5f * sv / zv[j] - yv[i]);
            want[i * 4 + j] = e > 3.0f ? 3.0f : e;
        }
    const float *ins[3] = { xv, yv, zv }, *wants[1] = { want };
    expect(&g, ins, wants, "broadcasting binary ops");
}

static void test_unary_reduce(void **state)
{
    (void)state;
    /* x [1,5,4]: neg; sqrt and rsqrt of x^2 + 1; mean over the last axis
     * (kept) and over axis 1 (kept); sum over the last axis (dropped) and
     * over axis 1 (dropped); mean over axes 1 and 2. */
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    static const float zero = 0.0f, one = 1.0f;
    int x = act(&g, "x", 3, 1, 5, 4, 0);
    int ng = unary(&g, EMO_NN_NEG, x, act(&g, "neg", 3, 1, 5, 4, 0));
    int sq = binary(&g, EMO_NN_SQUARED_DIFF, x, constant(&g, 1, 1, 0, 0, 0, &zero), act(&g, "sq", 3, 1, 5, 4, 0),
                    -INFINITY, INFINITY);
    int p = binary(&g, EMO_NN_ADD, constant(&g, 1, 1, 0, 0, 0, &one), sq, act(&g, "p", 3, 1, 5, 4, 0), -INFINITY,
                   INFINITY);
    int rt = unary(&g, EMO_NN_SQRT, p, act(&g, "sqrt", 3, 1, 5, 4, 0));
    int rs = unary(&g, EMO_NN_RSQRT, p, act(&g, "rsqrt", 3, 1, 5, 4, 0));
    int m2 = reduce(&g, EMO_NN_MEAN, x, 4, act(&g, "mean2", 3, 1, 5, 1, 0));
    int m1 = reduce(&g, EMO_NN_MEAN, x, 2, act(&g, "mean1", 3, 1, 1, 4, 0));
    int s2 = reduce(&g, EMO_NN_SUM, x, 4, act(&g, "sum2", 2, 1, 5, 0, 0));
    int s1 = reduce(&g, EMO_NN_SUM, x, 2, act(&g, "sum1", 2, 1, 4, 0, 0));
    int m12 = reduce(&g, EMO_NN_MEAN, x, 6, act(&g, "mean12", 1, 1, 0, 0, 0));
    emo__nn_graph_mark_input(&g, x);
    int outs[] = { ng, rt, rs, m2, m1, s2, s1, m12 };
    for (size_t k = 0; k < sizeof(outs) / sizeof(outs[0]); k++)
        emo__nn_graph_mark_output(&g, outs[k]);
    float xv[20], neg[20], sqrtv[20], rsq[20], mean2[5] = { 0 }, mean1[4] = { 0 }, sum2[5] = { 0 }, sum1[4] = { 0 },
          mean12 = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) {
            float v = xv[i * 4 + j] = (float)(i * 4 + j) * 0.25f - 2.0f;
            neg[i * 4 + j] = -v;
            sqrtv[i * 4 + j] = sqrtf(1.0f + v * v);
            rsq[i * 4 + j] = 1.0f / sqrtf(1.0f + v * v);
            sum2[i] += v;
            sum1[j] += v;
            mean12 += v / 20.0f;
        }
    for (int i = 0; i < 5; i++)
        mean2[i] = sum2[i] / 4.0f;
    for (int j = 0; j < 4; j++)
        mean1[j] = sum1[j] / 5.0f;
    const float *ins[1] = { xv }, *wants[8] = { neg, sqrtv, rsq, mean2, mean1, sum2, sum1, &mean12 };
    expect(&g, ins, wants, "neg, sqrt, rsqrt, mean, sum");
}

static void test_data_movement(void **state)
{
    (void)state;
    /* Inputs x [1,1,6,4], r [2,3,4], w [6,4], v [1,4]. */
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    static const float token[4] = { 9.0f, 8.0f, 7.0f, 6.0f };
    int x = act(&g, "x", 4, 1, 1, 6, 4), r = act(&g, "r", 3, 2, 3, 4, 0), w = act(&g, "w", 2, 6, 4, 0, 0);
    int v = act(&g, "v", 2, 1, 4, 0, 0);
    /* Swap of the last two axes, and [2,3,4] -> [4,2,3] (a rotation). */
    int t1 = transpose(&g, x, 0, 1, 3, 2, act(&g, "t1", 4, 1, 1, 4, 6));
    int t2 = transpose(&g, r, 2, 0, 1, 0, act(&g, "t2", 3, 4, 2, 3, 0));
    /* Rows 1, 3, 5 of x (outer 1); columns 1 and 3 of w (last axis); all of
     * v with its leading axis dropped (TFLite's shrink_axis_mask). */
    int s1 = slice(&g, x, 2, 1, 2, 3, act(&g, "s1", 4, 1, 1, 3, 4));
    int s2 = slice(&g, w, 1, 1, 2, 2, act(&g, "s2", 2, 6, 2, 0, 0));
    int s3 = slice(&g, v, 0, 0, 1, 1, act(&g, "s3", 1, 4, 0, 0, 0));
    /* A constant token before x on axis -2, and w beside its own slice on
     * axis 1 (outer 6): concatenations inside the graph, consumed by NEG. */
    int cat1 = concat2(&g, constant(&g, 4, 1, 1, 1, 4, token), x, 2, act(&g, "cat1", 4, 1, 1, 7, 4));
    int c1 = unary(&g, EMO_NN_NEG, cat1, act(&g, "c1", 4, 1, 1, 7, 4));
    int cat2 = concat2(&g, w, s2, 1, act(&g, "cat2", 2, 6, 6, 0, 0));
    int c2 = unary(&g, EMO_NN_NEG, cat2, act(&g, "c2", 2, 6, 6, 0, 0));
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_input(&g, r);
    emo__nn_graph_mark_input(&g, w);
    emo__nn_graph_mark_input(&g, v);
    int outs[] = { t1, t2, s1, s2, s3, c1, c2 };
    for (size_t k = 0; k < sizeof(outs) / sizeof(outs[0]); k++)
        emo__nn_graph_mark_output(&g, outs[k]);

    float xv[24], rv[24], wv[24], vv[4] = { 1, 2, 3, 4 };
    float t1w[24], t2w[24], s1w[12], s2w[12], c1w[28], c2w[36];
    for (int i = 0; i < 24; i++) {
        xv[i] = (float)i;
        rv[i] = (float)(100 + i);
        wv[i] = (float)(200 + i);
    }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 4; j++) {
            t1w[j * 6 + i] = xv[i * 4 + j];
            c1w[(i + 1) * 4 + j] = -xv[i * 4 + j];
            c2w[i * 6 + j] = -wv[i * 4 + j];
        }
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 4; c++)
                t2w[(c * 2 + a) * 3 + b] = rv[(a * 3 + b) * 4 + c];
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 4; j++)
            s1w[k * 4 + j] = xv[(1 + 2 * k) * 4 + j];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 2; k++) {
            s2w[i * 2 + k] = wv[i * 4 + 1 + 2 * k];
            c2w[i * 6 + 4 + k] = -s2w[i * 2 + k];
        }
    for (int j = 0; j < 4; j++)
        c1w[j] = -token[j];
    const float *ins[4] = { xv, rv, wv, vv }, *wants[7] = { t1w, t2w, s1w, s2w, vv, c1w, c2w };
    expect(&g, ins, wants, "transpose, slice, concatenation");
}

/* Transposes feeding convolutions, as in the blendshape model's token
 * mixing: into a 1x1 convolution with bias and clamp, a transpose read
 * twice, one read by a 3x3 convolution. */
static void test_transpose_conv(void **state)
{
    (void)state;
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int x = act(&g, "x", 4, 1, 1, 7, 5), y = act(&g, "y", 4, 1, 1, 6, 4);
    int tx = transpose(&g, x, 0, 1, 3, 2, act(&g, "tx", 4, 1, 1, 5, 7));
    EmoNnNode n = node_of(EMO_NN_CONV2D, tx, act(&g, "c1", 4, 1, 1, 5, 9));
    n.weights = cst(&g, "w1", 4, 9, 1, 1, 7);
    n.bias = cst(&g, "b1", 1, 9, 0, 0, 0);
    n.act_min = -0.3f;
    n.act_max = 0.4f;
    node(&g, &n);
    int c1 = n.output;
    /* Read by a convolution and by NEG. */
    int ty = transpose(&g, y, 0, 1, 3, 2, act(&g, "ty", 4, 1, 1, 4, 6));
    n = node_of(EMO_NN_CONV2D, ty, act(&g, "c2", 4, 1, 1, 4, 3));
    n.weights = cst(&g, "w2", 4, 3, 1, 1, 6);
    node(&g, &n);
    int c2 = n.output;
    int ng = unary(&g, EMO_NN_NEG, ty, act(&g, "neg", 4, 1, 1, 4, 6));
    /* Read by a 3x3 convolution (SAME). */
    n = node_of(EMO_NN_CONV2D, transpose(&g, x, 0, 1, 3, 2, act(&g, "tx2", 4, 1, 1, 5, 7)),
                act(&g, "c3", 4, 1, 1, 5, 2));
    n.weights = cst(&g, "w3", 4, 2, 3, 3, 7);
    n.kernel_h = n.kernel_w = 3;
    n.pad_top = n.pad_bottom = n.pad_left = n.pad_right = 1;
    node(&g, &n);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_input(&g, y);
    emo__nn_graph_mark_output(&g, c1);
    emo__nn_graph_mark_output(&g, c2);
    emo__nn_graph_mark_output(&g, ng);
    emo__nn_graph_mark_output(&g, n.output);
    compare(&g, "transpose into 1x1 convolution");
}

static int resize(EmoNnGraph *g, int in, EmoNnResize mode, int out)
{
    EmoNnNode n = node_of(EMO_NN_RESIZE_BILINEAR, in, out);
    n.resize = mode;
    node(g, &n);
    return out;
}

/* Bilinear resizing of [[1, 2], [3, 5]] to 4x4: the result at output
 * (y, x) is 1 + sx + 2 sy + sx sy, where sx, sy are the sampled input
 * positions of the convention (clamped into [0, 1]):
 *   half-pixel centres (x + 0.5) / 2 - 0.5:  0, 0.25, 0.75, 1
 *   align corners      x / 3:                 0, 1/3, 2/3, 1
 *   legacy             x / 2:                 0, 0.5, 1, 1 (1.5 clamped)
 * Then random 3-channel upscaling, downscaling and a clamp after the
 * resize, XNNPACK against the reference. */
static void test_resize(void **state)
{
    (void)state;
    static const float src[4] = { 1, 2, 3, 5 };
    static const float taps[3][4] = {
        { 0.0f, 0.25f, 0.75f, 1.0f },
        { 0.0f, 1.0f / 3.0f, 2.0f / 3.0f, 1.0f },
        { 0.0f, 0.5f, 1.0f, 1.0f },
    };
    static const char *const names[3] = { "resize 2x2->4x4 half-pixel", "resize 2x2->4x4 align corners",
                                          "resize 2x2->4x4 legacy" };
    for (int mode = 0; mode < 3; mode++) {
        EmoNnGraph g;
        emo__nn_graph_init(&g, NULL);
        int x = act(&g, "x", 4, 1, 2, 2, 1);
        emo__nn_graph_mark_input(&g, x);
        emo__nn_graph_mark_output(&g, resize(&g, x, (EmoNnResize)mode, act(&g, "y", 4, 1, 4, 4, 1)));
        float want[16];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                float sy = taps[mode][i], sx = taps[mode][j];
                want[i * 4 + j] = 1.0f + sx + 2.0f * sy + sx * sy;
            }
        const float *ins[1] = { src }, *wants[1] = { want };
        expect(&g, ins, wants, names[mode]);
    }
    static const int shapes[3][4] = { { 5, 7, 10, 14 }, { 9, 6, 4, 5 }, { 3, 3, 6, 6 } };
    for (int mode = 0; mode < 3; mode++)
        for (int k = 0; k < 3; k++) {
            EmoNnGraph g;
            emo__nn_graph_init(&g, NULL);
            int x = act(&g, "x", 4, 1, shapes[k][0], shapes[k][1], 3);
            EmoNnNode n = node_of(EMO_NN_RESIZE_BILINEAR, x, act(&g, "y", 4, 1, shapes[k][2], shapes[k][3], 3));
            n.resize = (EmoNnResize)mode;
            if (k == 2) { /* no fused range in XNNPACK: a clamp node follows */
                n.act_min = -0.5f;
                n.act_max = 0.5f;
            }
            node(&g, &n);
            emo__nn_graph_mark_input(&g, x);
            emo__nn_graph_mark_output(&g, n.output);
            char what[64];
            snprintf(what, sizeof(what), "resize %dx%d->%dx%d mode %d%s", shapes[k][0], shapes[k][1], shapes[k][2],
                     shapes[k][3], mode, k == 2 ? " clamped" : "");
            compare(&g, what);
        }
}

/* Keeps the last error message in the char[512] at user. */
static void capture(void *user, EmoLogLevel level, const char *msg)
{
    if (level == EMO_LOG_ERROR)
        snprintf(user, 512, "%s", msg);
}

/* A graph the reference runs but XNNPACK cannot compose: a clear error. */
static void xnn_refuses(EmoNnGraph *g, const char *message)
{
    char last[512] = "";
    EmoLogger log = { capture, last, EMO_LOG_ERROR };
    g->log = &log;
    assert_int_equal(emo__nn_graph_validate(g), 0);
    float *in = buffer(64), *out = buffer(64), *ref = buffer(64);
    assert_int_equal(emo__nn_ref_run(g, (const float *const *)&in, &ref), 0);
    EmoNnXnn *x = NULL;
    assert_int_equal(emo__nn_xnn_create(&x, g, &in, &out, 1, "m"), EMO_EUNSUPPORTED);
    assert_null(x);
    if (!strstr(last, message))
        fail_msg("message \"%s\" lacks \"%s\"", last, message);
    free(in);
    free(out);
    free(ref);
    g->log = NULL;
    emo__nn_graph_free(g);
}

static void test_not_composable(void **state)
{
    (void)state;
    EmoNnGraph g;
    emo__nn_graph_init(&g, NULL);
    int r = act(&g, "r", 3, 2, 3, 4, 0);
    emo__nn_graph_mark_input(&g, r);
    emo__nn_graph_mark_output(&g, transpose(&g, r, 1, 0, 2, 0, act(&g, "t", 3, 3, 2, 4, 0)));
    xnn_refuses(&g, "not a matrix transpose");

    emo__nn_graph_init(&g, NULL);
    r = act(&g, "r", 3, 2, 3, 4, 0);
    emo__nn_graph_mark_input(&g, r);
    int s = slice(&g, r, 1, 1, 1, 2, act(&g, "s", 3, 2, 2, 4, 0));
    emo__nn_graph_mark_output(&g, slice(&g, s, 2, 0, 2, 2, act(&g, "s2", 3, 2, 2, 2, 0)));
    xnn_refuses(&g, "slice of a middle axis");

    emo__nn_graph_init(&g, NULL);
    r = act(&g, "r", 3, 2, 3, 4, 0);
    emo__nn_graph_mark_input(&g, r);
    emo__nn_graph_mark_output(&g, reduce(&g, EMO_NN_MEAN, r, 5, act(&g, "m", 3, 1, 3, 1, 0)));
    xnn_refuses(&g, "not contiguous");

    /* TensorFlow samples pixel 0 for an output side of 1; XNNPACK divides by 0. */
    emo__nn_graph_init(&g, NULL);
    r = act(&g, "r", 4, 1, 2, 2, 1);
    emo__nn_graph_mark_input(&g, r);
    emo__nn_graph_mark_output(&g, resize(&g, r, EMO_NN_RESIZE_ALIGN_CORNERS, act(&g, "z", 4, 1, 1, 3, 1)));
    xnn_refuses(&g, "align_corners to a side of 1 pixel");
}

/* Each node is added to a fresh valid prefix; the validator and the
 * reference executor must both refuse it with EMO_EFORMAT. */
static void invalid_case(const char *what, void (*build)(EmoNnGraph *g, int x, int y, int v), int variant)
{
    EmoNnGraph g;
    char last[512] = "";
    EmoLogger log = { capture, last, EMO_LOG_ERROR };
    emo__nn_graph_init(&g, &log);
    int x = act(&g, "x", 3, 1, 3, 4, 0), y = act(&g, "y", 1, 2, 0, 0, 0);
    emo__nn_graph_mark_input(&g, x);
    emo__nn_graph_mark_input(&g, y);
    build(&g, x, y, variant);
    emo__nn_graph_mark_output(&g, g.nodes[g.n_nodes - 1].output);
    assert_int_equal(emo__nn_graph_validate(&g), EMO_EFORMAT);
    printf("[ invalid ] %-28s %s\n", what, last);
    assert_non_null(strstr(last, emo__nn_op_name(g.nodes[g.n_nodes - 1].op)));
    float *in[2] = { buffer(12), buffer(2) }, *out = buffer(64);
    assert_int_equal(emo__nn_ref_run(&g, (const float *const *)in, &out), EMO_EFORMAT);
    free(in[0]);
    free(in[1]);
    free(out);
    emo__nn_graph_free(&g);
}

/* The malformed nodes: variant v of each kind. */
static void bad_binary(EmoNnGraph *g, int x, int y, int v)
{
    static const float k[4] = { 1, 2, 3, 4 };
    if (v == 0) /* [1,3,4] * [2] */
        binary(g, EMO_NN_MUL, x, y, act(g, "o", 3, 1, 3, 4, 0), -INFINITY, INFINITY);
    else
        binary(g, EMO_NN_ADD, constant(g, 1, 4, 0, 0, 0, k), constant(g, 1, 4, 0, 0, 0, k),
               act(g, "o", 1, 4, 0, 0, 0), -INFINITY, INFINITY);
}

static void bad_shape_op(EmoNnGraph *g, int x, int y, int v)
{
    (void)y;
    if (v == 0) /* axis 3 of a rank-3 tensor */
        reduce(g, EMO_NN_SUM, x, 8, act(g, "o", 3, 1, 3, 4, 0));
    else if (v == 1) /* mean over the last axis, output [1,3,2] */
        reduce(g, EMO_NN_MEAN, x, 4, act(g, "o", 3, 1, 3, 2, 0));
    else /* axis 2 twice */
        transpose(g, x, 0, 2, 2, 0, act(g, "o", 3, 1, 4, 4, 0));
}

static void bad_slice(EmoNnGraph *g, int x, int y, int v)
{
    /* begin, step, count on the last axis (4), then the output's last two extents */
    static const int p[3][5] = {
        { 1, 2, 3, 3, 3 }, /* reads index 5 */
        { 0, 0, 2, 3, 2 }, /* step 0 */
        { 0, 1, 2, 2, 3 }, /* output shape not [1,3,2] */
    };
    (void)y;
    slice(g, x, 2, p[v][0], p[v][1], p[v][2], act(g, "o", 3, 1, p[v][3], p[v][4], 0));
}

static void bad_resize(EmoNnGraph *g, int x, int y, int v)
{
    (void)y;
    if (v == 0) /* rank-3 input */
        resize(g, x, EMO_NN_RESIZE_HALF_PIXEL, act(g, "o", 4, 1, 6, 8, 4));
    else /* channels change */
        resize(g, unary(g, EMO_NN_RESHAPE, x, act(g, "r", 4, 1, 3, 4, 1)), EMO_NN_RESIZE_LEGACY,
               act(g, "o", 4, 1, 6, 8, 2));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const binary_cases[] = { "shapes that do not broadcast", "two constant operands" };
    static const char *const shape_cases[] = { "reduction axis out of range", "reduced shape",
                                               "repeated permutation axis" };
    static const char *const slice_cases[] = { "slice past the end", "slice step 0", "slice output shape" };
    for (int v = 0; v < 2; v++)
        invalid_case(binary_cases[v], bad_binary, v);
    invalid_case("resize of a rank-3 tensor", bad_resize, 0);
    invalid_case("resize changing channels", bad_resize, 1);
    for (int v = 0; v < 3; v++) {
        invalid_case(shape_cases[v], bad_shape_op, v);
        invalid_case(slice_cases[v], bad_slice, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_depthwise),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_unary_reduce),
        cmocka_unit_test(test_data_movement),
        cmocka_unit_test(test_transpose_conv),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_not_composable),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
