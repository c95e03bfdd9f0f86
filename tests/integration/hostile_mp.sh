#!/bin/bash
# hostile_mp.sh: 10,000 hostile msgpack messages (issue 4, item 2) reach
# a real buurtd on its api socket, its CURVE sync socket and, from a
# followed peer, its pub subscription (hostile_mp.py): every one is
# rejected with its specific error, and the node's memory grows by less
# than 1 MiB.  Afterwards it still takes a put and serves the get.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
COUNT=${HOSTILE_MP_COUNT:-10000}

# Under AddressSanitizer, freed memory waits in a quarantine (256 MiB by
# default) and every allocation keeps its stack: both would count as
# growth here.  Turn them off for this buurtd, so the figure is the
# node's own.
if grep -qa __asan_init "$BUURTD"; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	ASAN_OPTIONS+=":thread_local_quarantine_size_kb=0:malloc_context_size=0"
fi
node_init "$T/v" "victim" >"$T/v.id"
node_start "$T/v"
"$PY" "$here/hostile_mp.py" "$T/v" "$(cat "$T/v.id")" \
    "${NODE_PID[$T/v]}" "$COUNT" >"$T/out" 2>&1 || {
	cat "$T/out"
	fail "hostile_mp.py"
}
cat "$T/out"
kill -0 "${NODE_PID[$T/v]}" || fail "buurtd died"
"$BUURT" -C "$T/v" --timeout 5000 put initiative --id after \
    title="After the storm" description="Still here." pillar=social-ties \
    status=running >/dev/null || fail "put after the hostile messages"
"$BUURT" -C "$T/v" --timeout 5000 get initiative after | grep -q "After the storm" ||
    fail "get after the hostile messages"
node_stop "$T/v"
echo "ok: the node took a put and served it afterwards"
