/* The main job shared by `emoscope run` and `emoscope analyze`: set-up,
 * the frame loop (loop.c) with the job's sinks (sinks.c), tear-down. */
#define _POSIX_C_SOURCE 200809L
#include "job.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <emoscope/adapt.h>
#include <emoscope/io.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "viewer.h"

#include "loop.h"
#include "sinks.h"

void emo_job_tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

int emo_job_source_arg(EmoJob *job, const char *command, const char *what, const char *arg)
{
    if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "emoscope %s: unknown option '%s'\n", command, arg);
        emo_cli_usage(command);
        return EMO_EXIT_USAGE;
    }
    if (job->source) {
        fprintf(stderr, "emoscope %s: more than one %s ('%s')\n", command, what, arg);
        return EMO_EXIT_USAGE;
    }
    job->source = arg;
    return 0;
}

int emo_mkdirs(const char *dir)
{
    char buf[EMO_PATH_MAX];
    if (!dir || !dir[0] || snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
        errno = EINVAL;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
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

static int check_models(EmoCli *cli, const char *name)
{
    char path[EMO_PATH_MAX + 128];
    int bad = 0;
    for (const EmoModelFile *m = emo_model_files(); m->name; m++) {
        if (!model_needed(&cli->cfg, m))
            continue;
        EmoModelStatus st = emo_model_check(m, cli->models_dir, path, sizeof(path));
        if (st != EMO_MODEL_OK) {
            fprintf(stderr, "emoscope %s: model file %s: %s (run `make models`)\n", name, path,
                    emo_model_status_name(st));
            bad++;
        }
    }
    return bad;
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


/* Everything one run holds; job_close() releases it whatever happened. */
typedef struct Job {
    EmoCli *cli;
    const EmoJob *job;
    EmoJobReport *rep;
    char prefix[64];           /* "emoscope run" */
    Outputs out;
    double t0;
    EmoVideoSource *src;
    EmoVideoInfo info;
    EmoPipeline *pipe;
    EmoWriterSink video;
    EmoResultsSink results;
    EmoViewerSink view;
} Job;

/* Exit statuses are >= 0: this says "go on to the next step". */
#define GO_ON (-1)

static int needs_dir(const EmoJob *job)
{
    return job->write_video || job->write_results || job->write_chart || job->viewer;
}

/* The output folder and the model files. */
static int prepare(Job *j)
{
    const EmoJob *job = j->job;
    if (needs_dir(job) && emo_mkdirs(job->out_dir) != 0) {
        fprintf(stderr, "emoscope %s: cannot create output folder '%s': %s\n", job->name, job->out_dir,
                strerror(errno));
        return EMO_EXIT_FAIL;
    }
    output_paths(&j->out, job->out_dir);
    if (job->analyze && check_models(j->cli, job->name))
        return EMO_EXIT_NOMODEL;
    return GO_ON;
}

static int open_input(Job *j)
{
    EmoCli *cli = j->cli;
    const EmoJob *job = j->job;
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &cli->cfg.video)) {
        fprintf(stderr, "emoscope %s: a [video] setting has an unknown value\n", job->name);
        return EMO_EXIT_USAGE;
    }
    vs.source = job->source;
    vs.pix_fmt = EMO_PIX_BGRA; /* the overlay draws with Cairo into BGRA */
    vs.log = &cli->log;
    int err = emo_loop_open_source(&j->src, &vs, &cli->cfg.video, job->name);
    if (err == EMO_EINTR) {
        fprintf(stderr, "emoscope %s: interrupted before %s could be opened\n", job->name, job->source);
        return EMO_EXIT_INTERRUPTED;
    }
    if (err) {
        fprintf(stderr, "emoscope %s: cannot open %s: %s\n", job->name, job->source, emo_strerror(err));
        return EMO_EXIT_FAIL;
    }
    emo_video_info(j->src, &j->info);
    return GO_ON;
}

static int open_analysis(Job *j)
{
    EmoCli *cli = j->cli;
    const EmoJob *job = j->job;
    if (!job->analyze)
        return GO_ON;
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = &cli->cfg;
    ps.models_dir = cli->models_dir;
    ps.draw = cli->cfg.render.overlay;
    ps.keep_timeline = job->write_results || job->write_chart;
    ps.log = &cli->log;
    int err = emo_pipeline_open(&j->pipe, &ps);
    if (err) {
        fprintf(stderr, "emoscope %s: cannot load the analysis models: %s\n", job->name, emo_strerror(err));
        return err == EMO_ENOENT || err == EMO_EFORMAT ? EMO_EXIT_NOMODEL : EMO_EXIT_FAIL;
    }
    j->results.pipe = j->pipe;
    j->view.pipe = j->pipe;
    return GO_ON;
}

/* The annotated video and the result files. */
static int open_files(Job *j)
{
    EmoCli *cli = j->cli;
    const EmoJob *job = j->job;
    const Outputs *out = &j->out;
    int err;
    if (job->write_video && (err = emo_sink_open_writer(cli, &j->video.wr, &j->info, out->video))) {
        fprintf(stderr, "emoscope %s: cannot create %s: %s\n", job->name, out->video, emo_strerror(err));
        return EMO_EXIT_FAIL;
    }
    if (job->write_results && job->analyze) {
        const EmoOutputSettings *o = &cli->cfg.output;
        EmoResultsSink *r = &j->results;
        if (emo_results_open(&r->frames, o->jsonl ? out->jsonl : NULL, o->csv ? out->csv : NULL, &cli->log) ||
            emo_results_open(&r->events, o->jsonl ? out->ev_jsonl : NULL, o->csv ? out->ev_csv : NULL, &cli->log)) {
            fprintf(stderr, "emoscope %s: cannot create result files in %s\n", job->name, job->out_dir);
            return EMO_EXIT_FAIL;
        }
    }
    return GO_ON;
}

/* The window and the sound cues; a run goes on without either. */
static void open_viewer(Job *j)
{
    EmoCli *cli = j->cli;
    const EmoJob *job = j->job;
    EmoViewerSink *v = &j->view;
    v->pace = job->pace && !j->info.live;
    if (!job->viewer)
        return;
    EmoViewerSettings vws;
    emo_viewer_default_settings(&vws);
    emo_viewer_settings_from_config(&vws, &cli->cfg);
    snprintf(vws.output_dir, sizeof(vws.output_dir), "%s", job->out_dir);
    vws.logger = &cli->log;
    int err = emo_viewer_open(&v->viewer, &vws);
    if (err)
        fprintf(stderr, "emoscope %s: cannot open the window (%s); running headless\n", job->name, emo_strerror(err));
    EmoAudioCueSettings as;
    emo_audio_default_settings(&as);
    emo_audio_settings_from_config(&as, &cli->cfg);
    as.logger = &cli->log;
    if (emo_audio_open(&v->audio, &as))
        v->audio = NULL; /* already warned; the run goes on silently */
}

static void run_loop(Job *j, EmoLoopReport *lr)
{
    EmoLoopSink sinks[3];
    int n = 0;
    sinks[n++] = emo_results_sink(&j->results);
    sinks[n++] = emo_writer_sink(&j->video);
    if (j->job->viewer)
        sinks[n++] = emo_viewer_sink(&j->view);
    EmoLoopSettings ls = {
        .name = j->prefix, .src = j->src, .pipe = j->pipe, .sinks = sinks, .n_sinks = n, .catch_signals = 1,
        .stats_interval = j->cli->cfg.general.stats_interval, .t0 = j->t0,
    };
    emo_loop_run(&ls, lr);
    EmoJobReport *rep = j->rep;
    rep->frames = lr->frames;
    rep->events = lr->events;
    rep->first_pts = lr->first_pts;
    rep->last_pts = lr->last_pts;
}

/* Outputs are finalised whatever ended the run. Returns the results' status. */
static int finalise(Job *j)
{
    const EmoJob *job = j->job;
    EmoResultsSink *r = &j->results;
    j->rep->written = emo_writer_sink_close(&j->video);
    j->rep->records = emo_results_count(r->frames);
    int rerr = emo_results_close(&r->frames);
    int eerr = emo_results_close(&r->events);
    int status = r->status ? r->status : rerr ? rerr : eerr;
    if (j->pipe && job->write_results && !status)
        status = emo_pipeline_write_summary(j->pipe, j->out.summary, job->source);
    int err;
    if (j->pipe && job->write_chart && (err = emo_pipeline_write_timeline(j->pipe, j->out.png, j->out.svg, job->source)))
        fprintf(stderr, "emoscope %s: cannot write the timeline chart: %s\n", job->name, emo_strerror(err));
    return status;
}

static void print_figures(const Job *j, const EmoVideoStats *vst)
{
    const EmoJob *job = j->job;
    const EmoJobReport *rep = j->rep;
    const EmoVideoInfo *info = &j->info;
    printf("input: %s (%s, %s, %dx%d, %.3f fps)\n", job->source, info->container, info->codec, info->src_width,
           info->src_height, info->fps);
    printf("frames: %lld\n", (long long)rep->frames);
    printf("dropped: %lld\n", (long long)rep->dropped);
    if (info->live)
        printf("reconnects: %lld\n", (long long)vst->reconnects);
    /* Decoding and conversion run on two threads side by side: the slower
     * one bounds the capture rate. */
    double cap_s = vst->decode_seconds > vst->convert_seconds ? vst->decode_seconds : vst->convert_seconds;
    printf("decode_fps: %.1f (decode and conversion to %s, capture threads)\n",
           cap_s > 0 ? (double)vst->frames_decoded / cap_s : 0.0, emo_pixfmt_name(info->pix_fmt));
    if (job->write_video) {
        printf("encode_fps: %.1f\n", j->video.encode_s > 0 ? (double)rep->written / j->video.encode_s : 0.0);
        printf("video: %s (%lld frames)\n", j->out.video, (long long)rep->written);
    }
    if (j->pipe) {
        double tf, te, tm, tr;
        int64_t n;
        emo_pipeline_times(j->pipe, &tf, &te, &tm, &tr, &n);
        if (n > 0)
            printf("ms per frame: face %.2f, emotion %.2f, motion %.2f, overlay %.2f\n", 1e3 * tf / n,
                   1e3 * te / n, 1e3 * tm / n, 1e3 * tr / n);
        printf("records: %lld, events: %lld\n", (long long)rep->records, (long long)rep->events);
    }
    printf("wall: %.2f s (%.1f fps)\n", rep->wall_s, rep->wall_s > 0 ? rep->frames / rep->wall_s : 0.0);
    if (needs_dir(job))
        printf("outputs: %s\n", job->out_dir);
}

/* What ended the run, worst first. A live source (camera, stream) has no
 * natural end: unless max_frames ended it, its end means the stream stopped
 * or the camera went away (live_stopped). */
static int exit_status(const Job *j, const EmoLoopReport *lr, int results_status, int live_stopped)
{
    if (j->video.status || lr->frame_status || results_status)
        return EMO_EXIT_FAIL;
    if (lr->interrupted)
        return EMO_EXIT_INTERRUPTED;
    if (live_stopped)
        return lr->frames > 0 ? EMO_EXIT_PARTIAL : EMO_EXIT_FAIL;
    if (lr->stopped || lr->source_status == EMO_EOF)
        return EMO_EXIT_OK;
    return lr->frames > 0 ? EMO_EXIT_PARTIAL : EMO_EXIT_FAIL;
}

static void print_status(const Job *j, int status, int live_stopped, const char *src_err)
{
    const char *name = j->job->name;
    long long frames = (long long)j->rep->frames;
    if (src_err[0])
        fprintf(stderr, "emoscope %s: %s\n", name, src_err);
    if (live_stopped)
        fprintf(stderr, "emoscope %s: the live source %s stopped (stream ended or camera unplugged)%s\n", name,
                j->job->source, j->cli->cfg.video.reconnect ? "" : "; set video.reconnect=true to reconnect instead");
    if (status == EMO_EXIT_PARTIAL)
        fprintf(stderr, "emoscope %s: the input ended early; the results up to frame %lld are complete\n", name,
                frames);
    if (status == EMO_EXIT_INTERRUPTED)
        fprintf(stderr, "emoscope %s: interrupted; the results up to frame %lld are complete\n", name, frames);
    printf("status: %s\n", status == EMO_EXIT_OK            ? "ok"
                           : live_stopped                   ? "partial: the live source stopped"
                           : status == EMO_EXIT_PARTIAL     ? "partial: the input broke"
                           : status == EMO_EXIT_INTERRUPTED ? "interrupted"
                                                            : "failed");
}

/* The loop, the outputs finalised, the figures and the status printed. */
static int run_and_report(Job *j)
{
    EmoLoopReport lr;
    run_loop(j, &lr);
    int results_status = finalise(j);
    EmoVideoStats vst;
    emo_video_stats(j->src, &vst);
    j->rep->dropped = vst.frames_dropped;
    j->rep->wall_s = emo_clock_now() - j->t0;
    char src_err[512] = "";
    if (lr.source_status && lr.source_status != EMO_EOF)
        snprintf(src_err, sizeof(src_err), "%s", emo_video_error_message(j->src));
    print_figures(j, &vst);
    int64_t max_frames = j->cli->cfg.video.max_frames;
    int live_stopped = j->info.live && lr.source_status == EMO_EOF && !lr.stopped &&
                       !(max_frames > 0 && vst.frames_decoded >= max_frames);
    int status = exit_status(j, &lr, results_status, live_stopped);
    print_status(j, status, live_stopped, src_err);
    return status;
}

static void job_close(Job *j)
{
    emo_frame_unref(&j->view.shown);
    emo_audio_close(&j->view.audio);
    emo_viewer_close(&j->view.viewer);
    emo_results_close(&j->results.frames);
    emo_results_close(&j->results.events);
    if (j->video.wr)
        emo_video_writer_close(&j->video.wr);
    emo_pipeline_close(&j->pipe);
    emo_video_close(&j->src);
}

int emo_job_run(EmoCli *cli, const EmoJob *job, EmoJobReport *rep)
{
    memset(rep, 0, sizeof(*rep));
    emo_job_tune_malloc();
    Job j = { .cli = cli, .job = job, .rep = rep, .t0 = emo_clock_now() };
    snprintf(j.prefix, sizeof(j.prefix), "emoscope %s", job->name);
    j.video.name = j.results.name = job->name;
    j.view.cli = cli;
    j.view.out_dir = job->out_dir;
    j.view.info = &j.info;
    j.view.recorder = &j.video;
    /* A file over RLIMIT_FSIZE or a closed pipe must be a write error (EFBIG,
     * EPIPE) that ends the job cleanly, not a signal that kills it. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    int status = prepare(&j);
    if (status == GO_ON)
        status = open_input(&j);
    if (status == GO_ON)
        status = open_analysis(&j);
    if (status == GO_ON)
        status = open_files(&j);
    if (status == GO_ON) {
        open_viewer(&j);
        status = run_and_report(&j);
    }
    job_close(&j);
    return status;
}
