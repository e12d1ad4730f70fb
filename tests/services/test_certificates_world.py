"""Helpers shared by the certificate tests (no tests here): a lineage issued by pebble and
served by nginx over TLS, the settings that reach it through sshd, and a stand-in for the
Docker containers of the standalone method.

Docker cannot run on the test machines, so the "container" holding the challenge port is
a tiny `python3 -m http.server` started and stopped by a script, which the tests configure
as `stop_command`/`start_command` exactly as a lab would configure `docker stop`/`start`.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from primetui.certificates.auto_renew import locations_for
from primetui.certificates.model import PortCommands
from primetui.certificates.service import CertificatesService
from primetui.config import CertificateSettings, ServerSettings, Settings
from primetui.remote.profiles import profile_for
from primetui.remote.runners import Prompter, SshRunner
from primetui.sandbox.acme import PebbleService, certbot_dirs, issue_certificate, start_pebble
from primetui.sandbox.nginx import NginxService, tls_site
from primetui.sandbox.tools import free_port, stop_pid, wait_for_port


@dataclass
class Lineage:
    """A certificate certbot issued into `le_dir`, served by nginx on 127.0.0.1:`tls_port`."""

    domain: str
    le_dir: Path
    live: Path
    tls_port: int
    site: Path
    pebble: PebbleService
    root: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.tls_port}"

    @property
    def certbot(self) -> str:
        """certificates.certbot for this lineage, as the sandbox writes it."""
        trust = f"REQUESTS_CA_BUNDLE={shlex.quote(str(self.pebble.listener_ca))}"
        return f"{trust} {shlex.join(certbot_dirs(self.le_dir))}"

    def certbot_argv(self, *args: str) -> tuple[list[str], dict[str, str]]:
        """certbot run directly (not through primetui), with pebble trusted."""
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(self.pebble.listener_ca)}
        return [*certbot_dirs(self.le_dir), *args], env


def start_strict_pebble(workdir: Path, *, http_port: int, cert_validity: int) -> PebbleService:
    """pebble that validates every challenge: by default it reuses half of the valid
    authorizations, and a renewal that reuses one never asks for the challenge at all."""
    saved = os.environ.get("PEBBLE_AUTHZREUSE")
    os.environ["PEBBLE_AUTHZREUSE"] = "0"  # start_pebble passes the environment on
    try:
        return start_pebble(workdir, http_port=http_port, cert_validity=cert_validity)
    finally:
        if saved is None:
            del os.environ["PEBBLE_AUTHZREUSE"]
        else:
            os.environ["PEBBLE_AUTHZREUSE"] = saved


def issue_and_serve(nginx: NginxService, pebble: PebbleService, root: Path, domain: str,
                    *, standalone_port: int | None = None) -> Lineage:
    """Issue `domain` from pebble (webroot, or standalone on a port) and serve it over TLS."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    le_dir = root / "le"
    if standalone_port is None:
        live = issue_certificate(pebble, le_dir, nginx.webroot, [domain])
    else:
        for d in ("config", "work", "logs"):
            (le_dir / d).mkdir(parents=True, exist_ok=True)
        cmd = [*certbot_dirs(le_dir), "--server", pebble.directory_url, "--non-interactive",
               "--agree-tos", "--register-unsafely-without-email", "certonly", "--standalone",
               "--http-01-address", "127.0.0.1", "--http-01-port", str(standalone_port),
               "-d", domain]
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(pebble.listener_ca)}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        live = le_dir / "config" / "live" / domain
    port = free_port()
    site = nginx.write_site(f"certs-test-{domain}", tls_site(
        port=port, domain=domain, live=live, root=nginx.webroot, webroot=nginx.webroot))
    nginx.reload()
    assert wait_for_port(port, 10)
    return Lineage(domain, le_dir, live, port, site, pebble, root)


def unserve(nginx: NginxService, lineage: Lineage) -> None:
    """Remove the lineage's TLS site from nginx again."""
    lineage.site.unlink(missing_ok=True)
    nginx.reload()


@contextmanager
def served_lineage(nginx: NginxService, pebble: PebbleService, domain: str,
                   prefix: str) -> Iterator[Lineage]:
    """A certificate issued by pebble and served by nginx, removed again afterwards."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    issued = issue_and_serve(nginx, pebble, root, domain)
    try:
        yield issued
    finally:
        unserve(nginx, issued)
        shutil.rmtree(root, ignore_errors=True)


def server_settings(base: ServerSettings, nginx: NginxService, lineage: Lineage,
                    **changes: object) -> ServerSettings:
    """The test sshd as a sandbox host whose nginx and certbot are the fixtures'."""
    paths = {"root": str(lineage.root), "nginx_prefix": str(nginx.prefix),
             "webroot": str(nginx.webroot), "letsencrypt": str(lineage.le_dir / "config")}
    return dataclasses.replace(base, paths=paths, command_timeout=120.0, **changes)


def cert_settings(nginx: NginxService, lineage: Lineage, **changes: object) -> CertificateSettings:
    """Certificate settings for the lineage: its endpoint, pebble's root, certbot's dirs."""
    ca_file = lineage.root / "issuer-root.pem"
    ca_file.write_bytes(lineage.pebble.issuer_root())
    values: dict[str, object] = dict(
        domains=[lineage.domain], server="prod", method="webroot", webroot=str(nginx.webroot),
        endpoints={lineage.domain: lineage.address}, ca_file=ca_file,
        acme_server=lineage.pebble.directory_url, certbot=lineage.certbot, timeout=5.0)
    values.update(changes)
    return CertificateSettings(**values)  # type: ignore[arg-type]


def make_service(server: ServerSettings, certs: CertificateSettings,
                 prompter: Prompter | None = None,
                 commands: PortCommands | None = None) -> CertificatesService:
    """The service as the registry builds it, with the test's runner."""
    settings = Settings(servers={"prod": server}, certificates=certs)
    profile = profile_for(server)
    return CertificatesService(settings.certificates, SshRunner("prod", server, prompter), profile,
                               locations=locations_for(profile, server), commands=commands)


STANDIN = textwrap.dedent("""\
    #!/bin/sh
    # A stand-in for `docker start|stop NAME`: NAME is an HTTP server holding a port.
    set -e
    action=$1; shift
    for name in "$@"; do
      pidfile="{dir}/$name.pid"
      case $action in
        start)
          setsid {python} -m http.server --bind 127.0.0.1 {port} >"{dir}/$name.log" 2>&1 </dev/null &
          echo $! >"$pidfile"
          up=no
          for i in $(seq 100); do
            if {python} -c "import socket; socket.create_connection(('127.0.0.1', {port}), 0.2)" \\
                2>/dev/null; then up=yes; break; fi
            sleep 0.05
          done
          if [ $up = no ]; then echo "$name did not start" >&2; exit 1; fi
          echo "$name started" ;;
        stop)
          pid=$(cat "$pidfile")
          kill "$pid"
          # Gone, or a zombie (its parent is init here, which reaps when it likes).
          while [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
            sleep 0.05
          done
          echo "$name stopped" ;;
      esac
    done
    """)


@dataclass
class StandIn:
    """The stand-in container: its script, state directory and port."""

    script: Path
    directory: Path
    port: int

    @property
    def commands(self) -> PortCommands:
        return PortCommands(stop=f"sh {self.script} stop {{containers}}",
                            start=f"sh {self.script} start {{containers}}",
                            find=f"ls {self.directory}")

    def start(self, name: str) -> None:
        subprocess.run(["sh", str(self.script), "start", name], check=True, capture_output=True)

    def pid(self, name: str) -> int | None:
        try:
            return int((self.directory / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def running(self, name: str) -> bool:
        pid = self.pid(name)
        return pid is not None and alive(pid)

    def stop_all(self) -> None:
        """Stop every stand-in this directory started, by pid."""
        for pidfile in self.directory.glob("*.pid"):
            try:
                pid = int(pidfile.read_text())
            except ValueError:
                continue
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 5
                while alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
                if alive(pid):
                    stop_pid(pid)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for init to reap it does not count)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[:1] != [b"Z"]


def make_standin(directory: Path, port: int) -> StandIn:
    """Write the stand-in script (world-readable, for a non-root test user too)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o777)
    script = directory / "container.sh"
    # The system's python, which a non-root user can run too (a pyenv under /root is not).
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    script.write_text(STANDIN.replace("{dir}", str(directory)).replace("{python}", python)
                      .replace("{port}", str(port)))
    script.chmod(0o755)
    return StandIn(script, directory, port)
