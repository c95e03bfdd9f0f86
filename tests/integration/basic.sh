#!/bin/bash
# basic.sh: one node end to end, driven through the buurt command line:
# init, start buurtd, put (arguments and stdin), get, list, a schema
# error, erase, log with its chain check, status, and a clean stop on
# SIGTERM.  Every check fails loudly, naming what broke.
#
# Environment: BUURT and BUURTD (binary paths, set by meson).
set -euo pipefail

BUURT=${BUURT:?}
BUURTD=${BUURTD:?}

T=$(mktemp -d /tmp/buurt-basic.XXXXXX)
D=$T/haren
pid=
proxy=
cleanup() {
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	if [ -n "$proxy" ]; then
		kill -9 "$proxy" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${out:-}" ]; then
		echo "--- stdout ---" >&2
		printf '%s\n' "$out" >&2
	fi
	if [ -n "${err:-}" ]; then
		echo "--- stderr ---" >&2
		printf '%s\n' "$err" >&2
	fi
	if [ -f "$T/buurtd.log" ]; then
		echo "--- daemon log ---" >&2
		tail -20 "$T/buurtd.log" >&2
	fi
	exit 1
}

# run CMD...: run a command; its stdout in $out, stderr in $err, status
# in $rc.  Never exits on its own.
run() {
	set +e
	out=$("$@" 2>"$T/stderr")
	rc=$?
	set -e
	err=$(cat "$T/stderr")
}

# expect_rc WANT WHAT: fail unless the last run exited WANT.
expect_rc() {
	[ "$rc" -eq "$1" ] || fail "$2: exit status $rc, want $1"
}

# check_json WHAT EXPR...: each Python expression must hold for j, the
# JSON document in $out.
check_json() {
	local what=$1
	shift
	printf '%s' "$out" | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except ValueError as e:
    sys.exit("not JSON: %s" % e)
for expr in sys.argv[1:]:
    try:
        okay = eval(expr)
    except Exception as e:
        sys.exit("%s: %r" % (expr, e))
    if not okay:
        sys.exit("does not hold: " + expr)
' "$@" 2>"$T/py" || fail "$what: $(cat "$T/py")"
}

b() {
	"$BUURT" -C "$D" --timeout 5000 "$@"
}

# --- init ---------------------------------------------------------------
run "$BUURT" init "$D" --name Haren
expect_rc 0 "init"
[[ "$out" =~ ^[0-9a-f]{64}$ ]] || fail "init printed no node id"
id=$out
[ "$(stat -c %a "$D")" = 700 ] || fail "init: $D is not mode 0700"
[ "$(stat -c %a "$D/node.key")" = 600 ] || fail "init: node.key not 0600"
grep -q '^name = "Haren"$' "$D/buurt.conf" ||
    fail "init: buurt.conf does not name the node"
run "$BUURT" init "$D" --name Haren
expect_rc 73 "init over an existing node"
grep -q "already holds a node" <<<"$err" ||
    fail "init over an existing node says nothing useful"
echo "ok: init made node $id"

# --- start --------------------------------------------------------------
"$BUURTD" "$D" 2>"$T/buurtd.log" &
pid=$!
up=
for _ in $(seq 100); do
	if "$BUURT" -C "$D" --timeout 1000 status >/dev/null 2>&1; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || fail "buurtd exited at start"
	sleep 0.1
done
[ -n "$up" ] || fail "buurtd did not answer within 10 s"
echo "ok: buurtd answers"

# --- put ----------------------------------------------------------------
run b put initiative --id kookclub-haren title="Kookclub Haren" \
    description="Once a month the community centre De Haar turns into a restaurant for people connected to Haren." \
    pillar=social-ties status=running 'tags:=["food","meeting"]'
expect_rc 0 "put kookclub-haren"
[[ "$out" =~ ^initiative/kookclub-haren\ seq\ 1\ hash\ [0-9a-f]{64}$ ]] ||
    fail "put printed no 'initiative/kookclub-haren seq 1 hash H'"

run b --json put initiative --id urban-ox-park <<'JSON'
{"title": "Urban Ox Park",
 "description": "An urban sports park in the Sibeliuspark.",
 "pillar": "living-environment", "status": "preparing",
 "funding_amount": 2500000, "funding_purpose": "Crowdfunding"}
JSON
expect_rc 0 "put urban-ox-park from stdin"
check_json "put --json" 'j["kind"] == "initiative"' \
    'j["id"] == "urban-ox-park"' 'j["seq"] == 2' \
    'type(j["body"]["funding_amount"]) is int' \
    'j["body"]["funding_amount"] == 2500000'
echo "ok: put from arguments and from stdin"

# --- get ----------------------------------------------------------------
run b --json get initiative kookclub-haren
expect_rc 0 "get --json"
check_json "get --json" "j['ns'] == '$id'" 'j["kind"] == "initiative"' \
    'j["id"] == "kookclub-haren"' 'j["seq"] == 1' 'j["op"] == "put"' \
    'j["verified"] is True' 'j["erased"] is False' \
    'len(j["hash"]) == 64 and len(j["body_hash"]) == 64' \
    'j["time_iso"].endswith("Z")' \
    'j["body"]["title"] == "Kookclub Haren"' \
    'j["body"]["pillar"] == "social-ties"' \
    'j["body"]["status"] == "running"' \
    'j["body"]["tags"] == ["food", "meeting"]' \
    'j["body"]["description"].startswith("Once a month")'

run b get initiative kookclub-haren
expect_rc 0 "get"
grep -q '^signature verified$' <<<"$out" || fail "get: no 'signature verified'"
grep -q '^title: Kookclub Haren$' <<<"$out" || fail "get: no title line"
grep -q "^namespace  $id\$" <<<"$out" || fail "get: no namespace line"

run b get initiative no-such-record
expect_rc 66 "get of a missing record"
grep -q ENOTFOUND <<<"$err" || fail "get of a missing record: no ENOTFOUND"
echo "ok: get"

# --- list ---------------------------------------------------------------
run b list initiative
expect_rc 0 "list"
[ "$(wc -l <<<"$out")" -eq 2 ] || fail "list: not 2 lines"
grep -Eq '^kookclub-haren +Kookclub Haren +seq 1$' <<<"$out" ||
    fail "list: no line for kookclub-haren"
grep -Eq '^urban-ox-park +Urban Ox Park +seq 2$' <<<"$out" ||
    fail "list: no line for urban-ox-park"

run b --json list initiative
expect_rc 0 "list --json"
check_json "list --json" 'len(j) == 2' \
    '[r["id"] for r in j] == ["kookclub-haren", "urban-ox-park"]' \
    'all(r["verified"] for r in j)'

run b list initiative --limit 1
expect_rc 0 "list --limit 1"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "list --limit 1: not 1 line"
grep -q -- "--after kookclub-haren" <<<"$err" ||
    fail "list --limit 1: no hint to continue"
echo "ok: list"

# --- bad input ----------------------------------------------------------
run b put initiative --id no-title \
    description="An initiative without a title" pillar=social-ties \
    status=idea
expect_rc 65 "put without a title (EX_DATAERR)"
[ -z "$out" ] || fail "a refused put printed data"
grep -q '^buurt: put initiative: title: .*(ESCHEMA)$' <<<"$err" ||
    fail "a schema error does not name the field title"
run b get initiative no-title
expect_rc 66 "get of a refused record"

run b put initiative --id bad-json title=x 'tags:=["unclosed"'
expect_rc 65 "put with bad JSON"
run b put initiative --id bad-field title
expect_rc 65 "put with a bad field argument"
run b get Not-A-Kind x
expect_rc 64 "get with a bad kind (EX_USAGE)"
echo "ok: bad input refused"

# --- erase --------------------------------------------------------------
run b erase initiative kookclub-haren
expect_rc 0 "erase"
[ "$out" = "initiative/kookclub-haren erased (seq 3)" ] ||
    fail "erase printed '$out'"

run b get initiative kookclub-haren
expect_rc 0 "get of an erased record"
grep -q '^erased at seq 3$' <<<"$out" || fail "get does not show the erase"
grep -q '^title:' <<<"$out" && fail "get still shows an erased body"

run b --json get initiative kookclub-haren
check_json "get --json of an erased record" 'j["op"] == "erase"' \
    'j["erased"] is True' 'j["body"] is None' 'j["seq"] == 3'

run b erase initiative kookclub-haren
expect_rc 66 "erasing twice"
echo "ok: erase"

# --- log ----------------------------------------------------------------
run b log
expect_rc 0 "log"
[ "$(wc -l <<<"$out")" -eq 4 ] || fail "log: not 3 updates and a summary"
grep -Eq '^ +1  .*  put    initiative/kookclub-haren .*\(body erased\)$' \
    <<<"$out" || fail "log: seq 1 does not show its body erased"
grep -Eq '^ +3  .*  erase  initiative/kookclub-haren ' <<<"$out" ||
    fail "log: no erase at seq 3"
grep -Eq '^chain verified: 3 updates, head seq 3 hash [0-9a-f]{64}$' \
    <<<"$out" || fail "log: the chain is not verified"
head_hash=$(sed -n 's/^chain verified: .* hash \([0-9a-f]*\)$/\1/p' \
    <<<"$out")

run b --json log
expect_rc 0 "log --json"
check_json "log --json" 'j["verified"] is True' \
    'len(j["updates"]) == 3' 'j["head"]["seq"] == 3' \
    "j['head']['hash'] == '$head_hash'" \
    '[u["seq"] for u in j["updates"]] == [1, 2, 3]' \
    'j["updates"][0]["erased"] is True' \
    'j["updates"][0]["body"] is None' \
    'j["updates"][1]["body"]["title"] == "Urban Ox Park"'

run b log --from 2
expect_rc 0 "log --from 2"
grep -Eq '^chain verified: 2 updates, head seq 3 ' <<<"$out" ||
    fail "log --from 2 does not verify"
echo "ok: log verifies the chain"

# --- a lying node -------------------------------------------------------
# A proxy between the command line and the node tampers with replies: it
# drops update 2 from log pages (every update left is validly signed, but
# the chain is broken), answers a get of kookclub-haren with the validly
# signed urban-ox-park, and flips a bit in urban-ox-park's body.  The
# command line must refuse all three.  Debian's python3 has python3-zmq
# and python3-msgpack (deploy/deps.sh).
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import zmq, msgpack' 2>/dev/null ||
    fail "$PY lacks zmq or msgpack (python3-zmq, python3-msgpack)"
cat >"$T/proxy.py" <<'PYTHON'
import sys, zmq, msgpack
ctx = zmq.Context()
front = ctx.socket(zmq.ROUTER)
front.bind(sys.argv[1])
back = ctx.socket(zmq.DEALER)
back.connect(sys.argv[2])
while True:
    ident, payload = front.recv_multipart()
    req = msgpack.unpackb(payload, raw=False)
    op, args = req[2], req[3]
    orig = args.get("id")
    if op == "get" and orig == "kookclub-haren":
        args["id"] = "urban-ox-park"
        payload = msgpack.packb(req, use_bin_type=True)
    back.send(payload)
    reply = msgpack.unpackb(back.recv(), raw=False)
    res = reply[3]
    if op == "log" and reply[2] == 0:
        # An update is envelope || 64-byte signature; seq is field 2.
        res["items"] = [i for i in res["items"]
                        if msgpack.unpackb(i["update"][:-64])[2] != 2]
    elif op == "get" and orig == "urban-ox-park" and res.get("body"):
        body = bytearray(res["body"])
        body[-1] ^= 0x01
        res["body"] = bytes(body)
    front.send_multipart([ident, msgpack.packb(reply, use_bin_type=True)])
PYTHON
"$PY" "$T/proxy.py" "ipc://$T/proxy.sock" "ipc://$D/api.sock" \
    2>"$T/proxy.log" &
proxy=$!
for _ in $(seq 100); do
	[ -S "$T/proxy.sock" ] && break
	kill -0 "$proxy" 2>/dev/null || fail "the proxy exited: $(cat "$T/proxy.log")"
	sleep 0.1
done
lie() {
	"$BUURT" --endpoint "ipc://$T/proxy.sock" --timeout 5000 "$@"
}

run lie list initiative
expect_rc 0 "list through the proxy (which passes it unchanged)"
run lie log
expect_rc 65 "log of a broken chain (EX_DATAERR)"
grep -q "chain is broken at seq 3" <<<"$err" ||
    fail "log of a broken chain does not say where it breaks"
grep -q "chain verified" <<<"$out" && fail "a broken chain is called verified"
run lie --json log
expect_rc 65 "log --json of a broken chain"
[ -z "$out" ] || fail "log --json of a broken chain printed data"
run lie get initiative kookclub-haren
expect_rc 76 "get answered with another record (EX_PROTOCOL)"
run lie get initiative urban-ox-park
expect_rc 76 "get of a tampered body (EX_PROTOCOL)"
grep -q EHASH <<<"$err" || fail "a tampered body is not reported as EHASH"
kill "$proxy"
wait "$proxy" 2>/dev/null || true
proxy=
echo "ok: a lying node is caught"

# --- status -------------------------------------------------------------
run b --json status
expect_rc 0 "status --json"
check_json "status --json" "j['id'] == '$id'" 'j["name"] == "Haren"' \
    "[n['seq'] for n in j['namespaces'] if n['ns'] == '$id'] == [3]" \
    "[n['hash'] for n in j['namespaces'] if n['ns'] == '$id'] == ['$head_hash']" \
    "[n['records'] for n in j['namespaces'] if n['ns'] == '$id'] == [1]"
run b status
expect_rc 0 "status"
grep -q "^id          $id\$" <<<"$out" || fail "status: no id line"
echo "ok: status"

# --- stop ---------------------------------------------------------------
kill -TERM "$pid"
set +e
wait "$pid"
st=$?
set -e
pid=
[ "$st" -eq 0 ] || fail "buurtd exited $st on SIGTERM, not 0"
run "$BUURT" -C "$D" --timeout 1000 status
expect_rc 69 "status of a stopped node (EX_UNAVAILABLE)"
echo "ok: buurtd stopped cleanly"
