/* The per-face report of the pipeline: the whole run's history of each face
 * (tracks), and what is written from it and from the results: records,
 * summary.json and the timeline chart. The records themselves are built by
 * the records module (src/io/records.c). */
#define _POSIX_C_SOURCE 200809L
#include "pipeline/pipeline_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/records.h"

static Track *track_get(EmoPipeline *p, int id)
{
    for (int i = 0; i < p->n_tracks; i++)
        if (p->tracks[i].id == id)
            return &p->tracks[i];
    if (p->n_tracks == p->cap_tracks) {
        int cap = p->cap_tracks ? p->cap_tracks * 2 : 16;
        Track *t = realloc(p->tracks, sizeof(*t) * (size_t)cap);
        if (!t)
            return NULL;
        p->tracks = t;
        p->cap_tracks = cap;
    }
    Track *t = &p->tracks[p->n_tracks++];
    emo__track_init(t, id);
    return t;
}

int emo__pipe_report_frame(EmoPipeline *p, Slot *sl, const EmoPipelineFace *pf, double pts)
{
    if (sl->track < 0) {
        Track *t = track_get(p, pf->face.id);
        if (!t)
            return EMO_ENOMEM;
        sl->track = (int)(t - p->tracks);
        t->first_t = pts;
    }
    Track *t = &p->tracks[sl->track];
    /* Time per dominant emotion: each frame counts until the next one. */
    double dt = isnan(t->prev_t) ? 0 : pts - t->prev_t;
    if (dt > 0 && t->last_dominant >= 0)
        t->dominant_time[t->last_dominant] += dt;
    t->last_dominant = emo_emotion_argmax(pf->emotion.smoothed);
    if (dt > 0 && t->last_speaking)
        t->speaking_time += dt;
    t->last_speaking = pf->motion.speaking;
    t->low_confidence_frames += !!(pf->face.flags & EMO_FACE_LOW_CONFIDENCE);
    t->size_sum += pf->face.size_px;
    t->prev_t = pts;
    t->last_t = pts;
    t->frames++;
    return emo__track_add_sample(t, pts, pf->emotion.smoothed);
}

void emo__pipe_report_event(EmoPipeline *p, const Slot *sl, const EmoPipelineEvent *pe)
{
    /* An event the history cannot hold (out of memory) is still in the
     * frame's result and in events.jsonl; only the summary misses it. */
    if (p->s.keep_timeline && sl->track >= 0)
        emo__track_add_event(&p->tracks[sl->track], pe);
}

void emo__pipe_report_close(EmoPipeline *p)
{
    for (int i = 0; i < p->n_tracks; i++)
        emo__track_free(&p->tracks[i]);
    free(p->tracks);
    p->tracks = NULL;
    p->n_tracks = p->cap_tracks = 0;
}

int emo_pipeline_write_records(EmoPipeline *p, const EmoPipelineResult *res, EmoResultsWriter *frames,
                               EmoResultsWriter *events)
{
    const EmoRecordOptions opt = { p->cfg->output.landmarks, p->cfg->motion.enabled };
    int err = 0;
    for (int i = 0; frames && i < res->n_faces && !err; i++) {
        cJSON *rec = emo__record_frame(res, &res->faces[i], &opt);
        if (!rec)
            return EMO_ENOMEM;
        err = emo_results_write(frames, rec);
        cJSON_Delete(rec);
    }
    for (int i = 0; events && i < res->n_events && !err; i++) {
        cJSON *rec = emo__record_event(&res->events[i].event, res->events[i].face_id);
        emo__record_event_actions(rec, &res->events[i]);
        if (!rec)
            return EMO_ENOMEM;
        err = emo_results_write(events, rec);
        cJSON_Delete(rec);
    }
    return err;
}

int emo_pipeline_write_summary(EmoPipeline *p, const char *path, const char *source)
{
    int n = p->n_tracks;
    EmoRecordFaceSummary *faces = calloc((size_t)(n ? n : 1), sizeof(*faces));
    if (!faces)
        return EMO_ENOMEM;
    for (int i = 0; i < n; i++) {
        const Track *t = &p->tracks[i];
        faces[i] = (EmoRecordFaceSummary){ t->id, t->frames, t->first_t, t->last_t, t->dominant_time, t->events,
                                           t->n_events, t->speaking_time, t->low_confidence_frames,
                                           t->frames ? t->size_sum / (double)t->frames : 0 };
    }
    cJSON *doc = emo__record_summary(source, p->frames, faces, n);
    free(faces);
    if (!doc || !cJSON_AddNumberToObject(doc, "shot_cuts", (double)p->cuts)) {
        cJSON_Delete(doc);
        return EMO_ENOMEM;
    }
    int err = emo__record_write_file(path, doc, p->log);
    cJSON_Delete(doc);
    return err;
}

int emo_pipeline_write_timeline(EmoPipeline *p, const char *png_path, const char *svg_path, const char *source)
{
    int n = p->n_tracks;
    EmoTimelineFace *faces = calloc((size_t)(n ? n : 1), sizeof(*faces));
    EmoTimelineEvent **events = calloc((size_t)(n ? n : 1), sizeof(*events));
    char (**details)[64] = calloc((size_t)(n ? n : 1), sizeof(*details));
    int err = EMO_ENOMEM;
    if (!faces || !events || !details)
        goto done;
    for (int i = 0; i < n; i++) {
        const Track *t = &p->tracks[i];
        faces[i].id = t->id;
        faces[i].t = t->t;
        faces[i].probs = t->p;
        faces[i].n = t->n;
        if (t->n_events) {
            events[i] = calloc((size_t)t->n_events, sizeof(**events));
            details[i] = calloc((size_t)t->n_events, sizeof(**details));
            if (!events[i] || !details[i])
                goto done;
            /* Only micro- and macro-expressions are charted (the macro ones
             * in the lighter style); twitches, blinks, speech and head
             * movements stay in the event files. */
            for (int k = 0; k < t->n_events; k++) {
                const EmoMotionEvent *e = &t->events[k].event;
                if (e->type != EMO_EVENT_EXPRESSION || e->cls == EMO_EVENT_CLASS_TWITCH)
                    continue;
                int j = faces[i].n_events++;
                snprintf(details[i][j], sizeof(details[i][j]), "%s, %s", emo_region_name(e->region),
                         emo_direction_name(e->direction));
                events[i][j] = (EmoTimelineEvent){ e->onset_pts, e->offset_pts, emo__record_event_label(e),
                                                   details[i][j], !e->micro };
            }
        }
        faces[i].events = events[i];
    }
    EmoTimelineData data = { "emoscope timeline", source, 0, 0, faces, n, p->log };
    /* Taller charts for several faces: one panel each. */
    int height = p->cfg->render.chart_height + (n > 1 ? 250 * ((n > 4 ? 4 : n) - 1) : 0);
    err = emo_render_timeline(&data, png_path, svg_path, p->cfg->render.chart_width, height);
done:
    for (int i = 0; i < n && events && details; i++) {
        free(events[i]);
        free(details[i]);
    }
    free(events);
    free(details);
    free(faces);
    return err;
}

