/*
 * Shape rules of the elementwise, reduction and data-movement ops of the
 * tensor graph (graph.h): broadcasting binary ops, NEG/SQRT/RSQRT, MEAN and
 * SUM, TRANSPOSE, SLICE and RESIZE_BILINEAR. One function answers for both the validator
 * (graph.c) and the reference executor (ref.c), so that the two cannot
 * disagree about what a well-formed node is; every index a kernel computes
 * from these fields stays inside its tensors when this says yes.
 */
#include "nn/graph.h"

int emo__nn_op_is_binary(EmoNnOp op)
{
    return op == EMO_NN_ADD || op == EMO_NN_SUB || op == EMO_NN_MUL || op == EMO_NN_DIV ||
           op == EMO_NN_SQUARED_DIFF;
}

int emo__nn_op_is_tensor_op(EmoNnOp op)
{
    return emo__nn_op_is_binary(op) || op == EMO_NN_NEG || op == EMO_NN_SQRT || op == EMO_NN_RSQRT ||
           op == EMO_NN_MEAN || op == EMO_NN_SUM || op == EMO_NN_TRANSPOSE || op == EMO_NN_SLICE ||
           op == EMO_NN_RESIZE_BILINEAR;
}

/* Extent of t's axis d once right-aligned to rank 4 (leading axes 1). */
static int aligned_dim(const EmoNnTensor *t, int d)
{
    int k = d - (4 - t->rank);
    return k >= 0 ? t->shape[k] : 1;
}

int emo__nn_broadcasts(const EmoNnTensor *a, const EmoNnTensor *b, const EmoNnTensor *out)
{
    if (out->rank < a->rank || out->rank < b->rank || out->rank < 1)
        return 0;
    for (int d = 0; d < 4; d++) {
        int x = aligned_dim(a, d), y = aligned_dim(b, d), o = aligned_dim(out, d);
        if ((x != o && x != 1) || (y != o && y != 1) || o != (x > y ? x : y))
            return 0;
    }
    return 1;
}

/* Whether dropping axes of extent 1 from `full` (extents as they would be
 * with every axis kept) gives out's shape. */
static int same_without_ones(const int *full, int rank, const EmoNnTensor *out)
{
    int k = 0;
    for (int d = 0; d < rank; d++) {
        if (k < out->rank && full[d] == out->shape[k]) {
            k++;
            continue;
        }
        if (full[d] != 1)
            return 0;
    }
    return k == out->rank;
}

static const char *reduce_problem(const EmoNnNode *n, const EmoNnTensor *in, const EmoNnTensor *out)
{
    if (n->axes == 0 || n->axes >> in->rank)
        return "reduction axes out of range";
    int kept[4];
    for (int d = 0; d < in->rank; d++)
        kept[d] = n->axes >> d & 1 ? 1 : in->shape[d];
    /* keep_dims: same rank; otherwise the reduced axes are gone. */
    if (out->rank == in->rank) {
        for (int d = 0; d < in->rank; d++)
            if (out->shape[d] != kept[d])
                return "output shape does not follow from the reduced axes";
        return NULL;
    }
    int k = 0;
    for (int d = 0; d < in->rank; d++)
        if (!(n->axes >> d & 1) && (k >= out->rank || out->shape[k++] != in->shape[d]))
            return "output shape does not follow from the reduced axes";
    if (k != out->rank && !(k == 0 && out->rank == 1 && out->shape[0] == 1))
        return "output shape does not follow from the reduced axes";
    return NULL;
}

static const char *transpose_problem(const EmoNnNode *n, const EmoNnTensor *in, const EmoNnTensor *out)
{
    if (in->rank != out->rank)
        return "TRANSPOSE changes the rank";
    unsigned seen = 0;
    for (int d = 0; d < in->rank; d++) {
        int p = n->perm[d];
        if (p < 0 || p >= in->rank || (seen >> p & 1))
            return "permutation is not one of the input axes";
        seen |= 1u << p;
        if (out->shape[d] != in->shape[p])
            return "output shape is not the permuted input shape";
    }
    return NULL;
}

static const char *slice_problem(const EmoNnNode *n, const EmoNnTensor *in, const EmoNnTensor *out)
{
    for (int d = 0; d < in->rank; d++) {
        long b = n->begin[d], s = n->step[d], c = n->count[d];
        if (s < 1 || c < 1 || b < 0 || b + (c - 1) * s >= in->shape[d])
            return "slice reaches outside the input (or has a step below 1)";
    }
    if (!same_without_ones(n->count, in->rank, out))
        return "output shape is not the slice's extents";
    return NULL;
}

static const char *resize_problem(const EmoNnNode *n, const EmoNnTensor *in, const EmoNnTensor *out)
{
    if (in->rank != 4 || out->rank != 4 || in->shape[0] != out->shape[0] || in->shape[3] != out->shape[3])
        return "needs NHWC input and output of the same batch and channels";
    if ((unsigned)n->resize > EMO_NN_RESIZE_LEGACY)
        return "unknown sampling convention";
    return NULL;
}

const char *emo__nn_tensor_op_problem(const EmoNnGraph *g, int i)
{
    const EmoNnNode *n = &g->nodes[i];
    const EmoNnTensor *in = &g->tensors[n->inputs[0]], *out = &g->tensors[n->output];
    if (emo__nn_op_is_binary(n->op)) {
        if (n->n_inputs != 2)
            return "needs two inputs";
        const EmoNnTensor *in2 = &g->tensors[n->inputs[1]];
        if (in->data && in2->data)
            return "both inputs are constants";
        return emo__nn_broadcasts(in, in2, out) ? NULL : "input shapes do not broadcast to the output shape";
    }
    if (n->n_inputs != 1)
        return "needs one input";
    switch (n->op) {
    case EMO_NN_NEG:
    case EMO_NN_SQRT:
    case EMO_NN_RSQRT:
        return emo__nn_same_shape(in, out) ? NULL : "input and output shapes differ";
    case EMO_NN_MEAN:
    case EMO_NN_SUM:
        return reduce_problem(n, in, out);
    case EMO_NN_TRANSPOSE:
        return transpose_problem(n, in, out);
    case EMO_NN_SLICE:
        return slice_problem(n, in, out);
    case EMO_NN_RESIZE_BILINEAR:
        return resize_problem(n, in, out);
    default:
        return "not an elementwise, reduction or data-movement operator";
    }
}
