/* Internals of the gaze estimator (src/face/gaze.c), shared with its tests. */
#ifndef EMOSCOPE_FACE_GAZE_PRIV_H
#define EMOSCOPE_FACE_GAZE_PRIV_H

#include <emoscope/gaze.h>

/* The eye model, in cm (anatomical averages): the iris (11.7 mm across)
 * sits on an eyeball of 12 mm radius, so its centre lies sqrt(1.2^2 - 0.585^2) =
 * 1.048 cm from the eyeball's centre of rotation. */
#define EMO_GAZE_IRIS_CM 1.17
#define EMO_GAZE_EYEBALL_CM 1.2

/* Where the iris rests (the eye looking along the face's forward
 * direction): the mean of the eye's corners and lid midpoints moved this
 * share of the corner-to-corner width outwards. Adult averages put the
 * pupils 63 mm apart, the inner corners 32 mm and the outer ones 90 mm:
 * the pupil at (31.5 - 16) / (45 - 16) = 0.534 of the way from the inner
 * corner, not at the middle; the landmarker agrees (on the photos of
 * tests/face/test_gaze.c the two eyes diverge by 7 to 20 degrees with
 * the middle, docs/face.md). */
#define EMO_GAZE_REST_OUTWARD 0.034

/* Mesh points of each eye, [0] the subject's right eye: outer and inner
 * corner, upper and lower lid (middle of each lid). */
extern const int emo__gaze_eye_points[2][4];

/* Distance of the iris centre from the eyeball's centre, cm. */
double emo__gaze_iris_radius_cm(void);

/* Pixels per cm of the face: the 3-D distances between its outer (33-263)
 * and inner (133-362) eye corners over the canonical face's; 0 when degenerate. */
float emo__gaze_px_per_cm(const float (*lm)[3]);

/* The gaze of 478 landmarks (frame pixels, face.h's axes) under head
 * rotation R (emo__pose_matrix's, canonical -> camera axes) at px_per_cm;
 * head_yaw picks the eye when the face is turned far. */
void emo__gaze_estimate(const float (*lm)[3], const float R[9], float px_per_cm, float head_yaw, EmoGaze *out);

#endif
