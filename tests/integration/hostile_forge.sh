#!/bin/bash
# hostile_forge.sh: forged and replayed federation traffic at scale
# (issue 4, item 3).  A real buurtd V follows an honest real node R and a
# hostile peer H played by hostile_forge.py; a second real node W follows
# V.  H sends 1000 forgeries, 1000 replays (live and in catch-up chunks),
# reordered and duplicated updates, future times, equivocations and
# updates of R's namespace signed by H, while a probe asks V every 100 ms
# and writes on R.  V must count each by its reason in status, store and
# re-publish none of it (W and a watcher on V's pub see none), and answer
# the probe within a second throughout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for n in r v w; do
	node_init "$T/$n" "node $n" >"$T/$n.id"
	echo "heartbeat = 1" >>"$T/$n/buurt.conf"
done
for n in r v w; do
	node_start "$T/$n"
done
/usr/bin/python3 "$here/hostile_forge.py" attack "$T/r" "$T/v" "$T/w" ||
    fail "hostile_forge.py"
for n in r v w; do
	node_stop "$T/$n"
done
echo "ok"
