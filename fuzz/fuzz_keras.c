/* libFuzzer target: the Keras HDF5 loader (libhdf5 + model_config JSON +
 * weight checks). libhdf5 reads from a path, so each input is written to a
 * temporary file (in /dev/shm when available). Small models that load are
 * also run through the reference executor, whose own shape checks must
 * reject anything the loader let through that cannot be executed. */
#define _POSIX_C_SOURCE 200809L
#include "nn/graph.h"
#include "nn/ref.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

/* libhdf5 1.10 trusts some lengths in corrupt metadata and asks malloc for
 * absurd sizes inside H5Fopen (seen: 0x3abf1691abbefbbb and 4296540163 bytes,
 * H5Fopen > H5G_mkroot > H5O_protect > H5C_protect). Outside ASan that malloc
 * returns NULL, or reserves address space that is never touched because the
 * read past the end of the file fails first; H5Fopen fails and our loader
 * reports it (11 MB peak RSS measured). Under ASan, allocations over 1 GiB
 * return NULL instead (ours never exceed 64 MiB), so fuzzing goes on past
 * libhdf5's habit. */
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

/* libhdf5 1.10 leaks a little (56 bytes seen) on every H5Fopen that fails
 * part-way through a corrupt superblock, and prints "infinite loop closing
 * library" at exit for the same reason; nothing the caller can free. Leaks
 * anywhere else are still reported. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libhdf5_serial.so\n";
}

static void drop(void *user, EmoLogLevel level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/emo-fuzz-keras-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    close(fd);
    if (done == size) {
        static const EmoLogger quiet = { drop, NULL, EMO_LOG_ERROR };
        EmoNnGraph g;
        emo__nn_graph_init(&g, &quiet);
        if (emo__nn_load_keras(&g, path) == 0 && g.n_inputs == 1 && g.n_outputs <= 8 &&
            emo__nn_graph_macs(&g) <= 2000000) {
            float *x = calloc(emo__nn_tensor_count(&g.tensors[g.inputs[0]]), sizeof(float));
            float *outs[8] = { 0 };
            int ok = x != NULL;
            for (int i = 0; i < g.n_outputs; i++)
                ok &= (outs[i] = calloc(emo__nn_tensor_count(&g.tensors[g.outputs[i]]), sizeof(float))) != NULL;
            const float *ins[1] = { x };
            if (ok)
                emo__nn_ref_run(&g, ins, outs);
            for (int i = 0; i < g.n_outputs; i++)
                free(outs[i]);
            free(x);
        }
        emo__nn_graph_free(&g);
    }
    unlink(path);
    return 0;
}
