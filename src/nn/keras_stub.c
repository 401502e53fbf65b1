/*
 * Placeholder for the Keras HDF5 loader (branch keras provides
 * src/nn/keras.c and deletes this file).
 */
#include "nn/graph.h"

int emo__nn_load_keras(EmoNnGraph *g, const char *path)
{
    emo_log(g->log, EMO_LOG_ERROR, "%s: Keras HDF5 models are not supported in this build (loader not merged yet)",
            path);
    return EMO_EUNSUPPORTED;
}
