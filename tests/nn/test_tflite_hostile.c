/*
 * Hostile TFLite files: truncated at many lengths, bit-flipped (seeded),
 * random bytes. Every attempt must end in an error code with a logged
 * message, or in a valid model that runs; never a crash (ASan/UBSan run
 * this too), a hang or a huge allocation.
 */
#include "testutil.h"

#include <emoscope/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/flatbuf.h"
#include "nn/graph.h"
#include "nn/model_internal.h"
#include "nn/zip.h"

/* The shared error capture, and each message on stderr with EMO_HOSTILE_VERBOSE. */
static void capture(void *user, EmoLogLevel level, const char *msg)
{
    emo_test_capture_errors(user, level, msg);
    if (level == EMO_LOG_ERROR && getenv("EMO_HOSTILE_VERBOSE"))
        fprintf(stderr, "%s\n", msg);
}

typedef struct Tally {
    int loaded, failed;
} Tally;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One attempt: an error with a message, or a model that runs. */
static void attempt(const uint8_t *buf, size_t size, Tally *t)
{
    EmoTestErrors cap = { 0 };
    EmoLogger log = { capture, &cap, EMO_LOG_ERROR };
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.log = &log;
    EmoNnModel *m = NULL;
    int err = emo__nn_open_memory(&m, buf, size, "hostile", &s);
    if (err) {
        assert_null(m);
        assert_true(err < 0 && err >= EMO_EINTERNAL);
        if (err != EMO_ENOMEM && cap.errors == 0)
            fail_msg("error %d (%s) without a message", err, emo_strerror(err));
        t->failed++;
        return;
    }
    assert_non_null(m);
    assert_int_equal(emo_nn_run(m), 0);
    t->loaded++;
    emo_nn_close(&m);
}

/* A model file, or "BUNDLE:MEMBER" for a model inside a task bundle (a
 * copy of the member's bytes). */
static uint8_t *model_bytes(const char *file, size_t *size)
{
    const char *colon = strchr(file, ':');
    if (!colon)
        return emo_test_read_file(emo_test_model(file), size);
    char bundle[256];
    snprintf(bundle, sizeof(bundle), "%.*s", (int)(colon - file), file);
    size_t n;
    uint8_t *zip = emo_test_read_file(emo_test_model(bundle), &n);
    const uint8_t *data;
    assert_int_equal(emo__zip_member(zip, n, bundle, colon + 1, NULL, &data, size), 0);
    uint8_t *copy = malloc(*size);
    memcpy(copy, data, *size);
    free(zip);
    return copy;
}

static void test_truncated(void **state)
{
    (void)state;
    static const char *const files[] = { "face_detection_short_range.tflite", "face_landmark.tflite" };
    for (int f = 0; f < 2; f++) {
        size_t size;
        uint8_t *full = model_bytes(files[f], &size);
        Tally t = { 0 };
        /* Every length in the first 512 bytes (headers, vtables), then a
         * prime stride through the file, then the last bytes. */
        for (size_t len = 0; len < size; len = len < 512 ? len + 1 : len + 4099) {
            uint8_t *cut = malloc(len ? len : 1);
            memcpy(cut, full, len);
            attempt(cut, len, &t);
            free(cut);
        }
        for (size_t len = size - 64; len < size; len++) {
            uint8_t *cut = malloc(len);
            memcpy(cut, full, len);
            attempt(cut, len, &t);
            free(cut);
        }
        printf("[ hostile ] %s truncated: %d rejected, %d loaded\n", files[f], t.failed, t.loaded);
        /* Constant data sits at the end of the file: no cut loads. */
        assert_int_equal(t.loaded, 0);
        attempt(full, size, &t);
        assert_int_equal(t.loaded, 1);
        free(full);
    }
}

static size_t vtable_entry(const uint8_t *b, size_t pos, int idx);
static size_t deref(const uint8_t *b, size_t pos);

/* Offsets of the bytes outside constant data (the tables, vectors and
 * offsets a reader can trip on); read from the intact file. */
static size_t *structure_bytes(const uint8_t *b, size_t size, size_t *n)
{
    uint8_t *is_data = calloc(size, 1);
    uint32_t root;
    memcpy(&root, b, 4);
    uint16_t off;
    memcpy(&off, b + vtable_entry(b, root, 4), 2);
    assert_true(off != 0);
    size_t buffers = deref(b, root + off);
    uint32_t nb;
    memcpy(&nb, b + buffers, 4);
    for (uint32_t i = 0; i < nb; i++) {
        size_t buf = deref(b, buffers + 4 + 4 * (size_t)i);
        uint16_t voff, vtsize;
        int32_t so;
        memcpy(&so, b + buf, 4);
        memcpy(&vtsize, b + (size_t)((int64_t)buf - so), 2);
        if (vtsize < 6)
            continue;
        memcpy(&voff, b + vtable_entry(b, buf, 0), 2);
        if (!voff)
            continue;
        size_t data = deref(b, buf + voff);
        uint32_t len;
        memcpy(&len, b + data, 4);
        memset(is_data + data + 4, 1, len);
    }
    size_t *pos = malloc(size * sizeof(*pos));
    *n = 0;
    for (size_t i = 0; i < size; i++)
        if (!is_data[i])
            pos[(*n)++] = i;
    free(is_data);
    return pos;
}

static void flip_trials(const char *file, int trials, uint64_t seed)
{
    size_t size, n_struct;
    uint8_t *orig = model_bytes(file, &size);
    size_t *structure = structure_bytes(orig, size, &n_struct);
    uint8_t *buf = malloc(size);
    Tally t = { 0 };
    const uint64_t seed0 = seed;
    for (int i = 0; i < trials; i++) {
        memcpy(buf, orig, size);
        int flips = 1 + (int)(rng_next(&seed) % 4);
        /* Three trials in four flip structure bytes only; the rest flip
         * anywhere (weights included). */
        for (int k = 0; k < flips; k++) {
            size_t at = i % 4 ? structure[rng_next(&seed) % n_struct] : (size_t)(rng_next(&seed) % size);
            buf[at] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
        }
        attempt(buf, size, &t);
    }
    printf("[ hostile ] %s bit flips (seed %llu, %d trials, %zu structure bytes of %zu): %d rejected, %d loaded and "
           "ran\n",
           file, (unsigned long long)seed0, trials, n_struct, size, t.failed, t.loaded);
    assert_int_equal(t.failed + t.loaded, trials);
    free(structure);
    free(buf);
    free(orig);
}

static void test_bit_flips(void **state)
{
    (void)state;
    flip_trials("face_detection_short_range.tflite", 1000, 0x9e3779b97f4a7c15ull);
    flip_trials("face_landmark.tflite", 200, 0x2545f4914f6cdd1dull);
    /* Reductions, transposes, slices and constant operands: the loader
     * paths of tflite_tensor_ops.c and the compositions of xnn_compose.c. */
    flip_trials("face_landmarker.task:face_blendshapes.tflite", 400, 0x853c49e6748fea9bull);
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    Tally t = { 0 };
    for (int i = 0; i < 2000; i++) {
        size_t size = (size_t)(rng_next(&seed) % 4096);
        uint8_t *buf = malloc(size ? size : 1);
        for (size_t k = 0; k < size; k++)
            buf[k] = (uint8_t)rng_next(&seed);
        if (size >= 8 && i % 2) {
            memcpy(buf + 4, "TFL3", 4);
            uint32_t root = (uint32_t)(rng_next(&seed) % size) & ~3u;
            memcpy(buf, &root, 4);
        }
        attempt(buf, size, &t);
        free(buf);
    }
    printf("[ hostile ] random bytes: %d rejected, %d loaded\n", t.failed, t.loaded);
    assert_int_equal(t.loaded, 0);
}

/* Position of the 16-bit vtable entry of field idx of the table at pos. */
static size_t vtable_entry(const uint8_t *b, size_t pos, int idx)
{
    int32_t so;
    memcpy(&so, b + pos, 4);
    size_t vt = (size_t)((int64_t)pos - so);
    return vt + 4 + 2 * (size_t)idx;
}

static size_t deref(const uint8_t *b, size_t pos)
{
    uint32_t rel;
    memcpy(&rel, b + pos, 4);
    return pos + rel;
}

/* Opens a patched model file named "patched", its errors caught in cap. */
static int open_patched(const uint8_t *b, size_t size, EmoTestErrors *cap, EmoNnModel **m)
{
    EmoLogger log = { capture, cap, EMO_LOG_ERROR };
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.log = &log;
    return emo__nn_open_memory(m, b, size, "patched", &s);
}

/* An operator we do not run is reported by name, builtin code and index. */
static void test_unsupported_operator(void **state)
{
    (void)state;
    size_t size;
    uint8_t *b = model_bytes("face_detection_short_range.tflite", &size);
    uint32_t root;
    memcpy(&root, b, 4);
    /* Model.operator_codes (field 1) -> first OperatorCode. */
    uint16_t off;
    memcpy(&off, b + vtable_entry(b, root, 1), 2);
    size_t codes = deref(b, root + off);
    size_t code0 = deref(b, codes + 4);
    /* Set both deprecated_builtin_code (field 0, byte) and builtin_code
     * (field 3, int32) to SQUEEZE (43) when present. */
    int patched = 0;
    memcpy(&off, b + vtable_entry(b, code0, 0), 2);
    if (off) {
        b[code0 + off] = 43;
        patched++;
    }
    int32_t before = 0;
    memcpy(&off, b + vtable_entry(b, code0, 3), 2);
    if (off) {
        memcpy(&before, b + code0 + off, 4);
        int32_t sq = 43;
        memcpy(b + code0 + off, &sq, 4);
        patched++;
    }
    assert_true(patched > 0);
    printf("[ hostile ] operator code 0 was builtin %d, now SQUEEZE\n", (int)before);

    EmoTestErrors cap = { 0 };
    EmoNnModel *m = NULL;
    assert_int_equal(open_patched(b, size, &cap, &m), EMO_EUNSUPPORTED);
    assert_null(m);
    printf("[ hostile ] message: %s\n", cap.last);
    assert_non_null(strstr(cap.last, "unsupported TFLite operator SQUEEZE (builtin 43) in op "));
    free(b);
}

/* Where the full-range detector's first RESIZE_BILINEAR keeps what a
 * patch changes: its options table and the bytes of its size tensor. */
typedef struct ResizeOp {
    FbTable opt;
    size_t size_data; /* the int32 [2] values */
} ResizeOp;

static void find_resize(const uint8_t *b, size_t n, ResizeOp *r)
{
    Fb fb = { b, n };
    FbTable model = { 0, 0, 0 }, sg = model, op = model, tensor = model, buffer = model;
    FbVec codes, subgraphs, buffers, tensors, ops, ins, data;
    int bad = 0, present;
    assert_int_equal(fb_table(&fb, rd32(&fb, 0), &model), 0);
    assert_int_equal(fb_vector(&fb, &model, 1, 4, &codes), 0);
    assert_int_equal(fb_vector(&fb, &model, 2, 4, &subgraphs), 0);
    assert_int_equal(fb_vector(&fb, &model, 4, 4, &buffers), 0);
    uint32_t code = codes.len;
    for (uint32_t i = 0; i < codes.len && code == codes.len; i++) {
        FbTable c = model;
        assert_int_equal(fb_vec_table(&fb, &codes, i, &c), 0);
        if (fb_u8(&fb, &c, 0, 0, &bad) == 23 || fb_i32(&fb, &c, 3, 0, &bad) == 23)
            code = i;
    }
    assert_true(code < codes.len);
    assert_int_equal(fb_vec_table(&fb, &subgraphs, 0, &sg), 0);
    assert_int_equal(fb_vector(&fb, &sg, 0, 4, &tensors), 0);
    assert_int_equal(fb_vector(&fb, &sg, 3, 4, &ops), 0);
    for (uint32_t i = 0; i < ops.len; i++) {
        assert_int_equal(fb_vec_table(&fb, &ops, i, &op), 0);
        if (fb_u32(&fb, &op, 0, 0, &bad) != code)
            continue;
        assert_int_equal(fb_subtable(&fb, &op, 4, &r->opt, &present), 0);
        assert_true(present);
        assert_int_equal(fb_vector(&fb, &op, 1, 4, &ins), 0);
        assert_int_equal(fb_vec_table(&fb, &tensors, (uint32_t)fb_vec_i32(&fb, &ins, 1), &tensor), 0);
        assert_int_equal(fb_vec_table(&fb, &buffers, fb_u32(&fb, &tensor, 2, 0, &bad), &buffer), 0);
        assert_int_equal(fb_vector(&fb, &buffer, 0, 1, &data), 0);
        assert_int_equal(data.len, 8);
        r->size_data = data.data;
        assert_false(bad);
        return;
    }
    fail_msg("no RESIZE_BILINEAR operator");
}

/* One patched copy of the full-range detector: the error it must give
 * (0: it must load and run) and the message. */
static void resize_case(const char *what, int patch, int want, const char *message)
{
    size_t size;
    uint8_t *b = model_bytes("face_detection_full_range.tflite", &size);
    ResizeOp r = { { 0, 0, 0 }, 0 };
    find_resize(b, size, &r);
    uint16_t half_off;
    memcpy(&half_off, b + r.opt.vt + 4 + 2 * 3, 2);
    assert_true(half_off != 0 && b[r.opt.pos + half_off] == 1); /* half_pixel_centers is set */
    if (patch == 0) /* align_corners read from half_pixel_centers' byte: both set */
        memcpy(b + r.opt.vt + 4 + 2 * 2, &half_off, 2);
    else if (patch == 1) /* size [49, 48] */
        b[r.size_data]++;
    else /* half_pixel_centers off: TensorFlow's legacy sampling, runs */
        b[r.opt.pos + half_off] = 0;
    EmoTestErrors cap = { 0 };
    EmoNnModel *m = NULL;
    assert_int_equal(open_patched(b, size, &cap, &m), want);
    printf("[ hostile ] resize %s: %s\n", what, want ? cap.last : "loads and runs");
    if (want) {
        assert_null(m);
        if (!strstr(cap.last, message))
            fail_msg("message \"%s\" lacks \"%s\"", cap.last, message);
    } else {
        assert_int_equal(emo_nn_run(m), 0);
        emo_nn_close(&m);
    }
    free(b);
}

/* RESIZE_BILINEAR forms the runtime does not have are load errors naming
 * the operator and what is wrong. */
static void test_resize_forms(void **state)
{
    (void)state;
    resize_case("align_corners and half_pixel_centers", 0, EMO_EUNSUPPORTED,
                "(RESIZE_BILINEAR): align_corners and half_pixel_centers together");
    resize_case("size not the output's", 1, EMO_EFORMAT, "(RESIZE_BILINEAR): size [");
    resize_case("legacy sampling", 2, 0, NULL);
}

/* The graph validator rejects inconsistent shapes a loader may produce. */
static void test_validate(void **state)
{
    (void)state;
    EmoTestErrors cap = { 0 };
    EmoLogger log = { capture, &cap, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &log);
    int in_shape[4] = { 1, 8, 8, 3 }, out_shape[4] = { 1, 8, 8, 4 }, w_shape[4] = { 4, 3, 3, 3 };
    float w[108] = { 0 };
    int in = emo__nn_graph_add_tensor(&g, "in", 4, in_shape, NULL);
    int out = emo__nn_graph_add_tensor(&g, "out", 4, out_shape, NULL);
    int wt = emo__nn_graph_add_tensor(&g, "w", 4, w_shape, w);
    EmoNnNode n;
    emo__nn_node_init(&n, EMO_NN_CONV2D);
    n.inputs[0] = in;
    n.n_inputs = 1;
    n.output = out;
    n.weights = wt;
    n.kernel_h = n.kernel_w = 3;
    n.pad_top = n.pad_bottom = n.pad_left = n.pad_right = 1;
    assert_true(emo__nn_graph_add_node(&g, &n) >= 0);
    assert_int_equal(emo__nn_graph_mark_input(&g, in), 0);
    assert_int_equal(emo__nn_graph_mark_output(&g, out), 0);
    assert_int_equal(emo__nn_graph_validate(&g), 0);
    g.nodes[0].pad_top = 0; /* output would be 7 rows */
    assert_int_equal(emo__nn_graph_validate(&g), EMO_EFORMAT);
    assert_non_null(strstr(cap.last, "output shape [1,7,8,4] expected"));
    g.nodes[0].pad_top = 1;
    g.nodes[0].stride_h = 0;
    assert_int_equal(emo__nn_graph_validate(&g), EMO_EFORMAT);
    g.nodes[0].stride_h = 1;
    g.nodes[0].inputs[0] = out; /* reads its own output */
    assert_int_equal(emo__nn_graph_validate(&g), EMO_EFORMAT);
    g.nodes[0].inputs[0] = in;
    g.nodes[0].weights = in; /* weights not constant */
    assert_int_equal(emo__nn_graph_validate(&g), EMO_EFORMAT);
    emo__nn_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_unsupported_operator),
        cmocka_unit_test(test_resize_forms),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
