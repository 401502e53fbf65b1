/*
 * XNNPACK backend: one XNNPACK subgraph value per graph tensor, one node
 * (sometimes two) per graph node, built once at open; a run is one
 * xnn_invoke_runtime on buffers bound at open.
 *
 * Debian 12's XNNPACK (2022 snapshot) has no concatenate. A CONCAT that
 * produces a model output (BlazeFace's heads) is not built: each of its
 * inputs becomes an external output of its own,
 * written straight into its slice of the output buffer when the slices are
 * contiguous (all axes before the concatenation axis are 1, as BlazeFace's
 * [1,896,16] heads), copied after the run otherwise.
 */
#include "nn/xnn_internal.h"

#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

typedef struct Piece {     /* concatenation input written outside its slice */
    float *scratch;
    int tensor;
} Piece;

typedef struct CopyOut {   /* one non-contiguous output concatenation */
    int node;
    float *dst;
} CopyOut;

struct EmoNnXnn {
    xnn_runtime_t rt;
    pthreadpool_t pool;
    int threads;
    const EmoNnGraph *g;
    float **consts;        /* zero biases made here */
    int n_consts;
    Piece *pieces;         /* indexed by tensor id: scratch of non-contiguous pieces */
    CopyOut copies[8];
    int n_copies;
};

static const char *status_name(enum xnn_status s)
{
    switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
    default: return "error";
    }
}

typedef EmoNnXnnBuild Build;

static int define_value(Build *b, int t, uint32_t ext_id, uint32_t flags)
{
    const EmoNnTensor *tt = &b->g->tensors[t];
    size_t dims[4];
    for (int i = 0; i < tt->rank; i++)
        dims[i] = (size_t)tt->shape[i];
    enum xnn_status s = xnn_define_tensor_value(b->sg, xnn_datatype_fp32, (size_t)tt->rank, dims, tt->data, ext_id,
                                                flags, &b->vid[t]);
    if (s != xnn_status_success) {
        emo_log(b->g->log, EMO_LOG_ERROR, "%s: XNNPACK rejects tensor %s: %s", b->path, tt->name, status_name(s));
        return EMO_EINTERNAL;
    }
    return 0;
}

int emo__xnn_value(Build *b, int t, uint32_t *id)
{
    if (b->vid[t] == XNN_INVALID_VALUE_ID) {
        int err = define_value(b, t, XNN_INVALID_VALUE_ID, 0);
        if (err)
            return err;
    }
    *id = b->vid[t];
    return 0;
}

int emo__xnn_temp(Build *b, int rank, const size_t *dims, uint32_t *id)
{
    enum xnn_status s = xnn_define_tensor_value(b->sg, xnn_datatype_fp32, (size_t)rank, dims, NULL,
                                                XNN_INVALID_VALUE_ID, 0, id);
    return s == xnn_status_success ? 0 : EMO_EINTERNAL;
}

int emo__xnn_owned_const(Build *b, int rank, const size_t *dims, float **data, uint32_t *id)
{
    EmoNnXnn *x = b->x;
    size_t count = 1;
    for (int d = 0; d < rank; d++)
        count *= dims[d];
    float **c = realloc(x->consts, sizeof(*c) * (size_t)(x->n_consts + 1));
    if (!c)
        return EMO_ENOMEM;
    x->consts = c;
    /* XNNPACK may read static data a vector past its end. */
    float *z = calloc(count + EMO_NN_BUFFER_SLACK / sizeof(float), sizeof(float));
    if (!z)
        return EMO_ENOMEM;
    x->consts[x->n_consts++] = z;
    *data = z;
    enum xnn_status s =
        xnn_define_tensor_value(b->sg, xnn_datatype_fp32, (size_t)rank, dims, z, XNN_INVALID_VALUE_ID, 0, id);
    return s == xnn_status_success ? 0 : EMO_EINTERNAL;
}

static int zero_bias(Build *b, int count, uint32_t *id)
{
    size_t dims[1] = { (size_t)count };
    float *z;
    return emo__xnn_owned_const(b, 1, dims, &z, id);
}

static int has_clamp(const EmoNnNode *n)
{
    return n->act_min != -INFINITY || n->act_max != INFINITY;
}

static int build_node(Build *b, int i)
{
    const EmoNnGraph *g = b->g;
    const EmoNnNode *n = &g->nodes[i];
    const EmoNnTensor *ot = &g->tensors[n->output];
    uint32_t in, w = 0, bias = 0, out, final;
    int err;
    if ((err = emo__xnn_value(b, n->inputs[0], &in)) || (err = emo__xnn_value(b, n->output, &final)))
        return err;
    if (n->weights >= 0 && (err = emo__xnn_value(b, n->weights, &w)))
        return err;
    out = final;
    /* Ops without an output range get a separate clamp. */
    int fused = n->op == EMO_NN_CONV2D || n->op == EMO_NN_DEPTHWISE_CONV2D || n->op == EMO_NN_ADD ||
                n->op == EMO_NN_MAX_POOL || n->op == EMO_NN_AVG_POOL || n->op == EMO_NN_GLOBAL_AVG_POOL ||
                n->op == EMO_NN_DENSE || n->op == EMO_NN_CLAMP || n->op == EMO_NN_SUB || n->op == EMO_NN_MUL ||
                n->op == EMO_NN_DIV || n->op == EMO_NN_CONCAT;
    if (!fused && has_clamp(n)) {
        size_t dims[4];
        for (int d = 0; d < ot->rank; d++)
            dims[d] = (size_t)ot->shape[d];
        if ((err = emo__xnn_temp(b, ot->rank, dims, &out)))
            return err;
    }
    const float lo = n->act_min, hi = n->act_max;
    enum xnn_status s = xnn_status_success;
    switch (n->op) {
    case EMO_NN_CONV2D:
    case EMO_NN_DEPTHWISE_CONV2D: {
        const EmoNnTensor *wt = &g->tensors[n->weights];
        int cout = n->op == EMO_NN_CONV2D ? wt->shape[0] : wt->shape[3];
        if (n->bias >= 0)
            err = emo__xnn_value(b, n->bias, &bias);
        else
            err = zero_bias(b, cout, &bias);
        if (err)
            return err;
        if (n->op == EMO_NN_CONV2D)
            s = xnn_define_convolution_2d(b->sg, (uint32_t)n->pad_top, (uint32_t)n->pad_right,
                                          (uint32_t)n->pad_bottom, (uint32_t)n->pad_left, (uint32_t)n->kernel_h,
                                          (uint32_t)n->kernel_w, (uint32_t)n->stride_h, (uint32_t)n->stride_w,
                                          (uint32_t)n->dilation_h, (uint32_t)n->dilation_w, 1,
                                          (size_t)wt->shape[3], (size_t)cout, lo, hi, in, w, bias, out, 0);
        else
            s = xnn_define_depthwise_convolution_2d(
                b->sg, (uint32_t)n->pad_top, (uint32_t)n->pad_right, (uint32_t)n->pad_bottom, (uint32_t)n->pad_left,
                (uint32_t)n->kernel_h, (uint32_t)n->kernel_w, (uint32_t)n->stride_h, (uint32_t)n->stride_w,
                (uint32_t)n->dilation_h, (uint32_t)n->dilation_w, (uint32_t)n->depth_multiplier,
                (size_t)g->tensors[n->inputs[0]].shape[3], lo, hi, in, w, bias, out, 0);
        break;
    }
    case EMO_NN_PRELU:
        s = xnn_define_prelu(b->sg, in, w, out, 0);
        break;
    case EMO_NN_CLAMP:
        s = xnn_define_clamp(b->sg, lo, hi, in, out, 0);
        break;
    case EMO_NN_MAX_POOL:
    case EMO_NN_AVG_POOL:
        if (n->kernel_h * n->kernel_w < 2) {
            emo_log(g->log, EMO_LOG_ERROR, "%s: node %d: 1x1 pooling is not supported", b->path, i);
            return EMO_EUNSUPPORTED;
        }
        /* XNNPACK's average pooling divides by the number of pixels
         * inside the image when there is padding (TensorFlow semantics);
         * tests/nn/test_xnn_vs_ref.c checks it against ref.c. */
        if (n->op == EMO_NN_MAX_POOL)
            s = xnn_define_max_pooling_2d(b->sg, (uint32_t)n->pad_top, (uint32_t)n->pad_right,
                                          (uint32_t)n->pad_bottom, (uint32_t)n->pad_left, (uint32_t)n->kernel_h,
                                          (uint32_t)n->kernel_w, (uint32_t)n->stride_h, (uint32_t)n->stride_w, 1, 1,
                                          lo, hi, in, out, 0);
        else
            s = xnn_define_average_pooling_2d(b->sg, (uint32_t)n->pad_top, (uint32_t)n->pad_right,
                                              (uint32_t)n->pad_bottom, (uint32_t)n->pad_left, (uint32_t)n->kernel_h,
                                              (uint32_t)n->kernel_w, (uint32_t)n->stride_h, (uint32_t)n->stride_w,
                                              lo, hi, in, out, 0);
        break;
    case EMO_NN_GLOBAL_AVG_POOL: {
        uint32_t pooled = out;
        size_t dims[4] = { 1, 1, 1, (size_t)g->tensors[n->inputs[0]].shape[3] };
        if (ot->rank != 4 && (err = emo__xnn_temp(b, 4, dims, &pooled)))
            return err;
        s = xnn_define_global_average_pooling_2d(b->sg, lo, hi, in, pooled, 0);
        if (s == xnn_status_success && pooled != out) {
            size_t shape[4];
            for (int d = 0; d < ot->rank; d++)
                shape[d] = (size_t)ot->shape[d];
            s = xnn_define_static_reshape(b->sg, (size_t)ot->rank, shape, pooled, out, 0);
        }
        break;
    }
    case EMO_NN_PAD_CHANNELS: {
        size_t pre[4] = { 0 }, post[4] = { 0 };
        int r = ot->rank;
        pre[r - 1] = (size_t)n->pad_before;
        post[r - 1] = (size_t)n->pad_after;
        s = xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, in, out, 0);
        break;
    }
    case EMO_NN_RESHAPE: {
        size_t shape[4];
        for (int d = 0; d < ot->rank; d++)
            shape[d] = (size_t)ot->shape[d];
        s = xnn_define_static_reshape(b->sg, (size_t)ot->rank, shape, in, out, 0);
        break;
    }
    case EMO_NN_DENSE: {
        const EmoNnTensor *wt = &g->tensors[n->weights];
        uint32_t fc = out;
        size_t dims[2] = { 1, (size_t)wt->shape[0] };
        if (ot->rank != 2 && (err = emo__xnn_temp(b, 2, dims, &fc)))
            return err;
        if (n->bias >= 0)
            err = emo__xnn_value(b, n->bias, &bias);
        else
            bias = XNN_INVALID_VALUE_ID;
        if (err)
            return err;
        s = xnn_define_fully_connected(b->sg, lo, hi, in, w, bias, fc, XNN_FLAG_TENSORFLOW_RESHAPE_2D);
        if (s == xnn_status_success && fc != out) {
            size_t shape[4];
            for (int d = 0; d < ot->rank; d++)
                shape[d] = (size_t)ot->shape[d];
            s = xnn_define_static_reshape(b->sg, (size_t)ot->rank, shape, fc, out, 0);
        }
        break;
    }
    case EMO_NN_SOFTMAX:
        s = xnn_define_softmax(b->sg, in, out, 0);
        break;
    case EMO_NN_SIGMOID:
        s = xnn_define_sigmoid(b->sg, in, out, 0);
        break;
    case EMO_NN_RESIZE_BILINEAR: {
        /* XNNPACK's default is half-pixel centres; its align-corners scale
         * divides by out - 1, which TensorFlow defines as 0 for out 1. */
        static const uint32_t flags[] = { 0, XNN_FLAG_ALIGN_CORNERS, XNN_FLAG_TENSORFLOW_LEGACY_MODE };
        if (n->resize == EMO_NN_RESIZE_ALIGN_CORNERS && (ot->shape[1] < 2 || ot->shape[2] < 2)) {
            emo_log(g->log, EMO_LOG_ERROR, "%s: node %d: RESIZE_BILINEAR with align_corners to a side of 1 pixel "
                    "is not supported", b->path, i);
            return EMO_EUNSUPPORTED;
        }
        s = xnn_define_static_resize_bilinear_2d(b->sg, (size_t)ot->shape[1], (size_t)ot->shape[2], in, out,
                                                 flags[n->resize]);
        break;
    }
    default:
        if (!emo__xnn_is_composed(n->op) || (err = emo__xnn_compose(b, i, in, out)))
            return err ? err : EMO_EUNSUPPORTED;
        break;
    }
    if (s == xnn_status_success && out != final)
        s = xnn_define_clamp(b->sg, lo, hi, out, final, 0);
    if (s != xnn_status_success) {
        emo_log(g->log, EMO_LOG_ERROR, "%s: XNNPACK rejects node %d (%s -> %s): %s", b->path, i,
                emo__nn_op_name(n->op), ot->name, status_name(s));
        return EMO_EUNSUPPORTED;
    }
    return 0;
}

/* The node producing tensor t, or -1. */
static int producer(const EmoNnGraph *g, int t)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].output == t)
            return i;
    return -1;
}

/* Marks in skip the nodes whose output no model output depends on. XNNPACK
 * gives a value nobody reads no memory, so such a node (a damaged file can
 * hold one) must not be built. */
static int skip_dead_nodes(const EmoNnGraph *g, unsigned char *skip)
{
    unsigned char *live = calloc((size_t)g->n_tensors, 1);
    if (!live)
        return EMO_ENOMEM;
    for (int k = 0; k < g->n_outputs; k++)
        live[g->outputs[k]] = 1;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const EmoNnNode *n = &g->nodes[i];
        skip[i] = !live[n->output];
        for (int k = 0; k < n->n_inputs && !skip[i]; k++)
            live[n->inputs[k]] = 1;
    }
    free(live);
    return 0;
}

int emo__nn_xnn_threads(const EmoNnXnn *x)
{
    return x ? x->threads : 0;
}

int emo__nn_xnn_create(EmoNnXnn **out, const EmoNnGraph *g, float *const *inputs, float *const *outputs, int threads,
                       const char *path)
{
    *out = NULL;
    Build b = { .g = g, .path = path ? path : "model" };
    struct xnn_external_value ext[EMO_NN_MAX_NODE_INPUTS * 8 + 8];
    uint32_t n_ext = 0;
    int err = EMO_EINTERNAL;
    unsigned char *skip = NULL;

    enum xnn_status s = xnn_initialize(NULL);
    if (s != xnn_status_success) {
        emo_log(g->log, EMO_LOG_ERROR, "XNNPACK initialisation failed: %s", status_name(s));
        return s == xnn_status_unsupported_hardware ? EMO_EUNSUPPORTED : EMO_EINTERNAL;
    }
    EmoNnXnn *x = calloc(1, sizeof(*x));
    b.x = x;
    b.vid = malloc(sizeof(*b.vid) * (size_t)g->n_tensors);
    skip = calloc((size_t)g->n_nodes, 1);
    if (!x || !b.vid || !skip) {
        err = EMO_ENOMEM;
        goto fail;
    }
    x->g = g;
    x->pieces = calloc((size_t)g->n_tensors, sizeof(*x->pieces));
    if (!x->pieces) {
        err = EMO_ENOMEM;
        goto fail;
    }
    for (int t = 0; t < g->n_tensors; t++)
        b.vid[t] = XNN_INVALID_VALUE_ID;
    if ((err = skip_dead_nodes(g, skip)))
        goto fail;

    /* External values: inputs, then outputs (or the pieces of an output
     * concatenation). */
    if (xnn_create_subgraph((uint32_t)(sizeof(ext) / sizeof(ext[0])), 0, &b.sg) != xnn_status_success)
        goto fail;
    for (int k = 0; k < g->n_inputs; k++) {
        if ((err = define_value(&b, g->inputs[k], n_ext, XNN_VALUE_FLAG_EXTERNAL_INPUT)))
            goto fail;
        ext[n_ext].id = n_ext;
        ext[n_ext++].data = inputs[k];
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int t = g->outputs[k];
        int p = producer(g, t);
        const EmoNnNode *n = p >= 0 ? &g->nodes[p] : NULL;
        if (!n || n->op != EMO_NN_CONCAT) {
            if ((err = define_value(&b, t, n_ext, XNN_VALUE_FLAG_EXTERNAL_OUTPUT)))
                goto fail;
            ext[n_ext].id = n_ext;
            ext[n_ext++].data = outputs[k];
            continue;
        }
        if (has_clamp(n)) {
            emo_log(g->log, EMO_LOG_ERROR, "%s: a fused activation on an output CONCATENATION is not supported",
                    b.path);
            err = EMO_EUNSUPPORTED;
            goto fail;
        }
        skip[p] = 1;
        const EmoNnTensor *ot = &g->tensors[t];
        size_t outer = 1, inner = 1;
        for (int d = 0; d < n->axis; d++)
            outer *= (size_t)ot->shape[d];
        for (int d = n->axis + 1; d < ot->rank; d++)
            inner *= (size_t)ot->shape[d];
        size_t offset = 0;
        for (int j = 0; j < n->n_inputs; j++) {
            int pt = n->inputs[j];
            const EmoNnTensor *it = &g->tensors[pt];
            if (it->is_input || it->is_output || b.vid[pt] != XNN_INVALID_VALUE_ID) {
                emo_log(g->log, EMO_LOG_ERROR,
                        "%s: output CONCATENATION input %s is a model input or output, or used twice", b.path,
                        it->name);
                err = EMO_EUNSUPPORTED;
                goto fail;
            }
            if ((err = define_value(&b, pt, n_ext, XNN_VALUE_FLAG_EXTERNAL_OUTPUT)))
                goto fail;
            float *dst;
            if (outer == 1) {
                dst = outputs[k] + offset;
            } else {
                x->pieces[pt].scratch = aligned_alloc(64, (emo__nn_tensor_count(it) * sizeof(float) + 127) / 64 * 64);
                if (!x->pieces[pt].scratch) {
                    err = EMO_ENOMEM;
                    goto fail;
                }
                dst = x->pieces[pt].scratch;
            }
            ext[n_ext].id = n_ext;
            ext[n_ext++].data = dst;
            offset += (size_t)it->shape[n->axis] * inner;
        }
        if (outer != 1) {
            x->copies[x->n_copies].node = p;
            x->copies[x->n_copies++].dst = outputs[k];
        }
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (!skip[i] && (err = build_node(&b, i)))
            goto fail;

    if (threads > 1) {
        x->pool = pthreadpool_create((size_t)threads);
        if (!x->pool) {
            err = EMO_ENOMEM;
            goto fail;
        }
    }
    x->threads = threads > 1 ? threads : 1;
    s = xnn_create_runtime_v2(b.sg, x->pool, 0, &x->rt);
    if (s != xnn_status_success) {
        emo_log(g->log, EMO_LOG_ERROR, "%s: XNNPACK cannot build the runtime: %s", b.path, status_name(s));
        err = s == xnn_status_out_of_memory ? EMO_ENOMEM : EMO_EUNSUPPORTED;
        goto fail;
    }
    s = xnn_setup_runtime(x->rt, n_ext, ext);
    if (s != xnn_status_success) {
        emo_log(g->log, EMO_LOG_ERROR, "%s: XNNPACK runtime setup failed: %s", b.path, status_name(s));
        goto fail;
    }
    xnn_delete_subgraph(b.sg);
    free(b.vid);
    free(skip);
    *out = x;
    return 0;
fail:
    if (b.sg)
        xnn_delete_subgraph(b.sg);
    free(b.vid);
    free(skip);
    emo__nn_xnn_destroy(&x);
    return err ? err : EMO_EINTERNAL;
}

int emo__nn_xnn_run(EmoNnXnn *x)
{
    enum xnn_status s = xnn_invoke_runtime(x->rt);
    if (s != xnn_status_success) {
        emo_log(x->g->log, EMO_LOG_ERROR, "XNNPACK run failed: %s", status_name(s));
        return EMO_EINTERNAL;
    }
    for (int c = 0; c < x->n_copies; c++) {
        const EmoNnGraph *g = x->g;
        const EmoNnNode *n = &g->nodes[x->copies[c].node];
        const EmoNnTensor *ot = &g->tensors[n->output];
        size_t outer = 1, inner = 1;
        for (int d = 0; d < n->axis; d++)
            outer *= (size_t)ot->shape[d];
        for (int d = n->axis + 1; d < ot->rank; d++)
            inner *= (size_t)ot->shape[d];
        size_t row = (size_t)ot->shape[n->axis] * inner, offset = 0;
        for (int j = 0; j < n->n_inputs; j++) {
            const EmoNnTensor *it = &g->tensors[n->inputs[j]];
            size_t len = (size_t)it->shape[n->axis] * inner;
            const float *src = x->pieces[n->inputs[j]].scratch;
            for (size_t o = 0; o < outer; o++)
                memcpy(x->copies[c].dst + o * row + offset, src + o * len, len * sizeof(float));
            offset += len;
        }
    }
    return 0;
}

void emo__nn_xnn_destroy(EmoNnXnn **px)
{
    if (!px || !*px)
        return;
    EmoNnXnn *x = *px;
    if (x->rt)
        xnn_delete_runtime(x->rt);
    if (x->pool)
        pthreadpool_destroy(x->pool);
    for (int i = 0; i < x->n_consts; i++)
        free(x->consts[i]);
    free(x->consts);
    if (x->pieces && x->g)
        for (int t = 0; t < x->g->n_tensors; t++)
            free(x->pieces[t].scratch);
    free(x->pieces);
    free(x);
    *px = NULL;
}
