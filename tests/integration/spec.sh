#!/bin/bash
# spec.sh: run the independent Python client (written from
# docs/PROTOCOL.md alone) against a real buurtd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

"$BUURT" init "$T/node" --name "Spec test" >/dev/null
node_start "$T/node"
# Debian's python3, which has python3-zmq, -msgpack and -nacl.
/usr/bin/python3 "$here/spec_client.py" "ipc://$T/node/api.sock" ||
    fail "the independent client found a disagreement with the spec"
node_stop "$T/node"
