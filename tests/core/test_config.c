/* Settings: defaults valid, INI loading, overrides, errors with names, secrets. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <emoscope/config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };

static void test_defaults_are_valid(void **state)
{
    (void)state;
    EmoConfig c;
    emo_config_defaults(&c);
    /* Every default must parse under its own rules. */
    for (const EmoSettingDesc *d = emo_config_table(); d->section; d++) {
        EmoConfig t;
        emo_config_defaults(&t);
        if (d->secret)
            continue;
        assert_int_equal(emo_config_set_value(&t, d->section, d->key, d->def, &quiet), 0);
    }
    assert_int_equal(c.video.width, 1920);
    assert_int_equal(c.video.height, 1080);
    assert_true(c.video.fps == 60.0);
    assert_true(c.motion.threshold == 3.0);
    assert_true(c.emotion.interval == 0.0);
    assert_string_equal(c.render.branding, "emoscope");
    emo_config_clear(&c);
}

static void test_load_and_override(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("config");
    char path[4200];
    snprintf(path, sizeof(path), "%s/a.ini", dir);
    write_file(path, "[face]\nmax_faces = 2\n[emotion]\ninterval=0.3\n[model.mine]\nfile = x.hdf5\nweight = 0.5\n"
                     "[api]\nkey = s3cret\n");
    EmoConfig c;
    emo_config_defaults(&c);
    assert_int_equal(emo_config_load(&c, path, &quiet), 0);
    assert_int_equal(c.face.max_faces, 2);
    assert_true(c.emotion.interval == 0.3);
    assert_int_equal(emo_config_extra_count(&c), 1);
    assert_string_equal(emo_config_extra_name(&c, 0), "model.mine");
    assert_string_equal(emo_config_extra_get(&c, 0, "weight"), "0.5");
    assert_int_equal(emo_config_set(&c, "face.max_faces=3", &quiet), 0);
    assert_int_equal(c.face.max_faces, 3);
    assert_int_equal(emo_config_set(&c, "model.mine.weight=2", &quiet), 0);
    assert_string_equal(emo_config_extra_get(&c, 0, "weight"), "2");
    /* The key is never dumped. */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    emo_config_dump(&c, m);
    fclose(m);
    assert_null(strstr(buf, "s3cret"));
    assert_non_null(strstr(buf, "max_faces = 3"));
    free(buf);
    assert_string_equal(emo_config_api_key(&c), "s3cret");
    emo_config_clear(&c);
}

static void test_bad_input(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("config-bad");
    char path[4200];
    EmoConfig c;
    emo_config_defaults(&c);
    assert_int_equal(emo_config_set(&c, "face.max_faces=banana", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "face.max_faces=100000", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "face.nope=1", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "novalue", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "motion.threshold=nan", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "render.overlay=maybe", &quiet), EMO_EINVAL);
    snprintf(path, sizeof(path), "%s/bad.ini", dir);
    write_file(path, "[face]\nmax_faces = 2\nthis line is broken\n");
    assert_int_equal(emo_config_load(&c, path, &quiet), EMO_EINVAL);
    write_file(path, "orphan = 1\n");
    assert_int_equal(emo_config_load(&c, path, &quiet), EMO_EINVAL);
    snprintf(path, sizeof(path), "%s/missing.ini", dir);
    assert_int_equal(emo_config_load(&c, path, &quiet), EMO_ENOENT);
    emo_config_clear(&c);
}

/* The heap form bindings use: defaults in, extra sections freed, NULL safe. */
static void test_new_and_free(void **state)
{
    (void)state;
    EmoConfig *c = NULL, ref;
    assert_int_equal(emo_config_new(&c), 0);
    assert_non_null(c);
    emo_config_defaults(&ref);
    assert_int_equal(c->face.max_faces, ref.face.max_faces);
    assert_string_equal(c->emotion.models, ref.emotion.models);
    assert_int_equal(emo_config_set(c, "face.max_faces=2", &quiet), 0);
    assert_int_equal(c->face.max_faces, 2);
    /* An extra section is heap memory of its own: free must release it (ASan's leak check). */
    assert_int_equal(emo_config_set(c, "model.mine.weight=2", &quiet), 0);
    assert_int_equal(emo_config_extra_count(c), 1);
    emo_config_free(&c);
    assert_null(c);
    emo_config_free(&c);
    emo_config_free(NULL);
    emo_config_clear(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_valid),
        cmocka_unit_test(test_load_and_override),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_new_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
