/* Network streams against a small HTTP server in the test: a whole stream
 * (every frame, time stamps as ffprobe reads the file), and a stream that
 * stalls half-way (frames so far, then a timeout: never a hang). */
#include "vtest.h"

#include "video/source_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct Server {
    int listen_fd, port;
    const unsigned char *data;
    size_t size, send_bytes;     /* bytes to send before stalling (size = all, then close) */
    int stop;                    /* atomic */
    pthread_t thread;
} Server;

static void *serve(void *arg)
{
    Server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char req[4096];
    ssize_t got = recv(fd, req, sizeof(req) - 1, 0); /* the request: not parsed, one resource */
    (void)got;
    /* With its length: FFmpeg 5.1 takes the end of a stream without one for a broken connection. */
    char hdr[256];
    int hn = snprintf(hdr, sizeof(hdr),
                      "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      s->size);
    ssize_t w = send(fd, hdr, (size_t)hn, MSG_NOSIGNAL);
    size_t off = 0;
    while (w >= 0 && off < s->send_bytes && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        size_t n = s->send_bytes - off < 16384 ? s->send_bytes - off : 16384;
        w = send(fd, s->data + off, n, MSG_NOSIGNAL);
        if (w > 0)
            off += (size_t)w;
    }
    while (s->send_bytes < s->size && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
        vtest_sleep(0.02); /* stalled: connection open, nothing sent */
    close(fd);
    return NULL;
}

static void server_start(Server *s, const unsigned char *data, size_t size, size_t send_bytes)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->size = size;
    s->send_bytes = send_bytes;
    s->listen_fd = emo_test_loopback_socket(4, &s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(Server *s)
{
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    shutdown(s->listen_fd, SHUT_RDWR); /* wakes accept() if nobody came */
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

/* d0 remuxed to MPEG-TS (a streaming container: no index, no seeks). */
static unsigned char *make_ts(size_t *size, char *path, size_t n)
{
    const char *dir = emo_test_tmpdir("video-stream");
    snprintf(path, n, "%s/d0.ts", dir);
    char cmd[12288];
    snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -y -i '%s' -c copy -f mpegts '%s'",
             emo_test_shared("testdata/video/d0.mp4"), path);
    assert_int_equal(emo_test_system(cmd), 0);
    return emo_test_read_file(path, size);
}

static void test_http_stream(void **state)
{
    (void)state;
    char path[4096];
    size_t size;
    unsigned char *ts = make_ts(&size, path, sizeof(path));
    double *ref = NULL;
    int n_ref = vtest_ffprobe_pts(path, &ref);

    Server srv;
    server_start(&srv, ts, size, size);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/d0.ts", srv.port);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = url;
    s.live = EMO_VIDEO_LIVE_NO; /* count every frame; the live policy is tested on files */
    s.pix_fmt = EMO_PIX_GRAY8;
    s.timeout = 5;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), 0);
    EmoVideoInfo info;
    emo_video_info(src, &info);
    assert_int_equal(info.kind, EMO_VIDEO_STREAM);
    assert_int_equal(info.width, 512);
    EmoFrame *f;
    int n = 0, err;
    double max_diff = 0;
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        if (n < n_ref)
            max_diff = fmax(max_diff, fabs(f->pts - (ref[n] - ref[0])));
        n++;
        emo_frame_unref(&f);
    }
    print_message("http stream: %d frames (ffprobe on the file: %d), max pts difference %.2e s, end %s\n", n, n_ref,
                  max_diff, emo_strerror(err));
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(n, n_ref);
    assert_true(max_diff <= 1e-6);
    emo_video_close(&src);
    server_stop(&srv);

    /* Auto policy: a stream is live. */
    server_start(&srv, ts, size, size);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/d0.ts", srv.port);
    s.live = EMO_VIDEO_LIVE_AUTO;
    assert_int_equal(emo_video_open(&src, &s), 0);
    emo_video_info(src, &info);
    assert_true(info.live);
    assert_int_equal(info.frame_count, 0);
    emo_video_close(&src); /* closing mid-stream: no hang */
    server_stop(&srv);
    free(ref);
    free(ts);
}

static void test_stalled_stream(void **state)
{
    (void)state;
    char path[4096];
    size_t size;
    unsigned char *ts = make_ts(&size, path, sizeof(path));
    Server srv;
    server_start(&srv, ts, size, size / 2);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/d0.ts", srv.port);
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = url;
    s.live = EMO_VIDEO_LIVE_NO;
    s.pix_fmt = EMO_PIX_GRAY8;
    s.timeout = 0.5;
    s.log = &lg;
    EmoVideoSource *src = NULL;
    assert_int_equal(emo_video_open(&src, &s), 0);
    EmoFrame *f;
    int n = 0, err;
    double t0 = emo_clock_now();
    while ((err = emo_video_read(src, &f, -1)) == 0) {
        n++;
        emo_frame_unref(&f);
    }
    double dt = emo_clock_now() - t0;
    print_message("stalled stream: %d frames, then %s after %.2f s: %s\n", n, emo_strerror(err), dt,
                  emo_video_error_message(src));
    assert_int_equal(err, EMO_ETIMEDOUT);
    assert_true(n > 10 && n < 78);
    assert_true(dt < 30);
    assert_non_null(strstr(emo_video_error_message(src), url));
    emo_video_close(&src);
    server_stop(&srv);
    free(ts);
}

/* The protocol option for the I/O timeout: for rtmp "timeout" means "listen
 * for an incoming connection", so rtmp gets only rw_timeout. */
static void test_timeout_option(void **state)
{
    (void)state;
    assert_null(emo__video_timeout_option("rtmp://127.0.0.1/live/x"));
    assert_null(emo__video_timeout_option("RTMP://example.org/live/x"));
    assert_null(emo__video_timeout_option("rtmps://example.org/live/x"));
    assert_null(emo__video_timeout_option("rtmpt://example.org/live/x"));
    assert_null(emo__video_timeout_option("rtmpte://example.org/live/x"));
    assert_string_equal(emo__video_timeout_option("http://127.0.0.1/d0.ts"), "timeout");
    assert_string_equal(emo__video_timeout_option("tcp://127.0.0.1:9"), "timeout");
    assert_string_equal(emo__video_timeout_option("udp://127.0.0.1:9"), "timeout");
    assert_string_equal(emo__video_timeout_option("rtsp://127.0.0.1/x"),
                        LIBAVFORMAT_VERSION_MAJOR < 59 ? "stimeout" : "timeout");
}

/* An rtmp:// source with no server fails at once with a clear error. With
 * "timeout" set, FFmpeg's rtmp protocol listened on that port instead, until
 * the source's own deadline cut it: EMO_ETIMEDOUT after the whole timeout. */
static void test_rtmp_refused(void **state)
{
    (void)state;
    char url[128];
    int port;
    close(emo_test_loopback_socket(0, &port)); /* a port on which nobody listens */
    snprintf(url, sizeof(url), "rtmp://127.0.0.1:%d/live/x", port);
    VLog l;
    EmoLogger lg = vlog_logger(&l);
    EmoVideoSourceSettings s;
    emo_video_default_settings(&s);
    s.source = url;
    s.timeout = 4;
    s.log = &lg;
    EmoVideoSource *src = NULL;
    double t0 = emo_clock_now();
    int err = emo_video_open(&src, &s);
    double dt = emo_clock_now() - t0;
    print_message("rtmp without a server: %s after %.2f s: %s\n", emo_strerror(err), dt, l.last_error);
    assert_null(src);
    assert_true(err < 0);
    assert_int_not_equal(err, EMO_ETIMEDOUT);
    assert_true(dt < 2.0);
    assert_non_null(strstr(l.last_error, url));
}

int main(void)
{
    emo_video_ffmpeg_log_level(EMO_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_stream),
        cmocka_unit_test(test_stalled_stream),
        cmocka_unit_test(test_timeout_option),
        cmocka_unit_test(test_rtmp_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
