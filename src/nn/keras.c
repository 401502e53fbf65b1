/*
 * Keras HDF5 reader: turns a Keras 2 model file into the tensor graph.
 *
 * Two layouts:
 *  - full models (root attribute `model_config`, Keras 2 JSON of a Model or
 *    Sequential; weights under `model_weights/<layer>/`), as saved by
 *    model.save(): translated here, layer by layer;
 *  - weights-only files (no `model_config`; root attribute `layer_names`;
 *    weights under `<layer>/`), as saved by model.save_weights(). The only
 *    architecture we know for those is DeepFace's emotion model
 *    (deepface.c).
 * Either way each layer group's `weight_names` attribute names its datasets,
 * relative to the group; paths are never guessed.
 *
 * The pieces: hdf5.c reads the file (and checks what libhdf5 would not),
 * keras_layers.c turns one Keras layer into graph nodes, rewrite.c holds the
 * format-independent folds; this file is the model_config translation and
 * the entry point.
 */
#include "nn/keras_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint_value(const cJSON *v, int lo, int hi, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return -1;
    *out = (int)v->valuedouble;
    return 0;
}

/* An int config field; missing -> def (if def_ok). */
static int jint(Ctx *c, const char *layer, const cJSON *o, const char *key, int lo, int hi, int def, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < lo)
            return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': missing '%s'", layer, key);
        *out = def;
        return 0;
    }
    if (jint_value(v, lo, hi, out))
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': '%s' must be an integer in [%d, %d]", layer, key, lo, hi);
    return 0;
}

/* A pair field ([a, b] or a single number); missing/null -> def (if def >= lo). */
static int jpair(Ctx *c, const char *layer, const cJSON *o, const char *key, int lo, int hi, int def, int *a, int *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < lo)
            return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': missing '%s'", layer, key);
        *a = *b = def;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        if (jint_value(v, lo, hi, a))
            goto bad;
        *b = *a;
        return 0;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && !jint_value(cJSON_GetArrayItem(v, 0), lo, hi, a) &&
        !jint_value(cJSON_GetArrayItem(v, 1), lo, hi, b))
        return 0;
bad:
    return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': '%s' must be two integers in [%d, %d]", layer, key, lo, hi);
}

static int jbool(const cJSON *o, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v ? cJSON_IsTrue(v) : def;
}

static int check_common(Ctx *c, const char *layer, const cJSON *cfg)
{
    const char *df = jstr(cfg, "data_format");
    if (df && strcmp(df, "channels_last"))
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': data_format '%s' (only channels_last)", layer, df);
    return 0;
}

static int jpadding(Ctx *c, const char *layer, const cJSON *cfg, int *same)
{
    const char *p = jstr(cfg, "padding");
    if (!p || !strcmp(p, "valid"))
        *same = 0;
    else if (!strcmp(p, "same"))
        *same = 1;
    else
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': padding '%s'", layer, p);
    return 0;
}

static int conv_spec(Ctx *c, const char *layer, const cJSON *cfg, ConvSpec *k)
{
    int rc;
    memset(k, 0, sizeof(*k));
    k->mult = 1;
    if ((rc = check_common(c, layer, cfg)) || (rc = jpair(c, layer, cfg, "kernel_size", 1, MAX_KERNEL, -1, &k->kh, &k->kw)) ||
        (rc = jpair(c, layer, cfg, "strides", 1, MAX_STRIDE, 1, &k->sh, &k->sw)) ||
        (rc = jpair(c, layer, cfg, "dilation_rate", 1, MAX_STRIDE, 1, &k->dh, &k->dw)) ||
        (rc = jpadding(c, layer, cfg, &k->same)))
        return rc;
    if ((k->sh > 1 || k->sw > 1) && (k->dh > 1 || k->dw > 1))
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': strides and dilation together", layer);
    return 0;
}

static Layer *find_layer(Ctx *c, const char *name)
{
    for (int i = 0; i < c->n_layers; i++)
        if (!strcmp(c->layers[i].name, name))
            return &c->layers[i];
    return NULL;
}

static int build_input(Ctx *c, Layer *L, const cJSON *cfg)
{
    const cJSON *bis = cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape");
    const char *dt = jstr(cfg, "dtype");
    if (dt && strcmp(dt, "float32"))
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "input '%s': dtype '%s' (only float32)", L->name, dt);
    int n = cJSON_IsArray(bis) ? cJSON_GetArraySize(bis) : 0;
    if (n != 4 && n != 2)
        return emo__keras_fail(c, EMO_EUNSUPPORTED,
                               "input '%s': batch_input_shape must be [batch, H, W, C] or [batch, N]",
                               L->name);
    const cJSON *b0 = cJSON_GetArrayItem(bis, 0);
    if (!cJSON_IsNull(b0) && !(cJSON_IsNumber(b0) && b0->valuedouble == 1))
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "input '%s': batch size other than 1", L->name);
    int shape[4] = { 1, 1, 1, 1 };
    for (int i = 1; i < n; i++) {
        int hi = (n == 4 && i < 3) ? MAX_SPATIAL : (n == 2 ? (int)MAX_TENSOR_ELEMS : MAX_CHANNELS);
        if (jint_value(cJSON_GetArrayItem(bis, i), 1, hi, &shape[i]))
            return emo__keras_fail(c, EMO_EUNSUPPORTED,
                                   "input '%s': dimension %d must be fixed and in [1, %d]", L->name, i, hi);
    }
    if ((L->tensor = emo__keras_new_act(c, L->name, n, shape)) < 0)
        return L->tensor;
    L->node = -1;
    return 0;
}

/* Builds one layer from its Keras class and config, given its inputs. */
static int build_layer(Ctx *c, Layer *L, const char *cls, const cJSON *cfg, Layer **ins, int n_in)
{
    const char *name = L->name;
    int rc = 0, t = -1, node = -1;
    if (!strcmp(cls, "InputLayer"))
        return n_in ? emo__keras_fail(c, EMO_EFORMAT, "input '%s' has inbound layers", name) : build_input(c, L, cfg);
    if (n_in < 1)
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s' (%s) has no input", name, cls);
    for (int i = 0; i < n_in; i++)
        if (ins[i]->tensor < 0)
            return emo__keras_fail(c, EMO_EFORMAT,
                                   "layer '%s' reads layer '%s' before it is defined", name, ins[i]->name);
    if (strcmp(cls, "Add") && n_in != 1)
        return emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s' (%s) with %d inputs", name, cls, n_in);
    int in_t = ins[0]->tensor;
    /* The producer's node may be modified (fused) only if this layer is its sole reader. */
    int in_node = ins[0]->consumers == 1 ? ins[0]->node : -1;
    EmoH5Weights lw = { H5I_INVALID_HID, { NULL, 0 }, name };

    if (!strcmp(cls, "Conv2D") || !strcmp(cls, "SeparableConv2D")) {
        ConvSpec k;
        int sep = cls[0] == 'S';
        if ((rc = conv_spec(c, name, cfg, &k)) ||
            (rc = jint(c, name, cfg, "filters", 1, MAX_CHANNELS, -1, &k.cout)) ||
            (sep && (rc = jint(c, name, cfg, "depth_multiplier", 1, 256, 1, &k.mult))) ||
            (rc = emo__h5_weights_open(&c->h, name, &lw)))
            goto done;
        int use_bias = jbool(cfg, "use_bias", 1);
        rc = sep ? emo__keras_separable(c, name, &lw, in_t, &k, use_bias, &t)
                 : emo__keras_conv2d(c, name, &lw, in_t, &k, use_bias, &t);
        if (rc < 0)
            goto done;
        node = rc;
        rc = emo__keras_activation(c, name, jstr(cfg, "activation"), &t, &node, 1);
    } else if (!strcmp(cls, "Dense")) {
        int units;
        if ((rc = jint(c, name, cfg, "units", 1, MAX_CHANNELS, -1, &units)) ||
            (rc = emo__h5_weights_open(&c->h, name, &lw)))
            goto done;
        if ((rc = emo__keras_dense(c, name, &lw, in_t, units, jbool(cfg, "use_bias", 1), &t)) < 0)
            goto done;
        node = rc;
        rc = emo__keras_activation(c, name, jstr(cfg, "activation"), &t, &node, 1);
    } else if (!strcmp(cls, "BatchNormalization")) {
        if (!(rc = emo__h5_weights_open(&c->h, name, &lw)))
            rc = emo__keras_bn(c, name, &lw, cfg, in_t, in_node, &t, &node);
    } else if (!strcmp(cls, "Activation")) {
        t = in_t;
        node = in_node;
        if (!jstr(cfg, "activation"))
            rc = emo__keras_fail(c, EMO_EFORMAT, "layer '%s': Activation without an activation", name);
        else
            rc = emo__keras_activation(c, name, jstr(cfg, "activation"), &t, &node, 0);
    } else if (!strcmp(cls, "MaxPooling2D") || !strcmp(cls, "AveragePooling2D")) {
        ConvSpec k;
        memset(&k, 0, sizeof(k));
        if ((rc = check_common(c, name, cfg)) || (rc = jpair(c, name, cfg, "pool_size", 1, MAX_KERNEL, 2, &k.kh, &k.kw)) ||
            (rc = jpadding(c, name, cfg, &k.same)))
            goto done;
        /* strides: missing or null means the pool size */
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(cfg, "strides");
        if (st && !cJSON_IsNull(st)) {
            if ((rc = jpair(c, name, cfg, "strides", 1, MAX_STRIDE, -1, &k.sh, &k.sw)))
                goto done;
        } else {
            k.sh = k.kh;
            k.sw = k.kw;
        }
        rc = emo__keras_pool(c, name, cls[0] == 'M' ? EMO_NN_MAX_POOL : EMO_NN_AVG_POOL, in_t, &k, &t);
    } else if (!strcmp(cls, "GlobalAveragePooling2D")) {
        const EmoNnTensor *in = T(c, in_t);
        if ((rc = check_common(c, name, cfg)))
            goto done;
        if (in->rank != 4) {
            rc = emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': global pooling of a rank-%d tensor", name, in->rank);
            goto done;
        }
        int C = in->shape[3], s4[4] = { 1, 1, 1, C }, s2[2] = { 1, C }, mid;
        char pname[128];
        snprintf(pname, sizeof(pname), "%s/pool", name);
        if ((rc = emo__keras_emit_simple(c, EMO_NN_GLOBAL_AVG_POOL, pname, &in_t, 1, 4, s4, &mid)) >= 0)
            rc = emo__keras_emit_simple(c, EMO_NN_RESHAPE, name, &mid, 1, 2, s2, &t); /* Keras' output is [1, C] */
    } else if (!strcmp(cls, "Add")) {
        if (n_in < 2) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "layer '%s': Add of fewer than two inputs", name);
            goto done;
        }
        t = in_t;
        for (int i = 1; i < n_in && rc >= 0; i++) {
            const EmoNnTensor *a = T(c, t), *b = T(c, ins[i]->tensor);
            if (a->rank != b->rank || memcmp(a->shape, b->shape, sizeof(int) * (size_t)a->rank)) {
                rc = emo__keras_fail(c, EMO_EFORMAT, "layer '%s': Add of tensors of different shapes", name);
                goto done;
            }
            char aname[128];
            snprintf(aname, sizeof(aname), i == n_in - 1 ? "%s" : "%s/partial%d", name, i);
            int pair[2] = { t, ins[i]->tensor };
            rc = emo__keras_emit_simple(c, EMO_NN_ADD, aname, pair, 2, a->rank, a->shape, &t);
            node = rc;
        }
    } else if (!strcmp(cls, "Flatten")) {
        node = in_node;
        rc = emo__keras_flatten(c, name, in_t, &t, &node);
    } else if (!strcmp(cls, "Dropout")) {
        t = in_t; /* identity at inference */
        node = in_node;
    } else {
        rc = emo__keras_fail(c, EMO_EUNSUPPORTED, "layer '%s': unsupported layer class '%s'", name, cls);
    }
done:
    emo__h5_weights_close(&lw);
    if (rc < 0)
        return rc;
    L->tensor = t;
    L->node = node;
    return 0;
}

/* inbound_nodes of a functional-model layer -> its input layers. */
static int resolve_inbound(Ctx *c, const char *name, const cJSON *layer, Layer **ins, int *n_in, int count_only)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(layer, "inbound_nodes");
    *n_in = 0;
    if (!nodes || (cJSON_IsArray(nodes) && cJSON_GetArraySize(nodes) == 0))
        return 0;
    if (!cJSON_IsArray(nodes))
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': inbound_nodes is not a list", name);
    if (cJSON_GetArraySize(nodes) != 1)
        return emo__keras_fail(c, EMO_EUNSUPPORTED,
                               "layer '%s' is shared (called %d times)", name, cJSON_GetArraySize(nodes));
    const cJSON *node = cJSON_GetArrayItem(nodes, 0);
    if (!cJSON_IsArray(node) || cJSON_GetArraySize(node) > EMO_NN_MAX_NODE_INPUTS)
        return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': bad inbound node", name);
    const cJSON *ref;
    cJSON_ArrayForEach(ref, node)
    {
        const cJSON *rn = cJSON_GetArrayItem(ref, 0);
        if (!cJSON_IsArray(ref) || !cJSON_IsString(rn))
            return emo__keras_fail(c, EMO_EFORMAT, "layer '%s': bad inbound reference", name);
        int ni = 0, ti = 0;
        const cJSON *jn = cJSON_GetArrayItem(ref, 1), *jt = cJSON_GetArrayItem(ref, 2);
        if ((jn && jint_value(jn, 0, 0, &ni)) || (jt && jint_value(jt, 0, 0, &ti)))
            return emo__keras_fail(c, EMO_EUNSUPPORTED,
                                   "layer '%s': reads another node or tensor of '%s'", name, rn->valuestring);
        Layer *src = find_layer(c, rn->valuestring);
        if (!src)
            return emo__keras_fail(c, EMO_EFORMAT, "layer '%s' reads unknown layer '%s'", name, rn->valuestring);
        if (count_only)
            src->consumers++;
        else
            ins[*n_in] = src;
        (*n_in)++;
    }
    return 0;
}

/* [[name, 0, 0], ...] of input_layers / output_layers -> layers. */
static int io_layers(Ctx *c, const cJSON *list, const char *what, Layer **out, int *n)
{
    *n = 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > 8)
        return emo__keras_fail(c, EMO_EFORMAT, "model %s must list 1 to 8 layers", what);
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *nm = cJSON_GetArrayItem(e, 0);
        int zero;
        const cJSON *jn = cJSON_GetArrayItem(e, 1), *jt = cJSON_GetArrayItem(e, 2);
        if (!cJSON_IsString(nm))
            return emo__keras_fail(c, EMO_EFORMAT, "model %s: bad entry", what);
        if ((jn && jint_value(jn, 0, 0, &zero)) || (jt && jint_value(jt, 0, 0, &zero)))
            return emo__keras_fail(c, EMO_EUNSUPPORTED,
                                   "model %s: '%s' is not a layer's first output", what, nm->valuestring);
        if (!(out[*n] = find_layer(c, nm->valuestring)))
            return emo__keras_fail(c, EMO_EFORMAT, "model %s: unknown layer '%s'", what, nm->valuestring);
        (*n)++;
    }
    return 0;
}

static int layer_name(Ctx *c, const cJSON *layer, int idx, const char **out)
{
    const char *name = jstr(layer, "name");
    if (!name)
        name = jstr(cJSON_GetObjectItemCaseSensitive(layer, "config"), "name");
    if (!name || !emo__h5_name_ok(name) || strlen(name) >= sizeof(((Layer *)0)->name) - 1)
        return emo__keras_fail(c, EMO_EFORMAT, "layer %d has no valid name", idx);
    *out = name;
    return 0;
}

static int load_model_config(Ctx *c, const char *json)
{
    int rc = 0;
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return emo__keras_fail(c, EMO_EFORMAT, "model_config is not valid JSON");
    const char *cls = jstr(root, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    int sequential = cls && !strcmp(cls, "Sequential");
    if (!cls || (!sequential && strcmp(cls, "Model") && strcmp(cls, "Functional"))) {
        rc = emo__keras_fail(c, EMO_EUNSUPPORTED, "model class '%s' (only Model and Sequential)", cls ? cls : "?");
        goto done;
    }
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n = cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : 0;
    if (n < 1 || n > MAX_LAYERS) {
        rc = emo__keras_fail(c, EMO_EFORMAT, "model_config lists %d layers (1 to %d expected)", n, MAX_LAYERS);
        goto done;
    }
    /* One more slot: a Sequential model without an InputLayer gets one. */
    if (!(c->layers = calloc((size_t)n + 1, sizeof(Layer)))) {
        rc = EMO_ENOMEM;
        goto done;
    }
    const cJSON *first = cJSON_GetArrayItem(layers, 0);
    int synth_input = sequential && !(jstr(first, "class_name") && !strcmp(jstr(first, "class_name"), "InputLayer"));
    if (synth_input) {
        Layer *L = &c->layers[c->n_layers++];
        snprintf(L->name, sizeof(L->name), "input");
        if ((rc = build_input(c, L, cJSON_GetObjectItemCaseSensitive(first, "config"))))
            goto done;
        L->consumers = 1;
    }
    const cJSON *ly;
    int idx = 0;
    cJSON_ArrayForEach(ly, layers)
    {
        const char *name = NULL;
        if ((rc = layer_name(c, ly, idx++, &name)))
            goto done;
        if (find_layer(c, name)) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "two layers named '%s'", name);
            goto done;
        }
        Layer *L = &c->layers[c->n_layers++];
        snprintf(L->name, sizeof(L->name), "%s", name);
        L->tensor = L->node = -1;
    }
    Layer *outs[8], *inputs[8];
    int n_out = 0, n_inp = 0;
    if (sequential) {
        for (int i = 0; i < c->n_layers; i++)
            c->layers[i].consumers = 1;
        outs[0] = &c->layers[c->n_layers - 1];
        n_out = 1;
    } else {
        idx = 0;
        cJSON_ArrayForEach(ly, layers)
        {
            int n_in;
            if ((rc = resolve_inbound(c, c->layers[idx].name, ly, NULL, &n_in, 1)))
                goto done;
            idx++;
        }
        if ((rc = io_layers(c, cJSON_GetObjectItemCaseSensitive(cfg, "output_layers"), "output_layers", outs, &n_out)) ||
            (rc = io_layers(c, cJSON_GetObjectItemCaseSensitive(cfg, "input_layers"), "input_layers", inputs, &n_inp)))
            goto done;
        for (int i = 0; i < n_out; i++)
            outs[i]->consumers++; /* a model output is never fused away */
    }
    idx = 0;
    cJSON_ArrayForEach(ly, layers)
    {
        Layer *L = &c->layers[idx + synth_input];
        const char *lcls = jstr(ly, "class_name");
        const cJSON *lcfg = cJSON_GetObjectItemCaseSensitive(ly, "config");
        Layer *ins[EMO_NN_MAX_NODE_INPUTS];
        int n_in = 0;
        if (!lcls || !cJSON_IsObject(lcfg)) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "layer '%s' has no class_name or config", L->name);
            goto done;
        }
        if (sequential) {
            if (idx + synth_input > 0) {
                ins[0] = &c->layers[idx + synth_input - 1];
                n_in = 1;
            }
        } else if ((rc = resolve_inbound(c, L->name, ly, ins, &n_in, 0))) {
            goto done;
        }
        if ((rc = build_layer(c, L, lcls, lcfg, ins, n_in)))
            goto done;
        if (sequential && idx + synth_input == 0)
            inputs[n_inp++] = L;
        idx++;
    }
    if (synth_input)
        inputs[n_inp++] = &c->layers[0];
    for (int i = 0; i < n_inp; i++) {
        int it = inputs[i]->tensor;
        if (it < 0 || T(c, it)->data || inputs[i]->node != -1 || strcmp(T(c, it)->name, inputs[i]->name)) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "model input '%s' is not an InputLayer", inputs[i]->name);
            goto done;
        }
        if ((rc = emo__nn_graph_mark_input(c->g, inputs[i]->tensor)))
            goto done;
    }
    for (int i = 0; i < n_out; i++) {
        if (outs[i]->tensor < 0 || c->g->tensors[outs[i]->tensor].is_input) {
            rc = emo__keras_fail(c, EMO_EFORMAT, "model output '%s' is not computed by the model", outs[i]->name);
            goto done;
        }
        if ((rc = emo__nn_graph_mark_output(c->g, outs[i]->tensor)))
            goto done;
        /* A folded or identity output layer shares its producer's tensor:
         * the output still goes by the output layer's name. */
        EmoNnTensor *ot = &c->g->tensors[outs[i]->tensor];
        snprintf(ot->name, sizeof(ot->name), "%s", outs[i]->name);
    }
done:
    cJSON_Delete(root);
    return rc;
}

int emo__nn_load_keras(EmoNnGraph *g, const char *path)
{
    Ctx c;
    memset(&c, 0, sizeof(c));
    c.g = g;
    c.h.path = path ? path : "(null)";
    if (!g || !path)
        return EMO_EINVAL;
    char *config = NULL;
    int rc = emo__h5_open(&c.h, g->log, path);
    if (rc)
        goto fail;
    if ((rc = emo__h5_model_config(&c.h, &config)) < 0)
        goto fail;
    int full_model = rc == 0;
    if ((rc = emo__h5_open_weight_root(&c.h, full_model)))
        goto fail;
    rc = full_model ? load_model_config(&c, config) : emo__keras_load_deepface(&c);
    if (rc)
        goto fail;
    if (g->n_inputs < 1 || g->n_outputs < 1 || g->n_nodes < 1) {
        rc = emo__keras_fail(&c, EMO_EFORMAT, "the model computes nothing");
        goto fail;
    }
    /* A small file can describe an enormous computation: refuse it here
     * rather than let a run take minutes. */
    if (emo__nn_graph_macs(g) > MAX_MACS) {
        rc = emo__keras_fail(&c, EMO_EUNSUPPORTED, "%.1f G multiply-adds per inference (limit %.0f G)",
                             (double)emo__nn_graph_macs(g) / 1e9, (double)MAX_MACS / 1e9);
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    emo__nn_graph_free(g);
done:
    free(config);
    free(c.layers);
    emo__h5_close(&c.h);
    return rc;
}
