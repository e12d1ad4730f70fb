"""The sandbox's real services: nginx, pebble + certbot, the TLS endpoint, gpg, the project."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from primetui.errors import MissingToolError, RemoteError
from primetui.sandbox import tools
from primetui.sandbox.acme import PebbleService, certbot_base, issue_certificate, start_pebble
from primetui.sandbox.gpg import GpgHome
from primetui.sandbox.nginx import NginxService, child_pids, start_nginx, tls_site
from primetui.sandbox.tls import TlsEndpoint
from tests.fixtures.common import require_binary

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str) -> bytes:
    with NO_PROXY.open(url, timeout=5) as answer:
        return answer.read()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:][:1] != b"Z"


def hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make the sandbox believe these programs are not installed."""
    real = tools.find_binary
    monkeypatch.setattr(tools, "find_binary", lambda n: None if n in names else real(n))


def handshake(port: int, server_name: str, cafile: Path | None = None) -> x509.Certificate:
    """A real TLS handshake with SNI; verified against `cafile` when one is given."""
    if cafile is None:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


# -- nginx -------------------------------------------------------------------------------

def test_nginx_serves_the_webroot_and_the_acme_challenge_path(nginx: NginxService) -> None:
    token = nginx.webroot / ".well-known" / "acme-challenge" / "token-serves"
    token.write_text("proof")
    token.chmod(0o644)
    assert b"sandbox nginx" in get(f"http://127.0.0.1:{nginx.http_port}/")
    url = f"http://127.0.0.1:{nginx.acme_port}/.well-known/acme-challenge/token-serves"
    with NO_PROXY.open(url, timeout=5) as answer:
        assert answer.read() == b"proof"
        assert answer.headers["Content-Type"] == "text/plain"
    assert stat.S_IMODE(nginx.webroot.stat().st_mode) & 0o005 == 0o005


def test_nginx_reload_picks_up_a_new_conf_d_server_block(nginx: NginxService) -> None:
    port = tools.free_port()
    site = nginx.write_site("reload-test", f"server {{ listen 127.0.0.1:{port}; "
                                           f"root {nginx.webroot}; }}\n")
    try:
        with pytest.raises(urllib.error.URLError):
            get(f"http://127.0.0.1:{port}/")
        nginx.reload()
        assert b"sandbox nginx" in get(f"http://127.0.0.1:{port}/")
    finally:
        site.unlink()
        nginx.reload()


def test_nginx_test_reports_a_broken_config_and_reload_refuses_it(nginx: NginxService) -> None:
    site = nginx.write_site("broken", "server { listen 127.0.0.1:1; nonsense_directive on; }\n")
    try:
        check = nginx.test()
        assert not check.ok
        assert "nonsense_directive" in check.output
        with pytest.raises(RemoteError, match="nginx refused"):
            nginx.reload()
        assert b"sandbox nginx" in get(f"http://127.0.0.1:{nginx.http_port}/")
    finally:
        site.unlink()
    assert nginx.test().ok


def test_nginx_stop_ends_the_master_and_its_workers(tmp_path: Path) -> None:
    require_binary(tools.find_binary("nginx") or "nginx")
    service = start_nginx(tmp_path / "nginx")
    workers = child_pids(service.pid)
    assert workers
    service.stop()
    assert not any(alive(pid) for pid in [service.pid, *workers])
    service.stop()


def test_start_nginx_without_nginx_says_which_package(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    hide(monkeypatch, "nginx")
    with pytest.raises(MissingToolError, match=r"apt-get install nginx"):
        start_nginx(tmp_path / "nginx")


# -- pebble + certbot --------------------------------------------------------------------

ISSUED_DOMAIN = "www.issue-test.example.test"


@pytest.fixture(scope="module")
def issued(pebble: PebbleService, nginx: NginxService,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str | None]:
    """One certificate issued by certbot from pebble for this module: (live dir, CA env seen)."""
    require_binary(tools.find_binary("certbot") or "certbot")
    le_dir = tmp_path_factory.mktemp("le")
    before = os.environ.get("REQUESTS_CA_BUNDLE")
    live = issue_certificate(pebble, le_dir, nginx.webroot, [ISSUED_DOMAIN])
    assert os.environ.get("REQUESTS_CA_BUNDLE") == before  # set for certbot's process only
    return live, before


def test_certbot_issues_a_real_ten_day_certificate_from_pebble(
        issued: tuple[Path, str | None], pebble: PebbleService) -> None:
    live, _ = issued
    leaf = x509.load_pem_x509_certificate((live / "cert.pem").read_bytes())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [ISSUED_DOMAIN]
    lifetime = leaf.not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=9, hours=23) < lifetime <= dt.timedelta(days=10)
    # The served chain verifies up to this pebble run's issuing root.
    chain = x509.load_pem_x509_certificates((live / "fullchain.pem").read_bytes())
    root = x509.load_pem_x509_certificate(pebble.issuer_root())
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(
        x509.DNSName(ISSUED_DOMAIN))
    verifier.verify(chain[0], chain[1:])


def test_nginx_serves_the_issued_certificate_over_tls(
        issued: tuple[Path, str | None], pebble: PebbleService, nginx: NginxService,
        tmp_path: Path) -> None:
    live, _ = issued
    port = tools.free_port()
    site = nginx.write_site("served-test", tls_site(port=port, domain=ISSUED_DOMAIN, live=live,
                                                    root=nginx.webroot, webroot=nginx.webroot))
    bundle = tmp_path / "root.pem"
    bundle.write_bytes(pebble.issuer_root())
    try:
        nginx.reload()
        served = handshake(port, ISSUED_DOMAIN, bundle)
        issued_cert = x509.load_pem_x509_certificate((live / "cert.pem").read_bytes())
        assert served.serial_number == issued_cert.serial_number
    finally:
        site.unlink()
        nginx.reload()


def test_certbot_base_keeps_all_state_under_the_given_directory(tmp_path: Path) -> None:
    cmd = certbot_base(tmp_path, "https://127.0.0.1:1/dir")
    for flag, sub in (("--config-dir", "config"), ("--work-dir", "work"), ("--logs-dir", "logs")):
        assert cmd[cmd.index(flag) + 1] == str(tmp_path / sub)
    assert cmd[cmd.index("--server") + 1] == "https://127.0.0.1:1/dir"
    assert "--non-interactive" in cmd


def test_start_pebble_without_pebble_says_which_package(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    hide(monkeypatch, "pebble-challtestsrv")
    with pytest.raises(MissingToolError, match=r"apt-get install pebble"):
        start_pebble(tmp_path, http_port=tools.free_port())


def test_issue_without_certbot_says_which_package(monkeypatch: pytest.MonkeyPatch,
                                                  pebble: PebbleService, tmp_path: Path) -> None:
    hide(monkeypatch, "certbot")
    with pytest.raises(MissingToolError, match=r"apt-get install certbot"):
        issue_certificate(pebble, tmp_path / "le", tmp_path, ["x.example.test"])


# -- the soon-expiring TLS endpoint --------------------------------------------------------

def test_tls_endpoint_serves_a_certificate_expiring_in_four_days(tls_endpoint: TlsEndpoint) -> None:
    served = handshake(tls_endpoint.port, "prime.example.test", tls_endpoint.ca_file)
    assert (served.not_valid_after_utc - dt.datetime.now(dt.UTC)).days == 4
    assert served.not_valid_after_utc == tls_endpoint.not_after
    assert served.serial_number == tls_endpoint.serial
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["prime.example.test"]


def test_tls_endpoint_refuses_verification_for_another_name(tls_endpoint: TlsEndpoint) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls_endpoint.port, "other.example.test", tls_endpoint.ca_file)


def test_tls_endpoint_keeps_serving_after_clients_drop(tls_endpoint: TlsEndpoint) -> None:
    socket.create_connection(("127.0.0.1", tls_endpoint.port), timeout=5).close()
    with socket.create_connection(("127.0.0.1", tls_endpoint.port), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05hello")  # half a ClientHello, then gone
    context = ssl.create_default_context(cafile=str(tls_endpoint.ca_file))
    with socket.create_connection(("127.0.0.1", tls_endpoint.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="prime.example.test") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: prime.example.test\r\n\r\n")
            assert tls.recv(4096).startswith(b"HTTP/1.1 200 OK")


def test_tls_endpoint_stop_closes_the_port(tmp_path: Path) -> None:
    from primetui.sandbox.tls import start_tls_endpoint

    endpoint = start_tls_endpoint("gone.example.test", days_left=-2)
    served = handshake(endpoint.port, "gone.example.test")
    assert served.not_valid_after_utc < dt.datetime.now(dt.UTC)
    endpoint.stop()
    endpoint.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", endpoint.port), timeout=2).close()
    assert not endpoint.ca_file.exists()


# -- gpg home and the sample project -------------------------------------------------------

def test_gpg_home_is_private_and_stop_ends_its_agent(gpg_home: GpgHome) -> None:
    import gnupg

    assert stat.S_IMODE(gpg_home.path.stat().st_mode) == 0o700
    gpg = gnupg.GPG(gnupghome=str(gpg_home.path))
    sealed = gpg.encrypt(b"fake secret", recipients=None, symmetric="AES256",
                         passphrase="practice only", armor=False)
    assert sealed.ok
    # The agent caches nothing: a wrong passphrase still fails right after the right one.
    assert gpg.decrypt(sealed.data, passphrase="practice only").data == b"fake secret"
    assert not gpg.decrypt(sealed.data, passphrase="wrong").ok
    agents = gpg_home.daemon_pids()
    assert agents
    gpg_home.stop()
    assert not any(alive(pid) for pid in agents)
    assert gpg_home.daemon_pids() == []


def test_sample_project_has_a_readable_env_kept_out_of_git(sample_project: Path) -> None:
    assert stat.S_IMODE((sample_project / ".env").stat().st_mode) == 0o644
    assert "FAKE" in (sample_project / ".env").read_text()
    for name in (".env.production", "config/app.toml", "config/nginx/site.conf"):
        assert (sample_project / name).is_file()
    assert ".env" in (sample_project / ".gitignore").read_text().splitlines()
    git = tools.find_binary("git")
    if git is None:
        pytest.skip("git is not installed")
    tracked = subprocess.run([git, "log", "--all", "--name-only", "--format="], cwd=sample_project,
                             capture_output=True, text=True, check=True).stdout.split()
    assert "config/app.toml" in tracked
    assert not [name for name in tracked if name.startswith(".env")]
