/* Video sources: settings, open and close, the reads that hand frames over. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavdevice/avdevice.h>

#include "video/source_internal.h"

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

/* ------------------------------------------------------------ status */

/* Records the first error that ends the source (and logs it). */
void emo__source_error(EmoVideoSource *v, int err, const char *fmt, ...)
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

int emo__source_stopping(EmoVideoSource *v)
{
    return __atomic_load_n(&v->stop, __ATOMIC_ACQUIRE);
}

void emo__source_sleep(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
    nanosleep(&ts, NULL);
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

static void drop_frame(void *item)
{
    EmoFrame *f = item;
    emo_frame_unref(&f);
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
        err = emo__source_build_list(v);
        if (err)
            goto fail;
        /* The first readable image sets the size. */
        v->list_pos = -1;
        err = emo__source_next_image(v);
        if (err) {
            err = EMO_EFORMAT;
            emo__source_error(v, err, "%s: none of its %d images can be read", v->url, v->n_files);
            goto fail;
        }
    } else {
        err = emo__source_input_open(v, v->url);
        if (err)
            goto fail;
    }
    emo__source_describe(v);
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
    if (pthread_create(&v->conv_thread, NULL, emo__source_convert_main, v) != 0) {
        err = EMO_ENOMEM;
        goto fail;
    }
    v->conv_started = 1;
    if (pthread_create(&v->thread, NULL, emo__source_capture_main, v) != 0) {
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
    emo__source_input_close(v);
    emo__scaler_free(&v->scaler);
    av_packet_free(&v->pkt);
    av_frame_free(&v->frm);
    for (int i = 0; i < v->n_files; i++)
        free(v->files[i]);
    free(v->files);
    pthread_mutex_destroy(&v->lock);
    free(v);
}
