"""A private nginx on loopback: its own prefix, config, pid file, temp paths and webroot.

Port of the nginx_start.sh / nginx_ctl.sh recipes. The master is our child (`daemon off`
on the command line only, so `nginx -s reload` from anywhere still works through the pid
file) and is stopped by its pid.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from primetui.errors import MissingToolError, RemoteError
from primetui.sandbox import tools
from primetui.sandbox.tools import free_port, missing_message, stop_pid, wait_for_port

_CONF = """\
{user}worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log info;
events {{ worker_connections 64; }}
http {{
    include {mime};
    default_type application/octet-stream;
    access_log logs/access.log;
    client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi; uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{acme_port};   # the ACME server's HTTP-01 validations come here
        server_name _;
        root {webroot};
        location /.well-known/acme-challenge/ {{ default_type text/plain; }}
    }}
    include conf.d/*.conf;
}}
"""


@dataclass(frozen=True)
class ConfigCheck:
    """The outcome of `nginx -t`: whether the config is valid, and what nginx said."""

    ok: bool
    output: str


@dataclass
class NginxService:
    """A running private nginx and the commands that manage it."""

    prefix: Path
    http_port: int
    acme_port: int
    webroot: Path
    conf_d: Path
    pid: int
    binary: str
    _process: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> list[str]:
        """The nginx command line for this prefix, plus `args`."""
        return [self.binary, "-p", f"{self.prefix}/", "-c", "conf/nginx.conf",
                "-e", "logs/error.log", *args]

    def test(self) -> ConfigCheck:
        """Run `nginx -t` on this instance's config."""
        done = subprocess.run(self.command("-t"), capture_output=True, text=True,
                              errors="replace", timeout=30, check=False)
        return ConfigCheck(done.returncode == 0, (done.stdout + done.stderr).strip())

    def write_site(self, name: str, text: str) -> Path:
        """Write a server block as conf.d/NAME.conf (takes effect on `reload()`)."""
        file = self.conf_d / f"{name}.conf"
        file.write_text(text, encoding="utf-8")
        return file

    def reload(self, timeout: float = 10.0) -> None:
        """Test the config, then reload; returns once the new workers are running."""
        check = self.test()
        if not check.ok:
            raise RemoteError(f"nginx refused its new configuration: {_last_line(check.output)}")
        before = set(child_pids(self.pid))
        signal = subprocess.run(self.command("-s", "reload"), capture_output=True, text=True,
                                errors="replace", timeout=30, check=False)
        if signal.returncode != 0:
            raise RemoteError(f"nginx could not be reloaded: {_last_line(signal.stderr)}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = set(child_pids(self.pid))
            # Reload is done when a new worker exists (old ones may linger while draining).
            if now - before:
                return
            time.sleep(0.02)
        raise RemoteError(f"nginx did not start new workers within {timeout:.0f} seconds of a reload.")

    def stop(self) -> None:
        """Stop the master (and with it its workers) by pid; safe to call twice."""
        if self.pid <= 0:
            return
        workers = child_pids(self.pid)
        stop_pid(self.pid)
        if self._process is not None:
            self._process.poll()
        for pid in workers:
            stop_pid(pid, timeout=2)


_TLS_SITE = """\
server {{
    listen 127.0.0.1:{port} ssl;
    server_name {domain};
    ssl_certificate     {live}/fullchain.pem;
    ssl_certificate_key {live}/privkey.pem;
    root {root};
    location /.well-known/acme-challenge/ {{ root {webroot}; default_type text/plain; }}
}}
"""


def tls_site(*, port: int, domain: str, live: Path, root: Path, webroot: Path) -> str:
    """A conf.d server block serving `root` over TLS with certbot's live certificate files."""
    return _TLS_SITE.format(port=port, domain=domain, live=live, root=root, webroot=webroot)


def nginx_conf(*, http_port: int, acme_port: int, webroot: Path) -> str:
    """The main nginx.conf of a private instance."""
    mime = Path("/etc/nginx/mime.types")
    # Workers would run as "nobody" and could not read a webroot under a private 0700
    # temporary directory; in this loopback-only sandbox they run as our own user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return _CONF.format(user=user, mime=mime if mime.exists() else "mime.types",
                        http_port=http_port, acme_port=acme_port, webroot=webroot)


def start_nginx(prefix: Path, *, http_port: int | None = None,
                acme_port: int | None = None) -> NginxService:
    """Start a private nginx under `prefix` serving `prefix/webroot` on two loopback ports."""
    binary = tools.find_binary("nginx")
    if binary is None:
        raise MissingToolError(missing_message("nginx"))
    http_port = http_port or free_port()
    acme_port = acme_port or free_port()
    prefix = prefix.resolve()
    webroot = prefix / "webroot"
    conf_d = prefix / "conf" / "conf.d"
    for d in (conf_d, prefix / "logs", prefix / "tmp", webroot / ".well-known" / "acme-challenge"):
        d.mkdir(parents=True, exist_ok=True)
    (webroot / "index.html").write_text("hello from the primetui sandbox nginx\n", encoding="utf-8")
    for folder, _, files in os.walk(webroot):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)
    (prefix / "conf" / "nginx.conf").write_text(
        nginx_conf(http_port=http_port, acme_port=acme_port, webroot=webroot), encoding="utf-8")
    service = NginxService(prefix, http_port, acme_port, webroot, conf_d, 0, binary)
    check = service.test()
    if not check.ok:
        raise RemoteError(f"nginx refused the sandbox configuration: {_last_line(check.output)}")
    log = open(prefix / "logs" / "stderr.log", "wb")  # noqa: SIM115 - handed to the child
    with log:
        process = subprocess.Popen(service.command("-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True)
    service.pid, service._process = process.pid, process
    if not (wait_for_port(http_port, 10) and wait_for_port(acme_port, 5)):
        service.stop()
        raise RemoteError(f"nginx did not start listening on 127.0.0.1:{http_port}; "
                          f"see {prefix / 'logs' / 'error.log'}.")
    return service


def child_pids(pid: int) -> list[int]:
    """The pids whose parent is `pid` (nginx workers), read from /proc."""
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 (ppid) follows the ")" that closes the command name.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
