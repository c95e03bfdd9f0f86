#!/bin/bash
# ratelimit.sh: a node caps sync requests per peer key (EBUSY over the
# rate) and keeps serving once the peer slows down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

"$BUURT" init "$T/node" --name "Rate test" >"$T/id"
node_start "$T/node"
sync=$(sed -n 's/^sync = //p' "$T/node/buurt.conf")
/usr/bin/python3 "$here/ratelimit.py" "$sync" "$(cat "$T/id")" ||
    fail "the sync rate limit does not hold"
n=$("$BUURT" -C "$T/node" --json status | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)["counters"]["sync_rate_limited"])')
[ "$n" -gt 0 ] || fail "sync_rate_limited did not count the refusals"
node_stop "$T/node"
echo "ok: $n requests refused over the rate"
