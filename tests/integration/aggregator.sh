#!/bin/bash
# aggregator.sh: the municipality's view across villages.  Two village
# nodes (Haren, Geffen) and an aggregator (Oss) that follows both, real
# buurtd processes on loopback.  Records are written on each village;
# on the aggregator, `list KIND --all` shows both villages' records,
# `search` finds by text (any case) and by tag across namespaces, and
# `counts` totals match what was written (erased records excluded).
# Bounded in time: every wait gives up after 10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3

node_init "$T/haren" "Dorpsraad Haren" >"$T/haren.id"
node_init "$T/geffen" "Dorpsraad Geffen" >"$T/geffen.id"
node_init "$T/oss" "Gemeente Oss" >"$T/oss.id"
id() { cat "$T/$1.id"; }
sync_ep() { sed -n 's/^sync = //p' "$T/$1/buurt.conf"; }
b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 5000 "$@"; }

for v in haren geffen oss; do
	node_start "$T/$v"
done
for v in haren geffen; do
	b oss follow "$(id $v)" "$(sync_ep $v)" >/dev/null
done

# Haren: two initiatives (one tagged sport), a place, an erased one.
b haren put profile --id council name="Dorpsraad Haren" \
    area=Haren functions:='["representative","connecting"]' >/dev/null
b haren put initiative --id kookclub-haren title="Kookclub Haren" \
    description="Once a month De Haar turns into a restaurant." \
    pillar=social-ties status=running 'tags:=["food","meeting"]' \
    >/dev/null
b haren put initiative --id jeu-de-boules title="Jeu de boules" \
    description="Boules on the square on Saturdays." \
    pillar=social-ties status=running 'tags:=["sport"]' >/dev/null
b haren put place --id de-haar name="De Haar" category=community-centre \
    setting=indoor description="Home of the KOOKCLUB dinners." >/dev/null
b haren put initiative --id gone title="Gone" description="Erased." \
    pillar=social-ties status=idea 'tags:=["sport"]' >/dev/null
b haren erase initiative gone >/dev/null
# Geffen: two initiatives (one tagged sport) and a story.
b geffen put profile --id council name="Dorpsraad Geffen" \
    area=Geffen functions:='["activating"]' >/dev/null
b geffen put initiative --id heksje-route title="Heksje Route" \
    description="A children's trail in the Geffense Bosjes." \
    pillar=living-environment status=running \
    'tags:=["children","nature"]' >/dev/null
b geffen put initiative --id urban-ox-park title="Urban Ox Park" \
    description="A sports park with a pump track." \
    pillar=living-environment status=preparing 'tags:=["sport"]' \
    >/dev/null

head_of() {
	b "$1" --json status | "$PY" -c '
import json, sys
for n in json.load(sys.stdin)["namespaces"]:
    if n["ns"] == sys.argv[1]:
        print(n["seq"], n["hash"]); break
else:
    print("-")' "$2"
}
wait_equal() {
	local node=$1 origin=$2 want got i
	want=$(head_of "$origin" "$(id $origin)")
	for i in $(seq 100); do
		got=$(head_of "$node" "$(id $origin)")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	fail "$node holds $origin at '$got', not '$want'"
}
wait_equal oss haren
wait_equal oss geffen

h=$(id haren | cut -c1-12)
g=$(id geffen | cut -c1-12)

# list --all: both villages' initiatives, the erased one not.
b oss list initiative --all >"$T/all.txt" || fail "list --all failed"
cat "$T/all.txt"
[ "$(wc -l <"$T/all.txt")" -eq 4 ] || fail "list --all: not 4 lines"
grep -q "^$h  kookclub-haren .*Kookclub Haren" "$T/all.txt" ||
    fail "list --all misses Haren's Kookclub"
grep -q "^$g  heksje-route .*Heksje Route" "$T/all.txt" ||
    fail "list --all misses Geffen's Heksje Route"
grep -q "gone" "$T/all.txt" && fail "list --all shows an erased record"
# Paged by one record a request, the same records in the same order.
b oss list initiative --all --limit 1 >"$T/one.txt" 2>"$T/one.err"
[ "$(wc -l <"$T/one.txt")" -eq 1 ] || fail "--limit 1: not one line"
grep -q "more records follow" "$T/one.err" || fail "--limit 1: no note"
b oss --json list initiative --all | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
assert len(r) == 4, r
assert all(x["verified"] and x["kind"] == "initiative" for x in r)
assert len({x["ns"] for x in r}) == 2' || fail "list --all --json"

# search: text in any case, in Haren's namespace only where it occurs.
echo "\$ buurt search kookclub"
b oss search kookclub | tee "$T/search.txt"
[ "$(wc -l <"$T/search.txt")" -eq 2 ] ||
    fail "search kookclub: not 2 records (initiative and place)"
grep -q "^$h  initiative/kookclub-haren  *Kookclub Haren$" \
    "$T/search.txt" || fail "search kookclub misses the Kookclub"
grep -q "^$h  place/de-haar  *De Haar$" "$T/search.txt" ||
    fail "search kookclub misses De Haar (KOOKCLUB in its description)"
b oss search kookclub --kind initiative >"$T/k.txt"
[ "$(wc -l <"$T/k.txt")" -eq 1 ] || fail "search --kind"
b oss search Kookclub --ns "$(id geffen)" >"$T/none.txt"
[ ! -s "$T/none.txt" ] || fail "search --ns geffen found Haren's record"

# search --tag: only tagged records, erased ones not.
echo "\$ buurt search --tag sport"
b oss search --tag sport | tee "$T/tag.txt"
[ "$(wc -l <"$T/tag.txt")" -eq 2 ] || fail "search --tag sport: not 2"
grep -q "^$h  initiative/jeu-de-boules " "$T/tag.txt" ||
    fail "--tag sport misses Jeu de boules"
grep -q "^$g  initiative/urban-ox-park " "$T/tag.txt" ||
    fail "--tag sport misses Urban Ox Park"
b oss --json search --tag food | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
assert [x["id"] for x in r] == ["kookclub-haren"], r' ||
    fail "search --tag food --json"

# counts: what was written, per namespace and kind, names from status.
echo "\$ buurt counts"
b oss counts | tee "$T/counts.txt"
grep -q "^$h  Dorpsraad Haren  *initiative  *2$" "$T/counts.txt" ||
    fail "counts: Haren's initiatives"
grep -q "^$h  Dorpsraad Haren  *place  *1$" "$T/counts.txt" ||
    fail "counts: Haren's places"
grep -q "^$g  Dorpsraad Geffen  *initiative  *2$" "$T/counts.txt" ||
    fail "counts: Geffen's initiatives"
grep -q "^total  *initiative  *4$" "$T/counts.txt" ||
    fail "counts: initiative total"
grep -q "^total  *profile  *2$" "$T/counts.txt" ||
    fail "counts: profile total"
grep -q "^total  *all  *7$" "$T/counts.txt" || fail "counts: total"
b oss --json counts --ns "$(id geffen)" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
assert [(x["kind"], x["count"]) for x in r] == \
    [("initiative", 2), ("profile", 1)], r
assert {x["ns"] for x in r} == {sys.argv[1]}, r' "$(id geffen)" ||
    fail "counts --ns --json"

# A bad cursor is the node's EFORMAT on "after": checked by the unit
# tests (tests/node/test_node.c); here the usage errors.
rc=0
b oss search >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "search without criteria exits $rc, not 64"
rc=0
b oss list initiative --all --ns "$(id haren)" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "list --all --ns exits $rc, not 64"

for v in haren geffen oss; do
	node_stop "$T/$v"
done
echo "aggregator: list --all, search and counts across 2 villages"
