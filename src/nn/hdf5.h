/*
 * Reading Keras HDF5 files safely (hdf5.c): a byte-level check of the parts
 * libhdf5 does not check, then libhdf5 for attributes and weight datasets,
 * every result checked. Private to src/nn; the Keras translation (keras.c,
 * keras_layers.c, deepface.c) reads the file only through these calls.
 *
 * A reader is open from emo__h5_open() to emo__h5_close(), always paired:
 * libhdf5 is not thread-safe here, so open takes a process-wide lock and
 * switches libhdf5's own error printing off; close undoes both.
 */
#ifndef EMOSCOPE_NN_HDF5_H
#define EMOSCOPE_NN_HDF5_H

#include <hdf5.h>
#include <stdarg.h>
#include <stddef.h>

#include <emoscope/core.h>

#define EMO_H5_MAX_NAME_LEN 255
#define EMO_H5_MAX_TENSOR_ELEMS (16u << 20)  /* floats in one weight (and one activation) */
#define EMO_H5_MAX_CONST_TOTAL (32u << 20)   /* floats of weights in one model */

typedef struct EmoH5 {
    const EmoLogger *log;
    const char *path;         /* for messages; never NULL once opened */
    hid_t file;
    hid_t wroot;              /* group holding the per-layer weight groups */
    size_t const_total;       /* floats of weights read so far */
    int config_checked;       /* model_config's stored form was verified by the pre-check */
    /* Set by emo__h5_open, undone by emo__h5_close. */
    hid_t fapl;
    H5E_auto2_t old_fn;
    void *old_data;
    int restore;
} EmoH5;

/* A list of names read from a string-array attribute (each malloc'ed). */
typedef struct EmoH5Names {
    char **s;
    int n;
} EmoH5Names;

/* The weights of one layer: its group and the names listed in weight_names. */
typedef struct EmoH5Weights {
    hid_t group;
    EmoH5Names names;
    const char *layer;
} EmoH5Weights;

/* Logs "keras: <path>: <message>" as an error and returns code. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int emo__h5_fail(const EmoH5 *h, int code, const char *fmt, ...);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 0)))
#endif
int emo__h5_vfail(const EmoH5 *h, int code, const char *fmt, va_list ap);

/* Printable, 1..EMO_H5_MAX_NAME_LEN bytes: what a layer or weight name may be. */
int emo__h5_name_ok(const char *s);
void emo__h5_names_free(EmoH5Names *l);

/* Locks, checks the file's bytes and opens it read-only. Whatever it
 * returns, emo__h5_close(h) must follow. */
int emo__h5_open(EmoH5 *h, const EmoLogger *log, const char *path);
void emo__h5_close(EmoH5 *h);

/* The root's model_config attribute as a malloc'ed string: 0, 1 when the
 * file has none (a weights-only file), or a negative error (reported). */
int emo__h5_model_config(EmoH5 *h, char **json);

/* Opens h->wroot: `model_weights` of a full model, or the root group of a
 * weights-only file (which must list layer_names). */
int emo__h5_open_weight_root(EmoH5 *h, int full_model);

/* Reads a 1-D fixed-length string-array attribute of obj; names are checked
 * with emo__h5_name_ok. Returns 0, 1 when absent, or a negative error. */
int emo__h5_read_names(EmoH5 *h, hid_t obj, const char *name, EmoH5Names *out);

/* Opens the weight group of `layer` under h->wroot and its weight_names.
 * On failure w is closed; emo__h5_weights_close accepts a closed w. */
int emo__h5_weights_open(EmoH5 *h, const char *layer, EmoH5Weights *w);
void emo__h5_weights_close(EmoH5Weights *w);

/* Reads weight `want` of a layer (the last path component of one of its
 * weight_names, e.g. "kernel:0") as float32, checking that its dims are
 * exactly dims[0..rank) and its values finite. Returns a malloc'ed array or
 * NULL (error logged, *rc set). */
float *emo__h5_weights_read(EmoH5 *h, const EmoH5Weights *w, const char *want, int rank, const int *dims, int *rc);

#endif
