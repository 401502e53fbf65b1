/* libFuzzer target: the canonical-face OBJ parser and the head-pose fit on what it reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so that ASan catches any read past the end. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    static EmoCanonicalFace c;
    char err[256];
    if (emo__obj_parse(buf, size, &c, err, sizeof(err)) == 0) {
        /* Any parsed model, fitted to itself, must not crash or loop. */
        static float lm[EMO_FACE_LANDMARKS][3];
        for (int i = 0; i < EMO_FACE_LANDMARKS; i++) {
            lm[i][0] = c.v[i][0];
            lm[i][1] = -c.v[i][1];
            lm[i][2] = -c.v[i][2];
        }
        float R[9], s, y, p, r;
        emo__pose_fit(&c, (const float(*)[3])lm, EMO_FACE_LANDMARKS, R, &s, &y, &p, &r);
    }
    free(buf);
    return 0;
}
