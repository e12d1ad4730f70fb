"""The maintenance report (Markdown from the audit log and the findings), `primetui report`
and `primetui audit`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from primetui.cli.main import main
from primetui.config import AwsSettings, BackupSettings, Settings, save_settings
from primetui.errors import PrimeError
from primetui.findings.model import AreaStatus, Finding, FindingsReport
from primetui.overview.report import render_report, report_filename
from primetui.plans.audit import AuditEntry, AuditLog
from primetui.plans.plan import Plan, Step, StepContext
from primetui.registry import Services
from primetui.sandbox.tools import free_port

DAY = 86400
NOW = 1_772_800_000.0  # 2026-03-06 12:26:40 UTC




def entry(when: float, action: str, outcome: str = "succeeded", **extra: object) -> AuditEntry:
    fields = {"when": when, "user": "ada", "host": "lab-ws1", "action": action,
              "title": f"Title of {action}", "target": "i-0abc", "outcome": outcome,
              "duration": 2.5, "commands": [], "error": "", "output_tail": []} | extra
    return AuditEntry(**fields)  # type: ignore[arg-type]


FINDINGS = FindingsReport(
    findings=(Finding("critical", "certificates", "The certificate of prime.example.edu expires "
                      "in 4 days.", "", "certificates", "certificates.renew", "prime.example.edu"),),
    areas=(AreaStatus("certificates", "Certificates", "1 domain; the soonest expires in 4 days.",
                      "critical", "certificates"),
           AreaStatus("backups", "Backups", "2 backups; the newest is 2026-03-05 10:00.")),
    checked_at=NOW)


def test_report_has_what_was_done_failed_and_pending(utc):
    entries = [
        entry(NOW - 10 * DAY, "backup.create"),  # before the window: left out
        entry(NOW - 2 * DAY, "instances.stop", target="prime | prod"),
        entry(NOW - DAY, "certs.renew", "failed", error="certbot said no.",
              commands=["certbot renew --webroot -w /var/www/certbot"],
              output_tail=[f"line {i}" for i in range(30)] + ["```nested```"]),
    ]
    text = render_report(entries, FINDINGS, since=NOW - 7 * DAY, until=NOW, window="7d",
                         author="ada@lab-ws1")
    assert text.startswith("# Maintenance report, 2026-02-27 to 2026-03-06\n")
    assert "Period: 2026-02-27 12:26 to 2026-03-06 12:26 (the last 7d), local time." in text
    assert "- Actions: 2 (1 succeeded, 1 failed)." in text
    assert "- Now: Needs attention: 1 critical." in text
    done = [line for line in text.splitlines() if line.startswith("| 2026-")]
    assert done == [
        "| 2026-03-04 12:26 | ada@lab-ws1 | Title of instances.stop (instances.stop) | "
        "prime \\| prod | succeeded | 2.5 s |",
        "| 2026-03-05 12:26 | ada@lab-ws1 | Title of certs.renew (certs.renew) | i-0abc | "
        "failed | 2.5 s |"]
    assert "backup.create" not in text
    failed = text.split("## What failed")[1].split("## What is pending")[0]
    assert "### 2026-03-05 12:26: Title of certs.renew" in failed
    assert "- Error: certbot said no." in failed
    assert "certbot renew --webroot -w /var/www/certbot" in failed
    assert "line 18" not in failed and "line 19" in failed  # the last 12 lines only
    assert "````\nline 19" in failed  # a fence longer than the output's own backticks
    pending = text.split("## What is pending")[1]
    assert ("| **critical** | certificates | The certificate of prime.example.edu expires in "
            "4 days. | primetui certs renew prime.example.edu |") in pending
    assert "| Backups | ok | 2 backups; the newest is 2026-03-05 10:00. |" in pending
    assert text.rstrip().endswith("so it does not happen again._")


def test_an_empty_window_says_so(utc):
    text = render_report([], None, since=NOW - DAY, until=NOW)
    assert "Nothing was done through primetui in this period." in text
    assert "Nothing failed in this period." in text
    assert "The current findings were not collected." in text
    assert "\n\n\n" not in text


def test_report_file_is_named_by_the_local_date(utc):
    assert report_filename(NOW) == "primetui-report-2026-03-06.md"


# ----------------------------------------------------------------------- the commands


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private XDG dirs, dummy AWS keys pointed at a closed loopback port (nothing leaves)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "aws").write_text("")
    for name, value in {"XDG_STATE_HOME": str(tmp_path / "state"),
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_CONFIG_FILE": str(tmp_path / "aws"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws"),
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    project = tmp_path / "prime"
    project.mkdir()
    settings = Settings(aws=AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}",
                                        max_attempts=1, connect_timeout=1.0, read_timeout=1.0),
                        backups=BackupSettings(source=str(project),
                                               destination=tmp_path / "backups"))
    save_settings(settings, tmp_path / "config.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record_runs(home: Path) -> None:
    """Two real plan runs in the audit log: one that works, one that fails."""
    services = Services(Settings(), audit=AuditLog(home / "state" / "primetui" / "audit.jsonl"))

    def fail(ctx: StepContext) -> None:
        raise PrimeError("The disk is full.")

    services.run_plan(Plan("Say hello", "local", [Step("Hello", ["echo hello"],
                                                       lambda ctx: ctx.emit("hello"))],
                           action="practice.hello"))
    services.run_plan(Plan("Fill the disk", "local", [Step("Fill", ["fallocate -l 1T x"], fail)],
                           action="practice.fill"))


def test_report_command_writes_todays_file_in_the_current_directory(home, capsys):
    record_runs(home)
    assert main(["--config", str(home / "config.toml"), "report", "--since", "1d",
                 "--timeout", "10"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == home / report_filename(time.time()) and path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert "| Say hello (practice.hello) | local | succeeded |" in text
    assert "### " in text and "- Error: The disk is full." in text
    assert "There is no backup yet; create one now." in text  # pending, from the findings


def test_report_to_stdout_and_a_bad_window(home, capsys):
    assert main(["--config", str(home / "config.toml"), "report", "--out", "-",
                 "--timeout", "10"]) == 0
    assert capsys.readouterr().out.startswith("# Maintenance report, ")
    assert main(["--config", str(home / "config.toml"), "report", "--since", "a week"]) == 2
    assert "--since" in capsys.readouterr().err


def test_audit_command_lists_the_window_as_text_and_json(home, capsys):
    record_runs(home)
    assert main(["audit", "--since", "7d"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "practice.hello  local  succeeded" in lines[0]
    assert "practice.fill  local  failed" in lines[1] and lines[2] == "    The disk is full."
    assert main(["audit", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(e["action"], e["outcome"]) for e in doc] == [("practice.hello", "succeeded"),
                                                          ("practice.fill", "failed")]
    assert doc[0]["commands"] == ["echo hello"] and doc[0]["output_tail"] == ["hello"]
