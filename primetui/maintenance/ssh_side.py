"""The wizard's SSH side: how prod and the maintenance host are reached, and what runs on them.

Commands come from each host's profile (package manager, nginx commands, paths), so the
same steps say `dnf install -y nginx` for Amazon Linux and use temporary directories in
the sandbox. Each `*_commands` method returns what a person would type; the matching method
runs exactly that through a runner, streaming output to the step's log.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path

from primetui.certificates.probe import parse_address
from primetui.config import ServerSettings, Settings
from primetui.errors import ConfigError, RemoteError
from primetui.maintenance.page import ConfOptions
from primetui.remote.profiles import HostProfile, profile_for
from primetui.remote.runners import Runner

UPLOAD_DIR = "primetui-maintenance"
TARBALL = "primetui-letsencrypt.tar.gz"
CONF_NAME = "maintenance.conf"

RunnerFactory = Callable[[str, ServerSettings], Runner]


def _with_address(server: ServerSettings, address: str | None, default_port: int) -> ServerSettings:
    if not address:
        return server
    host, port = parse_address(address, default_port)
    return dataclasses.replace(server, host=host, port=port)


def prod_server(settings: Settings) -> ServerSettings:
    """prod's server settings, reached at `addresses.prod` when that is set."""
    name = settings.maintenance.prod
    if name not in settings.servers:
        raise ConfigError(f"maintenance.prod names '{name}', which is not a [servers] table.")
    server = settings.servers[name]
    return _with_address(server, settings.maintenance.addresses.get("prod"), server.port)


def maintenance_server(settings: Settings, public_ip: str | None,
                       key_file: Path | None) -> ServerSettings:
    """How to reach the maintenance host: the template server, at its address or override."""
    template = settings.servers.get(settings.maintenance.server)
    if template is None:
        template = ServerSettings(host=public_ip or "0.0.0.0", user="ec2-user",
                                  key=key_file, profile="al2023")
    elif public_ip:
        template = dataclasses.replace(template, host=public_ip)  # its port: 22 (config check)
    if template.key is None and key_file is not None:
        template = dataclasses.replace(template, key=key_file)
    return _with_address(template, settings.maintenance.addresses.get("maintenance"), 22)


def _listen(address: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return (address,) if address else default


def conf_options(settings: Settings) -> ConfOptions:
    """Where the maintenance nginx listens and finds files, from its profile and addresses."""
    profile = profile_for(maintenance_server(settings, None, None))
    addresses = settings.maintenance.addresses
    return ConfOptions(domain=settings.maintenance.domain, letsencrypt=profile.letsencrypt,
                       root=profile.maintenance_root, acme_root=profile.webroot,
                       http_listen=_listen(addresses.get("listen_http"), ("80", "[::]:80")),
                       https_listen=_listen(addresses.get("listen_https"),
                                            ("443", "[::]:443")))


def _q(path: str) -> str:
    return shlex.quote(path)


def _sudo(profile: HostProfile, cmd: str) -> str:
    """The command as a person would type it on that host (sudo only where the host uses it;
    a pipeline wrapped whole in `sudo sh -c`)."""
    from primetui.remote import shown

    return shown.sudo(cmd, profile.sudo)


def start_nginx_command(profile: HostProfile) -> str:
    """Start nginx (and enable it at boot) unless it already runs."""
    if profile.nginx_prefix is None:
        return profile.nginx_start
    pid = _q(f"{profile.nginx_prefix}/logs/nginx.pid")
    return (f"{{ test -s {pid} && kill -0 \"$(cat {pid})\" 2>/dev/null; }} || "
            f"{profile.nginx_start} </dev/null >/dev/null 2>&1")


def ssh_target(server: ServerSettings) -> str:
    """user@host as typed (the instance's address not known yet: $MAINTENANCE_IP)."""
    host = server.host if server.host.strip() and server.host != "0.0.0.0" else "$MAINTENANCE_IP"
    return f"{server.user}@{host}"


def ssh_options(server: ServerSettings, scp: bool = False) -> str:
    """`-p PORT -i KEY` (scp: `-P`) when the port or key is not the default, else ""."""
    parts = []
    if server.port != 22:
        parts.append(f"{'-P' if scp else '-p'} {server.port}")
    if server.key is not None:
        parts.append(f"-i {_q(str(server.key))}")
    return "".join(f" {part}" for part in parts)


def ssh_line(server: ServerSettings, cmd: str) -> str:
    """`ssh [-p …] [-i …] user@host 'cmd'`: a command shown with the host it runs on."""
    return f"ssh{ssh_options(server)} {ssh_target(server)} {_q(cmd)}"


class HostCommands:
    """The commands of the install, certificates and site steps for one pair of hosts."""

    def __init__(self, domain: str, prod: ServerSettings, maintenance: ServerSettings, *,
                 prod_letsencrypt: str | None = None) -> None:
        self.domain = domain
        self.prod_server = prod
        self.maint_server = maintenance
        self.prod = profile_for(prod)
        if prod_letsencrypt:  # certbot's own answer wins over the profile's paths.letsencrypt
            self.prod = dataclasses.replace(self.prod, letsencrypt=prod_letsencrypt)
        self.maint = profile_for(maintenance)
        self.upload = f"{self.maint.home}/{UPLOAD_DIR}"

    # -- install nginx and the page ----------------------------------------------------

    def install(self) -> list[tuple[str, bool]]:
        """(command, needs sudo) on the maintenance host, after the upload."""
        m = self.maint
        root = _q(m.maintenance_root)
        owner = f" && chown -R root:root {root}" if m.sudo else ""
        return [(f"command -v nginx >/dev/null || {m.install_command('nginx')}", True),
                (start_nginx_command(m), True),
                (f"mkdir -p {root} && install -m 0644 {_q(self.upload + '/index.html')} "
                 f"{root}/index.html{owner} && chmod -R a=rX {root}", True)]

    def install_shown(self, index: Path, conf: Path) -> list[str]:
        """The install step as a person would type it."""
        m = self.maint
        target = ssh_target(self.maint_server)
        return [ssh_line(self.maint_server, self.make_upload_dir()),
                f"scp{ssh_options(self.maint_server, scp=True)} {_q(str(index))} "
                f"{_q(str(conf))} {_q(f'{target}:{self.upload}/')}",
                *(self.on_maintenance(_sudo(m, cmd) if sudo else cmd)
                  for cmd, sudo in self.install())]

    def on_maintenance(self, cmd: str) -> str:
        """A command shown with the maintenance host it runs on."""
        return ssh_line(self.maint_server, cmd)

    def on_prod(self, cmd: str) -> str:
        """A command shown with prod, where it runs."""
        return ssh_line(self.prod_server, cmd)

    # -- certificates ------------------------------------------------------------------

    def lineage_check(self) -> str:
        """The preflight's test on prod: the domain's certificate lineage is there."""
        le, d = self.prod.letsencrypt, self.domain
        return (f"test -e {_q(f'{le}/live/{d}/fullchain.pem')} "
                f"&& test -f {_q(f'{le}/renewal/{d}.conf')}")

    def make_upload_dir(self) -> str:
        """The upload directory on the maintenance host (the login user's, no sudo)."""
        return f"mkdir -p {_q(self.upload)}"

    def remove_page(self) -> str:
        """Undo of the install: the maintenance page's directory removed."""
        return f"rm -rf {_q(self.maint.maintenance_root)}"

    def tar_on_prod(self) -> str:
        """Archive the domain's lineage on prod, links kept as links, readable by the login user."""
        p, d = self.prod, self.domain
        out = _q(f"{p.home}/{TARBALL}")
        owner = f" && chown {shlex.quote(self.prod_server.user)} {out}" if p.sudo else ""
        return (f"umask 077 && tar czf {out} -C {_q(p.letsencrypt)} {_q('live/' + d)} "
                f"{_q('archive/' + d)} {_q('renewal/' + d + '.conf')}{owner}")

    def extract_on_maintenance(self) -> str:
        """Unpack the lineage into the maintenance host's letsencrypt dir, and check the links."""
        m, d = self.maint, self.domain
        le = m.letsencrypt
        return (f"mkdir -p {_q(le)} && tar xzf {_q(self.upload + '/' + TARBALL)} -C {_q(le)} "
                f"&& rm -f {_q(self.upload + '/' + TARBALL)} "
                f"&& test -L {_q(f'{le}/live/{d}/fullchain.pem')} "
                f"&& test -r {_q(f'{le}/live/{d}/privkey.pem')}")

    def certificates_shown(self) -> list[str]:
        """The certificates step as a person would type it."""
        prod = ssh_target(self.prod_server)
        maint = ssh_target(self.maint_server)
        return [self.on_prod(_sudo(self.prod, self.tar_on_prod())),
                f"scp{ssh_options(self.prod_server, scp=True)} "
                f"{_q(f'{prod}:{self.prod.home}/{TARBALL}')} .",
                self.on_prod('rm -f ' + _q(f'{self.prod.home}/{TARBALL}')),
                f"scp{ssh_options(self.maint_server, scp=True)} {TARBALL} "
                f"{_q(f'{maint}:{self.upload}/{TARBALL}')}",
                self.on_maintenance(_sudo(self.maint, self.extract_on_maintenance()))]

    def remove_certificates(self) -> str:
        """Undo: the copied lineage removed from the maintenance host."""
        le, d = self.maint.letsencrypt, self.domain
        return (f"rm -rf {_q(f'{le}/live/{d}')} {_q(f'{le}/archive/{d}')} "
                f"{_q(f'{le}/renewal/{d}.conf')}")

    def carry_certificates(self, prod: Runner, maint: Runner, emit: Callable[[str], None],
                           scratch: Path) -> None:
        """Tar on prod, download, upload, extract; the local copy exists only meanwhile."""
        home_tar = f"{self.prod.home}/{TARBALL}"
        prod.run(self.tar_on_prod(), sudo=True, on_line=emit)
        scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(prefix="letsencrypt-", suffix=".tar.gz", dir=scratch)
        os.close(fd)
        local = Path(name)
        try:
            prod.get(home_tar, local)
            emit(f"Fetched the {self.domain} certificates from prod "
                 f"({local.stat().st_size} bytes).")
            prod.run(f"rm -f {_q(home_tar)}", sudo=True)
            maint.put(local, f"{self.upload}/{TARBALL}")  # the install step made the dir
        finally:
            local.unlink(missing_ok=True)
        maint.run(self.extract_on_maintenance(), sudo=True, on_line=emit)
        emit(f"Extracted into {self.maint.letsencrypt}; live/{self.domain} still links "
             f"into archive/.")

    # -- the site ----------------------------------------------------------------------

    @property
    def conf_path(self) -> str:
        """Where the conf goes on the maintenance host."""
        return f"{self.maint.conf_d}/{CONF_NAME}"

    def site_shown(self) -> list[str]:
        """The site step as a person would type it."""
        m = self.maint
        return [self.on_maintenance(_sudo(m, f"install -m 0644 "
                                             f"{_q(self.upload + '/' + CONF_NAME)} "
                                             f"{_q(self.conf_path)}")),
                self.on_maintenance(_sudo(m, m.nginx_test)),
                self.on_maintenance(_sudo(m, m.nginx_reload))]

    def enable_site(self, maint: Runner, emit: Callable[[str], None]) -> None:
        """Install the conf, `nginx -t` (refused: the conf is taken out again), reload."""
        m = self.maint
        test = maint.run(f"install -m 0644 {_q(self.upload + '/' + CONF_NAME)} "
                         f"{_q(self.conf_path)} && {m.nginx_test}", sudo=True, warn=True,
                         on_line=emit)
        if not test.ok:
            maint.run(f"rm -f {_q(self.conf_path)}", sudo=True, warn=True)
            raise RemoteError(f"nginx -t refused the maintenance conf on {maint.host}: "
                              f"{nginx_complaint(test.stderr + test.stdout)} "
                              f"(the conf was taken out again; fix it and run the wizard again).")
        maint.run(m.nginx_reload, sudo=True, on_line=emit)

    def disable_site(self, maint: Runner) -> None:
        """Undo: the conf removed and nginx reloaded."""
        maint.run(f"rm -f {_q(self.conf_path)}", sudo=True)
        maint.run(self.maint.nginx_reload, sudo=True, warn=True)


def nginx_complaint(output: str) -> str:
    """nginx's own reason (the [emerg] line) from `nginx -t` output."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in lines:
        if "[emerg]" in line or "[alert]" in line:
            return re.sub(r"^nginx: ", "", line)
    return lines[-1] if lines else "no output"
