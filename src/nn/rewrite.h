/*
 * Graph rewrites that do not depend on the file format (rewrite.c): they
 * operate on the graph of graph.h only, so any loader can use them and they
 * can be tested on hand-built graphs against the reference executor.
 * Private to src/nn.
 */
#ifndef EMOSCOPE_NN_REWRITE_H
#define EMOSCOPE_NN_REWRITE_H

#include "nn/graph.h"

/* Folds a ReLU of node's output into node's output clamp when its op carries
 * one (relu(clamp(x, a, b)) == clamp(x, max(a, 0), max(b, 0))). Returns 1
 * when folded, 0 when node is negative or its op has no clamp. The caller
 * must know that nothing else reads node's output. */
int emo__nn_fuse_relu(EmoNnGraph *g, int node);

/* Whether a per-channel scale and shift of `tensor` can be folded into node
 * (emo__nn_fold_bn): node produces tensor, is a convolution or dense layer,
 * and has no output clamp. */
int emo__nn_bn_foldable(const EmoNnGraph *g, int node, int tensor);

/* y = x * scale[c] + shift[c] over the output channels, folded into node's
 * weights and bias (a bias is added when node has none); scale and shift
 * hold one value per output channel. Returns 0 or a negative error. */
int emo__nn_fold_bn(EmoNnGraph *g, int node, const float *scale, const float *shift);

#endif
