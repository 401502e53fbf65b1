#include <emoscope/io.h>

#include <libavutil/hash.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Also in models/fer_vgg.md (tests/emotion/test_fer_vgg.c compares them). */
#define FER_VGG_SHA256 "376495eb0fbe8b88665654c28922238a3763edb97ed5ae725f55e51e26af4ebb"

static const EmoModelFile files[] = {
    { "blazeface", "face_detection_short_range.tflite",
      "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633", "face detector", 0 },
    { "facemesh", "face_landmark.tflite",
      "c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1", "face mesh (468 landmarks)", 0 },
    { "landmarker", "face_landmarker.task",
      "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
      "face landmarker bundle (478 landmarks, 52 blendshapes)", 0 },
    { "fullrange", "face_detection_full_range.tflite",
      "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3", "face detector (full range)", 0 },
    { "canonical_face", "canonical_face_model.obj",
      "8bac80443397e113f41a8b565ea72c59390bc031d9defab289dba7bc0c54e618", "head pose reference", 0 },
    { "mini_xception", "fer2013_mini_XCEPTION.102-0.66.hdf5",
      "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e", "emotion (FER2013, reference)", 0 },
    { "big_xception", "fer2013_big_XCEPTION.54-0.66.hdf5",
      "2c7ed52bc381077b5099afdfa392efb754516db91575f3f8ea120e81bc55db37", "emotion (FER2013)", 0 },
    { "kdef_xception", "mini_XCEPTION_KDEF.hdf5",
      "22746cd536726cc8603d7e065f9eb626639498119c7f16564e58eadea70f6568", "emotion (KDEF, off by default)", 0 },
    { "deepface", "facial_expression_model_weights.h5", NULL, "emotion (DeepFace, user-supplied)", 1 },
    /* Trained here (make train-emotion) and committed; models/fer_vgg.md is its card. */
    { "fer_vgg", "fer_vgg.hdf5", FER_VGG_SHA256, "emotion (FER2013, trained in this project)", 0 },
    { NULL, NULL, NULL, NULL, 0 },
};

const EmoModelFile *emo_model_files(void)
{
    return files;
}

const EmoModelFile *emo_model_file_find(const char *name)
{
    for (const EmoModelFile *m = files; m->name; m++)
        if (!strcmp(m->name, name) || !strcmp(m->file, name))
            return m;
    return NULL;
}

int emo_sha256_file(const char *path, char hex[65])
{
    hex[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return EMO_ENOENT;
    struct AVHashContext *h = NULL;
    if (av_hash_alloc(&h, "SHA256") < 0) {
        fclose(f);
        return EMO_ENOMEM;
    }
    av_hash_init(h);
    unsigned char buf[1 << 16];
    size_t got;
    int err = 0;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
        av_hash_update(h, buf, got);
    if (ferror(f))
        err = EMO_EIO;
    fclose(f);
    uint8_t dig[32];
    av_hash_final(h, dig);
    av_hash_freep(&h);
    if (err)
        return err;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
    return 0;
}

EmoModelStatus emo_model_check(const EmoModelFile *m, const char *dir, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, m->file);
    FILE *f = fopen(path, "rb");
    if (!f)
        return EMO_MODEL_MISSING;
    fclose(f);
    if (!m->sha256)
        return EMO_MODEL_OK;
    char hex[65];
    if (emo_sha256_file(path, hex))
        return EMO_MODEL_UNREADABLE;
    return strcmp(hex, m->sha256) ? EMO_MODEL_CORRUPT : EMO_MODEL_OK;
}

const char *emo_model_status_name(EmoModelStatus s)
{
    switch (s) {
    case EMO_MODEL_OK: return "ok";
    case EMO_MODEL_MISSING: return "missing";
    case EMO_MODEL_CORRUPT: return "checksum mismatch";
    case EMO_MODEL_UNREADABLE: return "unreadable";
    }
    return "?";
}
