/*
 * Zip reading, enough for model bundles. Layout facts from PKWARE's
 * APPNOTE.TXT: the end-of-central-directory record (signature 0x06054b50,
 * 22 bytes plus a comment of up to 65535 bytes) ends the file and gives the
 * central directory's offset and entry count; each central entry
 * (0x02014b50, 46 bytes + name + extra + comment) gives the method, the
 * sizes and the offset of the member's local header (0x04034b50, 30 bytes +
 * name + extra), after which the data starts. The local header's own extra
 * field length can differ from the central one, so it is read from there.
 */
#include "nn/zip.h"

#include <string.h>

enum {
    EOCD_SIG = 0x06054b50,
    CENTRAL_SIG = 0x02014b50,
    LOCAL_SIG = 0x04034b50,
    EOCD_SIZE = 22,
    CENTRAL_SIZE = 46,
    LOCAL_SIZE = 30,
    MAX_COMMENT = 65535,
    METHOD_STORED = 0,
    FLAG_ENCRYPTED = 1,
};

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

/* The last end-of-central-directory record whose comment ends the file. */
static const uint8_t *find_eocd(const uint8_t *buf, size_t size)
{
    if (size < EOCD_SIZE)
        return NULL;
    size_t lowest = size - EOCD_SIZE > MAX_COMMENT ? size - EOCD_SIZE - MAX_COMMENT : 0;
    for (size_t at = size - EOCD_SIZE + 1; at-- > lowest;) {
        const uint8_t *p = buf + at;
        if (rd32(p) == EOCD_SIG && at + EOCD_SIZE + rd16(p + 20) == size)
            return p;
    }
    return NULL;
}

int emo__zip_member(const uint8_t *buf, size_t size, const char *what, const char *name,
                    const EmoLogger *log, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    const uint8_t *eocd = find_eocd(buf, size);
    if (!eocd) {
        emo_log(log, EMO_LOG_ERROR, "%s: not a zip archive (no end of central directory)", what);
        return EMO_EFORMAT;
    }
    uint32_t disk = rd16(eocd + 4), cd_disk = rd16(eocd + 6);
    uint32_t count = rd16(eocd + 10), cd_size = rd32(eocd + 12), cd_off = rd32(eocd + 16);
    if (disk || cd_disk || count == 0xffff || cd_off == 0xffffffffu) {
        emo_log(log, EMO_LOG_ERROR, "%s: split or zip64 archives are not supported", what);
        return EMO_EUNSUPPORTED;
    }
    if (cd_off > size || cd_size > size - cd_off) {
        emo_log(log, EMO_LOG_ERROR, "%s: central directory outside the file", what);
        return EMO_EFORMAT;
    }
    size_t name_len = strlen(name);
    const uint8_t *p = buf + cd_off, *end = p + cd_size;
    for (uint32_t i = 0; i < count; i++) {
        if ((size_t)(end - p) < CENTRAL_SIZE || rd32(p) != CENTRAL_SIG) {
            emo_log(log, EMO_LOG_ERROR, "%s: central directory entry %u is damaged", what, i);
            return EMO_EFORMAT;
        }
        uint32_t flags = rd16(p + 8), method = rd16(p + 10);
        uint32_t csize = rd32(p + 20), usize = rd32(p + 24);
        uint32_t n = rd16(p + 28), extra = rd16(p + 30), comment = rd16(p + 32);
        uint32_t local = rd32(p + 42);
        size_t entry = (size_t)CENTRAL_SIZE + n + extra + comment;
        if ((size_t)(end - p) < entry) {
            emo_log(log, EMO_LOG_ERROR, "%s: central directory entry %u is damaged", what, i);
            return EMO_EFORMAT;
        }
        if (n != name_len || memcmp(p + CENTRAL_SIZE, name, n)) {
            p += entry;
            continue;
        }
        if (flags & FLAG_ENCRYPTED || method != METHOD_STORED || csize != usize) {
            emo_log(log, EMO_LOG_ERROR, "%s: member %s is %s; only stored members are read", what, name,
                    flags & FLAG_ENCRYPTED ? "encrypted" : "compressed");
            return EMO_EUNSUPPORTED;
        }
        if (csize == 0xffffffffu || local == 0xffffffffu) {
            emo_log(log, EMO_LOG_ERROR, "%s: member %s needs zip64", what, name);
            return EMO_EUNSUPPORTED;
        }
        if (local > size || size - local < LOCAL_SIZE || rd32(buf + local) != LOCAL_SIG) {
            emo_log(log, EMO_LOG_ERROR, "%s: local header of %s is damaged", what, name);
            return EMO_EFORMAT;
        }
        size_t start = (size_t)local + LOCAL_SIZE + rd16(buf + local + 26) + rd16(buf + local + 28);
        if (start > size || csize > size - start) {
            emo_log(log, EMO_LOG_ERROR, "%s: member %s runs past the end of the file", what, name);
            return EMO_EFORMAT;
        }
        *data = buf + start;
        *len = csize;
        return 0;
    }
    emo_log(log, EMO_LOG_ERROR, "%s: no member %s", what, name);
    return EMO_ENOENT;
}
