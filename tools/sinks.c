/* The sinks of `emoscope run` and `analyze`: encoder, result files, window. */
#define _POSIX_C_SOURCE 200809L
#include "sinks.h"

#include <stdio.h>

#include <emoscope/adapt.h>

int emo_sink_open_writer(EmoCli *cli, EmoVideoWriter **wr, const EmoVideoInfo *info, const char *path)
{
    EmoVideoWriterSettings ws;
    emo_video_writer_default_settings(&ws);
    emo_video_writer_settings_from_config(&ws, &cli->cfg.output);
    ws.path = path;
    ws.width = info->width;
    ws.height = info->height;
    ws.pix_fmt = info->pix_fmt;
    ws.fps = info->fps > 0 ? info->fps : 30;
    if (!info->live) {
        ws.time_base_num = info->time_base_num;
        ws.time_base_den = info->time_base_den;
    }
    ws.log = &cli->log;
    return emo_video_writer_open(wr, &ws);
}

/* ------------------------------------------------------------ encoder */

static int writer_frame(void *opaque, EmoFrame *f, double t_render, double cpu_render)
{
    EmoWriterSink *k = opaque;
    (void)t_render;
    (void)cpu_render;
    if (!k->wr || k->status)
        return 0;
    double te = emo_clock_now();
    k->status = emo_video_writer_write(k->wr, f);
    k->encode_s += emo_clock_now() - te;
    if (k->status)
        fprintf(stderr, "emoscope %s: writing the video failed: %s\n", k->name, emo_strerror(k->status));
    return k->status;
}

EmoLoopSink emo_writer_sink(EmoWriterSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_frame = writer_frame };
}

int64_t emo_writer_sink_close(EmoWriterSink *k)
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
    EmoResultsSink *k = opaque;
    if ((!k->frames && !k->events) || k->status)
        return 0;
    k->status = emo_pipeline_write_records(k->pipe, res, k->frames, k->events);
    if (k->status)
        fprintf(stderr, "emoscope %s: writing results failed (%s); stopping\n", k->name, emo_strerror(k->status));
    return k->status;
}

/* The events still open at the end of the stream. */
static void results_end(void *opaque, const EmoPipelineResult *res)
{
    EmoResultsSink *k = opaque;
    if (res && k->events && !k->status)
        k->status = emo_pipeline_write_records(k->pipe, res, NULL, k->events);
}

EmoLoopSink emo_results_sink(EmoResultsSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_result = results_frame, .on_end = results_end };
}

/* ------------------------------------------------------------ window */

/* `r` starts a recording into its own file while no video is written, and
 * stops it again. */
static void record(EmoViewerSink *k, int on)
{
    EmoCli *cli = k->cli;
    if (on && !k->recording) {
        snprintf(k->rec_path, sizeof(k->rec_path), "%s/recording-%d.mp4", k->out_dir, ++k->rec_count);
        EmoVideoWriter *rw = NULL;
        if (!k->recorder->wr && emo_sink_open_writer(cli, &rw, k->info, k->rec_path) == 0) {
            k->recorder->wr = rw;
            k->recording = 1;
            emo_log(&cli->log, EMO_LOG_INFO, "recording to %s", k->rec_path);
        }
    } else if (!on && k->recording) {
        emo_video_writer_close(&k->recorder->wr);
        k->recording = 0;
        emo_log(&cli->log, EMO_LOG_INFO, "recording saved: %s", k->rec_path);
    }
}

/* The micro-expression threshold moves by 0.25 per key, never below 0.25. */
static void nudge_threshold(EmoViewerSink *k, double step)
{
    if (!k->pipe)
        return;
    double thr = emo_pipeline_threshold(k->pipe) + step;
    emo_pipeline_set_threshold(k->pipe, thr < 0.25 ? 0.25 : thr);
    emo_log(&k->cli->log, EMO_LOG_INFO, "micro-expression threshold %.2f", emo_pipeline_threshold(k->pipe));
}

/* One key's action; 1 when it quits. */
static int viewer_action(EmoViewerSink *k, const EmoViewerAction *a)
{
    switch (a->type) {
    case EMO_VIEWER_QUIT: return 1;
    case EMO_VIEWER_PAUSE: k->paused = a->value; break;
    case EMO_VIEWER_THRESHOLD_UP: nudge_threshold(k, 0.25); break;
    case EMO_VIEWER_THRESHOLD_DOWN: nudge_threshold(k, -0.25); break;
    case EMO_VIEWER_SCREENSHOT:
        if (a->value == 0)
            emo_log(&k->cli->log, EMO_LOG_INFO, "screenshot %s", a->path);
        break;
    case EMO_VIEWER_RECORD: record(k, a->value); break;
    default: break;
    }
    return 0;
}

static int viewer_poll(void *opaque)
{
    EmoViewerSink *k = opaque;
    if (!k->viewer)
        return EMO_LOOP_GO;
    EmoViewerAction acts[16];
    int n = emo_viewer_poll(k->viewer, acts, 16), quit = 0;
    for (int i = 0; i < n; i++)
        quit |= viewer_action(k, &acts[i]);
    if (quit)
        return EMO_LOOP_QUIT;
    if (k->pipe) {
        EmoViewerState st;
        emo_viewer_get_state(k->viewer, &st);
        emo_pipeline_set_view(k->pipe, st.show_mesh, st.show_model_bars, st.show_graph, st.show_actions,
                              st.paused ? "PAUSED" : st.recording || k->recording ? "REC" : NULL);
        emo_pipeline_set_gaze_view(k->pipe, st.show_gaze);
    }
    if (!k->paused)
        return EMO_LOOP_GO;
    if (k->shown)
        emo_viewer_present(k->viewer, k->shown);
    return EMO_LOOP_PAUSE;
}

static int viewer_result(void *opaque, const EmoPipelineResult *res)
{
    EmoViewerSink *k = opaque;
    if (k->audio && res->n_faces > 0 && res->faces[0].emotion.dominant >= 0) {
        const EmoEmotionResult *er = &res->faces[0].emotion;
        emo_audio_update(k->audio, res->pts, er->dominant, er->smoothed[er->dominant]);
    }
    return 0;
}

static int viewer_frame(void *opaque, EmoFrame *f, double t_render, double cpu_render)
{
    EmoViewerSink *k = opaque;
    (void)t_render;
    (void)cpu_render;
    k->n++;
    if (!k->viewer)
        return 0;
    if (k->pace) {
        double wall = emo_clock_now();
        if (k->n == 1) {
            k->pace_wall0 = wall;
            k->pace_pts0 = f->pts;
        }
        emo_loop_sleep((f->pts - k->pace_pts0) - (wall - k->pace_wall0));
    }
    emo_viewer_present(k->viewer, f);
    emo_frame_unref(&k->shown);
    k->shown = emo_frame_ref(f);
    return 0;
}

static void viewer_end(void *opaque, const EmoPipelineResult *res)
{
    EmoViewerSink *k = opaque;
    (void)res;
    emo_frame_unref(&k->shown);
}

EmoLoopSink emo_viewer_sink(EmoViewerSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_poll = viewer_poll, .on_result = viewer_result,
                          .on_frame = viewer_frame, .on_end = viewer_end };
}
