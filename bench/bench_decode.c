/* bench --stage decode (placeholder until issue 2 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_decode(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'decode' comes with issue 2\n");
    return EMO_EXIT_FAIL;
}
