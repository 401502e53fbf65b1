/* Online API client against a local HTTP server (libmicrohttpd on
 * 127.0.0.1, random port) that answers correctly, slowly, with HTTP 500,
 * with garbage, with a huge body, or not at all (connection refused). */
#define _GNU_SOURCE
#include "testutil.h"

#include <emoscope/adapt.h>
#include <emoscope/config.h>
#include <emoscope/emotion.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef EMO_HAVE_MHD
#include <microhttpd.h>
#endif

/* Swallows expected error messages. */
static void drop_log(void *ud, EmoLogLevel level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

#define KEY "sekret-KEY-4242"

static void test_parse(void **state)
{
    (void)state;
    float p[EMO_EMOTION_COUNT];
    char err[160];
    const char *ok = "{\"Happiness\": 0.6, \"surprised\": 0.2, \"ANGER\": 0.2, \"contempt\": 0.5}";
    assert_int_equal(emo_api_parse_response(ok, strlen(ok), p, err, sizeof(err)), 0);
    assert_float_equal(p[EMO_EMOTION_HAPPY], 0.6f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_SURPRISE], 0.2f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_ANGRY], 0.2f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_NEUTRAL], 0.0f, 0); /* missing: 0 */
    /* Percentages, nested one level: renormalised. */
    const char *pct = "{\"id\": 3, \"emotions\": {\"happy\": 30, \"sad\": 10, \"neutral\": 60}}";
    assert_int_equal(emo_api_parse_response(pct, strlen(pct), p, err, sizeof(err)), 0);
    assert_float_equal(p[EMO_EMOTION_HAPPY], 0.3f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_NEUTRAL], 0.6f, 1e-6);
    const char *bad[] = {
        "garbage", "[1,2]", "{\"happy\": -1, \"sad\": 2}", "{\"foo\": 1}", "{\"happy\": 0, \"sad\": 0}",
        "{\"happy\": \"high\"}", "{\"happy\": 0.5", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(emo_api_parse_response(bad[i], strlen(bad[i]), p, err, sizeof(err)), EMO_EFORMAT);
        assert_true(err[0] != 0);
    }
}

#ifdef EMO_HAVE_MHD
enum { MODE_OK, MODE_SLOW, MODE_500, MODE_GARBAGE, MODE_HUGE };

typedef struct Server {
    struct MHD_Daemon *d;
    int port;
    atomic_int mode, stopping, hits;
    pthread_mutex_t mu;
    char key_seen[128];
    char ctype_seen[128];
    int body_ok; /* JSON with a base64 JPEG, or multipart with a PNG */
} Server;

typedef struct Req {
    char *buf;
    size_t len, cap;
} Req;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *size, void **con_cls)
{
    Server *s = cls;
    Req *r = *con_cls;
    if (!r) {
        *con_cls = calloc(1, sizeof(Req));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        if (r->len + *size + 1 > r->cap) {
            size_t cap = (r->len + *size + 1) * 2;
            char *b = realloc(r->buf, cap);
            if (!b)
                return MHD_NO;
            r->buf = b;
            r->cap = cap;
        }
        memcpy(r->buf + r->len, data, *size);
        r->len += *size;
        r->buf[r->len] = 0;
        *size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&s->hits, 1);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    int body_ok = 0;
    if (r->buf && ct && !strcmp(ct, "application/json"))
        body_ok = !strncmp(r->buf, "{\"format\":\"jpeg\",\"image\":\"/9j/", 30); /* base64 of FF D8 FF */
    else if (r->buf && ct && !strncmp(ct, "multipart/form-data", 19))
        body_ok = strstr(r->buf, "name=\"image\"") && strstr(r->buf, "Content-Type: image/png") &&
                  r->len > 100 && memmem(r->buf, r->len, "\x89PNG\r\n\x1a\n", 8);
    pthread_mutex_lock(&s->mu);
    snprintf(s->key_seen, sizeof(s->key_seen), "%s", key ? key : "");
    snprintf(s->ctype_seen, sizeof(s->ctype_seen), "%s", ct ? ct : "");
    s->body_ok = body_ok;
    pthread_mutex_unlock(&s->mu);

    int mode = atomic_load(&s->mode);
    const char *text = "{\"Happiness\": 0.6, \"surprised\": 0.2, \"anger\": 0.2}";
    unsigned code = MHD_HTTP_OK;
    char *huge = NULL;
    if (mode == MODE_SLOW) {
        for (int i = 0; i < 150 && !atomic_load(&s->stopping); i++)
            usleep(10000);
    } else if (mode == MODE_500) {
        code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        text = "{\"error\": \"boom\"}";
    } else if (mode == MODE_GARBAGE) {
        text = "<html>this is not JSON</html>";
    } else if (mode == MODE_HUGE) {
        /* Valid JSON, but 200 KiB: over the 64 KiB bound. */
        size_t n = 200 * 1024;
        huge = malloc(n + 1);
        if (huge) {
            memset(huge, ' ', n);
            memcpy(huge, "{\"happy\": 1", 11);
            huge[n - 1] = '}';
            huge[n] = 0;
            text = huge;
        }
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    free(huge);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    Req *r = *con_cls;
    if (r) {
        free(r->buf);
        free(r);
        *con_cls = NULL;
    }
}

static void server_start(Server *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                            handler, s, MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_SOCK_ADDR,
                            NULL, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
    assert_true(s->port > 0);
}

static void server_stop(Server *s)
{
    atomic_store(&s->stopping, 1);
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
}

/* Captured log: the key must never appear in it. */
typedef struct Capture {
    pthread_mutex_t mu;
    char text[32768];
    size_t len;
} Capture;

static void capture_fn(void *ud, EmoLogLevel level, const char *msg)
{
    Capture *c = ud;
    pthread_mutex_lock(&c->mu);
    int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%d %s\n", (int)level, msg);
    if (n > 0 && c->len + (size_t)n < sizeof(c->text))
        c->len += (size_t)n;
    pthread_mutex_unlock(&c->mu);
}

static int log_contains(Capture *c, const char *s)
{
    pthread_mutex_lock(&c->mu);
    int r = strstr(c->text, s) != NULL;
    pthread_mutex_unlock(&c->mu);
    return r;
}

static uint8_t face[64 * 64];
static const EmoImage face_img = { face, 64, 64, 64, EMO_PIX_GRAY8 };

/* Submits the face every 20 ms until emo_api_result says ok (want_ok) or
 * not, or until limit seconds; returns 1 when reached. Each submit must be
 * quick: it never waits for the network. */
static int pump_until(EmoApiClient *a, int want_ok, double limit, double *max_submit)
{
    double t0 = emo_clock_now();
    while (emo_clock_now() - t0 < limit) {
        double s0 = emo_clock_now();
        assert_int_equal(emo_api_submit(a, &face_img, 7), 0);
        double ds = emo_clock_now() - s0;
        if (ds > *max_submit)
            *max_submit = ds;
        float p[EMO_EMOTION_COUNT];
        double age;
        int id;
        int rc = emo_api_result(a, p, &age, &id);
        if ((rc == 0) == want_ok)
            return 1;
        usleep(20000);
    }
    return 0;
}

static void open_client(EmoApiClient **a, int port, Capture *cap, EmoLogger *lg, EmoApiFormat fmt,
                        EmoApiImage im)
{
    lg->fn = capture_fn;
    lg->userdata = cap;
    lg->level = EMO_LOG_DEBUG;
    EmoApiClientSettings s;
    emo_api_default_settings(&s);
    snprintf(s.url, sizeof(s.url), "http://127.0.0.1:%d/emotion", port);
    snprintf(s.key, sizeof(s.key), "%s", KEY);
    s.format = fmt;
    s.image = im;
    s.interval = 0.05;
    s.timeout = 0.4;
    s.backoff_max = 0.4;
    s.log = lg;
    assert_int_equal(emo_api_open(a, &s), 0);
}
#endif

static void test_server(void **state)
{
    (void)state;
#ifndef EMO_HAVE_MHD
    print_error("libmicrohttpd not found at configure time: the API server test cannot run\n");
    skip();
#else
    for (int i = 0; i < 64 * 64; i++)
        face[i] = (uint8_t)((i * 37) ^ (i >> 6));
    Server srv;
    server_start(&srv);
    static Capture cap = { .mu = PTHREAD_MUTEX_INITIALIZER };
    EmoLogger lg;
    EmoApiClient *a;
    open_client(&a, srv.port, &cap, &lg, EMO_API_JSON, EMO_API_JPEG);
    double max_submit = 0;
    float p[EMO_EMOTION_COUNT];
    double age;
    int id;
    assert_int_equal(emo_api_result(a, p, &age, &id), EMO_EAGAIN); /* nothing yet */

    /* Correct answers: labels by synonym, in canonical order. */
    atomic_store(&srv.mode, MODE_OK);
    assert_true(pump_until(a, 1, 5, &max_submit));
    assert_int_equal(emo_api_result(a, p, &age, &id), 0);
    assert_float_equal(p[EMO_EMOTION_HAPPY], 0.6f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_SURPRISE], 0.2f, 1e-6);
    assert_float_equal(p[EMO_EMOTION_ANGRY], 0.2f, 1e-6);
    assert_int_equal(id, 7);
    assert_true(age >= 0 && age < 5);
    pthread_mutex_lock(&srv.mu);
    assert_string_equal(srv.key_seen, KEY);
    assert_string_equal(srv.ctype_seen, "application/json");
    assert_true(srv.body_ok);
    pthread_mutex_unlock(&srv.mu);

    /* HTTP 500: out of the fusion with the reason logged ... */
    atomic_store(&srv.mode, MODE_500);
    assert_true(pump_until(a, 0, 5, &max_submit));
    EmoApiStats st;
    emo_api_stats(a, &st);
    assert_false(st.online);
    if (!strstr(st.last_error, "HTTP status 500"))
        fail_msg("last error: %s", st.last_error);
    assert_true(log_contains(&cap, "HTTP status 500"));
    /* ... with back-off: several failures in a row, the log says when it retries. */
    double t0 = emo_clock_now();
    while (emo_clock_now() - t0 < 5) {
        emo_api_stats(a, &st);
        if (st.consecutive_failures >= 3)
            break;
        assert_int_equal(emo_api_submit(a, &face_img, 7), 0);
        usleep(20000);
    }
    assert_true(st.consecutive_failures >= 3);
    assert_true(log_contains(&cap, "retry in"));
    /* ... and back after recovery. */
    atomic_store(&srv.mode, MODE_OK);
    assert_true(pump_until(a, 1, 5, &max_submit));
    assert_true(log_contains(&cap, "answers again"));

    atomic_store(&srv.mode, MODE_GARBAGE);
    assert_true(pump_until(a, 0, 5, &max_submit));
    emo_api_stats(a, &st);
    assert_non_null(strstr(st.last_error, "JSON"));
    atomic_store(&srv.mode, MODE_OK);
    assert_true(pump_until(a, 1, 5, &max_submit));

    atomic_store(&srv.mode, MODE_HUGE);
    assert_true(pump_until(a, 0, 5, &max_submit));
    emo_api_stats(a, &st);
    assert_non_null(strstr(st.last_error, "larger than"));
    atomic_store(&srv.mode, MODE_OK);
    assert_true(pump_until(a, 1, 5, &max_submit));

    /* Slow server (1.5 s, beyond the 0.4 s timeout): submit stays quick
     * while requests hang, and the API drops out with a time-out. */
    atomic_store(&srv.mode, MODE_SLOW);
    assert_true(pump_until(a, 0, 5, &max_submit));
    emo_api_stats(a, &st);
    assert_non_null(strstr(st.last_error, "timed out"));
    atomic_store(&srv.mode, MODE_OK);
    assert_true(pump_until(a, 1, 8, &max_submit));
    print_message("longest submit: %.3f ms\n", max_submit * 1e3);
    assert_true(max_submit < 0.050);
    emo_api_close(&a);
    assert_null(a);

    /* Multipart with a PNG. */
    open_client(&a, srv.port, &cap, &lg, EMO_API_MULTIPART, EMO_API_PNG);
    assert_true(pump_until(a, 1, 5, &max_submit));
    pthread_mutex_lock(&srv.mu);
    assert_int_equal(strncmp(srv.ctype_seen, "multipart/form-data", 19), 0);
    assert_true(srv.body_ok);
    assert_string_equal(srv.key_seen, KEY);
    pthread_mutex_unlock(&srv.mu);
    /* Closing in the middle of a slow request aborts it promptly. */
    atomic_store(&srv.mode, MODE_SLOW);
    assert_int_equal(emo_api_submit(a, &face_img, 1), 0);
    usleep(100000);
    emo_api_close(&a);
    server_stop(&srv);

    /* Connection refused: a port that was just free. */
    int refused_port;
    close(emo_test_loopback_socket(0, &refused_port));
    open_client(&a, refused_port, &cap, &lg, EMO_API_JSON, EMO_API_JPEG);
    t0 = emo_clock_now();
    do {
        assert_int_equal(emo_api_submit(a, &face_img, 2), 0);
        usleep(20000);
        emo_api_stats(a, &st);
    } while (st.failures < 2 && emo_clock_now() - t0 < 5);
    assert_true(st.failures >= 2);
    assert_int_equal(st.successes, 0);
    assert_int_equal(emo_api_result(a, p, &age, &id), EMO_EAGAIN);
    assert_true(log_contains(&cap, "onnect")); /* "Couldn't connect to server" */
    emo_api_close(&a);

    /* The key never reached the log. */
    assert_false(log_contains(&cap, KEY));
    assert_false(log_contains(&cap, "sekret"));
#endif
}

/* The API inside the ensemble: in the fusion while it answers, out (and
 * the local model alone) while it fails. */
static void test_in_ensemble(void **state)
{
    (void)state;
#ifndef EMO_HAVE_MHD
    print_error("libmicrohttpd not found at configure time: the API server test cannot run\n");
    skip();
#else
    Server srv;
    server_start(&srv);
    atomic_store(&srv.mode, MODE_OK);
    static Capture cap = { .mu = PTHREAD_MUTEX_INITIALIZER };
    EmoLogger lg = { capture_fn, &cap, EMO_LOG_DEBUG };
    EmoConfig cfg;
    emo_config_defaults(&cfg);
    char dir[1024], set[256];
    snprintf(dir, sizeof(dir), "%s", emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"));
    *strrchr(dir, '/') = 0;
    snprintf(set, sizeof(set), "api.url=http://127.0.0.1:%d/x", srv.port);
    assert_int_equal(emo_config_set(&cfg, set, &lg), 0);
    assert_int_equal(emo_config_set(&cfg, "api.enabled=true", &lg), 0);
    assert_int_equal(emo_config_set(&cfg, "api.interval=0.05", &lg), 0);
    assert_int_equal(emo_config_set(&cfg, "api.timeout=0.4", &lg), 0);
    assert_int_equal(emo_config_set(&cfg, "api.weight=0.4", &lg), 0);
    EmoEnsembleSettings *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(emo_ensemble_settings_from_config(s, &cfg, dir, "mini_xception", &lg), 0);
    s->api.backoff_max = 0.3;
    EmoEnsemble *e;
    assert_int_equal(emo_ensemble_open(&e, s), 0);
    for (int i = 0; i < 64 * 64; i++)
        face[i] = (uint8_t)(100 + (i % 64));
    EmoEmotionResult r;
    double t0 = emo_clock_now(), t = 0;
    do {
        assert_int_equal(emo_ensemble_analyze(e, 1, t += 0.02, &face_img, &r), 0);
        usleep(20000);
    } while (!r.available[1] && emo_clock_now() - t0 < 5);
    assert_int_equal(r.n_models, 2);
    assert_string_equal(r.model_names[1], "api");
    assert_true(r.available[0] && r.available[1]);
    assert_true(r.api_age >= 0);
    assert_float_equal(r.model_probs[1][EMO_EMOTION_HAPPY], 0.6f, 1e-6);
    /* Weights 0.3 (mini, its default) and 0.4 (API), renormalised over both. */
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        assert_float_equal(r.fused[k], (0.3f * r.model_probs[0][k] + 0.4f * r.model_probs[1][k]) / 0.7f, 1e-5);
    atomic_store(&srv.mode, MODE_500);
    t0 = emo_clock_now();
    do {
        assert_int_equal(emo_ensemble_analyze(e, 1, t += 0.02, &face_img, &r), 0);
        usleep(20000);
    } while (r.available[1] && emo_clock_now() - t0 < 5);
    assert_false(r.available[1]);
    assert_float_equal(r.api_age, -1, 0);
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        assert_float_equal(r.fused[k], r.model_probs[0][k], 1e-6); /* the local model alone */
    emo_ensemble_close(&e);
    server_stop(&srv);
    free(s);
    emo_config_clear(&cfg);
#endif
}

static void test_settings(void **state)
{
    (void)state;
    const EmoLogger quiet = { drop_log, NULL, EMO_LOG_DEBUG };
    EmoApiClientSettings s;
    EmoApiClient *a = (EmoApiClient *)1;
    emo_api_default_settings(&s);
    s.log = &quiet;
    assert_int_equal(emo_api_open(&a, &s), EMO_EINVAL); /* no URL */
    assert_null(a);
    snprintf(s.url, sizeof(s.url), "ftp://example.org/");
    assert_int_equal(emo_api_open(&a, &s), EMO_EINVAL);
    snprintf(s.url, sizeof(s.url), "http://127.0.0.1:9/");
    snprintf(s.key, sizeof(s.key), "a\r\nX-Injected: 1");
    assert_int_equal(emo_api_open(&a, &s), EMO_EINVAL);

    EmoConfig cfg;
    emo_config_defaults(&cfg);
    setenv("EMO_TEST_API_KEY", "from-env", 1);
    snprintf(cfg.api.key_env, sizeof(cfg.api.key_env), "EMO_TEST_API_KEY");
    snprintf(cfg.api.format, sizeof(cfg.api.format), "multipart");
    snprintf(cfg.api.image, sizeof(cfg.api.image), "png");
    assert_int_equal(emo_api_settings_from_config(&s, &cfg, &quiet), 0);
    assert_string_equal(s.key, "from-env");
    assert_int_equal(s.format, EMO_API_MULTIPART);
    assert_int_equal(s.image, EMO_API_PNG);
    assert_float_equal(s.interval, 0.3, 0);
    assert_float_equal(s.timeout, 2.0, 0);
    assert_int_equal(s.verify_tls, 1);
    snprintf(cfg.api.format, sizeof(cfg.api.format), "xml");
    assert_int_equal(emo_api_settings_from_config(&s, &cfg, &quiet), EMO_EINVAL);
    emo_config_clear(&cfg);

    /* Submitting a crop over max_side is refused, not truncated. */
    emo_api_default_settings(&s);
    s.log = &quiet;
    snprintf(s.url, sizeof(s.url), "http://127.0.0.1:9/");
    s.max_side = 32;
    assert_int_equal(emo_api_open(&a, &s), 0);
    static uint8_t big[40 * 40];
    EmoImage im = { big, 40, 40, 40, EMO_PIX_GRAY8 };
    assert_int_equal(emo_api_submit(a, &im, 0), EMO_EINVAL);
    emo_api_close(&a);
    emo_api_close(&a); /* NULL: no-op */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_in_ensemble),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
