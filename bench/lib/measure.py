#!/usr/bin/env python3
"""Runs one client command and measures what the server spent on it.

    measure.py --out FILE --op NAME --side NAME --round N --roots PID[,PID...] -- command...

Appends one JSON line to FILE:
  wall_s        the command's wall time
  cpu_s         server CPU time (user + system) of the server's processes during the command
  cpu_source    "cgroup" or "proc" (how cpu_s was counted; see below)
  peak_rss_mb   the highest sum of resident memory over that tree, sampled every 10 ms
  root_growth_mb  for each root process: its peak RSS (VmHWM, reset before the command through
                clear_refs) minus its RSS before the command
  root_rss_before_mb  for each root process: its RSS before the command
  rc            the command's exit code

How the server's CPU is counted, the same way for every server. With --cgroup (bench/lib/common.sh
makes one per server when the user may): the cgroup's own counter (cpuacct.usage, or cpu.stat's
usage_usec on cgroup v2), which counts every process started in it, whether it is still alive,
exited and reaped, or exited and never waited for. Without: the tree is each root and all its
descendants (Latchkey: the dotnet process and its git children; the reference: nginx's master and
workers, fcgiwrap's workers, git http-backend and its git children). Its CPU is the sum over the
living processes of utime + stime + cutime + cstime (/proc/PID/stat). A child that exits is reaped
by its parent, and its whole CPU (its own and its reaped descendants') moves into the parent's
cutime/cstime, so nothing is lost or counted twice, provided every parent waits for its children
(git, fcgiwrap and .NET's Process all do; bench/README.md says how this was checked against a
cpuacct cgroup). Before the first and after the last reading the tree is allowed to settle back to
its long-lived processes, so no git child is alive (and uncounted) at either reading. /proc counts
in clock ticks (10 ms), which is why short operations are repeated and compared by median.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def wrk_stats(path):
    """Requests, req/s, p50/p99 (ms) and non-2xx count from `wrk --latency` output."""
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}

    def ms(text):
        for unit in ("us", "ms", "s", "m"):
            if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
                return float(text[: -len(unit)]) * units[unit]
        raise ValueError(text)

    stats = {"non2xx": 0, "socket_errors": 0}
    for line in open(path):
        words = line.split()
        if not words:
            continue
        if words[0] in ("50%", "99%"):
            stats["p" + words[0][:-1] + "_ms"] = round(ms(words[1]), 3)
        elif "requests in" in line:
            stats["requests"] = int(words[0])
        elif words[0] == "Requests/sec:":
            stats["rps"] = float(words[1])
        elif line.startswith("  Non-2xx"):
            stats["non2xx"] = int(words[-1])
        elif words[0] == "Socket" and words[1] == "errors:":
            stats["socket_errors"] = sum(int(w.rstrip(",")) for w in words[2:] if w.rstrip(",").isdigit())
    return stats


def children(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids.extend(int(k) for k in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree(roots):
    seen = []
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        stack.extend(children(pid))
    return seen


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # After the ")" of comm: fields[0] is state (field 3); utime..cstime are fields 14..17.
    return sum(int(x) for x in fields[11:15])


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cgroup_ns(path):
    try:
        with open(os.path.join(path, "cpuacct.usage")) as f:
            return int(f.read())
    except OSError:
        with open(os.path.join(path, "cpu.stat")) as f:
            for line in f:
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) * 1000
    raise RuntimeError(f"no CPU counter in {path}")


def reset_hwm(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def settle(roots, baseline, limit=10.0):
    """Waits until the tree is back to its long-lived processes (no git children alive)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(tree(roots)) <= baseline:
            return True
        time.sleep(0.01)
    return False


class Sampler(threading.Thread):
    def __init__(self, roots):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            total = sum(rss_bytes(p) for p in tree(self.roots))
            self.peak = max(self.peak, total)
            self.stop.wait(0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--op", required=True)
    parser.add_argument("--side", required=True)
    parser.add_argument("--round", type=int, default=0)
    parser.add_argument("--roots", required=True, help="comma-separated pids of the server's long-lived processes")
    parser.add_argument("--cgroup", help="the servers' cgroup directory: count CPU there instead of in /proc")
    parser.add_argument("--wrk-output", help="the wrk --latency output file the command writes: its figures go into the record")
    parser.add_argument("--verify", help="shell command run after the measurement (untimed); its success is recorded as verified")
    parser.add_argument("--baseline", type=int, help="process count of the idle server tree (default: as seen now)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    roots = [int(p) for p in args.roots.split(",") if p]

    baseline = args.baseline or len(tree(roots))
    settle(roots, baseline)
    before_rss = {p: status_kib(p, "VmRSS") for p in roots}
    hwm_ok = all(reset_hwm(p) for p in roots)
    before = sum(cpu_ticks(p) for p in tree(roots))
    before_ns = cgroup_ns(args.cgroup) if args.cgroup else 0
    sampler = Sampler(roots)
    sampler.start()
    start = time.monotonic()
    rc = subprocess.call(command)
    wall = time.monotonic() - start
    settled = settle(roots, baseline)
    sampler.stop.set()
    sampler.join()
    after = sum(cpu_ticks(p) for p in tree(roots))
    after_ns = cgroup_ns(args.cgroup) if args.cgroup else 0
    cpu = (after_ns - before_ns) / 1e9 if args.cgroup else (after - before) / TICK
    growth = {str(p): round((status_kib(p, "VmHWM") - before_rss[p]) / 1024, 1) if hwm_ok else None for p in roots}

    verified = None
    if args.verify:
        verified = rc == 0 and subprocess.call(["bash", "-c", args.verify]) == 0
    record = dict(op=args.op, side=args.side, round=args.round, wall_s=round(wall, 4), cpu_s=round(cpu, 3), cpu_source="cgroup" if args.cgroup else "proc",
                  proc_cpu_s=round((after - before) / TICK, 3),
                  peak_rss_mb=round(sampler.peak / 1048576, 1), root_growth_mb=growth,
                  root_rss_before_mb={str(p): round(kib / 1024, 1) for p, kib in before_rss.items()}, rc=rc, verified=verified, settled=settled)
    if args.wrk_output:
        record.update(wrk_stats(args.wrk_output))
        if record.get("requests"):
            record["cpu_us_per_request"] = round(cpu * 1e6 / record["requests"], 2)
    with open(args.out, "a") as f:
        f.write(json.dumps(record) + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
