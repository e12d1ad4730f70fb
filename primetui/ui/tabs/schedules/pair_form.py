"""The form for a new start/stop schedule pair: instance, days, times, time zone, target, role.

It only collects the answers as a `PairRequest`; the Schedules tab turns them into a plan
(whose first step checks the role), and brings the form back as it was when they are wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from primetui.instances.model import Instance, PairRequest, Schedule

UNIVERSAL = "universal"
"""The target Select's value for the universal EC2/RDS target (no Lambda)."""


def pair_defaults(selected: Schedule | None, schedules: Sequence[Schedule],
                  instances: Sequence[Instance]) -> PairRequest:
    """A sensible first answer: the selected schedule's instance, zone, Lambda and role.

    The role and Lambda come from a schedule whose role check passes, when there is one, so
    that the plan's first step (the role check) passes too.
    """
    passing = [s for s in schedules if s.role_check is not None and s.role_check.ok]
    model = selected if selected is not None and selected in passing else (
        passing[0] if passing else selected or (schedules[0] if schedules else None))
    by_id = {i.id: i for i in instances}
    acted = [by_id[ref] for ref in (selected.target.instances if selected else ()) if ref in by_id]
    instance = acted[0] if acted else instances[0]
    if model is None:
        return PairRequest(instance=instance)
    lambda_arn = model.target_arn if ":lambda:" in model.target_arn else None
    return PairRequest(instance=instance, timezone=(selected or model).timezone,
                       role_arn=model.role_arn, lambda_arn=lambda_arn)


class SchedulePairDialog(ModalScreen[PairRequest | None]):
    """Dismisses with the filled-in `PairRequest`, or None on escape."""

    DEFAULT_CSS = """
    SchedulePairDialog {
        align: center middle;
    }
    SchedulePairDialog > #pair-box {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 0 2;
        border: thick $primary;
        background: $surface;
    }
    SchedulePairDialog #pair-title {
        text-style: bold;
        margin-bottom: 1;
    }
    SchedulePairDialog #pair-form {
        height: auto;
    }
    SchedulePairDialog .pair-row {
        height: auto;
    }
    SchedulePairDialog .pair-row Label {
        width: 14;
        padding: 1 1 0 0;
    }
    SchedulePairDialog .pair-row Input, SchedulePairDialog .pair-row Select {
        width: 1fr;
    }
    SchedulePairDialog #pair-buttons {
        height: auto;
        align-horizontal: right;
    }
    SchedulePairDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, request: PairRequest, instances: Sequence[Instance],
                 lambdas: Sequence[str]) -> None:
        super().__init__()
        self.request = request
        self.instances = tuple(instances)
        self.lambdas = tuple(dict.fromkeys([*lambdas, *([request.lambda_arn] if request.lambda_arn else [])]))

    def compose(self) -> ComposeResult:
        r = self.request
        with VerticalScroll(id="pair-box"):  # scrolls as a whole in an 80×24 terminal
            yield Static("New start/stop schedules for an instance", id="pair-title", markup=False)
            with Vertical(id="pair-form"):
                yield from self._row("Instance", Select(
                    [(f"{i.name} ({i.kind} {i.id})", i.id) for i in self.instances],
                    value=r.instance.id, allow_blank=False, id="pair-instance"))
                yield from self._row("Days", Input(r.days, id="pair-days",
                                                   placeholder="MON-FRI, or MON,WED,FRI, or *"))
                yield from self._row("Start at", Input(r.start_time, id="pair-start",
                                                       placeholder="08:00"))
                yield from self._row("Stop at", Input(r.stop_time, id="pair-stop",
                                                      placeholder="20:00"))
                yield from self._row("Time zone", Input(r.timezone, id="pair-timezone",
                                                        placeholder="America/Detroit"))
                yield from self._row("Target", Select(
                    [("Universal EC2/RDS target (no Lambda)", UNIVERSAL),
                     *((f"Lambda {arn.split(':function:', 1)[-1]}", arn) for arn in self.lambdas)],
                    value=r.lambda_arn or UNIVERSAL, allow_blank=False, id="pair-target"))
                yield from self._row("Role ARN", Input(r.role_arn, id="pair-role",
                                                       placeholder="arn:aws:iam::…:role/…"))
                yield from self._row("Group", Input(r.group, id="pair-group"))
            yield Static("enter shows the plan · escape cancels", markup=False)
            with Horizontal(id="pair-buttons"):
                yield Button("Show the plan", id="pair-ok", variant="primary")
                yield Button("Cancel", id="pair-cancel")

    def on_mount(self) -> None:
        """Start in the days field, so enter shows the plan (enter on a Select opens it)."""
        self.query_one("#pair-days", Input).focus()

    @staticmethod
    def _row(label: str, field) -> ComposeResult:
        with Horizontal(classes="pair-row"):
            yield Label(label)
            yield field

    def answer(self) -> PairRequest:
        """The form's values as a request (checked by the service, not here)."""
        def text(name: str) -> str:
            return self.query_one(f"#pair-{name}", Input).value.strip()

        chosen = self.query_one("#pair-instance", Select).value
        instance = next((i for i in self.instances if i.id == chosen), self.request.instance)
        target = self.query_one("#pair-target", Select).value
        return replace(self.request, instance=instance, days=text("days") or "MON-FRI",
                       start_time=text("start"), stop_time=text("stop"),
                       timezone=text("timezone") or "UTC", role_arn=text("role"),
                       lambda_arn=None if target in (UNIVERSAL, Select.BLANK) else str(target),
                       group=text("group") or "default")

    @on(Input.Submitted)
    @on(Button.Pressed, "#pair-ok")
    def _submit(self) -> None:
        self.dismiss(self.answer())

    @on(Button.Pressed, "#pair-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Leave without creating anything."""
        self.dismiss(None)
