/*
 * The tracker's face detector (private to src/face): the BlazeFace networks
 * face.detector asks for, and the policy that picks which of them runs on
 * the whole frame and on tiles of it. detect.c has the decoding shared by
 * both networks; detector.c runs them on frames.
 */
#ifndef EMOSCOPE_FACE_DETECTOR_H
#define EMOSCOPE_FACE_DETECTOR_H

#include <emoscope/face.h>
#include <emoscope/nn.h>

#include "face_priv.h"

/* face.detector */
typedef enum EmoDetMode {
    EMO_DET_MODE_AUTO,
    EMO_DET_MODE_SHORT,
    EMO_DET_MODE_FULL,
} EmoDetMode;

/* Why the detector runs; auto chooses its networks by it (detector.c). */
typedef enum EmoDetPurpose {
    EMO_DET_STILL,     /* one image on its own (emo_face_detect) */
    EMO_DET_FIND,      /* no face is tracked (start, an empty scene) */
    EMO_DET_REACQUIRE, /* a tracked face was lost: find it again */
    EMO_DET_SEARCH,    /* faces are tracked: look for new ones (face.detect_interval) */
} EmoDetPurpose;

/* Candidates of one detector run, all passes together. */
#define EMO_DET_CANDIDATES EMO_BF_MAX_ANCHORS

typedef struct EmoDetNet {
    EmoNnModel *m;          /* NULL: not used in this mode */
    int reg, cls;           /* output indices */
    const EmoDetSpec *spec;
    float (*anchors)[2];    /* spec->anchors centres */
} EmoDetNet;

typedef struct EmoFaceDetector {
    EmoDetMode mode;        /* auto falls back to short without the full-range file */
    EmoDetNet net[2];       /* [EmoDetKind] */
    float min_score, nms_iou;
    int tiles;              /* face.detect_tiles */
    int64_t idle;           /* consecutive FIND runs that found nothing (auto's tile rhythm) */
    int64_t scan_next;      /* the tile scan's round-robin cursor (emo__detector_scan) */
    const EmoLogger *log;
    EmoDetection cand[EMO_DET_CANDIDATES];
    EmoFaceDetectorStats stats;
} EmoFaceDetector;

/* face.detector's text -> mode; EMO_EINVAL (logged) for another value. */
int emo__detector_mode(const char *setting, const EmoLogger *log, EmoDetMode *mode);

/* Opens the networks of f->detector from models_dir and checks that each
 * file is the network it should be (EMO_EFORMAT with a message if not).
 * auto without the full-range file logs it and runs short-range only; full
 * without it is an error (the nn module's code, with a message). d is
 * zeroed first; on failure it holds nothing (close is still safe). */
int emo__detector_open(EmoFaceDetector *d, const EmoFaceSettings *f, const char *models_dir, int threads,
                       const EmoLogger *log);
void emo__detector_close(EmoFaceDetector *d);

/* One detector run on frame: the passes the mode and purpose call for, in
 * order until one finds a face (see detector.c), then weighted NMS. At most
 * max detections in frame pixels, best first; their number, or an nn error. */
int emo__detector_run(EmoFaceDetector *d, const EmoFrame *frame, EmoDetPurpose why, EmoDetection *dets, int max);

/* The tile scan (face.tile_scan) while faces are tracked: full-range on
 * the next tile, round robin over the tiles of every level (1/2, then 1/3
 * of the frame, as far as face.detect_tiles goes), so that small faces
 * beside tracked ones are found at the cost of one pass per scan step.
 * Detections of that tile as emo__detector_run gives them; 0 without the
 * full-range network (face.detector short) or with detect_tiles 0. */
int emo__detector_scan(EmoFaceDetector *d, const EmoFrame *frame, EmoDetection *dets, int max);

#endif
