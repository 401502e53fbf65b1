/* Private: the bounded multi-producer multi-consumer queue of pointers
 * between the library's stages (capture -> analysis -> drawing). Not part of
 * the installed API: only the library's own threads use it. */
#ifndef EMOSCOPE_CORE_QUEUE_H
#define EMOSCOPE_CORE_QUEUE_H

#include <stdint.h>

#include <emoscope/core.h>

/* What push does when the queue is full. */
typedef enum EmoQueuePolicy {
    EMO_QUEUE_BLOCK = 0,       /* wait for room (files: never lose a frame) */
    EMO_QUEUE_DROP_OLDEST = 1, /* discard the oldest item and count it (live sources) */
} EmoQueuePolicy;

typedef struct EmoQueue EmoQueue;

/* Called on every item the queue discards (dropped or left at free time). */
typedef void (*EmoQueueDropFn)(void *item);

int emo_queue_open(EmoQueue **out, int capacity, EmoQueuePolicy policy, EmoQueueDropFn drop);
/*
 * Adds an item; the queue owns it from now on. Returns EMO_ECLOSED (the
 * caller keeps the item) after emo_queue_close() or emo_queue_abort().
 */
int emo_queue_push(EmoQueue *q, void *item);
/*
 * Takes the oldest item. timeout_s < 0 waits forever. Returns EMO_ETIMEDOUT,
 * or EMO_EOF once the queue is closed and empty (or aborted).
 */
int emo_queue_pop(EmoQueue *q, void **item, double timeout_s);
/* Like pop, but discards (and counts as dropped) all but the newest item. */
int emo_queue_pop_latest(EmoQueue *q, void **item, double timeout_s);
/* The producer is done: consumers drain what is left, then get EMO_EOF. */
void emo_queue_close(EmoQueue *q);
/* Stops everything now: pushes fail, pops return EMO_EOF, waiters wake. */
void emo_queue_abort(EmoQueue *q);
int emo_queue_size(EmoQueue *q);
int emo_queue_capacity(const EmoQueue *q);
/* Items discarded by the drop-oldest policy or by pop_latest. */
uint64_t emo_queue_dropped(EmoQueue *q);
/* Frees the queue, passing remaining items to the drop function; sets *q to NULL. */
void emo_queue_free(EmoQueue **q);

#endif
