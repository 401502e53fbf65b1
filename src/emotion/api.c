/* Online emotion API: one request thread, newest crop only, back-off on
 * failure. The key is only ever put in a request header. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/emotion.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libavcodec/avcodec.h>

#include "core/thread.h"
#include "emotion/image.h"

struct EmoApiClient {
    EmoApiClientSettings s;
    char log_url[200];          /* URL without its query string, for messages */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mu_init, cv_init, curl_global;
    atomic_int stop;

    /* Guarded by mu. */
    uint8_t *pend;              /* newest crop, packed, 1 or 3 channels */
    int pend_w, pend_h, pend_c, pend_face, has_pend;
    float probs[EMO_EMOTION_COUNT];
    double result_time;
    int result_face, result_valid;
    EmoApiStats st;
    double next_start;

    /* Request thread only. */
    uint8_t *work;
    int work_w, work_h, work_c, work_face;
    CURL *curl;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    char *resp;
    size_t resp_len;
    int resp_overflow;
    char *body;
    size_t body_cap;
    AVCodecContext *enc;
    int enc_w, enc_h, enc_c;
    int64_t enc_pts;
    AVFrame *frame;
    AVPacket *pkt;
};

void emo_api_default_settings(EmoApiClientSettings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->key_header, sizeof(s->key_header), "X-API-Key");
    s->format = EMO_API_JSON;
    s->image = EMO_API_JPEG;
    s->interval = 0.3;
    s->timeout = 2.0;
    s->backoff_max = 30;
    s->verify_tls = 1;
    s->max_response = 64 * 1024;
    s->max_side = 512;
}

/* ---------------------------------------------------------------------- */
int emo_api_parse_response(const char *body, size_t len, float probs[EMO_EMOTION_COUNT], char *err, size_t err_n)
{
    double acc[EMO_EMOTION_COUNT] = { 0 };
    int rc = EMO_EFORMAT, known = 0;
    if (!body || !probs) {
        snprintf(err, err_n, "no body");
        return EMO_EINVAL;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root || !cJSON_IsObject(root)) {
        snprintf(err, err_n, root ? "answer is not a JSON object" : "answer is not valid JSON");
        goto done;
    }
    /* The object itself, or the first member object naming known labels
     * ({"emotions": {...}}, {"result": {...}}). */
    const cJSON *obj = root;
    for (int pass = 0; pass < 2 && !known; pass++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, root)
        {
            const cJSON *cand = pass == 0 ? root : it;
            if (pass == 1 && !cJSON_IsObject(it))
                continue;
            const cJSON *c;
            cJSON_ArrayForEach(c, cand)
            {
                if (cJSON_IsNumber(c) && emo_emotion_from_label(c->string) >= 0) {
                    obj = cand;
                    known = 1;
                    break;
                }
            }
            if (pass == 0 || known)
                break;
        }
    }
    if (!known) {
        snprintf(err, err_n, "answer names no known emotion label");
        goto done;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        int k = emo_emotion_from_label(c->string);
        if (k < 0)
            continue;
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || c->valuedouble < 0) {
            snprintf(err, err_n, "value of '%.40s' is not a non-negative number", c->string);
            goto done;
        }
        acc[k] += c->valuedouble;
    }
    double sum = 0;
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        sum += acc[k];
    if (!(sum > 0) || !isfinite(sum)) {
        snprintf(err, err_n, "probabilities sum to %g", sum);
        goto done;
    }
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        probs[k] = (float)(acc[k] / sum);
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

/* ---------------------------------------------------------------------- */
static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    EmoApiClient *a = ud;
    size_t n = size * nmemb;
    if (n > a->s.max_response - a->resp_len) {
        a->resp_overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(a->resp + a->resp_len, data, n);
    a->resp_len += n;
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    EmoApiClient *a = ud;
    return atomic_load(&a->stop) ? 1 : 0;
}

static int open_encoder(EmoApiClient *a, int w, int h, int c)
{
    if (a->enc && a->enc_w == w && a->enc_h == h && a->enc_c == c)
        return 0;
    avcodec_free_context(&a->enc);
    av_frame_free(&a->frame);
    int png = a->s.image == EMO_API_PNG;
    const AVCodec *codec = avcodec_find_encoder(png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG);
    if (!codec)
        return EMO_EUNSUPPORTED;
    a->enc = avcodec_alloc_context3(codec);
    a->frame = av_frame_alloc();
    if (!a->enc || !a->frame)
        return EMO_ENOMEM;
    a->enc->width = w;
    a->enc->height = h;
    a->enc->time_base = (AVRational){ 1, 25 };
    a->enc->pix_fmt = png ? (c == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24) : AV_PIX_FMT_YUVJ444P;
    a->enc->thread_count = 1;
    if (!png) {
        a->enc->flags |= AV_CODEC_FLAG_QSCALE;
        a->enc->global_quality = FF_QP2LAMBDA * 2;
    }
    if (avcodec_open2(a->enc, codec, NULL) < 0)
        return EMO_EUNSUPPORTED;
    a->frame->format = a->enc->pix_fmt;
    a->frame->width = w;
    a->frame->height = h;
    if (av_frame_get_buffer(a->frame, 0) < 0)
        return EMO_ENOMEM;
    a->enc_w = w;
    a->enc_h = h;
    a->enc_c = c;
    return 0;
}

/* Encodes the work crop into a->pkt. */
static int encode(EmoApiClient *a, char *why, size_t why_n)
{
    int w = a->work_w, h = a->work_h, c = a->work_c;
    int err = open_encoder(a, w, h, c);
    if (err) {
        snprintf(why, why_n, "cannot open the %s encoder", a->s.image == EMO_API_PNG ? "png" : "mjpeg");
        return err;
    }
    if (av_frame_make_writable(a->frame) < 0) {
        snprintf(why, why_n, "out of memory encoding the image");
        return EMO_ENOMEM;
    }
    AVFrame *f = a->frame;
    for (int y = 0; y < h; y++) {
        const uint8_t *src = a->work + (size_t)y * (size_t)w * (size_t)c;
        if (a->s.image == EMO_API_PNG) {
            memcpy(f->data[0] + (size_t)y * (size_t)f->linesize[0], src, (size_t)w * (size_t)c);
            continue;
        }
        uint8_t *py = f->data[0] + (size_t)y * (size_t)f->linesize[0];
        uint8_t *pu = f->data[1] + (size_t)y * (size_t)f->linesize[1];
        uint8_t *pv = f->data[2] + (size_t)y * (size_t)f->linesize[2];
        for (int x = 0; x < w; x++) {
            if (c == 1) {
                py[x] = src[x];
                pu[x] = pv[x] = 128;
                continue;
            }
            double r = src[3 * x], g = src[3 * x + 1], b = src[3 * x + 2];
            double Y = 0.299 * r + 0.587 * g + 0.114 * b;
            double U = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
            double V = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
            py[x] = (uint8_t)(Y < 0 ? 0 : Y > 255 ? 255 : lrint(Y));
            pu[x] = (uint8_t)(U < 0 ? 0 : U > 255 ? 255 : lrint(U));
            pv[x] = (uint8_t)(V < 0 ? 0 : V > 255 ? 255 : lrint(V));
        }
    }
    f->pts = a->enc_pts++;
    f->quality = a->enc->global_quality;
    av_packet_unref(a->pkt);
    if (avcodec_send_frame(a->enc, f) < 0 || avcodec_receive_packet(a->enc, a->pkt) < 0) {
        snprintf(why, why_n, "image encoding failed");
        /* The encoder may hold state after a failure: start over next time. */
        avcodec_free_context(&a->enc);
        return EMO_EINTERNAL;
    }
    return 0;
}

static int body_reserve(EmoApiClient *a, size_t n)
{
    if (n <= a->body_cap)
        return 0;
    char *b = realloc(a->body, n);
    if (!b)
        return EMO_ENOMEM;
    a->body = b;
    a->body_cap = n;
    return 0;
}

static size_t base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* One request on the work crop. 0 and probs, or an error and a reason. */
static int do_request(EmoApiClient *a, float probs[EMO_EMOTION_COUNT], char *why, size_t why_n)
{
    int err = encode(a, why, why_n);
    if (err)
        return err;
    const char *ext = a->s.image == EMO_API_PNG ? "png" : "jpeg";
    curl_mime *mime = NULL;
    CURL *h = a->curl;
    curl_easy_reset(h);
    a->resp_len = 0;
    a->resp_overflow = 0;
    a->errbuf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, a->s.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(a->s.timeout * 1000 + 0.5));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(a->s.timeout * 1000 + 0.5));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, a->s.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, a->s.verify_tls ? 2L : 0L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (a->s.format == EMO_API_JSON) {
        size_t b64 = 4 * ((size_t)a->pkt->size + 2) / 3;
        if (body_reserve(a, b64 + 64)) {
            snprintf(why, why_n, "out of memory building the request");
            return EMO_ENOMEM;
        }
        int n = snprintf(a->body, 64, "{\"format\":\"%s\",\"image\":\"", ext);
        size_t len = (size_t)n + base64(a->pkt->data, (size_t)a->pkt->size, a->body + n);
        memcpy(a->body + len, "\"}", 3);
        len += 2;
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, a->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        mime = curl_mime_init(h);
        curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
        if (!part) {
            curl_mime_free(mime);
            snprintf(why, why_n, "out of memory building the request");
            return EMO_ENOMEM;
        }
        curl_mime_name(part, "image");
        curl_mime_data(part, (const char *)a->pkt->data, (size_t)a->pkt->size);
        curl_mime_filename(part, a->s.image == EMO_API_PNG ? "face.png" : "face.jpg");
        curl_mime_type(part, a->s.image == EMO_API_PNG ? "image/png" : "image/jpeg");
        curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    }
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_mime_free(mime);
    if (rc != CURLE_OK) {
        if (a->resp_overflow) {
            snprintf(why, why_n, "answer larger than %zu bytes", a->s.max_response);
            return EMO_EFORMAT;
        }
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            snprintf(why, why_n, "timed out after %.2f s", a->s.timeout);
            return EMO_ETIMEDOUT;
        }
        snprintf(why, why_n, "%s%s%.100s", curl_easy_strerror(rc), a->errbuf[0] ? ": " : "", a->errbuf);
        return rc == CURLE_ABORTED_BY_CALLBACK ? EMO_EINTR : EMO_ENET;
    }
    if (code < 200 || code > 299) {
        snprintf(why, why_n, "HTTP status %ld", code);
        return EMO_ENET;
    }
    return emo_api_parse_response(a->resp, a->resp_len, probs, why, why_n);
}

static void add_seconds(struct timespec *ts, double s)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double t = (double)ts->tv_sec + ts->tv_nsec * 1e-9 + s;
    ts->tv_sec = (time_t)t;
    ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *worker(void *ud)
{
    EmoApiClient *a = ud;
    emo__thread_name("emo-api");
    pthread_mutex_lock(&a->mu);
    while (!atomic_load(&a->stop)) {
        double now = emo_clock_now();
        if (!a->has_pend) {
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        if (now < a->next_start) {
            struct timespec ts;
            add_seconds(&ts, a->next_start - now);
            pthread_cond_timedwait(&a->cv, &a->mu, &ts);
            continue;
        }
        a->work_w = a->pend_w;
        a->work_h = a->pend_h;
        a->work_c = a->pend_c;
        a->work_face = a->pend_face;
        memcpy(a->work, a->pend, (size_t)a->pend_w * (size_t)a->pend_h * (size_t)a->pend_c);
        a->has_pend = 0;
        pthread_mutex_unlock(&a->mu);

        float probs[EMO_EMOTION_COUNT];
        char why[160] = "";
        int err = do_request(a, probs, why, sizeof(why));

        pthread_mutex_lock(&a->mu);
        if (atomic_load(&a->stop))
            break;
        a->st.requests++;
        double end = emo_clock_now();
        if (!err) {
            if (!a->st.online && a->st.failures)
                emo_log(a->s.log, EMO_LOG_INFO, "emotion API %s answers again; back in the fusion", a->log_url);
            memcpy(a->probs, probs, sizeof(probs));
            a->result_time = end;
            a->result_face = a->work_face;
            a->result_valid = 1;
            a->st.online = 1;
            a->st.successes++;
            a->st.consecutive_failures = 0;
            a->next_start = now + a->s.interval;
        } else {
            a->st.failures++;
            a->st.consecutive_failures++;
            a->st.online = 0;
            a->result_valid = 0;
            double base = a->s.interval > 0.1 ? a->s.interval : 0.1;
            int k = a->st.consecutive_failures - 1;
            double delay = base * pow(2.0, k > 30 ? 30 : k);
            if (delay > a->s.backoff_max)
                delay = a->s.backoff_max;
            a->next_start = end + delay;
            snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", why);
            emo_log(a->s.log, EMO_LOG_WARN, "emotion API %s: %s; out of the fusion, retry in %.2f s", a->log_url,
                    why, delay);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---------------------------------------------------------------------- */
int emo_api_open(EmoApiClient **out, const EmoApiClientSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    if (!s || !s->url[0] || s->max_side < 8 || s->max_side > 4096 || s->max_response < 16 ||
        !(s->timeout > 0) || !(s->interval >= 0) || !(s->backoff_max > 0)) {
        emo_log(s ? s->log : NULL, EMO_LOG_ERROR, "api: bad settings (url empty, or sizes/times out of range)");
        return EMO_EINVAL;
    }
    if (strncasecmp(s->url, "http://", 7) && strncasecmp(s->url, "https://", 8)) {
        emo_log(s->log, EMO_LOG_ERROR, "api.url must start with http:// or https://");
        return EMO_EINVAL;
    }
    if (s->key[0] && (!s->key_header[0] || strpbrk(s->key, "\r\n") || strpbrk(s->key_header, ":\r\n "))) {
        emo_log(s->log, EMO_LOG_ERROR, "api: the key or api.key_header contains forbidden characters");
        return EMO_EINVAL;
    }
    int err = EMO_ENOMEM;
    EmoApiClient *a = calloc(1, sizeof(*a));
    if (!a)
        return EMO_ENOMEM;
    a->s = *s;
    atomic_init(&a->stop, 0);
    size_t qlen = strcspn(s->url, "?#");
    snprintf(a->log_url, sizeof(a->log_url), "%.*s", (int)(qlen < 190 ? qlen : 190), s->url);
    size_t cap = (size_t)s->max_side * (size_t)s->max_side * 3;
    a->pend = malloc(cap);
    a->work = malloc(cap);
    a->resp = malloc(s->max_response);
    a->pkt = av_packet_alloc();
    if (!a->pend || !a->work || !a->resp || !a->pkt)
        goto fail;
    a->curl_global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!a->curl_global || !(a->curl = curl_easy_init())) {
        err = EMO_ENET;
        goto fail;
    }
    char line[EMO_STR_MAX + 80];
    a->headers = curl_slist_append(NULL, "Expect:");
    if (a->headers && s->format == EMO_API_JSON)
        a->headers = curl_slist_append(a->headers, "Content-Type: application/json");
    if (a->headers && s->key[0]) {
        snprintf(line, sizeof(line), "%s: %s", s->key_header, s->key);
        a->headers = curl_slist_append(a->headers, line);
        memset(line, 0, sizeof(line));
    }
    if (!a->headers)
        goto fail;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&a->mu, NULL) || pthread_cond_init(&a->cv, &ca)) {
        pthread_condattr_destroy(&ca);
        err = EMO_EINTERNAL;
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    a->mu_init = a->cv_init = 1;
    if (pthread_create(&a->thread, NULL, worker, a)) {
        err = EMO_EINTERNAL;
        goto fail;
    }
    a->thread_started = 1;
    *out = a;
    return 0;
fail:
    emo_log(s->log, EMO_LOG_ERROR, "api: cannot start the client: %s", emo_strerror(err));
    emo_api_close(&a);
    return err;
}

int emo_api_submit(EmoApiClient *a, const EmoImage *face, int face_id)
{
    if (!a || emo__image_check(face) || face->width > a->s.max_side || face->height > a->s.max_side)
        return EMO_EINVAL;
    int c = face->fmt == EMO_PIX_GRAY8 ? 1 : 3;
    pthread_mutex_lock(&a->mu);
    for (int y = 0; y < face->height; y++) {
        const uint8_t *src = face->data + (size_t)y * (size_t)face->stride;
        uint8_t *dst = a->pend + (size_t)y * (size_t)face->width * (size_t)c;
        if (face->fmt == EMO_PIX_BGRA) {
            for (int x = 0; x < face->width; x++) {
                dst[3 * x] = src[4 * x + 2];
                dst[3 * x + 1] = src[4 * x + 1];
                dst[3 * x + 2] = src[4 * x];
            }
        } else {
            memcpy(dst, src, (size_t)face->width * (size_t)c);
        }
    }
    a->pend_w = face->width;
    a->pend_h = face->height;
    a->pend_c = c;
    a->pend_face = face_id;
    a->has_pend = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

int emo_api_result(EmoApiClient *a, float probs[EMO_EMOTION_COUNT], double *age, int *face_id)
{
    if (!a)
        return EMO_EINVAL;
    pthread_mutex_lock(&a->mu);
    int ok = a->result_valid;
    if (ok) {
        if (probs)
            memcpy(probs, a->probs, sizeof(a->probs));
        if (age)
            *age = emo_clock_now() - a->result_time;
        if (face_id)
            *face_id = a->result_face;
    }
    pthread_mutex_unlock(&a->mu);
    return ok ? 0 : EMO_EAGAIN;
}

void emo_api_stats(EmoApiClient *a, EmoApiStats *st)
{
    if (!a || !st)
        return;
    pthread_mutex_lock(&a->mu);
    *st = a->st;
    double d = a->next_start - emo_clock_now();
    st->next_retry_in = d > 0 ? d : 0;
    pthread_mutex_unlock(&a->mu);
}

void emo_api_close(EmoApiClient **pa)
{
    if (!pa || !*pa)
        return;
    EmoApiClient *a = *pa;
    if (a->thread_started) {
        pthread_mutex_lock(&a->mu);
        atomic_store(&a->stop, 1);
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    if (a->cv_init)
        pthread_cond_destroy(&a->cv);
    if (a->mu_init)
        pthread_mutex_destroy(&a->mu);
    if (a->curl)
        curl_easy_cleanup(a->curl);
    if (a->curl_global)
        curl_global_cleanup();
    curl_slist_free_all(a->headers);
    avcodec_free_context(&a->enc);
    av_frame_free(&a->frame);
    av_packet_free(&a->pkt);
    free(a->pend);
    free(a->work);
    free(a->resp);
    free(a->body);
    memset(a->s.key, 0, sizeof(a->s.key));
    free(a);
    *pa = NULL;
}
