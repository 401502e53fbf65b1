/* Each module's settings are its own header's: the module headers define
 * them without config.h (the adapter above them), and config.h's table maps
 * every key of a section into that section's module struct. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <string.h>

#include <emoscope/emotion.h>
#include <emoscope/face.h>
#include <emoscope/motion.h>
#include <emoscope/render.h>
#include <emoscope/video.h>

#ifdef EMOSCOPE_CONFIG_H
#error "a module header pulls in config.h: its settings must not depend on the INI adapter"
#endif

#include <emoscope/config.h>

typedef struct Section {
    const char *name;
    size_t offset, size;
} Section;

#define SECTION(member, type) { #member, offsetof(EmoConfig, member), sizeof(type) }
static const Section sections[] = {
    SECTION(general, EmoGeneralSettings), SECTION(video, EmoVideoSettings),
    SECTION(face, EmoFaceSettings),       SECTION(emotion, EmoEmotionSettings),
    SECTION(api, EmoApiSettings),         SECTION(motion, EmoMotionSettings),
    SECTION(render, EmoRenderSettings),   SECTION(audio, EmoAudioSettings),
    SECTION(output, EmoOutputSettings),
};

static void test_keys_land_in_their_module_struct(void **state)
{
    (void)state;
    int n = 0;
    for (const EmoSettingDesc *d = emo_config_table(); d->section; d++, n++) {
        const Section *s = NULL;
        for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            if (!strcmp(d->section, sections[i].name))
                s = &sections[i];
        if (!s)
            fail_msg("[%s] %s: a section no module struct holds", d->section, d->key);
        size_t width = d->type == EMO_SETTING_STRING ? d->size
                       : d->type == EMO_SETTING_DOUBLE ? sizeof(double)
                                                        : sizeof(int);
        if (d->offset < s->offset || d->offset + width > s->offset + s->size)
            fail_msg("[%s] %s: outside the section's struct", d->section, d->key);
    }
    assert_true(n > 100);
}

/* The modules' own defaults are the table's. */
static void test_module_defaults_are_the_tables(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoMotionSettings m;
    memset(&m, 0, sizeof(m)); /* padding: the same zeros on both sides */
    emo_motion_default_settings(&m);
    assert_memory_equal(&m, &cfg.motion, sizeof(m));
    EmoFaceTrackerSettings f;
    emo_face_tracker_default_settings(&f);
    assert_memory_equal(&f.face, &cfg.face, sizeof(f.face));
    emo_config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_land_in_their_module_struct),
        cmocka_unit_test(test_module_defaults_are_the_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
