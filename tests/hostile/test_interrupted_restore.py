"""A restore killed between its renames is rolled back (or finished) by the next run."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from primetui.backups.restore import JOURNAL, STAGING_PREFIX
from primetui.backups.service import BackupService
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from tests.hostile.backup_helpers import PASSPHRASE, QUICK_S2K, REPO, cli, tree

# Restores ARCHIVE into SOURCE and dies (os._exit, as SIGKILL would: no cleanup runs) right
# after the swap's KILL_AFTER-th rename, or ("cleanup") when the finished swap starts to
# delete its staging directory.
CHILD = """
import os, sys
from pathlib import Path
from primetui.config import BackupSettings, Settings
from primetui.backups.service import BackupService
from primetui.plans.plan import execute
source, dest, home, state, archive, kill_after, s2k = sys.argv[1:8]
settings = Settings(backups=BackupSettings(source=source, destination=Path(dest)))
service = BackupService(settings, gnupghome=Path(home), state_file=Path(state),
                        s2k_count=int(s2k))
passphrase = sys.stdin.readline().rstrip("\\n")
preview = service.preview_restore(archive, passphrase)
real_rename, count = os.rename, [0]
def rename(a, b):
    real_rename(a, b)
    count[0] += 1
    if count[0] == int(kill_after):
        os._exit(9)
def remove_tree(*args, **kwargs):
    os._exit(9)
if kill_after == "cleanup":
    import primetui.backups.restore
    primetui.backups.restore.remove_tree = remove_tree
else:
    os.rename = rename
execute(service.restore_plan(preview, passphrase))
os._exit(0)
"""


def restore_and_die(service: BackupService, home: GpgHome, archive: Path,
                    kill_after: int | str) -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", CHILD, service.config.source,
                           str(service.destination), str(home.path),
                           str(service.verifications.path), str(archive), str(kill_after),
                           str(QUICK_S2K)], env=env, capture_output=True, timeout=120, cwd=REPO,
                          input=PASSPHRASE.encode() + b"\n")
    return proc.returncode


def stagings(project: Path) -> list[Path]:
    return [p for p in project.iterdir() if p.name.startswith(STAGING_PREFIX)]


def outside_staging(found: dict[str, tuple]) -> dict[str, tuple]:
    """A tree without the staging directories (a preview decrypts into its own)."""
    return {k: v for k, v in found.items() if not k.startswith(STAGING_PREFIX)}


@pytest.mark.parametrize("kill_after", [1, 2, 3, 5])  # 5 renames in all: .env.production is new
def test_a_restore_killed_between_renames_is_rolled_back_and_a_dry_run_deletes_nothing(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path, kill_after: int,
        cli_env: dict[str, str], secret_file: Path) -> None:
    project = Path(service.config.source)
    assert execute(service.create_plan(PASSPHRASE)).ok
    archive = next(p for p in service.destination.iterdir() if "-backup-" in p.name)
    (project / ".env").write_text("CHANGED=after the backup\n")
    (project / "config" / "new.toml").write_text("only on disk\n")
    (project / ".env.production").unlink()
    before = tree(project)

    assert restore_and_die(service, gpg_home, archive, kill_after) == 9
    [staging] = stagings(project)
    assert stat.S_IMODE(os.stat(staging / JOURNAL).st_mode) == 0o600
    half = tree(project)
    assert half != before  # really half-restored

    dry = cli(cli_env, "backup", "restore", str(archive), "--dry-run",
              "--passphrase-file", str(secret_file))
    assert dry.returncode == 0, dry.stderr
    assert b"was interrupted" in dry.stdout
    assert tree(project) == half and stagings(project) == [staging]  # a dry run deletes nothing

    preview = service.preview_restore(archive, PASSPHRASE)
    assert any("rolled back" in note for note in preview.notes)
    # the interrupted staging is gone; the only one left is the preview's own, fresh one
    assert outside_staging(tree(project)) == before
    assert stagings(project) == [preview.staged.path] != [staging]

    assert execute(service.restore_plan(preview, PASSPHRASE)).ok
    assert (project / ".env.production").exists() and not (project / "config/new.toml").exists()


def test_a_restore_killed_after_its_swap_is_finished(
        service: BackupService, gpg_home: GpgHome) -> None:
    project = Path(service.config.source)
    assert execute(service.create_plan(PASSPHRASE)).ok
    archive = next(p for p in service.destination.iterdir() if "-backup-" in p.name)
    restored = tree(project)
    (project / ".env").write_text("CHANGED=after the backup\n")
    assert restore_and_die(service, gpg_home, archive, "cleanup") == 9
    [staging] = stagings(project)
    assert (staging / "old" / ".env").read_text() == "CHANGED=after the backup\n"
    preview = service.preview_restore(archive, PASSPHRASE)
    assert any("finished" in note for note in preview.notes)
    assert stagings(project) == [preview.staged.path] != [staging]
    assert outside_staging(tree(project)) == restored
    preview.discard()
    assert stagings(project) == []
