#!/bin/bash
# run.sh FUZZER SEEDS LIMIT [DICT]: run one libFuzzer target on a scratch
# copy of its seed corpus (the source tree is never written), for LIMIT,
# a libFuzzer flag such as -max_total_time=9 or -runs=1000000.
#
# Prints one line with the figures, e.g.
#   fuzz_mp: 81234 executions in 9 s (9026/s), corpus 40 -> 377 inputs,
#   0 crashes, 0 leaks, 0 out-of-memory, 0 timeouts
# then the same figures machine-readable for long.sh:
#   FUZZSTAT fuzz_mp 81234 9 0 0 0 0
# Exits 0 only if libFuzzer finished cleanly after at least 1000
# executions (a target's failed check counts as a crash: it abort()s).
# On a finding it prints libFuzzer's report and the input in hex, and
# keeps the input in ${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}.
set -u

exe=$1
seeds=$2
limit=$3
dict=${4:-}
name=$(basename "$exe")

work=$(mktemp -d "${TMPDIR:-/tmp}/buurt-$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/" || exit 1
nseeds=$(find "$work/corpus" -type f | wc -l)

# Leaks are failures; UBSan stops at its first report so that libFuzzer
# reports it with the input.
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

args=("$limit" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512
	-max_len=8192 -print_final_stats=1 -artifact_prefix="$work/artifacts/")
if [ -n "$dict" ]; then
	args+=(-dict="$dict")
fi
start=$(date +%s.%N)
"$exe" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
rc=$?
secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

# "Done N runs in S second(s)" at a clean end; the final stats always.
runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$work/log" | tail -n 1)
if [ -z "$runs" ]; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$work/log" | tail -n 1)
fi
runs=${runs:-0}
ncorpus=$(find "$work/corpus" -type f | wc -l)

crashes=0 leaks=0 ooms=0 timeouts=0
if [ "$rc" -ne 0 ]; then
	if grep -q "ERROR: LeakSanitizer" "$work/log"; then
		leaks=1
	elif grep -q "ERROR: libFuzzer: out-of-memory\|malloc(.*) exceeds" \
	    "$work/log"; then
		ooms=1
	elif grep -q "ERROR: libFuzzer: timeout" "$work/log"; then
		timeouts=1
	else
		crashes=1
	fi
fi

rate=$(echo "$runs $secs" | awk '{ printf "%d", ($2 > 0 ? $1 / $2 : $1) }')
echo "$name: $runs executions in $secs s ($rate/s), corpus $nseeds ->" \
    "$ncorpus inputs, $crashes crashes, $leaks leaks, $ooms out-of-memory," \
    "$timeouts timeouts"
echo "FUZZSTAT $name $runs $secs $crashes $leaks $ooms $timeouts"

if [ "$rc" -ne 0 ]; then
	echo "$name: libFuzzer exited $rc; its report:"
	grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)' "$work/log" | tail -n 60
	keep=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
	mkdir -p "$keep"
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] || continue
		echo "input $(basename "$f") ($(wc -c <"$f") bytes):"
		od -An -tx1 -v "$f" | head -n 40
		cp "$f" "$keep/$name-$(basename "$f")"
		echo "kept as $keep/$name-$(basename "$f")"
	done
	exit 1
fi
# A target that hardly ran proves nothing: at least 1000 executions (or
# all of a -runs= below that).
want=1000
case $limit in
-runs=*) [ "${limit#-runs=}" -lt "$want" ] && want=${limit#-runs=} ;;
esac
if [ "$runs" -lt "$want" ]; then
	echo "$name: only $runs executions (want at least $want)"
	exit 1
fi
exit 0
