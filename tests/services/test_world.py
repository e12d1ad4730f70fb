"""The practice world behind --demo: its config, its services, and a clean stop."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import tempfile
from pathlib import Path

import boto3
import pytest
from cryptography import x509

from primetui.config import load_settings
from primetui.errors import AwsError
from primetui.sandbox import tools, world
from primetui.sandbox.world import DOMAIN, WWW_DOMAIN, Sandbox
from tests.fixtures.common import require_binary


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:][:1] != b"Z"


def served_certificate(address: str, server_name: str, cafile: Path) -> x509.Certificate:
    """The certificate a verified TLS handshake with SNI sees at "host:port"."""
    host, port = address.rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def test_sandbox_config_is_accepted_by_load_settings(sandbox: Sandbox) -> None:
    settings = load_settings(sandbox.config_path)
    assert sandbox.settings is not None and sandbox.settings.demo
    assert sandbox.settings == settings
    assert sandbox.missing == {} and sandbox.failed == {}
    assert settings.aws.endpoint_url == sandbox.environment["AWS_ENDPOINT_URL"]
    prod = settings.servers["prod"]
    assert sandbox.sshd is not None and sandbox.seed is not None
    assert (prod.host, prod.port, prod.profile) == ("127.0.0.1", sandbox.sshd.port, "sandbox")
    assert prod.instance == sandbox.seed.prod_instance_id
    assert set(prod.paths) == {"root", "nginx_prefix", "letsencrypt", "webroot", "www_root",
                               "conf_d", "home"}
    from primetui.remote.profiles import profile_for

    profile = profile_for(prod)
    assert sandbox.nginx is not None
    assert (profile.webroot, profile.conf_d) == (str(sandbox.nginx.webroot),
                                                 str(sandbox.nginx.conf_d))
    assert profile.nginx_prefix == str(sandbox.nginx.prefix)
    assert settings.certificates.domains == [DOMAIN, WWW_DOMAIN]
    assert settings.certificates.acme_server and "--config-dir" in settings.certificates.certbot
    assert settings.backups.source == str(sandbox.project)
    assert settings.maintenance.admin_cidr == "203.0.113.0/24"
    assert os.stat(sandbox.config_path).st_mode & 0o077 == 0


def test_sandbox_aws_account_is_seeded_and_reached_through_its_environment(
        sandbox: Sandbox) -> None:
    assert sandbox.seed is not None
    ec2 = boto3.client("ec2")  # endpoint, keys and region come from the sandbox's environment
    reservations = ec2.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": ["prime-prod"]}])["Reservations"]
    assert [i["InstanceId"] for r in reservations for i in r["Instances"]] == [
        sandbox.seed.prod_instance_id]


def test_sandbox_serves_both_certificates_and_the_bundle_verifies_them(sandbox: Sandbox) -> None:
    assert sandbox.settings is not None and sandbox.settings.certificates.ca_file is not None
    endpoints = sandbox.settings.certificates.endpoints
    bundle = sandbox.settings.certificates.ca_file
    now = dt.datetime.now(dt.UTC)
    soon = served_certificate(endpoints[DOMAIN], DOMAIN, bundle)
    assert (soon.not_valid_after_utc - now).days == 4
    issued = served_certificate(endpoints[WWW_DOMAIN], WWW_DOMAIN, bundle)
    assert dt.timedelta(days=9) < issued.not_valid_after_utc - now <= dt.timedelta(days=10)


def test_sandbox_server_is_reachable_over_ssh_with_strict_host_keys(sandbox: Sandbox) -> None:
    import paramiko

    assert sandbox.settings is not None
    prod = sandbox.settings.servers["prod"]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_host_keys(str(prod.known_hosts))
    try:
        client.connect(prod.host, port=prod.port, username=prod.user, key_filename=str(prod.key),
                       look_for_keys=False, allow_agent=False, timeout=5)
        _, out, _ = client.exec_command(f"cat {prod.paths['webroot']}/index.html", timeout=10)
        assert b"sandbox nginx" in out.read()
    finally:
        client.close()


def test_sandbox_stop_leaves_no_process_directory_or_environment_behind() -> None:
    require_binary(*(tools.find_binary(n) or n for n in ("sshd", "nginx", "pebble", "certbot")))
    before = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "GNUPGHOME", "AWS_PROFILE")}
    said: list[str] = []
    sandbox = Sandbox.start(on_progress=said.append)
    try:
        assert said[-1] == "The practice world is ready."
        assert os.environ["AWS_ENDPOINT_URL"] == sandbox.environment["AWS_ENDPOINT_URL"]
        import gnupg  # start a gpg agent in the sandbox's home, as a backup would

        assert gnupg.GPG().encrypt(b"x", recipients=None, symmetric="AES256",
                                   passphrase="practice", armor=False).ok
        assert sandbox.gpg is not None
        pids = sandbox.pids + sandbox.gpg.daemon_pids()
        assert len(pids) >= 5 and all(alive(pid) for pid in pids)
    finally:
        sandbox.stop()
    assert not [pid for pid in pids if alive(pid)]
    assert not sandbox.root.exists()
    assert {k: os.environ.get(k) for k in before} == before
    assert sandbox not in Sandbox._running
    sandbox.stop()


def test_sandbox_without_nginx_records_it_and_writes_a_valid_config(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = tools.find_binary
    monkeypatch.setattr(tools, "find_binary", lambda n: None if n == "nginx" else real(n))
    sandbox = Sandbox.start()
    try:
        assert sandbox.missing["nginx"] == tools.missing_message("nginx")
        assert sandbox.nginx is None and sandbox.pebble is None
        settings = load_settings(sandbox.config_path)
        assert settings.certificates.domains == [DOMAIN]
        assert settings.certificates.acme_server is None
        if sandbox.sshd is not None:
            assert settings.servers["prod"].paths == {"root": str(sandbox.root),
                                                     "home": str(sandbox.root / "prod-home")}
    finally:
        sandbox.stop()


def test_sandbox_without_services_keeps_aws_and_local_parts(tmp_path: Path) -> None:
    sandbox = Sandbox.start(tmp_path / "world", services=False)
    try:
        assert sandbox.pids == [] and sandbox.missing == {}
        settings = load_settings(sandbox.config_path)
        assert settings.servers == {}
        assert settings.certificates.server == "local"
        assert settings.certificates.domains == [DOMAIN]
        assert settings.aws.endpoint_url is not None
    finally:
        sandbox.stop()
    # A root the caller gave is left in place.
    assert (tmp_path / "world" / "config.toml").exists()


def test_sandbox_that_fails_to_start_stops_what_it_started(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    def broken_seed(endpoint_url: str, region: str) -> None:
        raise AwsError("The fake account could not be seeded.")

    monkeypatch.setattr(world, "seed_lab_account", broken_seed)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(AwsError, match="could not be seeded"):
        Sandbox.start(services=False)
    assert list(tmp_path.iterdir()) == []
    assert not [s for s in Sandbox._running if s.root.parent == tmp_path]


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line mentions `text` (a sandbox root, say)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read() and alive(int(entry)):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def test_sandbox_stopped_while_starting_leaves_nothing_running() -> None:
    require_binary(*(tools.find_binary(n) or n for n in ("sshd", "nginx", "pebble", "certbot")))
    roots: list[Path] = []

    def stop_midway(message: str) -> None:
        # What the CLI's signal handler does when the user interrupts the demo's start.
        if message.startswith("Starting nginx"):
            roots.append(Sandbox._running[-1].root)
            Sandbox._running[-1].stop()

    with pytest.raises(Exception):  # noqa: B017 - whichever part noticed first says so
        Sandbox.start(on_progress=stop_midway)
    assert roots and not roots[0].exists()
    assert processes_mentioning(str(roots[0])) == []
