"""The one table of areas: what every face (tabs, findings, command line) calls each area.

`AREAS` is the order of the tabs and of their number keys 1–7; each area names its commands
(`primetui/cli/<module>.py`). `CHECKED` is what the findings check, in the order the
Overview and `primetui check` show it; `ACTIONS` is every action a finding can ask for, by
id (`certificates.renew`): the tab looks its key up in its own bindings, the command line
shows the command instead. Nothing else spells an area's title.

Import-light on purpose (read at start-up by the tabs and the CLI): named tuples, which
cost a fraction of what frozen dataclasses cost to define.
"""

from __future__ import annotations

from typing import NamedTuple


class Area(NamedTuple):
    """One area of the lab: a tab, a number key and its commands."""

    id: str
    """The tab's id and its package's name: instances, certificates, …"""
    title: str
    """How the area is named on screen: "Certificates"."""
    key: str
    """The number key that shows its tab."""
    commands: tuple[str, ...] = ()
    """Its command-line modules (`primetui/cli/<name>.py`), e.g. ("certs",)."""
    short: str = ""
    """A shorter title for narrow terminals (80 columns), when the title is long."""


AREAS: tuple[Area, ...] = (
    Area("overview", "Overview", "1", ("check", "report")),
    Area("instances", "Instances", "2", ("instances",)),
    Area("schedules", "Schedules", "3", ("schedules",)),
    Area("certificates", "Certificates", "4", ("certs",), "Certs"),
    Area("backups", "Backups", "5", ("backup",)),
    Area("maintenance", "Maintenance", "6", ("maintenance",), "Maint"),
    Area("audit", "Audit", "7", ("audit",)),
)
"""Every area, in the order of its tab."""

_BY_ID = {area.id: area for area in AREAS}

CLI_MODULES: tuple[str, ...] = tuple(name for a in AREAS for name in a.commands)
"""Every area's command modules, in the order of the areas."""


def area(area_id: str) -> Area:
    """The area with this id (KeyError for an unknown one)."""
    return _BY_ID[area_id]


def title(area_id: str) -> str:
    """An area's title ("Certificates"); the id itself for one not in the table."""
    found = _BY_ID.get(area_id)
    return found.title if found else area_id


class Checked(NamedTuple):
    """One thing the findings check: an area, or a part of one (.env hygiene, SSH hosts)."""

    id: str
    """The findings' area id: aws, instances, secrets, hosts, …"""
    title: str
    """How its status line is headed: "AWS account", "Certificates"."""
    tab: str
    """The tab that shows or fixes it."""


CHECKED: tuple[Checked, ...] = (
    Checked("aws", "AWS account", "overview"),
    Checked("instances", title("instances"), "instances"),
    Checked("schedules", title("schedules"), "schedules"),
    Checked("certificates", title("certificates"), "certificates"),
    Checked("backups", title("backups"), "backups"),
    Checked("secrets", ".env hygiene", "backups"),
    Checked("maintenance", title("maintenance"), "maintenance"),
    Checked("hosts", "SSH hosts", "overview"),
)
"""What the findings check, in the order the status is shown."""

_CHECKED_BY_ID = {c.id: c for c in CHECKED}


def checked(checked_id: str) -> Checked:
    """One checked thing by its findings' area id (KeyError for an unknown one)."""
    return _CHECKED_BY_ID[checked_id]


class Action(NamedTuple):
    """Something a finding asks the person to do, named by id rather than by key."""

    id: str
    """`<tab>.<what>`: certificates.renew, backups.create, …"""
    binding: str
    """The action of the tab's binding that does it (its `action_<binding>` method); the
    key shown is whatever key that binding has."""
    words: str
    """What it does, for where no key can be pressed: "Renew the certificate"."""
    command: str = ""
    """The command line that does it, `{subject}` for the finding's subject; "" for none."""
    app_wide: bool = False
    """The binding is the app's own (refresh), live on every tab."""

    @property
    def tab(self) -> str:
        """The tab it is done on."""
        return self.id.partition(".")[0]

    def command_for(self, subject: str = "") -> str:
        """The command with the subject filled in (quoted for a shell); "" when there is none."""
        import shlex

        if not self.command:
            return ""
        return self.command.format(subject=shlex.quote(subject) if subject else "").rstrip()


ACTIONS: tuple[Action, ...] = (
    Action("certificates.renew", "renew", "Renew the certificate",
           "primetui certs renew {subject}"),
    Action("certificates.issue", "issue", "Issue a certificate",
           "primetui certs issue {subject}"),
    Action("certificates.auto_renew", "install_auto_renewal", "Install automatic renewal",
           "primetui certs auto-renew"),
    Action("certificates.details", "show_details", "See the domain's details",
           "primetui certs list"),
    Action("backups.create", "create_backup", "Create a backup", "primetui backup create"),
    Action("backups.verify", "verify_backup", "Verify the backup",
           "primetui backup verify {subject}"),
    Action("backups.hygiene", "show_hygiene", "Fix the .env hygiene"),
    Action("maintenance.on", "maintenance_on", "Turn maintenance on",
           "primetui maintenance on"),
    Action("maintenance.off", "maintenance_off", "Turn maintenance off",
           "primetui maintenance off"),
    Action("instances.start", "start", "Start the instance", "primetui instances start {subject}"),
    Action("instances.stop", "stop", "Stop the instance", "primetui instances stop {subject}"),
    Action("instances.details", "details", "See the instance's details",
           "primetui instances list"),
    Action("schedules.details", "details", "See the schedule's details",
           "primetui schedules list"),
    Action("overview.check_now", "check_now", "Check again", "primetui check"),
    Action("overview.trust_host_key", "trust_host_key", "Check and trust the host key"),
    *(Action(f"{a.id}.refresh", "refresh", "Read it again", "primetui check", app_wide=True)
      for a in AREAS if a.id not in ("overview", "audit")),
)
"""Every action a finding can name."""

_ACTIONS_BY_ID = {a.id: a for a in ACTIONS}


def action(action_id: str) -> Action:
    """The action with this id (KeyError for an unknown one)."""
    return _ACTIONS_BY_ID[action_id]
