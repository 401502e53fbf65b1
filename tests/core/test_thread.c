/* Thread names: emo__thread_name() names the calling thread only, and a
 * name longer than the kernel keeps is cut to its first 15 characters. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <pthread.h>
#include <string.h>

#include "core/thread.h"

#ifdef __linux__
#include <sys/prctl.h>

static void current_name(char out[16])
{
    memset(out, 0, 16);
    assert_int_equal(prctl(PR_GET_NAME, out, 0, 0, 0), 0);
}

static void *named(void *arg)
{
    char *out = arg;
    emo__thread_name("emo-test-thread-with-a-long-name");
    current_name(out);
    return NULL;
}

static void test_names_the_caller_only(void **state)
{
    (void)state;
    char before[16], after[16], in_thread[16];
    current_name(before);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, named, in_thread), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_string_equal(in_thread, "emo-test-thread"); /* 15 characters kept */
    current_name(after);
    assert_string_equal(after, before);
    emo__thread_name("emo-short");
    current_name(after);
    assert_string_equal(after, "emo-short");
    emo__thread_name(before);
}
#else
static void test_names_the_caller_only(void **state)
{
    (void)state;
    skip(); /* thread names are set on Linux only */
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_the_caller_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
