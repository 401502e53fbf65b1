/* Private helpers shared by the motion module's files. */
#ifndef EMOSCOPE_MOTION_INTERNAL_H
#define EMOSCOPE_MOTION_INTERNAL_H

#include <string.h>

#include <emoscope/motion.h>

/* Parts of the face whose regions move together: the brows and eyes (a
 * brow drags its lid; both brows raise or lower together), the nose and
 * cheeks, the lips, corners and chin. */
typedef enum EmoFacePart { EMO_PART_UPPER, EMO_PART_MIDDLE, EMO_PART_MOUTH } EmoFacePart;

/* One row of the region table (regions.c): a column per property. */
typedef struct EmoRegionInfo {
    const char *name;
    const int *idx;     /* landmarks (MediaPipe 468-point mesh) */
    int n;
    /* Box of the landmarks in a face made by projecting the canonical model
     * (x, -y, bounding box centred, larger side 0.9 of the face), as
     * fractions of the face side: x0, y0, x1, y1. Used without landmarks. */
    float box[4];
    int upper_face;     /* brows, eyes, nose: the jaw and the lips do not move it */
    int mouth;          /* lips and corners: they drag one another along */
    int fit_exclude;    /* its skin (within motion.fit_exclude x the side) is left out of the head-motion fit */
    int own_fit;        /* gets a head-motion fit without its own zone (motion.region_fit) */
    int partner;        /* region whose shared movement makes an event not its own, or -1 */
    float partner_ratio; /* partner movement / own movement from which the partner shares it */
    int drags;          /* region it drags along (a brow the eye under it), which does not vote for it; -1 */
    int vote;           /* head vote it casts when sharing another region's movement (same vote, one count) */
    int speech;         /* moves when the face talks (lips, mouth corners, chin): its events while speaking are speech */
    int lid;            /* moves with the eyelids (eyes, brows): its events during a blink join the blink */
    int part;           /* part of the face (EmoFacePart): a movement shared within a part is one event */
} EmoRegionInfo;

/* Row r of the region table; NULL out of range. */
const EmoRegionInfo *emo__region_info(int r);
/* Fixed box of region r in a size x size face, grown by pad: x0, y0, x1, y1 (inclusive). */
void emo__region_fixed_box(int r, int size, int pad, int box[4]);
/* Region index of a name, or -1. */
int emo__region_parse(const char *s);

#endif
