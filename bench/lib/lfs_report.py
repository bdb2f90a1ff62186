#!/usr/bin/env python3
"""Prints the tables of bench/lfs.sh from its JSON lines (see measure.py).

    lfs_report.py RESULTS.jsonl --bytes N

Per transfer (upload, download) and side (reference: curl to nginx; reference-lfs: git-lfs to
nginx; latchkey: git-lfs to Latchkey; latchkey-curl: curl on Latchkey's batch links): median
[min-max] over the measured rounds (round 0 is the warm-up and is left out) of wall time,
throughput, server CPU and server peak RSS; the medians of per-round ratios; then Latchkey's RSS
before and its peak during each transfer, round by round, and the failures.
"""

import argparse
import json
import statistics
from collections import defaultdict

OPS = [("lfs-upload", "upload"), ("lfs-download", "download")]


def spread(values, fmt):
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--bytes", type=int, required=True)
    args = parser.parse_args()
    mib = args.bytes / 1048576

    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    measured = [r for r in rows if r["round"] > 0]
    for r in rows:
        r["mib_s"] = mib / r["wall_s"] if r["wall_s"] else 0
    by = defaultdict(list)
    for r in measured:
        by[(r["op"], r["side"])].append(r)
    rounds = sorted({r["round"] for r in measured})

    metrics = [("wall_s", "wall s", "{:.2f}"), ("mib_s", "MiB/s", "{:.0f}"), ("cpu_s", "server CPU s", "{:.2f}"),
               ("peak_rss_mb", "server peak RSS MB", "{:.0f}")]
    print(f"rounds measured: {len(rounds)} (after one warm-up round); figures are median [min–max]\n")
    sides = [("reference", "nginx, curl"), ("reference-lfs", "nginx, git-lfs"), ("latchkey", "Latchkey, git-lfs"), ("latchkey-curl", "Latchkey, curl")]
    print("| transfer | metric | " + " | ".join(label for _, label in sides) + " |")
    print("|---|---|" + "---|" * len(sides))
    for op, title in OPS:
        for key, label, fmt in metrics:
            cells = [spread([x[key] for x in by[(op, side)]], fmt) for side, _ in sides]
            print(f"| {title} | {label} | " + " | ".join(cells) + " |")

    # Ratios of one round's figures, then their median: the (git-lfs into Latchkey against
    # curl into nginx), and the two that hold the client fixed.
    pairs = [("latchkey", "reference", "Latchkey with git-lfs / nginx with curl (the issue's)"),
             ("latchkey", "reference-lfs", "Latchkey / nginx, both with git-lfs"),
             ("latchkey-curl", "reference", "Latchkey / nginx, both with curl")]
    print("\nMedian of the per-round ratios [min–max]:\n")
    print("| ratio | upload wall | upload server CPU | download wall | download server CPU |")
    print("|---|---|---|---|---|")
    for cand, ref, title in pairs:
        cells = []
        for op, _ in OPS:
            for key in ("wall_s", "cpu_s"):
                base = {x["round"]: x[key] for x in by[(op, ref)]}
                ratios = [x[key] / base[x["round"]] for x in by[(op, cand)] if base.get(x["round"])]
                cells.append(f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]" if ratios else "-")
        print(f"| {title} | " + " | ".join(cells) + " |")

    def one(by_root):  # Latchkey has one root process, the dotnet one
        return next(iter(by_root.values()))

    print("\nRound by round: wall s of each side; Latchkey's process RSS in MB before the transfer -> its peak")
    print("during it (VmHWM, reset through clear_refs just before), with git-lfs and with curl\n")
    print("| round | transfer | nginx, curl | nginx, git-lfs | Latchkey, git-lfs | Latchkey, curl | the issue's ratio | RSS, git-lfs | RSS, curl |")
    print("|---|---|---|---|---|---|---|---|---|")
    index = {(r["round"], r["op"], r["side"]): r for r in rows}

    def rss(r):
        if r is None:
            return "-"
        before, growth = one(r["root_rss_before_mb"]), one(r["root_growth_mb"])
        return f"{before:.0f} -> {before + growth:.0f}" if growth is not None else f"{before:.0f} -> -"

    for n in sorted({r["round"] for r in rows}):
        for op, title in OPS:
            got = {side: index.get((n, op, side)) for side, _ in sides}
            walls = [f"{got[side]['wall_s']:.2f}" if got[side] else "-" for side, _ in sides]
            ratio = f"{got['latchkey']['wall_s'] / got['reference']['wall_s']:.2f}" if got["latchkey"] and got["reference"] else "-"
            label = f"{n} (warm-up)" if n == 0 else f"{n}"
            print(f"| {label} | {title} | " + " | ".join(walls) + f" | {ratio} | {rss(got['latchkey'])} | {rss(got['latchkey-curl'])} |")
    growth = [one(r["root_growth_mb"]) for r in measured if r["side"].startswith("latchkey") and one(r["root_growth_mb"]) is not None]
    if growth:
        print(f"\nLatchkey RSS growth during a transfer (measured rounds): {spread(growth, '{:.1f}')} MB")

    print("\nFailures (non-zero exit codes, bytes not identical):")
    bad = [r for r in rows if r["rc"] != 0 or r.get("verified") is False]
    for r in bad:
        print(f"  {r['op']} {r['side']} round {r['round']}: rc={r['rc']} verified={r.get('verified')}")
    if not bad:
        print("  none")
    unsettled = [r for r in rows if not r.get("settled", True)]
    if unsettled:
        print("Runs whose server tree did not settle: " + ", ".join(f"{r['op']} {r['side']} round {r['round']}" for r in unsettled))


if __name__ == "__main__":
    main()
