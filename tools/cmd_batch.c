/* emoscope batch INPUTS... --out DIR [--jobs N]: every input analysed into
 * its own folder (the library's batch items, batch.h), N at once, with a
 * progress line, the index batch.csv, and a clean stop on Ctrl-C. With
 * --scheduler the same command runs on a Dask cluster through the Python
 * package (python3 -m emoscope.batch, same arguments). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emoscope/batch.h>
#include <emoscope/video.h>

#include "cli.h"
#include "core/thread.h"
#include "job.h"

#define MAX_JOBS 64

typedef struct Batch Batch;

/* One job slot: the item it runs and how far that item is. */
typedef struct Slot {
    Batch *b;
    int item;                  /* -1: idle */
    int64_t frames;
    double fraction;           /* of the item's input, from its stream time */
} Slot;

struct Batch {
    const EmoConfig *cfg;
    const EmoLogger *lg;
    EmoAnalyzeOptions o;
    EmoBatchList *list;
    EmoBatchResult *res;
    int *order;                /* items in the order the jobs take them: largest input first */
    int n, next, finished, jobs;
    pthread_mutex_t mu;
    Slot slots[MAX_JOBS];
    /* Figures for the progress line, under mu. */
    int64_t frames;            /* frames analysed by finished items */
    int64_t bytes_total, bytes_done; /* of the inputs that needed analysis */
    int counts[4];             /* per EmoBatchStatus */
    double t0;
    int tty, quiet;
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void on_progress(void *opaque, const EmoAnalyzeProgress *p)
{
    Slot *s = opaque;
    pthread_mutex_lock(&s->b->mu);
    s->frames = p->frames;
    s->fraction = p->duration > 0 ? p->pts / p->duration : 0;
    if (s->fraction > 1)
        s->fraction = 1;
    pthread_mutex_unlock(&s->b->mu);
}

static void *worker(void *opaque)
{
    Slot *s = opaque;
    Batch *b = s->b;
    EmoAnalyzeOptions o = b->o;
    char name[16];
    snprintf(name, sizeof(name), "emo-job%d", (int)(s - b->slots));
    emo__thread_name(name);
    o.progress = on_progress;
    o.opaque = s;
    pthread_mutex_lock(&b->mu);
    while (b->next < b->n) {
        int i = b->order[b->next++];
        s->item = i;
        s->frames = 0;
        s->fraction = 0;
        pthread_mutex_unlock(&b->mu);
        EmoBatchResult r;
        emo_batch_item(b->cfg, emo_batch_list_input(b->list, i), emo_batch_list_output(b->list, i), &o, &r, b->lg);
        pthread_mutex_lock(&b->mu);
        b->res[i] = r;
        b->finished++;
        b->counts[r.status]++;
        int64_t size = emo_batch_list_size(b->list, i);
        if (r.status == EMO_BATCH_SKIPPED)
            b->bytes_total -= size; /* no analysis: out of the estimate */
        else
            b->bytes_done += size;
        if (r.status == EMO_BATCH_DONE)
            b->frames += r.frames;
        s->item = -1;
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static void format_time(char *buf, size_t n, double s)
{
    long t = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* "batch: 3/6 files (1 skipped, 0 failed), 58.2 fps, 0:42 left". */
static void progress_line(Batch *b, int final)
{
    pthread_mutex_lock(&b->mu);
    int64_t frames = b->frames;
    double done = (double)b->bytes_done;
    for (int j = 0; j < b->jobs; j++) {
        const Slot *s = &b->slots[j];
        if (s->item >= 0) {
            frames += s->frames;
            done += s->fraction * (double)emo_batch_list_size(b->list, s->item);
        }
    }
    int finished = b->finished, skipped = b->counts[EMO_BATCH_SKIPPED], failed = b->counts[EMO_BATCH_FAILED];
    double total = (double)b->bytes_total;
    pthread_mutex_unlock(&b->mu);
    double wall = emo_clock_now() - b->t0;
    char left[32] = "?";
    if (done > 0 && total >= done)
        format_time(left, sizeof(left), wall * (total - done) / done);
    else if (finished == b->n)
        snprintf(left, sizeof(left), "0:00");
    fprintf(stderr, "%sbatch: %d/%d files (%d skipped, %d failed), %.1f fps, %s left%s", b->tty ? "\r" : "",
            finished, b->n, skipped, failed, wall > 0 ? (double)frames / wall : 0.0, left,
            b->tty ? (final ? "\033[K\n" : "\033[K") : "\n");
    fflush(stderr);
}

typedef struct SizedItem {
    int64_t size;
    int index;
} SizedItem;

/* Larger first; equal sizes in list order (qsort is not stable). */
static int larger_first(const void *a, const void *b)
{
    const SizedItem *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The largest inputs first (by bytes, a stand-in for their length; ties
 * in list order): a long file taken last would leave the other jobs' cores
 * idle at the end. What is written does not depend on the order. Returns
 * 0, or EMO_ENOMEM. */
static int order_items(Batch *b)
{
    if (!b->order)
        return EMO_ENOMEM;
    SizedItem *items = malloc((size_t)(b->n > 0 ? b->n : 1) * sizeof(*items));
    if (!items)
        return EMO_ENOMEM;
    for (int i = 0; i < b->n; i++)
        items[i] = (SizedItem){ emo_batch_list_size(b->list, i), i };
    qsort(items, (size_t)b->n, sizeof(*items), larger_first);
    for (int i = 0; i < b->n; i++)
        b->order[i] = items[i].index;
    free(items);
    return 0;
}

/* Runs the items on the job threads; the calling thread draws the progress
 * line (on a terminal every half second, else once per finished item). */
static int run_items(Batch *b)
{
    pthread_t th[MAX_JOBS];
    int started = 0;
    for (int j = 0; j < b->jobs; j++) {
        b->slots[j] = (Slot){ .b = b, .item = -1 };
        if (pthread_create(&th[j], NULL, worker, &b->slots[j]) != 0)
            break;
        started++;
    }
    if (!started) {
        fprintf(stderr, "emoscope batch: cannot start a job thread\n");
        return EMO_EXIT_FAIL;
    }
    int shown = 0;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int finished = b->finished;
        pthread_mutex_unlock(&b->mu);
        if (finished == b->n)
            break;
        if (!b->quiet && (b->tty || finished > shown))
            progress_line(b, 0);
        shown = finished;
        emo_loop_sleep(b->tty ? 0.5 : 0.1);
    }
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);
    if (!b->quiet && b->n > 0)
        progress_line(b, 1);
    return EMO_EXIT_OK;
}

/* --scheduler: the Python package's Dask driver with the same arguments
 * (and the global options that made the settings). Returns only on failure. */
static int exec_dask(const EmoCli *cli, int argc, char **argv)
{
    /* Debian's python3-cffi, -numpy, -pandas and -distributed serve
     * /usr/bin/python3; a python3 earlier in PATH (pyenv, a venv without
     * them) would fail to import the package. EMOSCOPE_PYTHON overrides. */
    const char *py = getenv("EMOSCOPE_PYTHON");
    if (!py || !py[0])
        py = access("/usr/bin/python3", X_OK) ? "python3" : "/usr/bin/python3";
    char **args = calloc((size_t)(argc + 2 * cli->n_overrides + 8), sizeof(char *));
    if (!args)
        return EMO_EXIT_FAIL;
    int n = 0;
    args[n++] = (char *)py;
    args[n++] = "-m";
    args[n++] = "emoscope.batch";
    if (cli->config_path) {
        args[n++] = "--config";
        args[n++] = (char *)cli->config_path;
    }
    for (int i = 0; i < cli->n_overrides; i++) {
        args[n++] = "--set";
        args[n++] = (char *)cli->overrides[i];
    }
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    fflush(stdout);
    execvp(py, args);
    fprintf(stderr, "emoscope batch: cannot run %s -m emoscope.batch: %s\n", py, strerror(errno));
    free(args);
    return EMO_EXIT_FAIL;
}

typedef struct Args {
    const char *out;
    const char **inputs;
    int n_inputs, jobs, quiet;
    const char *scheduler;
} Args;

static int parse(EmoCli *cli, int argc, char **argv, Args *a, EmoAnalyzeOptions *o)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--out") && i + 1 < argc) {
            a->out = argv[++i];
        } else if (!strncmp(s, "--out=", 6)) {
            a->out = s + 6;
        } else if ((!strcmp(s, "--jobs") || !strcmp(s, "-j")) && i + 1 < argc) {
            a->jobs = atoi(argv[++i]);
        } else if (!strncmp(s, "--jobs=", 7)) {
            a->jobs = atoi(s + 7);
        } else if (!strcmp(s, "--scheduler") && i + 1 < argc) {
            a->scheduler = argv[++i];
        } else if (!strncmp(s, "--scheduler=", 12)) {
            a->scheduler = s + 12;
        } else if (!strcmp(s, "--no-video")) {
            o->video = 0;
        } else if (!strcmp(s, "--no-chart")) {
            o->chart = 0;
        } else if (!strcmp(s, "--landmarks")) {
            cli->cfg.output.landmarks = 1;
        } else if (!strcmp(s, "--quiet")) {
            a->quiet = 1;
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "emoscope batch: unknown option '%s'\n", s);
            return EMO_EXIT_USAGE;
        } else {
            a->inputs[a->n_inputs++] = s;
        }
    }
    if (!a->out || !a->n_inputs) {
        fprintf(stderr, "emoscope batch: %s\n", !a->out ? "--out DIR is required" : "no inputs");
        return EMO_EXIT_USAGE;
    }
    if (a->jobs < 0 || a->jobs > MAX_JOBS) {
        fprintf(stderr, "emoscope batch: --jobs must be 1 to %d\n", MAX_JOBS);
        return EMO_EXIT_USAGE;
    }
    return EMO_EXIT_OK;
}

/* The index, the closing line, the exit status. */
static int conclude(Batch *b, const char *out)
{
    char index[EMO_PATH_MAX + 32];
    snprintf(index, sizeof(index), "%s/%s", out, EMO_BATCH_INDEX_FILE);
    int err = emo_batch_write_index(index, b->list, b->res);
    if (err)
        fprintf(stderr, "emoscope batch: cannot write %s: %s\n", index, emo_strerror(err));
    double wall = emo_clock_now() - b->t0;
    printf("batch: %d inputs: %d done, %d skipped, %d failed, %d interrupted in %.2f s\n", b->n,
           b->counts[EMO_BATCH_DONE], b->counts[EMO_BATCH_SKIPPED], b->counts[EMO_BATCH_FAILED],
           b->counts[EMO_BATCH_INTERRUPTED], wall);
    printf("index: %s\n", index);
    if (b->counts[EMO_BATCH_INTERRUPTED])
        return EMO_EXIT_INTERRUPTED;
    return err || b->counts[EMO_BATCH_FAILED] ? EMO_EXIT_FAIL : EMO_EXIT_OK;
}

int emo_cmd_batch(EmoCli *cli, int argc, char **argv)
{
    Batch b = { .lg = &cli->log };
    emo_analyze_default_options(&b.o);
    Args a = { .inputs = calloc((size_t)argc, sizeof(char *)) };
    if (!a.inputs)
        return EMO_EXIT_FAIL;
    int status = parse(cli, argc, argv, &a, &b.o);
    if (status != EMO_EXIT_OK) {
        emo_cli_usage("batch");
        free(a.inputs);
        return status;
    }
    if (a.scheduler) {
        free(a.inputs);
        return exec_dask(cli, argc, argv);
    }
    emo_job_tune_malloc();
    emo_video_ffmpeg_log_level(cli->log.level == EMO_LOG_DEBUG ? EMO_LOG_DEBUG : EMO_LOG_ERROR);
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* The items' own progress messages would break the progress line:
     * their warnings and errors still show. */
    EmoLogger item_log = cli->log;
    if (item_log.level == EMO_LOG_INFO)
        item_log.level = EMO_LOG_WARN;
    b.lg = &item_log;
    b.jobs = a.jobs > 0 ? a.jobs : emo_cpu_count();
    emo_batch_share_cores(&cli->cfg, b.jobs);
    b.cfg = &cli->cfg;
    b.o.models_dir = cli->models_dir;
    b.o.stop = &g_stop;
    b.quiet = a.quiet;
    b.tty = isatty(STDERR_FILENO);
    int err = emo_batch_list_open(&b.list, a.inputs, a.n_inputs, a.out, &cli->log);
    free(a.inputs);
    if (err || emo_mkdirs(a.out)) {
        fprintf(stderr, "emoscope batch: %s\n", err ? "cannot list the inputs" : "cannot create the output folder");
        emo_batch_list_close(&b.list);
        return EMO_EXIT_FAIL;
    }
    b.n = emo_batch_list_count(b.list);
    if (b.jobs > b.n && b.n > 0)
        b.jobs = b.n;
    b.res = calloc((size_t)(b.n > 0 ? b.n : 1), sizeof(*b.res));
    b.order = calloc((size_t)(b.n > 0 ? b.n : 1), sizeof(*b.order));
    int ordered = order_items(&b) == 0;
    pthread_mutex_init(&b.mu, NULL);
    for (int i = 0; i < b.n; i++)
        b.bytes_total += emo_batch_list_size(b.list, i);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    b.t0 = emo_clock_now();
    status = b.res && ordered ? run_items(&b) : EMO_EXIT_FAIL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (status == EMO_EXIT_OK)
        status = conclude(&b, a.out);
    pthread_mutex_destroy(&b.mu);
    free(b.res);
    free(b.order);
    emo_batch_list_close(&b.list);
    return status;
}
