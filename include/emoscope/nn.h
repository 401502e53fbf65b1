/**
 * @file nn.h
 * Neural networks: load a model file (TFLite flatbuffer or Keras HDF5),
 * query its tensors, run it on float32 NHWC data. Executed by XNNPACK;
 * nothing outside src/nn sees XNNPACK.
 *
 * Threading: one EmoNnModel owns its input and output buffers and is not
 * safe to run from several threads at once; open one per thread (weights
 * are small) or serialise the calls. Different models may run at the same
 * time on different threads. The thread count below is the size of the
 * model's own worker pool.
 *
 * Buffers: emo_nn_input() and emo_nn_output() are fixed for the life of
 * the model (allocated at open, 64-byte aligned); a run allocates nothing.
 */
#ifndef EMOSCOPE_NN_H
#define EMOSCOPE_NN_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>
#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMO_NN_MAX_RANK 4

typedef struct EmoNnModel EmoNnModel;

typedef struct EmoNnSettings {
    int threads;               /**< worker threads; 1 = run on the calling thread; 0 = all cores */
    const EmoLogger *log;      /**< NULL: default logger */
} EmoNnSettings;

typedef struct EmoNnTensorInfo {
    const char *name;          /**< valid while the model is open */
    int rank;
    int shape[EMO_NN_MAX_RANK];/**< NHWC for images */
    size_t count;              /**< number of float32 elements */
} EmoNnTensorInfo;

EMO_API void emo_nn_default_settings(EmoNnSettings *s);

/**
 * Loads a model file; the format is detected from its content. On success
 * *out owns everything; on failure *out is NULL and a message names the
 * file and the problem (truncated, unsupported operator, ...).
 */
EMO_API int emo_nn_open(EmoNnModel **out, const char *path, const EmoNnSettings *s);

/**
 * Loads the TFLite model stored as member of the zip archive at path (a
 * MediaPipe task bundle such as face_landmarker.task, whose members are
 * stored uncompressed). Errors as emo_nn_open(); a compressed member is
 * EMO_EUNSUPPORTED, a missing one EMO_ENOENT.
 */
EMO_API int emo_nn_open_member(EmoNnModel **out, const char *path, const char *member, const EmoNnSettings *s);

EMO_API int emo_nn_num_inputs(const EmoNnModel *m);
EMO_API int emo_nn_num_outputs(const EmoNnModel *m);
EMO_API int emo_nn_input_info(const EmoNnModel *m, int i, EmoNnTensorInfo *info);
EMO_API int emo_nn_output_info(const EmoNnModel *m, int i, EmoNnTensorInfo *info);

/** The model's input buffer i (count floats, NHWC): write it, then run. */
EMO_API float *emo_nn_input(EmoNnModel *m, int i);
/** Output buffer i, valid until the next run or close. */
EMO_API const float *emo_nn_output(const EmoNnModel *m, int i);

/** Runs the model on the current inputs. */
EMO_API int emo_nn_run(EmoNnModel *m);

/** Worker threads the model runs on (1: the calling thread). */
EMO_API int emo_nn_threads(const EmoNnModel *m);

/** Multiply-adds of one inference. */
EMO_API uint64_t emo_nn_macs(const EmoNnModel *m);
/** Human-readable summary (inputs, outputs, operator counts) into buf. */
EMO_API void emo_nn_describe(const EmoNnModel *m, char *buf, size_t n);

EMO_API void emo_nn_close(EmoNnModel **m);

#ifdef __cplusplus
}
#endif
#endif
