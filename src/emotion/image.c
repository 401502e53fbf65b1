/* Face crop to model input, and image decoding through FFmpeg. */
#include "emotion/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#define COEF_BITS 11
#define COEF_SCALE (1 << COEF_BITS)

int emo__image_check(const EmoImage *img)
{
    if (!img || !img->data || img->width < 1 || img->height < 1 || img->width > 16384 || img->height > 16384)
        return EMO_EINVAL;
    int bpp = img->fmt == EMO_PIX_GRAY8 ? 1 : img->fmt == EMO_PIX_RGB24 ? 3 : img->fmt == EMO_PIX_BGRA ? 4 : 0;
    if (!bpp || img->stride < img->width * bpp)
        return EMO_EINVAL;
    return 0;
}

/* OpenCV's fixed-point RGB to gray (cvtColor, 14-bit weights). */
static inline int gray_of(int r, int g, int b)
{
    return (r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14;
}

/* Channel c of pixel x in row p (c < 0: gray). */
static inline int fetch(const EmoImage *img, const uint8_t *p, int x, int c)
{
    switch (img->fmt) {
    case EMO_PIX_GRAY8:
        return p[x];
    case EMO_PIX_RGB24:
        p += 3 * x;
        return c < 0 ? gray_of(p[0], p[1], p[2]) : p[c];
    default: /* BGRA */
        p += 4 * x;
        return c < 0 ? gray_of(p[2], p[1], p[0]) : p[2 - c];
    }
}

/* Source index and fixed-point weights of destination index d
 * (src = (d + 0.5) * scale - 0.5, clamped at the edges). */
static inline void coefs(int d, double scale, int ssize, int *s0, int *s1, int *w0, int *w1)
{
    float f = (float)((d + 0.5) * scale - 0.5);
    int s = (int)floorf(f);
    f -= (float)s;
    if (s < 0) {
        s = 0;
        f = 0;
    }
    if (s >= ssize - 1) {
        s = ssize - 1;
        f = 0;
    }
    *s0 = s;
    *s1 = s + 1 < ssize ? s + 1 : s;
    *w0 = (int)lrintf((1.0f - f) * COEF_SCALE);
    *w1 = (int)lrintf(f * COEF_SCALE);
}

static inline int resize_px(const EmoImage *img, const uint8_t *r0, const uint8_t *r1, int x0, int x1, int a0,
                            int a1, int b0, int b1, int c)
{
    int d0 = fetch(img, r0, x0, c) * a0 + fetch(img, r0, x1, c) * a1;
    int d1 = fetch(img, r1, x0, c) * a0 + fetch(img, r1, x1, c) * a1;
    /* OpenCV's vectorised vertical pass: 16-bit high products, then round. */
    int v = ((((d0 >> 4) * b0) >> 16) + (((d1 >> 4) * b1) >> 16) + 2) >> 2;
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

#define MAX_DST 1024

static void resize_generic(const EmoImage *img, int dw, int dh, int gray, int flip, uint8_t *dst8, float *dstf,
                           float mul, float add)
{
    if (dw < 1 || dh < 1 || dw > MAX_DST || dh > MAX_DST)
        return;
    double sx = (double)img->width / dw, sy = (double)img->height / dh;
    int nc = gray ? 1 : 3;
    /* Horizontal taps once per call (no allocation: dw <= MAX_DST). */
    int xs0[MAX_DST], xs1[MAX_DST], xa0[MAX_DST], xa1[MAX_DST];
    for (int x = 0; x < dw; x++)
        coefs(x, sx, img->width, &xs0[x], &xs1[x], &xa0[x], &xa1[x]);
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = (float)v * mul + add;
    for (int y = 0; y < dh; y++) {
        int y0, y1, b0, b1;
        coefs(y, sy, img->height, &y0, &y1, &b0, &b1);
        const uint8_t *r0 = img->data + (size_t)y0 * (size_t)img->stride;
        const uint8_t *r1 = img->data + (size_t)y1 * (size_t)img->stride;
        size_t row = (size_t)y * (size_t)dw;
        if (img->fmt == EMO_PIX_GRAY8) {
            /* The common case (gray face, gray model) without per-pixel dispatch. */
            for (int x = 0; x < dw; x++) {
                int x0 = xs0[x], x1 = xs1[x], a0 = xa0[x], a1 = xa1[x];
                int d0 = r0[x0] * a0 + r0[x1] * a1, d1 = r1[x0] * a0 + r1[x1] * a1;
                int v = ((((d0 >> 4) * b0) >> 16) + (((d1 >> 4) * b1) >> 16) + 2) >> 2;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                size_t o = (row + (size_t)(flip ? dw - 1 - x : x)) * (size_t)nc;
                for (int c = 0; c < nc; c++) {
                    if (dst8)
                        dst8[o + (size_t)c] = (uint8_t)v;
                    else
                        dstf[o + (size_t)c] = lut[v];
                }
            }
            continue;
        }
        for (int x = 0; x < dw; x++) {
            size_t o = (row + (size_t)(flip ? dw - 1 - x : x)) * (size_t)nc;
            for (int c = 0; c < nc; c++) {
                int v = resize_px(img, r0, r1, xs0[x], xs1[x], xa0[x], xa1[x], b0, b1, gray ? -1 : c);
                if (dst8)
                    dst8[o + (size_t)c] = (uint8_t)v;
                else
                    dstf[o + (size_t)c] = lut[v];
            }
        }
    }
}

void emo__resize_u8(const EmoImage *img, int dw, int dh, int gray, uint8_t *dst)
{
    resize_generic(img, dw, dh, gray, 0, dst, NULL, 0, 0);
}

void emo__face_to_tensor(const EmoImage *img, int dw, int dh, int gray, EmoEmotionScale scale, int flip,
                         float *dst)
{
    float mul = 1, add = 0;
    if (scale == EMO_EMOTION_SCALE_PM1) {
        mul = 2.0f / 255.0f;
        add = -1;
    } else if (scale == EMO_EMOTION_SCALE_01) {
        mul = 1.0f / 255.0f;
    }
    resize_generic(img, dw, dh, gray, flip, NULL, dst, mul, add);
}

/* ---------------------------------------------------------------------- */
static int frame_to_gray(const AVFrame *f, uint8_t *out, const char *path, const EmoLogger *lg)
{
    int w = f->width, h = f->height;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)f->format);
    if (!d)
        return EMO_EUNSUPPORTED;
    /* JPEG (full-range YUV) and gray images: the luma plane is the gray image,
     * as libjpeg's grayscale output gives it. */
    if (f->format == AV_PIX_FMT_GRAY8 || f->format == AV_PIX_FMT_YUVJ420P || f->format == AV_PIX_FMT_YUVJ422P ||
        f->format == AV_PIX_FMT_YUVJ444P || f->format == AV_PIX_FMT_YUVJ440P || f->format == AV_PIX_FMT_YUVJ411P) {
        for (int y = 0; y < h; y++)
            memcpy(out + (size_t)y * (size_t)w, f->data[0] + (size_t)y * (size_t)f->linesize[0], (size_t)w);
        return 0;
    }
    /* Everything else through RGB24, then OpenCV's gray weights. */
    uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);
    struct SwsContext *sws = sws_getContext(w, h, (enum AVPixelFormat)f->format, w, h, AV_PIX_FMT_RGB24,
                                            SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!rgb || !sws) {
        free(rgb);
        sws_freeContext(sws);
        emo_log(lg, EMO_LOG_ERROR, "%s: cannot convert pixel format %s", path, d->name);
        return EMO_EUNSUPPORTED;
    }
    uint8_t *dst[4] = { rgb, NULL, NULL, NULL };
    int dst_ls[4] = { 3 * w, 0, 0, 0 };
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, h, dst, dst_ls);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        out[i] = (uint8_t)gray_of(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    sws_freeContext(sws);
    free(rgb);
    return 0;
}

int emo_emotion_image_load_gray(const char *path, uint8_t **pixels, int *width, int *height, const EmoLogger *lg)
{
    if (!pixels || !width || !height || !path)
        return EMO_EINVAL;
    *pixels = NULL;
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    uint8_t *out = NULL;
    int err = EMO_ENOMEM;
    if (!pkt || !frame)
        goto fail;
    /* A file name is a file name, never an image2 sequence pattern ("%d"). */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "pattern_type", "none", 0);
    int r = avformat_open_input(&fmt, path, NULL, &opts);
    av_dict_free(&opts);
    if (r < 0) {
        emo_log(lg, EMO_LOG_ERROR, "%s: cannot open image (%s)", path, av_err2str(r));
        err = r == AVERROR(ENOENT) ? EMO_ENOENT : EMO_EFORMAT;
        goto fail;
    }
    err = EMO_EFORMAT;
    if (avformat_find_stream_info(fmt, NULL) < 0)
        goto bad;
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (si < 0)
        goto bad;
    const AVCodec *codec = avcodec_find_decoder(fmt->streams[si]->codecpar->codec_id);
    if (!codec)
        goto bad;
    dec = avcodec_alloc_context3(codec);
    if (!dec) {
        err = EMO_ENOMEM;
        goto fail;
    }
    if (avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar) < 0)
        goto bad;
    /* libjpeg's accurate integer IDCT, as cv2.imread and PIL decode JPEG. */
    dec->idct_algo = FF_IDCT_INT;
    dec->thread_count = 1;
    if (avcodec_open2(dec, codec, NULL) < 0)
        goto bad;
    int got = 0;
    while (!got && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0)
            got = avcodec_receive_frame(dec, frame) >= 0;
        av_packet_unref(pkt);
    }
    if (!got) {
        avcodec_send_packet(dec, NULL);
        got = avcodec_receive_frame(dec, frame) >= 0;
    }
    if (!got)
        goto bad;
    if (frame->width < 1 || frame->height < 1 || frame->width > 16384 || frame->height > 16384) {
        emo_log(lg, EMO_LOG_ERROR, "%s: image size %dx%d not supported", path, frame->width, frame->height);
        err = EMO_EUNSUPPORTED;
        goto fail;
    }
    out = malloc((size_t)frame->width * (size_t)frame->height);
    if (!out) {
        err = EMO_ENOMEM;
        goto fail;
    }
    if ((err = frame_to_gray(frame, out, path, lg)))
        goto fail;
    *pixels = out;
    *width = frame->width;
    *height = frame->height;
    out = NULL;
    err = 0;
    goto done;
bad:
    emo_log(lg, EMO_LOG_ERROR, "%s: not a decodable image", path);
fail:
done:
    free(out);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return err;
}
