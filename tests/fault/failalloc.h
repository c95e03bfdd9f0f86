/*
 * failalloc.h: allocation-failure injection for the fault tests.
 *
 * failalloc.c defines malloc, calloc, realloc, free and the aligned
 * allocators in the test executable itself, so that the dynamic linker
 * binds every caller in the process to them: libbuurt, msgpack-c, LMDB,
 * inih, glibc's own internal callers (strdup, fopen, qsort...).  They
 * forward to glibc's allocator (__libc_malloc and friends), count, and
 * can be armed to make one chosen allocation fail with ENOMEM, the way
 * SQLite's fault-injection tests do.  What they cannot see: memory from
 * mmap (libsodium's sodium_malloc, LMDB's map) and the stack.
 *
 * Only for executables built without sanitizers and not run under
 * valgrind: both replace malloc themselves (tests/meson.build builds
 * these tests only when b_sanitize is 'none', and the valgrind setup
 * excludes their suite).  Not thread-safe: the tests are single-threaded.
 */
#ifndef BUURT_FAILALLOC_H
#define BUURT_FAILALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Live heap blocks, as counted since the process started. */
struct failalloc_live {
	int64_t blocks;		/* allocated and not yet freed */
	int64_t bytes;		/* their usable bytes */
};

/*
 * failalloc_arm: make the nth allocation from now (n >= 1) fail: it
 * returns NULL with errno ENOMEM and allocates nothing.  One failure
 * only; the allocations after it succeed again.  Clears the hit flag.
 */
void failalloc_arm(uint64_t n);

/*
 * failalloc_arm_all: the same, but every allocation after the nth fails
 * too, until failalloc_disarm(): the error paths themselves must then
 * cope without memory.
 */
void failalloc_arm_all(uint64_t n);

/* failalloc_disarm: no failure pending; the hit flag is kept. */
void failalloc_disarm(void);

/*
 * failalloc_pause: while paused (on), allocations are neither counted
 * nor failed, only accounted: for a test's own work (a fake peer) in the
 * middle of an armed run.
 */
void failalloc_pause(bool on);

/* failalloc_hit: did the armed failure fire since failalloc_arm()? */
bool failalloc_hit(void);

/* failalloc_count: allocation calls since the process started. */
uint64_t failalloc_count(void);

/* failalloc_live_get: the live blocks and bytes now. */
struct failalloc_live failalloc_live_get(void);

#endif /* BUURT_FAILALLOC_H */
