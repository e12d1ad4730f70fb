"""A practice maintenance host: a private nginx prefix, installed but not started, and its paths.

A fresh Amazon Linux 2023 instance with nginx installed has `/etc/nginx/nginx.conf` that
includes `conf.d/*.conf` and no site of its own; this is the same under a temporary root,
so the wizard's steps (start nginx, install the page and the conf, `nginx -t`, reload) run
for real against it. `make_lineage` writes a certbot-shaped certificate lineage (live/
links into archive/, renewal/D.conf) for tests that need one without an ACME server.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primetui.errors import MissingToolError
from primetui.sandbox import tools
from primetui.sandbox.nginx import child_pids, nginx_conf
from primetui.sandbox.tools import free_port, stop_pid


@dataclass(frozen=True)
class MaintenanceHost:
    """The paths and ports of a practice maintenance host (nginx not running until asked)."""

    root: Path
    prefix: Path
    http_port: int
    https_port: int
    acme_port: int

    @property
    def pid_file(self) -> Path:
        """Where the private nginx writes its master's pid once started."""
        return self.prefix / "logs" / "nginx.pid"

    def paths(self) -> dict[str, str]:
        """The `[servers.NAME] paths` that make a sandbox host profile use this host."""
        return {"root": str(self.root), "nginx_prefix": str(self.prefix),
                "webroot": str(self.root / "webroot"), "www_root": str(self.root / "www"),
                "letsencrypt": str(self.root / "letsencrypt"), "home": str(self.root / "home")}

    def addresses(self) -> dict[str, str]:
        """The `maintenance.addresses` listen keys (the page is probed where nginx listens)."""
        return {"listen_http": f"127.0.0.1:{self.http_port}",
                "listen_https": f"127.0.0.1:{self.https_port}"}

    def nginx_pid(self) -> int | None:
        """The running master's pid, if nginx was started (by the wizard) and still runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def stop(self) -> None:
        """Stop the nginx the wizard started here, by the pid in its pid file."""
        pid = self.nginx_pid()
        if pid is None:
            return
        workers = child_pids(pid)
        stop_pid(pid)
        for worker in workers:
            stop_pid(worker, timeout=2)


def prepare_maintenance_host(root: Path) -> MaintenanceHost:
    """Lay out a maintenance host under `root`: nginx.conf, conf.d, home, webroot; nothing runs."""
    if tools.find_binary("nginx") is None:
        raise MissingToolError(tools.missing_message("nginx"))
    root = root.resolve()
    prefix = root / "nginx"
    webroot = root / "webroot"
    for d in (prefix / "conf" / "conf.d", prefix / "logs", prefix / "tmp", root / "home",
              root / "www", webroot / ".well-known" / "acme-challenge"):
        d.mkdir(parents=True, exist_ok=True)
    for d in (root, root / "www", webroot, webroot / ".well-known",
              webroot / ".well-known" / "acme-challenge"):
        d.chmod(0o755)
    host = MaintenanceHost(root, prefix, free_port(), free_port(), free_port())
    # The host's own default site answers on a spare port, like the stock nginx.conf's :80.
    (prefix / "conf" / "nginx.conf").write_text(
        nginx_conf(http_port=free_port(), acme_port=host.acme_port, webroot=webroot),
        encoding="utf-8")
    return host


def make_lineage(letsencrypt: Path, domain: str, ca: tuple[Any, Any] | None = None,
                 *, days: int = 30) -> tuple[Any, Any]:
    """Write live/D → archive/D links and renewal/D.conf as certbot would; returns the CA."""
    from primetui.sandbox.tls import cert_pem, make_ca, make_leaf, write_key

    ca_key, ca_cert = ca or make_ca("primetui practice CA")
    key, cert = make_leaf(ca_key, ca_cert, [domain],
                          dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
    archive, live, renewal = (letsencrypt / "archive" / domain, letsencrypt / "live" / domain,
                              letsencrypt / "renewal")
    for d in (archive, live, renewal):
        d.mkdir(parents=True, exist_ok=True)
    (archive / "cert1.pem").write_bytes(cert_pem(cert))
    (archive / "chain1.pem").write_bytes(cert_pem(ca_cert))
    (archive / "fullchain1.pem").write_bytes(cert_pem(cert) + cert_pem(ca_cert))
    write_key(archive / "privkey1.pem", key)
    for name in ("cert", "chain", "fullchain", "privkey"):
        link = live / f"{name}.pem"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(f"../../archive/{domain}/{name}1.pem")
    (renewal / f"{domain}.conf").write_text(
        f"version = 2.9.0\narchive_dir = {archive}\ncert = {live}/cert.pem\n"
        f"privkey = {live}/privkey.pem\nchain = {live}/chain.pem\n"
        f"fullchain = {live}/fullchain.pem\n\n[renewalparams]\nauthenticator = webroot\n",
        encoding="utf-8")
    return ca_key, ca_cert
