/* Hostile HDF5 files: the real Keras models truncated at many lengths, with
 * seeded byte flips (anywhere, and aimed at the metadata between the weight
 * datasets), and random bytes with and without the HDF5 signature. Every
 * trial runs in a child process with a time limit, so that a crash or hang
 * (ours or inside libhdf5) is reported with the seed, the flipped offsets and
 * a saved copy of the file instead of taking the test runner down. A trial
 * passes when the load fails with an error code and a message, or succeeds
 * and the model then runs (reference executor and emo_nn_open/emo_nn_run).
 *
 * EMO_HOSTILE_TRIALS scales the number of trials (default 1 = modest). */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include "nn/graph.h"
#include "nn/ref.h"

#include <emoscope/nn.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIAL_SECONDS 30

const char *__asan_default_options(void);

/* Under ASan: libhdf5 1.10 asks malloc for absurd sizes on some corrupt
 * metadata (and handles the NULL it gets without ASan); see fuzz_keras.c. */
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

typedef struct Stats {
    int trials, loaded, rejected;
} Stats;

typedef struct Range {
    uint64_t off, len;
} Range;

typedef struct DataRanges {
    Range r[512];
    int n;
} DataRanges;

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int scale(void)
{
    const char *s = getenv("EMO_HOSTILE_TRIALS");
    int n = s ? atoi(s) : 1;
    return n > 0 ? n : 1;
}

typedef struct ChildLog {
    int errors;
} ChildLog;

static void child_log(void *user, EmoLogLevel level, const char *msg)
{
    (void)msg;
    if (level == EMO_LOG_ERROR)
        ((ChildLog *)user)->errors++;
}

/* In the child: 0 loaded and ran, 1 rejected with a message, 2 rejected
 * silently, 3 loaded but a run failed. */
static int child(const char *path)
{
    ChildLog cl = { 0 };
    EmoLogger lg = { child_log, &cl, EMO_LOG_ERROR };
    EmoNnGraph g;
    emo__nn_graph_init(&g, &lg);
    int rc = emo__nn_load_keras(&g, path);
    if (rc)
        return rc < 0 && cl.errors > 0 ? 1 : 2;
    int ok = 1;
    const EmoNnTensor *in = &g.tensors[g.inputs[0]];
    float *x = calloc(emo__nn_tensor_count(in), sizeof(float));
    float *outs[8] = { 0 };
    for (int i = 0; i < g.n_outputs; i++)
        outs[i] = calloc(emo__nn_tensor_count(&g.tensors[g.outputs[i]]), sizeof(float));
    const float *ins[8] = { x, x, x, x, x, x, x, x };
    if (g.n_inputs == 1 && emo__nn_ref_run(&g, ins, outs) != 0)
        ok = 0;
    for (int i = 0; i < g.n_outputs; i++)
        free(outs[i]);
    free(x);
    emo__nn_graph_free(&g);
    EmoNnSettings s;
    emo_nn_default_settings(&s);
    s.threads = 1;
    s.log = &lg;
    EmoNnModel *m = NULL;
    rc = emo_nn_open(&m, path, &s);
    if (rc == 0) {
        if (emo_nn_run(m) != 0)
            ok = 0;
        emo_nn_close(&m);
    } else if (cl.errors == 0) {
        ok = 0;
    }
    return ok ? 0 : 3;
}

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_true(fwrite(b, 1, n, f) == n);
    fclose(f);
}

/* Runs one trial; on a crash, hang or silent failure keeps the file and fails. */
static void trial(const uint8_t *b, size_t n, const char *what, Stats *st)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/trial.h5", emo_test_tmpdir("keras_hostile"));
    write_bytes(path, b, n);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* cmocka catches these to report a failing test; in the child they
         * must kill the process so that the parent sees them. */
        static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            signal(sigs[i], SIG_DFL);
        alarm(TRIAL_SECONDS);
        _exit(child(path));
    }
    int status = 0;
    assert_true(waitpid(pid, &status, 0) == pid);
    st->trials++;
    if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
        if (WEXITSTATUS(status) == 0)
            st->loaded++;
        else
            st->rejected++;
        unlink(path);
        return;
    }
    char keep[4300];
    snprintf(keep, sizeof(keep), "%s.failed", path);
    rename(path, keep);
    if (WIFSIGNALED(status))
        fail_msg("%s: child died with signal %d%s (file kept as %s)", what, WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (hang)" : "", keep);
    fail_msg("%s: child exit status %d (2: error without message, 3: loaded but did not run; file kept as %s)",
             what, WEXITSTATUS(status), keep);
}

static herr_t collect(hid_t obj, const char *name, const H5O_info_t *info, void *user)
{
    DataRanges *dr = user;
    if (info->type != H5O_TYPE_DATASET || dr->n >= 512)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    haddr_t off = H5Dget_offset(d);
    hsize_t len = H5Dget_storage_size(d);
    if (off != HADDR_UNDEF && len > 0) {
        dr->r[dr->n].off = off;
        dr->r[dr->n].len = len;
        dr->n++;
    }
    H5Dclose(d);
    return 0;
}

static int in_data(const DataRanges *dr, uint64_t pos)
{
    for (int i = 0; i < dr->n; i++)
        if (pos >= dr->r[i].off && pos < dr->r[i].off + dr->r[i].len)
            return 1;
    return 0;
}

static void hostile(const char *path, int flip_trials, uint64_t seed)
{
    size_t n;
    uint8_t *orig = emo_test_read_file(path, &n);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    Stats st = { 0, 0, 0 };
    char what[256];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    /* Where the weights are: flips outside these ranges hit metadata. */
    DataRanges dr = { .n = 0 };
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &dr, H5O_INFO_BASIC) >= 0);
    H5Fclose(f);
    assert_true(dr.n > 10);
    uint64_t data_bytes = 0;
    for (int i = 0; i < dr.n; i++)
        data_bytes += dr.r[i].len;

    /* Truncations: the first bytes, then spread over the file. */
    size_t cuts[] = { 0, 1, 7, 8, 9, 64, 96, 512, 800, 2048, 4096 };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        snprintf(what, sizeof(what), "%s truncated to %zu bytes", base, cuts[i]);
        trial(orig, cuts[i], what, &st);
    }
    int spread = 16 * scale();
    for (int i = 1; i <= spread; i++) {
        size_t len = (size_t)((double)n * i / (spread + 1));
        snprintf(what, sizeof(what), "%s truncated to %zu bytes", base, len);
        trial(orig, len, what, &st);
    }
    trial(orig, n - 1, "truncated by one byte", &st);
    int truncs = st.trials, trunc_loaded = st.loaded;

    /* Byte flips: half anywhere, half in metadata. */
    uint64_t s = seed;
    for (int t = 0; t < flip_trials * scale(); t++) {
        memcpy(buf, orig, n);
        int meta = t & 1, flips = 1 + (int)(rng_next(&s) % 8);
        char offs[160] = "";
        for (int k = 0; k < flips; k++) {
            uint64_t pos;
            int guard = 0;
            do
                pos = rng_next(&s) % n;
            while (meta && in_data(&dr, pos) && ++guard < 1000);
            buf[pos] ^= (uint8_t)(1 + rng_next(&s) % 255);
            size_t l = strlen(offs);
            snprintf(offs + l, sizeof(offs) - l, "%s%llu", k ? "," : "", (unsigned long long)pos);
        }
        snprintf(what, sizeof(what), "%s trial %d (seed %llu, %s flips at %s)", base, t, (unsigned long long)seed,
                 meta ? "metadata" : "random", offs);
        trial(buf, n, what, &st);
    }
    int flip_trials_run = st.trials - truncs;
    int flip_loaded = st.loaded - trunc_loaded;

    /* Random files: plain noise, and noise behind a valid signature. */
    for (int t = 0; t < 8; t++) {
        size_t len = 16 + rng_next(&s) % 65536;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rng_next(&s);
        if (t & 1)
            memcpy(buf, orig, 8);
        snprintf(what, sizeof(what), "random file %d (%zu bytes)", t, len);
        trial(buf, len, what, &st);
    }
    printf("%s: %d trials: %d truncations (%d loaded), %d byte-flip files (%d loaded and ran), 8 random files; "
           "weights are %.0f%% of the file; %d rejected with a message\n",
           base, st.trials, truncs, trunc_loaded, flip_trials_run, flip_loaded, 100.0 * (double)data_bytes / (double)n,
           st.rejected);
    /* A truncated file never loads (HDF5 checks its end-of-file address). */
    assert_int_equal(trunc_loaded, 0);
    free(buf);
    free(orig);
}

static void test_mini_xception(void **state)
{
    (void)state;
    hostile(emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"), 60, 1);
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* One changed field of the real mini-Xception file each, aimed at libhdf5
 * 1.10.8's global-heap bugs (without the loader's pre-check: segfaults in
 * H5HG_read, and a heap overflow that glibc aborts on). Each must be
 * rejected with a message. */
static void test_global_heap_regressions(void **state)
{
    (void)state;
    size_t n;
    uint8_t *orig = emo_test_read_file(emo_test_model("fer2013_mini_XCEPTION.102-0.66.hdf5"), &n);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    /* The collection holding model_config and its largest object (the JSON). */
    size_t gcol = 0;
    while (gcol + 16 <= n && memcmp(orig + gcol, "GCOL", 4))
        gcol++;
    assert_true(gcol + 16 <= n);
    size_t p = gcol + 16, big = 0;
    uint64_t big_size = 0;
    unsigned big_idx = 0;
    while (p + 16 <= gcol + le(orig + gcol + 8, 8)) {
        unsigned idx = (unsigned)le(orig + p, 2);
        uint64_t sz = le(orig + p + 8, 8);
        if (idx == 0)
            break;
        if (sz > big_size)
            big = p, big_size = sz, big_idx = idx;
        p += 16 + ((sz + 7) & ~7ull);
    }
    assert_true(big_size > 10000); /* model_config's JSON */
    /* Its descriptor: [length u32][collection address u64][index u32]. */
    size_t desc = 0;
    for (size_t q = 0; q + 16 <= n; q++)
        if (le(orig + q, 4) == big_size && le(orig + q + 4, 8) == gcol && le(orig + q + 12, 4) == big_idx) {
            desc = q;
            break;
        }
    assert_true(desc > 0);
    Stats st = { 0, 0, 0 };
    char what[200];

    memcpy(buf, orig, n);
    buf[big + 8 + 4] = 0xcd; /* object size 2^40 times too large: the fuzzer's find */
    snprintf(what, sizeof(what), "heap object size at byte %zu", big + 12);
    trial(buf, n, what, &st);

    uint32_t lens[3] = { 16, (uint32_t)big_size - 1, 0x7fffffff };
    for (int i = 0; i < 3; i++) {
        memcpy(buf, orig, n);
        for (int k = 0; k < 4; k++)
            buf[desc + (size_t)k] = (uint8_t)(lens[i] >> (8 * k));
        snprintf(what, sizeof(what), "model_config length %u at byte %zu", lens[i], desc);
        trial(buf, n, what, &st);
    }
    memcpy(buf, orig, n);
    buf[desc + 12] = buf[desc + 13] = buf[desc + 14] = 0xff; /* object index 0x03ffffff: the fuzzer's second find */
    snprintf(what, sizeof(what), "model_config heap index at byte %zu", desc + 12);
    trial(buf, n, what, &st);
    printf("global heap regressions: %d files, %d rejected with a message\n", st.trials, st.rejected);
    assert_int_equal(st.rejected, 5);
    free(buf);
    free(orig);
}

static void test_deepface(void **state)
{
    (void)state;
    hostile(emo_test_shared("testdata/golden/deepface_emotion/facial_expression_model_weights.synthetic.h5"), 20, 2);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mini_xception),
        cmocka_unit_test(test_deepface),
        cmocka_unit_test(test_global_heap_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
