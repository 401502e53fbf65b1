/* bench --stage motion: milliseconds per frame per face at the normalised
 * face size, one thread: optical flow, head-motion compensation and
 * regions/spotting, C reference against the vectorised kernels; then the
 * flow alone against OpenCV's Farneback on the same pair of images with the
 * same settings, when Debian's python3-opencv is installed. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/motion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "face/face_priv.h"

static void stats(double *v, int n, double *median, double *p99)
{
    qsort(v, (size_t)n, sizeof(double), emo_bench_cmp_double);
    *median = n ? v[n / 2] : 0;
    int i = (int)ceil(0.99 * n) - 1;
    *p99 = n ? v[i < 0 ? 0 : i >= n ? n - 1 : i] : 0;
}

/* A deterministic textured face-sized image (smooth blobs and stripes),
 * moved by a slow sub-pixel drift and a local bump, so that every stage has
 * real work to do. */
static void make_frame(uint8_t *out, int s, int t)
{
    double dx = 0.6 * sin(t / 7.0), dy = 0.4 * cos(t / 5.0);
    double bump = t % 20 < 8 ? sin(3.14159265 * (t % 20) / 8.0) * 1.5 : 0;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            double px = x - dx, py = y - dy;
            double ex = px - 0.3 * s, ey = py - 0.7 * s;
            py += bump * exp(-(ex * ex + ey * ey) / (2 * 25.0));
            double v = 128 + 40 * sin(px * 0.31 + py * 0.07) + 30 * sin(py * 0.23 - px * 0.11) +
                       25 * cos((px * px + py * py) * 0.002) + 20 * sin(px * 0.9) * cos(py * 0.7);
            out[y * s + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

/* Landmarks for the pushes (the pipeline always passes them): the canonical
 * face model from the models folder, seen from the front. */
static int load_landmarks(const EmoCli *cli, int s, float *pts)
{
    char path[EMO_PATH_MAX + 32], err[256];
    snprintf(path, sizeof(path), "%s/canonical_face_model.obj", cli->models_dir);
    EmoCanonicalFace c;
    int rc = emo__obj_load(path, &c, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "emoscope bench: %s\n", err);
        return rc;
    }
    emo__canonical_front(&c, s, pts);
    return 0;
}

typedef struct Times {
    double flow[2], comp[2], regions[2], total[2];
} Times;

static int bench_motion_impl(const EmoCli *cli, EmoFlowImpl impl, const uint8_t *frames, int n, int s,
                             const float *lm, Times *t)
{
    EmoMotion *m = NULL;
    int err = emo_motion_open(&m, &cli->cfg.motion, s, &cli->log);
    if (err)
        return err;
    if ((err = emo_motion_set_flow_impl(m, impl))) {
        emo_motion_close(&m);
        return err;
    }
    double *a = calloc((size_t)n * 4, sizeof(double));
    if (!a) {
        emo_motion_close(&m);
        return EMO_ENOMEM;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        EmoMotionFrame r;
        double t0 = emo_clock_now();
        if ((err = emo_motion_push(m, frames + (size_t)i * (size_t)(s * s), s, lm, i / 30.0, i, &r)))
            break;
        double t1 = emo_clock_now();
        if (!r.has_flow)
            continue;
        a[k] = r.t_flow * 1e3;
        a[n + k] = r.t_comp * 1e3;
        a[2 * n + k] = r.t_regions * 1e3;
        a[3 * n + k] = (t1 - t0) * 1e3;
        k++;
    }
    stats(a, k, &t->flow[0], &t->flow[1]);
    stats(a + n, k, &t->comp[0], &t->comp[1]);
    stats(a + 2 * n, k, &t->regions[0], &t->regions[1]);
    stats(a + 3 * n, k, &t->total[0], &t->total[1]);
    free(a);
    emo_motion_close(&m);
    return err;
}

/* Flow alone on one pair through the public flow API (expands both images). */
static int bench_flow_pair(const EmoCli *cli, EmoFlowImpl impl, const uint8_t *a, const uint8_t *b, int s, int reps,
                           double *median, double *p99)
{
    EmoFlowSettings fs;
    emo_flow_default_settings(&fs);
    const EmoMotionSettings *ms = &cli->cfg.motion;
    fs.width = fs.height = s;
    fs.levels = ms->levels;
    fs.pyr_scale = ms->pyr_scale;
    fs.winsize = ms->winsize;
    fs.iterations = ms->iterations;
    fs.poly_n = ms->poly_n;
    fs.poly_sigma = ms->poly_sigma;
    fs.impl = impl;
    fs.log = &cli->log;
    EmoFlow *f = NULL;
    int err = emo_flow_open(&f, &fs);
    if (err)
        return err;
    float *u = malloc((size_t)s * (size_t)s * sizeof(float)), *v = malloc((size_t)s * (size_t)s * sizeof(float));
    double *t = calloc((size_t)reps, sizeof(double));
    if (!u || !v || !t)
        err = EMO_ENOMEM;
    for (int i = 0; !err && i < reps; i++) {
        double t0 = emo_clock_now();
        err = emo_flow_compute(f, a, s, b, s, u, v, s);
        t[i] = (emo_clock_now() - t0) * 1e3;
    }
    if (!err)
        stats(t, reps, median, p99);
    free(u);
    free(v);
    free(t);
    emo_flow_close(&f);
    return err;
}

/* Times cv2.calcOpticalFlowFarneback on the same pair (one thread) through
 * a small Python script; returns 0 and the median / p99 in ms. */
static int bench_opencv(const EmoCli *cli, const uint8_t *a, const uint8_t *b, int s, int reps, double *median,
                        double *p99, char *version, size_t vn)
{
    if (system("/usr/bin/python3 -c 'import cv2' >/dev/null 2>&1") != 0)
        return EMO_ENOENT;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/emoscope-bench-motion-%d.raw", (int)getpid());
    FILE *fo = fopen(path, "wb");
    if (!fo)
        return EMO_EIO;
    int ok = fwrite(a, 1, (size_t)s * (size_t)s, fo) == (size_t)s * (size_t)s &&
             fwrite(b, 1, (size_t)s * (size_t)s, fo) == (size_t)s * (size_t)s;
    if (fclose(fo) || !ok) {
        remove(path);
        return EMO_EIO;
    }
    const EmoMotionSettings *ms = &cli->cfg.motion;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c '\n"
             "import cv2, numpy as np, time\n"
             "cv2.setNumThreads(1)\n"
             "d = np.fromfile(\"%s\", np.uint8).reshape(2, %d, %d)\n"
             "t = []\n"
             "for i in range(%d):\n"
             "    t0 = time.perf_counter()\n"
             "    cv2.calcOpticalFlowFarneback(d[0], d[1], None, %g, %d, %d, %d, %d, %g, 0)\n"
             "    t.append((time.perf_counter() - t0) * 1e3)\n"
             "t.sort()\n"
             "print(cv2.__version__, t[len(t) // 2], t[min(len(t) - 1, int(0.99 * len(t) + 0.999) - 1)])\n"
             "'",
             path, s, s, reps, ms->pyr_scale, ms->levels, ms->winsize, ms->iterations, ms->poly_n, ms->poly_sigma);
    FILE *p = popen(cmd, "r");
    int err = EMO_EIO;
    if (p) {
        char ver[64];
        if (fscanf(p, "%63s %lf %lf", ver, median, p99) == 3) {
            snprintf(version, vn, "%s", ver);
            err = 0;
        }
        if (pclose(p) != 0)
            err = EMO_EIO;
    }
    remove(path);
    return err;
}

int emo_bench_motion(EmoCli *cli, int argc, char **argv)
{
    int n = 300, opencv = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-opencv"))
            opencv = 0;
    }
    if (n < 10 || n > 100000) {
        fprintf(stderr, "emoscope bench: --frames must be 10..100000\n");
        return EMO_EXIT_USAGE;
    }
    const int s = cli->cfg.face.aligned_size;
    uint8_t *frames = malloc((size_t)n * (size_t)s * (size_t)s);
    if (!frames)
        return EMO_EXIT_FAIL;
    for (int i = 0; i < n; i++)
        make_frame(frames + (size_t)i * (size_t)(s * s), s, i);
    const EmoMotionSettings *ms = &cli->cfg.motion;
    float lm[2 * EMO_MESH_POINTS];
    int have_lm = load_landmarks(cli, s, lm) == 0;
    printf("motion: %d frames of a %dx%d face, one thread; Farneback levels %d pyr_scale %g winsize %d "
           "iterations %d poly_n %d poly_sigma %g; %s\n",
           n, s, s, ms->levels, ms->pyr_scale, ms->winsize, ms->iterations, ms->poly_n, ms->poly_sigma,
           have_lm ? "with landmarks (canonical face model, as the pipeline passes them)"
                   : "WITHOUT landmarks (canonical_face_model.obj not read, see above)");
    printf("%-6s %-24s %10s %10s\n", "impl", "stage (ms/frame/face)", "median", "p99");
    static const EmoFlowImpl impls[] = { EMO_FLOW_IMPL_C, EMO_FLOW_IMPL_SSE2, EMO_FLOW_IMPL_AVX2 };
    static const char *const names[] = { "c", "sse2", "avx2" };
    int rc = EMO_EXIT_OK;
    double flow_ms[3] = { 0, 0, 0 };
    for (int k = 0; k < 3; k++) {
        Times t;
        int err = bench_motion_impl(cli, impls[k], frames, n, s, have_lm ? lm : NULL, &t);
        if (err == EMO_EUNSUPPORTED) {
            printf("%-6s not supported by this CPU\n", names[k]);
            continue;
        }
        if (err) {
            fprintf(stderr, "emoscope bench: motion failed: %s\n", emo_strerror(err));
            rc = EMO_EXIT_FAIL;
            break;
        }
        printf("%-6s %-24s %10.3f %10.3f\n", names[k], "flow", t.flow[0], t.flow[1]);
        printf("%-6s %-24s %10.3f %10.3f\n", names[k], "compensation", t.comp[0], t.comp[1]);
        printf("%-6s %-24s %10.3f %10.3f\n", names[k], "regions + spotting", t.regions[0], t.regions[1]);
        printf("%-6s %-24s %10.3f %10.3f  (floor: median <= 2 ms)\n", names[k], "total push", t.total[0],
               t.total[1]);
        double m, p;
        if (!bench_flow_pair(cli, impls[k], frames, frames + s * s, s, 200, &m, &p)) {
            printf("%-6s %-24s %10.3f %10.3f\n", names[k], "flow of one pair (API)", m, p);
            flow_ms[k] = m;
        }
    }
    if (rc == EMO_EXIT_OK && opencv) {
        double m, p;
        char ver[64] = "";
        int err = bench_opencv(cli, frames, frames + s * s, s, 200, &m, &p, ver, sizeof(ver));
        if (err == EMO_ENOENT) {
            printf("opencv: python3-opencv not installed (/usr/bin/python3 -c 'import cv2' failed): no comparison\n");
        } else if (err) {
            printf("opencv: timing script failed\n");
        } else {
            printf("%-6s %-24s %10.3f %10.3f  (OpenCV %s, cv2.calcOpticalFlowFarneback, 1 thread)\n", "opencv",
                   "flow of one pair", m, p, ver);
            for (int k = 0; k < 3; k++)
                if (flow_ms[k] > 0)
                    printf("ratio  %s / opencv = %.2f\n", names[k], flow_ms[k] / m);
        }
    }
    free(frames);
    return rc;
}
