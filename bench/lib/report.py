#!/usr/bin/env python3
"""Prints the tables of bench/git.sh from its JSON lines (see measure.py).

    report.py RESULTS.jsonl [--reference reference] [--candidate latchkey]

For each operation and side: median [min-max] of wall time, server CPU and server peak RSS over
the measured rounds (round 0 is the warm-up and is left out), then the median of the per-round
ratios candidate / reference, and the failures.
"""

import argparse
import json
import statistics
from collections import defaultdict

OPS = [
    ("bare", "bare clone"),
    ("checkout", "clone with checkout"),
    ("fetch", "fetch of 10 commits"),
    ("push", "whole-repository push"),
    ("concurrent", "8 concurrent clones (total)"),
    ("fleet", "20 simultaneous bare clones (total)"),
    ("push-1g", "1 GiB push (RSS check)"),
]
METRICS = [("wall_s", "wall s", "{:.3f}"), ("cpu_s", "server CPU s", "{:.2f}"), ("peak_rss_mb", "server peak RSS MB", "{:.0f}")]


def spread(values, fmt):
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--reference", default="reference")
    parser.add_argument("--candidate", default="latchkey")
    args = parser.parse_args()

    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    measured = [r for r in rows if r.get("round", 0) > 0 or r["op"] == "push-1g"]
    by = defaultdict(list)
    for r in measured:
        by[(r["op"], r["side"])].append(r)
    rounds = sorted({r["round"] for r in measured if r["op"] != "push-1g"})
    ref, cand = args.reference, args.candidate

    print(f"rounds measured: {len(rounds)} (after one warm-up round); figures are median [min–max]\n")
    print(f"| operation | metric | {ref} | {cand} | median ratio {cand}/{ref} |")
    print("|---|---|---|---|---|")
    for op, title in OPS:
        if not by.get((op, ref)) and not by.get((op, cand)):
            continue
        for key, label, fmt in METRICS:
            r_vals = [x[key] for x in by[(op, ref)]]
            c_vals = [x[key] for x in by[(op, cand)]]
            ref_by_round = {x["round"]: x[key] for x in by[(op, ref)]}
            ratios = [x[key] / ref_by_round[x["round"]] for x in by[(op, cand)]
                      if ref_by_round.get(x["round"]) not in (None, 0)]
            ratio = f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]" if ratios else "-"
            print(f"| {title} | {label} | {spread(r_vals, fmt)} | {spread(c_vals, fmt)} | {ratio} |")

    print("\nFailures (non-zero exit codes; for concurrent clones the count of failed clones; wrong commit ids):")
    any_failure = False
    for op, _ in OPS:
        for side in (ref, cand):
            bad = [x for x in by.get((op, side), []) if x["rc"] != 0 or x.get("verified") is False]
            if bad:
                any_failure = True
                print(f"  {op} {side}: " + ", ".join(f"round {x['round']} rc={x['rc']} verified={x.get('verified')}" for x in bad))
    if not any_failure:
        print("  none")

    print(f"\n{cand} process RSS growth (VmHWM during the operation minus RSS before it), MB, median [min–max]:")
    for op, title in OPS:
        growth = [v for x in by.get((op, cand), []) for v in x["root_growth_mb"].values() if v is not None]
        if growth:
            print(f"  {title}: {spread(growth, '{:.1f}')}")
    unsettled = [x for x in measured if not x.get("settled", True)]
    if unsettled:
        print(f"\nwarning: {len(unsettled)} measurements ended with server children still alive (CPU may be undercounted)")


if __name__ == "__main__":
    main()
