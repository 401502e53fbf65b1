#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *checked(char *buf, const char *what)
{
    struct stat st;
    if (stat(buf, &st) != 0) {
        print_error("required %s not found: %s (run `make models`; shared data must be at ../shared)\n", what, buf);
        fail_msg("missing test input %s", buf);
    }
    return buf;
}

const char *emo_test_shared(const char *rel)
{
    static char buf[4096];
    const char *env = getenv("EMO_SHARED_DIR");
    snprintf(buf, sizeof(buf), "%s/%s", env && env[0] ? env : EMO_TEST_SHARED_DIR, rel);
    return checked(buf, "shared test data");
}

const char *emo_test_model(const char *file)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%s", EMO_TEST_MODELS_DIR, file);
    return checked(buf, "model file");
}

const char *emo_test_data(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%s", EMO_TEST_DATA_DIR, rel);
    return checked(buf, "sample data");
}

const char *emo_test_tmpdir(const char *tag)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/test-tmp/%s-%d", EMO_TEST_BUILD_DIR, tag, (int)getpid());
    char cmd[8400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0)
        fail_msg("cannot create %s", buf);
    return buf;
}

const char *emo_test_models_subset(const char *tag, const char *const *files)
{
    const char *dir = emo_test_tmpdir(tag);
    for (; *files; files++) {
        char cmd[9000];
        snprintf(cmd, sizeof(cmd), "ln -sf '%s' '%s/%s'", emo_test_model(*files), dir, *files);
        if (emo_test_system(cmd) != 0)
            fail_msg("cannot link %s into %s", *files, dir);
    }
    return dir;
}

void *emo_test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* One extra NUL byte so that text files can be used as strings. */
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("cannot read %s", path);
    buf[n] = 0;
    fclose(f);
    *size = (size_t)n;
    return buf;
}

float *emo_test_read_f32(const char *path, size_t n)
{
    size_t size;
    float *v = emo_test_read_file(path, &size);
    if (size != n * sizeof(float))
        fail_msg("%s: %zu bytes, expected %zu floats", path, size, n);
    return v;
}

void emo_test_capture_errors(void *user, EmoLogLevel level, const char *msg)
{
    EmoTestErrors *e = user;
    if (level == EMO_LOG_ERROR) {
        e->errors++;
        snprintf(e->last, sizeof(e->last), "%s", msg);
    }
}

int emo_test_system(const char *cmd)
{
    int st = system(cmd);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int emo_test_loopback_socket(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    if (backlog > 0)
        assert_int_equal(listen(fd, backlog), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}
