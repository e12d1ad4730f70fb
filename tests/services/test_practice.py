"""The practice plan: real local commands in a scratch directory, exactly as shown."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from primetui.config import BackupSettings, Settings
from primetui.plans.plan import StepState, execute, undo_completed
from primetui.plans.practice import NOTICE, practice_dir, practice_plan
from primetui.remote import runners as remote


def record_commands(monkeypatch) -> list[str]:
    """Wrap LocalRunner.run so the test sees each command the plan really runs."""
    ran: list[str] = []
    original = remote.LocalRunner.run

    def run(self, cmd, **kwargs):
        ran.append(cmd)
        return original(self, cmd, **kwargs)

    monkeypatch.setattr(remote.LocalRunner, "run", run)
    return ran


def test_practice_plan_runs_exactly_the_commands_it_shows(tmp_path, monkeypatch):
    ran = record_commands(monkeypatch)
    plan = practice_plan(Settings(), tmp_path / "work")
    result = execute(plan)
    assert result.ok, result.error
    assert ran == plan.commands()
    assert (tmp_path / "work" / "notice.txt").read_text() == NOTICE + "\n"
    assert NOTICE in result.output  # `cat` streamed the notice back
    assert any(line.startswith("Filesystem") for line in result.output)  # df's header


def test_second_run_skips_the_notice_that_is_already_written(tmp_path):
    plan = practice_plan(Settings(), tmp_path / "work")
    assert execute(plan).ok
    again = execute(practice_plan(Settings(), tmp_path / "work"))
    assert again.states == [StepState.SKIPPED, StepState.DONE, StepState.DONE]


def test_a_changed_notice_is_written_again(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notice.txt").write_text("old text\n")
    result = execute(practice_plan(Settings(), tmp_path / "work"))
    assert result.states[0] is StepState.DONE
    assert (tmp_path / "work" / "notice.txt").read_text() == NOTICE + "\n"


def test_failing_practice_plan_fails_with_one_sentence_and_undo_removes_the_notice(tmp_path):
    plan = practice_plan(Settings(), tmp_path / "work", failing=True)
    result = execute(plan)
    assert result.states == [StepState.DONE, StepState.DONE, StepState.FAILED,
                             StepState.NOT_RUN]
    assert result.error.startswith("`test -f ") and "(exit 1)" in result.error
    assert plan.steps[0].undo_commands == [f"rm -f {tmp_path / 'work' / 'notice.txt'}"]
    undone = undo_completed(plan, result)
    assert undone.ok and undone.states[0] is StepState.UNDONE
    assert not (tmp_path / "work" / "notice.txt").exists()


def test_scratch_directory_is_inside_an_existing_local_backup_source(tmp_path):
    settings = Settings(backups=BackupSettings(source=str(tmp_path)))
    assert practice_dir(settings) == tmp_path / "practice"
    assert practice_plan(settings).target == f"local: {tmp_path / 'practice'}"


def test_scratch_directory_falls_back_to_a_private_unguessable_temp_dir(tmp_path):
    missing = Settings(backups=BackupSettings(source=str(tmp_path / "nope")))
    on_server = Settings(backups=BackupSettings(source="prod:/home/ubuntu/prime"))
    fallback = practice_dir(missing)
    assert practice_dir(on_server) == fallback  # one scratch directory per process
    assert fallback.parent == Path(tempfile.gettempdir())
    assert fallback.name != f"primetui-practice-{os.getuid()}"  # not predictable
    assert fallback.name.startswith("primetui-practice-")
    info = fallback.lstat()
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) == 0o700


def test_building_the_plan_runs_nothing(tmp_path):
    plan = practice_plan(Settings(), tmp_path / "work", confirm_name="practice")
    assert plan.confirm_name == "practice" and plan.mutating
    assert plan.action == "practice.notice"
    assert not (tmp_path / "work").exists()
