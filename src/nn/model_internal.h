/* Internal entry points of src/nn/model.c (tests and fuzz targets). */
#ifndef EMOSCOPE_NN_MODEL_INTERNAL_H
#define EMOSCOPE_NN_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/nn.h>

/* emo_nn_open on a TFLite file already in memory (buf is not kept). */
int emo__nn_open_memory(EmoNnModel **out, const uint8_t *buf, size_t size, const char *name, const EmoNnSettings *s);

#endif
