/* The main job shared by `emoscope run` and `emoscope analyze`. */
#define _POSIX_C_SOURCE 200809L
#include "job.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <emoscope/io.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "viewer.h"

/* The only state a signal handler touches. */
static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

/* SIGINT and SIGTERM set g_interrupted (cleared here) until restore_signals. */
static void catch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_interrupted = 0;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

static void restore_signals(const struct sigaction *old_int, const struct sigaction *old_term)
{
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
}

/* Opens the source. A live source (camera, stream) with video.reconnect on
 * is retried every reconnect_delay seconds until it opens or SIGINT/SIGTERM
 * arrives: a camera not plugged in yet or a stream server not started yet
 * is the same situation as one that went away during the run. Settings
 * errors are not retried. */
static int open_source(EmoVideoSource **src, const EmoVideoSourceSettings *vs, const EmoVideoSettings *cfg,
                       const char *name)
{
    int err = emo_video_open(src, vs);
    if (!err || !cfg->reconnect || !emo_video_settings_live(vs) || err == EMO_EINVAL || err == EMO_ENOMEM)
        return err;
    struct sigaction old_int, old_term;
    catch_signals(&old_int, &old_term);
    for (int64_t attempt = 1; err && !g_interrupted; attempt++) {
        fprintf(stderr, "emoscope %s: cannot open %s (%s); retrying in %g s (attempt %lld; Ctrl-C stops)\n", name,
                vs->source, emo_strerror(err), cfg->reconnect_delay, (long long)attempt);
        for (double w = 0; w < cfg->reconnect_delay && !g_interrupted; w += 0.05)
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        if (!g_interrupted)
            err = emo_video_open(src, vs);
    }
    restore_signals(&old_int, &old_term);
    if (err && g_interrupted)
        return EMO_EINTR;
    return err;
}

void emo_job_tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
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

static int open_writer(EmoCli *cli, EmoVideoWriter **wr, const EmoVideoInfo *info, const char *path)
{
    EmoVideoWriterSettings ws;
    emo_video_writer_default_settings(&ws);
    emo_video_writer_settings_from_config(&ws, &cli->cfg.output);
    ws.path = path;
    ws.width = info->width;
    ws.height = info->height;
    ws.pix_fmt = info->pix_fmt;
    ws.fps = info->fps > 0 ? info->fps : 30;
    if (!info->live) {
        ws.time_base_num = info->time_base_num;
        ws.time_base_den = info->time_base_den;
    }
    ws.log = &cli->log;
    return emo_video_writer_open(wr, &ws);
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* Where frames go once analysed and drawn: the encoder and the window. */
typedef struct Sink {
    const char *name;
    EmoVideoWriter **wr;
    EmoViewer *viewer;
    int pace;                  /* file frames shown at their time stamps */
    int64_t n;
    double pace_wall0, pace_pts0;
    double encode_s;
    int writer_status, frame_status;
    int failed;                /* stop the run; later frames are only released */
    EmoFrame *shown;           /* last frame shown, kept while paused */
} Sink;

/* Takes f: encodes it, shows it. 0, or -1 when the run must stop. */
static int sink(Sink *k, EmoFrame *f)
{
    if (k->failed) {
        emo_frame_unref(&f);
        return -1;
    }
    k->n++;
    if (*k->wr && !k->writer_status) {
        double te = emo_clock_now();
        k->writer_status = emo_video_writer_write(*k->wr, f);
        k->encode_s += emo_clock_now() - te;
        if (k->writer_status) {
            fprintf(stderr, "emoscope %s: writing the video failed: %s\n", k->name, emo_strerror(k->writer_status));
            emo_frame_unref(&f);
            k->failed = 1;
            return -1;
        }
    }
    if (k->viewer) {
        if (k->pace) {
            double wall = emo_clock_now();
            if (k->n == 1) {
                k->pace_wall0 = wall;
                k->pace_pts0 = f->pts;
            }
            sleep_s((f->pts - k->pace_pts0) - (wall - k->pace_wall0));
        }
        emo_viewer_present(k->viewer, f);
        emo_frame_unref(&k->shown);
        k->shown = f;
        return 0;
    }
    emo_frame_unref(&f);
    return 0;
}

/* Takes the oldest drawn frame from the pipeline (waiting up to timeout_s)
 * and sinks it. 0: one frame done; 1: none ready; -1: the run must stop. */
static int sink_drawn(Sink *k, EmoPipeline *pipe, EmoFrame **g, double timeout_s)
{
    int err = emo_pipeline_receive(pipe, g, timeout_s, NULL, NULL);
    if (err == EMO_EAGAIN)
        return 1;
    if (err) {
        if (!k->failed)
            fprintf(stderr, "emoscope %s: drawing the overlay failed: %s\n", k->name, emo_strerror(err));
        k->frame_status = err;
        k->failed = 1;
        emo_frame_unref(g);
        return -1;
    }
    return sink(k, *g) ? -1 : 0;
}

static int sink_drawn_ready(Sink *k, EmoPipeline *pipe, EmoFrame **g)
{
    return sink_drawn(k, pipe, g, 0);
}

int emo_job_run(EmoCli *cli, const EmoJob *job, EmoJobReport *rep)
{
    memset(rep, 0, sizeof(*rep));
    const char *name = job->name;
    emo_job_tune_malloc();
    double t0 = emo_clock_now();
    int status = EMO_EXIT_FAIL;
    EmoVideoSource *src = NULL;
    EmoVideoWriter *wr = NULL;
    EmoPipeline *pipe = NULL;
    EmoResultsWriter *res_w = NULL, *ev_w = NULL;
    EmoViewer *viewer = NULL;
    EmoAudio *audio = NULL;
    Outputs out;
    int source_status = 0, results_status = 0;
    int quit = 0, paused = 0, recording = 0, rec_count = 0;
    char rec_path[EMO_PATH_MAX + 64] = "";

    /* A file over RLIMIT_FSIZE or a closed pipe must be a write error (EFBIG,
     * EPIPE) that ends the job cleanly, not a signal that kills it. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    int need_dir = job->write_video || job->write_results || job->write_chart || job->viewer;
    if (need_dir && emo_mkdirs(job->out_dir) != 0) {
        fprintf(stderr, "emoscope %s: cannot create output folder '%s': %s\n", name, job->out_dir,
                strerror(errno));
        return EMO_EXIT_FAIL;
    }
    output_paths(&out, job->out_dir);
    if (job->analyze && check_models(cli, name))
        return EMO_EXIT_NOMODEL;

    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &cli->cfg.video)) {
        fprintf(stderr, "emoscope %s: a [video] setting has an unknown value\n", name);
        return EMO_EXIT_USAGE;
    }
    vs.source = job->source;
    vs.pix_fmt = EMO_PIX_BGRA; /* the overlay draws with Cairo into BGRA */
    vs.log = &cli->log;
    int err = open_source(&src, &vs, &cli->cfg.video, name);
    if (err == EMO_EINTR) {
        fprintf(stderr, "emoscope %s: interrupted before %s could be opened\n", name, job->source);
        return EMO_EXIT_INTERRUPTED;
    }
    if (err) {
        fprintf(stderr, "emoscope %s: cannot open %s: %s\n", name, job->source, emo_strerror(err));
        return EMO_EXIT_FAIL;
    }
    EmoVideoInfo info;
    emo_video_info(src, &info);

    if (job->analyze) {
        EmoPipelineSettings ps;
        emo_pipeline_default_settings(&ps);
        ps.cfg = &cli->cfg;
        ps.models_dir = cli->models_dir;
        ps.draw = cli->cfg.render.overlay;
        ps.keep_timeline = job->write_results || job->write_chart;
        ps.log = &cli->log;
        if ((err = emo_pipeline_open(&pipe, &ps))) {
            fprintf(stderr, "emoscope %s: cannot load the analysis models: %s\n", name, emo_strerror(err));
            status = err == EMO_ENOENT || err == EMO_EFORMAT ? EMO_EXIT_NOMODEL : EMO_EXIT_FAIL;
            goto done;
        }
    }
    if (job->write_video && (err = open_writer(cli, &wr, &info, out.video))) {
        fprintf(stderr, "emoscope %s: cannot create %s: %s\n", name, out.video, emo_strerror(err));
        goto done;
    }
    if (job->write_results && job->analyze) {
        const EmoOutputSettings *o = &cli->cfg.output;
        if ((err = emo_results_open(&res_w, o->jsonl ? out.jsonl : NULL, o->csv ? out.csv : NULL, &cli->log)) ||
            (err = emo_results_open(&ev_w, o->jsonl ? out.ev_jsonl : NULL, o->csv ? out.ev_csv : NULL, &cli->log))) {
            fprintf(stderr, "emoscope %s: cannot create result files in %s\n", name, job->out_dir);
            goto done;
        }
    }
    if (job->viewer) {
        EmoViewerSettings vws;
        emo_viewer_default_settings(&vws);
        emo_viewer_settings_from_config(&vws, &cli->cfg);
        snprintf(vws.output_dir, sizeof(vws.output_dir), "%s", job->out_dir);
        vws.logger = &cli->log;
        if ((err = emo_viewer_open(&viewer, &vws))) {
            fprintf(stderr, "emoscope %s: cannot open the window (%s); running headless\n", name,
                    emo_strerror(err));
        }
        EmoAudioCueSettings as;
        emo_audio_default_settings(&as);
        emo_audio_settings_from_config(&as, &cli->cfg);
        as.logger = &cli->log;
        if (emo_audio_open(&audio, &as))
            audio = NULL; /* already warned; the run goes on silently */
    }

    struct sigaction old_int, old_term;
    catch_signals(&old_int, &old_term);

    double fps_t0 = emo_clock_now();
    int64_t fps_frames = 0;
    double capture_fps = -1;
    const double stats_every = cli->cfg.general.stats_interval;
    double stats_t = emo_clock_now();
    int64_t stats_frames = 0;
    Sink sk = { .name = name, .wr = &wr, .viewer = viewer, .pace = job->pace && !info.live };
    while (!quit) {
        if (stats_every > 0 && emo_clock_now() - stats_t >= stats_every) {
            /* Progress for long and live runs (soak tests read it). */
            EmoVideoStats pst;
            emo_video_stats(src, &pst);
            double now = emo_clock_now();
            fprintf(stderr, "stats: t=%.1f s frames=%lld fps=%.1f dropped=%lld decode_errors=%lld reconnects=%lld\n",
                    now - t0, (long long)rep->frames, (double)(rep->frames - stats_frames) / (now - stats_t),
                    (long long)pst.frames_dropped, (long long)pst.decode_errors, (long long)pst.reconnects);
            stats_t = now;
            stats_frames = rep->frames;
        }
        if (g_interrupted) {
            emo_video_stop(src);
            break;
        }
        if (viewer) {
            EmoViewerAction acts[16];
            int n = emo_viewer_poll(viewer, acts, 16);
            for (int i = 0; i < n; i++) {
                switch (acts[i].type) {
                case EMO_VIEWER_QUIT: quit = 1; break;
                case EMO_VIEWER_PAUSE: paused = acts[i].value; break;
                case EMO_VIEWER_THRESHOLD_UP:
                case EMO_VIEWER_THRESHOLD_DOWN:
                    if (pipe) {
                        double thr = emo_pipeline_threshold(pipe);
                        thr += acts[i].type == EMO_VIEWER_THRESHOLD_UP ? 0.25 : -0.25;
                        emo_pipeline_set_threshold(pipe, thr < 0.25 ? 0.25 : thr);
                        emo_log(&cli->log, EMO_LOG_INFO, "micro-expression threshold %.2f",
                                emo_pipeline_threshold(pipe));
                    }
                    break;
                case EMO_VIEWER_SCREENSHOT:
                    if (acts[i].value == 0)
                        emo_log(&cli->log, EMO_LOG_INFO, "screenshot %s", acts[i].path);
                    break;
                case EMO_VIEWER_RECORD:
                    if (acts[i].value && !recording) {
                        snprintf(rec_path, sizeof(rec_path), "%s/recording-%d.mp4", job->out_dir, ++rec_count);
                        EmoVideoWriter *rw = NULL;
                        if (!wr && open_writer(cli, &rw, &info, rec_path) == 0) {
                            wr = rw;
                            recording = 1;
                            emo_log(&cli->log, EMO_LOG_INFO, "recording to %s", rec_path);
                        }
                    } else if (!acts[i].value && recording) {
                        emo_video_writer_close(&wr);
                        recording = 0;
                        emo_log(&cli->log, EMO_LOG_INFO, "recording saved: %s", rec_path);
                    }
                    break;
                default: break;
                }
            }
            if (pipe) {
                EmoViewerState st;
                emo_viewer_get_state(viewer, &st);
                emo_pipeline_set_view(pipe, st.show_mesh, st.show_model_bars, st.show_graph,
                                      st.paused ? "PAUSED" : st.recording || recording ? "REC" : NULL);
            }
            if (paused) {
                if (sk.shown)
                    emo_viewer_present(viewer, sk.shown);
                sleep_s(0.01);
                continue;
            }
        }
        EmoFrame *f = NULL;
        err = info.live ? emo_video_read_latest(src, &f, 0.2) : emo_video_read(src, &f, 0.2);
        if (err == EMO_ETIMEDOUT)
            continue;
        if (err) {
            source_status = err;
            break;
        }
        if (rep->frames == 0)
            rep->first_pts = f->pts;
        rep->last_pts = f->pts;
        rep->frames++;
        fps_frames++;
        double now = emo_clock_now();
        if (now - fps_t0 >= 1.0) {
            capture_fps = fps_frames / (now - fps_t0);
            fps_t0 = now;
            fps_frames = 0;
        }
        if (pipe) {
            /* Analysis here, overlay on the pipeline's draw thread: frame N is
             * drawn (and then encoded or shown below) while N+1 is analysed. */
            const EmoPipelineResult *res = NULL;
            int64_t index = f->index;
            while ((err = emo_pipeline_submit(pipe, &f, info.live ? capture_fps : info.fps, &res)) == EMO_EAGAIN) {
                EmoFrame *g = NULL;
                if (sink_drawn(&sk, pipe, &g, -1))
                    break;
            }
            if (err) {
                if (err != EMO_EAGAIN) {
                    fprintf(stderr, "emoscope %s: analysis of frame %lld failed: %s\n", name, (long long)index,
                            emo_strerror(err));
                    sk.frame_status = err;
                }
                emo_frame_unref(&f);
                break;
            }
            if ((res_w || ev_w) && !results_status) {
                results_status = emo_pipeline_write_records(pipe, res, res_w, ev_w);
                if (results_status) {
                    fprintf(stderr, "emoscope %s: writing results failed (%s); stopping\n", name,
                            emo_strerror(results_status));
                    break;
                }
            }
            rep->events += res->n_events;
            if (audio && res->n_faces > 0 && res->faces[0].emotion.dominant >= 0) {
                const EmoEmotionResult *er = &res->faces[0].emotion;
                emo_audio_update(audio, res->pts, er->dominant, er->smoothed[er->dominant]);
            }
            /* Frames already drawn go on now, without waiting. */
            EmoFrame *g = NULL;
            while (emo_pipeline_pending(pipe) > 0 && !sink_drawn_ready(&sk, pipe, &g))
                ;
            if (sk.failed)
                break;
            continue;
        }
        if (sink(&sk, f))
            break;
    }
    /* The frames still being drawn. */
    while (pipe && emo_pipeline_pending(pipe) > 0) {
        EmoFrame *g = NULL;
        if (sink_drawn(&sk, pipe, &g, -1) > 0)
            break;
    }
    emo_frame_unref(&sk.shown);
    if (pipe) {
        const EmoPipelineResult *res = NULL;
        emo_pipeline_finish(pipe, &res);
        rep->events += res->n_events;
        if (ev_w && !results_status)
            results_status = emo_pipeline_write_records(pipe, res, NULL, ev_w);
    }
    int interrupted = g_interrupted;
    restore_signals(&old_int, &old_term);

    /* Everything below runs whatever happened above: outputs are finalised. */
    if (wr) {
        rep->written = emo_video_writer_frames(wr);
        double te = emo_clock_now();
        int cerr = emo_video_writer_close(&wr);
        sk.encode_s += emo_clock_now() - te;
        if (!sk.writer_status)
            sk.writer_status = cerr;
    }
    rep->records = emo_results_count(res_w);
    int rerr = emo_results_close(&res_w);
    int eerr = emo_results_close(&ev_w);
    if (!results_status)
        results_status = rerr ? rerr : eerr;
    if (pipe && job->write_results && !results_status)
        results_status = emo_pipeline_write_summary(pipe, out.summary, job->source);
    if (pipe && job->write_chart)
        if ((err = emo_pipeline_write_timeline(pipe, out.png, out.svg, job->source)))
            fprintf(stderr, "emoscope %s: cannot write the timeline chart: %s\n", name, emo_strerror(err));

    EmoVideoStats vst;
    emo_video_stats(src, &vst);
    rep->dropped = vst.frames_dropped;
    rep->wall_s = emo_clock_now() - t0;
    char src_err[512] = "";
    if (source_status && source_status != EMO_EOF)
        snprintf(src_err, sizeof(src_err), "%s", emo_video_error_message(src));

    printf("input: %s (%s, %s, %dx%d, %.3f fps)\n", job->source, info.container, info.codec, info.src_width,
           info.src_height, info.fps);
    printf("frames: %lld\n", (long long)rep->frames);
    printf("dropped: %lld\n", (long long)rep->dropped);
    if (info.live)
        printf("reconnects: %lld\n", (long long)vst.reconnects);
    /* Decoding and conversion run on two threads side by side: the slower
     * one bounds the capture rate. */
    double cap_s = vst.decode_seconds > vst.convert_seconds ? vst.decode_seconds : vst.convert_seconds;
    printf("decode_fps: %.1f (decode and conversion to %s, capture threads)\n",
           cap_s > 0 ? (double)vst.frames_decoded / cap_s : 0.0, emo_pixfmt_name(info.pix_fmt));
    if (job->write_video) {
        printf("encode_fps: %.1f\n", sk.encode_s > 0 ? (double)rep->written / sk.encode_s : 0.0);
        printf("video: %s (%lld frames)\n", out.video, (long long)rep->written);
    }
    if (pipe) {
        double tf, te, tm, tr;
        int64_t n;
        emo_pipeline_times(pipe, &tf, &te, &tm, &tr, &n);
        if (n > 0)
            printf("ms per frame: face %.2f, emotion %.2f, motion %.2f, overlay %.2f\n", 1e3 * tf / n,
                   1e3 * te / n, 1e3 * tm / n, 1e3 * tr / n);
        printf("records: %lld, events: %lld\n", (long long)rep->records, (long long)rep->events);
    }
    printf("wall: %.2f s (%.1f fps)\n", rep->wall_s, rep->wall_s > 0 ? rep->frames / rep->wall_s : 0.0);
    if (need_dir)
        printf("outputs: %s\n", job->out_dir);

    /* A live source (camera, stream) has no natural end: unless max_frames
     * ended it, its end means the stream stopped or the camera went away. */
    int live_stopped = info.live && source_status == EMO_EOF && !quit &&
                       !(cli->cfg.video.max_frames > 0 && vst.frames_decoded >= cli->cfg.video.max_frames);
    if (sk.writer_status || sk.frame_status || results_status)
        status = EMO_EXIT_FAIL;
    else if (interrupted)
        status = EMO_EXIT_INTERRUPTED;
    else if (live_stopped)
        status = rep->frames > 0 ? EMO_EXIT_PARTIAL : EMO_EXIT_FAIL;
    else if (quit || source_status == EMO_EOF)
        status = EMO_EXIT_OK;
    else
        status = rep->frames > 0 ? EMO_EXIT_PARTIAL : EMO_EXIT_FAIL;
    if (src_err[0])
        fprintf(stderr, "emoscope %s: %s\n", name, src_err);
    if (live_stopped)
        fprintf(stderr, "emoscope %s: the live source %s stopped (stream ended or camera unplugged)%s\n", name,
                job->source, cli->cfg.video.reconnect ? "" : "; set video.reconnect=true to reconnect instead");
    if (status == EMO_EXIT_PARTIAL)
        fprintf(stderr, "emoscope %s: the input ended early; the results up to frame %lld are complete\n", name,
                (long long)rep->frames);
    if (status == EMO_EXIT_INTERRUPTED)
        fprintf(stderr, "emoscope %s: interrupted; the results up to frame %lld are complete\n", name,
                (long long)rep->frames);
    printf("status: %s\n", status == EMO_EXIT_OK            ? "ok"
                           : live_stopped                   ? "partial: the live source stopped"
                           : status == EMO_EXIT_PARTIAL     ? "partial: the input broke"
                           : status == EMO_EXIT_INTERRUPTED ? "interrupted"
                                                            : "failed");
done:
    emo_audio_close(&audio);
    emo_viewer_close(&viewer);
    emo_results_close(&res_w);
    emo_results_close(&ev_w);
    if (wr)
        emo_video_writer_close(&wr);
    emo_pipeline_close(&pipe);
    emo_video_close(&src);
    return status;
}
