"""The gpg that encrypts a backup, started as soon as the passphrase is known.

gpg turns the passphrase into its key (the S2K: iterated and salted SHA-512 over 65 MB,
about 0.15 s) before it reads any data. `backup create` starts it the moment it has a
passphrase it did not have to ask for (`start_encryption`), so that the derivation runs
while the rest of primetui loads and the plan is built; the archive is attached later
(`Encryption.finish`, through `GpgCipher.encrypt`). Until then gpg's output, its key
packet, waits in the pipe.

This gpg is started with `subprocess`, not python-gnupg: python-gnupg's import and the
`gpg --list-config` it runs first to learn gpg's version would come before it (about a
tenth of the whole command), and an encryption needs nothing of what they give. gpg's
exit status says whether it worked, and the backup is then verified by decrypting it,
through python-gnupg (`gpg.py`). The module is kept light for that reason: the command
line imports it before anything else of the backups area.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from primetui.errors import MissingToolError
from primetui.secrets import ENCODING, forbid_core_dumps

S2K_COUNT = 65011712
"""The largest iteration count OpenPGP can encode: slows down guessing the passphrase."""
CHUNK = 1 << 20
STDERR_KEPT = 1 << 16
"""The most of gpg's messages kept for an error (the last ones, which say why)."""


def gpg_options(s2k_count: int = S2K_COUNT) -> list[str]:
    """gpg's options for every backup: AES256, strong S2K, no compression, no caching."""
    return ["--compress-algo", "none", "--s2k-mode", "3", "--s2k-digest-algo", "SHA512",
            "--s2k-count", str(s2k_count), "--s2k-cipher-algo", "AES256", "--no-symkey-cache"]


def gpg_home(home: Path | None) -> str | None:
    """gpg's home as its argument, made (mode 0700) when missing; None for gpg's default."""
    if home is None:
        return None
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(home)


Settings = tuple[str, Path | None, int]
"""What decides how gpg encrypts: its binary, its home and the S2K count."""


class Encryption:
    """One gpg encrypting: started on the passphrase, its data and its sink attached later.

    The passphrase goes to gpg on its stdin, the first line (as `gpg --passphrase-fd 0`
    reads it), never in argv or the environment; the data follows on the same pipe.
    """

    def __init__(self, settings: Settings, passphrase: str) -> None:
        binary, home, s2k_count = settings
        self.settings = settings
        self._passphrase = passphrase
        forbid_core_dumps()  # a passphrase is in this process: a core file must not show it
        where = gpg_home(home)
        args = [binary, *(["--homedir", where] if where else []), "--batch", "--no-tty",
                "--no-verbose", "--status-fd", "2", "--pinentry-mode", "loopback",
                "--passphrase-fd", "0", "--no-armor", "--symmetric", "--cipher-algo", "AES256",
                *gpg_options(s2k_count)]
        try:
            self._gpg = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
        except OSError:
            raise MissingToolError("gpg is not installed or does not run; install the "
                                   "'gnupg' package (apt-get install gnupg).") from None
        stdin = self._gpg.stdin
        assert stdin is not None
        try:
            stdin.write(passphrase.encode(ENCODING) + b"\n")
            stdin.flush()
        except OSError:  # gpg ended at once: its exit status and messages say why
            pass

    def matches(self, settings: Settings, passphrase: str) -> bool:
        """Whether this gpg encrypts as `settings` would, with `passphrase`."""
        return self.settings == settings and self._passphrase == passphrase

    def finish(self, source: BinaryIO, sink: Callable[[bytes], object]) -> tuple[int, str]:
        """Encrypt all of `source` into `sink`; gpg's exit status and its messages.

        `sink` gets everything gpg writes, from its key packet on, and must not raise. An
        interruption (ctrl+c, SIGTERM) stops gpg before it is passed on.
        """
        gpg = self._gpg
        assert gpg.stdin is not None and gpg.stdout is not None and gpg.stderr is not None
        messages: list[bytes] = []
        writer = threading.Thread(target=_send, args=(source, gpg.stdin), name="gpg-input",
                                  daemon=True)
        reader = threading.Thread(target=_keep_last, args=(gpg.stderr, messages),
                                  name="gpg-messages", daemon=True)
        writer.start()
        reader.start()
        try:
            out = gpg.stdout.fileno()
            while chunk := os.read(out, CHUNK):
                sink(chunk)
            code = gpg.wait()
            reader.join()
            writer.join()
        except BaseException:
            self.discard()
            raise
        finally:
            gpg.stdout.close()
        return code, b"".join(messages).decode(ENCODING, "replace")

    def discard(self) -> None:
        """Stop gpg unused (or interrupted): nothing it wrote goes anywhere."""
        if self._gpg.poll() is None:
            self._gpg.kill()
        self._gpg.wait()


def _send(source: BinaryIO, stdin: BinaryIO) -> None:
    """Hand gpg the data, then the end of it. A gpg that stopped reading ends this quietly:
    its exit status says why. A source closed by an interruption ends it too."""
    try:
        while data := source.read(CHUNK):
            stdin.write(data)
    except (OSError, ValueError):
        pass
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _keep_last(stream: BinaryIO, kept: list[bytes]) -> None:
    """Read gpg's messages to the end (so that it never blocks on them), keeping the last
    STDERR_KEPT bytes."""
    size = 0
    while data := os.read(stream.fileno(), CHUNK):
        kept.append(data)
        size += len(data)
        while size - len(kept[0]) >= STDERR_KEPT:
            size -= len(kept.pop(0))
    stream.close()


_STARTED: list[Encryption] = []
_STARTED_LOCK = threading.Lock()


def start_encryption(passphrase: str, settings: Settings = ("gpg", None, S2K_COUNT)) -> None:
    """Start gpg on `passphrase` now, for the next backup encrypted with these settings.

    The caller has checked the passphrase (`primetui.secrets`). A backup with other
    settings or another passphrase does not use this gpg, which is then stopped; so does
    `discard_started` when the command ends without it. Starting it costs no error: a gpg
    that cannot start is reported by the encryption that needs it.
    """
    try:
        started = Encryption(settings, passphrase)
    except MissingToolError:
        return
    with _STARTED_LOCK:
        _STARTED.append(started)


def _take_all() -> list[Encryption]:
    with _STARTED_LOCK:
        started, _STARTED[:] = list(_STARTED), []
    return started


def take_started(settings: Settings, passphrase: str) -> Encryption | None:
    """The gpg started for these settings and this passphrase, if any (it is then the
    caller's); every other one is stopped."""
    found = None
    for each in _take_all():
        if found is None and each.matches(settings, passphrase):
            found = each
        else:
            each.discard()
    return found


def discard_started() -> None:
    """Stop every gpg `start_encryption` started that no backup used."""
    for each in _take_all():
        each.discard()
