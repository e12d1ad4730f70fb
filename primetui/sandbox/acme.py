"""Let's Encrypt's test ACME server (pebble) on loopback, and certbot pointed at it.

Port of pebble_start.sh / certbot_issue.sh. Pebble validates HTTP-01 challenges by
connecting to 127.0.0.1:`http_port` (the sandbox nginx's ACME port) and resolves every
name through its own mock DNS (pebble-challtestsrv), so nothing leaves the machine.
Pebble keeps its state in memory: every run needs a fresh certbot config directory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from primetui.errors import MissingToolError, RemoteError
from primetui.sandbox import tools
from primetui.sandbox.tls import cert_pem, make_ca, write_leaf
from primetui.sandbox.tools import free_port, missing_message, stop_pid, wait_for_port


@dataclass
class PebbleService:
    """A running pebble and its mock DNS, with what clients need to trust it."""

    directory_url: str
    listener_ca: Path
    pids: list[int]
    management_url: str
    workdir: Path
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    _root: bytes | None = field(default=None, repr=False)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.listener_ca))

    def issuer_root(self) -> bytes:
        """The PEM root that signs this run's certificates (pebble makes a new one each start)."""
        if self._root is None:
            url = f"{self.management_url}/roots/0"
            with urllib.request.urlopen(url, context=self._context(), timeout=10) as answer:
                self._root = answer.read()
        return self._root

    def stop(self) -> None:
        """Stop pebble and its mock DNS by pid; safe to call twice."""
        for pid in self.pids:
            stop_pid(pid)
        for process in self._processes:
            process.poll()


def start_pebble(workdir: Path, *, http_port: int, cert_validity: int = 864000) -> PebbleService:
    """Start pebble + pebble-challtestsrv on free loopback ports; returns once `/dir` answers.

    `cert_validity` is the lifetime of issued certificates in seconds (ten days by
    default, so a plain `certbot renew` finds them due).
    """
    pebble, challtestsrv = tools.find_binary("pebble"), tools.find_binary("pebble-challtestsrv")
    for name, binary in (("pebble", pebble), ("pebble-challtestsrv", challtestsrv)):
        if binary is None:
            raise MissingToolError(missing_message(name))
    assert pebble is not None and challtestsrv is not None
    workdir.mkdir(parents=True, exist_ok=True)
    listen, mgmt, tls_port, dns, dns_mgmt = (free_port() for _ in range(5))
    listener_ca = _listener_certificate(workdir)
    config = {"pebble": {
        "listenAddress": f"127.0.0.1:{listen}", "managementListenAddress": f"127.0.0.1:{mgmt}",
        "certificate": str(workdir / "listener.pem"), "privateKey": str(workdir / "listener.key"),
        "httpPort": http_port, "tlsPort": tls_port, "ocspResponderURL": "",
        "externalAccountBindingRequired": False, "certificateValidityPeriod": cert_validity,
    }}
    (workdir / "pebble-config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    service = PebbleService(f"https://127.0.0.1:{listen}/dir", listener_ca, [],
                            f"https://127.0.0.1:{mgmt}", workdir)
    # The mock DNS answers 127.0.0.1 for every name; without it pebble would ask the
    # resolver in /etc/resolv.conf, which is off this machine.
    dns_cmd = [challtestsrv, "-dns01", f"127.0.0.1:{dns}", "-http01", "", "-https01", "",
               "-tlsalpn01", "", "-management", f"127.0.0.1:{dns_mgmt}",
               "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]
    pebble_cmd = [pebble, "-config", str(workdir / "pebble-config.json"),
                  "-dnsserver", f"127.0.0.1:{dns}"]
    env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
           "PEBBLE_VA_ALWAYS_VALID": "0"}
    try:
        for cmd, log in ((dns_cmd, "challtestsrv.log"), (pebble_cmd, "pebble.log")):
            with open(workdir / log, "wb") as out:
                process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                           env=env, cwd=workdir, start_new_session=True)
            service._processes.append(process)
            service.pids.append(process.pid)
        if not wait_for_port(dns_mgmt, 10):
            raise RemoteError(f"pebble-challtestsrv did not start; see {workdir / 'challtestsrv.log'}.")
        _wait_for_directory(service, 15)
    except BaseException:
        service.stop()
        raise
    return service


def _listener_certificate(workdir: Path) -> Path:
    """Make the CA and certificate of pebble's own HTTPS listener; return the CA file."""
    ca_key, ca_cert = make_ca("primetui sandbox pebble listener CA")
    not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)
    write_leaf(workdir, ca_key, ca_cert, ["localhost", "127.0.0.1"], not_after, stem="listener")
    ca_file = workdir / "listener-ca.pem"
    ca_file.write_bytes(cert_pem(ca_cert))
    return ca_file


def _wait_for_directory(service: PebbleService, timeout: float) -> None:
    """Poll the ACME directory until it answers, or fail with the log's last line."""
    context = service._context()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in service._processes):
            break
        try:
            with urllib.request.urlopen(service.directory_url, context=context, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    log = (service.workdir / "pebble.log").read_text(errors="replace").strip().splitlines()
    raise RemoteError(f"pebble did not answer at {service.directory_url}: "
                      f"{log[-1] if log else 'no output'}.")


def certbot_dirs(le_dir: Path) -> list[str]:
    """certbot with all its state (config, work, logs) under `le_dir`."""
    certbot = tools.find_binary("certbot") or "certbot"
    return [certbot, "--config-dir", str(le_dir / "config"), "--work-dir", str(le_dir / "work"),
            "--logs-dir", str(le_dir / "logs")]


def certbot_base(le_dir: Path, directory_url: str) -> list[str]:
    """The certbot command line every sandbox call starts with: private dirs, pebble, no prompts."""
    return [*certbot_dirs(le_dir), "--server", directory_url, "--non-interactive"]


def issue_certificate(pebble: PebbleService, le_dir: Path, webroot: Path,
                      domains: list[str]) -> Path:
    """Issue a certificate for `domains` over HTTP-01 via `webroot`; returns its live dir."""
    if tools.find_binary("certbot") is None:
        raise MissingToolError(missing_message("certbot"))
    for d in ("config", "work", "logs"):
        (le_dir / d).mkdir(parents=True, exist_ok=True)
    cmd = [*certbot_base(le_dir, pebble.directory_url), "--agree-tos",
           "--register-unsafely-without-email", "certonly", "--webroot", "-w", str(webroot)]
    for domain in domains:
        cmd += ["-d", domain]
    # Trust pebble's listener in certbot only, never in this process.
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(pebble.listener_ca)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                          timeout=180, stdin=subprocess.DEVNULL, check=False)
    live = le_dir / "config" / "live" / domains[0]
    if done.returncode != 0 or not (live / "fullchain.pem").exists():
        lines = [ln.strip() for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        reason = next((ln for ln in reversed(lines) if "rror" in ln or "fail" in ln.lower()),
                      lines[-1] if lines else "no output")
        raise RemoteError(f"certbot could not get a certificate for {domains[0]}: {reason}")
    return live
