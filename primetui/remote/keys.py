"""Which keys are offered to a server: agent keys, key files, passphrases asked once.

`Keyring` turns a hop's identity files into paramiko's connect arguments. A key the agent
holds is used through the agent (its file may stay locked). A passphrase-protected file the
agent does not hold is unlocked once, with the passphrase asked through the prompter, and the
unlocked key is kept in memory for the session; the passphrase itself is not kept.
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path
from typing import Any

from primetui.errors import RemoteError

_TRIES = 3


class Keyring:
    """Unlocked keys for one session (shared by every server's runner), in memory only."""

    def __init__(self) -> None:
        self._unlocked: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def auth_kwargs(self, hop: Any, prompter: Any) -> dict[str, Any]:
        """paramiko `connect` arguments for a `ResolvedHost`: pkey, key_filename, agent use."""
        agent_keys = _agent_keys()
        pkey: Any = None
        files: list[str] = []
        for path in hop.identity_files:
            if not path.is_file():
                continue  # ssh, too, skips an IdentityFile that is not there
            in_agent = agent_keys.get(_public_blob(path) or b"")
            if in_agent is not None:
                pkey = pkey or in_agent
                continue
            if self._is_locked(path):
                pkey = pkey or self.unlock(path, prompter)
            else:
                files.append(str(path))
        # IdentitiesOnly: only the listed keys (an agent key only when it is one of them).
        allow_agent = bool(agent_keys) and not hop.identities_only
        kwargs: dict[str, Any] = {"allow_agent": allow_agent,
                                  "look_for_keys": not hop.identity_files}
        if pkey is not None:
            kwargs["pkey"] = pkey
        if files:
            kwargs["key_filename"] = files
        return kwargs

    def unlock(self, path: Path, prompter: Any) -> Any:
        """The key in `path`, asking for its passphrase once per session."""
        with self._lock:
            if path in self._unlocked:
                return self._unlocked[path]
            ask = getattr(prompter, "key_passphrase", None)
            if ask is None:
                raise RemoteError(f"The SSH key {path} is protected by a passphrase and nothing "
                                  f"can ask for it here; load it into ssh-agent "
                                  f"(ssh-add {path}).")
            for _ in range(_TRIES):
                passphrase = ask(path)
                if not passphrase:
                    raise RemoteError(f"The SSH key {path} needs its passphrase and none was "
                                      f"given.")
                key = _load(path, passphrase)
                del passphrase
                if key is not None:
                    self._unlocked[path] = key
                    return key
            raise RemoteError(f"The passphrase for the SSH key {path} was wrong "
                              f"{_TRIES} times.")

    def forget(self) -> None:
        """Drop every unlocked key (on quit)."""
        with self._lock:
            self._unlocked.clear()

    @staticmethod
    def _is_locked(path: Path) -> bool:
        from paramiko import PasswordRequiredException, PKey

        try:
            PKey.from_path(path)
        except PasswordRequiredException:
            return True
        except TypeError as exc:  # cryptography's words for an OpenSSH-format locked key
            return "password" in str(exc).lower()
        except Exception:  # unreadable or unknown: paramiko says so when it tries the file
            return False
        return False


def _load(path: Path, passphrase: str) -> Any:
    """The unlocked key, or None when the passphrase is wrong."""
    from paramiko import PKey, SSHException

    try:
        return PKey.from_path(path, password=passphrase.encode())
    except (SSHException, ValueError, TypeError):
        return None
    except OSError as exc:
        raise RemoteError(f"The SSH key {path} cannot be read: {exc.strerror}.") from None


def _public_blob(path: Path) -> bytes | None:
    """The key's public blob from its `.pub` file (readable without the passphrase)."""
    try:
        parts = path.with_name(path.name + ".pub").read_text().split()
        return base64.b64decode(parts[1])
    except (OSError, IndexError, ValueError):
        return None


def _agent_keys() -> dict[bytes, Any]:
    """The keys ssh-agent holds (none without SSH_AUTH_SOCK), by public blob."""
    if not os.environ.get("SSH_AUTH_SOCK"):
        return {}
    from paramiko import Agent

    try:
        agent = Agent()
        return {k.asbytes(): k for k in agent.get_keys()}
    except Exception:  # an agent that does not answer is an agent with no keys
        return {}


__all__ = ["Keyring"]
