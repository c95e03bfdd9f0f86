#!/usr/bin/python3
"""iofault.py TMPDIR: I/O faults, power cuts and a full disk under a real
buurtd, through the LD_PRELOAD shim tests/fault/iofault.c.

Environment: BUURT, BUURTD, IOFAULT_SHIM (paths).  Run by iofault.sh.

Sweep: a fixed workload of W puts, acknowledgements recorded, for every N
from 1 to the number of matching calls the workload makes (counted by the
shim in a clean run): the Nth write failing with EIO and with ENOSPC, the
Nth sync failing with EIO and with ENOSPC (once each), and a power cut at
the Nth write or sync (unsynced writes undone, the process gone), plus the
cut again with a seeded random subset of the unsynced writes undone.
After each run: buurtd died by no signal (a cut's exit 137 aside); it
still answered after a once-fault and took writes again; every failed put
got an EIO reply that says which (disk full or I/O error); restarted
without the shim, the store opens, every acknowledged put is there with
its body, no put refused with an error is there, and `buurt log`
verifies the chain.

Full disk: sticky ENOSPC from the first write of the 6th put on (and again
from its last, the meta page, after which LMDB needs the store reopened):
puts are refused with a clear error (the CLI's message and exit status
too), gets and lists still work, then space returns (the shim's clear
file) and the next put succeeds; restarted without the shim, nothing
acknowledged is lost and the chain verifies.

Exit 0 when all holds, 1 with a message otherwise.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import msgpack
import zmq

BUURT = os.environ["BUURT"]
BUURTD = os.environ["BUURTD"]
SHIM = os.environ["IOFAULT_SHIM"]
W = int(os.environ.get("IOFAULT_PUTS", "20"))      # puts per workload
SEEDS = int(os.environ.get("IOFAULT_SEEDS", "1"))  # random cuts per N
CUT_EXIT = 137          # the shim's simulated power cut
EX_IOERR = 74           # buurtd: I/O error (sysexits)
EX_UNAVAILABLE = 69     # buurt: the node could not do it
EIO, ENOTFOUND = -27, -21


class Fail(Exception):
    """A check failed: the message says which."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def body(i):
    return {"title": "Write %d" % i, "description": "iofault workload",
            "pillar": "social-ties", "status": "idea"}


class Node:
    """A buurtd process on DIR, maybe with the shim, and a DEALER to it."""

    live = set()        # processes not yet waited for, killed at exit

    def __init__(self, ctx, d, fault=None):
        self.d = d
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if fault is not None:
            env["LD_PRELOAD"] = SHIM
            # The store's files, and store/new while it is created.
            env["IOFAULT_PATH"] = os.path.join(d, "store")
            env.update(fault)
        with open(d + ".log", "ab") as log:
            self.p = subprocess.Popen([BUURTD, d], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=log,
                                      env=env)
        Node.live.add(self.p)
        self.s = ctx.socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.setsockopt(zmq.RECONNECT_IVL, 10)
        self.s.connect("ipc://%s/api.sock" % d)
        self.rid = 0

    def call(self, op, args, timeout=10.0):
        """(code, result), or None if buurtd is gone or did not answer."""
        self.rid += 1
        self.s.send(msgpack.packb([1, self.rid, op, args], use_bin_type=True))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.s.poll(20):
                r = msgpack.unpackb(self.s.recv(), raw=False)
                if r[1] == self.rid:
                    return r[2], r[3]
                continue
            if self.p.poll() is not None:
                return None
        return None

    def ready(self):
        return self.call("status", {}) is not None

    def stop(self):
        """SIGTERM (if still running); the exit status (-SIG if killed)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        Node.live.discard(self.p)
        self.s.close()
        return rc


class Tally:
    def __init__(self):
        self.runs = self.cuts = self.crashes = self.bad_acks = 0
        self.open_fail = self.broken = self.checked = self.refused = 0
        self.start_refused = 0


def fresh(tmp, tmpl, name):
    d = os.path.join(tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    if os.path.exists(d + ".log"):
        os.unlink(d + ".log")
    shutil.copytree(tmpl, d)
    return d


def workload(node, n):
    """Put w1..wn; ({id: body bytes} acked, {id: (name, msg)} refused)."""
    acked, refused = {}, {}
    for i in range(1, n + 1):
        rid = "w%d" % i
        r = node.call("put", {"kind": "initiative", "id": rid,
                              "body": body(i)})
        if r is None:
            break
        code, res = r
        if code == 0:
            acked[rid] = res["body"]
        else:
            refused[rid] = (res.get("error"), res.get("message", ""))
    return acked, refused


def verify(ctx, d, acked, refused, t, what):
    """Restart without the shim; check acked, refused and the chain."""
    node = Node(ctx, d)
    try:
        if not node.ready():
            t.open_fail += 1
            raise Fail("%s: the store did not open afterwards" % what)
        for rid, b in acked.items():
            r = node.call("get", {"kind": "initiative", "id": rid})
            if r is None or r[0] != 0 or r[1]["body"] != b:
                t.bad_acks += 1
                raise Fail("%s: acknowledged put %s lost: %r" % (
                    what, rid, r))
            t.checked += 1
        for rid in refused:
            r = node.call("get", {"kind": "initiative", "id": rid})
            check(r is not None and r[0] == ENOTFOUND,
                  "%s: put %s was refused but is stored" % (what, rid))
        out = subprocess.run([BUURT, "-C", d, "log"], capture_output=True,
                             text=True)
        if out.returncode != 0 or "chain verified" not in out.stdout:
            t.broken += 1
            raise Fail("%s: the chain does not verify (exit %d): %s" % (
                what, out.returncode, out.stderr.strip()))
    finally:
        rc = node.stop()
    check(rc == 0, "%s: buurtd exited %d on SIGTERM after restart" % (
        what, rc))


def count_calls(ctx, tmp, tmpl, op, n_puts):
    """Matching calls of op that starting buurtd and n_puts puts make."""
    d = fresh(tmp, tmpl, "count")
    cf = d + ".count"
    node = Node(ctx, d, {"IOFAULT_OP": op, "IOFAULT_N": "0",
                         "IOFAULT_COUNT_FILE": cf})
    check(node.ready(), "count run: buurtd did not start")
    acked, _ = workload(node, n_puts)
    check(len(acked) == n_puts, "count run: a put failed without a fault")
    check(node.stop() == 0, "count run: buurtd did not exit 0")
    with open(cf) as f:
        return int(f.read())


def fault_run(ctx, tmp, tmpl, t, op, mode, n, err="EIO", seed=None):
    what = "%s %s %s N=%d%s" % (mode, op, err, n,
                                "" if seed is None else " seed %d" % seed)
    d = fresh(tmp, tmpl, "run")
    fault = {"IOFAULT_OP": op, "IOFAULT_N": str(n), "IOFAULT_MODE": mode,
             "IOFAULT_ERRNO": err}
    if seed is not None:
        fault["IOFAULT_SEED"] = str(seed)
    node = Node(ctx, d, fault)
    t.runs += 1
    acked, refused = {}, {}
    try:
        if node.ready():
            acked, refused = workload(node, W)
            alive = node.p.poll() is None
            if mode == "once":
                check(alive and node.ready(),
                      "%s: buurtd stopped answering after the fault" % what)
                check(len(refused) <= 1, "%s: %d puts refused after one"
                      " fault" % (what, len(refused)))
                if refused:
                    last = max(int(k[1:]) for k in refused)
                    check(last == W or "w%d" % (last + 1) in acked,
                          "%s: no put succeeded after the fault" % what)
            for rid, (name, msg) in refused.items():
                check(name == "EIO", "%s: put %s refused with %s, not EIO"
                      % (what, rid, name))
                full = "disk is full" in msg
                check(full == (err == "ENOSPC"),
                      "%s: put %s refused with the wrong reason: %s"
                      % (what, rid, msg))
            t.refused += len(refused)
    finally:
        rc = node.stop()
    if rc < 0:
        t.crashes += 1
        raise Fail("%s: buurtd died by signal %d" % (what, -rc))
    if mode == "cut":
        check(rc == CUT_EXIT, "%s: no cut (exit %d)" % (what, rc))
        t.cuts += 1
    elif not acked and not refused:
        # The fault came while the store was being created: buurtd
        # must refuse to start with EX_IOERR, not die.
        check(rc == EX_IOERR, "%s: buurtd exited %d at start" % (what, rc))
        t.start_refused += 1
    else:
        check(rc == 0, "%s: buurtd exited %d on SIGTERM" % (what, rc))
    verify(ctx, d, acked, refused, t, what)


def sweep(ctx, tmp, tmpl):
    t = Tally()
    t0 = time.monotonic()
    nw = count_calls(ctx, tmp, tmpl, "write", W)
    ns = count_calls(ctx, tmp, tmpl, "sync", W)
    na = count_calls(ctx, tmp, tmpl, "any", W)
    check(nw > W and ns >= W and na == nw + ns,
          "the shim counted %d writes, %d syncs, %d calls" % (nw, ns, na))
    for op, nmax in (("write", nw), ("sync", ns)):
        for err in ("EIO", "ENOSPC"):
            for n in range(1, nmax + 1):
                fault_run(ctx, tmp, tmpl, t, op, "once", n, err)
    for n in range(1, na + 1):
        fault_run(ctx, tmp, tmpl, t, "any", "cut", n)
        for k in range(SEEDS):
            fault_run(ctx, tmp, tmpl, t, "any", "cut", n, seed=n + k * na)
    print("iofault: %d puts; 4 fault kinds x N=1..%d writes / 1..%d syncs"
          " = %d runs + %d x %d cuts: %d crashes, %d acknowledged-but-failed,"
          " %d stores failed to open, %d chains broken; %d acknowledged"
          " writes checked, %d refused with EIO, %d starts refused"
          " (%.1f s)" % (
              W, nw, ns, 2 * (nw + ns), 1 + SEEDS, na, t.crashes,
              t.bad_acks, t.open_fail, t.broken, t.checked, t.refused,
              t.start_refused, time.monotonic() - t0))
    check(t.cuts == (1 + SEEDS) * na, "only %d of %d cuts happened" % (
        t.cuts, (1 + SEEDS) * na))
    # Each once-fault reached the client (one put refused) or stopped the
    # start: none was swallowed.
    check(t.refused + t.start_refused == 2 * (nw + ns),
          "%d refused puts and %d refused starts for %d faults" % (
              t.refused, t.start_refused, 2 * (nw + ns)))
    check(t.refused > 0 and t.checked > 0, "no fault was ever seen")


def cli(d, *args):
    return subprocess.run([BUURT, "-C", d, "--timeout", "5000"] + list(args),
                          capture_output=True, text=True)


def full_disk(ctx, tmp, tmpl, meta):
    """The disk fills at the 6th put's first write (its data pages) or,
    with meta, at its last (the meta page: LMDB is then unusable until
    the store is reopened)."""
    t = Tally()
    if meta:
        n = count_calls(ctx, tmp, tmpl, "write", 6)
    else:
        n = count_calls(ctx, tmp, tmpl, "write", 5) + 1
    d = fresh(tmp, tmpl, "full")
    clear = d + ".space"
    if os.path.exists(clear):
        os.unlink(clear)
    node = Node(ctx, d, {"IOFAULT_OP": "write", "IOFAULT_N": str(n),
                         "IOFAULT_MODE": "sticky", "IOFAULT_ERRNO": "ENOSPC",
                         "IOFAULT_CLEAR_FILE": clear})
    check(node.ready(), "full disk: buurtd did not start")
    acked, refused = workload(node, W)
    check(sorted(acked) == ["w%d" % i for i in range(1, 6)] and
          len(refused) == W - 5,
          "full disk: %d acked, %d refused" % (len(acked), len(refused)))
    for rid, (name, msg) in refused.items():
        check(name == "EIO" and "disk is full" in msg,
              "full disk: put %s refused with %s: %s" % (rid, name, msg))
    # The command line says so too, and exits EX_UNAVAILABLE.
    out = cli(d, "put", "initiative", "--id", "cli", "title=T",
              "description=D", "pillar=social-ties", "status=idea")
    check(out.returncode == EX_UNAVAILABLE and
          "disk is full" in out.stderr,
          "full disk: buurt put exited %d: %s" % (out.returncode,
                                                 out.stderr.strip()))
    # Reads still work: every acknowledged put, and the list.
    for rid, b in acked.items():
        r = node.call("get", {"kind": "initiative", "id": rid})
        check(r is not None and r[0] == 0 and r[1]["body"] == b,
              "full disk: get %s failed: %r" % (rid, r))
    out = cli(d, "get", "initiative", "w1")
    check(out.returncode == 0, "full disk: buurt get failed: %s" %
          out.stderr.strip())
    out = cli(d, "list", "initiative")
    check(out.returncode == 0 and out.stdout.count("w") >= 5,
          "full disk: buurt list failed: %s" % out.stderr.strip())
    # Space returns: the next put succeeds without a restart.
    open(clear, "w").close()
    r = node.call("put", {"kind": "initiative", "id": "after",
                          "body": body(99)})
    check(r is not None and r[0] == 0,
          "full disk: a put after space returned failed: %r" % (r,))
    acked["after"] = r[1]["body"]
    check(node.stop() == 0, "full disk: buurtd did not exit 0")
    verify(ctx, d, acked, refused, t, "full disk")
    print("iofault: full disk from write %d (%s): %d puts refused with"
          " \"disk is full\" (API and CLI exit %d), %d gets and a list"
          " served, the put after space returned succeeded; %d"
          " acknowledged, 0 lost, chain verified" % (
              n, "meta page" if meta else "data pages", len(refused) + 1,
              EX_UNAVAILABLE, len(acked) - 1, t.checked))


def main(argv):
    tmp = argv[1]
    tmpl = os.path.join(tmp, "tmpl")
    subprocess.run([BUURT, "init", tmpl, "--name", "iofault"], check=True,
                   stdout=subprocess.DEVNULL)
    ctx = zmq.Context()
    try:
        full_disk(ctx, tmp, tmpl, False)
        full_disk(ctx, tmp, tmpl, True)
        sweep(ctx, tmp, tmpl)
    except Fail as e:
        sys.stderr.write("iofault: FAIL: %s\n" % e)
        for name in ("run", "full"):
            log = os.path.join(tmp, name + ".log")
            if os.path.exists(log):
                with open(log) as f:
                    sys.stderr.write("--- %s ---\n%s" % (
                        log, "".join(f.readlines()[-15:])))
        return 1
    finally:
        for p in Node.live:
            p.kill()
            p.wait()
        ctx.destroy(linger=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
