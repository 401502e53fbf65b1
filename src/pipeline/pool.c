#define _POSIX_C_SOURCE 200809L
#include "pipeline/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <emoscope/core.h>

#include "core/thread.h"

typedef struct Worker {
    EmoPool *pool;
    int index;
} Worker;

struct EmoPool {
    int n;                       /* workers, the caller included */
    pthread_t *threads;          /* n - 1 */
    Worker *workers;
    int started;                 /* threads created */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    /* The batch, under mu. */
    EmoPoolFn fn;
    void *arg;
    int n_tasks, next, running;  /* tasks claimed so far, tasks claimed and not finished */
    unsigned long batch;         /* batch number, for sleeping workers */
    int stop;
};

/* Claims and runs tasks of the current batch until none is left; mu held on entry and exit. */
static void drain(EmoPool *p, int worker)
{
    while (p->next < p->n_tasks) {
        int t = p->next++;
        p->running++;
        EmoPoolFn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, t, worker);
        pthread_mutex_lock(&p->mu);
        if (--p->running == 0 && p->next >= p->n_tasks)
            pthread_cond_signal(&p->done);
    }
}

static void *worker_main(void *a)
{
    Worker *w = a;
    EmoPool *p = w->pool;
    unsigned long seen = 0;
    char name[16];
    snprintf(name, sizeof(name), "emo-worker%d", w->index);
    emo__thread_name(name);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && (p->batch == seen || p->next >= p->n_tasks)) {
            seen = p->batch;
            pthread_cond_wait(&p->wake, &p->mu);
        }
        if (p->stop)
            break;
        seen = p->batch;
        drain(p, w->index);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int emo__pool_open(EmoPool **out, int n)
{
    *out = NULL;
    if (n < 1 || n > 256)
        return EMO_EINVAL;
    EmoPool *p = calloc(1, sizeof(*p));
    if (!p)
        return EMO_ENOMEM;
    p->n = n;
    int err = EMO_ENOMEM;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return EMO_ENOMEM;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return EMO_ENOMEM;
    }
    if (pthread_cond_init(&p->done, NULL) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return EMO_ENOMEM;
    }
    p->threads = calloc((size_t)n, sizeof(*p->threads));
    p->workers = calloc((size_t)n, sizeof(*p->workers));
    if (!p->threads || !p->workers)
        goto fail;
    for (int i = 1; i < n; i++) {
        p->workers[i] = (Worker){ p, i };
        if (pthread_create(&p->threads[i - 1], NULL, worker_main, &p->workers[i]) != 0)
            goto fail;
        p->started++;
    }
    *out = p;
    return 0;
fail:
    emo__pool_close(&p);
    return err;
}

int emo__pool_size(const EmoPool *p)
{
    return p ? p->n : 1;
}

void emo__pool_run(EmoPool *p, int n_tasks, EmoPoolFn fn, void *arg)
{
    if (n_tasks <= 0)
        return;
    if (p->started == 0 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(arg, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    p->next = 0;
    p->running = 0;
    p->batch++;
    /* The caller takes a task too: wake at most one thread per other task. */
    int wake = n_tasks - 1 < p->started ? n_tasks - 1 : p->started;
    if (wake >= p->started)
        pthread_cond_broadcast(&p->wake);
    else
        for (int i = 0; i < wake; i++)
            pthread_cond_signal(&p->wake);
    drain(p, 0);
    while (p->running > 0)
        pthread_cond_wait(&p->done, &p->mu);
    p->n_tasks = 0;
    p->next = 0;
    pthread_mutex_unlock(&p->mu);
}

void emo__pool_close(EmoPool **pp)
{
    if (!pp || !*pp)
        return;
    EmoPool *p = *pp;
    *pp = NULL;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->workers);
    free(p);
}
