/* The result records: every JSON/CSV schema emoscope writes (per-frame face
 * records, events, the run summary) is built here and nowhere else, so that
 * an event has the same fields wherever it appears. Field lists: README
 * "Outputs". The records are cJSON objects; EmoResultsWriter (results.c)
 * turns them into JSONL lines and CSV rows, so the two files cannot drift.
 * Private to the library. */
#ifndef EMOSCOPE_IO_RECORDS_H
#define EMOSCOPE_IO_RECORDS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include <emoscope/emotion.h>
#include <emoscope/motion.h>
#include <emoscope/pipeline.h>

/* What a frame record holds beyond the always-present fields. */
typedef struct EmoRecordOptions {
    int landmarks;   /* the face's 468 or 478 landmarks (output.landmarks) */
    int motion;      /* the "motion" object (motion.enabled) */
} EmoRecordOptions;

/* One face of one analysed frame; NULL on allocation failure. */
cJSON *emo__record_frame(const EmoPipelineResult *res, const EmoPipelineFace *pf, const EmoRecordOptions *opt);

/* The "motion" object of a frame record. */
cJSON *emo__record_motion(const EmoMotionFrame *m);

/* One event: the one event schema (type, region, direction, onset_frame, ...).
 * face_id < 0 leaves the face out (summary.json lists events under their face). */
cJSON *emo__record_event(const EmoMotionEvent *e, int face_id);
/* Adds "actions" to an event record: the action units that rose and fell
 * with it, strongest first, as "AU6+AU12" ("" for none). NULL rec: nothing. */
void emo__record_event_actions(cJSON *rec, const EmoPipelineEvent *pe);

/* What to call an event on the timeline and the overlay: "micro-expression",
 * "macro-expression" or "expression" (a twitch) for expression events, the
 * type's name ("blink", "speech", "head") for the others. */
const char *emo__record_event_label(const EmoMotionEvent *e);

/* The part of one face's whole-run history that summary.json reports. */
typedef struct EmoRecordFaceSummary {
    int id;
    int64_t frames;
    double first_t, last_t;
    const double *dominant_time;        /* EMO_EMOTION_COUNT seconds */
    const EmoPipelineEvent *events;
    int n_events;
    double speaking_time;               /* s with the speaking flag on */
    int64_t low_confidence_frames;      /* frames it was marked low-confidence (a small face) */
    double mean_size_px;                /* mean of its size_px */
} EmoRecordFaceSummary;

/* The summary.json document. */
cJSON *emo__record_summary(const char *source, int64_t frames_analysed, const EmoRecordFaceSummary *faces,
                           int n_faces);

/* Writes doc, formatted, to path through a temporary file renamed into
 * place, so a reader never sees half a document. */
int emo__record_write_file(const char *path, const cJSON *doc, const EmoLogger *log);

#endif
