/* A face's fields as CSV columns and as a cJSON object. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "face_priv.h"

static int append(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len >= n)
        return EMO_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n - *len)
        return EMO_EINVAL;
    *len += (size_t)k;
    return 0;
}

void emo_face_csv_header(char *buf, size_t n, int with_landmarks)
{
    size_t len = 0;
    if (!buf || n == 0)
        return;
    buf[0] = '\0';
    if (append(buf, n, &len, "face_id,face_flags,box_x,box_y,box_w,box_h,detection_score,landmark_score,"
                             "yaw,pitch,roll") < 0)
        return;
    if (with_landmarks)
        for (int i = 0; i < EMO_FACE_LANDMARKS; i++)
            if (append(buf, n, &len, ",lm%d_x,lm%d_y,lm%d_z", i, i, i) < 0)
                return;
}

int emo_face_csv_row(const EmoFace *f, char *buf, size_t n, int with_landmarks)
{
    size_t len = 0;
    if (!f || !buf || n == 0)
        return EMO_EINVAL;
    buf[0] = '\0';
    int rc = append(buf, n, &len, "%d,%u,%.2f,%.2f,%.2f,%.2f,%.4f,%.4f,%.2f,%.2f,%.2f", f->id, f->flags,
                    (double)f->box[0], (double)f->box[1], (double)f->box[2], (double)f->box[3],
                    (double)f->detection_score, (double)f->presence, (double)f->yaw, (double)f->pitch,
                    (double)f->roll);
    for (int i = 0; with_landmarks && rc == 0 && i < EMO_FACE_LANDMARKS; i++)
        rc = append(buf, n, &len, ",%.2f,%.2f,%.2f", (double)f->landmarks[i][0], (double)f->landmarks[i][1],
                    (double)f->landmarks[i][2]);
    if (rc < 0) {
        buf[0] = '\0';
        return rc;
    }
    return (int)len;
}

static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        /* Two decimals: a hundredth of a pixel is below any model's precision. */
        cJSON *x = cJSON_CreateNumber((double)(long long)((double)v[i] * 100.0 + (v[i] >= 0 ? 0.5 : -0.5)) / 100.0);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

void *emo_face_to_cjson(const EmoFace *f, int with_landmarks)
{
    if (!f)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    const float pose[3] = { f->yaw, f->pitch, f->roll };
    int ok = cJSON_AddNumberToObject(o, "id", f->id) && cJSON_AddBoolToObject(o, "detected", !!(f->flags & EMO_FACE_DETECTED)) &&
             cJSON_AddBoolToObject(o, "tracked", !!(f->flags & EMO_FACE_TRACKED)) &&
             cJSON_AddNumberToObject(o, "detection_score", (double)f->detection_score) &&
             cJSON_AddNumberToObject(o, "landmark_score", (double)f->presence);
    cJSON *box = ok ? float_array(f->box, 4) : NULL;
    ok = box && cJSON_AddItemToObject(o, "box", box);
    if (!ok)
        cJSON_Delete(box);
    cJSON *p = ok ? cJSON_CreateObject() : NULL;
    ok = ok && p && cJSON_AddNumberToObject(p, "yaw", (double)pose[0]) &&
         cJSON_AddNumberToObject(p, "pitch", (double)pose[1]) && cJSON_AddNumberToObject(p, "roll", (double)pose[2]);
    if (p && !(ok && cJSON_AddItemToObject(o, "pose", p))) {
        cJSON_Delete(p);
        ok = 0;
    }
    if (ok && with_landmarks) {
        cJSON *lm = float_array(&f->landmarks[0][0], EMO_FACE_LANDMARKS * 3);
        ok = lm && cJSON_AddItemToObject(o, "landmarks", lm);
        if (!ok)
            cJSON_Delete(lm);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
