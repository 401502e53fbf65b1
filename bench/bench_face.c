/* bench --stage face (placeholder until issue 4 lands). */
#include <stdio.h>

#include "bench.h"

int emo_bench_face(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: stage 'face' comes with issue 4\n");
    return EMO_EXIT_FAIL;
}
