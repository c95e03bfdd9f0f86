#!/bin/bash
# crash.sh: SIGKILL buurtd in the middle of a stream of client writes,
# restart it, and check that every acknowledged write is there and that
# the namespace's chain verifies from seq 1.
#
# Environment: BUURT and BUURTD (binary paths, set by meson), ROUNDS
# (default 5).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
D=$T
writer=
trap '[ -z "$writer" ] || kill "$writer" 2>/dev/null; lib_cleanup' EXIT

start() { node_start "$D/node"; }

"$BUURT" init "$D/node" --name "Crash test" >/dev/null
: >"$D/acked"

# One writer process: every write whose command exited 0 was acknowledged
# by the node after its commit, and is recorded as such.
write_loop() {
	local round=$1 i=0
	while [ "$i" -lt 5000 ]; do
		i=$((i + 1))
		id="r${round}-w${i}"
		if "$BUURT" -C "$D/node" --timeout 2000 put initiative \
		    --id "$id" title="Write $id" \
		    description="Written during crash round $round" \
		    pillar=social-ties status=idea >/dev/null 2>&1; then
			echo "$id" >>"$D/acked"
		fi
	done
}

for round in $(seq "$ROUNDS"); do
	start
	write_loop "$round" &
	writer=$!
	# Let some writes through, then kill at a random instant.
	sleep "0.$((RANDOM % 9 + 1))"
	node_kill "$D/node"
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	writer=
done

start
acked=$(wc -l <"$D/acked")
[ "$acked" -gt 0 ] || fail "no write was acknowledged at all"

missing=0
while read -r id; do
	if ! "$BUURT" -C "$D/node" get initiative "$id" >/dev/null 2>&1; then
		echo "lost acknowledged write: $id" >&2
		missing=$((missing + 1))
	fi
done <"$D/acked"
[ "$missing" -eq 0 ] || fail "$missing of $acked acknowledged writes lost"

# The whole chain from seq 1 verifies (the CLI checks every signature,
# body hash and prev link, and exits non-zero on a break).
"$BUURT" -C "$D/node" log >"$D/log.txt" ||
    fail "chain does not verify after crashes"
grep -q "chain verified" "$D/log.txt" || fail "log printed no verification"

node_stop "$D/node"
echo "ok: $ROUNDS kills, $acked acknowledged writes, 0 lost, chain verified"
