/* bench --stage emotion (placeholder until issue 5 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_emotion(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'emotion' comes with issue 5\n");
    return EMO_EXIT_FAIL;
}
