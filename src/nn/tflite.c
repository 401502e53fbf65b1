/*
 * TFLite flatbuffer reader: turns a .tflite file in memory into the tensor
 * graph (graph.h). Written from the published schema (schema.fbs): no
 * flatbuffers library. The generic flatbuffer access is flatbuf.h; this
 * file reads the TFLite model table, its tensors and its operator list
 * (tflite_ops.c translates each operator): the file starts with a 32-bit
 * offset to the root table (file identifier "TFL3" at bytes 4..7), and a
 * union takes two fields: its type (ubyte) and then its value.
 *
 * The file is untrusted: every read goes through the bounds-checked helpers
 * of flatbuf.h, every loop runs over a vector whose length was checked
 * against the bytes left, and allocations are bounded by the file size
 * (constant tensors) or by the graph limits (graph.c).
 */
#include "nn/tflite_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",
    "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
};

static const char *builtin_name(int code)
{
    if (code >= 0 && (size_t)code < sizeof(builtin_names) / sizeof(builtin_names[0]))
        return builtin_names[code];
    return "(unknown)";
}

const char *emo__tfl_type_name(int t)
{
    static const char *const names[] = { "FLOAT32", "FLOAT16", "INT32",  "UINT8",     "INT64",  "STRING",
                                         "BOOL",    "INT16",   "COMPLEX64", "INT8", "FLOAT64" };
    return t >= 0 && (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "(unknown)";
}

/* Same bound as the graph's (graph.c): 16 M floats per tensor. */
#define MAX_TENSOR_ELEMENTS ((size_t)16 << 20)

int emo__tfl_fail(Loader *L, int err, const char *fmt, ...)
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
                return emo__tfl_fail(L, EMO_EFORMAT, "tensor %s has a bad dimension %d", out->name, (int)d);
            out->shape[i] = d;
            count *= (size_t)d; /* at most 2^48 before the check below */
            if (count > MAX_TENSOR_ELEMENTS)
                return emo__tfl_fail(L, EMO_EFORMAT, "tensor %s is too large", out->name);
        }
    }
    out->type = fb_i8(fb, tt, 1, T_FLOAT32, &bad);
    uint32_t buf = fb_u32(fb, tt, 2, 0, &bad);
    if (bad)
        return EMO_EFORMAT;
    /* Buffer 0 is the empty sentinel by convention; any buffer may be empty. */
    if (buf >= L->buffers.len)
        return emo__tfl_fail(L, EMO_EFORMAT, "tensor %s refers to buffer %u of %u", out->name, buf, L->buffers.len);
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
                return emo__tfl_fail(L, EMO_EFORMAT, "tensor %s: buffer outside the file", out->name);
            if (off > 1) {
                out->data = (size_t)off;
                out->size = (size_t)size;
            }
        }
    }
    return 0;
}

TflTensor *emo__tfl_tensor_ref(Loader *L, int32_t idx)
{
    if (idx < 0 || (uint32_t)idx >= L->nt) {
        emo__tfl_fail(L, EMO_EFORMAT, "tensor index %d out of range (%u tensors)", (int)idx, L->nt);
        return NULL;
    }
    return &L->t[idx];
}

/* Graph id of an activation (computed float32) tensor. */
int emo__tfl_activation(Loader *L, int32_t idx, int *gid)
{
    TflTensor *t = emo__tfl_tensor_ref(L, idx);
    if (!t)
        return EMO_EFORMAT;
    if (t->type != T_FLOAT32)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED,
                             "tensor %s has type %s; only float32 activations are supported", t->name,
                             emo__tfl_type_name(t->type));
    if (t->size || t->folded)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED,
                             "tensor %s is a constant where a computed tensor is expected", t->name);
    if (t->rank < 1)
        return emo__tfl_fail(L, EMO_EUNSUPPORTED, "tensor %s has rank %d (1 to 4 supported)", t->name, t->rank);
    if (t->gid < 0) {
        int id = emo__nn_graph_add_tensor(L->g, t->name, t->rank, t->shape, NULL);
        if (id < 0)
            return emo__tfl_fail(L, id, "tensor %s is too large", t->name);
        t->gid = id;
    }
    *gid = t->gid;
    return 0;
}

int emo__nn_load_tflite(EmoNnGraph *g, const uint8_t *buf, size_t size, const char *path)
{
    Loader L = { .fb = { buf, size }, .g = g, .path = path ? path : "(memory)", .stage = "model" };
    int err = 0, bad = 0;
    FbTable model, sg;
    FbVec codes, subgraphs, tensors, ops, gin, gout;
    if (size < 8 || memcmp(buf + 4, "TFL3", 4))
        return emo__tfl_fail(&L, EMO_EFORMAT, "not a TFLite file (no TFL3 identifier)");
    if (fb_table(&L.fb, rd32(&L.fb, 0), &model))
        return emo__tfl_fail(&L, EMO_EFORMAT, "truncated or corrupt (root table)");
    uint32_t version = fb_u32(&L.fb, &model, 0, 0, &bad);
    if (bad || fb_vector(&L.fb, &model, 1, 4, &codes) || fb_vector(&L.fb, &model, 2, 4, &subgraphs) ||
        fb_vector(&L.fb, &model, 4, 4, &L.buffers))
        return emo__tfl_fail(&L, EMO_EFORMAT, "truncated or corrupt (model table)");
    if (version != 3)
        return emo__tfl_fail(&L, EMO_EUNSUPPORTED, "schema version %u (3 supported)", version);
    if (subgraphs.len < 1)
        return emo__tfl_fail(&L, EMO_EFORMAT, "no subgraph");
    if (subgraphs.len > 1)
        emo_log(g->log, EMO_LOG_WARN, "%s: %u subgraphs, running the first", L.path, subgraphs.len);
    if (fb_vec_table(&L.fb, &subgraphs, 0, &sg) || fb_vector(&L.fb, &sg, 0, 4, &tensors) ||
        fb_vector(&L.fb, &sg, 1, 4, &gin) || fb_vector(&L.fb, &sg, 2, 4, &gout) ||
        fb_vector(&L.fb, &sg, 3, 4, &ops))
        return emo__tfl_fail(&L, EMO_EFORMAT, "truncated or corrupt (subgraph)");

    L.nt = tensors.len;
    L.t = calloc(L.nt ? L.nt : 1, sizeof(*L.t));
    if (!L.t)
        return EMO_ENOMEM;
    L.stage = "tensor";
    for (uint32_t i = 0; i < L.nt; i++) {
        FbTable tt;
        L.op_index = (int)i;
        if (fb_vec_table(&L.fb, &tensors, i, &tt) || (err = read_tensor(&L, &tt, &L.t[i]))) {
            err = err ? err : emo__tfl_fail(&L, EMO_EFORMAT, "truncated or corrupt (tensor %u)", i);
            goto fail;
        }
    }
    for (uint32_t k = 0; k < gin.len; k++) {
        int id;
        if ((err = emo__tfl_activation(&L, fb_vec_i32(&L.fb, &gin, k), &id)) ||
            (err = emo__nn_graph_mark_input(g, id))) {
            err = emo__tfl_fail(&L, err, "bad model input %u", k);
            goto fail;
        }
    }
    for (uint32_t i = 0; i < ops.len; i++) {
        FbTable op, oc;
        L.op_index = (int)i;
        L.op_name = NULL;
        L.stage = "operator";
        if (fb_vec_table(&L.fb, &ops, i, &op)) {
            err = emo__tfl_fail(&L, EMO_EFORMAT, "truncated or corrupt (operator %u)", i);
            goto fail;
        }
        uint32_t ci = fb_u32(&L.fb, &op, 0, 0, &bad);
        if (bad || fb_vec_table(&L.fb, &codes, ci, &oc)) {
            err = emo__tfl_fail(&L, EMO_EFORMAT, "operator %u: bad operator code %u", i, ci);
            goto fail;
        }
        int dep = fb_i8(&L.fb, &oc, 0, 0, &bad);
        int32_t code = fb_i32(&L.fb, &oc, 3, 0, &bad);
        if (bad) {
            err = emo__tfl_fail(&L, EMO_EFORMAT, "operator %u: corrupt operator code", i);
            goto fail;
        }
        if (dep > code)
            code = dep; /* files older than the 32-bit builtin_code field */
        if (code == OP_CUSTOM) {
            char name[64];
            fb_string(&L.fb, &oc, 1, name, sizeof(name));
            err = emo__tfl_fail(&L, EMO_EUNSUPPORTED, "unsupported TFLite custom operator '%s' in op %u", name, i);
            goto fail;
        }
        L.op_name = builtin_name(code);
        if (!emo__tfl_op_supported(code)) {
            L.op_name = NULL;
            if ((size_t)code < sizeof(builtin_names) / sizeof(builtin_names[0]))
                err = emo__tfl_fail(&L, EMO_EUNSUPPORTED, "unsupported TFLite operator %s (builtin %d) in op %u",
                                    builtin_name(code), (int)code, i);
            else
                err = emo__tfl_fail(&L, EMO_EUNSUPPORTED,
                                    "unsupported TFLite operator (builtin %d) in op %u", (int)code, i);
            goto fail;
        }
        err = emo__tfl_read_operator(&L, &op, code);
        if (err)
            goto fail;
    }
    L.op_name = NULL;
    for (uint32_t k = 0; k < gout.len; k++) {
        TflTensor *t = emo__tfl_tensor_ref(&L, fb_vec_i32(&L.fb, &gout, k));
        if (!t || t->gid < 0 || (err = emo__nn_graph_mark_output(g, t->gid))) {
            err = emo__tfl_fail(&L, EMO_EFORMAT, "model output %u is not computed by any operator", k);
            goto fail;
        }
    }
fail:
    if (err && !L.logged) {
        L.op_name = NULL;
        if (err == EMO_ENOMEM)
            emo__tfl_fail(&L, err, "out of memory");
        else
            emo__tfl_fail(&L, err, "truncated or corrupt file (reading %s %d)", L.stage, L.op_index);
    }
    for (uint32_t i = 0; i < L.nt; i++)
        free(L.t[i].folded);
    free(L.t);
    return err;
}
