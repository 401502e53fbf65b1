/*
 * emoscope model info MODEL
 * emoscope model run MODEL --input IN.f32 [--input ...] --output DIR [--threads N]
 *
 * MODEL is a path, BUNDLE:MEMBER for a model inside a task bundle (e.g.
 * models/face_landmarker.task:face_blendshapes.tflite), or a model name
 * known to `emoscope models`. Tensors are
 * raw little-endian float32 in NHWC order with the model's shapes.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include <emoscope/io.h>
#include <emoscope/nn.h>

static void resolve(const EmoCli *cli, const char *arg, char *out, size_t n)
{
    struct stat st;
    const EmoModelFile *mf;
    if (stat(arg, &st) != 0 && (mf = emo_model_file_find(arg)) != NULL)
        snprintf(out, n, "%s/%s", cli->models_dir, mf->file);
    else
        snprintf(out, n, "%s", arg);
}

static void print_tensor(const char *what, int i, const EmoNnTensorInfo *t)
{
    printf("%s %d: %s [", what, i, t->name);
    for (int d = 0; d < t->rank; d++)
        printf("%s%d", d ? "," : "", t->shape[d]);
    printf("] (%zu floats)\n", t->count);
}

static int read_f32(const char *path, float *dst, size_t count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "emoscope model: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t got = fread(dst, sizeof(float), count, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != count || extra) {
        fprintf(stderr, "emoscope model: %s must hold exactly %zu float32 values (%zu bytes)\n", path, count,
                count * sizeof(float));
        return -1;
    }
    return 0;
}

static int write_f32(const char *dir, const char *name, const float *v, size_t count)
{
    char safe[128], path[EMO_PATH_MAX + 160];
    size_t k = 0;
    for (const char *c = name; *c && k + 1 < sizeof(safe); c++)
        safe[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                            *c == '-' || *c == '.'
                        ? *c
                        : '_';
    safe[k] = 0;
    snprintf(path, sizeof(path), "%s/%s.f32", dir, k ? safe : "output");
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, sizeof(float), count, f) != count) {
        fprintf(stderr, "emoscope model: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "emoscope model: cannot write %s\n", path);
        return -1;
    }
    printf("wrote %s\n", path);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: emoscope model info MODEL [--threads N]\n"
                    "       emoscope model run MODEL --input IN.f32 [--input ...] --output DIR [--threads N]\n");
    return EMO_EXIT_USAGE;
}

int emo_cmd_model(EmoCli *cli, int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *verb = argv[1];
    const char *inputs[8];
    int n_inputs = 0, threads = 1;
    const char *out_dir = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc) {
            if (n_inputs == 8) {
                fprintf(stderr, "emoscope model: at most 8 inputs\n");
                return EMO_EXIT_USAGE;
            }
            inputs[n_inputs++] = argv[++i];
        } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            char *end;
            long t = strtol(argv[++i], &end, 10);
            if (*end || t < 0 || t > 64) {
                fprintf(stderr, "emoscope model: --threads takes 0 (all cores) to 64\n");
                return EMO_EXIT_USAGE;
            }
            threads = (int)t;
        } else {
            fprintf(stderr, "emoscope model: unknown argument '%s'\n", argv[i]);
            return usage();
        }
    }
    int run = !strcmp(verb, "run");
    if (!run && strcmp(verb, "info"))
        return usage();
    if (run && !out_dir) {
        fprintf(stderr, "emoscope model run: --output DIR is required\n");
        return EMO_EXIT_USAGE;
    }

    char path[EMO_PATH_MAX + 128];
    resolve(cli, argv[2], path, sizeof(path));
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.threads = threads;
    s.log = &cli->log;
    EmoNnModel *m = NULL;
    /* BUNDLE:MEMBER names a model inside a task bundle (a zip). */
    const char *member = NULL;
    char *colon = strrchr(path, ':');
    struct stat st;
    if (colon && stat(path, &st) != 0) {
        *colon = 0;
        if (stat(path, &st) == 0)
            member = colon + 1;
        else
            *colon = ':';
    }
    int err = member ? emo_nn_open_member(&m, path, member, &s) : emo_nn_open(&m, path, &s);
    if (err) {
        fprintf(stderr, "emoscope model: cannot load %s: %s\n", path, emo_strerror(err));
        return err == EMO_ENOENT ? EMO_EXIT_NOMODEL : EMO_EXIT_FAIL;
    }
    int status = EMO_EXIT_OK;
    if (!run) {
        char buf[4096];
        emo_nn_describe(m, buf, sizeof(buf));
        fputs(buf, stdout);
        goto done;
    }
    if (n_inputs != emo_nn_num_inputs(m)) {
        fprintf(stderr, "emoscope model run: the model takes %d input(s), %d given\n", emo_nn_num_inputs(m), n_inputs);
        status = EMO_EXIT_USAGE;
        goto done;
    }
    for (int i = 0; i < n_inputs; i++) {
        EmoNnTensorInfo t;
        emo_nn_input_info(m, i, &t);
        print_tensor("input", i, &t);
        if (read_f32(inputs[i], emo_nn_input(m, i), t.count)) {
            status = EMO_EXIT_FAIL;
            goto done;
        }
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "emoscope model run: cannot create %s: %s\n", out_dir, strerror(errno));
        status = EMO_EXIT_FAIL;
        goto done;
    }
    double t0 = emo_clock_now();
    err = emo_nn_run(m);
    double ms = (emo_clock_now() - t0) * 1e3;
    if (err) {
        fprintf(stderr, "emoscope model run: %s\n", emo_strerror(err));
        status = EMO_EXIT_FAIL;
        goto done;
    }
    for (int i = 0; i < emo_nn_num_outputs(m); i++) {
        EmoNnTensorInfo t;
        emo_nn_output_info(m, i, &t);
        print_tensor("output", i, &t);
        if (write_f32(out_dir, t.name, emo_nn_output(m, i), t.count)) {
            status = EMO_EXIT_FAIL;
            goto done;
        }
    }
    printf("ran in %.2f ms (first run, %d thread(s))\n", ms, emo_nn_threads(m));
done:
    emo_nn_close(&m);
    return status;
}
