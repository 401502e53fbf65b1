/* One source analysed into an output folder (emo_analyze_file): set-up,
 * the frame loop (loop.c) with the file sinks (sinks.c), tear-down. What
 * `emoscope analyze` and `run` write; the commands add their window and
 * print the report. */
#define _POSIX_C_SOURCE 200809L
#include "analyze_internal.h"

#include <emoscope/adapt.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void emo_analyze_default_options(EmoAnalyzeOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->analyze = 1;
    o->results = 1;
    o->video = 1;
    o->chart = 1;
}

int emo_mkdirs(const char *dir)
{
    char buf[EMO_PATH_MAX];
    if (!dir || !dir[0] || snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
        errno = EINVAL;
        return EMO_EINVAL;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return EMO_EIO;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? EMO_EIO : 0;
}

/* Is model m needed by these settings? Face models always; emotion models
 * when named in emotion.models. */
static int model_needed(const EmoConfig *cfg, const EmoModelFile *m)
{
    if (m->optional)
        return 0;
    if (strstr(m->role, "emotion") == NULL)
        return 1;
    const char *list = cfg->emotion.models;
    size_t n = strlen(m->name);
    for (const char *p = list; (p = strstr(p, m->name)) != NULL; p += n) {
        int start = p == list || p[-1] == ',' || p[-1] == ' ';
        int end = p[n] == 0 || p[n] == ',' || p[n] == ' ';
        if (start && end)
            return 1;
    }
    return 0;
}

typedef struct Outputs {
    char video[EMO_PATH_MAX + 64], jsonl[EMO_PATH_MAX + 64], csv[EMO_PATH_MAX + 64];
    char ev_jsonl[EMO_PATH_MAX + 64], ev_csv[EMO_PATH_MAX + 64], summary[EMO_PATH_MAX + 64];
    char png[EMO_PATH_MAX + 64], svg[EMO_PATH_MAX + 64];
} Outputs;

static void output_paths(Outputs *o, const char *dir)
{
    snprintf(o->video, sizeof(o->video), "%s/annotated.mp4", dir);
    snprintf(o->jsonl, sizeof(o->jsonl), "%s/results.jsonl", dir);
    snprintf(o->csv, sizeof(o->csv), "%s/results.csv", dir);
    snprintf(o->ev_jsonl, sizeof(o->ev_jsonl), "%s/events.jsonl", dir);
    snprintf(o->ev_csv, sizeof(o->ev_csv), "%s/events.csv", dir);
    snprintf(o->summary, sizeof(o->summary), "%s/summary.json", dir);
    snprintf(o->png, sizeof(o->png), "%s/timeline.png", dir);
    snprintf(o->svg, sizeof(o->svg), "%s/timeline.svg", dir);
}

/* Everything one run holds; analysis_close() releases it whatever happened. */
struct EmoAnalysis {
    const EmoConfig *cfg;
    const char *source, *out_dir;
    const EmoAnalyzeOptions *o;
    EmoAnalyzeReport *rep;
    const EmoLogger *lg;
    int write_video, write_results, write_chart;
    char models_dir[EMO_PATH_MAX];
    Outputs out;
    double t0;
    EmoVideoSource *src;
    EmoPipeline *pipe;
    EmoAnalyzeWriterSink video;
    EmoAnalyzeResultsSink results;
};

void emo__analyze_error(EmoAnalysis *a, const char *fmt, ...)
{
    char msg[sizeof(a->rep->error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emo_log(a->lg, EMO_LOG_ERROR, "%s", msg);
    if (!a->rep->error[0])
        snprintf(a->rep->error, sizeof(a->rep->error), "%s", msg);
}

/* Fails the set-up at one stage: the code is returned, the stage kept. */
static int setup_failed(EmoAnalysis *a, EmoAnalyzeStage stage, int err)
{
    a->rep->failed_stage = stage;
    return err;
}

static int check_models(EmoAnalysis *a)
{
    char path[EMO_PATH_MAX + 128];
    int err = 0;
    for (const EmoModelFile *m = emo_model_files(); m->name; m++) {
        if (!model_needed(a->cfg, m))
            continue;
        EmoModelStatus st = emo_model_check(m, a->models_dir, path, sizeof(path));
        if (st != EMO_MODEL_OK) {
            emo__analyze_error(a, "model file %s: %s (run `make models`)", path, emo_model_status_name(st));
            if (!err)
                err = st == EMO_MODEL_MISSING ? EMO_ENOENT : st == EMO_MODEL_CORRUPT ? EMO_ECHECKSUM : EMO_EIO;
        }
    }
    return err ? setup_failed(a, EMO_ANALYZE_STAGE_MODELS, err) : 0;
}

/* The output folder and the model files. */
static int prepare(EmoAnalysis *a)
{
    int err;
    if ((a->write_video || a->write_results || a->write_chart) && (err = emo_mkdirs(a->out_dir))) {
        emo__analyze_error(a, "cannot create output folder '%s': %s", a->out_dir, strerror(errno));
        return setup_failed(a, EMO_ANALYZE_STAGE_FOLDER, err);
    }
    output_paths(&a->out, a->out_dir);
    return a->o->analyze ? check_models(a) : 0;
}

static int open_input(EmoAnalysis *a)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &a->cfg->video)) {
        emo__analyze_error(a, "a [video] setting has an unknown value");
        return setup_failed(a, EMO_ANALYZE_STAGE_SETTINGS, EMO_EINVAL);
    }
    vs.source = a->source;
    vs.pix_fmt = EMO_PIX_BGRA; /* the overlay draws with Cairo into BGRA */
    vs.log = a->lg;
    int err = emo_loop_open_source(&a->src, &vs, &a->cfg->video, a->o->stop, a->lg);
    if (err == EMO_EINTR) {
        emo__analyze_error(a, "interrupted before %s could be opened", a->source);
        return setup_failed(a, EMO_ANALYZE_STAGE_INPUT, err);
    }
    if (err) {
        emo__analyze_error(a, "cannot open %s: %s", a->source, emo_strerror(err));
        return setup_failed(a, EMO_ANALYZE_STAGE_INPUT, err);
    }
    emo_video_info(a->src, &a->rep->info);
    return 0;
}

static int open_analysis(EmoAnalysis *a)
{
    if (!a->o->analyze)
        return 0;
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = a->cfg;
    ps.models_dir = a->models_dir;
    ps.draw = a->cfg->render.overlay;
    ps.keep_timeline = a->write_results || a->write_chart;
    ps.log = a->lg;
    int err = emo_pipeline_open(&a->pipe, &ps);
    if (err) {
        emo__analyze_error(a, "cannot load the analysis models: %s", emo_strerror(err));
        return setup_failed(a, err == EMO_ENOENT || err == EMO_EFORMAT ? EMO_ANALYZE_STAGE_MODELS
                                                                      : EMO_ANALYZE_STAGE_ANALYSIS, err);
    }
    a->results.pipe = a->pipe;
    return 0;
}

/* The annotated video and the result files. */
static int open_files(EmoAnalysis *a)
{
    const Outputs *out = &a->out;
    int err;
    if (a->write_video && (err = emo_analyze_open_writer(&a->video.wr, a->cfg, &a->rep->info, out->video, a->lg))) {
        emo__analyze_error(a, "cannot create %s: %s", out->video, emo_strerror(err));
        return setup_failed(a, EMO_ANALYZE_STAGE_FILES, err);
    }
    if (a->write_results && a->o->analyze) {
        const EmoOutputSettings *o = &a->cfg->output;
        EmoAnalyzeResultsSink *r = &a->results;
        if ((err = emo_results_open(&r->frames, o->jsonl ? out->jsonl : NULL, o->csv ? out->csv : NULL, a->lg)) ||
            (err = emo_results_open(&r->events, o->jsonl ? out->ev_jsonl : NULL, o->csv ? out->ev_csv : NULL, a->lg))) {
            emo__analyze_error(a, "cannot create result files in %s", a->out_dir);
            return setup_failed(a, EMO_ANALYZE_STAGE_FILES, err);
        }
    }
    return 0;
}

/* Hands each analysed frame's position to the caller's progress callback. */
typedef struct Progress {
    EmoAnalysis *a;
    EmoAnalyzeProgress p;
} Progress;

static int progress_result(void *opaque, const EmoPipelineResult *res)
{
    Progress *pr = opaque;
    const EmoAnalyzeOptions *o = pr->a->o;
    pr->p.frames++;
    pr->p.pts = res->pts;
    pr->p.wall_s = emo_clock_now() - pr->a->t0;
    o->progress(o->opaque, &pr->p);
    return 0;
}

static void run_loop(EmoAnalysis *a, EmoLoopReport *lr)
{
    const EmoAnalyzeOptions *o = a->o;
    EmoLoopSink sinks[EMO_LOOP_MAX_SINKS];
    Progress pr = { .a = a, .p = { .duration = a->rep->info.duration } };
    int n = 0;
    sinks[n++] = emo__results_sink(&a->results);
    sinks[n++] = emo__writer_sink(&a->video);
    if (o->progress)
        sinks[n++] = (EmoLoopSink){ .opaque = &pr, .on_result = progress_result };
    for (int i = 0; i < o->n_sinks; i++)
        sinks[n++] = o->sinks[i];
    EmoLoopSettings ls = {
        .src = a->src, .pipe = a->pipe, .sinks = sinks, .n_sinks = n, .stop = o->stop,
        .stats_interval = a->cfg->general.stats_interval, .t0 = a->t0, .log = a->lg,
    };
    emo_loop_run(&ls, lr);
    EmoAnalyzeReport *rep = a->rep;
    rep->frames = lr->frames;
    rep->events = lr->events;
    rep->first_pts = lr->first_pts;
    rep->last_pts = lr->last_pts;
}

/* Outputs are finalised whatever ended the run. Returns the results' status. */
static int finalise(EmoAnalysis *a)
{
    EmoAnalyzeResultsSink *r = &a->results;
    EmoAnalyzeReport *rep = a->rep;
    rep->written = emo__writer_sink_close(&a->video);
    rep->encode_s = a->video.encode_s;
    rep->records = emo_results_count(r->frames);
    int rerr = emo_results_close(&r->frames);
    int eerr = emo_results_close(&r->events);
    int status = r->status ? r->status : rerr ? rerr : eerr;
    if (a->pipe && a->write_results && !status)
        status = emo_pipeline_write_summary(a->pipe, a->out.summary, a->source);
    if ((rerr || eerr || status) && !r->status)
        emo__analyze_error(a, "writing the results in %s failed: %s", a->out_dir, emo_strerror(status));
    int err;
    if (a->pipe && a->write_chart && (err = emo_pipeline_write_timeline(a->pipe, a->out.png, a->out.svg, a->source)))
        emo__analyze_error(a, "cannot write the timeline chart: %s", emo_strerror(err));
    return status;
}

/* What ended the run, worst first. A live source (camera, stream) has no
 * natural end: unless max_frames ended it, its end means the stream stopped
 * or the camera went away (live_stopped). Returns the call's code. */
static int conclude(EmoAnalysis *a, const EmoLoopReport *lr, int results_status)
{
    EmoAnalyzeReport *rep = a->rep;
    int64_t max_frames = a->cfg->video.max_frames;
    rep->live_stopped = rep->info.live && lr->source_status == EMO_EOF && !lr->stopped &&
                        !(max_frames > 0 && rep->stats.frames_decoded >= max_frames);
    int src_err = lr->source_status && lr->source_status != EMO_EOF;
    if (src_err)
        snprintf(rep->source_error, sizeof(rep->source_error), "%s", emo_video_error_message(a->src));
    int write_err = a->video.status ? a->video.status : results_status;
    if (write_err || lr->frame_status) {
        rep->end = EMO_ANALYZE_FAILED;
        return lr->frame_status ? lr->frame_status : write_err;
    }
    if (lr->interrupted) {
        rep->end = EMO_ANALYZE_INTERRUPTED;
        return EMO_EINTR;
    }
    if (!rep->live_stopped && (lr->stopped || lr->source_status == EMO_EOF)) {
        rep->end = EMO_ANALYZE_COMPLETE;
        return 0;
    }
    rep->end = lr->frames > 0 ? EMO_ANALYZE_PARTIAL : EMO_ANALYZE_FAILED;
    if (!rep->error[0])
        snprintf(rep->error, sizeof(rep->error), "%s",
                 rep->live_stopped ? "the live source stopped"
                 : src_err         ? rep->source_error
                                   : emo_strerror(lr->source_status));
    return src_err ? lr->source_status : EMO_EOF;
}

static int run(EmoAnalysis *a)
{
    EmoLoopReport lr;
    run_loop(a, &lr);
    int results_status = finalise(a);
    EmoAnalyzeReport *rep = a->rep;
    emo_video_stats(a->src, &rep->stats);
    if (a->pipe)
        emo_pipeline_times(a->pipe, &rep->t_face, &rep->t_emotion, &rep->t_motion, &rep->t_render, &rep->analysed);
    int err = conclude(a, &lr, results_status);
    rep->wall_s = emo_clock_now() - a->t0;
    return err;
}

static void analysis_close(EmoAnalysis *a)
{
    emo_results_close(&a->results.frames);
    emo_results_close(&a->results.events);
    if (a->video.wr)
        emo_video_writer_close(&a->video.wr);
    emo_pipeline_close(&a->pipe);
    emo_video_close(&a->src);
}

int emo_analyze_file(const EmoConfig *cfg, const char *source, const char *out_dir, const EmoAnalyzeOptions *o,
                     EmoAnalyzeReport *rep, const EmoLogger *lg)
{
    EmoAnalyzeOptions def;
    EmoAnalyzeReport own;
    if (!o) {
        emo_analyze_default_options(&def);
        o = &def;
    }
    if (!rep)
        rep = &own;
    memset(rep, 0, sizeof(*rep));
    if (!cfg || !source || !out_dir || o->n_sinks < 0 || o->n_sinks > EMO_LOOP_MAX_SINKS - 3 ||
        (o->n_sinks && !o->sinks)) {
        snprintf(rep->error, sizeof(rep->error), "emo_analyze_file: bad arguments");
        rep->failed_stage = EMO_ANALYZE_STAGE_SETTINGS;
        return EMO_EINVAL;
    }
    EmoAnalysis a = {
        .cfg = cfg, .source = source, .out_dir = out_dir, .o = o, .rep = rep, .lg = lg, .t0 = emo_clock_now(),
        .write_video = o->video && cfg->output.video, .write_results = o->results,
        .write_chart = o->chart && cfg->output.chart,
    };
    a.video.a = a.results.a = &a;
    if (o->models_dir)
        snprintf(a.models_dir, sizeof(a.models_dir), "%s", o->models_dir);
    else
        emo_models_dir(a.models_dir, sizeof(a.models_dir), cfg->general.models_dir, NULL);
    int err = prepare(&a);
    if (!err)
        err = open_input(&a);
    if (!err)
        err = open_analysis(&a);
    if (!err)
        err = open_files(&a);
    if (!err)
        err = run(&a);
    else
        rep->wall_s = emo_clock_now() - a.t0;
    analysis_close(&a);
    return err;
}
