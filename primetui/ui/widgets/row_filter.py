"""`RowFilter`: what `/` keeps — a regular expression, or a fuzzy match, and `!` to invert.

Typed text is a case-insensitive regular expression searched in every cell (plain words
match as they read; text that is not a valid expression is matched as it is typed). A
leading `~` asks for a fuzzy match instead: the letters in order, with anything between
them, inside one cell (`~pdw` keeps `prod-web`). A leading `!` keeps the rows that do NOT
match (`!stopped`, `!~pdw`). `describe()` says which match is in force, for the status line;
`highlight()` marks the matched characters of a cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text

REGEX = "regex"
FUZZY = "fuzzy"
TEXT = "text"
"""Plain text: the typed text was not a valid regular expression."""


def _fuzzy_pattern(letters: str) -> re.Pattern[str]:
    """The letters in order, each followed by the shortest run of anything."""
    return re.compile(".*?".join(re.escape(ch) for ch in letters), re.IGNORECASE)


@dataclass(frozen=True)
class RowFilter:
    """A parsed filter: its pattern, how it matches, whether it is inverted."""

    text: str = ""
    """What was typed (stripped)."""
    mode: str = REGEX
    inverted: bool = False
    pattern: re.Pattern[str] | None = None
    """None: no filter (every row is kept)."""
    problem: str = ""
    """Why a regular expression fell back to plain text, or ""."""

    @classmethod
    def parse(cls, typed: str) -> RowFilter:
        """Read what was typed in the filter box."""
        text = typed.strip()
        body = text
        inverted = body.startswith("!")
        if inverted:
            body = body[1:].lstrip()
        if body.startswith("~"):
            letters = "".join(body[1:].split())
            if not letters:
                return cls(text, FUZZY, inverted)
            return cls(text, FUZZY, inverted, _fuzzy_pattern(letters))
        if not body:
            return cls(text, REGEX, inverted)
        try:
            return cls(text, REGEX, inverted, re.compile(body, re.IGNORECASE))
        except re.error as err:
            return cls(text, TEXT, inverted, re.compile(re.escape(body), re.IGNORECASE),
                       problem=f"not a valid regular expression ({err.msg})")

    @property
    def active(self) -> bool:
        """Whether this filter hides anything at all."""
        return self.pattern is not None

    def matches(self, texts: tuple[str, ...] | list[str]) -> bool:
        """Whether a row (its cells' plain texts) is kept."""
        if self.pattern is None:
            return True
        found = any(self.pattern.search(text) for text in texts)
        return found != self.inverted

    def highlight(self, cell: Text) -> Text | None:
        """A copy of `cell` with its matches styled, or None when nothing in it matches
        (an inverted filter keeps rows that do not match: nothing to highlight)."""
        if self.pattern is None or self.inverted:
            return None
        spans = [(m.start(), m.end()) for m in self.pattern.finditer(cell.plain)
                 if m.end() > m.start()]
        if not spans:
            return None
        marked = cell.copy()
        for start, end in spans:
            marked.stylize("reverse", start, end)
        return marked

    def describe(self, shown: int, total: int) -> str:
        """The status line's sentence: which match, what was typed, how many rows are kept."""
        if self.pattern is None:
            return ""
        how = {REGEX: "regex", FUZZY: "fuzzy", TEXT: "plain text"}[self.mode]
        verb = "not matching" if self.inverted else "matching"
        note = f" ({self.problem})" if self.problem else ""
        return (f"Filter, {how} match{note}: {shown} of {total} rows {verb} "
                f"{self.text.lstrip('!').strip()!r}. ~ fuzzy, ! inverts, escape clears.")
