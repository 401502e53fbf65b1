/*
 * Keras HDF5 reader: turns a Keras 2 model file into the tensor graph.
 *
 * Two layouts:
 *  - full models (root attribute `model_config`, Keras 2 JSON of a Model or
 *    Sequential; weights under `model_weights/<layer>/`), as saved by
 *    model.save();
 *  - weights-only files (no `model_config`; root attribute `layer_names`;
 *    weights under `<layer>/`), as saved by model.save_weights(). The only
 *    architecture we know for those is DeepFace's emotion model, which is
 *    built here by hand.
 * Either way each layer group's `weight_names` attribute names its datasets,
 * relative to the group; paths are never guessed.
 *
 * Conversion: Keras kernels are HWIO [kh][kw][Cin][Cout], depthwise kernels
 * [kh][kw][Cin][mult] (already the memory order of our [1][kh][kw][Cin*mult])
 * and dense kernels [Cin][Cout]; they are transposed here once. A
 * BatchNormalization whose input comes only from a convolution or dense
 * layer without activation is folded into its weights; otherwise it becomes
 * a per-channel scale and shift (a 1x1 depthwise convolution). A ReLU is
 * folded into the producer's output clamp when nothing else reads the
 * producer's output.
 *
 * Hostile files: every HDF5 call is checked, every dataset's type, rank and
 * dims are compared with what the configuration implies before anything is
 * allocated, and every size is capped. libhdf5's own error printing is
 * switched off for the duration of the load (and restored after).
 */
#define _GNU_SOURCE /* memmem */
#include "nn/graph.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_LAYERS 4096
#define MAX_NAMES 4096
#define MAX_NAME_LEN 255
#define MAX_CHANNELS 65536
#define MAX_KERNEL 64
#define MAX_STRIDE 64
#define MAX_SPATIAL 8192
#define MAX_TENSOR_ELEMS (16u << 20)
#define MAX_CONST_TOTAL (32u << 20)    /* floats of weights in one model */
#define MAX_ACT_TOTAL (64u << 20)      /* floats of activations in one model */
#define MAX_MACS 2000000000ull         /* per inference: 30x big-Xception */

typedef struct Layer {
    char name[96];
    int tensor;               /* the layer's output tensor, -1 until built */
    int node;                 /* node producing it, when this layer is its only way out; else -1 */
    int consumers;            /* layers (and model outputs) reading this layer */
} Layer;

typedef struct Ctx {
    EmoNnGraph *g;
    const char *path;
    hid_t file;
    hid_t wroot;              /* group holding the per-layer weight groups */
    Layer *layers;
    int n_layers;
    size_t act_total, const_total;
    int config_checked;       /* model_config's stored form was verified by the pre-check */
} Ctx;

typedef struct StrList {
    char **s;
    int n;
} StrList;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(Ctx *c, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emo_log(c->g->log, EMO_LOG_ERROR, "keras: %s: %s", c->path, msg);
    return code;
}

static void strlist_free(StrList *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

/* ---------------------------------------------------------------- HDF5 */

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/*
 * libhdf5 1.10.8 trusts the global heap, where variable-length strings such
 * as model_config live, in ways that crash it (found by fuzz_keras and by
 * hand; each reproduced by one changed field of the real mini-Xception file,
 * see test_keras_hostile.c). H5HG_read, called when model_config is read:
 *  - memcpys an object's size even when it exceeds its collection
 *    (segfault);
 *  - copies the object into a buffer of the string descriptor's length,
 *    which may be smaller (heap overflow; glibc aborts);
 *  - indexes its object table with the descriptor's index unchecked
 *    (segfault).
 * So before libhdf5 sees a file we walk every collection ("GCOL", version 1,
 * 3 zero bytes, its size; then objects: index, refcount, 4 reserved, size,
 * data padded to 8 bytes; index 0 is the free space) and require it to fit in
 * the file and each object to fit in it; then we find model_config's
 * attribute message in the root object header (by its name) and require its
 * descriptor (4-byte length, collection address, 4-byte index) to name an
 * existing object of exactly that length. If its message cannot be found, the
 * attribute is not read.
 */
typedef struct HeapObj {
    uint64_t coll;            /* collection address */
    unsigned idx;
    uint64_t size;
} HeapObj;

#define MAX_HEAP_OBJS 65536

static int heap_obj_cmp(const void *a, const void *b)
{
    const HeapObj *x = a, *y = b;
    if (x->coll != y->coll)
        return x->coll < y->coll ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}
static uint64_t le_uint(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define MAX_FILE_BYTES (512u << 20)

static uint64_t pad8(uint64_t v)
{
    return (v + 7) & ~(uint64_t)7;
}

/* Finds model_config's attribute message(s) by name (message versions 1 to
 * 3) and checks the stored value: a fixed-length string needs nothing, a
 * variable-length one must have a descriptor naming an existing heap object
 * of its exact length. Sets c->config_checked when every message found is
 * sound and at least one was found. */
static int check_config_attr(Ctx *c, const uint8_t *b, size_t n, int off_size, const HeapObj *objs, size_t n_objs)
{
    static const char name[] = "model_config"; /* 13 bytes with its NUL */
    const size_t nlen = sizeof(name);
    int found = 0;
    for (const uint8_t *hit = memmem(b, n, name, nlen); hit; hit = memmem(hit + 1, n - (size_t)(hit + 1 - b), name, nlen)) {
        size_t at = (size_t)(hit - b);
        /* Message headers: v1 [1][0][name u16][dt u16][ds u16] name (padded to 8)...
         *                  v2 [2][flags][name u16][dt u16][ds u16] name...
         *                  v3 [3][flags][name u16][dt u16][ds u16][cset] name... */
        for (int v = 1; v <= 3; v++) {
            size_t h = v == 3 ? 9 : 8;
            if (at < h)
                continue;
            const uint8_t *m = hit - h;
            if (m[0] != v || le_uint(m + 2, 2) != nlen || (v == 1 && m[1] != 0) || (v != 1 && (m[1] & ~3u)))
                continue;
            uint64_t dt_size = le_uint(m + 4, 2), ds_size = le_uint(m + 6, 2);
            uint64_t dt = (uint64_t)(at + (v == 1 ? pad8(nlen) : nlen));
            uint64_t ds = dt + (v == 1 ? pad8(dt_size) : dt_size);
            uint64_t data = ds + (v == 1 ? pad8(ds_size) : ds_size);
            if (dt_size < 8 || data > n)
                continue;
            unsigned cls = b[dt] & 0x0f;
            if (cls == 3) { /* fixed-length string: read without the global heap */
                found++;
                continue;
            }
            if (cls != 9) /* neither: libhdf5 will refuse to read it as a string */
                continue;
            if (data + 8 + (uint64_t)off_size > n)
                return fail(c, EMO_EFORMAT, "truncated or corrupt HDF5 file: model_config's value is cut off");
            HeapObj key = { le_uint(b + data + 4, off_size), (unsigned)le_uint(b + data + 4 + off_size, 4), 0 };
            uint64_t len = le_uint(b + data, 4);
            const HeapObj *o = n_objs && key.idx ? bsearch(&key, objs, n_objs, sizeof(*objs), heap_obj_cmp) : NULL;
            if (!o)
                return fail(c, EMO_EFORMAT, "corrupt HDF5 file: model_config points to heap object %u at %llu, "
                            "which does not exist", key.idx, (unsigned long long)key.coll);
            if (len != o->size)
                return fail(c, EMO_EFORMAT, "corrupt HDF5 file: model_config claims %llu bytes, its heap object "
                            "holds %llu", (unsigned long long)len, (unsigned long long)o->size);
            found++;
        }
    }
    c->config_checked = found > 0;
    return 0;
}

static int check_global_heaps(Ctx *c)
{
    FILE *f = fopen(c->path, "rb");
    if (!f)
        return fail(c, EMO_ENOENT, "cannot open the file");
    int rc = 0;
    uint8_t *b = NULL;
    HeapObj *objs = NULL;
    size_t n_objs = 0;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = fail(c, EMO_EIO, "cannot read the file");
        goto done;
    }
    if ((unsigned long)size > MAX_FILE_BYTES) {
        rc = fail(c, EMO_EUNSUPPORTED, "file of %ld bytes is over the %u MiB limit for Keras models", size,
                  MAX_FILE_BYTES >> 20);
        goto done;
    }
    size_t n = (size_t)size;
    if (!(b = malloc(n ? n : 1))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if (fread(b, 1, n, f) != n) {
        rc = fail(c, EMO_EIO, "cannot read the file");
        goto done;
    }
    /* Superblock at 0, 512, 1024, ...: its "size of lengths" sizes the fields. */
    static const uint8_t sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
    int len_size = 0, off_size = 0;
    size_t base = 0; /* addresses in the file are relative to the superblock */
    for (size_t at = 0; at + 16 <= n; at = at ? at * 2 : 512)
        if (!memcmp(b + at, sig, 8)) {
            base = at;
            len_size = b[at + 8] <= 1 ? b[at + 14] : b[at + 10];
            off_size = b[at + 8] <= 1 ? b[at + 13] : b[at + 9];
            break;
        }
    if ((len_size != 2 && len_size != 4 && len_size != 8) || (off_size != 2 && off_size != 4 && off_size != 8)) {
        rc = fail(c, EMO_EFORMAT, "not a readable HDF5 file (no valid superblock)");
        goto done;
    }
    size_t hdr = 8 + (size_t)len_size, obj_hdr = 8 + (size_t)len_size;
    /* memmem: a per-byte loop is slow under the fuzzer's instrumentation. */
    for (const uint8_t *hit = memmem(b, n, "GCOL\1\0\0\0", 8); hit && (size_t)(hit - b) + hdr <= n;
         hit = memmem(hit + 1, n - (size_t)(hit + 1 - b), "GCOL\1\0\0\0", 8)) {
        size_t at = (size_t)(hit - b);
        uint64_t csize = le_uint(b + at + 8, len_size);
        if (csize < hdr || csize > n - at) {
            rc = fail(c, EMO_EFORMAT, "truncated or corrupt HDF5 file: the global heap at byte %zu runs past its end", at);
            goto done;
        }
        size_t end = at + (size_t)csize;
        for (size_t p = at + hdr; p + obj_hdr <= end;) {
            unsigned idx = (unsigned)le_uint(b + p, 2);
            uint64_t osize = le_uint(b + p + 8, len_size);
            if (idx == 0)
                break; /* free space: the rest of the collection */
            if (osize > end - p - obj_hdr) {
                rc = fail(c, EMO_EFORMAT, "corrupt HDF5 file: object %u of the global heap at byte %zu is larger than its heap",
                          idx, at);
                goto done;
            }
            if (n_objs == MAX_HEAP_OBJS) {
                rc = fail(c, EMO_EUNSUPPORTED, "more than %d global heap objects", MAX_HEAP_OBJS);
                goto done;
            }
            if (!objs && !(objs = malloc(MAX_HEAP_OBJS * sizeof(*objs)))) {
                rc = EMO_ENOMEM;
                goto done;
            }
            objs[n_objs].coll = at - base;
            objs[n_objs].idx = idx;
            objs[n_objs].size = osize;
            n_objs++;
            p += obj_hdr + (size_t)((osize + 7) & ~(uint64_t)7);
        }
    }
    if (n_objs)
        qsort(objs, n_objs, sizeof(*objs), heap_obj_cmp);
    if ((rc = check_config_attr(c, b, n, off_size, objs, n_objs)) < 0)
        goto done;
    rc = 0;
done:
    free(objs);
    free(b);
    fclose(f);
    return rc;
}

/* An open attribute: the attribute, its type and space, and a memory type
 * the reader fills in. */
typedef struct Attr {
    hid_t a, t, s, mt;
} Attr;

static void attr_close(Attr *at)
{
    if (at->mt >= 0)
        H5Tclose(at->mt);
    if (at->s >= 0)
        H5Sclose(at->s);
    if (at->t >= 0)
        H5Tclose(at->t);
    if (at->a >= 0)
        H5Aclose(at->a);
}

/* Opens attribute `name` of `obj` with its type and space. Returns 0, 1 when
 * absent, or a negative error (reported); `at` is closable in every case. */
static int attr_open(Ctx *c, hid_t obj, const char *name, Attr *at)
{
    at->a = at->t = at->s = at->mt = H5I_INVALID_HID;
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return fail(c, EMO_EFORMAT, "cannot look up attribute '%s'", name);
    if (ex == 0)
        return 1;
    if ((at->a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (at->t = H5Aget_type(at->a)) < 0 ||
        (at->s = H5Aget_space(at->a)) < 0)
        return fail(c, EMO_EFORMAT, "cannot open attribute '%s'", name);
    return 0;
}

/* Reads a scalar string attribute (variable or fixed length) into a malloc'ed,
 * NUL-terminated buffer. Returns 0, 1 when absent, or a negative error. */
static int read_str_attr(Ctx *c, hid_t obj, const char *name, char **out)
{
    *out = NULL;
    Attr at;
    int rc = attr_open(c, obj, name, &at);
    char *vbuf = NULL;
    if (rc)
        goto done;
    rc = EMO_EFORMAT;
    hid_t a = at.a, t = at.t, s = at.s, mt;
    if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(s) != 1) {
        fail(c, rc, "attribute '%s' is not a single string", name);
        goto done;
    }
    htri_t vl = H5Tis_variable_str(t);
    if (vl < 0) {
        fail(c, rc, "attribute '%s': bad string type", name);
        goto done;
    }
    if ((mt = at.mt = H5Tcopy(H5T_C_S1)) < 0) {
        fail(c, rc, "H5Tcopy failed");
        goto done;
    }
    if (vl) {
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, &vbuf) < 0 || !vbuf) {
            fail(c, rc, "cannot read attribute '%s'", name);
            goto done;
        }
        size_t n = strnlen(vbuf, MAX_CONFIG_BYTES + 1);
        if (n > MAX_CONFIG_BYTES) {
            fail(c, rc, "attribute '%s' is over %u bytes", name, MAX_CONFIG_BYTES);
            goto done;
        }
        if (!(*out = malloc(n + 1))) {
            rc = EMO_ENOMEM;
            goto done;
        }
        memcpy(*out, vbuf, n + 1);
    } else {
        size_t n = H5Tget_size(t);
        if (n == 0 || n > MAX_CONFIG_BYTES) {
            fail(c, rc, "attribute '%s' has a bad size", name);
            goto done;
        }
        if (H5Tset_size(mt, n + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0) {
            fail(c, rc, "H5Tset_size failed");
            goto done;
        }
        if (!(*out = calloc(n + 2, 1))) {
            rc = EMO_ENOMEM;
            goto done;
        }
        if (H5Aread(a, mt, *out) < 0) {
            free(*out);
            *out = NULL;
            fail(c, rc, "cannot read attribute '%s'", name);
            goto done;
        }
    }
    rc = 0;
done:
    if (vbuf)
        H5free_memory(vbuf);
    attr_close(&at);
    return rc;
}

/* Reads a 1-D fixed-length string-array attribute (h5py writes numpy 'S'
 * arrays; an empty list may come as an empty float array). Names are checked: printable,
 * 1..255 bytes. Returns 0, 1 when absent, or a negative error. */
static int read_str_list_attr(Ctx *c, hid_t obj, const char *name, StrList *out)
{
    out->s = NULL;
    out->n = 0;
    Attr at;
    int rc = attr_open(c, obj, name, &at);
    char *fbuf = NULL;
    hssize_t n = -1;
    if (rc)
        goto done;
    rc = EMO_EFORMAT;
    hid_t a = at.a, t = at.t, s = at.s, mt;
    n = H5Sget_simple_extent_npoints(s);
    if (n < 0 || n > MAX_NAMES || H5Sget_simple_extent_ndims(s) > 1) {
        fail(c, rc, "attribute '%s' is not a list of at most %d names", name, MAX_NAMES);
        goto done;
    }
    if (n == 0) {
        rc = 0;
        goto done;
    }
    if (H5Tget_class(t) != H5T_STRING) {
        fail(c, rc, "attribute '%s' is not a list of strings", name);
        goto done;
    }
    htri_t vl = H5Tis_variable_str(t);
    size_t sz = H5Tget_size(t);
    /* Variable-length lists would be read through libhdf5's unchecked global
     * heap code (see check_global_heaps); Keras writes fixed-length ones. */
    if (vl != 0 || sz == 0 || sz > MAX_NAME_LEN) {
        fail(c, rc, "attribute '%s': not a list of fixed-length strings of at most %d bytes", name, MAX_NAME_LEN);
        goto done;
    }
    if (!(out->s = calloc((size_t)n, sizeof(char *)))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if ((mt = at.mt = H5Tcopy(H5T_C_S1)) < 0) {
        fail(c, rc, "H5Tcopy failed");
        goto done;
    }
    if (!(fbuf = calloc((size_t)n, sz + 1))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if (H5Tset_size(mt, sz + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 || H5Aread(a, mt, fbuf) < 0) {
        fail(c, rc, "cannot read attribute '%s'", name);
        goto done;
    }
    for (hssize_t i = 0; i < n; i++) {
        const char *src = fbuf + (size_t)i * (sz + 1);
        if (strnlen(src, MAX_NAME_LEN + 1) > MAX_NAME_LEN || !name_ok(src)) {
            fail(c, rc, "attribute '%s': entry %d is not a valid name", name, (int)i);
            goto done;
        }
        if (!(out->s[i] = strdup(src))) {
            rc = EMO_ENOMEM;
            goto done;
        }
        out->n = (int)i + 1;
    }
    rc = 0;
done:
    free(fbuf);
    attr_close(&at);
    if (rc)
        strlist_free(out);
    return rc;
}

/* The weights of one layer: its group and the names listed in weight_names. */
typedef struct LayerWeights {
    hid_t group;
    StrList names;
    const char *layer;
} LayerWeights;

static void lw_close(LayerWeights *w)
{
    if (w->group >= 0)
        H5Gclose(w->group);
    w->group = H5I_INVALID_HID;
    strlist_free(&w->names);
}

static int lw_open(Ctx *c, const char *layer, LayerWeights *w)
{
    w->group = H5I_INVALID_HID;
    w->names.s = NULL;
    w->names.n = 0;
    w->layer = layer;
    htri_t ex = H5Lexists(c->wroot, layer, H5P_DEFAULT);
    if (ex <= 0)
        return fail(c, EMO_EFORMAT, "no weight group for layer '%s'", layer);
    if ((w->group = H5Gopen2(c->wroot, layer, H5P_DEFAULT)) < 0)
        return fail(c, EMO_EFORMAT, "cannot open the weight group of layer '%s'", layer);
    int rc = read_str_list_attr(c, w->group, "weight_names", &w->names);
    if (rc == 1)
        rc = fail(c, EMO_EFORMAT, "layer '%s' has no weight_names attribute", layer);
    if (rc)
        lw_close(w);
    return rc;
}

/* Index of the weight whose last path component is `want` (e.g. "kernel:0"),
 * or -1. */
static int lw_find(const LayerWeights *w, const char *want)
{
    for (int i = 0; i < w->names.n; i++) {
        const char *s = strrchr(w->names.s[i], '/');
        s = s ? s + 1 : w->names.s[i];
        if (!strcmp(s, want))
            return i;
    }
    return -1;
}

/* Reads weight `want` of a layer as float32, checking that its dims are
 * exactly dims[0..rank). Returns a malloc'ed array or NULL (error logged,
 * *rc set). */
static float *lw_read(Ctx *c, const LayerWeights *w, const char *want, int rank, const int *dims, int *rc)
{
    float *buf = NULL;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID, p = H5I_INVALID_HID;
    *rc = EMO_EFORMAT;
    int idx = lw_find(w, want);
    if (idx < 0) {
        fail(c, *rc, "layer '%s' has no weight '%s' in its weight_names", w->layer, want);
        return NULL;
    }
    const char *wn = w->names.s[idx];
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] <= 0 || (size_t)dims[i] > MAX_TENSOR_ELEMS) {
            fail(c, *rc, "layer '%s': weight '%s' would have a bad size", w->layer, wn);
            return NULL;
        }
        count *= (size_t)dims[i];
        if (count > MAX_TENSOR_ELEMS) {
            fail(c, *rc, "layer '%s': weight '%s' is over %u elements", w->layer, wn, MAX_TENSOR_ELEMS);
            return NULL;
        }
    }
    if (c->const_total + count > MAX_CONST_TOTAL) {
        fail(c, *rc, "weights over %u floats in total", MAX_CONST_TOTAL);
        return NULL;
    }
    htri_t ex = H5Lexists(w->group, wn, H5P_DEFAULT);
    if (ex <= 0) {
        fail(c, *rc, "layer '%s': dataset '%s' listed in weight_names is missing", w->layer, wn);
        return NULL;
    }
    if ((d = H5Dopen2(w->group, wn, H5P_DEFAULT)) < 0 || (t = H5Dget_type(d)) < 0 || (s = H5Dget_space(d)) < 0 ||
        (p = H5Dget_create_plist(d)) < 0) {
        fail(c, *rc, "layer '%s': cannot open dataset '%s'", w->layer, wn);
        goto done;
    }
    if (H5Tget_class(t) != H5T_FLOAT) {
        fail(c, *rc, "layer '%s': dataset '%s' is not floating point", w->layer, wn);
        goto done;
    }
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t fd[H5S_MAX_RANK];
    if (nd != rank || H5Sget_simple_extent_dims(s, fd, NULL) != nd) {
        fail(c, *rc, "layer '%s': dataset '%s' has rank %d, expected %d", w->layer, wn, nd, rank);
        goto done;
    }
    for (int i = 0; i < rank; i++)
        if (fd[i] != (hsize_t)dims[i]) {
            char want_s[64] = "", got_s[64] = "";
            for (int k = 0; k < rank; k++) {
                size_t lw = strlen(want_s), lg = strlen(got_s);
                snprintf(want_s + lw, sizeof(want_s) - lw, "%s%d", k ? "x" : "", dims[k]);
                snprintf(got_s + lg, sizeof(got_s) - lg, "%s%llu", k ? "x" : "", (unsigned long long)fd[k]);
            }
            fail(c, *rc, "layer '%s': dataset '%s' is %s, the configuration implies %s", w->layer, wn, got_s,
                 want_s);
            goto done;
        }
    /* Without filters the stored bytes must cover the whole dataset: a tiny
     * file cannot make us allocate a large buffer of fill values. */
    size_t tsize = H5Tget_size(t);
    int nf = H5Pget_nfilters(p);
    hsize_t stored = H5Dget_storage_size(d);
    if (tsize == 0 || tsize > 16 || nf < 0 || stored == 0 || (nf == 0 && stored < (hsize_t)count * tsize)) {
        fail(c, *rc, "layer '%s': dataset '%s' has no or too little stored data", w->layer, wn);
        goto done;
    }
    if (!(buf = malloc(count * sizeof(float)))) {
        *rc = EMO_ENOMEM;
        goto done;
    }
    if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        fail(c, *rc, "layer '%s': cannot read dataset '%s'", w->layer, wn);
        free(buf);
        buf = NULL;
        goto done;
    }
    for (size_t i = 0; i < count; i++)
        if (!isfinite(buf[i])) {
            fail(c, *rc, "layer '%s': dataset '%s' holds a NaN or infinite value", w->layer, wn);
            free(buf);
            buf = NULL;
            goto done;
        }
    c->const_total += count;
    *rc = 0;
done:
    if (p >= 0)
        H5Pclose(p);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return buf;
}

/* ---------------------------------------------------------------- graph building */

typedef struct ConvSpec {
    int depthwise;
    int kh, kw, sh, sw, dh, dw;
    int same;                 /* TF SAME padding, else VALID */
    int cout;                 /* output channels */
    int mult;                 /* depthwise multiplier */
} ConvSpec;

static int new_act(Ctx *c, const char *name, int rank, const int *shape)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)(shape[i] > 0 ? shape[i] : 0);
    if (n == 0 || n > MAX_TENSOR_ELEMS || c->act_total + n > MAX_ACT_TOTAL)
        return fail(c, EMO_EFORMAT, "tensor '%s' would be empty or too large", name);
    int id = emo__nn_graph_add_tensor(c->g, name, rank, shape, NULL);
    if (id < 0)
        return fail(c, id, "cannot add tensor '%s'", name);
    c->act_total += n;
    return id;
}

static int new_const(Ctx *c, const char *name, int rank, const int *shape, float *owned)
{
    int id = emo__nn_graph_add_const_owned(c->g, name, rank, shape, owned);
    if (id < 0)
        return fail(c, id, "cannot add constant '%s'", name);
    return id;
}

static int add_node(Ctx *c, const EmoNnNode *n)
{
    int id = emo__nn_graph_add_node(c->g, n);
    if (id < 0)
        return fail(c, id, "too many nodes");
    return id;
}

static const EmoNnTensor *T(const Ctx *c, int id)
{
    return &c->g->tensors[id];
}

/* Window geometry along one axis. */
static int window_axis(Ctx *c, const char *layer, int in, int k, int s, int d, int same, int *p0, int *p1, int *o)
{
    if (same) {
        emo__nn_same_padding(in, k, s, d, p0, p1, o);
        return 0;
    }
    int eff = (k - 1) * d + 1;
    if (in < eff)
        return fail(c, EMO_EFORMAT, "layer '%s': window %d larger than its input %d", layer, eff, in);
    *p0 = *p1 = 0;
    *o = (in - eff) / s + 1;
    return 0;
}

/* Emits a convolution (weights and bias already in our layout, owned: freed
 * on failure). Returns the node index; *out_t receives the output tensor. */
static int emit_conv(Ctx *c, const char *layer, const char *tname, int in_t, const ConvSpec *k, float *w, float *b,
                     int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    EmoNnNode n;
    int rc, oh, ow, shape[4], wshape[4];
    emo__nn_node_init(&n, k->depthwise ? EMO_NN_DEPTHWISE_CONV2D : EMO_NN_CONV2D);
    if (in->rank != 4) {
        rc = fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a rank-%d tensor", layer, in->rank);
        goto fail;
    }
    int cin = in->shape[3];
    if ((rc = window_axis(c, layer, in->shape[1], k->kh, k->sh, k->dh, k->same, &n.pad_top, &n.pad_bottom, &oh)) ||
        (rc = window_axis(c, layer, in->shape[2], k->kw, k->sw, k->dw, k->same, &n.pad_left, &n.pad_right, &ow)))
        goto fail;
    int cout = k->depthwise ? cin * k->mult : k->cout;
    wshape[0] = k->depthwise ? 1 : cout;
    wshape[1] = k->kh;
    wshape[2] = k->kw;
    wshape[3] = k->depthwise ? cout : cin;
    n.kernel_h = k->kh;
    n.kernel_w = k->kw;
    n.stride_h = k->sh;
    n.stride_w = k->sw;
    n.dilation_h = k->dh;
    n.dilation_w = k->dw;
    n.depth_multiplier = k->depthwise ? k->mult : 1;
    char cname[128];
    snprintf(cname, sizeof(cname), "%s/weights", tname);
    n.weights = new_const(c, cname, 4, wshape, w);
    w = NULL;
    if (n.weights < 0) {
        rc = n.weights;
        goto fail;
    }
    if (b) {
        snprintf(cname, sizeof(cname), "%s/bias", tname);
        n.bias = new_const(c, cname, 1, &cout, b);
        b = NULL;
        if (n.bias < 0) {
            rc = n.bias;
            goto fail;
        }
    }
    shape[0] = 1;
    shape[1] = oh;
    shape[2] = ow;
    shape[3] = cout;
    if ((n.output = new_act(c, tname, 4, shape)) < 0) {
        rc = n.output;
        goto fail;
    }
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
fail:
    free(w);
    free(b);
    return rc;
}

static int emit_simple(Ctx *c, EmoNnOp op, const char *tname, const int *ins, int n_in, int rank, const int *shape,
                       int *out_t)
{
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    for (int i = 0; i < n_in; i++)
        n.inputs[i] = ins[i];
    n.n_inputs = n_in;
    if ((n.output = new_act(c, tname, rank, shape)) < 0)
        return n.output;
    *out_t = n.output;
    return add_node(c, &n);
}

static int clamp_fusable(EmoNnOp op)
{
    return op == EMO_NN_CONV2D || op == EMO_NN_DEPTHWISE_CONV2D || op == EMO_NN_DENSE || op == EMO_NN_ADD;
}

/* Applies a Keras activation to tensor *t produced by node *node (-1 when the
 * producer's output is also read elsewhere). On return t and node describe
 * the result. A new tensor is named after the layer (Keras users know
 * outputs by layer name, and the CLI writes <name>.f32): when own_input says
 * *t is this layer's own pre-activation tensor, that one is renamed
 * "<layer>:linear". */
static int apply_activation(Ctx *c, const char *layer, const char *act, int *t, int *node, int own_input)
{
    if (!act || !strcmp(act, "linear"))
        return 0;
    EmoNnOp op;
    if (!strcmp(act, "relu")) {
        if (*node >= 0 && clamp_fusable(c->g->nodes[*node].op)) {
            /* relu(clamp(x, a, b)) == clamp(x, max(a,0), max(b,0)) */
            EmoNnNode *n = &c->g->nodes[*node];
            n->act_min = n->act_min > 0.0f ? n->act_min : 0.0f;
            n->act_max = n->act_max > 0.0f ? n->act_max : 0.0f;
            return 0;
        }
        op = EMO_NN_CLAMP;
    } else if (!strcmp(act, "softmax")) {
        op = EMO_NN_SOFTMAX;
    } else if (!strcmp(act, "sigmoid")) {
        op = EMO_NN_SIGMOID;
    } else {
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': unsupported activation '%s'", layer, act);
    }
    if (own_input) {
        EmoNnTensor *pre = &c->g->tensors[*t];
        snprintf(pre->name, sizeof(pre->name), "%.80s:linear", layer);
    }
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    if (op == EMO_NN_CLAMP)
        n.act_min = 0.0f;
    n.inputs[0] = *t;
    n.n_inputs = 1;
    if ((n.output = new_act(c, layer, T(c, *t)->rank, T(c, *t)->shape)) < 0)
        return n.output;
    int id = add_node(c, &n);
    if (id < 0)
        return id;
    *t = n.output;
    /* Softmax and sigmoid carry no fused clamp in every backend. */
    *node = op == EMO_NN_CLAMP ? id : -1;
    return 0;
}

static float *transpose_hwio(const float *src, int kh, int kw, int cin, int cout)
{
    float *dst = malloc((size_t)kh * kw * cin * cout * sizeof(float));
    if (!dst)
        return NULL;
    for (int y = 0; y < kh; y++)
        for (int x = 0; x < kw; x++)
            for (int i = 0; i < cin; i++)
                for (int o = 0; o < cout; o++)
                    dst[(((size_t)o * kh + y) * kw + x) * cin + i] = src[(((size_t)y * kw + x) * cin + i) * cout + o];
    return dst;
}

static float *transpose_2d(const float *src, int rows, int cols)
{
    float *dst = malloc((size_t)rows * cols * sizeof(float));
    if (!dst)
        return NULL;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            dst[(size_t)k * rows + r] = src[(size_t)r * cols + k];
    return dst;
}

/* Conv2D / SeparableConv2D / Dense weights read from `lw` and emitted. */
static int build_conv2d(Ctx *c, const char *layer, const LayerWeights *lw, int in_t, const ConvSpec *k, int use_bias,
                        int *out_t)
{
    int rc, cin = T(c, in_t)->rank == 4 ? T(c, in_t)->shape[3] : -1;
    if (cin < 0)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a non-image tensor", layer);
    int kd[4] = { k->kh, k->kw, cin, k->cout };
    float *hwio = lw_read(c, lw, "kernel:0", 4, kd, &rc);
    if (!hwio)
        return rc;
    float *w = transpose_hwio(hwio, k->kh, k->kw, cin, k->cout);
    free(hwio);
    if (!w)
        return EMO_ENOMEM;
    float *b = NULL;
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &k->cout, &rc))) {
        free(w);
        return rc;
    }
    return emit_conv(c, layer, layer, in_t, k, w, b, out_t);
}

static int build_separable(Ctx *c, const char *layer, const LayerWeights *lw, int in_t, const ConvSpec *k,
                           int use_bias, int *out_t)
{
    int rc, cin = T(c, in_t)->rank == 4 ? T(c, in_t)->shape[3] : -1;
    if (cin < 0)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': convolution of a non-image tensor", layer);
    if ((long)cin * k->mult > MAX_CHANNELS)
        return fail(c, EMO_EFORMAT, "layer '%s': too many depthwise channels", layer);
    int dd[4] = { k->kh, k->kw, cin, k->mult };
    int mid = cin * k->mult;
    int pd[4] = { 1, 1, mid, k->cout };
    /* [kh][kw][Cin][mult] is already the memory order of [1][kh][kw][Cin*mult]. */
    float *dw = lw_read(c, lw, "depthwise_kernel:0", 4, dd, &rc);
    if (!dw)
        return rc;
    float *pw_io = lw_read(c, lw, "pointwise_kernel:0", 4, pd, &rc);
    if (!pw_io) {
        free(dw);
        return rc;
    }
    float *pw = transpose_2d(pw_io, mid, k->cout);
    free(pw_io);
    float *b = NULL;
    if (!pw) {
        free(dw);
        return EMO_ENOMEM;
    }
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &k->cout, &rc))) {
        free(dw);
        free(pw);
        return rc;
    }
    ConvSpec d = *k;
    d.depthwise = 1;
    char dname[128];
    snprintf(dname, sizeof(dname), "%s/depthwise", layer);
    int mid_t;
    if ((rc = emit_conv(c, layer, dname, in_t, &d, dw, NULL, &mid_t)) < 0) {
        free(pw);
        free(b);
        return rc;
    }
    ConvSpec p = { 0, 1, 1, 1, 1, 1, 1, 0, k->cout, 1 };
    return emit_conv(c, layer, layer, mid_t, &p, pw, b, out_t);
}

static int build_dense(Ctx *c, const char *layer, const LayerWeights *lw, int in_t, int units, int use_bias,
                       int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank != 2 || in->shape[0] != 1)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': Dense needs a flat [1, N] input (add a Flatten)", layer);
    int rc, cin = in->shape[1];
    int kd[2] = { cin, units };
    float *io = lw_read(c, lw, "kernel:0", 2, kd, &rc);
    if (!io)
        return rc;
    float *w = transpose_2d(io, cin, units);
    free(io);
    if (!w)
        return EMO_ENOMEM;
    float *b = NULL;
    if (use_bias && !(b = lw_read(c, lw, "bias:0", 1, &units, &rc))) {
        free(w);
        return rc;
    }
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_DENSE);
    char cname[128];
    int wshape[2] = { units, cin };
    snprintf(cname, sizeof(cname), "%s/weights", layer);
    n.weights = new_const(c, cname, 2, wshape, w);
    if (n.weights < 0) {
        free(b);
        return n.weights;
    }
    if (b) {
        snprintf(cname, sizeof(cname), "%s/bias", layer);
        if ((n.bias = new_const(c, cname, 1, &units, b)) < 0)
            return n.bias;
    }
    int shape[2] = { 1, units };
    if ((n.output = new_act(c, layer, 2, shape)) < 0)
        return n.output;
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
}

static int build_pool(Ctx *c, const char *layer, EmoNnOp op, int in_t, const ConvSpec *k, int *out_t)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank != 4)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': pooling of a rank-%d tensor", layer, in->rank);
    EmoNnNode n;
    emo__nn_node_init(&n, op);
    int rc, oh, ow;
    if ((rc = window_axis(c, layer, in->shape[1], k->kh, k->sh, 1, k->same, &n.pad_top, &n.pad_bottom, &oh)) ||
        (rc = window_axis(c, layer, in->shape[2], k->kw, k->sw, 1, k->same, &n.pad_left, &n.pad_right, &ow)))
        return rc;
    n.kernel_h = k->kh;
    n.kernel_w = k->kw;
    n.stride_h = k->sh;
    n.stride_w = k->sw;
    int shape[4] = { 1, oh, ow, in->shape[3] };
    if ((n.output = new_act(c, layer, 4, shape)) < 0)
        return n.output;
    n.inputs[0] = in_t;
    n.n_inputs = 1;
    *out_t = n.output;
    return add_node(c, &n);
}

static int build_flatten(Ctx *c, const char *layer, int in_t, int *out_t, int *node)
{
    const EmoNnTensor *in = T(c, in_t);
    if (in->rank <= 2) {
        *out_t = in_t;
        return 0;
    }
    int shape[2] = { 1, (int)emo__nn_tensor_count(in) };
    /* NHWC memory order is Keras' channels_last flatten order: a reshape. */
    int rc = emit_simple(c, EMO_NN_RESHAPE, layer, &in_t, 1, 2, shape, out_t);
    if (rc >= 0)
        *node = -1;
    return rc < 0 ? rc : 0;
}

/* BatchNormalization: folded into the producing conv/dense node when it is
 * the only reader, else a per-channel scale and shift. */
static int fold_bn(EmoNnGraph *g, int node, const float *scale, const float *shift)
{
    EmoNnNode *n = &g->nodes[node];
    const EmoNnTensor *out = &g->tensors[n->output];
    int C = out->shape[out->rank - 1];
    EmoNnTensor *w = &g->tensors[n->weights];
    size_t count = emo__nn_tensor_count(w);
    if (n->op == EMO_NN_DEPTHWISE_CONV2D) {
        for (size_t i = 0; i < count; i++)
            w->data[i] *= scale[i % (size_t)C];
    } else {
        size_t per = count / (size_t)C;
        for (size_t i = 0; i < count; i++)
            w->data[i] *= scale[i / per];
    }
    if (n->bias < 0) {
        int id = emo__nn_graph_add_tensor(g, "", 1, &C, shift);
        if (id < 0)
            return id;
        char name[96];
        snprintf(name, sizeof(name), "%.80s/bias", out->name);
        n = &g->nodes[node];
        snprintf(g->tensors[id].name, sizeof(g->tensors[id].name), "%s", name);
        n->bias = id;
    } else {
        float *b = g->tensors[n->bias].data;
        for (int i = 0; i < C; i++)
            b[i] = b[i] * scale[i] + shift[i];
    }
    return 0;
}

static int build_bn(Ctx *c, const char *layer, const LayerWeights *lw, const cJSON *cfg, int in_t, int in_node,
                    int *out_t, int *out_node)
{
    const EmoNnTensor *in = T(c, in_t);
    int C = in->shape[in->rank - 1], rank = in->rank, rc = 0;
    const cJSON *ax = cJSON_GetObjectItemCaseSensitive(cfg, "axis");
    if (ax && (!cJSON_IsNumber(ax) || (ax->valuedouble != -1 && ax->valuedouble != rank - 1)))
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': BatchNormalization only over the last (channel) axis", layer);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(cfg, "epsilon");
    double eps = e && cJSON_IsNumber(e) ? e->valuedouble : 1e-3;
    if (!(eps >= 0.0 && eps < 1e3))
        return fail(c, EMO_EFORMAT, "layer '%s': bad epsilon", layer);
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(cfg, "scale");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(cfg, "center");
    int has_scale = !js || cJSON_IsTrue(js), has_center = !jc || cJSON_IsTrue(jc);
    float *gamma = NULL, *beta = NULL, *mean = NULL, *var = NULL, *scale = NULL, *shift = NULL;
    if ((has_scale && !(gamma = lw_read(c, lw, "gamma:0", 1, &C, &rc))) ||
        (has_center && !(beta = lw_read(c, lw, "beta:0", 1, &C, &rc))) ||
        !(mean = lw_read(c, lw, "moving_mean:0", 1, &C, &rc)) ||
        !(var = lw_read(c, lw, "moving_variance:0", 1, &C, &rc)))
        goto done;
    scale = malloc((size_t)C * sizeof(float));
    shift = malloc((size_t)C * sizeof(float));
    if (!scale || !shift) {
        rc = EMO_ENOMEM;
        goto done;
    }
    for (int i = 0; i < C; i++) {
        double v = (double)var[i] + eps;
        if (!(v > 0.0)) {
            rc = fail(c, EMO_EFORMAT, "layer '%s': variance + epsilon is not positive", layer);
            goto done;
        }
        double s = (has_scale ? gamma[i] : 1.0) / sqrt(v);
        scale[i] = (float)s;
        shift[i] = (float)((has_center ? beta[i] : 0.0) - mean[i] * s);
    }
    if (in_node >= 0) {
        const EmoNnNode *n = &c->g->nodes[in_node];
        if ((n->op == EMO_NN_CONV2D || n->op == EMO_NN_DEPTHWISE_CONV2D || n->op == EMO_NN_DENSE) &&
            n->act_min == -INFINITY && n->act_max == INFINITY && n->output == in_t) {
            if ((rc = fold_bn(c->g, in_node, scale, shift)) < 0)
                goto done;
            *out_t = in_t;
            *out_node = in_node;
            goto done;
        }
    }
    /* Not after a linear conv: y = x * scale + shift as a 1x1 depthwise conv. */
    if (rank != 4 && rank != 2) {
        rc = fail(c, EMO_EUNSUPPORTED, "layer '%s': BatchNormalization of a rank-%d tensor", layer, rank);
        goto done;
    }
    int src = in_t;
    char name[128];
    if (rank == 2) {
        int s4[4] = { 1, 1, 1, C };
        snprintf(name, sizeof(name), "%s/as_image", layer);
        if ((rc = emit_simple(c, EMO_NN_RESHAPE, name, &in_t, 1, 4, s4, &src)) < 0)
            goto done;
    }
    ConvSpec k = { 1, 1, 1, 1, 1, 1, 1, 0, C, 1 };
    snprintf(name, sizeof(name), rank == 2 ? "%s/affine" : "%s", layer);
    rc = emit_conv(c, layer, name, src, &k, scale, shift, out_t);
    scale = shift = NULL;
    if (rc < 0)
        goto done;
    *out_node = rc;
    if (rank == 2) {
        int s2[2] = { 1, C };
        int t4 = *out_t;
        if ((rc = emit_simple(c, EMO_NN_RESHAPE, layer, &t4, 1, 2, s2, out_t)) < 0)
            goto done;
        *out_node = -1;
    }
    rc = 0;
done:
    free(gamma);
    free(beta);
    free(mean);
    free(var);
    free(scale);
    free(shift);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- JSON config */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint_value(const cJSON *v, int lo, int hi, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return -1;
    *out = (int)v->valuedouble;
    return 0;
}

/* An int config field; missing -> def (if def_ok). */
static int jint(Ctx *c, const char *layer, const cJSON *o, const char *key, int lo, int hi, int def, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < lo)
            return fail(c, EMO_EFORMAT, "layer '%s': missing '%s'", layer, key);
        *out = def;
        return 0;
    }
    if (jint_value(v, lo, hi, out))
        return fail(c, EMO_EFORMAT, "layer '%s': '%s' must be an integer in [%d, %d]", layer, key, lo, hi);
    return 0;
}

/* A pair field ([a, b] or a single number); missing/null -> def (if def >= lo). */
static int jpair(Ctx *c, const char *layer, const cJSON *o, const char *key, int lo, int hi, int def, int *a, int *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < lo)
            return fail(c, EMO_EFORMAT, "layer '%s': missing '%s'", layer, key);
        *a = *b = def;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        if (jint_value(v, lo, hi, a))
            goto bad;
        *b = *a;
        return 0;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && !jint_value(cJSON_GetArrayItem(v, 0), lo, hi, a) &&
        !jint_value(cJSON_GetArrayItem(v, 1), lo, hi, b))
        return 0;
bad:
    return fail(c, EMO_EFORMAT, "layer '%s': '%s' must be two integers in [%d, %d]", layer, key, lo, hi);
}

static int jbool(const cJSON *o, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v ? cJSON_IsTrue(v) : def;
}

static int check_common(Ctx *c, const char *layer, const cJSON *cfg)
{
    const char *df = jstr(cfg, "data_format");
    if (df && strcmp(df, "channels_last"))
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': data_format '%s' (only channels_last)", layer, df);
    return 0;
}

static int jpadding(Ctx *c, const char *layer, const cJSON *cfg, int *same)
{
    const char *p = jstr(cfg, "padding");
    if (!p || !strcmp(p, "valid"))
        *same = 0;
    else if (!strcmp(p, "same"))
        *same = 1;
    else
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': padding '%s'", layer, p);
    return 0;
}

static int conv_spec(Ctx *c, const char *layer, const cJSON *cfg, ConvSpec *k)
{
    int rc;
    memset(k, 0, sizeof(*k));
    k->mult = 1;
    if ((rc = check_common(c, layer, cfg)) || (rc = jpair(c, layer, cfg, "kernel_size", 1, MAX_KERNEL, -1, &k->kh, &k->kw)) ||
        (rc = jpair(c, layer, cfg, "strides", 1, MAX_STRIDE, 1, &k->sh, &k->sw)) ||
        (rc = jpair(c, layer, cfg, "dilation_rate", 1, MAX_STRIDE, 1, &k->dh, &k->dw)) ||
        (rc = jpadding(c, layer, cfg, &k->same)))
        return rc;
    if ((k->sh > 1 || k->sw > 1) && (k->dh > 1 || k->dw > 1))
        return fail(c, EMO_EUNSUPPORTED, "layer '%s': strides and dilation together", layer);
    return 0;
}

static Layer *find_layer(Ctx *c, const char *name)
{
    for (int i = 0; i < c->n_layers; i++)
        if (!strcmp(c->layers[i].name, name))
            return &c->layers[i];
    return NULL;
}

static int build_input(Ctx *c, Layer *L, const cJSON *cfg)
{
    const cJSON *bis = cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape");
    const char *dt = jstr(cfg, "dtype");
    if (dt && strcmp(dt, "float32"))
        return fail(c, EMO_EUNSUPPORTED, "input '%s': dtype '%s' (only float32)", L->name, dt);
    int n = cJSON_IsArray(bis) ? cJSON_GetArraySize(bis) : 0;
    if (n != 4 && n != 2)
        return fail(c, EMO_EUNSUPPORTED, "input '%s': batch_input_shape must be [batch, H, W, C] or [batch, N]",
                    L->name);
    const cJSON *b0 = cJSON_GetArrayItem(bis, 0);
    if (!cJSON_IsNull(b0) && !(cJSON_IsNumber(b0) && b0->valuedouble == 1))
        return fail(c, EMO_EUNSUPPORTED, "input '%s': batch size other than 1", L->name);
    int shape[4] = { 1, 1, 1, 1 };
    for (int i = 1; i < n; i++) {
        int hi = (n == 4 && i < 3) ? MAX_SPATIAL : (n == 2 ? (int)MAX_TENSOR_ELEMS : MAX_CHANNELS);
        if (jint_value(cJSON_GetArrayItem(bis, i), 1, hi, &shape[i]))
            return fail(c, EMO_EUNSUPPORTED, "input '%s': dimension %d must be fixed and in [1, %d]", L->name, i, hi);
    }
    if ((L->tensor = new_act(c, L->name, n, shape)) < 0)
        return L->tensor;
    L->node = -1;
    return 0;
}

/* Builds one layer from its Keras class and config, given its inputs. */
static int build_layer(Ctx *c, Layer *L, const char *cls, const cJSON *cfg, Layer **ins, int n_in)
{
    const char *name = L->name;
    int rc = 0, t = -1, node = -1;
    if (!strcmp(cls, "InputLayer"))
        return n_in ? fail(c, EMO_EFORMAT, "input '%s' has inbound layers", name) : build_input(c, L, cfg);
    if (n_in < 1)
        return fail(c, EMO_EFORMAT, "layer '%s' (%s) has no input", name, cls);
    for (int i = 0; i < n_in; i++)
        if (ins[i]->tensor < 0)
            return fail(c, EMO_EFORMAT, "layer '%s' reads layer '%s' before it is defined", name, ins[i]->name);
    if (strcmp(cls, "Add") && n_in != 1)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s' (%s) with %d inputs", name, cls, n_in);
    int in_t = ins[0]->tensor;
    /* The producer's node may be modified (fused) only if this layer is its sole reader. */
    int in_node = ins[0]->consumers == 1 ? ins[0]->node : -1;
    LayerWeights lw = { H5I_INVALID_HID, { NULL, 0 }, name };

    if (!strcmp(cls, "Conv2D") || !strcmp(cls, "SeparableConv2D")) {
        ConvSpec k;
        int sep = cls[0] == 'S';
        if ((rc = conv_spec(c, name, cfg, &k)) ||
            (rc = jint(c, name, cfg, "filters", 1, MAX_CHANNELS, -1, &k.cout)) ||
            (sep && (rc = jint(c, name, cfg, "depth_multiplier", 1, 256, 1, &k.mult))) ||
            (rc = lw_open(c, name, &lw)))
            goto done;
        int use_bias = jbool(cfg, "use_bias", 1);
        rc = sep ? build_separable(c, name, &lw, in_t, &k, use_bias, &t) : build_conv2d(c, name, &lw, in_t, &k, use_bias, &t);
        if (rc < 0)
            goto done;
        node = rc;
        rc = apply_activation(c, name, jstr(cfg, "activation"), &t, &node, 1);
    } else if (!strcmp(cls, "Dense")) {
        int units;
        if ((rc = jint(c, name, cfg, "units", 1, MAX_CHANNELS, -1, &units)) || (rc = lw_open(c, name, &lw)))
            goto done;
        if ((rc = build_dense(c, name, &lw, in_t, units, jbool(cfg, "use_bias", 1), &t)) < 0)
            goto done;
        node = rc;
        rc = apply_activation(c, name, jstr(cfg, "activation"), &t, &node, 1);
    } else if (!strcmp(cls, "BatchNormalization")) {
        if (!(rc = lw_open(c, name, &lw)))
            rc = build_bn(c, name, &lw, cfg, in_t, in_node, &t, &node);
    } else if (!strcmp(cls, "Activation")) {
        t = in_t;
        node = in_node;
        if (!jstr(cfg, "activation"))
            rc = fail(c, EMO_EFORMAT, "layer '%s': Activation without an activation", name);
        else
            rc = apply_activation(c, name, jstr(cfg, "activation"), &t, &node, 0);
    } else if (!strcmp(cls, "MaxPooling2D") || !strcmp(cls, "AveragePooling2D")) {
        ConvSpec k;
        memset(&k, 0, sizeof(k));
        if ((rc = check_common(c, name, cfg)) || (rc = jpair(c, name, cfg, "pool_size", 1, MAX_KERNEL, 2, &k.kh, &k.kw)) ||
            (rc = jpadding(c, name, cfg, &k.same)))
            goto done;
        /* strides: missing or null means the pool size */
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(cfg, "strides");
        if (st && !cJSON_IsNull(st)) {
            if ((rc = jpair(c, name, cfg, "strides", 1, MAX_STRIDE, -1, &k.sh, &k.sw)))
                goto done;
        } else {
            k.sh = k.kh;
            k.sw = k.kw;
        }
        rc = build_pool(c, name, cls[0] == 'M' ? EMO_NN_MAX_POOL : EMO_NN_AVG_POOL, in_t, &k, &t);
    } else if (!strcmp(cls, "GlobalAveragePooling2D")) {
        const EmoNnTensor *in = T(c, in_t);
        if ((rc = check_common(c, name, cfg)))
            goto done;
        if (in->rank != 4) {
            rc = fail(c, EMO_EUNSUPPORTED, "layer '%s': global pooling of a rank-%d tensor", name, in->rank);
            goto done;
        }
        int C = in->shape[3], s4[4] = { 1, 1, 1, C }, s2[2] = { 1, C }, mid;
        char pname[128];
        snprintf(pname, sizeof(pname), "%s/pool", name);
        if ((rc = emit_simple(c, EMO_NN_GLOBAL_AVG_POOL, pname, &in_t, 1, 4, s4, &mid)) >= 0)
            rc = emit_simple(c, EMO_NN_RESHAPE, name, &mid, 1, 2, s2, &t); /* Keras' output is [1, C] */
    } else if (!strcmp(cls, "Add")) {
        if (n_in < 2) {
            rc = fail(c, EMO_EFORMAT, "layer '%s': Add of fewer than two inputs", name);
            goto done;
        }
        t = in_t;
        for (int i = 1; i < n_in && rc >= 0; i++) {
            const EmoNnTensor *a = T(c, t), *b = T(c, ins[i]->tensor);
            if (a->rank != b->rank || memcmp(a->shape, b->shape, sizeof(int) * (size_t)a->rank)) {
                rc = fail(c, EMO_EFORMAT, "layer '%s': Add of tensors of different shapes", name);
                goto done;
            }
            char aname[128];
            snprintf(aname, sizeof(aname), i == n_in - 1 ? "%s" : "%s/partial%d", name, i);
            int pair[2] = { t, ins[i]->tensor };
            rc = emit_simple(c, EMO_NN_ADD, aname, pair, 2, a->rank, a->shape, &t);
            node = rc;
        }
    } else if (!strcmp(cls, "Flatten")) {
        node = in_node;
        rc = build_flatten(c, name, in_t, &t, &node);
    } else if (!strcmp(cls, "Dropout")) {
        t = in_t; /* identity at inference */
        node = in_node;
    } else {
        rc = fail(c, EMO_EUNSUPPORTED, "layer '%s': unsupported layer class '%s'", name, cls);
    }
done:
    lw_close(&lw);
    if (rc < 0)
        return rc;
    L->tensor = t;
    L->node = node;
    return 0;
}

/* inbound_nodes of a functional-model layer -> its input layers. */
static int resolve_inbound(Ctx *c, const char *name, const cJSON *layer, Layer **ins, int *n_in, int count_only)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(layer, "inbound_nodes");
    *n_in = 0;
    if (!nodes || (cJSON_IsArray(nodes) && cJSON_GetArraySize(nodes) == 0))
        return 0;
    if (!cJSON_IsArray(nodes))
        return fail(c, EMO_EFORMAT, "layer '%s': inbound_nodes is not a list", name);
    if (cJSON_GetArraySize(nodes) != 1)
        return fail(c, EMO_EUNSUPPORTED, "layer '%s' is shared (called %d times)", name, cJSON_GetArraySize(nodes));
    const cJSON *node = cJSON_GetArrayItem(nodes, 0);
    if (!cJSON_IsArray(node) || cJSON_GetArraySize(node) > EMO_NN_MAX_NODE_INPUTS)
        return fail(c, EMO_EFORMAT, "layer '%s': bad inbound node", name);
    const cJSON *ref;
    cJSON_ArrayForEach(ref, node)
    {
        const cJSON *rn = cJSON_GetArrayItem(ref, 0);
        if (!cJSON_IsArray(ref) || !cJSON_IsString(rn))
            return fail(c, EMO_EFORMAT, "layer '%s': bad inbound reference", name);
        int ni = 0, ti = 0;
        const cJSON *jn = cJSON_GetArrayItem(ref, 1), *jt = cJSON_GetArrayItem(ref, 2);
        if ((jn && jint_value(jn, 0, 0, &ni)) || (jt && jint_value(jt, 0, 0, &ti)))
            return fail(c, EMO_EUNSUPPORTED, "layer '%s': reads another node or tensor of '%s'", name, rn->valuestring);
        Layer *src = find_layer(c, rn->valuestring);
        if (!src)
            return fail(c, EMO_EFORMAT, "layer '%s' reads unknown layer '%s'", name, rn->valuestring);
        if (count_only)
            src->consumers++;
        else
            ins[*n_in] = src;
        (*n_in)++;
    }
    return 0;
}

/* [[name, 0, 0], ...] of input_layers / output_layers -> layers. */
static int io_layers(Ctx *c, const cJSON *list, const char *what, Layer **out, int *n)
{
    *n = 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > 8)
        return fail(c, EMO_EFORMAT, "model %s must list 1 to 8 layers", what);
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *nm = cJSON_GetArrayItem(e, 0);
        int zero;
        const cJSON *jn = cJSON_GetArrayItem(e, 1), *jt = cJSON_GetArrayItem(e, 2);
        if (!cJSON_IsString(nm))
            return fail(c, EMO_EFORMAT, "model %s: bad entry", what);
        if ((jn && jint_value(jn, 0, 0, &zero)) || (jt && jint_value(jt, 0, 0, &zero)))
            return fail(c, EMO_EUNSUPPORTED, "model %s: '%s' is not a layer's first output", what, nm->valuestring);
        if (!(out[*n] = find_layer(c, nm->valuestring)))
            return fail(c, EMO_EFORMAT, "model %s: unknown layer '%s'", what, nm->valuestring);
        (*n)++;
    }
    return 0;
}

static int layer_name(Ctx *c, const cJSON *layer, int idx, const char **out)
{
    const char *name = jstr(layer, "name");
    if (!name)
        name = jstr(cJSON_GetObjectItemCaseSensitive(layer, "config"), "name");
    if (!name || !name_ok(name) || strlen(name) >= sizeof(((Layer *)0)->name) - 1)
        return fail(c, EMO_EFORMAT, "layer %d has no valid name", idx);
    *out = name;
    return 0;
}

static int load_model_config(Ctx *c, const char *json)
{
    int rc = 0;
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return fail(c, EMO_EFORMAT, "model_config is not valid JSON");
    const char *cls = jstr(root, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    int sequential = cls && !strcmp(cls, "Sequential");
    if (!cls || (!sequential && strcmp(cls, "Model") && strcmp(cls, "Functional"))) {
        rc = fail(c, EMO_EUNSUPPORTED, "model class '%s' (only Model and Sequential)", cls ? cls : "?");
        goto done;
    }
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n = cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : 0;
    if (n < 1 || n > MAX_LAYERS) {
        rc = fail(c, EMO_EFORMAT, "model_config lists %d layers (1 to %d expected)", n, MAX_LAYERS);
        goto done;
    }
    /* One more slot: a Sequential model without an InputLayer gets one. */
    if (!(c->layers = calloc((size_t)n + 1, sizeof(Layer)))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    const cJSON *first = cJSON_GetArrayItem(layers, 0);
    int synth_input = sequential && !(jstr(first, "class_name") && !strcmp(jstr(first, "class_name"), "InputLayer"));
    if (synth_input) {
        Layer *L = &c->layers[c->n_layers++];
        snprintf(L->name, sizeof(L->name), "input");
        if ((rc = build_input(c, L, cJSON_GetObjectItemCaseSensitive(first, "config"))))
            goto done;
        L->consumers = 1;
    }
    const cJSON *ly;
    int idx = 0;
    cJSON_ArrayForEach(ly, layers)
    {
        const char *name = NULL;
        if ((rc = layer_name(c, ly, idx++, &name)))
            goto done;
        if (find_layer(c, name)) {
            rc = fail(c, EMO_EFORMAT, "two layers named '%s'", name);
            goto done;
        }
        Layer *L = &c->layers[c->n_layers++];
        snprintf(L->name, sizeof(L->name), "%s", name);
        L->tensor = L->node = -1;
    }
    Layer *outs[8], *inputs[8];
    int n_out = 0, n_inp = 0;
    if (sequential) {
        for (int i = 0; i < c->n_layers; i++)
            c->layers[i].consumers = 1;
        outs[0] = &c->layers[c->n_layers - 1];
        n_out = 1;
    } else {
        idx = 0;
        cJSON_ArrayForEach(ly, layers)
        {
            int n_in;
            if ((rc = resolve_inbound(c, c->layers[idx].name, ly, NULL, &n_in, 1)))
                goto done;
            idx++;
        }
        if ((rc = io_layers(c, cJSON_GetObjectItemCaseSensitive(cfg, "output_layers"), "output_layers", outs, &n_out)) ||
            (rc = io_layers(c, cJSON_GetObjectItemCaseSensitive(cfg, "input_layers"), "input_layers", inputs, &n_inp)))
            goto done;
        for (int i = 0; i < n_out; i++)
            outs[i]->consumers++; /* a model output is never fused away */
    }
    idx = 0;
    cJSON_ArrayForEach(ly, layers)
    {
        Layer *L = &c->layers[idx + synth_input];
        const char *lcls = jstr(ly, "class_name");
        const cJSON *lcfg = cJSON_GetObjectItemCaseSensitive(ly, "config");
        Layer *ins[EMO_NN_MAX_NODE_INPUTS];
        int n_in = 0;
        if (!lcls || !cJSON_IsObject(lcfg)) {
            rc = fail(c, EMO_EFORMAT, "layer '%s' has no class_name or config", L->name);
            goto done;
        }
        if (sequential) {
            if (idx + synth_input > 0) {
                ins[0] = &c->layers[idx + synth_input - 1];
                n_in = 1;
            }
        } else if ((rc = resolve_inbound(c, L->name, ly, ins, &n_in, 0))) {
            goto done;
        }
        if ((rc = build_layer(c, L, lcls, lcfg, ins, n_in)))
            goto done;
        if (sequential && idx + synth_input == 0)
            inputs[n_inp++] = L;
        idx++;
    }
    if (synth_input)
        inputs[n_inp++] = &c->layers[0];
    for (int i = 0; i < n_inp; i++) {
        int it = inputs[i]->tensor;
        if (it < 0 || T(c, it)->data || inputs[i]->node != -1 || strcmp(T(c, it)->name, inputs[i]->name)) {
            rc = fail(c, EMO_EFORMAT, "model input '%s' is not an InputLayer", inputs[i]->name);
            goto done;
        }
        if ((rc = emo__nn_graph_mark_input(c->g, inputs[i]->tensor)))
            goto done;
    }
    for (int i = 0; i < n_out; i++) {
        if (outs[i]->tensor < 0 || c->g->tensors[outs[i]->tensor].is_input) {
            rc = fail(c, EMO_EFORMAT, "model output '%s' is not computed by the model", outs[i]->name);
            goto done;
        }
        if ((rc = emo__nn_graph_mark_output(c->g, outs[i]->tensor)))
            goto done;
        /* A folded or identity output layer shares its producer's tensor:
         * the output still goes by the output layer's name. */
        EmoNnTensor *ot = &c->g->tensors[outs[i]->tensor];
        snprintf(ot->name, sizeof(ot->name), "%s", outs[i]->name);
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* ---------------------------------------------------------------- DeepFace */

/* DeepFace's emotion model (serengil/deepface, models/Emotion.py), whose
 * weights file carries no architecture. Input 48x48x1 gray in [0, 1]. */
static int load_deepface(Ctx *c)
{
    static const struct {
        const char *what;
        int dense;
        int k, cout;
    } spec[8] = {
        { "Conv2D 64 5x5", 0, 5, 64 },   { "Conv2D 64 3x3", 0, 3, 64 },    { "Conv2D 64 3x3", 0, 3, 64 },
        { "Conv2D 128 3x3", 0, 3, 128 }, { "Conv2D 128 3x3", 0, 3, 128 },  { "Dense 1024", 1, 0, 1024 },
        { "Dense 1024", 1, 0, 1024 },    { "Dense 7", 1, 0, 7 },
    };
    StrList names = { NULL, 0 };
    LayerWeights lw[8];
    int n_w = 0, rc = read_str_list_attr(c, c->file, "layer_names", &names);
    if (rc)
        return rc == 1 ? fail(c, EMO_EFORMAT, "no layer_names attribute") : rc;
    for (int i = 0; i < names.n; i++) {
        LayerWeights w;
        if ((rc = lw_open(c, names.s[i], &w)))
            goto done;
        if (w.names.n == 0) {
            lw_close(&w);
            continue;
        }
        if (n_w == 8) {
            lw_close(&w);
            rc = fail(c, EMO_EUNSUPPORTED, "weights-only file with more than 8 weighted layers: not DeepFace's "
                                           "emotion model (the only architecture known without model_config)");
            goto done;
        }
        lw[n_w++] = w;
    }
    if (n_w != 8) {
        rc = fail(c, EMO_EUNSUPPORTED, "weights-only file with %d weighted layers: not DeepFace's emotion model "
                                       "(5 Conv2D + 3 Dense expected)", n_w);
        goto done;
    }
    /* Names of the tensors come from the file's layer names. */
    Layer in = { "input", -1, -1, 1 };
    int shape[4] = { 1, 48, 48, 1 };
    if ((in.tensor = new_act(c, "input", 4, shape)) < 0 || (rc = emo__nn_graph_mark_input(c->g, in.tensor))) {
        rc = rc ? rc : in.tensor;
        goto done;
    }
    int t = in.tensor, node;
    for (int i = 0; i < 5; i++) {
        ConvSpec k = { 0, spec[i].k, spec[i].k, 1, 1, 1, 1, 0, spec[i].cout, 1 };
        int cin = T(c, t)->shape[3];
        if (cin != (i == 0 ? 1 : spec[i - 1].cout)) {
            rc = fail(c, EMO_EINTERNAL, "DeepFace architecture mismatch");
            goto done;
        }
        if ((rc = build_conv2d(c, lw[i].layer, &lw[i], t, &k, 1, &t)) < 0)
            goto done;
        node = rc;
        if ((rc = apply_activation(c, lw[i].layer, "relu", &t, &node, 1)) < 0)
            goto done;
        /* MaxPool 5x5/2 after the first conv, AvgPool 3x3/2 after the third and fifth. */
        if (i == 0 || i == 2 || i == 4) {
            ConvSpec p = { 0, i ? 3 : 5, i ? 3 : 5, 2, 2, 1, 1, 0, 0, 1 };
            char pname[128];
            snprintf(pname, sizeof(pname), "%s/%s", lw[i].layer, i ? "avg_pool" : "max_pool");
            if ((rc = build_pool(c, pname, i ? EMO_NN_AVG_POOL : EMO_NN_MAX_POOL, t, &p, &t)) < 0)
                goto done;
        }
    }
    node = -1;
    if ((rc = build_flatten(c, "flatten", t, &t, &node)) < 0)
        goto done;
    if (T(c, t)->shape[1] != 128) {
        rc = fail(c, EMO_EINTERNAL, "DeepFace flatten size %d", T(c, t)->shape[1]);
        goto done;
    }
    for (int i = 5; i < 8; i++) {
        if ((rc = build_dense(c, lw[i].layer, &lw[i], t, spec[i].cout, 1, &t)) < 0)
            goto done;
        node = rc;
        if ((rc = apply_activation(c, lw[i].layer, i < 7 ? "relu" : "softmax", &t, &node, 1)) < 0)
            goto done;
    }
    rc = emo__nn_graph_mark_output(c->g, t);
done:
    for (int i = 0; i < n_w; i++)
        lw_close(&lw[i]);
    strlist_free(&names);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- entry point */

/* Debian's libhdf5 is the serial (not thread-safe) build, and its error
 * reporting switch is process-wide: loads are serialised. */
static pthread_mutex_t hdf5_lock = PTHREAD_MUTEX_INITIALIZER;

int emo__nn_load_keras(EmoNnGraph *g, const char *path)
{
    Ctx c;
    memset(&c, 0, sizeof(c));
    c.g = g;
    c.path = path ? path : "(null)";
    c.file = c.wroot = H5I_INVALID_HID;
    if (!g || !path)
        return EMO_EINVAL;
    pthread_mutex_lock(&hdf5_lock);

    /* libhdf5 prints an error stack for every failed call by default; our own
     * messages say what went wrong. Restored before returning. */
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    int restore = H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    int rc = EMO_EFORMAT;
    char *config = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        rc = fail(&c, EMO_EINTERNAL, "cannot create HDF5 file access properties");
        goto fail;
    }
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl, 0, 1); /* read-only use; locks fail on some file systems */
#endif
    if ((rc = check_global_heaps(&c)) != 0)
        goto fail;
    if ((c.file = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) {
        rc = fail(&c, EMO_EFORMAT, "not a readable HDF5 file (truncated or corrupt?)");
        goto fail;
    }
    htri_t has_config = H5Aexists(c.file, "model_config");
    if (has_config < 0) {
        rc = fail(&c, EMO_EFORMAT, "cannot look up attribute 'model_config'");
        goto fail;
    }
    if (has_config && !c.config_checked) {
        rc = fail(&c, EMO_EUNSUPPORTED, "model_config is stored in a form this reader cannot check before reading "
                                        "(only compact attributes of Keras 2 / h5py files are read)");
        goto fail;
    }
    if ((rc = read_str_attr(&c, c.file, "model_config", &config)) < 0)
        goto fail;
    if (rc == 0) {
        htri_t mw = H5Lexists(c.file, "model_weights", H5P_DEFAULT);
        if (mw <= 0) {
            rc = fail(&c, EMO_EFORMAT, "model_config present but no model_weights group");
            goto fail;
        }
        if ((c.wroot = H5Gopen2(c.file, "model_weights", H5P_DEFAULT)) < 0) {
            rc = fail(&c, EMO_EFORMAT, "cannot open model_weights");
            goto fail;
        }
        rc = load_model_config(&c, config);
    } else {
        htri_t ln = H5Aexists(c.file, "layer_names");
        if (ln <= 0) {
            rc = fail(&c, EMO_EUNSUPPORTED, "HDF5 file without model_config or layer_names: not a Keras model");
            goto fail;
        }
        if ((c.wroot = H5Gopen2(c.file, "/", H5P_DEFAULT)) < 0) {
            rc = fail(&c, EMO_EFORMAT, "cannot open the root group");
            goto fail;
        }
        rc = load_deepface(&c);
    }
    if (rc)
        goto fail;
    if (g->n_inputs < 1 || g->n_outputs < 1 || g->n_nodes < 1) {
        rc = fail(&c, EMO_EFORMAT, "the model computes nothing");
        goto fail;
    }
    /* A small file can describe an enormous computation: refuse it here
     * rather than let a run take minutes. */
    if (emo__nn_graph_macs(g) > MAX_MACS) {
        rc = fail(&c, EMO_EUNSUPPORTED, "%.1f G multiply-adds per inference (limit %.0f G)",
                  (double)emo__nn_graph_macs(g) / 1e9, (double)MAX_MACS / 1e9);
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    emo__nn_graph_free(g);
done:
    free(config);
    free(c.layers);
    if (c.wroot >= 0)
        H5Gclose(c.wroot);
    if (c.file >= 0)
        H5Fclose(c.file);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (restore)
        H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    pthread_mutex_unlock(&hdf5_lock);
    return rc;
}
