/* The emotion ensemble: local models through emo_nn, the optional online
 * API, fusion, per-face scheduling and EMA. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/emotion.h>
#include <emoscope/nn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emotion/ensemble_phases.h"
#include "emotion/faces.h"
#include "emotion/image.h"

#define API_CROP 256 /* larger faces are downscaled to this before the API */

typedef struct Model {
    EmoEmotionModelSpec spec;
    EmoNnModel *nn;
    float *in;
    size_t in_count;
} Model;

struct EmoEnsemble {
    EmoEnsembleSettings s;
    Model m[EMO_EMOTION_MAX_MODELS];
    int n;
    double weights[EMO_EMOTION_MAX_MODELS + 1];
    EmoFaceState *faces;
    uint64_t tick;
    EmoApiClient *api;
    uint8_t *api_crop;           /* API_CROP^2 * 3, for faces over max_side */
    double *hist_t;              /* max_faces x history_capacity */
    float (*hist_p)[EMO_EMOTION_COUNT];
    float *sg_in, *sg_out;       /* history_capacity each */
    int max_w, max_h;
};

void emo_ensemble_default_settings(EmoEnsembleSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->fusion = EMO_FUSION_MEAN;
    s->interval = 0;
    s->ema_alpha = 0.3;
    s->max_faces = 16;
    s->nn_threads = 1;
    s->api_weight = 1;
    s->api_max_age = 2;
    s->history_seconds = 10;
    s->history_capacity = 1024;
    s->sg_window = 15;
    s->sg_order = 2;
    emo_api_default_settings(&s->api);
}

EmoFaceState *emo__face_slot(EmoFaceState *faces, int n, int id, uint64_t tick, double ema_alpha)
{
    EmoFaceState *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < n; i++) {
        EmoFaceState *f = &faces[i];
        if (f->used && f->id == id) {
            f->seen = tick;
            return f;
        }
        if (!f->used && !free_slot)
            free_slot = f;
        if (f->used && (!oldest || f->seen < oldest->seen))
            oldest = f;
    }
    EmoFaceState *f = free_slot ? free_slot : oldest;
    memset(f, 0, sizeof(*f));
    f->used = 1;
    f->id = id;
    f->seen = tick;
    emo_ema_init(&f->ema, ema_alpha);
    return f;
}

static int open_model(Model *m, const EmoEmotionModelSpec *spec, const EmoEnsembleSettings *s)
{
    char path[2 * EMO_PATH_MAX];
    emo_emotion_model_path(spec, s->models_dir, path, sizeof(path));
    m->spec = *spec;
    if (spec->width < 1 || spec->height < 1 || spec->width > 1024 || spec->height > 1024 || spec->n_labels < 1 ||
        spec->n_labels > EMO_EMOTION_MAX_LABELS) {
        emo_log(s->log, EMO_LOG_ERROR, "emotion model '%s': bad input size or label count", spec->name);
        return EMO_EINVAL;
    }
    EmoNnSettings ns;
    emo_nn_default_settings(&ns);
    ns.threads = s->nn_threads;
    ns.log = s->log;
    int err = emo_nn_open(&m->nn, path, &ns);
    if (err) {
        emo_log(s->log, EMO_LOG_ERROR, "emotion model '%s': cannot load %s: %s", spec->name, path,
                emo_strerror(err));
        return err;
    }
    EmoNnTensorInfo in, out;
    if (emo_nn_num_inputs(m->nn) != 1 || emo_nn_num_outputs(m->nn) < 1 || emo_nn_input_info(m->nn, 0, &in) ||
        emo_nn_output_info(m->nn, 0, &out)) {
        emo_log(s->log, EMO_LOG_ERROR, "emotion model '%s': expected one image input and an output", spec->name);
        return EMO_EUNSUPPORTED;
    }
    int c = spec->gray ? 1 : 3;
    if (in.rank != 4 || in.shape[0] != 1 || in.shape[1] != spec->height || in.shape[2] != spec->width ||
        in.shape[3] != c) {
        emo_log(s->log, EMO_LOG_ERROR,
                "emotion model '%s': its input is %dx%dx%dx%d, the registry says 1x%dx%dx%d (size, gray)",
                spec->name, in.shape[0], in.shape[1], in.shape[2], in.shape[3], spec->height, spec->width, c);
        return EMO_EINVAL;
    }
    if (out.count != (size_t)spec->n_labels) {
        emo_log(s->log, EMO_LOG_ERROR, "emotion model '%s' has %zu outputs, its label list %d", spec->name,
                out.count, spec->n_labels);
        return EMO_EINVAL;
    }
    m->in = emo_nn_input(m->nn, 0);
    m->in_count = in.count;
    return m->in ? 0 : EMO_EINTERNAL;
}

int emo_ensemble_open(EmoEnsemble **out, const EmoEnsembleSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    if (!s || s->n_models < 0 || s->n_models > EMO_EMOTION_MAX_MODELS || (s->n_models == 0 && !s->api_enabled) ||
        !(s->ema_alpha > 0 && s->ema_alpha <= 1) || s->max_faces < 1 || s->max_faces > 4096 ||
        !(s->interval >= 0) || s->nn_threads < 0 || !(s->history_seconds > 0) || s->history_capacity < 1 ||
        s->history_capacity > 1 << 20 || s->sg_window < 1 || !(s->sg_window & 1) || s->sg_window > 1001 ||
        s->sg_order < 0 || s->sg_order >= s->sg_window || s->sg_order > 10) {
        emo_log(s ? s->log : NULL, EMO_LOG_ERROR, "emotion: bad ensemble settings (no model, or a value out of range)");
        return EMO_EINVAL;
    }
    int err = EMO_ENOMEM;
    EmoEnsemble *e = calloc(1, sizeof(*e));
    if (!e)
        return EMO_ENOMEM;
    e->s = *s;
    e->faces = calloc((size_t)s->max_faces, sizeof(*e->faces));
    size_t hn = (size_t)s->max_faces * (size_t)s->history_capacity;
    e->hist_t = calloc(hn, sizeof(*e->hist_t));
    e->hist_p = calloc(hn, sizeof(*e->hist_p));
    e->sg_in = calloc((size_t)s->history_capacity, sizeof(float));
    e->sg_out = calloc((size_t)s->history_capacity, sizeof(float));
    if (!e->faces || !e->hist_t || !e->hist_p || !e->sg_in || !e->sg_out)
        goto fail;
    for (int i = 0; i < s->n_models; i++) {
        if ((err = open_model(&e->m[i], &s->models[i], s))) {
            emo_nn_close(&e->m[i].nn);
            goto fail;
        }
        e->n++;
        e->weights[i] = s->models[i].weight;
        if (s->models[i].width > e->max_w)
            e->max_w = s->models[i].width;
        if (s->models[i].height > e->max_h)
            e->max_h = s->models[i].height;
    }
    if (s->api_enabled) {
        EmoApiClientSettings as = s->api;
        if (!as.log)
            as.log = s->log;
        e->api_crop = malloc((size_t)API_CROP * API_CROP * 3);
        if (!e->api_crop) {
            err = EMO_ENOMEM;
            goto fail;
        }
        if ((err = emo_api_open(&e->api, &as)))
            goto fail;
        e->weights[e->n] = s->api_weight;
    }
    *out = e;
    return 0;
fail:
    emo_ensemble_close(&e);
    return err;
}

void emo_ensemble_input_size(const EmoEnsemble *e, int *width, int *height)
{
    if (width)
        *width = e ? e->max_w : 0;
    if (height)
        *height = e ? e->max_h : 0;
}

/* Whether model i runs in pass (0: the face, 1: its mirror image). */
static int in_pass(const EmoEnsemble *e, int i, int pass)
{
    return !pass || e->s.flip_tta || e->m[i].spec.flip;
}

/* Writes model i's input for face (mirrored when flip). Models with the
 * same preprocessing as an earlier one of the same pass copy its tensor
 * instead of resizing again (mini and big Xception share theirs). */
static void prepare(EmoEnsemble *e, int i, const EmoImage *face, int flip)
{
    const EmoEmotionModelSpec *s = &e->m[i].spec;
    for (int j = 0; j < i; j++) {
        const EmoEmotionModelSpec *o = &e->m[j].spec;
        if (in_pass(e, j, flip) && o->width == s->width && o->height == s->height && o->gray == s->gray &&
            o->scale == s->scale) {
            memcpy(e->m[i].in, e->m[j].in, e->m[i].in_count * sizeof(float));
            return;
        }
    }
    emo__face_to_tensor(face, s->width, s->height, s->gray, s->scale, flip, e->m[i].in);
}

/* Model i's output as canonical probabilities. */
static void collect(const Model *m, float probs[EMO_EMOTION_COUNT])
{
    const float *o = emo_nn_output(m->nn, 0);
    double acc[EMO_EMOTION_COUNT] = { 0 }, sum = 0;
    for (int i = 0; i < m->spec.n_labels; i++) {
        int k = m->spec.label_map[i];
        if (k < 0 || !isfinite(o[i]) || o[i] < 0)
            continue;
        acc[k] += o[i];
        sum += o[i];
    }
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        probs[k] = (float)(sum > 0 ? acc[k] / sum : 1.0 / EMO_EMOTION_COUNT);
}

static void fill_names(const EmoEnsemble *e, EmoEmotionResult *res)
{
    res->n_models = e->n + (e->api ? 1 : 0);
    for (int i = 0; i < e->n; i++)
        res->model_names[i] = e->m[i].spec.name;
    if (e->api)
        res->model_names[e->n] = "api";
}

static int run_local(EmoEnsemble *e, const EmoImage *face, float (*probs)[EMO_EMOTION_COUNT], int *avail)
{
    int ok = 0;
    int passes = 1;
    for (int i = 0; i < e->n; i++)
        passes = in_pass(e, i, 1) ? 2 : passes;
    for (int pass = 0; pass < passes; pass++) {
        /* All inputs first (they may be copied from each other), then the runs. */
        for (int i = 0; i < e->n; i++)
            if (in_pass(e, i, pass))
                prepare(e, i, face, pass);
        for (int i = 0; i < e->n; i++) {
            if (pass && (!avail[i] || !in_pass(e, i, pass)))
                continue;
            int err = emo_nn_run(e->m[i].nn);
            if (err) {
                avail[i] = 0;
                emo_log(e->s.log, EMO_LOG_WARN, "emotion model '%s' failed: %s", e->m[i].spec.name,
                        emo_strerror(err));
                continue;
            }
            if (!pass) {
                collect(&e->m[i], probs[i]);
                avail[i] = 1;
            } else {
                float pf[EMO_EMOTION_COUNT];
                collect(&e->m[i], pf);
                for (int k = 0; k < EMO_EMOTION_COUNT; k++)
                    probs[i][k] = 0.5f * (probs[i][k] + pf[k]);
            }
        }
    }
    for (int i = 0; i < e->n; i++)
        ok += avail[i];
    return ok || !e->n ? 0 : EMO_EINTERNAL;
}

int emo_ensemble_run(EmoEnsemble *e, const EmoImage *face, EmoEmotionResult *res)
{
    if (!e || !res || emo__image_check(face))
        return EMO_EINVAL;
    memset(res, 0, sizeof(*res));
    fill_names(e, res);
    res->n_models = e->n;
    int err = run_local(e, face, res->model_probs, res->available);
    if (err)
        return err;
    emo_emotion_fuse((const float(*)[EMO_EMOTION_COUNT])res->model_probs, e->weights, res->available, e->n,
                     e->s.fusion, res->fused);
    memcpy(res->smoothed, res->fused, sizeof(res->fused));
    res->dominant = emo_emotion_argmax(res->fused);
    res->fresh = 1;
    res->api_age = -1;
    return 0;
}

static void api_submit(EmoEnsemble *e, const EmoImage *face, int face_id)
{
    EmoApiClientSettings *as = &e->s.api;
    if (face->width <= as->max_side && face->height <= as->max_side) {
        emo_api_submit(e->api, face, face_id);
        return;
    }
    int side = API_CROP < as->max_side ? API_CROP : as->max_side;
    int gray = face->fmt == EMO_PIX_GRAY8;
    emo__resize_u8(face, side, side, gray, e->api_crop);
    EmoImage small = { e->api_crop, side, side, side * (gray ? 1 : 3), gray ? EMO_PIX_GRAY8 : EMO_PIX_RGB24 };
    emo_api_submit(e->api, &small, face_id);
}

int emo__ensemble_due(const EmoEnsemble *e, int face_id, double t)
{
    for (int i = 0; i < e->s.max_faces; i++) {
        const EmoFaceState *f = &e->faces[i];
        if (f->used && f->id == face_id)
            return emo__emotion_due(f->has_run, f->last_run, t, e->s.interval);
    }
    return 1; /* a new face: a fresh state, never run */
}

int emo__ensemble_infer(EmoEnsemble *e, const EmoImage *face, EmoEnsembleRun *run)
{
    if (!e || !run || emo__image_check(face))
        return run ? (run->err = EMO_EINVAL) : EMO_EINVAL;
    memset(run->probs, 0, sizeof(run->probs));
    memset(run->avail, 0, sizeof(run->avail));
    run->n_models = e->n;
    run->err = run_local(e, face, run->probs, run->avail);
    return run->err;
}

int emo_ensemble_analyze(EmoEnsemble *e, int face_id, double t, const EmoImage *face, EmoEmotionResult *res)
{
    return emo__ensemble_analyze_with(e, face_id, t, face, NULL, res);
}

int emo__ensemble_analyze_with(EmoEnsemble *e, int face_id, double t, const EmoImage *face, const EmoEnsembleRun *run,
                               EmoEmotionResult *res)
{
    if (!e || !res || emo__image_check(face) || !isfinite(t))
        return EMO_EINVAL;
    memset(res, 0, sizeof(*res));
    fill_names(e, res);
    EmoFaceState *f = emo__face_slot(e->faces, e->s.max_faces, face_id, ++e->tick, e->s.ema_alpha);
    if (emo__emotion_due(f->has_run, f->last_run, t, e->s.interval)) {
        int err;
        if (run && run->n_models == e->n) {
            /* What run_local() would have written: the models' results in
             * place, availability for every model. */
            for (int i = 0; i < e->n; i++)
                if (run->avail[i])
                    memcpy(f->probs[i], run->probs[i], sizeof(f->probs[i]));
            memcpy(f->avail, run->avail, sizeof(int) * (size_t)e->n);
            err = run->err;
        } else {
            err = run_local(e, face, f->probs, f->avail);
        }
        if (err)
            return err;
        f->has_run = 1;
        f->last_run = t;
        res->fresh = 1;
    }
    memcpy(res->model_probs, f->probs, sizeof(float) * EMO_EMOTION_COUNT * (size_t)e->n);
    memcpy(res->available, f->avail, sizeof(int) * (size_t)e->n);
    res->api_age = -1;
    if (e->api) {
        api_submit(e, face, face_id);
        double age;
        int id;
        if (!emo_api_result(e->api, res->model_probs[e->n], &age, &id) && id == face_id &&
            age <= e->s.api_max_age) {
            res->available[e->n] = 1;
            res->api_age = age;
        }
    }
    int n = e->n + (e->api ? 1 : 0);
    emo_emotion_fuse((const float(*)[EMO_EMOTION_COUNT])res->model_probs, e->weights, res->available, n,
                     e->s.fusion, res->fused);
    emo_ema_update(&f->ema, res->fused);
    /* History ring: a sample per call; samples older than history_seconds
     * (or from before a backwards time jump) are dropped from the front. */
    int cap = e->s.history_capacity;
    size_t base = (size_t)(f - e->faces) * (size_t)cap;
    while (f->hist_n > 0) {
        double t0 = e->hist_t[base + (size_t)f->hist_start];
        double tl = e->hist_t[base + (size_t)((f->hist_start + f->hist_n - 1) % cap)];
        if (f->hist_n < cap && t - t0 <= e->s.history_seconds && t >= tl)
            break;
        if (t < tl) {
            f->hist_n = 0;
            break;
        }
        f->hist_start = (f->hist_start + 1) % cap;
        f->hist_n--;
    }
    size_t slot = base + (size_t)((f->hist_start + f->hist_n) % cap);
    e->hist_t[slot] = t;
    memcpy(e->hist_p[slot], res->fused, sizeof(res->fused));
    f->hist_n++;
    memcpy(res->smoothed, f->ema.value, sizeof(res->smoothed));
    res->dominant = emo_emotion_argmax(res->smoothed);
    return 0;
}

int emo_ensemble_history(EmoEnsemble *e, int face_id, int smooth, double *times,
                         float (*probs)[EMO_EMOTION_COUNT], int max)
{
    if (!e || max < 0 || (max > 0 && (!times || !probs)))
        return EMO_EINVAL;
    const EmoFaceState *f = NULL;
    for (int i = 0; i < e->s.max_faces && !f; i++)
        if (e->faces[i].used && e->faces[i].id == face_id)
            f = &e->faces[i];
    if (!f || !f->hist_n)
        return 0;
    int cap = e->s.history_capacity, n = f->hist_n < max ? f->hist_n : max;
    size_t base = (size_t)(f - e->faces) * (size_t)cap;
    int skip = f->hist_n - n; /* the newest n */
    for (int i = 0; i < n; i++) {
        size_t j = base + (size_t)((f->hist_start + skip + i) % cap);
        times[i] = e->hist_t[j];
        memcpy(probs[i], e->hist_p[j], sizeof(probs[i]));
    }
    if (smooth) {
        for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
            for (int i = 0; i < n; i++)
                e->sg_in[i] = probs[i][k];
            if (emo_savgol_filter(e->sg_in, e->sg_out, n, e->s.sg_window, e->s.sg_order))
                return EMO_EINTERNAL;
            for (int i = 0; i < n; i++)
                probs[i][k] = e->sg_out[i] < 0 ? 0 : e->sg_out[i] > 1 ? 1 : e->sg_out[i];
        }
    }
    return n;
}

void emo_ensemble_forget(EmoEnsemble *e, int face_id)
{
    if (!e)
        return;
    for (int i = 0; i < e->s.max_faces; i++)
        if (e->faces[i].used && e->faces[i].id == face_id)
            e->faces[i].used = 0;
}

EmoApiClient *emo_ensemble_api(EmoEnsemble *e)
{
    return e ? e->api : NULL;
}

void emo_ensemble_close(EmoEnsemble **pe)
{
    if (!pe || !*pe)
        return;
    EmoEnsemble *e = *pe;
    for (int i = 0; i < e->n; i++)
        emo_nn_close(&e->m[i].nn);
    emo_api_close(&e->api);
    free(e->api_crop);
    free(e->hist_t);
    free(e->hist_p);
    free(e->sg_in);
    free(e->sg_out);
    free(e->faces);
    free(e);
    *pe = NULL;
}
