/* emoscope bench: dispatch to the benchmark stages in bench/. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"

typedef struct Stage {
    const char *name;
    int (*run)(EmoCli *cli, int argc, char **argv);
} Stage;

static const Stage stages[] = {
    { "decode", emo_bench_decode },   { "nn", emo_bench_nn },         { "face", emo_bench_face },
    { "emotion", emo_bench_emotion }, { "motion", emo_bench_motion }, { "render", emo_bench_render },
    { "pipeline", emo_bench_pipeline }, { "actions", emo_bench_actions }, { "open", emo_bench_open },
    { NULL, NULL },
};

int emo_bench_stage_arg(int argc, char **argv, int *i)
{
    if (!strcmp(argv[*i], "--stage") && *i + 1 < argc) {
        ++*i;
        return 1;
    }
    return !strncmp(argv[*i], "--stage=", 8);
}

int emo_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double emo_bench_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int emo_cmd_bench(EmoCli *cli, int argc, char **argv)
{
    const char *stage = "pipeline";
    for (int i = 1; i < argc; i++) {
        int at = i;
        if (emo_bench_stage_arg(argc, argv, &i))
            stage = i > at ? argv[i] : argv[i] + 8;
    }
    for (const Stage *s = stages; s->name; s++)
        if (!strcmp(s->name, stage))
            return s->run(cli, argc, argv);
    fprintf(stderr, "emoscope bench: unknown stage '%s' (decode, nn, face, emotion, motion, render, pipeline, actions, open)\n", stage);
    return EMO_EXIT_USAGE;
}
