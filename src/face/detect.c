/* BlazeFace short- and full-range: anchors, decoding, weighted NMS, letterbox. */
#include <math.h>
#include <string.h>

#include "face_priv.h"

/*
 * MediaPipe's SsdAnchorsCalculator with fixed_anchor_size (every width and
 * height 1) and anchor_offset 0.5. Short-range (face_detection_short_range
 * options): 4 layers, strides 8, 16, 16, 16; consecutive layers of one
 * stride share a grid and each layer adds 2 anchors per cell (aspect ratio
 * 1 and the interpolated scale), so 2 per cell on the 16x16 grid and 6 per
 * cell on the 8x8 grid. Full-range (face_detection_full_range options): one
 * layer of stride 4 without the interpolated scale, one anchor per cell of
 * the 48x48 grid.
 */
static const EmoDetSpec specs[2] = {
    { EMO_DET_SHORT, 128, 896, 4, { 8, 16, 16, 16 }, 2, "face_detection_short_range.tflite", "BlazeFace short-range" },
    { EMO_DET_FULL, 192, 2304, 1, { 4 }, 1, "face_detection_full_range.tflite", "BlazeFace full-range" },
};

const EmoDetSpec *emo__det_spec(EmoDetKind kind)
{
    return &specs[kind == EMO_DET_FULL];
}

void emo__det_anchors(const EmoDetSpec *spec, float (*anchors)[2])
{
    int k = 0, layer = 0;
    while (layer < spec->layers) {
        int last = layer;
        while (last + 1 < spec->layers && spec->strides[last + 1] == spec->strides[layer])
            last++;
        int per_cell = spec->per_layer * (last - layer + 1);
        int grid = spec->size / spec->strides[layer];
        for (int y = 0; y < grid; y++)
            for (int x = 0; x < grid; x++)
                for (int a = 0; a < per_cell; a++) {
                    anchors[k][0] = (x + 0.5f) / grid;
                    anchors[k][1] = (y + 0.5f) / grid;
                    k++;
                }
        layer = last + 1;
    }
}

void emo__bf_anchors(float (*anchors)[2])
{
    emo__det_anchors(emo__det_spec(EMO_DET_SHORT), anchors);
}

static float sigmoid_clipped(float logit)
{
    if (!(logit == logit)) /* NaN from a broken model: never a face */
        return 0.0f;
    if (logit > EMO_BF_SCORE_CLIP)
        logit = EMO_BF_SCORE_CLIP;
    if (logit < -EMO_BF_SCORE_CLIP)
        logit = -EMO_BF_SCORE_CLIP;
    return 1.0f / (1.0f + expf(-logit));
}

int emo__det_decode(const EmoDetSpec *spec, const float *reg, const float *logits, const float (*anchors)[2],
                    float min_score, EmoDetection *out, int max)
{
    int n = 0;
    for (int i = 0; i < spec->anchors && n < max; i++) {
        float s = sigmoid_clipped(logits[i]);
        if (s < min_score)
            continue;
        const float *r = reg + (size_t)i * EMO_BF_COORDS;
        const float ax = anchors[i][0], ay = anchors[i][1], inv = 1.0f / (float)spec->size;
        /* Order x, y, w, h (MediaPipe's reverse_output_order), in input
         * pixels (x_scale = w_scale = the input side for both models). */
        float cx = r[0] * inv + ax, cy = r[1] * inv + ay;
        float w = r[2] * inv, h = r[3] * inv;
        if (!(w > 0.0f && h > 0.0f) || !isfinite(cx) || !isfinite(cy))
            continue;
        EmoDetection *d = &out[n++];
        d->x = cx - 0.5f * w;
        d->y = cy - 0.5f * h;
        d->w = w;
        d->h = h;
        d->score = s;
        for (int k = 0; k < EMO_FACE_KEYPOINTS; k++) {
            d->kp[k][0] = r[4 + 2 * k] * inv + ax;
            d->kp[k][1] = r[5 + 2 * k] * inv + ay;
        }
    }
    return n;
}

int emo__bf_decode(const float *reg, const float *logits, const float (*anchors)[2], float min_score,
                   EmoDetection *out, int max)
{
    return emo__det_decode(emo__det_spec(EMO_DET_SHORT), reg, logits, anchors, min_score, out, max);
}

float emo__iou(const float a[4], const float b[4])
{
    float x0 = fmaxf(a[0], b[0]), y0 = fmaxf(a[1], b[1]);
    float x1 = fminf(a[0] + a[2], b[0] + b[2]), y1 = fminf(a[1] + a[3], b[1] + b[3]);
    if (x1 <= x0 || y1 <= y0)
        return 0.0f;
    float inter = (x1 - x0) * (y1 - y0);
    float uni = a[2] * a[3] + b[2] * b[3] - inter;
    return uni > 0.0f ? inter / uni : 0.0f;
}

static float det_iou(const EmoDetection *a, const EmoDetection *b)
{
    const float ba[4] = { a->x, a->y, a->w, a->h }, bb[4] = { b->x, b->y, b->w, b->h };
    return emo__iou(ba, bb);
}

int emo__weighted_nms(EmoDetection *d, int n, float iou, EmoDetection *out, int max)
{
    /* Insertion sort by score, descending: n is small (a few dozen at most). */
    for (int i = 1; i < n; i++) {
        EmoDetection t = d[i];
        int j = i - 1;
        while (j >= 0 && d[j].score < t.score) {
            d[j + 1] = d[j];
            j--;
        }
        d[j + 1] = t;
    }
    int m = 0, remaining = n;
    while (remaining > 0 && m < max) {
        const EmoDetection top = d[0];
        double wsum = 0.0, acc[4 + 2 * EMO_FACE_KEYPOINTS] = { 0 };
        int kept = 0;
        for (int i = 0; i < remaining; i++) {
            if (i > 0 && det_iou(&top, &d[i]) <= iou) {
                d[kept++] = d[i]; /* stays for a later round, order kept */
                continue;
            }
            double w = d[i].score;
            wsum += w;
            acc[0] += w * d[i].x;
            acc[1] += w * d[i].y;
            acc[2] += w * (d[i].x + d[i].w);
            acc[3] += w * (d[i].y + d[i].h);
            for (int k = 0; k < EMO_FACE_KEYPOINTS; k++) {
                acc[4 + 2 * k] += w * d[i].kp[k][0];
                acc[5 + 2 * k] += w * d[i].kp[k][1];
            }
        }
        remaining = kept;
        EmoDetection *o = &out[m++];
        *o = top;
        if (wsum > 0.0) {
            o->x = (float)(acc[0] / wsum);
            o->y = (float)(acc[1] / wsum);
            o->w = (float)(acc[2] / wsum) - o->x;
            o->h = (float)(acc[3] / wsum) - o->y;
            for (int k = 0; k < EMO_FACE_KEYPOINTS; k++) {
                o->kp[k][0] = (float)(acc[4 + 2 * k] / wsum);
                o->kp[k][1] = (float)(acc[5 + 2 * k] / wsum);
            }
        }
    }
    return m;
}

void emo__letterbox_to(int w, int h, int size, float m[6])
{
    /* The input shows the frame's centred bounding square (padding on the short side). */
    float side = (float)(w > h ? w : h);
    float k = side / (float)size;
    m[0] = k;
    m[1] = 0.0f;
    m[2] = 0.5f * ((float)w - side);
    m[3] = 0.0f;
    m[4] = k;
    m[5] = 0.5f * ((float)h - side);
}

void emo__letterbox(int w, int h, float m[6])
{
    emo__letterbox_to(w, h, EMO_BF_SIZE, m);
}

static void map_point(const float m[6], float *x, float *y)
{
    float px = *x, py = *y;
    *x = m[0] * px + m[1] * py + m[2];
    *y = m[3] * px + m[4] * py + m[5];
}

void emo__detection_map(EmoDetection *d, const float m[6], float size)
{
    /* m is axis-aligned here (letterbox): map the corners. */
    float x0 = d->x * size, y0 = d->y * size, x1 = (d->x + d->w) * size, y1 = (d->y + d->h) * size;
    map_point(m, &x0, &y0);
    map_point(m, &x1, &y1);
    d->x = fminf(x0, x1);
    d->y = fminf(y0, y1);
    d->w = fabsf(x1 - x0);
    d->h = fabsf(y1 - y0);
    for (int k = 0; k < EMO_FACE_KEYPOINTS; k++) {
        d->kp[k][0] *= size;
        d->kp[k][1] *= size;
        map_point(m, &d->kp[k][0], &d->kp[k][1]);
    }
}
