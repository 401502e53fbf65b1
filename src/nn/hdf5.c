/*
 * Keras HDF5 files, the file-format half of the Keras reader: a byte-level
 * check of the global heaps and of model_config's stored form before
 * libhdf5 sees the file, then checked libhdf5 reads of attributes and of
 * each layer's weight datasets. Separate from the translation to the graph
 * (keras.c, keras_layers.c, deepface.c), which knows nothing of how HDF5
 * stores things, so that each can be read and tested on its own.
 *
 * Hostile files: every HDF5 call is checked, every dataset's type, rank and
 * dims are compared with what the caller says the configuration implies
 * before anything is allocated, and every size is capped. libhdf5's own
 * error printing is switched off while a file is open (and restored after).
 */
#define _GNU_SOURCE /* memmem */
#include "nn/hdf5.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_NAMES 4096
#define MAX_NAME_LEN EMO_H5_MAX_NAME_LEN
#define MAX_TENSOR_ELEMS EMO_H5_MAX_TENSOR_ELEMS
#define MAX_CONST_TOTAL EMO_H5_MAX_CONST_TOTAL

int emo__h5_vfail(const EmoH5 *h, int code, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    emo_log(h->log, EMO_LOG_ERROR, "keras: %s: %s", h->path, msg);
    return code;
}

int emo__h5_fail(const EmoH5 *h, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = emo__h5_vfail(h, code, fmt, ap);
    va_end(ap);
    return code;
}

void emo__h5_names_free(EmoH5Names *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

int emo__h5_name_ok(const char *s)
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
 * of its exact length. Sets h->config_checked when every message found is
 * sound and at least one was found. */
static int check_config_attr(EmoH5 *h, const uint8_t *b, size_t n, int off_size, const HeapObj *objs, size_t n_objs)
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
            size_t hlen = v == 3 ? 9 : 8;
            if (at < hlen)
                continue;
            const uint8_t *m = hit - hlen;
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
                return emo__h5_fail(h, EMO_EFORMAT, "truncated or corrupt HDF5 file: model_config's value is cut off");
            HeapObj key = { le_uint(b + data + 4, off_size), (unsigned)le_uint(b + data + 4 + off_size, 4), 0 };
            uint64_t len = le_uint(b + data, 4);
            const HeapObj *o = n_objs && key.idx ? bsearch(&key, objs, n_objs, sizeof(*objs), heap_obj_cmp) : NULL;
            if (!o)
                return emo__h5_fail(h, EMO_EFORMAT, "corrupt HDF5 file: model_config points to heap object %u at %llu, "
                                    "which does not exist", key.idx, (unsigned long long)key.coll);
            if (len != o->size)
                return emo__h5_fail(h, EMO_EFORMAT,
                                    "corrupt HDF5 file: model_config claims %llu bytes, its heap object "
                                    "holds %llu", (unsigned long long)len, (unsigned long long)o->size);
            found++;
        }
    }
    h->config_checked = found > 0;
    return 0;
}

static int check_global_heaps(EmoH5 *h)
{
    FILE *f = fopen(h->path, "rb");
    if (!f)
        return emo__h5_fail(h, EMO_ENOENT, "cannot open the file");
    int rc = 0;
    uint8_t *b = NULL;
    HeapObj *objs = NULL;
    size_t n_objs = 0;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = emo__h5_fail(h, EMO_EIO, "cannot read the file");
        goto done;
    }
    if ((unsigned long)size > MAX_FILE_BYTES) {
        rc = emo__h5_fail(h, EMO_EUNSUPPORTED, "file of %ld bytes is over the %u MiB limit for Keras models", size,
                          MAX_FILE_BYTES >> 20);
        goto done;
    }
    size_t n = (size_t)size;
    if (!(b = malloc(n ? n : 1))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if (fread(b, 1, n, f) != n) {
        rc = emo__h5_fail(h, EMO_EIO, "cannot read the file");
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
        rc = emo__h5_fail(h, EMO_EFORMAT, "not a readable HDF5 file (no valid superblock)");
        goto done;
    }
    size_t hdr = 8 + (size_t)len_size, obj_hdr = 8 + (size_t)len_size;
    /* memmem: a per-byte loop is slow under the fuzzer's instrumentation. */
    for (const uint8_t *hit = memmem(b, n, "GCOL\1\0\0\0", 8); hit && (size_t)(hit - b) + hdr <= n;
         hit = memmem(hit + 1, n - (size_t)(hit + 1 - b), "GCOL\1\0\0\0", 8)) {
        size_t at = (size_t)(hit - b);
        uint64_t csize = le_uint(b + at + 8, len_size);
        if (csize < hdr || csize > n - at) {
            rc = emo__h5_fail(h, EMO_EFORMAT,
                              "truncated or corrupt HDF5 file: the global heap at byte %zu runs past its end", at);
            goto done;
        }
        size_t end = at + (size_t)csize;
        for (size_t p = at + hdr; p + obj_hdr <= end;) {
            unsigned idx = (unsigned)le_uint(b + p, 2);
            uint64_t osize = le_uint(b + p + 8, len_size);
            if (idx == 0)
                break; /* free space: the rest of the collection */
            if (osize > end - p - obj_hdr) {
                rc = emo__h5_fail(h, EMO_EFORMAT,
                                  "corrupt HDF5 file: object %u of the global heap at byte %zu is larger than its heap",
                                  idx, at);
                goto done;
            }
            if (n_objs == MAX_HEAP_OBJS) {
                rc = emo__h5_fail(h, EMO_EUNSUPPORTED, "more than %d global heap objects", MAX_HEAP_OBJS);
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
    if ((rc = check_config_attr(h, b, n, off_size, objs, n_objs)) < 0)
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
static int attr_open(EmoH5 *h, hid_t obj, const char *name, Attr *at)
{
    at->a = at->t = at->s = at->mt = H5I_INVALID_HID;
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "cannot look up attribute '%s'", name);
    if (ex == 0)
        return 1;
    if ((at->a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (at->t = H5Aget_type(at->a)) < 0 ||
        (at->s = H5Aget_space(at->a)) < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "cannot open attribute '%s'", name);
    return 0;
}

/* Reads a scalar string attribute (variable or fixed length) into a malloc'ed,
 * NUL-terminated buffer. Returns 0, 1 when absent, or a negative error. */
static int read_str_attr(EmoH5 *h, hid_t obj, const char *name, char **out)
{
    *out = NULL;
    Attr at;
    int rc = attr_open(h, obj, name, &at);
    char *vbuf = NULL;
    if (rc)
        goto done;
    rc = EMO_EFORMAT;
    hid_t a = at.a, t = at.t, s = at.s, mt;
    if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(s) != 1) {
        emo__h5_fail(h, rc, "attribute '%s' is not a single string", name);
        goto done;
    }
    htri_t vl = H5Tis_variable_str(t);
    if (vl < 0) {
        emo__h5_fail(h, rc, "attribute '%s': bad string type", name);
        goto done;
    }
    if ((mt = at.mt = H5Tcopy(H5T_C_S1)) < 0) {
        emo__h5_fail(h, rc, "H5Tcopy failed");
        goto done;
    }
    if (vl) {
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, &vbuf) < 0 || !vbuf) {
            emo__h5_fail(h, rc, "cannot read attribute '%s'", name);
            goto done;
        }
        size_t n = strnlen(vbuf, MAX_CONFIG_BYTES + 1);
        if (n > MAX_CONFIG_BYTES) {
            emo__h5_fail(h, rc, "attribute '%s' is over %u bytes", name, MAX_CONFIG_BYTES);
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
            emo__h5_fail(h, rc, "attribute '%s' has a bad size", name);
            goto done;
        }
        if (H5Tset_size(mt, n + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0) {
            emo__h5_fail(h, rc, "H5Tset_size failed");
            goto done;
        }
        if (!(*out = calloc(n + 2, 1))) {
            rc = EMO_ENOMEM;
            goto done;
        }
        if (H5Aread(a, mt, *out) < 0) {
            free(*out);
            *out = NULL;
            emo__h5_fail(h, rc, "cannot read attribute '%s'", name);
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
int emo__h5_read_names(EmoH5 *h, hid_t obj, const char *name, EmoH5Names *out)
{
    out->s = NULL;
    out->n = 0;
    Attr at;
    int rc = attr_open(h, obj, name, &at);
    char *fbuf = NULL;
    hssize_t n = -1;
    if (rc)
        goto done;
    rc = EMO_EFORMAT;
    hid_t a = at.a, t = at.t, s = at.s, mt;
    n = H5Sget_simple_extent_npoints(s);
    if (n < 0 || n > MAX_NAMES || H5Sget_simple_extent_ndims(s) > 1) {
        emo__h5_fail(h, rc, "attribute '%s' is not a list of at most %d names", name, MAX_NAMES);
        goto done;
    }
    if (n == 0) {
        rc = 0;
        goto done;
    }
    if (H5Tget_class(t) != H5T_STRING) {
        emo__h5_fail(h, rc, "attribute '%s' is not a list of strings", name);
        goto done;
    }
    htri_t vl = H5Tis_variable_str(t);
    size_t sz = H5Tget_size(t);
    /* Variable-length lists would be read through libhdf5's unchecked global
     * heap code (see check_global_heaps); Keras writes fixed-length ones. */
    if (vl != 0 || sz == 0 || sz > MAX_NAME_LEN) {
        emo__h5_fail(h, rc,
                     "attribute '%s': not a list of fixed-length strings of at most %d bytes", name, MAX_NAME_LEN);
        goto done;
    }
    if (!(out->s = calloc((size_t)n, sizeof(char *)))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if ((mt = at.mt = H5Tcopy(H5T_C_S1)) < 0) {
        emo__h5_fail(h, rc, "H5Tcopy failed");
        goto done;
    }
    if (!(fbuf = calloc((size_t)n, sz + 1))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if (H5Tset_size(mt, sz + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 || H5Aread(a, mt, fbuf) < 0) {
        emo__h5_fail(h, rc, "cannot read attribute '%s'", name);
        goto done;
    }
    for (hssize_t i = 0; i < n; i++) {
        const char *src = fbuf + (size_t)i * (sz + 1);
        if (strnlen(src, MAX_NAME_LEN + 1) > MAX_NAME_LEN || !emo__h5_name_ok(src)) {
            emo__h5_fail(h, rc, "attribute '%s': entry %d is not a valid name", name, (int)i);
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
        emo__h5_names_free(out);
    return rc;
}

void emo__h5_weights_close(EmoH5Weights *w)
{
    if (w->group >= 0)
        H5Gclose(w->group);
    w->group = H5I_INVALID_HID;
    emo__h5_names_free(&w->names);
}

int emo__h5_weights_open(EmoH5 *h, const char *layer, EmoH5Weights *w)
{
    w->group = H5I_INVALID_HID;
    w->names.s = NULL;
    w->names.n = 0;
    w->layer = layer;
    htri_t ex = H5Lexists(h->wroot, layer, H5P_DEFAULT);
    if (ex <= 0)
        return emo__h5_fail(h, EMO_EFORMAT, "no weight group for layer '%s'", layer);
    if ((w->group = H5Gopen2(h->wroot, layer, H5P_DEFAULT)) < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "cannot open the weight group of layer '%s'", layer);
    int rc = emo__h5_read_names(h, w->group, "weight_names", &w->names);
    if (rc == 1)
        rc = emo__h5_fail(h, EMO_EFORMAT, "layer '%s' has no weight_names attribute", layer);
    if (rc)
        emo__h5_weights_close(w);
    return rc;
}

/* Index of the weight whose last path component is `want` (e.g. "kernel:0"),
 * or -1. */
static int lw_find(const EmoH5Weights *w, const char *want)
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
float *emo__h5_weights_read(EmoH5 *h, const EmoH5Weights *w, const char *want, int rank, const int *dims, int *rc)
{
    float *buf = NULL;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID, p = H5I_INVALID_HID;
    *rc = EMO_EFORMAT;
    int idx = lw_find(w, want);
    if (idx < 0) {
        emo__h5_fail(h, *rc, "layer '%s' has no weight '%s' in its weight_names", w->layer, want);
        return NULL;
    }
    const char *wn = w->names.s[idx];
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] <= 0 || (size_t)dims[i] > MAX_TENSOR_ELEMS) {
            emo__h5_fail(h, *rc, "layer '%s': weight '%s' would have a bad size", w->layer, wn);
            return NULL;
        }
        count *= (size_t)dims[i];
        if (count > MAX_TENSOR_ELEMS) {
            emo__h5_fail(h, *rc, "layer '%s': weight '%s' is over %u elements", w->layer, wn, MAX_TENSOR_ELEMS);
            return NULL;
        }
    }
    if (h->const_total + count > MAX_CONST_TOTAL) {
        emo__h5_fail(h, *rc, "weights over %u floats in total", MAX_CONST_TOTAL);
        return NULL;
    }
    htri_t ex = H5Lexists(w->group, wn, H5P_DEFAULT);
    if (ex <= 0) {
        emo__h5_fail(h, *rc, "layer '%s': dataset '%s' listed in weight_names is missing", w->layer, wn);
        return NULL;
    }
    if ((d = H5Dopen2(w->group, wn, H5P_DEFAULT)) < 0 || (t = H5Dget_type(d)) < 0 || (s = H5Dget_space(d)) < 0 ||
        (p = H5Dget_create_plist(d)) < 0) {
        emo__h5_fail(h, *rc, "layer '%s': cannot open dataset '%s'", w->layer, wn);
        goto done;
    }
    if (H5Tget_class(t) != H5T_FLOAT) {
        emo__h5_fail(h, *rc, "layer '%s': dataset '%s' is not floating point", w->layer, wn);
        goto done;
    }
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t fd[H5S_MAX_RANK];
    if (nd != rank || H5Sget_simple_extent_dims(s, fd, NULL) != nd) {
        emo__h5_fail(h, *rc, "layer '%s': dataset '%s' has rank %d, expected %d", w->layer, wn, nd, rank);
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
            emo__h5_fail(h, *rc, "layer '%s': dataset '%s' is %s, the configuration implies %s", w->layer, wn, got_s,
                         want_s);
            goto done;
        }
    /* Without filters the stored bytes must cover the whole dataset: a tiny
     * file cannot make us allocate a large buffer of fill values. */
    size_t tsize = H5Tget_size(t);
    int nf = H5Pget_nfilters(p);
    hsize_t stored = H5Dget_storage_size(d);
    if (tsize == 0 || tsize > 16 || nf < 0 || stored == 0 || (nf == 0 && stored < (hsize_t)count * tsize)) {
        emo__h5_fail(h, *rc, "layer '%s': dataset '%s' has no or too little stored data", w->layer, wn);
        goto done;
    }
    if (!(buf = malloc(count * sizeof(float)))) {
        *rc = EMO_ENOMEM;
        goto done;
    }
    if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        emo__h5_fail(h, *rc, "layer '%s': cannot read dataset '%s'", w->layer, wn);
        free(buf);
        buf = NULL;
        goto done;
    }
    for (size_t i = 0; i < count; i++)
        if (!isfinite(buf[i])) {
            emo__h5_fail(h, *rc, "layer '%s': dataset '%s' holds a NaN or infinite value", w->layer, wn);
            free(buf);
            buf = NULL;
            goto done;
        }
    h->const_total += count;
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

/* Debian's libhdf5 is the serial (not thread-safe) build, and its error
 * reporting switch is process-wide: loads are serialised. */
static pthread_mutex_t hdf5_lock = PTHREAD_MUTEX_INITIALIZER;

int emo__h5_open(EmoH5 *h, const EmoLogger *log, const char *path)
{
    memset(h, 0, sizeof(*h));
    h->log = log;
    h->path = path;
    h->file = h->wroot = h->fapl = H5I_INVALID_HID;
    pthread_mutex_lock(&hdf5_lock);

    /* libhdf5 prints an error stack for every failed call by default; our own
     * messages say what went wrong. Restored by emo__h5_close. */
    h->restore = H5Eget_auto2(H5E_DEFAULT, &h->old_fn, &h->old_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    int rc;
    h->fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (h->fapl < 0 || H5Pset_fclose_degree(h->fapl, H5F_CLOSE_STRONG) < 0)
        return emo__h5_fail(h, EMO_EINTERNAL, "cannot create HDF5 file access properties");
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(h->fapl, 0, 1); /* read-only use; locks fail on some file systems */
#endif
    if ((rc = check_global_heaps(h)) != 0)
        return rc;
    if ((h->file = H5Fopen(path, H5F_ACC_RDONLY, h->fapl)) < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "not a readable HDF5 file (truncated or corrupt?)");
    return 0;
}

void emo__h5_close(EmoH5 *h)
{
    if (h->wroot >= 0)
        H5Gclose(h->wroot);
    if (h->file >= 0)
        H5Fclose(h->file);
    if (h->fapl >= 0)
        H5Pclose(h->fapl);
    h->wroot = h->file = h->fapl = H5I_INVALID_HID;
    if (h->restore)
        H5Eset_auto2(H5E_DEFAULT, h->old_fn, h->old_data);
    h->restore = 0;
    pthread_mutex_unlock(&hdf5_lock);
}

int emo__h5_model_config(EmoH5 *h, char **json)
{
    *json = NULL;
    htri_t has_config = H5Aexists(h->file, "model_config");
    if (has_config < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "cannot look up attribute 'model_config'");
    if (has_config && !h->config_checked)
        return emo__h5_fail(h, EMO_EUNSUPPORTED, "model_config is stored in a form this reader cannot check before "
                            "reading (only compact attributes of Keras 2 / h5py files are read)");
    return read_str_attr(h, h->file, "model_config", json);
}

int emo__h5_open_weight_root(EmoH5 *h, int full_model)
{
    if (full_model) {
        htri_t mw = H5Lexists(h->file, "model_weights", H5P_DEFAULT);
        if (mw <= 0)
            return emo__h5_fail(h, EMO_EFORMAT, "model_config present but no model_weights group");
        if ((h->wroot = H5Gopen2(h->file, "model_weights", H5P_DEFAULT)) < 0)
            return emo__h5_fail(h, EMO_EFORMAT, "cannot open model_weights");
        return 0;
    }
    htri_t ln = H5Aexists(h->file, "layer_names");
    if (ln <= 0)
        return emo__h5_fail(h, EMO_EUNSUPPORTED, "HDF5 file without model_config or layer_names: not a Keras model");
    if ((h->wroot = H5Gopen2(h->file, "/", H5P_DEFAULT)) < 0)
        return emo__h5_fail(h, EMO_EFORMAT, "cannot open the root group");
    return 0;
}
