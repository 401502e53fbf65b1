#include <emoscope/frame.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EMO_ALIGN 64
#define EMO_MAX_DIM 16384

struct EmoFramePool {
    pthread_mutex_t lock;
    EmoPixFmt fmt;
    int width, height, capacity;
    int allocated, in_use;
    int closed;
    EmoFrame **free_list;
    int n_free;
};

int emo_pixfmt_bpp(EmoPixFmt fmt)
{
    switch (fmt) {
    case EMO_PIX_BGRA: return 4;
    case EMO_PIX_RGB24: return 3;
    case EMO_PIX_GRAY8: return 1;
    case EMO_PIX_YUV420P: return 1;
    default: return 0;
    }
}

const char *emo_pixfmt_name(EmoPixFmt fmt)
{
    switch (fmt) {
    case EMO_PIX_BGRA: return "bgra";
    case EMO_PIX_RGB24: return "rgb24";
    case EMO_PIX_GRAY8: return "gray8";
    case EMO_PIX_YUV420P: return "yuv420p";
    default: return "none";
    }
}

static int align_up(int v)
{
    return (v + EMO_ALIGN - 1) / EMO_ALIGN * EMO_ALIGN;
}

static int frame_new(EmoFrame **out, EmoPixFmt fmt, int w, int h)
{
    int bpp = emo_pixfmt_bpp(fmt);
    if (!bpp || w <= 0 || h <= 0 || w > EMO_MAX_DIM || h > EMO_MAX_DIM)
        return EMO_EINVAL;
    EmoFrame *f = calloc(1, sizeof(*f));
    if (!f)
        return EMO_ENOMEM;
    f->fmt = fmt;
    f->width = w;
    f->height = h;
    size_t sizes[4] = { 0 };
    f->stride[0] = align_up(w * bpp);
    sizes[0] = (size_t)f->stride[0] * (size_t)h;
    if (fmt == EMO_PIX_YUV420P) {
        int cw = (w + 1) / 2, ch = (h + 1) / 2;
        f->stride[1] = f->stride[2] = align_up(cw);
        sizes[1] = sizes[2] = (size_t)f->stride[1] * (size_t)ch;
    }
    size_t total = sizes[0] + sizes[1] + sizes[2];
    /* One extra row of slack lets SIMD kernels over-read the last row. */
    uint8_t *buf = aligned_alloc(EMO_ALIGN, total + EMO_ALIGN * 4);
    if (!buf) {
        free(f);
        return EMO_ENOMEM;
    }
    memset(buf, 0, total + EMO_ALIGN * 4);
    f->buf_ = buf;
    f->data[0] = buf;
    if (sizes[1]) {
        f->data[1] = buf + sizes[0];
        f->data[2] = buf + sizes[0] + sizes[1];
    }
    f->refs_ = 1;
    f->index = -1;
    *out = f;
    return 0;
}

static void frame_free(EmoFrame *f)
{
    free(f->buf_);
    free(f);
}

int emo_frame_alloc(EmoFrame **out, EmoPixFmt fmt, int width, int height)
{
    *out = NULL;
    return frame_new(out, fmt, width, height);
}

EmoFrame *emo_frame_ref(EmoFrame *f)
{
    if (f)
        __atomic_add_fetch(&f->refs_, 1, __ATOMIC_RELAXED);
    return f;
}

int emo_frame_refcount(const EmoFrame *f)
{
    return f ? __atomic_load_n(&f->refs_, __ATOMIC_ACQUIRE) : 0;
}

static void pool_destroy(EmoFramePool *p)
{
    for (int i = 0; i < p->n_free; i++)
        frame_free(p->free_list[i]);
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void emo_frame_unref(EmoFrame **pf)
{
    if (!pf || !*pf)
        return;
    EmoFrame *f = *pf;
    *pf = NULL;
    if (__atomic_sub_fetch(&f->refs_, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    EmoFramePool *p = f->pool_;
    if (!p) {
        frame_free(f);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->in_use--;
    int destroy = 0;
    if (p->closed) {
        frame_free(f);
        p->allocated--;
        destroy = p->in_use == 0;
    } else {
        p->free_list[p->n_free++] = f;
    }
    pthread_mutex_unlock(&p->lock);
    if (destroy)
        pool_destroy(p);
}

int emo_frame_pool_open(EmoFramePool **out, EmoPixFmt fmt, int width, int height, int capacity)
{
    *out = NULL;
    if (!emo_pixfmt_bpp(fmt) || width <= 0 || height <= 0 || width > EMO_MAX_DIM ||
        height > EMO_MAX_DIM || capacity <= 0 || capacity > 4096)
        return EMO_EINVAL;
    EmoFramePool *p = calloc(1, sizeof(*p));
    if (!p)
        return EMO_ENOMEM;
    p->free_list = calloc((size_t)capacity, sizeof(*p->free_list));
    if (!p->free_list) {
        free(p);
        return EMO_ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->fmt = fmt;
    p->width = width;
    p->height = height;
    p->capacity = capacity;
    *out = p;
    return 0;
}

int emo_frame_pool_get(EmoFramePool *p, EmoFrame **out)
{
    *out = NULL;
    pthread_mutex_lock(&p->lock);
    EmoFrame *f = NULL;
    if (p->n_free > 0) {
        f = p->free_list[--p->n_free];
    } else if (p->allocated < p->capacity) {
        int err = frame_new(&f, p->fmt, p->width, p->height);
        if (err) {
            pthread_mutex_unlock(&p->lock);
            return err;
        }
        f->pool_ = p;
        p->allocated++;
    } else {
        pthread_mutex_unlock(&p->lock);
        return EMO_EAGAIN;
    }
    p->in_use++;
    pthread_mutex_unlock(&p->lock);
    f->refs_ = 1;
    f->pts = 0;
    f->index = -1;
    f->t_capture = 0;
    *out = f;
    return 0;
}

int emo_frame_pool_in_use(EmoFramePool *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->in_use;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int emo_frame_pool_allocated(EmoFramePool *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->allocated;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void emo_frame_pool_close(EmoFramePool **pp)
{
    if (!pp || !*pp)
        return;
    EmoFramePool *p = *pp;
    *pp = NULL;
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    for (int i = 0; i < p->n_free; i++) {
        frame_free(p->free_list[i]);
        p->allocated--;
    }
    p->n_free = 0;
    int destroy = p->in_use == 0;
    pthread_mutex_unlock(&p->lock);
    if (destroy)
        pool_destroy(p);
}

int emo_frame_copy(EmoFrame *dst, const EmoFrame *src)
{
    if (dst->fmt != src->fmt || dst->width != src->width || dst->height != src->height)
        return EMO_EINVAL;
    int planes = src->fmt == EMO_PIX_YUV420P ? 3 : 1;
    for (int p = 0; p < planes; p++) {
        int rows = p ? (src->height + 1) / 2 : src->height;
        int bytes = p ? (src->width + 1) / 2 : src->width * emo_pixfmt_bpp(src->fmt);
        for (int y = 0; y < rows; y++)
            memcpy(dst->data[p] + (size_t)y * dst->stride[p], src->data[p] + (size_t)y * src->stride[p],
                   (size_t)bytes);
    }
    dst->pts = src->pts;
    dst->index = src->index;
    dst->t_capture = src->t_capture;
    return 0;
}
