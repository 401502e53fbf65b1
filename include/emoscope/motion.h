/**
 * @file motion.h
 * Micro-expression analysis of one face: dense optical flow between aligned
 * faces (pyramidal Farneback), removal of the rigid head motion, statistics
 * of facial regions, eight direction classes and event spotting.
 *
 * Inputs are plain: an 8-bit gray aligned face of side `aligned_size` and,
 * optionally, the 468 MediaPipe face-mesh landmarks in that face's pixel
 * coordinates. Units: pixels of the normalised face; image y points down,
 * so "Up" is negative y.
 */
#ifndef EMOSCOPE_MOTION_H
#define EMOSCOPE_MOTION_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The [motion] section of the configuration: config.h maps its INI keys onto these fields. */
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
    int local;                   /**< transient: type events (blink, speech, head, expression) and merge a movement
                                      several regions of a face part share; 0: every event is an expression */
    double fit_exclude;          /**< fraction of the face side: skin this close to the brows, lips and mouth
                                      corners is left out of the head-motion fit (0 = keep it) */
    double region_fit;           /**< fraction of the face side: each region is compensated with the head motion
                                      fitted without the skin this close to its own landmarks (0 = one fit) */
    double noise_delay;          /**< transient: the threshold uses the region's noise this many windows
                                      earlier (before the movement's own rise; 0 = current) */
    double blink_ratio;          /**< an eye opening under this x its level just before and after is a blink
                                      (landmarks; docs/motion.md "Event types") */
    double speech_window;        /**< s: span over which the mouth's movement says whether the face talks */
    double speech_level;         /**< travel of the mouth opening over speech_window (eye-corner distances)
                                      from which the face is speaking */
    double micro_min;            /**< s: shortest expression event called a micro-expression; shorter
                                      expression events are twitches (class "twitch") */
    double micro_calm;           /**< a micro-expression rises from a calm face: the region's mean |e| over
                                      the half second before its onset stays under this x the event's
                                      peak (0 = no such condition) */
} EmoMotionSettings;

/* ------------------------------------------------------------------------ */
/* Dense optical flow                                                        */

/** Which kernels compute the flow. */
typedef enum EmoFlowImpl {
    EMO_FLOW_IMPL_AUTO = 0, /**< fastest the CPU supports (detected once) */
    EMO_FLOW_IMPL_C = 1,    /**< plain-C reference */
    EMO_FLOW_IMPL_AVX2 = 2, /**< AVX2 intrinsics; EMO_EUNSUPPORTED where the CPU lacks it */
    EMO_FLOW_IMPL_SSE2 = 3, /**< SSE2 intrinsics (x86 without AVX2) */
} EmoFlowImpl;

/** Farneback settings (Farneback 2003, "Two-frame motion estimation based on polynomial expansion"). */
typedef struct EmoFlowSettings {
    int width, height;   /**< image size, pixels (8..8192) */
    int levels;          /**< pyramid levels above the image (0 = single scale); levels whose
                              smaller side would drop under 32 px are not built */
    double pyr_scale;    /**< size ratio between pyramid levels, (0.1, 0.9) */
    int winsize;         /**< side of the box window averaging the normal equations, px (odd, >= 3) */
    int iterations;      /**< iterations per level */
    int poly_n;          /**< expansion neighbourhood 5 or 7 px */
    double poly_sigma;   /**< Gaussian applicability sigma, px */
    EmoFlowImpl impl;
    const EmoLogger *log; /**< NULL = default logger */
} EmoFlowSettings;

typedef struct EmoFlow EmoFlow;

/** Defaults: 96x96, levels 3, pyr_scale 0.5, winsize 15, iterations 3, poly_n 5, poly_sigma 1.1. */
EMO_API void emo_flow_default_settings(EmoFlowSettings *s);
/** Opens a flow workspace for one image size; every buffer is allocated here. */
EMO_API int emo_flow_open(EmoFlow **out, const EmoFlowSettings *s);
/**
 * Dense flow from prev to next: next(x + u, y + v) ~ prev(x, y).
 * u and v are caller-owned planes of width x height floats with row stride
 * flow_stride (elements). No allocation.
 */
EMO_API int emo_flow_compute(EmoFlow *f, const uint8_t *prev, ptrdiff_t prev_stride, const uint8_t *next,
                     ptrdiff_t next_stride, float *u, float *v, ptrdiff_t flow_stride);
/** "c", "sse2" or "avx2". */
EMO_API const char *emo_flow_impl_name(const EmoFlow *f);
/** Frees; *f becomes NULL; NULL is a no-op. */
EMO_API void emo_flow_close(EmoFlow **f);

/* ------------------------------------------------------------------------ */
/* Regions, directions                                                       */

#define EMO_MESH_POINTS 468

/** Facial regions (the subject's left is the image's right). */
typedef enum EmoRegion {
    EMO_REGION_LEFT_BROW = 0,
    EMO_REGION_RIGHT_BROW,
    EMO_REGION_LEFT_EYE,
    EMO_REGION_RIGHT_EYE,
    EMO_REGION_NOSE,
    EMO_REGION_LEFT_MOUTH_CORNER,
    EMO_REGION_RIGHT_MOUTH_CORNER,
    EMO_REGION_UPPER_LIP,
    EMO_REGION_LOWER_LIP,
    EMO_REGION_LEFT_CHEEK,
    EMO_REGION_RIGHT_CHEEK,
    EMO_REGION_CHIN,
    EMO_REGION_COUNT
} EmoRegion;

/** Eight direction classes in image terms (Up = negative y). */
typedef enum EmoDirection {
    EMO_DIR_NONE = -1,
    EMO_DIR_UP = 0,
    EMO_DIR_UP_RIGHT,
    EMO_DIR_RIGHT,
    EMO_DIR_DOWN_RIGHT,
    EMO_DIR_DOWN,
    EMO_DIR_DOWN_LEFT,
    EMO_DIR_LEFT,
    EMO_DIR_UP_LEFT,
    EMO_DIR_COUNT
} EmoDirection;

/** "left_brow", ...; "?" when out of range. */
EMO_API const char *emo_region_name(int region);
/** "Up Movement", "Up-Right Movement", ...; "None" for EMO_DIR_NONE. */
EMO_API const char *emo_direction_name(int dir);
/** Class of a displacement (dx, dy) in image coordinates; EMO_DIR_NONE for (0, 0). */
EMO_API EmoDirection emo_direction_classify(double dx, double dy);
/**
 * Landmark indices of a region (MediaPipe 468-point mesh); *n receives the
 * count. NULL for a bad region.
 */
EMO_API const int *emo_region_landmarks(int region, int *n);
/** Indices of the stable points used to fit the head motion. */
EMO_API const int *emo_motion_stable_landmarks(int *n);
/** Indices of the face-oval contour, in order around the face. */
EMO_API const int *emo_motion_face_oval(int *n);

/* ------------------------------------------------------------------------ */
/* Face motion                                                               */

/** Motion of one region in one frame. */
typedef struct EmoRegionMotion {
    float flow_dx, flow_dy;   /**< mean compensated flow of the frame pair, px of the normalised face */
    float dx, dy;             /**< displacement from the region's rest position (see docs/motion.md), px */
    float magnitude;          /**< |(dx, dy)| in threshold units (px of a reference_size face) */
    float direction_deg;      /**< atan2(-dy, dx) in degrees, 0 = right, 90 = up */
    EmoDirection direction;   /**< class of (dx, dy) */
    int active;               /**< magnitude above threshold: a micro-movement */
} EmoRegionMotion;

/** Per-frame result of emo_motion_push(). */
typedef struct EmoMotionFrame {
    int64_t frame;            /**< frame index given to push */
    double pts;               /**< seconds */
    int frame_gap;            /**< frames between the two faces of the flow (0 on the first push) */
    int has_flow;             /**< 0 on the first push(es) */
    float head[6];            /**< fitted head motion: u = h0 + h1 x + h2 y, v = h3 + h4 x + h5 y (px) */
    float head_dx, head_dy;   /**< head motion at the face centre, px */
    float head_inliers;       /**< fraction of stable samples the robust fit kept */
    float mean_magnitude;     /**< mean |compensated flow| over the face, px */
    EmoRegionMotion region[EMO_REGION_COUNT];
    int n_active;             /**< regions with active != 0 */
    int n_events;             /**< events that ended on this push (see emo_motion_event) */
    int speaking;             /**< the face is talking: the mouth's movement over the last speech_window */
    float eye_open;           /**< eye opening (lid gap / eye width, both eyes' mean; -1 without landmarks) */
    float mouth_open;         /**< mouth opening (lip gap / eye-corner distance; -1 without landmarks) */
    double t_flow, t_comp, t_regions; /**< seconds spent in each stage */
} EmoMotionFrame;

/** What moved: the type of an event (docs/motion.md, "Event types"). */
typedef enum EmoEventType {
    EMO_EVENT_EXPRESSION = 0, /**< an expression action (brows, cheeks, nose, lip corners, lips while not
                                   talking): micro, macro or twitch by its duration and shape */
    EMO_EVENT_BLINK,          /**< both eyes closing and reopening */
    EMO_EVENT_SPEECH,         /**< the mouth and jaw moving while the face talks */
    EMO_EVENT_HEAD,           /**< shared with the head (what the compensation left), or an eye moving without
                                   closing (gaze) */
    EMO_EVENT_TYPE_COUNT
} EmoEventType;

/** Class of an expression event. */
typedef enum EmoEventClass {
    EMO_EVENT_CLASS_NONE = 0, /**< not an expression event */
    EMO_EVENT_CLASS_MICRO,    /**< a micro-expression: micro_min..max_duration, rising from a calm region */
    EMO_EVENT_CLASS_MACRO,    /**< longer than max_duration */
    EMO_EVENT_CLASS_TWITCH,   /**< brief but not a micro-expression: shorter than micro_min, or not from a
                                   calm region (brow emphasis, twitches) */
    EMO_EVENT_CLASS_COUNT
} EmoEventClass;

/** A spotted movement. */
typedef struct EmoMotionEvent {
    int64_t onset, apex, offset;   /**< frame indices */
    double onset_pts, apex_pts, offset_pts; /**< seconds */
    double duration;          /**< offset_pts - onset_pts + one frame interval, seconds */
    EmoRegion region;
    EmoDirection direction;   /**< class of (peak_dx, peak_dy) */
    float peak_magnitude;     /**< |(peak_dx, peak_dy)| in threshold units */
    float peak_dx, peak_dy;   /**< displacement at the apex from where the region was just before
                                   the onset, px of the normalised face */
    EmoEventType type;        /**< what moved */
    EmoEventClass cls;        /**< expression events: micro, macro or twitch; EMO_EVENT_CLASS_NONE otherwise */
    int micro;                /**< 1: a micro-expression (type expression, class micro); 0 otherwise */
} EmoMotionEvent;

/** "expression", "blink", "speech", "head"; "?" when out of range. */
EMO_API const char *emo_event_type_name(int type);
/** "micro", "macro", "twitch"; NULL for EMO_EVENT_CLASS_NONE or out of range. */
EMO_API const char *emo_event_class_name(int cls);

typedef struct EmoMotion EmoMotion;

/** Fills s with the [motion] defaults (config.h's table). */
EMO_API void emo_motion_default_settings(EmoMotionSettings *s);
/**
 * Opens an analyser of faces of aligned_size x aligned_size pixels.
 * lg may be NULL. All per-frame memory is allocated here.
 */
EMO_API int emo_motion_open(EmoMotion **out, const EmoMotionSettings *s, int aligned_size, const EmoLogger *lg);
/**
 * Adds the next aligned face of this track. landmarks: NULL or 468 (x, y)
 * float pairs in the aligned face's pixels. frame indices and pts must
 * increase. Returns 0 and fills *res (the first push has has_flow 0);
 * events that ended are available through emo_motion_event() until the
 * next push. EMO_EINVAL on bad input.
 */
EMO_API int emo_motion_push(EmoMotion *m, const uint8_t *gray, ptrdiff_t stride, const float *landmarks, double pts,
                    int64_t frame, EmoMotionFrame *res);
/** Ends open events (end of stream or lost track); their count, readable with emo_motion_event(). */
EMO_API int emo_motion_flush(EmoMotion *m);
/** Event i (0 <= i < n_events of the last push or flush), or NULL. */
EMO_API const EmoMotionEvent *emo_motion_event(const EmoMotion *m, int i);
/** Forgets the history (new track); settings stay. */
EMO_API void emo_motion_reset(EmoMotion *m);
/** The last compensated flow field (aligned_size^2 floats each), or NULL before the first pair. */
EMO_API int emo_motion_flow(const EmoMotion *m, const float **u, const float **v);
/** Picks the flow kernels (default: auto); EMO_EUNSUPPORTED when the CPU lacks them. */
EMO_API int emo_motion_set_flow_impl(EmoMotion *m, EmoFlowImpl impl);
/** "c", "sse2" or "avx2". */
EMO_API const char *emo_motion_flow_impl(const EmoMotion *m);
/** Threshold in pixels of this handle's normalised face. */
EMO_API double emo_motion_threshold_px(const EmoMotion *m);
/** Changes the spotting threshold (threshold units, as motion.threshold) from the next push on. */
EMO_API void emo_motion_set_threshold(EmoMotion *m, double threshold);
EMO_API void emo_motion_close(EmoMotion **m);

#ifdef __cplusplus
}
#endif
#endif
