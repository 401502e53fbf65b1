#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <emoscope/pipeline.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/queue.h"
#include <emoscope/render.h>

#include "emotion/ensemble_phases.h"
#include "face/tracker_phases.h"
#include "pipeline/pool.h"
#include "pipeline/track.h"

/* Samples of smoothed probabilities kept per face for the live graph. */
#define GRAPH_CAP 2048
/* Seconds an ended event stays labelled in the overlay. */
#define EVENT_LABEL_SECONDS 1.0


/* Live state of one tracked face. */
typedef struct Slot {
    int id;                 /* -1: free */
    int seen;               /* marked during a frame */
    int track;              /* index into tracks, or -1 */
    EmoMotion *motion;
    uint8_t *aligned;       /* aligned_size^2 gray, for optical flow */
    float (*aligned_lm)[2]; /* landmarks in the aligned face */
    /* Label of the last ended event, shown for a while. */
    const char *event_label;
    double event_until;
} Slot;

/* Everything the overlay of one frame needs, copied out of the analysis so
 * that the next frame can be analysed while this one is drawn (the slots
 * and the ensemble's history change under the draw thread otherwise). */
#define DRAW_JOBS 3
typedef struct DrawJob {
    EmoFrame *frame;
    EmoOverlayInput in;
    EmoOverlayFace *faces;                          /* max_faces */
    EmoOverlayModel (*models)[EMO_RENDER_MAX_MODELS];
    float *lm;                                      /* max_faces x 468 x 2 */
    char (*region)[48];                             /* region names for display ("left brow") */
    /* The graph's curves: the ensemble's Savitzky-Golay-filtered history of the graphed face. */
    double graph_t[GRAPH_CAP];
    float graph_p[GRAPH_CAP][EMO_EMOTION_COUNT];
    int draw;                                       /* 0: pass the frame through untouched */
    int err;
    double t_render, cpu_render;
} DrawJob;

/* One analysis worker's own model instances (worker 0, the analysing
 * thread, uses the tracker's and the ensemble's). */
typedef struct Worker {
    EmoFaceMesher *mesher;
    EmoEnsemble *ensemble;       /* models only: the face state stays in EmoPipeline.ensemble */
} Worker;

/* The parallel part of one face of the frame being analysed. */
typedef struct FaceWork {
    const EmoFace *face;
    Slot *slot;
    uint8_t *emo_crop;           /* emo_size^2 gray, the ensemble's input */
    int due;                     /* the emotion models run on this frame */
    EmoEnsembleRun run;
    int err_emotion, err_motion;
    double t_emotion, t_motion;  /* wall seconds of its tasks */
} FaceWork;

struct EmoPipeline {
    EmoPipelineSettings s;
    const EmoConfig *cfg;
    const EmoLogger *log;
    EmoFaceTracker *tracker;
    EmoEnsemble *ensemble;
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
    int max_tasks;
    Track *tracks;
    int n_tracks, cap_tracks;
    double threshold;
    int show_mesh, show_bars, show_graph;
    const char *status;
    /* Overlay snapshots; jobs[0] serves emo_pipeline_process, every job the draw thread. */
    DrawJob *jobs;
    EmoQueue *free_q, *draw_q, *done_q;
    pthread_t draw_thread;
    int draw_started;
    int pending;                 /* frames submitted and not yet received */
    double analysis_t0;
    int64_t frames;
    double tot_face, tot_emotion, tot_motion, tot_render;
    double last_pts;
};

/* "Up Movement", ...: the original system's wording of directions. */
static const char *movement_name(int dir)
{
    static const char *const names[EMO_DIR_COUNT] = {
        "Up Movement", "Up-Right Movement", "Right Movement", "Down-Right Movement",
        "Down Movement", "Down-Left Movement", "Left Movement", "Up-Left Movement",
    };
    return dir >= 0 && dir < EMO_DIR_COUNT ? names[dir] : "No Movement";
}

void emo_pipeline_default_settings(EmoPipelineSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->draw = 1;
    s->keep_timeline = 1;
}

static Track *track_get(EmoPipeline *p, int id)
{
    for (int i = 0; i < p->n_tracks; i++)
        if (p->tracks[i].id == id)
            return &p->tracks[i];
    if (p->n_tracks == p->cap_tracks) {
        int cap = p->cap_tracks ? p->cap_tracks * 2 : 16;
        Track *t = realloc(p->tracks, sizeof(*t) * (size_t)cap);
        if (!t)
            return NULL;
        p->tracks = t;
        p->cap_tracks = cap;
    }
    Track *t = &p->tracks[p->n_tracks++];
    emo__track_init(t, id);
    return t;
}

int emo_pipeline_open(EmoPipeline **out, const EmoPipelineSettings *s)
{
    *out = NULL;
    if (!s || !s->cfg || !s->models_dir)
        return EMO_EINVAL;
    int err = EMO_ENOMEM;
    EmoPipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return EMO_ENOMEM;
    p->s = *s;
    p->cfg = s->cfg;
    p->log = s->log;
    const EmoConfig *cfg = s->cfg;
    p->max_faces = cfg->face.max_faces;
    p->aligned_size = cfg->face.aligned_size;
    p->threshold = cfg->motion.threshold;
    p->show_mesh = cfg->render.mesh;
    p->show_bars = cfg->render.model_bars;
    p->show_graph = cfg->render.graph;
    int threads = cfg->general.threads > 0 ? cfg->general.threads : emo_cpu_count();
    p->n_workers = cfg->general.workers > 0 ? cfg->general.workers : emo_cpu_count();
    if (p->n_workers > p->max_faces * 2)
        p->n_workers = p->max_faces * 2 > 1 ? p->max_faces * 2 : 1; /* never more than a frame's tasks */
    if (threads > 1 && threads >= emo_cpu_count())
        emo_log(s->log, EMO_LOG_WARN,
                "%d analysis threads on %d cores beside the capture and draw threads: XNNPACK's workers "
                "spin-wait for a busy core (measured 8x-50x slower on 2 cores; `emoscope bench`); "
                "general.threads = 1 is faster here", threads, emo_cpu_count());

    EmoFaceTrackerSettings fs;
    emo_face_tracker_default_settings(&fs);
    fs.face = cfg->face;
    snprintf(fs.models_dir, sizeof(fs.models_dir), "%s", s->models_dir);
    fs.threads = threads;
    fs.log = s->log;
    if ((err = emo_face_tracker_open(&p->tracker, &fs)))
        goto fail;

    EmoEnsembleSettings es;
    if ((err = emo_ensemble_settings_from_config(&es, cfg, s->models_dir, cfg->emotion.models, s->log)))
        goto fail;
    es.max_faces = p->max_faces;
    es.nn_threads = threads;
    if ((err = emo_ensemble_open(&p->ensemble, &es)))
        goto fail;
    int w, h;
    emo_ensemble_input_size(p->ensemble, &w, &h);
    p->emo_size = w > h ? w : h;
    if (p->emo_size < 16)
        p->emo_size = 64;

    if (s->draw) {
        EmoOverlaySettings os;
        emo_overlay_default_settings(&os);
        if ((err = emo_overlay_settings_from_config(&os, cfg)))
            goto fail;
        os.logger = s->log;
        if ((err = emo_overlay_open(&p->overlay, &os)))
            goto fail;
    }

    err = EMO_ENOMEM;
    p->slots = calloc((size_t)p->max_faces, sizeof(*p->slots));
    p->out_faces = calloc((size_t)p->max_faces, sizeof(*p->out_faces));
    p->jobs = calloc(DRAW_JOBS, sizeof(*p->jobs));
    p->work = calloc((size_t)p->max_faces, sizeof(*p->work));
    p->max_tasks = 2 * p->max_faces;
    p->task_cpu = calloc((size_t)p->max_tasks, sizeof(*p->task_cpu));
    p->workers = calloc((size_t)p->n_workers, sizeof(*p->workers));
    if (!p->slots || !p->out_faces || !p->jobs || !p->work || !p->task_cpu || !p->workers)
        goto fail;
    for (int i = 0; i < p->max_faces; i++)
        if (!(p->work[i].emo_crop = malloc((size_t)p->emo_size * (size_t)p->emo_size)))
            goto fail;
    /* Every worker but the analysing thread gets its own mesh and emotion
     * models (an XNNPACK runtime runs one inference at a time). */
    for (int wk = 1; wk < p->n_workers; wk++) {
        if ((err = emo__face_mesher_open(&p->workers[wk].mesher, p->tracker)))
            goto fail;
        EmoEnsembleSettings ws = es;
        ws.api_enabled = 0;
        ws.max_faces = 1;
        ws.history_capacity = 1;
        if ((err = emo_ensemble_open(&p->workers[wk].ensemble, &ws)))
            goto fail;
    }
    if ((err = emo__pool_open(&p->pool, p->n_workers)))
        goto fail;
    err = EMO_ENOMEM;
    for (int j = 0; j < DRAW_JOBS; j++) {
        DrawJob *jb = &p->jobs[j];
        jb->faces = calloc((size_t)p->max_faces, sizeof(*jb->faces));
        jb->models = calloc((size_t)p->max_faces, sizeof(*jb->models));
        jb->lm = calloc((size_t)p->max_faces * EMO_FACE_LANDMARKS * 2, sizeof(*jb->lm));
        jb->region = calloc((size_t)p->max_faces, sizeof(*jb->region));
        if (!jb->faces || !jb->models || !jb->lm || !jb->region)
            goto fail;
    }
    size_t asz = (size_t)p->aligned_size * (size_t)p->aligned_size;
    for (int i = 0; i < p->max_faces; i++) {
        Slot *sl = &p->slots[i];
        sl->id = -1;
        sl->track = -1;
        sl->aligned = malloc(asz);
        sl->aligned_lm = malloc(sizeof(*sl->aligned_lm) * EMO_FACE_LANDMARKS);
        if (!sl->aligned || !sl->aligned_lm)
            goto fail;
        if (cfg->motion.enabled && (err = emo_motion_open(&sl->motion, &cfg->motion, p->aligned_size, s->log)))
            goto fail;
        err = EMO_ENOMEM;
    }
    p->result.faces = p->out_faces;
    p->last_pts = NAN;
    *out = p;
    return 0;
fail:
    emo_pipeline_close(&p);
    return err;
}

static Slot *slot_for(EmoPipeline *p, int id)
{
    Slot *free_slot = NULL;
    for (int i = 0; i < p->max_faces; i++) {
        if (p->slots[i].id == id)
            return &p->slots[i];
        if (p->slots[i].id < 0 && !free_slot)
            free_slot = &p->slots[i];
    }
    if (!free_slot)
        return NULL;
    free_slot->id = id;
    free_slot->event_label = NULL;
    free_slot->track = -1;
    if (free_slot->motion)
        emo_motion_reset(free_slot->motion);
    return free_slot;
}

static void add_event(EmoPipeline *p, Slot *sl, const EmoMotionEvent *ev, double now)
{
    EmoPipelineResult *r = &p->result;
    EmoPipelineEvent pe = { sl->id, *ev };
    if (r->n_events < EMO_PIPELINE_MAX_EVENTS)
        r->events[r->n_events++] = pe;
    else
        emo_log(p->log, EMO_LOG_WARN, "more than %d events ended on one frame; extra ones are not reported",
                EMO_PIPELINE_MAX_EVENTS);
    if (p->s.keep_timeline && sl->track >= 0)
        emo__track_add_event(&p->tracks[sl->track], &pe);
    sl->event_label = ev->micro ? "micro-expression" : "macro-expression";
    sl->event_until = now + EVENT_LABEL_SECONDS;
}

/* A face that is no longer tracked: its open events end now. */
static void slot_release(EmoPipeline *p, Slot *sl, double now)
{
    if (sl->motion) {
        int n = emo_motion_flush(sl->motion);
        for (int i = 0; i < n; i++) {
            const EmoMotionEvent *ev = emo_motion_event(sl->motion, i);
            if (ev)
                add_event(p, sl, ev, now);
        }
        emo_motion_reset(sl->motion);
    }
    emo_ensemble_forget(p->ensemble, sl->id);
    sl->id = -1;
}

static void fill_overlay_face(EmoPipeline *p, Slot *sl, const EmoPipelineFace *pf, DrawJob *jb, int k, double pts)
{
    const EmoFace *f = &pf->face;
    EmoOverlayFace *of = &jb->faces[k];
    EmoOverlayModel *models = jb->models[k];
    float *lm = jb->lm + (size_t)k * EMO_FACE_LANDMARKS * 2;
    memset(of, 0, sizeof(*of));
    of->id = f->id;
    of->x = f->box[0];
    of->y = f->box[1];
    of->w = f->box[2];
    of->h = f->box[3];
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        lm[2 * i] = f->landmarks[i][0];
        lm[2 * i + 1] = f->landmarks[i][1];
    }
    of->landmarks = lm;
    of->n_landmarks = EMO_FACE_LANDMARKS;
    const EmoEmotionResult *er = &pf->emotion;
    memcpy(of->probs_raw, er->fused, sizeof(of->probs_raw));
    memcpy(of->probs, er->smoothed, sizeof(of->probs));
    of->dominant = er->dominant;
    of->has_probs = 1;
    int nm = 0;
    for (int m = 0; m < er->n_models && nm < EMO_RENDER_MAX_MODELS; m++) {
        if (!er->available[m])
            continue;
        models[nm].name = er->model_names[m];
        memcpy(models[nm].probs, er->model_probs[m], sizeof(models[nm].probs));
        nm++;
    }
    of->models = models;
    of->n_models = nm;
    int r = pf->motion_active_region;
    if (r >= 0) {
        const EmoRegionMotion *rm = &pf->motion.region[r];
        int n = 0;
        const int *idx = emo_region_landmarks(r, &n);
        double cx = 0, cy = 0;
        for (int i = 0; i < n; i++) {
            cx += f->landmarks[idx[i]][0];
            cy += f->landmarks[idx[i]][1];
        }
        of->micro.active = 1;
        snprintf(jb->region[k], sizeof(jb->region[k]), "%s", emo_region_name(r));
        for (char *c = jb->region[k]; *c; c++)
            if (*c == '_')
                *c = ' ';
        of->micro.region = jb->region[k];
        of->micro.cx = n ? (float)(cx / n) : f->box[0] + f->box[2] / 2;
        of->micro.cy = n ? (float)(cy / n) : f->box[1] + f->box[3] / 2;
        of->micro.angle = (float)(-rm->direction_deg * M_PI / 180.0);
        of->micro.direction = movement_name(rm->direction);
        of->micro.magnitude = rm->magnitude;
        of->micro.threshold = (float)p->threshold;
    }
    if (sl->event_label && pts <= sl->event_until) {
        of->micro.active = 1;
        of->micro.event = sl->event_label;
        if (!of->micro.region) {
            of->micro.cx = f->box[0] + f->box[2] / 2;
            of->micro.cy = f->box[1] + f->box[3] / 2;
            of->micro.threshold = (float)p->threshold;
        }
    }
}

/* Points drawn per curve at most: the plot is about 180 x scale pixels wide
 * (about 400 at 1080p), so one point per 2 pixels or more. Stroking seven
 * 600-point curves (10 s at 60 fps) was the overlay's largest cost. */
#define GRAPH_POINTS 100

/* Keeps every k-th sample of the graphed span (the newest always), in place,
 * so that at most about GRAPH_POINTS remain; returns the new count. The
 * curves are already Savitzky-Golay smoothed: the picture does not change. */
static int decimate_graph(DrawJob *jb, int n, double span)
{
    if (n < 2)
        return n;
    int first = n - 1;
    double t0 = jb->graph_t[n - 1] - span;
    while (first > 0 && jb->graph_t[first - 1] >= t0)
        first--;
    if (first > 0)
        first--; /* one point before the span: the curve enters from the left edge */
    int m = n - first;
    int step = (m + GRAPH_POINTS - 1) / GRAPH_POINTS;
    if (step <= 1 && first == 0)
        return n;
    /* Indices kept, oldest first: n-1, n-1-step, ... down to >= first. */
    int k0 = (n - 1 - first) % step + first, w = 0;
    for (int i = k0; i < n; i += step, w++) {
        jb->graph_t[w] = jb->graph_t[i];
        memmove(jb->graph_p[w], jb->graph_p[i], sizeof(jb->graph_p[w]));
    }
    return w;
}

/* Copies what the overlay of this frame shows into jb (analysis thread). */
static void fill_job(EmoPipeline *p, DrawJob *jb, const EmoFrame *frame, double capture_fps)
{
    const EmoPipelineResult *r = &p->result;
    jb->draw = p->overlay && frame->fmt == EMO_PIX_BGRA;
    jb->err = 0;
    jb->t_render = 0;
    if (!jb->draw)
        return;
    int graph_face = 0;
    for (int i = 0; i < r->n_faces; i++) {
        Slot *sl = slot_for(p, r->faces[i].face.id);
        fill_overlay_face(p, sl, &r->faces[i], jb, i, frame->pts);
        if (r->faces[i].face.id < r->faces[graph_face].face.id)
            graph_face = i; /* the oldest track is graphed */
    }
    /* Only the graphed face's curves are drawn: only they are filtered and copied. */
    if (p->show_graph && r->n_faces > 0) {
        EmoOverlayFace *of = &jb->faces[graph_face];
        int n = emo_ensemble_history(p->ensemble, of->id, 1, jb->graph_t, jb->graph_p, GRAPH_CAP);
        of->history_t = jb->graph_t;
        of->history_probs = &jb->graph_p[0][0];
        of->n_history = decimate_graph(jb, n > 0 ? n : 0, p->cfg->render.graph_seconds);
    }
    double now = emo_clock_now();
    double elapsed = now - p->analysis_t0;
    jb->in = (EmoOverlayInput){
        .faces = jb->faces,
        .n_faces = r->n_faces,
        .graph_face = graph_face,
        .capture_fps = capture_fps,
        .analysis_fps = elapsed > 0 && p->frames > 1 ? (double)(p->frames - 1) / elapsed : -1,
        .pts = frame->pts,
        .wallclock = emo_wallclock_now(),
        .show_mesh = p->show_mesh,
        .show_model_bars = p->show_bars,
        .show_graph = p->show_graph,
        .status = p->status,
    };
}

/* CPU seconds of the calling thread: unlike wall time, not inflated by other
 * processes' load (but it does include the XNNPACK workers only when threads = 1). */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void draw_job(EmoPipeline *p, DrawJob *jb)
{
    if (!jb->draw)
        return;
    double t0 = emo_clock_now(), c0 = thread_cpu();
    jb->err = emo_overlay_draw(p->overlay, jb->frame, &jb->in);
    jb->t_render = emo_clock_now() - t0;
    jb->cpu_render = thread_cpu() - c0;
}

/* The draw thread: overlays frames in submission order. */
static void *draw_main(void *arg)
{
    EmoPipeline *p = arg;
    void *item;
    while (emo_queue_pop(p->draw_q, &item, -1) == 0) {
        DrawJob *jb = item;
        draw_job(p, jb);
        if (emo_queue_push(p->done_q, jb) != 0)
            break;
    }
    return NULL;
}

/* Batch 1 of a frame: the face mesh of track i. */
static void mesh_task(void *arg, int i, int w)
{
    EmoPipeline *p = arg;
    double c0 = w ? thread_cpu() : 0;
    emo__face_tracker_mesh(p->tracker, w ? p->workers[w].mesher : NULL, p->cur, i);
    p->task_cpu[i] = w ? thread_cpu() - c0 : 0;
}

/* Batch 2 of a frame: task k < n is face k's emotion models (alignment and
 * inference), task n + k its optical flow (alignment, flow, region
 * statistics and event state of its slot). Each touches only its face's
 * FaceWork and slot, and worker w's model instances. */
static void face_task(void *arg, int task, int w)
{
    EmoPipeline *p = arg;
    int n = p->n_tasks_faces, k = task < n ? task : task - n;
    FaceWork *fw = &p->work[k];
    EmoPipelineFace *pf = &p->out_faces[k];
    const EmoFrame *frame = p->cur;
    double t0 = emo_clock_now(), c0 = w ? thread_cpu() : 0;
    if (task < n) {
        fw->err_emotion = emo_face_align(frame, fw->face, p->emo_size, EMO_ALIGN_GRAY8, fw->emo_crop, p->emo_size);
        if (!fw->err_emotion && fw->due) {
            EmoImage img = { fw->emo_crop, p->emo_size, p->emo_size, p->emo_size, EMO_PIX_GRAY8 };
            emo__ensemble_infer(w ? p->workers[w].ensemble : p->ensemble, &img, &fw->run);
        }
        fw->t_emotion = emo_clock_now() - t0;
    } else {
        Slot *sl = fw->slot;
        fw->err_motion = emo_face_align(frame, fw->face, p->aligned_size, EMO_ALIGN_GRAY8, sl->aligned,
                                        p->aligned_size);
        if (!fw->err_motion) {
            emo_face_aligned_landmarks(fw->face, p->aligned_size, sl->aligned_lm);
            fw->err_motion = emo_motion_push(sl->motion, sl->aligned, p->aligned_size, &sl->aligned_lm[0][0],
                                             frame->pts, frame->index, &pf->motion);
        }
        fw->t_motion = emo_clock_now() - t0;
    }
    p->task_cpu[task] = w ? thread_cpu() - c0 : 0;
}

static double pool_cpu(const EmoPipeline *p, int n)
{
    double c = 0;
    for (int i = 0; i < n; i++)
        c += p->task_cpu[i];
    return c;
}

/* Analysis of one frame, everything but the drawing. Decisions (tracks,
 * ids, detection, face states, events) are taken here, in face order; the
 * per-face work between them runs on the pool's workers. The results do
 * not depend on the number of workers. */
static int analyze_frame(EmoPipeline *p, EmoFrame *frame)
{
    EmoPipelineResult *r = &p->result;
    r->index = frame->index;
    r->pts = frame->pts;
    r->n_faces = 0;
    r->n_events = 0;
    r->cpu_workers = 0;
    double t0 = emo_clock_now(), c0 = thread_cpu();
    if (p->frames == 0)
        p->analysis_t0 = t0;
    p->cur = frame;
    int n = emo__face_tracker_begin(p->tracker, frame, &p->faces);
    if (n < 0)
        return n;
    if (n > p->max_tasks)
        return EMO_EINTERNAL;
    emo__pool_run(p->pool, n, mesh_task, p);
    r->cpu_workers += pool_cpu(p, n);
    int err = emo__face_tracker_end(p->tracker, frame, &p->faces);
    if (err)
        return err;
    double t1 = emo_clock_now();
    r->t_face = t1 - t0;
    r->detector_ran = p->faces.detector_ran;
    r->t_emotion = r->t_motion = 0;

    for (int i = 0; i < p->max_faces; i++)
        p->slots[i].seen = 0;
    for (int i = 0; i < p->faces.count && r->n_faces < p->max_faces; i++) {
        const EmoFace *f = &p->faces.faces[i];
        Slot *sl = slot_for(p, f->id);
        if (!sl)
            continue;
        sl->seen = 1;
        int k = r->n_faces++;
        EmoPipelineFace *pf = &p->out_faces[k];
        pf->face = *f;
        pf->motion_active_region = -1;
        memset(&pf->motion, 0, sizeof(pf->motion));
        FaceWork *fw = &p->work[k];
        fw->face = &pf->face;
        fw->slot = sl;
        fw->due = emo__ensemble_due(p->ensemble, f->id, frame->pts);
        fw->run.n_models = 0;
        fw->err_emotion = fw->err_motion = 0;
        fw->t_emotion = fw->t_motion = 0;
    }
    /* Emotion tasks of every face, then the flow tasks of those with a motion analyser. */
    int nf = r->n_faces, n_tasks = nf;
    p->n_tasks_faces = nf;
    for (int k = 0; k < nf; k++)
        if (p->work[k].slot->motion)
            n_tasks = nf + k + 1;
    emo__pool_run(p->pool, n_tasks, face_task, p);
    r->cpu_workers += pool_cpu(p, n_tasks);

    for (int k = 0; k < nf; k++) {
        FaceWork *fw = &p->work[k];
        EmoPipelineFace *pf = &p->out_faces[k];
        const EmoFace *f = &pf->face;
        Slot *sl = fw->slot;
        double te = emo_clock_now();
        if (fw->err_emotion)
            return fw->err_emotion;
        EmoImage img = { fw->emo_crop, p->emo_size, p->emo_size, p->emo_size, EMO_PIX_GRAY8 };
        if ((err = emo__ensemble_analyze_with(p->ensemble, f->id, frame->pts, &img,
                                              fw->run.n_models ? &fw->run : NULL, &pf->emotion)))
            return err;
        double tm = emo_clock_now();
        r->t_emotion += fw->t_emotion + (tm - te);

        if (sl->motion) {
            if (fw->err_motion)
                return fw->err_motion;
            float best = 0;
            for (int g = 0; g < EMO_REGION_COUNT; g++) {
                const EmoRegionMotion *rm = &pf->motion.region[g];
                if (rm->active && rm->magnitude > best) {
                    best = rm->magnitude;
                    pf->motion_active_region = g;
                }
            }
            for (int e = 0; e < pf->motion.n_events; e++) {
                const EmoMotionEvent *ev = emo_motion_event(sl->motion, e);
                if (ev)
                    add_event(p, sl, ev, frame->pts);
            }
        }
        r->t_motion += fw->t_motion + (emo_clock_now() - tm);

        if (p->s.keep_timeline) {
            if (sl->track < 0) {
                Track *t = track_get(p, f->id);
                if (!t)
                    return EMO_ENOMEM;
                sl->track = (int)(t - p->tracks);
                t->first_t = frame->pts;
            }
            Track *t = &p->tracks[sl->track];
            /* Time per dominant emotion: each frame counts until the next one. */
            double dt = isnan(t->prev_t) ? 0 : frame->pts - t->prev_t;
            if (dt > 0 && t->last_dominant >= 0)
                t->dominant_time[t->last_dominant] += dt;
            t->last_dominant = emo_emotion_argmax(pf->emotion.smoothed);
            t->prev_t = frame->pts;
            t->last_t = frame->pts;
            t->frames++;
            if ((err = emo__track_add_sample(t, frame->pts, pf->emotion.smoothed)))
                return err;
        }
    }
    /* Faces no longer tracked. */
    for (int i = 0; i < p->max_faces; i++)
        if (p->slots[i].id >= 0 && !p->slots[i].seen)
            slot_release(p, &p->slots[i], frame->pts);

    r->cpu_analysis = thread_cpu() - c0 + r->cpu_workers;
    r->t_analysis = emo_clock_now() - t0;
    r->workers = p->n_workers;
    p->cur = NULL;
    p->frames++;
    p->tot_face += r->t_face;
    p->tot_emotion += r->t_emotion;
    p->tot_motion += r->t_motion;
    p->last_pts = frame->pts;
    return 0;
}

int emo_pipeline_process(EmoPipeline *p, EmoFrame *frame, double capture_fps, const EmoPipelineResult **res)
{
    *res = NULL;
    if (p->pending)
        return EMO_EINVAL; /* frames submitted to the draw thread come back through emo_pipeline_receive() first */
    int err = analyze_frame(p, frame);
    if (err)
        return err;
    DrawJob *jb = &p->jobs[0];
    jb->frame = frame;
    fill_job(p, jb, frame, capture_fps);
    draw_job(p, jb);
    jb->frame = NULL;
    p->result.t_render = jb->t_render;
    p->result.cpu_render = jb->cpu_render;
    p->tot_render += jb->t_render;
    if (jb->err)
        return jb->err;
    *res = &p->result;
    return 0;
}

static int start_draw_thread(EmoPipeline *p)
{
    if (p->draw_started)
        return 0;
    int err;
    if ((err = emo_queue_open(&p->free_q, DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)) ||
        (err = emo_queue_open(&p->draw_q, DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)) ||
        (err = emo_queue_open(&p->done_q, DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)))
        return err;
    for (int j = 0; j < DRAW_JOBS; j++)
        if ((err = emo_queue_push(p->free_q, &p->jobs[j])))
            return err;
    if (pthread_create(&p->draw_thread, NULL, draw_main, p) != 0)
        return EMO_ENOMEM;
    p->draw_started = 1;
    return 0;
}

int emo_pipeline_submit(EmoPipeline *p, EmoFrame **frame, double capture_fps, const EmoPipelineResult **res)
{
    *res = NULL;
    if (!frame || !*frame)
        return EMO_EINVAL;
    int err = start_draw_thread(p);
    if (err)
        return err;
    void *item = NULL;
    if (emo_queue_pop(p->free_q, &item, 0) != 0)
        return EMO_EAGAIN; /* every snapshot is out: receive a frame first */
    DrawJob *jb = item;
    if ((err = analyze_frame(p, *frame))) {
        emo_queue_push(p->free_q, jb);
        return err;
    }
    jb->frame = *frame;
    *frame = NULL;
    fill_job(p, jb, jb->frame, capture_fps);
    p->result.t_render = 0;
    p->result.cpu_render = 0;
    if ((err = emo_queue_push(p->draw_q, jb))) {
        *frame = jb->frame;
        jb->frame = NULL;
        emo_queue_push(p->free_q, jb);
        return err;
    }
    p->pending++;
    *res = &p->result;
    return 0;
}

int emo_pipeline_receive(EmoPipeline *p, EmoFrame **frame, double timeout_s, double *t_render, double *cpu_render)
{
    *frame = NULL;
    if (!p->pending)
        return EMO_EAGAIN;
    void *item = NULL;
    int err = emo_queue_pop(p->done_q, &item, timeout_s);
    if (err)
        return err == EMO_ETIMEDOUT ? EMO_EAGAIN : err;
    DrawJob *jb = item;
    p->pending--;
    *frame = jb->frame;
    jb->frame = NULL;
    err = jb->err;
    p->tot_render += jb->t_render;
    if (t_render)
        *t_render = jb->t_render;
    if (cpu_render)
        *cpu_render = jb->cpu_render;
    emo_queue_push(p->free_q, jb);
    return err;
}

int emo_pipeline_pending(const EmoPipeline *p)
{
    return p->pending;
}

int emo_pipeline_finish(EmoPipeline *p, const EmoPipelineResult **res)
{
    EmoPipelineResult *r = &p->result;
    r->n_faces = 0;
    r->n_events = 0;
    double now = isnan(p->last_pts) ? 0 : p->last_pts;
    for (int i = 0; i < p->max_faces; i++)
        if (p->slots[i].id >= 0)
            slot_release(p, &p->slots[i], now);
    *res = r;
    return 0;
}

static cJSON *probs_object(const float *probs)
{
    cJSON *o = cJSON_CreateObject();
    for (int e = 0; o && e < EMO_EMOTION_COUNT; e++)
        cJSON_AddNumberToObject(o, emo_emotion_name(e), round(probs[e] * 1e5) / 1e5);
    return o;
}

static cJSON *face_record(EmoPipeline *p, const EmoPipelineResult *res, const EmoPipelineFace *pf)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec)
        return NULL;
    cJSON_AddNumberToObject(rec, "frame", (double)res->index);
    cJSON_AddNumberToObject(rec, "t", round(res->pts * 1e6) / 1e6);
    cJSON *face = emo_face_to_cjson(&pf->face, p->cfg->output.landmarks);
    if (!face) {
        cJSON_Delete(rec);
        return NULL;
    }
    /* The face's fields at the top level: id first as "face_id". */
    cJSON *id = cJSON_DetachItemFromObject(face, "id");
    cJSON_AddItemToObject(rec, "face_id", id);
    while (face->child) {
        cJSON *it = cJSON_DetachItemViaPointer(face, face->child);
        cJSON_AddItemToObject(rec, it->string, it);
    }
    cJSON_Delete(face);

    const EmoEmotionResult *er = &pf->emotion;
    cJSON *emo = cJSON_AddObjectToObject(rec, "emotion");
    if (emo) {
        cJSON_AddStringToObject(emo, "dominant", emo_emotion_name(er->dominant));
        cJSON_AddBoolToObject(emo, "fresh", er->fresh);
        cJSON_AddItemToObject(emo, "fused", probs_object(er->fused));
        cJSON_AddItemToObject(emo, "smoothed", probs_object(er->smoothed));
        cJSON *models = cJSON_AddObjectToObject(emo, "models");
        for (int m = 0; models && m < er->n_models; m++)
            cJSON_AddItemToObject(models, er->model_names[m],
                                  er->available[m] ? probs_object(er->model_probs[m]) : cJSON_CreateNull());
        cJSON_AddNumberToObject(emo, "api_age", er->api_age);
    }
    if (p->cfg->motion.enabled) {
        char buf[8192];
        if (emo_motion_frame_json(&pf->motion, buf, sizeof(buf)) >= 0) {
            cJSON *mo = cJSON_Parse(buf);
            if (mo) {
                cJSON_DeleteItemFromObject(mo, "frame");
                cJSON_DeleteItemFromObject(mo, "pts");
                cJSON_AddItemToObject(rec, "motion", mo);
            }
        }
    }
    return rec;
}

static cJSON *event_record(const EmoPipelineEvent *pe)
{
    const EmoMotionEvent *e = &pe->event;
    cJSON *rec = cJSON_CreateObject();
    if (!rec)
        return NULL;
    cJSON_AddNumberToObject(rec, "face_id", pe->face_id);
    cJSON_AddStringToObject(rec, "type", e->micro ? "micro-expression" : "macro-expression");
    cJSON_AddStringToObject(rec, "region", emo_region_name(e->region));
    cJSON_AddStringToObject(rec, "direction", movement_name(e->direction));
    cJSON_AddNumberToObject(rec, "onset_frame", (double)e->onset);
    cJSON_AddNumberToObject(rec, "apex_frame", (double)e->apex);
    cJSON_AddNumberToObject(rec, "offset_frame", (double)e->offset);
    cJSON_AddNumberToObject(rec, "onset_t", round(e->onset_pts * 1e6) / 1e6);
    cJSON_AddNumberToObject(rec, "apex_t", round(e->apex_pts * 1e6) / 1e6);
    cJSON_AddNumberToObject(rec, "offset_t", round(e->offset_pts * 1e6) / 1e6);
    cJSON_AddNumberToObject(rec, "duration", round(e->duration * 1e6) / 1e6);
    cJSON_AddNumberToObject(rec, "magnitude", round(e->peak_magnitude * 1e3) / 1e3);
    cJSON_AddNumberToObject(rec, "dx", round(e->peak_dx * 1e3) / 1e3);
    cJSON_AddNumberToObject(rec, "dy", round(e->peak_dy * 1e3) / 1e3);
    return rec;
}

int emo_pipeline_write_records(EmoPipeline *p, const EmoPipelineResult *res, EmoResultsWriter *frames,
                               EmoResultsWriter *events)
{
    int err = 0;
    for (int i = 0; frames && i < res->n_faces && !err; i++) {
        cJSON *rec = face_record(p, res, &res->faces[i]);
        if (!rec)
            return EMO_ENOMEM;
        err = emo_results_write(frames, rec);
        cJSON_Delete(rec);
    }
    for (int i = 0; events && i < res->n_events && !err; i++) {
        cJSON *rec = event_record(&res->events[i]);
        if (!rec)
            return EMO_ENOMEM;
        err = emo_results_write(events, rec);
        cJSON_Delete(rec);
    }
    return err;
}

static int write_text(const char *path, const char *text, const EmoLogger *log)
{
    char tmp[EMO_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        emo_log(log, EMO_LOG_ERROR, "cannot write %s", tmp);
        return EMO_EIO;
    }
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        emo_log(log, EMO_LOG_ERROR, "cannot write %s", path);
        remove(tmp);
        return EMO_EIO;
    }
    return 0;
}

int emo_pipeline_write_summary(EmoPipeline *p, const char *path, const char *source)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return EMO_ENOMEM;
    cJSON_AddStringToObject(root, "source", source ? source : "");
    cJSON_AddNumberToObject(root, "frames_analysed", (double)p->frames);
    cJSON *faces = cJSON_AddArrayToObject(root, "faces");
    for (int i = 0; faces && i < p->n_tracks; i++) {
        const Track *t = &p->tracks[i];
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(faces, f);
        cJSON_AddNumberToObject(f, "face_id", t->id);
        cJSON_AddNumberToObject(f, "frames", (double)t->frames);
        cJSON_AddNumberToObject(f, "first_t", round(t->first_t * 1e6) / 1e6);
        cJSON_AddNumberToObject(f, "last_t", round(t->last_t * 1e6) / 1e6);
        cJSON *dom = cJSON_AddObjectToObject(f, "dominant_seconds");
        int best = 0;
        for (int e = 0; e < EMO_EMOTION_COUNT; e++) {
            cJSON_AddNumberToObject(dom, emo_emotion_name(e), round(t->dominant_time[e] * 1e4) / 1e4);
            if (t->dominant_time[e] > t->dominant_time[best])
                best = e;
        }
        cJSON_AddStringToObject(f, "most_dominant", t->frames ? emo_emotion_name(best) : "");
        int micro = 0, macro = 0;
        cJSON *evs = cJSON_AddArrayToObject(f, "events");
        for (int k = 0; k < t->n_events; k++) {
            micro += t->events[k].event.micro;
            macro += !t->events[k].event.micro;
            cJSON *er = event_record(&t->events[k]);
            if (er) {
                cJSON_DeleteItemFromObject(er, "face_id");
                cJSON_AddItemToArray(evs, er);
            }
        }
        cJSON_AddNumberToObject(f, "micro_expressions", micro);
        cJSON_AddNumberToObject(f, "macro_expressions", macro);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return EMO_ENOMEM;
    int err = write_text(path, text, p->log);
    cJSON_free(text);
    return err;
}

int emo_pipeline_write_timeline(EmoPipeline *p, const char *png_path, const char *svg_path, const char *source)
{
    int n = p->n_tracks;
    EmoTimelineFace *faces = calloc((size_t)(n ? n : 1), sizeof(*faces));
    EmoTimelineEvent **events = calloc((size_t)(n ? n : 1), sizeof(*events));
    char (**details)[64] = calloc((size_t)(n ? n : 1), sizeof(*details));
    int err = EMO_ENOMEM;
    if (!faces || !events || !details)
        goto done;
    for (int i = 0; i < n; i++) {
        const Track *t = &p->tracks[i];
        faces[i].id = t->id;
        faces[i].t = t->t;
        faces[i].probs = t->p;
        faces[i].n = t->n;
        if (t->n_events) {
            events[i] = calloc((size_t)t->n_events, sizeof(**events));
            details[i] = calloc((size_t)t->n_events, sizeof(**details));
            if (!events[i] || !details[i])
                goto done;
            for (int k = 0; k < t->n_events; k++) {
                const EmoMotionEvent *e = &t->events[k].event;
                snprintf(details[i][k], sizeof(details[i][k]), "%s, %s", emo_region_name(e->region),
                         emo_direction_name(e->direction));
                events[i][k] = (EmoTimelineEvent){ e->onset_pts, e->offset_pts,
                                                   e->micro ? "micro-expression" : "macro-expression",
                                                   details[i][k], !e->micro };
            }
        }
        faces[i].events = events[i];
        faces[i].n_events = t->n_events;
    }
    EmoTimelineData data = { "emoscope timeline", source, 0, 0, faces, n, p->log };
    /* Taller charts for several faces: one panel each. */
    int height = p->cfg->render.chart_height + (n > 1 ? 250 * ((n > 4 ? 4 : n) - 1) : 0);
    err = emo_render_timeline(&data, png_path, svg_path, p->cfg->render.chart_width, height);
done:
    for (int i = 0; i < n && events && details; i++) {
        free(events[i]);
        free(details[i]);
    }
    free(events);
    free(details);
    free(faces);
    return err;
}

void emo_pipeline_set_threshold(EmoPipeline *p, double thr)
{
    if (thr < 0)
        thr = 0;
    p->threshold = thr;
    for (int i = 0; i < p->max_faces; i++)
        if (p->slots[i].motion)
            emo_motion_set_threshold(p->slots[i].motion, thr);
}

double emo_pipeline_threshold(const EmoPipeline *p)
{
    return p->threshold;
}

void emo_pipeline_set_view(EmoPipeline *p, int mesh, int model_bars, int graph, const char *status)
{
    p->show_mesh = mesh;
    p->show_bars = model_bars;
    p->show_graph = graph;
    p->status = status;
}

void emo_pipeline_times(const EmoPipeline *p, double *face, double *emotion, double *motion, double *render,
                        int64_t *frames)
{
    *face = p->tot_face;
    *emotion = p->tot_emotion;
    *motion = p->tot_motion;
    *render = p->tot_render;
    *frames = p->frames;
}

void emo_pipeline_close(EmoPipeline **pp)
{
    if (!pp || !*pp)
        return;
    EmoPipeline *p = *pp;
    *pp = NULL;
    if (p->draw_started) {
        emo_queue_abort(p->draw_q);
        pthread_join(p->draw_thread, NULL);
    }
    for (int j = 0; p->jobs && j < DRAW_JOBS; j++) {
        emo_frame_unref(&p->jobs[j].frame);
        free(p->jobs[j].faces);
        free(p->jobs[j].models);
        free(p->jobs[j].lm);
        free(p->jobs[j].region);
    }
    free(p->jobs);
    emo_queue_free(&p->free_q);
    emo_queue_free(&p->draw_q);
    emo_queue_free(&p->done_q);
    emo__pool_close(&p->pool);
    for (int w = 0; p->workers && w < p->n_workers; w++) {
        emo__face_mesher_close(&p->workers[w].mesher);
        emo_ensemble_close(&p->workers[w].ensemble);
    }
    free(p->workers);
    for (int i = 0; p->work && i < p->max_faces; i++)
        free(p->work[i].emo_crop);
    free(p->work);
    free(p->task_cpu);
    emo_face_tracker_close(&p->tracker);
    emo_ensemble_close(&p->ensemble);
    emo_overlay_close(&p->overlay);
    for (int i = 0; p->slots && i < p->max_faces; i++) {
        emo_motion_close(&p->slots[i].motion);
        free(p->slots[i].aligned);
        free(p->slots[i].aligned_lm);
    }
    for (int i = 0; i < p->n_tracks; i++) {
        emo__track_free(&p->tracks[i]);
    }
    free(p->tracks);
    free(p->slots);
    free(p->out_faces);
    free(p);
}
