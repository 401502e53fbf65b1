/* bench --stage pipeline (the default stage): the whole pipeline on a
 * 1920x1080 60 fps clip with every frame analysed, as `emoscope run` and
 * `analyze` run it: capture thread(s) decoding and converting to BGRA ->
 * analysis (tracking + detection, mesh, the emotion ensemble, flow and
 * micro-expressions) on this thread -> overlay drawn into the frame on the
 * pipeline's draw thread. No window, no encoding, no result files.
 *
 * Per run: frames per second, per-stage median and p99 ms, latency from the
 * decoded frame (EmoFrame.t_capture) to its results and to its drawn frame,
 * CPU use (getrusage user + sys over wall), CPU per frame of the analysis
 * (its own thread and its pool's workers) and of the draw thread, and peak
 * RSS; for 1 and 2 analysis workers (general.workers: faces analysed in
 * parallel) with 1 XNNPACK thread each (general.threads), for one face and for four faces (a
 * clip of four sample clips tiled 2x2, made with the ffmpeg program when
 * absent), and a paced run at the clip's 60 fps (the camera case). --frames
 * N > 600 loops the clip: the memory soak (RSS after warm-up vs at the end). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "bench.h"
#include "job.h"

#define MAX_RUNS 40
#define WARMUP_FRAMES 1000 /* soak: RSS is taken as the baseline after this many frames (or a tenth of a shorter run) */

typedef struct Stats {
    double median, p99, max;
} Stats;

typedef struct Run {
    const char *clip_name;  /* "1 face", "4 faces" */
    int threads;
    int workers;
    double pace_fps;        /* 0: as fast as possible */
    int64_t frames;
    double seconds, fps, cpu;
    double faces_per_frame;
    int64_t detector_runs;
    Stats face, emotion, motion, analysis, render, latency, latency_drawn, cpu_analysis, cpu_render;
    Stats cpu_thread, cpu_workers; /* cpu_analysis split: the analysing thread, the pool's threads */
    double capture_ms;      /* capture threads' busy time per frame (decode + conversion) */
    long rss_start_kb, rss_warm_kb, rss_end_kb, maxrss_kb, maxrss_warm_kb;
    double load;
    int cut_short;          /* stopped at --max-seconds */
    int64_t warmup;         /* frames before the soak's RSS baseline */
    long rss_series_kb[20]; /* RSS at every 20th of the run */
    int n_series;
} Run;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and 99th percentile (nearest rank) of n values, in milliseconds. */
static Stats stats_ms(double *v, int64_t n)
{
    Stats s = { 0, 0, 0 };
    if (n <= 0)
        return s;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    int64_t i99 = (int64_t)ceil(0.99 * (double)n) - 1;
    s.median = 1e3 * (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
    s.p99 = 1e3 * v[i99 < 0 ? 0 : i99];
    s.max = 1e3 * v[n - 1];
    return s;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* Peak resident set (kB) since the last peak_reset(): VmHWM of
 * /proc/self/status; getrusage's ru_maxrss (the whole process's life, so
 * earlier runs of this bench included) where /proc cannot be read. */
static long maxrss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long hwm = 0;
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "VmHWM: %ld kB", &hwm) == 1)
                break;
        fclose(f);
    }
    if (hwm > 0)
        return hwm;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Starts a new peak-RSS measurement: "5" in /proc/self/clear_refs resets
 * VmHWM to the current RSS (Linux >= 4.0), so each run's peak is its own,
 * not that of an earlier run in this process. */
static void peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* Resident set now (kB), from /proc/self/statm; 0 when unknown. */
static long rss_now_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = 0;
    fclose(f);
    return res * 4; /* pages of 4 kB */
}

static double load_average(void)
{
    double load = 0;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &load) != 1)
            load = 0;
        fclose(la);
    }
    return load;
}

static void sleep_until(double t)
{
    double d = t - emo_clock_now();
    if (d <= 0)
        return;
    struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
    nanosleep(&ts, NULL);
}

/* The 2x2 four-face clip: four sample clips (two of them started later, so
 * that no two tiles show the same frame) scaled into 960x540 tiles, 60 fps,
 * 10 s, H.264. The ffmpeg program is used for bench data only. */
static int make_four_clip(EmoCli *cli, const char *out)
{
    char a[EMO_PATH_MAX + 32], b[EMO_PATH_MAX + 32], tmp[EMO_PATH_MAX + 16], cmd[6 * EMO_PATH_MAX + 1024];
    snprintf(a, sizeof(a), "%s/video/d6.mp4", cli->data_dir);
    snprintf(b, sizeof(b), "%s/video/d0.mp4", cli->data_dir);
    if (snprintf(tmp, sizeof(tmp), "%s.part.mp4", out) >= (int)sizeof(tmp))
        return EMO_EINVAL;
    printf("making %s from %s and %s (2x2 tiles, 1920x1080, 60 fps, 10 s, H.264; ffmpeg program)...\n", out, a, b);
    fflush(stdout);
    static const char *const tile = "scale=960:540:force_original_aspect_ratio=decrease,"
                                    "pad=960:540:(ow-iw)/2:(oh-ih)/2,fps=60,setsar=1";
    int len = snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -hide_banner -v error -y "
             "-stream_loop -1 -i '%s' -stream_loop -1 -i '%s' -stream_loop -1 -ss 12 -i '%s' "
             "-stream_loop -1 -ss 1.5 -i '%s' -filter_complex "
             "\"[0:v]%s[a];[1:v]%s[b];[2:v]%s[c];[3:v]%s[d];[a][b][c][d]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0[v]\" "
             "-map '[v]' -t 10 -r 60 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -an -f mp4 '%s'",
             a, b, a, b, tile, tile, tile, tile, tmp);
    if (len < 0 || len >= (int)sizeof(cmd))
        return EMO_EINVAL;
    int st = system(cmd);
    if (st != 0) {
        fprintf(stderr, "bench pipeline: `%s` failed (status %d)\n", cmd, st);
        remove(tmp);
        return EMO_EIO;
    }
    if (rename(tmp, out) != 0) {
        remove(tmp);
        return EMO_EIO;
    }
    return 0;
}

static int ensure_clip(EmoCli *cli, int four, char *clip, size_t n)
{
    struct stat sb;
    snprintf(clip, n, "%s/video/%s", cli->data_dir, four ? "bench_4faces_1080p60.mp4" : "bench_1080p60.mp4");
    if (stat(clip, &sb) == 0)
        return 0;
    if (four)
        return make_four_clip(cli, clip);
    char sample[EMO_PATH_MAX];
    emo_cli_sample_clip(cli, sample, sizeof(sample));
    return emo_bench_make_clip(cli, sample, clip);
}

/* Per-frame samples, preallocated for the whole run. */
typedef struct Samples {
    double *face, *emotion, *motion, *analysis, *render, *latency, *latency_drawn, *cpu_analysis, *cpu_render;
    double *cpu_thread, *cpu_workers;
    double *t_origin;       /* per in-flight frame: when its latency starts (ring) */
    int64_t n, n_render, cap;
} Samples;

#define RING 64

static void samples_free(Samples *s)
{
    free(s->face);
    free(s->emotion);
    free(s->motion);
    free(s->analysis);
    free(s->render);
    free(s->latency);
    free(s->latency_drawn);
    free(s->cpu_analysis);
    free(s->cpu_render);
    free(s->cpu_thread);
    free(s->cpu_workers);
    free(s->t_origin);
    memset(s, 0, sizeof(*s));
}

static int samples_alloc(Samples *s, int64_t cap)
{
    memset(s, 0, sizeof(*s));
    size_t c = (size_t)cap;
    s->cap = cap;
    s->face = calloc(c, sizeof(double));
    s->emotion = calloc(c, sizeof(double));
    s->motion = calloc(c, sizeof(double));
    s->analysis = calloc(c, sizeof(double));
    s->render = calloc(c, sizeof(double));
    s->latency = calloc(c, sizeof(double));
    s->latency_drawn = calloc(c, sizeof(double));
    s->cpu_analysis = calloc(c, sizeof(double));
    s->cpu_render = calloc(c, sizeof(double));
    s->cpu_thread = calloc(c, sizeof(double));
    s->cpu_workers = calloc(c, sizeof(double));
    s->t_origin = calloc(RING, sizeof(double));
    if (!s->face || !s->emotion || !s->motion || !s->analysis || !s->render || !s->latency || !s->latency_drawn ||
        !s->cpu_analysis || !s->cpu_render || !s->cpu_thread || !s->cpu_workers || !s->t_origin) {
        samples_free(s);
        return EMO_ENOMEM;
    }
    return 0;
}

/* A drawn frame came back: its overlay time and its latency to the drawn frame. */
static void take_drawn(Samples *s, EmoFrame **g, double t_render, double cpu_render)
{
    if (s->n_render < s->cap) {
        s->render[s->n_render] = t_render;
        s->cpu_render[s->n_render] = cpu_render;
        s->latency_drawn[s->n_render] = emo_clock_now() - s->t_origin[(*g)->index % RING];
        s->n_render++;
    }
    emo_frame_unref(g);
}

static int run_one(EmoCli *cli, const char *clip, int threads, int workers, int64_t frames, double pace_fps,
                   double max_s, Run *r)
{
    EmoConfig cfg = cli->cfg;
    cfg.general.threads = threads;
    cfg.general.workers = workers;
    cfg.emotion.interval = 0; /* every frame analysed */
    Samples sm;
    int64_t cap = frames > 0 ? frames : 600;
    if (samples_alloc(&sm, cap + 8))
        return EMO_ENOMEM;

    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &cfg.video)) {
        samples_free(&sm);
        return EMO_EINVAL;
    }
    vs.source = clip;
    vs.pix_fmt = EMO_PIX_BGRA; /* what run and analyze ask for: the overlay draws into BGRA */
    vs.live = EMO_VIDEO_LIVE_NO;
    vs.max_frames = frames;
    vs.loop = frames > 0; /* --frames N: exactly N frames, the clip looped when shorter */
    vs.log = &cli->log;
    /* One frame queued between capture and analysis: a decoded frame waits for at
     * most the analysis in progress (a file source otherwise fills the queue and
     * the latency measures the queue's length). Two decoder threads: one per core. */
    vs.queue_size = 1;
    if (vs.decode_threads == 0)
        vs.decode_threads = 2;

    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = &cfg;
    ps.models_dir = cli->models_dir;
    ps.draw = 1;
    ps.keep_timeline = 0; /* no result files, no chart */
    ps.log = &cli->log;
    EmoPipeline *pipe = NULL;
    EmoVideoSource *src = NULL;
    int err = emo_pipeline_open(&pipe, &ps);
    if (err) {
        fprintf(stderr, "bench pipeline: cannot load the models from %s: %s\n", cli->models_dir, emo_strerror(err));
        samples_free(&sm);
        return err;
    }
    peak_reset();
    r->rss_start_kb = rss_now_kb();
    r->warmup = cap / 10 < WARMUP_FRAMES ? (cap / 10 > 0 ? cap / 10 : 1) : WARMUP_FRAMES;
    if ((err = emo_video_open(&src, &vs))) {
        fprintf(stderr, "bench pipeline: cannot open %s: %s\n", clip, emo_strerror(err));
        emo_pipeline_close(&pipe);
        samples_free(&sm);
        return err;
    }
    EmoVideoInfo info;
    emo_video_info(src, &info);

    double t0 = emo_clock_now(), c0 = cpu_seconds(), pts0 = 0;
    int64_t n_faces = 0;
    r->detector_runs = 0;
    EmoFrame *f = NULL, *g = NULL;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        double origin = f->t_capture;
        if (pace_fps > 0) {
            /* A camera delivers frame k at k / fps: it is not analysed before then, and
             * its latency starts then (or when decoded, whichever is later). */
            if (sm.n == 0) {
                t0 = emo_clock_now();
                pts0 = f->pts;
            }
            double due = t0 + (f->pts - pts0);
            /* Until then, the frames being drawn come back as soon as they are done. */
            double now;
            while (emo_pipeline_pending(pipe) > 0 && (now = emo_clock_now()) < due) {
                double tr = 0, cr = 0;
                if (emo_pipeline_receive(pipe, &g, due - now, &tr, &cr) == 0)
                    take_drawn(&sm, &g, tr, cr);
                emo_frame_unref(&g);
            }
            sleep_until(due);
            if (due > origin)
                origin = due;
        }
        sm.t_origin[f->index % RING] = origin;
        const EmoPipelineResult *res = NULL;
        double ta = emo_clock_now();
        while ((err = emo_pipeline_submit(pipe, &f, info.fps, &res)) == EMO_EAGAIN) {
            double tr = 0, cr = 0;
            if ((err = emo_pipeline_receive(pipe, &g, -1, &tr, &cr)) != 0)
                break;
            take_drawn(&sm, &g, tr, cr);
        }
        double tb = emo_clock_now();
        if (err) {
            fprintf(stderr, "bench pipeline: frame %lld: %s\n", (long long)sm.n, emo_strerror(err));
            emo_frame_unref(&f);
            emo_frame_unref(&g);
            break;
        }
        if (sm.n < sm.cap) {
            sm.face[sm.n] = res->t_face;
            sm.emotion[sm.n] = res->t_emotion;
            sm.motion[sm.n] = res->t_motion;
            sm.analysis[sm.n] = res->t_analysis;
            sm.latency[sm.n] = tb - origin;
            sm.cpu_analysis[sm.n] = res->cpu_analysis;
            sm.cpu_thread[sm.n] = res->cpu_analysis - res->cpu_workers;
            sm.cpu_workers[sm.n] = res->cpu_workers;
            r->workers = res->workers;
            sm.n++;
        }
        (void)ta;
        n_faces += res->n_faces;
        r->detector_runs += res->detector_ran != 0;
        double tr = 0, cr = 0;
        while (emo_pipeline_receive(pipe, &g, 0, &tr, &cr) == 0)
            take_drawn(&sm, &g, tr, cr);
        if (sm.n == r->warmup) {
            r->rss_warm_kb = rss_now_kb();
            r->maxrss_warm_kb = maxrss_kb();
        }
        if (cap >= 20 && sm.n % (cap / 20) == 0 && r->n_series < 20)
            r->rss_series_kb[r->n_series++] = rss_now_kb();
        if (max_s > 0 && emo_clock_now() - t0 > max_s) {
            r->cut_short = 1; /* a loaded machine: the figures so far stand */
            break;
        }
    }
    if (err == EMO_EOF)
        err = 0;
    while (!err && emo_pipeline_pending(pipe) > 0) {
        double tr = 0, cr = 0;
        if ((err = emo_pipeline_receive(pipe, &g, -1, &tr, &cr)) != 0)
            break;
        take_drawn(&sm, &g, tr, cr);
    }
    emo_frame_unref(&g);
    double t1 = emo_clock_now(), c1 = cpu_seconds();
    r->rss_end_kb = rss_now_kb();
    r->maxrss_kb = maxrss_kb();
    r->load = load_average();
    EmoVideoStats vst;
    emo_video_stats(src, &vst);
    r->capture_ms = vst.frames_decoded > 0 ? 1e3 * (vst.decode_seconds + vst.convert_seconds) / vst.frames_decoded : 0;
    emo_video_close(&src);
    emo_pipeline_close(&pipe);

    r->threads = threads;
    r->pace_fps = pace_fps;
    r->frames = sm.n;
    r->seconds = t1 - t0;
    r->fps = r->seconds > 0 ? (double)sm.n / r->seconds : 0;
    r->cpu = r->seconds > 0 ? (c1 - c0) / r->seconds : 0;
    r->faces_per_frame = sm.n ? (double)n_faces / (double)sm.n : 0;
    r->face = stats_ms(sm.face, sm.n);
    r->emotion = stats_ms(sm.emotion, sm.n);
    r->motion = stats_ms(sm.motion, sm.n);
    r->analysis = stats_ms(sm.analysis, sm.n);
    r->render = stats_ms(sm.render, sm.n_render);
    r->latency = stats_ms(sm.latency, sm.n);
    r->latency_drawn = stats_ms(sm.latency_drawn, sm.n_render);
    r->cpu_analysis = stats_ms(sm.cpu_analysis, sm.n);
    r->cpu_render = stats_ms(sm.cpu_render, sm.n_render);
    r->cpu_thread = stats_ms(sm.cpu_thread, sm.n);
    r->cpu_workers = stats_ms(sm.cpu_workers, sm.n);
    samples_free(&sm);
    if (!err && r->frames == 0)
        err = EMO_EFORMAT;
    return err;
}

static void print_run(const Run *r, int soak)
{
    char mode[64];
    if (r->pace_fps > 0)
        snprintf(mode, sizeof(mode), "paced %.0f fps", r->pace_fps);
    else
        snprintf(mode, sizeof(mode), "as fast as possible");
    printf("\n%s, %d analysis worker%s (%d XNNPACK thread%s each), %s: %lld frames in %.2f s (load average %.1f)\n",
           r->clip_name, r->workers, r->workers > 1 ? "s" : "", r->threads, r->threads > 1 ? "s" : "", mode,
           (long long)r->frames, r->seconds, r->load);
    if (r->cut_short)
        printf("  (stopped after --max-seconds: the machine is too slow or too loaded for the whole clip)\n");
    printf("  fps %.1f   cpu %.2f cores   peak rss %.1f MB   faces/frame %.2f   detector runs %lld\n", r->fps, r->cpu,
           r->maxrss_kb / 1024.0, r->faces_per_frame, (long long)r->detector_runs);
    printf("  %-28s %8s %8s %8s\n", "ms", "median", "p99", "max");
    const struct {
        const char *name;
        const Stats *s;
    } rows[] = {
        { "face (track, detect, mesh)", &r->face }, { "emotion (align, ensemble)", &r->emotion },
        { "motion (align, flow, events)", &r->motion }, { "analysis (wall, whole frame)", &r->analysis },
        { "overlay (draw thread)", &r->render },       { "latency: decoded -> results", &r->latency },
        { "latency: decoded -> drawn", &r->latency_drawn },
        { "cpu: analysis, all workers", &r->cpu_analysis }, { "cpu:   analysing thread", &r->cpu_thread },
        { "cpu:   pool threads", &r->cpu_workers },     { "cpu: draw thread", &r->cpu_render },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("  %-28s %8.2f %8.2f %8.2f\n", rows[i].name, rows[i].s->median, rows[i].s->p99, rows[i].s->max);
    printf("  capture threads busy %.2f ms per frame (decode + conversion to BGRA)\n", r->capture_ms);
    if (soak && r->maxrss_warm_kb == 0)
        printf("  peak rss: the run ended before its %lld frames of warm-up\n", (long long)r->warmup);
    else if (soak)
        printf("  peak rss: %.1f MB after %lld frames of warm-up, %.1f MB at the end: growth %+.2f MB\n"
               "  rss now: %.1f MB at start, %.1f MB after warm-up, %.1f MB at the end (%+.2f MB)\n",
               r->maxrss_warm_kb / 1024.0, (long long)r->warmup, r->maxrss_kb / 1024.0,
               (r->maxrss_kb - r->maxrss_warm_kb) / 1024.0, r->rss_start_kb / 1024.0, r->rss_warm_kb / 1024.0,
               r->rss_end_kb / 1024.0, (r->rss_end_kb - r->rss_warm_kb) / 1024.0);
    if (soak && r->frames > 600 && r->n_series > 1) {
        printf("  rss every %lld frames (MB):", (long long)(r->frames / 20 > 0 ? r->frames / 20 : 1));
        for (int i = 0; i < r->n_series; i++)
            printf(" %.1f", r->rss_series_kb[i] / 1024.0);
        printf("\n");
    }
}

static void json_stats(const char *name, const Stats *s)
{
    printf("\"%s\":{\"median_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f}", name, s->median, s->p99, s->max);
}

static void print_json(const Run *r, int soak)
{
    printf("{\"stage\":\"pipeline\",\"clip\":\"%s\",\"workers\":%d,\"threads\":%d,\"pace_fps\":%.1f,\"frames\":%lld,\"seconds\":%.4f,"
           "\"fps\":%.2f,\"cpu_cores\":%.3f,\"peak_rss_mb\":%.2f,\"faces_per_frame\":%.3f,\"detector_runs\":%lld,"
           "\"load_average\":%.2f,\"cut_short\":%s,",
           r->clip_name, r->workers, r->threads, r->pace_fps, (long long)r->frames, r->seconds, r->fps, r->cpu,
           r->maxrss_kb / 1024.0, r->faces_per_frame, (long long)r->detector_runs, r->load,
           r->cut_short ? "true" : "false");
    json_stats("face", &r->face);
    putchar(',');
    json_stats("emotion", &r->emotion);
    putchar(',');
    json_stats("motion", &r->motion);
    putchar(',');
    json_stats("analysis", &r->analysis);
    putchar(',');
    json_stats("overlay", &r->render);
    putchar(',');
    json_stats("latency", &r->latency);
    putchar(',');
    json_stats("latency_drawn", &r->latency_drawn);
    putchar(',');
    json_stats("cpu_analysis", &r->cpu_analysis);
    putchar(',');
    json_stats("cpu_overlay", &r->cpu_render);
    putchar(',');
    json_stats("cpu_analysis_thread", &r->cpu_thread);
    putchar(',');
    json_stats("cpu_workers", &r->cpu_workers);
    printf(",\"capture_busy_ms\":%.4f", r->capture_ms);
    if (soak && r->maxrss_warm_kb == 0) /* ended before its warm-up */
        printf(",\"peak_rss_warm_mb\":null,\"peak_rss_growth_mb\":null,\"rss_warm_mb\":null,\"rss_end_mb\":%.2f,"
               "\"rss_growth_mb\":null,\"warmup_frames\":%lld",
               r->rss_end_kb / 1024.0, (long long)r->warmup);
    else if (soak)
        printf(",\"peak_rss_warm_mb\":%.2f,\"peak_rss_growth_mb\":%.3f,\"rss_warm_mb\":%.2f,\"rss_end_mb\":%.2f,"
               "\"rss_growth_mb\":%.3f,\"warmup_frames\":%lld",
               r->maxrss_warm_kb / 1024.0, (r->maxrss_kb - r->maxrss_warm_kb) / 1024.0, r->rss_warm_kb / 1024.0,
               r->rss_end_kb / 1024.0, (r->rss_end_kb - r->rss_warm_kb) / 1024.0, (long long)r->warmup);
    printf("}\n");
}

static int usage(void)
{
    fprintf(stderr, "usage: emoscope bench [--stage pipeline] [--clip FILE] [--faces 1|4] [--workers N[,N]]\n"
                    "                      [--nn-threads N[,N]] [--frames N] [--max-seconds S] [--no-paced] [--json]\n"
                    "  --workers lists the runs' analysis workers (general.workers: faces analysed in parallel),\n"
                    "    default 1 and the number of cores\n"
                    "  --nn-threads lists the runs' XNNPACK threads per model (general.threads), default 1\n"
                    "  --max-seconds S ends a run early on a loaded machine (default 45)\n"
                    "  default: 1 face and 4 faces, each with every workers x nn-threads pair, plus one face\n"
                    "  paced at 60 fps (the last workers value); --frames N above 600 loops the clip\n"
                    "  (memory soak: RSS after warm-up vs at the end)\n");
    return EMO_EXIT_USAGE;
}

/* "1,2" -> {1, 2}; values in [1, 64]; returns the count, or -1. */
static int parse_list(const char *text, int *out, int max)
{
    int n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 64 || n == max || (*end && *end != ','))
            return -1;
        out[n++] = (int)v;
        p = *end == ',' ? end + 1 : end;
    }
    return n > 0 ? n : -1;
}

int emo_bench_pipeline(EmoCli *cli, int argc, char **argv)
{
    const char *clip_arg = NULL;
    int faces = 0, json = 0, paced = 1;
    int thr[4] = { 1 }, n_thr = 1;
    int wk[4] = { 1, emo_cpu_count() }, n_wk = emo_cpu_count() > 1 ? 2 : 1;
    int64_t frames = 0;
    double max_s = 45;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--clip") && i + 1 < argc)
            clip_arg = argv[++i];
        else if (!strcmp(argv[i], "--faces") && i + 1 < argc)
            faces = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoll(argv[++i]);
        else if ((!strcmp(argv[i], "--threads") || !strcmp(argv[i], "--nn-threads")) && i + 1 < argc) {
            if ((n_thr = parse_list(argv[++i], thr, 4)) < 0)
                return usage();
        } else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
            if ((n_wk = parse_list(argv[++i], wk, 4)) < 0)
                return usage();
        } else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
            max_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--no-paced"))
            paced = 0;
        else if (!strcmp(argv[i], "--stage") && i + 1 < argc)
            i++;
        else if (strncmp(argv[i], "--stage=", 8))
            return usage();
    }
    if ((faces != 0 && faces != 1 && faces != 4) || frames < 0 || frames > 100000000 || n_thr < 1 || n_wk < 1)
        return usage();
    int soak = frames > 600; /* longer than the benchmark clip: a soak run */
    emo_video_ffmpeg_log_level(EMO_LOG_ERROR);
    emo_job_tune_malloc(); /* as run and analyze do */

    char clips[2][EMO_PATH_MAX + 64];
    const char *names[2] = { "1 face", "4 faces" };
    int use[2] = { faces != 4, faces != 1 && !soak && !clip_arg };
    if (soak && faces == 4)
        use[0] = 0, use[1] = 1;
    for (int k = 0; k < 2; k++) {
        if (!use[k])
            continue;
        if (clip_arg && k == 0) {
            snprintf(clips[k], sizeof(clips[k]), "%s", clip_arg);
            continue;
        }
        int err = ensure_clip(cli, k == 1, clips[k], sizeof(clips[k]));
        if (err) {
            fprintf(stderr, "bench pipeline: cannot make %s: %s\n", clips[k], emo_strerror(err));
            return EMO_EXIT_FAIL;
        }
    }

    Run runs[MAX_RUNS];
    int n_runs = 0;
    printf("pipeline: every frame analysed (track + detect, mesh, emotion models '%s', flow + micro-expressions,\n"
           "overlay drawn into the BGRA frame); no window, no encoding; %d cores\n",
           cli->cfg.emotion.models, emo_cpu_count());
    for (int k = 0; k < 2; k++) {
        if (!use[k])
            continue;
        printf("clip: %s\n", clips[k]);
        /* Every workers x nn-threads pair (a soak: the first of each). */
        int nt = soak ? 1 : n_thr * n_wk;
        for (int t = 0; t < nt + (paced && !soak && k == 0) && n_runs < MAX_RUNS; t++) {
            Run *r = &runs[n_runs];
            memset(r, 0, sizeof(*r));
            r->clip_name = names[k];
            int pace = t == nt; /* the extra run: paced at the clip's rate, one XNNPACK thread, the last workers */
            int th = pace ? thr[0] : thr[t % n_thr], w = pace ? wk[n_wk - 1] : wk[t / n_thr];
            int err = run_one(cli, clips[k], th, w, frames, pace ? 60.0 : 0.0, max_s, r);
            if (err) {
                fprintf(stderr, "bench pipeline: %s: %s\n", clips[k], emo_strerror(err));
                return EMO_EXIT_FAIL;
            }
            print_run(r, 1);
            fflush(stdout);
            n_runs++;
        }
    }
    if (json)
        for (int i = 0; i < n_runs; i++)
            print_json(&runs[i], 1);
    printf("\nfloors (2-core machine): 1 face >= 120 fps with latency p99 < 16.7 ms; 4 faces >= 60 fps; "
           "RSS growth < 5 MB over 20000 frames after warm-up (--frames 20000)\n");
    return EMO_EXIT_OK;
}
