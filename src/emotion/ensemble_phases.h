/* emo_ensemble_analyze() in two halves, for callers that run the models of
 * several faces at once on several threads (src/pipeline):
 *
 *   due = emo__ensemble_due(e, id, t);              would analyze run the models now?
 *   emo__ensemble_infer(e_k, face, &run);           the local models only, on ensemble
 *                                                   e_k's instances (one per thread)
 *   emo__ensemble_analyze_with(e, id, t, face, &run, &res);  the rest: scheduling,
 *                                                   API, fusion, EMA, history
 *
 * gives exactly what emo_ensemble_analyze(e, id, t, face, &res) gives, when
 * e_k was opened with the same models. infer touches only e_k's model
 * instances and run (no face state): concurrent calls need distinct
 * ensembles. analyze_with uses run only when the models are due (else it
 * is ignored); with run NULL, or not filled by infer, it runs the models
 * itself. Private to src/emotion and src/pipeline. */
#ifndef EMOSCOPE_EMOTION_ENSEMBLE_PHASES_H
#define EMOSCOPE_EMOTION_ENSEMBLE_PHASES_H

#include <emoscope/emotion.h>

typedef struct EmoEnsembleRun {
    int n_models;                 /* local models run; 0: not filled */
    int err;                      /* what running them returned */
    float probs[EMO_EMOTION_MAX_MODELS][EMO_EMOTION_COUNT];
    int avail[EMO_EMOTION_MAX_MODELS];
} EmoEnsembleRun;

int emo__ensemble_due(const EmoEnsemble *e, int face_id, double t);
int emo__ensemble_infer(EmoEnsemble *e, const EmoImage *face, EmoEnsembleRun *run);
int emo__ensemble_analyze_with(EmoEnsemble *e, int face_id, double t, const EmoImage *face, const EmoEnsembleRun *run,
                               EmoEmotionResult *res);

#endif
