"""The configuration file: TOML read with tomllib into frozen dataclasses, saved with tomli-w.

Every field has a docstring-like comment in `FIELD_HELP`, which the README and the starter
file reuse. Unknown keys, wrong types, missing required keys and bad paths are `ConfigError`s
whose message names the file, the key (or line) and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from primetui.errors import ConfigError
from primetui.paths import config_path


@dataclass(frozen=True)
class AwsSettings:
    """Which AWS account primetui talks to."""

    profile: str | None = None
    """The named profile in ~/.aws/config; none means the default credential chain."""
    region: str = "us-east-2"
    """The AWS region of the lab's resources."""
    endpoint_url: str | None = None
    """Send every AWS call here instead (moto, LocalStack, a VPC endpoint)."""
    connect_timeout: float = 5.0
    """Seconds to wait for an AWS endpoint to accept a connection."""
    read_timeout: float = 30.0
    """Seconds to wait for an AWS answer."""
    max_attempts: int = 4
    """Attempts per AWS call (standard retry mode)."""
    deadline: float = 90.0
    """Seconds one AWS call may take in all, retries included, however slowly the answer
    trickles in (read_timeout bounds only the wait for each piece of it)."""
    account: str | None = None
    """The 12-digit AWS account id the credentials must belong to; primetui refuses to change
    anything when STS says they belong to another (a context's `account` sets it)."""


@dataclass(frozen=True)
class ServerSettings:
    """One server reached over SSH (or `local` for this machine)."""

    host: str
    """Host name or address used to reach the server."""
    user: str = "ubuntu"
    """The SSH login user."""
    port: int = 22
    """The SSH port."""
    key: Path | None = None
    """The private key file; none uses the SSH agent and ~/.ssh defaults."""
    known_hosts: Path = Path("~/.ssh/known_hosts")
    """The known_hosts file that host keys are checked against (and saved to when accepted)."""
    profile: str = "ubuntu"
    """Host profile: ubuntu | al2023 | sandbox (package manager, nginx commands, paths)."""
    instance: str | None = None
    """The server's EC2 instance id, if any."""
    sudo: bool = True
    """Whether privileged commands need sudo on this host."""
    connect_timeout: float = 10.0
    """Seconds to wait for the SSH connection."""
    command_timeout: float = 900.0
    """Seconds a single remote command may run."""
    paths: dict[str, str] = field(default_factory=dict)
    """Overrides of the host profile's paths (letsencrypt, webroot, www_root, conf_d, nginx_prefix)."""
    explicit: frozenset[str] | None = field(default=None, compare=False)
    """The keys the config file set (not a key in the file); ssh_config fills in the rest.
    None (settings built in code) counts every connection key as set."""
    ssh_config: Path | None = field(default=None, compare=False)
    """The ssh_config file read for this server (not a key here: `[ssh] config`)."""


@dataclass(frozen=True)
class SshSettings:
    """How servers are found, besides their [servers] tables."""

    config: Path | None = None
    """The ssh_config file read for every server (Host aliases, HostName, User, Port,
    IdentityFile, ProxyJump...); unset means ~/.ssh/config. [servers] keys win where set."""


@dataclass(frozen=True)
class InstanceSettings:
    """How instances are treated."""

    protected: list[str] = field(default_factory=list)
    """Names or ids that ask for the name to be typed before start/stop."""
    protected_tags: dict[str, str] = field(default_factory=lambda: {"Environment": "prod"})
    """Tags that mark an instance as protected."""


@dataclass(frozen=True)
class CertificateSettings:
    """The domains whose TLS certificates primetui watches and renews."""

    domains: list[str] = field(default_factory=list)
    """Domains served over HTTPS."""
    server: str = "prod"
    """The server (a key of [servers]) where certbot runs."""
    method: str = "webroot"
    """webroot | standalone (stop the containers holding port 80 around the renewal)."""
    webroot: str | None = None
    """The webroot nginx serves /.well-known/acme-challenge/ from; unset, the server's
    `paths.webroot` (its host profile's), the one the maintenance wizard reads too."""
    containers: list[str] = field(default_factory=list)
    """Containers to stop and start again around a standalone renewal."""
    warn_days: int = 21
    """Days left at which a certificate is a warning."""
    critical_days: int = 7
    """Days left at which a certificate is critical."""
    endpoints: dict[str, str] = field(default_factory=dict)
    """Per-domain address to probe instead of the domain itself ("host:port")."""
    ca_file: Path | None = None
    """Extra CA bundle trusted when verifying served chains (e.g. a test CA)."""
    acme_server: str | None = None
    """A custom ACME directory URL passed to certbot with --server."""
    account: str | None = None
    """The ACME account id certbot renews and issues with (`--account`), for a server
    where certbot holds more than one; unset, the account that issued the certificate."""
    certbot: str = "certbot"
    """The certbot command on the server (may include --config-dir and friends)."""
    timeout: float = 8.0
    """Seconds each endpoint probe may take."""
    stop_command: str | None = None
    """Standalone renewal: frees port 80 ({containers}, {port}); default `docker stop`."""
    start_command: str | None = None
    """Standalone renewal: gives port 80 back afterwards; default `docker start`."""
    find_command: str | None = None
    """Standalone renewal: shows what holds port 80; default `docker ps` and `ss -ltnp`."""
    links: dict[str, str] = field(default_factory=dict)
    """Per-domain symlink nginx's site reads the certificate through (its fullchain.pem and
    privkey.pem); issuing a first certificate points it at certbot's new live directory."""


@dataclass(frozen=True)
class BackupSettings:
    """Encrypted backups of .env and config/."""

    source: str = "~/prime"
    """A local directory, or SERVER:/path on a configured server."""
    include: list[str] = field(default_factory=lambda: [".env", ".env.*", "config/"])
    """What to back up, relative to the source (globs allowed)."""
    destination: Path = Path("~/secure-backups")
    """Where the encrypted archives are written."""
    name: str = "prime"
    """Archive name prefix: NAME-backup-YYYY-MM-DD.tar.gz.gpg."""
    keep: int = 8
    """How many backups prune keeps."""
    max_age_days: int = 7
    """Warn when the newest backup is older than this."""
    s3_bucket: str | None = None
    """An S3 bucket that receives a copy of each backup."""
    max_archive_members: int = 100_000
    """Reading an archive (verify, restore) refuses one with more members than this."""
    max_archive_mb: int = 16_384
    """... or whose files add up to more than this many MiB once decompressed."""
    max_expansion_ratio: int = 1000
    """... or that decompresses to more than this many times its compressed size."""


@dataclass(frozen=True)
class MaintenanceSettings:
    """The maintenance-page wizard."""

    domain: str = ""
    """The site's domain (its certbot lineage on prod is copied to the maintenance host)."""
    prod: str = "prod"
    """The production server (a key of [servers]); its `instance` is the EC2 instance."""
    instance_type: str = "t3.nano"
    """The maintenance instance's type."""
    admin_cidr: str = ""
    """The lab network allowed to SSH into the maintenance host (a CIDR, IPv4 or IPv6);
    required for `on`."""
    verify_timeout: float = 120.0
    """Seconds the wizard keeps checking that a host or the domain serves the page (nginx
    reload, the address move, DNS) before it gives up."""
    public_ip_url: str = ""
    """Where preflight may ask which public address this machine connects from (e.g.
    "https://checkip.amazonaws.com"); empty: never ask, warn instead when it cannot tell."""
    switch: str = "elastic-ip"
    """How traffic moves: elastic-ip | route53."""
    hosted_zone_id: str | None = None
    """The Route 53 hosted zone, when switch = route53."""
    contact: str = ""
    """Contact shown on the maintenance page."""
    server: str = "maintenance"
    """A [servers] entry used as the template to reach the maintenance host (user, key,
    known_hosts, profile, paths); its host is the launched instance's address. Without
    one: ec2-user, the wizard's own key pair, profile al2023."""
    addresses: dict[str, str] = field(default_factory=dict)
    """Address overrides ("host:port") used to reach hosts and verify the switch (a bastion,
    a private address, the test environment). Keys: prod (SSH to prod), maintenance (SSH to
    the maintenance host), maintenance_https (its HTTPS, probed before the switch), verify
    (where DOMAIN's HTTPS is probed after the switch), listen_http and listen_https (what
    the maintenance nginx listens on; default 80 and 443)."""


MAINTENANCE_ADDRESS_KEYS = ("prod", "maintenance", "maintenance_https", "verify",
                            "listen_http", "listen_https")
"""The keys `maintenance.addresses` accepts."""


@dataclass(frozen=True)
class UiSettings:
    """The terminal application itself."""

    theme: str = "prime-dark"
    """The theme's name (see themes/)."""
    read_only: bool = False
    """Turn every mutating action off."""
    sort: dict[str, str] = field(default_factory=dict)
    """Each table tab's sort, remembered when it is changed: tab id → a column's key, with a
    leading `-` for descending (`instances = "state"`, `audit = "-when"`)."""
    banner: str | None = None
    """A word shown across the top of the screen, e.g. "PRODUCTION" (a context's `banner`)."""
    refresh: float = 120.0
    """Seconds between background refreshes of the Overview and the Certificates tab; a
    refresh reuses what the session read within this many seconds (at least 10)."""


CONTEXT_SECTIONS = ("aws", "ssh", "servers", "instances", "certificates", "backups",
                    "maintenance", "ui")
"""The top-level sections a context may override."""
CONTEXT_SHORTHANDS = {"account": ("aws", "account"), "banner": ("ui", "banner"),
                      "theme": ("ui", "theme")}
"""A context's own keys, and the section key each one sets."""
DEFAULT_CONTEXT = "default"
"""The name of the top-level settings as a context (`--context default`)."""
_CONTEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class ContextSettings:
    """One named context (`[contexts.NAME]`): another account, region and server set.

    Its sections override the top-level ones key by key, except `servers`, which replaces
    the top-level servers whole (no production host leaks into a staging context); a context
    without `servers` uses the top-level ones. The section tables are kept as written.
    """

    account: str | None = None
    """The AWS account id (12 digits, quoted) the credentials must belong to here."""
    banner: str | None = None
    """A word shown across the top of the screen in this context, e.g. "PRODUCTION"."""
    theme: str | None = None
    """This context's theme (production can look different at a glance)."""
    description: str = ""
    """A line shown beside the name in the context switcher."""
    aws: dict[str, Any] = field(default_factory=dict)
    ssh: dict[str, Any] = field(default_factory=dict)
    servers: dict[str, Any] = field(default_factory=dict)
    instances: dict[str, Any] = field(default_factory=dict)
    certificates: dict[str, Any] = field(default_factory=dict)
    backups: dict[str, Any] = field(default_factory=dict)
    maintenance: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The whole configuration file."""

    aws: AwsSettings = field(default_factory=AwsSettings)
    servers: dict[str, ServerSettings] = field(default_factory=dict)
    ssh: SshSettings = field(default_factory=SshSettings)
    instances: InstanceSettings = field(default_factory=InstanceSettings)
    certificates: CertificateSettings = field(default_factory=CertificateSettings)
    backups: BackupSettings = field(default_factory=BackupSettings)
    maintenance: MaintenanceSettings = field(default_factory=MaintenanceSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    """Keys moved from their defaults: binding id → keys ("certificates.renew" = "N", or
    `[keymap.certificates]` with `renew = "N"`); the README lists the ids."""
    path: Path | None = field(default=None, compare=False)
    """Where these settings were read from (not a key in the file)."""
    demo: bool = field(default=False, compare=False)
    """True when running against the sandbox (not a key in the file)."""
    default_context: str | None = None
    """The context used when neither --context nor PRIMETUI_CONTEXT names one."""
    contexts: dict[str, ContextSettings] = field(default_factory=dict)
    """Named contexts (`[contexts.NAME]`); the top-level settings are the context "default"."""
    context: str | None = field(default=None, compare=False)
    """The context these settings are for; None for the top-level ones (not a key)."""
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The file's top-level tables as read, to build another context from (not a key)."""
    forced_read_only: bool = field(default=False, compare=False)
    """--read-only was given: every context is read-only (not a key)."""


_CHOICES = {
    ("servers", "profile"): ("ubuntu", "al2023", "sandbox"),
    ("certificates", "method"): ("webroot", "standalone"),
    ("maintenance", "switch"): ("elastic-ip", "route53"),
}
_NOT_KEYS = {"path", "demo", "explicit", "ssh_config", "context", "document", "forced_read_only"}


def _choices(key: str, name: str) -> tuple[str, ...] | None:
    """The allowed values of `name` in section `key` (also inside `contexts.NAME.`)."""
    parts = key.split(".")
    if parts[0] == "contexts" and len(parts) > 2:
        parts = parts[2:]
    return _CHOICES.get((parts[0], name))


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        names = [_type_name(a) for a in get_args(tp) if a is not type(None)]
        return " or ".join(names)
    if origin is list:
        item = _type_name(get_args(tp)[0]).removeprefix("a ").removeprefix("an ")
        return f"a list of {item}s"
    if origin is dict:
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            Path: "a path string"}.get(tp, getattr(tp, "__name__", str(tp)))


class _Reader:
    """Turns a parsed TOML document into `Settings`, failing with one sentence."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.file}: {key}: expected {expected}.")

    def value(self, key: str, raw: Any, tp: Any) -> Any:
        origin = get_origin(tp)
        if origin in (Union, UnionType):
            inner = [a for a in get_args(tp) if a is not type(None)][0]
            return self.value(key, raw, inner)
        if dataclasses.is_dataclass(tp):
            return self.section(key, raw, tp)  # type: ignore[arg-type]
        if origin is list:
            if not isinstance(raw, list):
                raise self.fail(key, _type_name(tp))
            return [self.value(f"{key}[{i}]", v, get_args(tp)[0]) for i, v in enumerate(raw)]
        if origin is dict:
            if not isinstance(raw, dict):
                raise self.fail(key, "a table")
            vt = get_args(tp)[1]
            return {k: self.value(f"{key}.{k}", v, vt) for k, v in raw.items()}
        if tp is bool:
            if not isinstance(raw, bool):
                raise self.fail(key, "true or false")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(key, "an integer")
            if raw < 0:
                raise self.fail(key, "a number of zero or more")
            return raw
        if tp is float:
            if (isinstance(raw, bool) or not isinstance(raw, int | float)
                    or not math.isfinite(raw) or raw <= 0):
                raise self.fail(key, "a positive number")
            return float(raw)
        if tp is str:
            if not isinstance(raw, str):
                raise self.fail(key, "a string")
            return raw
        if tp is Path:
            if not isinstance(raw, str) or not raw.strip() or "\0" in raw:
                raise self.fail(key, "a path string")
            try:
                return Path(raw).expanduser()
            except RuntimeError:  # ~someone who is not a user here
                raise self.fail(key, f"a path, but {raw.split('/')[0]} names no user on this "
                                     f"machine") from None
        raise self.fail(key, _type_name(tp))  # pragma: no cover - every field type is above

    def section(self, key: str, raw: Any, cls: type) -> Any:
        if cls is ContextSettings:
            return self.context(key, raw)
        if not isinstance(raw, dict):
            raise self.fail(key, "a table")
        hints = get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_KEYS}
        for name in raw:
            if name not in fields:
                where = f"{key}.{name}" if key else name
                known = ", ".join(sorted(fields))
                raise ConfigError(f"{self.file}: unknown key '{where}' (expected one of: {known}).")
        kwargs: dict[str, Any] = {}
        for name, f in fields.items():
            where = f"{key}.{name}" if key else name
            if name in raw:
                kwargs[name] = self.value(where, raw[name], hints[name])
                choices = _choices(key, name)
                if choices and kwargs[name] not in choices:
                    raise self.fail(where, "one of " + ", ".join(choices))
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{self.file}: {where}: required key is missing.")
            elif isinstance(f.default, Path):
                kwargs[name] = f.default.expanduser()
        if cls is ServerSettings:  # which keys were set, so ssh_config can fill in the rest
            kwargs["explicit"] = frozenset(raw)
        return cls(**kwargs)


    def context(self, key: str, raw: Any) -> ContextSettings:
        """A `[contexts.NAME]` table: its own keys, and each section's keys and types."""
        name = key.rsplit(".", 1)[-1]
        if not isinstance(raw, dict):
            raise self.fail(key, "a table")
        if name == DEFAULT_CONTEXT:
            raise ConfigError(f"{self.file}: {key}: '{DEFAULT_CONTEXT}' names the top-level "
                              f"settings; give this context another name.")
        if not _CONTEXT_NAME.fullmatch(name):
            raise ConfigError(f"{self.file}: {key}: expected a context name of letters, digits, "
                              f"'.', '_' and '-' (at most 40), not {name!r}.")
        known = [f.name for f in dataclasses.fields(ContextSettings)]
        for item in raw:
            if item not in known:
                raise ConfigError(f"{self.file}: unknown key '{key}.{item}' (expected one of: "
                                  f"{', '.join(sorted(known))}).")
        kwargs: dict[str, Any] = {}
        for item in ("account", "banner", "theme", "description"):
            if item in raw:
                kwargs[item] = self.context_value(f"{key}.{item}", item, raw[item])
        hints = get_type_hints(Settings)
        for section in CONTEXT_SECTIONS:
            if section not in raw:
                continue
            where = f"{key}.{section}"
            if section == "servers":
                value = raw[section]
                if not isinstance(value, dict):
                    raise self.fail(where, "a table")
                for server, table in value.items():
                    if isinstance(table, dict):  # a missing host is told once merged (the
                        table = {"host": "", **table}  # maintenance template needs none)
                    self.section(f"{where}.{server}", table, ServerSettings)
            else:
                self.partial(where, raw[section], hints[section])
            kwargs[section] = raw[section]
        for item, (section, inner) in CONTEXT_SHORTHANDS.items():
            if item in kwargs and inner in kwargs.get(section, {}):
                raise ConfigError(f"{self.file}: {key}.{item} and {key}.{section}.{inner}: "
                                  f"set only one of them.")
        account = kwargs.get("aws", {}).get("account")
        if account is not None:
            self.context_value(f"{key}.aws.account", "account", account)
        return ContextSettings(**kwargs)

    def context_value(self, key: str, item: str, raw: Any) -> str:
        """A context's `account`, `banner`, `theme` or `description`: checked strings."""
        if item == "account":
            problem = account_problem(raw)
            if problem:
                raise ConfigError(f"{self.file}: {key}: {problem}")
            return raw
        value = self.value(key, raw, str)
        if item == "banner" and (not value.strip() or not value.isprintable() or len(value) > 60):
            raise self.fail(key, "one printable line of at most 60 characters")
        return value

    def partial(self, key: str, raw: Any, cls: type) -> None:
        """Some keys of a section (a context's override): each known and of the right type."""
        if not isinstance(raw, dict):
            raise self.fail(key, "a table")
        hints = get_type_hints(cls)
        fields = {f.name for f in dataclasses.fields(cls) if f.name not in _NOT_KEYS}
        for name, value in raw.items():
            if name not in fields:
                raise ConfigError(f"{self.file}: unknown key '{key}.{name}' (expected one of: "
                                  f"{', '.join(sorted(fields))}).")
            checked = self.value(f"{key}.{name}", value, hints[name])
            choices = _choices(key, name)
            if choices and checked not in choices:
                raise self.fail(f"{key}.{name}", "one of " + ", ".join(choices))


def account_problem(raw: Any) -> str:
    """Why `raw` is not an AWS account id (12 digits, as a quoted string), or ""."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (f"expected the 12-digit AWS account id as a quoted string, such as "
                f"\"{raw:012d}\" (a number loses its leading zeros).")
    if not isinstance(raw, str) or not _ACCOUNT_ID.fullmatch(raw):
        shown = raw if isinstance(raw, str) else type(raw).__name__
        return f"expected a 12-digit AWS account id such as \"123456789012\", not {shown!r}."
    return ""


def _decode(text: str, file: Path) -> dict[str, Any]:
    """The TOML document, or one `ConfigError` sentence naming the line."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{file}: not valid TOML (its tables or arrays are nested too "
                          f"deeply to read).") from None
    except tomllib.TOMLDecodeError as err:
        detail = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        where = f"line {m.group(1)}, column {m.group(2)}" if m else "somewhere"
        reason = re.sub(r"\s*\(at .*\)$", "", detail) or "invalid TOML"
        raise ConfigError(f"{file}: {where}: not valid TOML ({reason[0].lower() + reason[1:]}).") from None


def _settings_from(doc: dict[str, Any], file: Path) -> Settings:
    """Settings from a decoded document (top-level tables, contexts read but not applied)."""
    _template_host_optional(doc)
    _flatten_keymap(doc)
    settings = _Reader(file).section("", doc, Settings)
    if settings.ssh.config is not None:
        servers = {n: dataclasses.replace(s, ssh_config=settings.ssh.config)
                   for n, s in settings.servers.items()}
        settings = dataclasses.replace(settings, servers=servers)
    _check_references(settings, file)
    return dataclasses.replace(settings, path=file)


def _context_document(doc: dict[str, Any], context: ContextSettings) -> dict[str, Any]:
    """The top-level tables with one context's tables laid over them."""
    import copy

    merged = {k: copy.deepcopy(v) for k, v in doc.items() if k not in ("contexts", "default_context")}
    for section in CONTEXT_SECTIONS:
        override = getattr(context, section)
        if not override:
            continue
        if section == "servers":
            merged["servers"] = copy.deepcopy(override)
        else:
            base = merged.get(section)
            merged[section] = {**(base if isinstance(base, dict) else {}), **copy.deepcopy(override)}
    for item, (section, inner) in CONTEXT_SHORTHANDS.items():
        value = getattr(context, item)
        if value is not None:
            merged[section] = {**merged.get(section, {}), inner: value}
    return merged


def context_names(settings: Settings) -> list[str]:
    """Every context a person can switch to: "default" (the top level), then the named ones."""
    return [DEFAULT_CONTEXT, *settings.contexts]


def select_context(settings: Settings, name: str | None, *, origin: str = "--context") -> Settings:
    """The settings of context `name` ("default" or None: the top-level ones).

    `origin` says where the name came from (--context, PRIMETUI_CONTEXT, default_context)
    for the one sentence when there is no such context.
    """
    file = settings.path or Path("the configuration")
    if name is None or name == DEFAULT_CONTEXT:
        if not settings.document:  # built in code: nothing to rebuild from
            return dataclasses.replace(settings, context=None)
        base = _settings_from(_plain_copy(settings.document), file)
        return _keep_context_fields(base, settings, None)
    context = settings.contexts.get(name)
    if context is None:
        if settings.contexts:
            known = ", ".join(context_names(settings))
            raise ConfigError(f"{origin} names the context '{name}', which {file} does not "
                              f"define (its contexts are: {known}).")
        raise ConfigError(f"{origin} names the context '{name}', but {file} defines no "
                          f"contexts (add a [contexts.{name}] table).")
    try:
        chosen = _settings_from(_context_document(settings.document, context), file)
    except ConfigError as err:
        raise ConfigError(f"{str(err).rstrip('.')} (in context '{name}').") from None
    return _keep_context_fields(chosen, settings, name)


AWS_ENVIRONMENT = {"region": ("AWS_REGION", "AWS_DEFAULT_REGION"), "profile": ("AWS_PROFILE",)}
"""The environment variables the AWS CLI reads for each `[aws]` key, first one wins."""


def with_aws_environment(settings: Settings, environ: Any = None) -> Settings:
    """`aws.profile` and `aws.region` from the environment, as the AWS CLI reads them, over
    the file's, except where the chosen context sets its own (what a switch in the app
    uses; the command line's flags apply only to the context primetui starts in)."""
    environ = os.environ if environ is None else environ
    own = settings.contexts[settings.context].aws if settings.context in settings.contexts else {}
    changes = {}
    for key, names in AWS_ENVIRONMENT.items():
        named = next((n for n in names if environ.get(n)), None)
        if named and key not in own:
            changes[key] = environ[named]
    return dataclasses.replace(settings, aws=dataclasses.replace(settings.aws, **changes))


def _plain_copy(doc: dict[str, Any]) -> dict[str, Any]:
    import copy

    return {k: copy.deepcopy(v) for k, v in doc.items() if k not in ("contexts", "default_context")}


def _keep_context_fields(chosen: Settings, source: Settings, name: str | None) -> Settings:
    """`chosen` with the contexts, the document and the session's flags of `source`."""
    ui = chosen.ui
    if source.forced_read_only:
        ui = dataclasses.replace(ui, read_only=True)
    return dataclasses.replace(chosen, contexts=source.contexts, ui=ui,
                               default_context=source.default_context, context=name,
                               document=source.document, demo=source.demo,
                               forced_read_only=source.forced_read_only)


def _check_contexts(settings: Settings, doc: dict[str, Any], file: Path) -> list[str]:
    """Every context built once (so `config check` finds a mistake in any of them), and
    `default_context` naming one; one sentence per problem."""
    problems = []
    default = settings.default_context
    if default is not None and default != DEFAULT_CONTEXT and default not in settings.contexts:
        known = ", ".join(context_names(settings))
        problems.append(f"{file}: default_context: expected the name of a [contexts] table "
                        f"({known}), '{default}' is not one.")
    for name, context in settings.contexts.items():
        try:
            _settings_from(_context_document(doc, context), file)
        except ConfigError as err:
            problems.append(f"{str(err).rstrip('.')} (in context '{name}').")
    return problems


def parse_settings(text: str, file: Path) -> Settings:
    """Parse TOML text into `Settings`; every problem is one `ConfigError` sentence.

    These are the top-level settings; `select_context` gives a named context's.
    """
    doc = _decode(text, file)
    settings = _settings_from(doc, file)
    problems = _check_contexts(settings, doc, file)
    if problems:
        raise ConfigError(problems[0])
    return dataclasses.replace(settings, document=_plain_copy(doc))


_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\$?")


def is_domain_name(name: str) -> bool:
    """Whether `name` is a DNS name: dot-separated labels of a-z, 0-9 and inner dashes
    (international names as their xn-- form), at most 253 characters, a trailing dot allowed.
    A leading `*.` (a wildcard certificate) is accepted as well."""
    if not isinstance(name, str) or not name.isascii():
        return False
    name = name.lower().removesuffix(".").removeprefix("*.")
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)


def _check_url(url: str) -> bool:
    """Whether `url` is an http(s) URL with a host (what botocore can send requests to)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and not any(ch.isspace() for ch in url))


def _check_names(s: Settings, file: Path) -> None:
    """Values that reach a shell or a URL: domains, the AWS endpoint, SSH user names; the
    pinned account id and the banner."""
    if s.aws.account is not None and account_problem(s.aws.account):
        raise ConfigError(f"{file}: aws.account: {account_problem(s.aws.account)}")
    banner = s.ui.banner
    if banner is not None and (not banner.strip() or not banner.isprintable() or len(banner) > 60):
        raise ConfigError(f"{file}: ui.banner: expected one printable line of at most 60 "
                          f"characters.")
    if s.aws.endpoint_url is not None and not _check_url(s.aws.endpoint_url):
        raise ConfigError(f"{file}: aws.endpoint_url: expected an http:// or https:// URL "
                          f"with a host name, not '{s.aws.endpoint_url}'.")
    for i, domain in enumerate(s.certificates.domains):
        if not is_domain_name(domain):
            raise ConfigError(f"{file}: certificates.domains[{i}]: expected a domain name "
                              f"(letters, digits, dashes and dots), not {domain!r}.")
    for domain in s.certificates.endpoints:
        if not is_domain_name(domain):
            raise ConfigError(f"{file}: certificates.endpoints: expected domain names as keys, "
                              f"not {domain!r}.")
    if s.maintenance.domain and not is_domain_name(s.maintenance.domain):
        raise ConfigError(f"{file}: maintenance.domain: expected a domain name (letters, "
                          f"digits, dashes and dots), not {s.maintenance.domain!r}.")
    for name, server in s.servers.items():
        if not _USER_NAME.fullmatch(server.user):
            raise ConfigError(f"{file}: servers.{name}.user: expected a login name (letters, "
                              f"digits, . _ -), not {server.user!r}.")


def _flatten_keymap(doc: dict[str, Any]) -> None:
    """`[keymap.certificates] renew = "N"` is `"certificates.renew" = "N"`: one flat table."""
    keymap = doc.get("keymap")
    if not isinstance(keymap, dict):
        return
    flat: dict[str, Any] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = value

    walk("", keymap)
    doc["keymap"] = flat


def _template_host_optional(doc: dict[str, Any]) -> None:
    """The maintenance template needs no `host`: the launched instance's address replaces it."""
    maintenance = doc.get("maintenance")
    name = maintenance.get("server", "maintenance") if isinstance(maintenance, dict) else "maintenance"
    servers = doc.get("servers")
    if isinstance(name, str) and isinstance(servers, dict) and isinstance(servers.get(name), dict):
        servers[name].setdefault("host", "")


def _check_references(s: Settings, file: Path) -> None:
    _check_names(s, file)
    for name, server in s.servers.items():
        if not server.host.strip() and name != s.maintenance.server:
            raise ConfigError(f"{file}: servers.{name}.host: expected a host name or address.")
        if not 0 < server.port < 65536:
            raise ConfigError(f"{file}: servers.{name}.port: expected a port between 1 and 65535.")
        if server.key is not None and not server.key.is_file():
            raise ConfigError(f"{file}: servers.{name}.key: expected an existing key file, "
                              f"{server.key} does not exist.")
    if s.certificates.domains and s.certificates.server not in s.servers and s.certificates.server != "local":
        raise ConfigError(f"{file}: certificates.server: expected the name of a [servers] table, "
                          f"'{s.certificates.server}' is not one.")
    if s.certificates.critical_days > s.certificates.warn_days:
        raise ConfigError(f"{file}: certificates.critical_days: expected at most warn_days "
                          f"({s.certificates.warn_days}).")
    if s.certificates.ca_file is not None and not s.certificates.ca_file.is_file():
        raise ConfigError(f"{file}: certificates.ca_file: expected an existing file, "
                          f"{s.certificates.ca_file} does not exist.")
    if ":" in s.backups.source and not s.backups.source.startswith(("/", "~", ".")):
        source_server = s.backups.source.split(":", 1)[0]
        if source_server not in s.servers:
            raise ConfigError(f"{file}: backups.source: expected a local path or SERVER:/path with "
                              f"a configured server, '{source_server}' is not one.")
    _check_maintenance(s.maintenance, file)
    template = s.servers.get(s.maintenance.server)
    if template is not None and template.port != 22 and not s.maintenance.addresses.get("maintenance"):
        raise ConfigError(f"{file}: servers.{s.maintenance.server}.port: a new maintenance "
                          f"instance's sshd listens on 22, so port {template.port} cannot be used "
                          f"with its address; remove `port`, or reach it through "
                          f"maintenance.addresses.maintenance = \"host:{template.port}\".")
    _check_backups(s.backups, file)
    if s.ui.refresh < MIN_REFRESH:
        raise ConfigError(f"{file}: ui.refresh: expected at least {MIN_REFRESH:g} seconds "
                          f"between background refreshes, not {s.ui.refresh:g}.")


MIN_REFRESH = 10.0
"""The shortest `ui.refresh`: more often would keep a server's SSH busy for nothing."""


def _check_backups(b: BackupSettings, file: Path) -> None:
    """`[backups]`: a file-name-safe name, a destination that exists or can, sane limits."""
    if not b.name or b.name in (".", "..") or "/" in b.name or "\\" in b.name or \
            b.name.startswith(("-", ".")) or not b.name.isprintable():
        raise ConfigError(f"{file}: backups.name: expected a plain file-name prefix such as "
                          f"'prime' (no '/', no '..', not starting with '.' or '-'), "
                          f"not {b.name!r}.")
    if b.source.startswith("~"):
        try:
            Path(b.source).expanduser()
        except RuntimeError:
            raise ConfigError(f"{file}: backups.source: expected a path, but "
                              f"{b.source.split('/')[0]} names no user on this machine.") from None
    if b.destination.exists() and not b.destination.is_dir():
        raise ConfigError(f"{file}: backups.destination: expected a directory, "
                          f"{b.destination} is a file.")
    for key in ("max_archive_members", "max_archive_mb", "max_expansion_ratio"):
        if getattr(b, key) < 1:
            raise ConfigError(f"{file}: backups.{key}: expected a whole number of 1 or more.")


def cidr_problem(value: str) -> str:
    """Why `value` is not a network in CIDR notation (IPv4 or IPv6), or "" when it is one."""
    import ipaddress

    try:
        ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return (f"expected a network in CIDR notation such as \"203.0.113.0/24\" or "
                    f"\"2001:db8::/48\", not {value!r}.")
        return f"{value!r} has host bits set; the network is \"{loose}\"."
    return ""


def _check_maintenance(m: MaintenanceSettings, file: Path) -> None:
    """`maintenance.addresses` keys and values, and the Route 53 zone when it is needed."""
    if m.admin_cidr:
        problem = cidr_problem(m.admin_cidr)
        if problem:
            raise ConfigError(f"{file}: maintenance.admin_cidr: {problem}")
    for key, value in m.addresses.items():
        if key not in MAINTENANCE_ADDRESS_KEYS:
            raise ConfigError(f"{file}: unknown key 'maintenance.addresses.{key}' (expected one "
                              f"of: {', '.join(MAINTENANCE_ADDRESS_KEYS)}).")
        if not value.strip() or any(ch.isspace() for ch in value.strip()):
            raise ConfigError(f"{file}: maintenance.addresses.{key}: expected host:port.")
    if m.switch == "route53" and m.domain and not m.hosted_zone_id:
        raise ConfigError(f"{file}: maintenance.hosted_zone_id: expected the hosted zone id "
                          f"when switch = \"route53\".")


def config_problems(text: str, file: Path) -> list[str]:
    """Every problem in a config file, one sentence each (what `primetui config check` lists).

    Each key is checked on its own, so one mistake does not hide the next; a misspelt key
    gets a "did you mean". The references between sections (servers named, files that must
    exist) are checked once every key is well formed.
    """
    import difflib

    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        try:
            parse_settings(text, file)
        except ConfigError as err:
            return [str(err)]
        return []  # pragma: no cover - tomllib and parse_settings agree
    _flatten_keymap(doc)
    reader = _Reader(file)
    problems: list[str] = []

    def walk_context(key: str, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            reader.context(key, {})  # its name
        except ConfigError as err:
            problems.append(str(err))
            return {}
        sections = get_type_hints(Settings)
        kept: dict[str, Any] = {}
        for name, value in raw.items():
            where = f"{key}.{name}"
            if name in ("account", "banner", "theme", "description"):
                try:
                    reader.context_value(where, name, value)
                except ConfigError as err:
                    problems.append(str(err))
                    continue
            elif name == "servers" and isinstance(value, dict):
                value = {k: walk(f"{where}.{k}", v, ServerSettings) if isinstance(v, dict)
                         else v for k, v in value.items()}
            elif name in CONTEXT_SECTIONS and isinstance(value, dict):
                value = walk(where, value, sections[name])
            kept[name] = value
        return kept

    def walk(key: str, raw: dict[str, Any], cls: Any) -> dict[str, Any]:
        if cls is ContextSettings:
            return walk_context(key, raw)
        hints = get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_KEYS}
        kept: dict[str, Any] = {}
        for name, value in raw.items():
            where = f"{key}.{name}" if key else name
            if name not in fields:
                close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
                hint = (f" (did you mean '{close[0]}'?)" if close
                        else f" (expected one of: {', '.join(sorted(fields))})")
                problems.append(f"{file}: unknown key '{where}'{hint}.")
                continue
            tp = hints[name]
            if dataclasses.is_dataclass(tp) and isinstance(value, dict):
                kept[name] = walk(where, value, tp)
                continue
            if (get_origin(tp) is dict and dataclasses.is_dataclass(get_args(tp)[1])
                    and isinstance(value, dict)):
                kept[name] = {k: walk(f"{where}.{k}", v, get_args(tp)[1]) if isinstance(v, dict)
                              else v for k, v in value.items()}
                continue
            try:
                checked = reader.value(where, value, tp)
                choices = _choices(key, name)
                if choices and checked not in choices:
                    raise reader.fail(where, "one of " + ", ".join(choices))
            except ConfigError as err:
                problems.append(str(err))
                continue
            kept[name] = value
        return kept

    cleaned = walk("", doc, Settings)
    try:
        _template_host_optional(cleaned)
        settings = reader.section("", cleaned, Settings)
        _check_references(settings, file)
    except ConfigError as err:
        if str(err) not in problems:
            problems.append(str(err))
        return problems
    problems += [p for p in _check_contexts(settings, cleaned, file) if p not in problems]
    return problems


def check_config_ownership(file: Path, info: os.stat_result | None = None) -> None:
    """Refuse, as ssh does, a config file that someone else could have written.

    The config holds commands primetui runs (locally and over SSH, some under sudo), so a
    file that is world-writable, sits in a world-writable directory without the sticky bit,
    or belongs to another user (not root, not the one running primetui) is refused with the
    command that fixes it.
    """
    info = info or file.stat()
    me = os.getuid()
    if info.st_uid not in (0, me):
        raise ConfigError(f"{file}: refused because it belongs to another user (uid "
                          f"{info.st_uid}), and it holds commands primetui runs; copy it to a "
                          f"file of your own or run 'chown {me} {file}'.")
    if info.st_mode & stat.S_IWOTH:
        raise ConfigError(f"{file}: refused because anyone can write to it, and it holds "
                          f"commands primetui runs; run 'chmod go-w {file}'.")
    folder = file.parent
    try:
        where = folder.stat()
    except OSError:
        return
    if where.st_mode & stat.S_IWOTH and not where.st_mode & stat.S_ISVTX:
        raise ConfigError(f"{file}: refused because anyone can replace it (its folder {folder} "
                          f"is world-writable), and it holds commands primetui runs; run "
                          f"'chmod o-w {folder}' or move the file.")
    if where.st_uid not in (0, me):
        raise ConfigError(f"{file}: refused because its folder {folder} belongs to another "
                          f"user (uid {where.st_uid}), who could replace it; move the file to "
                          f"a folder of your own.")


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read the config file; `ConfigError` (exit code 2) on any problem."""
    file = config_path(explicit)
    try:
        with open(file, "rb") as handle:
            check_config_ownership(file, os.fstat(handle.fileno()))
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no configuration file; run 'primetui config init' to write one.") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: cannot be read (it is a directory).") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"{file}: cannot be read ({reason}).") from None
    return parse_settings(text, file)


def to_document(settings: Settings) -> dict[str, Any]:
    """The settings as a TOML-ready dict (None values dropped, paths as strings)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                    if f.name not in _NOT_KEYS and getattr(value, f.name) is not None}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    doc = plain(settings)
    contexts = {name: {k: v for k, v in table.items() if v not in ({}, "")}
                for name, table in doc.pop("contexts", {}).items()}
    if contexts:
        doc["contexts"] = contexts
    if not doc.get("keymap"):  # no empty [keymap] table in every file written
        doc.pop("keymap", None)
    return doc


def save_settings(settings: Settings, file: Path) -> None:
    """Write settings with tomli-w atomically (temp file, fsync, rename), mode 0600."""
    write_document(to_document(settings), file)


def write_document(doc: dict[str, Any], file: Path) -> None:
    """Write a TOML document atomically with mode 0600."""
    import tomli_w

    _write_text(tomli_w.dumps(doc), file)


def _write_text(text: str, file: Path) -> None:
    """Write text atomically (temp file, fsync, rename) with mode 0600."""
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _ui_table(file: Path, what: str) -> tuple[Any, Any]:
    """The user's config file parsed with tomlkit (comments and order kept) and its `[ui]`
    table, made when missing; `what` names the setting in the sentence of a failure."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = file.read_text(encoding="utf-8") if file.exists() else ""
        doc = tomlkit.parse(text)
    except (TOMLKitError, UnicodeDecodeError):
        raise ConfigError(f"{file}: not valid TOML, so the {what} was not saved.") from None
    except OSError as err:
        raise ConfigError(f"{file}: cannot be read ({err.strerror}), so the {what} was not "
                          f"saved.") from None
    ui = doc.get("ui")
    if ui is None:
        ui = tomlkit.table()
        doc["ui"] = ui
    return doc, ui


def save_theme(file: Path, theme: str) -> None:
    """Remember the chosen theme in the user's config file, keeping its comments and order.

    The user's file is edited with tomlkit (format-preserving); tomli-w is only for files
    primetui writes whole.
    """
    import tomlkit

    doc, ui = _ui_table(file, "theme")
    if not isinstance(ui, dict):
        raise ConfigError(f"{file}: ui: expected a table, so the theme was not saved.")
    ui["theme"] = theme
    _write_text(tomlkit.dumps(doc), file)


def save_table_sort(file: Path, tab: str, sort: str | None) -> None:
    """Remember a table tab's sort in `[ui.sort]` of the user's config file (None forgets
    it), keeping the file's comments and order as `save_theme` does."""
    import tomlkit

    doc, ui = _ui_table(file, "sort")
    if not isinstance(ui, dict) or not isinstance(ui.get("sort", {}), dict):
        raise ConfigError(f"{file}: ui.sort: expected a table, so the sort was not saved.")
    table = ui.get("sort")
    if table is None:
        if sort is None:
            return
        table = tomlkit.table()
        ui["sort"] = table
    if sort is None:
        table.pop(tab, None)
    else:
        table[tab] = sort
    _write_text(tomlkit.dumps(doc), file)


STARTER = """\
# primetui configuration. Every key is optional unless marked required.
# Reference: README.md, "Configuration". Check it with: primetui config check

[aws]
# profile = "prime"            # a profile in ~/.aws/config; unset = default credentials
region = "us-east-2"
# endpoint_url = "http://127.0.0.1:5000"   # moto, LocalStack or a VPC endpoint
# deadline = 90                # seconds one AWS call may take in all, however slow the answer

# [ssh]
# config = "~/.ssh/config"     # the ssh_config read for every server (the default)

# [servers.prod]
# host = "prime.example.edu"   # required in each [servers.NAME]; a Host alias of ssh_config works
# user = "ubuntu"
# key = "~/.ssh/prime-prod.pem"
# profile = "ubuntu"           # ubuntu | al2023 | sandbox
# instance = "i-0123456789abcdef0"

[instances]
protected = []
protected_tags = { Environment = "prod" }

[certificates]
domains = []                   # e.g. ["prime.example.edu"]
server = "prod"
method = "webroot"             # or "standalone"
# webroot = "/var/www/certbot"  # default: servers.NAME.paths.webroot (the host profile's)
containers = []                # stopped and started around a standalone renewal
# stop_command = "docker stop {containers}"    # how a standalone renewal frees port 80
# start_command = "docker start {containers}"  # and gives it back, even after a failure
warn_days = 21
critical_days = 7

[backups]
source = "~/prime"             # a local path, or "prod:/home/ubuntu/prime"
include = [".env", ".env.*", "config/"]
destination = "~/secure-backups"
name = "prime"
keep = 8
max_age_days = 7

[maintenance]
domain = ""
prod = "prod"
instance_type = "t3.nano"
admin_cidr = ""                # required for `on`: the lab network, e.g. "203.0.113.0/24"
switch = "elastic-ip"          # or "route53" (then hosted_zone_id = "Z…")
# contact = "it@example.edu"   # shown on the maintenance page
# addresses = { maintenance = "10.0.0.12:22", verify = "203.0.113.10:443" }  # host:port overrides

[ui]
theme = "prime-dark"
read_only = false
refresh = 120                  # seconds between background refreshes (Overview, Certificates)

# Contexts: other places to work (staging, prod, another project), each over the settings
# above; switch with --context NAME or ctrl+o in the app. README.md, "Contexts".
# default_context = "staging"  # (this line goes above the first [section])
# [contexts.prod]
# account = "123456789012"     # refuse to act when the credentials belong to another account
# banner = "PRODUCTION"
# [contexts.prod.aws]
# profile = "prime-prod"
# [contexts.prod.servers.prod]
# host = "prime.example.edu"

# [keymap]                     # move a key: binding id = keys (`?` and the README list the ids)
# "certificates.renew" = "N"
# "app.ssh_shell" = "ctrl+s,S"
"""


def write_starter(file: Path, *, force: bool = False) -> Path:
    """Write the starter config (mode 0600); refuses to overwrite an existing file."""
    if file.exists() and not force:
        raise ConfigError(f"{file}: already exists; edit it, or remove it first.")
    parse_settings(STARTER, file)  # the starter must always be valid
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(STARTER)
    except OSError as err:
        reason = (err.strerror or type(err).__name__).lower()
        raise ConfigError(f"{file}: the starter config cannot be written there ({reason}); "
                          f"pass --config with a path in a folder you can write.") from None
    return file
