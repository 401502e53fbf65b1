/*
 * The tensor graph every loader produces and every backend executes.
 * Private to src/nn.
 *
 * Layouts (those of TFLite, so that loaders of other formats convert once
 * at load time):
 *   activations  NHWC, batch 1, float32
 *   conv2d       weights [Cout][kh][kw][Cin], bias [Cout]
 *   depthwise    weights [1][kh][kw][Cin*multiplier], bias [Cin*multiplier]
 *   dense        weights [Cout][Cin], bias [Cout]
 *   prelu        slope [C]
 * Padding is explicit (loaders resolve TensorFlow SAME: extra row/column
 * bottom/right). Every op carries an output clamp [act_min, act_max]
 * (-inf, +inf when none): ReLU is [0, inf), ReLU6 [0, 6].
 */
#ifndef EMOSCOPE_NN_GRAPH_H
#define EMOSCOPE_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>

typedef enum EmoNnOp {
    EMO_NN_CONV2D,
    EMO_NN_DEPTHWISE_CONV2D,
    EMO_NN_ADD,               /* in[0] + in[1], numpy broadcasting (as SUB..SQUARED_DIFF) */
    EMO_NN_PRELU,             /* in[0], weights = slope tensor */
    EMO_NN_CLAMP,             /* act_min/act_max only (ReLU, ReLU6) */
    EMO_NN_MAX_POOL,
    EMO_NN_AVG_POOL,          /* padding excluded from the average, as TensorFlow */
    EMO_NN_GLOBAL_AVG_POOL,   /* NHWC -> [1,1,1,C] */
    EMO_NN_PAD_CHANNELS,      /* zero channels: pad_before/pad_after on C */
    EMO_NN_RESHAPE,           /* same data, new shape (NHWC flatten is a reshape) */
    EMO_NN_DENSE,
    EMO_NN_SOFTMAX,           /* over the last axis */
    EMO_NN_CONCAT,            /* in[0..n) along `axis` */
    EMO_NN_SIGMOID,
    EMO_NN_SUB,               /* in[0] - in[1] */
    EMO_NN_MUL,
    EMO_NN_DIV,
    EMO_NN_SQUARED_DIFF,      /* (in[0] - in[1])^2 */
    EMO_NN_NEG,
    EMO_NN_SQRT,
    EMO_NN_RSQRT,             /* 1 / sqrt(x) */
    EMO_NN_MEAN,              /* over the input axes in `axes` (bit d: axis d) */
    EMO_NN_SUM,
    EMO_NN_TRANSPOSE,         /* output axis d is input axis perm[d] */
    EMO_NN_SLICE,             /* input axis d: count[d] elements from begin[d], step step[d] >= 1 */
    EMO_NN_RESIZE_BILINEAR,   /* NHWC rows and columns to the output's extents, `resize` sampling */
    EMO_NN_OP_COUNT
} EmoNnOp;

/* Binary elementwise ops: their inputs may be constants (a tensor with
 * data), as may CONCAT's; shapes are aligned on the last axis and an axis
 * of extent 1 is repeated (numpy broadcasting). A REDUCE keeps or drops the
 * reduced axes as its output tensor says (same element count either way);
 * a SLICE may drop axes of count 1 (TFLite's shrink_axis_mask) likewise. */

/* Where RESIZE_BILINEAR's output pixel x (of out) samples an axis of in
 * pixels (TensorFlow's three conventions; the sample is clamped to
 * [0, in - 1] and interpolated between its two neighbours). */
typedef enum EmoNnResize {
    EMO_NN_RESIZE_HALF_PIXEL,    /* (x + 0.5) * in / out - 0.5: half_pixel_centers (TF2, MediaPipe) */
    EMO_NN_RESIZE_ALIGN_CORNERS, /* x * (in - 1) / (out - 1), 0 when out is 1: align_corners */
    EMO_NN_RESIZE_LEGACY,        /* x * in / out: neither option (TF1's default) */
} EmoNnResize;

typedef struct EmoNnTensor {
    char name[96];
    int rank;
    int shape[4];
    float *data;              /* constants only (owned by the graph), else NULL */
    int is_input, is_output;
} EmoNnTensor;

#define EMO_NN_MAX_NODE_INPUTS 8

typedef struct EmoNnNode {
    EmoNnOp op;
    int inputs[EMO_NN_MAX_NODE_INPUTS];   /* activation tensors */
    int n_inputs;
    int output;
    int weights, bias;        /* constant tensor ids, -1 if none */
    int kernel_h, kernel_w;   /* conv and pool */
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    int depth_multiplier;
    int pad_before, pad_after;/* PAD_CHANNELS */
    int axis;                 /* CONCAT, on the output's rank */
    unsigned axes;            /* MEAN, SUM: bit d set when input axis d is reduced */
    int perm[4];              /* TRANSPOSE */
    int begin[4], step[4], count[4]; /* SLICE, per input axis */
    EmoNnResize resize;       /* RESIZE_BILINEAR */
    float act_min, act_max;
} EmoNnNode;

typedef struct EmoNnGraph {
    EmoNnTensor *tensors;
    int n_tensors, cap_tensors;
    EmoNnNode *nodes;         /* in execution order */
    int n_nodes, cap_nodes;
    int inputs[8], n_inputs;
    int outputs[8], n_outputs;
    const EmoLogger *log;
} EmoNnGraph;

void emo__nn_graph_init(EmoNnGraph *g, const EmoLogger *log);
void emo__nn_graph_free(EmoNnGraph *g);

/* Adds a tensor; data (count floats) is copied when not NULL. Returns its
 * id or a negative error. */
int emo__nn_graph_add_tensor(EmoNnGraph *g, const char *name, int rank, const int *shape, const float *data);
/* Adds a constant tensor taking ownership of data (malloc'ed). */
int emo__nn_graph_add_const_owned(EmoNnGraph *g, const char *name, int rank, const int *shape, float *data);
/* A node with every field defaulted (no weights, stride 1, no clamp). */
void emo__nn_node_init(EmoNnNode *n, EmoNnOp op);
/* Appends a node (copied). Returns its index or a negative error. */
int emo__nn_graph_add_node(EmoNnGraph *g, const EmoNnNode *n);
int emo__nn_graph_mark_input(EmoNnGraph *g, int tensor);
int emo__nn_graph_mark_output(EmoNnGraph *g, int tensor);

size_t emo__nn_tensor_count(const EmoNnTensor *t);
/* Same rank and dims. */
int emo__nn_same_shape(const EmoNnTensor *a, const EmoNnTensor *b);
/* Whether op is one of the broadcasting binary ops (ADD, SUB, ...). */
int emo__nn_op_is_binary(EmoNnOp op);
/* Whether a and b broadcast to out (numpy rules, shapes aligned on their
 * last axis). */
int emo__nn_broadcasts(const EmoNnTensor *a, const EmoNnTensor *b, const EmoNnTensor *out);
/* Whether op is one of the elementwise, reduction and data-movement ops
 * (binary, NEG..SLICE) whose shapes emo__nn_tensor_op_problem() checks. */
int emo__nn_op_is_tensor_op(EmoNnOp op);
/* Shape rules of those ops: NULL when node i is consistent, else what is
 * wrong. Shared by the validator and the reference executor. */
const char *emo__nn_tensor_op_problem(const EmoNnGraph *g, int i);
/* Checks shapes of every node against its op; fills nothing. */
int emo__nn_graph_validate(const EmoNnGraph *g);
uint64_t emo__nn_graph_macs(const EmoNnGraph *g);
const char *emo__nn_op_name(EmoNnOp op);

/* TensorFlow SAME padding for one axis: total pad split before/after. */
void emo__nn_same_padding(int in, int kernel, int stride, int dilation, int *before, int *after, int *out);

/* Loaders: fill an initialised graph from a file in memory. */
int emo__nn_load_tflite(EmoNnGraph *g, const uint8_t *buf, size_t size, const char *path);
int emo__nn_load_keras(EmoNnGraph *g, const char *path);

#endif
