/*
 * DeepFace's emotion model from a Keras weights-only file (as saved by
 * model.save_weights(): root attribute layer_names, weights under
 * <layer>/). Such a file carries no architecture; this is the only one we
 * know, so it is built here by hand. Separate from keras.c, which builds
 * architectures from a file's own model_config.
 */
#include "nn/keras_internal.h"

#include <stdio.h>

/* DeepFace's emotion model (serengil/deepface, models/Emotion.py), whose
 * weights file carries no architecture. Input 48x48x1 gray in [0, 1]. */
int emo__keras_load_deepface(Ctx *c)
{
    static const struct {
        const char *what;
        int dense;
        int k, cout;
    } spec[8] = {
        { "Conv2D 64 5x5", 0, 5, 64 },   { "Conv2D 64 3x3", 0, 3, 64 },    { "Conv2D 64 3x3", 0, 3, 64 },
        { "Conv2D 128 3x3", 0, 3, 128 }, { "Conv2D 128 3x3", 0, 3, 128 },  { "Dense 1024", 1, 0, 1024 },
        { "Dense 1024", 1, 0, 1024 },    { "Dense 7", 1, 0, 7 },
    };
    EmoH5Names names = { NULL, 0 };
    EmoH5Weights lw[8];
    int n_w = 0, rc = emo__h5_read_names(&c->h, c->h.file, "layer_names", &names);
    if (rc)
        return rc == 1 ? emo__keras_fail(c, EMO_EFORMAT, "no layer_names attribute") : rc;
    for (int i = 0; i < names.n; i++) {
        EmoH5Weights w;
        if ((rc = emo__h5_weights_open(&c->h, names.s[i], &w)))
            goto done;
        if (w.names.n == 0) {
            emo__h5_weights_close(&w);
            continue;
        }
        if (n_w == 8) {
            emo__h5_weights_close(&w);
            rc = emo__keras_fail(c, EMO_EUNSUPPORTED,
                                 "weights-only file with more than 8 weighted layers: not DeepFace's "
                                 "emotion model (the only architecture known without model_config)");
            goto done;
        }
        lw[n_w++] = w;
    }
    if (n_w != 8) {
        rc = emo__keras_fail(c, EMO_EUNSUPPORTED,
                             "weights-only file with %d weighted layers: not DeepFace's emotion model "
                             "(5 Conv2D + 3 Dense expected)", n_w);
        goto done;
    }
    /* Names of the tensors come from the file's layer names. */
    Layer in = { "input", -1, -1, 1 };
    int shape[4] = { 1, 48, 48, 1 };
    if ((in.tensor = emo__keras_new_act(c, "input", 4, shape)) < 0 ||
        (rc = emo__nn_graph_mark_input(c->g, in.tensor))) {
        rc = rc ? rc : in.tensor;
        goto done;
    }
    int t = in.tensor, node;
    for (int i = 0; i < 5; i++) {
        ConvSpec k = { 0, spec[i].k, spec[i].k, 1, 1, 1, 1, 0, spec[i].cout, 1 };
        int cin = T(c, t)->shape[3];
        if (cin != (i == 0 ? 1 : spec[i - 1].cout)) {
            rc = emo__keras_fail(c, EMO_EINTERNAL, "DeepFace architecture mismatch");
            goto done;
        }
        if ((rc = emo__keras_conv2d(c, lw[i].layer, &lw[i], t, &k, 1, &t)) < 0)
            goto done;
        node = rc;
        if ((rc = emo__keras_activation(c, lw[i].layer, "relu", &t, &node, 1)) < 0)
            goto done;
        /* MaxPool 5x5/2 after the first conv, AvgPool 3x3/2 after the third and fifth. */
        if (i == 0 || i == 2 || i == 4) {
            ConvSpec p = { 0, i ? 3 : 5, i ? 3 : 5, 2, 2, 1, 1, 0, 0, 1 };
            char pname[128];
            snprintf(pname, sizeof(pname), "%s/%s", lw[i].layer, i ? "avg_pool" : "max_pool");
            if ((rc = emo__keras_pool(c, pname, i ? EMO_NN_AVG_POOL : EMO_NN_MAX_POOL, t, &p, &t)) < 0)
                goto done;
        }
    }
    node = -1;
    if ((rc = emo__keras_flatten(c, "flatten", t, &t, &node)) < 0)
        goto done;
    if (T(c, t)->shape[1] != 128) {
        rc = emo__keras_fail(c, EMO_EINTERNAL, "DeepFace flatten size %d", T(c, t)->shape[1]);
        goto done;
    }
    for (int i = 5; i < 8; i++) {
        if ((rc = emo__keras_dense(c, lw[i].layer, &lw[i], t, spec[i].cout, 1, &t)) < 0)
            goto done;
        node = rc;
        if ((rc = emo__keras_activation(c, lw[i].layer, i < 7 ? "relu" : "softmax", &t, &node, 1)) < 0)
            goto done;
    }
    rc = emo__nn_graph_mark_output(c->g, t);
done:
    for (int i = 0; i < n_w; i++)
        emo__h5_weights_close(&lw[i]);
    emo__h5_names_free(&names);
    return rc < 0 ? rc : 0;
}
