"""The server side of a certificate: what certbot holds, how it renews, and whether it will.

One SSH command reads it all (a round trip costs more than the work): `certbot
certificates`, every renewal conf, the deploy hooks, the systemd timers and the cron
entries that run `certbot renew`, and whether a cron daemon runs. Where the files live is
certbot's own answer (the host profile's, or a `--config-dir` in `certificates.certbot`,
only while certbot lists nothing). Once certbot has named its directory, a poll reads the
same facts from the files alone (`from_files`: see lineage_files), without running certbot.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from primetui.certificates.certbot import (
    CertbotListing,
    RenewalConf,
    certbot_option,
    parse_certificates,
    parse_renewal_conf,
    renewal_cron_lines,
)
from primetui.certificates.lineage_files import (
    MARK,
    lineage_lines,
    listing_from_files,
    split_lineages,
)
from primetui.config import CertificateSettings
from primetui.errors import RemoteError
from primetui.remote.profiles import HostProfile

if TYPE_CHECKING:
    from primetui.remote.runners import Runner

TIMER_UNIT = "primetui-certbot-renew"
"""The systemd units (.service, .timer) the automatic-renewal plan installs."""
CRON_FILE_NAME = "primetui-certbot"
"""The cron.d file the automatic-renewal plan installs where systemd is absent."""
DEPLOY_HOOK_NAME = "primetui-reload-nginx"
"""The script in renewal-hooks/deploy that tests and reloads nginx after each renewal."""
KNOWN_TIMERS = ("certbot.timer", "snap.certbot.renew.timer", f"{TIMER_UNIT}.timer")
STATUS_TIMEOUT = 120.0
"""Seconds the status command may take (certbot starts slowly on small instances)."""
_MARK = MARK


@dataclass(frozen=True)
class AutoRenewal:
    """Whether something renews the certificates without a person: a timer, or cron."""

    systemd: bool
    """The host runs systemd (timers are the way there)."""
    timers: tuple[str, ...] = ()
    """Active timers that run certbot."""
    cron_lines: tuple[str, ...] = ()
    """Cron lines that run `certbot renew` for this config dir."""
    cron_running: bool = False
    deploy_hooks: tuple[str, ...] = ()
    """Scripts certbot runs after each successful renewal (renewal-hooks/deploy)."""

    @property
    def active(self) -> bool:
        """True when an active timer, or a cron entry with a running cron daemon, renews."""
        return bool(self.timers) or (bool(self.cron_lines) and self.cron_running)

    def describe(self) -> str:
        """One sentence about automatic renewal, for the tab and `certs list`."""
        hook = (f"; after a renewal certbot runs {', '.join(self.deploy_hooks)}"
                if self.deploy_hooks else "; no deploy hook reloads nginx")
        if self.timers:
            return f"Automatic renewal is on: systemd timer {', '.join(self.timers)}{hook}."
        if self.cron_lines and self.cron_running:
            return f"Automatic renewal is on: a cron entry runs certbot renew{hook}."
        if self.cron_lines:
            return ("Automatic renewal is off: a cron entry runs certbot renew, but no cron "
                    "daemon is running.")
        return "Automatic renewal is off: no timer or cron entry runs certbot renew."


@dataclass(frozen=True)
class ServerCertificates:
    """certbot's certificates on one server, their renewal confs and automatic renewal."""

    server: str
    host: str
    config_dir: str
    listing: CertbotListing
    renewal: tuple[RenewalConf, ...]
    auto_renewal: AutoRenewal
    by_certbot: bool = True
    """Listed by `certbot certificates` itself; False: read from its files (a poll)."""

    def conf(self, name: str) -> RenewalConf | None:
        """The renewal conf of lineage `name`, if it was read."""
        return next((c for c in self.renewal if c.name == name), None)


def config_dir_of(settings: CertificateSettings, profile: HostProfile) -> str:
    """certbot's configuration directory: `--config-dir` in the command, else the profile's."""
    return (certbot_option(settings.certbot, "--config-dir") or profile.letsencrypt).rstrip("/")


def status_script(settings: CertificateSettings, config_dir: str,
                  cron_dirs: tuple[str, ...] = (), *, from_files: bool = False) -> str:
    """The one shell script that prints every section `parse_status` reads.

    certbot's directory is certbot's own answer: the `live/` parent of the first
    `Certificate Path:` it lists (a wrapper script's `--config-dir` included); `config_dir`
    only when it lists no certificate. With `from_files`, certbot is not run at all:
    `config_dir` is the directory it named before, and each lineage's files are read there.
    """
    extra = " ".join(f"{shlex.quote(d)}/*" for d in cron_dirs)
    timers = " ".join(KNOWN_TIMERS)
    if from_files:
        certbot = [f"echo '{_MARK} files'", f"le={shlex.quote(config_dir)}"]
    else:
        certbot = [
            f"out=$({settings.certbot} certificates 2>&1); code=$?",
            f"echo '{_MARK} certificates'",
            "printf '%s\\n' \"$out\"",
            f"echo \"{_MARK} certbot-exit $code\"",
            "found=$(printf '%s\\n' \"$out\" | sed -n "
            "'s#^ *Certificate Path: *\\(/.*\\)/live/[^/]*/[^/]*$#\\1#p' | head -n 1)",
            f"le=${{found:-{shlex.quote(config_dir)}}}",
        ]
    return "\n".join([
        *certbot,
        f"echo \"{_MARK} config-dir $le\"",
        f"for f in \"$le\"/renewal/*.conf; do [ -f \"$f\" ] && echo \"{_MARK} renewal $f\" "
        "&& cat \"$f\"; done",
        *(lineage_lines('"$le"') if from_files else []),
        f"echo '{_MARK} hooks'; ls -1 \"$le\"/renewal-hooks/deploy 2>/dev/null",
        f"echo '{_MARK} systemd'",
        f"if [ -d /run/systemd/system ]; then for t in {timers}; do "
        "echo \"$t $(systemctl is-active \"$t\" 2>/dev/null)\"; done; else echo none; fi",
        f"echo '{_MARK} cron'",
        f"cat /etc/crontab /etc/cron.d/* {extra} 2>/dev/null; crontab -l 2>/dev/null",
        f"echo '{_MARK} crond'",
        "if pgrep -x cron >/dev/null 2>&1 || pgrep -x crond >/dev/null 2>&1; "
        "then echo running; else echo stopped; fi",
        "true",
    ])


def parse_status(output: str, *, server: str, host: str, config_dir: str,
                 wrapper: str | None = None, now: datetime | None = None) -> ServerCertificates:
    """Split the status script's output into its sections and parse each one (`now`
    judges the lineages read from files: VALID: N days, EXPIRED)."""
    sections: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        if line.startswith(_MARK + " "):
            sections.append((line[len(_MARK) + 1:], []))
        elif sections:
            sections[-1][1].append(line)
    text = {head.split()[0]: "\n".join(body) for head, body in sections}
    exit_head = next((h for h, _ in sections if h.startswith("certbot-exit")), "certbot-exit 1")
    exit_code = int(exit_head.split()[-1]) if exit_head.split()[-1].isdigit() else 1
    certificates = text.get("certificates", "")
    from_files = "files" in text
    if exit_code != 0 and not from_files:
        lines = [ln.strip() for ln in certificates.splitlines() if ln.strip()
                 and not ln.strip().startswith(("Saving debug log", "Ask for help"))]
        if exit_code == 127 or any("not found" in ln for ln in lines[-1:]):
            raise RemoteError(f"certbot is not installed on {host} (or certificates.certbot "
                              f"names the wrong command).")
        reason = lines[-1].rstrip(".") if lines else f"exit {exit_code}"
        raise RemoteError(f"`certbot certificates` failed on {host}: {reason}.")
    found = next((h.split(" ", 1)[1] for h, _ in sections
                  if h.startswith("config-dir ") and h.split(" ", 1)[1].strip()), "")
    config_dir = found.strip().rstrip("/") or config_dir
    renewal = []
    for head, body in sections:
        if head.startswith("renewal "):
            name = head.split("/")[-1].removesuffix(".conf")
            renewal.append(parse_renewal_conf(name, "\n".join(body)))
    systemd_text = text.get("systemd", "none").strip()
    timers = tuple(line.split()[0] for line in systemd_text.splitlines()
                   if line.split()[1:2] == ["active"])
    auto = AutoRenewal(
        systemd=systemd_text != "none",
        timers=timers,
        cron_lines=renewal_cron_lines(text.get("cron", ""), config_dir, wrapper),
        cron_running=text.get("crond", "").strip() == "running",
        deploy_hooks=tuple(h for h in text.get("hooks", "").split() if h),
    )
    listing = (listing_from_files(split_lineages(sections), {c.name: c for c in renewal}, now)
               if from_files else parse_certificates(certificates))
    return ServerCertificates(server, host, config_dir, listing, tuple(renewal), auto,
                              by_certbot=not from_files)


def read_server_certificates(runner: Runner, profile: HostProfile,
                             settings: CertificateSettings, *,
                             cron_dirs: tuple[str, ...] = (),
                             known_dir: str | None = None) -> ServerCertificates:
    """Run the status script on the server (through sudo where the profile wants it).

    With `known_dir` (the directory certbot named in an earlier read) certbot is not run:
    its files there are read instead (one short command, no certbot log, no lock).
    """
    config_dir = known_dir or config_dir_of(settings, profile)
    script = status_script(settings, config_dir, cron_dirs, from_files=known_dir is not None)
    result = runner.run(script, sudo=profile.sudo, timeout=STATUS_TIMEOUT, warn=True)
    if known_dir is not None and f"{_MARK} files" not in result.stdout.splitlines()[:1]:
        lines = [ln.strip() for ln in result.stderr.splitlines() if ln.strip()]
        reason = lines[-1].rstrip(".") if lines else f"exit {result.exit_code}"
        raise RemoteError(f"certbot's files in {known_dir} could not be read on "
                          f"{runner.host}: {reason}.")
    return parse_status(result.stdout, server=runner.name, host=runner.host,
                        config_dir=config_dir, wrapper=wrapper_of(settings.certbot))


def wrapper_of(command: str) -> str | None:
    """The program `certificates.certbot` runs when it is not certbot itself (a wrapper)."""
    words = [w for w in shlex.split(command) if "=" not in w.split("/")[0]]
    program = words[0] if words else ""
    return None if not program or program.rsplit("/", 1)[-1] == "certbot" else program
