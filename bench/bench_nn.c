/* bench --stage nn (placeholder until issue 3 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_nn(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'nn' comes with issue 3\n");
    return EMO_EXIT_FAIL;
}
