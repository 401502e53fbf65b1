/* The pipeline's state, shared by its three parts:
 *   analysis.c  open/close, the analysis of a frame, face slots, worker tasks;
 *   draw.c      draw jobs and the draw thread: the overlay input is built
 *               there from the results, and process/submit/receive;
 *   report.c    the per-face history of the run, records, summary, chart.
 * Private to src/pipeline. */
#ifndef EMOSCOPE_PIPELINE_INTERNAL_H
#define EMOSCOPE_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <emoscope/pipeline.h>
#include <emoscope/render.h>

#include "core/queue.h"
#include "emotion/ensemble_phases.h"
#include "face/tracker_phases.h"
#include "pipeline/pool.h"
#include "pipeline/track.h"

/* Samples of smoothed probabilities kept per face for the live graph. */
#define EMO_PIPE_GRAPH_CAP 2048
/* Overlay snapshots in flight: one drawn, one waiting, one being filled. */
#define EMO_PIPE_DRAW_JOBS 3

/* The last event that ended on a face, kept for the overlay's badge. */
typedef struct SlotEvent {
    int set;                /* 0: none yet on this track */
    int micro;              /* EmoMotionEvent.micro */
    double until;           /* stream time until which it is shown */
} SlotEvent;

/* Frames of facial actions kept per face: events end up to about a second
 * after their onset (the spotter's window and release), 128 frames is 2.1 s
 * at 60 fps. */
#define EMO_PIPE_ACTION_RING 128

/* A face's recent action-unit intensities, for the actions of its events. */
typedef struct ActionRing {
    int64_t frame[EMO_PIPE_ACTION_RING];
    float au[EMO_PIPE_ACTION_RING][EMO_ACTION_UNITS];
    int n, head;            /* entries, next write */
} ActionRing;

/* Live state of one tracked face. */
typedef struct Slot {
    int id;                 /* -1: free */
    int seen;               /* marked during a frame */
    int track;              /* index into tracks, or -1 */
    EmoMotion *motion;
    uint8_t *aligned;       /* aligned_size^2 gray, for optical flow */
    float (*aligned_lm)[2]; /* landmarks in the aligned face */
    SlotEvent event;
    int64_t actions_due;    /* frame index from which the facial actions run again */
    int has_actions;        /* blendshapes/au below hold the last analysis */
    float blendshapes[EMO_BLENDSHAPES];
    float au[EMO_ACTION_UNITS];
    ActionRing ring;
} Slot;

/* Everything the overlay of one frame needs, copied out of the analysis so
 * that the next frame can be analysed while this one is drawn (the slots
 * and the ensemble's history change under the draw thread otherwise). */
typedef struct DrawJob {
    EmoFrame *frame;
    EmoOverlayInput in;
    EmoOverlayFace *faces;                          /* max_faces */
    EmoOverlayModel (*models)[EMO_RENDER_MAX_MODELS];
    float *lm;                                      /* max_faces x 468 x 2 */
    /* The graph's curves: the ensemble's Savitzky-Golay-filtered history of the graphed face. */
    double graph_t[EMO_PIPE_GRAPH_CAP];
    float graph_p[EMO_PIPE_GRAPH_CAP][EMO_EMOTION_COUNT];
    int draw;                                       /* 0: pass the frame through untouched */
    int err;
    double t_render, cpu_render;
} DrawJob;

/* One analysis worker's own model instances (worker 0, the analysing
 * thread, uses the tracker's and the ensemble's). */
typedef struct Worker {
    EmoFaceMesher *mesher;
    EmoBlendshapes *blend;       /* NULL when facial actions are off */
    EmoEnsemble *ensemble;       /* models only: the face state stays in EmoPipeline.ensemble */
} Worker;

/* The parallel part of one face of the frame being analysed. */
typedef struct FaceWork {
    const EmoFace *face;
    Slot *slot;
    uint8_t *emo_crop;           /* emo_size^2 gray, the ensemble's input */
    int due;                     /* the emotion models run on this frame */
    int actions_due;             /* the facial actions run on this frame */
    int err_actions;
    EmoEnsembleRun run;
    int err_emotion, err_motion;
    double t_emotion, t_motion;  /* wall seconds of its tasks */
    double t_actions;            /* wall seconds of its facial actions (counted with the face stage) */
} FaceWork;

struct EmoPipeline {
    EmoPipelineSettings s;
    const EmoConfig *cfg;
    const EmoLogger *log;
    EmoFaceTracker *tracker;
    EmoEnsemble *ensemble;
    EmoBlendshapes *blend;       /* facial actions on the analysing thread; NULL: off */
    int actions_interval;        /* face.actions */
    /* "AU12 lip corner puller": the action panel's labels, alive while the pipeline is. */
    char action_label[EMO_ACTION_UNITS][48];
    EmoOverlay *overlay;
    EmoFaceList faces;
    int max_faces;
    Slot *slots;
    EmoPipelineFace *out_faces;
    EmoPipelineResult result;
    int aligned_size;
    int emo_size;
    /* Analysis workers: the faces of a frame are analysed in parallel. */
    EmoPool *pool;
    int n_workers;
    Worker *workers;             /* n_workers; [0] unused */
    FaceWork *work;              /* max_faces */
    int n_tasks_faces;           /* faces of the current batch */
    EmoFrame *cur;               /* frame of the current batch */
    double *task_cpu;            /* per task of a batch: CPU seconds when run on a pool thread */
    int mesh_order[EMO_FACE_MAX + 1]; /* mesh batch: task -> track (n_mesh: the detector pass), costliest first */
    int n_mesh;                  /* tracks meshed in this frame's mesh batch */
    int max_tasks;
    Track *tracks;
    int n_tracks, cap_tracks;
    double threshold;
    int show_mesh, show_bars, show_graph, show_actions, show_gaze;
    const char *status;
    /* Overlay snapshots; jobs[0] serves emo_pipeline_process, every job the draw thread. */
    DrawJob *jobs;
    EmoQueue *free_q, *draw_q, *done_q;
    pthread_t draw_thread;
    int draw_started;
    int pending;                 /* frames submitted and not yet received */
    double analysis_t0;
    int64_t frames;
    int64_t cuts;                /* shot cuts the tracker found (summary.json) */
    double tot_face, tot_emotion, tot_motion, tot_render;
    double last_pts;
};

/* analysis.c */
/* Analyses one frame, everything but the drawing, into p->result. */
int emo__pipe_analyze(EmoPipeline *p, EmoFrame *frame);
/* CPU seconds of the calling thread. */
double emo__pipe_thread_cpu(void);
/* Keeps the slot's current action units (sl->au) as those of frame. */
void emo__pipe_keep_actions(Slot *sl, int64_t frame);
/* The action units whose intensity peaked inside the event (kept frames from
 * its onset to its offset), standing at least 0.05 above both its first and
 * its last kept frame, strongest first, into pe->actions. Frames older than
 * the ring are not seen: the event's start is then the oldest frame kept. */
void emo__pipe_event_actions(const Slot *sl, EmoPipelineEvent *pe);

/* draw.c */
/* Allocates the draw jobs' buffers (at open). */
int emo__pipe_draw_open(EmoPipeline *p);
/* Stops the draw thread and frees the jobs (at close; NULL-safe contents). */
void emo__pipe_draw_close(EmoPipeline *p);

/* report.c */
/* Adds this frame of face pf, in slot sl, to the run's history (keep_timeline). */
int emo__pipe_report_frame(EmoPipeline *p, Slot *sl, const EmoPipelineFace *pf, double pts);
/* Adds an ended event to the face's history. */
void emo__pipe_report_event(EmoPipeline *p, const Slot *sl, const EmoPipelineEvent *pe);
/* Frees the history (at close). */
void emo__pipe_report_close(EmoPipeline *p);

#endif
