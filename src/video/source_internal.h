/* The video source's state, shared by its files: source.c (settings, public
 * calls, life cycle), input.c (classifying, image lists, opening and probing
 * an input) and capture.c (the decode and conversion threads, reconnect). */
#ifndef EMOSCOPE_VIDEO_SOURCE_INTERNAL_H
#define EMOSCOPE_VIDEO_SOURCE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include <emoscope/video.h>

#include "core/queue.h"
#include "video/video_internal.h"

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

/* source.c */

/* Records the first error that ends the source (and logs it). */
void emo__source_error(EmoVideoSource *v, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* 1 once close or emo_video_stop() asked the threads to end. */
int emo__source_stopping(EmoVideoSource *v);

void emo__source_sleep(double s);

/* input.c */

/* Sets the deadline that cuts blocking I/O of live inputs (camera, stream). */
void emo__source_arm_deadline(EmoVideoSource *v);

/* Fills v->files from a folder, an image name, a printf pattern or a glob. 0 or an error (message set). */
int emo__source_build_list(EmoVideoSource *v);

/* The protocol option that carries the I/O timeout for url, besides the
 * generic rw_timeout; NULL when only rw_timeout is safe (rtmp). */
const char *emo__video_timeout_option(const char *url);

/* Opens url as the current input (demuxer and decoder). 0 or an error (message set). */
int emo__source_input_open(EmoVideoSource *v, const char *url);

void emo__source_input_close(EmoVideoSource *v);

/* Fills v->info from the first input. */
void emo__source_describe(EmoVideoSource *v);

/* A failed image is skipped: its error becomes a warning, not the final status. */
void emo__source_skip_image(EmoVideoSource *v, const char *file, const char *fallback);

/* Image lists: opens the next file (wrapping when looping). 0, EMO_EOF when done. */
int emo__source_next_image(EmoVideoSource *v);

/* capture.c: the two thread bodies (demux and decode; pixel conversion). */
void *emo__source_capture_main(void *arg);
void *emo__source_convert_main(void *arg);

#endif
