"""Names from outside (archive members, file names) made safe to print on a terminal.

A name may hold bytes a terminal obeys instead of showing: ESC sequences that move the
cursor, erase lines or retitle the window, C1 controls that some terminals read as ESC,
a carriage return that overwrites what came before, bidirectional overrides that reverse
the text. `printable` shows each of them as a visible escape (`\\x1b`, `\\u202e`), and a byte
that is not UTF-8 (kept by the file system as a surrogate) as `\\xNN`, so what is printed is
exactly what the name holds and nothing on the screen can be faked. Every name primetui
prints, in the CLI and the TUI, goes through here.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\u2028\u2029\udc80-\udcff\ud800-\udc7f\udd00-\udfff]")
_UNSAFE_KEEP_NEWLINES = re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a non-UTF-8 byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown as a visible escape (see the module)."""
    pattern = _UNSAFE_KEEP_NEWLINES if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text)


def is_printable(text: str) -> bool:
    """Whether `text` prints as itself (no control character, no stray byte)."""
    return _UNSAFE.search(text) is None
