/* The main job shared by `emoscope run` and `emoscope analyze`: the
 * library's analysis of a source into a folder (analyze.h), with the window
 * as an extra sink, Ctrl-C wired to its stop flag, and the figures and
 * status printed. */
#define _POSIX_C_SOURCE 200809L
#include "job.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <emoscope/analyze.h>
#include <emoscope/video.h>

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

static int needs_dir(const EmoJob *job)
{
    return job->write_video || job->write_results || job->write_chart || job->viewer;
}

static void print_figures(const EmoJob *job, const EmoAnalyzeReport *rep)
{
    const EmoVideoInfo *info = &rep->info;
    const EmoVideoStats *vst = &rep->stats;
    printf("input: %s (%s, %s, %dx%d, %.3f fps)\n", job->source, info->container, info->codec, info->src_width,
           info->src_height, info->fps);
    printf("frames: %lld\n", (long long)rep->frames);
    printf("dropped: %lld\n", (long long)vst->frames_dropped);
    if (info->live)
        printf("reconnects: %lld\n", (long long)vst->reconnects);
    /* Decoding and conversion run on two threads side by side: the slower
     * one bounds the capture rate. */
    double cap_s = vst->decode_seconds > vst->convert_seconds ? vst->decode_seconds : vst->convert_seconds;
    printf("decode_fps: %.1f (decode and conversion to %s, capture threads)\n",
           cap_s > 0 ? (double)vst->frames_decoded / cap_s : 0.0, emo_pixfmt_name(info->pix_fmt));
    if (job->write_video) {
        printf("encode_fps: %.1f\n", rep->encode_s > 0 ? (double)rep->written / rep->encode_s : 0.0);
        printf("video: %s/annotated.mp4 (%lld frames)\n", job->out_dir, (long long)rep->written);
    }
    if (job->analyze) {
        int64_t n = rep->analysed;
        if (n > 0)
            printf("ms per frame: face %.2f, emotion %.2f, motion %.2f, overlay %.2f\n", 1e3 * rep->t_face / n,
                   1e3 * rep->t_emotion / n, 1e3 * rep->t_motion / n, 1e3 * rep->t_render / n);
        printf("records: %lld, events: %lld\n", (long long)rep->records, (long long)rep->events);
    }
    printf("wall: %.2f s (%.1f fps)\n", rep->wall_s, rep->wall_s > 0 ? rep->frames / rep->wall_s : 0.0);
    if (needs_dir(job))
        printf("outputs: %s\n", job->out_dir);
}

/* The exit status of what ended the run (cli.h). */
static int exit_status(int err, const EmoAnalyzeReport *rep)
{
    if (err == EMO_EINTR)
        return EMO_EXIT_INTERRUPTED;
    switch (rep->end) {
    case EMO_ANALYZE_COMPLETE: return EMO_EXIT_OK;
    case EMO_ANALYZE_PARTIAL: return EMO_EXIT_PARTIAL;
    case EMO_ANALYZE_INTERRUPTED: return EMO_EXIT_INTERRUPTED;
    case EMO_ANALYZE_FAILED: return EMO_EXIT_FAIL;
    default: break;
    }
    switch (rep->failed_stage) {
    case EMO_ANALYZE_STAGE_MODELS: return EMO_EXIT_NOMODEL;
    case EMO_ANALYZE_STAGE_SETTINGS: return EMO_EXIT_USAGE;
    default: return EMO_EXIT_FAIL;
    }
}

static void print_status(const EmoJob *job, const EmoCli *cli, const EmoAnalyzeReport *rep, int status)
{
    const char *name = job->name, *src_err = rep->source_error;
    int live_stopped = rep->live_stopped;
    long long frames = (long long)rep->frames;
    if (src_err[0])
        fprintf(stderr, "emoscope %s: %s\n", name, src_err);
    if (live_stopped)
        fprintf(stderr, "emoscope %s: the live source %s stopped (stream ended or camera unplugged)%s\n", name,
                job->source, cli->cfg.video.reconnect ? "" : "; set video.reconnect=true to reconnect instead");
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

/* Ctrl-C and SIGTERM end the run cleanly through the analysis' stop flag. */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int emo_job_run(EmoCli *cli, const EmoJob *job, EmoJobReport *rep)
{
    memset(rep, 0, sizeof(*rep));
    emo_job_tune_malloc();
    /* A file over RLIMIT_FSIZE or a closed pipe must be a write error (EFBIG,
     * EPIPE) that ends the job cleanly, not a signal that kills it. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    EmoAnalyzeOptions o;
    emo_analyze_default_options(&o);
    o.analyze = job->analyze;
    o.results = job->write_results;
    o.video = job->write_video;
    o.chart = job->write_chart;
    o.models_dir = cli->models_dir;
    o.stop = &g_stop;
    EmoViewerSink view = { .cli = cli, .out_dir = job->out_dir, .want_pace = job->pace };
    EmoLoopSink vsink = emo_viewer_sink(&view);
    if (job->viewer) {
        o.sinks = &vsink;
        o.n_sinks = 1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    EmoAnalyzeReport ar;
    int err = emo_analyze_file(&cli->cfg, job->source, job->out_dir, &o, &ar, &cli->log);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    emo_viewer_sink_close(&view);
    rep->frames = ar.frames;
    rep->written = ar.written;
    rep->records = ar.records;
    rep->events = ar.events;
    rep->dropped = ar.stats.frames_dropped;
    rep->first_pts = ar.first_pts;
    rep->last_pts = ar.last_pts;
    rep->wall_s = ar.wall_s;
    int status = exit_status(err, &ar);
    if (ar.end != EMO_ANALYZE_NOT_RUN) {
        print_figures(job, &ar);
        print_status(job, cli, &ar, status);
    }
    return status;
}
