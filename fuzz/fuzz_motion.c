/* libFuzzer target: the face-motion API on arbitrary faces, landmarks (with
 * NaN and far-out values) and time stamps, including ones that go back. */
#include <emoscope/motion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "io/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SIDE 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };
    if (size < 4)
        return 0;
    EmoMotionSettings s;
    emo_motion_default_settings(&s);
    s.frame_gap = 1 + data[0] % 3;
    s.compensate = data[1] & 1;
    s.release_frames = 1 + data[2] % 4;
    EmoMotion *m = NULL;
    if (emo_motion_open(&m, &s, SIDE, &quiet))
        return 0;
    static float lm[2 * EMO_MESH_POINTS];
    uint8_t face[SIDE * SIDE];
    double pts = 0;
    int64_t frame = 0;
    size_t pos = 4;
    for (int it = 0; it < 48 && pos + 2 <= size; it++) { /* bounded work per input */
        uint8_t ctl = data[pos], step = data[pos + 1];
        pos += 2;
        for (int i = 0; i < SIDE * SIDE; i++)
            face[i] = data[(pos + (size_t)i) % size];
        pos += SIDE * SIDE / 4; /* faces overlap: more frames from little input */
        const float *l = NULL;
        if (ctl & 1) {
            for (int i = 0; i < 2 * EMO_MESH_POINTS; i++) {
                uint8_t b = data[(pos + (size_t)i) % size];
                lm[i] = b == 255 ? NAN : b == 254 ? 1e30f : ((float)b - 64.0f) * 0.5f;
            }
            l = lm;
        }
        /* Mostly forward in time; sometimes a repeated or earlier stamp. */
        if (!(ctl & 6)) {
            pts -= step / 1000.0;
        } else {
            pts += (step + 1) / 100.0;
            frame += 1 + (ctl >> 5);
        }
        EmoMotionFrame r;
        if (emo_motion_push(m, face, SIDE, l, pts, frame, &r) == 0) {
            /* The records of whatever came out (NaN, huge values) must build. */
            cJSON_Delete(emo__record_motion(&r));
            for (int i = 0; i < r.n_events; i++)
                cJSON_Delete(emo__record_event(emo_motion_event(m, i), 0));
        }
        if (ctl == 0x80)
            emo_motion_reset(m);
    }
    int n = emo_motion_flush(m);
    for (int i = 0; i < n; i++)
        (void)emo_motion_event(m, i);
    emo_motion_close(&m);
    return 0;
}
