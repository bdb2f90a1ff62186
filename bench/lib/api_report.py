#!/usr/bin/env python3
"""Prints bench/api.sh's table from its JSON lines: per endpoint and connection count, median
[min-max] over the rounds of req/s, p50, p99 and server CPU per request, and the median per-round
ratio of /api/v3/user's CPU per request to hello-world's."""

import json
import statistics
import sys
from collections import defaultdict


def spread(values, fmt):
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
rows = [r for r in rows if r["round"] > 0]
by = defaultdict(list)
for r in rows:
    by[(r["op"], r["side"])].append(r)
conns = sorted({int(r["side"].removeprefix("c")) for r in rows})
print(f"rounds measured: {len({r['round'] for r in rows})} (after a warm-up); median [min–max]\n")
print("| endpoint | connections | req/s | p50 ms | p99 ms | server CPU µs/request | non-2xx |")
print("|---|---|---|---|---|---|---|")
for c in conns:
    for op in ("hello", "user"):
        rs = by.get((op, f"c{c}"), [])
        if not rs:
            continue
        path = "GET /bench/hello" if op == "hello" else "GET /api/v3/user (token)"
        print(f"| {path} | {c} | {spread([r['rps'] for r in rs], '{:.0f}')} | {spread([r['p50_ms'] for r in rs], '{:.2f}')} | "
              f"{spread([r['p99_ms'] for r in rs], '{:.2f}')} | {spread([r['cpu_us_per_request'] for r in rs], '{:.1f}')} | "
              f"{sum(r['non2xx'] + r['socket_errors'] for r in rs)} |")
print()
for c in conns:
    hello = {r["round"]: r["cpu_us_per_request"] for r in by.get(("hello", f"c{c}"), [])}
    ratios = [r["cpu_us_per_request"] / hello[r["round"]] for r in by.get(("user", f"c{c}"), []) if hello.get(r["round"])]
    if ratios:
        print(f"{c} connection(s): CPU per request, /api/v3/user ÷ hello world: median {statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]")
