/*
 * Shared by the two halves of the TFLite reader (private to src/nn):
 * tflite.c reads the model, its tensor table and operator list; tflite_ops.c
 * translates each operator into graph nodes. Both read the file through
 * flatbuf.h.
 */
#ifndef EMOSCOPE_NN_TFLITE_INTERNAL_H
#define EMOSCOPE_NN_TFLITE_INTERNAL_H

#include "nn/flatbuf.h"
#include "nn/graph.h"

/* Schema constants (tensorflow/lite/schema/schema.fbs). */
enum {
    T_FLOAT32 = 0, T_FLOAT16 = 1, T_INT32 = 2, T_UINT8 = 3, T_INT64 = 4, T_INT8 = 9,
};

enum {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
    OP_DEQUANTIZE = 6, OP_FULLY_CONNECTED = 9, OP_LOGISTIC = 14, OP_MAX_POOL_2D = 17, OP_RELU = 19,
    OP_RELU_N1_TO_1 = 20, OP_RELU6 = 21, OP_RESHAPE = 22, OP_RESIZE_BILINEAR = 23, OP_SOFTMAX = 25, OP_CUSTOM = 32, OP_PAD = 34,
    OP_PRELU = 54, OP_MUL = 18, OP_TRANSPOSE = 39, OP_MEAN = 40, OP_SUB = 41, OP_DIV = 42, OP_STRIDED_SLICE = 45,
    OP_NEG = 59, OP_SUM = 74, OP_SQRT = 75, OP_RSQRT = 76, OP_SQUARED_DIFFERENCE = 99,
};

/* BuiltinOptions union member types. */
enum {
    OPT_CONV2D = 1, OPT_DEPTHWISE = 2, OPT_POOL2D = 5, OPT_FULLY_CONNECTED = 8, OPT_SOFTMAX = 9, OPT_CONCAT = 10,
    OPT_ADD = 11, OPT_RESIZE_BILINEAR = 15, OPT_RESHAPE = 17, OPT_MUL = 21, OPT_PAD = 22, OPT_TRANSPOSE = 26, OPT_REDUCER = 27, OPT_SUB = 28,
    OPT_DIV = 29, OPT_STRIDED_SLICE = 32,
};

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

/* Logs an error naming the file (and the operator being read, if any) and
 * returns err. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int emo__tfl_fail(Loader *L, int err, const char *fmt, ...);
const char *emo__tfl_type_name(int t);

static inline size_t shape_count(const TflTensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

/* TFLite tensor idx, or NULL (reported) when out of range. */
TflTensor *emo__tfl_tensor_ref(Loader *L, int32_t idx);
/* Graph id of an activation (computed float32) tensor, added on first use. */
int emo__tfl_activation(Loader *L, int32_t idx, int *gid);

static inline int32_t emo__tfl_op_input(const Loader *L, const FbVec *v, uint32_t i)
{
    return i < v->len ? fb_vec_i32(&L->fb, v, i) : -1;
}

/* Options table of an operator, checking its union type when present
 * (want_type < 0: any type). */
int emo__tfl_options(Loader *L, const FbTable *op, int want_type, FbTable *opt, int *present);
/* A fused activation function as the node's output clamp. */
int emo__tfl_fused_activation(Loader *L, int act, EmoNnNode *n);
/* float32 values of a constant tensor (stored float32 or folded float16). */
int emo__tfl_const_values(Loader *L, int32_t idx, const float **vals, size_t *count, TflTensor **tp);

/* Operators of tflite_tensor_ops.c: elementwise, reductions, data movement. */
int emo__tfl_is_tensor_op(int32_t code);
/* Translates one of them (outputs checked by the caller: exactly one). */
int emo__tfl_read_tensor_op(Loader *L, const FbTable *op, int code, const FbVec *ins, int32_t out_idx);

/* Whether builtin operator `code` is one emo__tfl_read_operator translates. */
int emo__tfl_op_supported(int32_t code);
/* Translates operator table op (builtin `code`) into graph nodes. */
int emo__tfl_read_operator(Loader *L, const FbTable *op, int code);

#endif
