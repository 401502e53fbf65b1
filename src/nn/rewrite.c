/*
 * Graph rewrites that do not depend on the file format: folding a ReLU into
 * its producer's output clamp and a batch normalisation (a per-channel scale
 * and shift) into the producing convolution or dense layer. They work on the
 * graph of graph.h alone, apart from the loaders that decide when they apply,
 * so that they are written and tested once (tests/nn/test_rewrite.c checks
 * them against the reference executor).
 */
#include "nn/rewrite.h"

#include <math.h>
#include <stdio.h>

static int clamp_fusable(EmoNnOp op)
{
    return op == EMO_NN_CONV2D || op == EMO_NN_DEPTHWISE_CONV2D || op == EMO_NN_DENSE || op == EMO_NN_ADD;
}

int emo__nn_fuse_relu(EmoNnGraph *g, int node)
{
    if (node < 0 || !clamp_fusable(g->nodes[node].op))
        return 0;
    /* relu(clamp(x, a, b)) == clamp(x, max(a,0), max(b,0)) */
    EmoNnNode *n = &g->nodes[node];
    n->act_min = n->act_min > 0.0f ? n->act_min : 0.0f;
    n->act_max = n->act_max > 0.0f ? n->act_max : 0.0f;
    return 1;
}

int emo__nn_bn_foldable(const EmoNnGraph *g, int node, int tensor)
{
    if (node < 0)
        return 0;
    const EmoNnNode *n = &g->nodes[node];
    return (n->op == EMO_NN_CONV2D || n->op == EMO_NN_DEPTHWISE_CONV2D || n->op == EMO_NN_DENSE) &&
           n->act_min == -INFINITY && n->act_max == INFINITY && n->output == tensor;
}

int emo__nn_fold_bn(EmoNnGraph *g, int node, const float *scale, const float *shift)
{
    EmoNnNode *n = &g->nodes[node];
    const EmoNnTensor *out = &g->tensors[n->output];
    int C = out->shape[out->rank - 1];
    EmoNnTensor *w = &g->tensors[n->weights];
    size_t count = emo__nn_tensor_count(w);
    if (n->op == EMO_NN_DEPTHWISE_CONV2D) {
        for (size_t i = 0; i < count; i++)
            w->data[i] *= scale[i % (size_t)C];
    } else {
        size_t per = count / (size_t)C;
        for (size_t i = 0; i < count; i++)
            w->data[i] *= scale[i / per];
    }
    if (n->bias < 0) {
        /* Named before adding: adding may move g->tensors (and `out`). */
        char name[96];
        snprintf(name, sizeof(name), "%.80s/bias", out->name);
        int id = emo__nn_graph_add_tensor(g, "", 1, &C, shift);
        if (id < 0)
            return id;
        n = &g->nodes[node];
        snprintf(g->tensors[id].name, sizeof(g->tensors[id].name), "%s", name);
        n->bias = id;
    } else {
        float *b = g->tensors[n->bias].data;
        for (int i = 0; i < C; i++)
            b[i] = b[i] * scale[i] + shift[i];
    }
    return 0;
}
