#!/bin/bash
# exhaust_conn.sh: half-open connections.  Node N runs with the usual
# default soft limit of 1024 open files (its hard limit as given); the
# test opens EXHAUST_CONNS (1000) plain TCP connections to each of N's
# sync and pub ports that never finish the ZMTP/CURVE handshake (half
# send nothing, half only the greeting's signature) and holds them.
# Meanwhile a fresh CURVE key's "hello" on sync and `buurt status` must
# be answered within 1 s, and a real buurtd F must follow N (handshakes
# on the flooded ports) and receive a put on N within 1 s.  Then N must
# drop the half-open connections by itself (ZMQ_HANDSHAKE_IVL, 10 s),
# its fd count must come back near the baseline and its VmRSS stay
# bounded.  Without buurtd raising its soft fd limit, N stops accepting
# at ~1000 connections and the honest checks time out.  About 15 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
EX="$here/exhaust.py"
CONNS=${EXHAUST_CONNS:-1000}
RSS_MAX_KB=${EXHAUST_RSS_KB:-$((${EXHAUST_ASAN:-0} ? 131072 : 32768))}

b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 5000 "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
fds() { ls "/proc/$1/fd" | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
stq() { b "$1" --json status | "$PY" -c "import json, sys
s = json.load(sys.stdin)
w, a = sys.argv[1], sys.argv[2]
if w == 'seq':
    print(next((n['seq'] for n in s['namespaces'] if n['ns'] == a), 0))
else:
    print(next((p['state'] for p in s['peers'] if p['id'] == a), '-'))
" "$2" "$3"; }

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((2 * CONNS + 200)) ] ||
    fail "the hard fd limit $hard cannot hold 2 x $CONNS connections"

N=$(node_init "$T/n" "flooded")
node_init "$T/f" "follower" >/dev/null
# N starts with a soft limit of 1024, as on most systems.
printf '#!/bin/sh\nulimit -Sn 1024\nexec "%s" "$@"\n' "$BUURTD" \
    >"$T/buurtd-1024"
chmod +x "$T/buurtd-1024"
BUURTD="$T/buurtd-1024" node_start "$T/n"
NPID=${NODE_PID[$T/n]}
node_start "$T/f"
sync=$(sed -n 's/^sync = //p' "$T/n/buurt.conf")
pub=$(sed -n 's/^pub = //p' "$T/n/buurt.conf")
b n put initiative --id first title=t description=d pillar=social-ties \
    status=idea >/dev/null
fd0=$(fds "$NPID")
rss0=$(rss "$NPID")

mkfifo "$T/hold.in"
"$PY" "$EX" hold "${sync#tcp://}" "${pub#tcp://}" "$CONNS" \
    <"$T/hold.in" >"$T/hold.out" 2>"$T/hold.err" &
HOLD=$!
exec 3>"$T/hold.in"
t0=$SECONDS
until grep -q held "$T/hold.out"; do
	kill -0 "$HOLD" 2>/dev/null || fail "hold: $(cat "$T/hold.err")"
	[ $((SECONDS - t0)) -lt 20 ] || fail "2 x $CONNS connects took > 20 s"
	sleep 0.05
done
# The kernel completes the connects; N's io thread accepts them soon.
t_open=$(ms)
until [ "$(fds "$NPID")" -ge $((fd0 + 2 * CONNS)) ]; do
	[ $(($(ms) - t_open)) -lt 3000 ] ||
	    fail "N holds $(fds "$NPID") fds (baseline $fd0): not all" \
	    "$((2 * CONNS)) connections were accepted"
	sleep 0.05
done
fd1=$(fds "$NPID")

# The honest: a client, a fresh sync key, a real follower.
t=$(ms); b n status >/dev/null || fail "status failed under the flood"
lat_status=$(($(ms) - t))
lat_hello=$("$PY" "$EX" hello "$sync" "$N" | "$PY" -c \
    'import json, sys; print(int(json.load(sys.stdin)["ms"]))') ||
    fail "no hello answered under the flood"
b f follow "$N" "$sync" >/dev/null
t=$(ms)
until [ "$(stq f peer "$N")" = live ] && [ "$(stq f seq "$N")" -ge 1 ]; do
	[ $(($(ms) - t)) -lt 5000 ] || fail "F did not catch up with N in 5 s"
	sleep 0.02
done
lat_follow=$(($(ms) - t))
b n put initiative --id second title=t description=d \
    pillar=social-ties status=idea >/dev/null
t=$(ms)
until [ "$(stq f seq "$N")" -ge 2 ]; do
	[ $(($(ms) - t)) -lt 5000 ] || fail "F did not get N's put in 5 s"
	sleep 0.02
done
lat_put=$(($(ms) - t))
fd2=$(fds "$NPID")
rss2=$(rss "$NPID")
[ $(($(ms) - t_open)) -lt 9000 ] ||
    fail "the honest checks took over 9 s: N may have dropped the flood"
for v in lat_status lat_hello lat_put; do
	[ "${!v}" -le 1000 ] || fail "$v ${!v} ms > 1000 ms under the flood"
done

# N drops what does not finish its handshake in 10 s, by itself.
t=$SECONDS
until [ "$(fds "$NPID")" -le $((fd0 + 20)) ]; do
	[ $((SECONDS - t)) -lt 20 ] ||
	    fail "N still holds $(fds "$NPID") fds (baseline $fd0) 20 s on"
	sleep 0.2
done
echo close >&3
exec 3>&-
wait "$HOLD" || fail "hold failed: $(cat "$T/hold.err")"
closed=$(tail -1 "$T/hold.out" | "$PY" -c \
    'import json, sys; print(json.load(sys.stdin)["closed_by_node"])')
[ "$closed" -eq $((2 * CONNS)) ] ||
    fail "N closed only $closed of $((2 * CONNS)) half-open connections"
fd3=$(fds "$NPID")
rss3=$(rss "$NPID")
[ $((rss3 - rss0)) -le "$RSS_MAX_KB" ] ||
    fail "VmRSS grew by $((rss3 - rss0)) KiB (> $RSS_MAX_KB)"
b n status >/dev/null || fail "N does not answer after the flood"
[ "$(stq f seq "$N")" -eq 2 ] || fail "F lost N's updates"
grep -q "open files allowed" "$T/n.log" &&
    fail "N kept a small fd limit: $(grep "open files" "$T/n.log")"
node_stop "$T/f"
node_stop "$T/n"
echo "exhaust_conn: $((2 * CONNS)) half-open connections held (sync" \
    "$CONNS, pub $CONNS); status ${lat_status} ms, hello ${lat_hello} ms," \
    "follower live in ${lat_follow} ms, put relayed in ${lat_put} ms;" \
    "fds $fd0 before, $fd1 during, $fd2 after the checks, $fd3 after N" \
    "dropped all $closed; VmRSS $rss0 -> $rss2 -> $rss3 KiB"
echo "ok"
