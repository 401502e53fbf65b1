/**
 * @file pipeline.h
 * The analysis of one frame, end to end: faces tracked with their meshes,
 * each face aligned, its emotion ensemble and micro-expression analyser run,
 * the overlay drawn; result records, a run summary and the timeline chart.
 *
 * One EmoPipeline analyses one stream, frames in order, from one thread.
 * The capture thread (video.h) and the sinks run beside it. The faces of a
 * frame are analysed by general.workers workers (that thread and
 * workers - 1 threads of its own, each with its own model instances);
 * tracking decisions stay on the calling thread, and the results do not
 * depend on the number of workers.
 */
#ifndef EMOSCOPE_PIPELINE_H
#define EMOSCOPE_PIPELINE_H

#include <stdint.h>

#include <emoscope/actions.h>
#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/emotion.h>
#include <emoscope/export.h>
#include <emoscope/face.h>
#include <emoscope/frame.h>
#include <emoscope/gaze.h>
#include <emoscope/io.h>
#include <emoscope/motion.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EmoPipelineSettings {
    const EmoConfig *cfg;        /**< every module's settings; must outlive the pipeline */
    const char *models_dir;      /**< folder of the model files */
    int draw;                    /**< draw the overlay into each (BGRA) frame */
    int keep_timeline;           /**< keep the whole run's history for the summary and chart */
    const EmoLogger *log;        /**< NULL: default logger */
} EmoPipelineSettings;

/** One face of one analysed frame. */
typedef struct EmoPipelineFace {
    EmoFace face;                /**< id, box, scores, pose, landmarks (frame px) */
    /** 1: blendshapes and au hold the face's facial actions, computed on this
     *  frame or, with face.actions > 1, on the face's last analysed frame. */
    int has_actions;
    float blendshapes[EMO_BLENDSHAPES]; /**< MediaPipe's 52 scores in [0,1] (emo_blendshape_name) */
    float au[EMO_ACTION_UNITS];  /**< FACS action-unit intensities in [0,1] (emo_action_unit_number) */
    EmoGaze gaze;                /**< gaze of this frame (emo_face_gaze); valid 0 without the landmarker's irises */
    EmoEmotionResult emotion;    /**< per-model, fused and smoothed probabilities */
    EmoMotionFrame motion;       /**< per-region micro-movements of this frame */
    int motion_active_region;    /**< region with the largest active movement, or -1 */
} EmoPipelineFace;

/** A micro- or macro-expression event that ended, with its face. */
#define EMO_PIPELINE_EVENT_ACTIONS 4

typedef struct EmoPipelineEvent {
    int face_id;
    EmoMotionEvent event;
    /** Action units that rose and fell with the event (their peak between
     *  onset and offset stands above both ends by at least 0.05), strongest
     *  first: indices for emo_action_unit_number(); and that rise. */
    int n_actions;
    int actions[EMO_PIPELINE_EVENT_ACTIONS];
    float action_rise[EMO_PIPELINE_EVENT_ACTIONS];
} EmoPipelineEvent;

#define EMO_PIPELINE_MAX_EVENTS 64

typedef struct EmoPipelineResult {
    int64_t index;               /**< frame index */
    double pts;                  /**< stream time, seconds */
    int n_faces;
    EmoPipelineFace *faces;      /**< n_faces entries, valid until the next call */
    int n_events;                /**< events that ended on this frame */
    EmoPipelineEvent events[EMO_PIPELINE_MAX_EVENTS];
    int detector_ran;
    int cut;                     /**< 1 when this frame begins a new shot (face.cut_threshold): no face id carries over */
    double t_face, t_emotion, t_motion, t_render; /**< seconds spent per stage on this frame
                                                   (t_render: 0 from emo_pipeline_submit(), see receive) */
    double cpu_analysis, cpu_render; /**< CPU seconds of the analysis (of the drawing thread) on this frame;
                                       cpu_analysis includes the workers' */
    double t_analysis;           /**< wall seconds of the whole analysis of this frame */
    double cpu_workers;          /**< the part of cpu_analysis spent on the pool's own threads */
    int workers;                 /**< analysis workers (general.workers resolved) */
} EmoPipelineResult;

typedef struct EmoPipeline EmoPipeline;

EMO_API void emo_pipeline_default_settings(EmoPipelineSettings *s);

/**
 * Loads every model and preallocates every buffer. On failure *out is NULL
 * and the message names the model or setting at fault (EMO_ENOENT for a
 * missing model file, EMO_EFORMAT for a corrupt one).
 */
EMO_API int emo_pipeline_open(EmoPipeline **out, const EmoPipelineSettings *s);

/**
 * Analyses one frame (BGRA; drawn on when settings.draw). The result is
 * valid until the next call. capture_fps is shown in the overlay (< 0: hidden).
 */
EMO_API int emo_pipeline_process(EmoPipeline *p, EmoFrame *frame, double capture_fps, const EmoPipelineResult **res);

/**
 * Overlapped form of emo_pipeline_process(): analyses the frame now (the
 * result is valid until the next submit or process call) and hands it to
 * the pipeline's draw thread, which draws the overlay while the caller
 * analyses the next frame. Takes the caller's reference (*frame is set to
 * NULL on success); the frame comes back, drawn, from emo_pipeline_receive(),
 * in submission order. Results are those of emo_pipeline_process().
 * @return 0; EMO_EAGAIN when the draw thread holds every frame it may
 * (receive one first; *frame is untouched); an analysis error.
 */
EMO_API int emo_pipeline_submit(EmoPipeline *p, EmoFrame **frame, double capture_fps, const EmoPipelineResult **res);

/**
 * Takes back the oldest submitted frame once drawn; the caller owns the
 * reference. Waits up to timeout_s (< 0: until drawn). t_render (may be
 * NULL) receives the seconds its overlay took, cpu_render (may be NULL)
 * the draw thread's CPU seconds on it.
 * @return 0; EMO_EAGAIN when nothing is pending or nothing is ready in
 * time; an overlay error (the frame is still returned).
 */
EMO_API int emo_pipeline_receive(EmoPipeline *p, EmoFrame **frame, double timeout_s, double *t_render, double *cpu_render);

/** Frames submitted and not yet received. */
EMO_API int emo_pipeline_pending(const EmoPipeline *p);

/** Ends the stream: open micro-expression events of every face are closed
 *  and returned like those of a frame. */
EMO_API int emo_pipeline_finish(EmoPipeline *p, const EmoPipelineResult **res);

/**
 * Writes one record per face of res to frames (NULL: skip) and one per event
 * to events (NULL: skip). Field list: README "Outputs".
 */
EMO_API int emo_pipeline_write_records(EmoPipeline *p, const EmoPipelineResult *res, EmoResultsWriter *frames,
                               EmoResultsWriter *events);

/** Writes summary.json: per face, time per dominant emotion and events. */
EMO_API int emo_pipeline_write_summary(EmoPipeline *p, const char *path, const char *source);

/** Writes the timeline chart (PNG and SVG) of the whole run. */
EMO_API int emo_pipeline_write_timeline(EmoPipeline *p, const char *png_path, const char *svg_path, const char *source);

/** Live adjustments from the viewer keys. */
EMO_API void emo_pipeline_set_threshold(EmoPipeline *p, double motion_threshold);
EMO_API double emo_pipeline_threshold(const EmoPipeline *p);
/** What the overlay shows (the viewer's toggles m, b, g, a) and its status line (NULL: none; kept by pointer). */
EMO_API void emo_pipeline_set_view(EmoPipeline *p, int mesh, int model_bars, int graph, int actions,
                                   const char *status);
/** Whether the overlay shows the gaze arrows (the viewer's toggle e; render.gaze at open). */
EMO_API void emo_pipeline_set_gaze_view(EmoPipeline *p, int gaze);

/** Per-stage totals so far (seconds) and frames processed. */
EMO_API void emo_pipeline_times(const EmoPipeline *p, double *face, double *emotion, double *motion, double *render,
                        int64_t *frames);

EMO_API void emo_pipeline_close(EmoPipeline **p);

#ifdef __cplusplus
}
#endif
#endif
