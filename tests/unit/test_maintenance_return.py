"""Coming back on time: the Overview and `check` warn when maintenance runs past its
announced return time, and the report says when the site was announced to come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from primetui.aws import AwsService
from primetui.config import parse_settings
from primetui.maintenance.findings import check_maintenance, return_time
from primetui.maintenance.progress import WizardState
from primetui.maintenance.service import MaintenanceService
from primetui.overview.report import _maintenance_line, render_report

NOW = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)


def _service(tmp_path, back: datetime | None, on: bool = True) -> MaintenanceService:
    settings = parse_settings('[maintenance]\ndomain = "prime.example.test"\n'
                              'admin_cidr = "203.0.113.0/24"\n', tmp_path / "c.toml")
    service = MaintenanceService(settings, AwsService(settings.aws), lambda *a: None, tmp_path)
    page = {"message": "Upgrading.", "contact": "",
            "return_at": back.isoformat() if back else ""}
    WizardState(service.state_path, on=on, since=(NOW - timedelta(hours=3)).timestamp(),
                page=page, resources={"instance_id": "i-0abc"}).save()
    return service


def test_maintenance_past_its_return_time_is_a_critical_finding(tmp_path):
    back = NOW - timedelta(minutes=45)
    area = check_maintenance(_service(tmp_path, back), NOW)
    (finding,) = area.findings
    assert finding.severity == "critical"
    assert "past its announced return time" in finding.title and "45" in finding.title
    assert return_time(back.timestamp()) in finding.title


def test_maintenance_before_its_return_time_only_says_it_is_on_and_when_it_is_back(tmp_path):
    back = NOW + timedelta(hours=1)
    area = check_maintenance(_service(tmp_path, back), NOW)
    (finding,) = area.findings
    assert finding.severity == "warning" and "past" not in finding.title
    assert f"back by {return_time(back.timestamp())}" in area.status.summary


def test_the_report_says_when_the_site_was_announced_to_come_back(tmp_path):
    back = NOW + timedelta(hours=1)
    line = _maintenance_line(SimpleNamespace(maintenance=_service(tmp_path, back)))
    assert f"announced return {return_time(back.timestamp())}" in line
    text = render_report([], None, since=NOW.timestamp() - 3600, until=NOW.timestamp(),
                         maintenance=line)
    assert f"- Maintenance: {line}" in text


def test_the_report_has_no_maintenance_line_when_it_is_off(tmp_path):
    assert _maintenance_line(SimpleNamespace(maintenance=_service(tmp_path, None, on=False))) == ""
