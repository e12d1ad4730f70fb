"""resolve_server: ssh_config merged with primetui's [servers] keys, without connecting."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from primetui.config import ServerSettings, parse_settings
from primetui.errors import RemoteError
from primetui.remote.ssh_config import resolve_all, resolve_server


def server_from(tmp_path: Path, ssh_config: str, server: str = 'host = "lab-prod"\n'):
    config = tmp_path / "ssh_config"
    config.write_text(ssh_config)
    settings = parse_settings(f'[ssh]\nconfig = "{config}"\n[servers.prod]\n{server}',
                              tmp_path / "config.toml")
    return settings.servers["prod"], config


LAB = """\
Host lab-prod prod.lab
    HostName 10.0.0.12
    User ubuntu-lab
    Port 2200
    IdentityFile ~/.ssh/lab_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile ~/.ssh/lab_known_hosts ~/.ssh/other_known_hosts
    ProxyJump admin@bastion.lab:2222,inner
    ConnectTimeout 7
    ServerAliveInterval 15
Host bastion.lab
    HostName 203.0.113.5
    IdentityFile ~/.ssh/bastion_key
Host inner
    HostName 10.0.0.2
    User jumper
    ProxyJump ignored-for-later-hops
"""


def test_an_alias_takes_every_value_from_ssh_config(tmp_path: Path) -> None:
    server, config = server_from(tmp_path, LAB)
    r = resolve_server("prod", server)
    home = Path.home()
    assert (r.alias, r.hostname, r.user, r.port) == ("lab-prod", "10.0.0.12", "ubuntu-lab", 2200)
    assert r.identity_files == (home / ".ssh/lab_ed25519",) and r.identities_only
    assert r.known_hosts == (home / ".ssh/lab_known_hosts", home / ".ssh/other_known_hosts")
    assert (r.connect_timeout, r.keepalive) == (7.0, 15.0)
    assert r.sources["user"] == f"ssh_config {config}"
    assert r.sources["hostname"] == f"ssh_config {config}"
    assert r.where == "lab-prod (10.0.0.12:2200)"


def test_proxy_jump_hops_in_order_with_their_own_settings(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, LAB)
    first, second = resolve_server("prod", server).jumps
    assert (first.hostname, first.user, first.port) == ("203.0.113.5", "admin", 2222)
    assert first.identity_files == (Path.home() / ".ssh/bastion_key",)
    assert first.sources["user"] == "ProxyJump"
    assert (second.hostname, second.user, second.port) == ("10.0.0.2", "jumper", 22)
    # A hop without its own UserKnownHostsFile is checked against the server's files.
    assert second.known_hosts == resolve_server("prod", server).known_hosts


def test_primetui_keys_win_where_set_and_say_so(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, LAB, 'host = "lab-prod"\nuser = "root"\nport = 22\n'
                                           f'known_hosts = "{tmp_path}/kh"\n')
    r = resolve_server("prod", server)
    assert (r.user, r.port, r.known_hosts) == ("root", 22, (tmp_path / "kh",))
    assert r.sources["user"] == "servers.prod.user"
    assert r.sources["known_hosts"] == "servers.prod.known_hosts"
    rows = {k: src for k, _v, src in r.describe()}
    assert rows["port"] == "servers.prod.port" and rows["identity_files"].startswith("ssh_config")


def test_a_host_not_in_ssh_config_keeps_primetui_values_and_defaults(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, LAB, 'host = "192.0.2.9"\n')
    r = resolve_server("prod", server)
    assert (r.hostname, r.user, r.port, r.jumps) == ("192.0.2.9", "ubuntu", 22, ())
    assert r.sources["user"] == "default" and r.sources["hostname"] == "servers.prod.host"


def test_settings_built_in_code_count_every_key_as_set(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n    User someone-else\n    Port 2022\n")
    server = ServerSettings(host="127.0.0.1", user="me", port=2222, ssh_config=config)
    r = resolve_server("sandbox", server)
    assert (r.user, r.port) == ("me", 2222)


def test_missing_ssh_config_is_no_ssh_config(tmp_path: Path) -> None:
    server = ServerSettings(host="lab-prod", ssh_config=tmp_path / "absent")
    assert resolve_server("prod", server).hostname == "lab-prod"


@pytest.mark.parametrize(("line", "directive"), [
    ("ProxyCommand nc %h %p", "ProxyCommand"),
    ("Include ~/.ssh/config.d/*", "Include"),
    ("HostKeyAlias prod", "HostKeyAlias"),
    ("CertificateFile ~/.ssh/id-cert.pub", "CertificateFile"),
])
def test_unsupported_directives_are_named(tmp_path: Path, line: str, directive: str) -> None:
    server, _ = server_from(tmp_path, f"Host lab-prod\n    {line}\n")
    with pytest.raises(RemoteError, match=f"`{directive}` for lab-prod is not supported"):
        resolve_server("prod", server)


def test_unsupported_directive_on_a_bastion_is_named_too(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, "Host lab-prod\n    ProxyJump b\nHost b\n"
                                      "    ProxyCommand ssh -W %h:%p x\n")
    with pytest.raises(RemoteError, match="`ProxyCommand` for b is not supported"):
        resolve_server("prod", server)


def test_proxy_command_none_is_no_proxy_command(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, "Host lab-prod\n    ProxyCommand none\n")
    assert resolve_server("prod", server).jumps == ()


def test_a_proxy_jump_loop_is_one_sentence(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, "Host lab-prod\n    ProxyJump a\nHost a\n"
                                      "    ProxyJump lab-prod\n")
    with pytest.raises(RemoteError, match="loops back to lab-prod"):
        resolve_server("prod", server)


def test_strict_host_key_checking_no_becomes_a_note(tmp_path: Path) -> None:
    server, config = server_from(tmp_path, "Host *\n    StrictHostKeyChecking no\n")
    assert resolve_server("prod", server).notes == (
        f"{config} sets StrictHostKeyChecking no for lab-prod; primetui still checks host "
        f"keys strictly.",)


def test_resolve_all_gives_a_sentence_for_a_server_that_cannot_be_resolved(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host bad\n    ProxyCommand x\n")
    servers = {"good": ServerSettings(host="ok", ssh_config=config),
               "bad": ServerSettings(host="bad", ssh_config=config)}
    out = resolve_all(servers)
    assert out["good"].user == "ubuntu"  # type: ignore[union-attr]
    assert isinstance(out["bad"], RemoteError)


def test_jump_user_defaults_to_the_local_user(tmp_path: Path) -> None:
    server, _ = server_from(tmp_path, "Host lab-prod\n    ProxyJump b.lab\n")
    [hop] = resolve_server("prod", server).jumps
    assert (hop.user, hop.sources["user"]) == (getpass.getuser(), "default")
