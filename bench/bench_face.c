#define _POSIX_C_SOURCE 200809L
/* bench --stage face: detection, the landmark network's crop and run, pose
 * and alignment per 1080p frame, tracking one face on one thread; with the
 * 478-point landmarker and with the 468-point face mesh; the cost of each
 * detector network (face.detector) per run and per frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <emoscope/face.h>
#include <emoscope/video.h>

#include "bench.h"

/* CPU time of the calling thread: with one network thread all the stage's
 * work runs here, so this is its cost, unlike wall time on a busy machine. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void stats(const char *name, double *v, int n)
{
    if (n <= 0)
        return;
    qsort(v, (size_t)n, sizeof(double), emo_bench_cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    int p99 = (int)(0.99 * (n - 1) + 0.5);
    printf("  %-34s median %7.3f ms   p99 %7.3f ms   mean %7.3f ms   max %7.3f ms\n", name, 1e3 * v[n / 2],
           1e3 * v[p99], 1e3 * sum / n, 1e3 * v[n - 1]);
}

/* What each BlazeFace network cost over the run (thread CPU time): per
 * detector run that used it, per network pass (whole frame or tile), and
 * spread over every frame of the run; the tile scan's share. */
static void detector_costs(const EmoFaceTracker *t, const char *mode, int tile_scan, int frames)
{
    static const char *const names[2] = { "short-range", "full-range" };
    EmoFaceDetectorStats s;
    emo_face_tracker_detector_stats(t, &s);
    printf("  detector (face.detector = %s):\n", mode);
    /* The tile scan's passes are not detector runs: shown on their own. */
    s.passes[EMO_FACE_DETECTOR_FULL] -= s.scan_passes;
    s.cpu[EMO_FACE_DETECTOR_FULL] -= s.scan_cpu;
    for (int k = 0; k < 2; k++) {
        if (!s.runs[k]) {
            printf("    %-11s not run\n", names[k]);
            continue;
        }
        printf("    %-11s %lld runs (%.1f%% of frames), %lld passes: %.3f ms per run, %.3f ms per pass, %.3f ms per "
               "frame\n",
               names[k], (long long)s.runs[k], 100.0 * (double)s.runs[k] / frames, (long long)s.passes[k],
               1e3 * s.cpu[k] / (double)s.runs[k], 1e3 * s.cpu[k] / (double)s.passes[k], 1e3 * s.cpu[k] / frames);
    }
    if (s.scan_passes)
        printf("    tile scan   %lld full-range passes (face.tile_scan = %d, %.1f%% of frames): %.3f ms per pass, "
               "%.3f ms per frame\n",
               (long long)s.scan_passes, tile_scan, 100.0 * (double)s.scan_passes / frames,
               1e3 * s.scan_cpu / (double)s.scan_passes, 1e3 * s.scan_cpu / frames);
    else
        printf("    tile scan   not run (face.tile_scan = %d)\n", tile_scan);
}

/* One run of the tracker over the clip with the landmark network
 * mesh_model; prints each stage's figures. Returns 0, EMO_EXIT_NOMODEL or
 * EMO_EXIT_FAIL. */
static int run_face(EmoCli *cli, const char *clip, int width, int height, int frames, const char *mesh_model)
{
    EmoFaceTrackerSettings fs;
    emo_face_tracker_default_settings(&fs);
    fs.face = cli->cfg.face;
    snprintf(fs.face.mesh_model, sizeof(fs.face.mesh_model), "%s", mesh_model);
    fs.threads = 1;
    fs.log = &cli->log;
    snprintf(fs.models_dir, sizeof(fs.models_dir), "%s", cli->models_dir);
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = clip;
    vs.out_width = width;
    vs.out_height = height;
    vs.pix_fmt = EMO_PIX_BGRA;
    vs.loop = 1;
    vs.max_frames = frames;
    vs.log = &cli->log;

    enum { DET, DET_ONLY, CROP, NET, POST, ALIGN, CPU, WALL, N_SERIES };
    static const char *const names[N_SERIES] = {
        "detection (every frame)",  "detection (frames it ran on)", "landmark crop (warp)", "landmark network",
        "pose + alignment transform", "align warps (64, 48, aligned_size)", "total per frame (thread CPU time)",
        "total per frame (wall)",
    };
    EmoFaceTracker *t = NULL;
    EmoVideoSource *src = NULL;
    EmoFaceList *list = calloc(1, sizeof(*list));
    double *v[N_SERIES] = { 0 };
    int ok = list != NULL, count[N_SERIES] = { 0 };
    for (int k = 0; k < N_SERIES; k++)
        ok &= (v[k] = calloc((size_t)frames, sizeof(double))) != NULL;
    int aligned = cli->cfg.face.aligned_size;
    uint8_t *buf = malloc((size_t)(aligned > 64 ? aligned : 64) * (size_t)(aligned > 64 ? aligned : 64));
    int rc = EMO_EXIT_FAIL, n = 0, with_face = 0;
    if (!ok || !buf)
        goto done;
    if (emo_face_tracker_open(&t, &fs) < 0) {
        rc = EMO_EXIT_NOMODEL;
        goto done;
    }
    if (emo_video_open(&src, &vs) < 0)
        goto done;
    for (;;) {
        EmoFrame *f = NULL;
        int r = emo_video_read(src, &f, -1);
        if (r == EMO_EOF)
            break;
        if (r < 0)
            goto done;
        EmoFaceTimes c0s, c1s;
        emo_face_tracker_timings(t, NULL, &c0s);
        double c0 = thread_cpu(), t0 = emo_clock_now();
        r = emo_face_tracker_process(t, f, list);
        double c1 = thread_cpu();
        /* The emotion models' inputs and the optical-flow face. */
        for (int i = 0; r == 0 && i < list->count; i++) {
            r = emo_face_align(f, &list->faces[i], 64, EMO_ALIGN_GRAY8, buf, 64);
            if (r == 0)
                r = emo_face_align(f, &list->faces[i], 48, EMO_ALIGN_GRAY8, buf, 48);
            if (r == 0)
                r = emo_face_align(f, &list->faces[i], aligned, EMO_ALIGN_GRAY8, buf, aligned);
        }
        double t2 = emo_clock_now(), c2 = thread_cpu();
        emo_frame_unref(&f);
        if (r < 0)
            goto done;
        emo_face_tracker_timings(t, NULL, &c1s);
        const double d[N_SERIES] = { c1s.detect - c0s.detect, c1s.detect - c0s.detect, c1s.crop - c0s.crop,
                                     c1s.mesh - c0s.mesh,     c1s.post - c0s.post,     c2 - c1,
                                     c2 - c0,                 t2 - t0 };
        for (int k = 0; k < N_SERIES; k++)
            if (k != DET_ONLY || list->detector_ran)
                v[k][count[k]++] = d[k];
        with_face += list->count > 0;
        n++;
    }
    if (n == 0)
        goto done;
    printf("landmarks: %s (%d points), %d frames with a face, detector on %d\n", mesh_model,
           emo_face_tracker_landmark_count(t), with_face, count[DET_ONLY]);
    for (int k = 0; k < N_SERIES; k++)
        stats(names[k], v[k], count[k]);
    detector_costs(t, fs.face.detector, fs.face.tile_scan, n);
    rc = EMO_EXIT_OK;
done:
    emo_video_close(&src);
    emo_face_tracker_close(&t);
    free(list);
    for (int k = 0; k < N_SERIES; k++)
        free(v[k]);
    free(buf);
    return rc;
}

/* Both landmark networks in turn (the landmarker only when its bundle is
 * installed), unless face.mesh_model names one. */
int emo_bench_face(EmoCli *cli, int argc, char **argv)
{
    int frames = 600, width = 1920, height = 1080;
    char clip[EMO_PATH_MAX];
    emo_cli_sample_clip(cli, clip, sizeof(clip));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            snprintf(clip, sizeof(clip), "%s", argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &width, &height) != 2)
                width = 0;
        }
    }
    if (frames < 1 || frames > 100000 || width < 16 || height < 16 || width > 8192 || height > 8192) {
        fprintf(stderr, "bench face: options --frames N (1..100000), --size WxH, --input CLIP\n");
        return EMO_EXIT_USAGE;
    }
    printf("stage times are CPU time of the calling thread (all the work with one network thread);\n"
           "wall time also counts waiting for a core on a busy machine\n");
    printf("face stage: %d frames of %s scaled to %dx%d BGRA, one thread\n", frames, clip, width, height);
    const char *setting = cli->cfg.face.mesh_model;
    char bundle[EMO_PATH_MAX + 32];
    snprintf(bundle, sizeof(bundle), "%s/face_landmarker.task", cli->models_dir);
    FILE *probe = fopen(bundle, "rb");
    int have_bundle = probe != NULL;
    if (probe)
        fclose(probe);
    const char *runs[2] = { "landmarker", "facemesh" };
    int n_runs = 2;
    if (strcmp(setting, "auto")) {
        runs[0] = setting;
        n_runs = 1;
    } else if (!have_bundle) {
        printf("(%s not installed: the face mesh only)\n", bundle);
        runs[0] = "facemesh";
        n_runs = 1;
    }
    int rc = EMO_EXIT_OK;
    for (int k = 0; k < n_runs && rc == EMO_EXIT_OK; k++)
        rc = run_face(cli, clip, width, height, frames, runs[k]);
    if (rc != EMO_EXIT_OK)
        fprintf(stderr, "bench face: failed (models in %s, clip %s)\n", cli->models_dir, clip);
    return rc;
}
