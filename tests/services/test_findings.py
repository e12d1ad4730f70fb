"""Findings from the real services (TLS endpoint, gpg backups, moto IAM, sshd), `primetui
check` through the CLI with its exit codes, and audit entries of real plan runs."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from primetui.aws import AwsService
from primetui.backups.service import BackupService
from primetui.cli.main import main
from primetui.config import (
    AwsSettings,
    BackupSettings,
    CertificateSettings,
    ServerSettings,
    Settings,
    save_settings,
)
from primetui.overview.collector import FindingsService
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SCHEDULE_GROUP, SCHEDULER_ROLE, STOP_SCHEDULE, seed_lab_account
from primetui.sandbox.tools import free_port

PASSPHRASE = "correct horse battery staple"
QUICK_S2K = 65536
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
"""07:00 in Detroit on a Saturday: the evening stop (Fri 20:00) fired after the last start."""
WEDNESDAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
"""10:00 in Detroit on a Wednesday: the morning start fired after the last stop."""


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The XDG state dir (verifications, maintenance progress, audit log) inside tmp_path."""
    state = tmp_path / "xdg-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture(scope="module")
def shared_aws(moto_server: MotoServer) -> AwsService:
    """One AWS session for the module: loading boto3's service models is the slow part."""
    return AwsService(AwsSettings(endpoint_url=moto_server.endpoint_url, region="us-east-2"))


@pytest.fixture(autouse=True)
def reuse_aws(monkeypatch: pytest.MonkeyPatch, shared_aws: AwsService) -> None:
    """Services on the moto settings use the module's session (the CLI's too)."""
    made = Services.__dict__["aws"]

    def aws(self: Services) -> AwsService:
        if self.settings.aws == shared_aws.settings:
            return shared_aws
        return made.__get__(self, Services)

    monkeypatch.setattr(Services, "aws", property(aws))


def lab(tmp_path: Path, aws: AwsSettings, **parts: object) -> Settings:
    """Settings with a project and a backup destination inside tmp_path."""
    project = tmp_path / "prime"
    project.mkdir(exist_ok=True)
    backups = BackupSettings(source=str(project), destination=tmp_path / "backups")
    return dataclasses.replace(Settings(aws=aws, backups=backups), **parts)


def services_for(settings: Settings, tmp_path: Path) -> Services:
    return Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))


def by_area(report, area: str) -> list:
    return [f for f in report.findings if f.area == area]


def make_backup(settings: Settings, gpg_home, *, days_old: float = 0.0) -> Path:
    """A real gpg backup of the project; made to look `days_old` days old (name and mtime)."""
    service = BackupService(settings, gnupghome=gpg_home.path, s2k_count=QUICK_S2K)
    (Path(settings.backups.source) / "config").mkdir(exist_ok=True)
    (Path(settings.backups.source) / "config" / "app.toml").write_text("debug = false\n")
    path = service.create(PASSPHRASE)
    if days_old:
        when = time.time() - days_old * 86400
        old = path.with_name(f"prime-backup-{time.strftime('%Y-%m-%d', time.localtime(when))}"
                             f".tar.gz.gpg")
        path.rename(old)
        os.utime(old, (when, when))
        path = old
    return path


# ----------------------------------------------------------------------- areas


def test_an_expiring_certificate_certbot_has_none_for_is_critical_with_issue_as_its_fix(
        tmp_path, aws_settings, tls_endpoint):
    certificates = CertificateSettings(
        domains=[tls_endpoint.domain], server="local", certbot="true",
        endpoints={tls_endpoint.domain: tls_endpoint.address}, ca_file=tls_endpoint.ca_file,
        timeout=5)
    settings = lab(tmp_path, aws_settings, certificates=certificates)
    report = services_for(settings, tmp_path).findings.collect(timeout=30)
    [expiry] = [f for f in by_area(report, "certificates") if f.subject == tls_endpoint.domain]
    assert expiry.severity == "critical"
    assert expiry.title == f"The certificate of {tls_endpoint.domain} expires in 4 days."
    # certbot here (`true`) lists no certificate: the fix is a first issuance, not a renewal
    assert (expiry.tab, expiry.action) == ("certificates", "certificates.issue")
    assert report.exit_code == 2
    status = next(a for a in report.areas if a.area == "certificates")
    assert status.severity == "critical" and "the soonest expires in 4 days" in status.summary


def test_an_old_unverified_backup_is_a_warning_and_none_at_all_is_critical(tmp_path, aws_settings,
                                                                           gpg_home):
    settings = lab(tmp_path, aws_settings)
    findings = FindingsService(services_for(settings, tmp_path))
    [none] = by_area(findings.collect(), "backups")
    assert none.severity == "critical" and none.title == "There is no backup yet; create one now."

    old = make_backup(settings, gpg_home, days_old=10)
    found = by_area(findings.collect(), "backups")
    assert [(f.severity, f.action) for f in found] == [("warning", "backups.create"),
                                                       ("warning", "backups.verify")]
    assert f"The newest backup, {old.name}, is 10 days old" in found[0].title
    assert found[1].title == f"The newest backup, {old.name}, was never verified."


def test_a_fresh_verified_backup_is_no_finding(tmp_path, aws_settings, gpg_home):
    settings = lab(tmp_path, aws_settings)
    make_backup(settings, gpg_home)
    report = services_for(settings, tmp_path).findings.collect()
    assert by_area(report, "backups") == []
    assert next(a for a in report.areas if a.area == "backups").severity == "ok"


def test_env_hygiene_problems_point_to_the_hygiene_fix(tmp_path, aws_settings):
    settings = lab(tmp_path, aws_settings)
    env = Path(settings.backups.source) / ".env"
    env.write_text("SECRET=1\n")
    env.chmod(0o644)
    [mode] = by_area(services_for(settings, tmp_path).findings.collect(), "secrets")
    assert mode.severity == "warning" and mode.title == ".env has mode 0644; it should be 0600."
    assert (mode.tab, mode.action) == ("backups", "backups.hygiene")


def test_a_schedule_whose_role_no_longer_trusts_the_scheduler_is_critical(
        tmp_path, aws_settings, moto_server: MotoServer):
    seed = seed_lab_account(moto_server.endpoint_url)
    services = services_for(lab(tmp_path, aws_settings), tmp_path)
    lambda_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    services.aws.client("iam").update_assume_role_policy(
        RoleName=SCHEDULER_ROLE, PolicyDocument=json.dumps(lambda_only))
    report = FindingsService(services, now=lambda: WEDNESDAY).collect()
    failing = by_area(report, "schedules")
    assert {f.subject for f in failing} == {f"{SCHEDULE_GROUP}/{name}" for name in seed.schedules}
    assert all(f.severity == "critical" and f.action == "schedules.details" for f in failing)
    assert "does not let scheduler.amazonaws.com assume the role" in failing[0].title


def test_instances_running_after_their_stop_schedule_fired_are_warnings(
        tmp_path, aws_settings, moto_server: MotoServer):
    seed = seed_lab_account(moto_server.endpoint_url)
    services = services_for(lab(tmp_path, aws_settings), tmp_path)
    weekend = by_area(FindingsService(services, now=lambda: SATURDAY).collect(), "instances")
    assert {f.subject for f in weekend} == {seed.prod_instance_id, seed.db_instance_id}
    assert all(f.severity == "warning" and f.action == "instances.stop" for f in weekend)
    assert all(f"{SCHEDULE_GROUP}/{STOP_SCHEDULE} stopped it" in f.title for f in weekend)

    weekday = by_area(FindingsService(services, now=lambda: WEDNESDAY).collect(), "instances")
    assert [(f.severity, f.subject, f.action) for f in weekday] == [
        ("info", seed.staging_instance_id, "instances.start")]


def test_a_stopped_database_says_when_aws_starts_it_again(tmp_path, aws_settings,
                                                          moto_server: MotoServer):
    seed = seed_lab_account(moto_server.endpoint_url)
    services = services_for(lab(tmp_path, aws_settings), tmp_path)
    services.aws.client("rds").stop_db_instance(DBInstanceIdentifier=seed.db_instance_id)
    restart = [f for f in by_area(services.findings.collect(), "instances")
               if "starts it again" in f.title]
    assert [f.subject for f in restart] == [seed.db_instance_id]
    assert restart[0].severity in ("info", "warning")


def test_an_unreachable_server_is_a_warning_not_an_error(tmp_path, aws_settings):
    port = free_port()
    servers = {"prod": ServerSettings(host="127.0.0.1", port=port, connect_timeout=2)}
    report = services_for(lab(tmp_path, aws_settings, servers=servers), tmp_path).findings.collect()
    [host] = by_area(report, "hosts")
    assert host.severity == "warning" and host.subject == "prod"
    assert host.title == f"prod: Cannot reach 127.0.0.1:{port}: connection refused."


def test_an_unknown_host_key_is_reported_with_its_fingerprint_and_never_asked(
        tmp_path, aws_settings, ssh_server_settings, sshd):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    server = dataclasses.replace(ssh_server_settings, known_hosts=empty)
    settings = lab(tmp_path, aws_settings, servers={"prod": server})
    services = Services(settings, prompter=None, audit=AuditLog(tmp_path / "audit.jsonl"))
    [host] = by_area(services.findings.collect(), "hosts")
    fingerprint = subprocess.run(["ssh-keygen", "-lf", str(sshd.host_key_pub)],
                                 capture_output=True, text=True, check=True).stdout.split()[1]
    assert host.severity == "warning" and "is not in known_hosts" in host.title
    assert fingerprint in host.detail and host.action == "overview.trust_host_key"
    assert empty.read_text() == ""


def test_a_changed_host_key_is_critical(tmp_path, aws_settings, ssh_server_settings):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    name = f"[{ssh_server_settings.host}]:{ssh_server_settings.port}"
    known = tmp_path / "known_hosts"
    known.write_text(f"{name} {' '.join(Path(f'{other}.pub').read_text().split()[:2])}\n")
    server = dataclasses.replace(ssh_server_settings, known_hosts=known)
    report = services_for(lab(tmp_path, aws_settings, servers={"prod": server}),
                          tmp_path).findings.collect()
    [host] = by_area(report, "hosts")
    assert host.severity == "critical" and "has CHANGED" in host.title


def test_a_reachable_server_with_a_known_key_is_fine(tmp_path, aws_settings, ssh_server_settings):
    settings = lab(tmp_path, aws_settings, servers={"prod": ssh_server_settings})
    report = services_for(settings, tmp_path).findings.collect()
    assert by_area(report, "hosts") == []
    assert next(a for a in report.areas if a.area == "hosts").severity == "ok"


def test_with_aws_unreachable_the_account_is_one_finding_and_aws_areas_say_not_checked(
        tmp_path, aws_env):
    aws = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1,
                      connect_timeout=1.0, read_timeout=1.0)
    report = services_for(lab(tmp_path, aws), tmp_path).findings.collect(timeout=15)
    [account] = by_area(report, "aws")
    assert account.severity == "warning" and account.title.startswith("AWS account: Cannot reach")
    assert by_area(report, "instances") == by_area(report, "schedules") == []
    areas = {a.area: a for a in report.areas}
    assert areas["instances"].summary == "Not checked: the AWS account cannot be reached."


def test_an_area_that_does_not_answer_in_time_is_a_finding(tmp_path, aws_settings):
    listener = socket.create_server(("127.0.0.1", 0))  # accepts TCP, never speaks SSH
    try:
        port = listener.getsockname()[1]
        servers = {"quiet": ServerSettings(host="127.0.0.1", port=port, connect_timeout=30)}
        services = services_for(lab(tmp_path, aws_settings, servers=servers), tmp_path)
        started = time.monotonic()
        report = services.findings.collect(timeout=2)
        assert time.monotonic() - started < 5
    finally:
        listener.close()
    [late] = by_area(report, "hosts")
    assert late.severity == "warning" and late.title == "SSH hosts did not answer within 2 s."


# ----------------------------------------------------------------------- primetui check


def write_config(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    save_settings(settings, path)
    return path


def check(config: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), "check", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_exits_0_1_2_by_the_worst_finding(tmp_path, aws_settings, gpg_home, capsys):
    settings = lab(tmp_path, aws_settings)
    config = write_config(settings, tmp_path)

    code, out, _ = check(config, capsys)
    assert code == 2 and out.startswith("CRITICAL  There is no backup yet")
    assert out.splitlines()[0].endswith("  → primetui backup create")  # the command, not a key
    assert out.rstrip().endswith("Needs attention: 1 critical.")

    old = make_backup(settings, gpg_home, days_old=9)
    code, out, _ = check(config, capsys)
    assert code == 1 and out.startswith(f"WARNING   The newest backup, {old.name}, is 9 days old")

    old.unlink()
    make_backup(settings, gpg_home)
    code, out, _ = check(config, capsys)
    assert code == 0 and out.rstrip().endswith("All well: nothing needs attention.")
    assert check(config, capsys, "--quiet") == (0, "", "")


def test_check_json_is_one_document_with_the_same_verdict(tmp_path, aws_settings, capsys):
    config = write_config(lab(tmp_path, aws_settings), tmp_path)
    code, out, _ = check(config, capsys, "--json")
    doc = json.loads(out)
    assert code == doc["exit_code"] == 2 and doc["status"] == "critical"
    assert doc["findings"][0] == {"severity": "critical", "area": "backups",
                                  "title": "There is no backup yet; create one now.",
                                  "detail": doc["findings"][0]["detail"], "tab": "backups",
                                  "action": "backups.create", "subject": "",
                                  "fix": "primetui backup create"}
    assert [a["area"] for a in doc["areas"]][:3] == ["aws", "instances", "schedules"]


def test_check_with_a_bad_config_is_exit_3_unknown_and_one_sentence(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[backups]\nmax_age_days = 'soon'\n")
    code, out, err = check(bad, capsys)
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "backups.max_age_days" in err


def test_check_with_aws_and_a_server_unreachable_finishes_within_its_timeout(tmp_path, aws_env):
    listener = socket.create_server(("127.0.0.1", 0))
    aws = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1,
                      connect_timeout=1.0, read_timeout=1.0)
    servers = {"quiet": ServerSettings(host="127.0.0.1", port=listener.getsockname()[1],
                                       connect_timeout=60)}
    config = write_config(lab(tmp_path, aws, servers=servers), tmp_path)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg-state")}
    try:
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "primetui", "--config", str(config), "check",
                              "--json", "--timeout", "4"], capture_output=True, text=True,
                             timeout=60, env=env, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert out.returncode == 2, out.stderr
    doc = json.loads(out.stdout)
    titles = [f["title"] for f in doc["findings"]]
    assert any(t.startswith("AWS account: Cannot reach AWS") for t in titles)
    assert "SSH hosts did not answer within 4 s." in titles
    assert elapsed < 4 + 10  # the deadline, plus an interpreter's start and boto3's import


# ----------------------------------------------------------------------- audit, no secrets


def test_audit_entries_of_real_backup_plans_never_hold_the_passphrase(tmp_path, gpg_home):
    settings = lab(tmp_path, AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}"))
    (Path(settings.backups.source) / ".env").write_text(f"DB_PASSWORD={PASSPHRASE[::-1]}\n")
    services = services_for(settings, tmp_path)
    backups = BackupService(settings, gnupghome=gpg_home.path, s2k_count=QUICK_S2K)
    created = services.run_plan(backups.create_plan(PASSPHRASE))
    assert created.ok, created.error
    [made] = backups.list_backups(include_s3=False)
    preview = backups.preview_restore(made.name, PASSPHRASE, tmp_path / "restored")
    assert services.run_plan(backups.restore_plan(preview, PASSPHRASE)).ok
    failed = services.run_plan(backups.create_plan(PASSPHRASE, source=str(tmp_path / "gone")))
    assert not failed.ok

    text = services.audit.path.read_text()
    entries = services.audit.entries()
    assert [(e.action, e.outcome) for e in entries] == [
        ("backup.create", "succeeded"), ("backup.restore", "succeeded"),
        ("backup.create", "failed")]
    assert entries[0].commands and entries[2].error
    assert PASSPHRASE not in text and PASSPHRASE.replace(" ", "") not in text
    assert all(word not in text for word in ("horse", "battery", "staple"))
