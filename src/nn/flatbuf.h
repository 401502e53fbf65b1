/*
 * Bounds-checked reading of a flatbuffer in memory (private to src/nn), for
 * the TFLite reader (tflite.c), which adds the TFLite schema on top. Kept
 * apart because it is the whole of the file-format trust boundary: every
 * read of the untrusted bytes goes through these helpers, and they know
 * nothing of TFLite.
 *
 * Flatbuffer facts used here: a table starts with a signed 32-bit offset
 * back to its vtable; the vtable holds its own size, the table's inline size
 * and one 16-bit offset per field (0: absent, the schema default applies).
 * References to tables, vectors and strings are unsigned 32-bit offsets from
 * where they are stored. Vectors and strings are a 32-bit length followed by
 * the elements. Little-endian throughout.
 */
#ifndef EMOSCOPE_NN_FLATBUF_H
#define EMOSCOPE_NN_FLATBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <emoscope/core.h>

typedef struct Fb {
    const uint8_t *b;
    size_t n;
} Fb;

typedef struct FbTable {
    size_t pos;     /* table start */
    size_t vt;      /* vtable start */
    unsigned vtsize;
} FbTable;

typedef struct FbVec {
    size_t data;    /* first element */
    uint32_t len;
} FbVec;

static inline int fb_has(const Fb *fb, size_t pos, size_t len)
{
    return pos <= fb->n && len <= fb->n - pos;
}

static inline uint32_t rd32(const Fb *fb, size_t pos)
{
    const uint8_t *p = fb->b + pos;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline unsigned rd16(const Fb *fb, size_t pos)
{
    return (unsigned)fb->b[pos] | (unsigned)fb->b[pos + 1] << 8;
}

static inline int fb_table(const Fb *fb, size_t pos, FbTable *t)
{
    if (!fb_has(fb, pos, 4) || pos % 4)
        return EMO_EFORMAT;
    int64_t vt = (int64_t)pos - (int64_t)(int32_t)rd32(fb, pos);
    if (vt < 0 || !fb_has(fb, (size_t)vt, 4))
        return EMO_EFORMAT;
    unsigned vtsize = rd16(fb, (size_t)vt);
    if (vtsize < 4 || vtsize % 2 || !fb_has(fb, (size_t)vt, vtsize))
        return EMO_EFORMAT;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vtsize = vtsize;
    return 0;
}

/* Position of field idx holding size bytes, or 0 when absent (or invalid:
 * a field that points outside the file is treated as an error by the
 * caller through *bad). */
static inline size_t fb_field(const Fb *fb, const FbTable *t, int idx, size_t size, int *bad)
{
    unsigned voff = 4 + 2 * (unsigned)idx;
    if (voff + 2 > t->vtsize)
        return 0;
    unsigned off = rd16(fb, t->vt + voff);
    if (!off)
        return 0;
    if (!fb_has(fb, t->pos + off, size)) {
        *bad = 1;
        return 0;
    }
    return t->pos + off;
}

static inline int32_t fb_i32(const Fb *fb, const FbTable *t, int idx, int32_t def, int *bad)
{
    size_t p = fb_field(fb, t, idx, 4, bad);
    return p ? (int32_t)rd32(fb, p) : def;
}

static inline uint32_t fb_u32(const Fb *fb, const FbTable *t, int idx, uint32_t def, int *bad)
{
    size_t p = fb_field(fb, t, idx, 4, bad);
    return p ? rd32(fb, p) : def;
}

static inline int fb_u8(const Fb *fb, const FbTable *t, int idx, int def, int *bad)
{
    size_t p = fb_field(fb, t, idx, 1, bad);
    return p ? fb->b[p] : def;
}

static inline int fb_i8(const Fb *fb, const FbTable *t, int idx, int def, int *bad)
{
    size_t p = fb_field(fb, t, idx, 1, bad);
    return p ? (int)(int8_t)fb->b[p] : def;
}

static inline float fb_f32(const Fb *fb, const FbTable *t, int idx, float def, int *bad)
{
    size_t p = fb_field(fb, t, idx, 4, bad);
    if (!p)
        return def;
    uint32_t u = rd32(fb, p);
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* Follows the reference stored at pos. */
static inline int fb_deref(const Fb *fb, size_t pos, size_t *target)
{
    if (!fb_has(fb, pos, 4))
        return EMO_EFORMAT;
    size_t to = pos + rd32(fb, pos);
    if (to >= fb->n)
        return EMO_EFORMAT;
    *target = to;
    return 0;
}

/* Follows reference field idx: *at is its target, or 0 when the field is
 * absent (a target is never at 0: references point forward). */
static inline int fb_ref_field(const Fb *fb, const FbTable *t, int idx, size_t *at)
{
    int bad = 0;
    *at = 0;
    size_t p = fb_field(fb, t, idx, 4, &bad);
    if (bad)
        return EMO_EFORMAT;
    if (!p)
        return 0;
    return fb_deref(fb, p, at);
}

/* Vector field idx (elements of elem bytes); absent: empty vector. */
static inline int fb_vector(const Fb *fb, const FbTable *t, int idx, size_t elem, FbVec *v)
{
    v->data = 0;
    v->len = 0;
    size_t at;
    if (fb_ref_field(fb, t, idx, &at))
        return EMO_EFORMAT;
    if (!at)
        return 0;
    if (!fb_has(fb, at, 4))
        return EMO_EFORMAT;
    uint32_t len = rd32(fb, at);
    if (!fb_has(fb, at + 4, 0) || (size_t)len > (fb->n - at - 4) / elem)
        return EMO_EFORMAT;
    v->data = at + 4;
    v->len = len;
    return 0;
}

/* Table element i of a vector of tables. */
static inline int fb_vec_table(const Fb *fb, const FbVec *v, uint32_t i, FbTable *t)
{
    size_t at;
    if (i >= v->len || fb_deref(fb, v->data + 4 * (size_t)i, &at))
        return EMO_EFORMAT;
    return fb_table(fb, at, t);
}

static inline int32_t fb_vec_i32(const Fb *fb, const FbVec *v, uint32_t i)
{
    return (int32_t)rd32(fb, v->data + 4 * (size_t)i);
}

/* Sub-table field idx; *present = 0 when absent. */
static inline int fb_subtable(const Fb *fb, const FbTable *t, int idx, FbTable *sub, int *present)
{
    *present = 0;
    size_t at;
    if (fb_ref_field(fb, t, idx, &at))
        return EMO_EFORMAT;
    if (!at)
        return 0;
    if (fb_table(fb, at, sub))
        return EMO_EFORMAT;
    *present = 1;
    return 0;
}

/* String field idx copied (truncated, printable) into out. */
static inline int fb_string(const Fb *fb, const FbTable *t, int idx, char *out, size_t n)
{
    FbVec v;
    out[0] = 0;
    if (fb_vector(fb, t, idx, 1, &v))
        return EMO_EFORMAT;
    size_t k = 0;
    for (uint32_t i = 0; i < v.len && k + 1 < n; i++) {
        uint8_t c = fb->b[v.data + i];
        out[k++] = c >= 32 && c < 127 ? (char)c : '?';
    }
    out[k] = 0;
    return 0;
}

#endif
