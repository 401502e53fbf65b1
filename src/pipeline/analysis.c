/* The analysis part of the pipeline: open and close, face slots, the
 * per-face worker tasks and the analysis of one frame (pipeline_internal.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "pipeline/pipeline_internal.h"

#include <emoscope/adapt.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds an ended event stays badged in the overlay. */
#define EVENT_LABEL_SECONDS 1.0

void emo_pipeline_default_settings(EmoPipelineSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->draw = 1;
    s->keep_timeline = 1;
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
    p->show_actions = cfg->render.actions_panel;
    p->show_gaze = cfg->render.gaze;
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

    EmoBlendshapesSettings bs;
    emo_blendshapes_default_settings(&bs);
    char bundle[EMO_PATH_MAX + 32];
    snprintf(bundle, sizeof(bundle), "%s/face_landmarker.task", s->models_dir);
    bs.bundle = bundle;
    bs.log = s->log;
    p->actions_interval = cfg->face.actions;
    if (p->actions_interval > 0 && emo_face_tracker_landmark_count(p->tracker) < EMO_BLENDSHAPE_POINTS) {
        emo_log(s->log, EMO_LOG_INFO, "facial actions off: they need the 478-point landmarker (face.mesh_model)");
        p->actions_interval = 0;
    }
    if (p->actions_interval > 0 && (err = emo_blendshapes_open(&p->blend, &bs)))
        goto fail;
    for (int i = 0; i < EMO_ACTION_UNITS; i++)
        snprintf(p->action_label[i], sizeof(p->action_label[i]), "AU%d %s", emo_action_unit_number(i),
                 emo_action_unit_name(i));

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
    p->work = calloc((size_t)p->max_faces, sizeof(*p->work));
    p->max_tasks = 2 * p->max_faces;
    p->task_cpu = calloc((size_t)p->max_tasks, sizeof(*p->task_cpu));
    p->workers = calloc((size_t)p->n_workers, sizeof(*p->workers));
    if (!p->slots || !p->out_faces || !p->work || !p->task_cpu || !p->workers)
        goto fail;
    for (int i = 0; i < p->max_faces; i++)
        if (!(p->work[i].emo_crop = malloc((size_t)p->emo_size * (size_t)p->emo_size)))
            goto fail;
    /* Every worker but the analysing thread gets its own mesh and emotion
     * models (an XNNPACK runtime runs one inference at a time). */
    for (int wk = 1; wk < p->n_workers; wk++) {
        if ((err = emo__face_mesher_open(&p->workers[wk].mesher, p->tracker)))
            goto fail;
        if (p->blend && (err = emo_blendshapes_open(&p->workers[wk].blend, &bs)))
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
    if ((err = emo__pipe_draw_open(p)))
        goto fail;
    err = EMO_ENOMEM;
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
    free_slot->event.set = 0;
    free_slot->has_actions = 0;
    free_slot->actions_due = 0;
    free_slot->ring.n = free_slot->ring.head = 0;
    free_slot->track = -1;
    if (free_slot->motion)
        emo_motion_reset(free_slot->motion);
    return free_slot;
}

/* Threshold of "rose and fell": the peak between onset and offset above both ends. */
#define ACTION_RISE 0.05f

void emo__pipe_keep_actions(Slot *sl, int64_t frame)
{
    ActionRing *rg = &sl->ring;
    rg->frame[rg->head] = frame;
    memcpy(rg->au[rg->head], sl->au, sizeof(sl->au));
    rg->head = (rg->head + 1) % EMO_PIPE_ACTION_RING;
    if (rg->n < EMO_PIPE_ACTION_RING)
        rg->n++;
}

/* Ring position of the k-th oldest kept frame. */
static int ring_at(const ActionRing *rg, int k)
{
    return (rg->head - rg->n + k + EMO_PIPE_ACTION_RING) % EMO_PIPE_ACTION_RING;
}

void emo__pipe_event_actions(const Slot *sl, EmoPipelineEvent *pe)
{
    const ActionRing *rg = &sl->ring;
    int k0 = -1, k1 = -1; /* the kept frames from onset to offset, oldest first */
    for (int k = 0; k < rg->n && rg->frame[ring_at(rg, k)] <= pe->event.offset; k++)
        if (rg->frame[ring_at(rg, k)] >= pe->event.onset) {
            k0 = k0 < 0 ? k : k0;
            k1 = k;
        }
    if (k0 < 0)
        return;
    const float *first = rg->au[ring_at(rg, k0)], *last = rg->au[ring_at(rg, k1)];
    float peak[EMO_ACTION_UNITS], rise[EMO_ACTION_UNITS];
    memcpy(peak, first, sizeof(peak));
    for (int k = k0 + 1; k <= k1; k++)
        for (int u = 0; u < EMO_ACTION_UNITS; u++)
            peak[u] = fmaxf(peak[u], rg->au[ring_at(rg, k)][u]);
    for (int u = 0; u < EMO_ACTION_UNITS; u++)
        rise[u] = peak[u] - fmaxf(first[u], last[u]);
    /* The strongest first; ties keep the table's order. */
    while (pe->n_actions < EMO_PIPELINE_EVENT_ACTIONS) {
        int best = -1;
        for (int u = 0; u < EMO_ACTION_UNITS; u++)
            if (rise[u] >= ACTION_RISE && (best < 0 || rise[u] > rise[best]))
                best = u;
        if (best < 0)
            break;
        pe->actions[pe->n_actions] = best;
        pe->action_rise[pe->n_actions++] = rise[best];
        rise[best] = -1;
    }
}

static void add_event(EmoPipeline *p, Slot *sl, const EmoMotionEvent *ev, double now)
{
    EmoPipelineResult *r = &p->result;
    EmoPipelineEvent pe = { .face_id = sl->id, .event = *ev };
    emo__pipe_event_actions(sl, &pe);
    if (r->n_events < EMO_PIPELINE_MAX_EVENTS)
        r->events[r->n_events++] = pe;
    else
        emo_log(p->log, EMO_LOG_WARN, "more than %d events ended on one frame; extra ones are not reported",
                EMO_PIPELINE_MAX_EVENTS);
    emo__pipe_report_event(p, sl, &pe);
    /* The overlay badges micro- and macro-expressions only: blinks, speech,
     * head movements and twitches are in the event records. */
    if (ev->type == EMO_EVENT_EXPRESSION && ev->cls != EMO_EVENT_CLASS_TWITCH)
        sl->event = (SlotEvent){ 1, ev->micro, now + EVENT_LABEL_SECONDS };
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

/* CPU seconds of the calling thread: unlike wall time, not inflated by other
 * processes' load (but it does include the XNNPACK workers only when threads = 1). */
double emo__pipe_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Batch 1 of a frame: the face mesh of track mesh_order[task]. */
static void mesh_task(void *arg, int task, int w)
{
    EmoPipeline *p = arg;
    int i = p->mesh_order[task];
    double c0 = w ? emo__pipe_thread_cpu() : 0;
    if (i == p->n_mesh)
        emo__face_tracker_pass(p->tracker, p->cur); /* the detector's own networks */
    else
        emo__face_tracker_mesh(p->tracker, w ? p->workers[w].mesher : NULL, p->cur, i);
    p->task_cpu[i] = w ? emo__pipe_thread_cpu() - c0 : 0;
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
    double t0 = emo_clock_now(), c0 = w ? emo__pipe_thread_cpu() : 0;
    if (task < n) {
        fw->err_emotion = emo_face_align(frame, fw->face, p->emo_size, EMO_ALIGN_GRAY8, fw->emo_crop, p->emo_size);
        if (!fw->err_emotion && fw->due) {
            EmoImage img = { fw->emo_crop, p->emo_size, p->emo_size, p->emo_size, EMO_PIX_GRAY8 };
            emo__ensemble_infer(w ? p->workers[w].ensemble : p->ensemble, &img, &fw->run);
        }
        double ta = emo_clock_now();
        fw->t_emotion = ta - t0;
        if (fw->actions_due) {
            /* The face's own slot: no other task of this batch writes its actions. */
            Slot *sl = fw->slot;
            fw->err_actions = emo_blendshapes_run(w ? p->workers[w].blend : p->blend, &fw->face->landmarks[0][0],
                                                  fw->face->n_landmarks, 3, sl->blendshapes);
            if (!fw->err_actions) {
                emo_action_units(sl->blendshapes, sl->au);
                sl->has_actions = 1;
            }
            fw->t_actions = emo_clock_now() - ta;
        }
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
    p->task_cpu[task] = w ? emo__pipe_thread_cpu() - c0 : 0;
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
int emo__pipe_analyze(EmoPipeline *p, EmoFrame *frame)
{
    EmoPipelineResult *r = &p->result;
    r->index = frame->index;
    r->pts = frame->pts;
    r->n_faces = 0;
    r->n_events = 0;
    r->cpu_workers = 0;
    double t0 = emo_clock_now(), c0 = emo__pipe_thread_cpu();
    if (p->frames == 0)
        p->analysis_t0 = t0;
    p->cur = frame;
    int n = emo__face_tracker_begin(p->tracker, frame, &p->faces);
    if (n < 0)
        return n;
    if (n > p->max_tasks)
        return EMO_EINTERNAL;
    /* The costliest tasks are claimed first: with tasks taken in order, a
     * costly one left for last would keep one worker busy while the others
     * wait. A detector pass (the search for new faces or a tile scan, 4-5 ms
     * at 1080p: task n) comes first, then landmarker tracks (4x the face
     * mesh's cost; face.landmarker_faces mixes them). */
    int at = 0, pass_due = emo__face_tracker_pass_due(p->tracker);
    p->n_mesh = n;
    if (pass_due)
        p->mesh_order[at++] = n;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++)
            if ((emo__face_tracker_track_points(p->tracker, i) > EMO_FACE_LANDMARKS) == !pass)
                p->mesh_order[at++] = i;
    emo__pool_run(p->pool, at, mesh_task, p);
    r->cpu_workers += pool_cpu(p, at);
    int err = emo__face_tracker_end(p->tracker, frame, &p->faces);
    if (err)
        return err;
    double t1 = emo_clock_now();
    r->t_face = t1 - t0;
    r->detector_ran = p->faces.detector_ran;
    r->cut = p->faces.cut;
    p->cuts += r->cut;
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
        emo_face_gaze(&pf->face, &pf->gaze); /* a few dozen flops: every frame */
        pf->motion_active_region = -1;
        memset(&pf->motion, 0, sizeof(pf->motion));
        FaceWork *fw = &p->work[k];
        fw->face = &pf->face;
        fw->slot = sl;
        fw->due = emo__ensemble_due(p->ensemble, f->id, frame->pts);
        fw->actions_due = p->blend && f->n_landmarks >= EMO_BLENDSHAPE_POINTS && frame->index >= sl->actions_due;
        if (f->n_landmarks < EMO_BLENDSHAPE_POINTS)
            sl->has_actions = 0; /* no stale actions on a face that has no 478 points now */
        if (fw->actions_due)
            sl->actions_due = frame->index + p->actions_interval;
        fw->err_actions = 0;
        fw->t_actions = 0;
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
        r->t_face += fw->t_actions;
        if (fw->err_actions)
            return fw->err_actions;
        pf->has_actions = sl->has_actions;
        if (sl->has_actions) {
            memcpy(pf->blendshapes, sl->blendshapes, sizeof(pf->blendshapes));
            memcpy(pf->au, sl->au, sizeof(pf->au));
            if (fw->actions_due)
                emo__pipe_keep_actions(sl, frame->index);
        }

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

        if (p->s.keep_timeline && (err = emo__pipe_report_frame(p, sl, pf, frame->pts)))
            return err;
    }
    /* Faces no longer tracked. */
    for (int i = 0; i < p->max_faces; i++)
        if (p->slots[i].id >= 0 && !p->slots[i].seen)
            slot_release(p, &p->slots[i], frame->pts);

    r->cpu_analysis = emo__pipe_thread_cpu() - c0 + r->cpu_workers;
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

void emo_pipeline_set_view(EmoPipeline *p, int mesh, int model_bars, int graph, int actions, const char *status)
{
    p->show_mesh = mesh;
    p->show_bars = model_bars;
    p->show_graph = graph;
    p->show_actions = actions;
    p->status = status;
}

void emo_pipeline_set_gaze_view(EmoPipeline *p, int gaze)
{
    p->show_gaze = gaze;
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
    emo__pipe_draw_close(p);
    emo__pool_close(&p->pool);
    for (int w = 0; p->workers && w < p->n_workers; w++) {
        emo__face_mesher_close(&p->workers[w].mesher);
        emo_blendshapes_close(&p->workers[w].blend);
        emo_ensemble_close(&p->workers[w].ensemble);
    }
    free(p->workers);
    for (int i = 0; p->work && i < p->max_faces; i++)
        free(p->work[i].emo_crop);
    free(p->work);
    free(p->task_cpu);
    emo_face_tracker_close(&p->tracker);
    emo_blendshapes_close(&p->blend);
    emo_ensemble_close(&p->ensemble);
    emo_overlay_close(&p->overlay);
    for (int i = 0; p->slots && i < p->max_faces; i++) {
        emo_motion_close(&p->slots[i].motion);
        free(p->slots[i].aligned);
        free(p->slots[i].aligned_lm);
    }
    emo__pipe_report_close(p);
    free(p->slots);
    free(p->out_faces);
    free(p);
}
