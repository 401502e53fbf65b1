/* The whole run's history of one face id in the pipeline: frames, the
 * smoothed probabilities (bounded, decimated), dominant-emotion time and
 * events, for the summary and the chart. Private to src/pipeline. */
#ifndef EMOSCOPE_PIPELINE_TRACK_H
#define EMOSCOPE_PIPELINE_TRACK_H

#include <stdint.h>

#include <emoscope/emotion.h>
#include <emoscope/pipeline.h>

/* The history keeps at most this many samples: past it, every other
 * sample is dropped and the rate halves. */
#define EMO_TRACK_MAX_SAMPLES 65536

typedef struct Track {
    int id;
    int64_t frames;
    double first_t, last_t, prev_t;
    double dominant_time[EMO_EMOTION_COUNT];
    int last_dominant;      /* dominant emotion of the previous frame, -1 none */
    double speaking_time;   /* s with the motion's speaking flag on (each frame until the next) */
    int last_speaking;      /* the previous frame's flag */
    int64_t low_confidence_frames; /* frames marked EMO_FACE_LOW_CONFIDENCE (a small face) */
    double size_sum;        /* sum of size_px over the frames */
    double *t;
    float *p;               /* n x 7 smoothed probabilities */
    int n, cap;
    int64_t offered;        /* samples offered to the history */
    int stride;             /* one sample in `stride` is kept (a power of 2) */
    EmoPipelineEvent *events;
    int n_events, cap_events;
} Track;

/* An empty track of face `id`. */
void emo__track_init(Track *t, int id);
/* Frees what the track holds (NULL-safe contents); the struct itself is the caller's. */
void emo__track_free(Track *t);
/* Offers the smoothed probabilities of one frame (EMO_EMOTION_COUNT floats)
 * at time pts; kept when the track's current stride says so. 0 or EMO_ENOMEM. */
int emo__track_add_sample(Track *t, double pts, const float *probs);
/* Appends an event. 0 or EMO_ENOMEM. */
int emo__track_add_event(Track *t, const EmoPipelineEvent *e);

#endif
