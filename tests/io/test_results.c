/* Result writers: JSONL and CSV agree; records are whole even when the disk fills up. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <cjson/cJSON.h>
#include <emoscope/io.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };

static cJSON *make_record(int frame)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "frame", frame);
    cJSON_AddNumberToObject(r, "t", frame / 25.0);
    cJSON_AddStringToObject(r, "label", frame % 2 ? "happy, \"big\"" : "neutral");
    cJSON *box = cJSON_AddObjectToObject(r, "box");
    cJSON_AddNumberToObject(box, "x", 10.5);
    cJSON_AddNumberToObject(box, "w", 100);
    double p[3] = { 0.25, 0.5, 0.25 };
    cJSON_AddItemToObject(r, "probs", cJSON_CreateDoubleArray(p, 3));
    return r;
}

static int count_lines(const char *path, int *ends_with_newline)
{
    size_t n;
    char *s = emo_test_read_file(path, &n);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += s[i] == '\n';
    *ends_with_newline = n == 0 || s[n - 1] == '\n';
    free(s);
    return lines;
}

static void test_jsonl_and_csv(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("results");
    char j[4200], c[4200];
    snprintf(j, sizeof(j), "%s/r.jsonl", dir);
    snprintf(c, sizeof(c), "%s/r.csv", dir);
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, j, c, &quiet), 0);
    for (int i = 0; i < 10; i++) {
        cJSON *r = make_record(i);
        assert_int_equal(emo_results_write(w, r), 0);
        cJSON_Delete(r);
    }
    assert_int_equal(emo_results_count(w), 10);
    assert_int_equal(emo_results_close(&w), 0);
    assert_null(w);
    size_t n;
    char *csv = emo_test_read_file(c, &n);
    assert_true(!strncmp(csv, "frame,t,label,box.x,box.w,probs\n", 32));
    assert_non_null(strstr(csv, "\n1,0.04,\"happy, \"\"big\"\"\",10.5,100,0.25;0.5;0.25\n"));
    free(csv);
    FILE *f = fopen(j, "r");
    char line[1024];
    int k = 0;
    while (fgets(line, sizeof(line), f)) {
        cJSON *r = cJSON_Parse(line);
        assert_non_null(r);
        assert_int_equal(cJSON_GetObjectItem(r, "frame")->valueint, k);
        cJSON_Delete(r);
        k++;
    }
    fclose(f);
    assert_int_equal(k, 10);
}

static void test_disk_full_keeps_records_whole(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("results-full");
    char j[4200], c[4200];
    snprintf(j, sizeof(j), "%s/r.jsonl", dir);
    snprintf(c, sizeof(c), "%s/r.csv", dir);
    /* A file-size limit makes writes past 3000 bytes fail like a full disk. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 3000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, j, c, &quiet), 0);
    int err = 0, i;
    for (i = 0; i < 1000 && !err; i++) {
        cJSON *r = make_record(i);
        err = emo_results_write(w, r);
        cJSON_Delete(r);
    }
    long written = emo_results_count(w);
    assert_int_equal(err, EMO_EIO);
    assert_true(written > 5 && written < 1000);
    assert_int_equal(emo_results_close(&w), EMO_EIO);
    setrlimit(RLIMIT_FSIZE, &old);
    int nl;
    int lines = count_lines(j, &nl);
    assert_true(nl);
    assert_int_equal(lines, written);
    FILE *f = fopen(j, "r");
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        cJSON *r = cJSON_Parse(line);
        assert_non_null(r);
        cJSON_Delete(r);
    }
    fclose(f);
    lines = count_lines(c, &nl);
    assert_true(nl);
    assert_true(lines >= 1);
}

static void test_unwritable(void **state)
{
    (void)state;
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, "/nonexistent-dir/r.jsonl", NULL, &quiet), EMO_EIO);
    assert_null(w);
    assert_int_equal(emo_results_close(&w), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_and_csv),
        cmocka_unit_test(test_disk_full_keeps_records_whole),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
