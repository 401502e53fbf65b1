/* Test-only helpers of the motion tests (header-only: every test_*.c is its
 * own program): PNG and .flo readers, a small FFmpeg decoder of video
 * frames and still images to gray, the canonical face model's landmarks,
 * and a smooth local warp used to inject movements. */
#ifndef EMOSCOPE_TESTS_MOTION_MTEST_H
#define EMOSCOPE_TESTS_MOTION_MTEST_H

#include "testutil.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include <emoscope/motion.h>

#include "face/face_priv.h"
#include "motion/motion_internal.h"

typedef struct MtGray {
    int w, h;
    uint8_t *px; /* w*h, stride w */
} MtGray;

/* BT.601 luma in 14-bit fixed point (the weights 0.299, 0.587, 0.114). */
static inline uint8_t mt_luma(int r, int g, int b)
{
    return (uint8_t)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
}

static inline MtGray mt_load_png_gray(const char *path)
{
    MtGray g = { 0, 0, NULL };
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(s);
    g.w = cairo_image_surface_get_width(s);
    g.h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const uint8_t *d = cairo_image_surface_get_data(s);
    g.px = malloc((size_t)g.w * (size_t)g.h);
    assert_non_null(g.px);
    for (int y = 0; y < g.h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * (size_t)stride);
        for (int x = 0; x < g.w; x++) {
            uint32_t p = row[x]; /* ARGB32 or RGB24, native endian, opaque here */
            g.px[(size_t)y * (size_t)g.w + (size_t)x] = mt_luma((p >> 16) & 255, (p >> 8) & 255, p & 255);
        }
    }
    cairo_surface_destroy(s);
    return g;
}

/* Middlebury .flo: "PIEH" as float 202021.25, int32 w, h, then u,v pairs. */
static inline float *mt_load_flo(const char *path, int *w, int *h)
{
    size_t size;
    uint8_t *d = emo_test_read_file(path, &size);
    assert_true(size >= 12);
    float tag;
    int32_t ww, hh;
    memcpy(&tag, d, 4);
    memcpy(&ww, d + 4, 4);
    memcpy(&hh, d + 8, 4);
    assert_true(tag == 202021.25f);
    assert_true(ww > 0 && hh > 0 && ww < 100000 && hh < 100000);
    assert_int_equal(size, 12 + (size_t)ww * (size_t)hh * 8);
    float *f = malloc((size_t)ww * (size_t)hh * 8);
    assert_non_null(f);
    memcpy(f, d + 12, (size_t)ww * (size_t)hh * 8);
    free(d);
    *w = ww;
    *h = hh;
    return f;
}

/* Decodes up to max_frames frames of a video (or one still image) to gray,
 * frame i at out + i*w*h; returns the number of frames; fps receives the
 * stream's frame rate. */
static inline int mt_decode_gray(const char *path, int max_frames, MtGray *frames, double *fps)
{
    AVFormatContext *fmt = NULL;
    av_log_set_level(AV_LOG_ERROR);
    assert_int_equal(avformat_open_input(&fmt, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    assert_true(si >= 0);
    AVStream *st = fmt->streams[si];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    assert_non_null(codec);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    assert_non_null(dec);
    assert_int_equal(avcodec_parameters_to_context(dec, st->codecpar), 0);
    dec->thread_count = 1;
    assert_int_equal(avcodec_open2(dec, codec, NULL), 0);
    if (fps)
        *fps = st->avg_frame_rate.den ? av_q2d(st->avg_frame_rate) : 25.0;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    struct SwsContext *sws = NULL;
    int n = 0, eof = 0;
    while (n < max_frames) {
        int r = avcodec_receive_frame(dec, fr);
        if (r == 0) {
            MtGray *g = &frames[n++];
            g->w = fr->width;
            g->h = fr->height;
            g->px = malloc((size_t)g->w * (size_t)g->h);
            assert_non_null(g->px);
            sws = sws_getCachedContext(sws, fr->width, fr->height, (enum AVPixelFormat)fr->format, g->w, g->h,
                                       AV_PIX_FMT_GRAY8, SWS_BILINEAR, NULL, NULL, NULL);
            assert_non_null(sws);
            uint8_t *dst[4] = { g->px, NULL, NULL, NULL };
            int dstride[4] = { g->w, 0, 0, 0 };
            sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst, dstride);
            av_frame_unref(fr);
            continue;
        }
        if (r == AVERROR_EOF)
            break;
        assert_true(r == AVERROR(EAGAIN));
        if (eof)
            break;
        r = av_read_frame(fmt, pkt);
        if (r < 0) {
            eof = 1;
            avcodec_send_packet(dec, NULL);
            continue;
        }
        if (pkt->stream_index == si)
            (void)avcodec_send_packet(dec, pkt); /* a corrupt packet is skipped; the frame count is checked */
        av_packet_unref(pkt);
    }
    sws_freeContext(sws);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return n;
}

/* Shrinks an image by an integer factor k (box average), in place. */
static inline void mt_shrink(MtGray *g, int k)
{
    int w = g->w / k, h = g->h / k;
    uint8_t *d = malloc((size_t)w * (size_t)h);
    assert_non_null(d);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int acc = 0;
            for (int j = 0; j < k; j++)
                for (int i = 0; i < k; i++)
                    acc += g->px[(size_t)(y * k + j) * (size_t)g->w + (size_t)(x * k + i)];
            d[y * w + x] = (uint8_t)((acc + k * k / 2) / (k * k));
        }
    free(g->px);
    g->px = d;
    g->w = w;
    g->h = h;
}

/* Bilinear sample of an 8-bit image with clamped borders. */
static inline float mt_sample(const uint8_t *img, int w, int h, ptrdiff_t stride, float x, float y)
{
    if (x < 0)
        x = 0;
    if (y < 0)
        y = 0;
    if (x > (float)(w - 1))
        x = (float)(w - 1);
    if (y > (float)(h - 1))
        y = (float)(h - 1);
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float ax = x - (float)x0, ay = y - (float)y0;
    float a = img[y0 * stride + x0], b = img[y0 * stride + x1], c = img[y1 * stride + x0], d = img[y1 * stride + x1];
    return (1 - ay) * ((1 - ax) * a + ax * b) + ay * ((1 - ax) * c + ax * d);
}

static inline uint8_t mt_clamp8(float v)
{
    v = floorf(v + 0.5f);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Crops a square of a gray frame, resized to size x size through a
 * similarity: output pixel p samples the source at
 * centre + R(angle) * (side / size / zoom) * (p - size/2 - t), after moving
 * p by local displacements: smooth plateaus ("soft boxes" with logistic
 * edges) of displacement (bdx, bdy) output px over a box centred at
 * (bx, by) with half sizes (bhw, bhh). Moving content by +d means sampling
 * at p - d; inside a plateau that is exact. */
typedef struct MtWarp {
    double cx, cy, side;     /* source box centre and side, source px */
    double angle, zoom;      /* radians, ratio (1 = none) */
    double tx, ty;           /* output px */
    int nbump;
#define MT_MAX_BUMPS 8
    double bx[MT_MAX_BUMPS], by[MT_MAX_BUMPS], bhw[MT_MAX_BUMPS], bhh[MT_MAX_BUMPS], bdx[MT_MAX_BUMPS], bdy[MT_MAX_BUMPS];
} MtWarp;

#define MT_SOFT 1.5 /* px: width of a plateau's edges */

static inline double mt_plateau(double d, double half)
{
    return 1.0 / (1.0 + exp((fabs(d) - half) / MT_SOFT));
}

static inline void mt_warp(const MtGray *src, const MtWarp *wp, int size, uint8_t *out)
{
    double s = wp->side / size / wp->zoom;
    double ca = cos(wp->angle), sa = sin(wp->angle);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            /* Moving content by +d means sampling at p - d. */
            double px = x + 0.5, py = y + 0.5;
            for (int i = 0; i < wp->nbump; i++) {
                double g = mt_plateau(px - wp->bx[i], wp->bhw[i]) * mt_plateau(py - wp->by[i], wp->bhh[i]);
                px -= wp->bdx[i] * g;
                py -= wp->bdy[i] * g;
            }
            /* Box-filtered supersampling against aliasing when shrinking. */
            int ns = s > 1 ? (int)ceil(s) : 1;
            if (ns > 4)
                ns = 4;
            double acc = 0;
            for (int j = 0; j < ns; j++)
                for (int i = 0; i < ns; i++) {
                    double qx = px + (i + 0.5) / ns - 0.5 - wp->tx - size / 2.0;
                    double qy = py + (j + 0.5) / ns - 0.5 - wp->ty - size / 2.0;
                    double sx = wp->cx + s * (ca * qx - sa * qy), sy = wp->cy + s * (sa * qx + ca * qy);
                    acc += mt_sample(src->px, src->w, src->h, src->w, (float)(sx - 0.5), (float)(sy - 0.5));
                }
            out[y * size + x] = mt_clamp8((float)(acc / (ns * ns)));
        }
}

/* The canonical face model's 468 vertices (x right, y up), projected to x, y
 * and scaled into a size x size face: the bounding box of the vertices is
 * centred and its larger side takes 0.9 of the face (docs/motion.md). */
static inline void mt_canonical_landmarks(int size, float *pts)
{
    EmoCanonicalFace c;
    char err[256];
    assert_int_equal(emo__obj_load(emo_test_shared("models/canonical_face_model.obj"), &c, err, sizeof(err)), 0);
    emo__canonical_front(&c, size, pts);
}

/* An injected movement: region moved by (dx, dy) px at its peak, over
 * frames start .. start+len-1 with a raised-cosine profile. */
typedef struct MtInject {
    int region;
    double dx, dy;
    int start, len;
} MtInject;

static inline double mt_profile(const MtInject *in, int frame)
{
    if (frame < in->start || frame >= in->start + in->len)
        return 0;
    return 0.5 * (1 - cos(2 * 3.14159265358979323846 * (frame - in->start + 1) / (in->len + 1)));
}

/* Adds to w the plateaus of the injections active at frame: each covers
 * its region's landmark box grown by MT_MARGIN px, so that the whole box
 * the detector averages over (grown by 3 % of the face) moves. */
#define MT_MARGIN 4.5
static inline void mt_add_injections(MtWarp *w, const float *lm, const MtInject *inj, int ninj, int frame)
{
    for (int i = 0; i < ninj && w->nbump < MT_MAX_BUMPS; i++) {
        double a = mt_profile(&inj[i], frame);
        if (a <= 0)
            continue;
        int n;
        const int *idx = emo_region_landmarks(inj[i].region, &n);
        double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
        for (int j = 0; j < n; j++) {
            x0 = fmin(x0, lm[2 * idx[j]]);
            x1 = fmax(x1, lm[2 * idx[j]]);
            y0 = fmin(y0, lm[2 * idx[j] + 1]);
            y1 = fmax(y1, lm[2 * idx[j] + 1]);
        }
        int b = w->nbump++;
        /* Landmark coordinates are pixel indices; the warp works on pixel centres. */
        w->bx[b] = (x0 + x1) / 2 + 0.5;
        w->by[b] = (y0 + y1) / 2 + 0.5;
        w->bhw[b] = (x1 - x0) / 2 + MT_MARGIN;
        w->bhh[b] = (y1 - y0) / 2 + MT_MARGIN;
        w->bdx[b] = a * inj[i].dx;
        w->bdy[b] = a * inj[i].dy;
    }
}

typedef struct MtEvents {
    EmoMotionEvent ev[512];
    int n;
    int speaking;        /* pushes with the speaking flag on (test_clips' runs) */
} MtEvents;

static inline void mt_collect(EmoMotion *m, int n, MtEvents *out)
{
    for (int i = 0; i < n && out->n < 512; i++)
        out->ev[out->n++] = *emo_motion_event(m, i);
}

typedef struct MtScore {
    int injected, found;
    int collateral;      /* events in other regions during an injection */
    int unexplained;     /* events overlapping no injection */
    int micro;           /* injections found whose event is of class micro */
} MtScore;

static inline double mt_iou(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    int64_t i0 = a0 > b0 ? a0 : b0, i1 = a1 < b1 ? a1 : b1;
    int64_t u0 = a0 < b0 ? a0 : b0, u1 = a1 > b1 ? a1 : b1;
    return i1 < i0 ? 0 : (double)(i1 - i0 + 1) / (double)(u1 - u0 + 1);
}

/* An injection is found when an expression event (any class: micro, macro
 * or twitch) of its region and direction class overlaps its frames with
 * IoU >= 0.5. Matching is one-to-one: an event found for one injection
 * cannot count for another (injections in order, each takes its unused
 * matching event of largest IoU). */
static inline void mt_score(const MtEvents *e, const MtInject *inj, int ninj, MtScore *sc, const char *tag)
{
    unsigned char used[512] = { 0 };
    for (int i = 0; i < ninj; i++) {
        const MtInject *in = &inj[i];
        EmoDirection want = emo_direction_classify(in->dx, in->dy);
        int ok = 0, pick = -1;
        double best = 0, pick_iou = 0;
        for (int j = 0; j < e->n; j++) {
            const EmoMotionEvent *ev = &e->ev[j];
            double iou = mt_iou(ev->onset, ev->offset, in->start, in->start + in->len - 1);
            if ((int)ev->region == in->region && iou > best)
                best = iou;
            if ((int)ev->region == in->region && ev->direction == want && iou >= 0.5 &&
                ev->type == EMO_EVENT_EXPRESSION) {
                if (!used[j] && iou > pick_iou) {
                    pick = j;
                    pick_iou = iou;
                }
            } else if (iou > 0 && (int)ev->region != in->region) {
                sc->collateral++;
            }
        }
        if (pick >= 0) {
            used[pick] = 1;
            ok = 1;
            sc->micro += e->ev[pick].micro;
        }
        sc->injected++;
        sc->found += ok;
        if (!ok) {
            print_message("%s: MISSED %s %s %.2f px over frames %d..%d (best IoU in region %.2f)\n", tag,
                          emo_region_name(in->region), emo_direction_name(want), hypot(in->dx, in->dy), in->start,
                          in->start + in->len - 1, best);
            for (int j = 0; j < e->n; j++) {
                const EmoMotionEvent *ev = &e->ev[j];
                if ((int)ev->region == in->region && ev->offset >= in->start - 10 &&
                    ev->onset <= in->start + in->len + 10)
                    print_message("    nearby: %s %s frames %lld..%lld apex %lld, %s, %.2f (%.2f, %.2f px)\n",
                                  emo_event_type_name(ev->type), emo_region_name(ev->region), (long long)ev->onset, (long long)ev->offset,
                                  (long long)ev->apex, emo_direction_name(ev->direction),
                                  (double)ev->peak_magnitude, (double)ev->peak_dx, (double)ev->peak_dy);
            }
        }
    }
    for (int j = 0; j < e->n; j++) {
        int hit = 0;
        for (int i = 0; i < ninj; i++)
            hit |= mt_iou(e->ev[j].onset, e->ev[j].offset, inj[i].start, inj[i].start + inj[i].len - 1) > 0;
        sc->unexplained += !hit;
    }
}

static inline void mt_print_events(const MtEvents *e, const char *tag)
{
    for (int j = 0; j < e->n; j++) {
        const EmoMotionEvent *v = &e->ev[j];
        const char *cls = emo_event_class_name(v->cls);
        print_message("%s event: %s %s %s %s frames %lld-%lld-%lld (%.3f s) magnitude %.3f\n", tag,
                      emo_event_type_name(v->type), cls ? cls : "-", emo_region_name(v->region),
                      emo_direction_name(v->direction), (long long)v->onset, (long long)v->apex,
                      (long long)v->offset, v->duration, (double)v->peak_magnitude);
    }
}

#endif
