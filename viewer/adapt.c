/*
 * The viewer library's part of the INI adapter (the library's is
 * src/core/adapt.c): the window and the sound cues take their own settings
 * structs; only these two calls read the configuration for them.
 */
#include <stdio.h>

#include "viewer.h"

void emo_viewer_settings_from_config(EmoViewerSettings *s, const EmoConfig *cfg)
{
    if (!s || !cfg)
        return;
    s->show_mesh = cfg->render.mesh;
    s->show_model_bars = cfg->render.model_bars;
    s->show_graph = cfg->render.graph;
    s->show_actions = cfg->render.actions_panel;
    s->show_gaze = cfg->render.gaze;
    s->width = cfg->render.window_width;
    s->height = cfg->render.window_height;
    s->fullscreen = cfg->render.fullscreen;
    if (cfg->general.output_dir[0])
        snprintf(s->output_dir, sizeof(s->output_dir), "%s", cfg->general.output_dir);
}

void emo_audio_settings_from_config(EmoAudioCueSettings *s, const EmoConfig *cfg)
{
    if (!s || !cfg)
        return;
    s->enabled = cfg->audio.enabled;
    s->threshold = cfg->audio.threshold;
    s->cooldown = cfg->audio.cooldown;
    s->volume = cfg->audio.volume;
    const char *snd[EMO_CUE_EMOTIONS] = {
        cfg->audio.sound_angry, cfg->audio.sound_disgust, cfg->audio.sound_fear, cfg->audio.sound_happy,
        cfg->audio.sound_sad,   cfg->audio.sound_surprise, cfg->audio.sound_neutral,
    };
    for (int e = 0; e < EMO_CUE_EMOTIONS; e++)
        s->sound[e] = snd[e];
}
