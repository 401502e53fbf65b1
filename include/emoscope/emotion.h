/**
 * @file emotion.h
 * Emotion recognition: model registry, ensemble of local CNNs, weighted
 * fusion, per-face scheduling and smoothing (EMA, Savitzky-Golay), an
 * asynchronous online API backend, and helpers for evaluation.
 *
 * Canonical label order (EMO_EMOTION_COUNT = 7): angry, disgust, fear,
 * happy, sad, surprise, neutral. Every model's own label set is mapped onto
 * it; probabilities are always given in this order.
 *
 * Input convention (the design choice of this module): the caller hands ONE
 * aligned face image (gray, RGB24 or BGRA, any size, normally square and
 * larger than the models' inputs) and the ensemble prepares each model's
 * input from it: conversion to gray where the model wants gray
 * (0.299 R + 0.587 G + 0.114 B, rounded), bilinear resize on pixel centres
 * (OpenCV INTER_LINEAR convention: src = (dst + 0.5) * scale - 0.5, clamped
 * at the edges, results rounded to 8 bits), then the model's scaling. The
 * caller never needs to know the models' sizes; emo_ensemble_input_size()
 * reports the largest one for callers that want to crop at least that big.
 */
#ifndef EMOSCOPE_EMOTION_H
#define EMOSCOPE_EMOTION_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>
#include <emoscope/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The [emotion] section of the configuration: config.h maps its INI keys onto these fields. */
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
    double weight_fer_vgg;
} EmoEmotionSettings;

/** The [api] section of the configuration: config.h maps its INI keys onto these fields. */
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

/* Defined in config.h (which includes this header). */
typedef struct EmoConfig EmoConfig;

#define EMO_EMOTION_COUNT 7
#define EMO_EMOTION_MAX_MODELS 16  /**< local models in one ensemble */
#define EMO_EMOTION_MAX_LABELS 16  /**< outputs of one model */
#define EMO_EMOTION_NAME_MAX 64

/** Canonical labels, in output order. */
typedef enum EmoEmotion {
    EMO_EMOTION_ANGRY = 0,
    EMO_EMOTION_DISGUST,
    EMO_EMOTION_FEAR,
    EMO_EMOTION_HAPPY,
    EMO_EMOTION_SAD,
    EMO_EMOTION_SURPRISE,
    EMO_EMOTION_NEUTRAL,
} EmoEmotion;

/** Canonical name ("angry", ...) of label e, or "?" when out of range. */
EMO_API const char *emo_emotion_name(int e);

/**
 * Canonical index of a label name, case-insensitive, with common synonyms
 * (anger, angry; disgusted; fearful, afraid, scared; happiness, joy; sadness;
 * surprised; neutrality, calm). -1 for a name with no canonical label
 * (contempt, unknown words, NULL).
 */
EMO_API int emo_emotion_from_label(const char *label);

/* ---------------------------------------------------------------------- */
/** A borrowed view of an image. */
typedef struct EmoImage {
    const uint8_t *data;
    int width, height;     /**< pixels */
    int stride;            /**< bytes per row */
    EmoPixFmt fmt;         /**< EMO_PIX_GRAY8, EMO_PIX_RGB24 or EMO_PIX_BGRA */
} EmoImage;

/**
 * Decodes an image file (JPEG, PNG, BMP, ... through FFmpeg) into 8-bit gray.
 * On success *pixels (width * height bytes, rows packed) is the caller's to
 * free(); on failure it is NULL. Images larger than 16384 pixels on a side
 * are EMO_EUNSUPPORTED.
 */
EMO_API int emo_emotion_image_load_gray(const char *path, uint8_t **pixels, int *width, int *height,
                                const EmoLogger *lg);

/* ---------------------------------------------------------------------- */
/** How a model wants its input values. */
typedef enum EmoEmotionScale {
    EMO_EMOTION_SCALE_PM1 = 0, /**< x / 255 * 2 - 1 (FER2013 Xceptions) */
    EMO_EMOTION_SCALE_01,      /**< x / 255 (DeepFace) */
    EMO_EMOTION_SCALE_255,     /**< x, raw 0..255 */
} EmoEmotionScale;

/** One emotion model of the registry. Plain data. */
typedef struct EmoEmotionModelSpec {
    char name[EMO_EMOTION_NAME_MAX]; /**< short name used in emotion.models */
    char file[EMO_PATH_MAX];   /**< file name in the models folder, or an absolute path */
    int width, height;         /**< input size, pixels */
    int gray;                  /**< 1: one gray channel; 0: RGB */
    EmoEmotionScale scale;
    int n_labels;              /**< model outputs */
    int label_map[EMO_EMOTION_MAX_LABELS]; /**< output i -> canonical label, or -1 (ignored) */
    double weight;             /**< fusion weight (>= 0) */
    int optional;              /**< 1: a missing file is skipped with a notice */
    int flip;                  /**< 1: averaged over the face and its mirror image (flip test-time
                                    augmentation, twice the cost); emotion.flip_tta does it for every model */
} EmoEmotionModelSpec;

/** Number of built-in models, and built-in i (weights are the code defaults). */
EMO_API int emo_emotion_builtin_count(void);
EMO_API const EmoEmotionModelSpec *emo_emotion_builtin(int i);

/**
 * The spec of model name: a [model.NAME] section of cfg (keys file, size
 * ("64" or "64x48"), gray, scale (pm1, 01, 255), labels (comma-separated, in
 * output order), weight, flip, enabled) wins over a built-in of that name;
 * built-ins take their weight from emotion.weight_NAME. EMO_ENOENT for an
 * unknown name, EMO_EINVAL (with a message) for a bad section.
 */
EMO_API int emo_emotion_model_spec(const EmoConfig *cfg, const char *name, EmoEmotionModelSpec *out,
                           const EmoLogger *lg);

/**
 * Resolves the models of an ensemble: the comma-separated list (NULL:
 * emotion.models), plus every [model.NAME] section with enabled = true.
 * Files are looked up in models_dir; a missing optional model (deepface) is
 * skipped with a notice, a missing required one is EMO_ENOENT. *n receives
 * the count (at most max).
 */
EMO_API int emo_emotion_models_resolve(const EmoConfig *cfg, const char *list, const char *models_dir,
                               EmoEmotionModelSpec *specs, int max, int *n, const EmoLogger *lg);

/** Full path of a spec's file (absolute file names are kept). */
EMO_API void emo_emotion_model_path(const EmoEmotionModelSpec *s, const char *models_dir, char *out, size_t n);

/* ---------------------------------------------------------------------- */
typedef enum EmoEmotionFusion {
    EMO_FUSION_MEAN = 0,       /**< weighted arithmetic mean */
    EMO_FUSION_GEOMETRIC,      /**< weighted log-linear: exp(sum w log p), renormalised */
} EmoEmotionFusion;

/** Parses "mean" / "geometric" (also "arithmetic", "log-linear"). */
EMO_API int emo_emotion_fusion_parse(const char *s, EmoEmotionFusion *out);

/**
 * Fuses n probability vectors. Only entries with available[i] != 0 (NULL:
 * all) and weights[i] > 0 count; the weights are renormalised over them.
 * Geometric fusion clamps probabilities at 1e-7 before the logarithm.
 * @return 0; EMO_EAGAIN when no model is available (out is then uniform).
 */
EMO_API int emo_emotion_fuse(const float (*probs)[EMO_EMOTION_COUNT], const double *weights,
                     const int *available, int n, EmoEmotionFusion mode,
                     float out[EMO_EMOTION_COUNT]);

/** Index of the largest probability (the first on ties). */
EMO_API int emo_emotion_argmax(const float p[EMO_EMOTION_COUNT]);

/* ---------------------------------------------------------------------- */
/** Exponential moving average: s = alpha * x + (1 - alpha) * s; first = x. */
typedef struct EmoEma {
    double alpha;
    int primed;
    float value[EMO_EMOTION_COUNT];
} EmoEma;

EMO_API void emo_ema_init(EmoEma *e, double alpha);
EMO_API void emo_ema_update(EmoEma *e, const float x[EMO_EMOTION_COUNT]);

/**
 * Savitzky-Golay coefficients by least squares: the weights c[0..window-1]
 * such that sum c[i] y[i] is the value at sample pos (0 = first, window/2 =
 * centre) of the polynomial of degree order fitted to the window.
 * window odd, 1 <= window <= 1001, 0 <= order < window, order <= 10.
 */
EMO_API int emo_savgol_coeffs(int window, int order, int pos, double *c);

/**
 * Filters n samples (in and out may not overlap). Interior samples use the
 * centred fit; the first and last window/2 samples use the same fitted
 * polynomial evaluated off-centre (no padding). When n < window the window
 * shrinks to the largest odd number <= n and the order to at most window-1.
 * Needs no allocation.
 */
EMO_API int emo_savgol_filter(const float *in, float *out, int n, int window, int order);

/* ---------------------------------------------------------------------- */
/** Online emotion API (libcurl), asynchronous. */
typedef enum EmoApiFormat { EMO_API_JSON = 0, EMO_API_MULTIPART } EmoApiFormat;
typedef enum EmoApiImage { EMO_API_JPEG = 0, EMO_API_PNG } EmoApiImage;

typedef struct EmoApiClientSettings {
    char url[EMO_PATH_MAX];
    char key[EMO_STR_MAX];       /**< empty: no key header; never logged */
    char key_header[64];
    EmoApiFormat format;         /**< JSON: {"image": "<base64>", "format": "jpeg"}; multipart: field "image" */
    EmoApiImage image;
    double interval;             /**< seconds between request starts (default 0.3) */
    double timeout;              /**< seconds per request (default 2) */
    double backoff_max;          /**< seconds, longest wait after failures (default 30) */
    int verify_tls;              /**< default 1 */
    size_t max_response;         /**< bytes; larger answers are errors (default 65536) */
    int max_side;                /**< largest crop accepted by submit, pixels (default 512) */
    const EmoLogger *log;
} EmoApiClientSettings;

typedef struct EmoApiClient EmoApiClient;

EMO_API void emo_api_default_settings(EmoApiClientSettings *s);

/** Starts the request thread. Nothing is sent before the first submit. */
EMO_API int emo_api_open(EmoApiClient **out, const EmoApiClientSettings *s);

/**
 * Hands the newest face crop (copied; it replaces one not yet sent). Never
 * blocks on the network: it only takes a mutex held for copies.
 * EMO_EINVAL for a bad image or one larger than max_side.
 */
EMO_API int emo_api_submit(EmoApiClient *a, const EmoImage *face, int face_id);

/**
 * The latest valid answer: probs in canonical order, *age (seconds since it
 * arrived) and the face id it was asked for. EMO_EAGAIN while the API is out
 * of the fusion (no answer yet, or the last request failed).
 */
EMO_API int emo_api_result(EmoApiClient *a, float probs[EMO_EMOTION_COUNT], double *age, int *face_id);

typedef struct EmoApiStats {
    int online;                  /**< last request succeeded */
    uint64_t requests, successes, failures;
    int consecutive_failures;
    double next_retry_in;        /**< seconds until the next request may start */
    char last_error[160];        /**< never contains the key */
} EmoApiStats;

EMO_API void emo_api_stats(EmoApiClient *a, EmoApiStats *st);

/** Stops the thread (aborting a request in flight) and frees everything. */
EMO_API void emo_api_close(EmoApiClient **a);

/**
 * Parses an API answer (a JSON object of label -> probability, optionally
 * nested one level as e.g. {"emotions": {...}}) into canonical order; names
 * via emo_emotion_from_label, missing labels 0, renormalised to sum 1.
 * EMO_EFORMAT (with a reason in err) for invalid JSON, no known label,
 * negative or non-finite values, or a zero sum.
 */
EMO_API int emo_api_parse_response(const char *body, size_t len, float probs[EMO_EMOTION_COUNT],
                           char *err, size_t err_n);

/* ---------------------------------------------------------------------- */
/** Settings of an ensemble. Plain data. */
typedef struct EmoEnsembleSettings {
    EmoEmotionModelSpec models[EMO_EMOTION_MAX_MODELS];
    int n_models;
    char models_dir[EMO_PATH_MAX];
    EmoEmotionFusion fusion;
    int flip_tta;                /**< average each model over the face and its mirror */
    double interval;             /**< seconds of stream time between runs per face; 0 = every call */
    double ema_alpha;            /**< (0,1] */
    int max_faces;               /**< faces with state at once (least recently seen is evicted) */
    int nn_threads;              /**< threads of each model's pool (1 = calling thread) */
    int api_enabled;
    double api_weight;
    double api_max_age;          /**< seconds: older API answers are left out (default 2) */
    double history_seconds;      /**< fused probabilities kept per face for curves (default 10) */
    int history_capacity;        /**< samples kept per face at most (default 1024) */
    int sg_window, sg_order;     /**< Savitzky-Golay filter of emo_ensemble_history (15, 2) */
    EmoApiClientSettings api;
    const EmoLogger *log;
} EmoEnsembleSettings;

typedef struct EmoEnsemble EmoEnsemble;

/** Per-model and fused probabilities of one face. */
typedef struct EmoEmotionResult {
    int n_models;                /**< local models, then the API as the last entry if enabled */
    const char *model_names[EMO_EMOTION_MAX_MODELS + 1]; /**< valid while the ensemble is open */
    int available[EMO_EMOTION_MAX_MODELS + 1];
    float model_probs[EMO_EMOTION_MAX_MODELS + 1][EMO_EMOTION_COUNT];
    float fused[EMO_EMOTION_COUNT];
    float smoothed[EMO_EMOTION_COUNT]; /**< EMA of fused (emo_ensemble_analyze only) */
    int dominant;                /**< argmax of smoothed (analyze) or fused (run) */
    int fresh;                   /**< 1: the models ran for this call; 0: reused (interval) */
    double api_age;              /**< seconds, or -1 when the API is not in the fusion */
} EmoEmotionResult;

EMO_API void emo_ensemble_default_settings(EmoEnsembleSettings *s);

/**
 * Loads every model (emo_nn_open) and preallocates all scratch; starts the
 * API thread when enabled. On failure *out is NULL and a message names the
 * model at fault.
 */
EMO_API int emo_ensemble_open(EmoEnsemble **out, const EmoEnsembleSettings *s);

/** Largest model input, pixels (a crop at least this big loses nothing). */
EMO_API void emo_ensemble_input_size(const EmoEnsemble *e, int *width, int *height);

/** Runs every local model on face (no per-face state, no API). */
EMO_API int emo_ensemble_run(EmoEnsemble *e, const EmoImage *face, EmoEmotionResult *res);

/**
 * Per-face analysis at stream time t (seconds): runs the models when the
 * interval has elapsed since this face's last run (or time went backwards),
 * else reuses the last probabilities (res->fresh = 0); submits the face to
 * the API and fuses its latest answer; updates the face's EMA. No allocation.
 */
EMO_API int emo_ensemble_analyze(EmoEnsemble *e, int face_id, double t, const EmoImage *face,
                         EmoEmotionResult *res);

/**
 * History of a face's fused probabilities (one sample per analyze call,
 * the last history_seconds of stream time, oldest first), Savitzky-Golay
 * filtered per emotion when smooth is set (samples taken as evenly spaced;
 * values clamped to [0,1]). Writes at most max samples into times and
 * probs; returns the count (0 for an unknown face), or EMO_EINVAL.
 * No allocation.
 */
EMO_API int emo_ensemble_history(EmoEnsemble *e, int face_id, int smooth, double *times,
                         float (*probs)[EMO_EMOTION_COUNT], int max);

/** Drops the state of a face that is gone. */
EMO_API void emo_ensemble_forget(EmoEnsemble *e, int face_id);

/** The API client (NULL when disabled), for statistics. */
EMO_API EmoApiClient *emo_ensemble_api(EmoEnsemble *e);

EMO_API void emo_ensemble_close(EmoEnsemble **e);

/* ---------------------------------------------------------------------- */
/** Accuracy bookkeeping of an evaluation. Plain data. */
typedef struct EmoConfusion {
    uint64_t m[EMO_EMOTION_COUNT][EMO_EMOTION_COUNT]; /**< [truth][predicted] */
    uint64_t total, correct;
} EmoConfusion;

EMO_API void emo_confusion_add(EmoConfusion *c, int truth, int predicted);
EMO_API void emo_confusion_merge(EmoConfusion *dst, const EmoConfusion *src);
EMO_API double emo_confusion_accuracy(const EmoConfusion *c);
/** Recall of class k, or -1 when the class has no sample. */
EMO_API double emo_confusion_recall(const EmoConfusion *c, int k);

#ifdef __cplusplus
}
#endif
#endif
