/**
 * @file config.h
 * Every setting of emoscope, from built-in defaults, an INI file and
 * command-line overrides ("section.key=value"), in that order.
 *
 * Settings are plain data with documented units. The table returned by
 * emo_config_table() describes each one (section, key, type, unit, default,
 * help); `emoscope config --dump` and the README are generated from it.
 * Sections named "model.NAME" (extra emotion models) are kept as raw
 * key/value pairs for the emotion module to read.
 */
#ifndef EMOSCOPE_CONFIG_H
#define EMOSCOPE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <emoscope/core.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMO_PATH_MAX 1024
#define EMO_STR_MAX 256

typedef struct EmoGeneralSettings {
    char log_level[16];          /**< error, warn, info, debug */
    int threads;                 /**< worker threads for analysis (XNNPACK pool); 0 = all cores */
    char models_dir[EMO_PATH_MAX]; /**< where model files are; empty = built-in default */
    char output_dir[EMO_PATH_MAX]; /**< where outputs go */
    double stats_interval;       /**< seconds between progress lines on stderr (run/analyze); 0 = none */
    int workers;                 /**< threads analysing the faces of a frame in parallel; 0 = one per core, 1 = serial */
} EmoGeneralSettings;

typedef struct EmoVideoSettings {
    char source[EMO_PATH_MAX];   /**< file, /dev/videoN, URL, image, folder or pattern; empty = auto */
    int width, height;           /**< pixels asked of a camera */
    double fps;                  /**< frames per second asked of a camera */
    char input_format[32];       /**< camera pixel format preferred (mjpeg, yuyv422, ...) */
    char live[8];                /**< auto, yes, no: drop-oldest queue policy for live sources */
    int queue_size;              /**< frames buffered between capture and analysis */
    int max_frames;              /**< stop after this many frames; 0 = all */
    int loop;                    /**< restart a file at its end (soak tests, demos) */
    int reconnect;               /**< reopen a live source that stops */
    double reconnect_delay;      /**< seconds between reconnection attempts */
    double image_fps;            /**< frame rate given to still images and folders */
    int decode_threads;          /**< decoder threads; 0 = automatic */
    char pix_fmt[16];            /**< pixel format of decoded frames: bgra, yuv420p, gray8, rgb24 */
    double timeout;              /**< seconds a network or camera read may block */
    char scaler[16];             /**< swscale algorithm: bilinear, fast_bilinear, point, bicubic, area */
} EmoVideoSettings;

typedef struct EmoFaceSettings {
    double min_detection_confidence; /**< probability in [0,1] */
    double min_presence;         /**< face-mesh presence probability to keep tracking */
    int max_faces;
    int detect_interval;         /**< frames between detector runs while tracking; 0 = only when lost */
    double nms_iou;              /**< IoU above which detections merge */
    double crop_scale;           /**< face-mesh crop size relative to the face box */
    int aligned_size;            /**< pixels of the normalised face used for optical flow */
    int detect_tiles;            /**< small faces: when the whole frame shows none, search tiles of 1/2 (1), then 1/3 (2) of it; 0 = off */
    double mirror_yaw;           /**< degrees: faces turned at least this far also run through the mesh mirrored, averaged; 90 = off */
} EmoFaceSettings;

typedef struct EmoEmotionSettings {
    double interval;             /**< seconds between emotion analyses per face; 0 = every frame */
    char models[EMO_STR_MAX];    /**< comma-separated model names in the ensemble */
    char fusion[16];             /**< mean (weighted arithmetic) or geometric (log-linear) */
    int flip_tta;                /**< average each model over the face and its mirror image */
    double ema_alpha;            /**< exponential moving average weight of the newest value, (0,1] */
    int sg_window;               /**< Savitzky-Golay window, odd, samples */
    int sg_order;                /**< Savitzky-Golay polynomial order */
    double history_seconds;      /**< seconds of history kept for graphs */
    double weight_mini_xception; /**< fusion weight */
    double weight_big_xception;
    double weight_kdef_xception;
    double weight_deepface;
} EmoEmotionSettings;

typedef struct EmoApiSettings {
    int enabled;
    char url[EMO_PATH_MAX];
    char key[EMO_STR_MAX];       /**< never printed; prefer key_env */
    char key_env[64];            /**< environment variable holding the key */
    char key_header[64];         /**< HTTP header carrying the key */
    char format[16];             /**< json (base64 image in JSON) or multipart */
    char image[8];               /**< jpeg or png */
    double interval;             /**< seconds between requests */
    double timeout;              /**< seconds before a request is abandoned */
    double weight;               /**< fusion weight */
    int verify_tls;
} EmoApiSettings;

typedef struct EmoMotionSettings {
    int enabled;
    double threshold;            /**< region displacement from rest, pixels of a reference_size-px face */
    int frame_gap;               /**< flow between frames t-k and t */
    double min_duration;         /**< seconds: shorter events are ignored */
    double max_duration;         /**< seconds: longer events are macro-expressions */
    int compensate;              /**< remove rigid head motion */
    int levels;                  /**< Farneback pyramid levels */
    double pyr_scale;
    int winsize;
    int iterations;
    int poly_n;
    double poly_sigma;
    double reference_size;       /**< px: face width the threshold is expressed at */
    double rest_time;            /**< s: time constant of the rest position */
    double hysteresis;           /**< ratio: events last while above threshold x hysteresis */
    int release_frames;          /**< frames under the lower threshold that end an event */
    char spotter[16];            /**< "transient" (default: rise-and-return in a short window) or "rest" (original) */
    double window;               /**< s: half window k of the transient spotter (lookahead latency) */
    double return_ratio;         /**< transient: p(t) must stand out from p(t-k) and p(t+k) by this x |e| */
    double noise_gain;           /**< transient: threshold >= this x the region's recent mean |e| (0 = off) */
    double noise_time;           /**< s: time constant of that recent mean */
    int local;                   /**< transient: drop bilateral eye motion (blinks, gaze) and jaw motion */
    double fit_exclude;          /**< fraction of the face side: skin this close to the brows, lips and mouth
                                      corners is left out of the head-motion fit (0 = keep it) */
    double region_fit;           /**< fraction of the face side: each region is compensated with the head motion
                                      fitted without the skin this close to its own landmarks (0 = one fit) */
    double noise_delay;          /**< transient: the threshold uses the region's noise this many windows
                                      earlier (before the movement's own rise; 0 = current) */
} EmoMotionSettings;

typedef struct EmoRenderSettings {
    int overlay;
    int mesh;
    int model_bars;
    int graph;
    double graph_seconds;
    char branding[EMO_STR_MAX];
    char mesh_style[16];         /**< contours, points or both */
    int window_width;            /**< initial viewer window size, pixels */
    int window_height;
    int fullscreen;              /**< start the viewer full screen */
    int chart_width;             /**< timeline chart size, pixels */
    int chart_height;
} EmoRenderSettings;

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

typedef struct EmoOutputSettings {
    int jsonl;
    int csv;
    int video;
    int landmarks;
    int chart;
    char video_codec[32];
    int video_crf;
    char video_preset[32];       /**< encoder preset (x264: ultrafast ... veryslow) */
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
const EmoSettingDesc *emo_config_table(void);

/** Fills cfg with the defaults. */
void emo_config_defaults(EmoConfig *cfg);
/**
 * Reads an INI file on top of cfg. Unknown keys, bad values and syntax
 * errors are EMO_EINVAL with a message naming the file, line and key.
 */
int emo_config_load(EmoConfig *cfg, const char *path, const EmoLogger *lg);
/** Applies one "section.key=value" override. */
int emo_config_set(EmoConfig *cfg, const char *assignment, const EmoLogger *lg);
/** Sets one value given section and key. */
int emo_config_set_value(EmoConfig *cfg, const char *section, const char *key, const char *value,
                         const EmoLogger *lg);
/** Writes the effective settings as an INI file with units and help as comments. */
void emo_config_dump(const EmoConfig *cfg, FILE *out);
/** Formats one setting's current value (secrets as "***"). */
void emo_config_format(const EmoConfig *cfg, const EmoSettingDesc *d, char *buf, size_t n);

/** Number of extra sections, and their names ("model.foo"). */
int emo_config_extra_count(const EmoConfig *cfg);
const char *emo_config_extra_name(const EmoConfig *cfg, int i);
/** Value of key in extra section i, or NULL. */
const char *emo_config_extra_get(const EmoConfig *cfg, int i, const char *key);

/** Frees the extra sections (the struct itself is the caller's). */
void emo_config_clear(EmoConfig *cfg);

/** Resolves the API key: settings first, then the environment variable. NULL if none. */
const char *emo_config_api_key(const EmoConfig *cfg);

#ifdef __cplusplus
}
#endif
#endif
