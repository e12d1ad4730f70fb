"""A moto server on a loopback port: the fake AWS behind `--demo` and the tests.

moto is imported only when a server is started, because it is heavy and only the sandbox
and the tests need it. moto keeps its fake accounts in process-wide memory, so two
servers in one process share state and `reset()` clears both.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass, field
from typing import Any

# Dummy credentials for the local fake: moto accepts any key, and real AWS rejects these.
DUMMY_KEY = "testing"


@dataclass
class MotoServer:
    """A running moto server on 127.0.0.1; stop it with `stop()` (safe to call twice)."""

    endpoint_url: str
    """The URL to send AWS calls to, e.g. http://127.0.0.1:PORT."""
    port: int
    """The loopback port the server listens on."""
    _server: Any = field(repr=False, default=None)
    _stopped: bool = field(repr=False, default=False)

    def reset(self, timeout: float = 10.0) -> None:
        """Forget every fake resource (POST /moto-api/reset), as if the server were new."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"",
                                         method="POST")
        # An empty ProxyHandler: a proxy from the environment must not see loopback calls.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            response.read()

    def stop(self) -> None:
        """Shut the server down and wait for its thread; does nothing the second time."""
        if self._stopped or self._server is None:
            self._stopped = True
            return
        self._stopped = True
        self._server.stop()

    @property
    def running(self) -> bool:
        """Whether the server has been started and not yet stopped."""
        return self._server is not None and not self._stopped

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _silence_werkzeug() -> None:
    """Keep werkzeug's per-request lines off the terminal (they would tear the TUI)."""
    log = logging.getLogger("werkzeug")
    log.setLevel(logging.ERROR)
    # werkzeug adds its own stderr handler when the logger has none: give it a silent one.
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())


def start_moto(port: int | None = None) -> MotoServer:
    """Start a threaded moto server on 127.0.0.1 (a free port unless one is given)."""
    from moto.server import ThreadedMotoServer

    _silence_werkzeug()
    # Port 0 lets the kernel choose a free port at bind time: no race with other servers.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port or 0, verbose=False)
    server.start()
    _host, bound = server.get_host_and_port()
    return MotoServer(endpoint_url=f"http://127.0.0.1:{bound}", port=bound, _server=server)


def dummy_aws_env(endpoint_url: str, region: str = "us-east-2") -> dict[str, str]:
    """Environment variables that point boto3 and the aws CLI at a local fake AWS.

    The keys are dummies for moto, not secrets. Instance metadata is turned off so that
    nothing ever looks for credentials beyond loopback.
    """
    return {
        "AWS_ACCESS_KEY_ID": DUMMY_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
