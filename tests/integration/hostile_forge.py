#!/usr/bin/python3
"""hostile_forge.py: forged and replayed federation traffic at scale
(issue 4, item 3) against a real buurtd V, with a real honest peer R, a
real second follower W of V, and a probe that keeps asking V.

Usage:
  hostile_forge.py attack RDIR VDIR WDIR
      R, V and W are running buurtd directories (node ids in DIR.id).
      The driver plays the hostile peer H itself (the Peer of
      hostile_peer.py), makes V follow R and H and W follow V, watches
      V's pub with a fresh CURVE key, starts the probe, and injects:

        1000 forgeries of H's next update: time bits flipped (150),
          signature bits flipped (250), another key (100), degenerate
          keys: the 8 small-order points as namespace with R = a
          small-order point and S = 0, or R = S = 0 (100), S + L (100),
          no domain tag (50), a wrong domain tag (50), all rejected_sig;
          prev bits flipped (100), rejected_chain; body-hash bits flipped
          (100), rejected_format
        50 updates of R's namespace signed by H (rejected_sig)
        20 updates an hour ahead (rejected_future)
        500 live replays of updates V holds (R's, H's, C's)
        500 catch-up replays: V asks H for namespace C; H publishes the
          updates live first and only then answers the fetch with them,
          5 rounds of 100 (duplicates)
        reordered and duplicated updates of C (5, newest first, twice)
        10 equivocating namespaces (equivocations; each then one update
          more, rejected_frozen)

      and checks from V's status that every one was counted by its
      reason and none stored; that V's pub carried none of the forged
      updates and no update twice; that W, following V, saw nothing
      rejected and holds what V holds; that the probe's get on V and an
      honest put on R reaching V took under 1 s each, throughout.

  probe VAPI RAPI RNS OUT STOP
      Every 100 ms a get on V; every 2nd round a put on R and the time
      until V serves it.  Writes a JSON list of latencies to OUT when
      the file STOP appears.

Only Debian packages: python3-zmq, python3-msgpack, python3-nacl.
"""

import json
import os
import subprocess
import sys
import time

import msgpack
import nacl.exceptions
import nacl.signing
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_peer import (HOUR_MS, SIG_LEN, SIGN_TAG, ZERO32,  # noqa: E402
                          OP_PUT, Peer, blake2b256, body_for,
                          curve_public, envelope, parse_head, sign)
from spec_client import enc_uint  # noqa: E402

SMALL_ORDER = [bytes.fromhex(x) for x in (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
)]
# The order of the base point.
L = 2 ** 252 + 27742317777372353535851937790883648493
WRONG_TAGS = [b"buurt/2 update\n", b"buurt/1 update", b"buurt/1 updatE\n",
              b"BUURT/1 update\n", b"buurt/1 update\n\n"]


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def libsodium_rejects(pk, msg, sig):
    try:
        nacl.signing.VerifyKey(pk).verify(msg, sig)
    except (nacl.exceptions.BadSignatureError, ValueError,
            nacl.exceptions.CryptoError):
        return True
    return False


class Api:
    """A DEALER on a node's api socket."""

    def __init__(self, ctx, nodedir, pump=None):
        self.s = ctx.socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.connect("ipc://%s/api.sock" % os.path.abspath(nodedir))
        self.rid = 0
        self.pump = pump or (lambda: None)

    def request(self, op, args, ok=True):
        self.rid += 1
        self.s.send(msgpack.packb([1, self.rid, op, args]))
        deadline = time.monotonic() + 10
        while not self.s.poll(20):
            self.pump()
            check(time.monotonic() < deadline, "api %s: no reply" % op)
        r = msgpack.unpackb(self.s.recv(), raw=False)
        check(not ok or r[2] == 0, "api %s: %r" % (op, r[3]))
        return r[3] if r[2] == 0 else None

    def status(self):
        return self.request("status", {})

    def heads(self):
        return {n["ns"]: (n["seq"], n["hash"], n.get("frozen", 0))
                for n in self.status()["namespaces"]}


def put_args(rid, i):
    return {"kind": "initiative", "id": rid, "body": {
        "title": "Honest %s" % rid, "description": "Written on R (%d)." % i,
        "pillar": "social-ties", "status": "running"}}


def conf(nodedir, key):
    with open(os.path.join(nodedir, "buurt.conf")) as f:
        for line in f:
            if line.startswith(key + " = "):
                return line.split("=", 1)[1].strip()
    raise Fail("no %s in %s/buurt.conf" % (key, nodedir))


def node_id(nodedir):
    with open(nodedir.rstrip("/") + ".id") as f:
        return bytes.fromhex(f.read().strip())


# ---------------------------------------------------------------------
# The attack.
# ---------------------------------------------------------------------

class Attack:
    def __init__(self, rdir, vdir, wdir):
        self.rdir, self.vdir, self.wdir = rdir, vdir, wdir
        self.peer = Peer(os.urandom(32), "hostile-forge", 1000)
        self.tmp = os.path.dirname(os.path.abspath(vdir))
        self.peer.bind("tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                       "ipc://%s/forge.ctl" % self.tmp)
        own = self.peer.chain("self")
        for _ in range(2):
            own.append(*own.build())
        ctx = self.ctx = self.peer.ctx
        self.r = Api(ctx, rdir, self.pump)
        self.v = Api(ctx, vdir, self.pump)
        self.w = Api(ctx, wdir, self.pump)
        self.rid_, self.vid, self.wid = (node_id(rdir), node_id(vdir),
                                         node_id(wdir))
        self.next_hb = 0
        self.hold_ns = None     # fetches of this ns wait in held
        self.held = None
        self.forged = set()     # hashes of every update V must not keep
        self.seen = {}          # hash -> times V published it
        self.watch = None

    # --- H's side, and the watcher on V's pub ---

    def pump(self):
        p = self.peer
        if time.monotonic() * 1000 >= self.next_hb:
            p.heartbeat()
            self.next_hb = time.monotonic() * 1000 + 1000
        while p.sync.poll(0):
            parts = p.sync.recv_multipart()
            rq = msgpack.unpackb(parts[-1], raw=False)
            if (self.hold_ns is not None and rq[2] == "fetch" and
                    rq[3].get("ns") == self.hold_ns):
                self.held = parts
                continue
            p.sync.send_multipart(parts[:-1] + [p.on_sync(parts[-1])])
        while p.pub.poll(0):
            if p.pub.recv()[:1] == b"\x01":
                p.subs += 1
        while self.watch is not None and self.watch.poll(0):
            parts = self.watch.recv_multipart()
            if len(parts) == 2 and len(parts[0]) == 32:
                m = msgpack.unpackb(parts[1], raw=False)
                h = blake2b256(m[2])
                self.seen[h] = self.seen.get(h, 0) + 1

    def wait(self, secs, what, cond):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if cond():
                return
            self.pump()
            time.sleep(0.02)
        raise Fail("%s (not within %d s)" % (what, secs))

    def counters(self, api):
        return api.status()["counters"]

    def publish(self, ns, u, body, forged=True):
        if forged:
            self.forged.add(blake2b256(u))
        self.peer.publish(ns, u, body)

    # --- setup ---

    def setup(self):
        for i in range(1, 21):
            self.r.request("put", put_args("r%d" % i, i))
        self.v.request("follow", {"node": self.rid_,
                                  "endpoint": conf(self.rdir, "sync")})
        self.w.request("follow", {"node": self.vid,
                                  "endpoint": conf(self.vdir, "sync")})
        # The watcher: a fresh CURVE key on V's pub, every topic.
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVHWM, 100000)
        pub, sec = zmq.curve_keypair()
        s.setsockopt(zmq.CURVE_PUBLICKEY, pub)
        s.setsockopt(zmq.CURVE_SECRETKEY, sec)
        s.setsockopt(zmq.CURVE_SERVERKEY, curve_public(self.vid))
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(conf(self.vdir, "pub"))
        self.watch = s
        self.v.request("follow", {"node": self.peer.id,
                                  "endpoint": self.peer.sync_ep})
        rhead = self.r.heads()[self.rid_]
        c = self.peer.chain("c")
        for _ in range(3):
            c.append(*c.build())
        self.c = c

        def ready():
            vh = self.v.heads()
            st = self.v.status()
            live = {p["id"] for p in st.get("peers", [])
                    if p["state"] == "live"}
            return (self.peer.subs > 0 and live >= {self.rid_, self.peer.id}
                    and vh.get(self.rid_, (0,))[:2] == rhead[:2]
                    and vh.get(self.peer.id, (0,))[0] == 2
                    and vh.get(c.ns, (0,))[0] == 3
                    and self.w.heads().get(c.ns, (0,))[0] == 3)
        self.wait(20, "V does not hold R, H and C, or W does not follow V",
                  ready)

    # --- forgeries ---

    def forgeries(self):
        """1000 forged updates: [(class, reason, ns, update, body)]."""
        c = self.peer.chain("self")
        out = []

        def base(**kw):
            u, b, _ = c.build(**kw)
            return u[:-SIG_LEN], u[-SIG_LEN:], b
        # Time bits that are 0 flipped to 1: later, still in the skew,
        # still after the head; only the signature can tell.
        while len(out) < 150:
            env, sig, b = base()
            seq, _ = self.seq_time(env)
            last = 36 + len(enc_uint(seq)) + 34 + 8
            t = int.from_bytes(env[last - 7:last + 1], "big")
            for bit in range(1, 16):
                if not t >> bit & 1 and len(out) < 150:
                    e = bytearray(env)
                    e[last - bit // 8] ^= 1 << bit % 8
                    out.append(("time bit", "rejected_sig", c.ns,
                                bytes(e) + sig, b))
        env, sig, b = base()
        seq, _ = self.seq_time(env)
        for k in range(100):
            e = bytearray(env)
            e[36 + len(enc_uint(seq)) + 2 + k % 32] ^= 1 << k // 32
            out.append(("prev bit", "rejected_chain", c.ns, bytes(e) + sig,
                        b))
        # body_hash: the 32 bytes before the body_len uint at the end.
        blen = len(enc_uint(len(b)))
        for k in range(100):
            e = bytearray(env)
            e[len(e) - blen - 32 + k % 32] ^= 1 << k // 32 % 8
            out.append(("hash bit", "rejected_format", c.ns,
                        bytes(e) + sig, b))
        for k in range(250):
            s = bytearray(sig)
            s[k * 2 // 8] ^= 1 << (k * 2) % 8
            out.append(("signature bit", "rejected_sig", c.ns,
                        env + bytes(s), b))
        for k in range(100):
            env, _, b = base()
            other = self.peer.key_for("wrong-%d" % k)
            out.append(("another key", "rejected_sig", c.ns,
                        env + sign(other, env), b))
        for k in range(100):
            ns = SMALL_ORDER[k % 8]
            b = body_for("degenerate", k)
            env = envelope(ns, 1, ZERO32, self.now() + k, "initiative",
                           "degenerate-%d" % k, OP_PUT, blake2b256(b),
                           len(b))
            r = SMALL_ORDER[k // 8 % 8] if k // 8 < 8 else ZERO32
            sig = r + bytes(32)
            check(libsodium_rejects(ns, SIGN_TAG + env, sig),
                  "libsodium accepts a small-order forgery")
            out.append(("degenerate key", "rejected_sig", ns, env + sig, b))
        for k in range(100):
            env, sig, b = base()
            s = int.from_bytes(sig[32:], "little") + L
            msig = sig[:32] + s.to_bytes(32, "little")
            check(not libsodium_rejects(c.ns, SIGN_TAG + env, sig) and
                  libsodium_rejects(c.ns, SIGN_TAG + env, msig),
                  "libsodium takes S + L, or not S")
            out.append(("S + L", "rejected_sig", c.ns, env + msig, b))
        for k in range(50):
            env, _, b = base()
            out.append(("no domain tag", "rejected_sig", c.ns,
                        env + sign(c.key, env, b""), b))
        for k in range(50):
            env, _, b = base()
            out.append(("wrong domain tag", "rejected_sig", c.ns,
                        env + sign(c.key, env, WRONG_TAGS[k % 5]), b))
        return out

    @staticmethod
    def now():
        return int(time.time() * 1000)

    @staticmethod
    def seq_time(env):
        return parse_head(env + bytes(SIG_LEN))

    def inject(self, items, counter_of, what, forged=True):
        """Publish items in batches of 100; after each, wait until V's
        counters grew by what each item should add."""
        c0 = self.counters(self.v)
        want = {}
        for i in range(0, len(items), 100):
            for it in items[i:i + 100]:
                self.publish(*it[2:], forged=forged)
                want[counter_of(it)] = want.get(counter_of(it), 0) + 1

            def caught_up():
                c = self.counters(self.v)
                return all(c.get(k, 0) - c0.get(k, 0) >= n
                           for k, n in want.items())
            self.wait(10, "V did not count %s %s" % (what, want), caught_up)
        return c0

    # --- the rest of the attack ---

    def other_namespace(self):
        """50 updates of R's namespace after V's head, signed by H."""
        seq, h, _ = self.v.heads()[self.rid_]
        out = []
        for k in range(50):
            b = body_for("hijack", k)
            env = envelope(self.rid_, seq + 1, h, self.now(), "initiative",
                           "hijacked-%d" % k, OP_PUT, blake2b256(b), len(b))
            out.append(("other namespace", "rejected_sig", self.rid_,
                        env + sign(self.peer.key, env), b))
        return out

    def future(self):
        c = self.peer.chain("self")
        out = []
        for k in range(20):
            u, b, _ = c.build(t=self.now() + HOUR_MS + k)
            out.append(("future", "rejected_future", c.ns, u, b))
        return out

    def live_replays(self, n):
        log = self.r.request("log", {"ns": self.rid_, "limit": 1000})
        held = [(self.rid_, it["update"], it["body"]) for it in log["items"]
                if it["body"] is not None]
        for name in ("self", "c"):
            ch = self.peer.chain(name)
            held += [(ch.ns, u, b) for u, b in ch.items]
        self.replayed = {blake2b256(u) for _, u, _ in held}
        return [("replay", "duplicates") + held[k % len(held)]
                for k in range(n)]

    def catchup_replays(self, rounds, n):
        c = self.c
        for _ in range(rounds):
            d0 = self.counters(self.v)["duplicates"]
            k = len(c.items)
            for _ in range(n):
                c.append(*c.build())
            self.hold_ns, self.held = c.ns, None
            self.peer.heartbeat()
            self.wait(10, "V did not ask H for C", lambda: self.held)
            for u, b in c.items[k:]:
                self.publish(c.ns, u, b, forged=False)
            self.wait(10, "V did not take C's live updates",
                      lambda: self.v.heads()[c.ns][0] == k + n)
            # Now the chunk V asked for: all of it held already.
            parts, self.hold_ns, self.held = self.held, None, None
            self.peer.sync.send_multipart(parts[:-1] +
                                          [self.peer.on_sync(parts[-1])])
            self.wait(10, "V did not count the chunk's %d duplicates" % n,
                      lambda: self.counters(self.v)["duplicates"] >=
                      d0 + n)

    def reordered(self):
        c = self.c
        k = len(c.items)
        for _ in range(5):
            c.append(*c.build())
        for u, b in reversed(c.items[k:]):
            self.publish(c.ns, u, b, forged=False)
            self.publish(c.ns, u, b, forged=False)
        self.wait(10, "V did not take C's reordered updates",
                  lambda: self.v.heads()[c.ns][0] == k + 5)

    def equivocations(self, n):
        qs = [self.peer.chain("q%d" % i) for i in range(n)]
        for q in qs:
            q.append(*q.build())
            self.publish(q.ns, *q.items[-1], forged=False)
        self.wait(10, "V did not take the q namespaces",
                  lambda: all(self.v.heads().get(q.ns, (0,))[0] == 1
                              for q in qs))
        seconds = []
        for q in qs:
            ua, ba, ta = q.build(rid="q-2-a")
            ub, bb, _ = q.build(rid="q-2-b")
            q.append(ua, ba, ta)
            self.publish(q.ns, ua, ba, forged=False)
            seconds.append((q.ns, ub, bb))
        self.wait(10, "V did not take the q namespaces' seq 2",
                  lambda: all(self.v.heads().get(q.ns, (0,))[0] == 2
                              for q in qs))
        e0 = self.counters(self.v)["equivocations"]
        for ns, ub, bb in seconds:
            self.publish(ns, ub, bb)
        self.wait(10, "V did not freeze the q namespaces",
                  lambda: self.counters(self.v)["equivocations"] >= e0 + n)
        later = []
        for q in qs:
            u, b, _ = q.build()
            later.append(("after the freeze", "rejected_frozen", q.ns, u,
                          b))
        self.inject(later, lambda it: it[1], "updates of frozen namespaces")
        self.qs = qs


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0


def attack(argv):
    rdir, vdir, wdir = argv
    a = Attack(rdir, vdir, wdir)
    a.setup()
    out = os.path.join(a.tmp, "probe.json")
    stop = os.path.join(a.tmp, "probe.stop")
    probe = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "probe",
         os.path.abspath(vdir), os.path.abspath(rdir), a.rid_.hex(), out,
         stop], stdout=subprocess.PIPE)
    try:
        check(probe.stdout.readline().strip() == b"ready",
              "the probe did not start")
        t0 = time.monotonic()
        v0, w0 = a.counters(a.v), a.counters(a.w)
        forgeries = a.forgeries()
        check(len(forgeries) == 1000, "%d forgeries" % len(forgeries))
        forged = forgeries + a.other_namespace() + a.future()
        a.inject(forged, lambda it: it[1], "forgeries")
        reps = a.live_replays(500)
        a.pump()
        seen0 = dict(a.seen)
        a.inject(reps, lambda it: it[1], "live replays", forged=False)
        a.catchup_replays(5, 100)
        a.reordered()
        a.equivocations(10)
        secs = time.monotonic() - t0
    finally:
        open(stop, "w").close()
        probe.wait(timeout=30)
    check(probe.returncode == 0, "the probe failed: %s" %
          probe.stdout.read().decode())
    with open(out) as f:
        lat = json.load(f)
    v1 = a.counters(a.v)
    d = {k: v1.get(k, 0) - v0.get(k, 0) for k in v1}

    # Counted, each by its reason.
    want = {"rejected_sig": 850, "rejected_chain": 100,
            "rejected_format": 100, "rejected_future": 20,
            "rejected_frozen": 10, "rejected_schema": 0,
            "rejected": 1080, "equivocations": 10}
    for k, n in want.items():
        check(d.get(k) == n, "V's %s grew by %s, not %d" % (k, d.get(k), n))
    check(d["duplicates"] >= 1005, "V counted %d duplicates, not >= 1005"
          % d["duplicates"])
    # Stored: nothing but the honest updates.  R's head as R has it (the
    # probe's last put arrived), H's own at 2, C and the q namespaces as
    # H built them (q frozen at the first seq 2), nothing else.
    rh = a.r.heads()[a.rid_]
    a.wait(10, "V does not hold R's head",
           lambda: a.v.heads()[a.rid_][:2] == rh[:2])
    vh = a.v.heads()
    expect = {a.rid_: rh[:2], a.peer.id: a.peer.chain("self").head()[:2],
              a.c.ns: a.c.head()[:2]}
    for q in a.qs:
        expect[q.ns] = (2, blake2b256(q.items[1][0]))
    own = (a.vid, a.wid)
    got = {ns: h[:2] for ns, h in vh.items() if ns not in own}
    check(got == expect, "V's heads are not the honest ones: %r" %
          {ns.hex()[:12]: h[0] for ns, h in got.items()})
    check(all(vh[q.ns][2] != 0 for q in a.qs), "a q namespace not frozen")
    # Not re-published: V's pub carried no forged or replayed update, and
    # none twice.  W, following V, rejected nothing and holds what V holds.
    a.wait(10, "W does not hold what V holds", lambda: {
        ns: h[:2] for ns, h in a.w.heads().items() if ns not in own} ==
        expect)
    a.pump()
    bad = [h for h in a.seen if h in a.forged]
    twice = [h for h, n in a.seen.items() if n > 1]
    check(not bad, "V published %d forged updates" % len(bad))
    check(not twice, "V published %d updates twice" % len(twice))
    check(all(a.seen.get(h, 0) == seen0.get(h, 0) for h in a.replayed),
          "V re-published a replay")
    check(len(a.seen) >= 500, "the watcher saw only %d updates" %
          len(a.seen))
    w1 = a.counters(a.w)
    wd = {k: w1.get(k, 0) - w0.get(k, 0) for k in w1}
    for k in ("rejected", "equivocations"):
        check(wd[k] == 0, "W's %s grew by %d" % (k, wd[k]))
    check(wd["duplicates"] < 100, "W counted %d duplicates: V relayed "
          "replays" % wd["duplicates"])
    # Served throughout.
    gets = [x for k, x in lat if k == "get"]
    props = [x for k, x in lat if k == "put"]
    # One get each 100 ms of the attack, give or take the machine's load.
    check(len(gets) >= max(3, secs * 5) and props, "the probe made %d gets "
          "and %d puts in %.1f s" % (len(gets), len(props), secs))
    print("forged/replayed: %d forgeries + 50 of R's namespace signed by H "
          "+ 20 future, 1000 replays (500 live, 500 in catch-up chunks), "
          "10 reordered/duplicated, 10 equivocations in %.1f s"
          % (1000, secs))
    print("V counted: " + ", ".join("%s +%d" % (k, d[k]) for k in (
        "rejected", "rejected_sig", "rejected_chain", "rejected_format",
        "rejected_future", "rejected_frozen", "duplicates",
        "equivocations")) + "; stored none of it, published none of it "
          "(%d updates seen on its pub, each once); W: rejected +%d, "
          "duplicates +%d" % (len(a.seen), wd["rejected"],
                              wd["duplicates"]))
    print("probe: %d gets on V, p50 %.1f ms, max %.1f ms; %d honest puts on "
          "R reached V in p50 %.1f ms, max %.1f ms"
          % (len(gets), pct(gets, .5) * 1e3, max(gets) * 1e3, len(props),
             pct(props, .5) * 1e3, max(props) * 1e3))
    check(max(gets) < 1.0, "a get on V took %.3f s" % max(gets))
    check(max(props) < 1.0, "an honest update took %.3f s to reach V"
          % max(props))
    return 0


def probe(argv):
    vdir, rdir, rns, out, stop = argv
    ctx = zmq.Context()
    v, r = Api(ctx, vdir), Api(ctx, rdir)
    rns = bytes.fromhex(rns)
    lat = []
    i = 0
    print("ready", flush=True)
    while not os.path.exists(stop):
        t = time.monotonic()
        v.request("get", {"kind": "initiative", "id": "r1", "ns": rns})
        lat.append(("get", time.monotonic() - t))
        if i % 2 == 0:
            rid = "probe-%d" % i
            r.request("put", put_args(rid, i))
            t = time.monotonic()
            while v.request("get", {"kind": "initiative", "id": rid,
                                    "ns": rns}, ok=False) is None:
                check(time.monotonic() - t < 5, "%s never reached V" % rid)
                time.sleep(0.005)
            lat.append(("put", time.monotonic() - t))
        i += 1
        time.sleep(max(0, 0.1 - (time.monotonic() - t)))
    with open(out, "w") as f:
        json.dump(lat, f)
    return 0


def main(argv):
    try:
        if len(argv) == 5 and argv[1] == "attack":
            return attack(argv[2:])
        if len(argv) == 7 and argv[1] == "probe":
            return probe(argv[2:])
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
