/**
 * @file analyze.h
 * A source analysed from its first frame to its last, and what `emoscope
 * analyze` writes of it: the frame loop with its sinks, and the whole
 * analysis of one file into an output folder.
 *
 * The frame loop reads frames from a source, analyses them (the overlay is
 * drawn on the pipeline's draw thread) and hands results and drawn frames
 * to sinks: the result files, the encoder, a window, a benchmark. A sink
 * is a set of callbacks; the loop itself exists once.
 *
 * emo_analyze_file() is the library form of `emoscope analyze FILE --out
 * DIR`: it opens the source and the models, runs the loop with the file
 * sinks (and the caller's extra sinks) and writes results.jsonl/.csv,
 * events.jsonl/.csv, summary.json, timeline.png/.svg and annotated.mp4,
 * byte for byte what the command writes. It prints nothing: messages go to
 * the logger, figures into the report. It changes no signal disposition:
 * a program that wants Ctrl-C to end a run cleanly sets the stop flag from
 * its handler (and ignores SIGPIPE and SIGXFSZ, so that a closed pipe or a
 * file over the size limit is a write error rather than death).
 */
#ifndef EMOSCOPE_ANALYZE_H
#define EMOSCOPE_ANALYZE_H

#include <stdint.h>

#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/export.h>
#include <emoscope/frame.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ frame loop */

/** What on_poll answers. */
enum {
    EMO_LOOP_GO = 0,    /**< read and analyse the next frame */
    EMO_LOOP_PAUSE = 1, /**< read nothing this turn (the loop waits 10 ms) */
    EMO_LOOP_QUIT = 2,  /**< end the run as if the input ended */
};

/**
 * One consumer of the loop. Every callback may be NULL. Those returning int
 * return 0 to go on; anything else ends the run (the frames still being
 * drawn are then released unseen). All are called on the loop's thread.
 */
typedef struct EmoLoopSink {
    void *opaque;
    /** Once, before the first read: the pipeline (NULL: pass-through) and
     *  what the source delivers. Both outlive the run. */
    void (*on_start)(void *opaque, EmoPipeline *pipe, const EmoVideoInfo *info);
    /** Before each read: keys of a window. EMO_LOOP_GO, _PAUSE or _QUIT. */
    int (*on_poll)(void *opaque);
    /** A frame was read, before its analysis: the clock time (emo_clock_now())
     *  before which it must not be analysed (a paced benchmark), or 0. The
     *  loop hands on drawn frames while it waits. */
    double (*on_read)(void *opaque, const EmoFrame *f);
    /** The results of one analysed frame, valid during the call. */
    int (*on_result)(void *opaque, const EmoPipelineResult *res);
    /** A drawn frame (the decoded one without a pipeline), in order. It is
     *  lent: a sink that keeps it takes its own reference (emo_frame_ref).
     *  t_render, cpu_render: wall and CPU seconds its overlay took. */
    int (*on_frame)(void *opaque, EmoFrame *f, double t_render, double cpu_render);
    /** The end of the stream, once: res holds the events that
     *  emo_pipeline_finish() closed (NULL without a pipeline). */
    void (*on_end)(void *opaque, const EmoPipelineResult *res);
} EmoLoopSink;

#define EMO_LOOP_MAX_SINKS 8

typedef struct EmoLoopSettings {
    EmoVideoSource *src;
    EmoPipeline *pipe;           /**< NULL: pass-through, frames go straight to on_frame */
    const EmoLoopSink *sinks;    /**< called in this order */
    int n_sinks;
    /** When it reads nonzero (set from a signal handler or another thread),
     *  the run ends at the next frame as if interrupted; NULL: never. */
    const volatile int *stop;
    double stats_interval;       /**< seconds between `stats:` lines on stderr; 0: none */
    double t0;                   /**< clock time the stats lines count from */
    const EmoLogger *log;        /**< NULL: default logger */
} EmoLoopSettings;

typedef struct EmoLoopReport {
    int64_t frames;              /**< frames read */
    int64_t events;              /**< events in the results handed on, the end's included */
    double first_pts, last_pts;
    int source_status;           /**< the read that ended the run (EMO_EOF at the end), or 0 */
    int frame_status;            /**< an analysis or overlay error, or 0 */
    int stopped;                 /**< a sink ended the run (quit, failure, enough measured) */
    int interrupted;             /**< the stop flag ended it (or was set by its end) */
} EmoLoopReport;

/**
 * Runs until the source ends, a sink or the stop flag stops it, or the
 * analysis fails; then hands on the frames still being drawn, finishes the
 * pipeline and calls on_end. Returns 0, or EMO_EINVAL for bad settings.
 */
EMO_API int emo_loop_run(const EmoLoopSettings *s, EmoLoopReport *rep);

/**
 * Opens the source. A live source (camera, stream) with cfg->reconnect on
 * is retried every reconnect_delay seconds until it opens, logging each
 * try; the stop flag (may be NULL) set while trying or waiting gives
 * EMO_EINTR (at the latest when the attempt under way gives up, after
 * video.timeout). Settings errors are not retried.
 */
EMO_API int emo_loop_open_source(EmoVideoSource **src, const EmoVideoSourceSettings *vs, const EmoVideoSettings *cfg,
                                 const volatile int *stop, const EmoLogger *lg);

/** Sleeps s seconds (nothing when s <= 0). */
EMO_API void emo_loop_sleep(double s);

/* ------------------------------------------------------------ one file into a folder */

/** Where an analysis stands, for a progress display. */
typedef struct EmoAnalyzeProgress {
    int64_t frames;              /**< frames analysed so far */
    double pts;                  /**< stream time of the last one, seconds */
    double duration;             /**< of the input, seconds; 0: unknown (live) */
    double wall_s;               /**< seconds since emo_analyze_file() began */
} EmoAnalyzeProgress;

typedef struct EmoAnalyzeOptions {
    int analyze;                 /**< 1 (default); 0: pass-through, decode and encode only */
    int results;                 /**< 1 (default): results and events (JSONL and/or CSV as
                                      output.jsonl and output.csv say) and summary.json */
    int video;                   /**< 1 (default): annotated.mp4 when output.video says so; 0: never */
    int chart;                   /**< 1 (default): timeline.png/.svg when output.chart says so; 0: never */
    /** Folder of the model files; NULL (default): emo_models_dir()'s search
     *  (general.models_dir, $EMOSCOPE_MODELS_DIR, the install prefix's). */
    const char *models_dir;
    /** Set nonzero to end the run at the next frame (a signal handler may
     *  set it); the files then hold the frames so far, complete. NULL: never. */
    const volatile int *stop;
    /** Called on the calling thread after every analysed frame; NULL: none. */
    void (*progress)(void *opaque, const EmoAnalyzeProgress *p);
    void *opaque;                /**< for progress */
    /** Extra sinks (a window, a sound player), called after the files'. */
    const EmoLoopSink *sinks;
    int n_sinks;                 /**< at most EMO_LOOP_MAX_SINKS - 3 */
} EmoAnalyzeOptions;

/** How a run ended. */
typedef enum EmoAnalyzeEnd {
    EMO_ANALYZE_NOT_RUN = 0,     /**< it failed before the first read (see the return value) */
    EMO_ANALYZE_COMPLETE,        /**< the input ended, or video.max_frames or a sink ended it */
    EMO_ANALYZE_PARTIAL,         /**< the input broke or a live source stopped: the files hold
                                      the frames so far, complete */
    EMO_ANALYZE_INTERRUPTED,     /**< the stop flag: the files hold the frames so far, complete */
    EMO_ANALYZE_FAILED,          /**< an analysis or write error stopped it */
} EmoAnalyzeEnd;

/** What failed before the run, for a caller that maps errors to exit statuses. */
typedef enum EmoAnalyzeStage {
    EMO_ANALYZE_STAGE_NONE = 0,
    EMO_ANALYZE_STAGE_FOLDER,    /**< the output folder cannot be created */
    EMO_ANALYZE_STAGE_MODELS,    /**< a model file is missing or corrupt */
    EMO_ANALYZE_STAGE_SETTINGS,  /**< a setting has a bad value */
    EMO_ANALYZE_STAGE_INPUT,     /**< the source cannot be opened */
    EMO_ANALYZE_STAGE_ANALYSIS,  /**< the analysis cannot be set up (memory, a model's contents) */
    EMO_ANALYZE_STAGE_FILES,     /**< an output file cannot be created */
} EmoAnalyzeStage;

typedef struct EmoAnalyzeReport {
    EmoAnalyzeEnd end;
    EmoAnalyzeStage failed_stage; /**< with end == EMO_ANALYZE_NOT_RUN */
    int live_stopped;            /**< a live source stopped (stream ended, camera unplugged) */
    int64_t frames;              /**< frames read and analysed */
    int64_t written;             /**< frames encoded into annotated.mp4 */
    int64_t records, events;
    double first_pts, last_pts;
    double wall_s;               /**< the whole call */
    double encode_s;             /**< of which encoding the video */
    double t_face, t_emotion, t_motion, t_render; /**< analysis totals per stage, seconds */
    int64_t analysed;            /**< frames those totals cover */
    EmoVideoInfo info;           /**< the source (valid once opened) */
    EmoVideoStats stats;         /**< its counters at the end */
    char error[512];             /**< the first error's message, or "" */
    char source_error[256];      /**< what the source said when it broke, or "" */
} EmoAnalyzeReport;

/** Fills o with the defaults listed in EmoAnalyzeOptions. */
EMO_API void emo_analyze_default_options(EmoAnalyzeOptions *o);

/**
 * Analyses source (a file, or anything video.h opens) with the settings
 * cfg into the folder out_dir (created with its parents; existing files of
 * the same names are replaced). o NULL: the defaults; rep (may be NULL)
 * receives the figures; lg NULL: the default logger.
 *
 * Returns 0 when the run is complete (rep->end EMO_ANALYZE_COMPLETE);
 * EMO_EINTR when the stop flag ended it; otherwise a negative code with the
 * message in rep->error (and logged): before the run (rep->failed_stage
 * says where), the source's read error for a partial run (the files are
 * written and complete up to the frame it broke at), or the analysis or
 * write error that ended it. Nothing is left open either way.
 */
EMO_API int emo_analyze_file(const EmoConfig *cfg, const char *source, const char *out_dir,
                             const EmoAnalyzeOptions *o, EmoAnalyzeReport *rep, const EmoLogger *lg);

/**
 * Opens an encoder for frames as info describes them at path, with the
 * [output] settings of cfg (codec, quality, preset); the source's time base
 * for a file, so that time stamps carry over.
 */
EMO_API int emo_analyze_open_writer(EmoVideoWriter **wr, const EmoConfig *cfg, const EmoVideoInfo *info,
                                    const char *path, const EmoLogger *lg);

/** Creates a folder and its parents; 0 or EMO_EIO / EMO_EINVAL (errno is kept). */
EMO_API int emo_mkdirs(const char *dir);

#ifdef __cplusplus
}
#endif
#endif
