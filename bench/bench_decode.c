/* bench --stage decode: decode + pixel conversion of a 1920x1080 60 fps
 * H.264 clip through EmoVideoSource on one decoder thread, against
 * `ffmpeg -threads 1 -i CLIP -f null -` timed in the same run. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <emoscope/video.h>

#include "bench.h"

#define FLOOR 0.8

/* Makes the benchmark clip from the sample clip with our own reader and
 * writer: scaled to 1920x1080, 600 frames at 60 fps (10 s), H.264. */
int emo_bench_make_clip(EmoCli *cli, const char *sample, const char *out)
{
    char tmp[EMO_PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.part.mp4", out);
    printf("making %s from %s (1920x1080, 60 fps, 10 s, H.264)...\n", out, sample);
    fflush(stdout);
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = sample;
    vs.pix_fmt = EMO_PIX_YUV420P;
    vs.out_width = 1920;
    vs.out_height = 1080;
    vs.scaler = "bicubic";
    vs.max_frames = 600;
    vs.loop = 1; /* a short sample clip still gives 600 frames */
    vs.log = &cli->log;
    EmoVideoSource *src = NULL;
    int err = emo_video_open(&src, &vs);
    if (err)
        return err;
    EmoVideoWriterSettings ws;
    emo_video_writer_default_settings(&ws);
    ws.path = tmp;
    ws.width = 1920;
    ws.height = 1080;
    ws.pix_fmt = EMO_PIX_YUV420P;
    ws.fps = 60;
    ws.time_base_num = 1;
    ws.time_base_den = 60;
    ws.preset = "veryfast";
    ws.crf = 23;
    ws.log = &cli->log;
    EmoVideoWriter *w = NULL;
    err = emo_video_writer_open(&w, &ws);
    if (err) {
        emo_video_close(&src);
        return err;
    }
    EmoFrame *f;
    int64_t n = 0;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        f->pts = (double)n++ / 60.0; /* the sample's frames, re-timed at 60 fps */
        err = emo_video_writer_write(w, f);
        emo_frame_unref(&f);
        if (err)
            break;
    }
    emo_video_close(&src);
    int cerr = emo_video_writer_close(&w);
    if (err == EMO_EOF)
        err = 0;
    if (!err)
        err = cerr;
    if (!err && rename(tmp, out) != 0)
        err = EMO_EIO;
    if (err)
        remove(tmp);
    return err;
}

typedef struct Run {
    double fps;                  /* frames per wall-clock second */
    double cpu_fps;              /* frames per CPU second (user + system, every thread) */
    int64_t frames;
    double seconds, cpu_seconds;
} Run;

static int run_ours(EmoCli *cli, const char *clip, EmoPixFmt fmt, const char *scaler, Run *r)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = clip;
    vs.pix_fmt = fmt;
    vs.scaler = scaler;
    vs.decode_threads = 1; /* comparable with ffmpeg -threads 1 */
    vs.live = EMO_VIDEO_LIVE_NO;
    vs.log = &cli->log;
    vs.queue_size = 16; /* loosens the hand-over on a loaded machine; the consumer does nothing */
    double t0 = emo_clock_now(), c0 = emo_bench_cpu_seconds();
    EmoVideoSource *src = NULL;
    int err = emo_video_open(&src, &vs);
    if (err)
        return err;
    EmoFrame *f;
    r->frames = 0;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        r->frames++;
        emo_frame_unref(&f);
    }
    r->seconds = emo_clock_now() - t0;
    r->cpu_seconds = emo_bench_cpu_seconds() - c0;
    emo_video_close(&src);
    r->fps = r->seconds > 0 ? r->frames / r->seconds : 0;
    r->cpu_fps = r->cpu_seconds > 0 ? r->frames / r->cpu_seconds : 0;
    return err == EMO_EOF ? 0 : err;
}

/* Runs the ffmpeg program; its -benchmark line gives the real time of its
 * decoding loop (process start-up excluded), its progress line the frames. */
static int run_ffmpeg(const char *clip, Run *r)
{
    char cmd[EMO_PATH_MAX + 256];
    snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -hide_banner -nostats -benchmark -threads 1 -i '%s' -f null - 2>&1",
             clip);
    double t0 = emo_clock_now();
    FILE *p = popen(cmd, "r");
    if (!p)
        return EMO_EIO;
    char line[1024];
    double rtime = 0, utime = 0, stime = 0;
    long frames = 0;
    while (fgets(line, sizeof(line), p)) {
        const char *b = strstr(line, "rtime=");
        if (b)
            rtime = strtod(b + 6, NULL);
        if ((b = strstr(line, "utime=")))
            utime = strtod(b + 6, NULL);
        if ((b = strstr(line, "stime=")))
            stime = strtod(b + 6, NULL);
        const char *fr = strstr(line, "frame=");
        if (fr)
            frames = strtol(fr + 6, NULL, 10);
    }
    int st = pclose(p);
    double wall = emo_clock_now() - t0;
    if (st != 0 || frames <= 0) {
        fprintf(stderr, "bench decode: `%s` failed (status %d)\n", cmd, st);
        return EMO_EIO;
    }
    r->frames = frames;
    r->seconds = rtime > 0 ? rtime : wall;
    r->fps = frames / r->seconds;
    r->cpu_seconds = utime + stime;
    r->cpu_fps = r->cpu_seconds > 0 ? frames / r->cpu_seconds : 0;
    return 0;
}

typedef struct Variant {
    EmoPixFmt fmt;
    const char *scaler;
} Variant;

int emo_bench_decode(EmoCli *cli, int argc, char **argv)
{
    char clip[EMO_PATH_MAX + 64], sample[EMO_PATH_MAX];
    clip[0] = 0;
    int runs = 3, all = 0, json = 0;
    const char *pix = cli->cfg.video.pix_fmt, *scaler = cli->cfg.video.scaler;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--clip") && i + 1 < argc)
            snprintf(clip, sizeof(clip), "%s", argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pix-fmt") && i + 1 < argc)
            pix = argv[++i];
        else if (!strcmp(argv[i], "--scaler") && i + 1 < argc)
            scaler = argv[++i];
        else if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!emo_bench_stage_arg(argc, argv, &i)) {
            fprintf(stderr,
                    "usage: emoscope bench --stage decode [--clip FILE] [--runs N] [--pix-fmt F] [--scaler S] [--all] "
                    "[--json]\n");
            return EMO_EXIT_USAGE;
        }
    }
    if (runs < 1 || runs > 100 || emo_video_parse_pixfmt(pix) == EMO_PIX_NONE) {
        fprintf(stderr, "bench decode: --runs must be 1..100 and --pix-fmt bgra, yuv420p, gray8 or rgb24\n");
        return EMO_EXIT_USAGE;
    }
    emo_video_ffmpeg_log_level(EMO_LOG_ERROR);
    if (!clip[0]) {
        snprintf(clip, sizeof(clip), "%s/video/bench_1080p60.mp4", cli->data_dir);
        struct stat sb;
        if (stat(clip, &sb) != 0) {
            emo_cli_sample_clip(cli, sample, sizeof(sample));
            int err = emo_bench_make_clip(cli, sample, clip);
            if (err) {
                fprintf(stderr, "bench decode: cannot make %s from %s: %s\n", clip, sample, emo_strerror(err));
                return EMO_EXIT_FAIL;
            }
        }
    }

    Variant variants[8];
    int n_var = 0;
    variants[n_var++] = (Variant){ emo_video_parse_pixfmt(pix), scaler };
    if (all) {
        static const Variant extra[] = {
            { EMO_PIX_BGRA, "bilinear" }, { EMO_PIX_BGRA, "fast_bilinear" }, { EMO_PIX_BGRA, "point" },
            { EMO_PIX_YUV420P, "bilinear" }, { EMO_PIX_GRAY8, "bilinear" },
        };
        for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
            if (!(extra[i].fmt == variants[0].fmt && !strcmp(extra[i].scaler, variants[0].scaler)))
                variants[n_var++] = extra[i];
    }

    /* Interleave the runs so that load from other processes hits both alike; keep the best of each. */
    Run best_ff, best[8];
    memset(&best_ff, 0, sizeof(best_ff));
    memset(best, 0, sizeof(best));
    for (int k = 0; k < runs; k++) {
        Run r;
        if (run_ffmpeg(clip, &r))
            return EMO_EXIT_FAIL;
        if (r.fps > best_ff.fps)
            best_ff.fps = r.fps, best_ff.seconds = r.seconds, best_ff.frames = r.frames;
        if (r.cpu_fps > best_ff.cpu_fps)
            best_ff.cpu_fps = r.cpu_fps, best_ff.cpu_seconds = r.cpu_seconds;
        for (int v = 0; v < n_var; v++) {
            int err = run_ours(cli, clip, variants[v].fmt, variants[v].scaler, &r);
            if (err) {
                fprintf(stderr, "bench decode: %s: %s\n", clip, emo_strerror(err));
                return EMO_EXIT_FAIL;
            }
            if (r.fps > best[v].fps)
                best[v].fps = r.fps, best[v].seconds = r.seconds, best[v].frames = r.frames;
            if (r.cpu_fps > best[v].cpu_fps)
                best[v].cpu_fps = r.cpu_fps, best[v].cpu_seconds = r.cpu_seconds;
        }
    }
    double load = emo_bench_load_average();
    printf("clip: %s (%lld frames); best of %d interleaved runs; load average %.1f on %d cores\n", clip,
           (long long)best_ff.frames, runs, load, emo_cpu_count());
    printf("%-44s %9s %9s %7s %7s\n", "", "wall fps", "cpu fps", "ratio", "cpu rat");
    printf("%-44s %9.1f %9.1f\n", "ffmpeg -threads 1 -i CLIP -f null -", best_ff.fps, best_ff.cpu_fps);
    for (int v = 0; v < n_var; v++) {
        double ratio = best_ff.fps > 0 ? best[v].fps / best_ff.fps : 0;
        double cratio = best_ff.cpu_fps > 0 ? best[v].cpu_fps / best_ff.cpu_fps : 0;
        char name[96];
        snprintf(name, sizeof(name), "emoscope decode+convert to %s (%s)", emo_pixfmt_name(variants[v].fmt),
                 variants[v].scaler);
        printf("%-44s %9.1f %9.1f %7.2f %7.2f  %s\n", name, best[v].fps, best[v].cpu_fps, ratio, cratio,
               ratio >= FLOOR ? "ok" : cratio >= FLOOR ? "ok on CPU time (wall below floor: loaded machine?)" : "BELOW FLOOR");
        if (best[v].frames != best_ff.frames)
            printf("warning: frame counts differ (ours %lld, ffmpeg %lld)\n", (long long)best[v].frames,
                   (long long)best_ff.frames);
        if (json)
            printf("{\"stage\":\"decode\",\"pix_fmt\":\"%s\",\"scaler\":\"%s\",\"fps\":%.2f,\"cpu_fps\":%.2f,"
                   "\"ffmpeg_fps\":%.2f,\"ffmpeg_cpu_fps\":%.2f,\"ratio\":%.4f,\"cpu_ratio\":%.4f,\"floor\":%.2f,"
                   "\"frames\":%lld}\n",
                   emo_pixfmt_name(variants[v].fmt), variants[v].scaler, best[v].fps, best[v].cpu_fps, best_ff.fps,
                   best_ff.cpu_fps, ratio, cratio, FLOOR, (long long)best[v].frames);
    }
    printf("floor: %.2f of ffmpeg's frame rate; decoding on 1 thread in both (ours: video.decode_threads=1)\n", FLOOR);
    return EMO_EXIT_OK;
}
