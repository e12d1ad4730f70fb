"""Compression benchmark: ratio and wall time of the gzip choices for the backup stream.

Builds ~100 MB of tar-like data in memory (text configs and logs, random blobs, runs of
zeros, in the proportions of bench/backup.py's project plus zeros) and gzips it with
python-isal's threaded igzip and zlib-ng's threaded gzip at several levels, and with the
`gzip` command (what `tar czf -` runs), interleaving the candidates run after run. Reports
medians of wall time and the compressed size / input size.
Usage: python bench/compression.py [--size-mb 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import time

import isal.igzip_threaded as igzip_threaded
import zlib_ng.gzip_ng_threaded as gzip_ng_threaded

WORDS = [f"{w}{i}" for i, w in enumerate(
    "server nginx config secret token region bucket instance backup restore cert".split() * 60)]


def mixed(size_mb: int) -> bytes:
    """50 % text, 35 % random, 15 % zeros, in 4 MB pieces."""
    rng = random.Random(7)
    parts, total, i = [], 0, 0
    while total < size_mb * 1_000_000:
        kind = i % 20
        if kind < 10:
            lines = (" ".join(rng.choices(WORDS, k=12)) + f" = {rng.random():.6f}\n"
                     for _ in range(40_000))
            data = "".join(lines).encode()[:4_000_000]
        elif kind < 17:
            data = os.urandom(4_000_000)
        else:
            data = bytes(4_000_000)
        parts.append(data)
        total += len(data)
        i += 1
    return b"".join(parts)


class Counter(io.RawIOBase):
    def __init__(self) -> None:
        self.n = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.n += len(b)
        return len(b)


def library(opener, level: int, data: bytes, threads: int) -> tuple[float, int]:
    sink = Counter()
    t0 = time.perf_counter()
    with opener(sink, "wb", compresslevel=level, threads=threads) as gz:
        view = memoryview(data)
        for i in range(0, len(data), 1 << 20):
            gz.write(view[i:i + (1 << 20)])
    return time.perf_counter() - t0, sink.n


def command(level: int, data: bytes) -> tuple[float, int]:
    t0 = time.perf_counter()
    out = subprocess.run(["gzip", f"-{level}", "-c"], input=data, capture_output=True,
                         check=True).stdout
    return time.perf_counter() - t0, len(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = mixed(args.size_mb)
    threads = os.cpu_count() or 1
    cases = {f"isal igzip_threaded level {lv}": (lambda d, lv=lv: library(
        igzip_threaded.open, lv, d, threads)) for lv in (0, 1, 2, 3)}
    cases |= {f"zlib-ng gzip_ng_threaded level {lv}": (lambda d, lv=lv: library(
        gzip_ng_threaded.open, lv, d, threads)) for lv in (1, 2, 6)}
    cases["gzip -6 command (tar czf)"] = lambda d: command(6, d)
    times: dict[str, list[float]] = {k: [] for k in cases}
    sizes: dict[str, int] = {}
    for run in range(args.runs):
        order = list(cases) if run % 2 == 0 else list(reversed(cases))
        for name in order:
            t, n = cases[name](data)
            times[name].append(t)
            sizes[name] = n
    print(f"{len(data) / 1e6:.0f} MB mixed (50 % text, 35 % random, 15 % zeros), "
          f"{args.runs} interleaved runs, {threads} threads")
    for name in cases:
        print(f"  {name:<36} median {statistics.median(times[name]):6.2f} s"
              f"   ratio {sizes[name] / len(data):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
