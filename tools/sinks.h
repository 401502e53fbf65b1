/* The sinks of `emoscope run` and `analyze` (loop.h): the encoder of the
 * annotated video, the result files, and the window with its keys and
 * sound cues. Each is a struct the job owns and an EmoLoopSink over it. */
#ifndef EMOSCOPE_TOOLS_SINKS_H
#define EMOSCOPE_TOOLS_SINKS_H

#include <emoscope/io.h>
#include <emoscope/pipeline.h>
#include <emoscope/video.h>
#include "viewer.h"

#include "cli.h"
#include "loop.h"

/* Drawn frames into an encoder (the annotated video, or a recording the
 * window's `r` key starts while no video is written). */
typedef struct EmoWriterSink {
    const char *name;          /* command name for messages */
    EmoVideoWriter *wr;        /* NULL: frames pass by */
    double encode_s;           /* seconds spent encoding, closing included */
    int status;                /* the first write error */
} EmoWriterSink;

/* Records of each analysed frame and the events into result files. */
typedef struct EmoResultsSink {
    const char *name;
    EmoPipeline *pipe;
    EmoResultsWriter *frames, *events; /* either may be NULL */
    int status;                /* the first write error; later records are not written */
} EmoResultsSink;

/* The window: frames shown (at their time stamps when paced), the keys, the
 * sound cues of the dominant emotion. */
typedef struct EmoViewerSink {
    EmoCli *cli;
    const char *out_dir;       /* recordings go here */
    const EmoVideoInfo *info;
    EmoPipeline *pipe;         /* NULL: the keys that adjust the analysis do nothing */
    EmoViewer *viewer;         /* NULL: headless (the sound cues may still play) */
    EmoAudio *audio;
    EmoWriterSink *recorder;   /* where `r` opens its recording */
    int pace;                  /* file frames shown at their time stamps */
    int64_t n;
    double pace_wall0, pace_pts0;
    int paused, recording, rec_count;
    char rec_path[EMO_PATH_MAX + 64];
    EmoFrame *shown;           /* last frame shown, kept while paused */
} EmoViewerSink;

EmoLoopSink emo_writer_sink(EmoWriterSink *k);
EmoLoopSink emo_results_sink(EmoResultsSink *k);
EmoLoopSink emo_viewer_sink(EmoViewerSink *k);

/* Opens an encoder for frames of info at path, with the [output] settings. */
int emo_sink_open_writer(EmoCli *cli, EmoVideoWriter **wr, const EmoVideoInfo *info, const char *path);

/* Closes the encoder (its time counted); returns the frames it wrote. */
int64_t emo_writer_sink_close(EmoWriterSink *k);

#endif
