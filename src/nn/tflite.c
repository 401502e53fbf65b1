/*
 * TFLite flatbuffer reader: turns a .tflite file in memory into the tensor
 * graph (graph.h). Written from the published schema (schema.fbs): no
 * flatbuffers library. The generic flatbuffer access is flatbuf.h; this
 * file is the TFLite schema on top of it: the file starts with a 32-bit
 * offset to the root table (file identifier "TFL3" at bytes 4..7), and a
 * union takes two fields: its type (ubyte) and then its value.
 *
 * The file is untrusted: every read goes through the bounds-checked helpers
 * of flatbuf.h, every loop runs over a vector whose length was checked
 * against the bytes left, and allocations are bounded by the file size
 * (constant tensors) or by the graph limits (graph.c).
 */
#include "nn/flatbuf.h"
#include "nn/graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Schema constants (tensorflow/lite/schema/schema.fbs)
 */

enum {
    T_FLOAT32 = 0, T_FLOAT16 = 1, T_INT32 = 2, T_UINT8 = 3, T_INT64 = 4, T_INT8 = 9,
};

enum {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
    OP_DEQUANTIZE = 6, OP_FULLY_CONNECTED = 9, OP_LOGISTIC = 14, OP_MAX_POOL_2D = 17, OP_RELU = 19,
    OP_RELU_N1_TO_1 = 20, OP_RELU6 = 21, OP_RESHAPE = 22, OP_SOFTMAX = 25, OP_CUSTOM = 32, OP_PAD = 34,
    OP_PRELU = 54,
};

/* BuiltinOptions union member types. */
enum {
    OPT_CONV2D = 1, OPT_DEPTHWISE = 2, OPT_POOL2D = 5, OPT_FULLY_CONNECTED = 8, OPT_SOFTMAX = 9, OPT_CONCAT = 10,
    OPT_ADD = 11, OPT_RESHAPE = 17, OPT_PAD = 22,
};

static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
    "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
    "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE",
    "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
    "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV",
};

static const char *builtin_name(int code)
{
    if (code >= 0 && (size_t)code < sizeof(builtin_names) / sizeof(builtin_names[0]))
        return builtin_names[code];
    return "(unknown)";
}

static const char *type_name(int t)
{
    static const char *const names[] = { "FLOAT32", "FLOAT16", "INT32",  "UINT8",     "INT64",  "STRING",
                                         "BOOL",    "INT16",   "COMPLEX64", "INT8", "FLOAT64" };
    return t >= 0 && (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "(unknown)";
}

/* ---------------------------------------------------------------------------
 * Loader state
 */

/* Same bound as the graph's (graph.c): 16 M floats per tensor. */
#define MAX_TENSOR_ELEMENTS ((size_t)16 << 20)

typedef struct TflTensor {
    char name[96];
    int rank;            /* -1: rank above 4 (only an error when used) */
    int shape[4];
    int type;
    size_t data, size;   /* constant bytes in the file (size 0: none) */
    float *folded;       /* float32 values of a dequantized float16 constant */
    int gid;             /* graph tensor, -1 until used */
} TflTensor;

typedef struct Loader {
    Fb fb;
    EmoNnGraph *g;
    const char *path;
    TflTensor *t;
    uint32_t nt;
    FbVec buffers;
    int op_index;        /* operator being read, for messages */
    const char *op_name;
    int logged;          /* a message was sent */
    const char *stage;   /* "tensor", "operator": what was being read */
} Loader;

static int lfail(Loader *L, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int lfail(Loader *L, int err, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->logged = 1;
    if (L->op_name)
        emo_log(L->g->log, EMO_LOG_ERROR, "%s: op %d (%s): %s", L->path, L->op_index, L->op_name, msg);
    else
        emo_log(L->g->log, EMO_LOG_ERROR, "%s: %s", L->path, msg);
    return err;
}

static size_t shape_count(const TflTensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static int read_tensor(Loader *L, const FbTable *tt, TflTensor *out)
{
    const Fb *fb = &L->fb;
    int bad = 0;
    memset(out, 0, sizeof(*out));
    out->gid = -1;
    if (fb_string(fb, tt, 3, out->name, sizeof(out->name)))
        return EMO_EFORMAT;
    FbVec shape;
    if (fb_vector(fb, tt, 0, 4, &shape))
        return EMO_EFORMAT;
    if (shape.len > 4) {
        out->rank = -1;
    } else {
        out->rank = (int)shape.len;
        size_t count = 1;
        for (uint32_t i = 0; i < shape.len; i++) {
            int32_t d = fb_vec_i32(fb, &shape, i);
            if (d <= 0 || d > (1 << 24))
                return lfail(L, EMO_EFORMAT, "tensor %s has a bad dimension %d", out->name, (int)d);
            out->shape[i] = d;
            count *= (size_t)d; /* at most 2^48 before the check below */
            if (count > MAX_TENSOR_ELEMENTS)
                return lfail(L, EMO_EFORMAT, "tensor %s is too large", out->name);
        }
    }
    out->type = fb_i8(fb, tt, 1, T_FLOAT32, &bad);
    uint32_t buf = fb_u32(fb, tt, 2, 0, &bad);
    if (bad)
        return EMO_EFORMAT;
    /* Buffer 0 is the empty sentinel by convention; any buffer may be empty. */
    if (buf >= L->buffers.len)
        return lfail(L, EMO_EFORMAT, "tensor %s refers to buffer %u of %u", out->name, buf, L->buffers.len);
    FbTable bt;
    if (fb_vec_table(fb, &L->buffers, buf, &bt))
        return EMO_EFORMAT;
    FbVec data;
    if (fb_vector(fb, &bt, 0, 1, &data))
        return EMO_EFORMAT;
    out->data = data.data;
    out->size = data.len;
    if (!data.len) {
        /* Large models keep buffers outside the flatbuffer: offset/size
         * (uint64) from the file start. */
        size_t po = fb_field(fb, &bt, 1, 8, &bad), ps = fb_field(fb, &bt, 2, 8, &bad);
        if (bad)
            return EMO_EFORMAT;
        if (po && ps) {
            uint64_t off = rd32(fb, po) | (uint64_t)rd32(fb, po + 4) << 32;
            uint64_t size = rd32(fb, ps) | (uint64_t)rd32(fb, ps + 4) << 32;
            if (off > 1 && (off > fb->n || size > fb->n - off))
                return lfail(L, EMO_EFORMAT, "tensor %s: buffer outside the file", out->name);
            if (off > 1) {
                out->data = (size_t)off;
                out->size = (size_t)size;
            }
        }
    }
    return 0;
}

static TflTensor *tensor_ref(Loader *L, int32_t idx)
{
    if (idx < 0 || (uint32_t)idx >= L->nt) {
        lfail(L, EMO_EFORMAT, "tensor index %d out of range (%u tensors)", (int)idx, L->nt);
        return NULL;
    }
    return &L->t[idx];
}

/* Graph id of an activation (computed float32) tensor. */
static int activation(Loader *L, int32_t idx, int *gid)
{
    TflTensor *t = tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    if (t->type != T_FLOAT32)
        return lfail(L, EMO_EUNSUPPORTED, "tensor %s has type %s; only float32 activations are supported", t->name,
                     type_name(t->type));
    if (t->size || t->folded)
        return lfail(L, EMO_EUNSUPPORTED, "tensor %s is a constant where a computed tensor is expected", t->name);
    if (t->rank < 1)
        return lfail(L, EMO_EUNSUPPORTED, "tensor %s has rank %d (1 to 4 supported)", t->name, t->rank);
    if (t->gid < 0) {
        int id = emo__nn_graph_add_tensor(L->g, t->name, t->rank, t->shape, NULL);
        if (id < 0)
            return lfail(L, id, "tensor %s is too large", t->name);
        t->gid = id;
    }
    *gid = t->gid;
    return 0;
}

/* float32 values of a constant tensor (stored float32 or folded float16). */
static int const_values(Loader *L, int32_t idx, const float **vals, size_t *count, TflTensor **tp)
{
    TflTensor *t = tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    if (t->rank < 0)
        return lfail(L, EMO_EUNSUPPORTED, "constant %s has rank above 4", t->name);
    *tp = t;
    *count = shape_count(t);
    if (t->folded) {
        *vals = t->folded;
        return 0;
    }
    if (t->type != T_FLOAT32)
        return lfail(L, EMO_EUNSUPPORTED, "constant %s has type %s (float32 or dequantized float16 supported)",
                     t->name, type_name(t->type));
    if (!t->size)
        return lfail(L, EMO_EUNSUPPORTED, "tensor %s must be a constant", t->name);
    if (t->size != *count * 4)
        return lfail(L, EMO_EFORMAT, "constant %s holds %zu bytes for %zu floats", t->name, t->size, *count);
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
    int err = const_values(L, idx, &v, &count, &t);
    if (err)
        return err;
    size_t want = 1;
    for (int i = 0; i < rank; i++)
        want *= (size_t)shape[i];
    if (want != count)
        return lfail(L, EMO_EFORMAT, "constant %s has %zu values, %zu expected", t->name, count, want);
    int id = emo__nn_graph_add_tensor(L->g, t->name, rank, shape, v);
    if (id < 0)
        return lfail(L, id, "cannot add constant %s", t->name);
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

static int fused_activation(Loader *L, int act, EmoNnNode *n)
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
        return lfail(L, EMO_EUNSUPPORTED, "unsupported fused activation %d (NONE, RELU, RELU_N1_TO_1, RELU6 supported)",
                     act);
    }
}

static int padding_of(Loader *L, int tf_padding, const EmoNnTensor *in, EmoNnNode *n)
{
    if (tf_padding == 1) /* VALID */
        return 0;
    if (tf_padding != 0)
        return lfail(L, EMO_EUNSUPPORTED, "unknown padding %d", tf_padding);
    if (in->rank != 4)
        return lfail(L, EMO_EFORMAT, "input is not 4D");
    if (n->stride_h < 1 || n->stride_w < 1 || n->dilation_h < 1 || n->dilation_w < 1 || n->stride_h > 64 ||
        n->stride_w > 64 || n->dilation_h > 64 || n->dilation_w > 64)
        return lfail(L, EMO_EFORMAT, "stride or dilation out of range");
    int o;
    emo__nn_same_padding(in->shape[1], n->kernel_h, n->stride_h, n->dilation_h, &n->pad_top, &n->pad_bottom, &o);
    emo__nn_same_padding(in->shape[2], n->kernel_w, n->stride_w, n->dilation_w, &n->pad_left, &n->pad_right, &o);
    return 0;
}

/* Options table of an operator, checking its union type when present. */
static int options(Loader *L, const FbTable *op, int want_type, FbTable *opt, int *present)
{
    int bad = 0;
    int type = fb_u8(&L->fb, op, 3, 0, &bad);
    if (bad || fb_subtable(&L->fb, op, 4, opt, present))
        return lfail(L, EMO_EFORMAT, "bad builtin options");
    if (*present && type != want_type)
        return lfail(L, EMO_EFORMAT, "options of type %d where %d is expected", type, want_type);
    return 0;
}

static int supported(int32_t code)
{
    switch (code) {
    case OP_ADD: case OP_AVERAGE_POOL_2D: case OP_CONCATENATION: case OP_CONV_2D: case OP_DEPTHWISE_CONV_2D:
    case OP_DEQUANTIZE: case OP_FULLY_CONNECTED: case OP_LOGISTIC: case OP_MAX_POOL_2D: case OP_RELU:
    case OP_RELU_N1_TO_1: case OP_RELU6: case OP_RESHAPE: case OP_SOFTMAX: case OP_PAD: case OP_PRELU:
        return 1;
    default:
        return 0;
    }
}

static int32_t op_input(const Loader *L, const FbVec *v, uint32_t i)
{
    return i < v->len ? fb_vec_i32(&L->fb, v, i) : -1;
}

static int read_operator(Loader *L, const FbTable *op, int code)
{
    const Fb *fb = &L->fb;
    FbVec ins, outs;
    if (fb_vector(fb, op, 1, 4, &ins) || fb_vector(fb, op, 2, 4, &outs))
        return lfail(L, EMO_EFORMAT, "bad input or output list");
    if (outs.len != 1)
        return lfail(L, EMO_EUNSUPPORTED, "%u outputs (1 supported)", outs.len);
    if (ins.len < 1 || ins.len > EMO_NN_MAX_NODE_INPUTS)
        return lfail(L, EMO_EUNSUPPORTED, "%u inputs", ins.len);
    int32_t out_idx = fb_vec_i32(fb, &outs, 0);
    FbTable opt;
    int has_opt = 0, bad = 0, err;
    EmoNnNode n;

    if (code == OP_DEQUANTIZE) {
        TflTensor *src = tensor_ref(L, op_input(L, &ins, 0)), *dst = tensor_ref(L, out_idx);
        if (!src || !dst)
            return EMO_EFORMAT;
        if (src->type != T_FLOAT16 || !src->size)
            return lfail(L, EMO_EUNSUPPORTED, "DEQUANTIZE of %s %s (only constant float16 weights are supported)",
                         src->size ? "constant" : "computed", type_name(src->type));
        if (dst->type != T_FLOAT32 || dst->folded || dst->size || dst->gid >= 0 || src->rank < 0 ||
            dst->rank != src->rank)
            return lfail(L, EMO_EFORMAT, "DEQUANTIZE output %s is not a fresh float32 tensor", dst->name);
        for (int i = 0; i < src->rank; i++)
            if (src->shape[i] != dst->shape[i])
                return lfail(L, EMO_EFORMAT, "DEQUANTIZE changes the shape");
        size_t count = shape_count(src);
        if (src->size != count * 2)
            return lfail(L, EMO_EFORMAT, "float16 constant %s holds %zu bytes for %zu values", src->name, src->size,
                         count);
        float *v = malloc(count * sizeof(float));
        if (!v)
            return EMO_ENOMEM;
        for (size_t i = 0; i < count; i++)
            v[i] = half_to_float(rd16(fb, src->data + 2 * i));
        dst->folded = v;
        return 0;
    }

    int out;
    if ((err = activation(L, out_idx, &out)))
        return err;
    const EmoNnTensor *ot = &L->g->tensors[out];
    int in;
    if ((err = activation(L, op_input(L, &ins, 0), &in)))
        return err;
    /* Pointers into g->tensors move when tensors are added: re-read after. */

    switch (code) {
    case OP_CONV_2D:
    case OP_DEPTHWISE_CONV_2D: {
        int dw = code == OP_DEPTHWISE_CONV_2D;
        if ((err = options(L, op, dw ? OPT_DEPTHWISE : OPT_CONV2D, &opt, &has_opt)))
            return err;
        if (!has_opt)
            return lfail(L, EMO_EFORMAT, "options missing");
        emo__nn_node_init(&n, dw ? EMO_NN_DEPTHWISE_CONV2D : EMO_NN_CONV2D);
        int padding = fb_i8(fb, &opt, 0, 0, &bad);
        n.stride_w = fb_i32(fb, &opt, 1, 0, &bad);
        n.stride_h = fb_i32(fb, &opt, 2, 0, &bad);
        int act = fb_i8(fb, &opt, dw ? 4 : 3, 0, &bad);
        n.dilation_w = fb_i32(fb, &opt, dw ? 5 : 4, 1, &bad);
        n.dilation_h = fb_i32(fb, &opt, dw ? 6 : 5, 1, &bad);
        if (bad)
            return lfail(L, EMO_EFORMAT, "bad options");
        TflTensor *w = tensor_ref(L, op_input(L, &ins, 1));
        if (!w)
            return EMO_EFORMAT;
        if (w->rank != 4)
            return lfail(L, EMO_EFORMAT, "filter %s is not 4D", w->name);
        const EmoNnTensor *it = &L->g->tensors[in];
        if (it->rank != 4)
            return lfail(L, EMO_EFORMAT, "input is not 4D");
        n.kernel_h = w->shape[1];
        n.kernel_w = w->shape[2];
        if (dw) {
            if (w->shape[3] % it->shape[3])
                return lfail(L, EMO_EFORMAT, "filter channels %d not a multiple of input channels %d", w->shape[3],
                             it->shape[3]);
            n.depth_multiplier = w->shape[3] / it->shape[3];
        }
        if ((err = padding_of(L, padding, it, &n)) || (err = fused_activation(L, act, &n)))
            return err;
        int wshape[4] = { w->shape[0], w->shape[1], w->shape[2], w->shape[3] };
        if ((err = constant(L, op_input(L, &ins, 1), 4, wshape, &n.weights)))
            return err;
        int32_t bi = op_input(L, &ins, 2);
        if (bi >= 0) {
            int bshape[1] = { dw ? w->shape[3] : w->shape[0] };
            if ((err = constant(L, bi, 1, bshape, &n.bias)))
                return err;
        }
        break;
    }
    case OP_MAX_POOL_2D:
    case OP_AVERAGE_POOL_2D: {
        if ((err = options(L, op, OPT_POOL2D, &opt, &has_opt)))
            return err;
        if (!has_opt)
            return lfail(L, EMO_EFORMAT, "options missing");
        emo__nn_node_init(&n, code == OP_MAX_POOL_2D ? EMO_NN_MAX_POOL : EMO_NN_AVG_POOL);
        int padding = fb_i8(fb, &opt, 0, 0, &bad);
        n.stride_w = fb_i32(fb, &opt, 1, 0, &bad);
        n.stride_h = fb_i32(fb, &opt, 2, 0, &bad);
        n.kernel_w = fb_i32(fb, &opt, 3, 0, &bad);
        n.kernel_h = fb_i32(fb, &opt, 4, 0, &bad);
        int act = fb_i8(fb, &opt, 5, 0, &bad);
        if (bad)
            return lfail(L, EMO_EFORMAT, "bad options");
        if (n.kernel_h < 1 || n.kernel_w < 1 || n.kernel_h > 64 || n.kernel_w > 64)
            return lfail(L, EMO_EFORMAT, "pooling window %dx%d out of range", n.kernel_h, n.kernel_w);
        if ((err = padding_of(L, padding, &L->g->tensors[in], &n)) || (err = fused_activation(L, act, &n)))
            return err;
        break;
    }
    case OP_ADD: {
        if ((err = options(L, op, OPT_ADD, &opt, &has_opt)))
            return err;
        emo__nn_node_init(&n, EMO_NN_ADD);
        int act = has_opt ? fb_i8(fb, &opt, 0, 0, &bad) : 0;
        if (bad)
            return lfail(L, EMO_EFORMAT, "bad options");
        if (ins.len != 2)
            return lfail(L, EMO_EFORMAT, "needs 2 inputs");
        TflTensor *b = tensor_ref(L, op_input(L, &ins, 1));
        if (!b)
            return EMO_EFORMAT;
        if (b->size || b->folded)
            return lfail(L, EMO_EUNSUPPORTED, "ADD of a constant (%s)", b->name);
        if ((err = activation(L, op_input(L, &ins, 1), &n.inputs[1])) || (err = fused_activation(L, act, &n)))
            return err;
        n.n_inputs = 2;
        break;
    }
    case OP_PRELU: {
        emo__nn_node_init(&n, EMO_NN_PRELU);
        const float *v;
        size_t count;
        TflTensor *a;
        if (ins.len != 2)
            return lfail(L, EMO_EFORMAT, "needs 2 inputs");
        if ((err = const_values(L, op_input(L, &ins, 1), &v, &count, &a)))
            return err;
        const EmoNnTensor *it = &L->g->tensors[in];
        int c = it->shape[it->rank - 1];
        if (a->rank < 1 || a->shape[a->rank - 1] != c || count != (size_t)c)
            return lfail(L, EMO_EUNSUPPORTED, "PReLU slope %s must hold one value per channel (%d)", a->name, c);
        int shape[1] = { c };
        if ((err = constant(L, op_input(L, &ins, 1), 1, shape, &n.weights)))
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
        if ((err = options(L, op, OPT_SOFTMAX, &opt, &has_opt)))
            return err;
        float beta = has_opt ? fb_f32(fb, &opt, 0, 0.0f, &bad) : 0.0f;
        if (bad || beta != 1.0f)
            return lfail(L, EMO_EUNSUPPORTED, "SOFTMAX with beta %g (1 supported)", (double)beta);
        emo__nn_node_init(&n, EMO_NN_SOFTMAX);
        break;
    }
    case OP_PAD: {
        emo__nn_node_init(&n, EMO_NN_PAD_CHANNELS);
        TflTensor *p = tensor_ref(L, op_input(L, &ins, 1));
        if (!p)
            return EMO_EFORMAT;
        const EmoNnTensor *it = &L->g->tensors[in];
        size_t esize = p->type == T_INT32 ? 4 : p->type == T_INT64 ? 8 : 0;
        if (!esize || !p->size || p->rank != 2 || p->shape[0] != it->rank || p->shape[1] != 2 ||
            p->size != (size_t)it->rank * 2 * esize)
            return lfail(L, EMO_EUNSUPPORTED, "paddings %s must be a constant int32 [rank][2] tensor", p->name);
        for (int d = 0; d < it->rank; d++) {
            int64_t pv[2];
            for (int k = 0; k < 2; k++) {
                size_t at = p->data + ((size_t)d * 2 + (size_t)k) * esize;
                pv[k] = esize == 4 ? (int64_t)(int32_t)rd32(fb, at)
                                   : (int64_t)(rd32(fb, at) | (uint64_t)rd32(fb, at + 4) << 32);
            }
            if (d < it->rank - 1 && (pv[0] || pv[1]))
                return lfail(L, EMO_EUNSUPPORTED, "PAD of axis %d (only the channel axis is supported)", d);
            if (d == it->rank - 1) {
                if (pv[0] < 0 || pv[1] < 0 || pv[0] > 65536 || pv[1] > 65536)
                    return lfail(L, EMO_EFORMAT, "channel padding out of range");
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
    case OP_CONCATENATION: {
        if ((err = options(L, op, OPT_CONCAT, &opt, &has_opt)))
            return err;
        int axis = has_opt ? fb_i32(fb, &opt, 0, 0, &bad) : 0;
        int act = has_opt ? fb_i8(fb, &opt, 1, 0, &bad) : 0;
        if (bad)
            return lfail(L, EMO_EFORMAT, "bad options");
        emo__nn_node_init(&n, EMO_NN_CONCAT);
        if (axis < 0)
            axis += ot->rank;
        if (axis < 0 || axis >= ot->rank)
            return lfail(L, EMO_EFORMAT, "axis out of range");
        n.axis = axis;
        for (uint32_t k = 1; k < ins.len; k++)
            if ((err = activation(L, op_input(L, &ins, k), &n.inputs[k])))
                return err;
        n.n_inputs = (int)ins.len;
        if ((err = fused_activation(L, act, &n)))
            return err;
        break;
    }
    case OP_FULLY_CONNECTED: {
        if ((err = options(L, op, OPT_FULLY_CONNECTED, &opt, &has_opt)))
            return err;
        int act = has_opt ? fb_i8(fb, &opt, 0, 0, &bad) : 0;
        int fmt = has_opt ? fb_i8(fb, &opt, 1, 0, &bad) : 0;
        if (bad || fmt != 0)
            return lfail(L, EMO_EUNSUPPORTED, "weights format %d", fmt);
        emo__nn_node_init(&n, EMO_NN_DENSE);
        TflTensor *w = tensor_ref(L, op_input(L, &ins, 1));
        if (!w)
            return EMO_EFORMAT;
        if (w->rank != 2)
            return lfail(L, EMO_EFORMAT, "weights %s are not 2D", w->name);
        int wshape[2] = { w->shape[0], w->shape[1] };
        if ((err = fused_activation(L, act, &n)) || (err = constant(L, op_input(L, &ins, 1), 2, wshape, &n.weights)))
            return err;
        int32_t bi = op_input(L, &ins, 2);
        if (bi >= 0) {
            int bshape[1] = { wshape[0] };
            if ((err = constant(L, bi, 1, bshape, &n.bias)))
                return err;
        }
        break;
    }
    default:
        return lfail(L, EMO_EUNSUPPORTED, "unsupported operator");
    }
    n.inputs[0] = in;
    if (!n.n_inputs)
        n.n_inputs = 1;
    n.output = out;
    err = emo__nn_graph_add_node(L->g, &n);
    return err < 0 ? lfail(L, err, "too many operators") : 0;
}

int emo__nn_load_tflite(EmoNnGraph *g, const uint8_t *buf, size_t size, const char *path)
{
    Loader L = { .fb = { buf, size }, .g = g, .path = path ? path : "(memory)", .stage = "model" };
    int err = 0, bad = 0;
    FbTable model, sg;
    FbVec codes, subgraphs, tensors, ops, gin, gout;
    if (size < 8 || memcmp(buf + 4, "TFL3", 4))
        return lfail(&L, EMO_EFORMAT, "not a TFLite file (no TFL3 identifier)");
    if (fb_table(&L.fb, rd32(&L.fb, 0), &model))
        return lfail(&L, EMO_EFORMAT, "truncated or corrupt (root table)");
    uint32_t version = fb_u32(&L.fb, &model, 0, 0, &bad);
    if (bad || fb_vector(&L.fb, &model, 1, 4, &codes) || fb_vector(&L.fb, &model, 2, 4, &subgraphs) ||
        fb_vector(&L.fb, &model, 4, 4, &L.buffers))
        return lfail(&L, EMO_EFORMAT, "truncated or corrupt (model table)");
    if (version != 3)
        return lfail(&L, EMO_EUNSUPPORTED, "schema version %u (3 supported)", version);
    if (subgraphs.len < 1)
        return lfail(&L, EMO_EFORMAT, "no subgraph");
    if (subgraphs.len > 1)
        emo_log(g->log, EMO_LOG_WARN, "%s: %u subgraphs, running the first", L.path, subgraphs.len);
    if (fb_vec_table(&L.fb, &subgraphs, 0, &sg) || fb_vector(&L.fb, &sg, 0, 4, &tensors) ||
        fb_vector(&L.fb, &sg, 1, 4, &gin) || fb_vector(&L.fb, &sg, 2, 4, &gout) ||
        fb_vector(&L.fb, &sg, 3, 4, &ops))
        return lfail(&L, EMO_EFORMAT, "truncated or corrupt (subgraph)");

    L.nt = tensors.len;
    L.t = calloc(L.nt ? L.nt : 1, sizeof(*L.t));
    if (!L.t)
        return EMO_ENOMEM;
    L.stage = "tensor";
    for (uint32_t i = 0; i < L.nt; i++) {
        FbTable tt;
        L.op_index = (int)i;
        if (fb_vec_table(&L.fb, &tensors, i, &tt) || (err = read_tensor(&L, &tt, &L.t[i]))) {
            err = err ? err : lfail(&L, EMO_EFORMAT, "truncated or corrupt (tensor %u)", i);
            goto fail;
        }
    }
    for (uint32_t k = 0; k < gin.len; k++) {
        int id;
        if ((err = activation(&L, fb_vec_i32(&L.fb, &gin, k), &id)) || (err = emo__nn_graph_mark_input(g, id))) {
            err = lfail(&L, err, "bad model input %u", k);
            goto fail;
        }
    }
    for (uint32_t i = 0; i < ops.len; i++) {
        FbTable op, oc;
        L.op_index = (int)i;
        L.op_name = NULL;
        L.stage = "operator";
        if (fb_vec_table(&L.fb, &ops, i, &op)) {
            err = lfail(&L, EMO_EFORMAT, "truncated or corrupt (operator %u)", i);
            goto fail;
        }
        uint32_t ci = fb_u32(&L.fb, &op, 0, 0, &bad);
        if (bad || fb_vec_table(&L.fb, &codes, ci, &oc)) {
            err = lfail(&L, EMO_EFORMAT, "operator %u: bad operator code %u", i, ci);
            goto fail;
        }
        int dep = fb_i8(&L.fb, &oc, 0, 0, &bad);
        int32_t code = fb_i32(&L.fb, &oc, 3, 0, &bad);
        if (bad) {
            err = lfail(&L, EMO_EFORMAT, "operator %u: corrupt operator code", i);
            goto fail;
        }
        if (dep > code)
            code = dep; /* files older than the 32-bit builtin_code field */
        if (code == OP_CUSTOM) {
            char name[64];
            fb_string(&L.fb, &oc, 1, name, sizeof(name));
            err = lfail(&L, EMO_EUNSUPPORTED, "unsupported TFLite custom operator '%s' in op %u", name, i);
            goto fail;
        }
        L.op_name = builtin_name(code);
        if (!supported(code)) {
            L.op_name = NULL;
            if ((size_t)code < sizeof(builtin_names) / sizeof(builtin_names[0]))
                err = lfail(&L, EMO_EUNSUPPORTED, "unsupported TFLite operator %s (builtin %d) in op %u",
                            builtin_name(code), (int)code, i);
            else
                err = lfail(&L, EMO_EUNSUPPORTED, "unsupported TFLite operator (builtin %d) in op %u", (int)code, i);
            goto fail;
        }
        err = read_operator(&L, &op, code);
        if (err)
            goto fail;
    }
    L.op_name = NULL;
    for (uint32_t k = 0; k < gout.len; k++) {
        TflTensor *t = tensor_ref(&L, fb_vec_i32(&L.fb, &gout, k));
        if (!t || t->gid < 0 || (err = emo__nn_graph_mark_output(g, t->gid))) {
            err = lfail(&L, EMO_EFORMAT, "model output %u is not computed by any operator", k);
            goto fail;
        }
    }
fail:
    if (err && !L.logged) {
        L.op_name = NULL;
        if (err == EMO_ENOMEM)
            lfail(&L, err, "out of memory");
        else
            lfail(&L, err, "truncated or corrupt file (reading %s %d)", L.stage, L.op_index);
    }
    for (uint32_t i = 0; i < L.nt; i++)
        free(L.t[i].folded);
    free(L.t);
    return err;
}
