/* Gaze from the landmarker's irises and the head pose (docs/face.md, "Gaze"). */
#include <math.h>
#include <string.h>

#include "face_priv.h"
#include "gaze_priv.h"

static const double RAD2DEG = 57.29577951308232;

/* MediaPipe's mesh topology (FACEMESH_RIGHT_EYE / LEFT_EYE); on the
 * canonical face 33 and 263 are the outer corners (|x| 4.45 cm), 133 and
 * 362 the inner ones (|x| 1.86), 159/386 the upper and 145/374 the lower
 * lid above and below the eye's middle (x 3.18, 0.68 cm apart). */
const int emo__gaze_eye_points[2][4] = {
    { 33, 133, 159, 145 },
    { 263, 362, 386, 374 },
};

/* Canonical face (canonical_face_model.obj, cm): |33 - 263| and |133 - 362|;
 * tests/face/test_gaze.c checks them against the file. */
#define CANON_OUTER_CM 8.891718
#define CANON_INNER_CM 3.712864

double emo__gaze_iris_radius_cm(void)
{
    const double r = EMO_GAZE_EYEBALL_CM, h = 0.5 * EMO_GAZE_IRIS_CM;
    return sqrt(r * r - h * h);
}

static double dist3(const float *a, const float *b)
{
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

float emo__gaze_px_per_cm(const float (*lm)[3])
{
    /* 3-D distances do not shrink when the head turns (the mesh's z is in
     * the same pixels as x and y); the eye corners barely move with
     * expressions, unlike the mouth or the brows. */
    double d = dist3(lm[33], lm[263]) + dist3(lm[133], lm[362]);
    double s = d / (CANON_OUTER_CM + CANON_INNER_CM);
    return isfinite(s) && s > 0 ? (float)s : 0.0f;
}

/* Camera axes (x right, y up, z towards the camera) of landmark i. */
static void cam(const float (*lm)[3], int i, double p[3])
{
    p[0] = lm[i][0];
    p[1] = -lm[i][1];
    p[2] = -lm[i][2];
}

static void angles(const double g[3], float *yaw, float *pitch)
{
    double gy = g[1] > 1.0 ? 1.0 : (g[1] < -1.0 ? -1.0 : g[1]);
    *yaw = (float)(atan2(g[0], g[2]) * RAD2DEG);
    *pitch = (float)(asin(gy) * RAD2DEG);
}

/*
 * One eye: the eyeball's centre lies r behind the eye's centre E along the
 * face's forward direction f (so that an eye looking straight ahead puts
 * its iris at E), and the iris centre I lies on the sphere of radius r
 * around it. Under the scaled orthographic projection of the pose fit,
 * I = E - r f + r g in x and y, so the gaze g has x, y = (I - E) / r + f
 * and its z follows from |g| = 1 (the iris faces the camera: z > 0).
 */
static void eye_gaze(const float (*lm)[3], int e, const float R[9], double r, double g[3], EmoGazeEye *out)
{
    const int *pt = emo__gaze_eye_points[e];
    const int iris = e ? EMO_FACE_IRIS_LEFT : EMO_FACE_IRIS_RIGHT;
    double width = dist3(lm[pt[0]], lm[pt[1]]);
    out->openness = width > 0 ? (float)(dist3(lm[pt[2]], lm[pt[3]]) / width) : 0.0f;
    double E[2], p[4][3], I[3];
    for (int k = 0; k < 4; k++)
        cam(lm, pt[k], p[k]);
    for (int a = 0; a < 2; a++)
        E[a] = 0.25 * (p[0][a] + p[1][a] + p[2][a] + p[3][a]) + EMO_GAZE_REST_OUTWARD * (p[0][a] - p[1][a]);
    cam(lm, iris, I);
    g[0] = (I[0] - E[0]) / r + R[2];
    g[1] = (I[1] - E[1]) / r + R[5];
    double rho2 = g[0] * g[0] + g[1] * g[1];
    /* Past the sphere's rim the landmarks contradict the model (a bad mesh,
     * a profile face): no direction rather than a made-up one. */
    out->valid = isfinite(rho2) && rho2 < 1.0 && out->openness >= EMO_GAZE_MIN_OPENNESS;
    if (!out->valid) {
        g[0] = g[1] = 0;
        g[2] = 1;
        out->yaw = out->pitch = out->head_yaw = out->head_pitch = 0;
        return;
    }
    g[2] = sqrt(1.0 - rho2);
    angles(g, &out->yaw, &out->pitch);
    const double h[3] = { /* R^T g: the direction in the face's own axes */
        R[0] * g[0] + R[3] * g[1] + R[6] * g[2],
        R[1] * g[0] + R[4] * g[1] + R[7] * g[2],
        R[2] * g[0] + R[5] * g[1] + R[8] * g[2],
    };
    angles(h, &out->head_yaw, &out->head_pitch);
}

void emo__gaze_estimate(const float (*lm)[3], const float R[9], float px_per_cm, float head_yaw, EmoGaze *out)
{
    memset(out, 0, sizeof(*out));
    if (!(px_per_cm > 0) || !isfinite(px_per_cm))
        return;
    double r = emo__gaze_iris_radius_cm() * px_per_cm, g[2][3];
    for (int e = 0; e < 2; e++)
        eye_gaze(lm, e, R, r, g[e], &out->eye[e]);
    unsigned use = (out->eye[0].valid ? 1u : 0u) | (out->eye[1].valid ? 2u : 0u);
    /* Turned far, the nearer eye alone when it is valid: yaw > 0 turns the
     * nose to the image's right, which brings the subject's right eye
     * (eye 0) towards the camera. */
    if (use == 3u && fabsf(head_yaw) >= EMO_GAZE_ONE_EYE_YAW)
        use = head_yaw > 0 ? 1u : 2u;
    if (!use)
        return;
    double m[3] = { 0, 0, 0 };
    for (int e = 0; e < 2; e++)
        if (use & (1u << e))
            for (int k = 0; k < 3; k++)
                m[k] += g[e][k];
    double n = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
    for (int k = 0; k < 3; k++)
        m[k] /= n;
    angles(m, &out->yaw, &out->pitch);
    out->eyes = use;
    out->valid = 1;
}

int emo_face_gaze(const EmoFace *face, EmoGaze *out)
{
    if (!face || !out)
        return EMO_EINVAL;
    memset(out, 0, sizeof(*out));
    if (face->n_landmarks < EMO_FACE_LANDMARKS_MAX)
        return 0;
    const float (*lm)[3] = (const float(*)[3])face->landmarks;
    float R[9];
    emo__pose_matrix(face->yaw, face->pitch, face->roll, R);
    emo__gaze_estimate(lm, R, emo__gaze_px_per_cm(lm), face->yaw, out);
    return 0;
}
