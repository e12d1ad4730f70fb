"""Start-up benchmark: process start → first frame of `primetui --demo`, against a bare Textual app.

Each program runs in a fresh pseudo-terminal of 120x36; the clock stops when the text that
only its first frame draws appears in the output. Runs alternate between the two programs so
that machine noise hits both alike; the report gives medians and the difference.
Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUDGET_MS = 150.0


def first_frame_seconds(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from fork to the first appearance of `marker` on the pty."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    seen = b""
    elapsed = float("nan")
    try:
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                elapsed = time.perf_counter() - t0
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                os.read(fd, 65536)  # keep draining so the child can finish writing
            except OSError:
                pass
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if elapsed != elapsed:
        raise SystemExit(f"{argv} never drew {marker!r}; last output: {seen[-300:]!r}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    python = sys.executable
    primetui = str(Path(python).with_name("primetui"))
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, TERM="xterm-256color", XDG_CONFIG_HOME=f"{home}/config",
                   XDG_STATE_HOME=f"{home}/state", COLUMNS="120", LINES="36")
        env.pop("PRIMETUI_CONFIG", None)
        bare: list[float] = []
        prime: list[float] = []
        for _ in range(args.runs):
            bare.append(first_frame_seconds([python, str(HERE / "bare_app.py")], b"bare textual app", env))
            prime.append(first_frame_seconds([primetui, "--demo"], b"Overview", env))
    b, p = statistics.median(bare) * 1000, statistics.median(prime) * 1000
    print(f"runs: {args.runs} each, alternating, 120x36 pty")
    print(f"bare Textual app   median {b:7.1f} ms  (min {min(bare) * 1000:.1f}, max {max(bare) * 1000:.1f})")
    print(f"primetui --demo    median {p:7.1f} ms  (min {min(prime) * 1000:.1f}, max {max(prime) * 1000:.1f})")
    print(f"difference         {p - b:+7.1f} ms  (budget +{BUDGET_MS:.0f} ms)  ratio {p / b:.2f}")
    return 0 if p - b <= BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
