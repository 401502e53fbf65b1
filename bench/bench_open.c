/* emoscope bench --stage open: what it costs to open the analysis (load and
 * prepare every model of the effective settings: the face detectors, the
 * landmarker and mesh, the blendshapes, the emotion ensemble, the overlay)
 * and close it again, once and again in the same process. `emoscope batch`
 * runs its inputs in one process, so what a batch job would save by keeping
 * one pipeline across its inputs is the cost of a reopen, not that of the
 * first open (which includes the process's first use of its heap and of the
 * model files' pages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/pipeline.h>

#include "bench.h"
#include "cli.h"

int emo_bench_open(EmoCli *cli, int argc, char **argv)
{
    int runs = 6;
    for (int i = 1; i < argc; i++) {
        if (emo_bench_stage_arg(argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr, "emoscope bench --stage open: unknown option '%s' (--runs N)\n", argv[i]);
            return EMO_EXIT_USAGE;
        }
    }
    if (runs < 2 || runs > 1000) {
        fprintf(stderr, "emoscope bench --stage open: --runs wants 2..1000\n");
        return EMO_EXIT_USAGE;
    }
    double *wall = calloc((size_t)runs, sizeof(double)), *cpu = calloc((size_t)runs, sizeof(double));
    int status = EMO_EXIT_FAIL;
    if (!wall || !cpu)
        goto done;
    printf("open: the pipeline of the effective settings (models %s, emotion models %s) opened and closed %d times "
           "in one process; wall and CPU (all threads) per open\n",
           cli->models_dir, cli->cfg.emotion.models, runs);
    for (int r = 0; r < runs; r++) {
        EmoPipelineSettings ps;
        emo_pipeline_default_settings(&ps);
        ps.cfg = &cli->cfg;
        ps.models_dir = cli->models_dir;
        ps.draw = 1;
        ps.keep_timeline = 1;
        ps.log = &cli->log;
        EmoPipeline *p = NULL;
        double c0 = emo_bench_cpu_seconds(), w0 = emo_clock_now();
        int err = emo_pipeline_open(&p, &ps);
        double c1 = emo_bench_cpu_seconds(), w1 = emo_clock_now();
        if (err) {
            fprintf(stderr, "bench open: cannot load the models from %s: %s\n", cli->models_dir, emo_strerror(err));
            status = err == EMO_ENOENT ? EMO_EXIT_NOMODEL : EMO_EXIT_FAIL;
            goto done;
        }
        emo_pipeline_close(&p);
        wall[r] = (w1 - w0) * 1e3;
        cpu[r] = (c1 - c0) * 1e3;
        double close_ms = (emo_bench_cpu_seconds() - c1) * 1e3;
        printf("  open %-3d %8.1f ms wall %8.1f ms cpu   close %6.2f ms cpu\n", r + 1, wall[r], cpu[r], close_ms);
    }
    /* The reopens: every run after the first, median. */
    qsort(wall + 1, (size_t)runs - 1, sizeof(double), emo_bench_cmp_double);
    qsort(cpu + 1, (size_t)runs - 1, sizeof(double), emo_bench_cmp_double);
    printf("first open %.1f ms cpu; reopen median %.1f ms wall, %.1f ms cpu (%d reopens)\n", cpu[0],
           wall[1 + (runs - 1) / 2], cpu[1 + (runs - 1) / 2], runs - 1);
    status = 0;
done:
    free(wall);
    free(cpu);
    return status;
}
