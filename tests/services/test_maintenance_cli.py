"""`primetui maintenance plan|on|off|status` against moto, the loopback sshd and real nginx."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from primetui.cli.main import main
from primetui.config import to_document, write_document
from tests.fixtures.maintenance_world import DOMAIN, World


@pytest.fixture
def config(world: World, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """The world's settings as a config file; the state dir is the world's."""
    path = tmp_path / "config.toml"
    write_document(to_document(world.settings), path)
    monkeypatch.setenv("XDG_STATE_HOME", str(world.state_dir.parent))
    world.state_dir = world.state_dir.parent / "primetui"
    return str(path)


def test_plan_prints_every_step_with_its_commands(config, capsys):
    assert main(["--config", config, "maintenance", "plan"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n  ") >= 8 and "8. Move traffic to the maintenance host" in out
    assert "aws ec2 associate-address" in out and "nginx" in out and "tar czf" in out
    assert "Next: Preflight" in out


def test_on_refuses_without_a_terminal_unless_yes(config, capsys, world: World):
    assert main(["--config", config, "maintenance", "on"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert world.eip_instance() == world.seed.prod_instance_id


def test_on_then_status_then_off_from_the_command_line(config, capsys, world: World):
    domain = world.settings.maintenance.domain
    assert main(["--config", config, "maintenance", "on", "--yes", "--confirm", domain,
                 "--message", "Back soon <3", "--back", "2h"]) == 0
    assert "Maintenance is ON" in capsys.readouterr().out
    assert main(["--config", config, "maintenance", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["on"] is True
    assert datetime.fromisoformat(status["since"]).tzinfo is not None
    assert status["instance_id"] == world.eip_instance()
    assert all(step["done"] for step in status["steps"])
    assert main(["--config", config, "maintenance", "off", "--yes", "--confirm", domain,
                 "--teardown", "terminate"]) == 0
    assert world.eip_instance() == world.seed.prod_instance_id
    assert main(["--config", config, "maintenance", "status"]) == 0
    assert "Maintenance is off" in capsys.readouterr().out


@pytest.fixture
def unknown_host(world: World, tmp_path, sshd):
    """The maintenance template with a known_hosts of its own, empty: a new instance's key."""
    import dataclasses

    known = tmp_path / "maintenance_known_hosts"
    template = dataclasses.replace(world.settings.servers["maintenance"], known_hosts=known)
    world.settings = dataclasses.replace(
        world.settings, servers={**world.settings.servers, "maintenance": template})
    return known


def _boot_log(sshd) -> str:
    """A console output as cloud-init prints it, with the test sshd's host key."""
    kind, blob = sshd.host_key_pub.read_text().split()[:2]
    return ("[   12.3] cloud-init[1234]: Cloud-init v. 22.2.2 finished\n"
            "-----BEGIN SSH HOST KEY KEYS-----\n"
            f"{kind} {blob} root@ip-10-0-0-12\n"
            "-----END SSH HOST KEY KEYS-----\n")


def test_on_yes_pins_the_new_hosts_key_from_its_console_output(
        unknown_host, world: World, sshd, tmp_path, monkeypatch, capsys):
    import moto.ec2.responses.general as console  # the in-process moto server's boot log

    monkeypatch.setattr(console, "SAMPLE_CONSOLE_OUTPUT", _boot_log(sshd))
    path = tmp_path / "pinned.toml"
    write_document(to_document(world.settings), path)
    monkeypatch.setenv("XDG_STATE_HOME", str(world.state_dir.parent))
    assert main(["--config", str(path), "maintenance", "on", "--yes", "--confirm", DOMAIN]) == 0
    out = capsys.readouterr().out
    assert "Pinned the host keys" in out and "Maintenance is ON" in out
    kind, blob = sshd.host_key_pub.read_text().split()[:2]
    assert f"[127.0.0.1]:{sshd.port} {kind} {blob}" in unknown_host.read_text()


def test_on_yes_without_console_keys_says_so_and_stops_at_step_5(
        unknown_host, world: World, tmp_path, monkeypatch, capsys):
    path = tmp_path / "unpinned.toml"
    write_document(to_document(world.settings), path)
    monkeypatch.setenv("XDG_STATE_HOME", str(world.state_dir.parent))
    assert main(["--config", str(path), "maintenance", "on", "--yes", "--confirm", DOMAIN]) != 0
    captured = capsys.readouterr()
    assert "shows no SSH host keys yet" in captured.out + captured.err
    assert world.eip_instance() == world.seed.prod_instance_id


def test_plan_shows_what_runs_key_import_ports_keys_and_the_host_of_each_sudo(
        config, capsys, world: World, sshd):
    assert main(["--config", config, "maintenance", "plan", "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    lines = [line for step in steps for line in step["commands"]]
    launch = next(s for s in steps if s["key"] == "launch")["commands"]
    assert any("aws ec2 import-key-pair" in line for line in launch)
    assert not any("create-key-pair" in line for line in launch)
    ssh = [line for line in lines if line.startswith(("ssh ", "scp "))]
    assert ssh and all(f" {sshd.port} " in line and f"-i {sshd.client_key}" in line
                       for line in ssh), ssh
    # The sandbox profile needs no sudo: the host commands are the ones sudo would wrap.
    on_hosts = [line for line in lines if any(
        word in line for word in ("install -m", "tar czf", "tar xzf", "rm -rf"))]
    assert len(on_hosts) >= 4 and all(line.startswith("ssh ") for line in on_hosts), on_hosts


def _without_instance(world: World, tmp_path, monkeypatch):
    import dataclasses

    prod = dataclasses.replace(world.settings.servers["prod"], instance=None)
    settings = dataclasses.replace(world.settings,
                                   servers={**world.settings.servers, "prod": prod})
    path = tmp_path / "discover.toml"
    write_document(to_document(settings), path)
    path.write_text("# the lab's config: keep this comment\n" + path.read_text())
    monkeypatch.setenv("XDG_STATE_HOME", str(world.state_dir.parent))
    return path


def test_discover_finds_prod_from_the_elastic_ip_and_saves_it_keeping_comments(
        world: World, tmp_path, monkeypatch, capsys):
    from primetui.config import load_settings

    path = _without_instance(world, tmp_path, monkeypatch)
    assert main(["--config", str(path), "maintenance", "discover"]) == 0
    out = capsys.readouterr().out
    assert world.seed.prod_instance_id in out and "Elastic IP" in out
    assert f'instance = "{world.seed.prod_instance_id}"' in out  # no terminal: the line
    assert load_settings(str(path)).servers["prod"].instance is None  # nothing saved yet

    assert main(["--config", str(path), "maintenance", "discover", "--save"]) == 0
    assert "Saved servers.prod.instance" in capsys.readouterr().out
    assert load_settings(str(path)).servers["prod"].instance == world.seed.prod_instance_id
    assert path.read_text().startswith("# the lab's config: keep this comment\n")


def test_a_plan_without_prods_instance_points_at_discover(world: World, tmp_path, monkeypatch,
                                                          capsys):
    path = _without_instance(world, tmp_path, monkeypatch)
    assert main(["--config", str(path), "maintenance", "plan"]) != 0
    assert "primetui maintenance discover" in capsys.readouterr().err


def test_config_init_discover_finds_prod_and_writes_its_server_table(
        world: World, tmp_path, monkeypatch, capsys):
    """A new lab: the starter config has no [servers.prod]; `--discover` finds the instance
    holding the account's Elastic IP and writes its host and instance into the new file."""
    from primetui.config import load_settings

    monkeypatch.setenv("AWS_ENDPOINT_URL", world.settings.aws.endpoint_url or "")
    path = tmp_path / "new-lab.toml"
    assert main(["--config", str(path), "config", "init", "--discover"]) == 0
    out = capsys.readouterr().out
    assert "Wrote a starter config" in out and world.seed.prod_instance_id in out
    assert "Saved servers.prod.instance" in out
    prod = load_settings(str(path)).servers["prod"]
    assert prod.instance == world.seed.prod_instance_id
    assert prod.host  # the instance's address, so the table is a valid server
    assert path.read_text().startswith("# primetui configuration.")  # the starter's comments


def test_config_init_without_a_terminal_does_not_look_in_aws(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: unused
    path = tmp_path / "quiet.toml"
    assert main(["--config", str(path), "config", "init"]) == 0
    out = capsys.readouterr().out
    assert "Found" not in out and "prod" not in out
