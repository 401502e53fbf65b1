/*
 * Shared by the pieces of the Keras reader (private to src/nn): keras.c
 * (entry point and model_config JSON), deepface.c (DeepFace's fixed layout)
 * and keras_layers.c (Keras layers to graph nodes, used by both). The file
 * itself is read through hdf5.h.
 */
#ifndef EMOSCOPE_NN_KERAS_INTERNAL_H
#define EMOSCOPE_NN_KERAS_INTERNAL_H

#include "nn/graph.h"
#include "nn/hdf5.h"

#include <cjson/cJSON.h>

#define MAX_LAYERS 4096
#define MAX_CHANNELS 65536
#define MAX_KERNEL 64
#define MAX_STRIDE 64
#define MAX_SPATIAL 8192
#define MAX_TENSOR_ELEMS EMO_H5_MAX_TENSOR_ELEMS
#define MAX_ACT_TOTAL (64u << 20)      /* floats of activations in one model */
#define MAX_MACS 2000000000ull         /* per inference: 30x big-Xception */

typedef struct Layer {
    char name[96];
    int tensor;               /* the layer's output tensor, -1 until built */
    int node;                 /* node producing it, when this layer is its only way out; else -1 */
    int consumers;            /* layers (and model outputs) reading this layer */
} Layer;

typedef struct Ctx {
    EmoNnGraph *g;
    EmoH5 h;                  /* the file; its path names it in messages */
    Layer *layers;
    int n_layers;
    size_t act_total;
} Ctx;

typedef struct ConvSpec {
    int depthwise;
    int kh, kw, sh, sw, dh, dw;
    int same;                 /* TF SAME padding, else VALID */
    int cout;                 /* output channels */
    int mult;                 /* depthwise multiplier */
} ConvSpec;

static inline const EmoNnTensor *T(const Ctx *c, int id)
{
    return &c->g->tensors[id];
}

/* Logs "keras: <path>: <message>" as an error and returns code. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int emo__keras_fail(Ctx *c, int code, const char *fmt, ...);

/* An activation tensor, counted against MAX_ACT_TOTAL. Returns its id or a
 * negative error (reported). */
int emo__keras_new_act(Ctx *c, const char *name, int rank, const int *shape);
/* A node of op on ins with a new output tensor *out_t of the given shape.
 * Returns the node index or a negative error. */
int emo__keras_emit_simple(Ctx *c, EmoNnOp op, const char *tname, const int *ins, int n_in, int rank,
                           const int *shape, int *out_t);

/* Applies Keras activation `act` to *t, produced by node *node (-1 when
 * shared), fusing a ReLU into the producer where it can (see
 * keras_layers.c); t and node then describe the result. */
int emo__keras_activation(Ctx *c, const char *layer, const char *act, int *t, int *node, int own_input);

/* Layers whose weights are read from lw. Each returns the index of the node
 * producing *out_t, or a negative error. */
int emo__keras_conv2d(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, const ConvSpec *k, int use_bias,
                      int *out_t);
int emo__keras_separable(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, const ConvSpec *k,
                         int use_bias, int *out_t);
int emo__keras_dense(Ctx *c, const char *layer, const EmoH5Weights *lw, int in_t, int units, int use_bias,
                     int *out_t);
/* BatchNormalization (cfg: its Keras config) of in_t, produced by in_node
 * (-1 when shared): 0 or a negative error; *out_t and *out_node as for
 * emo__keras_activation. */
int emo__keras_bn(Ctx *c, const char *layer, const EmoH5Weights *lw, const cJSON *cfg, int in_t, int in_node,
                  int *out_t, int *out_node);

/* Weightless layers: the node index (pool) or 0 (flatten, which may be no
 * node at all), or a negative error. */
int emo__keras_pool(Ctx *c, const char *layer, EmoNnOp op, int in_t, const ConvSpec *k, int *out_t);
int emo__keras_flatten(Ctx *c, const char *layer, int in_t, int *out_t, int *node);

/* DeepFace's emotion model from a weights-only file (deepface.c). */
int emo__keras_load_deepface(Ctx *c);

#endif
