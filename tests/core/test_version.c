/* The version: the headers' macros, the library's run-time calls and the
 * project version CMake read from version.h all agree. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <emoscope/version.h>

static void test_agree(void **state)
{
    (void)state;
    assert_int_equal(emo_version(), EMO_VERSION_NUMBER);
    assert_string_equal(emo_version_string(), EMO_VERSION_STRING);
    assert_string_equal(emo_version_string(), EMO_TEST_PROJECT_VERSION);
    unsigned major, minor, patch;
    char tail;
    assert_int_equal(sscanf(emo_version_string(), "%u.%u.%u%c", &major, &minor, &patch, &tail), 3);
    assert_int_equal(major, EMO_VERSION_MAJOR);
    assert_int_equal(minor, EMO_VERSION_MINOR);
    assert_int_equal(patch, EMO_VERSION_PATCH);
    assert_int_equal(emo_version(), (major << 16) | (minor << 8) | patch);
}

static void test_ordered(void **state)
{
    (void)state;
    /* Minor and patch fit their 8 bits, so the numbers order as the versions. */
    assert_true(EMO_VERSION_MINOR < 256 && EMO_VERSION_PATCH < 256);
    assert_true(EMO_VERSION_INT(1, 2, 3) > EMO_VERSION_INT(1, 1, 255));
    assert_true(EMO_VERSION_INT(2, 0, 0) > EMO_VERSION_INT(1, 255, 255));
    assert_true(EMO_VERSION_NUMBER >= EMO_VERSION_INT(0, 1, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree),
        cmocka_unit_test(test_ordered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
