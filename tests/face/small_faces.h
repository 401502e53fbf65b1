/* Test-only scenes of small faces (issue 17): the shared stills' faces
 * measured at full size, then made small by an area filter (tm_resample) and
 * placed on a mid-gray canvas; used by tests/face/test_small_faces.c,
 * test_small_floors.c and tests/pipeline/test_small_face.c. */
#ifndef EMOSCOPE_TESTS_SMALL_FACES_H
#define EMOSCOPE_TESTS_SMALL_FACES_H

#include <math.h>
#include <string.h>

#include <emoscope/face.h>

#include "face_media.h"

/* A face of a still at full size: its centre and EmoFace.size_px. */
typedef struct SfFace {
    float cx, cy, width;
} SfFace;

/* The faces tracker t finds on img (tracked `frames` frames as a still
 * video, from a reset tracker) into out[0..max); their number. */
static inline int sf_find_faces(EmoFaceTracker *t, EmoFaceList *list, const EmoFrame *img, int frames, SfFace *out,
                                int max)
{
    emo_face_tracker_reset(t);
    for (int k = 0; k < frames; k++)
        if (emo_face_tracker_process(t, img, list) != 0)
            return -1;
    int n = 0;
    for (int i = 0; i < list->count && n < max; i++, n++) {
        const EmoFace *f = &list->faces[i];
        out[n].cx = f->box[0] + 0.5f * f->box[2];
        out[n].cy = f->box[1] + 0.5f * f->box[3];
        out[n].width = f->size_px;
    }
    return n;
}

/* A new w x h BGRA frame, mid-gray; NULL when out of memory. */
static inline EmoFrame *sf_canvas(int w, int h)
{
    EmoFrame *f = NULL;
    if (emo_frame_alloc(&f, EMO_PIX_BGRA, w, h) < 0)
        return NULL;
    for (int y = 0; y < h; y++) {
        uint8_t *row = f->data[0] + (size_t)y * f->stride[0];
        memset(row, 128, (size_t)w * 4);
        for (int x = 0; x < w; x++)
            row[4 * x + 3] = 255;
    }
    return f;
}

/* The rectangle of img of side_w x side_h source pixels centred at (cx, cy),
 * scaled by k (area filter), pasted into dst with its centre at (px, py);
 * what falls outside dst is cut. 0, or -1 when out of memory. */
static inline int sf_paste(EmoFrame *dst, const EmoFrame *img, float cx, float cy, float side_w, float side_h, float k,
                           float px, float py)
{
    int sw = (int)lrintf(side_w), sh = (int)lrintf(side_h);
    int ow = (int)lrintf(k * side_w), oh = (int)lrintf(k * side_h);
    EmoFrame *s = tm_resample(img, (int)lrintf(cx - 0.5f * side_w), (int)lrintf(cy - 0.5f * side_h), sw, sh,
                              ow < 1 ? 1 : ow, oh < 1 ? 1 : oh);
    if (!s)
        return -1;
    int x0 = (int)lrintf(px - 0.5f * (float)s->width), y0 = (int)lrintf(py - 0.5f * (float)s->height);
    for (int y = 0; y < s->height; y++) {
        int dy = y0 + y;
        if (dy < 0 || dy >= dst->height)
            continue;
        for (int x = 0; x < s->width; x++) {
            int dx = x0 + x;
            if (dx >= 0 && dx < dst->width)
                memcpy(dst->data[0] + (size_t)dy * dst->stride[0] + 4 * (size_t)dx,
                       s->data[0] + (size_t)y * s->stride[0] + 4 * (size_t)x, 4);
        }
    }
    emo_frame_unref(&s);
    return 0;
}

#endif
