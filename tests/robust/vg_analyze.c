/*
 * The analysis of `emoscope analyze`, without FFmpeg's codecs, for memcheck.
 *
 * Why this program exists: valgrind must check our code on every x86-64
 * machine, but the CLI loads libavcodec, which loads libjxl and libhwy, and
 * libhwy's static initialiser executes RDTSCP, an instruction valgrind 3.19
 * refuses on CPUs that do not advertise it. This program runs the same
 * library calls as the CLI's analyze job (models loaded, faces tracked,
 * emotions, micro-movements, the overlay drawn on the pipeline's draw
 * thread, result records, summary and timeline chart written) on raw BGRA
 * frames that the test script decoded beforehand, outside valgrind. It is
 * linked without libavcodec and libavformat (see vg_nocodec.c), so the
 * process never maps libhwy.
 *
 * Usage: vg_analyze FRAMES.bgra WIDTH HEIGHT FPS MODELS_DIR OUT_DIR
 * Prints "records: R, events: E, faces: F, drawn: D, frames: N" and exits 0
 * when every step succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/frame.h>
#include <emoscope/io.h>
#include <emoscope/pipeline.h>

typedef struct Run {
    EmoPipeline *pipe;
    EmoResultsWriter *frames_w, *events_w;
    FILE *in;
    int width, height;
    long records, events, faces, drawn, n;
} Run;

/* A frame is "drawn" when the overlay changed at least one of its pixels:
 * the copy kept before submission tells. */
static int receive_one(Run *r, uint8_t *const *kept, int64_t slots)
{
    EmoFrame *g = NULL;
    int err = emo_pipeline_receive(r->pipe, &g, -1.0, NULL, NULL);
    if (err == EMO_EAGAIN)
        return 0;
    if (g) {
        const uint8_t *before = kept[g->index % slots];
        for (int y = 0; y < g->height; y++)
            if (memcmp(g->data[0] + (size_t)y * g->stride[0], before + (size_t)y * g->width * 4,
                       (size_t)g->width * 4)) {
                r->drawn++;
                break;
            }
        emo_frame_unref(&g);
    }
    return err;
}

static int analyse(Run *r, double fps)
{
    /* One kept copy per frame the draw thread may hold, plus the one being submitted. */
    enum { SLOTS = 16 };
    uint8_t *kept[SLOTS] = { 0 };
    size_t row = (size_t)r->width * 4;
    int err = 0;
    for (int i = 0; i < SLOTS; i++)
        if (!(kept[i] = malloc(row * r->height))) {
            err = EMO_ENOMEM;
            goto fail;
        }
    for (int64_t index = 0;; index++) {
        EmoFrame *f = NULL;
        if ((err = emo_frame_alloc(&f, EMO_PIX_BGRA, r->width, r->height)))
            goto fail;
        uint8_t *k = kept[index % SLOTS];
        if (fread(k, row, r->height, r->in) != (size_t)r->height) {
            emo_frame_unref(&f);
            break;
        }
        for (int y = 0; y < r->height; y++)
            memcpy(f->data[0] + (size_t)y * f->stride[0], k + row * y, row);
        f->index = index;
        f->pts = index / fps;
        r->n++;
        const EmoPipelineResult *res = NULL;
        /* Never more frames in flight than kept copies. */
        while (emo_pipeline_pending(r->pipe) >= SLOTS - 1 && !(err = receive_one(r, kept, SLOTS)))
            ;
        while (!err && (err = emo_pipeline_submit(r->pipe, &f, fps, &res)) == EMO_EAGAIN)
            err = receive_one(r, kept, SLOTS);
        emo_frame_unref(&f);
        if (err)
            goto fail;
        r->faces += res->n_faces;
        r->events += res->n_events;
        if ((err = emo_pipeline_write_records(r->pipe, res, r->frames_w, r->events_w)))
            goto fail;
    }
    while (!err && emo_pipeline_pending(r->pipe) > 0)
        err = receive_one(r, kept, SLOTS);
    if (!err) {
        const EmoPipelineResult *res = NULL;
        if (!(err = emo_pipeline_finish(r->pipe, &res))) {
            r->events += res->n_events;
            err = emo_pipeline_write_records(r->pipe, res, NULL, r->events_w);
        }
    }
fail:
    while (emo_pipeline_pending(r->pipe) > 0 && receive_one(r, kept, SLOTS) != EMO_EAGAIN)
        ;
    for (int i = 0; i < SLOTS; i++)
        free(kept[i]);
    return err;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s FRAMES.bgra WIDTH HEIGHT FPS MODELS_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    Run r = { .width = atoi(argv[2]), .height = atoi(argv[3]) };
    double fps = atof(argv[4]);
    const char *models = argv[5], *out = argv[6];
    if (r.width <= 0 || r.height <= 0 || !(fps > 0)) {
        fprintf(stderr, "vg_analyze: bad size or rate\n");
        return 2;
    }
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    int err = 0;
    char p[4][1024];
    const char *names[4] = { "frames.jsonl", "frames.csv", "events.jsonl", "events.csv" };
    for (int i = 0; i < 4; i++)
        snprintf(p[i], sizeof p[i], "%s/%s", out, names[i]);
    if (!(r.in = fopen(argv[1], "rb"))) {
        perror(argv[1]);
        err = EMO_ENOENT;
        goto fail;
    }
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = &cfg;
    ps.models_dir = models;
    ps.draw = 1;
    ps.keep_timeline = 1;
    if ((err = emo_pipeline_open(&r.pipe, &ps)) || (err = emo_results_open(&r.frames_w, p[0], p[1], NULL)) ||
        (err = emo_results_open(&r.events_w, p[2], p[3], NULL)) || (err = analyse(&r, fps)))
        goto fail;
    r.records = emo_results_count(r.frames_w);
    if ((err = emo_results_close(&r.frames_w)) || (err = emo_results_close(&r.events_w)))
        goto fail;
    snprintf(p[0], sizeof p[0], "%s/summary.json", out);
    snprintf(p[1], sizeof p[1], "%s/timeline.png", out);
    snprintf(p[2], sizeof p[2], "%s/timeline.svg", out);
    if ((err = emo_pipeline_write_summary(r.pipe, p[0], argv[1])) ||
        (err = emo_pipeline_write_timeline(r.pipe, p[1], p[2], argv[1])))
        goto fail;
    printf("records: %ld, events: %ld, faces: %ld, drawn: %ld, frames: %ld\n", r.records, r.events, r.faces,
           r.drawn, r.n);
fail:
    if (err)
        fprintf(stderr, "vg_analyze: %s\n", emo_strerror(err));
    emo_results_close(&r.frames_w);
    emo_results_close(&r.events_w);
    emo_pipeline_close(&r.pipe);
    if (r.in)
        fclose(r.in);
    emo_config_clear(&cfg);
    return err ? 1 : 0;
}
