/* The window of `emoscope run` (sinks.h). */
#define _POSIX_C_SOURCE 200809L
#include "sinks.h"

#include <stdio.h>

#include <emoscope/adapt.h>

/* ------------------------------------------------------------ window */

/* `r` starts a recording into its own file (the window never runs with
 * the annotated video written), and stops it again. */
static void record(EmoViewerSink *k, int on)
{
    EmoCli *cli = k->cli;
    if (on && !k->recorder) {
        snprintf(k->rec_path, sizeof(k->rec_path), "%s/recording-%d.mp4", k->out_dir, ++k->rec_count);
        if (emo_analyze_open_writer(&k->recorder, &cli->cfg, k->info, k->rec_path, &cli->log) == 0)
            emo_log(&cli->log, EMO_LOG_INFO, "recording to %s", k->rec_path);
    } else if (!on && k->recorder) {
        emo_video_writer_close(&k->recorder);
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
                              st.paused ? "PAUSED" : st.recording || k->recorder ? "REC" : NULL);
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
    if (k->recorder) {
        int err = emo_video_writer_write(k->recorder, f);
        if (err) {
            emo_log(&k->cli->log, EMO_LOG_ERROR, "writing the recording failed: %s", emo_strerror(err));
            emo_video_writer_close(&k->recorder);
        }
    }
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
    record(k, 0);
}

/* The window and the sound cues, once the source is open. */
static void viewer_start(void *opaque, EmoPipeline *pipe, const EmoVideoInfo *info)
{
    EmoViewerSink *k = opaque;
    EmoCli *cli = k->cli;
    k->pipe = pipe;
    k->info = info;
    k->pace = k->want_pace && !info->live;
    EmoViewerSettings vws;
    emo_viewer_default_settings(&vws);
    emo_viewer_settings_from_config(&vws, &cli->cfg);
    snprintf(vws.output_dir, sizeof(vws.output_dir), "%s", k->out_dir);
    vws.logger = &cli->log;
    int err = emo_viewer_open(&k->viewer, &vws);
    if (err)
        fprintf(stderr, "emoscope run: cannot open the window (%s); running headless\n", emo_strerror(err));
    EmoAudioCueSettings as;
    emo_audio_default_settings(&as);
    emo_audio_settings_from_config(&as, &cli->cfg);
    as.logger = &cli->log;
    if (emo_audio_open(&k->audio, &as))
        k->audio = NULL; /* already warned; the run goes on silently */
}

EmoLoopSink emo_viewer_sink(EmoViewerSink *k)
{
    return (EmoLoopSink){ .opaque = k, .on_start = viewer_start, .on_poll = viewer_poll,
                          .on_result = viewer_result, .on_frame = viewer_frame, .on_end = viewer_end };
}

void emo_viewer_sink_close(EmoViewerSink *k)
{
    emo_frame_unref(&k->shown);
    if (k->recorder)
        emo_video_writer_close(&k->recorder);
    emo_audio_close(&k->audio);
    emo_viewer_close(&k->viewer);
}
