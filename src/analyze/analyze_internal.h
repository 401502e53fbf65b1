/* Inside the analysis of one file (analyze.c) and its file sinks (sinks.c). */
#ifndef EMOSCOPE_SRC_ANALYZE_INTERNAL_H
#define EMOSCOPE_SRC_ANALYZE_INTERNAL_H

#include <emoscope/analyze.h>
#include <emoscope/io.h>

/* The state of one emo_analyze_file() call (analyze.c). */
typedef struct EmoAnalysis EmoAnalysis;

/* Logs an error of the run and keeps the first one for the report. */
void emo__analyze_error(EmoAnalysis *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Drawn frames into the encoder of annotated.mp4. */
typedef struct EmoAnalyzeWriterSink {
    EmoAnalysis *a;
    EmoVideoWriter *wr;        /* NULL: frames pass by */
    double encode_s;           /* seconds spent encoding, closing included */
    int status;                /* the first write error */
} EmoAnalyzeWriterSink;

/* Records of each analysed frame and the events into result files. */
typedef struct EmoAnalyzeResultsSink {
    EmoAnalysis *a;
    EmoPipeline *pipe;
    EmoResultsWriter *frames, *events; /* either may be NULL */
    int status;                /* the first write error; later records are not written */
} EmoAnalyzeResultsSink;

EmoLoopSink emo__writer_sink(EmoAnalyzeWriterSink *k);
EmoLoopSink emo__results_sink(EmoAnalyzeResultsSink *k);

/* Closes the encoder (its time counted); returns the frames it wrote. */
int64_t emo__writer_sink_close(EmoAnalyzeWriterSink *k);

#endif
