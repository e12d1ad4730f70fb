"""`AccountBar`: the header — AWS profile, region, account id, DEMO/READ-ONLY badges, a status line.

The account id comes from the AWS session's summary, read in a thread worker, so a slow or
unreachable endpoint never freezes the screen; its one-sentence error goes on the status line.
The bar is one widget that renders its own lines (it is on the first frame, which is budgeted);
its colours are component classes styled in app.tcss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from primetui.ui.work import ThreadWork

if TYPE_CHECKING:
    from primetui.aws import AccountSummary
    from primetui.config import Settings


class AccountBar(ThreadWork, Widget):
    """The header: which AWS account primetui is acting on, and in which mode."""

    DEFAULT_CSS = """
    AccountBar {
        height: auto;
        width: 1fr;
    }
    """
    COMPONENT_CLASSES = {
        "account-bar--app", "account-bar--name", "account-bar--value", "account-bar--unknown",
        "account-bar--demo", "account-bar--read-only", "account-bar--information",
        "account-bar--warning", "account-bar--error",
    }

    aws_profile: reactive[str] = reactive("—")
    aws_region: reactive[str] = reactive("—")
    account: reactive[str] = reactive("—")
    """The account id, "…" while asking, or "unknown"."""
    demo: reactive[bool] = reactive(False)
    read_only: reactive[bool] = reactive(False)
    status: reactive[str] = reactive("", layout=True)
    """The status line's text ("" hides it)."""
    severity: reactive[str] = reactive("information")

    def _style(self, name: str):
        return self.get_visual_style(f"account-bar--{name}")

    def render(self) -> Content:
        """The fields on the left, the badges on the right, the status line below."""
        unknown = self.account == "unknown"
        left = Content.assemble(
            (" primetui ", self._style("app")),
            (" profile ", self._style("name")), (self.aws_profile, self._style("value")),
            ("  region ", self._style("name")), (self.aws_region, self._style("value")),
            ("  account ", self._style("name")),
            (self.account, self._style("unknown" if unknown else "value")))
        badges = Content.assemble(
            *([(" DEMO ", self._style("demo")), " "] if self.demo else []),  # type: ignore[arg-type]
            *([(" READ-ONLY ", self._style("read-only")), " "] if self.read_only else []))  # type: ignore[arg-type]
        gap = max(1, self.size.width - left.cell_length - badges.cell_length)
        first = Content.assemble(left, " " * gap, badges)
        if not self.status:
            return first
        status = Content.assemble((f" {self.status} ", self._style(self.severity)))
        return Content("\n").join([first, status])

    @property
    def text(self) -> str:
        """Everything the bar shows, as plain text."""
        return self.render().plain

    def show_settings(self, settings: Settings | None) -> None:
        """Profile, region and badges from the settings; the account id is not known yet."""
        if settings is None:
            return
        self.aws_profile = settings.aws.profile or "default"
        self.aws_region = settings.aws.region
        self.account = "…"
        self.demo = settings.demo
        self.read_only = settings.ui.read_only

    def set_status(self, text: str, severity: str = "information") -> None:
        """Show (or with "" hide) the status line; severity is information, warning or error."""
        self.severity = severity if severity in ("information", "warning", "error") else "information"
        self.status = text

    def show_summary(self, summary: AccountSummary) -> None:
        """The answer of the account worker: the account id, or why it is unknown."""
        self.aws_profile = summary.profile or "default"
        self.aws_region = summary.region
        self.account = summary.account or "unknown"
        if summary.error:
            self.set_status(summary.error, "error")
        elif self.severity == "error":
            self.set_status("")

    def load_account(self, summary: Callable[[], AccountSummary]) -> None:
        """Ask AWS who we are (STS, through `summary`), off the event loop."""
        self.run_in_thread(summary, done=self._answered, failed=self._failed, group="account",
                           description="account")

    def _answered(self, summary: AccountSummary | None) -> None:
        if summary is not None:
            self.show_summary(summary)

    def _failed(self, error: BaseException | None) -> None:
        self.account = "unknown"
