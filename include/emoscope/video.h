/**
 * @file video.h
 * Video input (files, cameras, network streams, images) and output
 * (annotated video, PNG stills), on the FFmpeg libraries.
 *
 * A source demuxes, decodes and converts frames on its own capture thread
 * and hands them over through a bounded queue of pooled, reference-counted
 * EmoFrames (frame.h). Live sources (cameras, network streams) drop the
 * oldest queued frame when the consumer falls behind and count the drops;
 * files and images never drop: the capture thread waits.
 *
 * Life cycle: emo_video_default_settings() -> emo_video_open() ->
 * emo_video_read() until it returns EMO_EOF or an error -> emo_video_close().
 */
#ifndef EMOSCOPE_VIDEO_H
#define EMOSCOPE_VIDEO_H

#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>
#include <emoscope/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The [video] section of the configuration: config.h maps its INI keys onto these fields. */
typedef struct EmoVideoSettings {
    char source[EMO_PATH_MAX];   /**< file, /dev/videoN, URL, image, folder or pattern; empty = auto */
    int width, height;           /**< pixels asked of a camera */
    double fps;                  /**< frames per second asked of a camera */
    char input_format[32];       /**< camera pixel format preferred (mjpeg, yuyv422, ...) */
    char live[8];                /**< auto, yes, no: drop-oldest queue policy for live sources */
    int queue_size;              /**< frames buffered between capture and analysis */
    int max_frames;              /**< stop after this many frames; 0 = all */
    int loop;                    /**< restart a file at its end (soak tests, demos) */
    int reconnect;               /**< reopen a live source that stops */
    double reconnect_delay;      /**< seconds between reconnection attempts */
    double image_fps;            /**< frame rate given to still images and folders */
    int decode_threads;          /**< decoder threads; 0 = automatic */
    char pix_fmt[16];            /**< pixel format of decoded frames: bgra, yuv420p, gray8, rgb24 */
    double timeout;              /**< seconds a network or camera read may block */
    char scaler[16];             /**< swscale algorithm: bilinear, fast_bilinear, point, bicubic, area */
} EmoVideoSettings;

/** What kind of source a name designates. */
typedef enum EmoVideoKind {
    EMO_VIDEO_FILE = 0,   /**< a video file (any container and codec FFmpeg reads) */
    EMO_VIDEO_CAMERA = 1, /**< a V4L2 device, /dev/videoN */
    EMO_VIDEO_STREAM = 2, /**< a network URL (rtsp, rtmp, http, https, udp, tcp, srt) */
    EMO_VIDEO_IMAGE = 3,  /**< one still image */
    EMO_VIDEO_IMAGES = 4, /**< a folder of images, a glob (*.png) or printf (img%04d.png) pattern */
} EmoVideoKind;

/** Live policy asked for. */
enum {
    EMO_VIDEO_LIVE_AUTO = -1, /**< cameras and streams are live, files and images are not */
    EMO_VIDEO_LIVE_NO = 0,    /**< block: never drop a frame */
    EMO_VIDEO_LIVE_YES = 1,   /**< drop the oldest frame when the queue is full */
};

/** Settings of a source. Plain data; strings are copied by emo_video_open(). */
typedef struct EmoVideoSourceSettings {
    const char *source;       /**< file, /dev/videoN, URL, image, folder or pattern (required) */
    EmoPixFmt pix_fmt;        /**< format of delivered frames: BGRA (default), YUV420P, GRAY8 or RGB24 */
    int out_width, out_height;/**< size of delivered frames in pixels; 0 = the source's own size */
    int width, height;        /**< pixels asked of a camera (default 1920x1080) */
    double fps;               /**< frames per second asked of a camera (default 60) */
    const char *input_format; /**< camera pixel format preferred ("mjpeg"); falls back to the driver's */
    int live;                 /**< EMO_VIDEO_LIVE_AUTO (default), _NO or _YES */
    int queue_size;           /**< frames buffered between capture and consumer (default 4) */
    int held_frames;          /**< frames the consumer may hold at once (default 8): sizes the pool */
    int64_t max_frames;       /**< stop (EMO_EOF) after this many frames; 0 = all */
    int loop;                 /**< restart a file at its end; time stamps keep increasing */
    int reconnect;            /**< reopen a live source that stops, after reconnect_delay */
    double reconnect_delay;   /**< seconds between reconnection attempts (default 1) */
    double image_fps;         /**< frames per second given to images and folders (default 1) */
    int decode_threads;       /**< decoder threads; 0 = FFmpeg's automatic choice (default) */
    double timeout;           /**< seconds a network or camera open/read may block (default 10) */
    const char *scaler;       /**< swscale algorithm: bilinear (default), fast_bilinear, point, bicubic, area */
    const EmoLogger *log;     /**< NULL = default logger */
} EmoVideoSourceSettings;

/** What the source is, known after emo_video_open(). */
typedef struct EmoVideoInfo {
    EmoVideoKind kind;
    int live;                 /**< 1 when the drop-oldest policy is in force */
    int width, height;        /**< delivered frame size, pixels */
    EmoPixFmt pix_fmt;        /**< delivered pixel format */
    int src_width, src_height;/**< decoded size (for a camera: what it granted) */
    double fps;               /**< stream frame rate (camera: granted; images: image_fps); 0 = unknown */
    double duration;          /**< seconds; 0 = unknown (live) */
    int64_t frame_count;      /**< frames in the stream as the container says; 0 = unknown */
    int time_base_num, time_base_den; /**< stream time base (seconds per tick = num/den) */
    char codec[32];           /**< decoder name ("h264", "mjpeg", ...) */
    char container[64];       /**< demuxer name ("mov,mp4,...", "video4linux2,v4l2", ...) */
    char camera_format[32];   /**< camera pixel format granted ("mjpeg", "yuyv422"); empty otherwise */
} EmoVideoInfo;

/** Counters, safe to read from any thread while the source runs. */
typedef struct EmoVideoStats {
    int64_t frames_decoded;   /**< frames out of the decoder and converted */
    int64_t frames_read;      /**< frames handed to the consumer by emo_video_read*() */
    int64_t frames_dropped;   /**< live only: discarded because the consumer fell behind */
    int64_t decode_errors;    /**< packets the decoder rejected (live sources carry on) */
    int64_t reconnects;       /**< live sources reopened */
    double decode_seconds;    /**< decode-thread time demuxing and decoding (waits excluded); set at the end */
    double convert_seconds;   /**< conversion-thread time converting pixels (waits excluded) */
} EmoVideoStats;

typedef struct EmoVideoSource EmoVideoSource;

/** Fills s with the defaults listed in EmoVideoSourceSettings. */
EMO_API void emo_video_default_settings(EmoVideoSourceSettings *s);

/** Parses "bgra", "rgb24", "gray8"/"gray", "yuv420p"; returns EMO_PIX_NONE otherwise. */
EMO_API EmoPixFmt emo_video_parse_pixfmt(const char *name);

/** Which kind of source a name designates (no I/O beyond stat()). */
EMO_API EmoVideoKind emo_video_classify(const char *source);

/** Whether s->source opens as a live source (drop-oldest queue, reconnects):
 *  s->live, or with EMO_VIDEO_LIVE_AUTO cameras and network streams. */
EMO_API int emo_video_settings_live(const EmoVideoSourceSettings *s);

/**
 * Opens a source and starts its capture thread. Errors are reported
 * synchronously with a message naming the source: EMO_ENOENT (no such
 * file), EMO_ENODEV (no such camera), EMO_EFORMAT (not a readable video,
 * e.g. random bytes or a truncated MP4 whose index is missing), EMO_ENET,
 * EMO_ETIMEDOUT (a network source that does not answer within
 * s->timeout), EMO_EUNSUPPORTED (no decoder), EMO_EINVAL (bad settings).
 * On failure *out is NULL and nothing is left allocated.
 */
EMO_API int emo_video_open(EmoVideoSource **out, const EmoVideoSourceSettings *s);

/** Stream properties; valid from open to close. */
EMO_API void emo_video_info(const EmoVideoSource *src, EmoVideoInfo *info);

/**
 * Takes the next frame in order. The caller owns the reference in *frame
 * (reference count 1: it may draw on it) and must emo_frame_unref() it.
 * timeout_s < 0 waits forever.
 * @return 0; EMO_ETIMEDOUT (nothing yet); EMO_EOF at the clean end of the
 * source (or after max_frames); otherwise the error that ended the source
 * (EMO_EFORMAT for corrupt or truncated data, EMO_EIO, EMO_ENET,
 * EMO_ETIMEDOUT ...), returned only after every frame decoded before the
 * damage has been delivered, and returned again on every later call.
 * EMO_EINTR after emo_video_stop().
 */
EMO_API int emo_video_read(EmoVideoSource *src, EmoFrame **frame, double timeout_s);

/** Like emo_video_read(), but discards all queued frames but the newest (counted as dropped). */
EMO_API int emo_video_read_latest(EmoVideoSource *src, EmoFrame **frame, double timeout_s);

/**
 * Asks the capture thread to stop (thread-safe, async-signal unsafe). Pending
 * and later reads return EMO_EINTR once the queue is drained.
 */
EMO_API void emo_video_stop(EmoVideoSource *src);

/** Copies the counters. */
EMO_API void emo_video_stats(EmoVideoSource *src, EmoVideoStats *stats);

/**
 * Text of the error that ended the source (empty when it ended cleanly).
 * Call it once a read has returned the final status.
 */
EMO_API const char *emo_video_error_message(EmoVideoSource *src);

/** Stops the capture thread, frees everything, sets *src to NULL. NULL is a no-op. Frames still held stay valid. */
EMO_API void emo_video_close(EmoVideoSource **src);

/**
 * Sets how much FFmpeg itself prints to stderr (process-wide: FFmpeg has one
 * logger): EMO_LOG_ERROR shows errors only, EMO_LOG_DEBUG FFmpeg's verbose
 * output. For programs; the library never calls it.
 */
EMO_API void emo_video_ffmpeg_log_level(EmoLogLevel level);

/* ---------------------------------------------------------------- output */

/** Settings of a video writer. */
typedef struct EmoVideoWriterSettings {
    const char *path;         /**< output file; the container follows the extension (.mp4 default) */
    int width, height;        /**< frame size, pixels (required) */
    EmoPixFmt pix_fmt;        /**< format of the frames given to write (default BGRA) */
    double fps;               /**< nominal frame rate (required, > 0): duration of the last frame */
    int time_base_num, time_base_den; /**< time base of the time stamps; 0 = 1/(fps * 1000) */
    const char *codec;        /**< FFmpeg encoder (default "libx264") */
    int crf;                  /**< constant rate factor for x264/x265/vpx (default 23); < 0 = encoder default */
    const char *preset;       /**< encoder preset (default "medium"); empty = none */
    int threads;              /**< encoder threads; 0 = automatic */
    const EmoLogger *log;
} EmoVideoWriterSettings;

typedef struct EmoVideoWriter EmoVideoWriter;

EMO_API void emo_video_writer_default_settings(EmoVideoWriterSettings *s);

/**
 * Creates the file and the encoder; the header is written on the first frame.
 * @return 0, EMO_EINVAL (bad size, fps), EMO_EUNSUPPORTED (no such encoder or
 * container), EMO_EIO (cannot create the file). On failure nothing is left.
 */
EMO_API int emo_video_writer_open(EmoVideoWriter **out, const EmoVideoWriterSettings *s);

/**
 * Encodes one frame at f->pts seconds (converted to the time base). Time
 * stamps must increase; a frame whose pts does not is given the next tick
 * (and a warning). f is only read.
 * @return 0, EMO_EINVAL (wrong size or format), EMO_EIO (write failed).
 */
EMO_API int emo_video_writer_write(EmoVideoWriter *w, const EmoFrame *f);

/** Frames written so far. */
EMO_API int64_t emo_video_writer_frames(const EmoVideoWriter *w);

/**
 * Flushes the encoder, writes the trailer (the MP4 index) and closes the
 * file, also after earlier errors; frees everything and sets *w to NULL.
 * @return 0 or the first error met (write or trailer). NULL is a no-op (0).
 */
EMO_API int emo_video_writer_close(EmoVideoWriter **w);

/**
 * Writes a frame as a PNG still (FFmpeg's PNG encoder): BGRA, RGB24 and
 * YUV420P frames become 8-bit RGB, GRAY8 frames 8-bit gray.
 * @return 0, EMO_EINVAL, EMO_EIO (cannot write path).
 */
EMO_API int emo_image_write_png(const EmoFrame *f, const char *path, const EmoLogger *lg);

#ifdef __cplusplus
}
#endif
#endif
