#!/bin/bash
# tcpapi.sh: the api socket over TCP, only with CURVE and an allow-list
# of client keys ([api] allow).  A client whose key is allowed puts,
# gets and reads status; a client with another key gets no reply (the
# ZAP handler refuses it, and zap_refused counts it); a plain ZeroMQ
# client without CURVE gets no reply either.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import zmq, msgpack' 2>/dev/null ||
    fail "$PY lacks zmq or msgpack (python3-zmq, python3-msgpack)"

D=$T/n
"$BUURT" init "$D" --name "Dorpsraad Haren" >"$T/id" || fail "init"
ID=$(cat "$T/id")

# Two client keys: k1 allowed, k2 not.
pub1=$("$BUURT" keygen "$T/k1") || fail "keygen k1"
pub2=$("$BUURT" keygen "$T/k2") || fail "keygen k2"
[ "${#pub1}" -eq 64 ] || fail "keygen printed '$pub1'"
[ "$pub1" != "$pub2" ] || fail "keygen made the same key twice"
[ "$(stat -c %a "$T/k1")" = 600 ] || fail "k1 is not mode 0600"
if "$BUURT" keygen "$T/k1" >/dev/null 2>&1; then
	fail "keygen replaced an existing file"
fi

PORT=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
EP=tcp://127.0.0.1:$PORT

# tcp without allow is refused at start, naming api.allow.
sed -i "s|^endpoint = ipc://api.sock|endpoint = $EP|" "$D/buurt.conf"
grep -q "^endpoint = $EP" "$D/buurt.conf" || fail "cannot edit buurt.conf"
if "$BUURTD" "$D" 2>"$T/noallow.log"; then
	fail "buurtd started a tcp api without api.allow"
fi
grep -q 'api.allow' "$T/noallow.log" ||
    fail "no api.allow in: $(cat "$T/noallow.log")"
sed -i "s|^endpoint = $EP|&\nallow = $pub1|" "$D/buurt.conf"

"$BUURTD" "$D" 2>>"$D.log" &
NODE_PID[$D]=$!

c1() { "$BUURT" --endpoint "$EP" --node "$ID" --key "$T/k1" "$@"; }
c2() { "$BUURT" --endpoint "$EP" --node "$ID" --key "$T/k2" "$@"; }

for i in $(seq 200); do
	c1 --timeout 1000 status >/dev/null 2>&1 && break
	kill -0 "${NODE_PID[$D]}" 2>/dev/null || fail "buurtd exited at start"
	[ "$i" -lt 200 ] || fail "buurtd did not answer k1 within 10 s"
	sleep 0.05
done

# Usage: a tcp endpoint needs --node and --key.
rc=0; "$BUURT" --endpoint "$EP" --timeout 2000 status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "tcp without --node/--key exited $rc, not 64"
rc=0; "$BUURT" --endpoint "$EP" --node "$ID" --timeout 2000 status \
    >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "tcp without --key exited $rc, not 64"
chmod 644 "$T/k1"
rc=0; c1 --timeout 2000 status >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a key file of mode 0644 was used"
chmod 600 "$T/k1"

# The allowed key works.
c1 --timeout 5000 put initiative --id moestuin title="Moestuin" \
    description="Samen tuinieren" pillar=social-ties status=running \
    >/dev/null ||
    fail "put with k1"
c1 --timeout 5000 get initiative moestuin | grep -q Moestuin ||
    fail "get with k1"
zr0=$(c1 --timeout 5000 --json status | "$PY" -c '
import json, sys; print(json.load(sys.stdin)["counters"]["zap_refused"])')

# Another key gets nothing: a timeout, exit 69.
start=$(date +%s)
rc=0; c2 --timeout 2000 status >/dev/null 2>"$T/k2.err" || rc=$?
[ "$rc" -eq 69 ] || fail "k2 exited $rc, not 69: $(cat "$T/k2.err")"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "k2 took too long"
rc=0; c2 --timeout 2000 put initiative --id x title=x description=x \
    pillar=social-ties status=running \
    >/dev/null 2>&1 ||
    rc=$?
[ "$rc" -eq 69 ] || fail "put with k2 exited $rc, not 69"
zr1=$(c1 --timeout 5000 --json status | "$PY" -c '
import json, sys; print(json.load(sys.stdin)["counters"]["zap_refused"])')
[ "$zr1" -gt "$zr0" ] || fail "zap_refused did not rise ($zr0 -> $zr1)"
c1 --timeout 5000 get initiative x >/dev/null 2>&1 &&
    fail "k2's put was stored"

# A wrong server key (--node of another node): no handshake, no reply.
rc=0; "$BUURT" --endpoint "$EP" --node "$pub2" --key "$T/k1" \
    --timeout 2000 status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 69 ] || fail "a wrong --node exited $rc, not 69"

# A plain ZeroMQ client without CURVE gets no reply.
"$PY" - "$EP" <<'PYTHON' || fail "a plain client got a reply"
import sys, zmq, msgpack
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
s.send(msgpack.packb([1, 1, "status", {}], use_bin_type=True))
got = s.poll(2000)
sys.exit(1 if got else 0)
PYTHON

node_stop "$D"
echo "ok: the api over TCP takes only CURVE clients of [api] allow"
