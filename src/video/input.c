/* Video sources: classifying a source name, image lists, opening and probing an input. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libavformat/version.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>

#include "video/source_internal.h"

#define MAX_IMAGES 10000000

/* ------------------------------------------------------------ classification */

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static int is_image_name(const char *path)
{
    static const char *const ext[] = { "png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp",
                                       "ppm", "pgm", "pbm", "pnm", "tga", "jp2", "jxl" };
    const char *e = extension(path);
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (!strcasecmp(e, ext[i]))
            return 1;
    return 0;
}

/* A printf pattern with exactly one integer conversion (%d, %05d) and
 * nothing else but "%%": safe to hand to snprintf. */
static int is_printf_pattern(const char *s)
{
    int convs = 0;
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        const char *q = p + 1;
        if (*q == '0')
            q++;
        int digits = 0;
        while (*q >= '0' && *q <= '9' && digits < 2) {
            q++;
            digits++;
        }
        if (*q != 'd')
            return 0;
        convs++;
        p = q;
    }
    return convs == 1;
}

static int has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

EmoVideoKind emo_video_classify(const char *src)
{
    if (!strncmp(src, "/dev/video", 10) || !strncmp(src, "v4l2:", 5))
        return EMO_VIDEO_CAMERA;
    if (!strncmp(src, "file:", 5))
        return EMO_VIDEO_FILE;
    if (strstr(src, "://"))
        return EMO_VIDEO_STREAM;
    struct stat sb;
    if (stat(src, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return EMO_VIDEO_IMAGES;
        return is_image_name(src) ? EMO_VIDEO_IMAGE : EMO_VIDEO_FILE;
    }
    if (is_printf_pattern(src) || has_glob_chars(src))
        return EMO_VIDEO_IMAGES;
    return is_image_name(src) ? EMO_VIDEO_IMAGE : EMO_VIDEO_FILE;
}
/* ------------------------------------------------------------ deadlines */

static int interrupt_cb(void *opaque)
{
    EmoVideoSource *v = opaque;
    if (emo__source_stopping(v))
        return 1;
    if (v->deadline > 0 && emo_clock_now() > v->deadline) {
        v->timed_out = 1;
        return 1;
    }
    return 0;
}

/* timed_out stays set once a read was cut: demuxers may report the cut
 * later, as an I/O error or EOF, after handing out what they had buffered. */
void emo__source_arm_deadline(EmoVideoSource *v)
{
    v->deadline = v->info.kind == EMO_VIDEO_CAMERA || v->info.kind == EMO_VIDEO_STREAM ? emo_clock_now() + v->s.timeout
                                                                                      : 0;
}
/* ------------------------------------------------------------ image lists */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_add(EmoVideoSource *v, const char *path, int *cap)
{
    if (v->n_files >= MAX_IMAGES)
        return EMO_EINVAL;
    if (v->n_files == *cap) {
        int ncap = *cap ? *cap * 2 : 64;
        char **n = realloc(v->files, sizeof(char *) * (size_t)ncap);
        if (!n)
            return EMO_ENOMEM;
        v->files = n;
        *cap = ncap;
    }
    size_t len = strlen(path) + 1;
    char *p = malloc(len);
    if (!p)
        return EMO_ENOMEM;
    memcpy(p, path, len);
    v->files[v->n_files++] = p;
    return 0;
}

int emo__source_build_list(EmoVideoSource *v)
{
    const char *src = v->url;
    int cap = 0, err = 0;
    struct stat sb;
    if (stat(src, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(src);
        if (!d) {
            emo__source_error(v, EMO_EIO, "%s: cannot read folder (%s)", src, strerror(errno));
            return EMO_EIO;
        }
        struct dirent *e;
        char path[EMO_PATH_MAX * 2];
        while (!err && (e = readdir(d))) {
            if (e->d_name[0] == '.' || !is_image_name(e->d_name))
                continue;
            snprintf(path, sizeof(path), "%s/%s", src, e->d_name);
            if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
                err = list_add(v, path, &cap);
        }
        closedir(d);
        if (!err && v->n_files > 1)
            qsort(v->files, (size_t)v->n_files, sizeof(char *), cmp_str);
    } else if (stat(src, &sb) == 0) {
        err = list_add(v, src, &cap); /* one image */
    } else if (is_printf_pattern(src)) {
        char path[EMO_PATH_MAX * 2];
        long start = -1;
        for (long i = 0; i <= 4 && start < 0; i++) { /* FFmpeg's image2 also looks at 0..4 */
            snprintf(path, sizeof(path), src, (int)i);
            if (stat(path, &sb) == 0)
                start = i;
        }
        for (long i = start; start >= 0 && !err && i < start + MAX_IMAGES; i++) {
            snprintf(path, sizeof(path), src, (int)i);
            if (stat(path, &sb) != 0)
                break;
            err = list_add(v, path, &cap);
        }
    } else if (has_glob_chars(src)) {
        glob_t g;
        int r = glob(src, 0, NULL, &g);
        for (size_t i = 0; r == 0 && !err && i < g.gl_pathc; i++)
            if (stat(g.gl_pathv[i], &sb) == 0 && S_ISREG(sb.st_mode))
                err = list_add(v, g.gl_pathv[i], &cap);
        if (r == 0)
            globfree(&g);
    }
    if (err) {
        emo__source_error(v, err, "%s: %s while listing images", src, emo_strerror(err));
        return err;
    }
    if (v->n_files == 0) {
        emo__source_error(v, EMO_ENOENT, "%s: no image files found", src);
        return EMO_ENOENT;
    }
    return 0;
}

/* ------------------------------------------------------------ inputs */

void emo__source_input_close(EmoVideoSource *v)
{
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
}

/* Refines the generic error mapping by source kind and writes the message. */
static int open_error(EmoVideoSource *v, const char *url, int averr, const char *what)
{
    char eb[128];
    emo__video_errstr(averr, eb, sizeof(eb));
    int err = emo__video_err(averr);
    const char *kind = v->info.kind == EMO_VIDEO_CAMERA   ? "camera"
                       : v->info.kind == EMO_VIDEO_STREAM ? "stream"
                                                          : "file";
    if (averr == AVERROR_EXIT && v->timed_out) {
        emo__source_error(v, EMO_ETIMEDOUT, "%s %s: no answer within %g s while %s", kind, url, v->s.timeout, what);
        return EMO_ETIMEDOUT;
    }
    if (v->info.kind == EMO_VIDEO_CAMERA && (err == EMO_ENOENT || err == EMO_ENODEV))
        err = EMO_ENODEV;
    else if (v->info.kind == EMO_VIDEO_STREAM && err == EMO_EIO)
        err = EMO_ENET;
    if (err == EMO_EFORMAT)
        emo__source_error(v, err, "%s %s: not a readable video (%s) while %s: unknown format, or a truncated or corrupt file",
                  kind, url, eb, what);
    else
        emo__source_error(v, err, "%s %s: %s while %s", kind, url, eb, what);
    return err;
}

/*
 * FFmpeg names the I/O timeout differently per protocol, and the same name
 * can mean something else: for every rtmp variant (rtmp, rtmps, rtmpt,
 * rtmpe, rtmpte, rtmpts) "timeout" is the time in seconds to wait for an
 * incoming connection and turns the client into a listening server; for
 * rtsp before libavformat 59 it was that too, the I/O timeout being
 * "stimeout". Elsewhere (http, tcp, udp, tls, rtsp from 59) "timeout" is
 * the socket I/O timeout in microseconds. rw_timeout, generic to every
 * protocol, is set besides.
 */
const char *emo__video_timeout_option(const char *url)
{
    const char *sep = strstr(url, "://");
    size_t n = sep ? (size_t)(sep - url) : 0;
    if (n >= 4 && !strncasecmp(url, "rtmp", 4))
        return NULL;
    if (n == 4 && !strncasecmp(url, "rtsp", 4))
        return LIBAVFORMAT_VERSION_MAJOR < 59 ? "stimeout" : "timeout";
    return "timeout";
}

int emo__source_input_open(EmoVideoSource *v, const char *url)
{
    const AVInputFormat *ifmt = NULL;
    AVDictionary *opt = NULL;
    char buf[64];
    int ret, camera = v->info.kind == EMO_VIDEO_CAMERA, tried_plain = 0;
    v->timed_out = 0;

    if (camera) {
        struct stat sb;
        if (stat(url, &sb) != 0) {
            emo__source_error(v, EMO_ENODEV, "camera %s: no such device (%s); is a webcam plugged in? see `ls /dev/video*`",
                      url, strerror(errno));
            return EMO_ENODEV;
        }
        if (!S_ISCHR(sb.st_mode)) {
            emo__source_error(v, EMO_ENODEV, "camera %s: not a device node", url);
            return EMO_ENODEV;
        }
        ifmt = av_find_input_format("video4linux2");
        if (!ifmt) {
            emo__source_error(v, EMO_EUNSUPPORTED, "camera %s: FFmpeg was built without video4linux2 input", url);
            return EMO_EUNSUPPORTED;
        }
    }
retry:
    opt = NULL;
    if (camera) {
        snprintf(buf, sizeof(buf), "%dx%d", v->s.width, v->s.height);
        av_dict_set(&opt, "video_size", buf, 0);
        snprintf(buf, sizeof(buf), "%g", v->s.fps);
        av_dict_set(&opt, "framerate", buf, 0);
        if (v->input_format[0] && !tried_plain)
            av_dict_set(&opt, "input_format", v->input_format, 0);
    } else if (v->info.kind == EMO_VIDEO_STREAM) {
        /* Belt and braces with the interrupt callback: protocol timeouts in microseconds. */
        const char *key = emo__video_timeout_option(url);
        snprintf(buf, sizeof(buf), "%lld", (long long)(v->s.timeout * 1e6));
        av_dict_set(&opt, "rw_timeout", buf, 0);
        if (key)
            av_dict_set(&opt, key, buf, 0);
    }
    v->fmt = avformat_alloc_context();
    if (!v->fmt) {
        av_dict_free(&opt);
        return EMO_ENOMEM;
    }
    v->fmt->interrupt_callback.callback = interrupt_cb;
    v->fmt->interrupt_callback.opaque = v;
    if (camera) /* V4L2 reads block in an ioctl the interrupt callback cannot cut: poll instead */
        v->fmt->flags |= AVFMT_FLAG_NONBLOCK;
    emo__source_arm_deadline(v);
    ret = avformat_open_input(&v->fmt, url, ifmt, &opt); /* frees fmt on failure */
    av_dict_free(&opt);
    if (ret < 0 && camera && v->input_format[0] && !tried_plain && ret != AVERROR(ENOENT) && ret != AVERROR_EXIT) {
        emo_log(v->log, EMO_LOG_WARN, "video: camera %s refused input_format %s; using the driver's default", url,
                v->input_format);
        tried_plain = 1;
        goto retry;
    }
    if (ret < 0)
        return open_error(v, url, ret, "opening");

    emo__source_arm_deadline(v);
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0) {
        int err = open_error(v, url, ret, "reading stream information");
        emo__source_input_close(v);
        return err;
    }
    const AVCodec *codec = NULL;
    ret = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret < 0) {
        if (ret == AVERROR_DECODER_NOT_FOUND)
            emo__source_error(v, EMO_EUNSUPPORTED, "%s: no decoder for its video stream", url);
        else
            emo__source_error(v, EMO_EFORMAT, "%s: no video stream (format %s)", url, v->fmt->iformat->name);
        emo__source_input_close(v);
        return ret == AVERROR_DECODER_NOT_FOUND ? EMO_EUNSUPPORTED : EMO_EFORMAT;
    }
    v->vidx = ret;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->vidx)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    AVStream *st = v->fmt->streams[v->vidx];
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec) {
        emo__source_input_close(v);
        return EMO_ENOMEM;
    }
    ret = avcodec_parameters_to_context(v->dec, st->codecpar);
    if (ret >= 0) {
        v->dec->thread_count = v->s.decode_threads;
        v->dec->pkt_timebase = st->time_base;
        ret = avcodec_open2(v->dec, codec, NULL);
    }
    if (ret < 0) {
        int err = open_error(v, url, ret, "opening the decoder");
        emo__source_input_close(v);
        return err;
    }
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0 || st->codecpar->width > 16384 ||
        st->codecpar->height > 16384) {
        emo__source_error(v, EMO_EFORMAT, "%s: video size %dx%d out of range", url, st->codecpar->width,
                  st->codecpar->height);
        emo__source_input_close(v);
        return EMO_EFORMAT;
    }
    v->tb = st->time_base;
    v->have_first = 0;
    v->packets = 0;
    /* The MP4/MOV sample table is exact: fewer packets than it lists means the file was cut. */
    v->expected_packets = v->info.kind == EMO_VIDEO_FILE && !strncmp(v->fmt->iformat->name, "mov", 3)
                              ? st->nb_frames
                              : 0;
    return 0;
}

/* Fills info from the first input. */
void emo__source_describe(EmoVideoSource *v)
{
    AVStream *st = v->fmt->streams[v->vidx];
    EmoVideoInfo *in = &v->info;
    in->src_width = st->codecpar->width;
    in->src_height = st->codecpar->height;
    in->width = v->s.out_width > 0 ? v->s.out_width : in->src_width;
    in->height = v->s.out_height > 0 ? v->s.out_height : in->src_height;
    in->pix_fmt = v->s.pix_fmt;
    in->time_base_num = st->time_base.num;
    in->time_base_den = st->time_base.den;
    AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    in->fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 0;
    if (in->kind == EMO_VIDEO_IMAGE || in->kind == EMO_VIDEO_IMAGES) {
        in->fps = v->s.image_fps;
        in->frame_count = v->s.loop ? 0 : v->n_files;
        in->duration = v->s.loop ? 0 : v->n_files / v->s.image_fps;
        in->time_base_num = 1;
        in->time_base_den = 1000000;
    } else {
        in->frame_count = st->nb_frames > 0 ? st->nb_frames : 0;
        if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
            in->duration = st->duration * av_q2d(st->time_base);
        else if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
            in->duration = v->fmt->duration / (double)AV_TIME_BASE;
        if (v->live) {
            in->duration = 0;
            in->frame_count = 0;
        }
    }
    snprintf(in->codec, sizeof(in->codec), "%s", v->dec->codec->name);
    snprintf(in->container, sizeof(in->container), "%s", v->fmt->iformat->name);
    if (in->kind == EMO_VIDEO_CAMERA) {
        const char *pf = st->codecpar->codec_id == AV_CODEC_ID_RAWVIDEO
                             ? av_get_pix_fmt_name((enum AVPixelFormat)st->codecpar->format)
                             : avcodec_get_name(st->codecpar->codec_id);
        snprintf(in->camera_format, sizeof(in->camera_format), "%s", pf ? pf : "?");
        emo_log(v->log, EMO_LOG_INFO, "video: camera %s: asked %dx%d at %g fps (%s), granted %dx%d at %g fps (%s)",
                v->url, v->s.width, v->s.height, v->s.fps, v->input_format[0] ? v->input_format : "any",
                in->src_width, in->src_height, in->fps, in->camera_format);
    }
    v->frame_dur = in->fps > 0 ? 1.0 / in->fps : 0;
}

/* A failed image is skipped: its error becomes a warning, not the final status. */
void emo__source_skip_image(EmoVideoSource *v, const char *file, const char *fallback)
{
    char msg[sizeof(v->message)];
    pthread_mutex_lock(&v->lock);
    snprintf(msg, sizeof(msg), "%s", v->message[0] ? v->message : fallback);
    v->message[0] = 0;
    pthread_mutex_unlock(&v->lock);
    v->list_failed++;
    emo_log(v->log, EMO_LOG_WARN, "video: skipping image %s: %s", file, msg);
}

/* Image lists: next file (wrapping when looping). 0, EMO_EOF when done. */
int emo__source_next_image(EmoVideoSource *v)
{
    for (;;) {
        if (emo__source_stopping(v))
            return EMO_EINTR;
        int next = v->list_pos + 1;
        if (next >= v->n_files) {
            if (!v->s.loop || !v->list_good_in_cycle)
                return EMO_EOF;
            next = 0;
            v->list_good_in_cycle = 0;
        }
        v->list_pos = next;
        if (emo__source_input_open(v, v->files[next]) == 0)
            return 0;
        emo__source_skip_image(v, v->files[next], "cannot be opened");
    }
}
