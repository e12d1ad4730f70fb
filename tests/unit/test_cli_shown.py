"""The shown forms of commands (primetui/remote/shown.py) and the redaction of logs and crash
reports (primetui/cli/logs.py)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from primetui.cli.logs import redact, without_locals
from primetui.config import ServerSettings
from primetui.remote import shown


def test_ssh_line_has_port_key_and_one_remote_word() -> None:
    server = ServerSettings(host="prime.example.edu", port=2222, key=Path("/k/my key"))
    line = shown.ssh(server, "cd /srv && tar czf - .env | head -c 1")
    assert shlex.split(line) == ["ssh", "-p", "2222", "-i", "/k/my key", "ubuntu@prime.example.edu",
                                 "cd /srv && tar czf - .env | head -c 1"]
    plain = shown.ssh(ServerSettings(host="h"), "uptime")
    assert plain == 'ssh ubuntu@h "uptime"'


def test_a_command_with_dollar_signs_is_single_quoted_so_nothing_expands_here() -> None:
    line = shown.ssh(ServerSettings(host="h"), 'kill -0 "$(cat /run/nginx.pid)"')
    assert shlex.split(line)[-1] == 'kill -0 "$(cat /run/nginx.pid)"'
    assert line.split(" ", 2)[2].startswith("'")


def test_scp_uses_capital_p_for_the_port() -> None:
    server = ServerSettings(host="h", port=2200, user="ec2-user")
    assert shown.scp(server, "REMOTE:/tmp/x", ".") == "scp -P 2200 ec2-user@h:/tmp/x ."


def test_sudo_wraps_pipelines_whole_and_prefixes_single_commands() -> None:
    assert shown.sudo("nginx -t", True) == "sudo nginx -t"
    assert shown.sudo("nginx -t && nginx -s reload", True) == "sudo sh -c 'nginx -t && nginx -s reload'"
    assert shown.sudo("nginx -t && nginx -s reload", False) == "nginx -t && nginx -s reload"
    wrapped = shown.sudo("echo 'a' > /tmp/x", True)
    assert shlex.split(wrapped) == ["sudo", "sh", "-c", "echo 'a' > /tmp/x"]


def test_a_wrapped_heredoc_still_runs_in_sh(tmp_path: Path) -> None:
    target = tmp_path / "out"
    script = f"cat > {target} <<'EOF'\nit's here\nEOF\nchmod 600 {target}"
    line = shown.sudo(script, True).removeprefix("sudo ")
    subprocess.run(["bash", "-c", line], check=True)
    assert target.read_text() == "it's here\n"


def test_redact_hides_aws_signatures_keys_tokens_and_passwords() -> None:
    text = ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAABCDEFGHIJKLMNOP/20260101/us-east-2/ec2,"
            " Signature=0123456789abcdef 'X-Amz-Security-Token': b'FQoGZXIvYXdzEJr' "
            "aws_secret_access_key=wJalrXUtnFEMI passphrase: hunter2 password=swordfish")
    out = redact(text)
    for secret in ("AKIAABCDEFGHIJKLMNOP", "0123456789abcdef", "FQoGZXIvYXdzEJr", "wJalrXUtnFEMI",
                   "hunter2", "swordfish"):
        assert secret not in out
    assert out.count("[redacted]") >= 6


def test_without_locals_drops_the_locals_panels() -> None:
    traceback = ("╭── Traceback ──╮\n"
                 "│ app.py:3 in f │\n"
                 "│ ╭── locals ──╮ │\n"
                 "│ │ secret = 'x' │ │\n"
                 "│ ╰────────────╯ │\n"
                 "╰──────────────╯\n"
                 "RuntimeError: boom\n")
    out = without_locals(traceback)
    assert "secret" not in out and "app.py:3 in f" in out and "RuntimeError: boom" in out
