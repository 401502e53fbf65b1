/*
 * emo_nn_*: a model file loaded into the tensor graph, validated, and
 * bound to an XNNPACK runtime whose input and output buffers belong to
 * the model (so a run allocates nothing and sets nothing up).
 */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/nn.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/graph.h"
#include "nn/model_internal.h"
#include "nn/zip.h"
#include "nn/xnn_backend.h"

/* Model files we run are a few MB; a larger one is a mistake. */
#define MAX_MODEL_BYTES ((size_t)512 << 20)

struct EmoNnModel {
    EmoNnGraph g;
    EmoNnXnn *xnn;
    float *in[8], *out[8];
    uint64_t macs;
    char path[256];
    const EmoLogger *log;
};

void emo_nn_default_settings(EmoNnSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->threads = 1;
}

static float *alloc_buffer(size_t count)
{
    size_t bytes = (count * sizeof(float) + EMO_NN_BUFFER_SLACK + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static int prepare(EmoNnModel *m, const EmoNnSettings *s)
{
    EmoNnGraph *g = &m->g;
    int err = emo__nn_graph_validate(g);
    if (err)
        return err;
    for (int i = 0; i < g->n_inputs; i++)
        if (!(m->in[i] = alloc_buffer(emo__nn_tensor_count(&g->tensors[g->inputs[i]]))))
            return EMO_ENOMEM;
    for (int i = 0; i < g->n_outputs; i++)
        if (!(m->out[i] = alloc_buffer(emo__nn_tensor_count(&g->tensors[g->outputs[i]]))))
            return EMO_ENOMEM;
    int threads = s->threads;
    if (threads <= 0)
        threads = emo_cpu_count();
    if (threads > 64)
        threads = 64;
    m->macs = emo__nn_graph_macs(g);
    return emo__nn_xnn_create(&m->xnn, g, m->in, m->out, threads, m->path);
}

/* The end of both opens: err is the loader's result. On success *out takes
 * m; on failure m is closed. */
static int finish_open(EmoNnModel *m, const EmoNnSettings *s, int err, EmoNnModel **out)
{
    if (!err)
        err = prepare(m, s);
    if (err) {
        emo_nn_close(&m);
        return err;
    }
    *out = m;
    return 0;
}

static EmoNnModel *model_new(const char *path, const EmoNnSettings *s)
{
    EmoNnModel *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->log = s->log;
    snprintf(m->path, sizeof(m->path), "%s", path ? path : "(memory)");
    emo__nn_graph_init(&m->g, s->log);
    return m;
}

int emo__nn_open_memory(EmoNnModel **out, const uint8_t *buf, size_t size, const char *name, const EmoNnSettings *s)
{
    EmoNnSettings def;
    if (!s) {
        emo_nn_default_settings(&def);
        s = &def;
    }
    *out = NULL;
    EmoNnModel *m = model_new(name, s);
    if (!m)
        return EMO_ENOMEM;
    int err = emo__nn_load_tflite(&m->g, buf, size, m->path);
    return finish_open(m, s, err, out);
}

static int read_file(const char *path, const EmoLogger *log, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        emo_log(log, EMO_LOG_ERROR, "cannot open model %s: %s", path, strerror(e));
        return e == ENOENT ? EMO_ENOENT : EMO_EIO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size > MAX_MODEL_BYTES) {
        emo_log(log, EMO_LOG_ERROR, "model %s: not a regular file of at most %zu MB", path, MAX_MODEL_BYTES >> 20);
        fclose(f);
        return EMO_EFORMAT;
    }
    *size = (size_t)st.st_size;
    *buf = malloc(*size ? *size : 1);
    if (!*buf) {
        fclose(f);
        return EMO_ENOMEM;
    }
    if (fread(*buf, 1, *size, f) != *size) {
        emo_log(log, EMO_LOG_ERROR, "cannot read model %s", path);
        free(*buf);
        *buf = NULL;
        fclose(f);
        return EMO_EIO;
    }
    fclose(f);
    return 0;
}

static const EmoNnSettings *settings_or_default(const EmoNnSettings *s, EmoNnSettings *def)
{
    if (s)
        return s;
    emo_nn_default_settings(def);
    return def;
}

/* Loads the model in buf (a TFLite flatbuffer, or a Keras HDF5 file read
 * again from path by libhdf5); name is what messages call it. */
static int open_bytes(EmoNnModel **out, const uint8_t *buf, size_t size, const char *path, const char *name,
                      const EmoNnSettings *s)
{
    EmoNnModel *m = model_new(name, s);
    if (!m)
        return EMO_ENOMEM;
    static const uint8_t hdf5_sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
    int err;
    if (size >= 8 && !memcmp(buf + 4, "TFL3", 4)) {
        err = emo__nn_load_tflite(&m->g, buf, size, name);
    } else if (path && size >= 8 && !memcmp(buf, hdf5_sig, 8)) {
        err = emo__nn_load_keras(&m->g, path);
    } else {
        emo_log(s->log, EMO_LOG_ERROR, "%s: unknown model format (neither TFLite nor HDF5)", name);
        err = EMO_EFORMAT;
    }
    return finish_open(m, s, err, out);
}

/* Opens the model file at path, or its zip member when member is set. */
static int open_file(EmoNnModel **out, const char *path, const char *member, const EmoNnSettings *s)
{
    EmoNnSettings def;
    if (!out || !path)
        return EMO_EINVAL;
    *out = NULL;
    s = settings_or_default(s, &def);
    uint8_t *buf = NULL;
    size_t size = 0;
    int err = read_file(path, s->log, &buf, &size);
    if (err)
        return err;
    if (!member) {
        err = open_bytes(out, buf, size, path, path, s);
    } else {
        const uint8_t *data;
        size_t len;
        char name[sizeof(((EmoNnModel *)0)->path)];
        snprintf(name, sizeof(name), "%s:%s", path, member);
        if (!(err = emo__zip_member(buf, size, path, member, s->log, &data, &len))) {
            if (len >= 8 && !memcmp(data + 4, "TFL3", 4)) {
                err = open_bytes(out, data, len, NULL, name, s);
            } else {
                emo_log(s->log, EMO_LOG_ERROR, "%s: not a TFLite model", name);
                err = EMO_EFORMAT;
            }
        }
    }
    /* Constants are copied into the graph: the file bytes are not needed. */
    free(buf);
    return err;
}

int emo_nn_open(EmoNnModel **out, const char *path, const EmoNnSettings *s)
{
    return open_file(out, path, NULL, s);
}

int emo_nn_open_member(EmoNnModel **out, const char *path, const char *member, const EmoNnSettings *s)
{
    if (!member) {
        if (out)
            *out = NULL;
        return EMO_EINVAL;
    }
    return open_file(out, path, member, s);
}

int emo_nn_num_inputs(const EmoNnModel *m)
{
    return m ? m->g.n_inputs : 0;
}

int emo_nn_num_outputs(const EmoNnModel *m)
{
    return m ? m->g.n_outputs : 0;
}

static int info(const EmoNnModel *m, int tensor, EmoNnTensorInfo *inf)
{
    const EmoNnTensor *t = &m->g.tensors[tensor];
    memset(inf, 0, sizeof(*inf));
    inf->name = t->name;
    inf->rank = t->rank;
    for (int i = 0; i < t->rank; i++)
        inf->shape[i] = t->shape[i];
    inf->count = emo__nn_tensor_count(t);
    return 0;
}

int emo_nn_input_info(const EmoNnModel *m, int i, EmoNnTensorInfo *inf)
{
    if (!m || !inf || i < 0 || i >= m->g.n_inputs)
        return EMO_EINVAL;
    return info(m, m->g.inputs[i], inf);
}

int emo_nn_output_info(const EmoNnModel *m, int i, EmoNnTensorInfo *inf)
{
    if (!m || !inf || i < 0 || i >= m->g.n_outputs)
        return EMO_EINVAL;
    return info(m, m->g.outputs[i], inf);
}

float *emo_nn_input(EmoNnModel *m, int i)
{
    return m && i >= 0 && i < m->g.n_inputs ? m->in[i] : NULL;
}

const float *emo_nn_output(const EmoNnModel *m, int i)
{
    return m && i >= 0 && i < m->g.n_outputs ? m->out[i] : NULL;
}

int emo_nn_run(EmoNnModel *m)
{
    if (!m || !m->xnn)
        return EMO_EINVAL;
    return emo__nn_xnn_run(m->xnn);
}

uint64_t emo_nn_macs(const EmoNnModel *m)
{
    return m ? m->macs : 0;
}

int emo_nn_threads(const EmoNnModel *m)
{
    return m ? emo__nn_xnn_threads(m->xnn) : 0;
}

static size_t append(char *buf, size_t n, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static size_t append(char *buf, size_t n, size_t at, const char *fmt, ...)
{
    if (at >= n)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + at, n - at, fmt, ap);
    va_end(ap);
    return k < 0 ? at : at + (size_t)k;
}

static size_t describe_tensor(char *buf, size_t n, size_t at, const char *what, int i, const EmoNnTensor *t)
{
    at = append(buf, n, at, "%s %d: %s [", what, i, t->name);
    for (int d = 0; d < t->rank; d++)
        at = append(buf, n, at, "%s%d", d ? "," : "", t->shape[d]);
    return append(buf, n, at, "]\n");
}

void emo_nn_describe(const EmoNnModel *m, char *buf, size_t n)
{
    if (!buf || !n)
        return;
    buf[0] = 0;
    if (!m)
        return;
    const EmoNnGraph *g = &m->g;
    size_t at = append(buf, n, 0, "model: %s\n", m->path);
    for (int i = 0; i < g->n_inputs; i++)
        at = describe_tensor(buf, n, at, "input", i, &g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        at = describe_tensor(buf, n, at, "output", i, &g->tensors[g->outputs[i]]);
    int counts[EMO_NN_OP_COUNT] = { 0 };
    for (int i = 0; i < g->n_nodes; i++)
        if ((unsigned)g->nodes[i].op < EMO_NN_OP_COUNT)
            counts[g->nodes[i].op]++;
    size_t params = 0;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].data)
            params += emo__nn_tensor_count(&g->tensors[t]);
    at = append(buf, n, at, "operators: %d\n", g->n_nodes);
    for (int op = 0; op < EMO_NN_OP_COUNT; op++)
        if (counts[op])
            at = append(buf, n, at, "  %-20s %d\n", emo__nn_op_name((EmoNnOp)op), counts[op]);
    at = append(buf, n, at, "parameters: %zu\n", params);
    append(buf, n, at, "multiply-adds: %llu (%.1f M)\n", (unsigned long long)m->macs, (double)m->macs / 1e6);
}

void emo_nn_close(EmoNnModel **pm)
{
    if (!pm || !*pm)
        return;
    EmoNnModel *m = *pm;
    emo__nn_xnn_destroy(&m->xnn);
    for (int i = 0; i < 8; i++) {
        free(m->in[i]);
        free(m->out[i]);
    }
    emo__nn_graph_free(&m->g);
    free(m);
    *pm = NULL;
}
