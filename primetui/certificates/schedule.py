"""What runs `certbot renew` on a server, asked the way the server itself answers, and what
installing automatic renewal should therefore do.

One short SSH command reads it: whether systemd runs (`systemctl is-system-running`), the
active timers and what each one starts (`systemctl list-timers`, `systemctl show -p
ExecStart`), certbot's packaged timers that are installed but off (`systemctl
list-unit-files`), the cron entries that run certbot renew and whether a cron daemon runs
or is installed, and certbot's deploy hooks with their text (does one reload nginx?).

`decide` turns that into one of: nothing to do; add only the deploy hook (a timer or cron
already renews: never a second scheduler); enable the packaged timer; install a timer;
install a cron entry; or refuse before writing anything because nothing on the host could
run a schedule, naming what to install.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from primetui.certificates.certbot import renewal_cron_lines
from primetui.errors import RemoteError

if TYPE_CHECKING:
    from primetui.certificates.certbot import RenewalConf
    from primetui.remote.profiles import HostProfile
    from primetui.remote.runners import Runner

PACKAGED_TIMERS = ("certbot.timer", "snap.certbot.renew.timer")
"""The timers certbot's own packages install (Debian/Ubuntu apt, snap)."""
SYSTEMD_UP = ("running", "degraded", "starting", "initializing", "maintenance", "stopping")
"""`systemctl is-system-running` answers meaning systemd is the init system."""
_MARK = "@@@schedule"
_NGINX_RELOAD = re.compile(r"nginx\b.*\b(reload|restart)\b|\bnginx\b.*-s\s+reload|"
                           r"\b(reload|restart)\b.*\bnginx\b")


@dataclass(frozen=True)
class RenewalSchedule:
    """What renews the certificates on a host, and what runs there to schedule anything."""

    systemd: bool
    """systemd is the init system (timers are the way there)."""
    timers: tuple[str, ...] = ()
    """Active timers whose service runs certbot renew."""
    packaged_off: tuple[str, ...] = ()
    """certbot's packaged timers that are installed but not active."""
    cron_lines: tuple[str, ...] = ()
    """Cron lines that run certbot renew here (a line that stands down under systemd does
    not count where systemd runs)."""
    cron_running: bool = False
    cron_installed: bool = False
    hooks: tuple[str, ...] = ()
    """Every script in renewal-hooks/deploy."""
    nginx_hooks: tuple[str, ...] = ()
    """The deploy hooks (scripts, or a renewal conf's deploy hook) that reload nginx."""

    @property
    def renewing(self) -> str | None:
        """What already runs certbot renew on a schedule, in words (None: nothing)."""
        if self.timers:
            return f"the systemd timer {', '.join(self.timers)}"
        if self.cron_lines and self.cron_running:
            return "a cron entry"
        return None


def schedule_script(config_dir: str, cron_dirs: tuple[str, ...] = ()) -> str:
    """The one shell script whose output `parse_schedule` reads."""
    le = shlex.quote(config_dir.rstrip("/"))
    extra = " ".join(f"{shlex.quote(d)}/*" for d in cron_dirs)
    return "\n".join([
        f"echo '{_MARK} systemd'",
        "if command -v systemctl >/dev/null 2>&1; then systemctl is-system-running 2>/dev/null;"
        " else echo absent; fi",
        f"echo '{_MARK} timers'",
        "systemctl list-timers --no-legend --no-pager 2>/dev/null | awk '{print $(NF-1), $NF}' |"
        " while read -r timer unit; do echo \"$timer $(systemctl show -p ExecStart --value"
        " \"$unit\" 2>/dev/null | tr '\\n' ' ')\"; done",
        f"echo '{_MARK} unit-files'",
        f"systemctl list-unit-files --no-legend --no-pager {' '.join(PACKAGED_TIMERS)}"
        " 2>/dev/null",
        f"echo '{_MARK} cron'",
        f"cat /etc/crontab /etc/cron.d/* {extra} 2>/dev/null; crontab -l 2>/dev/null",
        f"echo '{_MARK} crond'",
        "if pgrep -x cron >/dev/null 2>&1 || pgrep -x crond >/dev/null 2>&1; then echo running;"
        " elif command -v cron >/dev/null 2>&1 || command -v crond >/dev/null 2>&1 ||"
        " [ -x /usr/sbin/cron ] || [ -x /usr/sbin/crond ]; then echo stopped; else echo absent;"
        " fi",
        f"for f in {le}/renewal-hooks/deploy/*; do [ -f \"$f\" ] &&"
        f" echo \"{_MARK} hook $f\" && cat \"$f\"; done",
        "true",
    ])


def reloads_nginx(text: str) -> bool:
    """Whether a hook's text (a script, or a renewal conf's deploy hook) reloads nginx."""
    return any(_NGINX_RELOAD.search(line) for line in text.splitlines()
               if not line.lstrip().startswith("#"))


def parse_schedule(output: str, *, config_dir: str, wrapper: str | None = None,
                   confs: tuple[RenewalConf, ...] = ()) -> RenewalSchedule:
    """Read `schedule_script`'s output (and the renewal confs' own deploy hooks)."""
    sections: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        if line.startswith(_MARK + " "):
            sections.append((line[len(_MARK) + 1:], []))
        elif sections:
            sections[-1][1].append(line)
    text = {head: "\n".join(body) for head, body in sections}
    systemd = (text.get("systemd", "").split() or [""])[0] in SYSTEMD_UP
    timers: list[str] = []
    for line in text.get("timers", "").splitlines():
        timer, _, exec_start = line.strip().partition(" ")
        runs = exec_start.replace("certbot.renew", "certbot renew")
        if timer and (("certbot" in runs and "renew" in runs) or (wrapper and wrapper in runs)):
            timers.append(timer)
    installed = [line.split()[0] for line in text.get("unit-files", "").splitlines()
                 if line.split()[:1] and line.split()[0] in PACKAGED_TIMERS]
    cron = renewal_cron_lines(text.get("cron", ""), config_dir, wrapper)
    if systemd:  # Debian's own cron entry stands down where systemd runs (its timer renews)
        cron = tuple(line for line in cron if "/run/systemd/system" not in line)
    hooks: list[str] = []
    nginx: list[str] = []
    for head, body in sections:
        if head.startswith("hook "):
            name = head.rsplit("/", 1)[-1]
            hooks.append(name)
            if reloads_nginx("\n".join(body)):
                nginx.append(name)
    nginx += [f"{c.name}'s deploy hook" for c in confs
              if c.deploy_hook and reloads_nginx(c.deploy_hook)]
    crond = text.get("crond", "").strip()
    return RenewalSchedule(systemd=systemd, timers=tuple(timers),
                           packaged_off=tuple(t for t in installed if t not in timers),
                           cron_lines=cron, cron_running=crond == "running",
                           cron_installed=crond in ("running", "stopped"),
                           hooks=tuple(hooks), nginx_hooks=tuple(nginx))


def read_schedule(runner: Runner, profile: HostProfile, config_dir: str, *,
                  cron_dirs: tuple[str, ...] = (), wrapper: str | None = None,
                  confs: tuple[RenewalConf, ...] = ()) -> RenewalSchedule:
    """Ask the server what renews its certificates (one SSH command, sudo where needed)."""
    result = runner.run(schedule_script(config_dir, cron_dirs), sudo=profile.sudo, warn=True,
                        timeout=60)
    return parse_schedule(result.stdout, config_dir=config_dir, wrapper=wrapper, confs=confs)


class Install(StrEnum):
    """What installing automatic renewal does on a host."""

    NOTHING = "nothing"
    HOOK = "hook"
    """A timer or cron already renews: add only the deploy hook."""
    ENABLE = "enable"
    """certbot's packaged timer is there but off: enable it."""
    TIMER = "timer"
    CRON = "cron"


@dataclass(frozen=True)
class Decision:
    """What to install, whether the deploy hook is part of it, and the sentence saying so."""

    install: Install
    hook: bool
    """The deploy hook that reloads nginx is to be installed."""
    sentence: str
    timer: str = ""
    """The packaged timer to enable (Install.ENABLE)."""


def no_scheduler_help(profile: HostProfile) -> str:
    """The commands that install and start a cron daemon on this kind of host."""
    sudo = "sudo " if profile.sudo else ""
    if profile.name == "al2023":
        return f"`{sudo}dnf install -y cronie && {sudo}systemctl enable --now crond`"
    return f"`{sudo}apt-get install -y cron && {sudo}service cron start`"


def decide(schedule: RenewalSchedule, *, server: str, profile: HostProfile,
           practice: bool = False) -> Decision:
    """What installing automatic renewal should do on this host (raises when it cannot)."""
    hook = not schedule.nginx_hooks
    reloads = (f"after a renewal {', '.join(schedule.nginx_hooks)} reloads nginx"
               if schedule.nginx_hooks else "")
    if (who := schedule.renewing) is not None:
        if not hook:
            return Decision(Install.NOTHING, False, f"Automatic renewal is already on: {who} "
                                                    f"runs certbot renew on {server}, and "
                                                    f"{reloads}.")
        return Decision(Install.HOOK, True, f"{who[0].upper()}{who[1:]} already runs certbot "
                                            f"renew on {server}, but no deploy hook reloads "
                                            f"nginx after a renewal: only the hook is added "
                                            f"(no second timer).")
    also = " and a deploy hook that reloads nginx is added" if hook else f"; {reloads}"
    if schedule.systemd and schedule.packaged_off:
        timer = schedule.packaged_off[0]
        return Decision(Install.ENABLE, hook, f"certbot's own {timer} is installed on {server} "
                                              f"but not active: it is enabled{also}.", timer)
    if schedule.systemd:
        return Decision(Install.TIMER, hook, f"Nothing runs certbot renew on {server}: a systemd "
                                             f"timer is installed{also}.")
    if schedule.cron_running:
        return Decision(Install.CRON, hook, f"Nothing runs certbot renew on {server}: a cron "
                                            f"entry is installed (each run first sleeps a random "
                                            f"delay of up to an hour){also}.")
    if practice:
        return Decision(Install.CRON, hook, "The practice sandbox runs no cron daemon: the cron "
                                            "entry is written to show what would run" + also
                                            + ".")
    daemon = ("cron is installed but not running" if schedule.cron_installed
              else "no cron daemon is installed")
    entry = (", so its cron entry for certbot renew never runs" if schedule.cron_lines else "")
    fix = (f"`{'sudo ' if profile.sudo else ''}service cron start`"
           if schedule.cron_installed and profile.name != "al2023" else no_scheduler_help(profile))
    raise RemoteError(f"Nothing on {server} can run certbot renew on a schedule: systemd is not "
                      f"running there and {daemon}{entry}; run {fix} on {server}, then turn on "
                      f"automatic renewal again (nothing was written).")
