/* One batch item (batch.h): its key, the skip, the analysis in a temporary
 * folder, the sync and the rename into place. */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE */
#include <emoscope/batch.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libavutil/hash.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <emoscope/io.h>
#include <emoscope/version.h>

const char *emo_batch_status_name(EmoBatchStatus s)
{
    switch (s) {
    case EMO_BATCH_DONE: return "done";
    case EMO_BATCH_SKIPPED: return "skipped";
    case EMO_BATCH_FAILED: return "failed";
    case EMO_BATCH_INTERRUPTED: return "interrupted";
    }
    return "unknown";
}

void emo_batch_share_cores(EmoConfig *cfg, int jobs)
{
    int share = emo_cpu_count() / (jobs > 0 ? jobs : 1);
    if (share < 1)
        share = 1;
    if (cfg->general.threads == 0)
        cfg->general.threads = share;
    if (cfg->general.workers == 0)
        cfg->general.workers = share;
    if (cfg->video.decode_threads == 0)
        cfg->video.decode_threads = share;
    if (cfg->output.video_threads == 0)
        cfg->output.video_threads = share;
}

/* Settings that cannot change what an item writes (batch.h). */
static int key_ignores(const char *section, const char *key)
{
    static const char *const ignored[] = {
        "general.log_level", "general.threads", "general.workers", "general.models_dir", "general.output_dir",
        "general.stats_interval", "video.source", "video.decode_threads", "output.video_threads", NULL,
    };
    if (!strcmp(section, "audio"))
        return 1;
    char name[160];
    snprintf(name, sizeof(name), "%s.%s", section, key);
    for (const char *const *p = ignored; *p; p++)
        if (!strcmp(*p, name))
            return 1;
    return 0;
}

/* The settings as emo_config_dump() writes them (every value formatted one
 * way, the [model.*] sections included), without comments and without the
 * settings the key ignores: "section.key=value" lines. */
static int normalised_settings(const EmoConfig *cfg, FILE *out)
{
    char *dump = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&dump, &n);
    if (!mem)
        return EMO_ENOMEM;
    emo_config_dump(cfg, mem);
    if (fclose(mem) != 0) {
        free(dump);
        return EMO_ENOMEM;
    }
    char section[128] = "";
    for (char *save = NULL, *line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == ';' || !line[0])
            continue;
        if (line[0] == '[') {
            snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
            continue;
        }
        char *eq = strstr(line, " = ");
        if (!eq)
            continue;
        *eq = 0;
        if (!key_ignores(section, line))
            fprintf(out, "%s.%s=%s\n", section, line, eq + 3);
    }
    free(dump);
    return 0;
}

static void sha256_hex(const char *data, size_t n, char hex[65])
{
    struct AVHashContext *h = NULL;
    hex[0] = 0;
    if (av_hash_alloc(&h, "SHA256") < 0)
        return;
    av_hash_init(h);
    av_hash_update(h, (const uint8_t *)data, n);
    uint8_t dig[32];
    av_hash_final(h, dig);
    av_hash_freep(&h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
}

int emo_batch_key(const EmoConfig *cfg, const EmoAnalyzeOptions *o, const char *input, char key[65], char **material)
{
    EmoAnalyzeOptions def;
    if (!o) {
        emo_analyze_default_options(&def);
        o = &def;
    }
    key[0] = 0;
    if (material)
        *material = NULL;
    char content[65];
    int err = emo_sha256_file(input, content);
    if (err)
        return err;
    char *text = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&text, &n);
    if (!mem)
        return EMO_ENOMEM;
    /* The outputs as written: video and chart count only where the settings
     * also ask for them, as emo_analyze_file() decides. */
    fprintf(mem, "emoscope batch key 1\nversion=%s\ninput.sha256=%s\n", emo_version_string(), content);
    fprintf(mem, "outputs.analyze=%d\noutputs.results=%d\noutputs.video=%d\noutputs.chart=%d\n", !!o->analyze,
            !!o->results, o->video && cfg->output.video, o->chart && cfg->output.chart);
    err = normalised_settings(cfg, mem);
    if (fclose(mem) != 0 && !err)
        err = EMO_ENOMEM;
    if (!err)
        sha256_hex(text, n, key);
    if (!err && !key[0])
        err = EMO_ENOMEM;
    if (!err && material)
        *material = text;
    else
        free(text);
    return err;
}

/* ------------------------------------------------------------ files */

/* Writes data to path and syncs it. */
static int write_synced(const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return EMO_EIO;
    int err = 0;
    for (size_t done = 0; done < n && !err;) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno != EINTR)
            err = EMO_EIO;
        else if (w > 0)
            done += (size_t)w;
    }
    if (!err && fsync(fd) != 0)
        err = EMO_EIO;
    if (close(fd) != 0 && !err)
        err = EMO_EIO;
    return err;
}

static int sync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return EMO_EIO;
    int err = fsync(fd) != 0 ? EMO_EIO : 0;
    close(fd);
    return err;
}

/* Syncs every file of the (flat) folder, then the folder itself, so that
 * the rename publishes contents that are on the disk. */
static int sync_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return EMO_EIO;
    int err = 0;
    char path[2 * EMO_PATH_MAX];
    for (struct dirent *e; (e = readdir(d)) != NULL && !err;) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        err = sync_path(path, 0);
    }
    closedir(d);
    return err ? err : sync_path(dir, 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a folder and what it holds. */
static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The key and frame count a finished output folder records, or "". */
static void read_key_file(const char *output, char key[65], int64_t *frames)
{
    char path[EMO_PATH_MAX + 64], line[128];
    key[0] = 0;
    *frames = 0;
    snprintf(path, sizeof(path), "%s/%s", output, EMO_BATCH_KEY_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(line, sizeof(line), f) && strlen(line) >= 64 && (line[64] == '\n' || !line[64]))
        snprintf(key, 65, "%.64s", line);
    long long n;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "frames=%lld", &n) == 1)
            *frames = n;
    fclose(f);
}

/* Puts the finished temporary folder where output was: swapped with an
 * older output folder in one step where the system can (renameat2), else
 * the older one moved aside first; the older one is then removed. */
static int publish(const char *tmp, const char *output, const char *parent)
{
    int err = 0;
    if (rename(tmp, output) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST)
            return EMO_EIO;
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, output, RENAME_EXCHANGE) != 0) {
            char old[EMO_PATH_MAX + 128];
            snprintf(old, sizeof(old), "%s.old", tmp);
            if (rename(output, old) != 0 || rename(tmp, output) != 0)
                return EMO_EIO;
            remove_tree(old);
        } else {
            remove_tree(tmp); /* now the older folder */
        }
    }
    if (sync_path(parent, 1))
        err = EMO_EIO;
    return err;
}

/* ------------------------------------------------------------ the item */

typedef struct Item {
    EmoBatchResult *res;
    const EmoLogger *lg;
    double t0;
} Item;

/* Ends the item: its status, time and message (fmt may be NULL). The
 * messages of the analysis were logged by it; the item's own failures are
 * logged here when log is set. */
static int item_end(Item *it, EmoBatchStatus st, int err, int log, const char *fmt, ...)
{
    EmoBatchResult *res = it->res;
    res->status = st;
    res->seconds = emo_clock_now() - it->t0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->error, sizeof(res->error), fmt, ap);
        va_end(ap);
        if (log)
            emo_log(it->lg, EMO_LOG_ERROR, "%s", res->error);
    }
    return err;
}

/* The folder that holds output, and output's own name. */
static int split_output(const char *output, char *parent, size_t np, const char **base)
{
    const char *slash = strrchr(output, '/');
    *base = slash ? slash + 1 : output;
    if (!**base)
        return EMO_EINVAL;
    if (!slash)
        snprintf(parent, np, ".");
    else if (slash == output)
        snprintf(parent, np, "/");
    else if (snprintf(parent, np, "%.*s", (int)(slash - output), output) >= (int)np)
        return EMO_EINVAL;
    return 0;
}

/* The analysis into tmp and, when it holds results, the key file written
 * last and the folder synced. */
static int analyse_into(Item *it, const EmoConfig *cfg, const char *input, const char *tmp,
                        const EmoAnalyzeOptions *o, const char *material)
{
    EmoBatchResult *res = it->res;
    EmoAnalyzeReport rep;
    int err = emo_analyze_file(cfg, input, tmp, o, &rep, it->lg);
    res->frames = rep.frames;
    if (err == EMO_EINTR)
        return item_end(it, EMO_BATCH_INTERRUPTED, err, 0, "interrupted at frame %lld", (long long)rep.frames);
    if (err && rep.end != EMO_ANALYZE_PARTIAL)
        return item_end(it, EMO_BATCH_FAILED, err, 0, "%s", rep.error[0] ? rep.error : emo_strerror(err));
    if (err)
        snprintf(res->error, sizeof(res->error), "partial: the input broke after frame %lld (%.400s)",
                 (long long)rep.frames, rep.error);
    char path[2 * EMO_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", tmp, EMO_BATCH_KEY_FILE);
    char *text = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&text, &n);
    if (!mem)
        return item_end(it, EMO_BATCH_FAILED, EMO_ENOMEM, 1, "out of memory");
    fprintf(mem, "%s\ninput=%s\nframes=%lld\n%s", res->key, input, (long long)rep.frames, material);
    fclose(mem);
    int werr = sync_folder(tmp);
    if (!werr)
        werr = write_synced(path, text, n);
    free(text);
    if (werr)
        return item_end(it, EMO_BATCH_FAILED, werr, 1, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

int emo_batch_item(const EmoConfig *cfg, const char *input, const char *output, const EmoAnalyzeOptions *o,
                   EmoBatchResult *res, const EmoLogger *lg)
{
    EmoAnalyzeOptions def;
    if (!o) {
        emo_analyze_default_options(&def);
        o = &def;
    }
    Item it = { .res = res, .lg = lg, .t0 = emo_clock_now() };
    memset(res, 0, sizeof(*res));
    char parent[EMO_PATH_MAX], tmp[EMO_PATH_MAX + 64], have[65];
    const char *base;
    if (!cfg || !input || !output || split_output(output, parent, sizeof(parent), &base))
        return item_end(&it, EMO_BATCH_FAILED, EMO_EINVAL, 1, "bad output folder '%s'", output ? output : "(null)");
    if (o->stop && *o->stop)
        return item_end(&it, EMO_BATCH_INTERRUPTED, EMO_EINTR, 0, "not started");
    char *material = NULL;
    int err = emo_batch_key(cfg, o, input, res->key, &material);
    if (err)
        return item_end(&it, EMO_BATCH_FAILED, err, 1, "cannot read %s: %s", input,
                        err == EMO_ENOENT ? strerror(errno) : emo_strerror(err));
    read_key_file(output, have, &res->frames);
    if (!strcmp(have, res->key)) {
        free(material);
        return item_end(&it, EMO_BATCH_SKIPPED, 0, 0, NULL);
    }
    res->frames = 0;
    if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", parent, base) >= (int)sizeof(tmp) || emo_mkdirs(parent) ||
        !mkdtemp(tmp)) {
        free(material);
        return item_end(&it, EMO_BATCH_FAILED, EMO_EIO, 1, "cannot create a folder in %s: %s", parent, strerror(errno));
    }
    err = analyse_into(&it, cfg, input, tmp, o, material);
    free(material);
    if (!err && (err = publish(tmp, output, parent)))
        item_end(&it, EMO_BATCH_FAILED, err, 1, "cannot move the results into %s: %s", output, strerror(errno));
    if (err) {
        remove_tree(tmp);
        return err;
    }
    return item_end(&it, EMO_BATCH_DONE, 0, 0, NULL);
}
