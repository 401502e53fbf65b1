/* Affine helpers and bilinear warps that sample only the pixels they need. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>

#include "face_priv.h"
#include "warp_dsp.h"

void emo__roi_affine(float cx, float cy, float side, float rot, int size, float m[6])
{
    float k = side / (float)size, c = cosf(rot), s = sinf(rot), half = 0.5f * (float)size;
    m[0] = k * c;
    m[1] = -k * s;
    m[3] = k * s;
    m[4] = k * c;
    m[2] = cx - m[0] * half - m[1] * half;
    m[5] = cy - m[3] * half - m[4] * half;
}

float emo__roi_rotation(float x0, float y0, float x1, float y1)
{
    /* MediaPipe: target_angle - atan2(-(y1 - y0), x1 - x0), normalised. */
    float r = -atan2f(-(y1 - y0), x1 - x0);
    const float pi = 3.14159265358979f;
    while (r > pi)
        r -= 2.0f * pi;
    while (r <= -pi)
        r += 2.0f * pi;
    return r;
}

int emo__affine_invert(const float m[6], float inv[6])
{
    double det = (double)m[0] * m[4] - (double)m[1] * m[3];
    if (!(fabs(det) > 1e-12))
        return EMO_EINVAL;
    double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
    inv[0] = (float)a;
    inv[1] = (float)b;
    inv[3] = (float)d;
    inv[4] = (float)e;
    inv[2] = (float)(-(a * m[2] + b * m[5]));
    inv[5] = (float)(-(d * m[2] + e * m[5]));
    return 0;
}

void emo__affine_mirror_x(const float m[6], int size, float out[6])
{
    out[0] = -m[0];
    out[1] = m[1];
    out[2] = m[2] + m[0] * (float)size;
    out[3] = -m[3];
    out[4] = m[4];
    out[5] = m[5] + m[3] * (float)size;
}

void emo__landmarks_to_frame(const float *raw, const float m[6], int n, float (*lm)[3])
{
    float k = sqrtf(m[0] * m[0] + m[3] * m[3]); /* frame pixels per crop pixel */
    for (int i = 0; i < n; i++) {
        float x = raw[3 * i], y = raw[3 * i + 1];
        lm[i][0] = m[0] * x + m[1] * y + m[2];
        lm[i][1] = m[3] * x + m[4] * y + m[5];
        lm[i][2] = raw[3 * i + 2] * k;
    }
}

/* Bilinear sample at pixel-index coordinates (sx, sy) into rgb[3] (0..255).
 * bpp and ri (offset of red) are constants at every call site, so the
 * compiler specialises the interior fast path per pixel format. */
static inline __attribute__((always_inline)) void sample_fmt(const EmoFrame *f, const int bpp, const int ri, float sx,
                                                             float sy, int zero_border, float rgb[3])
{
    const int bi = 2 - ri;
    const int w = f->width, h = f->height;
    if (sx >= 0.0f && sy >= 0.0f && sx < (float)(w - 1) && sy < (float)(h - 1)) {
        int x0 = (int)sx, y0 = (int)sy; /* non-negative: truncation is floor */
        float ax = sx - (float)x0, ay = sy - (float)y0;
        const uint8_t *p = f->data[0] + (size_t)y0 * f->stride[0] + (size_t)x0 * bpp;
        const uint8_t *q = p + f->stride[0];
        float t0 = p[ri] + ax * (p[bpp + ri] - p[ri]), t1 = q[ri] + ax * (q[bpp + ri] - q[ri]);
        rgb[0] = t0 + ay * (t1 - t0);
        t0 = p[1] + ax * (p[bpp + 1] - p[1]);
        t1 = q[1] + ax * (q[bpp + 1] - q[1]);
        rgb[1] = t0 + ay * (t1 - t0);
        t0 = p[bi] + ax * (p[bpp + bi] - p[bi]);
        t1 = q[bi] + ax * (q[bpp + bi] - q[bi]);
        rgb[2] = t0 + ay * (t1 - t0);
        return;
    }
    /* Border: each of the 4 taps is either clamped to the edge or black. Also
     * guards huge or non-finite coordinates before any conversion to int. */
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    if (!(sx > -2.0f && sx < (float)w + 1.0f && sy > -2.0f && sy < (float)h + 1.0f)) {
        if (zero_border || !isfinite(sx) || !isfinite(sy))
            return;
        sx = fminf(fmaxf(sx, 0.0f), (float)(w - 1));
        sy = fminf(fmaxf(sy, 0.0f), (float)(h - 1));
    }
    float fx0 = floorf(sx), fy0 = floorf(sy), ax = sx - fx0, ay = sy - fy0;
    int x0 = (int)fx0, y0 = (int)fy0;
    for (int t = 0; t < 4; t++) {
        int x = x0 + (t & 1), y = y0 + (t >> 1);
        float wt = ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
        if (x < 0 || y < 0 || x >= w || y >= h) {
            if (zero_border)
                continue;
            x = x < 0 ? 0 : (x >= w ? w - 1 : x);
            y = y < 0 ? 0 : (y >= h ? h - 1 : y);
        }
        const uint8_t *p = f->data[0] + (size_t)y * f->stride[0] + (size_t)x * bpp;
        rgb[0] += wt * p[ri];
        rgb[1] += wt * p[1];
        rgb[2] += wt * p[bi];
    }
}

/* Sparse sampling of a large frame that is not in the cache waits on memory
 * at every pixel: ask for the two rows a few samples ahead. */
#define PREFETCH_AHEAD 12
static inline __attribute__((always_inline)) void prefetch_ahead(const EmoFrame *f, const int bpp, float sx, float sy)
{
    if (sx >= 0.0f && sy >= 0.0f && sx < (float)(f->width - 1) && sy < (float)(f->height - 1)) {
        const uint8_t *p = f->data[0] + (size_t)(int)sy * f->stride[0] + (size_t)(int)sx * bpp;
        __builtin_prefetch(p);
        __builtin_prefetch(p + f->stride[0]);
    }
}

/* The first sample point of output row v: pixel centres, and -0.5 to
 * pixel-index coordinates. Along the row the point moves by (m[0], m[3]) per
 * pixel, a serial sum that every warp (reference and SIMD) makes alike. */
static inline void row_start(const float m[6], int v, float *sx, float *sy)
{
    float py = (float)v + 0.5f;
    *sx = m[0] * 0.5f + m[1] * py + m[2] - 0.5f;
    *sy = m[3] * 0.5f + m[4] * py + m[5] - 0.5f;
}

static inline __attribute__((always_inline)) void warp_rgbf_fmt(const EmoFrame *frame, const int bpp, const int ri,
                                                                const float m[6], int w, int h, int zero_border,
                                                                float scale, float bias, float *dst)
{
    for (int v = 0; v < h; v++) {
        float sx, sy;
        row_start(m, v, &sx, &sy);
        float *o = dst + (size_t)v * w * 3;
        for (int u = 0; u < w; u++, o += 3) {
            float rgb[3];
            prefetch_ahead(frame, bpp, sx + PREFETCH_AHEAD * m[0], sy + PREFETCH_AHEAD * m[3]);
            sample_fmt(frame, bpp, ri, sx, sy, zero_border, rgb);
            o[0] = rgb[0] * scale + bias;
            o[1] = rgb[1] * scale + bias;
            o[2] = rgb[2] * scale + bias;
            sx += m[0];
            sy += m[3];
        }
    }
}

/* Average of ss x ss bilinear samples per output pixel (strong downscaling). */
static inline __attribute__((always_inline)) void warp_rgbf_ss_fmt(const EmoFrame *frame, const int bpp,
                                                                   const int ri, const float m[6], int w, int h,
                                                                   int ss, int zero_border, float scale, float bias,
                                                                   float *dst)
{
    const float k = scale / (float)(ss * ss), step = 1.0f / (float)ss;
    for (int v = 0; v < h; v++) {
        float *o = dst + (size_t)v * w * 3;
        for (int u = 0; u < w; u++, o += 3) {
            float acc[3] = { 0, 0, 0 };
            for (int b = 0; b < ss; b++) {
                float py = (float)v + ((float)b + 0.5f) * step, px = (float)u + 0.5f * step;
                float sx = m[0] * px + m[1] * py + m[2] - 0.5f, sy = m[3] * px + m[4] * py + m[5] - 0.5f;
                prefetch_ahead(frame, bpp, sx + 4.0f * m[0], sy + 4.0f * m[3]);
                for (int a = 0; a < ss; a++, sx += m[0] * step, sy += m[3] * step) {
                    float rgb[3];
                    sample_fmt(frame, bpp, ri, sx, sy, zero_border, rgb);
                    acc[0] += rgb[0];
                    acc[1] += rgb[1];
                    acc[2] += rgb[2];
                }
            }
            o[0] = acc[0] * k + bias;
            o[1] = acc[1] * k + bias;
            o[2] = acc[2] * k + bias;
        }
    }
}

void emo__warp_rgbf_c(const EmoFrame *frame, const float m[6], int w, int h, int ss, int zero_border, float scale,
                      float bias, float *dst)
{
    int bgra = frame->fmt == EMO_PIX_BGRA;
    if (ss <= 1) {
        if (bgra)
            warp_rgbf_fmt(frame, 4, 2, m, w, h, zero_border, scale, bias, dst);
        else
            warp_rgbf_fmt(frame, 3, 0, m, w, h, zero_border, scale, bias, dst);
    } else if (bgra) {
        warp_rgbf_ss_fmt(frame, 4, 2, m, w, h, ss, zero_border, scale, bias, dst);
    } else {
        warp_rgbf_ss_fmt(frame, 3, 0, m, w, h, ss, zero_border, scale, bias, dst);
    }
}

static inline __attribute__((always_inline)) void warp_u8_fmt(const EmoFrame *frame, const int bpp, const int ri,
                                                              const float m[6], int w, int h, int channels,
                                                              uint8_t *dst, int stride)
{
    for (int v = 0; v < h; v++) {
        uint8_t *row = dst + (size_t)v * stride;
        float sx, sy;
        row_start(m, v, &sx, &sy);
        for (int u = 0; u < w; u++, sx += m[0], sy += m[3]) {
            float rgb[3];
            prefetch_ahead(frame, bpp, sx + PREFETCH_AHEAD * m[0], sy + PREFETCH_AHEAD * m[3]);
            sample_fmt(frame, bpp, ri, sx, sy, 1, rgb);
            if (channels == 1) {
                row[u] = (uint8_t)(0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2] + 0.5f);
            } else if (channels == 3) {
                for (int c = 0; c < 3; c++)
                    row[3 * u + c] = (uint8_t)(rgb[c] + 0.5f);
            } else {
                row[4 * u + 0] = (uint8_t)(rgb[2] + 0.5f);
                row[4 * u + 1] = (uint8_t)(rgb[1] + 0.5f);
                row[4 * u + 2] = (uint8_t)(rgb[0] + 0.5f);
                row[4 * u + 3] = 255;
            }
        }
    }
}

void emo__warp_u8_c(const EmoFrame *frame, const float m[6], int w, int h, int channels, uint8_t *dst, int stride)
{
    if (frame->fmt == EMO_PIX_BGRA)
        warp_u8_fmt(frame, 4, 2, m, w, h, channels, dst, stride);
    else
        warp_u8_fmt(frame, 3, 0, m, w, h, channels, dst, stride);
}

/* The row-kernel path: sample points are made exactly as the reference
 * makes them (the same serial sums along a row), a chunk of a row at a
 * time; the row kernel does every whole block of 8 (those across the
 * frame's edge too), the reference's sampler the chunk's tail and any block
 * the kernel leaves. */
#define CHUNK 256

/* The kernels wait on memory, not on arithmetic: a frame just converted on
 * another core is not in this core's caches. While a row is sampled, the
 * cache lines of the next row's points (this row's moved by m[1], m[4]) are
 * asked for, about one point per 12 frame pixels (a cache line holds 16),
 * both rows of each tap. */
static void prefetch_next_row(const EmoFrame *f, const float *xs, const float *ys, int n, const float m[6])
{
    float k = fmaxf(fabsf(m[0]), fabsf(m[3]));
    int step = k > 1e-3f ? (int)(12.0f / k) : n;
    step = step < 1 ? 1 : step;
    for (int i = 0; i < n; i += step) {
        float x = xs[i] + m[1], y = ys[i] + m[4];
        if (!(x >= 0.0f && y >= 0.0f && x < (float)(f->width - 1) && y < (float)(f->height - 1)))
            continue;
        const uint8_t *p = f->data[0] + (size_t)(int)y * f->stride[0] + (size_t)(int)x * 4;
        __builtin_prefetch(p);
        __builtin_prefetch(p + f->stride[0]);
    }
}

/* One chunk of n points of output row v from column u0, for the row-kernel
 * drivers: the row kernel, then the reference's sampler where it declined. */
typedef void (*ChunkFn)(void *ctx, const EmoFrame *frame, int v, int u0, const float *xs, const float *ys, int n);

/* Calls chunk() for every chunk of every output row, with the chunk's sample
 * points made as the reference makes them and the next row prefetched. */
static void block_rows(const EmoFrame *frame, const float m[6], int w, int h, ChunkFn chunk, void *ctx)
{
    float xs[CHUNK], ys[CHUNK];
    for (int v = 0; v < h; v++) {
        float sx, sy;
        row_start(m, v, &sx, &sy);
        for (int u0 = 0; u0 < w; u0 += CHUNK) {
            int n = w - u0 < CHUNK ? w - u0 : CHUNK;
            for (int i = 0; i < n; i++, sx += m[0], sy += m[3]) {
                xs[i] = sx;
                ys[i] = sy;
            }
            if (v + 1 < h)
                prefetch_next_row(frame, xs, ys, n, m);
            chunk(ctx, frame, v, u0, xs, ys, n);
        }
    }
}

/* Whether point i of a chunk of n still needs the reference's sampler: the
 * chunk's tail, or a block of 8 the kernel left (todo). */
static inline int needs_reference(const uint8_t *todo, int n, int i)
{
    return i >= (n & ~7) || todo[i / 8];
}

/* One output point of each warp through the reference's sampler (BGRA):
 * the C row kernels' and the drivers' fallback for what a kernel leaves. */
static inline void rgbf_point(const EmoFrame *f, float x, float y, int zero_border, float scale, float bias, float *o)
{
    float rgb[3];
    sample_fmt(f, 4, 2, x, y, zero_border, rgb);
    o[0] = rgb[0] * scale + bias;
    o[1] = rgb[1] * scale + bias;
    o[2] = rgb[2] * scale + bias;
}

static inline void gray_point(const EmoFrame *f, float x, float y, uint8_t *o)
{
    float rgb[3];
    sample_fmt(f, 4, 2, x, y, 1, rgb);
    *o = (uint8_t)(0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2] + 0.5f);
}

/* The row kernels' view of a frame as the sampler's. */
static EmoFrame bgra_view(const uint8_t *data, int stride, int fw, int fh)
{
    EmoFrame f = { .fmt = EMO_PIX_BGRA, .width = fw, .height = fh };
    f.data[0] = (uint8_t *)(uintptr_t)data; /* only read */
    f.stride[0] = stride;
    return f;
}

static void rgbf_row_bgra_c(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy, int n,
                            int zero_border, float scale, float bias, float *dst, uint8_t *todo)
{
    const EmoFrame f = bgra_view(data, stride, fw, fh);
    for (int b = 0; b + 8 <= n; b += 8) {
        for (int i = b; i < b + 8; i++)
            rgbf_point(&f, sx[i], sy[i], zero_border, scale, bias, dst + 3 * i);
        todo[b / 8] = 0;
    }
}

static void gray_row_bgra_c(const uint8_t *data, int stride, int fw, int fh, const float *sx, const float *sy, int n,
                            uint8_t *dst, uint8_t *todo)
{
    const EmoFrame f = bgra_view(data, stride, fw, fh);
    for (int b = 0; b + 8 <= n; b += 8) {
        for (int i = b; i < b + 8; i++)
            gray_point(&f, sx[i], sy[i], dst + i);
        todo[b / 8] = 0;
    }
}

void emo__warp_dsp_init(EmoWarpDsp *d, unsigned flags)
{
    d->rgbf_row_bgra = rgbf_row_bgra_c;
    d->gray_row_bgra = gray_row_bgra_c;
#if EMO_ARCH_X86
    if (flags & EMO__CPU_AVX2)
        emo__warp_dsp_init_avx2(d);
#endif
}

/* The process's table, made at the first warp: the warps are called
 * without a handle (emo_face_align), so no handle can hold it. */
static EmoWarpDsp process_dsp;
static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void process_dsp_init(void)
{
    emo__warp_dsp_init(&process_dsp, emo__cpu_flags());
}

static const EmoWarpDsp *warp_dsp(void)
{
    pthread_once(&process_once, process_dsp_init);
    return &process_dsp;
}

/* The row kernels take BGRA frames (what the pipeline analyses) of up to
 * 2 GB, one sample per output pixel. */
static int rows_ok(const EmoFrame *f)
{
    return f->fmt == EMO_PIX_BGRA && (int64_t)f->height * f->stride[0] < ((int64_t)1 << 31) - 8;
}

typedef struct RgbfJob {
    const EmoWarpDsp *d;
    int w, zero_border;
    float scale, bias, *dst;
} RgbfJob;

static void rgbf_chunk(void *ctx, const EmoFrame *frame, int v, int u0, const float *xs, const float *ys, int n)
{
    const RgbfJob *j = ctx;
    uint8_t todo[CHUNK / 8];
    float *o = j->dst + ((size_t)v * j->w + (size_t)u0) * 3;
    j->d->rgbf_row_bgra(frame->data[0], frame->stride[0], frame->width, frame->height, xs, ys, n, j->zero_border,
                        j->scale, j->bias, o, todo);
    for (int i = 0; i < n; i++) {
        if (!needs_reference(todo, n, i)) {
            i |= 7;
            continue;
        }
        rgbf_point(frame, xs[i], ys[i], j->zero_border, j->scale, j->bias, o + 3 * i);
    }
}

void emo__warp_rgbf_dsp(const EmoWarpDsp *d, const EmoFrame *frame, const float m[6], int w, int h, int ss,
                        int zero_border, float scale, float bias, float *dst)
{
    RgbfJob j = { .d = d, .w = w, .zero_border = zero_border, .scale = scale, .bias = bias, .dst = dst };
    if (ss > 1 || !rows_ok(frame)) {
        emo__warp_rgbf_c(frame, m, w, h, ss, zero_border, scale, bias, dst);
        return;
    }
    block_rows(frame, m, w, h, rgbf_chunk, &j);
}

void emo__warp_rgbf(const EmoFrame *frame, const float m[6], int w, int h, int ss, int zero_border, float scale,
                    float bias, float *dst)
{
    emo__warp_rgbf_dsp(warp_dsp(), frame, m, w, h, ss, zero_border, scale, bias, dst);
}

typedef struct GrayJob {
    const EmoWarpDsp *d;
    uint8_t *dst;
    int stride;
} GrayJob;

static void gray_chunk(void *ctx, const EmoFrame *frame, int v, int u0, const float *xs, const float *ys, int n)
{
    const GrayJob *j = ctx;
    uint8_t todo[CHUNK / 8];
    uint8_t *row = j->dst + (size_t)v * j->stride + u0;
    j->d->gray_row_bgra(frame->data[0], frame->stride[0], frame->width, frame->height, xs, ys, n, row, todo);
    for (int i = 0; i < n; i++) {
        if (!needs_reference(todo, n, i)) {
            i |= 7;
            continue;
        }
        gray_point(frame, xs[i], ys[i], row + i);
    }
}

void emo__warp_u8_dsp(const EmoWarpDsp *d, const EmoFrame *frame, const float m[6], int w, int h, int channels,
                      uint8_t *dst, int stride)
{
    GrayJob j = { .d = d, .dst = dst, .stride = stride };
    if (channels != 1 || !rows_ok(frame)) {
        emo__warp_u8_c(frame, m, w, h, channels, dst, stride);
        return;
    }
    block_rows(frame, m, w, h, gray_chunk, &j);
}

void emo__warp_u8(const EmoFrame *frame, const float m[6], int w, int h, int channels, uint8_t *dst, int stride)
{
    emo__warp_u8_dsp(warp_dsp(), frame, m, w, h, channels, dst, stride);
}
