/*
 * buurt/version.h: library version and the export/attribute macros shared
 * by every public header.
 */
#ifndef BUURT_VERSION_H
#define BUURT_VERSION_H

#define BUURT_VERSION_STRING "0.1.0"

#if defined(BUURT_BUILDING) && defined(__GNUC__)
#define BUURT_API __attribute__((visibility("default")))
#else
#define BUURT_API
#endif

#ifdef __GNUC__
#define BUURT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define BUURT_MUST_CHECK
#endif

/* buurt_version: the library's version string, e.g. "0.1.0". */
BUURT_API const char *buurt_version(void);

#endif /* BUURT_VERSION_H */
