/* Test-only helpers of the render tests: one decoded video frame as BGRA
 * (FFmpeg, letterboxed into any size), PNG read-back and pixel checks.
 * Header-only because only test_*.c files are built. */
#ifndef EMOSCOPE_RENDER_TESTUTIL_H
#define EMOSCOPE_RENDER_TESTUTIL_H

#include <cairo.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/frame.h>

#include "testutil.h"

/* A new BGRA frame of w x h, every pixel the 32-bit value argb (0xAARRGGBB). */
static inline EmoFrame *rt_solid_frame(int w, int h, uint32_t argb)
{
    EmoFrame *out = NULL;
    assert_int_equal(emo_frame_alloc(&out, EMO_PIX_BGRA, w, h), 0);
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(out->data[0] + (size_t)y * out->stride[0]);
        for (int x = 0; x < w; x++)
            row[x] = argb;
    }
    return out;
}

/* Decodes frame number `index` of a video file and letterboxes it (aspect
 * kept, black bars) into a new BGRA frame of w x h. Fails the test on error. */
static inline EmoFrame *rt_decode_frame(const char *path, int index, int w, int h)
{
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0)
        fail_msg("cannot open %s", path);
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (si < 0)
        fail_msg("%s: no video stream", path);
    const AVCodec *codec = avcodec_find_decoder(fmt->streams[si]->codecpar->codec_id);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    if (!codec || !dec || avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar) < 0 ||
        avcodec_open2(dec, codec, NULL) < 0)
        fail_msg("%s: cannot open the decoder", path);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    int seen = -1, got = 0;
    while (!got && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0) {
            while (!got && avcodec_receive_frame(dec, fr) >= 0) {
                if (++seen == index)
                    got = 1;
                else
                    av_frame_unref(fr);
            }
        }
        av_packet_unref(pkt);
    }
    if (!got)
        fail_msg("%s: frame %d not found", path, index);
    EmoFrame *out = rt_solid_frame(w, h, 0xff000000u);
    double sc = (double)w / fr->width < (double)h / fr->height ? (double)w / fr->width : (double)h / fr->height;
    int dw = (int)(fr->width * sc + 0.5), dh = (int)(fr->height * sc + 0.5);
    int ox = (w - dw) / 2, oy = (h - dh) / 2;
    struct SwsContext *sws = sws_getContext(fr->width, fr->height, fr->format, dw, dh, AV_PIX_FMT_BGRA,
                                            SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws)
        fail_msg("swscale context");
    uint8_t *dst[4] = { out->data[0] + (size_t)oy * out->stride[0] + (size_t)ox * 4, NULL, NULL, NULL };
    int dst_stride[4] = { out->stride[0], 0, 0, 0 };
    sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst, dst_stride);
    sws_freeContext(sws);
    out->pts = index / 30.0;
    out->index = index;
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return out;
}

static inline const uint8_t *rt_px(const EmoFrame *f, int x, int y)
{
    return f->data[0] + (size_t)y * f->stride[0] + (size_t)x * 4;
}

/* |B-b|, |G-g|, |R-r| all within tol (frame bytes are B, G, R, A). */
static inline int rt_near(const uint8_t *p, const uint8_t rgb[3], int tol)
{
    return abs(p[2] - rgb[0]) <= tol && abs(p[1] - rgb[1]) <= tol && abs(p[0] - rgb[2]) <= tol;
}

/* Pixels in [x0,x0+w) x [y0,y0+h) (clipped) within tol of rgb. */
static inline int rt_count_color(const EmoFrame *f, double x0, double y0, double w, double h, const uint8_t rgb[3],
                          int tol)
{
    int xa = x0 < 0 ? 0 : (int)x0, ya = y0 < 0 ? 0 : (int)y0;
    int xb = (int)(x0 + w) > f->width ? f->width : (int)(x0 + w);
    int yb = (int)(y0 + h) > f->height ? f->height : (int)(y0 + h);
    int n = 0;
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++)
            n += rt_near(rt_px(f, x, y), rgb, tol);
    return n;
}

/* Reads a PNG with Cairo; returns its surface (caller destroys), fails on error. */
static inline cairo_surface_t *rt_read_png(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        fail_msg("cannot read PNG %s: %s", path, cairo_status_to_string(cairo_surface_status(s)));
    return s;
}

/* Standard deviation of the gray level of an ARGB32 surface (0 = blank). */
static inline double rt_surface_stddev(cairo_surface_t *s)
{
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int st = cairo_image_surface_get_stride(s);
    const uint8_t *d = cairo_image_surface_get_data(s);
    double sum = 0, sum2 = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = d + (size_t)y * st + (size_t)x * 4;
            double g = (p[0] + p[1] + p[2]) / 3.0;
            sum += g;
            sum2 += g * g;
        }
    double n = (double)w * h, m = sum / n;
    double v = sum2 / n - m * m;
    return v > 0 ? sqrt(v) : 0;
}

#endif
