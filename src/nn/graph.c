#include "nn/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Graphs of the models we run have a few hundred tensors; anything much
 * larger is a hostile file. */
#define MAX_TENSORS 65536
#define MAX_NODES 16384
#define MAX_ELEMENTS (16u << 20)
/* All activation tensors together (floats): bounds what a backend allocates. */
#define MAX_ACTIVATIONS (32u << 20)

void emo__nn_graph_init(EmoNnGraph *g, const EmoLogger *log)
{
    memset(g, 0, sizeof(*g));
    g->log = log;
}

void emo__nn_graph_free(EmoNnGraph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_tensors; i++)
        free(g->tensors[i].data);
    free(g->tensors);
    free(g->nodes);
    const EmoLogger *log = g->log;
    memset(g, 0, sizeof(*g));
    g->log = log;
}

size_t emo__nn_tensor_count(const EmoNnTensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static int add_tensor(EmoNnGraph *g, const char *name, int rank, const int *shape, float *owned)
{
    if (rank < 0 || rank > 4 || g->n_tensors >= MAX_TENSORS)
        return EMO_EFORMAT;
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] <= 0 || (size_t)shape[i] > MAX_ELEMENTS)
            return EMO_EFORMAT;
        count *= (size_t)shape[i];
        if (count > MAX_ELEMENTS)
            return EMO_EFORMAT;
    }
    if (g->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? g->cap_tensors * 2 : 64;
        EmoNnTensor *t = realloc(g->tensors, sizeof(*t) * (size_t)cap);
        if (!t)
            return EMO_ENOMEM;
        g->tensors = t;
        g->cap_tensors = cap;
    }
    EmoNnTensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->shape[i] = shape[i];
    t->data = owned;
    return g->n_tensors++;
}

int emo__nn_graph_add_tensor(EmoNnGraph *g, const char *name, int rank, const int *shape, const float *data)
{
    float *copy = NULL;
    if (data) {
        size_t count = 1;
        for (int i = 0; i < rank && i < 4; i++)
            count *= shape[i] > 0 ? (size_t)shape[i] : 0;
        if (count == 0 || count > MAX_ELEMENTS)
            return EMO_EFORMAT;
        copy = malloc(count * sizeof(float));
        if (!copy)
            return EMO_ENOMEM;
        memcpy(copy, data, count * sizeof(float));
    }
    int id = add_tensor(g, name, rank, shape, copy);
    if (id < 0)
        free(copy);
    return id;
}

int emo__nn_graph_add_const_owned(EmoNnGraph *g, const char *name, int rank, const int *shape, float *data)
{
    int id = add_tensor(g, name, rank, shape, data);
    if (id < 0)
        free(data);
    return id;
}

void emo__nn_node_init(EmoNnNode *n, EmoNnOp op)
{
    memset(n, 0, sizeof(*n));
    n->op = op;
    n->output = -1;
    n->weights = -1;
    n->bias = -1;
    n->kernel_h = n->kernel_w = 1;
    n->stride_h = n->stride_w = 1;
    n->dilation_h = n->dilation_w = 1;
    n->depth_multiplier = 1;
    for (int d = 0; d < 4; d++) {
        n->perm[d] = d;
        n->step[d] = 1;
    }
    n->act_min = -INFINITY;
    n->act_max = INFINITY;
}

int emo__nn_graph_add_node(EmoNnGraph *g, const EmoNnNode *n)
{
    if (g->n_nodes >= MAX_NODES)
        return EMO_EFORMAT;
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        EmoNnNode *nn = realloc(g->nodes, sizeof(*nn) * (size_t)cap);
        if (!nn)
            return EMO_ENOMEM;
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    g->nodes[g->n_nodes] = *n;
    return g->n_nodes++;
}

int emo__nn_graph_mark_input(EmoNnGraph *g, int t)
{
    if (t < 0 || t >= g->n_tensors || g->n_inputs >= 8)
        return EMO_EFORMAT;
    g->tensors[t].is_input = 1;
    g->inputs[g->n_inputs++] = t;
    return 0;
}

int emo__nn_graph_mark_output(EmoNnGraph *g, int t)
{
    if (t < 0 || t >= g->n_tensors || g->n_outputs >= 8)
        return EMO_EFORMAT;
    g->tensors[t].is_output = 1;
    g->outputs[g->n_outputs++] = t;
    return 0;
}

void emo__nn_same_padding(int in, int kernel, int stride, int dilation, int *before, int *after, int *out)
{
    int eff = (kernel - 1) * dilation + 1;
    int o = (in + stride - 1) / stride;
    int total = (o - 1) * stride + eff - in;
    if (total < 0)
        total = 0;
    *before = total / 2;
    *after = total - total / 2;
    *out = o;
}

const char *emo__nn_op_name(EmoNnOp op)
{
    static const char *const names[] = {
        "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "PRELU", "CLAMP", "MAX_POOL_2D", "AVERAGE_POOL_2D",
        "GLOBAL_AVERAGE_POOL", "PAD_CHANNELS", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX", "CONCATENATION",
        "SIGMOID", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "NEG", "SQRT", "RSQRT", "MEAN", "SUM", "TRANSPOSE",
        "STRIDED_SLICE", "RESIZE_BILINEAR",
    };
    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

uint64_t emo__nn_graph_macs(const EmoNnGraph *g)
{
    uint64_t macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const EmoNnNode *n = &g->nodes[i];
        const EmoNnTensor *o = &g->tensors[n->output];
        uint64_t out = emo__nn_tensor_count(o);
        switch (n->op) {
        case EMO_NN_CONV2D: {
            const EmoNnTensor *in = &g->tensors[n->inputs[0]];
            macs += out * (uint64_t)n->kernel_h * (uint64_t)n->kernel_w * (uint64_t)in->shape[in->rank - 1];
            break;
        }
        case EMO_NN_DEPTHWISE_CONV2D:
            macs += out * (uint64_t)n->kernel_h * (uint64_t)n->kernel_w;
            break;
        case EMO_NN_DENSE: {
            const EmoNnTensor *in = &g->tensors[n->inputs[0]];
            macs += out * (uint64_t)emo__nn_tensor_count(in); /* batch 1 */
            break;
        }
        default:
            break;
        }
    }
    return macs;
}

static int fail(const EmoNnGraph *g, int node, const char *fmt, const char *what)
{
    if (node >= 0)
        emo_log(g->log, EMO_LOG_ERROR, "nn graph: node %d (%s): %s%s", node, emo__nn_op_name(g->nodes[node].op), fmt,
                what ? what : "");
    else
        emo_log(g->log, EMO_LOG_ERROR, "nn graph: %s%s", fmt, what ? what : "");
    return EMO_EFORMAT;
}

int emo__nn_same_shape(const EmoNnTensor *a, const EmoNnTensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

/* Output extent of a window op along one axis; 0 when it does not fit. */
static int window_out(int in, int pad0, int pad1, int kernel, int stride, int dilation)
{
    long eff = (long)(kernel - 1) * dilation + 1;
    long padded = (long)in + pad0 + pad1;
    if (padded < eff)
        return 0;
    return (int)((padded - eff) / stride + 1);
}

static int check_window(const EmoNnGraph *g, int i, const EmoNnTensor *in, const EmoNnTensor *out, int cout)
{
    const EmoNnNode *n = &g->nodes[i];
    if (in->rank != 4 || out->rank != 4 || in->shape[0] != 1)
        return fail(g, i, "needs 4D NHWC tensors of batch 1", NULL);
    if (n->kernel_h < 1 || n->kernel_w < 1 || n->kernel_h > 64 || n->kernel_w > 64 || n->stride_h < 1 ||
        n->stride_w < 1 || n->stride_h > 64 || n->stride_w > 64 || n->dilation_h < 1 || n->dilation_w < 1 ||
        n->dilation_h > 64 || n->dilation_w > 64)
        return fail(g, i, "kernel, stride or dilation out of range", NULL);
    int ekh = (n->kernel_h - 1) * n->dilation_h + 1, ekw = (n->kernel_w - 1) * n->dilation_w + 1;
    if (n->pad_top < 0 || n->pad_bottom < 0 || n->pad_left < 0 || n->pad_right < 0 || n->pad_top >= ekh ||
        n->pad_bottom >= ekh || n->pad_left >= ekw || n->pad_right >= ekw)
        return fail(g, i, "padding out of range", NULL);
    int oh = window_out(in->shape[1], n->pad_top, n->pad_bottom, n->kernel_h, n->stride_h, n->dilation_h);
    int ow = window_out(in->shape[2], n->pad_left, n->pad_right, n->kernel_w, n->stride_w, n->dilation_w);
    if (out->shape[0] != 1 || out->shape[1] != oh || out->shape[2] != ow || out->shape[3] != cout) {
        char msg[160];
        snprintf(msg, sizeof(msg), "output shape [1,%d,%d,%d] expected, the model says [%d,%d,%d,%d]", oh, ow, cout,
                 out->shape[0], out->shape[1], out->shape[2], out->shape[3]);
        return fail(g, i, msg, NULL);
    }
    return 0;
}

static int is_const(const EmoNnGraph *g, int t)
{
    return t >= 0 && t < g->n_tensors && g->tensors[t].data != NULL;
}

static int check_node(const EmoNnGraph *g, int i)
{
    const EmoNnNode *n = &g->nodes[i];
    const EmoNnTensor *out = &g->tensors[n->output];
    const EmoNnTensor *in = &g->tensors[n->inputs[0]];
    const EmoNnTensor *w = n->weights >= 0 ? &g->tensors[n->weights] : NULL;
    const EmoNnTensor *b = n->bias >= 0 ? &g->tensors[n->bias] : NULL;
    int want_inputs = emo__nn_op_is_binary(n->op) ? 2 : n->op == EMO_NN_CONCAT ? -1 : 1;
    if (want_inputs > 0 && n->n_inputs != want_inputs)
        return fail(g, i, "wrong number of inputs", NULL);
    int needs_weights = n->op == EMO_NN_CONV2D || n->op == EMO_NN_DEPTHWISE_CONV2D || n->op == EMO_NN_DENSE ||
                        n->op == EMO_NN_PRELU;
    if (needs_weights != (w != NULL))
        return fail(g, i, needs_weights ? "weights missing" : "unexpected weights", NULL);
    if (b && (n->op == EMO_NN_PRELU || !needs_weights))
        return fail(g, i, "unexpected bias", NULL);
    if (b && b->rank != 1)
        return fail(g, i, "bias must be 1D", NULL);
    if (isnan(n->act_min) || isnan(n->act_max) || n->act_min > n->act_max)
        return fail(g, i, "bad output clamp", NULL);
    switch (n->op) {
    case EMO_NN_CONV2D:
        if (w->rank != 4 || w->shape[1] != n->kernel_h || w->shape[2] != n->kernel_w || in->rank != 4 ||
            w->shape[3] != in->shape[3])
            return fail(g, i, "weights must be [Cout][kh][kw][Cin]", NULL);
        if (b && b->shape[0] != w->shape[0])
            return fail(g, i, "bias size differs from the output channels", NULL);
        return check_window(g, i, in, out, w->shape[0]);
    case EMO_NN_DEPTHWISE_CONV2D:
        if (in->rank != 4 || n->depth_multiplier < 1 || n->depth_multiplier > 4096 || w->rank != 4 ||
            w->shape[0] != 1 || w->shape[1] != n->kernel_h || w->shape[2] != n->kernel_w ||
            (long)w->shape[3] != (long)in->shape[3] * n->depth_multiplier)
            return fail(g, i, "weights must be [1][kh][kw][Cin*multiplier]", NULL);
        if (b && b->shape[0] != w->shape[3])
            return fail(g, i, "bias size differs from the output channels", NULL);
        return check_window(g, i, in, out, w->shape[3]);
    case EMO_NN_MAX_POOL:
    case EMO_NN_AVG_POOL:
        if (n->dilation_h != 1 || n->dilation_w != 1)
            return fail(g, i, "dilated pooling", NULL);
        if (in->rank != 4)
            return fail(g, i, "needs a 4D input", NULL);
        return check_window(g, i, in, out, in->shape[3]);
    case EMO_NN_GLOBAL_AVG_POOL:
        if (in->rank != 4 || in->shape[0] != 1 || emo__nn_tensor_count(out) != (size_t)in->shape[3] ||
            out->shape[out->rank - 1] != in->shape[3])
            return fail(g, i, "needs [1,H,W,C] in and C values out", NULL);
        return 0;
    default:
        if (emo__nn_op_is_tensor_op(n->op)) {
            const char *problem = emo__nn_tensor_op_problem(g, i);
            return problem ? fail(g, i, problem, NULL) : 0;
        }
        break;
    case EMO_NN_PRELU:
        if (in->rank != 4 || w->rank != 1 || w->shape[0] != in->shape[3] || !emo__nn_same_shape(in, out))
            return fail(g, i, "needs a 4D input and one slope per channel", NULL);
        return 0;
    case EMO_NN_CLAMP:
    case EMO_NN_SIGMOID:
    case EMO_NN_SOFTMAX:
        if (!emo__nn_same_shape(in, out) || in->rank < 1)
            return fail(g, i, "input and output shapes differ", NULL);
        return 0;
    case EMO_NN_PAD_CHANNELS: {
        if (in->rank < 1 || in->rank != out->rank || n->pad_before < 0 || n->pad_after < 0 ||
            n->pad_before > (1 << 16) || n->pad_after > (1 << 16))
            return fail(g, i, "bad channel padding", NULL);
        for (int d = 0; d < in->rank - 1; d++)
            if (in->shape[d] != out->shape[d])
                return fail(g, i, "pads more than channels", NULL);
        if ((long)out->shape[in->rank - 1] != (long)in->shape[in->rank - 1] + n->pad_before + n->pad_after)
            return fail(g, i, "output channels differ from input + padding", NULL);
        return 0;
    }
    case EMO_NN_RESHAPE:
        if (emo__nn_tensor_count(in) != emo__nn_tensor_count(out))
            return fail(g, i, "element counts differ", NULL);
        return 0;
    case EMO_NN_DENSE:
        if (w->rank != 2 || emo__nn_tensor_count(in) != (size_t)w->shape[1] ||
            emo__nn_tensor_count(out) != (size_t)w->shape[0] || out->shape[out->rank - 1] != w->shape[0])
            return fail(g, i, "weights must be [Cout][Cin] with Cin input and Cout output values", NULL);
        if (b && b->shape[0] != w->shape[0])
            return fail(g, i, "bias size differs from the output size", NULL);
        return 0;
    case EMO_NN_CONCAT: {
        if (n->n_inputs < 1 || n->n_inputs > EMO_NN_MAX_NODE_INPUTS || n->axis < 0 || n->axis >= out->rank)
            return fail(g, i, "bad inputs or axis", NULL);
        long sum = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            const EmoNnTensor *t = &g->tensors[n->inputs[k]];
            if (t->rank != out->rank)
                return fail(g, i, "inputs differ in rank", NULL);
            for (int d = 0; d < t->rank; d++)
                if (d != n->axis && t->shape[d] != out->shape[d])
                    return fail(g, i, "inputs differ off the concatenation axis", NULL);
            sum += t->shape[n->axis];
        }
        if (sum != out->shape[n->axis])
            return fail(g, i, "output size differs from the sum of the inputs", NULL);
        return 0;
    }
    }
    return fail(g, i, "unknown operator", NULL);
}

int emo__nn_graph_validate(const EmoNnGraph *g)
{
    if (g->n_inputs < 1 || g->n_outputs < 1 || g->n_nodes < 1)
        return fail(g, -1, "a model needs inputs, outputs and operators", NULL);
    /* producer[t]: 1 when t holds a value at this point of the execution order. */
    unsigned char *ready = calloc((size_t)g->n_tensors, 1);
    if (!ready)
        return EMO_ENOMEM;
    int err = 0;
    size_t activations = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        int t = g->inputs[k];
        if (is_const(g, t) || ready[t]) {
            err = fail(g, -1, "an input is a constant or listed twice: ", g->tensors[t].name);
            goto done;
        }
        ready[t] = 1;
        activations += emo__nn_tensor_count(&g->tensors[t]);
    }
    for (int i = 0; i < g->n_nodes && !err; i++) {
        const EmoNnNode *n = &g->nodes[i];
        if (n->n_inputs < 1 || n->n_inputs > EMO_NN_MAX_NODE_INPUTS) {
            err = fail(g, i, "bad number of inputs", NULL);
            break;
        }
        /* Binary ops and concatenations may take a constant operand. */
        int const_ok = emo__nn_op_is_binary(n->op) || n->op == EMO_NN_CONCAT;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || t >= g->n_tensors || (is_const(g, t) ? !const_ok : !ready[t])) {
                err = fail(g, i, "an input is not computed before its use", NULL);
                goto done;
            }
        }
        if ((n->weights >= 0 && !is_const(g, n->weights)) || (n->bias >= 0 && !is_const(g, n->bias)) ||
            n->weights >= g->n_tensors || n->bias >= g->n_tensors) {
            err = fail(g, i, "weights or bias are not constants", NULL);
            break;
        }
        int o = n->output;
        if (o < 0 || o >= g->n_tensors || is_const(g, o) || ready[o]) {
            err = fail(g, i, "output is a constant or written twice", NULL);
            break;
        }
        err = check_node(g, i);
        ready[o] = 1;
        activations += emo__nn_tensor_count(&g->tensors[o]);
        if (activations > MAX_ACTIVATIONS)
            err = fail(g, i, "activations exceed the size limit", NULL);
    }
    for (int k = 0; k < g->n_outputs && !err; k++) {
        int t = g->outputs[k];
        if (!ready[t] || g->tensors[t].is_input || is_const(g, t))
            err = fail(g, -1, "an output is not computed by any operator: ", g->tensors[t].name);
        for (int j = 0; j < k && !err; j++)
            if (g->outputs[j] == t)
                err = fail(g, -1, "an output is listed twice: ", g->tensors[t].name);
    }
done:
    free(ready);
    return err;
}
