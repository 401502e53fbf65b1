/* emoscope eval: emotion accuracy on a folder-per-class data set. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libavutil/log.h>

#include "cli.h"
#include "core/thread.h"
#include <emoscope/adapt.h>
#include <emoscope/emotion.h>
#include <emoscope/face.h>
#include <emoscope/frame.h>

#define MAX_CLASSES 64

typedef struct Item {
    char *path;
    int truth;
} Item;

typedef struct Eval {
    EmoCli *cli;
    EmoEnsembleSettings *settings;
    Item *items;
    int n_items;
    int n_slots;             /* models + ensemble */
    float *probs;            /* n_items x n_slots x 7 */
    int *ok;                 /* per item: decoded and analysed */
    int *noface;             /* per item (--detect): no face found, the whole image was used */
    int detect;
    int align_size;
} Eval;

typedef struct Job {
    Eval *ev;
    int start, step;
    int err;
} Job;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png") ||
                   !strcasecmp(dot, ".bmp") || !strcasecmp(dot, ".pgm"));
}

/* Sorted names in dir (directories when want_dirs, else image files). */
static int list_dir(const char *dir, int want_dirs, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return EMO_ENOENT;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[2 * EMO_PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st))
            continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : (!S_ISREG(st.st_mode) || !is_image(de->d_name)))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(*out, sizeof(char *) * (size_t)cap);
            if (!nv)
                goto oom;
            *out = nv;
        }
        if (!((*out)[*n] = strdup(de->d_name)))
            goto oom;
        (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof(char *), cmp_str);
    return 0;
oom:
    closedir(d);
    return EMO_ENOMEM;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* --detect: the face pipeline on the image (as a one-frame RGB stream); the
 * largest face aligned to align_size gray pixels into out. 0, or EMO_EAGAIN
 * when no face was found. */
static int detect_face(EmoFaceTracker *t, EmoFaceList *list, const uint8_t *px, int w, int h, int index,
                       uint8_t *out, int size)
{
    EmoFrame *f = NULL;
    int err = emo_frame_alloc(&f, EMO_PIX_RGB24, w, h);
    if (err)
        return err;
    for (int y = 0; y < h; y++) {
        uint8_t *row = f->data[0] + (size_t)y * (size_t)f->stride[0];
        for (int x = 0; x < w; x++)
            row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = px[(size_t)y * (size_t)w + (size_t)x];
    }
    f->index = index;
    f->pts = index;
    emo_face_tracker_reset(t);
    err = emo_face_tracker_process(t, f, list);
    if (!err && list->count < 1)
        err = EMO_EAGAIN;
    if (!err) {
        const EmoFace *best = &list->faces[0];
        for (int i = 1; i < list->count; i++)
            if (list->faces[i].box[2] * list->faces[i].box[3] > best->box[2] * best->box[3])
                best = &list->faces[i];
        err = emo_face_align(f, best, size, EMO_ALIGN_GRAY8, out, size);
    }
    emo_frame_unref(&f);
    return err;
}

static void *worker(void *ud)
{
    Job *j = ud;
    Eval *ev = j->ev;
    EmoEnsemble *e = NULL;
    emo__thread_name("emo-eval");
    EmoFaceTracker *tracker = NULL;
    EmoFaceList *list = NULL;
    uint8_t *aligned = NULL;
    j->err = emo_ensemble_open(&e, ev->settings);
    if (j->err)
        return NULL;
    if (ev->detect) {
        EmoFaceTrackerSettings ts;
        emo_face_tracker_default_settings(&ts);
        ts.face = ev->cli->cfg.face;
        snprintf(ts.models_dir, sizeof(ts.models_dir), "%s", ev->cli->models_dir);
        ts.threads = 1;
        ts.log = &ev->cli->log;
        list = malloc(sizeof(*list));
        aligned = malloc((size_t)ev->align_size * (size_t)ev->align_size);
        if (!list || !aligned)
            j->err = EMO_ENOMEM;
        else
            j->err = emo_face_tracker_open(&tracker, &ts);
        if (j->err)
            goto done;
    }
    EmoEmotionResult r;
    for (int i = j->start; i < ev->n_items; i += j->step) {
        uint8_t *px = NULL;
        int w, h;
        if (emo_emotion_image_load_gray(ev->items[i].path, &px, &w, &h, &ev->cli->log))
            continue;
        EmoImage img = { px, w, h, w, EMO_PIX_GRAY8 };
        if (ev->detect) {
            int derr = detect_face(tracker, list, px, w, h, i, aligned, ev->align_size);
            if (!derr)
                img = (EmoImage){ aligned, ev->align_size, ev->align_size, ev->align_size, EMO_PIX_GRAY8 };
            else
                ev->noface[i] = 1;
        }
        if (!emo_ensemble_run(e, &img, &r)) {
            float *dst = ev->probs + (size_t)i * (size_t)ev->n_slots * EMO_EMOTION_COUNT;
            for (int m = 0; m < r.n_models; m++)
                memcpy(dst + m * EMO_EMOTION_COUNT, r.model_probs[m], sizeof(float) * EMO_EMOTION_COUNT);
            memcpy(dst + r.n_models * EMO_EMOTION_COUNT, r.fused, sizeof(float) * EMO_EMOTION_COUNT);
            ev->ok[i] = 1;
        }
        free(px);
    }
done:
    emo_face_tracker_close(&tracker);
    free(list);
    free(aligned);
    emo_ensemble_close(&e);
    return NULL;
}

static cJSON *confusion_json(const EmoConfusion *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "accuracy", emo_confusion_accuracy(c));
    cJSON_AddNumberToObject(o, "images", (double)c->total);
    cJSON_AddNumberToObject(o, "correct", (double)c->correct);
    cJSON *rec = cJSON_AddObjectToObject(o, "recall");
    for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
        double r = emo_confusion_recall(c, k);
        if (r < 0)
            cJSON_AddNullToObject(rec, emo_emotion_name(k));
        else
            cJSON_AddNumberToObject(rec, emo_emotion_name(k), r);
    }
    cJSON *m = cJSON_AddArrayToObject(o, "confusion");
    for (int t = 0; t < EMO_EMOTION_COUNT; t++) {
        cJSON *row = cJSON_CreateArray();
        for (int p = 0; p < EMO_EMOTION_COUNT; p++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)c->m[t][p]));
        cJSON_AddItemToArray(m, row);
    }
    return o;
}

static void print_recall_row(const char *name, const EmoConfusion *c)
{
    printf("%-16s %6.2f%%", name, 100 * emo_confusion_accuracy(c));
    for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
        double r = emo_confusion_recall(c, k);
        if (r < 0)
            printf(" %8s", "-");
        else
            printf(" %7.1f%%", 100 * r);
    }
    printf("\n");
}

static void print_confusion(const char *name, const EmoConfusion *c)
{
    printf("\n%s: confusion matrix (rows: truth, columns: predicted)\n%-9s", name, "");
    for (int p = 0; p < EMO_EMOTION_COUNT; p++)
        printf(" %8s", emo_emotion_name(p));
    printf("\n");
    for (int t = 0; t < EMO_EMOTION_COUNT; t++) {
        printf("%-9s", emo_emotion_name(t));
        for (int p = 0; p < EMO_EMOTION_COUNT; p++)
            printf(" %8llu", (unsigned long long)c->m[t][p]);
        printf("\n");
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: emoscope eval DIR [--json FILE] [--models LIST] [--jobs N] [--probs FILE.csv] "
                    "[--detect] [--quiet]\n"
                    "DIR holds one folder per class (FER2013 or CK+ names); images are taken as face crops,\n"
                    "or with --detect run through face detection, face mesh and alignment first.\n");
}

int emo_cmd_eval(EmoCli *cli, int argc, char **argv)
{
    const char *dir = NULL, *json_path = NULL, *models = NULL, *probs_path = NULL;
    int jobs = emo_cpu_count(), detect = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") && i + 1 < argc)
            json_path = argv[++i];
        else if (!strcmp(a, "--models") && i + 1 < argc)
            models = argv[++i];
        else if (!strcmp(a, "--probs") && i + 1 < argc)
            probs_path = argv[++i];
        else if (!strcmp(a, "--jobs") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 256) {
                fprintf(stderr, "emoscope eval: --jobs wants 1..256\n");
                return EMO_EXIT_USAGE;
            }
            jobs = (int)v;
        } else if (!strcmp(a, "--detect"))
            detect = 1;
        else if (!strcmp(a, "--quiet"))
            quiet = 1;
        else if (a[0] != '-' && !dir)
            dir = a;
        else {
            usage();
            return EMO_EXIT_USAGE;
        }
    }
    if (!dir) {
        usage();
        return EMO_EXIT_USAGE;
    }

    /* Some FER2013 JPEGs lack their end marker: FFmpeg's warning about it
     * would drown the report. */
    if (cli->log.level < EMO_LOG_DEBUG)
        av_log_set_level(AV_LOG_ERROR);
    int status = EMO_EXIT_FAIL;
    EmoEnsembleSettings *settings = calloc(1, sizeof(*settings));
    Eval ev = { 0 };
    char **classes = NULL;
    int n_classes = 0, cap_items = 0;
    Job *jobv = NULL;
    pthread_t *th = NULL;
    cJSON *root = NULL;
    EmoConfusion *conf = NULL;
    int skipped_n = 0, class_count[EMO_EMOTION_COUNT] = { 0 };
    cJSON *skipped = cJSON_CreateObject();
    if (!settings || !skipped)
        goto done;
    int err = emo_ensemble_settings_from_config(settings, &cli->cfg, cli->models_dir, models, &cli->log);
    if (err) {
        status = err == EMO_ENOENT ? EMO_EXIT_NOMODEL : EMO_EXIT_USAGE;
        goto done;
    }
    settings->api_enabled = 0; /* evaluation is of the local models */
    settings->nn_threads = 1;  /* parallel over images instead */
    if (settings->n_models < 1) {
        fprintf(stderr, "emoscope eval: no emotion model to evaluate\n");
        status = EMO_EXIT_NOMODEL;
        goto done;
    }
    if ((err = list_dir(dir, 1, &classes, &n_classes)) || n_classes == 0) {
        fprintf(stderr, "emoscope eval: %s: %s\n", dir, err ? "cannot read the folder" : "no class folders in it");
        status = EMO_EXIT_USAGE;
        goto done;
    }
    for (int c = 0; c < n_classes; c++) {
        char cdir[2 * EMO_PATH_MAX];
        snprintf(cdir, sizeof(cdir), "%s/%s", dir, classes[c]);
        char **files;
        int nf;
        if (list_dir(cdir, 0, &files, &nf))
            goto done;
        int truth = emo_emotion_from_label(classes[c]);
        if (truth < 0) {
            emo_log(&cli->log, EMO_LOG_INFO, "class '%s' has no canonical emotion: %d images skipped", classes[c],
                    nf);
            cJSON_AddNumberToObject(skipped, classes[c], nf);
            skipped_n += nf;
            free_list(files, nf);
            continue;
        }
        class_count[truth] += nf;
        for (int f = 0; f < nf; f++) {
            if (ev.n_items == cap_items) {
                cap_items = cap_items ? 2 * cap_items : 1024;
                Item *ni = realloc(ev.items, sizeof(Item) * (size_t)cap_items);
                if (!ni) {
                    free_list(files, nf);
                    goto done;
                }
                ev.items = ni;
            }
            char path[3 * EMO_PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s", cdir, files[f]);
            ev.items[ev.n_items].path = strdup(path);
            ev.items[ev.n_items].truth = truth;
            if (!ev.items[ev.n_items].path) {
                free_list(files, nf);
                goto done;
            }
            ev.n_items++;
        }
        free_list(files, nf);
    }
    if (ev.n_items == 0) {
        fprintf(stderr, "emoscope eval: %s: no images in classes with a canonical emotion\n", dir);
        status = EMO_EXIT_USAGE;
        goto done;
    }
    int nm = settings->n_models;
    ev.cli = cli;
    ev.settings = settings;
    ev.n_slots = nm + 1;
    ev.probs = calloc((size_t)ev.n_items * (size_t)ev.n_slots * EMO_EMOTION_COUNT, sizeof(float));
    ev.ok = calloc((size_t)ev.n_items, sizeof(int));
    ev.noface = calloc((size_t)ev.n_items, sizeof(int));
    ev.detect = detect;
    ev.align_size = cli->cfg.face.aligned_size;
    if (jobs > ev.n_items)
        jobs = ev.n_items;
    jobv = calloc((size_t)jobs, sizeof(Job));
    th = calloc((size_t)jobs, sizeof(pthread_t));
    conf = calloc((size_t)ev.n_slots, sizeof(EmoConfusion));
    if (!ev.probs || !ev.ok || !ev.noface || !jobv || !th || !conf)
        goto done;

    double t0 = emo_clock_now();
    int started = 0;
    for (int j = 0; j < jobs; j++) {
        jobv[j] = (Job){ &ev, j, jobs, 0 };
        if (pthread_create(&th[j], NULL, worker, &jobv[j]))
            break;
        started++;
    }
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);
    double secs = emo_clock_now() - t0;
    for (int j = 0; j < jobs; j++) {
        if (j >= started || jobv[j].err) {
            fprintf(stderr, "emoscope eval: a worker could not start (%s)\n",
                    j >= started ? "thread" : emo_strerror(jobv[j].err));
            status = jobv[j].err == EMO_ENOENT ? EMO_EXIT_NOMODEL : EMO_EXIT_FAIL;
            goto done;
        }
    }

    int failed = 0, noface = 0;
    for (int i = 0; i < ev.n_items; i++)
        noface += ev.noface[i];
    FILE *pf = NULL;
    if (probs_path && !(pf = fopen(probs_path, "w"))) {
        fprintf(stderr, "emoscope eval: cannot write %s\n", probs_path);
        goto done;
    }
    if (pf) {
        fprintf(pf, "path,truth");
        for (int m = 0; m <= nm; m++)
            for (int k = 0; k < EMO_EMOTION_COUNT; k++)
                fprintf(pf, ",%s_%s", m < nm ? settings->models[m].name : "ensemble", emo_emotion_name(k));
        fprintf(pf, "\n");
    }
    for (int i = 0; i < ev.n_items; i++) {
        if (!ev.ok[i]) {
            failed++;
            continue;
        }
        const float *p = ev.probs + (size_t)i * (size_t)ev.n_slots * EMO_EMOTION_COUNT;
        for (int m = 0; m <= nm; m++)
            emo_confusion_add(&conf[m], ev.items[i].truth, emo_emotion_argmax(p + m * EMO_EMOTION_COUNT));
        if (pf) {
            fprintf(pf, "%s,%s", ev.items[i].path, emo_emotion_name(ev.items[i].truth));
            for (int q = 0; q < ev.n_slots * EMO_EMOTION_COUNT; q++)
                fprintf(pf, ",%.7g", p[q]);
            fprintf(pf, "\n");
        }
    }
    if (pf && fclose(pf)) {
        fprintf(stderr, "emoscope eval: cannot write %s\n", probs_path);
        goto done;
    }

    printf("eval %s: %d images (%d failed to decode), %d skipped (no canonical label); %d threads, %.2f s "
           "(%.3f ms per image per thread)\n",
           dir, ev.n_items, failed, skipped_n, jobs, secs, secs * 1e3 * jobs / ev.n_items);
    if (detect)
        printf("--detect: faces found and aligned (%dx%d) in %d images; in %d no face was found and the whole "
               "image was used\n",
               ev.align_size, ev.align_size, ev.n_items - failed - noface, noface);
    printf("ensemble: %s fusion, weights", settings->fusion == EMO_FUSION_GEOMETRIC ? "geometric" : "mean");
    for (int m = 0; m < nm; m++)
        printf(" %s=%g%s", settings->models[m].name, settings->models[m].weight,
               settings->models[m].flip && !settings->flip_tta ? " (flip TTA)" : "");
    printf("%s\n\n%-16s %7s", settings->flip_tta ? ", flip TTA" : "", "model", "acc");
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        printf(" %8.8s", emo_emotion_name(k));
    printf("   (recall per class)\n");
    for (int m = 0; m <= nm; m++)
        print_recall_row(m < nm ? settings->models[m].name : "ensemble", &conf[m]);
    if (!quiet)
        for (int m = 0; m <= nm; m++)
            print_confusion(m < nm ? settings->models[m].name : "ensemble", &conf[m]);

    if (json_path) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "dir", dir);
        cJSON_AddNumberToObject(root, "images", ev.n_items);
        cJSON_AddNumberToObject(root, "failed", failed);
        cJSON_AddItemToObject(root, "skipped", skipped);
        skipped = NULL;
        cJSON *cc = cJSON_AddObjectToObject(root, "class_images");
        for (int k = 0; k < EMO_EMOTION_COUNT; k++)
            cJSON_AddNumberToObject(cc, emo_emotion_name(k), class_count[k]);
        cJSON_AddNumberToObject(root, "threads", jobs);
        cJSON_AddBoolToObject(root, "detect", detect);
        if (detect)
            cJSON_AddNumberToObject(root, "no_face", noface);
        cJSON_AddNumberToObject(root, "seconds", secs);
        cJSON *arr = cJSON_AddArrayToObject(root, "models");
        for (int m = 0; m < nm; m++) {
            cJSON *o = confusion_json(&conf[m]);
            cJSON_AddStringToObject(o, "name", settings->models[m].name);
            cJSON_AddStringToObject(o, "file", settings->models[m].file);
            cJSON_AddNumberToObject(o, "weight", settings->models[m].weight);
            cJSON_AddBoolToObject(o, "flip_tta", settings->flip_tta || settings->models[m].flip);
            cJSON_AddItemToArray(arr, o);
        }
        cJSON *ens = confusion_json(&conf[nm]);
        cJSON_AddStringToObject(ens, "fusion", settings->fusion == EMO_FUSION_GEOMETRIC ? "geometric" : "mean");
        cJSON_AddBoolToObject(ens, "flip_tta", settings->flip_tta);
        cJSON_AddItemToObject(root, "ensemble", ens);
        char *text = cJSON_Print(root);
        FILE *f = text ? fopen(json_path, "w") : NULL;
        int bad = !f || fputs(text, f) < 0 || fputc('\n', f) < 0;
        if (f && fclose(f))
            bad = 1;
        free(text);
        if (bad) {
            fprintf(stderr, "emoscope eval: cannot write %s\n", json_path);
            goto done;
        }
    }
    status = failed ? EMO_EXIT_PARTIAL : EMO_EXIT_OK;
done:
    if (status == EMO_EXIT_FAIL && !ev.probs && ev.n_items)
        fprintf(stderr, "emoscope eval: out of memory\n");
    cJSON_Delete(root);
    cJSON_Delete(skipped);
    free(conf);
    free(th);
    free(jobv);
    free(ev.probs);
    free(ev.ok);
    free(ev.noface);
    for (int i = 0; i < ev.n_items; i++)
        free(ev.items[i].path);
    free(ev.items);
    free_list(classes, n_classes);
    free(settings);
    return status;
}
