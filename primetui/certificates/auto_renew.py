"""Automatic renewal: "the renew should happen regularly", installed as a plan.

Where the host runs systemd, a timer (`primetui-certbot-renew.timer`) runs `certbot renew`
twice a day; elsewhere a cron.d entry does. Either way a deploy hook in certbot's
`renewal-hooks/deploy/` tests nginx's configuration and reloads it after every successful
renewal, whoever started it. With the standalone method the containers are stopped and
started again by certbot's pre and post hooks, which run only when a renewal is attempted.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from primetui.certificates.model import PortCommands
from primetui.certificates.server import (
    CRON_FILE_NAME,
    DEPLOY_HOOK_NAME,
    TIMER_UNIT,
    ServerCertificates,
)
from primetui.config import CertificateSettings, ServerSettings
from primetui.errors import RemoteError
from primetui.plans.plan import Plan, Step, StepContext
from primetui.remote.profiles import SANDBOX_ROOT, HostProfile

if TYPE_CHECKING:
    from primetui.remote.runners import Runner

_EOF = "PRIMETUI_EOF"


@dataclass(frozen=True)
class RenewalLocations:
    """Where the timer, or the cron entry, goes on this host."""

    systemd_dir: str | None = "/etc/systemd/system"
    cron_file: str = f"/etc/cron.d/{CRON_FILE_NAME}"
    cron_user: str = "root"
    practice: bool = False
    """The sandbox: its cron.d is a private directory no cron daemon reads."""

    @property
    def cron_dir(self) -> str:
        """The directory of the cron file."""
        return self.cron_file.rsplit("/", 1)[0]


def locations_for(profile: HostProfile, server: ServerSettings | None) -> RenewalLocations:
    """The system's directories, or private ones under the sandbox's root."""
    if profile.name != "sandbox" or server is None:
        return RenewalLocations()
    root = server.paths.get("root", SANDBOX_ROOT).rstrip("/")
    return RenewalLocations(systemd_dir=None, cron_file=f"{root}/cron.d/{CRON_FILE_NAME}",
                            cron_user=server.user, practice=True)


def renew_command(settings: CertificateSettings, commands: PortCommands) -> str:
    """What the timer or cron runs: a quiet `certbot renew`, with port hooks for standalone."""
    parts = [settings.certbot, "-q", "renew", "--no-random-sleep-on-renew"]
    if settings.method == "standalone" and settings.containers:
        names = " ".join(shlex.quote(c) for c in settings.containers)
        for option, template in (("--pre-hook", commands.stop), ("--post-hook", commands.start)):
            parts += [option, shlex.quote(template.replace("{containers}", names))]
    return " ".join(parts)


def deploy_hook_script(profile: HostProfile) -> str:
    """The deploy hook: test nginx's configuration, then reload it."""
    return ("#!/bin/sh\n"
            "# Installed by primetui: after certbot renews a certificate, check nginx's\n"
            "# configuration and reload it so that the new certificate is served.\n"
            "set -e\n"
            f"{profile.nginx_test}\n{profile.nginx_reload}\n")


def cron_entry(command: str, user: str) -> str:
    """A cron.d file running `command` twice a day (`%` is special to cron)."""
    return ("# Installed by primetui: renew Let's Encrypt certificates twice a day.\n"
            "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n"
            f"17 3,15 * * * {user} {command.replace('%', chr(92) + '%')}\n")


def timer_units(command: str) -> tuple[str, str]:
    """The systemd service and timer (ExecStart quoted the way systemd reads it)."""
    quoted = (command.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")
              .replace("%", "%%"))
    service = ("[Unit]\nDescription=Renew Let's Encrypt certificates (installed by primetui)\n\n"
               f"[Service]\nType=oneshot\nExecStart=/bin/sh -c \"{quoted}\"\n")
    timer = ("[Unit]\nDescription=Renew Let's Encrypt certificates twice a day\n\n"
             "[Timer]\nOnCalendar=*-*-* 03,15:17:00\nRandomizedDelaySec=1h\nPersistent=true\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return service, timer


def _write(path: str, text: str, mode: str = "644") -> str:
    """A shell snippet that writes `text` to `path` (a quoted heredoc: nothing expands)."""
    q = shlex.quote(path)
    return (f"install -d -m 755 {shlex.quote(path.rsplit('/', 1)[0])} && "
            f"cat > {q} <<'{_EOF}'\n{text}{_EOF}\nchmod {mode} {q}")


def build_auto_renewal_plan(runner: Runner, profile: HostProfile, settings: CertificateSettings,
                            status: ServerCertificates, locations: RenewalLocations,
                            reread: Callable[[], ServerCertificates],
                            commands: PortCommands | None = None) -> Plan:
    """Install the deploy hook and a timer (systemd) or cron entry, then check it is on."""
    commands = commands or PortCommands.from_settings(settings)
    sudo = profile.sudo

    def shown_as(script: str) -> str:
        """The script as typed: the whole of it through `sudo sh -c` where the host uses sudo."""
        from primetui.remote import shown

        return shown.sudo(script, sudo)

    hook = f"{status.config_dir}/renewal-hooks/deploy/{DEPLOY_HOOK_NAME}"
    hook_text = deploy_hook_script(profile)
    command = renew_command(settings, commands)

    def has(path: str, text: str) -> bool:
        found = runner.run(f"cat {shlex.quote(path)}", sudo=sudo, warn=True, timeout=30)
        return found.ok and found.stdout == text

    def install(script: str) -> Callable[[StepContext], None]:
        def run(ctx: StepContext) -> None:
            runner.run(script, sudo=sudo, on_line=ctx.emit, timeout=120)
        return run

    steps = [Step("Install a deploy hook that tests and reloads nginx after each renewal",
                  [shown_as(_write(hook, hook_text, "755"))], install(_write(hook, hook_text, "755")),
                  done=lambda: has(hook, hook_text))]
    if status.auto_renewal.systemd and locations.systemd_dir:
        service, timer = timer_units(command)
        base = f"{locations.systemd_dir}/{TIMER_UNIT}"
        script = "\n".join([_write(f"{base}.service", service), _write(f"{base}.timer", timer),
                            "systemctl daemon-reload",
                            f"systemctl enable --now {TIMER_UNIT}.timer"])
        steps.append(Step(f"Install and start the systemd timer {TIMER_UNIT}.timer",
                          [shown_as(script)], install(script),
                          done=lambda: has(f"{base}.timer", timer) and runner.run(
                              f"systemctl is-active {TIMER_UNIT}.timer", warn=True).ok))
    else:
        text = cron_entry(command, locations.cron_user)
        script = _write(locations.cron_file, text)
        steps.append(Step(f"Install the cron entry {locations.cron_file} (no systemd here)",
                          [shown_as(script)], install(script),
                          done=lambda: has(locations.cron_file, text)))

    def check(ctx: StepContext) -> None:
        auto = reread().auto_renewal
        ctx.emit(auto.describe())
        if auto.active:
            return
        if locations.practice and auto.cron_lines:
            ctx.emit("The practice sandbox runs no cron daemon: the entry shows what would run.")
            return
        raise RemoteError(f"{auto.describe()[:-1]} on {runner.host} even after installing it.")

    steps.append(Step("Check that automatic renewal is on", [], check))
    return Plan(title=f"Turn on automatic certificate renewal on {status.server}",
                target=status.server, steps=steps, action="certs.auto-renew")
