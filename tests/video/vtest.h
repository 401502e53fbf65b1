/* Helpers shared by the video tests (header-only: every test_*.c is its own program). */
#ifndef EMOSCOPE_TESTS_VTEST_H
#define EMOSCOPE_TESTS_VTEST_H

#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <emoscope/video.h>

/* Last messages logged, so that tests can check that errors name their cause. */
typedef struct VLog {
    char last_error[1024];
    int n_errors, n_warnings;
} VLog;

static void vlog_fn(void *ud, EmoLogLevel level, const char *msg)
{
    VLog *l = ud;
    if (level == EMO_LOG_ERROR) {
        snprintf(l->last_error, sizeof(l->last_error), "%s", msg);
        l->n_errors++;
    } else if (level == EMO_LOG_WARN) {
        l->n_warnings++;
    }
}

static inline EmoLogger vlog_logger(VLog *l)
{
    memset(l, 0, sizeof(*l));
    EmoLogger lg = { vlog_fn, l, EMO_LOG_INFO };
    return lg;
}

/* Frame time stamps as ffprobe prints them (-show_entries frame=pts_time):
 * lines like "0.040000" (the first may carry a trailing comma for side
 * data; blank lines separate side data). Returns the count, fails the test
 * when ffprobe fails. *out is malloc'ed. */
static inline int vtest_ffprobe_pts(const char *clip, double **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 '%s'", clip);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("cannot run ffprobe");
    int n = 0, cap = 1024;
    double *v = malloc(sizeof(double) * (size_t)cap);
    char line[256];
    while (fgets(line, sizeof(line), p)) {
        if (!((line[0] >= '0' && line[0] <= '9') || line[0] == '-'))
            continue;
        char *end = NULL;
        double x = strtod(line, &end);
        if (end == line)
            continue;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, sizeof(double) * (size_t)cap);
        }
        v[n++] = x;
    }
    int st = pclose(p);
    if (st != 0)
        fail_msg("ffprobe failed on %s (status %d): is ffmpeg installed?", clip, st);
    *out = v;
    return n;
}

/* One number from ffprobe, e.g. entry "stream=duration" or "stream=nb_read_frames" (with -count_frames). */
static inline double vtest_ffprobe_value(const char *clip, const char *entry, int count_frames)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "ffprobe -v error %s -select_streams v:0 -show_entries %s -of csv=p=0 '%s'",
             count_frames ? "-count_frames" : "", entry, clip);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("cannot run ffprobe");
    char line[256] = { 0 };
    char *got = fgets(line, sizeof(line), p);
    int st = pclose(p);
    if (!got || st != 0)
        fail_msg("ffprobe %s failed on %s", entry, clip);
    char *end = NULL;
    double x = strtod(line, &end);
    if (end == line)
        fail_msg("ffprobe %s on %s printed '%s'", entry, clip, line);
    return x;
}

static inline void vtest_sleep(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

static inline EmoVideoSource *vtest_open(const char *source, EmoPixFmt fmt, const EmoLogger *lg)
{
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = source;
    s.pix_fmt = fmt;
    s.log = lg;
    EmoVideoSource *src = NULL;
    int err = emo_video_open(&src, &s);
    if (err)
        fail_msg("cannot open %s: %s", source, emo_strerror(err));
    return src;
}

#endif
