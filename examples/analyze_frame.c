/* A program built against the installed library, the way a user's would be:
 *
 *   cc analyze_frame.c $(pkg-config --cflags --libs emoscope) -o analyze_frame
 *   ./analyze_frame IMAGE [FACES]
 *
 * It decodes IMAGE, analyses it with the models found where emoscope looks
 * for them (the installed ones unless told otherwise), prints each face's
 * box and dominant emotion, and exits 0 only when exactly FACES faces
 * (default 1) came out with a valid emotion result. tests/tools/test_install.sh
 * builds and runs it against a fresh install. */
#include <stdio.h>
#include <stdlib.h>

#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/emotion.h>
#include <emoscope/io.h>
#include <emoscope/pipeline.h>
#include <emoscope/version.h>
#include <emoscope/video.h>

/* The fused probabilities of a face: every model ran and they form a distribution. */
static int emotion_ok(const EmoEmotionResult *e)
{
    if (e->n_models < 1)
        return 0;
    double sum = 0;
    for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
        if (!(e->fused[k] >= 0 && e->fused[k] <= 1))
            return 0;
        sum += e->fused[k];
    }
    return sum > 1 - 1e-3 && sum < 1 + 1e-3 && e->dominant >= 0 && e->dominant < EMO_EMOTION_COUNT;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE [FACES]\n", argv[0]);
        return 2;
    }
    int want = argc == 3 ? atoi(argv[2]) : 1;
    int status = 1, err;
    EmoConfig cfg;
    EmoVideoSource *src = NULL;
    EmoPipeline *p = NULL;
    EmoFrame *frame = NULL;
    emo_config_defaults(&cfg);

    char models[EMO_PATH_MAX];
    emo_models_dir(models, sizeof(models), NULL, NULL);
    printf("emoscope %s, models from %s\n", emo_version_string(), models);

    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = argv[1];
    vs.pix_fmt = EMO_PIX_BGRA; /* what the pipeline analyses */
    if ((err = emo_video_open(&src, &vs)) < 0 || (err = emo_video_read(src, &frame, -1)) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], emo_strerror(err));
        goto fail;
    }

    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = &cfg;
    ps.models_dir = models;
    if ((err = emo_pipeline_open(&p, &ps)) < 0) {
        fprintf(stderr, "pipeline: %s\n", emo_strerror(err));
        goto fail;
    }
    const EmoPipelineResult *res = NULL;
    if ((err = emo_pipeline_process(p, frame, -1, &res)) < 0) {
        fprintf(stderr, "analysis: %s\n", emo_strerror(err));
        goto fail;
    }
    int good = 0;
    for (int i = 0; i < res->n_faces; i++) {
        const EmoPipelineFace *f = &res->faces[i];
        const float *b = f->face.box;
        int inside = b[2] > 0 && b[3] > 0 && b[0] + b[2] > 0 && b[1] + b[3] > 0 && b[0] < frame->width &&
                     b[1] < frame->height;
        int ok = inside && emotion_ok(&f->emotion);
        good += ok;
        printf("face %d: box %.0f,%.0f %.0fx%.0f, %s %.2f%s\n", f->face.id, b[0], b[1], b[2], b[3],
               emo_emotion_name(f->emotion.dominant), f->emotion.fused[f->emotion.dominant], ok ? "" : " (invalid)");
    }
    printf("%d face(s), %d valid, %d expected\n", res->n_faces, good, want);
    status = res->n_faces == want && good == want ? 0 : 1;
fail:
    emo_frame_unref(&frame);
    emo_pipeline_close(&p);
    emo_video_close(&src);
    emo_config_clear(&cfg);
    return status;
}
