"""Faults around the edges: SIGTERM, a full state directory, concurrent verifies, deep trees,
odd names and a linked .env. Nothing lost, nothing left behind, no secret exposed."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from primetui.backups.archive import HostileArchiveError
from primetui.backups.catalog import VerificationLog
from primetui.backups.common import BackupError, remove_tree
from primetui.backups.restore import STAGING_PREFIX
from primetui.backups.service import BackupService
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from tests.hostile.backup_helpers import (
    PASSPHRASE,
    REPO,
    cli,
    dir_info,
    encrypt_by_hand,
    one_sentence,
    tar_gz,
    tree,
)

MiB = 1024 * 1024


def leftovers(*dirs: Path) -> list[str]:
    """Temporary or staged files primetui may have left in these directories."""
    return [p.name for d in dirs if d.exists() for p in d.iterdir()
            if ".tmp-" in p.name or p.name.startswith(STAGING_PREFIX)]


def terminate_when(env: dict[str, str], args: list[str],
                   ready: callable) -> subprocess.CompletedProcess[bytes]:
    """Start `primetui ARGS`, SIGTERM it as soon as `ready()` is true, and wait for it."""
    proc = subprocess.Popen([sys.executable, "-m", "primetui", *args], env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "finished before it could be terminated: use a bigger input"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def big_project(sample_project: Path) -> Path:
    """The sample project with 24 MB of random data in config/ (slow enough to interrupt)."""
    with open(sample_project / "config" / "big.bin", "wb") as out:
        for _ in range(24):
            out.write(os.urandom(MiB))
    return sample_project


def test_sigterm_during_create_removes_the_temporary_file(
        cli_env: dict[str, str], big_project: Path, tmp_path: Path, secret_file: Path) -> None:
    backups = tmp_path / "backups"
    proc = terminate_when(cli_env, ["backup", "create", "--passphrase-file", str(secret_file)],
                          lambda: bool(leftovers(backups)))
    assert proc.returncode == 143, proc.stderr
    assert leftovers(backups) == [] and not any(backups.iterdir())
    audit = Path(cli_env["XDG_STATE_HOME"]) / "primetui" / "audit.jsonl"
    last = json.loads(audit.read_text().splitlines()[-1])
    assert last["outcome"] == "cancelled" and "Interrupted (SIGTERM)" in last["error"]


def test_sigterm_during_restore_removes_the_staged_plaintext(
        cli_env: dict[str, str], big_project: Path, tmp_path: Path, secret_file: Path) -> None:
    made = cli(cli_env, "backup", "create", "--passphrase-file", str(secret_file))
    assert made.returncode == 0, made.stderr
    archive = next((tmp_path / "backups").iterdir())
    (big_project / ".env").write_text("CHANGED=1\n")
    before = tree(big_project)

    def staging_has_plaintext() -> bool:
        return any(p.name.startswith(STAGING_PREFIX) and any((p / "new").iterdir())
                   for p in big_project.iterdir() if (p / "new").is_dir())

    proc = terminate_when(cli_env, ["backup", "restore", str(archive), "--yes",
                                    "--passphrase-file", str(secret_file)],
                          staging_has_plaintext)
    assert proc.returncode == 143, proc.stderr
    assert leftovers(big_project, tmp_path / "backups") == []
    assert tree(big_project) == before


def test_a_full_state_directory_after_a_good_backup_is_a_note_not_a_failure(
        service: BackupService, monkeypatch: pytest.MonkeyPatch) -> None:
    state = service.verifications.path.parent
    real_open = os.open

    def full(path: object, flags: int, *args: object) -> int:
        if str(path).startswith(str(state)) and ".tmp-" in str(path):
            fd = real_open(path, flags, *args)  # created, then the disk is full on write
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", full)
    lines: list[str] = []
    from primetui.plans.plan import StepState

    result = execute(service.create_plan(PASSPHRASE),
                     lambda e: lines.append(e.text) if e.kind == "output" else None)
    assert result.ok, result.error
    assert all(s == StepState.DONE for s in result.states)
    assert any("could not be updated" in line and "space" in line for line in lines)
    assert [p.name for p in state.iterdir() if ".tmp-" in p.name] == []
    assert len(list(service.destination.iterdir())) == 1


def test_concurrent_verifies_keep_every_record(tmp_path: Path) -> None:
    files = []
    for i in range(12):
        f = tmp_path / f"b{i}.tar.gz.gpg"
        f.write_bytes(b"x" * i)
        files.append(f)
    # Separate processes, as two cron jobs or a cron job and the TUI would be.
    code = ("import sys; from pathlib import Path; "
            "from primetui.backups.catalog import VerificationLog; "
            "log = VerificationLog(Path(sys.argv[1])); "
            "[log.record(Path(f), True, 1, 1.0) for f in sys.argv[2:]]")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    state = tmp_path / "state" / "verified.json"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(state), str(f)], env=env)
             for f in files]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(files)
    log = VerificationLog(state)
    assert all(log.lookup(f) is not None for f in files)
    assert [p.name for p in state.parent.iterdir() if ".tmp-" in p.name] == []


def test_concurrent_records_in_threads_are_not_lost(tmp_path: Path) -> None:
    log = VerificationLog(tmp_path / "state" / "verified.json")
    files = [tmp_path / f"f{i}" for i in range(20)]
    for f in files:
        f.write_bytes(b"x")
    threads = [threading.Thread(target=log.record, args=(f, True, 1, 1.0)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(log.lookup(f) is not None for f in files)


def deep_tree(root: Path, depth: int) -> Path:
    """root/d/d/d/…/secret.txt, `depth` directories deep (made without recursion)."""
    path = str(root)
    os.makedirs(path, exist_ok=True)
    for _ in range(depth):
        path += "/d"
        os.mkdir(path)  # pathlib's mkdir(parents=True) would itself recurse per level
    with open(path + "/secret.txt", "w") as out:
        out.write("deep\n")
    return Path(path)


def test_a_tree_deeper_than_the_recursion_limit_is_refused_with_one_sentence(
        service: BackupService) -> None:
    project = Path(service.config.source)
    deep_tree(project / "config", sys.getrecursionlimit() + 200)
    try:
        result = execute(service.create_plan(PASSPHRASE))
        assert not result.ok and "nested deeper than 256 directories" in (result.error or "")
        assert not service.destination.exists() or list(service.destination.iterdir()) == []
    finally:
        remove_tree(project / "config")  # pytest's own clean-up of old tmp dirs would recurse


def test_a_deep_hostile_archive_is_refused_before_anything_is_staged(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path) -> None:
    depth = sys.getrecursionlimit() + 200
    names = ["config" + "/d" * i for i in range(depth)]
    archive = encrypt_by_hand(gpg_home, tar_gz([(dir_info(n), b"") for n in names]),
                              tmp_path / "deep.tar.gz.gpg")
    project = Path(service.config.source)
    before = tree(project)
    started = time.monotonic()
    with pytest.raises(HostileArchiveError, match="nested deeper than 256"):
        service.preview_restore(archive, PASSPHRASE)
    assert time.monotonic() - started < 20
    assert tree(project) == before and leftovers(project) == []


def test_a_deep_tree_is_restored_and_a_failed_restore_leaves_no_plaintext(
        service: BackupService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Path(service.config.source)
    deep_tree(project / "config", 200)
    assert execute(service.create_plan(PASSPHRASE)).ok
    archive = next(service.destination.iterdir())
    target = tmp_path / "restored"
    preview = service.preview_restore(archive, PASSPHRASE, target)
    assert execute(service.restore_plan(preview, PASSPHRASE)).ok
    with open(f"{target}/config{'/d' * 200}/secret.txt") as restored:
        assert restored.read() == "deep\n"
    assert leftovers(target) == []

    again = tmp_path / "again"
    again.mkdir()
    preview = service.preview_restore(archive, PASSPHRASE, again)
    import primetui.backups.restore as restore_module

    def broken_swap(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(restore_module, "_swap", broken_swap)
    result = execute(service.restore_plan(preview, PASSPHRASE))
    assert not result.ok and "input/output error" in (result.error or "")
    assert list(again.iterdir()) == []


def test_a_non_utf8_file_name_is_refused_with_one_sentence(
        cli_env: dict[str, str], sample_project: Path, tmp_path: Path, secret_file: Path) -> None:
    (sample_project / "config" / os.fsdecode(b"caf\xe9.toml")).write_text("x\n")
    out = cli(cli_env, "backup", "create", "--passphrase-file", str(secret_file))
    assert out.returncode == 1 and b"Traceback" not in out.stdout + out.stderr
    [failed] = [line for line in out.stderr.splitlines() if b" failed: " in line]  # stderr
    assert b"not UTF-8" in failed and b"caf\\xe9.toml" in failed
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


def test_a_non_utf8_passphrase_file_is_one_sentence(
        cli_env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "latin1-passphrase"
    secret.write_bytes(b"p\xe4ssw\xf6rd and more\n")
    secret.chmod(0o600)
    out = cli(cli_env, "backup", "create", "--passphrase-file", str(secret))
    assert out.returncode == 2 and one_sentence(out.stderr), out.stderr
    assert b"not UTF-8" in out.stderr and b"p\xe4ssw" not in out.stderr
    fd_out = cli(cli_env, "backup", "verify", "x", "--passphrase-fd", "0",
                 stdin=b"\xff\xfe\n")
    assert fd_out.returncode == 2 and one_sentence(fd_out.stderr), fd_out.stderr


def test_hygiene_judges_a_symlinked_env_by_the_file_it_points_to(sample_project: Path,
                                                                 tmp_path: Path) -> None:
    from primetui.backups.hygiene import check_hygiene, hygiene_plan

    real = tmp_path / "shared.env"
    real.write_text("SECRET=1\n")
    real.chmod(0o644)
    (sample_project / ".env").unlink()
    (sample_project / ".env").symlink_to(real)
    report = check_hygiene(sample_project)
    assert any(".env (a link to" in p and "0644" in p for p in report.problems())
    assert execute(hygiene_plan(report)).ok
    assert real.stat().st_mode & 0o777 == 0o600
    assert (sample_project / ".env").is_symlink()


def test_config_refuses_a_name_with_a_slash_and_an_unknown_home(cli_env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    config = Path(cli_env["PRIMETUI_CONFIG"])
    base = config.read_text()
    for extra, key in (('name = "../../etc/x"\n', b"backups.name"),
                       ('name = "a/b"\n', b"backups.name"),
                       ('max_archive_members = 0\n', b"backups.max_archive_members")):
        config.write_text(base + extra)
        out = cli(cli_env, "config", "check")
        assert out.returncode == 2 and one_sentence(out.stderr) and key in out.stderr, out.stderr
    config.write_text(base.replace(f'destination = "{tmp_path / "backups"}"',
                                   'destination = "~nosuchuser/x"'))
    out = cli(cli_env, "config", "check")
    assert out.returncode == 2 and one_sentence(out.stderr) and b"~nosuchuser" in out.stderr
    assert not list(tmp_path.glob("**/etc/x*"))


def test_an_overlong_deep_path_is_one_sentence(service: BackupService) -> None:
    project = Path(service.config.source)
    with pytest.raises(BackupError):
        # os.lstat on a name past PATH_MAX: the walk reports it instead of crashing.
        from primetui.backups.tar import collect_local

        (project / "config" / "x").mkdir()
        collect_local(project, ["config/" + "y/" * 2100])
