/* emoscope config --dump: the effective settings, with units and defaults. */
#include <stdio.h>
#include <string.h>

#include <emoscope/version.h>

#include "cli.h"

int emo_cmd_config(EmoCli *cli, int argc, char **argv)
{
    int dump = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump")) {
            dump = 1;
        } else if (!strcmp(argv[i], "--markdown")) {
            /* The settings table of the README is generated from this. */
            printf("| setting | unit | default | meaning |\n| --- | --- | --- | --- |\n");
            for (const EmoSettingDesc *d = emo_config_table(); d->section; d++)
                printf("| `%s.%s` | %s | %s | %s |\n", d->section, d->key, d->unit,
                       d->def[0] ? d->def : "(empty)", d->help);
            return EMO_EXIT_OK;
        } else {
            fprintf(stderr, "emoscope config: unknown option '%s'\n", argv[i]);
            return EMO_EXIT_USAGE;
        }
    }
    if (!dump) {
        emo_cli_usage("config");
        return EMO_EXIT_USAGE;
    }
    printf("; emoscope %s effective settings%s%s\n", emo_version_string(), cli->config_path ? " from " : "",
           cli->config_path ? cli->config_path : "");
    emo_config_dump(&cli->cfg, stdout);
    return EMO_EXIT_OK;
}
