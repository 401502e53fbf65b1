/* libFuzzer target: overlay and timeline drawing with arbitrary numbers.
 * The bytes become the floats of faces, landmarks, history, micro state,
 * facial actions (their names raw bytes: broken UTF-8 included) and
 * timeline events (special values included); each call must return 0 or
 * EMO_EINVAL, quickly, never crash. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emoscope/render.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fontconfig (under Cairo's toy fonts) keeps its configuration for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig\n";
}

typedef struct Bytes {
    const uint8_t *p;
    size_t n, i;
} Bytes;

static float next_f(Bytes *b)
{
    float v = 0;
    if (b->i + 4 <= b->n) {
        memcpy(&v, b->p + b->i, 4);
        b->i += 4;
    } else if (b->n) {
        v = (float)b->p[b->i++ % b->n];
    }
    return v;
}

/* A name of up to 47 raw bytes (no NUL inside). */
static void next_name(Bytes *b, char name[48])
{
    size_t len = b->i < b->n ? b->p[b->i++] % 48 : 0, k = 0;
    for (; k < len && b->i < b->n; k++) {
        uint8_t c = b->p[b->i++];
        name[k] = (char)(c ? c : ' ');
    }
    name[k] = 0;
}

static int next_i(Bytes *b, int lo, int hi)
{
    float v = next_f(b);
    if (!(v == v))
        return lo;
    long k = (long)fmodf(fabsf(v), (float)(hi - lo + 1));
    return lo + (int)(k < 0 ? 0 : k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EmoOverlay *ov;
    static EmoFrame *frame;
    static const EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };
    if (!ov) {
        EmoOverlaySettings s;
        emo_overlay_default_settings(&s);
        s.logger = &quiet;
        s.mesh_style = EMO_MESH_STYLE_BOTH;
        if (emo_overlay_open(&ov, &s) || emo_frame_alloc(&frame, EMO_PIX_BGRA, 160, 120))
            abort();
    }
    Bytes b = { data, size, 0 };
    static float lm[2 * EMO_RENDER_MESH_POINTS];
    static double ht[32];
    static float hp[32 * EMO_RENDER_EMOTIONS];
    EmoOverlayModel models[2];
    EmoOverlayFace faces[2];
    memset(faces, 0, sizeof(faces));
    static char names[3][48];
    for (int k = 0; k < 3; k++)
        next_name(&b, names[k]);
    memset(models, 0, sizeof(models));
    for (int i = 0; i < 2 * EMO_RENDER_MESH_POINTS; i++)
        lm[i] = next_f(&b);
    for (int i = 0; i < 32; i++) {
        ht[i] = next_f(&b);
        for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
            hp[i * EMO_RENDER_EMOTIONS + e] = next_f(&b);
    }
    for (int m = 0; m < 2; m++)
        for (int e = 0; e < EMO_RENDER_EMOTIONS; e++)
            models[m].probs[e] = next_f(&b);
    for (int k = 0; k < 2; k++) {
        EmoOverlayFace *f = &faces[k];
        f->id = next_i(&b, -5, 1000);
        f->x = next_f(&b);
        f->y = next_f(&b);
        f->w = next_f(&b);
        f->h = next_f(&b);
        f->landmarks = lm;
        f->n_landmarks = next_i(&b, 0, 1) ? EMO_RENDER_MESH_POINTS : 0;
        for (int e = 0; e < EMO_RENDER_EMOTIONS; e++) {
            f->probs[e] = next_f(&b);
            f->probs_raw[e] = next_f(&b);
        }
        f->dominant = next_i(&b, -2, 9);
        f->has_probs = next_i(&b, 0, 1);
        f->models = models;
        f->n_models = next_i(&b, 0, 2);
        f->history_t = ht;
        f->history_probs = hp;
        f->n_history = next_i(&b, 0, 32);
        f->micro.active = next_i(&b, 0, 1);
        f->micro.cx = next_f(&b);
        f->micro.cy = next_f(&b);
        f->micro.radius = next_f(&b);
        f->micro.angle = next_f(&b);
        f->micro.magnitude = next_f(&b);
        f->micro.threshold = next_f(&b);
        f->micro.has_region = next_i(&b, 0, 1);
        f->micro.region = (EmoRegion)next_i(&b, -1, EMO_REGION_COUNT);
        f->micro.has_direction = next_i(&b, 0, 1);
        f->micro.direction = (EmoDirection)next_i(&b, EMO_DIR_NONE - 1, EMO_DIR_COUNT);
        f->micro.event = (EmoOverlayEvent)next_i(&b, 0, 3);
        f->n_actions = next_i(&b, -1, 8);
        for (int a = 0; a < 8; a++)
            f->actions[a] = (EmoOverlayAction){ a == 3 ? NULL : names[a % 3], next_f(&b) };
    }
    EmoOverlayInput in;
    memset(&in, 0, sizeof(in));
    in.faces = faces;
    in.n_faces = next_i(&b, 0, 2);
    in.graph_face = next_i(&b, -1, 3);
    in.capture_fps = next_f(&b);
    in.analysis_fps = next_f(&b);
    in.pts = next_f(&b);
    in.wallclock = next_f(&b);
    in.show_mesh = in.show_graph = in.show_model_bars = in.show_actions = 1;
    int r = emo_overlay_draw(ov, frame, &in);
    if (r != 0 && r != EMO_EINVAL)
        abort();

    /* the timeline with the same history as one face's run */
    EmoTimelineEvent ev[2];
    for (int k = 0; k < 2; k++) {
        ev[k].t_start = next_f(&b);
        ev[k].t_end = next_f(&b);
        ev[k].label = "micro-expression";
        ev[k].detail = k ? "mouth" : NULL;
        ev[k].macro = k;
    }
    EmoTimelineFace tf = { 1, ht, hp, next_i(&b, 0, 32), ev, next_i(&b, 0, 2) };
    EmoTimelineData d;
    memset(&d, 0, sizeof(d));
    d.faces = &tf;
    d.n_faces = next_i(&b, 0, 1);
    d.t_begin = next_f(&b);
    d.t_end = next_f(&b);
    d.logger = &quiet;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/emo-fuzz-timeline-%d.png", (int)getpid());
    r = emo_render_timeline(&d, path, NULL, 200, 200);
    if (r != 0 && r != EMO_EINVAL)
        abort();
    unlink(path);
    return 0;
}
