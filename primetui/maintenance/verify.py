"""Checks that a host serves the domain: its certificate (cert_probe) and its page, over TLS with SNI.

`fetch` makes one HTTPS GET to an address with the domain as SNI and Host, as a browser
reaching that address for the domain would; `wait_until` repeats a check until it passes or
a deadline comes (an nginx reload, an Elastic IP move and DNS all take a moment).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from primetui.certificates.probe import ProbeState, parse_address, probe_endpoint
from primetui.errors import PrimeError
from primetui.maintenance.page import MARKER_HEADER, MARKER_META

MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class PageAnswer:
    """What one HTTPS GET got: the status, Retry-After, whether it is the maintenance page."""

    address: str
    status: int | None
    retry_after: str | None = None
    maintenance: bool = False
    error: str = ""
    body: str = ""

    def describe(self) -> str:
        """One line for the log."""
        if self.status is None:
            return f"{self.address}: {self.error}"
        page = "the maintenance page" if self.maintenance else "not the maintenance page"
        after = f", Retry-After {self.retry_after}" if self.retry_after else ""
        return f"{self.address} answered {self.status} ({page}{after})."


def fetch(domain: str, address: str, *, path: str = "/", timeout: float = 5.0) -> PageAnswer:
    """GET https://DOMAIN/PATH from `address` (SNI and Host: DOMAIN); never raises."""
    host, port = parse_address(address)
    where = f"{host}:{port}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # the chain is checked by the probe
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=domain) as tls:
            request = (f"GET {path} HTTP/1.1\r\nHost: {domain}\r\nUser-Agent: primetui\r\n"
                       f"Accept: text/html\r\nConnection: close\r\n\r\n")
            tls.sendall(request.encode("ascii"))
            response = http.client.HTTPResponse(tls)
            response.begin()
            body = response.read(MAX_BODY).decode("utf-8", errors="replace")
            headers = response.headers
    except (OSError, ssl.SSLError, http.client.HTTPException) as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        return PageAnswer(where, None, error=f"no answer ({reason})")
    marked = headers.get(MARKER_HEADER) is not None or MARKER_META in body
    return PageAnswer(where, response.status, headers.get("Retry-After"),
                      maintenance=response.status == 503 and marked, body=body)


def wait_until(check: Callable[[], tuple[bool, str]], *, timeout: float, interval: float = 0.5,
               emit: Callable[[str], None] | None = None,
               is_cancelled: Callable[[], bool] = lambda: False) -> tuple[bool, str]:
    """Run `check` until it passes or `timeout` seconds pass; (passed, the last message)."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        ok, message = check()
        if message != last and emit is not None:
            emit(message)
        last = message
        if ok or time.monotonic() >= deadline or is_cancelled():
            return ok, message
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def serves_maintenance(domain: str, address: str, ca_file: Path | None,
                       timeout: float) -> tuple[bool, str]:
    """Whether `address` serves DOMAIN's valid certificate and the maintenance page (503)."""
    probe = probe_endpoint(domain, address, timeout=timeout, ca_file=ca_file)
    if probe.state is not ProbeState.OK:
        return False, probe.message
    answer = fetch(domain, address, path="/any/path", timeout=timeout)
    if not answer.maintenance or not answer.retry_after:
        return False, answer.describe()
    return True, f"{probe.message} {answer.describe()}"


def serves_site(domain: str, address: str, ca_file: Path | None,
                timeout: float) -> tuple[bool, str]:
    """Whether `address` answers for DOMAIN with a valid certificate and not the maintenance page."""
    probe = probe_endpoint(domain, address, timeout=timeout, ca_file=ca_file)
    if probe.state is not ProbeState.OK:
        return False, probe.message
    answer = fetch(domain, address, timeout=timeout)
    if answer.status is None or answer.maintenance:
        return False, answer.describe()
    return True, answer.describe()


class VerificationFailed(PrimeError):
    """The maintenance host, or prod after the switch back, did not answer as expected."""
