"""`Services`: builds each area's service, with plain constructor arguments, from one Settings.

Each service is made on first use, so nothing heavy is imported at start-up. This is the
one place that knows how the areas are wired together (which AWS session, which runners,
which prompter, where state lives); no area imports it. The findings collector
(`primetui.overview`) sits above it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from primetui.config import Settings
from primetui.paths import audit_log_path
from primetui.plans.audit import AuditLog, AuditNotWritten
from primetui.plans.plan import (
    Plan,
    PlanEvent,
    PlanInterrupted,
    PlanResult,
    execute,
    undo_completed,
)

if TYPE_CHECKING:
    from primetui.aws import AccountSummary, AwsService
    from primetui.backups.service import BackupService
    from primetui.certificates.service import CertificatesService
    from primetui.certificates.watch import CertbotWatch
    from primetui.instances.service import InstancesService
    from primetui.maintenance.service import MaintenanceService
    from primetui.overview.collector import FindingsService
    from primetui.remote.connections import Connections
    from primetui.remote.runners import Prompter, Runner
    from primetui.schedules.service import SchedulesService


class Services:
    """Services built from one `Settings`, shared by the UI, the CLI and the tests."""

    def __init__(self, settings: Settings, *, prompter: Prompter | None = None,
                 audit: AuditLog | None = None) -> None:
        self.settings = settings
        self.prompter = prompter
        self._audit = audit

    @cached_property
    def audit(self) -> AuditLog:
        """The audit log (XDG state dir unless one was given)."""
        return self._audit or AuditLog(audit_log_path())

    @cached_property
    def aws(self) -> AwsService:
        """The AWS session for the configured profile and region."""
        from primetui.aws import AwsService

        return AwsService(self.settings.aws)

    @cached_property
    def instances(self) -> InstancesService:
        """EC2 and RDS instances, started and stopped as plans."""
        from primetui.instances.service import InstancesService

        return InstancesService(self.aws, self.settings.instances)

    @cached_property
    def schedules(self) -> SchedulesService:
        """EventBridge Scheduler schedules, next runs and role checks."""
        from primetui.schedules.service import SchedulesService

        return SchedulesService(self.aws)

    @cached_property
    def backups(self) -> BackupService:
        """Encrypted backups of .env and config/ (the AWS session only for an S3 copy)."""
        from primetui.backups.service import BackupService

        aws = self.aws if self.settings.backups.s3_bucket else None
        return BackupService(self.settings, aws=aws, runner_factory=self.runner)

    @cached_property
    def certificates(self) -> CertificatesService:
        """Certificates seen from the endpoint and from certbot on the server."""
        return self.make_certificates(self.prompter)

    def make_certificates(self, prompter: Prompter | None) -> CertificatesService:
        """A certificates service of its own (its caller closes it) for the configured
        certbot server (a [servers] name, or "local"), asking `prompter` about host keys;
        None never asks (the findings)."""
        import getpass

        from primetui.certificates.auto_renew import locations_for
        from primetui.certificates.service import CertificatesService
        from primetui.config import ServerSettings
        from primetui.remote.profiles import profile_for

        name = self.settings.certificates.server
        server = self.settings.servers.get(name)
        profile = profile_for(server or ServerSettings(host="localhost", user=getpass.getuser()))
        # The session's connection: asking through `prompter`, or never asking (None).
        runner = self.connections.runner(name, ask=prompter is not None)
        return CertificatesService(self.settings.certificates, runner, profile,  # type: ignore[arg-type]
                                   locations=locations_for(profile, server),
                                   watch=self.certbot_watch)

    @cached_property
    def certbot_watch(self) -> CertbotWatch:
        """The session's last read of certbot's side, shared by every certificates service
        (the Overview's and the Certificates tab's): fresh for `ui.refresh` seconds."""
        from primetui.certificates.watch import CertbotWatch

        return CertbotWatch(self.settings.ui.refresh)

    def certbot_config_dir(self, server: str) -> str | None:
        """certbot's configuration directory on `server` as certbot itself names it (the
        certificates server only; None for another server, or when certbot cannot be
        asked). Read once a session: the Certificates tab's read answers it too."""
        from primetui.errors import PrimeError

        if server != self.settings.certificates.server or server not in self.settings.servers:
            return None
        known = self.certbot_watch.config_dir(server)
        if known is not None:
            return known
        service = self.make_certificates(self.prompter)
        try:
            return service.server_certificates().config_dir
        except PrimeError:
            return None

    @cached_property
    def maintenance(self) -> MaintenanceService:
        """The maintenance-page wizard: its plan, its saved progress (beside the audit log),
        on and off; SSH runners that ask this registry's prompter about host keys."""
        from primetui.maintenance.service import MaintenanceService, ssh_factory

        return MaintenanceService(self.settings, self.aws, ssh_factory(self.prompter),
                                  Path(self.audit.path).parent,
                                  certbot_dir=self.certbot_config_dir)

    @cached_property
    def findings(self) -> FindingsService:
        """What needs attention now, from every area (Overview tab and `primetui check`).

        Kept so the faces can keep asking `services.findings`; the collector itself sits
        above the registry and takes it as an argument (`FindingsService(services)`).
        """
        from primetui.overview.collector import FindingsService

        return FindingsService(self)

    def account_summary(self) -> AccountSummary:
        """Profile, region and account id for the header; never raises.

        When the settings pin an account and the credentials belong to another, the summary's
        error says so (the header shows it on its status line, in red).
        """
        import dataclasses

        summary = self.aws.summary()
        pinned = self.settings.aws.account
        if pinned and summary.account and summary.account != pinned:
            return dataclasses.replace(summary, error=self._elsewhere(summary.account))
        return summary

    def _pinned_by(self) -> str:
        """Who pins the account, in the words of a sentence."""
        name = self.settings.context
        return f"context '{name}'" if name else "the config (aws.account)"

    def _elsewhere(self, actual: str) -> str:
        """What a read-only view says when the credentials belong to another account."""
        return (f"The credentials belong to AWS account {actual}, not {self.settings.aws.account} "
                f"that {self._pinned_by()} expects: what is shown is account {actual}'s, and "
                f"every change is refused.")

    def other_account(self) -> str | None:
        """The read-only views' warning when the account is pinned, this session has talked
        to AWS, and the credentials belong to another account; None otherwise (no pin, AWS
        not used, or STS cannot say; never raises)."""
        from primetui.errors import PrimeError

        pinned = self.settings.aws.account
        if not pinned or "aws" not in self.__dict__:
            return None
        try:
            actual = self.aws.identity().account
        except PrimeError:
            return None
        return None if actual == pinned else self._elsewhere(actual)

    def confirm_account(self) -> None:
        """Refuse (`WrongAccountError`) unless the credentials belong to the pinned account.

        Without a pin (`aws.account`, a context's `account`) this asks nothing. With one, STS
        is asked afresh each time (credentials can change under a long session) and an
        account it cannot confirm is refused too: a pin means "be sure".
        """
        from primetui.errors import PrimeError, WrongAccountError

        pinned = self.settings.aws.account
        if not pinned:
            return
        profile = self.aws.profile
        whose = f"the credentials (profile {profile})" if profile else "the credentials"
        try:
            actual = self.aws.identity(refresh=True).account
        except PrimeError as err:
            raise WrongAccountError(
                f"Refused: {self._pinned_by()} expects AWS account {pinned}, and the account "
                f"of {whose} could not be confirmed ({str(err).rstrip('.')}); nothing was "
                f"changed.") from None
        if actual != pinned:
            raise WrongAccountError(
                f"Refused: {self._pinned_by()} expects AWS account {pinned}, but {whose} "
                f"belong to account {actual}; nothing was changed.")

    @cached_property
    def connections(self) -> Connections:
        """One SSH connection per server for the whole session, closed by `close`."""
        from primetui.remote.connections import Connections

        return Connections(self.settings, self.prompter)

    def runner(self, server: str) -> Runner:
        """The session's runner for a configured server name, or "local" (one connection
        per server, shared by every plan step and poll; closing it leaves it open)."""
        return self.connections.runner(server)  # type: ignore[return-value]

    def close(self) -> None:
        """Close every SSH connection the session opened (on quit)."""
        if "connections" in self.__dict__:
            self.connections.close()

    def run_plan(self, plan: Plan, on_event: Callable[[PlanEvent], None] | None = None,
                 is_cancelled: Callable[[], bool] = lambda: False) -> PlanResult:
        """Execute a plan and append the run to the audit log.

        A run stopped by ctrl+c is recorded as cancelled before the interrupt goes on. When
        the audit log cannot take the entry, the run keeps its real outcome and says why in
        `result.audit_error`. A change in a pinned account is refused first when the
        credentials belong to another (`confirm_account`); the practice plan, which only
        writes in a scratch folder, is not.
        """
        if plan.mutating and not plan.action.startswith("practice."):
            self.confirm_account()
        try:
            result = execute(plan, on_event, is_cancelled)
        except PlanInterrupted as stop:
            self._record(plan, stop.result)
            raise
        finally:
            self._changed(plan)
        self._record(plan, result)
        return result

    def _changed(self, plan: Plan) -> None:
        """A certificates plan ran (renewal, issuance, auto-renewal): the next read of
        certbot's side asks certbot itself again, not the session's last read."""
        if (plan.action or "").startswith("certs.") and "certbot_watch" in self.__dict__:
            self.certbot_watch.forget(self.settings.certificates.server)

    def _record(self, plan: Plan, result: PlanResult) -> None:
        try:
            self.audit.record(plan, result, demo=self.settings.demo,
                              context=self.settings.context or "",
                              dry_run=getattr(plan, "rehearsal", False))
        except AuditNotWritten as err:
            result.audit_error = f"{err} This run was not recorded in the audit log."

    def undo_plan(self, plan: Plan, result: PlanResult,
                  on_event: Callable[[PlanEvent], None] | None = None) -> PlanResult:
        """Undo the steps a failed run completed, and record the undo."""
        if plan.mutating and not plan.action.startswith("practice."):
            self.confirm_account()
        try:
            undone = undo_completed(plan, result, on_event)
        finally:
            self._changed(plan)
        undo_plan = Plan(title=f"Undo: {plan.title}", target=plan.target,
                         steps=[s for i, s in enumerate(plan.steps) if i in result.completed()],
                         action=f"{plan.action or 'plan'}.undo")
        self._record(undo_plan, undone)
        return undone
