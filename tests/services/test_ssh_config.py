"""Servers reached the way ssh reaches them: a bastion sshd and a target sshd on loopback,
an ssh_config with aliases and ProxyJump, strict known_hosts at both hops, a key held by a
real ssh-agent, a passphrase-protected key, and the TCP connections a plan opens."""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from primetui.config import parse_settings
from primetui.errors import HostKeyChangedError, HostKeyUnknownError, RemoteError
from primetui.overview.hosts import check_hosts
from primetui.plans.plan import Plan, Step
from primetui.registry import Services
from primetui.remote.runners import SshRunner
from primetui.sandbox.sshd import SshdService
from primetui.sandbox.tools import find_binary
from tests.fixtures.common import require_binary
from tests.fixtures.sshd import FakePrompter, MustNotAsk, private_sshd

pytestmark = pytest.mark.services

PASSPHRASE = "correct horse battery staple"
USER = getpass.getuser()


@dataclass
class Lab:
    """Two sshds (a bastion and prod behind it), the lab member's keys and files."""

    bastion: SshdService
    target: SshdService
    keys: Path
    agent_key: Path
    locked_key: Path

    def known_hosts(self, *, bastion: bool = True, target: bool = True) -> Path:
        """A fresh known_hosts file with the chosen hops' real host keys."""
        lines = [line for service, wanted in ((self.bastion, bastion), (self.target, target))
                 if wanted for line in service.known_hosts.read_text().splitlines()]
        path = Path(tempfile.mkstemp(dir=self.keys, prefix="known_hosts-")[1])
        path.write_text("".join(f"{line}\n" for line in lines))
        return path

    def accepted(self, service: SshdService) -> int:
        """How many TCP connections `service` has accepted so far (sshd's VERBOSE log)."""
        text = (service.workdir / "sshd.log").read_text(errors="replace")
        return len(re.findall(r"Connection from 127\.0\.0\.1 port \d+ on 127\.0\.0\.1 port "
                              rf"{service.port}\b", text))

    def logins(self, service: SshdService) -> int:
        text = (service.workdir / "sshd.log").read_text(errors="replace")
        return text.count(f"Accepted publickey for {USER}")


def _keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name,
                    "-f", str(path)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return path


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A bastion that lets the agent key in, and prod that takes the agent or the locked key."""
    require_binary(find_binary("ssh-keygen") or "ssh-keygen")
    keys = Path(tempfile.mkdtemp(prefix="primetui-sshkeys-"))
    try:
        agent_key = _keygen(keys / "agent_ed25519")
        locked_key = _keygen(keys / "locked_ed25519", PASSPHRASE)
        with private_sshd("primetui-bastion-") as bastion, private_sshd("primetui-prod-") as target:
            # sshd reads authorized_keys.USER at each login: replace what start_sshd wrote.
            (bastion.workdir / f"authorized_keys.{USER}").write_text(
                (keys / "agent_ed25519.pub").read_text())
            (target.workdir / f"authorized_keys.{USER}").write_text(
                (keys / "agent_ed25519.pub").read_text() + (keys / "locked_ed25519.pub").read_text())
            yield Lab(bastion, target, keys, agent_key, locked_key)
    finally:
        import shutil

        shutil.rmtree(keys, ignore_errors=True)


@pytest.fixture
def agent(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real ssh-agent holding the agent key; SSH_AUTH_SOCK set for this test only."""
    require_binary(find_binary("ssh-agent") or "ssh-agent", find_binary("ssh-add") or "ssh-add")
    sock = Path(tempfile.mkdtemp(prefix="primetui-agent-")) / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", str(lab.agent_key)], env=env, check=True,
                       capture_output=True, stdin=subprocess.DEVNULL)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(5)
        with contextlib.suppress(OSError):
            sock.unlink()
            sock.parent.rmdir()


@pytest.fixture
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def ssh_config(lab: Lab, tmp_path: Path, prod_extra: str = "", bastion_extra: str = "") -> Path:
    """An ssh_config with aliases: lab-bastion, and lab-prod behind it (ProxyJump)."""
    path = tmp_path / "ssh_config"
    path.write_text(
        f"Host lab-bastion\n"
        f"    HostName 127.0.0.1\n"
        f"    Port {lab.bastion.port}\n"
        f"    User {USER}\n"
        f"{bastion_extra}"
        f"Host lab-prod\n"
        f"    HostName 127.0.0.1\n"
        f"    Port {lab.target.port}\n"
        f"    User {USER}\n"
        f"    ProxyJump lab-bastion\n"
        f"    ConnectTimeout 5\n"
        f"{prod_extra}")
    return path


def settings_for(config: Path, known_hosts: Path, tmp_path: Path, **server: str):
    """primetui's config as a lab member would write it: the ssh alias, little else."""
    extra = "".join(f'{k} = "{v}"\n' for k, v in server.items())
    text = (f'[ssh]\nconfig = "{config}"\n'
            f'[servers.prod]\nhost = "lab-prod"\nknown_hosts = "{known_hosts}"\n'
            f'profile = "sandbox"\n{extra}')
    return parse_settings(text, tmp_path / "config.toml")


def test_alias_behind_a_bastion_is_reached_with_the_agent_key(lab: Lab, agent: Path,
                                                              tmp_path: Path) -> None:
    settings = settings_for(ssh_config(lab, tmp_path), lab.known_hosts(), tmp_path)
    before = lab.logins(lab.bastion), lab.logins(lab.target)
    with SshRunner("prod", settings.servers["prod"], MustNotAsk()) as runner:
        out = runner.run("echo $SSH_CONNECTION").stdout.split()
    assert out[-1] == str(lab.target.port)  # the command ran on prod
    # ...and the TCP connection to prod was made by the bastion, after one login there.
    assert (lab.logins(lab.bastion), lab.logins(lab.target)) == (before[0] + 1, before[1] + 1)
    resolved = runner.resolved
    assert (resolved.hostname, resolved.port, resolved.user) == ("127.0.0.1", lab.target.port, USER)
    assert [j.alias for j in resolved.jumps] == ["lab-bastion"]
    assert resolved.sources["port"].startswith("ssh_config")
    assert resolved.sources["known_hosts"] == "servers.prod.known_hosts"


def test_primetui_keys_override_ssh_config_and_say_so(lab: Lab, agent: Path,
                                                      tmp_path: Path) -> None:
    config = ssh_config(lab, tmp_path, prod_extra="    User nobody-here\n")
    settings = settings_for(config, lab.known_hosts(), tmp_path, user=USER)
    with SshRunner("prod", settings.servers["prod"], MustNotAsk()) as runner:
        assert runner.run("whoami").stdout.strip() == USER
    rows = {k: (v, src) for k, v, src in runner.resolved.describe()}
    assert rows["user"] == (USER, "servers.prod.user")
    assert rows["port"][1].startswith("ssh_config")


def test_passphrase_protected_key_is_asked_once_per_session(lab: Lab, no_agent: None,
                                                            tmp_path: Path) -> None:
    config = ssh_config(lab, tmp_path,
                        prod_extra=f"    IdentityFile {lab.locked_key}\n    IdentitiesOnly yes\n",
                        bastion_extra=f"    IdentityFile {lab.agent_key}\n")
    settings = settings_for(config, lab.known_hosts(), tmp_path)

    class Asks(MustNotAsk):
        asked: list[Path] = []

        def key_passphrase(self, key: Path) -> str:
            self.asked.append(key)
            return PASSPHRASE

    prompter = Asks()
    services = Services(settings, prompter=prompter)
    try:
        assert services.runner("prod").run("echo one").stdout == "one\n"
        services.runner("prod").runner.close()  # a real close: the next command reconnects
        assert services.runner("prod").run("echo two").stdout == "two\n"
    finally:
        services.close()
    assert prompter.asked == [lab.locked_key]


def test_wrong_passphrase_three_times_is_one_sentence(lab: Lab, no_agent: None,
                                                      tmp_path: Path) -> None:
    config = ssh_config(lab, tmp_path,
                        prod_extra=f"    IdentityFile {lab.locked_key}\n    IdentitiesOnly yes\n",
                        bastion_extra=f"    IdentityFile {lab.agent_key}\n")
    settings = settings_for(config, lab.known_hosts(), tmp_path)

    class Wrong(MustNotAsk):
        def key_passphrase(self, key: Path) -> str:
            return "not it"

    with pytest.raises(RemoteError) as caught, SshRunner("prod", settings.servers["prod"], Wrong()) as r:
        r.run("true")
    assert str(caught.value) == f"The passphrase for the SSH key {lab.locked_key} was wrong 3 times."


def test_unknown_key_at_the_second_hop_is_shown_then_refused(lab: Lab, agent: Path,
                                                             tmp_path: Path) -> None:
    known = lab.known_hosts(target=False)
    settings = settings_for(ssh_config(lab, tmp_path), known, tmp_path)
    prompter = FakePrompter(accept=False)
    with pytest.raises(HostKeyUnknownError) as caught, \
            SshRunner("prod", settings.servers["prod"], prompter) as runner:
        runner.run("true")
    assert (caught.value.host, caught.value.port) == ("127.0.0.1", lab.target.port)
    [asked] = prompter.host_keys
    pub = lab.target.host_key_pub.read_text().split()[1]
    assert asked.key_base64 == pub and asked.fingerprint.startswith("SHA256:")
    assert str(lab.target.port) not in known.read_text()  # refused: nothing saved


def test_unknown_key_at_the_second_hop_accepted_is_saved_for_that_hop(lab: Lab, agent: Path,
                                                                      tmp_path: Path) -> None:
    known = lab.known_hosts(target=False)
    settings = settings_for(ssh_config(lab, tmp_path), known, tmp_path)
    prompter = FakePrompter(accept=True)
    with SshRunner("prod", settings.servers["prod"], prompter) as runner:
        assert runner.run("echo in").stdout == "in\n"
    assert len(prompter.host_keys) == 1
    assert f"[127.0.0.1]:{lab.target.port} ssh-ed25519 " in known.read_text()


def test_changed_key_at_the_bastion_is_refused(lab: Lab, agent: Path, tmp_path: Path) -> None:
    wrong = lab.target.host_key_pub.read_text().split()[1]
    known = lab.known_hosts(bastion=False)
    known.write_text(known.read_text() + f"[127.0.0.1]:{lab.bastion.port} ssh-ed25519 {wrong}\n")
    settings = settings_for(ssh_config(lab, tmp_path), known, tmp_path)
    before = lab.logins(lab.target)
    with pytest.raises(HostKeyChangedError) as caught, \
            SshRunner("prod", settings.servers["prod"], FakePrompter(accept=True)) as runner:
        runner.run("true")
    assert f"127.0.0.1:{lab.bastion.port} has CHANGED" in str(caught.value)
    assert lab.logins(lab.target) == before  # never reached prod


def test_strict_host_key_checking_no_is_not_followed_and_said_once(lab: Lab, agent: Path,
                                                                   tmp_path: Path) -> None:
    config = ssh_config(lab, tmp_path, prod_extra="    StrictHostKeyChecking no\n")
    settings = settings_for(config, lab.known_hosts(target=False), tmp_path)
    with pytest.raises(HostKeyUnknownError), \
            SshRunner("prod", settings.servers["prod"], FakePrompter(accept=False)) as runner:
        runner.run("true")
    settings = settings_for(config, lab.known_hosts(), tmp_path)
    lines: list[str] = []
    with SshRunner("prod", settings.servers["prod"], MustNotAsk()) as runner:
        runner.run("echo a", on_line=lines.append)
        runner.run("echo b", on_line=lines.append)
    note = (f"{config} sets StrictHostKeyChecking no for lab-prod; primetui still checks "
            f"host keys strictly.")
    assert lines == [note, "a", "b"]


def test_proxy_command_is_refused_by_name(lab: Lab, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = ssh_config(lab, tmp_path).read_text().replace(
        "    ProxyJump lab-bastion\n", f"    ProxyCommand touch {marker}\n")
    (tmp_path / "ssh_config").write_text(config)
    settings = settings_for(tmp_path / "ssh_config", lab.known_hosts(), tmp_path)
    with pytest.raises(RemoteError) as caught:
        SshRunner("prod", settings.servers["prod"], MustNotAsk()).run("true")
    assert "`ProxyCommand` for lab-prod is not supported by primetui" in str(caught.value)
    assert not marker.exists()


def test_match_exec_is_refused_without_running_it(lab: Lab, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = ssh_config(lab, tmp_path)
    config.write_text(f'Match exec "touch {marker}"\n    User root\n' + config.read_text())
    settings = settings_for(config, lab.known_hosts(), tmp_path)
    with pytest.raises(RemoteError) as caught:
        SshRunner("prod", settings.servers["prod"], MustNotAsk()).run("true")
    assert str(caught.value).startswith(f"{config} line 1: `Match exec` is not supported")
    assert not marker.exists()


def test_a_plan_of_several_steps_and_a_poll_open_one_connection_per_server(
        lab: Lab, agent: Path, tmp_path: Path) -> None:
    settings = settings_for(ssh_config(lab, tmp_path), lab.known_hosts(), tmp_path)
    services = Services(settings, prompter=MustNotAsk())

    def step(n: int) -> Step:
        def run(ctx) -> None:
            with services.runner("prod") as runner:  # each step "closes" its runner
                runner.run(f"echo step{n}", on_line=ctx.emit)
        return Step(f"step {n}", [f"echo step{n}"], run)

    before = lab.accepted(lab.bastion), lab.accepted(lab.target)
    try:
        result = services.run_plan(Plan("four steps", "prod", [step(n) for n in range(4)]))
        assert result.ok, result.error
        assert result.output[-1] == "step3" if result.output else True
        hosts = check_hosts(settings, services.runner)  # the Overview's poll
        assert hosts is not None and not hosts.findings
        result = services.run_plan(Plan("again", "prod", [step(9)]))
        assert result.ok
        after = lab.accepted(lab.bastion), lab.accepted(lab.target)
        assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
        runner = services.runner("prod")
        assert runner.connections_opened == 1 and runner.is_connected
    finally:
        services.close()
    assert not runner.is_connected  # closed on quit


def _session_pids(service: SshdService) -> list[int]:
    """The per-connection children of our own sshd (by parent pid)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == service.pid:
                pids.append(int(stat.parent.name))
    return pids


def test_a_dropped_connection_is_reopened_once_and_the_step_says_so(
        lab: Lab, agent: Path, tmp_path: Path) -> None:
    settings = settings_for(ssh_config(lab, tmp_path), lab.known_hosts(), tmp_path)
    with SshRunner("prod", settings.servers["prod"], MustNotAsk()) as runner:
        runner.run("true")
        for pid in _session_pids(lab.target):  # the server side of our connection dies
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while runner.is_connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not runner.is_connected
        lines: list[str] = []
        assert runner.run("echo back", on_line=lines.append).ok
        assert lines == [f"The connection to lab-prod (127.0.0.1:{lab.target.port}) had "
                         f"dropped; it was opened again.", "back"]
        assert runner.connections_opened == 2


def test_polls_share_the_connection_but_never_ask(lab: Lab, agent: Path, tmp_path: Path) -> None:
    settings = settings_for(ssh_config(lab, tmp_path), lab.known_hosts(target=False), tmp_path)
    services = Services(settings, prompter=MustNotAsk())  # asking would fail the test
    try:
        hosts = check_hosts(settings, services.runner)
        assert hosts is not None
        [finding] = hosts.findings
        assert finding.title == (f"The host key of prod (127.0.0.1:{lab.target.port}) "
                                 f"is not in known_hosts.")
        quiet = services.connections.runner("prod", ask=False)
        with pytest.raises(HostKeyUnknownError):
            quiet.run("true", sudo=True)
        assert quiet.runner is services.runner("prod").runner  # the same connection
    finally:
        services.close()
