/* emoscope model (placeholder until its issue lands). */
#include <stdio.h>

#include "cli.h"

int emo_cmd_model(EmoCli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fprintf(stderr, "emoscope model: not available yet: the model runner comes with issue 3\n");
    return EMO_EXIT_FAIL;
}
