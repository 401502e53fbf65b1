/**
 * @file batch.h
 * Many inputs analysed into one folder, one output folder per input, so
 * that an interrupted batch can be run again and finishes where it stopped.
 *
 * One item is one input analysed by emo_analyze_file() (analyze.h). Its
 * key is the SHA-256 of the input's content, the library version, the
 * outputs asked for and every setting that can change the results (the
 * whole effective configuration, normalised; see emo_batch_key()). The
 * analysis runs in a temporary folder beside the output folder
 * (".NAME.tmp-XXXXXX"), its files are synced, the key file written last,
 * and the folder is renamed into place with rename(2): an interrupted or
 * failed item leaves no half result, and an output folder whose key file
 * holds the item's key is skipped.
 *
 * The list (EmoBatchList) expands the arguments of `emoscope batch` into
 * inputs and names their output folders; `emoscope batch`, the Python
 * package's Dask driver and any other scheduler use the same list, items
 * and index (batch.csv), so their folders are interchangeable.
 */
#ifndef EMOSCOPE_BATCH_H
#define EMOSCOPE_BATCH_H

#include <stdint.h>

#include <emoscope/analyze.h>
#include <emoscope/config.h>
#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The key file in each finished output folder: the key on its first line,
 *  then what it was made of (readable provenance). */
#define EMO_BATCH_KEY_FILE "emoscope-key.txt"
/** The index the batch writes into its output folder. */
#define EMO_BATCH_INDEX_FILE "batch.csv"

typedef enum EmoBatchStatus {
    EMO_BATCH_DONE = 0,          /**< analysed now; the output folder is complete */
    EMO_BATCH_SKIPPED,           /**< the output folder already held this key */
    EMO_BATCH_FAILED,            /**< nothing written (an older output folder is left as it was) */
    EMO_BATCH_INTERRUPTED,       /**< stopped (or never started) by the stop flag; nothing written */
} EmoBatchStatus;

/** What happened to one item. */
typedef struct EmoBatchResult {
    EmoBatchStatus status;
    char key[65];                /**< hex; "" when the input could not be read */
    int64_t frames;              /**< frames analysed (for a skipped item: as its key file says) */
    double seconds;              /**< wall seconds the item took, hashing included */
    /** Why it failed; for a done item whose input broke midway, "partial: ..."
     *  (the frames before the break are analysed and kept). "" otherwise. */
    char error[512];
} EmoBatchResult;

/** "done", "skipped", "failed", "interrupted". */
EMO_API const char *emo_batch_status_name(EmoBatchStatus s);

/**
 * The item's key (64 hex characters) for input analysed with cfg and the
 * outputs of o (NULL: defaults). Settings that cannot change what is
 * written are left out: general.log_level, threads, workers, models_dir,
 * output_dir, stats_interval, video.source, video.decode_threads and the
 * [audio] section, so that `--jobs N` or a different log level reuses
 * finished folders. material (may be NULL) receives the text hashed,
 * allocated with malloc (the caller frees it).
 * @return 0; EMO_ENOENT / EMO_EIO when the input cannot be read.
 */
EMO_API int emo_batch_key(const EmoConfig *cfg, const EmoAnalyzeOptions *o, const char *input, char key[65],
                          char **material);

/**
 * Analyses input into the folder output unless it already holds the key
 * (see the file comment). o->stop ends the item early (EMO_BATCH_INTERRUPTED,
 * its temporary folder removed); o->progress sees its frames. Several items
 * may run at once on different threads with different outputs; the same
 * output from two processes at once ends with one complete result (the
 * later rename wins). res is always filled.
 * @return 0 (done or skipped), EMO_EINTR (interrupted), or the error of a
 * failed item (its message in res->error, also logged).
 */
EMO_API int emo_batch_item(const EmoConfig *cfg, const char *input, const char *output, const EmoAnalyzeOptions *o,
                           EmoBatchResult *res, const EmoLogger *lg);

/**
 * Settings for a batch of jobs items at once on this machine: where
 * general.threads, general.workers or video.decode_threads are 0 ("all
 * cores"), they become the machine's cores divided by jobs (at least 1),
 * so that the items do not oversubscribe the cores. None of them changes
 * the key.
 */
EMO_API void emo_batch_share_cores(EmoConfig *cfg, int jobs);

/** The inputs of a batch and their output folders. */
typedef struct EmoBatchList EmoBatchList;

/**
 * Expands the arguments of a batch into inputs, in order, each once:
 * - a folder: the video and image files below it (by extension: mp4, mov,
 *   mkv, avi, webm, m4v, mpg, mpeg, ts, mts, wmv, flv, 3gp, ogv, y4m, gif,
 *   jpg, jpeg, png, bmp), recursively, hidden entries left out, sorted by
 *   path; their output folders keep the path below the folder (sub/a.mp4
 *   -> OUT/sub/a);
 * - a file named *.txt, *.lst or *.list: a list, one input per line (blank
 *   lines and lines starting with '#' ignored; relative paths are taken
 *   from the list's folder), each expanded by these rules except lists;
 * - a pattern with *, ? or [: the matches (glob(3)), sorted;
 * - anything else: one input, whatever it is (a missing file fails as an
 *   item, with its message in the index).
 * An output folder is OUT/ plus the input's file name without its
 * extension; a name taken already gets "-2", "-3", ... in list order.
 * @return 0, EMO_ENOENT / EMO_EIO for a folder or list that cannot be
 * read (logged), EMO_EINVAL for no arguments.
 */
EMO_API int emo_batch_list_open(EmoBatchList **out, const char *const *args, int n_args, const char *out_dir,
                                const EmoLogger *lg);
EMO_API int emo_batch_list_count(const EmoBatchList *l);
/** The input of item i, as given (or as the list or folder named it). */
EMO_API const char *emo_batch_list_input(const EmoBatchList *l, int i);
/** The output folder of item i (OUT/NAME). */
EMO_API const char *emo_batch_list_output(const EmoBatchList *l, int i);
/** Size of input i in bytes (0 when it cannot be read): weights for a time-left estimate. */
EMO_API int64_t emo_batch_list_size(const EmoBatchList *l, int i);
EMO_API void emo_batch_list_close(EmoBatchList **l);

/**
 * Writes the index (columns input, status, output, frames, seconds, error;
 * RFC 4180 quoting) of the list's items with their results (one per item,
 * in list order) to path, through a temporary file renamed into place.
 */
EMO_API int emo_batch_write_index(const char *path, const EmoBatchList *l, const EmoBatchResult *results);

#ifdef __cplusplus
}
#endif
#endif
