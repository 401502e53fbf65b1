/* libFuzzer target: the TFLite flatbuffer reader and the graph validator. */
#include <stdint.h>
#include <stdlib.h>

#include "nn/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A level below ERROR does not silence (EmoLogLevel is unsigned): drop
 * messages in the callback instead. */
static void discard(void *user, EmoLogLevel level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const EmoLogger quiet = { discard, NULL, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &quiet);
    if (emo__nn_load_tflite(&g, data, size, "fuzz") == 0 && emo__nn_graph_validate(&g) == 0)
        (void)emo__nn_graph_macs(&g);
    emo__nn_graph_free(&g);
    return 0;
}
