/* Face ids across departures and shot cuts (src/face/reid.c), for the
 * tracker and its tests: the tracker's clock, the faces that left recently
 * (a face found again near where one left, soon after, takes its id back)
 * and the shot-cut detector (a cut ends every track and forgets the
 * departed faces). Rules and figures: docs/face.md, "Groups". */
#ifndef EMOSCOPE_FACE_REID_H
#define EMOSCOPE_FACE_REID_H

#include <stdint.h>

#include <emoscope/face.h>

/* Come-back rule: a departed face is matched by a detection whose centre
 * lies within EMO_REID_DISTANCE x the face's size of the centre of its last
 * box, and whose size is within a factor EMO_REID_SIZE of it (size =
 * sqrt(w h); a BlazeFace box and the landmarks' box of one face differ by
 * 0.9-1.07 in size and 0.01-0.07 of it in centre on the shared photos). */
#define EMO_REID_DISTANCE 1.0f
#define EMO_REID_SIZE 1.5f
/* Frame step assumed while the frames' timestamps do not increase (stills,
 * frames without timestamps) and no step has been seen yet. */
#define EMO_REID_DEFAULT_STEP (1.0 / 30.0)

/* Shot cuts: a grid of EMO_CUT_GX x EMO_CUT_GY cells, each the luma of a
 * 2x2 pixel average at its centre. */
#define EMO_CUT_GX 24
#define EMO_CUT_GY 16
#define EMO_CUT_CELLS (EMO_CUT_GX * EMO_CUT_GY)
/* A cell "changed" when its luma moved by more than this many levels. */
#define EMO_CUT_LEVEL 24
#define EMO_CUT_BINS 16
/* The histogram distance counts this many times in the cut score. */
#define EMO_CUT_HIST_WEIGHT 3.0f

/* A face that left: what gives its id back. */
typedef struct EmoReidFace {
    int id;
    int kind;               /* its landmark network (EmoMeshKind) */
    float box[4];           /* last landmarks' box, frame pixels */
    double left;            /* tracker time it left, seconds */
    int64_t frames_tracked; /* continued when it comes back */
} EmoReidFace;

typedef struct EmoReid {
    double seconds;         /* face.reid_seconds: how long a departed face is kept; 0 = never */
    double cut_threshold;   /* face.cut_threshold; 0 = no cut detection */
    /* clock */
    double now, last_pts, step;
    int64_t frames;
    /* departed faces, oldest first */
    EmoReidFace gone[EMO_FACE_MAX];
    int n_gone;
    /* cut detector: the previous frame's cells */
    uint8_t cells[2][EMO_CUT_CELLS];
    int cur;                /* cells[cur] is this frame's */
    int have_prev;
    float last_score;       /* this frame's cut score (0 on the first frame) */
    int64_t comebacks, cuts;
} EmoReid;

void emo__reid_init(EmoReid *r, double seconds, double cut_threshold);

/* Forgets the departed faces and the previous frame (a seek, a cut); the
 * clock and the counters go on. */
void emo__reid_forget(EmoReid *r);

/*
 * Per frame, before any other call for it: advances the clock (the frame's
 * pts where it increases, else one frame step), drops departed faces older
 * than `seconds`, and runs the cut detector. Returns 1 when this frame
 * begins a new shot (the departed faces are then forgotten, and the caller
 * ends its tracks), else 0. frame: BGRA or RGB24.
 */
int emo__reid_frame(EmoReid *r, const EmoFrame *frame);

/* Records that face id left now (at time `left` for a face that was handed
 * back by emo__reid_claim and did not start after all). When full, the
 * oldest departed face makes room. */
void emo__reid_depart(EmoReid *r, int id, int kind, const float box[4], double left, int64_t frames_tracked);

/*
 * The best departed face for a detection box (x, y, w, h) by the come-back
 * rule, none of whose ids is one of the n_live live ids: removed from the
 * store into *out and 1, else 0.
 */
int emo__reid_claim(EmoReid *r, const float det[4], const int *live, int n_live, EmoReidFace *out);

/* Luma cells of a frame (BGRA or RGB24) and the cut score of two frames'
 * cells: min(fraction of cells changed by more than EMO_CUT_LEVEL,
 * EMO_CUT_HIST_WEIGHT x the L1 distance of their luma histograms / 2), in
 * [0, 1]. */
void emo__cut_cells(const EmoFrame *frame, uint8_t cells[EMO_CUT_CELLS]);
float emo__cut_score(const uint8_t a[EMO_CUT_CELLS], const uint8_t b[EMO_CUT_CELLS]);

#endif
