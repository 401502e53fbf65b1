/*
 * Plain-C reference executor of the tensor graph (graph.h): float32,
 * straightforward loops, TensorFlow semantics. It is what the XNNPACK
 * backend is checked against, not a fast path: it allocates its buffers
 * on every call. Private to src/nn (and the tests).
 */
#ifndef EMOSCOPE_NN_REF_H
#define EMOSCOPE_NN_REF_H

#include "nn/graph.h"

/* Called after each node with its output tensor and data (for layer-by-layer
 * debugging); return non-zero to stop the run with that value. */
typedef int (*EmoNnRefObserver)(void *user, const EmoNnGraph *g, int node, const float *out);

/*
 * Runs g once. inputs[i] holds the count of graph input i (g->inputs[i]);
 * outputs[i] receives graph output i (caller-allocated, its tensor's count).
 * Every node's shapes are checked against its op before anything is read,
 * so a malformed graph is EMO_EFORMAT, never an out-of-bounds access.
 * Returns 0, EMO_EFORMAT, EMO_EUNSUPPORTED or EMO_ENOMEM; messages go to g->log.
 */
int emo__nn_ref_run(const EmoNnGraph *g, const float *const *inputs, float *const *outputs);
int emo__nn_ref_run_observed(const EmoNnGraph *g, const float *const *inputs, float *const *outputs,
                             EmoNnRefObserver obs, void *user);

#endif
