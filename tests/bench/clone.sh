#!/bin/sh
# clone.sh: buurt-clone-bench (tools/bench/clone.c) takes a snapshot of
# CLONE_ENTRIES entries over ZeroMQ on 127.0.0.1 and prints a figure that
# parses, as text and as JSON.  Never a timed pass/fail: the rate only has
# to be positive.  About 1 s.
set -u
: "${CLONE_BENCH:?path to buurt-clone-bench}"
n=${CLONE_ENTRIES:-50000}

fail() {
	echo "clone: FAIL: $*"
	exit 1
}

text=$("$CLONE_BENCH" -n "$n") || fail "buurt-clone-bench -n $n failed"
echo "$text"
echo "$text" | grep -Eq "^clone: $n entries in [0-9]+\.[0-9]+ s = [1-9][0-9]* entries/s\$" ||
	fail "unexpected output: $text"

json=$("$CLONE_BENCH" --json -n "$n") || fail "buurt-clone-bench --json failed"
echo "$json"
/usr/bin/python3 - "$n" "$json" <<'PY' || fail "unexpected JSON: $json"
import json, sys
n, doc = int(sys.argv[1]), json.loads(sys.argv[2])
c = doc["clone"]
assert c["entries"] == n, c
assert c["bytes"] >= n * 200, c		# bodies are 200..600 bytes
assert c["seconds"] >= 0 and c["rate"] > 0, c
PY

# Bad usage is refused, not run.
"$CLONE_BENCH" -n 0 >/dev/null 2>&1
[ $? -eq 64 ] || fail "-n 0 was not refused with status 64"

rate=$(echo "$text" | sed 's/.*= \([0-9]*\) entries.*/\1/')
echo "clone: $n entries snapshotted, $rate entries/s, JSON parses, bad usage refused"
