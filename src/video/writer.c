/* Annotated-video writer (H.264 in MP4 by default) and PNG stills. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "video/video_internal.h"

struct EmoVideoWriter {
    char path[EMO_PATH_MAX];
    const EmoLogger *log;
    int width, height;
    EmoPixFmt in_fmt;
    AVFormatContext *oc;
    AVStream *st;
    AVCodecContext *enc;
    AVFrame *pic;
    AVPacket *pkt;
    struct SwsContext *sws;
    AVRational tb;
    int64_t frame_ticks;         /* nominal frame duration in tb */
    int64_t last_pts;
    int64_t frames;
    int header_written;
    int err;                     /* first error met */
    int warned_pts;
};

void emo_video_writer_default_settings(EmoVideoWriterSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->pix_fmt = EMO_PIX_BGRA;
    s->codec = "libx264";
    s->crf = 23;
    s->preset = "veryfast";
}

static int fail_av(EmoVideoWriter *w, int ret, const char *what)
{
    char eb[128];
    int err = emo__video_err(ret);
    if (err == EMO_EOF || err == EMO_EINTR || err == 0)
        err = EMO_EIO;
    emo_log(w->log, EMO_LOG_ERROR, "video writer %s: %s failed: %s", w->path, what,
            emo__video_errstr(ret, eb, sizeof(eb)));
    if (!w->err)
        w->err = err;
    return err;
}

/* Takes every packet the encoder has ready and muxes it. */
static int drain(EmoVideoWriter *w)
{
    for (;;) {
        int ret = avcodec_receive_packet(w->enc, w->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail_av(w, ret, "encoding");
        if (w->pkt->duration <= 0)
            w->pkt->duration = w->frame_ticks; /* gives the last frame its length in the file */
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        ret = av_interleaved_write_frame(w->oc, w->pkt); /* takes the packet's reference */
        if (ret < 0)
            return fail_av(w, ret, "writing");
    }
}

static enum AVPixelFormat pick_pix_fmt(const AVCodec *c)
{
    if (!c->pix_fmts)
        return AV_PIX_FMT_YUV420P;
    for (const enum AVPixelFormat *p = c->pix_fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == AV_PIX_FMT_YUV420P)
            return *p;
    return c->pix_fmts[0];
}

int emo_video_writer_open(EmoVideoWriter **out, const EmoVideoWriterSettings *s)
{
    *out = NULL;
    const EmoLogger *lg = s ? s->log : NULL;
    if (!s || !s->path || !s->path[0] || strlen(s->path) >= EMO_PATH_MAX || s->width <= 0 || s->height <= 0 ||
        s->width > 16384 || s->height > 16384 || !(s->fps > 0) || s->fps > 1000 ||
        emo__video_avfmt(s->pix_fmt) == AV_PIX_FMT_NONE || s->time_base_num < 0 || s->time_base_den < 0 ||
        s->threads < 0) {
        emo_log(lg, EMO_LOG_ERROR, "video writer: invalid settings (path, size, fps, pixel format or time base)");
        return EMO_EINVAL;
    }
    EmoVideoWriter *w = calloc(1, sizeof(*w));
    if (!w)
        return EMO_ENOMEM;
    int ret, err = EMO_ENOMEM;
    AVDictionary *opt = NULL;
    snprintf(w->path, sizeof(w->path), "%s", s->path);
    w->log = s->log;
    w->width = s->width;
    w->height = s->height;
    w->in_fmt = s->pix_fmt;
    w->last_pts = INT64_MIN;

    ret = avformat_alloc_output_context2(&w->oc, NULL, NULL, w->path);
    if (ret < 0 || !w->oc)
        ret = avformat_alloc_output_context2(&w->oc, NULL, "mp4", w->path);
    if (ret < 0 || !w->oc) {
        err = fail_av(w, ret, "choosing the container");
        goto fail;
    }
    const char *codec_name = s->codec && s->codec[0] ? s->codec : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(codec_name);
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO) {
        emo_log(lg, EMO_LOG_ERROR, "video writer %s: no video encoder named '%s' in this FFmpeg", w->path,
                codec_name);
        err = EMO_EUNSUPPORTED;
        goto fail;
    }
    w->enc = avcodec_alloc_context3(codec);
    if (!w->enc)
        goto fail;
    /* Even sizes: 4:2:0 encoders need them; one odd edge row/column is resampled away. */
    enum AVPixelFormat efmt = pick_pix_fmt(codec);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(efmt);
    int ew = s->width, eh = s->height;
    if (d && d->log2_chroma_w)
        ew &= ~1;
    if (d && d->log2_chroma_h)
        eh &= ~1;
    if (ew <= 0 || eh <= 0) {
        emo_log(lg, EMO_LOG_ERROR, "video writer %s: frames of %dx%d are too small", w->path, s->width, s->height);
        err = EMO_EINVAL;
        goto fail;
    }
    w->enc->width = ew;
    w->enc->height = eh;
    w->enc->pix_fmt = efmt;
    w->enc->framerate = av_d2q(s->fps, 1000000);
    if (s->time_base_num > 0 && s->time_base_den > 0)
        w->tb = (AVRational){ s->time_base_num, s->time_base_den };
    else
        w->tb = av_inv_q(av_mul_q(w->enc->framerate, (AVRational){ 1000, 1 }));
    w->enc->time_base = w->tb;
    w->frame_ticks = llrint(1.0 / (s->fps * av_q2d(w->tb)));
    if (w->frame_ticks < 1)
        w->frame_ticks = 1;
    w->enc->thread_count = s->threads;
    w->enc->sample_aspect_ratio = (AVRational){ 1, 1 };
    /* Tag what the conversion below does: BT.709 for HD, BT.601 below, video range. */
    int hd = eh >= 720;
    w->enc->colorspace = hd ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
    w->enc->color_primaries = hd ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
    w->enc->color_trc = hd ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
    w->enc->color_range = AVCOL_RANGE_MPEG;
    if (w->oc->oformat->flags & AVFMT_GLOBALHEADER)
        w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (s->crf >= 0 && codec->priv_class && av_opt_find((void *)&codec->priv_class, "crf", NULL, 0, AV_OPT_SEARCH_FAKE_OBJ)) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", s->crf);
        av_dict_set(&opt, "crf", buf, 0);
    }
    if (s->preset && s->preset[0] && codec->priv_class &&
        av_opt_find((void *)&codec->priv_class, "preset", NULL, 0, AV_OPT_SEARCH_FAKE_OBJ))
        av_dict_set(&opt, "preset", s->preset, 0);
    ret = avcodec_open2(w->enc, codec, &opt);
    av_dict_free(&opt);
    if (ret < 0) {
        err = fail_av(w, ret, "opening the encoder");
        goto fail;
    }
    w->st = avformat_new_stream(w->oc, NULL);
    if (!w->st)
        goto fail;
    ret = avcodec_parameters_from_context(w->st->codecpar, w->enc);
    if (ret < 0)
        goto fail;
    w->st->time_base = w->enc->time_base;
    w->st->avg_frame_rate = w->enc->framerate;
    w->st->r_frame_rate = w->enc->framerate;

    w->pic = av_frame_alloc();
    w->pkt = av_packet_alloc();
    if (!w->pic || !w->pkt)
        goto fail;
    w->pic->width = ew;
    w->pic->height = eh;
    w->pic->format = efmt;
    w->pic->colorspace = w->enc->colorspace;
    w->pic->color_range = AVCOL_RANGE_MPEG;
    if (av_frame_get_buffer(w->pic, 0) < 0)
        goto fail;
    w->sws = sws_getContext(s->width, s->height, emo__video_avfmt(s->pix_fmt), ew, eh, efmt, SWS_BILINEAR, NULL,
                            NULL, NULL);
    if (!w->sws) {
        emo_log(lg, EMO_LOG_ERROR, "video writer %s: no conversion from %s to %s", w->path,
                emo_pixfmt_name(s->pix_fmt), av_get_pix_fmt_name(efmt));
        err = EMO_EUNSUPPORTED;
        goto fail;
    }
    {
        const int *coef = sws_getCoefficients(hd ? SWS_CS_ITU709 : SWS_CS_ITU601);
        int src_full = s->pix_fmt != EMO_PIX_YUV420P;
        sws_setColorspaceDetails(w->sws, coef, src_full, coef, 0, 0, 1 << 16, 1 << 16);
    }

    if (!(w->oc->oformat->flags & AVFMT_NOFILE)) {
        ret = avio_open(&w->oc->pb, w->path, AVIO_FLAG_WRITE);
        if (ret < 0) {
            err = fail_av(w, ret, "creating the file");
            err = EMO_EIO;
            goto fail;
        }
    }
    ret = avformat_write_header(w->oc, NULL);
    if (ret < 0) {
        err = fail_av(w, ret, "writing the header");
        goto fail;
    }
    w->header_written = 1;
    emo_log(lg, EMO_LOG_DEBUG, "video writer %s: %s %dx%d at %g fps, time base %d/%d", w->path, codec->name, ew,
            eh, s->fps, w->tb.num, w->tb.den);
    *out = w;
    return 0;
fail:
    w->err = 0; /* the open error is returned, not a trailer error */
    emo_video_writer_close(&w);
    return err;
}

int emo_video_writer_write(EmoVideoWriter *w, const EmoFrame *f)
{
    if (!f || f->fmt != w->in_fmt || f->width != w->width || f->height != w->height) {
        emo_log(w->log, EMO_LOG_ERROR, "video writer %s: frame is not %dx%d %s", w->path, w->width, w->height,
                emo_pixfmt_name(w->in_fmt));
        return EMO_EINVAL;
    }
    if (w->err)
        return w->err;
    int ret = av_frame_make_writable(w->pic); /* only allocates if the encoder kept the last picture */
    if (ret < 0)
        return fail_av(w, ret, "getting a picture buffer");
    if (sws_scale(w->sws, (const uint8_t *const *)f->data, f->stride, 0, f->height, w->pic->data,
                  w->pic->linesize) <= 0)
        return fail_av(w, AVERROR(EINVAL), "converting");
    int64_t pts = llrint(f->pts / av_q2d(w->tb));
    if (w->last_pts != INT64_MIN && pts <= w->last_pts) {
        if (!w->warned_pts++)
            emo_log(w->log, EMO_LOG_WARN,
                    "video writer %s: frame %lld at %.6f s does not come after the previous one; moved one tick on",
                    w->path, (long long)f->index, f->pts);
        pts = w->last_pts + 1;
    }
    w->last_pts = pts;
    w->pic->pts = pts;
    ret = avcodec_send_frame(w->enc, w->pic);
    if (ret < 0)
        return fail_av(w, ret, "encoding");
    w->frames++;
    return drain(w);
}

int64_t emo_video_writer_frames(const EmoVideoWriter *w)
{
    return w ? w->frames : 0;
}

int emo_video_writer_close(EmoVideoWriter **pw)
{
    if (!pw || !*pw)
        return 0;
    EmoVideoWriter *w = *pw;
    *pw = NULL;
    if (w->header_written) {
        /* Flush and write the index even after errors: what was written stays playable. */
        if (avcodec_send_frame(w->enc, NULL) >= 0)
            drain(w);
        int ret = av_write_trailer(w->oc);
        if (ret < 0)
            fail_av(w, ret, "writing the trailer (index)");
    }
    if (w->oc && !(w->oc->oformat->flags & AVFMT_NOFILE) && w->oc->pb) {
        int ret = avio_closep(&w->oc->pb);
        if (ret < 0)
            fail_av(w, ret, "closing the file");
    }
    int err = w->err;
    sws_freeContext(w->sws);
    av_frame_free(&w->pic);
    av_packet_free(&w->pkt);
    avcodec_free_context(&w->enc);
    avformat_free_context(w->oc);
    free(w);
    return err;
}

/* ------------------------------------------------------------ PNG */

int emo_image_write_png(const EmoFrame *f, const char *path, const EmoLogger *lg)
{
    if (!f || !path || !path[0] || emo__video_avfmt(f->fmt) == AV_PIX_FMT_NONE || f->width <= 0 ||
        f->height <= 0) {
        emo_log(lg, EMO_LOG_ERROR, "png: invalid frame or path");
        return EMO_EINVAL;
    }
    int err = EMO_ENOMEM, ret;
    char eb[128];
    AVCodecContext *enc = NULL;
    AVFrame *pic = NULL;
    AVPacket *pkt = NULL;
    struct SwsContext *sws = NULL;
    FILE *fp = NULL;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec) {
        emo_log(lg, EMO_LOG_ERROR, "png %s: this FFmpeg has no PNG encoder", path);
        return EMO_EUNSUPPORTED;
    }
    enum AVPixelFormat pfmt = f->fmt == EMO_PIX_GRAY8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    enc = avcodec_alloc_context3(codec);
    pic = av_frame_alloc();
    pkt = av_packet_alloc();
    if (!enc || !pic || !pkt)
        goto fail;
    enc->width = f->width;
    enc->height = f->height;
    enc->pix_fmt = pfmt;
    enc->time_base = (AVRational){ 1, 1 };
    ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        emo_log(lg, EMO_LOG_ERROR, "png %s: %s", path, emo__video_errstr(ret, eb, sizeof(eb)));
        err = emo__video_err(ret);
        goto fail;
    }
    pic->width = f->width;
    pic->height = f->height;
    pic->format = pfmt;
    if (av_frame_get_buffer(pic, 0) < 0)
        goto fail;
    sws = sws_getContext(f->width, f->height, emo__video_avfmt(f->fmt), f->width, f->height, pfmt, SWS_POINT, NULL,
                         NULL, NULL);
    if (!sws)
        goto fail;
    if (f->fmt == EMO_PIX_YUV420P) {
        const int *coef = sws_getCoefficients(f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601);
        sws_setColorspaceDetails(sws, coef, 0, coef, 1, 0, 1 << 16, 1 << 16);
    }
    if (sws_scale(sws, (const uint8_t *const *)f->data, f->stride, 0, f->height, pic->data, pic->linesize) <= 0) {
        err = EMO_EINVAL;
        goto fail;
    }
    pic->pts = 0;
    ret = avcodec_send_frame(enc, pic);
    if (ret >= 0)
        ret = avcodec_send_frame(enc, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(enc, pkt);
    if (ret < 0) {
        emo_log(lg, EMO_LOG_ERROR, "png %s: encoding failed: %s", path, emo__video_errstr(ret, eb, sizeof(eb)));
        err = EMO_EIO;
        goto fail;
    }
    fp = fopen(path, "wb");
    if (!fp) {
        emo_log(lg, EMO_LOG_ERROR, "png %s: cannot create: %s", path, strerror(errno));
        err = EMO_EIO;
        goto fail;
    }
    int wrote = fwrite(pkt->data, 1, (size_t)pkt->size, fp) == (size_t)pkt->size;
    int closed = fclose(fp) == 0;
    fp = NULL;
    if (!wrote || !closed) {
        emo_log(lg, EMO_LOG_ERROR, "png %s: write failed: %s", path, strerror(errno));
        err = EMO_EIO;
        goto fail;
    }
    err = 0;
fail:
    if (fp)
        fclose(fp);
    sws_freeContext(sws);
    av_packet_free(&pkt);
    av_frame_free(&pic);
    avcodec_free_context(&enc);
    return err;
}
