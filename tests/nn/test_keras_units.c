/* Keras loader and reference executor on tiny hand-built files and graphs
 * whose results are computed by hand: BatchNormalization folding (into a
 * convolution, a dense layer) and as a scale-and-shift, TensorFlow SAME
 * padding of convolutions and pools (average excluding the padding), the
 * kernel transpositions, NHWC flatten order, ReLU fusion, Sequential models,
 * and errors that name the layer. Each file also runs through the public
 * emo_nn_open path (XNNPACK), which must agree. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include "keras_writer.h"
#include "nn/graph.h"
#include "nn/ref.h"

#include <emoscope/nn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct LogCapture {
    char last[1024];
    int errors;
} LogCapture;

static void capture(void *user, EmoLogLevel level, const char *msg)
{
    LogCapture *c = user;
    if (level == EMO_LOG_ERROR) {
        snprintf(c->last, sizeof(c->last), "%s", msg);
        c->errors++;
    }
}

static void drop(void *user, EmoLogLevel level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

#define INPUT(name, shape) \
    "{\"class_name\":\"InputLayer\",\"name\":\"" name "\",\"config\":{\"batch_input_shape\":" shape \
    ",\"name\":\"" name "\",\"dtype\":\"float32\"},\"inbound_nodes\":[]}"
#define LAYER(cls, name, cfg, from) \
    "{\"class_name\":\"" cls "\",\"name\":\"" name "\",\"config\":{\"name\":\"" name "\"" cfg "}," \
    "\"inbound_nodes\":[[" from "]]}"
#define FROM(name) "[\"" name "\",0,0,{}]"
#define MODEL(layers, in, out) \
    "{\"class_name\":\"Model\",\"config\":{\"name\":\"m\",\"layers\":[" layers "]," \
    "\"input_layers\":[[\"" in "\",0,0]],\"output_layers\":[[\"" out "\",0,0]]}}"
#define BN_CFG ",\"axis\":-1,\"epsilon\":0.001,\"center\":true,\"scale\":true"

static char *tmp_file(const char *tag)
{
    static int n;
    char *p = malloc(4200);
    assert_non_null(p);
    snprintf(p, 4200, "%s/%s-%d.h5", emo_test_tmpdir("keras_units"), tag, n++);
    return p;
}

/* Loads path, checks the graph's node count (-1: any), runs it on x with the
 * reference executor and through emo_nn_open, and compares both with want. */
static void check_model(const char *path, int want_nodes, const float *x, const float *want, size_t n_out,
                        EmoNnGraph *keep)
{
    LogCapture lc = { "", 0 };
    EmoLogger lg = { capture, &lc, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &lg);
    int rc = emo__nn_load_keras(&g, path);
    if (rc)
        fail_msg("load failed (%d): %s", rc, lc.last);
    if (want_nodes >= 0)
        assert_int_equal(g.n_nodes, want_nodes);
    assert_int_equal(emo__nn_tensor_count(&g.tensors[g.outputs[0]]), n_out);
    float y[64];
    assert_true(n_out <= 64);
    const float *ins[1] = { x };
    float *outs[1] = { y };
    assert_int_equal(emo__nn_ref_run(&g, ins, outs), 0);
    for (size_t i = 0; i < n_out; i++)
        if (fabsf(y[i] - want[i]) > 1e-5f * fmaxf(1.0f, fabsf(want[i])))
            fail_msg("ref output %zu: %g, want %g", i, y[i], want[i]);

    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.threads = 1;
    s.log = &lg;
    EmoNnModel *m = NULL;
    rc = emo_nn_open(&m, path, &s);
    if (rc)
        fail_msg("emo_nn_open failed (%d): %s", rc, lc.last);
    memcpy(emo_nn_input(m, 0), x, emo__nn_tensor_count(&g.tensors[g.inputs[0]]) * sizeof(float));
    assert_int_equal(emo_nn_run(m), 0);
    const float *py = emo_nn_output(m, 0);
    for (size_t i = 0; i < n_out; i++)
        if (fabsf(py[i] - want[i]) > 1e-5f * fmaxf(1.0f, fabsf(want[i])))
            fail_msg("xnnpack output %zu: %g, want %g", i, py[i], want[i]);
    emo_nn_close(&m);
    if (keep)
        *keep = g;
    else
        emo__nn_graph_free(&g);
}

/* BN parameters shared by several tests: with epsilon 0.001, variance
 * 3.999 and 0.249 give sqrt(var + eps) = 2 and 0.5 exactly enough. */
static const float bn_gamma[2] = { 1.0f, 2.0f }, bn_beta[2] = { 0.5f, -1.0f };
static const float bn_mean[2] = { 1.0f, 0.0f }, bn_var[2] = { 3.999f, 0.249f };

static void write_bn(hid_t root, const char *layer)
{
    char n[4][64];
    snprintf(n[0], 64, "%s_1/gamma:0", layer);
    snprintf(n[1], 64, "%s_1/beta:0", layer);
    snprintf(n[2], 64, "%s_1/moving_mean:0", layer);
    snprintf(n[3], 64, "%s_1/moving_variance:0", layer);
    KwWeight w[4] = {
        { n[0], 1, { 2 }, bn_gamma }, { n[1], 1, { 2 }, bn_beta },
        { n[2], 1, { 2 }, bn_mean },  { n[3], 1, { 2 }, bn_var },
    };
    kw_layer(root, layer, w, 4);
}

static void empty_layer(hid_t root, const char *layer)
{
    kw_layer(root, layer, NULL, 0);
}

/* Conv2D 1x1 (no bias) -> BN: folded into one node.
 * conv: c0 = 2x, c1 = -x; BN: y0 = (c0 - 1) / 2 * 1 + 0.5 = x,
 *                          y1 = (c1 - 0) / 0.5 * 2 - 1 = -4x - 1. */
static void test_bn_folded_into_conv(void **state)
{
    (void)state;
    char *path = tmp_file("bnconv");
    hid_t f, r = kw_create(path,
                           MODEL(INPUT("in", "[null,2,2,1]") ","
                                 LAYER("Conv2D", "conv", ",\"filters\":2,\"kernel_size\":[1,1],\"strides\":[1,1],"
                                       "\"padding\":\"valid\",\"use_bias\":false,\"activation\":\"linear\"", FROM("in")) ","
                                 LAYER("BatchNormalization", "bn", BN_CFG, FROM("conv")),
                                 "in", "bn"), &f);
    empty_layer(r, "in");
    const float k[2] = { 2.0f, -1.0f };
    KwWeight cw = { "conv_1/kernel:0", 4, { 1, 1, 1, 2 }, k };
    kw_layer(r, "conv", &cw, 1);
    write_bn(r, "bn");
    kw_close(r, f);
    const float x[4] = { 1, 2, 3, -1 };
    float want[8];
    for (int i = 0; i < 4; i++) {
        want[2 * i] = x[i];
        want[2 * i + 1] = -4 * x[i] - 1;
    }
    EmoNnGraph g;
    check_model(path, 1, x, want, 8, &g);
    assert_int_equal(g.nodes[0].op, EMO_NN_CONV2D);
    assert_true(g.nodes[0].bias >= 0); /* the fold created the bias */
    emo__nn_graph_free(&g);
    free(path);
}

/* BN straight after the input: a per-channel scale and shift (1x1 depthwise).
 * y0 = (x0 - 1) / 2 + 0.5, y1 = x1 / 0.5 * 2 - 1 = 4 x1 - 1. */
static void test_bn_scale_shift(void **state)
{
    (void)state;
    char *path = tmp_file("bnalone");
    hid_t f, r = kw_create(path, MODEL(INPUT("in", "[null,1,2,2]") "," LAYER("BatchNormalization", "bn", BN_CFG, FROM("in")),
                                       "in", "bn"), &f);
    empty_layer(r, "in");
    write_bn(r, "bn");
    kw_close(r, f);
    const float x[4] = { 3, 1, -1, 0.25f };
    const float want[4] = { 1.5f, 3.0f, -0.5f, 0.0f };
    EmoNnGraph g;
    check_model(path, 1, x, want, 4, &g);
    assert_int_equal(g.nodes[0].op, EMO_NN_DEPTHWISE_CONV2D);
    emo__nn_graph_free(&g);
    free(path);
}

/* A conv whose output is also read elsewhere must not be folded: conv -> BN
 * and conv -> Add(bn, conv). conv: c = [2x, -x]; out = bn(c) + c. */
static void test_bn_not_folded_when_shared(void **state)
{
    (void)state;
    char *path = tmp_file("bnshared");
    hid_t f, r = kw_create(path,
                           MODEL(INPUT("in", "[null,1,1,1]") ","
                                 LAYER("Conv2D", "conv", ",\"filters\":2,\"kernel_size\":1,\"use_bias\":false,"
                                       "\"padding\":\"valid\",\"activation\":\"linear\"", FROM("in")) ","
                                 LAYER("BatchNormalization", "bn", BN_CFG, FROM("conv")) ","
                                 LAYER("Add", "add", "", FROM("bn") "," FROM("conv")),
                                 "in", "add"), &f);
    empty_layer(r, "in");
    empty_layer(r, "add");
    const float k[2] = { 2.0f, -1.0f };
    KwWeight cw = { "conv_1/kernel:0", 4, { 1, 1, 1, 2 }, k };
    kw_layer(r, "conv", &cw, 1);
    write_bn(r, "bn");
    kw_close(r, f);
    const float x[1] = { 3 };
    const float want[2] = { 3 + 6, -13 - 3 };
    check_model(path, 3, x, want, 2, NULL);
    free(path);
}

/* Dense -> BN (folded into the dense weights) and Flatten -> Dense checks
 * the NHWC flatten order and the [Cin][Cout] -> [Cout][Cin] transpose:
 * x = [1,2,3,4] as 1x1x2x2; dense units 2: d0 = x . [1,10,100,1000] = 4321,
 * d1 = x . [1,1,1,1] + bias 1 = 11; BN: y0 = (4321-1)/2+0.5 = 2160.5,
 * y1 = 11/0.5*2-1 = 43. */
static void test_flatten_dense_bn(void **state)
{
    (void)state;
    char *path = tmp_file("dense");
    hid_t f, r = kw_create(path,
                           MODEL(INPUT("in", "[null,1,2,2]") ","
                                 LAYER("Flatten", "flat", "", FROM("in")) ","
                                 LAYER("Dense", "dense", ",\"units\":2,\"use_bias\":true,\"activation\":\"linear\"",
                                       FROM("flat")) ","
                                 LAYER("Dropout", "drop", ",\"rate\":0.5", FROM("dense")) ","
                                 LAYER("BatchNormalization", "bn", BN_CFG, FROM("drop")),
                                 "in", "bn"), &f);
    empty_layer(r, "in");
    empty_layer(r, "flat");
    empty_layer(r, "drop");
    const float k[8] = { 1, 1, 10, 1, 100, 1, 1000, 1 }; /* [Cin=4][Cout=2] */
    const float b[2] = { 0, 1 };
    KwWeight dw[2] = { { "dense_1/kernel:0", 2, { 4, 2 }, k }, { "dense_1/bias:0", 1, { 2 }, b } };
    kw_layer(r, "dense", dw, 2);
    write_bn(r, "bn");
    kw_close(r, f);
    const float x[4] = { 1, 2, 3, 4 };
    const float want[2] = { 2160.5f, 43.0f };
    EmoNnGraph g;
    check_model(path, 2, x, want, 2, &g); /* reshape + dense (BN folded, dropout gone) */
    assert_int_equal(g.nodes[0].op, EMO_NN_RESHAPE);
    assert_int_equal(g.nodes[1].op, EMO_NN_DENSE);
    emo__nn_graph_free(&g);
    free(path);
}

/* HWIO -> [Cout][kh][kw][Cin]: 2x1 kernel, Cin 2, Cout 2, k[y][0][i][o] =
 * 4y + 2i + o + 1; x (2x1x2) = [1,2],[3,4]:
 * o0 = 1*1 + 2*3 + 3*5 + 4*7 = 50, o1 = 1*2 + 2*4 + 3*6 + 4*8 = 60; bias
 * [0.5, -0.5]; activation relu in the layer (fused). */
static void test_conv_layout_and_relu(void **state)
{
    (void)state;
    char *path = tmp_file("convlayout");
    hid_t f, r = kw_create(path,
                           MODEL(INPUT("in", "[null,2,1,2]") ","
                                 LAYER("Conv2D", "conv", ",\"filters\":2,\"kernel_size\":[2,1],\"padding\":\"valid\","
                                       "\"use_bias\":true,\"activation\":\"relu\",\"strides\":[1,1]", FROM("in")),
                                 "in", "conv"), &f);
    empty_layer(r, "in");
    float k[8];
    for (int i = 0; i < 8; i++)
        k[i] = (float)(i + 1);
    const float b[2] = { 0.5f, -0.5f };
    KwWeight cw[2] = { { "conv_1/kernel:0", 4, { 2, 1, 2, 2 }, k }, { "conv_1/bias:0", 1, { 2 }, b } };
    kw_layer(r, "conv", cw, 2);
    kw_close(r, f);
    const float x[4] = { 1, 2, 3, 4 };
    const float want[2] = { 50.5f, 59.5f };
    EmoNnGraph g;
    check_model(path, 1, x, want, 2, &g);
    assert_true(g.nodes[0].act_min == 0.0f);
    emo__nn_graph_free(&g);
    const float xn[4] = { -1, -2, -3, -4 };
    const float wn[2] = { 0, 0 };
    check_model(path, 1, xn, wn, 2, NULL);
    free(path);
}

/* TF SAME padding on a 3x3 image x = 1..9:
 *  Conv2D 2x2 stride 2, ones, bias 0.5: out 2x2, pad bottom/right only:
 *    [1+2+4+5, 3+6, 7+8, 9] + 0.5 = [12.5, 9.5, 15.5, 9.5]
 *  MaxPool 3x3 stride 2 same: pads 1/1: [5, 6, 8, 9]
 *  AvgPool 3x3 stride 2 same, padding excluded: [3, 4, 6, 7]
 *  SeparableConv 3x3 same, depthwise ones, pointwise 2: 2 * 3x3 box sums. */
static void pool_model(const char *cls, const char *extra, const float *want, int n_out)
{
    char *path = tmp_file(cls);
    char json[2048];
    snprintf(json, sizeof(json),
             MODEL(INPUT("in", "[null,3,3,1]") ",{\"class_name\":\"%s\",\"name\":\"op\",\"config\":{\"name\":\"op\"%s},"
                   "\"inbound_nodes\":[[" FROM("in") "]]}", "in", "op"), cls, extra);
    hid_t f, r = kw_create(path, json, &f);
    empty_layer(r, "in");
    if (!strcmp(cls, "Conv2D")) {
        const float k[4] = { 1, 1, 1, 1 }, b[1] = { 0.5f };
        KwWeight w[2] = { { "op_1/kernel:0", 4, { 2, 2, 1, 1 }, k }, { "op_1/bias:0", 1, { 1 }, b } };
        kw_layer(r, "op", w, 2);
    } else if (!strcmp(cls, "SeparableConv2D")) {
        const float d[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, p[1] = { 2 };
        KwWeight w[2] = { { "op_1/depthwise_kernel:0", 4, { 3, 3, 1, 1 }, d },
                          { "op_1/pointwise_kernel:0", 4, { 1, 1, 1, 1 }, p } };
        kw_layer(r, "op", w, 2);
    } else {
        empty_layer(r, "op");
    }
    kw_close(r, f);
    float x[9];
    for (int i = 0; i < 9; i++)
        x[i] = (float)(i + 1);
    check_model(path, -1, x, want, (size_t)n_out, NULL);
    free(path);
}

static void test_same_padding(void **state)
{
    (void)state;
    const float conv[4] = { 12.5f, 9.5f, 15.5f, 9.5f };
    pool_model("Conv2D", ",\"filters\":1,\"kernel_size\":[2,2],\"strides\":[2,2],\"padding\":\"same\",\"use_bias\":true,"
               "\"activation\":\"linear\"", conv, 4);
    const float mx[4] = { 5, 6, 8, 9 };
    pool_model("MaxPooling2D", ",\"pool_size\":[3,3],\"strides\":[2,2],\"padding\":\"same\"", mx, 4);
    const float av[4] = { 3, 4, 6, 7 };
    pool_model("AveragePooling2D", ",\"pool_size\":[3,3],\"strides\":[2,2],\"padding\":\"same\"", av, 4);
    /* VALID pooling with strides null (= pool size): 2x2 windows of the top-left 2x2 */
    const float mv[1] = { 5 };
    pool_model("MaxPooling2D", ",\"pool_size\":[2,2],\"strides\":null,\"padding\":\"valid\"", mv, 1);
    const float sep[9] = { 24, 42, 32, 54, 90, 66, 48, 78, 56 };
    pool_model("SeparableConv2D", ",\"filters\":1,\"kernel_size\":[3,3],\"padding\":\"same\",\"use_bias\":false,"
               "\"depth_multiplier\":1,\"activation\":\"linear\"", sep, 9);
    const float gap[1] = { 5 };
    pool_model("GlobalAveragePooling2D", "", gap, 1);

    /* The helper itself: TF puts the odd pixel after. */
    int b, a, o;
    emo__nn_same_padding(3, 2, 2, 1, &b, &a, &o);
    assert_int_equal(b, 0);
    assert_int_equal(a, 1);
    assert_int_equal(o, 2);
    emo__nn_same_padding(64, 3, 2, 1, &b, &a, &o);
    assert_int_equal(b, 0);
    assert_int_equal(a, 1);
    assert_int_equal(o, 32);
    emo__nn_same_padding(5, 3, 1, 2, &b, &a, &o); /* dilated: effective 5 */
    assert_int_equal(b, 2);
    assert_int_equal(a, 2);
    assert_int_equal(o, 5);
}

/* A Sequential model (Keras 2.0 form: config is the layer list) without an
 * InputLayer: Dense 2 -> 1 with softmax over a single unit is 1. */
static void test_sequential(void **state)
{
    (void)state;
    char *path = tmp_file("seq");
    hid_t f, r = kw_create(path,
                           "{\"class_name\":\"Sequential\",\"config\":[{\"class_name\":\"Dense\",\"config\":{\"name\":\"d\","
                           "\"units\":2,\"use_bias\":false,\"activation\":\"relu\",\"batch_input_shape\":[null,3]}},"
                           "{\"class_name\":\"Activation\",\"config\":{\"name\":\"sm\",\"activation\":\"softmax\"}}]}",
                           &f);
    const float k[6] = { 1, 0, 0, 1, 0, 0 }; /* [3][2]: d0 = x0, d1 = x1 */
    KwWeight w = { "d_1/kernel:0", 2, { 3, 2 }, k };
    kw_layer(r, "d", &w, 1);
    empty_layer(r, "sm");
    kw_close(r, f);
    const float x[3] = { 1, -5, 7 };
    /* relu -> [1, 0]; softmax -> [e/(e+1), 1/(e+1)] */
    const float e = expf(1.0f);
    const float want[2] = { e / (e + 1), 1 / (e + 1) };
    check_model(path, 2, x, want, 2, NULL);
    free(path);
}

/* Errors: a code and a message naming the layer and the problem. */
static void expect_error(const char *json, void (*weights)(hid_t), int code, const char *needle)
{
    char *path = tmp_file("bad");
    hid_t f, r = kw_create(path, json, &f);
    if (weights)
        weights(r);
    kw_close(r, f);
    LogCapture lc = { "", 0 };
    EmoLogger lg = { capture, &lc, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &lg);
    assert_int_equal(emo__nn_load_keras(&g, path), code);
    assert_int_equal(g.n_nodes, 0);
    assert_int_equal(g.n_tensors, 0);
    if (!strstr(lc.last, needle))
        fail_msg("message '%s' does not mention '%s'", lc.last, needle);
    free(path);
}

static void w_in_conv_wrong(hid_t r)
{
    empty_layer(r, "in");
    float k[8] = { 0 };
    KwWeight w = { "conv_1/kernel:0", 4, { 1, 1, 2, 4 }, k }; /* config says Cin 1, 2 filters */
    kw_layer(r, "conv", &w, 1);
}

static void w_in_conv_nan(hid_t r)
{
    empty_layer(r, "in");
    float k[2] = { 1, NAN };
    KwWeight w = { "conv_1/kernel:0", 4, { 1, 1, 1, 2 }, k };
    kw_layer(r, "conv", &w, 1);
}

static void w_in_big_kernel(hid_t r)
{
    empty_layer(r, "in");
    float *k = calloc(64 * 64, sizeof(float));
    assert_non_null(k);
    KwWeight w = { "conv_1/kernel:0", 4, { 64, 64, 1, 1 }, k };
    kw_layer(r, "conv", &w, 1);
    free(k);
}

static void w_in_only(hid_t r)
{
    empty_layer(r, "in");
    empty_layer(r, "x");
}

#define CONV1 LAYER("Conv2D", "conv", ",\"filters\":2,\"kernel_size\":1,\"use_bias\":false,\"activation\":\"linear\"", FROM("in"))

static void test_errors(void **state)
{
    (void)state;
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," CONV1, "in", "conv"), w_in_conv_wrong, EMO_EFORMAT, "conv");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," CONV1, "in", "conv"), w_in_conv_wrong, EMO_EFORMAT,
                 "1x1x2x4");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," CONV1, "in", "conv"), w_in_conv_nan, EMO_EFORMAT, "NaN");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," CONV1, "in", "conv"), w_in_only, EMO_EFORMAT,
                 "no weight group for layer 'conv'");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," LAYER("LSTM", "x", "", FROM("in")), "in", "x"), w_in_only,
                 EMO_EUNSUPPORTED, "LSTM");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," LAYER("Activation", "x", ",\"activation\":\"tanh\"", FROM("in")),
                       "in", "x"), w_in_only, EMO_EUNSUPPORTED, "tanh");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," LAYER("Activation", "x", ",\"activation\":\"relu\"", FROM("nope")),
                       "in", "x"), w_in_only, EMO_EFORMAT, "nope");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," LAYER("MaxPooling2D", "x", ",\"pool_size\":[3,3]", FROM("in")),
                       "in", "x"), w_in_only, EMO_EFORMAT, "larger than its input");
    expect_error(MODEL(INPUT("in", "[null,2,2,1]") "," LAYER("Dropout", "x", "", FROM("in")), "in", "x"), w_in_only,
                 EMO_EFORMAT, "not computed");
    expect_error("{\"class_name\":\"Model\"", w_in_only, EMO_EFORMAT, "JSON");
    expect_error(MODEL(INPUT("in", "[null,99999,2,1]") "," CONV1, "in", "conv"), w_in_only, EMO_EUNSUPPORTED,
                 "dimension 1");
    /* 4096x4096 input, 64x64 kernel: 1e11 multiply-adds from a tiny file */
    expect_error(MODEL(INPUT("in", "[null,4096,4096,1]") ","
                       LAYER("Conv2D", "conv", ",\"filters\":1,\"kernel_size\":64,\"use_bias\":false,\"padding\":\"same\"",
                             FROM("in")), "in", "conv"), w_in_big_kernel, EMO_EUNSUPPORTED, "multiply-adds");
}

/* A missing file and a file that is not HDF5. */
static void test_not_hdf5(void **state)
{
    (void)state;
    LogCapture lc = { "", 0 };
    EmoLogger lg = { capture, &lc, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &lg);
    assert_int_equal(emo__nn_load_keras(&g, "/nonexistent/model.hdf5"), EMO_ENOENT);
    char *path = tmp_file("text");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not an HDF5 file at all\n", f);
    fclose(f);
    assert_int_equal(emo__nn_load_keras(&g, path), EMO_EFORMAT);
    assert_non_null(strstr(lc.last, "HDF5"));
    free(path);
}

/* Reference executor ops the Keras loader does not emit (used by TFLite
 * models), on hand-built graphs. */
static int tensor(EmoNnGraph *g, int r, int a, int b, int c, int d, const float *data)
{
    int shape[4] = { a, b, c, d };
    int id = emo__nn_graph_add_tensor(g, "t", r, shape, data);
    assert_true(id >= 0);
    return id;
}

static void test_ref_other_ops(void **state)
{
    (void)state;
    EmoLogger quiet = { drop, NULL, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &quiet);
    /* x [1,1,2,2] -> PRELU(slope [0.5, 2]) -> PAD_CHANNELS(1, 0) -> [1,1,2,3]
     *   -> CONCAT(axis 3) with SIGMOID(x padded) -> [1,1,2,6] */
    const float slope[2] = { 0.5f, 2.0f };
    int x = tensor(&g, 4, 1, 1, 2, 2, NULL);
    int sl = tensor(&g, 1, 2, 0, 0, 0, slope);
    int p = tensor(&g, 4, 1, 1, 2, 2, NULL);
    int pc = tensor(&g, 4, 1, 1, 2, 3, NULL);
    int sg = tensor(&g, 4, 1, 1, 2, 3, NULL);
    int cc = tensor(&g, 4, 1, 1, 2, 6, NULL);
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_PRELU);
    n.inputs[0] = x, n.n_inputs = 1, n.weights = sl, n.output = p;
    assert_true(emo__nn_graph_add_node(&g, &n) >= 0);
    emo__nn_node_init(&n, EMO_NN_PAD_CHANNELS);
    n.inputs[0] = p, n.n_inputs = 1, n.pad_before = 1, n.output = pc;
    assert_true(emo__nn_graph_add_node(&g, &n) >= 0);
    emo__nn_node_init(&n, EMO_NN_SIGMOID);
    n.inputs[0] = pc, n.n_inputs = 1, n.output = sg;
    assert_true(emo__nn_graph_add_node(&g, &n) >= 0);
    emo__nn_node_init(&n, EMO_NN_CONCAT);
    n.inputs[0] = pc, n.inputs[1] = sg, n.n_inputs = 2, n.axis = 3, n.output = cc;
    n.act_max = 0.9f; /* the clamp applies to every op */
    assert_true(emo__nn_graph_add_node(&g, &n) >= 0);
    assert_int_equal(emo__nn_graph_mark_input(&g, x), 0);
    assert_int_equal(emo__nn_graph_mark_output(&g, cc), 0);
    const float in[4] = { -2, -3, 4, 1 };
    float out[12];
    const float *ins[1] = { in };
    float *outs[1] = { out };
    assert_int_equal(emo__nn_ref_run(&g, ins, outs), 0);
    /* prelu: [-1, -6, 4, 1]; padded: [0,-1,-6, 0,4,1] */
    const float s0 = 1 / (1 + expf(1)), s1 = 1 / (1 + expf(6)), s2 = 1 / (1 + expf(-4)), s3 = 1 / (1 + expf(-1));
    const float want[12] = { 0, -1, -6, 0.5f, s0, s1, 0, 0.9f, 0.9f, 0.5f, fminf(s2, 0.9f), s3 };
    for (int i = 0; i < 12; i++)
        if (fabsf(out[i] - want[i]) > 1e-6f)
            fail_msg("out[%d] = %g, want %g", i, out[i], want[i]);
    /* A malformed node is an error, not an out-of-bounds access. */
    g.nodes[1].pad_before = 5;
    assert_int_equal(emo__nn_ref_run(&g, ins, outs), EMO_EFORMAT);
    emo__nn_graph_free(&g);
}

/* Loads from two threads at once (libhdf5 is not thread-safe: the reader
 * serialises) give the same graph as a lone load. */
typedef struct LoadJob {
    const char *path;
    int rc, nodes;
    float w0;
} LoadJob;

static void *load_job(void *arg)
{
    LoadJob *j = arg;
    EmoLogger quiet = { drop, NULL, EMO_LOG_ERROR };
    for (int k = 0; k < 3; k++) {
        EmoNnGraph g;
        emo__nn_graph_init(&g, &quiet);
        j->rc |= emo__nn_load_keras(&g, j->path);
        j->nodes = g.n_nodes;
        j->w0 = g.n_nodes ? g.tensors[g.nodes[0].weights].data[0] : 0;
        emo__nn_graph_free(&g);
    }
    return NULL;
}

static void test_concurrent_loads(void **state)
{
    (void)state;
    LoadJob j[2] = { { emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"), 0, 0, 0 }, { NULL, 0, 0, 0 } };
    j[1].path = j[0].path;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, load_job, &j[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(j[i].rc, 0);
        assert_int_equal(j[i].nodes, 34);
        assert_true(j[i].w0 == j[0].w0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bn_folded_into_conv),
        cmocka_unit_test(test_bn_scale_shift),
        cmocka_unit_test(test_bn_not_folded_when_shared),
        cmocka_unit_test(test_flatten_dense_bn),
        cmocka_unit_test(test_conv_layout_and_relu),
        cmocka_unit_test(test_same_padding),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_not_hdf5),
        cmocka_unit_test(test_ref_other_ops),
        cmocka_unit_test(test_concurrent_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
