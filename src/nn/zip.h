/*
 * Members of a zip archive held in memory, found through its central
 * directory. MediaPipe's task bundles (face_landmarker.task) are zips whose
 * members are stored without compression, so a member is used in place.
 */
#ifndef EMOSCOPE_NN_ZIP_H
#define EMOSCOPE_NN_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include <emoscope/core.h>

/**
 * Finds the member called name in the archive buf[0..size). On success
 * *data points into buf at the member's bytes and *len is their count.
 * EMO_ENOENT: no such member; EMO_EFORMAT: not a zip, or a record that
 * points outside the buffer; EMO_EUNSUPPORTED: the member is compressed or
 * encrypted, or the archive is zip64 or split. Messages go to log, naming
 * what (the archive's name for messages).
 */
int emo__zip_member(const uint8_t *buf, size_t size, const char *what, const char *name,
                    const EmoLogger *log, const uint8_t **data, size_t *len);

#endif
