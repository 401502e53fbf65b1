/* A face's fields as CSV columns. The JSON/CSV result records, face fields
 * included, are built by the records module (src/io/records.c). */
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
        for (int i = 0; i < EMO_FACE_LANDMARKS_MAX; i++)
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
    /* One set of columns for both models: the face mesh's faces leave the
     * iris columns empty (n_landmarks of a face built by hand may be 0:
     * its 468 mesh points are what every face has). */
    int points = f->n_landmarks == EMO_FACE_LANDMARKS_MAX ? EMO_FACE_LANDMARKS_MAX : EMO_FACE_LANDMARKS;
    for (int i = 0; with_landmarks && rc == 0 && i < EMO_FACE_LANDMARKS_MAX; i++)
        rc = i < points ? append(buf, n, &len, ",%.2f,%.2f,%.2f", (double)f->landmarks[i][0],
                                 (double)f->landmarks[i][1], (double)f->landmarks[i][2])
                        : append(buf, n, &len, ",,,");
    if (rc < 0) {
        buf[0] = '\0';
        return rc;
    }
    return (int)len;
}
