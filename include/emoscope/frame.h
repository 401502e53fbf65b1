/**
 * @file frame.h
 * Pooled, reference-counted video frames.
 *
 * A frame is written only by its single owner (reference count 1); once it
 * is shared (emo_frame_ref) it is read-only. The last emo_frame_unref()
 * returns it to its pool.
 */
#ifndef EMOSCOPE_FRAME_H
#define EMOSCOPE_FRAME_H

#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum EmoPixFmt {
    EMO_PIX_NONE = 0,
    EMO_PIX_BGRA,    /**< 4 bytes per pixel, B,G,R,A in memory (Cairo ARGB32 on little-endian) */
    EMO_PIX_RGB24,   /**< 3 bytes per pixel, R,G,B */
    EMO_PIX_GRAY8,   /**< 1 byte per pixel */
    EMO_PIX_YUV420P, /**< planar Y, U, V; chroma halved in both directions */
} EmoPixFmt;

typedef struct EmoFramePool EmoFramePool;

typedef struct EmoFrame {
    EmoPixFmt fmt;
    int width, height;     /**< pixels */
    uint8_t *data[4];      /**< plane pointers, each 64-byte aligned */
    int stride[4];         /**< bytes per row, multiple of 64 */
    double pts;            /**< presentation time, seconds from the stream start */
    int64_t index;         /**< 0-based frame index in the stream */
    double t_capture;      /**< emo_clock_now() when the frame was decoded */
    /* Private: owned by frame.c. */
    int refs_;
    EmoFramePool *pool_;
    void *buf_;
} EmoFrame;

/** Bytes per pixel of plane 0 (1 for planar formats). */
EMO_API int emo_pixfmt_bpp(EmoPixFmt fmt);
EMO_API const char *emo_pixfmt_name(EmoPixFmt fmt);

/**
 * Allocates a stand-alone frame (no pool), reference count 1.
 * @return 0, EMO_EINVAL for a bad size or format, EMO_ENOMEM.
 */
EMO_API int emo_frame_alloc(EmoFrame **out, EmoPixFmt fmt, int width, int height);

/** Adds a reference; returns f. */
EMO_API EmoFrame *emo_frame_ref(EmoFrame *f);
/** Drops a reference and sets *f to NULL; NULL and *f == NULL are no-ops. */
EMO_API void emo_frame_unref(EmoFrame **f);
/** Current reference count (for tests and assertions). */
EMO_API int emo_frame_refcount(const EmoFrame *f);

/**
 * Opens a pool of at most capacity frames of one format and size.
 * Frames are allocated on first use and recycled afterwards.
 */
EMO_API int emo_frame_pool_open(EmoFramePool **out, EmoPixFmt fmt, int width, int height, int capacity);
/**
 * Takes a free frame (reference count 1), allocating one if fewer than
 * capacity exist. Returns EMO_EAGAIN when all are in use.
 */
EMO_API int emo_frame_pool_get(EmoFramePool *pool, EmoFrame **out);
/** Frames currently handed out. */
EMO_API int emo_frame_pool_in_use(EmoFramePool *pool);
/** Frames allocated so far (in use or free). */
EMO_API int emo_frame_pool_allocated(EmoFramePool *pool);
/**
 * Closes the pool and sets *pool to NULL. Frames still out stay valid; the
 * memory is released when the last one is unreferenced.
 */
EMO_API void emo_frame_pool_close(EmoFramePool **pool);

/** Copies pixels and metadata; both frames must have the same format and size. */
EMO_API int emo_frame_copy(EmoFrame *dst, const EmoFrame *src);

#ifdef __cplusplus
}
#endif
#endif
