"""`PlanView`: a plan's numbered steps with their commands, each step's state, and live output."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import RichLog, Static

from primetui.plans.plan import Plan, Step, StepState

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
"""Frames shown beside the running step."""

MARKERS = {
    StepState.PENDING: "·",
    StepState.SKIPPED: "✓",
    StepState.RUNNING: SPINNER[0],
    StepState.DONE: "✓",
    StepState.FAILED: "✗",
    StepState.NOT_RUN: "–",
    StepState.UNDONE: "↺",
}
"""The one-character marker of each state (the state's name is written beside it)."""

LOG_LINES = 2000
"""Lines of output the live log keeps; older ones scroll away."""


def state_class(state: StepState) -> str:
    """The CSS class of a state, e.g. `-already-done`."""
    return "-" + state.value.replace(" ", "-")


class StepRow(Vertical):
    """One numbered step: marker, title and state on a line, its commands beneath."""

    DEFAULT_CSS = """
    StepRow {
        height: auto;
    }
    StepRow > .step-line {
        height: 1;
    }
    StepRow .step-marker {
        width: 2;
    }
    StepRow .step-title {
        width: 1fr;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    StepRow .step-state {
        width: auto;
        color: $text-muted;
    }
    StepRow .step-commands {
        padding-left: 6;
        color: $text-muted;
    }
    StepRow.-running .step-marker, StepRow.-running .step-state { color: $accent; }
    StepRow.-done .step-marker, StepRow.-done .step-state { color: $success; }
    StepRow.-already-done .step-marker, StepRow.-already-done .step-state { color: $success; }
    StepRow.-failed .step-marker, StepRow.-failed .step-state { color: $error; }
    StepRow.-undone .step-marker, StepRow.-undone .step-state { color: $warning; }
    StepRow.-not-run .step-title { color: $text-muted; }
    """

    def __init__(self, index: int, step: Step) -> None:
        super().__init__(id=f"step-{index + 1}", classes=state_class(StepState.PENDING))
        self.index = index
        self.step = step
        self.state = StepState.PENDING

    def compose(self) -> ComposeResult:
        with Horizontal(classes="step-line"):
            yield Static(MARKERS[self.state], classes="step-marker", markup=False)
            yield Static(f"{self.index + 1}. {self.step.title}", classes="step-title",
                         markup=False)
            yield Static(self.state.value, classes="step-state", markup=False)
        commands = "\n".join(f"$ {cmd}" for cmd in self.step.commands)
        yield Static(commands, classes="step-commands", markup=False)

    def set_state(self, state: StepState) -> None:
        """Show a new state: marker, name and colour."""
        self.remove_class(state_class(self.state))
        self.state = state
        self.add_class(state_class(state))
        self.query_one(".step-marker", Static).update(MARKERS[state])
        self.query_one(".step-state", Static).update(state.value)

    def spin(self, frame: int) -> None:
        """Advance the spinner of a running step."""
        self.query_one(".step-marker", Static).update(SPINNER[frame % len(SPINNER)])

    @property
    def state_text(self) -> str:
        """The state as shown on screen."""
        return str(self.query_one(".step-state", Static).content)


class PlanView(Vertical):
    """Shows a plan before and while it runs; the owning screen feeds it states and output."""

    DEFAULT_CSS = """
    PlanView {
        height: 1fr;
    }
    PlanView #plan-title {
        text-style: bold;
    }
    PlanView #plan-target {
        color: $text-muted;
    }
    PlanView #plan-note {
        color: $text-warning;
        height: auto;
        display: none;
    }
    PlanView #plan-note.-shown {
        display: block;
    }
    PlanView #plan-steps {
        height: auto;
        max-height: 50%;
        margin-top: 1;
        border-top: solid $primary-muted;
    }
    PlanView #plan-log {
        height: 1fr;
        min-height: 4;
        border: round $primary-muted;
        background: $background;
    }
    PlanView #plan-outcome {
        height: auto;
        text-style: bold;
    }
    PlanView #plan-outcome.-ok { color: $text-success; }
    PlanView #plan-outcome.-error { color: $text-error; }
    PlanView #plan-outcome.-warning { color: $text-warning; }
    """

    def __init__(self, plan: Plan, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan
        self._frame = 0

    def compose(self) -> ComposeResult:
        yield Static(self.plan.title, id="plan-title", markup=False)
        yield Static(f"Target: {self.plan.target}", id="plan-target", markup=False)
        yield Static("", id="plan-note", markup=False)
        with VerticalScroll(id="plan-steps"):
            for i, step in enumerate(self.plan.steps):
                yield StepRow(i, step)
        log = RichLog(id="plan-log", max_lines=LOG_LINES, markup=False, highlight=False,
                      wrap=True)
        log.border_title = "Output"
        yield log
        yield Static("", id="plan-outcome", markup=False)

    def on_mount(self) -> None:
        """Prepare the spinner, paused until a step runs."""
        self._spinner = self.set_interval(0.1, self._spin, pause=True)

    @property
    def rows(self) -> list[StepRow]:
        """The step rows, in plan order."""
        return list(self.query(StepRow))

    def set_state(self, index: int, state: StepState) -> None:
        """Show step `index` in `state`; the spinner runs while any step is running."""
        row = self.rows[index]
        row.set_state(state)
        if state is StepState.RUNNING:
            row.scroll_visible()
            self.write_line(f"▶ {index + 1}. {row.step.title}")
        if any(r.state is StepState.RUNNING for r in self.rows):
            self._spinner.resume()
        else:
            self._spinner.pause()

    def _spin(self) -> None:
        self._frame += 1
        for row in self.rows:
            if row.state is StepState.RUNNING:
                row.spin(self._frame)

    def write_line(self, text: str) -> None:
        """Append one line of output to the live log."""
        self.query_one("#plan-log", RichLog).write(text)

    def clear_log(self) -> None:
        """Empty the live log (before a run)."""
        self.query_one("#plan-log", RichLog).clear()

    def log_text(self) -> list[str]:
        """The live log's lines as plain text."""
        return [strip.text for strip in self.query_one("#plan-log", RichLog).lines]

    def set_note(self, text: str) -> None:
        """Show a note under the target (dry run, protected target, read-only)."""
        note = self.query_one("#plan-note", Static)
        note.update(text)
        note.set_class(bool(text), "-shown")

    def set_outcome(self, text: str, kind: str = "ok") -> None:
        """Show the one-sentence outcome; `kind` is ok, error or warning."""
        outcome = self.query_one("#plan-outcome", Static)
        outcome.set_classes(f"-{kind}")
        outcome.update(text)

    @property
    def outcome_text(self) -> str:
        """The outcome sentence as shown."""
        return str(self.query_one("#plan-outcome", Static).content)
