/* The inputs of a batch and their output folders; the index (batch.h). */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/batch.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct Entry {
    char *input, *output;
    int64_t size;
} Entry;

struct EmoBatchList {
    Entry *e;
    int n, cap;
    char *out_dir;
    const EmoLogger *lg;
    int have_out;              /* the output folder exists: out_st says which it is */
    struct stat out_st;
};

static const char *const video_exts[] = {
    "mp4", "mov", "mkv", "avi", "webm", "m4v", "mpg", "mpeg", "ts", "mts", "wmv", "flv", "3gp", "ogv", "y4m",
    "gif", "jpg", "jpeg", "png", "bmp", NULL,
};

static int has_ext(const char *name, const char *const *exts)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || strchr(dot, '/'))
        return 0;
    for (const char *const *p = exts; *p; p++)
        if (!strcasecmp(dot + 1, *p))
            return 1;
    return 0;
}

static int is_list_file(const char *path)
{
    static const char *const list_exts[] = { "txt", "lst", "list", NULL };
    return has_ext(path, list_exts);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The batch's own output folder, met while reading an input folder that
 * holds it (`emoscope batch . --out out`): its videos are results, not
 * inputs. */
static int is_out_dir(const EmoBatchList *l, const char *path)
{
    struct stat st;
    return l->have_out && stat(path, &st) == 0 && st.st_dev == l->out_st.st_dev && st.st_ino == l->out_st.st_ino;
}

/* name without its folder and extension, or with its folder (below a
 * folder argument) and without its extension. */
static void strip_ext(char *name)
{
    char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');
    if (dot && dot > name && (!slash || dot > slash + 1))
        *dot = 0;
}

static int name_taken(const EmoBatchList *l, const char *output)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].output, output))
            return 1;
    return 0;
}

static int already_listed(const EmoBatchList *l, const char *input)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].input, input))
            return 1;
    return 0;
}

/* Adds input, its output folder named after name (a path below OUT, the
 * extension still on). */
static int add(EmoBatchList *l, const char *input, const char *name)
{
    if (already_listed(l, input))
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        Entry *e = realloc(l->e, (size_t)cap * sizeof(*e));
        if (!e)
            return EMO_ENOMEM;
        l->e = e;
        l->cap = cap;
    }
    char stem[EMO_PATH_MAX], output[EMO_PATH_MAX + 32];
    snprintf(stem, sizeof(stem), "%s", name);
    strip_ext(stem);
    if (!stem[0] || !strcmp(stem, ".") || !strcmp(stem, ".."))
        snprintf(stem, sizeof(stem), "input");
    snprintf(output, sizeof(output), "%s/%s", l->out_dir, stem);
    for (int k = 2; name_taken(l, output); k++)
        snprintf(output, sizeof(output), "%s/%s-%d", l->out_dir, stem, k);
    Entry *e = &l->e[l->n];
    struct stat st;
    e->size = stat(input, &st) == 0 ? (int64_t)st.st_size : 0;
    e->input = strdup(input);
    e->output = strdup(output);
    if (!e->input || !e->output) {
        free(e->input);
        free(e->output);
        return EMO_ENOMEM;
    }
    l->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir (below root, whose outputs keep the path below it). */
static int add_folder(EmoBatchList *l, const char *root, const char *rel)
{
    char dir[EMO_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) {
        emo_log(l->lg, EMO_LOG_ERROR, "cannot read the folder %s: %s", dir, strerror(errno));
        return EMO_ENOENT;
    }
    char **names = NULL;
    int n = 0, cap = 0, err = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL && !err;) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, (size_t)cap * sizeof(*nn));
            if (!nn) {
                err = EMO_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name)))
            err = EMO_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof(*names), by_name);
    for (int i = 0; i < n && !err; i++) {
        char sub[EMO_PATH_MAX], path[2 * EMO_PATH_MAX];
        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        snprintf(path, sizeof(path), "%s/%s", root, sub);
        if (is_out_dir(l, path))
            continue;
        if (is_dir(path))
            err = add_folder(l, root, sub);
        else if (has_ext(names[i], video_exts))
            err = add(l, path, sub);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}

static int add_arg(EmoBatchList *l, const char *arg, int in_list);

/* One input per line; relative paths from the list's folder. */
static int add_list(EmoBatchList *l, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        emo_log(l->lg, EMO_LOG_ERROR, "cannot read the list %s: %s", path, strerror(errno));
        return EMO_ENOENT;
    }
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) : 0;
    char line[EMO_PATH_MAX], full[2 * EMO_PATH_MAX];
    int err = 0;
    while (!err && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            s[--len] = 0;
        if (!*s || *s == '#')
            continue;
        if (*s == '/' || !slash)
            snprintf(full, sizeof(full), "%s", s);
        else
            snprintf(full, sizeof(full), "%.*s/%s", dir_len, path, s);
        err = add_arg(l, full, 1);
    }
    if (ferror(f) && !err)
        err = EMO_EIO;
    fclose(f);
    return err;
}

static int add_arg(EmoBatchList *l, const char *arg, int in_list)
{
    if (strpbrk(arg, "*?[")) {
        glob_t g;
        int r = glob(arg, 0, NULL, &g), err = 0;
        if (r == GLOB_NOMATCH)
            return add(l, arg, strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg); /* fails as an item */
        if (r != 0)
            return EMO_ENOMEM;
        for (size_t i = 0; i < g.gl_pathc && !err; i++) /* glob sorts */
            err = add_arg(l, g.gl_pathv[i], in_list);
        globfree(&g);
        return err;
    }
    if (is_dir(arg)) {
        char root[EMO_PATH_MAX];
        snprintf(root, sizeof(root), "%s", arg);
        for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
            root[n - 1] = 0;
        return add_folder(l, root, "");
    }
    if (!in_list && is_list_file(arg))
        return add_list(l, arg);
    const char *slash = strrchr(arg, '/');
    return add(l, arg, slash ? slash + 1 : arg);
}

int emo_batch_list_open(EmoBatchList **out, const char *const *args, int n_args, const char *out_dir,
                        const EmoLogger *lg)
{
    *out = NULL;
    if (!args || n_args < 1 || !out_dir || !out_dir[0])
        return EMO_EINVAL;
    EmoBatchList *l = calloc(1, sizeof(*l));
    if (!l)
        return EMO_ENOMEM;
    l->lg = lg;
    int err = (l->out_dir = strdup(out_dir)) ? 0 : EMO_ENOMEM;
    for (size_t n = l->out_dir ? strlen(l->out_dir) : 0; n > 1 && l->out_dir[n - 1] == '/'; n--)
        l->out_dir[n - 1] = 0;
    l->have_out = l->out_dir && stat(l->out_dir, &l->out_st) == 0;
    for (int i = 0; i < n_args && !err; i++)
        err = args[i] ? add_arg(l, args[i], 0) : EMO_EINVAL;
    if (err) {
        emo_batch_list_close(&l);
        return err;
    }
    *out = l;
    return 0;
}

int emo_batch_list_count(const EmoBatchList *l)
{
    return l ? l->n : 0;
}

const char *emo_batch_list_input(const EmoBatchList *l, int i)
{
    return l && i >= 0 && i < l->n ? l->e[i].input : NULL;
}

const char *emo_batch_list_output(const EmoBatchList *l, int i)
{
    return l && i >= 0 && i < l->n ? l->e[i].output : NULL;
}

int64_t emo_batch_list_size(const EmoBatchList *l, int i)
{
    return l && i >= 0 && i < l->n ? l->e[i].size : 0;
}

void emo_batch_list_close(EmoBatchList **pl)
{
    EmoBatchList *l = pl ? *pl : NULL;
    if (!l)
        return;
    for (int i = 0; i < l->n; i++) {
        free(l->e[i].input);
        free(l->e[i].output);
    }
    free(l->e);
    free(l->out_dir);
    free(l);
    *pl = NULL;
}

/* One CSV cell, quoted when it must be (RFC 4180). */
static void csv_cell(FILE *f, const char *s, const char *sep)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(sep, f);
}

int emo_batch_write_index(const char *path, const EmoBatchList *l, const EmoBatchResult *results)
{
    if (!path || !l || (l->n && !results))
        return EMO_EINVAL;
    char tmp[EMO_PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return EMO_EIO;
    fputs("input,status,output,frames,seconds,error\n", f);
    for (int i = 0; i < l->n; i++) {
        const EmoBatchResult *r = &results[i];
        csv_cell(f, l->e[i].input, ",");
        fprintf(f, "%s,", emo_batch_status_name(r->status));
        csv_cell(f, l->e[i].output, ",");
        fprintf(f, "%lld,%.2f,", (long long)r->frames, r->seconds);
        csv_cell(f, r->error, "\n");
    }
    int err = ferror(f) ? EMO_EIO : 0;
    if (fclose(f) != 0)
        err = EMO_EIO;
    if (!err && rename(tmp, path) != 0)
        err = EMO_EIO;
    if (err)
        remove(tmp);
    return err;
}
