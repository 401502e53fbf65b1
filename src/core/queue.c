#define _POSIX_C_SOURCE 200809L
#include "core/queue.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct EmoQueue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    void **items;
    int capacity, head, count;
    EmoQueuePolicy policy;
    EmoQueueDropFn drop;
    int closed, aborted;
    uint64_t dropped;
};

int emo_queue_open(EmoQueue **out, int capacity, EmoQueuePolicy policy, EmoQueueDropFn drop)
{
    *out = NULL;
    if (capacity <= 0 || capacity > (1 << 20))
        return EMO_EINVAL;
    EmoQueue *q = calloc(1, sizeof(*q));
    if (!q)
        return EMO_ENOMEM;
    q->items = calloc((size_t)capacity, sizeof(void *));
    if (!q->items) {
        free(q);
        return EMO_ENOMEM;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_cond_init(&q->not_full, &ca);
    pthread_condattr_destroy(&ca);
    q->capacity = capacity;
    q->policy = policy;
    q->drop = drop;
    *out = q;
    return 0;
}

static void deadline_from(struct timespec *ts, double timeout_s)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double whole = floor(timeout_s);
    ts->tv_sec += (time_t)whole;
    ts->tv_nsec += (long)((timeout_s - whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *take_oldest(EmoQueue *q)
{
    void *it = q->items[q->head];
    q->items[q->head] = NULL;
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    return it;
}

int emo_queue_push(EmoQueue *q, void *item)
{
    void *victim = NULL;
    pthread_mutex_lock(&q->lock);
    while (!q->closed && !q->aborted && q->count == q->capacity && q->policy == EMO_QUEUE_BLOCK)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->closed || q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return EMO_ECLOSED;
    }
    if (q->count == q->capacity) {
        victim = take_oldest(q);
        q->dropped++;
    }
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    if (victim && q->drop)
        q->drop(victim);
    return 0;
}

/* Waits until an item is there; returns 0 with the lock held, or an error. */
static int wait_item(EmoQueue *q, double timeout_s)
{
    struct timespec dl;
    if (timeout_s >= 0)
        deadline_from(&dl, timeout_s);
    while (q->count == 0 && !q->closed && !q->aborted) {
        if (timeout_s < 0) {
            pthread_cond_wait(&q->not_empty, &q->lock);
        } else if (pthread_cond_timedwait(&q->not_empty, &q->lock, &dl) == ETIMEDOUT) {
            if (q->count == 0)
                return EMO_ETIMEDOUT;
        }
    }
    if (q->aborted || q->count == 0)
        return EMO_EOF;
    return 0;
}

int emo_queue_pop(EmoQueue *q, void **item, double timeout_s)
{
    *item = NULL;
    pthread_mutex_lock(&q->lock);
    int err = wait_item(q, timeout_s);
    if (!err) {
        *item = take_oldest(q);
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return err;
}

int emo_queue_pop_latest(EmoQueue *q, void **item, double timeout_s)
{
    *item = NULL;
    void *stale[64];
    int n_stale = 0;
    pthread_mutex_lock(&q->lock);
    int err = wait_item(q, timeout_s);
    if (!err) {
        while (q->count > 1 && n_stale < 64) {
            stale[n_stale++] = take_oldest(q);
            q->dropped++;
        }
        while (q->count > 1) { /* more than 64 stale items: drop under lock */
            void *it = take_oldest(q);
            q->dropped++;
            if (q->drop)
                q->drop(it);
        }
        *item = take_oldest(q);
        pthread_cond_broadcast(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < n_stale; i++)
        if (q->drop)
            q->drop(stale[i]);
    return err;
}

void emo_queue_close(EmoQueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

void emo_queue_abort(EmoQueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

int emo_queue_size(EmoQueue *q)
{
    pthread_mutex_lock(&q->lock);
    int n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

int emo_queue_capacity(const EmoQueue *q)
{
    return q->capacity;
}

uint64_t emo_queue_dropped(EmoQueue *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->dropped;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void emo_queue_free(EmoQueue **pq)
{
    if (!pq || !*pq)
        return;
    EmoQueue *q = *pq;
    *pq = NULL;
    while (q->count > 0) {
        void *it = take_oldest(q);
        if (q->drop)
            q->drop(it);
    }
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
    free(q);
}
