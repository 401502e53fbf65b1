/* Canonical labels, synonyms, fusion, EMA and confusion matrices. */
#include <emoscope/emotion.h>

#include <math.h>
#include <string.h>
#include <strings.h>

static const char *const names[EMO_EMOTION_COUNT] = {
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
};

const char *emo_emotion_name(int e)
{
    return e >= 0 && e < EMO_EMOTION_COUNT ? names[e] : "?";
}

int emo_emotion_from_label(const char *label)
{
    static const struct {
        const char *word;
        int e;
    } syn[] = {
        { "angry", EMO_EMOTION_ANGRY }, { "anger", EMO_EMOTION_ANGRY }, { "mad", EMO_EMOTION_ANGRY },
        { "disgust", EMO_EMOTION_DISGUST }, { "disgusted", EMO_EMOTION_DISGUST },
        { "disgusting", EMO_EMOTION_DISGUST },
        { "fear", EMO_EMOTION_FEAR }, { "fearful", EMO_EMOTION_FEAR }, { "afraid", EMO_EMOTION_FEAR },
        { "scared", EMO_EMOTION_FEAR },
        { "happy", EMO_EMOTION_HAPPY }, { "happiness", EMO_EMOTION_HAPPY }, { "joy", EMO_EMOTION_HAPPY },
        { "sad", EMO_EMOTION_SAD }, { "sadness", EMO_EMOTION_SAD },
        { "surprise", EMO_EMOTION_SURPRISE }, { "surprised", EMO_EMOTION_SURPRISE },
        { "neutral", EMO_EMOTION_NEUTRAL }, { "neutrality", EMO_EMOTION_NEUTRAL },
        { "calm", EMO_EMOTION_NEUTRAL },
    };
    if (!label)
        return -1;
    /* Trim surrounding blanks (labels come from config lists and JSON). */
    while (*label == ' ' || *label == '\t')
        label++;
    size_t n = strlen(label);
    while (n && (label[n - 1] == ' ' || label[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof(syn) / sizeof(syn[0]); i++)
        if (strlen(syn[i].word) == n && !strncasecmp(syn[i].word, label, n))
            return syn[i].e;
    return -1;
}

int emo_emotion_fusion_parse(const char *s, EmoEmotionFusion *out)
{
    if (!s || !out)
        return EMO_EINVAL;
    if (!strcasecmp(s, "mean") || !strcasecmp(s, "arithmetic")) {
        *out = EMO_FUSION_MEAN;
        return 0;
    }
    if (!strcasecmp(s, "geometric") || !strcasecmp(s, "log-linear") || !strcasecmp(s, "loglinear")) {
        *out = EMO_FUSION_GEOMETRIC;
        return 0;
    }
    return EMO_EINVAL;
}

int emo_emotion_fuse(const float (*probs)[EMO_EMOTION_COUNT], const double *weights,
                     const int *available, int n, EmoEmotionFusion mode,
                     float out[EMO_EMOTION_COUNT])
{
    double acc[EMO_EMOTION_COUNT] = { 0 };
    double wsum = 0;
    for (int i = 0; i < n; i++) {
        if ((available && !available[i]) || !(weights[i] > 0))
            continue;
        wsum += weights[i];
        for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
            double p = probs[i][k];
            if (mode == EMO_FUSION_GEOMETRIC)
                acc[k] += weights[i] * log(p > 1e-7 ? p : 1e-7);
            else
                acc[k] += weights[i] * p;
        }
    }
    if (!(wsum > 0)) {
        for (int k = 0; k < EMO_EMOTION_COUNT; k++)
            out[k] = 1.0f / EMO_EMOTION_COUNT;
        return EMO_EAGAIN;
    }
    double sum = 0;
    if (mode == EMO_FUSION_GEOMETRIC) {
        double mx = -INFINITY;
        for (int k = 0; k < EMO_EMOTION_COUNT; k++)
            if (acc[k] / wsum > mx)
                mx = acc[k] / wsum;
        for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
            acc[k] = exp(acc[k] / wsum - mx);
            sum += acc[k];
        }
    } else {
        for (int k = 0; k < EMO_EMOTION_COUNT; k++) {
            acc[k] /= wsum;
            sum += acc[k];
        }
    }
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        out[k] = (float)(sum > 0 ? acc[k] / sum : 1.0 / EMO_EMOTION_COUNT);
    return 0;
}

int emo_emotion_argmax(const float p[EMO_EMOTION_COUNT])
{
    int best = 0;
    for (int k = 1; k < EMO_EMOTION_COUNT; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

void emo_ema_init(EmoEma *e, double alpha)
{
    memset(e, 0, sizeof(*e));
    e->alpha = alpha > 1 ? 1 : alpha > 0 ? alpha : 1;
}

void emo_ema_update(EmoEma *e, const float x[EMO_EMOTION_COUNT])
{
    for (int k = 0; k < EMO_EMOTION_COUNT; k++)
        e->value[k] = e->primed ? (float)(e->alpha * x[k] + (1 - e->alpha) * e->value[k]) : x[k];
    e->primed = 1;
}

void emo_confusion_add(EmoConfusion *c, int truth, int predicted)
{
    if (truth < 0 || truth >= EMO_EMOTION_COUNT || predicted < 0 || predicted >= EMO_EMOTION_COUNT)
        return;
    c->m[truth][predicted]++;
    c->total++;
    c->correct += truth == predicted;
}

void emo_confusion_merge(EmoConfusion *dst, const EmoConfusion *src)
{
    for (int i = 0; i < EMO_EMOTION_COUNT; i++)
        for (int j = 0; j < EMO_EMOTION_COUNT; j++)
            dst->m[i][j] += src->m[i][j];
    dst->total += src->total;
    dst->correct += src->correct;
}

double emo_confusion_accuracy(const EmoConfusion *c)
{
    return c->total ? (double)c->correct / (double)c->total : 0.0;
}

double emo_confusion_recall(const EmoConfusion *c, int k)
{
    if (k < 0 || k >= EMO_EMOTION_COUNT)
        return -1;
    uint64_t row = 0;
    for (int j = 0; j < EMO_EMOTION_COUNT; j++)
        row += c->m[k][j];
    return row ? (double)c->m[k][k] / (double)row : -1;
}
