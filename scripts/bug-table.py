#!/usr/bin/env python3
"""Measure how fast each planted bug is found, and write the table of docs/checking.md.

For every planted bug (`synod check --bug list`) the default campaign, `synod check PROTOCOL
--bug NAME`, runs from the start of 5 disjoint seed ranges (seeds 1.., 100001.., ...) until its
first failure. The table gives:

- the pinned seed: the first failing seed from seed 1, or else of the first range with one (the tests replay it; re-pinned here);
- the median, over the 5 ranges, of how many seeds the first failure took, and each of them;
- the wall time of the campaign up to the pinned seed from the start of its range (one job,
  release build);
- the property that caught it, and the real faults of the shrunk scenario.

A bug the default campaign misses within the budget keeps the campaign that finds it (FALLBACK)
and the table says so: the goal is that FALLBACK is empty.

Usage:
  python3 scripts/bug-table.py             # build --release, measure, rewrite docs/checking.md
  python3 scripts/bug-table.py --baseline BINARY   # measure another build (e.g. main), print only
  python3 scripts/bug-table.py --bugs a,b  # only these bugs (prints, does not write)
"""
import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checking.md"
RANGES = 5
RANGE_GAP = 100_000
BUDGET = 1000
CHUNKS = [10, 40, 150, 800]  # seeds tried per step, until the budget

# Bugs the default campaign does not find within the budget, with the campaign that does.
FALLBACK = {
    # A voter that restarts between two candidates' requests: `revote` alone builds that
    # schedule most often (docs/checking.md, "Faults that wait for a moment"), should Raft's
    # default, which has it in its mix, miss the first range.
    "forget-vote-on-restart": ("raft", ["--nemesis", "revote"]),
}


def run(binary, *args):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, cwd=ROOT)


def first_failure(binary, target, flags, bug, start):
    """The first failing seed from `start` within the budget, and its property."""
    seed = start
    for chunk in CHUNKS * 100:
        if seed >= start + BUDGET:
            return None
        n = min(chunk, start + BUDGET - seed)
        out = run(binary, "check", target, *flags, "--bug", bug, "--from", str(seed),
                  "--seeds", str(n), "--per-seed", "--jobs", "1", "--shrink-time", "0").stdout
        m = re.search(r"^seed (\d+): FAIL (.+)$", out, re.M)
        if m:
            return int(m.group(1)), m.group(2).strip()
        seed += n
    return None


def wall(binary, target, flags, bug, seed, runs=3):
    """Seconds for a one-job campaign from the start of `seed`'s range through `seed` (the
    median of `runs`)."""
    start = 1 + (seed - 1) // RANGE_GAP * RANGE_GAP
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run(binary, "check", target, *flags, "--bug", bug, "--from", str(start),
            "--seeds", str(seed - start + 1), "--jobs", "1", "--shrink-time", "0")
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def shrunk(binary, target, flags, bug, seed):
    """`X -> Y` real faults of the shrunk scenario of `seed`."""
    d = tempfile.mkdtemp(prefix="synod-bug-table-")
    try:
        out = run(binary, "check", target, *flags, "--bug", bug, "--from", str(seed),
                  "--seeds", "1", "--jobs", "1", "--shrink-time", "20", "--out", d).stdout
        m = re.search(r"^shrunk seed \d+ \(.+\): (\d+) faults? -> (\d+)", out, re.M)
        return f"{m.group(1)} -> {m.group(2)}" if m else "?"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def measure(binary, protocol, bug):
    target, flags = protocol, []
    firsts = [first_failure(binary, target, flags, bug, 1 + r * RANGE_GAP) for r in range(RANGES)]
    fallback = False
    if firsts[0] is None and bug in FALLBACK:
        target, flags = FALLBACK[bug]
        fallback = True
        firsts = [first_failure(binary, target, flags, bug, 1 + r * RANGE_GAP)
                  for r in range(RANGES)]
    counts = [f[0] - (1 + r * RANGE_GAP) + 1 if f else None for r, f in enumerate(firsts)]
    found = [c for c in counts if c is not None]
    median = statistics.median(found + [BUDGET + 1] * (RANGES - len(found))) if found else None
    # The first failure of the first range that has one: a seed that replays the bug.
    pinned = next((f for f in firsts if f), None)
    return {
        "target": target,
        "flags": flags,
        "fallback": fallback,
        "pinned": pinned,
        "counts": counts,
        "median": median,
        "secs": wall(binary, target, flags, bug, pinned[0]) if pinned else None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", metavar="BINARY", help="measure this build; print only")
    ap.add_argument("--bugs", help="only these bugs (comma-separated); print only")
    ap.add_argument("--no-shrink", action="store_true", help="skip the shrunk-faults column")
    a = ap.parse_args()
    if a.baseline:
        binary = Path(a.baseline)
    else:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "synod-cli"], cwd=ROOT,
                       check=True)
        binary = ROOT / "target" / "release" / "synod"
    only = set(a.bugs.split(",")) if a.bugs else None
    rows = []
    for line in run(binary, "check", "--bug", "list").stdout.strip().splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        protocol, bug, why = parts
        if only and bug not in only:
            continue
        m = measure(binary, protocol, bug)
        campaign = "`" + " ".join(["synod check", m["target"], *m["flags"]]) + "`"
        if m["fallback"]:
            campaign += " (the default misses it)"
        pinned = str(m["pinned"][0]) if m["pinned"] else f"not found in {BUDGET}"
        prop = m["pinned"][1] if m["pinned"] else "-"
        counts = ", ".join(str(c) if c else f">{BUDGET}" for c in m["counts"])
        median = "-" if m["median"] is None else f"{m['median']:g}"
        secs = "-" if m["secs"] is None else f"{m['secs']:.2f} s"
        faults = "-"
        if m["pinned"] and not a.no_shrink and not a.baseline:
            faults = shrunk(binary, m["target"], m["flags"], bug, m["pinned"][0])
        rows.append(f"| {protocol} | `{bug}` | {why} | {campaign} | {pinned} | {prop} "
                    f"| {median} | {counts} | {secs} | {faults} |")
        print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join([
        "| protocol | bug | what it breaks | campaign | pinned seed | caught by "
        "| median seeds | first failure in 5 ranges | time to pinned | shrunk faults |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    if a.baseline or only:
        print(table)
        return
    speed = run(binary, "check", "raft", "--seeds", "2000", "--jobs", "1").stdout
    m = re.search(r"speed: (\d+) seeds/s", speed)
    table += f"\n\nThe default Raft campaign ran {m.group(1) if m else '?'} seeds/s on one job.\n"
    text = DOC.read_text()
    new = re.sub(r"(<!-- bug-table:start -->\n).*?(<!-- bug-table:end -->)",
                 lambda mm: mm.group(1) + table + "\n" + mm.group(2), text, flags=re.S)
    DOC.write_text(new)


if __name__ == "__main__":
    main()
