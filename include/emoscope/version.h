/**
 * @file version.h
 * The version of these headers (compile time) and of the library linked
 * (run time). The numbers below are the project's only record of its
 * version: CMakeLists.txt reads them.
 */
#ifndef EMOSCOPE_VERSION_H
#define EMOSCOPE_VERSION_H

#include <emoscope/export.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMO_VERSION_MAJOR 0
#define EMO_VERSION_MINOR 1
#define EMO_VERSION_PATCH 0

/** One number per version, ordered as the versions: 8 bits each for minor and patch. */
#define EMO_VERSION_INT(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define EMO_VERSION_NUMBER EMO_VERSION_INT(EMO_VERSION_MAJOR, EMO_VERSION_MINOR, EMO_VERSION_PATCH)

#define EMO_VERSION_STR_(x) #x
#define EMO_VERSION_STR(x) EMO_VERSION_STR_(x)
/** "MAJOR.MINOR.PATCH" of these headers. */
#define EMO_VERSION_STRING \
    EMO_VERSION_STR(EMO_VERSION_MAJOR) "." EMO_VERSION_STR(EMO_VERSION_MINOR) "." EMO_VERSION_STR(EMO_VERSION_PATCH)

/** EMO_VERSION_NUMBER of the library linked (a program may check it against the headers'). */
EMO_API unsigned emo_version(void);
/** "MAJOR.MINOR.PATCH" of the library linked; never NULL. */
EMO_API const char *emo_version_string(void);

#ifdef __cplusplus
}
#endif
#endif
