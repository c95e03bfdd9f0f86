#!/bin/bash
# exhaust_map.sh: a full map.  A node with [store] map_size = 1M and
# map_max = 2M takes puts of ~24 KiB bodies through the CLI until it
# refuses one.  The map must have grown (status map_size and data.mdb
# larger than at the start), the refusal must be ENOSPC with the CLI's
# "store is full" message and exit code 69 (EX_UNAVAILABLE) and the
# node's log naming store.map_max; every acknowledged put must still be
# readable, the refused one absent, the chain must verify, and after
# map_max = 4M and a restart, writes must work again.  About 5 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3

b() { "$BUURT" -C "$T/n" --timeout 10000 "$@"; }
jstat() { b --json status | "$PY" -c "import json, sys
s = json.load(sys.stdin)
ns = s['namespaces']
print(s['$1'] if '$1' != 'seq' else (ns[0]['seq'] if ns else 0))"; }

# verifies N: `buurt log` reads the whole chain and verifies N updates.
verifies() { b log | tail -1 | grep -q "^chain verified: $1 updates, head seq $1 "; }

node_init "$T/n" "full map" >/dev/null
sed -i 's/^map_size = .*/map_size = 1M/; s/^map_max = .*/map_max = 2M/' \
    "$T/n/buurt.conf"
node_start "$T/n"
map0=$(jstat map_size)
file0=$(stat -c %s "$T/n/store/data.mdb")

pad=$(head -c 16000 /dev/zero | tr '\0' p)
desc=$(head -c 7000 /dev/zero | tr '\0' d)
acked=0 rc=0
for i in $(seq 200); do
	b put initiative --id "r$i" title="full $i" description="$desc" \
	    pillar=social-ties status=idea x-pad="$pad" \
	    >/dev/null 2>"$T/put.err" || { rc=$?; break; }
	acked=$i
done
[ "$rc" -ne 0 ] || fail "200 puts of ~24 KiB fit in a 2 MiB map"
err=$(cat "$T/put.err")
[ "$rc" -eq 69 ] || fail "the refused put exited $rc, not 69: $err"
case $err in
*"store is full (ENOSPC)"*) ;;
*) fail "the refusal does not say ENOSPC: $err" ;;
esac
grep -q "store is full at store.map_max" "$T/n.log" ||
    fail "the log does not name store.map_max"
map1=$(jstat map_size)
file1=$(stat -c %s "$T/n/store/data.mdb")
[ "$map1" -gt "$map0" ] || fail "the map did not grow ($map0 -> $map1)"
[ "$file1" -gt "$file0" ] || fail "data.mdb did not grow ($file0 -> $file1)"
[ "$acked" -gt 0 ] || fail "no put was accepted"

# Every acknowledged write is there, the refused one is not.
[ "$(jstat seq)" -eq "$acked" ] ||
    fail "head seq $(jstat seq), but $acked puts were acknowledged"
for i in $(seq "$acked"); do
	b get initiative "r$i" >/dev/null || fail "acknowledged r$i is gone"
done
if b get initiative "r$((acked + 1))" >/dev/null 2>&1; then
	fail "the refused put r$((acked + 1)) was stored"
fi
verifies "$acked" || fail "the chain of $acked does not verify"
# A full map still serves reads and refuses the same write again.
b list initiative --limit 5 >/dev/null 2>&1 || fail "list fails on a full map"
rc=0
b put initiative --id "r$((acked + 1))" title="full $((acked + 1))" \
    description="$desc" pillar=social-ties status=idea x-pad="$pad" \
    >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 69 ] || fail "a second put on the full map exited $rc"
node_stop "$T/n"

# Raise map_max and restart: writes work again.
sed -i 's/^map_max = .*/map_max = 4M/' "$T/n/buurt.conf"
node_start "$T/n"
for i in 1 2 3 4 5; do
	b put initiative --id "more$i" title="more $i" description="$desc" \
	    pillar=social-ties status=idea x-pad="$pad" >/dev/null ||
	    fail "put $i after raising map_max to 4M fails"
done
map2=$(jstat map_size)
[ "$(jstat seq)" -eq "$((acked + 5))" ] || fail "head seq after restart"
verifies "$((acked + 5))" || fail "the chain does not verify at the end"
node_stop "$T/n"
echo "exhaust_map: $acked writes accepted, map $map0 -> $map1 bytes" \
    "(data.mdb $file0 -> $file1), refusal: exit $rc ENOSPC" \
    "\"${err#buurt: }\"; all $acked readable, chain verifies;" \
    "map_max 4M: 5 more writes, map $map2"
echo "ok"
