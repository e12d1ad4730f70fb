"""A local TLS endpoint whose certificate expires soon, and the small CA helpers behind it.

The sandbox shows the Certificates tab something worth warning about: a real TLS server on
127.0.0.1 whose leaf (signed by a private CA) expires in a few days. A handshake with SNI
sees exactly what it would see from a production web server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
             b"Connection: close\r\n\r\nprime sandbox TLS endpoint\n")


@dataclass(frozen=True)
class CertificateFiles:
    """A certificate and its key written as PEM files."""

    cert_file: Path
    key_file: Path
    not_after: dt.datetime
    serial: int


def make_ca(common_name: str) -> tuple[Any, Any]:
    """A self-signed P-256 CA (key, certificate) valid for ten years."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(ca_key: Any, ca_cert: Any, names: list[str], not_after: dt.datetime) -> tuple[Any, Any]:
    """A P-256 server certificate for `names` (DNS names or IP addresses) signed by the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    not_before = min(dt.datetime.now(dt.UTC), not_after) - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def cert_pem(cert: Any) -> bytes:
    """A certificate as PEM bytes."""
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def write_key(path: Path, key: Any) -> Path:
    """Write a private key as unencrypted PKCS#8 PEM with mode 0600."""
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    path.touch(mode=0o600)
    path.write_bytes(data)
    return path


def write_leaf(directory: Path, ca_key: Any, ca_cert: Any, names: list[str],
               not_after: dt.datetime, stem: str = "server") -> CertificateFiles:
    """Make a leaf for `names` and write `<stem>.pem` (leaf + CA chain) and `<stem>.key`."""
    key, cert = make_leaf(ca_key, ca_cert, names, not_after)
    cert_file = directory / f"{stem}.pem"
    cert_file.write_bytes(cert_pem(cert) + cert_pem(ca_cert))
    key_file = write_key(directory / f"{stem}.key", key)
    return CertificateFiles(cert_file, key_file, cert.not_valid_after_utc, cert.serial_number)


@dataclass
class TlsEndpoint:
    """A TLS server on 127.0.0.1 serving a certificate for `domain` signed by a private CA."""

    host: str
    port: int
    domain: str
    ca_file: Path
    not_after: dt.datetime
    serial: int
    _listener: socket.socket = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _directory: Path | None = field(default=None, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def address(self) -> str:
        """The endpoint as "host:port", the form certificates.endpoints takes."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and remove the private files (safe to call twice)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)


def start_tls_endpoint(domain: str, *, days_left: int = 4, port: int | None = None,
                       directory: Path | None = None) -> TlsEndpoint:
    """Serve TLS for `domain` on 127.0.0.1 with a leaf that expires in `days_left` days.

    The leaf expires `days_left` days and one hour from now, so a probe that counts whole
    days left reports exactly `days_left`. Files go in `directory` (kept), or a private
    temporary directory removed by `stop()`.
    """
    own = directory is None
    workdir = Path(tempfile.mkdtemp(prefix="primetui-tls-")) if directory is None else directory
    workdir.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(f"primetui sandbox CA for {domain}")
    ca_file = workdir / "ca.pem"
    ca_file.write_bytes(cert_pem(ca_cert))
    not_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(
        days=days_left, hours=1)
    leaf = write_leaf(workdir, ca_key, ca_cert, [domain], not_after, stem=domain)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.cert_file, leaf.key_file)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port or 0))
    listener.listen(64)
    thread = threading.Thread(target=_serve, args=(listener, context), daemon=True,
                              name=f"tls-endpoint-{domain}")
    endpoint = TlsEndpoint("127.0.0.1", listener.getsockname()[1], domain, ca_file,
                           leaf.not_after, leaf.serial, listener, thread,
                           workdir if own else None)
    thread.start()
    return endpoint


def _serve(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Accept connections until the listener is closed; each client gets its own thread."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_answer, args=(conn, context), daemon=True).start()


def _answer(conn: socket.socket, context: ssl.SSLContext) -> None:
    """Handshake, read a request if one comes, answer with a tiny HTTP response, close.

    Clients that only want the certificate drop the connection after the handshake; that
    is normal here, so every socket error just ends this connection.
    """
    conn.settimeout(5)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            with contextlib.suppress(OSError):
                if tls.recv(4096):
                    tls.sendall(_RESPONSE)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


__all__ = ["CertificateFiles", "TlsEndpoint", "cert_pem", "make_ca", "make_leaf", "start_tls_endpoint",
           "write_key", "write_leaf"]
