/*
 * TFLite operators to graph nodes: each supported builtin operator's
 * options and constant inputs (weights, biases, slopes, paddings) read,
 * checked against the shapes the operator implies, and emitted as one node
 * of graph.h (a float16 DEQUANTIZE of a constant is folded, no node).
 * Separate from tflite.c, which reads the model and its tensor table: this
 * is the only part that knows what each TFLite operator means.
 */
#include "nn/tflite_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int emo__tfl_const_values(Loader *L, int32_t idx, const float **vals, size_t *count, TflTensor **tp)
{
    TflTensor *t = emo__tfl_tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    if (t->rank < 0)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "constant %s has rank above 4", t->name);
    *tp = t;
    *count = shape_count(t);
    if (t->folded) {
        *vals = t->folded;
        return 0;
    }
    if (t->type != T_FLOAT32)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "constant %s has type %s (float32 or dequantized float16 supported)",
                             t->name, emo__tfl_type_name(t->type));
    if (!t->size)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "tensor %s must be a constant", t->name);
    if (t->size != *count * 4)
        return emo__tfl_fail(L, EMO_EFORMAT, "constant %s holds %zu bytes for %zu floats", t->name, t->size, *count);
    /* The file is only guaranteed byte-aligned: the constant is folded
     * into an aligned copy the first time it is used. */
    float *v = malloc(*count * sizeof(float));
    if (!v)
        return EMO_ENOMEM;
    for (size_t i = 0; i < *count; i++) {
        uint32_t u = rd32(&L->fb, t->data + 4 * i);
        memcpy(&v[i], &u, sizeof(float));
    }
    t->folded = v;
    *vals = v;
    return 0;
}

/* A graph constant holding the values of TFLite tensor idx, with the
 * given graph shape (same element count). */
static int constant(Loader *L, int32_t idx, int rank, const int *shape, int *gid)
{
    const float *v;
    size_t count;
    TflTensor *t;
    int err = emo__tfl_const_values(L, idx, &v, &count, &t);
    if (err)
        return err;
    size_t want = 1;
    for (int i = 0; i < rank; i++)
        want *= (size_t)shape[i];
    if (want != count)
        return emo__tfl_fail(L, EMO_EFORMAT, "constant %s has %zu values, %zu expected", t->name, count, want);
    int id = emo__nn_graph_add_tensor(L->g, t->name, rank, shape, v);
    if (id < 0)
        return emo__tfl_fail(L, id, "cannot add constant %s", t->name);
    *gid = id;
    return 0;
}

static float half_to_float(unsigned h)
{
    unsigned sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float f;
    if (e == 0)
        f = ldexpf((float)m, -24);
    else if (e == 31)
        f = m ? NAN : INFINITY;
    else
        f = ldexpf((float)(m | 1024), (int)e - 25);
    return sign ? -f : f;
}

int emo__tfl_fused_activation(Loader *L, int act, EmoNnNode *n)
{
    switch (act) {
    case 0:
        return 0;
    case 1:
        n->act_min = 0.0f;
        return 0;
    case 2:
        n->act_min = -1.0f;
        n->act_max = 1.0f;
        return 0;
    case 3:
        n->act_min = 0.0f;
        n->act_max = 6.0f;
        return 0;
    default:
        return emo__tfl_fail(L, EMO_EUNSUPPORTED,
                             "unsupported fused activation %d (NONE, RELU, RELU_N1_TO_1, RELU6 supported)",
                             act);
    }
}

static int padding_of(Loader *L, int tf_padding, const EmoNnTensor *in, EmoNnNode *n)
{
    if (tf_padding == 1) /* VALID */
        return 0;
    if (tf_padding != 0)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "unknown padding %d", tf_padding);
    if (in->rank != 4)
        return emo__tfl_fail(L, EMO_EFORMAT, "input is not 4D");
    if (n->stride_h < 1 || n->stride_w < 1 || n->dilation_h < 1 || n->dilation_w < 1 || n->stride_h > 64 ||
        n->stride_w > 64 || n->dilation_h > 64 || n->dilation_w > 64)
        return emo__tfl_fail(L, EMO_EFORMAT, "stride or dilation out of range");
    int o;
    emo__nn_same_padding(in->shape[1], n->kernel_h, n->stride_h, n->dilation_h, &n->pad_top, &n->pad_bottom, &o);
    emo__nn_same_padding(in->shape[2], n->kernel_w, n->stride_w, n->dilation_w, &n->pad_left, &n->pad_right, &o);
    return 0;
}

int emo__tfl_options(Loader *L, const FbTable *op, int want_type, FbTable *opt, int *present)
{
    int bad = 0;
    int type = fb_u8(&L->fb, op, 3, 0, &bad);
    if (bad || fb_subtable(&L->fb, op, 4, opt, present))
        return emo__tfl_fail(L, EMO_EFORMAT, "bad builtin options");
    if (*present && want_type >= 0 && type != want_type)
        return emo__tfl_fail(L, EMO_EFORMAT, "options of type %d where %d is expected", type, want_type);
    return 0;
}

int emo__tfl_op_supported(int32_t code)
{
    switch (code) {
    case OP_ADD: case OP_AVERAGE_POOL_2D: case OP_CONCATENATION: case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D:
    case OP_DEQUANTIZE: case OP_FULLY_CONNECTED: case OP_LOGISTIC: case OP_MAX_POOL_2D: case OP_RELU:
    case OP_RELU_N1_TO_1: case OP_RELU6: case OP_RESHAPE: case OP_SOFTMAX: case OP_PAD: case OP_PRELU:
        return 1;
    default:
        return emo__tfl_is_tensor_op(code);
    }
}

int emo__tfl_read_operator(Loader *L, const FbTable *op, int code)
{
    const Fb *fb = &L->fb;
    FbVec ins, outs;
    if (fb_vector(fb, op, 1, 4, &ins) || fb_vector(fb, op, 2, 4, &outs))
        return emo__tfl_fail(L, EMO_EFORMAT, "bad input or output list");
    if (outs.len != 1)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "%u outputs (1 supported)", outs.len);
    if (ins.len < 1 || ins.len > EMO_NN_MAX_NODE_INPUTS)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "%u inputs", ins.len);
    int32_t out_idx = fb_vec_i32(fb, &outs, 0);
    FbTable opt;
    int has_opt = 0, bad = 0, err;
    EmoNnNode n;

    if (code == OP_DEQUANTIZE) {
        TflTensor *src = emo__tfl_tensor_ref(L, emo__tfl_op_input(L, &ins, 0)), *dst = emo__tfl_tensor_ref(L, out_idx);
        if (!src || !dst)
            return EMO_EFORMAT;
        if (src->type != T_FLOAT16 || !src->size)
            return emo__tfl_fail(L, EMO_EUNSUPPORTED,
                                 "DEQUANTIZE of %s %s (only constant float16 weights are supported)",
                                 src->size ? "constant" : "computed", emo__tfl_type_name(src->type));
        if (dst->type != T_FLOAT32 || dst->folded || dst->size || dst->gid >= 0 || src->rank < 0 ||
            dst->rank != src->rank)
            return emo__tfl_fail(L, EMO_EFORMAT, "DEQUANTIZE output %s is not a fresh float32 tensor", dst->name);
        for (int i = 0; i < src->rank; i++)
            if (src->shape[i] != dst->shape[i])
                return emo__tfl_fail(L, EMO_EFORMAT, "DEQUANTIZE changes the shape");
        size_t count = shape_count(src);
        if (src->size != count * 2)
            return emo__tfl_fail(L, EMO_EFORMAT,
                                 "float16 constant %s holds %zu bytes for %zu values", src->name, src->size,
                                 count);
        float *v = malloc(count * sizeof(float));
        if (!v)
            return EMO_ENOMEM;
        for (size_t i = 0; i < count; i++)
            v[i] = half_to_float(rd16(fb, src->data + 2 * i));
        dst->folded = v;
        return 0;
    }

    if (emo__tfl_is_tensor_op(code))
        return emo__tfl_read_tensor_op(L, op, code, &ins, out_idx);

    int out;
    if ((err = emo__tfl_activation(L, out_idx, &out)))
        return err;
    int in;
    if ((err = emo__tfl_activation(L, emo__tfl_op_input(L, &ins, 0), &in)))
        return err;
    /* Pointers into g->tensors move when tensors are added: re-read after. */

    switch (code) {
    case OP_CONV_2D:
    case OP_DEPTHWISE_CONV_2D: {
        int dw = code == OP_DEPTHWISE_CONV_2D;
        if ((err = emo__tfl_options(L, op, dw ? OPT_DEPTHWISE : OPT_CONV2D, &opt, &has_opt)))
            return err;
        if (!has_opt)
            return emo__tfl_fail(L, EMO_EFORMAT, "options missing");
        emo__nn_node_init(&n, dw ? EMO_NN_DEPTHWISE_CONV2D : EMO_NN_CONV2D);
        int padding = fb_i8(fb, &opt, 0, 0, &bad);
        n.stride_w = fb_i32(fb, &opt, 1, 0, &bad);
        n.stride_h = fb_i32(fb, &opt, 2, 0, &bad);
        int act = fb_i8(fb, &opt, dw ? 4 : 3, 0, &bad);
        n.dilation_w = fb_i32(fb, &opt, dw ? 5 : 4, 1, &bad);
        n.dilation_h = fb_i32(fb, &opt, dw ? 6 : 5, 1, &bad);
        if (bad)
            return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
        TflTensor *w = emo__tfl_tensor_ref(L, emo__tfl_op_input(L, &ins, 1));
        if (!w)
            return EMO_EFORMAT;
        if (w->rank != 4)
            return emo__tfl_fail(L, EMO_EFORMAT, "filter %s is not 4D", w->name);
        const EmoNnTensor *it = &L->g->tensors[in];
        if (it->rank != 4)
            return emo__tfl_fail(L, EMO_EFORMAT, "input is not 4D");
        n.kernel_h = w->shape[1];
        n.kernel_w = w->shape[2];
        if (dw) {
            if (w->shape[3] % it->shape[3])
                return emo__tfl_fail(L, EMO_EFORMAT,
                                     "filter channels %d not a multiple of input channels %d", w->shape[3],
                                     it->shape[3]);
            n.depth_multiplier = w->shape[3] / it->shape[3];
        }
        if ((err = padding_of(L, padding, it, &n)) || (err = emo__tfl_fused_activation(L, act, &n)))
            return err;
        int wshape[4] = { w->shape[0], w->shape[1], w->shape[2], w->shape[3] };
        if ((err = constant(L, emo__tfl_op_input(L, &ins, 1), 4, wshape, &n.weights)))
            return err;
        int32_t bi = emo__tfl_op_input(L, &ins, 2);
        if (bi >= 0) {
            int bshape[1] = { dw ? w->shape[3] : w->shape[0] };
            if ((err = constant(L, bi, 1, bshape, &n.bias)))
                return err;
        }
        break;
    }
    case OP_MAX_POOL_2D:
    case OP_AVERAGE_POOL_2D: {
        if ((err = emo__tfl_options(L, op, OPT_POOL2D, &opt, &has_opt)))
            return err;
        if (!has_opt)
            return emo__tfl_fail(L, EMO_EFORMAT, "options missing");
        emo__nn_node_init(&n, code == OP_MAX_POOL_2D ? EMO_NN_MAX_POOL : EMO_NN_AVG_POOL);
        int padding = fb_i8(fb, &opt, 0, 0, &bad);
        n.stride_w = fb_i32(fb, &opt, 1, 0, &bad);
        n.stride_h = fb_i32(fb, &opt, 2, 0, &bad);
        n.kernel_w = fb_i32(fb, &opt, 3, 0, &bad);
        n.kernel_h = fb_i32(fb, &opt, 4, 0, &bad);
        int act = fb_i8(fb, &opt, 5, 0, &bad);
        if (bad)
            return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
        if (n.kernel_h < 1 || n.kernel_w < 1 || n.kernel_h > 64 || n.kernel_w > 64)
            return emo__tfl_fail(L, EMO_EFORMAT, "pooling window %dx%d out of range", n.kernel_h, n.kernel_w);
        if ((err = padding_of(L, padding, &L->g->tensors[in], &n)) || (err = emo__tfl_fused_activation(L, act, &n)))
            return err;
        break;
    }
    case OP_PRELU: {
        emo__nn_node_init(&n, EMO_NN_PRELU);
        const float *v;
        size_t count;
        TflTensor *a;
        if (ins.len != 2)
            return emo__tfl_fail(L, EMO_EFORMAT, "needs 2 inputs");
        if ((err = emo__tfl_const_values(L, emo__tfl_op_input(L, &ins, 1), &v, &count, &a)))
            return err;
        const EmoNnTensor *it = &L->g->tensors[in];
        int c = it->shape[it->rank - 1];
        if (a->rank < 1 || a->shape[a->rank - 1] != c || count != (size_t)c)
            return emo__tfl_fail(L, EMO_EUNSUPPORTED,
                                 "PReLU slope %s must hold one value per channel (%d)", a->name, c);
        int shape[1] = { c };
        if ((err = constant(L, emo__tfl_op_input(L, &ins, 1), 1, shape, &n.weights)))
            return err;
        break;
    }
    case OP_RELU:
    case OP_RELU6:
    case OP_RELU_N1_TO_1:
        emo__nn_node_init(&n, EMO_NN_CLAMP);
        n.act_min = code == OP_RELU_N1_TO_1 ? -1.0f : 0.0f;
        n.act_max = code == OP_RELU ? INFINITY : code == OP_RELU6 ? 6.0f : 1.0f;
        break;
    case OP_LOGISTIC:
        emo__nn_node_init(&n, EMO_NN_SIGMOID);
        break;
    case OP_SOFTMAX: {
        if ((err = emo__tfl_options(L, op, OPT_SOFTMAX, &opt, &has_opt)))
            return err;
        float beta = has_opt ? fb_f32(fb, &opt, 0, 0.0f, &bad) : 0.0f;
        if (bad || beta != 1.0f)
            return emo__tfl_fail(L, EMO_EUNSUPPORTED, "SOFTMAX with beta %g (1 supported)", (double)beta);
        emo__nn_node_init(&n, EMO_NN_SOFTMAX);
        break;
    }
    case OP_PAD: {
        emo__nn_node_init(&n, EMO_NN_PAD_CHANNELS);
        TflTensor *p = emo__tfl_tensor_ref(L, emo__tfl_op_input(L, &ins, 1));
        if (!p)
            return EMO_EFORMAT;
        const EmoNnTensor *it = &L->g->tensors[in];
        size_t esize = p->type == T_INT32 ? 4 : p->type == T_INT64 ? 8 : 0;
        if (!esize || !p->size || p->rank != 2 || p->shape[0] != it->rank || p->shape[1] != 2 ||
            p->size != (size_t)it->rank * 2 * esize)
            return emo__tfl_fail(L, EMO_EUNSUPPORTED, "paddings %s must be a constant int32 [rank][2] tensor", p->name);
        for (int d = 0; d < it->rank; d++) {
            int64_t pv[2];
            for (int k = 0; k < 2; k++) {
                size_t at = p->data + ((size_t)d * 2 + (size_t)k) * esize;
                pv[k] = esize == 4 ? (int64_t)(int32_t)rd32(fb, at)
                                   : (int64_t)(rd32(fb, at) | (uint64_t)rd32(fb, at + 4) << 32);
            }
            if (d < it->rank - 1 && (pv[0] || pv[1]))
                return emo__tfl_fail(L, EMO_EUNSUPPORTED, "PAD of axis %d (only the channel axis is supported)", d);
            if (d == it->rank - 1) {
                if (pv[0] < 0 || pv[1] < 0 || pv[0] > 65536 || pv[1] > 65536)
                    return emo__tfl_fail(L, EMO_EFORMAT, "channel padding out of range");
                n.pad_before = (int)pv[0];
                n.pad_after = (int)pv[1];
            }
        }
        break;
    }
    case OP_RESHAPE:
        /* The output tensor's shape is the new shape; the optional shape
         * input and ReshapeOptions carry the same numbers. */
        emo__nn_node_init(&n, EMO_NN_RESHAPE);
        break;
    case OP_FULLY_CONNECTED: {
        if ((err = emo__tfl_options(L, op, OPT_FULLY_CONNECTED, &opt, &has_opt)))
            return err;
        int act = has_opt ? fb_i8(fb, &opt, 0, 0, &bad) : 0;
        int fmt = has_opt ? fb_i8(fb, &opt, 1, 0, &bad) : 0;
        if (bad || fmt != 0)
            return emo__tfl_fail(L, EMO_EUNSUPPORTED, "weights format %d", fmt);
        emo__nn_node_init(&n, EMO_NN_DENSE);
        TflTensor *w = emo__tfl_tensor_ref(L, emo__tfl_op_input(L, &ins, 1));
        if (!w)
            return EMO_EFORMAT;
        if (w->rank != 2)
            return emo__tfl_fail(L, EMO_EFORMAT, "weights %s are not 2D", w->name);
        int wshape[2] = { w->shape[0], w->shape[1] };
        if ((err = emo__tfl_fused_activation(L, act, &n)) || (err = constant(L, emo__tfl_op_input(L, &ins, 1), 2, wshape, &n.weights)))
            return err;
        int32_t bi = emo__tfl_op_input(L, &ins, 2);
        if (bi >= 0) {
            int bshape[1] = { wshape[0] };
            if ((err = constant(L, bi, 1, bshape, &n.bias)))
                return err;
        }
        break;
    }
    default:
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "unsupported operator");
    }
    n.inputs[0] = in;
    if (!n.n_inputs)
        n.n_inputs = 1;
    n.output = out;
    err = emo__nn_graph_add_node(L->g, &n);
    return err < 0 ? emo__tfl_fail(L, err, "too many operators") : 0;
}
