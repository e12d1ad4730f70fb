"""Shared pieces of the hostile-input tests of config, injection, deadlines and the audit log.

`run_primetui` runs the installed console script (`.venv/bin/primetui`) as a person or cron
would; `SlowAws` is a tiny local HTTP server standing in for an AWS endpoint that misbehaves
(AWS itself cannot run here): it trickles its answer one byte a second, or answers 200 with
a body that is not XML.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PRIMETUI = Path(sys.executable).with_name("primetui")


def private_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment with private HOME and XDG dirs, dummy AWS keys and no real profile."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PRIMETUI_"))}
    (tmp / "aws").mkdir(exist_ok=True)
    for name in ("config", "credentials"):
        (tmp / "aws" / name).write_text("")
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "xdg-config"),
               XDG_STATE_HOME=str(tmp / "xdg-state"), AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-2",
               AWS_CONFIG_FILE=str(tmp / "aws" / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp / "aws" / "credentials"),
               AWS_EC2_METADATA_DISABLED="true", **extra)
    (tmp / "home").mkdir(exist_ok=True)
    return env


def run_primetui(*args: str, env: dict[str, str], timeout: float = 120,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `primetui` console script, stdin closed, output captured."""
    return subprocess.run([str(PRIMETUI), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def assert_one_sentence(stderr: str) -> None:
    """stderr is one `primetui: …` line, with no traceback and no "unexpected error"."""
    assert stderr.startswith("primetui: "), stderr
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and "unexpected error" not in stderr, stderr


class _Handler(BaseHTTPRequestHandler):
    """Answers every request the way the server's `mode` says."""

    server: SlowAwsServer

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests += 1
        if self.server.mode == "not-xml":
            body = b"<<<this is not XML, not JSON, just a proxy's login page>>>"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)  # trickle: the headers, then one byte a second
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            while not self.server.stopping.is_set():
                self.wfile.write(b" ")
                self.wfile.flush()
                self.server.stopping.wait(1.0)
        except OSError:
            pass  # the client gave up

    do_GET = do_POST = _answer


class SlowAwsServer(ThreadingHTTPServer):
    """A local stand-in for a misbehaving AWS endpoint."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.requests = 0
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def slow_aws(mode: str) -> Iterator[SlowAwsServer]:
    """`trickle` (one byte a second, never done) or `not-xml` (200 with a non-XML body)."""
    server = SlowAwsServer(mode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def aws_config(tmp: Path, endpoint: str, *, deadline: float = 2.0, extra: str = "") -> Path:
    """A config file pointing AWS at `endpoint`, with a short overall deadline per call."""
    path = tmp / "config.toml"
    path.write_text(f'[aws]\nendpoint_url = "{endpoint}"\nregion = "us-east-2"\n'
                    f"deadline = {deadline}\nread_timeout = 30\nmax_attempts = 1\n"
                    f'[backups]\nsource = "{tmp / "project"}"\n'
                    f'destination = "{tmp / "backups"}"\n{extra}')
    path.chmod(0o600)
    return path


class Stopwatch:
    """Seconds since it was made."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0
