/* bench --stage emotion: every default local emotion model on one aligned
 * face (preprocessing, inference, fusion), on one thread: median and p99. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include <emoscope/adapt.h>
#include <emoscope/emotion.h>

/* Times n runs of e on face; median and p99 in ms. */
static int time_runs(EmoEnsemble *e, const EmoImage *face, int n, double *ms, double *median, double *p99)
{
    EmoEmotionResult r;
    for (int i = 0; i < 20; i++) /* warm-up: caches, first-run allocations of the backend */
        if (emo_ensemble_run(e, face, &r))
            return EMO_EINTERNAL;
    for (int i = 0; i < n; i++) {
        double t0 = emo_clock_now();
        if (emo_ensemble_run(e, face, &r))
            return EMO_EINTERNAL;
        ms[i] = (emo_clock_now() - t0) * 1e3;
    }
    qsort(ms, (size_t)n, sizeof(double), emo_bench_cmp_double);
    *median = ms[n / 2];
    *p99 = ms[(int)(0.99 * (n - 1))];
    return 0;
}

int emo_bench_emotion(EmoCli *cli, int argc, char **argv)
{
    int iters = 500, json = 0;
    const char *image = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
    }
    if (iters < 10 || iters > 1000000) {
        fprintf(stderr, "emoscope bench: --iterations wants 10..1000000\n");
        return EMO_EXIT_USAGE;
    }
    int status = EMO_EXIT_FAIL;
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    double *ms = calloc((size_t)iters, sizeof(double));
    uint8_t *px = NULL;
    EmoEnsemble *e = NULL;
    if (!s || !ms)
        goto done;
    int err = emo_ensemble_settings_from_config(s, &cli->cfg, cli->models_dir, NULL, &cli->log);
    if (err) {
        status = err == EMO_ENOENT ? EMO_EXIT_NOMODEL : EMO_EXIT_USAGE;
        goto done;
    }
    s->api_enabled = 0;
    s->nn_threads = 1;
    /* The face: a file given, else a synthetic 96x96 gray crop (CNN time does
     * not depend on the pixel values; the size is that of a face the face
     * module aligns, so the resize to each model's input is included). */
    int w = 96, h = 96;
    if (image) {
        if (emo_emotion_image_load_gray(image, &px, &w, &h, &cli->log))
            goto done;
    } else {
        if (!(px = malloc((size_t)w * (size_t)h)))
            goto done;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                px[y * w + x] = (uint8_t)(64 + (x * 3 + y * 5) % 128);
    }
    EmoImage face = { px, w, h, w, EMO_PIX_GRAY8 };
    if (!json)
        printf("emotion stage: %d default models on one %dx%d aligned face, 1 thread, %d runs%s\n", s->n_models, w,
               h, iters, s->flip_tta ? " (flip TTA on)" : "");
    double median, p99;
    /* Each model alone, then the whole ensemble (what a frame costs). */
    for (int m = 0; m <= s->n_models; m++) {
        EmoEnsembleSettings *one = s;
        EmoEnsembleSettings single;
        if (m < s->n_models) {
            single = *s;
            single.models[0] = s->models[m];
            single.n_models = 1;
            one = &single;
        }
        if ((err = emo_ensemble_open(&e, one)))
            goto done;
        if (time_runs(e, &face, iters, ms, &median, &p99))
            goto done;
        emo_ensemble_close(&e);
        const char *name = m < s->n_models ? s->models[m].name : "ensemble";
        if (json)
            printf("{\"stage\":\"emotion\",\"what\":\"%s\",\"median_ms\":%.4f,\"p99_ms\":%.4f,\"runs\":%d}\n", name,
                   median, p99, iters);
        else
            printf("  %-16s median %7.3f ms   p99 %7.3f ms\n", name, median, p99);
    }
    status = EMO_EXIT_OK;
done:
    emo_ensemble_close(&e);
    free(px);
    free(ms);
    free(s);
    return status;
}
