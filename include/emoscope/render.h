/**
 * @file render.h
 * Drawing of the live overlay (on BGRA frames) and of the timeline report
 * chart (PNG and SVG), with Cairo.
 *
 * The API takes plain data only: the caller copies what it wants shown from
 * the face, emotion and motion results into the structs below, as values
 * (enums, numbers); the labels are written here, where they are drawn. Nothing here
 * keeps a pointer to the caller's data after a call returns.
 *
 * Emotion indices follow the canonical order of the project:
 * 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
 */
#ifndef EMOSCOPE_RENDER_H
#define EMOSCOPE_RENDER_H

#include <emoscope/core.h>
#include <emoscope/export.h>
#include <emoscope/frame.h>
#include <emoscope/motion.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The [render] section of the configuration: config.h maps its INI keys onto these fields. */
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
    int actions;                 /**< facial actions in the action panel (the strongest first) */
    int actions_panel;           /**< the action panel starts shown (viewer key a) */
    int gaze;                    /**< gaze arrows start shown (viewer key e) */
} EmoRenderSettings;

/** Number of canonical emotions. */
#define EMO_RENDER_EMOTIONS 7
/** Landmarks of the MediaPipe face mesh. */
#define EMO_RENDER_MESH_POINTS 468
/** Most faces drawn by one overlay call (extra faces are ignored). */
#define EMO_RENDER_MAX_FACES 16
/** Most per-model bars drawn per face (extra models are ignored). */
#define EMO_RENDER_MAX_MODELS 8
/** Most facial actions given per face (more is EMO_EINVAL): the 52
 *  blendshapes, or the action units mapped from them, fit. */
#define EMO_RENDER_MAX_ACTIONS 64
/** Most bars of the action panel (EmoOverlaySettings.actions). */
#define EMO_RENDER_MAX_ACTIONS_SHOWN 16

/** Canonical label of emotion e ("angry", ...), or "?" when out of range. */
EMO_API const char *emo_render_emotion_label(int e);

/**
 * The fixed colour of emotion e as 8-bit R, G, B (out of range: grey).
 * Bars, graph lines, legends and timeline lines use exactly this colour.
 */
EMO_API void emo_render_emotion_rgb(int e, uint8_t rgb[3]);

/** Probabilities of one model of the ensemble, for the per-model bars. */
typedef struct EmoOverlayModel {
    const char *name;                    /**< short name shown; NULL = "model N" */
    float probs[EMO_RENDER_EMOTIONS];    /**< in [0,1] (values outside are clamped) */
} EmoOverlayModel;

/** One facial action of a face: a blendshape or a FACS action unit. */
typedef struct EmoOverlayAction {
    const char *name;   /**< label shown ("AU12 lip corner puller", "mouthSmileLeft"); NULL = "action N" */
    float value;        /**< strength in [0,1] (values outside are clamped, NaN counts as 0) */
} EmoOverlayAction;

/** Kind of the expression event badged on a face. */
typedef enum EmoOverlayEvent {
    EMO_OVERLAY_EVENT_NONE = 0,   /**< no badge */
    EMO_OVERLAY_EVENT_MICRO,      /**< "MICRO-EXPRESSION" */
    EMO_OVERLAY_EVENT_MACRO,      /**< "MACRO-EXPRESSION" */
} EmoOverlayEvent;

/**
 * Micro-expression state of one face, as values: the overlay writes the
 * caption ("left brow · Up Movement  0.62 / 0.35") and the badge itself.
 * A zeroed struct draws nothing.
 */
typedef struct EmoOverlayMicro {
    int active;               /**< 0: nothing drawn */
    int has_region;           /**< 1: the caption names region */
    EmoRegion region;         /**< the moving region (motion.h) */
    float cx, cy;             /**< region centre, frame pixels */
    float radius;             /**< region highlight radius, frame pixels; <= 0: 12% of the box */
    float angle;              /**< movement direction, radians, image axes (x right, y down) */
    int has_direction;        /**< 1: the caption names direction */
    EmoDirection direction;   /**< direction class (motion.h); EMO_DIR_NONE names nothing */
    float magnitude;          /**< flow magnitude (pixels of the normalised face per frame) */
    float threshold;          /**< the current spotting threshold, shown beside the magnitude; <= 0: hidden */
    EmoOverlayEvent event;    /**< the event badged, if any */
} EmoOverlayMicro;

/** Everything drawn for one face. Pointers may be NULL when their count is 0. */
/** A gaze arrow: from (x, y) by (dx, dy), frame pixels. */
typedef struct EmoOverlayGaze {
    float x, y;    /**< where it starts: an eye's iris centre */
    float dx, dy;  /**< the gaze direction projected on the image, scaled by the caller
                        (a face looking into the camera has a zero arrow: a dot) */
} EmoOverlayGaze;

typedef struct EmoOverlayFace {
    int id;                              /**< stable track id */
    float x, y, w, h;                    /**< face box, frame pixels */
    const float *landmarks;              /**< n_landmarks (x, y) pairs in frame pixels */
    int n_landmarks;                     /**< EMO_RENDER_MESH_POINTS or 0 */
    float probs_raw[EMO_RENDER_EMOTIONS];/**< fused probabilities, this analysis */
    float probs[EMO_RENDER_EMOTIONS];    /**< fused probabilities, smoothed (the bars) */
    int dominant;                        /**< dominant emotion; < 0: the arg-max of probs */
    int has_probs;                       /**< 0: no emotion yet (no bars, "analysing") */
    const EmoOverlayModel *models;       /**< per-model bars */
    int n_models;
    /** History of the smoothed probabilities (already filtered by the caller):
     *  n_history times (seconds, increasing) and n_history x 7 probabilities,
     *  row-major. Points older than graph_seconds before the newest are skipped. */
    const double *history_t;
    const float *history_probs;
    int n_history;
    EmoOverlayMicro micro;
    /** The face's facial actions, in any order: the action panel shows the
     *  strongest (EmoOverlaySettings.actions of them) of the graphed face.
     *  The names must stay valid until emo_overlay_draw() returns. */
    EmoOverlayAction actions[EMO_RENDER_MAX_ACTIONS];
    int n_actions;                       /**< 0..EMO_RENDER_MAX_ACTIONS; 0: no panel */
    EmoOverlayGaze gaze[2];              /**< gaze arrows, one per eye shown (EmoOverlayInput.show_gaze) */
    int n_gaze;                          /**< 0..2; 0: no gaze */
} EmoOverlayFace;

/** One overlay call's input. */
typedef struct EmoOverlayInput {
    const EmoOverlayFace *faces;
    int n_faces;
    int graph_face;          /**< index into faces of the face whose history is graphed */
    double capture_fps;      /**< frames per second read from the source; < 0: hidden */
    double analysis_fps;     /**< analyses per second; < 0: hidden */
    double pts;              /**< stream time stamp, seconds */
    double wallclock;        /**< seconds since the Unix epoch (local time shown); <= 0: hidden */
    int show_mesh;           /**< draw landmarks (contours or points, see settings) */
    int show_model_bars;     /**< draw per-model bars */
    int show_graph;          /**< draw the history graph */
    int show_actions;        /**< draw the action panel of the graphed face */
    const char *status;      /**< optional extra status text ("PAUSED", "REC"); NULL = none */
    int show_gaze;           /**< draw the faces' gaze arrows */
} EmoOverlayInput;

typedef enum EmoMeshStyle {
    EMO_MESH_STYLE_CONTOURS = 0,   /**< face oval, eyes, brows, lips as lines */
    EMO_MESH_STYLE_POINTS = 1,     /**< every landmark as a dot */
    EMO_MESH_STYLE_BOTH = 2,
} EmoMeshStyle;

/** Overlay settings (see emo_overlay_default_settings). */
typedef struct EmoOverlaySettings {
    const EmoLogger *logger;     /**< NULL: default logger */
    char branding[EMO_STR_MAX];  /**< branding line; default "emoscope"; empty = none */
    double graph_seconds;        /**< span of the history graph, seconds; default 10 */
    EmoMeshStyle mesh_style;     /**< default EMO_MESH_STYLE_CONTOURS */
    const char *font_family;     /**< NULL = "DejaVu Sans" (falls back to Cairo's default "sans-serif") */
    int actions;                 /**< bars in the action panel, 1..EMO_RENDER_MAX_ACTIONS_SHOWN; default 6 */
} EmoOverlaySettings;

typedef struct EmoOverlay EmoOverlay;

/** Fills s with the defaults. */
EMO_API void emo_overlay_default_settings(EmoOverlaySettings *s);

/** Parses "contours", "points" or "both". @return 0 or EMO_EINVAL. */
EMO_API int emo_mesh_style_parse(const char *text, EmoMeshStyle *out);

/**
 * Creates an overlay renderer (fonts and patterns are made here).
 * @return 0; EMO_EINVAL for bad settings; EMO_ENOMEM. *out is NULL on failure.
 */
EMO_API int emo_overlay_open(EmoOverlay **out, const EmoOverlaySettings *s);

/**
 * Draws the overlay into a BGRA frame in place. The frame must be writable
 * by the caller (single owner). Any frame size works; sizes of text and
 * lines scale with min(width, height).
 * @return 0; EMO_EINVAL for a NULL argument, a frame that is not BGRA, or
 *         inconsistent counts (n_faces < 0, landmarks without points, ...).
 */
EMO_API int emo_overlay_draw(EmoOverlay *ov, EmoFrame *frame, const EmoOverlayInput *in);

/** Frees the renderer and sets *ov to NULL; NULL is a no-op. */
EMO_API void emo_overlay_close(EmoOverlay **ov);

/** An axis-aligned rectangle in frame pixels. w == 0: not drawn. */
typedef struct EmoRect {
    double x, y, w, h;
} EmoRect;

/**
 * Where the last emo_overlay_draw() put its parts (for tests and for
 * callers that want to place their own elements around them). No two of
 * hud, graph (legend and plot lie inside it), bars_panel, tag, badge,
 * caption, branding and actions_panel overlap, and each lies inside the
 * frame: a part with no free spot is shrunk (a panel loses its per-model
 * bars, the action panel its weaker rows) or left out (w == 0), in the
 * order of priority HUD, graph, tags, panels, badges and captions,
 * branding, action panel (the earlier keeps its place).
 */
typedef struct EmoOverlayLayout {
    double scale;                        /**< size factor: min(width, height) / 480 */
    int n_faces;                         /**< faces drawn */
    EmoRect bars_panel[EMO_RENDER_MAX_FACES];
    /** The track of emotion e's fused bar for face i: the fill runs from
     *  x over probs[e] * w pixels; the track height is h. */
    EmoRect bar[EMO_RENDER_MAX_FACES][EMO_RENDER_EMOTIONS];
    EmoRect graph;                       /**< history graph panel */
    EmoRect graph_plot;                  /**< plotting area inside it */
    EmoRect legend;                      /**< legend of the graph */
    EmoRect hud;                         /**< fps / time panel */
    EmoRect branding;                    /**< branding text box (with its shadow) */
    EmoRect tag[EMO_RENDER_MAX_FACES];     /**< label of each face box */
    EmoRect badge[EMO_RENDER_MAX_FACES];   /**< micro- / macro-expression badge of each face */
    EmoRect caption[EMO_RENDER_MAX_FACES]; /**< micro-movement caption of each face (with its shadow) */
    EmoRect actions_panel;               /**< action panel (w == 0: not drawn) */
    int actions_face;                    /**< index of the face whose actions it shows; -1: none */
    int n_action_bars;                   /**< its bars, strongest first */
    /** Which of that face's actions bar k shows (an index into its actions[]). */
    int action_index[EMO_RENDER_MAX_ACTIONS_SHOWN];
    /** The track of bar k: the fill runs from x over clamp(value) * w pixels. */
    EmoRect action_bar[EMO_RENDER_MAX_ACTIONS_SHOWN];
    /** Bar k's label as drawn: its advance width by the font's ascent plus
     *  descent (a long name is cut short with an ellipsis so that it ends
     *  before the bar). */
    EmoRect action_label[EMO_RENDER_MAX_ACTIONS_SHOWN];
} EmoOverlayLayout;

/** Copies the layout of the last draw call; zeroes when nothing was drawn yet. */
EMO_API void emo_overlay_last_layout(const EmoOverlay *ov, EmoOverlayLayout *out);

/* ---------------------------------------------------------------- timeline */

/** One micro- or macro-expression event on the timeline. */
typedef struct EmoTimelineEvent {
    double t_start, t_end;   /**< seconds; t_end == t_start: a single marker */
    const char *label;       /**< "micro-expression" / "macro-expression" / ...; NULL = "event" */
    const char *detail;      /**< optional: region and direction ("left brow, Up"); NULL = none */
    int macro;               /**< 1: macro-expression (drawn in a lighter style) */
} EmoTimelineEvent;

/** The whole run of one face. */
typedef struct EmoTimelineFace {
    int id;
    const double *t;         /**< n times, seconds, increasing */
    const float *probs;      /**< n x 7 smoothed probabilities, row-major */
    int n;
    const EmoTimelineEvent *events;
    int n_events;
} EmoTimelineFace;

typedef struct EmoTimelineData {
    const char *title;       /**< NULL = "emoscope timeline" */
    const char *subtitle;    /**< e.g. the input file name; NULL = none */
    double t_begin, t_end;   /**< time axis, seconds; t_end <= t_begin: from the data (all times within +-1e9 s) */
    const EmoTimelineFace *faces;
    int n_faces;             /**< one panel per face (at least one panel is drawn: "no faces") */
    const EmoLogger *logger; /**< where errors are reported; NULL = default logger */
} EmoTimelineData;

/**
 * Writes the timeline chart as PNG and/or SVG (either path may be NULL,
 * not both) of width x height pixels (each in 200..16384).
 * @return 0; EMO_EINVAL for bad arguments or data (NaN times, counts < 0,
 *         NULL arrays with n > 0); EMO_EIO when a file cannot be written.
 */
EMO_API int emo_render_timeline(const EmoTimelineData *data, const char *png_path, const char *svg_path,
                        int width, int height);

#ifdef __cplusplus
}
#endif
#endif
