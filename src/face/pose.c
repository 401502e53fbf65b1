/* Canonical face model (OBJ) and head pose by a similarity fit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face_priv.h"

#define OBJ_MAX_BYTES (16u << 20)
#define OBJ_LINE_MAX 256

int emo__obj_parse(const char *text, size_t n, EmoCanonicalFace *out, char *err, size_t err_n)
{
    int count = 0, line_no = 0;
    size_t pos = 0;
    char line[OBJ_LINE_MAX];
    if (!text || !out)
        return EMO_EINVAL;
    while (pos < n) {
        size_t end = pos;
        while (end < n && text[end] != '\n')
            end++;
        size_t len = end - pos;
        line_no++;
        if (len >= 2 && text[pos] == 'v' && (text[pos + 1] == ' ' || text[pos + 1] == '\t')) {
            if (len >= OBJ_LINE_MAX) {
                snprintf(err, err_n, "line %d: vertex line too long", line_no);
                return EMO_EFORMAT;
            }
            if (count >= EMO_FACE_LANDMARKS) {
                snprintf(err, err_n, "line %d: more than %d vertices", line_no, EMO_FACE_LANDMARKS);
                return EMO_EFORMAT;
            }
            memcpy(line, text + pos, len);
            line[len] = '\0';
            char *p = line + 2;
            for (int k = 0; k < 3; k++) {
                char *q;
                errno = 0;
                float v = strtof(p, &q);
                if (q == p || errno == ERANGE || !isfinite(v) || fabsf(v) > 1e6f) {
                    snprintf(err, err_n, "line %d: bad vertex coordinate %d", line_no, k + 1);
                    return EMO_EFORMAT;
                }
                out->v[count][k] = v;
                p = q;
            }
            count++;
        } else if (memchr(text + pos, '\0', len)) {
            snprintf(err, err_n, "line %d: NUL byte in a text file", line_no);
            return EMO_EFORMAT;
        }
        pos = end + 1;
    }
    if (count != EMO_FACE_LANDMARKS) {
        snprintf(err, err_n, "%d vertices, expected %d", count, EMO_FACE_LANDMARKS);
        return EMO_EFORMAT;
    }
    return 0;
}

void emo__canonical_front(const EmoCanonicalFace *c, int size, float *pts)
{
    double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        x0 = fmin(x0, c->v[i][0]);
        x1 = fmax(x1, c->v[i][0]);
        y0 = fmin(y0, c->v[i][1]);
        y1 = fmax(y1, c->v[i][1]);
    }
    double ext = fmax(x1 - x0, y1 - y0), sc = ext > 0 ? 0.9 * size / ext : 0;
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        pts[2 * i] = (float)(size / 2.0 + (c->v[i][0] - (x0 + x1) / 2) * sc);
        pts[2 * i + 1] = (float)(size / 2.0 - (c->v[i][1] - (y0 + y1) / 2) * sc);
    }
}

int emo__obj_load(const char *path, EmoCanonicalFace *out, char *err, size_t err_n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_n, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? EMO_ENOENT : EMO_EIO;
    }
    char *buf = NULL;
    int rc = EMO_EIO;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, err_n, "cannot read %s", path);
        goto done;
    }
    if ((unsigned long)size > OBJ_MAX_BYTES) {
        snprintf(err, err_n, "%s: %ld bytes, more than a face model can be", path, size);
        rc = EMO_EFORMAT;
        goto done;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        rc = EMO_ENOMEM;
        goto done;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        snprintf(err, err_n, "cannot read %s", path);
        goto done;
    }
    rc = emo__obj_parse(buf, (size_t)size, out, err, err_n);
done:
    free(buf);
    fclose(f);
    return rc;
}

/* Eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (cyclic Jacobi). */
static void max_eigvec4(double a[4][4], double vec[4])
{
    double v[4][4] = { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } };
    for (int sweep = 0; sweep < 50; sweep++) {
        double off = 0.0;
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++)
                off += a[p][q] * a[p][q];
        if (off < 1e-22)
            break;
        for (int p = 0; p < 4; p++) {
            for (int q = p + 1; q < 4; q++) {
                if (fabs(a[p][q]) < 1e-300)
                    continue;
                double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 4; k++) { /* columns p, q */
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 4; k++) { /* rows p, q */
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 4; k++) {
                    double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (a[i][i] > a[best][best])
            best = i;
    for (int k = 0; k < 4; k++)
        vec[k] = v[k][best];
}

static const double RAD2DEG = 57.29577951308232;

float emo__pose_fit(const EmoCanonicalFace *c, const float (*lm)[3], int n, float R[9], float *scale, float *yaw,
                    float *pitch, float *roll)
{
    /* Landmarks to camera axes: x right, y up, z towards the camera. */
    double pc[3] = { 0 }, qc[3] = { 0 };
    for (int i = 0; i < n; i++) {
        const double q[3] = { lm[i][0], -lm[i][1], -lm[i][2] };
        for (int k = 0; k < 3; k++) {
            pc[k] += c->v[i][k];
            qc[k] += q[k];
        }
    }
    for (int k = 0; k < 3; k++) {
        pc[k] /= n;
        qc[k] /= n;
    }
    double S[3][3] = { { 0 } }, pp = 0.0;
    for (int i = 0; i < n; i++) {
        const double p[3] = { c->v[i][0] - pc[0], c->v[i][1] - pc[1], c->v[i][2] - pc[2] };
        const double q[3] = { lm[i][0] - qc[0], -lm[i][1] - qc[1], -lm[i][2] - qc[2] };
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                S[a][b] += p[a] * q[b];
        pp += p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
    }
    /* Horn (1987): the unit quaternion of the best rotation is the top eigenvector of N. */
    double N[4][4] = {
        { S[0][0] + S[1][1] + S[2][2], S[1][2] - S[2][1], S[2][0] - S[0][2], S[0][1] - S[1][0] },
        { S[1][2] - S[2][1], S[0][0] - S[1][1] - S[2][2], S[0][1] + S[1][0], S[2][0] + S[0][2] },
        { S[2][0] - S[0][2], S[0][1] + S[1][0], -S[0][0] + S[1][1] - S[2][2], S[1][2] + S[2][1] },
        { S[0][1] - S[1][0], S[2][0] + S[0][2], S[1][2] + S[2][1], -S[0][0] - S[1][1] + S[2][2] },
    };
    double qv[4];
    max_eigvec4(N, qv);
    double w = qv[0], x = qv[1], y = qv[2], z = qv[3];
    double Rd[9] = {
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
        2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y),
    };
    double num = 0.0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            num += Rd[3 * a + b] * S[b][a]; /* sum_i q_i . (R p_i) */
    double s = pp > 0.0 ? num / pp : 0.0;
    double err = 0.0;
    for (int i = 0; i < n; i++) {
        const double p[3] = { c->v[i][0] - pc[0], c->v[i][1] - pc[1], c->v[i][2] - pc[2] };
        const double q[3] = { lm[i][0] - qc[0], -lm[i][1] - qc[1], -lm[i][2] - qc[2] };
        for (int a = 0; a < 3; a++) {
            double r = s * (Rd[3 * a] * p[0] + Rd[3 * a + 1] * p[1] + Rd[3 * a + 2] * p[2]) - q[a];
            err += r * r;
        }
    }
    for (int k = 0; k < 9; k++)
        R[k] = (float)Rd[k];
    *scale = (float)s;
    /* R = Ry(yaw) * Rx(-pitch) * Rz(roll): see emo__pose_matrix. */
    double sp = -Rd[5];
    sp = sp > 1.0 ? 1.0 : (sp < -1.0 ? -1.0 : sp);
    *pitch = (float)(-asin(sp) * RAD2DEG);
    *yaw = (float)(atan2(Rd[2], Rd[8]) * RAD2DEG);
    *roll = (float)(atan2(Rd[3], Rd[4]) * RAD2DEG);
    return (float)sqrt(err / (n > 0 ? n : 1));
}

void emo__pose_matrix(float yaw, float pitch, float roll, float R[9])
{
    double y = yaw / RAD2DEG, p = -pitch / RAD2DEG, r = roll / RAD2DEG;
    double cy = cos(y), sy = sin(y), cp = cos(p), sp = sin(p), cr = cos(r), sr = sin(r);
    /* Ry(y) * Rx(p) * Rz(r) */
    const double Ry[9] = { cy, 0, sy, 0, 1, 0, -sy, 0, cy };
    const double Rx[9] = { 1, 0, 0, 0, cp, -sp, 0, sp, cp };
    const double Rz[9] = { cr, -sr, 0, sr, cr, 0, 0, 0, 1 };
    double T[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            T[3 * i + j] = Ry[3 * i] * Rx[j] + Ry[3 * i + 1] * Rx[3 + j] + Ry[3 * i + 2] * Rx[6 + j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            R[3 * i + j] = (float)(T[3 * i] * Rz[j] + T[3 * i + 1] * Rz[3 + j] + T[3 * i + 2] * Rz[6 + j]);
}

int emo__mirror_map(const EmoCanonicalFace *c, int *out)
{
    float x0 = c->v[0][0], x1 = x0;
    for (int i = 1; i < EMO_FACE_LANDMARKS; i++) {
        x0 = fminf(x0, c->v[i][0]);
        x1 = fmaxf(x1, c->v[i][0]);
    }
    float tol = 0.01f * (x1 - x0);
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
        float best = INFINITY;
        out[i] = -1;
        for (int j = 0; j < EMO_FACE_LANDMARKS; j++) {
            float dx = -c->v[i][0] - c->v[j][0], dy = c->v[i][1] - c->v[j][1], dz = c->v[i][2] - c->v[j][2];
            float d = dx * dx + dy * dy + dz * dz;
            if (d < best) {
                best = d;
                out[i] = j;
            }
        }
        if (!(sqrtf(best) <= tol))
            return EMO_EFORMAT;
    }
    for (int i = 0; i < EMO_FACE_LANDMARKS; i++)
        if (out[out[i]] != i)
            return EMO_EFORMAT;
    return 0;
}

void emo__iris_mirror_map(int *map)
{
    /* Each iris is its centre, then its outline at +x, -y, -x, +y of the
     * image (as the landmarker's outputs show). The mirror image of one
     * iris is the other, with +x and -x exchanged. */
    static const int other[EMO_FACE_IRIS_POINTS / 2] = { 0, 3, 2, 1, 4 };
    for (int k = 0; k < EMO_FACE_IRIS_POINTS / 2; k++) {
        map[EMO_FACE_IRIS_RIGHT + k] = EMO_FACE_IRIS_LEFT + other[k];
        map[EMO_FACE_IRIS_LEFT + k] = EMO_FACE_IRIS_RIGHT + other[k];
    }
}
