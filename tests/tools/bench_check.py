#!/usr/bin/python3
"""bench_check.py: runs `buurt-bench --quick --json` (issue 5) and checks
that it works: the output is one JSON object, every expected figure,
ratio and target is there, and every figure and ratio is a positive,
finite number.  A check that the benchmark runs, never a timed pass/fail:
no figure is compared with a threshold here.

Needs BUURT_BENCH (the buurt-bench binary) and BUURTD in the environment.
"""

import json
import math
import os
import subprocess
import sys
import time

FIGURES = [
    "verify_1", "verify_n", "lmdb_commit", "lmdb_commit_adjacent",
    "verify_1_adjacent", "verify_n_adjacent",
    "catchup_rate", "private_mib", "store_mib", "raw_mib",
    "query_first_page_ms", "query_scan_rate", "live_rate",
    "writes_1", "writes_16", "clone_rate",
    "instr_verify", "instr_live", "instr_catchup",
] + ["prop_%s_hop%d_%s_ms" % (r, h, p) for r in ("100", "1000")
     for h in (1, 2) for p in ("p50", "p99", "max")]
RATIOS = [
    "verify_n_vs_1", "catchup_vs_strfry", "catchup_vs_verify_1",
    "store_vs_raw", "live_vs_verify_1", "live_vs_verify_n", "live_vs_verify",
    "writes_1_vs_commit", "writes_16_vs_commit", "writes_16_vs_1",
    "catchup_vs_clone", "instr_live_vs_verify",
]
TARGETS = [
    "catchup_vs_clone", "catchup_vs_strfry", "private_mib", "store_vs_raw",
    "live_vs_verify", "live_verify_threads", "writes_1_vs_commit",
    "writes_16_vs_1",
    "prop_1000_hop1_p99_ms", "prop_1000_hop2_p99_ms",
    "instr_live_vs_verify", "instr_catchup",
]


def fail(msg):
    print("FAIL: bench: " + msg, file=sys.stderr)
    sys.exit(1)


def positive(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and
            math.isfinite(v) and v > 0)


def main():
    bench = os.environ.get("BUURT_BENCH")
    buurtd = os.environ.get("BUURTD")
    if not bench or not buurtd:
        fail("BUURT_BENCH and BUURTD must be set")
    t0 = time.monotonic()
    try:
        p = subprocess.run([bench, "--quick", "--json", "--buurtd", buurtd],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=280, check=False)
    except subprocess.TimeoutExpired:
        fail("buurt-bench --quick ran over 280 s")
    secs = time.monotonic() - t0
    sys.stderr.write(p.stderr.decode(errors="replace"))
    if p.returncode != 0:
        fail("buurt-bench exited %d" % p.returncode)
    try:
        out = json.loads(p.stdout)
    except ValueError as e:
        fail("output is not JSON: %s" % e)
    if not isinstance(out, dict):
        fail("output is not one JSON object")
    for part in ("figures", "ratios", "info", "targets", "scale"):
        if not isinstance(out.get(part), dict):
            fail("no %r object" % part)
    for part, keys in (("figures", FIGURES), ("ratios", RATIOS)):
        for k in keys:
            if k not in out[part]:
                fail("%s: %s missing" % (part, k))
        for k, v in out[part].items():
            if not positive(v):
                fail("%s: %s = %r is not a positive number" % (part, k, v))
    met = missed = na = 0
    for k in TARGETS:
        t = out["targets"].get(k)
        if not isinstance(t, dict) or not positive(t.get("target")) or \
                t.get("op") not in (">=", "<="):
            fail("targets: %s missing or malformed" % k)
        if t["value"] is None:
            if t["met"] is not None:
                fail("targets: %s has no value but met = %r" % (k, t["met"]))
            na += 1
            continue
        if not positive(t["value"]) or not isinstance(t["met"], bool):
            fail("targets: %s = %r" % (k, t))
        # met must agree with the value, whatever it is.
        want = (t["value"] >= t["target"] if t["op"] == ">=" else
                t["value"] <= t["target"])
        if t["met"] != want:
            fail("targets: %s: met = %r disagrees with its value" % (k, t))
        met, missed = met + want, missed + (not want)
    f = out["figures"]
    print("bench: %d figures, %d ratios, %d targets (%d met, %d missed, "
          "%d n/a at quick scale) in %.0f s; catch-up %.0f/s, live %.0f/s, "
          "writes %.0f/s (1) %.0f/s (16), p99 1000/s %.1f ms (1 hop) "
          "%.1f ms (2 hops), %.1f MiB private"
          % (len(f), len(out["ratios"]), len(out["targets"]), met, missed,
             na, secs, f["catchup_rate"], f["live_rate"], f["writes_1"],
             f["writes_16"], f["prop_1000_hop1_p99_ms"],
             f["prop_1000_hop2_p99_ms"], f["private_mib"]))


if __name__ == "__main__":
    main()
