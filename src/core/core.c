#define _POSIX_C_SOURCE 200809L
#include <emoscope/core.h>
#include <emoscope/version.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

unsigned emo_version(void)
{
    return EMO_VERSION_NUMBER;
}

const char *emo_version_string(void)
{
    return EMO_VERSION_STRING;
}

const char *emo_strerror(int err)
{
    switch (err) {
    case EMO_OK: return "success";
    case EMO_EAGAIN: return "need more input";
    case EMO_EINVAL: return "invalid argument";
    case EMO_ENOMEM: return "out of memory";
    case EMO_EIO: return "input/output error";
    case EMO_ENOENT: return "not found";
    case EMO_EFORMAT: return "malformed data";
    case EMO_EUNSUPPORTED: return "unsupported feature";
    case EMO_EOF: return "end of stream";
    case EMO_ETIMEDOUT: return "timed out";
    case EMO_ECLOSED: return "closed";
    case EMO_ENODEV: return "no such device";
    case EMO_ECHECKSUM: return "checksum mismatch";
    case EMO_EINTR: return "interrupted";
    case EMO_ENET: return "network error";
    case EMO_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int emo_log_level_parse(const char *s, EmoLogLevel *out)
{
    for (int i = 0; i < 4; i++) {
        if (s && !strcasecmp(s, level_names[i])) {
            *out = (EmoLogLevel)i;
            return 0;
        }
    }
    return EMO_EINVAL;
}

void emo_vlog(const EmoLogger *lg, EmoLogLevel level, const char *fmt, va_list ap)
{
    /* As int: a level below EMO_LOG_ERROR (-1) silences everything. */
    int max = lg ? (int)lg->level : (int)EMO_LOG_INFO;
    if ((int)level > max)
        return;
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (lg && lg->fn) {
        lg->fn(lg->userdata, level, buf);
        return;
    }
    /* One fprintf per message keeps lines whole across threads. */
    if (level <= EMO_LOG_WARN)
        fprintf(stderr, "emoscope: %s: %s\n", level_names[level], buf);
    else
        fprintf(stderr, "emoscope: %s\n", buf);
}

void emo_log(const EmoLogger *lg, EmoLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emo_vlog(lg, level, fmt, ap);
    va_end(ap);
}

double emo_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double emo_wallclock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int emo_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
