/*
 * Shared by the two halves of the XNNPACK backend (private to src/nn):
 * xnn_backend.c builds the runtime and translates the convolution, pooling
 * and activation nodes; xnn_compose.c translates the elementwise,
 * reduction and data-movement nodes, composing those Debian 12's XNNPACK
 * (2022) has no node for out of the ones it has.
 */
#ifndef EMOSCOPE_NN_XNN_INTERNAL_H
#define EMOSCOPE_NN_XNN_INTERNAL_H

#include <xnnpack.h>

#include "nn/xnn_backend.h"

typedef struct EmoNnXnnBuild {
    EmoNnXnn *x;
    const EmoNnGraph *g;
    xnn_subgraph_t sg;
    uint32_t *vid;         /* graph tensor -> XNNPACK value */
    const char *path;
} EmoNnXnnBuild;

/* The XNNPACK value of graph tensor t (defined on first use). */
int emo__xnn_value(EmoNnXnnBuild *b, int t, uint32_t *id);
/* An internal value of the given shape. */
int emo__xnn_temp(EmoNnXnnBuild *b, int rank, const size_t *dims, uint32_t *id);
/* A static value whose floats (zeroed, *data) the backend owns until it is
 * destroyed; the caller fills them before the runtime is created. */
int emo__xnn_owned_const(EmoNnXnnBuild *b, int rank, const size_t *dims, float **data, uint32_t *id);

/* Whether xnn_compose.c translates op. */
int emo__xnn_is_composed(EmoNnOp op);
/* Defines node i (reading value in, writing value out, output range
 * [lo, hi] already applied by the caller unless the op fuses it: binary ops
 * other than SQUARED_DIFF do). Shapes XNNPACK cannot express are logged
 * and give EMO_EUNSUPPORTED; a refusal of XNNPACK is EMO_EUNSUPPORTED too. */
int emo__xnn_compose(EmoNnXnnBuild *b, int i, uint32_t in, uint32_t out);

#endif
