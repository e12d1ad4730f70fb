"""Where a backup's `.tar.gz` stream comes from: a local directory, or a server over SSH.

A producer is a function that writes the whole stream to a binary sink; the engine runs
it on a thread and pipes its bytes into gpg. Also the runbook-style shell pipeline a
create step shows for each kind of source.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from primetui.backups.common import BackupError
from primetui.backups.encryption import gpg_options
from primetui.backups.tar import collect_local, write_local_tar
from primetui.config import ServerSettings, Settings
from primetui.plans.plan import PlanCancelled

if TYPE_CHECKING:
    from primetui.remote.runners import Runner

Producer = Callable[[BinaryIO], None]


@dataclass(frozen=True)
class BackupSource:
    """Where backups come from: a local directory, or a directory on a configured server."""

    path: str
    server: str | None = None

    @classmethod
    def parse(cls, text: str) -> BackupSource:
        """`~/prime` (local) or `prod:/home/ubuntu/prime` (a server), as config.py reads it."""
        if ":" in text and not text.startswith(("/", "~", ".")):
            server, path = text.split(":", 1)
            return cls(path or ".", server)
        return cls(str(Path(text).expanduser()))

    def __str__(self) -> str:
        return f"{self.server}:{self.path}" if self.server else self.path


def shell_pipeline(source: BackupSource, names: Iterable[str], target: Path,
                   s2k_count: int, server: ServerSettings | None = None) -> str:
    """The runbook's `tar czf - … | gpg -c > FILE` for this source, with primetui's options.

    For a server's directory, `server` gives the ssh line its user, host, port and key.
    """
    tar = f"tar czf - {' '.join(names)}"
    if source.server:
        remote = f"cd {shlex.quote(source.path)} && {tar}"
        if server is not None:
            from primetui.remote import shown

            inner = shown.ssh(server, remote)
        else:
            inner = f"ssh {source.server} {shlex.quote(remote)}"
    else:
        inner = f"(cd {shlex.quote(source.path)} && {tar})"
    gpg = "gpg -c --cipher-algo AES256 --no-armor " + " ".join(gpg_options(s2k_count))
    return f"{inner} | {gpg} > {shlex.quote(str(target))}"


def existing_patterns(source: BackupSource, include: Iterable[str]) -> list[str]:
    """The include patterns that match something in a local source (all of them for a
    server's directory, which is only read when the backup runs)."""
    patterns = list(include)
    if source.server:
        return patterns
    root = Path(source.path)
    return [p for p in patterns if any(True for _ in root.glob(p.rstrip("/")))]


def local_producer(root: Path, include: Iterable[str], emit: Callable[[str], None],
                   is_cancelled: Callable[[], bool]) -> tuple[Producer, list[str]]:
    """Checks the files now; returns the producer and the member names it will write."""
    from primetui.backups.compression import ParallelGzip

    paths = collect_local(root, include)

    def each(rel: str) -> None:
        if is_cancelled():
            raise PlanCancelled("Stopped by you before the backup was complete.")
        emit(f"adding {rel}")

    def produce(out: BinaryIO) -> None:
        gz = ParallelGzip(out.write)
        try:
            write_local_tar(root, paths, gz, each)  # type: ignore[arg-type]
            gz.close()
        except BaseException:
            gz.abort()
            raise

    return produce, paths


def remote_producer(settings: Settings, runner_factory: Callable[[str], Runner] | None,
                    source: BackupSource, include: Iterable[str], emit: Callable[[str], None],
                    is_cancelled: Callable[[], bool]) -> Producer:
    """Checks the server's source through the runner now; the producer streams `tar czf -`."""
    from primetui.backups import server_source as remote

    name = source.server or ""
    server = settings.servers.get(name)
    if server is None or runner_factory is None:
        raise BackupError(f"The backup source names the server '{name}', which is not "
                          f"configured.")
    runner = runner_factory(name)
    try:
        check = runner.run(remote.preflight_command(source.path, include))
        tops = remote.parse_preflight(check.stdout, str(source))
    finally:
        runner.close()
    emit(f"on {name}: {' '.join(tops)}")

    def produce(out: BinaryIO) -> None:
        remote.stream_command(server, remote.tar_command(source.path, tops), out.write,
                              is_cancelled, runner_factory(name))

    return produce
