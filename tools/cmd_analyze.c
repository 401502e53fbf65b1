/* emoscope analyze FILE: every frame, headless. For now the video path only:
 * decode, pass each frame to a per-frame callback (pass-through until the
 * analysis lands), encode the annotated video. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <emoscope/video.h>

#include "cli.h"

/* The only state a signal handler may touch. */
static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

/* Called once per decoded frame, in order. The frame is the caller's only
 * reference (reference count 1): the callback may draw on it before it is
 * encoded. Return 0 to go on, a negative EMO_E* code to stop with that error. */
typedef int (*EmoFrameFn)(void *userdata, EmoFrame *frame);

typedef struct VideoJob {
    const char *source;
    const char *video_path;      /* NULL: no video output */
    EmoFrameFn on_frame;         /* NULL: pass-through */
    void *userdata;
} VideoJob;

typedef struct VideoJobResult {
    EmoVideoInfo info;
    EmoVideoStats stats;
    int64_t frames;              /* frames given to on_frame */
    int64_t written;             /* frames encoded */
    double first_pts, last_pts;  /* seconds */
    double wall_s, encode_s;
    int source_status;           /* EMO_EOF when the input ended cleanly */
    int frame_status;            /* error returned by on_frame, or 0 */
    int writer_status;           /* error of the writer (write or close), or 0 */
    int interrupted;
    char source_error[512];
} VideoJobResult;

static int mkdirs(const char *dir)
{
    char buf[EMO_PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
        return -1;
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

/*
 * The video loop: opens the source, hands every frame to job->on_frame,
 * encodes it, and always finalises the output. Returns an exit status.
 */
static int run_video_job(EmoCli *cli, const VideoJob *job, VideoJobResult *r)
{
    memset(r, 0, sizeof(*r));
    double t0 = emo_clock_now();
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    if (emo_video_settings_from_config(&vs, &cli->cfg.video)) {
        fprintf(stderr, "emoscope analyze: video.pix_fmt, video.live or video.scaler has an unknown value\n");
        return EMO_EXIT_USAGE;
    }
    vs.source = job->source;
    vs.log = &cli->log;
    EmoVideoSource *src = NULL;
    int err = emo_video_open(&src, &vs);
    if (err) {
        fprintf(stderr, "emoscope analyze: cannot open %s: %s\n", job->source, emo_strerror(err));
        return EMO_EXIT_FAIL;
    }
    emo_video_info(src, &r->info);

    EmoVideoWriter *wr = NULL;
    if (job->video_path) {
        EmoVideoWriterSettings ws;
        emo_video_writer_default_settings(&ws);
        emo_video_writer_settings_from_config(&ws, &cli->cfg.output);
        ws.path = job->video_path;
        ws.width = r->info.width;
        ws.height = r->info.height;
        ws.pix_fmt = r->info.pix_fmt;
        ws.fps = r->info.fps > 0 ? r->info.fps : 30;
        ws.time_base_num = r->info.time_base_num;
        ws.time_base_den = r->info.time_base_den;
        ws.log = &cli->log;
        err = emo_video_writer_open(&wr, &ws);
        if (err) {
            fprintf(stderr, "emoscope analyze: cannot create %s: %s\n", job->video_path, emo_strerror(err));
            emo_video_close(&src);
            return EMO_EXIT_FAIL;
        }
    }

    for (;;) {
        if (g_interrupted) {
            r->interrupted = 1;
            emo_video_stop(src);
            break;
        }
        EmoFrame *f = NULL;
        err = emo_video_read(src, &f, 0.2);
        if (err == EMO_ETIMEDOUT)
            continue;
        if (err) {
            r->source_status = err;
            break;
        }
        if (r->frames == 0)
            r->first_pts = f->pts;
        r->last_pts = f->pts;
        r->frames++;
        if (job->on_frame && (err = job->on_frame(job->userdata, f)) != 0) {
            r->frame_status = err;
            emo_frame_unref(&f);
            break;
        }
        if (wr && !r->writer_status) {
            double te = emo_clock_now();
            r->writer_status = emo_video_writer_write(wr, f);
            r->encode_s += emo_clock_now() - te;
            if (r->writer_status) {
                emo_frame_unref(&f);
                break;
            }
        }
        emo_frame_unref(&f);
    }
    if (r->source_status && r->source_status != EMO_EOF)
        snprintf(r->source_error, sizeof(r->source_error), "%s", emo_video_error_message(src));
    if (wr) {
        r->written = emo_video_writer_frames(wr);
        double te = emo_clock_now();
        int cerr = emo_video_writer_close(&wr); /* finalises the file whatever happened above */
        r->encode_s += emo_clock_now() - te;
        if (!r->writer_status)
            r->writer_status = cerr;
    }
    emo_video_stats(src, &r->stats);
    emo_video_close(&src);
    r->wall_s = emo_clock_now() - t0;

    if (r->writer_status || r->frame_status)
        return EMO_EXIT_FAIL;
    if (r->interrupted)
        return EMO_EXIT_INTERRUPTED;
    if (r->source_status != EMO_EOF)
        return r->frames > 0 ? EMO_EXIT_PARTIAL : EMO_EXIT_FAIL;
    return EMO_EXIT_OK;
}

static void print_result(const VideoJob *job, const VideoJobResult *r, int status)
{
    const EmoVideoInfo *in = &r->info;
    double dur = r->frames ? r->last_pts - r->first_pts + (in->fps > 0 ? 1.0 / in->fps : 0) : 0;
    double fr = (double)r->frames;
    printf("input: %s (%s, %s, %dx%d, %.3f fps", job->source, in->container, in->codec, in->src_width,
           in->src_height, in->fps);
    if (in->frame_count > 0)
        printf(", %lld frames", (long long)in->frame_count);
    if (in->duration > 0)
        printf(", %.3f s", in->duration);
    printf(")\n");
    printf("frames: %lld\n", (long long)r->frames);
    printf("duration: %.3f s\n", dur);
    printf("dropped: %lld\n", (long long)r->stats.frames_dropped);
    /* Decoding and conversion run on two threads side by side: the slower one sets the rate. */
    double busy = r->stats.decode_seconds > r->stats.convert_seconds ? r->stats.decode_seconds
                                                                     : r->stats.convert_seconds;
    printf("decode_fps: %.1f (demux + decode %.3f s, conversion to %s %.3f s, on two threads)\n",
           busy > 0 ? fr / busy : 0.0, r->stats.decode_seconds, emo_pixfmt_name(in->pix_fmt),
           r->stats.convert_seconds);
    if (job->video_path) {
        printf("encode_fps: %.1f\n", r->encode_s > 0 ? (double)r->written / r->encode_s : 0.0);
        printf("video: %s (%lld frames)\n", job->video_path, (long long)r->written);
    }
    printf("wall: %.3f s (%.1f fps)\n", r->wall_s, r->wall_s > 0 ? fr / r->wall_s : 0.0);
    const char *what = status == EMO_EXIT_OK            ? "ok"
                       : status == EMO_EXIT_PARTIAL     ? "partial: the input broke"
                       : status == EMO_EXIT_INTERRUPTED ? "interrupted"
                                                        : "failed";
    printf("status: %s\n", what);
    if (r->source_error[0])
        fprintf(stderr, "emoscope analyze: %s\n", r->source_error);
    if (r->writer_status)
        fprintf(stderr, "emoscope analyze: writing the video failed: %s\n", emo_strerror(r->writer_status));
}

int emo_cmd_analyze(EmoCli *cli, int argc, char **argv)
{
    const char *file = NULL, *out_dir = cli->cfg.general.output_dir;
    int want_video = cli->cfg.output.video;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (!strncmp(argv[i], "--out=", 6)) {
            out_dir = argv[i] + 6;
        } else if (!strcmp(argv[i], "--no-video")) {
            want_video = 0;
        } else if (!strcmp(argv[i], "--landmarks")) {
            cli->cfg.output.landmarks = 1; /* used by the results writer once the analysis lands */
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "emoscope analyze: unknown option '%s'\n", argv[i]);
            emo_cli_usage("analyze");
            return EMO_EXIT_USAGE;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "emoscope analyze: more than one input ('%s')\n", argv[i]);
            return EMO_EXIT_USAGE;
        }
    }
    if (!file)
        file = cli->cfg.video.source[0] ? cli->cfg.video.source : NULL;
    if (!file) {
        fprintf(stderr, "emoscope analyze: no input file\n");
        emo_cli_usage("analyze");
        return EMO_EXIT_USAGE;
    }
    emo_video_ffmpeg_log_level(cli->log.level == EMO_LOG_DEBUG ? EMO_LOG_DEBUG : EMO_LOG_ERROR);

    char video_path[EMO_PATH_MAX + 32];
    VideoJob job = { file, NULL, NULL, NULL };
    if (want_video) {
        if (!out_dir || !out_dir[0] || mkdirs(out_dir) != 0) {
            fprintf(stderr, "emoscope analyze: cannot create output folder '%s': %s\n", out_dir ? out_dir : "",
                    strerror(errno));
            return EMO_EXIT_FAIL;
        }
        snprintf(video_path, sizeof(video_path), "%s/annotated.mp4", out_dir);
        job.video_path = video_path;
    }

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    VideoJobResult r;
    int status = run_video_job(cli, &job, &r);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (status != EMO_EXIT_USAGE && !(status == EMO_EXIT_FAIL && r.frames == 0 && !r.info.width))
        print_result(&job, &r, status);
    return status;
}
