/* The frame loop shared by `emoscope run`, `analyze`, `batch` and `bench`. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/analyze.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The caller's stop flag, read once per turn. */
static int stop_asked(const volatile int *stop)
{
    return stop && *stop;
}

void emo_loop_sleep(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* A camera not plugged in yet or a stream server not started yet is the
 * same situation as one that went away during the run, which the source
 * itself reconnects: so the first open is retried at the same pace. The
 * stop flag counts from the first attempt on: one attempt can wait up to
 * video.timeout for a silent server, and Ctrl-C meanwhile must end the run
 * cleanly, not kill it. */
int emo_loop_open_source(EmoVideoSource **src, const EmoVideoSourceSettings *vs, const EmoVideoSettings *cfg,
                         const volatile int *stop, const EmoLogger *lg)
{
    if (!cfg->reconnect || !emo_video_settings_live(vs))
        return emo_video_open(src, vs);
    int err = emo_video_open(src, vs);
    for (int64_t attempt = 1; err && err != EMO_EINVAL && err != EMO_ENOMEM && !stop_asked(stop); attempt++) {
        emo_log(lg, EMO_LOG_WARN, "cannot open %s (%s); retrying in %g s (attempt %lld; Ctrl-C stops)", vs->source,
                emo_strerror(err), cfg->reconnect_delay, (long long)attempt);
        for (double w = 0; w < cfg->reconnect_delay && !stop_asked(stop); w += 0.05)
            emo_loop_sleep(0.05);
        if (!stop_asked(stop))
            err = emo_video_open(src, vs);
    }
    if (!stop_asked(stop))
        return err;
    emo_video_close(src); /* opened as the signal came: the user asked to stop all the same */
    return EMO_EINTR;
}

typedef struct Loop {
    const EmoLoopSettings *s;
    EmoLoopReport *rep;
    EmoVideoInfo info;
    int failed;                /* frames are no longer handed on, only released */
    double fps_t0, capture_fps;
    int64_t fps_frames;
    double stats_t;
    int64_t stats_frames;
} Loop;

/* Hands f to every sink and drops the loop's reference. 0, or -1 when a
 * sink failed (now or before). */
static int hand_on(Loop *l, EmoFrame **f, double t_render, double cpu_render)
{
    for (int i = 0; i < l->s->n_sinks && !l->failed; i++) {
        const EmoLoopSink *k = &l->s->sinks[i];
        if (k->on_frame && k->on_frame(k->opaque, *f, t_render, cpu_render)) {
            l->failed = 1;
            l->rep->stopped = 1;
        }
    }
    emo_frame_unref(f);
    return l->failed ? -1 : 0;
}

/* Takes the oldest drawn frame (waiting up to timeout_s) and hands it on.
 * 0: one frame done; 1: none ready; -1: the run must stop. */
static int receive_one(Loop *l, double timeout_s)
{
    EmoFrame *g = NULL;
    double tr = 0, cr = 0;
    int err = emo_pipeline_receive(l->s->pipe, &g, timeout_s, &tr, &cr);
    if (err == EMO_EAGAIN)
        return 1;
    if (err) {
        if (!l->failed)
            emo_log(l->s->log, EMO_LOG_ERROR, "drawing the overlay failed: %s", emo_strerror(err));
        l->rep->frame_status = err;
        l->failed = 1;
        emo_frame_unref(&g);
        return -1;
    }
    return hand_on(l, &g, tr, cr);
}

/* EMO_LOOP_QUIT if any sink says so, else _PAUSE if any does, else _GO. */
static int poll_sinks(Loop *l)
{
    int act = EMO_LOOP_GO;
    for (int i = 0; i < l->s->n_sinks; i++) {
        const EmoLoopSink *k = &l->s->sinks[i];
        int a = k->on_poll ? k->on_poll(k->opaque) : EMO_LOOP_GO;
        if (a > act)
            act = a;
    }
    return act;
}

/* Progress for long and live runs (soak tests read it). */
static void stats_line(Loop *l)
{
    double every = l->s->stats_interval, now = emo_clock_now();
    if (!(every > 0) || now - l->stats_t < every)
        return;
    EmoVideoStats st;
    emo_video_stats(l->s->src, &st);
    int64_t frames = l->rep->frames;
    fprintf(stderr, "stats: t=%.1f s frames=%lld fps=%.1f dropped=%lld decode_errors=%lld reconnects=%lld\n",
            now - l->s->t0, (long long)frames, (double)(frames - l->stats_frames) / (now - l->stats_t),
            (long long)st.frames_dropped, (long long)st.decode_errors, (long long)st.reconnects);
    l->stats_t = now;
    l->stats_frames = frames;
}

/* Counts a frame read; the live capture rate is measured over each second. */
static void count_frame(Loop *l, const EmoFrame *f)
{
    EmoLoopReport *rep = l->rep;
    if (rep->frames == 0)
        rep->first_pts = f->pts;
    rep->last_pts = f->pts;
    rep->frames++;
    l->fps_frames++;
    double now = emo_clock_now();
    if (now - l->fps_t0 >= 1.0) {
        l->capture_fps = l->fps_frames / (now - l->fps_t0);
        l->fps_t0 = now;
        l->fps_frames = 0;
    }
}

/* Holds f back until the time some sink asked for, handing on the frames
 * drawn meanwhile. 0, or -1 when the run must stop. */
static int wait_due(Loop *l, const EmoFrame *f)
{
    double due = 0;
    for (int i = 0; i < l->s->n_sinks; i++) {
        const EmoLoopSink *k = &l->s->sinks[i];
        double d = k->on_read ? k->on_read(k->opaque, f) : 0;
        if (d > due)
            due = d;
    }
    if (!(due > 0))
        return 0;
    double now;
    while (l->s->pipe && emo_pipeline_pending(l->s->pipe) > 0 && (now = emo_clock_now()) < due)
        if (receive_one(l, due - now) < 0)
            return -1;
    emo_loop_sleep(due - emo_clock_now());
    return 0;
}

/* The analysis of f here, its overlay on the pipeline's draw thread: frame
 * N is drawn (and then handed on) while N+1 is analysed. Takes f. 0, or -1
 * when the run must stop. */
static int analyse(Loop *l, EmoFrame **f)
{
    EmoPipeline *pipe = l->s->pipe;
    const EmoPipelineResult *res = NULL;
    int64_t index = (*f)->index;
    int err;
    while ((err = emo_pipeline_submit(pipe, f, l->info.live ? l->capture_fps : l->info.fps, &res)) == EMO_EAGAIN)
        if (receive_one(l, -1))
            break;
    if (err) {
        if (err != EMO_EAGAIN) {
            emo_log(l->s->log, EMO_LOG_ERROR, "analysis of frame %lld failed: %s", (long long)index,
                    emo_strerror(err));
            l->rep->frame_status = err;
        }
        emo_frame_unref(f);
        return -1;
    }
    for (int i = 0; i < l->s->n_sinks; i++) {
        const EmoLoopSink *k = &l->s->sinks[i];
        if (k->on_result && k->on_result(k->opaque, res)) {
            l->rep->stopped = 1;
            return -1;
        }
    }
    l->rep->events += res->n_events;
    /* Frames already drawn go on now, without waiting. */
    while (emo_pipeline_pending(pipe) > 0 && receive_one(l, 0) == 0)
        ;
    return l->failed ? -1 : 0;
}

/* One turn: poll, read, pace, analyse or hand on. 0 to go on, 1 to stop. */
static int turn(Loop *l)
{
    const EmoLoopSettings *s = l->s;
    stats_line(l);
    if (stop_asked(s->stop)) {
        emo_video_stop(s->src);
        return 1;
    }
    int act = poll_sinks(l);
    if (act == EMO_LOOP_QUIT) {
        l->rep->stopped = 1;
        return 1;
    }
    if (act == EMO_LOOP_PAUSE) {
        emo_loop_sleep(0.01);
        return 0;
    }
    EmoFrame *f = NULL;
    int err = l->info.live ? emo_video_read_latest(s->src, &f, 0.2) : emo_video_read(s->src, &f, 0.2);
    if (err == EMO_ETIMEDOUT)
        return 0;
    if (err) {
        l->rep->source_status = err;
        return 1;
    }
    count_frame(l, f);
    if (wait_due(l, f)) {
        emo_frame_unref(&f);
        return 1;
    }
    if (s->pipe)
        return analyse(l, &f) ? 1 : 0;
    return hand_on(l, &f, 0, 0) ? 1 : 0;
}

int emo_loop_run(const EmoLoopSettings *s, EmoLoopReport *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (!s || !s->src || s->n_sinks < 0 || s->n_sinks > EMO_LOOP_MAX_SINKS || (s->n_sinks && !s->sinks))
        return EMO_EINVAL;
    Loop l = { .s = s, .rep = rep, .capture_fps = -1 };
    emo_video_info(s->src, &l.info);
    for (int i = 0; i < s->n_sinks; i++)
        if (s->sinks[i].on_start)
            s->sinks[i].on_start(s->sinks[i].opaque, s->pipe, &l.info);
    l.fps_t0 = l.stats_t = emo_clock_now();
    while (!turn(&l))
        ;
    /* The frames still being drawn. */
    while (s->pipe && emo_pipeline_pending(s->pipe) > 0)
        if (receive_one(&l, -1) > 0)
            break;
    const EmoPipelineResult *res = NULL;
    if (s->pipe && (emo_pipeline_finish(s->pipe, &res) || !res))
        res = NULL;
    if (res)
        rep->events += res->n_events;
    rep->interrupted = stop_asked(s->stop);
    for (int i = 0; i < s->n_sinks; i++)
        if (s->sinks[i].on_end)
            s->sinks[i].on_end(s->sinks[i].opaque, res);
    return 0;
}
