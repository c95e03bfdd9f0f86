#!/usr/bin/python3
"""ratelimit.py SYNC_ENDPOINT NODE_ID: flood a node's sync socket with
"hello" requests from one fresh CURVE key and check that the node caps
the rate per key: some requests are refused with EBUSY (-34), no more
than the burst plus the rate over the elapsed time are answered, and
after a pause the same key is served again.  Exit 0 on success."""
import sys
import time

import msgpack
import nacl.bindings
import zmq

EBUSY = -34
RATE, BURST = 200, 400      # node/fed.c: FED_SYNC_RATE, FED_SYNC_BURST
N = 2000


def hello(rid):
    return msgpack.packb([1, rid, "hello", {}], use_bin_type=True)


def main():
    ep, node = sys.argv[1], bytes.fromhex(sys.argv[2])
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    pub, sec = zmq.curve_keypair()
    s.setsockopt(zmq.CURVE_PUBLICKEY, pub)
    s.setsockopt(zmq.CURVE_SECRETKEY, sec)
    s.setsockopt(zmq.CURVE_SERVERKEY,
                 nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(node))
    s.connect(ep)
    # One answered hello first, so the handshake is done.
    s.send(hello(1))
    if not s.poll(5000):
        print("no answer to the first hello", file=sys.stderr)
        return 1
    s.recv()
    t0 = time.time()
    for i in range(N):
        s.send(hello(i + 2))
    ok = busy = 0
    deadline = time.time() + 20
    while ok + busy < N and time.time() < deadline:
        if not s.poll(1000):
            continue
        r = msgpack.unpackb(s.recv(), raw=False)
        if r[2] == 0:
            ok += 1
        elif r[2] == EBUSY and r[3].get("error") == "EBUSY":
            busy += 1
        else:
            print("unexpected reply", r, file=sys.stderr)
            return 1
    elapsed = time.time() - t0
    print(f"ratelimit: {N} hellos in {elapsed:.2f} s: {ok} answered, "
          f"{busy} refused with EBUSY")
    if ok + busy != N:
        print("some requests got no reply at all", file=sys.stderr)
        return 1
    if busy == 0 or ok > BURST + RATE * (elapsed + 1):
        print("the rate is not capped", file=sys.stderr)
        return 1
    time.sleep(1.0)
    s.send(hello(N + 10))
    if not s.poll(5000):
        print("no answer after the pause", file=sys.stderr)
        return 1
    r = msgpack.unpackb(s.recv(), raw=False)
    if r[2] != 0:
        print("still refused after the pause", r, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
