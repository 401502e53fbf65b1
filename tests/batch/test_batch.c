/* batch.h: the list expands folders (recursively, videos only, hidden
 * entries left out), list files and patterns and names the output folders
 * without clashes; the key follows the content and the settings that
 * change results, not threads or log level; an item is done, then
 * skipped, rerun when a setting changes, interrupted or failed without
 * leaving a folder behind; its files equal the CLI's; the index quotes.
 * Real clip, real models. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emoscope/batch.h>
#include <emoscope/config.h>

#define CLIP "testdata/video/d12.mp4"

static char g_dir[512];

static void touch(const char *rel, const char *text)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", g_dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void mkdir_in(const char *rel)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", g_dir, rel);
    assert_int_equal(emo_test_system(cmd), 0);
}

/* Input i's path below g_dir and its output below out, checked. */
static void expect(const EmoBatchList *l, int i, const char *input, const char *output)
{
    char in[700], out[700];
    snprintf(in, sizeof(in), "%s/in/%s", g_dir, input);
    snprintf(out, sizeof(out), "%s/out/%s", g_dir, output);
    assert_string_equal(emo_batch_list_input(l, i), in);
    assert_string_equal(emo_batch_list_output(l, i), out);
}

static void test_list(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "%s", emo_test_tmpdir("batch_list"));
    mkdir_in("in/sub");
    mkdir_in("in/.hidden");
    touch("in/b.mp4", "x");
    touch("in/a.MOV", "xy");
    touch("in/notes.md", "not a video");
    touch("in/sub/a.mp4", "x");
    touch("in/.hidden/c.mp4", "x");
    touch("in/.d.mp4", "x");
    touch("in/list.txt", "# a comment\n\n  b.mp4  \nsub/a.mp4\nmissing.mkv\n");
    char folder[600], list[600], pattern[600], out[600];
    snprintf(folder, sizeof(folder), "%s/in/", g_dir);
    snprintf(list, sizeof(list), "%s/in/list.txt", g_dir);
    snprintf(pattern, sizeof(pattern), "%s/in/*.mp4", g_dir);
    snprintf(out, sizeof(out), "%s/out/", g_dir);

    EmoBatchList *l = NULL;
    const char *const a1[] = { folder };
    assert_int_equal(emo_batch_list_open(&l, a1, 1, out, NULL), 0);
    assert_int_equal(emo_batch_list_count(l), 3);
    expect(l, 0, "a.MOV", "a");
    expect(l, 1, "b.mp4", "b");
    expect(l, 2, "sub/a.mp4", "sub/a");
    assert_int_equal(emo_batch_list_size(l, 0), 2);
    emo_batch_list_close(&l);
    assert_null(l);

    /* A list (relative to its folder), then a pattern: each input once,
     * clashing names numbered; a missing entry stays an input. */
    const char *const a2[] = { list, pattern };
    assert_int_equal(emo_batch_list_open(&l, a2, 2, out, NULL), 0);
    assert_int_equal(emo_batch_list_count(l), 3);
    expect(l, 0, "b.mp4", "b");
    expect(l, 1, "sub/a.mp4", "a");
    expect(l, 2, "missing.mkv", "missing");
    emo_batch_list_close(&l);

    const char *const a3[] = { pattern, list };
    assert_int_equal(emo_batch_list_open(&l, a3, 2, out, NULL), 0);
    assert_int_equal(emo_batch_list_count(l), 3);
    expect(l, 0, "b.mp4", "b");
    expect(l, 1, "sub/a.mp4", "a");
    emo_batch_list_close(&l);

    char dup[600];
    snprintf(dup, sizeof(dup), "%s/in/sub/a.mp4", g_dir);
    const char *const a4[] = { folder, dup, "/nonexistent/a.mp4" };
    assert_int_equal(emo_batch_list_open(&l, a4, 3, out, NULL), 0);
    assert_int_equal(emo_batch_list_count(l), 4); /* the folder's sub/a.mp4 once */
    assert_string_equal(emo_batch_list_input(l, 3), "/nonexistent/a.mp4");
    char a2name[700];
    snprintf(a2name, sizeof(a2name), "%s/out/a-2", g_dir);
    assert_string_equal(emo_batch_list_output(l, 3), a2name);
    emo_batch_list_close(&l);

    /* The output folder inside the input folder: its files are no inputs. */
    mkdir_in("in/out/b");
    touch("in/out/b/annotated.mp4", "x");
    char inner[600];
    snprintf(inner, sizeof(inner), "%s/in/out", g_dir);
    assert_int_equal(emo_batch_list_open(&l, a1, 1, inner, NULL), 0);
    assert_int_equal(emo_batch_list_count(l), 3);
    emo_batch_list_close(&l);

    /* A list that cannot be read; no arguments. */
    EmoLogger quiet = { .level = EMO_LOG_QUIET };
    const char *const a5[] = { "/nonexistent/list.txt" };
    assert_int_equal(emo_batch_list_open(&l, a5, 1, out, &quiet), EMO_ENOENT);
    assert_null(l);
    assert_int_equal(emo_batch_list_open(&l, a5, 0, out, &quiet), EMO_EINVAL);
}

static void test_key(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    const char *clip = emo_test_shared(CLIP);
    char k0[65], k1[65];
    char *material = NULL;
    assert_int_equal(emo_batch_key(&cfg, NULL, clip, k0, &material), 0);
    assert_int_equal(strlen(k0), 64);
    assert_non_null(strstr(material, "input.sha256="));
    assert_non_null(strstr(material, "face.max_faces="));
    assert_null(strstr(material, "general.threads"));
    free(material);

    /* Threads, workers, log level, stats: the same key. */
    assert_int_equal(emo_config_set(&cfg, "general.threads=3", NULL), 0);
    assert_int_equal(emo_config_set(&cfg, "general.workers=2", NULL), 0);
    assert_int_equal(emo_config_set(&cfg, "general.log_level=debug", NULL), 0);
    emo_batch_share_cores(&cfg, 2);
    assert_int_equal(emo_batch_key(&cfg, NULL, clip, k1, NULL), 0);
    assert_string_equal(k0, k1);

    /* A setting that changes results, or the outputs: another key. */
    assert_int_equal(emo_config_set(&cfg, "face.max_faces=2", NULL), 0);
    assert_int_equal(emo_batch_key(&cfg, NULL, clip, k1, NULL), 0);
    assert_string_not_equal(k0, k1);
    assert_int_equal(emo_config_set(&cfg, "face.max_faces=1", NULL), 0);
    EmoAnalyzeOptions o;
    emo_analyze_default_options(&o);
    o.chart = 0;
    assert_int_equal(emo_batch_key(&cfg, &o, clip, k1, NULL), 0);
    assert_string_not_equal(k0, k1);

    /* Other content: another key; no content: an error. */
    const char *dir = emo_test_tmpdir("batch_key");
    char other[600];
    snprintf(other, sizeof(other), "%s/other.mp4", dir);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fputs("other", f);
    fclose(f);
    assert_int_equal(emo_batch_key(&cfg, NULL, other, k1, NULL), 0);
    assert_string_not_equal(k0, k1);
    assert_int_equal(emo_batch_key(&cfg, NULL, "/nonexistent.mp4", k1, NULL), EMO_ENOENT);
    emo_config_clear(&cfg);

    /* share_cores fills only what is at 0 ("all cores"). */
    emo_config_defaults(&cfg);
    cfg.general.threads = 0;
    cfg.general.workers = 3;
    emo_batch_share_cores(&cfg, 64);
    assert_int_equal(cfg.general.threads, 1);
    assert_int_equal(cfg.general.workers, 3);
    assert_int_equal(cfg.video.decode_threads, 1);
    assert_int_equal(cfg.output.video_threads, 1); /* the encoder too */
    emo_config_clear(&cfg);
}

/* Entries of dir whose name starts with '.' (temporary folders). */
static int hidden_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void file_text(const char *dir, const char *name, char **text, size_t *n)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    *text = emo_test_read_file(path, n);
}

static void stop_now(void *opaque, const EmoAnalyzeProgress *p)
{
    if (p->frames >= 3)
        *(volatile int *)opaque = 1;
}

static void test_item(void **state)
{
    (void)state;
    char dir[512], out[600], cli_dir[600], cmd[2048];
    snprintf(dir, sizeof(dir), "%s", emo_test_tmpdir("batch_item"));
    snprintf(out, sizeof(out), "%s/out/d12", dir);
    snprintf(cli_dir, sizeof(cli_dir), "%s/cli", dir);
    const char *clip = emo_test_shared(CLIP);
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    assert_int_equal(emo_config_set(&cfg, "video.max_frames=25", NULL), 0);
    assert_int_equal(emo_config_set(&cfg, "output.video=false", NULL), 0);
    emo_batch_share_cores(&cfg, 2);
    EmoAnalyzeOptions o;
    emo_analyze_default_options(&o);
    o.models_dir = EMO_TEST_MODELS_DIR;
    EmoLogger quiet = { .level = EMO_LOG_QUIET };
    EmoBatchResult r;

    assert_int_equal(emo_batch_item(&cfg, clip, out, &o, &r, &quiet), 0);
    assert_int_equal(r.status, EMO_BATCH_DONE);
    assert_int_equal(r.frames, 25);
    assert_string_equal(r.error, "");
    char outs[600];
    snprintf(outs, sizeof(outs), "%s/out", dir);
    assert_int_equal(hidden_entries(outs), 0);

    /* The files are the CLI's (other threads and workers, same results). */
    snprintf(cmd, sizeof(cmd), "'%s' analyze '%s' --out '%s' --video.max_frames=25 --output.video=false >/dev/null",
             EMO_TEST_CLI, clip, cli_dir);
    assert_int_equal(emo_test_system(cmd), 0);
    static const char *const files[] = { "results.jsonl", "results.csv", "events.jsonl", "summary.json" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *a, *b;
        size_t na, nb;
        file_text(out, files[i], &a, &na);
        file_text(cli_dir, files[i], &b, &nb);
        if (na != nb || memcmp(a, b, na))
            fail_msg("%s of the batch item differs from the CLI's", files[i]);
        free(a);
        free(b);
    }
    char *key;
    size_t nk;
    file_text(out, EMO_BATCH_KEY_FILE, &key, &nk);
    assert_memory_equal(key, r.key, 64);
    free(key);

    /* Again: skipped, with the frames the key file records. */
    char first[65];
    snprintf(first, sizeof(first), "%s", r.key);
    assert_int_equal(emo_batch_item(&cfg, clip, out, &o, &r, &quiet), 0);
    assert_int_equal(r.status, EMO_BATCH_SKIPPED);
    assert_int_equal(r.frames, 25);

    /* A changed setting: analysed again, the folder replaced. */
    assert_int_equal(emo_config_set(&cfg, "video.max_frames=20", NULL), 0);
    assert_int_equal(emo_batch_item(&cfg, clip, out, &o, &r, &quiet), 0);
    assert_int_equal(r.status, EMO_BATCH_DONE);
    assert_int_equal(r.frames, 20);
    assert_string_not_equal(r.key, first);
    file_text(out, EMO_BATCH_KEY_FILE, &key, &nk);
    assert_memory_equal(key, r.key, 64);
    free(key);
    assert_int_equal(hidden_entries(outs), 0);

    /* Stopped midway: interrupted, the finished folder untouched, no temporary one left. */
    volatile int stop = 0;
    o.stop = &stop;
    o.progress = stop_now;
    o.opaque = (void *)&stop;
    assert_int_equal(emo_config_set(&cfg, "video.max_frames=0", NULL), 0);
    assert_int_equal(emo_batch_item(&cfg, clip, out, &o, &r, &quiet), EMO_EINTR);
    assert_int_equal(r.status, EMO_BATCH_INTERRUPTED);
    assert_int_equal(hidden_entries(outs), 0);
    file_text(out, EMO_BATCH_KEY_FILE, &key, &nk);
    assert_non_null(strstr(key, "frames=20"));
    free(key);
    /* Not started when the flag is already set. */
    assert_int_equal(emo_batch_item(&cfg, clip, out, &o, &r, &quiet), EMO_EINTR);
    assert_string_equal(r.error, "not started");
    o.stop = NULL;
    o.progress = NULL;

    /* A corrupt input: failed with the message, no folder. */
    char junk[600], junk_out[600];
    snprintf(junk, sizeof(junk), "%s/junk.mp4", dir);
    snprintf(junk_out, sizeof(junk_out), "%s/out/junk", dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not a video at all", f);
    fclose(f);
    assert_int_not_equal(emo_batch_item(&cfg, junk, junk_out, &o, &r, &quiet), 0);
    assert_int_equal(r.status, EMO_BATCH_FAILED);
    assert_non_null(strstr(r.error, "cannot open"));
    assert_int_not_equal(access(junk_out, F_OK), 0);
    assert_int_equal(hidden_entries(outs), 0);
    assert_int_not_equal(emo_batch_item(&cfg, "/nonexistent.mp4", junk_out, &o, &r, &quiet), 0);
    assert_non_null(strstr(r.error, "cannot read"));
    emo_config_clear(&cfg);
}

static void test_index(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("batch_index");
    char in[600], out[600], path[700];
    snprintf(in, sizeof(in), "%s/a,b.mp4", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(path, sizeof(path), "%s/batch.csv", dir);
    EmoBatchList *l = NULL;
    const char *const args[] = { in };
    assert_int_equal(emo_batch_list_open(&l, args, 1, out, NULL), 0);
    EmoBatchResult r = { .status = EMO_BATCH_FAILED, .frames = 0, .seconds = 0.5 };
    snprintf(r.error, sizeof(r.error), "say \"no\"");
    assert_int_equal(emo_batch_write_index(path, l, &r), 0);
    size_t n;
    char *text = emo_test_read_file(path, &n);
    char want[2048];
    /* The output folder's name holds the comma too: quoted as well. */
    snprintf(want, sizeof(want),
             "input,status,output,frames,seconds,error\n\"%s\",failed,\"%s/a,b\",0,0.50,\"say \"\"no\"\"\"\n", in,
             out);
    assert_string_equal(text, want);
    free(text);
    emo_batch_list_close(&l);
    assert_string_equal(emo_batch_status_name(EMO_BATCH_SKIPPED), "skipped");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_item),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
