/* Video writer and PNG stills: pass-through of real clips checked with
 * ffprobe, synthetic round trips, image folders and patterns. */
#include "vtest.h"

#include <sys/stat.h>

/* PSNR of the luma-like mean over B, G, R of two BGRA frames. */
static double psnr_bgra(const EmoFrame *a, const EmoFrame *b)
{
    double se = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            for (int c = 0; c < 3; c++) {
                double d = (double)a->data[0][(size_t)y * a->stride[0] + 4 * x + c] -
                           (double)b->data[0][(size_t)y * b->stride[0] + 4 * x + c];
                se += d * d;
            }
    double mse = se / (3.0 * a->width * a->height);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
}

static void fill_pattern(EmoFrame *f, int t)
{
    for (int y = 0; y < f->height; y++) {
        uint8_t *row = f->data[0] + (size_t)y * f->stride[0];
        for (int x = 0; x < f->width; x++) {
            /* Smooth gradients that move with t: easy to encode, easy to check. */
            row[4 * x + 0] = (uint8_t)(30 + (x * 190) / f->width);
            row[4 * x + 1] = (uint8_t)(30 + (y * 190) / f->height);
            row[4 * x + 2] = (uint8_t)lrint(128 + 90 * sin(0.05 * x + 0.03 * y + 0.2 * t));
            row[4 * x + 3] = 255;
        }
    }
}

/* Every sample clip decoded, passed through the writer, and probed: same
 * frame count, same time stamps, same duration. */
static void test_passthrough_clips(void **state)
{
    (void)state;
    static const char *const clips[] = { "d0", "d12" }; /* the two 25 fps clips and their odd time bases */
    const char *dir = emo_test_tmpdir("video-pass");
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        char rel[64], in[4096], out[4096];
        snprintf(rel, sizeof(rel), "testdata/video/%s.mp4", clips[c]);
        snprintf(in, sizeof(in), "%s", emo_test_shared(rel));
        snprintf(out, sizeof(out), "%s/%s_annotated.mp4", dir, clips[c]);
        EmoVideoSource *src = vtest_open(in, EMO_PIX_BGRA, NULL);
        EmoVideoInfo info;
        emo_video_info(src, &info);
        EmoVideoWriterSettings ws;
        emo_video_writer_default_settings(&ws);
        ws.path = out;
        ws.width = info.width;
        ws.height = info.height;
        ws.fps = info.fps;
        ws.time_base_num = info.time_base_num;
        ws.time_base_den = info.time_base_den;
        ws.preset = "ultrafast";
        EmoVideoWriter *w = NULL;
        assert_int_equal(emo_video_writer_open(&w, &ws), 0);
        EmoFrame *f;
        int err, n = 0;
        while ((err = emo_video_read(src, &f, -1)) == 0) {
            assert_int_equal(emo_video_writer_write(w, f), 0);
            n++;
            emo_frame_unref(&f);
        }
        assert_int_equal(err, EMO_EOF);
        assert_int_equal(emo_video_writer_frames(w), n);
        assert_int_equal(emo_video_writer_close(&w), 0);
        assert_null(w);
        emo_video_close(&src);

        double *pin = NULL, *pout = NULL;
        int n_in = vtest_ffprobe_pts(in, &pin);
        int n_out = vtest_ffprobe_pts(out, &pout);
        double dur_in = vtest_ffprobe_value(in, "stream=duration", 0);
        double dur_out = vtest_ffprobe_value(out, "stream=duration", 0);
        double max_diff = 0;
        for (int i = 0; i < n_in && i < n_out; i++)
            max_diff = fmax(max_diff, fabs((pout[i] - pout[0]) - (pin[i] - pin[0])));
        print_message("%s: in %d frames %.6f s, out %d frames %.6f s, max pts difference %.2e s\n", clips[c], n_in,
                      dur_in, n_out, dur_out, max_diff);
        assert_int_equal(n, n_in);
        assert_int_equal(n_out, n_in);
        assert_true(fabs(dur_out - dur_in) < 1e-3);
        assert_true(max_diff <= 1e-6);
        assert_int_equal((int)vtest_ffprobe_value(out, "stream=width", 0), info.width);
        free(pin);
        free(pout);
    }
}

/* Synthetic frames through the encoder and back through a source. */
static void test_writer_roundtrip(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("video-rt");
    char out[4096];
    snprintf(out, sizeof(out), "%s/rt.mp4", dir);
    const int W = 160, H = 120, N = 30;
    EmoVideoWriterSettings ws;
    emo_video_writer_default_settings(&ws);
    ws.path = out;
    ws.width = W;
    ws.height = H;
    ws.fps = 25;
    ws.crf = 10;
    ws.preset = "veryfast";
    EmoVideoWriter *w = NULL;
    assert_int_equal(emo_video_writer_open(&w, &ws), 0);
    EmoFrame *frames[30];
    for (int i = 0; i < N; i++) {
        assert_int_equal(emo_frame_alloc(&frames[i], EMO_PIX_BGRA, W, H), 0);
        fill_pattern(frames[i], i);
        frames[i]->pts = i / 25.0;
        frames[i]->index = i;
        assert_int_equal(emo_video_writer_write(w, frames[i]), 0);
    }
    /* A frame of the wrong size is refused; the file is still finalised. */
    EmoFrame *bad = NULL;
    assert_int_equal(emo_frame_alloc(&bad, EMO_PIX_BGRA, W / 2, H), 0);
    assert_int_equal(emo_video_writer_write(w, bad), EMO_EINVAL);
    emo_frame_unref(&bad);
    assert_int_equal(emo_video_writer_close(&w), 0);

    EmoVideoSource *src = vtest_open(out, EMO_PIX_BGRA, NULL);
    EmoVideoInfo info;
    emo_video_info(src, &info);
    assert_int_equal(info.width, W);
    assert_int_equal(info.height, H);
    assert_true(fabs(info.fps - 25) < 1e-9);
    EmoFrame *f;
    int n = 0, err;
    double worst = 99;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        assert_true(n < N);
        assert_true(fabs(f->pts - n / 25.0) < 1e-6);
        worst = fmin(worst, psnr_bgra(f, frames[n]));
        n++;
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, N);
    print_message("round trip: %d frames, worst PSNR %.1f dB (crf 10, 4:2:0)\n", n, worst);
    assert_true(worst > 30); /* chroma subsampling of sharp colour gradients limits it */
    emo_video_close(&src);
    for (int i = 0; i < N; i++)
        emo_frame_unref(&frames[i]);

    /* Bad settings and an unknown encoder are errors, not crashes. */
    ws.codec = "no_such_encoder";
    assert_int_equal(emo_video_writer_open(&w, &ws), EMO_EUNSUPPORTED);
    assert_null(w);
    ws.codec = "libx264";
    ws.fps = 0;
    assert_int_equal(emo_video_writer_open(&w, &ws), EMO_EINVAL);
    ws.fps = 25;
    ws.path = "/nonexistent-dir/x.mp4";
    assert_int_equal(emo_video_writer_open(&w, &ws), EMO_EIO);
    assert_null(w);
    assert_int_equal(emo_video_writer_close(&w), 0);
}

/* PNG stills written by emo_image_write_png, read back exactly through the
 * image sources: one image, a folder, a printf pattern and a glob. */
static void test_png_and_image_sources(void **state)
{
    (void)state;
    const char *tmp = emo_test_tmpdir("video-img");
    char dir[4096], path[8192];
    snprintf(dir, sizeof(dir), "%s", tmp);
    const int W = 64, H = 48, N = 5;
    EmoFrame *frames[5];
    for (int i = 0; i < N; i++) {
        assert_int_equal(emo_frame_alloc(&frames[i], EMO_PIX_BGRA, W, H), 0);
        fill_pattern(frames[i], i * 7);
        snprintf(path, sizeof(path), "%s/img%03d.png", dir, i + 1);
        assert_int_equal(emo_image_write_png(frames[i], path, NULL), 0);
    }
    /* A file of another kind in the folder is ignored. */
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("not an image\n", fp);
    fclose(fp);

    char sources[4][8192];
    snprintf(sources[0], sizeof(sources[0]), "%s", dir);
    snprintf(sources[1], sizeof(sources[1]), "%s/img%%03d.png", dir);
    snprintf(sources[2], sizeof(sources[2]), "%s/img*.png", dir);
    snprintf(sources[3], sizeof(sources[3]), "%s/img003.png", dir);
    for (int k = 0; k < 4; k++) {
        EmoVideoSourceSettings s;
        emo_video_default_settings(&s);
        s.source = sources[k];
        s.image_fps = 4;
        EmoVideoSource *src = NULL;
        assert_int_equal(emo_video_open(&src, &s), 0);
        EmoVideoInfo info;
        emo_video_info(src, &info);
        assert_int_equal(info.kind, k == 3 ? EMO_VIDEO_IMAGE : EMO_VIDEO_IMAGES);
        assert_int_equal(info.width, W);
        assert_int_equal(info.height, H);
        int expect = k == 3 ? 1 : N;
        assert_int_equal(info.frame_count, expect);
        EmoFrame *f;
        int n = 0, err;
        while ((err = emo_video_read(src, &f, -1)) == 0) {
            assert_true(n < expect);
            const EmoFrame *ref = frames[k == 3 ? 2 : n];
            assert_true(fabs(f->pts - n * 0.25) < 1e-12);
            assert_int_equal(f->index, n);
            for (int y = 0; y < H; y++)
                assert_memory_equal(f->data[0] + (size_t)y * f->stride[0],
                                    ref->data[0] + (size_t)y * ref->stride[0], (size_t)W * 4);
            n++;
            emo_frame_unref(&f);
        }
        assert_int_equal(err, EMO_EOF);
        assert_int_equal(n, expect);
        emo_video_close(&src);
    }

    /* A corrupt image in a folder is skipped; the others are delivered and the end says so. */
    snprintf(path, sizeof(path), "%s/img004.png", dir);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("\x89PNG\r\n\x1a\n garbage", fp);
    fclose(fp);
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = dir;
    s.log = &lg;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), 0);
    EmoFrame *f;
    int n = 0, err;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        n++;
        emo_frame_unref(&f);
    }
    assert_int_equal(n, N - 1);
    assert_int_equal(err, EMO_EFORMAT);
    assert_true(l.n_warnings >= 1);
    emo_video_close(&src);

    /* Gray stills stay gray and exact. */
    EmoFrame *g = NULL;
    assert_int_equal(emo_frame_alloc(&g, EMO_PIX_GRAY8, 33, 17), 0);
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 33; x++)
            g->data[0][(size_t)y * g->stride[0] + x] = (uint8_t)(x * 7 + y * 3);
    snprintf(path, sizeof(path), "%s/gray.png", dir);
    assert_int_equal(emo_image_write_png(g, path, NULL), 0);
    src = vtest_open(path, EMO_PIX_GRAY8, NULL);
    assert_int_equal(emo_video_read(src, &f, -1), 0);
    for (int y = 0; y < 17; y++)
        assert_memory_equal(f->data[0] + (size_t)y * f->stride[0], g->data[0] + (size_t)y * g->stride[0], 33);
    emo_frame_unref(&f);
    emo_video_close(&src);
    emo_frame_unref(&g);

    /* Empty folder and unwritable path: clear errors. */
    snprintf(path, sizeof(path), "%s/empty", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    s.source = path;
    assert_int_equal(emo_video_open(&src, &s), EMO_ENOENT);
    assert_non_null(strstr(l.last_error, "no image files"));
    assert_int_equal(emo_image_write_png(frames[0], "/nonexistent-dir/a.png", NULL), EMO_EIO);
    for (int i = 0; i < N; i++)
        emo_frame_unref(&frames[i]);
}

/* Conversion against the ffmpeg program's own (its filter graph with the
 * same scaler flags), on the first frame of a clip: BGRA through swscale,
 * GRAY8 through our own range table. */
static void test_convert_vs_ffmpeg(void **state)
{
    (void)state;
    const char *clip = emo_test_shared("testdata/video/d0.mp4");
    const char *dir = emo_test_tmpdir("video-conv");
    static const struct {
        EmoPixFmt fmt;
        const char *ff;
    } cases[] = { { EMO_PIX_BGRA, "bgra" }, { EMO_PIX_GRAY8, "gray" }, { EMO_PIX_RGB24, "rgb24" } };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char raw[4096], cmd[12288];
        snprintf(raw, sizeof(raw), "%s/f0.%s", dir, cases[c].ff);
        snprintf(cmd, sizeof(cmd),
                 "ffmpeg -nostdin -v error -y -i '%s' -frames:v 1 -sws_flags bilinear -pix_fmt %s -f rawvideo '%s'",
                 clip, cases[c].ff, raw);
        assert_int_equal(emo_test_system(cmd), 0);
        size_t size;
        uint8_t *ref = emo_test_read_file(raw, &size);
        EmoVideoSource *src = vtest_open(clip, cases[c].fmt, NULL);
        EmoFrame *f;
        assert_int_equal(emo_video_read(src, &f, -1), 0);
        size_t row = (size_t)f->width * (size_t)emo_pixfmt_bpp(cases[c].fmt);
        assert_int_equal(size, row * (size_t)f->height);
        double sum = 0;
        int maxd = 0;
        for (int y = 0; y < f->height; y++)
            for (size_t x = 0; x < row; x++) {
                int d = abs((int)f->data[0][(size_t)y * f->stride[0] + x] - (int)ref[(size_t)y * row + x]);
                sum += d;
                maxd = d > maxd ? d : maxd;
            }
        double mean = sum / ((double)row * f->height);
        print_message("%s vs ffmpeg: mean |diff| %.3f, max %d (8-bit levels)\n", cases[c].ff, mean, maxd);
        /* Same matrix (BT.601 for this untagged SD clip), same range: identical. */
        assert_true(mean < 0.01);
        assert_true(maxd <= 1);
        emo_frame_unref(&f);
        emo_video_close(&src);
        free(ref);
    }
}

int main(void)
{
    emo_video_ffmpeg_log_level(EMO_LOG_ERROR); /* x264 statistics would drown the test output */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passthrough_clips),
        cmocka_unit_test(test_writer_roundtrip),
        cmocka_unit_test(test_png_and_image_sources),
        cmocka_unit_test(test_convert_vs_ffmpeg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
