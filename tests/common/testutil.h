/* Helpers shared by the cmocka tests. */
#ifndef EMOSCOPE_TESTUTIL_H
#define EMOSCOPE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <emoscope/core.h>

/* Path of rel under ../shared (the shared test data and models mirror).
 * Fails the test loudly when the file is missing: data-driven tests never
 * skip silently. Returns a static buffer (one per call site is not kept:
 * copy it if you need two). */
const char *emo_test_shared(const char *rel);
/* Path of a file in the installed models folder; fails when missing. */
const char *emo_test_model(const char *file);
/* Path of rel under the installed data folder (sample clips); fails when missing. */
const char *emo_test_data(const char *rel);
/* A fresh empty temporary folder for the test's outputs. */
const char *emo_test_tmpdir(const char *tag);
/* A fresh temporary folder (emo_test_tmpdir(tag)) holding links to the
 * files of the installed models folder named in files (NULL-terminated):
 * a models folder with some of them missing or replaced. */
const char *emo_test_models_subset(const char *tag, const char *const *files);

/* Reads a whole file, NUL-terminated; *size receives its length. Fails the test on error. */
void *emo_test_read_file(const char *path, size_t *size);
/* Reads n float32 values from a raw little-endian file; fails if the size differs. */
float *emo_test_read_f32(const char *path, size_t n);

/* Runs a shell command, returns its exit status (or -1). Output goes to log_path if set. */
int emo_test_system(const char *cmd);

/* Error messages caught by a test's logger: { emo_test_capture_errors, &errs, EMO_LOG_ERROR }. */
typedef struct EmoTestErrors {
    int errors;        /* error messages seen */
    char last[512];    /* the last one */
} EmoTestErrors;
void emo_test_capture_errors(void *user, EmoLogLevel level, const char *msg);

/* A TCP socket bound to a free loopback port of the kernel's choice, listening
 * with that backlog when backlog > 0; the port in *port. Fails the test on
 * error. Closing it at once leaves a port where nobody listens. */
int emo_test_loopback_socket(int backlog, int *port);

#endif
