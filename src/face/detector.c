#define _POSIX_C_SOURCE 200809L
/*
 * The tracker's face detector: which BlazeFace network runs where
 * (face.detector), the whole frame letterboxed and, when it shows no face,
 * overlapping tiles of it.
 *
 * short   short-range on the whole frame, then its tiles: faces within about
 *         two metres of the camera; the cheapest network (31 M multiply-adds).
 * full    full-range on the whole frame, then its tiles: faces at any
 *         distance (106 M multiply-adds, 3.4x short-range's).
 * auto    full-range on the whole frame when no face is tracked and for the
 *         periodic search for new faces (face.detect_interval): on every
 *         photo and face size measured (tests/face/test_detector.c) it found
 *         every face short-range found and the smaller ones, so short-range
 *         first would only add a pass where it finds nothing, and lose the
 *         small faces of a group where it finds the big ones. Short-range
 *         first when a tracked face was lost (mostly a close face that moved
 *         fast: its strength, at a third of the cost). Whichever ran first,
 *         the other runs on the whole frame when it finds nothing: full-range
 *         scores close faces lower (0.58-0.78 on the sample clips' face,
 *         short-range 0.88-0.94), so under a strict min_detection_confidence
 *         short-range still finds them, and a search while tracking does not
 *         fall through to the tiles. Tiles, full-range's, only when both find
 *         nothing; while no face is tracked, on the first frame and then
 *         every AUTO_TILE_EVERY frames of an empty scene (22 full-range
 *         passes cost 60-75 ms: every frame would cost 3x what short-range's
 *         tiles did). docs/face.md has the sizes and costs measured.
 *
 * auto and full, while faces are tracked: the tile scan
 * (emo__detector_scan, face.tile_scan), full-range on one tile per step,
 * round robin, for small faces beside the tracked ones.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "detector.h"

/* Tiles per axis at most (a 1/3 tile of a 16:9 frame needs 5 across). */
#define TILES_AXIS 5
/* auto, no face tracked: the tiles on every this many frames of an empty
 * scene (a face too small for the whole frame is found within a third of a
 * second at 30 fps; the detector then costs 12 ms per frame at 1080p
 * instead of 75). */
#define AUTO_TILE_EVERY 10

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int emo__detector_mode(const char *setting, const EmoLogger *log, EmoDetMode *mode)
{
    static const char *const names[] = { "auto", "short", "full" };
    for (int k = 0; k < 3; k++)
        if (!strcmp(setting, names[k])) {
            *mode = (EmoDetMode)k;
            return 0;
        }
    emo_log(log, EMO_LOG_ERROR, "face: detector \"%s\": use auto, short or full", setting);
    return EMO_EINVAL;
}

static int open_net(EmoFaceDetector *d, EmoDetKind kind, const char *path, int threads)
{
    EmoDetNet *net = &d->net[kind];
    const EmoDetSpec *spec = emo__det_spec(kind);
    EmoNnSettings ns;
    emo_nn_default_settings(&ns);
    ns.threads = threads;
    ns.log = d->log;
    net->spec = spec;
    int rc = emo_nn_open(&net->m, path, &ns);
    if (rc < 0) {
        emo_log(d->log, EMO_LOG_ERROR, "face: cannot open the %s detector %s", spec->name, path);
        return rc;
    }
    EmoNnTensorInfo in;
    int input_ok = emo_nn_num_inputs(net->m) == 1 && emo_nn_input_info(net->m, 0, &in) == 0 &&
                   in.count == (size_t)spec->size * spec->size * 3;
    net->reg = emo__find_output(net->m, NULL, (size_t)spec->anchors * EMO_BF_COORDS);
    net->cls = emo__find_output(net->m, NULL, (size_t)spec->anchors);
    if (!input_ok || net->reg < 0 || net->cls < 0) {
        emo_log(d->log, EMO_LOG_ERROR, "face: %s is not %s (%dx%d RGB in, %d anchors out)", path, spec->name,
                spec->size, spec->size, spec->anchors);
        return EMO_EFORMAT;
    }
    net->anchors = malloc(sizeof(*net->anchors) * (size_t)spec->anchors);
    if (!net->anchors)
        return EMO_ENOMEM;
    emo__det_anchors(spec, net->anchors);
    return 0;
}

int emo__detector_open(EmoFaceDetector *d, const EmoFaceSettings *f, const char *models_dir, int threads,
                       const EmoLogger *log)
{
    memset(d, 0, sizeof(*d));
    d->log = log;
    d->min_score = (float)f->min_detection_confidence;
    d->nms_iou = (float)f->nms_iou;
    d->tiles = f->detect_tiles;
    int rc = emo__detector_mode(f->detector, log, &d->mode);
    if (rc < 0)
        return rc;
    char path[EMO_PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", models_dir, emo__det_spec(EMO_DET_FULL)->file);
    struct stat st;
    if (d->mode == EMO_DET_MODE_AUTO && !(stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
        emo_log(log, EMO_LOG_INFO,
                "face: %s not found: detecting with the short-range model only (faces within about 2 m; `emoscope "
                "models` installs it)",
                path);
        d->mode = EMO_DET_MODE_SHORT;
    }
    if (d->mode != EMO_DET_MODE_SHORT && (rc = open_net(d, EMO_DET_FULL, path, threads)) < 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/%s", models_dir, emo__det_spec(EMO_DET_SHORT)->file);
    if (d->mode != EMO_DET_MODE_FULL && (rc = open_net(d, EMO_DET_SHORT, path, threads)) < 0)
        goto fail;
    return 0;
fail:
    emo__detector_close(d);
    return rc;
}

void emo__detector_close(EmoFaceDetector *d)
{
    if (!d)
        return;
    for (int k = 0; k < 2; k++) {
        emo_nn_close(&d->net[k].m);
        free(d->net[k].anchors);
        d->net[k].anchors = NULL;
    }
}

/* One network pass over the square region m (input pixels -> frame
 * pixels): appends its candidates, in frame pixels, to d->cand[*n..). */
static int pass(EmoFaceDetector *d, EmoDetKind kind, const EmoFrame *frame, const float m[6], int *n)
{
    EmoDetNet *net = &d->net[kind];
    const int size = net->spec->size;
    double c0 = thread_seconds(), w0 = emo_clock_now();
    /* Strong downscaling (1080p -> 128) averages 2x2 bilinear samples per
     * pixel against aliasing; the frame is still only sampled, never converted. */
    int ss = m[0] > 4.0f ? 2 : 1;
    emo__warp_rgbf(frame, m, size, size, ss, 1, 2.0f / 255.0f, -1.0f, emo_nn_input(net->m, 0));
    int rc = emo_nn_run(net->m);
    if (rc < 0)
        return rc;
    int k = emo__det_decode(net->spec, emo_nn_output(net->m, net->reg), emo_nn_output(net->m, net->cls),
                            (const float(*)[2])net->anchors, d->min_score, d->cand + *n, EMO_DET_CANDIDATES - *n);
    for (int i = 0; i < k; i++)
        emo__detection_map(&d->cand[*n + i], m, (float)size);
    *n += k;
    d->stats.passes[kind]++;
    d->stats.cpu[kind] += thread_seconds() - c0;
    d->stats.wall[kind] += emo_clock_now() - w0;
    return 0;
}

static int whole_frame(EmoFaceDetector *d, EmoDetKind kind, const EmoFrame *frame, int *n)
{
    float m[6];
    emo__letterbox_to(frame->width, frame->height, d->net[kind].spec->size, m);
    return pass(d, kind, frame, m, n);
}

/* Tile origins along one axis: tiles of side `tile`, half a tile apart at
 * most, so that any face up to half a tile lies whole in one of them. */
static int tile_origins(int dim, float tile, float *org)
{
    if ((float)dim <= tile) {
        org[0] = 0.5f * ((float)dim - tile);
        return 1;
    }
    int n = (int)ceilf(((float)dim - tile) / (0.5f * tile) - 1e-3f) + 1;
    n = n > TILES_AXIS ? TILES_AXIS : n;
    for (int i = 0; i < n; i++)
        org[i] = ((float)dim - tile) * (float)i / (float)(n - 1);
    return n;
}

/* The tiles of one level (1/level of the frame's long side) for network
 * kind: their side and origins; 0 when they would be smaller than the
 * network wants (short-range's never under twice its input, as before
 * full-range came; full-range's never under its input, where it sees the
 * frame's own pixels: its smallest faces, 12 px, are found in 640x360
 * frames too). */
static int level_tiles(const EmoFaceDetector *d, EmoDetKind kind, const EmoFrame *frame, int level, float *tile,
                       int *nx, int *ny, float ox[TILES_AXIS], float oy[TILES_AXIS])
{
    const int size = d->net[kind].spec->size;
    const float min_tile = (kind == EMO_DET_FULL ? 1.0f : 2.0f) * (float)size;
    int side = frame->width > frame->height ? frame->width : frame->height;
    *tile = (float)side / (float)level;
    if (*tile < min_tile)
        return 0;
    *nx = tile_origins(frame->width, *tile, ox);
    *ny = tile_origins(frame->height, *tile, oy);
    return *nx * *ny;
}

static int tile_pass(EmoFaceDetector *d, EmoDetKind kind, const EmoFrame *frame, float tile, float x, float y, int *n)
{
    const float s = tile / (float)d->net[kind].spec->size, mt[6] = { s, 0, x, 0, s, y };
    return pass(d, kind, frame, mt, n);
}

/* A network wants faces of at least a certain share of its input
 * (short-range about 1/8 of it, full-range 1/16: docs/face.md). When the
 * whole frame shows none, search overlapping tiles of 1/2, then 1/3 of the
 * frame, where faces look 2x and 3x bigger (group photos, people far from
 * the camera). */
static int tiles(EmoFaceDetector *d, EmoDetKind kind, const EmoFrame *frame, int *n)
{
    int rc, nx, ny;
    float tile, ox[TILES_AXIS], oy[TILES_AXIS];
    for (int level = 2; *n == 0 && level <= d->tiles + 1; level++) {
        if (!level_tiles(d, kind, frame, level, &tile, &nx, &ny, ox, oy))
            break;
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                if ((rc = tile_pass(d, kind, frame, tile, ox[i], oy[j], n)) < 0)
                    return rc;
    }
    return 0;
}

int emo__detector_scan(EmoFaceDetector *d, const EmoFrame *frame, EmoDetection *dets, int max)
{
    if (!d->net[EMO_DET_FULL].m || d->tiles <= 0)
        return 0;
    int nx, ny, total = 0, count[3] = { 0, 0, 0 };
    float tile, ox[TILES_AXIS], oy[TILES_AXIS];
    for (int level = 2; level <= d->tiles + 1; level++) {
        count[level - 2] = level_tiles(d, EMO_DET_FULL, frame, level, &tile, &nx, &ny, ox, oy);
        if (!count[level - 2])
            break;
        total += count[level - 2];
    }
    if (total == 0)
        return 0;
    /* The cursor wraps over this frame size's tiles (a new size restarts
     * no cycle: the next tile of the new grid is as good as any). */
    int k = (int)(d->scan_next++ % total), level = 2;
    for (; k >= count[level - 2]; level++)
        k -= count[level - 2];
    level_tiles(d, EMO_DET_FULL, frame, level, &tile, &nx, &ny, ox, oy);
    double c0 = d->stats.cpu[EMO_DET_FULL], w0 = d->stats.wall[EMO_DET_FULL];
    int n = 0, rc = tile_pass(d, EMO_DET_FULL, frame, tile, ox[k % nx], oy[k / nx], &n);
    d->stats.scan_passes++;
    d->stats.scan_cpu += d->stats.cpu[EMO_DET_FULL] - c0;
    d->stats.scan_wall += d->stats.wall[EMO_DET_FULL] - w0;
    if (rc < 0)
        return rc;
    return emo__weighted_nms(d->cand, n, d->nms_iou, dets, max);
}

int emo__detector_run(EmoFaceDetector *d, const EmoFrame *frame, EmoDetPurpose why, EmoDetection *dets, int max)
{
    /* The passes in order, each only while no face is found: whole frame
     * with first, then with second (-1: none), then tiles with tile. */
    int first = EMO_DET_SHORT, second = -1, tile = EMO_DET_SHORT;
    if (d->mode == EMO_DET_MODE_FULL) {
        first = tile = EMO_DET_FULL;
    } else if (d->mode == EMO_DET_MODE_AUTO) {
        first = why == EMO_DET_REACQUIRE ? EMO_DET_SHORT : EMO_DET_FULL;
        second = first == EMO_DET_FULL ? EMO_DET_SHORT : EMO_DET_FULL;
        tile = EMO_DET_FULL;
    }
    int64_t before[2] = { d->stats.passes[0], d->stats.passes[1] };
    int n = 0, rc = whole_frame(d, (EmoDetKind)first, frame, &n);
    if (rc == 0 && n == 0 && second >= 0)
        rc = whole_frame(d, (EmoDetKind)second, frame, &n);
    int tile_now = d->mode != EMO_DET_MODE_AUTO || why != EMO_DET_FIND || d->idle % AUTO_TILE_EVERY == 0;
    if (rc == 0 && n == 0 && tile_now)
        rc = tiles(d, (EmoDetKind)tile, frame, &n);
    if (why == EMO_DET_FIND)
        d->idle = n == 0 ? d->idle + 1 : 0;
    for (int k = 0; k < 2; k++)
        d->stats.runs[k] += d->stats.passes[k] > before[k];
    if (rc < 0)
        return rc;
    return emo__weighted_nms(d->cand, n, d->nms_iou, dets, max);
}
