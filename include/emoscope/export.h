/**
 * @file export.h
 * EMO_API marks what the library exports: every function of the public
 * headers. The library is built with hidden visibility, so that nothing
 * else (internal emo__ functions, the modules' helpers) is visible to a
 * program that links a shared build of it.
 */
#ifndef EMOSCOPE_EXPORT_H
#define EMOSCOPE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define EMO_API __attribute__((visibility("default")))
#else
#define EMO_API
#endif

#endif
