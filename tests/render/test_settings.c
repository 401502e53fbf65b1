/* The render, viewer and audio settings taken from a configuration. */
#include <string.h>

#include <emoscope/adapt.h>
#include <emoscope/config.h>
#include <emoscope/render.h>

#include "viewer.h"
#include "testutil.h"

static void test_from_config(void **state)
{
    (void)state;
    EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR };
    EmoConfig c;
    emo_config_defaults(&c);
    EmoOverlaySettings os;
    emo_overlay_default_settings(&os);
    os.logger = &quiet;
    assert_int_equal(emo_overlay_settings_from_config(&os, &c), 0);
    assert_string_equal(os.branding, "emoscope");
    assert_true(os.graph_seconds == 10.0);
    assert_int_equal(os.mesh_style, EMO_MESH_STYLE_CONTOURS);
    assert_int_equal(os.actions, 6);

    assert_int_equal(emo_config_set(&c, "render.mesh_style=points", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.branding=ACME lab", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.graph_seconds=30", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.actions=10", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.actions=0", &quiet), EMO_EINVAL);
    assert_int_equal(emo_config_set(&c, "render.actions=17", &quiet), EMO_EINVAL);
    assert_int_equal(emo_overlay_settings_from_config(&os, &c), 0);
    assert_int_equal(os.actions, 10);
    assert_int_equal(os.mesh_style, EMO_MESH_STYLE_POINTS);
    assert_string_equal(os.branding, "ACME lab");
    assert_true(os.graph_seconds == 30.0);
    assert_int_equal(emo_config_set(&c, "render.mesh_style=hexagons", &quiet), 0);
    assert_int_equal(emo_overlay_settings_from_config(&os, &c), EMO_EINVAL);
    assert_int_equal(os.mesh_style, EMO_MESH_STYLE_POINTS);
    EmoMeshStyle ms;
    assert_int_equal(emo_mesh_style_parse("both", &ms), 0);
    assert_int_equal(ms, EMO_MESH_STYLE_BOTH);
    assert_int_equal(emo_mesh_style_parse(NULL, &ms), EMO_EINVAL);

    EmoViewerSettings vs;
    emo_viewer_default_settings(&vs);
    assert_int_equal(vs.show_actions, 1);
    assert_int_equal(vs.show_gaze, 1);
    assert_int_equal(emo_config_set(&c, "render.actions_panel=false", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.gaze=false", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.window_width=800", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.model_bars=true", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "general.output_dir=/tmp/shots", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "render.window_width=20", &quiet), EMO_EINVAL);
    emo_viewer_settings_from_config(&vs, &c);
    assert_int_equal(vs.width, 800);
    assert_int_equal(vs.height, 720);
    assert_int_equal(vs.show_model_bars, 1);
    assert_int_equal(vs.show_mesh, 1);
    assert_int_equal(vs.show_actions, 0);
    assert_int_equal(vs.show_gaze, 0);
    assert_string_equal(vs.output_dir, "/tmp/shots");

    EmoAudioCueSettings as;
    emo_audio_default_settings(&as);
    assert_int_equal(emo_config_set(&c, "audio.sound_sad=/x/sad.wav", &quiet), 0);
    assert_int_equal(emo_config_set(&c, "audio.cooldown=5", &quiet), 0);
    emo_audio_settings_from_config(&as, &c);
    assert_string_equal(as.sound[4], "/x/sad.wav");
    assert_string_equal(as.sound[3], "");
    assert_true(as.cooldown == 5.0 && as.threshold == 0.6 && as.volume == 0.5);
    emo_config_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_from_config) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
