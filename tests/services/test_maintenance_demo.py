"""The practice world runs the maintenance wizard end to end: on, the page, then off."""

from __future__ import annotations

import dataclasses

from primetui.maintenance.service import OffOptions, OnOptions, Timing
from primetui.maintenance.verify import fetch
from primetui.plans.audit import AuditLog
from primetui.plans.plan import execute
from primetui.registry import Services
from primetui.sandbox.world import WWW_DOMAIN, Sandbox


def test_demo_world_turns_maintenance_on_and_off_for_real(sandbox: Sandbox, tmp_path):
    settings = sandbox.settings
    assert settings is not None and settings.maintenance.domain == WWW_DOMAIN
    services = Services(settings, audit=AuditLog(tmp_path / "state" / "audit.jsonl"))
    service = services.maintenance
    service.timing = Timing(verify_timeout=10.0, verify_interval=0.2, probe_timeout=3.0)
    service.poll_interval = 0.05
    on = services.run_plan(service.plan_on(OnOptions(checklist_confirmed=True)))
    assert on.ok, on.error
    door = settings.maintenance.addresses["verify"]
    assert fetch(WWW_DOMAIN, door).status == 503
    off = execute(service.plan_off(OffOptions(teardown="terminate")))
    assert off.ok, off.error
    answer = fetch(WWW_DOMAIN, door)
    assert answer.status == 200 and not answer.maintenance
    assert not dataclasses.asdict(service.status())["on"]
