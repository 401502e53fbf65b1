/* Helpers shared by the video source, the writer and the PNG export. */
#ifndef EMOSCOPE_VIDEO_INTERNAL_H
#define EMOSCOPE_VIDEO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/pixfmt.h>

#include <emoscope/video.h>

#include "video/gray.h"

struct SwsContext;
struct AVFrame;

/* FFmpeg pixel format of an EmoPixFmt (AV_PIX_FMT_NONE if none). */
enum AVPixelFormat emo__video_avfmt(EmoPixFmt fmt);

/* swscale flags for a scaler name; -1 for an unknown name. */
int emo__video_sws_flags(const char *name);

/* Maps an AVERROR code to an EMO_E* code (generic; callers refine per context). */
int emo__video_err(int averr);

/* FFmpeg's text for an AVERROR code. */
const char *emo__video_errstr(int averr, char *buf, size_t n);

/* A cached swscale context and the colour details last applied to it. */
typedef struct EmoScaler {
    struct SwsContext *ctx;
    int flags;                 /* SWS_* algorithm */
    int w, h, fmt, dw, dh, dfmt, cs, full; /* what ctx was set up for */
    int gray_lut;              /* GRAY8 out of an 8-bit Y plane of the same size: gray.h, no swscale */
    EmoGrayDsp gray;           /* its kernels, chosen when gray_lut is set */
} EmoScaler;

void emo__scaler_free(EmoScaler *s);

/*
 * Converts src (any FFmpeg format) into the planes of dst, keeping one cached
 * swscale context in sc. Deprecated full-range "yuvj" formats are mapped
 * to their plain counterparts with the range set; the YUV matrix follows the
 * frame's colour space (BT.709 for unspecified HD, BT.601 below). Returns 0
 * or EMO_ENOMEM / EMO_EINVAL.
 */
int emo__video_convert(EmoScaler *sc, const struct AVFrame *src, EmoFrame *dst);

#endif
