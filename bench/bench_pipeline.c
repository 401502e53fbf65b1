/* bench --stage pipeline (placeholder until issue 8 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_pipeline(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'pipeline' comes with issue 8\n");
    return EMO_EXIT_FAIL;
}
