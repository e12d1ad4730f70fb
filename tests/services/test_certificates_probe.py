"""The live probe against real TLS servers on loopback: every state distinct, SNI sent,
the chain verified against ca_file, and all endpoints probed at the same time."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from primetui.certificates.probe import ProbeState, probe_endpoint, probe_endpoints
from primetui.certificates.service import CertificatesService
from primetui.config import CertificateSettings
from primetui.remote.profiles import profile_for
from primetui.sandbox.tls import TlsEndpoint, cert_pem, make_ca, start_tls_endpoint, write_leaf
from primetui.sandbox.tools import free_port

pytestmark = pytest.mark.services
DOMAIN = "prime.example.test"


@contextlib.contextmanager
def serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback server calling `handle(conn)` in a thread per connection; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        thread.join(5)


def tls_handler(context: ssl.SSLContext, before: Callable[[], None] = lambda: None):
    def handle(conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            before()
            with context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError, threading.BrokenBarrierError):
            conn.close()
    return handle


def server_context(directory: Path, ca: tuple, names: list[str], days: int = 30) -> ssl.SSLContext:
    leaf = write_leaf(directory, *ca, names, dt.datetime.now(dt.UTC) + dt.timedelta(days=days),
                      stem=names[0].replace("*", "star"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.cert_file, leaf.key_file)
    return context


@pytest.fixture
def expired(tmp_path: Path) -> Iterator[TlsEndpoint]:
    endpoint = start_tls_endpoint(DOMAIN, days_left=-2, directory=tmp_path / "expired")
    yield endpoint
    endpoint.stop()


def test_a_good_endpoint_shows_names_issuer_expiry_serial_and_a_verified_chain(tls_endpoint) -> None:
    probe = probe_endpoint(DOMAIN, tls_endpoint.address, ca_file=tls_endpoint.ca_file, timeout=5)
    assert probe.state is ProbeState.OK and probe.verified and probe.verify_error is None
    assert probe.subject == DOMAIN and probe.names == (DOMAIN,)
    assert probe.issuer == f"primetui sandbox CA for {DOMAIN}"
    assert probe.not_after == tls_endpoint.not_after and probe.days_left == 4
    assert probe.serial == format(tls_endpoint.serial, "x")
    assert probe.message.endswith("(4 days left).")


def test_a_chain_the_system_does_not_trust_is_untrusted_but_still_read(tls_endpoint) -> None:
    probe = probe_endpoint(DOMAIN, tls_endpoint.address, timeout=5)
    assert probe.state is ProbeState.UNTRUSTED and not probe.verified
    assert probe.verify_error == "self-signed certificate in certificate chain"
    assert probe.serial == format(tls_endpoint.serial, "x") and probe.days_left == 4


def test_expired_is_its_own_state(expired) -> None:
    probe = probe_endpoint(DOMAIN, expired.address, ca_file=expired.ca_file, timeout=5)
    assert probe.state is ProbeState.EXPIRED and probe.days_left == -2
    assert probe.message.startswith(f"The certificate served for {DOMAIN} expired on ")


def test_a_certificate_for_another_name_is_wrong_name(tls_endpoint) -> None:
    probe = probe_endpoint("shop.example.test", tls_endpoint.address,
                           ca_file=tls_endpoint.ca_file, timeout=5)
    assert probe.state is ProbeState.WRONG_NAME and probe.verified
    assert probe.message == (f"{tls_endpoint.address} serves a certificate for {DOMAIN}, not "
                             f"shop.example.test.")


def test_nothing_listening_is_unreachable() -> None:
    port = free_port()
    probe = probe_endpoint(DOMAIN, f"127.0.0.1:{port}", timeout=5)
    assert probe.state is ProbeState.UNREACHABLE
    assert probe.message == f"127.0.0.1:{port} refused the connection."


def test_a_server_that_never_answers_times_out_within_the_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody speaks
        port = silent.getsockname()[1]
        probe = probe_endpoint(DOMAIN, f"127.0.0.1:{port}", timeout=0.5)
    assert probe.state is ProbeState.TIMED_OUT
    assert probe.message == f"127.0.0.1:{port} did not answer within 0.5 s."
    assert 0.5 <= probe.duration < 2


def test_a_server_that_does_not_speak_tls_is_a_failed_handshake() -> None:
    def plain_http(conn: socket.socket) -> None:
        with conn:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with serving(plain_http) as port:
        probe = probe_endpoint(DOMAIN, f"127.0.0.1:{port}", timeout=5)
    assert probe.state is ProbeState.TLS_FAILED
    assert probe.message.startswith(f"127.0.0.1:{port} answered, but the TLS handshake for "
                                    f"{DOMAIN} failed (")


def test_the_four_failure_states_are_never_mixed_up(tls_endpoint, expired) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        targets = [(DOMAIN, f"127.0.0.1:{free_port()}"),
                   (DOMAIN, f"127.0.0.1:{silent.getsockname()[1]}"),
                   ("shop.example.test", tls_endpoint.address),
                   (DOMAIN, expired.address)]
        states = [p.state for p in probe_endpoints(targets, timeout=0.5)]
    assert states == [ProbeState.UNREACHABLE, ProbeState.TIMED_OUT, ProbeState.WRONG_NAME,
                      ProbeState.EXPIRED]


def test_sni_selects_the_certificate_for_each_domain(tmp_path: Path) -> None:
    ca = make_ca("test CA")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(cert_pem(ca[1]))
    contexts = {"a.example.test": server_context(tmp_path, ca, ["a.example.test"], 10),
                "b.example.test": server_context(tmp_path, ca, ["*.example.test"], 40)}
    default = contexts["a.example.test"]

    def pick(sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        sock.context = contexts.get(name or "", default)

    default.sni_callback = pick
    with serving(tls_handler(default)) as port:
        a, b = probe_endpoints([("a.example.test", f"127.0.0.1:{port}"),
                                ("b.example.test", f"127.0.0.1:{port}")], ca_file=ca_file)
    assert (a.state, a.names, a.days_left) == (ProbeState.OK, ("a.example.test",), 9)
    assert (b.state, b.names, b.days_left) == (ProbeState.OK, ("*.example.test",), 39)


def test_all_endpoints_are_probed_at_the_same_time(tmp_path: Path) -> None:
    # The server completes no handshake until all three probes are connected: probing one
    # after another would time out on the first.
    ca = make_ca("test CA")
    barrier = threading.Barrier(3, timeout=5)
    context = server_context(tmp_path, ca, [DOMAIN])
    with serving(tls_handler(context, before=barrier.wait)) as port:
        probes = probe_endpoints([(DOMAIN, f"127.0.0.1:{port}")] * 3, timeout=3)
    assert [p.state for p in probes] == [ProbeState.UNTRUSTED] * 3


def test_the_service_probes_the_configured_endpoint_or_the_domain_itself(tls_endpoint) -> None:
    from primetui.config import ServerSettings

    settings = CertificateSettings(domains=[DOMAIN, "unresolvable.invalid"],
                                   endpoints={DOMAIN: tls_endpoint.address},
                                   ca_file=tls_endpoint.ca_file, timeout=3)
    service = CertificatesService(settings, runner=None,  # type: ignore[arg-type]
                                  profile=profile_for(ServerSettings(host="h")))
    assert service.targets() == [(DOMAIN, tls_endpoint.address),
                                 ("unresolvable.invalid", "unresolvable.invalid:443")]
    probes = service.probe()
    assert probes[DOMAIN].state is ProbeState.OK
    assert probes["unresolvable.invalid"].state is ProbeState.UNREACHABLE
    assert probes["unresolvable.invalid"].message == "unresolvable.invalid does not resolve."
