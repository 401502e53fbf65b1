/* libFuzzer target: the TFLite flatbuffer reader and the graph validator. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"

#include "nn/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EmoNnGraph g;
    emo__nn_graph_init(&g, &emo_fuzz_quiet);
    if (emo__nn_load_tflite(&g, data, size, "fuzz") == 0 && emo__nn_graph_validate(&g) == 0)
        (void)emo__nn_graph_macs(&g);
    emo__nn_graph_free(&g);
    return 0;
}
