#define _POSIX_C_SOURCE 200809L
/* Face tracker: detector when needed, landmark network (face mesh or the
 * 478-point landmarker, mesh_model.c) every frame, stable ids. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <emoscope/config.h>
#include <emoscope/nn.h>

#include "detector.h"
#include "face_priv.h"
#include "reid.h"
#include "tracker_phases.h"

/* A detection whose box overlaps a tracked face by more than this is that face. */
#define TRACK_MATCH_IOU 0.3f
/* Two tracks overlapping more than this follow one face: the newer one goes. */
#define TRACK_DUP_IOU 0.5f
/* Mirror averaging stays on until |yaw| falls this far below mirror_yaw
 * (no switching back and forth on a face turned about mirror_yaw). */
#define MIRROR_HYSTERESIS 5.0f

typedef struct Track {
    EmoFace face;   /* last frame's result (landmarks give the next crop) */
    float roi[5];   /* crop for the coming frame: cx, cy, side, side, rotation */
    int fresh;      /* started from a detection in this frame */
    int mirrored;   /* mirror averaging on for this face (|yaw| >= mirror_yaw, with hysteresis) */
    EmoMeshKind kind; /* its landmark network, chosen when it starts and kept for its life */
    int comeback;     /* started under a departed face's id (reid.c) */
    double left_at;   /* fresh with an id: when that id left (a start that fails gives it back) */
    /* Result of this frame's mesh run (emo__face_tracker_mesh), applied in
     * track order by emo__face_tracker_end, and its time (wall, cpu of the
     * mesh run and of the post-processing), folded into the totals there. */
    int mesh_rc;
    double mesh_t[3], mesh_c[3]; /* crop, network, post */
} Track;

/* A track lost in the current frame, kept for re-acquisition in that frame. */
typedef struct Lost {
    int id;
    EmoMeshKind kind;
    float box[4];
    int64_t frames_tracked;
} Lost;

struct EmoFaceTracker {
    EmoFaceTrackerSettings s;
    const EmoLogger *log;
    EmoFaceDetector det;                /* face.detector's networks (detector.c) */
    EmoNnModel *mesh[2];                /* mesh[EmoMeshKind]: NULL when that network is not used */
    int mesh_lm[2], mesh_presence[2];   /* output indices */
    EmoMeshSpec spec;                   /* the main landmark network (mesh_model): input side, points */
    int landmarker_limit;               /* live tracks on the landmarker at most (0 = no limit) */
    EmoCanonicalFace canon;
    int mirror_of[EMO_FACE_LANDMARKS_MAX];           /* left/right vertex pairs, irises included */
    EmoDetection dets[EMO_FACE_MAX];
    Track tracks[EMO_FACE_MAX];
    int n_tracks;
    Lost lost[EMO_FACE_MAX];
    int n_lost;
    int next_id;
    int lost_last_frame;
    int64_t since_detect;
    int64_t since_scan;                 /* frames since the last tile-scan pass or detector run */
    int want_;                          /* the detector ran in begin on this frame (begin -> end) */
    int pass_due_;                      /* PASS_*: a detector pass due beside the meshes (begin -> end) */
    int pass_n_;                        /* its detections in pass_dets, or an nn error */
    EmoDetection pass_dets[EMO_FACE_MAX];
    int64_t frames, detector_runs, tracks_started;
    EmoReid reid;                       /* clock, departed faces, shot cuts */
    EmoFaceTimes wall, cpu;             /* seconds: wall, thread CPU */
};

/* The detector pass run beside the meshes (emo__face_tracker_pass). */
enum { PASS_NONE, PASS_SEARCH, PASS_SCAN };

typedef struct Stamp {
    double wall, cpu;
} Stamp;

static Stamp stamp(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    Stamp s = { emo_clock_now(), (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec };
    return s;
}

static void add_since(Stamp from, Stamp to, double *wall, double *cpu)
{
    *wall += to.wall - from.wall;
    *cpu += to.cpu - from.cpu;
}

void emo_face_tracker_default_settings(EmoFaceTrackerSettings *s)
{
    memset(s, 0, sizeof(*s));
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    s->face = cfg.face;
    emo_config_clear(&cfg);
    snprintf(s->models_dir, sizeof(s->models_dir), "models");
    s->threads = 1;
}

static int check_settings(const EmoFaceSettings *f, const EmoLogger *lg)
{
    const char *bad = NULL;
    if (!(f->min_detection_confidence >= 0 && f->min_detection_confidence <= 1))
        bad = "min_detection_confidence";
    else if (!(f->min_presence >= 0 && f->min_presence <= 1))
        bad = "min_presence";
    else if (f->max_faces < 1 || f->max_faces > EMO_FACE_MAX)
        bad = "max_faces";
    else if (f->detect_interval < 0)
        bad = "detect_interval";
    else if (!(f->nms_iou >= 0 && f->nms_iou <= 1))
        bad = "nms_iou";
    else if (!(f->crop_scale >= 1 && f->crop_scale <= 4))
        bad = "crop_scale";
    else if (f->aligned_size < 8 || f->aligned_size > 4096)
        bad = "aligned_size";
    else if (f->detect_tiles < 0 || f->detect_tiles > 2)
        bad = "detect_tiles";
    else if (f->tile_scan < 0)
        bad = "tile_scan";
    else if (f->landmarker_faces < 0 || f->landmarker_faces > EMO_FACE_MAX)
        bad = "landmarker_faces";
    else if (!(f->reid_seconds >= 0 && f->reid_seconds <= 3600))
        bad = "reid_seconds";
    else if (!(f->cut_threshold >= 0 && f->cut_threshold <= 1))
        bad = "cut_threshold";
    if (bad) {
        emo_log(lg, EMO_LOG_ERROR, "face: setting %s is out of range", bad);
        return EMO_EINVAL;
    }
    return 0;
}

int emo_face_tracker_open(EmoFaceTracker **out, const EmoFaceTrackerSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    if (!s)
        return EMO_EINVAL;
    int rc = check_settings(&s->face, s->log);
    if (rc < 0)
        return rc;
    if (!(s->face.mirror_yaw >= 0 && s->face.mirror_yaw <= 90)) {
        emo_log(s->log, EMO_LOG_ERROR, "face: mirror_yaw must be 0..90 degrees");
        return EMO_EINVAL;
    }
    EmoFaceTracker *t = calloc(1, sizeof(*t));
    if (!t)
        return EMO_ENOMEM;
    t->s = *s;
    t->log = s->log;
    t->next_id = 1;
    emo__reid_init(&t->reid, s->face.reid_seconds, s->face.cut_threshold);
    char path[EMO_PATH_MAX + 64], err[256] = "";
    snprintf(path, sizeof(path), "%s/canonical_face_model.obj", s->models_dir);
    rc = emo__obj_load(path, &t->canon, err, sizeof(err));
    if (rc < 0) {
        emo_log(t->log, EMO_LOG_ERROR, "face: canonical face: %s", err);
        goto fail;
    }
    if ((rc = emo__mirror_map(&t->canon, t->mirror_of)) < 0) {
        emo_log(t->log, EMO_LOG_ERROR, "face: canonical face %s is not left/right symmetric", path);
        goto fail;
    }
    emo__iris_mirror_map(t->mirror_of);
    EmoMeshKind kind;
    if ((rc = emo__mesh_choose(s->face.mesh_model, s->models_dir, t->log, &kind)) < 0)
        goto fail;
    t->spec = *emo__mesh_spec(kind);
    t->landmarker_limit = kind == EMO_MESH_LANDMARKER ? s->face.landmarker_faces : 0;
    if ((rc = emo__detector_open(&t->det, &s->face, s->models_dir, s->threads, t->log)) < 0)
        goto fail;
    if ((rc = emo__mesh_open(&t->mesh[kind], kind, s->models_dir, s->threads, s->log, &t->mesh_lm[kind],
                             &t->mesh_presence[kind])) < 0)
        goto fail;
    /* face.landmarker_faces: the faces past the landmarker's share get the
     * face mesh, a quarter of its cost (docs/performance.md). */
    if (t->landmarker_limit > 0 &&
        (rc = emo__mesh_open(&t->mesh[EMO_MESH_FACEMESH], EMO_MESH_FACEMESH, s->models_dir, s->threads, s->log,
                             &t->mesh_lm[EMO_MESH_FACEMESH], &t->mesh_presence[EMO_MESH_FACEMESH])) < 0)
        goto fail;
    if (t->landmarker_limit > 0)
        emo_log(t->log, EMO_LOG_INFO, "face: landmarks from the %s for %d face(s) at a time, the others from the %s",
                t->spec.name, t->landmarker_limit, emo__mesh_spec(EMO_MESH_FACEMESH)->name);
    else
        emo_log(t->log, EMO_LOG_INFO, "face: landmarks from the %s", t->spec.name);
    *out = t;
    return 0;
fail:
    emo_face_tracker_close(&t);
    return rc;
}

void emo_face_tracker_close(EmoFaceTracker **pt)
{
    if (!pt || !*pt)
        return;
    EmoFaceTracker *t = *pt;
    emo__detector_close(&t->det);
    emo_nn_close(&t->mesh[0]);
    emo_nn_close(&t->mesh[1]);
    free(t);
    *pt = NULL;
}

void emo_face_tracker_reset(EmoFaceTracker *t)
{
    if (!t)
        return;
    t->n_tracks = 0;
    t->lost_last_frame = 0;
    t->since_detect = 0;
    t->since_scan = 0;
    t->det.idle = 0;
    t->det.scan_next = 0;
    emo__reid_forget(&t->reid);
}

void emo_face_tracker_group_stats(const EmoFaceTracker *t, int64_t *comebacks, int64_t *cuts)
{
    if (comebacks)
        *comebacks = t ? t->reid.comebacks : 0;
    if (cuts)
        *cuts = t ? t->reid.cuts : 0;
}

void emo_face_tracker_stats(const EmoFaceTracker *t, int64_t *frames, int64_t *detector_runs, int64_t *tracks)
{
    if (frames)
        *frames = t ? t->frames : 0;
    if (detector_runs)
        *detector_runs = t ? t->detector_runs : 0;
    if (tracks)
        *tracks = t ? t->tracks_started : 0;
}

void emo_face_tracker_detector_stats(const EmoFaceTracker *t, EmoFaceDetectorStats *s)
{
    static const EmoFaceDetectorStats zero;
    if (s)
        *s = t ? t->det.stats : zero;
}

void emo_face_tracker_timings(const EmoFaceTracker *t, EmoFaceTimes *wall, EmoFaceTimes *cpu)
{
    static const EmoFaceTimes zero;
    if (wall)
        *wall = t ? t->wall : zero;
    if (cpu)
        *cpu = t ? t->cpu : zero;
}

void emo_face_tracker_times(const EmoFaceTracker *t, double wall[3], double cpu[3])
{
    EmoFaceTimes w, c;
    emo_face_tracker_timings(t, &w, &c);
    if (wall) {
        wall[0] = w.detect;
        wall[1] = w.crop + w.mesh;
        wall[2] = w.post;
    }
    if (cpu) {
        cpu[0] = c.detect;
        cpu[1] = c.crop + c.mesh;
        cpu[2] = c.post;
    }
}

int emo_face_tracker_landmark_count(const EmoFaceTracker *t)
{
    return t ? t->spec.points : 0;
}

static int frame_ok(const EmoFrame *f)
{
    return f && (f->fmt == EMO_PIX_BGRA || f->fmt == EMO_PIX_RGB24) && f->width > 0 && f->height > 0 &&
           f->data[0] && f->stride[0] >= f->width * (f->fmt == EMO_PIX_BGRA ? 4 : 3);
}

int emo_face_detect(EmoFaceTracker *t, const EmoFrame *frame, EmoDetection *dets, int max)
{
    if (!t || !frame_ok(frame) || !dets || max < 0)
        return EMO_EINVAL;
    return emo__detector_run(&t->det, frame, EMO_DET_STILL, dets, max);
}

static void roi_from_detection(const EmoDetection *d, double scale, float roi[5])
{
    roi[0] = d->x + 0.5f * d->w;
    roi[1] = d->y + 0.5f * d->h;
    roi[2] = roi[3] = (float)(fmaxf(d->w, d->h) * scale);
    roi[4] = emo__roi_rotation(d->kp[EMO_KP_RIGHT_EYE][0], d->kp[EMO_KP_RIGHT_EYE][1], d->kp[EMO_KP_LEFT_EYE][0],
                               d->kp[EMO_KP_LEFT_EYE][1]);
}

static void roi_from_landmarks(const EmoFace *f, double scale, float roi[5])
{
    /* MediaPipe's face_landmark_landmarks_to_roi takes the landmarks'
     * axis-aligned bounding box, rotated so that the eye corners 33 -> 263
     * are level, scaled, squared. Here the box is taken in the crop's own
     * (rotated) axes instead: the crop's size then does not depend on the
     * head's roll. The axis-aligned box of a face rolled by r is up to
     * |cos r| + |sin r| times larger (1.3x at 20 degrees), which shrinks the
     * face in the crop each frame and, on a still, lets the mesh drift to a
     * worse fixed point (docs/face.md: einstein, rolled 20 degrees, converges
     * to 11.6% NME with the axis-aligned box and 8.9% with this one). */
    float rot = emo__roi_rotation(f->landmarks[33][0], f->landmarks[33][1], f->landmarks[263][0],
                                  f->landmarks[263][1]);
    float c = cosf(rot), s = sinf(rot);
    float u0 = 0, u1 = 0, v0 = 0, v1 = 0;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        float x = f->landmarks[i][0], y = f->landmarks[i][1];
        float u = c * x + s * y, v = -s * x + c * y; /* frame -> crop axes */
        if (i == 0 || u < u0)
            u0 = u;
        if (i == 0 || u > u1)
            u1 = u;
        if (i == 0 || v < v0)
            v0 = v;
        if (i == 0 || v > v1)
            v1 = v;
    }
    float uc = 0.5f * (u0 + u1), vc = 0.5f * (v0 + v1);
    roi[0] = c * uc - s * vc;
    roi[1] = s * uc + c * vc;
    roi[2] = roi[3] = (float)(fmaxf(u1 - u0, v1 - v0) * scale);
    roi[4] = rot;
}

static void landmarks_box(EmoFace *f)
{
    float x0 = f->landmarks[0][0], x1 = x0, y0 = f->landmarks[0][1], y1 = y0;
    for (int i = 1; i < EMO_FACE_LANDMARKS; i++) {
        x0 = fminf(x0, f->landmarks[i][0]);
        x1 = fmaxf(x1, f->landmarks[i][0]);
        y0 = fminf(y0, f->landmarks[i][1]);
        y1 = fmaxf(y1, f->landmarks[i][1]);
    }
    f->box[0] = x0;
    f->box[1] = y0;
    f->box[2] = x1 - x0;
    f->box[3] = y1 - y0;
}

/* One pass of the landmark network on the crop m (output pixels -> frame
 * pixels): the landmarks in frame pixels and the presence probability;
 * 1 = done, 0 = a landmark is not finite, < 0 = nn error. mirror: the crop
 * is flipped left/right before the network, and each landmark goes back
 * through the flip to its mirror-image vertex (the subject's left eye seen
 * in the mirrored crop is the right eye of the face); raw is its scratch.
 * The crop's and the network's times go to tr->mesh_t/c[0] and [1]. */
static int mesh_pass(const EmoFaceTracker *t, EmoNnModel *mesh, const EmoFrame *frame, const float m[6], int mirror,
                     float (*raw)[3], float (*lm)[3], float *presence, Track *tr)
{
    const EmoMeshSpec *spec = emo__mesh_spec(tr->kind);
    const int size = spec->size, n = spec->points;
    float mm[6];
    if (mirror)
        emo__affine_mirror_x(m, size, mm);
    else
        memcpy(mm, m, sizeof(mm));
    Stamp t0 = stamp();
    emo__warp_rgbf(frame, mm, size, size, 1, 0, 1.0f / 255.0f, 0.0f, emo_nn_input(mesh, 0));
    Stamp t1 = stamp();
    add_since(t0, t1, &tr->mesh_t[0], &tr->mesh_c[0]);
    int rc = emo_nn_run(mesh);
    if (rc < 0)
        return rc;
    float logit = emo_nn_output(mesh, t->mesh_presence[tr->kind])[0];
    *presence = logit == logit ? 1.0f / (1.0f + expf(-fminf(fmaxf(logit, -100.0f), 100.0f))) : 0.0f;
    emo__landmarks_to_frame(emo_nn_output(mesh, t->mesh_lm[tr->kind]), mm, n, mirror ? raw : lm);
    if (mirror)
        for (int i = 0; i < n; i++)
            memcpy(lm[t->mirror_of[i]], raw[i], sizeof(lm[0]));
    add_since(t1, stamp(), &tr->mesh_t[1], &tr->mesh_c[1]);
    for (int i = 0; i < n; i++)
        if (!isfinite(lm[i][0]) || !isfinite(lm[i][1]) || !isfinite(lm[i][2]))
            return 0;
    return 1;
}

/*
 * Runs the landmark network on a track's crop; 1 = still a face, 0 = lost,
 * < 0 = error. A face turned by |yaw| >= mirror_yaw (this frame's pose,
 * hysteresis MIRROR_HYSTERESIS) also goes through the network mirrored, and
 * the two landmark sets are averaged: the network's errors on a strongly
 * turned face differ between a face and its mirror image (breakingbad, 39
 * degrees: 68-point NME 10.7% -> 9.6% with the face mesh; docs/face.md).
 * Near-frontal faces cost one pass. Pose and the next crop use the 468 mesh
 * points (the irises lie inside them). Uses the network instance `mesh`;
 * touches only *tr (workers run tracks in parallel).
 */
static int run_mesh(const EmoFaceTracker *t, EmoNnModel *mesh, const EmoFrame *frame, Track *tr)
{
    float m[6], presence, R[9], scale;
    const EmoMeshSpec *spec = emo__mesh_spec(tr->kind);
    const int n = spec->points;
    if (!(tr->roi[2] > 1.0f) || !isfinite(tr->roi[0]) || !isfinite(tr->roi[1]) || !isfinite(tr->roi[4]))
        return 0;
    Stamp t0 = stamp();
    emo__roi_affine(tr->roi[0], tr->roi[1], tr->roi[2], tr->roi[4], spec->size, m);
    EmoFace *f = &tr->face;
    int rc = mesh_pass(t, mesh, frame, m, 0, NULL, f->landmarks, &presence, tr);
    if (rc < 0)
        return rc;
    f->presence = presence;
    f->n_landmarks = n;
    if (rc == 0 || presence < (float)t->s.face.min_presence)
        return 0;
    emo__pose_fit(&t->canon, (const float(*)[3])f->landmarks, EMO_FACE_LANDMARKS, R, &scale, &f->yaw, &f->pitch,
                  &f->roll);
    float on = (float)t->s.face.mirror_yaw;
    tr->mirrored = on < 90.0f && fabsf(f->yaw) >= (tr->mirrored ? on - MIRROR_HYSTERESIS : on);
    if (tr->mirrored) {
        float p2;
        float mirror_raw[EMO_FACE_LANDMARKS_MAX][3], mirror_lm[EMO_FACE_LANDMARKS_MAX][3];
        if ((rc = mesh_pass(t, mesh, frame, m, 1, mirror_raw, mirror_lm, &p2, tr)) < 0)
            return rc;
        if (rc == 1 && p2 >= (float)t->s.face.min_presence) {
            for (int i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    f->landmarks[i][c] = 0.5f * (f->landmarks[i][c] + mirror_lm[i][c]);
            emo__pose_fit(&t->canon, (const float(*)[3])f->landmarks, EMO_FACE_LANDMARKS, R, &scale, &f->yaw,
                          &f->pitch, &f->roll);
        }
    }
    for (int k = 0; k < 5; k++)
        f->roi[k] = tr->roi[k];
    landmarks_box(f);
    f->size_px = emo__face_width((const float(*)[3])f->landmarks);
    emo_face_compute_alignment(f);
    roi_from_landmarks(f, t->s.face.crop_scale, tr->roi);
    /* Post: all of this call but the crops and the network runs. */
    Stamp t1 = stamp();
    tr->mesh_t[2] += (t1.wall - t0.wall) - tr->mesh_t[0] - tr->mesh_t[1];
    tr->mesh_c[2] += (t1.cpu - t0.cpu) - tr->mesh_c[0] - tr->mesh_c[1];
    return 1;
}

static void remove_track(EmoFaceTracker *t, int i)
{
    memmove(&t->tracks[i], &t->tracks[i + 1], (size_t)(t->n_tracks - i - 1) * sizeof(Track));
    t->n_tracks--;
}

/* Does a detection belong to the face whose box is tb? Tracked boxes span
 * forehead to chin and detections less: a detection whose centre lies
 * inside the box also counts. */
static int overlaps(const EmoDetection *det, const float tb[4])
{
    const float db[4] = { det->x, det->y, det->w, det->h };
    float cx = db[0] + 0.5f * db[2], cy = db[1] + 0.5f * db[3];
    return emo__iou(db, tb) > TRACK_MATCH_IOU || (cx > tb[0] && cx < tb[0] + tb[2] && cy > tb[1] && cy < tb[1] + tb[3]);
}

/* The network for a track starting now: the main one, but past
 * landmarker_limit live landmarker tracks the face mesh. prefer (a
 * re-acquired face's former network, or -1) is kept when the limit allows,
 * so that a face's landmarks do not change model under its id; reserved:
 * landmarker places held for lost faces not yet re-found in this frame
 * (a re-found landmarker face counts itself among them). */
static EmoMeshKind new_track_kind(const EmoFaceTracker *t, int prefer, int reserved)
{
    if (t->landmarker_limit <= 0)
        return t->spec.kind;
    int used = reserved - (prefer == EMO_MESH_LANDMARKER && reserved > 0);
    for (int i = 0; i < t->n_tracks; i++)
        used += t->tracks[i].kind == EMO_MESH_LANDMARKER;
    if (prefer == EMO_MESH_FACEMESH || used >= t->landmarker_limit)
        return EMO_MESH_FACEMESH;
    return EMO_MESH_LANDMARKER;
}

/* A face with no id from this frame's lost faces (prefer < 0) may be a
 * departed face coming back (reid.c): it takes that id and, the limit
 * allowing, that network. */
static Track *add_track(EmoFaceTracker *t, const EmoDetection *det, int prefer, int reserved)
{
    EmoReidFace back;
    int live[EMO_FACE_MAX];
    for (int i = 0; i < t->n_tracks; i++)
        live[i] = t->tracks[i].face.id;
    const float db[4] = { det->x, det->y, det->w, det->h };
    int comeback = prefer < 0 && emo__reid_claim(&t->reid, db, live, t->n_tracks, &back);
    EmoMeshKind kind = new_track_kind(t, comeback ? back.kind : prefer, reserved);
    Track *tr = &t->tracks[t->n_tracks++];
    tr->kind = kind;
    memset(&tr->face, 0, sizeof(tr->face));
    tr->fresh = 1;
    tr->mirrored = 0;
    tr->face.id = comeback ? back.id : -1; /* else assigned when the mesh confirms it */
    tr->face.frames_tracked = comeback ? back.frames_tracked : 0;
    tr->comeback = comeback;
    tr->left_at = comeback ? back.left : t->reid.now;
    tr->face.detection_score = det->score;
    roi_from_detection(det, t->s.face.crop_scale, tr->roi);
    return tr;
}

/* The n detections dets of this frame: those on a tracked face mark it,
 * the others start tracks (up to max_faces). */
static void seed_tracks(EmoFaceTracker *t, const EmoDetection *dets, int n)
{
    int n_old = t->n_tracks;
    for (int d = 0; d < n; d++) {
        const EmoDetection *det = &dets[d];
        int match = -1;
        for (int i = 0; i < n_old && match < 0; i++)
            if (overlaps(det, t->tracks[i].face.box))
                match = i;
        if (match >= 0) {
            t->tracks[match].face.detection_score = det->score;
            t->tracks[match].face.flags |= EMO_FACE_DETECTED;
        } else if (t->n_tracks < t->s.face.max_faces) {
            add_track(t, det, -1, 0);
        }
    }
}

/* Track i after its mesh ran with result rc: keeps it (1), removes it (0,
 * recording a lost track), or returns rc, an nn error. */
static int apply_mesh(EmoFaceTracker *t, int i, int rc)
{
    Track *tr = &t->tracks[i];
    unsigned detected = tr->fresh || (tr->face.flags & EMO_FACE_DETECTED) ? EMO_FACE_DETECTED : 0;
    t->wall.crop += tr->mesh_t[0];
    t->cpu.crop += tr->mesh_c[0];
    t->wall.mesh += tr->mesh_t[1];
    t->cpu.mesh += tr->mesh_c[1];
    t->wall.post += tr->mesh_t[2];
    t->cpu.post += tr->mesh_c[2];
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (!tr->fresh && tr->face.id > 0 && t->n_lost < EMO_FACE_MAX) {
            Lost *l = &t->lost[t->n_lost++];
            l->id = tr->face.id;
            l->kind = tr->kind;
            memcpy(l->box, tr->face.box, sizeof(l->box));
            l->frames_tracked = tr->face.frames_tracked;
        } else if (tr->fresh && tr->face.id > 0) {
            /* A face given its id back that the mesh did not confirm: the id waits on. */
            emo__reid_depart(&t->reid, tr->face.id, tr->kind, tr->face.box, tr->left_at, tr->face.frames_tracked);
        }
        remove_track(t, i);
        return 0;
    }
    tr->face.flags = detected | (tr->fresh ? 0u : (unsigned)EMO_FACE_TRACKED) |
                     (tr->face.size_px < t->s.face.min_reliable_size ? (unsigned)EMO_FACE_LOW_CONFIDENCE : 0u);
    if (tr->face.id < 0) {
        tr->face.id = t->next_id++;
        t->tracks_started++;
        tr->face.frames_tracked = 0;
    }
    t->reid.comebacks += tr->fresh && tr->comeback;
    tr->face.frames_tracked++;
    return 1;
}

/* Runs the detector on the frame into t->dets (timed, counted, and
 * reported in out); the number of detections or an nn error. why: no face
 * tracked, a tracked face lost, or new faces looked for beside tracked ones
 * (face.detector auto picks its networks by it). */
static int detect_frame(EmoFaceTracker *t, const EmoFrame *frame, EmoDetPurpose why, EmoFaceList *out)
{
    Stamp t0 = stamp();
    int n = emo__detector_run(&t->det, frame, why, t->dets, t->s.face.max_faces);
    add_since(t0, stamp(), &t->wall.detect, &t->cpu.detect);
    if (n < 0)
        return n;
    t->detector_runs++;
    t->since_detect = 0;
    t->since_scan = 0;
    out->detector_ran = 1;
    out->n_detections = n;
    return n;
}

/* Runs the mesh on track i with the tracker's own instance and applies it. */
static int update_track(EmoFaceTracker *t, const EmoFrame *frame, int i)
{
    return apply_mesh(t, i, emo__face_tracker_mesh(t, NULL, frame, i));
}

struct EmoFaceMesher {
    EmoNnModel *mesh[2]; /* the tracker's networks, same kinds */
};

int emo__face_mesher_open(EmoFaceMesher **out, const EmoFaceTracker *t)
{
    *out = NULL;
    EmoFaceMesher *m = calloc(1, sizeof(*m));
    if (!m)
        return EMO_ENOMEM;
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (!t->mesh[k])
            continue;
        int lm_out, presence_out;
        rc = emo__mesh_open(&m->mesh[k], (EmoMeshKind)k, t->s.models_dir, t->s.threads, t->s.log, &lm_out,
                            &presence_out);
        if (rc == 0 && (lm_out != t->mesh_lm[k] || presence_out != t->mesh_presence[k]))
            rc = EMO_EFORMAT; /* the file changed since the tracker opened it */
    }
    if (rc < 0) {
        emo__face_mesher_close(&m);
        return rc;
    }
    *out = m;
    return 0;
}

void emo__face_mesher_close(EmoFaceMesher **pm)
{
    if (!pm || !*pm)
        return;
    emo_nn_close(&(*pm)->mesh[0]);
    emo_nn_close(&(*pm)->mesh[1]);
    free(*pm);
    *pm = NULL;
}

int emo__face_tracker_mesh(EmoFaceTracker *t, EmoFaceMesher *m, const EmoFrame *frame, int i)
{
    Track *tr = &t->tracks[i];
    memset(tr->mesh_t, 0, sizeof(tr->mesh_t));
    memset(tr->mesh_c, 0, sizeof(tr->mesh_c));
    tr->mesh_rc = run_mesh(t, m ? m->mesh[tr->kind] : t->mesh[tr->kind], frame, tr);
    return tr->mesh_rc;
}

int emo__face_tracker_track_points(const EmoFaceTracker *t, int i)
{
    return i >= 0 && i < t->n_tracks ? emo__mesh_spec(t->tracks[i].kind)->points : 0;
}

int emo_face_tracker_process(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out)
{
    int n = emo__face_tracker_begin(t, frame, out);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        emo__face_tracker_mesh(t, NULL, frame, i);
    emo__face_tracker_pass(t, frame);
    return emo__face_tracker_end(t, frame, out);
}

int emo__face_tracker_begin(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out)
{
    if (!t || !out)
        return EMO_EINVAL;
    if (!frame_ok(frame)) {
        emo_log(t->log, EMO_LOG_ERROR, "face: frames must be BGRA or RGB24 with valid planes");
        return EMO_EINVAL;
    }
    const EmoFaceSettings *fs = &t->s.face;
    out->count = 0;
    out->detector_ran = 0;
    out->n_detections = 0;
    t->frames++;
    t->since_detect++;
    t->since_scan++;
    /* A new shot: the faces on it are not the faces tracked so far. */
    out->cut = emo__reid_frame(&t->reid, frame);
    if (out->cut) {
        t->n_tracks = 0;
        t->lost_last_frame = 0;
    }
    for (int i = 0; i < t->n_tracks; i++) {
        t->tracks[i].fresh = 0;
        t->tracks[i].face.flags &= ~(unsigned)EMO_FACE_DETECTED;
    }

    EmoDetPurpose why = t->lost_last_frame ? EMO_DET_REACQUIRE : t->n_tracks == 0 ? EMO_DET_FIND : EMO_DET_SEARCH;
    int want = why != EMO_DET_SEARCH ||
               (fs->detect_interval > 0 && t->since_detect >= fs->detect_interval && t->n_tracks < fs->max_faces);
    t->lost_last_frame = 0;
    t->want_ = 0;
    t->pass_due_ = PASS_NONE;
    t->pass_n_ = 0;
    if (want && why != EMO_DET_SEARCH) {
        /* No face tracked, or one lost last frame: the frame's tracks come from this run. */
        int n = detect_frame(t, frame, why, out);
        if (n < 0)
            return n;
        seed_tracks(t, t->dets, n);
        t->want_ = 1;
    } else if (want) {
        /* The search for new faces beside tracked ones: run by
         * emo__face_tracker_pass beside the meshes, applied in end. */
        t->pass_due_ = PASS_SEARCH;
        t->detector_runs++;
        t->since_detect = 0;
        t->since_scan = 0;
    } else if (fs->tile_scan > 0 && t->since_scan >= fs->tile_scan && t->n_tracks > 0 &&
               t->n_tracks < fs->max_faces) {
        /* The tile scan: small faces beside tracked ones, which the whole
         * frame does not show (no face tracked: the detector runs anyway,
         * with its tiles). One tile per step spreads the cost; a tile's
         * detection on a tracked face (often a partial one of a big face)
         * only marks it. Not a detector run: the frame's search stays due.
         * Run beside the meshes too. */
        t->pass_due_ = PASS_SCAN;
        t->since_scan = 0;
    }
    return t->n_tracks;
}

int emo__face_tracker_pass_due(const EmoFaceTracker *t)
{
    return t->pass_due_ != PASS_NONE;
}

void emo__face_tracker_pass(EmoFaceTracker *t, const EmoFrame *frame)
{
    if (t->pass_due_ == PASS_NONE)
        return;
    Stamp t0 = stamp();
    int max = t->s.face.max_faces;
    t->pass_n_ = t->pass_due_ == PASS_SEARCH ? emo__detector_run(&t->det, frame, EMO_DET_SEARCH, t->pass_dets, max)
                                             : emo__detector_scan(&t->det, frame, t->pass_dets, max);
    add_since(t0, stamp(), &t->wall.detect, &t->cpu.detect);
}

/* New faces of this frame's detector pass (dets[0..n)): detections on a
 * tracked face mark it (its flags are final but for that bit); the others
 * start tracks, meshed here on the tracker's own instance (rare: a face
 * entering the scene). */
static int seed_now(EmoFaceTracker *t, const EmoFrame *frame, const EmoDetection *dets, int n)
{
    int n_old = t->n_tracks;
    seed_tracks(t, dets, n);
    for (int i = n_old; i < t->n_tracks;) {
        int rc = update_track(t, frame, i);
        if (rc < 0)
            return rc;
        i += rc;
    }
    return 0;
}

int emo__face_tracker_end(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out)
{
    const EmoFaceSettings *fs = &t->s.face;
    int want = t->want_, pass = t->pass_due_;
    t->pass_due_ = PASS_NONE;
    if (pass != PASS_NONE && t->pass_n_ < 0)
        return t->pass_n_;
    int pass_n = pass != PASS_NONE ? t->pass_n_ : 0;
    if (pass == PASS_SEARCH) {
        out->detector_ran = 1;
        out->n_detections = pass_n;
    }
    /* The meshes' results in track order (a removed track shifts the next ones down). */
    t->n_lost = 0;
    for (int i = 0; i < t->n_tracks;) {
        int rc = apply_mesh(t, i, t->tracks[i].mesh_rc);
        if (rc < 0)
            return rc;
        i += rc;
    }
    if (t->n_lost > 0 && want) {
        t->lost_last_frame = 1; /* the detector already ran on this frame: next one */
    } else if (t->n_lost > 0) {
        /* Re-acquisition: a tracked face moved out of its crop (a fast move,
         * a dropped frame). The detector runs on this same frame: a detection
         * near where the face was lost restarts the track under its id (the
         * face is neither missing from this frame nor renamed); any other
         * detection starts a new track at once. */
        int n;
        const EmoDetection *dets = t->dets;
        if (pass == PASS_SEARCH) {
            /* The search ran on this frame: its detections re-acquire. */
            n = pass_n;
            dets = t->pass_dets;
            pass_n = 0;
        } else {
            n = detect_frame(t, frame, EMO_DET_REACQUIRE, out);
            if (n < 0)
                return n;
        }
        int n_kept = t->n_tracks;
        for (int d = 0; d < n && t->n_tracks < fs->max_faces; d++) {
            const EmoDetection *det = &dets[d];
            int taken = 0;
            for (int i = 0; i < n_kept && !taken; i++)
                taken = overlaps(det, t->tracks[i].face.box);
            if (taken)
                continue;
            /* The nearest lost face whose box, grown by its size on every
             * side, holds the detection's centre: the same face, moved. */
            float cx = det->x + 0.5f * det->w, cy = det->y + 0.5f * det->h, best_d = 0;
            int best = -1;
            for (int k = 0; k < t->n_lost; k++) {
                const float *b = t->lost[k].box;
                float dx = cx - (b[0] + 0.5f * b[2]), dy = cy - (b[1] + 0.5f * b[3]);
                if (t->lost[k].id <= 0 || fabsf(dx) > 1.5f * b[2] || fabsf(dy) > 1.5f * b[3])
                    continue;
                if (best < 0 || dx * dx + dy * dy < best_d) {
                    best = k;
                    best_d = dx * dx + dy * dy;
                }
            }
            int reserved = 0;
            for (int k = 0; k < t->n_lost; k++)
                reserved += t->lost[k].id > 0 && t->lost[k].kind == EMO_MESH_LANDMARKER;
            Track *tr = add_track(t, det, best >= 0 ? (int)t->lost[best].kind : -1, reserved);
            if (best >= 0) {
                tr->face.id = t->lost[best].id;
                tr->face.frames_tracked = t->lost[best].frames_tracked;
                t->lost[best].id = 0; /* used */
            }
            int rc = update_track(t, frame, t->n_tracks - 1);
            if (rc < 0)
                return rc;
        }
    }
    if (pass_n > 0) {
        int rc = seed_now(t, frame, t->pass_dets, pass_n);
        if (rc < 0)
            return rc;
    }
    /* Lost faces not found again in this frame wait for a come-back. */
    for (int k = 0; k < t->n_lost; k++) {
        const Lost *l = &t->lost[k];
        emo__reid_depart(&t->reid, l->id, l->kind, l->box, t->reid.now, l->frames_tracked);
    }
    /* Two crops converging on one face: keep the older track. */
    for (int i = 0; i < t->n_tracks; i++)
        for (int j = i + 1; j < t->n_tracks;) {
            if (emo__iou(t->tracks[i].face.box, t->tracks[j].face.box) > TRACK_DUP_IOU) {
                int drop = t->tracks[i].face.id < t->tracks[j].face.id ? j : i;
                remove_track(t, drop);
                if (drop == i) {
                    j = i + 1;
                    continue;
                }
            } else {
                j++;
            }
        }
    /* Keep the tracks in id order (a re-acquired track comes last). */
    for (int i = 1; i < t->n_tracks; i++)
        for (int j = i; j > 0 && t->tracks[j - 1].face.id > t->tracks[j].face.id; j--) {
            Track tmp = t->tracks[j];
            t->tracks[j] = t->tracks[j - 1];
            t->tracks[j - 1] = tmp;
        }
    for (int i = 0; i < t->n_tracks; i++)
        out->faces[out->count++] = t->tracks[i].face;
    return 0;
}
