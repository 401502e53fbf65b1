/* emoscope models: list model files, their paths and checksum status. */
#include <stdio.h>

#include "cli.h"
#include <emoscope/io.h>

int emo_cmd_models(EmoCli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("models folder: %s\n\n", cli->models_dir);
    printf("%-15s %-36s %-18s %s\n", "name", "file", "status", "role");
    int bad = 0;
    char path[EMO_PATH_MAX + 128];
    for (const EmoModelFile *m = emo_model_files(); m->name; m++) {
        EmoModelStatus s = emo_model_check(m, cli->models_dir, path, sizeof(path));
        const char *st = emo_model_status_name(s);
        if (s == EMO_MODEL_MISSING && m->optional)
            st = "absent (optional)";
        else if (s != EMO_MODEL_OK)
            bad++;
        printf("%-15s %-36s %-18s %s\n", m->name, m->file, st, m->role);
    }
    if (bad) {
        fprintf(stderr, "\nemoscope: %d model file(s) missing or corrupt; run `make models`\n", bad);
        return EMO_EXIT_NOMODEL;
    }
    return EMO_EXIT_OK;
}
