/*
 * bench --stage actions: the facial-action cost per face: median and
 * 99th-percentile milliseconds of emo_blendshapes_run() (input built from
 * 478 landmarks, the blendshape model, scores copied out) and of
 * emo_action_units(), on 1 and 2 model threads.
 * Options: --iterations N (timed runs per setting, default 2000). The
 * minimum is printed too: on a loaded machine it is the closest to the
 * cost of an undisturbed run.
 *
 * Budget (issue 16): the 1-face 1080p pipeline must stay at or above
 * 100 fps with actions on every frame; at ~140 fps without them that leaves
 * about 2 ms per frame for the 478-point landmarker and the blendshapes
 * together. The floor below is the blendshapes' share: at most half of it
 * (the landmarker adds 78 M multiply-adds to today's mesh, the blendshapes
 * 31.8 M).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include <emoscope/actions.h>

#define FLOOR_MS 1.0

/* A face-sized cloud of 478 points (deterministic), moved a little per run
 * so that no run sees the previous run's input. */
static void landmarks(float (*p)[3], uint32_t *seed, int run)
{
    for (int i = 0; i < EMO_BLENDSHAPE_POINTS; i++)
        for (int k = 0; k < 3; k++) {
            *seed = *seed * 1664525u + 1013904223u;
            p[i][k] = 800.0f + 300.0f * (float)(*seed >> 8) / (float)(1u << 24) + 0.01f * (float)(run % 7);
        }
}

static void report(const char *what, int threads, double *t, int n, unsigned long long macs, const char *floor)
{
    qsort(t, (size_t)n, sizeof(double), emo_bench_cmp_double);
    double median = t[n / 2], p99 = t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    printf("%-16s %7d %10.4f %10.4f %10.4f %8.1f %8.2f   %s\n", what, threads, median, t[0], p99, (double)macs / 1e6,
           macs ? (double)macs / (median * 1e-3) / 1e9 : 0.0, floor);
}

int emo_bench_actions(EmoCli *cli, int argc, char **argv)
{
    int iterations = 2000;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = atoi(argv[++i]);
    if (iterations < 10 || iterations > 1000000) {
        fprintf(stderr, "emoscope bench: --iterations takes 10 to 1000000\n");
        return EMO_EXIT_USAGE;
    }
    char bundle[EMO_PATH_MAX + 64];
    snprintf(bundle, sizeof(bundle), "%s/face_landmarker.task", cli->models_dir);
    double *times = malloc(sizeof(double) * (size_t)iterations);
    static float pts[EMO_BLENDSHAPE_POINTS][3];
    if (!times)
        return EMO_EXIT_FAIL;
    printf("actions: %d timed runs per setting after 50 warm-up runs; %s\n", iterations, bundle);
    printf("%-16s %7s %10s %10s %10s %8s %8s   %s\n", "stage", "threads", "median_ms", "min_ms", "p99_ms", "MMAC",
           "GMAC/s",
           "floor (1 thread)");
    int status = EMO_EXIT_OK;
    for (int threads = 1; threads <= 2; threads++) {
        EmoBlendshapesSettings s;
        emo_blendshapes_default_settings(&s);
        s.bundle = bundle;
        s.threads = threads;
        s.log = &cli->log;
        EmoBlendshapes *b = NULL;
        int err = emo_blendshapes_open(&b, &s);
        if (err) {
            printf("blendshapes skipped: %s\n", emo_strerror(err));
            free(times);
            return EMO_EXIT_NOMODEL;
        }
        uint32_t seed = 1;
        float scores[EMO_BLENDSHAPES], au[EMO_ACTION_UNITS];
        for (int i = 0; i < 50; i++) {
            landmarks(pts, &seed, i);
            emo_blendshapes_run(b, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3, scores);
        }
        for (int i = 0; i < iterations; i++) {
            landmarks(pts, &seed, i);
            double t0 = emo_clock_now();
            if ((err = emo_blendshapes_run(b, &pts[0][0], EMO_BLENDSHAPE_POINTS, 3, scores)))
                break;
            times[i] = (emo_clock_now() - t0) * 1e3;
        }
        if (err) {
            printf("blendshapes failed: %s\n", emo_strerror(err));
            emo_blendshapes_close(&b);
            free(times);
            return EMO_EXIT_FAIL;
        }
        char floor[32] = "";
        if (threads == 1) {
            double median;
            qsort(times, (size_t)iterations, sizeof(double), emo_bench_cmp_double);
            median = times[iterations / 2];
            snprintf(floor, sizeof(floor), "<= %.1f %s", FLOOR_MS, median <= FLOOR_MS ? "ok" : "MISSED");
            if (median > FLOOR_MS)
                status = EMO_EXIT_FAIL;
        }
        report("blendshapes", threads, times, iterations, emo_blendshapes_macs(b), floor);
        for (int i = 0; i < iterations; i++) {
            double t0 = emo_clock_now();
            emo_action_units(scores, au);
            times[i] = (emo_clock_now() - t0) * 1e3;
            scores[i % EMO_BLENDSHAPES] = au[i % EMO_ACTION_UNITS];
        }
        if (threads == 1)
            report("action_units", 1, times, iterations, 0, "");
        emo_blendshapes_close(&b);
    }
    free(times);
    return status;
}
