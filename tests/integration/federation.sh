#!/bin/bash
# federation.sh: three villages (Haren, Geffen, Ruwaard) and the
# municipality's aggregator, real buurtd processes on loopback.  Writes
# on each village converge everywhere with equal heads; a relay path
# (Ruwaard follows Geffen, which follows Haren) carries Haren's records
# to Ruwaard, which never connects to Haren; an erase propagates; a
# follower killed with SIGKILL while its peer writes catches up after a
# restart with no gap; follows survive restarts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3

for v in haren geffen ruwaard oss; do
	node_init "$T/$v" "$v" >"$T/$v.id"
done
id() { cat "$T/$1.id"; }
sync_ep() {
	sed -n 's/^sync = //p' "$T/$1/buurt.conf"
}
b() { local d=$1; shift; "$BUURT" -C "$T/$d" --timeout 5000 "$@"; }

for v in haren geffen ruwaard oss; do
	node_start "$T/$v"
done

# The municipality follows every village; Geffen follows Haren; Ruwaard
# follows only Geffen (the relay path).
for v in haren geffen ruwaard; do
	b oss follow "$(id $v)" "$(sync_ep $v)" >/dev/null
done
b geffen follow "$(id haren)" "$(sync_ep haren)" >/dev/null
b ruwaard follow "$(id geffen)" "$(sync_ep geffen)" >/dev/null

put_initiative() {
	local v=$1 rid=$2 title=$3
	b "$v" put initiative --id "$rid" title="$title" \
	    description="Written on $v" pillar=social-ties status=running \
	    >/dev/null
}
put_initiative haren kookclub-haren "Kookclub Haren"
put_initiative geffen heksje-route "Heksje Route"
put_initiative ruwaard buurtmoestuin "Buurtmoestuin Ruwaard"
for i in $(seq 20); do
	put_initiative haren "h$i" "Haren $i"
done

# head_of NODE NS: the seq and hash NODE holds for namespace NS, or "-".
head_of() {
	b "$1" --json status | "$PY" -c '
import json, sys
st = json.load(sys.stdin)
for n in st["namespaces"]:
    if n["ns"] == sys.argv[1]:
        print(n["seq"], n["hash"]); break
else:
    print("-")' "$2"
}

# wait_equal NODE NS: until NODE holds NS at the origin's head (20 s).
wait_equal() {
	local node=$1 origin=$2 want got i
	want=$(head_of "$origin" "$(id $origin)")
	for i in $(seq 200); do
		got=$(head_of "$node" "$(id $origin)")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	fail "$node holds $origin at '$got', not '$want'"
}

wait_equal oss haren
wait_equal oss geffen
wait_equal oss ruwaard
wait_equal geffen haren
# Relay: Ruwaard never connected to Haren.
wait_equal ruwaard geffen
wait_equal ruwaard haren
echo "converged: oss holds 3 villages; ruwaard holds haren via geffen"

# The aggregator's copy verifies: every signature and link from seq 1.
b oss log --ns "$(id haren)" >"$T/oss-haren.log" ||
    fail "haren's log does not verify on oss"
grep -q "chain verified: 21 updates" "$T/oss-haren.log" ||
    fail "oss does not hold haren's 21 updates"
b ruwaard get initiative kookclub-haren --ns "$(id haren)" \
    >/dev/null || fail "ruwaard cannot read haren's record"

# Erase propagates: the body is gone everywhere, the chain verifies.
b haren erase initiative h3 >/dev/null
wait_equal oss haren
wait_equal ruwaard haren
for v in oss ruwaard; do
	b "$v" get initiative h3 --ns "$(id haren)" >"$T/h3.$v"
	grep -q "erased at seq" "$T/h3.$v" || fail "h3 not erased on $v"
	b "$v" log --ns "$(id haren)" >/dev/null ||
	    fail "haren's chain does not verify on $v after the erase"
done

# A follower killed while its peer writes catches up after a restart.
node_kill "$T/geffen"
# 1,000 updates while the follower is down (a tight loop of writes
# through one process would be faster; this is the command line).
for i in $(seq 1000); do
	put_initiative haren "k$i" "Written while geffen was down $i"
done
node_start "$T/geffen"
wait_equal geffen haren
wait_equal ruwaard haren
wait_equal oss haren
b geffen log --ns "$(id haren)" >/dev/null ||
    fail "haren's chain does not verify on geffen after the restart"
echo "caught up after SIGKILL: geffen, ruwaard and oss at haren's head"

# Restore from an old backup must not fork: Haren follows the
# municipality (which holds Haren's namespace), is restored to an old
# copy of its store, and after its start it writes only once it has
# caught up with its own namespace from the municipality.
b haren follow "$(id oss)" "$(sync_ep oss)" >/dev/null
node_stop "$T/haren"
cp -a "$T/haren/store" "$T/haren-backup"
node_start "$T/haren"
for i in $(seq 5); do
	put_initiative haren "after-backup-$i" "Written after the backup $i"
done
wait_equal oss haren
before=$(head_of oss "$(id haren)")
node_stop "$T/haren"
rm -rf "$T/haren/store"
cp -a "$T/haren-backup" "$T/haren/store"
node_start "$T/haren"
# Until it has caught up, a write is refused with EBUSY (exit 69), so
# retry for a while.
ok=0
for i in $(seq 100); do
	if b haren put initiative --id after-restore title="After restore" \
	    description="Written after the restore" pillar=social-ties \
	    status=idea >/dev/null 2>"$T/restore.err"; then
		ok=1
		break
	fi
	sleep 0.1
done
[ "$ok" = 1 ] || fail "haren never wrote after the restore: $(cat "$T/restore.err")"
seq_after=$(head_of haren "$(id haren)" | cut -d" " -f1)
seq_before=$(echo "$before" | cut -d" " -f1)
[ "$seq_after" -eq $((seq_before + 1)) ] ||
    fail "after the restore haren wrote seq $seq_after, not $((seq_before + 1))"
wait_equal oss haren
frozen=$(b oss --json status | "$PY" -c '
import json, sys
st = json.load(sys.stdin)
print(sum(1 for n in st["namespaces"] if n.get("frozen", 0)))')
[ "$frozen" = 0 ] || fail "a namespace froze: the restore forked"
b oss log --ns "$(id haren)" >/dev/null ||
    fail "haren's chain does not verify on oss after the restore"
echo "restore from backup: no fork (seq $seq_before -> $seq_after)"

for v in haren geffen ruwaard oss; do
	node_stop "$T/$v"
done
echo "ok"
