#include "video/video_internal.h"
#include "video/gray.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

enum AVPixelFormat emo__video_avfmt(EmoPixFmt fmt)
{
    switch (fmt) {
    case EMO_PIX_BGRA: return AV_PIX_FMT_BGRA;
    case EMO_PIX_RGB24: return AV_PIX_FMT_RGB24;
    case EMO_PIX_GRAY8: return AV_PIX_FMT_GRAY8;
    case EMO_PIX_YUV420P: return AV_PIX_FMT_YUV420P;
    default: return AV_PIX_FMT_NONE;
    }
}

int emo__video_sws_flags(const char *name)
{
    static const struct {
        const char *name;
        int flags;
    } map[] = {
        { "bilinear", SWS_BILINEAR }, { "fast_bilinear", SWS_FAST_BILINEAR }, { "point", SWS_POINT },
        { "bicubic", SWS_BICUBIC },   { "area", SWS_AREA },
    };
    if (!name || !name[0])
        return SWS_BILINEAR;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcasecmp(name, map[i].name))
            return map[i].flags;
    return -1;
}

int emo__video_err(int averr)
{
    if (averr >= 0)
        return 0;
    switch (averr) {
    case AVERROR_EOF: return EMO_EOF;
    case AVERROR_INVALIDDATA:
    case AVERROR_BUG2:
        return EMO_EFORMAT;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_ENCODER_NOT_FOUND:
    case AVERROR_MUXER_NOT_FOUND:
    case AVERROR_PROTOCOL_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
    case AVERROR(ENOSYS):
        return EMO_EUNSUPPORTED;
    case AVERROR_EXIT: return EMO_EINTR;
    case AVERROR(ENOENT): return EMO_ENOENT;
    case AVERROR(ENODEV):
    case AVERROR(ENXIO):
        return EMO_ENODEV;
    case AVERROR(ENOMEM): return EMO_ENOMEM;
    case AVERROR(EINVAL): return EMO_EINVAL;
    case AVERROR(ETIMEDOUT): return EMO_ETIMEDOUT;
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EPIPE):
    case AVERROR_HTTP_BAD_REQUEST:
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_HTTP_OTHER_4XX:
    case AVERROR_HTTP_SERVER_ERROR:
        return EMO_ENET;
    default: return EMO_EIO;
    }
}

const char *emo__video_errstr(int averr, char *buf, size_t n)
{
    if (av_strerror(averr, buf, n) < 0)
        snprintf(buf, n, "FFmpeg error %d", averr);
    return buf;
}

/* Plain format and full-range flag of a possibly deprecated "yuvj" format. */
static enum AVPixelFormat dejpeg(enum AVPixelFormat f, int *full)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: return f;
    }
}

void emo__scaler_free(EmoScaler *s)
{
    sws_freeContext(s->ctx);
    s->ctx = NULL;
}

static int yuv_matrix(const AVFrame *f)
{
    switch (f->colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601; /* what players assume */
    }
}

int emo__video_convert(EmoScaler *sc, const AVFrame *src, EmoFrame *dst)
{
    enum AVPixelFormat dfmt = emo__video_avfmt(dst->fmt);
    if (dfmt == AV_PIX_FMT_NONE || src->width <= 0 || src->height <= 0)
        return EMO_EINVAL;
    int full = src->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat sfmt = dejpeg((enum AVPixelFormat)src->format, &full);
    int cs = yuv_matrix(src);
    if (!sc->ctx || sc->w != src->width || sc->h != src->height || sc->fmt != (int)sfmt || sc->dw != dst->width ||
        sc->dh != dst->height || sc->dfmt != (int)dfmt || sc->cs != cs || sc->full != full) {
        /* Only when the input changes (image folders, camera reconnects):
         * never per frame for a steady stream. */
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(sfmt);
        sc->gray_lut = dfmt == AV_PIX_FMT_GRAY8 && d && src->width == dst->width && src->height == dst->height &&
                       !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BE |
                                     AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM)) &&
                       d->comp[0].plane == 0 && d->comp[0].step == 1 && d->comp[0].offset == 0 &&
                       d->comp[0].depth == 8 && d->comp[0].shift == 0;
        emo__gray_dsp_init(&sc->gray, emo__cpu_flags());
        sws_freeContext(sc->ctx);
        sc->ctx = sws_getContext(src->width, src->height, sfmt, dst->width, dst->height, dfmt, sc->flags, NULL,
                                 NULL, NULL);
        if (!sc->ctx)
            return EMO_EINVAL;
        const int *coef = sws_getCoefficients(cs);
        /* RGB and gray out are full range; YUV out stays video range. */
        sws_setColorspaceDetails(sc->ctx, coef, full, coef, dst->fmt != EMO_PIX_YUV420P, 0, 1 << 16, 1 << 16);
        sc->w = src->width;
        sc->h = src->height;
        sc->fmt = sfmt;
        sc->dw = dst->width;
        sc->dh = dst->height;
        sc->dfmt = dfmt;
        sc->cs = cs;
        sc->full = full;
    }
    if (sc->gray_lut) {
        /* swscale's generic path for this range stretch is several times
         * slower than decoding; one pass over the Y plane is not. */
        for (int y = 0; y < dst->height; y++) {
            const uint8_t *in = src->data[0] + (ptrdiff_t)y * src->linesize[0];
            uint8_t *out = dst->data[0] + (ptrdiff_t)y * dst->stride[0];
            if (full)
                memcpy(out, in, (size_t)dst->width);
            else
                sc->gray.stretch(out, in, dst->width);
        }
        return 0;
    }
    int h = sws_scale(sc->ctx, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data,
                      dst->stride);
    return h > 0 ? 0 : EMO_EINVAL;
}

void emo_video_ffmpeg_log_level(EmoLogLevel level)
{
    static const int map[] = { AV_LOG_ERROR, AV_LOG_WARNING, AV_LOG_WARNING, AV_LOG_VERBOSE };
    av_log_set_level(map[level >= EMO_LOG_ERROR && level <= EMO_LOG_DEBUG ? level : EMO_LOG_WARN]);
}

EmoPixFmt emo_video_parse_pixfmt(const char *name)
{
    if (!name)
        return EMO_PIX_NONE;
    if (!strcasecmp(name, "bgra"))
        return EMO_PIX_BGRA;
    if (!strcasecmp(name, "rgb24") || !strcasecmp(name, "rgb"))
        return EMO_PIX_RGB24;
    if (!strcasecmp(name, "gray8") || !strcasecmp(name, "gray"))
        return EMO_PIX_GRAY8;
    if (!strcasecmp(name, "yuv420p"))
        return EMO_PIX_YUV420P;
    return EMO_PIX_NONE;
}
