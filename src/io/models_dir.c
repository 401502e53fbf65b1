/* The models folder: explicit choices first, then the folders an install
 * has, found from where the code runs so that a prefix that was moved (or
 * installed with `cmake --install --prefix`) still finds its own models,
 * then the caller's fallback, then the folder compiled in at configure time. */
#define _GNU_SOURCE /* dladdr */
#include "io/models_dir.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <emoscope/io.h>

/* Set by CMake (cmake/install.cmake) from the install layout. */
#ifndef EMO_INSTALL_MODELS_DIR
#define EMO_INSTALL_MODELS_DIR "/usr/local/share/emoscope/models"
#endif
#ifndef EMO_LIBDIR_TO_MODELS
#define EMO_LIBDIR_TO_MODELS "../share/emoscope/models"
#endif
#ifndef EMO_BINDIR_TO_MODELS
#define EMO_BINDIR_TO_MODELS "../share/emoscope/models"
#endif

static int is_dir(const char *path)
{
    struct stat st;
    return path && path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

EmoModelsDirFrom emo__models_dir_pick(char *out, size_t n, const EmoModelsDirSearch *s)
{
    const char *pick = NULL;
    EmoModelsDirFrom from = EMO_MODELS_FROM_BUILTIN;
    if (s->setting && s->setting[0]) {
        pick = s->setting;
        from = EMO_MODELS_FROM_SETTING;
    } else if (s->env && s->env[0]) {
        pick = s->env;
        from = EMO_MODELS_FROM_ENV;
    }
    for (int i = 0; !pick && i < EMO_MODELS_DIR_MAX_RELATIVE; i++) {
        if (is_dir(s->relative[i])) {
            pick = s->relative[i];
            from = EMO_MODELS_FROM_RELATIVE;
        }
    }
    if (!pick && is_dir(s->fallback)) {
        pick = s->fallback;
        from = EMO_MODELS_FROM_FALLBACK;
    }
    if (!pick && !is_dir(s->builtin) && s->fallback && s->fallback[0]) {
        pick = s->fallback;
        from = EMO_MODELS_FROM_FALLBACK;
    }
    if (!pick)
        pick = s->builtin && s->builtin[0] ? s->builtin : "models";
    snprintf(out, n, "%s", pick);
    return from;
}

/* The folder rel from the folder of file, resolved, into out; 0 when file
 * is not a path or that folder does not exist. */
static int beside(char *out, const char *file, const char *rel)
{
    char real[PATH_MAX], joined[2 * PATH_MAX];
    if (!file || !strchr(file, '/') || !realpath(file, real))
        return 0;
    *strrchr(real, '/') = 0;
    snprintf(joined, sizeof(joined), "%s/%s", real, rel);
    return realpath(joined, out) != NULL;
}

void emo_models_dir(char *out, size_t n, const char *dir_setting, const char *fallback)
{
    EmoModelsDirSearch s = { .setting = dir_setting, .env = getenv("EMOSCOPE_MODELS_DIR"),
                             .fallback = fallback, .builtin = EMO_INSTALL_MODELS_DIR };
    /* Only looked at when nothing explicit was given: the search touches the disk. */
    char rel[EMO_MODELS_DIR_MAX_RELATIVE][PATH_MAX];
    if (!(dir_setting && dir_setting[0]) && !(s.env && s.env[0])) {
        int k = 0;
        /* The library's own file: libemoscope.so in PREFIX/LIBDIR, or the
         * program it is linked into (glibc gives argv[0] for that, which
         * holds a '/' only when run by path; /proc/self/exe covers the rest). */
        Dl_info info;
        if (dladdr((void *)(uintptr_t)emo_models_dir, &info) && info.dli_fname) {
            if (beside(rel[k], info.dli_fname, EMO_LIBDIR_TO_MODELS))
                s.relative[k] = rel[k], k++;
            if (beside(rel[k], info.dli_fname, EMO_BINDIR_TO_MODELS))
                s.relative[k] = rel[k], k++;
        }
        char exe[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (len > 0) {
            exe[len] = 0;
            if (beside(rel[k], exe, EMO_BINDIR_TO_MODELS))
                s.relative[k] = rel[k], k++;
        }
    }
    emo__models_dir_pick(out, n, &s);
}
