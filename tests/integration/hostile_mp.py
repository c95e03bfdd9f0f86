#!/usr/bin/python3
"""hostile_mp.py: the hostile msgpack set (issue 4, item 2) against a
running buurtd, with its memory measured.

Usage: hostile_mp.py NODEDIR NODEID PID [COUNT]

NODEDIR is a running buurtd's directory (its buurt.conf names the sync
endpoint; its api socket is NODEDIR/api.sock), NODEID its node id in hex,
PID its process id.  The driver plays a federation peer itself (the
Peer of hostile_peer.py: CURVE sync and pub sockets, its own namespace
of two updates), makes the node follow it, and then sends COUNT
(default 10000) hostile messages, cycling through the set below on
three channels in the proportion 4:3:3:

  api   [1, 7, "get", {"id": "a", "kind": SLOT}] and whole-message cases
        on the api socket; every reply must carry the expected error name
  sync  [1, 7, "heads", {"limit": SLOT}] and whole-message cases on the
        node's CURVE sync socket (a fresh client key every 300 requests,
        below the per-key rate limit); every reply as for api
  pub   [1, "update", SLOT, nil] and whole-message cases published on the
        followed peer's pub: no reply is due, so the node's
        rejected_format counter must grow by exactly the number sent

After a warm-up of 200 messages over all channels it reads VmRSS from
/proc/PID/status and Private_Clean + Private_Dirty from
/proc/PID/smaps_rollup, and again after the COUNT messages; the growth of
each must stay below 1 MiB.  It prints one summary line and exits 0, or
prints "FAIL: ..." and exits 1.

Only Debian packages: python3-zmq, python3-msgpack, python3-nacl.
"""

import os
import sys
import tempfile
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_peer import Peer, curve_public  # noqa: E402

# The payloads of tests/protocol/test_hostile_mp.c, and their errors.
PAYLOADS = [
    ("dd ffffffff", "ETOOBIG"),         # array32 of 2^32-1
    ("df ffffffff", "ETOOBIG"),         # map32 of 2^32-1
    ("db ffffffff", "ETOOBIG"),         # str32 of 4 GiB
    ("c6 ffffffff", "ETOOBIG"),         # bin32 of 4 GiB
    ("c1", "ERESERVED"),
    ("d4 05 00", "EEXTTYPE"),
    ("d5 05 0000", "EEXTTYPE"),
    ("d6 05 00000000", "EEXTTYPE"),
    ("d7 05 0000000000000000", "EEXTTYPE"),
    ("d8 05 00000000000000000000000000000000", "EEXTTYPE"),
    ("c7 01 05 00", "EEXTTYPE"),
    ("c8 0001 05 00", "EEXTTYPE"),
    ("c9 00000001 05 00", "EEXTTYPE"),
    ("d6 ff 00000000", "EEXTTYPE"),     # timestamp 32
    ("cc 7f", "ENONCANON"),
    ("cd 00ff", "ENONCANON"),
    ("ce 0000ffff", "ENONCANON"),
    ("cf 00000000ffffffff", "ENONCANON"),
    ("d0 ff", "ENONCANON"),
    ("d0 05", "ENONCANON"),
    ("d1 ff80", "ENONCANON"),
    ("d2 ffff8000", "ENONCANON"),
    ("d3 ffffffff80000000", "ENONCANON"),
    ("d3 7fffffffffffffff", "ENONCANON"),
    ("d9 01 61", "ENONCANON"),
    ("dc 0000", "ENONCANON"),
    ("ca 3f800000", "ENONCANON"),
    ("a1 80", "EUTF8"),
    ("a2 c080", "EUTF8"),               # overlong NUL
    ("a2 c1bf", "EUTF8"),
    ("a3 e08080", "EUTF8"),
    ("a4 f0808080", "EUTF8"),
    ("a3 eda080", "EUTF8"),             # surrogates
    ("a3 edbfbf", "EUTF8"),
    ("a4 f4908080", "EUTF8"),           # above U+10FFFF
    ("a2 e282", "EUTF8"),
    ("a1 ff", "EUTF8"),
    ("a1 00", "EUTF8"),
]

DUPMAP = "82 a1 61 00 a1 61 00"


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


class Channel:
    """A message shape with one slot, and its own whole-message cases."""

    def __init__(self, prefix, suffix, slot_depth, depth_cap, dup):
        self.prefix, self.suffix = h(prefix), h(suffix)
        self.cases = [(self.prefix + h(p) + self.suffix, e)
                      for p, e in PAYLOADS]
        nest = b"\x91" * (depth_cap + 1 - slot_depth) + b"\x00"
        self.cases.append((self.prefix + nest + self.suffix, "EDEPTH"))
        self.cases.append((self.prefix + b"\x00" + self.suffix + b"\xc0",
                           "ETRAILING"))
        self.cases.append((h(dup[0]), dup[1]))
        self.cases.append((h("dd ffffffff"), "ETOOBIG"))
        self.cases.append((h("df ffffffff"), "EFORMAT"))  # top: array

    def case(self, i):
        return self.cases[i % len(self.cases)]


API = Channel("94 01 07 a3 676574 82 a2 6964 a1 61 a4 6b696e64", "", 2, 10,
              ("94 01 07 a3 676574 83 a2 6964 a1 61 a2 6964 a1 61 "
               "a4 6b696e64 a1 6b", "EDUPKEY"))
SYNC = Channel("94 01 07 a5 6865616473 81 a5 6c696d6974", "", 2, 2,
               ("94 01 07 a5 6865616473 82 a5 6c696d6974 01 "
                "a5 6c696d6974 01", "EDUPKEY"))
# A live update holds no map: a map in it opens a depth beyond its cap.
PUB = Channel("94 01 a6 757064617465", "c0", 1, 1,
              ("94 01 a6 757064617465 " + DUPMAP + " c0", "EDEPTH"))

SYNC_PER_KEY = 300      # the node allows a burst of 400 per CURVE key


class Fail(Exception):
    pass


def memory(pid):
    """(VmRSS, Private_Clean + Private_Dirty), in KiB."""
    rss = priv = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    priv = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                priv += int(line.split()[1])
    return rss, priv


class Driver:
    def __init__(self, nodedir, node_id, pid):
        self.node_id = bytes.fromhex(node_id)
        self.pid = pid
        self.sync_ep = None
        with open(os.path.join(nodedir, "buurt.conf")) as f:
            for line in f:
                if line.startswith("sync = "):
                    self.sync_ep = line.split("=", 1)[1].strip()
        self.tmp = tempfile.mkdtemp(prefix="hostile_mp.")
        self.peer = Peer(os.urandom(32), "hostile-mp", 1000)
        self.peer.bind("tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                       "ipc://%s/ctl" % self.tmp)
        own = self.peer.chain("self")
        for _ in range(2):
            own.append(*own.build())
        self.ctx = self.peer.ctx
        self.api = self.ctx.socket(zmq.DEALER)
        self.api.setsockopt(zmq.LINGER, 0)
        self.api.connect("ipc://%s/api.sock" % os.path.abspath(nodedir))
        self.sync = None
        self.sync_used = 0
        self.next_hb = 0
        self.sent = {"api": 0, "sync": 0, "pub": 0}
        self.ok = 0
        self.rid = 100

    # --- the peer's side: answer the node, heartbeat ---

    def pump(self, ms=0):
        deadline = time.monotonic() + ms / 1000.0
        while True:
            if time.monotonic() * 1000 >= self.next_hb:
                self.peer.heartbeat()
                self.next_hb = time.monotonic() * 1000 + 1000
            left = max(0, int((deadline - time.monotonic()) * 1000))
            p = self.peer
            for s in (p.sync, p.pub):
                while s.poll(0):
                    if s is p.sync:
                        parts = s.recv_multipart()
                        s.send_multipart(parts[:-1] + [p.on_sync(parts[-1])])
                    elif s.recv()[:1] == b"\x01":
                        p.subs += 1
            if left == 0:
                return
            zmq.select([p.sync, p.pub], [], [], min(left, 50) / 1000.0)

    # --- the api ---

    def request(self, op, args):
        self.rid += 1
        self.api.send(msgpack.packb([1, self.rid, op, args]))
        while not self.api.poll(100):
            self.pump()
        r = msgpack.unpackb(self.api.recv(), raw=False)
        if r[2] != 0:
            raise Fail("%s: %r" % (op, r[3]))
        return r[3]

    def counter(self, name):
        return self.request("status", {})["counters"].get(name, 0)

    def wait(self, secs, what, cond):
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if cond():
                return
            self.pump(100)
        raise Fail("%s (not within %d s)" % (what, secs))

    def follow(self):
        self.request("follow", {"node": self.peer.id,
                                "endpoint": self.peer.sync_ep})

        def live():
            st = self.request("status", {})
            return self.peer.subs > 0 and any(
                p["id"] == self.peer.id and p["state"] == "live"
                for p in st.get("peers", []))
        self.wait(15, "the node did not follow the driver's peer", live)

    # --- the three channels ---

    def check_reply(self, raw, want, chan, msg):
        r = msgpack.unpackb(raw, raw=False)
        got = r[3].get("error") if isinstance(r[3], dict) else None
        if r[2] >= 0 or got != want:
            raise Fail("%s: %s got %r, not %s" % (chan, msg.hex(), r, want))
        self.ok += 1

    def send_api(self, first, n):
        batch = [API.case(first + k) for k in range(n)]
        for msg, _ in batch:
            self.api.send(msg)
        for msg, want in batch:
            if not self.api.poll(5000):
                raise Fail("api: no reply to %s" % msg.hex())
            self.check_reply(self.api.recv(), want, "api", msg)
        self.sent["api"] += n

    def sync_socket(self):
        if self.sync is None or self.sync_used >= SYNC_PER_KEY:
            if self.sync is not None:
                self.sync.close()
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            pub, sec = zmq.curve_keypair()
            s.setsockopt(zmq.CURVE_PUBLICKEY, pub)
            s.setsockopt(zmq.CURVE_SECRETKEY, sec)
            s.setsockopt(zmq.CURVE_SERVERKEY, curve_public(self.node_id))
            s.connect(self.sync_ep)
            self.sync, self.sync_used = s, 0
        return self.sync

    def send_sync(self, first, n):
        s = self.sync_socket()
        batch = [SYNC.case(first + k) for k in range(n)]
        for msg, _ in batch:
            s.send(msg)
        for msg, want in batch:
            deadline = time.monotonic() + 5
            while not s.poll(50):
                self.pump()
                if time.monotonic() > deadline:
                    raise Fail("sync: no reply to %s" % msg.hex())
            self.check_reply(s.recv(), want, "sync", msg)
        self.sync_used += n
        self.sent["sync"] += n

    def send_pub(self, first, n):
        for k in range(n):
            msg, _ = PUB.case(first + k)
            self.peer.pub.send_multipart([self.peer.id, msg])
        self.sent["pub"] += n

    def pub_settle(self, base):
        """Wait until the node counted every pub message sent."""
        want = base + self.sent["pub"]
        self.wait(10, "the node did not count %d hostile live updates"
                  % self.sent["pub"],
                  lambda: self.counter("rejected_format") >= want)
        got = self.counter("rejected_format")
        if got != want:
            raise Fail("rejected_format is %d, not %d" % (got, want))

    def blast(self, total, base):
        """total messages, 4:3:3, in rounds of 100 (a round per step)."""
        i = 0
        while i < total:
            n = min(100, total - i)
            a, s = n * 4 // 10, n * 3 // 10
            p = n - a - s
            self.send_api(i, a)
            self.send_sync(i, s)
            self.send_pub(i, p)
            i += n
            self.pump()
            # Below the pub socket's high-water mark of 1000.
            if (i // 100) % 5 == 0 or i >= total:
                self.pub_settle(base)


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    count = int(argv[4]) if len(argv) > 4 else 10000
    d = Driver(argv[1], argv[2], int(argv[3]))
    try:
        d.follow()
        base = d.counter("rejected_format")
        d.blast(200, base)
        rss0, priv0 = memory(d.pid)
        sent0 = dict(d.sent)
        ok0 = d.ok
        d.blast(count, base)
        rss1, priv1 = memory(d.pid)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    sent = {k: d.sent[k] - sent0[k] for k in d.sent}
    rejected = d.ok - ok0 + sent["pub"]     # pub: counted exactly
    print("hostile msgpack: %d sent (api %d, sync %d, pub %d), %d rejected "
          "with the expected error, RSS %+d KiB, private %+d KiB"
          % (sum(sent.values()), sent["api"], sent["sync"], sent["pub"],
             rejected, rss1 - rss0, priv1 - priv0))
    if rejected != count:
        print("FAIL: %d of %d rejected as expected" % (rejected, count))
        return 1
    if rss1 - rss0 >= 1024 or priv1 - priv0 >= 1024:
        print("FAIL: buurtd grew by 1 MiB or more")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
