/**
 * @file gaze.h
 * Gaze: where each eye of a face looks, from the irises of the 478-point
 * face landmarker and the head pose (docs/face.md, "Gaze").
 *
 * Angles are in degrees in camera space with the head pose's signs
 * (face.h, docs/face.md): yaw > 0 looks towards the image's right (the
 * subject's left), pitch > 0 looks up; yaw = pitch = 0 looks straight into
 * the camera. A face looking where its nose points has the gaze angles of
 * its head pose (yaw, pitch). "In head" angles are the same measured from
 * the face's own forward direction instead of the camera's axis.
 */
#ifndef EMOSCOPE_GAZE_H
#define EMOSCOPE_GAZE_H

#include <emoscope/export.h>
#include <emoscope/face.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Lid opening over eye width (both 3-D, mesh points 159-145 over 33-133 and
 *  386-374 over 362-263) below which an eye counts as closed: about 0.25 on an
 *  open eye (the canonical face: 0.255), under 0.1 in a blink. */
#define EMO_GAZE_MIN_OPENNESS 0.12f

/** Head yaw (degrees, either side) from which the combined gaze is the
 *  nearer eye's alone: the far eye is foreshortened and partly hidden. */
#define EMO_GAZE_ONE_EYE_YAW 25.0f

/** One eye. */
typedef struct EmoGazeEye {
    int valid;             /**< 1: an iris, the eye open, the iris on the modelled eyeball */
    float yaw, pitch;      /**< camera space, degrees */
    float head_yaw, head_pitch; /**< eye in head (relative to the face's forward direction), degrees */
    float openness;        /**< lid opening / eye width (3-D); 0 without landmarks */
} EmoGazeEye;

/** Both eyes and the combined direction of one face. */
typedef struct EmoGaze {
    int valid;             /**< 1: at least one eye is valid and yaw, pitch hold the gaze */
    float yaw, pitch;      /**< combined, camera space, degrees: the mean direction of the valid
                                eyes, or the nearer eye's when |head yaw| >= EMO_GAZE_ONE_EYE_YAW */
    unsigned eyes;         /**< eyes in the combined direction: bit 0 the right eye, bit 1 the left */
    EmoGazeEye eye[2];     /**< [0] the subject's right eye (image left, iris 468), [1] the left (iris 473) */
} EmoGaze;

/**
 * Gaze of a face from its landmarks (the 10 iris points are needed:
 * n_landmarks == EMO_FACE_LANDMARKS_MAX) and its head pose (yaw, pitch,
 * roll). Each eye is a sphere whose centre lies behind the eye's centre
 * (mean of its corners and lid midpoints) by the distance of the iris
 * from the eyeball's centre (10.5 mm: a 12 mm eyeball radius and an
 * 11.7 mm iris); the face's scale in pixels per cm comes from the 3-D
 * distances between the eye corners against the canonical face's. A few
 * dozen flops per eye, no allocation.
 * @return 0 (out->valid says whether a gaze was found; a face without
 *         irises gives valid 0), or EMO_EINVAL for NULL.
 */
EMO_API int emo_face_gaze(const EmoFace *face, EmoGaze *out);

#ifdef __cplusplus
}
#endif
#endif
