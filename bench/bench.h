/* Benchmark stages of `emoscope bench`; each prints its figures. */
#ifndef EMOSCOPE_BENCH_H
#define EMOSCOPE_BENCH_H

#include "cli.h"

int emo_bench_decode(EmoCli *cli, int argc, char **argv);   /* bench/bench_decode.c (issue 2) */
int emo_bench_nn(EmoCli *cli, int argc, char **argv);       /* bench/bench_nn.c (issue 3) */
int emo_bench_face(EmoCli *cli, int argc, char **argv);     /* bench/bench_face.c (issue 4) */
int emo_bench_emotion(EmoCli *cli, int argc, char **argv);  /* bench/bench_emotion.c (issue 5) */
int emo_bench_motion(EmoCli *cli, int argc, char **argv);   /* bench/bench_motion.c (issue 6) */
int emo_bench_render(EmoCli *cli, int argc, char **argv);   /* bench/bench_render.c (issue 7) */
int emo_bench_pipeline(EmoCli *cli, int argc, char **argv); /* bench/bench_pipeline.c (issue 8) */
int emo_bench_actions(EmoCli *cli, int argc, char **argv);  /* bench/bench_actions.c (issue 16) */
int emo_bench_open(EmoCli *cli, int argc, char **argv);     /* bench/bench_open.c (issue 19) */

/* 1 when argv[*i] is the dispatcher's own --stage option, which the stages
 * skip: "--stage NAME" (*i is moved past NAME) or "--stage=NAME"
 * (tools/cmd_bench.c). */
int emo_bench_stage_arg(int argc, char **argv, int *i);

/* qsort comparator of doubles, ascending (tools/cmd_bench.c). */
int emo_bench_cmp_double(const void *a, const void *b);

/* CPU seconds of the whole process so far, all threads
 * (CLOCK_PROCESS_CPUTIME_ID; tools/cmd_bench.c). */
double emo_bench_cpu_seconds(void);

/* The 1-minute load average (/proc/loadavg), 0 when unknown (bench_pipeline.c). */
double emo_bench_load_average(void);

/* Makes the 1920x1080 60 fps, 600-frame H.264 benchmark clip at out from a
 * sample clip (bench/bench_decode.c); 0 or an EMO_E* code. */
int emo_bench_make_clip(EmoCli *cli, const char *sample, const char *out);

#endif
