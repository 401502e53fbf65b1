/* Face cues that type the events (docs/motion.md, "Event types"): the eye
 * opening, whose dips are blinks, and the mouth opening, whose travel over
 * speech_window says whether the face is talking. Both come from the
 * landmarks (lid and lip gaps); without landmarks the mouth opening is
 * integrated from the lips' flow and blinks are left to the flow rule of
 * the transient spotter. One sample per push with a flow, the spotters'
 * sample count. Private to src/motion. */
#ifndef EMOSCOPE_MOTION_CUES_H
#define EMOSCOPE_MOTION_CUES_H

#include <stdint.h>

#include <emoscope/motion.h>

#define EMO_CUE_HIST 256 /* samples kept (as EMO_SPOT_HIST) */

typedef struct EmoCues {
    int64_t n;                       /* samples pushed */
    int k;                           /* half window of the blink level, samples (0 until known) */
    float eye[EMO_CUE_HIST];         /* eye opening per sample (both eyes' mean), -1 unknown */
    float eye_r[EMO_CUE_HIST], eye_l[EMO_CUE_HIST]; /* each eye's */
    float eye_w[EMO_CUE_HIST];       /* eye width, px */
    float mouth[EMO_CUE_HIST];       /* mouth opening per sample */
    float rel[EMO_CUE_HIST];         /* eye opening / its level around (1 where not a dip or unknown) */
    uint8_t speaking[EMO_CUE_HIST];
    int64_t frame[EMO_CUE_HIST];     /* frame index and time of each sample */
    double pts[EMO_CUE_HIST];
    /* The blink being followed (landmarks). */
    int in_blink;
    int64_t b_onset, b_apex;
    float b_min;
    int64_t last_blink_end;          /* sample of the last blink's offset */
} EmoCues;

/* What one push tells the cues. */
typedef struct EmoCueInput {
    const float *lm;                 /* 468 (x, y) or NULL */
    int size;                        /* face side, px */
    float lip_flow;                  /* without landmarks: lower lip minus upper lip vertical flow, px */
    double frame_dt;                 /* s since the previous push */
    int64_t frame;                   /* the push's frame index and time */
    double pts;
} EmoCueInput;

/* A blink that ended on a push: samples and lid travel. */
typedef struct EmoBlink {
    int64_t onset, apex, offset;     /* samples */
    int region;                      /* the eye that closed more */
    float gap_px;                    /* lid gap lost at the apex, px of the face */
} EmoBlink;

void emo__cues_reset(EmoCues *c);
/* Adds a sample; k: the spotters' half window (samples), for the blink
 * level. Returns 1 and fills *b when a blink ended (evaluated k samples
 * late), else 0. */
int emo__cues_push(EmoCues *c, const EmoMotionSettings *s, const EmoCueInput *in, int k, EmoBlink *b);
/* Ends a blink still open (end of the track): 1 and *b, else 0. */
int emo__cues_flush(EmoCues *c, EmoBlink *b);
/* Speaking flag of the newest sample. */
int emo__cues_speaking(const EmoCues *c);
/* Lowest relative eye opening over samples [s0, s1] evaluated so far (1 when
 * none dipped or without landmarks). */
float emo__cues_min_rel(const EmoCues *c, int64_t s0, int64_t s1);
/* Frame index and time of sample s (within the last EMO_CUE_HIST). */
int64_t emo__cues_frame(const EmoCues *c, int64_t s);
double emo__cues_pts(const EmoCues *c, int64_t s);
/* Newest eye and mouth openings (-1 without landmarks). */
float emo__cues_eye(const EmoCues *c);
float emo__cues_mouth(const EmoCues *c);

#endif
