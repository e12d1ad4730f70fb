"""SshRunner against the real sshd on loopback: commands, files, host keys, sudo, failures."""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from paramiko.ssh_exception import NoValidConnectionsError

from primetui.config import ServerSettings
from primetui.errors import (
    HostKeyChangedError,
    HostKeyUnknownError,
    RemoteError,
)
from primetui.remote.runners import SshRunner, accept_host_key
from primetui.remote.ssh_config import ResolvedHost
from primetui.remote.streams import hop_error
from primetui.sandbox.tools import free_port
from tests.fixtures.sshd import FakePrompter, MustNotAsk

pytestmark = pytest.mark.services


@pytest.fixture
def runner(ssh_server_settings: ServerSettings):
    with SshRunner("sandbox", ssh_server_settings, MustNotAsk()) as r:
        yield r


def openssh_fingerprint(pub: Path) -> str:
    """The fingerprint as OpenSSH itself prints it (`ssh-keygen -lf`)."""
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True,
                         check=True).stdout
    return out.split()[1]


def test_run_streams_lines_in_order_and_returns_output(runner: SshRunner) -> None:
    lines: list[str] = []
    result = runner.run("for i in 1 2 3 4 5; do echo line$i; done; printf 'no newline'",
                        on_line=lines.append)
    assert result.ok and result.exit_code == 0
    assert lines == ["line1", "line2", "line3", "line4", "line5", "no newline"]
    assert result.stdout == "line1\nline2\nline3\nline4\nline5\nno newline"
    assert result.duration > 0


def test_run_delivers_stderr_lines_too(runner: SshRunner) -> None:
    lines: list[str] = []
    result = runner.run("echo to-err >&2", on_line=lines.append)
    assert lines == ["to-err"]
    assert result.stderr == "to-err\n"


def test_nonzero_exit_with_warn_returns_the_result(runner: SshRunner) -> None:
    result = runner.run("echo partial; exit 3", warn=True)
    assert result.exit_code == 3
    assert not result.ok
    assert result.stdout == "partial\n"


def test_nonzero_exit_without_warn_is_one_sentence_with_the_last_stderr_line(
        runner: SshRunner, sshd) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("echo first >&2; ls /no/such/dir")
    message = str(caught.value)
    assert message.startswith(f"`echo first >&2; ls /no/such/dir` failed on 127.0.0.1:{sshd.port}"
                              " (exit 2): ")
    assert message.endswith("No such file or directory")
    assert "\n" not in message


def test_non_utf8_output_is_decoded_with_replacement(runner: SshRunner) -> None:
    lines: list[str] = []
    result = runner.run(r"printf '\377\376ok\n'", on_line=lines.append)
    assert result.stdout == "\ufffd\ufffdok\n"
    assert lines == ["\ufffd\ufffdok"]


def test_multibyte_character_split_between_reads_survives(runner: SshRunner) -> None:
    # 999 ASCII bytes then a 2-byte character: the first 1000-byte read ends inside it.
    result = runner.run("python3 -c \"import sys; sys.stdout.buffer.write(b'a' * 999 + "
                        "'\\u00e9'.encode() + b'\\n')\"")
    assert result.stdout == "a" * 999 + "\u00e9\n"


def test_put_and_get_round_trip_bytes_and_paths(runner: SshRunner, tmp_path: Path) -> None:
    remote_dir = runner.run("mktemp -d").stdout.strip()
    try:
        runner.put(io.BytesIO(b"\x00secret bytes\xff"), f"{remote_dir}/blob")
        back = io.BytesIO()
        runner.get(f"{remote_dir}/blob", back)
        assert back.getvalue() == b"\x00secret bytes\xff"

        local = tmp_path / "config.toml"
        local.write_bytes(b"[aws]\nregion = 'us-east-2'\n")
        runner.put(local, f"{remote_dir}/config.toml")
        assert runner.run(f"cat {remote_dir}/config.toml").stdout == local.read_text()
        copy = tmp_path / "copy.toml"
        runner.get(f"{remote_dir}/config.toml", copy)
        assert copy.read_bytes() == local.read_bytes()
    finally:
        runner.run(f"rm -rf {remote_dir}")


def test_get_of_a_missing_file_is_one_sentence(runner: SshRunner, sshd) -> None:
    with pytest.raises(RemoteError, match=rf"^Cannot copy 127.0.0.1:{sshd.port}:/no/such/file "
                                          r"to the data: .*\.$"):
        runner.get("/no/such/file", io.BytesIO())


def test_command_timeout_is_one_sentence(runner: SshRunner, sshd) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("sleep 2", timeout=0.5)
    assert str(caught.value) == f"`sleep 2` on 127.0.0.1:{sshd.port} did not finish within 0.5 s."
    assert runner.run("echo still usable").stdout == "still usable\n"


def test_dropped_connection_is_one_sentence_and_the_next_call_reconnects(
        runner: SshRunner, sshd) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("kill -9 $PPID")  # the command's parent is its sshd session process
    assert str(caught.value) == (f"The connection to 127.0.0.1:{sshd.port} dropped while "
                                 "running `kill -9 $PPID`.")
    assert runner.run("echo again").stdout == "again\n"


def test_unknown_host_is_refused_without_a_prompter(ssh_server_settings, sshd,
                                                    tmp_path: Path) -> None:
    settings = dataclasses.replace(ssh_server_settings, known_hosts=tmp_path / "known_hosts")
    with pytest.raises(HostKeyUnknownError) as caught:
        SshRunner("sandbox", settings).run("true")
    err = caught.value
    expected = openssh_fingerprint(sshd.host_key_pub)
    assert (err.host, err.port, err.key_type) == ("127.0.0.1", sshd.port, "ssh-ed25519")
    assert err.fingerprint == expected
    assert err.key_base64 == sshd.host_key_pub.read_text().split()[1]
    line = f"[127.0.0.1]:{sshd.port} ssh-ed25519 {err.key_base64}"
    assert str(err) == (f"The host key of 127.0.0.1:{sshd.port} is not known "
                        f"(ssh-ed25519 {expected}); if the server's administrator confirms "
                        f"that fingerprint, trust it with: echo '{line}' >> "
                        f"{tmp_path / 'known_hosts'}.")
    assert not (tmp_path / "known_hosts").exists()


def test_unknown_host_is_refused_when_the_person_says_no(ssh_server_settings, sshd,
                                                         tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    other_key = " ".join(Path(f"{sshd.client_key}.pub").read_text().split()[:2])
    known_hosts.write_text(f"other.example {other_key}\n")
    before = known_hosts.read_bytes()
    prompter = FakePrompter(accept=False)
    settings = dataclasses.replace(ssh_server_settings, known_hosts=known_hosts)
    with pytest.raises(HostKeyUnknownError):
        SshRunner("sandbox", settings, prompter).run("true")
    assert len(prompter.host_keys) == 1
    assert known_hosts.read_bytes() == before


def test_accepted_host_key_is_saved_and_not_asked_again(ssh_server_settings, sshd,
                                                        tmp_path: Path) -> None:
    known_hosts = tmp_path / "ssh" / "known_hosts"
    settings = dataclasses.replace(ssh_server_settings, known_hosts=known_hosts)
    prompter = FakePrompter(accept=True)
    with SshRunner("sandbox", settings, prompter) as first:
        assert first.run("echo hello").stdout == "hello\n"
    assert len(prompter.host_keys) == 1
    key = " ".join(sshd.host_key_pub.read_text().split()[:2])
    assert known_hosts.read_text() == f"[127.0.0.1]:{sshd.port} {key}\n"
    assert known_hosts.stat().st_mode & 0o777 == 0o600
    assert known_hosts.parent.stat().st_mode & 0o777 == 0o700
    with SshRunner("sandbox", settings, MustNotAsk()) as second:
        assert second.run("echo again").stdout == "again\n"


def test_accept_host_key_appends_after_a_last_line_without_newline(tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("a.example ssh-ed25519 AAAA")
    accept_host_key(known_hosts, "b.example", 22, "ssh-ed25519", "BBBB")
    assert known_hosts.read_text() == ("a.example ssh-ed25519 AAAA\n"
                                       "b.example ssh-ed25519 BBBB\n")


def test_changed_host_key_is_refused(ssh_server_settings, sshd, tmp_path: Path) -> None:
    impostor = Path(str(sshd.client_key) + ".pub").read_text().split()[1]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {impostor}\n")
    settings = dataclasses.replace(ssh_server_settings, known_hosts=known_hosts)
    with pytest.raises(HostKeyChangedError) as caught:
        SshRunner("sandbox", settings, FakePrompter(accept=True)).run("true")
    message = str(caught.value)
    assert "host key of 127.0.0.1" in message and "CHANGED" in message
    assert "refused" in message and f"remove the old line from {known_hosts}" in message
    assert openssh_fingerprint(sshd.host_key_pub) in message


def test_connection_refused_is_one_sentence(ssh_server_settings) -> None:
    port = free_port()
    settings = dataclasses.replace(ssh_server_settings, port=port)
    with pytest.raises(RemoteError) as caught:
        SshRunner("sandbox", settings).run("true")
    assert str(caught.value) == f"Cannot reach 127.0.0.1:{port}: connection refused."


def test_server_that_never_answers_times_out_on_connect(ssh_server_settings) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = dataclasses.replace(ssh_server_settings, port=port, connect_timeout=0.5)
        with pytest.raises(RemoteError) as caught:
            SshRunner("sandbox", settings).run("true")
    assert str(caught.value) == f"Cannot reach 127.0.0.1:{port}: no SSH answer within 0.5 s."


HANG_UP = """
import socket, sys, threading
from pathlib import Path
import paramiko
from primetui.config import ServerSettings
from primetui.errors import RemoteError
from primetui.remote.runners import SshRunner

rude = socket.socket()
rude.bind(("127.0.0.1", 0))
rude.listen(1)
port = rude.getsockname()[1]
threading.Thread(target=lambda: rude.accept()[0].close(), daemon=True).start()
try:
    SshRunner("rude", ServerSettings(host="127.0.0.1", port=port, known_hosts=Path(sys.argv[1]))).run("true")
except RemoteError as err:
    print(err)
for thread in threading.enumerate():  # paramiko's thread logs its failure after we raise
    if isinstance(thread, paramiko.Transport):
        thread.join(5)
"""


def test_server_that_hangs_up_is_one_sentence_and_prints_nothing_else(tmp_path: Path) -> None:
    # A subprocess: pytest's own log capture would hide what a terminal would show.
    done = subprocess.run([sys.executable, "-c", HANG_UP, str(tmp_path / "known_hosts")],
                          capture_output=True, text=True, timeout=30)
    assert done.stderr == ""
    assert done.stdout.startswith("Cannot reach 127.0.0.1:")
    assert done.stdout.endswith(": the server closed the connection before speaking SSH.\n")


@pytest.mark.parametrize(("exc", "sentence"), [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
     "Cannot reach nowhere.invalid:22: the name nowhere.invalid does not resolve."),
    (NoValidConnectionsError({("10.9.9.9", 22): OSError(errno.EHOSTUNREACH, "No route")}),
     "Cannot reach nowhere.invalid:22: host unreachable."),
    (OSError(errno.ENETUNREACH, "Network is unreachable"),
     "Cannot reach nowhere.invalid:22: network is unreachable."),
])
def test_network_failures_are_one_sentence(exc: Exception, sentence: str) -> None:
    hop = ResolvedHost("nowhere.invalid", "nowhere.invalid", "lab", 22,
                       known_hosts=(Path("known_hosts"),))
    assert str(hop_error(exc, hop, "prod")) == sentence


def test_rejected_key_is_one_sentence(ssh_server_settings, sshd) -> None:
    settings = dataclasses.replace(ssh_server_settings, user="nobody")
    with pytest.raises(RemoteError) as caught:
        SshRunner("sandbox", settings).run("true")
    assert str(caught.value) == (f"nobody@127.0.0.1:{sshd.port} refused the key "
                                 f"{sshd.client_key}: authentication failed.")


def test_malformed_known_hosts_line_is_one_sentence(ssh_server_settings,
                                                   tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("broken.example ssh-ed25519 not-base64!\n")
    settings = dataclasses.replace(ssh_server_settings, known_hosts=known_hosts)
    with pytest.raises(RemoteError) as caught:
        SshRunner("sandbox", settings).run("true")
    assert str(caught.value) == (f"{known_hosts} has a line that is not a valid host key "
                                 "('broken.example ssh-ed25519 not-base64!'); fix or remove it.")


def test_missing_key_file_is_one_sentence(ssh_server_settings, tmp_path: Path) -> None:
    settings = dataclasses.replace(ssh_server_settings, key=tmp_path / "nokey")
    with pytest.raises(RemoteError, match=r"^The SSH key .*nokey for sandbox does not exist\.$"):
        SshRunner("sandbox", settings).run("true")


def test_sudo_as_root_runs_through_sudo_without_asking(runner: SshRunner) -> None:
    if os.geteuid() != 0:
        pytest.skip("the sshd user is not root")
    result = runner.run("id -u; echo \"by $SUDO_USER\"; echo a && echo b", sudo=True)
    assert result.stdout == "0\nby root\na\nb\n"


def test_sudo_is_skipped_when_the_server_says_no_sudo(ssh_server_settings) -> None:
    settings = dataclasses.replace(ssh_server_settings, sudo=False)
    with SshRunner("sandbox", settings, MustNotAsk()) as r:
        assert r.run('echo "by [$SUDO_USER]"', sudo=True).stdout == "by []\n"
