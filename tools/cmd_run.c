/* emoscope run (placeholder until its issue lands). */
#include <stdio.h>

#include "cli.h"

int emo_cmd_run(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope run: not available yet: the live viewer comes with issue 7\n");
    return EMO_EXIT_FAIL;
}
