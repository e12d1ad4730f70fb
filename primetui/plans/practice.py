"""A harmless plan for the demo and the tests: real local commands in a scratch directory.

It posts a maintenance notice, shows it and checks the disk, so a newcomer can see a plan
shown, confirmed, run live, skipped when already done, failed and undone, without touching
anything that matters. The commands shown are exactly the commands run.
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from primetui.config import Settings
from primetui.plans.plan import Plan, Step, StepContext

if TYPE_CHECKING:
    from primetui.remote.runners import Runner

NOTICE = "Scheduled maintenance: the site will be back within the hour."
"""The text of the practice notice."""


def practice_dir(settings: Settings) -> Path:
    """The scratch directory: `practice/` in the local backup source when it exists, else /tmp."""
    source = settings.backups.source
    if ":" not in source.split("/", 1)[0]:  # SERVER:/path is remote, not a folder here
        folder = Path(source).expanduser()
        if folder.is_dir():
            return folder / "practice"
    return _private_scratch()


_SCRATCH: list[Path] = []


def _private_scratch() -> Path:
    """A fresh 0700 directory in $TMPDIR with an unguessable name, made once per process.

    A fixed name (`/tmp/primetui-practice-UID`) could be made first by another user, as a
    symlink to somewhere the plan's `rm`/`printf` would then write.
    """
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="primetui-practice-")))
    return _SCRATCH[0]


class _LazyRunner:
    """Makes the local runner on first use, so building the plan imports nothing heavy."""

    def __init__(self) -> None:
        self._runner: Runner | None = None

    def run(self, cmd: str, ctx: StepContext) -> None:
        if self._runner is None:
            from primetui.remote.runners import LocalRunner

            self._runner = LocalRunner()
        self._runner.run(cmd, on_line=ctx.emit)


def practice_plan(settings: Settings, workdir: Path | None = None, *, failing: bool = False,
                  confirm_name: str | None = None) -> Plan:
    """Write, show and check a maintenance notice; `failing` adds a step that exits non-zero."""
    folder = workdir or practice_dir(settings)
    notice = folder / "notice.txt"
    d, f = shlex.quote(str(folder)), shlex.quote(str(notice))
    runner = _LazyRunner()

    def command_step(title: str, cmd: str, done: Callable[[], bool] | None = None,
                     undo_cmd: str | None = None) -> Step:
        step = Step(title=title, commands=[cmd], run=lambda ctx: runner.run(cmd, ctx), done=done)
        if undo_cmd is not None:
            step.undo = lambda ctx: runner.run(undo_cmd, ctx)
            step.undo_commands = [undo_cmd]
        return step

    def notice_written() -> bool:
        try:
            return notice.read_text(encoding="utf-8") == NOTICE + "\n"
        except OSError:
            return False

    steps = [
        command_step("Write the maintenance notice",
                     f"mkdir -p {d} && printf '%s\\n' {shlex.quote(NOTICE)} > {f}",
                     done=notice_written, undo_cmd=f"rm -f {f}"),
        command_step("Show it", f"cat {f}"),
    ]
    if failing:
        steps.append(command_step("Check the change was approved",
                                  f"test -f {shlex.quote(str(folder / 'approved.txt'))}"))
    steps.append(command_step("Check the disk", f"df -h {d}"))
    return Plan(title="Practice: post a maintenance notice", target=f"local: {folder}",
                steps=steps, action="practice.notice", confirm_name=confirm_name)
