#!/bin/bash
# exhaust_history.sh: 100 peers asking for the full history at once.
# Node N (access open) holds EXHAUST_UPDATES updates (10,000; 4,000
# under ASan); 100 CURVE clients, each its own key, each say hello and
# fetch N's namespace from seq 1 to the end at the same time.  Every
# fetch reply must keep the chunk caps (<= 4096 updates, <= 1 MiB), every
# client must get every update (EBUSY from the rate limit is allowed and
# retried), a "status" on the api every 100 ms must be answered within
# 1 s throughout, and N's peak VmRSS (VmHWM) during the storm must stay
# within EXHAUST_RSS_MB (128 MiB; 512 under ASan) of where it started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
EX="$here/exhaust.py"
U=${EXHAUST_UPDATES:-$((${EXHAUST_ASAN:-0} ? 4000 : 10000))}
CLIENTS=${EXHAUST_CLIENTS:-100}
RSS_MAX_MB=${EXHAUST_RSS_MB:-$((${EXHAUST_ASAN:-0} ? 512 : 128))}

st() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
field() { "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

N=$(node_init "$T/n" "history")
node_start "$T/n"
NPID=${NODE_PID[$T/n]}
sync=$(sed -n 's/^sync = //p' "$T/n/buurt.conf")
t=$SECONDS
puts=$("$PY" "$EX" puts "ipc://$T/n/api.sock" "$U") || fail "puts failed"
[ "$(echo "$puts" | field acked)" -eq "$U" ] ||
    fail "only $(echo "$puts" | field acked) of $U puts acknowledged"
fill_secs=$((SECONDS - t))

# Peak RSS from here on: clear_refs 5 resets VmHWM to the current RSS.
echo 5 >"/proc/$NPID/clear_refs" 2>/dev/null || true
rss0=$(st "$NPID" VmRSS)
out=$("$PY" "$EX" history "$sync" "$N" "$N" "$CLIENTS" \
    "ipc://$T/n/api.sock") || fail "the history storm failed"
hwm=$(st "$NPID" VmHWM)
rss1=$(st "$NPID" VmRSS)

get() { echo "$out" | field "$1"; }
[ "$(get per_client)" = "[$U]" ] ||
    fail "clients got $(get per_client) updates each, not $U"
[ "$(get status_bad)" -eq 0 ] || fail "$(get status_bad) status calls failed"
awk -v m="$(get status_max_ms)" 'BEGIN { exit !(m <= 1000) }' ||
    fail "a status took $(get status_max_ms) ms (> 1000) during the storm: $out"
[ $(((hwm - rss0) / 1024)) -le "$RSS_MAX_MB" ] ||
    fail "VmHWM $hwm KiB is $(((hwm - rss0) / 1024)) MiB over the start"
"$BUURT" -C "$T/n" --timeout 5000 status >/dev/null ||
    fail "N does not answer after the storm"
node_stop "$T/n"
echo "exhaust_history: $CLIENTS clients x $U updates (filled in" \
    "${fill_secs} s): $(get requests) requests, $(get replies) replies" \
    "($(get busy) EBUSY), max reply $(get max_updates) updates /" \
    "$(get max_bytes) bytes, in $(get secs) s; status max" \
    "$(get status_max_ms) ms over $(get status_n) calls; VmRSS $rss0 KiB," \
    "peak $hwm KiB, after $rss1 KiB"
echo "ok"
