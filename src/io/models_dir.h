/* Where the model files are looked for (emo_models_dir): the search itself,
 * apart from the process's environment and location, so that it can be
 * tested with made-up folders. Private to the library. */
#ifndef EMOSCOPE_IO_MODELS_DIR_H
#define EMOSCOPE_IO_MODELS_DIR_H

#include <stddef.h>

/* Which candidate emo__models_dir_pick() took. */
typedef enum EmoModelsDirFrom {
    EMO_MODELS_FROM_SETTING = 0, /* general.models_dir */
    EMO_MODELS_FROM_ENV,         /* $EMOSCOPE_MODELS_DIR */
    EMO_MODELS_FROM_RELATIVE,    /* beside the library or program (a moved install prefix) */
    EMO_MODELS_FROM_FALLBACK,    /* the caller's fallback (the build tree's models/) */
    EMO_MODELS_FROM_BUILTIN,     /* the install prefix's folder compiled in */
} EmoModelsDirFrom;

#define EMO_MODELS_DIR_MAX_RELATIVE 4

typedef struct EmoModelsDirSearch {
    const char *setting;   /* taken as it is when not empty */
    const char *env;       /* likewise, after the setting */
    /* Folders computed from where the code runs (the library's folder plus
     * the path from the install's libdir or bindir to its models), taken
     * only when they exist; NULL entries are skipped. */
    const char *relative[EMO_MODELS_DIR_MAX_RELATIVE];
    const char *fallback;  /* taken when it exists; NULL: none */
    const char *builtin;   /* taken when it exists, and as the last resort */
} EmoModelsDirSearch;

/* Writes the folder chosen into out (at most n bytes) and says which it was.
 * When no existing folder is found, the answer is the fallback if there is
 * one (the folder `make models` fills), else the builtin one, so that the
 * "missing" message names the folder the user would have filled. */
EmoModelsDirFrom emo__models_dir_pick(char *out, size_t n, const EmoModelsDirSearch *s);

#endif
