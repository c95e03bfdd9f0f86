#!/bin/bash
# exhaust_slow.sh: a slow subscriber.  Follower F ([federation] hwm = 1:
# its subscription holds one message) follows upstream U, both real
# buurtd.  While U takes EXHAUST_SLOW_N (10,000; 3,000 under ASan) puts
# with 2 KB bodies and publishes each, F runs only ~10 ms of every
# second (SIGSTOP, then SIGCONT for 10 ms), so it reads a handful of
# messages a second and U's pub queue for it (hwm = 100: ZMQ_SNDHWM)
# overflows and drops.  Then F runs freely: it must detect the gaps
# (counter gaps) and fill them by fetch (counter chunks), end at U's
# head (seq and hash), verify the whole chain, and reject nothing.  A
# follower that ignored gaps would stop far below U's head.  The extra
# 10 puts after F resumes arrive live beyond F's head: that gap is seen
# in the seqs (U sends no heartbeat during the test).  About 6-10 s.
#
# Why SIGSTOP: it slows the real process without changing its code.  A
# slow reader is one that does not read; the kernel buffers and U's
# queue then fill exactly as they would for a slow machine or link.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
EX="$here/exhaust.py"
NUP=${EXHAUST_SLOW_N:-$((${EXHAUST_ASAN:-0} ? 3000 : 10000))}

b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 10000 "$@"; }
stq() { b "$1" --json status | "$PY" -c "import json, sys
s = json.load(sys.stdin)
w, a = sys.argv[1], sys.argv[2]
if w == 'counter':
    print(s['counters'][a])
elif w == 'head':
    print(next(('%d %s' % (n['seq'], n['hash']) for n in s['namespaces']
                if n['ns'] == a), '-'))
else:
    print(next((p['state'] for p in s['peers'] if p['id'] == a), '-'))
" "$2" "$3"; }
U=$(node_init "$T/u" "upstream")
node_init "$T/f" "slow follower" >/dev/null
# buurt.conf ends in its [federation] section.
echo "hwm = 1" >>"$T/f/buurt.conf"
# No heartbeat from U during the test: F must find the gaps in the seqs
# of the live updates, not in U's heads.
echo "heartbeat = 3600" >>"$T/u/buurt.conf"
# Bodies of 2 KB and U's pub queue of 100 messages (ZMQ_SNDHWM): what the
# kernel's socket buffers hold (some MB on loopback) is then well below
# what U publishes.
echo "hwm = 100" >>"$T/u/buurt.conf"
node_start "$T/u"
node_start "$T/f"
FPID=${NODE_PID[$T/f]}
b u put initiative --id first title=t description=d pillar=social-ties \
    status=idea >/dev/null
b f follow "$U" "$(sed -n 's/^sync = //p' "$T/u/buurt.conf")" >/dev/null
t=$SECONDS
until [ "$(stq f head "$U")" = "$(stq u head "$U")" ] &&
    [ "$(stq f peer "$U")" = live ]; do
	[ $((SECONDS - t)) -lt 15 ] || fail "F did not catch up with U's" \
	    "first update in 15 s: $(b f status | grep -v ' 0$' | tail -25)"
	sleep 0.1
done
sleep 0.5       # F's subscription is connected by now
gaps0=$(stq f counter gaps)
chunks0=$(stq f counter chunks)
pub0=$(stq u counter published)

# F runs 10 ms a second while U publishes.
(
	trap 'kill -CONT $FPID 2>/dev/null; exit 0' TERM
	while :; do
		kill -STOP "$FPID"
		sleep 0.99
		kill -CONT "$FPID"
		sleep 0.01
	done
) &
SLOW=$!
t=$SECONDS
puts=$("$PY" "$EX" puts "ipc://$T/u/api.sock" "$NUP" --pad 2000) || {
	kill "$SLOW"; fail "U's puts failed"; }
put_secs=$((SECONDS - t))
stalled=$(stq f head "$U" | cut -d' ' -f1)
kill "$SLOW"
wait "$SLOW" || true
kill -CONT "$FPID"
# A few more, live: F reads them beyond the head it reached, a gap it must
# see in the seqs (counter gaps), not only in U's next heartbeat.
more=$("$PY" "$EX" puts "ipc://$T/u/api.sock" 10 --prefix s) ||
    fail "U's last puts failed"
[ "$(echo "$puts" | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["acked"])')" -eq "$NUP" ] || fail "U's puts: $puts"
want=$(stq u head "$U")
[ "${want%% *}" -eq $((NUP + 11)) ] || fail "U holds $want"

t=$SECONDS
until [ "$(stq f head "$U")" = "$want" ]; do
	[ $((SECONDS - t)) -lt 60 ] || fail "F did not reach U's head $want" \
	    "in 60 s: $(b f status | grep -v ' 0$' | tail -25)"
	sleep 0.1
done
catch_secs=$((SECONDS - t))
published=$(($(stq u counter published) - pub0))
gaps=$(($(stq f counter gaps) - gaps0))
chunks=$(($(stq f counter chunks) - chunks0))
[ "$published" -ge $((NUP + 10)) ] || fail "U published only $published"
[ "$gaps" -gt 0 ] || fail "F counted no gap: $(b f status | grep -v " 0$" | tail -22)"
[ "$chunks" -gt 0 ] || fail "F fetched no chunk to fill its gaps"
[ "$(stq f counter rejected)" -eq 0 ] ||
    fail "F rejected $(stq f counter rejected) updates"
b f log --ns "$U" | tail -1 |
    grep -q "^chain verified: $((NUP + 11)) updates, head seq $((NUP + 11)) " ||
    fail "U's chain does not verify on F"
node_stop "$T/f"
node_stop "$T/u"
echo "exhaust_slow: U published $published updates in $put_secs s while F" \
    "ran 10 ms a second (F at seq $stalled when U was done); F detected" \
    "$gaps gaps, fetched $chunks chunks, reached U's head seq" \
    "${want%% *} in $catch_secs s; chain verifies"
echo "ok"
