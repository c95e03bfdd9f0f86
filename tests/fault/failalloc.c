/*
 * failalloc.c: the allocator every caller in a fault-test executable
 * ends up in; see failalloc.h.
 *
 * glibc supports replacing malloc by defining it in the executable (the
 * manual's "Replacing malloc"): its own internal callers then use the
 * replacement too.  Ours forwards to glibc's allocator under its
 * __libc_* names, so the heap itself is glibc's and a block allocated
 * before main() or by a function we do not define (reallocarray calls
 * our realloc) is freed correctly.  Every function glibc says to replace
 * together is defined here, so that no block escapes the count.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "failalloc.h"

/* glibc's allocator, exported for replacements like this one. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

/* The one piece of global state a process-wide allocator needs. */
static struct {
	uint64_t calls;		/* allocation calls so far */
	uint64_t fail_at;	/* the call that fails; 0 = none */
	bool sticky;		/* ... and every call after it */
	bool paused;		/* neither count nor fail */
	bool hit;		/* it did */
	struct failalloc_live live;
} fa;

/* Count an allocation call; true if it is the one that must fail. */
static bool
fa_fail(void)
{
	if (fa.paused) {
		return false;
	}
	fa.calls++;
	if (fa.fail_at != 0 && fa.calls >= fa.fail_at) {
		if (!fa.sticky) {
			fa.fail_at = 0;
		}
		fa.hit = true;
		errno = ENOMEM;
		return true;
	}
	return false;
}

static void *
fa_got(void *p)
{
	if (p != NULL) {
		fa.live.blocks++;
		fa.live.bytes += (int64_t)malloc_usable_size(p);
	}
	return p;
}

void *
malloc(size_t n)
{
	return fa_fail() ? NULL : fa_got(__libc_malloc(n));
}

void *
calloc(size_t n, size_t size)
{
	return fa_fail() ? NULL : fa_got(__libc_calloc(n, size));
}

void *
realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL) {
		return malloc(n);
	}
	if (n == 0) {
		/* glibc frees p and returns NULL: a free, not a failure. */
		free(p);
		return NULL;
	}
	if (fa_fail()) {
		return NULL;	/* p stays as it was, as for a real failure */
	}
	old = malloc_usable_size(p);
	if ((q = __libc_realloc(p, n)) != NULL) {
		fa.live.bytes += (int64_t)malloc_usable_size(q) - (int64_t)old;
	}
	return q;
}

void
free(void *p)
{
	if (p != NULL) {
		fa.live.blocks--;
		fa.live.bytes -= (int64_t)malloc_usable_size(p);
	}
	__libc_free(p);
}

void *
memalign(size_t align, size_t n)
{
	return fa_fail() ? NULL : fa_got(__libc_memalign(align, n));
}

void *
aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0) {
		return EINVAL;
	}
	if ((p = memalign(align, n)) == NULL) {
		return ENOMEM;
	}
	*out = p;
	return 0;
}

void *
valloc(size_t n)
{
	return fa_fail() ? NULL : fa_got(__libc_valloc(n));
}

void *
pvalloc(size_t n)
{
	return fa_fail() ? NULL : fa_got(__libc_pvalloc(n));
}

void
failalloc_arm(uint64_t n)
{
	fa.fail_at = n == 0 ? 0 : fa.calls + n;
	fa.sticky = false;
	fa.hit = false;
}

void
failalloc_arm_all(uint64_t n)
{
	failalloc_arm(n);
	fa.sticky = true;
}

void
failalloc_disarm(void)
{
	fa.fail_at = 0;
}

void
failalloc_pause(bool on)
{
	fa.paused = on;
}

bool
failalloc_hit(void)
{
	return fa.hit;
}

uint64_t
failalloc_count(void)
{
	return fa.calls;
}

struct failalloc_live
failalloc_live_get(void)
{
	return fa.live;
}
