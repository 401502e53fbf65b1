/* Writes tiny Keras-2 HDF5 files for the loader's unit and hostile-file
 * tests (the layout of h5py/Keras 2.0.5: model_config as a variable-length
 * string attribute, weights under model_weights/<layer>/ named by the
 * group's weight_names attribute). Header-only: included by test files. */
#ifndef EMOSCOPE_TEST_KERAS_WRITER_H
#define EMOSCOPE_TEST_KERAS_WRITER_H

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

typedef struct KwWeight {
    const char *name;      /* e.g. "conv/kernel:0", relative to the layer group */
    int rank;
    hsize_t dims[4];
    const float *data;
} KwWeight;

/* Creates path; model_config NULL makes a weights-only file (layer_names at
 * the root, layer groups at the root). Returns the group layers go into; the
 * file id in *file. */
static hid_t kw_create(const char *path, const char *model_config, hid_t *file)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    *file = f;
    if (!model_config)
        return H5Gopen2(f, "/", H5P_DEFAULT);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_config", st, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, st, &model_config) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(st);
    hid_t g = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(g >= 0);
    return g;
}

/* A fixed-length string-array attribute (numpy 'S' array, as h5py writes). */
static void kw_str_list(hid_t obj, const char *attr, const char *const *s, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len = strlen(s[i]) > len ? strlen(s[i]) : len;
    hsize_t dim = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t a;
    if (n == 0) {
        /* Keras writes an empty list as an empty float array. */
        a = H5Acreate2(obj, attr, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    } else {
        char *buf = calloc((size_t)n, len);
        assert_non_null(buf);
        for (int i = 0; i < n; i++)
            memcpy(buf + (size_t)i * len, s[i], strlen(s[i]));
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, len);
        H5Tset_strpad(st, H5T_STR_NULLPAD);
        a = H5Acreate2(obj, attr, st, sp, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(a >= 0);
        assert_true(H5Awrite(a, st, buf) >= 0);
        H5Tclose(st);
        free(buf);
    }
    assert_true(a >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

/* A layer group with its weight_names attribute and datasets. */
static void kw_layer(hid_t root, const char *layer, const KwWeight *w, int n)
{
    hid_t g = H5Gcreate2(root, layer, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(g >= 0);
    const char *names[8];
    for (int i = 0; i < n; i++)
        names[i] = w[i].name;
    kw_str_list(g, "weight_names", names, n);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int i = 0; i < n; i++) {
        hid_t sp = H5Screate_simple(w[i].rank, w[i].dims, NULL);
        hid_t d = H5Dcreate2(g, w[i].name, H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(d >= 0);
        assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w[i].data) >= 0);
        H5Dclose(d);
        H5Sclose(sp);
    }
    H5Pclose(lcpl);
    H5Gclose(g);
}

static void kw_close(hid_t root, hid_t file)
{
    H5Gclose(root);
    assert_true(H5Fclose(file) >= 0);
}

#endif
