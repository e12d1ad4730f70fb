"""Where and how to reach a server, found the way the lab's own `ssh` finds it.

`resolve_server` reads ssh_config (`~/.ssh/config`, or the file set as `[ssh] config`) with
paramiko's `SSHConfig` and merges it with primetui's own `servers.NAME` keys, which win
where they are set. The result, a `ResolvedHost`, says for each value where it came from
(`sources`), lists the `ProxyJump` hops in the order they are crossed, and carries the
sentences worth telling the user once (`notes`). A directive primetui does not implement
that changes where or how to connect is refused with one sentence naming it, never
silently ignored. Pure apart from reading the config file: no connection is made here.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primetui.config import ServerSettings
from primetui.errors import RemoteError

DEFAULT_SSH_CONFIG = Path("~/.ssh/config")
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
DEFAULT_KEEPALIVE = 30.0
"""Seconds between keepalives when ssh_config sets no ServerAliveInterval."""
_MAX_HOPS = 8

# Directives that change where or how ssh connects and that primetui does not implement.
UNSUPPORTED = {
    "proxycommand": "runs an arbitrary command to reach the host",
    "include": "reads other files, which primetui does not follow",
    "hostkeyalias": "checks the host key under another name",
    "certificatefile": "authenticates with an SSH certificate",
    "pkcs11provider": "authenticates with a smart card",
    "securitykeyprovider": "authenticates with a security key",
    "identityagent": "names another ssh-agent",
    "globalknownhostsfile": "checks host keys against another file",
    "bindaddress": "binds to a chosen local address",
    "bindinterface": "binds to a chosen local interface",
    "addressfamily": "restricts the address family",
    "hostkeyalgorithms": "restricts host key algorithms",
    "kexalgorithms": "restricts key exchange algorithms",
    "ciphers": "restricts ciphers",
    "macs": "restricts MACs",
    "pubkeyacceptedalgorithms": "restricts public key algorithms",
    "pubkeyacceptedkeytypes": "restricts public key types",
    "localcommand": "runs a command after connecting",
    "remotecommand": "runs a command instead of primetui's",
}
_WEAK_CHECKING = ("no", "off", "accept-new")


@dataclass(frozen=True)
class ResolvedHost:
    """One SSH endpoint as primetui will connect to it, and where each value came from."""

    alias: str
    """The name it was asked for (a `servers.NAME.host`, or a ProxyJump hop)."""
    hostname: str
    """The address actually connected to (ssh_config `HostName`, or the alias itself)."""
    user: str
    port: int
    identity_files: tuple[Path, ...] = ()
    """Key files to offer, in order (primetui's `key`, else ssh_config `IdentityFile`)."""
    identities_only: bool = False
    """Offer only `identity_files` (agent keys only when they are one of them)."""
    known_hosts: tuple[Path, ...] = (DEFAULT_KNOWN_HOSTS.expanduser(),)
    """Files the host key is checked against; an accepted key is saved to the first."""
    connect_timeout: float = 10.0
    keepalive: float = DEFAULT_KEEPALIVE
    jumps: tuple[ResolvedHost, ...] = ()
    """The bastions crossed first, in order (ssh_config `ProxyJump`)."""
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    """For each value above: "servers.NAME.KEY", "ssh_config FILE", "ProxyJump" or "default"."""
    notes: tuple[str, ...] = ()
    """Sentences to tell the user once (e.g. StrictHostKeyChecking no is not followed)."""

    @property
    def where(self) -> str:
        """`host:port` as the error sentences name it (with the alias when it differs)."""
        address = f"{self.hostname}:{self.port}"
        return address if self.alias == self.hostname else f"{self.alias} ({address})"

    def describe(self) -> list[tuple[str, str, str]]:
        """(setting, value, source) rows, for `primetui config show`."""
        values = {
            "hostname": self.hostname, "user": self.user, "port": str(self.port),
            "identity_files": ", ".join(str(p) for p in self.identity_files) or "(agent and ~/.ssh defaults)",
            "identities_only": "yes" if self.identities_only else "no",
            "known_hosts": " ".join(str(p) for p in self.known_hosts),
            "proxy_jump": ", ".join(f"{j.user}@{j.where}" for j in self.jumps) or "none",
            "connect_timeout": f"{self.connect_timeout:g} s",
            "keepalive": f"{self.keepalive:g} s",
        }
        return [(k, v, self.sources.get(k, "default")) for k, v in values.items()]


class SshConfigFile:
    """One parsed ssh_config file (or none), looked up per host without running anything."""

    def __init__(self, path: Path | None) -> None:
        from paramiko.config import SSHConfig

        self.path = path
        self.label = f"ssh_config {_tilde(path)}" if path else "ssh_config"
        self._config = SSHConfig()
        if path is None or not path.is_file():
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise RemoteError(f"{path} cannot be read ({reason}).") from None
        _refuse_match_exec(text, path)
        try:
            self._config.parse(text.splitlines())
        except Exception as exc:  # ConfigParseError names the line
            raise RemoteError(f"{path} is not a valid ssh_config: {exc}.") from None

    def lookup(self, host: str) -> dict[str, Any]:
        """The options that apply to `host` (keys lowercased), as `ssh -G` would list them."""
        try:
            return dict(self._config.lookup(host))
        except Exception as exc:  # a bad token, a failed canonicalisation
            raise RemoteError(f"{self.path}: cannot look up {host}: {exc}.") from None


def ssh_config_path(server: ServerSettings) -> Path:
    """The ssh_config file read for `server`: `[ssh] config`, else ~/.ssh/config."""
    return (server.ssh_config or DEFAULT_SSH_CONFIG).expanduser()


def resolve_server(name: str, server: ServerSettings,
                   config: SshConfigFile | None = None) -> ResolvedHost:
    """Merge `servers.NAME` with ssh_config for `server.host`; primetui's keys win where set."""
    config = config or SshConfigFile(ssh_config_path(server))
    explicit = _explicit(server)
    options = config.lookup(server.host)
    _refuse_unsupported(options, server.host, config)
    sources: dict[str, str] = {}
    cfg = config.label

    def pick(key: str, option: str | None, default: Any, convert: Any = None) -> Any:
        if key in explicit:
            sources[_SOURCE_KEY.get(key, key)] = f"servers.{name}.{key}"
            return getattr(server, key)
        if option is not None and option in options:
            sources[_SOURCE_KEY.get(key, key)] = cfg
            raw = options[option]
            return convert(raw, option, config) if convert else raw
        sources[_SOURCE_KEY.get(key, key)] = "default"
        return default

    hostname = options.get("hostname", server.host)
    sources["hostname"] = cfg if hostname != server.host else f"servers.{name}.host"
    user = pick("user", "user", server.user)
    port = pick("port", "port", server.port, _as_port)
    if "key" in explicit and server.key is not None:
        identity_files: tuple[Path, ...] = (server.key.expanduser(),)
        sources["identity_files"] = f"servers.{name}.key"
    elif "identityfile" in options:
        identity_files = tuple(Path(p).expanduser() for p in options["identityfile"])
        sources["identity_files"] = cfg
    else:
        identity_files = ()
        sources["identity_files"] = "default"
    identities_only = _yes(options.get("identitiesonly"))
    sources["identities_only"] = cfg if "identitiesonly" in options else "default"
    if "known_hosts" in explicit:
        known_hosts: tuple[Path, ...] = (server.known_hosts.expanduser(),)
        sources["known_hosts"] = f"servers.{name}.known_hosts"
    elif "userknownhostsfile" in options:
        known_hosts = _known_hosts_files(options["userknownhostsfile"], server.host)
        sources["known_hosts"] = cfg
    else:
        known_hosts = (server.known_hosts.expanduser(),)
        sources["known_hosts"] = "default"
    connect_timeout = pick("connect_timeout", "connecttimeout", server.connect_timeout,
                           _as_seconds)
    keepalive = _as_seconds(options["serveraliveinterval"], "serveraliveinterval", config) \
        if "serveraliveinterval" in options else DEFAULT_KEEPALIVE
    sources["keepalive"] = cfg if "serveraliveinterval" in options else "default"
    notes = _weak_checking_note(options, server.host, config)
    jumps: tuple[ResolvedHost, ...] = ()
    if options.get("proxyjump", "none").lower() != "none":
        jumps = _resolve_jumps(options["proxyjump"], config, known_hosts, connect_timeout,
                               seen={server.host})
        sources["proxy_jump"] = cfg
        notes += tuple(n for j in jumps for n in j.notes)
    else:
        sources["proxy_jump"] = "default"
    return ResolvedHost(alias=server.host, hostname=hostname, user=user, port=port,
                        identity_files=identity_files, identities_only=identities_only,
                        known_hosts=known_hosts, connect_timeout=connect_timeout,
                        keepalive=keepalive, jumps=jumps, sources=sources,
                        notes=tuple(dict.fromkeys(notes)))


def resolve_all(servers: dict[str, ServerSettings]) -> dict[str, ResolvedHost | RemoteError]:
    """Every configured server resolved (or the sentence saying why it cannot be), by name.

    For `primetui config show`: `describe()` gives each value with its source.
    """
    out: dict[str, ResolvedHost | RemoteError] = {}
    files: dict[Path, SshConfigFile] = {}
    for name, server in servers.items():
        try:
            path = ssh_config_path(server)
            config = files.get(path) or files.setdefault(path, SshConfigFile(path))
            out[name] = resolve_server(name, server, config)
        except RemoteError as err:
            out[name] = err
    return out


_SOURCE_KEY = {"key": "identity_files"}


def _explicit(server: ServerSettings) -> frozenset[str]:
    """The keys the config file set (all of them for settings built in code)."""
    if server.explicit is not None:
        return server.explicit
    return frozenset({"host", "user", "port", "key", "known_hosts", "connect_timeout"})


def _resolve_jumps(spec: str, config: SshConfigFile, known_hosts: tuple[Path, ...],
                   connect_timeout: float, seen: set[str]) -> tuple[ResolvedHost, ...]:
    """The hops of a ProxyJump value (`[user@]host[:port]`, comma-separated), each resolved."""
    hops: list[ResolvedHost] = []
    for i, part in enumerate(p.strip() for p in spec.split(",")):
        user, host, port = _parse_jump(part, config)
        if host in seen or len(seen) > _MAX_HOPS:
            raise RemoteError(f"{config.path}: ProxyJump {spec} loops back to {host}.")
        seen.add(host)
        options = config.lookup(host)
        _refuse_unsupported(options, host, config)
        sources = {"hostname": config.label if options.get("hostname", host) != host
                   else "ProxyJump"}
        if user is None:
            user = options.get("user") or getpass.getuser()
            sources["user"] = config.label if "user" in options else "default"
        else:
            sources["user"] = "ProxyJump"
        if port is None:
            port = _as_port(options["port"], "port", config) if "port" in options else 22
            sources["port"] = config.label if "port" in options else "default"
        else:
            sources["port"] = "ProxyJump"
        hop_known = (_known_hosts_files(options["userknownhostsfile"], host)
                     if "userknownhostsfile" in options else known_hosts)
        hop = ResolvedHost(
            alias=host, hostname=options.get("hostname", host), user=user, port=port,
            identity_files=tuple(Path(p).expanduser() for p in options.get("identityfile", [])),
            identities_only=_yes(options.get("identitiesonly")), known_hosts=hop_known,
            connect_timeout=(_as_seconds(options["connecttimeout"], "connecttimeout", config)
                             if "connecttimeout" in options else connect_timeout),
            keepalive=(_as_seconds(options["serveraliveinterval"], "serveraliveinterval",
                                   config)
                       if "serveraliveinterval" in options else DEFAULT_KEEPALIVE),
            sources=sources, notes=_weak_checking_note(options, host, config))
        # Like ssh, the first hop's own ProxyJump is followed; later hops are reached
        # through the earlier ones.
        if i == 0 and options.get("proxyjump", "none").lower() != "none":
            hops.extend(_resolve_jumps(options["proxyjump"], config, known_hosts,
                                       connect_timeout, seen))
        hops.append(hop)
    return tuple(hops)


_JUMP = re.compile(r"^(?:ssh://)?(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:@\s]+)"
                   r"(?::(?P<port>\d+))?$")


def _parse_jump(part: str, config: SshConfigFile) -> tuple[str | None, str, int | None]:
    m = _JUMP.match(part)
    if not m:
        raise RemoteError(f"{config.path}: ProxyJump hop {part!r} is not [user@]host[:port].")
    port = _as_port(m.group("port"), "ProxyJump", config) if m.group("port") else None
    return m.group("user"), m.group("host").strip("[]"), port


def _refuse_match_exec(text: str, path: Path) -> None:
    """`Match exec` would run a command at every lookup; refuse it before paramiko does."""
    for number, line in enumerate(text.splitlines(), 1):
        words = line.strip().replace("=", " ").split()
        if len(words) > 1 and words[0].lower() == "match" and "exec" in (w.lower() for w in words[1:]):
            raise RemoteError(f"{_tilde(path)} line {number}: `Match exec` is not supported by "
                              f"primetui (it would run a command to decide how to connect); "
                              f"use Host blocks instead.")


def _refuse_unsupported(options: dict[str, Any], host: str, config: SshConfigFile) -> None:
    for key, why in UNSUPPORTED.items():
        if key in options and options[key] is not None:
            raise RemoteError(f"{_tilde(config.path)}: `{_directive(key)}` for {host} is not "
                              f"supported by primetui (it {why}); remove it for this host or "
                              f"use ProxyJump, HostName, User, Port and IdentityFile instead.")


def _weak_checking_note(options: dict[str, Any], host: str,
                        config: SshConfigFile) -> tuple[str, ...]:
    value = str(options.get("stricthostkeychecking", "")).lower()
    if value in _WEAK_CHECKING:
        return (f"{_tilde(config.path)} sets StrictHostKeyChecking {value} for {host}; primetui "
                f"still checks host keys strictly.",)
    return ()


_DIRECTIVES = {k.lower(): k for k in (
    "ProxyCommand", "Include", "HostKeyAlias", "CertificateFile", "PKCS11Provider",
    "SecurityKeyProvider", "IdentityAgent", "GlobalKnownHostsFile", "BindAddress",
    "BindInterface", "AddressFamily", "HostKeyAlgorithms", "KexAlgorithms", "Ciphers", "MACs",
    "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes", "LocalCommand", "RemoteCommand")}


def _directive(key: str) -> str:
    return _DIRECTIVES.get(key, key)


def _known_hosts_files(value: str, host: str) -> tuple[Path, ...]:
    files = tuple(Path(p).expanduser() for p in value.split() if p.lower() != "none")
    if not files:
        raise RemoteError(f"ssh_config sets UserKnownHostsFile none for {host}; primetui needs "
                          f"a known_hosts file to check its host key.")
    return files


def _as_port(raw: str, option: str, config: SshConfigFile) -> int:
    if not str(raw).isdigit() or not 0 < int(raw) < 65536:
        raise RemoteError(f"{_tilde(config.path)}: {option} {raw!r} is not a port number.")
    return int(raw)


def _as_seconds(raw: Any, option: str, config: SshConfigFile) -> float:
    if isinstance(raw, int | float):
        return float(raw)
    try:
        value = float(str(raw))
    except ValueError:
        raise RemoteError(f"{_tilde(config.path)}: {option} {raw!r} is not a number of "
                          f"seconds.") from None
    if value <= 0:
        return DEFAULT_KEEPALIVE if option == "serveraliveinterval" else 10.0
    return value


def _yes(value: Any) -> bool:
    return str(value or "").lower() in ("yes", "true")


def _tilde(path: Path | None) -> str:
    if path is None:
        return "ssh_config"
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


__all__ = ["ResolvedHost", "SshConfigFile", "UNSUPPORTED", "resolve_all", "resolve_server",
           "ssh_config_path"]
