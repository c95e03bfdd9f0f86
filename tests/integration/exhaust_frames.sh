#!/bin/bash
# exhaust_frames.sh: oversize frames.  Frames of 64 KiB + 1, 1 MiB and
# 16 MiB go to node N on each of its sockets: the api (ipc), sync (CURVE,
# a fresh key) and, as a published message, from a peer N follows (the
# fake peer of exhaust.py oversize-pub).  Each must cost the sender its
# connection (a disconnect event on the sender's socket) and get no
# reply; the request after the reconnect is answered.  On pub each frame
# goes out on a fresh subscription (unfollow + follow: see below), and a
# valid update after the three is applied.  N's counters must show no
# frame processed (peer_frames_dropped, rejected unchanged), its VmRSS
# grow by less than 8 MiB (64 MiB under ASan), and N keep serving.
# About 10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
EX="$here/exhaust.py"
RSS_MAX_KB=$((${EXHAUST_ASAN:-0} ? 65536 : 8192))

b() { "$BUURT" -C "$T/n" --timeout 5000 "$@"; }
hctl() { "$PY" "$here/hostile_peer.py" ctl "ipc://$T/h.ctl" "$@"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
stq() { b --json status | "$PY" -c "import json, sys
s = json.load(sys.stdin)
w, a = sys.argv[1], sys.argv[2]
if w == 'counter':
    print(s['counters'][a])
elif w == 'seq':
    print(next((n['seq'] for n in s['namespaces'] if n['ns'] == a), 0))
else:
    print(next((p['state'] for p in s['peers'] if p['id'] == a), '-'))
" "$1" "$2"; }
# Conditions are functions (or commands) run afresh at every try: a
# "[ "$(...)" ... ]" written out in the call would be expanded once.
seq_is() { [ "$(stq seq "$1")" -eq "$2" ]; }
peer_is() { [ "$(stq peer "$1")" = "$2" ]; }
subs_ge() { [ "$(hctl status --get subs)" -ge "$1" ]; }
subs_gt() { [ "$(hctl status --get subs)" -gt "$1" ]; }
disc_ge() { [ "$(hctl status --get disc)" -ge "$1" ]; }
wait_until() {
	local what=$1 t=$SECONDS
	shift
	until "$@"; do
		[ $((SECONDS - t)) -lt 15 ] || fail "$what (15 s)"
		sleep 0.05
	done
}

N=$(node_init "$T/n" "big frames")
node_start "$T/n"
NPID=${NODE_PID[$T/n]}
sync=$(sed -n 's/^sync = //p' "$T/n/buurt.conf")

: >"$T/h.out"
"$PY" "$EX" oversize-pub "$(printf '6f%.0s' $(seq 32))" "ipc://$T/h.ctl" \
    >"$T/h.out" 2>"$T/h.log" &
NODE_PID[$T/h]=$!
wait_until "the fake peer did not start" grep -q '^ready$' "$T/h.out"
H=$(sed -n 's/^id //p' "$T/h.out")
b follow "$H" "$(sed -n 's/^sync //p' "$T/h.out")" >/dev/null
wait_until "N does not hold H's 2 updates" seq_is "$H" 2
wait_until "N's peer H is not live" peer_is "$H" live
# Let the follow settle (pub connected and subscribed) before measuring.
wait_until "N did not subscribe to H's pub" subs_ge 1
dropped0=$(stq counter peer_frames_dropped)
rejected0=$(stq counter rejected)
rss0=$(rss "$NPID")

api=$("$PY" "$EX" oversize-api "ipc://$T/n/api.sock") ||
    fail "oversize frames on the api"
syn=$("$PY" "$EX" oversize-sync "$sync" "$N") ||
    fail "oversize frames on sync"

# pub: each frame on a fresh subscription.  libzmq does not reconnect a
# SUB whose peer sent a frame over ZMQ_MAXMSGSIZE (a protocol error ends
# the session), so N would only catch up by polling heads (15 s); an
# unfollow + follow subscribes again.
hsubs() { hctl status --get subs; }
hdisc() { hctl status --get disc; }
refollow() {
	b unfollow "$H" >/dev/null
	b follow "$H" "$(sed -n 's/^sync //p' "$T/h.out")" >/dev/null
}
# The first unfollow closes the live connection (one disconnect); after
# it, a connection gone before the next unfollow was dropped by N.
d0=$(($(hdisc) + 1))
k=0
for size in 65537 1048576 16777216; do
	k=$((k + 1))
	subs=$(hsubs)
	hctl go "$size" >/dev/null
	refollow
	wait_until "N did not subscribe again" subs_gt "$subs"
	wait_until "N kept its subscription after a $size-byte frame" \
	    disc_ge $((d0 + k))
done
[ "$(hctl status --get sent | tr -dc 0-9,)" = "65537,1048576,16777216" ] ||
    fail "the fake peer sent $(hctl status --get sent)"
# After a fresh subscription, a valid update arrives live.
subs=$(hsubs)
refollow
wait_until "N did not subscribe after the big frames" subs_gt "$subs"
wait_until "N's peer H is not live" peer_is "$H" live
hctl next >/dev/null
t=$SECONDS
wait_until "N did not apply H's valid update 3 after the big frames" \
    seq_is "$H" 3
pdisc=$(($(hdisc) - d0))
[ "$pdisc" -eq 3 ] || fail "$pdisc disconnects on pub, not 3"

rss1=$(rss "$NPID")
dropped=$(($(stq counter peer_frames_dropped) - dropped0))
rejected=$(($(stq counter rejected) - rejected0))
[ "$dropped" -eq 0 ] && [ "$rejected" -eq 0 ] ||
    fail "an oversize frame was processed: peer_frames_dropped +$dropped," \
    "rejected +$rejected"
[ $((rss1 - rss0)) -lt "$RSS_MAX_KB" ] ||
    fail "VmRSS grew by $((rss1 - rss0)) KiB (>= $RSS_MAX_KB)"
b put initiative --id after title=t description=d pillar=social-ties \
    status=idea >/dev/null || fail "N does not take a put afterwards"
"$PY" "$EX" hello "$sync" "$N" >/dev/null || fail "sync is not served"

node_stop "$T/n"
kill -TERM "${NODE_PID[$T/h]}"
wait "${NODE_PID[$T/h]}" 2>/dev/null || true
unset "NODE_PID[$T/h]"
figs() { echo "$1" | "$PY" -c 'import json, sys
r = json.load(sys.stdin); print(r["disconnects"])'; }
echo "exhaust_frames: 64 KiB+1, 1 MiB, 16 MiB each dropped unread:" \
    "api $(figs "$api") disconnects, sync $(figs "$syn") disconnects," \
    "pub $pdisc disconnects (valid update 3 applied after); 0 frames" \
    "processed; VmRSS $rss0 -> $rss1 KiB (+$((rss1 - rss0)))"
echo "ok"
