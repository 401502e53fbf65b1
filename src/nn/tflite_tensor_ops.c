/*
 * TFLite operators that are not convolutions or pooling: broadcasting
 * binary ops (ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE) with a constant or
 * computed operand, NEG/SQRT/RSQRT, the reductions MEAN and SUM, TRANSPOSE,
 * STRIDED_SLICE and CONCATENATION on any axis. The MediaPipe blendshape
 * model (an MLP-mixer over landmark coordinates with layer norms written as
 * these ops) needs all of them; BlazeFace full-range adds RESIZE_BILINEAR
 * (its feature pyramid upsamples by 2). Their integer parameters (axes, permutation,
 * slice bounds) are constant int32/int64 tensors of the file, read here
 * through the bounds-checked flatbuffer helpers and resolved against the
 * input shape; the graph (graph_ops.c) checks the result again.
 */
#include "nn/tflite_internal.h"

#include <stdlib.h>
#include <string.h>

int emo__tfl_is_tensor_op(int32_t code)
{
    switch (code) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_SQUARED_DIFFERENCE: case OP_NEG: case OP_SQRT:
    case OP_RSQRT: case OP_MEAN: case OP_SUM: case OP_TRANSPOSE: case OP_STRIDED_SLICE: case OP_CONCATENATION:
    case OP_RESIZE_BILINEAR:
        return 1;
    default:
        return 0;
    }
}

/* Graph tensor of an operand: a computed tensor, or a constant (float32 or
 * dequantized float16) copied into the graph once; a scalar becomes [1]. */
static int operand(Loader *L, int32_t idx, int *gid)
{
    TflTensor *t = emo__tfl_tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    if (!t->size && !t->folded)
        return emo__tfl_activation(L, idx, gid);
    if (t->gid >= 0) {
        *gid = t->gid;
        return 0;
    }
    const float *v;
    size_t count;
    int err = emo__tfl_const_values(L, idx, &v, &count, &t);
    if (err)
        return err;
    int one = 1;
    int id = t->rank > 0 ? emo__nn_graph_add_tensor(L->g, t->name, t->rank, t->shape, v)
                         : emo__nn_graph_add_tensor(L->g, t->name, 1, &one, v);
    if (id < 0)
        return emo__tfl_fail(L, id, "cannot add constant %s", t->name);
    t->gid = id;
    *gid = id;
    return 0;
}

/* Values of a constant integer vector (int32 or int64) of at most max
 * entries; a scalar counts as one. */
static int const_ints(Loader *L, int32_t idx, const char *what, int64_t *v, int max, int *n)
{
    TflTensor *t = emo__tfl_tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    size_t esize = t->type == T_INT32 ? 4 : t->type == T_INT64 ? 8 : 0;
    size_t count = t->rank >= 0 ? shape_count(t) : 0;
    if (!esize || !t->size || t->rank > 1 || count > (size_t)max || t->size != count * esize)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "%s %s must be a constant int32 vector of at most %d values", what,
                             t->name, max);
    for (size_t i = 0; i < count; i++) {
        size_t at = t->data + i * esize;
        v[i] = esize == 4 ? (int64_t)(int32_t)rd32(&L->fb, at)
                          : (int64_t)(rd32(&L->fb, at) | (uint64_t)rd32(&L->fb, at + 4) << 32);
    }
    *n = (int)count;
    return 0;
}

static int binary(Loader *L, const FbTable *op, int code, const FbVec *ins, EmoNnNode *n)
{
    static const struct { int code, op, opt; } map[] = {
        { OP_ADD, EMO_NN_ADD, OPT_ADD },
        { OP_SUB, EMO_NN_SUB, OPT_SUB },
        { OP_MUL, EMO_NN_MUL, OPT_MUL },
        { OP_DIV, EMO_NN_DIV, OPT_DIV },
        { OP_SQUARED_DIFFERENCE, EMO_NN_SQUARED_DIFF, -1 },
    };
    size_t k = 0;
    while (map[k].code != code)
        k++;
    emo__nn_node_init(n, (EmoNnOp)map[k].op);
    if (ins->len != 2)
        return emo__tfl_fail(L, EMO_EFORMAT, "needs 2 inputs");
    FbTable opt;
    int has_opt = 0, bad = 0, err;
    if ((err = emo__tfl_options(L, op, map[k].opt, &opt, &has_opt)))
        return err;
    /* Every one of these option tables starts with the fused activation
     * (SquaredDifferenceOptions is empty). */
    int act = has_opt && map[k].opt >= 0 ? fb_i8(&L->fb, &opt, 0, 0, &bad) : 0;
    if (bad)
        return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
    if ((err = emo__tfl_fused_activation(L, act, n)) ||
        (err = operand(L, emo__tfl_op_input(L, ins, 0), &n->inputs[0])) ||
        (err = operand(L, emo__tfl_op_input(L, ins, 1), &n->inputs[1])))
        return err;
    if (L->g->tensors[n->inputs[0]].data && L->g->tensors[n->inputs[1]].data)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "both inputs are constants");
    n->n_inputs = 2;
    return 0;
}

static int reduce(Loader *L, const FbTable *op, int code, const FbVec *ins, const EmoNnTensor *in, EmoNnNode *n)
{
    FbTable opt;
    int has_opt = 0, err, count;
    int64_t axes[8];
    if ((err = emo__tfl_options(L, op, OPT_REDUCER, &opt, &has_opt)))
        return err;
    if (ins->len != 2)
        return emo__tfl_fail(L, EMO_EFORMAT, "needs 2 inputs");
    if ((err = const_ints(L, emo__tfl_op_input(L, ins, 1), "axes", axes, 8, &count)))
        return err;
    emo__nn_node_init(n, code == OP_MEAN ? EMO_NN_MEAN : EMO_NN_SUM);
    for (int i = 0; i < count; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + in->rank : axes[i];
        if (a < 0 || a >= in->rank)
            return emo__tfl_fail(L, EMO_EFORMAT, "axis %lld out of range for rank %d", (long long)axes[i], in->rank);
        n->axes |= 1u << a;
    }
    if (!n->axes)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "reduction over no axis");
    /* keep_dims needs no field: the output tensor's rank says it. */
    return 0;
}

static int transpose(Loader *L, const FbVec *ins, const EmoNnTensor *in, EmoNnNode *n)
{
    int64_t perm[8];
    int count, err;
    if (ins->len != 2)
        return emo__tfl_fail(L, EMO_EFORMAT, "needs 2 inputs");
    if ((err = const_ints(L, emo__tfl_op_input(L, ins, 1), "permutation", perm, 8, &count)))
        return err;
    if (count != in->rank)
        return emo__tfl_fail(L, EMO_EFORMAT, "permutation of %d axes for a tensor of rank %d", count, in->rank);
    emo__nn_node_init(n, EMO_NN_TRANSPOSE);
    for (int d = 0; d < count; d++) {
        if (perm[d] < 0 || perm[d] >= in->rank)
            return emo__tfl_fail(L, EMO_EFORMAT, "permutation entry %lld out of range", (long long)perm[d]);
        n->perm[d] = (int)perm[d];
    }
    return 0;
}

/* TensorFlow's strided slice, positive strides: masked bounds take the whole
 * axis, negative indices count from the end, bounds clamp to the axis, and
 * a shrunk axis keeps the single element at begin. */
static int strided_slice(Loader *L, const FbTable *op, const FbVec *ins, const EmoNnTensor *in, EmoNnNode *n)
{
    FbTable opt;
    int has_opt = 0, bad = 0, err, nb, ne, ns;
    int64_t b[8], e[8], s[8];
    if ((err = emo__tfl_options(L, op, OPT_STRIDED_SLICE, &opt, &has_opt)))
        return err;
    const Fb *fb = &L->fb;
    int begin_mask = has_opt ? fb_i32(fb, &opt, 0, 0, &bad) : 0;
    int end_mask = has_opt ? fb_i32(fb, &opt, 1, 0, &bad) : 0;
    int ellipsis = has_opt ? fb_i32(fb, &opt, 2, 0, &bad) : 0;
    int new_axis = has_opt ? fb_i32(fb, &opt, 3, 0, &bad) : 0;
    int shrink = has_opt ? fb_i32(fb, &opt, 4, 0, &bad) : 0;
    int offset = has_opt ? fb_u8(fb, &opt, 5, 0, &bad) : 0;
    if (bad)
        return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
    if (ellipsis || new_axis)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "ellipsis and new-axis masks are not supported");
    if (ins->len != 4)
        return emo__tfl_fail(L, EMO_EFORMAT, "needs 4 inputs");
    if ((err = const_ints(L, emo__tfl_op_input(L, ins, 1), "begin", b, 8, &nb)) ||
        (err = const_ints(L, emo__tfl_op_input(L, ins, 2), "end", e, 8, &ne)) ||
        (err = const_ints(L, emo__tfl_op_input(L, ins, 3), "strides", s, 8, &ns)))
        return err;
    if (nb != in->rank || ne != in->rank || ns != in->rank)
        return emo__tfl_fail(L, EMO_EFORMAT, "begin, end and strides must have one value per input axis (%d)",
                             in->rank);
    emo__nn_node_init(n, EMO_NN_SLICE);
    for (int d = 0; d < in->rank; d++) {
        int64_t dim = in->shape[d], lo = b[d], hi = offset ? b[d] + e[d] : e[d];
        if (s[d] < 1 || s[d] > (1 << 24))
            return emo__tfl_fail(L, EMO_EUNSUPPORTED, "stride %lld on axis %d (positive strides supported)",
                                 (long long)s[d], d);
        if (begin_mask >> d & 1)
            lo = 0;
        if (end_mask >> d & 1)
            hi = dim;
        lo = lo < 0 ? lo + dim : lo;
        hi = hi < 0 ? hi + dim : hi;
        lo = lo < 0 ? 0 : lo > dim ? dim : lo;
        hi = hi < 0 ? 0 : hi > dim ? dim : hi;
        if (shrink >> d & 1)
            hi = lo + 1;
        if (hi <= lo || hi > dim)
            return emo__tfl_fail(L, EMO_EFORMAT, "empty or out-of-range slice on axis %d", d);
        n->begin[d] = (int)lo;
        n->step[d] = (int)s[d];
        n->count[d] = (int)((hi - lo + s[d] - 1) / s[d]);
    }
    return 0;
}

/* ResizeBilinearOptions: new_height, new_width (deprecated, unused),
 * align_corners, half_pixel_centers; the size is the second input, a
 * constant [height, width] that must be the output tensor's. */
static int resize_bilinear(Loader *L, const FbTable *op, const FbVec *ins, const EmoNnTensor *in,
                           const EmoNnTensor *out, EmoNnNode *n)
{
    FbTable opt;
    int has_opt = 0, bad = 0, err, count;
    int64_t size[2];
    if ((err = emo__tfl_options(L, op, OPT_RESIZE_BILINEAR, &opt, &has_opt)))
        return err;
    int align = has_opt ? fb_u8(&L->fb, &opt, 2, 0, &bad) : 0;
    int half = has_opt ? fb_u8(&L->fb, &opt, 3, 0, &bad) : 0;
    if (bad)
        return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
    if (align && half)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "align_corners and half_pixel_centers together");
    if (ins->len != 2)
        return emo__tfl_fail(L, EMO_EFORMAT, "needs 2 inputs");
    if ((err = const_ints(L, emo__tfl_op_input(L, ins, 1), "size", size, 2, &count)))
        return err;
    if (in->rank != 4 || out->rank != 4)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "input and output must be NHWC");
    if (count != 2 || size[0] != out->shape[1] || size[1] != out->shape[2])
        return emo__tfl_fail(L, EMO_EFORMAT, "size [%lld,%lld] is not the output's %dx%d",
                             count > 0 ? (long long)size[0] : -1LL, count > 1 ? (long long)size[1] : -1LL,
                             out->shape[1], out->shape[2]);
    emo__nn_node_init(n, EMO_NN_RESIZE_BILINEAR);
    n->resize = align ? EMO_NN_RESIZE_ALIGN_CORNERS : half ? EMO_NN_RESIZE_HALF_PIXEL : EMO_NN_RESIZE_LEGACY;
    return 0;
}

static int concatenation(Loader *L, const FbTable *op, const FbVec *ins, const EmoNnTensor *out, EmoNnNode *n)
{
    FbTable opt;
    int has_opt = 0, bad = 0, err;
    if ((err = emo__tfl_options(L, op, OPT_CONCAT, &opt, &has_opt)))
        return err;
    int axis = has_opt ? fb_i32(&L->fb, &opt, 0, 0, &bad) : 0;
    int act = has_opt ? fb_i8(&L->fb, &opt, 1, 0, &bad) : 0;
    if (bad)
        return emo__tfl_fail(L, EMO_EFORMAT, "bad options");
    emo__nn_node_init(n, EMO_NN_CONCAT);
    if (axis < 0)
        axis += out->rank;
    if (axis < 0 || axis >= out->rank)
        return emo__tfl_fail(L, EMO_EFORMAT, "axis out of range");
    n->axis = axis;
    for (uint32_t k = 0; k < ins->len; k++)
        if ((err = operand(L, emo__tfl_op_input(L, ins, k), &n->inputs[k])))
            return err;
    n->n_inputs = (int)ins->len;
    return emo__tfl_fused_activation(L, act, n);
}

int emo__tfl_read_tensor_op(Loader *L, const FbTable *op, int code, const FbVec *ins, int32_t out_idx)
{
    EmoNnNode n;
    int out, in = -1, err;
    if ((err = emo__tfl_activation(L, out_idx, &out)))
        return err;
    /* Copies: g->tensors moves when constants are added. */
    EmoNnTensor ot = L->g->tensors[out], it = ot;
    int unary = code != OP_CONCATENATION && code != OP_ADD && code != OP_SUB && code != OP_MUL && code != OP_DIV &&
                code != OP_SQUARED_DIFFERENCE;
    if (unary) {
        if ((err = emo__tfl_activation(L, emo__tfl_op_input(L, ins, 0), &in)))
            return err;
        it = L->g->tensors[in];
    }
    switch (code) {
    case OP_NEG:
    case OP_SQRT:
    case OP_RSQRT:
        emo__nn_node_init(&n, code == OP_NEG ? EMO_NN_NEG : code == OP_SQRT ? EMO_NN_SQRT : EMO_NN_RSQRT);
        break;
    case OP_MEAN:
    case OP_SUM:
        err = reduce(L, op, code, ins, &it, &n);
        break;
    case OP_TRANSPOSE:
        err = transpose(L, ins, &it, &n);
        break;
    case OP_STRIDED_SLICE:
        err = strided_slice(L, op, ins, &it, &n);
        break;
    case OP_CONCATENATION:
        err = concatenation(L, op, ins, &ot, &n);
        break;
    case OP_RESIZE_BILINEAR:
        err = resize_bilinear(L, op, ins, &it, &ot, &n);
        break;
    default:
        err = binary(L, op, code, ins, &n);
        break;
    }
    if (err)
        return err;
    if (unary) {
        n.inputs[0] = in;
        n.n_inputs = 1;
    }
    n.output = out;
    err = emo__nn_graph_add_node(L->g, &n);
    return err < 0 ? emo__tfl_fail(L, err, "too many operators") : 0;
}
