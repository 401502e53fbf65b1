/* The models folder search (emo_models_dir, src/io/models_dir.c): explicit
 * choices win in order (setting, environment); then the first existing of
 * the install-relative folders, the caller's fallback and the compiled-in
 * one; with none existing, the folder the user would fill. Also the real
 * entry point: the environment variable, and a build-tree program that is
 * no install finding the fallback. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <emoscope/io.h>

#include "io/models_dir.h"

static char root[256], a[300], b[300], c[300], none[300];

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/emo_models_dir_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(a, sizeof(a), "%s/a", root);
    snprintf(b, sizeof(b), "%s/b", root);
    snprintf(c, sizeof(c), "%s/c", root);
    snprintf(none, sizeof(none), "%s/none", root);
    return mkdir(a, 0755) || mkdir(b, 0755) || mkdir(c, 0755);
}

static int teardown(void **state)
{
    rmdir(a);
    rmdir(b);
    rmdir(c);
    rmdir(root);
    return 0;
}

static EmoModelsDirFrom pick(const EmoModelsDirSearch *s, char *out)
{
    return emo__models_dir_pick(out, EMO_PATH_MAX, s);
}

static void explicit_choices_first(void **state)
{
    char out[EMO_PATH_MAX];
    /* Taken even when they do not exist: the user asked for them. */
    EmoModelsDirSearch s = { .setting = none, .env = a, .relative = { b }, .fallback = c, .builtin = c };
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_SETTING);
    assert_string_equal(out, none);
    s.setting = "";
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_ENV);
    assert_string_equal(out, a);
    s.env = "";
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_RELATIVE);
    assert_string_equal(out, b);
}

static void first_existing_wins(void **state)
{
    char out[EMO_PATH_MAX];
    /* A moved install prefix: its own folder before the compiled-in one. */
    EmoModelsDirSearch s = { .relative = { none, NULL, b }, .fallback = none, .builtin = c };
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_RELATIVE);
    assert_string_equal(out, b);
    /* The build tree: no install beside the program, the fallback exists. */
    s.relative[2] = NULL;
    s.fallback = a;
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_FALLBACK);
    assert_string_equal(out, a);
    /* A library user (no fallback) with an install at the configured prefix. */
    s.fallback = NULL;
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_BUILTIN);
    assert_string_equal(out, c);
    /* A missing fallback does not hide an existing compiled-in folder. */
    s.fallback = none;
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_BUILTIN);
    assert_string_equal(out, c);
}

static void nothing_exists(void **state)
{
    char out[EMO_PATH_MAX];
    EmoModelsDirSearch s = { .relative = { none }, .fallback = none, .builtin = "/nonexistent/emoscope/models" };
    /* The folder `make models` fills, named in the "missing" messages. */
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_FALLBACK);
    assert_string_equal(out, none);
    s.fallback = NULL;
    assert_int_equal(pick(&s, out), EMO_MODELS_FROM_BUILTIN);
    assert_string_equal(out, "/nonexistent/emoscope/models");
    /* Truncated, never overflowed. */
    char small[8];
    assert_int_equal(emo__models_dir_pick(small, sizeof(small), &s), EMO_MODELS_FROM_BUILTIN);
    assert_string_equal(small, "/nonexi");
}

static void entry_point(void **state)
{
    char out[EMO_PATH_MAX];
    assert_int_equal(setenv("EMOSCOPE_MODELS_DIR", a, 1), 0);
    emo_models_dir(out, sizeof(out), b, c);
    assert_string_equal(out, b);
    emo_models_dir(out, sizeof(out), "", c);
    assert_string_equal(out, a);
    assert_int_equal(unsetenv("EMOSCOPE_MODELS_DIR"), 0);
    /* This test program lies in the build tree, where no share/emoscope/models
     * is beside it: the fallback is found. */
    emo_models_dir(out, sizeof(out), NULL, c);
    assert_string_equal(out, c);
    emo_models_dir(out, sizeof(out), NULL, EMO_TEST_MODELS_DIR);
    assert_string_equal(out, EMO_TEST_MODELS_DIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(explicit_choices_first),
        cmocka_unit_test(first_existing_wins),
        cmocka_unit_test(nothing_exists),
        cmocka_unit_test(entry_point),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
