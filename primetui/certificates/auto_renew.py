"""Automatic renewal: "the renew should happen regularly", installed as a plan.

The server is asked first what already renews (see schedule.py): where certbot.timer (or a
cron entry) runs `certbot renew`, only the deploy hook is added, never a second scheduler;
certbot's packaged timer, installed but off, is enabled. Otherwise, where the host runs
systemd, a timer (`primetui-certbot-renew.timer`) runs `certbot renew` twice a day;
elsewhere a cron.d entry does, after a random delay of up to an hour. Where nothing could
run a schedule, it says so and what to install, before writing anything. The deploy hook
in certbot's `renewal-hooks/deploy/` tests nginx's configuration and reloads it after every
successful renewal, whoever started it. With the standalone method the containers are
stopped and started again by certbot's pre and post hooks, which run only when a renewal
is attempted.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from primetui.certificates.model import PortCommands
from primetui.certificates.schedule import (
    Decision,
    Install,
    RenewalSchedule,
    decide,
    read_schedule,
)
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


RANDOM_DELAY = "sleep $(shuf -i 0-3599 -n 1)"
"""What a cron run does first: sleep up to an hour, so that labs whose entries fire at the
same minute do not all reach Let's Encrypt at once (certbot.timer's RandomizedDelaySec, and
the `sleep` Debian's own /etc/cron.d/certbot does). certbot's own random sleep (up to 8
minutes when it runs without a terminal) is turned off with --no-random-sleep-on-renew
instead of adding up: this delay replaces it."""


def cron_entry(command: str, user: str) -> str:
    """A cron.d file running `command` twice a day after a random delay (`%` is special to
    cron, so it is escaped)."""
    return ("# Installed by primetui: renew Let's Encrypt certificates twice a day, each run\n"
            "# after a random delay of up to an hour.\n"
            "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n"
            f"17 3,15 * * * {user} {RANDOM_DELAY} && {command.replace('%', chr(92) + '%')}\n")


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


@dataclass(frozen=True)
class AutoRenewalChoice:
    """What installing automatic renewal does here: the plan (None when nothing is needed)
    and the sentence that says what was found and what the plan adds."""

    decision: Decision
    schedule: RenewalSchedule
    plan: Plan | None

    @property
    def sentence(self) -> str:
        """What was found and what the plan does (or why nothing is needed)."""
        return self.decision.sentence


def plan_auto_renewal(runner: Runner, profile: HostProfile, settings: CertificateSettings,
                      status: ServerCertificates, locations: RenewalLocations,
                      commands: PortCommands | None = None) -> AutoRenewalChoice:
    """Ask the server what renews its certificates, then plan only what is missing.

    A timer or cron entry that already runs certbot renew gets just the deploy hook (never a
    second scheduler); certbot's packaged timer, installed but off, is enabled; otherwise a
    timer (systemd) or a cron entry with a random delay is installed. Where nothing could run
    a schedule, `RemoteError` says so, and what to install, before anything is written.
    """
    from primetui.certificates.server import wrapper_of

    commands = commands or PortCommands.from_settings(settings)
    sudo = profile.sudo
    extra = (locations.cron_dir,) if locations.practice else ()

    def reread() -> RenewalSchedule:
        return read_schedule(runner, profile, status.config_dir, cron_dirs=extra,
                             wrapper=wrapper_of(settings.certbot), confs=status.renewal)

    schedule = reread()
    decision = decide(schedule, server=status.server, profile=profile,
                      practice=locations.practice)
    if decision.install is Install.NOTHING:
        return AutoRenewalChoice(decision, schedule, None)

    def shown_as(script: str) -> str:
        """The script as typed: the whole of it through `sudo sh -c` where the host uses sudo."""
        from primetui.remote import shown

        return shown.sudo(script, sudo)

    hooks_dir = f"{status.config_dir}/renewal-hooks/deploy"
    hook = f"{hooks_dir}/{DEPLOY_HOOK_NAME}"
    hook_text = deploy_hook_script(profile)
    command = renew_command(settings, commands)

    def has(path: str, text: str) -> bool:
        found = runner.run(f"cat {shlex.quote(path)}", sudo=sudo, warn=True, timeout=30)
        return found.ok and found.stdout == text

    def install(script: str) -> Callable[[StepContext], None]:
        def run(ctx: StepContext) -> None:
            runner.run(script, sudo=sudo, on_line=ctx.emit, timeout=120)
        return run

    def look(ctx: StepContext) -> None:
        ctx.emit(decide(reread(), server=status.server, profile=profile,
                        practice=locations.practice).sentence)

    steps = [Step(f"See what renews the certificates on {status.server} now",
                  ["systemctl is-system-running", "systemctl list-timers",
                   "cat /etc/crontab /etc/cron.d/*; pgrep -x cron",
                   f"ls {shlex.quote(hooks_dir)}"], look)]
    if decision.hook:
        write_hook = _write(hook, hook_text, "755")
        steps.append(Step("Install a deploy hook that tests and reloads nginx after each renewal",
                          [shown_as(write_hook)], install(write_hook),
                          done=lambda: has(hook, hook_text)))
    if decision.install is Install.ENABLE:
        timer = decision.timer
        enable = f"systemctl enable --now {shlex.quote(timer)}"
        steps.append(Step(f"Enable certbot's own {timer}", [shown_as(enable)], install(enable),
                          done=lambda: runner.run(f"systemctl is-active {shlex.quote(timer)}",
                                                  sudo=sudo, warn=True, timeout=30).ok))
    elif decision.install is Install.TIMER and locations.systemd_dir:
        service, timer_text = timer_units(command)
        base = f"{locations.systemd_dir}/{TIMER_UNIT}"
        script = "\n".join([_write(f"{base}.service", service), _write(f"{base}.timer", timer_text),
                            "systemctl daemon-reload",
                            f"systemctl enable --now {TIMER_UNIT}.timer"])
        steps.append(Step(f"Install and start the systemd timer {TIMER_UNIT}.timer",
                          [shown_as(script)], install(script),
                          done=lambda: has(f"{base}.timer", timer_text) and runner.run(
                              f"systemctl is-active {TIMER_UNIT}.timer", sudo=sudo,
                              warn=True, timeout=30).ok))
    elif decision.install in (Install.TIMER, Install.CRON):
        text = cron_entry(command, locations.cron_user)
        script = _write(locations.cron_file, text)
        steps.append(Step(f"Install the cron entry {locations.cron_file} (a random delay of up "
                          f"to an hour before each run)", [shown_as(script)], install(script),
                          done=lambda: has(locations.cron_file, text)))

    def check(ctx: StepContext) -> None:
        now = reread()
        who = now.renewing
        hooks = ", ".join(now.nginx_hooks) or "no deploy hook"
        if who is None and locations.practice and now.cron_lines:
            ctx.emit(f"The practice sandbox runs no cron daemon: the entry shows what would run; "
                     f"after a renewal {hooks} reloads nginx.")
            return
        if who is None:
            raise RemoteError(f"Nothing runs certbot renew on {runner.host} even after "
                              f"installing automatic renewal.")
        if not now.nginx_hooks:
            raise RemoteError(f"{who[0].upper()}{who[1:]} runs certbot renew on {runner.host}, "
                              f"but no deploy hook reloads nginx even after installing one.")
        ctx.emit(f"Automatic renewal is on: {who} runs certbot renew, and after a renewal "
                 f"{hooks} reloads nginx.")

    steps.append(Step("Check that automatic renewal is on and reloads nginx", [], check))
    titles = {Install.HOOK: f"Add a deploy hook that reloads nginx to the renewals on "
                            f"{status.server}",
              Install.ENABLE: f"Enable {decision.timer} on {status.server}"}
    title = titles.get(decision.install,
                       f"Turn on automatic certificate renewal on {status.server}")
    plan = Plan(title=title, target=status.server, steps=steps, action="certs.auto-renew")
    return AutoRenewalChoice(decision, schedule, plan)
