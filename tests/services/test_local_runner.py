"""LocalRunner: the same interface as SshRunner, on this machine with invoke."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from primetui.config import ServerSettings, Settings
from primetui.errors import RemoteError
from primetui.remote.runners import LocalRunner, SshRunner, runner_for


@pytest.fixture
def runner():
    with LocalRunner() as r:
        yield r


def test_run_streams_lines_in_order(runner: LocalRunner) -> None:
    lines: list[str] = []
    result = runner.run("for i in 1 2 3; do echo line$i; done; printf tail", on_line=lines.append)
    assert lines == ["line1", "line2", "line3", "tail"]
    assert result.stdout == "line1\nline2\nline3\ntail"
    assert result.command == "for i in 1 2 3; do echo line$i; done; printf tail"
    assert result.ok


def test_lines_arrive_while_the_command_is_still_running(runner: LocalRunner,
                                                         tmp_path: Path) -> None:
    # The command waits for a file that on_line creates when the first line arrives:
    # it can only finish if that line was delivered before the command ended.
    flag = tmp_path / "seen"
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        flag.touch()

    result = runner.run(f"echo first; while [ ! -e {flag} ]; do sleep 0.01; done; echo second",
                        on_line=on_line, timeout=10)
    assert result.ok and lines == ["first", "second"]


def test_exit_code_with_warn_is_returned(runner: LocalRunner) -> None:
    result = runner.run("echo out; echo err >&2; exit 4", warn=True)
    assert (result.exit_code, result.ok) == (4, False)
    assert (result.stdout, result.stderr) == ("out\n", "err\n")


def test_failure_without_warn_is_one_sentence(runner: LocalRunner) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("echo oops >&2; exit 5")
    assert str(caught.value) == "`echo oops >&2; exit 5` failed on localhost (exit 5): oops"


def test_long_commands_are_shortened_in_sentences(runner: LocalRunner) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("false # " + "x" * 200)
    assert str(caught.value).startswith("`false # xxx")
    assert "…` failed on localhost (exit 1)." in str(caught.value)


def test_timeout_is_one_sentence(runner: LocalRunner) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.run("sleep 5", timeout=0.3)
    assert str(caught.value) == "`sleep 5` on localhost did not finish within 0.3 s."


def test_non_utf8_output_is_replaced_not_fatal(runner: LocalRunner) -> None:
    lines: list[str] = []
    result = runner.run(r"printf '\377\376ok\n'", on_line=lines.append)
    assert result.stdout == "\ufffd\ufffdok\n"
    assert lines == ["\ufffd\ufffdok"]


def test_multibyte_character_split_between_reads_survives(runner: LocalRunner) -> None:
    code = "import sys; sys.stdout.buffer.write(b'a' * 999 + '\\u00e9'.encode() + b'\\n')"
    result = runner.run(f'{sys.executable} -c "{code}"')
    assert result.stdout == "a" * 999 + "\u00e9\n"


def test_an_error_in_on_line_is_raised_after_the_command(runner: LocalRunner) -> None:
    def broken(line: str) -> None:
        raise ValueError(f"cannot show {line}")

    with pytest.raises(ValueError, match="cannot show first"):
        runner.run("echo first; echo second", on_line=broken)


def test_sudo_as_root_runs_directly(runner: LocalRunner) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root runs without sudo locally")
    result = runner.run('id -u; echo "[$SUDO_USER]"', sudo=True)
    assert result.stdout == "0\n[]\n"


def test_put_and_get_copy_paths_and_streams(runner: LocalRunner, tmp_path: Path) -> None:
    source = tmp_path / "a.env"
    source.write_bytes(b"SECRET=1\n")
    runner.put(source, str(tmp_path / "b.env"))
    assert (tmp_path / "b.env").read_bytes() == b"SECRET=1\n"

    stream = io.BytesIO(b"from memory")
    stream.seek(5)
    runner.put(stream, str(tmp_path / "c.bin"))
    assert (tmp_path / "c.bin").read_bytes() == b"from memory"  # the whole stream
    assert stream.tell() == 5

    back = io.BytesIO()
    runner.get(str(tmp_path / "c.bin"), back)
    assert back.getvalue() == b"from memory"
    runner.get(str(tmp_path / "b.env"), tmp_path / "d.env")
    assert (tmp_path / "d.env").read_bytes() == b"SECRET=1\n"


def test_get_of_a_missing_file_is_one_sentence(runner: LocalRunner, tmp_path: Path) -> None:
    with pytest.raises(RemoteError) as caught:
        runner.get(str(tmp_path / "nope"), tmp_path / "x")
    assert str(caught.value) == f"Cannot copy {tmp_path}/nope to {tmp_path}/x: no such file or directory."


def test_runner_for_local_a_server_and_an_unknown_name() -> None:
    settings = Settings(servers={"prod": ServerSettings(host="prime.example.edu"),
                                 "maint": ServerSettings(host="10.0.0.5")})
    assert isinstance(runner_for(settings, "local"), LocalRunner)
    prod = runner_for(settings, "prod")
    assert isinstance(prod, SshRunner)
    assert (prod.name, prod.host) == ("prod", "prime.example.edu:22")
    with pytest.raises(RemoteError) as caught:
        runner_for(settings, "staging")
    assert str(caught.value) == ("There is no server named 'staging'; the configured servers "
                                 "are: maint, prod (or 'local' for this machine).")
