/* bench --stage motion (placeholder until issue 6 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_motion(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'motion' comes with issue 6\n");
    return EMO_EXIT_FAIL;
}
