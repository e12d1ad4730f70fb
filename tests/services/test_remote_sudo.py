"""sudo with a password over the real sshd: asked once, kept in memory, never leaked."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.config import ServerSettings
from primetui.errors import SudoPasswordNeeded
from primetui.remote.runners import SshRunner
from tests.fixtures.sshd import FakePrompter

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def sudo_user(sshd) -> Iterator[tuple[str, str]]:
    """A throwaway user whose sudo rule requires its password (root and useradd needed)."""
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("sudo") is None:
        pytest.skip("needs root, useradd and sudo to make a user with a sudo password")
    name = "ptui" + secrets.token_hex(4)
    password = "pw-" + secrets.token_urlsafe(12)
    rule = Path(f"/etc/sudoers.d/primetui-test-{name}")
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    try:
        # chpasswd reads "user:password" from stdin: the password never reaches argv.
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        rule.write_text(f"Defaults:{name} !lecture\n{name} ALL=(ALL) ALL\n")
        rule.chmod(0o440)
        subprocess.run(["visudo", "-cqf", str(rule)], check=True)
        sshd.authorize(name)
        yield name, password
    finally:
        rule.unlink(missing_ok=True)
        (sshd.workdir / f"authorized_keys.{name}").unlink(missing_ok=True)
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


@pytest.fixture
def user_settings(ssh_server_settings: ServerSettings, sudo_user) -> ServerSettings:
    return dataclasses.replace(ssh_server_settings, user=sudo_user[0])


def test_sudo_asks_for_the_password_once_and_runs_as_root(user_settings, sudo_user) -> None:
    name, password = sudo_user
    prompter = FakePrompter(password=password)
    with SshRunner("sandbox", user_settings, prompter) as runner:
        assert runner.run("id -un").stdout == f"{name}\n"
        lines: list[str] = []
        result = runner.run("id -u; echo done >&2", sudo=True, on_line=lines.append)
        assert result.stdout == "0\n"
        assert result.stderr == "done\n"  # sudo's prompt is not part of the output
        assert sorted(lines) == ["0", "done"]
        assert runner.run("whoami", sudo=True).stdout == "root\n"
        assert prompter.password_hosts == [runner.host]


def test_sudo_password_is_forgotten_on_close(user_settings, sudo_user) -> None:
    prompter = FakePrompter(password=sudo_user[1])
    runner = SshRunner("sandbox", user_settings, prompter)
    runner.run("true", sudo=True)
    runner.close()
    assert runner.run("whoami", sudo=True).stdout == "root\n"
    runner.close()
    assert len(prompter.password_hosts) == 2


def test_wrong_sudo_password_is_refused_without_leaking_it(user_settings, sudo_user) -> None:
    wrong = "wrong-" + secrets.token_urlsafe(12)
    runner = SshRunner("sandbox", user_settings, FakePrompter(password=wrong))
    try:
        with pytest.raises(SudoPasswordNeeded) as caught:
            runner.run("id -u", sudo=True)
    finally:
        runner.close()
    assert str(caught.value) == f"sudo on {runner.host} refused the password."
    told = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert wrong not in told
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert wrong not in repr(caught.value.__context__)


def test_sudo_without_a_prompter_says_a_password_is_needed(user_settings) -> None:
    with SshRunner("sandbox", user_settings) as runner:
        with pytest.raises(SudoPasswordNeeded) as caught:
            runner.run("id -u", sudo=True)
    assert str(caught.value) == (f"sudo on {runner.host} needs a password and none "
                                 "was given.")


def test_sudo_password_with_a_line_break_is_refused(user_settings, sudo_user) -> None:
    prompter = FakePrompter(password=sudo_user[1] + "\nid")
    with SshRunner("sandbox", user_settings, prompter) as runner:
        with pytest.raises(SudoPasswordNeeded, match="cannot contain line breaks"):
            runner.run("id -u", sudo=True)
