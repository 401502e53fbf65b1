/* The emoscope command-line program: shared state of the sub-commands. */
#ifndef EMOSCOPE_TOOLS_CLI_H
#define EMOSCOPE_TOOLS_CLI_H

#include <emoscope/config.h>
#include <emoscope/core.h>

typedef struct EmoCli {
    EmoConfig cfg;          /* defaults, then --config file, then overrides */
    EmoLogger log;
    char models_dir[EMO_PATH_MAX];
    char data_dir[EMO_PATH_MAX];
    const char *config_path;
    const char *const *overrides; /* the "section.key=value" overrides given, in order */
    int n_overrides;
} EmoCli;

typedef struct EmoCommand {
    const char *name;
    int (*run)(EmoCli *cli, int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    const char *usage;
} EmoCommand;

/* Each sub-command lives in its own tools/cmd_*.c file. */
int emo_cmd_run(EmoCli *cli, int argc, char **argv);
int emo_cmd_analyze(EmoCli *cli, int argc, char **argv);
int emo_cmd_batch(EmoCli *cli, int argc, char **argv);
int emo_cmd_eval(EmoCli *cli, int argc, char **argv);
int emo_cmd_bench(EmoCli *cli, int argc, char **argv);
int emo_cmd_models(EmoCli *cli, int argc, char **argv);
int emo_cmd_model(EmoCli *cli, int argc, char **argv);
int emo_cmd_config(EmoCli *cli, int argc, char **argv);

/* Exit statuses of the program. */
enum {
    EMO_EXIT_OK = 0,
    EMO_EXIT_FAIL = 1,      /* the job failed (bad input, I/O error) */
    EMO_EXIT_USAGE = 2,     /* bad command line or config */
    EMO_EXIT_PARTIAL = 3,   /* input ended early or broke: results so far are written */
    EMO_EXIT_INTERRUPTED = 4, /* stopped by SIGINT/SIGTERM: results so far are written */
    EMO_EXIT_NOMODEL = 5,   /* a model file is missing or corrupt */
};

/* Prints usage of one command to stdout. */
void emo_cli_usage(const char *command);
/* Path of the sample clip the demo and `run` fall back to. */
void emo_cli_sample_clip(const EmoCli *cli, char *out, size_t n);

#endif
