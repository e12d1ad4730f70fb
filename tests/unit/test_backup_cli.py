"""`primetui backup …` as cron and scripts call it: passphrase sources, exit codes, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from primetui.sandbox.gpg import GpgHome

PASSPHRASE = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path, sample_project: Path, gpg_home: GpgHome) -> dict[str, str]:
    """A private config (the sample project → tmp/backups), state dir and gpg home."""
    config = tmp_path / "config.toml"
    config.write_text(f'[backups]\nsource = "{sample_project}"\n'
                      f'destination = "{tmp_path / "backups"}"\nkeep = 2\n')
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PRIMETUI_")}
    environment.update(PRIMETUI_CONFIG=str(config), XDG_STATE_HOME=str(tmp_path / "state"),
                       GNUPGHOME=str(gpg_home.path), PYTHONPATH=str(REPO))
    return environment


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    return path


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "primetui", "backup", *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=120, cwd=REPO)


def one_sentence(err: str) -> bool:
    return err.startswith("primetui: ") and err.count("\n") == 1 and "Traceback" not in err


def test_create_list_json_and_verify(env: dict[str, str], secret_file: Path) -> None:
    made = cli(env, "create", "--passphrase-file", str(secret_file))
    assert made.returncode == 0, made.stderr
    assert "gpg -c --cipher-algo AES256" in made.stdout and PASSPHRASE not in made.stdout
    listed = cli(env, "list", "--json")
    doc = json.loads(listed.stdout)
    [backup] = doc["backups"]
    assert backup["kind"] == "backup" and backup["verified_ok"] is True
    assert doc["status"]["level"] == "ok"
    verified = cli(env, "verify", backup["name"], "--passphrase-fd", "0", stdin=PASSPHRASE + "\n")
    assert verified.returncode == 0, verified.stderr
    assert "config/app.toml" in verified.stdout and "Verified" in verified.stdout
    text = cli(env, "list")
    assert backup["name"] in text.stdout and "was made today" in text.stdout


def test_a_passphrase_file_others_can_read_is_refused(env: dict[str, str],
                                                      secret_file: Path) -> None:
    secret_file.chmod(0o644)
    out = cli(env, "create", "--passphrase-file", str(secret_file))
    assert out.returncode == 2 and one_sentence(out.stderr) and "chmod 600" in out.stderr


def test_without_a_terminal_or_passphrase_source_nothing_is_asked(env: dict[str, str]) -> None:
    out = cli(env, "create")
    assert out.returncode == 2 and one_sentence(out.stderr)
    assert "--passphrase-file" in out.stderr


def test_a_passphrase_is_never_accepted_on_the_command_line(env: dict[str, str]) -> None:
    out = cli(env, "create", "--passphrase", PASSPHRASE)
    assert out.returncode == 2 and one_sentence(out.stderr)


def test_wrong_passphrase_is_exit_1_with_one_sentence(env: dict[str, str],
                                                      secret_file: Path) -> None:
    assert cli(env, "create", "--passphrase-file", str(secret_file)).returncode == 0
    name = json.loads(cli(env, "list", "--json").stdout)["backups"][0]["name"]
    out = cli(env, "verify", name, "--passphrase-fd", "0", stdin="wrong\n")
    assert out.returncode == 1 and one_sentence(out.stderr) and "does not decrypt" in out.stderr


def test_restore_refuses_without_a_terminal_unless_yes(
        env: dict[str, str], secret_file: Path, sample_project: Path) -> None:
    assert cli(env, "create", "--passphrase-file", str(secret_file)).returncode == 0
    name = json.loads(cli(env, "list", "--json").stdout)["backups"][0]["name"]
    (sample_project / ".env").write_text("EDITED=1\n")
    refused = cli(env, "restore", name, "--passphrase-file", str(secret_file))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert (sample_project / ".env").read_text() == "EDITED=1\n"
    done = cli(env, "restore", name, "--yes", "--passphrase-file", str(secret_file))
    assert done.returncode == 0, done.stderr
    assert "~ .env" in done.stdout and "Save the current files" in done.stdout
    assert "EDITED" not in (sample_project / ".env").read_text()
    again = cli(env, "restore", name, "--yes", "--passphrase-file", str(secret_file))
    assert again.returncode == 0 and "Nothing to restore" in again.stdout


def test_prune_needs_yes_and_names_each_file(env: dict[str, str], tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    for day in (1, 2, 3, 4):
        (backups / f"prime-backup-2024-03-0{day}.tar.gz.gpg").write_bytes(b"x")
    refused = cli(env, "prune")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = cli(env, "prune", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Delete prime-backup-2024-03-01.tar.gz.gpg" in done.stdout
    assert sorted(os.listdir(backups)) == ["prime-backup-2024-03-03.tar.gz.gpg",
                                           "prime-backup-2024-03-04.tar.gz.gpg"]


def test_hygiene_json_reports_problems_with_exit_1(env: dict[str, str]) -> None:
    out = cli(env, "hygiene", "--json")
    doc = json.loads(out.stdout)
    assert out.returncode == 1 and doc["ok"] is False
    assert doc["problems"] == [".env has mode 0644; it should be 0600 (owner only)."]


def _on_a_terminal(env: dict[str, str], args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its terminal, answering each prompt in turn.

    An answer is typed only once its prompt is shown: getpass flushes input typed earlier.
    """
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "primetui", "backup", *args], env=env,
                            stdin=slave, stdout=slave, stderr=slave, cwd=REPO,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if pending and seen.count(b"assphrase") > len(answers) - len(pending):
                os.write(master, pending.pop(0).encode() + b"\n")
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the terminal's last user closed it
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
    finally:
        code = proc.wait(timeout=120)
        os.close(master)
    return code, seen.decode(errors="replace")


def test_create_asks_twice_on_a_terminal_and_refuses_a_mismatch(env: dict[str, str]) -> None:
    code, text = _on_a_terminal(env, ["create"], [PASSPHRASE, "something else"])
    assert code == 2 and "differ" in text
    code, text = _on_a_terminal(env, ["create"], [PASSPHRASE, PASSPHRASE])
    assert code == 0, text
    assert "Passphrase strength: Strong." in text and PASSPHRASE not in text


def test_create_dry_run_prints_the_runbook_commands_without_asking(
        env: dict[str, str], tmp_path: Path) -> None:
    out = cli(env, "create", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "tar czf - .env .env.* config/" in out.stdout and "gpg -d" in out.stdout
    assert not (tmp_path / "backups").exists()
