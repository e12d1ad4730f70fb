"""An operation is a Plan of Steps, run by one executor.

A step carries the commands a person would type for it, `run()` that streams output lines,
an optional `done()` check (already in place: skipped, which makes plans resumable) and an
optional `undo()`. The executor stops at the first failed step; `undo_completed` reverses the
steps this run completed, newest first. No I/O happens here beyond what steps do themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from primetui.errors import PrimeError


class StepState(StrEnum):
    """Where a step stands in one run."""

    PENDING = "pending"
    SKIPPED = "already done"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"
    NOT_RUN = "not run"


class PlanCancelled(PrimeError):
    """The person stopped the plan between steps."""


@dataclass
class StepContext:
    """What a running step may use: a line sink and a cancellation check."""

    emit: Callable[[str], None]
    is_cancelled: Callable[[], bool] = lambda: False

    def check_cancelled(self) -> None:
        """Raise `PlanCancelled` when the person asked to stop."""
        if self.is_cancelled():
            raise PlanCancelled("Stopped by you before the plan finished.")


@dataclass
class Step:
    """One step of a plan, in the runbook's own language."""

    title: str
    commands: list[str]
    run: Callable[[StepContext], None]
    done: Callable[[], bool] | None = None
    undo: Callable[[StepContext], None] | None = None
    undo_commands: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """An ordered list of steps that together change one thing."""

    title: str
    target: str
    steps: list[Step]
    action: str = ""
    """A short machine name for the audit log, e.g. `instances.stop`."""
    confirm_name: str | None = None
    """When set, the person must type this name to confirm (a protected target)."""
    mutating: bool = True
    rehearsal: bool = False
    """A dry run of the real operation (certbot --dry-run): audited with dry_run=true."""

    def commands(self) -> list[str]:
        """Every command of every step, in order."""
        return [cmd for step in self.steps for cmd in step.commands]

    def describe(self) -> str:
        """The plan as text: numbered steps, each with its commands (what --dry-run prints)."""
        lines = [f"Plan: {self.title}"]
        for i, step in enumerate(self.steps, 1):
            lines.append(f"  {i}. {step.title}")
            lines.extend(f"       $ {cmd}" for cmd in step.commands)
        return "\n".join(lines)


def as_one_step(plan: Plan, title: str | None = None,
                undo: Plan | None = None) -> Step:
    """A whole plan as one step (a bulk plan has one step per target).

    The step runs the plan's steps in order, skipping those already done, and is itself done
    when every one of them is. Its undo is `undo`'s steps (the opposite plan: stop what was
    started), else the plan's own undos, newest first; its commands are all of theirs.
    """
    steps = list(plan.steps)

    def run(ctx: StepContext) -> None:
        for step in steps:
            ctx.check_cancelled()
            if step.done is not None and step.done():
                ctx.emit(f"{step.title}: already done.")
                continue
            step.run(ctx)

    checks = [step.done for step in steps if step.done is not None]
    done = ((lambda: all(check() for check in checks))
            if checks and len(checks) == len(steps) else None)
    undo_run: Callable[[StepContext], None] | None = None
    undo_commands: list[str] = []
    if undo is not None:
        reverse = as_one_step(undo)
        undo_run, undo_commands = reverse.run, reverse.commands
    elif any(step.undo for step in steps):
        undoable = [step for step in reversed(steps) if step.undo is not None]

        def undo_run(ctx: StepContext) -> None:
            for step in undoable:
                step.undo(ctx)  # type: ignore[misc]

        undo_commands = [cmd for step in undoable for cmd in step.undo_commands]
    return Step(title=title or plan.title, commands=plan.commands(), run=run, done=done,
                undo=undo_run, undo_commands=undo_commands)


TARGETS_JOINER = ", "
"""How a bulk plan joins its targets' names (and its protected ones' in `confirm_name`)."""


def names_several(confirm_name: str) -> bool:
    """Whether a plan's `confirm_name` names several protected targets (a bulk plan's)."""
    return TARGETS_JOINER in confirm_name


def bulk_plan(title: str, plans: list[Plan], action: str,
              undos: Sequence[Plan | None] | None = None) -> Plan:
    """One plan acting on several targets: one step per target (each target's plan as one
    step). A protected target among them asks for every protected name to be typed; a
    failure stops the plan, and the undo reverses the targets already done."""
    undos = list(undos) if undos else [None] * len(plans)
    steps = [as_one_step(plan, undo=undo) for plan, undo in zip(plans, undos, strict=True)]
    protected = [plan.confirm_name for plan in plans if plan.confirm_name]
    return Plan(title=title, target=TARGETS_JOINER.join(plan.target for plan in plans),
                steps=steps, action=action, confirm_name=TARGETS_JOINER.join(protected) or None,
                mutating=any(plan.mutating for plan in plans),
                rehearsal=all(plan.rehearsal for plan in plans) and bool(plans))


@dataclass(frozen=True)
class PlanEvent:
    """Something the executor reports while it works: a state change or an output line."""

    kind: str  # "state" or "output"
    index: int
    state: StepState | None = None
    text: str = ""


@dataclass
class PlanResult:
    """How one run of a plan ended."""

    states: list[StepState]
    ok: bool
    error: str = ""
    failed_index: int | None = None
    cancelled: bool = False
    output: list[str] = field(default_factory=list)
    started: float = 0.0
    duration: float = 0.0
    audit_error: str = ""
    """Why this run is not in the audit log (a full disk…), or "" when it was recorded."""

    @property
    def outcome(self) -> str:
        """succeeded, failed or cancelled."""
        if self.ok:
            return "succeeded"
        return "cancelled" if self.cancelled else "failed"

    def completed(self) -> list[int]:
        """Indexes of the steps this run completed (skipped ones were done before)."""
        return [i for i, s in enumerate(self.states) if s is StepState.DONE]

    def can_undo(self, plan: Plan) -> bool:
        """Whether any step this run completed has an undo."""
        return any(plan.steps[i].undo for i in self.completed())


OUTPUT_KEPT = 200
"""Output lines kept on a result (the tail goes to the audit log)."""


class PlanInterrupted(KeyboardInterrupt):
    """ctrl+c stopped a run; `result` is the run as far as it went (cancelled)."""

    def __init__(self, result: PlanResult) -> None:
        super().__init__("interrupted")
        self.result = result


def execute(plan: Plan, on_event: Callable[[PlanEvent], None] | None = None,
            is_cancelled: Callable[[], bool] = lambda: False) -> PlanResult:
    """Run the plan's steps in order; the first failure stops it."""
    notify = on_event or (lambda event: None)
    result = PlanResult(states=[StepState.PENDING] * len(plan.steps), ok=False, started=time.time())
    t0 = time.monotonic()

    def set_state(i: int, state: StepState) -> None:
        result.states[i] = state
        notify(PlanEvent("state", i, state))

    for i, step in enumerate(plan.steps):
        def emit(line: str, _i: int = i) -> None:
            result.output.append(line)
            del result.output[:-OUTPUT_KEPT]
            notify(PlanEvent("output", _i, text=line))

        ctx = StepContext(emit=emit, is_cancelled=is_cancelled)
        try:
            ctx.check_cancelled()
            if step.done is not None and step.done():
                set_state(i, StepState.SKIPPED)
                continue
            set_state(i, StepState.RUNNING)
            step.run(ctx)
        except PlanCancelled as err:
            _stop(result, i, str(err), cancelled=True, set_state=set_state)
            break
        except KeyboardInterrupt as err:  # ctrl+c (or SIGTERM): a cancelled run, then stop
            how = str(err) or "ctrl+c"
            _stop(result, i, f"Interrupted ({how}) during '{step.title}'.", cancelled=True,
                  set_state=set_state)
            result.duration = time.monotonic() - t0
            raise PlanInterrupted(result) from None
        except PrimeError as err:
            _stop(result, i, str(err), cancelled=False, set_state=set_state)
            break
        except Exception as err:  # a bug or an unexpected library error: still one sentence
            _stop(result, i, f"{step.title} failed unexpectedly: {type(err).__name__}: {err}",
                  cancelled=False, set_state=set_state)
            break
        set_state(i, StepState.DONE)
    else:
        result.ok = True
    result.duration = time.monotonic() - t0
    return result


def _stop(result: PlanResult, i: int, message: str, *, cancelled: bool,
          set_state: Callable[[int, StepState], None]) -> None:
    result.error = message
    result.failed_index = i
    result.cancelled = cancelled
    set_state(i, StepState.NOT_RUN if cancelled else StepState.FAILED)
    for j in range(i + 1, len(result.states)):
        set_state(j, StepState.NOT_RUN)


def undo_completed(plan: Plan, result: PlanResult,
                   on_event: Callable[[PlanEvent], None] | None = None) -> PlanResult:
    """Undo, newest first, the steps this run completed; returns how the undo went."""
    notify = on_event or (lambda event: None)
    undo = PlanResult(states=list(result.states), ok=True, started=time.time())
    t0 = time.monotonic()
    for i in reversed(result.completed()):
        step = plan.steps[i]
        if step.undo is None:
            continue

        def emit(line: str, _i: int = i) -> None:
            undo.output.append(line)
            notify(PlanEvent("output", _i, text=line))

        try:
            step.undo(StepContext(emit=emit))
        except Exception as err:  # noqa: BLE001 - reported as a sentence, undo stops
            undo.ok = False
            undo.failed_index = i
            undo.error = f"Undo of '{step.title}' failed: {err}"
            break
        undo.states[i] = StepState.UNDONE
        notify(PlanEvent("state", i, StepState.UNDONE))
    undo.duration = time.monotonic() - t0
    return undo
