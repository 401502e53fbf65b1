/**
 * @file viewer.h
 * The live window (SDL2) and the sound cues (SDL2 audio): the API of the
 * emoscope_viewer library, kept apart from libemoscope so that the
 * analysis library needs neither SDL2 nor a display.
 *
 * The window shows BGRA frames that the caller has already annotated
 * (emo_overlay_draw). It never waits for analysis: the caller presents the
 * newest annotated frame whenever it has one and polls the keyboard for
 * actions. Window calls must come from one thread (the one that opened it;
 * with SDL that should be the main thread).
 *
 * Sound cues are split in two: a pure decision rule (EmoCueDecider: given
 * time, dominant emotion and its smoothed probability, which cue fires) and
 * the playback (EmoAudio) built on it.
 */
#ifndef EMOSCOPE_VIEWER_H
#define EMOSCOPE_VIEWER_H

#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ window */

typedef struct EmoViewerSettings {
    const EmoLogger *logger;         /**< NULL: default logger */
    char title[128];                 /**< window title; default "emoscope" */
    int width, height;               /**< initial window size, pixels; default 1280 x 720 */
    char output_dir[EMO_PATH_MAX];   /**< where screenshots go (made if missing); default "." */
    int fullscreen;                  /**< start full screen (desktop resolution); default 0 */
    int vsync;                       /**< sync presents to the display; default 0 (present never blocks) */
    int show_mesh, show_model_bars, show_graph, show_actions; /**< initial toggle states reported by the keys */
    int show_gaze;                   /**< initial state of the gaze arrows' toggle (key e) */
} EmoViewerSettings;

typedef enum EmoViewerActionType {
    EMO_VIEWER_QUIT = 1,        /**< q, Esc or the window closed */
    EMO_VIEWER_PAUSE,           /**< space; value: 1 paused, 0 running */
    EMO_VIEWER_MESH,            /**< m; value: the new state of the mesh toggle */
    EMO_VIEWER_MODEL_BARS,      /**< b; value: the new state */
    EMO_VIEWER_GRAPH,           /**< g; value: the new state */
    EMO_VIEWER_SCREENSHOT,      /**< s; value: 0 written to path, else an EMO_E* code */
    EMO_VIEWER_FULLSCREEN,      /**< f; value: 1 full screen, 0 windowed */
    EMO_VIEWER_THRESHOLD_UP,    /**< + (or =, keypad +): raise the micro-expression threshold */
    EMO_VIEWER_THRESHOLD_DOWN,  /**< - (keypad -): lower it */
    EMO_VIEWER_RECORD,          /**< r; value: 1 start recording, 0 stop */
    EMO_VIEWER_ACTIONS,         /**< a; value: the new state of the action panel toggle */
    EMO_VIEWER_GAZE,            /**< e; value: the new state of the gaze arrows' toggle */
} EmoViewerActionType;

typedef struct EmoViewerAction {
    EmoViewerActionType type;
    int value;
    char path[EMO_PATH_MAX];    /**< screenshot file (EMO_VIEWER_SCREENSHOT) */
} EmoViewerAction;

/** Current toggle states. */
typedef struct EmoViewerState {
    int paused, show_mesh, show_model_bars, show_graph, fullscreen, recording, show_actions;
    int show_gaze;
    int window_w, window_h;     /**< drawable size, pixels */
    int64_t frames_presented;
} EmoViewerState;

typedef struct EmoViewer EmoViewer;

void emo_viewer_default_settings(EmoViewerSettings *s);

/** 1 when a window can probably be opened (DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER set). */
int emo_viewer_display_available(void);

/**
 * Opens the window.
 * @return 0; EMO_ENODEV when there is no display or SDL cannot make a
 *         window or renderer (message logged); EMO_EINVAL; EMO_ENOMEM.
 */
int emo_viewer_open(EmoViewer **out, const EmoViewerSettings *s);

/**
 * Shows a BGRA frame (letterboxed to the window). The viewer keeps a
 * reference to it (emo_frame_ref) until the next present or close, for
 * redraws and screenshots: the caller must not write it afterwards, as
 * frame.h requires of shared frames. While paused the frame shown at the
 * pause stays up and new frames are ignored.
 * @return 0; EMO_EINVAL for a NULL or non-BGRA frame; EMO_EIO when SDL fails.
 */
int emo_viewer_present(EmoViewer *v, EmoFrame *bgra);

/**
 * Handles pending window events without waiting; fills up to max actions
 * (events beyond max stay queued for the next call). Screenshots (s) and
 * full screen (f) are carried out here; the other actions are the caller's.
 * @return the number of actions (>= 0) or a negative EMO_E* code.
 */
int emo_viewer_poll(EmoViewer *v, EmoViewerAction *actions, int max);

/** Current toggles and window size. */
void emo_viewer_get_state(const EmoViewer *v, EmoViewerState *st);

/**
 * Writes the frame shown now as PNG into the output folder, named
 * emoscope-YYYYmmdd-HHMMSS-mmm.png (local time); path receives the name.
 * @return 0; EMO_EAGAIN when nothing was presented yet; EMO_EIO.
 */
int emo_viewer_screenshot(EmoViewer *v, char *path, size_t path_size);

/** Asks for a window size (pixels); the window manager may adjust it. */
int emo_viewer_set_window_size(EmoViewer *v, int w, int h);

/**
 * Redraws and reads back the window contents into out (BGRA, exactly the
 * drawable size from emo_viewer_get_state: allocate it to that size).
 * For tests and window captures.
 * @return 0; EMO_EINVAL when out is not BGRA of the drawable size; EMO_EIO.
 */
int emo_viewer_read_window(EmoViewer *v, EmoFrame *out);

/** Closes the window and sets *v to NULL; NULL is a no-op. */
void emo_viewer_close(EmoViewer **v);

/**
 * The largest rectangle of the frame's aspect ratio centred in the window
 * (letterbox or pillarbox). Outputs are 0 for empty sizes.
 */
void emo_viewer_letterbox(int win_w, int win_h, int frame_w, int frame_h, int *x, int *y, int *w, int *h);

/* ------------------------------------------------------------ sound cues */

/** Number of emotions with a cue (canonical order, see render.h). */
#define EMO_CUE_EMOTIONS 7

/**
 * The cue rule, pure and deterministic. A cue for emotion e fires when e
 * becomes dominant with a smoothed probability >= threshold (it was not the
 * dominant-above-threshold emotion at the previous update) and the last
 * cue of e is at least cooldown seconds old. A transition inside the
 * cooldown is dropped, not delayed. Time going backwards (a looping file)
 * forgets the past cues.
 */
typedef struct EmoCueDecider {
    double threshold;                     /**< probability in [0,1] */
    double cooldown;                      /**< seconds, per emotion */
    double last_cue[EMO_CUE_EMOTIONS];    /**< time of the last cue; -inf: never */
    double last_t;
    int state;                            /**< emotion dominant above threshold at the last update, -1 none */
} EmoCueDecider;

void emo_cue_decider_init(EmoCueDecider *d, double threshold, double cooldown);
/**
 * One step: t in seconds (stream time), the dominant emotion (< 0: none or
 * no face) and its smoothed probability.
 * @return the emotion whose cue fires now, or -1.
 */
int emo_cue_decider_update(EmoCueDecider *d, double t, int dominant, double prob);

typedef struct EmoAudioCueSettings {
    const EmoLogger *logger;         /**< NULL: default logger */
    int enabled;                     /**< 0: decisions only, no device opened; default 1 */
    double threshold;                /**< default 0.6 */
    double cooldown;                 /**< seconds; default 3 */
    double volume;                   /**< 0..1; default 0.5 */
    /** WAV file per emotion; NULL or "" = the built-in synthesised cue. */
    const char *sound[EMO_CUE_EMOTIONS];
} EmoAudioCueSettings;

typedef struct EmoAudio EmoAudio;

void emo_audio_default_settings(EmoAudioCueSettings *s);

/**
 * Opens the audio device and prepares every cue (WAV files converted to the
 * device format, built-in cues synthesised). Without an audio device, or
 * when SDL audio fails, it logs one warning and returns a handle that
 * still decides cues but plays nothing: the run goes on. A WAV file that
 * cannot be read is a warning too; its emotion falls back to the built-in cue.
 * @return 0; EMO_EINVAL for bad settings; EMO_ENOMEM.
 */
int emo_audio_open(EmoAudio **out, const EmoAudioCueSettings *s);

/** Runs the cue rule and plays the cue that fires. @return its emotion, or -1. */
int emo_audio_update(EmoAudio *a, double t, int dominant, double prob);

/** Plays emotion e's cue now (replacing one still playing). @return 0, EMO_EINVAL, EMO_ENODEV. */
int emo_audio_play(EmoAudio *a, int e);

/** 1 when a device is open. */
int emo_audio_has_device(const EmoAudio *a);

/** Length of emotion e's prepared cue in seconds (0 without a device); *builtin set when not NULL. */
double emo_audio_cue_seconds(const EmoAudio *a, int e, int *builtin);

/** Sample rate of the prepared cues (float32 mono), 0 without a device. */
int emo_audio_sample_rate(const EmoAudio *a);

/** Stops the sound, closes the device, sets *a to NULL; NULL is a no-op. */
void emo_audio_close(EmoAudio **a);

/* ------------------------------------------------------------ INI adapter (adapt.c) */

/** Takes the toggles, window size and full screen from render.* and the output folder from general.output_dir. */
void emo_viewer_settings_from_config(EmoViewerSettings *s, const EmoConfig *cfg);
/** Points s->sound at cfg's audio.sound_* strings (cfg must outlive emo_audio_open only). */
void emo_audio_settings_from_config(EmoAudioCueSettings *s, const EmoConfig *cfg);

#ifdef __cplusplus
}
#endif
#endif
