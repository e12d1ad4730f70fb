"""Host profiles: what differs between the lab's kinds of server.

The production server runs Ubuntu, the maintenance host Amazon Linux 2023, and the sandbox's
hosts a private nginx with user-writable paths. A profile names the commands and paths
that differ (package manager, nginx test/reload, webroot, letsencrypt, www root, conf.d,
home, sudo), so plans say the right thing for each host; `ServerSettings.paths` overrides
any path.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from typing import Any

from primetui.config import ServerSettings
from primetui.errors import ConfigError

# The sandbox's services live here unless `paths.root` says otherwise (as the recipes do).
SANDBOX_ROOT = "/tmp/primetui-services"
PATH_KEYS = ("root", "nginx_prefix", "letsencrypt", "webroot", "www_root", "conf_d", "home")


@dataclass(frozen=True)
class HostProfile:
    """The commands and paths of one kind of host."""

    name: str
    """ubuntu | al2023 | sandbox."""
    package_install: str
    """The install command, with `{packages}` where the package names go."""
    nginx_start: str
    """Starts nginx (and enables it at boot where there is systemd)."""
    nginx_test: str
    """Checks nginx's configuration (`nginx -t`)."""
    nginx_reload: str
    """Makes a running nginx load its configuration again."""
    webroot: str
    """The directory nginx serves /.well-known/acme-challenge/ from (certbot --webroot -w)."""
    letsencrypt: str
    """certbot's configuration directory: live/, archive/, renewal/."""
    www_root: str
    """Where static sites live; the maintenance page goes in WWW_ROOT/maintenance."""
    conf_d: str
    """The directory whose *.conf files nginx includes."""
    home: str
    """The login user's home directory, where uploads land first."""
    sudo: bool
    """Whether privileged commands run through sudo on this host."""
    nginx_prefix: str | None = None
    """The prefix of a private nginx (`nginx -p`), or None for the system's nginx."""

    def install_command(self, *packages: str) -> str:
        """The command that installs `packages` on this host."""
        return self.package_install.format(packages=" ".join(shlex.quote(p) for p in packages))

    @property
    def maintenance_root(self) -> str:
        """The maintenance page's directory."""
        return f"{self.www_root}/maintenance"


def _system(name: str, package_install: str) -> HostProfile:
    return HostProfile(
        name=name, package_install=package_install,
        nginx_start="systemctl enable --now nginx", nginx_test="nginx -t",
        nginx_reload="systemctl reload nginx", webroot="/var/www/certbot",
        letsencrypt="/etc/letsencrypt", www_root="/var/www", conf_d="/etc/nginx/conf.d",
        home="", sudo=True)


_BASE = {
    "ubuntu": _system("ubuntu", "apt-get install -y {packages}"),
    "al2023": _system("al2023", "dnf install -y {packages}"),
}


def _private_nginx(prefix: str) -> dict[str, str]:
    """Commands for an nginx under its own prefix, as the sandbox recipes run it."""
    nginx = f"nginx -p {shlex.quote(prefix + '/')} -c conf/nginx.conf -e logs/error.log"
    return {"nginx_start": nginx, "nginx_test": f"{nginx} -t",
            "nginx_reload": f"{nginx} -s reload"}


def profile_for(server: ServerSettings) -> HostProfile:
    """The host profile of a server, with its `paths` overrides applied."""
    paths = dict(server.paths)
    unknown = sorted(set(paths) - set(PATH_KEYS))
    if unknown:
        raise ConfigError(f"Unknown host path '{unknown[0]}' for {server.host} "
                          f"(expected one of: {', '.join(PATH_KEYS)}).")
    for key, value in paths.items():
        if not value.startswith("/"):
            raise ConfigError(f"The host path {key} = '{value}' for {server.host} must be "
                              f"absolute.")
    paths = {key: value.rstrip("/") or "/" for key, value in paths.items()}
    home = paths.get("home") or ("/root" if server.user == "root" else f"/home/{server.user}")
    if server.profile == "sandbox":
        root = paths.get("root", SANDBOX_ROOT)
        prefix = paths.get("nginx_prefix", f"{root}/nginx")
        profile = HostProfile(
            name="sandbox", package_install="dpkg -s {packages} >/dev/null",
            nginx_start="", nginx_test="", nginx_reload="",
            webroot=f"{root}/www", letsencrypt=f"{root}/le/config", www_root=f"{root}/www",
            conf_d=f"{prefix}/conf/conf.d", home=home, sudo=False, nginx_prefix=prefix)
    elif server.profile in _BASE:
        profile = replace(_BASE[server.profile], home=home)
    else:
        raise ConfigError(f"Unknown host profile '{server.profile}' for {server.host} "
                          f"(expected one of: ubuntu, al2023, sandbox).")
    overrides: dict[str, Any] = {key: paths[key] for key in ("nginx_prefix", "letsencrypt", "webroot",
                                             "www_root", "conf_d") if key in paths}
    if "nginx_prefix" in paths and "conf_d" not in paths:
        overrides["conf_d"] = f"{paths['nginx_prefix']}/conf/conf.d"
    profile = replace(profile, **overrides)
    if profile.nginx_prefix is not None:
        profile = replace(profile, **_private_nginx(profile.nginx_prefix))  # type: ignore[arg-type]
    return replace(profile, sudo=profile.sudo and server.sudo)
