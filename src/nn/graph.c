#include "nn/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Graphs of the models we run have a few hundred tensors; anything much
 * larger is a hostile file. */
#define MAX_TENSORS 65536
#define MAX_NODES 16384
#define MAX_ELEMENTS (64u << 20)

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
        "SIGMOID",
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
