/**
 * @file config.h
 * Every setting of emoscope, from built-in defaults, an INI file and
 * command-line overrides ("section.key=value"), in that order.
 *
 * Settings are plain data with documented units. Each module's section is
 * its own struct in its own header (EmoVideoSettings in video.h,
 * EmoFaceSettings in face.h, EmoEmotionSettings and EmoApiSettings in
 * emotion.h, EmoMotionSettings in motion.h, EmoRenderSettings in render.h);
 * this header gathers them into EmoConfig, and its table, the one adapter
 * from the INI file, maps every key onto a field of them. The table
 * returned by emo_config_table() describes each one (section, key, type,
 * unit, default, help); `emoscope config --dump` and the README are
 * generated from it.
 * Sections named "model.NAME" (extra emotion models) are kept as raw
 * key/value pairs for the emotion module to read.
 */
#ifndef EMOSCOPE_CONFIG_H
#define EMOSCOPE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <emoscope/core.h>
#include <emoscope/emotion.h>
#include <emoscope/export.h>
#include <emoscope/face.h>
#include <emoscope/motion.h>
#include <emoscope/render.h>
#include <emoscope/video.h>

#ifdef __cplusplus
extern "C" {
#endif

/** [general]: what the whole program shares (logging, threads, folders). */
typedef struct EmoGeneralSettings {
    char log_level[16];          /**< error, warn, info, debug */
    int threads;                 /**< worker threads for analysis (XNNPACK pool); 0 = all cores */
    char models_dir[EMO_PATH_MAX]; /**< where model files are; empty = built-in default */
    char output_dir[EMO_PATH_MAX]; /**< where outputs go */
    double stats_interval;       /**< seconds between progress lines on stderr (run/analyze); 0 = none */
    int workers;                 /**< threads analysing the faces of a frame in parallel; 0 = one per core, 1 = serial */
} EmoGeneralSettings;

/** [audio]: the sound cues of the viewer library (viewer/viewer.h), which
 * is not part of libemoscope: its section is kept here for the table. */
typedef struct EmoAudioSettings {
    int enabled;
    double threshold;            /**< probability an emotion must reach to cue */
    double cooldown;             /**< seconds between two cues of one emotion */
    double volume;               /**< 0..1 */
    char sound_angry[EMO_PATH_MAX];
    char sound_disgust[EMO_PATH_MAX];
    char sound_fear[EMO_PATH_MAX];
    char sound_happy[EMO_PATH_MAX];
    char sound_sad[EMO_PATH_MAX];
    char sound_surprise[EMO_PATH_MAX];
    char sound_neutral[EMO_PATH_MAX];
} EmoAudioSettings;

/** [output]: the files a run writes (results, annotated video, chart). */
typedef struct EmoOutputSettings {
    int jsonl;
    int csv;
    int video;
    int landmarks;
    int chart;
    char video_codec[32];
    int video_crf;
    char video_preset[32];       /**< encoder preset (x264: ultrafast ... veryslow) */
    int video_threads;           /**< encoder threads; 0 = automatic (batch: the job's share of the cores) */
} EmoOutputSettings;

typedef struct EmoExtraSection EmoExtraSection;

typedef struct EmoConfig {
    EmoGeneralSettings general;
    EmoVideoSettings video;
    EmoFaceSettings face;
    EmoEmotionSettings emotion;
    EmoApiSettings api;
    EmoMotionSettings motion;
    EmoRenderSettings render;
    EmoAudioSettings audio;
    EmoOutputSettings output;
    /* Private: raw "model.*" sections. */
    EmoExtraSection *extra_;
    int n_extra_;
} EmoConfig;

typedef enum EmoSettingType {
    EMO_SETTING_INT,
    EMO_SETTING_DOUBLE,
    EMO_SETTING_BOOL,
    EMO_SETTING_STRING,
} EmoSettingType;

typedef struct EmoSettingDesc {
    const char *section;
    const char *key;
    EmoSettingType type;
    size_t offset;               /**< into EmoConfig */
    size_t size;                 /**< bytes, for strings */
    const char *unit;
    const char *def;             /**< default, as written in an INI file */
    double min, max;             /**< accepted range for numbers */
    const char *help;
    int secret;                  /**< never printed */
} EmoSettingDesc;

/** The table of all settings, terminated by an entry with section == NULL. */
EMO_API const EmoSettingDesc *emo_config_table(void);

/** Fills cfg with the defaults. */
EMO_API void emo_config_defaults(EmoConfig *cfg);
/**
 * Reads an INI file on top of cfg. Unknown keys, bad values and syntax
 * errors are EMO_EINVAL with a message naming the file, line and key.
 */
EMO_API int emo_config_load(EmoConfig *cfg, const char *path, const EmoLogger *lg);
/** Applies one "section.key=value" override. */
EMO_API int emo_config_set(EmoConfig *cfg, const char *assignment, const EmoLogger *lg);
/** Sets one value given section and key. */
EMO_API int emo_config_set_value(EmoConfig *cfg, const char *section, const char *key, const char *value,
                         const EmoLogger *lg);
/** Writes the effective settings as an INI file with units and help as comments. */
EMO_API void emo_config_dump(const EmoConfig *cfg, FILE *out);
/** Formats one setting's current value (secrets as "***"). */
EMO_API void emo_config_format(const EmoConfig *cfg, const EmoSettingDesc *d, char *buf, size_t n);

/** Number of extra sections, and their names ("model.foo"). */
EMO_API int emo_config_extra_count(const EmoConfig *cfg);
EMO_API const char *emo_config_extra_name(const EmoConfig *cfg, int i);
/** Value of key in extra section i, or NULL. */
EMO_API const char *emo_config_extra_get(const EmoConfig *cfg, int i, const char *key);

/** Frees the extra sections (the struct itself is the caller's). */
EMO_API void emo_config_clear(EmoConfig *cfg);

/**
 * Allocates a configuration holding the defaults, for callers that cannot
 * size EmoConfig themselves (bindings such as Python's cffi in ABI mode,
 * which see the library without compiling against its headers).
 * @return 0, or EMO_ENOMEM (*out is NULL then).
 */
EMO_API int emo_config_new(EmoConfig **out);
/** Clears and frees a configuration from emo_config_new(); sets *cfg to NULL (NULL is a no-op). */
EMO_API void emo_config_free(EmoConfig **cfg);

/** Resolves the API key: settings first, then the environment variable. NULL if none. */
EMO_API const char *emo_config_api_key(const EmoConfig *cfg);

#ifdef __cplusplus
}
#endif
#endif
