/**
 * @file face.h
 * Faces: BlazeFace short-range detection, face-mesh tracking with stable ids
 * (MediaPipe's 478-point face landmarker when its bundle is installed, else
 * the 468-point face mesh), alignment warps and head pose.
 *
 * Coordinates: frame pixels with continuous coordinates, pixel (i, j) covers
 * [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5). Landmark z is in
 * the same scale as x (frame pixels), smaller = nearer the camera (MediaPipe's
 * convention), relative to the face's centre depth.
 *
 * Life cycle: emo_face_tracker_default_settings() -> emo_face_tracker_open()
 * -> emo_face_tracker_process() per frame -> emo_face_tracker_close().
 * A tracker owns its two networks and every buffer; processing a frame does
 * not allocate. One tracker is used by one thread at a time.
 */
#ifndef EMOSCOPE_FACE_H
#define EMOSCOPE_FACE_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>
#include <emoscope/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The [face] section of the configuration: config.h maps its INI keys onto these fields. */
typedef struct EmoFaceSettings {
    double min_detection_confidence; /**< probability in [0,1] */
    double min_presence;         /**< face-mesh presence probability to keep tracking */
    int max_faces;
    int detect_interval;         /**< frames between detector runs while tracking; 0 = only when lost */
    double nms_iou;              /**< IoU above which detections merge */
    double crop_scale;           /**< face-mesh crop size relative to the face box */
    int aligned_size;            /**< pixels of the normalised face used for optical flow */
    int detect_tiles;            /**< small faces: when the whole frame shows none, search tiles of 1/2 (1), then 1/3 (2) of it; 0 = off */
    double min_reliable_size;    /**< pixels: faces narrower than this (EmoFace.size_px) are kept but marked
                                      EMO_FACE_LOW_CONFIDENCE; 0 = never */
    double mirror_yaw;           /**< degrees: faces turned at least this far also run through the mesh mirrored, averaged; 90 = off */
    int actions;                 /**< frames between facial-action analyses of a face (blendshapes, AUs); 0 = off */
    char mesh_model[16];         /**< landmark network: "auto" (the landmarker when models_dir holds
                                      face_landmarker.task, else the face mesh), "landmarker" or "facemesh" */
    int landmarker_faces;        /**< with the landmarker: faces tracked with it at once (a face keeps its
                                      network for its track's life; the others get the face mesh, so no
                                      facial actions); 0 = no limit */
    char detector[8];            /**< face detector: "auto" (BlazeFace full-range, short-range first to
                                      find a lost face again), "short" (short-range only) or "full"
                                      (full-range only); docs/face.md */
    double reid_seconds;         /**< seconds a face that left keeps its id for coming back near where it
                                      left (docs/face.md, "Groups"); 0 = never */
    double cut_threshold;        /**< shot-cut score in (0,1] at which a frame begins a new shot: every track
                                      ends, no id carries over; 0 = no cut detection */
    int tile_scan;               /**< frames between tile-scan passes while fewer than max_faces faces are
                                      tracked (full-range on one tile at a time, round robin: small faces beside
                                      tracked ones; auto and full detectors, detect_tiles > 0); 0 = off */
} EmoFaceSettings;

#define EMO_FACE_LANDMARKS 468 /**< points of the face mesh, indices 0-467: every face has these */
#define EMO_FACE_IRIS_POINTS 10 /**< iris points of the 478-point landmarker, indices 468-477 */
#define EMO_FACE_LANDMARKS_MAX 478 /**< EMO_FACE_LANDMARKS + EMO_FACE_IRIS_POINTS: size of EmoFace.landmarks */
/** Iris points (landmarker only): the subject's right iris (image left) is
 *  468-472, the left one 473-477; each is its centre, then four points on
 *  its outline at the image's +x, -y, -x, +y sides of the centre. */
#define EMO_FACE_IRIS_RIGHT 468
#define EMO_FACE_IRIS_LEFT 473
#define EMO_FACE_KEYPOINTS 6   /**< BlazeFace keypoints */
#define EMO_FACE_MAX 64        /**< upper bound of max_faces */
#define EMO_FACE_IBUG68 68     /**< points of the iBUG 68-point scheme */

/** BlazeFace keypoint indices (subject's right eye is on the image's left). */
enum {
    EMO_KP_RIGHT_EYE = 0,
    EMO_KP_LEFT_EYE = 1,
    EMO_KP_NOSE = 2,
    EMO_KP_MOUTH = 3,
    EMO_KP_RIGHT_EAR = 4,
    EMO_KP_LEFT_EAR = 5,
};

/** EmoFace.flags */
enum {
    EMO_FACE_DETECTED = 1, /**< the detector found this face in this frame */
    EMO_FACE_TRACKED = 2,  /**< the crop came from the previous frame's landmarks */
    /** narrower than face.min_reliable_size: landmarks, pose and emotion are
     *  less reliable (measured in docs/face.md, "Small faces"); still analysed */
    EMO_FACE_LOW_CONFIDENCE = 4,
};

/** One detection of BlazeFace, in frame pixels. */
typedef struct EmoDetection {
    float x, y, w, h;                  /**< box: top-left corner and size */
    float score;                       /**< probability in [0,1] */
    float kp[EMO_FACE_KEYPOINTS][2];   /**< keypoints (x, y) */
} EmoDetection;

/** One face of one frame. */
typedef struct EmoFace {
    int id;                /**< stable while tracked; a face that comes back soon near where it left
                                takes its id back (face.reid_seconds), else ids are never reused */
    unsigned flags;        /**< EMO_FACE_DETECTED, EMO_FACE_TRACKED */
    float box[4];          /**< x, y, w, h in frame pixels: bounding box of the landmarks */
    float detection_score; /**< score of the detection that started (or last re-found) the track */
    float presence;        /**< face-mesh presence probability of this frame */
    /** Face width in frame pixels: the extent of the 468 mesh points along the
     *  eye line (33 -> 263), so roll does not change it; a face turned away
     *  measures narrower. Compared with face.min_reliable_size. */
    float size_px;
    float yaw, pitch, roll;/**< head pose in degrees (conventions in docs/face.md) */
    float roi[5];          /**< face-mesh crop of this frame: centre x, y, width, height (px), rotation (rad) */
    /** Similarity transform from frame pixels to the aligned face in unit
     *  coordinates ([0,1]^2; multiply by a size to get that size's pixels):
     *  u = a[0]*x + a[1]*y + a[2], v = a[3]*x + a[4]*y + a[5]. */
    float align[6];
    int64_t frames_tracked;/**< frames since the track started (1 on its first frame); a face found again under its id continues its count */
    int n_landmarks;       /**< EMO_FACE_LANDMARKS (face mesh) or EMO_FACE_LANDMARKS_MAX (landmarker: + iris) */
    /** x, y, z in frame pixels: the 468 face-mesh points (same indices with
     *  either model), then, from the landmarker, the 10 iris points. */
    float landmarks[EMO_FACE_LANDMARKS_MAX][3];
} EmoFace;

/** The faces of one frame. Large (about 390 KB): allocate it once, not on the stack. */
typedef struct EmoFaceList {
    int count;
    int detector_ran;      /**< 1 when the detector ran on this frame */
    int n_detections;      /**< detections it returned (before matching with tracks) */
    int cut;               /**< 1 when this frame begins a new shot (face.cut_threshold): no id carries over */
    EmoFace faces[EMO_FACE_MAX];
} EmoFaceList;

typedef struct EmoFaceTrackerSettings {
    EmoFaceSettings face;           /**< the [face] settings (above) */
    char models_dir[EMO_PATH_MAX];  /**< folder holding the .tflite files, canonical_face_model.obj and,
                                         optionally, face_landmarker.task */
    int threads;                    /**< network threads; 1 = calling thread only */
    const EmoLogger *log;           /**< NULL: default logger */
} EmoFaceTrackerSettings;

typedef struct EmoFaceTracker EmoFaceTracker;

/** Fills s with the defaults of the [face] section (config.h's table), threads = 1, models_dir = "models". */
EMO_API void emo_face_tracker_default_settings(EmoFaceTrackerSettings *s);

/**
 * Loads the detector, the landmark network chosen by face.mesh_model and the
 * canonical face, and allocates every buffer; logs (info) which landmark
 * network it uses and, for "auto" without the bundle, that it fell back to
 * the face mesh. On failure *out is NULL and a message says why.
 * @return 0, EMO_EINVAL (bad setting), EMO_ENOENT, EMO_EFORMAT, EMO_ENOMEM, or the nn module's code.
 */
EMO_API int emo_face_tracker_open(EmoFaceTracker **out, const EmoFaceTrackerSettings *s);

/**
 * Finds and tracks the faces of one frame (EMO_PIX_BGRA or EMO_PIX_RGB24).
 * Frames must come in stream order. out is overwritten; faces are sorted by id.
 * @return 0, EMO_EINVAL (NULL, unsupported format), or an nn error.
 */
EMO_API int emo_face_tracker_process(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out);

/** Forgets every track and every departed face (e.g. after a seek); ids keep increasing. */
EMO_API void emo_face_tracker_reset(EmoFaceTracker *t);

/** Counters since open: frames processed, frames the detector ran on, tracks started. */
EMO_API void emo_face_tracker_stats(const EmoFaceTracker *t, int64_t *frames, int64_t *detector_runs, int64_t *tracks);

/** Counters since open: faces that came back under their former id
 *  (face.reid_seconds) and shot cuts detected (face.cut_threshold). Either may be NULL. */
EMO_API void emo_face_tracker_group_stats(const EmoFaceTracker *t, int64_t *comebacks, int64_t *cuts);

/**
 * Seconds spent since open in [0] detection, [1] face mesh (crop and
 * network), [2] pose and alignment transform: wall-clock time into wall,
 * CPU time of the calling thread into cpu (equal to the work done when
 * threads = 1, and unaffected by other processes). Either may be NULL.
 */
EMO_API void emo_face_tracker_times(const EmoFaceTracker *t, double wall[3], double cpu[3]);

/** Points per face of the tracker's main landmark network: EMO_FACE_LANDMARKS_MAX
 *  (the 478-point landmarker) or EMO_FACE_LANDMARKS (the face mesh); 0 for NULL.
 *  With face.landmarker_faces, faces past that many get the face mesh:
 *  EmoFace.n_landmarks says each face's count. */
EMO_API int emo_face_tracker_landmark_count(const EmoFaceTracker *t);

/** Seconds per stage since open (emo_face_tracker_timings). */
typedef struct EmoFaceTimes {
    double detect;  /**< detector: its input warps, network runs and decoding */
    double crop;    /**< the landmark network's input crops (warps) */
    double mesh;    /**< landmark network runs and their outputs to frame pixels */
    double post;    /**< pose, alignment transform, next crop */
} EmoFaceTimes;

/** Like emo_face_tracker_times, with the crop and the network apart. Either may be NULL. */
EMO_API void emo_face_tracker_timings(const EmoFaceTracker *t, EmoFaceTimes *wall, EmoFaceTimes *cpu);

/** EmoFaceDetectorStats arrays: the two BlazeFace networks. */
enum {
    EMO_FACE_DETECTOR_SHORT = 0, /**< face_detection_short_range.tflite, 128x128 */
    EMO_FACE_DETECTOR_FULL = 1,  /**< face_detection_full_range.tflite, 192x192 */
};

/** The detector's work since open, per network (face.detector). */
typedef struct EmoFaceDetectorStats {
    int64_t runs[2];   /**< detector runs (a frame's detection, a re-acquisition) that used the network */
    int64_t passes[2]; /**< its network runs: the whole frame and each tile count one */
    double cpu[2];     /**< seconds of the calling thread's CPU in its passes (input warp, network, decoding) */
    double wall[2];    /**< the same passes' wall-clock seconds */
    int64_t scan_passes; /**< tile-scan passes (face.tile_scan; full-range, also counted in passes[1]) */
    double scan_cpu;     /**< their CPU seconds (also in cpu[1]) */
    double scan_wall;    /**< their wall-clock seconds (also in wall[1]) */
} EmoFaceDetectorStats;

/** Fills s with the detector's counters since open (zeros for NULL t). */
EMO_API void emo_face_tracker_detector_stats(const EmoFaceTracker *t, EmoFaceDetectorStats *s);

/**
 * Runs only the detector on a frame (no tracking), as on a frame without
 * tracked faces (face.detector auto: full-range on the whole frame, its
 * tiles when that finds nothing): at most max detections, best first.
 * Returns the number written, or a negative error code.
 */
EMO_API int emo_face_detect(EmoFaceTracker *t, const EmoFrame *frame, EmoDetection *dets, int max);

EMO_API void emo_face_tracker_close(EmoFaceTracker **t);

/* ---------------------------------------------------------------- alignment */

/** Pixel layout of emo_face_align's output. */
typedef enum EmoAlignFormat {
    EMO_ALIGN_GRAY8 = 1,   /**< 1 byte per pixel, luma (BT.601 weights) */
    EMO_ALIGN_RGB24 = 3,   /**< 3 bytes per pixel R, G, B */
    EMO_ALIGN_BGRA = 4,    /**< 4 bytes per pixel B, G, R, 255 */
} EmoAlignFormat;

/**
 * Computes the alignment of face from its landmarks into face->align: a
 * similarity (rotation, uniform scale, translation) that makes the eyes
 * level and frames the face like a FER2013 crop (forehead to chin). The
 * tracker calls it; it is public for faces built by other means.
 */
EMO_API void emo_face_compute_alignment(EmoFace *face);

/**
 * Warps the aligned face into out (size x size pixels, rows stride bytes
 * apart) with bilinear sampling; pixels outside the frame are black.
 * Touches only the pixels it samples.
 * @return 0, or EMO_EINVAL for a bad argument or frame format.
 */
EMO_API int emo_face_align(const EmoFrame *frame, const EmoFace *face, int size, EmoAlignFormat fmt,
                   uint8_t *out, int stride);

/** The 468 face-mesh landmarks (not the iris points) in the pixels of an
 *  aligned face of side size: out[i] = (u, v), i < EMO_FACE_LANDMARKS. */
EMO_API void emo_face_aligned_landmarks(const EmoFace *face, int size, float (*out)[2]);

/* ------------------------------------------------------------ iBUG 68 points */

/**
 * Mesh index used for each iBUG 68-point landmark (0-based; table in docs/face.md). For the jaw
 * (0-16) it is the face-oval vertex nearest to the point on a frontal face: emo_face_to_ibug68
 * places the jaw points along the visible outline instead.
 */
EMO_API const int *emo_face_ibug68_map(void);
/** The 68 iBUG points of a face, (x, y) in frame pixels: inner points 17-67 are the mapped
 *  vertices, jaw points 0-16 are evenly spaced along the visible lower face outline. */
EMO_API void emo_face_to_ibug68(const EmoFace *face, float (*out)[2]);

#ifdef __cplusplus
}
#endif
#endif
