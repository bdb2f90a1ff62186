#!/usr/bin/env python3
"""Writes the benchmark's test repository: the same commits, byte for byte, on every run.

Everything comes from one seeded random generator (Python's Mersenne Twister, whose output for a
given seed is stable across Python versions) and is streamed into `git fast-import`, with fixed
author and committer names, emails and dates in the stream itself, so the commit ids depend on the
seed and the size options only.

The result is a bare repository with one branch, `main`, and a tag-free history; `main~10` is the
point the fetch benchmark starts from (the last ten commits are the "new" ones it fetches).

Sizes (defaults are issue #7's test repository):
  full   2,000 commits, 5,000 text files in 200 directories, 50 binary files of 0.5-4 MiB (~100 MB packed)
  small  200 commits, 500 text files in 20 directories, 5 binary files of 64-256 KiB (for checking scripts)
  huge   like full, plus binaries up to ~1 GiB packed in all (the "RSS flat in repository size" check)

Shapes (--shape; sizes above apply to default only):
  default  the layout above
  game     a game/ML project: 5,000 text files in one flat directory, 50 binary assets of 1-4 MiB
           in the first commit, and every 25 commits one asset (in turn) rewritten with new random
           content; 100 commits (~125 MB packed)
  deep     a long history: 50,000 small commits, each editing 1-2 of 500 small text files in 20 directories
"""

import argparse
import math
import os
import random
import shutil
import subprocess
import sys

PRESETS = {
    "full": dict(commits=2000, files=5000, dirs=200, binaries=50, bin_min_kib=512, bin_max_kib=4096),
    "small": dict(commits=200, files=500, dirs=20, binaries=5, bin_min_kib=64, bin_max_kib=256),
    "huge": dict(commits=2000, files=5000, dirs=200, binaries=300, bin_min_kib=2048, bin_max_kib=5120),
}
SHAPES = {
    "game": dict(commits=100, files=5000, dirs=1, binaries=50, bin_min_kib=1024, bin_max_kib=4096),
    "deep": dict(commits=50000, files=500, dirs=20, binaries=0, bin_min_kib=64, bin_max_kib=256),
}
REWRITE_EVERY = 25  # game: one asset rewritten every this many commits

WORDS = (
    "token digest scope owner repository commit branch push clone fetch server client request "
    "response stream buffer header policy caller action allow deny verify expire revoke session "
    "user admin public private pack index object tree blob ref head tag merge rebase config value "
    "result error status reader writer handler service option limit window count cache lookup"
).split()
KEYWORDS = ["let", "var", "if", "return", "for", "while", "await", "const", "fn", "match"]
EXTENSIONS = [".cs", ".py", ".md", ".txt", ".json", ".yml", ".c", ".h", ".rs", ".go"]

AUTHORS = [
    ("Ada Bench", "ada@bench.invalid"),
    ("Brian Bench", "brian@bench.invalid"),
    ("Chen Bench", "chen@bench.invalid"),
    ("Dana Bench", "dana@bench.invalid"),
]
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z: commit n is dated EPOCH + n hours.


def text_line(rng):
    indent = "    " * rng.randrange(0, 4)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 10)))
    return f"{indent}{rng.choice(KEYWORDS)} {words};\n"


def text_file(rng, lines):
    return [text_line(rng) for _ in range(lines)]


def directories(rng, count):
    """count directory names up to three levels deep, e.g. src/pack042/stream3."""
    tops = ["src", "lib", "docs", "tests", "tools", "web"]
    names = []
    seen = set()
    while len(names) < count:
        depth = rng.randrange(1, 4)
        parts = [rng.choice(tops)] + [f"{rng.choice(WORDS)}{rng.randrange(100)}" for _ in range(depth - 1)]
        name = "/".join(parts)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def log_uniform_kib(rng, low, high):
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


class Stream:
    def __init__(self, out):
        self.out = out

    def raw(self, text):
        self.out.write(text.encode("utf-8"))

    def data(self, payload):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        self.raw(f"data {len(payload)}\n")
        self.out.write(payload)
        self.raw("\n")


def generate(out, seed, commits, files, dirs, binaries, bin_min_kib, bin_max_kib, shape="default"):
    rng = random.Random(seed)
    dir_names = ["game"] if shape == "game" else directories(rng, dirs)
    game = shape == "game"
    deep = shape == "deep"
    stream = Stream(out)

    # Plan: the first commit adds half the text files; the rest arrive one or two per commit; binaries
    # arrive at evenly spread commits; every commit after the first edits 1-4 existing text files.
    initial = files // 2
    later = files - initial
    binary_at = {} if game else {1 + (i * (commits - 2)) // max(binaries, 1): i for i in range(binaries)}
    contents = {}  # path -> list of lines
    paths = []
    next_file = 0

    def new_path():
        nonlocal next_file
        d = dir_names[next_file % len(dir_names)]
        path = f"{d}/{rng.choice(WORDS)}_{next_file:05d}{rng.choice(EXTENSIONS)}"
        next_file += 1
        return path

    for n in range(commits):
        name, email = AUTHORS[n % len(AUTHORS)]
        when = EPOCH + n * 3600
        changes = []  # (path, bytes)
        if n == 0:
            for _ in range(initial):
                p = new_path()
                contents[p] = text_file(rng, rng.randrange(5, 40) if deep else rng.randrange(20, 160))
                paths.append(p)
                changes.append(p)
            message = "Initial import\n"
        else:
            remaining_commits = commits - n
            remaining_files = later - (next_file - initial)
            adds = 0
            if remaining_files > 0:
                adds = max(1, remaining_files // remaining_commits) if remaining_files >= remaining_commits else int(rng.random() < remaining_files / remaining_commits)
            for _ in range(adds):
                p = new_path()
                contents[p] = text_file(rng, rng.randrange(5, 40) if deep else rng.randrange(20, 160))
                paths.append(p)
                changes.append(p)
            for _ in range(rng.randrange(1, 3) if deep else rng.randrange(1, 5)):
                p = rng.choice(paths)
                lines = contents[p]
                for _ in range(rng.randrange(1, 6)):
                    at = rng.randrange(len(lines) + 1)
                    if lines and rng.random() < 0.5:
                        lines[min(at, len(lines) - 1)] = text_line(rng)
                    else:
                        lines.insert(at, text_line(rng))
                changes.append(p)
            message = f"Change {rng.choice(WORDS)} {rng.choice(WORDS)} ({n})\n\nRound {n} of the benchmark history.\n"

        stream.raw(f"commit refs/heads/main\nmark :{n + 1}\n")
        stream.raw(f"author {name} <{email}> {when} +0000\n")
        stream.raw(f"committer {name} <{email}> {when} +0000\n")
        stream.data(message)
        if n > 0:
            stream.raw(f"from :{n}\n")
        for p in dict.fromkeys(changes):
            stream.raw(f"M 100644 inline {p}\n")
            stream.data("".join(contents[p]))
        if n in binary_at:
            i = binary_at[n]
            size = log_uniform_kib(rng, bin_min_kib, bin_max_kib) * 1024
            stream.raw(f"M 100644 inline assets/bin{i // 10:02d}/blob{i:03d}.bin\n")
            stream.data(rng.randbytes(size))
        if game and (n == 0 or n % REWRITE_EVERY == 0):
            # The first commit brings every asset; then one at a time, in turn, gets new content.
            for i in range(binaries) if n == 0 else [(n // REWRITE_EVERY - 1) % binaries]:
                size = log_uniform_kib(rng, bin_min_kib, bin_max_kib) * 1024
                stream.raw(f"M 100644 inline assets/asset{i:03d}.bin\n")
                stream.data(rng.randbytes(size))
        stream.raw("\n")
    stream.raw("done\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="where to write the bare repository (replaced if it exists)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_const", dest="preset", const="small")
    size.add_argument("--huge", action="store_const", dest="preset", const="huge")
    parser.add_argument("--shape", choices=["default", "game", "deep"], default="default")
    parser.add_argument("--seed", type=int, default=7)
    for key in PRESETS["full"]:
        parser.add_argument("--" + key.replace("_", "-"), type=int)
    args = parser.parse_args()
    if args.shape != "default" and args.preset:
        parser.error("--small and --huge apply to --shape default only")
    params = dict(SHAPES[args.shape] if args.shape != "default" else PRESETS[args.preset or "full"])
    for key in params:
        if getattr(args, key) is not None:
            params[key] = getattr(args, key)

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", args.out], check=True, env=env)
    importer = subprocess.Popen(["git", "-C", args.out, "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE, env=env)
    generate(importer.stdin, args.seed, shape=args.shape, **params)
    importer.stdin.close()
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    # One well-deltified pack, as a repository that has been gc'd on a server would have.
    subprocess.run(["git", "-C", args.out, "repack", "-a", "-d", "-f", "-q", "--window=10", "--depth=50"], check=True, env=env)
    head = subprocess.run(["git", "-C", args.out, "rev-parse", "main"], check=True, env=env, capture_output=True, text=True).stdout.strip()
    print(f"{args.out}: main = {head}", file=sys.stderr)


if __name__ == "__main__":
    main()
