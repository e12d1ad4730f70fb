"""The shell hand-off's `ssh` command against the real sshd: exactly what runs, strictly."""

from __future__ import annotations

import subprocess
from pathlib import Path

from primetui.config import ServerSettings
from primetui.remote.ssh_command import ssh_argv
from primetui.remote.ssh_config import ResolvedHost, resolve_server
from tests.fixtures.common import require_binary


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ssh without a terminal (stdin closed), as a test can."""
    require_binary("ssh")
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, check=False)


def test_shell_command_is_strict_and_carries_port_user_and_key(ssh_server_settings):
    s = ssh_server_settings
    argv = ssh_argv(resolve_server("prod", s))
    assert argv == [
        "ssh",
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={s.known_hosts}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "UpdateHostKeys=no",
        "-o", "ConnectTimeout=5",
        "-o", "ServerAliveInterval=30",
        "-i", str(s.key),
        "-p", str(s.port), "-l", s.user, "-t", "--", s.host,
    ]


def test_the_command_connects_to_the_real_sshd(ssh_server_settings):
    argv = ssh_argv(resolve_server("prod", ssh_server_settings), "echo handoff-$((40+2))")
    assert "-t" not in argv and argv[-2:] == [ssh_server_settings.host, "echo handoff-$((40+2))"]
    done = run(argv)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "handoff-42"


def test_an_unknown_host_key_is_refused_not_learned(ssh_server_settings, tmp_path: Path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    server = ServerSettings(**{**_plain(ssh_server_settings), "known_hosts": empty})
    done = run(ssh_argv(resolve_server("prod", server), "echo should-not-run"))
    assert done.returncode == 255
    assert "Host key verification failed" in done.stderr
    assert "should-not-run" not in done.stdout
    assert empty.read_text() == ""  # nothing was added to primetui's known_hosts


def test_bastions_are_crossed_with_the_same_strict_options(tmp_path: Path):
    known = tmp_path / "known_hosts"
    jump1 = ResolvedHost("b1", "10.0.0.1", "ops", 2201, known_hosts=(known,))
    jump2 = ResolvedHost("b2", "10.0.0.2", "ops", 2202, known_hosts=(known,))
    host = ResolvedHost("prod", "10.0.0.9", "ubuntu", 22, known_hosts=(known,),
                        identity_files=(tmp_path / "id",), jumps=(jump1, jump2))
    argv = ssh_argv(host, "true")
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert proxy.count("StrictHostKeyChecking=yes") == 2
    assert "-W %h:%p -- 10.0.0.2" in proxy  # the last bastion forwards to the target
    assert "-W %%h:%%p -- 10.0.0.1" in proxy  # the first, one ProxyCommand deeper
    assert argv[-4:] == ["ubuntu", "--", "10.0.0.9", "true"]


def test_the_jump_command_reaches_the_real_sshd_through_itself(ssh_server_settings):
    """A bastion that is the test sshd itself: the ProxyCommand really runs and connects."""
    target = resolve_server("prod", ssh_server_settings)
    host = ResolvedHost(target.alias, target.hostname, target.user, target.port,
                        identity_files=target.identity_files, known_hosts=target.known_hosts,
                        connect_timeout=5, jumps=(target,))
    done = run(ssh_argv(host, "echo through-the-bastion"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "through-the-bastion"


def _plain(server: ServerSettings) -> dict:
    from dataclasses import fields

    return {f.name: getattr(server, f.name) for f in fields(server)}
