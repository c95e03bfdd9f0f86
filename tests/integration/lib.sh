# tests/integration/lib.sh: shared by the integration tests (sourced).
# Needs BUURT and BUURTD (binary paths, set by meson).  Gives a temporary
# directory $T removed at exit, and helpers to start and stop nodes.

BUURT=${BUURT:?BUURT must name the buurt binary}
BUURTD=${BUURTD:?BUURTD must name the buurtd binary}

T=$(mktemp -d /tmp/buurt-test.XXXXXX)
declare -A NODE_PID=()

lib_cleanup() {
	local d
	for d in "${!NODE_PID[@]}"; do
		kill -9 "${NODE_PID[$d]}" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap lib_cleanup EXIT

fail() {
	local d
	echo "FAIL: $*" >&2
	for d in "${!NODE_PID[@]}"; do
		echo "--- log of $d ---" >&2
		tail -20 "$d.log" >&2 2>/dev/null || true
	done
	exit 1
}

# node_start DIR: start buurtd on DIR (log in DIR.log); wait until it
# answers status.
node_start() {
	local d=$1 i
	"$BUURTD" "$d" 2>>"$d.log" &
	NODE_PID[$d]=$!
	for i in $(seq 200); do
		if "$BUURT" -C "$d" --timeout 1000 status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "${NODE_PID[$d]}" 2>/dev/null ||
		    fail "buurtd on $d exited at start"
		sleep 0.05
	done
	fail "buurtd on $d did not answer within 10 s"
}

# node_kill DIR: SIGKILL the node on DIR.
node_kill() {
	local d=$1
	kill -9 "${NODE_PID[$d]}" 2>/dev/null || true
	wait "${NODE_PID[$d]}" 2>/dev/null || true
	unset "NODE_PID[$d]"
}

# node_stop DIR: SIGTERM the node on DIR; fail unless it exits 0.
node_stop() {
	local d=$1 rc=0
	kill -TERM "${NODE_PID[$d]}"
	wait "${NODE_PID[$d]}" || rc=$?
	unset "NODE_PID[$d]"
	[ "$rc" -eq 0 ] || fail "buurtd on $d exited $rc on SIGTERM"
}

# node_init DIR NAME: buurt init DIR --name NAME, the node id on stdout.
# The ports init picks are free at that moment only, so two nodes of one
# test could in rare cases get the same one: then make DIR again.
node_init() {
	local d=$1 name=$2 i p
	for i in 1 2 3 4 5; do
		rm -rf "$d"
		"$BUURT" init "$d" --name "$name" >"$d.newid" || return 1
		p=$(sed -n 's/^\(sync\|pub\) = tcp:\/\/127.0.0.1://p' \
		    "$d/buurt.conf")
		if ! grep -qxF -f <(echo "$p") "$T/.ports" 2>/dev/null; then
			echo "$p" >>"$T/.ports"
			cat "$d.newid"
			return 0
		fi
	done
	fail "node_init: no distinct ports for $d"
}
