/* emoscope analyze (placeholder until its issue lands). */
#include <stdio.h>

#include "cli.h"

int emo_cmd_analyze(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope analyze: not available yet: analysis comes with issues 4-7\n");
    return EMO_EXIT_FAIL;
}
