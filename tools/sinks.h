/* The window of `emoscope run` as a sink of the frame loop (analyze.h):
 * frames shown, the keys, the sound cues, recordings on `r`. The result
 * files and the annotated video are the library's own sinks. */
#ifndef EMOSCOPE_TOOLS_SINKS_H
#define EMOSCOPE_TOOLS_SINKS_H

#include <emoscope/analyze.h>
#include "viewer.h"

#include "cli.h"

/* The window: frames shown (at their time stamps when paced), the keys, the
 * sound cues of the dominant emotion. */
typedef struct EmoViewerSink {
    EmoCli *cli;
    const char *out_dir;       /* recordings go here */
    int want_pace;             /* file frames shown at their time stamps (live ones never) */
    const EmoVideoInfo *info;  /* from on_start */
    EmoPipeline *pipe;         /* NULL: the keys that adjust the analysis do nothing */
    EmoViewer *viewer;         /* NULL: headless (the sound cues may still play) */
    EmoAudio *audio;
    EmoVideoWriter *recorder;  /* the recording `r` started, or NULL */
    int pace;
    int64_t n;
    double pace_wall0, pace_pts0;
    int paused, rec_count;
    char rec_path[EMO_PATH_MAX + 64];
    EmoFrame *shown;           /* last frame shown, kept while paused */
} EmoViewerSink;

/* The window and the sound cues open when the run starts (on_start); a run
 * goes on without either. emo_viewer_sink_close() releases them. */
EmoLoopSink emo_viewer_sink(EmoViewerSink *k);
void emo_viewer_sink_close(EmoViewerSink *k);

#endif
