/*
 * Blendshapes and action units (actions.h).
 *
 * The model is MediaPipe's face_blendshapes.tflite, read from the face
 * landmarker bundle. Its input is built as MediaPipe's
 * face_blendshapes_graph.cc builds it: the landmarks of kLandmarksSubsetIdxs
 * (146 of the 478), x times the image width and y times the image height,
 * which for our pixel landmarks is the pixels themselves. Its output is the
 * 52 scores after a sigmoid, in kBlendshapeNames order.
 *
 * The action units are a fixed table over those scores; each line names
 * the ARKit blendshape definition (MediaPipe uses ARKit's names and
 * meanings) and the FACS action it corresponds to. docs/actions.md holds
 * the same table with its sources; tests/face/test_blendshapes.c checks the
 * two agree.
 */
#include <emoscope/actions.h>
#include <emoscope/nn.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct EmoBlendshapes {
    EmoNnModel *model;
    const EmoLogger *log;
};

/* MediaPipe's kLandmarksSubsetIdxs (face_blendshapes_graph.cc), in order. */
static const unsigned short subset[EMO_BLENDSHAPE_SUBSET] = {
    0,   1,   4,   5,   6,   7,   8,   10,  13,  14,  17,  21,  33,  37,  39,  40,  46,  52,  53,  54,  55,
    58,  61,  63,  65,  66,  67,  70,  78,  80,  81,  82,  84,  87,  88,  91,  93,  95,  103, 105, 107, 109,
    127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163,
    168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283,
    284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334,
    336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389,
    390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
};

/* MediaPipe's kBlendshapeNames: the model's output order. */
static const char *const names[EMO_BLENDSHAPES] = {
    "_neutral",         "browDownLeft",        "browDownRight",     "browInnerUp",       "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff",           "cheekSquintLeft",   "cheekSquintRight",  "eyeBlinkLeft",
    "eyeBlinkRight",    "eyeLookDownLeft",     "eyeLookDownRight",  "eyeLookInLeft",     "eyeLookInRight",
    "eyeLookOutLeft",   "eyeLookOutRight",     "eyeLookUpLeft",     "eyeLookUpRight",    "eyeSquintLeft",
    "eyeSquintRight",   "eyeWideLeft",         "eyeWideRight",      "jawForward",        "jawLeft",
    "jawOpen",          "jawRight",            "mouthClose",        "mouthDimpleLeft",   "mouthDimpleRight",
    "mouthFrownLeft",   "mouthFrownRight",     "mouthFunnel",       "mouthLeft",         "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthPressLeft",   "mouthPressRight",   "mouthPucker",       "mouthRight",
    "mouthRollLower",   "mouthRollUpper",      "mouthShrugLower",   "mouthShrugUpper",   "mouthSmileLeft",
    "mouthSmileRight",  "mouthStretchLeft",    "mouthStretchRight", "mouthUpperUpLeft",  "mouthUpperUpRight",
    "noseSneerLeft",    "noseSneerRight",
};

/* Score indices used by the table. */
enum {
    BROW_DOWN_L = 1, BROW_DOWN_R, BROW_INNER_UP, BROW_OUTER_UP_L, BROW_OUTER_UP_R, CHEEK_PUFF, CHEEK_SQUINT_L,
    CHEEK_SQUINT_R, EYE_BLINK_L, EYE_BLINK_R, EYE_LOOK_DOWN_L, EYE_LOOK_DOWN_R, EYE_LOOK_IN_L, EYE_LOOK_IN_R,
    EYE_LOOK_OUT_L, EYE_LOOK_OUT_R, EYE_LOOK_UP_L, EYE_LOOK_UP_R, EYE_SQUINT_L, EYE_SQUINT_R, EYE_WIDE_L,
    EYE_WIDE_R, JAW_FORWARD, JAW_LEFT, JAW_OPEN, JAW_RIGHT, MOUTH_CLOSE, MOUTH_DIMPLE_L, MOUTH_DIMPLE_R,
    MOUTH_FROWN_L, MOUTH_FROWN_R, MOUTH_FUNNEL, MOUTH_LEFT, MOUTH_LOWER_DOWN_L, MOUTH_LOWER_DOWN_R,
    MOUTH_PRESS_L, MOUTH_PRESS_R, MOUTH_PUCKER, MOUTH_RIGHT, MOUTH_ROLL_LOWER, MOUTH_ROLL_UPPER,
    MOUTH_SHRUG_LOWER, MOUTH_SHRUG_UPPER, MOUTH_SMILE_L, MOUTH_SMILE_R, MOUTH_STRETCH_L, MOUTH_STRETCH_R,
    MOUTH_UPPER_UP_L, MOUTH_UPPER_UP_R, NOSE_SNEER_L, NOSE_SNEER_R,
};

/* How a unit combines its blendshapes. A bilateral FACS action is scored
 * when it shows on either side (FACS marks the side of a unilateral one),
 * so left/right pairs take the stronger side. */
typedef enum Combine {
    STRONGER,   /* max of the listed scores */
    BOTH,       /* min: every listed movement present */
    MEAN,       /* mean: both eyes of a gaze direction */
    EXCESS,     /* first minus second, at least 0 */
} Combine;

typedef struct AuRule {
    int au;
    const char *name;        /* FACS (Ekman, Friesen & Hager 2002) */
    Combine how;
    int shapes[3];           /* score indices; 0 ends the list (_neutral is never used) */
    const char *rule;        /* the same, in words, as docs/actions.md */
} AuRule;

/* The ARKit meaning of each shape is in docs/actions.md with its source. */
static const AuRule rules[EMO_ACTION_UNITS] = {
    { 1, "inner brow raiser", STRONGER, { BROW_INNER_UP }, "browInnerUp" },
    { 2, "outer brow raiser", STRONGER, { BROW_OUTER_UP_L, BROW_OUTER_UP_R }, "max(browOuterUpLeft, browOuterUpRight)" },
    { 4, "brow lowerer", STRONGER, { BROW_DOWN_L, BROW_DOWN_R }, "max(browDownLeft, browDownRight)" },
    { 5, "upper lid raiser", STRONGER, { EYE_WIDE_L, EYE_WIDE_R }, "max(eyeWideLeft, eyeWideRight)" },
    { 6, "cheek raiser", STRONGER, { CHEEK_SQUINT_L, CHEEK_SQUINT_R }, "max(cheekSquintLeft, cheekSquintRight)" },
    { 7, "lid tightener", STRONGER, { EYE_SQUINT_L, EYE_SQUINT_R }, "max(eyeSquintLeft, eyeSquintRight)" },
    { 9, "nose wrinkler", STRONGER, { NOSE_SNEER_L, NOSE_SNEER_R }, "max(noseSneerLeft, noseSneerRight)" },
    { 10, "upper lip raiser", STRONGER, { MOUTH_UPPER_UP_L, MOUTH_UPPER_UP_R },
      "max(mouthUpperUpLeft, mouthUpperUpRight)" },
    { 12, "lip corner puller", STRONGER, { MOUTH_SMILE_L, MOUTH_SMILE_R }, "max(mouthSmileLeft, mouthSmileRight)" },
    { 14, "dimpler", STRONGER, { MOUTH_DIMPLE_L, MOUTH_DIMPLE_R }, "max(mouthDimpleLeft, mouthDimpleRight)" },
    { 15, "lip corner depressor", STRONGER, { MOUTH_FROWN_L, MOUTH_FROWN_R }, "max(mouthFrownLeft, mouthFrownRight)" },
    { 16, "lower lip depressor", STRONGER, { MOUTH_LOWER_DOWN_L, MOUTH_LOWER_DOWN_R },
      "max(mouthLowerDownLeft, mouthLowerDownRight)" },
    { 17, "chin raiser", STRONGER, { MOUTH_SHRUG_LOWER }, "mouthShrugLower" },
    { 18, "lip pucker", STRONGER, { MOUTH_PUCKER }, "mouthPucker" },
    { 20, "lip stretcher", STRONGER, { MOUTH_STRETCH_L, MOUTH_STRETCH_R }, "max(mouthStretchLeft, mouthStretchRight)" },
    { 22, "lip funneler", STRONGER, { MOUTH_FUNNEL }, "mouthFunnel" },
    { 23, "lip tightener", BOTH, { MOUTH_PRESS_L, MOUTH_PRESS_R, MOUTH_PUCKER },
      "min(mouthPressLeft, mouthPressRight, mouthPucker)" },
    { 24, "lip pressor", STRONGER, { MOUTH_PRESS_L, MOUTH_PRESS_R }, "max(mouthPressLeft, mouthPressRight)" },
    { 25, "lips part", EXCESS, { JAW_OPEN, MOUTH_CLOSE }, "max(0, jawOpen - mouthClose)" },
    { 26, "jaw drop", STRONGER, { JAW_OPEN }, "jawOpen" },
    { 28, "lip suck", STRONGER, { MOUTH_ROLL_LOWER, MOUTH_ROLL_UPPER }, "max(mouthRollLower, mouthRollUpper)" },
    { 29, "jaw thrust", STRONGER, { JAW_FORWARD }, "jawForward" },
    { 30, "jaw sideways", STRONGER, { JAW_LEFT, JAW_RIGHT }, "max(jawLeft, jawRight)" },
    { 34, "cheek puff", STRONGER, { CHEEK_PUFF }, "cheekPuff" },
    { 43, "eyes closed (43/45)", BOTH, { EYE_BLINK_L, EYE_BLINK_R }, "min(eyeBlinkLeft, eyeBlinkRight)" },
    { 61, "eyes turn left", MEAN, { EYE_LOOK_OUT_L, EYE_LOOK_IN_R }, "mean(eyeLookOutLeft, eyeLookInRight)" },
    { 62, "eyes turn right", MEAN, { EYE_LOOK_IN_L, EYE_LOOK_OUT_R }, "mean(eyeLookInLeft, eyeLookOutRight)" },
    { 63, "eyes up", MEAN, { EYE_LOOK_UP_L, EYE_LOOK_UP_R }, "mean(eyeLookUpLeft, eyeLookUpRight)" },
    { 64, "eyes down", MEAN, { EYE_LOOK_DOWN_L, EYE_LOOK_DOWN_R }, "mean(eyeLookDownLeft, eyeLookDownRight)" },
};

void emo_blendshapes_default_settings(EmoBlendshapesSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->threads = 1;
}

int emo_blendshapes_open(EmoBlendshapes **out, const EmoBlendshapesSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    if (!s || !s->bundle) {
        emo_log(s ? s->log : NULL, EMO_LOG_ERROR, "blendshapes: no face_landmarker.task path given");
        return EMO_EINVAL;
    }
    EmoBlendshapes *b = calloc(1, sizeof(*b));
    if (!b)
        return EMO_ENOMEM;
    b->log = s->log;
    EmoNnSettings ns;
    emo_nn_default_settings(&ns);
    ns.threads = s->threads > 0 ? s->threads : 1;
    ns.log = s->log;
    int err = emo_nn_open_member(&b->model, s->bundle, EMO_BLENDSHAPE_MEMBER, &ns);
    if (err)
        goto fail;
    EmoNnTensorInfo in, o;
    if (emo_nn_num_inputs(b->model) != 1 || emo_nn_num_outputs(b->model) != 1 ||
        emo_nn_input_info(b->model, 0, &in) || emo_nn_output_info(b->model, 0, &o) ||
        in.count != 2 * EMO_BLENDSHAPE_SUBSET || o.count != EMO_BLENDSHAPES) {
        emo_log(s->log, EMO_LOG_ERROR, "%s:%s: not the blendshape model (input [1,146,2], output [52] expected)",
                s->bundle, EMO_BLENDSHAPE_MEMBER);
        err = EMO_EFORMAT;
        goto fail;
    }
    *out = b;
    return 0;
fail:
    emo_blendshapes_close(&b);
    return err;
}

int emo_blendshapes_input(float *out, const float *points, int n, int stride)
{
    if (!out || !points || n < EMO_BLENDSHAPE_POINTS || stride < 2)
        return EMO_EINVAL;
    for (int i = 0; i < EMO_BLENDSHAPE_SUBSET; i++) {
        const float *p = points + (size_t)subset[i] * (size_t)stride;
        if (!isfinite(p[0]) || !isfinite(p[1]))
            return EMO_EINVAL;
        out[2 * i] = p[0];
        out[2 * i + 1] = p[1];
    }
    return 0;
}

int emo_blendshapes_run(EmoBlendshapes *b, const float *points, int n, int stride, float *scores)
{
    if (!b || !scores)
        return EMO_EINVAL;
    int err = emo_blendshapes_input(emo_nn_input(b->model, 0), points, n, stride);
    if (err || (err = emo_nn_run(b->model)))
        return err;
    memcpy(scores, emo_nn_output(b->model, 0), EMO_BLENDSHAPES * sizeof(float));
    return 0;
}

unsigned long long emo_blendshapes_macs(const EmoBlendshapes *b)
{
    return b ? (unsigned long long)emo_nn_macs(b->model) : 0;
}

void emo_blendshapes_close(EmoBlendshapes **pb)
{
    if (!pb || !*pb)
        return;
    emo_nn_close(&(*pb)->model);
    free(*pb);
    *pb = NULL;
}

const char *emo_blendshape_name(int i)
{
    return i >= 0 && i < EMO_BLENDSHAPES ? names[i] : NULL;
}

int emo_blendshape_index(const char *name)
{
    for (int i = 0; name && i < EMO_BLENDSHAPES; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

int emo_action_unit_number(int i)
{
    return i >= 0 && i < EMO_ACTION_UNITS ? rules[i].au : -1;
}

const char *emo_action_unit_name(int i)
{
    return i >= 0 && i < EMO_ACTION_UNITS ? rules[i].name : NULL;
}

const char *emo_action_unit_rule(int i)
{
    return i >= 0 && i < EMO_ACTION_UNITS ? rules[i].rule : NULL;
}

int emo_action_unit_index(int number)
{
    for (int i = 0; i < EMO_ACTION_UNITS; i++)
        if (rules[i].au == number)
            return i;
    return -1;
}

static float clamp01(float v)
{
    return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; /* NaN -> 0 */
}

void emo_action_units(const float *scores, float *au)
{
    for (int i = 0; i < EMO_ACTION_UNITS; i++) {
        const AuRule *r = &rules[i];
        int k = 0;
        float v = 0.0f, lo = 1.0f, hi = 0.0f, sum = 0.0f;
        for (; k < 3 && r->shapes[k]; k++) {
            float s = clamp01(scores[r->shapes[k]]);
            lo = s < lo ? s : lo;
            hi = s > hi ? s : hi;
            sum += s;
        }
        switch (r->how) {
        case STRONGER: v = hi; break;
        case BOTH: v = lo; break;
        case MEAN: v = sum / (float)k; break;
        case EXCESS: v = clamp01(clamp01(scores[r->shapes[0]]) - clamp01(scores[r->shapes[1]])); break;
        }
        au[i] = v;
    }
}
