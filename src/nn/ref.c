/*
 * Plain-C reference executor. Loops are written for clarity; accumulation
 * is in float32 like the optimised backends, so differences between the two
 * stay at rounding level.
 */
#include "nn/ref.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct RefCtx {
    const EmoNnGraph *g;
    float **buf;              /* per tensor: activation buffer, or the constant's data */
} RefCtx;

static int bad(const EmoNnGraph *g, int node, const char *what)
{
    emo_log(g->log, EMO_LOG_ERROR, "nn ref: node %d (%s): %s", node,
            emo__nn_op_name(g->nodes[node].op), what);
    return EMO_EFORMAT;
}

static int is_act(const EmoNnGraph *g, int t)
{
    return t >= 0 && t < g->n_tensors && !g->tensors[t].data;
}

static int is_const(const EmoNnGraph *g, int t)
{
    return t >= 0 && t < g->n_tensors && g->tensors[t].data;
}

static int last_dim(const EmoNnTensor *t)
{
    return t->rank > 0 ? t->shape[t->rank - 1] : 1;
}

/* Output extent of a window op along one axis; -1 when the window does not fit. */
static int window_out(int in, int pad0, int pad1, int k, int stride, int dil)
{
    long eff = (long)(k - 1) * dil + 1;
    long span = (long)in + pad0 + pad1 - eff;
    if (span < 0)
        return -1;
    return (int)(span / stride + 1);
}

static int check_window(const EmoNnGraph *g, int ni, const EmoNnTensor *in, const EmoNnTensor *out, int kh, int kw)
{
    const EmoNnNode *n = &g->nodes[ni];
    if (in->rank != 4 || out->rank != 4 || in->shape[0] != 1 || out->shape[0] != 1)
        return bad(g, ni, "input and output must be NHWC with batch 1");
    if (n->stride_h < 1 || n->stride_w < 1 || n->dilation_h < 1 || n->dilation_w < 1 || kh < 1 || kw < 1)
        return bad(g, ni, "kernel, stride and dilation must be positive");
    if (n->pad_top < 0 || n->pad_bottom < 0 || n->pad_left < 0 || n->pad_right < 0)
        return bad(g, ni, "negative padding");
    if (n->pad_top >= kh * n->dilation_h || n->pad_bottom >= kh * n->dilation_h ||
        n->pad_left >= kw * n->dilation_w || n->pad_right >= kw * n->dilation_w)
        return bad(g, ni, "padding as large as the kernel");
    int oh = window_out(in->shape[1], n->pad_top, n->pad_bottom, kh, n->stride_h, n->dilation_h);
    int ow = window_out(in->shape[2], n->pad_left, n->pad_right, kw, n->stride_w, n->dilation_w);
    if (oh != out->shape[1] || ow != out->shape[2])
        return bad(g, ni, "output height/width do not follow from input, kernel, stride and padding");
    return 0;
}

/* Checks that node ni can be executed without reading or writing out of bounds. */
static int check_node(const EmoNnGraph *g, int ni)
{
    const EmoNnNode *n = &g->nodes[ni];
    if (n->n_inputs < 1 || n->n_inputs > EMO_NN_MAX_NODE_INPUTS)
        return bad(g, ni, "bad input count");
    /* Binary ops and concatenations may take constant operands. */
    int const_ok = emo__nn_op_is_binary(n->op) || n->op == EMO_NN_CONCAT;
    for (int i = 0; i < n->n_inputs; i++)
        if (!is_act(g, n->inputs[i]) && !(const_ok && is_const(g, n->inputs[i])))
            return bad(g, ni, "input is not an activation tensor");
    if (!is_act(g, n->output) || g->tensors[n->output].is_input)
        return bad(g, ni, "output is not a writable activation tensor");
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == n->output)
            return bad(g, ni, "output aliases an input");
    if (n->weights != -1 && !is_const(g, n->weights))
        return bad(g, ni, "weights are not a constant tensor");
    if (n->bias != -1 && !is_const(g, n->bias))
        return bad(g, ni, "bias is not a constant tensor");
    if (isnan(n->act_min) || isnan(n->act_max) || n->act_min > n->act_max)
        return bad(g, ni, "bad output clamp");

    const EmoNnTensor *in = &g->tensors[n->inputs[0]];
    const EmoNnTensor *out = &g->tensors[n->output];
    const EmoNnTensor *w = n->weights >= 0 ? &g->tensors[n->weights] : NULL;
    const EmoNnTensor *b = n->bias >= 0 ? &g->tensors[n->bias] : NULL;
    size_t in_n = emo__nn_tensor_count(in), out_n = emo__nn_tensor_count(out);

    switch (n->op) {
    case EMO_NN_CONV2D:
    case EMO_NN_DEPTHWISE_CONV2D: {
        if (!w || w->rank != 4 || w->shape[1] != n->kernel_h || w->shape[2] != n->kernel_w)
            return bad(g, ni, "weights must be rank 4 with the node's kernel size");
        int rc = check_window(g, ni, in, out, n->kernel_h, n->kernel_w);
        if (rc)
            return rc;
        int cout = out->shape[3];
        if (n->op == EMO_NN_CONV2D) {
            if (w->shape[0] != cout || w->shape[3] != in->shape[3])
                return bad(g, ni, "weights are not [Cout][kh][kw][Cin]");
        } else {
            if (w->shape[0] != 1 || w->shape[3] != cout || n->depth_multiplier < 1 ||
                (long)in->shape[3] * n->depth_multiplier != cout)
                return bad(g, ni, "weights are not [1][kh][kw][Cin*multiplier]");
        }
        if (b && emo__nn_tensor_count(b) != (size_t)cout)
            return bad(g, ni, "bias count differs from the output channels");
        break;
    }
    case EMO_NN_PRELU:
        if (!emo__nn_same_shape(in, out) || !w || emo__nn_tensor_count(w) != (size_t)last_dim(out))
            return bad(g, ni, "PRELU needs an input of the output's shape and one slope per channel");
        break;
    case EMO_NN_CLAMP:
    case EMO_NN_SIGMOID:
    case EMO_NN_SOFTMAX:
        if (!emo__nn_same_shape(in, out))
            return bad(g, ni, "input and output shapes differ");
        break;
    case EMO_NN_MAX_POOL:
    case EMO_NN_AVG_POOL: {
        int rc = check_window(g, ni, in, out, n->kernel_h, n->kernel_w);
        if (rc)
            return rc;
        if (in->shape[3] != out->shape[3])
            return bad(g, ni, "pooling changes the channel count");
        break;
    }
    case EMO_NN_GLOBAL_AVG_POOL:
        if (in->rank != 4 || in->shape[0] != 1 || out_n != (size_t)in->shape[3] || last_dim(out) != in->shape[3])
            return bad(g, ni, "global pooling needs NHWC in and C out");
        break;
    case EMO_NN_PAD_CHANNELS:
        if (n->pad_before < 0 || n->pad_after < 0 || in->rank != out->rank || in->rank < 1 ||
            (long)last_dim(in) + n->pad_before + n->pad_after != last_dim(out) ||
            in_n / (size_t)last_dim(in) != out_n / (size_t)last_dim(out))
            return bad(g, ni, "channel padding does not match the shapes");
        break;
    case EMO_NN_RESHAPE:
        if (in_n != out_n)
            return bad(g, ni, "reshape changes the element count");
        break;
    case EMO_NN_DENSE:
        if (!w || w->rank != 2 || (size_t)w->shape[1] != in_n || (size_t)w->shape[0] != out_n)
            return bad(g, ni, "weights are not [Cout][Cin] for a batch-1 input");
        if (b && emo__nn_tensor_count(b) != out_n)
            return bad(g, ni, "bias count differs from the outputs");
        break;
    case EMO_NN_CONCAT: {
        int r = out->rank;
        if (n->axis < 0 || n->axis >= r)
            return bad(g, ni, "concat axis out of range");
        long sum = 0;
        for (int i = 0; i < n->n_inputs; i++) {
            const EmoNnTensor *t = &g->tensors[n->inputs[i]];
            if (t->rank != r)
                return bad(g, ni, "concat inputs differ in rank");
            for (int d = 0; d < r; d++)
                if (d != n->axis && t->shape[d] != out->shape[d])
                    return bad(g, ni, "concat inputs differ off the axis");
            sum += t->shape[n->axis];
        }
        if (sum != out->shape[n->axis])
            return bad(g, ni, "concat output extent is not the sum of the inputs");
        break;
    }
    default:
        if (emo__nn_op_is_tensor_op(n->op)) {
            const char *problem = emo__nn_tensor_op_problem(g, ni);
            if (problem)
                return bad(g, ni, problem);
            break;
        }
        emo_log(g->log, EMO_LOG_ERROR, "nn ref: node %d: unknown op %d", ni, (int)n->op);
        return EMO_EUNSUPPORTED;
    }
    return 0;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void run_conv(const EmoNnGraph *g, const EmoNnNode *n, const float *x, float *y)
{
    const EmoNnTensor *in = &g->tensors[n->inputs[0]], *out = &g->tensors[n->output];
    const float *w = g->tensors[n->weights].data;
    const float *b = n->bias >= 0 ? g->tensors[n->bias].data : NULL;
    int H = in->shape[1], W = in->shape[2], C = in->shape[3];
    int OH = out->shape[1], OW = out->shape[2], CO = out->shape[3];
    int KH = n->kernel_h, KW = n->kernel_w;
    int depthwise = n->op == EMO_NN_DEPTHWISE_CONV2D;
    int mult = n->depth_multiplier;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int oc = 0; oc < CO; oc++) {
                float acc = b ? b[oc] : 0.0f;
                for (int ky = 0; ky < KH; ky++) {
                    int iy = oy * n->stride_h - n->pad_top + ky * n->dilation_h;
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kx = 0; kx < KW; kx++) {
                        int ix = ox * n->stride_w - n->pad_left + kx * n->dilation_w;
                        if (ix < 0 || ix >= W)
                            continue;
                        const float *px = x + ((size_t)iy * W + ix) * C;
                        if (depthwise) {
                            acc += px[oc / mult] * w[((size_t)ky * KW + kx) * CO + oc];
                        } else {
                            const float *pw = w + (((size_t)oc * KH + ky) * KW + kx) * C;
                            for (int c = 0; c < C; c++)
                                acc += px[c] * pw[c];
                        }
                    }
                }
                y[((size_t)oy * OW + ox) * CO + oc] = acc;
            }
}

static void run_pool(const EmoNnGraph *g, const EmoNnNode *n, const float *x, float *y)
{
    const EmoNnTensor *in = &g->tensors[n->inputs[0]], *out = &g->tensors[n->output];
    int H = in->shape[1], W = in->shape[2], C = in->shape[3];
    int OH = out->shape[1], OW = out->shape[2];
    int is_max = n->op == EMO_NN_MAX_POOL;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int c = 0; c < C; c++) {
                float acc = is_max ? -INFINITY : 0.0f;
                int cnt = 0;
                for (int ky = 0; ky < n->kernel_h; ky++) {
                    int iy = oy * n->stride_h - n->pad_top + ky * n->dilation_h;
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kx = 0; kx < n->kernel_w; kx++) {
                        int ix = ox * n->stride_w - n->pad_left + kx * n->dilation_w;
                        if (ix < 0 || ix >= W)
                            continue;
                        float v = x[((size_t)iy * W + ix) * C + c];
                        if (is_max)
                            acc = v > acc ? v : acc;
                        else
                            acc += v;
                        cnt++;
                    }
                }
                /* Padding is excluded from the average (TensorFlow); a window
                 * entirely in the padding cannot occur (checked pads < kernel). */
                if (!is_max)
                    acc = cnt ? acc / (float)cnt : 0.0f;
                y[((size_t)oy * OW + ox) * C + c] = acc;
            }
}

/* Strides of t's axes once right-aligned to rank 4; 0 where an axis of
 * extent 1 is broadcast against a longer one of out. */
static void bcast_strides(const EmoNnTensor *t, const EmoNnTensor *out, size_t st[4])
{
    size_t s = 1;
    for (int d = 3; d >= 0; d--) {
        int k = d - (4 - t->rank), o = d - (4 - out->rank);
        int ext = k >= 0 ? t->shape[k] : 1, oext = o >= 0 ? out->shape[o] : 1;
        st[d] = ext == oext ? s : 0;
        s *= (size_t)ext;
    }
}

static void out_dims4(const EmoNnTensor *out, int od[4])
{
    for (int d = 0; d < 4; d++) {
        int o = d - (4 - out->rank);
        od[d] = o >= 0 ? out->shape[o] : 1;
    }
}

static void run_binary(const EmoNnGraph *g, const EmoNnNode *n, const float *a, const float *b, float *y)
{
    const EmoNnTensor *out = &g->tensors[n->output];
    size_t sa[4], sb[4];
    int od[4];
    bcast_strides(&g->tensors[n->inputs[0]], out, sa);
    bcast_strides(&g->tensors[n->inputs[1]], out, sb);
    out_dims4(out, od);
    size_t o = 0;
    for (int i0 = 0; i0 < od[0]; i0++)
        for (int i1 = 0; i1 < od[1]; i1++)
            for (int i2 = 0; i2 < od[2]; i2++)
                for (int i3 = 0; i3 < od[3]; i3++, o++) {
                    float u = a[i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3]];
                    float v = b[i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3]];
                    switch (n->op) {
                    case EMO_NN_ADD: y[o] = u + v; break;
                    case EMO_NN_SUB: y[o] = u - v; break;
                    case EMO_NN_MUL: y[o] = u * v; break;
                    case EMO_NN_DIV: y[o] = u / v; break;
                    default: y[o] = (u - v) * (u - v); break;
                    }
                }
}

/* Input axes padded to rank 4 at the front, with their strides. */
static void in_dims4(const EmoNnTensor *in, int dims[4], size_t st[4], int shift[1])
{
    int k = 4 - in->rank;
    size_t s = 1;
    for (int d = 3; d >= 0; d--) {
        dims[d] = d >= k ? in->shape[d - k] : 1;
        st[d] = s;
        s *= (size_t)dims[d];
    }
    *shift = k;
}

static void run_reduce(const EmoNnGraph *g, const EmoNnNode *n, const float *x, float *y)
{
    const EmoNnTensor *in = &g->tensors[n->inputs[0]];
    int dims[4], k;
    size_t st[4];
    in_dims4(in, dims, st, &k);
    /* Output index: the kept axes in order (the reduced ones have extent 1). */
    size_t ost[4], s = 1, count = 1;
    for (int d = 3; d >= 0; d--) {
        int reduced = d >= k && (n->axes >> (d - k) & 1);
        ost[d] = reduced ? 0 : s;
        s *= reduced ? 1 : (size_t)dims[d];
        count *= reduced ? (size_t)dims[d] : 1;
    }
    memset(y, 0, s * sizeof(float));
    for (int i0 = 0; i0 < dims[0]; i0++)
        for (int i1 = 0; i1 < dims[1]; i1++)
            for (int i2 = 0; i2 < dims[2]; i2++)
                for (int i3 = 0; i3 < dims[3]; i3++)
                    y[i0 * ost[0] + i1 * ost[1] + i2 * ost[2] + i3 * ost[3]] +=
                        x[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]];
    if (n->op == EMO_NN_MEAN)
        for (size_t i = 0; i < s; i++)
            y[i] /= (float)count;
}

/* TRANSPOSE and SLICE: every output element read from one input element. */
static void run_gather(const EmoNnGraph *g, const EmoNnNode *n, const float *x, float *y)
{
    const EmoNnTensor *in = &g->tensors[n->inputs[0]];
    int dims[4], k;
    size_t st[4], base = 0, step[4];
    int cnt[4];
    in_dims4(in, dims, st, &k);
    for (int d = 0; d < 4; d++) {
        if (d < k) {
            cnt[d] = 1;
            step[d] = 0;
        } else if (n->op == EMO_NN_SLICE) {
            cnt[d] = n->count[d - k];
            step[d] = st[d] * (size_t)n->step[d - k];
            base += st[d] * (size_t)n->begin[d - k];
        } else {
            /* Output axis d walks input axis perm[d]. */
            int p = n->perm[d - k] + k;
            cnt[d] = dims[p];
            step[d] = st[p];
        }
    }
    size_t o = 0;
    for (int i0 = 0; i0 < cnt[0]; i0++)
        for (int i1 = 0; i1 < cnt[1]; i1++)
            for (int i2 = 0; i2 < cnt[2]; i2++)
                for (int i3 = 0; i3 < cnt[3]; i3++)
                    y[o++] = x[base + i0 * step[0] + i1 * step[1] + i2 * step[2] + i3 * step[3]];
}

/* Where output index o of `out` samples an axis of `in` pixels, as
 * TensorFlow's resize: the sample is clamped into the axis, then lies
 * between pixels *i0 and *i1 with weight *t on *i1. */
static void resize_tap(EmoNnResize mode, int o, int in, int out, int *i0, int *i1, float *t)
{
    float s;
    if (mode == EMO_NN_RESIZE_ALIGN_CORNERS)
        s = out > 1 ? (float)o * (float)(in - 1) / (float)(out - 1) : 0.0f;
    else if (mode == EMO_NN_RESIZE_HALF_PIXEL)
        s = ((float)o + 0.5f) * (float)in / (float)out - 0.5f;
    else
        s = (float)o * (float)in / (float)out;
    s = s < 0.0f ? 0.0f : s > (float)(in - 1) ? (float)(in - 1) : s;
    *i0 = (int)s;
    *i1 = *i0 + 1 < in ? *i0 + 1 : *i0;
    *t = s - (float)*i0;
}

static void run_resize(const EmoNnGraph *g, const EmoNnNode *n, const float *x, float *y)
{
    const EmoNnTensor *in = &g->tensors[n->inputs[0]], *out = &g->tensors[n->output];
    int H = in->shape[1], W = in->shape[2], C = in->shape[3], OH = out->shape[1], OW = out->shape[2];
    for (int b = 0; b < in->shape[0]; b++)
        for (int oy = 0; oy < OH; oy++) {
            int y0, y1, x0, x1;
            float ty, tx;
            resize_tap(n->resize, oy, H, OH, &y0, &y1, &ty);
            const float *r0 = x + ((size_t)b * H + (size_t)y0) * W * C, *r1 = x + ((size_t)b * H + (size_t)y1) * W * C;
            for (int ox = 0; ox < OW; ox++) {
                resize_tap(n->resize, ox, W, OW, &x0, &x1, &tx);
                float *d = y + (((size_t)b * OH + (size_t)oy) * OW + (size_t)ox) * C;
                for (int c = 0; c < C; c++) {
                    float top = r0[x0 * C + c] + (r0[x1 * C + c] - r0[x0 * C + c]) * tx;
                    float bottom = r1[x0 * C + c] + (r1[x1 * C + c] - r1[x0 * C + c]) * tx;
                    d[c] = top + (bottom - top) * ty;
                }
            }
        }
}

static void run_node(const RefCtx *r, const EmoNnNode *n)
{
    const EmoNnGraph *g = r->g;
    const EmoNnTensor *in = &g->tensors[n->inputs[0]], *out = &g->tensors[n->output];
    const float *x = r->buf[n->inputs[0]];
    float *y = r->buf[n->output];
    size_t in_n = emo__nn_tensor_count(in), out_n = emo__nn_tensor_count(out);
    const float *w = n->weights >= 0 ? g->tensors[n->weights].data : NULL;
    const float *b = n->bias >= 0 ? g->tensors[n->bias].data : NULL;

    switch (n->op) {
    case EMO_NN_CONV2D:
    case EMO_NN_DEPTHWISE_CONV2D:
        run_conv(g, n, x, y);
        break;
    case EMO_NN_ADD:
    case EMO_NN_SUB:
    case EMO_NN_MUL:
    case EMO_NN_DIV:
    case EMO_NN_SQUARED_DIFF:
        run_binary(g, n, x, r->buf[n->inputs[1]], y);
        break;
    case EMO_NN_NEG:
    case EMO_NN_SQRT:
    case EMO_NN_RSQRT:
        for (size_t i = 0; i < out_n; i++)
            y[i] = n->op == EMO_NN_NEG ? -x[i] : n->op == EMO_NN_SQRT ? sqrtf(x[i]) : 1.0f / sqrtf(x[i]);
        break;
    case EMO_NN_MEAN:
    case EMO_NN_SUM:
        run_reduce(g, n, x, y);
        break;
    case EMO_NN_TRANSPOSE:
    case EMO_NN_SLICE:
        run_gather(g, n, x, y);
        break;
    case EMO_NN_RESIZE_BILINEAR:
        run_resize(g, n, x, y);
        break;
    case EMO_NN_OP_COUNT:
        break;
    case EMO_NN_PRELU: {
        size_t c = (size_t)last_dim(out);
        for (size_t i = 0; i < out_n; i++)
            y[i] = x[i] >= 0.0f ? x[i] : x[i] * w[i % c];
        break;
    }
    case EMO_NN_CLAMP:
    case EMO_NN_RESHAPE:
        memcpy(y, x, out_n * sizeof(float));
        break;
    case EMO_NN_SIGMOID:
        for (size_t i = 0; i < out_n; i++)
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case EMO_NN_SOFTMAX: {
        size_t c = (size_t)last_dim(out);
        for (size_t o = 0; o < out_n; o += c) {
            float m = -INFINITY;
            for (size_t i = 0; i < c; i++)
                m = x[o + i] > m ? x[o + i] : m;
            float s = 0.0f;
            for (size_t i = 0; i < c; i++) {
                y[o + i] = expf(x[o + i] - m);
                s += y[o + i];
            }
            for (size_t i = 0; i < c; i++)
                y[o + i] /= s;
        }
        break;
    }
    case EMO_NN_MAX_POOL:
    case EMO_NN_AVG_POOL:
        run_pool(g, n, x, y);
        break;
    case EMO_NN_GLOBAL_AVG_POOL: {
        size_t c = (size_t)in->shape[3], hw = in_n / c;
        for (size_t k = 0; k < c; k++) {
            float s = 0.0f;
            for (size_t p = 0; p < hw; p++)
                s += x[p * c + k];
            y[k] = s / (float)hw;
        }
        break;
    }
    case EMO_NN_PAD_CHANNELS: {
        size_t ci = (size_t)last_dim(in), co = (size_t)last_dim(out), rows = in_n / ci;
        for (size_t p = 0; p < rows; p++) {
            float *d = y + p * co;
            memset(d, 0, co * sizeof(float));
            memcpy(d + n->pad_before, x + p * ci, ci * sizeof(float));
        }
        break;
    }
    case EMO_NN_DENSE:
        for (size_t o = 0; o < out_n; o++) {
            float acc = b ? b[o] : 0.0f;
            const float *pw = w + o * in_n;
            for (size_t i = 0; i < in_n; i++)
                acc += x[i] * pw[i];
            y[o] = acc;
        }
        break;
    case EMO_NN_CONCAT: {
        size_t outer = 1, inner = 1;
        for (int d = 0; d < n->axis; d++)
            outer *= (size_t)out->shape[d];
        for (int d = n->axis + 1; d < out->rank; d++)
            inner *= (size_t)out->shape[d];
        size_t off = 0, row = (size_t)out->shape[n->axis] * inner;
        for (int i = 0; i < n->n_inputs; i++) {
            size_t blk = (size_t)g->tensors[n->inputs[i]].shape[n->axis] * inner;
            const float *src = r->buf[n->inputs[i]];
            for (size_t o = 0; o < outer; o++)
                memcpy(y + o * row + off, src + o * blk, blk * sizeof(float));
            off += blk;
        }
        break;
    }
    }
    if (n->act_min > -FLT_MAX || n->act_max < FLT_MAX)
        for (size_t i = 0; i < out_n; i++)
            y[i] = clampf(y[i], n->act_min, n->act_max);
}

int emo__nn_ref_run_observed(const EmoNnGraph *g, const float *const *inputs, float *const *outputs,
                             EmoNnRefObserver obs, void *user)
{
    RefCtx r = { g, NULL };
    int rc = 0;
    for (int i = 0; i < g->n_inputs; i++)
        if (!is_act(g, g->inputs[i]))
            return bad(g, 0, "a graph input is not an activation tensor");
    for (int i = 0; i < g->n_outputs; i++)
        if (!is_act(g, g->outputs[i]))
            return bad(g, 0, "a graph output is not an activation tensor");
    for (int i = 0; i < g->n_nodes; i++)
        if ((rc = check_node(g, i)) != 0)
            return rc;

    r.buf = calloc((size_t)g->n_tensors + 1, sizeof(*r.buf));
    if (!r.buf)
        return EMO_ENOMEM;
    for (int t = 0; t < g->n_tensors; t++) {
        if (g->tensors[t].data) {
            r.buf[t] = g->tensors[t].data;
            continue;
        }
        r.buf[t] = calloc(emo__nn_tensor_count(&g->tensors[t]), sizeof(float));
        if (!r.buf[t]) {
            rc = EMO_ENOMEM;
            goto done;
        }
    }
    for (int i = 0; i < g->n_inputs; i++)
        memcpy(r.buf[g->inputs[i]], inputs[i], emo__nn_tensor_count(&g->tensors[g->inputs[i]]) * sizeof(float));
    for (int i = 0; i < g->n_nodes; i++) {
        run_node(&r, &g->nodes[i]);
        if (obs && (rc = obs(user, g, i, r.buf[g->nodes[i].output])) != 0)
            goto done;
    }
    for (int i = 0; i < g->n_outputs; i++)
        memcpy(outputs[i], r.buf[g->outputs[i]], emo__nn_tensor_count(&g->tensors[g->outputs[i]]) * sizeof(float));
done:
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t].data)
            free(r.buf[t]);
    free(r.buf);
    return rc;
}

int emo__nn_ref_run(const EmoNnGraph *g, const float *const *inputs, float *const *outputs)
{
    return emo__nn_ref_run_observed(g, inputs, outputs, NULL, NULL);
}
