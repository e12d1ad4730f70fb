"""The area services' builders for several targets: one plan, one step per target.

Backups (real gpg): several files verified with one passphrase, a damaged one stopping the
plan at its own step. The plans' own undo of completed targets is tested on the moto server
in tests/ui/test_bulk_plans.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from primetui.backups.service import BackupService
from primetui.plans.plan import Plan, Step, StepState, bulk_plan, execute, undo_completed
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import PASSPHRASE, create, make_service


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    return make_service(sample_project, gpg_home, tmp_path)


def test_verifying_several_backups_is_a_step_each_and_a_damaged_one_fails_its_own(
        service: BackupService) -> None:
    good = create(service)
    damaged = good.with_name(good.name.replace(".tar.gz.gpg", "-copy.tar.gz.gpg"))
    shutil.copy(good, damaged)
    with damaged.open("r+b") as file:
        file.seek(-40, os.SEEK_END)
        byte = file.read(1)
        file.seek(-40, os.SEEK_END)
        file.write(bytes([byte[0] ^ 0xFF]))
    plan = service.verify_plan([good, damaged], PASSPHRASE)
    assert [step.title for step in plan.steps] == [f"Verify {good.name}", f"Verify {damaged.name}"]
    assert not plan.mutating
    assert all(PASSPHRASE not in cmd for cmd in plan.commands())
    result = execute(plan)
    assert result.states == [StepState.DONE, StepState.FAILED]
    assert any("members read" in line for line in result.output)


def test_a_bulk_plan_folds_each_target_into_one_step_and_undoes_the_done_ones() -> None:
    log: list[str] = []

    def target(name: str, fails: bool = False) -> Plan:
        def run(ctx) -> None:
            if fails:
                raise ValueError(f"{name} refused")
            log.append(f"start {name}")

        steps = [Step(f"start {name}", [f"start {name}"], run),
                 Step(f"wait {name}", [f"wait {name}"], lambda ctx: log.append(f"wait {name}"))]
        return Plan(f"Start {name}", name, steps, confirm_name=name if name == "prod" else None)

    def reverse(name: str) -> Plan:
        return Plan(f"Stop {name}", name, [Step(f"stop {name}", [f"stop {name}"],
                                                lambda ctx: log.append(f"stop {name}"))])

    plan = bulk_plan("Start 3", [target("a"), target("prod"), target("c", fails=True)],
                     "instances.start", [reverse("a"), reverse("prod"), reverse("c")])
    assert len(plan.steps) == 3 and plan.confirm_name == "prod"
    assert plan.steps[0].commands == ["start a", "wait a"]
    assert plan.steps[0].undo_commands == ["stop a"]
    result = execute(plan)
    assert result.states == [StepState.DONE, StepState.DONE, StepState.FAILED]
    undo = undo_completed(plan, result)
    assert undo.ok and log[-2:] == ["stop prod", "stop a"]
