/* The result records (records.h). Numbers are rounded to what they mean
 * (1e-6 s of stream time, 1e-5 of a probability, 1e-3 px of motion) so that
 * outputs are short and stable from run to run. */
#define _POSIX_C_SOURCE 200809L
#include "io/records.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <emoscope/face.h>

/* Rounds to 'scale' steps per unit. */
static double rnd(double x, double scale)
{
    return round(x * scale) / scale;
}

static double r6(double x)
{
    return rnd(x, 1e6);
}

/* The motion numbers: a NaN or infinity (a degenerate flow) becomes 0. */
static double r3(double x)
{
    return isfinite(x) ? rnd(x, 1e3) : 0.0;
}

static double r4(double x)
{
    return isfinite(x) ? rnd(x, 1e4) : 0.0;
}

static cJSON *probs_object(const float *probs)
{
    cJSON *o = cJSON_CreateObject();
    for (int e = 0; o && e < EMO_EMOTION_COUNT; e++)
        cJSON_AddNumberToObject(o, emo_emotion_name(e), rnd(probs[e], 1e5));
    return o;
}

static void add_emotion(cJSON *rec, const EmoEmotionResult *er)
{
    cJSON *emo = cJSON_AddObjectToObject(rec, "emotion");
    if (!emo)
        return;
    cJSON_AddStringToObject(emo, "dominant", emo_emotion_name(er->dominant));
    cJSON_AddBoolToObject(emo, "fresh", er->fresh);
    cJSON_AddItemToObject(emo, "fused", probs_object(er->fused));
    cJSON_AddItemToObject(emo, "smoothed", probs_object(er->smoothed));
    cJSON *models = cJSON_AddObjectToObject(emo, "models");
    for (int m = 0; models && m < er->n_models; m++)
        cJSON_AddItemToObject(models, er->model_names[m],
                              er->available[m] ? probs_object(er->model_probs[m]) : cJSON_CreateNull());
    cJSON_AddNumberToObject(emo, "api_age", er->api_age);
}

cJSON *emo__record_motion(const EmoMotionFrame *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "has_flow", m->has_flow);
    cJSON_AddNumberToObject(o, "frame_gap", m->frame_gap);
    cJSON *head = cJSON_AddArrayToObject(o, "head_affine");
    /* Translations to 1e-3 px, the linear terms (px per px) to 1e-4. */
    for (int i = 0; head && i < 6; i++)
        cJSON_AddItemToArray(head, cJSON_CreateNumber(i == 0 || i == 3 ? r3(m->head[i]) : r4(m->head[i])));
    cJSON_AddNumberToObject(o, "head_dx", r3(m->head_dx));
    cJSON_AddNumberToObject(o, "head_dy", r3(m->head_dy));
    cJSON_AddNumberToObject(o, "head_inliers", r3(m->head_inliers));
    cJSON_AddNumberToObject(o, "mean_magnitude", r3(m->mean_magnitude));
    cJSON *act = cJSON_AddArrayToObject(o, "active");
    cJSON *regs = cJSON_AddObjectToObject(o, "regions");
    for (int i = 0; regs && act && i < EMO_REGION_COUNT; i++) {
        const EmoRegionMotion *rm = &m->region[i];
        cJSON *g = cJSON_AddObjectToObject(regs, emo_region_name(i));
        if (!g)
            break;
        cJSON_AddNumberToObject(g, "magnitude", r3(rm->magnitude));
        cJSON_AddStringToObject(g, "direction", emo_direction_name(rm->direction));
        cJSON_AddNumberToObject(g, "angle", r3(rm->direction_deg));
        cJSON_AddNumberToObject(g, "dx", r3(rm->dx));
        cJSON_AddNumberToObject(g, "dy", r3(rm->dy));
        cJSON_AddNumberToObject(g, "flow_dx", r3(rm->flow_dx));
        cJSON_AddNumberToObject(g, "flow_dy", r3(rm->flow_dy));
        cJSON_AddBoolToObject(g, "active", rm->active);
        if (rm->active)
            cJSON_AddItemToArray(act, cJSON_CreateString(emo_region_name(i)));
    }
    cJSON_AddNumberToObject(o, "events", m->n_events);
    cJSON_AddBoolToObject(o, "speaking", m->speaking);
    cJSON_AddNumberToObject(o, "eye_open", r3(m->eye_open));
    cJSON_AddNumberToObject(o, "mouth_open", r3(m->mouth_open));
    return o;
}

/* Box and landmark coordinates to two decimals (a hundredth of a pixel is
 * below any model's precision), halves away from zero. Kept as this exact
 * expression, not rnd(), so that the numbers stay those written so far. */
static cJSON *coords_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *x = cJSON_CreateNumber((double)(long long)((double)v[i] * 100.0 + (v[i] >= 0 ? 0.5 : -0.5)) / 100.0);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* Adds the coordinates v[0..n) to rec as the array 'name'; -1 when out of
 * memory (the array, not being in rec, is freed here). */
static int add_coords(cJSON *rec, const char *name, const float *v, int n)
{
    cJSON *a = coords_array(v, n);
    if (a && cJSON_AddItemToObject(rec, name, a))
        return 0;
    cJSON_Delete(a);
    return -1;
}

/* The face's fields of a frame record: face_id, detected, tracked, the two
 * scores, box, size and its low-confidence mark, pose and, when asked, the landmarks. Unlike the other fields
 * these are checked: a frame record without its face would be meaningless.
 * 0, or -1 when out of memory (rec then holds part of them). */
static int add_face(cJSON *rec, const EmoFace *f, int with_landmarks)
{
    if (!cJSON_AddNumberToObject(rec, "face_id", f->id) ||
        !cJSON_AddBoolToObject(rec, "detected", !!(f->flags & EMO_FACE_DETECTED)) ||
        !cJSON_AddBoolToObject(rec, "tracked", !!(f->flags & EMO_FACE_TRACKED)) ||
        !cJSON_AddNumberToObject(rec, "detection_score", (double)f->detection_score) ||
        !cJSON_AddNumberToObject(rec, "landmark_score", (double)f->presence) || add_coords(rec, "box", f->box, 4) < 0 ||
        !cJSON_AddNumberToObject(rec, "size_px", rnd(f->size_px, 1e2)) ||
        !cJSON_AddBoolToObject(rec, "low_confidence", !!(f->flags & EMO_FACE_LOW_CONFIDENCE)))
        return -1;
    cJSON *pose = cJSON_AddObjectToObject(rec, "pose");
    if (!pose || !cJSON_AddNumberToObject(pose, "yaw", (double)f->yaw) ||
        !cJSON_AddNumberToObject(pose, "pitch", (double)f->pitch) ||
        !cJSON_AddNumberToObject(pose, "roll", (double)f->roll))
        return -1;
    /* 468 mesh points, or 478 with the landmarker's irises (README, outputs). */
    int points = f->n_landmarks == EMO_FACE_LANDMARKS_MAX ? EMO_FACE_LANDMARKS_MAX : EMO_FACE_LANDMARKS;
    if (with_landmarks && add_coords(rec, "landmarks", &f->landmarks[0][0], points * 3) < 0)
        return -1;
    return 0;
}

/* The face's facial actions: "blendshapes" {name: score} in MediaPipe's
 * order and "au" {"AU1": intensity, ...} in the table's order. */
static void add_actions(cJSON *rec, const EmoPipelineFace *pf)
{
    cJSON *bs = cJSON_AddObjectToObject(rec, "blendshapes");
    for (int i = 0; bs && i < EMO_BLENDSHAPES; i++)
        cJSON_AddNumberToObject(bs, emo_blendshape_name(i), r4(pf->blendshapes[i]));
    cJSON *au = cJSON_AddObjectToObject(rec, "au");
    for (int i = 0; au && i < EMO_ACTION_UNITS; i++) {
        char key[16];
        snprintf(key, sizeof(key), "AU%d", emo_action_unit_number(i));
        cJSON_AddNumberToObject(au, key, r4(pf->au[i]));
    }
}

/* Angles to a hundredth of a degree; null where the eye gave none. */
static void add_angle(cJSON *o, const char *name, int valid, float deg)
{
    if (valid)
        cJSON_AddNumberToObject(o, name, rnd(deg, 1e2));
    else
        cJSON_AddNullToObject(o, name);
}

/* "gaze": valid, yaw, pitch (combined) and per eye "right" / "left":
 * valid, yaw, pitch, head_yaw, head_pitch, openness (docs/face.md, "Gaze").
 * Written for every face with irises, valid or not, so that the CSV's
 * columns (taken from the first record) stay the same. */
static void add_gaze(cJSON *rec, const EmoGaze *g)
{
    cJSON *o = cJSON_AddObjectToObject(rec, "gaze");
    if (!o)
        return;
    cJSON_AddBoolToObject(o, "valid", g->valid);
    add_angle(o, "yaw", g->valid, g->yaw);
    add_angle(o, "pitch", g->valid, g->pitch);
    static const char *const side[2] = { "right", "left" };
    for (int e = 0; e < 2; e++) {
        const EmoGazeEye *ey = &g->eye[e];
        cJSON *eo = cJSON_AddObjectToObject(o, side[e]);
        if (!eo)
            return;
        cJSON_AddBoolToObject(eo, "valid", ey->valid);
        add_angle(eo, "yaw", ey->valid, ey->yaw);
        add_angle(eo, "pitch", ey->valid, ey->pitch);
        add_angle(eo, "head_yaw", ey->valid, ey->head_yaw);
        add_angle(eo, "head_pitch", ey->valid, ey->head_pitch);
        cJSON_AddNumberToObject(eo, "openness", r3(ey->openness));
    }
}

cJSON *emo__record_frame(const EmoPipelineResult *res, const EmoPipelineFace *pf, const EmoRecordOptions *opt)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec)
        return NULL;
    cJSON_AddNumberToObject(rec, "frame", (double)res->index);
    cJSON_AddNumberToObject(rec, "t", r6(res->pts));
    if (add_face(rec, &pf->face, opt->landmarks) < 0) {
        cJSON_Delete(rec);
        return NULL;
    }
    if (pf->face.n_landmarks == EMO_FACE_LANDMARKS_MAX)
        add_gaze(rec, &pf->gaze);
    add_emotion(rec, &pf->emotion);
    if (pf->has_actions)
        add_actions(rec, pf);
    if (opt->motion)
        cJSON_AddItemToObject(rec, "motion", emo__record_motion(&pf->motion));
    return rec;
}

void emo__record_event_actions(cJSON *rec, const EmoPipelineEvent *pe)
{
    char text[EMO_PIPELINE_EVENT_ACTIONS * 8] = "";
    size_t at = 0;
    for (int i = 0; rec && i < pe->n_actions && at < sizeof(text); i++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "%sAU%d", i ? "+" : "",
                               emo_action_unit_number(pe->actions[i]));
    if (rec)
        cJSON_AddStringToObject(rec, "actions", text);
}

const char *emo__record_event_label(const EmoMotionEvent *e)
{
    if (e->type != EMO_EVENT_EXPRESSION)
        return emo_event_type_name(e->type);
    return e->cls == EMO_EVENT_CLASS_MICRO ? "micro-expression"
           : e->cls == EMO_EVENT_CLASS_MACRO ? "macro-expression"
                                             : "expression";
}

cJSON *emo__record_event(const EmoMotionEvent *e, int face_id)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec)
        return NULL;
    if (face_id >= 0)
        cJSON_AddNumberToObject(rec, "face_id", face_id);
    cJSON_AddStringToObject(rec, "type", emo_event_type_name(e->type));
    const char *cls = emo_event_class_name(e->cls);
    if (cls)
        cJSON_AddStringToObject(rec, "class", cls);
    else
        cJSON_AddNullToObject(rec, "class");
    cJSON_AddStringToObject(rec, "region", emo_region_name(e->region));
    cJSON_AddStringToObject(rec, "direction", emo_direction_name(e->direction));
    cJSON_AddNumberToObject(rec, "onset_frame", (double)e->onset);
    cJSON_AddNumberToObject(rec, "apex_frame", (double)e->apex);
    cJSON_AddNumberToObject(rec, "offset_frame", (double)e->offset);
    cJSON_AddNumberToObject(rec, "onset_t", r6(e->onset_pts));
    cJSON_AddNumberToObject(rec, "apex_t", r6(e->apex_pts));
    cJSON_AddNumberToObject(rec, "offset_t", r6(e->offset_pts));
    cJSON_AddNumberToObject(rec, "duration", r6(e->duration));
    cJSON_AddNumberToObject(rec, "magnitude", rnd(e->peak_magnitude, 1e3));
    cJSON_AddNumberToObject(rec, "dx", rnd(e->peak_dx, 1e3));
    cJSON_AddNumberToObject(rec, "dy", rnd(e->peak_dy, 1e3));
    return rec;
}

static void add_face_summary(cJSON *faces, const EmoRecordFaceSummary *fs)
{
    cJSON *f = cJSON_CreateObject();
    if (!f || !cJSON_AddItemToArray(faces, f)) {
        cJSON_Delete(f);
        return;
    }
    cJSON_AddNumberToObject(f, "face_id", fs->id);
    cJSON_AddNumberToObject(f, "frames", (double)fs->frames);
    cJSON_AddNumberToObject(f, "first_t", r6(fs->first_t));
    cJSON_AddNumberToObject(f, "last_t", r6(fs->last_t));
    cJSON_AddNumberToObject(f, "mean_size_px", rnd(fs->mean_size_px, 1e2));
    cJSON_AddNumberToObject(f, "low_confidence_frames", (double)fs->low_confidence_frames);
    cJSON *dom = cJSON_AddObjectToObject(f, "dominant_seconds");
    int best = 0;
    for (int e = 0; e < EMO_EMOTION_COUNT; e++) {
        cJSON_AddNumberToObject(dom, emo_emotion_name(e), rnd(fs->dominant_time[e], 1e4));
        if (fs->dominant_time[e] > fs->dominant_time[best])
            best = e;
    }
    cJSON_AddStringToObject(f, "most_dominant", fs->frames ? emo_emotion_name(best) : "");
    int types[EMO_EVENT_TYPE_COUNT] = { 0 }, classes[EMO_EVENT_CLASS_COUNT] = { 0 };
    cJSON *evs = cJSON_AddArrayToObject(f, "events");
    for (int k = 0; k < fs->n_events; k++) {
        const EmoMotionEvent *e = &fs->events[k].event;
        if (e->type >= 0 && e->type < EMO_EVENT_TYPE_COUNT)
            types[e->type]++;
        if (e->type == EMO_EVENT_EXPRESSION && e->cls >= 0 && e->cls < EMO_EVENT_CLASS_COUNT)
            classes[e->cls]++;
        cJSON *er = emo__record_event(e, -1);
        emo__record_event_actions(er, &fs->events[k]);
        if (er && !cJSON_AddItemToArray(evs, er))
            cJSON_Delete(er);
    }
    cJSON_AddNumberToObject(f, "micro_expressions", classes[EMO_EVENT_CLASS_MICRO]);
    cJSON_AddNumberToObject(f, "macro_expressions", classes[EMO_EVENT_CLASS_MACRO]);
    cJSON_AddNumberToObject(f, "expression_twitches", classes[EMO_EVENT_CLASS_TWITCH]);
    cJSON *by = cJSON_AddObjectToObject(f, "events_by_type");
    for (int t = 0; by && t < EMO_EVENT_TYPE_COUNT; t++)
        cJSON_AddNumberToObject(by, emo_event_type_name(t), types[t]);
    /* Blinks per minute of the time the face was tracked (each frame counts
     * as long as the track's mean frame interval). */
    double seconds = fs->last_t - fs->first_t;
    if (fs->frames > 1)
        seconds += seconds / (double)(fs->frames - 1);
    cJSON_AddNumberToObject(f, "blinks", types[EMO_EVENT_BLINK]);
    cJSON_AddNumberToObject(f, "blinks_per_minute", seconds > 0 ? rnd(types[EMO_EVENT_BLINK] * 60.0 / seconds, 1e2) : 0);
    cJSON_AddNumberToObject(f, "speaking_seconds", rnd(fs->speaking_time, 1e4));
}

cJSON *emo__record_summary(const char *source, int64_t frames_analysed, const EmoRecordFaceSummary *faces,
                           int n_faces)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "source", source ? source : "");
    cJSON_AddNumberToObject(root, "frames_analysed", (double)frames_analysed);
    cJSON *arr = cJSON_AddArrayToObject(root, "faces");
    for (int i = 0; arr && i < n_faces; i++)
        add_face_summary(arr, &faces[i]);
    return root;
}

int emo__record_write_file(const char *path, const cJSON *doc, const EmoLogger *log)
{
    char *text = cJSON_Print(doc);
    if (!text)
        return EMO_ENOMEM;
    char tmp[EMO_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int err = 0;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        emo_log(log, EMO_LOG_ERROR, "cannot write %s", tmp);
        err = EMO_EIO;
        goto done;
    }
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        emo_log(log, EMO_LOG_ERROR, "cannot write %s", path);
        remove(tmp);
        err = EMO_EIO;
    }
done:
    cJSON_free(text);
    return err;
}
