/* bench --stage face: detection, face mesh and alignment per 1080p frame,
 * tracking one face on one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emoscope/face.h>
#include <emoscope/video.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *name, double *v, int n)
{
    if (n <= 0)
        return;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    int p99 = (int)(0.99 * (n - 1) + 0.5);
    printf("  %-34s median %7.3f ms   p99 %7.3f ms   mean %7.3f ms   max %7.3f ms\n", name, 1e3 * v[n / 2],
           1e3 * v[p99], 1e3 * sum / n, 1e3 * v[n - 1]);
}

int emo_bench_face(EmoCli *cli, int argc, char **argv)
{
    int frames = 600, width = 1920, height = 1080;
    char clip[EMO_PATH_MAX];
    emo_cli_sample_clip(cli, clip, sizeof(clip));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            snprintf(clip, sizeof(clip), "%s", argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &width, &height) != 2)
                width = 0;
        }
    }
    if (frames < 1 || frames > 100000 || width < 16 || height < 16 || width > 8192 || height > 8192) {
        fprintf(stderr, "bench face: options --frames N (1..100000), --size WxH, --input CLIP\n");
        return EMO_EXIT_USAGE;
    }
    EmoFaceTrackerSettings fs;
    emo_face_tracker_default_settings(&fs);
    fs.face = cli->cfg.face;
    fs.threads = 1;
    fs.log = &cli->log;
    snprintf(fs.models_dir, sizeof(fs.models_dir), "%s", cli->models_dir);
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = clip;
    vs.out_width = width;
    vs.out_height = height;
    vs.pix_fmt = EMO_PIX_BGRA;
    vs.loop = 1;
    vs.max_frames = frames;
    vs.log = &cli->log;

    EmoFaceTracker *t = NULL;
    EmoVideoSource *src = NULL;
    EmoFaceList *list = calloc(1, sizeof(*list));
    double *det = calloc((size_t)frames, sizeof(double)), *mesh = calloc((size_t)frames, sizeof(double));
    double *post = calloc((size_t)frames, sizeof(double)), *align = calloc((size_t)frames, sizeof(double));
    double *total = calloc((size_t)frames, sizeof(double)), *det_only = calloc((size_t)frames, sizeof(double));
    int aligned = cli->cfg.face.aligned_size;
    uint8_t *buf = malloc((size_t)(aligned > 64 ? aligned : 64) * (size_t)(aligned > 64 ? aligned : 64));
    int rc = EMO_EXIT_FAIL, n = 0, n_det = 0, with_face = 0;
    if (!list || !det || !mesh || !post || !align || !total || !det_only || !buf)
        goto done;
    if (emo_face_tracker_open(&t, &fs) < 0) {
        rc = EMO_EXIT_NOMODEL;
        goto done;
    }
    if (emo_video_open(&src, &vs) < 0)
        goto done;
    for (;;) {
        EmoFrame *f = NULL;
        int r = emo_video_read(src, &f, -1);
        if (r == EMO_EOF)
            break;
        if (r < 0)
            goto done;
        double d0, m0, p0, d1, m1, p1;
        emo_face_tracker_times(t, &d0, &m0, &p0);
        double t0 = emo_clock_now();
        r = emo_face_tracker_process(t, f, list);
        double t1 = emo_clock_now();
        /* The emotion models' inputs and the optical-flow face. */
        for (int i = 0; r == 0 && i < list->count; i++) {
            r = emo_face_align(f, &list->faces[i], 64, EMO_ALIGN_GRAY8, buf, 64);
            if (r == 0)
                r = emo_face_align(f, &list->faces[i], 48, EMO_ALIGN_GRAY8, buf, 48);
            if (r == 0)
                r = emo_face_align(f, &list->faces[i], aligned, EMO_ALIGN_GRAY8, buf, aligned);
        }
        double t2 = emo_clock_now();
        emo_frame_unref(&f);
        if (r < 0)
            goto done;
        emo_face_tracker_times(t, &d1, &m1, &p1);
        det[n] = d1 - d0;
        mesh[n] = m1 - m0;
        post[n] = p1 - p0;
        align[n] = t2 - t1;
        total[n] = t2 - t0;
        if (list->detector_ran)
            det_only[n_det++] = d1 - d0;
        with_face += list->count > 0;
        n++;
    }
    if (n == 0)
        goto done;
    printf("face stage: %d frames of %s scaled to %dx%d BGRA, one thread, %d with a face, detector on %d\n", n, clip,
           width, height, with_face, n_det);
    stats("detection (every frame)", det, n);
    stats("detection (frames it ran on)", det_only, n_det);
    stats("face mesh (crop + network)", mesh, n);
    stats("pose + alignment transform", post, n);
    stats("align warps (64, 48, aligned_size)", align, n);
    stats("total per frame", total, n);
    rc = EMO_EXIT_OK;
done:
    if (rc != EMO_EXIT_OK)
        fprintf(stderr, "bench face: failed (models in %s, clip %s)\n", cli->models_dir, clip);
    emo_video_close(&src);
    emo_face_tracker_close(&t);
    free(list);
    free(det);
    free(mesh);
    free(post);
    free(align);
    free(total);
    free(det_only);
    free(buf);
    return rc;
}
