/* The main job of `emoscope run` and `emoscope analyze`: a source analysed
 * frame by frame, the overlay drawn, results, video, summary and chart
 * written (the library's emo_analyze_file, analyze.h), optionally shown in
 * the viewer window with sound cues (sinks.h). */
#ifndef EMOSCOPE_TOOLS_JOB_H
#define EMOSCOPE_TOOLS_JOB_H

#include <stdint.h>

#include "cli.h"

typedef struct EmoJob {
    const char *name;          /* command name for messages */
    const char *source;
    const char *out_dir;       /* created when missing */
    int analyze;               /* 0: pass-through (decode and encode only) */
    int write_video;           /* annotated.mp4 */
    int write_results;         /* results.jsonl/.csv, events.jsonl/.csv, summary.json */
    int write_chart;           /* timeline.png/.svg */
    int viewer;                /* show the window (and play sound cues) */
    int pace;                  /* present file frames at their time stamps */
} EmoJob;

typedef struct EmoJobReport {
    int64_t frames;            /* frames read and analysed */
    int64_t written;           /* frames encoded */
    int64_t records, events;
    int64_t dropped;
    double first_pts, last_pts;
    double wall_s;
} EmoJobReport;

/* Runs the job; returns an exit status (cli.h) and prints what it wrote. */
int emo_job_run(EmoCli *cli, const EmoJob *job, EmoJobReport *rep);

/* Fixes glibc's mmap threshold at 128 KiB (process-wide; programs only).
 * The demuxer allocates every compressed frame (up to a few hundred kB at
 * 1080p) and frees it a frame later; with glibc's default, self-raising
 * threshold those blocks move into the heap, whose fragments made RSS wander
 * by +-4 MB over a long run. With a fixed threshold they are mapped and
 * returned: RSS stays flat (bench --frames 20000). */
void emo_job_tune_malloc(void);

/* An argument of `run` or `analyze` that none of its options took: an
 * unknown option is refused (with the command's usage), else it is the one
 * source (what names it in the message: "source", "input"). 0, or
 * EMO_EXIT_USAGE with the message printed. */
int emo_job_source_arg(EmoJob *job, const char *command, const char *what, const char *arg);

#endif
