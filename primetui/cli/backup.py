"""`primetui backup create|list|verify|restore|prune|hygiene`: the Backups tab for cron and scripts.

Passphrases come from a prompt (twice on create), `--passphrase-file` (refused unless only
its owner can read it) or `--passphrase-fd`: never argv or the environment. Only argparse
and light modules are imported here at start-up; the service is imported by the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from primetui.cli.terminal import Terminal, is_terminal, iso_time
from primetui.errors import PrimeError, UsageError
from primetui.printable import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `backup` and its subcommands to the CLI."""
    backup = subparsers.add_parser("backup", help="encrypted backups of .env and config/")
    sub = backup.add_subparsers(dest="backup_command", required=True,
                                parser_class=type(backup))

    create = sub.add_parser("create", help="write a new encrypted, verified backup")
    create.add_argument("--source", metavar="SRC", help="a local directory or SERVER:/path "
                        "(default: backups.source)")
    create.add_argument("--dry-run", action="store_true", help="print the commands only")
    create.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
    _passphrase_args(create)
    create.set_defaults(handler=create_command)

    listing = sub.add_parser("list", help="the backups with their age and last verification")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_command)

    verify = sub.add_parser("verify", help="decrypt and read a backup: members and checksums")
    verify.add_argument("file", metavar="FILE", help="a backup's name or path")
    verify.add_argument("--json", action="store_true", help="one JSON document on stdout")
    _passphrase_args(verify)
    verify.set_defaults(handler=verify_command)

    restore = sub.add_parser("restore", help="restore a backup, with a preview and a safety copy")
    restore.add_argument("file", metavar="FILE", help="a backup's name or path")
    restore.add_argument("--to", metavar="DIR", help="restore here (default: the source directory)")
    restore.add_argument("--yes", action="store_true", help="do not ask")
    restore.add_argument("--dry-run", action="store_true", help="show the preview and commands only")
    restore.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
    _passphrase_args(restore)
    restore.set_defaults(handler=restore_command)

    prune = sub.add_parser("prune", help="delete all but the newest backups")
    prune.add_argument("--keep", type=int, metavar="N", help="how many to keep (default: backups.keep)")
    prune.add_argument("--yes", action="store_true", help="do not ask")
    prune.add_argument("--dry-run", action="store_true", help="print the commands only")
    prune.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
    prune.set_defaults(handler=prune_command)

    hygiene = sub.add_parser("hygiene", help="check that .env* is kept out of git and mode 0600")
    hygiene.add_argument("--fix", action="store_true", help="run the plan that fixes modes and .gitignore")
    hygiene.add_argument("--yes", action="store_true", help="do not ask")
    hygiene.add_argument("--json", action="store_true", help="one JSON document on stdout")
    hygiene.set_defaults(handler=hygiene_command)


def _passphrase_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--passphrase-file", metavar="F", help="read the passphrase from F (mode 0600)")
    group.add_argument("--passphrase-fd", metavar="N", type=int, help="read the passphrase from file descriptor N")


# ---------------------------------------------------------------------------- passphrases


def _strip_newline(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def read_passphrase(args: argparse.Namespace, *, twice: bool = False) -> str:
    """The passphrase from --passphrase-file, --passphrase-fd or the terminal."""
    from primetui.secrets import forbid_core_dumps, secret_problem, strength_hint

    forbid_core_dumps()  # from here on the process holds a secret: no core file may show it
    if args.passphrase_file:
        passphrase = _from_file(Path(args.passphrase_file).expanduser())
    elif args.passphrase_fd is not None:
        passphrase = _from_fd(args.passphrase_fd)
    else:
        passphrase = _from_prompt(twice)
        if twice:
            print(f"Passphrase strength: {strength_hint(passphrase)}", file=sys.stderr)
    problem = secret_problem(passphrase)
    if problem:
        raise UsageError(problem)
    return passphrase


def _from_file(path: Path) -> str:
    try:
        st = os.stat(path)
        if st.st_mode & 0o077:
            raise UsageError(f"{path} can be read by others (mode {st.st_mode & 0o777:04o}); "
                             f"run 'chmod 600 {path}' first.")
        if st.st_uid != os.getuid():
            raise UsageError(f"{path} belongs to another user; use a passphrase file of your own.")
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"Cannot read the passphrase file {path}: "
                         f"{(err.strerror or str(err)).lower()}.") from None
    return _strip_newline(_decode(data, f"the passphrase file {path}"))


def _from_fd(fd: int) -> str:
    data = bytearray()
    try:
        while len(data) < 65536 and not data.endswith(b"\n"):
            chunk = os.read(fd, 1)
            if not chunk:
                break
            data += chunk
    except OSError as err:
        raise UsageError(f"Cannot read the passphrase from file descriptor {fd}: "
                         f"{(err.strerror or str(err)).lower()}.") from None
    return _strip_newline(_decode(bytes(data), f"file descriptor {fd}"))


def _decode(data: bytes, where: str) -> str:
    from primetui.secrets import SecretError, decode_secret

    try:
        return decode_secret(data, where)
    except SecretError as err:
        raise UsageError(str(err)) from None


def _from_prompt(twice: bool) -> str:
    import getpass

    if not is_terminal():
        raise UsageError("There is no terminal to ask for the passphrase on; use "
                         "--passphrase-file F (mode 0600) or --passphrase-fd N.")
    first = getpass.getpass("Backup passphrase: ")
    if twice and getpass.getpass("Same passphrase again: ") != first:
        raise UsageError("The two passphrases differ, so nothing was done.")
    return first


# ---------------------------------------------------------------------------- handlers


def create_command(term: Terminal) -> int:
    """Write a new backup (no question asked: it only adds a file, so cron can run it)."""
    args = term.args
    if args.dry_run:  # it only prints the commands, so it asks for no passphrase
        service = term.services.backups
        return term.run_plan(service.create_plan("dry run", source=args.source), yes=True,
                             dry_run=True)
    from primetui.backups.encryption import discard_started, start_encryption

    passphrase = None
    try:
        if args.passphrase_file or args.passphrase_fd is not None:
            # Nothing to ask, so gpg starts at once: it turns the passphrase into its key
            # (its slowest step) while the rest of primetui loads and the plan is built.
            passphrase = read_passphrase(args, twice=True)
            start_encryption(passphrase)
        from primetui.backups.gpg import prepare_gpg

        prepare_gpg()  # python-gnupg, for the verification, starts while the rest loads
        service = term.services.backups
        if passphrase is None:
            passphrase = read_passphrase(args, twice=True)
            start_encryption(passphrase)
        plan = service.create_plan(passphrase, source=args.source)
        return term.run_plan(plan, yes=True, dry_run=False)
    finally:
        discard_started()


def list_command(term: Terminal) -> int:
    """Print the backups and the status line."""
    from primetui.backups.archive import human_size

    service = term.services.backups
    try:
        entries = service.list_backups()
    except PrimeError as err:  # S3 unreachable: still show what is here
        term.warn(f"the S3 copies could not be listed: {err}")
        entries = service.list_backups(include_s3=False)
    status = service.status(entries)
    from primetui.cli.completion import remember

    remember("backups", [e.name for e in entries])
    if term.json:
        term.print_json({"destination": str(service.destination),
                         "status": {"level": status.level, "message": status.message},
                         "backups": [_entry_json(e) for e in entries]})
        return 0
    if entries:
        width = max(len(printable(e.name)) for e in entries)
        print(f"{'NAME':<{width}}  {'WHERE':<5}  {'DATE':<16}  {'SIZE':>9}  {'AGE':>7}  LAST VERIFIED")
        for e in entries:
            age = "today" if e.age_days < 1 else f"{int(e.age_days)}d"
            verified = "never" if e.last_verified is None else (
                _when(e.last_verified) + ("" if e.verified_ok else " (FAILED)"))
            print(f"{printable(e.name):<{width}}  {e.location:<5}  {e.date:<16}  {human_size(e.size):>9}  "
                  f"{age:>7}  {verified}")
    print(printable(status.message))
    return 0


def _entry_json(entry: Any) -> dict[str, Any]:
    """One backup as JSON: its epoch-second times as ISO 8601 with zone."""
    data = entry.to_json()
    for key, value in data.items():
        if key in ("mtime", "last_verified", "modified", "created") and isinstance(value, int | float) \
                and not isinstance(value, bool):
            data[key] = iso_time(value)
    return data


def _when(stamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def verify_command(term: Terminal) -> int:
    """Decrypt and read a backup; print every member with its sha256."""
    args = term.args
    passphrase, derived = None, None
    if args.passphrase_file or args.passphrase_fd is not None:
        # Nothing to ask, so the key is derived from the file's first packet at once, while
        # the rest of primetui loads (a name in the backup folder waits for the config).
        passphrase = read_passphrase(args)
        path = Path(args.file).expanduser()
        if path.is_file():
            from primetui.backups.derived_key import KeyDerivation

            derived = KeyDerivation.of_file(path, passphrase)
    from primetui.backups.gpg import prepare_gpg

    prepare_gpg()
    service = term.services.backups
    if passphrase is None:
        passphrase = read_passphrase(args)
    report = service.verify(args.file, passphrase, derived=derived)
    members = report.listing.members
    if term.json:
        term.print_json({"file": str(report.file), "verified_at": iso_time(report.verified_at),
                         "members": [{"name": m.name, "type": m.kind, "size": m.size,
                                      "mode": f"{m.mode:04o}", "sha256": m.sha256 or None}
                                     for m in members]})
        return 0
    for m in members:
        digest = m.sha256 if m.sha256 else "-" * 64
        print(f"{digest}  {m.mode:04o}  {m.size:>10}  {printable(m.name)}"
              f"{'/' if m.is_dir else ''}")
    print(f"Verified {printable(str(report.file))}: {len(report.listing.files)} files, "
          f"{report.listing.total_size} bytes, every member checked.")
    return 0


def restore_command(term: Terminal) -> int:
    """Preview, then (asked, or --yes) save the current files and swap the backup in."""
    args = term.args
    service = term.services.backups
    if not (args.yes or args.dry_run or is_terminal()):
        raise UsageError("Refusing to restore without a terminal to ask on; pass --yes.")
    if term.read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so nothing was restored.")
    passphrase = read_passphrase(args)
    # One decryption: the preview stages the files that the plan swaps in (a dry run
    # writes nothing, so it stages nothing).
    preview = service.preview_restore(args.file, passphrase,
                                      Path(args.to) if args.to else None,
                                      recover=not args.dry_run, stage=not args.dry_run)
    try:
        term.say("\n".join(preview.lines()))
        if not (preview.changes.added or preview.changes.changed or preview.changes.removed):
            term.say("Nothing to restore: the destination already matches the backup.")
            return 0
        return term.run_plan(service.restore_plan(preview, passphrase), yes=args.yes,
                             dry_run=args.dry_run)
    finally:
        preview.discard()  # the staged plaintext goes, whether it was swapped in or not


def prune_command(term: Terminal) -> int:
    """Delete all but the newest backups; the plan names each file."""
    args = term.args
    service = term.services.backups
    if args.keep is not None and args.keep < 1:
        raise UsageError("--keep must be at least 1.")
    plan = service.prune_plan(args.keep)
    if not plan.steps:
        term.say(f"Nothing to prune in {service.destination}.")
        return 0
    return term.run_plan(plan, yes=args.yes, dry_run=args.dry_run)


def hygiene_command(term: Terminal) -> int:
    """Report (and with --fix, fix) the secret hygiene of the project; 1 when problems remain."""
    args = term.args
    service = term.services.backups
    report = service.hygiene()
    problems = report.problems()
    if term.json:
        term.print_json({"project": str(report.project), "git": report.is_git,
                         "ok": report.ok, "problems": problems,
                         "files": [{"name": f.name, "mode": f"{f.mode:04o}", "ignored": f.ignored,
                                    "tracked": f.tracked} for f in report.files],
                         "in_history": list(report.in_history)})
    else:
        print("\n".join(problems) if problems else f"{report.project}: secrets are well kept.")
    if args.fix and problems:
        plan = service.hygiene_plan(report)
        if plan.steps:  # with --json the hygiene report above is the one document
            return term.run_plan(plan, yes=args.yes, dry_run=False, report=False)
    return 0 if report.ok else 1
