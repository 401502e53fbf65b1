/* libFuzzer target: the still-image loader of `emoscope eval` (FER2013 / CK+
 * pictures: FFmpeg demux + decode, then our conversion to gray) and the
 * resize of what it returns into a model input. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/emotion.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "emotion/image.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/emo-fuzz-image-XXXXXX";
    if (emo_fuzz_write_temp(path, data, size))
        return 0;
    uint8_t *px = NULL;
    int w = 0, h = 0;
    if (emo_emotion_image_load_gray(path, &px, &w, &h, &emo_fuzz_quiet) == 0) {
        if (!px || w < 1 || h < 1)
            abort();
        EmoImage img = { 0 };
        img.data = px;
        img.width = w;
        img.height = h;
        img.stride = w;
        img.fmt = EMO_PIX_GRAY8;
        if (emo__image_check(&img) == 0) {
            static uint8_t dst[64 * 64];
            emo__resize_u8(&img, 48, 48, 1, dst);
        }
        free(px);
    }
    unlink(path);
    return 0;
}
