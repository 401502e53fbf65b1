/* A record is in both result files or in neither: when the CSV write fails
 * (here: /dev/full, which answers ENOSPC) after the JSONL line went out, the
 * JSONL line is taken back. Regression test for results.c. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <cjson/cJSON.h>
#include <emoscope/io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };

static void test_csv_full_takes_jsonl_back(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        fail_msg("/dev/full is needed by this test");
    const char *dir = emo_test_tmpdir("robust-results-full");
    char j[4200];
    snprintf(j, sizeof(j), "%s/r.jsonl", dir);
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, j, "/dev/full", &quiet), 0);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "frame", 7);
    cJSON_AddStringToObject(r, "label", "happy");
    assert_int_equal(emo_results_write(w, r), EMO_EIO);
    assert_int_equal(emo_results_count(w), 0);
    /* Later records are refused too: the files stay as they were. */
    assert_int_equal(emo_results_write(w, r), EMO_EIO);
    cJSON_Delete(r);
    assert_int_not_equal(emo_results_close(&w), 0);
    size_t n = 99;
    char *s = emo_test_read_file(j, &n);
    assert_int_equal(n, 0); /* the JSONL line whose CSV row failed is gone */
    free(s);
}

static void test_jsonl_full(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("robust-results-full2");
    char c[4200];
    snprintf(c, sizeof(c), "%s/r.csv", dir);
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, "/dev/full", c, &quiet), 0);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "frame", 1);
    assert_int_equal(emo_results_write(w, r), EMO_EIO);
    cJSON_Delete(r);
    assert_int_equal(emo_results_count(w), 0);
    assert_int_not_equal(emo_results_close(&w), 0);
    size_t n = 99;
    char *s = emo_test_read_file(c, &n);
    assert_int_equal(n, 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_full_takes_jsonl_back),
        cmocka_unit_test(test_jsonl_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
