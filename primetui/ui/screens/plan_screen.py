"""`PlanScreen`: every mutating action goes through it — shown, confirmed, run live, undone.

The plan is shown with its commands first; enter (or y) runs it, escape (or n) leaves without
running anything. A protected target asks for its name to be typed; read-only mode refuses.
The run happens in a thread worker through the `PlanRunner` it is given (the registry's
`run_plan`, which writes the audit log);
its events come back as messages, so the screen never freezes. x or ctrl+c asks the plan to
stop between steps. After a failure the completed steps can be undone with u.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer
from textual.worker import get_current_worker

from primetui.errors import PrimeError
from primetui.plans.plan import Plan, PlanEvent, PlanResult, StepState, names_several
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.dialogs.type_name import TypeNameDialog
from primetui.ui.widgets.plan_view import PlanView
from primetui.ui.work import ThreadWork

READ_ONLY = "Read-only mode is on, so this plan, which changes things, cannot be run."


@dataclass(frozen=True)
class PlanRunner:
    """What the plan screen is given to run a plan: run, undo (both write the audit log),
    and whether read-only mode is on."""

    run: Callable[[Plan, Callable[[PlanEvent], None], Callable[[], bool]], PlanResult]
    """`run(plan, on_event, is_cancelled)`: execute the plan and record the run."""
    undo: Callable[[Plan, PlanResult, Callable[[PlanEvent], None]], PlanResult]
    """`undo(plan, result, on_event)`: undo the steps a failed run completed, and record it."""
    read_only: bool = False


def outcome_sentence(plan: Plan, result: PlanResult) -> str:
    """How a run ended, in one sentence (and why it is not in the audit log, if it is not)."""
    sentence = _outcome(plan, result)
    return f"{sentence} {result.audit_error}" if result.audit_error else sentence


def _outcome(plan: Plan, result: PlanResult) -> str:
    if result.ok:
        done = result.states.count(StepState.DONE)
        skipped = result.states.count(StepState.SKIPPED)
        extra = f", {skipped} already done" if skipped else ""
        return f"Succeeded in {result.duration:.1f} s: {done} of {len(plan.steps)} steps done{extra}."
    step = (result.failed_index or 0) + 1
    if result.cancelled:
        return f"Cancelled before step {step}; the steps after it were not run."
    return f"Failed at step {step}: {result.error.rstrip('.')}."


class PlanScreen(ThreadWork, ModalScreen[PlanResult | None]):
    """Shows a plan, asks, runs it with live output and dismisses with its `PlanResult`."""

    DEFAULT_CSS = """
    PlanScreen {
        align: center middle;
    }
    PlanScreen > #plan-box {
        width: 94%;
        height: 90%;
        padding: 0 1;
        border: thick $primary;
        background: $surface;
    }
    PlanScreen #plan-box.-protected {
        border: thick $error;
    }
    """

    BINDINGS = [
        Binding("enter", "run", "Run", id="plan.run"),
        Binding("y", "run", "Run", show=False, id="plan.run"),
        Binding("escape", "cancel", "Cancel", id="plan.cancel"),
        Binding("n", "cancel", "Cancel", show=False, id="plan.cancel"),
        Binding("x", "stop", "Stop", id="plan.stop"),
        Binding("ctrl+c", "stop", "Stop", show=False, id="plan.stop"),
        Binding("escape", "stop", "Stop", show=False, id="plan.stop"),
        Binding("q", "explain_no_quit", "Quit", show=False, id="plan.quit"),
        Binding("u", "undo", "Undo completed steps", id="plan.undo"),
        Binding("c", "copy_commands", "Copy commands", show=False, id="plan.copy",
                tooltip="Copy the plan's commands to the clipboard (OSC 52: works over SSH)"),
        Binding("enter", "close", "Close", id="plan.close"),
        Binding("escape", "close", "Close", show=False, id="plan.close"),
    ]

    class Progress(Message):
        """A step changed state or printed a line (posted from the worker thread)."""

        def __init__(self, event: PlanEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self, plan: Plan, runner: PlanRunner, *, dry_run: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.runner = runner
        self.dry_run = dry_run
        self.phase = "dry-run" if dry_run else "review"
        """review → running → finished (→ undoing → finished); or dry-run."""
        self.result: PlanResult | None = None
        self.undo_result: PlanResult | None = None
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="plan-box", classes="-protected" if self.plan.confirm_name else ""):
            yield PlanView(self.plan, id="plan-view")
        yield Footer()

    @property
    def view(self) -> PlanView:
        """The plan view inside this screen."""
        return self.query_one(PlanView)

    def on_mount(self) -> None:
        """Say what will happen before anything does."""
        if self.dry_run:
            self.view.set_note("Dry run: these are the commands; nothing will be run.")
        elif self.read_only:
            self.view.set_note(READ_ONLY)
        elif self.plan.confirm_name and names_several(self.plan.confirm_name):
            self.view.set_note(f"{self.plan.confirm_name} are protected: you will be asked "
                               f"to type their names as shown.")
        elif self.plan.confirm_name:
            self.view.set_note(f"{self.plan.confirm_name} is protected: you will be asked "
                               f"to type its name.")
        if not (self.dry_run or self.read_only):
            self.view.write_line("Enter runs the plan; its output appears here.")

    @property
    def read_only(self) -> bool:
        """Whether this plan is refused because the services are read-only."""
        return bool(self.runner.read_only and self.plan.mutating)

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer each key only in the phase where it means something."""
        phase = self.phase
        if action in ("run", "cancel"):
            return phase == "review"
        if action == "stop":
            return phase == "running"
        if action == "explain_no_quit":
            return phase in ("running", "undoing")
        if action == "close":
            return phase in ("finished", "dry-run")
        if action == "undo":
            result = self.result
            return (phase == "finished" and result is not None and not result.ok
                    and self.undo_result is None and result.can_undo(self.plan))
        return True

    # Before the run ---------------------------------------------------------------------

    def action_run(self) -> None:
        """Run the plan, after the protected-name check; refused when read-only."""
        if self.read_only:
            self.view.set_outcome(READ_ONLY, "warning")
            return
        if self.plan.confirm_name:
            self.app.push_screen(TypeNameDialog(self.plan.confirm_name, self.plan.title),
                                 self._name_typed)
            return
        self._start()

    def _name_typed(self, confirmed: bool | None) -> None:
        if confirmed:
            self._start()
        else:
            self.view.set_outcome("Not run: the name was not confirmed.", "warning")

    def action_cancel(self) -> None:
        """Leave without running anything."""
        self.dismiss(None)

    def _start(self) -> None:
        self._set_phase("running")
        self.view.clear_log()
        self.view.set_outcome("Running… (x stops between steps)", "warning")
        self.run_in_thread(self._run_plan, done=self._finished, failed=self._failed,
                           group="plan", tell_app=False, description="run-plan")

    # The run ------------------------------------------------------------------------------

    def _run_plan(self) -> PlanResult:
        worker = get_current_worker()
        return self.runner.run(
            self.plan, self._post_event,
            lambda: self._stop.is_set() or worker.is_cancelled)

    def _post_event(self, event: PlanEvent) -> None:
        self.post_message(self.Progress(event))

    def on_plan_screen_progress(self, message: PlanScreen.Progress) -> None:
        """Show a step's new state or an output line."""
        event = message.event
        if event.kind == "state" and event.state is not None:
            self.view.set_state(event.index, event.state)
        elif event.kind == "output":
            self.view.write_line(event.text)

    def action_explain_no_quit(self) -> None:
        """`q` while steps run: say why primetui does not quit now, and what to do."""
        self.notify("A plan is running: press x to stop it after the current step, then q "
                    "to quit. Quitting now could leave a change half made.", severity="warning")

    def action_stop(self) -> None:
        """Ask the plan to stop before its next step."""
        self._stop.set()
        self.view.set_outcome("Stopping after the current step…", "warning")

    def _failed(self, err: BaseException | None) -> None:
        """A run or an undo that raised: its sentence on the screen (the app is not told)."""
        text = str(err) if isinstance(err, PrimeError) else (
            f"Unexpected error: {type(err).__name__}: {err}")
        self._set_phase("finished")
        self.view.set_outcome(text, "error")

    def _finished(self, result: PlanResult) -> None:
        self.result = result
        self._set_phase("finished")
        if result.ok:
            self.view.set_outcome(outcome_sentence(self.plan, result), "ok")
            return
        self.view.set_outcome(outcome_sentence(self.plan, result),
                              "warning" if result.cancelled else "error")
        if result.can_undo(self.plan):
            self.view.write_line("Press u to undo the steps this run completed.")

    # Undo ---------------------------------------------------------------------------------

    def action_undo(self) -> None:
        """Offer to undo, newest first, the steps this run completed."""
        assert self.result is not None
        commands = [cmd for i in reversed(self.result.completed())
                    for cmd in self.plan.steps[i].undo_commands]
        detail = "\n".join(f"$ {cmd}" for cmd in commands) or "Each completed step is reversed."
        self.app.push_screen(ConfirmDialog("Undo the steps this run completed?", detail),
                             self._undo_confirmed)

    def _undo_confirmed(self, yes: bool | None) -> None:
        if not yes or self.result is None:
            return
        self._set_phase("undoing")
        self.view.set_outcome("Undoing…", "warning")
        self.run_in_thread(self._undo_plan, self.result, done=self._undone, failed=self._failed,
                           group="plan", tell_app=False, description="undo-plan")

    def _undo_plan(self, result: PlanResult) -> PlanResult:
        return self.runner.undo(self.plan, result, self._post_event)

    def _undone(self, undo: PlanResult) -> None:
        self.undo_result = undo
        self._set_phase("finished")
        count = undo.states.count(StepState.UNDONE)
        if undo.ok:
            self.view.set_outcome(f"Undone: {count} completed step(s) reversed.", "warning")
        else:
            self.view.set_outcome(undo.error, "error")

    def action_copy_commands(self) -> None:
        """`c`: the plan's commands, one per line, to the clipboard (y runs the plan here)."""
        commands = self.plan.commands()
        if not commands:
            self.notify("This plan has no commands to copy.", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(commands))
        self.notify(f"Copied the plan's {len(commands)} command"
                    f"{'s' if len(commands) != 1 else ''}.", title="Clipboard")

    def action_close(self) -> None:
        """Close, handing the run's result back to whoever opened the plan."""
        self.dismiss(self.result)
