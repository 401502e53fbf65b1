/* The sinks of a file's analysis (analyze.c): encoder and result files. */
#define _POSIX_C_SOURCE 200809L
#include "analyze_internal.h"

#include <emoscope/adapt.h>

int emo_analyze_open_writer(EmoVideoWriter **wr, const EmoConfig *cfg, const EmoVideoInfo *info, const char *path,
                            const EmoLogger *lg)
{
    EmoVideoWriterSettings ws;
    emo_video_writer_default_settings(&ws);
    emo_video_writer_settings_from_config(&ws, &cfg->output);
    ws.path = path;
    ws.width = info->width;
    ws.height = info->height;
    ws.pix_fmt = info->pix_fmt;
    ws.fps = info->fps > 0 ? info->fps : 30;
    if (!info->live) {
        ws.time_base_num = info->time_base_num;
        ws.time_base_den = info->time_base_den;
    }
    ws.log = lg;
    return emo_video_writer_open(wr, &ws);
}

/* ------------------------------------------------------------ encoder */

static int writer_frame(void *opaque, EmoFrame *f, double t_render, double cpu_render)
{
    EmoAnalyzeWriterSink *k = opaque;
    (void)t_render;
    (void)cpu_render;
    if (!k->wr || k->status)
        return 0;
    double te = emo_clock_now();
    k->status = emo_video_writer_write(k->wr, f);
    k->encode_s += emo_clock_now() - te;
    if (k->status)
        emo__analyze_error(k->a, "writing the video failed: %s", emo_strerror(k->status));
    return k->status;
}

EmoLoopSink emo__writer_sink(EmoAnalyzeWriterSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_frame = writer_frame };
}

int64_t emo__writer_sink_close(EmoAnalyzeWriterSink *k)
{
    if (!k->wr)
        return 0;
    int64_t n = emo_video_writer_frames(k->wr);
    double te = emo_clock_now();
    int err = emo_video_writer_close(&k->wr);
    k->encode_s += emo_clock_now() - te;
    if (!k->status)
        k->status = err;
    return n;
}

/* ------------------------------------------------------------ result files */

static int results_frame(void *opaque, const EmoPipelineResult *res)
{
    EmoAnalyzeResultsSink *k = opaque;
    if ((!k->frames && !k->events) || k->status)
        return 0;
    k->status = emo_pipeline_write_records(k->pipe, res, k->frames, k->events);
    if (k->status)
        emo__analyze_error(k->a, "writing results failed (%s); stopping", emo_strerror(k->status));
    return k->status;
}

/* The events still open at the end of the stream. */
static void results_end(void *opaque, const EmoPipelineResult *res)
{
    EmoAnalyzeResultsSink *k = opaque;
    if (res && k->events && !k->status)
        k->status = emo_pipeline_write_records(k->pipe, res, NULL, k->events);
}

EmoLoopSink emo__results_sink(EmoAnalyzeResultsSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_result = results_frame, .on_end = results_end };
}

