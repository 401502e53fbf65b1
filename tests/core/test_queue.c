/* Queue policies: live drops the oldest and counts, file blocks. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include "core/queue.h"
#include <pthread.h>
#include <stdint.h>
#include <time.h>

static int dropped_items[64];
static int n_dropped;

static void on_drop(void *item)
{
    dropped_items[n_dropped++] = (int)(intptr_t)item;
}

static void test_drop_oldest(void **state)
{
    (void)state;
    n_dropped = 0;
    EmoQueue *q;
    assert_int_equal(emo_queue_open(&q, 3, EMO_QUEUE_DROP_OLDEST, on_drop), 0);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(emo_queue_push(q, (void *)(intptr_t)i), 0);
    assert_int_equal(emo_queue_size(q), 3);
    assert_int_equal(emo_queue_dropped(q), 2);
    assert_int_equal(n_dropped, 2);
    assert_int_equal(dropped_items[0], 1);
    assert_int_equal(dropped_items[1], 2);
    void *it;
    for (int i = 3; i <= 5; i++) {
        assert_int_equal(emo_queue_pop(q, &it, 0), 0);
        assert_int_equal((int)(intptr_t)it, i);
    }
    assert_int_equal(emo_queue_pop(q, &it, 0.01), EMO_ETIMEDOUT);
    emo_queue_free(&q);
    assert_null(q);
}

static void test_pop_latest(void **state)
{
    (void)state;
    n_dropped = 0;
    EmoQueue *q;
    assert_int_equal(emo_queue_open(&q, 8, EMO_QUEUE_DROP_OLDEST, on_drop), 0);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(emo_queue_push(q, (void *)(intptr_t)i), 0);
    void *it;
    assert_int_equal(emo_queue_pop_latest(q, &it, 0), 0);
    assert_int_equal((int)(intptr_t)it, 4);
    assert_int_equal(emo_queue_dropped(q), 3);
    assert_int_equal(n_dropped, 3);
    emo_queue_free(&q);
}

typedef struct Producer {
    EmoQueue *q;
    int n;
    int done;
} Producer;

static void *produce(void *arg)
{
    Producer *p = arg;
    for (int i = 0; i < p->n; i++)
        if (emo_queue_push(p->q, (void *)(intptr_t)(i + 1)))
            break;
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
    emo_queue_close(p->q);
    return NULL;
}

static void test_block_never_drops(void **state)
{
    (void)state;
    n_dropped = 0;
    EmoQueue *q;
    assert_int_equal(emo_queue_open(&q, 2, EMO_QUEUE_BLOCK, on_drop), 0);
    Producer p = { q, 1000, 0 };
    pthread_t th;
    pthread_create(&th, NULL, produce, &p);
    /* The producer must be stuck on a full queue while nobody pops. */
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    assert_int_equal(__atomic_load_n(&p.done, __ATOMIC_ACQUIRE), 0);
    assert_int_equal(emo_queue_size(q), 2);
    int expect = 1;
    void *it;
    int err;
    while ((err = emo_queue_pop(q, &it, -1)) == 0) {
        assert_int_equal((int)(intptr_t)it, expect);
        expect++;
    }
    assert_int_equal(err, EMO_EOF);
    assert_int_equal(expect, 1001);
    assert_int_equal(emo_queue_dropped(q), 0);
    assert_int_equal(n_dropped, 0);
    pthread_join(th, NULL);
    emo_queue_free(&q);
}

static void test_close_and_abort(void **state)
{
    (void)state;
    EmoQueue *q;
    assert_int_equal(emo_queue_open(&q, 2, EMO_QUEUE_BLOCK, NULL), 0);
    assert_int_equal(emo_queue_push(q, (void *)1), 0);
    emo_queue_close(q);
    assert_int_equal(emo_queue_push(q, (void *)2), EMO_ECLOSED);
    void *it;
    assert_int_equal(emo_queue_pop(q, &it, -1), 0);
    assert_int_equal(emo_queue_pop(q, &it, -1), EMO_EOF);
    emo_queue_free(&q);
    assert_int_equal(emo_queue_open(&q, 0, EMO_QUEUE_BLOCK, NULL), EMO_EINVAL);
    emo_queue_free(&q); /* NULL is a no-op */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_oldest),
        cmocka_unit_test(test_pop_latest),
        cmocka_unit_test(test_block_never_drops),
        cmocka_unit_test(test_close_and_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
