"""App-wide messages: small dataclasses posted upwards (widget → screen → app).

Messages that belong to one widget are nested in that widget instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from primetui.plans.plan import Plan


@dataclass
class DemoProgress(Message):
    """A progress sentence from the practice world while it starts (posted from a thread)."""

    text: str


@dataclass
class OpenPlan(Message):
    """Show this plan, ask, and run it (the app pushes the plan screen and refreshes after)."""

    plan: Plan


@dataclass
class WorkFailed(Message):
    """A widget's worker failed; the app reports it (Worker.StateChanged does not bubble)."""

    error: BaseException | None
    group: str


@dataclass
class ShowSubject(Message):
    """Show a tab with the cursor on one of its rows: what a finding is about."""

    tab: str
    subject: str
