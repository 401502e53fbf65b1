/* libFuzzer target: the online emotion API's answer parser. */
#include <emoscope/emotion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) /* the client refuses larger answers before parsing */
        return 0;
    float p[EMO_EMOTION_COUNT];
    char err[160];
    if (emo_api_parse_response((const char *)data, size, p, err, sizeof(err)) == 0) {
        double s = 0;
        for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
            if (!(p[k] >= 0 && p[k] <= 1))
                abort();
            s += p[k];
        }
        if (fabs(s - 1) > 1e-4)
            abort();
    }
    return 0;
}
