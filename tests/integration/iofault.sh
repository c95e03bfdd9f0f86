#!/bin/bash
# iofault.sh: I/O errors, power cuts and a full disk under a real buurtd,
# injected by the LD_PRELOAD shim tests/fault/iofault.c; the driver
# iofault.py runs the workloads and checks what survived.
#
# Environment: BUURT and BUURTD (binary paths, set by meson), IOFAULT_SHIM
# (the shim; unset in sanitized builds, where the test is skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${IOFAULT_SHIM:-}" ] || [ ! -f "$IOFAULT_SHIM" ]; then
	echo "iofault: no shim (a sanitized build); skipped"
	exit 77
fi
. "$here/lib.sh"

# Debian's python3, which has python3-zmq and -msgpack.
/usr/bin/python3 "$here/iofault.py" "$T" ||
    fail "iofault.py found a fault that was not handled"
