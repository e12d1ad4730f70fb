"""`BackupService`: the runbook's Backups section as plans the TUI and the CLI both run.

Create, restore, prune and the hygiene fix are `Plan`s whose steps show the runbook's own
commands (`tar czf - .env config/ | gpg -c > …`); list, status, verify and the restore
preview are plain calls. A passphrase is an argument, captured only by the closures of the
plan it is given to: never stored on the service, never in a command, a line of output or
an error.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from primetui.backups.archive import ArchiveLimits
from primetui.backups.catalog import (
    BackupEntry,
    BackupStatus,
    VerificationLog,
    list_local,
    select_prune,
    sort_newest_first,
    status_of,
)
from primetui.backups.common import (
    BackupError,
    WrongPassphraseError,
    backup_name,
    check_passphrase,
    stale_temp,
)
from primetui.backups.derived_key import KeyDerivation
from primetui.backups.encryption import S2K_COUNT
from primetui.backups.gpg import GpgCipher
from primetui.backups.hygiene import HygieneReport, check_hygiene, hygiene_plan
from primetui.backups.pipeline import decrypt_and_read, encrypt_to_temp, publish
from primetui.backups.restore import (
    STAGING_PREFIX,
    RestorePreview,
    make_preview,
    recover_interrupted,
    restore,
    stage_preview,
)
from primetui.backups.sources import (
    BackupSource,
    existing_patterns,
    local_producer,
    remote_producer,
    shell_pipeline,
)
from primetui.backups.tar import Listing
from primetui.config import Settings
from primetui.errors import PrimeError
from primetui.paths import state_dir
from primetui.plans.plan import Plan, Step, StepContext

if TYPE_CHECKING:
    from primetui.aws import AwsService
    from primetui.remote.runners import Runner


@dataclass(frozen=True)
class VerifyReport:
    """A verified backup: every member, with a sha256 per file."""

    file: Path
    listing: Listing
    verified_at: float


class BackupService:
    """Encrypted backups of `.env` and `config/`: create, list, verify, restore, prune."""

    def __init__(self, settings: Settings, *, aws: AwsService | None = None,
                 runner_factory: Callable[[str], Runner] | None = None,
                 gnupghome: Path | None = None, state_file: Path | None = None,
                 limits: ArchiveLimits | None = None, s2k_count: int = S2K_COUNT,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.config = settings.backups
        self.aws = aws
        self._runner_factory = runner_factory
        self.cipher = GpgCipher(gnupghome, s2k_count=s2k_count)
        self.verifications = VerificationLog(state_file or state_dir() / "backup-verified.json")
        self.limits = limits or ArchiveLimits.from_settings(
            self.config.max_archive_members, self.config.max_archive_mb,
            self.config.max_expansion_ratio)
        self.clock = clock

    # ------------------------------------------------------------------ what exists
    @property
    def destination(self) -> Path:
        """The directory the encrypted archives are written to."""
        return Path(self.config.destination).expanduser()

    @property
    def source(self) -> BackupSource:
        """The configured source."""
        return BackupSource.parse(self.config.source)

    def _s3(self) -> Any:
        from primetui.backups.s3_copy import S3BackupCopy

        if not (self.config.s3_bucket and self.aws):
            return None
        return S3BackupCopy(self.aws, self.config.s3_bucket)

    def list_backups(self, *, include_s3: bool = True) -> list[BackupEntry]:
        """The backups in the destination (and in S3 when configured), newest first."""
        entries = list_local(self.destination, self.clock(), self.verifications)
        s3 = self._s3() if include_s3 else None
        if s3 is not None:
            entries += s3.list(self.clock())
        return sort_newest_first(entries)

    def status(self, entries: list[BackupEntry] | None = None) -> BackupStatus:
        """How old the newest local backup is; a warning past `max_age_days`."""
        local = [e for e in (entries if entries is not None else self.list_backups(
            include_s3=False)) if e.location == "local"]
        return status_of(local, self.config.max_age_days)

    def _taken_names(self) -> set[str]:
        """The file names already in the destination (a new backup's name must differ)."""
        try:
            return {p.name for p in self.destination.iterdir()}
        except OSError:
            return set()

    def resolve(self, file: str | Path) -> Path:
        """A backup given by its name in the destination, or by a path."""
        path = Path(file).expanduser()
        if not path.is_absolute() and not path.exists() and (self.destination / path).exists():
            path = self.destination / path
        if not path.is_file():
            raise BackupError(f"There is no backup file {file} (looked in {self.destination}).")
        return path

    # ------------------------------------------------------------------ create
    def create_plan(self, passphrase: str, *, source: str | None = None) -> Plan:
        """A plan that writes a new verified backup (and copies it to S3 when configured)."""
        check_passphrase(passphrase)
        src = BackupSource.parse(source) if source else self.source
        dest = self.destination
        when = datetime.now()  # the name shown is the name written (a second one today included)
        day_name = backup_name(self.config.name, when, self._taken_names())
        shown = [p.rstrip("/") + ("/" if p.endswith("/") else "")
                 for p in existing_patterns(src, self.config.include)]
        made: dict[str, Path] = {}

        def run(ctx: StepContext) -> None:
            made["file"] = self.create(passphrase, source=src, emit=ctx.emit,
                                       is_cancelled=ctx.is_cancelled, when=when)

        steps = [Step(f"Archive {src}, encrypt and verify it into {dest}", [
            f"mkdir -p -m 700 {shlex.quote(str(dest))}",
            shell_pipeline(src, shown, dest / day_name, self.cipher.s2k_count,
                           self.settings.servers.get(src.server) if src.server else None),
            f"gpg -d {shlex.quote(str(dest / day_name))} | tar tzvf -"], run)]
        s3 = self._s3()
        if s3 is not None:
            def upload(ctx: StepContext) -> None:
                ctx.emit(f"uploaded {s3.upload(made['file'])} (server-side encrypted)")

            steps.append(Step(f"Copy the backup to s3://{s3.bucket} with server-side encryption", [
                f"aws s3api get-public-access-block --bucket {s3.bucket}",
                f"aws s3 cp {dest / day_name} s3://{s3.bucket}/ --sse AES256"], upload))
        return Plan(title=f"Back up {src}", target=str(dest), steps=steps,
                    action="backup.create")

    def create(self, passphrase: str, *, source: BackupSource | None = None,
               tops: list[str] | None = None, kind: str = "backup",
               emit: Callable[[str], None] = lambda line: None,
               is_cancelled: Callable[[], bool] = lambda: False,
               when: datetime | None = None) -> Path:
        """Write, verify and name one backup; returns its path. Used by the plans.

        `when` is the moment its name says (the plan's, so that the plan names the real file).
        """
        check_passphrase(passphrase)
        src = source or self.source
        dest = self.destination
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in os.listdir(dest):
            if stale_temp(name):
                (dest / name).unlink(missing_ok=True)
        expected: list[str] | None = None
        if src.server is None:
            produce, expected = local_producer(
                Path(src.path), tops if tops is not None else self.config.include, emit,
                is_cancelled)
        else:
            produce = remote_producer(self.settings, self._runner_factory, src,
                                      self.config.include, emit, is_cancelled)
        when = when or datetime.now()
        final_name = backup_name(self.config.name, when, set(), kind)
        tmp: Path | None = None
        try:
            derivation = KeyDerivation(passphrase)
            tmp = encrypt_to_temp(self.cipher, produce, dest / final_name, passphrase,
                                  derivation)
            emit("verifying: decrypting and listing every member")
            listing = decrypt_and_read(self.cipher, tmp, passphrase, limits=self.limits,
                                       label="the new backup", derived=derivation)
            names = [m.name for m in listing.members]
            if expected is not None and names != expected:
                raise BackupError("The new backup does not hold what was archived; it was "
                                  "deleted.")
            final = publish(tmp, dest, lambda taken: backup_name(self.config.name, when, taken,
                                                                 kind))
        except BaseException:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise
        try:
            self.verifications.record(final, True, len(listing.members), self.clock())
        except OSError as err:  # the backup is good; only the note that it was verified is lost
            emit(f"note: the backup is written and verified, but {self.verifications.path} "
                 f"could not be updated ({(err.strerror or str(err)).lower()})")
        emit(f"wrote {final} ({final.stat().st_size} bytes, {len(listing.files)} files, verified)")
        return final

    # ------------------------------------------------------------------ verify
    def verify(self, file: str | Path, passphrase: str, *,
               derived: KeyDerivation | None = None) -> VerifyReport:
        """Decrypt and read the whole archive: every member checked, a sha256 per file.

        gpg is given the key derived here (`derived`, started by the caller from the same
        file, or started now); see `decrypt_and_read`.
        """
        path = self.resolve(file)
        try:
            listing = decrypt_and_read(self.cipher, path, passphrase, limits=self.limits,
                                       derived=derived or KeyDerivation.of_file(path, passphrase))
        except WrongPassphraseError:
            raise  # a typo says nothing about the file: it is not recorded as a failed check
        except PrimeError:
            self._remember(path, False, 0, self.clock())
            raise
        when = self.clock()
        self._remember(path, True, len(listing.members), when)
        return VerifyReport(path, listing, when)

    def verify_plan(self, files: list[str | Path], passphrase: str) -> Plan:
        """Verify several backups with one passphrase: one step per file, each decrypting and
        reading the whole archive as `verify` does; a failure stops at that file (nothing
        changes, so there is nothing to undo). The passphrase stays in the steps' closures."""
        paths = [self.resolve(file) for file in files]

        def step(path: Path) -> Step:
            def run(ctx: StepContext) -> None:
                report = self.verify(path, passphrase)
                ctx.emit(f"{path.name}: {len(report.listing.members)} members read, "
                         f"every checksum computed.")

            return Step(title=f"Verify {path.name}",
                        commands=[f"gpg -d {shlex.quote(str(path))} | tar tzvf -"], run=run)

        return Plan(title=f"Verify {len(paths)} backups", target=", ".join(p.name for p in paths),
                    steps=[step(path) for path in paths], action="backup.verify", mutating=False)

    def _remember(self, path: Path, ok: bool, members: int, when: float) -> None:
        """Record a verification; a full state directory loses the record, not the verdict."""
        try:
            self.verifications.record(path, ok, members, when)
        except OSError:
            pass

    # ------------------------------------------------------------------ restore
    def default_restore_destination(self) -> Path:
        """Where a restore goes without --to: the local source directory."""
        if self.source.server:
            raise BackupError(f"The backup source is on {self.source.server}; restore into a "
                              f"local directory (--to DIR) and copy the files over.")
        return Path(self.source.path)

    def preview_restore(self, file: str | Path, passphrase: str,
                        destination: Path | None = None, *,
                        recover: bool = True, stage: bool = True) -> RestorePreview:
        """Decrypt once, checking every member, into staging; then compare with the disk.

        The staged files are what `restore_plan` swaps in (no second decryption); call the
        preview's `discard()` when the person says no. With `stage=False` (a dry run) the
        archive is decrypted and checked with nothing written at all. A restore that was
        killed mid-swap is first finished or rolled back from its journal (`recover=False`,
        for a dry run, only says so in the preview's notes).
        """
        path = self.resolve(file)
        dest = Path(destination).expanduser() if destination else \
            self.default_restore_destination()
        notes = recover_interrupted(dest, dry_run=not recover)
        derived = KeyDerivation.of_file(path, passphrase)
        if stage:
            preview = stage_preview(self.cipher, path, dest, passphrase, limits=self.limits,
                                    include=list(self.config.include), derived=derived)
        else:
            listing = decrypt_and_read(self.cipher, path, passphrase, limits=self.limits,
                                       include=list(self.config.include), derived=derived)
            preview = make_preview(listing, path, dest.absolute())
        return dataclasses.replace(preview, notes=tuple(notes))

    def restore_plan(self, preview: RestorePreview, passphrase: str) -> Plan:
        """Save the current files to a pre-restore backup, then swap in what the preview staged."""
        check_passphrase(passphrase)
        dest, scope = preview.destination, list(preview.scope)
        present = [n for n in scope if os.path.lexists(dest / n)]
        q = shlex.quote
        when = datetime.now()  # the safety copy shown is the one made
        saved_name = backup_name(self.config.name, when, self._taken_names(), "pre-restore")

        def save(ctx: StepContext) -> None:
            self.create(passphrase, source=BackupSource(str(dest)), tops=present,
                        kind="pre-restore", emit=ctx.emit, is_cancelled=ctx.is_cancelled,
                        when=when)

        def swap(ctx: StepContext) -> None:
            restore(self.cipher, preview, passphrase, ctx.emit, limits=self.limits,
                    include=list(self.config.include))

        staging = dest / f"{STAGING_PREFIX}PID-XXXX"
        # Members outside backups.include are never extracted: name what is, when some are.
        only = (" -- " + " ".join(q(n) for n in scope)) if preview.refused and scope else ""
        archived = {m.name for m in preview.listing.members}
        moves = [f"mv {q(str(dest / n))} {q(str(staging / 'old' / n))}" for n in present] + \
                [f"mv {q(str(staging / 'new' / n))} {q(str(dest / n))}" for n in scope
                 if n in archived]
        steps = [
            Step(f"Save the current files to {saved_name}",
                 [shell_pipeline(BackupSource(str(dest)), present, self.destination / saved_name,
                                 self.cipher.s2k_count)], save,
                 done=lambda: not present),
            Step(f"Restore {preview.archive.name} into {dest} (staged, checked, swapped in)", [
                f"mkdir -m 700 -p {q(str(staging / 'new'))} {q(str(staging / 'old'))}",
                f"gpg -d {q(str(preview.archive))} | tar xz --no-same-owner -C "
                f"{q(str(staging / 'new'))}{only}", *moves, f"rm -rf {q(str(staging))}"], swap),
        ]
        return Plan(title=f"Restore {preview.archive.name} into {dest}", target=str(dest),
                    steps=steps, action="backup.restore")

    # ------------------------------------------------------------------ prune, hygiene
    def prune_plan(self, keep: int | None = None) -> Plan:
        """Delete all but the newest `keep` backups; one step names each file."""
        keep = self.config.keep if keep is None else keep
        doomed = select_prune(self.list_backups(include_s3=False), self.config.name, keep)
        steps = [self._delete_step(Path(e.path)) for e in sorted(doomed, key=lambda e: e.created)]
        return Plan(title=f"Prune backups in {self.destination}, keeping the newest {keep}",
                    target=str(self.destination), steps=steps, action="backup.prune")

    def _delete_step(self, path: Path) -> Step:
        def run(ctx: StepContext) -> None:
            self.verifications.forget(path)
            path.unlink()
            ctx.emit(f"deleted {path.name}")

        return Step(f"Delete {path.name}", [f"rm {shlex.quote(str(path))}"], run,
                    done=lambda: not path.exists())

    def hygiene(self, project: Path | None = None) -> HygieneReport:
        """The secret hygiene of the (local) project directory."""
        if project is None:
            if self.source.server:
                raise BackupError("Secret hygiene is checked on a local project directory; "
                                  "the backup source is on a server.")
            project = Path(self.source.path)
        return check_hygiene(Path(project).expanduser())

    def hygiene_plan(self, report: HygieneReport) -> Plan:
        """The plan that fixes modes and the ignore file."""
        return hygiene_plan(report)
