/* Video sources: open, capture thread (demux, decode, convert), queue hand-over. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "core/queue.h"
#include "video/video_internal.h"

#define MAX_IMAGES 10000000
#define MAX_LIVE_ERRORS 200 /* consecutive decode errors before a live source gives up */

#define N_SLOTS 3 /* decoded frames in flight between the decode and conversion threads */

typedef struct Slot {
    AVFrame *f;
    double pts;
    int64_t index;
} Slot;

struct EmoVideoSource {
    /* Settings, copied at open. */
    EmoVideoSourceSettings s;
    char source[EMO_PATH_MAX];
    char url[EMO_PATH_MAX];      /* what FFmpeg opens (source without "v4l2:") */
    char input_format[32];
    const EmoLogger *log;
    EmoVideoInfo info;
    int live;

    /* Image list (kinds IMAGE and IMAGES). */
    char **files;
    int n_files, list_pos, list_failed, list_good_in_cycle;

    /* Current input, owned by the capture thread once it runs. */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int vidx;
    AVRational tb;
    AVPacket *pkt;
    AVFrame *frm;
    EmoScaler scaler;
    int have_first;
    int64_t first_ts, prev_ts;
    double pts_offset, last_pts, frame_dur;
    int64_t packets, expected_packets;
    int64_t index;
    int done;                    /* max_frames reached */

    /* Threads and hand-over: decode thread -> work_q -> conversion thread -> q. */
    pthread_t thread, conv_thread;
    int thread_started, conv_started;
    Slot slots[N_SLOTS];
    EmoQueue *free_q, *work_q;
    EmoQueue *q;
    EmoFramePool *pool;
    int stop;                    /* atomic: close or emo_video_stop() asked */
    double deadline;             /* capture-side: interrupt blocking I/O after this (0 = never) */
    int timed_out;

    /* Status and counters, under lock. */
    pthread_mutex_t lock;
    int status;                  /* 0 while running; EMO_EOF or the error that ended it */
    int capture_status;          /* how the decode thread ended */
    char message[512];
    EmoVideoStats st;
    double convert_busy;         /* conversion-thread seconds converting */
    double wait_free;            /* decode-thread seconds waiting for a free slot (capture thread only) */
    double decode_busy;          /* decode-thread seconds demuxing and decoding, set at its end */
    double t_start, t_end;       /* capture thread start and end (emo_clock_now) */
};

/* ------------------------------------------------------------ settings */

void emo_video_default_settings(EmoVideoSourceSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->pix_fmt = EMO_PIX_BGRA;
    s->width = 1920;
    s->height = 1080;
    s->fps = 60;
    s->input_format = "mjpeg";
    s->live = EMO_VIDEO_LIVE_AUTO;
    s->queue_size = 4;
    s->held_frames = 8;
    s->reconnect_delay = 1.0;
    s->image_fps = 1.0;
    s->timeout = 10.0;
    s->scaler = "bilinear";
}

int emo_video_settings_from_config(EmoVideoSourceSettings *s, const EmoVideoSettings *c)
{
    if (c->source[0])
        s->source = c->source;
    s->width = c->width;
    s->height = c->height;
    s->fps = c->fps;
    s->input_format = c->input_format;
    if (!strcasecmp(c->live, "auto"))
        s->live = EMO_VIDEO_LIVE_AUTO;
    else if (!strcasecmp(c->live, "yes") || !strcasecmp(c->live, "true") || !strcmp(c->live, "1"))
        s->live = EMO_VIDEO_LIVE_YES;
    else if (!strcasecmp(c->live, "no") || !strcasecmp(c->live, "false") || !strcmp(c->live, "0"))
        s->live = EMO_VIDEO_LIVE_NO;
    else
        return EMO_EINVAL;
    s->queue_size = c->queue_size;
    s->max_frames = c->max_frames;
    s->loop = c->loop;
    s->reconnect = c->reconnect;
    s->reconnect_delay = c->reconnect_delay;
    s->image_fps = c->image_fps;
    s->decode_threads = c->decode_threads;
    s->timeout = c->timeout;
    s->scaler = c->scaler;
    s->pix_fmt = emo_video_parse_pixfmt(c->pix_fmt);
    if (s->pix_fmt == EMO_PIX_NONE || emo__video_sws_flags(c->scaler) < 0)
        return EMO_EINVAL;
    return 0;
}

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

/* ------------------------------------------------------------ status */

static void set_error(EmoVideoSource *v, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records the first error that ends the source (and logs it). */
static void set_error(EmoVideoSource *v, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&v->lock);
    int first = !v->message[0];
    if (first)
        snprintf(v->message, sizeof(v->message), "%s", msg);
    pthread_mutex_unlock(&v->lock);
    if (first)
        emo_log(v->log, err == EMO_EINTR ? EMO_LOG_INFO : EMO_LOG_ERROR, "video: %s", msg);
}

static int stopping(EmoVideoSource *v)
{
    return __atomic_load_n(&v->stop, __ATOMIC_ACQUIRE);
}

static int interrupt_cb(void *opaque)
{
    EmoVideoSource *v = opaque;
    if (stopping(v))
        return 1;
    if (v->deadline > 0 && emo_clock_now() > v->deadline) {
        v->timed_out = 1;
        return 1;
    }
    return 0;
}

/* timed_out stays set once a read was cut: demuxers may report the cut
 * later, as an I/O error or EOF, after handing out what they had buffered. */
static void arm_deadline(EmoVideoSource *v)
{
    v->deadline = v->info.kind == EMO_VIDEO_CAMERA || v->info.kind == EMO_VIDEO_STREAM ? emo_clock_now() + v->s.timeout
                                                                                      : 0;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
    nanosleep(&ts, NULL);
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

static int build_list(EmoVideoSource *v)
{
    const char *src = v->url;
    int cap = 0, err = 0;
    struct stat sb;
    if (stat(src, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(src);
        if (!d) {
            set_error(v, EMO_EIO, "%s: cannot read folder (%s)", src, strerror(errno));
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
        set_error(v, err, "%s: %s while listing images", src, emo_strerror(err));
        return err;
    }
    if (v->n_files == 0) {
        set_error(v, EMO_ENOENT, "%s: no image files found", src);
        return EMO_ENOENT;
    }
    return 0;
}

/* ------------------------------------------------------------ inputs */

static void input_close(EmoVideoSource *v)
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
        set_error(v, EMO_ETIMEDOUT, "%s %s: no answer within %g s while %s", kind, url, v->s.timeout, what);
        return EMO_ETIMEDOUT;
    }
    if (v->info.kind == EMO_VIDEO_CAMERA && (err == EMO_ENOENT || err == EMO_ENODEV))
        err = EMO_ENODEV;
    else if (v->info.kind == EMO_VIDEO_STREAM && err == EMO_EIO)
        err = EMO_ENET;
    if (err == EMO_EFORMAT)
        set_error(v, err, "%s %s: not a readable video (%s) while %s: unknown format, or a truncated or corrupt file",
                  kind, url, eb, what);
    else
        set_error(v, err, "%s %s: %s while %s", kind, url, eb, what);
    return err;
}

static int input_open(EmoVideoSource *v, const char *url)
{
    const AVInputFormat *ifmt = NULL;
    AVDictionary *opt = NULL;
    char buf[64];
    int ret, camera = v->info.kind == EMO_VIDEO_CAMERA, tried_plain = 0;
    v->timed_out = 0;

    if (camera) {
        struct stat sb;
        if (stat(url, &sb) != 0) {
            set_error(v, EMO_ENODEV, "camera %s: no such device (%s); is a webcam plugged in? see `ls /dev/video*`",
                      url, strerror(errno));
            return EMO_ENODEV;
        }
        if (!S_ISCHR(sb.st_mode)) {
            set_error(v, EMO_ENODEV, "camera %s: not a device node", url);
            return EMO_ENODEV;
        }
        ifmt = av_find_input_format("video4linux2");
        if (!ifmt) {
            set_error(v, EMO_EUNSUPPORTED, "camera %s: FFmpeg was built without video4linux2 input", url);
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
        snprintf(buf, sizeof(buf), "%lld", (long long)(v->s.timeout * 1e6));
        av_dict_set(&opt, "rw_timeout", buf, 0);
        av_dict_set(&opt, "timeout", buf, 0);
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
    arm_deadline(v);
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

    arm_deadline(v);
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0) {
        int err = open_error(v, url, ret, "reading stream information");
        input_close(v);
        return err;
    }
    const AVCodec *codec = NULL;
    ret = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret < 0) {
        if (ret == AVERROR_DECODER_NOT_FOUND)
            set_error(v, EMO_EUNSUPPORTED, "%s: no decoder for its video stream", url);
        else
            set_error(v, EMO_EFORMAT, "%s: no video stream (format %s)", url, v->fmt->iformat->name);
        input_close(v);
        return ret == AVERROR_DECODER_NOT_FOUND ? EMO_EUNSUPPORTED : EMO_EFORMAT;
    }
    v->vidx = ret;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->vidx)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    AVStream *st = v->fmt->streams[v->vidx];
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec) {
        input_close(v);
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
        input_close(v);
        return err;
    }
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0 || st->codecpar->width > 16384 ||
        st->codecpar->height > 16384) {
        set_error(v, EMO_EFORMAT, "%s: video size %dx%d out of range", url, st->codecpar->width,
                  st->codecpar->height);
        input_close(v);
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
static void describe(EmoVideoSource *v)
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

/* ------------------------------------------------------------ capture */

static void drop_frame(void *item)
{
    EmoFrame *f = item;
    emo_frame_unref(&f);
}

/* Hands the decoded frame v->frm (its buffers, no copy) to the conversion
 * thread with its time stamp and index. 0, or EMO_EINTR when stopping. */
static int emit(EmoVideoSource *v)
{
    AVFrame *in = v->frm;
    double pts;
    if (v->info.kind == EMO_VIDEO_IMAGE || v->info.kind == EMO_VIDEO_IMAGES) {
        pts = (double)v->index / v->s.image_fps;
    } else {
        int64_t ts = in->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE)
            ts = in->pts;
        if (ts == AV_NOPTS_VALUE) { /* no time stamp at all: continue at the nominal rate */
            pts = v->have_first ? v->last_pts + (v->frame_dur > 0 ? v->frame_dur : 1.0 / 30) : v->pts_offset;
        } else {
            if (!v->have_first) {
                v->first_ts = ts;
                v->have_first = 1;
            }
            pts = (double)(ts - v->first_ts) * av_q2d(v->tb) + v->pts_offset;
        }
        if (v->have_first && v->index > 0 && pts <= v->last_pts)
            emo_log(v->log, EMO_LOG_DEBUG, "video: frame %lld: time stamp %.6f s not after %.6f s",
                    (long long)v->index, pts, v->last_pts);
    }
    v->have_first = 1;
    void *item = NULL;
    double t0 = emo_clock_now();
    int err = emo_queue_pop(v->free_q, &item, -1);
    v->wait_free += emo_clock_now() - t0; /* waiting for the conversion thread: not decoding */
    if (err)
        return EMO_EINTR; /* aborted: closing */
    Slot *slot = item;
    av_frame_move_ref(slot->f, in);
    slot->pts = pts;
    slot->index = v->index++;
    v->last_pts = pts;
    if (emo_queue_push(v->work_q, slot) != 0) {
        av_frame_unref(slot->f);
        return EMO_EINTR;
    }
    if (v->s.max_frames > 0 && v->index >= v->s.max_frames)
        v->done = 1;
    return 0;
}

/* Conversion thread, one slot: pool frame, convert, queue. 0 or an error. */
static int convert_slot(EmoVideoSource *v, Slot *slot, double *busy)
{
    AVFrame *in = slot->f;
    EmoFrame *f = NULL;
    int err;
    while ((err = emo_frame_pool_get(v->pool, &f)) == EMO_EAGAIN) {
        if (v->live) { /* the consumer holds every frame: this one is lost */
            pthread_mutex_lock(&v->lock);
            v->st.frames_dropped++;
            pthread_mutex_unlock(&v->lock);
            return 0;
        }
        if (stopping(v))
            return EMO_EINTR;
        sleep_s(0.001);
    }
    double t1 = emo_clock_now();
    if (err) {
        set_error(v, err, "%s: cannot get a frame buffer (%s)", v->url, emo_strerror(err));
        return err;
    }
    err = emo__video_convert(&v->scaler, in, f);
    *busy += emo_clock_now() - t1;
    if (err) {
        emo_frame_unref(&f);
        const char *name = av_get_pix_fmt_name((enum AVPixelFormat)in->format);
        set_error(v, EMO_EFORMAT, "%s: cannot convert a %dx%d %s frame", v->url, in->width, in->height,
                  name ? name : "?");
        return EMO_EFORMAT;
    }
    f->pts = slot->pts;
    f->index = slot->index;
    f->t_capture = emo_clock_now();
    pthread_mutex_lock(&v->lock);
    v->st.frames_decoded++;
    pthread_mutex_unlock(&v->lock);
    err = emo_queue_push(v->q, f);
    if (err) {
        emo_frame_unref(&f);
        return EMO_EINTR;
    }
    return 0;
}

/*
 * Pixel conversion runs on its own thread, so that decoding (one thread
 * when decode_threads = 1) and conversion overlap: the source keeps up with
 * the decoder alone when a second core is free.
 */
static void *convert_main(void *arg)
{
    EmoVideoSource *v = arg;
    int err = 0;
    double busy = 0;
    for (;;) {
        void *item = NULL;
        if (emo_queue_pop(v->work_q, &item, -1) != 0)
            break; /* the decoder is done (or closing) */
        Slot *slot = item;
        if (!err) {
            err = convert_slot(v, slot, &busy);
            if (err && err != EMO_EINTR)
                emo_queue_abort(v->free_q); /* the decoder stops at its next frame */
        }
        av_frame_unref(slot->f);
        emo_queue_push(v->free_q, slot); /* fails only when closing: slots stay in v->slots */
        pthread_mutex_lock(&v->lock);
        v->convert_busy = busy;
        pthread_mutex_unlock(&v->lock);
    }
    pthread_mutex_lock(&v->lock);
    int st = v->capture_status;
    if (err && err != EMO_EINTR)
        st = err;
    else if (err == EMO_EINTR && (st == EMO_EOF || !st))
        st = EMO_EINTR;
    v->status = st ? st : EMO_EOF;
    v->t_end = emo_clock_now();
    pthread_mutex_unlock(&v->lock);
    emo_queue_close(v->q);
    return NULL;
}

/*
 * Sends one packet (NULL: flush) and emits every frame that comes out.
 * Returns 0, EMO_EINTR, or EMO_EFORMAT for a packet the decoder rejects.
 */
static int decode(EmoVideoSource *v, AVPacket *pkt)
{
    char eb[128];
    int ret = avcodec_send_packet(v->dec, pkt);
    int bad = 0;
    if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN)) {
        emo_log(v->log, v->live ? EMO_LOG_DEBUG : EMO_LOG_WARN, "video: %s: decoder rejected a packet (%s)", v->url,
                emo__video_errstr(ret, eb, sizeof(eb)));
        bad = 1;
    }
    while (!v->done) {
        ret = avcodec_receive_frame(v->dec, v->frm);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            emo_log(v->log, v->live ? EMO_LOG_DEBUG : EMO_LOG_WARN, "video: %s: decoding failed (%s)", v->url,
                    emo__video_errstr(ret, eb, sizeof(eb)));
            bad = 1;
            break;
        }
        int err = emit(v);
        av_frame_unref(v->frm);
        if (err)
            return err;
    }
    if (bad) {
        pthread_mutex_lock(&v->lock);
        v->st.decode_errors++;
        pthread_mutex_unlock(&v->lock);
        return EMO_EFORMAT;
    }
    return 0;
}

/*
 * Reads the current input to its end. Returns EMO_EOF at a clean end (or
 * after max_frames), EMO_EINTR when stopped, or the error that ended it
 * (with its message set), after flushing every frame decodable before it.
 */
static int run_input(EmoVideoSource *v)
{
    char eb[128];
    int end = EMO_EOF, live_errors = 0, rearm = 1;
    for (;;) {
        if (stopping(v))
            return EMO_EINTR;
        if (v->done)
            return EMO_EOF;
        if (rearm)
            arm_deadline(v);
        int ret = av_read_frame(v->fmt, v->pkt);
        rearm = ret != AVERROR(EAGAIN);
        if (ret == AVERROR(EAGAIN)) { /* non-blocking camera: nothing yet */
            if (v->deadline > 0 && emo_clock_now() > v->deadline)
                v->timed_out = 1;
            else {
                sleep_s(0.002);
                continue;
            }
        }
        if (ret < 0) {
            if (stopping(v))
                return EMO_EINTR;
            if (v->timed_out) { /* whatever the demuxer made of the interrupted read */
                end = EMO_ETIMEDOUT;
                set_error(v, end, "%s: no data for %g s", v->url, v->s.timeout);
            } else if (ret == AVERROR_EOF && !(v->fmt->pb && v->fmt->pb->error)) {
                end = EMO_EOF;
            } else {
                end = emo__video_err(ret == AVERROR_EOF ? v->fmt->pb->error : ret);
                if (end == EMO_EOF || end == EMO_EINTR || end == 0)
                    end = EMO_EIO;
                if (v->info.kind == EMO_VIDEO_STREAM && end == EMO_EIO)
                    end = EMO_ENET;
                set_error(v, end, "%s: reading stopped after %lld frames: %s%s", v->url, (long long)v->index,
                          emo__video_errstr(ret, eb, sizeof(eb)),
                          end == EMO_EFORMAT ? " (truncated or corrupt file)" : "");
            }
            break;
        }
        if (v->pkt->stream_index != v->vidx) {
            av_packet_unref(v->pkt);
            continue;
        }
        v->packets++;
        if ((v->pkt->flags & AV_PKT_FLAG_CORRUPT) && !v->live) {
            av_packet_unref(v->pkt);
            end = EMO_EFORMAT;
            set_error(v, end, "%s: packet %lld is cut or corrupt (truncated or damaged file)", v->url,
                      (long long)v->packets);
            break;
        }
        int err = decode(v, v->pkt);
        av_packet_unref(v->pkt);
        if (err == EMO_EINTR)
            return EMO_EINTR;
        if (err == EMO_EFORMAT) {
            if (v->live && ++live_errors < MAX_LIVE_ERRORS)
                continue;
            end = EMO_EFORMAT;
            set_error(v, end, "%s: packet %lld could not be decoded (%s)", v->url, (long long)v->packets,
                      v->live ? "too many errors in a row" : "corrupt file");
            break;
        } else if (err) {
            return err;
        }
        live_errors = 0;
    }
    /* Frames still inside the decoder (reordering delay) come before the damage. */
    int err = decode(v, NULL);
    if (err == EMO_EINTR)
        return EMO_EINTR;
    if (end == EMO_EOF && v->expected_packets > 0 && v->packets < v->expected_packets && !v->done) {
        end = EMO_EFORMAT;
        set_error(v, end, "%s: file ends after %lld of %lld frames (truncated)", v->url, (long long)v->packets,
                  (long long)v->expected_packets);
    }
    if (end == EMO_EOF && err == EMO_EFORMAT && !v->live) {
        end = EMO_EFORMAT;
        set_error(v, end, "%s: undecodable data at the end after %lld frames", v->url, (long long)v->index);
    }
    return end;
}

/* A failed image is skipped: its error becomes a warning, not the final status. */
static void skip_image(EmoVideoSource *v, const char *file, const char *fallback)
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
static int next_image(EmoVideoSource *v)
{
    for (;;) {
        if (stopping(v))
            return EMO_EINTR;
        int next = v->list_pos + 1;
        if (next >= v->n_files) {
            if (!v->s.loop || !v->list_good_in_cycle)
                return EMO_EOF;
            next = 0;
            v->list_good_in_cycle = 0;
        }
        v->list_pos = next;
        if (input_open(v, v->files[next]) == 0)
            return 0;
        skip_image(v, v->files[next], "cannot be opened");
    }
}

static void *capture_main(void *arg)
{
    EmoVideoSource *v = arg;
    int status;
    for (;;) {
        int64_t before = v->index;
        status = run_input(v);
        if (status == EMO_EINTR || v->done) {
            status = status == EMO_EINTR ? EMO_EINTR : EMO_EOF;
            break;
        }
        int images = v->info.kind == EMO_VIDEO_IMAGE || v->info.kind == EMO_VIDEO_IMAGES;
        if (images) {
            if (v->index > before)
                v->list_good_in_cycle = 1;
            if (status != EMO_EOF || v->index == before)
                skip_image(v, v->files[v->list_pos], "no picture in it");
            input_close(v);
            status = next_image(v);
            if (status == 0)
                continue;
            if (status == EMO_EOF && v->list_failed) {
                status = EMO_EFORMAT;
                set_error(v, status, "%d of %d images could not be read", v->list_failed, v->n_files);
            }
            break;
        }
        int restart = (status == EMO_EOF && v->s.loop && !v->live) || (v->live && v->s.reconnect);
        if (!restart)
            break;
        input_close(v);
        v->pts_offset = v->last_pts + (v->frame_dur > 0 ? v->frame_dur : 1.0 / 30);
        int opened = 0;
        while (!stopping(v) && !opened) {
            if (v->live) {
                emo_log(v->log, EMO_LOG_WARN, "video: %s stopped; reconnecting in %g s", v->url,
                        v->s.reconnect_delay);
                for (double w = 0; w < v->s.reconnect_delay && !stopping(v); w += 0.05)
                    sleep_s(0.05);
                if (stopping(v))
                    break;
            }
            pthread_mutex_lock(&v->lock);
            v->message[0] = 0;
            pthread_mutex_unlock(&v->lock);
            opened = input_open(v, v->url) == 0;
            if (opened && v->live) {
                pthread_mutex_lock(&v->lock);
                v->st.reconnects++;
                pthread_mutex_unlock(&v->lock);
            }
            if (!opened && !v->live)
                break; /* a file that went away while looping */
        }
        if (!opened) {
            status = stopping(v) ? EMO_EINTR : EMO_EIO;
            break;
        }
    }
    pthread_mutex_lock(&v->lock);
    v->capture_status = status;
    v->decode_busy = emo_clock_now() - v->t_start - v->wait_free;
    pthread_mutex_unlock(&v->lock);
    emo_queue_close(v->work_q); /* the conversion thread finishes what is queued, then ends the source */
    return NULL;
}

/* ------------------------------------------------------------ public */

int emo_video_settings_live(const EmoVideoSourceSettings *s)
{
    if (s->live != EMO_VIDEO_LIVE_AUTO)
        return s->live == EMO_VIDEO_LIVE_YES;
    if (!s->source)
        return 0;
    EmoVideoKind kind = emo_video_classify(s->source);
    return kind == EMO_VIDEO_CAMERA || kind == EMO_VIDEO_STREAM;
}

static pthread_once_t avdevice_once = PTHREAD_ONCE_INIT;

static void register_devices(void)
{
    avdevice_register_all();
}

int emo_video_open(EmoVideoSource **out, const EmoVideoSourceSettings *s)
{
    *out = NULL;
    const EmoLogger *lg = s ? s->log : NULL;
    if (!s || !s->source || !s->source[0]) {
        emo_log(lg, EMO_LOG_ERROR, "video: no source given");
        return EMO_EINVAL;
    }
    if (strlen(s->source) >= EMO_PATH_MAX) {
        emo_log(lg, EMO_LOG_ERROR, "video: source name longer than %d bytes", EMO_PATH_MAX - 1);
        return EMO_EINVAL;
    }
    int sws_flags = emo__video_sws_flags(s->scaler);
    if (emo__video_avfmt(s->pix_fmt) == AV_PIX_FMT_NONE || sws_flags < 0 || s->queue_size < 1 ||
        s->queue_size > 256 || s->held_frames < 0 || s->held_frames > 1024 || s->out_width < 0 ||
        s->out_height < 0 || s->out_width > 16384 || s->out_height > 16384 || s->width < 1 || s->height < 1 ||
        !(s->fps > 0) || !(s->image_fps > 0) || !(s->timeout > 0) || s->max_frames < 0 || s->decode_threads < 0 ||
        s->reconnect_delay < 0) {
        emo_log(lg, EMO_LOG_ERROR, "video: invalid settings for %s (pixel format, scaler, queue size, sizes, rates)",
                s->source);
        return EMO_EINVAL;
    }
    pthread_once(&avdevice_once, register_devices);

    EmoVideoSource *v = calloc(1, sizeof(*v));
    if (!v)
        return EMO_ENOMEM;
    pthread_mutex_init(&v->lock, NULL);
    int err = EMO_ENOMEM;
    v->s = *s;
    v->log = s->log;
    snprintf(v->source, sizeof(v->source), "%s", s->source);
    snprintf(v->input_format, sizeof(v->input_format), "%s", s->input_format ? s->input_format : "");
    v->s.source = v->source;
    v->s.input_format = v->input_format;
    v->s.scaler = NULL;
    v->scaler.flags = sws_flags;
    v->info.kind = emo_video_classify(v->source);
    const char *url = v->source;
    if (!strncmp(url, "v4l2:", 5))
        url += 5;
    else if (!strncmp(url, "file:", 5) && !strstr(url, "://"))
        url += 5;
    snprintf(v->url, sizeof(v->url), "%s", url);
    v->live = emo_video_settings_live(s);
    v->info.live = v->live;
    v->list_pos = 0;

    v->pkt = av_packet_alloc();
    v->frm = av_frame_alloc();
    if (!v->pkt || !v->frm)
        goto fail;

    if (v->info.kind == EMO_VIDEO_IMAGE || v->info.kind == EMO_VIDEO_IMAGES) {
        err = build_list(v);
        if (err)
            goto fail;
        /* The first readable image sets the size. */
        v->list_pos = -1;
        err = next_image(v);
        if (err) {
            err = EMO_EFORMAT;
            set_error(v, err, "%s: none of its %d images can be read", v->url, v->n_files);
            goto fail;
        }
    } else {
        err = input_open(v, v->url);
        if (err)
            goto fail;
    }
    describe(v);
    v->message[0] = 0; /* warnings about skipped images are not the final error */

    err = emo_queue_open(&v->q, s->queue_size, v->live ? EMO_QUEUE_DROP_OLDEST : EMO_QUEUE_BLOCK, drop_frame);
    if (!err)
        err = emo_queue_open(&v->free_q, N_SLOTS, EMO_QUEUE_BLOCK, NULL);
    if (!err)
        err = emo_queue_open(&v->work_q, N_SLOTS, EMO_QUEUE_BLOCK, NULL);
    if (err)
        goto fail;
    err = EMO_ENOMEM;
    for (int i = 0; i < N_SLOTS; i++) {
        v->slots[i].f = av_frame_alloc();
        if (!v->slots[i].f || emo_queue_push(v->free_q, &v->slots[i]))
            goto fail;
    }
    err = emo_frame_pool_open(&v->pool, s->pix_fmt, v->info.width, v->info.height,
                              s->queue_size + s->held_frames + 2);
    if (err)
        goto fail;
    v->t_start = emo_clock_now();
    if (pthread_create(&v->conv_thread, NULL, convert_main, v) != 0) {
        err = EMO_ENOMEM;
        goto fail;
    }
    v->conv_started = 1;
    if (pthread_create(&v->thread, NULL, capture_main, v) != 0) {
        err = EMO_ENOMEM;
        goto fail;
    }
    v->thread_started = 1;
    *out = v;
    return 0;
fail:
    emo_video_close(&v);
    return err;
}

void emo_video_info(const EmoVideoSource *v, EmoVideoInfo *info)
{
    *info = v->info;
}

static int finish_read(EmoVideoSource *v, int err, void *item, EmoFrame **frame)
{
    if (!err) {
        *frame = item;
        pthread_mutex_lock(&v->lock);
        v->st.frames_read++;
        pthread_mutex_unlock(&v->lock);
        return 0;
    }
    if (err == EMO_EOF) {
        pthread_mutex_lock(&v->lock);
        int st = v->status;
        pthread_mutex_unlock(&v->lock);
        return st ? st : EMO_EOF;
    }
    return err;
}

int emo_video_read(EmoVideoSource *v, EmoFrame **frame, double timeout_s)
{
    *frame = NULL;
    void *item = NULL;
    int err = emo_queue_pop(v->q, &item, timeout_s);
    return finish_read(v, err, item, frame);
}

int emo_video_read_latest(EmoVideoSource *v, EmoFrame **frame, double timeout_s)
{
    *frame = NULL;
    void *item = NULL;
    int err = emo_queue_pop_latest(v->q, &item, timeout_s);
    return finish_read(v, err, item, frame);
}

void emo_video_stop(EmoVideoSource *v)
{
    if (v)
        __atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
}

void emo_video_stats(EmoVideoSource *v, EmoVideoStats *out)
{
    pthread_mutex_lock(&v->lock);
    *out = v->st;
    out->decode_seconds = v->decode_busy;
    out->convert_seconds = v->convert_busy;
    pthread_mutex_unlock(&v->lock);
    if (v->q)
        out->frames_dropped += (int64_t)emo_queue_dropped(v->q);
}

const char *emo_video_error_message(EmoVideoSource *v)
{
    /* Written by the capture thread until it ends; the header says to call
     * this once a read has returned the final status. */
    return v->message;
}

void emo_video_close(EmoVideoSource **pv)
{
    if (!pv || !*pv)
        return;
    EmoVideoSource *v = *pv;
    *pv = NULL;
    __atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
    if (v->q)
        emo_queue_abort(v->q);
    if (v->free_q)
        emo_queue_abort(v->free_q);
    if (v->thread_started)
        pthread_join(v->thread, NULL);
    if (v->work_q)
        emo_queue_abort(v->work_q);
    if (v->conv_started)
        pthread_join(v->conv_thread, NULL);
    emo_queue_free(&v->q);
    emo_queue_free(&v->free_q);
    emo_queue_free(&v->work_q);
    for (int i = 0; i < N_SLOTS; i++)
        av_frame_free(&v->slots[i].f);
    emo_frame_pool_close(&v->pool);
    input_close(v);
    emo__scaler_free(&v->scaler);
    av_packet_free(&v->pkt);
    av_frame_free(&v->frm);
    for (int i = 0; i < v->n_files; i++)
        free(v->files[i]);
    free(v->files);
    pthread_mutex_destroy(&v->lock);
    free(v);
}
