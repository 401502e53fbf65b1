/* libFuzzer target: a video source on arbitrary bytes (demux, decode,
 * convert, error paths, capture thread shutdown). */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/emo-fuzz-video-XXXXXX";
    if (emo_fuzz_write_temp(path, data, size))
        return 0;
    emo_video_ffmpeg_log_level(EMO_LOG_ERROR);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = path;
    s.max_frames = 64; /* bounded work per input */
    s.decode_threads = 1;
    s.out_width = 64; /* small output: the fuzzer wants many inputs per second */
    s.out_height = 64;
    s.log = &emo_fuzz_quiet;
    EmoVideoSource *src = NULL;
    if (emo_video_open(&src, &s) == 0) {
        EmoFrame *f;
        while (emo_video_read(src, &f, 10) == 0)
            emo_frame_unref(&f);
        emo_video_close(&src);
    }
    unlink(path);
    return 0;
}
