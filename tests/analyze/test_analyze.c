/* emo_analyze_file (analyze.h): the files it writes are byte for byte
 * those of `emoscope analyze` with the same settings; progress comes once
 * per frame; the stop flag ends the run with the files complete; an extra
 * sink sees the pipeline, the source and every frame; bad inputs, missing
 * models and unwritable folders fail at their stage with a message. Real
 * clip, real models. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emoscope/analyze.h>
#include <emoscope/config.h>

#define FRAMES 40
#define CLIP "testdata/video/d12.mp4"

static void short_config(EmoConfig *cfg)
{
    emo_config_defaults(cfg);
    assert_int_equal(emo_config_set(cfg, "video.max_frames=40", NULL), 0);
    assert_int_equal(emo_config_set(cfg, "output.video=false", NULL), 0);
}

static void options(EmoAnalyzeOptions *o)
{
    emo_analyze_default_options(o);
    o->models_dir = EMO_TEST_MODELS_DIR;
}

static void same_file(const char *a_dir, const char *b_dir, const char *name)
{
    char a[600], b[600];
    snprintf(a, sizeof(a), "%s/%s", a_dir, name);
    snprintf(b, sizeof(b), "%s/%s", b_dir, name);
    size_t na, nb;
    char *da = emo_test_read_file(a, &na), *db = emo_test_read_file(b, &nb);
    if (na != nb || memcmp(da, db, na))
        fail_msg("%s differs between the library's run and the CLI's (%zu vs %zu bytes)", name, na, nb);
    free(da);
    free(db);
}

static void test_equals_cli(void **state)
{
    (void)state;
    const char *clip = emo_test_shared(CLIP);
    char lib_dir[512], cli_dir[512], cmd[2048];
    snprintf(lib_dir, sizeof(lib_dir), "%s", emo_test_tmpdir("analyze_lib"));
    snprintf(cli_dir, sizeof(cli_dir), "%s", emo_test_tmpdir("analyze_cli"));
    EmoConfig cfg;
    short_config(&cfg);
    EmoAnalyzeOptions o;
    options(&o);
    EmoAnalyzeReport rep;
    EmoLogger quiet = { .level = EMO_LOG_ERROR };
    assert_int_equal(emo_analyze_file(&cfg, clip, lib_dir, &o, &rep, &quiet), 0);
    assert_int_equal(rep.end, EMO_ANALYZE_COMPLETE);
    assert_int_equal(rep.frames, FRAMES);
    assert_true(rep.records > 0);
    snprintf(cmd, sizeof(cmd), "'%s' analyze '%s' --out '%s' --video.max_frames=40 --output.video=false >/dev/null",
             EMO_TEST_CLI, clip, cli_dir);
    assert_int_equal(emo_test_system(cmd), 0);
    static const char *const files[] = { "results.jsonl", "results.csv", "events.jsonl", "events.csv",
                                         "summary.json", "timeline.png" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        same_file(lib_dir, cli_dir, files[i]);
    emo_config_clear(&cfg);
}

typedef struct Watch {
    int calls, stop_at;
    int64_t last;
    int ordered;
    volatile int stop;
} Watch;

static void on_progress(void *opaque, const EmoAnalyzeProgress *p)
{
    Watch *w = opaque;
    w->calls++;
    if (p->frames != w->last + 1 || !(p->duration > 0) || p->wall_s < 0)
        w->ordered = 0;
    w->last = p->frames;
    if (w->stop_at && p->frames == w->stop_at)
        w->stop = 1;
}

static void test_progress_and_stop(void **state)
{
    (void)state;
    EmoConfig cfg;
    short_config(&cfg);
    EmoAnalyzeOptions o;
    options(&o);
    Watch w = { .ordered = 1 };
    o.progress = on_progress;
    o.opaque = &w;
    EmoAnalyzeReport rep;
    EmoLogger quiet = { .level = EMO_LOG_ERROR };
    const char *dir = emo_test_tmpdir("analyze_progress");
    assert_int_equal(emo_analyze_file(&cfg, emo_test_shared(CLIP), dir, &o, &rep, &quiet), 0);
    assert_int_equal(w.calls, FRAMES);
    assert_true(w.ordered);

    /* Stopped at frame 5: EMO_EINTR, the files complete up to there. */
    Watch s = { .ordered = 1, .stop_at = 5 };
    o.opaque = &s;
    o.stop = &s.stop;
    dir = emo_test_tmpdir("analyze_stop");
    assert_int_equal(emo_analyze_file(&cfg, emo_test_shared(CLIP), dir, &o, &rep, &quiet), EMO_EINTR);
    assert_int_equal(rep.end, EMO_ANALYZE_INTERRUPTED);
    assert_true(rep.frames >= 5 && rep.frames < FRAMES);
    char path[600];
    snprintf(path, sizeof(path), "%s/results.jsonl", dir);
    size_t n;
    char *text = emo_test_read_file(path, &n);
    assert_true(n > 0 && text[n - 1] == '\n');
    free(text);
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    free(emo_test_read_file(path, &n));
    emo_config_clear(&cfg);
}

typedef struct Extra {
    int started, frames, ends;
    EmoPipeline *pipe;
    int width;
} Extra;

static void x_start(void *opaque, EmoPipeline *pipe, const EmoVideoInfo *info)
{
    Extra *x = opaque;
    x->started++;
    x->pipe = pipe;
    x->width = info->width;
}

static int x_frame(void *opaque, EmoFrame *f, double t_render, double cpu_render)
{
    Extra *x = opaque;
    (void)f;
    (void)t_render;
    (void)cpu_render;
    x->frames++;
    return 0;
}

static void x_end(void *opaque, const EmoPipelineResult *res)
{
    Extra *x = opaque;
    (void)res;
    x->ends++;
}

static void test_extra_sink(void **state)
{
    (void)state;
    EmoConfig cfg;
    short_config(&cfg);
    EmoAnalyzeOptions o;
    options(&o);
    o.chart = 0;
    Extra x = { 0 };
    EmoLoopSink sink = { .opaque = &x, .on_start = x_start, .on_frame = x_frame, .on_end = x_end };
    o.sinks = &sink;
    o.n_sinks = 1;
    EmoAnalyzeReport rep;
    EmoLogger quiet = { .level = EMO_LOG_ERROR };
    const char *dir = emo_test_tmpdir("analyze_extra");
    assert_int_equal(emo_analyze_file(&cfg, emo_test_shared(CLIP), dir, &o, &rep, &quiet), 0);
    assert_int_equal(x.started, 1);
    assert_non_null(x.pipe);
    assert_int_equal(x.width, rep.info.width);
    assert_int_equal(x.frames, FRAMES);
    assert_int_equal(x.ends, 1);
    char path[600];
    snprintf(path, sizeof(path), "%s/timeline.png", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* chart off */
    emo_config_clear(&cfg);
}

static void test_failures(void **state)
{
    (void)state;
    EmoConfig cfg;
    short_config(&cfg);
    EmoAnalyzeOptions o;
    options(&o);
    EmoAnalyzeReport rep;
    EmoTestErrors errs = { 0 };
    EmoLogger lg = { emo_test_capture_errors, &errs, EMO_LOG_ERROR };
    const char *dir = emo_test_tmpdir("analyze_fail");

    /* Random bytes: the input stage, a message naming the file. */
    char junk[600];
    snprintf(junk, sizeof(junk), "%s/junk.mp4", dir);
    FILE *f = fopen(junk, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    assert_int_not_equal(emo_analyze_file(&cfg, junk, dir, &o, &rep, &lg), 0);
    assert_int_equal(rep.end, EMO_ANALYZE_NOT_RUN);
    assert_int_equal(rep.failed_stage, EMO_ANALYZE_STAGE_INPUT);
    assert_non_null(strstr(rep.error, "cannot open"));
    assert_non_null(strstr(rep.error, "junk.mp4"));
    assert_true(errs.errors > 0);

    /* No models: the models stage, the file named. */
    o.models_dir = dir;
    assert_int_equal(emo_analyze_file(&cfg, emo_test_shared(CLIP), dir, &o, &rep, &lg), EMO_ENOENT);
    assert_int_equal(rep.failed_stage, EMO_ANALYZE_STAGE_MODELS);
    assert_non_null(strstr(rep.error, ".tflite"));

    /* An output folder that cannot be made. */
    o.models_dir = EMO_TEST_MODELS_DIR;
    assert_int_not_equal(emo_analyze_file(&cfg, emo_test_shared(CLIP), "/proc/emoscope-no", &o, &rep, &lg), 0);
    assert_int_equal(rep.failed_stage, EMO_ANALYZE_STAGE_FOLDER);
    assert_non_null(strstr(rep.error, "cannot create output folder"));

    /* Bad arguments. */
    assert_int_equal(emo_analyze_file(&cfg, NULL, dir, &o, &rep, &lg), EMO_EINVAL);
    emo_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_cli),
        cmocka_unit_test(test_progress_and_stop),
        cmocka_unit_test(test_extra_sink),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
