#!/bin/bash
# long.sh [TOTAL_EXECS] [BUILD_DIR]: the long fuzzing run.
#
# Runs every libFuzzer target of tests/fuzz for TOTAL_EXECS / 8
# executions (default 100,000,000 in all) on a scratch copy of its seed
# corpus, one after the other, and prints per target the executions,
# crashes, leaks, out-of-memory and timeouts, then a total line.  Builds
# BUILD_DIR (default build-fuzz: clang, ASan + UBSan) first if missing.
# Exits non-zero if any target found anything.
set -u
cd "$(dirname "$0")/../.." || exit 1

total=${1:-100000000}
build=${2:-build-fuzz}
targets=(fuzz_mp fuzz_update fuzz_body fuzz_request fuzz_reply fuzz_pub
	fuzz_sync fuzz_chunk)
per=$((total / ${#targets[@]}))

if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false --werror ||
	    exit 1
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/}" || exit 1

echo "long run: ${#targets[@]} targets x $per executions"
stats=$(mktemp "${TMPDIR:-/tmp}/buurt-long.XXXXXX") || exit 1
trap 'rm -f "$stats"' EXIT
fail=0
for t in "${targets[@]}"; do
	FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-$PWD/$build/fuzz-artifacts} \
	    bash tests/fuzz/run.sh "$build/tests/fuzz/$t" \
	    "tests/fuzz/corpus/$t" -runs="$per" tests/fuzz/buurt.dict |
	    tee -a "$stats" | grep -v '^FUZZSTAT'
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
done
awk '$1 == "FUZZSTAT" { n++; runs += $3; secs += $4; c += $5; l += $6;
	o += $7; t += $8 }
    END { printf "long run: %d executions in %.0f s over %d targets:" \
	" %d crashes, %d leaks, %d out-of-memory, %d timeouts\n",
	runs, secs, n, c, l, o, t }' "$stats"
exit $fail
