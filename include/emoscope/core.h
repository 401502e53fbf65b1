/**
 * @file core.h
 * Errors, logging and clocks shared by every emoscope module.
 */
#ifndef EMOSCOPE_CORE_H
#define EMOSCOPE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Sizes of the path and text fields of the settings structs, bytes with the terminating NUL. */
#define EMO_PATH_MAX 1024
#define EMO_STR_MAX 256

/** Error codes: functions return 0 on success or one of these (negative). */
enum {
    EMO_OK = 0,
    EMO_EAGAIN = -1,      /**< need more input / try again later: not an error */
    EMO_EINVAL = -2,      /**< invalid argument or setting */
    EMO_ENOMEM = -3,      /**< out of memory, or an allocation over a sane limit */
    EMO_EIO = -4,         /**< read or write failed */
    EMO_ENOENT = -5,      /**< file or device not found */
    EMO_EFORMAT = -6,     /**< malformed or corrupt input data */
    EMO_EUNSUPPORTED = -7,/**< valid input using a feature we do not support */
    EMO_EOF = -8,         /**< end of stream */
    EMO_ETIMEDOUT = -9,   /**< timed out */
    EMO_ECLOSED = -10,    /**< queue or resource closed */
    EMO_ENODEV = -11,     /**< no such device (camera) */
    EMO_ECHECKSUM = -12,  /**< checksum mismatch */
    EMO_EINTR = -13,      /**< interrupted (signal or user request) */
    EMO_ENET = -14,       /**< network or remote server error */
    EMO_EINTERNAL = -15,  /**< a bug: an invariant did not hold */
};

/** Text for an error code; never NULL. */
EMO_API const char *emo_strerror(int err);

typedef enum EmoLogLevel {
    EMO_LOG_QUIET = -1, /**< as a logger level: drop every message */
    EMO_LOG_ERROR = 0,
    EMO_LOG_WARN = 1,
    EMO_LOG_INFO = 2,
    EMO_LOG_DEBUG = 3,
} EmoLogLevel;

typedef void (*EmoLogFn)(void *userdata, EmoLogLevel level, const char *msg);

/**
 * Where messages go. Every module keeps a pointer to one in its settings;
 * NULL means the default logger (stderr, level INFO). The logger must
 * outlive every handle that refers to it. The callback may be called from
 * any thread.
 */
typedef struct EmoLogger {
    EmoLogFn fn;        /**< NULL: write to stderr */
    void *userdata;
    EmoLogLevel level;  /**< messages above this level are dropped */
} EmoLogger;

/** Formats and sends one message; lg may be NULL (default logger). */
EMO_API void emo_log(const EmoLogger *lg, EmoLogLevel level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
EMO_API void emo_vlog(const EmoLogger *lg, EmoLogLevel level, const char *fmt, va_list ap);

/** Parses "error", "warn", "info", "debug"; returns EMO_EINVAL otherwise. */
EMO_API int emo_log_level_parse(const char *s, EmoLogLevel *out);

/** Monotonic clock in seconds (arbitrary origin). */
EMO_API double emo_clock_now(void);
/** Wall-clock time in seconds since the Unix epoch. */
EMO_API double emo_wallclock_now(void);

/** Number of online CPU cores (at least 1). */
EMO_API int emo_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
