"""`AccountBar`: the header — the context, AWS profile, region, account id, DEMO/READ-ONLY
badges, a status line, and a context's banner ("PRODUCTION") across the top.

The account id comes from the AWS session's summary, read in a thread worker, so a slow or
unreachable endpoint never freezes the screen; its one-sentence error goes on the status line.
When the context pins an account and the credentials belong to another, the account is shown
in red with a WRONG ACCOUNT badge (the services refuse every change there).
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
        "account-bar--warning", "account-bar--error", "account-bar--banner",
        "account-bar--context", "account-bar--wrong-account",
    }

    aws_profile: reactive[str] = reactive("—")
    aws_region: reactive[str] = reactive("—")
    account: reactive[str] = reactive("—")
    """The account id, "…" while asking, or "unknown"."""
    context: reactive[str] = reactive("")
    """The context's name ("" when the config defines no contexts)."""
    banner: reactive[str] = reactive("", layout=True)
    """The context's banner ("" for none), a line of its own across the top."""
    pinned: reactive[str] = reactive("")
    """The account id the context expects ("" when none is pinned)."""
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
        wrong = self.wrong_account
        account_style = "wrong-account" if wrong else "unknown" if unknown else "value"
        left = Content.assemble(
            (" primetui ", self._style("app")),
            *([(" context ", self._style("name")), (self.context, self._style("context"))]  # type: ignore[arg-type]
              if self.context else []),
            (" profile " if not self.context else "  profile ", self._style("name")),
            (self.aws_profile, self._style("value")),
            ("  region ", self._style("name")), (self.aws_region, self._style("value")),
            ("  account ", self._style("name")),
            (self.account, self._style(account_style)))
        badges = Content.assemble(
            *([(" WRONG ACCOUNT ", self._style("wrong-account")), " "] if wrong else []),  # type: ignore[arg-type]
            *([(" DEMO ", self._style("demo")), " "] if self.demo else []),  # type: ignore[arg-type]
            *([(" READ-ONLY ", self._style("read-only")), " "] if self.read_only else []))  # type: ignore[arg-type]
        gap = max(1, self.size.width - left.cell_length - badges.cell_length)
        lines = [Content.assemble(left, " " * gap, badges)]
        if self.banner:
            width = max(self.size.width, len(self.banner) + 2)
            lines.insert(0, Content.assemble((f" {self.banner} ".center(width),
                                              self._style("banner"))))
        if self.status:
            lines.append(Content.assemble((f" {self.status} ", self._style(self.severity))))
        return Content("\n").join(lines)

    @property
    def wrong_account(self) -> bool:
        """Whether STS said the credentials belong to another account than the pinned one."""
        return bool(self.pinned) and self.account not in ("—", "…", "unknown", self.pinned)

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
        self.context = settings.context or ("default" if settings.contexts else "")
        self.banner = settings.ui.banner or ""
        self.pinned = settings.aws.account or ""
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
