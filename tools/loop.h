/* The frame loop of `emoscope run`, `analyze` and `bench`: frames read from
 * a source, analysed by the pipeline (drawn on its draw thread) and handed
 * to sinks. What each command does with the results and the drawn frames
 * (result files, encoder, window, sound, benchmark samples) lives in its
 * sinks, so the loop itself exists once. Uses the public pipeline API only. */
#ifndef EMOSCOPE_TOOLS_LOOP_H
#define EMOSCOPE_TOOLS_LOOP_H

#include <stdint.h>

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

/* What on_poll answers. */
enum {
    EMO_LOOP_GO = 0,    /* read and analyse the next frame */
    EMO_LOOP_PAUSE = 1, /* read nothing this turn (the loop waits 10 ms) */
    EMO_LOOP_QUIT = 2,  /* end the run as if the input ended */
};

/* One consumer of the loop. Every callback may be NULL. Those returning int
 * return 0 to go on; anything else ends the run (the frames still being
 * drawn are then released unseen). */
typedef struct EmoLoopSink {
    void *opaque;
    /* Before each read: keys of a window. EMO_LOOP_GO, _PAUSE or _QUIT. */
    int (*on_poll)(void *opaque);
    /* A frame was read, before its analysis: the clock time (emo_clock_now())
     * before which it must not be analysed (a paced benchmark), or 0. The
     * loop hands on drawn frames while it waits. */
    double (*on_read)(void *opaque, const EmoFrame *f);
    /* The results of one analysed frame, valid during the call. */
    int (*on_result)(void *opaque, const EmoPipelineResult *res);
    /* A drawn frame (the decoded one without a pipeline), in order. It is
     * lent: a sink that keeps it takes its own reference (emo_frame_ref).
     * t_render, cpu_render: wall and CPU seconds its overlay took. */
    int (*on_frame)(void *opaque, EmoFrame *f, double t_render, double cpu_render);
    /* The end of the stream, once: res holds the events that
     * emo_pipeline_finish() closed (NULL without a pipeline). */
    void (*on_end)(void *opaque, const EmoPipelineResult *res);
} EmoLoopSink;

#define EMO_LOOP_MAX_SINKS 8

typedef struct EmoLoopSettings {
    const char *name;            /* prefix of messages: "emoscope run" */
    EmoVideoSource *src;
    EmoPipeline *pipe;           /* NULL: pass-through, frames go straight to on_frame */
    const EmoLoopSink *sinks;    /* called in this order */
    int n_sinks;
    int catch_signals;           /* SIGINT/SIGTERM end the run cleanly */
    double stats_interval;       /* seconds between `stats:` lines on stderr; 0: none */
    double t0;                   /* clock time the stats lines count from */
} EmoLoopSettings;

typedef struct EmoLoopReport {
    int64_t frames;              /* frames read */
    int64_t events;              /* events in the results handed on, the end's included */
    double first_pts, last_pts;
    int source_status;           /* the read that ended the run (EMO_EOF at the end), or 0 */
    int frame_status;            /* an analysis or overlay error, or 0 */
    int stopped;                 /* a sink ended the run (quit, failure, enough measured) */
    int interrupted;             /* SIGINT or SIGTERM ended it */
} EmoLoopReport;

/* Runs until the source ends, a sink or a signal stops it, or the analysis
 * fails; then hands on the frames still being drawn, finishes the pipeline
 * and calls on_end. Returns 0, or EMO_EINVAL for bad settings. */
int emo_loop_run(const EmoLoopSettings *s, EmoLoopReport *rep);

/* Opens the source. A live source (camera, stream) with reconnect on is
 * retried every reconnect_delay seconds until it opens, logging each try;
 * SIGINT/SIGTERM while trying or waiting gives EMO_EINTR (at the latest when
 * the attempt under way gives up, after video.timeout). Settings errors are
 * not retried. */
int emo_loop_open_source(EmoVideoSource **src, const EmoVideoSourceSettings *vs, const EmoVideoSettings *cfg,
                         const char *name);

/* Sleeps s seconds (nothing when s <= 0). */
void emo_loop_sleep(double s);

#endif
