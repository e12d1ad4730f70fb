"""Hand-offs: `S` ssh on the selected server, `L` its logs, `E` $EDITOR on the config, `V` $PAGER.

A headless Pilot has no terminal to hand over, so the app's `terminal_program` is replaced:
`RecordingTerminal` (a fake: it notes what would run) for ssh, and `HeadlessTerminal`, which
runs the real program (the fake editor and pager scripts below) without suspending.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
from pathlib import Path

from primetui.config import CertificateSettings, save_settings
from primetui.remote.ssh_command import ssh_argv
from primetui.remote.ssh_config import resolve_server
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.screens.server_logs import ServerLogsScreen
from tests.fixtures.common import require_binary
from tests.fixtures.shell import SIZE, lab_app, lab_settings, notifications, settle, write_audit


class RecordingTerminal:
    """A fake terminal: records each program it is asked to run and says it exited 0."""

    def __init__(self) -> None:
        self.runs: list[tuple[list[str], str | None]] = []

    def __call__(self, argv: list[str], *, input_text: str | None = None) -> int | None:
        self.runs.append((argv, input_text))
        return 0


class HeadlessTerminal:
    """Runs the program for real, without suspending (there is no terminal in a Pilot test)."""

    def __call__(self, argv: list[str], *, input_text: str | None = None) -> int | None:
        return subprocess.run(argv, input=input_text, text=True, timeout=60, check=False,
                              stdin=None if input_text is not None else subprocess.DEVNULL
                              ).returncode


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def server_app(aws_settings, tmp_path, server):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path),
                                   servers={"prod": server},
                                   certificates=CertificateSettings(domains=[], server="prod"))
    return lab_app(settings, tmp_path), settings


# -- ssh ---------------------------------------------------------------------------------------

async def test_shell_key_runs_strict_ssh_to_the_certificates_server(aws_settings, tmp_path,
                                                                    ssh_server_settings):
    app, settings = server_app(aws_settings, tmp_path, ssh_server_settings)
    terminal = app.terminal_program = RecordingTerminal()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
    assert len(terminal.runs) == 1
    argv, _ = terminal.runs[0]
    s = ssh_server_settings
    assert argv == ssh_argv(resolve_server("prod", s))
    assert ["-o", "StrictHostKeyChecking=yes"] == argv[1:3]
    assert f"UserKnownHostsFile={s.known_hosts}" in argv
    assert argv[argv.index("-p") + 1] == str(s.port) and argv[argv.index("-l") + 1] == s.user
    assert argv[argv.index("-i") + 1] == str(s.key)
    # The very command, with a command instead of a login shell, reaches the real sshd.
    require_binary("ssh")
    done = subprocess.run([*argv, "echo", "shell-ok"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "shell-ok"


async def test_shell_key_without_a_server_to_pick_says_so(aws_settings, tmp_path,
                                                         ssh_server_settings):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path),
                                   servers={"a": ssh_server_settings, "b": ssh_server_settings})
    app = lab_app(settings, tmp_path)
    terminal = app.terminal_program = RecordingTerminal()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        assert terminal.runs == []
        assert any(n.startswith("Select a server first") for n in notifications(app))


# -- logs --------------------------------------------------------------------------------------

async def test_logs_key_shows_the_tail_of_nginx_and_certbot_logs_over_ssh(
        aws_settings, tmp_path, ssh_server_settings):
    root = tmp_path / "srv"
    (root / "nginx" / "logs").mkdir(parents=True)
    (root / "nginx" / "logs" / "error.log").write_text(
        "".join(f"error line {i}\n" for i in range(100)))
    (root / "nginx" / "logs" / "access.log").write_text('127.0.0.1 "GET / HTTP/1.1" 200\n')
    server = dataclasses.replace(ssh_server_settings, paths={"root": str(root)})
    app, _ = server_app(aws_settings, tmp_path, server)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("L")
        await settle(app, pilot)
        assert isinstance(app.screen, ServerLogsScreen)
        lines = [strip.text for strip in app.screen.query_one("#server-logs-output").lines]
        status = str(app.screen.query_one("#server-logs-status").content)
    text = "\n".join(lines)
    assert "error line 99" in text and "error line 40" in text
    assert "error line 39" not in text  # the last 60 lines only
    assert '"GET / HTTP/1.1" 200' in text
    assert f"certbot: {root}/le/logs/letsencrypt.log" in text
    assert "(not read: tail: cannot open" in text
    assert status.startswith("2 of 3 logs read on prod")


# -- the editor --------------------------------------------------------------------------------

GOOD = '[keymap]\\n"tabs.audit" = "A"\\n'


def editor_app(aws_settings, tmp_path, monkeypatch, body: str):
    settings = lab_settings(aws_settings, tmp_path)
    save_settings(settings, settings.path)
    editor = script(tmp_path / "fake_editor", body)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    app = lab_app(settings, tmp_path)
    app.terminal_program = HeadlessTerminal()
    return app, settings.path


async def test_a_good_edit_is_read_again_by_the_app(aws_settings, tmp_path, monkeypatch):
    app, path = editor_app(aws_settings, tmp_path, monkeypatch,
                           f'printf \'{GOOD}\' >> "$1"\n')
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("E")
        await settle(app, pilot)
        assert app.settings.keymap == {"tabs.audit": "A"}
        assert f"Read {path} again." in notifications(app)
        await pilot.press("A")
        await settle(app, pilot)
        assert app.shell.active_tab == "audit"


async def test_a_broken_edit_offers_to_edit_again_then_keeps_the_good_one(
        aws_settings, tmp_path, monkeypatch):
    """First run writes a broken value; `y` edits again; the second run mends it and adds a key."""
    body = (f'if [ -e "$1.once" ]; then sed -i \'s/^read_only = "yes"/read_only = false/\' '
            f'"$1"; printf \'{GOOD}\' >> "$1"; '
            f'else touch "$1.once"; sed -i \'s/^read_only = false/read_only = "yes"/\' "$1"; fi\n')
    app, path = editor_app(aws_settings, tmp_path, monkeypatch, body)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("E")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "read_only: expected true or false" in app.screen.question
        assert app.settings.keymap == {}  # nothing applied yet
        await pilot.press("y")
        await settle(app, pilot)
        assert app.settings.keymap == {"tabs.audit": "A"}
    assert not path.with_name(path.name + ".rejected").exists()


async def test_a_broken_edit_can_be_put_back_and_the_edit_is_kept_aside(
        aws_settings, tmp_path, monkeypatch):
    app, path = editor_app(aws_settings, tmp_path, monkeypatch,
                           'sed -i \'s/^theme = /them = /\' "$1"\n')
    before = path.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("E")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "unknown key 'ui.them' (did you mean 'theme'?)" in app.screen.question
        await pilot.press("n")
        await settle(app, pilot)
        said = notifications(app)
    rejected = path.with_name(path.name + ".rejected")
    assert path.read_text() == before
    assert 'them = "prime-dark"' in rejected.read_text()
    assert stat.S_IMODE(os.stat(rejected).st_mode) == 0o600
    assert f"The config is as it was; your edit is kept in {rejected}." in said


# -- the pager ---------------------------------------------------------------------------------

async def test_pager_shows_the_selected_audit_entry(aws_settings, tmp_path, monkeypatch):
    out = tmp_path / "paged.txt"
    pager = script(tmp_path / "fake_pager", f'cat > "{out}"\n')
    monkeypatch.setenv("PAGER", str(pager))
    write_audit(tmp_path / "state" / "audit.jsonl", 3)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    app.terminal_program = HeadlessTerminal()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        await pilot.press("V")
        await settle(app, pilot)
    paged = out.read_text()
    assert "Who       ada@lab-ws1" in paged
    assert "Target    i-0abc0002" in paged  # the newest entry is the one selected
    assert "Commands\n$ (none recorded)" in paged or "(none recorded)" in paged


async def test_pager_elsewhere_shows_the_report(aws_settings, tmp_path, monkeypatch):
    out = tmp_path / "paged.txt"
    pager = script(tmp_path / "fake_pager", f'cat > "{out}"\n')
    monkeypatch.setenv("PAGER", str(pager))
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    app.terminal_program = HeadlessTerminal()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("V")
        await settle(app, pilot)
    paged = out.read_text()
    assert paged.startswith("# ") and "7 days" in paged


async def test_ssh_by_name_on_the_command_line_and_in_the_palette(aws_settings, tmp_path,
                                                                 ssh_server_settings):
    from primetui.ui.palette import palette_commands
    from tests.fixtures.command_line import type_command

    app, _ = server_app(aws_settings, tmp_path, ssh_server_settings)
    terminal = app.terminal_program = RecordingTerminal()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = {c.name for c in palette_commands(app)}
        assert {"Open an SSH shell on the server", "Show the server's nginx and certbot logs",
                "Edit the config in $EDITOR", "Open in $PAGER"} <= names
        await pilot.press("4")
        await settle(app, pilot)
        await type_command(pilot, "ssh")
        await pilot.press("enter")
        await settle(app, pilot)
    assert [argv[-1] for argv, _ in terminal.runs] == [ssh_server_settings.host]
