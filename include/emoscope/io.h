/**
 * @file io.h
 * Model files (paths, checksums) and result writers.
 */
#ifndef EMOSCOPE_IO_H
#define EMOSCOPE_IO_H

#include <stddef.h>

#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A model file emoscope knows about. */
typedef struct EmoModelFile {
    const char *name;      /**< short name used in settings (e.g. "mini_xception") */
    const char *file;      /**< file name in the models folder */
    const char *sha256;    /**< expected checksum (lowercase hex); NULL: not pinned */
    const char *role;      /**< "face detector", "emotion", ... */
    int optional;          /**< 1: absent is fine (user-supplied weights) */
} EmoModelFile;

/** Built-in model files, terminated by name == NULL. */
EMO_API const EmoModelFile *emo_model_files(void);
/** The entry named name (or whose file name is name), or NULL. */
EMO_API const EmoModelFile *emo_model_file_find(const char *name);

/**
 * The models folder: dir_setting when not empty, else $EMOSCOPE_MODELS_DIR
 * when set and not empty, else the first of these folders that exists:
 * PREFIX/share/emoscope/models found from where the library (or the program
 * it is linked into) lies, so that a moved install prefix still works;
 * fallback (may be NULL: the build tree's models/ for the CLI); the install
 * prefix's share/emoscope/models compiled in at configure time. When none
 * exists: fallback if given, else that compiled-in folder.
 * Writes at most n bytes into out.
 */
EMO_API void emo_models_dir(char *out, size_t n, const char *dir_setting, const char *fallback);

/** SHA256 of a file as 64 lowercase hex characters plus NUL. */
EMO_API int emo_sha256_file(const char *path, char hex[65]);

typedef enum EmoModelStatus {
    EMO_MODEL_OK = 0,
    EMO_MODEL_MISSING,
    EMO_MODEL_CORRUPT,     /**< checksum differs */
    EMO_MODEL_UNREADABLE,
} EmoModelStatus;

/** Checks one model file in dir; path receives the full path. */
EMO_API EmoModelStatus emo_model_check(const EmoModelFile *m, const char *dir, char *path, size_t n);
EMO_API const char *emo_model_status_name(EmoModelStatus s);

/**
 * Result files: one record per analysed frame per face (and one per event),
 * written whole. A record is first formatted in memory, then written with
 * one call; if the write fails (disk full, unwritable), the file is cut back
 * to the end of the last complete record, so readers never see half a line.
 *
 * Records are flat JSON objects (cJSON): nested objects are flattened into
 * dotted CSV column names; arrays become ';'-joined cells. The CSV columns
 * are fixed by the first record written (later records may omit fields:
 * empty cells; extra fields are dropped from the CSV but kept in JSONL).
 */
typedef struct EmoResultsWriter EmoResultsWriter;
struct cJSON;

/**
 * Opens base.jsonl and/or base.csv (either path may be NULL to skip it).
 * Existing files are replaced.
 */
EMO_API int emo_results_open(EmoResultsWriter **out, const char *jsonl_path, const char *csv_path, const EmoLogger *log);
/** Writes one record (the caller keeps ownership of rec). */
EMO_API int emo_results_write(EmoResultsWriter *w, const struct cJSON *rec);
/** Records written completely so far. */
EMO_API long emo_results_count(const EmoResultsWriter *w);
/** Flushes and closes; returns the first write error seen, if any. Sets *w to NULL. */
EMO_API int emo_results_close(EmoResultsWriter **w);

#ifdef __cplusplus
}
#endif
#endif
