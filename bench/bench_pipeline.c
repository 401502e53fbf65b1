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

#include <emoscope/adapt.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>

#include "bench.h"
#include "job.h"
#include <emoscope/analyze.h>

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
    long rss_series_kb[20]; /* RSS every series_every frames */
    int n_series;
    int64_t series_every;
} Run;

/* Median and 99th percentile (nearest rank) of n values, in milliseconds. */
static Stats stats_ms(double *v, int64_t n)
{
    Stats s = { 0, 0, 0 };
    if (n <= 0)
        return s;
    qsort(v, (size_t)n, sizeof(*v), emo_bench_cmp_double);
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

double emo_bench_load_average(void)
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

/* Per-frame samples: one series per figure, room for the whole run made
 * before it starts (--frames N, or the clip's length as its header gives
 * it) and doubled should a clip run longer, so that every figure covers
 * every frame of any clip. */
enum { S_FACE, S_EMOTION, S_MOTION, S_ANALYSIS, S_LATENCY, S_CPU_ANALYSIS, S_CPU_THREAD, S_CPU_WORKERS, N_PER_FRAME };
enum { D_RENDER, D_LATENCY, D_CPU, N_PER_DRAWN };

typedef struct Series {
    double *v;
    int64_t n, cap;
} Series;

typedef struct Samples {
    Series frame[N_PER_FRAME], drawn[N_PER_DRAWN];
} Samples;

#define RING 64

static void samples_free(Samples *s)
{
    for (int i = 0; i < N_PER_FRAME; i++)
        free(s->frame[i].v);
    for (int i = 0; i < N_PER_DRAWN; i++)
        free(s->drawn[i].v);
    memset(s, 0, sizeof(*s));
}

static int series_reserve(Series *s, int64_t cap)
{
    if (cap <= s->cap)
        return 0;
    double *v = realloc(s->v, (size_t)cap * sizeof(double));
    if (!v)
        return EMO_ENOMEM;
    s->v = v;
    s->cap = cap;
    return 0;
}

/* Appends x; on a failed allocation the sample is lost, not the run. */
static void series_add(Series *s, double x)
{
    if (s->n == s->cap && series_reserve(s, 2 * s->cap + 64))
        return;
    s->v[s->n++] = x;
}

static int samples_alloc(Samples *s, int64_t cap)
{
    memset(s, 0, sizeof(*s));
    int err = 0;
    for (int i = 0; i < N_PER_FRAME && !err; i++)
        err = series_reserve(&s->frame[i], cap);
    for (int i = 0; i < N_PER_DRAWN && !err; i++)
        err = series_reserve(&s->drawn[i], cap);
    if (err)
        samples_free(s);
    return err;
}

/* The sink through which a run is measured (analyze.h). */
typedef struct Bench {
    Run *r;
    Samples sm;
    double pace_fps, max_s;
    double t0, pts0;           /* the clock starts here (paced: at the first frame) */
    int64_t n_read, n_faces;
    double t_origin[RING];     /* per in-flight frame: when its latency starts */
} Bench;

/* A camera delivers frame k at k / fps: paced, a frame is not analysed
 * before then, and its latency starts then (or when decoded, whichever is
 * later). */
static double bench_read(void *opaque, const EmoFrame *f)
{
    Bench *b = opaque;
    double origin = f->t_capture, due = 0;
    if (b->pace_fps > 0) {
        if (b->n_read == 0) {
            b->t0 = emo_clock_now();
            b->pts0 = f->pts;
        }
        due = b->t0 + (f->pts - b->pts0);
        if (due > origin)
            origin = due;
    }
    b->n_read++;
    b->t_origin[f->index % RING] = origin;
    return due;
}

static int bench_result(void *opaque, const EmoPipelineResult *res)
{
    Bench *b = opaque;
    Run *r = b->r;
    Series *s = b->sm.frame;
    series_add(&s[S_LATENCY], emo_clock_now() - b->t_origin[res->index % RING]);
    series_add(&s[S_FACE], res->t_face);
    series_add(&s[S_EMOTION], res->t_emotion);
    series_add(&s[S_MOTION], res->t_motion);
    series_add(&s[S_ANALYSIS], res->t_analysis);
    series_add(&s[S_CPU_ANALYSIS], res->cpu_analysis);
    series_add(&s[S_CPU_THREAD], res->cpu_analysis - res->cpu_workers);
    series_add(&s[S_CPU_WORKERS], res->cpu_workers);
    r->workers = res->workers;
    r->frames++;
    b->n_faces += res->n_faces;
    r->detector_runs += res->detector_ran != 0;
    if (r->frames == r->warmup) {
        r->rss_warm_kb = rss_now_kb();
        r->maxrss_warm_kb = maxrss_kb();
    }
    if (r->series_every > 0 && r->frames % r->series_every == 0 && r->n_series < 20)
        r->rss_series_kb[r->n_series++] = rss_now_kb();
    if (b->max_s > 0 && emo_clock_now() - b->t0 > b->max_s) {
        r->cut_short = 1; /* a loaded machine: the figures so far stand */
        return 1;
    }
    return 0;
}

/* A drawn frame came back: its overlay time and its latency to the drawn frame. */
static int bench_drawn(void *opaque, EmoFrame *g, double t_render, double cpu_render)
{
    Bench *b = opaque;
    series_add(&b->sm.drawn[D_RENDER], t_render);
    series_add(&b->sm.drawn[D_CPU], cpu_render);
    series_add(&b->sm.drawn[D_LATENCY], emo_clock_now() - b->t_origin[g->index % RING]);
    return 0;
}

static Stats series_stats(Series *s)
{
    return stats_ms(s->v, s->n);
}

/* Every figure of the run from its samples; the frame count is every frame analysed. */
static void bench_figures(Bench *b, double seconds, double cpu_s)
{
    Run *r = b->r;
    Series *s = b->sm.frame, *d = b->sm.drawn;
    r->seconds = seconds;
    r->fps = seconds > 0 ? (double)r->frames / seconds : 0;
    r->cpu = seconds > 0 ? cpu_s / seconds : 0;
    r->faces_per_frame = r->frames ? (double)b->n_faces / (double)r->frames : 0;
    r->face = series_stats(&s[S_FACE]);
    r->emotion = series_stats(&s[S_EMOTION]);
    r->motion = series_stats(&s[S_MOTION]);
    r->analysis = series_stats(&s[S_ANALYSIS]);
    r->latency = series_stats(&s[S_LATENCY]);
    r->cpu_analysis = series_stats(&s[S_CPU_ANALYSIS]);
    r->cpu_thread = series_stats(&s[S_CPU_THREAD]);
    r->cpu_workers = series_stats(&s[S_CPU_WORKERS]);
    r->render = series_stats(&d[D_RENDER]);
    r->latency_drawn = series_stats(&d[D_LATENCY]);
    r->cpu_render = series_stats(&d[D_CPU]);
}

/* The source as run and analyze open it, but for a file: one frame queued
 * between capture and analysis, so that a decoded frame waits for at most
 * the analysis in progress (a file source otherwise fills the queue and the
 * latency measures the queue's length); two decoder threads, one per core.
 * --frames N: exactly N frames, the clip looped when shorter. */
static int open_clip(EmoCli *cli, const EmoConfig *cfg, const char *clip, int64_t frames, EmoVideoSource **src)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &cfg->video))
        return EMO_EINVAL;
    vs.source = clip;
    vs.pix_fmt = EMO_PIX_BGRA; /* what run and analyze ask for: the overlay draws into BGRA */
    vs.live = EMO_VIDEO_LIVE_NO;
    vs.max_frames = frames;
    vs.loop = frames > 0;
    vs.log = &cli->log;
    vs.queue_size = 1;
    if (vs.decode_threads == 0)
        vs.decode_threads = 2;
    int err = emo_video_open(src, &vs);
    if (err)
        fprintf(stderr, "bench pipeline: cannot open %s: %s\n", clip, emo_strerror(err));
    return err;
}

static int open_pipeline(EmoCli *cli, const EmoConfig *cfg, EmoPipeline **pipe)
{
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = cfg;
    ps.models_dir = cli->models_dir;
    ps.draw = 1;
    ps.keep_timeline = 0; /* no result files, no chart */
    ps.log = &cli->log;
    int err = emo_pipeline_open(pipe, &ps);
    if (err)
        fprintf(stderr, "bench pipeline: cannot load the models from %s: %s\n", cli->models_dir, emo_strerror(err));
    return err;
}

/* Room for the whole run: --frames N, else the clip's own length. */
static int64_t expected_frames(const EmoVideoSource *src, int64_t frames)
{
    if (frames > 0)
        return frames + 8;
    EmoVideoInfo info;
    emo_video_info(src, &info);
    double n = info.duration > 0 && info.fps > 0 ? info.duration * info.fps : 0;
    return n > 600 && n < 1e7 ? (int64_t)(n * 1.05) + 64 : 608;
}

/* The frame loop of run and analyze (src/analyze/loop.c), measured through a sink. */
static int run_one(EmoCli *cli, const char *clip, int threads, int workers, int64_t frames, double pace_fps,
                   double max_s, Run *r)
{
    EmoConfig cfg = cli->cfg;
    cfg.general.threads = threads;
    cfg.general.workers = workers;
    cfg.emotion.interval = 0; /* every frame analysed */
    EmoPipeline *pipe = NULL;
    EmoVideoSource *src = NULL;
    Bench b = { .r = r, .pace_fps = pace_fps, .max_s = max_s };
    int err = open_pipeline(cli, &cfg, &pipe);
    if (err)
        return err;
    peak_reset();
    r->rss_start_kb = rss_now_kb();
    /* The soak's warm-up and RSS series are counted in the frames asked for. */
    int64_t planned = frames > 0 ? frames : 600;
    r->warmup = planned / 10 < WARMUP_FRAMES ? (planned / 10 > 0 ? planned / 10 : 1) : WARMUP_FRAMES;
    r->series_every = planned >= 20 ? planned / 20 : 0;
    if ((err = open_clip(cli, &cfg, clip, frames, &src)) || (err = samples_alloc(&b.sm, expected_frames(src, frames))))
        goto done;

    EmoLoopSink sink = { .opaque = &b, .on_read = bench_read, .on_result = bench_result, .on_frame = bench_drawn };
    EmoLoopSettings ls = { .src = src, .pipe = pipe, .sinks = &sink, .n_sinks = 1 };
    EmoLoopReport lr;
    double c0 = cpu_seconds();
    b.t0 = emo_clock_now();
    emo_loop_run(&ls, &lr);
    double t1 = emo_clock_now(), c1 = cpu_seconds();
    err = lr.frame_status ? lr.frame_status : lr.source_status == EMO_EOF ? 0 : lr.source_status;
    r->rss_end_kb = rss_now_kb();
    r->maxrss_kb = maxrss_kb();
    r->load = emo_bench_load_average();
    EmoVideoStats vst;
    emo_video_stats(src, &vst);
    r->capture_ms = vst.frames_decoded > 0 ? 1e3 * (vst.decode_seconds + vst.convert_seconds) / vst.frames_decoded : 0;
    r->threads = threads;
    r->pace_fps = pace_fps;
    bench_figures(&b, t1 - b.t0, c1 - c0);
    if (!err && r->frames == 0)
        err = EMO_EFORMAT;
done:
    emo_video_close(&src);
    emo_pipeline_close(&pipe);
    samples_free(&b.sm);
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
        printf("  rss every %lld frames (MB):", (long long)r->series_every);
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
        else if (!emo_bench_stage_arg(argc, argv, &i))
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
