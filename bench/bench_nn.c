/*
 * bench --stage nn: per model, median and 99th-percentile milliseconds per
 * inference on 1 and 2 threads, and the multiply-adds per second.
 * Options: --iterations N (timed runs per setting, default 300),
 * --model NAME (only that model of `emoscope models`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include <emoscope/io.h>
#include <emoscope/nn.h>

typedef struct Floor {
    const char *name;
    double ms;   /* median, one thread (issue 3) */
} Floor;

static const Floor floors[] = {
    { "blazeface", 1.5 }, { "facemesh", 2.0 }, { "mini_xception", 0.5 }, { "big_xception", 2.0 },
};

static double floor_of(const char *name)
{
    for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++)
        if (!strcmp(floors[i].name, name))
            return floors[i].ms;
    return 0;
}

/* Returns 1 when a floor was missed, -1 when the model could not run. */
static int bench_model(EmoCli *cli, const EmoModelFile *mf, int iterations, double *times)
{
    char path[EMO_PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/%s", cli->models_dir, mf->file);
    int missed = 0;
    for (int threads = 1; threads <= 2; threads++) {
        static const EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };
        EmoNnSettings s;
        emo_nn_default_settings(&s);
        s.threads = threads;
        s.log = &quiet;
        EmoNnModel *m = NULL;
        int err = emo_nn_open(&m, path, &s);
        if (err) {
            printf("%-15s %-8s skipped: %s\n", mf->name, "", emo_strerror(err));
            return -1;
        }
        /* Deterministic input in [-1, 1]. */
        uint32_t seed = 1;
        for (int i = 0; i < emo_nn_num_inputs(m); i++) {
            EmoNnTensorInfo t;
            emo_nn_input_info(m, i, &t);
            float *x = emo_nn_input(m, i);
            for (size_t k = 0; k < t.count; k++) {
                seed = seed * 1664525u + 1013904223u;
                x[k] = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
            }
        }
        for (int i = 0; i < 20; i++)
            emo_nn_run(m);
        for (int i = 0; i < iterations; i++) {
            double t0 = emo_clock_now();
            emo_nn_run(m);
            times[i] = (emo_clock_now() - t0) * 1e3;
        }
        qsort(times, (size_t)iterations, sizeof(double), emo_bench_cmp_double);
        double median = times[iterations / 2];
        double p99 = times[(iterations * 99) / 100 < iterations ? (iterations * 99) / 100 : iterations - 1];
        double gmacs = (double)emo_nn_macs(m) / (median * 1e-3) / 1e9;
        double fl = floor_of(mf->name);
        const char *verdict = "";
        if (threads == 1 && fl > 0) {
            verdict = median <= fl ? "ok" : "MISSED";
            missed |= median > fl;
        }
        char floor_text[32] = "";
        if (threads == 1 && fl > 0)
            snprintf(floor_text, sizeof(floor_text), "<= %.1f %s", fl, verdict);
        printf("%-15s %7d %9.3f %9.3f %9.1f %9.2f   %s\n", mf->name, emo_nn_threads(m), median, p99,
               (double)emo_nn_macs(m) / 1e6, gmacs, floor_text);
        emo_nn_close(&m);
    }
    return missed;
}

int emo_bench_nn(EmoCli *cli, int argc, char **argv)
{
    int iterations = 300;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            only = argv[++i];
    }
    if (iterations < 10 || iterations > 1000000) {
        fprintf(stderr, "emoscope bench: --iterations takes 10 to 1000000\n");
        return EMO_EXIT_USAGE;
    }
    double *times = malloc(sizeof(double) * (size_t)iterations);
    if (!times)
        return EMO_EXIT_FAIL;
    printf("nn: %d timed runs per setting after 20 warm-up runs; models in %s\n", iterations, cli->models_dir);
    printf("%-15s %7s %9s %9s %9s %9s   %s\n", "model", "threads", "median_ms", "p99_ms", "MMAC", "GMAC/s",
           "floor (1 thread)");
    int missed = 0, ran = 0;
    for (const EmoModelFile *mf = emo_model_files(); mf->name; mf++) {
        int nn = !strcmp(mf->name, "blazeface") || !strcmp(mf->name, "fullrange") || !strcmp(mf->name, "facemesh") ||
                 !strcmp(mf->role, "emotion") ||
                 !strncmp(mf->role, "emotion ", 8);
        if (!nn || (only && strcmp(only, mf->name)))
            continue;
        int r = bench_model(cli, mf, iterations, times);
        if (r >= 0)
            ran++;
        if (r > 0)
            missed++;
    }
    free(times);
    if (missed)
        printf("nn: %d model(s) missed their floor\n", missed);
    return ran ? EMO_EXIT_OK : EMO_EXIT_NOMODEL;
}
