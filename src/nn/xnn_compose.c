/*
 * Elementwise, reduction and data-movement nodes on Debian 12's XNNPACK.
 *
 * That 2022 snapshot has broadcasting add/subtract/multiply/divide/squared
 * difference, negate and square root, but no reduction, transpose, slice
 * or concatenate node. Those are composed here from nodes it has, each
 * exact or within one rounding:
 *   RSQRT        1 / sqrt(x)
 *   MEAN, SUM    over trailing axes: a fully connected layer with weights
 *                1/n (or 1); over leading axes: global average pooling
 *                (times n for SUM)
 *   TRANSPOSE    of a matrix [R,C] (the permutations that swap two groups
 *                of axes): the input viewed as an R x C image of one
 *                channel, convolved with an R x 1 kernel whose R output
 *                channels are the unit vectors: output pixel c, channel r
 *                is x[r][c], [C,R]. Products with 1 and sums with 0 are
 *                exact.
 *   SLICE        along one axis: the same selection by a convolution (or a
 *                fully connected layer on the last axis) whose weights pick
 *                the sliced rows
 *   CONCAT       on any axis: each input padded with zeros to the output's
 *                shape at its offset, and the padded inputs added
 * The blendshape model's shapes ([97,64] tokens) make these a few percent
 * of its multiply-adds.
 */
#include "nn/xnn_internal.h"

#include <math.h>
#include <string.h>

/* Identity matrices and selections longer than this are not built: their
 * weights grow with its square (16 MB at 2048; the blendshape model needs
 * 146). */
#define MAX_GATHER 2048

int emo__xnn_is_composed(EmoNnOp op)
{
    switch (op) {
    case EMO_NN_ADD: case EMO_NN_SUB: case EMO_NN_MUL: case EMO_NN_DIV: case EMO_NN_SQUARED_DIFF: case EMO_NN_NEG:
    case EMO_NN_SQRT: case EMO_NN_RSQRT: case EMO_NN_MEAN: case EMO_NN_SUM: case EMO_NN_TRANSPOSE: case EMO_NN_SLICE:
    case EMO_NN_CONCAT:
        return 1;
    default:
        return 0;
    }
}

static int unsupported(EmoNnXnnBuild *b, int i, const char *why)
{
    emo_log(b->g->log, EMO_LOG_ERROR, "%s: node %d (%s): %s", b->path, i, emo__nn_op_name(b->g->nodes[i].op), why);
    return EMO_EUNSUPPORTED;
}

static int check(EmoNnXnnBuild *b, int i, enum xnn_status s)
{
    if (s == xnn_status_success)
        return 0;
    emo_log(b->g->log, EMO_LOG_ERROR, "%s: XNNPACK rejects node %d (%s): status %d", b->path, i,
            emo__nn_op_name(b->g->nodes[i].op), (int)s);
    return EMO_EUNSUPPORTED;
}

static void dims_of(const EmoNnTensor *t, size_t *dims)
{
    for (int d = 0; d < t->rank; d++)
        dims[d] = (size_t)t->shape[d];
}

/* A value holding `in` reshaped to rank/dims. */
static int reshaped(EmoNnXnnBuild *b, int i, uint32_t in, int rank, const size_t *dims, uint32_t *id)
{
    int err = emo__xnn_temp(b, rank, dims, id);
    return err ? err : check(b, i, xnn_define_static_reshape(b->sg, (size_t)rank, dims, in, *id, 0));
}

/* Reshape `from` (any rank) into the node's output value. */
static int into_output(EmoNnXnnBuild *b, int i, uint32_t from, uint32_t out)
{
    size_t dims[4];
    const EmoNnTensor *ot = &b->g->tensors[b->g->nodes[i].output];
    dims_of(ot, dims);
    return check(b, i, xnn_define_static_reshape(b->sg, (size_t)ot->rank, dims, from, out, 0));
}

/* y[outer][n] = sum_k x[outer][k] w[n][k] with static w [n][k] (x read as
 * [numel/k, k]); the result is a new value [outer, n]. */
static int dense(EmoNnXnnBuild *b, int i, uint32_t x, size_t outer, size_t n, size_t k, float **w, uint32_t *y)
{
    size_t wd[2] = { n, k }, yd[2] = { outer, n };
    uint32_t wid;
    int err;
    if ((err = emo__xnn_owned_const(b, 2, wd, w, &wid)) || (err = emo__xnn_temp(b, 2, yd, y)))
        return err;
    return check(b, i, xnn_define_fully_connected(b->sg, -INFINITY, INFINITY, x, wid, XNN_INVALID_VALUE_ID, *y,
                                                  XNN_FLAG_TENSORFLOW_RESHAPE_2D));
}

/* x viewed as [1, rows, cols, 1] convolved with an rows x 1 kernel of
 * `taps` (static [n][rows], zeroed, filled by the caller): [1, 1, cols, n]. */
static int gather_conv(EmoNnXnnBuild *b, int i, uint32_t x, size_t rows, size_t cols, size_t n, float **taps,
                       uint32_t *y)
{
    size_t img[4] = { 1, rows, cols, 1 }, wd[4] = { n, rows, 1, 1 }, bd[1] = { n }, yd[4] = { 1, 1, cols, n };
    uint32_t view, wid, bid;
    float *zero;
    int err;
    if (rows > MAX_GATHER || n > MAX_GATHER)
        return unsupported(b, i, "axis too long to compose on XNNPACK");
    if ((err = reshaped(b, i, x, 4, img, &view)) || (err = emo__xnn_owned_const(b, 4, wd, taps, &wid)) ||
        (err = emo__xnn_owned_const(b, 1, bd, &zero, &bid)) || (err = emo__xnn_temp(b, 4, yd, y)))
        return err;
    return check(b, i, xnn_define_convolution_2d(b->sg, 0, 0, 0, 0, (uint32_t)rows, 1, 1, 1, 1, 1, 1, 1, n,
                                                 -INFINITY, INFINITY, view, wid, bid, *y, 0));
}

/* Matrix transpose [rows, cols] -> [cols, rows] of x; y is [1,1,cols,rows]. */
static int transpose2d(EmoNnXnnBuild *b, int i, uint32_t x, size_t rows, size_t cols, uint32_t *y)
{
    float *w;
    int err = gather_conv(b, i, x, rows, cols, rows, &w, y);
    if (!err)
        for (size_t r = 0; r < rows; r++)
            w[r * rows + r] = 1.0f;
    return err;
}

/* Input extents right-aligned to rank 4 and axis flags moved with them. */
static void split_axes(const EmoNnTensor *t, unsigned mask, int dims[4], unsigned *mask4)
{
    int k = 4 - t->rank;
    for (int d = 0; d < 4; d++)
        dims[d] = d < k ? 1 : t->shape[d - k];
    *mask4 = mask << k;
}

/* [outer, mid, inner] of a tensor whose axes in mask (extent-1 axes
 * ignored) form one contiguous group; -1 when they do not. */
static int group(const int dims[4], unsigned mask, size_t *outer, size_t *mid, size_t *inner)
{
    int first = -1, last = -1;
    for (int d = 0; d < 4; d++)
        if ((mask >> d & 1) && dims[d] > 1) {
            if (first < 0)
                first = d;
            last = d;
        }
    *outer = *mid = *inner = 1;
    for (int d = 0; d < 4; d++) {
        int in_group = first >= 0 && d >= first && d <= last;
        if (in_group && !(mask >> d & 1) && dims[d] > 1)
            return -1;
        if (in_group)
            *mid *= (size_t)dims[d];
        else if (first < 0 || d < first)
            *outer *= (size_t)dims[d];
        else
            *inner *= (size_t)dims[d];
    }
    return 0;
}

static int reduce(EmoNnXnnBuild *b, int i, uint32_t in, uint32_t out)
{
    const EmoNnNode *n = &b->g->nodes[i];
    int dims[4], err;
    unsigned mask;
    size_t outer, red, inner;
    split_axes(&b->g->tensors[n->inputs[0]], n->axes, dims, &mask);
    if (group(dims, mask, &outer, &red, &inner))
        return unsupported(b, i, "reduced axes are not contiguous (not composable on XNNPACK)");
    float scale = n->op == EMO_NN_MEAN ? 1.0f / (float)red : 1.0f;
    uint32_t y;
    if (inner == 1) {
        float *w;
        if ((err = dense(b, i, in, outer, 1, red, &w, &y)))
            return err;
        for (size_t k = 0; k < red; k++)
            w[k] = scale;
        return into_output(b, i, y, out);
    }
    if (outer != 1)
        return unsupported(b, i, "reduction over middle axes (not composable on XNNPACK)");
    size_t img[4] = { 1, red, 1, inner }, pd[4] = { 1, 1, 1, inner };
    uint32_t view, pooled;
    if ((err = reshaped(b, i, in, 4, img, &view)) || (err = emo__xnn_temp(b, 4, pd, &pooled)) ||
        (err = check(b, i, xnn_define_global_average_pooling_2d(b->sg, -INFINITY, INFINITY, view, pooled, 0))))
        return err;
    if (n->op == EMO_NN_MEAN)
        return into_output(b, i, pooled, out);
    size_t one = 1;
    float *k;
    uint32_t kid, sum;
    if ((err = emo__xnn_owned_const(b, 1, &one, &k, &kid)) || (err = emo__xnn_temp(b, 4, pd, &sum)))
        return err;
    k[0] = (float)red;
    if ((err = check(b, i, xnn_define_multiply2(b->sg, -INFINITY, INFINITY, pooled, kid, sum, 0))))
        return err;
    return into_output(b, i, sum, out);
}

/* A TRANSPOSE node as a matrix transpose: 1 with rows and cols when it is
 * [rows, cols] -> [cols, rows] (axes of extent 1 aside), 0 when it moves
 * nothing, -1 otherwise. */
static int as_matrix(const EmoNnGraph *g, const EmoNnNode *n, size_t *rows, size_t *cols)
{
    const EmoNnTensor *it = &g->tensors[n->inputs[0]];
    /* Input axes longer than 1, in input order and in output order. */
    int src[4], dst[4], ns = 0, nd = 0;
    for (int d = 0; d < it->rank; d++) {
        if (it->shape[d] > 1)
            src[ns++] = d;
        if (it->shape[n->perm[d]] > 1)
            dst[nd++] = n->perm[d];
    }
    /* The output order must be the input order rotated by k axes. */
    for (int k = 0; k < ns; k++) {
        int rotation = 1;
        for (int j = 0; j < ns && rotation; j++)
            rotation = dst[j] == src[(j + k) % ns];
        if (!rotation)
            continue;
        *rows = *cols = 1;
        for (int j = 0; j < ns; j++)
            *(j < k ? rows : cols) *= (size_t)it->shape[src[j]];
        return k > 0;
    }
    return ns ? -1 : 0;
}

static int transpose(EmoNnXnnBuild *b, int i, uint32_t in, uint32_t out)
{
    size_t rows, cols;
    uint32_t y;
    int err;
    switch (as_matrix(b->g, &b->g->nodes[i], &rows, &cols)) {
    case 0:
        return into_output(b, i, in, out);
    case 1:
        err = transpose2d(b, i, in, rows, cols, &y);
        return err ? err : into_output(b, i, y, out);
    default:
        return unsupported(b, i, "permutation is not a matrix transpose (not composable on XNNPACK)");
    }
}

static int slice(EmoNnXnnBuild *b, int i, uint32_t in, uint32_t out)
{
    const EmoNnNode *n = &b->g->nodes[i];
    const EmoNnTensor *it = &b->g->tensors[n->inputs[0]];
    int axis = -1;
    for (int d = 0; d < it->rank; d++)
        if (n->count[d] != it->shape[d]) {
            if (axis >= 0)
                return unsupported(b, i, "slice of more than one axis (not composable on XNNPACK)");
            axis = d;
        }
    if (axis < 0)
        return into_output(b, i, in, out);
    size_t outer = 1, inner = 1, rows = (size_t)it->shape[axis], cnt = (size_t)n->count[axis];
    for (int d = 0; d < it->rank; d++)
        *(d < axis ? &outer : &inner) *= d == axis ? 1 : (size_t)it->shape[d];
    float *w;
    uint32_t y;
    int err;
    if (inner == 1) {
        if ((err = dense(b, i, in, outer, cnt, rows, &w, &y)))
            return err;
    } else if (outer == 1) {
        /* Selected rows come out transposed: [inner, cnt], turned back. */
        uint32_t t;
        if ((err = gather_conv(b, i, in, rows, inner, cnt, &w, &t)) || (err = transpose2d(b, i, t, inner, cnt, &y)))
            return err;
    } else {
        return unsupported(b, i, "slice of a middle axis (not composable on XNNPACK)");
    }
    for (size_t o = 0; o < cnt; o++)
        w[o * rows + (size_t)n->begin[axis] + o * (size_t)n->step[axis]] = 1.0f;
    return into_output(b, i, y, out);
}

static int concat(EmoNnXnnBuild *b, int i, uint32_t out)
{
    const EmoNnGraph *g = b->g;
    const EmoNnNode *n = &g->nodes[i];
    const EmoNnTensor *ot = &g->tensors[n->output];
    size_t dims[4], outer = 1, inner = 1, offset = 0;
    dims_of(ot, dims);
    for (int d = 0; d < ot->rank; d++)
        *(d < n->axis ? &outer : &inner) *= d == n->axis ? 1 : dims[d];
    uint32_t acc = XNN_INVALID_VALUE_ID;
    int err;
    for (int k = 0; k < n->n_inputs; k++) {
        const EmoNnTensor *t = &g->tensors[n->inputs[k]];
        size_t len = (size_t)t->shape[n->axis], pre[4] = { 0 }, post[4] = { 0 };
        uint32_t padded, sum;
        if (t->data) {
            /* A constant is placed at its offset at build time. */
            float *c;
            if ((err = emo__xnn_owned_const(b, ot->rank, dims, &c, &padded)))
                return err;
            for (size_t o = 0; o < outer; o++)
                memcpy(c + (o * dims[n->axis] + offset) * inner, t->data + o * len * inner, len * inner * sizeof(float));
        } else {
            uint32_t x;
            pre[n->axis] = offset;
            post[n->axis] = dims[n->axis] - offset - len;
            if ((err = emo__xnn_value(b, n->inputs[k], &x)) || (err = emo__xnn_temp(b, ot->rank, dims, &padded)) ||
                (err = check(b, i, xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, x, padded, 0))))
                return err;
        }
        offset += len;
        if (acc == XNN_INVALID_VALUE_ID) {
            acc = padded;
            continue;
        }
        int last = k == n->n_inputs - 1;
        if (!last && (err = emo__xnn_temp(b, ot->rank, dims, &sum)))
            return err;
        if ((err = check(b, i, xnn_define_add2(b->sg, last ? n->act_min : -INFINITY, last ? n->act_max : INFINITY,
                                               acc, padded, last ? out : sum, 0))))
            return err;
        acc = sum;
    }
    if (n->n_inputs == 1)
        return check(b, i, xnn_define_clamp(b->sg, n->act_min, n->act_max, acc, out, 0));
    return 0;
}

int emo__xnn_compose(EmoNnXnnBuild *b, int i, uint32_t in, uint32_t out)
{
    const EmoNnNode *n = &b->g->nodes[i];
    uint32_t in2 = 0;
    int err;
    if (emo__nn_op_is_binary(n->op) && (err = emo__xnn_value(b, n->inputs[1], &in2)))
        return err;
    const float lo = n->act_min, hi = n->act_max;
    switch (n->op) {
    case EMO_NN_ADD:
        return check(b, i, xnn_define_add2(b->sg, lo, hi, in, in2, out, 0));
    case EMO_NN_SUB:
        return check(b, i, xnn_define_subtract(b->sg, lo, hi, in, in2, out, 0));
    case EMO_NN_MUL:
        return check(b, i, xnn_define_multiply2(b->sg, lo, hi, in, in2, out, 0));
    case EMO_NN_DIV:
        return check(b, i, xnn_define_divide(b->sg, lo, hi, in, in2, out, 0));
    case EMO_NN_SQUARED_DIFF:
        return check(b, i, xnn_define_squared_difference(b->sg, in, in2, out, 0));
    case EMO_NN_NEG:
        return check(b, i, xnn_define_negate(b->sg, in, out, 0));
    case EMO_NN_SQRT:
        return check(b, i, xnn_define_square_root(b->sg, in, out, 0));
    case EMO_NN_RSQRT: {
        const EmoNnTensor *ot = &b->g->tensors[n->output];
        size_t dims[4], one = 1;
        uint32_t root, kid;
        float *k;
        dims_of(ot, dims);
        if ((err = emo__xnn_temp(b, ot->rank, dims, &root)) || (err = emo__xnn_owned_const(b, 1, &one, &k, &kid)))
            return err;
        k[0] = 1.0f;
        if ((err = check(b, i, xnn_define_square_root(b->sg, in, root, 0))))
            return err;
        return check(b, i, xnn_define_divide(b->sg, -INFINITY, INFINITY, kid, root, out, 0));
    }
    case EMO_NN_MEAN:
    case EMO_NN_SUM:
        return reduce(b, i, in, out);
    case EMO_NN_TRANSPOSE:
        return transpose(b, i, in, out);
    case EMO_NN_SLICE:
        return slice(b, i, in, out);
    case EMO_NN_CONCAT:
        return concat(b, i, out);
    default:
        return unsupported(b, i, "not a composed operator");
    }
}
