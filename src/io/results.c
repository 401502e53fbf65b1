#define _POSIX_C_SOURCE 200809L
#include <emoscope/io.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLUMNS 4096

typedef struct Sink {
    int fd;
    off_t good;        /* end of the last complete record */
    char *path;
} Sink;

typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

struct EmoResultsWriter {
    Sink jsonl, csv;
    const EmoLogger *log;
    char **columns;    /* CSV header, fixed by the first record */
    int n_columns;
    Buf line;
    long count;
    int error;
};

static int buf_reserve(Buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return EMO_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_add(Buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return EMO_ENOMEM;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

static int sink_open(Sink *s, const char *path, const EmoLogger *log)
{
    s->fd = -1;
    if (!path)
        return 0;
    s->path = strdup(path);
    if (!s->path)
        return EMO_ENOMEM;
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        emo_log(log, EMO_LOG_ERROR, "cannot create %s: %s", path, strerror(errno));
        return EMO_EIO;
    }
    return 0;
}

/* Writes the whole record or nothing: on a short or failed write the file
 * is cut back to the previous record boundary. */
static int sink_write(EmoResultsWriter *w, Sink *s, const char *data, size_t n)
{
    if (s->fd < 0)
        return 0;
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(s->fd, data + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : ENOSPC;
            if (!w->error)
                emo_log(w->log, EMO_LOG_ERROR, "cannot write %s: %s; results stop at record %ld", s->path,
                        strerror(e), w->count);
            if (ftruncate(s->fd, s->good) == 0)
                lseek(s->fd, s->good, SEEK_SET);
            return EMO_EIO;
        }
        done += (size_t)r;
    }
    s->good += (off_t)n;
    return 0;
}

int emo_results_open(EmoResultsWriter **out, const char *jsonl_path, const char *csv_path, const EmoLogger *log)
{
    *out = NULL;
    EmoResultsWriter *w = calloc(1, sizeof(*w));
    if (!w)
        return EMO_ENOMEM;
    w->log = log;
    w->jsonl.fd = w->csv.fd = -1;
    int err = sink_open(&w->jsonl, jsonl_path, log);
    if (!err)
        err = sink_open(&w->csv, csv_path, log);
    if (err)
        goto fail;
    *out = w;
    return 0;
fail:
    emo_results_close(&w);
    return err;
}

/* Collects "a.b.c" names of the leaves of obj into cols. */
static int collect_columns(EmoResultsWriter *w, const cJSON *obj, const char *prefix)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        char name[512];
        snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", it->string ? it->string : "");
        if (cJSON_IsObject(it)) {
            int err = collect_columns(w, it, name);
            if (err)
                return err;
            continue;
        }
        if (w->n_columns >= MAX_COLUMNS)
            return EMO_EINVAL;
        char **c = realloc(w->columns, sizeof(char *) * (size_t)(w->n_columns + 1));
        if (!c)
            return EMO_ENOMEM;
        w->columns = c;
        if (!(w->columns[w->n_columns] = strdup(name)))
            return EMO_ENOMEM;
        w->n_columns++;
    }
    return 0;
}

static int csv_quote(Buf *b, const char *s)
{
    int need = strpbrk(s, ",\"\n\r") != NULL;
    if (!need)
        return buf_add(b, s, strlen(s));
    if (buf_add(b, "\"", 1))
        return EMO_ENOMEM;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && buf_add(b, "\"", 1))
            return EMO_ENOMEM;
        if (buf_add(b, p, 1))
            return EMO_ENOMEM;
    }
    return buf_add(b, "\"", 1);
}

static void format_number(char *out, size_t n, double v)
{
    if (!isfinite(v))
        snprintf(out, n, "%s", "");
    else if (v == (double)(long long)v && fabs(v) < 1e15)
        snprintf(out, n, "%lld", (long long)v);
    else
        snprintf(out, n, "%.6g", v);
}

static int cell_text(const cJSON *it, Buf *b)
{
    char num[64];
    if (cJSON_IsNumber(it)) {
        format_number(num, sizeof(num), it->valuedouble);
        return buf_add(b, num, strlen(num));
    }
    if (cJSON_IsString(it))
        return buf_add(b, it->valuestring, strlen(it->valuestring));
    if (cJSON_IsBool(it))
        return buf_add(b, cJSON_IsTrue(it) ? "true" : "false", cJSON_IsTrue(it) ? 4 : 5);
    if (cJSON_IsArray(it)) {
        int first = 1;
        for (const cJSON *e = it->child; e; e = e->next) {
            if (!first && buf_add(b, ";", 1))
                return EMO_ENOMEM;
            first = 0;
            int err = cell_text(e, b);
            if (err)
                return err;
        }
    }
    return 0; /* null: empty cell */
}

static const cJSON *lookup(const cJSON *obj, const char *dotted)
{
    char name[512];
    snprintf(name, sizeof(name), "%s", dotted);
    const cJSON *cur = obj;
    char *save = NULL;
    for (char *tok = strtok_r(name, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    return cur;
}

static int format_csv(EmoResultsWriter *w, const cJSON *rec, Buf *line)
{
    Buf cell = { 0 };
    int err = 0;
    for (int i = 0; i < w->n_columns && !err; i++) {
        if (i)
            err = buf_add(line, ",", 1);
        const cJSON *it = lookup(rec, w->columns[i]);
        cell.len = 0;
        if (!err && buf_reserve(&cell, 0) == 0) {
            cell.p[0] = 0;
            if (it && !cJSON_IsObject(it))
                err = cell_text(it, &cell);
            if (!err)
                err = csv_quote(line, cell.p);
        } else if (!err) {
            err = EMO_ENOMEM;
        }
    }
    if (!err)
        err = buf_add(line, "\n", 1);
    free(cell.p);
    return err;
}

int emo_results_write(EmoResultsWriter *w, const cJSON *rec)
{
    if (!w || !cJSON_IsObject(rec))
        return EMO_EINVAL;
    if (w->error)
        return w->error;
    int err = 0;
    const off_t jsonl_good = w->jsonl.good;
    if (w->jsonl.fd >= 0) {
        char *s = cJSON_PrintUnformatted(rec);
        if (!s)
            return EMO_ENOMEM;
        w->line.len = 0;
        err = buf_add(&w->line, s, strlen(s));
        if (!err)
            err = buf_add(&w->line, "\n", 1);
        cJSON_free(s);
        if (!err)
            err = sink_write(w, &w->jsonl, w->line.p, w->line.len);
        if (err)
            goto done;
    }
    if (w->csv.fd >= 0) {
        w->line.len = 0;
        if (!w->columns) {
            err = collect_columns(w, rec, "");
            for (int i = 0; i < w->n_columns && !err; i++) {
                if (i)
                    err = buf_add(&w->line, ",", 1);
                if (!err)
                    err = csv_quote(&w->line, w->columns[i]);
            }
            if (!err)
                err = buf_add(&w->line, "\n", 1);
        }
        if (!err)
            err = format_csv(w, rec, &w->line);
        if (!err)
            err = sink_write(w, &w->csv, w->line.p, w->line.len);
        if (err && w->jsonl.fd >= 0 && w->jsonl.good > jsonl_good) {
            /* The record is in neither file or in both: take it out of the JSONL. */
            if (ftruncate(w->jsonl.fd, jsonl_good) == 0 && lseek(w->jsonl.fd, jsonl_good, SEEK_SET) >= 0)
                w->jsonl.good = jsonl_good;
        }
    }
done:
    if (err)
        w->error = err;
    else
        w->count++;
    return err;
}

long emo_results_count(const EmoResultsWriter *w)
{
    return w ? w->count : 0;
}

static int sink_close(Sink *s)
{
    int err = 0;
    if (s->fd >= 0) {
        if (fsync(s->fd) != 0 && errno != EINVAL && errno != EROFS)
            err = EMO_EIO;
        if (close(s->fd) != 0)
            err = EMO_EIO;
    }
    free(s->path);
    s->fd = -1;
    return err;
}

int emo_results_close(EmoResultsWriter **pw)
{
    if (!pw || !*pw)
        return 0;
    EmoResultsWriter *w = *pw;
    *pw = NULL;
    int err = w->error;
    int e1 = sink_close(&w->jsonl);
    int e2 = sink_close(&w->csv);
    if (!err)
        err = e1 ? e1 : e2;
    for (int i = 0; i < w->n_columns; i++)
        free(w->columns[i]);
    free(w->columns);
    free(w->line.p);
    free(w);
    return err;
}
