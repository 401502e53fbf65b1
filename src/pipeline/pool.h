/* A fixed pool of analysis workers: the caller and n - 1 threads made at
 * open run the tasks of one batch (the faces of a frame) and the call
 * returns when all are done. Workers sleep on a condition variable between
 * batches (no spinning); tasks are claimed in order under the pool's mutex.
 * Each worker has a fixed index (0 = the caller) so that it can use its own
 * scratch and model instances. Private to src/pipeline. */
#ifndef EMOSCOPE_PIPELINE_POOL_H
#define EMOSCOPE_PIPELINE_POOL_H

typedef struct EmoPool EmoPool;

/* Runs task `task` of a batch on worker `worker` (0 .. n - 1). */
typedef void (*EmoPoolFn)(void *arg, int task, int worker);

/* n >= 1 workers (n - 1 threads). */
int emo__pool_open(EmoPool **out, int n);
void emo__pool_close(EmoPool **pool);
int emo__pool_size(const EmoPool *pool);

/* Runs fn(arg, t, w) for every t in [0, n_tasks) and returns when all are
 * done. One batch at a time, from one thread. Wakes only as many threads as
 * there are tasks beyond the caller's first. */
void emo__pool_run(EmoPool *pool, int n_tasks, EmoPoolFn fn, void *arg);

#endif
