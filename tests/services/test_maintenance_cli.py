"""`primetui maintenance plan|on|off|status` against moto, the loopback sshd and real nginx."""

from __future__ import annotations

import json

import pytest

from primetui.cli.main import main
from primetui.config import to_document, write_document
from tests.fixtures.maintenance_world import World


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
    assert main(["--config", config, "maintenance", "on", "--yes", "--message",
                 "Back soon <3", "--back", "2h"]) == 0
    assert "Maintenance is ON" in capsys.readouterr().out
    assert main(["--config", config, "maintenance", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["on"] is True and status["since"] > 0
    assert status["instance_id"] == world.eip_instance()
    assert all(step["done"] for step in status["steps"])
    assert main(["--config", config, "maintenance", "off", "--yes", "--teardown",
                 "terminate"]) == 0
    assert world.eip_instance() == world.seed.prod_instance_id
    assert main(["--config", config, "maintenance", "status"]) == 0
    assert "Maintenance is off" in capsys.readouterr().out
