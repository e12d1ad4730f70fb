"""The rules every secret primetui handles follows: backup passphrases and sudo passwords.

Pure and light (no I/O library): the passphrase dialog, the CLI, the backups area and the
remote runners all judge a secret here, so the rules cannot drift apart. Secrets are text
and travel as UTF-8, both ways: what a person types in a UTF-8 terminal at `gpg -d` is what
primetui hands gpg.
"""

from __future__ import annotations

import os

FORBIDDEN = ("\n", "\r", "\0")
"""Characters gpg's passphrase pipe and sudo's password line cannot carry: refused."""

ENCODING = "utf-8"
"""How a secret becomes bytes for gpg or sudo, and how bytes from a file or fd become one."""


def secret_problem(value: str, what: str = "passphrase") -> str | None:
    """Why `value` cannot be used as a `what` (empty, a line break or NUL), or None."""
    if not value:
        return f"The {what} is empty."
    if any(ch in value for ch in FORBIDDEN):
        return f"A {what} cannot contain line breaks or NUL characters."
    try:
        value.encode(ENCODING)
    except UnicodeEncodeError:
        return f"The {what} holds characters that are not valid text (lone surrogates)."
    return None


def decode_secret(data: bytes, where: str, what: str = "passphrase") -> str:
    """Bytes read from a file or a descriptor as a secret; one sentence when not UTF-8."""
    try:
        return data.decode(ENCODING)
    except UnicodeDecodeError:
        raise SecretError(f"The {what} in {where} is not UTF-8 text; save it as UTF-8 (the "
                          f"encoding of the terminal gpg is typed in).") from None


class SecretError(ValueError):
    """A secret that cannot be used; the message is the sentence to show."""


def strength_hint(value: str) -> str:
    """One sentence about a new passphrase's strength (a hint; it never blocks)."""
    if not value:
        return "Four or more random words make a passphrase easy to type and hard to guess."
    words = len(value.split())
    if len(value) >= 20 or (words >= 4 and len(value) >= 16):
        return "Strong."
    if len(value) >= 12:
        return "Fair: a few more words would make it strong."
    return "Weak: use at least 4 random words or 20 characters."


def forbid_core_dumps() -> None:
    """Keep a secret out of core files: no core dumps, and not dumpable (Linux), from now on.

    Called before a passphrase is read; it lasts for the rest of the process, which is what
    a CLI run or a TUI session holding secrets wants. Harmless where unsupported.
    """
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if not os.path.exists("/proc/self"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4, SUID_DUMP_DISABLE = 0
    except (OSError, AttributeError):
        pass
