"""The live side of a certificate: a TLS handshake with SNI, as a browser would make it.

Each probe has its own deadline (connect and handshake together) and ends in exactly one
state: unreachable, timed out, TLS failed, wrong name, expired, untrusted or ok. The chain
is verified against the system's CAs plus `certificates.ca_file`; the names are checked
separately, so a certificate for another name is "wrong name", never "untrusted". All
domains are probed at once, one thread each, so checking fifty takes as long as the
slowest one. cryptography is imported only when a certificate has to be read.
"""

from __future__ import annotations

import errno
import math
import socket
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from primetui.certificates.certbot import name_matches

MAX_THREADS = 64
"""At most this many endpoints are probed at a time (each probe bounded by its timeout)."""


class ProbeState(StrEnum):
    """How a probe of one endpoint ended."""

    OK = "ok"
    UNTRUSTED = "untrusted"
    EXPIRED = "expired"
    WRONG_NAME = "wrong name"
    TLS_FAILED = "TLS failed"
    TIMED_OUT = "timed out"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class EndpointProbe:
    """What one TLS handshake showed: the certificate served for `domain` at `address`."""

    domain: str
    address: str
    state: ProbeState
    message: str
    """One sentence for the person: what was found, or why nothing was."""
    subject: str | None = None
    names: tuple[str, ...] = ()
    issuer: str | None = None
    not_after: datetime | None = None
    days_left: int | None = None
    serial: str | None = None
    """Lower-case hex, as certbot's listing is normalised."""
    verified: bool = False
    """Whether the chain verified against the system's CAs and ca_file."""
    verify_error: str | None = None
    duration: float = 0.0

    @property
    def has_certificate(self) -> bool:
        """Whether a certificate was seen at all (the handshake got that far)."""
        return self.serial is not None


def parse_address(address: str, default_port: int = 443) -> tuple[str, int]:
    """"host", "host:port" or "[v6]:port" → (host, port)."""
    text = address.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port.isdigit() else default_port
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return text, default_port


def verifying_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trust store plus `ca_file`; names are checked by us, not by ssl."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    context.check_hostname = False
    return context


def _reading_context() -> ssl.SSLContext:
    """A context that accepts any certificate, to read one that did not verify."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def probe_endpoint(domain: str, address: str | None = None, *, timeout: float = 8.0,
                   ca_file: Path | None = None, context: ssl.SSLContext | None = None,
                   now: datetime | None = None) -> EndpointProbe:
    """Handshake with `address` (default `domain:443`) sending SNI `domain`; never raises."""
    address = address or domain
    host, port = parse_address(address)
    where = f"{host}:{port}"
    started = time.monotonic()
    deadline = started + timeout
    context = context or verifying_context(ca_file)

    def failed(state: ProbeState, message: str) -> EndpointProbe:
        return EndpointProbe(domain, where, state, message, duration=time.monotonic() - started)

    verify_error: str | None = None
    try:
        der = _handshake(host, port, domain, context, deadline)
        verified = True
    except ssl.SSLCertVerificationError as err:
        verify_error = err.verify_message or str(err)
        try:
            der = _handshake(host, port, domain, _reading_context(), deadline)
        except Exception as again:  # noqa: BLE001 - every failure becomes a state
            return failed(*_failure(again, domain, where, timeout))
        verified = False
    except Exception as err:  # noqa: BLE001
        return failed(*_failure(err, domain, where, timeout))
    return _describe(domain, where, der, verified, verify_error, now or datetime.now(UTC),
                     time.monotonic() - started)


def _handshake(host: str, port: int, domain: str, context: ssl.SSLContext,
               deadline: float) -> bytes:
    """Connect and complete a TLS handshake before `deadline`; the leaf as DER."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no time left")
    with socket.create_connection((host, port), timeout=remaining) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        with context.wrap_socket(sock, server_hostname=domain) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der


def _failure(err: BaseException, domain: str, where: str,
             timeout: float) -> tuple[ProbeState, str]:
    """The state and sentence for a probe that saw no certificate."""
    if isinstance(err, TimeoutError | socket.timeout):
        return ProbeState.TIMED_OUT, f"{where} did not answer within {timeout:g} s."
    if isinstance(err, socket.gaierror):
        return ProbeState.UNREACHABLE, f"{where.rsplit(':', 1)[0]} does not resolve."
    if isinstance(err, ssl.SSLError):
        reason = getattr(err, "reason", None) or str(err)
        return ProbeState.TLS_FAILED, (f"{where} answered, but the TLS handshake for {domain} "
                                       f"failed ({str(reason).lower().replace('_', ' ')}).")
    if isinstance(err, ConnectionRefusedError):
        return ProbeState.UNREACHABLE, f"{where} refused the connection."
    if isinstance(err, ConnectionResetError | BrokenPipeError | EOFError):
        return ProbeState.TLS_FAILED, (f"{where} closed the connection during the TLS "
                                       f"handshake for {domain}.")
    if isinstance(err, OSError):
        if err.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return ProbeState.UNREACHABLE, f"{where} is unreachable (no route)."
        reason = (err.strerror or str(err) or "connection failed").lower()
        return ProbeState.UNREACHABLE, f"{where} cannot be reached ({reason})."
    return ProbeState.TLS_FAILED, f"Probing {where} failed: {type(err).__name__}: {err}."


def _describe(domain: str, where: str, der: bytes, verified: bool, verify_error: str | None,
              now: datetime, duration: float) -> EndpointProbe:
    """Read the served leaf and decide the state: wrong name, expired, untrusted or ok."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*alt.get_values_for_type(x509.DNSName),
                 *(str(ip) for ip in alt.get_values_for_type(x509.IPAddress))]
    except x509.ExtensionNotFound:
        names = []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = str(cns[0].value) if cns else cert.subject.rfc4514_string()
    if not names and cns:
        names = [subject]
    issuer_cn = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    issuer = str(issuer_cn[0].value) if issuer_cn else cert.issuer.rfc4514_string()
    not_after = cert.not_valid_after_utc
    days_left = math.floor((not_after - now).total_seconds() / 86400)
    serial = format(cert.serial_number, "x")
    if not name_matches(domain, names):
        state = ProbeState.WRONG_NAME
        message = f"{where} serves a certificate for {', '.join(names[:3]) or subject}, not {domain}."
    elif not_after <= now:
        state = ProbeState.EXPIRED
        message = f"The certificate served for {domain} expired on {not_after:%Y-%m-%d %H:%M} UTC."
    elif not verified:
        state = ProbeState.UNTRUSTED
        message = f"The certificate served for {domain} is not trusted: {verify_error}."
    else:
        state = ProbeState.OK
        message = (f"{domain} serves serial {serial} from {issuer}, valid until "
                   f"{not_after:%Y-%m-%d %H:%M} UTC ({days_left} days left).")
    return EndpointProbe(domain, where, state, message, subject, tuple(names), issuer, not_after,
                         days_left, serial, verified, verify_error, duration)


def probe_endpoints(targets: Sequence[tuple[str, str | None]], *, timeout: float = 8.0,
                    ca_file: Path | None = None) -> list[EndpointProbe]:
    """Probe every (domain, address) at once, one thread each; results in the given order."""
    if not targets:
        return []
    context = verifying_context(ca_file)  # loading the trust store once serves every thread
    workers = min(len(targets), MAX_THREADS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tls-probe") as pool:
        futures = [pool.submit(probe_endpoint, domain, address, timeout=timeout,
                               context=context) for domain, address in targets]
        return [f.result() for f in futures]
