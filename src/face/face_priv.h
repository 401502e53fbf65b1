/* Internals of the face module, shared by its files and its tests. */
#ifndef EMOSCOPE_FACE_PRIV_H
#define EMOSCOPE_FACE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/face.h>
#include <emoscope/nn.h>

#define EMO_BF_SIZE 128     /* BlazeFace short-range input side */
#define EMO_BF_ANCHORS 896  /* its anchors */
#define EMO_BF_MAX_ANCHORS 2304 /* the full-range model's, the most of the two */
#define EMO_BF_COORDS 16    /* box x, y, w, h and 6 keypoints (x, y) */
#define EMO_BF_SCORE_CLIP 100.0f /* both models (MediaPipe's score_clipping_thresh) */

/* The two BlazeFace networks (face.detector): same outputs, decoding, NMS
 * and letterbox; they differ in input side and anchors. */
typedef enum EmoDetKind {
    EMO_DET_SHORT = 0, /* face_detection_short_range.tflite: 128x128, 896 anchors */
    EMO_DET_FULL = 1,  /* face_detection_full_range.tflite: 192x192, 2304 anchors (48x48, stride 4) */
} EmoDetKind;

typedef struct EmoDetSpec {
    EmoDetKind kind;
    int size;            /* input side, pixels (RGB in [-1,1], letterboxed with black) */
    int anchors;         /* outputs: anchors x 16 regressors and anchors logits */
    int layers;          /* SSD anchor layers and their strides (input pixels) */
    int strides[4];
    int per_layer;       /* anchors per cell each layer adds */
    const char *file;    /* in the models folder */
    const char *name;    /* for messages */
} EmoDetSpec;

const EmoDetSpec *emo__det_spec(EmoDetKind kind);
/* spec->anchors anchor centres (x, y) in [0,1] of the input (fixed size 1). */
void emo__det_anchors(const EmoDetSpec *spec, float (*anchors)[2]);
/* As emo__bf_decode (below) for either network: offsets in spec->size pixels. */
int emo__det_decode(const EmoDetSpec *spec, const float *regressors, const float *logits, const float (*anchors)[2],
                    float min_score, EmoDetection *out, int max);
/* Letterbox of a w x h frame into a size x size input: input pixels -> frame pixels. */
void emo__letterbox_to(int w, int h, int size, float m[6]);

/* Affine maps are float[6]: x' = m[0]*x + m[1]*y + m[2], y' = m[3]*x + m[4]*y + m[5]. */

/* Short-range: the 896 anchor centres (x, y) in [0,1] of the 128x128 input (fixed size 1). */
void emo__bf_anchors(float (*anchors)[2]);

/*
 * Decodes raw outputs: every anchor whose sigmoid(clip(logit)) >= min_score
 * becomes a detection in input units ([0,1] of the 128x128 input). Returns
 * the number written (at most max), best first is NOT guaranteed.
 */
int emo__bf_decode(const float *regressors, const float *logits, const float (*anchors)[2], float min_score,
                   EmoDetection *out, int max);

/*
 * MediaPipe-style weighted non-maximum suppression: sorts dets by score,
 * then each best remaining detection absorbs those overlapping it by more
 * than iou; its box and keypoints become their score-weighted mean, its
 * score stays the best one. dets is reordered (scratch). Returns the number
 * written to out (at most max), best first.
 */
int emo__weighted_nms(EmoDetection *dets, int n, float iou, EmoDetection *out, int max);

float emo__iou(const float a[4], const float b[4]);

/* EmoFace.size_px of landmarks lm (the 468 mesh points, frame pixels): their
 * extent along the eye line 33 -> 263, the face's width whatever its roll. */
float emo__face_width(const float (*lm)[3]);

/* Letterbox of a w x h frame into the 128x128 input: input pixels -> frame pixels. */
void emo__letterbox(int w, int h, float m[6]);

/* Applies m to detections given in [0,1] input units (scaled by size first). */
void emo__detection_map(EmoDetection *d, const float m[6], float size);

/* Square crop centred at (cx, cy) of side `side` rotated by rot (radians, image
 * coordinates): output pixels of a size x size image -> frame pixels. */
void emo__roi_affine(float cx, float cy, float side, float rot, int size, float m[6]);

/* MediaPipe's rotation that levels the line p0 -> p1 (radians, in (-pi, pi]). */
float emo__roi_rotation(float x0, float y0, float x1, float y1);

int emo__affine_invert(const float m[6], float inv[6]);

/* The crop m (size x size output pixels -> frame pixels) flipped left/right:
 * output x -> size - x, so output pixel u samples what m's pixel size-1-u does. */
void emo__affine_mirror_x(const float m[6], int size, float out[6]);

/*
 * Samples a w x h RGB float image from frame through m (output pixel centre
 * -> frame coordinates) with bilinear interpolation, averaging ss x ss
 * sub-samples per pixel (ss >= 1; for strong downscaling). Values are
 * byte * scale + bias. Outside the frame: black when zero_border, else the
 * nearest edge pixel. Frames: BGRA or RGB24.
 */
void emo__warp_rgbf(const EmoFrame *frame, const float m[6], int w, int h, int ss, int zero_border, float scale,
                    float bias, float *dst);

/* Same sampling into bytes: channels 1 (gray), 3 (RGB) or 4 (BGRA). */
void emo__warp_u8(const EmoFrame *frame, const float m[6], int w, int h, int channels, uint8_t *dst, int stride);

/* The plain-C references of the two warps; the functions above use SIMD
 * kernels where the CPU has them (AVX2; BGRA frames, ss = 1, gray bytes)
 * and give exactly the same values. */
void emo__warp_rgbf_c(const EmoFrame *frame, const float m[6], int w, int h, int ss, int zero_border, float scale,
                      float bias, float *dst);
void emo__warp_u8_c(const EmoFrame *frame, const float m[6], int w, int h, int channels, uint8_t *dst, int stride);

/* Canonical face (MediaPipe canonical_face_model.obj): 468 vertices. */
typedef struct EmoCanonicalFace {
    float v[EMO_FACE_LANDMARKS][3];
} EmoCanonicalFace;

/* Parses the text of an OBJ file: the first 468 'v' lines. EMO_EFORMAT with
 * a message in err (line number) when malformed or short. */
int emo__obj_parse(const char *text, size_t n, EmoCanonicalFace *out, char *err, size_t err_n);
int emo__obj_load(const char *path, EmoCanonicalFace *out, char *err, size_t err_n);
/* The canonical face seen from the front (x, -y of the vertices) in a
 * size x size image: the vertices' bounding box centred, its larger side
 * 0.9 of the image; pts receives x, y pairs (the landmarks of a frontal
 * aligned face, for benchmarks and tests of code that takes landmarks). */
void emo__canonical_front(const EmoCanonicalFace *c, int size, float *pts);

/*
 * Head pose: similarity fit (Horn's quaternion method) of the canonical
 * points to the landmarks (x right, y down, z away from the camera, one
 * scale). R (row-major) maps canonical (x right, y up, z towards the camera)
 * to camera axes of the same handedness. Angles in degrees. Returns the RMS
 * residual in landmark units.
 */
float emo__pose_fit(const EmoCanonicalFace *c, const float (*lm)[3], int n, float R[9], float *scale,
                    float *yaw, float *pitch, float *roll);

/* Rotation matrix for the angles of emo__pose_fit (inverse of its angle extraction). */
void emo__pose_matrix(float yaw, float pitch, float roll, float R[9]);

/*
 * Left/right correspondence of the canonical face: out[i] is the vertex
 * nearest to vertex i mirrored (x -> -x); midline vertices map to
 * themselves. EMO_EFORMAT when the face is not mirror-symmetric (the map is
 * not an involution or a pair is further apart than 1% of the face's width).
 */
int emo__mirror_map(const EmoCanonicalFace *c, int *out);

/* n mesh landmarks in the crop (input pixels) -> frame pixels through the crop's affine. */
void emo__landmarks_to_frame(const float *raw, const float m[6], int n, float (*lm)[3]);

/* Left/right pairs of the iris points (EMO_FACE_IRIS_RIGHT/LEFT order):
 * map[i] for i in [468, 478), the point the mirror image of i is. */
void emo__iris_mirror_map(int *map);

/* The tracker's landmark networks (src/face/mesh_model.c). */
typedef enum EmoMeshKind {
    EMO_MESH_FACEMESH = 0,  /* face_landmark.tflite, 468 points, 192x192 */
    EMO_MESH_LANDMARKER = 1 /* face_landmarks_detector.tflite in face_landmarker.task, 478 points, 256x256 */
} EmoMeshKind;

typedef struct EmoMeshSpec {
    EmoMeshKind kind;
    int size;         /* input side, pixels */
    int points;       /* landmarks out */
    const char *name; /* for messages */
} EmoMeshSpec;

const EmoMeshSpec *emo__mesh_spec(EmoMeshKind kind);

/* face.mesh_model ("auto", "landmarker", "facemesh") -> the network to use;
 * auto picks the landmarker when models_dir holds face_landmarker.task and
 * logs the fallback otherwise. EMO_EINVAL for another value. */
int emo__mesh_choose(const char *setting, const char *models_dir, const EmoLogger *log, EmoMeshKind *kind);

/* The output of m with count values (and, unless name is NULL, that name), or -1. */
int emo__find_output(const EmoNnModel *m, const char *name, size_t count);

/* Opens the network of kind from models_dir and finds its landmark and
 * presence outputs; EMO_EFORMAT (with a message) when the file is not that
 * network, else the nn module's code. *out is NULL on failure. */
int emo__mesh_open(EmoNnModel **out, EmoMeshKind kind, const char *models_dir, int threads, const EmoLogger *log,
                   int *lm_out, int *presence_out);

#endif
