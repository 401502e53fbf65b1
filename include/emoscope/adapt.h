/**
 * @file adapt.h
 * The adapter from the INI configuration (config.h) to the settings of each
 * module. The modules know only their own settings structs; these calls are
 * the one place where a configuration becomes module settings. Each fills
 * the fields its section covers and leaves the others as they were (start
 * from the module's default settings), except where a call says otherwise.
 */
#ifndef EMOSCOPE_ADAPT_H
#define EMOSCOPE_ADAPT_H

#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/emotion.h>
#include <emoscope/export.h>
#include <emoscope/render.h>
#include <emoscope/video.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Fills s from the [video] section of a configuration. Strings point into
 * cfg, which must outlive emo_video_open() (not the source). source is left
 * to the caller when cfg->video.source is empty.
 * @return 0 or EMO_EINVAL for an unknown pixel format or live value.
 */
EMO_API int emo_video_settings_from_config(EmoVideoSourceSettings *s, const EmoVideoSettings *cfg);

/**
 * Fills the encoder part of s from the [output] section (codec, crf,
 * preset); the caller sets path, size, fps and time base.
 */
EMO_API void emo_video_writer_settings_from_config(EmoVideoWriterSettings *s, const EmoOutputSettings *cfg);

/**
 * Copies render.branding, render.graph_seconds, render.mesh_style and render.actions from a
 * configuration. @return 0; EMO_EINVAL for an unknown mesh style (s keeps
 * its mesh style then).
 */
EMO_API int emo_overlay_settings_from_config(EmoOverlaySettings *s, const EmoConfig *cfg);

/**
 * Fills s from [api] of cfg, starting from emo_api_default_settings(); the
 * key from api.key or the variable api.key_env.
 */
EMO_API int emo_api_settings_from_config(EmoApiClientSettings *s, const EmoConfig *cfg, const EmoLogger *lg);

/**
 * Fills s from cfg, starting from emo_ensemble_default_settings():
 * [emotion] settings, the models (list NULL: emotion.models; see
 * emo_emotion_models_resolve), [api] when api.enabled.
 */
EMO_API int emo_ensemble_settings_from_config(EmoEnsembleSettings *s, const EmoConfig *cfg,
                                              const char *models_dir, const char *list, const EmoLogger *lg);

#ifdef __cplusplus
}
#endif

#endif
