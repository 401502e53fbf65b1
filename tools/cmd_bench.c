/* emoscope bench (placeholder until its issue lands). */
#include <stdio.h>

#include "cli.h"

int emo_cmd_bench(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope bench: not available yet: benchmarks come with issues 2-8\n");
    return EMO_EXIT_FAIL;
}
