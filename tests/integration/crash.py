#!/usr/bin/python3
"""crash.py: SIGKILL buurtd at random instants, CRASH_ROUNDS times.

Three real buurtd processes on loopback: an upstream node U that a writer
process keeps adding updates to (after a pre-load of a few thousand), a
victim Vc that takes client writes, and a victim Vi that follows U.
First Vc is killed CRASH_ROUNDS / 10 times (at least 10) during its very
first start, which creates its store, each time from nothing.  Then the
rounds alternate between the two workloads:

 (a) client writes: Vc is started and a client streams writes at it
     over the api, one at a time (mostly new records, some new versions,
     some erases); each write the node answers with success is
     acknowledged (the node replies after its commit).  Vc is SIGKILLed
     at a random instant: before it is ready, while a write is in flight
     (mostly inside a commit), or while the client idles.
 (b) ingest: Vi is started; it catches up with U in chunks, then applies
     U's live updates.  Its status is read every few milliseconds: the
     seq of U's namespace it reports is what it acknowledged.  Vi is
     SIGKILLed at a random instant: at start, during catch-up chunks,
     during live ingest, or idle between U's bursts.

After each kill the victim is started again and checked: its store opens
(buurtd answers), every acknowledged write is in its log at its seq with
the same signed update and the same body, and its chain, walked from where
the last check ended (re-reading that update), verifies: every signature,
body hash and prev link, by spec_client.py's independent code.  For Vi,
the seq of U's namespace never goes below one it reported, and its head
is the same update as U's at that seq.  Halfway, every 250 rounds and at
the end, `buurt log` re-verifies each whole chain (exit 65 on a break).
At the end Vi must catch up completely, and one walk of Vc's whole log
finds every write acknowledged in any round.

Environment: BUURT, BUURTD (binary paths), CRASH_ROUNDS (default 100).
Prints where the kills fell and one summary line; exits 1 on any lost
write, store that did not open, chain that did not verify or seq that went
backwards, or any node that died by itself or whose log shows a
sanitizer report.  The nodes run with the smallest map (1M), so that kills
also fall while it grows.

Run the long variant (1,000 rounds) with
    meson test -C build --suite slow crash-long
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import spec_client as sc  # noqa: E402
from spec_client import Fail, check  # noqa: E402

PRELOAD = 3000		# updates on U before the first round
WINDOW = 32		# puts the upstream writer keeps in flight
READY_TIMEOUT = 30.0	# seconds for a restarted buurtd to answer
WORK_WINDOW = 0.25	# seconds of workload a kill may fall into


class StoreFail(Exception):
    """A restarted buurtd did not come up: its store did not open."""


def now():
    return time.monotonic()


class Api:
    """A DEALER on a node's api with a deadline per reply, reusing the
    spec client's reply decoder (canonical check, rid, code)."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.MAXMSGSIZE, sc.MSG_MAX + 1024)
        # Reconnect fast: a node being started binds its socket within
        # milliseconds, and a request sent before that waits in the queue.
        self.sock.setsockopt(zmq.RECONNECT_IVL, 5)
        self.sock.connect(endpoint)
        self.rid = int.from_bytes(os.urandom(4), "big") << 16

    def close(self):
        self.sock.close()

    def send(self, op, args):
        self.rid += 1
        self.sock.send(sc.msgpack.packb([sc.PROTOCOL_VERSION, self.rid, op,
                                         args], use_bin_type=True))
        return self.rid

    def recv(self, rid, timeout_ms):
        """(code, result) of the reply to rid, or None at the deadline."""
        if not self.sock.poll(max(0, int(timeout_ms))):
            return None
        parts = self.sock.recv_multipart()
        check(len(parts) == 1, "reply of %d frames" % len(parts))
        return sc.Client.decode_reply(self, parts[0], rid)

    def call(self, op, args, timeout_ms=15000):
        rep = self.recv(self.send(op, args), timeout_ms)
        check(rep is not None, "%s: no reply within %d ms" % (op, timeout_ms))
        code, res = rep
        check(code == 0, "%s: code %d (%s: %s)" % (op, code, res.get("error"),
                                                  res.get("message")))
        return res


class Node:
    def __init__(self, top, name):
        self.name = name
        self.dir = os.path.join(top, name)
        self.log = self.dir + ".log"
        self.endpoint = "ipc://%s/api.sock" % self.dir
        self.proc = None
        self.ready_s = 0.05	# time from spawn to a status reply, learnt
        self.busy_s = 0.05	# ... to the end of a catch-up, learnt

    def init(self, taken):
        """buurt init; again if its ports clash with another node's."""
        for _ in range(5):
            shutil.rmtree(self.dir, ignore_errors=True)
            out = subprocess.run([BUURT, "init", self.dir, "--name",
                                  self.name], check=True, text=True,
                                 stdout=subprocess.PIPE).stdout
            self.id = bytes.fromhex(out.strip())
            # Not a line per put in the logs: notices and worse.  The
            # smallest map, so that kills also fall while it grows.
            conf_path = os.path.join(self.dir, "buurt.conf")
            with open(conf_path) as f:
                text = f.read()
            for a, b in (("\nlevel = info\n", "\nlevel = notice\n"),
                         ("\nmap_size = 16M\n", "\nmap_size = 1M\n")):
                check(a in text, "buurt.conf without %r" % a.strip())
                text = text.replace(a, b)
            with open(conf_path, "w") as f:
                f.write(text)
            conf = {}
            with open(conf_path) as f:
                for line in f:
                    k, _, v = line.partition(" = ")
                    conf[k.strip()] = v.strip()
            self.sync = conf["sync"]
            ports = {conf["sync"].rsplit(":", 1)[1],
                     conf["pub"].rsplit(":", 1)[1]}
            if not ports & taken:
                taken |= ports
                return
        raise Fail("%s: no distinct ports" % self.name)

    def spawn(self):
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen([BUURTD, self.dir],
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL,
                                         stderr=err)
        self.spawned = now()

    def kill(self):
        # A node that died by itself before the kill crashed.
        rc = self.proc.poll()
        if rc is not None:
            raise Fail("%s exited %d by itself; log:\n%s" % (
                self.name, rc, self.tail()))
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.proc = None
        check(rc == 0, "%s exited %d on SIGTERM" % (self.name, rc))

    def start(self, ctx):
        """Spawn and wait until the api answers status: the store opened.
        Returns (Api, status)."""
        self.spawn()
        api = Api(ctx, self.endpoint)
        rid = api.send("status", {})
        while True:
            rep = api.recv(rid, 10)
            if rep is not None:
                code, st = rep
                check(code == 0, "status: code %d" % code)
                self.last_ready = now() - self.spawned
                self.ready_s = 0.8 * self.ready_s + 0.2 * self.last_ready
                return api, st
            rc = self.proc.poll()
            if rc is not None or now() - self.spawned > READY_TIMEOUT:
                api.close()
                if rc is None:
                    self.kill()
                raise StoreFail("%s %s at start; log:\n%s" % (
                    self.name, "did not answer within %d s" % READY_TIMEOUT
                    if rc is None else "exited %d" % rc, self.tail()))

    def tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-15:])
        except OSError:
            return ""

    def kill_delay(self, early):
        """A random instant after spawn: at start (a quarter of the
        kills), with the share early in the first part of the workload
        (the follower's connect and catch-up), else anywhere in it."""
        x = random.random()
        if x < 0.25:
            return random.uniform(0, 1.2 * self.ready_s)
        if x < 0.25 + early:
            return random.uniform(self.ready_s, max(self.ready_s + 0.01,
                                                    1.2 * self.busy_s))
        return self.ready_s + random.uniform(0, WORK_WINDOW)


def ns_head(st, ns):
    for n in st["namespaces"]:
        if n["ns"] == ns:
            return n["seq"], n["hash"]
    return 0, sc.ZERO32


class Chain:
    """One namespace's chain on one node, verified up to seq (hash)."""

    def __init__(self, ns):
        self.ns = ns
        self.seq = 0
        self.hash = sc.ZERO32
        self.time = 0

    def walk(self, api, visit=None):
        """Verify from the last verified update on; that update must be
        unchanged.  visit(seq, item) sees each update newly verified."""
        frm = max(1, self.seq)
        while True:
            page = api.call("log", {"ns": self.ns, "from": frm,
                                    "limit": 256})
            for item in page["items"]:
                e, h = sc.check_item(item, self.ns)
                if e["seq"] == self.seq:
                    check(h == self.hash, "seq %d: not the update verified "
                          "before" % e["seq"])
                    continue
                check(e["seq"] == self.seq + 1, "seq %d after %d"
                      % (e["seq"], self.seq))
                check(e["prev"] == self.hash, "seq %d: prev is not the hash "
                      "of seq %d" % (e["seq"], self.seq))
                check(e["time"] >= self.time, "seq %d: time runs backwards"
                      % e["seq"])
                self.seq, self.hash, self.time = e["seq"], h, e["time"]
                if visit is not None:
                    visit(e["seq"], item)
            if page["next"] is None:
                break
            frm = page["next"]
        check(self.seq > 0 or frm == 1, "log is empty")


class Crash:
    def __init__(self, top, rounds):
        self.top = top
        self.rounds = rounds
        self.ctx = zmq.Context()
        self.kills = {"client": 0, "ingest": 0}
        self.phases = {}	# where kills fell: "client start" etc.
        self.acked = 0		# acknowledged writes on Vc
        self.erases = 0		# ... of which erases
        self.expect = {}	# see "client writes" below
        self.versions = {}
        self.last = {}
        self.live = []
        self.live_at = {}
        self.lost = 0
        self.refused = 0	# puts answered with an error (not acked)
        self.store_failed = 0
        self.chain_failed = 0
        self.regressions = 0
        self.reported = 0	# highest seq of U's ns Vi reported
        self.status_reads = 0
        self.writer = None
        self.t0 = now()

    def summary(self):
        return ("crash: %d kills (%d client, %d ingest), %d acknowledged "
                "writes (%d erases; %d refused), %d lost, %d stores failed to open, %d "
                "chains failed to verify, ingest %d regressions (%d status "
                "reads, up to seq %d of upstream); %.1f s" % (
                    self.kills["client"] + self.kills["ingest"],
                    self.kills["client"], self.kills["ingest"], self.acked,
                    self.erases, self.refused, self.lost, self.store_failed,
                    self.chain_failed, self.regressions, self.status_reads,
                    self.reported, now() - self.t0))

    def where(self):
        return "kills fell at: " + ", ".join(
            "%s %d" % kv for kv in sorted(self.phases.items()))

    # -- setup ----------------------------------------------------------

    def setup(self):
        taken = set()
        self.u = Node(self.top, "upstream")
        self.vc = Node(self.top, "client-victim")
        self.vi = Node(self.top, "ingest-victim")
        for n in (self.u, self.vc, self.vi):
            n.init(taken)
        self.chain_c = Chain(self.vc.id)
        self.chain_i = Chain(self.u.id)

        api, _ = self.u.start(self.ctx)
        self.u_first_ready = self.u.last_ready
        t = now()
        put_many(api, "pre", 1, PRELOAD)
        self.u_api = api
        print("setup: %d updates on upstream in %.1f s" % (PRELOAD,
                                                         now() - t))
        # The writer that keeps U growing, in bursts, for the whole test.
        self.writer = subprocess.Popen([sys.executable, __file__,
                                        "--upstream-writer",
                                        self.u.endpoint],
                                       stdin=subprocess.DEVNULL)

        api, _ = self.vi.start(self.ctx)
        api.close()
        subprocess.run([BUURT, "-C", self.vi.dir, "--timeout", "5000",
                        "follow", self.u.id.hex(), self.u.sync], check=True,
                       stdout=subprocess.DEVNULL)
        self.vi.kill()
        self.fresh_kills(max(10, self.rounds // 10))

    def fresh_kills(self, n):
        """Kill Vc n times during its very first start, which creates its
        store (buurtd does, not buurt init): each time from nothing, at a
        random instant up to a bound that starts at about as long as U's
        first start took and follows the few milliseconds in which the
        store is made.  The store must open after each; the last one
        stays Vc's store."""
        store = os.path.join(self.vc.dir, "store")
        hi = 1.5 * self.u_first_ready
        for k in range(n):
            shutil.rmtree(store, ignore_errors=True)
            self.vc.spawn()
            time.sleep(random.uniform(0, hi))
            self.vc.kill()
            where = "made" if os.path.exists(os.path.join(
                store, "data.mdb")) else "half-made" if os.path.exists(
                store) else "not begun"
            hi *= {"made": 0.7, "half-made": 1, "not begun": 1.3}[where]
            self.phase("fresh store", where)
            api, _ = self.restart(self.vc)
            api.close()
            self.vc.kill()

    # -- (a) client writes ------------------------------------------------

    # What the client knows of Vc's namespace, from acknowledged writes:
    #   expect    seq -> [id, hash of update, hash of body or None,
    #                     whether that body is certain]
    #   versions  id -> seqs of its acknowledged puts
    #   last      id -> seq of its last acknowledged write, for ids whose
    #             state is certain (what get must return)
    #   live      ids whose last write is an acknowledged put, to write a
    #             new version of or erase (a list, and id -> index)
    # A write in flight at a kill may or may not have been committed: its
    # id is not written again, and when it was an erase the bodies of its
    # record's puts are no longer certain (their updates still are).

    def next_write(self, r, i):
        """Mostly a new record; a tenth a new version of one written
        before, a tenth its erase."""
        x = random.random()
        if self.live and x < 0.2:
            rec = self.live[random.randrange(len(self.live))]
            if x < 0.1:
                return "put", rec, body("c%d" % r, i)
            return "erase", rec, None
        return "put", "c%d-%d" % (r, i), body("c%d" % r, i)

    def set_live(self, rec, live):
        if live and rec not in self.live_at:
            self.live_at[rec] = len(self.live)
            self.live.append(rec)
        elif not live and rec in self.live_at:
            i = self.live_at.pop(rec)
            moved = self.live.pop()
            if moved != rec:
                self.live[i] = moved
                self.live_at[moved] = i

    def acked_write(self, rep, op, rec, b, round_acked):
        code, res = rep
        if code != 0:
            # Not acknowledged, so not checked; counted and shown.
            self.refused += 1
            return
        e, _ = sc.check_item(res, self.vc.id, "initiative", rec)
        seq, h = e["seq"], sc.blake2b256(res["update"])
        if op == "put":
            check(e["op"] == sc.OP_PUT and res["body"] == sc.canonical(b),
                  "put %s: not the canonical body" % rec)
            self.expect[seq] = [rec, h, sc.blake2b256(res["body"]), True]
            self.versions.setdefault(rec, []).append(seq)
            self.set_live(rec, True)
        else:
            check(e["op"] == sc.OP_ERASE and res["body"] is None,
                  "erase %s: not an erase" % rec)
            self.expect[seq] = [rec, h, None, True]
            for v in self.versions.get(rec, []):
                self.expect[v][2] = None
            self.set_live(rec, False)
            self.erases += 1
        self.last[rec] = seq
        round_acked.append(seq)

    def unacked_write(self, op, rec):
        self.set_live(rec, False)
        self.last.pop(rec, None)
        if op == "erase":
            for v in self.versions.get(rec, []):
                self.expect[v][3] = False

    def check_expected(self, seq, got):
        """got: (hash of update, hash of body or None) at seq, or None."""
        rec, h, hb, certain = self.expect[seq]
        if got is None or got[0] != h or (certain and got[1] != hb):
            self.lost += 1
            print("LOST: acknowledged write %s at seq %d: %s" % (
                rec, seq, "missing" if got is None else
                "another update" if got[0] != h else "body differs"))

    def client_round(self, r):
        vc = self.vc
        delay = vc.kill_delay(0)
        vc.spawn()
        deadline = vc.spawned + delay
        api = Api(self.ctx, vc.endpoint)
        acked = []
        inflight = None
        i = 0
        while True:
            left = deadline - now()
            if left <= 0:
                break
            if inflight is None:
                if random.random() < 0.03:
                    # An idle moment: no request in flight.
                    time.sleep(min(left, random.uniform(0.002, 0.02)))
                    continue
                i += 1
                op, rec, b = self.next_write(r, i)
                args = {"kind": "initiative", "id": rec}
                if b is not None:
                    args["body"] = b
                inflight = (api.send(op, args), op, rec, b)
                continue
            rep = api.recv(inflight[0], left * 1000)
            if rep is not None:
                self.acked_write(rep, *inflight[1:], acked)
                inflight = None
        vc.kill()
        self.kills["client"] += 1
        self.phase("client", "start" if not acked else
                   "idle" if inflight is None else "in-flight")
        if inflight is not None:
            # A reply the node sent before it died was an acknowledgement.
            rep = api.recv(inflight[0], 0)
            if rep is not None:
                self.acked_write(rep, *inflight[1:], acked)
            else:
                self.unacked_write(*inflight[1:3])
        api.close()
        self.acked += len(acked)

        # What was acknowledged is held in memory, not in a file: the
        # writer is this process, which the kill does not touch.
        api, _ = self.restart(vc)
        walked = {}
        try:
            self.chain_c.walk(api, lambda seq, it: walked.__setitem__(
                seq, hashes(it)))
        except Fail as e:
            self.chain_failed += 1
            raise Fail("client victim's chain after round %d: %s" % (r, e))
        for seq in acked:
            self.check_expected(seq, walked.get(seq))
        # A few records by id too, through the records index: the last
        # acknowledged version (or erase).
        recs = {self.expect[seq][0] for seq in acked}
        for rec in random.sample(sorted(recs & set(self.last)),
                                 min(5, len(recs & set(self.last)))):
            rep = api.recv(api.send("get", {"kind": "initiative", "id": rec}),
                           15000)
            check(rep is not None, "get: no reply within 15 s")
            code, it = rep
            self.check_expected(self.last[rec],
                                hashes(it) if code == 0 else None)
        api.close()
        vc.kill()
        if self.lost:
            raise Fail("acknowledged writes lost in round %d" % r)

    # -- (b) ingest -------------------------------------------------------

    def seen(self, st):
        """A status read of Vi: U's seq there must never go backwards."""
        self.status_reads += 1
        seq, _ = ns_head(st, self.u.id)
        if seq < self.reported:
            self.regressions += 1
            raise Fail("ingest victim reports seq %d of upstream after "
                       "having reported %d" % (seq, self.reported))
        self.reported = seq

    def ingest_round(self, r):
        vi = self.vi
        delay = vi.kill_delay(0.4)
        target, _ = ns_head(self.u_api.call("status", {}), self.u.id)
        vi.spawn()
        deadline = vi.spawned + delay
        api = Api(self.ctx, vi.endpoint)
        rid = None
        answered = caught = False
        behind = self.reported
        while True:
            left = deadline - now()
            if left <= 0:
                break
            # Status back to back: a client reading while the node
            # ingests, and a fine record of what it has applied.
            if rid is None:
                rid = api.send("status", {})
            rep = api.recv(rid, left * 1000)
            if rep is not None:
                code, st = rep
                check(code == 0, "status: code %d" % code)
                self.seen(st)
                answered = True
                if not caught and self.reported >= target:
                    caught = True
                    if target > behind:
                        vi.busy_s = (0.8 * vi.busy_s +
                                     0.2 * (now() - vi.spawned))
                rid = None
        before = self.reported
        vi.kill()
        self.kills["ingest"] += 1
        self.phase("ingest", "start" if not answered else
                   "live" if caught else "catch-up")
        if os.environ.get("CRASH_DEBUG"):
            print("ingest %d: delay %.3f ready %.3f busy %.3f behind %d "
                  "target %d reported %d" % (r, delay, vi.ready_s, vi.busy_s,
                                             behind, target, self.reported))
        api.close()

        api, st = self.restart(vi)
        self.seen(st)
        try:
            self.chain_i.walk(api)
            if self.chain_i.seq > 0:
                it = self.u_api.call("log", {"ns": self.u.id,
                                             "from": self.chain_i.seq,
                                             "limit": 1})["items"][0]
                check(sc.blake2b256(it["update"]) == self.chain_i.hash,
                      "seq %d is not upstream's update"
                      % self.chain_i.seq)
        except Fail as e:
            self.chain_failed += 1
            raise Fail("ingest victim's copy of upstream after round %d: %s"
                       % (r, e))
        api.close()
        vi.kill()
        return before

    def phase(self, workload, where):
        k = "%s %s" % (workload, where)
        self.phases[k] = self.phases.get(k, 0) + 1

    # -- both -------------------------------------------------------------

    def restart(self, node):
        """Start a victim after a kill; count it if its store fails to
        open.  The caller checks it, then kills it (idle, or ingesting):
        the next start checks that kill too."""
        try:
            return node.start(self.ctx)
        except StoreFail:
            self.store_failed += 1
            raise

    def full_check(self, when):
        """`buurt log` re-verifies each whole chain (exit 65 on a break)."""
        for node, ns in ((self.vc, self.vc.id), (self.vi, self.u.id)):
            api, st = self.restart(node)
            api.close()
            if node is self.vi:
                self.seen(st)
            print("%s: %s %s" % (when, node.name, self.buurt_log(node, ns)))
            node.kill()

    def buurt_log(self, node, ns):
        p = subprocess.run([BUURT, "-C", node.dir, "--timeout", "30000",
                            "log", "--ns", ns.hex()], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        last = (p.stdout.strip().splitlines() or [""])[-1]
        if p.returncode != 0 or not last.startswith("chain verified"):
            self.chain_failed += 1
            raise Fail("buurt log on %s exited %d: %s %s" % (
                node.name, p.returncode, last, p.stderr.strip()))
        return last

    def finish(self):
        self.writer.send_signal(signal.SIGTERM)
        check(self.writer.wait(timeout=30) == 0, "upstream writer failed")
        self.writer = None
        u_seq, u_hash = ns_head(self.u_api.call("status", {}), self.u.id)

        # Vi catches up completely.
        api, st = self.vi.start(self.ctx)
        self.seen(st)
        t = now()
        while ns_head(st, self.u.id) != (u_seq, u_hash):
            check(now() - t < 120, "ingest victim stuck at seq %d of %d"
                  % (ns_head(st, self.u.id)[0], u_seq))
            time.sleep(0.05)
            st = api.call("status", {})
            self.seen(st)
        print("end: ingest victim caught up to seq %d in %.1f s" % (
            u_seq, now() - t))
        try:
            self.chain_i.walk(api)
        except Fail as e:
            self.chain_failed += 1
            raise Fail("ingest victim's copy of upstream at the end: %s" % e)
        check(self.chain_i.hash == u_hash, "ingest victim's head differs")
        api.close()

        # Every write acknowledged in every round, in one walk from seq 1.
        api, _ = self.vc.start(self.ctx)
        walked = {}

        def visit(seq, it):
            if seq in self.expect:
                walked[seq] = hashes(it)
        try:
            Chain(self.vc.id).walk(api, visit)
        except Fail as e:
            self.chain_failed += 1
            raise Fail("client victim's chain at the end: %s" % e)
        for seq in sorted(self.expect):
            self.check_expected(seq, walked.get(seq))
        check(self.lost == 0, "acknowledged writes lost")
        print("end: all %d acknowledged writes found, %d bodies erased" % (
            len(self.expect), sum(1 for x in self.expect.values()
                                  if x[2] is None)))
        api.close()

        for node, ns in ((self.vc, self.vc.id), (self.vi, self.u.id),
                         (self.u, self.u.id)):
            print("end: %s %s" % (node.name, self.buurt_log(node, ns)))
        for node in (self.u, self.vc, self.vi):
            node.stop()
            # Sanitizer builds report to stderr without always exiting.
            with open(node.log, errors="replace") as f:
                bad = [line for line in f if "runtime error:" in line or
                       "Sanitizer" in line]
            check(not bad, "%s's log: %s" % (node.name, bad[:3]))

    def run(self):
        self.setup()
        # Whole chains by `buurt log`: halfway, every 250 rounds, the end.
        checks = {self.rounds // 2} | set(range(250, self.rounds, 250))
        spent = {}
        for r in range(1, self.rounds + 1):
            t = now()
            if r % 2:
                self.client_round(r)
            else:
                self.ingest_round(r)
            spent[r % 2] = spent.get(r % 2, 0) + now() - t
            if r in checks:
                t = now()
                self.full_check("round %d" % r)
                spent[2] = spent.get(2, 0) + now() - t
        if os.environ.get("CRASH_DEBUG"):
            print("time: client rounds %.1f s, ingest %.1f s, full checks "
                  "%.1f s; ready %.3f s" % (spent.get(1, 0), spent.get(0, 0),
                                           spent.get(2, 0), self.vc.ready_s))
        print(self.where())
        self.finish()

    def cleanup(self):
        if self.writer is not None:
            self.writer.kill()
            self.writer.wait()
        for n in ("u", "vc", "vi"):
            node = getattr(self, n, None)
            if node is not None and node.proc is not None:
                node.proc.kill()
                node.proc.wait()
        self.ctx.destroy(linger=0)


def hashes(item):
    """An item's update and body as compared with what was acknowledged."""
    b = item["body"]
    return sc.blake2b256(item["update"]), None if b is None else \
        sc.blake2b256(b)


def body(tag, i):
    # Sizes vary from one page to several, so commits vary too.
    return {"title": "Write %s-%d" % (tag, i),
            "description": ("Written during crash round %s. " % tag) *
            random.randint(1, 60),
            "pillar": "social-ties", "status": "idea"}


def upstream_writer(endpoint):
    """Keep adding updates to U until SIGTERM: bursts as fast as the node
    commits them (WINDOW puts in flight, which it commits in groups), with
    pauses, so that a follower that was down meets a backlog to catch up
    in chunks, and one that is up sees live updates and idle moments.
    A few hundred updates a second on average."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    ctx = zmq.Context()
    api = Api(ctx, endpoint)
    first = 1
    while not stop:
        n = random.randint(50, 500)
        put_many(api, "u", first, n)
        first += n
        time.sleep(random.uniform(0.05, 0.5))
    api.close()
    ctx.destroy(linger=0)
    return 0


def put_many(api, prefix, first, n):
    """n puts on U with WINDOW in flight: the node commits them in groups.
    Only the reply codes are checked: U is not under test."""
    inflight = []
    i = first
    while i < first + n or inflight:
        while i < first + n and len(inflight) < WINDOW:
            b = {"title": "Upstream %d" % i, "description": "Written "
                 "upstream. " * random.randint(1, 20),
                 "pillar": "social-ties", "status": "running"}
            inflight.append(api.send("put", {"kind": "initiative",
                                             "id": "%s-%d" % (prefix, i),
                                             "body": b}))
            i += 1
        check(api.sock.poll(15000), "upstream: no reply within 15 s")
        r = sc.msgpack.unpackb(api.sock.recv())
        check(r[1] == inflight.pop(0) and r[2] == 0, "upstream put failed: "
              "%r" % (r,))


def main():
    if sys.argv[1:2] == ["--upstream-writer"]:
        return upstream_writer(sys.argv[2])
    rounds = int(os.environ.get("CRASH_ROUNDS", "100"))
    # On a timeout meson sends SIGTERM: kill the nodes on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    top = tempfile.mkdtemp(prefix="buurt-crash.")
    c = Crash(top, rounds)
    rc = 1
    try:
        c.run()
        rc = 0
    except (Fail, StoreFail, sc.NonCanonical) as e:
        print("FAIL: %s" % e, file=sys.stderr)
    finally:
        c.cleanup()
        print(c.summary())
        if rc == 0 and not os.environ.get("CRASH_DEBUG"):
            shutil.rmtree(top)
        else:
            print("kept %s for inspection" % top, file=sys.stderr)
    return rc


BUURT = os.environ.get("BUURT")
BUURTD = os.environ.get("BUURTD")

if __name__ == "__main__":
    sys.exit(main())
