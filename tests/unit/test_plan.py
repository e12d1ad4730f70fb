"""The plan executor: order, resume, failure, undo, cancellation, description, odd errors."""

from __future__ import annotations

from primetui.errors import PrimeError, RemoteError
from primetui.plans.plan import (
    Plan,
    PlanEvent,
    PlanResult,
    Step,
    StepContext,
    StepState,
    execute,
    undo_completed,
)


class World:
    """Records what steps did, so tests can check order and effects."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.present: set[str] = set()

    def step(self, name: str, *, fail: Exception | None = None, undoable: bool = True,
             resumable: bool = False, lines: tuple[str, ...] = ()) -> Step:
        def run(ctx: StepContext) -> None:
            self.log.append(f"run {name}")
            for line in lines:
                ctx.emit(line)
            if fail is not None:
                raise fail
            self.present.add(name)

        def undo(ctx: StepContext) -> None:
            self.log.append(f"undo {name}")
            self.present.discard(name)

        return Step(title=name, commands=[f"make {name}"], run=run,
                    done=(lambda: name in self.present) if resumable else None,
                    undo=undo if undoable else None,
                    undo_commands=[f"unmake {name}"] if undoable else [])


def plan_of(*steps: Step, **kw: object) -> Plan:
    return Plan(title="Test plan", target="sandbox", steps=list(steps), action="test.plan", **kw)


def test_execute_runs_every_step_in_order_and_succeeds():
    w = World()
    events: list[PlanEvent] = []
    result = execute(plan_of(w.step("a", lines=("hello",)), w.step("b")), events.append)
    assert result.ok and result.outcome == "succeeded"
    assert w.log == ["run a", "run b"]
    assert result.states == [StepState.DONE, StepState.DONE]
    assert result.output == ["hello"]
    assert [(e.kind, e.index, e.state or e.text) for e in events] == [
        ("state", 0, StepState.RUNNING), ("output", 0, "hello"), ("state", 0, StepState.DONE),
        ("state", 1, StepState.RUNNING), ("state", 1, StepState.DONE)]
    assert result.duration >= 0 and result.started > 0


def test_steps_already_done_are_skipped_so_a_plan_resumes():
    w = World()
    w.present.add("a")
    result = execute(plan_of(w.step("a", resumable=True), w.step("b", resumable=True)))
    assert result.ok
    assert w.log == ["run b"]
    assert result.states == [StepState.SKIPPED, StepState.DONE]
    assert result.completed() == [1]


def test_failed_step_stops_the_plan_and_later_steps_are_not_run():
    w = World()
    result = execute(plan_of(w.step("a"), w.step("b", fail=RemoteError("b broke.")), w.step("c")))
    assert not result.ok and result.outcome == "failed"
    assert w.log == ["run a", "run b"]
    assert result.states == [StepState.DONE, StepState.FAILED, StepState.NOT_RUN]
    assert result.error == "b broke." and result.failed_index == 1


def test_undo_reverses_completed_steps_newest_first_and_only_those():
    w = World()
    w.present.add("pre")
    plan = plan_of(w.step("pre", resumable=True), w.step("a"), w.step("no-undo", undoable=False),
                   w.step("b"), w.step("boom", fail=PrimeError("boom.")), w.step("never"))
    result = execute(plan)
    assert result.can_undo(plan)
    events: list[PlanEvent] = []
    undone = undo_completed(plan, result, events.append)
    assert undone.ok
    assert [entry for entry in w.log if entry.startswith("undo")] == ["undo b", "undo a"]
    assert w.present == {"pre", "no-undo"}  # skipped (done before) and undo-less steps stay
    assert undone.states == [StepState.SKIPPED, StepState.UNDONE, StepState.DONE,
                             StepState.UNDONE, StepState.FAILED, StepState.NOT_RUN]
    assert [e.index for e in events if e.kind == "state"] == [3, 1]


def test_undo_that_fails_stops_and_says_which_step():
    w = World()
    plan = plan_of(w.step("a"), w.step("b"), w.step("c", fail=PrimeError("c failed.")))

    def broken_undo(ctx: StepContext) -> None:
        raise OSError("disk gone")

    plan.steps[1].undo = broken_undo
    undone = undo_completed(plan, execute(plan))
    assert not undone.ok and undone.failed_index == 1
    assert undone.error == "Undo of 'b' failed: disk gone"
    assert "undo a" not in w.log


def test_cancellation_between_steps_leaves_the_rest_not_run():
    w = World()
    asked = iter([False, True])
    result = execute(plan_of(w.step("a"), w.step("b"), w.step("c")), None,
                     lambda: next(asked, True))
    assert result.cancelled and not result.ok and result.outcome == "cancelled"
    assert w.log == ["run a"]
    assert result.states == [StepState.DONE, StepState.NOT_RUN, StepState.NOT_RUN]
    assert result.failed_index == 1
    assert result.error == "Stopped by you before the plan finished."


def test_unexpected_exception_becomes_one_sentence():
    w = World()
    result = execute(plan_of(w.step("Copy files", fail=KeyError("path"))))
    assert result.states == [StepState.FAILED]
    assert result.error == "Copy files failed unexpectedly: KeyError: 'path'"
    assert "\n" not in result.error and "Traceback" not in result.error


def test_describe_lists_numbered_steps_with_their_commands():
    w = World()
    plan = plan_of(w.step("a"), w.step("b"))
    assert plan.describe() == ("Plan: Test plan\n"
                               "  1. a\n"
                               "       $ make a\n"
                               "  2. b\n"
                               "       $ make b")
    assert plan.commands() == ["make a", "make b"]
    assert w.log == []  # describing runs nothing


def test_result_without_completed_undoable_steps_cannot_be_undone():
    w = World()
    plan = plan_of(w.step("a", undoable=False), w.step("b", fail=PrimeError("no.")))
    result = execute(plan)
    assert not result.can_undo(plan)
    assert PlanResult(states=[], ok=True).completed() == []


def test_output_kept_on_the_result_is_bounded():
    w = World()
    many = tuple(f"line {i}" for i in range(500))
    result = execute(plan_of(w.step("chatty", lines=many)))
    assert result.output == list(many[-200:])
