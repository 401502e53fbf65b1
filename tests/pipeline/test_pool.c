/* The analysis workers' pool (src/pipeline/pool.c): every task of a batch
 * runs exactly once, on a worker index in range, each worker's index used by
 * one thread at a time; the call returns only when all are done; batches of
 * 0, 1, fewer and more tasks than workers; many batches in a row (threads
 * sleep and wake between them); workers really run in parallel. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <emoscope/core.h>

#include "pipeline/pool.h"

#define MAX_TASKS 64

typedef struct Batch {
    atomic_int runs[MAX_TASKS];
    atomic_int busy[8];          /* per worker index: tasks running now */
    atomic_int overlap;          /* a worker index used by two threads at once */
    atomic_int bad_worker;
    int n_workers;
    int sleep_us;
    atomic_int running, max_running;
} Batch;

static void task(void *arg, int t, int w)
{
    Batch *b = arg;
    if (w < 0 || w >= b->n_workers) {
        atomic_fetch_add(&b->bad_worker, 1);
        return;
    }
    if (atomic_fetch_add(&b->busy[w], 1) != 0)
        atomic_fetch_add(&b->overlap, 1);
    int now = atomic_fetch_add(&b->running, 1) + 1;
    int m = atomic_load(&b->max_running);
    while (now > m && !atomic_compare_exchange_weak(&b->max_running, &m, now))
        ;
    if (b->sleep_us) {
        struct timespec ts = { 0, b->sleep_us * 1000L };
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&b->runs[t], 1);
    atomic_fetch_sub(&b->running, 1);
    atomic_fetch_sub(&b->busy[w], 1);
}

static void run_batches(int n_workers, int batches, int sleep_us, int *max_running)
{
    EmoPool *pool = NULL;
    assert_int_equal(emo__pool_open(&pool, n_workers), 0);
    assert_int_equal(emo__pool_size(pool), n_workers);
    static Batch b;
    *max_running = 0;
    for (int k = 0; k < batches; k++) {
        memset(&b, 0, sizeof(b));
        b.n_workers = n_workers;
        b.sleep_us = sleep_us;
        int n = k % (MAX_TASKS + 1); /* 0 .. 64 tasks */
        emo__pool_run(pool, n, task, &b);
        for (int t = 0; t < MAX_TASKS; t++)
            assert_int_equal(atomic_load(&b.runs[t]), t < n ? 1 : 0);
        assert_int_equal(atomic_load(&b.running), 0);
        assert_int_equal(atomic_load(&b.overlap), 0);
        assert_int_equal(atomic_load(&b.bad_worker), 0);
        if (atomic_load(&b.max_running) > *max_running)
            *max_running = atomic_load(&b.max_running);
    }
    emo__pool_close(&pool);
    assert_null(pool);
    emo__pool_close(&pool); /* NULL: no-op */
}

static void test_every_task_once(void **state)
{
    (void)state;
    int mr;
    for (int w = 1; w <= 4; w++) {
        run_batches(w, 600, 0, &mr);
        assert_true(mr <= w);
    }
}

/* Tasks that take a while: with 3 workers, 3 run at once at some point. */
static void test_parallel(void **state)
{
    (void)state;
    int mr;
    run_batches(3, 40, 2000, &mr);
    assert_int_equal(mr, 3);
    run_batches(1, 10, 500, &mr);
    assert_int_equal(mr, 1);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    EmoPool *pool = (EmoPool *)1;
    assert_int_equal(emo__pool_open(&pool, 0), EMO_EINVAL);
    assert_null(pool);
    assert_int_equal(emo__pool_open(&pool, 100000), EMO_EINVAL);
    assert_int_equal(emo__pool_size(NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
