/* emoscope eval (placeholder until its issue lands). */
#include <stdio.h>

#include "cli.h"

int emo_cmd_eval(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope eval: not available yet: evaluation comes with issue 5\n");
    return EMO_EXIT_FAIL;
}
