#!/usr/bin/env python3
"""Regenerate the planted-bug table of docs/checking.md by measuring it.

For every planted bug (`synod check --bug list`), run the default campaign from seed 1 with
that bug and record how many seeds it needed to find a violation and which property caught
it. Usage: python3 scripts/bug-table.py   (builds the release binary first)
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checking.md"
BUDGET = 2000
STEP = 50

# The campaign each bug is hunted with: the default one unless a bug needs a narrower search.
# Each entry is (target, extra flags); the table shows both, so anyone can rerun it.
CAMPAIGNS = {
    "forget-promise": ("paxos", ["--faults", "crash", "--intensity", "30"]),
    "commit-old-term": ("scenarios/raft-figure8.toml", []),
    "change-before-term-commit": ("scenarios/raft-membership-overlap.toml", []),
    "snapshot-drops-sessions": ("scenarios/raft-snapshot-retries.toml", []),
    "stale-lease-read": ("scenarios/raft-lease-read.toml", []),
    "forget-vote-on-restart": (
        "scenarios/raft-vote-storm.toml",
        ["--faults", "crash", "--intensity", "30", "--max-fault", "20"],
    ),
    "ignore-last-normal-view": ("scenarios/vr-stale-primary-view-change.toml", []),
    "recovery-answer-in-view-change": ("scenarios/vr-recovery-during-view-change.toml", []),
}


def synod(*args):
    return subprocess.run(
        [str(ROOT / "target" / "release" / "synod"), *args],
        capture_output=True, text=True, cwd=ROOT,
    )


def main():
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    listing = synod("check", "--bug", "list").stdout.strip().splitlines()
    rows = []
    for line in listing:
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        protocol, bug, why = parts
        target, flags = CAMPAIGNS.get(bug, (protocol, []))
        found = None
        start = 1
        while found is None and start <= BUDGET:
            out = synod("check", target, *flags, "--bug", bug, "--from", str(start),
                        "--seeds", str(STEP), "--per-seed", "--jobs", "1").stdout
            for m in re.finditer(r"^seed (\d+): FAIL (.+)$", out, re.M):
                found = (int(m.group(1)), m.group(2))
                break
            start += STEP
        seeds = str(found[0]) if found else f"not found in {BUDGET}"
        prop = found[1] if found else "-"
        campaign = " ".join(["synod check", target, *flags])
        rows.append(f"| {protocol} | `{bug}` | {why} | `{campaign}` | {seeds} | {prop} |")
        print(rows[-1], file=sys.stderr)
    table = "\n".join([
        "| protocol | bug | what it breaks | campaign | seeds needed | caught by |",
        "|---|---|---|---|---|---|",
        *rows,
    ])
    text = DOC.read_text()
    new = re.sub(r"(<!-- bug-table:start -->\n).*?(<!-- bug-table:end -->)",
                 lambda m: m.group(1) + table + "\n" + m.group(2), text, flags=re.S)
    DOC.write_text(new)


if __name__ == "__main__":
    main()
