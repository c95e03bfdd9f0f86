#!/usr/bin/python3
"""exhaust.py: the load side of the resource-exhaustion tests
(tests/integration/exhaust_*.sh), against a real buurtd.

Subcommands (each prints one JSON line of figures on stdout, exit 1 with
a message on stderr when a check fails):

  puts API_EP N [--pad BYTES] [--prefix P]
      N initiative puts, 64 in flight at a time; --pad adds an x-pad
      field of that many bytes.  Stops at the first refusal and reports
      {"acked": k, "error": NAME or null, "ids": [...]}.

  hold SYNC_HOSTPORT PUB_HOSTPORT N
      Open N plain TCP connections to each of the two ports that never
      finish the ZMTP handshake (half send nothing, half the first 10
      bytes of a ZMTP greeting), print {"held": ...} and keep them open
      until a line arrives on stdin; then print how many the node had
      already closed by itself and close the rest.

  hello SYNC_EP NODE_HEX
      One "hello" on sync as a fresh CURVE key: {"ms": latency}.

  oversize-api API_EP / oversize-sync SYNC_EP NODE_HEX
      Send frames of 64 KiB + 1, 1 MiB and 16 MiB; each must get no
      reply and cost the sender its connection (a disconnect event on
      its socket); a normal request afterwards is answered.

  oversize-pub SEED_HEX CTL_EP
      A fake followed peer (hostile_peer.Peer) that publishes a frame of
      the size the ctl command "go SIZE" asks for at the next
      subscription, and a valid update at "next"; see exhaust_frames.sh.

  history SYNC_EP NODE_HEX NS_HEX CLIENTS API_EP
      CLIENTS concurrent CURVE clients, each its own key, each fetch the
      whole of NS from seq 1; check every reply against the chunk caps
      while timing a "status" on the api every 100 ms.

Only Debian packages: python3-zmq, python3-msgpack, python3-nacl.
"""

import json
import os
import resource
import socket
import sys
import threading
import time

import msgpack
import nacl.bindings
import zmq
from zmq.utils.monitor import recv_monitor_message

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_peer as hp  # noqa: E402  (the fake federation peer)

MSG_MAX = 65536
CHUNK_MAX_UPDATES = 4096            # buurt/limits.h
CHUNK_MAX_BYTES = 1024 * 1024
EBUSY = -34
SIZES = (MSG_MAX + 1, 1 << 20, 16 << 20)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def req(rid, op, args):
    return hp.canonical([1, rid, op, args])     # sorted keys (rule M8)


def unpack(frame):
    return msgpack.unpackb(frame, raw=False, strict_map_key=False)


def curve_dealer(ctx, ep, node):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    pub, sec = zmq.curve_keypair()
    s.setsockopt(zmq.CURVE_PUBLICKEY, pub)
    s.setsockopt(zmq.CURVE_SECRETKEY, sec)
    s.setsockopt(zmq.CURVE_SERVERKEY,
                 nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(node))
    s.connect(ep)
    return s


def call(s, rid, op, args, ms=5000):
    s.send(req(rid, op, args))
    check(s.poll(ms), "%s: no reply within %d ms" % (op, ms))
    return unpack(s.recv())


def more_fds():
    """This process holds thousands of sockets: the soft limit to hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# --- puts ---

def cmd_puts(argv):
    ep, n = argv[0], int(argv[1])
    pad = int(argv[argv.index("--pad") + 1]) if "--pad" in argv else 0
    prefix = argv[argv.index("--prefix") + 1] if "--prefix" in argv else "r"
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ep)
    body = {"title": "t", "description": "d" * min(pad, 8000) or "d",
            "pillar": "social-ties", "status": "idea"}
    if pad > 8000:
        body["x-pad"] = "p" * (pad - 8000)
    sent = got = 0
    acked, error, flight = [], None, 64
    t0 = time.time()
    while got < sent or (sent < n and error is None):
        while sent < n and error is None and sent - got < flight:
            sent += 1
            s.send(req(sent, "put", {"kind": "initiative",
                                     "id": "%s%d" % (prefix, sent),
                                     "body": body}))
        check(s.poll(30000), "put: no reply within 30 s")
        r = unpack(s.recv())
        got += 1
        if r[2] == 0:
            acked.append(r[1])
        elif error is None:
            error = r[3].get("error")
    print(json.dumps({"acked": len(acked), "error": error,
                      "secs": round(time.time() - t0, 2),
                      "ids": ["%s%d" % (prefix, i) for i in sorted(acked)]}))
    return 0


# --- half-open connections ---

GREETING_PART = b"\xff" + bytes(8) + b"\x7f"   # ZMTP 3 signature only


def cmd_hold(argv):
    hosts = [a.rsplit(":", 1) for a in argv[:2]]
    n = int(argv[2])
    hard = more_fds()
    check(hard >= 2 * n + 64, "the hard fd limit %d is below %d" %
          (hard, 2 * n + 64))
    conns = []
    t0 = time.time()
    for host, port in hosts:
        for i in range(n):
            c = socket.create_connection((host, int(port)), timeout=5)
            if i % 2:
                c.sendall(GREETING_PART)
            conns.append(c)
    print(json.dumps({"held": len(conns),
                      "open_secs": round(time.time() - t0, 2)}), flush=True)
    sys.stdin.readline()
    # A socket the node closed reads EOF (or a reset) at once.
    closed = 0
    for c in conns:
        c.setblocking(False)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    closed += 1
                    break
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        c.close()
    print(json.dumps({"closed_by_node": closed}), flush=True)
    return 0


def cmd_hello(argv):
    ctx = zmq.Context()
    s = curve_dealer(ctx, argv[0], bytes.fromhex(argv[1]))
    t0 = time.time()
    r = call(s, 1, "hello", {}, 5000)
    ms = (time.time() - t0) * 1000
    check(r[2] == 0, "hello refused: %r" % (r,))
    s.close()
    print(json.dumps({"ms": round(ms, 1)}))
    return 0


# --- oversize frames ---

def watch(s):
    """A monitor on s: returns a function counting disconnects so far."""
    m = s.get_monitor_socket(zmq.EVENT_DISCONNECTED |
                             zmq.EVENT_HANDSHAKE_SUCCEEDED)
    seen = {"disc": 0, "up": 0}

    def count(wait_for=None, ms=5000):
        end = time.time() + ms / 1000
        while True:
            while m.poll(0):
                ev = recv_monitor_message(m)
                if ev["event"] == zmq.EVENT_DISCONNECTED:
                    seen["disc"] += 1
                else:
                    seen["up"] += 1
            if wait_for is None or wait_for(seen) or time.time() > end:
                return dict(seen)
            m.poll(50)
    return count


def oversize(s, count, make_ok):
    """Send each size; check it is never answered and costs the link."""
    out = []
    rid = 100
    for size in SIZES:
        before = count()
        rid += 1
        head = req(rid, "hello", {"pad": b""})
        s.send(head + b"\x00" * (size - len(head)))
        after = count(lambda x: x["disc"] > before["disc"], 10000)
        check(after["disc"] > before["disc"],
              "a %d-byte frame did not cost the sender its connection" %
              size)
        # Reconnected: a normal request is answered, and only it.
        rid += 1
        r = make_ok(rid)
        check(r[1] == rid, "a reply to rid %r, wanted %d: the oversize "
              "frame was processed" % (r[1], rid))
        out.append(size)
    while s.poll(300):
        r = unpack(s.recv())
        raise Fail("an unexpected reply %r" % (r[:3],))
    return out


def cmd_oversize_api(argv):
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RECONNECT_IVL, 50)
    count = watch(s)
    s.connect(argv[0])
    r = call(s, 1, "status", {})
    check(r[2] == 0, "status refused")
    sizes = oversize(s, count, lambda rid: call(s, rid, "status", {}, 10000))
    print(json.dumps({"socket": "api", "sizes": sizes,
                      "disconnects": count()["disc"]}))
    return 0


def cmd_oversize_sync(argv):
    ctx = zmq.Context()
    node = bytes.fromhex(argv[1])
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RECONNECT_IVL, 50)
    pub, sec = zmq.curve_keypair()
    s.setsockopt(zmq.CURVE_PUBLICKEY, pub)
    s.setsockopt(zmq.CURVE_SECRETKEY, sec)
    s.setsockopt(zmq.CURVE_SERVERKEY,
                 nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(node))
    count = watch(s)
    s.connect(argv[0])
    r = call(s, 1, "hello", {})
    check(r[2] == 0, "hello refused")
    sizes = oversize(s, count, lambda rid: call(s, rid, "hello", {}, 10000))
    print(json.dumps({"socket": "sync", "sizes": sizes,
                      "disconnects": count()["disc"]}))
    return 0


def cmd_oversize_pub(argv):
    """Serve as a followed peer.  ctl "go SIZE" arms one frame of SIZE
    bytes, published on the next subscription (the test makes one by
    unfollow + follow: libzmq does not reconnect a SUB that got an
    oversize frame); "next" publishes a valid update; the reply says
    what was sent and how many subscribers disconnected."""
    seed, ctl = bytes.fromhex(argv[0]), argv[1]
    p = hp.Peer(seed, "oversize", 300)
    p.bind("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", ctl)
    own = p.chain("self")
    for _ in range(2):
        own.append(*own.build())
    mon = p.pub.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    print("id %s\nsync %s\npub %s\nready" % (p.id.hex(), p.sync_ep,
                                             p.pub_ep), flush=True)
    disc, sent, armed = 0, [], []
    poller = zmq.Poller()
    for s in (p.sync, p.pub, p.ctl, mon):
        poller.register(s, zmq.POLLIN)
    next_hb = 0
    while True:
        t = hp.now_ms()
        if t >= next_hb:
            p.heartbeat()
            next_hb = t + 300
        for s, _ in poller.poll(50):
            if s is p.sync:
                parts = p.sync.recv_multipart()
                p.sync.send_multipart(parts[:-1] + [p.on_sync(parts[-1])])
            elif s is p.pub:
                if p.pub.recv()[:1] == b"\x01":
                    p.subs += 1
                    if armed:
                        size = armed.pop(0)
                        head = hp.canonical([1, "update", b"", None])
                        p.pub.send_multipart(
                            [own.ns, head + b"\x00" * (size - len(head))])
                        sent.append(size)
            elif s is mon:
                if recv_monitor_message(mon)["event"] == \
                        zmq.EVENT_DISCONNECTED:
                    disc += 1
            else:
                rq = json.loads(p.ctl.recv())
                if rq["cmd"] == "go":
                    armed.append(int(rq["args"][0]))
                elif rq["cmd"] == "next":
                    u, b, t = own.build()
                    own.append(u, b, t)
                    p.publish(own.ns, u, b)
                p.ctl.send_string(json.dumps({
                    "ok": True, "disc": disc, "sent": sent,
                    "subs": p.subs, "seq": own.head()[0]}))


# --- 100 peers asking for the full history ---

def status_timer(api_ep, stop, out):
    """A "status" on the api every 100 ms; the slowest latency in out."""
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(api_ep)
    rid = 0
    while not stop.is_set():
        rid += 1
        t0 = time.time()
        s.send(req(rid, "status", {}))
        if not s.poll(10000):
            out["max_ms"] = 10000
            out["lost"] += 1
            break
        r = unpack(s.recv())
        ms = (time.time() - t0) * 1000
        out["n"] += 1
        out["max_ms"] = max(out["max_ms"], ms)
        if r[2] != 0 or r[1] != rid:
            out["bad"] += 1
        time.sleep(0.1)
    s.close()


def cmd_history(argv):
    ep, node, ns = argv[0], bytes.fromhex(argv[1]), bytes.fromhex(argv[2])
    nclients, api_ep = int(argv[3]), argv[4]
    more_fds()
    ctx = zmq.Context()
    socks = [curve_dealer(ctx, ep, node) for _ in range(nclients)]
    st = {"n": 0, "max_ms": 0.0, "bad": 0, "lost": 0}
    stop = threading.Event()
    timer = threading.Thread(target=status_timer, args=(api_ep, stop, st))
    timer.start()
    # Per client: rid, the next seq it wants, updates got.
    want = {s: 1 for s in socks}
    got = {s: 0 for s in socks}
    rid = {s: 1 for s in socks}
    fig = {"requests": 0, "replies": 0, "busy": 0, "max_updates": 0,
           "max_bytes": 0, "updates": 0}
    t0 = time.time()
    try:
        poller = zmq.Poller()
        for s in socks:
            poller.register(s, zmq.POLLIN)
            s.send(req(1, "hello", {}))
            fig["requests"] += 1
        live = len(socks)
        deadline = time.time() + 120
        while live > 0:
            check(time.time() < deadline, "history: not done in 120 s")
            for s, _ in poller.poll(1000):
                frame = s.recv()
                fig["replies"] += 1
                r = unpack(frame)
                check(r[1] == rid[s], "reply %r to rid %r" %
                      (r, rid[s]))
                if r[2] == EBUSY:
                    fig["busy"] += 1
                    time.sleep(0.01)
                elif r[2] != 0:
                    raise Fail("sync refused: %r" % (r,))
                elif "updates" in r[3]:
                    n = len(r[3]["updates"])
                    fig["max_updates"] = max(fig["max_updates"], n)
                    fig["max_bytes"] = max(fig["max_bytes"], len(frame))
                    check(n <= CHUNK_MAX_UPDATES and
                          len(frame) <= CHUNK_MAX_BYTES,
                          "a fetch reply of %d updates, %d bytes" %
                          (n, len(frame)))
                    check(n > 0 or r[3]["next"] is None, "empty chunk")
                    got[s] += n
                    fig["updates"] += n
                    want[s] = r[3]["next"]
                    if want[s] is None:
                        poller.unregister(s)
                        live -= 1
                        continue
                rid[s] += 1
                s.send(req(rid[s], "fetch", {"ns": ns, "from": want[s]}))
                fig["requests"] += 1
    finally:
        stop.set()
        timer.join()
    fig["secs"] = round(time.time() - t0, 2)
    fig["per_client"] = sorted(set(got.values()))
    fig["status_n"] = st["n"]
    fig["status_max_ms"] = round(st["max_ms"], 1)
    fig["status_bad"] = st["bad"] + st["lost"]
    print(json.dumps(fig))
    return 0


def main(argv):
    cmds = {"puts": cmd_puts, "hold": cmd_hold, "hello": cmd_hello,
            "oversize-api": cmd_oversize_api,
            "oversize-sync": cmd_oversize_sync,
            "oversize-pub": cmd_oversize_pub, "history": cmd_history}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write("usage: exhaust.py %s ...\n" % "|".join(cmds))
        return 2
    try:
        return cmds[argv[1]](argv[2:])
    except Fail as e:
        sys.stderr.write("exhaust %s: FAIL: %s\n" % (argv[1], e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
