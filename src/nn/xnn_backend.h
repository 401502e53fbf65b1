/* The tensor graph executed by XNNPACK. Private to src/nn. */
#ifndef EMOSCOPE_NN_XNN_BACKEND_H
#define EMOSCOPE_NN_XNN_BACKEND_H

#include "nn/graph.h"

typedef struct EmoNnXnn EmoNnXnn;

/*
 * Builds an XNNPACK runtime for a validated graph. inputs[i] and
 * outputs[i] are the caller's buffers for g->inputs[i] / g->outputs[i]
 * (count floats plus EMO_NN_BUFFER_SLACK bytes, 64-byte aligned); they and
 * the graph (whose constants XNNPACK reads) must outlive the backend.
 * threads <= 1: run on the calling thread.
 */
int emo__nn_xnn_create(EmoNnXnn **out, const EmoNnGraph *g, float *const *inputs, float *const *outputs, int threads,
                       const char *path);
int emo__nn_xnn_run(EmoNnXnn *x);
int emo__nn_xnn_threads(const EmoNnXnn *x);
void emo__nn_xnn_destroy(EmoNnXnn **x);

/* Bytes a buffer handed to the backend must have readable past its end. */
#define EMO_NN_BUFFER_SLACK 64

#endif
