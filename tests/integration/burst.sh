#!/bin/bash
# burst.sh: a subscriber with a tiny high-water mark under a burst.  The
# victim V (hwm = 1 in [federation]: ZMQ_RCVHWM 1 on its subscription to
# a peer's pub, ZMQ_SNDHWM 1 on its own pub) follows the fake peer H
# (hostile_peer.py, honest here).  Once V is live, H publishes N valid,
# consecutive, signed updates of its own namespace back to back.
#
# Where the updates go missing: over tcp a SUB at its receive mark does
# not drop, it stops reading, and the publisher's queue for it fills; the
# PUB drops what its own mark (here H's, H_SNDHWM, default 100) cannot
# hold.  With H_SNDHWM=0 (no limit) the burst arrives whole even at
# V's mark of 1, and this test fails for want of a gap.  So V sees gaps
# in the sequence; it must count them (counter gaps) and fill them from
# H's sync (counter chunks), ending with H's head (seq N + 2: H starts at
# 2) and a chain that `buurt log` verifies whole.  A V that ignored gaps
# would end below N + 2 and fail.  Every wait draws on one 30 s budget.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
HP="$here/hostile_peer.py"
N=${BURST_N:-2000}

b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 5000 "$@"; }
hctl() { "$PY" "$HP" ctl "ipc://$T/h.ctl" "$@"; }

# stq NODE WHAT [ARG]: one fact from NODE's `buurt --json status`.
STQ='
import json, sys
s = json.load(sys.stdin)
what, arg = sys.argv[1], sys.argv[2]
ns = {n["ns"]: n for n in s["namespaces"]}
n = ns.get(arg)
if what == "counter":
    print(s["counters"][arg])
elif what == "head":
    print("%d %s" % (n["seq"], n["hash"]) if n else "-")
elif what == "peer":
    print(next((p["state"] for p in s.get("peers", []) if p["id"] == arg),
               "-"))
'
stq() { b "$1" --json status | "$PY" -c "$STQ" "$2" "${3:-}"; }
counter() { stq "$1" counter "$2"; }
holds() { [ "$(stq "$1" head "$2")" = "$3" ]; }
peer_live() { [ "$(stq "$1" peer "$2")" = live ]; }
hsubs_ge() { [ "$(hctl subs --get subs)" -ge "$1" ]; }
hhead() { hctl status --get chains.self.seq; }
hhash() { hctl status --get chains.self.hash; }

# Every wait draws on one budget of 30 s.
BUDGET_END=$((SECONDS + 30))
wait_until() {
	local what=$1
	shift
	while [ "$SECONDS" -lt "$BUDGET_END" ]; do
		"$@" && return 0
		sleep 0.1
	done
	fail "$what (the 30 s budget ran out)"
}

"$BUURT" init "$T/v" --name "node v" >"$T/v.id"
# buurt.conf ends in its [federation] section.
echo "hwm = 1" >>"$T/v/buurt.conf"
node_start "$T/v"

# H: its pub's mark H_SNDHWM (see the top: V's own mark cannot make a
# tcp publisher drop, H's does).
: >"$T/h.out"
"$PY" "$HP" serve --seed "$(printf '62%.0s' $(seq 32))" \
    --ctl "ipc://$T/h.ctl" --name burst --sndhwm "${H_SNDHWM:-100}" \
    >"$T/h.out" 2>"$T/h.log" &
NODE_PID[$T/h]=$!
wait_until "the fake peer did not start" grep -q '^ready$' "$T/h.out"
H=$(sed -n 's/^id //p' "$T/h.out")
HSYNC=$(sed -n 's/^sync //p' "$T/h.out")

b v follow "$H" "$HSYNC" >/dev/null
wait_until "V does not hold H's namespace" \
    holds v "$H" "$(hhead) $(hhash)"
wait_until "V's peer H is not live" peer_live v "$H"
wait_until "V did not subscribe to H's pub" hsubs_ge 1
gaps0=$(counter v gaps)
chunks0=$(counter v chunks)
applied0=$(counter v applied)
seq0=$(hhead)

# --- The burst.
res=$(hctl burst self "$N")
want_seq=$((seq0 + N))
[ "$(hhead)" -eq "$want_seq" ] || fail "H holds seq $(hhead), not $want_seq"
wait_until "V did not reach H's head $want_seq (holds $(stq v head "$H"))" \
    holds v "$H" "$want_seq $(hhash)"
gaps=$(($(counter v gaps) - gaps0))
chunks=$(($(counter v chunks) - chunks0))
applied=$(($(counter v applied) - applied0))
[ "$gaps" -gt 0 ] || fail "V counted no gap: the burst of $N went" \
    "through whole, so gap filling was not tested"
[ "$chunks" -gt 0 ] || fail "V fetched no chunk after the burst"
b v log --ns "$H" >"$T/h.vlog" || fail "H's chain does not verify on V"
[ "$(counter v rejected)" -eq 0 ] ||
    fail "V rejected $(counter v rejected) valid updates"
final=$(stq v head "$H" | cut -d' ' -f1)

node_stop "$T/v"
kill -TERM "${NODE_PID[$T/h]}"
wait "${NODE_PID[$T/h]}" 2>/dev/null || true
unset "NODE_PID[$T/h]"
secs=$(echo "$res" | "$PY" -c \
    'import json, sys; print("%.2f" % json.load(sys.stdin)["secs"])')
echo "burst: published $N updates in $secs s (H sndhwm" \
    "${H_SNDHWM:-100}, V hwm 1); V detected $gaps gaps, fetched $chunks" \
    "chunks, applied $applied; final head $final of $want_seq (from" \
    "seq $seq0), chain verifies"
echo "ok"
