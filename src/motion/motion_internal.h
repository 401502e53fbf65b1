/* Private helpers shared by the motion module's files. */
#ifndef EMOSCOPE_MOTION_INTERNAL_H
#define EMOSCOPE_MOTION_INTERNAL_H

#include <string.h>

#include <emoscope/motion.h>

/* Fixed box of region r in a size x size face, grown by pad: x0, y0, x1, y1 (inclusive). */
void emo__region_fixed_box(int r, int size, int pad, int box[4]);
/* Region index of a name, or -1. */
int emo__region_parse(const char *s);

#endif
