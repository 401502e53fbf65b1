/* Test-only image and clip decoding straight through FFmpeg (the video module
 * owns the real sources): frames come out as BGRA EmoFrames. */
#ifndef EMOSCOPE_TESTS_FACE_MEDIA_H
#define EMOSCOPE_TESTS_FACE_MEDIA_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>

#include <emoscope/frame.h>

typedef struct TmReader {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    struct SwsContext *sws;
    AVFrame *av;
    AVPacket *pkt;
    int stream;
    int eof;
    EmoFrame *frame; /* BGRA, reused */
} TmReader;

static inline void tm_close(TmReader *r)
{
    sws_freeContext(r->sws);
    av_frame_free(&r->av);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    emo_frame_unref(&r->frame);
}

static inline int tm_open(TmReader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    if (avformat_open_input(&r->fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(r->fmt, NULL) < 0)
        goto fail;
    r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (r->stream < 0)
        goto fail;
    const AVCodec *codec = avcodec_find_decoder(r->fmt->streams[r->stream]->codecpar->codec_id);
    if (!codec || !(r->dec = avcodec_alloc_context3(codec)))
        goto fail;
    if (avcodec_parameters_to_context(r->dec, r->fmt->streams[r->stream]->codecpar) < 0)
        goto fail;
    r->dec->thread_count = 1;
    if (avcodec_open2(r->dec, codec, NULL) < 0)
        goto fail;
    r->av = av_frame_alloc();
    r->pkt = av_packet_alloc();
    if (!r->av || !r->pkt)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "cannot decode %s\n", path);
    tm_close(r);
    return -1;
}

static inline int tm_convert(TmReader *r)
{
    AVFrame *a = r->av;
    if (!r->frame && emo_frame_alloc(&r->frame, EMO_PIX_BGRA, a->width, a->height) < 0)
        return -1;
    if (r->frame->width != a->width || r->frame->height != a->height)
        return -1;
    r->sws = sws_getCachedContext(r->sws, a->width, a->height, a->format, a->width, a->height, AV_PIX_FMT_BGRA,
                                  SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!r->sws)
        return -1;
    uint8_t *dst[4] = { r->frame->data[0], NULL, NULL, NULL };
    int ds[4] = { r->frame->stride[0], 0, 0, 0 };
    sws_scale(r->sws, (const uint8_t *const *)a->data, a->linesize, 0, a->height, dst, ds);
    return 0;
}

/* Next frame (BGRA, owned by the reader); NULL at the end or on error. */
static inline EmoFrame *tm_next(TmReader *r)
{
    for (;;) {
        int rc = avcodec_receive_frame(r->dec, r->av);
        if (rc == 0) {
            int ok = tm_convert(r);
            av_frame_unref(r->av);
            return ok == 0 ? r->frame : NULL;
        }
        if (rc != AVERROR(EAGAIN) || r->eof)
            return NULL;
        rc = av_read_frame(r->fmt, r->pkt);
        if (rc < 0) {
            r->eof = 1;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (r->pkt->stream_index == r->stream)
            avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
    }
}

/* Decodes a still image into a new BGRA frame (the caller unrefs it). */
static inline EmoFrame *tm_load_image(const char *path)
{
    TmReader r;
    if (tm_open(&r, path) < 0)
        return NULL;
    EmoFrame *f = tm_next(&r);
    EmoFrame *out = f ? emo_frame_ref(f) : NULL;
    tm_close(&r);
    return out;
}

/* The rectangle (x, y, w, h) of src, pixels outside src mid-gray,
 * resampled to dw x dh by swscale's area filter (each output pixel the mean
 * of the input it covers: no aliasing when shrinking). A new BGRA frame, or
 * NULL. Small faces are made this way: a camera's pixels average the light
 * they cover too. */
static inline EmoFrame *tm_resample(const EmoFrame *src, int x, int y, int w, int h, int dw, int dh)
{
    EmoFrame *tmp = NULL, *out = NULL;
    struct SwsContext *sws = NULL;
    if (emo_frame_alloc(&tmp, EMO_PIX_BGRA, w, h) < 0 || emo_frame_alloc(&out, EMO_PIX_BGRA, dw, dh) < 0)
        goto fail;
    for (int j = 0; j < h; j++) {
        uint8_t *d = tmp->data[0] + (size_t)j * tmp->stride[0];
        for (int i = 0, sx = x, sy = y + j; i < w; i++, sx++) {
            static const uint8_t gray[4] = { 128, 128, 128, 255 };
            int in = sx >= 0 && sy >= 0 && sx < src->width && sy < src->height;
            memcpy(d + 4 * i, in ? src->data[0] + (size_t)sy * src->stride[0] + 4 * (size_t)sx : gray, 4);
        }
    }
    sws = sws_getContext(w, h, AV_PIX_FMT_BGRA, dw, dh, AV_PIX_FMT_BGRA, SWS_AREA | SWS_ACCURATE_RND, NULL, NULL,
                         NULL);
    if (!sws)
        goto fail;
    const uint8_t *sp[4] = { tmp->data[0], NULL, NULL, NULL };
    int ss[4] = { tmp->stride[0], 0, 0, 0 }, ds[4] = { out->stride[0], 0, 0, 0 };
    uint8_t *dp[4] = { out->data[0], NULL, NULL, NULL };
    sws_scale(sws, sp, ss, 0, h, dp, ds);
    sws_freeContext(sws);
    emo_frame_unref(&tmp);
    return out;
fail:
    sws_freeContext(sws);
    emo_frame_unref(&tmp);
    emo_frame_unref(&out);
    return NULL;
}

/* Reads an iBUG .pts file (68 points, 1-based pixel coordinates). */
static inline int tm_read_pts(const char *path, float (*pts)[2])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0, in = 0;
    while (fgets(line, sizeof(line), f) && n < 68) {
        if (line[0] == '{') {
            in = 1;
            continue;
        }
        if (in && sscanf(line, "%f %f", &pts[n][0], &pts[n][1]) == 2)
            n++;
    }
    fclose(f);
    return n == 68 ? 0 : -1;
}

#endif
