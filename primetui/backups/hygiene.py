"""Secret hygiene of a project directory: `.env*` never in git, readable by its owner only.

Checks each `.env` / `.env.*` file at the project's top level (templates such as
`.env.example` are meant for git and are left alone): its mode, whether git ignores it,
tracks it, or has it anywhere in its history. The fix plan sets mode 0600, adds the
patterns to `.gitignore`, and stops tracking a tracked file (it stays on disk); secrets
already in history cannot be fixed by a plan, and the report says what to do instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from primetui.errors import PrimeError
from primetui.plans.plan import Plan, Step, StepContext

TEMPLATES = (".example", ".sample", ".template", ".dist")
IGNORE_LINES = (".env", ".env.*")


@dataclass(frozen=True)
class SecretFile:
    """One `.env*` file and how well it is kept."""

    name: str
    mode: int
    ignored: bool | None  # None when the project is not a git repository
    tracked: bool | None
    target: str | None = None  # the file a symbolic link `.env` points to ("" when missing)

    @property
    def mode_ok(self) -> bool:
        """Readable and writable by the owner only."""
        return self.mode & 0o077 == 0


@dataclass(frozen=True)
class HygieneReport:
    """The secret hygiene of one project directory."""

    project: Path
    is_git: bool
    files: tuple[SecretFile, ...]
    in_history: tuple[str, ...]  # .env* paths that some commit contains

    def problems(self) -> list[str]:
        """Each problem as a sentence; empty when all is well."""
        out = []
        for f in self.files:
            if f.target == "":
                out.append(f"{f.name} is a symbolic link to a file that does not exist.")
            elif not f.mode_ok:
                what = f"{f.name} (a link to {f.target})" if f.target else f.name
                out.append(f"{what} has mode {f.mode:04o}; it should be 0600 (owner only).")
            if f.tracked:
                out.append(f"{f.name} is tracked by git; stop tracking it and rotate its secrets.")
            elif f.ignored is False:
                out.append(f"{f.name} is not ignored by git; add it to .gitignore.")
        if self.in_history:
            out.append(f"git history contains {', '.join(self.in_history)}: rotate those "
                       f"secrets (rewriting history does not un-leak them).")
        return out

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems()


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git") or "git"
    return subprocess.run([git, "-c", f"safe.directory={project}", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def check_hygiene(project: Path) -> HygieneReport:
    """Inspect `project` (a local directory)."""
    if not project.is_dir():
        raise PrimeError(f"The project directory {project} does not exist.")
    names = sorted(n for n in os.listdir(project)
                   if (n == ".env" or n.startswith(".env.")) and not n.endswith(TEMPLATES)
                   and _secret_kind(project / n) is not None)
    is_git = shutil.which("git") is not None and \
        _git(project, "rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    files = []
    for name in names:
        kind = _secret_kind(project / name)
        target: str | None = None
        if kind == "link":  # a linked .env holds the same secrets: judge the file it points to
            try:
                target = str((project / name).resolve(strict=True))
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except (OSError, RuntimeError):
                target, mode = "", 0o600
        else:
            mode = stat.S_IMODE(os.lstat(project / name).st_mode)
        ignored = tracked = None
        if is_git:
            tracked = _git(project, "ls-files", "--error-unmatch", "--", name).returncode == 0
            ignored = _git(project, "check-ignore", "-q", "--no-index", "--", name).returncode == 0
        files.append(SecretFile(name, mode, ignored, tracked, target))
    history: tuple[str, ...] = ()
    if is_git:
        log = _git(project, "log", "--all", "--format=", "--name-only", "--",
                   ":(glob).env", ":(glob).env.*", ":(glob)**/.env", ":(glob)**/.env.*")
        history = tuple(sorted({p for p in log.stdout.splitlines()
                                if p.strip() and not p.endswith(TEMPLATES)}))
    return HygieneReport(project, is_git, tuple(files), history)


def _secret_kind(path: Path) -> str | None:
    """"file" for a regular file, "link" for a symbolic link (to a file or dangling), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return "file"
    if stat.S_ISLNK(st.st_mode):
        try:
            return "link" if stat.S_ISREG(os.stat(path).st_mode) else None
        except OSError:
            return "link"
    return None


def hygiene_plan(report: HygieneReport) -> Plan:
    """Fix what a plan can: modes, the ignore file, tracked files (history is reported only)."""
    project = report.project
    steps: list[Step] = []
    for f in report.files:
        if not f.mode_ok and f.target != "":
            steps.append(_chmod_step(Path(f.target) if f.target else project / f.name, f.mode))
    if any(f.ignored is False or f.tracked for f in report.files):
        steps.append(_ignore_step(project))
    for f in report.files:
        if f.tracked:
            steps.append(_untrack_step(project, f.name))
    return Plan(title=f"Fix secret hygiene in {project}", target=str(project), steps=steps,
                action="backup.hygiene")


def _chmod_step(path: Path, old: int) -> Step:
    def run(ctx: StepContext) -> None:
        os.chmod(path, 0o600, follow_symlinks=False)
        ctx.emit(f"{path.name}: {old:04o} → 0600")

    def undo(ctx: StepContext) -> None:
        os.chmod(path, old, follow_symlinks=False)

    return Step(f"Make {path.name} readable by its owner only", [f"chmod 600 {shlex.quote(str(path))}"],
                run, done=lambda: stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0, undo=undo,
                undo_commands=[f"chmod {old:o} {shlex.quote(str(path))}"])


def _ignore_step(project: Path) -> Step:
    ignore = project / ".gitignore"

    def missing() -> list[str]:
        present = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
        return [line for line in IGNORE_LINES if line not in (p.strip() for p in present)]

    def run(ctx: StepContext) -> None:
        text = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
        lines = missing()
        prefix = "" if not text or text.endswith("\n") else "\n"
        with open(ignore, "a", encoding="utf-8") as out:
            out.write(prefix + "".join(f"{line}\n" for line in lines))
        ctx.emit(f".gitignore: added {', '.join(lines)}")

    shown = "\\n".join(IGNORE_LINES)
    return Step("Add .env and .env.* to .gitignore",
                [f"printf '{shown}\\n' >> {shlex.quote(str(ignore))}"], run,
                done=lambda: not missing())


def _untrack_step(project: Path, name: str) -> Step:
    def run(ctx: StepContext) -> None:
        out = _git(project, "rm", "--cached", "-q", "--", name)
        if out.returncode != 0:
            raise PrimeError(f"git could not stop tracking {name}: "
                             f"{(out.stderr.strip().splitlines() or ['unknown error'])[-1]}.")
        ctx.emit(f"{name} is no longer tracked (commit this change)")

    return Step(f"Stop tracking {name} in git (the file stays on disk)",
                [f"git -C {shlex.quote(str(project))} rm --cached -- {shlex.quote(name)}"], run,
                done=lambda: _git(project, "ls-files", "--error-unmatch", "--",
                                  name).returncode != 0)
