/* Motion results as JSON objects (cJSON) and CSV rows, for the result
 * writers to embed. Numbers are rounded to what is meaningful (1e-3 px,
 * 1e-4 s) so that outputs are stable and short. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "motion_internal.h"

static double r3(double x)
{
    return isfinite(x) ? round(x * 1000.0) / 1000.0 : 0.0;
}

static double r4(double x)
{
    return isfinite(x) ? round(x * 10000.0) / 10000.0 : 0.0;
}

static int print_json(cJSON *o, char *buf, size_t n)
{
    if (!o)
        return EMO_ENOMEM;
    int ok = n <= 0x7fffffff && cJSON_PrintPreallocated(o, buf, (int)n, 0);
    cJSON_Delete(o);
    return ok ? (int)strlen(buf) : EMO_ENOMEM;
}

static void add_event_fields(cJSON *o, const EmoMotionEvent *e)
{
    cJSON_AddStringToObject(o, "type", e->micro ? "micro" : "macro");
    cJSON_AddStringToObject(o, "region", emo_region_name(e->region));
    cJSON_AddStringToObject(o, "direction", emo_direction_name(e->direction));
    cJSON_AddNumberToObject(o, "onset", (double)e->onset);
    cJSON_AddNumberToObject(o, "apex", (double)e->apex);
    cJSON_AddNumberToObject(o, "offset", (double)e->offset);
    cJSON_AddNumberToObject(o, "onset_pts", r4(e->onset_pts));
    cJSON_AddNumberToObject(o, "apex_pts", r4(e->apex_pts));
    cJSON_AddNumberToObject(o, "offset_pts", r4(e->offset_pts));
    cJSON_AddNumberToObject(o, "duration", r4(e->duration));
    cJSON_AddNumberToObject(o, "magnitude", r3(e->peak_magnitude));
    cJSON_AddNumberToObject(o, "dx", r3(e->peak_dx));
    cJSON_AddNumberToObject(o, "dy", r3(e->peak_dy));
}

int emo_motion_event_json(const EmoMotionEvent *e, char *buf, size_t n)
{
    if (!e || !buf || !n)
        return EMO_EINVAL;
    cJSON *o = cJSON_CreateObject();
    if (o)
        add_event_fields(o, e);
    return print_json(o, buf, n);
}

int emo_motion_frame_json(const EmoMotionFrame *r, char *buf, size_t n)
{
    if (!r || !buf || !n)
        return EMO_EINVAL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return EMO_ENOMEM;
    cJSON_AddNumberToObject(o, "frame", (double)r->frame);
    cJSON_AddNumberToObject(o, "pts", r4(r->pts));
    cJSON_AddBoolToObject(o, "has_flow", r->has_flow);
    cJSON_AddNumberToObject(o, "frame_gap", r->frame_gap);
    cJSON *head = cJSON_AddArrayToObject(o, "head_affine");
    for (int i = 0; head && i < 6; i++)
        cJSON_AddItemToArray(head, cJSON_CreateNumber(i == 0 || i == 3 ? r3(r->head[i]) : r4(r->head[i])));
    cJSON_AddNumberToObject(o, "head_dx", r3(r->head_dx));
    cJSON_AddNumberToObject(o, "head_dy", r3(r->head_dy));
    cJSON_AddNumberToObject(o, "head_inliers", r3(r->head_inliers));
    cJSON_AddNumberToObject(o, "mean_magnitude", r3(r->mean_magnitude));
    cJSON *act = cJSON_AddArrayToObject(o, "active");
    cJSON *regs = cJSON_AddObjectToObject(o, "regions");
    for (int i = 0; regs && act && i < EMO_REGION_COUNT; i++) {
        const EmoRegionMotion *m = &r->region[i];
        cJSON *g = cJSON_AddObjectToObject(regs, emo_region_name(i));
        if (!g)
            break;
        cJSON_AddNumberToObject(g, "magnitude", r3(m->magnitude));
        cJSON_AddStringToObject(g, "direction", emo_direction_name(m->direction));
        cJSON_AddNumberToObject(g, "angle", r3(m->direction_deg));
        cJSON_AddNumberToObject(g, "dx", r3(m->dx));
        cJSON_AddNumberToObject(g, "dy", r3(m->dy));
        cJSON_AddNumberToObject(g, "flow_dx", r3(m->flow_dx));
        cJSON_AddNumberToObject(g, "flow_dy", r3(m->flow_dy));
        cJSON_AddBoolToObject(g, "active", m->active);
        if (m->active)
            cJSON_AddItemToArray(act, cJSON_CreateString(emo_region_name(i)));
    }
    cJSON_AddNumberToObject(o, "events", r->n_events);
    return print_json(o, buf, n);
}

const char *emo_motion_event_csv_header(void)
{
    return "type,region,direction,onset,apex,offset,onset_pts,apex_pts,offset_pts,duration,magnitude,dx,dy";
}

static int done(int len, size_t n)
{
    return len < 0 || (size_t)len >= n ? EMO_ENOMEM : len;
}

int emo_motion_event_csv(const EmoMotionEvent *e, char *buf, size_t n)
{
    if (!e || !buf || !n)
        return EMO_EINVAL;
    int len = snprintf(buf, n, "%s,%s,%s,%lld,%lld,%lld,%.4f,%.4f,%.4f,%.4f,%.3f,%.3f,%.3f", e->micro ? "micro" : "macro",
                       emo_region_name(e->region), emo_direction_name(e->direction), (long long)e->onset,
                       (long long)e->apex, (long long)e->offset, e->onset_pts, e->apex_pts, e->offset_pts, e->duration,
                       (double)e->peak_magnitude, (double)e->peak_dx, (double)e->peak_dy);
    return done(len, n);
}

int emo_motion_frame_csv_header(char *buf, size_t n)
{
    if (!buf || !n)
        return EMO_EINVAL;
    int len = snprintf(buf, n, "frame,pts,frame_gap,head_tx,head_ty,head_inliers,mean_magnitude,n_active");
    for (int i = 0; i < EMO_REGION_COUNT && len >= 0 && (size_t)len < n; i++) {
        const char *r = emo_region_name(i);
        len += snprintf(buf + len, n - (size_t)len, ",%s_magnitude,%s_direction,%s_active", r, r, r);
    }
    return done(len, n);
}

int emo_motion_frame_csv(const EmoMotionFrame *r, char *buf, size_t n)
{
    if (!r || !buf || !n)
        return EMO_EINVAL;
    int len = snprintf(buf, n, "%lld,%.4f,%d,%.3f,%.3f,%.3f,%.3f,%d", (long long)r->frame, r->pts, r->frame_gap,
                       (double)r->head_dx, (double)r->head_dy, (double)r->head_inliers, (double)r->mean_magnitude,
                       r->n_active);
    for (int i = 0; i < EMO_REGION_COUNT && len >= 0 && (size_t)len < n; i++) {
        const EmoRegionMotion *m = &r->region[i];
        len += snprintf(buf + len, n - (size_t)len, ",%.3f,%s,%d", (double)m->magnitude,
                        emo_direction_name(m->direction), m->active);
    }
    return done(len, n);
}
