"""The debug log (`--debug`, `--log-file`) and the redaction shared with the crash log.

The log rotates (1 MB, 3 old files kept) and is created with mode 0600. botocore and
paramiko log at debug level there; every record passes through `redact` first, so signed
AWS headers, keys, tokens, passwords and passphrases never reach the file.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

LOG_NAME = "primetui.log"
"""The debug log's file name in the state directory."""

_SECRETS = [
    # AWS signatures, credentials, tokens, in headers and query strings
    (re.compile(r"(Signature=)[0-9a-fA-F]+"), r"\1[redacted]"),
    (re.compile(r"(Credential=)[^/,\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"((?:X-Amz-Security-Token|x-amz-security-token|SessionToken)['\"]?\s*[:=]\s*b?['\"]?)"
                r"[^'\",\s}]+"), r"\1[redacted]"),
    (re.compile(r"((?:aws_secret_access_key|SecretAccessKey|secret_key)['\"]?\s*[:=]\s*['\"]?)"
                r"[^'\",\s}]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{12,}\b"), r"\1[redacted]"),
    # passwords and passphrases written as key=value or key: value
    (re.compile(r"((?:password|passphrase|passwd|secret|token)['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+",
                re.IGNORECASE), r"\1[redacted]"),
]


def redact(text: str) -> str:
    """The text with every secret-looking value replaced by [redacted]."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def without_locals(traceback_text: str) -> str:
    """A rich traceback with its 'locals' panels removed (they may hold secrets)."""
    kept: list[str] = []
    skipping_at: int | None = None
    for line in traceback_text.splitlines():
        if skipping_at is None:
            start = line.find("╭")
            if start >= 0 and "locals" in line[start:]:
                skipping_at = start
                continue
            kept.append(line)
        elif len(line) > skipping_at and line[skipping_at] == "╰":
            skipping_at = None
    return "\n".join(kept) + "\n"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with `redact` before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is still worth its text
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


def start_debug_log(path: Path | None = None) -> Path:
    """Send primetui, botocore, boto3 and paramiko logs at debug level to a rotating file."""
    from logging.handlers import RotatingFileHandler

    from primetui.paths import state_dir

    path = path or state_dir() / LOG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.close(fd)
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.DEBUG)
    for name in ("primetui", "botocore", "boto3", "paramiko", "fabric", "invoke", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    logging.getLogger("primetui").debug("debug log started: %s", path)
    return path
