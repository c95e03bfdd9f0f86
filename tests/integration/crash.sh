#!/bin/bash
# crash.sh: SIGKILL buurtd at random instants during client writes and
# during ingest from a followed peer, CRASH_ROUNDS times (default 100), and
# check after each kill that the store opens, no acknowledged write is
# lost and every chain verifies.  The work is in crash.py (see there);
# this wrapper picks the Python that has zmq, msgpack and nacl.
#
# Environment: BUURT and BUURTD (binary paths, set by meson), CRASH_ROUNDS.
# The default suite runs 100 rounds (test `crash`); the slow suite 1,000:
#   meson test -C build --suite slow crash-long
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/crash.py"
