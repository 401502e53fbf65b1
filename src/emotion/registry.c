/* Emotion model registry: built-in models and [model.NAME] sections. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/config.h>
#include <emoscope/emotion.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define FER_MAP { 0, 1, 2, 3, 4, 5, 6 }

/* The FER2013 label order (angry, disgust, fear, happy, sad, surprise,
 * neutral) is the canonical one; the KDEF training code uses the same order
 * (AN, DI, AF, HA, SA, SU, NE) and so does DeepFace. */
static const EmoEmotionModelSpec builtins[] = {
    { "mini_xception", "fer2013_mini_XCEPTION.102-0.66.hdf5", 64, 64, 1, EMO_EMOTION_SCALE_PM1, 7, FER_MAP, 1, 0, 0 },
    { "big_xception", "fer2013_big_XCEPTION.54-0.66.hdf5", 64, 64, 1, EMO_EMOTION_SCALE_PM1, 7, FER_MAP, 1, 0, 0 },
    { "kdef_xception", "mini_XCEPTION_KDEF.hdf5", 64, 64, 1, EMO_EMOTION_SCALE_PM1, 7, FER_MAP, 1, 0, 0 },
    { "deepface", "facial_expression_model_weights.h5", 48, 48, 1, EMO_EMOTION_SCALE_01, 7, FER_MAP, 1, 1, 0 },
    /* Trained in this project (train/, models/fer_vgg.md): FER images reach
     * it unresized, x/255, as in training. */
    { "fer_vgg", "fer_vgg.hdf5", 48, 48, 1, EMO_EMOTION_SCALE_01, 7, FER_MAP, 1, 0, 0 },
};
#define N_BUILTIN ((int)(sizeof(builtins) / sizeof(builtins[0])))

int emo_emotion_builtin_count(void)
{
    return N_BUILTIN;
}

const EmoEmotionModelSpec *emo_emotion_builtin(int i)
{
    return i >= 0 && i < N_BUILTIN ? &builtins[i] : NULL;
}

static double builtin_weight(const EmoConfig *cfg, const char *name)
{
    if (!strcmp(name, "mini_xception"))
        return cfg->emotion.weight_mini_xception;
    if (!strcmp(name, "big_xception"))
        return cfg->emotion.weight_big_xception;
    if (!strcmp(name, "kdef_xception"))
        return cfg->emotion.weight_kdef_xception;
    if (!strcmp(name, "deepface"))
        return cfg->emotion.weight_deepface;
    if (!strcmp(name, "fer_vgg"))
        return cfg->emotion.weight_fer_vgg;
    return 1;
}

static int section_index(const EmoConfig *cfg, const char *name)
{
    char want[EMO_EMOTION_NAME_MAX + 8];
    snprintf(want, sizeof(want), "model.%s", name);
    for (int i = 0; i < emo_config_extra_count(cfg); i++)
        if (!strcasecmp(emo_config_extra_name(cfg, i), want))
            return i;
    return -1;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        *out = 0;
    else
        return EMO_EINVAL;
    return 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || x < lo || x > hi)
        return EMO_EINVAL;
    *out = (int)x;
    return (int)(end - v);
}

static int spec_from_section(const EmoConfig *cfg, int si, const char *name, EmoEmotionModelSpec *s,
                             const EmoLogger *lg)
{
    const char *sec = emo_config_extra_name(cfg, si);
    const char *v;
    /* Start from the built-in of that name, if any: a section may only
     * change some of its fields. */
    if (!(v = emo_config_extra_get(cfg, si, "file")) && !s->file[0]) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: key 'file' is required", sec);
        return EMO_EINVAL;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (v) {
        if (strlen(v) >= sizeof(s->file) || !v[0])
            goto bad_file;
        snprintf(s->file, sizeof(s->file), "%s", v);
        s->optional = 0;
    }
    if ((v = emo_config_extra_get(cfg, si, "size"))) {
        int w, h, n = parse_int(v, 8, 1024, &w);
        if (n < 0)
            goto bad_size;
        h = w;
        if (v[n] == 'x' || v[n] == 'X') {
            int m = parse_int(v + n + 1, 8, 1024, &h);
            if (m < 0 || v[n + 1 + m])
                goto bad_size;
        } else if (v[n]) {
            goto bad_size;
        }
        s->width = w;
        s->height = h;
    }
    if (s->width < 1) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: key 'size' is required (e.g. 64 or 64x48)", sec);
        return EMO_EINVAL;
    }
    if ((v = emo_config_extra_get(cfg, si, "gray")) && parse_bool(v, &s->gray)) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: gray = '%s' is not a boolean", sec, v);
        return EMO_EINVAL;
    }
    if ((v = emo_config_extra_get(cfg, si, "scale"))) {
        if (!strcasecmp(v, "pm1") || !strcmp(v, "[-1,1]") || !strcmp(v, "-1..1"))
            s->scale = EMO_EMOTION_SCALE_PM1;
        else if (!strcmp(v, "01") || !strcmp(v, "[0,1]") || !strcmp(v, "0..1"))
            s->scale = EMO_EMOTION_SCALE_01;
        else if (!strcmp(v, "255") || !strcasecmp(v, "raw"))
            s->scale = EMO_EMOTION_SCALE_255;
        else {
            emo_log(lg, EMO_LOG_ERROR, "[%s]: scale = '%s': use pm1 (x/255*2-1), 01 (x/255) or 255", sec, v);
            return EMO_EINVAL;
        }
    }
    if ((v = emo_config_extra_get(cfg, si, "labels"))) {
        int n = 0, known = 0;
        const char *p = v;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char word[64];
            if (n >= EMO_EMOTION_MAX_LABELS || len >= sizeof(word)) {
                emo_log(lg, EMO_LOG_ERROR, "[%s]: labels: at most %d labels of < 64 characters", sec,
                        EMO_EMOTION_MAX_LABELS);
                return EMO_EINVAL;
            }
            memcpy(word, p, len);
            word[len] = 0;
            int c = emo_emotion_from_label(word);
            if (c < 0)
                emo_log(lg, EMO_LOG_INFO, "[%s]: label '%s' has no canonical emotion; its output is ignored",
                        sec, word);
            known += c >= 0;
            s->label_map[n++] = c;
            p = e ? e + 1 : p + len;
        }
        if (!known) {
            emo_log(lg, EMO_LOG_ERROR, "[%s]: labels = '%s' names no known emotion", sec, v);
            return EMO_EINVAL;
        }
        s->n_labels = n;
    }
    if (s->n_labels < 1) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: key 'labels' is required (model outputs, in order)", sec);
        return EMO_EINVAL;
    }
    if ((v = emo_config_extra_get(cfg, si, "weight"))) {
        char *end;
        double w = strtod(v, &end);
        if (end == v || *end || !isfinite(w) || w < 0 || w > 1000) {
            emo_log(lg, EMO_LOG_ERROR, "[%s]: weight = '%s' is not a number in [0, 1000]", sec, v);
            return EMO_EINVAL;
        }
        s->weight = w;
    }
    if ((v = emo_config_extra_get(cfg, si, "flip")) && parse_bool(v, &s->flip)) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: flip = '%s' is not a boolean", sec, v);
        return EMO_EINVAL;
    }
    int en;
    if ((v = emo_config_extra_get(cfg, si, "enabled")) && parse_bool(v, &en)) {
        emo_log(lg, EMO_LOG_ERROR, "[%s]: enabled = '%s' is not a boolean", sec, v);
        return EMO_EINVAL;
    }
    return 0;
bad_file:
    emo_log(lg, EMO_LOG_ERROR, "[%s]: bad 'file'", sec);
    return EMO_EINVAL;
bad_size:
    emo_log(lg, EMO_LOG_ERROR, "[%s]: size = '%s': use N or WxH, 8..1024", sec, v);
    return EMO_EINVAL;
}

int emo_emotion_model_spec(const EmoConfig *cfg, const char *name, EmoEmotionModelSpec *out, const EmoLogger *lg)
{
    if (!cfg || !name || !out)
        return EMO_EINVAL;
    memset(out, 0, sizeof(*out));
    int found = 0;
    for (int i = 0; i < N_BUILTIN; i++) {
        if (!strcasecmp(builtins[i].name, name)) {
            *out = builtins[i];
            out->weight = builtin_weight(cfg, builtins[i].name);
            found = 1;
        }
    }
    int si = section_index(cfg, name);
    if (si >= 0) {
        if (!found) {
            out->gray = 1;
            out->scale = EMO_EMOTION_SCALE_PM1;
            out->weight = 1;
        }
        return spec_from_section(cfg, si, name, out, lg);
    }
    if (!found) {
        emo_log(lg, EMO_LOG_ERROR, "emotion model '%s' is neither built in nor a [model.%s] section", name, name);
        return EMO_ENOENT;
    }
    return 0;
}

void emo_emotion_model_path(const EmoEmotionModelSpec *s, const char *models_dir, char *out, size_t n)
{
    if (s->file[0] == '/' || !models_dir || !models_dir[0])
        snprintf(out, n, "%s", s->file);
    else
        snprintf(out, n, "%s/%s", models_dir, s->file);
}

static int add_model(const EmoConfig *cfg, const char *name, const char *models_dir, EmoEmotionModelSpec *specs,
                     int max, int *n, const EmoLogger *lg)
{
    for (int i = 0; i < *n; i++)
        if (!strcasecmp(specs[i].name, name))
            return 0;
    if (*n >= max) {
        emo_log(lg, EMO_LOG_ERROR, "too many emotion models (at most %d)", max);
        return EMO_EINVAL;
    }
    int si = section_index(cfg, name), on = 1;
    const char *en = si >= 0 ? emo_config_extra_get(cfg, si, "enabled") : NULL;
    if (en && !parse_bool(en, &on) && !on) {
        emo_log(lg, EMO_LOG_INFO, "emotion model '%s' skipped: [model.%s] enabled = false", name, name);
        return 0;
    }
    EmoEmotionModelSpec s;
    int err = emo_emotion_model_spec(cfg, name, &s, lg);
    if (err)
        return err;
    char path[EMO_PATH_MAX + EMO_PATH_MAX];
    emo_emotion_model_path(&s, models_dir, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) != 0) {
        if (s.optional) {
            emo_log(lg, EMO_LOG_INFO, "emotion model '%s' skipped: %s is not in the models folder", name, path);
            return 0;
        }
        emo_log(lg, EMO_LOG_ERROR, "emotion model '%s': file %s not found (run `make models`)", name, path);
        return EMO_ENOENT;
    }
    specs[(*n)++] = s;
    return 0;
}

int emo_emotion_models_resolve(const EmoConfig *cfg, const char *list, const char *models_dir,
                               EmoEmotionModelSpec *specs, int max, int *n, const EmoLogger *lg)
{
    if (!cfg || !specs || !n || max < 0)
        return EMO_EINVAL;
    *n = 0;
    if (!list)
        list = cfg->emotion.models;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[EMO_EMOTION_NAME_MAX];
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len >= sizeof(name)) {
            emo_log(lg, EMO_LOG_ERROR, "emotion model name too long in '%s'", list);
            return EMO_EINVAL;
        }
        if (len) {
            memcpy(name, p, len);
            name[len] = 0;
            int err = add_model(cfg, name, models_dir, specs, max, n, lg);
            if (err)
                return err;
        }
        if (!e)
            break;
        p = e + 1;
    }
    for (int i = 0; i < emo_config_extra_count(cfg); i++) {
        const char *sec = emo_config_extra_name(cfg, i);
        const char *en = emo_config_extra_get(cfg, i, "enabled");
        int on = 0;
        if (strncasecmp(sec, "model.", 6) || !en || parse_bool(en, &on) || !on)
            continue;
        int err = add_model(cfg, sec + 6, models_dir, specs, max, n, lg);
        if (err)
            return err;
    }
    return 0;
}
