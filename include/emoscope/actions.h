/**
 * @file actions.h
 * Facial actions of one face: MediaPipe's 52 blendshape scores, computed by
 * the blendshape model of its face landmarker bundle (face_blendshapes.tflite
 * inside face_landmarker.task) from the face's 478 landmarks, and FACS
 * action-unit intensities derived from them by a documented table
 * (docs/actions.md).
 *
 * Input convention: the 478 points of MediaPipe's face landmarker (the 468
 * mesh points, then 10 iris points) with x, y in image pixels, as the
 * tracker gives them. MediaPipe feeds the model normalised landmarks times
 * the image width and height, which are these pixels; the model normalises
 * the points itself (centre and mean distance), so only their aspect ratio
 * matters, and that of the pixels is right.
 *
 * Threading: one EmoBlendshapes per worker thread. A handle owns its model
 * and buffers (allocated at open); emo_blendshapes_run() allocates nothing.
 */
#ifndef EMOSCOPE_ACTIONS_H
#define EMOSCOPE_ACTIONS_H

#include <stddef.h>

#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMO_BLENDSHAPES 52               /**< scores of the model, in MediaPipe's order */
#define EMO_BLENDSHAPE_POINTS 478        /**< landmarks the input is built from */
#define EMO_BLENDSHAPE_SUBSET 146        /**< landmarks the model reads (kLandmarksSubsetIdxs) */
#define EMO_BLENDSHAPE_MEMBER "face_blendshapes.tflite" /**< the model's name inside the bundle */
#define EMO_ACTION_UNITS 29              /**< action units of emo_action_units() */

typedef struct EmoBlendshapesSettings {
    const char *bundle;    /**< path of face_landmarker.task (required) */
    int threads;           /**< worker threads of the model; default 1 (one handle per pipeline worker) */
    const EmoLogger *log;  /**< NULL: stderr */
} EmoBlendshapesSettings;

typedef struct EmoBlendshapes EmoBlendshapes;

EMO_API void emo_blendshapes_default_settings(EmoBlendshapesSettings *s);

/**
 * Loads the blendshape model from the bundle. On success *out owns
 * everything (free with emo_blendshapes_close()); on failure *out is NULL
 * and a message names the file and the problem. EMO_EINVAL without a
 * bundle path; EMO_ENOENT when the file or its member is missing.
 */
EMO_API int emo_blendshapes_open(EmoBlendshapes **out, const EmoBlendshapesSettings *s);

/**
 * Builds the model's input from a face's landmarks: the 146 points of
 * MediaPipe's subset, (x, y) each, into out[0 .. 2*EMO_BLENDSHAPE_SUBSET).
 * points[i * stride + 0] and [i * stride + 1] are landmark i's x and y in
 * image pixels (stride 3 for x, y, z rows); n must be at least
 * EMO_BLENDSHAPE_POINTS. Returns 0, or EMO_EINVAL (too few points, a stride
 * below 2, NULL, or a coordinate that is not finite).
 */
EMO_API int emo_blendshapes_input(float *out, const float *points, int n, int stride);

/**
 * The 52 scores in [0,1] of the face whose landmarks are given as for
 * emo_blendshapes_input(), into scores[0 .. EMO_BLENDSHAPES). Returns 0 or
 * a negative EMO_E* code (scores untouched).
 */
EMO_API int emo_blendshapes_run(EmoBlendshapes *b, const float *points, int n, int stride, float *scores);

/** Multiply-adds of one run (the model's). */
EMO_API unsigned long long emo_blendshapes_macs(const EmoBlendshapes *b);

/** Frees the handle and sets *b to NULL; NULL is a no-op. */
EMO_API void emo_blendshapes_close(EmoBlendshapes **b);

/** MediaPipe's name of score i ("_neutral", "browDownLeft", ...), or NULL out of range. */
EMO_API const char *emo_blendshape_name(int i);
/** Index of the score called name, or -1. */
EMO_API int emo_blendshape_index(const char *name);

/** FACS number of action unit i of emo_action_units() (1, 2, 4, ...; 43 stands for 43/45), or -1. */
EMO_API int emo_action_unit_number(int i);
/** FACS name of action unit i ("inner brow raiser", ...), or NULL. */
EMO_API const char *emo_action_unit_name(int i);
/** The blendshapes action unit i is derived from and how, as in docs/actions.md, or NULL. */
EMO_API const char *emo_action_unit_rule(int i);
/** Index of FACS action unit `number` in emo_action_units(), or -1. */
EMO_API int emo_action_unit_index(int number);

/**
 * Action-unit intensities in [0,1] from the 52 scores: au[i] for the unit
 * emo_action_unit_number(i), i < EMO_ACTION_UNITS, by the table of
 * docs/actions.md.
 */
EMO_API void emo_action_units(const float *scores, float *au);

#ifdef __cplusplus
}
#endif

#endif
