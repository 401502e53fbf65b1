/* Event spotters: one small interface, chosen at open by motion.spotter.
 * Each spotter keeps its own per-region state (its ops say how large) and
 * builds its events through the one emitter, emo__event_emit(). See
 * docs/motion.md, "Spotting". */
#ifndef EMOSCOPE_MOTION_SPOT_H
#define EMOSCOPE_MOTION_SPOT_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/motion.h>

#include "cues.h"

#define EMO_SPOT_HIST 256 /* samples of history a spotter keeps per region (ring buffers) */

/* What a spotter reads of its handle: the settings (live: the threshold
 * can change between pushes), the unit and the last frame interval. */
typedef struct EmoSpotCtx {
    const EmoMotionSettings *s;
    double unit;    /* threshold units per px of this face */
    double dt;      /* last frame interval, s (an event lasts offset - onset + dt) */
    const EmoCues *cues; /* eye and mouth openings, blinks, speaking (samples as the spotter's) */
} EmoSpotCtx;

/* The events that ended on one push or flush: at most one per region and
 * one blink. */
#define EMO_EVENT_LIST_MAX (EMO_REGION_COUNT + 1)
typedef struct EmoEventList {
    EmoMotionEvent ev[EMO_EVENT_LIST_MAX];
    int n;
} EmoEventList;

/* One push, every region. */
typedef struct EmoSpotInput {
    int64_t frame;
    double pts;
    double frame_dt;                  /* seconds since the previous push */
    const EmoRegionMotion *region;    /* displacement from rest and its magnitude, per region */
    const float *qx, *qy;             /* per region: its flow this push (own skin where the spotter
                                         asks for it and there are landmarks, else the box mean), px */
} EmoSpotInput;

typedef struct EmoSpotterOps {
    const char *name;       /* value of motion.spotter */
    size_t state_size;      /* bytes of state; zeroed before each reset */
    int own_skin;           /* wants qx, qy from the region's landmarks with its own head fit */
    void (*reset)(void *st); /* sets what is not zero in a fresh state */
    /* Whether region r is in an event begun no more than hold s before pts:
     * its rest position then follows more slowly. NULL: never. */
    int (*holding)(const void *st, int r, double pts, double hold);
    void (*push)(void *st, const EmoSpotCtx *c, const EmoSpotInput *in, EmoEventList *out);
    /* Ends the open events. */
    void (*flush)(void *st, const EmoSpotCtx *c, EmoEventList *out);
} EmoSpotterOps;

extern const EmoSpotterOps emo__spot_rest;
extern const EmoSpotterOps emo__spot_transient;

/* Half window k of the band-pass (and of the blink level), samples: window
 * over the frame interval (DEFAULT_DT until one is known), 1..EMO_SPOT_HIST/4. */
int emo__spot_half_window(const EmoMotionSettings *s, double frame_dt);

/* The spotter called name, or NULL. */
const EmoSpotterOps *emo__spotter_find(const char *name);

/* Where an event lies: frame indices and their times. */
typedef struct EmoEventSpan {
    int64_t onset, apex, offset;
    double onset_pts, apex_pts, offset_pts;
} EmoEventSpan;

/* The one place an event is built: appends region r's event of the given
 * type over span with its peak displacement (px) to out, with its duration
 * (offset - onset + dt), direction, magnitude and, for an expression, its
 * class (macro longer than max_duration; micro from micro_min when `calm`,
 * the region having been calm before it; twitch otherwise), unless it is
 * shorter than min_duration. Returns it, or NULL when too short. */
const EmoMotionEvent *emo__event_emit(EmoEventList *out, const EmoSpotCtx *c, int r, const EmoEventSpan *span,
                                      float peak_dx, float peak_dy, EmoEventType type, int calm);

#endif
