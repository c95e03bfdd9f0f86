#!/usr/bin/python3
"""hostile_peer.py: a peer that plays a buurt node, written from
docs/PROTOCOL.md (sections 4-6 and 14), to attack a real buurtd.

It has its own Ed25519 key (its node id), binds a sync ROUTER and a pub
XPUB with CURVE server keys derived from that key exactly as buurtd does
(crypto_sign_ed25519_sk_to_curve25519), answers hello, heads and fetch
in canonical msgpack, and publishes live updates and heartbeats.  What it
serves and publishes is chosen on its control socket, so a test script
can make it honest, then hostile, one step at a time.

Subcommands:

  serve --seed HEX --ctl EP [--sync EP] [--pub EP] [--name NAME]
        [--heartbeat MS] [--mode MODE] [--sndhwm N]
      Run the peer.  --sync and --pub default to tcp://127.0.0.1:* (a
      free port).  When ready it prints "id HEX", "sync EP", "pub EP" and
      "ready" on stdout.  --mode is the fetch mode of its own namespace
      (below).  --sndhwm is the pub socket's ZMQ_SNDHWM (0: no limit;
      default libzmq's 1000).  It starts holding its own namespace at
      seq 2.

  ctl EP COMMAND [ARG...] [--get KEY]
      Send one command to a serving peer; print its JSON reply (or the
      one value KEY).  Exit 1 if the command failed.  Commands (NAME is a
      namespace the peer holds: "self" is its own; any other name makes
      a key derived from the seed and that name):

        status                       chains, updates injected, subscribers
        make NAME N [MODE]           hold NAME with N updates; fetch mode:
                                     honest, tamper-middle (flip a bit in
                                     the middle update of every chunk, so
                                     the links break), bad-last-sig (flip
                                     a bit in the last signature),
                                     future-last (the last update's time
                                     one hour ahead)
        mode NAME MODE               change NAME's fetch mode
        drop NAME                    stop holding NAME
        next NAME [publish]          append a valid update (and publish it)
        burst NAME N                 append N valid, consecutive updates,
                                     then publish them all back to back
        forge NAME RNS RSEQ RHASH RTIME
                                     publish seven forged updates: NAME's
                                     next update with a bit flipped in the
                                     envelope, with a bit flipped in the
                                     signature, signed by another key,
                                     signed without the domain tag; the
                                     update after RNS's head (RSEQ, RHASH,
                                     RTIME as the victim holds it) signed
                                     by this peer's key; NAME's next
                                     update with a bit flipped in its
                                     body; one whose body breaks the
                                     initiative schema (validly signed)
        future NAME                  publish NAME's next update with a
                                     time one hour ahead (not held)
        equivocate NAME              two different valid updates with the
                                     next seq: hold and publish the first,
                                     then publish the second
        fork NAME                    replace NAME's last update by another
                                     validly signed one and append one
                                     more (served by fetch, announced in
                                     heartbeats, not published)
        copy API_EP NSHEX NAME       read NSHEX's log from a node's api
                                     and hold it as NAME (a foreign
                                     namespace, served by fetch)
        replay API_EP NSHEX NAME     copy, and publish every update that
                                     has its body again
        republish NAME               publish every update of NAME held
                                     with its body again
        forge-chunk NAME             append two updates to the foreign
                                     namespace NAME signed by this peer's
                                     key (served by fetch)
        subs                         subscriptions seen on pub

  watch --pub EP --node HEX --topic HEX --until-seq N [--timeout S]
      Subscribe to a node's pub with CURVE as a fresh key, to TOPIC and
      heartbeat; print "ready" at the first heartbeat, then "update SEQ
      HASH" for every update on TOPIC.  Exit 0 once SEQ >= N was seen,
      1 at the timeout.

  probe --sync EP --node HEX (--fresh | --plain | --key-file F)
        [--timeout MS]
      Send "hello" to a node's sync as a fresh CURVE key, without CURVE,
      or as the node whose key file is F.  Print "answered" and exit 0,
      or "silent" and exit 3.

Only Debian packages: python3-zmq, python3-msgpack, python3-nacl.
"""

import hashlib
import json
import os
import struct
import sys
import time

import msgpack
import nacl.bindings
import nacl.signing
import zmq

# Section 3, "Limits"; section 14.9.
PROTOCOL_VERSION = 1
SIGN_TAG = b"buurt/1 update\n"
SIG_LEN = 64
ZERO32 = bytes(32)
OP_PUT = 1
HEADS_MAX = 512
CHUNK_MAX_UPDATES = 4096
HEARTBEAT_TOPIC = b"heartbeat"
HOUR_MS = 3600 * 1000

# Section 11: the codes this peer answers with.
ENOTFOUND = -21
EPROTO = -32


class Fail(Exception):
    """A command failed: the message says why."""


def blake2b256(data):
    # Section 5.4: BLAKE2b with a 32-byte digest length, no key.
    return hashlib.blake2b(data, digest_size=32).digest()


def now_ms():
    return int(time.time() * 1000)


# The canonical encoder (table 2.2) of the independent client, shared.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_client import (Fail, canonical, enc_bin, enc_hdr,  # noqa: E402
                         enc_int, enc_str, enc_uint)


# ---------------------------------------------------------------------
# Sections 4 and 5: envelopes, signatures, updates.
# ---------------------------------------------------------------------

def envelope(ns, seq, prev, t, kind, rid, op, body_hash, body_len):
    return (b"\x9a" + enc_uint(PROTOCOL_VERSION) + enc_bin(ns) +
            enc_uint(seq) + enc_bin(prev) + enc_uint(t) + enc_str(kind) +
            enc_str(rid) + enc_uint(op) + enc_bin(body_hash) +
            enc_uint(body_len))


def sign(key, env, tag=SIGN_TAG):
    return key.sign(tag + env).signature


def parse_head(update):
    """(seq, time) of a signed update, by the byte table of 4.2."""
    env = update[:-SIG_LEN]
    pos = 36

    def uint():
        nonlocal pos
        c = env[pos]
        if c <= 0x7f:
            pos += 1
            return c
        n = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}[c]
        v = int.from_bytes(env[pos + 1:pos + 1 + n], "big")
        pos += 1 + n
        return v
    seq = uint()
    pos += 34           # prev
    t = uint()
    return seq, t


def flip_time(update):
    """update with the lowest bit of its time flipped, the signature
    kept: the envelope no longer matches its signature."""
    env = bytearray(update[:-SIG_LEN])
    seq, t = parse_head(update)
    # The time is the uint after the prev (36 + S + 34); its last byte.
    s_len = len(enc_uint(seq))
    t_len = len(enc_uint(t))
    last = 36 + s_len + 34 + t_len - 1
    env[last] ^= 0x01
    return bytes(env) + update[-SIG_LEN:]


def body_for(label, seq):
    return canonical({
        "description": "Written by the hostile peer (%s, seq %d)."
        % (label, seq),
        "pillar": "social-ties",
        "status": "running",
        "title": "Hostile %s %d" % (label, seq),
    })


class Chain:
    """A namespace the peer holds: its updates, in seq order."""

    def __init__(self, name, ns, key):
        self.name = name
        self.ns = ns
        self.key = key          # SigningKey, or None (foreign)
        self.items = []         # [(update, body)]
        self.times = []
        self.mode = "honest"

    def head(self):
        if not self.items:
            return 0, ZERO32, 0
        return (len(self.items), blake2b256(self.items[-1][0]),
                self.times[-1])

    def build(self, key=None, t=None, rid=None, tag=SIGN_TAG, seq=None,
              prev=None):
        """A valid next update (not appended) and its body."""
        hseq, hhash, htime = self.head()
        if seq is None:
            seq, prev = hseq + 1, hhash
        if t is None:
            # Strictly increasing by at least 2 ms, even: flipping the
            # lowest bit keeps it above its predecessor.
            t = max(now_ms(), htime + 2)
            t += t & 1
        label = self.name
        if rid is None:
            rid = "%s-%d" % (label, seq)
        body = body_for(label, seq)
        env = envelope(self.ns, seq, prev, t, "initiative", rid, OP_PUT,
                       blake2b256(body), len(body))
        return env + sign(key or self.key, env, tag), body, t

    def append(self, update, body, t):
        self.items.append((update, body))
        self.times.append(t)


# ---------------------------------------------------------------------
# The peer.
# ---------------------------------------------------------------------

def curve_keys(seed):
    """CURVE key pair from an Ed25519 seed, as buurtd derives it."""
    pk, sk = nacl.bindings.crypto_sign_seed_keypair(seed)
    return (nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(pk),
            nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(sk))


def curve_public(node_id):
    return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(node_id)


class Peer:
    def __init__(self, seed, name, hb_ms):
        self.seed = seed
        self.key = nacl.signing.SigningKey(seed)
        self.id = bytes(self.key.verify_key)
        self.name = name
        self.hb_ms = hb_ms
        self.chains = {}
        self.injected = 0       # updates sent: published or served
        self.published = 0
        self.served = 0
        self.subs = 0           # subscriptions seen on pub
        self.fetches = 0

    def key_for(self, name):
        if name == "self":
            return self.key
        return nacl.signing.SigningKey(
            blake2b256(b"hostile/" + name.encode() + self.seed))

    def chain(self, name, create=True):
        if name not in self.chains:
            if not create:
                raise Fail("no namespace %s" % name)
            k = self.key_for(name)
            self.chains[name] = Chain(name, bytes(k.verify_key), k)
        return self.chains[name]

    def by_ns(self, ns):
        for c in self.chains.values():
            if c.ns == ns and c.items:
                return c
        return None

    # --- sockets ---

    def bind(self, sync_ep, pub_ep, ctl_ep, sndhwm=None):
        self.ctx = zmq.Context()
        pk, sk = curve_keys(self.seed)
        self.sync = self.ctx.socket(zmq.ROUTER)
        self.pub = self.ctx.socket(zmq.XPUB)
        for s in (self.sync, self.pub):
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.CURVE_SERVER, 1)
            s.setsockopt(zmq.CURVE_PUBLICKEY, pk)
            s.setsockopt(zmq.CURVE_SECRETKEY, sk)
        self.pub.setsockopt(zmq.XPUB_VERBOSE, 1)
        if sndhwm is not None:      # before bind: pipes take it when made
            self.pub.setsockopt(zmq.SNDHWM, sndhwm)
        self.sync.bind(sync_ep)
        self.pub.bind(pub_ep)
        self.sync_ep = self.sync.getsockopt_string(zmq.LAST_ENDPOINT)
        self.pub_ep = self.pub.getsockopt_string(zmq.LAST_ENDPOINT)
        self.ctl = self.ctx.socket(zmq.REP)
        self.ctl.setsockopt(zmq.LINGER, 0)
        self.ctl.bind(ctl_ep)

    def publish(self, ns, update, body):
        frame = canonical([PROTOCOL_VERSION, "update", update, body])
        self.pub.send_multipart([ns, frame])
        self.injected += 1
        self.published += 1

    def heartbeat(self):
        heads = []
        for c in sorted(self.chains.values(), key=lambda c: c.ns):
            if c.items:
                seq, h, _ = c.head()
                heads.append([c.ns, seq, h])
        frame = canonical([PROTOCOL_VERSION, "heartbeat", self.id, now_ms(),
                           0, 1, heads])
        self.pub.send_multipart([HEARTBEAT_TOPIC, frame])

    # --- sync (14.5) ---

    def reply(self, rid, result, code=0):
        return canonical([PROTOCOL_VERSION, rid, code, result])

    def error(self, rid, code, name, field, msg):
        m = {"error": name, "message": msg}
        if field:
            m["field"] = field
        return self.reply(rid, m, code)

    def on_sync(self, frame):
        try:
            rq = msgpack.unpackb(frame, raw=False)
        except Exception:
            return self.error(0, EPROTO, "EPROTO", None, "undecodable")
        if not (isinstance(rq, list) and len(rq) == 4 and
                isinstance(rq[1], int) and isinstance(rq[3], dict)):
            return self.error(0, EPROTO, "EPROTO", None, "bad request")
        _, rid, op, args = rq
        if op == "hello":
            return self.reply(rid, {"id": self.id, "name": self.name,
                                    "pub": self.pub_ep,
                                    "version": "0.1.0-hostile"})
        if op == "heads":
            after = args.get("after")
            limit = min(args.get("limit") or HEADS_MAX, HEADS_MAX)
            heads = []
            for c in sorted(self.chains.values(), key=lambda c: c.ns):
                if not c.items or (after is not None and c.ns <= after):
                    continue
                seq, h, t = c.head()
                heads.append([c.ns, seq, h, t])
            more = len(heads) > limit
            heads = heads[:limit]
            return self.reply(rid, {"heads": heads, "next":
                                    heads[-1][0] if more else None})
        if op == "fetch":
            c = self.by_ns(args.get("ns"))
            if c is None:
                return self.error(rid, ENOTFOUND, "ENOTFOUND", "ns",
                                  "namespace not held")
            frm = args.get("from", 1)
            limit = min(args.get("limit") or CHUNK_MAX_UPDATES,
                        CHUNK_MAX_UPDATES)
            items = [list(x) for x in c.items[frm - 1:frm - 1 + limit]]
            nxt = None
            if frm - 1 + limit < len(c.items) and items:
                nxt = frm + len(items)
            if c.mode == "tamper-middle" and len(items) >= 3:
                mid = len(items) // 2
                items[mid][0] = flip_time(items[mid][0])
            elif c.mode == "bad-last-sig" and items:
                u = bytearray(items[-1][0])
                u[-SIG_LEN] ^= 0x01
                items[-1][0] = bytes(u)
            self.fetches += 1
            self.injected += len(items)
            self.served += len(items)
            return self.reply(rid, {"next": nxt, "updates": [
                {"body": b, "update": u} for u, b in items]})
        return self.error(rid, EPROTO, "EPROTO", "op", "unknown op")

    # --- control ---

    def summary(self):
        out = {}
        for name, c in self.chains.items():
            seq, h, t = c.head()
            out[name] = {"ns": c.ns.hex(), "seq": seq, "hash": h.hex(),
                         "time": t, "mode": c.mode}
        return {"id": self.id.hex(), "chains": out,
                "injected": self.injected, "published": self.published,
                "served": self.served, "fetches": self.fetches,
                "subs": self.subs}

    def command(self, cmd, args):
        if cmd == "status":
            return self.summary()
        if cmd == "subs":
            return {"subs": self.subs}
        if cmd == "make":
            name, n = args[0], int(args[1])
            mode = args[2] if len(args) > 2 else "honest"
            c = self.chain(name)
            while len(c.items) < n:
                t = None
                if mode == "future-last" and len(c.items) == n - 1:
                    t = now_ms() + HOUR_MS
                c.append(*c.build(t=t))
            c.mode = "honest" if mode == "future-last" else mode
            seq, h, _ = c.head()
            return {"ns": c.ns.hex(), "seq": seq, "hash": h.hex()}
        if cmd == "mode":
            self.chain(args[0], False).mode = args[1]
            return {}
        if cmd == "drop":
            self.chains.pop(args[0], None)
            return {}
        if cmd == "next":
            c = self.chain(args[0])
            u, b, t = c.build()
            c.append(u, b, t)
            if len(args) > 1 and args[1] == "publish":
                self.publish(c.ns, u, b)
            seq, h, _ = c.head()
            return {"ns": c.ns.hex(), "seq": seq, "hash": h.hex()}
        if cmd == "burst":
            # burst NAME N: N valid, consecutive updates of NAME, all
            # built first, then published as fast as the socket takes
            # them (no heartbeat in between).
            c, n = self.chain(args[0]), int(args[1])
            first = len(c.items) + 1
            built = []
            for _ in range(n):
                u, b, t = c.build()
                c.append(u, b, t)
                built.append((u, b))
            t0 = time.monotonic()
            for u, b in built:
                self.publish(c.ns, u, b)
            secs = time.monotonic() - t0
            seq, h, _ = c.head()
            return {"ns": c.ns.hex(), "first": first, "seq": seq,
                    "hash": h.hex(), "published": n, "secs": secs}
        if cmd == "forge":
            c = self.chain(args[0], False)
            rns, rseq = bytes.fromhex(args[1]), int(args[2])
            rhash, rtime = bytes.fromhex(args[3]), int(args[4])
            u, b, t = c.build()
            env = u[:-SIG_LEN]
            other = self.key_for("other-signer")
            forged = [
                ("envelope bit", c.ns, flip_time(u), b),
                ("signature bit", c.ns,
                 env + bytes([u[-SIG_LEN] ^ 0x01]) + u[-SIG_LEN + 1:], b),
                ("another key", c.ns, env + sign(other, env), b),
                ("no domain tag", c.ns, env + sign(c.key, env, b""), b),
            ]
            # The update after the victim's head of another namespace,
            # signed by this peer's own key.
            rt = max(now_ms(), rtime + 2)
            fb = body_for("cross", rseq + 1)
            fenv = envelope(rns, rseq + 1, rhash, rt, "initiative",
                            "hijacked", OP_PUT, blake2b256(fb), len(fb))
            forged.append(("other namespace", rns,
                           fenv + sign(self.key, fenv), fb))
            # Validly signed, but the body does not match its hash.
            forged.append(("body bit", c.ns, u, b[:-1] + bytes([b[-1] ^ 1])))
            # Validly signed, matching body, but a known kind's schema
            # broken: an initiative without a title.
            sb = canonical({"description": "No title.",
                            "pillar": "social-ties", "status": "idea"})
            senv = envelope(c.ns, len(c.items) + 1, c.head()[1], t,
                            "initiative", "no-title", OP_PUT,
                            blake2b256(sb), len(sb))
            forged.append(("schema", c.ns, senv + sign(c.key, senv), sb))
            for _, ns, fu, fbody in forged:
                self.publish(ns, fu, fbody)
            return {"published": len(forged),
                    "what": [f[0] for f in forged]}
        if cmd == "future":
            c = self.chain(args[0], False)
            u, b, _ = c.build(t=now_ms() + HOUR_MS)
            self.publish(c.ns, u, b)
            return {"published": 1}
        if cmd == "equivocate":
            c = self.chain(args[0], False)
            seq = len(c.items) + 1
            ua, ba, ta = c.build(rid="%s-%d-a" % (c.name, seq))
            ub, bb, _ = c.build(rid="%s-%d-b" % (c.name, seq))
            c.append(ua, ba, ta)
            self.publish(c.ns, ua, ba)
            self.publish(c.ns, ub, bb)
            return {"seq": seq, "a": blake2b256(ua).hex(),
                    "b": blake2b256(ub).hex()}
        if cmd == "fork":
            c = self.chain(args[0], False)
            seq = len(c.items)
            if seq == 0:
                raise Fail("nothing to fork")
            old = c.items[-1][0]
            prev = blake2b256(c.items[-2][0]) if seq > 1 else ZERO32
            u, b, t = c.build(rid="%s-%d-fork" % (c.name, seq), seq=seq,
                              prev=prev)
            c.items[-1] = (u, b)
            c.times[-1] = t
            c.append(*c.build())
            return {"seq": seq, "held": blake2b256(old).hex(),
                    "fork": blake2b256(u).hex(), "head": len(c.items)}
        if cmd in ("copy", "replay"):
            ep, ns, name = args[0], bytes.fromhex(args[1]), args[2]
            items = api_log(self.ctx, ep, ns)
            c = Chain(name, ns, None)
            n = 0
            for it in items:
                seq, t = parse_head(it["update"])
                c.append(it["update"], it["body"], t)
                if cmd == "replay" and it["body"] is not None:
                    self.publish(ns, it["update"], it["body"])
                    n += 1
            self.chains[name] = c
            return {"published": n, "seq": len(c.items)}
        if cmd == "republish":
            c = self.chain(args[0], False)
            n = 0
            for u, b in c.items:
                if b is not None:
                    self.publish(c.ns, u, b)
                    n += 1
            return {"published": n}
        if cmd == "forge-chunk":
            c = self.chain(args[0], False)
            for _ in range(2):
                c.append(*c.build(key=self.key))
            seq, h, _ = c.head()
            return {"seq": seq, "hash": h.hex()}
        raise Fail("unknown command %s" % cmd)

    def on_ctl(self):
        msg = self.ctl.recv()
        try:
            rq = json.loads(msg)
            res = self.command(rq["cmd"], rq.get("args", []))
            res["ok"] = True
        except Exception as e:  # report it to the script, keep serving
            res = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        self.ctl.send_string(json.dumps(res))

    def run(self):
        poller = zmq.Poller()
        poller.register(self.sync, zmq.POLLIN)
        poller.register(self.pub, zmq.POLLIN)
        poller.register(self.ctl, zmq.POLLIN)
        next_hb = 0
        while True:
            t = now_ms()
            if t >= next_hb:
                self.heartbeat()
                next_hb = t + self.hb_ms
            for s, _ in poller.poll(max(1, next_hb - now_ms())):
                if s is self.sync:
                    parts = self.sync.recv_multipart()
                    out = self.on_sync(parts[-1])
                    self.sync.send_multipart(parts[:-1] + [out])
                elif s is self.pub:
                    m = self.pub.recv()
                    if m[:1] == b"\x01":
                        self.subs += 1
                else:
                    self.on_ctl()


def api_log(ctx, endpoint, ns):
    """Every item of ns's log from a node's api (section 10.6, log)."""
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.connect(endpoint)
    items, frm, rid = [], 1, 1
    try:
        while True:
            s.send(msgpack.packb([PROTOCOL_VERSION, rid, "log",
                                  {"ns": ns, "from": frm, "limit": 1000}],
                                 use_bin_type=True))
            r = msgpack.unpackb(s.recv(), raw=False)
            if r[2] != 0:
                raise Fail("log: %r" % (r[3],))
            items += r[3]["items"]
            if r[3]["next"] is None:
                return items
            frm, rid = r[3]["next"], rid + 1
    finally:
        s.close()


# ---------------------------------------------------------------------
# Subcommands.
# ---------------------------------------------------------------------

def opts(argv, names, flags=()):
    """--name value options and --flag switches into a dict."""
    out, rest, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and a[2:] in flags:
            out[a[2:]] = True
            i += 1
        elif a.startswith("--") and a[2:] in names and i + 1 < len(argv):
            out[a[2:]] = argv[i + 1]
            i += 2
        elif a.startswith("--"):
            raise SystemExit("hostile_peer: unknown option %s" % a)
        else:
            rest.append(a)
            i += 1
    return out, rest


def cmd_serve(argv):
    o, _ = opts(argv, ("seed", "ctl", "sync", "pub", "name", "heartbeat",
                       "mode", "sndhwm"))
    if "seed" not in o or "ctl" not in o:
        raise SystemExit("hostile_peer serve: --seed and --ctl are needed")
    p = Peer(bytes.fromhex(o["seed"]), o.get("name", "hostile"),
             int(o.get("heartbeat", "300")))
    p.bind(o.get("sync", "tcp://127.0.0.1:*"),
           o.get("pub", "tcp://127.0.0.1:*"), o["ctl"],
           int(o["sndhwm"]) if "sndhwm" in o else None)
    own = p.chain("self")
    for _ in range(2):
        own.append(*own.build())
    own.mode = o.get("mode", "honest")
    print("id %s\nsync %s\npub %s\nready" % (p.id.hex(), p.sync_ep,
                                             p.pub_ep), flush=True)
    p.run()


def cmd_ctl(argv):
    o, rest = opts(argv, ("get",))
    if len(rest) < 2:
        raise SystemExit("hostile_peer ctl: EP COMMAND [ARG...]")
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.connect(rest[0])
    s.send_string(json.dumps({"cmd": rest[1], "args": rest[2:]}))
    try:
        res = json.loads(s.recv())
    except zmq.Again:
        sys.stderr.write("hostile_peer ctl: no answer\n")
        return 1
    finally:
        s.close()
        ctx.term()
    if not res.get("ok"):
        sys.stderr.write("hostile_peer ctl %s: %s\n" % (rest[1],
                                                        res.get("error")))
        return 1
    if "get" in o:
        v = res
        for k in o["get"].split("."):
            v = v[k]
        print(v)
    else:
        print(json.dumps(res, sort_keys=True))
    return 0


def curve_client(sock, server_id):
    pub, sec = zmq.curve_keypair()
    sock.setsockopt(zmq.CURVE_PUBLICKEY, pub)
    sock.setsockopt(zmq.CURVE_SECRETKEY, sec)
    sock.setsockopt(zmq.CURVE_SERVERKEY, curve_public(server_id))


def cmd_watch(argv):
    o, _ = opts(argv, ("pub", "node", "topic", "until-seq", "timeout"))
    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    curve_client(s, bytes.fromhex(o["node"]))
    topic = bytes.fromhex(o["topic"])
    s.setsockopt(zmq.SUBSCRIBE, topic)
    s.setsockopt(zmq.SUBSCRIBE, HEARTBEAT_TOPIC)
    s.connect(o["pub"])
    until = int(o["until-seq"])
    deadline = time.time() + float(o.get("timeout", "30"))
    ready = False
    while time.time() < deadline:
        if not s.poll(100):
            continue
        parts = s.recv_multipart()
        if parts[0] == HEARTBEAT_TOPIC:
            if not ready:
                print("ready", flush=True)
                ready = True
            continue
        if parts[0] != topic or len(parts) != 2:
            continue
        m = msgpack.unpackb(parts[1], raw=False)
        seq, _ = parse_head(m[2])
        print("update %d %s" % (seq, blake2b256(m[2]).hex()), flush=True)
        if seq >= until:
            return 0
    print("timeout", flush=True)
    return 1


def read_key_file(path):
    # Section 9: "buurt-secret-key-v1\n" + 64 hex digits + "\n".
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != 85 or not data.startswith(b"buurt-secret-key-v1\n"):
        raise SystemExit("hostile_peer: %s is not a key file" % path)
    return bytes.fromhex(data[20:84].decode())


def cmd_probe(argv):
    o, _ = opts(argv, ("sync", "node", "key-file", "timeout"),
                ("fresh", "plain"))
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if "key-file" in o:
        pk, sk = curve_keys(read_key_file(o["key-file"]))
        s.setsockopt(zmq.CURVE_PUBLICKEY, pk)
        s.setsockopt(zmq.CURVE_SECRETKEY, sk)
        s.setsockopt(zmq.CURVE_SERVERKEY,
                     curve_public(bytes.fromhex(o["node"])))
    elif "fresh" in o:
        curve_client(s, bytes.fromhex(o["node"]))
    elif "plain" not in o:
        raise SystemExit("hostile_peer probe: --fresh, --plain or "
                         "--key-file")
    s.connect(o["sync"])
    s.send(canonical([PROTOCOL_VERSION, 7, "hello", {}]))
    answered = s.poll(int(o.get("timeout", "1500"))) != 0
    if answered:
        r = msgpack.unpackb(s.recv(), raw=False)
        answered = r[2] == 0 and r[3]["id"] == bytes.fromhex(o["node"])
    s.close()
    ctx.term()
    print("answered" if answered else "silent")
    return 0 if answered else 3


def main(argv):
    cmds = {"serve": cmd_serve, "ctl": cmd_ctl, "watch": cmd_watch,
            "probe": cmd_probe}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write("usage: hostile_peer.py serve|ctl|watch|probe "
                         "...  (see the docstring)\n")
        return 2
    return cmds[argv[1]](argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
