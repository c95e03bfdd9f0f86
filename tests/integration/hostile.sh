#!/bin/bash
# hostile.sh: a real buurtd (the victim V) follows a hostile peer H
# (hostile_peer.py, a Python program that plays a node from the spec) and
# an honest node R.  H injects forged live updates (a flipped bit in the
# envelope or the signature, another key, no domain tag, an update of
# R's namespace signed by H, a body that does not match its hash, a body
# that breaks its schema), updates from an hour ahead (live and at the
# end of a chunk), a catch-up chunk with a broken link in the middle and
# one of R's namespace continued by H's key; it replays R's real updates,
# an erased body among them; it equivocates live and through sync.  V
# must store none of it, count it in status, re-publish no replayed
# update, keep the erased body erased, freeze the equivocating
# namespaces (also after a restart), and keep following R.  A node A in
# access = allow-list serves only the node B it allows: V, an unknown
# CURVE key and a plain client get nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
HP="$here/hostile_peer.py"

b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 5000 "$@"; }
id() { cat "$T/$1.id"; }
sync_ep() { sed -n 's/^sync = //p' "$T/$1/buurt.conf"; }
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
elif what == "headt":
    print("%d %s %d" % (n["seq"], n["hash"], n["time"]) if n else "-")
elif what == "frozen":
    print(n.get("frozen", 0) if n else "-")
elif what == "heads":
    print(" ".join("%s:%d:%s:%d" % (k[:12], ns[k]["seq"], ns[k]["hash"],
                                     ns[k].get("frozen", 0))
                   for k in sorted(ns)))
elif what == "peer":
    print(next((p["state"] for p in s.get("peers", []) if p["id"] == arg),
               "-"))
'
stq() { b "$1" --json status | "$PY" -c "$STQ" "$2" "${3:-}"; }
counter() { stq "$1" counter "$2"; }
counter_ge() { [ "$(counter "$1" "$2")" -ge "$3" ]; }
holds() { [ "$(stq "$1" head "$2")" = "$3" ]; }
holds_nothing() { [ "$(stq "$1" head "$2")" = "-" ]; }
frozen() { local f; f=$(stq "$1" frozen "$2"); [ "$f" != "-" ] && [ "$f" != 0 ]; }
peer_live() { [ "$(stq "$1" peer "$2")" = live ]; }
hsubs_ge() { [ "$(hctl subs --get subs)" -ge "$1" ]; }
hhead() {	# hhead NAME: "seq hash" of a namespace H holds
	hctl status | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["chains"][sys.argv[1]]
print(c["seq"], c["hash"])' "$1"
}
hns() { hctl status --get "chains.$1.ns"; }

# wait_until SECONDS WHAT COMMAND...: until COMMAND succeeds, or fail.
wait_until() {
	local secs=$1 what=$2 i
	shift 2
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	fail "$what (not within ${secs} s)"
}

# wait_same SECONDS WHAT COMMAND...: as wait_until, but fail at once if
# V's heads move from $heads0 meanwhile: WHAT changed them.
wait_same() {
	local secs=$1 what=$2 i now
	shift 2
	for i in $(seq $((secs * 10))); do
		now=$(stq v heads)
		[ "$now" = "$heads0" ] ||
		    fail "$what changed V's heads: $heads0 -> $now"
		if "$@"; then
			# Counted and then applied in the same turn?
			now=$(stq v heads)
			[ "$now" = "$heads0" ] ||
			    fail "$what changed V's heads: $heads0 -> $now"
			return 0
		fi
		sleep 0.1
	done
	fail "$what: V did not count it, or not within ${secs} s"
}

# --- Nodes: R (honest), V (the victim), A (allow-list), B (allowed).
for v in r v a b; do
	node_init "$T/$v" "node $v" >"$T/$v.id"
done
# buurt.conf ends in its [federation] section.
echo "heartbeat = 1" >>"$T/v/buurt.conf"
printf 'access = allow-list\nallow = %s\n' "$(id b)" >>"$T/a/buurt.conf"
for v in r v a b; do
	node_start "$T/$v"
done
R=$(id r)
put() {		# put NODE ID: an initiative
	b "$1" put initiative --id "$2" title="Initiative $2" \
	    description="Written on $1" pillar=social-ties status=running \
	    >/dev/null
}
for i in 1 2 3; do
	put r "r$i"
done

# --- The hostile peer.
: >"$T/h.out"
"$PY" "$HP" serve --seed "$(printf '68%.0s' $(seq 32))" \
    --ctl "ipc://$T/h.ctl" --name hostile >"$T/h.out" 2>"$T/h.log" &
NODE_PID[$T/h]=$!
wait_until 10 "the hostile peer did not start" grep -q '^ready$' "$T/h.out"
H=$(sed -n 's/^id //p' "$T/h.out")
HSYNC=$(sed -n 's/^sync //p' "$T/h.out")

b v follow "$R" "$(sync_ep r)" >/dev/null
b v follow "$H" "$HSYNC" >/dev/null
wait_until 10 "V does not hold R" holds v "$R" "$(stq r head "$R")"
wait_until 10 "V does not hold H's namespace" holds v "$H" "$(hhead self)"
wait_until 10 "V's peer H is not live" peer_live v "$H"
wait_until 10 "V did not subscribe to H's pub" hsubs_ge 1
rejected0=$(counter v rejected)
dups0=$(counter v duplicates)
echo "setup: V follows R ($(stq v head "$R" | cut -c1-14)…) and H (seq 2)"

# --- 1. Forged live updates: four of H's namespace with bad signatures,
# one of R's namespace signed by H, one whose body does not match its
# hash, one whose body breaks its kind's schema.  Each chains onto V's
# head, so only the signature, the hash or the schema can tell.
sig0=$(counter v rejected_sig)
fmt0=$(counter v rejected_format)
sch0=$(counter v rejected_schema)
heads0=$(stq v heads)
read -r rseq rhash rtime <<<"$(stq v headt "$R")"
n=$(hctl forge self "$R" "$rseq" "$rhash" "$rtime" --get published)
[ "$n" -eq 7 ] || fail "H published $n forged updates, not 7"
wait_same 10 "5 live updates with bad signatures" \
    counter_ge v rejected_sig $((sig0 + 5))
wait_same 10 "a live update whose body does not match its hash" \
    counter_ge v rejected_format $((fmt0 + 1))
wait_same 10 "a live update whose body breaks its schema" \
    counter_ge v rejected_schema $((sch0 + 1))
# The same channel carries a valid update: proof that V was listening.
hctl next self publish >/dev/null
wait_until 10 "V did not apply H's valid live update" \
    holds v "$H" "$(hhead self)"
for c in "rejected_sig $((sig0 + 5))" "rejected_format $((fmt0 + 1))" \
    "rejected_schema $((sch0 + 1))"; do
	set -- $c
	[ "$(counter v "$1")" -eq "$2" ] ||
	    fail "$1 is $(counter v "$1"), not $2"
done
echo "1. forged live: 7 rejected (rejected_sig +5, rejected_format +1," \
    "rejected_schema +1), none stored; the valid one after them stored"

# --- 5. Time an hour ahead: live, and as the last update of a chunk.
fut0=$(counter v rejected_future)
heads0=$(stq v heads)
hctl future self >/dev/null
wait_same 10 "a live update an hour ahead" \
    counter_ge v rejected_future $((fut0 + 1))
hctl make f 3 future-last >/dev/null
F=$(hns f)
wait_same 10 "a chunk ending an hour ahead" \
    counter_ge v rejected_future $((fut0 + 2))
echo "5. future: live update and chunk rejected (rejected_future +2)"

# --- 2. Forged catch-up: a chunk of 5 whose middle update has a bit
# flipped, so the link after it breaks; then the same chunk intact.
chain0=$(counter v rejected_chain)
heads0=$(stq v heads)
hctl make x 5 tamper-middle >/dev/null
X=$(hns x)
wait_same 10 "a chunk with a broken link in the middle" \
    counter_ge v rejected_chain $((chain0 + 1))
# V will not ask H for x again for a while: follow H anew.
hctl mode x honest >/dev/null
hctl drop f >/dev/null
subs=$(hctl subs --get subs)
b v unfollow "$H" >/dev/null
b v follow "$H" "$HSYNC" >/dev/null
wait_until 10 "V did not store the intact chunk" holds v "$X" "$(hhead x)"
wait_until 10 "V's peer H is not live again" peer_live v "$H"
wait_until 10 "V did not subscribe to H's pub again" hsubs_ge $((subs + 1))
holds_nothing v "$F" || fail "V stored a chunk ending in the future"
echo "2. forged catch-up: tampered chunk rejected (rejected_chain" \
    "+$(($(counter v rejected_chain) - chain0))), nothing stored;" \
    "intact chunk stored (seq 5)"

# --- 3. Replay of R's real updates, held by V already.  A fresh CURVE
# key watches V's pub for R's namespace until R's last update (case 7):
# it must see R's two new updates and no replayed one.
read -r rseq _ <<<"$(stq v head "$R")"
: >"$T/watch.out"
"$PY" "$HP" watch --pub "$(sed -n 's/^pub = //p' "$T/v/buurt.conf")" \
    --node "$(id v)" --topic "$R" --until-seq $((rseq + 2)) \
    --timeout 60 >"$T/watch.out" 2>"$T/watch.log" &
NODE_PID[$T/watch]=$!
wait_until 10 "the watcher got no heartbeat from V" \
    grep -q '^ready$' "$T/watch.out"
dup0=$(counter v duplicates)
heads0=$(stq v heads)
n=$(hctl replay "ipc://$T/r/api.sock" "$R" r --get published)
[ "$n" -eq "$rseq" ] || fail "H replayed $n updates, not $rseq"
wait_same 10 "a replay of R's updates" counter_ge v duplicates $((dup0 + n))
# R erases r2; H replays its copy, r2's body included: V must keep it
# erased.
b r erase initiative r2 >/dev/null
wait_until 10 "V did not take R's erase" holds v "$R" "$(stq r head "$R")"
dup0=$(counter v duplicates)
heads0=$(stq v heads)
hctl republish r >/dev/null
wait_same 10 "a replay of R's updates with an erased body" \
    counter_ge v duplicates $((dup0 + n))
b v get initiative r2 --ns "$R" >"$T/r2.get"
grep -q "erased at seq" "$T/r2.get" ||
    fail "a replayed body brought r2 back on V: $(cat "$T/r2.get")"
b v log --ns "$R" >"$T/r.log" || fail "R's chain does not verify on V"
echo "3. replay: 2 x $n updates of R counted as duplicates, heads" \
    "unchanged; an erased body replayed stays erased"

# --- 4. Equivocation.  Live: two valid updates of H's namespace with
# the same seq.  Sync: namespace e forks below V's head, which V finds
# when H's heartbeat shows e ahead (a fetch whose first prev does not
# link, then a probe of the seq V holds).
eq0=$(counter v equivocations)
hctl equivocate self >/dev/null
wait_until 10 "V did not freeze H's namespace" frozen v "$H"
want=$(hhead self)
wait_until 5 "V does not hold the first of the two updates" \
    holds v "$H" "$want"
rej0=$(counter v rejected)
hctl next self publish >/dev/null
wait_until 10 "V did not refuse an update of a frozen namespace" \
    counter_ge v rejected $((rej0 + 1))
holds v "$H" "$want" || fail "V applied an update of a frozen namespace"
hctl make e 3 >/dev/null
E=$(hns e)
wait_until 10 "V does not hold e" holds v "$E" "$(hhead e)"
hctl next e publish >/dev/null
want=$(hhead e)
wait_until 10 "V does not hold e's live update" holds v "$E" "$want"
hctl fork e >/dev/null
wait_until 10 "V did not freeze e after a fork served by sync" frozen v "$E"
holds v "$E" "$want" || fail "V moved e's head after the fork"
[ "$(counter v equivocations)" -eq $((eq0 + 2)) ] ||
    fail "equivocations is $(counter v equivocations), not $((eq0 + 2))"
echo "4. equivocation: H's namespace (live) and e (sync) frozen," \
    "the next valid update refused"

# --- 1b. A catch-up chunk of R's namespace: H copies R's log as V holds
# it and continues it with two updates signed by H's key.  The first
# links to V's head; only the last signature can tell.
sig0=$(counter v rejected_sig)
heads0=$(stq v heads)
hctl copy "ipc://$T/r/api.sock" "$R" r >/dev/null
hctl forge-chunk r >/dev/null
wait_same 10 "a chunk of R's namespace signed by H" \
    counter_ge v rejected_sig $((sig0 + 1))
echo "1b. chunk of R's namespace signed by H: rejected (rejected_sig +1)"

# --- 6. ZAP allow-list: A serves B and nobody else.
zr0=$(counter a zap_refused)
b v follow "$(id a)" "$(sync_ep a)" >/dev/null
b b follow "$(id a)" "$(sync_ep a)" >/dev/null
put a a1
wait_until 10 "B, allowed, does not converge with A" \
    holds b "$(id a)" "$(stq a head "$(id a)")"
wait_until 10 "A did not refuse V's key" counter_ge a zap_refused $((zr0 + 1))
zr1=$(counter a zap_refused)
out=$("$PY" "$HP" probe --sync "$(sync_ep a)" --node "$(id a)" --fresh) &&
    fail "A answered an unknown CURVE key"
[ "$out" = silent ] || fail "probe with an unknown key: $out"
counter_ge a zap_refused $((zr1 + 1)) ||
    fail "A's zap_refused did not count the unknown key"
out=$("$PY" "$HP" probe --sync "$(sync_ep a)" --node "$(id a)" --plain) &&
    fail "A answered a client without CURVE"
"$PY" "$HP" probe --sync "$(sync_ep a)" --node "$(id a)" \
    --key-file "$T/b/node.key" >/dev/null ||
    fail "A did not answer B's key (the probe itself is broken)"
holds_nothing v "$(id a)" || fail "V, not allowed, holds A's namespace"
peer_live v "$(id a)" && fail "V, not allowed, is live with A"
b v unfollow "$(id a)" >/dev/null
echo "6. allow-list: B converges; V, an unknown key and a plain client" \
    "get nothing (zap_refused +$(($(counter a zap_refused) - zr0)))"

# --- 7. V still serves honest peers: R's next record reaches V.
put r r-final
wait_until 5 "R's record did not reach V" holds v "$R" "$(stq r head "$R")"
wait "${NODE_PID[$T/watch]}" || fail "the watcher did not see R's" \
    "new updates on V's pub: $(cat "$T/watch.out")"
unset "NODE_PID[$T/watch]"
[ "$(grep '^update ' "$T/watch.out" | cut -d' ' -f2 | tr '\n' ' ')" = \
    "$((rseq + 1)) $((rseq + 2)) " ] ||
    fail "V's pub carried other updates of R than the erase and the" \
    "new record: $(cat "$T/watch.out")"
echo "7. R's new record reached V; V's pub carried R's erase and record" \
    "once each, no replayed update"

stored=0
for ns in "$H" "$X" "$E"; do
	stored=$((stored + $(stq v head "$ns" | cut -d' ' -f1)))
done
summary="summary: injected $(hctl status --get injected) updates"
summary+=" ($(hctl status --get published) live, $(hctl status --get served)"
summary+=" by fetch); V rejected $(($(counter v rejected) - rejected0))"
for c in rejected_sig rejected_chain rejected_format rejected_future \
    rejected_schema; do
	summary+=" ${c#rejected_} $(counter v "$c")"
done
summary+=", counted $(($(counter v duplicates) - dups0)) duplicates and"
summary+=" $(counter v equivocations) equivocations, stored $stored of H's"

# --- 8. Frozen stays frozen across a restart of V.
heads0=$(stq v heads)
node_stop "$T/v"
node_start "$T/v"
frozen v "$H" && frozen v "$E" || fail "V forgot a freeze on restart"
[ "$(stq v heads)" = "$heads0" ] || fail "V's heads changed on restart"
echo "8. restart: H's namespace and e still frozen"

for v in r v a b; do
	node_stop "$T/$v"
done
kill -TERM "${NODE_PID[$T/h]}"
wait "${NODE_PID[$T/h]}" 2>/dev/null || true
unset "NODE_PID[$T/h]"
echo "$summary"
echo "ok"
