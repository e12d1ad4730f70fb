"""`AuditDetailsScreen`: one audit entry in full — who, when, the plan's commands, the tail
of its output and its error — over the Audit tab."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.plans.audit import AuditEntry


def facts(entry: AuditEntry) -> str:
    """The entry's facts, one per line."""
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(entry.when))
    outcome = entry.outcome + (" (dry run)" if entry.dry_run else "") + \
        (" (practice world)" if entry.demo else "")
    where = [f"Context   {entry.context}"] if entry.context else []
    return "\n".join([f"When      {when}", f"Who       {entry.user}@{entry.host}", *where,
                      f"Action    {entry.action}", f"Target    {entry.target}",
                      f"Result    {outcome} after {entry.duration:.1f} s"])


class AuditDetailsScreen(DetailsScreen[None]):
    """Everything the audit log kept about one run; escape or enter closes it."""

    DEFAULT_CSS = """
    AuditDetailsScreen > #audit-details-box {
        width: 100;
        max-width: 95%;
        height: auto;
        max-height: 90%;
    }
    AuditDetailsScreen .audit-details--heading {
        margin-top: 1;
        text-style: bold;
    }
    AuditDetailsScreen #audit-details-error {
        margin-top: 1;
        color: $error;
        text-style: bold;
    }
    AuditDetailsScreen #audit-details-scroll {
        height: auto;
        max-height: 1fr;
    }
    AuditDetailsScreen .audit-details--code {
        color: $foreground-muted;
    }
    """
    BINDINGS = [Binding("enter", "close", "Close", show=False, id="details.close")]
    BOX_ID = "audit-details-box"

    def __init__(self, entry: AuditEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose_details(self) -> ComposeResult:
        """Title, facts, error, commands and output (all plain text, never markup)."""
        e = self.entry
        yield Static(e.title or e.action, id="audit-details-title", classes="details-title",
                     markup=False)
        with VerticalScroll(id="audit-details-scroll"):
            yield Static(facts(e), id="audit-details-facts", markup=False)
            if e.error:
                yield Static(e.error, id="audit-details-error", markup=False)
            yield Static("Commands", classes="audit-details--heading", markup=False)
            commands = "\n".join(f"$ {c}" for c in e.commands) or "(none recorded)"
            yield Static(commands, id="audit-details-commands",
                         classes="audit-details--code", markup=False)
            lines = len(e.output_tail)
            yield Static(f"Output (the last {lines} line{'s' if lines != 1 else ''})"
                         if lines else "Output", classes="audit-details--heading",
                         markup=False)
            yield Static("\n".join(e.output_tail) or "(no output)",
                         id="audit-details-output", classes="audit-details--code",
                         markup=False)
