/* Facial regions on the MediaPipe 468-point face mesh, direction classes.
 * Index sets were checked against ../shared/models/canonical_face_model.obj
 * (vertex i is landmark i; x grows towards the image's right, i.e. the
 * subject's left): see docs/motion.md for the table and boxes. */
#include <math.h>

#include "motion_internal.h"

static const int brow_l[] = { 336, 296, 334, 293, 300, 285, 295, 282, 283, 276 };
static const int brow_r[] = { 107, 66, 105, 63, 70, 55, 65, 52, 53, 46 };
static const int eye_l[] = { 362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398 };
static const int eye_r[] = { 133, 155, 154, 153, 145, 144, 163, 7, 33, 246, 161, 160, 159, 158, 157, 173 };
static const int nose[] = { 1, 4, 5, 45, 275, 44, 274, 48, 278, 98, 327, 2, 94, 19 };
static const int corner_l[] = { 291, 308, 409, 375, 306 };
static const int corner_r[] = { 61, 78, 185, 146, 76 };
static const int lip_up[] = { 0, 37, 267, 39, 269, 40, 270, 13, 82, 312, 81, 311 };
static const int lip_lo[] = { 17, 84, 314, 181, 405, 14, 87, 317, 178, 402 };
static const int cheek_l[] = { 425, 280, 330, 266, 411 };
static const int cheek_r[] = { 205, 50, 101, 36, 187 };
static const int chin[] = { 152, 148, 377, 176, 400, 199, 175 };
/* Nose bridge, forehead, temples and the face outline down to the jaw
 * angles: skin that moves with the skull rather than with expressions; the
 * lower outline keeps the fit from extrapolating to the mouth and chin. */
static const int stable[] = { 168, 6, 197, 195, 10, 151, 9, 108, 337, 109, 338, 67, 297, 54, 284,
                              21, 251, 127, 356, 162, 389, 234, 454, 93, 323, 132, 361, 58, 288 };

/* Face oval, in order around the face (MediaPipe's face-oval contour). */
static const int oval[] = { 10,  338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
                            152, 148, 176, 149, 150, 136, 172, 58,  132, 93,  234, 127, 162, 21,  54,  103, 67,  109 };

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

/* The region table: one row per region, one column per property, so that
 * no rule depends on the order of the EmoRegion enum (each row is placed by
 * its enum value). The anatomy columns are explained in docs/motion.md
 * ("Regions"); the column meanings are in motion_internal.h. */
#define PARTNER_RATIO 0.5f /* an eye or the chin: a partner at least half as large shares the movement */
#define JAW_RATIO 0.8f     /* the lower lip: the chin follows a jaw movement by this much at least */
#define NO (-1)
static const EmoRegionInfo regions[EMO_REGION_COUNT] = {
    /* name, landmarks, count, box { x0, y0, x1, y1 }, upper_face, mouth, fit_exclude, own_fit,
     *     partner, partner_ratio, drags, vote, speech, lid, part */
    [EMO_REGION_LEFT_BROW] = { "left_brow", brow_l, N(brow_l), { 0.562f, 0.211f, 0.791f, 0.273f }, 1, 0, 1, 1,
        NO, 0, EMO_REGION_LEFT_EYE, EMO_REGION_LEFT_BROW, 0, 1 , EMO_PART_UPPER },
    [EMO_REGION_RIGHT_BROW] = { "right_brow", brow_r, N(brow_r), { 0.209f, 0.211f, 0.438f, 0.273f }, 1, 0, 1, 1,
        NO, 0, EMO_REGION_RIGHT_EYE, EMO_REGION_RIGHT_BROW, 0, 1 , EMO_PART_UPPER },
    [EMO_REGION_LEFT_EYE] = { "left_eye", eye_l, N(eye_l), { 0.595f, 0.320f, 0.727f, 0.354f }, 1, 0, 0, 1,
        EMO_REGION_RIGHT_EYE, PARTNER_RATIO, NO, EMO_REGION_LEFT_EYE, 0, 1 , EMO_PART_UPPER },
    /* Both eyes cast one head vote: a blink or a gaze shift moves them together. */
    [EMO_REGION_RIGHT_EYE] = { "right_eye", eye_r, N(eye_r), { 0.273f, 0.320f, 0.405f, 0.354f }, 1, 0, 0, 1,
        EMO_REGION_LEFT_EYE, PARTNER_RATIO, NO, EMO_REGION_LEFT_EYE, 0, 1 , EMO_PART_UPPER },
    [EMO_REGION_NOSE] = { "nose", nose, N(nose), { 0.418f, 0.452f, 0.582f, 0.577f }, 1, 0, 0, 0,
        NO, 0, NO, EMO_REGION_NOSE, 0, 0 , EMO_PART_MIDDLE },
    [EMO_REGION_LEFT_MOUTH_CORNER] = { "left_mouth_corner", corner_l, N(corner_l), { 0.610f, 0.677f, 0.625f, 0.705f }, 0, 1, 1, 1,
        NO, 0, NO, EMO_REGION_LEFT_MOUTH_CORNER, 1, 0 , EMO_PART_MOUTH },
    [EMO_REGION_RIGHT_MOUTH_CORNER] = { "right_mouth_corner", corner_r, N(corner_r), { 0.375f, 0.677f, 0.390f, 0.705f }, 0, 1, 1, 1,
        NO, 0, NO, EMO_REGION_RIGHT_MOUTH_CORNER, 1, 0 , EMO_PART_MOUTH },
    [EMO_REGION_UPPER_LIP] = { "upper_lip", lip_up, N(lip_up), { 0.402f, 0.641f, 0.598f, 0.674f }, 0, 1, 1, 1,
        NO, 0, NO, EMO_REGION_UPPER_LIP, 1, 0 , EMO_PART_MOUTH },
    [EMO_REGION_LOWER_LIP] = { "lower_lip", lip_lo, N(lip_lo), { 0.432f, 0.698f, 0.568f, 0.744f }, 0, 1, 1, 1,
        EMO_REGION_CHIN, JAW_RATIO, NO, EMO_REGION_LOWER_LIP, 1, 0 , EMO_PART_MOUTH },
    [EMO_REGION_LEFT_CHEEK] = { "left_cheek", cheek_l, N(cheek_l), { 0.645f, 0.466f, 0.769f, 0.585f }, 0, 0, 0, 0,
        NO, 0, NO, EMO_REGION_LEFT_CHEEK, 0, 0 , EMO_PART_MIDDLE },
    [EMO_REGION_RIGHT_CHEEK] = { "right_cheek", cheek_r, N(cheek_r), { 0.231f, 0.466f, 0.355f, 0.585f }, 0, 0, 0, 0,
        NO, 0, NO, EMO_REGION_RIGHT_CHEEK, 0, 0 , EMO_PART_MIDDLE },
    [EMO_REGION_CHIN] = { "chin", chin, N(chin), { 0.382f, 0.876f, 0.618f, 0.950f }, 0, 0, 0, 1,
        EMO_REGION_LOWER_LIP, PARTNER_RATIO, NO, EMO_REGION_CHIN, 1, 0 , EMO_PART_MOUTH },
};
#undef NO

const EmoRegionInfo *emo__region_info(int r)
{
    return r >= 0 && r < EMO_REGION_COUNT ? &regions[r] : NULL;
}

static const char *const dir_names[EMO_DIR_COUNT] = {
    "Up Movement",   "Up-Right Movement",  "Right Movement", "Down-Right Movement",
    "Down Movement", "Down-Left Movement", "Left Movement",  "Up-Left Movement",
};

const char *emo_region_name(int r)
{
    return r >= 0 && r < EMO_REGION_COUNT ? regions[r].name : "?";
}

int emo__region_parse(const char *s)
{
    for (int r = 0; r < EMO_REGION_COUNT; r++)
        if (s && !strcmp(s, regions[r].name))
            return r;
    return -1;
}

const char *emo_direction_name(int d)
{
    return d >= 0 && d < EMO_DIR_COUNT ? dir_names[d] : "None";
}

EmoDirection emo_direction_classify(double dx, double dy)
{
    if (!(dx != 0 || dy != 0) || !isfinite(dx) || !isfinite(dy))
        return EMO_DIR_NONE;
    /* Counter-clockwise sectors of 45 degrees from the image's right, with
     * up = -y; sector 0 is Right, 2 is Up. */
    double a = atan2(-dy, dx) * (180.0 / 3.14159265358979323846);
    int sector = (int)lround(a / 45.0);
    sector = ((sector % 8) + 8) % 8;
    return (EmoDirection)(((2 - sector) % 8 + 8) % 8);
}

const int *emo_region_landmarks(int r, int *n)
{
    if (r < 0 || r >= EMO_REGION_COUNT) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = regions[r].n;
    return regions[r].idx;
}

const int *emo_motion_stable_landmarks(int *n)
{
    if (n)
        *n = N(stable);
    return stable;
}

void emo__region_fixed_box(int r, int size, int pad, int box[4])
{
    for (int i = 0; i < 4; i++)
        box[i] = (int)lroundf(regions[r].box[i] * (float)size) + (i < 2 ? -pad : pad);
}

const int *emo_motion_face_oval(int *n)
{
    if (n)
        *n = N(oval);
    return oval;
}
