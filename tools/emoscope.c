/* emoscope: command-line entry point and sub-command dispatch. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <emoscope/io.h>
#include <emoscope/version.h>

#ifndef EMO_DEFAULT_MODELS_DIR
#define EMO_DEFAULT_MODELS_DIR "models"
#endif
#ifndef EMO_DEFAULT_DATA_DIR
#define EMO_DEFAULT_DATA_DIR "data"
#endif

static const EmoCommand commands[] = {
    { "run", emo_cmd_run, "analyse a live source with the viewer window (default: first camera, else the sample clip)",
      "emoscope run [SOURCE] [--out DIR] [--headless] [--no-pace]\n"
      "  SOURCE: file, /dev/videoN, rtsp/http URL, image, folder or pattern (default: video.source,\n"
      "  else the first camera, else the sample clip); --headless: no window even with a display;\n"
      "  --no-pace: do not play files at their own frame rate" },
    { "analyze", emo_cmd_analyze, "analyse every frame of a file headless and write the outputs",
      "emoscope analyze FILE [--out DIR] [--landmarks] [--no-video] [--no-chart] [--passthrough]\n"
      "  --out DIR: output folder (default general.output_dir); --landmarks: the face's 478 points\n"
      "  (468 with the face-mesh fallback) per record;\n"
      "  --passthrough: decode and encode only (no analysis)" },
    { "batch", emo_cmd_batch, "analyse many files, one output folder each; resumes, skips what is done",
      "emoscope batch INPUTS... --out DIR [--jobs N] [--no-video] [--no-chart] [--landmarks] [--quiet]\n"
      "                [--scheduler tcp://HOST:PORT]\n"
      "  INPUTS: files, folders (their videos and images, recursively), list files (*.txt, *.lst, *.list:\n"
      "  one path a line) or quoted patterns; --jobs N: N files at once (default: one per core, each\n"
      "  with the cores shared out); DIR/batch.csv lists each input's status; Ctrl-C stops cleanly;\n"
      "  --scheduler: run on a Dask cluster (python3 -m emoscope.batch, same arguments)" },
    { "eval", emo_cmd_eval, "emotion accuracy on a folder-per-class data set",
      "emoscope eval DIR [--json FILE] [--models LIST] [--jobs N] [--probs FILE.csv] [--detect] [--quiet]\n"
      "  DIR: one folder per class (FER2013 or CK+ names); --detect: run the face pipeline on each image" },
    { "bench", emo_cmd_bench, "benchmarks printing figures",
      "emoscope bench [--stage decode|nn|face|emotion|motion|render|pipeline|actions|open] [--json] [options]\n"
      "  decode: [--clip FILE] [--runs N] [--all] [--pix-fmt F] [--scaler S]; nn: [--iterations N] [--model NAME];\n"
      "  face: [--frames N] [--size WxH] [--input CLIP]; emotion, motion, render: [--iterations N];\n"
      "  open: [--runs N] (load and prepare the models, as each batch input does)" },
    { "models", emo_cmd_models, "list model files, paths and checksum status", "emoscope models" },
    { "model", emo_cmd_model, "inspect or run one model file on raw tensors",
      "emoscope model info MODEL | emoscope model run MODEL --input IN.f32 [--input ...] --output DIR" },
    { "config", emo_cmd_config, "print the effective settings with units", "emoscope config --dump | --markdown" },
    { NULL, NULL, NULL, NULL },
};

static void main_usage(FILE *out)
{
    fprintf(out,
            "emoscope %s: real-time facial emotion and micro-expression analyser\n\n"
            "usage: emoscope [global options] COMMAND [command options]\n\n"
            "commands:\n",
            emo_version_string());
    for (const EmoCommand *c = commands; c->name; c++)
        fprintf(out, "  %-8s %s\n", c->name, c->summary);
    fprintf(out,
            "\nglobal options (anywhere on the line):\n"
            "  --config FILE        read settings from an INI file\n"
            "  --SECTION.KEY=VALUE  override one setting (see `emoscope config --dump`)\n"
            "  --set SECTION.KEY=VALUE  the same\n"
            "  --log-level LEVEL    error, warn, info or debug\n"
            "  --threads N          analysis threads\n"
            "  -h, --help           this help; `emoscope COMMAND --help` for a command\n"
            "  --version            print the version\n");
}

void emo_cli_usage(const char *command)
{
    for (const EmoCommand *c = commands; c->name; c++)
        if (!strcmp(c->name, command))
            printf("usage: %s\n%s\n", c->usage, c->summary);
}

void emo_cli_sample_clip(const EmoCli *cli, char *out, size_t n)
{
    snprintf(out, n, "%s/video/d6.mp4", cli->data_dir);
}

int main(int argc, char **argv)
{
    static EmoCli cli;
    emo_config_defaults(&cli.cfg);
    cli.log.level = EMO_LOG_INFO;

    /* First pass: global options, removed from argv. Config file first so
     * that overrides apply on top of it whatever their order. */
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    const char **overrides = calloc((size_t)argc + 1, sizeof(char *));
    if (!rest || !overrides) {
        fprintf(stderr, "emoscope: out of memory\n");
        return EMO_EXIT_FAIL;
    }
    int n_rest = 0, n_over = 0, want_help = 0, want_version = 0;
    char threads_buf[64];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version") && n_rest == 0) {
            want_version = 1;
        } else if (!strcmp(a, "--config") && i + 1 < argc) {
            cli.config_path = argv[++i];
        } else if (!strncmp(a, "--config=", 9)) {
            cli.config_path = a + 9;
        } else if ((!strcmp(a, "--set") || !strcmp(a, "-s")) && i + 1 < argc) {
            overrides[n_over++] = argv[++i];
        } else if (!strcmp(a, "--log-level") && i + 1 < argc) {
            static char buf[64];
            snprintf(buf, sizeof(buf), "general.log_level=%s", argv[++i]);
            overrides[n_over++] = buf;
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            snprintf(threads_buf, sizeof(threads_buf), "general.threads=%s", argv[++i]);
            overrides[n_over++] = threads_buf;
        } else if (!strncmp(a, "--", 2) && strchr(a, '=') && strchr(a, '.') && strchr(a, '.') < strchr(a, '=')) {
            overrides[n_over++] = a + 2;
        } else if ((!strcmp(a, "-h") || !strcmp(a, "--help")) && n_rest == 0) {
            want_help = 1;
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    if (want_version) {
        printf("emoscope %s\n", emo_version_string());
        free(rest);
        free(overrides);
        return EMO_EXIT_OK;
    }
    if (want_help || n_rest == 0) {
        main_usage(n_rest == 0 && !want_help ? stderr : stdout);
        free(rest);
        free(overrides);
        return want_help ? EMO_EXIT_OK : EMO_EXIT_USAGE;
    }
    int status = EMO_EXIT_USAGE;
    if (cli.config_path && emo_config_load(&cli.cfg, cli.config_path, &cli.log))
        goto done;
    for (int i = 0; i < n_over; i++)
        if (emo_config_set(&cli.cfg, overrides[i], &cli.log))
            goto done;
    if (emo_log_level_parse(cli.cfg.general.log_level, &cli.log.level)) {
        fprintf(stderr, "emoscope: general.log_level '%s' is not error, warn, info or debug\n",
                cli.cfg.general.log_level);
        goto done;
    }
    cli.overrides = overrides;
    cli.n_overrides = n_over;
    emo_models_dir(cli.models_dir, sizeof(cli.models_dir), cli.cfg.general.models_dir, EMO_DEFAULT_MODELS_DIR);
    const char *data_env = getenv("EMOSCOPE_DATA_DIR");
    snprintf(cli.data_dir, sizeof(cli.data_dir), "%s", data_env && data_env[0] ? data_env : EMO_DEFAULT_DATA_DIR);

    for (const EmoCommand *c = commands; c->name; c++) {
        if (!strcmp(c->name, rest[0])) {
            for (int i = 1; i < n_rest; i++) {
                if (!strcmp(rest[i], "-h") || !strcmp(rest[i], "--help")) {
                    emo_cli_usage(c->name);
                    status = EMO_EXIT_OK;
                    goto done;
                }
            }
            status = c->run(&cli, n_rest, rest);
            goto done;
        }
    }
    fprintf(stderr, "emoscope: unknown command '%s' (see emoscope --help)\n", rest[0]);
done:
    emo_config_clear(&cli.cfg);
    free(rest);
    free(overrides);
    return status;
}
