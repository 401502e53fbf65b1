/* Video sources on the real sample clips: frame counts and time stamps
 * against ffprobe, broken inputs, missing devices, dead streams, stop. */
#include "vtest.h"

#include <emoscope/adapt.h>
#include <emoscope/config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const clips[] = { "d0", "d3", "d6", "d9", "d10", "d12" };

static void test_clips_match_ffprobe(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(clips) / sizeof(clips[0]); c++) {
        char rel[64], path[4096];
        snprintf(rel, sizeof(rel), "testdata/video/%s.mp4", clips[c]);
        snprintf(path, sizeof(path), "%s", emo_test_shared(rel));
        double *ref = NULL;
        int n_ref = vtest_ffprobe_pts(path, &ref);
        assert_true(n_ref > 10);

        /* YUV420P keeps the test quick under the sanitizers; the conversion
         * itself is checked in test_convert. */
        EmoVideoSource *src = vtest_open(path, EMO_PIX_YUV420P, NULL);
        EmoVideoInfo info;
        emo_video_info(src, &info);
        assert_int_equal(info.kind, EMO_VIDEO_FILE);
        assert_false(info.live);
        assert_int_equal(info.frame_count, n_ref);
        assert_true(info.fps > 24 && info.fps < 31);
        assert_true(fabs(info.duration - (ref[n_ref - 1] - ref[0] + 1.0 / info.fps)) < 0.05);
        int n = 0, err;
        EmoFrame *f;
        double max_diff = 0;
        while ((err = emo_video_read(src, &f, -1)) == 0) {
            assert_int_equal(f->index, n);
            assert_int_equal(f->fmt, EMO_PIX_YUV420P);
            assert_int_equal(f->width, info.width);
            if (n < n_ref) {
                double d = fabs(f->pts - (ref[n] - ref[0]));
                if (d > max_diff)
                    max_diff = d;
            }
            n++;
            emo_frame_unref(&f);
        }
        assert_int_equal(err, EMO_EOF);
        assert_int_equal(emo_video_read(src, &f, 0), EMO_EOF); /* the end status stays */
        EmoVideoStats st;
        emo_video_stats(src, &st);
        print_message("%s: %d frames (ffprobe %d), max |pts - ffprobe| = %.2e s, decode %.3f s, convert %.3f s\n",
                      clips[c], n, n_ref, max_diff, st.decode_seconds, st.convert_seconds);
        assert_true(st.decode_seconds > 0 && st.convert_seconds > 0);
        assert_int_equal(n, n_ref);
        assert_true(max_diff <= 1e-6);
        assert_int_equal(st.frames_decoded, n);
        assert_int_equal(st.frames_read, n);
        assert_int_equal(st.frames_dropped, 0);
        emo_video_close(&src);
        assert_null(src);
        free(ref);
    }
}

/* A faststart copy of d3 cut at 40%: every frame before the cut, then an error. */
static void test_truncated_file(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("video-trunc");
    char full[4096], cut[4096], cut_raw[4096], cmd[12288];
    snprintf(full, sizeof(full), "%s/d3_faststart.mp4", dir);
    snprintf(cut, sizeof(cut), "%s/d3_cut40.mp4", dir);
    snprintf(cut_raw, sizeof(cut_raw), "%s/d3_raw_cut40.mp4", dir);
    const char *d3 = emo_test_shared("testdata/video/d3.mp4");
    snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -y -i '%s' -c copy -movflags +faststart '%s'", d3, full);
    assert_int_equal(emo_test_system(cmd), 0);
    size_t size;
    unsigned char *bytes = emo_test_read_file(full, &size);
    FILE *fp = fopen(cut, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, size * 4 / 10, fp), size * 4 / 10);
    fclose(fp);
    free(bytes);

    double *ref = NULL;
    int n_ref = vtest_ffprobe_pts(full, &ref);
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSource *src = vtest_open(cut, EMO_PIX_BGRA, &lg);
    int n = 0, err, in_order = 1;
    double last = -1;
    EmoFrame *f;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        /* Each delivered frame is a real frame of the clip, in order. */
        int found = 0;
        for (int i = 0; i < n_ref && !found; i++)
            found = fabs(f->pts - (ref[i] - ref[0])) < 1e-6;
        assert_true(found);
        in_order &= f->pts > last;
        last = f->pts;
        n++;
        emo_frame_unref(&f);
    }
    print_message("cut at 40%%: %d of %d frames delivered, then %s: %s\n", n, n_ref, emo_strerror(err),
                  emo_video_error_message(src));
    assert_true(in_order);
    assert_true(err == EMO_EFORMAT || err == EMO_EIO);
    assert_true(n >= n_ref / 3); /* 40% of the bytes hold well over a third of the frames */
    assert_true(n < n_ref);
    assert_non_null(strstr(emo_video_error_message(src), "d3_cut40.mp4"));
    emo_video_close(&src);

    /* Garbage over 3000 bytes in the middle of the media data: the frames
     * before it, then EMO_EFORMAT (the decoder rejects the damaged packet). */
    char mid[4096];
    snprintf(mid, sizeof(mid), "%s/d3_mid.mp4", dir);
    bytes = emo_test_read_file(full, &size);
    uint32_t x = 99;
    for (size_t i = size / 2; i < size / 2 + 3000; i++) {
        x = x * 1664525u + 1013904223u;
        bytes[i] = (unsigned char)(x >> 24);
    }
    fp = fopen(mid, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, size, fp), size);
    fclose(fp);
    free(bytes);
    src = vtest_open(mid, EMO_PIX_GRAY8, &lg);
    n = 0;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        assert_int_equal(f->index, n);
        n++;
        emo_frame_unref(&f);
    }
    print_message("damaged middle: %d of %d frames delivered, then %s: %s\n", n, n_ref, emo_strerror(err),
                  emo_video_error_message(src));
    assert_int_equal(err, EMO_EFORMAT);
    assert_true(n > n_ref / 4 && n < n_ref);
    emo_video_close(&src);

    /* The original layout keeps its index (moov) at the end: a cut copy has
     * none and cannot be opened at all; the error says so. */
    bytes = emo_test_read_file(d3, &size);
    fp = fopen(cut_raw, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, size * 4 / 10, fp), size * 4 / 10);
    fclose(fp);
    free(bytes);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = cut_raw;
    s.log = &lg;
    free(ref);
    assert_int_equal(emo_video_open(&src, &s), EMO_EFORMAT);
    assert_null(src);
    assert_non_null(strstr(l.last_error, "truncated"));
    assert_non_null(strstr(l.last_error, "d3_raw_cut40.mp4"));
}

static void test_random_bytes(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("video-random");
    char path[4096];
    snprintf(path, sizeof(path), "%s/random.mp4", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint32_t x = 12345;
    for (int i = 0; i < 256 * 1024; i++) {
        x = x * 1664525u + 1013904223u;
        fputc((int)(x >> 24), fp);
    }
    fclose(fp);
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = path;
    s.log = &lg;
    EmoVideoSource *src = (EmoVideoSource *)&s; /* must be reset to NULL */
    assert_int_equal(emo_video_open(&src, &s), EMO_EFORMAT);
    assert_null(src);
    print_message("random bytes: %s\n", l.last_error);
    assert_non_null(strstr(l.last_error, "random.mp4"));
    assert_non_null(strstr(l.last_error, "not a readable video"));

    /* Missing file: ENOENT, named. */
    s.source = "/nonexistent/clip.mp4";
    assert_int_equal(emo_video_open(&src, &s), EMO_ENOENT);
    assert_non_null(strstr(l.last_error, "/nonexistent/clip.mp4"));
}

static void test_missing_camera(void **state)
{
    (void)state;
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = "/dev/video99";
    s.log = &lg;
    assert_int_equal(emo_video_classify(s.source), EMO_VIDEO_CAMERA);
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), EMO_ENODEV);
    assert_null(src);
    print_message("missing camera: %s\n", l.last_error);
    assert_non_null(strstr(l.last_error, "/dev/video99"));
    assert_non_null(strstr(l.last_error, "no such device"));
}

/* A server that accepts the connection but never answers: the open gives
 * up after the timeout instead of hanging. */
static void test_dead_stream(void **state)
{
    (void)state;
    int port;
    int fd = emo_test_loopback_socket(4, &port); /* the kernel completes the handshake; nobody reads */
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/live.mp4", port);

    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = url;
    s.timeout = 0.5;
    s.log = &lg;
    assert_int_equal(emo_video_classify(url), EMO_VIDEO_STREAM);
    EmoVideoSource *src = NULL;
    double t0 = emo_clock_now();
    int err = emo_video_open(&src, &s);
    double dt = emo_clock_now() - t0;
    print_message("dead stream: %s after %.2f s: %s\n", emo_strerror(err), dt, l.last_error);
    assert_int_equal(err, EMO_ETIMEDOUT);
    assert_null(src);
    assert_true(dt < 30); /* a generous bound: the point is that it returns */
    assert_non_null(strstr(l.last_error, url));
    close(fd);

    /* Nobody listening: a network error at once. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/live.mp4", port);
    assert_int_equal(emo_video_open(&src, &s), EMO_ENET);
}

/* Live policy on a real clip: the capture thread never waits, the queue
 * keeps the newest frames and counts the rest as dropped. */
static void test_live_drops_oldest(void **state)
{
    (void)state;
    const char *clip = emo_test_shared("testdata/video/d0.mp4");
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = clip;
    s.live = EMO_VIDEO_LIVE_YES;
    s.queue_size = 3;
    s.pix_fmt = EMO_PIX_GRAY8;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), 0);
    EmoVideoInfo info;
    emo_video_info(src, &info);
    assert_true(info.live);
    /* Let the capture thread run to the end without the consumer. */
    EmoVideoStats st;
    for (int i = 0; i < 3000; i++) {
        emo_video_stats(src, &st);
        if (st.frames_decoded == 78)
            break;
        vtest_sleep(0.01);
    }
    assert_int_equal(st.frames_decoded, 78);
    vtest_sleep(0.05);
    EmoFrame *f;
    int64_t idx[8];
    int n = 0, err;
    while ((err = emo_video_read(src, &f, 5)) == 0) {
        assert_true(n < 8);
        idx[n++] = f->index;
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, 3);
    assert_int_equal(idx[0], 75);
    assert_int_equal(idx[1], 76);
    assert_int_equal(idx[2], 77);
    emo_video_stats(src, &st);
    assert_int_equal(st.frames_dropped, 75);
    assert_int_equal(st.frames_read + st.frames_dropped, st.frames_decoded);
    emo_video_close(&src);

    /* read_latest: the newest frame, older ones counted as dropped. */
    assert_int_equal(emo_video_open(&src, &s), 0);
    for (int i = 0; i < 3000; i++) {
        emo_video_stats(src, &st);
        if (st.frames_decoded == 78)
            break;
        vtest_sleep(0.01);
    }
    vtest_sleep(0.05);
    assert_int_equal(emo_video_read_latest(src, &f, 5), 0);
    assert_int_equal(f->index, 77);
    emo_frame_unref(&f);
    assert_int_equal(emo_video_read(src, &f, 5), EMO_EOF);
    emo_video_stats(src, &st);
    assert_int_equal(st.frames_dropped, 77);
    emo_video_close(&src);
}

/* Files never drop: a consumer slower than the decoder still sees every frame. */
static void test_file_blocks(void **state)
{
    (void)state;
    const char *clip = emo_test_shared("testdata/video/d0.mp4");
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = clip;
    s.queue_size = 2;
    s.pix_fmt = EMO_PIX_GRAY8;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), 0);
    vtest_sleep(0.2); /* the decoder fills the queue and waits */
    EmoFrame *f;
    int n = 0, err;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        assert_int_equal(f->index, n);
        n++;
        if (n % 20 == 0)
            vtest_sleep(0.02);
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, 78);
    EmoVideoStats st;
    emo_video_stats(src, &st);
    assert_int_equal(st.frames_dropped, 0);
    emo_video_close(&src);
}

/* max_frames, loop, stop and close while the capture thread waits. */
static void test_stop_loop_max(void **state)
{
    (void)state;
    const char *clip = emo_test_shared("testdata/video/d0.mp4");
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = clip;
    s.pix_fmt = EMO_PIX_GRAY8;
    s.max_frames = 10;
    EmoVideoSource *src = NULL;
    EmoFrame *f;
    int n = 0, err;
    assert_int_equal(emo_video_open(&src, &s), 0);
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        n++;
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, 10);
    emo_video_close(&src);

    /* Looping: 78 frames, then the clip again with time stamps going on. */
    s.max_frames = 100;
    s.loop = 1;
    assert_int_equal(emo_video_open(&src, &s), 0);
    n = 0;
    double last = -1;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        assert_true(f->pts > last);
        assert_true(fabs(f->pts - f->index * 0.04) < 1e-6);
        last = f->pts;
        n++;
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, 100);
    emo_video_close(&src);

    /* Stop: reads end with EMO_EINTR soon after. */
    s.max_frames = 0;
    s.loop = 1;
    assert_int_equal(emo_video_open(&src, &s), 0);
    assert_int_equal(emo_video_read(src, &f, -1), 0);
    emo_frame_unref(&f);
    emo_video_stop(src);
    n = 0;
    while ((err = emo_video_read(src, &f, 5)) == 0) {
        n++;
        emo_frame_unref(&f);
    }
    assert_int_equal(err, EMO_EINTR);
    assert_true(n <= 12); /* what was in flight: queue, decoded frames awaiting conversion */
    emo_video_close(&src);

    /* Close while the capture thread is blocked on a full queue, with a frame still held. */
    s.loop = 0;
    assert_int_equal(emo_video_open(&src, &s), 0);
    assert_int_equal(emo_video_read(src, &f, -1), 0);
    vtest_sleep(0.1);
    emo_video_close(&src);
    assert_null(src);
    assert_int_equal(emo_frame_refcount(f), 1);
    assert_true(f->data[0][0] <= 255);
    emo_frame_unref(&f);
    emo_video_close(&src); /* NULL: no-op */
}

static void test_settings(void **state)
{
    (void)state;
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    assert_int_equal(emo_video_settings_from_config(&s, &cfg.video), 0);
    assert_int_equal(s.pix_fmt, EMO_PIX_BGRA);
    assert_int_equal(s.width, 1920);
    assert_int_equal(s.height, 1080);
    assert_true(s.fps == 60);
    assert_string_equal(s.input_format, "mjpeg");
    assert_int_equal(s.live, EMO_VIDEO_LIVE_AUTO);
    assert_int_equal(s.decode_threads, 0);
    assert_int_equal(emo_config_set(&cfg, "video.pix_fmt=yuv420p", NULL), 0);
    assert_int_equal(emo_config_set(&cfg, "video.decode_threads=1", NULL), 0);
    assert_int_equal(emo_video_settings_from_config(&s, &cfg.video), 0);
    assert_int_equal(s.pix_fmt, EMO_PIX_YUV420P);
    assert_int_equal(s.decode_threads, 1);
    assert_int_equal(emo_config_set(&cfg, "video.pix_fmt=nv12", NULL), 0);
    assert_int_equal(emo_video_settings_from_config(&s, &cfg.video), EMO_EINVAL);
    emo_config_clear(&cfg);

    assert_int_equal(emo_video_classify("rtsp://cam.local/stream"), EMO_VIDEO_STREAM);
    assert_int_equal(emo_video_classify("https://example.org/a.mp4"), EMO_VIDEO_STREAM);
    assert_int_equal(emo_video_classify("/dev/video0"), EMO_VIDEO_CAMERA);
    assert_int_equal(emo_video_classify("/tmp/none/img%04d.png"), EMO_VIDEO_IMAGES);
    assert_int_equal(emo_video_classify("/tmp/none/*.jpg"), EMO_VIDEO_IMAGES);
    assert_int_equal(emo_video_classify("/tmp/none/face.JPG"), EMO_VIDEO_IMAGE);
    assert_int_equal(emo_video_classify("/tmp/none/clip.mkv"), EMO_VIDEO_FILE);
    /* A pattern with anything but one integer conversion is not a pattern. */
    assert_int_equal(emo_video_classify("/tmp/none/img%s.mkv"), EMO_VIDEO_FILE);

    s.source = emo_test_shared("testdata/video/d0.mp4");
    s.pix_fmt = EMO_PIX_NONE;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), EMO_EINVAL);
    s.pix_fmt = EMO_PIX_BGRA;
    s.queue_size = 0;
    assert_int_equal(emo_video_open(&src, &s), EMO_EINVAL);
    assert_null(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_clips_match_ffprobe),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_missing_camera),
        cmocka_unit_test(test_dead_stream),
        cmocka_unit_test(test_live_drops_oldest),
        cmocka_unit_test(test_file_blocks),
        cmocka_unit_test(test_stop_loop_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
