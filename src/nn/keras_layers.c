/*
 * Keras layers to graph nodes: reads a layer's weights (through hdf5.h),
 * converts them once to the layouts of graph.h and emits the nodes, with
 * Keras' naming of the tensors. Shared by the two architectures a Keras
 * file can have: the JSON model_config (keras.c) and DeepFace's fixed
 * layout (deepface.c); neither knows the weight layouts.
 *
 * Conversion: Keras kernels are HWIO [kh][kw][Cin][Cout], depthwise kernels
 * [kh][kw][Cin][mult] (already the memory order of our [1][kh][kw][Cin*mult])
 * and dense kernels [Cin][Cout]; they are transposed here once. A
 * BatchNormalization whose input comes only from a convolution or dense
 * layer without activation is folded into its weights (rewrite.c);
 * otherwise it becomes a per-channel scale and shift (a 1x1 depthwise
 * convolution). A ReLU is folded into the producer's output clamp when
 * nothing else reads the producer's output.
 */
#include "nn/keras_internal.h"
#include "nn/rewrite.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int emo__keras_fail(Ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = emo__h5_vfail(&c->h, code, fmt, ap);
    va_end(ap);
    return code;
}

static float *lw_read(Ctx *c, const EmoH5Weights *w, const char *want, int rank, const int *dims, int *rc)
{
    return emo__h5_weights_read(&c->h, w, want, rank, dims, rc);
}

int emo__keras_new_act(Ctx *c, const char *name, int rank, const int *shape)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)(shape[i] > 0 ? shape[i] : 0);
    if (n == 0 || n > MAX_TENSOR_ELEMS || c->act_total + n > MAX_ACT_TOTAL)
        return emo__keras_fail(c, EMO_EFORMAT, "tensor '%s' would be empty or too large", name);
    int id = emo__nn_graph_add_tensor(c->g, name, rank, shape, NULL);
    if (id < 0)
        return emo__keras_fail(c, id, "cannot add tensor '%s'", name);
    c->act_total += n;
    return id;
}

static int new_const(Ctx *c, const char *name, int rank, const int *shape, float *owned)
{
    int id = emo__nn_graph_add_const_owned(c->g, name, rank, shape, owned);
    if (id < 0)
        return emo__keras_fail(c, id, "cannot add constant '%s'", name);
    return id;
}

static int add_node(Ctx *c, const EmoNnNode *n)
{
    int id = emo__nn_graph_add_node(c->g, n);
    if (id < 0)
        return emo__keras_fail(c, id, "too many nodes");
    return id;
}

/* Window geometry along one axis. */
static int window_axis(Ctx *c, const char *layer, int in, int k, int s, int d, int same, int *p0, int *p1, int *o)
{
    if (same) {
        emo__nn_same_padding(in, k, s, d, p0, p1, o);
        return 0;
    }
    int eff = (k - 1) * d + 1;
    if (in < eff)
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': window %d larger than its input %d", layer, eff, in);
    *p0 = *p1 = 0;
    *o = (in - eff) / s + 1;
    return 0;
}

/* Emits a convolution (weights and bias already in our layout, owned: freed
 * on failure). Returns the node index; *out_t receives the output tensor. */
static int emit_conv(Ctx *c, const char *layer, const char *tname, int in_t, const ConvSpec *k, float *w, float *b,
                     int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    EmoNnNode n;
    int rc, oh, ow, shape[4], wshape[4];
    emo__nn_node_init(&n, k->depthwise ? EMO_NN_DEPTHWISE_CONV2D : EMO_NN_CONV2D);
    if (in->rank != 4) {
        rc = emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a rank-%d tensor", layer, in->rank);
        goto fail;
    }
    int cin = in->shape[3];
    if ((rc = window_axis(c, layer, in->shape[1], k->kh, k->sh, k->dh, k->same, &n.pad_top, &n.pad_bottom, &oh)) ||
        (rc = window_axis(c, layer, in->shape[2], k->kw, k->sw, k->dw, k->same, &n.pad_left, &n.pad_right, &ow)))
        goto fail;
    int cout = k->depthwise ? cin * k->mult : k->cout;
    wshape[0] = k->depthwise ? 1 : cout;
    wshape[1] = k->kh;
    wshape[2] = k->kw;
    wshape[3] = k->depthwise ? cout : cin;
    n.kernel_h = k->kh;
    n.kernel_w = k->kw;
    n.stride_h = k->sh;
    n.stride_w = k->sw;
    n.dilation_h = k->dh;
    n.dilation_w = k->dw;
    n.depth_multiplier = k->depthwise ? k->mult : 1;
    char cname[128];
    snprintf(cname, sizeof(cname), "%s/weights", tname);
    n.weights = new_const(c, cname, 4, wshape, w);
    w = NULL;
    if (n.weights < 0) {
        rc = n.weights;
        goto fail;
    }
    if (b) {
        snprintf(cname, sizeof(cname), "%s/bias", tname);
        n.bias = new_const(c, cname, 1, &cout, b);
        b = NULL;
        if (n.bias < 0) {
            rc = n.bias;
            goto fail;
        }
    }
    shape[0] = 1;
    shape[1] = oh;
    shape[2] = ow;
    shape[3] = cout;
    if ((n.output = emo__keras_new_act(c, tname, 4, shape)) < 0) {
        rc = n.output;
        goto fail;
    }
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
fail:
    free(w);
    free(b);
    return rc;
}

int emo__keras_emit_simple(Ctx *c, EmoNnOp op, const char *tname, const int *ins, int n_in, int rank, const int *shape,
                       int *out_t)
{
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    for (int i = 0; i < n_in; i++)
        n.inputs[i] = ins[i];
    n.n_inputs = n_in;
    if ((n.output = emo__keras_new_act(c, tname, rank, shape)) < 0)
        return n.output;
    *out_t = n.output;
    return add_node(c, &n);
}

/* Applies a Keras activation to tensor *t produced by node *node (-1 when the
 * producer's output is also read elsewhere). On return t and node describe
 * the result. A new tensor is named after the layer (Keras users know
 * outputs by layer name, and the CLI writes <name>.f32): when own_input says
 * *t is this layer's own pre-activation tensor, that one is renamed
 * "<layer>:linear". */
int emo__keras_activation(Ctx *c, const char *layer, const char *act, int *t, int *node, int own_input)
{
    if (!act || !strcmp(act, "linear"))
        return 0;
    EmoNnOp op;
    if (!strcmp(act, "relu")) {
        if (emo__nn_fuse_relu(c->g, *node))
            return 0;
        op = EMO_NN_CLAMP;
    } else if (!strcmp(act, "softmax")) {
        op = EMO_NN_SOFTMAX;
    } else if (!strcmp(act, "sigmoid")) {
        op = EMO_NN_SIGMOID;
    } else {
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': unsupported activation '%s'", layer, act);
    }
    if (own_input) {
        EmoNnTensor *pre = &c->g->tensors[*t];
        snprintf(pre->name, sizeof(pre->name), "%.80s:linear", layer);
    }
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    if (op == EMO_NN_CLAMP)
        n.act_min = 0.0f;
    n.inputs[0] = *t;
    n.n_inputs = 1;
    if ((n.output = emo__keras_new_act(c, layer, T(c, *t)->rank, T(c, *t)->shape)) < 0)
        return n.output;
    int id = add_node(c, &n);
    if (id < 0)
        return id;
    *t = n.output;
    /* Softmax and sigmoid carry no fused clamp in every backend. */
    *node = op == EMO_NN_CLAMP ? id : -1;
    return 0;
}

static float *transpose_hwio(const float *src, int kh, int kw, int cin, int cout)
{
    float *dst = malloc((size_t)kh * kw * cin * cout * sizeof(float));
    if (!dst)
        return NULL;
    for (int y = 0; y < kh; y++)
        for (int x = 0; x < kw; x++)
            for (int i = 0; i < cin; i++)
                for (int o = 0; o < cout; o++)
                    dst[(((size_t)o * kh + y) * kw + x) * cin + i] = src[(((size_t)y * kw + x) * cin + i) * cout + o];
    return dst;
}

static float *transpose_2d(const float *src, int rows, int cols)
{
    float *dst = malloc((size_t)rows * cols * sizeof(float));
    if (!dst)
        return NULL;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            dst[(size_t)k * rows + r] = src[(size_t)r * cols + k];
    return dst;
}

/* Conv2D / SeparableConv2D / Dense weights read from `lw` and emitted. */
int emo__keras_conv2d(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, const ConvSpec *k, int use_bias,
                        int *out_t)
{
    int rc, cin = T(c, in_t)->rank == 4 ? T(c, in_t)->shape[3] : -1;
    if (cin < 0)
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a non-image tensor", layer);
    int kd[4] = { k->kh, k->kw, cin, k->cout };
    float *hwio = lw_read(c, lw, "kernel:0", 4, kd, &rc);
    if (!hwio)
        return rc;
    float *w = transpose_hwio(hwio, k->kh, k->kw, cin, k->cout);
    free(hwio);
    if (!w)
        return EMO_ENOMEM;
    float *b = NULL;
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &k->cout, &rc))) {
        free(w);
        return rc;
    }
    return emit_conv(c, layer, layer, in_t, k, w, b, out_t);
}

int emo__keras_separable(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, const ConvSpec *k,
                           int use_bias, int *out_t)
{
    int rc, cin = T(c, in_t)->rank == 4 ? T(c, in_t)->shape[3] : -1;
    if (cin < 0)
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a non-image tensor", layer);
    if ((long)cin * k->mult > MAX_CHANNELS)
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': too many depthwise channels", layer);
    int dd[4] = { k->kh, k->kw, cin, k->mult };
    int mid = cin * k->mult;
    int pd[4] = { 1, 1, mid, k->cout };
    /* [kh][kw][Cin][mult] is already the memory order of [1][kh][kw][Cin*mult]. */
    float *dw = lw_read(c, lw, "depthwise_kernel:0", 4, dd, &rc);
    if (!dw)
        return rc;
    float *pw_io = lw_read(c, lw, "pointwise_kernel:0", 4, pd, &rc);
    if (!pw_io) {
        free(dw);
        return rc;
    }
    float *pw = transpose_2d(pw_io, mid, k->cout);
    free(pw_io);
    float *b = NULL;
    if (!pw) {
        free(dw);
        return EMO_ENOMEM;
    }
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &k->cout, &rc))) {
        free(dw);
        free(pw);
        return rc;
    }
    ConvSpec d = *k;
    d.depthwise = 1;
    char dname[128];
    snprintf(dname, sizeof(dname), "%s/depthwise", layer);
    int mid_t;
    if ((rc = emit_conv(c, layer, dname, in_t, &d, dw, NULL, &mid_t)) < 0) {
        free(pw);
        free(b);
        return rc;
    }
    ConvSpec p = { 0, 1, 1, 1, 1, 1, 1, 0, k->cout, 1 };
    return emit_conv(c, layer, layer, mid_t, &p, pw, b, out_t);
}

int emo__keras_dense(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, int units, int use_bias,
                       int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank != 2 || in->shape[0] != 1)
        return emo__keras_fail(c, EMO_EUNSUPPORTED,
                               "layer '%s': Dense needs a flat [1, N] input (add a Flatten)", layer);
    int rc, cin = in->shape[1];
    int kd[2] = { cin, units };
    float *io = lw_read(c, lw, "kernel:0", 2, kd, &rc);
    if (!io)
        return rc;
    float *w = transpose_2d(io, cin, units);
    free(io);
    if (!w)
        return EMO_ENOMEM;
    float *b = NULL;
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &units, &rc))) {
        free(w);
        return rc;
    }
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_DENSE);
    char cname[128];
    int wshape[2] = { units, cin };
    snprintf(cname, sizeof(cname), "%s/weights", layer);
    n.weights = new_const(c, cname, 2, wshape, w);
    if (n.weights < 0) {
        free(b);
        return n.weights;
    }
    if (b) {
        snprintf(cname, sizeof(cname), "%s/bias", layer);
        if ((n.bias = new_const(c, cname, 1, &units, b)) < 0)
            return n.bias;
    }
    int shape[2] = { 1, units };
    if ((n.output = emo__keras_new_act(c, layer, 2, shape)) < 0)
        return n.output;
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
}

int emo__keras_pool(Ctx *c, const char *layer, EmoNnOp op, int in_t, const ConvSpec *k, int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank != 4)
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': pooling of a rank-%d tensor", layer, in->rank);
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    int rc, oh, ow;
    if ((rc = window_axis(c, layer, in->shape[1], k->kh, k->sh, 1, k->same, &n.pad_top, &n.pad_bottom, &oh)) ||
        (rc = window_axis(c, layer, in->shape[2], k->kw, k->sw, 1, k->same, &n.pad_left, &n.pad_right, &ow)))
        return rc;
    n.kernel_h = k->kh;
    n.kernel_w = k->kw;
    n.stride_h = k->sh;
    n.stride_w = k->sw;
    int shape[4] = { 1, oh, ow, in->shape[3] };
    if ((n.output = emo__keras_new_act(c, layer, 4, shape)) < 0)
        return n.output;
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
}

int emo__keras_flatten(Ctx *c, const char *layer, int in_t, int *out_t, int *node)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank <= 2) {
        *out_t = in_t;
        return 0;
    }
    int shape[2] = { 1, (int)emo__nn_tensor_count(in) };
    /* NHWC memory order is Keras' channels_last flatten order: a reshape. */
    int rc = emo__keras_emit_simple(c, EMO_NN_RESHAPE, layer, &in_t, 1, 2, shape, out_t);
    if (rc >= 0)
        *node = -1;
    return rc < 0 ? rc : 0;
}

int emo__keras_bn(Ctx *c, const char *layer, const EmoH5Weights *lw, const cJSON *cfg, int in_t, int in_node,
                    int *out_t, int *out_node)
{
    const EmoNnTensor *in = T(c, in_t);
    int C = in->shape[in->rank - 1], rank = in->rank, rc = 0;
    const cJSON *ax = cJSON_GetObjectItemCaseSensitive(cfg, "axis");
    if (ax && (!cJSON_IsNumber(ax) || (ax->valuedouble != -1 && ax->valuedouble != rank - 1)))
        return emo__keras_fail(c, EMO_EUNSUPPORTED,
                               "layer '%s': BatchNormalization only over the last (channel) axis", layer);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(cfg, "epsilon");
    double eps = e && cJSON_IsNumber(e) ? e->valuedouble : 1e-3;
    if (!(eps >= 0.0 && eps < 1e3))
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': bad epsilon", layer);
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(cfg, "scale");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(cfg, "center");
    int has_scale = !js || cJSON_IsTrue(js), has_center = !jc || cJSON_IsTrue(jc);
    float *gamma = NULL, *beta = NULL, *mean = NULL, *var = NULL, *scale = NULL, *shift = NULL;
    if ((has_scale && !(gamma = lw_read(c, lw, "gamma:0", 1, &C, &rc))) ||
        (has_center && !(beta = lw_read(c, lw, "beta:0", 1, &C, &rc))) ||
        !(mean = lw_read(c, lw, "moving_mean:0", 1, &C, &rc)) ||
        !(var = lw_read(c, lw, "moving_variance:0", 1, &C, &rc)))
        goto done;
    scale = malloc((size_t)C * sizeof(float));
    shift = malloc((size_t)C * sizeof(float));
    if (!scale || !shift) {
        rc = EMO_ENOMEM;
        goto done;
    }
    for (int i = 0; i < C; i++) {
        double v = (double)var[i] + eps;
        if (!(v > 0.0)) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "layer '%s': variance + epsilon is not positive", layer);
            goto done;
        }
        double s = (has_scale ? gamma[i] : 1.0) / sqrt(v);
        scale[i] = (float)s;
        shift[i] = (float)((has_center ? beta[i] : 0.0) - mean[i] * s);
    }
    /* Folded into the producing conv/dense node when this layer is its only
     * reader (in_node >= 0), else a per-channel scale and shift. */
    if (emo__nn_bn_foldable(c->g, in_node, in_t)) {
        if ((rc = emo__nn_fold_bn(c->g, in_node, scale, shift)) < 0)
            goto done;
        *out_t = in_t;
        *out_node = in_node;
        goto done;
    }
    /* Not after a linear conv: y = x * scale + shift as a 1x1 depthwise conv. */
    if (rank != 4 && rank != 2) {
        rc = emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': BatchNormalization of a rank-%d tensor", layer, rank);
        goto done;
    }
    int src = in_t;
    char name[128];
    if (rank == 2) {
        int s4[4] = { 1, 1, 1, C };
        snprintf(name, sizeof(name), "%s/as_image", layer);
        if ((rc = emo__keras_emit_simple(c, EMO_NN_RESHAPE, name, &in_t, 1, 4, s4, &src)) < 0)
            goto done;
    }
    ConvSpec k = { 1, 1, 1, 1, 1, 1, 1, 0, C, 1 };
    snprintf(name, sizeof(name), rank == 2 ? "%s/affine" : "%s", layer);
    rc = emit_conv(c, layer, name, src, &k, scale, shift, out_t);
    scale = shift = NULL;
    if (rc < 0)
        goto done;
    *out_node = rc;
    if (rank == 2) {
        int s2[2] = { 1, C };
        int t4 = *out_t;
        if ((rc = emo__keras_emit_simple(c, EMO_NN_RESHAPE, layer, &t4, 1, 2, s2, out_t)) < 0)
            goto done;
        *out_node = -1;
    }
    rc = 0;
done:
    free(gamma);
    free(beta);
    free(mean);
    free(var);
    free(scale);
    free(shift);
    return rc < 0 ? rc : 0;
}
