"""What every wizard step shares: settings, saved progress, AWS calls, runners, local files.

`WizardContext` is made once per plan; it knows where the page files live, how to reach
both hosts (opening a runner per step and closing it again) and where traffic goes now.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from primetui.config import ServerSettings, Settings
from primetui.errors import ConfigError
from primetui.maintenance.aws_side import MaintenanceAws
from primetui.maintenance.progress import WizardState
from primetui.maintenance.ssh_side import (
    HostCommands,
    RunnerFactory,
    maintenance_server,
    prod_server,
)
from primetui.maintenance.verify import VerificationFailed, serves_maintenance
from primetui.plans.plan import StepContext
from primetui.remote.runners import Runner


@dataclass(frozen=True)
class Timing:
    """How long the wizard waits for things, and how often it looks (tests shorten these)."""

    verify_timeout: float = 120.0
    """Seconds a verification keeps trying (nginx reload, address move, DNS)."""
    verify_interval: float = 2.0
    probe_timeout: float = 8.0
    """Seconds one TLS probe or page fetch may take."""


class WizardContext:
    """The wizard's shared parts; steps read and record progress through `state`."""

    def __init__(self, settings: Settings, state: WizardState, aws: MaintenanceAws,
                 runner_factory: RunnerFactory, work_dir: Path, timing: Timing, *,
                 certbot_dir: Callable[[str], str | None] | None = None) -> None:
        self.settings = settings
        self.m = settings.maintenance
        self.state = state
        self.aws = aws
        self.runner_factory = runner_factory
        self.work_dir = work_dir
        self.timing = timing
        self._runners: dict[tuple[str, str, int, str], Runner] = {}
        self._pinned = False
        self._certbot_dir = certbot_dir
        self._prod_letsencrypt: tuple[str | None] | None = None

    # -- names and files ---------------------------------------------------------------

    @property
    def domain(self) -> str:
        """The site's domain (required)."""
        if not self.m.domain:
            raise ConfigError("maintenance.domain is not set in the config: set the site's "
                              "domain first.")
        return self.m.domain

    @property
    def index_file(self) -> Path:
        """The page, written locally where the person can edit it."""
        return self.work_dir / "maintenance" / "index.html"

    @property
    def conf_file(self) -> Path:
        """The nginx conf, written locally where the person can edit it."""
        return self.work_dir / "nginx" / "maintenance.conf"

    @property
    def keys_dir(self) -> Path:
        """Where the key pair's private key is kept (0700)."""
        return self.work_dir / "keys"

    def page_hash(self) -> str:
        """A fingerprint of the local page and conf as they are now."""
        from primetui.maintenance.progress import digest

        files = [self.index_file, self.conf_file]
        return digest(*(f.read_bytes() if f.exists() else b"" for f in files))

    # -- hosts -------------------------------------------------------------------------

    def prod_instance(self) -> str:
        """prod's EC2 instance id, from the recorded facts or the config."""
        found = self.state.get("prod_instance_id")
        if found:
            return found
        server = self.settings.servers.get(self.m.prod)
        if server is None or not server.instance:
            raise ConfigError(f"servers.{self.m.prod}.instance is not set: the wizard needs "
                              f"prod's EC2 instance id to copy its rules and move its traffic "
                              f"(`primetui maintenance discover` finds it).")
        return server.instance

    def key_file(self) -> Path | None:
        """The private key the wizard saved for its key pair, if it made one."""
        name = self.state.get("key_file")
        return Path(name) if name else None

    def prod_settings(self) -> ServerSettings:
        """How prod is reached."""
        return prod_server(self.settings)

    def maint_settings(self) -> ServerSettings:
        """How the maintenance host is reached (its public address, or the override)."""
        return maintenance_server(self.settings, self.state.get("public_ip"), self.key_file())

    def prod_letsencrypt(self) -> str | None:
        """certbot's configuration directory on prod as certbot names it (asked once per
        plan; None: not known, and prod's `paths.letsencrypt` is used)."""
        if self._prod_letsencrypt is None:
            found = self._certbot_dir(self.m.prod) if self._certbot_dir else None
            self._prod_letsencrypt = (found,)
        return self._prod_letsencrypt[0]

    def commands(self) -> HostCommands:
        """The install, certificates and site commands for this pair of hosts."""
        return HostCommands(self.domain, self.prod_settings(), self.maint_settings(),
                            prod_letsencrypt=self.prod_letsencrypt())

    @contextlib.contextmanager
    def runner(self, which: str) -> Iterator[Runner]:
        """The runner for "prod" or "maintenance", kept open for the next steps of this run.

        A failure closes every runner (the connection may be what failed); the plan's last
        step closes them when it ends (`close_runners`).
        """
        server = self.prod_settings() if which == "prod" else self.maint_settings()
        key = (which, server.host, server.port, server.user)
        runner = self._runners.get(key)
        if runner is None:
            name = self.m.prod if which == "prod" else "maintenance"
            runner = self._runners[key] = self.runner_factory(name, server)
        try:
            yield runner
        except BaseException:
            self.close_runners()
            raise

    def pin_maintenance_keys(self, emit: Callable[[str], None]) -> None:
        """Pin the maintenance instance's host keys from its console output (once a run).

        When the boot log has none yet, say so: the connection then shows the key the host
        presents for the person to accept, as for any unknown host.
        """
        from primetui.maintenance.host_keys import console_host_keys, pin_host_keys

        iid = self.state.get("instance_id")
        if self._pinned or not iid:
            return
        server = self.maint_settings()
        keys = console_host_keys(self.aws.console_output(iid))
        if not keys:
            emit(f"The console output of {iid} shows no SSH host keys yet (cloud-init prints "
                 f"them while the instance boots), so the key {server.host}:{server.port} "
                 f"presents cannot be checked against it: accept it only if you trust it.")
            return
        pin_host_keys(server.known_hosts, server.host, server.port, keys)
        emit(f"Pinned the host keys of {iid} from its console output "
             f"({', '.join(kind for kind, _ in keys)}) in {server.known_hosts}.")
        self._pinned = True

    def close_runners(self) -> None:
        """Close every connection this run opened."""
        runners, self._runners = list(self._runners.values()), {}
        for runner in runners:
            with contextlib.suppress(Exception):
                runner.close()

    def maintenance_https(self) -> str:
        """Where the maintenance host's HTTPS is probed before the switch."""
        override = self.m.addresses.get("maintenance_https")
        if override:
            return override
        listen = self.m.addresses.get("listen_https", "")
        if ":" in listen and not listen.startswith(("*:", "0.0.0.0:", "[::]:")):
            return listen  # nginx listens on one address: probe it there
        ip = self.state.get("public_ip")
        if not ip:
            raise ConfigError("The maintenance instance has no public address to probe; set "
                              "maintenance.addresses.maintenance_https.")
        return f"{ip}:{self.https_port()}"

    def https_port(self) -> int:
        """The port the maintenance nginx serves HTTPS on (from listen_https; 443)."""
        listen = self.m.addresses.get("listen_https", "")
        tail = listen.rsplit(":", 1)[-1] if listen else ""
        return int(tail) if tail.isdigit() else 443

    def verify_address(self) -> str:
        """Where DOMAIN's HTTPS is probed to verify the switch (on the port nginx serves)."""
        return self.m.addresses.get("verify") or f"{self.domain}:{self.https_port()}"

    def verify(self, check: Callable[[str, str, Path | None, float], tuple[bool, str]],
               address: str, emit: Callable[[str], None],
               is_cancelled: Callable[[], bool]) -> tuple[bool, str]:
        """Repeat a page check at `address` until it passes or the verify timeout ends."""
        from primetui.maintenance.verify import wait_until

        t = self.timing
        ca = self.settings.certificates.ca_file
        return wait_until(lambda: check(self.domain, address, ca, t.probe_timeout),
                          timeout=t.verify_timeout, interval=t.verify_interval, emit=emit,
                          is_cancelled=is_cancelled)


def switch_target(ctx: WizardContext, to_maintenance: bool) -> None:
    """Point the Elastic IP (or the Route 53 record) at the maintenance host or at prod."""
    if ctx.m.switch == "elastic-ip":
        target = ctx.state.get("instance_id") if to_maintenance else ctx.prod_instance()
        ctx.aws.move_address(str(ctx.state.get("allocation_id")), str(target))
    else:
        value = ctx.state.get("public_ip") if to_maintenance else ctx.state.get("prod_record")
        ctx.aws.upsert(str(ctx.m.hosted_zone_id), ctx.domain, str(value),
                       int(ctx.state.get("record_ttl") or 300))


def traffic_on(ctx: WizardContext) -> str | None:
    """Where traffic goes now: the instance id (Elastic IP) or address (Route 53)."""
    if ctx.m.switch == "elastic-ip":
        alloc = ctx.state.get("allocation_id")
        return ctx.aws.address_target(alloc) if alloc else None
    return ctx.aws.record(str(ctx.m.hosted_zone_id), ctx.domain)[0]


def maintenance_target(ctx: WizardContext) -> str | None:
    """What `traffic_on` says when traffic goes to the maintenance host."""
    key = "instance_id" if ctx.m.switch == "elastic-ip" else "public_ip"
    return ctx.state.get(key)


def verify_or_fail(ctx: WizardContext, step: StepContext, address: str, what: str) -> None:
    """Wait until `address` serves the certificate and the maintenance page, or fail."""
    ok, message = ctx.verify(serves_maintenance, address, step.emit, step.is_cancelled)
    if not ok:
        raise VerificationFailed(f"{what} did not serve the maintenance page for {ctx.domain} "
                                 f"within {ctx.timing.verify_timeout:g} s: {message}")
