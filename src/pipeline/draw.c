/* The drawing part of the pipeline: the overlay input of a frame is built
 * here from the analysis results (pipeline_internal.h), and drawn on the
 * calling thread (emo_pipeline_process) or on the draw thread
 * (emo_pipeline_submit / emo_pipeline_receive). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "pipeline/pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/thread.h"

/* The gaze arrows: from each eye the combined gaze uses, the combined
 * direction (x right, y up, z towards the camera) projected on the image,
 * as long as the face is wide for a gaze perpendicular to the camera's axis. */
static void fill_overlay_gaze(const EmoPipelineFace *pf, EmoOverlayFace *of)
{
    const EmoGaze *g = &pf->gaze;
    of->n_gaze = 0;
    if (!g->valid)
        return;
    const double d2r = M_PI / 180.0, len = pf->face.box[2];
    const double gx = sin(g->yaw * d2r) * cos(g->pitch * d2r), gy = sin(g->pitch * d2r);
    for (int e = 0; e < 2; e++) {
        if (!(g->eyes & (1u << e)))
            continue;
        const float *iris = pf->face.landmarks[e ? EMO_FACE_IRIS_LEFT : EMO_FACE_IRIS_RIGHT];
        of->gaze[of->n_gaze++] = (EmoOverlayGaze){ iris[0], iris[1], (float)(gx * len), (float)(-gy * len) };
    }
}

/* Face k of the job, from the result pf and its slot: the values the overlay
 * shows (numbers and enums; the overlay writes the labels). */
static void fill_overlay_face(const EmoPipeline *p, const Slot *sl, const EmoPipelineFace *pf, DrawJob *jb, int k,
                              double pts)
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
    /* The action panel shows action units; their labels live in the pipeline. */
    of->n_actions = 0;
    if (pf->has_actions)
        for (int u = 0; u < EMO_ACTION_UNITS && u < EMO_RENDER_MAX_ACTIONS; u++)
            of->actions[of->n_actions++] = (EmoOverlayAction){ p->action_label[u], pf->au[u] };
    fill_overlay_gaze(pf, of);
    int r = pf->motion_active_region;
    EmoOverlayMicro *mi = &of->micro;
    if (r >= 0) {
        const EmoRegionMotion *rm = &pf->motion.region[r];
        int n = 0;
        const int *idx = emo_region_landmarks(r, &n);
        double cx = 0, cy = 0;
        for (int i = 0; i < n; i++) {
            cx += f->landmarks[idx[i]][0];
            cy += f->landmarks[idx[i]][1];
        }
        mi->active = 1;
        mi->has_region = 1;
        mi->region = (EmoRegion)r;
        mi->cx = n ? (float)(cx / n) : f->box[0] + f->box[2] / 2;
        mi->cy = n ? (float)(cy / n) : f->box[1] + f->box[3] / 2;
        mi->angle = (float)(-rm->direction_deg * M_PI / 180.0);
        mi->has_direction = 1;
        mi->direction = rm->direction;
        mi->magnitude = rm->magnitude;
        mi->threshold = (float)p->threshold;
    }
    if (sl->event.set && pts <= sl->event.until) {
        mi->active = 1;
        mi->event = sl->event.micro ? EMO_OVERLAY_EVENT_MICRO : EMO_OVERLAY_EVENT_MACRO;
        if (!mi->has_region) {
            mi->cx = f->box[0] + f->box[2] / 2;
            mi->cy = f->box[1] + f->box[3] / 2;
            mi->threshold = (float)p->threshold;
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
        /* face i's slot, as the analysis of this frame found it */
        fill_overlay_face(p, p->work[i].slot, &r->faces[i], jb, i, frame->pts);
        if (r->faces[i].face.id < r->faces[graph_face].face.id)
            graph_face = i; /* the oldest track is graphed */
    }
    /* Only the graphed face's curves are drawn: only they are filtered and copied. */
    if (p->show_graph && r->n_faces > 0) {
        EmoOverlayFace *of = &jb->faces[graph_face];
        int n = emo_ensemble_history(p->ensemble, of->id, 1, jb->graph_t, jb->graph_p, EMO_PIPE_GRAPH_CAP);
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
        .show_actions = p->show_actions,
        .show_gaze = p->show_gaze,
        .status = p->status,
    };
}

/* Draws one job's overlay and times it (calling or draw thread). */
static void draw_job(EmoPipeline *p, DrawJob *jb)
{
    if (!jb->draw)
        return;
    double t0 = emo_clock_now(), c0 = emo__pipe_thread_cpu();
    jb->err = emo_overlay_draw(p->overlay, jb->frame, &jb->in);
    jb->t_render = emo_clock_now() - t0;
    jb->cpu_render = emo__pipe_thread_cpu() - c0;
}

/* The draw thread: overlays frames in submission order. */
static void *draw_main(void *arg)
{
    EmoPipeline *p = arg;
    void *item;
    emo__thread_name("emo-draw");
    while (emo_queue_pop(p->draw_q, &item, -1) == 0) {
        DrawJob *jb = item;
        draw_job(p, jb);
        if (emo_queue_push(p->done_q, jb) != 0)
            break;
    }
    return NULL;
}

int emo_pipeline_process(EmoPipeline *p, EmoFrame *frame, double capture_fps, const EmoPipelineResult **res)
{
    *res = NULL;
    if (p->pending)
        return EMO_EINVAL; /* frames submitted to the draw thread come back through emo_pipeline_receive() first */
    int err = emo__pipe_analyze(p, frame);
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
    if ((err = emo_queue_open(&p->free_q, EMO_PIPE_DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)) ||
        (err = emo_queue_open(&p->draw_q, EMO_PIPE_DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)) ||
        (err = emo_queue_open(&p->done_q, EMO_PIPE_DRAW_JOBS, EMO_QUEUE_BLOCK, NULL)))
        return err;
    for (int j = 0; j < EMO_PIPE_DRAW_JOBS; j++)
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
    if ((err = emo__pipe_analyze(p, *frame))) {
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

int emo__pipe_draw_open(EmoPipeline *p)
{
    p->jobs = calloc(EMO_PIPE_DRAW_JOBS, sizeof(*p->jobs));
    if (!p->jobs)
        return EMO_ENOMEM;
    for (int j = 0; j < EMO_PIPE_DRAW_JOBS; j++) {
        DrawJob *jb = &p->jobs[j];
        jb->faces = calloc((size_t)p->max_faces, sizeof(*jb->faces));
        jb->models = calloc((size_t)p->max_faces, sizeof(*jb->models));
        jb->lm = calloc((size_t)p->max_faces * EMO_FACE_LANDMARKS * 2, sizeof(*jb->lm));
        if (!jb->faces || !jb->models || !jb->lm)
            return EMO_ENOMEM;
    }
    return 0;
}

void emo__pipe_draw_close(EmoPipeline *p)
{
    if (p->draw_started) {
        emo_queue_abort(p->draw_q);
        pthread_join(p->draw_thread, NULL);
        p->draw_started = 0;
    }
    for (int j = 0; p->jobs && j < EMO_PIPE_DRAW_JOBS; j++) {
        emo_frame_unref(&p->jobs[j].frame);
        free(p->jobs[j].faces);
        free(p->jobs[j].models);
        free(p->jobs[j].lm);
    }
    free(p->jobs);
    p->jobs = NULL;
    emo_queue_free(&p->free_q);
    emo_queue_free(&p->draw_q);
    emo_queue_free(&p->done_q);
}
