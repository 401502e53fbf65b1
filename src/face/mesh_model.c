#define _POSIX_C_SOURCE 200809L
/* Which landmark network the tracker runs (face.mesh_model), and opening it:
 * MediaPipe's 478-point face landmarker from inside face_landmarker.task, or
 * the 468-point face mesh from face_landmark.tflite. Both take a square RGB
 * crop in [0,1] of the face box enlarged crop_scale times and rotated
 * upright, and give x, y, z per point in crop pixels and a face-presence
 * logit; only the crop's side, the point count and the outputs' names differ. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <emoscope/nn.h>

#include "face_priv.h"

#define BUNDLE "face_landmarker.task"
#define BUNDLE_MEMBER "face_landmarks_detector.tflite"
#define FACEMESH "face_landmark.tflite"

static const EmoMeshSpec specs[2] = {
    [EMO_MESH_FACEMESH] = { EMO_MESH_FACEMESH, 192, EMO_FACE_LANDMARKS, "face mesh (468 points, " FACEMESH ")" },
    [EMO_MESH_LANDMARKER] = { EMO_MESH_LANDMARKER, 256, EMO_FACE_LANDMARKS_MAX,
                              "face landmarker (478 points with irises, " BUNDLE ")" },
};

const EmoMeshSpec *emo__mesh_spec(EmoMeshKind kind)
{
    return kind == EMO_MESH_LANDMARKER ? &specs[EMO_MESH_LANDMARKER] : &specs[EMO_MESH_FACEMESH];
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int emo__mesh_choose(const char *setting, const char *models_dir, const EmoLogger *log, EmoMeshKind *kind)
{
    char path[EMO_PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/" BUNDLE, models_dir);
    if (!strcmp(setting, "landmarker")) {
        *kind = EMO_MESH_LANDMARKER;
    } else if (!strcmp(setting, "facemesh")) {
        *kind = EMO_MESH_FACEMESH;
    } else if (!strcmp(setting, "auto")) {
        *kind = file_exists(path) ? EMO_MESH_LANDMARKER : EMO_MESH_FACEMESH;
        if (*kind == EMO_MESH_FACEMESH)
            emo_log(log, EMO_LOG_INFO,
                    "face: %s not found: falling back to the 468-point face mesh (no iris points; `emoscope models` "
                    "installs the bundle)",
                    path);
    } else {
        emo_log(log, EMO_LOG_ERROR, "face: mesh_model \"%s\": use auto, landmarker or facemesh", setting);
        return EMO_EINVAL;
    }
    return 0;
}

int emo__find_output(const EmoNnModel *m, const char *name, size_t count)
{
    for (int i = 0; i < emo_nn_num_outputs(m); i++) {
        EmoNnTensorInfo info;
        if (emo_nn_output_info(m, i, &info) == 0 && info.count == count && (!name || !strcmp(info.name, name)))
            return i;
    }
    return -1;
}

int emo__mesh_open(EmoNnModel **out, EmoMeshKind kind, const char *models_dir, int threads, const EmoLogger *log,
                   int *lm_out, int *presence_out)
{
    *out = NULL;
    const EmoMeshSpec *spec = emo__mesh_spec(kind);
    EmoNnSettings ns;
    emo_nn_default_settings(&ns);
    ns.threads = threads;
    ns.log = log;
    char path[EMO_PATH_MAX + 64];
    EmoNnModel *m = NULL;
    int rc;
    if (kind == EMO_MESH_LANDMARKER) {
        snprintf(path, sizeof(path), "%s/" BUNDLE, models_dir);
        rc = emo_nn_open_member(&m, path, BUNDLE_MEMBER, &ns);
    } else {
        snprintf(path, sizeof(path), "%s/" FACEMESH, models_dir);
        rc = emo_nn_open(&m, path, &ns);
    }
    if (rc < 0)
        return rc;
    /* The face mesh's outputs go by their count (their names, conv2d_21 and
     * conv2d_31, say nothing); the landmarker has two single-value outputs
     * (presence logit, tongue score), so its go by name. */
    int named = kind == EMO_MESH_LANDMARKER;
    *lm_out = emo__find_output(m, named ? "Identity" : NULL, (size_t)spec->points * 3);
    *presence_out = emo__find_output(m, named ? "Identity_1" : NULL, 1);
    EmoNnTensorInfo in;
    int input_ok = emo_nn_num_inputs(m) == 1 && emo_nn_input_info(m, 0, &in) == 0 &&
                   in.count == (size_t)spec->size * spec->size * 3;
    if (*lm_out < 0 || *presence_out < 0 || !input_ok) {
        emo_log(log, EMO_LOG_ERROR, "face: %s is not the %s (%dx%d RGB in, %d points and a presence logit out)", path,
                spec->name, spec->size, spec->size, spec->points);
        emo_nn_close(&m);
        return EMO_EFORMAT;
    }
    *out = m;
    return 0;
}
