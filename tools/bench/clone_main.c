/*
 * clone_main.c: buurt-clone-bench, the Clone-pattern baseline on its own.
 *
 *	buurt-clone-bench [--json] [-n ENTRIES]
 *
 * Times one late joiner's snapshot of ENTRIES (default 1,000,000)
 * key-value entries over plain ZeroMQ on 127.0.0.1 (see clone.h) and
 * prints
 *
 *	clone: N entries in S s = R entries/s
 *
 * or, with --json, one object {"clone": {"entries", "bytes", "seconds",
 * "rate"}}.  Exit status 0, 1 if the snapshot failed, 64 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clone.h"

#define DEFAULT_ENTRIES	1000000

static void
usage(FILE *f)
{
	fprintf(f, "usage: buurt-clone-bench [--json] [-n ENTRIES]\n"
	    "  Times a late joiner's plain, unsigned ZeroMQ key-value"
	    " snapshot (zguide\n  chapter 5, Clone) of ENTRIES entries"
	    " (default %d) on 127.0.0.1.\n", DEFAULT_ENTRIES);
}

int
main(int argc, char **argv)
{
	struct clone_bench_result r;
	unsigned long n = DEFAULT_ENTRIES;
	char err[256], *end;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "--entries") == 0) && i + 1 < argc) {
			errno = 0;
			n = strtoul(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || n == 0 ||
			    n > UINT32_MAX / 4) {
				fprintf(stderr, "buurt-clone-bench: -n: not a"
				    " count of entries: %s\n", argv[i]);
				return 64;
			}
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 64;
		}
	}
	if (clone_bench_run((unsigned)n, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "buurt-clone-bench: %s\n", err);
		return 1;
	}
	if (json) {
		printf("{\"clone\": {\"entries\": %u, \"bytes\": %" PRIu64
		    ", \"seconds\": %.3f, \"rate\": %.0f}}\n", r.entries,
		    r.bytes, r.seconds, r.rate);
	} else {
		printf("clone: %u entries in %.2f s = %.0f entries/s\n",
		    r.entries, r.seconds, r.rate);
	}
	return 0;
}
